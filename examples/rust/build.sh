#!/usr/bin/env bash
# Builds the Rust examples into OUT_DIR (default: test/fixtures):
#   rust_filter.wasm          json filter, wasm32-unknown-unknown, no imports
#   rust_filter_msgpack.wasm  msgpack filter, wasm32-unknown-unknown, no imports
#   exec_wasi.wasm            exec_wasi input program, wasm32-wasi
# Uses Debian's toolchain, not rustup's (rustup's rustc here has no wasm std):
#   apt-get install rustc cargo libstd-rust-dev-wasm32 librust-serde-json-dev librust-rmp-dev
# Crates come from /usr/share/cargo/registry (see .cargo/config.toml), offline.
# Exit status 2 means a tool is missing (the message names it).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${OUT_DIR:-$here/../../test/fixtures}"
export RUSTC="${RUSTC:-/usr/bin/rustc}"
cargo="${CARGO:-/usr/bin/cargo}"

missing() { echo "rust: skipped, missing $1" >&2; exit 2; }
[ -x "$RUSTC" ] || missing "$RUSTC (apt-get install rustc)"
[ -x "$cargo" ] || missing "$cargo (apt-get install cargo)"
sysroot="$("$RUSTC" --print sysroot)"
[ -d "$sysroot/lib/rustlib/wasm32-unknown-unknown" ] || missing "wasm32-unknown-unknown std for $RUSTC (apt-get install libstd-rust-dev-wasm32)"
[ -d "$sysroot/lib/rustlib/wasm32-wasi" ] || missing "wasm32-wasi std for $RUSTC (apt-get install libstd-rust-dev-wasm32)"
for crate in serde_json rmp; do
  ls -d /usr/share/cargo/registry/$crate-[0-9]* >/dev/null 2>&1 || missing "crate $crate in /usr/share/cargo/registry (apt-get install librust-${crate//_/-}-dev)"
done

mkdir -p "$out"
cd "$here"
target_dir="${CARGO_TARGET_DIR:-$here/target}"
"$cargo" build --quiet --release --target wasm32-unknown-unknown -p rust_filter -p rust_filter_msgpack
"$cargo" build --quiet --release --target wasm32-wasi -p exec_wasi
cp "$target_dir/wasm32-unknown-unknown/release/rust_filter.wasm" "$out/rust_filter.wasm"
cp "$target_dir/wasm32-unknown-unknown/release/rust_filter_msgpack.wasm" "$out/rust_filter_msgpack.wasm"
cp "$target_dir/wasm32-wasi/release/exec_wasi.wasm" "$out/exec_wasi.wasm"
echo "rust: built rust_filter.wasm rust_filter_msgpack.wasm exec_wasi.wasm into $out ($("$RUSTC" --version))"
