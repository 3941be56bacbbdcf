// Real forward clients, not only our own, into the forward input: npm's @fluent-org/logger (every
// event mode, acks, shared key with users, TLS) and fluent-logger, Debian's python3-fluent-logger
// and the Go fluent-logger-golang. Each record must arrive decoded exactly: times to the
// nanosecond, msgpack types kept.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFile } from 'node:child_process';
import { existsSync, mkdirSync, copyFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { forwardInput } from '../../../dist/pipeline/inputs/forward.js';
import { fakeInputContext, appendedEntries, eventTimeParts, tempDir, makeCertificates, waitFor } from './helpers.mjs';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

// inputs still open when a test fails are stopped, so a failure cannot hang the file
const cleanups = [];
afterEach(async () => { while (cleanups.length) await cleanups.pop()(); });

async function startInput(given = {}) {
  const fake = fakeInputContext(forwardInput, { listen: '127.0.0.1', port: '0', ...given });
  const instance = forwardInput.create(fake.context);
  await instance.start();
  cleanups.push(() => instance.stop());
  return { ...fake, instance, port: instance.endpoint.port };
}

const toNumber = (v) => (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);

test('@fluent-org/logger: Message, Forward, PackedForward and CompressedPackedForward, each with acks', async () => {
  const { FluentClient, EventTime } = require('@fluent-org/logger');
  for (const eventMode of ['Message', 'Forward', 'PackedForward', 'CompressedPackedForward']) {
    const input = await startInput();
    const client = new FluentClient('org', { socket: { host: '127.0.0.1', port: input.port, disableReconnect: true }, eventMode, ack: { ackTimeout: 5000 }, flushInterval: 5 });
    await client.connect(); // disableReconnect also turns off connecting on construction
    const sent = [];
    for (let i = 0; i < 20; i++) {
      const record = { mode: eventMode, i, f: 1.25, s: 'é', list: [1, null, true], nested: { deep: { x: -7 } } };
      sent.push(client.emit('app', record, new EventTime(1700000000 + i, 999999990 + (i % 10))));
    }
    await Promise.all(sent); // resolves only once acked
    const entries = appendedEntries(input.appended);
    assert.equal(entries.length, 20, eventMode);
    entries.forEach((entry, i) => {
      assert.equal(entry.tag, 'org.app');
      assert.deepEqual(eventTimeParts(entry.time), { seconds: 1700000000 + i, nanoseconds: 999999990 + (i % 10) }, `${eventMode} ${i}`);
      assert.deepEqual(entry.record, { mode: eventMode, i, f: 1.25, s: 'é', list: [1, null, true], nested: { deep: { x: -7 } } });
    });
    await client.shutdown();
    await input.instance.stop();
  }
});

test('@fluent-org/logger: shared_key with security.users, and a wrong password is refused', async () => {
  const { FluentClient, EventTime } = require('@fluent-org/logger');
  const input = await startInput({ shared_key: 'fleet', self_hostname: 'aggregator', 'security.users': ['edge secret'] });
  const client = new FluentClient('sec', {
    socket: { host: '127.0.0.1', port: input.port, disableReconnect: true },
    security: { clientHostname: 'edge-1', sharedKey: 'fleet', username: 'edge', password: 'secret' },
    ack: { ackTimeout: 5000 },
  });
  await client.connect();
  await client.emit('ok', { n: 1 }, new EventTime(1, 2));
  assert.deepEqual(appendedEntries(input.appended).map((e) => [e.tag, e.record]), [['sec.ok', { n: 1 }]]);
  await client.shutdown();
  const intruder = new FluentClient('sec', {
    socket: { host: '127.0.0.1', port: input.port, disableReconnect: true },
    security: { clientHostname: 'edge-2', sharedKey: 'fleet', username: 'edge', password: 'guess' },
    ack: { ackTimeout: 1000 },
  });
  const errors = [];
  intruder.socketOn('error', (error) => errors.push(error));
  await intruder.connect().catch((error) => errors.push(error));
  // the client keeps the event queued after the refusal; shutdown() rejects it
  const refused = intruder.emit('no', { n: 2 }, new EventTime(1, 2)).then(() => 'delivered', (error) => error);
  await waitFor(() => errors.some((e) => /Authentication failed: username\/password mismatch/.test(e.message)), 5000, 'the client to see the refusal');
  await intruder.shutdown().catch(() => {});
  assert.notEqual(await refused, 'delivered');
  assert.equal(input.appended.length, 1);
  assert.ok(input.log.lines.some((l) => /username\/password mismatch/.test(l)), input.log.lines.join('\n'));
  await input.instance.stop();
});

test('@fluent-org/logger over TLS', async (t) => {
  const tmp = tempDir();
  t.after(tmp.remove);
  const certs = makeCertificates(tmp.dir);
  if (certs.missing) return t.skip(certs.missing);
  const { FluentClient, EventTime } = require('@fluent-org/logger');
  const input = await startInput({ tls: 'on', 'tls.crt_file': certs.cert, 'tls.key_file': certs.key });
  const client = new FluentClient('tls', { socket: { host: '127.0.0.1', port: input.port, disableReconnect: true, tls: { ca: readFileSync(certs.ca) } }, ack: { ackTimeout: 5000 } });
  await client.connect();
  await client.emit('x', { secure: true }, new EventTime(5, 6));
  const [entry] = appendedEntries(input.appended);
  assert.deepEqual([entry.tag, entry.record, eventTimeParts(entry.time)], ['tls.x', { secure: true }, { seconds: 5, nanoseconds: 6 }]);
  await client.shutdown();
  await input.instance.stop();
});

test('fluent-logger (npm): Message, PackedForward and CompressedPackedForward with requireAckResponse, and shared_key', async () => {
  const logger = require('fluent-logger');
  for (const [eventMode, security] of [['Message'], ['PackedForward'], ['CompressedPackedForward'], ['Message', { clientHostname: 'edge', sharedKey: 'k2' }]]) {
    const input = await startInput(security ? { shared_key: 'k2' } : {});
    const sender = logger.createFluentSender('npm', { host: '127.0.0.1', port: input.port, eventMode, requireAckResponse: true, ackResponseTimeout: 5000, flushInterval: 5, security });
    const errors = [];
    sender.on('error', (error) => errors.push(error));
    await Promise.all(Array.from({ length: 10 }, (_, i) => new Promise((resolve, reject) => {
      sender.emit('label', { mode: eventMode, i, f: 2.5, s: 'text' }, new logger.EventTime(1700000100 + i, 123000000 + i), (error) => (error ? reject(error) : resolve()));
    })));
    await waitFor(() => appendedEntries(input.appended).length === 10, 5000, `${eventMode}: 10 records`);
    const entries = appendedEntries(input.appended);
    entries.forEach((entry, i) => {
      assert.equal(entry.tag, 'npm.label');
      assert.deepEqual(eventTimeParts(entry.time), { seconds: 1700000100 + i, nanoseconds: 123000000 + i });
      assert.deepEqual(entry.record, { mode: eventMode, i, f: 2.5, s: 'text' });
    });
    assert.deepEqual(errors, []);
    sender.end();
    await input.instance.stop();
  }
});

const debianPython = '/usr/bin/python3';
function pythonMissing() {
  if (!existsSync(debianPython)) return 'Debian python3 is missing (apt-get install python3 python3-fluent-logger)';
  if (spawnSync(debianPython, ['-c', 'import fluent.sender']).status !== 0) return 'python3-fluent-logger is not installed (apt-get install python3-fluent-logger)';
  return undefined;
}

function checkTypedRecord(record, i) {
  assert.equal(toNumber(record.i), i);
  assert.equal(toNumber(record.neg), -(2 ** 40));
  assert.equal(record.u64, 18446744073709551615n, 'uint64 kept whole');
  assert.equal(record.f, 0.1);
  assert.equal(record.s, 'héllo');
  assert.deepEqual([...record.b], [0, 1, 2, 255]);
  assert.ok(record.b instanceof Uint8Array, 'bytes stay binary');
  assert.equal(record.t, true);
  assert.equal(record.n, null);
  assert.deepEqual(record.list.map(toNumber), [1, 'two', 3.5]);
  assert.deepEqual(record.nested, { k: 'v' });
}

test('python3-fluent-logger (Debian): EventTime and float times, types kept', async (t) => {
  const missing = pythonMissing();
  if (missing) return t.skip(missing);
  for (const nano of ['1', '0']) {
    const input = await startInput();
    await run(debianPython, [path.join(here, 'clients', 'python_client.py'), '127.0.0.1', String(input.port), nano, '5']);
    await waitFor(() => input.appended.length > 0 && appendedEntries(input.appended).length === 5, 5000, 'python records');
    appendedEntries(input.appended, { bigint: true }).forEach((entry, i) => {
      assert.equal(entry.tag, 'py.client');
      if (nano === '1') assert.deepEqual(eventTimeParts(entry.time), { seconds: 1700000000 + i, nanoseconds: 500000000 });
      else assert.equal(entry.time, 1700000000.5 + i, 'a float time stays a float');
      checkTypedRecord(entry.record, i);
    });
    await input.instance.stop();
  }
});

const goBinary = '/usr/lib/go-1.24/bin/go';
const goLibrary = '/usr/share/gocode/src/github.com/fluent/fluent-logger-golang/fluent';
function goMissing() {
  if (!existsSync(goBinary)) return 'Go 1.24 is missing (bash examples/go/install-go.sh)';
  if (!existsSync(goLibrary)) return 'fluent-logger-golang is missing (apt-get install golang-github-fluent-fluent-logger-golang-dev)';
  return undefined;
}

/** Builds the Go client against Debian's packaged library (GOPATH mode, no network). */
function buildGoClient(dir) {
  const gopath = path.join(dir, 'gopath');
  const source = path.join(gopath, 'src', 'goclient');
  mkdirSync(source, { recursive: true });
  copyFileSync(path.join(here, 'clients', 'go_client.go'), path.join(source, 'main.go'));
  const binary = path.join(dir, 'go_client');
  const env = { ...process.env, GO111MODULE: 'off', GOPATH: `${gopath}:/usr/share/gocode`, GOPROXY: 'off', GOTOOLCHAIN: 'local', GOFLAGS: '', GOCACHE: process.env.GOCACHE ?? path.join(os.homedir(), '.cache', 'go-build') };
  const result = spawnSync(goBinary, ['build', '-o', binary, '.'], { cwd: source, env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`building the Go client failed:\n${result.stderr}`);
  return binary;
}

// the first build compiles Go's standard library into the build cache: minutes on a busy machine
test('fluent-logger-golang (Debian): EventTime with acks, integer times, and a unix socket', { timeout: 600_000 }, async (t) => {
  const missing = goMissing();
  if (missing) return t.skip(missing);
  const tmp = tempDir();
  t.after(tmp.remove);
  const binary = buildGoClient(tmp.dir);
  for (const [subsecond, ack, unix] of [['1', '1', false], ['0', '0', false], ['1', '1', true]]) {
    const socketPath = path.join(tmp.dir, 'in.sock');
    const input = await startInput(unix ? { unix_path: socketPath } : {});
    const args = unix ? ['unix', socketPath, '0'] : ['tcp', '127.0.0.1', String(input.port)];
    await run(binary, [...args, subsecond, ack, '5']);
    await waitFor(() => appendedEntries(input.appended).length === 5, 5000, 'go records');
    appendedEntries(input.appended, { bigint: true }).forEach((entry, i) => {
      assert.equal(entry.tag, 'go.client');
      if (subsecond === '1') assert.deepEqual(eventTimeParts(entry.time), { seconds: 1700000000 + i, nanoseconds: 123456789 });
      else assert.equal(toNumber(entry.time), 1700000000 + i);
      checkTypedRecord(entry.record, i);
    });
    await input.instance.stop();
  }
});
