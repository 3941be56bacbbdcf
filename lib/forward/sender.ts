// The client side of one forward connection: connect (TCP, TLS or unix socket), the shared-key
// handshake when configured, then messages written one after another, each optionally waiting
// for the server's ack of its chunk id.
import type { Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { LogwasmError } from '../errors.js';
import { Endpoint, connect, describeEndpoint } from '../net/socket.js';
import { ClientAuth, checkPong, createPing, parseHelo } from './handshake.js';
import { parseAck } from './messages.js';
import { FrameScanner } from './msgpack-scan.js';

export interface SenderOptions {
  endpoint: Endpoint;
  tls?: ConnectionOptions;
  /** Set: run the shared-key handshake after connecting. */
  auth?: ClientAuth;
  connectTimeoutMs: number;
  /** How long to wait for a HELO/PONG, and for an ack. */
  responseTimeoutMs: number;
  keepAlive: boolean;
}

export class ForwardSender {
  private readonly scanner = new FrameScanner();
  private pendingBytes: Buffer = Buffer.alloc(0);
  private readonly frames: Uint8Array[] = [];
  private frameWaiter?: { resolve(frame: Uint8Array): void; reject(error: Error): void };
  private readonly ackWaiters = new Map<string, { resolve(): void; reject(error: Error): void }>();
  private failure?: Error;
  readonly name: string;

  private constructor(
    private readonly socket: Socket,
    private readonly options: SenderOptions,
  ) {
    this.name = describeEndpoint(options.endpoint);
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('error', (error) => this.broken(new LogwasmError(`connection to ${this.name}: ${error.message}`, 'LOGWASM_ERR_IO', { cause: error })));
    socket.on('end', () => this.broken(new LogwasmError(`${this.name} closed the connection`, 'LOGWASM_ERR_IO')));
    socket.on('close', () => this.broken(new LogwasmError(`connection to ${this.name} closed`, 'LOGWASM_ERR_IO')));
  }

  /** Connects and, with `auth`, completes the handshake. */
  static async open(options: SenderOptions): Promise<ForwardSender> {
    const socket = await connect({ endpoint: options.endpoint, tls: options.tls, timeoutMs: options.connectTimeoutMs, keepAlive: options.keepAlive });
    const sender = new ForwardSender(socket, options);
    if (options.auth) {
      try {
        const helo = parseHelo(await sender.nextFrame('a HELO'));
        const ping = createPing(options.auth, helo);
        socket.write(ping.ping);
        checkPong(options.auth, helo, ping, await sender.nextFrame('a PONG'));
      } catch (error) {
        sender.close();
        throw error instanceof LogwasmError ? error : new LogwasmError(`${sender.name}: ${(error as Error).message}`, 'LOGWASM_ERR_AUTH', { cause: error });
      }
    }
    return sender;
  }

  /** True while the connection can take another message. */
  get usable(): boolean {
    return this.failure === undefined && !this.socket.destroyed && this.socket.writable;
  }

  private onData(data: Buffer): void {
    let bytes = this.pendingBytes.length > 0 ? Buffer.concat([this.pendingBytes, data]) : data;
    try {
      for (;;) {
        const length = this.scanner.scan(bytes, bytes.length);
        if (length < 0) break;
        this.onFrame(bytes.subarray(0, length));
        bytes = bytes.subarray(length);
      }
    } catch (error) {
      this.broken(new LogwasmError(`${this.name} sent bytes that are not msgpack: ${(error as Error).message}`, 'LOGWASM_ERR_PROTOCOL'));
      return;
    }
    this.pendingBytes = Buffer.from(bytes);
  }

  private onFrame(frame: Uint8Array): void {
    const ack = this.ackWaiters.size > 0 ? parseAck(frame) : undefined;
    if (ack !== undefined) {
      const key = typeof ack === 'string' ? ack : Buffer.from(ack).toString('latin1');
      const waiter = this.ackWaiters.get(key);
      if (waiter) {
        this.ackWaiters.delete(key);
        waiter.resolve();
      }
      return;
    }
    if (this.frameWaiter) {
      const waiter = this.frameWaiter;
      this.frameWaiter = undefined;
      waiter.resolve(frame);
    } else this.frames.push(frame);
  }

  private nextFrame(what: string): Promise<Uint8Array> {
    const queued = this.frames.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.frameWaiter = undefined;
        reject(new LogwasmError(`${this.name} sent no ${what} within ${this.options.responseTimeoutMs} ms`, 'LOGWASM_ERR_TIMEOUT'));
      }, this.options.responseTimeoutMs);
      this.frameWaiter = {
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
  }

  private broken(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.frameWaiter?.reject(error);
    this.frameWaiter = undefined;
    for (const waiter of this.ackWaiters.values()) waiter.reject(error);
    this.ackWaiters.clear();
    this.socket.destroy();
  }

  /** Writes one message; with `ackChunk`, resolves only once the server acked that chunk id. */
  send(message: readonly Buffer[], ackChunk?: string): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      if (ackChunk !== undefined) {
        timer = setTimeout(() => {
          this.ackWaiters.delete(ackChunk);
          const error = new LogwasmError(`${this.name} did not ack chunk ${ackChunk} within ${this.options.responseTimeoutMs} ms`, 'LOGWASM_ERR_TIMEOUT');
          reject(error);
          // a late ack would belong to a message that is resent anyway: start afresh
          this.broken(error);
        }, this.options.responseTimeoutMs);
        this.ackWaiters.set(ackChunk, {
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
      }
      const last = message.length - 1;
      message.forEach((part, index) => {
        if (index < last) this.socket.write(part);
        else
          this.socket.write(part, (error) => {
            if (error) {
              clearTimeout(timer);
              reject(new LogwasmError(`writing to ${this.name}: ${error.message}`, 'LOGWASM_ERR_IO', { cause: error }));
            } else if (ackChunk === undefined) resolve();
          });
      });
    });
  }

  close(): void {
    if (!this.failure) this.failure = new LogwasmError(`connection to ${this.name} closed`, 'LOGWASM_ERR_CLOSED');
    this.socket.end();
    this.socket.destroySoon?.();
  }
}
