// lib/aot: the AOT tier through the TypeScript API. Every example filter gives byte-identical
// results on the interpreter (.wasm) and on compiled code (.lwaot artifact, and tier 'aot' on the
// .wasm through the compile cache); tier 'interp' refuses an artifact; a missing compiler is an
// error that says how to build one. Needs build/runtime/logwasm-aotc (LLVM 19): without it the
// compiling tests are skipped and say so; the missing-compiler error is tested regardless.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, mkdtempSync, existsSync, statSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Filter, EventTime, encodeChunk, encodeMsgpack, runWasi, findAotCompiler, isAotArtifact, aotCacheDir } from '../../dist/index.js';
import { root, fixture, bad } from './helpers.mjs';

const expected = JSON.parse(readFileSync(path.join(root, 'examples', 'expected.json'), 'utf8'));
const input = expected.input;
const time = new EventTime(input.time.seconds, input.time.nanoseconds);
const compiler = findAotCompiler();
const noCompiler = compiler ? false : 'logwasm-aotc is not built (needs LLVM 19: apt-get install llvm-19-dev && npm run build:runtime)';
const work = mkdtempSync(path.join(tmpdir(), 'logwasm-aot-api-'));
const cacheDir = path.join(work, 'cache');

// The cache and the compiler come from the environment at call time: point the cache at a
// scratch directory so the tests see exactly what they compiled.
const savedEnv = { cache: process.env.LOGWASM_AOT_CACHE, aotc: process.env.LOGWASM_AOTC };
before(() => { process.env.LOGWASM_AOT_CACHE = cacheDir; });
after(() => {
  for (const [key, name] of [['cache', 'LOGWASM_AOT_CACHE'], ['aotc', 'LOGWASM_AOTC']]) {
    if (savedEnv[key] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[key];
  }
  rmSync(work, { recursive: true, force: true });
});

function compile(wasm, out, extra = []) {
  const r = spawnSync(compiler, [...extra, '-o', out, wasm], { encoding: 'utf8' });
  assert.equal(r.status, 0, `logwasm-aotc failed: ${r.stderr}`);
  return out;
}

// A chunk that exercises more than the one expected record: several bodies, with metadata.
const bodies = [
  input.body,
  { message: 'second', level: 'warn', n: 42, nested: { a: [1, 2.5, 'x'], t: true, z: null } },
  { log: 'x'.repeat(300), stream: 'stderr', code: -7 },
  { message: 'unicode \u00e9\u4e2d', empty: '' },
];
const chunk = encodeChunk(bodies.map((body, i) => ({ time: new EventTime(input.time.seconds + i, input.time.nanoseconds), metadata: { i }, body })));

// Everything a filter returns for the chunk and for each record, as bytes.
async function outputs(wasmPath, example, tier) {
  const filter = await Filter.load({ wasmPath, functionName: example.function, eventFormat: example.event_format, heapSize: '1M', tier });
  try {
    const fromChunk = Buffer.from(filter.filterChunk(input.tag, chunk));
    const fromRecords = bodies.map((body, i) => {
      const raw = filter.filterRecordRaw(input.tag, new EventTime(input.time.seconds + i, input.time.nanoseconds), encodeMsgpack(body));
      return raw === null ? null : Buffer.from(raw).toString('hex');
    });
    const expectedBody = filter.filterRecord(input.tag, time, input.body);
    return { fromChunk, fromRecords, expectedBody, metrics: filter.metrics() };
  } finally {
    filter.close();
  }
}

describe('the example filters give byte-identical results on the interpreter and on compiled code', { skip: noCompiler }, () => {
  for (const example of expected.examples.filter((e) => e.kind === 'filter')) {
    test(example.name, { timeout: 600000 }, async () => {
      const wasm = fixture(path.basename(example.fixture));
      // -O0 keeps the 3 MB Go plugin's compile short; the others at the default -O3
      const artifact = compile(wasm, path.join(work, `${example.name}.lwaot`), example.name === 'go_filter' ? ['-O0'] : []);
      assert.ok(isAotArtifact(readFileSync(artifact)));
      const interp = await outputs(wasm, example, 'interp');
      const aot = await outputs(artifact, example, 'auto');
      assert.equal(interp.metrics.errors, 0, interp.metrics.lastError);
      assert.equal(aot.metrics.errors, 0, aot.metrics.lastError);
      assert.ok(interp.fromChunk.length > 16, 'the interpreter returned records');
      assert.ok(aot.fromChunk.equals(interp.fromChunk), `filterChunk differs:\n  interp ${interp.fromChunk.toString('hex')}\n  aot    ${aot.fromChunk.toString('hex')}`);
      assert.deepEqual(aot.fromRecords, interp.fromRecords);
      assert.deepEqual(aot.expectedBody, example.body);
      assert.deepEqual(Object.keys(aot.expectedBody), Object.keys(example.body));
    });
  }
});

describe("tier: 'aot' on a .wasm compiles through the cache", { skip: noCompiler }, () => {
  test('compiles once, then loads the cached artifact; results match the interpreter', async () => {
    const example = expected.examples.find((e) => e.name === 'c_filter_msgpack');
    const wasm = fixture('c_filter_msgpack.wasm');
    assert.equal(aotCacheDir(), cacheDir);
    const cached = () => (existsSync(cacheDir) ? readdirSync(cacheDir).filter((f) => f.endsWith('.lwaot')) : []);
    const before = new Set(cached());
    const first = await outputs(wasm, example, 'aot');
    const added = cached().filter((f) => !before.has(f));
    assert.equal(added.length, 1, `one artifact cached, got ${added.join(', ')}`);
    const artifact = path.join(cacheDir, added[0]);
    assert.ok(isAotArtifact(readFileSync(artifact)));
    const compiledAt = statSync(artifact).mtimeMs;
    const second = await outputs(wasm, example, 'aot');
    assert.equal(statSync(artifact).mtimeMs, compiledAt, 'the second load used the cache');
    assert.equal(cached().length, before.size + 1);
    const interp = await outputs(wasm, example, 'interp');
    assert.ok(first.fromChunk.equals(interp.fromChunk));
    assert.ok(second.fromChunk.equals(interp.fromChunk));
    assert.deepEqual(first.expectedBody, example.body);
  });

  test('a changed module is compiled again (the key is its SHA-256)', async () => {
    const dir = mkdtempSync(path.join(work, 'changed-'));
    const file = path.join(dir, 'f.wasm');
    const original = readFileSync(fixture('c_filter.wasm'));
    writeFileSync(file, original);
    const load = () => Filter.load({ wasmPath: file, functionName: 'c_filter', heapSize: '64K', tier: 'aot' });
    (await load()).close();
    const count = readdirSync(cacheDir).length;
    (await load()).close();
    assert.equal(readdirSync(cacheDir).length, count, 'same bytes: no new artifact');
    // a custom section appended: same code, different bytes
    writeFileSync(file, Buffer.concat([original, Buffer.from([0, 4, 3, 0x61, 0x62, 0x63])]));
    const filter = await load();
    assert.equal(readdirSync(cacheDir).length, count + 1, 'new bytes: a new artifact');
    const out = filter.filterRecord(input.tag, time, input.body);
    filter.close();
    assert.deepEqual(out, expected.examples.find((e) => e.name === 'c_filter').body);
  });

  test('a module the compiler rejects: the compiler says why, naming the file', async () => {
    const file = path.join(work, 'broken.wasm');
    writeFileSync(file, Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x01, 0x05, 0xff]));
    await assert.rejects(Filter.load({ wasmPath: file, functionName: 'f', tier: 'aot' }),
      (error) => error.code === 'LOGWASM_ERR_AOT_COMPILE' && error.message.includes(file));
  });

  test('runWasi: the exec_wasi example gives the same records from .wasm, tier aot and an artifact', { timeout: 600000 }, async () => {
    const example = expected.examples.find((e) => e.name === 'exec_wasi');
    const wasm = fixture('exec_wasi.wasm');
    const artifact = compile(wasm, path.join(work, 'exec_wasi.lwaot'));
    const cwd = process.cwd();
    const results = [];
    for (const [wasiPath, tier] of [[wasm, 'interp'], [wasm, 'aot'], [artifact, 'auto'], [artifact, 'aot']]) {
      const dir = mkdtempSync(path.join(work, 'wasi-'));
      process.chdir(dir);
      try {
        const records = await runWasi({ wasiPath, tier, accessiblePaths: ['.'] });
        results.push(records.map((r) => r.body));
        for (const [name, content] of Object.entries(example.files)) assert.equal(readFileSync(path.join(dir, name), 'utf8'), content);
      } finally {
        process.chdir(cwd);
      }
    }
    for (const result of results) assert.deepEqual(result, example.records);
  });
});

describe("tier: 'interp' refuses an artifact", { skip: noCompiler }, () => {
  test('Filter.load and runWasi say to pass the .wasm', async () => {
    const artifact = compile(fixture('c_filter.wasm'), path.join(work, 'c_filter-interp.lwaot'));
    await assert.rejects(Filter.load({ wasmPath: artifact, functionName: 'c_filter', tier: 'interp' }),
      (error) => error.code === 'LOGWASM_ERR_ARGUMENT' && /AOT artifact/.test(error.message) && /pass the \.wasm/.test(error.message));
    const command = compile(bad('exit3.wasm'), path.join(work, 'exit3.lwaot'));
    await assert.rejects(runWasi({ wasiPath: command, tier: 'interp' }), /pass the \.wasm/);
    // and the same artifact runs on 'auto'
    const records = await runWasi({ wasiPath: command });
    assert.deepEqual(records.map((r) => r.body), [{ wasi_stdout: 'argc=0' }]);
  });
});

test("tier: 'aot' without a compiler: an error with LLVM 19 and the commands", async () => {
  process.env.LOGWASM_AOTC = path.join(work, 'no-such-logwasm-aotc');
  try {
    await assert.rejects(Filter.load({ wasmPath: fixture('c_filter.wasm'), functionName: 'c_filter', tier: 'aot' }), (error) => {
      assert.equal(error.code, 'LOGWASM_ERR_NO_AOTC');
      assert.match(error.message, /LLVM 19/);
      assert.match(error.message, /apt-get install llvm-19-dev && npm run build:runtime/);
      assert.match(error.message, /LOGWASM_AOTC/);
      return true;
    });
    await assert.rejects(runWasi({ wasiPath: bad('exit3.wasm'), tier: 'aot' }), { code: 'LOGWASM_ERR_NO_AOTC' });
    // 'auto' and 'interp' on a .wasm never need the compiler
    const filter = await Filter.load({ wasmPath: fixture('c_filter.wasm'), functionName: 'c_filter', heapSize: '64K', tier: 'interp' });
    assert.deepEqual(filter.filterRecord(input.tag, time, input.body), expected.examples.find((e) => e.name === 'c_filter').body);
    filter.close();
  } finally {
    if (savedEnv.aotc === undefined) delete process.env.LOGWASM_AOTC;
    else process.env.LOGWASM_AOTC = savedEnv.aotc;
  }
});

test('an unknown tier is an argument error', async () => {
  await assert.rejects(Filter.load({ wasmPath: fixture('c_filter.wasm'), functionName: 'c_filter', tier: 'jit' }),
    { code: 'LOGWASM_ERR_ARGUMENT', message: "tier must be 'auto', 'interp' or 'aot', got 'jit'" });
});
