// The values a record body can hold, as JavaScript sees them.
//
// Plain mode (the default) is what a JavaScript user expects: maps become objects, every number
// a number, integers beyond 2^53 a bigint. Exact mode keeps what plain JavaScript would lose and
// Fluent Bit distinguishes: floats are `Float` (so `120.0` stays a float), maps are `Map` (so key
// order survives even for keys like "1").
import { EventTime } from './event-time.js';

/** A floating-point number that must stay a float when encoded (msgpack float32/float64). */
export class Float {
  constructor(
    readonly value: number,
    readonly bits: 32 | 64 = 64,
  ) {}
  valueOf(): number {
    return this.value;
  }
}

/** A msgpack extension value other than EventTime (type 0). */
export class ExtValue {
  constructor(
    readonly type: number,
    readonly data: Uint8Array,
  ) {}
}

export type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Float
  | ExtValue
  | EventTime
  | Value[]
  | Map<string | number, Value>
  | { [key: string]: Value };

/** Options shared by the decoders (msgpack, JSON). */
export interface DecodeOptions {
  /** Keep floats as `Float` and maps as `Map` (default false). */
  exact?: boolean;
}

export const INT64_MIN = -(2n ** 63n);
export const UINT64_MAX = 2n ** 64n - 1n;

export function isPlainObject(value: unknown): value is { [key: string]: Value } {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function isMapValue(value: unknown): value is Map<string | number, Value> | { [key: string]: Value } {
  return value instanceof Map || isPlainObject(value);
}
