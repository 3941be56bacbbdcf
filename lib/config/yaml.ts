// Fluent Bit's YAML configuration format, with Fluent Bit's own rules:
//
//   env:                { NAME: value }, or a list of { name, value | uri: file://... }
//   includes:           [ other.yaml, conf.d/*.yaml ]   next to the including file (else the main one)
//   service:            { flush: 1, ... }               once in the whole configuration
//   parsers:            [ { name: ..., format: ... } ]
//   multiline_parsers:  [ { name: ..., rules: [ { state, regex, next_state } ] } ]
//   plugins:            [ /path/to/plugin.so ]
//   upstream_servers:   [ { name: ..., nodes: [ { name, host, port } ] } ]
//   customs:            [ { name: ..., ... } ]
//   pipeline:           { inputs: [...], filters: [...], outputs: [...] }
//                       each plugin a map; a list value stays a list; `processors:` holds
//                       logs/metrics/traces lists of processors
//   stream_processor, or any other top-level map: kept under `other`
//
// Top-level and pipeline keys are case-insensitive; property keys are lower-cased, camelCase ones
// turned into snake_case. Scalars are read as the text written (no YAML 1.1 booleans or numbers:
// `on` stays "on", `1.0` stays "1.0"), trimmed, as Fluent Bit reads them. Aliases (*name) are
// rejected as Fluent Bit rejects them; documents are read in order.
import { Composer, isAlias, isMap, isScalar, isSeq, LineCounter, Parser, Node, Pair, YAMLMap, YAMLSeq } from 'yaml';
import { addGroup, rawSection, RawSection } from './builder.js';
import { ConfigError, excerpt } from './errors.js';
import { readConfigText } from './files.js';
import { yamlKey } from './keys.js';
import { ReaderContext, trimSpace } from './reader.js';

/** Deeper YAML is refused before it is composed (the composer recurses per level). */
export const MAX_YAML_DEPTH = 64;

const PIPELINE_LISTS: Record<string, 'inputs' | 'filters' | 'outputs'> = { inputs: 'inputs', filters: 'filters', outputs: 'outputs' };
const PROCESSOR_SIGNALS = new Set(['logs', 'metrics', 'traces']);

interface CstToken {
  type: string;
  offset: number;
  value?: CstToken;
  items?: { key?: CstToken | null; value?: CstToken | null }[];
}

/** The deepest nesting in the parsed (not yet composed) tokens, without recursion. */
function deepest(tokens: CstToken[]): { depth: number; offset: number } {
  let max = { depth: 0, offset: 0 };
  const stack: [CstToken, number][] = tokens.map((token) => [token, 0]);
  while (stack.length > 0) {
    const [token, depth] = stack.pop()!;
    if (depth > max.depth) max = { depth, offset: token.offset };
    if (token.value && typeof token.value === 'object') stack.push([token.value, depth]);
    for (const item of token.items ?? []) {
      if (item.key && typeof item.key === 'object') stack.push([item.key, depth + 1]);
      if (item.value && typeof item.value === 'object') stack.push([item.value, depth + 1]);
    }
  }
  return max;
}

export function readYamlText(context: ReaderContext, file: string, text: string): void {
  const { builder, role } = context;
  const lineCounter = new LineCounter();
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  const tokens = [...new Parser(lineCounter.addNewLine).parse(text)] as unknown as CstToken[];
  const deep = deepest(tokens);
  if (deep.depth > MAX_YAML_DEPTH) {
    throw new ConfigError(`YAML nested ${deep.depth} levels deep, more than the ${MAX_YAML_DEPTH} logwasm reads`, file, lineAt(deep.offset),
      undefined, 'a Fluent Bit configuration needs a handful of levels: check the indentation and brackets');
  }
  const composer = new Composer({ schema: 'failsafe', uniqueKeys: false, strict: true });
  const documents = [...composer.compose(tokens as never, true, text.length)];

  const lineOf = (node: unknown): number => {
    const range = (node as Node | null)?.range;
    return range ? lineAt(range[0]) : 0;
  };
  const fail = (node: unknown, detail: string, key?: string, hint?: string): never => {
    throw new ConfigError(detail, file, lineOf(node) || 1, key, hint);
  };
  const checkAlias = (node: unknown) => {
    if (isAlias(node)) fail(node, `YAML alias *${node.source} is not supported (Fluent Bit rejects aliases)`, undefined, 'write the value out');
  };
  const keyText = (pair: Pair): string => {
    checkAlias(pair.key);
    if (!isScalar(pair.key)) fail(pair.key ?? pair.value, 'a key must be plain text, not a list or a map');
    return String((pair.key as { value: unknown }).value ?? '');
  };
  const keyLine = (pair: Pair) => lineOf(pair.key) || lineOf(pair.value) || 1;
  const isEmpty = (node: unknown) => node === null || node === undefined || (isScalar(node) && (node.value === null || node.value === ''));
  /** A scalar's text, trimmed as Fluent Bit trims values; null when the node is not a scalar. */
  const scalar = (node: unknown): string | null => {
    checkAlias(node);
    if (node === null || node === undefined) return '';
    if (!isScalar(node)) return null;
    return trimSpace(String(node.value ?? ''));
  };
  const map = (node: unknown, what: string, hint: string, key?: string): YAMLMap => {
    checkAlias(node);
    if (!isMap(node)) fail(node, `${what} must be a map`, key, hint);
    return node as YAMLMap;
  };
  const list = (node: unknown, what: string, hint: string, key?: string): YAMLSeq => {
    checkAlias(node);
    if (!isSeq(node)) fail(node, `${what} must be a list`, key, hint);
    return node as YAMLSeq;
  };

  /** A map whose values are all plain text (service, parsers, rules, nodes, env). */
  const plainSection = (node: unknown, target: RawSection, what: string, groupKeys: Record<string, string> = {}) => {
    for (const pair of map(node, what, `write '${what}:' with 'key: value' lines under it`).items) {
      const raw = keyText(pair);
      const key = yamlKey(raw);
      const line = keyLine(pair);
      if (groupKeys[key]) {
        for (const item of list(pair.value, `'${raw}' in ${what}`, '', key).items) {
          const group = rawSection({ file, line: lineOf(item) || line });
          plainSection(item, group, `each entry of '${raw}'`);
          addGroup(target, groupKeys[key], group);
        }
        continue;
      }
      const value = scalar(pair.value);
      if (value === null) fail(pair.value, `'${raw}' in ${what} must be a single value, not a ${isSeq(pair.value) ? 'list' : 'map'}`, key);
      target.properties.push({ key, value: value as string, file, line });
    }
  };

  /** A processor or a `routes` value: nested maps become groups, lists of maps several. */
  const nestedSection = (node: YAMLMap, target: RawSection, translateKeys: boolean) => {
    for (const pair of node.items) {
      const raw = keyText(pair);
      const key = translateKeys ? yamlKey(raw) : raw;
      const line = keyLine(pair);
      checkAlias(pair.value);
      if (isMap(pair.value)) {
        const group = rawSection({ file, line: lineOf(pair.value) || line });
        nestedSection(pair.value, group, false);
        addGroup(target, key, group);
      } else if (isSeq(pair.value)) {
        const items = pair.value.items;
        items.forEach(checkAlias);
        if (items.every((item) => isMap(item))) {
          for (const item of items) {
            const group = rawSection({ file, line: lineOf(item) || line });
            nestedSection(item as YAMLMap, group, false);
            addGroup(target, key, group);
          }
          if (items.length === 0) target.properties.push({ key, value: [], file, line });
        } else if (items.every((item) => isScalar(item))) {
          target.properties.push({ key, value: items.map((item) => String((item as { value: unknown }).value ?? '')), file, line });
        } else {
          fail(pair.value, `the list under '${raw}' mixes plain values with lists or maps, which logwasm cannot represent`, key,
            'use a list of plain values or a list of maps');
        }
      } else target.properties.push({ key, value: scalar(pair.value) as string, file, line });
    }
  };

  const pluginSection = (node: unknown, target: RawSection, what: string) => {
    for (const pair of map(node, `each of ${what}`, `write '- name: PLUGIN' and its properties`).items) {
      const raw = keyText(pair);
      const key = yamlKey(raw);
      const line = keyLine(pair);
      checkAlias(pair.value);
      if (key === 'processors') {
        const processors = rawSection({ file, line });
        for (const signal of map(pair.value, "'processors'", 'list processors under logs:, metrics: or traces:', key).items) {
          const signalKey = keyText(signal).toLowerCase();
          if (!PROCESSOR_SIGNALS.has(signalKey)) {
            fail(signal.key, `unknown processor type ${excerpt(keyText(signal))}`, 'processors', 'use logs, metrics or traces');
          }
          for (const item of list(signal.value, `'${signalKey}' under processors`, 'write a list of processors', signalKey).items) {
            const processor = rawSection({ file, line: lineOf(item) || keyLine(signal) });
            nestedSection(map(item, 'each processor', "write '- name: PROCESSOR' and its properties"), processor, true);
            addGroup(processors, signalKey, processor);
          }
        }
        addGroup(target, 'processors', processors);
      } else if (key === 'routes') {
        // Fluent Bit keeps routes as a nested value: a map, or a list of maps (each a 'route')
        const routes = rawSection({ file, line });
        if (isSeq(pair.value)) {
          for (const item of pair.value.items) {
            const route = rawSection({ file, line: lineOf(item) || line });
            nestedSection(map(item, "each of 'routes'", 'write a map per route', key), route, false);
            addGroup(routes, 'route', route);
          }
        } else nestedSection(map(pair.value, "'routes'", 'write a map or a list of maps', key), routes, false);
        addGroup(target, 'routes', routes);
      } else if (isSeq(pair.value)) {
        const values: string[] = [];
        for (const item of pair.value.items) {
          checkAlias(item);
          if (!isScalar(item)) fail(item, `the list under '${raw}' may only hold plain values (as in Fluent Bit)`, key);
          values.push(String((item as { value: unknown }).value ?? ''));
        }
        target.properties.push({ key, value: values, file, line });
      } else if (isMap(pair.value)) {
        // as Fluent Bit: a map value is a group named after its key, of plain values
        const group = rawSection({ file, line: lineOf(pair.value) || line });
        plainSection(pair.value, group, `'${raw}'`);
        addGroup(target, key, group);
      } else target.properties.push({ key, value: scalar(pair.value) as string, file, line });
    }
  };

  const ignoredHere = (pair: Pair, name: string) =>
    builder.warn({ file, line: keyLine(pair) }, `'${name}' in a ${role} file is ignored (Fluent Bit reads only ${role === 'parsers' ? "'parsers' and 'multiline_parsers'" : "'plugins'"} there)`);

  for (const document of documents) {
    if (document.errors.length > 0) {
      const error = document.errors[0];
      throw new ConfigError(`invalid YAML: ${error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`, file,
        lineAt(error.pos[0]), undefined, 'check the indentation and the quoting on this line or the one before');
    }
    const root = document.contents;
    if (isEmpty(root)) continue;
    for (const pair of map(root, 'the top level', 'start with service:, pipeline:, ...').items) {
      const raw = keyText(pair);
      const name = raw.toLowerCase();
      const line = keyLine(pair);
      const at = { file, line };
      const wanted = role === 'main' || name === 'includes' || (role === 'parsers' ? name === 'parsers' || name === 'multiline_parsers' : name === 'plugins');
      if (!wanted) {
        ignoredHere(pair, raw);
        continue;
      }
      switch (name) {
        case 'env':
          checkAlias(pair.value);
          if (isSeq(pair.value)) {
            for (const item of pair.value.items) readEnvEntry(item);
          } else {
            for (const variable of map(pair.value, "'env'", "write 'NAME: value' lines under env:", 'env').items) {
              const value = scalar(variable.value);
              if (value === null) fail(variable.value, `variable '${keyText(variable)}' must have a single value`, 'env');
              builder.variables.set(keyText(variable), value as string);
            }
          }
          break;
        case 'includes':
          for (const item of list(pair.value, "'includes'", 'write a list of files: includes: [other.yaml]', 'includes').items) {
            const target = scalar(item);
            if (!target) fail(item, 'each include must be a file name', 'includes');
            context.include(target as string, { file, line: lineOf(item) || line, key: 'includes' });
          }
          break;
        case 'service':
          if (builder.yamlServiceAt) {
            fail(pair.key, `'service' is defined twice (also at ${builder.yamlServiceAt}); Fluent Bit accepts one`, 'service',
              'merge the two into one service: map');
          }
          builder.yamlServiceAt = `${file}:${line}`;
          plainSection(pair.value, builder.serviceSection(at), "'service'");
          break;
        case 'parsers':
          for (const item of list(pair.value, "'parsers'", "write '- name: PARSER' entries", 'parsers').items) {
            plainSection(item, builder.addSection('parsers', { file, line: lineOf(item) || line }), 'each parser');
          }
          break;
        case 'multiline_parsers':
          for (const item of list(pair.value, "'multiline_parsers'", "write '- name: PARSER' entries", 'multiline_parsers').items) {
            plainSection(item, builder.addSection('multilineParsers', { file, line: lineOf(item) || line }), 'each multiline parser', { rules: 'rules' });
          }
          break;
        case 'upstream_servers':
          for (const item of list(pair.value, "'upstream_servers'", "write '- name: UPSTREAM' entries with nodes:", 'upstream_servers').items) {
            plainSection(item, builder.addSection('upstreams', { file, line: lineOf(item) || line }), 'each upstream server', { nodes: 'nodes' });
          }
          break;
        case 'plugins':
          for (const item of list(pair.value, "'plugins'", 'write a list of plugin files (.so)', 'plugins').items) {
            const path = scalar(item);
            if (!path) fail(item, 'each plugin must be a file path', 'plugins');
            builder.plugins.push({ file, line: lineOf(item) || line, path: path as string });
          }
          break;
        case 'stream_processor':
          for (const item of list(pair.value, "'stream_processor'", "write '- name: TASK' entries", 'stream_processor').items) {
            plainSection(item, builder.addOther('stream_processor', { file, line: lineOf(item) || line }), 'each stream processor task');
          }
          break;
        case 'customs':
          for (const item of list(pair.value, "'customs'", "write '- name: PLUGIN' entries", 'customs').items) {
            pluginSection(item, builder.addSection('customs', { file, line: lineOf(item) || line }), "'customs'");
          }
          break;
        case 'pipeline':
          for (const kind of map(pair.value, "'pipeline'", 'write inputs:, filters: and outputs: under it', 'pipeline').items) {
            const kindName = keyText(kind);
            const listName = PIPELINE_LISTS[kindName.toLowerCase()];
            if (!listName) {
              fail(kind.key, `${excerpt(kindName)} is not a part of a pipeline`, kindName,
                kindName.toLowerCase() === 'customs' ? 'customs: goes at the top level, beside pipeline:' : 'use inputs, filters or outputs');
            }
            for (const item of list(kind.value, `'${kindName}'`, "write '- name: PLUGIN' entries", kindName).items) {
              pluginSection(item, builder.addSection(listName, { file, line: lineOf(item) || keyLine(kind) }), `'${kindName}'`);
            }
          }
          break;
        default: {
          // an unknown top-level map is kept, as Fluent Bit keeps "other" sections
          const section = builder.addOther(name, at);
          nestedSection(map(pair.value, `top-level key ${excerpt(raw)}`, 'an unknown top-level key must hold a map', raw), section, true);
        }
      }
    }
  }

  function readEnvEntry(item: unknown): void {
    const entry = map(item, "each entry of 'env'", "write '- name: NAME' with value: or uri:", 'env');
    const fields = new Map<string, { pair: Pair; value: string }>();
    for (const pair of entry.items) {
      const value = scalar(pair.value);
      if (value === null) fail(pair.value, `'${keyText(pair)}' in an env entry must be a single value`, 'env');
      fields.set(yamlKey(keyText(pair)), { pair, value: value as string });
    }
    const name = fields.get('name');
    if (!name?.value) fail(item, "an env entry needs a 'name'", 'env');
    const value = fields.get('value');
    const uri = fields.get('uri');
    if (value && uri) fail(uri.pair.key, `env entry '${name!.value}' has both value and uri`, 'env', 'keep one of them');
    for (const [key, field] of fields) {
      if (!['name', 'value', 'uri', 'refresh_interval'].includes(key)) fail(field.pair.key, `unknown key '${key}' in env entry '${name!.value}'`, 'env', 'use name, value, uri, refresh_interval');
    }
    if (uri) {
      const match = /^file:\/\/(\/.*)$/.exec(uri.value);
      if (!match) fail(uri.pair.value, `env entry '${name!.value}': only file:///absolute/path URIs are supported`, 'env');
      const secret = readConfigText(decodeURIComponent(match![1]), builder.budget, { file, line: keyLine(uri.pair), key: 'uri' });
      builder.variables.set(name!.value, secret.text.replace(/\r?\n$/, ''));
      if (fields.has('refresh_interval')) {
        builder.warn({ file, line: keyLine(fields.get('refresh_interval')!.pair) }, `env entry '${name!.value}': refresh_interval is not supported, the file is read once`);
      }
    } else builder.variables.set(name!.value, value?.value ?? '');
  }
}
