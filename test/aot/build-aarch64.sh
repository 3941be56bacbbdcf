#!/bin/sh
# Cross-build the runtime, logwasm-aot-run and logwasm-spec-aot for aarch64 (gcc-aarch64-linux-gnu), to run AOT
# artifacts under qemu-aarch64. Usage: test/aot/build-aarch64.sh [OUT_DIR]
# Prints the path of the runner. Incremental: objects are rebuilt only when sources are newer.
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$ROOT/build/aot-aarch64}
CC=${CC_AARCH64:-aarch64-linux-gnu-gcc}
SRC=$ROOT/native/runtime/src
mkdir -p "$OUT/obj"
CFLAGS="-O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -I$ROOT/native/runtime/include -I$SRC"
OBJS=""
for f in "$SRC"/*.c "$SRC"/wasi/*.c "$SRC"/fluentbit/*.c "$SRC"/aot/*.c "$ROOT"/native/aotc/runner/aot_run.c; do
  [ -f "$f" ] || continue
  o="$OUT/obj/$(echo "${f#$ROOT/}" | tr / _).o"
  if [ ! -f "$o" ] || [ "$f" -nt "$o" ] || [ -n "$(find "$SRC" -name '*.h' -newer "$o" 2>/dev/null | head -1)" ]; then
    $CC $CFLAGS -c "$f" -o "$o" >&2
  fi
  OBJS="$OBJS $o"
done
$CC -o "$OUT/logwasm-aot-run" $OBJS -lm -lpthread
# the spec runner on compiled code, when the spec runner exists
if [ -f "$ROOT/native/runtime/tools/spec.c" ]; then
  LIBOBJS=$(echo $OBJS | tr ' ' '\n' | grep -v aot_run.c.o | tr '\n' ' ')
  $CC $CFLAGS -I"$ROOT/native/runtime/tools" -o "$OUT/logwasm-spec-aot" \
    "$ROOT/native/aotc/runner/spec_aot_main.c" "$ROOT/native/aotc/runner/spec_aot_shim.c" $LIBOBJS -lm -lpthread >&2
fi
echo "$OUT/logwasm-aot-run"
