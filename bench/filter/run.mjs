// Filter benchmark: records per second through a wasm filter with logwasm (filterChunk: one
// native call per chunk; filterRecord: one call per record) against a baseline in the same run:
// the same module on Node's own WebAssembly engine (V8) with a plain JavaScript host, which per
// record does JSON.stringify (or msgpack encode), copies the record in, calls the function,
// reads the result and JSON.parse (or msgpack decode)s it. Modules that import WASI (the C
// examples, wasi-libc reactors) get node:wasi in the baseline: no preopens, no args, no env,
// initialize() for the reactor's _initialize; everything else about that host is the same.
// logwasm runs each .wasm on its interpreter tier and, in the AOT rows, an artifact of the same
// .wasm compiled by build/runtime/logwasm-aotc -O3 for this machine's CPU, cached in build/bench/
// (rebuilt when the .wasm or the compiler is newer; compile time is not in any figure). Without
// the compiler (it needs LLVM 19) the AOT rows are skipped and say why.
//
//   node bench/filter/run.mjs [--seconds 0.5] [--records 1000] [--repeat 3]
//
// The machine is shared, so each figure is the best of --repeat rounds, and the rounds of the
// three ways are interleaved so that a busy moment does not hit only one of them.
//
// Honesty checks before a row is timed: logwasm must return every record, and a sample of
// records (every 97th, plus the first and the last) must come out of logwasm's filterChunk and
// filterRecord (interpreter and AOT) and the V8 baseline with the same body (keys in the same order), so a
// wrong result cannot look fast. A mismatch fails the run (exit code 1) and the row has no ratio.
//
// The output ends with summary lines for the C examples (issue #3's bar: interpreter filterChunk
// at least 1x the baseline in json mode and 1.5x in msgpack mode; issue #4's bar: AOT filterChunk
// at least 3x the baseline in json mode):
//   filterChunk vs v8 (C example): json X.XXx, msgpack Y.YYx
//   filterRecord vs v8 (C example): json X.XXx, msgpack Y.YYx
//   filterChunk vs v8 with AOT (C example): json X.XXx, msgpack Y.YYx
//   filterRecord vs v8 with AOT (C example): json X.XXx, msgpack Y.YYx
import { readFileSync, statSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
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

// The AOT artifact of a plugin: build/bench/filter-<name>.lwaot, logwasm-aotc -O3 with the
// compiler's default CPU (this machine's), rebuilt when the .wasm or the compiler is newer.
const aotCompiler = path.resolve(process.env.LOGWASM_AOTC || path.join(root, 'build', 'runtime', 'logwasm-aotc'));
const aotMissing = existsSync(aotCompiler)
  ? null
  : `${path.relative(root, aotCompiler)} not built: the AOT compiler needs LLVM 19 (apt-get install llvm-19-dev && npm run build:runtime)`;
const mtime = (file) => { try { return statSync(file).mtimeMs; } catch { return -1; } };
function aotArtifact(file) {
  const wasm = path.join(root, file);
  const dir = path.join(root, 'build', 'bench');
  const artifact = path.join(dir, `filter-${path.basename(file, '.wasm')}.lwaot`);
  if (mtime(artifact) >= Math.max(mtime(wasm), mtime(aotCompiler))) return artifact;
  mkdirSync(dir, { recursive: true });
  const result = spawnSync(aotCompiler, ['-O3', '-o', artifact, wasm], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    rmSync(artifact, { force: true });
    throw new Error(`logwasm-aotc -O3 ${file} failed: ${result.error?.message ?? result.stderr.trim()}`);
  }
  return artifact;
}

// Bodies compared as JSON text with bigints spelled out, so key order and kinds count.
const canonical = (value) => JSON.stringify(value, (key, v) => (typeof v === 'bigint' ? `${v}n` : v));

// Every 97th record plus the first and the last: logwasm's filterChunk and filterRecord and the
// baseline must agree on each. Returns a description of the first difference, or null.
function checkSample(filter, host, chunkBodies, which) {
  const sample = [];
  for (let i = 0; i < RECORDS; i += 97) sample.push(i);
  if (sample.at(-1) !== RECORDS - 1) sample.push(RECORDS - 1);
  for (const i of sample) {
    const fromChunk = canonical(chunkBodies[i]);
    const fromRecord = canonical(filter.filterRecord(tag, time, records[i]));
    const fromBaseline = canonical(host(tag, time, records[i]));
    if (fromChunk !== fromBaseline || fromRecord !== fromBaseline) {
      return `record ${i}: ${which} filterChunk ${fromChunk}, filterRecord ${fromRecord}, V8 baseline ${fromBaseline}`;
    }
  }
  return null;
}

// Load a filter and run the whole chunk once: every record must come back.
async function loadAndRun(wasmPath, plugin, format) {
  let filter;
  try {
    filter = await Filter.load({ wasmPath, functionName: plugin.fn, eventFormat: format, heapSize: '1M' });
    const bodies = decodeChunk(filter.filterChunk(tag, chunk)).map((event) => event.body);
    if (bodies.length !== RECORDS) throw new Error(`only ${bodies.length} of ${RECORDS} records came back (${filter.metrics().lastError || 'dropped by the plugin'})`);
    return { filter, bodies };
  } catch (error) {
    filter?.close();
    throw error;
  }
}

const records = makeRecords(RECORDS);
const time = new EventTime(1714564800, 123456789);
const events = records.map((body) => ({ time, metadata: {}, body }));
const chunk = encodeChunk(events);
const tag = 'kube.var.log.containers.web';

console.log(`filter benchmark: ${RECORDS} records per chunk (${(chunk.length / RECORDS).toFixed(0)} bytes each as msgpack), best of ${REPEAT} x ${SECONDS}s per figure`);
console.log('logwasm runs each .wasm on its interpreter tier; the baseline is the same module on V8 with a JS host (node:wasi for WASI modules)');
console.log(aotMissing
  ? `AOT rows skipped: ${aotMissing}`
  : `AOT rows: the same .wasm compiled by ${path.relative(root, aotCompiler)} -O3 for this CPU, cached in build/bench/ (compile time not included)`);
console.log('records/s; ratio = logwasm / V8 baseline (higher is better for logwasm)\n');
const rows = [];
let mismatches = 0;
for (const plugin of PLUGINS) {
  for (const format of plugin.formats) {
    const label = `${plugin.name} [${format}]`;
    let filter;
    let chunkBodies;
    try {
      ({ filter, bodies: chunkBodies } = await loadAndRun(path.join(root, plugin.file), plugin, format));
    } catch (error) {
      console.log(`${label}: skipped, logwasm cannot run it yet: ${error.message}`);
      continue;
    }
    // the AOT artifact of the same module (its failure skips only the AOT lines of the row)
    let aot = null;
    let aotBodies;
    let aotSkipped = aotMissing;
    if (!aotMissing) {
      try {
        ({ filter: aot, bodies: aotBodies } = await loadAndRun(aotArtifact(plugin.file), plugin, format));
      } catch (error) {
        aotSkipped = `cannot run the AOT artifact: ${error.message}`;
      }
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
      const difference = checkSample(filter, host, chunkBodies, 'interpreter')
        ?? (aot && checkSample(aot, host, aotBodies, 'AOT'));
      if (difference) {
        console.log(`${label}: MISMATCH between logwasm and the V8 baseline, not timed: ${difference}`);
        mismatches++;
        filter.close();
        aot?.close();
        continue;
      }
    } else if (aot) {
      // no baseline: AOT and interpreter must still agree, in full (chunk bodies, in order)
      const a = canonical(aotBodies);
      if (a !== canonical(chunkBodies)) {
        console.log(`${label}: MISMATCH between the AOT and interpreter tiers, not timed`);
        mismatches++;
        filter.close();
        aot.close();
        continue;
      }
    }
    let baseline = host ? 0 : undefined;
    let viaChunk = 0;
    let viaRecord = 0;
    let aotChunk = aot ? 0 : undefined;
    let aotRecord = aot ? 0 : undefined;
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
      if (aot) {
        aotChunk = Math.max(aotChunk, measure(() => aot.filterChunk(tag, chunk), RECORDS));
        aotRecord = Math.max(aotRecord, measure(() => {
          for (const body of records) aot.filterRecord(tag, time, body);
        }, RECORDS));
      }
    }
    filter.close();
    aot?.close();
    rows.push({ label, format, c: plugin.c === true, viaChunk, viaRecord, aotChunk, aotRecord, baseline });
    const fmt = (n) => (n === undefined ? 'n/a' : Math.round(n).toLocaleString('en-US'));
    const ratio = (n) => (baseline ? `${(n / baseline).toFixed(2)}x` : 'n/a');
    console.log(`${label}`);
    console.log(`  logwasm filterChunk : ${fmt(viaChunk).padStart(12)} rec/s  ratio ${ratio(viaChunk)}`);
    console.log(`  logwasm filterRecord: ${fmt(viaRecord).padStart(12)} rec/s  ratio ${ratio(viaRecord)}`);
    if (aot) {
      console.log(`  AOT filterChunk     : ${fmt(aotChunk).padStart(12)} rec/s  ratio ${ratio(aotChunk)}`);
      console.log(`  AOT filterRecord    : ${fmt(aotRecord).padStart(12)} rec/s  ratio ${ratio(aotRecord)}`);
    } else console.log(`  AOT                 : skipped, ${aotSkipped}`);
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
  return row && row.baseline && row[key] !== undefined ? row[key] / row.baseline : undefined;
};
const shown = (ratio) => (ratio === undefined ? 'n/a' : `${ratio.toFixed(2)}x`);
const bar = (ratio, wanted) => (ratio === undefined ? 'not measured' : ratio >= wanted ? 'met' : 'NOT met');
console.log(`\nissue #3 bar (filterChunk, interpreter tier, C example): json >= 1.00x ${bar(cRatio('json', 'viaChunk'), 1)}, msgpack >= 1.50x ${bar(cRatio('msgpack', 'viaChunk'), 1.5)}`);
console.log(`filterChunk vs v8 (C example): json ${shown(cRatio('json', 'viaChunk'))}, msgpack ${shown(cRatio('msgpack', 'viaChunk'))}`);
console.log(`filterRecord vs v8 (C example): json ${shown(cRatio('json', 'viaRecord'))}, msgpack ${shown(cRatio('msgpack', 'viaRecord'))}`);
console.log(`issue #4 bar (filterChunk, AOT tier, C example): json >= 3.00x ${bar(cRatio('json', 'aotChunk'), 3)}`);
console.log(`filterChunk vs v8 with AOT (C example): json ${shown(cRatio('json', 'aotChunk'))}, msgpack ${shown(cRatio('msgpack', 'aotChunk'))}`);
console.log(`filterRecord vs v8 with AOT (C example): json ${shown(cRatio('json', 'aotRecord'))}, msgpack ${shown(cRatio('msgpack', 'aotRecord'))}`);
