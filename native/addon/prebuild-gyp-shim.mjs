#!/usr/bin/env node
// prebuildify drives node-gyp ("rebuild --target=X --arch=Y --release"); this package builds
// with cmake-js, so prebuildify is pointed here (--node-gyp) and this runs the equivalent
// cmake-js build, leaving the addon in build/Release/ where prebuildify looks for it.
// Cross builds (--arch=arm64 on x64) use cmake/toolchain-aarch64.cmake.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const arch = (process.argv.find((arg) => arg.startsWith('--arch=')) ?? `--arch=${process.arch}`).slice(7);
const cmakeJs = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js');
const args = [cmakeJs, 'compile', '--CDLOGWASM_TOOLS=OFF', '--parallel', '2', '--arch', arch];
if (arch !== process.arch) {
  if (arch !== 'arm64') {
    console.error(`prebuild: no cross toolchain for ${arch} (only arm64 is set up)`);
    process.exit(1);
  }
  // A separate build tree, so the host build in build/ is not mixed with the cross build:
  // prebuildify runs with --cwd build/cross-arm64 and looks in <cwd>/build/Release.
  args.push('--out', path.join(process.cwd(), 'build'), `--CDCMAKE_TOOLCHAIN_FILE=${path.join(root, 'cmake/toolchain-aarch64.cmake')}`);
}
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
