// Command-line argument parsing shared by the commands, and the I/O they write to.
import { Tier } from '../aot.js';

/** A usage mistake: the CLI prints it with a pointer to the command's help and exits 2. */
export class UsageError extends Error {}

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** --name value, --name=value; names in `flags` take no value. Stops at the first
 *  positional argument when `stopAtPositional` (for `run MODULE args...`). */
export function parseArgs(
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

export function one(options: Map<string, string[]>, name: string): string | undefined {
  const values = options.get(name);
  if (values && values.length > 1) throw new UsageError(`option --${name} given more than once`);
  return values?.[0];
}

export function integer(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be a whole number, got '${text}'`);
  return Number(text);
}

export function tierOption(options: Map<string, string[]>): Tier {
  const tier = one(options, 'tier') ?? 'auto';
  if (tier !== 'auto' && tier !== 'interp' && tier !== 'aot') throw new UsageError(`--tier must be auto, interp or aot, got '${tier}'`);
  return tier;
}

export function errorText(error: unknown): string {
  const err = error as Error & { code?: string };
  return err?.message ?? String(error);
}

