/** A configuration problem, located: "fluent-bit.conf:12: unknown key 'foo' in [FILTER] wasm". */
export class ConfigError extends Error {
  readonly code = 'LOGWASM_ERR_CONFIG';
  constructor(
    readonly detail: string,
    readonly file: string,
    readonly line: number,
    readonly key?: string,
  ) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'ConfigError';
  }
}
