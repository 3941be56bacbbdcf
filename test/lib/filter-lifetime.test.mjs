// The lifetime test of issue #3: one million records through one Filter instance with stable
// memory, so no copy leaks, neither in the guest nor in the host.
//
// Records go through filterChunk in chunks of 1000 (one native call per chunk), the same chunk
// a thousand times, so every output chunk must be byte-identical to the first one: that checks
// that every record came out, transformed the same way, without decoding a million records in
// JavaScript. Checked for each plugin:
// - count: recordsIn and recordsOut are 1,000,000, no drop, no error;
// - guest memory: the linear memory size after record 1M equals the size after the first 10k
//   (a copy leaked per record inside the guest, through its malloc or the host-managed heap,
//   would grow memory or exhaust the heap);
// - host memory: RSS after record 1M is within RSS_TOLERANCE of RSS after record 100k, with a
//   full GC before each reading. The tolerance is 8 MB: a leak of 16 bytes per record over those
//   900k records is 14.4 MB (more with malloc's per-block overhead), so it would fail the test.
//   Checked three ways: the whole RSS; RSS without V8's JS heap (rss - heapTotal), where a native
//   leak (the addon, the runtime, copies) lives and V8's own resizing of its heap (a 7 MB swing
//   was seen) cannot hide one; and heapUsed, for a JavaScript-side leak.
//   The output chunks are garbage right away, but left to V8's own GC timing they pile up to a
//   different peak in each run, and malloc keeps the peak's pages: +11 MB with nothing leaking
//   (the same run with a GC every 100k records stays flat over 4M records). So the loop collects
//   every GC_EVERY chunks: the readings then show what stays alive, not when V8 last collected.
//
// Plugins: the C msgpack example and the C json example (wasi-libc reactors: copies through the
// module's own malloc/free) and an echo without malloc/free (copies in the host-managed heap).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Filter, EventTime, encodeChunk, decodeChunk } from '../../dist/index.js';
import { fixture, bad } from './helpers.mjs';

const TOTAL = 1_000_000;
const PER_CHUNK = 1000;
const CHUNKS = TOTAL / PER_CHUNK;
const MB = 1024 * 1024;
const RSS_TOLERANCE = 8 * MB;
const GC_EVERY = 50;

// A full collection before each RSS reading, so that output buffers JavaScript has already
// dropped do not count as host memory in use.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

function makeChunk() {
  const events = [];
  for (let i = 0; i < PER_CHUNK; i++) {
    events.push({
      time: new EventTime(1714564800 + i, 123456789),
      metadata: {},
      body: {
        stream: 'stdout',
        log: `2024-05-01T12:00:${String(i % 60).padStart(2, '0')}Z INFO request handled path=/api/v1/items/${i} status=200`,
        status: 200,
        duration_ms: 12.5 + (i % 7),
        kubernetes: { pod_name: `web-${i % 5}`, labels: { app: 'web' } },
      },
    });
  }
  return encodeChunk(events);
}

function memoryAfterGc() {
  gc();
  gc();
  const usage = process.memoryUsage();
  return { outsideJsHeap: usage.rss - usage.heapTotal, rss: usage.rss, heapUsed: usage.heapUsed };
}

const PLUGINS = [
  {
    name: 'c_filter_msgpack (msgpack, the module\'s malloc/free)',
    options: { wasmPath: fixture('c_filter_msgpack.wasm'), functionName: 'c_filter_msgpack', eventFormat: 'msgpack' },
    check: (body) => body.lang === 'C' && body.tag === 'life.test' && body.stream === 'stdout',
  },
  {
    name: 'c_filter_wasi (json, the module\'s malloc/free)',
    options: { wasmPath: fixture('c_filter_wasi.wasm'), functionName: 'c_filter', eventFormat: 'json' },
    check: (body) => body.message === 'Hello, from C!' && body.tag === 'life.test' && body.original.stream === 'stdout',
  },
  {
    name: 'no-malloc echo (json, host-managed heap)',
    options: { wasmPath: bad('no-malloc.wasm'), functionName: 'filter', eventFormat: 'json', heapSize: '64K' },
    check: (body) => body.stream === 'stdout' && body.status === 200,
  },
];

for (const plugin of PLUGINS) {
  test(`1,000,000 records through one instance, stable memory: ${plugin.name}`, { timeout: 60_000 }, async (t) => {
    const filter = await Filter.load(plugin.options);
    t.after(() => filter.close());
    const chunk = makeChunk();
    const tag = 'life.test';

    const first = filter.filterChunk(tag, chunk);
    const firstEvents = decodeChunk(first);
    assert.equal(firstEvents.length, PER_CHUNK, `the first chunk lost records: ${filter.metrics().lastError}`);
    for (const event of firstEvents) assert.ok(plugin.check(event.body), `unexpected output ${JSON.stringify(event.body)}`);

    const started = Date.now();
    let memoryAt10k = 0;
    let pagesAt10k = 0;
    let at100k = null;
    let different = 0;
    for (let n = 2; n <= CHUNKS; n++) {
      const out = filter.filterChunk(tag, chunk);
      if (Buffer.compare(out, first) !== 0) different++;
      if (n % GC_EVERY === 0) gc();
      if (n * PER_CHUNK === 10_000) {
        memoryAt10k = filter.metrics().memoryBytes;
        pagesAt10k = memoryAt10k / 65536;
      }
      if (n * PER_CHUNK === 100_000) at100k = memoryAfterGc();
    }
    const at1M = memoryAfterGc();
    const mb = (bytes) => `${(bytes / MB).toFixed(1)} MB`;
    const metrics = filter.metrics();
    t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s for ${TOTAL - PER_CHUNK} records; guest memory ${pagesAt10k} pages at 10k, ${metrics.memoryBytes / 65536} at 1M; RSS ${mb(at100k.rss)} at 100k, ${mb(at1M.rss)} at 1M; outside the JS heap ${mb(at100k.outsideJsHeap)} -> ${mb(at1M.outsideJsHeap)}; JS heap used ${mb(at100k.heapUsed)} -> ${mb(at1M.heapUsed)}`);

    assert.equal(different, 0, 'every chunk gives the same output as the first (every record out, same result)');
    assert.equal(metrics.recordsIn, TOTAL);
    assert.equal(metrics.recordsOut, TOTAL);
    assert.equal(metrics.recordsDropped, 0);
    assert.equal(metrics.errors, 0, metrics.lastError);
    assert.equal(metrics.chunks, CHUNKS);
    assert.equal(metrics.instanceRecreations, 0, 'one instance for the whole run');
    assert.ok(memoryAt10k > 0, 'the guest memory size is reported');
    assert.equal(metrics.memoryBytes, memoryAt10k, `guest memory after 1M records (${metrics.memoryBytes} bytes) equals that after 10k (${memoryAt10k})`);
    assert.ok(at1M.rss - at100k.rss < RSS_TOLERANCE,
      `RSS grew by ${mb(at1M.rss - at100k.rss)} from record 100k to 1M (tolerance ${mb(RSS_TOLERANCE)})`);
    assert.ok(at1M.outsideJsHeap - at100k.outsideJsHeap < RSS_TOLERANCE,
      `RSS outside the JS heap grew by ${mb(at1M.outsideJsHeap - at100k.outsideJsHeap)} from record 100k to 1M (tolerance ${mb(RSS_TOLERANCE)})`);
    assert.ok(at1M.heapUsed - at100k.heapUsed < RSS_TOLERANCE,
      `the JS heap grew by ${mb(at1M.heapUsed - at100k.heapUsed)} from record 100k to 1M (tolerance ${mb(RSS_TOLERANCE)})`);
  });
}
