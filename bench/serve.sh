#!/usr/bin/env bash
# HTTP serving benchmark: `stratus serve` against `jco serve` on the same
# components, in one run, with wrk on loopback. Not part of the tests.
#
#   bench/serve.sh [-d SECONDS] [-c CONNECTIONS] [NAME...]
#
# Components (built by tests/fixtures/build.sh): c-hello (a wasi:http
# component written in C), js-fetch-event and js-handler (componentize-js,
# both styles). Two pairings: a fresh instance per request (stratus serve
# vs jco serve --isolate-requests instance) and one instance kept (stratus
# serve --reuse vs jco serve's default; a fetch-event component fails
# from its second request on in a reused instance, under both servers, so
# that pair is skipped for it).
#
# Per component and server it prints requests per second, latency p50 and
# p99, the resident memory of the server under load, and the memory per
# in-flight request (RSS under load minus idle RSS, over the connections);
# then the ratio of Stratus's requests per second to jco's.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
dur=10
conns=50
while [ $# -gt 0 ]; do
  case $1 in
    -d) dur=$2; shift 2 ;;
    -c) conns=$2; shift 2 ;;
    *) break ;;
  esac
done
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(c-hello js-fetch-event js-handler)

make -j2 >/dev/null || exit 1
tests/fixtures/build.sh >/dev/null || exit 1
command -v wrk >/dev/null || { echo "bench/serve.sh: wrk is required (scripts/setup.sh installs it)"; exit 1; }
fix=build/fixtures
jco=node_modules/.bin/jco
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

component() {
  case $1 in
    c-hello) echo "$fix/http_hello.component.wasm" ;;
    js-fetch-event) echo "$fix/js_http_fetch_event.component.wasm" ;;
    js-handler) echo "$fix/js_http_handler.component.wasm" ;;
  esac
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_up PORT PID: until the server answers (60 s at most)
wait_up() {
  for _ in $(seq 1 600); do
    curl -s -m 2 -o /dev/null "http://127.0.0.1:$1/" && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# the RSS of a process and its children (jco serve runs node workers)
tree_rss_kb() {
  local total=0 p
  for p in $1 $(pgrep -P "$1" 2>/dev/null); do total=$((total + $(rss_kb "$p"))); done
  echo $total
}

# measure NAME SERVER CMD...: runs the server (PORT in CMD replaced by a
# free port), loads it, prints one row; sets $rps.
measure() {
  local name=$1 server=$2; shift 2
  local port; port=$(free_port)
  local args=("${@//PORT/$port}")
  "${args[@]}" >"$work/$server.out" 2>&1 &
  local pid=$!
  rps=0
  if ! wait_up "$port" "$pid"; then
    printf "%-16s %-14s %s\n" "$name" "$server" "did not start (see below)"; tail -5 "$work/$server.out"
    kill $pid 2>/dev/null; wait $pid 2>/dev/null
    return
  fi
  wrk -t2 -c"$conns" -d2s "http://127.0.0.1:$port/" >/dev/null 2>&1 # warm up
  local idle; idle=$(tree_rss_kb $pid)
  wrk -t2 -c"$conns" -d"$dur"s --latency "http://127.0.0.1:$port/" >"$work/wrk.out" 2>&1 &
  local wpid=$!
  sleep $((dur / 2))
  local busy; busy=$(tree_rss_kb $pid)
  wait $wpid
  rps=$(awk '/^Requests\/sec/ {printf "%d", $2}' "$work/wrk.out")
  local p50 p99 errs
  p50=$(awk '$1=="50%" {print $2}' "$work/wrk.out")
  p99=$(awk '$1=="99%" {print $2}' "$work/wrk.out")
  errs=$(grep -E "Non-2xx|Socket errors" "$work/wrk.out" | tr -s ' ' | tr '\n' ' ')
  local per=$(( (busy - idle) / conns ))
  [ $per -lt 0 ] && per=0
  printf "%-16s %-14s %10s %10s %10s %10s %12s  %s\n" "$name" "$server" "$rps" "$p50" "$p99" \
    "$((busy / 1024))M" "${per}K" "$errs"
  kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null
}

ratio() { awk -v s="$1" -v j="$2" 'BEGIN {if (j > 0) printf "%.2fx", s/j; else print "n/a"}'; }

echo "wrk -t2 -c$conns -d${dur}s on loopback, $(nproc) cores"
printf "%-16s %-14s %10s %10s %10s %10s %12s\n" component server req/s p50 p99 rss mem/request
summary=()
for n in "${names[@]}"; do
  comp=$(component "$n")
  [ -f "$comp" ] || { echo "$n: $comp missing"; continue; }
  # A fresh instance per request: Stratus's default, jco's
  # --isolate-requests instance.
  measure "$n" stratus build/stratus serve --quiet --addr 127.0.0.1:PORT "$comp"
  s=$rps
  measure "$n" jco-isolated "$jco" serve --port PORT "$comp" --isolate-requests instance
  j=$rps
  summary+=("$n, fresh instance per request: stratus/jco = $(ratio "$s" "$j")")
  # One instance kept across requests: stratus --reuse, jco's default
  # (which fails a fetch-event component from its second request on).
  # (a fetch-event component cannot be reused: StarlingMonkey answers a
  # second fetch event of one instance with an error, so no such pair)
  if [ "$n" != js-fetch-event ]; then
    measure "$n" stratus-reuse build/stratus serve --reuse --quiet --addr 127.0.0.1:PORT "$comp"
    s=$rps
    measure "$n" jco "$jco" serve --port PORT "$comp"
    j=$rps
    summary+=("$n, instance reused: stratus --reuse/jco = $(ratio "$s" "$j")")
  fi
done
echo
printf '%s\n' "${summary[@]}"
