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

test('without a testsuite the run is skipped, not failed', async () => {
  const { status, stdout } = await runDriver(['--tier', 'interp'],
    { WASM_TESTSUITE: path.join(os.tmpdir(), 'logwasm-no-such-testsuite') });
  assert.equal(status, 0);
  assert.match(stdout, /no WebAssembly testsuite at/);
  assert.equal(lastLine(stdout), 'spec: skipped (no testsuite)');
});

test('--tier aot says the AOT tier is not built yet', async () => {
  const { status, stdout } = await runDriver(['--tier', 'aot']);
  assert.notEqual(status, 0);
  assert.match(stdout, /AOT tier is not built yet/);
});
