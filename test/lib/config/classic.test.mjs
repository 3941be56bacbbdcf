// lib/config/classic.ts: the classic format's own rules, as Fluent Bit applies them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertConfigError, pairs, read, valueOf } from './helpers.mjs';

const conf = (text, extra = {}) => read({ 'main.conf': text, ...extra }, 'main.conf');

test('indentation: the first indented line sets the indent, an entry indented differently is an error', () => {
  // Fluent Bit's own indent_level_error case: 4 spaces, then 6
  assertConfigError(() => conf('[INPUT]\n    Name dummy\n\n[OUTPUT]\n      Name stdout\n      Match *\n'),
    { file: 'main.conf', line: 5, match: /indented by 6 spaces: entries in this file use 4 spaces, group entries twice that/ });
  assertConfigError(() => conf('[INPUT]\n    Name dummy\n  Tag x\n'), { line: 3, match: /'Tag x' is indented less than the entries in this file \(4 spaces\)/ });
  // 2 spaces are fine when the whole file uses 2
  assert.deepEqual(pairs(conf('[INPUT]\n  Name dummy\n[OUTPUT]\n  Name null\n').outputs[0]), [['name', 'null']]);
});

test('indentation: the indent is per file, an included file may use another', () => {
  const config = conf('[INPUT]\n    Name dummy\n@INCLUDE out.conf\n', { 'out.conf': '[OUTPUT]\n\tName null\n\tMatch *\n' });
  assert.deepEqual(pairs(config.outputs[0]), [['name', 'null'], ['match', '*']]);
});

test('indentation: a tab where the indent has a space (or the reverse) is an error', () => {
  assertConfigError(() => conf('[INPUT]\n    Name dummy\n\tTag x\n'), { line: 3, match: /inconsistent use of tabs and spaces: entries in this file are indented with 4 spaces/ });
  assertConfigError(() => conf('[INPUT]\n\tName dummy\n    Tag x\n'), { line: 3, match: /indented with 1 tab/ });
});

test('indentation: twice the indent is group content; any other extra indentation is an error', () => {
  const config = conf('[INPUT]\n    Name dummy\n        Tag x\n');
  assert.deepEqual(pairs(config.inputs[0]), [['name', 'dummy'], ['tag', 'x']]);
  assertConfigError(() => conf('[INPUT]\n    Name dummy\n       Tag x\n'), { line: 3, match: /indented by 7 spaces/ });
});

test('indentation: an entry at column 1 is an error', () => {
  assertConfigError(() => conf('[INPUT]\nName dummy\n'), { line: 2, match: /'Name dummy' is not indented; indent the entries of \[INPUT\]/ });
  assertConfigError(() => conf('[INPUT]\n    Name dummy\nTag x\n'), { line: 3, match: /'Tag x' is indented less than/ });
});

test('indentation: a blank line holding fewer or more spaces than the indent is an error, one holding exactly the indent is not', () => {
  assertConfigError(() => conf('[INPUT]\n    Name dummy\n  \n    Tag x\n'), { line: 3, match: /this blank line holds spaces, fewer than the 4 spaces entries are indented with/ });
  assertConfigError(() => conf('[INPUT]\n    Name dummy\n      \n    Tag x\n'), { line: 3, match: /indented by 6 spaces/ });
  assert.deepEqual(pairs(conf('[INPUT]\n    Name dummy\n    \n        \n    Tag x\n\n').inputs[0]), [['name', 'dummy'], ['tag', 'x']]);
});

test('comments: # at column 1 anywhere; an indented comment must follow the indent', () => {
  const config = conf('# top\n[INPUT]\n# column one\n    # indented\n    Name dummy\n        # twice\n');
  assert.deepEqual(pairs(config.inputs[0]), [['name', 'dummy']]);
  assertConfigError(() => conf('[INPUT]\n    Name dummy\n  # comment\n'), { line: 3, match: /'# comment' is indented less/ });
});

test('an entry is a key, one space, a value: the value is trimmed and keeps inner spaces; keys are lower-cased, not snake-cased', () => {
  const config = conf('[INPUT]\n    Name    dummy  \n    Dummy   {"a": 1,  "b": 2}\n    intervalSec 2\n');
  assert.deepEqual(pairs(config.inputs[0]), [['name', 'dummy'], ['dummy', '{"a": 1,  "b": 2}'], ['intervalsec', '2']]);
});

test('a key without a value is an error at its line (Fluent Bit issue 5880)', () => {
  assertConfigError(() => conf('[INPUT]\n    Name dummy\n    Tag dummy\n\n[FILTER]\n    Name modify\n    Match *\n    ADD foo bar\n    ADD\n'),
    { line: 9, key: 'add', match: /key 'ADD' has no value/ });
  assertConfigError(() => conf('[OUTPUT]\n    Name stdout\n    Format \n'), { line: 3, key: 'format', match: /key 'format' has no value/ });
});

test('a key and value separated by a tab is an error (Fluent Bit splits at the first space only)', () => {
  assertConfigError(() => conf('[INPUT]\n    Name\tdummy\n'), { line: 2, match: /key and value of 'Name\\tdummy' are separated by a tab/ });
});

test('an entry before any section is an error', () => {
  assertConfigError(() => conf('    Name dummy\n[INPUT]\n    Name dummy\n'), { line: 1, match: /'Name dummy' is outside of any section/ });
  assertConfigError(() => conf('Name dummy\n'), { line: 1, match: /'Name dummy' is outside of any section/ });
});

test('section headers: names are case-insensitive, plurals accepted, text after ] ignored', () => {
  const config = conf('[input]\n    name a\n[Inputs] # the second\n    name b\n[OUTPUTS]\n    name null\n');
  assert.deepEqual(config.inputs.map((input) => valueOf(input, 'name')), ['a', 'b']);
  assert.equal(config.outputs.length, 1);
});

test('section headers: a missing ], an empty name, spaces inside the brackets are errors', () => {
  assertConfigError(() => conf('[INPUT\n    name a\n'), { line: 1, match: /section header '\[INPUT' has no closing '\]'/ });
  assertConfigError(() => conf('[]\n    name a\n'), { line: 1, match: /has no name/ });
  assertConfigError(() => conf('[ INPUT ]\n    name a\n'), { line: 1, match: /section name ' INPUT ' has spaces around it.*write \[INPUT\]/ });
});

test('section headers: an abbreviation Fluent Bit would expand is an error naming the full name', () => {
  assertConfigError(() => conf('[IN]\n    name a\n'), { line: 1, match: /section \[IN\] is an abbreviation: Fluent Bit reads it as \[INPUT\]/ });
  assertConfigError(() => conf('[OUT]\n    name a\n'), { match: /reads it as \[OUTPUT\]/ });
  assertConfigError(() => conf('[S]\n    flush 1\n'), { match: /reads it as \[SERVICE\]/ });
});

test('duplicate [SERVICE] sections are merged into one, keys in order (the last one wins when read)', () => {
  const config = conf('[SERVICE]\n    Flush 1\n    Log_Level info\n[INPUT]\n    Name dummy\n[SERVICE]\n    Flush 5\n    Grace 2\n');
  assert.deepEqual(pairs(config.service), [['flush', '1'], ['log_level', 'info'], ['flush', '5'], ['grace', '2']]);
  assert.equal(valueOf(config.service, 'flush'), '5');
  assert.equal(config.service.location.line, 1);
});

test('[PARSER] and [MULTILINE_PARSER] are errors in the main configuration (they belong in a parsers file)', () => {
  assertConfigError(() => conf('[PARSER]\n    Name json\n    Format json\n'), { line: 1, match: /\[PARSER\] sections are not allowed in the main configuration file.*parsers_file/ });
  assertConfigError(() => conf('@INCLUDE p.conf\n', { 'p.conf': '[MULTILINE_PARSER]\n    name x\n' }), { file: 'p.conf', line: 1, match: /\[MULTILINE_PARSER\] sections are not allowed/ });
});

test('groups: [NAME ...] inside a section starts a group, its entries indented twice; the section resumes after', () => {
  const config = conf(`[INPUT]
    name      tail

    [GROUP 1]
        key1  aa
        key2  bb

    [GROUP 2]
        key3  cc
    path      /var/log/x.log
`);
  const [tail] = config.inputs;
  assert.deepEqual(pairs(tail), [['name', 'tail'], ['path', '/var/log/x.log']]);
  assert.deepEqual(Object.keys(tail.groups), ['group 1', 'group 2']);
  assert.deepEqual(tail.groups['group 1'].map(pairs), [[['key1', 'aa'], ['key2', 'bb']]]);
  assert.deepEqual(tail.groups['group 2'][0].location, { file: tail.location.file, line: 8 });
});

test('groups: a header without a space or ], or after a group with no keys, is an error', () => {
  assertConfigError(() => conf('[INPUT]\n    name a\n    [GROUP]\n'), { line: 3, match: /group header '\[GROUP\]' needs a name after a space/ });
  assertConfigError(() => conf('[INPUT]\n    name a\n    [GROUP x\n'), { line: 3, match: /has no closing '\]'/ });
  // as in Fluent Bit, only a header inside the group's own indentation checks the group before
  assertConfigError(() => conf('[INPUT]\n    name a\n    [GROUP a]\n        [GROUP b]\n        k v\n'), { line: 4, match: /the group before this one has no keys/ });
  assert.deepEqual(Object.keys(conf('[INPUT]\n    name a\n    [GROUP a]\n    [GROUP b]\n        k v\n').inputs[0].groups), ['group a', 'group b']);
});

test('@SET NAME=VALUE: trimmed around the =; without = it is an error', () => {
  const config = conf('@SET  name = dummy \n@set other=a=b\n[INPUT]\n    name ${name}\n    tag ${other}\n');
  assert.deepEqual(pairs(config.inputs[0]), [['name', 'dummy'], ['tag', 'a=b']]);
  assertConfigError(() => conf('@SET nothing\n'), { line: 1, key: '@SET', match: /@SET needs NAME=VALUE, got 'nothing'/ });
  assertConfigError(() => conf('@SET =x\n'), { line: 1, match: /@SET needs NAME=VALUE/ });
});

test('@ commands: @INCLUDE is case-insensitive; an unknown command or an indented one is an error', () => {
  assert.equal(conf('@include a.conf\n', { 'a.conf': '[INPUT]\n    name x\n' }).inputs.length, 1);
  assertConfigError(() => conf('@IMPORT x.conf\n'), { line: 1, match: /unknown command '@IMPORT'; Fluent Bit has @SET and @INCLUDE/ });
  assertConfigError(() => conf('@INCLUDE\n'), { line: 1, match: /@INCLUDE needs a file name/ });
  assertConfigError(() => conf('[INPUT]\n    @INCLUDE a.conf\n'), { line: 2, match: /@INCLUDE is indented: Fluent Bit reads it as a key of \[INPUT\]/ });
});

test('@INCLUDE inside a section: the section goes on after the included file, as in Fluent Bit', () => {
  const config = conf('[INPUT]\n    Name dummy\n@INCLUDE vars.conf\n    Tag after\n', { 'vars.conf': '@SET x=1\n' });
  assert.deepEqual(pairs(config.inputs[0]), [['name', 'dummy'], ['tag', 'after']]);
});

test('@INCLUDE paths are not ${VAR}-expanded (Fluent Bit reads them as written)', () => {
  assertConfigError(() => conf('@SET dir=conf.d\n@INCLUDE ${dir}/a.conf\n', { 'conf.d/a.conf': '' }),
    { line: 2, match: /cannot read included file '.*\$\{dir\}\/a\.conf': no such file/ });
});

test('line endings: CRLF, a last line without a newline, a byte order mark', () => {
  const config = conf('\ufeff[INPUT]\r\n    Name dummy\r\n    Tag  a b \r\n[OUTPUT]\r\n    Name null');
  assert.deepEqual(pairs(config.inputs[0]), [['name', 'dummy'], ['tag', 'a b']]);
  assert.deepEqual(pairs(config.outputs[0]), [['name', 'null']]);
});

test('multiline parser rule lines become rules groups; a rule without three fields is an error', () => {
  const parsers = `[MULTILINE_PARSER]
    name          go
    type          regex
    flush_timeout 1000
    rule      "start_state"   "/^panic: .*/"         "go_after_panic"
    rule      "go_after_panic" "/^\\s+at \\"x\\" y/"  "go_after_panic"
`;
  const config = conf('[SERVICE]\n    parsers_file parsers.conf\n', { 'parsers.conf': parsers });
  const [go] = config.multilineParsers;
  assert.deepEqual(pairs(go), [['name', 'go'], ['type', 'regex'], ['flush_timeout', '1000']]);
  assert.deepEqual(go.groups.rules.map(pairs), [
    [['state', 'start_state'], ['regex', '/^panic: .*/'], ['next_state', 'go_after_panic']],
    [['state', 'go_after_panic'], ['regex', '/^\\s+at "x" y/'], ['next_state', 'go_after_panic']],
  ]);
  assertConfigError(() => conf('[SERVICE]\n    parsers_file p.conf\n', { 'p.conf': '[MULTILINE_PARSER]\n    name x\n    rule "a" "/b/"\n' }),
    { file: 'p.conf', line: 3, key: 'rule', match: /a multiline rule needs three fields/ });
});

test('a parsers file: other sections and @SET are ignored there with a warning, as Fluent Bit ignores them', () => {
  const config = conf('[SERVICE]\n    parsers_file p.conf\n', { 'p.conf': '@SET x=1\n[INPUT]\n    name dummy\n[PARSER]\n    name json\n    format json\n' });
  assert.equal(config.inputs.length, 0);
  assert.deepEqual(config.env, {});
  assert.equal(config.parsers.length, 1);
  assert.deepEqual(config.warnings.map((warning) => [warning.line, warning.message]), [
    [1, '@SET in a parsers file has no effect (Fluent Bit ignores it there)'],
    [2, '[INPUT] in a parsers file is ignored (Fluent Bit reads only [PARSER] and [MULTILINE_PARSER] there)'],
  ]);
});

test('a section without keys is accepted with a warning, as in Fluent Bit', () => {
  const config = conf('[INPUT]\n[OUTPUT]\n    name null\n');
  assert.equal(config.inputs.length, 1);
  assert.deepEqual(config.warnings.map((warning) => [warning.line, warning.message]), [[2, 'section [INPUT] before this one has no keys']]);
});

test('a [NODE] outside an upstream file is kept under other', () => {
  assert.deepEqual(pairs(conf('[NODE]\n    name n1\n').other.node[0]), [['name', 'n1']]);
});
