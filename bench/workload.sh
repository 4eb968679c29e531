#!/usr/bin/env bash
# Workload benchmarks (`stratus dev`), with wrk and curl on loopback. Not
# part of the tests.
#
#   bench/workload.sh [-d SECONDS] [-c CONNECTIONS] [-n OPS] [routing] [keyvalue]
#
# routing: the C hello component (build/fixtures/http_hello.component.wasm)
#   behind `stratus serve`, and behind one `stratus dev` running two
#   workloads: it (wasi:http config.host hello.bench) and
#   examples/http-hello-c built with another GREETING (other.bench);
#   wrk -t2 -cCONNECTIONS -dSECONDS (default 50, 10) with Host:
#   hello.bench, then Host: other.bench, the same number of workers;
#   prints req/s, p50 and p99 of each and the ratio dev/serve: what
#   routing by Host among workloads, the workload's reference counting
#   and its plugin bindings cost per request.
# keyvalue: build/fixtures/kv_bench.component.wasm (tests/fixtures/compose/
#   kv_bench.c) through `stratus dev` with the memory backend and the
#   directory one (--data-dir): requests each performing OPS (default
#   10000) operations of one kind (atomics.increment, bucket.set,
#   bucket.get) in one instance, one request at a time, timed by curl:
#   operations per second = OPS x requests / their total time (best of 3
#   requests); then increments under wrk (-t2 -cCONNECTIONS, 100 per
#   request).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
dur=10
conns=50
ops=10000
while [ $# -gt 0 ]; do
  case $1 in
    -d) dur=$2; shift 2 ;;
    -c) conns=$2; shift 2 ;;
    -n) ops=$2; shift 2 ;;
    *) break ;;
  esac
done
parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(routing keyvalue)

make -j2 >/dev/null || exit 1
tests/fixtures/build.sh >/dev/null || exit 1
command -v wrk >/dev/null || { echo "bench/workload.sh: wrk is required (scripts/setup.sh installs it)"; exit 1; }
fix=$root/build/fixtures
workers=$(nproc)
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# up CMD...: runs a server (port 0) in the background until it prints its
# address; sets $pid and $addr
up() {
  : >"$work/server.log" # before the server's own redirection: no stale address
  "$@" >"$work/server.out" 2>"$work/server.log" &
  pid=$!
  addr=
  for _ in $(seq 1 600); do
    addr=$(sed -n 's|.* on http://\([^/]*\)/.*|\1|p' "$work/server.log" | head -1)
    [ -n "$addr" ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "server did not start: $*"; tail -5 "$work/server.log"
  return 1
}
down() { kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=; }

# load NAME URL [wrk args]: wrk on URL; prints a row, sets $rps
load() {
  local name=$1 url=$2; shift 2
  wrk -t2 -c"$conns" -d2s "$@" "$url" >/dev/null 2>&1 # warm up
  wrk -t2 -c"$conns" -d"$dur"s --latency "$@" "$url" >"$work/wrk.out" 2>&1
  rps=$(awk '/^Requests\/sec/ {printf "%d", $2}' "$work/wrk.out")
  local p50 p99 errs
  p50=$(awk '$1=="50%" {print $2}' "$work/wrk.out")
  p99=$(awk '$1=="99%" {print $2}' "$work/wrk.out")
  errs=$(grep -E "Non-2xx|Socket errors" "$work/wrk.out" | tr -s ' ' | tr '\n' ' ')
  printf "%-34s %10s %10s %10s  %s\n" "$name" "${rps:-0}" "$p50" "$p99" "$errs"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2fx", a/b; else print "n/a"}'; }

# hello_manifest FILE NAME IMAGE HOST: a Workload serving HTTP for HOST
hello_manifest() {
  cat >"$1" <<EOM
apiVersion: runtime.wasmcloud.dev/v1alpha1
kind: Workload
metadata:
  name: $2
spec:
  components:
    - name: $2
      image: $3
  hostInterfaces:
    - namespace: wasi
      package: http
      interfaces: [incoming-handler]
      config:
        host: $4
EOM
}

routing() {
  local comp=$fix/http_hello.component.wasm
  GREETING="hello from the other workload" examples/http-hello-c/build.sh "$work/other.wasm" \
    >"$work/other.log" 2>&1 || { echo "examples/http-hello-c/build.sh failed"; tail -5 "$work/other.log"; return; }
  hello_manifest "$work/hello.yaml" hello "$comp" hello.bench
  hello_manifest "$work/other.yaml" other "$work/other.wasm" other.bench
  echo "== routing: wrk -t2 -c$conns -d${dur}s, $workers workers, $(nproc) cores"
  printf "%-34s %10s %10s %10s\n" server req/s p50 p99
  up build/stratus serve --quiet --workers "$workers" --addr 127.0.0.1:0 "$comp" || return
  load "stratus serve" "http://$addr/"
  local s=$rps
  down
  up build/stratus dev --quiet --workers "$workers" --address 127.0.0.1:0 \
    "$work/hello.yaml" "$work/other.yaml" || return
  if [ "$(curl -s -m 10 -H 'Host: hello.bench' "http://$addr/")" != "hello from stratus" ] ||
    ! curl -s -m 10 -H 'Host: other.bench' "http://$addr/" | grep -q "the other workload"; then
    echo "stratus dev does not route Host: hello.bench and other.bench to their workloads"; down; return
  fi
  load "stratus dev, 2 workloads (hello)" "http://$addr/" -H "Host: hello.bench"
  local d=$rps
  load "stratus dev, 2 workloads (other)" "http://$addr/" -H "Host: other.bench"
  down
  echo "dev (two workloads, Host: hello.bench) / serve req/s: $(ratio "$d" "$s")"
}

# kv_ops LABEL URL: best of 3 requests, ops/s
kv_ops() {
  local best=0 t body
  for _ in 1 2 3; do
    body=$(curl -s -m 300 -o "$work/kv.body" -w '%{http_code} %{time_total}' "$2")
    t=${body#* }
    if [ "${body%% *}" != 200 ]; then
      printf "%-34s %s\n" "$1" "failed: $body $(cat "$work/kv.body")"; return
    fi
    best=$(awk -v b="$best" -v n="$ops" -v t="$t" 'BEGIN {r = t > 0 ? n / t : 0; printf "%d", (r > b) ? r : b}')
  done
  printf "%-34s %12s\n" "$1" "$best"
}

keyvalue() {
  cat >"$work/kv.yaml" <<EOM
apiVersion: runtime.wasmcloud.dev/v1alpha1
kind: Workload
metadata:
  name: kv
spec:
  components:
    - name: kv
      image: $fix/kv_bench.component.wasm
  hostInterfaces:
    - namespace: wasi
      package: http
      interfaces: [incoming-handler]
    - namespace: wasi
      package: keyvalue
      version: 0.2.0-draft
      interfaces: [store, atomics]
EOM
  echo "== keyvalue: $ops operations per request, one request at a time (best of 3)"
  printf "%-34s %12s\n" "backend, operation" "ops/s"
  local backend
  for backend in memory directory; do
    local args=()
    [ $backend = directory ] && rm -rf "$work/data" && args=(--data-dir "$work/data")
    up build/stratus dev --quiet --workers "$workers" "${args[@]}" --address 127.0.0.1:0 \
      "$work/kv.yaml" || continue
    local op
    for op in inc set get; do kv_ops "$backend, $op" "http://$addr/?op=$op&n=$ops"; done
    load "" "http://$addr/?op=inc&n=100" >"$work/row"
    printf "%-34s %12s  (%s req/s, p99 %s)\n" "$backend, inc, wrk -c$conns" "$((${rps:-0} * 100))" \
      "${rps:-0}" "$(awk '$1=="99%" {print $2}' "$work/wrk.out")"
    down
  done
}

for p in "${parts[@]}"; do
  case $p in
    routing) routing ;;
    keyvalue) keyvalue ;;
    *) echo "bench/workload.sh: unknown part $p (routing, keyvalue)"; exit 2 ;;
  esac
  echo
done
