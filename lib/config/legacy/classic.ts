// Fluent Bit's classic configuration format:
//
//   [SERVICE]                 sections: SERVICE, INPUT, FILTER, OUTPUT, PARSER
//       Flush   1             indented "key value" entries, keys case-insensitive
//   @SET  name=value          variables for ${name}
//   @INCLUDE other.conf       relative to the including file; '*' wildcards allowed
//   # comment
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { RawSection, SectionType, expandVariables } from './raw.js';

const SECTION_TYPES: Record<string, SectionType> = {
  service: 'service',
  input: 'input',
  filter: 'filter',
  output: 'output',
  parser: 'parser',
};

function readText(file: string, includedFrom?: { file: string; line: number }): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : (error as Error).message;
    if (includedFrom) throw new ConfigError(`cannot read included file '${file}': ${reason}`, includedFrom.file, includedFrom.line, '@INCLUDE');
    throw new ConfigError(`cannot read configuration file: ${reason}`, file, 0);
  }
}

function globFiles(pattern: string, from: { file: string; line: number }): string[] {
  const directory = path.dirname(pattern);
  const base = path.basename(pattern);
  if (!base.includes('*')) return [pattern];
  const regex = new RegExp('^' + base.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    throw new ConfigError(`@INCLUDE directory '${directory}' cannot be read`, from.file, from.line, '@INCLUDE');
  }
  return names
    .filter((name) => regex.test(name))
    .sort()
    .map((name) => path.join(directory, name))
    .filter((file) => statSync(file).isFile());
}

export interface ClassicParseState {
  variables: Map<string, string>;
  sections: RawSection[];
  including: string[];
}

/** Parse a classic-format file (and its includes) into raw sections. */
export function parseClassic(file: string, state?: ClassicParseState, includedFrom?: { file: string; line: number }): ClassicParseState {
  const st: ClassicParseState = state ?? { variables: new Map(), sections: [], including: [] };
  const resolved = path.resolve(file);
  if (st.including.includes(resolved)) {
    throw new ConfigError(`@INCLUDE cycle: '${file}' includes itself`, includedFrom?.file ?? file, includedFrom?.line ?? 0, '@INCLUDE');
  }
  st.including.push(resolved);
  const text = readText(file, includedFrom);
  const lines = text.split(/\r?\n/);
  let current: RawSection | null = null;
  lines.forEach((rawLine, index) => {
    const line = index + 1;
    const trimmed = rawLine.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const indented = /^\s/.test(rawLine);
    if (trimmed.startsWith('[')) {
      const match = /^\[\s*([A-Za-z_]+)\s*\]$/.exec(trimmed);
      if (!match) throw new ConfigError(`malformed section header '${trimmed}'`, file, line);
      const type = SECTION_TYPES[match[1].toLowerCase()];
      if (!type) {
        throw new ConfigError(
          `unsupported section [${match[1]}] (supported: SERVICE, INPUT, FILTER, OUTPUT, PARSER)`,
          file,
          line,
          match[1],
        );
      }
      current = { type, file, line, entries: [] };
      st.sections.push(current);
      return;
    }
    if (trimmed.startsWith('@')) {
      const match = /^@(\S+)\s*(.*)$/.exec(trimmed)!;
      const command = match[1].toUpperCase();
      const argument = match[2].trim();
      if (command === 'SET') {
        const set = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(argument);
        if (!set) throw new ConfigError(`@SET needs NAME=VALUE, got '${argument}'`, file, line, '@SET');
        st.variables.set(set[1], expandVariables(set[2].trim(), st.variables));
      } else if (command === 'INCLUDE') {
        if (!argument) throw new ConfigError('@INCLUDE needs a file name', file, line, '@INCLUDE');
        const target = path.resolve(path.dirname(file), expandVariables(argument, st.variables));
        for (const included of globFiles(target, { file, line })) {
          parseClassic(included, st, { file, line });
        }
        current = null; // an included file's sections end the current one
      } else {
        throw new ConfigError(`unsupported command @${match[1]} (supported: @SET, @INCLUDE)`, file, line, `@${match[1]}`);
      }
      return;
    }
    if (!current) throw new ConfigError(`'${trimmed}' is outside of any section`, file, line);
    if (!indented) throw new ConfigError(`invalid indentation: entries of [${current.type.toUpperCase()}] must be indented`, file, line);
    const entry = /^(\S+)\s*(.*)$/.exec(trimmed)!;
    const key = entry[1].toLowerCase();
    const value = expandVariables(entry[2].trim(), st.variables);
    if (entry[2].trim() === '') throw new ConfigError(`key '${entry[1]}' has no value`, file, line, entry[1]);
    current.entries.push({ key, value, file, line });
  });
  st.including.pop();
  return st;
}
