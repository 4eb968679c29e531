#!/usr/bin/env bash
# Builds a JavaScript HTTP component with componentize-js (StarlingMonkey):
#
#   scripts/componentize.sh APP.js WORLD.wit WORLD-NAME OUT.wasm [PACKAGE-DIR...]
#
# WORLD.wit may use wasi:* 0.2 packages; they resolve against the WASI WIT
# files jco ships, and against the extra WIT package directories given
# (e.g. tests/fixtures/plugins/deps/keyvalue for wasi:keyvalue). StarlingMonkey implements wasi:http at 0.2.10, so those
# are jco's 0.2.12 files renamed to 0.2.10 (made once, in build/wit-0.2.10).
# OUT is rebuilt only when its inputs changed (their hash is in OUT.sha256)
# and replaced whole (renamed into place).
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: scripts/componentize.sh APP.js WORLD.wit WORLD-NAME OUT.wasm [PACKAGE-DIR...]" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
app=$1 world=$2 name=$3 out=$4
shift 4
# Up to date: OUT exists and was built from the same inputs.
hash=$(cat "$app" "$world" "$0" $(for d in "$@"; do ls "$d"/*.wit; done) | sha256sum | cut -d' ' -f1)
if [ -f "$out" ] && [ "$(cat "$out.sha256" 2>/dev/null)" = "$hash" ]; then
  exit 0
fi
deps=$root/build/wit-0.2.10
src=$root/node_modules/@bytecodealliance/jco/lib/wit/builtin/0.2.12
if [ ! -f "$deps/.done" ]; then
  rm -rf "$deps"
  for d in "$src"/*/; do
    mkdir -p "$deps/$(basename "$d")"
    for f in "$d"*.wit; do
      sed 's/@0\.2\.12/@0.2.10/g' "$f" >"$deps/$(basename "$d")/$(basename "$f")"
    done
  done
  touch "$deps/.done"
fi
wit=$(mktemp -d)
trap 'rm -rf "$wit"' EXIT
cp "$world" "$wit/world.wit"
mkdir "$wit/deps"
for d in "$deps"/*/ "$@"; do
  ln -s "$(cd "$d" && pwd)" "$wit/deps/$(basename "$d")"
done
"$root/node_modules/.bin/componentize-js" "$app" --wit "$wit" -n "$name" -o "$out.tmp" >/dev/null
mv -f "$out.tmp" "$out" # whole, for a watching `stratus dev`
echo "$hash" >"$out.sha256"
