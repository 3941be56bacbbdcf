// Filter benchmark: records per second through a wasm filter with logwasm (filterChunk: one
// native call per chunk; filterRecord: one call per record) against a baseline in the same run:
// the same module on Node's own WebAssembly engine (V8) with a plain JavaScript host, which per
// record does JSON.stringify (or msgpack encode), copies the record in, calls the function,
// reads the result and JSON.parse (or msgpack decode)s it. Modules that import WASI (the C
// examples, wasi-libc reactors) get node:wasi in the baseline: no preopens, no args, no env,
// initialize() for the reactor's _initialize; everything else about that host is the same.
// logwasm loads the .wasm itself, so it runs on the interpreter tier.
//
//   node bench/filter/run.mjs [--seconds 0.5] [--records 1000] [--repeat 3]
//
// The machine is shared, so each figure is the best of --repeat rounds, and the rounds of the
// three ways are interleaved so that a busy moment does not hit only one of them.
//
// Honesty checks before a row is timed: logwasm must return every record, and a sample of
// records (every 97th, plus the first and the last) must come out of logwasm's filterChunk,
// logwasm's filterRecord and the V8 baseline with the same body (keys in the same order), so a
// wrong result cannot look fast. A mismatch fails the run (exit code 1) and the row has no ratio.
//
// The output ends with two summary lines for the C examples (issue #3's bar: filterChunk at least
// 1x the baseline in json mode and 1.5x in msgpack mode):
//   filterChunk vs v8 (C example): json X.XXx, msgpack Y.YYx
//   filterRecord vs v8 (C example): json X.XXx, msgpack Y.YYx
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Encoder, Decoder } from '@msgpack/msgpack';
import { Filter, EventTime, encodeChunk, decodeChunk } from '../../dist/index.js';

// node:wasi says it is experimental on every run; the baseline only uses preview1 basics, so
// that one warning is left out of the benchmark's output (any other warning is still printed).
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name === 'ExperimentalWarning' && /WASI/.test(warning.message)) return;
  console.warn(`${warning.name}: ${warning.message}`);
});
// (imported after the listener: loading node:wasi is what emits the warning)
const { WASI } = await import('node:wasi');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SECONDS = option('seconds', 0.5);
const RECORDS = option('records', 1000);
const REPEAT = option('repeat', 3);

// Plugins with no imports, or WASI imports only (node:wasi in the baseline). `c` marks the C
// examples that the summary lines report.
const PLUGINS = [
  { name: 'echo (wat)', file: 'test/fixtures/bad/behaviours.wasm', fn: 'filter', formats: ['json', 'msgpack'] },
  { name: 'as_filter (AssemblyScript)', file: 'test/fixtures/as_filter.wasm', fn: 'as_filter', formats: ['json'] },
  { name: 'rust_filter', file: 'test/fixtures/rust_filter.wasm', fn: 'rust_filter', formats: ['json'] },
  { name: 'rust_filter_msgpack', file: 'test/fixtures/rust_filter_msgpack.wasm', fn: 'rust_filter_msgpack', formats: ['msgpack'] },
  { name: 'c_filter_wasi (C, wasi-libc)', file: 'test/fixtures/c_filter_wasi.wasm', fn: 'c_filter', formats: ['json'], c: true },
  { name: 'c_filter_msgpack (C, wasi-libc)', file: 'test/fixtures/c_filter_msgpack.wasm', fn: 'c_filter_msgpack', formats: ['msgpack'], c: true },
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
  const module = await WebAssembly.compile(readFileSync(path.join(root, file)));
  const importModules = new Set(WebAssembly.Module.imports(module).map((i) => i.module));
  let wasi = null;
  let imports = {};
  if (importModules.has('wasi_snapshot_preview1')) {
    // A WASI with nothing to reach: no preopens, args or environment.
    wasi = new WASI({ version: 'preview1', args: [], env: {}, preopens: {}, returnOnExit: true });
    imports = wasi.getImportObject();
  }
  const other = [...importModules].filter((name) => name !== 'wasi_snapshot_preview1');
  if (other.length > 0) throw new Error(`imports from ${other.join(', ')}: the baseline host has only WASI`);
  const instance = await WebAssembly.instantiate(module, imports);
  if (wasi) {
    if (instance.exports._initialize) wasi.initialize(instance); // reactor
    else throw new Error('a WASI module without _initialize (a command) is not a filter');
  }
  const exports = instance.exports;
  const memory = exports.memory;
  const filter = exports[fn];
  const malloc = exports.malloc;
  const free = exports.free;
  // No malloc: a bump region after the initial memory, as logwasm's host heap does, reset
  // for every record (tag and record must not share an address).
  let scratchStart = 0;
  let scratchEnd = 0;
  let scratchNext = 0;
  const alloc = (size) => {
    if (malloc) return malloc(size);
    if (!scratchStart) {
      scratchStart = memory.grow(2) * 65536;
      scratchEnd = scratchStart + 2 * 65536;
      scratchNext = scratchStart;
    }
    const at = scratchNext;
    scratchNext = (at + size + 7) & ~7;
    if (scratchNext > scratchEnd) throw new Error(`baseline host heap: ${size} bytes do not fit the 128 KiB region`);
    return at;
  };
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  // one encoder and decoder for all records, as a tuned JavaScript host would keep them
  const packer = new Encoder();
  const unpacker = new Decoder();
  return (tag, time, body) => {
    scratchNext = scratchStart;
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

// Bodies compared as JSON text with bigints spelled out, so key order and kinds count.
const canonical = (value) => JSON.stringify(value, (key, v) => (typeof v === 'bigint' ? `${v}n` : v));

// Every 97th record plus the first and the last: logwasm's filterChunk and filterRecord and the
// baseline must agree on each. Returns a description of the first difference, or null.
function checkSample(filter, host, chunkBodies) {
  const sample = [];
  for (let i = 0; i < RECORDS; i += 97) sample.push(i);
  if (sample.at(-1) !== RECORDS - 1) sample.push(RECORDS - 1);
  for (const i of sample) {
    const fromChunk = canonical(chunkBodies[i]);
    const fromRecord = canonical(filter.filterRecord(tag, time, records[i]));
    const fromBaseline = canonical(host(tag, time, records[i]));
    if (fromChunk !== fromBaseline || fromRecord !== fromBaseline) {
      return `record ${i}: filterChunk ${fromChunk}, filterRecord ${fromRecord}, V8 baseline ${fromBaseline}`;
    }
  }
  return null;
}

const records = makeRecords(RECORDS);
const time = new EventTime(1714564800, 123456789);
const events = records.map((body) => ({ time, metadata: {}, body }));
const chunk = encodeChunk(events);
const tag = 'kube.var.log.containers.web';

console.log(`filter benchmark: ${RECORDS} records per chunk (${(chunk.length / RECORDS).toFixed(0)} bytes each as msgpack), best of ${REPEAT} x ${SECONDS}s per figure`);
console.log('logwasm runs each .wasm on its interpreter tier; the baseline is the same module on V8 with a JS host (node:wasi for WASI modules)');
console.log('records/s; ratio = logwasm / V8 baseline (higher is better for logwasm)\n');
const rows = [];
let mismatches = 0;
for (const plugin of PLUGINS) {
  for (const format of plugin.formats) {
    const label = `${plugin.name} [${format}]`;
    let filter;
    let chunkBodies;
    try {
      filter = await Filter.load({ wasmPath: path.join(root, plugin.file), functionName: plugin.fn, eventFormat: format, heapSize: '1M' });
      chunkBodies = decodeChunk(filter.filterChunk(tag, chunk)).map((event) => event.body);
      if (chunkBodies.length !== RECORDS) throw new Error(`only ${chunkBodies.length} of ${RECORDS} records came back (${filter.metrics().lastError || 'dropped by the plugin'})`);
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
      host = undefined;
    }
    if (host) {
      const difference = checkSample(filter, host, chunkBodies);
      if (difference) {
        console.log(`${label}: MISMATCH between logwasm and the V8 baseline, not timed: ${difference}`);
        mismatches++;
        filter.close();
        continue;
      }
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
    rows.push({ label, format, c: plugin.c === true, viaChunk, viaRecord, baseline });
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
if (mismatches > 0) {
  console.log(`\n${mismatches} row(s) gave different results on logwasm and V8: see MISMATCH above`);
  process.exitCode = 1;
}

// The C examples against issue #3's bar, then the two summary lines.
const cRatio = (format, key) => {
  const row = rows.find((r) => r.c && r.format === format);
  return row && row.baseline ? row[key] / row.baseline : undefined;
};
const shown = (ratio) => (ratio === undefined ? 'n/a' : `${ratio.toFixed(2)}x`);
const bar = (ratio, wanted) => (ratio === undefined ? 'not measured' : ratio >= wanted ? 'met' : 'NOT met');
console.log(`\nissue #3 bar (filterChunk, interpreter tier, C example): json >= 1.00x ${bar(cRatio('json', 'viaChunk'), 1)}, msgpack >= 1.50x ${bar(cRatio('msgpack', 'viaChunk'), 1.5)}`);
console.log(`filterChunk vs v8 (C example): json ${shown(cRatio('json', 'viaChunk'))}, msgpack ${shown(cRatio('msgpack', 'viaChunk'))}`);
console.log(`filterRecord vs v8 (C example): json ${shown(cRatio('json', 'viaRecord'))}, msgpack ${shown(cRatio('msgpack', 'viaRecord'))}`);
