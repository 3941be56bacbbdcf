// Property keys as Fluent Bit stores them: case-insensitive, so lower case here; in YAML a
// camelCase key (starts lower case, no underscore) becomes snake_case first, `intervalSec` ->
// `interval_sec`, `aBCD` -> `a_b_c_d` (the classic format only lower-cases: `intervalSec` there
// is `intervalsec`, as in Fluent Bit).

export function classicKey(key: string): string {
  return key.toLowerCase();
}

export function yamlKey(key: string): string {
  if (!/^[a-z]/.test(key) || key.includes('_')) return key.toLowerCase();
  return key.replace(/(?!^)[A-Z]/g, (upper) => `_${upper}`).toLowerCase();
}
