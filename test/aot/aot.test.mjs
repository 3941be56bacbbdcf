// The AOT tier end to end: logwasm-aotc compiles wasm to a .lwaot artifact, logwasm-aot-run
// loads it with the runtime and calls exports. Checks instruction semantics and traps, C
// programs against the same C compiled natively, the loader's refusals (wrong architecture,
// corrupt file, WAMR file, other versions, missing CPU features), interrupts and call depth,
// and aarch64 code under qemu when the cross tools are installed.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const programs = path.join(here, 'programs');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'logwasm-aot-'));
const hostArch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
const otherArch = hostArch === 'x86_64' ? 'aarch64' : 'x86_64';

let aotc, runner;

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

function buildTools() {
  if (process.env.LOGWASM_AOT_BUILD_DIR) {
    const dir = process.env.LOGWASM_AOT_BUILD_DIR;
    return [path.join(dir, 'logwasm-aotc'), path.join(dir, 'logwasm-aot-run')];
  }
  // the project's own build (npm run build:runtime), brought up to date
  const dir = path.join(root, 'build', 'runtime');
  execFileSync('cmake', ['-S', root, '-B', dir, '-DCMAKE_BUILD_TYPE=Release'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  execFileSync('cmake', ['--build', dir, '-j2'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return [path.join(dir, 'logwasm-aotc'), path.join(dir, 'logwasm-aot-run')];
}

function compile(wasm, out, extra = []) {
  const r = spawnSync(aotc, [...extra, '-o', out, wasm], { encoding: 'utf8' });
  assert.equal(r.status, 0, `logwasm-aotc failed: ${r.stderr}`);
  return out;
}

// Runs an export; returns stdout trimmed ("42", "trap: ...", "error: ...").
function run(file, fn, args = [], opts = [], exe = [runner]) {
  const r = spawnSync(exe[0], [...exe.slice(1), ...opts, file, fn, ...args.map(String)], {
    encoding: 'utf8',
  });
  assert.ok(r.status !== null, `runner died with ${r.signal}: ${r.stderr}`);
  return r.stdout.trim();
}

// ---- .lwaot layout helpers (docs/aot-format.md) ------------------------------------------------

const CRC64_POLY = 0xc96c5795d7870f42n;
const crcTable = (() => {
  const t = [];
  for (let i = 0n; i < 256n; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ CRC64_POLY : c >> 1n;
    t.push(c);
  }
  return t;
})();
function crc64(buf) {
  let crc = 0xffffffffffffffffn;
  for (const b of buf) crc = crcTable[Number((crc ^ BigInt(b)) & 0xffn)] ^ (crc >> 8n);
  return crc ^ 0xffffffffffffffffn;
}
// Recompute the checksum after editing a header field, so a test reaches the check after it.
function reseal(buf) {
  buf.writeBigUInt64LE(0n, 40);
  buf.writeBigUInt64LE(crc64(buf), 40);
  return buf;
}
function sections(buf) {
  const count = buf.readUInt32LE(28);
  const out = {};
  for (let i = 0; i < count; i++) {
    const e = 64 + i * 24;
    out[buf.readUInt32LE(e)] = {
      offset: Number(buf.readBigUInt64LE(e + 8)),
      length: Number(buf.readBigUInt64LE(e + 16)),
    };
  }
  return out;
}

// ---- fixtures ----------------------------------------------------------------------------------

const semWasm = path.join(work, 'semantics.wasm');
const kernelsWasm = path.join(work, 'kernels.wasm');
const kernelsNative = path.join(work, 'kernels-native');
let semAot, kernelsAot;

before(() => {
  [aotc, runner] = buildTools();
  execFileSync('wat2wasm', [path.join(programs, 'semantics.wat'), '-o', semWasm]);
  execFileSync('clang-14', [
    '--target=wasm32', '-O2', '-nostdlib', '-Wl,--no-entry', '-o', kernelsWasm,
    path.join(programs, 'kernels.c'),
  ]);
  execFileSync('gcc', ['-O2', '-o', kernelsNative, path.join(programs, 'kernels_main.c'), '-lm']);
  semAot = compile(semWasm, path.join(work, 'semantics.lwaot'));
  kernelsAot = compile(kernelsWasm, path.join(work, 'kernels.lwaot'));
});

// [export, args, expected output]: values from the WebAssembly spec's definitions.
const semanticsCases = [
  ['div_s', [7, -2], '-3'],
  ['div_s', [-2147483648, -1], "trap: integer overflow in function 'div_s'"],
  ['div_s', [1, 0], "trap: integer divide by zero in function 'div_s'"],
  ['div_u', [7, 0], "trap: integer divide by zero in function 'div_u'"],
  ['rem_s', [-2147483648, -1], '0'],
  ['rem_s', [-7, 2], '-1'],
  ['rem_u64', [10, 0], "trap: integer divide by zero in function 'rem_u64'"],
  ['div_s64', ['-9223372036854775808', -1], "trap: integer overflow in function 'div_s64'"],
  ['rem_s64', ['-9223372036854775808', -1], '0'],
  ['shl', [1, 33], '2'],
  ['shr_s64', [-16, 66], '-4'],
  ['rotl', ['0x80000001', 1], '3'],
  ['rotr64', [1, 1], '-9223372036854775808'],
  ['clz', [0], '32'],
  ['clz', [1], '31'],
  ['ctz64', [0], '64'],
  ['popcnt', [-1], '32'],
  ['extend8', ['0x80'], '-128'],
  ['extend32_64', ['0x80000000'], '-2147483648'],
  ['eqz64', [0], '1'],
  ['lt_u', [-1, 1], '0'],
  ['ge_s64', [-1, 1], '0'],
  ['fmin', ['0', '-0'], '-0'],
  ['fmin', ['nan', '1'], 'nan'],
  ['fmax32', ['-0', '0'], '0'],
  ['nearest', ['2.5'], '2'],
  ['nearest', ['-0.5'], '-0'],
  ['nearest32', ['3.5'], '4'],
  ['floor', ['-1.5'], '-2'],
  ['ceil32', ['-0.5'], '-0'],
  ['trunc', ['-1.7'], '-1'],
  ['sqrt', ['2'], '1.4142135623730951'],
  ['copysign', ['3', '-0'], '-3'],
  ['fne', ['nan', 'nan'], '1'],
  ['trunc_s', ['2147483647.9'], '2147483647'],
  ['trunc_s', ['2147483648'], "trap: integer overflow in function 'trunc_s'"],
  ['trunc_s', ['-2147483648.9'], '-2147483648'],
  ['trunc_s', ['-2147483649'], "trap: integer overflow in function 'trunc_s'"],
  ['trunc_s', ['nan'], "trap: invalid conversion to integer in function 'trunc_s'"],
  ['trunc_u', ['-0.9'], '0'],
  ['trunc_u', ['-1'], "trap: integer overflow in function 'trunc_u'"],
  ['trunc_u', ['4294967040'], '-256'],
  ['trunc_s64', ['9.2233720368547758e18'], "trap: integer overflow in function 'trunc_s64'"],
  ['trunc_sat_s', ['1e10'], '2147483647'],
  ['trunc_sat_s', ['nan'], '0'],
  ['trunc_sat_u64', ['-5'], '0'],
  ['convert_u64', [-1], '1.8446744073709552e+19'],
  ['demote', ['1e300'], 'inf'],
  ['reinterpret', ['-0'], '-2147483648'],
  ['br_table', [0], '101'],
  ['br_table', [1], '102'],
  ['br_table', [2], '103'],
  ['br_table', [3], '100'],
  ['br_table', [99], '100'],
  ['multi', [4], '35'],
  ['loop_params', [100], '5050'],
  ['if_else', [0], '20'],
  ['if_else', [5], '10'],
  ['dead_code', [0], '5'],
  ['select', [1, 2, 0], '2'],
  ['select', [1, 2, 3], '1'],
  ['unreachable', [], "trap: unreachable in function 'unreachable'"],
  ['recurse', [0], "trap: call stack exhausted in function 'recurse'"],
  ['fib', [25], '75025'],
  ['spin', [1000000], '1000000'],
  ['call_indirect', [0, 41], '42'],
  ['call_indirect', [1, 41], '82'],
  ['call_indirect', [2, 41], "trap: indirect call type mismatch in function 'call_indirect'"],
  ['call_indirect', [3, 41], "trap: uninitialized element in function 'call_indirect'"],
  ['call_indirect', [4, 41], "trap: undefined element in function 'call_indirect'"],
  ['host_add', [40, 2], '42'],
  ['host_trap', [], 'trap: host_trap was called'],
  ['reenter', [10], '1110'],
  ['load', [65532], '0'],
  ['load', [65533], "trap: out of bounds memory access in function 'load'"],
  ['load', [-1], "trap: out of bounds memory access in function 'load'"],
  ['load_off', [0], "trap: out of bounds memory access in function 'load_off'"],
  ['store_load', [5, 255], '-1'],
  ['grow', [1], '1'],
  ['grow', [5], '-1'],
  ['grow_then_load', [], '44'],
  ['fill_copy', [], '1094795585'],
  ['fill_oob', [], "trap: out of bounds memory access in function 'fill_oob'"],
  ['init', [0], '104'],
  ['init', [8], "trap: out of bounds memory access in function 'init'"],
  ['drop_init', [], "trap: out of bounds memory access in function 'drop_init'"],
  ['counter', [], '2'],
  ['big', [], '78187493520'],
  ['pi', [], '3.1415926535897931'],
  ['table_ops', [], '46'],
  ['table_get_oob', [], "trap: out of bounds table access in function 'table_get_oob'"],
];

describe('compiled code follows the WebAssembly semantics', () => {
  for (const [fn, args, expected] of semanticsCases) {
    test(`${fn}(${args.join(', ')}) = ${expected}`, () => {
      assert.equal(run(semAot, fn, args), expected);
    });
  }

  test('compiled code and the interpreter agree on every case', () => {
    for (const [fn, args] of semanticsCases)
      assert.equal(run(semAot, fn, args), run(semWasm, fn, args), `${fn}(${args})`);
  });
});

const kernelCases = [
  ['fib', 24],
  ['sieve', 200000],
  ['matmul', 2],
  ['crc32', 100000],
  ['qsort_ind', 20000],
  ['nbody', 2000],
  ['hashmap', 30000],
];

function native(name, arg) {
  return execFileSync(kernelsNative, [name, String(arg)], { encoding: 'utf8' }).trim();
}

describe('C programs compiled to wasm give the native results', () => {
  for (const [name, arg] of kernelCases) {
    test(`${name}(${arg})`, () => {
      assert.equal(run(kernelsAot, name, [arg]), native(name, arg));
    });
  }

  test('compiled in three parts on three threads', () => {
    const file = compile(kernelsWasm, path.join(work, 'kernels-jobs3.lwaot'), ['--jobs', '3']);
    for (const [name, arg] of kernelCases)
      assert.equal(run(file, name, [arg]), native(name, arg), `${name} with --jobs 3`);
    const sem = compile(semWasm, path.join(work, 'semantics-jobs3.lwaot'), ['--jobs', '3']);
    for (const [fn, args, expected] of semanticsCases) {
      if (fn === 'spin' || fn === 'recurse') continue;
      assert.equal(run(sem, fn, args), expected, `${fn}(${args}) with --jobs 3`);
    }
  });

  for (const level of ['-O0', '-O1']) {
    test(`at ${level} too`, () => {
      const file = compile(kernelsWasm, path.join(work, `kernels${level}.lwaot`), [level]);
      for (const [name, arg] of kernelCases)
        assert.equal(run(file, name, [arg]), native(name, arg), `${name} at ${level}`);
    });
  }
});

describe('the loader refuses what it cannot run, and says why', () => {
  test('an artifact passes lw_aot_check', () => {
    assert.equal(spawnSync(runner, ['--check', semAot], { encoding: 'utf8' }).stdout.trim(), 'ok');
  });

  test('the artifact carries the source wasm and its SHA-256', () => {
    const art = fs.readFileSync(semAot);
    assert.equal(art.subarray(0, 8).toString('latin1'), '\x89LWAOT\r\n');
    assert.equal(Number(art.readBigUInt64LE(32)), art.length);
    const wasmSec = sections(art)[1];
    const sha = art.subarray(wasmSec.offset, wasmSec.offset + 32);
    const wasm = art.subarray(wasmSec.offset + 32, wasmSec.offset + wasmSec.length);
    assert.deepEqual(wasm, fs.readFileSync(semWasm));
    assert.deepEqual(sha, crypto.createHash('sha256').update(wasm).digest());
    // the checksum is CRC-64/XZ over the file with the checksum field zeroed
    assert.equal(reseal(Buffer.from(art)).readBigUInt64LE(40), art.readBigUInt64LE(40));
  });

  test(`code for ${otherArch}`, () => {
    const file = compile(semWasm, path.join(work, 'other.lwaot'), ['--target', otherArch]);
    assert.equal(
      run(file, 'fib', [5]),
      `error: AOT artifact was compiled for ${otherArch}, but this machine is ${hostArch}: ` +
        `recompile the .wasm with \`logwasm-aotc --target ${hostArch}\`, or load the .wasm itself`,
    );
  });

  test('a flipped bit in the code', () => {
    const art = fs.readFileSync(semAot);
    const code = sections(art)[3];
    art[code.offset + 17] ^= 0x10;
    const file = path.join(work, 'corrupt.lwaot');
    fs.writeFileSync(file, art);
    assert.match(run(file, 'fib', [5]), /^error: AOT artifact checksum mismatch .*corrupt; recompile/);
  });

  test('a truncated file', () => {
    const art = fs.readFileSync(semAot);
    const file = path.join(work, 'truncated.lwaot');
    fs.writeFileSync(file, art.subarray(0, art.length - 100));
    assert.match(run(file, 'fib', [5]), /^error: AOT artifact is \d+ bytes but its header says \d+/);
  });

  test('a WAMR AOT file', () => {
    const file = path.join(work, 'wamr.aot');
    const wamr = Buffer.alloc(256);
    wamr.write('\0aot', 0, 'latin1');
    wamr.writeUInt32LE(5, 4);
    fs.writeFileSync(file, wamr);
    assert.match(run(file, 'fib', [5]), /^error: this is a WAMR AOT file .*logwasm-aotc -o plugin\.lwaot plugin\.wasm/);
  });

  test('another format version', () => {
    const art = fs.readFileSync(semAot);
    art.writeUInt32LE(99, 8);
    const file = path.join(work, 'v99.lwaot');
    fs.writeFileSync(file, reseal(art));
    assert.match(run(file, 'fib', [5]), /^error: AOT artifact format version 99, this logwasm reads version 1: recompile/);
  });

  test('another runtime ABI', () => {
    const art = fs.readFileSync(semAot);
    art.writeUInt32LE(art.readUInt32LE(12) + 1, 12);
    const file = path.join(work, 'abi.lwaot');
    fs.writeFileSync(file, reseal(art));
    assert.match(run(file, 'fib', [5]), /^error: AOT artifact was built for runtime ABI \d+ .*recompile it/);
  });

  test('a CPU feature this machine lacks', (t) => {
    const flags = fs.readFileSync('/proc/cpuinfo', 'utf8');
    if (hostArch !== 'x86_64' || /\bavx512_fp16\b/.test(flags)) {
      t.skip('needs an x86_64 host without AVX512-FP16');
      return;
    }
    const file = compile(semWasm, path.join(work, 'spr.lwaot'), ['--cpu', 'sapphirerapids']);
    assert.match(
      run(file, 'fib', [5]),
      /^error: AOT artifact needs CPU feature '[a-z0-9.]+' \(compiled for cpu 'sapphirerapids'\), which this CPU lacks/,
    );
  });

  test('a plain wasm module is not an artifact', () => {
    assert.match(spawnSync(runner, ['--check', semWasm], { encoding: 'utf8' }).stdout, /bad magic/);
  });
});

describe('interrupts and call depth', () => {
  test('a deadline stops a long loop', () => {
    const start = Date.now();
    assert.equal(run(semAot, 'spin', [2000000000], ['--deadline-ms', '100']), "trap: interrupted in function 'spin'");
    assert.ok(Date.now() - start < 5000);
  });

  test('a deadline stops deep recursion without loops', () => {
    assert.equal(run(kernelsAot, 'fib', [45], ['--deadline-ms', '100']), "trap: interrupted in function 'fib'");
  });

  test('the store call-depth limit applies to compiled calls', () => {
    assert.equal(run(semAot, 'fib', [10], ['--depth', '50']), '55');
    assert.equal(run(semAot, 'recurse', [0], ['--depth', '50']), "trap: call stack exhausted in function 'recurse'");
  });
});

describe('aarch64 code under qemu', () => {
  const ready = have('qemu-aarch64') && have('aarch64-linux-gnu-gcc') && fs.existsSync('/usr/aarch64-linux-gnu');
  let qemuRunner;
  const qemu = (cpu) => ['qemu-aarch64', '-cpu', cpu, '-L', '/usr/aarch64-linux-gnu', qemuRunner];

  test('cross-built runner runs cortex-a57 code', { skip: !ready && 'needs qemu-aarch64 and gcc-aarch64-linux-gnu' }, () => {
    qemuRunner = execFileSync(path.join(here, 'build-aarch64.sh'), [path.join(root, 'build', 'runtime-aarch64')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
    const sem = compile(semWasm, path.join(work, 'sem-a64.lwaot'), ['--target', 'aarch64', '--cpu', 'cortex-a57']);
    for (const [fn, args, expected] of semanticsCases) {
      if (fn === 'spin' || fn === 'recurse') continue; // slow under emulation
      assert.equal(run(sem, fn, args, [], qemu('cortex-a57')), expected, `${fn}(${args})`);
    }
    const kernels = compile(kernelsWasm, path.join(work, 'kernels-a64.lwaot'), ['--target', 'aarch64', '--cpu', 'cortex-a57']);
    for (const [name, arg] of kernelCases)
      assert.equal(run(kernels, name, [arg], [], qemu('cortex-a57')), native(name, arg), name);
  });

  // npm run spec -- --tier aot --arch aarch64: cortex-a57 code on an emulated cortex-a57
  test('the spec testsuite passes on aarch64 code', {
    skip: !ready && 'needs qemu-aarch64', timeout: 900000,
  }, (t) => {
    if (!qemuRunner) {
      t.skip('the cross-built runner is missing (see the test above)');
      return;
    }
    assertSpecPasses(['--tier', 'aot', '--arch', 'aarch64', '--aotc', aotc,
      '--runner', path.join(path.dirname(qemuRunner), 'logwasm-spec')], t);
  });

  test('code for a newer core is refused on cortex-a57', { skip: !ready && 'needs qemu-aarch64' }, () => {
    const file = compile(semWasm, path.join(work, 'v1.lwaot'), ['--target', 'aarch64', '--cpu', 'neoverse-v1']);
    assert.match(
      run(file, 'fib', [5], [], qemu('cortex-a57')),
      /^error: AOT artifact needs CPU feature '[a-z0-9.-]+' \(compiled for cpu 'neoverse-v1'\), which this CPU lacks/,
    );
  });
});

// Runs test/spec/run.mjs with args and asserts its closing line reports no failure.
function assertSpecPasses(args, t) {
  const suite = process.env.WASM_TESTSUITE ?? path.resolve(root, '..', 'shared', 'wasm-testsuite');
  if (!fs.existsSync(suite)) {
    t.skip(`no testsuite at ${suite}`);
    return;
  }
  const r = spawnSync('node', [path.join(root, 'test', 'spec', 'run.mjs'), ...args], { encoding: 'utf8' });
  const summary = r.stdout.trim().split('\n').pop();
  t.diagnostic(summary);
  const m = /^spec: (\d+) passed, (\d+) failed/.exec(summary);
  assert.ok(m, `unexpected spec output: ${r.stdout.slice(-2000)}${r.stderr}`);
  assert.equal(Number(m[2]), 0, r.stdout.slice(-4000));
  assert.ok(Number(m[1]) > 20000, summary);
  assert.equal(r.status, 0, r.stderr);
}

describe('the WebAssembly spec testsuite on compiled code', () => {
  // npm run spec -- --tier aot
  test('every non-SIMD assertion passes', { timeout: 900000 }, (t) => {
    assertSpecPasses(['--tier', 'aot', '--aotc', aotc, '--runner', path.join(path.dirname(runner), 'logwasm-spec')], t);
  });
});

test('deep recursion traps before the native stack runs out', () => {
  // a call-depth limit far beyond what the native stack holds: the stack-pointer check fires
  assert.equal(run(semAot, 'recurse', [0], ['--depth', '100000000']), "trap: call stack exhausted in function 'recurse'");
});

describe('the Fluent Bit example plugins run from artifacts', () => {
  const expectedPath = path.join(root, 'examples', 'expected.json');
  const expected = fs.existsSync(expectedPath) ? JSON.parse(fs.readFileSync(expectedPath, 'utf8')) : null;
  let filterTest;
  before(() => {
    filterTest = path.join(path.dirname(runner), 'logwasm-fluentbit-test');
    if (!process.env.LOGWASM_AOT_BUILD_DIR)
      spawnSync('cmake', ['--build', path.dirname(runner), '-j2', '--target', 'logwasm-fluentbit-test'], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
  });
  for (const example of expected?.examples ?? []) {
    if (example.kind !== 'filter') continue;
    const fixture = path.join(root, example.fixture);
    test(`${example.name}`, { skip: !fs.existsSync(fixture) && `${example.fixture} not built`, timeout: 600000 }, (t) => {
      if (!fs.existsSync(filterTest)) {
        t.skip('logwasm-fluentbit-test not built');
        return;
      }
      // -O0 keeps the 3 MB Go plugin's compile short; the others at the default -O3
      const artifact = compile(fixture, path.join(work, `${example.name}.lwaot`),
        example.name === 'go_filter' ? ['-O0'] : []);
      const input = expected.input;
      const r = spawnSync(filterTest, ['--example', artifact, example.function, example.event_format, input.tag,
        String(input.time.seconds), String(input.time.nanoseconds), JSON.stringify(input.body), '65536'],
      { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const [outcome, json, hex] = r.stdout.split('\n');
      assert.equal(outcome, 'replaced', r.stdout);
      assert.equal(json, JSON.stringify(example.body));
      if (example.result_msgpack_hex) assert.equal(hex, example.result_msgpack_hex);
    });
  }
});
