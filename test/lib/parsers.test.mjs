// lib/parsers: Fluent Bit [PARSER] definitions (json, regex) with Time_Key / Time_Format / Types.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createParser, parseTime, EventTime } from '../../dist/index.js';

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
  // records from parsers are plain objects: 1.0 is the number 1 (JavaScript has no float kind)
  assert.deepEqual(parsed.body, { msg: 'hi', n: 1 });
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
  assert.equal(parser.parse('nope'), null);
  assert.throws(() => createParser({ name: 'bad', format: 'regex', regex: '(' }), /parser 'bad': invalid Regex/);
});
