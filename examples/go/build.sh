#!/usr/bin/env bash
# Builds go_filter.wasm (Go 1.24 //go:wasmexport, WASI reactor) into OUT_DIR
# (default: test/fixtures). Go 1.24 on bookworm: sudo ./install-go.sh
# Exit status 2 means Go 1.24+ is missing (the message says how to get it).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${OUT_DIR:-$here/../../test/fixtures}"

go_bin="${GO:-}"
if [ -z "$go_bin" ]; then
  for candidate in /usr/lib/go-1.24/bin/go "$(command -v go || true)"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    minor="$("$candidate" env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p')"
    if [ -n "$minor" ] && [ "$minor" -ge 24 ]; then go_bin="$candidate"; break; fi
  done
fi
if [ -z "$go_bin" ]; then
  echo "go: skipped, missing go1.24 or newer (//go:wasmexport); run examples/go/install-go.sh as root" >&2
  exit 2
fi

mkdir -p "$out"
cd "$here"
# GOTOOLCHAIN=local and GOPROXY=off: never download a toolchain or module.
# -trimpath -buildvcs=false: the same bytes wherever and whenever it is built.
GOTOOLCHAIN=local GOPROXY=off GOOS=wasip1 GOARCH=wasm \
  "$go_bin" build -buildmode=c-shared -trimpath -buildvcs=false -ldflags='-s -w' -o "$out/go_filter.wasm" .
echo "go: built go_filter.wasm into $out ($("$go_bin" version))"
