// How much a configuration may make logwasm read: files (main, includes, parsers and plugins
// files), bytes, and the text ${VAR} expansion produces. An include diamond, `-c /dev/zero` or a
// variable referenced a million times fails fast with file:line instead of eating memory.
import { ConfigError } from './errors.js';

export interface ConfigLimits {
  /** Files read in all (the main file counts). Fluent Bit's own limit is 1000. */
  maxFiles: number;
  /** Bytes read from all files together; also the largest single file. */
  maxBytes: number;
  /** Characters all values may have in total once ${VAR} references are expanded. */
  maxExpandedBytes: number;
}

export const DEFAULT_CONFIG_LIMITS: Readonly<ConfigLimits> = {
  maxFiles: 1000,
  maxBytes: 16 * 1024 * 1024,
  maxExpandedBytes: 64 * 1024 * 1024,
};

/** The environment variable that overrides each limit. */
export const CONFIG_LIMIT_ENV: Readonly<Record<keyof ConfigLimits, string>> = {
  maxFiles: 'LOGWASM_CONFIG_MAX_FILES',
  maxBytes: 'LOGWASM_CONFIG_MAX_BYTES',
  maxExpandedBytes: 'LOGWASM_CONFIG_MAX_EXPANDED_BYTES',
};

function checkLimit(name: string, value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ConfigError(`${name} must be a positive integer, got ${JSON.stringify(value)}`, where, 0, name);
  }
  return value;
}

/** Defaults, then the environment, then `overrides` (readConfig's options). */
export function resolveLimits(overrides: Partial<ConfigLimits> = {}, env: NodeJS.ProcessEnv = process.env): ConfigLimits {
  const limits = { ...DEFAULT_CONFIG_LIMITS };
  for (const key of Object.keys(CONFIG_LIMIT_ENV) as (keyof ConfigLimits)[]) {
    const variable = CONFIG_LIMIT_ENV[key];
    const text = env[variable];
    if (text !== undefined && text !== '') {
      const value = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
      limits[key] = checkLimit(variable, Number.isNaN(value) ? text : value, `environment variable ${variable}`);
    }
    if (overrides[key] !== undefined) limits[key] = checkLimit(key, overrides[key], 'readConfig options');
  }
  return limits;
}

/** What has been spent so far while reading one configuration. */
export class ReadBudget {
  files = 0;
  bytes = 0;
  expanded = 0;
  constructor(readonly limits: ConfigLimits) {}

  /** Bytes that may still be read. */
  get bytesLeft(): number {
    return this.limits.maxBytes - this.bytes;
  }
}
