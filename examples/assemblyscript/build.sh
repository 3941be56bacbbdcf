#!/usr/bin/env bash
# Builds as_filter.wasm into OUT_DIR (default: test/fixtures).
# Needs node and this folder's devDependency (npm install, or npm ci).
# Exit status 2 means the compiler is missing (the message says what to run).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${OUT_DIR:-$here/../../test/fixtures}"
asc="$here/node_modules/.bin/asc"
if [ ! -x "$asc" ]; then
  echo "assemblyscript: skipped, missing $asc (run: npm ci --prefix examples/assemblyscript)" >&2
  exit 2
fi
mkdir -p "$out"
cd "$here"
# --runtime minimal: allocator without automatic GC (we never allocate managed
# objects). --use abort=...: no env.abort import.
"$asc" assembly/index.ts -O3 --noAssert --runtime minimal \
  --use abort=assembly/index/abortFilter \
  -o "$out/as_filter.wasm"
echo "assemblyscript: built as_filter.wasm into $out (asc $("$asc" --version))"
