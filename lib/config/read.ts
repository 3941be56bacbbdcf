// readConfig: a Fluent Bit configuration file (classic or YAML), its includes and the parsers and
// plugins files its service names, read into the structure Fluent Bit builds (lib/config/types.ts),
// without loading any plugin. Every problem is a ConfigError at file:line.
import { ConfigBuilder } from './builder.js';
import { readClassicText } from './classic.js';
import { ConfigError } from './errors.js';
import { FileOrigin, readConfigText, resolveInclude } from './files.js';
import { ConfigLimits, ReadBudget, resolveLimits } from './limits.js';
import { FileRole, ReaderContext } from './reader.js';
import { Variables } from './variables.js';
import { readYamlText } from './yaml.js';
import type { FluentBitConfig } from './types.js';

export interface ReadConfigOptions extends Partial<ConfigLimits> {
  /** Where ${VAR} looks after @SET / env: (default process.env; also where the
   *  LOGWASM_CONFIG_MAX_* limits are read from). */
  env?: NodeJS.ProcessEnv;
}

/** Includes nest at most this deep (a chain of files each including the next). */
export const MAX_INCLUDE_DEPTH = 64;

export function configFormatOf(file: string): 'classic' | 'yaml' {
  return /\.ya?ml$/i.test(file) ? 'yaml' : 'classic';
}

export function readConfig(file: string, options: ReadConfigOptions = {}): FluentBitConfig {
  if (typeof file !== 'string' || file === '') throw new ConfigError('no configuration file given', String(file), 0, undefined, 'name a .conf or .yaml file');
  const { env = process.env, ...limitOptions } = options;
  const budget = new ReadBudget(resolveLimits(limitOptions, env));
  const format = configFormatOf(file);
  const builder = new ConfigBuilder(file, format, budget);

  const readFile = (target: string, fileFormat: 'classic' | 'yaml', role: FileRole, origin: FileOrigin | undefined, depth: number) => {
    if (depth > MAX_INCLUDE_DEPTH) {
      throw new ConfigError(`includes nest more than ${MAX_INCLUDE_DEPTH} files deep`, origin!.file, origin!.line, origin!.key,
        'check for a chain of files that include each other');
    }
    const from = origin ? `${origin.file}:${origin.line}` : 'the command line';
    const { text } = readConfigText(target, budget, origin, (identity) => {
      const first = builder.seen.get(identity);
      if (first !== undefined) {
        const detail = `'${target}' is already read (first from ${first}); Fluent Bit reads each file once`;
        if (origin) throw new ConfigError(detail, origin.file, origin.line, origin.key, 'remove the second include of it');
        throw new ConfigError(detail, target, 0);
      }
      builder.seen.set(identity, from);
    });
    builder.files.push(target);
    const context: ReaderContext = {
      builder,
      role,
      include: (name, includeOrigin) => {
        for (const included of resolveInclude(name, target, file, includeOrigin)) readFile(included, fileFormat, role, includeOrigin, depth + 1);
      },
    };
    if (fileFormat === 'yaml') readYamlText(context, target, text);
    else readClassicText(context, target, text);
  };

  readFile(file, format, 'main', undefined, 0);

  // The service's parsers_file / plugins_file entries, once the whole service is known (a later
  // [SERVICE] may add some); each is found next to the file naming it, else next to the main file.
  const early = new Variables(builder.variables, budget, { warn() {} }, env);
  for (const property of builder.service?.properties ?? []) {
    const role: FileRole | null = property.key === 'parsers_file' ? 'parsers' : property.key === 'plugins_file' ? 'plugins' : null;
    if (!role || typeof property.value !== 'string') continue;
    const name = early.expand(property.value, property, property.key);
    const origin = { file: property.file, line: property.line, key: property.key };
    for (const target of resolveInclude(name, property.file, file, origin)) readFile(target, configFormatOf(target), role, origin, 1);
  }
  return builder.finish(env);
}

