#!/usr/bin/env bash
# Rebuilds every example it has a toolchain for and writes the .wasm files to
# OUT_DIR (default: test/fixtures, the committed fixtures).
#   examples/build.sh            all languages
#   examples/build.sh c rust     only these (c, rust, assemblyscript, go)
# A language whose toolchain is missing is skipped with a message naming the
# missing tool; the script fails only when a build that could run fails.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export OUT_DIR="${OUT_DIR:-$here/../test/fixtures}"
languages=("$@")
[ ${#languages[@]} -gt 0 ] || languages=(c rust assemblyscript go)

# The AssemblyScript compiler comes from npm; fetch it when npm is there.
if [[ " ${languages[*]} " == *" assemblyscript "* ]] && [ ! -x "$here/assemblyscript/node_modules/.bin/asc" ] \
   && command -v npm >/dev/null 2>&1; then
  npm ci --prefix "$here/assemblyscript" --no-audit --no-fund >&2 || true
fi

built=() skipped=() failed=()
for language in "${languages[@]}"; do
  script="$here/$language/build.sh"
  if [ ! -f "$script" ]; then
    echo "examples/build.sh: unknown language '$language' (have: c rust assemblyscript go)" >&2
    failed+=("$language")
    continue
  fi
  bash "$script"
  case $? in
    0) built+=("$language") ;;
    2) skipped+=("$language") ;;
    *) failed+=("$language") ;;
  esac
done
echo "examples: built [${built[*]}] skipped [${skipped[*]}] failed [${failed[*]}] -> $OUT_DIR"
[ ${#failed[@]} -eq 0 ]
