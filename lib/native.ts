// Loads the native addon (prebuilt in prebuilds/<platform>-<arch>/ or built from source in
// build/Release/) on first use, so the pure TypeScript parts work without it.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export interface NativeFilterOptions {
  wasm: Uint8Array;
  wasmName?: string;
  functionName: string;
  eventFormat?: number;
  accessiblePaths?: string[];
  heapSize?: number;
  stackSize?: number;
  timeoutMs?: number;
  maxMemoryBytes?: number;
  onError?: number;
  guestStdoutFd?: number;
  guestStderrFd?: number;
}

export interface NativeFilterMetrics {
  recordsIn: number;
  recordsOut: number;
  recordsDropped: number;
  recordsKept: number;
  errors: number;
  errorsTrap: number;
  errorsTimeout: number;
  errorsBadResult: number;
  errorsHeap: number;
  chunks: number;
  timeNs: number;
  memoryBytes: number;
  instanceRecreations: number;
  lastError: string;
}

export interface NativeFilter {
  record(tag: string, seconds: number, nanoseconds: number, body: Uint8Array): Buffer | null;
  chunk(tag: string, chunk: Uint8Array): Buffer;
  chunkAsync(tag: string, chunk: Uint8Array): Promise<Buffer>;
  metrics(): NativeFilterMetrics;
  takeLog(): string[];
  close(): void;
  readonly busy: boolean;
}

export interface NativeWasiOptions {
  wasm: Uint8Array;
  wasmName?: string;
  args?: string[];
  env?: string[];
  preopens?: [string, string][];
  captureStdout?: boolean;
  stdinFd?: number;
  stdoutFd?: number;
  stderrFd?: number;
  maxMemoryBytes?: number;
  stackSize?: number;
  timeoutMs?: number;
}

export interface NativeWasiResult {
  exitCode: number | null;
  stdout: Buffer;
  error?: Error & { code: string };
}

export interface NativeJsonEvent {
  seconds: number;
  nanoseconds: number;
  groupMarker: boolean;
  metadata: string | null;
  body: string;
}

export interface NativeAddon {
  version: string;
  Filter: {
    new (options: NativeFilterOptions): NativeFilter;
    /** Loads on a worker thread (validation and compilation of a big module take a while). */
    loadAsync(options: NativeFilterOptions): Promise<NativeFilter>;
  };
  msgpackToJson(bytes: Uint8Array): string;
  jsonToMsgpack(text: string): Buffer;
  /** One NDJSON event line -> one chunk entry [[EventTime, metadata], body]. */
  ndjsonToChunkEntry(line: string, nowSeconds: number, nowNanoseconds: number): Buffer;
  /** Each event of a chunk: its time, and its metadata (null for [time, body]) and body as JSON. */
  chunkToJsonEvents(chunk: Uint8Array): NativeJsonEvent[];
  runWasi?(options: NativeWasiOptions): NativeWasiResult;
  runWasiAsync?(options: NativeWasiOptions): Promise<NativeWasiResult>;
}

/** The package's root directory (dist/.. when compiled). */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

let addon: NativeAddon | undefined;

export class NativeLoadError extends Error {
  readonly code = 'LOGWASM_NO_ADDON';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NativeLoadError';
  }
}

export function loadAddon(): NativeAddon {
  if (addon) return addon;
  const require = createRequire(import.meta.url);
  const platform = `${process.platform}-${process.arch}`;
  try {
    // LOGWASM_ADDON=/path/to/logwasm.node loads a specific build (a sanitizer build, say).
    const override = process.env.LOGWASM_ADDON;
    if (override) {
      addon = require(path.resolve(override)) as NativeAddon;
      return addon;
    }
    const load = require('node-gyp-build') as (dir: string) => NativeAddon;
    addon = load(packageRoot);
    return addon;
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new NativeLoadError(
      `logwasm: could not load its native addon for ${platform} (Node ${process.versions.node}, Node-API 8).\n` +
        (process.env.LOGWASM_ADDON
          ? `  looked for: ${process.env.LOGWASM_ADDON} (LOGWASM_ADDON)\n`
          : `  looked for: ${path.join(packageRoot, 'prebuilds', platform, '*.node')} (prebuilt) and ` +
            `${path.join(packageRoot, 'build', 'Release', 'logwasm.node')} (built from source)\n`) +
        `  reason: ${detail}\n` +
        `  fix: run \`npm rebuild logwasm\` (builds from source; needs cmake, make and a C/C++ compiler), ` +
        `or in a checkout \`npm run build:addon\`.`,
      { cause },
    );
  }
}

export function addonAvailable(): boolean {
  try {
    loadAddon();
    return true;
  } catch {
    return false;
  }
}
