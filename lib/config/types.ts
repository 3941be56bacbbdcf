// What a Fluent Bit configuration file (classic or YAML) reads into: its structure only, as
// Fluent Bit's own config-format layer builds it, before any plugin is looked up. The pipeline
// turns sections into plugin instances and checks their properties against each plugin's
// property list (lib/pipeline/plugin.ts); `logwasm config FILE` prints this structure as JSON.

export interface ConfigLocation {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
}

/** One key of a section, in file order. Keys are lower case with camelCase turned into
 *  snake_case (`intervalSec` -> `interval_sec`), as Fluent Bit does; `${VAR}` already expanded. */
export interface ConfigProperty extends ConfigLocation {
  readonly key: string;
  /** A string, or an array of strings where YAML gives a list (Fluent Bit keeps those as arrays). */
  readonly value: string | readonly string[];
}

export interface ConfigSection {
  /** The section's own header (or YAML mapping) location. */
  readonly location: ConfigLocation;
  /** Every key in order, duplicates kept (plugins with repeatable keys such as `header` read
   *  them all; for the others the engine reports the duplicate). */
  readonly properties: readonly ConfigProperty[];
  /** Nested groups by lower-case name, each in file order:
   *  - `rules`: a multiline parser's rules (classic `rule "state" "/regex/" "next"` lines and YAML
   *    `rules:` entries alike), each with the properties `state`, `regex`, `next_state`;
   *  - `nodes`: an upstream's nodes (classic [NODE] sections after an [UPSTREAM], YAML `nodes:`);
   *  - `processors`: a YAML plugin's processors, one group whose own groups `logs`, `metrics`,
   *    `traces` list the processors in order (a processor's nested maps are groups again);
   *  - any other YAML map value of a plugin (as Fluent Bit, a group named after its key), and
   *    classic `[GROUP name]` blocks inside a section (by their lower-case name). */
  readonly groups?: Readonly<Record<string, readonly ConfigSection[]>>;
}

/** Something Fluent Bit would accept but that probably is not what was meant (a variable that
 *  is set nowhere, a section without keys, a section a parsers file ignores). */
export interface ConfigWarning extends ConfigLocation {
  readonly message: string;
}

export interface FluentBitConfig {
  /** The file given, as given. */
  readonly file: string;
  /** The main file's format (by its extension: .yaml/.yml is YAML, anything else classic); an
   *  included file is read in its includer's format, a parsers file by its own extension. */
  readonly format: 'classic' | 'yaml';
  /** Every file read, in order: the main file, includes, parsers and plugins files (hot reload
   *  watches these). */
  readonly files: readonly string[];
  /** Variables from @SET (classic) and `env:` (YAML), applied before sections are read. */
  readonly env: Readonly<Record<string, string>>;
  /** Every [SERVICE] / `service:` merged into one, later keys overriding earlier ones. */
  readonly service: ConfigSection;
  readonly parsers: readonly ConfigSection[];
  readonly multilineParsers: readonly ConfigSection[];
  readonly inputs: readonly ConfigSection[];
  readonly filters: readonly ConfigSection[];
  readonly outputs: readonly ConfigSection[];
  readonly customs: readonly ConfigSection[];
  /** Paths from [PLUGINS] / `plugins:` (shared-object plugins; logwasm can only report them). */
  readonly plugins: readonly (ConfigLocation & { readonly path: string })[];
  readonly upstreams: readonly ConfigSection[];
  /** Any other section Fluent Bit accepts, by lower-case section name (`stream_processor`,
   *  YAML top-level maps such as `extensions`, unknown classic sections). */
  readonly other: Readonly<Record<string, readonly ConfigSection[]>>;
  /** In reading order; `logwasm config` prints them, the pipeline logs them at start. */
  readonly warnings: readonly ConfigWarning[];
}

/** The value of `key` (last occurrence), or undefined. */
export function propertyValue(section: ConfigSection, key: string): string | readonly string[] | undefined {
  for (let i = section.properties.length - 1; i >= 0; i--) if (section.properties[i].key === key) return section.properties[i].value;
  return undefined;
}
