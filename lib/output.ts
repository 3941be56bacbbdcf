// Output formats of Fluent Bit's stdout plugin.
import { EventTime } from './records/event-time.js';
import { stringifyJson, formatFloat } from './records/json.js';
import { LogEvent, eventTimeOf } from './records/chunk.js';
import { ExtValue, Float, Value, isPlainObject } from './records/values.js';

export type StdoutFormat = 'msgpack' | 'json' | 'json_lines' | 'json_stream';
export type DateFormat = 'double' | 'epoch' | 'epoch_ms' | 'iso8601' | 'java_sql_timestamp';

/** Fluent Bit's msgpack printing: maps as {"k"=>v}, strings quoted, as its stdout plugin does. */
export function printMsgpackStyle(value: Value | undefined): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return stringifyJson(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return stringifyJson(value);
  if (value instanceof Float) return formatFloat(value.value);
  if (value instanceof EventTime) return value.toString();
  if (value instanceof Uint8Array || value instanceof ExtValue) return stringifyJson(value);
  if (Array.isArray(value)) return '[' + value.map(printMsgpackStyle).join(', ') + ']';
  const entries: [string, Value][] = value instanceof Map ? [...value].map(([k, v]) => [String(k), v]) : isPlainObject(value) ? Object.entries(value) : [];
  return '{' + entries.map(([key, item]) => `${stringifyJson(key)}=>${printMsgpackStyle(item)}`).join(', ') + '}';
}

function formatDate(time: EventTime, format: DateFormat): string {
  switch (format) {
    case 'epoch':
      return String(time.seconds);
    case 'epoch_ms':
      return String(time.seconds * 1000 + Math.floor(time.nanoseconds / 1e6));
    case 'iso8601':
    case 'java_sql_timestamp': {
      const iso = new Date(time.seconds * 1000).toISOString().slice(0, 19);
      const micros = String(Math.floor(time.nanoseconds / 1000)).padStart(6, '0');
      return format === 'iso8601' ? `"${iso}.${micros}Z"` : `"${iso.replace('T', ' ')}.${micros}"`;
    }
    case 'double':
      return `${time.seconds}.${String(Math.floor(time.nanoseconds / 1000)).padStart(6, '0')}`;
  }
}

function jsonRecord(event: LogEvent, dateKey: string | null, dateFormat: DateFormat): string {
  const body = stringifyJson(event.body);
  if (!dateKey) return body;
  const date = `${stringifyJson(dateKey)}:${formatDate(eventTimeOf(event), dateFormat)}`;
  return body === '{}' ? `{${date}}` : body.startsWith('{') ? `{${date},${body.slice(1)}` : body;
}

export interface StdoutOptions {
  format: StdoutFormat;
  /** json_date_key; 'false' or '' means no date key */
  dateKey: string;
  dateFormat: DateFormat;
}

/** Text the stdout output writes for one batch of events of a tag. */
export function formatStdout(tag: string, events: LogEvent[], options: StdoutOptions, counter: { n: number }): string {
  const dateKey = options.dateKey === '' || options.dateKey.toLowerCase() === 'false' ? null : options.dateKey;
  switch (options.format) {
    case 'json':
      return '[' + events.map((event) => jsonRecord(event, dateKey, options.dateFormat)).join(',') + ']\n';
    case 'json_lines':
    case 'json_stream':
      return events.map((event) => jsonRecord(event, dateKey, options.dateFormat) + '\n').join('');
    case 'msgpack':
      return events
        .map((event) => {
          const time = eventTimeOf(event).toString();
          const meta = event.metadata === undefined ? '' : `, ${printMsgpackStyle(event.metadata)}`;
          return `[${counter.n++}] ${tag}: [[${time}${meta}], ${printMsgpackStyle(event.body)}]\n`;
        })
        .join('');
  }
}
