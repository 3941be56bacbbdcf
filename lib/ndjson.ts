// The CLI's input lines: a JSON object (the body; time = now), [time, body] or
// [[time, metadata], body], time in seconds (a fraction allowed) — parsed with Fluent Bit's
// number rules so that 120.0 stays a float.
import { EventTime } from './records/event-time.js';
import { LogEvent } from './records/chunk.js';
import { parseJson } from './records/json.js';
import { Float, Value } from './records/values.js';

const SHAPE = 'expected a JSON object, [time, body] or [[time, metadata], body]';

function timeOf(value: Value): EventTime {
  if (typeof value === 'number' || typeof value === 'bigint') return EventTime.fromSeconds(value);
  if (value instanceof Float) {
    // seconds with nine decimals do not fit a double: use the digits as written when we have them
    const text = (value as Float & { text?: string }).text;
    return text !== undefined ? EventTime.parse(text) : EventTime.fromSeconds(value.value);
  }
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return EventTime.parse(value);
  throw new Error(`time must be a number of seconds, got ${JSON.stringify(value)}`);
}

function isMap(value: Value): boolean {
  return value instanceof Map;
}

export function eventFromJsonLine(line: string, now: () => EventTime = EventTime.now): LogEvent {
  const value = parseJson(line, { exact: true });
  if (isMap(value)) return { time: now(), metadata: new Map(), body: value };
  if (!Array.isArray(value) || value.length !== 2) throw new Error(SHAPE);
  const [head, body] = value;
  if (!isMap(body)) throw new Error(`the body must be a JSON object; ${SHAPE}`);
  if (Array.isArray(head)) {
    if (head.length !== 2 || !isMap(head[1])) throw new Error(SHAPE);
    return { time: timeOf(head[0]), metadata: head[1], body };
  }
  return { time: timeOf(head), metadata: new Map(), body };
}
