// Builds each bench/engine/programs/<name>.c twice, into build/bench/:
//   <name>.native  gcc -O2                                    (the reference)
//   <name>.wasm    clang-14 --target=wasm32-wasi -O2 -mbulk-memory (wasi-libc)
// An output is rebuilt when it is missing or older than its source or than
// this file (which holds the flags).
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
export const programsDir = path.join(here, 'programs');
export const outputDir = path.join(repoRoot, 'build', 'bench');

const NATIVE_CC = process.env.BENCH_CC || 'gcc';
const WASM_CC = process.env.BENCH_WASM_CC || 'clang-14';

export const recipes = {
  native: (source, output) => [NATIVE_CC, ['-O2', '-o', output, source, '-lm']],
  wasm: (source, output) => [WASM_CC, ['--target=wasm32-wasi', '-O2', '-mbulk-memory', '-o', output, source]],
};

export function listPrograms() {
  return fs.readdirSync(programsDir)
    .filter((f) => f.endsWith('.c'))
    .map((f) => f.slice(0, -2))
    .sort();
}

function mtime(file) {
  try { return fs.statSync(file).mtimeMs; } catch { return -1; }
}

// Returns { name, source, native, wasm } with both outputs up to date.
// Throws with the compiler's message when a build fails.
export function buildProgram(name, log = () => {}) {
  fs.mkdirSync(outputDir, { recursive: true });
  const source = path.join(programsDir, `${name}.c`);
  const newestInput = Math.max(mtime(source), mtime(fileURLToPath(import.meta.url)));
  const outputs = { native: path.join(outputDir, `${name}.native`), wasm: path.join(outputDir, `${name}.wasm`) };
  for (const [kind, output] of Object.entries(outputs)) {
    if (mtime(output) >= newestInput) continue;
    const [cc, args] = recipes[kind](source, output);
    log(`build ${kind}: ${cc} ${args.join(' ')}`);
    const result = spawnSync(cc, args, { encoding: 'utf8' });
    if (result.error) throw new Error(`cannot run ${cc} to build ${name} (${kind}): ${result.error.message}`);
    if (result.status !== 0) {
      fs.rmSync(output, { force: true });
      throw new Error(`building ${name} (${kind}) failed:\n${cc} ${args.join(' ')}\n${result.stderr}`);
    }
  }
  return { name, source, ...outputs };
}
