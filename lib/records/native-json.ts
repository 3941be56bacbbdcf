// JSON with Fluent Bit's rules (§2 of the plugin contract), done once, in C, by the filter's own
// converters through the addon: JSON text -> msgpack keeps integer vs float (`120.0` stays a
// float) and exact i64/u64 integers; msgpack -> JSON writes floats with %.16g plus ".0",
// lowercase \u escapes, surrogate pairs, and the last of duplicate keys. Where exactness
// matters the values stay msgpack bytes and never become JavaScript numbers.
import { loadAddon } from '../native.js';
import { EventTime } from './event-time.js';
import { decodeMsgpack, encodeMsgpack } from './codec.js';
import { Value } from './values.js';

/** JSON text -> msgpack bytes (native; throws LOGWASM_ERR_MALFORMED naming the offset). */
export function jsonToMsgpack(text: string): Uint8Array {
  return loadAddon().jsonToMsgpack(text);
}

/** One msgpack value -> compact JSON exactly as a json-mode guest receives it (native). */
export function msgpackToJson(bytes: Uint8Array): string {
  return loadAddon().msgpackToJson(bytes);
}

/** JSON text -> plain JavaScript values (through msgpack; a float such as 120.0 becomes the
 *  number 120, so keep the msgpack from jsonToMsgpack when the kind matters). */
export function parseJson(text: string): Value {
  return decodeMsgpack(jsonToMsgpack(text));
}

/** A JavaScript value as Fluent Bit writes it in JSON (integral numbers are integers). */
export function stringifyJson(value: Value): string {
  return msgpackToJson(encodeMsgpack(value));
}

/** An event of a chunk with its metadata and body as Fluent Bit JSON text. */
export interface JsonEvent {
  time: EventTime;
  /** JSON of the metadata map; null for the `[time, body]` form. */
  metadata: string | null;
  body: string;
  groupMarker: boolean;
}

/** Every event of a chunk, metadata and body converted to JSON natively (exact numbers). */
export function chunkToJsonEvents(chunk: Uint8Array): JsonEvent[] {
  return loadAddon()
    .chunkToJsonEvents(chunk)
    .map((event) => ({
      time: new EventTime(event.seconds, event.nanoseconds),
      metadata: event.metadata,
      body: event.body,
      groupMarker: event.groupMarker,
    }));
}

/** One NDJSON line — a JSON object (the body, stamped `now`), [time, body] or
 *  [[time, metadata], body], time in seconds — as one chunk entry [[EventTime, metadata], body],
 *  converted natively so that numbers keep their kind and the time its nine decimals. */
export function chunkEntryFromJsonLine(line: string, now: EventTime = EventTime.now()): Uint8Array {
  return loadAddon().ndjsonToChunkEntry(line, now.seconds, now.nanoseconds);
}
