// `logwasm config FILE`: print what a Fluent Bit configuration reads into, as JSON, without
// loading any plugin.
import { ConfigError } from '../config/errors.js';
import { CONFIG_LIMIT_ENV, DEFAULT_CONFIG_LIMITS } from '../config/limits.js';
import { readConfig } from '../config/read.js';
import { Io, UsageError, parseArgs } from './args.js';

export const CONFIG_USAGE = `Usage: logwasm config FILE

Reads a Fluent Bit configuration (classic .conf or .yaml: anything not ending in .yaml/.yml is
classic), its includes and the parsers and plugins files its service names, and prints the
structure as JSON: env, service (every [SERVICE] merged), parsers, multilineParsers, inputs,
filters, outputs, customs (each property with its file and line, in order), plugins, upstreams,
other sections, and warnings. No plugin is loaded and no property is checked against a plugin:
'logwasm pipeline --dry-run' does that. A problem prints FILE:LINE: what and exits 1.

Limits (environment variables):
  ${CONFIG_LIMIT_ENV.maxFiles}=${DEFAULT_CONFIG_LIMITS.maxFiles}        files read in all (main, includes, parsers files)
  ${CONFIG_LIMIT_ENV.maxBytes}=${DEFAULT_CONFIG_LIMITS.maxBytes}    bytes read in all
  ${CONFIG_LIMIT_ENV.maxExpandedBytes}=${DEFAULT_CONFIG_LIMITS.maxExpandedBytes}  characters of all values after \${VAR} expansion
`;

export async function configCommand(argv: string[], io: Io): Promise<number> {
  const { options, positional } = parseArgs(argv, []);
  if (options.has('help')) {
    io.stdout.write(CONFIG_USAGE);
    return 0;
  }
  if (positional.length === 0) throw new UsageError('FILE is required');
  if (positional.length > 1) throw new UsageError(`one FILE only, got ${positional.length}`);
  try {
    const config = readConfig(positional[0]);
    io.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`logwasm: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
