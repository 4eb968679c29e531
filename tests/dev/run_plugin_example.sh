#!/usr/bin/env bash
# End-to-end test of examples/plugin-counter: a host plugin and a host
# program built outside the tree against the public headers and the
# static libraries of one Stratus build:
#   - `make -C examples/plugin-counter` builds counter-host against BUILD's
#     libraries (with the sanitizer flags for build-san) and the component;
#   - counter-host serves the workload: two requests answer "count: 1" and
#     "count: 2"; another path counts on its own;
#   - `stratus dev` (which lacks the plugin) refuses the same workload,
#     naming the interface;
#   - SIGTERM stops counter-host with exit status 0.
#
#   tests/dev/run_plugin_example.sh [BUILD]     (build or build-san; default build)
#
# Prints "plugin example: P passed, F failed"; exits non-zero on a failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-build}
case $build in /*) dir=$build ;; *) dir=$root/$build ;; esac
san=
[ "$(basename "$dir")" = build-san ] && san=SAN=1
host=$dir/examples/plugin-counter/counter-host
manifest=$root/examples/plugin-counter/workload.yaml
work=$(mktemp -d)
server=("$host")
. "$root/tests/lib.sh"

make -C "$root/examples/plugin-counter" STRATUS_BUILD="$dir" $san >"$work/make.out" 2>&1
rc=$?
detail="exit $rc: $(tail -20 "$work/make.out")"
check "examples/plugin-counter builds out of tree against $build's libraries" \
  test $rc = 0 -a -x "$host" -a -f "$root/build/examples/plugin-counter/app.wasm"

if start counter "$manifest" --address 127.0.0.1:0; then
  b1=$(get "http://$addr/") b2=$(get "http://$addr/")
  detail="bodies: '$b1', '$b2'; $(tail -5 "$work/counter.log")"
  check "counter-host: two requests answer count: 1 and count: 2" \
    bash -c "[ '$b1' = 'count: 1' ] && [ '$b2' = 'count: 2' ]"
  b3=$(get "http://$addr/other?x=1")
  detail="body: '$b3'"
  check "counter-host: another counter name (/other) counts on its own" [ "$b3" = "count: 1" ]
  stop "$pid"; rc=$?
  detail="exit $rc: $(tail -5 "$work/counter.log")"
  check "counter-host: SIGTERM stops it (exit 0)" \
    bash -c "[ $rc = 0 ] && grep -q 'counter-host: stopped' '$work/counter.log'"
else
  fail "counter-host starts and prints its address" "$(cat "$work/counter.log")"
fi

timeout 60 "$dir/stratus" dev --address 127.0.0.1:0 --quiet "$manifest" >"$work/dev.out" 2>"$work/dev.log"
rc=$?
detail="exit $rc: $(cat "$work/dev.log")"
check "stratus dev (without the plugin) refuses the workload, naming example:counter/counter" \
  bash -c "[ $rc != 0 ] && [ $rc != 124 ] && grep -q 'example:counter/counter' '$work/dev.log'"

no_sanitizer_reports
finish "plugin example"
