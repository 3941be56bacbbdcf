// Fluent Bit chunks: a plain sequence of msgpack events, each `[[time, metadata], body]` (the
// current form) or `[time, body]` (the older form). Group markers (time -1 start, -2 end) carry
// OpenTelemetry resource/scope data and pass through filters untouched.
import { EventTime } from './event-time.js';
import { MsgpackError, decodeMsgpackSequence, encodeMsgpack } from './codec.js';
import { Value } from './values.js';

export interface LogEvent {
  /** EventTime, or the number the chunk held (integer or float seconds; -1/-2 for groups). */
  time: EventTime | number;
  /** The metadata map of the `[[time, metadata], body]` form; undefined for `[time, body]`. */
  metadata?: Value;
  body: Value;
}

export const GROUP_START = -1;
export const GROUP_END = -2;

export function isGroupMarker(event: LogEvent): boolean {
  return event.time === GROUP_START || event.time === GROUP_END;
}

/** The event's time as EventTime (integer or float seconds converted). */
export function eventTimeOf(event: LogEvent): EventTime {
  const time = event.time;
  return time instanceof EventTime ? time : EventTime.fromSeconds(time);
}

/** Encode events as one chunk. Events without metadata use the current form with `{}`
 *  unless `legacy` is set, which writes `[time, body]`. */
export function encodeChunk(events: Iterable<LogEvent>, options: { legacy?: boolean } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const event of events) {
    const head = event.metadata !== undefined ? [event.time, event.metadata] : options.legacy ? event.time : [event.time, {}];
    parts.push(encodeMsgpack([head, event.body]));
  }
  return Buffer.concat(parts);
}

function describe(value: Value): string {
  if (value === null) return 'nil';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Uint8Array) return 'binary';
  return typeof value === 'object' ? value.constructor?.name ?? 'a map' : typeof value;
}

function checkTime(time: Value, index: number): EventTime | number {
  if (time instanceof EventTime || typeof time === 'number') return time;
  if (typeof time === 'bigint') return Number(time);
  throw new MsgpackError(`event ${index}: time must be an EventTime or a number, got ${describe(time)}`);
}

/** Decode every event of a chunk; a corrupt or truncated chunk is an error. */
export function decodeChunk(bytes: Uint8Array): LogEvent[] {
  return decodeMsgpackSequence(bytes).map((event, index) => {
    if (!Array.isArray(event) || event.length !== 2) {
      throw new MsgpackError(`event ${index} is not a [time-or-header, body] array (got ${describe(event)})`);
    }
    const [head, body] = event;
    if (Array.isArray(head)) {
      if (head.length !== 2) throw new MsgpackError(`event ${index}: header must be [time, metadata]`);
      return { time: checkTime(head[0], index), metadata: head[1], body };
    }
    return { time: checkTime(head, index), body };
  });
}
