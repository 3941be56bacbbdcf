// `logwasm run`: a WASI command, like iwasm.
import { runCommand } from '../wasi.js';
import { Io, UsageError, errorText, integer, one, parseArgs, tierOption } from './args.js';

export const RUN_USAGE = `Usage: logwasm run [options] MODULE [args...]

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

export async function runModuleCommand(argv: string[], io: Io): Promise<number> {
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

