#!/usr/bin/env bash
# Installs Go 1.24 (Debian trixie's golang-1.24-go) on Debian bookworm, for
# building the Go example (//go:wasmexport needs Go 1.24; bookworm has 1.19).
#
# Adds trixie as an apt source pinned at priority 1, so nothing else on the
# machine ever comes from trixie unless asked by name, checks with a dry run
# that only golang-1.24 packages would be installed (no trixie libc or other
# upgrades), then installs. Idempotent: does nothing when go1.24 is present.
# Needs root. Result: /usr/lib/go-1.24/bin/go
set -euo pipefail

go_bin=/usr/lib/go-1.24/bin/go
if [ -x "$go_bin" ]; then
  echo "go: $("$go_bin" version) already installed at $go_bin"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-go.sh: must run as root (it adds an apt source and installs a package)" >&2
  exit 1
fi

source_file=/etc/apt/sources.list.d/logwasm-trixie.sources
pin_file=/etc/apt/preferences.d/logwasm-trixie-pin
if [ ! -f "$source_file" ]; then
  cat > "$source_file" <<'SOURCES'
# Added by logwasm examples/go/install-go.sh: only for golang-1.24-go.
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
fi
if [ ! -f "$pin_file" ]; then
  cat > "$pin_file" <<'PIN'
# Added by logwasm examples/go/install-go.sh: never take trixie packages
# unless they are asked for by name.
Package: *
Pin: release n=trixie
Pin-Priority: 1
PIN
fi

apt-get update -q

packages=(golang-1.24-go golang-1.24-src)
# Dry run first: refuse if anything other than the Go packages would change.
plan="$(apt-get install -s -y --no-install-recommends "${packages[@]}" | grep -E '^(Inst|Remv) ' || true)"
unexpected="$(printf '%s\n' "$plan" | grep -vE '^Inst golang-1\.24-(go|src) ' | grep . || true)"
if [ -n "$unexpected" ]; then
  echo "install-go.sh: installing ${packages[*]} from trixie would also change:" >&2
  echo "$unexpected" >&2
  echo "refusing; install Go 1.24 another way" >&2
  exit 1
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}"
echo "go: $("$go_bin" version) installed at $go_bin"
