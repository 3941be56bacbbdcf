// AOT benchmark: test/aot/programs/kernels.c as native gcc -O2, as wasm compiled by
// logwasm-aotc, and as wasm in this node's V8. Prints a table of CPU times and ratios to native
// and the geometric means. Not a test (timings are noisy on a shared machine); run by hand:
//   node test/aot/bench.mjs [--repeat N] [--build-dir DIR]
// Times are process CPU time, best of N runs: native and AOT in their own processes, V8 in this
// one after a warm-up call (its background compiler threads count too, a small overstatement).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const repeat = Number(opt('--repeat', 3));
const buildDir = opt('--build-dir', path.join(root, 'build', 'runtime'));
const aotc = path.join(buildDir, 'logwasm-aotc');
const runner = path.join(buildDir, 'logwasm-aot-run');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'logwasm-bench-'));
const programs = path.join(here, 'programs');

const kernels = [
  ['fib', 35],
  ['sieve', 4000000],
  ['matmul', 20],
  ['crc32', 50000000],
  ['qsort_ind', 1000000],
  ['nbody', 3000000],
  ['hashmap', 5000000],
];

const wasm = path.join(work, 'kernels.wasm');
const nativeExe = path.join(work, 'kernels');
execFileSync('clang-14', ['--target=wasm32', '-O2', '-nostdlib', '-Wl,--no-entry', '-o', wasm,
  path.join(programs, 'kernels.c')]);
execFileSync('gcc', ['-O2', '-o', nativeExe, path.join(programs, 'kernels_main.c'), '-lm']);
const artifact = path.join(work, 'kernels.lwaot');
execFileSync(aotc, ['-o', artifact, wasm]);

function timed(cmd, argv) {
  let best = Infinity, out = '';
  for (let i = 0; i < repeat; i++) {
    const r = spawnSync(cmd, argv, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')}: ${r.stdout}${r.stderr}`);
    out = r.stdout.trim();
    best = Math.min(best, Number(/time_ns (\d+)/.exec(r.stderr)[1]));
  }
  return { out, ns: best };
}

const { instance } = await WebAssembly.instantiate(fs.readFileSync(wasm));
function v8(name, arg) {
  const fn = instance.exports[name];
  fn(Math.max(1, Math.floor(arg / 50))); // warm-up: let V8 tier up
  let best = Infinity, out;
  for (let i = 0; i < repeat; i++) {
    const t0 = process.cpuUsage();
    out = fn(arg);
    const t = process.cpuUsage(t0);
    best = Math.min(best, (t.user + t.system) * 1000);
  }
  return { out: String(out), ns: best };
}

const rows = [];
let logAot = 0, logV8 = 0;
for (const [name, arg] of kernels) {
  const n = timed(nativeExe, [name, String(arg)]);
  const a = timed(runner, ['--time', artifact, name, String(arg)]);
  const v = v8(name, arg);
  const same = a.out === n.out ? '' : ` MISMATCH (native ${n.out}, aot ${a.out})`;
  rows.push([name, (n.ns / 1e6).toFixed(1), (a.ns / 1e6).toFixed(1), (v.ns / 1e6).toFixed(1),
    (a.ns / n.ns).toFixed(2), (v.ns / n.ns).toFixed(2), same]);
  logAot += Math.log(a.ns / n.ns);
  logV8 += Math.log(v.ns / n.ns);
}
console.log('kernel      native ms   aot ms    v8 ms   aot/native  v8/native');
for (const r of rows)
  console.log(`${r[0].padEnd(10)} ${r[1].padStart(9)} ${r[2].padStart(8)} ${r[3].padStart(8)} ${r[4].padStart(11)} ${r[5].padStart(10)}${r[6]}`);
console.log(`geomean aot/native ${Math.exp(logAot / kernels.length).toFixed(2)}  v8/native ${Math.exp(logV8 / kernels.length).toFixed(2)}`);
