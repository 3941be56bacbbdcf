// out_forward: sends chunks as PackedForward messages (CompressedPackedForward with
// `compress gzip`), the way Fluent Bit does, to one host or round-robin over an upstream's
// nodes. With require_ack_response a chunk is 'ok' only once the server acked it; any failure
// is 'retry', so the engine keeps the chunk and tries again with backoff.
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { LogwasmError } from '../../errors.js';
import { toForwardEntries } from '../../forward/entries.js';
import type { ClientAuth } from '../../forward/handshake.js';
import { ForwardOption, encodePackedForward } from '../../forward/messages.js';
import { ForwardSender, SenderOptions } from '../../forward/sender.js';
import { readUpstreamFile, upstreamNodes } from '../../forward/upstream.js';
import { Endpoint, describeEndpoint } from '../../net/socket.js';
import { TLS_PROPERTIES, clientTlsOptions, tlsEnabled } from '../../net/tls.js';
import type { FlushResult, OutputChunk, OutputContext, OutputInstance, OutputPlugin } from '../plugin.js';

const gzip = promisify(gzipCallback);

function optionalText(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const TRUE_WORDS = new Set(['on', 'true', 'yes', '1']);
const FALSE_WORDS = new Set(['off', 'false', 'no', '0']);

/** An upstream node's raw text value for a bool key. */
function nodeBool(text: string, key: string, where: string): boolean {
  const word = text.toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new LogwasmError(`${where}: ${key} must be on or off, got '${text}'`, 'LOGWASM_ERR_CONFIG');
}

/** add_option: 'key value' pairs. */
function extraOptions(value: unknown): Record<string, string> {
  const options: Record<string, string> = {};
  const add = (item: unknown) => {
    if (Array.isArray(item) && item.every((part) => typeof part === 'string')) {
      if (item.length >= 2) options[item[0]] = item.slice(1).join(' ');
      else if (item.length === 1) add(item[0]);
    } else if (Array.isArray(item)) item.forEach(add);
    else if (typeof item === 'string') {
      const match = /^(\S+)\s+(.*)$/.exec(item.trim());
      if (match) options[match[1]] = match[2];
    }
  };
  add(value);
  return options;
}

interface Node {
  name: string;
  options: SenderOptions;
  idle: ForwardSender[];
}

class ForwardOutput implements OutputInstance {
  private nodes: Node[] = [];
  private next = 0;
  private readonly busy = new Set<ForwardSender>();
  private timeAsInteger = false;
  private retainMetadata = false;
  private requireAck = false;
  private sendOptions = false;
  private compress = false;
  private tagOverride?: string;
  private addOptions: Record<string, string> = {};

  constructor(private readonly context: OutputContext) {}

  async start(): Promise<void> {
    const { properties: p, id } = this.context;
    this.timeAsInteger = p.time_as_integer === true;
    this.retainMetadata = p.retain_metadata_in_forward_mode === true;
    this.requireAck = p.require_ack_response === true;
    this.sendOptions = p.send_options === true;
    this.tagOverride = optionalText(p.tag);
    this.addOptions = extraOptions(p.add_option);
    const compress = optionalText(p.compress);
    if (compress !== undefined && compress !== 'gzip') throw new LogwasmError(`${id}: compress '${compress}' is not supported (gzip is)`, 'LOGWASM_ERR_ARGUMENT');
    this.compress = compress === 'gzip';
    const connectTimeoutMs = Number(p['net.connect_timeout'] ?? 10) * 1000;
    const ioTimeout = Number(p['net.io_timeout'] ?? 0);
    const responseTimeoutMs = ioTimeout > 0 ? ioTimeout * 1000 : 60_000;
    const keepAlive = p['net.keepalive'] !== false;

    const authFrom = (settings: Record<string, unknown>): ClientAuth | undefined => {
      const sharedKey = optionalText(settings.shared_key) ?? (settings.empty_shared_key === true ? '' : undefined);
      if (sharedKey === undefined) return undefined;
      return { sharedKey, selfHostname: optionalText(settings.self_hostname) ?? 'localhost', username: optionalText(settings.username), password: optionalText(settings.password) };
    };
    const senderOptions = (endpoint: Endpoint, settings: Record<string, unknown>): SenderOptions => ({
      endpoint,
      tls: tlsEnabled(settings) ? clientTlsOptions(settings, 'path' in endpoint ? 'localhost' : endpoint.host) : undefined,
      auth: authFrom(settings),
      connectTimeoutMs,
      responseTimeoutMs,
      keepAlive,
    });

    const unixPath = optionalText(p.unix_path);
    const upstream = optionalText(p.upstream);
    if (unixPath) {
      this.nodes = [{ name: `unix:${unixPath}`, options: senderOptions({ path: unixPath }, p), idle: [] }];
    } else if (upstream) {
      const section = readUpstreamFile(upstream);
      this.nodes = upstreamNodes(section).map((node) => {
        const where = `${node.location.file}:${node.location.line}`;
        const settings: Record<string, unknown> = { ...p };
        for (const [key, text] of Object.entries(node.settings)) {
          settings[key] = key === 'tls' || key === 'tls.verify' || key === 'empty_shared_key' ? nodeBool(text, key, where) : text;
        }
        const port = Number(node.settings.port ?? 24224);
        if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new LogwasmError(`${where}: port '${node.settings.port}' is not a TCP port`, 'LOGWASM_ERR_CONFIG');
        const endpoint = { host: node.settings.host, port };
        return { name: `${node.name} (${describeEndpoint(endpoint)})`, options: senderOptions(endpoint, settings), idle: [] };
      });
    } else {
      const endpoint = { host: optionalText(p.host) ?? '127.0.0.1', port: Number(p.port ?? 24224) };
      this.nodes = [{ name: describeEndpoint(endpoint), options: senderOptions(endpoint, p), idle: [] }];
    }
  }

  private async acquire(node: Node): Promise<ForwardSender> {
    while (node.idle.length > 0) {
      const sender = node.idle.pop()!;
      if (sender.usable) return sender;
    }
    return ForwardSender.open(node.options);
  }

  private release(node: Node, sender: ForwardSender): void {
    if (node.options.keepAlive && sender.usable) node.idle.push(sender);
    else sender.close();
  }

  async flush(chunk: OutputChunk): Promise<FlushResult> {
    const { log } = this.context;
    let converted;
    try {
      converted = toForwardEntries(chunk.data, { timeAsInteger: this.timeAsInteger, retainMetadata: this.retainMetadata });
    } catch (error) {
      log.error(`chunk ${chunk.id} (tag '${chunk.tag}') is not valid event data and cannot be sent: ${(error as Error).message}`);
      return 'error';
    }
    if (converted.records === 0) return 'ok';
    const payload = this.compress ? await gzip(converted.entries) : converted.entries;
    const tag = this.tagOverride ?? chunk.tag;
    for (let tried = 0; tried < this.nodes.length; tried++) {
      const node = this.nodes[this.next];
      this.next = (this.next + 1) % this.nodes.length;
      const ackChunk = this.requireAck ? randomBytes(16).toString('base64') : undefined;
      let option: ForwardOption | undefined;
      if (this.sendOptions || this.requireAck || this.compress || Object.keys(this.addOptions).length > 0) {
        option = { ...this.addOptions, size: converted.records };
        if (ackChunk !== undefined) option.chunk = ackChunk;
        if (this.compress) option.compressed = 'gzip';
      }
      let sender: ForwardSender | undefined;
      try {
        sender = await this.acquire(node);
        this.busy.add(sender);
        await sender.send(encodePackedForward(tag, payload, option), ackChunk);
        this.busy.delete(sender);
        this.release(node, sender);
        return 'ok';
      } catch (error) {
        if (sender) {
          this.busy.delete(sender);
          sender.close();
        }
        log.warn(`chunk ${chunk.id}: ${converted.records} records not delivered to ${node.name}: ${(error as Error).message}`);
      }
    }
    return 'retry';
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) {
      for (const sender of node.idle) sender.close();
      node.idle = [];
    }
    for (const sender of this.busy) sender.close();
  }
}

export const forwardOutput: OutputPlugin = {
  kind: 'output',
  name: 'forward',
  description: 'Sends records over the Forward protocol to Fluentd, Fluent Bit or another logwasm (PackedForward, optionally gzip, acks, shared key, TLS).',
  properties: [
    { name: 'host', type: 'string', default: '127.0.0.1', description: 'Server to send to.' },
    { name: 'port', type: 'int', default: '24224', description: "Server's TCP port." },
    { name: 'upstream', type: 'string', description: 'Path of an upstream file ([UPSTREAM] and [NODE] sections): nodes are used round-robin, the next one tried when one fails.' },
    { name: 'unix_path', type: 'string', description: 'Send over this unix socket instead (upstream and host are then ignored).' },
    { name: 'tag', type: 'string', description: "Tag to send instead of the chunk's own." },
    { name: 'time_as_integer', type: 'bool', default: 'off', description: 'Send times as integer seconds (Fluentd v0.12) instead of EventTime.' },
    { name: 'send_options', type: 'bool', default: 'off', description: 'Always send the option map (with size).' },
    { name: 'require_ack_response', type: 'bool', default: 'off', description: "Send a chunk id and count the chunk delivered only once the server acks it." },
    { name: 'compress', type: 'string', description: 'gzip: send CompressedPackedForward.' },
    { name: 'shared_key', type: 'string', description: 'Shared key for the HELO/PING/PONG handshake.' },
    { name: 'empty_shared_key', type: 'bool', default: 'off', description: 'Run the handshake with an empty shared key.' },
    { name: 'self_hostname', type: 'string', default: 'localhost', description: 'Hostname given in the handshake.' },
    { name: 'username', type: 'string', description: "Username for the server's security.users." },
    { name: 'password', type: 'string', description: 'Password of username.' },
    { name: 'retain_metadata_in_forward_mode', type: 'bool', default: 'off', description: 'Send entries as [[time, metadata], record] instead of [time, record].' },
    { name: 'add_option', type: 'slist', multiple: true, description: "'key value' added to the option map (implies sending options)." },
    { name: 'fluentd_compat', type: 'bool', default: 'off', honoured: false, description: "Fluent Bit's metrics/traces translation for Fluentd; logwasm forwards logs only." },
    { name: 'net.connect_timeout', type: 'time', default: '10', description: 'Seconds to wait for a connection (and its TLS handshake).' },
    { name: 'net.io_timeout', type: 'time', default: '0', description: 'Seconds to wait for a handshake answer or an ack (0: 60 seconds).' },
    { name: 'net.keepalive', type: 'bool', default: 'on', description: 'Keep connections open between chunks.' },
    ...TLS_PROPERTIES,
  ],
  create: (context) => new ForwardOutput(context),
};
