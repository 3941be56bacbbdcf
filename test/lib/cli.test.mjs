// lib/cli: the logwasm command, spawned as a user runs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { root, bad, fixture } from './helpers.mjs';

const bin = path.join(root, 'bin', 'logwasm');

function logwasm(args, { input = '', cwd = root } = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], { input, cwd, encoding: 'utf8', timeout: 60000 });
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
