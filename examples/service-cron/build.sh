#!/usr/bin/env bash
# Builds examples/service-cron (cron.c: the service, job.c: the component
# it calls) into build/examples/service-cron/ (where workload.yaml
# points), or into DIR:
#   examples/service-cron/build.sh [DIR]
# INTERVAL_MS (environment) sets the service's period. As the C test
# fixtures (scripts/c_component.sh), with the bindings of
# tests/fixtures/service/ and its world.wit (tests/fixtures/build.sh
# makes it).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
fix=${FIXTURES_OUT:-$root/build/fixtures}
out=${1:-$root/build/examples/service-cron}
[ -d "$fix/service-wit" ] || FIXTURES_OUT=$fix "$root/tests/fixtures/build.sh" >/dev/null
defs=()
[ -n "${INTERVAL_MS:-}" ] && defs=("-DINTERVAL_MS=$INTERVAL_MS")
for pair in cron:service job:ticker; do
  n=${pair%%:*} world=${pair#*:}
  "$root/scripts/c_component.sh" "$here/$n.c" "$fix/service-wit" $world "$out/$n.wasm" \
    -I"$root/tests/fixtures/service" "${defs[@]}"
done
