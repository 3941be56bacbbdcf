// lib/native: the addon loads; when it cannot, the error says where it looked and what to run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, cpSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadAddon } from '../../dist/index.js';
import { root } from './helpers.mjs';

test('the addon loads and exposes Filter, runWasi and the JSON/msgpack helpers', () => {
  const addon = loadAddon();
  assert.equal(typeof addon.Filter, 'function');
  assert.equal(typeof addon.Filter.loadAsync, 'function');
  assert.equal(typeof addon.runWasi, 'function');
  assert.match(addon.version, /^\d+\.\d+\.\d+/);
  // the C helpers have the filter's number rules
  assert.equal(addon.msgpackToJson(addon.jsonToMsgpack('{"a":120.0,"b":18446744073709551615}')), '{"a":120.0,"b":18446744073709551615}');
});

test('a missing addon is an error naming the platform, the places looked at and the fix', () => {
  // a copy of the package without any build or prebuilt binary
  const dir = mkdtempSync(path.join(tmpdir(), 'logwasm-noaddon-'));
  cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
  cpSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  const script = `import(${JSON.stringify(path.join(dir, 'dist', 'index.js'))}).then((m) => m.loadAddon()).then(() => process.exit(0), (e) => { console.log(e.code); console.log(e.message); process.exit(3); })`;
  const env = { ...process.env };
  delete env.LOGWASM_ADDON; // (set when the suite runs against a sanitizer build)
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env });
  assert.equal(r.status, 3, r.stderr);
  const platform = `${process.platform}-${process.arch}`;
  assert.match(r.stdout, /^LOGWASM_NO_ADDON\n/);
  assert.match(r.stdout, new RegExp(`could not load its native addon for ${platform}`));
  assert.ok(r.stdout.includes(path.join(dir, 'prebuilds', platform, '*.node')), r.stdout);
  assert.ok(r.stdout.includes(path.join(dir, 'build', 'Release', 'logwasm.node')), r.stdout);
  assert.match(r.stdout, /fix: run `npm rebuild logwasm`/);
});
