// The AOT tier from TypeScript: finding logwasm-aotc (the LLVM compiler, built only when LLVM 19
// is installed), running it, and a compile cache so that `tier: 'aot'` on a .wasm compiles once
// per module, target, CPU and compiler build. The runtime itself loads artifacts without LLVM.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from './native.js';
import { LogwasmError, fileError } from './errors.js';

/** Which engine runs a module: 'auto' = whatever the file is (a .wasm is interpreted, a .lwaot
 *  artifact runs its compiled code); 'interp' = the interpreter (a .wasm is required); 'aot' =
 *  compiled code (a .wasm is compiled first with logwasm-aotc and cached). */
export type Tier = 'auto' | 'interp' | 'aot';

export type AotTarget = 'x86_64' | 'aarch64';

export interface AotCompileOptions {
  /** Target architecture; default this machine's. */
  target?: AotTarget;
  /** CPU name for LLVM (skylake, cortex-a57, generic...); default this machine's CPU when
   *  compiling for it. */
  cpu?: string;
  /** CPU features to add or remove, LLVM names: '+avx2,-sse4.2'. */
  cpuFeatures?: string;
  /** Optimisation level 0..3, default 3. */
  optLevel?: 0 | 1 | 2 | 3;
}

const COMPILER_NAME = 'logwasm-aotc';
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d]; // "\0asm"
const AOT_MAGIC = [0x89, 0x4c, 0x57, 0x41, 0x4f, 0x54, 0x0d, 0x0a]; // "\x89LWAOT\r\n" (docs/aot-format.md)

const startsWith = (bytes: Uint8Array, magic: number[]) => bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);

/** True when the bytes are a logwasm AOT artifact (.lwaot). */
export function isAotArtifact(bytes: Uint8Array): boolean {
  return startsWith(bytes, AOT_MAGIC);
}

/** True when the bytes are a WebAssembly binary module. */
export function isWasmModule(bytes: Uint8Array): boolean {
  return startsWith(bytes, WASM_MAGIC);
}

function isRegularFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The logwasm-aotc executable, or null: $LOGWASM_AOTC when set, else the package's own build
 *  (build/runtime/logwasm-aotc, written by `npm run build:runtime` when LLVM 19 is present), else
 *  the first logwasm-aotc on PATH. */
export function findAotCompiler(): string | null {
  const override = process.env.LOGWASM_AOTC;
  if (override) return isRegularFile(override) ? path.resolve(override) : null;
  const built = path.join(packageRoot, 'build', 'runtime', COMPILER_NAME);
  if (isRegularFile(built)) return built;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, COMPILER_NAME);
    if (isRegularFile(candidate)) return candidate;
  }
  return null;
}

/** What to tell a user who has no compiler: LLVM 19 and the exact commands. */
export function missingCompilerMessage(): string {
  const override = process.env.LOGWASM_AOTC;
  const where = override
    ? `LOGWASM_AOTC is set to '${override}', which is not a file`
    : `${COMPILER_NAME} is neither at ${path.join(packageRoot, 'build', 'runtime', COMPILER_NAME)} nor on PATH`;
  return `the AOT compiler is not available (${where}). It is built only when LLVM 19 is installed: `
    + `run 'apt-get install llvm-19-dev && npm run build:runtime' in ${packageRoot}, `
    + `or set LOGWASM_AOTC to a logwasm-aotc executable`;
}

/** The compiler's path, or a LogwasmError (code LOGWASM_ERR_NO_AOTC) saying how to get one. */
export function requireAotCompiler(): string {
  const compiler = findAotCompiler();
  if (!compiler) throw new LogwasmError(missingCompilerMessage(), 'LOGWASM_ERR_NO_AOTC');
  return compiler;
}

/** logwasm-aotc's command-line arguments for these options. */
export function aotCompilerArgs(inputPath: string, outputPath: string, options: AotCompileOptions = {}): string[] {
  const args: string[] = [];
  if (options.target) args.push('--target', options.target);
  if (options.cpu) args.push('--cpu', options.cpu);
  if (options.cpuFeatures) args.push('--cpu-features', options.cpuFeatures);
  if (options.optLevel !== undefined) args.push(`-O${options.optLevel}`);
  args.push('-o', outputPath, inputPath);
  return args;
}

/** Run logwasm-aotc to completion; resolves to its exit code and what it printed. */
export function runAotCompiler(compiler: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(compiler, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => { stdout += text; });
    child.stderr.setEncoding('utf8').on('data', (text: string) => { stderr += text; });
    child.on('error', (error) => reject(new LogwasmError(`cannot run ${compiler}: ${error.message}`, 'LOGWASM_ERR_NO_AOTC', { cause: error })));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr: signal ? `${stderr}${compiler} killed by ${signal}\n` : stderr }));
  });
}

/** Where compiled artifacts are cached: $LOGWASM_AOT_CACHE, else <os.tmpdir()>/logwasm-aot. */
export function aotCacheDir(): string {
  return process.env.LOGWASM_AOT_CACHE || path.join(os.tmpdir(), 'logwasm-aot');
}

/** Compile a module's bytes (unless the cache already has them compiled the same way) and
 *  return the artifact's path. The cache key is the wasm's SHA-256, the target, CPU, features,
 *  optimisation level and the compiler's path and modification time, so rebuilding the compiler
 *  or changing the module recompiles. `name` is only for error messages. */
export async function compileCached(wasm: Uint8Array, name: string, options: AotCompileOptions = {}): Promise<string> {
  const compiler = requireAotCompiler();
  const wasmHash = createHash('sha256').update(wasm).digest('hex');
  const key = JSON.stringify({
    wasm: wasmHash,
    target: options.target ?? os.arch(),
    cpu: options.cpu ?? 'host',
    features: options.cpuFeatures ?? '',
    opt: options.optLevel ?? 3,
    compiler,
    compilerMtime: statSync(compiler).mtimeMs,
  });
  const dir = aotCacheDir();
  const artifact = path.join(dir, `${wasmHash.slice(0, 16)}-${createHash('sha256').update(key).digest('hex').slice(0, 16)}.lwaot`);
  if (existsSync(artifact)) return artifact;
  await mkdir(dir, { recursive: true });
  // the compiler reads a file: write the bytes next to where the artifact goes
  const unique = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  const input = path.join(dir, `.in-${unique}.wasm`);
  const partial = path.join(dir, `.out-${unique}.lwaot`);
  try {
    await writeFile(input, wasm);
    const result = await runAotCompiler(compiler, aotCompilerArgs(input, partial, options));
    if (result.code !== 0) {
      throw new LogwasmError(`compiling '${name}' with ${compiler} failed (exit status ${result.code}): ${result.stderr.trim().replaceAll(input, name)}`, 'LOGWASM_ERR_AOT_COMPILE');
    }
    await rename(partial, artifact); // atomic: a concurrent reader sees the old state or the whole file
  } finally {
    await rm(input, { force: true });
    await rm(partial, { force: true });
  }
  return artifact;
}

/** The bytes to hand the runtime for `file` on `tier`, and the name errors should use.
 *  'aot' compiles a .wasm through the cache; 'interp' refuses an artifact. `what` names the
 *  option in read errors (wasm_path, wasi_path, module). */
export async function moduleBytesForTier(file: string, tier: Tier | undefined, what: string): Promise<{ bytes: Buffer; name: string }> {
  const chosen = tier ?? 'auto';
  if (chosen !== 'auto' && chosen !== 'interp' && chosen !== 'aot') {
    throw new LogwasmError(`tier must be 'auto', 'interp' or 'aot', got '${String(chosen)}'`, 'LOGWASM_ERR_ARGUMENT');
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw fileError(what, file, error);
  }
  if (chosen === 'interp' && isAotArtifact(bytes)) {
    throw new LogwasmError(`'${file}' is a logwasm AOT artifact (compiled code), which the interpreter cannot run: `
      + `for tier 'interp' pass the .wasm it was compiled from, or use tier 'auto' or 'aot'`, 'LOGWASM_ERR_ARGUMENT');
  }
  if (chosen === 'aot' && isWasmModule(bytes)) {
    const artifact = await compileCached(bytes, file);
    return { bytes: await readFile(artifact), name: file };
  }
  // anything else (an artifact, or not a module at all) goes to the runtime, whose loader says
  // what is wrong with it (a WAMR \0aot file, a bad artifact...)
  return { bytes, name: file };
}
