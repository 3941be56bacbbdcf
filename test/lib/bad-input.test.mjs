// The bad-input cases of the issue: each gives its exact error, and other records, the filter
// and the process survive. Fixtures: test/fixtures/bad/*.wat (built by build.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Filter, EventTime, encodeChunk, decodeChunk } from '../../dist/index.js';
import { bad } from './helpers.mjs';

const time = new EventTime(1700000000, 0);

async function loadError(options) {
  try {
    const filter = await Filter.load({ functionName: 'filter', ...options });
    filter.close();
  } catch (error) {
    return error;
  }
  assert.fail(`loading ${options.wasmPath} should have failed`);
}

test('missing file', async () => {
  const error = await loadError({ wasmPath: 'test/fixtures/bad/no-such-file.wasm' });
  assert.equal(error.code, 'LOGWASM_ERR_IO');
  assert.equal(error.message, "cannot read wasm_path 'test/fixtures/bad/no-such-file.wasm': no such file");
});

test('not wasm', async () => {
  const error = await loadError({ wasmPath: bad('not-wasm.wasm') });
  assert.equal(error.code, 'LOGWASM_ERR_MALFORMED');
  assert.match(error.message, /magic header not detected: this is not a WebAssembly binary \(offset 0x0\)/);
});

test('truncated wasm', async () => {
  const error = await loadError({ wasmPath: bad('truncated.wasm') });
  assert.equal(error.code, 'LOGWASM_ERR_MALFORMED');
  assert.match(error.message, /unexpected end/);
  assert.match(error.message, /offset 0x[0-9a-f]+/);
});

test('invalid module (fails validation)', async () => {
  const error = await loadError({ wasmPath: bad('invalid.wasm') });
  assert.equal(error.code, 'LOGWASM_ERR_INVALID');
  assert.match(error.message, /type mismatch in function 0 at offset 0x[0-9a-f]+: i32\.add expects i32 but the stack is empty/);
});

test('missing export names the function and what the module exports', async () => {
  const error = await loadError({ wasmPath: bad('missing-export.wasm') });
  assert.equal(error.code, 'LOGWASM_ERR_LINK');
  assert.match(error.message, /function 'filter' not found in .*missing-export\.wasm \(exports: other\)/);
});

test('wrong signature names the signature found and the one needed', async () => {
  const error = await loadError({ wasmPath: bad('wrong-signature.wasm') });
  assert.equal(error.code, 'LOGWASM_ERR_LINK');
  assert.match(error.message, /has type \(i32\) -> i32; a filter needs \(i32, i32, i32, i32, i32, i32\) -> i32/);
});

test('missing preopen directory is a load error', async () => {
  const error = await loadError({ wasmPath: bad('escape.wasm'), accessiblePaths: ['/nonexistent-logwasm-dir'] });
  assert.equal(error.code, 'LOGWASM_ERR_IO');
  assert.match(error.message, /cannot open preopened directory '\/nonexistent-logwasm-dir'/);
});

test('accessible_paths: the guest cannot escape its preopen with ".."', async () => {
  const filter = await Filter.load({ wasmPath: bad('escape.wasm'), functionName: 'filter' });
  assert.deepEqual(filter.filterRecord('t', time, { a: 1 }), { escape: 'refused' });
  filter.close();
});

// One instance goes through every failure; after each, an ordinary record must still work.
for (const eventFormat of ['json', 'msgpack']) {
  const cases = [
    ['trap', 'LOGWASM_ERR_TRAP', /'filter' failed: unreachable in function 'filter'/],
    ['loop', 'LOGWASM_ERR_TIMEOUT', /'filter' timed out after 200 ms \(wasm_timeout\)/],
    ['oob', 'LOGWASM_ERR_INVALID', /'filter' returned address 0x7ffffff0, outside guest memory/],
    ...(eventFormat === 'json'
      ? [
          ['nonul', 'LOGWASM_ERR_INVALID', /'filter' returned 0x[0-9a-f]+, a string with no NUL before the end of guest memory/],
          ['json', 'LOGWASM_ERR_INVALID', /'filter' returned text that is not JSON/],
          ['array', 'LOGWASM_ERR_INVALID', /'filter' returned JSON that is not an object \("\[1,2\]"\)/],
        ]
      : [
          ['nonul', 'LOGWASM_ERR_INVALID', /'filter' returned msgpack that is not a map \(type byte 0x78\)/],
          ['array', 'LOGWASM_ERR_INVALID', /'filter' returned msgpack that is not a map \(type byte 0x5b\)/],
        ]),
  ];
  test(`${eventFormat}: each failure is its own error; the next record is unaffected`, async () => {
    const filter = await Filter.load({ wasmPath: bad('behaviours.wasm'), functionName: 'filter', eventFormat, timeoutMs: 200 });
    for (const [key, code, message] of cases) {
      assert.throws(() => filter.filterRecord('t', time, { [key]: 1 }), (error) => {
        assert.equal(error.code, code, `${key}: ${error.message}`);
        assert.match(error.message, message);
        return true;
      });
      assert.deepEqual(filter.filterRecord('t', time, { x: key }), { x: key }, `the record after '${key}' works`);
    }
    assert.equal(filter.filterRecord('t', time, { drop: 1 }), null, 'address 0 drops');
    assert.equal(filter.filterRecord('t', time, { empty: 1 }), null, 'an empty result drops');
    const metrics = filter.metrics();
    assert.equal(metrics.errors, cases.length);
    assert.equal(metrics.errorsTimeout, 1);
    assert.equal(metrics.errorsTrap, 1);
    assert.equal(metrics.recordsDropped, 2);
    assert.equal(metrics.recordsOut, cases.length);
    filter.close();
  });

  test(`${eventFormat}: inside a chunk, failures drop only their own record`, async () => {
    const logged = [];
    const filter = await Filter.load({
      wasmPath: bad('behaviours.wasm'), functionName: 'filter', eventFormat, timeoutMs: 200, onLog: (m) => logged.push(m),
    });
    const bodies = [{ x: 0 }, ...cases.map(([key]) => ({ [key]: 1 })), { x: 1 }, { drop: 1 }, { x: 2 }];
    const out = decodeChunk(filter.filterChunk('t', encodeChunk(bodies.map((body) => ({ time, body })))));
    assert.deepEqual(out.map((e) => e.body), [{ x: 0 }, { x: 1 }, { x: 2 }]);
    assert.equal(logged.length, cases.length, logged.join('\n'));
    filter.close();
  });
}

test('record bigger than the heap: an error naming wasm_heap_size, the next record works', async () => {
  const filter = await Filter.load({ wasmPath: bad('no-malloc.wasm'), functionName: 'filter' });
  assert.throws(() => filter.filterRecord('t', time, { a: 'x'.repeat(100000) }), (error) => {
    assert.equal(error.code, 'LOGWASM_ERR_NOMEM');
    assert.match(error.message, /the guest heap cannot hold this record's copy \(\d+ bytes; wasm_heap_size is 8192 bytes.*raise wasm_heap_size/);
    return true;
  });
  assert.deepEqual(filter.filterRecord('t', time, { a: 'small' }), { a: 'small' });
  assert.equal(filter.metrics().errorsHeap, 1);
  filter.close();
});

test('corrupt chunk: LOGWASM_ERR_MALFORMED naming the offset; the filter keeps working', async () => {
  const filter = await Filter.load({ wasmPath: bad('behaviours.wasm'), functionName: 'filter' });
  const good = encodeChunk([{ time, body: { x: 1 } }]);
  const corrupt = Uint8Array.from([...good, 0x92, 0xd7]);
  assert.throws(() => filter.filterChunk('t', corrupt), (error) => {
    assert.equal(error.code, 'LOGWASM_ERR_MALFORMED');
    assert.match(error.message, /corrupt chunk: event 1 \(starting at byte \d+\)/);
    return true;
  });
  await assert.rejects(filter.filterChunkAsync('t', Uint8Array.from([0xc1])), { code: 'LOGWASM_ERR_MALFORMED' });
  assert.deepEqual(decodeChunk(filter.filterChunk('t', good)).map((e) => e.body), [{ x: 1 }]);
  filter.close();
});
