// lib/filter: the Filter API on the example plugins (§7) and logwasm's own guarantees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Filter, EventTime, encodeChunk, decodeChunk, isGroupMarker, jsonToMsgpack, msgpackToJson, decodeMsgpack } from '../../dist/index.js';
import { fixture, bad } from './helpers.mjs';

const time = new EventTime(1700000000, 123456789);

test('c_filter (json): wraps the record as Fluent Bit\'s C example does', async () => {
  const filter = await Filter.load({ wasmPath: fixture('c_filter.wasm'), functionName: 'c_filter', heapSize: '64K' });
  const body = filter.filterRecord('app.log', time, { message: 'hello', n: 42, nested: { ok: true } });
  assert.equal(body.tag, 'app.log');
  assert.equal(body.message, 'Hello, from C!');
  assert.deepEqual(body.original, { message: 'hello', n: 42, nested: { ok: true } });
  assert.match(body.time, /^1700000000\./);
  filter.close();
});

test('json mode keeps number kinds: 120.0 reaches the guest as a float and comes back as one', async () => {
  const filter = await Filter.load({ wasmPath: fixture('c_filter.wasm'), functionName: 'c_filter', heapSize: '64K' });
  // exact bytes in (the native JSON parser), exact bytes out (the native JSON writer)
  const result = filter.filterRecordRaw('t', time, jsonToMsgpack('{"f":120.0,"i":120,"big":18446744073709551615}'));
  assert.match(msgpackToJson(result), /"original":\{"f":120\.0,"i":120,"big":18446744073709551615\}/, 'a float stays a float');
  const original = decodeMsgpack(result).original;
  assert.equal(original.f, 120);
  assert.equal(original.i, 120);
  assert.equal(original.big, 18446744073709551615n);
  // plain objects: a bigint goes in and comes back exact
  const body = filter.filterRecord('t', time, { i: 120, big: 18446744073709551615n, neg: -9223372036854775808n, f: 2.5 });
  assert.deepEqual(body.original, { i: 120, big: 18446744073709551615n, neg: -9223372036854775808n, f: 2.5 });
  filter.close();
});

test('c_filter never frees its 1 KiB results: with an 8 KiB heap only a few records succeed', async () => {
  const filter = await Filter.load({ wasmPath: fixture('c_filter.wasm'), functionName: 'c_filter' });
  let ok = 0;
  let failed = 0;
  for (let i = 0; i < 20; i++) {
    try {
      if (filter.filterRecord('t', time, { i }) !== null) ok++;
    } catch {
      failed++;
    }
  }
  assert.ok(ok > 0 && ok < 20, `some records transform, then the heap is exhausted (ok=${ok})`);
  const metrics = filter.metrics();
  assert.equal(metrics.recordsIn, 20);
  assert.equal(metrics.recordsOut + metrics.recordsDropped + metrics.errors, 20);
  filter.close();
});

test('rust_filter (json, wasm32-unknown-unknown): alphabetical keys lang, message, original, tag, time', async () => {
  const filter = await Filter.load({ wasmPath: fixture('rust_filter.wasm'), functionName: 'rust_filter' });
  const body = filter.filterRecord('rust.tag', new EventTime(1666270588, 271704000), { message: 'hi' });
  assert.deepEqual(Object.keys(body), ['lang', 'message', 'original', 'tag', 'time']);
  assert.equal(body.lang, 'Rust');
  assert.equal(body.message, 'hi');
  assert.equal(body.tag, 'rust.tag');
  assert.equal(body.time, '2022-10-20T12:56:28.271704000 +0000');
  filter.close();
});

test('rust_filter_msgpack (msgpack): every value a string, plus platform "wasm"', async () => {
  const filter = await Filter.load({ wasmPath: fixture('rust_filter_msgpack.wasm'), functionName: 'rust_filter_msgpack', eventFormat: 'msgpack' });
  const body = filter.filterRecord('t', time, { message: 'hi', n: 7 });
  assert.equal(body.platform, 'wasm');
  assert.equal(body.message, 'hi');
  assert.equal(typeof body.n, 'string');
  filter.close();
});

test('filterChunk: one call per chunk; times, metadata and group markers are kept', async () => {
  const filter = await Filter.load({ wasmPath: bad('behaviours.wasm'), functionName: 'filter' });
  const events = [
    { time: -1, metadata: {}, body: { resource: { r: 1 } } },
    { time: new EventTime(1, 5), metadata: { m: 'keep me' }, body: { x: 1 } },
    { time: new EventTime(2, 6), body: { d: 'dropped by the guest' } },
    { time: new EventTime(3, 7), metadata: {}, body: { x: 3 } },
    { time: -2, metadata: {}, body: {} },
  ];
  const out = decodeChunk(filter.filterChunk('t', encodeChunk(events, { legacy: true })));
  assert.equal(out.length, 4);
  assert.ok(isGroupMarker(out[0]));
  assert.deepEqual(out[0].body, { resource: { r: 1 } });
  assert.ok(out[1].time.equals(new EventTime(1, 5)));
  assert.deepEqual(out[1].metadata, { m: 'keep me' });
  assert.deepEqual(out[1].body, { x: 1 });
  assert.ok(out[2].time.equals(new EventTime(3, 7)));
  assert.ok(isGroupMarker(out[3]));
  const metrics = filter.metrics();
  assert.equal(metrics.recordsIn, 3, 'group markers are never shown to the guest');
  assert.equal(metrics.recordsDropped, 1);
  assert.equal(metrics.chunks, 1);
  filter.close();
});

test('filterChunkAsync: runs off the event loop, one call at a time, in call order', async () => {
  const filter = await Filter.load({ wasmPath: bad('behaviours.wasm'), functionName: 'filter', timeoutMs: 300 });
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 10);
  const looping = encodeChunk([{ time: new EventTime(1, 0), body: { loop: 1 } }, { time: new EventTime(2, 0), body: { x: 2 } }]);
  const plain = encodeChunk([{ time: new EventTime(3, 0), body: { x: 3 } }]);
  const order = [];
  const first = filter.filterChunkAsync('t', looping).then((chunk) => (order.push('first'), chunk));
  const second = filter.filterChunkAsync('t', plain).then((chunk) => (order.push('second'), chunk));
  const [a, b] = await Promise.all([first, second]);
  clearInterval(ticker);
  assert.ok(ticks >= 10, `the event loop kept running during the 300 ms call (ticks=${ticks})`);
  assert.deepEqual(order, ['first', 'second']);
  assert.deepEqual(decodeChunk(a).map((e) => e.body), [{ x: 2 }], 'the looping record timed out, the next one survived');
  assert.deepEqual(decodeChunk(b).map((e) => e.body), [{ x: 3 }]);
  assert.equal(filter.metrics().errorsTimeout, 1);
  filter.close();
});

test('on_error keep passes the original record through a failure', async () => {
  const filter = await Filter.load({ wasmPath: bad('behaviours.wasm'), functionName: 'filter', onError: 'keep' });
  assert.deepEqual(filter.filterRecord('t', time, { trap: 'please' }), { trap: 'please' });
  const out = decodeChunk(filter.filterChunk('t', encodeChunk([{ time, body: { trap: 1 } }, { time, body: { x: 2 } }])));
  assert.deepEqual(out.map((e) => e.body), [{ trap: 1 }, { x: 2 }]);
  assert.equal(filter.metrics().recordsKept, 2);
  filter.close();
});

test('a closed filter says so', async () => {
  const filter = await Filter.load({ wasmPath: bad('behaviours.wasm'), functionName: 'filter' });
  filter.close();
  filter.close();
  assert.throws(() => filter.filterRecord('t', time, { x: 1 }), { code: 'LOGWASM_ERR_CLOSED' });
  await assert.rejects(filter.filterChunkAsync('t', encodeChunk([])), { code: 'LOGWASM_ERR_CLOSED' });
});

test('c_filter_msgpack (msgpack, C): pairs copied byte for byte, old tag/lang replaced, a non-map dropped', async () => {
  const filter = await Filter.load({ wasmPath: fixture('c_filter_msgpack.wasm'), functionName: 'c_filter_msgpack', eventFormat: 'msgpack' });
  const body = { lang: 'old', big: 18446744073709551615n, f: 2.5, nested: { a: [1, null, true], s: 'x'.repeat(300) }, tag: 'old' };
  const out = filter.filterRecord('app.c', time, body);
  assert.deepEqual(Object.keys(out), ['big', 'f', 'nested', 'tag', 'lang']);
  assert.deepEqual(out, { big: 18446744073709551615n, f: 2.5, nested: body.nested, tag: 'app.c', lang: 'C' });
  assert.equal(filter.filterRecord('app.c', time, [1, 2]), null, 'not a map: dropped');
  const metrics = filter.metrics();
  assert.equal(metrics.recordsDropped, 1);
  assert.equal(metrics.errors, 0);
  filter.close();
});
