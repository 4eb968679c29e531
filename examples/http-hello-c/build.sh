#!/usr/bin/env bash
# Builds examples/http-hello-c/hello.c into a wasi:http component, by
# default build/examples/http-hello-c/hello.wasm (where workload.yaml
# points):
#   examples/http-hello-c/build.sh [OUT.wasm]
# GREETING (environment) replaces the greeting. As the C test fixtures
# (scripts/c_component.sh), with the fixtures' wasi:http world
# (tests/fixtures/build.sh makes it).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
fix=${FIXTURES_OUT:-$root/build/fixtures}
out=${1:-$root/build/examples/http-hello-c/hello.wasm}
[ -d "$fix/http-wit" ] || FIXTURES_OUT=$fix "$root/tests/fixtures/build.sh" >/dev/null
defs=()
[ -n "${GREETING:-}" ] && defs=("-DGREETING=\"$GREETING\"")
"$root/scripts/c_component.sh" "$here/hello.c" "$fix/http-wit" http-app "$out" "${defs[@]}"
