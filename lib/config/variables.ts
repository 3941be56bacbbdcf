// ${NAME} in values, as Fluent Bit expands them: once every @SET / `env:` of every file is known
// (so a variable set further down still applies), looked up in those first, then in the process
// environment (an empty variable counts as unset), with HOSTNAME defaulting to the host's name.
// One pass: a variable's own value is inserted as it is, `${...}` in it stays literal. A name
// that is set nowhere expands to nothing, with a warning.
import os from 'node:os';
import { ConfigError } from './errors.js';
import { CONFIG_LIMIT_ENV, ReadBudget } from './limits.js';
import type { ConfigLocation } from './types.js';

const REFERENCE = /\$\{([^}]+)\}/g;

export interface ConfigWarningSink {
  warn(location: ConfigLocation, message: string): void;
}

export class Variables {
  private readonly unsetReported = new Set<string>();
  private readonly nestedReported = new Set<string>();

  constructor(
    private readonly defined: ReadonlyMap<string, string>,
    private readonly budget: ReadBudget,
    private readonly sink: ConfigWarningSink,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  lookup(name: string): string | undefined {
    const own = this.defined.get(name);
    if (own !== undefined) return own;
    const fromEnv = this.env[name];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    if (name === 'HOSTNAME') return os.hostname();
    return undefined;
  }

  /** `text` with its references replaced; counts the result against the expansion budget. */
  expand(text: string, where: ConfigLocation, key: string): string {
    let length = text.length;
    const pieces: { start: number; end: number; value: string }[] = [];
    for (const match of text.matchAll(REFERENCE)) {
      const name = match[1];
      const value = this.lookup(name);
      if (value === undefined) this.reportUnset(name, where);
      else if (value.includes('${')) this.reportNested(name, where);
      pieces.push({ start: match.index!, end: match.index! + match[0].length, value: value ?? '' });
      length += (value ?? '').length - match[0].length;
      // checked before the text is built, so that a value with a million references to a
      // large variable fails here instead of exhausting memory
      if (this.budget.expanded + length > this.budget.limits.maxExpandedBytes) {
        throw new ConfigError(
          `expanding \${${name}} in '${key}' makes the configuration's values longer than ${this.budget.limits.maxExpandedBytes} characters in all`,
          where.file, where.line, key,
          `look for a variable that holds a large value and is referenced many times, or raise ${CONFIG_LIMIT_ENV.maxExpandedBytes}`);
      }
    }
    this.budget.expanded += length;
    if (this.budget.expanded > this.budget.limits.maxExpandedBytes) {
      throw new ConfigError(`the configuration's values are longer than ${this.budget.limits.maxExpandedBytes} characters in all`,
        where.file, where.line, key, `raise ${CONFIG_LIMIT_ENV.maxExpandedBytes}`);
    }
    if (pieces.length === 0) return text;
    let out = '';
    let at = 0;
    for (const piece of pieces) {
      out += text.slice(at, piece.start) + piece.value;
      at = piece.end;
    }
    return out + text.slice(at);
  }

  private reportUnset(name: string, where: ConfigLocation): void {
    if (this.unsetReported.has(name)) return;
    this.unsetReported.add(name);
    this.sink.warn(where, `variable \${${name}} is used but not set (not by @SET, env: or the environment); it expands to nothing`);
  }

  private reportNested(name: string, where: ConfigLocation): void {
    if (this.nestedReported.has(name)) return;
    this.nestedReported.add(name);
    this.sink.warn(where, `the value of \${${name}} holds '\${', which is inserted as it is: Fluent Bit expands variables once, not inside other variables`);
  }
}
