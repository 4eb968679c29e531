#!/usr/bin/env bash
# The cluster end to end (issue 8): nats-server -js (tests/cluster/nats.sh),
# docker-registry (tests/cluster/registry.sh), two `stratus host`s, and
# `stratus ctl` playing the scheduler:
#   1. a component pushed with `stratus oci push` and started with
#      `stratus ctl start` (spec.hostSelector) serves HTTP on its host's
#      --http-addr by Host header; another Host gets 400;
#   2. keyvalue and blobstore round trips through JetStream: written on one
#      host, read on the other, and read back with npm `nats`
#      (tests/cluster/cluster_js.mjs);
#   3. two replicas (a WorkloadReplicaSet) on two hosts of a messaging
#      handler: 20 messages published are handled 20 times, not 40;
#   4. ctl hosts lists both hosts with their labels; ctl status / stop
#      round trip; unknown ids, missing images -> NOT_FOUND / ERROR, exit 1.
# Prints the start latency (ctl start of a cached image to RUNNING) and
# each host's idle RSS.
#
#   tests/cluster/run_cluster.sh [STRATUS]     (default build/stratus)
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(realpath "${1:-$root/build/stratus}")
fix=${FIXTURES_OUT:-$root/build/fixtures}
work=$(mktemp -d)
server=("$bin" host --allow-local-images --heartbeat-interval 1s --workers 2 --timeout 10s)
. "$root/tests/lib.sh"
. "$here/nats.sh"
. "$here/registry.sh"

js() { node "$here/cluster_js.mjs" "$nats_url" "$@"; }
# ctl ARGS...: stratus ctl on this cluster; a sanitizer build's reports go
# to $work/san-ctl.PID (its stderr is the tests' to read)
ctl() {
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$work/san-ctl \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$work/san-ctl \
    "$bin" ctl --nats-url "$nats_url" --state "$work/ctl.json" "$@"
}
now_ms() { date +%s%3N; }
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status"; }
# hget ADDR HOST PATH: the body of GET PATH with that Host header
hget() { get -H "Host: $2" "http://$1$3"; }
# until_eq SECONDS EXPECTED CMD...: waits until CMD prints EXPECTED
until_eq() {
  local s=$1 want=$2
  shift 2
  for _ in $(seq 1 $((s * 10))); do
    [ "$("$@" 2>/dev/null)" = "$want" ] && return 0
    sleep 0.1
  done
  return 1
}

ok=1
{ FIXTURES_OUT=$fix "$root/tests/fixtures/build.sh" &&
  FIXTURES_OUT=$fix "$root/tests/fixtures/build_cluster.sh"; } >"$work/fixtures.log" 2>&1 || ok=0
detail=$(tail -20 "$work/fixtures.log")
check "fixtures build (tests/fixtures/build.sh, build_cluster.sh)" test $ok -eq 1

nats_start "$work/nats" || { fail "nats-server starts"; finish cluster; }
registry_start "$work/registry" || { fail "docker-registry starts"; finish cluster; }
reg=$registry_addr

# ---- two hosts ----
# start_host NAME ZONE: a host labelled zone=ZONE role=web; sets
# $addr, $pid and $hid
start_host() {
  start "$1" --scheduler-nats-url "$nats_url" --data-nats-url "$nats_url" \
    --http-addr 127.0.0.1:0 --oci-cache-dir "$work/cache-$1" --allow-insecure-registries \
    --label zone="$2" --label role=web || return 1
  hid=$(sed -n 's/^stratus host: id \([0-9a-f-]*\) .*/\1/p' "$work/$1.log" | head -1)
  [ -n "$hid" ]
}
if ! start_host h1 a; then fail "stratus host h1 starts" "$(cat "$work/h1.log")"; finish cluster; fi
addr1=$addr pid1=$pid hid1=$hid
if ! start_host h2 b; then fail "stratus host h2 starts" "$(cat "$work/h2.log")"; finish cluster; fi
addr2=$addr pid2=$pid hid2=$hid

# ---- 4a. ctl hosts ----
ctl hosts --wait 10s --expect 2 >"$work/hosts.txt" 2>"$work/hosts.err"
detail="$(cat "$work/hosts.txt" "$work/hosts.err")"
check "ctl hosts lists both hosts with their labels" \
  eval "grep -q '^$hid1 .*zone=a' '$work/hosts.txt' && grep -q '^$hid2 .*zone=b' '$work/hosts.txt' &&
        grep -q 'role=web' '$work/hosts.txt' && [ \$(grep -c 'hostgroup=default' '$work/hosts.txt') -eq 2 ]"
ctl hosts --wait 10s --expect 2 -o json >"$work/hosts.json" 2>&1
detail=$(cat "$work/hosts.json")
check "ctl hosts -o json: the heartbeats (id, labels, httpPort)" \
  node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));
    const h=j.find(x=>x.id===process.argv[2]);
    process.exit(j.length===2 && h && h.labels.zone==="a" && String(h.httpPort)===process.argv[3].split(":")[1] ? 0 : 1)' \
  "$work/hosts.json" "$hid1" "$addr1"
sleep 1.5 # the hosts settle (first heartbeats, JIT of nothing): idle
idle1=$(rss_kb $pid1) idle2=$(rss_kb $pid2)

# ---- 1. OCI push, ctl start, HTTP by Host ----
detail=$("$bin" oci push "$reg/test/hello:v1" "$fix/http_hello.component.wasm" --insecure 2>&1)
check "stratus oci push $reg/test/hello:v1" test $? -eq 0
cat >"$work/hello.yaml" <<EOF
apiVersion: runtime.wasmcloud.dev/v1alpha1
kind: Workload
metadata:
  name: hello
spec:
  hostSelector:
    zone: a
  components:
    - name: web
      image: $reg/test/hello:v1
  hostInterfaces:
    - namespace: wasi
      package: http
      interfaces: [incoming-handler]
      config:
        host: hello.test
EOF
ctl start --wait 10s "$work/hello.yaml" >"$work/start1.out" 2>&1
rc=$?
detail="$(cat "$work/start1.out"; tail -5 "$work/h1.log")"
check "ctl start (OCI image, hostSelector zone=a): RUNNING on h1, exit 0" \
  eval "[ $rc -eq 0 ] && grep -qE '^[0-9a-f-]{36} $hid1 RUNNING ' '$work/start1.out'"
hello_id=$(awk '{print $1; exit}' "$work/start1.out")
detail=$(hget "$addr1" hello.test /)
check "curl -H 'Host: hello.test' h1/ answers" grep -q "hello from stratus" <<<"$detail"
detail=
check "another Host -> 400" test "$(code -H 'Host: nope.test' "http://$addr1/")" = 400
check "the workload is not on h2 (400 there)" test "$(code -H 'Host: hello.test' "http://$addr2/")" = 400

# start latency: the image is in h1's cache now; ctl start --host (no
# listening to heartbeats) to RUNNING, five times
lat=()
for i in 1 2 3 4 5; do
  sed "s/hello.test/lat$i.test/; s/name: hello/name: lat$i/" "$work/hello.yaml" >"$work/lat$i.yaml"
  t0=$(now_ms)
  ctl start --host "$hid1" --id "lat-$i" "$work/lat$i.yaml" >"$work/lat$i.out" 2>&1
  rc=$?
  t1=$(now_ms)
  grep -q " RUNNING " "$work/lat$i.out" && [ $rc -eq 0 ] && lat+=($((t1 - t0)))
  ctl stop "lat-$i" >/dev/null 2>&1
done
detail=$(cat "$work"/lat*.out)
check "5 starts of a cached image reach RUNNING" test ${#lat[@]} -eq 5
sorted=$(printf '%s\n' "${lat[@]}" | sort -n | tr '\n' ' ')
host_ms=$(sed -n 's/.*workload lat-[0-9] .* started in \([0-9]*\) ms.*/\1/p' "$work/h1.log" | tr '\n' ' ')
echo "     start latency (ctl start of a cached image to RUNNING): ${sorted}ms (median $(printf '%s\n' "${lat[@]}" | sort -n | sed -n 3p) ms; the host's own part: ${host_ms}ms)"

# ---- 2 + 3. a replicated keyvalue / blobstore / messaging workload ----
detail=$("$bin" oci push "$reg/test/app:v1" "$fix/cluster_app.component.wasm" --insecure 2>&1)
check "stratus oci push $reg/test/app:v1" test $? -eq 0
cat >"$work/app.yaml" <<EOF
apiVersion: runtime.wasmcloud.dev/v1alpha1
kind: WorkloadReplicaSet
metadata:
  name: app
spec:
  replicas: 2
  template:
    spec:
      hostSelector:
        role: web
      components:
        - name: app
          image: $reg/test/app:v1
      hostInterfaces:
        - namespace: wasi
          package: http
          interfaces: [incoming-handler]
          config:
            host: app.test
        - namespace: wasi
          package: keyvalue
          version: 0.2.0-draft
          interfaces: [store, atomics]
        - namespace: wasi
          package: blobstore
          version: 0.2.0-draft
          interfaces: [blobstore, container, types]
        - namespace: wasmcloud
          package: messaging
          version: 0.2.0
          interfaces: [handler]
          config:
            subscriptions: work.>
EOF
ctl start --wait 10s "$work/app.yaml" >"$work/app.out" 2>&1
rc=$?
detail="$(cat "$work/app.out"; tail -n 5 "$work/h1.log" "$work/h2.log")"
check "ctl start (WorkloadReplicaSet, 2 replicas): RUNNING on both hosts, distinct ids" \
  eval "[ $rc -eq 0 ] && [ \$(grep -c ' RUNNING ' '$work/app.out') -eq 2 ] &&
        grep -q ' $hid1 RUNNING' '$work/app.out' && grep -q ' $hid2 RUNNING' '$work/app.out' &&
        [ \$(awk '{print \$1}' '$work/app.out' | sort -u | wc -l) -eq 2 ]"
app_ids=$(awk '{print $1}' "$work/app.out")

detail=$(hget "$addr1" app.test "/kv/set?b=e2e&k=greeting&v=hello-jetstream")
check "keyvalue set through h1" grep -qx ok <<<"$detail"
detail=$(hget "$addr2" app.test "/kv/get?b=e2e&k=greeting")
check "keyvalue get through h2 sees it" test "$detail" = hello-jetstream
detail=$(js kv e2e greeting 2>&1)
check "npm nats reads it from JetStream KV bucket e2e" test "$detail" = hello-jetstream
hget "$addr1" app.test "/kv/inc?b=e2e&k=hits&n=5" >/dev/null
detail=$(hget "$addr2" app.test "/kv/inc?b=e2e&k=hits&n=2")
check "keyvalue increment on both hosts: 5 + 2 = 7" test "$detail" = 7
detail=$(js counter e2e hits 2>&1)
check "npm nats reads the counter (8 bytes big-endian): 7" test "$detail" = 7
detail=$(hget "$addr2" app.test "/blob/put?c=e2eblobs&k=report.txt&v=blob-through-jetstream")
check "blobstore put through h2" grep -qx ok <<<"$detail"
detail=$(hget "$addr1" app.test "/blob/get?c=e2eblobs&k=report.txt")
check "blobstore get through h1 sees it" test "$detail" = blob-through-jetstream
detail=$(js obj e2eblobs report.txt 2>&1)
check "npm nats reads the object from object store e2eblobs" test "$detail" = blob-through-jetstream

msgs=${CLUSTER_MSGS:-20}
detail=$(js pub work.jobs $msgs 2>&1)
check "$msgs messages published on work.jobs (npm nats)" test $? -eq 0
until_eq 15 $msgs js counter cluster handled
sleep 1.5 # a second delivery, if any, has landed by now
detail="handled: $(js counter cluster handled 2>&1); $(grep -ih "messag\\|handle" "$work/h1.log" "$work/h2.log" | head -8)"
check "2 replicas on 2 hosts: the $msgs messages are handled exactly $msgs times" \
  test "$(js counter cluster handled 2>/dev/null)" = $msgs

# ---- 4b. status / stop ----
detail=$(ctl status "$hello_id" 2>&1)
check "ctl status (from the state file): RUNNING, exit 0" \
  eval "[ $? -eq 0 ] && grep -q '^$hello_id $hid1 RUNNING' <<<\"\$detail\""
detail=$(ctl stop "$hello_id" 2>&1)
check "ctl stop: STOPPING, exit 0" eval "[ $? -eq 0 ] && grep -q '^$hello_id $hid1 STOPPING' <<<\"\$detail\""
detail=$(ctl status --host "$hid1" "$hello_id" 2>&1)
check "ctl status after stop: NOT_FOUND, exit 1" eval "[ $? -eq 1 ] && grep -q ' NOT_FOUND' <<<\"\$detail\""
check "the stopped workload's Host now gets 400" test "$(code -H 'Host: hello.test' "http://$addr1/")" = 400
detail=$(ctl status --wait 3s --expect 2 no-such-workload 2>&1)
check "ctl status of an unknown id (asking every host): NOT_FOUND, exit 1" \
  eval "[ $? -eq 1 ] && grep -q 'NOT_FOUND' <<<\"\$detail\""
sed "s|$reg/test/hello:v1|$reg/test/missing:v9|; s/hello.test/missing.test/" "$work/hello.yaml" >"$work/missing.yaml"
detail=$(ctl start --wait 10s "$work/missing.yaml" 2>&1)
check "ctl start of a missing image: ERROR naming it, exit 1" \
  eval "[ $? -eq 1 ] && grep -q ' ERROR .*missing' <<<\"\$detail\""
detail=$(ctl start --wait 1s --selector zone=nowhere "$work/app.yaml" 2>&1)
check "ctl start with a selector no host matches: an error, exit 1" \
  eval "[ $? -eq 1 ] && grep -q 'no host matches' <<<\"\$detail\""
detail=$(ctl start --host 00000000-0000-4000-8000-000000000000 --timeout 5s "$work/hello.yaml" 2>&1)
check "ctl start --host of no such host: ERROR saying so, exit 1" \
  eval "[ $? -eq 1 ] && grep -q ' ERROR .*no such host' <<<\"\$detail\""
busy1=$(rss_kb $pid1) busy2=$(rss_kb $pid2)
for id in $app_ids; do
  detail=$(ctl stop "$id" 2>&1)
  check "ctl stop replica $id" eval "[ $? -eq 0 ] && grep -q STOPPING <<<\"\$detail\""
done
check "the state file forgot every stopped workload" \
  node -e 'process.exit(Object.keys(require(process.argv[1]).workloads).length===0?0:1)' "$work/ctl.json"

echo "     idle RSS: h1 ${idle1} KiB, h2 ${idle2} KiB (no workload); with workloads: h1 ${busy1} KiB, h2 ${busy2} KiB"

stop $pid1
check "h1 stops cleanly on SIGTERM" test $? -eq 0
stop $pid2
check "h2 stops cleanly on SIGTERM" test $? -eq 0
no_sanitizer_reports
detail=$(cat "$work"/san-ctl.* 2>/dev/null | head -30)
check "no sanitizer report from any stratus ctl run" test -z "$detail"
registry_stop
nats_stop
finish cluster
