// The forward output against a fake engine (lib/pipeline/plugin.ts's OutputContext), read by
// a receiver written from the specification (spec-server.mjs, no code shared with lib/forward)
// and by logwasm's own forward input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { forwardOutput } from '../../../dist/pipeline/outputs/forward.js';
import { forwardInput } from '../../../dist/pipeline/inputs/forward.js';
import { startSpecServer } from './spec-server.mjs';
import { fakeOutputContext, fakeInputContext, appendedEntries, eventTime, eventTimeParts, encode, tempDir, makeCertificates } from './helpers.mjs';

let chunkNumber = 0;
function chunkOf(events, tag = 'app.log') {
  const data = Buffer.concat(events.map(([time, body, metadata = {}]) => encode([[time, metadata], body], { useBigInt64: true })));
  return { tag, data, records: events.length, id: `chunk-${++chunkNumber}` };
}

async function startOutput(given) {
  const { context, log } = fakeOutputContext(forwardOutput, given);
  const output = forwardOutput.create(context);
  await output.start();
  return { output, log };
}

const sample = () => [
  [eventTime(1700000000, 1), { s: 'text', i: -42, big: 2n ** 62n, f: 0.1, b: new Uint8Array([1, 2, 3]), n: null, nested: { list: [true, false, 1.5] } }],
  [eventTime(1700000001, 999999999), { s: 'second' }],
];

test('PackedForward the way Fluent Bit sends: [tag, bin(entries)], EventTime to the nanosecond, types kept', async () => {
  const server = await startSpecServer();
  const { output } = await startOutput({ host: '127.0.0.1', port: String(server.port) });
  assert.equal(await output.flush(chunkOf(sample())), 'ok');
  await output.stop();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(server.messages.length, 1);
  assert.equal(server.messages[0].mode, 'packed');
  assert.equal(server.messages[0].secondIsBin, true);
  assert.deepEqual(server.messages[0].option, {});
  assert.deepEqual(server.events.map((e) => eventTimeParts(e.time)), [{ seconds: 1700000000, nanoseconds: 1 }, { seconds: 1700000001, nanoseconds: 999999999 }]);
  assert.deepEqual({ ...server.events[0].record, b: new Uint8Array(server.events[0].record.b) }, { s: 'text', i: -42, big: 2n ** 62n, f: 0.1, b: new Uint8Array([1, 2, 3]), n: null, nested: { list: [true, false, 1.5] } });
  assert.equal(server.events[0].tag, 'app.log');
  await server.close();
});

test('send_options, compress gzip, time_as_integer, tag and add_option', async () => {
  const server = await startSpecServer();
  const { output } = await startOutput({ port: String(server.port), send_options: 'on', compress: 'gzip', time_as_integer: 'on', tag: 'renamed', add_option: ['fluent_signal 0'] });
  assert.equal(await output.flush(chunkOf(sample())), 'ok');
  await output.stop();
  await new Promise((r) => setTimeout(r, 50));
  const [message] = server.messages;
  assert.equal(message.mode, 'compressed');
  assert.deepEqual(message.option, { fluent_signal: '0', size: 2, compressed: 'gzip' });
  assert.deepEqual(server.events.map((e) => [e.tag, e.time]), [['renamed', 1700000000], ['renamed', 1700000001]]);
  await server.close();
});

test('require_ack_response: ok only once acked; no ack within net.io_timeout is a retry, and the retry delivers', async () => {
  let acking = false;
  const server = await startSpecServer({ ack: () => acking });
  const { output, log } = await startOutput({ port: String(server.port), require_ack_response: 'on', 'net.io_timeout': '0.3' });
  const chunk = chunkOf(sample());
  assert.equal(await output.flush(chunk), 'retry');
  assert.match(log.lines.join('\n'), /did not ack chunk/);
  acking = true;
  assert.equal(await output.flush(chunk), 'ok');
  assert.equal(typeof server.messages[1].option.chunk, 'string');
  assert.notEqual(server.messages[0].option.chunk, server.messages[1].option.chunk);
  await output.stop();
  await server.close();
});

test('a server that is down, or drops the connection before acking, gets the chunk again later', async () => {
  const probe = net.createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const port = probe.address().port;
  await new Promise((r) => probe.close(r));
  const { output, log } = await startOutput({ port: String(port), require_ack_response: 'on', 'net.connect_timeout': '1' });
  const chunk = chunkOf(sample());
  assert.equal(await output.flush(chunk), 'retry');
  assert.match(log.lines.join('\n'), /cannot connect to 127\.0\.0\.1:\d+/);
  const server = await startSpecServer({ dropConnectionAt: 0 });
  // the spec server listens on its own port: point a second output at it
  const second = await startOutput({ port: String(server.port), require_ack_response: 'on' });
  assert.equal(await second.output.flush(chunk), 'retry', 'connection dropped before the ack');
  assert.equal(await second.output.flush(chunk), 'ok', 'reconnected and delivered');
  assert.equal(server.events.length, 2);
  await second.output.stop();
  await output.stop();
  await server.close();
});

test('keep-alive: chunks share one connection; after the server closes it, the next chunk reconnects', async () => {
  const server = await startSpecServer();
  let connections = 0;
  const proxy = net.createServer((client) => {
    connections++;
    const upstream = net.connect(server.port, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    proxy.last = client;
  });
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  const { output } = await startOutput({ port: String(proxy.address().port), require_ack_response: 'on' });
  for (let i = 0; i < 3; i++) assert.equal(await output.flush(chunkOf(sample())), 'ok');
  assert.equal(connections, 1);
  proxy.last.destroy();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(await output.flush(chunkOf(sample())), 'ok');
  assert.equal(connections, 2);
  assert.equal(server.events.length, 8);
  await output.stop();
  await new Promise((r) => proxy.close(r));
  await server.close();
});

test('upstream: nodes round-robin, and a node that is down hands its chunk to the next', async (t) => {
  const tmp = tempDir();
  t.after(tmp.remove);
  const a = await startSpecServer();
  const b = await startSpecServer();
  const file = path.join(tmp.dir, 'upstream.conf');
  writeFileSync(file, `[UPSTREAM]\n    name forward-balancing\n\n[NODE]\n    name node-a\n    host 127.0.0.1\n    port ${a.port}\n\n[NODE]\n    name node-b\n    host 127.0.0.1\n    port ${b.port}\n`);
  const { output, log } = await startOutput({ upstream: file, require_ack_response: 'on' });
  for (let i = 0; i < 4; i++) assert.equal(await output.flush(chunkOf(sample())), 'ok');
  assert.equal(a.events.length, 4);
  assert.equal(b.events.length, 4);
  await b.close();
  for (let i = 0; i < 2; i++) assert.equal(await output.flush(chunkOf(sample())), 'ok');
  assert.equal(a.events.length, 8, 'node-a took node-b\'s share');
  assert.match(log.lines.join('\n'), /node-b \(127\.0\.0\.1:\d+\)/);
  await a.close();
  assert.equal(await output.flush(chunkOf(sample())), 'retry', 'every node down: retry later');
  await output.stop();
});

test('shared_key and self_hostname against the spec server; a wrong key is a retry with the reason logged', async () => {
  const server = await startSpecServer({ sharedKey: 'fleet-key', hostname: 'agg' });
  const good = await startOutput({ port: String(server.port), shared_key: 'fleet-key', self_hostname: 'edge-1' });
  assert.equal(await good.output.flush(chunkOf(sample())), 'ok');
  const bad = await startOutput({ port: String(server.port), shared_key: 'wrong' });
  assert.equal(await bad.output.flush(chunkOf(sample())), 'retry');
  assert.match(bad.log.lines.join('\n'), /refused the handshake: shared_key mismatch/);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(server.events.length, 2);
  await good.output.stop();
  await bad.output.stop();
  await server.close();
});

test('TLS: tls.verify with tls.ca_file delivers; an untrusted certificate is a retry', async (t) => {
  const tmp = tempDir();
  t.after(tmp.remove);
  const certs = makeCertificates(tmp.dir);
  if (certs.missing) return t.skip(certs.missing);
  const server = await startSpecServer({ tls: { cert: readFileSync(certs.cert), key: readFileSync(certs.key) } });
  const trusted = await startOutput({ port: String(server.port), tls: 'on', 'tls.verify': 'on', 'tls.ca_file': certs.ca, require_ack_response: 'on' });
  assert.equal(await trusted.output.flush(chunkOf(sample())), 'ok');
  const untrusted = await startOutput({ port: String(server.port), tls: 'on', 'tls.verify': 'on', 'net.connect_timeout': '2' });
  assert.equal(await untrusted.output.flush(chunkOf(sample())), 'retry');
  assert.match(untrusted.log.lines.join('\n'), /self.signed|unable to (get|verify)/i);
  const unverified = await startOutput({ port: String(server.port), tls: 'on', 'tls.verify': 'off', require_ack_response: 'on' });
  assert.equal(await unverified.output.flush(chunkOf(sample())), 'ok');
  for (const o of [trusted, untrusted, unverified]) await o.output.stop();
  await server.close();
});

test('round trip into logwasm\'s own forward input: metadata kept with retain_metadata_in_forward_mode, acked after append', async () => {
  const fake = fakeInputContext(forwardInput, { listen: '127.0.0.1', port: '0', shared_key: 'k' });
  const input = forwardInput.create(fake.context);
  await input.start();
  const { output } = await startOutput({ port: String(input.endpoint.port), shared_key: 'k', require_ack_response: 'on', retain_metadata_in_forward_mode: 'on', compress: 'gzip' });
  const events = sample().map(([time, body], i) => [time, body, { index: i }]);
  assert.equal(await output.flush(chunkOf(events, 'round.trip')), 'ok');
  const got = appendedEntries(fake.appended);
  assert.deepEqual(got.map((e) => e.tag), ['round.trip', 'round.trip']);
  assert.deepEqual(got.map((e) => e.metadata), [{ index: 0 }, { index: 1 }]);
  assert.deepEqual(got.map((e) => eventTimeParts(e.time)), [{ seconds: 1700000000, nanoseconds: 1 }, { seconds: 1700000001, nanoseconds: 999999999 }]);
  assert.equal(got[0].record.f, 0.1);
  await output.stop();
  await input.stop();
});

test('a chunk that is not event data is an error (dropped and logged), not a retry', async () => {
  const { output, log } = await startOutput({ port: '1' });
  assert.equal(await output.flush({ tag: 't', data: Buffer.from([0xc1]), records: 1, id: 'bad' }), 'error');
  assert.match(log.lines.join('\n'), /chunk bad .* is not valid event data/);
  await output.stop();
});

test('unix_path: the output sends over a unix socket to the forward input', async (t) => {
  const tmp = tempDir();
  t.after(tmp.remove);
  const socketPath = path.join(tmp.dir, 'agg.sock');
  const fake = fakeInputContext(forwardInput, { unix_path: socketPath });
  const input = forwardInput.create(fake.context);
  await input.start();
  const { output } = await startOutput({ unix_path: socketPath, require_ack_response: 'on' });
  assert.equal(await output.flush(chunkOf(sample(), 'over.unix')), 'ok');
  assert.deepEqual(appendedEntries(fake.appended).map((e) => e.tag), ['over.unix', 'over.unix']);
  await output.stop();
  await input.stop();
});

test('upstream file problems are reported at start with the file and what to fix', async (t) => {
  const tmp = tempDir();
  t.after(tmp.remove);
  const missing = path.join(tmp.dir, 'missing.conf');
  await assert.rejects(startOutput({ upstream: missing }), (error) => error.code === 'LOGWASM_ERR_CONFIG' && error.message.includes(missing));
  const noNodes = path.join(tmp.dir, 'empty.conf');
  writeFileSync(noNodes, '[UPSTREAM]\n    name nothing\n');
  await assert.rejects(startOutput({ upstream: noNodes }), /the upstream has no nodes/);
  const noHost = path.join(tmp.dir, 'nohost.conf');
  writeFileSync(noHost, '[UPSTREAM]\n    name u\n[NODE]\n    name n1\n    port 1\n');
  await assert.rejects(startOutput({ upstream: noHost }), /nohost\.conf:3: \[NODE\] needs a host/);
});
