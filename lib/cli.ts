// The `logwasm` command line: filter, run, aot, pipeline, demo.
import { createInterface } from 'node:readline';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { EventTime } from './records/event-time.js';
import { LogEvent, encodeChunk } from './records/chunk.js';
import { chunkEntryFromJsonLine, chunkToJsonEvents } from './records/native-json.js';
import { Filter, FilterOptions } from './filter.js';
import { runCommand } from './wasi.js';
import { loadConfig } from './config/index.js';
import { Pipeline } from './pipeline.js';
import { packageRoot } from './native.js';
import { parseList } from './config/units.js';
import { AotCompileOptions, Tier, aotCompilerArgs, findAotCompiler, missingCompilerMessage, runAotCompiler } from './aot.js';

const USAGE = `logwasm: run Fluent Bit WebAssembly plugins

Usage:
  logwasm filter --wasm PATH --function NAME [options]   filter NDJSON events from stdin
  logwasm run [--env=K=V] [--map-dir=GUEST::HOST] [--dir=PATH] MODULE [args...]
                                                         run a WASI command
  logwasm aot [--target ARCH] [--cpu NAME] [-O0..3] -o OUT.lwaot IN.wasm
                                                         compile a module ahead of time
  logwasm pipeline -c fluent-bit.conf|fluent-bit.yaml    run a Fluent Bit configuration
  logwasm demo                                           run a bundled filter on sample records
  logwasm help [COMMAND] | --help | --version
`;

const FILTER_USAGE = `Usage: logwasm filter --wasm PATH --function NAME [options]

Reads events from stdin, one JSON per line: an object (the body; time = now), [time, body] or
[[time, metadata], body] with time in seconds (a fraction allowed). Writes each resulting event
as one line [time, body], time with nine decimals. The plugin's own stdout goes to stderr.

Options:
  --wasm PATH                 the plugin (.wasm)                           (required)
  --function NAME             the exported filter function                 (required)
  --event-format json|msgpack how the plugin sees records                  (default json)
  --tag TAG                   the records' tag                             (default stdin)
  --accessible-paths a,b      directories the plugin may open              (default .)
  --heap-size N               guest heap for record copies (8192, 64K, 1M) (default 8192)
  --stack-size N              interpreter stack                            (default 8192)
  --timeout MS                per-record deadline in milliseconds          (default none)
  --max-memory N              cap on the plugin's memory (64M)             (default none)
  --on-error drop|keep        a failed record is dropped or passed through (default drop)
  --tier auto|interp|aot      auto: as the file is (.wasm interpreted, .lwaot compiled code);
                              aot: compile a .wasm first (cached); interp: .wasm only
                                                                           (default auto)
  --metrics                   at the end, print the filter's metrics to stderr as JSON

Exit status: 0, or 2 for usage errors, 1 when the plugin cannot be loaded. Record failures are
reported on stderr and do not change the exit status.
`;

const RUN_USAGE = `Usage: logwasm run [options] MODULE [args...]

Runs a WASI command module (its _start) with this process's stdin, stdout and stderr; the exit
status is the module's (proc_exit code, 0 on return); 1 when it cannot be loaded or linked,
2 for usage errors, 134 when it traps, 124 on timeout. Options before MODULE:
  --env=KEY=VALUE         add an environment variable (repeatable)
  --map-dir=GUEST::HOST   make host directory HOST visible to the module as GUEST (repeatable)
  --dir=PATH              make PATH visible under the same name (repeatable)
  --timeout=MS            stop the module after MS milliseconds (also --timeout-ms=MS)
  --tier=auto|interp|aot  auto (default): as the file is (.wasm interpreted, .lwaot artifact
                          compiled); aot: compile a .wasm first (cached); interp: .wasm only
`;

const AOT_USAGE = `Usage: logwasm aot [options] -o OUT.lwaot IN.wasm

Compiles a WebAssembly module ahead of time to native code with LLVM (logwasm-aotc) and writes
a logwasm AOT artifact, which 'logwasm run', 'logwasm filter', Filter.load and runWasi take in
place of the .wasm. The artifact runs only on the architecture and on CPUs with every feature it
was compiled for; the loader checks that and says what does not match.

Options:
  --target x86_64|aarch64   target architecture                 (default: this machine's)
  --cpu NAME                CPU, e.g. skylake, cortex-a57, generic
                            (default: this machine's CPU; x86-64-v2 / generic when cross-compiling)
  --cpu-features +a,-b      add or remove CPU features (LLVM names)
  -O0 .. -O3                optimisation level                  (default -O3)
  -o OUT.lwaot              the artifact to write               (required)

The compiler is build/runtime/logwasm-aotc of this package, a logwasm-aotc on PATH, or
$LOGWASM_AOTC; it is built by 'npm run build:runtime' when LLVM 19 is installed
(apt-get install llvm-19-dev). Exit status: the compiler's (0 on success), 2 for usage errors.
`;

const PIPELINE_USAGE = `Usage: logwasm pipeline -c FILE

Runs a Fluent Bit configuration (classic .conf or .yaml) with logwasm's plugins: inputs
exec_wasi, stdin, dummy; filter wasm; outputs stdout, null. Stops when every input has finished
(oneshot exec_wasi, dummy with samples, stdin at end of file) or on SIGINT/SIGTERM.
`;

const DEMO_USAGE = `Usage: logwasm demo

Runs the bundled C example filter (c_filter.wasm, JSON mode) on a few generated records and
prints what it returns.
`;

class UsageError extends Error {}

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** --name value, --name=value; names in `flags` take no value. Stops at the first
 *  positional argument when `stopAtPositional` (for `run MODULE args...`). */
function parseArgs(
  argv: string[],
  known: string[],
  flags: string[] = [],
  stopAtPositional = false,
): { options: Map<string, string[]>; positional: string[] } {
  const options = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      if (stopAtPositional) {
        positional.push(...argv.slice(i));
        break;
      }
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = (eq >= 0 ? arg.slice(0, eq) : arg).replace(/^-+/, '');
    if (name === 'h' || name === 'help' || flags.includes(name)) {
      if (eq >= 0) throw new UsageError(`option '--${name}' takes no value`);
      options.set(name === 'h' ? 'help' : name, ['']);
      continue;
    }
    if (!known.includes(name)) throw new UsageError(`unknown option '${arg}'`);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new UsageError(`option '${arg}' needs a value`);
      value = argv[++i];
    }
    options.set(name, [...(options.get(name) ?? []), value]);
  }
  return { options, positional };
}

function one(options: Map<string, string[]>, name: string): string | undefined {
  const values = options.get(name);
  if (values && values.length > 1) throw new UsageError(`option --${name} given more than once`);
  return values?.[0];
}

function integer(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be a whole number, got '${text}'`);
  return Number(text);
}

/** `[time, body]` per event: time with nine decimals, the body as the filter's own JSON text
 *  (converted natively from the chunk's msgpack, so numbers print exactly). */
function eventLines(chunk: Uint8Array, prefix = ''): string {
  let text = '';
  for (const event of chunkToJsonEvents(chunk)) text += `${prefix}[${event.time.toString()},${event.body}]\n`;
  return text;
}

function writeEvents(io: Io, chunk: Uint8Array): void {
  const text = eventLines(chunk);
  if (text) io.stdout.write(text);
}

function tierOption(options: Map<string, string[]>): Tier {
  const tier = one(options, 'tier') ?? 'auto';
  if (tier !== 'auto' && tier !== 'interp' && tier !== 'aot') throw new UsageError(`--tier must be auto, interp or aot, got '${tier}'`);
  return tier;
}

function errorText(error: unknown): string {
  const err = error as Error & { code?: string };
  return err?.message ?? String(error);
}

async function filterCommand(argv: string[], io: Io, stdin: NodeJS.ReadableStream): Promise<number> {
  const { options, positional } = parseArgs(argv, [
    'wasm', 'function', 'event-format', 'tag', 'accessible-paths', 'heap-size', 'stack-size', 'timeout', 'max-memory', 'on-error', 'tier',
  ], ['metrics']);
  if (options.has('help')) {
    io.stdout.write(FILTER_USAGE);
    return 0;
  }
  if (positional.length) throw new UsageError(`unexpected argument '${positional[0]}'`);
  const wasmPath = one(options, 'wasm');
  const functionName = one(options, 'function');
  if (!wasmPath) throw new UsageError('--wasm PATH is required');
  if (!functionName) throw new UsageError('--function NAME is required');
  const eventFormat = one(options, 'event-format') ?? 'json';
  if (eventFormat !== 'json' && eventFormat !== 'msgpack') throw new UsageError(`--event-format must be json or msgpack, got '${eventFormat}'`);
  const onError = one(options, 'on-error') ?? 'drop';
  if (onError !== 'drop' && onError !== 'keep') throw new UsageError(`--on-error must be drop or keep, got '${onError}'`);
  const tag = one(options, 'tag') ?? 'stdin';
  const filterOptions: FilterOptions = {
    wasmPath,
    tier: tierOption(options),
    functionName,
    eventFormat,
    onError,
    accessiblePaths: options.has('accessible-paths') ? parseList(one(options, 'accessible-paths')!) : ['.'],
    heapSize: one(options, 'heap-size'),
    stackSize: one(options, 'stack-size'),
    maxMemory: one(options, 'max-memory'),
    timeoutMs: integer(one(options, 'timeout'), 'timeout'),
    guestStdout: 'stderr', // the record stream on stdout stays clean
    onLog: (message) => io.stderr.write(`logwasm: ${message}\n`),
  };
  let filter: Filter;
  try {
    filter = await Filter.load(filterOptions);
  } catch (error) {
    io.stderr.write(`logwasm: cannot load the filter: ${errorText(error)}\n`);
    return 1;
  }
  // Lines that arrive together go through the plugin as one chunk: one native call per batch
  // when input is piped, and prompt output when it is typed.
  const lines = createInterface({ input: stdin, crlfDelay: Infinity });
  let lineNumber = 0;
  let batch: Uint8Array[] = []; // chunk entries, straight from the native NDJSON reader
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (batch.length === 0) return;
    const events = batch;
    batch = [];
    try {
      writeEvents(io, filter.filterChunk(tag, Buffer.concat(events)));
    } catch (error) {
      io.stderr.write(`logwasm: ${errorText(error)}\n`);
    }
  };
  try {
    for await (const line of lines) {
      lineNumber++;
      if (line.trim() === '') continue;
      try {
        batch.push(chunkEntryFromJsonLine(line));
      } catch (error) {
        io.stderr.write(`logwasm: stdin line ${lineNumber}: ${errorText(error)}\n`);
      }
      if (batch.length >= 1024) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    }
    flush();
    if (options.has('metrics')) io.stderr.write(`logwasm: metrics ${JSON.stringify(filter.metrics())}\n`);
  } finally {
    filter.close();
  }
  return 0;
}

async function runModuleCommand(argv: string[], io: Io): Promise<number> {
  const { options, positional } = parseArgs(argv, ['env', 'map-dir', 'dir', 'timeout', 'timeout-ms', 'tier'], [], true);
  if (options.has('help')) {
    io.stdout.write(RUN_USAGE);
    return 0;
  }
  // logwasm-run's spelling, so the two commands take the same options
  if (options.has('timeout-ms')) options.set('timeout', [...(options.get('timeout') ?? []), ...options.get('timeout-ms')!]);
  const [modulePath, ...args] = positional;
  if (!modulePath) throw new UsageError('MODULE is required');
  const env = options.get('env') ?? [];
  for (const entry of env) if (!entry.includes('=')) throw new UsageError(`--env needs KEY=VALUE, got '${entry}'`);
  const preopens: [string, string][] = [];
  for (const mapping of options.get('map-dir') ?? []) {
    const sep = mapping.indexOf('::');
    if (sep <= 0 || sep + 2 === mapping.length) throw new UsageError(`--map-dir needs GUEST::HOST, got '${mapping}'`);
    preopens.push([mapping.slice(0, sep), mapping.slice(sep + 2)]);
  }
  for (const dir of options.get('dir') ?? []) {
    if (!dir) throw new UsageError('--dir needs a path');
    preopens.push([dir, dir]);
  }
  const tier = tierOption(options);
  const timeoutMs = integer(one(options, 'timeout'), 'timeout');
  try {
    return await runCommand(modulePath, { args, env, preopens, timeoutMs, tier });
  } catch (error) {
    // Like logwasm-run: a trap ends the process as an abort would (134), a timeout as
    // timeout(1) does (124); anything before the program ran is 1.
    const code = (error as { code?: string })?.code;
    if (code === 'LOGWASM_ERR_TIMEOUT' && timeoutMs) {
      io.stderr.write(`logwasm: timed out after ${timeoutMs} ms (--timeout)\n`);
      return 124;
    }
    if (code === 'LOGWASM_ERR_TRAP' || code === 'LOGWASM_ERR_TIMEOUT') {
      io.stderr.write(`logwasm: trap: ${errorText(error)}\n`);
      return 134;
    }
    io.stderr.write(`logwasm: ${errorText(error)}\n`);
    return 1;
  }
}

/** `logwasm aot`: the flb-wamrc counterpart. Runs logwasm-aotc with the checked options and
 *  passes its output and exit status through. */
async function aotCommand(argv: string[], io: Io): Promise<number> {
  const options: AotCompileOptions = {};
  let output: string | undefined;
  const inputs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      io.stdout.write(AOT_USAGE);
      return 0;
    }
    const level = /^-O([0-3])$/.exec(arg);
    if (level) {
      options.optLevel = Number(level[1]) as AotCompileOptions['optLevel'];
      continue;
    }
    if (/^-O/.test(arg)) throw new UsageError(`optimisation level must be -O0, -O1, -O2 or -O3, got '${arg}'`);
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    if (['--target', '--cpu', '--cpu-features', '-o', '--output'].includes(name)) {
      let value: string;
      if (eq >= 0) value = arg.slice(eq + 1);
      else {
        if (i + 1 >= argv.length) throw new UsageError(`option '${arg}' needs a value`);
        value = argv[++i];
      }
      if (value === '') throw new UsageError(`option '${name}' needs a value`);
      if (name === '--target') {
        if (value !== 'x86_64' && value !== 'aarch64') throw new UsageError(`--target must be x86_64 or aarch64, got '${value}'`);
        options.target = value;
      } else if (name === '--cpu') options.cpu = value;
      else if (name === '--cpu-features') options.cpuFeatures = value;
      else {
        if (output !== undefined) throw new UsageError('-o given more than once');
        output = value;
      }
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option '${arg}'`);
    inputs.push(arg);
  }
  if (inputs.length === 0) throw new UsageError('IN.wasm is required');
  if (inputs.length > 1) throw new UsageError(`one input module only, got ${inputs.length}: ${inputs.join(' ')}`);
  if (!output) throw new UsageError('-o OUT.lwaot is required');
  const compiler = findAotCompiler();
  if (!compiler) {
    io.stderr.write(`logwasm: ${missingCompilerMessage()}
`);
    return 1;
  }
  const result = await runAotCompiler(compiler, aotCompilerArgs(inputs[0], output, options));
  if (result.stdout) io.stdout.write(result.stdout);
  if (result.stderr) io.stderr.write(result.stderr);
  return result.code;
}

async function pipelineCommand(argv: string[], io: Io): Promise<number> {
  const { options, positional } = parseArgs(argv, ['c', 'config']);
  if (options.has('help')) {
    io.stdout.write(PIPELINE_USAGE);
    return 0;
  }
  const file = one(options, 'c') ?? one(options, 'config') ?? positional[0];
  if (!file) throw new UsageError('-c FILE is required');
  let pipeline: Pipeline;
  try {
    pipeline = new Pipeline(loadConfig(file), {
      stdout: io.stdout,
      log: (level, message) => io.stderr.write(`[${level}] ${message}\n`),
    });
    await pipeline.start();
  } catch (error) {
    io.stderr.write(`logwasm: ${errorText(error)}\n`);
    return 1;
  }
  const stop = () => pipeline.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await pipeline.run();
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return 0;
}

/** The bundled example plugin: test/fixtures/c_filter.wasm (shipped in the package). */
export function demoWasmPath(): string {
  return path.join(packageRoot, 'test', 'fixtures', 'c_filter.wasm');
}

async function demoCommand(argv: string[], io: Io): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(DEMO_USAGE);
    return 0;
  }
  if (argv.length) throw new UsageError(`unexpected argument '${argv[0]}'`);
  const wasmPath = demoWasmPath();
  if (!existsSync(wasmPath)) {
    io.stderr.write(`logwasm: the demo plugin is missing (${wasmPath}); reinstall logwasm\n`);
    return 1;
  }
  let filter: Filter;
  try {
    filter = await Filter.load({ wasmPath, functionName: 'c_filter', heapSize: '64K', guestStdout: 'stderr' });
  } catch (error) {
    io.stderr.write(`logwasm: cannot load the demo plugin: ${errorText(error)}\n`);
    return 1;
  }
  const start = EventTime.now();
  const events: LogEvent[] = ['service started', 'user logged in', 'disk 91% full'].map((message, i) => ({
    time: new EventTime(start.seconds + i, start.nanoseconds),
    metadata: {},
    body: { message, level: i === 2 ? 'warn' : 'info', seq: i + 1 },
  }));
  io.stdout.write(`plugin: ${wasmPath} (function c_filter, event_format json)\n`);
  const chunk = encodeChunk(events);
  io.stdout.write(eventLines(chunk, 'in:  '));
  try {
    io.stdout.write(eventLines(filter.filterChunk('demo', chunk), 'out: '));
    const metrics = filter.metrics();
    io.stdout.write(`metrics: ${metrics.recordsIn} in, ${metrics.recordsOut} out, ${metrics.errors} errors, ${(metrics.timeNs / 1000).toFixed(0)} us in the plugin\n`);
  } finally {
    filter.close();
  }
  return 0;
}

async function versionText(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  return `logwasm ${pkg.version}\n`;
}

/** Run the CLI; resolves to the exit status. */
// process.stdin/stdout/stderr are only created when first used: creating one makes its
// descriptor non-blocking (libuv), and `logwasm run` hands fds 0-2 to the guest as inherited
// (a non-blocking stdout turns a guest's large fd_write to a slow pipe into a short write).
const processIo: Io = {
  get stdout() { return process.stdout; },
  get stderr() { return process.stderr; },
};

export async function main(argv: string[], io: Io = processIo, stdin?: NodeJS.ReadableStream): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'filter':
        return await filterCommand(rest, io, stdin ?? process.stdin);
      case 'run':
        return await runModuleCommand(rest, io);
      case 'aot':
        return await aotCommand(rest, io);
      case 'pipeline':
        return await pipelineCommand(rest, io);
      case '-c':
      case '--config':
        return await pipelineCommand(argv, io);
      case 'demo':
        return await demoCommand(rest, io);
      case '--version':
      case '-V':
        io.stdout.write(await versionText());
        return 0;
      case 'help':
      case '--help':
      case '-h': {
        const topic = rest[0];
        const text = { filter: FILTER_USAGE, run: RUN_USAGE, aot: AOT_USAGE, pipeline: PIPELINE_USAGE, demo: DEMO_USAGE }[topic as string];
        io.stdout.write(text ?? USAGE);
        return 0;
      }
      case undefined:
        io.stderr.write(USAGE);
        return 2;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`logwasm: ${error.message}\nRun 'logwasm help${command && command !== 'help' ? ' ' + command : ''}' for usage.\n`);
      return 2;
    }
    throw error;
  }
}
