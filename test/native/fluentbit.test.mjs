// The Fluent Bit filter core in C (native/runtime/src/fluentbit): runs the C unit tests
// (test/native/fluentbit_test.c + fluentbit_filter_test.c) and checks every example filter
// against examples/expected.json through the test program's --example mode.
//
// The test program is build/runtime/logwasm-fluentbit-test when the root CMake build made it
// (test/native/CMakeLists.txt); otherwise it is compiled here with cc against the runtime's
// static library (built with `npm run build:runtime` if missing).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const here = path.join(repoRoot, 'test', 'native');
const fixtures = path.join(repoRoot, 'test', 'fixtures');
const runtimeBuild = path.join(repoRoot, 'build', 'runtime');
const runtimeLib = path.join(runtimeBuild, 'native', 'runtime', 'liblogwasm_runtime.a');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) throw r.error;
  return r;
}

function newest(paths) {
  return Math.max(...paths.map((p) => fs.statSync(p).mtimeMs));
}

let cachedProgram = null;
function testProgram() {
  if (cachedProgram) return cachedProgram;
  const built = path.join(runtimeBuild, 'logwasm-fluentbit-test');
  const sources = ['fluentbit_test.c', 'fluentbit_filter_test.c'].map((f) => path.join(here, f));
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= newest(sources)) {
    cachedProgram = built;
    return built;
  }
  if (!fs.existsSync(runtimeLib)) {
    const cfg = run('cmake', ['-S', repoRoot, '-B', runtimeBuild, '-DCMAKE_BUILD_TYPE=Release'], {
      stdio: 'inherit',
    });
    assert.equal(cfg.status, 0, 'cmake configure failed');
    const b = run('cmake', ['--build', runtimeBuild, '-j2', '--target', 'logwasm_runtime'], {
      stdio: 'inherit',
    });
    assert.equal(b.status, 0, 'building logwasm_runtime failed');
  }
  const outDir = path.join(repoRoot, 'build', 'fluentbit-test');
  fs.mkdirSync(outDir, { recursive: true });
  const program = path.join(outDir, 'logwasm-fluentbit-test');
  const cc = process.env.CC || 'cc';
  const r = run(cc, [
    '-std=gnu11', '-D_GNU_SOURCE', '-O2', '-Wall', '-Wextra', '-Wno-unused-parameter',
    '-I', path.join(repoRoot, 'native', 'runtime', 'include'),
    '-I', path.join(repoRoot, 'native', 'runtime', 'src'),
    ...sources, runtimeLib, '-lm', '-lpthread', '-o', program,
  ]);
  assert.equal(r.status, 0, `compiling the filter tests failed:\n${r.stderr}`);
  cachedProgram = program;
  return program;
}

const hasWat2wasm = run('sh', ['-c', 'command -v wat2wasm']).status === 0;

test('C unit tests: msgpack, JSON, env printf, guest heap, filters on WAT modules', {
  skip: hasWat2wasm ? false : 'wat2wasm not installed (apt-get install wabt)',
}, () => {
  const r = run(testProgram(), [fixtures]);
  const summary = r.stdout.trim().split('\n').pop();
  assert.match(summary, /^\d+ checks, \d+ failed$/, r.stdout + r.stderr);
  assert.equal(r.status, 0, `C tests failed:\n${r.stdout}`);
});

const expectedPath = path.join(repoRoot, 'examples', 'expected.json');
const expected = fs.existsSync(expectedPath) ? JSON.parse(fs.readFileSync(expectedPath, 'utf8')) : null;

for (const example of expected?.examples ?? []) {
  if (example.kind !== 'filter') continue;
  const fixture = path.join(repoRoot, example.fixture);
  test(`example ${example.name} gives the expected record`, {
    skip: fs.existsSync(fixture) ? false : `${example.fixture} not built`,
  }, () => {
    const input = expected.input;
    const r = run(testProgram(), [
      '--example', fixture, example.function, example.event_format, input.tag,
      String(input.time.seconds), String(input.time.nanoseconds), JSON.stringify(input.body),
      '65536',
    ]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const [outcome, json, hex] = r.stdout.split('\n');
    assert.equal(outcome, 'replaced', r.stdout);
    // Same keys in the same order with the same values (and integer/string kinds).
    assert.equal(json, JSON.stringify(example.body));
    // msgpack results are taken byte for byte from the guest.
    if (example.result_msgpack_hex) assert.equal(hex, example.result_msgpack_hex);
  });
}
