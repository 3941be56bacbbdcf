// The messages of the Forward protocol v1, read from one complete msgpack frame:
//   Message                 [tag, time, record, option?]
//   Forward                 [tag, [entry...], option?]
//   PackedForward           [tag, bin/str of concatenated entries, option?]
//   CompressedPackedForward the same with option.compressed = "gzip" (one or more gzip members)
// and the handshake's PING. The entries stay the sender's bytes.
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';
import { decode, encode } from '@msgpack/msgpack';
import { checkEntries } from './entries.js';
import { ForwardProtocolError, MsgpackCursor } from './msgpack-scan.js';

const gunzip = promisify(gunzipCallback);

export type ForwardMode = 'message' | 'forward' | 'packed' | 'compressed';

export interface ForwardOption {
  /** Echoed in the ack; str or bin as sent. */
  chunk?: string | Uint8Array;
  size?: number;
  compressed?: string;
  /** Fluent Bit: 0 logs, 1 metrics, 2 traces. */
  fluent_signal?: number;
  [key: string]: unknown;
}

export interface EventsMessage {
  type: 'events';
  mode: ForwardMode;
  tag: string;
  /** Entries, concatenated; for 'compressed', still gzip until inflateEvents(). */
  events: Uint8Array;
  records: number;
  invalid: number;
  problem?: string;
  option: ForwardOption;
}

export interface PingMessage {
  type: 'ping';
  clientHostname: string;
  sharedKeySalt: Uint8Array;
  sharedKeyDigest: string;
  username: string;
  passwordDigest: string;
}

export type ClientMessage = EventsMessage | PingMessage;

function readOption(cursor: MsgpackCursor, itemsLeft: number): ForwardOption {
  if (itemsLeft <= 0) return {};
  const header = cursor.peek();
  const bytes = cursor.object();
  if (header.kind === 'nil') return {};
  if (header.kind !== 'map') throw new ForwardProtocolError(`the option must be a map, got ${header.kind}`);
  return decode(bytes) as ForwardOption;
}

/** Reads one client message from a complete frame. */
export function parseClientMessage(frame: Uint8Array): ClientMessage {
  const cursor = new MsgpackCursor(frame);
  const items = cursor.arrayHeader('a forward message');
  if (items < 2) throw new ForwardProtocolError(`a forward message has at least 2 items, got ${items}`);
  const tag = cursor.string('the tag (first item)');
  if (tag === 'PING' && items === 6) {
    return {
      type: 'ping',
      clientHostname: cursor.string('PING hostname'),
      sharedKeySalt: cursor.rawBytes('PING shared_key_salt'),
      sharedKeyDigest: Buffer.from(cursor.rawBytes('PING shared_key_hexdigest')).toString('latin1'),
      username: Buffer.from(cursor.rawBytes('PING username')).toString('utf8'),
      passwordDigest: Buffer.from(cursor.rawBytes('PING password digest')).toString('latin1'),
    };
  }
  const second = cursor.peek();
  if (second.kind === 'array') {
    const count = cursor.arrayHeader('entries');
    const start = cursor.pos;
    const checked = checkEntries(frame, start, frame.length, count);
    cursor.pos = start + (checked.invalid === 0 ? checked.events.length : skipEntries(frame, start, count));
    const option = readOption(cursor, items - 2);
    return { type: 'events', mode: 'forward', tag, ...checked, option };
  }
  if (second.kind === 'str' || second.kind === 'bin') {
    const stream = cursor.rawBytes('the packed entries');
    const option = readOption(cursor, items - 2);
    if (option.compressed === 'gzip') return { type: 'events', mode: 'compressed', tag, events: stream, records: 0, invalid: 0, option };
    if (option.compressed !== undefined && option.compressed !== 'text') {
      throw new ForwardProtocolError(`compressed "${String(option.compressed)}" is not supported (gzip is)`);
    }
    return { type: 'events', mode: 'packed', tag, ...checkEntries(stream, 0, stream.length), option };
  }
  if (items < 3) throw new ForwardProtocolError('a Message mode message needs [tag, time, record]');
  // Message mode: the time and the record become one [time, record] entry
  const timeStart = cursor.pos;
  cursor.object();
  cursor.object();
  const entry = new Uint8Array(1 + cursor.pos - timeStart);
  entry[0] = 0x92;
  entry.set(frame.subarray(timeStart, cursor.pos), 1);
  const option = readOption(cursor, items - 3);
  return { type: 'events', mode: 'message', tag, ...checkEntries(entry, 0, entry.length, 1), option };
}

function skipEntries(frame: Uint8Array, start: number, count: number): number {
  const cursor = new MsgpackCursor(frame, start);
  for (let i = 0; i < count; i++) cursor.object();
  return cursor.pos - start;
}

/** Inflates a CompressedPackedForward message's entries (concatenated gzip members allowed),
 *  refusing more than maxBytes once inflated. */
export async function inflateEvents(message: EventsMessage, maxBytes: number): Promise<EventsMessage> {
  if (message.mode !== 'compressed') return message;
  let inflated: Buffer;
  try {
    inflated = await gunzip(message.events, { maxOutputLength: maxBytes });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new ForwardProtocolError(`the gzip entries inflate to more than ${maxBytes} bytes`);
    throw new ForwardProtocolError(`the gzip entries cannot be inflated: ${(error as Error).message}`);
  }
  return { ...message, ...checkEntries(inflated, 0, inflated.length) };
}

/** The server's answer to a message with a `chunk` option. */
export function encodeAck(chunk: string | Uint8Array): Uint8Array {
  return encode({ ack: chunk });
}

/** Reads an ack response; undefined if the frame is not one. */
export function parseAck(frame: Uint8Array): string | Uint8Array | undefined {
  let value: unknown;
  try {
    value = decode(frame);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const ack = (value as Record<string, unknown>).ack;
  return typeof ack === 'string' || ack instanceof Uint8Array ? ack : undefined;
}

/** msgpack str header + bytes for a tag. */
function strHeader(length: number): Buffer {
  if (length < 32) return Buffer.from([0xa0 | length]);
  if (length < 0x100) return Buffer.from([0xd9, length]);
  if (length < 0x10000) return Buffer.from([0xda, length >> 8, length & 0xff]);
  const header = Buffer.alloc(5);
  header[0] = 0xdb;
  header.writeUInt32BE(length, 1);
  return header;
}

function binHeader(length: number): Buffer {
  if (length < 0x100) return Buffer.from([0xc4, length]);
  if (length < 0x10000) return Buffer.from([0xc5, length >> 8, length & 0xff]);
  const header = Buffer.alloc(5);
  header[0] = 0xc6;
  header.writeUInt32BE(length, 1);
  return header;
}

/** A PackedForward (or, with option.compressed = 'gzip', CompressedPackedForward) message:
 *  [tag, bin(entries), option?], as a list of buffers to write. */
export function encodePackedForward(tag: string, entries: Uint8Array, option?: ForwardOption): Buffer[] {
  const tagBytes = Buffer.from(tag, 'utf8');
  return [
    Buffer.from([option ? 0x93 : 0x92]),
    strHeader(tagBytes.length),
    tagBytes,
    binHeader(entries.length),
    Buffer.from(entries.buffer, entries.byteOffset, entries.byteLength),
    ...(option ? [Buffer.from(encode(option))] : []),
  ];
}
