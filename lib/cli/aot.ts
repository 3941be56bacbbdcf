// `logwasm aot`: compile a module ahead of time (the flb-wamrc counterpart).
import { AotCompileOptions, aotCompilerArgs, findAotCompiler, missingCompilerMessage, runAotCompiler } from '../aot.js';
import { Io, UsageError } from './args.js';

export const AOT_USAGE = `Usage: logwasm aot [options] -o OUT.lwaot IN.wasm

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

/** `logwasm aot`: the flb-wamrc counterpart. Runs logwasm-aotc with the checked options and
 *  passes its output and exit status through. */
export async function aotCommand(argv: string[], io: Io): Promise<number> {
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

