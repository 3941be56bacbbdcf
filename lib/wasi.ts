// exec_wasi: run a WASI command with its stdout captured and turn each line into a record (§6).
import path from 'node:path';
import { EventTime } from './records/event-time.js';
import { Value } from './records/values.js';
import { LineParser } from './parsers.js';
import { NativeWasiResult, loadAddon } from './native.js';
import { LogwasmError } from './errors.js';
import { Tier, moduleBytesForTier } from './aot.js';

export interface WasiRecord {
  time: EventTime;
  body: Value;
}

export interface RunWasiOptions {
  /** The WASI command module: a .wasm, or a logwasm AOT artifact (.lwaot). */
  wasiPath: string;
  /** Which engine runs it: 'auto' (default) = whatever the file is; 'aot' = compiled code (a
   *  .wasm is compiled with logwasm-aotc first and cached, see FilterOptions.tier); 'interp' =
   *  the interpreter (an artifact is refused: pass the .wasm). */
  tier?: Tier;
  /** Preopened directories; each guest-visible name is the configured string. Default ['.']. */
  accessiblePaths?: string[];
  /** Longest line is bufSize - 1 bytes; longer lines become several records. Default 4096. */
  bufSize?: number;
  /** Turns each line into a map (and maybe a time); without one, {"wasi_stdout": line}. */
  parser?: LineParser;
  /** Extra arguments after argv[0], and "KEY=VALUE" environment strings (empty by default). */
  args?: string[];
  env?: string[];
  timeoutMs?: number;
  maxMemory?: number;
  stackSize?: number;
  /** Called for each line the parser rejects. */
  onLog?: (message: string) => void;
}

const utf8 = new TextDecoder('utf-8');

/** Split captured output into lines per §6: at most bufSize - 1 bytes each (longer lines become
 *  several), '\n' removed and '\r' kept, a last line without '\n' still counts, and a line ends
 *  at its first NUL byte (the rest of that line is dropped). */
export function splitLines(output: Uint8Array, bufSize = 4096): string[] {
  if (!Number.isInteger(bufSize) || bufSize < 2) throw new RangeError(`buf_size must be at least 2, got ${bufSize}`);
  const max = bufSize - 1;
  const lines: string[] = [];
  let start = 0;
  while (start < output.length) {
    let end = output.indexOf(0x0a, start);
    const next = end < 0 ? output.length : end + 1;
    if (end < 0) end = output.length;
    const nul = output.subarray(start, end).indexOf(0);
    const lineEnd = nul < 0 ? end : start + nul;
    if (lineEnd === start) lines.push('');
    for (let piece = start; piece < lineEnd; piece += max) {
      lines.push(utf8.decode(output.subarray(piece, Math.min(piece + max, lineEnd))));
    }
    start = next;
  }
  return lines;
}

/** Turn lines into records: parsed when a parser is given (rejected lines are dropped and
 *  reported), else {"wasi_stdout": line}, stamped with `now` unless the parser found a time. */
export function linesToRecords(lines: string[], parser: LineParser | undefined, now: EventTime, onLog?: (m: string) => void): WasiRecord[] {
  const records: WasiRecord[] = [];
  for (const line of lines) {
    if (!parser) {
      records.push({ time: now, body: { wasi_stdout: line } });
      continue;
    }
    const parsed = parser.parse(line);
    if (!parsed) {
      onLog?.(`exec_wasi: parser '${parser.name}' could not parse line: ${JSON.stringify(line.slice(0, 200))}`);
      continue;
    }
    records.push({ time: parsed.time ?? now, body: parsed.body });
  }
  return records;
}

/** The preopens for accessible_paths: the guest sees each entry by its configured name. */
export function preopensFor(accessiblePaths: string[]): [string, string][] {
  return accessiblePaths.map((entry) => [entry, path.resolve(entry)]);
}

/** Run the module once (instantiated afresh) and return its stdout split into lines (§6), with
 *  the time they were captured. Rejects as runWasi does. */
export async function runWasiLines(options: RunWasiOptions): Promise<{ lines: string[]; now: EventTime }> {
  const addon = loadAddon();
  if (!addon.runWasiAsync) throw new LogwasmError('this build of the logwasm addon has no WASI support', 'LOGWASM_ERR_UNSUPPORTED');
  const { bytes, name } = await moduleBytesForTier(options.wasiPath, options.tier, 'wasi_path');
  const result: NativeWasiResult = await addon.runWasiAsync({
    wasm: bytes,
    wasmName: name,
    // Like Fluent Bit, no argv and no environment unless asked for.
    args: options.args ? [path.basename(options.wasiPath), ...options.args] : [],
    env: options.env ?? [],
    preopens: preopensFor(options.accessiblePaths ?? ['.']),
    captureStdout: true,
    timeoutMs: options.timeoutMs,
    maxMemoryBytes: options.maxMemory,
    stackSize: options.stackSize,
  });
  if (result.error) throw result.error;
  return { lines: splitLines(result.stdout, options.bufSize ?? 4096), now: EventTime.now() };
}

/** Run the module once (instantiated afresh, stdout captured) and return its records. A trap,
 *  a missing _start or an instantiation error (e.g. a missing accessible path) rejects and
 *  emits nothing; proc_exit with any code is a normal end. */
export async function runWasi(options: RunWasiOptions): Promise<WasiRecord[]> {
  const { lines, now } = await runWasiLines(options);
  return linesToRecords(lines, options.parser, now, options.onLog);
}

export interface RunCommandOptions {
  args?: string[];
  env?: string[];
  /** [guestPath, hostPath] pairs (iwasm's --map-dir=GUEST::HOST, --dir=PATH). */
  preopens?: [string, string][];
  timeoutMs?: number;
  /** Which engine runs it (see RunWasiOptions.tier). */
  tier?: Tier;
}

/** `logwasm run`: run a WASI command with the host's stdin/stdout/stderr; resolves to its exit
 *  code, rejects on load errors and traps. */
export async function runCommand(modulePath: string, options: RunCommandOptions = {}): Promise<number> {
  const addon = loadAddon();
  if (!addon.runWasiAsync) throw new LogwasmError('this build of the logwasm addon has no WASI support', 'LOGWASM_ERR_UNSUPPORTED');
  const { bytes, name } = await moduleBytesForTier(modulePath, options.tier, 'module');
  const result = await addon.runWasiAsync({
    wasm: bytes,
    wasmName: name,
    args: [modulePath, ...(options.args ?? [])],
    env: options.env ?? [],
    preopens: options.preopens ?? [],
    captureStdout: false,
    timeoutMs: options.timeoutMs,
  });
  if (result.error) throw result.error;
  return result.exitCode ?? 1;
}
