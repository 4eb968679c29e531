#!/usr/bin/env bash
# Builds examples/messaging-echo into build/examples/messaging-echo/
# (where workload.yaml points), or into OUT_DIR:
#   examples/messaging-echo/build.sh [OUT_DIR]
# web.c (world web) and echo.c (world echo) as the C test fixtures:
# clang-14 against wasi-libc, the component type embedded from world.wit
# with the fixtures' WIT packages as deps (tests/fixtures/build.sh makes
# them), `jco new`. Each component is renamed into place, so a running
# `stratus dev` never reads half of one.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
fix=${FIXTURES_OUT:-$root/build/fixtures}
out=${1:-$root/build/examples/messaging-echo}
[ -d "$fix/plugins-wit/deps/messaging" ] || FIXTURES_OUT=$fix "$root/tests/fixtures/build.sh" >/dev/null
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/wit"
cp -r "$fix/plugins-wit/deps" "$tmp/wit/deps"
cp "$here/world.wit" "$tmp/wit/world.wit"
for c in web echo; do
  clang-14 --target=wasm32-wasi --sysroot=/usr -O2 -Wall -Werror -nostartfiles -Wl,--no-entry \
    -o "$tmp/$c.core.wasm" "$here/$c.c"
  node "$root/tests/fixtures/http/embed.mjs" "$root" "$tmp/$c.core.wasm" "$tmp/wit" $c "$tmp/$c.embed.wasm"
  "$root/node_modules/.bin/jco" new "$tmp/$c.embed.wasm" -o "$tmp/$c.wasm" >/dev/null
  mv -f "$tmp/$c.wasm" "$out/$c.wasm.tmp$$"
  mv -f "$out/$c.wasm.tmp$$" "$out/$c.wasm"
done
