#!/usr/bin/env node
// Runs the WASI preview1 conformance programs (/work/shared/wasi-testsuite, or
// $WASI_TESTSUITE) with logwasm-run (default, fastest) or the npm package's `logwasm run` (--cli),
// exactly as the suite's own runner does:
//   - every X.wasm is a test; X.json (optional) gives args, env, root (a folder beside the
//     test, preopened as the guest's "/"), exit_code (default 0) and stdout (checked if given);
//   - each test runs in a fresh temporary copy of its language folder (tests create and delete
//     files; the suite folder itself is read-only);
//   - the runtime is driven iwasm-style: RUNNER [--env=K=V]... [--map-dir=/::ROOT] X.wasm ARGS...
// Prints one line per test and ends with "wasi: N passed, M failed"; exits 1 on any failure.
//
// usage: node test/wasi/run-wasi-testsuite.mjs [--runner PATH | --cli] [--filter SUBSTRING] [--verbose]
//   --runner PATH   an iwasm-style executable (default build/runtime/logwasm-run)
//   --cli           the Node command line: node bin/logwasm run (needs npm run build:addon build:ts)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');

function parseArgs(argv) {
  const opts = {
    runner: path.join(repo, 'build', 'runtime', 'logwasm-run'),
    // words put before the test's own arguments: [] for an executable runner, or
    // [bin/logwasm, 'run'] when the runner is node itself (--cli)
    runnerArgs: [],
    suite: process.env.WASI_TESTSUITE || '/work/shared/wasi-testsuite',
    filter: null,
    verbose: false,
    timeoutMs: 120000,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runner') opts.runner = path.resolve(argv[++i]);
    else if (a.startsWith('--runner=')) opts.runner = path.resolve(a.slice(9));
    else if (a === '--cli') {
      opts.runner = process.execPath;
      opts.runnerArgs = [path.join(repo, 'bin', 'logwasm'), 'run'];
    }
    else if (a === '--suite') opts.suite = path.resolve(argv[++i]);
    else if (a === '--filter') opts.filter = argv[++i];
    else if (a === '--verbose' || a === '-v') opts.verbose = true;
    else if (a === '--timeout-ms') opts.timeoutMs = Number(argv[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  return opts;
}

// Tests are the .wasm files of each language folder (folders holding a manifest.json or .wasm).
function collectTests(suite) {
  const tests = [];
  for (const lang of fs.readdirSync(suite).sort()) {
    const dir = path.join(suite, lang);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const file of fs.readdirSync(dir).sort()) {
      if (!file.endsWith('.wasm')) continue;
      const name = file.slice(0, -5);
      const specPath = path.join(dir, `${name}.json`);
      const spec = fs.existsSync(specPath) ? JSON.parse(fs.readFileSync(specPath, 'utf8')) : {};
      tests.push({ lang, dir, name, spec });
    }
  }
  return tests;
}

// The suite folder is read-only; the copy must be writable for the tests to create files.
function makeWritable(p) {
  const st = fs.lstatSync(p);
  if (st.isSymbolicLink()) return;
  fs.chmodSync(p, st.mode | 0o200 | (st.isDirectory() ? 0o100 : 0));
  if (st.isDirectory()) for (const e of fs.readdirSync(p)) makeWritable(path.join(p, e));
}

function runTest(test, opts) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `wasi-${test.name}-`));
  try {
    const copy = path.join(tmp, test.lang);
    fs.cpSync(test.dir, copy, { recursive: true, verbatimSymlinks: true });
    makeWritable(copy);
    const args = [...opts.runnerArgs];
    for (const [k, v] of Object.entries(test.spec.env || {})) args.push(`--env=${k}=${v}`);
    if (test.spec.root) args.push(`--map-dir=/::${path.join(copy, test.spec.root)}`);
    args.push(path.join(copy, `${test.name}.wasm`), ...(test.spec.args || []));
    const started = Date.now();
    const r = spawnSync(opts.runner, args, {
      cwd: copy,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: opts.timeoutMs,
      maxBuffer: 64 << 20,
    });
    const ms = Date.now() - started;
    if (r.error) return { ok: false, why: `could not run: ${r.error.message}`, r, ms };
    if (r.signal) return { ok: false, why: `killed by ${r.signal}`, r, ms };
    const wantCode = test.spec.exit_code ?? 0;
    if (r.status !== wantCode)
      return { ok: false, why: `exit code ${r.status}, expected ${wantCode}`, r, ms };
    if (test.spec.stdout !== undefined && r.stdout.toString() !== test.spec.stdout)
      return {
        ok: false,
        why: `stdout ${JSON.stringify(r.stdout.toString())}, expected ${JSON.stringify(test.spec.stdout)}`,
        r,
        ms,
      };
    return { ok: true, r, ms };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function main() {
  // `node --test test/` also executes every .mjs under test/ as a test file; the suite itself
  // runs from wasi.test.mjs (which always passes --runner or --cli), so don't run it again.
  if (process.env.NODE_TEST_CONTEXT && !process.argv.slice(2).some((a) => a.startsWith('--runner') || a === '--cli')) {
    console.log('wasi: run by wasi.test.mjs, nothing to do here');
    return;
  }
  const opts = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(opts.runner)) {
    console.error(`wasi: runner not found: ${opts.runner} (build it, or pass --runner PATH)`);
    process.exit(2);
  }
  if (opts.runnerArgs.length) {
    const compiled = path.join(repo, 'dist', 'cli.js');
    if (!fs.existsSync(compiled)) {
      console.error(`wasi: ${compiled} not built (npm run build:addon && npm run build:ts)`);
      process.exit(2);
    }
  }
  if (!fs.existsSync(opts.suite)) {
    console.error(`wasi: testsuite not found: ${opts.suite} (set $WASI_TESTSUITE)`);
    process.exit(2);
  }
  let tests = collectTests(opts.suite);
  if (opts.filter) tests = tests.filter((t) => `${t.lang}/${t.name}`.includes(opts.filter));
  let passed = 0;
  let failed = 0;
  for (const test of tests) {
    const res = runTest(test, opts);
    const id = `${test.lang}/${test.name}`;
    if (res.ok) {
      passed++;
      console.log(`PASS ${id} (${res.ms} ms)`);
    } else {
      failed++;
      console.log(`FAIL ${id}: ${res.why}`);
      const err = res.r?.stderr?.toString().trim();
      if (err) console.log(err.split('\n').slice(-8).map((l) => `    ${l}`).join('\n'));
    }
    if (opts.verbose && res.r) {
      const out = res.r.stdout.toString();
      if (out) console.log(`    stdout: ${JSON.stringify(out.slice(0, 500))}`);
    }
  }
  console.log(`wasi: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
