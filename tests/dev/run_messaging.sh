#!/usr/bin/env bash
# End-to-end tests of wasmcloud:messaging through `stratus dev`, with
# examples/messaging-echo (built by its build.sh): an HTTP component that
# makes a messaging request per HTTP request, and an echo handler
# subscribed to echo.* that replies on reply-to. Checks: the round trip
# (curl gets the echo), many requests at once, no responders (no handler;
# a subscription that does not match) as a 502 naming the cause, a
# reload keeps answering, an ungranted messaging import is refused
# naming the interface, SIGTERM stops with status 0, no sanitizer report.
#
#   tests/dev/run_messaging.sh [STRATUS]     (default build/stratus)
#
# Prints "messaging: P passed, F failed"; exits non-zero on a failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(realpath "${1:-$root/build/stratus}")
fix=${FIXTURES_OUT:-$root/build/fixtures}
work=$(mktemp -d)
server=("$bin" dev --address 127.0.0.1:0 --workers 2)
. "$root/tests/lib.sh"
# manifest FILE SUBSCRIPTIONS COMPONENT=IMAGE...: web + handlers, messaging granted
manifest() {
  local f=$1 subs=$2; shift 2
  {
    echo "apiVersion: runtime.wasmcloud.dev/v1alpha1"
    echo "kind: Workload"
    echo "metadata:"
    echo "  name: msg"
    echo "spec:"
    echo "  components:"
    for c in "$@"; do
      echo "    - name: ${c%%=*}"
      echo "      image: ${c#*=}"
    done
    echo "  hostInterfaces:"
    echo "    - namespace: wasi"
    echo "      package: http"
    echo "      interfaces: [incoming-handler]"
    if [ "$subs" != "-" ]; then
      echo "    - namespace: wasmcloud"
      echo "      package: messaging"
      echo "      interfaces: [consumer, handler, types]"
      echo "      version: 0.2.0"
      echo "      config:"
      echo "        subscriptions: \"$subs\""
    fi
  } >"$f"
}

ex=$root/examples/messaging-echo
built=$work/ex
detail=$( { FIXTURES_OUT=$fix "$root/tests/fixtures/build.sh" && "$ex/build.sh" && \
            FIXTURES_OUT=$fix "$ex/build.sh" "$built"; } 2>&1 | tail -20)
check "examples/messaging-echo builds (build.sh)" test -f "$built/web.wasm" -a -f "$built/echo.wasm"
command -v curl >/dev/null || fail "curl is installed (scripts/setup.sh installs it)"

# ---- the example, from its own manifest ----
if start example "$ex/workload.yaml"; then
  r=$(curl -s -i -m 10 "http://$addr/hi")
  detail="$r $(cat "$work/example.log")"
  check "example: a request/reply round trip answers curl with the echo" \
    bash -c 'grep -q "^HTTP/1.1 200" <<<"$0" && grep -q "^echo: HI" <<<"$0"' "$r"
  r=$(get "http://$addr/")
  detail=$r; check "example: the default text" test "$r" = "echo: HELLO"
  seq 1 40 | xargs -P 8 -I{} curl -s -m 30 "http://$addr/n{}" >"$work/many.out"
  n=$(grep -c '^echo: N[0-9]*$' "$work/many.out")
  detail="$n of 40: $(sort "$work/many.out" | uniq -c | head -5)"
  check "example: 40 requests, 8 at a time, all answered" test "$n" -eq 40
  touch "$ex/workload.yaml"
  for _ in $(seq 1 100); do grep -q "reloaded" "$work/example.log" && break; sleep 0.1; done
  r=$(get "http://$addr/again")
  detail="$r $(tail -5 "$work/example.log")"
  check "example: after a reload the new version answers" \
    bash -c 'grep -q reloaded "$1" && [ "$0" = "echo: AGAIN" ]' "$r" "$work/example.log"
  stop; rc=$?
  detail="rc=$rc $(tail -5 "$work/example.log")"
  check "example: SIGTERM stops it with status 0" test $rc -eq 0
else
  fail "example: stratus dev starts" "$(cat "$work/example.log")"
fi

# ---- no responders ----
manifest "$work/alone.yaml" "echo.*" "web=$built/web.wasm"
if start alone "$work/alone.yaml"; then
  r=$(curl -s -i -m 10 "http://$addr/x")
  detail=$r
  check "no handler in the workload: 502 naming no responders" \
    bash -c 'grep -q "^HTTP/1.1 502" <<<"$0" && grep -q "request to echo.http: no responders" <<<"$0"' "$r"
  stop
else
  fail "alone: stratus dev starts" "$(cat "$work/alone.log")"
fi
manifest "$work/other.yaml" "other.*, echo.http.>" "web=$built/web.wasm" "echo=$built/echo.wasm"
if start other "$work/other.yaml"; then
  r=$(code "http://$addr/x")
  detail="$r $(cat "$work/other.log")"
  check "subscriptions that do not match echo.http: 502" test "$r" = 502
  stop
else
  fail "other: stratus dev starts" "$(cat "$work/other.log")"
fi
manifest "$work/wild.yaml" "echo.>" "echo=$built/echo.wasm" "web=$built/web.wasm"
if start wild "$work/wild.yaml"; then
  r=$(get "http://$addr/wild")
  detail="$r $(cat "$work/wild.log")"
  check "a wildcard subscription (echo.>) gets the request" test "$r" = "echo: WILD"
  stop
else
  fail "wild: stratus dev starts" "$(cat "$work/wild.log")"
fi

# ---- refusals ----
manifest "$work/ungranted.yaml" "-" "web=$built/web.wasm"
out=$(timeout 60 "$bin" dev --address 127.0.0.1:0 "$work/ungranted.yaml" 2>&1); rc=$?
detail="rc=$rc $out"
check "a component importing ungranted wasmcloud:messaging is refused, naming it" \
  bash -c '[ $0 -eq 1 ] && grep -q "imports wasmcloud:messaging/[a-z]*@0.2.0, which the workload does not grant" <<<"$1"' $rc "$out"
manifest "$work/badsub.yaml" "echo..x" "web=$built/web.wasm"
out=$(timeout 60 "$bin" dev --address 127.0.0.1:0 "$work/badsub.yaml" 2>&1); rc=$?
detail="rc=$rc $out"
check "an invalid subscription subject is an error naming it" \
  bash -c '[ $0 -eq 1 ] && grep -q "\"echo..x\" is not a valid subject" <<<"$1"' $rc "$out"

no_sanitizer_reports

finish messaging
