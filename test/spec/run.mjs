#!/usr/bin/env node
// The WebAssembly spec testsuite driver: converts each .wast with wast2json (cached in
// build/spec-cache/<name>/), runs build/runtime/logwasm-spec on it (one process per file, all of
// the file's commands in it, two files at a time), and sums up.
//
//   node test/spec/run.mjs --tier interp [--arch x86_64|aarch64] [--filter NAME]... [--verbose]
//                          [--runner PATH] [--jobs 1|2] [--timeout SECONDS]
//                          [--expected-failures FILE] [--aotc PATH] [--cpu NAME]
//
// --tier aot compiles each instantiated module with logwasm-aotc (--aotc, $LOGWASM_AOTC,
// build/runtime/ or build/aot/) to x.N.<arch>[.<cpu>].lwaot beside its .wasm and runs
// logwasm-spec with --artifacts, so the runtime loads the compiled code. --arch aarch64 runs the
// cross-built runner (npm run build:runtime:aarch64) under qemu-aarch64 with code compiled for
// --cpu (default cortex-a57, emulated as that CPU). Without a compiler it says the tier isn't
// built.
// Testsuite: $WASM_TESTSUITE, else ../shared/wasm-testsuite beside the repository; when neither
// exists the run is skipped (exit 0). Runner: --runner, else $LOGWASM_SPEC, else
// build/runtime/logwasm-spec. Conversion cache: build/spec-cache, or $LOGWASM_SPEC_CACHE.
// Exit status: 0 when every failure is listed in
// test/spec/expected-failures.json, 1 otherwise, 2 for a usage or set-up problem.
// The last line is always `spec: N passed, M failed, K skipped` (or the reason for skipping).

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const defaultExpectedFailures = path.join(repoRoot, 'test', 'spec', 'expected-failures.json');
const MAX_JOBS = 2; // the build machines have 2 cores shared by everything else
const FAILURES_SHOWN_PER_FILE = 10;

function usage(message) {
  if (message) console.error(`spec: ${message}`);
  console.error(
    'usage: node test/spec/run.mjs --tier interp|aot [--arch x86_64|aarch64] [--filter NAME]...\n' +
      '                              [--verbose] [--runner PATH] [--jobs 1|2] [--timeout SECONDS]\n' +
      '                              [--expected-failures FILE] [--aotc PATH]',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { tier: 'interp', arch: hostArch(), filters: [], verbose: false, runner: null, aotc: null, cpu: undefined,
    jobs: MAX_JOBS, timeoutSeconds: 900, expectedFailures: defaultExpectedFailures };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--tier') opts.tier = value();
    else if (arg === '--arch') opts.arch = value();
    else if (arg === '--filter') opts.filters.push(...value().split(',').filter(Boolean));
    else if (arg === '--verbose' || arg === '-v') opts.verbose = true;
    else if (arg === '--runner') opts.runner = value();
    else if (arg === '--aotc') opts.aotc = value();
    else if (arg === '--cpu') opts.cpu = value();
    else if (arg === '--jobs') opts.jobs = Math.max(1, Math.min(MAX_JOBS, Number(value()) || 1));
    else if (arg === '--timeout') opts.timeoutSeconds = Number(value());
    else if (arg === '--expected-failures') opts.expectedFailures = path.resolve(value());
    else if (arg === '--help' || arg === '-h') usage();
    else usage(`unknown argument ${arg}`);
  }
  if (!['interp', 'aot'].includes(opts.tier)) usage(`unknown tier '${opts.tier}' (interp or aot)`);
  if (!['x86_64', 'aarch64'].includes(opts.arch)) usage(`unknown arch '${opts.arch}'`);
  if (!(opts.timeoutSeconds > 0)) usage('--timeout needs a positive number of seconds');
  // The ARM boards Fluent Bit users compile for (flb-wamrc --cpu=cortex-a57): code for that CPU,
  // run on an emulated one. On the host, the compiler's default CPU.
  if (opts.cpu === undefined) opts.cpu = opts.arch === 'aarch64' && hostArch() !== 'aarch64' ? 'cortex-a57' : null;
  return opts;
}

function hostArch() {
  return { x64: 'x86_64', arm64: 'aarch64' }[process.arch] ?? process.arch;
}

function commandExists(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

// ---- the testsuite and its conversion ----------------------------------------------------------

function findTestsuite() {
  const candidates = process.env.WASM_TESTSUITE
    ? [['$WASM_TESTSUITE', path.resolve(process.env.WASM_TESTSUITE)]]
    : [['../shared/wasm-testsuite', path.resolve(repoRoot, '..', 'shared', 'wasm-testsuite')]];
  for (const [label, dir] of candidates) {
    if (fs.existsSync(dir) && fs.statSync(dir).isDirectory()) return { dir, label };
  }
  return { dir: null, label: candidates.map(([label, dir]) => `${label} (${dir})`).join(', ') };
}

function selectFiles(dir, filters) {
  const all = fs.readdirSync(dir).filter((f) => f.endsWith('.wast')).sort()
    .map((f) => f.slice(0, -'.wast'.length));
  if (filters.length === 0) return all;
  const picked = new Set();
  for (const filter of filters) {
    const bare = filter.replace(/\.wast$/, '');
    // An exact name picks that file; otherwise the filter is a substring ("simd_", "memory").
    const exact = all.filter((name) => name === bare);
    for (const name of exact.length ? exact : all.filter((n) => n.includes(bare))) picked.add(name);
  }
  return all.filter((name) => picked.has(name));
}

// wast2json output for one file, reconverted only when the .wast is newer than the cache.
function convert(wastPath, name) {
  const cacheRoot = process.env.LOGWASM_SPEC_CACHE
    ? path.resolve(process.env.LOGWASM_SPEC_CACHE) : path.join(repoRoot, 'build', 'spec-cache');
  const outDir = path.join(cacheRoot, name);
  const jsonPath = path.join(outDir, `${name}.json`);
  try {
    if (fs.statSync(jsonPath).mtimeMs >= fs.statSync(wastPath).mtimeMs) return Promise.resolve({ jsonPath });
  } catch { /* not converted yet */ }
  fs.rmSync(outDir, { recursive: true, force: true }); // no stale .wasm files from older versions
  fs.mkdirSync(outDir, { recursive: true });
  return new Promise((resolve) => {
    const child = spawn('wast2json', [wastPath, '-o', jsonPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', (e) => resolve({ error: `wast2json could not start: ${e.message}` }));
    child.on('close', (code) => {
      if (code === 0) return resolve({ jsonPath });
      fs.rmSync(jsonPath, { force: true });
      resolve({ error: `wast2json failed (exit ${code}): ${stderr.trim().split('\n').slice(0, 3).join(' | ')}` });
    });
  });
}

// ---- running one file ----------------------------------------------------------------------------

// The runner's --stream protocol (see native/runtime/tools/spec.c): "commands N" first, then per
// command "ok LINE TYPE", "FAIL LINE ...", "skip LINE ...: REASON", optional "note LINE ...",
// then "skipped N: REASON" lines and "total: P passed, F failed, S skipped".
function runFile(runnerCommand, jsonPath, name, timeoutSeconds) {
  const result = { name, passed: 0, failed: 0, skipped: 0, failures: [], notes: [], skipReasons: {},
    problem: null, expectedCommands: null, lastLine: null, sawTotal: false };
  return new Promise((resolve) => {
    const [command, ...prefixArgs] = runnerCommand;
    const child = spawn(command, [...prefixArgs, '--stream', jsonPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutSeconds * 1000);
    child.stderr.on('data', (d) => { if (stderr.length < 200000) stderr += d; });
    const lines = readline.createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      let m;
      if ((m = /^commands (\d+)$/.exec(line))) result.expectedCommands = Number(m[1]);
      else if ((m = /^ok (\d+) /.exec(line))) { result.passed++; result.lastLine = Number(m[1]); }
      else if ((m = /^FAIL (\d+) (.*)$/.exec(line))) {
        result.failed++;
        result.lastLine = Number(m[1]);
        result.failures.push({ line: Number(m[1]), text: m[2] });
      } else if ((m = /^skip (\d+) .*: ([^:]*)$/.exec(line))) {
        result.skipped++;
        result.lastLine = Number(m[1]);
        result.skipReasons[m[2]] = (result.skipReasons[m[2]] ?? 0) + 1;
      } else if ((m = /^note (\d+) (.*)$/.exec(line))) result.notes.push({ line: Number(m[1]), text: m[2] });
      else if (/^total: /.test(line)) result.sawTotal = true;
    });
    let spawnError = null;
    child.on('error', (e) => { spawnError = e; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      lines.close();
      const reported = result.passed + result.failed + result.skipped;
      const notRun = Math.max(0, (result.expectedCommands ?? reported + 1) - reported);
      const where = result.lastLine ? `after line ${result.lastLine}` : 'before its first command';
      const sanitizer = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/.exec(stderr);
      if (spawnError) {
        result.problem = `the runner could not start: ${spawnError.message}`;
      } else if (timedOut) {
        result.problem = `the runner was killed after ${timeoutSeconds} s (timeout) ${where}`;
      } else if (signal) {
        result.problem = `the runner was killed by ${signal} ${where}`;
      } else if (sanitizer) {
        result.problem = `a sanitizer reported an error (${where}, exit ${code})`;
      } else if (!result.sawTotal || (code !== 0 && code !== 1)) {
        result.problem = `the runner exited with status ${code} ${where}`;
      } else if ((code !== 0) !== (result.failed > 0)) {
        result.problem = `the runner exited with status ${code} but reported ${result.failed} failures`;
      }
      if (result.problem) {
        // Whatever the runner could not finish counts as failed, and a report after the last
        // command (a leak at exit) as one failure, so a crash never looks green.
        result.failed += notRun || 1;
        // A sanitizer's report starts at its ERROR line (the end is the shadow-byte legend).
        const shown = sanitizer
          ? stderr.slice(stderr.lastIndexOf('\n', sanitizer.index) + 1).split('\n').filter(Boolean).slice(0, 16)
          : stderr.trim().split('\n').filter(Boolean).slice(-12);
        const tail = shown.join('\n      ');
        result.problem += notRun ? `; ${notRun} commands did not run` : '';
        if (tail) result.problem += `\n      stderr: ${tail}`;
      }
      resolve(result);
    });
  });
}

// ---- expected failures ---------------------------------------------------------------------------

function loadExpectedFailures(file, tier, arch) {
  let entries;
  try {
    entries = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    console.error(`spec: cannot read ${file}: ${e.message}`);
    process.exit(2);
  }
  if (!Array.isArray(entries)) {
    console.error(`spec: ${file} must hold a JSON array of {file, line, reason}`);
    process.exit(2);
  }
  // Optional "tier"/"arch" fields narrow an entry; without them it applies to every run.
  return entries.filter((e) => (!e.tier || e.tier === tier) && (!e.arch || e.arch === arch))
    .map((e) => ({ ...e, file: String(e.file).replace(/\.wast$/, ''), line: Number(e.line) }));
}

// ---- main ----------------------------------------------------------------------------------------

// The AOT compiler: --aotc, $LOGWASM_AOTC, or the one in build/runtime or build/aot (test/aot's
// build). Null when none exists: the AOT tier isn't built.
function findAotCompiler(opts) {
  const explicit = opts.aotc ?? process.env.LOGWASM_AOTC;
  const candidates = explicit ? [path.resolve(explicit)]
    : ['runtime', 'aot'].map((dir) => path.join(repoRoot, 'build', dir, 'logwasm-aotc'));
  return { path: candidates.find((c) => fs.existsSync(c)) ?? null, candidates };
}

function runnerFor(opts, aotc) {
  const explicit = opts.runner ?? process.env.LOGWASM_SPEC;
  const crossArch = opts.arch !== hostArch();
  // The AOT tier needs a runner built with the compiler (for another architecture: the same
  // build directory name with -<arch>, e.g. build/runtime-aarch64).
  const buildDir = aotc ? path.basename(path.dirname(aotc)) : 'runtime';
  const dir = path.join(repoRoot, 'build', crossArch ? `${buildDir}-${opts.arch}` : buildDir);
  const names = ['logwasm-spec'];
  const runner = path.resolve(explicit ??
    names.map((n) => path.join(dir, n)).find((p) => fs.existsSync(p)) ?? path.join(dir, names.at(-1)));
  if (!fs.existsSync(runner)) {
    console.error(`spec: no spec runner at ${runner}.\n` +
      (crossArch
        ? `  Cross-build the runtime for ${opts.arch} into build/${buildDir}-${opts.arch}, or pass --runner.`
        : '  Build it with `npm run build:runtime` (or pass --runner / set LOGWASM_SPEC).'));
    process.exit(2);
  }
  if (!crossArch) return [runner];
  // Another architecture's runner runs under qemu-user with that architecture's libraries.
  const qemu = `qemu-${opts.arch}`;
  if (!commandExists(qemu)) {
    console.error(`spec: --arch ${opts.arch} needs ${qemu} (apt-get install qemu-user)`);
    process.exit(2);
  }
  return [qemu, ...(opts.cpu ? ['-cpu', opts.cpu] : []), '-L', `/usr/${opts.arch}-linux-gnu`, runner];
}

// The AOT tier: compile every module a file instantiates to <x.N>.<arch>.lwaot beside its .wasm
// (again only when the .wasm or the compiler is newer). Modules that must be rejected are not
// compiled; the runner loads those from the .wasm. Returns the compiler's refusals, by file.
const artifactSuffix = (arch, cpu) => `.${arch}${cpu ? `.${cpu}` : ''}.lwaot`;
const INSTANTIATED = new Set(['module', 'assert_trap', 'assert_uninstantiable', 'assert_unlinkable']);

async function compileArtifacts(aotc, jsonPath, arch, cpu) {
  const dir = path.dirname(jsonPath);
  const { commands } = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  const files = [...new Set(commands
    .filter((c) => INSTANTIATED.has(c.type) && c.filename && c.module_type !== 'text')
    .map((c) => c.filename))];
  const compilerTime = fs.statSync(aotc).mtimeMs;
  const refused = [];
  for (const file of files) {
    const wasm = path.join(dir, file);
    const artifact = path.join(dir, `${file.replace(/\.wasm$/, '')}${artifactSuffix(arch, cpu)}`);
    try {
      const built = fs.statSync(artifact).mtimeMs;
      if (built >= fs.statSync(wasm).mtimeMs && built >= compilerTime) continue;
    } catch { /* not compiled yet */ }
    fs.rmSync(artifact, { force: true });
    const message = await new Promise((resolve) => {
      const child = spawn(aotc, ['--target', arch, ...(cpu ? ['--cpu', cpu] : []), '-o', artifact, wasm], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('error', (e) => resolve(e.message));
      child.on('close', (code, signal) => resolve(code === 0 ? null
        : `${signal ? `killed by ${signal}` : `exit ${code}`}: ${stderr.trim().split('\n')[0] ?? ''}`));
    });
    if (message) {
      fs.rmSync(artifact, { force: true });
      refused.push({ file, message });
    }
  }
  return refused;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  let aotc = null;
  if (opts.tier === 'aot') {
    const found = findAotCompiler(opts);
    if (!found.path) {
      console.log(`spec: the AOT tier is not built yet: no logwasm-aotc at ${found.candidates.join(' or ')} ` +
        '(it needs LLVM 19: apt-get install llvm-19-dev, then build native/aotc), so there is nothing ' +
        'to run for --tier aot; use --tier interp.');
      process.exit(2);
    }
    aotc = found.path;
  }
  const suite = findTestsuite();
  if (!suite.dir) {
    console.log(`spec: no WebAssembly testsuite at ${suite.label}; set WASM_TESTSUITE to a directory of .wast files to run it.`);
    console.log('spec: skipped (no testsuite)');
    return 0;
  }
  if (!commandExists('wast2json')) {
    console.error('spec: wast2json is not installed; it converts the .wast files (apt-get install wabt).');
    return 2;
  }
  const runnerCommand = runnerFor(opts, aotc);
  // logwasm-spec loads the artifacts compiled here beforehand.
  const precompile = Boolean(aotc);
  const runnerArgs = precompile ? ['--artifacts', artifactSuffix(opts.arch, opts.cpu)] : [];
  const expected = loadExpectedFailures(opts.expectedFailures, opts.tier, opts.arch);
  const names = selectFiles(suite.dir, opts.filters);
  if (names.length === 0) {
    console.error(`spec: no .wast file in ${suite.dir} matches ${opts.filters.join(', ')}`);
    return 2;
  }

  // Run up to `jobs` files at a time; print each file's line in name order as soon as it and
  // every file before it are done, so the output is the same whatever finishes first.
  const results = new Array(names.length);
  let nextToPrint = 0;
  let nextToStart = 0;
  const printReady = () => {
    while (nextToPrint < names.length && results[nextToPrint]) {
      const r = results[nextToPrint++];
      console.log(`${r.name}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`);
    }
  };
  const worker = async () => {
    while (nextToStart < names.length) {
      const index = nextToStart++;
      const name = names[index];
      const converted = await convert(path.join(suite.dir, `${name}.wast`), name);
      if (converted.error) {
        results[index] = { name, passed: 0, failed: 1, skipped: 0, failures: [], notes: [],
          skipReasons: {}, problem: converted.error, refused: [] };
      } else {
        const refused = precompile ? await compileArtifacts(aotc, converted.jsonPath, opts.arch, opts.cpu) : [];
        results[index] = await runFile([...runnerCommand, ...runnerArgs], converted.jsonPath, name,
          opts.timeoutSeconds);
        results[index].refused = refused;
      }
      printReady();
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.jobs, names.length) }, worker));

  // Failures, with the ones listed in expected-failures.json marked as such.
  const expectedKey = (file, line) => `${file}:${line}`;
  const expectedByKey = new Map(expected.map((e) => [expectedKey(e.file, e.line), e]));
  const matchedKeys = new Set();
  let unexpected = 0;
  let noteCount = 0;
  const totals = { passed: 0, failed: 0, skipped: 0 };
  const skipTotals = {};
  for (const r of results) {
    totals.passed += r.passed;
    totals.failed += r.failed;
    totals.skipped += r.skipped;
    noteCount += r.notes.length;
    for (const [reason, count] of Object.entries(r.skipReasons)) {
      skipTotals[reason] ??= { count: 0, files: 0 };
      skipTotals[reason].count += count;
      skipTotals[reason].files += 1;
    }
    const lines = [];
    if (r.problem) {
      unexpected++;
      lines.push(`  ${r.name}.wast: ${r.problem}`);
    }
    let shown = 0;
    for (const f of r.failures) {
      const entry = expectedByKey.get(expectedKey(r.name, f.line));
      if (entry) matchedKeys.add(expectedKey(r.name, f.line));
      else unexpected++;
      if (opts.verbose || (!entry && shown < FAILURES_SHOWN_PER_FILE)) {
        lines.push(`  ${r.name}.wast:${f.line} ${f.text}${entry ? `  [expected: ${entry.reason}]` : ''}`);
        if (!entry) shown++;
      }
    }
    const unexpectedHere = r.failures.filter((f) => !expectedByKey.has(expectedKey(r.name, f.line))).length;
    if (unexpectedHere > shown && !opts.verbose) {
      lines.push(`  ... ${unexpectedHere - shown} more failures in ${r.name}.wast (--filter ${r.name} --verbose shows all)`);
    }
    for (const c of r.refused.filter((c) => opts.verbose || !/SIMD|v128/.test(c.message))) {
      lines.push(`  logwasm-aotc refused ${c.file}: ${c.message}`);
    }
    if (opts.verbose) for (const n of r.notes) lines.push(`  note ${r.name}.wast:${n.line} ${n.text}`);
    if (lines.length) {
      console.log(`\n${r.name}.wast:`);
      for (const l of lines) console.log(l);
    }
  }

  console.log('');
  for (const [reason, { count, files }] of Object.entries(skipTotals).sort()) {
    console.log(`skipped, ${reason}: ${count} assertions in ${files} files`);
  }
  if (noteCount) {
    console.log(`notes: ${noteCount} checks passed with a message or error kind worded differently from the spec` +
      (opts.verbose ? '' : ' (--verbose lists them)'));
  }
  const ran = new Set(names);
  const stale = expected.filter((e) => ran.has(e.file) && !matchedKeys.has(expectedKey(e.file, e.line)));
  for (const e of stale) {
    console.log(`stale expected failure (it passes now; remove it from ${path.relative(repoRoot, opts.expectedFailures)}): ${e.file}.wast:${e.line} (${e.reason})`);
  }
  if (unexpected) console.log(`unexpected failures: ${unexpected}`);
  console.log(`spec: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  return unexpected ? 1 : 0;
}

process.exitCode = await main();
