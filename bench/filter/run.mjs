// Filter benchmark: records per second through a wasm filter with logwasm (filterChunk: one
// native call per chunk; filterRecord: one call per record) against a baseline in the same run:
// the same module on Node's own WebAssembly engine (V8) with a plain JavaScript host, which per
// record does JSON.stringify (or msgpack encode), copies the record in, calls the function,
// reads the result and JSON.parse (or msgpack decode)s it.
//
//   node bench/filter/run.mjs [--seconds 0.5] [--records 1000] [--repeat 3]
//
// The machine is shared, so each figure is the best of --repeat rounds, and the rounds of the
// three ways are interleaved so that a busy moment does not hit only one of them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Encoder, Decoder } from '@msgpack/msgpack';
import { Filter, EventTime, encodeChunk, decodeChunk } from '../../dist/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SECONDS = option('seconds', 0.5);
const RECORDS = option('records', 1000);
const REPEAT = option('repeat', 3);

// Plugins that need no imports, so that V8 can run them without a WASI shim.
const PLUGINS = [
  { name: 'echo (wat)', file: 'test/fixtures/bad/behaviours.wasm', fn: 'filter', formats: ['json', 'msgpack'] },
  { name: 'as_filter (AssemblyScript)', file: 'test/fixtures/as_filter.wasm', fn: 'as_filter', formats: ['json'] },
  { name: 'rust_filter', file: 'test/fixtures/rust_filter.wasm', fn: 'rust_filter', formats: ['json'] },
  { name: 'rust_filter_msgpack', file: 'test/fixtures/rust_filter_msgpack.wasm', fn: 'rust_filter_msgpack', formats: ['msgpack'] },
];

function makeRecords(count) {
  const records = [];
  for (let i = 0; i < count; i++) {
    // (the echo module picks a behaviour by the first key's first letter: 's' means echo)
    records.push({
      stream: 'stdout',
      log: `2024-05-01T12:00:${String(i % 60).padStart(2, '0')}Z INFO request handled path=/api/v1/items/${i} status=200`,
      message: `request ${i}`,
      level: 'info',
      duration_ms: 12.5 + (i % 7),
      status: 200,
      kubernetes: { pod_name: `web-${i % 5}`, namespace_name: 'default', labels: { app: 'web' } },
    });
  }
  return records;
}

function measure(fn, recordsPerCall) {
  fn(); // warm up
  let calls = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(SECONDS * 1e9));
  let now = start;
  while (now < deadline) {
    fn();
    calls++;
    now = process.hrtime.bigint();
  }
  return (calls * recordsPerCall) / (Number(now - start) / 1e9);
}

// The baseline host: V8's WebAssembly, records copied in and out by JavaScript.
async function v8Host(file, fn, format) {
  const { instance } = await WebAssembly.instantiate(readFileSync(path.join(root, file)), {});
  const exports = instance.exports;
  const memory = exports.memory;
  const filter = exports[fn];
  const malloc = exports.malloc;
  const free = exports.free;
  let scratch = 0;
  const alloc = (size) => {
    if (malloc) return malloc(size);
    // no malloc: a region after the initial memory, as logwasm's host heap does
    if (!scratch) scratch = memory.grow(2) * 65536;
    return scratch;
  };
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  // one encoder and decoder for all records, as a tuned JavaScript host would keep them
  const packer = new Encoder();
  const unpacker = new Decoder();
  return (tag, time, body) => {
    const tagBytes = encoder.encode(tag);
    const recBytes = format === 'json' ? encoder.encode(JSON.stringify(body)) : packer.encode(body);
    const tagPtr = alloc(tagBytes.length + 1);
    const recPtr = alloc(recBytes.length + 1);
    let heap = new Uint8Array(memory.buffer);
    heap.set(tagBytes, tagPtr);
    heap[tagPtr + tagBytes.length] = 0;
    heap.set(recBytes, recPtr);
    heap[recPtr + recBytes.length] = 0;
    const result = filter(tagPtr, tagBytes.length, time.seconds, time.nanoseconds, recPtr, recBytes.length) >>> 0;
    heap = new Uint8Array(memory.buffer);
    let out = null;
    if (result !== 0) {
      if (format === 'json') {
        const end = heap.indexOf(0, result);
        const text = decoder.decode(heap.subarray(result, end));
        out = text === '' ? null : JSON.parse(text);
      } else {
        for (const value of unpacker.decodeMulti(heap.subarray(result))) {
          out = value;
          break;
        }
      }
    }
    if (malloc && free) {
      free(tagPtr);
      free(recPtr);
    }
    return out;
  };
}

const records = makeRecords(RECORDS);
const time = new EventTime(1714564800, 123456789);
const events = records.map((body) => ({ time, metadata: {}, body }));
const chunk = encodeChunk(events);
const tag = 'kube.var.log.containers.web';

console.log(`filter benchmark: ${RECORDS} records per chunk (${(chunk.length / RECORDS).toFixed(0)} bytes each as msgpack), best of ${REPEAT} x ${SECONDS}s per figure`);
console.log('records/s; ratio = logwasm / V8 baseline (higher is better for logwasm)\n');
const rows = [];
for (const plugin of PLUGINS) {
  for (const format of plugin.formats) {
    const label = `${plugin.name} [${format}]`;
    let filter;
    try {
      filter = await Filter.load({ wasmPath: path.join(root, plugin.file), functionName: plugin.fn, eventFormat: format, heapSize: '1M' });
      const check = decodeChunk(filter.filterChunk(tag, chunk));
      if (check.length !== RECORDS) throw new Error(`only ${check.length} of ${RECORDS} records came back (${filter.metrics().lastError || 'dropped by the plugin'})`);
    } catch (error) {
      console.log(`${label}: skipped, logwasm cannot run it yet: ${error.message}`);
      filter?.close();
      continue;
    }
    let host;
    try {
      host = await v8Host(plugin.file, plugin.fn, format);
      host(tag, time, records[0]);
    } catch (error) {
      console.log(`${label}: baseline failed on V8: ${error.message}`);
    }
    let baseline = host ? 0 : undefined;
    let viaChunk = 0;
    let viaRecord = 0;
    for (let round = 0; round < REPEAT; round++) {
      if (host) {
        baseline = Math.max(baseline, measure(() => {
          for (const body of records) host(tag, time, body);
        }, RECORDS));
      }
      viaChunk = Math.max(viaChunk, measure(() => filter.filterChunk(tag, chunk), RECORDS));
      viaRecord = Math.max(viaRecord, measure(() => {
        for (const body of records) filter.filterRecord(tag, time, body);
      }, RECORDS));
    }
    filter.close();
    rows.push({ label, viaChunk, viaRecord, baseline });
    const fmt = (n) => (n === undefined ? 'n/a' : Math.round(n).toLocaleString('en-US'));
    const ratio = (n) => (baseline ? `${(n / baseline).toFixed(2)}x` : 'n/a');
    console.log(`${label}`);
    console.log(`  logwasm filterChunk : ${fmt(viaChunk).padStart(12)} rec/s  ratio ${ratio(viaChunk)}`);
    console.log(`  logwasm filterRecord: ${fmt(viaRecord).padStart(12)} rec/s  ratio ${ratio(viaRecord)}`);
    console.log(`  V8 + JS host        : ${fmt(baseline).padStart(12)} rec/s`);
  }
}
if (rows.length === 0) {
  console.log('no plugin could be measured');
  process.exitCode = 1;
}
