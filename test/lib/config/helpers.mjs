// Shared by test/lib/config/*.test.mjs: configurations written to temp directories, and checks
// for what readConfig returns or throws.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, LogwasmError, readConfig } from '../../../dist/index.js';

const made = [];
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** Write `files` ({ 'relative/name': text or Buffer }) into a fresh temp dir; returns its path. */
export function writeFiles(files) {
  const dir = mkdtempSync(path.join(tmpdir(), 'logwasm-config-'));
  made.push(dir);
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return dir;
}

/** readConfig on `main` among `files`; env defaults to an empty environment (plus overrides). */
export function read(files, main, options = {}) {
  const dir = writeFiles(files);
  return readConfig(path.join(dir, main), { env: {}, ...options });
}

/** The [key, value] pairs of a section, in order. */
export const pairs = (section) => section.properties.map((property) => [property.key, property.value]);

/** The value of `key` in a section (last one), like Fluent Bit's lookup. */
export const valueOf = (section, key) => section.properties.findLast((property) => property.key === key)?.value;

/** Assert that `fn` throws a ConfigError at basename(file):line whose message matches. */
export function assertConfigError(fn, { file, line, match, key }) {
  let caught;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught, 'expected a ConfigError, nothing was thrown');
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${caught?.stack ?? caught}`);
  assert.ok(caught instanceof LogwasmError, 'a ConfigError is a LogwasmError');
  assert.equal(caught.code, 'LOGWASM_ERR_CONFIG');
  assert.ok(caught.message.startsWith(`${caught.file}:${caught.line}: `), caught.message);
  if (file !== undefined) assert.equal(path.basename(caught.file), file, caught.message);
  if (line !== undefined) assert.equal(caught.line, line, caught.message);
  if (key !== undefined) assert.equal(caught.key, key, caught.message);
  if (match) assert.match(caught.message, match);
  return caught;
}

/** Run `body(format)` for both formats, naming the failing one. */
export function eachFormat(body) {
  for (const format of ['classic', 'yaml']) {
    try {
      body(format);
    } catch (error) {
      error.message = `[${format}] ${error.message}`;
      throw error;
    }
  }
}
