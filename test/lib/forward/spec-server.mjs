// A forward protocol receiver written for the tests straight from the Forward Protocol
// Specification v1, sharing no code with lib/forward: it reads messages with @msgpack/msgpack's
// stream decoder, understands the four event modes and the shared-key handshake, and records
// every message it receives with its raw option map, so the output's bytes can be checked.
import net from 'node:net';
import tls from 'node:tls';
import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { Decoder, ExtData, encode } from '@msgpack/msgpack';

const hex512 = (...parts) => { const h = createHash('sha512'); for (const p of parts) h.update(p); return h.digest('hex'); };

function entriesOf(value) {
  // Forward mode: an array of [time, record]; PackedForward: a byte stream of them
  if (Array.isArray(value)) return value;
  const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  return [...new Decoder({ useBigInt64: true }).decodeMulti(bytes)];
}

/**
 * options: { sharedKey, hostname, tls: {cert, key}, ack: (message, index) => boolean (default true),
 *            dropConnectionAt: index of a message after which the connection is destroyed unacked }
 * Resolves { port, messages, events, close() }. events: { tag, time, record } with time as sent
 * (ExtData for EventTime, a number otherwise).
 */
export async function startSpecServer(options = {}) {
  const messages = [];
  const events = [];
  const connections = new Set();
  let count = 0;
  const handle = async (socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => {});
    const nonce = randomBytes(16);
    if (options.sharedKey !== undefined) socket.write(encode(['HELO', { nonce, auth: '', keepalive: true }]));
    let authenticated = options.sharedKey === undefined;
    try {
      for await (const message of new Decoder({ useBigInt64: true }).decodeStream(socket)) {
        if (!Array.isArray(message)) throw new Error('not an array');
        if (message[0] === 'PING') {
          const [, hostname, salt, digest] = message;
          const ok = digest === hex512(salt, hostname, nonce, options.sharedKey);
          socket.write(encode(['PONG', ok, ok ? '' : 'shared_key mismatch', options.hostname ?? 'spec-server', ok ? hex512(salt, options.hostname ?? 'spec-server', nonce, options.sharedKey) : '']));
          if (!ok) { socket.end(); return; }
          authenticated = true;
          continue;
        }
        if (!authenticated) { socket.destroy(); return; }
        const [tag, second] = message;
        let option = {};
        let entries;
        if (second instanceof ExtData || typeof second === 'number' || typeof second === 'bigint') {
          entries = [[second, message[2]]];
          option = message[3] ?? {};
        } else {
          option = message[2] ?? {};
          entries = option.compressed === 'gzip' ? entriesOf(gunzipSync(second)) : entriesOf(second);
        }
        const index = count++;
        messages.push({ tag, mode: Array.isArray(second) ? 'forward' : second instanceof Uint8Array ? (option.compressed === 'gzip' ? 'compressed' : 'packed') : 'message', option, records: entries.length, secondIsBin: second instanceof Uint8Array });
        if (index === options.dropConnectionAt) { socket.destroy(); return; }
        for (const [time, record] of entries) events.push({ tag, time, record });
        if (option.chunk !== undefined && (options.ack ? options.ack(message, index) : true)) socket.write(encode({ ack: option.chunk }));
      }
    } catch {
      socket.destroy();
    }
  };
  const server = options.tls ? tls.createServer(options.tls, handle) : net.createServer(handle);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    messages,
    events,
    close: () => new Promise((resolve) => { for (const c of connections) c.destroy(); server.close(() => resolve()); }),
  };
}
