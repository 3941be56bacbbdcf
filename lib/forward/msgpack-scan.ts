// Walking msgpack bytes without decoding them: the forward protocol passes records on as the
// client sent them (types, float widths, EventTime), so the protocol layer only needs to know
// where each object starts and ends, and the few scalar values it inspects (tag, mode, option).

/** Bytes that are not msgpack, or a forward message of the wrong shape. */
export class ForwardProtocolError extends Error {
  readonly code = 'LOGWASM_ERR_PROTOCOL';
  constructor(message: string) {
    super(message);
    this.name = 'ForwardProtocolError';
  }
}

export type Kind = 'nil' | 'bool' | 'int' | 'float' | 'str' | 'bin' | 'array' | 'map' | 'ext';

/** One object's header: where its payload starts, how long the payload is (str/bin/ext: bytes;
 *  array: items; map: key/value pairs), and for ext its type. */
export interface Header {
  kind: Kind;
  /** Bytes of the header itself (type byte and length/ext-type fields). */
  headerSize: number;
  /** str/bin/ext: payload bytes; array: items; map: pairs; scalars: payload bytes after the header. */
  length: number;
  extType?: number;
}

/** Reads the header at `pos`; undefined when fewer than the header's bytes are available. */
export function readHeader(bytes: Uint8Array, pos: number, end: number): Header | undefined {
  if (pos >= end) return undefined;
  const b = bytes[pos];
  if (b <= 0x7f || b >= 0xe0) return { kind: 'int', headerSize: 1, length: 0 };
  if (b >= 0x80 && b <= 0x8f) return { kind: 'map', headerSize: 1, length: b & 0x0f };
  if (b >= 0x90 && b <= 0x9f) return { kind: 'array', headerSize: 1, length: b & 0x0f };
  if (b >= 0xa0 && b <= 0xbf) return { kind: 'str', headerSize: 1, length: b & 0x1f };
  const need = (n: number) => pos + n <= end;
  const u8 = () => bytes[pos + 1];
  const u16 = () => (bytes[pos + 1] << 8) | bytes[pos + 2];
  const u32 = () => ((bytes[pos + 1] << 24) | (bytes[pos + 2] << 16) | (bytes[pos + 3] << 8) | bytes[pos + 4]) >>> 0;
  switch (b) {
    case 0xc0: return { kind: 'nil', headerSize: 1, length: 0 };
    case 0xc2: case 0xc3: return { kind: 'bool', headerSize: 1, length: 0 };
    case 0xc4: return need(2) ? { kind: 'bin', headerSize: 2, length: u8() } : undefined;
    case 0xc5: return need(3) ? { kind: 'bin', headerSize: 3, length: u16() } : undefined;
    case 0xc6: return need(5) ? { kind: 'bin', headerSize: 5, length: u32() } : undefined;
    case 0xc7: return need(3) ? { kind: 'ext', headerSize: 3, length: u8(), extType: bytes[pos + 2] } : undefined;
    case 0xc8: return need(4) ? { kind: 'ext', headerSize: 4, length: u16(), extType: bytes[pos + 3] } : undefined;
    case 0xc9: return need(6) ? { kind: 'ext', headerSize: 6, length: u32(), extType: bytes[pos + 5] } : undefined;
    case 0xca: return { kind: 'float', headerSize: 1, length: 4 };
    case 0xcb: return { kind: 'float', headerSize: 1, length: 8 };
    case 0xcc: return { kind: 'int', headerSize: 1, length: 1 };
    case 0xcd: return { kind: 'int', headerSize: 1, length: 2 };
    case 0xce: return { kind: 'int', headerSize: 1, length: 4 };
    case 0xcf: return { kind: 'int', headerSize: 1, length: 8 };
    case 0xd0: return { kind: 'int', headerSize: 1, length: 1 };
    case 0xd1: return { kind: 'int', headerSize: 1, length: 2 };
    case 0xd2: return { kind: 'int', headerSize: 1, length: 4 };
    case 0xd3: return { kind: 'int', headerSize: 1, length: 8 };
    case 0xd4: return need(2) ? { kind: 'ext', headerSize: 2, length: 1, extType: bytes[pos + 1] } : undefined;
    case 0xd5: return need(2) ? { kind: 'ext', headerSize: 2, length: 2, extType: bytes[pos + 1] } : undefined;
    case 0xd6: return need(2) ? { kind: 'ext', headerSize: 2, length: 4, extType: bytes[pos + 1] } : undefined;
    case 0xd7: return need(2) ? { kind: 'ext', headerSize: 2, length: 8, extType: bytes[pos + 1] } : undefined;
    case 0xd8: return need(2) ? { kind: 'ext', headerSize: 2, length: 16, extType: bytes[pos + 1] } : undefined;
    case 0xd9: return need(2) ? { kind: 'str', headerSize: 2, length: u8() } : undefined;
    case 0xda: return need(3) ? { kind: 'str', headerSize: 3, length: u16() } : undefined;
    case 0xdb: return need(5) ? { kind: 'str', headerSize: 5, length: u32() } : undefined;
    case 0xdc: return need(3) ? { kind: 'array', headerSize: 3, length: u16() } : undefined;
    case 0xdd: return need(5) ? { kind: 'array', headerSize: 5, length: u32() } : undefined;
    case 0xde: return need(3) ? { kind: 'map', headerSize: 3, length: u16() } : undefined;
    case 0xdf: return need(5) ? { kind: 'map', headerSize: 5, length: u32() } : undefined;
  }
  throw new ForwardProtocolError(`byte 0x${b.toString(16)} at offset ${pos} is not a msgpack type (0xc1 is never used)`);
}

/** Payload bytes that follow the header (0 for containers, whose items follow). */
function payloadSize(header: Header): number {
  return header.kind === 'array' || header.kind === 'map' ? 0 : header.length;
}

function children(header: Header): number {
  return header.kind === 'array' ? header.length : header.kind === 'map' ? header.length * 2 : 0;
}

export const MAX_NESTING = 1000;

/**
 * Finds where each complete top-level msgpack object ends in a growing buffer, resuming where
 * the previous call stopped, so a large message arriving in many reads is walked once.
 */
export class FrameScanner {
  private pos = 0;
  private readonly open: number[] = [];

  /** Length of the first complete object of bytes[0..end), or -1 while it is incomplete.
   *  The bytes before `end` must be the same on every call until an object is returned. */
  scan(bytes: Uint8Array, end: number): number {
    for (;;) {
      const header = readHeader(bytes, this.pos, end);
      if (header === undefined) return -1;
      const size = header.headerSize + payloadSize(header);
      if (this.pos + size > end) return -1;
      this.pos += size;
      const open = this.open;
      if (open.length > 0) open[open.length - 1]--;
      const items = children(header);
      if (items > 0) {
        if (open.length >= MAX_NESTING) throw new ForwardProtocolError(`msgpack nests deeper than ${MAX_NESTING} levels`);
        open.push(items);
      }
      while (open.length > 0 && open[open.length - 1] === 0) open.pop();
      if (open.length === 0) {
        const length = this.pos;
        this.pos = 0;
        return length;
      }
    }
  }

  /** Bytes already walked of the incomplete object. */
  get scanned(): number {
    return this.pos;
  }

  reset(): void {
    this.pos = 0;
    this.open.length = 0;
  }
}

/** End offset of the complete object at `pos` (which must be complete: throws otherwise). */
export function skipObject(bytes: Uint8Array, pos: number, end: number): number {
  let pending = 1;
  while (pending > 0) {
    const header = readHeader(bytes, pos, end);
    if (header === undefined) throw new ForwardProtocolError(`truncated msgpack at offset ${pos}`);
    pos += header.headerSize + payloadSize(header);
    if (pos > end) throw new ForwardProtocolError(`truncated msgpack at offset ${pos}`);
    pending += children(header) - 1;
  }
  return pos;
}

/** A cursor over one complete msgpack buffer, for reading protocol structure. */
export class MsgpackCursor {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.pos = start;
  }

  peek(): Header {
    const header = readHeader(this.bytes, this.pos, this.end);
    if (header === undefined) throw new ForwardProtocolError(`truncated msgpack at offset ${this.pos}`);
    return header;
  }

  /** Reads an array header, returning its item count; throws if it is not an array. */
  arrayHeader(what: string): number {
    const header = this.peek();
    if (header.kind !== 'array') throw new ForwardProtocolError(`${what} must be an array, got ${header.kind}`);
    this.pos += header.headerSize;
    return header.length;
  }

  /** Reads a str or bin as bytes. */
  rawBytes(what: string): Uint8Array {
    const header = this.peek();
    if (header.kind !== 'str' && header.kind !== 'bin') throw new ForwardProtocolError(`${what} must be a string or binary, got ${header.kind}`);
    const start = this.pos + header.headerSize;
    if (start + header.length > this.end) throw new ForwardProtocolError(`${what} is truncated`);
    this.pos = start + header.length;
    return this.bytes.subarray(start, this.pos);
  }

  string(what: string): string {
    const header = this.peek();
    if (header.kind !== 'str') throw new ForwardProtocolError(`${what} must be a string, got ${header.kind}`);
    return Buffer.from(this.rawBytes(what)).toString('utf8');
  }

  /** Skips one object, returning its bytes (a view). */
  object(): Uint8Array {
    const start = this.pos;
    this.pos = skipObject(this.bytes, this.pos, this.end);
    return this.bytes.subarray(start, this.pos);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }
}
