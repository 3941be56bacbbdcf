// The example plugins against examples/expected.json (the compatibility data, §7): the same
// record through filterRecord, filterChunk and the CLI gives exactly the expected body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Filter, EventTime, encodeChunk, decodeChunk, encodeMsgpack, runWasi } from '../../dist/index.js';
import { root } from './helpers.mjs';

const expected = JSON.parse(readFileSync(path.join(root, 'examples', 'expected.json'), 'utf8'));
const input = expected.input;
const time = new EventTime(input.time.seconds, input.time.nanoseconds);

function fixturePath(example) {
  // a missing fixture fails the test (readFileSync throws ENOENT naming it)
  const file = path.join(root, example.fixture);
  readFileSync(file);
  return file;
}

for (const example of expected.examples.filter((e) => e.kind === 'filter')) {
  test(`${example.name} (${example.event_format}): filterRecord gives the expected body, keys in order`, async () => {
    const filter = await Filter.load({ wasmPath: fixturePath(example), functionName: example.function, eventFormat: example.event_format });
    const body = filter.filterRecord(input.tag, time, input.body);
    assert.deepEqual(body, example.body);
    assert.deepEqual(Object.keys(body), Object.keys(example.body));
    if (example.result_msgpack_hex) {
      const raw = filter.filterRecordRaw(input.tag, time, encodeMsgpack(input.body));
      assert.equal(Buffer.from(raw).toString('hex'), example.result_msgpack_hex);
    }
    filter.close();
  });

  test(`${example.name} (${example.event_format}): filterChunk keeps the time and metadata`, async () => {
    const filter = await Filter.load({ wasmPath: fixturePath(example), functionName: example.function, eventFormat: example.event_format });
    const out = decodeChunk(filter.filterChunk(input.tag, encodeChunk([{ time, metadata: { source: 'test' }, body: input.body }])));
    assert.equal(out.length, 1);
    assert.ok(out[0].time.equals(time));
    assert.deepEqual(out[0].metadata, { source: 'test' });
    assert.deepEqual(out[0].body, example.body);
    filter.close();
  });
}

test('c_filter through the CLI: one [time, body] line with the expected body', () => {
  const example = expected.examples.find((e) => e.name === 'c_filter');
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'logwasm'), 'filter', '--wasm', fixturePath(example), '--function', example.function, '--tag', input.tag],
    { input: `[${input.time_text}, ${JSON.stringify(input.body)}]\n`, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const line = r.stdout.trim();
  assert.ok(line.startsWith(`[${input.time_text},`), line);
  assert.deepEqual(JSON.parse(line)[1], example.body);
});

for (const example of expected.examples.filter((e) => e.kind === 'exec_wasi')) {
  test(`${example.name}: exec_wasi records and files`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'logwasm-example-'));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const records = await runWasi({ wasiPath: fixturePath(example), accessiblePaths: ['.'] });
      assert.deepEqual(records.map((r) => r.body), example.records);
      for (const [name, content] of Object.entries(example.files)) {
        assert.equal(readFileSync(path.join(dir, name), 'utf8'), content);
      }
    } finally {
      process.chdir(cwd);
    }
  });

  test(`${example.name}: logwasm run prints exactly its stdout`, () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'logwasm-example-'));
    const r = spawnSync(process.execPath, [path.join(root, 'bin', 'logwasm'), 'run', '--dir=.', fixturePath(example)], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, example.stdout);
  });
}
