// lib/cli/config.ts: `logwasm config FILE`, spawned as a user runs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { root } from '../helpers.mjs';
import { writeFiles } from './helpers.mjs';

const bin = path.join(root, 'bin', 'logwasm');

function logwasm(args, { cwd = root, env = {} } = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 60000, env: { ...process.env, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('logwasm config prints the structure as JSON and loads no plugin', () => {
  const dir = writeFiles({
    'fluent-bit.conf': '@SET tag=app\n[SERVICE]\n    Flush 1\n[INPUT]\n    Name no_such_plugin\n    Tag ${tag}\n[OUTPUT]\n    Name stdout\n    Match *\n',
  });
  const r = logwasm(['config', 'fluent-bit.conf'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const config = JSON.parse(r.stdout);
  assert.equal(config.file, 'fluent-bit.conf');
  assert.deepEqual(config.env, { tag: 'app' });
  assert.deepEqual(config.service.properties, [{ key: 'flush', value: '1', file: 'fluent-bit.conf', line: 3 }]);
  assert.deepEqual(config.inputs[0].properties.map((p) => [p.key, p.value, p.line]), [['name', 'no_such_plugin', 5], ['tag', 'app', 6]]);
  assert.deepEqual(Object.keys(config), ['file', 'format', 'files', 'env', 'service', 'parsers', 'multilineParsers', 'inputs', 'filters', 'outputs',
    'customs', 'plugins', 'upstreams', 'other', 'warnings']);
});

test('logwasm config: a configuration error prints file:line and exits 1', () => {
  const dir = writeFiles({ 'bad.conf': '[INPUT]\n    Name dummy\n    Tag\n' });
  const r = logwasm(['config', 'bad.conf'], { cwd: dir });
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, "logwasm: bad.conf:3: key 'Tag' has no value; write 'Tag VALUE', or remove the line\n");
});

test('logwasm config: /dev/zero is refused at once', () => {
  const r = logwasm(['config', '/dev/zero']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^logwasm: \/dev\/zero:0: cannot read configuration file: it is a character device/);
});

test('logwasm config: usage errors exit 2, help exits 0 and documents the limits', () => {
  let r = logwasm(['config']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /FILE is required/);
  r = logwasm(['config', 'a.conf', 'b.conf']);
  assert.equal(r.code, 2);
  r = logwasm(['help', 'config']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /LOGWASM_CONFIG_MAX_FILES=1000/);
  assert.match(r.stdout, /LOGWASM_CONFIG_MAX_BYTES=16777216/);
  assert.match(r.stdout, /LOGWASM_CONFIG_MAX_EXPANDED_BYTES=67108864/);
  assert.match(logwasm(['--help']).stdout, /logwasm config FILE/);
});

test('logwasm config: a limit set in the environment applies, and a bad one is reported', () => {
  const dir = writeFiles({ 'main.conf': '@INCLUDE a.conf\n', 'a.conf': '[INPUT]\n    name dummy\n' });
  let r = logwasm(['config', 'main.conf'], { cwd: dir, env: { LOGWASM_CONFIG_MAX_FILES: '1' } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^logwasm: main\.conf:1: cannot read included file 'a\.conf': the configuration already read 1 files, the limit; check for includes that repeat, or raise LOGWASM_CONFIG_MAX_FILES/);
  r = logwasm(['config', 'main.conf'], { cwd: dir, env: { LOGWASM_CONFIG_MAX_FILES: 'lots' } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /LOGWASM_CONFIG_MAX_FILES must be a positive integer, got "lots"/);
});
