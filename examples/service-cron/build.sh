#!/usr/bin/env bash
# Builds examples/service-cron (cron.c: the service, job.c: the component
# it calls) into build/examples/service-cron/ (where workload.yaml
# points), or into DIR:
#   examples/service-cron/build.sh [DIR]
# INTERVAL_MS (environment) sets the service's period. As the C test
# fixtures: clang-14 against wasi-libc with the bindings of
# tests/fixtures/service/, the component type embedded from its world.wit
# (tests/fixtures/build.sh makes it), `jco new`; written to a temporary
# file and renamed, so a running `stratus dev` never reads half of one.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
fix=${FIXTURES_OUT:-$root/build/fixtures}
out=${1:-$root/build/examples/service-cron}
[ -d "$fix/service-wit" ] || FIXTURES_OUT=$fix "$root/tests/fixtures/build.sh" >/dev/null
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
defs=()
[ -n "${INTERVAL_MS:-}" ] && defs=("-DINTERVAL_MS=$INTERVAL_MS")
for pair in cron:service job:ticker; do
  n=${pair%%:*} world=${pair#*:}
  clang-14 --target=wasm32-wasi --sysroot=/usr -O2 -Wall -Werror -nostartfiles -Wl,--no-entry \
    -I"$root/tests/fixtures/service" "${defs[@]}" -o "$tmp/$n.core.wasm" "$here/$n.c"
  node "$root/tests/fixtures/http/embed.mjs" "$root" "$tmp/$n.core.wasm" "$fix/service-wit" $world "$tmp/$n.embed.wasm"
  "$root/node_modules/.bin/jco" new "$tmp/$n.embed.wasm" -o "$tmp/$n.wasm" >/dev/null
  mv -f "$tmp/$n.wasm" "$out/$n.wasm.tmp$$"
  mv -f "$out/$n.wasm.tmp$$" "$out/$n.wasm"
done
