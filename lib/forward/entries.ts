// Forward protocol entries (`[time, record]`, or Fluent Bit's `[[time, metadata], record]`) and
// their times: checked in place on the way in, rewritten the way Fluent Bit sends them on the
// way out. A time is an integer, a float, or an EventTime: ext type 0 with 8 bytes, big-endian
// seconds then nanoseconds.
import { ForwardProtocolError, Header, MsgpackCursor, readHeader, skipObject } from './msgpack-scan.js';

export const EVENT_TIME_EXT = 0;

function isTime(header: Header): boolean {
  return header.kind === 'int' || header.kind === 'float' || (header.kind === 'ext' && header.extType === EVENT_TIME_EXT && header.length === 8);
}

/** Why the entry at `pos` is not `[time, map]` / `[[time, map], map]`, or undefined if it is one. */
function entryProblem(bytes: Uint8Array, pos: number, end: number): string | undefined {
  const head = readHeader(bytes, pos, end);
  if (!head || head.kind !== 'array' || head.length !== 2) return 'an entry is not a [time, record] array';
  pos += head.headerSize;
  const time = readHeader(bytes, pos, end);
  if (!time) return 'an entry is truncated';
  if (time.kind === 'array') {
    if (time.length !== 2) return 'an entry header is not [time, metadata]';
    const inner = readHeader(bytes, pos + time.headerSize, end);
    if (!inner || !isTime(inner)) return 'an entry has a time that is not an integer, a float or an EventTime';
    pos = skipObject(bytes, pos + time.headerSize, end);
    const metadata = readHeader(bytes, pos, end);
    if (!metadata || metadata.kind !== 'map') return 'an entry has metadata that is not a map';
    pos = skipObject(bytes, pos, end);
  } else {
    if (!isTime(time)) return 'an entry has a time that is not an integer, a float or an EventTime';
    pos = skipObject(bytes, pos, end);
  }
  const record = readHeader(bytes, pos, end);
  if (!record || record.kind !== 'map') return 'an entry has a record that is not a map';
  return undefined;
}

export interface CheckedEntries {
  /** The valid entries, concatenated (the input's own bytes when every entry was valid). */
  events: Uint8Array;
  records: number;
  /** Entries left out, and why the first was. */
  invalid: number;
  problem?: string;
}

/** Checks `count` entries (or every entry up to `end` when count is undefined) at `start`. */
export function checkEntries(bytes: Uint8Array, start: number, end: number, count?: number): CheckedEntries {
  let pos = start;
  let records = 0;
  let invalid = 0;
  let problem: string | undefined;
  let kept: Uint8Array[] | undefined;
  let runStart = start;
  for (let i = 0; count === undefined ? pos < end : i < count; i++) {
    const entryStart = pos;
    let next: number;
    try {
      next = skipObject(bytes, pos, end);
    } catch (error) {
      // a packed stream whose last entry is cut short: nothing after it can be read
      throw new ForwardProtocolError(`entry ${i}: ${(error as Error).message}`);
    }
    const why = entryProblem(bytes, pos, next);
    pos = next;
    if (why === undefined) {
      records++;
      continue;
    }
    invalid++;
    problem ??= `entry ${i}: ${why}`;
    kept ??= [];
    if (entryStart > runStart) kept.push(bytes.subarray(runStart, entryStart));
    runStart = pos;
  }
  if (kept === undefined) return { events: bytes.subarray(start, pos), records, invalid };
  if (pos > runStart) kept.push(bytes.subarray(runStart, pos));
  return { events: Buffer.concat(kept), records, invalid, problem };
}

/** The seconds and nanoseconds of the time at `pos` (int, float or EventTime). */
export function readTime(bytes: Uint8Array, pos: number, end: number): { seconds: number; nanoseconds: number } {
  const header = readHeader(bytes, pos, end);
  if (!header || !isTime(header)) throw new ForwardProtocolError(`offset ${pos}: not a time`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (header.kind === 'ext') {
    const at = pos + header.headerSize;
    return { seconds: view.getUint32(at), nanoseconds: view.getUint32(at + 4) };
  }
  const b = bytes[pos];
  let value: number;
  if (b <= 0x7f) value = b;
  else if (b >= 0xe0) value = b - 0x100;
  else {
    const at = pos + 1;
    switch (b) {
      case 0xca: value = view.getFloat32(at); break;
      case 0xcb: value = view.getFloat64(at); break;
      case 0xcc: value = view.getUint8(at); break;
      case 0xcd: value = view.getUint16(at); break;
      case 0xce: value = view.getUint32(at); break;
      case 0xcf: value = Number(view.getBigUint64(at)); break;
      case 0xd0: value = view.getInt8(at); break;
      case 0xd1: value = view.getInt16(at); break;
      case 0xd2: value = view.getInt32(at); break;
      default: value = Number(view.getBigInt64(at)); break;
    }
  }
  if (Number.isInteger(value)) return { seconds: value, nanoseconds: 0 };
  let seconds = Math.floor(value);
  let nanoseconds = Math.round((value - seconds) * 1e9);
  if (nanoseconds >= 1e9) {
    seconds++;
    nanoseconds -= 1e9;
  }
  return { seconds, nanoseconds };
}

function writeInteger(out: Buffer, at: number, value: number): number {
  if (value >= 0 && value <= 0x7f) {
    out[at] = value;
    return at + 1;
  }
  if (value >= 0 && value <= 0xffffffff) {
    out[at] = 0xce;
    out.writeUInt32BE(value, at + 1);
    return at + 5;
  }
  out[at] = 0xd3;
  out.writeBigInt64BE(BigInt(value), at + 1);
  return at + 9;
}

export interface ToForwardOptions {
  /** Integer seconds instead of EventTime (Fluentd v0.12 compatibility). */
  timeAsInteger?: boolean;
  /** Keep `[[time, metadata], record]`; otherwise entries are `[time, record]`. */
  retainMetadata?: boolean;
}

/**
 * Rewrites engine events (`[[time, metadata], body]` or `[time, body]`) as forward entries,
 * times as EventTime (or integers), bodies byte for byte. Group markers (negative times) are
 * engine-internal and not sent.
 */
export function toForwardEntries(chunk: Uint8Array, options: ToForwardOptions = {}): { entries: Buffer; records: number } {
  const out = Buffer.allocUnsafe(chunk.length + 16 * 64 + (chunk.length >> 2));
  let buffer = out;
  let at = 0;
  let records = 0;
  const cursor = new MsgpackCursor(chunk);
  const ensure = (extra: number) => {
    if (at + extra <= buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(buffer.length * 2, at + extra));
    buffer.copy(bigger, 0, 0, at);
    buffer = bigger;
  };
  while (!cursor.done) {
    if (cursor.arrayHeader('an event') !== 2) throw new ForwardProtocolError('an event is not a [header, body] array');
    let timeStart: number;
    let metadata: Uint8Array | undefined;
    const head = cursor.peek();
    if (head.kind === 'array') {
      if (cursor.arrayHeader('an event header') !== 2) throw new ForwardProtocolError('an event header is not [time, metadata]');
      timeStart = cursor.pos;
      cursor.object();
      metadata = cursor.object();
    } else {
      timeStart = cursor.pos;
      cursor.object();
    }
    const timeEnd = cursor.pos;
    const body = cursor.object();
    const time = readTime(chunk, timeStart, timeEnd);
    if (time.seconds < 0) continue; // a group marker
    const keepMetadata = options.retainMetadata && metadata !== undefined;
    ensure(2 + 10 + (keepMetadata ? metadata!.length + 1 : 0) + body.length);
    buffer[at++] = 0x92;
    if (keepMetadata) buffer[at++] = 0x92;
    if (options.timeAsInteger) at = writeInteger(buffer, at, time.seconds);
    else if (chunk[timeStart] === 0xd7 && timeEnd - timeStart === 10) {
      buffer.set(chunk.subarray(timeStart, timeEnd), at);
      at += 10;
    } else {
      buffer[at] = 0xd7;
      buffer[at + 1] = EVENT_TIME_EXT;
      buffer.writeUInt32BE(time.seconds >>> 0, at + 2);
      buffer.writeUInt32BE(time.nanoseconds, at + 6);
      at += 10;
    }
    if (keepMetadata) {
      buffer.set(metadata!, at);
      at += metadata!.length;
    }
    buffer.set(body, at);
    at += body.length;
    records++;
  }
  return { entries: buffer.subarray(0, at), records };
}
