// Benchmark rows for `npm run bench -- pipeline`: forward -> wasm filter -> forward between two
// logwasm processes (`logwasm pipeline -c` each). This process sends records (PackedForward,
// 1000 per message, acked, a window of messages in flight) to the first process's forward
// input; that one filters and forwards them to the second process, which filters them again and
// forwards them back here, where they are counted. A row is the records (and msgpack bytes of
// the entries sent) per second from the first message sent to the last record received back,
// with the filter's `workers` at 1 and 2, on the interpreter and on an AOT artifact.
//
//   node bench/pipeline/forward.mjs [--records 200000] [--repeat 3]
//
// Used by bench/pipeline/run.mjs through forwardRows(); runs on its own too.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { encode } from '@msgpack/msgpack';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { ForwardSender, ForwardReceiver, encodePackedForward } = await import(path.join(root, 'dist', 'forward', 'index.js'));

const BATCH = 1000;
const WINDOW = 8;
const FILTER = { file: path.join(root, 'test', 'fixtures', 'c_filter_msgpack.wasm'), fn: 'c_filter_msgpack', format: 'msgpack' };

function entries(count, offset) {
  const parts = [];
  for (let i = 0; i < count; i++) {
    const time = new Uint8Array(10);
    time[0] = 0xd7;
    new DataView(time.buffer).setUint32(2, 1700000000 + ((offset + i) % 86400));
    new DataView(time.buffer).setUint32(6, (offset + i) % 1e9);
    parts.push(Buffer.from([0x92]), time, encode({ log: `GET /index.html HTTP/1.1 200 ${offset + i}`, level: 'info', host: 'web-1', bytes: 1024 + i, latency_ms: 12.5 }));
  }
  return Buffer.concat(parts);
}

/** A forward receiver here that counts records; resolves its port. */
async function startSink(onRecords) {
  const server = net.createServer((socket) => {
    new ForwardReceiver(socket, {
      bufferChunkSize: 1 << 20, bufferMaxSize: 64 << 20, maxInflatedSize: 1 << 30,
      log: { error: (m) => console.error(`sink: ${m}`), warn: () => {}, debug: () => {} },
      deliver: async (tag, events, records) => onRecords(records),
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: server.address().port };
}

/** Starts `logwasm pipeline -c` on a config; resolves with the port its forward input bound. */
function startLogwasm(configFile) {
  const child = spawn(process.execPath, [path.join(root, 'bin', 'logwasm'), 'pipeline', '-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (data) => {
      stderr += data;
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`logwasm pipeline exited (${code}) before listening:\n${stderr}`)));
  });
}

function config({ wasmPath, workers, outPort }) {
  return `[SERVICE]
    flush        0.05
    log_level    info

[INPUT]
    name              forward
    listen            127.0.0.1
    port              0
    buffer_max_size   64M
    buffer_chunk_size 1M

[FILTER]
    name           wasm
    match          *
    wasm_path      ${wasmPath}
    function_name  ${FILTER.fn}
    event_format   ${FILTER.format}
    workers        ${workers}

[OUTPUT]
    name                  forward
    match                 *
    host                  127.0.0.1
    port                  ${outPort}
    require_ack_response  on
    retry_limit           no_limits
`;
}

async function runOnce({ wasmPath, workers, records }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'logwasm-bench-forward-'));
  const children = [];
  let received = 0;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  const sink = await startSink((n) => {
    received += n;
    if (received >= records) done(performance.now());
  });
  try {
    writeFileSync(path.join(dir, 'aggregator.conf'), config({ wasmPath, workers, outPort: sink.port }));
    const aggregator = await startLogwasm(path.join(dir, 'aggregator.conf'));
    children.push(aggregator.child);
    writeFileSync(path.join(dir, 'forwarder.conf'), config({ wasmPath, workers, outPort: aggregator.port }));
    const forwarder = await startLogwasm(path.join(dir, 'forwarder.conf'));
    children.push(forwarder.child);
    const sender = await ForwardSender.open({ endpoint: { host: '127.0.0.1', port: forwarder.port }, connectTimeoutMs: 5000, responseTimeoutMs: 60000, keepAlive: true });
    const batches = [];
    let bytes = 0;
    for (let sent = 0; sent < records; sent += BATCH) {
      const body = entries(Math.min(BATCH, records - sent), sent);
      bytes += body.length;
      batches.push(body);
    }
    const start = performance.now();
    let next = 0;
    const lane = async () => {
      while (next < batches.length) {
        const index = next++;
        const chunk = `b${index}`;
        await sender.send(encodePackedForward('bench', batches[index], { chunk, size: BATCH }), chunk);
      }
    };
    await Promise.all(Array.from({ length: WINDOW }, lane));
    const end = await Promise.race([finished, new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${received} of ${records} records came back within 120 s`)), 120_000))]);
    sender.close();
    const seconds = (end - start) / 1000;
    return { recordsPerSecond: records / seconds, mbPerSecond: bytes / seconds / 1e6 };
  } finally {
    for (const child of children) child.kill('SIGKILL');
    sink.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The rows: workers 1 and 2, interpreter and (when `aotArtifact` gives one) AOT; best of `repeat`. */
export async function forwardRows({ records = 200_000, repeat = 3, aotArtifact, aotMissing, print = console.log } = {}) {
  print(`forward -> wasm filter -> forward (two logwasm processes, ${FILTER.fn} [${FILTER.format}], ${records} records, best of ${repeat})`);
  const tiers = [['interp', FILTER.file]];
  if (aotArtifact) tiers.push(['aot', aotArtifact(FILTER.file)]);
  const rows = [];
  for (const [tier, wasmPath] of tiers) {
    for (const workers of [1, 2]) {
      let best;
      for (let round = 0; round < repeat; round++) {
        const result = await runOnce({ wasmPath, workers, records });
        if (!best || result.recordsPerSecond > best.recordsPerSecond) best = result;
      }
      const row = `  ${tier.padEnd(6)} workers ${workers}: ${Math.round(best.recordsPerSecond).toLocaleString('en-US').padStart(10)} rec/s ${best.mbPerSecond.toFixed(1).padStart(7)} MB/s`;
      print(row);
      rows.push({ tier, workers, ...best });
    }
  }
  if (!aotArtifact && aotMissing) print(`  aot rows skipped: ${aotMissing}`);
  return rows;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const option = (name, fallback) => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : fallback; };
  const aotc = path.resolve(process.env.LOGWASM_AOTC || path.join(root, 'build', 'runtime', 'logwasm-aotc'));
  const aotArtifact = existsSync(aotc)
    ? (file) => {
        const out = path.join(root, 'build', 'bench', `pipeline-${path.basename(file, '.wasm')}.lwaot`);
        mkdirSync(path.dirname(out), { recursive: true });
        const result = spawnSync(aotc, ['-O3', '-o', out, file], { encoding: 'utf8' });
        if (result.status !== 0) throw new Error(`logwasm-aotc failed: ${result.stderr}`);
        return out;
      }
    : undefined;
  await forwardRows({ records: option('records', 200_000), repeat: option('repeat', 3), aotArtifact, aotMissing: `${aotc} not built (needs LLVM 19)` });
}
