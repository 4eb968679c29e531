#!/usr/bin/env bash
# End-to-end tests of workload services through `stratus dev`, with the
# C fixtures of tests/fixtures/service/:
#   - cron: a service calling a component's export (tick) every 100 ms,
#     each call in a fresh instance: at least 5 ticks in about 1 s;
#   - the virtual loopback: a service listening on 0.0.0.0:8080 (taken
#     as the workload's 127.0.0.1) and an HTTP component of the workload
#     that connects to 127.0.0.1:8080 and returns what it read; a port
#     nobody bound is refused; binding a non-loopback address is denied;
#   - two workloads binding the same port: two `stratus dev` processes,
#     and, in one process, a reload whose new service binds the port
#     while the old one still runs (then the old one is stopped);
#   - the restart policy: run returning err is restarted with a doubling
#     backoff up to maxRestarts, then FAILED; run returning ok is
#     COMPLETED; stopping the workload stops (joins) the service.
#
#   tests/dev/run_service.sh [STRATUS]     (default build/stratus)
#
# Prints "service: P passed, F failed"; exits non-zero on a failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(realpath "${1:-$root/build/stratus}")
fix=${FIXTURES_OUT:-$root/build/fixtures}
work=$(mktemp -d)
server=("$bin" dev --address 127.0.0.1:0 --workers 2 --quiet)
. "$root/tests/lib.sh"
# manifest FILE NAME SERVICE-IMAGE COMPONENT-IMAGE MAX-RESTARTS [HTTP]
manifest() {
  cat >"$1" <<EOM
apiVersion: runtime.wasmcloud.dev/v1alpha1
kind: Workload
metadata:
  name: $2
spec:
  components:
    - name: $( [ -n "${6:-}" ] && echo web || echo ticker )
      image: $4
$( [ -n "${6:-}" ] && printf '  hostInterfaces:\n    - namespace: wasi\n      package: http\n      interfaces: [incoming-handler]\n' )
  service:
    image: $3
    maxRestarts: $5
EOM
}

if ! FIXTURES_OUT=$fix "$root/tests/fixtures/build.sh" >"$work/fixtures.log" 2>&1; then
  fail "fixtures build (tests/fixtures/build.sh)" "$(tail -20 "$work/fixtures.log")"
fi

# ---- cron: the service calls a component export every 100 ms ----
manifest "$work/cron.yaml" cron "$fix/svc_cron.component.wasm" "$fix/svc_ticker.component.wasm" 0
if start cron "$work/cron.yaml"; then
  until_log "$work/cron.log" "\[ticker\] tick 1$" >/dev/null
  sleep 1
  n=$(grep -o '\[ticker\] tick [0-9]*' "$work/cron.log" | wc -l)
  detail="$n ticks in about 1 s: $(tail -5 "$work/cron.log")"
  check "cron: the service calls the component's tick every 100 ms (>= 5 ticks in ~1 s)" [ "$n" -ge 5 ]
  detail=$(cat "$work/cron.log")
  check "cron: the service state RUNNING is logged" grep -q "service RUNNING (run 1)" "$work/cron.log"
  stop "$pid"; rc=$?
  detail="exit $rc: $(tail -5 "$work/cron.log")"
  check "cron: SIGTERM interrupts the service and stops (exit 0, STOPPED)" \
    bash -c "[ $rc = 0 ] && grep -q 'service STOPPED' '$work/cron.log'"
else
  fail "cron: stratus dev starts" "$(cat "$work/cron.log")"
fi

# ---- the virtual loopback: service listens, component connects ----
cp "$fix/svc_listen_a.component.wasm" "$work/listen.wasm"
manifest "$work/lista.yaml" lista "$work/listen.wasm" "$fix/svc_connector.component.wasm" 0 http
manifest "$work/listb.yaml" listb "$fix/svc_listen_b.component.wasm" "$fix/svc_connector.component.wasm" 0 http
if start lista "$work/lista.yaml"; then
  addr_a=$addr pid_a=$pid
  until_log "$work/lista.log" "listening on 8080" >/dev/null
  body=$(get "http://$addr_a/")
  detail="body: $body; log: $(cat "$work/lista.log")"
  check "loopback: a component reads what the service writes on 127.0.0.1:8080" [ "$body" = "hello from A" ]
  body=$(get "http://$addr_a/?port=9")
  detail="body: $body"
  check "loopback: a port the service did not bind is refused (connection-refused)" \
    [ "$body" = "connect error 14" ]
  detail=$(cat "$work/lista.log")
  check "loopback: binding a non-loopback address is access-denied" \
    grep -q "bind 10.1.2.3:8080 -> error 1$" "$work/lista.log"
  if start listb "$work/listb.yaml"; then
    addr_b=$addr pid_b=$pid
    until_log "$work/listb.log" "listening on 8080" >/dev/null
    ba=$(get "http://$addr_a/") bb=$(get "http://$addr_b/")
    detail="A: $ba, B: $bb; $(cat "$work/listb.log")"
    check "two workloads (two processes) bind the same port 8080, each reaches its own" \
      bash -c "[ '$ba' = 'hello from A' ] && [ '$bb' = 'hello from B' ]"
    stop "$pid_b"
  else
    fail "loopback: second stratus dev starts" "$(cat "$work/listb.log")"
  fi
  # reload: the new version's service binds 8080 while the old one runs
  cp "$fix/svc_listen_b.component.wasm" "$work/listen.wasm.new" && mv -f "$work/listen.wasm.new" "$work/listen.wasm"
  until_body "http://$addr_a/" "hello from B"; ok=$?
  detail=$(cat "$work/lista.log")
  check "reload: the new service binds the same port in the same process; responses switch" [ $ok = 0 ]
  # The old service stops after the new one answers; under the sanitizers
  # its STOPPED line can come after the responses switched, so wait for it.
  until_log "$work/lista.log" "lista#1: service STOPPED" >/dev/null
  detail=$(cat "$work/lista.log")
  check "reload: the old service is stopped after the new one started" \
    bash -c "grep -n 'lista#2: service RUNNING' '$work/lista.log' | head -1 | cut -d: -f1 > '$work/n2'; \
             grep -n 'lista#1: service STOPPED' '$work/lista.log' | head -1 | cut -d: -f1 > '$work/n1'; \
             [ -s '$work/n1' ] && [ -s '$work/n2' ] && [ \$(cat '$work/n2') -lt \$(cat '$work/n1') ]"
  stop "$pid_a"; rc=$?
  detail="exit $rc: $(tail -5 "$work/lista.log")"
  check "loopback: SIGTERM stops the service blocked in accept (exit 0)" [ $rc = 0 ]
else
  fail "loopback: stratus dev starts" "$(cat "$work/lista.log")"
fi

# ---- restart policy ----
manifest "$work/fail.yaml" fail "$fix/svc_fail.component.wasm" "$fix/svc_ticker.component.wasm" 3
if start fail "$work/fail.yaml"; then
  until_log "$work/fail.log" "service FAILED" 20; ok=$?
  detail=$(cat "$work/fail.log")
  check "restart: run returning err is FAILED after maxRestarts (3) restarts" \
    bash -c "[ $ok = 0 ] && grep -q 'service FAILED after 3 restarts' '$work/fail.log'"
  # the guest's lines reach the log through their own forwarder, which may
  # trail the host's FAILED line a little
  for _ in $(seq 1 50); do
    [ "$(grep -o '\[service\] service failing' "$work/fail.log" | wc -l)" -ge 4 ] && break
    sleep 0.1
  done
  detail=$(cat "$work/fail.log")
  check "restart: backoff doubles (100, 200, 400 ms)" \
    bash -c "grep -q 'RESTARTING in 100 ms (restart 1 of 3)' '$work/fail.log' &&
             grep -q 'RESTARTING in 200 ms (restart 2 of 3)' '$work/fail.log' &&
             grep -q 'RESTARTING in 400 ms (restart 3 of 3)' '$work/fail.log' &&
             [ \$(grep -o '\[service\] service failing' '$work/fail.log' | wc -l) = 4 ]"
  stop "$pid"
else
  fail "restart: stratus dev starts" "$(cat "$work/fail.log")"
fi
manifest "$work/ok.yaml" ok "$fix/svc_ok.component.wasm" "$fix/svc_ticker.component.wasm" 3
if start ok "$work/ok.yaml"; then
  until_log "$work/ok.log" "service COMPLETED" 20; ok=$?
  sleep 0.3
  detail=$(cat "$work/ok.log")
  check "restart: run returning ok is COMPLETED and not run again" \
    bash -c "[ $ok = 0 ] && [ \$(grep -c 'service RUNNING' '$work/ok.log') = 1 ]"
  stop "$pid"
else
  fail "restart: stratus dev starts" "$(cat "$work/ok.log")"
fi

# ---- examples/service-cron (built with a 100 ms period) ----
if INTERVAL_MS=100 "$root/examples/service-cron/build.sh" >"$work/example.log" 2>&1 &&
   start example "$root/examples/service-cron/workload.yaml"; then
  until_log "$work/example.log" "\[job\] job run 3$" 20; ok=$?
  detail=$(cat "$work/example.log")
  check "examples/service-cron: the service runs the job on schedule" [ $ok = 0 ]
  stop "$pid"
else
  fail "examples/service-cron builds and starts" "$(cat "$work/example.log")"
fi
"$root/examples/service-cron/build.sh" >/dev/null 2>&1 # back to the 1 s default

finish service
