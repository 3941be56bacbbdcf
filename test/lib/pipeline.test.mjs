// lib/pipeline and lib/output: routing, inputs and the stdout formats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pipeline, tagMatches } from '../../dist/pipeline.js';
import { formatStdout, printMsgpackStyle, msgpackStyleFromJson } from '../../dist/output.js';
import { loadConfig, chunkToJsonEvents, chunkEntryFromJsonLine } from '../../dist/index.js';
import { bad } from './helpers.mjs';

function collector() {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk;
      done();
    },
  });
  return { stream, text: () => text };
}

function configFile(name, text) {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'logwasm-pipeline-')), name);
  writeFileSync(file, text);
  return file;
}

test('tag matching: * wildcards, anchored', () => {
  assert.ok(tagMatches('*', 'anything'));
  assert.ok(tagMatches('kube.*', 'kube.var.log'));
  assert.ok(!tagMatches('kube.*', 'kubex'));
  assert.ok(tagMatches('a.*.c', 'a.b.c'));
  assert.ok(!tagMatches('app', 'app2'));
});

test('stdout formats: msgpack style, json_lines with date keys, json', () => {
  // the event as the pipeline has it: chunk bytes read natively, body as exact JSON text
  const events = chunkToJsonEvents(chunkEntryFromJsonLine('[[1700000000.123456789, {}], {"a":1,"f":2.0,"s":"x"}]'));
  assert.equal(formatStdout('t', events, { format: 'msgpack', dateKey: 'date', dateFormat: 'double' }, { n: 0 }),
    '[0] t: [[1700000000.123456789, {}], {"a"=>1, "f"=>2.0, "s"=>"x"}]\n');
  assert.equal(formatStdout('t', events, { format: 'json_lines', dateKey: 'date', dateFormat: 'double' }, { n: 0 }),
    '{"date":1700000000.123456,"a":1,"f":2.0,"s":"x"}\n');
  assert.equal(formatStdout('t', events, { format: 'json_lines', dateKey: 'ts', dateFormat: 'iso8601' }, { n: 0 }),
    '{"ts":"2023-11-14T22:13:20.123456Z","a":1,"f":2.0,"s":"x"}\n');
  assert.equal(formatStdout('t', events, { format: 'json', dateKey: 'false', dateFormat: 'double' }, { n: 0 }),
    '[{"a":1,"f":2.0,"s":"x"}]\n');
  assert.equal(printMsgpackStyle([null, true, { k: [1] }]), '[nil, true, {"k"=>[1]}]');
  // punctuation inside strings is left alone
  assert.equal(msgpackStyleFromJson('{"a:b":"x, null","n":null,"q":"\\"null\\""}'), '{"a:b"=>"x, null", "n"=>nil, "q"=>"\\"null\\""}');
});

test('exec_wasi oneshot: each output line becomes {"wasi_stdout": line}', async () => {
  const file = configFile('exec.conf', [
    '[INPUT]', '    Name exec_wasi', '    Tag wasi', `    WASI_Path ${bad('exit3.wasm')}`, '    Oneshot true',
    '[OUTPUT]', '    Name stdout', '    Match wasi', '    Format json_lines', '    Json_Date_Key false', '',
  ].join('\n'));
  const out = collector();
  const pipeline = new Pipeline(loadConfig(file), { stdout: out.stream, log: () => {} });
  await pipeline.run();
  assert.equal(out.text(), '{"wasi_stdout":"argc=0"}\n');
});

test('YAML config: stdin input through a wasm filter to stdout; unmatched outputs get nothing', async () => {
  const file = configFile('p.yaml', [
    'pipeline:',
    '  inputs:',
    '    - name: stdin',
    '      tag: in',
    '  filters:',
    '    - name: wasm',
    "      match: 'in'",
    `      wasm_path: ${bad('behaviours.wasm')}`,
    '      function_name: filter',
    '  outputs:',
    '    - name: stdout',
    "      match: 'in'",
    '      format: json_lines',
    '      json_date_format: epoch',
    '    - name: stdout',
    "      match: 'other'",
    '',
  ].join('\n'));
  const out = collector();
  const logs = [];
  const stdin = Readable.from(['[1700000000, {"x":1}]\n', '[1700000001, {"trap":1}]\n', 'garbage\n', '[1700000002, {"x":120.0}]\n']);
  const pipeline = new Pipeline(loadConfig(file), { stdout: out.stream, stdin, log: (level, message) => logs.push(`${level} ${message}`) });
  await pipeline.run();
  assert.equal(out.text(), '{"date":1700000000,"x":1}\n{"date":1700000002,"x":120.0}\n');
  assert.ok(logs.some((line) => /unreachable/.test(line)), logs.join('\n'));
  assert.ok(logs.some((line) => /line 3: unexpected 'g'/.test(line)), logs.join('\n'));
});

test('a filter that cannot load stops the pipeline with its config location', async () => {
  const file = configFile('bad.conf', [
    '[INPUT]', '    Name dummy', '    Samples 1',
    '[FILTER]', '    Name wasm', '    Match *', '    WASM_Path missing.wasm', '    Function_Name f', '',
  ].join('\n'));
  const pipeline = new Pipeline(loadConfig(file), { stdout: collector().stream, log: () => {} });
  await assert.rejects(pipeline.start(), (error) => {
    assert.equal(error.message, `${file}:4: [FILTER] wasm: cannot read wasm_path 'missing.wasm': no such file`);
    return true;
  });
});

test('exec_wasi without oneshot runs every interval until stop()', async () => {
  const file = configFile('interval.conf', [
    '[INPUT]', '    Name exec_wasi', '    Tag wasi', `    WASI_Path ${bad('exit3.wasm')}`, '    Interval_Sec 0', '    Interval_NSec 100000000',
    '[OUTPUT]', '    Name stdout', '    Match *', '    Format json_lines', '    Json_Date_Key false', '',
  ].join('\n'));
  const out = collector();
  const pipeline = new Pipeline(loadConfig(file), { stdout: out.stream, log: () => {} });
  const running = pipeline.run();
  await new Promise((resolve) => setTimeout(resolve, 450));
  pipeline.stop();
  await running;
  const runs = out.text().trim().split('\n').length;
  assert.ok(runs >= 2 && runs <= 6, `about one run per 100 ms (got ${runs} in 450 ms)`);
  assert.match(out.text(), /^\{"wasi_stdout":"argc=0"\}\n/);
});

test('stdin with a json parser: number kinds survive parser, filter and output (1.0 stays a float)', async () => {
  const file = configFile('parsed.conf', [
    '[PARSER]', '    Name j', '    Format json', '    Time_Key ts', '    Time_Format %s',
    '[INPUT]', '    Name stdin', '    Tag in', '    Parser j',
    '[FILTER]', '    Name wasm', '    Match in', `    WASM_Path ${bad('behaviours.wasm')}`, '    Function_Name filter',
    '[OUTPUT]', '    Name stdout', '    Match in', '    Format json_lines', '    Json_Date_Format epoch', '',
  ].join('\n'));
  const out = collector();
  const stdin = Readable.from(['{"ts":"1700000000","x":1.0,"big":18446744073709551615}\n', '[1,2]\n']);
  const logs = [];
  const pipeline = new Pipeline(loadConfig(file), { stdout: out.stream, stdin, log: (level, message) => logs.push(message) });
  await pipeline.run();
  assert.equal(out.text(), '{"date":1700000000,"x":1.0,"big":18446744073709551615}\n');
  assert.ok(logs.some((line) => /line 2: parser 'j' did not match/.test(line)), logs.join('\n'));
});
