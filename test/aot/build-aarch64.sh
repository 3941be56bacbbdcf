#!/bin/sh
# Cross-build the runtime and its runners for aarch64 with Debian's gcc-aarch64-linux-gnu (the
# same CMake build as the host's, with cmake/toolchain-aarch64.cmake), to run AOT artifacts under
# qemu-aarch64. Usage: test/aot/build-aarch64.sh [OUT_DIR]   Prints the path of logwasm-aot-run.
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$ROOT/build/runtime-aarch64}
cmake -S "$ROOT" -B "$OUT" -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/toolchain-aarch64.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >&2
cmake --build "$OUT" -j2 >&2
echo "$OUT/logwasm-aot-run"
