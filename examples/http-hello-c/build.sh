#!/usr/bin/env bash
# Builds examples/http-hello-c/hello.c into a wasi:http component, by
# default build/examples/http-hello-c/hello.wasm (where workload.yaml
# points):
#   examples/http-hello-c/build.sh [OUT.wasm]
# GREETING (environment) replaces the greeting. As the C test fixtures:
# clang-14 against wasi-libc, the component type embedded from the
# fixtures' wasi:http world (tests/fixtures/build.sh makes it), `jco new`.
# The component is written to a temporary file and renamed, so a running
# `stratus dev` never reads half of it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
fix=${FIXTURES_OUT:-$root/build/fixtures}
out=${1:-$root/build/examples/http-hello-c/hello.wasm}
[ -d "$fix/http-wit" ] || FIXTURES_OUT=$fix "$root/tests/fixtures/build.sh" >/dev/null
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
defs=()
[ -n "${GREETING:-}" ] && defs=("-DGREETING=\"$GREETING\"")
clang-14 --target=wasm32-wasi --sysroot=/usr -O2 -Wall -Werror -nostartfiles -Wl,--no-entry \
  "${defs[@]}" -o "$tmp/core.wasm" "$here/hello.c"
node "$root/tests/fixtures/http/embed.mjs" "$root" "$tmp/core.wasm" "$fix/http-wit" http-app "$tmp/embed.wasm"
"$root/node_modules/.bin/jco" new "$tmp/embed.wasm" -o "$tmp/hello.wasm" >/dev/null
mv -f "$tmp/hello.wasm" "$out.tmp$$"
mv -f "$out.tmp$$" "$out"
