// Fluent Bit's classic configuration format, with Fluent Bit's own rules:
//
//   @SET name=value           a variable for ${name}, wherever in the files it is set
//   @INCLUDE other.conf       next to the including file (else the main one); `*` patterns
//   [SERVICE]                 a section: [NAME] at column 1, `#` comments
//       Flush   1             entries indented; key, one space, value (trimmed); keys lower-cased
//       [GROUP name]          a group inside the section, its entries indented twice
//           key value
//
// Indentation is strict, as in Fluent Bit: the first indented line of a file sets the indent (its
// exact spaces and tabs), then every entry and indented comment uses exactly that indent, or
// twice its width for group content; anything else (fewer, more, tabs for spaces, a blank line
// holding a few spaces) is an error. Classic main files may not hold [PARSER] or
// [MULTILINE_PARSER] (they go in a parsers_file), and an entry must have a value.
import { addGroup, rawSection, RawSection, SectionList } from './builder.js';
import { ConfigError, excerpt } from './errors.js';
import { classicKey } from './keys.js';
import { ReaderContext, trimSpace } from './reader.js';

type SectionKind = SectionList | 'service' | 'plugins' | 'node' | 'other';

/** The section names Fluent Bit knows, in the order it compares them. */
const SECTION_NAMES: readonly [string, SectionKind][] = [
  ['service', 'service'],
  ['parser', 'parsers'],
  ['multiline_parser', 'multilineParsers'],
  ['stream_processor', 'other'],
  ['plugins', 'plugins'],
  ['upstream_servers', 'upstreams'],
  ['custom', 'customs'],
  ['customs', 'customs'],
  ['input', 'inputs'],
  ['inputs', 'inputs'],
  ['filter', 'filters'],
  ['filters', 'filters'],
  ['output', 'outputs'],
  ['outputs', 'outputs'],
];

function sectionKind(name: string, file: string, line: number): SectionKind {
  const lower = name.toLowerCase();
  if (lower === 'upstream') return 'upstreams'; // an upstream definition file's [UPSTREAM]
  if (lower === 'node') return 'node';
  for (const [known, kind] of SECTION_NAMES) if (known === lower) return kind;
  // Fluent Bit compares only the header's length, so [IN] is an input to it: say so instead of
  // reading the section as an unknown one
  for (const [known] of SECTION_NAMES) {
    if (known.startsWith(lower)) {
      throw new ConfigError(`section [${name}] is an abbreviation: Fluent Bit reads it as [${known.toUpperCase()}]`, file, line, name,
        `write [${known.toUpperCase()}]`);
    }
  }
  return 'other';
}

const isBlank = (char: string | undefined) => char === ' ' || char === '\t';

function describeIndent(indent: string): string {
  const tabs = [...indent].filter((char) => char === '\t').length;
  const spaces = indent.length - tabs;
  const parts = [];
  if (spaces) parts.push(`${spaces} space${spaces === 1 ? '' : 's'}`);
  if (tabs) parts.push(`${tabs} tab${tabs === 1 ? '' : 's'}`);
  return parts.join(' and ');
}

export function readClassicText(context: ReaderContext, file: string, text: string): void {
  const { builder, role } = context;
  const lines = text.split('\n');
  let indent: string | null = null;
  let section: RawSection | null = null;
  let sectionName = '';
  let sectionKeys = 0;
  let group: RawSection | null = null;
  let groupKeys = 0;
  let lastUpstream: RawSection | null = null;
  const pluginSections = new Set<RawSection>(); // [PLUGINS]: each entry's value is a path

  const startSection = (name: string, line: number) => {
    if (section && sectionKeys === 0) builder.warn({ file, line }, `section [${sectionName}] before this one has no keys`);
    const at = { file, line };
    const kind = sectionKind(name, file, line);
    sectionName = name;
    sectionKeys = 0;
    group = null;
    if (role === 'parsers' && kind !== 'parsers' && kind !== 'multilineParsers') {
      builder.warn(at, `[${name}] in a parsers file is ignored (Fluent Bit reads only [PARSER] and [MULTILINE_PARSER] there)`);
      section = rawSection(at); // read, then dropped
      return;
    }
    if (role === 'plugins' && kind !== 'plugins') {
      builder.warn(at, `[${name}] in a plugins file is ignored (Fluent Bit reads only [PLUGINS] there)`);
      section = rawSection(at);
      return;
    }
    if (role === 'main' && (kind === 'parsers' || kind === 'multilineParsers')) {
      throw new ConfigError(`[${name}] sections are not allowed in the main configuration file, as in Fluent Bit`, file, line, name,
        'move them to a parsers file and name it with parsers_file in [SERVICE]');
    }
    switch (kind) {
      case 'service':
        section = builder.serviceSection(at);
        break;
      case 'plugins':
        section = rawSection(at); // its entries become plugin paths
        pluginSections.add(section);
        break;
      case 'node':
        section = rawSection(at);
        if (lastUpstream) addGroup(lastUpstream, 'nodes', section);
        else builder.other.set('node', [...(builder.other.get('node') ?? []), section]);
        break;
      case 'other':
        section = builder.addOther(name.toLowerCase(), at);
        break;
      default:
        section = builder.addSection(kind, at);
        if (kind === 'upstreams') lastUpstream = section;
    }
  };

  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    let raw = lines[index];
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    if (raw === '' || raw[0] === '#') continue;

    if (raw[0] === '@') {
      const command = /^@(\S*)(?:[ \t]+([^]*))?$/.exec(raw)!;
      const name = command[1].toUpperCase();
      const argument = trimSpace(command[2] ?? '');
      if (name === 'INCLUDE') {
        if (!argument) throw new ConfigError('@INCLUDE needs a file name', file, line, '@INCLUDE', 'write @INCLUDE other.conf');
        context.include(argument, { file, line, key: '@INCLUDE' });
        continue; // the including file's current section goes on after the include, as in Fluent Bit
      }
      if (name === 'SET') {
        const equals = argument.indexOf('=');
        const variable = equals > 0 ? trimSpace(argument.slice(0, equals)) : '';
        if (!variable) throw new ConfigError(`@SET needs NAME=VALUE, got ${excerpt(argument)}`, file, line, '@SET', 'write @SET name=value');
        if (role !== 'main') builder.warn({ file, line }, `@SET in a ${role} file has no effect (Fluent Bit ignores it there)`);
        else builder.variables.set(variable, trimSpace(argument.slice(equals + 1)));
        continue;
      }
      throw new ConfigError(`unknown command ${excerpt('@' + command[1])}`, file, line, '@' + command[1], 'Fluent Bit has @SET and @INCLUDE');
    }

    if (raw[0] === '[') {
      const end = raw.indexOf(']');
      if (end < 0) throw new ConfigError(`section header ${excerpt(raw)} has no closing ']'`, file, line, undefined, 'write [NAME]');
      const name = raw.slice(1, end);
      if (name === '') throw new ConfigError('section header [] has no name', file, line, undefined, 'write [INPUT], [OUTPUT], ...');
      if (trimSpace(name) !== name) {
        throw new ConfigError(`section name ${excerpt(name)} has spaces around it (Fluent Bit would not recognise it)`, file, line, name,
          `write [${trimSpace(name)}]`);
      }
      startSection(name, line);
      continue;
    }

    // an entry, an indented comment, or a blank line holding spaces
    if (indent === null) {
      if (!isBlank(raw[0])) {
        throw new ConfigError(section ? `${excerpt(raw)} is not indented` : `${excerpt(raw)} is outside of any section`, file, line, undefined,
          section ? `indent the entries of [${sectionName}], for example with 4 spaces` : 'put it under a [SECTION] header');
      }
      let width = 1;
      while (width < raw.length && isBlank(raw[width])) width++;
      indent = raw.slice(0, width);
      if (width === raw.length) continue;
    }
    let matched = 0;
    while (matched < indent.length && raw[matched] === indent[matched]) matched++;
    let level = indent.length;
    let groupContent = false;
    if (matched < indent.length) {
      const expected = describeIndent(indent);
      if (isBlank(raw[matched])) {
        throw new ConfigError(`inconsistent use of tabs and spaces: entries in this file are indented with ${expected}`, file, line, undefined,
          'indent every entry the same way');
      }
      throw new ConfigError(
        matched === raw.length
          ? `this blank line holds spaces, fewer than the ${expected} entries are indented with (Fluent Bit rejects it)`
          : `${excerpt(raw.slice(matched))} is indented less than the entries in this file (${expected})`,
        file, line, undefined, matched === raw.length ? 'remove the spaces' : `indent it with ${expected}`);
    }
    if (isBlank(raw[matched])) {
      let extra = 0;
      while (isBlank(raw[matched + extra])) extra++;
      if (extra !== indent.length) {
        throw new ConfigError(
          `this line is indented by ${describeIndent(raw.slice(0, matched + extra))}: entries in this file use ${describeIndent(indent)}, group entries twice that`,
          file, line, undefined, 'indent it like the other entries');
      }
      level = matched + extra;
      groupContent = true;
    }
    if (!groupContent) group = null;
    const rest = raw.slice(level);
    if (rest === '' || rest[0] === '#') continue;

    const space = rest.indexOf(' ');
    if (space < 0) {
      if (rest.includes('\t')) {
        throw new ConfigError(`key and value of ${excerpt(rest)} are separated by a tab`, file, line, undefined,
          'Fluent Bit splits an entry at its first space: use a space');
      }
      if (rest[0] === '[') throw new ConfigError(`group header ${excerpt(rest)} needs a name after a space`, file, line, undefined, 'write [GROUP name]');
      throw new ConfigError(`key ${excerpt(rest)} has no value`, file, line, classicKey(rest), `write '${rest} VALUE', or remove the line`);
    }
    if (rest[0] === '[') {
      const end = rest.indexOf(']');
      if (end < 0) throw new ConfigError(`group header ${excerpt(rest)} has no closing ']'`, file, line, undefined, 'write [GROUP name]');
      if (!section) throw new ConfigError(`group ${excerpt(rest.slice(0, end + 1))} is outside of any section`, file, line, undefined, 'put it under a [SECTION]');
      if (group && groupKeys === 0) throw new ConfigError('the group before this one has no keys', file, line, undefined, 'add its entries, indented twice');
      group = rawSection({ file, line });
      groupKeys = 0;
      addGroup(section, rest.slice(1, end).toLowerCase(), group);
      continue;
    }
    const key = classicKey(trimSpace(rest.slice(0, space)));
    if (key === '@include' || key === '@set') {
      throw new ConfigError(`${key.toUpperCase()} is indented: Fluent Bit reads it as a key of [${sectionName}]`, file, line, key,
        'start the line with @, at column 1');
    }
    const value = trimSpace(rest.slice(space + 1));
    if (value === '') throw new ConfigError(`key '${key}' has no value`, file, line, key, `write '${key} VALUE', or remove the line`);
    if (!section) throw new ConfigError(`${excerpt(rest)} is outside of any section`, file, line, key, 'put it under a [SECTION] header');
    const target: RawSection = group ?? section;
    if (pluginSections.has(target)) builder.plugins.push({ file, line, path: value });
    else target.properties.push({ key, value, file, line });
    if (group) groupKeys++;
    sectionKeys++;
  }
}
