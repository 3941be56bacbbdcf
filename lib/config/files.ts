// Reading configuration files under a budget: only regular files (a FIFO, a device such as
// /dev/zero or a directory is refused before anything is read), no more bytes than the limit
// allows, no binary content; include targets found relative to the including file, then to the
// main file (Fluent Bit's base directory), `*` `?` `[...]` patterns matched in sorted order.
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, statSync, Stats } from 'node:fs';
import path from 'node:path';
import { ConfigError } from './errors.js';
import { CONFIG_LIMIT_ENV, ReadBudget } from './limits.js';

/** Where a file was asked for: the @INCLUDE line, the `includes` entry, the parsers_file key. */
export interface FileOrigin {
  file: string;
  line: number;
  key: string;
}

export interface ConfigText {
  /** The path as shown to the user. */
  file: string;
  text: string;
  /** dev:inode, so that a file reached twice under two names is still recognised. */
  identity: string;
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR') return 'a part of the path is not a directory';
  if (code === 'ELOOP') return 'too many symbolic links';
  if (code === 'ENAMETOOLONG') return 'the path is too long';
  return (error as Error)?.message ?? String(error);
}

/** Throw at the origin when there is one (the include line), else at the file itself. */
function fail(file: string, origin: FileOrigin | undefined, detail: string, hint?: string): never {
  if (origin) throw new ConfigError(detail, origin.file, origin.line, origin.key, hint);
  throw new ConfigError(detail, file, 0, undefined, hint);
}

/** Read one configuration file, counting it and its bytes against the budget. */
export function readConfigText(file: string, budget: ReadBudget, origin?: FileOrigin, checkIdentity?: (identity: string) => void): ConfigText {
  const what = origin ? `included file '${file}'` : 'configuration file';
  if (budget.files >= budget.limits.maxFiles) {
    fail(file, origin, `cannot read ${what}: the configuration already read ${budget.files} files, the limit`,
      `check for includes that repeat, or raise ${CONFIG_LIMIT_ENV.maxFiles}`);
  }
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer before fstat can refuse it
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    fail(file, origin, `cannot read ${what}: ${reasonOf(error)}`);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) fail(file, origin, `cannot read ${what}: it is ${kindOf(stats)}`, 'name a regular file');
    checkIdentity?.(`${stats.dev}:${stats.ino}`); // before reading: a file included again is refused unread
    const limit = budget.bytesLeft;
    const tooLarge = () =>
      fail(file, origin, `cannot read ${what}: the configuration may read at most ${budget.limits.maxBytes} bytes in all and this file goes past it`,
        `split it, or raise ${CONFIG_LIMIT_ENV.maxBytes}`);
    if (stats.size > limit) tooLarge();
    // read to the end under the cap: a file's size can be 0 (/proc) or grow while read
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(Math.max(stats.size - total, 0) + 65536, limit - total + 1));
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (error) {
        fail(file, origin, `cannot read ${what}: ${reasonOf(error)}`);
      }
      if (n === 0) break;
      total += n;
      if (total > limit) tooLarge();
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    }
    const bytes = Buffer.concat(chunks, total);
    budget.files++;
    budget.bytes += total;
    const nul = bytes.indexOf(0);
    if (nul >= 0) {
      let line = 1;
      for (let i = bytes.indexOf(10); i >= 0 && i < nul; i = bytes.indexOf(10, i + 1)) line++;
      throw new ConfigError(`byte ${nul} is a NUL byte: this is a binary file, not a Fluent Bit configuration`, file, line, undefined,
        'check the file name');
    }
    let text = bytes.toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte order mark from a Windows editor
    return { file, text, identity: `${stats.dev}:${stats.ino}` };
  } finally {
    closeSync(fd);
  }
}

const WILDCARD = /[*?[]/;

/** A glob segment (`input_*.conf`, `?.conf`, `[ab]*.conf`) as a regular expression; like
 *  glob(3), wildcards do not match a leading dot. */
function segmentPattern(segment: string): RegExp {
  let source = '';
  for (let i = 0; i < segment.length; i++) {
    const char = segment[i];
    if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close < 0) source += '\\[';
      else {
        let body = segment.slice(i + 1, close);
        const negate = body.startsWith('!') || body.startsWith('^');
        if (negate) body = body.slice(1);
        source += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
        i = close;
      }
    } else source += char.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^(?!\\.)${source}$`);
}

/** Regular files matching `pattern` (absolute), sorted; wildcards may be in any segment. */
export function globFiles(pattern: string): string[] {
  const { root } = path.parse(pattern);
  const segments = pattern.slice(root.length).split(path.sep).filter((segment) => segment !== '');
  let current = [root];
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    const next: string[] = [];
    for (const directory of current) {
      if (!WILDCARD.test(segment)) {
        next.push(path.join(directory, segment));
        continue;
      }
      const regex = segmentPattern(segment);
      let names: string[];
      try {
        names = readdirSync(directory).sort();
      } catch {
        continue;
      }
      for (const name of names) if (regex.test(name)) next.push(path.join(directory, name));
    }
    current = last ? next : next.filter((entry) => isDirectory(entry));
  });
  return current.filter((entry) => isRegularFile(entry)).sort();
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

function isRegularFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * The files an include names. A relative target is looked up next to the including file, then
 * next to the main file (where Fluent Bit looks); a target with `*`, `?` or `[` is a pattern,
 * and a pattern that matches no regular file is an error, as in Fluent Bit.
 */
export function resolveInclude(target: string, includer: string, mainFile: string, origin: FileOrigin): string[] {
  const bases = [path.dirname(includer)];
  if (path.resolve(path.dirname(mainFile)) !== path.resolve(bases[0])) bases.push(path.dirname(mainFile));
  const candidates = path.isAbsolute(target) ? [target] : bases.map((base) => path.join(base, target));
  if (target.includes('*') || target.includes('?') || target.includes('[')) {
    for (const candidate of candidates) {
      const absolute = path.resolve(candidate);
      const matches = globFiles(absolute);
      // keep the user's relative spelling in the names shown in messages
      if (matches.length > 0) return matches.map((match) => path.join(candidate, path.relative(absolute, match)));
    }
    throw new ConfigError(`no file matches '${target}'`, origin.file, origin.line, origin.key,
      `looked in ${candidates.map((candidate) => path.dirname(candidate)).join(' and ')}`);
  }
  return [candidates.find(exists) ?? candidates[0]];
}
