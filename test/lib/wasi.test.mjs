// lib/wasi: exec_wasi's line splitting (§6) and records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { splitLines, linesToRecords, runWasi, createParser, EventTime } from '../../dist/index.js';
import { fixture, bad } from './helpers.mjs';

const bytes = (text) => new TextEncoder().encode(text);

test('lines longer than buf_size - 1 become several records (Buf_Size 16)', () => {
  assert.deepEqual(splitLines(bytes('abcdefghijklmnopqrstuvwxyz0123456789'), 16), ['abcdefghijklmno', 'pqrstuvwxyz0123', '456789']);
});

test('a line ends at its first NUL; the next line is read normally', () => {
  assert.deepEqual(splitLines(bytes('nul\0after\nlast'), 16), ['nul', 'last']);
});

test('"\\n" is removed, "\\r" kept, a last line without "\\n" counts, no phantom last line', () => {
  assert.deepEqual(splitLines(bytes('a\r\nb\n\nc')), ['a\r', 'b', '', 'c']);
  assert.deepEqual(splitLines(bytes('one\n')), ['one']);
  assert.deepEqual(splitLines(bytes('')), []);
  assert.deepEqual(splitLines(bytes('exactly15bytes!\n'), 16), ['exactly15bytes!']);
});

test('records: {"wasi_stdout": line} without a parser, the parser\'s map and time with one', () => {
  const now = new EventTime(5, 0);
  assert.deepEqual(linesToRecords(['hi'], undefined, now), [{ time: now, body: { wasi_stdout: 'hi' } }]);
  const parser = createParser({ name: 'p', format: 'regex', regex: '^(?<time>\\S+) (?<msg>.*)$', timeKey: 'time', timeFormat: '%Y-%m-%dT%H:%M:%S' });
  const logged = [];
  const records = linesToRecords(['2024-01-02T03:04:05 hello', 'nomatch'], parser, now, (m) => logged.push(m));
  assert.equal(records.length, 1);
  assert.equal(records[0].time.seconds, Date.UTC(2024, 0, 2, 3, 4, 5) / 1000);
  assert.deepEqual(records[0].body, { msg: 'hello' });
  assert.equal(logged.length, 1);
  assert.match(logged[0], /parser 'p' could not parse line: "nomatch"/);
});

test('runWasi: a trap rejects and emits nothing; proc_exit is a normal end', async () => {
  const records = await runWasi({ wasiPath: bad('exit3.wasm') });
  assert.deepEqual(records.map((r) => r.body), [{ wasi_stdout: 'argc=0' }], 'exec_wasi guests get no argv');
  await assert.rejects(runWasi({ wasiPath: bad('behaviours.wasm') }), /_start/);
  await assert.rejects(runWasi({ wasiPath: bad('exit3.wasm'), accessiblePaths: ['/nonexistent-logwasm-dir'] }), { code: 'LOGWASM_ERR_IO' });
});

test('runWasi: the exec_wasi example emits its JSON line', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'logwasm-wasi-'));
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const parser = createParser({ name: 'json', format: 'json' });
    const records = await runWasi({ wasiPath: fixture('exec_wasi.wasm'), parser });
    assert.ok(records.length >= 1);
    assert.equal(Object.getPrototypeOf(records[0].body), Object.prototype, 'a plain object');
    assert.ok(Object.keys(records[0].body).length > 0);
    assert.ok(existsSync(path.join(dir, 'helloworld.txt')));
  } finally {
    process.chdir(cwd);
  }
});
