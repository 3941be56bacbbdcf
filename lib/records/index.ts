export { EventTime } from './event-time.js';
export { Float, ExtValue, type Value, type DecodeOptions } from './values.js';
export { MsgpackError, MsgpackReader, MsgpackWriter, EVENT_TIME_EXT_TYPE, encodeMsgpack, decodeMsgpack } from './msgpack.js';
export { JsonSyntaxError, parseJson, stringifyJson, formatFloat, formatG16 } from './json.js';
export {
  type LogEvent,
  GROUP_START,
  GROUP_END,
  isGroupMarker,
  eventTimeOf,
  encodeChunk,
  decodeChunk,
  readEvent,
  writeEvent,
} from './chunk.js';
