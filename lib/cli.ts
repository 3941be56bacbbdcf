// The `logwasm` command line: one file per command in lib/cli/; this file dispatches.
import path from 'node:path';
import { packageRoot } from './native.js';
import { Io, UsageError } from './cli/args.js';
import { FILTER_USAGE, filterCommand } from './cli/filter.js';
import { RUN_USAGE, runModuleCommand } from './cli/run.js';
import { AOT_USAGE, aotCommand } from './cli/aot.js';
import { PIPELINE_USAGE, pipelineCommand } from './cli/pipeline.js';
import { CONFIG_USAGE, configCommand } from './cli/config.js';
import { DEMO_USAGE, demoCommand, demoWasmPath } from './cli/demo.js';

export { demoWasmPath };

const USAGE = `logwasm: run Fluent Bit WebAssembly plugins

Usage:
  logwasm filter --wasm PATH --function NAME [options]   filter NDJSON events from stdin
  logwasm run [--env=K=V] [--map-dir=GUEST::HOST] [--dir=PATH] MODULE [args...]
                                                         run a WASI command
  logwasm aot [--target ARCH] [--cpu NAME] [-O0..3] -o OUT.lwaot IN.wasm
                                                         compile a module ahead of time
  logwasm pipeline -c fluent-bit.conf|fluent-bit.yaml    run a Fluent Bit configuration
  logwasm config FILE                                    print what a configuration reads into
  logwasm demo                                           run a bundled filter on sample records
  logwasm help [COMMAND] | --help | --version
`;

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

/** Each command: its help text and what runs it (argv after the command's name). */
const COMMANDS: Record<string, { usage: string; run: (argv: string[], io: Io, stdin?: NodeJS.ReadableStream) => Promise<number> }> = {
  filter: { usage: FILTER_USAGE, run: (argv, io, stdin) => filterCommand(argv, io, stdin ?? process.stdin) },
  run: { usage: RUN_USAGE, run: runModuleCommand },
  aot: { usage: AOT_USAGE, run: aotCommand },
  pipeline: { usage: PIPELINE_USAGE, run: pipelineCommand },
  config: { usage: CONFIG_USAGE, run: configCommand },
  demo: { usage: DEMO_USAGE, run: demoCommand },
};

export async function main(argv: string[], io: Io = processIo, stdin?: NodeJS.ReadableStream): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command !== undefined && Object.hasOwn(COMMANDS, command)) return await COMMANDS[command].run(rest, io, stdin);
    switch (command) {
      case '-c':
      case '--config': // fluent-bit's own spelling: logwasm -c FILE
        return await pipelineCommand(argv, io);
      case '--version':
      case '-V':
        io.stdout.write(await versionText());
        return 0;
      case 'help':
      case '--help':
      case '-h': {
        const topic = rest[0];
        io.stdout.write(topic !== undefined && Object.hasOwn(COMMANDS, topic) ? COMMANDS[topic].usage : USAGE);
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
