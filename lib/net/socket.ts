// Listening and connecting for network plugins: TCP, TLS or a unix socket, with errors that say
// which address failed and why.
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { LogwasmError } from '../errors.js';
import { refuseUnverifiedClient } from './tls.js';

export type Endpoint = { host: string; port: number } | { path: string };

export function describeEndpoint(endpoint: Endpoint): string {
  return 'path' in endpoint ? `unix:${endpoint.path}` : `${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}`;
}

export interface ListenOptions {
  endpoint: Endpoint;
  /** Octal text ('0660') for a unix socket's permissions. */
  unixPerm?: string;
  tls?: tls.TlsOptions;
  /** Called for each accepted connection (after the TLS handshake). */
  onConnection(socket: net.Socket): void;
  /** TLS handshake failures and refused client certificates. */
  onClientError?(message: string): void;
}

export interface Listener {
  readonly server: net.Server;
  /** The address bound: host:port (port resolved when 0 was asked) or the unix path. */
  readonly endpoint: Endpoint;
  close(): Promise<void>;
}

function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // nothing there
  }
}

export function listen(options: ListenOptions): Promise<Listener> {
  const { endpoint } = options;
  const tlsOptions = options.tls;
  const server = tlsOptions
    ? tls.createServer(tlsOptions, (socket) => {
        const refused = refuseUnverifiedClient(socket, tlsOptions);
        if (refused !== undefined) options.onClientError?.(`refused a client certificate from ${socket.remoteAddress}: ${refused}`);
        else options.onConnection(socket);
      })
    : net.createServer((socket) => options.onConnection(socket));
  if (tlsOptions) server.on('tlsClientError', (error: Error, socket: tls.TLSSocket) => options.onClientError?.(`TLS handshake with ${socket.remoteAddress ?? 'a client'} failed: ${error.message}`));
  if ('path' in endpoint) removeStaleSocket(endpoint.path);
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const hint = error.code === 'EADDRINUSE' ? ' (the address is in use: another process listens there)' : error.code === 'EACCES' ? ' (permission denied)' : '';
      reject(new LogwasmError(`cannot listen on ${describeEndpoint(endpoint)}: ${error.message}${hint}`, 'LOGWASM_ERR_IO', { cause: error }));
    };
    server.once('error', onError);
    const ready = () => {
      server.off('error', onError);
      let bound: Endpoint = endpoint;
      if ('path' in endpoint) {
        if (options.unixPerm) {
          try {
            chmodSync(endpoint.path, parseInt(options.unixPerm, 8));
          } catch (error) {
            server.close();
            reject(new LogwasmError(`cannot set unix_perm ${options.unixPerm} on ${endpoint.path}: ${(error as Error).message}`, 'LOGWASM_ERR_IO'));
            return;
          }
        }
      } else {
        const address = server.address() as net.AddressInfo;
        bound = { host: endpoint.host, port: address.port };
      }
      resolve({
        server,
        endpoint: bound,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            if ('path' in endpoint) removeStaleSocket(endpoint.path);
          }),
      });
    };
    if ('path' in endpoint) server.listen(endpoint.path, ready);
    else server.listen(endpoint.port, endpoint.host, ready);
  });
}

export interface ConnectOptions {
  endpoint: Endpoint;
  tls?: tls.ConnectionOptions;
  timeoutMs: number;
  /** TCP keep-alive probes on the connection. */
  keepAlive?: boolean;
}

/** Connects (and completes the TLS handshake); rejects with a LogwasmError naming the peer. */
export function connect(options: ConnectOptions): Promise<net.Socket> {
  const { endpoint } = options;
  return new Promise((resolve, reject) => {
    const target = 'path' in endpoint ? { path: endpoint.path } : { host: endpoint.host, port: endpoint.port };
    const socket: net.Socket = options.tls ? tls.connect({ ...target, ...options.tls }) : net.connect(target);
    const readyEvent = options.tls ? 'secureConnect' : 'connect';
    const timer = setTimeout(() => fail(new Error(`no connection after ${options.timeoutMs} ms`)), options.timeoutMs);
    function fail(error: Error) {
      clearTimeout(timer);
      socket.destroy();
      reject(new LogwasmError(`cannot connect to ${describeEndpoint(endpoint)}: ${error.message}`, 'LOGWASM_ERR_IO', { cause: error }));
    }
    socket.once('error', fail);
    socket.once(readyEvent, () => {
      clearTimeout(timer);
      socket.off('error', fail);
      if (options.keepAlive) socket.setKeepAlive(true, 30_000);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}
