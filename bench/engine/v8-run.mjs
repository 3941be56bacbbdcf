// Runs one wasm32-wasi program on node's own WebAssembly (V8) and reports how
// long it took, without node's start-up: the clock starts right before
// WebAssembly.instantiate(bytes) (so V8's compilation is included, as our
// interpreter's load+compile is) and stops when _start returns (or calls
// proc_exit). The guest's stdout is this process's stdout; the timing goes to
// stderr as one line "v8-run ms=<milliseconds> exit=<code>".
import fs from 'node:fs';
import { WASI } from 'node:wasi';

const wasmPath = process.argv[2];
if (!wasmPath) {
  process.stderr.write('usage: node v8-run.mjs program.wasm\n');
  process.exit(2);
}
const bytes = fs.readFileSync(wasmPath);
const wasi = new WASI({ version: 'preview1', args: [wasmPath], env: {}, returnOnExit: true });

const started = process.hrtime.bigint();
const { instance } = await WebAssembly.instantiate(bytes, wasi.getImportObject());
const exitCode = wasi.start(instance);
const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;

process.stderr.write(`v8-run ms=${elapsedMs.toFixed(3)} exit=${exitCode}\n`);
process.exitCode = exitCode;
