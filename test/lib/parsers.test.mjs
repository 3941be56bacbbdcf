// lib/parsers: Fluent Bit [PARSER] definitions (json, regex) with Time_Key / Time_Format / Types.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createParser, parseTime, EventTime, jsonToMsgpack, msgpackToJson } from '../../dist/index.js';

// JSON text through the filter's own parser and writer: shows the number kinds exactly
const exact = (json) => msgpackToJson(jsonToMsgpack(json));

test('parseTime: the strptime directives configs use', () => {
  assert.deepEqual(parseTime('2022-10-20T12:56:28', '%Y-%m-%dT%H:%M:%S'), new EventTime(1666270588, 0));
  assert.deepEqual(parseTime('2022-10-20T12:56:28.271704', '%Y-%m-%dT%H:%M:%S.%L'), new EventTime(1666270588, 271704000));
  assert.deepEqual(parseTime('20/Oct/2022:14:56:28 +0200', '%d/%b/%Y:%H:%M:%S %z'), new EventTime(1666270588, 0));
  assert.deepEqual(parseTime('2022-10-20 12:56:28Z', '%F %T%z'), new EventTime(1666270588, 0));
  assert.deepEqual(parseTime('1666270588', '%s'), new EventTime(1666270588, 0));
  assert.equal(parseTime('yesterday', '%Y-%m-%d'), null);
  assert.equal(parseTime('2022-10-20', '%Y/%m/%d'), null);
});

test('json parser: a JSON object line, with its time key taken out', () => {
  const parser = createParser({ name: 'j', format: 'json', timeKey: 'ts', timeFormat: '%Y-%m-%dT%H:%M:%S' });
  const parsed = parser.parse('{"ts":"2022-10-20T12:56:28","msg":"hi","n":1.0}');
  assert.deepEqual(parsed.time, new EventTime(1666270588, 0));
  assert.deepEqual(Object.keys(parsed.body), ['msg', 'n']);
  // plain objects for JavaScript (1.0 is the number 1 there) ...
  assert.deepEqual(parsed.body, { msg: 'hi', n: 1 });
  // ... and JSON text for records built natively, where 1.0 stays a float
  const asJson = parser.parseToJson('{"ts":"2022-10-20T12:56:28","msg":"hi","n":1.0,"big":18446744073709551615}');
  assert.deepEqual(asJson.time, new EventTime(1666270588, 0));
  assert.equal(exact(asJson.json), '{"msg":"hi","n":1.0,"big":18446744073709551615}', '1.0 stays a float');
  assert.equal(parser.parseToJson('not json'), null);
  assert.equal(parser.parse('not json'), null);
  assert.equal(parser.parse('[1,2]'), null, 'a JSON value that is not an object does not parse');
});

test('json parser: Time_Keep keeps the key; no time key means no time', () => {
  const keep = createParser({ name: 'j', format: 'json', timeKey: 'ts', timeFormat: '%s', timeKeep: true });
  const parsed = keep.parse('{"ts":"5","a":1}');
  assert.deepEqual(parsed.time, new EventTime(5, 0));
  assert.equal(parsed.body.ts, '5');
  assert.equal(createParser({ name: 'j', format: 'json' }).parse('{"a":1}').time, undefined);
});

test('regex parser: named groups, Types conversions, non-matching lines', () => {
  const parser = createParser({
    name: 'r', format: 'regex', regex: '^(?<host>\\S+) (?<code>\\d+) (?<size>[\\d.]+) (?<ok>\\w+)$', types: 'code:integer size:float ok:bool',
  });
  const parsed = parser.parse('web-1 200 1.5 true');
  assert.deepEqual(parsed.body, { host: 'web-1', code: 200, size: 1.5, ok: true });
  // a Types float is a float even when integral
  assert.equal(exact(parser.parseToJson('web-1 200 2 true').json), '{"host":"web-1","code":200,"size":2.0,"ok":true}');
  assert.equal(exact(parser.parseToJson('web-"1 200 1.5 maybe').json), '{"host":"web-\\"1","code":200,"size":1.5,"ok":"maybe"}');
  assert.equal(parser.parse('nope'), null);
  assert.throws(() => createParser({ name: 'bad', format: 'regex', regex: '(' }), /parser 'bad': invalid Regex/);
});

test('json parser: nested values, strings with braces and duplicate time keys are scanned correctly', () => {
  const parser = createParser({ name: 'j', format: 'json', timeKey: 'ts', timeFormat: '%s' });
  const parsed = parser.parseToJson(' { "a" : {"x":[1,{"y":"}]"}]} , "ts":"1", "s":"\\"{,", "ts" : "7" , "f":1e2 } ');
  assert.deepEqual(parsed.time, new EventTime(7, 0), 'the last of duplicate time keys');
  assert.equal(exact(parsed.json), '{"a":{"x":[1,{"y":"}]"}]},"s":"\\"{,","f":100.0}');
  assert.deepEqual(parser.parse('{"ts":"3","k":[true,null]}'), { time: new EventTime(3, 0), body: { k: [true, null] } });
});
