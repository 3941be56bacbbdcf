export { EventTime } from './event-time.js';
export { type Value } from './values.js';
export { ExtData } from '@msgpack/msgpack';
export { MsgpackError, EVENT_TIME_EXT_TYPE, encodeMsgpack, decodeMsgpack, extensionCodec } from './codec.js';
export { jsonToMsgpack, msgpackToJson, parseJson, stringifyJson, chunkToJsonEvents, chunkEntryFromJsonLine, type JsonEvent } from './native-json.js';
export { type LogEvent, GROUP_START, GROUP_END, isGroupMarker, eventTimeOf, encodeChunk, decodeChunk } from './chunk.js';
