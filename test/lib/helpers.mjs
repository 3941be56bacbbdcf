// Shared by test/lib/*.test.mjs: fixture paths that fail loudly when a fixture is missing.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Path of test/fixtures/<name>; throws (so the test fails, never skips) when it is missing. */
export function fixture(name) {
  const file = path.join(root, 'test', 'fixtures', name);
  if (!existsSync(file)) throw new Error(`fixture ${file} is missing: build it (see examples/ and test/fixtures/bad/build.sh)`);
  return file;
}

export const bad = (name) => fixture(path.join('bad', name));
