// msgpack on the JavaScript side, through @msgpack/msgpack: plain objects in, plain objects out,
// EventTime as ext type 0 (8 bytes: big-endian u32 seconds, u32 nanoseconds), and integers
// exact over the whole i64/u64 range (bigint beyond 2^53).
//
// The library has one switch for 64-bit integers (useBigInt64) and either setting alone loses
// something: off, a u64 beyond 2^53 decodes rounded and a bigint cannot be encoded; on, every
// int64/uint64 decodes as bigint and numbers beyond 32 bits encode as floats. So the common case
// runs with it off, and only values that need it take the bigint path (see encodeMsgpack and
// decodeMsgpack).
import { Decoder, Encoder, ExtensionCodec } from '@msgpack/msgpack';
import { EventTime } from './event-time.js';
import { Value, isPlainObject } from './values.js';

export const EVENT_TIME_EXT_TYPE = 0;

/** Bytes that are not valid msgpack, or not the shape expected. */
export class MsgpackError extends Error {
  readonly code = 'LOGWASM_BAD_MSGPACK';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MsgpackError';
  }
}

// Thrown from inside the encoder when it meets a bigint it cannot write in plain mode.
const NEEDS_BIGINT = Symbol('logwasm: value holds a bigint');

export const extensionCodec = new ExtensionCodec();
extensionCodec.register({
  type: EVENT_TIME_EXT_TYPE,
  encode(input: unknown): Uint8Array | null {
    if (input instanceof EventTime) {
      const data = new Uint8Array(8);
      const view = new DataView(data.buffer);
      view.setUint32(0, input.seconds >>> 0);
      view.setUint32(4, input.nanoseconds);
      return data;
    }
    if (typeof input === 'bigint') throw NEEDS_BIGINT;
    return null;
  },
  decode(data: Uint8Array): EventTime {
    if (data.length !== 8) throw new MsgpackError(`EventTime (ext type 0) must have 8 bytes, got ${data.length}`);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const nanoseconds = view.getUint32(4);
    if (nanoseconds >= 1_000_000_000) throw new MsgpackError(`EventTime has ${nanoseconds} nanoseconds (max 999999999)`);
    return new EventTime(view.getUint32(0), nanoseconds);
  },
});

const MAX_DEPTH = 512;
// ignoreUndefined: a key whose value is undefined is left out, as JSON.stringify does
const plainEncoder = new Encoder({ extensionCodec, maxDepth: MAX_DEPTH, ignoreUndefined: true });
const bigEncoder = new Encoder({ extensionCodec, maxDepth: MAX_DEPTH, ignoreUndefined: true, useBigInt64: true });
const plainDecoder = new Decoder({ extensionCodec });
const bigDecoder = new Decoder({ extensionCodec, useBigInt64: true });

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

// For the bigint encoder: integers beyond 32 bits as bigint (it writes such numbers as floats),
// small bigints as numbers (so they keep their smallest encoding).
function widen(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new RangeError(`value nests deeper than ${MAX_DEPTH} levels`);
  switch (typeof value) {
    case 'number':
      return Number.isSafeInteger(value) && (value > 0xffffffff || value < -0x80000000) ? BigInt(value) : value;
    case 'bigint':
      if (value < INT64_MIN || value > UINT64_MAX) throw new RangeError(`integer ${value} does not fit msgpack's 64 bits`);
      return value >= -0x80000000n && value <= 0xffffffffn ? Number(value) : value;
  }
  if (Array.isArray(value)) return value.map((item) => widen(item, depth + 1));
  if (isPlainObject(value)) {
    const out: { [key: string]: unknown } = {};
    for (const key of Object.keys(value)) out[key] = widen(value[key], depth + 1);
    return out;
  }
  return value;
}

// After the bigint decoder: integers within 2^53 back to numbers.
function narrow(value: unknown): unknown {
  if (typeof value === 'bigint') return value >= SAFE_MIN && value <= SAFE_MAX ? Number(value) : value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = narrow(value[i]);
  } else if (isPlainObject(value)) {
    for (const key of Object.keys(value)) value[key] = narrow(value[key]) as Value;
  }
  return value;
}

// Only the 0xcf (uint64) and 0xd3 (int64) type bytes can hold what a double cannot; bytes
// without either value anywhere decode the same in both modes.
function mayHold64BitIntegers(bytes: Uint8Array): boolean {
  return bytes.indexOf(0xcf) >= 0 || bytes.indexOf(0xd3) >= 0;
}

/** Encode one value (plain objects, arrays, numbers, bigint, EventTime, Uint8Array...). */
export function encodeMsgpack(value: Value | unknown): Uint8Array {
  try {
    return plainEncoder.encode(value);
  } catch (error) {
    if (error !== NEEDS_BIGINT) throw error;
    return bigEncoder.encode(widen(value));
  }
}

/** encodeMsgpack into the encoder's own buffer: valid until the next encode, for handing
 *  straight to a call that copies it (saves a copy per record). */
export function encodeMsgpackShared(value: Value | unknown): Uint8Array {
  try {
    return plainEncoder.encodeSharedRef(value);
  } catch (error) {
    if (error !== NEEDS_BIGINT) throw error;
    return bigEncoder.encodeSharedRef(widen(value));
  }
}

function wrap(error: unknown, what: string): never {
  if (error instanceof MsgpackError) throw error;
  const message = error instanceof Error ? error.message : String(error);
  throw new MsgpackError(`${what}: ${/outside the bounds|Insufficient data/i.test(message) ? 'truncated msgpack' : message}`, { cause: error });
}

/** Decode exactly one object; trailing bytes are an error. */
export function decodeMsgpack(bytes: Uint8Array): Value {
  try {
    if (!mayHold64BitIntegers(bytes)) return plainDecoder.decode(bytes) as Value;
    return narrow(bigDecoder.decode(bytes)) as Value;
  } catch (error) {
    wrap(error, 'invalid msgpack');
  }
}

/** Decode every object of a byte sequence (a chunk is one object per event). */
export function decodeMsgpackSequence(bytes: Uint8Array): Value[] {
  try {
    if (!mayHold64BitIntegers(bytes)) return [...plainDecoder.decodeMulti(bytes)] as Value[];
    return [...bigDecoder.decodeMulti(bytes)].map(narrow) as Value[];
  } catch (error) {
    wrap(error, 'corrupt chunk');
  }
}
