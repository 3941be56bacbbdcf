// lib/cli: the logwasm command, spawned as a user runs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { root, bad, fixture } from './helpers.mjs';

const bin = path.join(root, 'bin', 'logwasm');

function logwasm(args, { input = '', cwd = root, env = undefined } = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], { input, cwd, encoding: 'utf8', timeout: 300000, env: env && { ...process.env, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('help and version', () => {
  const help = logwasm(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /logwasm filter --wasm PATH --function NAME/);
  assert.match(logwasm(['help', 'filter']).stdout, /--on-error drop\|keep/);
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  assert.equal(logwasm(['--version']).stdout, `logwasm ${pkg.version}\n`);
});

test('usage errors exit 2 with a message', () => {
  assert.equal(logwasm([]).code, 2);
  let r = logwasm(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
  r = logwasm(['filter', '--function', 'f']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--wasm PATH is required/);
  r = logwasm(['filter', '--wasm', 'x.wasm', '--function', 'f', '--event-format', 'xml']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--event-format must be json or msgpack, got 'xml'/);
  r = logwasm(['filter', '--wasm', 'x.wasm', '--function', 'f', '--bogus', '1']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option '--bogus'/);
});

test('filter: a load error exits 1 naming the file', () => {
  const r = logwasm(['filter', '--wasm', 'missing.wasm', '--function', 'filter'], { input: '{"a":1}\n' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot read wasm_path 'missing.wasm': no such file/);
  assert.equal(r.stdout, '');
});

test('filter: NDJSON in, [time, body] lines out; bad lines and failed records go to stderr', () => {
  const input = [
    '[1700000000.5, {"x":1,"f":120.0,"big":18446744073709551615}]',
    '[[1700000001, {"meta":true}], {"x":2}]',
    'not json',
    '[1700000002, {"trap":1}]',
    '[1, 2]',
    '{"x":"now"}',
    '',
    '[1700000003.000000001, {"u":"\\u00e9"}]',
  ].join('\n');
  for (const eventFormat of ['json', 'msgpack']) {
    const r = logwasm(['filter', '--wasm', bad('behaviours.wasm'), '--function', 'filter', '--event-format', eventFormat], { input });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 4, r.stdout);
    assert.equal(lines[0], '[1700000000.500000000,{"x":1,"f":120.0,"big":18446744073709551615}]');
    assert.equal(lines[1], '[1700000001.000000000,{"x":2}]');
    assert.match(lines[2], /^\[\d{10}\.\d{9},\{"x":"now"\}\]$/);
    assert.equal(lines[3], '[1700000003.000000001,{"u":"\\u00e9"}]');
    assert.match(r.stderr, /stdin line 3: unexpected 'n', expected a JSON object, \[time, body\] or \[\[time, metadata\], body\] \(column 1\)/);
    assert.match(r.stderr, /unreachable in function 'filter'/);
    assert.match(r.stderr, /stdin line 5: the body must be a JSON object/);
  }
});

test('filter: exact numbers and escapes survive the whole way (c_filter_wasi)', () => {
  const r = logwasm(['filter', '--wasm', fixture('c_filter_wasi.wasm'), '--function', 'c_filter', '--heap-size', '1M'],
    { input: '{"a":120.0,"b":18446744073709551615,"c":"\\u00e9"}\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\[\d{10}\.\d{9},\{"tag":"stdin",.*"original":\{"a":120\.0,"b":18446744073709551615,"c":"\\u00e9"\}\}\]\n$/);
});

test('filter: --on-error keep, --timeout, and the guest\'s stdout goes to stderr', () => {
  let r = logwasm(['filter', '--wasm', bad('behaviours.wasm'), '--function', 'filter', '--on-error', 'keep', '--timeout', '100'],
    { input: '[1, {"loop":1}]\n[2, {"x":2}]\n' });
  assert.equal(r.code, 0);
  assert.equal(r.stdout, '[1.000000000,{"loop":1}]\n[2.000000000,{"x":2}]\n');
  assert.match(r.stderr, /timed out after 100 ms/);
  r = logwasm(['filter', '--wasm', bad('behaviours.wasm'), '--function', 'filter', '--metrics'], { input: '[1, {"x":1}]\n[2, {"trap":1}]\n' });
  assert.equal(r.code, 0);
  const metrics = JSON.parse(/logwasm: metrics (.*)/.exec(r.stderr)[1]);
  assert.equal(metrics.recordsIn, 2);
  assert.equal(metrics.recordsOut, 1);
  assert.equal(metrics.errorsTrap, 1);
  r = logwasm(['filter', '--wasm', bad('guest-stdout.wasm'), '--function', 'filter'], { input: '[1, {"a":1}]\n' });
  assert.equal(r.code, 0);
  assert.equal(r.stdout, '[1.000000000,{"a":1}]\n');
  assert.match(r.stderr, /guest says hi/);
});

test('run: exit code and arguments of a WASI command', () => {
  const r = logwasm(['run', bad('exit3.wasm'), 'one', 'two']);
  assert.equal(r.code, 3);
  assert.equal(r.stdout, 'argc=3\n');
  const missing = logwasm(['run', 'nope.wasm']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read module 'nope.wasm': no such file/);
  assert.equal(logwasm(['run', '--map-dir=bad', 'x.wasm']).code, 2);
});

test('run: --env, --map-dir and --dir reach the module; none by default', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'logwasm-run-'));
  const r = logwasm(['run', '--env=A=1', '--env', 'B=two', `--map-dir=/data::${dir}`, '--dir=.', bad('env-and-preopens.wasm')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'A=1\nB=two\npreopen: /data\npreopen: .\n');
  assert.equal(logwasm(['run', bad('env-and-preopens.wasm')]).stdout, '');
  const missing = logwasm(['run', '--map-dir=/data::/nonexistent-logwasm-dir', bad('env-and-preopens.wasm')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nonexistent-logwasm-dir/);
});

test('run: the exec_wasi example prints a JSON line and writes helloworld.txt in its preopen', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'logwasm-run-'));
  const r = logwasm(['run', '--dir=.', fixture('exec_wasi.wasm')], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotThrow(() => JSON.parse(r.stdout.trim().split('\n')[0]));
  assert.ok(existsSync(path.join(dir, 'helloworld.txt')));
});

test('demo: runs the bundled C filter', () => {
  const r = logwasm(['demo']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((r.stdout.match(/^out: .*"message":"Hello, from C!"/gm) ?? []).length, 3, r.stdout);
  assert.match(r.stdout, /metrics: 3 in, 3 out, 0 errors/);
});

test('pipeline: a Fluent Bit config with dummy input, wasm filter and stdout json_lines', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'logwasm-pipeline-'));
  const conf = path.join(dir, 'fluent-bit.conf');
  writeFileSync(conf, [
    '[SERVICE]', '    Flush 1',
    '[INPUT]', '    Name dummy', '    Tag  app', '    Dummy {"x":"hello","f":1.0}', '    Samples 2', '    Rate 100',
    '    Start_Time_Sec 1700000000', '    Start_Time_Nsec 0',
    '[INPUT]', '    Name dummy', '    Tag  other', '    Dummy {"trap":1}', '    Samples 1',
    '[FILTER]', '    Name wasm', '    Match app', `    WASM_Path ${bad('behaviours.wasm')}`, '    Function_Name filter',
    '[FILTER]', '    Name wasm', '    Match_Regex ^oth', `    WASM_Path ${bad('behaviours.wasm')}`, '    Function_Name filter',
    '[OUTPUT]', '    Name stdout', '    Match *', '    Format json_lines', '    Json_Date_Format epoch',
    '',
  ].join('\n'));
  const r = logwasm(['pipeline', '-c', conf]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '{"date":1700000000,"x":"hello","f":1.0}\n{"date":1700000001,"x":"hello","f":1.0}\n');
  assert.match(r.stderr, /\[filter:wasm:wasm\].*unreachable/);
});

test('pipeline: a config error exits 1 with file:line', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'logwasm-pipeline-'));
  const conf = path.join(dir, 'bad.conf');
  writeFileSync(conf, '[INPUT]\n    Name dummy\n    Colour blue\n');
  const r = logwasm(['pipeline', '-c', conf]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`${conf.replace(/[.]/g, '\\.')}:3: unknown key 'colour' in \\[INPUT\\] dummy`));
});

// ---- logwasm aot, and artifacts / --tier on run and filter ------------------------------------

const aotc = path.join(root, 'build', 'runtime', 'logwasm-aotc');
const noAotc = existsSync(aotc) ? false : 'build/runtime/logwasm-aotc not built (needs LLVM 19)';
const LWAOT_MAGIC = Buffer.from('\x89LWAOT\r\n', 'latin1');

test('aot: in the help; usage errors exit 2', () => {
  assert.match(logwasm(['--help']).stdout, /logwasm aot \[--target ARCH\] \[--cpu NAME\] \[-O0\.\.3\] -o OUT\.lwaot IN\.wasm/);
  const help = logwasm(['help', 'aot']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--target x86_64\|aarch64/);
  assert.match(help.stdout, /apt-get install llvm-19-dev/);
  for (const [args, message] of [
    [['aot', 'x.wasm'], /-o OUT\.lwaot is required/],
    [['aot', '-o', 'x.lwaot'], /IN\.wasm is required/],
    [['aot', '-O7', '-o', 'x.lwaot', 'x.wasm'], /optimisation level must be -O0, -O1, -O2 or -O3, got '-O7'/],
    [['aot', '--target', 'mips', '-o', 'x.lwaot', 'x.wasm'], /--target must be x86_64 or aarch64, got 'mips'/],
    [['aot', '--frob', '-o', 'x.lwaot', 'x.wasm'], /unknown option '--frob'/],
    [['aot', '-o', 'x.lwaot', 'a.wasm', 'b.wasm'], /one input module only/],
    [['run', '--tier=jit', 'x.wasm'], /--tier must be auto, interp or aot, got 'jit'/],
    [['filter', '--wasm', 'x.wasm', '--function', 'f', '--tier', 'fast'], /--tier must be auto, interp or aot, got 'fast'/],
  ]) {
    const r = logwasm(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('aot: without the compiler, exit 1 naming LLVM 19 and the commands', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'logwasm-aot-'));
  const env = { LOGWASM_AOTC: path.join(dir, 'missing-logwasm-aotc') };
  const r = logwasm(['aot', '-o', path.join(dir, 'x.lwaot'), fixture('c_filter.wasm')], { env });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /LLVM 19/);
  assert.match(r.stderr, /apt-get install llvm-19-dev && npm run build:runtime/);
  assert.ok(!existsSync(path.join(dir, 'x.lwaot')));
  // --tier aot needs it too, and says the same
  const run = logwasm(['run', '--tier=aot', bad('exit3.wasm')], { env });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /apt-get install llvm-19-dev && npm run build:runtime/);
});

test('aot: the compiler\'s exit status and message pass through; options reach it', { skip: noAotc, timeout: 300000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'logwasm-aot-'));
  const notWasm = path.join(dir, 'not.wasm');
  writeFileSync(notWasm, 'hello');
  const direct = spawnSync(aotc, ['-o', path.join(dir, 'direct.lwaot'), notWasm], { encoding: 'utf8' });
  assert.notEqual(direct.status, 0);
  const r = logwasm(['aot', '-o', path.join(dir, 'x.lwaot'), notWasm]);
  assert.equal(r.code, direct.status);
  assert.equal(r.stderr, direct.stderr);
  // a cross-compile: the artifact names the CPU, and this machine's loader refuses it saying why
  const other = process.arch === 'arm64' ? 'x86_64' : 'aarch64';
  const cpu = other === 'aarch64' ? 'cortex-a57' : 'x86-64-v2';
  const cross = path.join(dir, 'cross.lwaot');
  const c = logwasm(['aot', '--target', other, '--cpu', cpu, '-O1', '-o', cross, fixture('c_filter.wasm')]);
  assert.equal(c.code, 0, c.stderr);
  const bytes = readFileSync(cross);
  assert.ok(bytes.subarray(0, 8).equals(LWAOT_MAGIC));
  assert.ok(bytes.includes(Buffer.from(cpu)), `the artifact records --cpu ${cpu}`);
  const load = logwasm(['filter', '--wasm', cross, '--function', 'c_filter'], { input: '{"a":1}\n' });
  assert.equal(load.code, 1);
  assert.match(load.stderr, new RegExp(other));
});

test('run and filter: an artifact, or --tier aot, gives byte-identical output to the .wasm', { skip: noAotc, timeout: 300000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'logwasm-aot-'));
  const env = { LOGWASM_AOT_CACHE: path.join(dir, 'cache') };
  const compileTo = (wasm, name) => {
    const out = path.join(dir, name);
    const r = logwasm(['aot', '-o', out, wasm]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readFileSync(out).subarray(0, 8).equals(LWAOT_MAGIC));
    return out;
  };

  // run: exit status, arguments, environment and preopens
  const exit3 = compileTo(bad('exit3.wasm'), 'exit3.lwaot');
  const fromWasm = logwasm(['run', bad('exit3.wasm'), 'one', 'two']);
  for (const args of [[exit3], ['--tier=aot', bad('exit3.wasm')], ['--tier', 'aot', exit3]]) {
    const r = logwasm(['run', ...args, 'one', 'two'], { env });
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, fromWasm.stdout);
  }
  const envWasm = bad('env-and-preopens.wasm');
  const envAot = compileTo(envWasm, 'env.lwaot');
  const envArgs = ['--env=A=1', `--map-dir=/data::${dir}`, '--dir=.'];
  const expectedEnv = logwasm(['run', ...envArgs, envWasm]);
  assert.equal(expectedEnv.code, 0, expectedEnv.stderr);
  assert.equal(logwasm(['run', ...envArgs, envAot]).stdout, expectedEnv.stdout);
  const refused = logwasm(['run', '--tier=interp', exit3]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /AOT artifact.*pass the \.wasm/);

  // filter: JSON and msgpack examples on NDJSON with exact numbers and escapes
  const input = [
    '[1700000000.5, {"x":1,"f":120.0,"big":18446744073709551615,"neg":-5,"s":"a\\"b\\\\c\\u00e9"}]',
    '[[1700000001, {"meta":true}], {"msg":"hello","arr":[1,2.25,null,true]}]',
    '[1700000002, {"seq":3}]',
    '[1700000003.000000001, {"u":"\\u4e2d"}]',
  ].join('\n') + '\n';
  for (const [file, fn, format] of [['c_filter_wasi.wasm', 'c_filter', 'json'], ['c_filter_msgpack.wasm', 'c_filter_msgpack', 'msgpack']]) {
    const wasm = fixture(file);
    const artifact = compileTo(wasm, file.replace('.wasm', '.lwaot'));
    const common = ['--function', fn, '--event-format', format, '--heap-size', '1M'];
    const reference = logwasm(['filter', '--wasm', wasm, '--tier', 'interp', ...common], { input });
    assert.equal(reference.code, 0, reference.stderr);
    assert.equal(reference.stdout.trim().split('\n').length, 4, reference.stdout);
    for (const args of [['--wasm', artifact], ['--wasm', wasm, '--tier', 'aot'], ['--wasm', artifact, '--tier', 'aot']]) {
      const r = logwasm(['filter', ...args, ...common], { input, env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, reference.stdout, `${file} ${args.join(' ')}`);
    }
    const interpRefused = logwasm(['filter', '--wasm', artifact, '--tier', 'interp', ...common], { input });
    assert.equal(interpRefused.code, 1);
    assert.match(interpRefused.stderr, /pass the \.wasm/);
  }
});
