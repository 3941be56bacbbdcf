#!/usr/bin/env bash
# The spec suite under AddressSanitizer + UndefinedBehaviorSanitizer: builds the runtime and its
# tools with -DLOGWASM_SANITIZE=ON into build/sanitize, then runs every spec file through that
# build's logwasm-spec. Fails on any spec failure not in test/spec/expected-failures.json and on
# any sanitizer report (the driver counts a report as a failure of the file that caused it).
set -euo pipefail
cd "$(dirname "$0")/.."

cmake -S . -B build/sanitize -DLOGWASM_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
cmake --build build/sanitize -j2 --target logwasm-spec

# Leaks count as errors; a UBSan finding stops the runner (and is also fatal through
# -fno-sanitize-recover); reports go to stderr, where the driver looks for them.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=86:${UBSAN_OPTIONS:-}"
export LSAN_OPTIONS="exitcode=86:${LSAN_OPTIONS:-}"

node test/spec/run.mjs --tier interp --runner build/sanitize/logwasm-spec "$@"
