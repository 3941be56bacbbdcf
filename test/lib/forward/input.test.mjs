// The forward input against a fake engine (lib/pipeline/plugin.ts's InputContext): every mode
// from a raw client, acks only after append() resolved, the shared-key handshake, TLS, unix
// sockets, size limits, many clients, and clients that vanish mid-message.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { forwardInput } from '../../../dist/pipeline/inputs/forward.js';
import { fakeInputContext, appendedEntries, rawClient, clientOver, eventTime, eventTimeParts, encode, tempDir, makeCertificates, waitFor } from './helpers.mjs';

// inputs still open when a test fails are stopped, so a failure cannot hang the file
const cleanups = [];
afterEach(async () => { while (cleanups.length) await cleanups.pop()(); });

async function startInput(given = {}, accept) {
  const fake = fakeInputContext(forwardInput, { listen: '127.0.0.1', port: '0', ...given }, accept);
  const instance = forwardInput.create(fake.context);
  await instance.start();
  cleanups.push(() => instance.stop());
  return { ...fake, instance, endpoint: instance.endpoint };
}

test('every mode from a raw client reaches append() exactly as sent; chunk options are acked', async () => {
  const input = await startInput();
  const client = await rawClient(input.endpoint);
  const t = eventTime(1700000000, 123456789);
  const e = (time, record) => encode([time, record]);
  await client.send(['m.int', 1700000000, { mode: 'message', n: 1 }]);
  await client.send(['m.float', 1700000000.25, { mode: 'message', n: 2 }, { chunk: 'c-message' }]);
  await client.write(Buffer.concat([Buffer.from([0x93, 0xa3, 0x66, 0x77, 0x64, 0x92]), e(t, { mode: 'forward', n: 3 }), encode([[t, { meta: 'x' }], { mode: 'forward', n: 4 }]), encode({ chunk: 'c-forward' })]));
  const packed = Buffer.concat([e(t, { mode: 'packed', n: 5 }), e(eventTime(1, 999999999), { mode: 'packed', n: 6 })]);
  await client.send(['pk', packed, { chunk: 'c-packed', size: 2 }]);
  await client.send(['gz', Buffer.concat([gzipSync(packed.subarray(0, 7)), gzipSync(packed.subarray(7))]), { chunk: 'c-gzip', compressed: 'gzip', size: 2 }]);
  const acks = [];
  for (let i = 0; i < 4; i++) acks.push((await client.next())?.ack);
  assert.deepEqual(acks.sort(), ['c-forward', 'c-gzip', 'c-message', 'c-packed']);
  const entries = appendedEntries(input.appended);
  assert.deepEqual(entries.map((x) => x.record.n), [1, 2, 3, 4, 5, 6, 5, 6]);
  assert.deepEqual(entries.map((x) => x.tag), ['m.int', 'm.float', 'fwd', 'fwd', 'pk', 'pk', 'gz', 'gz']);
  assert.equal(entries[0].time, 1700000000);
  assert.equal(entries[1].time, 1700000000.25);
  assert.deepEqual(eventTimeParts(entries[2].time), { seconds: 1700000000, nanoseconds: 123456789 });
  assert.deepEqual(entries[3].metadata, { meta: 'x' });
  assert.deepEqual(eventTimeParts(entries[5].time), { seconds: 1, nanoseconds: 999999999 });
  assert.ok(input.appended.find((a) => a.tag === 'pk').events.equals(packed), 'packed entries handed on byte for byte');
  client.end();
  await input.instance.stop();
});

test('the ack is written only after append() resolved; a refused append is never acked', async () => {
  let release;
  const gate = new Promise((resolve) => (release = resolve));
  let refuse = false;
  const input = await startInput({}, async (tag) => {
    if (tag === 'slow') await gate;
    if (refuse) throw new Error('the pipeline is stopping');
  });
  const client = await rawClient(input.endpoint);
  await client.send(['slow', 1, { a: 1 }, { chunk: 'wait-for-me' }]);
  assert.equal(await client.next(300), undefined, 'no ack while the engine has not accepted the records');
  release();
  assert.deepEqual(await client.next(), { ack: 'wait-for-me' });
  refuse = true;
  await client.send(['fast', 1, { a: 2 }, { chunk: 'refused' }]);
  assert.equal(await client.next(300), undefined, 'refused records are not acked');
  assert.ok(input.log.lines.some((l) => /1 records of tag 'fast' were not accepted and are not acked/.test(l)), input.log.lines.join('\n'));
  client.end();
  await input.instance.stop();
});

test('tag_prefix is prepended; tag overrides', async () => {
  const prefixed = await startInput({ tag_prefix: 'edge.' });
  const a = await rawClient(prefixed.endpoint);
  await a.send(['app', 1, { a: 1 }, { chunk: 'x' }]);
  await a.next();
  assert.equal(prefixed.appended[0].tag, 'edge.app');
  a.end();
  await prefixed.instance.stop();
  const overridden = await startInput({ tag: 'fixed' });
  const b = await rawClient(overridden.endpoint);
  await b.send(['app', 1, { a: 1 }, { chunk: 'x' }]);
  await b.next();
  assert.equal(overridden.appended[0].tag, 'fixed');
  b.end();
  await overridden.instance.stop();
});

const sha512 = (...parts) => { const h = createHash('sha512'); for (const p of parts) h.update(p); return h.digest('hex'); };

async function handshake(client, { key, hostname = 'client-host', username = '', password = '' }) {
  const [kind, helo] = await client.next();
  assert.equal(kind, 'HELO');
  assert.equal(helo.keepalive, true);
  const salt = Buffer.from('0123456789abcdef');
  const userDigest = helo.auth.length > 0 ? sha512(helo.auth, username, password) : '';
  await client.send(['PING', hostname, salt, sha512(salt, hostname, helo.nonce, key), username, userDigest]);
  const pong = await client.next();
  return { pong, expected: sha512(salt, 'aggregator', helo.nonce, key) };
}

test('shared_key: HELO, PING with salted SHA-512 digests, PONG; a wrong key gets a failed PONG and is closed', async () => {
  const input = await startInput({ shared_key: 's3cret', self_hostname: 'aggregator' });
  const good = await rawClient(input.endpoint);
  const { pong, expected } = await handshake(good, { key: 's3cret' });
  assert.deepEqual(pong, ['PONG', true, '', 'aggregator', expected]);
  await good.send(['ok', 1, { a: 1 }, { chunk: 'k' }]);
  assert.deepEqual(await good.next(), { ack: 'k' });

  const bad = await rawClient(input.endpoint);
  const refused = await handshake(bad, { key: 'wrong' });
  assert.equal(refused.pong[0], 'PONG');
  assert.equal(refused.pong[1], false);
  assert.match(refused.pong[2], /shared_key mismatch/);
  await bad.closed();

  const early = await rawClient(input.endpoint);
  await early.next(); // HELO
  await early.send(['sneaky', 1, { a: 1 }]);
  await early.closed();
  assert.equal(input.appended.length, 1, 'only the authenticated client delivered');
  assert.ok(input.log.lines.some((l) => /failed authentication: shared_key mismatch/.test(l)));
  assert.ok(input.log.lines.some((l) => /events before the shared_key handshake/.test(l)));
  good.end();
  await input.instance.stop();
});

test('security.users: the HELO carries an auth salt and the password digest is checked', async () => {
  const input = await startInput({ shared_key: 'k', self_hostname: 'aggregator', 'security.users': ['alice wonderland', 'bob builder'] });
  const alice = await rawClient(input.endpoint);
  assert.equal((await handshake(alice, { key: 'k', username: 'bob', password: 'builder' })).pong[1], true);
  const mallory = await rawClient(input.endpoint);
  const refused = (await handshake(mallory, { key: 'k', username: 'alice', password: 'guess' })).pong;
  assert.deepEqual(refused.slice(0, 3), ['PONG', false, 'username/password mismatch']);
  await mallory.closed();
  alice.end();
  await input.instance.stop();
});

test('TLS: records arrive over tls with tls.crt_file/tls.key_file; a plain-text client gets nothing in', async (t) => {
  const tmp = tempDir();
  t.after(tmp.remove);
  const certs = makeCertificates(tmp.dir);
  if (certs.missing) return t.skip(certs.missing);
  const input = await startInput({ tls: 'on', 'tls.crt_file': certs.cert, 'tls.key_file': certs.key });
  const { readFileSync } = await import('node:fs');
  const socket = tls.connect({ host: '127.0.0.1', port: input.endpoint.port, ca: readFileSync(certs.ca) });
  await new Promise((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject); });
  const client = clientOver(socket);
  await client.send(['secure', eventTime(1, 2), { over: 'tls' }, { chunk: 'tls-1' }]);
  assert.deepEqual(await client.next(), { ack: 'tls-1' });
  assert.deepEqual(appendedEntries(input.appended)[0].record, { over: 'tls' });
  const plain = await rawClient(input.endpoint);
  await plain.send(['plain', 1, { a: 1 }]);
  await plain.closed();
  assert.equal(input.appended.length, 1);
  client.end();
  await input.instance.stop();
});

test('unix_path with unix_perm', async (t) => {
  const tmp = tempDir();
  t.after(tmp.remove);
  const socketPath = path.join(tmp.dir, 'forward.sock');
  const input = await startInput({ unix_path: socketPath, unix_perm: '0600' });
  assert.equal(statSync(socketPath).mode & 0o777, 0o600);
  const client = await rawClient({ path: socketPath });
  await client.send(['unix', 1, { via: 'unix' }, { chunk: 'u' }]);
  assert.deepEqual(await client.next(), { ack: 'u' });
  assert.equal(input.appended[0].tag, 'unix');
  client.end();
  await input.instance.stop();
});

test('a message over buffer_max_size closes that connection with a clear error; others go on', async () => {
  const input = await startInput({ buffer_chunk_size: '1K', buffer_max_size: '4K' });
  const big = await rawClient(input.endpoint);
  const small = await rawClient(input.endpoint);
  await big.send(['big', 1, { blob: 'x'.repeat(10000) }, { chunk: 'never' }]);
  await big.closed();
  await small.send(['small', 1, { a: 'y'.repeat(3000) }, { chunk: 'fits' }]);
  assert.deepEqual(await small.next(), { ack: 'fits' });
  assert.deepEqual(input.appended.map((a) => a.tag), ['small']);
  assert.ok(input.log.lines.some((l) => /larger than buffer_max_size \(4096 bytes/.test(l)), input.log.lines.join('\n'));
  small.end();
  await input.instance.stop();
});

test('bytes that are not forward messages close that connection, logged', async () => {
  const input = await startInput();
  const garbage = await rawClient(input.endpoint);
  await garbage.write(Buffer.from([0x93, 0xc1, 0x00]));
  await garbage.closed();
  const notArray = await rawClient(input.endpoint);
  await notArray.send({ not: 'a message' });
  await notArray.closed();
  assert.ok(input.log.lines.some((l) => /0xc1/.test(l)));
  assert.ok(input.log.lines.some((l) => /must be an array/.test(l)));
  await input.instance.stop();
});

test('many clients at once: every record arrives once, in order per client', async () => {
  const input = await startInput();
  const clients = 40;
  const messages = 50;
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    const client = await rawClient(input.endpoint);
    for (let m = 0; m < messages; m++) await client.send([`c${c}`, eventTime(1000 + m, c), { c, m }, ...(m === messages - 1 ? [{ chunk: `last-${c}` }] : [])]);
    assert.deepEqual(await client.next(), { ack: `last-${c}` });
    client.end();
  }));
  const entries = appendedEntries(input.appended);
  assert.equal(entries.length, clients * messages);
  for (let c = 0; c < clients; c++) assert.deepEqual(entries.filter((e) => e.record.c === c).map((e) => e.record.m), Array.from({ length: messages }, (_, m) => m));
  await input.instance.stop();
});

test('a client that disconnects or stalls mid-message loses only that message; the input keeps serving', async () => {
  const input = await startInput();
  const quitter = await rawClient(input.endpoint);
  await quitter.send(['q', 1, { n: 1 }, { chunk: 'first' }]);
  assert.deepEqual(await quitter.next(), { ack: 'first' });
  const half = encode(['q', 1, { n: 2, pad: 'z'.repeat(5000) }, { chunk: 'second' }]);
  await quitter.write(half.subarray(0, 2000));
  quitter.socket.destroy();
  const staller = await rawClient(input.endpoint);
  await staller.write(half.subarray(0, 100)); // and then nothing
  const other = await rawClient(input.endpoint);
  await other.send(['o', 1, { n: 3 }, { chunk: 'third' }]);
  assert.deepEqual(await other.next(), { ack: 'third' });
  assert.deepEqual(appendedEntries(input.appended).map((e) => e.record.n), [1, 3]);
  other.end();
  staller.socket.destroy();
  await input.instance.stop();
});

test('a message written one byte at a time is framed and delivered once', async () => {
  const input = await startInput();
  const client = await rawClient(input.endpoint);
  client.socket.setNoDelay(true);
  const bytes = encode(['drip', eventTime(42, 7), { text: 'a'.repeat(200), list: [1, 2.5, null] }, { chunk: 'drip' }]);
  for (const byte of bytes) { await client.write(Buffer.from([byte])); }
  assert.deepEqual(await client.next(), { ack: 'drip' });
  const [e] = appendedEntries(input.appended);
  assert.deepEqual(eventTimeParts(e.time), { seconds: 42, nanoseconds: 7 });
  assert.deepEqual(e.record.list, [1, 2.5, null]);
  client.end();
  await input.instance.stop();
});

test('stop() waits for appends in flight and acks them before closing', async () => {
  let release;
  const gate = new Promise((resolve) => (release = resolve));
  const input = await startInput({}, () => gate);
  const client = await rawClient(input.endpoint);
  await client.send(['t', 1, { a: 1 }, { chunk: 'inflight' }]);
  await waitFor(() => input.instance.receivers?.size !== 0, 1000, 'connection').catch(() => {});
  await new Promise((r) => setTimeout(r, 50));
  const stopped = input.instance.stop();
  setTimeout(release, 100);
  await stopped;
  assert.deepEqual(await client.next(), { ack: 'inflight' });
  assert.equal(input.appended.length, 1);
});

test('while the engine is paused, messages already read wait for resume() instead of being refused', async () => {
  let busy = false;
  const input = await startInput({}, () => {
    if (busy) throw Object.assign(new Error('input paused'), { code: 'LOGWASM_ERR_BUSY' });
  });
  const client = await rawClient(input.endpoint);
  await client.send(['p', 1, { n: 1 }]);
  await waitFor(() => input.appended.length === 1, 2000, 'first record');
  // the engine refuses a call that races with pause(), then pauses the input
  busy = true;
  await client.send(['p', 1, { n: 2 }]);
  await new Promise((r) => setTimeout(r, 50));
  input.instance.pause();
  await client.send(['p', 1, { n: 3 }, { chunk: 'after-pause' }]);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(input.appended.length, 1, 'nothing appended while paused');
  busy = false;
  input.instance.resume();
  assert.deepEqual(await client.next(), { ack: 'after-pause' });
  assert.deepEqual(appendedEntries(input.appended).map((e) => e.record.n), [1, 2, 3]);
  client.end();
});
