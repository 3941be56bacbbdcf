// The keys logwasm supports, per section and plugin (§4). Anything else is an error.
import { parseBool, parseList, parseSize } from '../units.js';

export type KeyType =
  | { kind: 'string' }
  | { kind: 'int'; min?: number }
  | { kind: 'number'; min?: number }
  | { kind: 'size'; min?: number }
  | { kind: 'bool' }
  | { kind: 'list' }
  | { kind: 'duration_ms' }
  | { kind: 'enum'; values: string[] };

export interface KeySpec {
  type: KeyType;
  default?: unknown;
  required?: boolean;
  /** May appear more than once (values collected in a list). */
  repeat?: boolean;
  /** Another name for the same key (exec_wasi's old `bool` for `oneshot`). */
  aliasOf?: string;
}

export type Schema = Record<string, KeySpec>;

const string = (extra: Partial<KeySpec> = {}): KeySpec => ({ type: { kind: 'string' }, ...extra });
const int = (def?: number, min?: number): KeySpec => ({ type: { kind: 'int', min }, default: def });
const size = (def?: number): KeySpec => ({ type: { kind: 'size' }, default: def });
const bool = (def?: boolean): KeySpec => ({ type: { kind: 'bool' }, default: def });
const list = (def?: string[]): KeySpec => ({ type: { kind: 'list' }, default: def });
const oneOf = (values: string[], def?: string): KeySpec => ({ type: { kind: 'enum', values }, default: def });

export const SERVICE_SCHEMA: Schema = {
  flush: { type: { kind: 'number', min: 0 }, default: 1 },
  grace: { type: { kind: 'number', min: 0 }, default: 5 },
  log_level: oneOf(['off', 'error', 'warn', 'warning', 'info', 'debug', 'trace'], 'info'),
  parsers_file: { type: { kind: 'string' }, repeat: true },
  daemon: oneOf(['off', 'false', 'no'], 'off'), // logwasm runs in the foreground only
  // Fluent Bit's example configs spell the monitoring server out even when it is off; logwasm
  // has none, so only "off" is accepted, and its address keys mean nothing then.
  http_server: oneOf(['off', 'false', 'no'], 'off'),
  http_listen: string(),
  http_port: int(undefined, 0),
};

const INPUT_COMMON: Schema = { name: string({ required: true }), tag: string(), alias: string(), log_level: SERVICE_SCHEMA.log_level };
const FILTER_COMMON: Schema = { name: string({ required: true }), match: string(), match_regex: string(), alias: string(), log_level: SERVICE_SCHEMA.log_level };
const OUTPUT_COMMON: Schema = { ...FILTER_COMMON };

export const INPUT_SCHEMAS: Record<string, Schema> = {
  exec_wasi: {
    ...INPUT_COMMON,
    wasi_path: string({ required: true }),
    accessible_paths: list(['.']),
    parser: string(),
    interval_sec: int(1, 0),
    interval_nsec: int(0, 0),
    buf_size: size(4096),
    oneshot: bool(false),
    bool: { type: { kind: 'bool' }, aliasOf: 'oneshot' },
    wasm_heap_size: size(8192),
    wasm_stack_size: size(8192),
  },
  stdin: { ...INPUT_COMMON, parser: string(), buffer_size: size(16384) },
  dummy: {
    ...INPUT_COMMON,
    dummy: string({ default: '{"message":"dummy"}' }),
    metadata: string({ default: '{}' }),
    rate: int(1, 1),
    samples: int(0, 0),
    copies: int(1, 1),
    interval_sec: int(0, 0),
    interval_nsec: int(0, 0),
    start_time_sec: int(-1),
    start_time_nsec: int(-1),
    fixed_timestamp: bool(false),
    flush_on_startup: bool(false),
  },
};

export const FILTER_SCHEMAS: Record<string, Schema> = {
  wasm: {
    ...FILTER_COMMON,
    wasm_path: string({ required: true }),
    function_name: string({ required: true }),
    event_format: oneOf(['json', 'msgpack'], 'json'),
    accessible_paths: list(['.']),
    wasm_heap_size: size(8192),
    wasm_stack_size: size(8192),
    wasm_timeout: { type: { kind: 'duration_ms' }, default: 0 },
    wasm_max_memory: size(0),
    on_error: oneOf(['drop', 'keep'], 'drop'),
  },
};

export const OUTPUT_SCHEMAS: Record<string, Schema> = {
  stdout: {
    ...OUTPUT_COMMON,
    format: oneOf(['msgpack', 'json', 'json_lines', 'json_stream'], 'msgpack'),
    json_date_key: string({ default: 'date' }),
    json_date_format: oneOf(['double', 'epoch', 'epoch_ms', 'iso8601', 'java_sql_timestamp'], 'double'),
  },
  null: { ...OUTPUT_COMMON },
};

export const PARSER_SCHEMA: Schema = {
  name: string({ required: true }),
  format: oneOf(['json', 'regex'], undefined),
  regex: string(),
  time_key: string(),
  time_format: string(),
  time_keep: bool(false),
  types: string(),
};

/** Convert a text value per its type; returns an error text when it does not fit. */
export function convertValue(type: KeyType, text: string): { value: unknown } | { error: string } {
  switch (type.kind) {
    case 'string':
      return { value: text };
    case 'int': {
      if (!/^-?\d+$/.test(text.trim())) return { error: `must be an integer, got '${text}'` };
      const value = Number(text);
      if (type.min !== undefined && value < type.min) return { error: `must be at least ${type.min}, got ${value}` };
      return { value };
    }
    case 'number': {
      const value = Number(text);
      if (text.trim() === '' || !Number.isFinite(value)) return { error: `must be a number, got '${text}'` };
      if (type.min !== undefined && value < type.min) return { error: `must be at least ${type.min}, got ${value}` };
      return { value };
    }
    case 'size': {
      const value = parseSize(text);
      if (value === null) return { error: `must be a size such as 8192, 64K or 1M, got '${text}'` };
      return { value };
    }
    case 'bool': {
      const value = parseBool(text);
      if (value === null) return { error: `must be on/off, true/false or yes/no, got '${text}'` };
      return { value };
    }
    case 'list':
      return { value: parseList(text) };
    case 'duration_ms': {
      const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/i.exec(text);
      if (!match) return { error: `must be a duration such as 500ms, 2s or 1m (a bare number is milliseconds), got '${text}'` };
      const factor = { ms: 1, s: 1000, m: 60000 }[(match[2] ?? 'ms').toLowerCase() as 'ms' | 's' | 'm'];
      return { value: Math.round(Number(match[1]) * factor) };
    }
    case 'enum': {
      const value = text.trim().toLowerCase();
      if (!type.values.includes(value)) return { error: `must be one of ${type.values.join(', ')}, got '${text}'` };
      return { value };
    }
  }
}
