// The contract between the pipeline engine and its input and output plugins. The engine owns
// buffering, routing, filters, storage, retries, metrics and shutdown; a plugin only moves
// records between the outside world and the engine. Each plugin is one file under
// lib/pipeline/inputs/ or lib/pipeline/outputs/ exporting a definition, listed by name in
// lib/pipeline/registry.ts. Changes here must stay backward compatible (add, don't change).

/** How a configured value (classic text, or a YAML scalar/list) is converted: Fluent Bit's
 *  config-map types. Conversion errors are reported by the engine with file:line. */
export type PropertyType =
  | 'string'
  | 'int'
  | 'double'
  | 'bool' // on/off, true/false, yes/no
  | 'size' // 8192, 64K, 1M, 2G (1024-based) -> bytes
  | 'time' // seconds: 5, 1.5, 10s, 2m, 1h, 1d -> seconds (a number)
  | 'clist' // comma-separated (or a YAML list) -> string[]
  | 'slist'; // space-separated (or a YAML list) -> string[]

export interface PropertySpec {
  /** Fluent Bit's name, lower case, as documented: 'buffer_chunk_size', 'tls.verify'. */
  readonly name: string;
  readonly type: PropertyType;
  /** The default, written as it would be in a config file ('32K', 'on', '0'), converted like a
   *  configured value; undefined: no value unless configured. */
  readonly default?: string;
  /** May be given several times; the property's value is then an array of converted values. */
  readonly multiple?: boolean;
  readonly required?: boolean;
  /** false: accepted because Fluent Bit documents it, but logwasm does not act on it; the engine
   *  prints one warning at start-up naming it. */
  readonly honoured?: boolean;
  readonly description: string;
}

export interface PluginLogger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

export interface PluginContext {
  /** The instance's name as Fluent Bit prints it: 'forward.0', or its alias. */
  readonly id: string;
  /** Converted values by property name (defaults filled in), the plugin's own and the common
   *  ones (tag, match, alias, ...). */
  readonly properties: Readonly<Record<string, unknown>>;
  /** Messages prefixed with the instance and filtered by its log_level. */
  readonly log: PluginLogger;
  /** Aborted when the pipeline stops (or this instance is being replaced by a reload). */
  readonly signal: AbortSignal;
}

export interface InputContext extends PluginContext {
  /** The `tag` property, or Fluent Bit's default for this instance. */
  readonly tag: string;
  /**
   * Hands records to the engine. `events` is msgpack: one or more Fluent Bit event entries
   * ([[EventTime, metadata], body], or the older [time, body]) concatenated; `records` counts
   * them. Resolves once the engine has accepted them: filtered and buffered, and written to the
   * chunk file when the input has `storage.type filesystem`. Only then may a protocol
   * acknowledge them (forward's ack, http's 201). Rejects with a LogwasmError when they were not
   * accepted (the pipeline is stopping, a limit was hit): the plugin must then not acknowledge.
   */
  append(tag: string, events: Uint8Array, records: number): Promise<void>;
  /** True while the engine applies backpressure to this input (over mem_buf_limit, or
   *  storage.max_chunks_up): sources that can wait stop reading. pause()/resume() are called on
   *  the instance at the same moments. */
  readonly paused: boolean;
}

export interface InputInstance {
  /** Opens listeners, files, timers. Resolves when the input is ready (a server listens). */
  start(): Promise<void>;
  /** Backpressure: stop reading until resume(). */
  pause?(): void;
  resume?(): void;
  /** Stops taking new data (close listeners, stop timers); resolves once everything already
   *  read has been passed to append() and those calls have settled. */
  stop(): Promise<void>;
  /** For inputs that end on their own (dummy with samples, stdin at end of file, a oneshot
   *  exec_wasi): settles when they have. A pipeline whose inputs have all finished ends. */
  readonly finished?: Promise<void>;
}

export interface OutputChunk {
  readonly tag: string;
  /** msgpack event entries, as appended by the input and changed by the filters. */
  readonly data: Buffer;
  readonly records: number;
  /** Stable across retries and restarts (the chunk file's name with filesystem storage). */
  readonly id: string;
}

/** Fluent Bit's FLB_OK, FLB_RETRY (the engine retries with backoff up to retry_limit) and
 *  FLB_ERROR (the chunk is dropped for this output, counted and logged). */
export type FlushResult = 'ok' | 'retry' | 'error';

export type OutputContext = PluginContext;

export interface OutputInstance {
  start(): Promise<void>;
  /** Delivers one chunk. Called for one chunk at a time per worker (`workers`). */
  flush(chunk: OutputChunk): Promise<FlushResult>;
  /** Ends connections after the last flush has settled. */
  stop(): Promise<void>;
}

interface PluginDefinitionBase {
  /** The name configs use: 'forward', 'tail', 'stdout'. */
  readonly name: string;
  readonly description: string;
  /** The plugin's own properties; the common ones (name, alias, tag, match, match_regex,
   *  log_level, mem_buf_limit, storage.*, retry_limit, workers, threaded, ...) are the engine's. */
  readonly properties: readonly PropertySpec[];
}

export interface InputPlugin extends PluginDefinitionBase {
  readonly kind: 'input';
  create(context: InputContext): InputInstance;
}

export interface OutputPlugin extends PluginDefinitionBase {
  readonly kind: 'output';
  create(context: OutputContext): OutputInstance;
}
