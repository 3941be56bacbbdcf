// in_forward: receives Forward protocol v1 messages (Fluentd, Fluent Bit, the fluent-logger
// libraries) over TCP, TLS or a unix socket, and hands their entries to the engine as sent.
// A message's `chunk` is acked once append() has resolved, i.e. once the engine has buffered it.
import type { Socket } from 'node:net';
import { LogwasmError } from '../../errors.js';
import { ForwardReceiver } from '../../forward/receiver.js';
import type { ServerAuth } from '../../forward/handshake.js';
import { Endpoint, Listener, describeEndpoint, listen } from '../../net/socket.js';
import { TLS_PROPERTIES, serverTlsOptions, tlsEnabled } from '../../net/tls.js';
import type { InputContext, InputInstance, InputPlugin } from '../plugin.js';

/** A CompressedPackedForward message may inflate to this many times buffer_max_size. */
const MAX_INFLATE_RATIO = 16;

function optionalText(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** security.users: "user password" pairs, one per occurrence or several in one value. */
function parseUsers(value: unknown, id: string): Map<string, string> {
  const users = new Map<string, string>();
  if (value === undefined) return users;
  const words: string[] = [];
  const collect = (item: unknown) => {
    if (Array.isArray(item)) item.forEach(collect);
    else if (typeof item === 'string') words.push(...item.split(/\s+/).filter(Boolean));
  };
  collect(value);
  if (words.length % 2 !== 0) throw new LogwasmError(`${id}: security.users takes 'username password' pairs; '${words[words.length - 1]}' has no password`, 'LOGWASM_ERR_ARGUMENT');
  for (let i = 0; i < words.length; i += 2) users.set(words[i], words[i + 1]);
  return users;
}

function sizeOf(value: unknown, name: string, id: string): number {
  const size = Number(value);
  if (!Number.isFinite(size) || size <= 0) throw new LogwasmError(`${id}: ${name} must be a positive size, got '${String(value)}'`, 'LOGWASM_ERR_ARGUMENT');
  return size;
}

class ForwardInput implements InputInstance {
  private listener?: Listener;
  private readonly receivers = new Set<ForwardReceiver>();
  private paused = false;

  constructor(private readonly context: InputContext) {}

  async start(): Promise<void> {
    const { properties: p, id, log } = this.context;
    const bufferChunkSize = sizeOf(p.buffer_chunk_size, 'buffer_chunk_size', id);
    const bufferMaxSize = sizeOf(p.buffer_max_size, 'buffer_max_size', id);
    if (bufferChunkSize > bufferMaxSize) {
      throw new LogwasmError(`${id}: buffer_chunk_size (${bufferChunkSize}) is larger than buffer_max_size (${bufferMaxSize}); make buffer_max_size at least buffer_chunk_size`, 'LOGWASM_ERR_ARGUMENT');
    }
    const sharedKey = optionalText(p.shared_key) ?? (p.empty_shared_key === true ? '' : undefined);
    const users = parseUsers(p['security.users'], id);
    if (users.size > 0 && sharedKey === undefined) throw new LogwasmError(`${id}: security.users needs shared_key (or empty_shared_key on): users are checked in the shared-key handshake`, 'LOGWASM_ERR_ARGUMENT');
    const auth: ServerAuth | undefined = sharedKey === undefined ? undefined : { sharedKey, selfHostname: optionalText(p.self_hostname) ?? 'localhost', users };
    const tagOverride = optionalText(p.tag);
    const tagPrefix = optionalText(p.tag_prefix) ?? '';
    const unixPath = optionalText(p.unix_path);
    const endpoint: Endpoint = unixPath ? { path: unixPath } : { host: optionalText(p.listen) ?? '0.0.0.0', port: Number(p.port ?? 24224) };
    const tls = tlsEnabled(p) ? serverTlsOptions(p, id) : undefined;
    const receiverOptions = {
      bufferChunkSize,
      bufferMaxSize,
      auth,
      maxInflatedSize: bufferMaxSize * MAX_INFLATE_RATIO,
      log,
      deliver: (tag: string, events: Uint8Array, records: number) => this.context.append(tagOverride ?? tagPrefix + tag, events, records),
    };
    this.listener = await listen({
      endpoint,
      unixPerm: unixPath ? optionalText(p.unix_perm) : undefined,
      tls,
      onClientError: (message) => log.warn(message),
      onConnection: (socket: Socket) => {
        const receiver = new ForwardReceiver(socket, receiverOptions);
        this.receivers.add(receiver);
        socket.once('close', () => this.receivers.delete(receiver));
        if (this.paused) receiver.setPaused(true);
      },
    });
    log.info(`listening on ${describeEndpoint(this.listener.endpoint)}${tls ? ' (TLS)' : ''}${auth ? ' (shared_key)' : ''}`);
  }

  /** The address bound (the port resolved when 0 was configured). */
  get endpoint(): Endpoint | undefined {
    return this.listener?.endpoint;
  }

  pause(): void {
    this.paused = true;
    for (const receiver of this.receivers) receiver.setPaused(true);
  }

  resume(): void {
    this.paused = false;
    for (const receiver of this.receivers) receiver.setPaused(false);
  }

  async stop(): Promise<void> {
    const closing = this.listener?.close();
    await Promise.all([...this.receivers].map((receiver) => receiver.close()));
    await closing;
  }
}

export const forwardInput: InputPlugin = {
  kind: 'input',
  name: 'forward',
  description: 'Receives records over the Forward protocol (Fluentd, Fluent Bit, fluent-logger clients): TCP, TLS or a unix socket.',
  properties: [
    { name: 'listen', type: 'string', default: '0.0.0.0', description: 'Address to listen on.' },
    { name: 'port', type: 'int', default: '24224', description: 'TCP port to listen on (0: any free port).' },
    { name: 'unix_path', type: 'string', description: 'Listen on this unix socket instead of TCP.' },
    { name: 'unix_perm', type: 'string', description: "Permissions of the unix socket file, in octal ('0660')." },
    { name: 'buffer_chunk_size', type: 'size', default: '1024000', description: 'The receive buffer grows by this many bytes at a time.' },
    { name: 'buffer_max_size', type: 'size', default: '6144000', description: 'Largest message accepted; a larger one closes the connection with an error.' },
    { name: 'tag_prefix', type: 'string', description: "Prefix added to each message's tag." },
    { name: 'shared_key', type: 'string', description: 'Shared key: clients must pass the HELO/PING/PONG handshake.' },
    { name: 'empty_shared_key', type: 'bool', default: 'off', description: 'Run the handshake with an empty shared key.' },
    { name: 'self_hostname', type: 'string', default: 'localhost', description: 'Hostname this input gives in the handshake.' },
    { name: 'security.users', type: 'slist', multiple: true, description: "'username password' pairs clients must authenticate as (with shared_key)." },
    ...TLS_PROPERTIES,
  ],
  create: (context) => new ForwardInput(context),
};
