// The spec testsuite as part of `npm test`: the interpreter tier must have no failure outside
// test/spec/expected-failures.json. Also pins down the driver's own promises: a crashed runner
// counts as failures, a missing testsuite is a clean skip, the AOT tier says it isn't built.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const driver = path.join(here, 'run.mjs');
const hasWast2json = spawnSync('sh', ['-c', 'command -v wast2json'], { stdio: 'ignore' }).status === 0;

// Runs the driver without blocking the event loop (the full suite takes a while).
function runDriver(args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [driver, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function lastLine(text) {
  return text.trim().split('\n').at(-1);
}

test('the interpreter passes the spec testsuite (no unexpected failures)', async (t) => {
  const { status, stdout, stderr } = await runDriver(['--tier', 'interp']);
  if (/skipped \(no testsuite\)/.test(stdout)) {
    t.skip(lastLine(stdout));
    return;
  }
  const final = lastLine(stdout);
  t.diagnostic(final);
  assert.match(final, /^spec: \d+ passed, \d+ failed, \d+ skipped$/, `driver output:\n${stdout}\n${stderr}`);
  assert.equal(status, 0, `unexpected spec failures:\n${stdout}\n${stderr}`);
  const passed = Number(/^spec: (\d+) passed/.exec(final)[1]);
  assert.ok(passed > 0, 'the spec run passed nothing');
});

// A .wast with five deliberately wrong expectations among passing ones: the runner must catch
// exactly those (so a green spec run means something), and expected-failures.json entries must
// excuse exactly their lines and be reported once stale.
const SELFTEST_WAST = `(module
  (func (export "one") (result i32) (i32.const 1))
  (func (export "nan") (result f32) (f32.reinterpret_i32 (i32.const 0x7fc00001)))
  (func (export "cnan") (result f64) (f64.const nan))
  (func (export "id-ext") (param externref) (result externref) (local.get 0))
  (func (export "trap") (unreachable))
  (global (export "g") i32 (i32.const 7))
)
(assert_return (invoke "one") (i32.const 1))
(assert_return (invoke "one") (i32.const 2))
(assert_return (invoke "nan") (f32.const nan:arithmetic))
(assert_return (invoke "nan") (f32.const nan:canonical))
(assert_return (invoke "cnan") (f64.const nan:canonical))
(assert_return (invoke "id-ext" (ref.extern 1)) (ref.extern 1))
(assert_return (invoke "id-ext" (ref.extern 1)) (ref.extern 2))
(assert_return (invoke "id-ext" (ref.null extern)) (ref.null extern))
(assert_trap (invoke "trap") "unreachable")
(assert_trap (invoke "one") "unreachable")
(assert_return (get "g") (i32.const 7))
(assert_return (get "g") (i32.const 8))
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_malformed (module quote "(func") "unexpected token")
(module $M2 (func (export "two") (result i32) (i32.const 2)))
(register "M2" $M2)
(module
  (import "M2" "two" (func $two (result i32)))
  (import "spectest" "print_i32" (func (param i32)))
  (import "spectest" "global_i32" (global i32))
  (func (export "call-two") (result i32) (call $two))
  (func (export "g666") (result i32) (global.get 0))
  (func $r (export "runaway") (call $r)))
(assert_return (invoke "call-two") (i32.const 2))
(assert_return (invoke $M2 "two") (i32.const 2))
(assert_return (invoke "g666") (i32.const 666))
(assert_exhaustion (invoke "runaway") "call stack exhausted")
(assert_unlinkable (module (import "M2" "nope" (func))) "unknown import")
`;
const SELFTEST_WRONG_LINES = [10, 12, 15, 18, 20];

test('the runner reports exactly the wrong expectations, and expected-failures excuses them', { skip: !hasWast2json && 'wast2json is not installed' }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logwasm-spec-selftest-'));
  try {
    const suite = path.join(dir, 'suite');
    fs.mkdirSync(suite);
    fs.writeFileSync(path.join(suite, 'selftest.wast'), SELFTEST_WAST);
    const env = { WASM_TESTSUITE: suite, LOGWASM_SPEC_CACHE: path.join(dir, 'cache') };

    const plain = await runDriver(['--tier', 'interp', '--expected-failures', path.join(dir, 'none.json')], env);
    fs.writeFileSync(path.join(dir, 'none.json'), '[]');
    const run = await runDriver(['--tier', 'interp', '--expected-failures', path.join(dir, 'none.json')], env);
    assert.equal(plain.status, 2, 'a missing expected-failures file is a set-up error');
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /^selftest: 17 passed, 5 failed, 1 skipped$/m);
    const failed = [...run.stdout.matchAll(/^ {2}selftest\.wast:(\d+) /gm)].map((m) => Number(m[1]));
    assert.deepEqual(failed, SELFTEST_WRONG_LINES);
    assert.match(run.stdout, /selftest\.wast:12 .*expected \(f32:nan:canonical\), got \(f32:nan:0x7fc00001\)/);
    assert.match(run.stdout, /selftest\.wast:18 .*expected trap "unreachable", got success/);

    // Every wrong line excused, plus one line that passes: green, with the stale entry named.
    const entries = [...SELFTEST_WRONG_LINES, 9].map((line) => ({ file: 'selftest.wast', line, reason: 'self-test' }));
    fs.writeFileSync(path.join(dir, 'expected.json'), JSON.stringify(entries));
    const excused = await runDriver(['--tier', 'interp', '--expected-failures', path.join(dir, 'expected.json')], env);
    assert.equal(excused.status, 0, excused.stdout + excused.stderr);
    assert.match(excused.stdout, /stale expected failure .*selftest\.wast:9 /);
    assert.equal(lastLine(excused.stdout), 'spec: 17 passed, 5 failed, 1 skipped');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a runner killed by a signal counts as failures of its file', { skip: !hasWast2json && 'wast2json is not installed' }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logwasm-spec-driver-'));
  try {
    const suite = path.join(dir, 'suite');
    fs.mkdirSync(suite);
    fs.writeFileSync(path.join(suite, 'tiny.wast'),
      '(module (func (export "f") (result i32) (i32.const 1)))\n' +
      '(assert_return (invoke "f") (i32.const 1))\n' +
      '(assert_return (invoke "f") (i32.const 1))\n');
    // A stand-in runner: reports the first command, then dies as a segfaulting engine would.
    const fake = path.join(dir, 'crashing-runner.sh');
    fs.writeFileSync(fake, '#!/bin/sh\necho "commands 3"\necho "ok 1 module"\nkill -SEGV $$\n');
    fs.chmodSync(fake, 0o755);
    const { status, stdout } = await runDriver(['--tier', 'interp', '--runner', fake],
      { WASM_TESTSUITE: suite, LOGWASM_SPEC_CACHE: path.join(dir, 'cache') });
    assert.equal(status, 1, stdout);
    assert.match(stdout, /^tiny: 1 passed, 2 failed, 0 skipped$/m);
    assert.match(stdout, /killed by SIGSEGV after line 1; 2 commands did not run/);
    assert.equal(lastLine(stdout), 'spec: 1 passed, 2 failed, 0 skipped');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a sanitizer report fails the file even when every check passed', { skip: !hasWast2json && 'wast2json is not installed' }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logwasm-spec-driver-'));
  try {
    const suite = path.join(dir, 'suite');
    fs.mkdirSync(suite);
    fs.writeFileSync(path.join(suite, 'tiny.wast'), '(module)\n');
    // A stand-in runner: all checks pass, then LeakSanitizer reports at exit.
    const fake = path.join(dir, 'leaking-runner.sh');
    fs.writeFileSync(fake, '#!/bin/sh\necho "commands 1"\necho "ok 1 module"\n' +
      'echo "total: 1 passed, 0 failed, 0 skipped"\n' +
      'echo "==1==ERROR: LeakSanitizer: detected memory leaks" >&2\nexit 86\n');
    fs.chmodSync(fake, 0o755);
    const { status, stdout } = await runDriver(['--tier', 'interp', '--runner', fake],
      { WASM_TESTSUITE: suite, LOGWASM_SPEC_CACHE: path.join(dir, 'cache') });
    assert.equal(status, 1, stdout);
    assert.match(stdout, /a sanitizer reported an error/);
    assert.match(stdout, /ERROR: LeakSanitizer: detected memory leaks/);
    assert.equal(lastLine(stdout), 'spec: 1 passed, 1 failed, 0 skipped');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('without a testsuite the run is skipped, not failed', async () => {
  const { status, stdout } = await runDriver(['--tier', 'interp'],
    { WASM_TESTSUITE: path.join(os.tmpdir(), 'logwasm-no-such-testsuite') });
  assert.equal(status, 0);
  assert.match(stdout, /no WebAssembly testsuite at/);
  assert.equal(lastLine(stdout), 'spec: skipped (no testsuite)');
});

test('--tier aot without an AOT compiler says the tier is not built yet', async () => {
  const missing = path.join(os.tmpdir(), 'logwasm-no-such-aotc');
  const { status, stdout } = await runDriver(['--tier', 'aot'], { LOGWASM_AOTC: missing });
  assert.equal(status, 2);
  assert.match(stdout, /AOT tier is not built yet: no logwasm-aotc at .*logwasm-no-such-aotc/);
});
