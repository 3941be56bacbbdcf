// `logwasm demo`: the bundled C example filter on a few generated records.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { EventTime } from '../records/event-time.js';
import { LogEvent, encodeChunk } from '../records/chunk.js';
import { Filter } from '../filter.js';
import { packageRoot } from '../native.js';
import { Io, UsageError, errorText } from './args.js';
import { eventLines } from './events.js';

export const DEMO_USAGE = `Usage: logwasm demo

Runs the bundled C example filter (c_filter.wasm, JSON mode) on a few generated records and
prints what it returns.
`;

/** The bundled example plugin: test/fixtures/c_filter.wasm (shipped in the package). */
export function demoWasmPath(): string {
  return path.join(packageRoot, 'test', 'fixtures', 'c_filter.wasm');
}

export async function demoCommand(argv: string[], io: Io): Promise<number> {
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

