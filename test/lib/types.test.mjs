// The shipped type declarations (dist/*.d.ts) type-check a typical use of the package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, mkdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { root } from './helpers.mjs';

test('dist/*.d.ts: a user\'s TypeScript compiles against "logwasm"', () => {
  // a scratch project whose node_modules/logwasm is this package
  const dir = mkdtempSync(path.join(tmpdir(), 'logwasm-types-'));
  const project = path.join(dir, 'project');
  cpSync(path.join(root, 'test', 'lib', 'fixtures', 'types'), project, { recursive: true });
  mkdirSync(path.join(project, 'node_modules'));
  symlinkSync(root, path.join(project, 'node_modules', 'logwasm'));
  symlinkSync(path.join(root, 'node_modules', '@types'), path.join(project, 'node_modules', '@types'));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(project, 'tsconfig.json'), '--typeRoots', path.join(project, 'node_modules', '@types')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
