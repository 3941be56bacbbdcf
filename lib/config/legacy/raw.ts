// The shape both config formats parse into before validation: sections of key/value entries,
// each remembering its file and line so that every error can point at it.

export type SectionType = 'service' | 'input' | 'filter' | 'output' | 'parser';

export interface RawEntry {
  /** Lower-cased: Fluent Bit keys are case-insensitive. */
  key: string;
  value: string;
  file: string;
  line: number;
}

export interface RawSection {
  type: SectionType;
  file: string;
  line: number;
  entries: RawEntry[];
}

/** ${VAR}: @SET / env: variables first, then the process environment; unknown is empty, as in
 *  Fluent Bit. */
export function expandVariables(text: string, variables: Map<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => variables.get(name) ?? process.env[name] ?? '');
}
