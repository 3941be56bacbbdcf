// lib/config/yaml.ts: the YAML format's own rules, as Fluent Bit applies them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertConfigError, pairs, read, valueOf, writeFiles } from './helpers.mjs';

const yaml = (text, extra = {}, options) => read({ 'main.yaml': text, ...extra }, 'main.yaml', options);
const input = (properties) => yaml(`pipeline:\n  inputs:\n    - name: dummy\n${properties}`).inputs[0];

test('camelCase keys become snake_case; keys with an underscore or a capital first letter are only lower-cased', () => {
  const section = input('      intervalSec: 1\n      aBCD: 2\n      storageType: x\n      Interval_Sec: 3\n      AA: 4\n      storage.type: y\n');
  assert.deepEqual(pairs(section).map(([key]) => key), ['name', 'interval_sec', 'a_b_c_d', 'storage_type', 'interval_sec', 'aa', 'storage.type']);
});

test('a list value stays a list (items as written); scalars are the text written, trimmed', () => {
  const section = input(`      success_header:
        - foo bar
        - ' bar foo '
      on_flag: on
      number: 1.0
      hex: 0x10
      tilde: ~
      empty:
      quoted: "  padded  "
`);
  assert.deepEqual(pairs(section).slice(1), [
    ['success_header', ['foo bar', ' bar foo ']],
    ['on_flag', 'on'],
    ['number', '1.0'],
    ['hex', '0x10'],
    ['tilde', '~'],
    ['empty', ''],
    ['quoted', 'padded'],
  ]);
  assert.deepEqual(pairs(input('      record: [a b, c d]\n')).slice(1), [['record', ['a b', 'c d']]]);
});

test('multi-line values: block scalars keep their inner lines, trimmed at the ends', () => {
  const section = input('      code: |\n        function f()\n          return 1\n        end\n      folded: >\n        one\n        two\n');
  assert.equal(valueOf(section, 'code'), 'function f()\n  return 1\nend');
  assert.equal(valueOf(section, 'folded'), 'one two');
});

test('top-level and pipeline keys are case-insensitive', () => {
  const config = yaml('SERVICE:\n  flush: 1\nPipeline:\n  Inputs:\n    - name: dummy\n  OUTPUTS:\n    - name: null\n');
  assert.deepEqual(pairs(config.service), [['flush', '1']]);
  assert.equal(config.inputs.length, 1);
  assert.equal(config.outputs.length, 1);
});

test('duplicate keys in a map are kept in order, as libyaml hands them to Fluent Bit', () => {
  assert.deepEqual(pairs(input('      header: a\n      header: b\n')).slice(1), [['header', 'a'], ['header', 'b']]);
  const config = yaml('pipeline:\n  inputs:\n    - name: a\npipeline:\n  inputs:\n    - name: b\n');
  assert.deepEqual(config.inputs.map((section) => valueOf(section, 'name')), ['a', 'b']);
});

test('service: a second service: (here or in an included file) is an error, as in Fluent Bit', () => {
  assertConfigError(() => yaml('service:\n  flush: 1\nservice:\n  flush: 2\n'), { line: 3, key: 'service', match: /'service' is defined twice \(also at .*main\.yaml:1\); Fluent Bit accepts one/ });
  assertConfigError(() => yaml('service:\n  flush: 1\nincludes: [b.yaml]\n', { 'b.yaml': 'service:\n  grace: 1\n' }), { file: 'b.yaml', line: 1, match: /defined twice/ });
});

test('service: a list or a map as a value is an error', () => {
  assertConfigError(() => yaml('service:\n  parsers_file: [a.conf, b.conf]\n'), { line: 2, key: 'parsers_file', match: /'parsers_file' in 'service' must be a single value, not a list/ });
});

test('processors: logs, metrics and traces lists of processors, nested values as groups', () => {
  const section = input(`      processors:
        logs:
          - name: record_modifier
            record:
              - filtered_by record_modifier
              - powered_by calyptia
          - name: content_modifier
            action: insert
            key: x
        Metrics:
          - name: labels
            insert:
              - name: env
                value: prod
            settings:
              nestedKey: v
`);
  const [processors] = section.groups.processors;
  assert.deepEqual(Object.keys(processors.groups), ['logs', 'metrics']);
  assert.deepEqual(processors.groups.logs.map(pairs), [
    [['name', 'record_modifier'], ['record', ['filtered_by record_modifier', 'powered_by calyptia']]],
    [['name', 'content_modifier'], ['action', 'insert'], ['key', 'x']],
  ]);
  const [labels] = processors.groups.metrics;
  assert.deepEqual(labels.groups.insert.map(pairs), [[['name', 'env'], ['value', 'prod']]]);
  assert.deepEqual(labels.groups.settings.map(pairs), [[['nestedKey', 'v']]], 'keys inside a processor value are data, kept as written');
});

test('processors: an unknown signal or a list instead of a map is an error', () => {
  assertConfigError(() => input('      processors:\n        logz:\n          - name: x\n'), { line: 5, match: /unknown processor type 'logz'; use logs, metrics or traces/ });
  assertConfigError(() => input('      processors:\n        - name: x\n'), { line: 5, match: /'processors' must be a map/ });
});

test('a map value of a plugin property is a group named after its key; a list of maps there is an error (as in Fluent Bit)', () => {
  const section = input('      tls:\n        verify: off\n        ca_file: /x\n');
  assert.deepEqual(section.groups.tls.map(pairs), [[['verify', 'off'], ['ca_file', '/x']]]);
  assertConfigError(() => input('      header:\n        - a: b\n'), { line: 5, key: 'header', match: /the list under 'header' may only hold plain values/ });
});

test('customs go at the top level; under pipeline they are an error, as is any other pipeline part', () => {
  assert.deepEqual(yaml('customs:\n  - name: calyptia\n    api_key: k\n').customs.map(pairs), [[['name', 'calyptia'], ['api_key', 'k']]]);
  assertConfigError(() => yaml('pipeline:\n  customs:\n    - name: x\n'), { line: 2, match: /'customs' is not a part of a pipeline; customs: goes at the top level/ });
  assertConfigError(() => yaml('pipeline:\n  outputz:\n    - name: x\n'), { line: 2, match: /'outputz' is not a part of a pipeline; use inputs, filters or outputs/ });
});

test('plugins, parsers and pipeline parts must be lists, plugins maps; an empty list part is an error (as in Fluent Bit)', () => {
  assertConfigError(() => yaml('pipeline:\n  inputs:\n'), { line: 2, match: /'inputs' must be a list/ });
  assertConfigError(() => yaml('pipeline:\n  inputs:\n    name: dummy\n'), { line: 3, match: /'inputs' must be a list/ });
  assertConfigError(() => yaml('pipeline:\n  inputs:\n    - dummy\n'), { line: 3, match: /each of 'inputs' must be a map/ });
  assertConfigError(() => yaml('parsers:\n  name: json\n'), { line: 2, match: /'parsers' must be a list/ });
  assertConfigError(() => yaml('pipeline: []\n'), { line: 1, match: /'pipeline' must be a map/ });
});

test('the top level must be a map; an unknown top-level key must hold a map', () => {
  assertConfigError(() => yaml('- a\n- b\n'), { line: 1, match: /the top level must be a map/ });
  assertConfigError(() => yaml('flush: 1\n'), { line: 1, match: /top-level key 'flush' must be a map/ });
});

test('several documents are read in order', () => {
  const config = yaml('pipeline:\n  inputs:\n    - name: a\n---\npipeline:\n  inputs:\n    - name: b\n...\n');
  assert.deepEqual(config.inputs.map((section) => valueOf(section, 'name')), ['a', 'b']);
});

test('aliases are an error (Fluent Bit rejects them); anchors alone are fine', () => {
  assertConfigError(() => yaml('pipeline:\n  inputs:\n    - &d { name: dummy }\n    - *d\n'), { line: 4, match: /YAML alias \*d is not supported/ });
  assert.equal(valueOf(yaml('pipeline:\n  inputs:\n    - &d { name: dummy }\n').inputs[0], 'name'), 'dummy');
});

test('a YAML syntax error is reported at its line', () => {
  assertConfigError(() => yaml('pipeline:\n  inputs:\n    - name: dummy\n      tag: [unclosed\n'), { file: 'main.yaml', match: /invalid YAML/ });
  const error = assertConfigError(() => yaml('service:\n  flush: 1\n   grace: 2\n'), { match: /invalid YAML/ });
  assert.ok(error.line >= 2 && error.line <= 3, error.message);
  assertConfigError(() => yaml('pipeline:\n  inputs:\n    - name: x\n      hi: * # unquoted star\n'), { line: 4, match: /invalid YAML/ });
});

test('nesting deeper than 64 levels is refused before the YAML is composed (no stack overflow, no crash)', () => {
  for (const text of ['['.repeat(100000), '- '.repeat(30000) + 'x', 'a:\n' + Array.from({ length: 3000 }, (_, i) => ' '.repeat(i + 1) + 'b:').join('\n')]) {
    const started = Date.now();
    assertConfigError(() => yaml(text), { match: /YAML nested \d+ levels deep, more than the 64 logwasm reads/ });
    assert.ok(Date.now() - started < 10000);
  }
  yaml(`a:\n${Array.from({ length: 60 }, (_, i) => ' '.repeat(i + 2) + `k${i}:`).join('\n')} v\n`);
});

test('env: a map, or a list of entries with value or a file:// uri', () => {
  const dir = writeFiles({ 'secret.txt': 's3cret\n' });
  const config = yaml(`env:
  - name: A
    value: one
  - name: B
    uri: file://${dir}/secret.txt
    refresh_interval: 30
pipeline:
  inputs:
    - name: dummy
      a: \${A}
      b: \${B}
`);
  assert.deepEqual(pairs(config.inputs[0]).slice(1), [['a', 'one'], ['b', 's3cret']]);
  assert.match(config.warnings[0].message, /refresh_interval is not supported/);
  assertConfigError(() => yaml('env:\n  - name: A\n    value: x\n    uri: file:///x\n'), { line: 4, match: /has both value and uri/ });
  assertConfigError(() => yaml('env:\n  - value: x\n'), { line: 2, match: /an env entry needs a 'name'/ });
  assertConfigError(() => yaml('env:\n  A: [1, 2]\n'), { line: 2, match: /variable 'A' must have a single value/ });
});

test('a YAML parsers file: only parsers and multiline_parsers are read there, the rest is ignored with a warning', () => {
  const config = yaml('service:\n  parsers_file: p.yaml\n', { 'p.yaml': 'parsers:\n  - name: json\n    format: json\npipeline:\n  inputs:\n    - name: dummy\n' });
  assert.equal(config.parsers.length, 1);
  assert.equal(config.inputs.length, 0);
  assert.match(config.warnings[0].message, /'pipeline' in a parsers file is ignored/);
});

test('parsers: and multiline_parsers: in the main YAML file are read (unlike the classic main file)', () => {
  const config = yaml('parsers:\n  - name: json\n    format: json\n    time_key: time\nmultiline_parsers:\n  - name: m\n    type: regex\n    rules:\n      - state: start_state\n        regex: /a/\n        next_state: cont\n');
  assert.deepEqual(config.parsers.map(pairs), [[['name', 'json'], ['format', 'json'], ['time_key', 'time']]]);
  assert.deepEqual(config.multilineParsers[0].groups.rules.map(pairs), [[['state', 'start_state'], ['regex', '/a/'], ['next_state', 'cont']]]);
});

test('routes keep their nested structure as groups', () => {
  const section = yaml('pipeline:\n  inputs:\n    - name: dummy\n      routes:\n        logs:\n          - name: r1\n            to:\n              outputs: [a, b]\n').inputs[0];
  const [routes] = section.groups.routes;
  assert.deepEqual(routes.groups.logs[0].properties.map((p) => [p.key, p.value]), [['name', 'r1']]);
  assert.deepEqual(routes.groups.logs[0].groups.to.map(pairs), [[['outputs', ['a', 'b']]]]);
});
