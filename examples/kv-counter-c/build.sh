#!/usr/bin/env bash
# Builds examples/kv-counter-c/counter.c into a wasi:http component that
# uses wasi:keyvalue, by default build/examples/kv-counter-c/counter.wasm
# (where workload.yaml points):
#   examples/kv-counter-c/build.sh [OUT.wasm]
# As the C test fixtures (scripts/c_component.sh): world.wit with the
# fixtures' WIT packages (jco's WASI 0.2.12 and the keyvalue WIT of
# tests/fixtures/plugins/deps, which tests/fixtures/build.sh copies) as
# deps.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
fix=${FIXTURES_OUT:-$root/build/fixtures}
out=${1:-$root/build/examples/kv-counter-c/counter.wasm}
[ -d "$fix/plugins-wit/deps/keyvalue" ] || FIXTURES_OUT=$fix "$root/tests/fixtures/build.sh" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/wit"
cp -r "$fix/plugins-wit/deps" "$tmp/wit/deps"
cp "$here/world.wit" "$tmp/wit/world.wit"
"$root/scripts/c_component.sh" "$here/counter.c" "$tmp/wit" counter "$out"
