#!/usr/bin/env bash
# Builds the C example filters into OUT_DIR (default: test/fixtures).
#   c_filter.wasm       -nostdlib, imports env.malloc/sprintf/puts only
#   c_filter_wasi.wasm  wasi-libc reactor, exports malloc/free
#   c_filter_msgpack.wasm  wasi-libc reactor, msgpack mode, exports malloc/free
# Needs clang-14 with the wasm32 targets and wasi-libc (Debian: clang-14,
# lld-14, wasi-libc, libclang-rt-14-dev-wasm32).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${OUT_DIR:-$here/../../test/fixtures}"
clang="${CLANG:-clang-14}"
mkdir -p "$out"

if ! command -v "$clang" >/dev/null 2>&1; then
  echo "c: skipped, $clang not found" >&2
  exit 2
fi
# -print-file-name echoes the bare name when the library is not found.
if [ "$("$clang" --target=wasm32-wasi -print-file-name=libc.a)" = libc.a ]; then
  echo "c: skipped, missing wasi-libc for $clang (apt-get install wasi-libc)" >&2
  exit 2
fi

"$clang" --target=wasm32-unknown-unknown -nostdlib -O2 \
  -Wl,--no-entry -Wl,--export=c_filter -Wl,--allow-undefined \
  -o "$out/c_filter.wasm" "$here/c_filter.c"

"$clang" --target=wasm32-wasi -mexec-model=reactor -O2 \
  -Wl,--export=malloc -Wl,--export=free -Wl,--strip-debug \
  -o "$out/c_filter_wasi.wasm" "$here/c_filter_wasi.c"

"$clang" --target=wasm32-wasi -mexec-model=reactor -O2 \
  -Wl,--export=malloc -Wl,--export=free -Wl,--strip-debug \
  -o "$out/c_filter_msgpack.wasm" "$here/c_filter_msgpack.c"

echo "c: built c_filter.wasm c_filter_wasi.wasm c_filter_msgpack.wasm into $out"
