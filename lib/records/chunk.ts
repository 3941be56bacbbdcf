// Fluent Bit chunks: a plain sequence of msgpack events, each `[[time, metadata], body]` (the
// current form) or `[time, body]` (the older form). Group markers (time -1 start, -2 end) carry
// OpenTelemetry resource/scope data and pass through filters untouched.
import { EventTime } from './event-time.js';
import { MsgpackError, MsgpackReader, MsgpackWriter } from './msgpack.js';
import { DecodeOptions, Float, Value } from './values.js';

export interface LogEvent {
  /** EventTime, or the number the chunk held (integer or float seconds; -1/-2 for groups). */
  time: EventTime | number | Float;
  /** The metadata map of the `[[time, metadata], body]` form; undefined for `[time, body]`. */
  metadata?: Value;
  body: Value;
}

export const GROUP_START = -1;
export const GROUP_END = -2;

export function isGroupMarker(event: LogEvent): boolean {
  const time = event.time instanceof Float ? event.time.value : event.time;
  return time === GROUP_START || time === GROUP_END;
}

/** The event's time as EventTime (integer or float seconds converted). */
export function eventTimeOf(event: LogEvent): EventTime {
  const time = event.time;
  if (time instanceof EventTime) return time;
  return EventTime.fromSeconds(time instanceof Float ? time.value : time);
}

export function writeEvent(writer: MsgpackWriter, event: LogEvent): void {
  writer.arrayHeader(2);
  if (event.metadata !== undefined) {
    writer.arrayHeader(2);
    writer.value(event.time);
    writer.value(event.metadata);
  } else {
    writer.value(event.time);
  }
  writer.value(event.body);
}

/** Encode events as one chunk. Events without metadata use the current form with `{}`
 *  unless `legacy` is set, which writes `[time, body]`. */
export function encodeChunk(events: Iterable<LogEvent>, options: { legacy?: boolean } = {}): Uint8Array {
  const writer = new MsgpackWriter(1024);
  for (const event of events) {
    writeEvent(writer, options.legacy || event.metadata !== undefined ? event : { ...event, metadata: {} });
  }
  return writer.bytes();
}

function checkTime(time: Value, at: number): EventTime | number | Float {
  if (time instanceof EventTime || typeof time === 'number' || time instanceof Float) return time;
  if (typeof time === 'bigint') return Number(time);
  throw new MsgpackError(`event at offset ${at}: time must be an EventTime or a number, got ${describe(time)}`, at);
}

function describe(value: Value): string {
  if (value === null) return 'nil';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'binary';
  return typeof value === 'object' ? value.constructor.name : typeof value;
}

/** Read one event at the reader's position. */
export function readEvent(reader: MsgpackReader): LogEvent {
  const at = reader.offset;
  const event = reader.read();
  if (!Array.isArray(event) || event.length !== 2) {
    throw new MsgpackError(`event at offset ${at} is not a [time-or-header, body] array (got ${describe(event)})`, at);
  }
  const [head, body] = event;
  if (Array.isArray(head)) {
    if (head.length !== 2) throw new MsgpackError(`event at offset ${at}: header must be [time, metadata]`, at);
    return { time: checkTime(head[0], at), metadata: head[1], body };
  }
  return { time: checkTime(head, at), body };
}

/** Decode every event of a chunk; a corrupt or truncated chunk is an error naming the offset. */
export function decodeChunk(bytes: Uint8Array, options: DecodeOptions = {}): LogEvent[] {
  const reader = new MsgpackReader(bytes, options);
  const events: LogEvent[] = [];
  while (!reader.done) events.push(readEvent(reader));
  return events;
}
