// The server side of one forward connection: frames msgpack messages out of the byte stream
// (resuming the walk as bytes arrive), runs the shared-key handshake, hands each message's
// entries on in order, and acks a message's `chunk` only once its entries were accepted.
import type { Socket } from 'node:net';
import { FrameScanner, ForwardProtocolError } from './msgpack-scan.js';
import { EventsMessage, encodeAck, inflateEvents, parseClientMessage } from './messages.js';
import { ServerAuth, ServerHandshake, answerPing, createHelo } from './handshake.js';

export interface ReceiverLogger {
  error(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

export interface ReceiverOptions {
  /** The receive buffer grows in steps of this many bytes... */
  bufferChunkSize: number;
  /** ...up to this many: a message that does not fit closes the connection. */
  bufferMaxSize: number;
  /** Set: the client must pass the shared-key handshake first. */
  auth?: ServerAuth;
  /** Hands entries on; resolves once they are accepted (then the chunk is acked). */
  deliver(tag: string, events: Uint8Array, records: number, message: EventsMessage): Promise<void>;
  log: ReceiverLogger;
  /** Most bytes a CompressedPackedForward message may inflate to. */
  maxInflatedSize: number;
}

export interface ReceiverCounters {
  messages: number;
  records: number;
  invalid: number;
  unacked: number;
}

export class ForwardReceiver {
  private buffer: Buffer = Buffer.alloc(0);
  private length = 0;
  private readonly scanner = new FrameScanner();
  private handshake?: ServerHandshake;
  private authenticated: boolean;
  private closed = false;
  /** Messages start their delivery in arrival order (inflating one may take a while). */
  private ordered: Promise<void> = Promise.resolve();
  private readonly pending = new Set<Promise<void>>();
  private pendingBytes = 0;
  private enginePaused = false;
  private selfPaused = false;
  private stopping = false;
  private resumed?: { promise: Promise<void>; resolve(): void };
  readonly peer: string;
  readonly counters: ReceiverCounters = { messages: 0, records: 0, invalid: 0, unacked: 0 };

  constructor(
    private readonly socket: Socket,
    private readonly options: ReceiverOptions,
  ) {
    this.peer = socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : 'a unix socket client';
    this.authenticated = options.auth === undefined;
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('error', (error) => options.log.debug(`connection from ${this.peer}: ${error.message}`));
    socket.on('close', () => {
      this.closed = true;
      if (this.length > 0) options.log.debug(`${this.peer} closed the connection with ${this.length} bytes of an incomplete message (not acked, not delivered)`);
      this.length = 0;
      this.buffer = Buffer.alloc(0);
    });
    if (options.auth) {
      this.handshake = createHelo(options.auth);
      socket.write(this.handshake.helo);
    }
  }

  /** Engine backpressure: stop reading until resumed. */
  setPaused(paused: boolean): void {
    this.enginePaused = paused;
    if (!paused) this.wakeUp();
    this.updateFlow();
  }

  private wakeUp(): void {
    const resumed = this.resumed;
    this.resumed = undefined;
    resumed?.resolve();
  }

  /** Messages already read while the engine is paused wait for resume() instead of being
   *  refused (it would drop those without a chunk option). */
  private untilResumed(): Promise<void> {
    if (!this.enginePaused || this.stopping) return Promise.resolve();
    if (!this.resumed) {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => (resolve = done));
      this.resumed = { promise, resolve };
    }
    return this.resumed.promise;
  }

  private updateFlow(): void {
    if (this.closed) return;
    if (this.enginePaused || this.selfPaused) this.socket.pause();
    else this.socket.resume();
  }

  private onData(data: Buffer): void {
    if (this.closed) return;
    try {
      if (this.length === 0) {
        // common case: whole messages in this read, handed on without copying
        const used = this.takeFrames(data, data.length);
        if (used < data.length) this.keep(data.subarray(used));
      } else {
        // the limit applies to the incomplete message left once complete ones are taken
        this.keep(data, Infinity);
        const used = this.takeFrames(this.buffer, this.length);
        if (used > 0) {
          // the rest starts a fresh buffer: frames handed on keep referencing the old one
          const rest = this.buffer.subarray(used, this.length);
          this.buffer = Buffer.alloc(0);
          this.length = 0;
          if (rest.length > 0) this.keep(rest);
        } else if (this.length > this.options.bufferMaxSize) this.keep(new Uint8Array(0));
      }
    } catch (error) {
      this.fail(error);
    }
  }

  /** Appends to the receive buffer, growing it by buffer_chunk_size steps up to buffer_max_size. */
  private keep(bytes: Uint8Array, limit = this.options.bufferMaxSize): void {
    const need = this.length + bytes.length;
    if (need > limit) throw this.tooLarge(need);
    if (need > this.buffer.length) {
      const step = this.options.bufferChunkSize;
      const grown = Buffer.allocUnsafe(Math.max(need, Math.min(this.options.bufferMaxSize, Math.ceil(need / step) * step)));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.buffer.set(bytes, this.length);
    this.length = need;
  }

  private tooLarge(size: number): ForwardProtocolError {
    return new ForwardProtocolError(
      `a message from ${this.peer} is larger than buffer_max_size (${this.options.bufferMaxSize} bytes; ${size} received): closing the connection; raise buffer_max_size or have the client send smaller chunks`,
    );
  }

  /** Handles every complete frame of bytes[0..end); returns the bytes used. */
  private takeFrames(bytes: Buffer, end: number): number {
    let used = 0;
    while (used < end && !this.closed) {
      const frameLength = this.scanner.scan(bytes.subarray(used, end), end - used);
      if (frameLength < 0) break;
      if (frameLength > this.options.bufferMaxSize) throw this.tooLarge(frameLength);
      this.onFrame(bytes.subarray(used, used + frameLength));
      used += frameLength;
    }
    return used;
  }

  private onFrame(frame: Buffer): void {
    const message = parseClientMessage(frame);
    if (message.type === 'ping') {
      if (!this.options.auth || !this.handshake) throw new ForwardProtocolError(`${this.peer} sent a PING but shared_key is not set on this input`);
      const answer = answerPing(this.options.auth, this.handshake, message);
      this.socket.write(answer.pong);
      if (!answer.ok) {
        this.options.log.error(`${this.peer} (hostname '${message.clientHostname}') failed authentication: ${answer.reason}; closing the connection`);
        this.closed = true;
        this.socket.end();
        return;
      }
      this.authenticated = true;
      return;
    }
    if (!this.authenticated) throw new ForwardProtocolError(`${this.peer} sent events before the shared_key handshake (is shared_key set on the client?)`);
    this.counters.messages++;
    this.start(message, frame.length);
  }

  private start(message: EventsMessage, size: number): void {
    this.pendingBytes += size;
    if (this.pendingBytes > this.options.bufferMaxSize && !this.selfPaused) {
      this.selfPaused = true;
      this.updateFlow();
    }
    const started = this.ordered.then(async () => {
      const ready = await inflateEvents(message, this.options.maxInflatedSize);
      return { ready, delivery: this.deliver(ready) };
    });
    this.ordered = started.then(
      () => undefined,
      () => undefined,
    );
    const done = started
      .then(({ delivery }) => delivery)
      .catch((error) => this.fail(error))
      .finally(() => {
        this.pending.delete(done);
        this.pendingBytes -= size;
        if (this.selfPaused && this.pendingBytes <= this.options.bufferMaxSize / 2) {
          this.selfPaused = false;
          this.updateFlow();
        }
      });
    this.pending.add(done);
  }

  private async deliver(message: EventsMessage): Promise<void> {
    const { log } = this.options;
    if (message.invalid > 0) {
      this.counters.invalid += message.invalid;
      log.error(`${this.peer}: ${message.invalid} entr${message.invalid === 1 ? 'y' : 'ies'} of tag '${message.tag}' dropped (${message.problem})`);
    }
    const signal = message.option.fluent_signal;
    if (signal !== undefined && signal !== 0 && message.records > 0) {
      this.counters.invalid += message.records;
      log.error(`${this.peer}: ${message.records} ${signal === 1 ? 'metrics' : 'traces'} events dropped: the forward input takes logs only`);
    } else if (message.records > 0) {
      try {
        for (;;) {
          await this.untilResumed();
          try {
            await this.options.deliver(message.tag, message.events, message.records, message);
            break;
          } catch (error) {
            // paused between our check and the call: wait for resume and offer them again
            if ((error as { code?: string }).code !== 'LOGWASM_ERR_BUSY' || this.stopping) throw error;
            this.enginePaused = true;
            this.updateFlow();
          }
        }
      } catch (error) {
        this.counters.unacked += message.records;
        log.error(`${this.peer}: ${message.records} records of tag '${message.tag}' were not accepted${message.option.chunk !== undefined ? ' and are not acked (the client will resend them)' : ''}: ${(error as Error).message}`);
        return;
      }
      this.counters.records += message.records;
    }
    const chunk = message.option.chunk;
    if (chunk !== undefined && !this.closed && this.socket.writable) this.socket.write(encodeAck(chunk));
  }

  private fail(error: unknown): void {
    if (this.closed) return;
    this.closed = true;
    const text = error instanceof Error ? error.message : String(error);
    this.options.log.error(error instanceof ForwardProtocolError && text.includes(this.peer) ? text : `${this.peer}: ${text}; closing the connection`);
    this.socket.destroy();
  }

  /** Stops reading; resolves once every message already read has been delivered (and acked). */
  async drain(): Promise<void> {
    this.stopping = true;
    this.wakeUp();
    this.socket.pause();
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** drain(), then closes the connection. */
  async close(): Promise<void> {
    await this.drain();
    this.closed = true;
    this.socket.end();
    this.socket.destroySoon?.();
  }
}
