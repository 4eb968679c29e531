#!/usr/bin/env bash
# End-to-end tests through `stratus dev` of the per-component limits
# (host.h, "limits"), with manifests written here around one component,
# tests/fixtures/limits/lim_app.c (built by tests/fixtures/limits/build.sh:
# /alloc?mib=N mallocs N MiB, /sleep?ms=N sleeps, /count answers a
# counter kept in the instance):
#   - memoryLimitMb 16: 4 MiB is allocated (200), 32 MiB is not (500,
#     "malloc of 32 MiB failed": memory.grow returned -1) and the server
#     serves on; without the limit 32 MiB is allocated;
#   - cpuLimit 1: 4 concurrent 400 ms requests take 4 times as long as
#     one (they run one at a time); with cpuLimit 0 they overlap; with
#     --timeout 500ms a request waiting behind a long one gets 503 and the
#     access log says why;
#   - maxInvocations 3 (one worker): /count gives 1 2 3 1 2 3;
#   - poolSize 2: instances are made ahead (the log says so), requests
#     still get fresh instances (1 1 1 ...); with maxInvocations 2: 1 2 1 2;
#   - every server stops with status 0 on SIGTERM (and, under build-san,
#     without a sanitizer report: nothing leaked).
#
#   tests/dev/run_limits.sh [STRATUS]     (default build/stratus)
#
# Prints "limits: P passed, F failed"; exits non-zero on a failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(realpath "${1:-$root/build/stratus}")
fix=${FIXTURES_OUT:-$root/build/fixtures}
work=$(mktemp -d)
. "$root/tests/lib.sh"

ok=1
FIXTURES_OUT=$fix "$root/tests/fixtures/limits/build.sh" >"$work/fixtures.log" 2>&1 || ok=0
detail=$(tail -20 "$work/fixtures.log")
check "fixtures build (tests/fixtures/limits/build.sh)" test $ok -eq 1
command -v curl >/dev/null || fail "curl is installed (scripts/setup.sh installs it)"

# manifest FILE FIELDS: a Workload of lim_app with FIELDS (YAML lines of
# the component, indented 6)
manifest() {
  cat >"$1" <<EOM
apiVersion: runtime.wasmcloud.dev/v1alpha1
kind: Workload
metadata:
  name: limits
spec:
  components:
    - name: app
      image: $fix/lim_app.component.wasm
$2
  hostInterfaces:
    - namespace: wasi
      package: http
      interfaces: [incoming-handler]
EOM
}
# run NAME WORKERS [DEV OPTIONS...] FIELDS: starts stratus dev of a
# manifest with FIELDS (the last argument)
run() {
  local name=$1 workers=$2; shift 2
  local fields=${!#}
  manifest "$work/$name.yaml" "$fields"
  server=("$bin" dev --address 127.0.0.1:0 --workers "$workers" "${@:1:$#-1}")
  start "$name" "$work/$name.yaml" || { fail "$name: stratus dev starts" "$(cat "$work/$name.yaml" "$work/$name.log")"; return 1; }
}
# "BODY STATUS" of a request
req() { curl -s -m 30 -w ' %{http_code}' "http://$addr$1" | tr -d '\n'; }
# stopped NAME: SIGTERM stops the server with status 0
stopped() {
  stop; local rc=$?
  detail="rc=$rc $(tail -5 "$work/$1.log")"
  check "$1: SIGTERM stops it with status 0" test $rc -eq 0
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# concurrently N PATH: N requests at once; prints the milliseconds until
# all answered; their statuses in $work/c.N
concurrently() {
  local n=$1 path=$2 t0 i
  t0=$(now_ms)
  for i in $(seq 1 "$n"); do
    curl -s -m 30 -o /dev/null -w '%{http_code}' "http://$addr$path" >"$work/c.$i" &
  done
  wait
  echo $(( $(now_ms) - t0 ))
}
statuses() { local i; for i in $(seq 1 "$1"); do cat "$work/c.$i"; echo; done | sort | uniq -c | tr -s ' \n' ' '; }

# ---- memoryLimitMb ----
if run mem 2 '      localResources:
        memoryLimitMb: 16'; then
  r=$(req "/alloc?mib=4"); detail="$r $(tail -3 "$work/mem.log")"
  check "memoryLimitMb 16: allocating 4 MiB answers 200" test "$r" = "allocated 4 MiB 200"
  r=$(req "/alloc?mib=32"); detail="$r $(tail -3 "$work/mem.log")"
  check "memoryLimitMb 16: allocating 32 MiB fails: 500 (memory.grow returned -1)" \
    test "$r" = "malloc of 32 MiB failed 500"
  r=$(req "/alloc?mib=8"); detail="$r $(tail -3 "$work/mem.log")"
  check "memoryLimitMb 16: the server serves on (8 MiB: 200)" test "$r" = "allocated 8 MiB 200"
  stopped mem
fi
if run nomem 2 ''; then
  r=$(req "/alloc?mib=32"); detail="$r $(tail -3 "$work/nomem.log")"
  check "no memoryLimitMb: allocating 32 MiB answers 200" test "$r" = "allocated 32 MiB 200"
  stopped nomem
fi

# ---- cpuLimit ----
if run cpu1 4 '      localResources:
        cpuLimit: 1'; then
  one=$(concurrently 1 "/sleep?ms=400")
  ms=$(concurrently 4 "/sleep?ms=400")
  st=$(statuses 4)
  detail="one: $one ms, four: $ms ms, statuses: $st"
  check "cpuLimit 1: 4 concurrent 400 ms requests all answer 200" test "$st" = " 4 200 "
  check "cpuLimit 1: they run one at a time (4 take >= 1500 ms; one took $one ms, four $ms ms)" \
    test "$ms" -ge 1500
  stopped cpu1
fi
if run cpu0 4 ''; then
  ms=$(concurrently 4 "/sleep?ms=400")
  st=$(statuses 4)
  detail="four: $ms ms, statuses: $st"
  check "cpuLimit 0 (none): 4 concurrent 400 ms requests overlap (< 1200 ms: $ms ms)" \
    bash -c '[ "$0" = " 4 200 " ] && [ "$1" -lt 1200 ]' "$st" "$ms"
  stopped cpu0
fi
if run busy 2 --timeout 500ms '      localResources:
        cpuLimit: 1'; then
  curl -s -m 30 -o /dev/null -w '%{http_code}' "http://$addr/sleep?ms=1500" >"$work/long" &
  long=$!
  sleep 0.2
  r=$(req "/count"); detail="$r $(tail -5 "$work/busy.log")"
  check "cpuLimit 1, --timeout 500ms: a request waiting behind a long one gets 503" \
    bash -c 'grep -q " 503$" <<<"$0"' "$r"
  wait $long
  detail=$(tail -5 "$work/busy.log")
  check "cpuLimit 1: the access log says the component is busy at its cpuLimit" \
    grep -q "component \`app\` is busy: cpuLimit 1" "$work/busy.log"
  r=$(req "/count"); detail="$r $(tail -3 "$work/busy.log")"
  check "cpuLimit 1: once the long request ended, the next is served (200)" test "$r" = "1 200"
  stopped busy
fi

# ---- maxInvocations ----
if run maxinv 1 '      maxInvocations: 3'; then
  got=$(for i in 1 2 3 4 5 6; do get "http://$addr/count"; done | tr '\n' ' ')
  detail="$got $(tail -3 "$work/maxinv.log")"
  check "maxInvocations 3: an instance serves 3 requests, then a fresh one (1 2 3 1 2 3)" \
    test "$got" = "1 2 3 1 2 3 "
  stopped maxinv
fi
if run oneinv 1 ''; then
  got=$(for i in 1 2 3; do get "http://$addr/count"; done | tr '\n' ' ')
  detail=$got
  check "maxInvocations unset: a fresh instance per request (1 1 1)" test "$got" = "1 1 1 "
  stopped oneinv
fi

# ---- poolSize ----
if run pool 2 '      poolSize: 2'; then
  detail=$(cat "$work/pool.log")
  check "poolSize 2: instances are made ahead (4: 2 on each of 2 workers)" \
    grep -q "component \`app\`: 4 instances made ahead (poolSize 2 on 2 HTTP workers)" "$work/pool.log"
  got=$(for i in 1 2 3 4 5; do get "http://$addr/count"; done | tr '\n' ' ')
  detail=$got
  check "poolSize 2: pooled instances are fresh (1 1 1 1 1)" test "$got" = "1 1 1 1 1 "
  ms=$(concurrently 8 "/alloc?mib=1")
  st=$(statuses 8)
  detail="$st"
  check "poolSize 2: 8 concurrent requests all answer 200" test "$st" = " 8 200 "
  stopped pool
fi
if run poolinv 1 '      poolSize: 2
      maxInvocations: 2'; then
  got=$(for i in 1 2 3 4 5; do get "http://$addr/count"; done | tr '\n' ' ')
  detail=$got
  check "poolSize 2, maxInvocations 2: 1 2 1 2 1" test "$got" = "1 2 1 2 1 "
  stopped poolinv
fi

no_sanitizer_reports

finish limits
