// lib/records: JSON number rules (§2), msgpack with EventTime, chunks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode as referenceDecode } from '@msgpack/msgpack';
import {
  EventTime, Float, ExtValue, parseJson, stringifyJson, formatFloat, encodeMsgpack, decodeMsgpack,
  encodeChunk, decodeChunk, isGroupMarker, eventTimeOf, MsgpackError, JsonSyntaxError,
} from '../../dist/index.js';

const hex = (bytes) => Buffer.from(bytes).toString('hex');

test('JSON: a number with "." or exponent is a float, even when integral (120.0)', () => {
  const value = parseJson('{"a":120.0,"b":120,"c":1e2,"d":10.5}', { exact: true });
  assert.ok(value.get('a') instanceof Float);
  assert.equal(value.get('a').value, 120);
  assert.equal(value.get('b'), 120);
  assert.ok(value.get('c') instanceof Float);
  assert.ok(value.get('d') instanceof Float);
  // and it is written back as a float
  assert.equal(stringifyJson(value), '{"a":120.0,"b":120,"c":100.0,"d":10.5}');
});

test('JSON: integers are exact over the whole i64/u64 range, floats only beyond', () => {
  const value = parseJson('[18446744073709551615,-9223372036854775808,9007199254740993,18446744073709551616,9007199254740991]');
  assert.equal(value[0], 18446744073709551615n);
  assert.equal(value[1], -9223372036854775808n);
  assert.equal(value[2], 9007199254740993n);
  assert.equal(typeof value[3], 'number');
  assert.equal(value[4], 9007199254740991);
  assert.equal(typeof value[4], 'number');
  const packed = encodeMsgpack(value);
  // u64 max as uint64, i64 min as int64, beyond u64 as float64
  assert.equal(hex(packed.subarray(0, 10)), '95cfffffffffffffffff');
  assert.deepEqual(referenceDecode(packed, { useBigInt64: true })[0], 18446744073709551615n);
  assert.equal(stringifyJson(value), '[18446744073709551615,-9223372036854775808,9007199254740993,1.844674407370955e+19,9007199254740991]');
});

test('JSON: plain mode gives ordinary JavaScript values', () => {
  assert.deepEqual(parseJson(' {"s":"x\\u00e9\\ud83d\\ude00","n":null,"t":true,"a":[1,2.5]} '),
    { s: 'xé😀', n: null, t: true, a: [1, 2.5] });
});

test('JSON: syntax errors give line and column', () => {
  assert.throws(() => parseJson('{"a":1,\n "b": }'), (err) => err instanceof JsonSyntaxError && err.line === 2 && err.column === 7);
  assert.throws(() => parseJson('{"a":1} x'), /after the JSON value at line 1 column 9/);
  assert.throws(() => parseJson('[1,]'), JsonSyntaxError);
  assert.throws(() => parseJson('"abc'), /unterminated string/);
  assert.throws(() => parseJson('01'), JsonSyntaxError);
});

test('JSON: duplicate keys, last occurrence wins', () => {
  assert.deepEqual(parseJson('{"a":1,"a":2}'), { a: 2 });
  assert.equal(stringifyJson(parseJson('{"a":1,"b":0,"a":2}', { exact: true })), '{"b":0,"a":2}');
});

test('JSON writing: %.16g floats and Fluent Bit string escapes (§2)', () => {
  assert.equal(formatFloat(120), '120.0');
  assert.equal(formatFloat(300), '300.0');
  assert.equal(formatFloat(1e300), '1e+300');
  assert.equal(formatFloat(1e-7), '1e-07');
  assert.equal(formatFloat(4.999944335913415e-321), '4.999944335913415e-321');
  assert.equal(formatFloat(0.1), '0.1');
  assert.equal(formatFloat(1 / 3), '0.3333333333333333');
  assert.equal(formatFloat(123456789012345680), '1.234567890123457e+17');
  assert.equal(formatFloat(0.0001), '0.0001');
  assert.equal(formatFloat(-2.5), '-2.5');
  assert.equal(stringifyJson({ s: 'quote" tab\t ctl\u0001 del\u007f slash/' }), '{"s":"quote\\" tab\\t ctl\\u0001 del\\u007f slash/"}');
  assert.equal(stringifyJson({ u: 'é 中 😀' }), '{"u":"\\u00e9 \\u4e2d \\ud83d\\ude00"}');
  assert.equal(stringifyJson({ c: '\b\f\n\r<' }), '{"c":"\\b\\f\\n\\r<"}');
});

test('msgpack: smallest encodings, checked against @msgpack/msgpack', () => {
  const cases = [
    [0, '00'], [127, '7f'], [128, 'cc80'], [65535, 'cdffff'], [65536, 'ce00010000'],
    [4294967296, 'cf0000000100000000'], [-1, 'ff'], [-32, 'e0'], [-33, 'd0df'], [-129, 'd1ff7f'],
    [-32769, 'd2ffff7fff'], [-2147483649, 'd3ffffffff7fffffff'], [1.5, 'cb3ff8000000000000'],
    [new Float(120), 'cb405e000000000000'], [new Float(1.5, 32), 'ca3fc00000'],
    ['', 'a0'], [null, 'c0'], [true, 'c3'], [false, 'c2'], [new Uint8Array([1, 2]), 'c4020102'],
  ];
  for (const [value, expected] of cases) {
    const packed = encodeMsgpack(value);
    assert.equal(hex(packed), expected, `encoding ${value}`);
    if (value instanceof Float) {
      assert.deepEqual(decodeMsgpack(packed, { exact: true }), value);
      assert.equal(decodeMsgpack(packed), value.value);
      assert.equal(referenceDecode(packed), value.value);
    } else {
      assert.deepEqual(decodeMsgpack(packed), value);
      assert.deepEqual(referenceDecode(packed), value);
    }
  }
  const long = 'x'.repeat(40);
  assert.equal(hex(encodeMsgpack(long).subarray(0, 2)), 'd928');
  const map = { b: 1, a: [1, 'two', { c: null }] };
  assert.deepEqual(referenceDecode(encodeMsgpack(map)), map);
  assert.deepEqual(decodeMsgpack(encodeMsgpack(map)), map);
});

test('msgpack: EventTime is ext type 0, 8 bytes, big-endian seconds then nanoseconds', () => {
  const time = new EventTime(1700000000, 123456789);
  const packed = encodeMsgpack(time);
  assert.equal(hex(packed), 'd700' + '6553f100' + '075bcd15');
  const back = decodeMsgpack(packed);
  assert.ok(back instanceof EventTime);
  assert.ok(back.equals(time));
  assert.equal(back.toString(), '1700000000.123456789');
  assert.equal(EventTime.parse('1700000000.5').toString(), '1700000000.500000000');
  assert.equal(EventTime.fromSeconds(1.25).nanoseconds, 250000000);
  assert.throws(() => decodeMsgpack(Uint8Array.from([0xd7, 0, 0, 0, 0, 1, 0x3b, 0x9a, 0xca, 0x00])), /nanoseconds/);
  const other = decodeMsgpack(Uint8Array.from([0xd4, 5, 9]));
  assert.ok(other instanceof ExtValue);
  assert.equal(other.type, 5);
});

test('msgpack: float32 stays float32 and key order survives in exact mode', () => {
  const packed = Uint8Array.from([0x82, 0xa1, 0x31, 0xca, 0x3f, 0xc0, 0, 0, 0xa1, 0x61, 0x01]);
  const exact = decodeMsgpack(packed, { exact: true });
  assert.deepEqual([...exact.keys()], ['1', 'a']);
  assert.equal(hex(encodeMsgpack(exact)), hex(packed));
});

test('msgpack: truncated and invalid input is an error naming the offset', () => {
  assert.throws(() => decodeMsgpack(Uint8Array.from([0x92, 0x01])), (err) => err instanceof MsgpackError && /truncated/.test(err.message));
  assert.throws(() => decodeMsgpack(Uint8Array.from([0xc1])), /invalid msgpack type byte 0xc1 at offset 0/);
  assert.throws(() => decodeMsgpack(Uint8Array.from([0x01, 0x02])), /unexpected byte\(s\) after/);
});

test('chunks: both event forms, group markers, round trip', () => {
  const t = new EventTime(1700000000, 5);
  const events = [
    { time: t, metadata: { m: 1 }, body: { a: 1 } },
    { time: t, body: { b: 2 } },
    { time: -1, metadata: {}, body: { resource: {} } },
    { time: 1700000001.5, metadata: {}, body: { c: 3 } },
  ];
  const chunk = encodeChunk(events, { legacy: true });
  const decoded = decodeChunk(chunk);
  assert.equal(decoded.length, 4);
  assert.deepEqual(decoded[0].metadata, { m: 1 });
  assert.equal(decoded[1].metadata, undefined);
  assert.deepEqual(decoded[1].body, { b: 2 });
  assert.ok(isGroupMarker(decoded[2]));
  assert.ok(!isGroupMarker(decoded[0]));
  assert.equal(eventTimeOf(decoded[3]).toString(), '1700000001.500000000');
  // reference decoder agrees on the structure
  const first = referenceDecode(chunk.subarray(0, encodeChunk([events[0]]).length));
  assert.deepEqual(first[1], { a: 1 });
  // default form adds {} metadata
  assert.deepEqual(decodeChunk(encodeChunk([{ time: t, body: {} }]))[0].metadata, {});
});

test('chunks: a corrupt chunk is an error, not a partial result', () => {
  const chunk = encodeChunk([{ time: new EventTime(1, 0), body: { a: 1 } }, { time: new EventTime(2, 0), body: { b: 2 } }]);
  assert.throws(() => decodeChunk(chunk.subarray(0, chunk.length - 2)), /truncated msgpack/);
  assert.throws(() => decodeChunk(Uint8Array.from([0x93, 1, 2, 3])), /not a \[time-or-header, body\] array/);
  assert.throws(() => decodeChunk(encodeMsgpack([['x', {}], {}])), /time must be an EventTime or a number/);
});
