// Line parsers (Fluent Bit [PARSER] sections): json and regex, with Time_Key/Time_Format.
import { EventTime } from './records/event-time.js';
import { parseJson } from './records/native-json.js';
import { Value, isPlainObject } from './records/values.js';
import { LogwasmError } from './errors.js';

export interface ParsedLine {
  time?: EventTime;
  /** The record: a plain object. */
  body: { [key: string]: Value };
}

export interface ParserDefinition {
  name: string;
  format: 'json' | 'regex';
  regex?: string;
  timeKey?: string;
  timeFormat?: string;
  timeKeep?: boolean;
  /** Fluent Bit's Types key, e.g. "code:integer size:float". */
  types?: string;
}

export interface LineParser {
  readonly name: string;
  /** The parsed map and its time, or null when the line does not match. */
  parse(line: string): ParsedLine | null;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** strptime for the directives Fluent Bit configs use: %Y %m %d %H %M %S %L (fraction) %b %z
 *  %y %e %T %F %s and literals. Returns null when the text does not match. */
export function parseTime(text: string, format: string): EventTime | null {
  let at = 0;
  let year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, nanos = 0, offset = 0;
  let epoch: number | null = null;
  const digits = (min: number, max: number): number | null => {
    const match = new RegExp(`^[+-]?\\d{${min},${max}}`).exec(text.slice(at));
    if (!match) return null;
    at += match[0].length;
    return Number(match[0]);
  };
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c !== '%') {
      if (c === ' ') {
        while (text[at] === ' ') at++;
        continue;
      }
      if (text[at] !== c) return null;
      at++;
      continue;
    }
    const directive = format[++i];
    let value: number | null = 0;
    switch (directive) {
      case 'Y': value = year = digits(4, 4) ?? NaN; break;
      case 'y': value = digits(2, 2); if (value !== null) year = value < 69 ? 2000 + value : 1900 + value; break;
      case 'm': value = month = digits(1, 2) ?? NaN; break;
      case 'd': case 'e': while (text[at] === ' ') at++; value = day = digits(1, 2) ?? NaN; break;
      case 'H': value = hour = digits(1, 2) ?? NaN; break;
      case 'M': value = minute = digits(1, 2) ?? NaN; break;
      case 'S': value = second = digits(1, 2) ?? NaN; break;
      case 's': value = epoch = digits(1, 12); break;
      case 'L': {
        const match = /^\d+/.exec(text.slice(at));
        if (!match) return null;
        at += match[0].length;
        nanos = Number(match[0].slice(0, 9).padEnd(9, '0'));
        break;
      }
      case 'b': case 'h': {
        const index = MONTHS.indexOf(text.slice(at, at + 3).toLowerCase());
        if (index < 0) return null;
        month = index + 1;
        at += 3;
        break;
      }
      case 'z': {
        const match = /^(Z|[+-]\d\d:?\d\d)/.exec(text.slice(at));
        if (!match) return null;
        at += match[0].length;
        if (match[0] !== 'Z') {
          const sign = match[0][0] === '-' ? -1 : 1;
          const hhmm = match[0].slice(1).replace(':', '');
          offset = sign * (Number(hhmm.slice(0, 2)) * 3600 + Number(hhmm.slice(2)) * 60);
        }
        break;
      }
      case 'T': {
        const t = parseTime(text.slice(at), '%H:%M:%S');
        if (!t) return null;
        const match = /^\d{1,2}:\d{1,2}:\d{1,2}/.exec(text.slice(at))!;
        [hour, minute, second] = match[0].split(':').map(Number);
        at += match[0].length;
        break;
      }
      case 'F': {
        const match = /^(\d{4})-(\d{1,2})-(\d{1,2})/.exec(text.slice(at));
        if (!match) return null;
        [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
        at += match[0].length;
        break;
      }
      case '%':
        if (text[at++] !== '%') return null;
        break;
      default:
        return null;
    }
    if (value === null || Number.isNaN(value)) return null;
  }
  if (epoch !== null) return new EventTime(epoch, nanos);
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  if (Number.isNaN(ms)) return null;
  return new EventTime(ms / 1000 - offset, nanos);
}

function convertType(value: string, type: string): Value {
  switch (type) {
    case 'integer': {
      const n = Number.parseInt(value, 10);
      return Number.isNaN(n) ? value : n;
    }
    case 'float': {
      const n = Number.parseFloat(value);
      return Number.isNaN(n) ? value : n;
    }
    case 'bool':
      return value === 'true' ? true : value === 'false' ? false : value;
    default:
      return value;
  }
}

/** Build a parser from its definition (regex syntax: Onigmo-style (?<name>...) groups, which
 *  JavaScript accepts as they are). */
export function createParser(definition: ParserDefinition): LineParser {
  let regex: RegExp | null = null;
  if (definition.format === 'regex') {
    if (!definition.regex) throw new LogwasmError(`parser '${definition.name}': format regex needs a Regex`, 'LOGWASM_ERR_CONFIG');
    try {
      regex = new RegExp(definition.regex);
    } catch (error) {
      throw new LogwasmError(`parser '${definition.name}': invalid Regex: ${(error as Error).message}`, 'LOGWASM_ERR_CONFIG');
    }
  }
  const types = new Map<string, string>();
  for (const item of (definition.types ?? '').split(/\s+/).filter(Boolean)) {
    const [key, type] = item.split(':');
    if (key && type) types.set(key, type);
  }
  return {
    name: definition.name,
    parse(line: string): ParsedLine | null {
      let map: { [key: string]: Value };
      if (regex) {
        const match = regex.exec(line);
        if (!match) return null;
        map = {};
        for (const [key, value] of Object.entries(match.groups ?? {})) {
          if (value !== undefined) map[key] = types.has(key) ? convertType(value, types.get(key)!) : value;
        }
      } else {
        let parsed: Value;
        try {
          parsed = parseJson(line);
        } catch {
          return null;
        }
        if (!isPlainObject(parsed)) return null;
        map = parsed;
      }
      let time: EventTime | undefined;
      const key = definition.timeKey;
      if (key && Object.prototype.hasOwnProperty.call(map, key)) {
        const text = String(map[key]);
        const parsedTime = definition.timeFormat ? parseTime(text, definition.timeFormat) : EventTime.parse(text);
        if (parsedTime) {
          time = parsedTime;
          if (!definition.timeKeep) delete map[key];
        }
      }
      return { time, body: map };
    },
  };
}
