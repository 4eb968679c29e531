#!/usr/bin/env bash
# Builds examples/messaging-echo into build/examples/messaging-echo/
# (where workload.yaml points), or into OUT_DIR:
#   examples/messaging-echo/build.sh [OUT_DIR]
# web.c (world web) and echo.c (world echo) as the C test fixtures
# (scripts/c_component.sh), world.wit with the fixtures' WIT packages as
# deps (tests/fixtures/build.sh makes them).
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
  "$root/scripts/c_component.sh" "$here/$c.c" "$tmp/wit" $c "$out/$c.wasm"
done
