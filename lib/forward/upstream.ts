// Fluent Bit's upstream file (out_forward's `upstream`): one [UPSTREAM] section naming the set,
// then one [NODE] section per server with `name`, `host`, `port` and optionally the node's own
// tls.*, shared_key, self_hostname, username and password. Read into lib/config/types.ts's
// structure (an upstream section whose `node` group holds the nodes).
import { readFileSync } from 'node:fs';
import { LogwasmError, fileError } from '../errors.js';
import type { ConfigProperty, ConfigSection } from '../config/types.js';

/** Reads an upstream file in the classic format. */
export function readUpstreamFile(file: string): ConfigSection {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw fileError('upstream', file, error);
  }
  let upstream: { location: { file: string; line: number }; properties: ConfigProperty[] } | undefined;
  const nodes: { location: { file: string; line: number }; properties: ConfigProperty[] }[] = [];
  let current: { location: { file: string; line: number }; properties: ConfigProperty[] } | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const header = /^\[\s*([A-Za-z_]+)\s*\]$/.exec(trimmed);
    if (header) {
      const name = header[1].toUpperCase();
      if (name === 'UPSTREAM') {
        if (upstream) throw new LogwasmError(`${file}:${line}: a second [UPSTREAM] section (an upstream file describes one upstream)`, 'LOGWASM_ERR_CONFIG');
        current = upstream = { location: { file, line }, properties: [] };
      } else if (name === 'NODE') {
        const node = { location: { file, line }, properties: [] as ConfigProperty[] };
        nodes.push(node);
        current = node;
      } else throw new LogwasmError(`${file}:${line}: section [${header[1]}] does not belong in an upstream file (only [UPSTREAM] and [NODE])`, 'LOGWASM_ERR_CONFIG');
      return;
    }
    if (!current) throw new LogwasmError(`${file}:${line}: '${trimmed}' is outside any section (start with [UPSTREAM])`, 'LOGWASM_ERR_CONFIG');
    const match = /^(\S+)\s*(.*)$/.exec(trimmed)!;
    current.properties.push({ key: match[1].toLowerCase(), value: match[2].trim(), file, line });
  });
  if (!upstream) throw new LogwasmError(`${file}: no [UPSTREAM] section`, 'LOGWASM_ERR_CONFIG');
  if (nodes.length === 0) throw new LogwasmError(`${file}: the upstream has no [NODE] section`, 'LOGWASM_ERR_CONFIG');
  return { location: upstream.location, properties: upstream.properties, groups: { node: nodes } };
}

export interface UpstreamNode {
  name: string;
  /** The node's own keys (lower case), raw text: they override the output's. */
  settings: Record<string, string>;
  location: { file: string; line: number };
}

/** The nodes of an upstream section; each must have a host (port defaults to 24224). */
export function upstreamNodes(section: ConfigSection): UpstreamNode[] {
  const nodes = section.groups?.node ?? section.groups?.nodes ?? [];
  if (nodes.length === 0) throw new LogwasmError(`${section.location.file}:${section.location.line}: the upstream has no nodes`, 'LOGWASM_ERR_CONFIG');
  return nodes.map((node, index) => {
    const settings: Record<string, string> = {};
    for (const property of node.properties) settings[property.key] = Array.isArray(property.value) ? property.value.join(' ') : String(property.value);
    if (!settings.host) throw new LogwasmError(`${node.location.file}:${node.location.line}: [NODE] needs a host`, 'LOGWASM_ERR_CONFIG');
    return { name: settings.name ?? `node.${index}`, settings, location: node.location };
  });
}
