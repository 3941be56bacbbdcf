// The first loader, kept until lib/pipeline.ts moves to readConfig (lib/config/read.ts): reads a
// config with its own rules and converts the properties of the few plugins logwasm had.
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { parseClassic } from './classic.js';
import { parseYamlConfig } from './yaml.js';
import { RawSection } from './raw.js';
import { FILTER_SCHEMAS, INPUT_SCHEMAS, OUTPUT_SCHEMAS, PARSER_SCHEMA, SERVICE_SCHEMA, Schema, convertValue } from './schema.js';
import { ParserDefinition } from '../../parsers.js';




export type Properties = Record<string, unknown>;

export interface PluginConfig {
  kind: 'input' | 'filter' | 'output';
  /** The plugin name, lower-case: exec_wasi, stdin, dummy, wasm, stdout, null. */
  name: string;
  /** Converted values by lower-case key (defaults filled in). */
  properties: Properties;
  file: string;
  line: number;
}

export interface ServiceConfig {
  flush: number;
  grace: number;
  logLevel: string;
  parsersFiles: string[];
}

export interface LogwasmConfig {
  file: string;
  service: ServiceConfig;
  parsers: ParserDefinition[];
  inputs: PluginConfig[];
  filters: PluginConfig[];
  outputs: PluginConfig[];
}

function isYaml(file: string): boolean {
  return /\.ya?ml$/i.test(file);
}

function readSections(file: string): RawSection[] {
  return isYaml(file) ? parseYamlConfig(file).sections : parseClassic(file).sections;
}

const KIND_LABEL: Record<string, string> = { service: '[SERVICE]', input: '[INPUT]', filter: '[FILTER]', output: '[OUTPUT]', parser: '[PARSER]' };

function applySchema(section: RawSection, schema: Schema, label: string): Properties {
  const properties: Properties = {};
  const seen = new Set<string>();
  for (const entry of section.entries) {
    const spec = schema[entry.key];
    if (!spec) {
      const supported = Object.keys(schema).filter((key) => !schema[key].aliasOf).join(', ');
      throw new ConfigError(`unknown key '${entry.key}' in ${label} (supported: ${supported})`, entry.file, entry.line, entry.key);
    }
    const key = spec.aliasOf ?? entry.key;
    if (seen.has(key) && !spec.repeat) {
      throw new ConfigError(`key '${entry.key}' is set twice in ${label}`, entry.file, entry.line, entry.key);
    }
    seen.add(key);
    const converted = convertValue(spec.type, entry.value);
    if ('error' in converted) throw new ConfigError(`${entry.key} ${converted.error}`, entry.file, entry.line, entry.key);
    if (spec.repeat) {
      const values = (properties[key] as unknown[] | undefined) ?? [];
      values.push(converted.value);
      properties[key] = values;
    } else properties[key] = converted.value;
  }
  for (const [key, spec] of Object.entries(schema)) {
    if (properties[key] !== undefined) continue;
    if (spec.required) throw new ConfigError(`${label} needs '${key}'`, section.file, section.line, key);
    if (spec.default !== undefined) properties[key] = spec.default;
  }
  return properties;
}

function plugin(section: RawSection, schemas: Record<string, Schema>): PluginConfig {
  const kind = section.type as PluginConfig['kind'];
  const nameEntry = section.entries.find((entry) => entry.key === 'name');
  const label = KIND_LABEL[kind];
  if (!nameEntry) throw new ConfigError(`${label} section has no 'name'`, section.file, section.line, 'name');
  const name = nameEntry.value.trim().toLowerCase();
  const schema = schemas[name];
  if (!schema) {
    throw new ConfigError(
      `unsupported ${kind} plugin '${nameEntry.value}' (supported: ${Object.keys(schemas).join(', ')})`,
      nameEntry.file,
      nameEntry.line,
      'name',
    );
  }
  const properties = applySchema(section, schema, `${label} ${name}`);
  properties.name = name;
  if (kind !== 'input' && properties.match === undefined && properties.match_regex === undefined) {
    // Fluent Bit accepts this and routes nothing to the plugin; say so instead of being silent.
    throw new ConfigError(`${label} ${name} has neither 'match' nor 'match_regex', so it would receive no records`, section.file, section.line, 'match');
  }
  if (properties.match_regex !== undefined) {
    try {
      new RegExp(properties.match_regex as string);
    } catch (error) {
      throw new ConfigError(`match_regex is not a valid regular expression: ${(error as Error).message}`, section.file, section.line, 'match_regex');
    }
  }
  return { kind, name, properties, file: section.file, line: section.line };
}

function parserDefinition(section: RawSection): ParserDefinition {
  const properties = applySchema(section, PARSER_SCHEMA, '[PARSER]');
  if (properties.format === undefined) throw new ConfigError(`[PARSER] ${properties.name} needs 'format' (json or regex)`, section.file, section.line, 'format');
  if (properties.format === 'regex' && properties.regex === undefined) {
    throw new ConfigError(`[PARSER] ${properties.name} has format regex but no 'regex'`, section.file, section.line, 'regex');
  }
  if (properties.regex !== undefined) {
    try {
      new RegExp(properties.regex as string);
    } catch (error) {
      throw new ConfigError(`regex is not valid: ${(error as Error).message}`, section.file, section.line, 'regex');
    }
  }
  return {
    name: properties.name as string,
    format: properties.format as 'json' | 'regex',
    regex: properties.regex as string | undefined,
    timeKey: properties.time_key as string | undefined,
    timeFormat: properties.time_format as string | undefined,
    timeKeep: properties.time_keep as boolean,
    types: properties.types as string | undefined,
  };
}

/** Read a configuration file (YAML when it ends in .yaml/.yml, else classic), its includes and
 *  parsers files, and check every key. Throws ConfigError naming file, line and key. */
export function loadConfig(file: string): LogwasmConfig {
  const sections = readSections(file);
  const config: LogwasmConfig = {
    file,
    service: { flush: 1, grace: 5, logLevel: 'info', parsersFiles: [] },
    parsers: [],
    inputs: [],
    filters: [],
    outputs: [],
  };
  const parserSections: RawSection[] = [];
  for (const section of sections) {
    switch (section.type) {
      case 'service': {
        const properties = applySchema(section, SERVICE_SCHEMA, '[SERVICE]');
        config.service.flush = properties.flush as number;
        config.service.grace = properties.grace as number;
        config.service.logLevel = properties.log_level as string;
        for (const parsersFile of (properties.parsers_file as string[] | undefined) ?? []) {
          // relative to the main configuration file, as in Fluent Bit
          const resolved = path.resolve(path.dirname(section.file), parsersFile);
          config.service.parsersFiles.push(resolved);
          for (const parsed of readSections(resolved)) {
            if (parsed.type !== 'parser') {
              throw new ConfigError(`a parsers file may only hold [PARSER] sections, found [${parsed.type.toUpperCase()}]`, parsed.file, parsed.line);
            }
            parserSections.push(parsed);
          }
        }
        break;
      }
      case 'parser':
        parserSections.push(section);
        break;
      case 'input':
        config.inputs.push(plugin(section, INPUT_SCHEMAS));
        break;
      case 'filter':
        config.filters.push(plugin(section, FILTER_SCHEMAS));
        break;
      case 'output':
        config.outputs.push(plugin(section, OUTPUT_SCHEMAS));
        break;
    }
  }
  config.parsers = parserSections.map(parserDefinition);
  const parserNames = new Set(config.parsers.map((parser) => parser.name));
  for (const input of config.inputs) {
    const parser = input.properties.parser as string | undefined;
    if (parser !== undefined && !parserNames.has(parser)) {
      const entry = sections.find((s) => s.file === input.file && s.line === input.line)?.entries.find((e) => e.key === 'parser');
      throw new ConfigError(`unknown parser '${parser}' (defined: ${[...parserNames].join(', ') || 'none'})`, input.file, entry?.line ?? input.line, 'parser');
    }
  }
  return config;
}
