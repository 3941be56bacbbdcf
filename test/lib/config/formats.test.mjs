// lib/config/read.ts: the rules both formats share, each checked in classic and YAML.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readConfig } from '../../../dist/index.js';
import { assertConfigError, eachFormat, pairs, read, valueOf, writeFiles } from './helpers.mjs';

const PIPELINE = {
  classic: `[INPUT]
    Name  dummy
    Tag   a
    Header x
    Header y

[FILTER]
    Name  grep
    Match *

[OUTPUT]
    Name  stdout
    Match *

[CUSTOM]
    Name  calyptia

[INPUT]
    Name  tail
`,
  yaml: `customs:
  - name: calyptia
pipeline:
  inputs:
    - Name: dummy
      Tag: a
      Header: x
      header: y
    - name: tail
  filters:
    - name: grep
      match: '*'
  outputs:
    - name: stdout
      match: '*'
`,
};
const main = (format) => (format === 'yaml' ? 'main.yaml' : 'main.conf');

test('sections are read into their lists in file order, properties in order with duplicates kept', () => {
  eachFormat((format) => {
    const config = read({ [main(format)]: PIPELINE[format] }, main(format));
    assert.equal(config.format, format);
    assert.deepEqual(config.inputs.map((input) => valueOf(input, 'name')), ['dummy', 'tail']);
    assert.deepEqual(pairs(config.inputs[0]), [['name', 'dummy'], ['tag', 'a'], ['header', 'x'], ['header', 'y']]);
    assert.deepEqual(config.filters.map((filter) => valueOf(filter, 'name')), ['grep']);
    assert.deepEqual(config.outputs.map((output) => valueOf(output, 'name')), ['stdout']);
    assert.deepEqual(config.customs.map((custom) => valueOf(custom, 'name')), ['calyptia']);
  });
});

test('every property and section carries its file and line', () => {
  eachFormat((format) => {
    const config = read({ [main(format)]: PIPELINE[format] }, main(format));
    const [dummy] = config.inputs;
    const lines = PIPELINE[format].split('\n');
    for (const property of dummy.properties) {
      assert.equal(path.basename(property.file), main(format));
      assert.match(lines[property.line - 1], new RegExp(`${property.key}`, 'i'), `line ${property.line} holds ${property.key}`);
    }
    assert.equal(dummy.location.line, format === 'yaml' ? 5 : 1);
    assert.equal(config.filters[0].location.line, format === 'yaml' ? 11 : 7);
  });
});

test('keys are case-insensitive: stored lower-case', () => {
  eachFormat((format) => {
    const text = format === 'yaml' ? 'pipeline:\n  inputs:\n    - NAME: dummy\n      Mem_Buf_Limit: 5M\n' : '[INPUT]\n    NAME dummy\n    Mem_Buf_Limit 5M\n';
    const config = read({ [main(format)]: text }, main(format));
    assert.deepEqual(pairs(config.inputs[0]), [['name', 'dummy'], ['mem_buf_limit', '5M']]);
  });
});

test('${VAR} expands from @SET / env:, even when the variable is set further down the file', () => {
  eachFormat((format) => {
    const text = format === 'yaml'
      ? 'pipeline:\n  inputs:\n    - name: ${INPUT}\n      tag: ${TAG}.x\nenv:\n  INPUT: dummy\n  TAG: app\n'
      : '[INPUT]\n    Name ${INPUT}\n    Tag ${TAG}.x\n@SET INPUT=dummy\n@SET TAG=app\n';
    const config = read({ [main(format)]: text }, main(format));
    assert.deepEqual(pairs(config.inputs[0]), [['name', 'dummy'], ['tag', 'app.x']]);
    assert.deepEqual(config.env, { INPUT: 'dummy', TAG: 'app' });
    assert.deepEqual(config.warnings, []);
  });
});

test('${VAR} falls back to the environment; a config variable wins; an empty or unset one expands to nothing with a warning', () => {
  eachFormat((format) => {
    const text = format === 'yaml'
      ? 'env:\n  OWN: mine\npipeline:\n  inputs:\n    - name: dummy\n      a: ${FROM_ENV}\n      b: ${OWN}\n      c: x${EMPTY}y\n      d: x${NOWHERE}y\n'
      : '@SET OWN=mine\n[INPUT]\n    name dummy\n    a ${FROM_ENV}\n    b ${OWN}\n    c x${EMPTY}y\n    d x${NOWHERE}y\n';
    const config = read({ [main(format)]: text }, main(format), { env: { FROM_ENV: 'env', OWN: 'env', EMPTY: '' } });
    assert.deepEqual(pairs(config.inputs[0]).slice(1), [['a', 'env'], ['b', 'mine'], ['c', 'xy'], ['d', 'xy']]);
    assert.deepEqual(config.warnings.map((warning) => warning.message.match(/\$\{(\w+)\}/)[1]), ['EMPTY', 'NOWHERE']);
    assert.equal(config.warnings[1].line, format === 'yaml' ? 9 : 7);
  });
});

test('${VAR} expands once: a variable whose value holds ${OTHER} is inserted as it is, with a warning', () => {
  eachFormat((format) => {
    const text = format === 'yaml'
      ? 'env:\n  A: x\n  B: ${A}${A}\npipeline:\n  inputs:\n    - name: ${B}\n'
      : '@SET A=x\n@SET B=${A}${A}\n[INPUT]\n    name ${B}\n';
    const config = read({ [main(format)]: text }, main(format));
    assert.equal(valueOf(config.inputs[0], 'name'), '${A}${A}');
    assert.match(config.warnings[0].message, /expands variables once/);
  });
});

test('${HOSTNAME} is the host name when the environment has none', async () => {
  const os = await import('node:os');
  eachFormat((format) => {
    const text = format === 'yaml' ? 'pipeline:\n  inputs:\n    - name: dummy\n      tag: ${HOSTNAME}\n' : '[INPUT]\n    name dummy\n    tag ${HOSTNAME}\n';
    assert.equal(valueOf(read({ [main(format)]: text }, main(format)).inputs[0], 'tag'), os.hostname());
    assert.equal(valueOf(read({ [main(format)]: text }, main(format), { env: { HOSTNAME: 'edge-1' } }).inputs[0], 'tag'), 'edge-1');
  });
});

const INCLUDE = {
  classic: (target) => `@INCLUDE ${target}\n`,
  yaml: (target) => `includes:\n  - ${target}\n`,
};
const INPUT = {
  classic: (name) => `[INPUT]\n    name ${name}\n`,
  yaml: (name) => `pipeline:\n  inputs:\n    - name: ${name}\n`,
};

test('an included file is found next to the including file, includes nest, and the files are listed in reading order', () => {
  eachFormat((format) => {
    const ext = format === 'yaml' ? 'yaml' : 'conf';
    const dir = writeFiles({
      [`main.${ext}`]: INCLUDE[format](`conf.d/first.${ext}`) + INPUT[format]('main'),
      [`conf.d/first.${ext}`]: INCLUDE[format](`sub/second.${ext}`) + INPUT[format]('first'),
      [`conf.d/sub/second.${ext}`]: INPUT[format]('second'),
    });
    const config = readConfig(path.join(dir, `main.${ext}`), { env: {} });
    assert.deepEqual(config.inputs.map((input) => valueOf(input, 'name')), ['second', 'first', 'main']);
    assert.deepEqual(config.files.map((file) => path.relative(dir, file)), [`main.${ext}`, `conf.d/first.${ext}`, `conf.d/sub/second.${ext}`]);
    assert.equal(path.relative(dir, config.inputs[0].properties[0].file), `conf.d/sub/second.${ext}`);
  });
});

test('an include not next to the including file is looked up next to the main file, as Fluent Bit does', () => {
  eachFormat((format) => {
    const ext = format === 'yaml' ? 'yaml' : 'conf';
    const config = read({
      [`main.${ext}`]: INCLUDE[format](`conf.d/first.${ext}`),
      [`conf.d/first.${ext}`]: INCLUDE[format](`inputs.${ext}`),
      [`inputs.${ext}`]: INPUT[format]('top'),
    }, `main.${ext}`);
    assert.deepEqual(config.inputs.map((input) => valueOf(input, 'name')), ['top']);
  });
});

test('an include pattern reads the matching files in sorted order; no match is an error', () => {
  eachFormat((format) => {
    const ext = format === 'yaml' ? 'yaml' : 'conf';
    const config = read({
      [`main.${ext}`]: INCLUDE[format](`conf.d/in_*.${ext}`),
      [`conf.d/in_b.${ext}`]: INPUT[format]('b'),
      [`conf.d/in_a.${ext}`]: INPUT[format]('a'),
      [`conf.d/in_c.${ext}`]: INPUT[format]('c'),
      [`conf.d/.in_hidden.${ext}`]: INPUT[format]('hidden'),
      [`conf.d/other.${ext}`]: INPUT[format]('other'),
    }, `main.${ext}`);
    assert.deepEqual(config.inputs.map((input) => valueOf(input, 'name')), ['a', 'b', 'c']);
    assertConfigError(() => read({ [`main.${ext}`]: INCLUDE[format](`nothing_*.${ext}`) }, `main.${ext}`),
      { file: `main.${ext}`, line: format === 'yaml' ? 2 : 1, match: /no file matches 'nothing_\*/ });
  });
});

test('a missing include is an error at the include line', () => {
  eachFormat((format) => {
    const ext = format === 'yaml' ? 'yaml' : 'conf';
    assertConfigError(() => read({ [`main.${ext}`]: INPUT[format]('x') + INCLUDE[format](`missing.${ext}`) }, `main.${ext}`),
      { file: `main.${ext}`, line: format === 'yaml' ? 5 : 3, match: /cannot read included file '.*missing\.\w+': no such file/ });
  });
});

test('a file included a second time is an error (Fluent Bit reads each file once): an include diamond fails at once', () => {
  eachFormat((format) => {
    const ext = format === 'yaml' ? 'yaml' : 'conf';
    // issue 9: 12 files, each including the next 10 times, ran for ever at 1.8 GB
    const files = {};
    for (let i = 0; i < 12; i++) {
      const next = i < 11 ? `f${i + 1}.${ext}` : null;
      files[`f${i}.${ext}`] = next
        ? (format === 'yaml' ? `includes:\n${`  - ${next}\n`.repeat(10)}` : `@INCLUDE ${next}\n`.repeat(10))
        : INPUT[format]('last');
    }
    const started = process.hrtime.bigint();
    assertConfigError(() => read(files, `f0.${ext}`), {
      file: `f10.${ext}`,
      line: format === 'yaml' ? 3 : 2,
      match: /'.*f11\.\w+' is already read \(first from .*f10\.\w+:[12]\); Fluent Bit reads each file once/,
    });
    assert.ok(process.hrtime.bigint() - started < 5_000_000_000n);
  });
});

test('a file that includes itself is an error', () => {
  eachFormat((format) => {
    const ext = format === 'yaml' ? 'yaml' : 'conf';
    assertConfigError(() => read({ [`self.${ext}`]: INCLUDE[format](`self.${ext}`) }, `self.${ext}`),
      { file: `self.${ext}`, match: /already read \(first from the command line\)/ });
    assertConfigError(() => read({ [`rec.${ext}`]: INCLUDE[format](`re*`) }, `rec.${ext}`), { file: `rec.${ext}`, match: /already read/ });
  });
});

test('an included file is read in its includer\'s format, whatever its extension (as Fluent Bit)', () => {
  const classic = read({ 'main.conf': '@INCLUDE part.yaml\n', 'part.yaml': '[INPUT]\n    name dummy\n' }, 'main.conf');
  assert.equal(valueOf(classic.inputs[0], 'name'), 'dummy');
  const yaml = read({ 'main.yaml': 'includes: [part.conf]\n', 'part.conf': 'pipeline:\n  inputs:\n    - name: dummy\n' }, 'main.yaml');
  assert.equal(valueOf(yaml.inputs[0], 'name'), 'dummy');
});

test('parsers_file: parsers and multiline parsers are read from the file the service names, next to the file naming it', () => {
  eachFormat((format) => {
    const parsersClassic = `[PARSER]
    Name   json
    Format json

[MULTILINE_PARSER]
    name          exc
    type          regex
    rule      "start_state"   "/(Dec \\d+ \\d+)(.*)/"  "cont"
    rule      "cont"          "/^\\s+at.*/"             "cont"
`;
    const parsersYaml = `parsers:
  - name: json
    format: json
multiline_parsers:
  - name: exc
    type: regex
    rules:
      - state: start_state
        regex: "/(Dec \\\\d+ \\\\d+)(.*)/"
        next_state: cont
      - state: cont
        regex: "/^\\\\s+at.*/"
        next_state: cont
`;
    for (const [parsersName, parsersText] of [['parsers.conf', parsersClassic], ['parsers.yaml', parsersYaml]]) {
      const text = format === 'yaml' ? `service:\n  parsers_file: p/${parsersName}\n` : `[SERVICE]\n    parsers_file p/${parsersName}\n`;
      const config = read({ [main(format)]: text, [`p/${parsersName}`]: parsersText }, main(format));
      assert.deepEqual(config.parsers.map(pairs), [[['name', 'json'], ['format', 'json']]], parsersName);
      const [multiline] = config.multilineParsers;
      assert.deepEqual(pairs(multiline), [['name', 'exc'], ['type', 'regex']], parsersName);
      assert.deepEqual(multiline.groups.rules.map(pairs), [
        [['state', 'start_state'], ['regex', '/(Dec \\d+ \\d+)(.*)/'], ['next_state', 'cont']],
        [['state', 'cont'], ['regex', '/^\\s+at.*/'], ['next_state', 'cont']],
      ], parsersName);
      assert.equal(path.basename(multiline.groups.rules[1].location.file), parsersName);
      assert.equal(multiline.groups.rules[1].location.line, parsersName.endsWith('.conf') ? 9 : 11);
      assert.equal(config.files.length, 2);
    }
  });
});

test('upstream servers: nodes are groups of their upstream', () => {
  const classic = read({ 'up.conf': `[UPSTREAM]
    name       forward-balancing

[NODE]
    name       node-1
    host       127.0.0.1
    port       43000

[NODE]
    name       node-2
    host       127.0.0.1
    port       44000
    tls        on
` }, 'up.conf');
  const yaml = read({ 'up.yaml': `upstream_servers:
  - name: forward-balancing
    nodes:
      - name: node-1
        host: 127.0.0.1
        port: 43000
      - name: node-2
        host: 127.0.0.1
        port: 44000
        tls: on
` }, 'up.yaml');
  for (const config of [classic, yaml]) {
    assert.equal(config.upstreams.length, 1);
    assert.deepEqual(pairs(config.upstreams[0]), [['name', 'forward-balancing']]);
    assert.deepEqual(config.upstreams[0].groups.nodes.map(pairs), [
      [['name', 'node-1'], ['host', '127.0.0.1'], ['port', '43000']],
      [['name', 'node-2'], ['host', '127.0.0.1'], ['port', '44000'], ['tls', 'on']],
    ]);
  }
});

test('plugins: paths from [PLUGINS] / plugins:, also through plugins_file', () => {
  const classic = read({
    'main.conf': '[SERVICE]\n    plugins_file plugins.conf\n[PLUGINS]\n    Path /opt/a.so\n',
    'plugins.conf': '[PLUGINS]\n    Path /opt/b.so\n    Path /opt/c.so\n',
  }, 'main.conf');
  assert.deepEqual(classic.plugins.map((plugin) => [plugin.path, path.basename(plugin.file), plugin.line]),
    [['/opt/a.so', 'main.conf', 4], ['/opt/b.so', 'plugins.conf', 2], ['/opt/c.so', 'plugins.conf', 3]]);
  const yaml = read({ 'main.yaml': 'plugins:\n  - /opt/a.so\n  - /opt/${LIB}.so\nenv:\n  LIB: b\n' }, 'main.yaml');
  assert.deepEqual(yaml.plugins.map((plugin) => [plugin.path, plugin.line]), [['/opt/a.so', 2], ['/opt/b.so', 3]]);
});

test('sections Fluent Bit does not know are kept under other, by lower-case name', () => {
  const classic = read({ 'main.conf': '[UNKNOWN]\n    name blah\n[STREAM_PROCESSOR]\n    name x\n    exec SELECT 1\n' }, 'main.conf');
  assert.deepEqual(Object.keys(classic.other), ['unknown', 'stream_processor']);
  assert.deepEqual(pairs(classic.other.unknown[0]), [['name', 'blah']]);
  const yaml = read({ 'main.yaml': 'Extensions:\n  opamp:\n    endpoint: 127.0.0.1:4318\nstream_processor:\n  - name: x\n    exec: SELECT 1\n' }, 'main.yaml');
  assert.deepEqual(Object.keys(yaml.other), ['extensions', 'stream_processor']);
  assert.deepEqual(yaml.other.extensions[0].groups.opamp.map(pairs), [[['endpoint', '127.0.0.1:4318']]]);
  assert.deepEqual(pairs(yaml.other.stream_processor[0]), [['name', 'x'], ['exec', 'SELECT 1']]);
});

test('an empty configuration reads into empty lists and an empty service', () => {
  eachFormat((format) => {
    const config = read({ [main(format)]: format === 'yaml' ? '# nothing\n' : '# nothing\n\n' }, main(format));
    assert.deepEqual([config.inputs, config.filters, config.outputs, config.service.properties], [[], [], [], []]);
    assert.equal(config.service.location.line, 0);
  });
});
