#!/usr/bin/env bash
# End-to-end tests of `stratus host` (the cluster host) against a real
# nats-server (tests/cluster/nats.sh) and a raw NATS client
# (tests/cluster/nats_req.mjs, npm `nats`) playing the scheduler:
#   - the first heartbeat arrives at once with every field; heartbeat
#     request/reply;
#   - workload.start (a WorkloadStartRequest written by hand, local file
#     images) -> RUNNING, HTTP by Host header on --http-addr, status
#     RUNNING, stop -> STOPPING, then NOT_FOUND;
#   - garbage on every subject gets a reply (ERROR), unknown commands and
#     ids too; missing images fail naming them; a service-only workload
#     that exits 0 is COMPLETED; a stop during a start;
#   - with registry.sh present: an OCI image pushed with `stratus oci push`;
#   - resilience: nats-server SIGKILLed and restarted under HTTP load: all
#     requests succeed, a heartbeat comes again, the workload is RUNNING;
#   - SIGTERM drains (a slow response in flight finishes), exit 0.
# Prints the start latency (cached image to RUNNING) and idle RSS.
#
#   tests/cluster/run_host.sh [STRATUS]     (default build/stratus)
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(realpath "${1:-$root/build/stratus}")
fix=${FIXTURES_OUT:-$root/build/fixtures}
work=$(mktemp -d)
server=("$bin" host --allow-local-images --heartbeat-interval 1s --workers 2 --timeout 10s)
. "$root/tests/lib.sh"
. "$here/nats.sh"
have_registry=
if [ -f "$here/registry.sh" ]; then . "$here/registry.sh"; have_registry=1; fi

req() { node "$here/nats_req.mjs" "$nats_url" "$@"; }
# json FILE EXPR: evaluates a JS expression over the parsed JSON `j`
jq_() { node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); const r=eval(process.argv[2]); if (r===false||r===undefined||r===null) process.exit(1); if (r!==true) console.log(r)' "$@"; }
now_ms() { date +%s%3N; }

if ! FIXTURES_OUT=$fix "$root/tests/fixtures/build.sh" >"$work/fixtures.log" 2>&1; then
  fail "fixtures build (tests/fixtures/build.sh)" "$(tail -20 "$work/fixtures.log")"
fi

# start_req ID NAME IMAGE [HOST]: a WorkloadStartRequest with one component
# (an HTTP handler for HOST when given)
start_req() {
  local hi=''
  [ -n "${4:-}" ] && hi=',"hostInterfaces":[{"namespace":"wasi","package":"http","interfaces":["incoming-handler"],"config":{"host":"'$4'"}}]'
  printf '{"workloadId":"%s","workload":{"namespace":"default","name":"%s","witWorld":{"components":[{"name":"web","image":"%s"}]%s}}}' "$1" "$2" "$3" "$hi"
}
state_of() { sed -n 's/.*"workloadState":"WORKLOAD_STATE_\([A-Z_]*\)".*/\1/p' <<<"$1"; }
# status ID: the state name of a workload.status reply
status() { state_of "$(req "runtime.host.$hid.workload.status" "{\"workloadId\":\"$1\"}")"; }

mkdir -p "$work/nats"
nats_start "$work/nats" || { fail "nats-server starts"; finish host; }
oci_ref=
if [ -n "$have_registry" ] && registry_start "$work/registry" 2>"$work/registry.log"; then
  if "$bin" oci push --insecure "$registry_addr/test/hello:v1" "$fix/http_hello.component.wasm" \
      >"$work/push.log" 2>&1; then
    oci_ref=$registry_addr/test/hello:v1
  else
    fail "stratus oci push to the test registry" "$(cat "$work/push.log")"
  fi
else
  echo "skip: OCI image tests (no tests/cluster/registry.sh, or the registry did not start)"
fi

# ---- start: the first heartbeat ----
req --sub 'runtime.operator.heartbeat.*' --count 1 --wait 15000 >"$work/hb1.json" 2>"$work/hb1.err" &
sub_pid=$!
pids+=("$sub_pid")
until_log "$work/hb1.err" subscribed 10 >/dev/null
t0=$(now_ms)
if ! start host --scheduler-nats-url "$nats_url" --data-nats-url "$nats_url" \
    --http-addr 127.0.0.1:0 --host-group g1 --label zone=test --label tier=web \
    --allow-insecure-registries --oci-cache-dir "$work/oci-cache" --registry-pull-timeout 10s; then
  fail "stratus host starts" "$(cat "$work/host.log")"
  finish host
fi
host_pid=$pid
sleep 0.5
rss_idle=$(awk '/VmRSS/ {print $2}' "/proc/$host_pid/status")
hid=$(sed -n 's/^stratus host: id \([0-9a-f-]*\) .*/\1/p' "$work/host.log" | head -1)
detail=$(cat "$work/host.log")
check "the host prints its UUIDv4 id" grep -qE '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' <<<"$hid"
wait "$sub_pid"
t1=$(now_ms)
detail="$(cat "$work/hb1.err") $(cat "$work/hb1.json")"
check "the first heartbeat arrives at once (within 3 s of starting: $((t1 - t0)) ms)" \
  test -s "$work/hb1.json" -a $((t1 - t0)) -lt 3000
hb_keys='["id","hostname","friendlyName","version","labels","startedAt","osArch","osName","osKernel","systemMemoryTotal","systemMemoryFree","imports","exports","httpPort"]'
detail=$(cat "$work/hb1.json")
check "heartbeat: every field (id hostname friendlyName version labels startedAt os* memory imports exports httpPort)" \
  jq_ "$work/hb1.json" "$hb_keys.every(k => k in j) && j.id === '$hid'"
check "heartbeat: labels hostgroup=g1, zone, tier; friendly name adjective-noun-NNNN" \
  jq_ "$work/hb1.json" "j.labels.hostgroup==='g1' && j.labels.zone==='test' && j.labels.tier==='web' && /^[a-z]+-[a-z]+-[0-9]{4}\$/.test(j.friendlyName)"
check "heartbeat: httpPort is the HTTP port, memory figures are 64-bit strings, startedAt RFC 3339" \
  jq_ "$work/hb1.json" "j.httpPort === ${addr##*:} && /^[0-9]+\$/.test(j.systemMemoryTotal) && /^\\d{4}-\\d\\d-\\d\\dT/.test(j.startedAt)"
check "heartbeat: imports list the plugins' interfaces (keyvalue, blobstore, config, logging, messaging)" \
  jq_ "$work/hb1.json" "['keyvalue','blobstore','config','logging','messaging'].every(p => j.imports.some(i => i.package===p && i.interfaces.length > 0)) && j.exports.some(i => i.package==='messaging')"

req "runtime.host.$hid.heartbeat" '{}' >"$work/hb2.json" 2>&1
detail=$(cat "$work/hb2.json")
check "heartbeat request/reply: a HostHeartbeat with this id" jq_ "$work/hb2.json" "j.id === '$hid' && 'hostname' in j"
req --sub "runtime.operator.heartbeat.$hid" --count 2 --wait 5000 >"$work/hb3.json" 2>&1
check "heartbeats keep coming (2 within 5 s at --heartbeat-interval 1s)" test "$(grep -c '"id"' "$work/hb3.json")" -ge 2

# ---- a workload: start, HTTP, status, stop ----
t0=$(now_ms)
r=$(req "runtime.host.$hid.workload.start" "$(start_req w1 hello "$fix/http_hello.component.wasm" hello.test)" --timeout 30000)
t1=$(now_ms)
detail=$r
check "start: RUNNING \"Workload started successfully\" ($((t1 - t0)) ms round trip)" \
  grep -q '"workloadId":"w1","workloadState":"WORKLOAD_STATE_RUNNING","message":"Workload started successfully"' <<<"$r"
detail=$(get -H 'Host: hello.test' "http://$addr/")
check "HTTP by Host header reaches the workload" grep -q "hello from stratus" <<<"$detail"
check "HTTP: an unknown Host is 400" test "$(code -H 'Host: other.test' "http://$addr/")" = 400
check "status: RUNNING" test "$(status w1)" = RUNNING
r=$(req "runtime.host.$hid.workload.start" "$(start_req w1 hello "$fix/http_hello.component.wasm" hello.test)")
detail=$r
check "start again with the same id: its state (RUNNING), idempotent" test "$(state_of "$r")" = RUNNING
req "runtime.host.$hid.heartbeat" '{}' >"$work/hb4.json" 2>&1
detail=$(cat "$work/hb4.json")
check "heartbeat counts the workload and its component" \
  jq_ "$work/hb4.json" "j.workloadCount === '1' && j.componentCount === '1'"
r=$(req "runtime.host.$hid.workload.stop" '{"workloadId":"w1"}')
detail=$r
check "stop: STOPPING \"Workload stopped successfully\"" \
  grep -q '"workloadState":"WORKLOAD_STATE_STOPPING","message":"Workload stopped successfully"' <<<"$r"
check "status after stop: NOT_FOUND" test "$(status w1)" = NOT_FOUND
check "HTTP after stop: 400 (no route)" test "$(code -H 'Host: hello.test' "http://$addr/")" = 400

# ---- errors: garbage, unknown commands and ids, missing images ----
bad=0
: >"$work/garbage.txt"
for subj in workload.start workload.status workload.stop; do
  for p in '' '{' '[]' 'hex:00ff10fe' 'null' '"x"' '{"workloadId":5}' '{"workloadId":"x","workload":"str"}' \
      '{"workload":{}}' '{"workloadId":""}' '{"workloadId":"x","workload":{"witWorld":{"components":"no"}}}'; do
    r=$(req "runtime.host.$hid.$subj" "$p" --timeout 3000 2>&1)
    echo "$subj <$p> -> $r" >>"$work/garbage.txt"
    case "$subj:$p" in
      # well-formed (unknown fields are ignored): a status/stop of an unknown id
      workload.status:'{"workloadId":"x"'* | workload.stop:'{"workloadId":"x"'*) want=NOT_FOUND ;;
      *) want=ERROR ;;
    esac
    [ "$(state_of "$r")" = "$want" ] || bad=$((bad + 1))
  done
done
detail=$(cat "$work/garbage.txt")
check "garbage on workload.start|status|stop: each gets an ERROR reply (33 requests)" test $bad -eq 0
r=$(req "runtime.host.$hid.heartbeat" 'hex:00ff' 2>&1)
detail=$r
check "garbage on heartbeat: still the heartbeat (its body is ignored)" grep -q "\"id\":\"$hid\"" <<<"$r"
r=$(req "runtime.host.$hid.bogus" '{}' 2>&1)
detail=$r
check "an unknown command gets an ERROR reply naming it" \
  grep -q '"workloadState":"WORKLOAD_STATE_ERROR","message":"unknown command bogus"' <<<"$r"
r=$(req "runtime.host.$hid.workload.start.more" '{}' 2>&1)
detail=$r
check "a subject with extra tokens is an unknown command" test "$(state_of "$r")" = ERROR
detail=$(req "runtime.host.$hid.workload.stop" '{"workloadId":"nope"}')
check "stop of an unknown id: NOT_FOUND" test "$(state_of "$detail")" = NOT_FOUND
r=$(req "runtime.host.$hid.workload.start" "$(start_req w2 missing /nonexistent/dir/missing.wasm)" --timeout 30000)
detail=$r
check "a missing image: ERROR naming it" grep -q 'WORKLOAD_STATE_ERROR.*/nonexistent/dir/missing.wasm' <<<"$r"
detail=$(req "runtime.host.$hid.workload.status" '{"workloadId":"w2"}')
check "a failed start stays in the table: status ERROR with the message" \
  grep -q 'WORKLOAD_STATE_ERROR.*missing.wasm' <<<"$detail"
detail=$(req "runtime.host.$hid.workload.stop" '{"workloadId":"w2"}')
check "a failed start is removed by stop" test "$(state_of "$detail")" = STOPPING -a "$(status w2)" = NOT_FOUND
r=$(req "runtime.host.$hid.workload.start" "$(start_req w3 unreachable 127.0.0.1:9/none/such:1.0)" --timeout 60000)
detail=$r
check "an OCI image on an unreachable registry: ERROR naming it" grep -q 'WORKLOAD_STATE_ERROR.*none/such' <<<"$r"
req "runtime.host.$hid.workload.stop" '{"workloadId":"w3"}' >/dev/null
r=$(req "runtime.host.$hid.workload.start" "$(start_req w4 notwasm "$work/host.log")" --timeout 30000)
detail=$r
check "an image that is not a component: ERROR" test "$(state_of "$r")" = ERROR
req "runtime.host.$hid.workload.stop" '{"workloadId":"w4"}' >/dev/null
check "the host is still running after the garbage" kill -0 "$host_pid"

# ---- a service-only workload that exits 0: COMPLETED ----
svc_req='{"workloadId":"s1","workload":{"namespace":"default","name":"svc-ok","service":{"image":"'$fix/svc_ok.component.wasm'"}}}'
r=$(req "runtime.host.$hid.workload.start" "$svc_req" --timeout 30000)
detail=$r
check "service-only workload starts: RUNNING" test "$(state_of "$r")" = RUNNING
s=
for _ in $(seq 1 50); do s=$(status s1); [ "$s" = COMPLETED ] && break; sleep 0.1; done
detail="state $s; $(tail -5 "$work/host.log")"
check "service-only workload whose service exits 0: COMPLETED" test "$s" = COMPLETED
req "runtime.host.$hid.workload.stop" '{"workloadId":"s1"}' >/dev/null

# ---- a stop while the start is in progress ----
big=$fix/js_app_http.component.wasm
[ -f "$big" ] || big=$fix/http_hello.component.wasm
# one connection, the stop 30 ms after the start: in order, while the
# JS component compiles (a few hundred ms)
req "runtime.host.$hid.workload.start" "$(start_req w5 racing "$big" race.test)" --timeout 60000 \
  --also "runtime.host.$hid.workload.stop" '{"workloadId":"w5"}' --after 30 >"$work/race.txt" 2>&1
r_start=$(sed -n 1p "$work/race.txt")
r_stop=$(sed -n 2p "$work/race.txt")
detail="start: $r_start; stop: $r_stop"
ok=0
case "$(state_of "$r_stop")" in
  STOPPING) if grep -q "was starting" <<<"$r_stop"; then
              [ "$(state_of "$r_start")" = STOPPING ] && ok=1
            else
              [ "$(state_of "$r_start")" = RUNNING ] && ok=1 # the start had finished
            fi ;;
esac
[ "$(status w5)" = NOT_FOUND ] || { ok=0; detail="$detail; then $(status w5)"; }
check "stop during start: the start reply says STOPPING, then NOT_FOUND" test $ok -eq 1
echo "     (stop: $(state_of "$r_stop") $(grep -q 'was starting' <<<"$r_stop" && echo '(during the start)'); start: $(state_of "$r_start"))"

# ---- keyvalue on the data connection: JetStream KV ----
if "$root/examples/kv-counter-c/build.sh" "$work/counter.wasm" >"$work/counter-build.log" 2>&1; then
  kv_req='{"workloadId":"k1","workload":{"name":"kv-counter","witWorld":{"components":[{"name":"counter","image":"'$work/counter.wasm'"}],"hostInterfaces":[{"namespace":"wasi","package":"http","interfaces":["incoming-handler"],"config":{"host":"kv.test"}},{"namespace":"wasi","package":"keyvalue","version":"0.2.0-draft","interfaces":["store","atomics"]}]}}}'
  r=$(req "runtime.host.$hid.workload.start" "$kv_req" --timeout 30000)
  detail=$r
  check "keyvalue: the kv-counter example starts: RUNNING" test "$(state_of "$r")" = RUNNING
  b1=$(get -H 'Host: kv.test' "http://$addr/")
  b2=$(get -H 'Host: kv.test' "http://$addr/")
  detail="$b1 / $b2"
  check "keyvalue: two requests count 1 then 2" test "$b1" = "visits: 1" -a "$b2" = "visits: 2"
  detail=$(req --kv-get counters visits 2>&1)
  check "keyvalue: npm nats reads the counter from JetStream KV (8 big-endian bytes: 2)" \
    test "$detail" = 0000000000000002
  req "runtime.host.$hid.workload.stop" '{"workloadId":"k1"}' >/dev/null
else
  fail "examples/kv-counter-c/build.sh" "$(tail -5 "$work/counter-build.log")"
fi

# ---- an OCI image (registry.sh, stratus oci push) ----
if [ -n "$oci_ref" ]; then
  r=$(req "runtime.host.$hid.workload.start" "$(start_req o1 oci "$oci_ref" oci.test)" --timeout 30000)
  detail="$r; $(tail -3 "$work/host.log")"
  check "OCI: a pushed image starts (pulled): RUNNING" test "$(state_of "$r")" = RUNNING
  detail=$(get -H 'Host: oci.test' "http://$addr/")
  check "OCI: the pulled component serves HTTP by Host" grep -q "hello from stratus" <<<"$detail"
  req "runtime.host.$hid.workload.stop" '{"workloadId":"o1"}' >/dev/null
  r=$(req "runtime.host.$hid.workload.start" "$(start_req o2 oci "$oci_ref" oci.test)" --timeout 30000 --time 2>"$work/o2.time")
  oci_rt=$(sed -n 's/^time_ms //p' "$work/o2.time")
  lat_oci=$(sed -n 's/.*workload o2 (.*) started in \([0-9]*\) ms.*/\1/p' "$work/host.log" | tail -1)
  check "OCI: started again from the cache: RUNNING" test "$(state_of "$r")" = RUNNING
  req "runtime.host.$hid.workload.stop" '{"workloadId":"o2"}' >/dev/null
  r=$(req "runtime.host.$hid.workload.start" "$(start_req o3 oci "$registry_addr/test/hello:nosuchtag" oci.test)" --timeout 30000)
  detail=$r
  check "OCI: a tag the registry lacks: ERROR naming it" grep -q 'WORKLOAD_STATE_ERROR.*test/hello:nosuchtag' <<<"$r"
  req "runtime.host.$hid.workload.stop" '{"workloadId":"o3"}' >/dev/null
  never='{"workloadId":"o4","workload":{"name":"never","witWorld":{"components":[{"name":"web","image":"'$registry_addr/test/other:v1'","imagePullPolicy":"IMAGE_PULL_POLICY_NEVER"}]}}}'
  r=$(req "runtime.host.$hid.workload.start" "$never" --timeout 30000)
  detail=$r
  check "OCI: pull policy Never with an image not in the cache: ERROR" test "$(state_of "$r")" = ERROR
  req "runtime.host.$hid.workload.stop" '{"workloadId":"o4"}' >/dev/null
fi

# ---- imagePullSecret: a registry wanting basic credentials ----
if [ -n "$oci_ref" ] && registry_stop && registry_htpasswd "$work/htpasswd" puller s3cret 2>"$work/htpasswd.err" &&
    registry_start "$work/registry-auth" "$work/htpasswd" 2>>"$work/registry.log"; then
  aref=$registry_addr/private/hello:v1
  if "$bin" oci push --insecure -u puller -p s3cret "$aref" "$fix/http_hello.component.wasm" >"$work/push2.log" 2>&1; then
    sec_req() { printf '{"workloadId":"%s","workload":{"name":"private","witWorld":{"components":[{"name":"web","image":"%s","imagePullPolicy":"IMAGE_PULL_POLICY_ALWAYS","imagePullSecret":{"username":"puller","password":"%s"}}]}}}' "$1" "$aref" "$2"; }
    r=$(req "runtime.host.$hid.workload.start" "$(sec_req p1 s3cret)" --timeout 30000)
    detail=$r
    check "imagePullSecret: the right credentials pull a private image: RUNNING" test "$(state_of "$r")" = RUNNING
    req "runtime.host.$hid.workload.stop" '{"workloadId":"p1"}' >/dev/null
    r=$(req "runtime.host.$hid.workload.start" "$(sec_req p2 wrong)" --timeout 30000)
    detail=$r
    check "imagePullSecret: a wrong password: ERROR (unauthorized)" grep -qi 'WORKLOAD_STATE_ERROR.*unauthorized' <<<"$r"
    req "runtime.host.$hid.workload.stop" '{"workloadId":"p2"}' >/dev/null
  else
    fail "stratus oci push with credentials" "$(cat "$work/push2.log")"
  fi
else
  [ -n "$oci_ref" ] && echo "skip: imagePullSecret tests (no bcrypt htpasswd or the registry did not start: $(cat "$work/htpasswd.err" 2>/dev/null))"
fi

# idle again, after the workloads above came and went (JS included)
rss_churn=$(awk '/VmRSS/ {print $2}' "/proc/$host_pid/status")

# ---- resilience: nats-server SIGKILLed and restarted under HTTP load ----
r=$(req "runtime.host.$hid.workload.start" "$(start_req w6 hello "$fix/http_hello.component.wasm" hello.test)" --timeout 30000)
detail=$r
check "resilience: the workload is RUNNING" test "$(state_of "$r")" = RUNNING
rss_one=$(awk '/VmRSS/ {print $2}' "/proc/$host_pid/status")
lat=$(sed -n 's/.*workload w6 (.*) started in \([0-9]*\) ms.*/\1/p' "$work/host.log" | tail -1)
: >"$work/load.txt"
( end=$(( $(date +%s) + 12 ))
  while [ "$(date +%s)" -lt "$end" ] && [ ! -f "$work/load.stop" ]; do
    curl -s -m 5 -o /dev/null -w '%{http_code}\n' -H 'Host: hello.test' "http://$addr/" >>"$work/load.txt"
  done ) &
load_pid=$!
sleep 1
nats_kill
until_log "$work/host.log" "connection lost" 10 >/dev/null
n_before=$(wc -l <"$work/load.txt")
sleep 3
n_after=$(wc -l <"$work/load.txt")
detail="$(tail -5 "$work/host.log")"
check "resilience: the host logs the lost connection" grep -q "connection lost" "$work/host.log"
check "resilience: HTTP keeps serving while NATS is down ($((n_after - n_before)) requests in 3 s)" \
  test $((n_after - n_before)) -gt 10
nats_restart
req --sub "runtime.operator.heartbeat.$hid" --count 1 --wait 8000 >"$work/hb5.json" 2>&1
detail="$(cat "$work/hb5.json"); $(tail -8 "$work/host.log")"
check "resilience: after nats-server restarts a heartbeat comes within 8 s" grep -q "\"id\":\"$hid\"" "$work/hb5.json"
check "resilience: the host logs the reconnect" grep -q "re)established" "$work/host.log"
touch "$work/load.stop"
wait "$load_pid"
total=$(wc -l <"$work/load.txt")
bad=$(grep -vc '^200$' "$work/load.txt")
detail="$(sort "$work/load.txt" | uniq -c)"
check "resilience: every one of $total HTTP requests during the outage succeeded" test "$total" -gt 20 -a "$bad" -eq 0
check "resilience: the workload is still RUNNING" test "$(status w6)" = RUNNING
check "resilience: still served by Host" grep -q "hello from stratus" <<<"$(get -H 'Host: hello.test' "http://$addr/")"

# ---- SIGTERM drains: a slow response in flight finishes, exit 0 ----
r=$(req "runtime.host.$hid.workload.start" "$(start_req w7 stream "$fix/http_stream.component.wasm" stream.test)" --timeout 30000)
check "drain: a streaming workload starts" test "$(state_of "$r")" = RUNNING
curl -s -m 60 --limit-rate 2M -H 'Host: stream.test' -o "$work/slow" "http://$addr/?n=4000000" &
slow_pid=$!
# and a start in flight (the JS component compiles for a few hundred ms)
req "runtime.host.$hid.workload.start" "$(start_req w8 late "$big" late.test)" --timeout 30000 \
  >"$work/w8.txt" 2>&1 &
w8_pid=$!
until_log "$work/host.log" "workload w8: start requested" 10 >/dev/null
sleep 0.1
stop "$host_pid"
rc=$?
wait "$slow_pid"
wait "$w8_pid"
n=$(wc -c <"$work/slow")
detail=$(tail -10 "$work/host.log")
check "drain: SIGTERM exits 0" test "$rc" -eq 0
detail="$(cat "$work/w8.txt"); $(tail -8 "$work/host.log")"
check "drain: a start in flight at SIGTERM finishes and replies (RUNNING)" \
  test "$(state_of "$(cat "$work/w8.txt")")" = RUNNING
drain_line=$(grep -n "stopping: draining" "$work/host.log" | head -1 | cut -d: -f1)
w8_line=$(grep -n "workload w8 (.*) started" "$work/host.log" | head -1 | cut -d: -f1)
echo "     (the drain began on log line ${drain_line:-?}, w8 was started on line ${w8_line:-?}: $([ "${drain_line:-0}" -lt "${w8_line:-0}" ] && echo 'in flight' || echo 'already done'))"
check "drain: the slow response in flight finished whole ($n of 4000000 bytes)" test "$n" -eq 4000000
check "drain: the host logs the drain and its end" grep -q "stratus host: stopped" "$work/host.log"

# ---- a host started while NATS is down comes up and connects later ----
nats_kill
if start late --scheduler-nats-url "$nats_url" --data-nats-url "$nats_url" --http-addr 127.0.0.1:0; then
  late_pid=$pid
  late_id=$(sed -n 's/^stratus host: id \([0-9a-f-]*\) .*/\1/p' "$work/late.log" | head -1)
  pass "a host starts while NATS is down"
  nats_restart
  req --sub "runtime.operator.heartbeat.$late_id" --count 1 --wait 8000 >"$work/hb6.json" 2>&1
  detail="$(cat "$work/hb6.json"); $(tail -5 "$work/late.log")"
  check "... and heartbeats once NATS is up" grep -q "\"id\":\"$late_id\"" "$work/hb6.json"
  stop "$late_pid"
  check "... and stops cleanly" test $? -eq 0
else
  fail "a host starts while NATS is down" "$(cat "$work/late.log")"
fi

# ---- TLS: both connections to a nats-server wanting client certificates ----
tls_certs() { # a CA, a server certificate for 127.0.0.1, a client certificate
  local d=$work/tls
  mkdir -p "$d" && cd "$d" || return 1
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=stratus test CA" &&
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=127.0.0.1" &&
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext &&
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext &&
    openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=stratus-host" &&
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2
  local rc=$?
  cd - >/dev/null
  return $rc
}
if command -v openssl >/dev/null && tls_certs >"$work/tls.log" 2>&1; then
  t=$work/tls
  tls_port=$(free_port)
  : >"$t/nats.log" # before the server's redirection: until_log reads it at once
  nats-server -a 127.0.0.1 -p "$tls_port" --tls --tlscert "$t/server.pem" --tlskey "$t/server.key" \
    --tlsverify --tlscacert "$t/ca.pem" >"$t/nats.log" 2>&1 &
  tls_nats_pid=$!
  pids+=("$tls_nats_pid")
  until_log "$t/nats.log" "Server is ready" 10 >/dev/null
  tls_flags=()
  for c in scheduler data; do
    tls_flags+=(--$c-nats-url "tls://127.0.0.1:$tls_port" --$c-nats-tls-ca "$t/ca.pem"
                --$c-nats-tls-cert "$t/client.pem" --$c-nats-tls-key "$t/client.key")
  done
  if start tls "${tls_flags[@]}" --http-addr 127.0.0.1:0; then
    tls_pid=$pid
    tls_id=$(sed -n 's/^stratus host: id \([0-9a-f-]*\) .*/\1/p' "$work/tls.log" | head -1)
    tls_req=(node "$here/nats_req.mjs" "tls://127.0.0.1:$tls_port" --tls-ca "$t/ca.pem" --tls-cert "$t/client.pem" --tls-key "$t/client.key")
    r=$("${tls_req[@]}" "runtime.host.$tls_id.heartbeat" '{}' 2>&1)
    detail="$r; $(cat "$work/tls.log")"
    check "TLS: the host connects with a client certificate and answers heartbeats" grep -q "\"id\":\"$tls_id\"" <<<"$r"
    check "TLS: both connections established" test "$(grep -c 'connection established to tls://' "$work/tls.log")" -eq 2
    stop "$tls_pid"
  else
    fail "TLS: the host starts with TLS flags" "$(cat "$work/tls.log")"
  fi
  out=$("$bin" host "${tls_flags[@]:0:2}" --scheduler-nats-tls-ca /nonexistent/ca.pem 2>&1)
  rc=$?
  detail=$out
  check "TLS: a missing CA file is an error naming it (exit 1)" \
    bash -c '[ $0 -eq 1 ] && grep -q "/nonexistent/ca.pem" <<<"$1"' $rc "$out"
  out=$("$bin" host --scheduler-nats-tls-first 2>&1)
  rc=$?
  detail=$out
  check "TLS: --scheduler-nats-tls-first says this nats.c lacks it (exit 1)" \
    bash -c '[ $0 -eq 1 ] && grep -q "not supported by this nats.c" <<<"$1"' $rc "$out"
  kill "$tls_nats_pid" 2>/dev/null
  wait "$tls_nats_pid" 2>/dev/null
else
  echo "skip: TLS tests (openssl missing or failed: $(tail -2 "$work/tls.log"))"
fi

# ---- local images need --allow-local-images ----
"$bin" host --scheduler-nats-url "$nats_url" --data-nats-url "$nats_url" \
  --heartbeat-interval 1s 2>"$work/nolocal.log" &
nolocal_pid=$!
pids+=("$nolocal_pid")
until_log "$work/nolocal.log" '^stratus host: id ' 20 >/dev/null
nl_id=$(sed -n 's/^stratus host: id \([0-9a-f-]*\) .*/\1/p' "$work/nolocal.log" | head -1)
r=$(req "runtime.host.$nl_id.workload.start" "$(start_req wl-local hello "$fix/http_hello.component.wasm" local.test)" --timeout 20000)
detail="$r; $(cat "$work/nolocal.log")"
check "a host without --allow-local-images refuses a local image (ERROR naming the flag)" \
  bash -c '[ "$0" = ERROR ] && grep -q -- "--allow-local-images" <<<"$1"' "$(state_of "$r")" "$r"
stop "$nolocal_pid"

# ---- --no-create-buckets: a keyvalue bucket must exist ----
if [ -f "$work/counter.wasm" ]; then
  req '$JS.API.STREAM.DELETE.KV_counters' '' >/dev/null 2>&1
  "$bin" host --scheduler-nats-url "$nats_url" --data-nats-url "$nats_url" --allow-local-images \
    --no-create-buckets --http-addr 127.0.0.1:0 --heartbeat-interval 1s 2>"$work/nocreate.log" &
  nocreate_pid=$!
  pids+=("$nocreate_pid")
  until_log "$work/nocreate.log" 'on http://' 20 >/dev/null
  nc_id=$(sed -n 's/^stratus host: id \([0-9a-f-]*\) .*/\1/p' "$work/nocreate.log" | head -1)
  nc_addr=$(sed -n 's|.*on http://\([^/]*\)/.*|\1|p' "$work/nocreate.log" | head -1)
  r=$(req "runtime.host.$nc_id.workload.start" "${kv_req/kv.test/nocreate.test}" --timeout 30000)
  detail="$r; $(cat "$work/nocreate.log")"
  check "--no-create-buckets: the keyvalue workload starts" test "$(state_of "$r")" = RUNNING
  b=$(get -H 'Host: nocreate.test' "http://$nc_addr/")
  c=$(code -H 'Host: nocreate.test' "http://$nc_addr/")
  detail="$c $b"
  check "--no-create-buckets: opening a missing bucket fails (500 naming it), none is made" \
    bash -c '[ "$0" = 500 ] && grep -q counters <<<"$1" && ! grep -q visits <<<"$1"' "$c" "$b"
  stop "$nocreate_pid"
fi

echo "measure: workload start latency (local image to RUNNING, host side): ${lat:-?} ms"
[ -n "$oci_ref" ] && echo "measure: workload start latency (cached OCI image to RUNNING): host side ${lat_oci:-?} ms, request round trip ${oci_rt:-?} ms"
echo "measure: host RSS: idle at start ${rss_idle:-?} KiB; idle after the workloads above stopped ${rss_churn:-?} KiB; with one HTTP workload ${rss_one:-?} KiB"
nats_stop
[ -n "$have_registry" ] && registry_stop
no_sanitizer_reports
finish host
