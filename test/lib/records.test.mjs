// lib/records: JSON number rules (§2) through the native converters, msgpack through
// @msgpack/msgpack with EventTime, chunks in both event forms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode as referenceDecode, ExtData as ReferenceExtData } from '@msgpack/msgpack';
import {
  EventTime, ExtData, extensionCodec, jsonToMsgpack, msgpackToJson, parseJson, stringifyJson, encodeMsgpack, decodeMsgpack,
  encodeChunk, decodeChunk, isGroupMarker, eventTimeOf, MsgpackError, chunkEntryFromJsonLine, chunkToJsonEvents, eventFromJsonLine,
} from '../../dist/index.js';

const hex = (bytes) => Buffer.from(bytes).toString('hex');
// JSON text through the C parser and back through the C formatter, never a JavaScript number
const native = (text) => msgpackToJson(jsonToMsgpack(text));

test('JSON: a number with "." or exponent is a float, even when integral (120.0)', () => {
  const packed = jsonToMsgpack('{"a":120.0,"b":120,"c":1e2,"d":10.5}');
  // a: float64 120, b: int 120, c: float64 100, d: float64 10.5
  assert.equal(hex(packed), '84' + 'a161cb405e000000000000' + 'a16278' + 'a163cb4059000000000000' + 'a164cb4025000000000000');
  assert.deepEqual(decodeMsgpack(packed), { a: 120, b: 120, c: 100, d: 10.5 });
  // and it is written back as a float
  assert.equal(msgpackToJson(packed), '{"a":120.0,"b":120,"c":100.0,"d":10.5}');
});

test('JSON: integers are exact over the whole i64/u64 range, floats only beyond', () => {
  const text = '[18446744073709551615,-9223372036854775808,9007199254740993,18446744073709551616,9007199254740991]';
  const packed = jsonToMsgpack(text);
  const value = decodeMsgpack(packed);
  assert.equal(value[0], 18446744073709551615n);
  assert.equal(value[1], -9223372036854775808n);
  assert.equal(value[2], 9007199254740993n);
  assert.equal(typeof value[3], 'number');
  assert.equal(value[4], 9007199254740991);
  assert.equal(typeof value[4], 'number');
  // u64 max as uint64, i64 min as int64, beyond u64 as float64
  assert.equal(hex(packed.subarray(0, 10)), '95cfffffffffffffffff');
  assert.equal(hex(packed.subarray(10, 19)), 'd38000000000000000');
  assert.equal(packed[28], 0xcb, 'beyond u64: float64');
  assert.deepEqual(referenceDecode(packed, { useBigInt64: true })[0], 18446744073709551615n);
  assert.equal(msgpackToJson(packed), '[18446744073709551615,-9223372036854775808,9007199254740993,1.844674407370955e+19,9007199254740991]');
  // the JavaScript values encode back to the same bytes
  assert.equal(hex(encodeMsgpack(value)), hex(packed));
  assert.equal(stringifyJson(value), msgpackToJson(packed));
});

test('JSON: plain mode gives ordinary JavaScript values', () => {
  assert.deepEqual(parseJson(' {"s":"x\\u00e9\\ud83d\\ude00","n":null,"t":true,"a":[1,2.5]} '),
    { s: 'xé😀', n: null, t: true, a: [1, 2.5] });
});

test('JSON: syntax errors give the offset', () => {
  assert.throws(() => parseJson('{"a":1,\n "b": }'), (err) => err.code === 'LOGWASM_ERR_MALFORMED' && /unexpected character at offset 14/.test(err.message));
  assert.throws(() => parseJson('{"a":1} x'), /unexpected text after the JSON value at offset 8/);
  assert.throws(() => parseJson('[1,]'), { code: 'LOGWASM_ERR_MALFORMED' });
  assert.throws(() => parseJson('"abc'), /unterminated string/);
  assert.throws(() => parseJson('01'), { code: 'LOGWASM_ERR_MALFORMED' });
});

test('JSON: duplicate keys, last occurrence wins', () => {
  assert.deepEqual(parseJson('{"a":1,"a":2}'), { a: 2 });
  assert.equal(native('{"a":1,"b":0,"a":2}'), '{"b":0,"a":2}');
});

test('JSON writing: %.16g floats and Fluent Bit string escapes (§2)', () => {
  assert.equal(native('120.0'), '120.0');
  assert.equal(native('300.0'), '300.0');
  assert.equal(native('1e300'), '1e+300');
  assert.equal(native('1e-7'), '1e-07');
  assert.equal(native('4.999944335913415e-321'), '4.999944335913415e-321');
  assert.equal(native('0.1'), '0.1');
  assert.equal(stringifyJson(1 / 3), '0.3333333333333333');
  assert.equal(stringifyJson(123456789012345680), '1.234567890123457e+17');
  assert.equal(native('0.0001'), '0.0001');
  assert.equal(native('-2.5'), '-2.5');
  // an exact halfway case: printf rounds to even (…456), Number#toExponential away (…457)
  assert.equal(stringifyJson(1234567890123456.5), '1234567890123456.0');
  assert.equal(stringifyJson({ s: 'quote" tab\t ctl\u0001 del\u007f slash/' }), '{"s":"quote\\" tab\\t ctl\\u0001 del\\u007f slash/"}');
  assert.equal(stringifyJson({ u: 'é 中 😀' }), '{"u":"\\u00e9 \\u4e2d \\ud83d\\ude00"}');
  assert.equal(stringifyJson({ c: '\b\f\n\r<' }), '{"c":"\\b\\f\\n\\r<"}');
  assert.equal(native('{"s":"quote\\" tab\\t ctl\\u0001 del\\u007f slash\\/"}'), '{"s":"quote\\" tab\\t ctl\\u0001 del\\u007f slash/"}');
});

test('msgpack: smallest encodings, checked against @msgpack/msgpack', () => {
  const cases = [
    [0, '00'], [127, '7f'], [128, 'cc80'], [65535, 'cdffff'], [65536, 'ce00010000'],
    [4294967296, 'cf0000000100000000'], [-1, 'ff'], [-32, 'e0'], [-33, 'd0df'], [-129, 'd1ff7f'],
    [-32769, 'd2ffff7fff'], [-2147483649, 'd3ffffffff7fffffff'], [1.5, 'cb3ff8000000000000'],
    ['', 'a0'], [null, 'c0'], [true, 'c3'], [false, 'c2'], [new Uint8Array([1, 2]), 'c4020102'],
  ];
  for (const [value, expected] of cases) {
    const packed = encodeMsgpack(value);
    assert.equal(hex(packed), expected, `encoding ${value}`);
    assert.deepEqual(decodeMsgpack(packed), value);
    assert.deepEqual(referenceDecode(packed), value);
  }
  // floats written as floats by the native JSON parser, read back as numbers
  assert.equal(hex(jsonToMsgpack('120.0')), 'cb405e000000000000');
  assert.equal(decodeMsgpack(jsonToMsgpack('120.0')), 120);
  assert.equal(decodeMsgpack(Uint8Array.from([0xca, 0x3f, 0xc0, 0, 0])), 1.5);
  assert.equal(msgpackToJson(Uint8Array.from([0xca, 0x3f, 0xc0, 0, 0])), '1.5');
  // bigint: 64-bit forms beyond 2^53, the smallest form below; numbers beyond 32 bits stay integers alongside
  assert.equal(hex(encodeMsgpack(18446744073709551615n)), 'cfffffffffffffffff');
  assert.equal(hex(encodeMsgpack(-9223372036854775808n)), 'd38000000000000000');
  assert.equal(hex(encodeMsgpack([2n, 4294967296, 1.5, 9007199254740993n])), '9402cf0000000100000000cb3ff8000000000000cf0020000000000001');
  assert.deepEqual(decodeMsgpack(encodeMsgpack({ n: 4294967296, b: 9007199254740993n })), { n: 4294967296, b: 9007199254740993n });
  assert.throws(() => encodeMsgpack(2n ** 64n), /does not fit msgpack's 64 bits/);
  const long = 'x'.repeat(40);
  assert.equal(hex(encodeMsgpack(long).subarray(0, 2)), 'd928');
  const map = { b: 1, a: [1, 'two', { c: null }] };
  assert.deepEqual(referenceDecode(encodeMsgpack(map)), map);
  assert.deepEqual(decodeMsgpack(encodeMsgpack(map)), map);
  // a key whose value is undefined is left out, as JSON.stringify does
  assert.equal(hex(encodeMsgpack({ a: 1, u: undefined })), '81a16101');
});

test('msgpack: EventTime is ext type 0, 8 bytes, big-endian seconds then nanoseconds', () => {
  const time = new EventTime(1700000000, 123456789);
  const packed = encodeMsgpack(time);
  assert.equal(hex(packed), 'd700' + '6553f100' + '075bcd15');
  const back = decodeMsgpack(packed);
  assert.ok(back instanceof EventTime);
  assert.ok(back.equals(time));
  assert.equal(back.toString(), '1700000000.123456789');
  // the exported codec is @msgpack/msgpack's own ExtensionCodec: the library round-trips it
  const viaLibrary = referenceDecode(packed, { extensionCodec });
  assert.ok(viaLibrary instanceof EventTime && viaLibrary.equals(time));
  assert.deepEqual(referenceDecode(packed), new ReferenceExtData(0, Uint8Array.from(Buffer.from('6553f100075bcd15', 'hex'))));
  assert.equal(EventTime.parse('1700000000.5').toString(), '1700000000.500000000');
  assert.equal(EventTime.fromSeconds(1.25).nanoseconds, 250000000);
  assert.throws(() => decodeMsgpack(Uint8Array.from([0xd7, 0, 0, 0, 0, 1, 0x3b, 0x9a, 0xca, 0x00])), /nanoseconds/);
  const other = decodeMsgpack(Uint8Array.from([0xd4, 5, 9]));
  assert.ok(other instanceof ExtData);
  assert.equal(other.type, 5);
});

test('msgpack: float32 and key order survive the native JSON writer', () => {
  const packed = Uint8Array.from([0x82, 0xa1, 0x31, 0xca, 0x3f, 0xc0, 0, 0, 0xa1, 0x61, 0x01]);
  assert.equal(msgpackToJson(packed), '{"1":1.5,"a":1}');
  assert.deepEqual(Object.keys(decodeMsgpack(packed)), ['1', 'a']);
});

test('msgpack: truncated and invalid input is an error', () => {
  assert.throws(() => decodeMsgpack(Uint8Array.from([0x92, 0x01])), (err) => err instanceof MsgpackError && /truncated/.test(err.message));
  assert.throws(() => decodeMsgpack(Uint8Array.from([0xc1])), (err) => err instanceof MsgpackError && /type byte: 0xc1/.test(err.message));
  assert.throws(() => decodeMsgpack(Uint8Array.from([0x01, 0x02])), /Extra 1 of 2 byte\(s\)/);
  assert.throws(() => msgpackToJson(Uint8Array.from([0x92, 0x01])), { code: 'LOGWASM_ERR_MALFORMED' });
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
  assert.ok(decoded[0].time.equals(t));
  assert.deepEqual(decoded[0].metadata, { m: 1 });
  assert.equal(decoded[1].metadata, undefined);
  assert.deepEqual(decoded[1].body, { b: 2 });
  assert.ok(isGroupMarker(decoded[2]));
  assert.ok(!isGroupMarker(decoded[0]));
  assert.equal(eventTimeOf(decoded[3]).toString(), '1700000001.500000000');
  // reference decoder agrees on the structure
  const first = referenceDecode(chunk.subarray(0, encodeChunk([events[0]]).length), { extensionCodec });
  assert.deepEqual(first, [[t, { m: 1 }], { a: 1 }]);
  // default form adds {} metadata
  assert.deepEqual(decodeChunk(encodeChunk([{ time: t, body: {} }]))[0].metadata, {});
  // the native reader sees the same events: metadata null for [time, body], JSON bodies
  const json = chunkToJsonEvents(chunk);
  assert.deepEqual(json.map((e) => [e.time.toString(), e.metadata, e.body, e.groupMarker]), [
    ['1700000000.000000005', '{"m":1}', '{"a":1}', false],
    ['1700000000.000000005', null, '{"b":2}', false],
    ['-1.000000000', '{}', '{"resource":{}}', true],
    ['1700000001.500000000', '{}', '{"c":3}', false],
  ]);
});

test('chunks: NDJSON lines become chunk entries natively, numbers and times exact', () => {
  const now = new EventTime(5, 6);
  const withMeta = chunkEntryFromJsonLine('[[1700000001.000000001, {"m":true}], {"f":120.0,"big":18446744073709551615}]', now);
  const legacy = chunkEntryFromJsonLine('[1700000000.5, {"x":1}]', now);
  const bare = chunkEntryFromJsonLine(' {"x":"now"} ', now);
  const chunk = Buffer.concat([withMeta, legacy, bare]);
  assert.deepEqual(chunkToJsonEvents(chunk).map((e) => [e.time.toString(), e.metadata, e.body]), [
    ['1700000001.000000001', '{"m":true}', '{"f":120.0,"big":18446744073709551615}'],
    ['1700000000.500000000', '{}', '{"x":1}'],
    ['5.000000006', '{}', '{"x":"now"}'],
  ]);
  const events = decodeChunk(chunk);
  assert.ok(events[0].time.equals(new EventTime(1700000001, 1)));
  assert.deepEqual(events[0].metadata, { m: true });
  assert.deepEqual(events[0].body, { f: 120, big: 18446744073709551615n });
  assert.deepEqual(eventFromJsonLine('["1700000002.25", {"s":"\\u00e9"}]'), { time: new EventTime(1700000002, 250000000), metadata: {}, body: { s: 'é' } });
  assert.throws(() => chunkEntryFromJsonLine('[1, 2]', now), /the body must be a JSON object/);
  assert.throws(() => chunkEntryFromJsonLine('[[1, 2], {}]', now), /the metadata must be a JSON object/);
  assert.throws(() => chunkEntryFromJsonLine('not json', now), /unexpected 'n', expected a JSON object, \[time, body\] or \[\[time, metadata\], body\] \(column 1\)/);
  assert.throws(() => chunkEntryFromJsonLine('[-1, {}]', now), /time must not be negative/);
  assert.throws(() => chunkEntryFromJsonLine('[1, {"a":}]', now), /invalid JSON: unexpected character \(column 10\)/);
  assert.throws(() => chunkEntryFromJsonLine('[1, {}] x', now), /expected the end of the line/);
});

test('chunks: a corrupt chunk is an error, not a partial result', () => {
  const chunk = encodeChunk([{ time: new EventTime(1, 0), body: { a: 1 } }, { time: new EventTime(2, 0), body: { b: 2 } }]);
  assert.throws(() => decodeChunk(chunk.subarray(0, chunk.length - 2)), /truncated msgpack/);
  assert.throws(() => decodeChunk(Uint8Array.from([0x93, 1, 2, 3])), /not a \[time-or-header, body\] array/);
  assert.throws(() => decodeChunk(encodeMsgpack([['x', {}], {}])), /time must be an EventTime or a number/);
  assert.throws(() => chunkToJsonEvents(chunk.subarray(0, chunk.length - 2)), (err) => err.code === 'LOGWASM_ERR_MALFORMED' && /corrupt chunk: the event starting at byte \d+/.test(err.message));
});
