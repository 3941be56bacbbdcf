// A minimal Fluent Bit pipeline, enough to run a configuration with wasm plugins unchanged:
// inputs exec_wasi, stdin and dummy; wasm filters routed by match/match_regex; outputs stdout
// and null. Records flow in batches (one chunk per input run or stdin read) in input order, as
// msgpack chunk bytes from input to output: JSON input (dummy, stdin) is read natively and
// output JSON is written natively, so number kinds survive the whole way (120.0 stays a float).
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { EventTime } from './records/event-time.js';
import { encodeChunk } from './records/chunk.js';
import { chunkEntryFromJsonLine, chunkToJsonEvents, jsonToMsgpack } from './records/native-json.js';
import { Filter } from './filter.js';
import { LineParser, createParser } from './parsers.js';
import { runWasiLines } from './wasi.js';
import { LogwasmConfig, PluginConfig } from './config/index.js';
import { DateFormat, StdoutFormat, formatStdout } from './output.js';

export interface PipelineOptions {
  /** Where stdout outputs write (default process.stdout). */
  stdout?: NodeJS.WritableStream;
  /** Where the stdin input reads (default process.stdin). */
  stdin?: Readable;
  /** Log lines (errors, warnings); default: written to stderr. */
  log?: (level: 'error' | 'warn' | 'info', message: string) => void;
}

/** Fluent Bit's tag matching: '*' matches any run of characters. */
export function tagMatches(pattern: string, tag: string): boolean {
  const regex = new RegExp('^' + pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return regex.test(tag);
}

function routes(plugin: PluginConfig, tag: string): boolean {
  const props = plugin.properties;
  if (typeof props.match_regex === 'string') return new RegExp(props.match_regex).test(tag);
  if (typeof props.match === 'string') return tagMatches(props.match, tag);
  return false;
}

function label(plugin: PluginConfig): string {
  return (plugin.properties.alias as string | undefined) ?? plugin.name;
}

interface RunningFilter {
  config: PluginConfig;
  filter: Filter;
}

export class Pipeline {
  private readonly stdout: NodeJS.WritableStream;
  private readonly stdin: Readable;
  private readonly log: NonNullable<PipelineOptions['log']>;
  private filters: RunningFilter[] = [];
  private parsers = new Map<string, LineParser>();
  private stopped = false;
  private stopWaiters: (() => void)[] = [];
  private delivery: Promise<void> = Promise.resolve();
  private readonly counter = { n: 0 };

  constructor(
    readonly config: LogwasmConfig,
    options: PipelineOptions = {},
  ) {
    this.stdout = options.stdout ?? process.stdout;
    this.stdin = options.stdin ?? process.stdin;
    this.log = options.log ?? ((level, message) => process.stderr.write(`[${level}] ${message}\n`));
    for (const definition of config.parsers) this.parsers.set(definition.name, createParser(definition));
    if (config.outputs.length === 0) this.log('warn', 'no [OUTPUT] in the configuration: records go nowhere');
  }

  /** Load every wasm filter. Rejects with the first load error, naming the plugin's location. */
  async start(): Promise<void> {
    for (const config of this.config.filters) {
      const p = config.properties;
      try {
        const filter = await Filter.load({
          wasmPath: p.wasm_path as string,
          functionName: p.function_name as string,
          eventFormat: p.event_format as 'json' | 'msgpack',
          accessiblePaths: p.accessible_paths as string[],
          heapSize: Math.max(8192, p.wasm_heap_size as number),
          stackSize: p.wasm_stack_size as number,
          timeoutMs: p.wasm_timeout as number,
          maxMemory: p.wasm_max_memory as number,
          onError: p.on_error as 'drop' | 'keep',
          guestStdout: 'stderr',
          onLog: (message) => this.log('error', `[filter:wasm:${label(config)}] ${message}`),
        });
        this.filters.push({ config, filter });
      } catch (error) {
        this.close();
        const err = error as Error & { code?: string };
        err.message = `${config.file}:${config.line}: [FILTER] wasm: ${err.message}`;
        throw err;
      }
    }
  }

  /** Run until every input has finished (oneshot exec_wasi, dummy samples, stdin EOF) or stop(). */
  async run(): Promise<void> {
    if (this.filters.length === 0 && this.config.filters.length > 0) await this.start();
    try {
      await Promise.all(this.config.inputs.map((input, index) => this.runInput(input, index)));
      await this.delivery;
    } finally {
      this.close();
    }
  }

  stop(): void {
    this.stopped = true;
    for (const wake of this.stopWaiters.splice(0)) wake();
  }

  close(): void {
    for (const { filter } of this.filters) filter.close();
    this.filters = [];
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.stopWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private tagOf(input: PluginConfig, index: number): string {
    return (input.properties.tag as string | undefined) ?? `${input.name}.${index}`;
  }

  private runInput(input: PluginConfig, index: number): Promise<void> {
    const tag = this.tagOf(input, index);
    switch (input.name) {
      case 'exec_wasi':
        return this.runExecWasi(input, tag);
      case 'dummy':
        return this.runDummy(input, tag);
      case 'stdin':
        return this.runStdin(input, tag);
      default:
        return Promise.reject(new Error(`${input.file}:${input.line}: unsupported input '${input.name}'`));
    }
  }

  private async runExecWasi(input: PluginConfig, tag: string): Promise<void> {
    const p = input.properties;
    const parser = p.parser ? this.parsers.get(p.parser as string) : undefined;
    const intervalMs = (p.interval_sec as number) * 1000 + (p.interval_nsec as number) / 1e6;
    do {
      try {
        const { lines, now } = await runWasiLines({
          wasiPath: p.wasi_path as string,
          accessiblePaths: p.accessible_paths as string[],
          bufSize: p.buf_size as number,
          stackSize: p.wasm_stack_size as number,
        });
        const entries: Uint8Array[] = [];
        for (const line of lines) {
          if (!parser) {
            entries.push(encodeChunk([{ time: now, metadata: {}, body: { wasi_stdout: line } }]));
            continue;
          }
          const entry = this.parsedEntry(parser, line, now);
          if (entry) entries.push(entry);
          else this.log('error', `[input:exec_wasi:${label(input)}] exec_wasi: parser '${parser.name}' could not parse line: ${JSON.stringify(line.slice(0, 200))}`);
        }
        this.emit(tag, entries);
      } catch (error) {
        this.log('error', `[input:exec_wasi:${label(input)}] ${(error as Error).message}`);
      }
      if (p.oneshot || this.stopped) break;
      await this.sleep(Math.max(intervalMs, 1));
    } while (!this.stopped);
  }

  private async runDummy(input: PluginConfig, tag: string): Promise<void> {
    const p = input.properties;
    const body = (p.dummy as string).trim();
    const metadata = (p.metadata as string).trim();
    try {
      // checked once here; each sample is then the NDJSON event [[time, metadata], body]
      jsonToMsgpack(body);
      jsonToMsgpack(metadata);
    } catch (error) {
      this.log('error', `[input:dummy:${label(input)}] invalid dummy JSON: ${(error as Error).message}`);
      return;
    }
    const samples = p.samples as number;
    const startSec = p.start_time_sec as number;
    const fixed = p.fixed_timestamp as boolean;
    const base = startSec >= 0 ? new EventTime(startSec, Math.max(0, p.start_time_nsec as number)) : null;
    let sent = 0;
    while (!this.stopped && (samples === 0 || sent < samples)) {
      const entries: Uint8Array[] = [];
      try {
        for (let i = 0; i < (p.copies as number) && (samples === 0 || sent < samples); i++, sent++) {
          const time = fixed && base ? base : base && !fixed ? new EventTime(base.seconds + sent, base.nanoseconds) : EventTime.now();
          entries.push(chunkEntryFromJsonLine(`[[${time.toString()},${metadata}],${body}]`));
        }
      } catch (error) {
        this.log('error', `[input:dummy:${label(input)}] ${(error as Error).message}`);
        return;
      }
      this.emit(tag, entries);
      if (samples !== 0 && sent >= samples) break;
      await this.sleep(1000 / (p.rate as number));
    }
  }

  private async runStdin(input: PluginConfig, tag: string): Promise<void> {
    const p = input.properties;
    const parser = p.parser ? this.parsers.get(p.parser as string) : undefined;
    const lines = createInterface({ input: this.stdin, crlfDelay: Infinity });
    let lineNumber = 0;
    const pending: Uint8Array[] = []; // chunk entries
    const flush = () => {
      if (pending.length) this.emit(tag, pending.splice(0));
    };
    const timer = setInterval(flush, Math.max(this.config.service.flush * 1000, 50));
    try {
      for await (const line of lines) {
        lineNumber++;
        if (this.stopped) break;
        if (line.trim() === '') continue;
        if (parser) {
          const entry = this.parsedEntry(parser, line, EventTime.now());
          if (!entry) {
            this.log('error', `[input:stdin:${label(input)}] line ${lineNumber}: parser '${parser.name}' did not match`);
            continue;
          }
          pending.push(entry);
        } else {
          try {
            pending.push(chunkEntryFromJsonLine(line));
          } catch (error) {
            this.log('error', `[input:stdin:${label(input)}] line ${lineNumber}: ${(error as Error).message}`);
          }
        }
        if (pending.length >= 1000) flush();
      }
    } finally {
      clearInterval(timer);
      flush();
    }
  }

  /** A line through a parser as a chunk entry, built natively from the parser's JSON text so
   *  that number kinds survive (null when the parser rejects the line). */
  private parsedEntry(parser: LineParser, line: string, now: EventTime): Uint8Array | null {
    const parsed = parser.parseToJson(line);
    if (!parsed) return null;
    try {
      return chunkEntryFromJsonLine(`[[${(parsed.time ?? now).toString()},{}],${parsed.json}]`);
    } catch {
      return null; // a time EventTime cannot hold (before 1970, after 2106)
    }
  }

  /** Queue a batch (chunk entries) through the filters and outputs; batches are delivered in
   *  order. */
  private emit(tag: string, entries: Uint8Array[]): void {
    if (entries.length === 0) return;
    const chunk = entries.length === 1 ? entries[0] : Buffer.concat(entries);
    this.delivery = this.delivery.then(() => this.deliver(tag, chunk)).catch((error) => {
      this.log('error', `delivery failed: ${(error as Error).message}`);
    });
  }

  private async deliver(tag: string, input: Uint8Array): Promise<void> {
    let chunk = input;
    for (const { config, filter } of this.filters) {
      if (!routes(config, tag)) continue;
      chunk = await filter.filterChunkAsync(tag, chunk);
    }
    if (chunk.length === 0) return;
    const outputs = this.config.outputs.filter((output) => routes(output, tag) && output.name !== 'null');
    if (outputs.length === 0) return;
    const events = chunkToJsonEvents(chunk);
    for (const output of outputs) {
      const p = output.properties;
      const text = formatStdout(
        tag,
        events,
        { format: p.format as StdoutFormat, dateKey: p.json_date_key as string, dateFormat: p.json_date_format as DateFormat },
        this.counter,
      );
      if (!this.stdout.write(text)) await new Promise((resolve) => this.stdout.once('drain', resolve));
    }
  }
}
