// `logwasm filter`: NDJSON events from stdin through one plugin, to stdout.
import { createInterface } from 'node:readline';
import { chunkEntryFromJsonLine } from '../records/native-json.js';
import { Filter, FilterOptions } from '../filter.js';
import { parseList } from '../config/units.js';
import { Io, UsageError, errorText, integer, one, parseArgs, tierOption } from './args.js';
import { writeEvents } from './events.js';

export const FILTER_USAGE = `Usage: logwasm filter --wasm PATH --function NAME [options]

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

export async function filterCommand(argv: string[], io: Io, stdin: NodeJS.ReadableStream): Promise<number> {
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

