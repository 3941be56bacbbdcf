// Filter: a Fluent Bit `wasm` filter plugin, loaded once and run per record or per chunk.
import { EventTime } from './records/event-time.js';
import { decodeMsgpack, encodeMsgpackShared } from './records/codec.js';
import { Value } from './records/values.js';
import { NativeFilter, NativeFilterMetrics, loadAddon } from './native.js';
import { LogwasmError } from './errors.js';
import { Tier, moduleBytesForTier } from './aot.js';
import { parseSize } from './config/units.js';

export type EventFormat = 'json' | 'msgpack';
export type OnError = 'drop' | 'keep';

export interface FilterOptions {
  /** The plugin: a .wasm file, or a logwasm AOT artifact (.lwaot, from `logwasm aot` /
   *  logwasm-aotc). Relative to the working directory. */
  wasmPath: string;
  /** Which engine runs the plugin:
   *  - 'auto' (default): whatever wasmPath is: a .wasm runs on the interpreter, a .lwaot
   *    artifact runs its compiled code;
   *  - 'aot': compiled code; a .wasm is first compiled with logwasm-aotc for this machine's
   *    CPU (-O3) and cached (in $LOGWASM_AOT_CACHE, default <tmpdir>/logwasm-aot, keyed by the
   *    wasm's SHA-256, target, CPU and the compiler build), so only the first load compiles.
   *    Rejects with code LOGWASM_ERR_NO_AOTC when the compiler is not built (it needs LLVM 19:
   *    `apt-get install llvm-19-dev && npm run build:runtime`);
   *  - 'interp': the interpreter; an artifact is refused (pass the .wasm). */
  tier?: Tier;
  /** The exported filter function. */
  functionName: string;
  /** How the guest sees a record: compact JSON text (default) or msgpack. */
  eventFormat?: EventFormat;
  /** Directories the guest may open (WASI preopens), default ['.']. */
  accessiblePaths?: string[];
  /** Guest heap for record copies when the module has no malloc/free (bytes or '64K'). */
  heapSize?: number | string;
  /** Interpreter stack (bytes or '64K'). */
  stackSize?: number | string;
  /** Per-call deadline in milliseconds; a call that runs longer fails and the instance is
   *  recreated. */
  timeoutMs?: number;
  /** Cap on linear memory growth (bytes or '64M'). */
  maxMemory?: number | string;
  /** What a failed call does to its record: drop it (default) or pass the original through. */
  onError?: OnError;
  /** Where the guest's stdout (fd 1, printf, puts) goes: 'stdout' (default), 'stderr' or an fd. */
  guestStdout?: 'stdout' | 'stderr' | number;
  /** Called with each record failure inside filterChunk / filterChunkAsync. */
  onLog?: (message: string) => void;
}

export type FilterMetrics = NativeFilterMetrics;

function size(value: number | string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const bytes = parseSize(value);
  if (bytes === null) throw new LogwasmError(`${name} must be a size such as 8192, 64K or 1M, got '${value}'`, 'LOGWASM_ERR_ARGUMENT');
  return bytes;
}

function fd(target: FilterOptions['guestStdout']): number {
  if (target === undefined || target === 'stdout') return -1;
  if (target === 'stderr') return 2;
  return target;
}

export class Filter {
  readonly wasmPath: string;
  readonly functionName: string;
  readonly eventFormat: EventFormat;
  private native: NativeFilter | null;
  private readonly onLog?: (message: string) => void;
  private readonly keep: boolean;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(native: NativeFilter, options: FilterOptions, eventFormat: EventFormat) {
    this.native = native;
    this.wasmPath = options.wasmPath;
    this.functionName = options.functionName;
    this.eventFormat = eventFormat;
    this.onLog = options.onLog;
    this.keep = options.onError === 'keep';
  }

  /** Read, validate and instantiate the plugin. Rejects with a LogwasmError or a runtime Error
   *  (with `code`) that names the file and what is wrong. */
  static async load(options: FilterOptions): Promise<Filter> {
    if (!options || typeof options.wasmPath !== 'string' || options.wasmPath === '') {
      throw new LogwasmError('Filter.load: wasmPath is required', 'LOGWASM_ERR_ARGUMENT');
    }
    if (typeof options.functionName !== 'string' || options.functionName === '') {
      throw new LogwasmError('Filter.load: functionName is required', 'LOGWASM_ERR_ARGUMENT');
    }
    const eventFormat = options.eventFormat ?? 'json';
    if (eventFormat !== 'json' && eventFormat !== 'msgpack') {
      throw new LogwasmError(`eventFormat must be 'json' or 'msgpack', got '${eventFormat}'`, 'LOGWASM_ERR_ARGUMENT');
    }
    const onError = options.onError ?? 'drop';
    if (onError !== 'drop' && onError !== 'keep') {
      throw new LogwasmError(`onError must be 'drop' or 'keep', got '${onError}'`, 'LOGWASM_ERR_ARGUMENT');
    }
    const { bytes, name } = await moduleBytesForTier(options.wasmPath, options.tier, 'wasm_path');
    const addon = loadAddon();
    const native = await addon.Filter.loadAsync({
      wasm: bytes,
      wasmName: name,
      functionName: options.functionName,
      eventFormat: eventFormat === 'msgpack' ? 1 : 0,
      accessiblePaths: options.accessiblePaths ?? ['.'],
      heapSize: size(options.heapSize, 'heapSize', 8192),
      stackSize: size(options.stackSize, 'stackSize', 8192),
      timeoutMs: options.timeoutMs ?? 0,
      maxMemoryBytes: size(options.maxMemory, 'maxMemory', 0),
      onError: onError === 'keep' ? 1 : 0,
      guestStdoutFd: fd(options.guestStdout),
    });
    return new Filter(native, options, eventFormat);
  }

  private open(): NativeFilter {
    if (!this.native) throw new LogwasmError('the filter is closed; load it again to use it', 'LOGWASM_ERR_CLOSED');
    return this.native;
  }

  private flushLog(native: NativeFilter): void {
    if (!this.onLog) {
      native.takeLog(); // keep the native buffer from filling; metrics().lastError still has it
      return;
    }
    for (const line of native.takeLog()) this.onLog(line);
  }

  /** Run the filter on one record (a plain object, encoded with @msgpack/msgpack: integral
   *  numbers are integers, others float64). Returns the new body, or null when the guest dropped it.
   *  Throws when the call failed (trap, timeout, bad result...) unless onError is 'keep', in
   *  which case the original body comes back. */
  filterRecord(tag: string, time: EventTime | number, body: Value): Value | null {
    const native = this.open();
    const eventTime = time instanceof EventTime ? time : EventTime.fromSeconds(time);
    const result = native.record(tag, eventTime.seconds, eventTime.nanoseconds, encodeMsgpackShared(body));
    // a failure throws with its message; only on_error keep logs (the kept record's reason)
    if (this.keep) this.flushLog(native);
    return result === null ? null : decodeMsgpack(result);
  }

  /** Run the filter on a raw msgpack body; returns the new msgpack body or null (dropped). */
  filterRecordRaw(tag: string, time: EventTime, body: Uint8Array): Uint8Array | null {
    const native = this.open();
    const result = native.record(tag, time.seconds, time.nanoseconds, body);
    if (this.keep) this.flushLog(native);
    return result;
  }

  /** Run the filter on every record of a Fluent Bit chunk in one native call. Record failures
   *  are counted and reported through onLog; a corrupt chunk throws (LOGWASM_ERR_MALFORMED). */
  filterChunk(tag: string, chunk: Uint8Array): Uint8Array {
    const native = this.open();
    try {
      return native.chunk(tag, chunk);
    } finally {
      this.flushLog(native);
    }
  }

  /** filterChunk on a worker thread. Calls on one filter run one at a time, in call order. */
  filterChunkAsync(tag: string, chunk: Uint8Array): Promise<Uint8Array> {
    const run = async (): Promise<Uint8Array> => {
      const native = this.open();
      try {
        return await native.chunkAsync(tag, chunk);
      } finally {
        this.flushLog(native);
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  metrics(): FilterMetrics {
    return this.open().metrics();
  }

  /** Free the instance. Safe to call twice; a running asynchronous call finishes first. */
  close(): void {
    this.native?.close();
    this.native = null;
  }
}
