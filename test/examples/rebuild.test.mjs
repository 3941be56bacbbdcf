// Rebuilds each example plugin (examples/*/build.sh) into a temporary directory
// and checks the result against the committed fixture in test/fixtures/:
// - the rebuilt module exports the entry function with the signature listed
//   in examples/expected.json, exactly as the committed fixture does, and has
//   the same imports and exports;
// - when the package is built (dist/ and the addon), the rebuilt module gives
//   the same output as the committed fixture through the Filter API (or
//   runWasi for exec_wasi); a difference from expected.json is reported as a
//   diagnostic (asserting it is the engine compatibility tests' job).
// A missing toolchain skips that language with a message naming the tool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const expected = JSON.parse(fs.readFileSync(path.join(repoRoot, 'examples', 'expected.json'), 'utf8'));
const BUILD_TIMEOUT_MS = 15 * 60 * 1000;

// ---- a small reader for the parts of a wasm binary this test compares ----
const VALUE_TYPES = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' };

function describeWasm(bytes) {
  let pos = 0;
  const u8 = () => {
    if (pos >= bytes.length) throw new Error('unexpected end of wasm binary');
    return bytes[pos++];
  };
  const leb = () => {
    let result = 0, shift = 0, byte;
    do {
      byte = u8();
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return result;
  };
  const name = () => {
    const length = leb();
    const text = Buffer.from(bytes.subarray(pos, pos + length)).toString('utf8');
    pos += length;
    return text;
  };
  const valueType = () => {
    const code = u8();
    if (!(code in VALUE_TYPES)) throw new Error(`unknown value type 0x${code.toString(16)}`);
    return VALUE_TYPES[code];
  };
  const limits = () => {
    const flags = u8();
    leb();
    if (flags & 1) leb();
  };

  assert.deepEqual([...bytes.subarray(0, 8)], [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0], 'not a wasm 1.0 binary');
  pos = 8;
  const types = [];
  const functionTypes = []; // type index of every function, imports first
  const imports = [];
  const exports = [];
  while (pos < bytes.length) {
    const id = u8();
    const size = leb();
    const end = pos + size;
    if (id === 1) {
      for (let count = leb(); count > 0; count--) {
        assert.equal(u8(), 0x60, 'function type expected');
        const params = [];
        for (let n = leb(); n > 0; n--) params.push(valueType());
        const results = [];
        for (let n = leb(); n > 0; n--) results.push(valueType());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let count = leb(); count > 0; count--) {
        const module = name();
        const field = name();
        const kind = u8();
        if (kind === 0) functionTypes.push(leb());
        else if (kind === 1) { valueType(); limits(); }
        else if (kind === 2) limits();
        else if (kind === 3) { valueType(); u8(); }
        else throw new Error(`unknown import kind ${kind}`);
        imports.push(`${module}.${field}`);
      }
    } else if (id === 3) {
      for (let count = leb(); count > 0; count--) functionTypes.push(leb());
    } else if (id === 7) {
      for (let count = leb(); count > 0; count--) {
        const field = name();
        const kind = ['func', 'table', 'memory', 'global', 'tag'][u8()];
        exports.push({ name: field, kind, index: leb() });
      }
    }
    pos = end;
  }
  const signatureOf = (exportName) => {
    const entry = exports.find((e) => e.name === exportName && e.kind === 'func');
    return entry ? types[functionTypes[entry.index]] : null;
  };
  return {
    imports: [...new Set(imports)].sort(),
    exports: exports.map((e) => `${e.kind === 'func' ? 'function' : e.kind}:${e.name}`).sort(),
    signatureOf,
  };
}

// ---- the package's API, when it is built ----
async function loadPackageApi() {
  const entry = path.join(repoRoot, 'dist', 'index.js');
  if (!fs.existsSync(entry)) return { missing: 'dist/index.js not built (npm run build:ts)' };
  try {
    const api = await import(entry);
    if (!api.addonAvailable()) return { missing: 'the logwasm addon is not built (npm run build:addon)' };
    return { api };
  } catch (error) {
    return { missing: `dist/index.js failed to load: ${error.message}` };
  }
}

async function runThroughApi(api, example, wasmPath) {
  if (example.kind === 'filter') {
    const filter = await api.Filter.load({
      wasmPath, functionName: example.function, eventFormat: example.event_format, guestStdout: 'stderr',
    });
    try {
      const { tag, time, body } = expected.input;
      return filter.filterRecord(tag, new api.EventTime(time.seconds, time.nanoseconds), body);
    } finally {
      filter.close();
    }
  }
  // exec_wasi: "." preopened as a fresh directory, so the module's file lands there.
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'logwasm-exec-'));
  const previous = process.cwd();
  process.chdir(directory);
  try {
    const records = await api.runWasi({ wasiPath: wasmPath, accessiblePaths: ['.'] });
    const files = {};
    for (const file of Object.keys(example.files)) {
      files[file] = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
    }
    return { records: records.map((r) => r.body), files };
  } finally {
    process.chdir(previous);
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

function expectedOutput(example) {
  return example.kind === 'filter' ? example.body : { records: example.records, files: example.files };
}

// ---- one test per build script ----
const byBuildScript = new Map();
for (const example of expected.examples) {
  if (!byBuildScript.has(example.build)) byBuildScript.set(example.build, []);
  byBuildScript.get(example.build).push(example);
}

for (const [script, examples] of byBuildScript) {
  test(`rebuild ${script}`, { timeout: BUILD_TIMEOUT_MS + 60000 }, async (t) => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'logwasm-examples-'));
    t.after(() => fs.rmSync(outDir, { recursive: true, force: true }));
    const build = spawnSync('bash', [path.join(repoRoot, script)], {
      cwd: repoRoot, env: { ...process.env, OUT_DIR: outDir }, encoding: 'utf8', timeout: BUILD_TIMEOUT_MS,
    });
    if (build.error) throw new Error(`${script}: ${build.error.message}`);
    if (build.status === 2) {
      // The script's message names the missing tool.
      t.skip(build.stderr.trim().split('\n').pop());
      return;
    }
    assert.equal(build.status, 0, `${script} failed:\n${build.stdout}\n${build.stderr}`);

    const { api, missing } = await loadPackageApi();
    for (const example of examples) {
      await t.test(example.name, async (st) => {
        const rebuiltPath = path.join(outDir, `${example.name}.wasm`);
        const committedPath = path.join(repoRoot, example.fixture);
        assert.ok(fs.existsSync(rebuiltPath), `${script} did not produce ${example.name}.wasm`);
        const rebuilt = describeWasm(fs.readFileSync(rebuiltPath));
        const committed = describeWasm(fs.readFileSync(committedPath));

        const entry = example.kind === 'filter' ? example.function : '_start';
        const signature = example.kind === 'filter' ? example.signature : { params: [], results: [] };
        assert.deepEqual(rebuilt.signatureOf(entry), signature, `rebuilt ${example.name}: export '${entry}'`);
        assert.deepEqual(committed.signatureOf(entry), signature, `committed ${example.fixture}: export '${entry}'`);
        assert.deepEqual(rebuilt.exports, committed.exports, 'same exports as the committed fixture');
        assert.deepEqual(rebuilt.imports, committed.imports, 'same imports as the committed fixture');
        assert.deepEqual(committed.imports, example.imports, 'imports listed in expected.json');
        assert.deepEqual(committed.exports, example.exports, 'exports listed in expected.json');

        await st.test('same output as the committed fixture', async (ot) => {
          if (!api) {
            ot.skip(missing);
            return;
          }
          let committedOutput;
          try {
            committedOutput = await runThroughApi(api, example, committedPath);
          } catch (error) {
            // The engine itself is not able to run this fixture (yet): that is
            // the engine's tests' business, not this rebuild check's.
            ot.skip(`the engine cannot run the committed ${example.fixture}: ${error.message}`);
            return;
          }
          const rebuiltOutput = await runThroughApi(api, example, rebuiltPath);
          // JSON text, so key order counts too.
          assert.equal(JSON.stringify(rebuiltOutput), JSON.stringify(committedOutput));
          // Whether the engine gives expected.json's output is the engine's
          // compatibility tests' assertion; here it is only reported.
          const wanted = JSON.stringify(expectedOutput(example));
          if (JSON.stringify(committedOutput) !== wanted) {
            ot.diagnostic(`engine output differs from examples/expected.json: got ${JSON.stringify(committedOutput)}, expected ${wanted}`);
          }
        });
      });
    }
  });
}
