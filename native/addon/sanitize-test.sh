#!/usr/bin/env bash
# The Node package's tests (test/lib) against an AddressSanitizer + UBSan build of the addon:
# builds it into build/asan/ and runs node with the sanitizer runtimes preloaded (node itself is
# not instrumented, so leak checking is off). Any sanitizer report fails the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
npx cmake-js compile --CDLOGWASM_TOOLS=OFF --CDLOGWASM_SANITIZE=ON --parallel 2 -O build/asan
npx tsc -p tsconfig.json
log=$(mktemp)
status=0
LOGWASM_ADDON="$PWD/build/asan/Release/logwasm.node" \
LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" \
ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
  node --test test/lib/ 2>&1 | tee "$log" || status=$?
if grep -qE "ERROR: AddressSanitizer|runtime error:" "$log"; then
  echo "sanitize-test: sanitizer reports above" >&2
  status=1
fi
rm -f "$log"
exit "$status"
