// The ways the benchmark runs a program ("tiers"). Each tier is one entry:
//   name       column title ("native" is the reference every ratio divides by)
//   timing     what the milliseconds include, printed under the table
//   missing()  null when the tier can run, else why not (printed, tier skipped)
//   run(prog)  -> { ms, stdout } for one run; throws on a failed run
// A new tier is one more entry in `tiers`.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { repoRoot, outputDir } from './build.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const RUN_TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS || 600000);

// Runs a command to completion and measures its whole-process wall time.
function timedSpawn(command, args) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, {
    encoding: 'utf8', timeout: RUN_TIMEOUT_MS, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const shown = `${command} ${args.join(' ')}`;
  if (result.error) {
    const why = result.error.code === 'ETIMEDOUT' ? `timed out after ${RUN_TIMEOUT_MS} ms` : result.error.message;
    throw new Error(`${shown}: ${why}`);
  }
  if (result.status !== 0) {
    const how = result.signal ? `killed by ${result.signal}` : `exit status ${result.status}`;
    throw new Error(`${shown}: ${how}\n${result.stderr.trim()}`);
  }
  return { ms, stdout: result.stdout, stderr: result.stderr };
}

const interpreterPath = path.resolve(process.env.LOGWASM_RUN || path.join(repoRoot, 'build', 'runtime', 'logwasm-run'));
const aotCompilerPath = path.resolve(process.env.LOGWASM_AOTC || path.join(repoRoot, 'build', 'runtime', 'logwasm-aotc'));
const mtime = (file) => { try { return fs.statSync(file).mtimeMs; } catch { return -1; } };

// build/bench/<name>.lwaot: the program's .wasm compiled with logwasm-aotc at -O3 for this
// machine's CPU (the compiler's default), rebuilt when the .wasm or the compiler is newer.
function aotArtifact(program) {
  const artifact = path.join(outputDir, `${program.name}.lwaot`);
  if (mtime(artifact) >= Math.max(mtime(program.wasm), mtime(aotCompilerPath))) return artifact;
  const args = ['-O3', '-o', artifact, program.wasm];
  const result = spawnSync(aotCompilerPath, args, { encoding: 'utf8', timeout: RUN_TIMEOUT_MS });
  if (result.error || result.status !== 0) {
    fs.rmSync(artifact, { force: true });
    throw new Error(`compiling ${program.name} failed: ${aotCompilerPath} ${args.join(' ')}\n${result.error?.message ?? result.stderr.trim()}`);
  }
  return artifact;
}

// Shown relative to the repository when it is inside it, else as given.
const shownPath = (file) => (file.startsWith(repoRoot + path.sep) ? path.relative(repoRoot, file) : file);

export const tiers = [
  {
    name: 'native',
    timing: 'native: gcc -O2 executable, whole-process wall time',
    missing: () => null,
    run: (program) => timedSpawn(program.native, []),
  },
  {
    name: 'v8',
    timing: "v8: node's WebAssembly through node:wasi, timed inside node from WebAssembly.instantiate(bytes) "
      + '(includes compilation) to the end of _start; node start-up excluded',
    missing: () => null,
    // --single-threaded-gc: node 20.20's concurrent GC intermittently crashed
    // (SIGSEGV in a JS builtin after _start had finished) on json_tokenize;
    // the GC mode does not affect the speed of the wasm code being measured.
    run: (program) => {
      const result = timedSpawn(process.execPath, ['--no-warnings', '--single-threaded-gc', path.join(here, 'v8-run.mjs'), program.wasm]);
      const match = /v8-run ms=([\d.]+) exit=(\d+)/.exec(result.stderr);
      if (!match) throw new Error(`v8-run printed no timing line for ${program.wasm}:\n${result.stderr}`);
      if (match[2] !== '0') throw new Error(`${program.name} exited with ${match[2]} under v8`);
      return { ms: Number(match[1]), stdout: result.stdout };
    },
  },
  {
    name: 'interp',
    timing: `interp: ${shownPath(interpreterPath)} program.wasm, whole-process wall time `
      + '(includes our load + compile and process start)',
    missing: () => (fs.existsSync(interpreterPath)
      ? null
      : `${shownPath(interpreterPath)} not built (npm run build:runtime)`),
    run: (program) => timedSpawn(interpreterPath, [program.wasm]),
  },
  {
    name: 'aot',
    timing: `aot: ${shownPath(interpreterPath)} program.lwaot, whole-process wall time (includes loading the `
      + `artifact and process start); the artifact is compiled beforehand by ${shownPath(aotCompilerPath)} -O3 `
      + 'for this CPU and cached in build/bench/: compile time NOT included',
    missing: () => {
      if (!fs.existsSync(interpreterPath)) return `${shownPath(interpreterPath)} not built (npm run build:runtime)`;
      if (!fs.existsSync(aotCompilerPath)) {
        return `${shownPath(aotCompilerPath)} not built: the AOT compiler needs LLVM 19 `
          + '(apt-get install llvm-19-dev && npm run build:runtime)';
      }
      return null;
    },
    // compiled (or found in the cache) before the clock starts: only the run is timed
    run: (program) => timedSpawn(interpreterPath, [aotArtifact(program)]),
  },
];
