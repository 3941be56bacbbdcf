// MessagePack encoding and decoding with the kinds Fluent Bit keeps apart.
//
// Why not a general msgpack library: a record must keep integer vs float (`120.0` is a float,
// `120` an int), float32 vs float64, integers over the full i64/u64 range with their smallest
// encoding, map key order, and EventTime (ext type 0). General encoders decide the kind from the
// JavaScript number alone, so they cannot write an integral float; this codec can (`Float`).
import { EventTime } from './event-time.js';
import { DecodeOptions, ExtValue, Float, INT64_MIN, UINT64_MAX, Value, isPlainObject } from './values.js';

export const EVENT_TIME_EXT_TYPE = 0;

/** Raised for bytes that are not valid msgpack; `offset` is where decoding stopped. */
export class MsgpackError extends Error {
  readonly code = 'LOGWASM_BAD_MSGPACK';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'MsgpackError';
  }
}

export class MsgpackWriter {
  private buffer: Buffer;
  private length = 0;

  constructor(initialSize = 256) {
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  /** The bytes written so far (a copy, so the writer can be reused). */
  bytes(): Uint8Array {
    return new Uint8Array(this.buffer.subarray(0, this.length));
  }

  /** The bytes written so far as a view of the writer's buffer: valid until the next write or
   *  reset (no copy, for handing straight to a call that does not keep it). */
  view(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  reset(): void {
    this.length = 0;
  }

  private reserve(count: number): void {
    if (this.length + count <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + count) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  private byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  private header(tag: number, value: number, width: 1 | 2 | 4): void {
    this.reserve(1 + width);
    this.buffer[this.length++] = tag;
    if (width === 1) this.buffer[this.length] = value;
    else if (width === 2) this.buffer.writeUInt16BE(value, this.length);
    else this.buffer.writeUInt32BE(value, this.length);
    this.length += width;
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  nil(): void {
    this.byte(0xc0);
  }

  boolean(value: boolean): void {
    this.byte(value ? 0xc3 : 0xc2);
  }

  /** An integer with its smallest encoding (positive values as unsigned, as Fluent Bit does). */
  integer(value: number | bigint): void {
    if (typeof value === 'number') {
      if (value >= 0) {
        if (value < 0x80) return this.byte(value);
        if (value < 0x100) return this.header(0xcc, value, 1);
        if (value < 0x10000) return this.header(0xcd, value, 2);
        if (value < 0x100000000) return this.header(0xce, value, 4);
      } else {
        if (value >= -32) return this.byte(value & 0xff);
        if (value >= -0x80) return this.header(0xd0, value & 0xff, 1);
        if (value >= -0x8000) return this.header(0xd1, value & 0xffff, 2);
        if (value >= -0x80000000) return this.header(0xd2, value >>> 0, 4);
      }
      return this.integer(BigInt(value));
    }
    if (value < INT64_MIN || value > UINT64_MAX) {
      throw new RangeError(`integer ${value} is outside the 64-bit range msgpack can hold`);
    }
    if (value >= -0x80000000n && value < 0x100000000n) return this.integer(Number(value));
    this.reserve(9);
    if (value >= 0n) {
      this.buffer[this.length++] = 0xcf;
      this.buffer.writeBigUInt64BE(value, this.length);
    } else {
      this.buffer[this.length++] = 0xd3;
      this.buffer.writeBigInt64BE(value, this.length);
    }
    this.length += 8;
  }

  float64(value: number): void {
    this.reserve(9);
    this.buffer[this.length++] = 0xcb;
    this.buffer.writeDoubleBE(value, this.length);
    this.length += 8;
  }

  float32(value: number): void {
    this.reserve(5);
    this.buffer[this.length++] = 0xca;
    this.buffer.writeFloatBE(value, this.length);
    this.length += 4;
  }

  string(value: string): void {
    // Short ASCII strings (most keys and many values) are copied directly: calling into
    // Buffer for each one costs more than the copy.
    const length = value.length;
    if (length < 32) {
      this.reserve(1 + length);
      const buffer = this.buffer;
      let at = this.length + 1;
      let i = 0;
      for (; i < length; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) break;
        buffer[at++] = c;
      }
      if (i === length) {
        buffer[this.length] = 0xa0 | length;
        this.length = at;
        return;
      }
    }
    const byteLength = Buffer.byteLength(value, 'utf8');
    if (byteLength < 32) this.byte(0xa0 | byteLength);
    else if (byteLength < 0x100) this.header(0xd9, byteLength, 1);
    else if (byteLength < 0x10000) this.header(0xda, byteLength, 2);
    else this.header(0xdb, byteLength, 4);
    this.reserve(byteLength);
    this.length += this.buffer.write(value, this.length, 'utf8');
  }

  binary(value: Uint8Array): void {
    if (value.length < 0x100) this.header(0xc4, value.length, 1);
    else if (value.length < 0x10000) this.header(0xc5, value.length, 2);
    else this.header(0xc6, value.length, 4);
    this.raw(value);
  }

  arrayHeader(count: number): void {
    if (count < 16) this.byte(0x90 | count);
    else if (count < 0x10000) this.header(0xdc, count, 2);
    else this.header(0xdd, count, 4);
  }

  mapHeader(count: number): void {
    if (count < 16) this.byte(0x80 | count);
    else if (count < 0x10000) this.header(0xde, count, 2);
    else this.header(0xdf, count, 4);
  }

  extension(type: number, data: Uint8Array): void {
    const fixed: Record<number, number> = { 1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8 };
    const tag = fixed[data.length];
    if (tag !== undefined) {
      this.reserve(2);
      this.buffer[this.length++] = tag;
      this.buffer[this.length++] = type & 0xff;
    } else {
      if (data.length < 0x100) this.header(0xc7, data.length, 1);
      else if (data.length < 0x10000) this.header(0xc8, data.length, 2);
      else this.header(0xc9, data.length, 4);
      this.byte(type & 0xff);
    }
    this.raw(data);
  }

  eventTime(time: EventTime): void {
    this.reserve(10);
    this.buffer[this.length++] = 0xd7;
    this.buffer[this.length++] = EVENT_TIME_EXT_TYPE;
    this.buffer.writeUInt32BE(time.seconds >>> 0, this.length);
    this.buffer.writeUInt32BE(time.nanoseconds, this.length + 4);
    this.length += 8;
  }

  value(value: Value | undefined, depth = 0): void {
    if (depth > 512) throw new RangeError('value nests deeper than 512 levels');
    if (value === null || value === undefined) return this.nil();
    switch (typeof value) {
      case 'boolean':
        return this.boolean(value);
      case 'number':
        // Integral numbers are integers (JSON.parse gives 10 for "10"); others are float64.
        return Number.isSafeInteger(value) ? this.integer(value) : this.float64(value);
      case 'bigint':
        return this.integer(value);
      case 'string':
        return this.string(value);
    }
    if (value instanceof Float) return value.bits === 32 ? this.float32(value.value) : this.float64(value.value);
    if (value instanceof EventTime) return this.eventTime(value);
    if (value instanceof Uint8Array) return this.binary(value);
    if (value instanceof ExtValue) return this.extension(value.type, value.data);
    if (Array.isArray(value)) {
      this.arrayHeader(value.length);
      for (const item of value) this.value(item, depth + 1);
      return;
    }
    if (value instanceof Map) {
      this.mapHeader(value.size);
      for (const [key, item] of value) {
        if (typeof key === 'number') this.integer(key);
        else this.string(key);
        this.value(item, depth + 1);
      }
      return;
    }
    if (isPlainObject(value)) {
      const keys = Object.keys(value).filter((key) => value[key] !== undefined);
      this.mapHeader(keys.length);
      for (const key of keys) {
        this.string(key);
        this.value(value[key], depth + 1);
      }
      return;
    }
    throw new TypeError(`cannot encode ${Object.prototype.toString.call(value)} as msgpack`);
  }
}

/** Encode one value. */
export function encodeMsgpack(value: Value): Uint8Array {
  const writer = new MsgpackWriter();
  writer.value(value);
  return writer.bytes();
}

const utf8 = new TextDecoder('utf-8');

const KEY_CACHE_SIZE = 1024;
const keyCacheBytes: (Uint8Array | undefined)[] = new Array(KEY_CACHE_SIZE);
const keyCacheStrings: string[] = new Array(KEY_CACHE_SIZE);

/** Reads msgpack objects one after another from a byte array. */
export class MsgpackReader {
  offset: number;
  private readonly view: DataView;
  private readonly exact: boolean;

  constructor(
    readonly bytes: Uint8Array,
    options: DecodeOptions & { offset?: number } = {},
  ) {
    this.offset = options.offset ?? 0;
    this.exact = options.exact ?? false;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  private need(count: number): number {
    const at = this.offset;
    if (at + count > this.bytes.length) {
      throw new MsgpackError(
        `truncated msgpack: ${count} byte(s) needed at offset ${at}, only ${this.bytes.length - at} left`,
        at,
      );
    }
    this.offset = at + count;
    return at;
  }

  /** The type byte of the next object, without consuming it. */
  peek(): number {
    if (this.offset >= this.bytes.length) throw new MsgpackError(`truncated msgpack at offset ${this.offset}`, this.offset);
    return this.bytes[this.offset];
  }

  /** Skip one object, returning its bytes (a view, not a copy). */
  skip(): Uint8Array {
    const start = this.offset;
    this.read();
    return this.bytes.subarray(start, this.offset);
  }

  private str(length: number): string {
    const at = this.need(length);
    const bytes = this.bytes;
    if (length < 64) {
      // short ASCII: one fromCharCode call gives a flat string; TextDecoder's per-call cost
      // dominates short strings
      for (let i = at; i < at + length; i++) {
        if (bytes[i] >= 0x80) return utf8.decode(bytes.subarray(at, at + length));
      }
      return String.fromCharCode.apply(null, bytes.subarray(at, at + length) as unknown as number[]);
    }
    return utf8.decode(bytes.subarray(at, at + length));
  }

  /** A map key: short string keys repeat from record to record, so they come from a cache
   *  (no new string, and the same internalized string for every object's property). */
  private cachedKey(length: number): string {
    const at = this.need(length);
    const bytes = this.bytes;
    let hash = length;
    for (let i = at; i < at + length; i++) hash = (Math.imul(hash, 31) + bytes[i]) | 0;
    const slot = (hash >>> 0) & (KEY_CACHE_SIZE - 1);
    const cached = keyCacheBytes[slot];
    if (cached !== undefined && cached.length === length) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (cached[i] !== bytes[at + i]) {
          same = false;
          break;
        }
      }
      if (same) return keyCacheStrings[slot];
    }
    const key = utf8.decode(bytes.subarray(at, at + length));
    keyCacheBytes[slot] = bytes.slice(at, at + length);
    keyCacheStrings[slot] = key;
    return key;
  }

  private u64(at: number): number | bigint {
    const value = this.view.getBigUint64(at);
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  private i64(at: number): number | bigint {
    const value = this.view.getBigInt64(at);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  private float(value: number, bits: 32 | 64): Value {
    return this.exact ? new Float(value, bits) : value;
  }

  private array(count: number, depth: number): Value[] {
    const items: Value[] = new Array(count);
    for (let i = 0; i < count; i++) items[i] = this.read(depth + 1);
    return items;
  }

  private map(count: number, depth: number): Value {
    if (this.exact) {
      const map = new Map<string | number, Value>();
      for (let i = 0; i < count; i++) {
        const key = this.key(depth);
        map.delete(key); // a duplicate key moves to where it last occurs, and its value wins
        map.set(key, this.read(depth + 1));
      }
      return map;
    }
    const object: { [key: string]: Value } = {};
    for (let i = 0; i < count; i++) {
      const key = this.key(depth);
      object[typeof key === 'string' ? key : String(key)] = this.read(depth + 1);
    }
    return object;
  }

  private key(depth: number): string | number {
    const at = this.offset;
    const tag = this.bytes[at];
    if (tag >= 0xa0 && tag <= 0xbf) {
      this.offset = at + 1;
      return this.cachedKey(tag & 0x1f);
    }
    const key = this.read(depth + 1);
    if (typeof key === 'string' || typeof key === 'number') return key;
    if (typeof key === 'bigint') return key.toString();
    if (key instanceof Uint8Array) return utf8.decode(key);
    throw new MsgpackError(`unsupported msgpack map key at offset ${at}: only strings and integers are allowed`, at);
  }

  private ext(type: number, length: number): Value {
    const at = this.need(length);
    const data = this.bytes.subarray(at, at + length);
    if (type === EVENT_TIME_EXT_TYPE && length === 8) {
      const nanoseconds = this.view.getUint32(at + 4);
      if (nanoseconds >= 1_000_000_000) {
        throw new MsgpackError(`EventTime at offset ${at} has ${nanoseconds} nanoseconds (max 999999999)`, at);
      }
      return new EventTime(this.view.getUint32(at), nanoseconds);
    }
    return new ExtValue(type, new Uint8Array(data));
  }

  /** Read one object. */
  read(depth = 0): Value {
    if (depth > 512) throw new MsgpackError('msgpack nests deeper than 512 levels', this.offset);
    const at = this.need(1);
    const tag = this.bytes[at];
    if (tag < 0x80) return tag;
    if (tag < 0x90) return this.map(tag & 0x0f, depth);
    if (tag < 0xa0) return this.array(tag & 0x0f, depth);
    if (tag < 0xc0) return this.str(tag & 0x1f);
    if (tag >= 0xe0) return tag - 0x100;
    const view = this.view;
    switch (tag) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4: {
        const n = view.getUint8(this.need(1));
        const p = this.need(n);
        return new Uint8Array(this.bytes.subarray(p, p + n));
      }
      case 0xc5: {
        const n = view.getUint16(this.need(2));
        const p = this.need(n);
        return new Uint8Array(this.bytes.subarray(p, p + n));
      }
      case 0xc6: {
        const n = view.getUint32(this.need(4));
        const p = this.need(n);
        return new Uint8Array(this.bytes.subarray(p, p + n));
      }
      case 0xc7: {
        const n = view.getUint8(this.need(1));
        return this.ext(view.getInt8(this.need(1)), n);
      }
      case 0xc8: {
        const n = view.getUint16(this.need(2));
        return this.ext(view.getInt8(this.need(1)), n);
      }
      case 0xc9: {
        const n = view.getUint32(this.need(4));
        return this.ext(view.getInt8(this.need(1)), n);
      }
      case 0xca:
        return this.float(view.getFloat32(this.need(4)), 32);
      case 0xcb:
        return this.float(view.getFloat64(this.need(8)), 64);
      case 0xcc:
        return view.getUint8(this.need(1));
      case 0xcd:
        return view.getUint16(this.need(2));
      case 0xce:
        return view.getUint32(this.need(4));
      case 0xcf:
        return this.u64(this.need(8));
      case 0xd0:
        return view.getInt8(this.need(1));
      case 0xd1:
        return view.getInt16(this.need(2));
      case 0xd2:
        return view.getInt32(this.need(4));
      case 0xd3:
        return this.i64(this.need(8));
      case 0xd4:
        return this.ext(view.getInt8(this.need(1)), 1);
      case 0xd5:
        return this.ext(view.getInt8(this.need(1)), 2);
      case 0xd6:
        return this.ext(view.getInt8(this.need(1)), 4);
      case 0xd7:
        return this.ext(view.getInt8(this.need(1)), 8);
      case 0xd8:
        return this.ext(view.getInt8(this.need(1)), 16);
      case 0xd9:
        return this.str(view.getUint8(this.need(1)));
      case 0xda:
        return this.str(view.getUint16(this.need(2)));
      case 0xdb:
        return this.str(view.getUint32(this.need(4)));
      case 0xdc:
        return this.array(view.getUint16(this.need(2)), depth);
      case 0xdd:
        return this.array(view.getUint32(this.need(4)), depth);
      case 0xde:
        return this.map(view.getUint16(this.need(2)), depth);
      case 0xdf:
        return this.map(view.getUint32(this.need(4)), depth);
      default:
        throw new MsgpackError(`invalid msgpack type byte 0x${tag.toString(16)} at offset ${at}`, at);
    }
  }
}

/** Decode exactly one object; trailing bytes are an error. */
export function decodeMsgpack(bytes: Uint8Array, options: DecodeOptions = {}): Value {
  const reader = new MsgpackReader(bytes, options);
  const value = reader.read();
  if (!reader.done) {
    throw new MsgpackError(
      `${bytes.length - reader.offset} unexpected byte(s) after the msgpack object at offset ${reader.offset}`,
      reader.offset,
    );
  }
  return value;
}
