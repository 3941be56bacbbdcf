// `logwasm pipeline -c FILE`: run a Fluent Bit configuration.
import { loadConfig } from '../config/index.js';
import { Pipeline } from '../pipeline.js';
import { Io, UsageError, errorText, one, parseArgs } from './args.js';

export const PIPELINE_USAGE = `Usage: logwasm pipeline -c FILE

Runs a Fluent Bit configuration (classic .conf or .yaml) with logwasm's plugins: inputs
exec_wasi, stdin, dummy; filter wasm; outputs stdout, null. Stops when every input has finished
(oneshot exec_wasi, dummy with samples, stdin at end of file) or on SIGINT/SIGTERM.
`;

export async function pipelineCommand(argv: string[], io: Io): Promise<number> {
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

