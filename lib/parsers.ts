// Line parsers (Fluent Bit [PARSER] sections): json and regex, with Time_Key/Time_Format.
import { EventTime } from './records/event-time.js';
import { jsonToMsgpack, parseJson } from './records/native-json.js';
import { Value } from './records/values.js';
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
  /** The parsed map (a plain object) and its time, or null when the line does not match. */
  parse(line: string): ParsedLine | null;
  /** The same as JSON text that keeps Fluent Bit's number kinds (1.0 a float), for building
   *  records natively (chunkEntryFromJsonLine). */
  parseToJson(line: string): ParsedJsonLine | null;
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

// Each parsed line is built as JSON text and read by the native parser, so that number kinds
// are Fluent Bit's: a Types float is written with '.' ("2" -> 2.0), and a json-format line keeps
// its own number text (1.0 stays a float).

/** A value of a Types conversion as JSON text. */
function typedJson(value: string, type: string | undefined): string {
  switch (type) {
    case 'integer': {
      const n = Number.parseInt(value, 10);
      return Number.isNaN(n) ? JSON.stringify(value) : String(n);
    }
    case 'float': {
      const n = Number.parseFloat(value);
      if (!Number.isFinite(n)) return JSON.stringify(value);
      const text = String(n);
      return /[.e]/.test(text) ? text : `${text}.0`;
    }
    case 'bool':
      return value === 'true' || value === 'false' ? value : JSON.stringify(value);
    default:
      return JSON.stringify(value);
  }
}

interface JsonMember {
  key: string;
  /** `"key":value` as written */
  text: string;
  /** the value as written */
  value: string;
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

/** The top-level members of a JSON object text that is already known to be valid (a minimal
 *  scanner: strings and nesting, nothing else). */
function topLevelMembers(text: string): JsonMember[] {
  let at = 0;
  const space = () => {
    while (at < text.length && WHITESPACE.has(text[at])) at++;
  };
  const skipString = () => {
    for (at++; at < text.length && text[at] !== '"'; at++) if (text[at] === '\\') at++;
    at++;
  };
  const skipValue = () => {
    if (text[at] === '"') return skipString();
    if (text[at] === '{' || text[at] === '[') {
      let depth = 0;
      do {
        const c = text[at];
        if (c === '"') {
          skipString();
          continue;
        }
        if (c === '{' || c === '[') depth++;
        else if (c === '}' || c === ']') depth--;
        at++;
      } while (depth > 0 && at < text.length);
      return;
    }
    while (at < text.length && !WHITESPACE.has(text[at]) && text[at] !== ',' && text[at] !== '}') at++;
  };
  const members: JsonMember[] = [];
  space();
  at++; // {
  for (;;) {
    space();
    if (at >= text.length || text[at] === '}') return members;
    const keyStart = at;
    skipString();
    const key = JSON.parse(text.slice(keyStart, at)) as string;
    space();
    at++; // :
    space();
    const valueStart = at;
    skipValue();
    members.push({ key, text: text.slice(keyStart, at), value: text.slice(valueStart, at) });
    space();
    if (text[at] === ',') at++;
  }
}

/** A parsed line as JSON text, with its time. */
export interface ParsedJsonLine {
  time?: EventTime;
  /** The record as JSON text (Fluent Bit number kinds; read it with jsonToMsgpack). */
  json: string;
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
  const parseToJson = (line: string): ParsedJsonLine | null => {
    let members: JsonMember[];
    if (regex) {
      const match = regex.exec(line);
      if (!match) return null;
      members = [];
      for (const [key, value] of Object.entries(match.groups ?? {})) {
        if (value === undefined) continue;
        const valueJson = typedJson(value, types.get(key));
        members.push({ key, text: `${JSON.stringify(key)}:${valueJson}`, value: valueJson });
      }
    } else {
      let bytes: Uint8Array;
      try {
        bytes = jsonToMsgpack(line); // validates, with Fluent Bit's rules
      } catch {
        return null;
      }
      const tag = bytes[0];
      if (!((tag >= 0x80 && tag <= 0x8f) || tag === 0xde || tag === 0xdf)) return null; // not an object
      members = topLevelMembers(line);
    }
    let time: EventTime | undefined;
    const key = definition.timeKey;
    const timeMember = key ? members.filter((member) => member.key === key).pop() : undefined;
    if (timeMember) {
      const raw = timeMember.value;
      const text = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
      const parsedTime = definition.timeFormat ? parseTime(text, definition.timeFormat) : EventTime.parse(text);
      if (parsedTime) {
        time = parsedTime;
        if (!definition.timeKeep) members = members.filter((member) => member.key !== key);
      }
    }
    return { time, json: `{${members.map((member) => member.text).join(',')}}` };
  };
  return {
    name: definition.name,
    parseToJson,
    parse(line: string): ParsedLine | null {
      const parsed = parseToJson(line);
      if (!parsed) return null;
      return { time: parsed.time, body: parseJson(parsed.json) as { [key: string]: Value } };
    },
  };
}
