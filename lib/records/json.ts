// JSON as Fluent Bit reads and writes it.
//
// Parsing keeps the number kinds Fluent Bit's json parser gives (§2 of the plugin contract):
// a number written with '.' or an exponent is a float64 (`120.0` stays a float), any other is an
// integer, exact over the whole i64/u64 range (bigint beyond 2^53), and a float only beyond that.
// JSON.parse loses both distinctions; lossless-json keeps the digits but not the kind, so this is
// a small parser of its own.
//
// Writing follows the text a json-mode guest receives: floats as printf "%.16g" plus ".0" when
// that text has neither '.' nor 'e'; non-ASCII and control characters as lowercase \u escapes.
import { EventTime } from './event-time.js';
import { DecodeOptions, ExtValue, Float, INT64_MIN, UINT64_MAX, Value, isPlainObject } from './values.js';

export class JsonSyntaxError extends SyntaxError {
  readonly code = 'LOGWASM_BAD_JSON';
  constructor(
    message: string,
    readonly offset: number,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${message} at line ${line} column ${column}`);
    this.name = 'JsonSyntaxError';
  }
}

const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

class JsonParser {
  private at = 0;

  constructor(
    private readonly text: string,
    private readonly exact: boolean,
  ) {}

  fail(message: string, at = this.at): never {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < this.text.length; i++) {
      if (this.text.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    throw new JsonSyntaxError(message, at, line, at - lineStart + 1);
  }

  private space(): void {
    const text = this.text;
    let at = this.at;
    for (;;) {
      const c = text.charCodeAt(at);
      if (c === 32 || c === 10 || c === 13 || c === 9) at++;
      else break;
    }
    this.at = at;
  }

  private describe(at: number): string {
    return at >= this.text.length ? 'end of input' : `'${this.text[at]}'`;
  }

  document(): Value {
    this.space();
    const value = this.value(0);
    this.space();
    if (this.at < this.text.length) this.fail(`unexpected ${this.describe(this.at)} after the JSON value`);
    return value;
  }

  private value(depth: number): Value {
    if (depth > 512) this.fail('JSON nests deeper than 512 levels');
    const c = this.text.charCodeAt(this.at);
    switch (c) {
      case 0x7b: // {
        return this.object(depth);
      case 0x5b: // [
        return this.array(depth);
      case 0x22: // "
        return this.string();
      case 0x74: // t
        return this.word('true', true);
      case 0x66: // f
        return this.word('false', false);
      case 0x6e: // n
        return this.word('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
        return this.fail(`unexpected ${this.describe(this.at)}, expected a JSON value`);
    }
  }

  private word<T extends Value>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.at)) this.fail(`unexpected ${this.describe(this.at)}, expected a JSON value`);
    this.at += word.length;
    return value;
  }

  private number(): Value {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (!match) return this.fail('invalid number');
    const text = match[0];
    this.at += text.length;
    if (match[1] !== undefined || match[2] !== undefined) {
      const value = Number(text);
      if (!this.exact) return value;
      // The digits as written, for callers that need more than a double holds (a time with
      // nanoseconds); not enumerable, so a Float still compares by value.
      return Object.defineProperty(new Float(value), 'text', { value: text });
    }
    if (text.length <= 15) return Number(text);
    const big = BigInt(text);
    if (big >= SAFE_MIN && big <= SAFE_MAX) return Number(big);
    if (big >= INT64_MIN && big <= UINT64_MAX) return big;
    const value = Number(text); // beyond u64: Fluent Bit falls back to a float
    return this.exact ? new Float(value) : value;
  }

  private string(): string {
    const text = this.text;
    let at = this.at + 1;
    let out = '';
    let runStart = at;
    for (;;) {
      if (at >= text.length) this.fail('unterminated string', this.at);
      const c = text.charCodeAt(at);
      if (c === 0x22) {
        out += text.slice(runStart, at);
        this.at = at + 1;
        return out;
      }
      if (c < 0x20) this.fail('control character in string (escape it)', at);
      if (c !== 0x5c) {
        at++;
        continue;
      }
      out += text.slice(runStart, at);
      const e = text[at + 1];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = text.slice(at + 2, at + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape', at);
          out += String.fromCharCode(parseInt(hex, 16));
          at += 4;
          break;
        }
        default:
          this.fail('invalid escape in string', at);
      }
      at += 2;
      runStart = at;
    }
  }

  private array(depth: number): Value[] {
    this.at++;
    const items: Value[] = [];
    this.space();
    if (this.text.charCodeAt(this.at) === 0x5d) {
      this.at++;
      return items;
    }
    for (;;) {
      this.space();
      items.push(this.value(depth + 1));
      this.space();
      const c = this.text.charCodeAt(this.at++);
      if (c === 0x5d) return items;
      if (c !== 0x2c) this.fail(`unexpected ${this.describe(this.at - 1)}, expected ',' or ']'`, this.at - 1);
    }
  }

  private object(depth: number): Value {
    this.at++;
    const map = this.exact ? new Map<string, Value>() : null;
    const object: { [key: string]: Value } = {};
    this.space();
    if (this.text.charCodeAt(this.at) === 0x7d) {
      this.at++;
      return map ?? object;
    }
    for (;;) {
      this.space();
      if (this.text.charCodeAt(this.at) !== 0x22) this.fail(`unexpected ${this.describe(this.at)}, expected a string key`);
      const key = this.string();
      this.space();
      if (this.text.charCodeAt(this.at++) !== 0x3a) this.fail(`unexpected ${this.describe(this.at - 1)}, expected ':'`, this.at - 1);
      this.space();
      const value = this.value(depth + 1);
      if (map) {
        map.delete(key);
        map.set(key, value);
      } else object[key] = value;
      this.space();
      const c = this.text.charCodeAt(this.at++);
      if (c === 0x7d) return map ?? object;
      if (c !== 0x2c) this.fail(`unexpected ${this.describe(this.at - 1)}, expected ',' or '}'`, this.at - 1);
    }
  }
}

/** Parse one JSON document keeping integer vs float (see the file comment). */
export function parseJson(text: string, options: DecodeOptions = {}): Value {
  return new JsonParser(text, options.exact ?? false).document();
}

/** printf("%.16g") for a finite double. */
export function formatG16(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa, exponentText] = value.toExponential(15).split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const digits = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa;
    const sign = exponent < 0 ? '-' : '+';
    return `${digits}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  const fixed = value.toFixed(Math.max(0, 15 - exponent));
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/** A float as Fluent Bit writes it in JSON: "%.16g", plus ".0" when that looks like an integer. */
export function formatFloat(value: number): string {
  if (!Number.isFinite(value)) return 'null'; // JSON has no NaN/Infinity
  const text = formatG16(value);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

function escapeString(value: string): string {
  let out = '"';
  let runStart = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) continue;
    out += value.slice(runStart, i);
    runStart = i + 1;
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += '\\\\';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      case 0x08:
        out += '\\b';
        break;
      case 0x0c:
        out += '\\f';
        break;
      default:
        out += '\\u' + c.toString(16).padStart(4, '0');
    }
  }
  return out + value.slice(runStart) + '"';
}

const utf8 = new TextDecoder('utf-8');

/** Compact JSON in Fluent Bit's style. EventTime is written as seconds with nine decimals. */
export function stringifyJson(value: Value | undefined): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER ? String(value) : formatFloat(value);
    case 'bigint':
      return value.toString();
    case 'string':
      return escapeString(value);
  }
  if (value instanceof Float) return formatFloat(value.value);
  if (value instanceof EventTime) return value.toString();
  if (value instanceof Uint8Array) return escapeString(utf8.decode(value));
  if (value instanceof ExtValue) return escapeString(utf8.decode(value.data));
  if (Array.isArray(value)) return '[' + value.map((item) => stringifyJson(item)).join(',') + ']';
  const parts: string[] = [];
  if (value instanceof Map) {
    for (const [key, item] of value) parts.push(escapeString(String(key)) + ':' + stringifyJson(item));
  } else if (isPlainObject(value)) {
    for (const key of Object.keys(value)) {
      if (value[key] !== undefined) parts.push(escapeString(key) + ':' + stringifyJson(value[key]));
    }
  } else {
    throw new TypeError(`cannot write ${Object.prototype.toString.call(value)} as JSON`);
  }
  return '{' + parts.join(',') + '}';
}
