// Output formats of Fluent Bit's stdout plugin, from events whose metadata and body are already
// Fluent Bit JSON text (chunkToJsonEvents: converted natively, numbers exact).
import { EventTime } from './records/event-time.js';
import { JsonEvent, stringifyJson } from './records/native-json.js';
import { Value } from './records/values.js';

export type StdoutFormat = 'msgpack' | 'json' | 'json_lines' | 'json_stream';
export type DateFormat = 'double' | 'epoch' | 'epoch_ms' | 'iso8601' | 'java_sql_timestamp';

/** Fluent Bit's msgpack printing ({"k"=>v}, [a, b], nil) from the JSON text of a value: the
 *  same scalars, only the punctuation outside strings differs. */
export function msgpackStyleFromJson(json: string): string {
  let out = '';
  let runStart = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22) {
      // skip the string, escapes included
      for (i++; i < json.length && json.charCodeAt(i) !== 0x22; i++) if (json.charCodeAt(i) === 0x5c) i++;
      continue;
    }
    let replacement: string | null = null;
    let width = 1;
    if (c === 0x3a) replacement = '=>';
    else if (c === 0x2c) replacement = ', ';
    else if (c === 0x6e && json.startsWith('null', i)) {
      replacement = 'nil';
      width = 4;
    }
    if (replacement === null) continue;
    out += json.slice(runStart, i) + replacement;
    i += width - 1;
    runStart = i + 1;
  }
  return out + json.slice(runStart);
}

/** A JavaScript value printed as Fluent Bit's msgpack style. */
export function printMsgpackStyle(value: Value): string {
  return msgpackStyleFromJson(stringifyJson(value));
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

function jsonRecord(event: JsonEvent, dateKey: string | null, dateFormat: DateFormat): string {
  const body = event.body;
  if (!dateKey) return body;
  const date = `${stringifyJson(dateKey)}:${formatDate(event.time, dateFormat)}`;
  return body === '{}' ? `{${date}}` : body.startsWith('{') ? `{${date},${body.slice(1)}` : body;
}

export interface StdoutOptions {
  format: StdoutFormat;
  /** json_date_key; 'false' or '' means no date key */
  dateKey: string;
  dateFormat: DateFormat;
}

/** Text the stdout output writes for one batch of events of a tag. */
export function formatStdout(tag: string, events: JsonEvent[], options: StdoutOptions, counter: { n: number }): string {
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
          const meta = event.metadata === null ? '' : `, ${msgpackStyleFromJson(event.metadata)}`;
          return `[${counter.n++}] ${tag}: [[${event.time.toString()}${meta}], ${msgpackStyleFromJson(event.body)}]\n`;
        })
        .join('');
  }
}
