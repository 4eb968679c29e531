#!/usr/bin/env bash
# Builds a component from one C file, as the C test fixtures and examples
# are built:
#
#   scripts/c_component.sh SOURCE.c WIT-DIR WORLD-NAME OUT.wasm [CFLAGS...]
#
# SOURCE.c becomes a core module (clang-14 against wasi-libc, no start
# files, no preview1 import: no adapter), WORLD-NAME of the WIT package
# WIT-DIR is embedded as its component type (tests/fixtures/http/
# embed.mjs), `jco new` makes the component. OUT.wasm is written whole
# (a temporary file renamed), so a watching `stratus dev` never reads
# half of one.
set -eu
[ $# -ge 4 ] || { echo "usage: scripts/c_component.sh SOURCE.c WIT-DIR WORLD-NAME OUT.wasm [CFLAGS...]" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
c=$1 wit=$2 world=$3 out=$4
shift 4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
clang-14 --target=wasm32-wasi --sysroot=/usr -O2 -Wall -Werror -nostartfiles -Wl,--no-entry \
  "$@" -o "$tmp/core.wasm" "$c"
node "$root/tests/fixtures/http/embed.mjs" "$root" "$tmp/core.wasm" "$wit" "$world" "$tmp/embed.wasm"
"$root/node_modules/.bin/jco" new "$tmp/embed.wasm" -o "$tmp/component.wasm" >/dev/null
mkdir -p "$(dirname "$out")"
mv -f "$tmp/component.wasm" "$out.tmp$$"
mv -f "$out.tmp$$" "$out"
