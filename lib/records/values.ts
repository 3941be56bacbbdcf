// The values a record body holds on the JavaScript side: what @msgpack/msgpack gives and takes.
// Maps are plain objects, integers numbers (bigint beyond 2^53), floats numbers, EventTime for
// msgpack ext type 0 and ExtData for other extension values. A plain number cannot say "float"
// (120.0 is 120), so where that matters the bytes stay msgpack and JSON goes through the native
// converters (see native-json.ts).
import type { ExtData } from '@msgpack/msgpack';
import type { EventTime } from './event-time.js';

export type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | EventTime
  | ExtData
  | Value[]
  | { [key: string]: Value };

export function isPlainObject(value: unknown): value is { [key: string]: Value } {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
