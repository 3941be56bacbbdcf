// The forward protocol's shared-key handshake, both sides:
//   server -> HELO ["HELO", {nonce, auth, keepalive}]
//   client -> PING ["PING", client_hostname, shared_key_salt,
//                   hex(sha512(shared_key_salt + client_hostname + nonce + shared_key)),
//                   username, hex(sha512(auth + username + password))]  (the last two '' without users)
//   server -> PONG ["PONG", authenticated, reason, server_hostname,
//                   hex(sha512(shared_key_salt + server_hostname + nonce + shared_key))]
// A server with `security.users` sends a non-empty `auth` salt and checks the user's digest.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { decode, encode } from '@msgpack/msgpack';
import { ForwardProtocolError } from './msgpack-scan.js';
import { PingMessage } from './messages.js';

type Bytes = Uint8Array | string;

function sha512Hex(...parts: Bytes[]): string {
  const hash = createHash('sha512');
  for (const part of parts) hash.update(typeof part === 'string' ? Buffer.from(part, 'utf8') : part);
  return hash.digest('hex');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'latin1');
  const y = Buffer.from(b, 'latin1');
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface ServerAuth {
  sharedKey: string;
  selfHostname: string;
  /** username -> password; empty: no user authentication. */
  users: ReadonlyMap<string, string>;
}

export interface ServerHandshake {
  nonce: Uint8Array;
  authSalt: Uint8Array;
  helo: Uint8Array;
}

export function createHelo(auth: ServerAuth): ServerHandshake {
  const nonce = randomBytes(16);
  const authSalt = auth.users.size > 0 ? randomBytes(16) : new Uint8Array(0);
  const helo = encode(['HELO', { nonce, auth: authSalt, keepalive: true }]);
  return { nonce, authSalt, helo };
}

/** Checks a PING; returns the PONG to send and whether the client may go on. */
export function answerPing(auth: ServerAuth, handshake: ServerHandshake, ping: PingMessage): { ok: boolean; reason: string; pong: Uint8Array } {
  const pong = (ok: boolean, reason: string, digest: string) => ({ ok, reason, pong: encode(['PONG', ok, reason, auth.selfHostname, digest]) });
  const expected = sha512Hex(ping.sharedKeySalt, ping.clientHostname, handshake.nonce, auth.sharedKey);
  if (!sameText(expected, ping.sharedKeyDigest)) return pong(false, 'shared_key mismatch', '');
  if (auth.users.size > 0) {
    const password = auth.users.get(ping.username);
    if (password === undefined || !sameText(sha512Hex(handshake.authSalt, ping.username, password), ping.passwordDigest)) {
      return pong(false, 'username/password mismatch', '');
    }
  }
  return pong(true, '', sha512Hex(ping.sharedKeySalt, auth.selfHostname, handshake.nonce, auth.sharedKey));
}

export interface ClientAuth {
  sharedKey: string;
  selfHostname: string;
  username?: string;
  password?: string;
}

export interface Helo {
  nonce: Uint8Array;
  authSalt: Uint8Array;
  keepalive: boolean;
}

function asBytes(value: unknown, what: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'latin1');
  if (value === undefined || value === null) return new Uint8Array(0);
  throw new ForwardProtocolError(`${what} must be a string or binary`);
}

export function parseHelo(frame: Uint8Array): Helo {
  const message = decode(frame) as unknown;
  if (!Array.isArray(message) || message[0] !== 'HELO' || typeof message[1] !== 'object' || message[1] === null) {
    throw new ForwardProtocolError('the server did not start with a HELO (is shared_key set on the server?)');
  }
  const option = message[1] as Record<string, unknown>;
  return { nonce: asBytes(option.nonce, 'HELO nonce'), authSalt: asBytes(option.auth, 'HELO auth'), keepalive: option.keepalive !== false };
}

export interface ClientPing {
  ping: Uint8Array;
  sharedKeySalt: Uint8Array;
}

export function createPing(auth: ClientAuth, helo: Helo): ClientPing {
  const sharedKeySalt = randomBytes(16);
  const digest = sha512Hex(sharedKeySalt, auth.selfHostname, helo.nonce, auth.sharedKey);
  const username = auth.username ?? '';
  const passwordDigest = helo.authSalt.length > 0 ? sha512Hex(helo.authSalt, username, auth.password ?? '') : '';
  return { ping: encode(['PING', auth.selfHostname, sharedKeySalt, digest, username, passwordDigest]), sharedKeySalt };
}

/** Checks the PONG: the server said yes, and proved it knows the shared key. */
export function checkPong(auth: ClientAuth, helo: Helo, ping: ClientPing, frame: Uint8Array): { serverHostname: string } {
  const message = decode(frame) as unknown;
  if (!Array.isArray(message) || message[0] !== 'PONG' || message.length < 5) throw new ForwardProtocolError('the server answered the PING with something other than a PONG');
  const [, ok, reason, serverHostname, digest] = message as [string, unknown, unknown, unknown, unknown];
  if (ok !== true) throw new ForwardProtocolError(`the server refused the handshake: ${String(reason || 'no reason given')} (check shared_key, username and password)`);
  const hostname = typeof serverHostname === 'string' ? serverHostname : '';
  const expected = sha512Hex(ping.sharedKeySalt, hostname, helo.nonce, auth.sharedKey);
  if (typeof digest !== 'string' || !sameText(expected, digest)) {
    throw new ForwardProtocolError(`the server '${hostname}' does not know the shared key (its PONG digest does not match)`);
  }
  return { serverHostname: hostname };
}
