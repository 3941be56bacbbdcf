// lib/config/legacy (loadConfig, until the pipeline moves to readConfig): classic and YAML Fluent Bit configurations, and errors that name file:line:key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, ConfigError, parseSize, parseBool } from '../../../dist/index.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'config');
const fixture = (name) => path.join(dir, name);

function writeTemp(name, text) {
  const tmp = mkdtempSync(path.join(tmpdir(), 'logwasm-config-'));
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  return file;
}

function assertConfigError(fn, { file, line, key, match }) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    assert.equal(error.code, 'LOGWASM_ERR_CONFIG');
    if (file) assert.equal(path.basename(error.file), file);
    if (line !== undefined) assert.equal(error.line, line);
    if (key) assert.equal(error.key, key);
    assert.ok(error.message.startsWith(`${error.file}:${error.line}: `), error.message);
    if (match) assert.match(error.message, match);
    return true;
  });
}

test('sizes take Fluent Bit units, booleans on/off/true/false/yes/no', () => {
  assert.equal(parseSize('8192'), 8192);
  assert.equal(parseSize('64K'), 65536);
  assert.equal(parseSize('64kb'), 65536);
  assert.equal(parseSize('1M'), 1048576);
  assert.equal(parseSize('2G'), 2 * 1024 ** 3);
  assert.equal(parseSize('1.5K'), 1536);
  assert.equal(parseSize('lots'), null);
  assert.equal(parseBool('On'), true);
  assert.equal(parseBool('no'), false);
  assert.equal(parseBool('maybe'), null);
});

test('classic: sections, @INCLUDE, @SET, ${VAR}, case-insensitive keys, parsers file', () => {
  process.env.WASM_DIR = '/opt/plugins';
  const config = loadConfig(fixture('main.conf'));
  assert.equal(config.service.flush, 1);
  assert.equal(config.inputs.length, 2);
  const [exec, dummy] = config.inputs;
  assert.equal(exec.name, 'exec_wasi');
  assert.equal(exec.properties.wasi_path, '/path/to/wasi_program.wasm');
  assert.equal(exec.properties.oneshot, true, 'old spelling Bool means oneshot');
  assert.equal(exec.properties.buf_size, 1048576);
  assert.deepEqual(exec.properties.accessible_paths, ['.'], 'default accessible_paths');
  assert.equal(exec.properties.interval_sec, 1);
  assert.equal(path.basename(exec.file), 'inputs.conf');
  assert.equal(exec.line, 1);
  assert.equal(dummy.properties.dummy, '{"message":"hi","n":120.0}');
  const [wasm] = config.filters;
  assert.equal(wasm.properties.wasm_path, '/opt/plugins/filter.wasm');
  assert.equal(wasm.properties.function_name, 'go_filter');
  assert.equal(wasm.properties.wasm_heap_size, 65536);
  assert.deepEqual(wasm.properties.accessible_paths, ['.', '/tmp']);
  assert.equal(wasm.properties.wasm_timeout, 2000);
  assert.equal(wasm.properties.on_error, 'keep');
  assert.equal(wasm.properties.event_format, 'json');
  assert.equal(wasm.properties.wasm_stack_size, 8192);
  assert.equal(config.outputs[0].properties.format, 'json_lines');
  assert.equal(config.parsers.length, 1);
  assert.equal(config.parsers[0].name, 'wasi');
  assert.equal(config.parsers[0].format, 'regex');
  assert.equal(config.parsers[0].timeFormat, '%Y-%m-%dT%H:%M:%S');
});

test('YAML: env, service, parsers, pipeline inputs/filters/outputs', () => {
  const config = loadConfig(fixture('main.yaml'));
  assert.equal(config.inputs[0].name, 'exec_wasi');
  assert.equal(config.inputs[0].properties.oneshot, true);
  assert.equal(config.inputs[0].line, 11);
  const filter = config.filters[0];
  assert.equal(filter.properties.event_format, 'msgpack');
  assert.equal(filter.properties.wasm_heap_size, 131072);
  assert.deepEqual(filter.properties.accessible_paths, ['.', '/tmp']);
  assert.equal(config.parsers[0].format, 'json');
});

test("Fluent Bit's documented wasm and exec_wasi example configs load unchanged", () => {
  const wasm = loadConfig(fixture('fluent-bit-wasm-example.conf'));
  assert.equal(wasm.filters[0].properties.function_name, 'super_awesome_filter');
  assert.deepEqual(wasm.filters[0].properties.accessible_paths, ['.', '/path/to/fluent-bit']);
  assert.equal(wasm.outputs[0].properties.format, 'msgpack');
  const exec = loadConfig(fixture('fluent-bit-exec-wasi-example.conf'));
  assert.equal(exec.inputs[0].properties.parser, 'wasi');
  assert.equal(exec.parsers[0].timeFormat, '%d/%b/%Y:%H:%M:%S %z');
  const file = writeTemp('http.conf', '[SERVICE]\n    HTTP_Server On\n');
  assertConfigError(() => loadConfig(file), { line: 2, key: 'http_server', match: /must be one of off/ });
});

test('an unknown key is an error naming file, line and key (classic)', () => {
  assertConfigError(() => loadConfig(fixture('unknown-key.conf')), {
    file: 'unknown-key.conf', line: 10, key: 'wasm_heap', match: /unknown key 'wasm_heap' in \[FILTER\] wasm/,
  });
});

test('an unknown key is an error naming file, line and key (YAML)', () => {
  assertConfigError(() => loadConfig(fixture('unknown-key.yaml')), { file: 'unknown-key.yaml', line: 7, key: 'processors' });
});

test('an unsupported plugin is an error naming file, line and key', () => {
  assertConfigError(() => loadConfig(fixture('unknown-plugin.yaml')), {
    file: 'unknown-plugin.yaml', line: 5, key: 'name', match: /unsupported output plugin 'kafka'/,
  });
  const file = writeTemp('x.conf', '[INPUT]\n    Name tail\n    Path /var/log/*.log\n');
  assertConfigError(() => loadConfig(file), { line: 2, key: 'name', match: /unsupported input plugin 'tail' \(supported: exec_wasi, stdin, dummy\)/ });
});

test('classic: unsupported sections and commands, bad values, missing required keys', () => {
  let file = writeTemp('a.conf', '[MULTILINE_PARSER]\n    name x\n');
  assertConfigError(() => loadConfig(file), { line: 1, match: /unsupported section \[MULTILINE_PARSER\]/ });
  file = writeTemp('b.conf', '@INCLUDE missing.conf\n');
  assertConfigError(() => loadConfig(file), { line: 1, key: '@INCLUDE', match: /cannot read included file .*missing\.conf': no such file/ });
  file = writeTemp('c.conf', '[FILTER]\n    Name wasm\n    Match *\n    Wasm_Path f.wasm\n    Function_Name f\n    Wasm_Heap_Size lots\n');
  assertConfigError(() => loadConfig(file), { line: 6, key: 'wasm_heap_size', match: /must be a size/ });
  file = writeTemp('d.conf', '[FILTER]\n    Name wasm\n    Match *\n    Wasm_Path f.wasm\n');
  assertConfigError(() => loadConfig(file), { line: 1, key: 'function_name', match: /needs 'function_name'/ });
  file = writeTemp('e.conf', '[FILTER]\n    Name wasm\n    Match *\n    Wasm_Path f.wasm\n    Function_Name f\n    Event_Format xml\n');
  assertConfigError(() => loadConfig(file), { line: 6, key: 'event_format', match: /must be one of json, msgpack/ });
  file = writeTemp('f.conf', '[INPUT]\nName dummy\n');
  assertConfigError(() => loadConfig(file), { line: 2, match: /must be indented/ });
  file = writeTemp('g.conf', '[INPUT]\n    Name exec_wasi\n    WASI_Path x.wasm\n    Parser nope\n');
  assertConfigError(() => loadConfig(file), { line: 4, key: 'parser', match: /unknown parser 'nope'/ });
  file = writeTemp('h.conf', '@INCLUDE h.conf\n');
  assertConfigError(() => loadConfig(file), { key: '@INCLUDE', match: /cycle/ });
  file = writeTemp('i.conf', '[OUTPUT]\n    Name stdout\n');
  assertConfigError(() => loadConfig(file), { line: 1, key: 'match', match: /neither 'match' nor 'match_regex'/ });
});

test('YAML: syntax errors and unsupported top-level keys give the line', () => {
  let file = writeTemp('a.yaml', 'service:\n  flush: 1\n  flush: 2\n');
  assertConfigError(() => loadConfig(file), { line: 3, match: /invalid YAML/ });
  file = writeTemp('b.yaml', 'service:\n  flush: 1\nmultiline_parsers: []\n');
  assertConfigError(() => loadConfig(file), { line: 3, key: 'multiline_parsers' });
  file = writeTemp('c.yaml', 'pipeline:\n  inputs:\n    - name: dummy\n      tag: a\n      rate: fast\n');
  assertConfigError(() => loadConfig(file), { line: 5, key: 'rate', match: /must be an integer/ });
});

test('a missing configuration file is an error naming it', () => {
  assertConfigError(() => loadConfig('/nonexistent/fluent-bit.conf'), { file: 'fluent-bit.conf', line: 0, match: /no such file/ });
});
