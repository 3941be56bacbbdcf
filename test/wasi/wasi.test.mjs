// WASI preview1, logwasm-run and `logwasm run` (the Node CLI), as part of `npm test`:
//  - the 72 conformance programs of the WASI testsuite must all pass through both runners
//    (run-wasi-testsuite.mjs, then run-wasi-testsuite.mjs --cli);
//  - the sandbox refuses every way out of a preopen and every out-of-bounds guest pointer
//    (test/wasi/fixtures/sandbox.c, compiled with clang-14 --target=wasm32-wasi when present);
//  - both command lines report errors as documented (exit 1 / 134 / 124, "logwasm-run:" or
//    "logwasm:" prefix) and hand the guest the process's own stdin/stdout/stderr, blocking.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const runner = process.env.LOGWASM_RUN || path.join(repo, 'build', 'runtime', 'logwasm-run');
const suite = process.env.WASI_TESTSUITE || '/work/shared/wasi-testsuite';
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

function run(args, opts = {}) {
  return spawnSync(runner, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000, ...opts });
}

function tmpdir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logwasm-wasi-test-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function wat(t, dir, name, text) {
  const src = path.join(dir, `${name}.wat`);
  const out = path.join(dir, `${name}.wasm`);
  fs.writeFileSync(src, text);
  const r = spawnSync('wat2wasm', [src, '-o', out]);
  assert.equal(r.status, 0, r.stderr?.toString());
  return out;
}

// Run the whole suite with one runner; the test's diagnostic is the summary line.
async function runSuite(t, runnerArgs) {
  const { status, stdout } = await new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(here, 'run-wasi-testsuite.mjs'), ...runnerArgs], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('close', (code) => resolve({ status: code, stdout: out }));
  });
  const summary = stdout.trim().split('\n').at(-1);
  t.diagnostic(summary);
  const failures = stdout.split('\n').filter((l) => l.startsWith('FAIL')).join('\n');
  assert.equal(summary, 'wasi: 72 passed, 0 failed', failures || stdout);
  assert.equal(status, 0);
}

test('the WASI testsuite through logwasm-run: 72 of 72 programs pass', { timeout: 30 * 60 * 1000 }, async (t) => {
  assert.ok(fs.existsSync(runner), `logwasm-run not built at ${runner} (npm run build:runtime)`);
  if (!fs.existsSync(suite)) {
    t.skip(`no WASI testsuite at ${suite}`);
    return;
  }
  await runSuite(t, ['--runner', runner]);
});

// The same programs through the command users get from npm (node bin/logwasm run, on the addon).
test('the WASI testsuite through `logwasm run` (Node CLI): 72 of 72 programs pass', { timeout: 30 * 60 * 1000 }, async (t) => {
  assert.ok(fs.existsSync(path.join(repo, 'dist', 'cli.js')), 'dist/cli.js not built (npm run build:ts)');
  if (!fs.existsSync(suite)) {
    t.skip(`no WASI testsuite at ${suite}`);
    return;
  }
  await runSuite(t, ['--cli']);
});

test('the sandbox refuses escapes and out-of-bounds pointers', (t) => {
  if (!has('clang-14')) {
    t.skip('clang-14 (wasm32-wasi) not available to build the probe');
    return;
  }
  const dir = tmpdir(t);
  const wasm = path.join(dir, 'sandbox.wasm');
  const cc = spawnSync('clang-14', ['--target=wasm32-wasi', '-O2', path.join(here, 'fixtures', 'sandbox.c'), '-o', wasm]);
  if (cc.status !== 0) {
    t.skip(`cannot build the probe: ${cc.stderr}`);
    return;
  }
  const root = path.join(dir, 'root');
  fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'outside'));
  fs.writeFileSync(path.join(dir, 'outside', 'secret'), 'secret\n');
  fs.writeFileSync(path.join(root, 'sub', 'file'), 'inside\n');
  fs.symlinkSync('sub', path.join(root, 'in'));
  fs.symlinkSync('../outside', path.join(root, 'esc'));
  fs.symlinkSync('/etc', path.join(root, 'abs'));
  fs.symlinkSync('loop', path.join(root, 'loop'));

  const r = run([`--map-dir=/::${root}`, wasm]);
  assert.equal(r.status, 0, r.stderr.toString());
  const got = Object.fromEntries(r.stdout.toString().trim().split('\n').map((l) => l.split('=')).map(([k, v]) => [k, Number(v)]));
  const OK = 0, BADF = 8, FAULT = 21, LOOP = 32, NOTCAPABLE = 76;
  const expected = {
    inside_file: OK, inside_dotdot: OK, inside_symlink: OK, inside_symlink_final: OK,
    dotdot_escape: NOTCAPABLE, dotdot_deep_escape: NOTCAPABLE, absolute_path: NOTCAPABLE,
    symlink_escape_middle: NOTCAPABLE, symlink_escape_final: NOTCAPABLE,
    symlink_escape_trailing_slash: NOTCAPABLE, absolute_symlink_middle: NOTCAPABLE,
    absolute_symlink_final: NOTCAPABLE, symlink_loop: LOOP, symlink_nofollow: LOOP,
    create_absolute_symlink: NOTCAPABLE, create_relative_symlink: OK, read_through_new_symlink: OK,
    mkdir_escape: NOTCAPABLE, unlink_escape: NOTCAPABLE, stat_escape: NOTCAPABLE,
    rename_escape: NOTCAPABLE, link_escape: NOTCAPABLE,
    fault_write_buffer: FAULT, fault_write_iovs: FAULT, fault_write_result: FAULT,
    fault_read_buffer: FAULT, fault_path: FAULT, fault_path_huge_len: FAULT, fault_args: FAULT,
    fault_random: FAULT, random_ok: OK, bad_fd: BADF,
  };
  assert.deepEqual(got, expected);
  // Nothing outside the root was touched.
  assert.deepEqual(fs.readdirSync(path.join(dir, 'outside')), ['secret']);
  assert.equal(fs.readFileSync(path.join(dir, 'outside', 'secret'), 'utf8'), 'secret\n');
  assert.equal(fs.readlinkSync(path.join(root, 'made2')), 'sub/file');
  assert.ok(!fs.existsSync(path.join(root, 'made')), 'absolute symlink must not be created');
});

// Compile one of the C tests in test/wasi against the runtime library next to the runner.
function buildCTest(t, source) {
  const lib = process.env.LOGWASM_RUNTIME_LIB ||
    path.join(path.dirname(runner), 'native', 'runtime', 'liblogwasm_runtime.a');
  assert.ok(fs.existsSync(lib), `runtime library not built at ${lib}`);
  if (!has('cc')) return null;
  const dir = tmpdir(t);
  const exe = path.join(dir, path.basename(source, '.c'));
  const src = path.join(repo, 'native', 'runtime');
  const compile = (extra) => spawnSync('cc', ['-std=gnu11', '-D_GNU_SOURCE', '-Wall', '-Wextra', '-Werror',
    ...extra, `-I${path.join(src, 'include')}`, `-I${path.join(src, 'src')}`,
    path.join(here, source), lib, '-lm', '-lpthread', '-o', exe]);
  let cc = compile([]);
  // a sanitizer build of the library (LOGWASM_SANITIZE) needs the same runtime linked in
  if (cc.status !== 0) cc = compile(['-fsanitize=address,undefined']);
  assert.equal(cc.status, 0, cc.stderr?.toString());
  return { exe, dir };
}

test('the path resolver (C unit test of lw_sandbox_resolve)', (t) => {
  const built = buildCTest(t, 'sandbox_test.c');
  if (!built) {
    t.skip('no C compiler');
    return;
  }
  const r = spawnSync(built.exe, [], { timeout: 60000 });
  const out = r.stdout.toString();
  assert.equal(r.status, 0, out + r.stderr);
  assert.match(out.trim().split('\n').at(-1), /^sandbox: \d+ passed, 0 failed$/);
});

test('the embedding API: preopen errors, captured stdout, borrowed stdio, exit codes', (t) => {
  if (!has('wat2wasm')) {
    t.skip('wat2wasm not available');
    return;
  }
  const built = buildCTest(t, 'api_test.c');
  if (!built) {
    t.skip('no C compiler');
    return;
  }
  const guest = path.join(built.dir, 'api_guest.wasm');
  const w = spawnSync('wat2wasm', [path.join(here, 'fixtures', 'api_guest.wat'), '-o', guest]);
  assert.equal(w.status, 0, w.stderr?.toString());
  const r = spawnSync(built.exe, [guest, built.dir], { timeout: 60000 });
  const out = r.stdout.toString();
  assert.equal(r.status, 0, out + r.stderr);
  assert.match(out.trim().split('\n').at(-1), /^api: \d+ passed, 0 failed$/);
});

// The command-line contract both runners keep: iwasm-style options; exit status = the program's,
// 1 when it cannot be loaded, 134 on a trap, 124 on timeout; guest stdio is the process's own;
// messages on stderr prefixed with the command's name (`prefix`). `command` = [file, ...words].
async function commandLineChecks(t, command, prefix, { cli = false } = {}) {
  const [file, ...words] = command;
  const run = (args, opts = {}) =>
    spawnSync(file, [...words, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000, ...opts });
  const starts = (text) => new RegExp(`^${prefix}: ${text}`);
  const dir = tmpdir(t);

  await t.test('a missing file is exit 1 with the path', () => {
    const r = run([path.join(dir, 'nope.wasm')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr.toString(), cli ? starts("cannot read module '.*nope\\.wasm': no such file")
      : starts("cannot read '.*nope\\.wasm': No such file"));
  });

  await t.test('a malformed module is exit 1 with the engine message', () => {
    const bad = path.join(dir, 'bad.wasm');
    fs.writeFileSync(bad, Buffer.from('not wasm at all'));
    const r = run([bad]);
    assert.equal(r.status, 1);
    assert.match(r.stderr.toString(), starts('.+'));
  });

  await t.test('an unknown import is exit 1 naming it', () => {
    const m = wat(t, dir, 'imp', '(module (import "env" "nothere" (func)) (func (export "_start")))');
    const r = run([m]);
    assert.equal(r.status, 1);
    assert.match(r.stderr.toString(), starts('.*env.*nothere'));
  });

  await t.test('a trap is exit 134 with the trap message', () => {
    const m = wat(t, dir, 'trap', '(module (func (export "_start") unreachable))');
    const r = run([m]);
    assert.equal(r.status, 134);
    assert.match(r.stderr.toString(), starts('trap: unreachable'));
  });

  await t.test('proc_exit(n) is exit n, writes reach stdout, argv counts the module path', () => {
    const m = wat(t, dir, 'exit', `(module
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (import "wasi_unstable" "proc_exit" (func $exit (param i32)))
      (import "wasi_snapshot_preview1" "args_sizes_get" (func $as (param i32 i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 16) "hi\\n")
      (func (export "_start")
        (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 3))
        (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        (drop (call $as (i32.const 32) (i32.const 36)))
        (call $exit (i32.add (i32.const 40) (i32.load (i32.const 32))))))`);
    const r = run([m, 'a', 'b']);
    assert.equal(r.stdout.toString(), 'hi\n');
    assert.equal(r.status, 43); // 40 + argc (module, a, b)
  });

  if (!cli) await t.test('--invoke calls an export with typed arguments and prints results', () => {
    const m = wat(t, dir, 'calc', `(module
      (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
      (func (export "mix") (param i64 f64) (result i64 f64)
        (i64.mul (local.get 0) (i64.const 2)) (f64.mul (local.get 1) (f64.const 0.5))))`);
    let r = run(['--invoke', 'add', m, '22', '33']);
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(r.stdout.toString(), 'i32:55\n');
    r = run(['--invoke', 'add', m, '-1', '0x10']);
    assert.equal(r.stdout.toString(), 'i32:15\n');
    r = run(['--invoke=mix', m, '-4', '3']);
    assert.equal(r.stdout.toString(), 'i64:-8\nf64:1.5\n');
    r = run(['--invoke', 'add', m, '1']);
    assert.equal(r.status, 1);
    assert.match(r.stderr.toString(), /takes 2 argument/);
    r = run(['--invoke', 'add', m, '1', 'x']);
    assert.equal(r.status, 1);
    assert.match(r.stderr.toString(), /must be i32/);
    r = run(['--invoke', 'nothere', m]);
    assert.equal(r.status, 1);
    assert.match(r.stderr.toString(), /no function named 'nothere'/);
  });

  await t.test('--timeout-ms stops a looping program with exit 124', () => {
    const m = wat(t, dir, 'loop', '(module (func (export "_start") (loop (br 0))))');
    const started = Date.now();
    const r = run(['--timeout-ms=200', m]);
    assert.equal(r.status, 124, r.stderr.toString());
    assert.match(r.stderr.toString(), /timed out after 200 ms/);
    assert.ok(Date.now() - started < 10000);
  });

  await t.test('without _start, main(argc, argv) runs and returns the exit code', () => {
    let m = wat(t, dir, 'main', `(module (global $g (mut i32) (i32.const 0))
      (func (export "_initialize") (global.set $g (i32.const 5)))
      (func (export "main") (param i32 i32) (result i32) (i32.add (global.get $g) (local.get 0))))`);
    let r = run([m]);
    assert.equal(r.status, 5, r.stderr.toString());
    m = wat(t, dir, 'lib', '(module (func (export "helper")))');
    r = run([m]);
    assert.equal(r.status, 1);
    assert.match(r.stderr.toString(), starts("the module has no '_start' export"));
  });

  await t.test('wasi_unstable gets its own filestat, subscription and whence ABI', () => {
    const m = path.join(dir, 'unstable_abi.wasm');
    const r0 = spawnSync('wat2wasm', [path.join(here, 'fixtures', 'unstable_abi.wat'), '-o', m]);
    assert.equal(r0.status, 0, r0.stderr?.toString());
    const root = path.join(dir, 'unstable-root');
    fs.mkdirSync(root);
    const r = run([`--map-dir=/::${root}`, m]);
    assert.equal(r.status, 0, `failed check ${r.status}: ${r.stderr}`);
  });

  await t.test('--timeout-ms also ends a guest sleeping in poll_oneoff', () => {
    const m = wat(t, dir, 'sleep', `(module
      (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
      (memory 1)
      (func (export "_start")
        (i32.store (i32.const 16) (i32.const 1))            ;; CLOCK_MONOTONIC
        (i64.store (i32.const 24) (i64.const 10000000000))  ;; 10 s
        (drop (call $poll (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))))`);
    const started = Date.now();
    const r = run(['--timeout-ms=200', m]);
    assert.equal(r.status, 124, r.stderr.toString());
    assert.ok(Date.now() - started < 5000, 'the sleep was cut short');
  });

  await t.test('--timeout-ms also ends a guest blocked reading an idle stdin', async () => {
    const m = wat(t, dir, 'readin', `(module
      (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
      (memory 1)
      (func (export "_start")
        (i32.store (i32.const 0) (i32.const 64)) (i32.store (i32.const 4) (i32.const 16))
        (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))))`);
    const started = Date.now();
    const status = await new Promise((resolve) => {
      const child = spawn(file, [...words, '--timeout-ms=200', m], { stdio: ['pipe', 'ignore', 'ignore'] });
      // stdin stays open and empty until the child is gone
      const guard = setTimeout(() => child.kill('SIGKILL'), 10000);
      child.on('close', (code) => { clearTimeout(guard); resolve(code); });
    });
    assert.equal(status, 124);
    assert.ok(Date.now() - started < 5000, 'the read was cut short');
  });

  await t.test('a missing --map-dir directory is exit 1 naming it', () => {
    const m = wat(t, dir, 'nop', '(module (func (export "_start")))');
    const r = run([`--map-dir=/::${path.join(dir, 'missing-dir')}`, m]);
    assert.equal(r.status, 1);
    assert.match(r.stderr.toString(), /missing-dir/);
  });

  await t.test('--env and --dir reach the guest', () => {
    const m = wat(t, dir, 'env', `(module
      (import "wasi_snapshot_preview1" "environ_sizes_get" (func $es (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_prestat_get" (func $pg (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory 1)
      (func (export "_start")
        (drop (call $es (i32.const 0) (i32.const 4)))
        ;; exit code = env count * 10 + (fd 3 is a preopen ? 1 : 0) + (fd 4 too ? 1 : 0)
        (call $exit (i32.add (i32.mul (i32.load (i32.const 0)) (i32.const 10))
          (i32.add (i32.eqz (call $pg (i32.const 3) (i32.const 8)))
                   (i32.eqz (call $pg (i32.const 4) (i32.const 8))))))))`);
    const r = run(['--env=A=1', '--env=B=2', `--dir=${dir}`, m]);
    assert.equal(r.status, 21, r.stderr.toString());
  });

  // stdin, stdout and stderr are the process's own descriptors, used directly by the guest
  const cat = wat(t, dir, 'cat', `(module
    (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory 2)
    (func (export "_start") (local $n i32) (local $at i32)
      (loop $more
        (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (i32.const 65536))
        (if (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16))
          (then (call $exit (i32.const 2))))
        (local.set $n (i32.load (i32.const 16)))
        (if (i32.eqz (local.get $n)) (then (return)))
        (local.set $at (i32.const 1024))
        (block $done (loop $part
          (br_if $done (i32.eqz (local.get $n)))
          (i32.store (i32.const 32) (local.get $at)) (i32.store (i32.const 36) (local.get $n))
          (if (call $write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 40))
            (then (call $exit (i32.const 3))))
          (local.set $at (i32.add (local.get $at) (i32.load (i32.const 40))))
          (local.set $n (i32.sub (local.get $n) (i32.load (i32.const 40))))
          (br $part)))
        (br $more))))`);

  await t.test('stdin reaches the guest and its stdout reaches ours, byte for byte', () => {
    const input = Buffer.alloc(3 << 20);
    for (let i = 0; i < input.length; i++) input[i] = (i * 7919) >>> 5;
    const r = run([cat], { input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 16 << 20 });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.ok(r.stdout.equals(input), `stdout has ${r.stdout.length} of ${input.length} bytes`);
  });

  await t.test('a slow reader of stdout loses nothing (full pipe, no EAGAIN to the guest)', () => {
    const input = path.join(dir, 'four-mib');
    fs.writeFileSync(input, Buffer.alloc(4 << 20, 0x61));
    const quoted = [file, ...words, cat].map((w) => `'${w}'`).join(' ');
    const r = spawnSync('sh', ['-c', `${quoted} < '${input}' | (sleep 1; wc -c)`], { timeout: 60000 });
    assert.equal(r.stdout.toString().trim(), String(4 << 20), r.stderr.toString());
  });

  await t.test('one 1 MiB fd_write to a slow pipe is written whole, as on a blocking stdout', async () => {
    // exit code = bytes written >> 16 (16 for all of it), or 100 + errno
    const m = wat(t, dir, 'onewrite', `(module
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory 17)
      (func (export "_start") (local $e i32)
        (i32.store (i32.const 0) (i32.const 65536)) (i32.store (i32.const 4) (i32.const 1048576))
        (local.set $e (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        (if (local.get $e) (then (call $exit (i32.add (i32.const 100) (local.get $e)))))
        (call $exit (i32.shr_u (i32.load (i32.const 8)) (i32.const 16)))))`);
    // the reader takes nothing for a second, so the pipe is full when the guest writes
    const { code, bytes } = await new Promise((resolve) => {
      const child = spawn(file, [...words, m], { stdio: ['ignore', 'pipe', 'inherit'] });
      let bytes = 0;
      child.stdout.pause();
      child.stdout.on('data', (d) => { bytes += d.length; });
      setTimeout(() => child.stdout.resume(), 1000);
      child.on('close', (code) => resolve({ code, bytes }));
    });
    assert.equal(bytes, 1 << 20);
    assert.equal(code, 16, 'the one fd_write wrote the whole MiB');
  });

  // An embedding Node program has usually made its stdout non-blocking already (by using
  // process.stdout); the addon gives the guest a blocking view of a pipe all the same.
  if (cli) await t.test('the same through a pipe when Node has already used process.stdout', () => {
    const m = path.join(dir, 'onewrite.wasm');
    const rcFile = path.join(dir, 'onewrite.rc');
    const script = `process.stdout; import(${JSON.stringify(path.join(repo, 'dist', 'cli.js'))})` +
      `.then((cli) => cli.main(['run', ${JSON.stringify(m)}]))` +
      `.then((code) => { require('fs').writeFileSync(${JSON.stringify(rcFile)}, String(code)); })`;
    const r = spawnSync('sh', ['-c', `'${process.execPath}' -e "$0" | (sleep 1; wc -c)`, script], { timeout: 60000 });
    assert.equal(r.stdout.toString().trim(), String(1 << 20), r.stderr.toString());
    assert.equal(fs.readFileSync(rcFile, 'utf8'), '16', 'the one fd_write wrote the whole MiB');
  });

  await t.test('stdout and stderr writes keep their order on one descriptor', () => {
    const m = wat(t, dir, 'interleave', `(module
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (memory 1)
      (data (i32.const 16) "out\\n") (data (i32.const 32) "err\\n")
      (func (export "_start") (local $i i32)
        (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 4))
        (i32.store (i32.const 8) (i32.const 32)) (i32.store (i32.const 12) (i32.const 4))
        (loop $again
          (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 48)))
          (drop (call $w (i32.const 2) (i32.const 8) (i32.const 1) (i32.const 48)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $again (i32.lt_u (local.get $i) (i32.const 50))))))`);
    const both = path.join(dir, 'both.txt');
    const fd = fs.openSync(both, 'w');
    try {
      const r = run([m], { stdio: ['ignore', fd, fd] });
      assert.equal(r.status, 0);
    } finally {
      fs.closeSync(fd);
    }
    assert.equal(fs.readFileSync(both, 'utf8'), 'out\nerr\n'.repeat(50));
  });
}

test('logwasm-run: command line behaviour', async (t) => {
  assert.ok(fs.existsSync(runner), `logwasm-run not built at ${runner}`);
  if (!has('wat2wasm')) {
    t.skip('wat2wasm not available');
    return;
  }
  await commandLineChecks(t, [runner], 'logwasm-run');
});

test('logwasm run (Node CLI): the same command line behaviour as logwasm-run', async (t) => {
  assert.ok(fs.existsSync(path.join(repo, 'dist', 'cli.js')), 'dist/cli.js not built (npm run build:ts)');
  if (!has('wat2wasm')) {
    t.skip('wat2wasm not available');
    return;
  }
  await commandLineChecks(t, [process.execPath, path.join(repo, 'bin', 'logwasm'), 'run'], 'logwasm', { cli: true });
});
