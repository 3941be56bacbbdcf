// Fluent Bit's YAML configuration format:
//
//   env:        { NAME: value }                 variables for ${NAME}
//   includes:   [ other.yaml ]                  relative to the including file
//   service:    { flush: 1, parsers_file: ... }
//   parsers:    [ { name: ..., format: ... } ]
//   pipeline:
//     inputs:   [ { name: exec_wasi, ... } ]
//     filters:  [ { name: wasm, match: '*', ... } ]
//     outputs:  [ { name: stdout, match: '*' } ]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, Node, Pair, YAMLMap } from 'yaml';
import { ConfigError } from '../errors.js';
import { RawSection, SectionType, expandVariables } from './raw.js';

export interface YamlParseState {
  variables: Map<string, string>;
  sections: RawSection[];
  including: string[];
}

const PIPELINE_KINDS: Record<string, SectionType> = { inputs: 'input', filters: 'filter', outputs: 'output' };

export function parseYamlConfig(file: string, state?: YamlParseState, includedFrom?: { file: string; line: number }): YamlParseState {
  const st: YamlParseState = state ?? { variables: new Map(), sections: [], including: [] };
  const resolved = path.resolve(file);
  if (st.including.includes(resolved)) {
    throw new ConfigError(`includes cycle: '${file}' includes itself`, includedFrom?.file ?? file, includedFrom?.line ?? 0, 'includes');
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    if (includedFrom) throw new ConfigError(`cannot read included file '${file}': ${reason}`, includedFrom.file, includedFrom.line, 'includes');
    throw new ConfigError(`cannot read configuration file: ${reason}`, file, 0);
  }
  st.including.push(resolved);
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (document.errors.length > 0) {
    const error = document.errors[0];
    throw new ConfigError(`invalid YAML: ${error.message.split('\n')[0]}`, file, error.linePos?.[0].line ?? 0);
  }
  const lineOf = (node: Node | null | undefined): number => (node?.range ? lineCounter.linePos(node.range[0]).line : 0);
  const keyOf = (pair: Pair): string => {
    if (!isScalar(pair.key)) throw new ConfigError('keys must be plain names', file, lineOf(pair.key as Node));
    return String(pair.key.value);
  };
  const root = document.contents;
  if (root === null) return st;
  if (!isMap(root)) throw new ConfigError('the top level must be a map (service:, pipeline:, ...)', file, lineOf(root));

  const scalarText = (node: unknown, key: string, line: number): string => {
    if (isScalar(node)) {
      const value = node.value;
      if (value === null) return '';
      return expandVariables(String(value), st.variables);
    }
    if (isSeq(node)) {
      // a list value (accessible_paths: [a, b]) means the same as the comma list
      return node.items.map((item) => scalarText(item, key, lineOf(item as Node))).join(',');
    }
    throw new ConfigError(`key '${key}' must have a plain value, not a map`, file, line, key);
  };

  const section = (node: unknown, type: SectionType, line: number): RawSection => {
    if (!isMap(node)) throw new ConfigError(`each ${type} must be a map of keys`, file, line);
    const out: RawSection = { type, file, line: lineOf(node as Node) || line, entries: [] };
    for (const pair of (node as YAMLMap).items) {
      const key = keyOf(pair);
      const keyLine = lineOf(pair.key as Node);
      out.entries.push({ key: key.toLowerCase(), value: scalarText(pair.value, key, keyLine), file, line: keyLine });
    }
    return out;
  };

  const list = (node: unknown, what: string, line: number): unknown[] => {
    if (node === null || (isScalar(node) && node.value === null)) return [];
    if (!isSeq(node)) throw new ConfigError(`'${what}' must be a list`, file, line, what);
    return node.items;
  };

  // env first: variables apply to everything else, whatever the key order
  for (const pair of root.items) {
    if (keyOf(pair).toLowerCase() !== 'env') continue;
    if (!isMap(pair.value)) throw new ConfigError("'env' must be a map of NAME: value", file, lineOf(pair.key as Node), 'env');
    for (const variable of pair.value.items) {
      st.variables.set(keyOf(variable), scalarText(variable.value, keyOf(variable), lineOf(variable.key as Node)));
    }
  }
  for (const pair of root.items) {
    const key = keyOf(pair);
    const line = lineOf(pair.key as Node);
    switch (key.toLowerCase()) {
      case 'env':
        break;
      case 'includes':
        for (const item of list(pair.value, key, line)) {
          const target = path.resolve(path.dirname(file), scalarText(item, key, lineOf(item as Node)));
          parseYamlConfig(target, st, { file, line: lineOf(item as Node) });
        }
        break;
      case 'service':
        st.sections.push(section(pair.value, 'service', line));
        break;
      case 'parsers':
        for (const item of list(pair.value, key, line)) st.sections.push(section(item, 'parser', lineOf(item as Node)));
        break;
      case 'pipeline': {
        if (!isMap(pair.value)) throw new ConfigError("'pipeline' must be a map with inputs, filters, outputs", file, line, key);
        for (const kind of pair.value.items) {
          const kindName = keyOf(kind);
          const type = PIPELINE_KINDS[kindName.toLowerCase()];
          const kindLine = lineOf(kind.key as Node);
          if (!type) throw new ConfigError(`unsupported key '${kindName}' in pipeline (supported: inputs, filters, outputs)`, file, kindLine, kindName);
          for (const item of list(kind.value, kindName, kindLine)) st.sections.push(section(item, type, lineOf(item as Node)));
        }
        break;
      }
      default:
        throw new ConfigError(
          `unsupported top-level key '${key}' (supported: env, includes, service, parsers, pipeline)`,
          file,
          line,
          key,
        );
    }
  }
  st.including.pop();
  return st;
}
