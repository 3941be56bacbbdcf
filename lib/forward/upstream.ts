// Fluent Bit's upstream file (out_forward's `upstream`): one [UPSTREAM] section naming the set,
// then one [NODE] section per server with `name`, `host`, `port` and optionally the node's own
// tls.*, shared_key, self_hostname, username and password. Read into lib/config/types.ts's
// structure (an upstream section whose `node` group holds the nodes).
import { LogwasmError } from '../errors.js';
import { readConfig } from '../config/read.js';
import type { ConfigSection } from '../config/types.js';

/** Reads an upstream file (classic or YAML) with lib/config; its first upstream. */
export function readUpstreamFile(file: string): ConfigSection {
  const config = readConfig(file);
  const upstream = config.upstreams[0];
  if (!upstream) throw new LogwasmError(`upstream file '${file}' has no [UPSTREAM] section (it names the upstream; one [NODE] section per server follows)`, 'LOGWASM_ERR_CONFIG');
  return upstream;
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
