#!/usr/bin/env bash
# End-to-end tests of composition inside a workload through `stratus
# dev`, with the C fixtures of tests/fixtures/compose/:
#   - an HTTP component importing example:greet/greeter, which a second
#     component of the workload exports, answers with the greeting;
#     calls in one request go to one instance of the exporter, the next
#     request gets a new one;
#   - a chain (web -> greeter -> shouter), whatever the manifest order;
#   - concurrent requests on every worker (wrk), no failure;
#   - a service (the cron fixture of tests/fixtures/service/) calling a
#     component that imports from another component;
#   - a resource crossing by proxy (example:greet/sink of writer.c): the
#     HTTP component makes a writer in the other component, writes to it
#     twice, moves it in and out (own argument, own in a result), reads
#     it, drops it (the exporter's destructor runs); a writer left
#     undropped goes at the request's end;
#   - refusals at start: a cycle, two exporters of one interface, a
#     function passing a resource of another interface (each message
#     naming the components, the interface, the function).
#
#   tests/dev/run_compose.sh [STRATUS]     (default build/stratus)
#
# Prints "compose: P passed, F failed"; exits non-zero on a failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(realpath "${1:-$root/build/stratus}")
fix=${FIXTURES_OUT:-$root/build/fixtures}
work=$(mktemp -d)
server=("$bin" dev --address 127.0.0.1:0 --workers 2)
. "$root/tests/lib.sh"

# manifest FILE NAME:IMAGE... : a Workload with those components and
# wasi:http granted
manifest() {
  local f=$1; shift
  {
    printf 'apiVersion: runtime.wasmcloud.dev/v1alpha1\nkind: Workload\nmetadata:\n  name: compose\n'
    printf 'spec:\n  components:\n'
    for c in "$@"; do
      printf '    - name: %s\n      image: %s\n' "${c%%:*}" "$fix/${c#*:}.component.wasm"
    done
    printf '  hostInterfaces:\n    - namespace: wasi\n      package: http\n      interfaces: [incoming-handler]\n'
  } >"$f"
}
# refused NAME MANIFEST: runs stratus dev, which must exit non-zero at
# start; its stderr in $work/NAME.log
refused() {
  timeout 60 "$bin" dev --address 127.0.0.1:0 --workers 2 "$2" >"$work/$1.out" 2>"$work/$1.log"
  [ $? = 1 ]
}

if ! FIXTURES_OUT=$fix "$root/tests/fixtures/build.sh" >"$work/fixtures.log" 2>&1; then
  fail "fixtures build (tests/fixtures/build.sh)" "$(tail -20 "$work/fixtures.log")"
fi

# ---- a component importing what another exports ----
manifest "$work/greet.yaml" web:cmp_web greeter:cmp_greeter
if start greet "$work/greet.yaml"; then
  body=$(get "http://$addr/?name=stratus")
  detail="body: $body; $(cat "$work/greet.log")"
  check "web imports example:greet/greeter from component greeter: curl gets the greeting" \
    [ "$body" = "hello, stratus (call 1)" ]
  body=$(get "http://$addr/twice?name=a")
  detail="body: $body"
  check "two calls in one request go to one instance of the exporter" \
    [ "$body" = $'hello, a (call 1)\nhello, a (call 2)' ]
  body=$(get "http://$addr/twice?name=b")
  detail="body: $body"
  check "the next request gets a new instance of the exporter" \
    [ "$body" = $'hello, b (call 1)\nhello, b (call 2)' ]
  if command -v wrk >/dev/null; then
    wrk -t2 -c8 -d2s "http://$addr/twice?name=load" >"$work/wrk.out" 2>&1
    n=$(awk '/requests in/ {print $1}' "$work/wrk.out")
    detail=$(cat "$work/wrk.out")
    check "concurrent requests on both workers: no error (wrk -c8, 2 s)" \
      bash -c "[ '${n:-0}' -gt 0 ] && ! grep -qE 'Non-2xx|Socket errors' '$work/wrk.out'"
    body=$(get "http://$addr/twice?name=c")
    detail="body: $body"
    check "after the load, an exporter instance per request still" \
      [ "$body" = $'hello, c (call 1)\nhello, c (call 2)' ]
  else
    fail "wrk is installed (scripts/setup.sh installs it)"
  fi
  stop; rc=$?
  detail="exit $rc: $(tail -5 "$work/greet.log")"
  check "SIGTERM stops it (exit 0)" [ $rc = 0 ]
else
  fail "web + greeter: stratus dev starts" "$(cat "$work/greet.log")"
fi

# ---- a chain of three, the importers listed first ----
manifest "$work/chain.yaml" web:cmp_web greeter:cmp_loud_greeter shouter:cmp_shouter
if start chain "$work/chain.yaml"; then
  body=$(get "http://$addr/twice?name=bob")
  detail="body: $body; $(cat "$work/chain.log")"
  check "a chain web -> greeter -> shouter (manifest order: importers first)" \
    [ "$body" = $'HELLO, BOB (CALL 1)!\nHELLO, BOB (CALL 2)!' ]
  stop
else
  fail "chain: stratus dev starts" "$(cat "$work/chain.log")"
fi

# ---- a service calling a component that imports from another ----
cat >"$work/cron.yaml" <<EOM
apiVersion: runtime.wasmcloud.dev/v1alpha1
kind: Workload
metadata:
  name: cron
spec:
  components:
    - name: ticker
      image: $fix/cmp_greet_ticker.component.wasm
    - name: greeter
      image: $fix/cmp_greeter.component.wasm
  service:
    image: $fix/svc_cron.component.wasm
EOM
if start cron "$work/cron.yaml"; then
  until_log "$work/cron.log" "^\[ticker\] hello, tick 3 (call 1)$"; ok=$?
  detail=$(cat "$work/cron.log")
  check "a service calls a component that greets through another component" [ $ok = 0 ]
  stop
else
  fail "service + composition: stratus dev starts" "$(cat "$work/cron.log")"
fi

# ---- a resource crossing between components, by proxy ----
manifest "$work/sink.yaml" web:cmp_web_sink writer:cmp_writer
if start sink "$work/sink.yaml"; then
  body=$(get "http://$addr/sink")
  detail="body: $body; $(cat "$work/sink.log")"
  check "a writer resource of component writer, used through proxies: made, written twice, moved, read, dropped" \
    [ "$body" = $'notes: a b\nwrites: 2\nlive: 1 then 0' ]
  body=$(get "http://$addr/leak")
  detail="body: $body"
  check "a writer left undropped in a request" [ "$body" = "live: 1" ]
  body=$(get "http://$addr/sink")
  detail="body: $body; $(cat "$work/sink.log")"
  check "the next request starts with no writer (a new exporter instance)" \
    [ "$body" = $'notes: a b\nwrites: 2\nlive: 1 then 0' ]
  if command -v wrk >/dev/null; then
    wrk -t2 -c8 -d1s "http://$addr/sink" >"$work/wrk_sink.out" 2>&1
    wrk -t2 -c8 -d1s "http://$addr/leak" >>"$work/wrk_sink.out" 2>&1
    detail=$(cat "$work/wrk_sink.out")
    check "proxies under concurrent requests on both workers: no error (wrk -c8, /sink and /leak)" \
      bash -c "[ \$(grep -c 'requests in' '$work/wrk_sink.out') = 2 ] && ! grep -qE 'Non-2xx|Socket errors' '$work/wrk_sink.out'"
  fi
  stop; rc=$?
  detail="exit $rc: $(tail -5 "$work/sink.log")"
  check "resources by proxy: SIGTERM stops it (exit 0), nothing logged as failed" \
    bash -c "[ $rc = 0 ] && ! grep -q 'dropping a resource' '$work/sink.log'"
else
  fail "web-sink + writer: stratus dev starts" "$(cat "$work/sink.log")"
fi

# ---- refused at start ----
manifest "$work/cycle.yaml" web:cmp_web greeter:cmp_loud_greeter shouter:cmp_cyclic_shouter
refused cycle "$work/cycle.yaml"; rc=$?
detail=$(cat "$work/cycle.log")
check "a cycle is refused, naming the components" \
  bash -c "[ $rc = 0 ] && grep -q 'in a cycle: \`greeter\` -> \`shouter\` -> \`greeter\`' '$work/cycle.log'"

manifest "$work/two.yaml" web:cmp_web hello:cmp_greeter hola:cmp_greeter
refused two "$work/two.yaml"; rc=$?
detail=$(cat "$work/two.log")
check "two exporters of one interface are refused, naming both" \
  bash -c "[ $rc = 0 ] && grep -q 'component \`web\` imports example:greet/greeter, which both \`hello\` and \`hola\` export' '$work/two.log'"

manifest "$work/res.yaml" web:cmp_web_writer writer:cmp_writer
refused res "$work/res.yaml"; rc=$?
detail=$(cat "$work/res.log")
check "a function passing a resource is refused, naming the interface and the function" \
  bash -c "[ $rc = 0 ] && grep -q 'component \`web\` imports example:greet/writer from component \`writer\`: function \`write-to\` passes a resource' '$work/res.log'"

no_sanitizer_reports
finish compose
