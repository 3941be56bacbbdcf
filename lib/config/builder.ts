// What both readers fill while they go through the files, values still unexpanded; `finish`
// expands ${VAR} references (every variable known by then) and returns the FluentBitConfig.
import { ConfigError } from './errors.js';
import { ReadBudget } from './limits.js';
import { Variables } from './variables.js';
import type { ConfigLocation, ConfigProperty, ConfigSection, ConfigWarning, FluentBitConfig } from './types.js';

export interface RawProperty extends ConfigLocation {
  key: string;
  value: string | string[];
}

export interface RawSection {
  location: ConfigLocation;
  properties: RawProperty[];
  groups: Map<string, RawSection[]>;
}

export type SectionList = 'parsers' | 'multilineParsers' | 'inputs' | 'filters' | 'outputs' | 'customs' | 'upstreams';

export function rawSection(location: ConfigLocation): RawSection {
  return { location, properties: [], groups: new Map() };
}

export function addGroup(section: RawSection, name: string, group: RawSection): void {
  const list = section.groups.get(name);
  if (list) list.push(group);
  else section.groups.set(name, [group]);
}

export class ConfigBuilder {
  readonly variables = new Map<string, string>();
  service: RawSection | null = null;
  readonly lists: Record<SectionList, RawSection[]> = {
    parsers: [],
    multilineParsers: [],
    inputs: [],
    filters: [],
    outputs: [],
    customs: [],
    upstreams: [],
  };
  readonly plugins: (ConfigLocation & { path: string })[] = [];
  readonly other = new Map<string, RawSection[]>();
  readonly warnings: ConfigWarning[] = [];
  readonly files: string[] = [];
  /** dev:inode of every file read, with where it was first read from. */
  readonly seen = new Map<string, string>();
  /** Where YAML's `service:` was defined (Fluent Bit accepts it once in a configuration). */
  yamlServiceAt: string | null = null;

  constructor(
    readonly mainFile: string,
    readonly format: 'classic' | 'yaml',
    readonly budget: ReadBudget,
  ) {}

  warn(location: ConfigLocation, message: string): void {
    this.warnings.push({ file: location.file, line: location.line, message });
  }

  /** The one [SERVICE]: a second one adds its keys to the first, as Fluent Bit merges them. */
  serviceSection(location: ConfigLocation): RawSection {
    if (!this.service) this.service = rawSection(location);
    return this.service;
  }

  addSection(list: SectionList, location: ConfigLocation): RawSection {
    const section = rawSection(location);
    this.lists[list].push(section);
    return section;
  }

  addOther(name: string, location: ConfigLocation): RawSection {
    const section = rawSection(location);
    const list = this.other.get(name);
    if (list) list.push(section);
    else this.other.set(name, [section]);
    return section;
  }

  finish(env: NodeJS.ProcessEnv = process.env): FluentBitConfig {
    const variables = new Variables(this.variables, this.budget, this, env);
    const expandProperty = (property: RawProperty): ConfigProperty => Object.freeze({
      key: property.key,
      value: typeof property.value === 'string'
        ? variables.expand(property.value, property, property.key)
        : Object.freeze(property.value.map((item) => variables.expand(item, property, property.key))),
      file: property.file,
      line: property.line,
    });
    const expandSection = (section: RawSection): ConfigSection => {
      const out: { location: ConfigLocation; properties: readonly ConfigProperty[]; groups?: Record<string, readonly ConfigSection[]> } = {
        location: section.location,
        properties: Object.freeze(section.properties.map(expandProperty)),
      };
      if (section.groups.size > 0) {
        const groups: Record<string, readonly ConfigSection[]> = {};
        for (const [name, list] of section.groups) groups[name] = Object.freeze(list.map(expandSection));
        out.groups = Object.freeze(groups);
      }
      return Object.freeze(out);
    };
    const expandList = (list: RawSection[]) => Object.freeze(list.map(expandSection));
    const multilineParsers = this.lists.multilineParsers.map((section) => expandSection(classicRulesToGroups(section)));
    const other: Record<string, readonly ConfigSection[]> = {};
    for (const [name, list] of this.other) other[name] = expandList(list);
    const config: FluentBitConfig = {
      file: this.mainFile,
      format: this.format,
      files: Object.freeze([...this.files]),
      env: Object.freeze(Object.fromEntries(this.variables)),
      service: expandSection(this.service ?? rawSection({ file: this.mainFile, line: 0 })),
      parsers: expandList(this.lists.parsers),
      multilineParsers: Object.freeze(multilineParsers),
      inputs: expandList(this.lists.inputs),
      filters: expandList(this.lists.filters),
      outputs: expandList(this.lists.outputs),
      customs: expandList(this.lists.customs),
      plugins: Object.freeze(this.plugins.map((plugin) => Object.freeze({ ...plugin, path: variables.expand(plugin.path, plugin, 'path') }))),
      upstreams: expandList(this.lists.upstreams),
      other: Object.freeze(other),
      warnings: this.warnings, // frozen below: expansion may still add to it
    };
    Object.freeze(this.warnings);
    return Object.freeze(config);
  }
}

/**
 * A classic [MULTILINE_PARSER]'s `rule "state" "/regex/" "next_state"` lines become `rules`
 * groups shaped like YAML's `rules:` entries, so that the pipeline reads one form.
 */
function classicRulesToGroups(section: RawSection): RawSection {
  const rules = section.properties.filter((property) => property.key === 'rule');
  if (rules.length === 0) return section;
  const out = rawSection(section.location);
  out.properties = section.properties.filter((property) => property.key !== 'rule');
  out.groups = new Map(section.groups);
  for (const rule of rules) {
    const tokens = typeof rule.value === 'string' ? splitRuleTokens(rule.value) : null;
    if (!tokens || tokens.length !== 3) {
      throw new ConfigError('a multiline rule needs three fields: rule "state" "/regex/" "next_state"', rule.file, rule.line, 'rule',
        'quote each field with double quotes');
    }
    const at = { file: rule.file, line: rule.line };
    const group = rawSection(at);
    group.properties = [
      { ...at, key: 'state', value: tokens[0] },
      { ...at, key: 'regex', value: tokens[1] },
      { ...at, key: 'next_state', value: tokens[2] },
    ];
    addGroup(out, 'rules', group);
  }
  return out;
}

/** Space-separated fields, a field in double quotes may hold spaces (\" is a quote in it). */
export function splitRuleTokens(text: string): string[] | null {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === ' ' || text[i] === '\t') {
      i++;
      continue;
    }
    if (text[i] === '"') {
      let token = '';
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && text[j + 1] === '"') {
          token += '"';
          j++;
        } else token += text[j];
      }
      if (j >= text.length) return null; // no closing quote
      tokens.push(token);
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && text[j] !== ' ' && text[j] !== '\t') j++;
      tokens.push(text.slice(i, j));
      i = j;
    }
  }
  return tokens;
}
