#!/usr/bin/env bash
# End-to-end tests of several workloads in one `stratus dev` (routing
# across workloads by Host), with real components and curl on loopback:
#   - two manifests, hosts a.test (examples/http-hello-c built with a
#     GREETING) and b.test (the C hello fixture): each Host reaches its
#     own workload, case-insensitive and port ignored; an unknown Host
#     (or none) is 400;
#   - replacing A's image reloads A only: B answers every request
#     throughout, A switches to the new version;
#   - refusals: two workloads without config.host (the manifest named),
#     two with the same host, a manifest path that does not exist (named).
#
#   tests/dev/run_multi.sh [STRATUS]     (default build/stratus)
#
# Prints "multi: P passed, F failed"; exits non-zero on a failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(realpath "${1:-$root/build/stratus}")
fix=${FIXTURES_OUT:-$root/build/fixtures}
work=$(mktemp -d)
server=("$bin" dev --address 127.0.0.1:0 --workers 2)
. "$root/tests/lib.sh"
# replace SRC DST: DST becomes a copy of SRC at once (rename), as a build does
replace() { cp "$1" "$2.new" && mv -f "$2.new" "$2"; }
# manifest FILE NAME IMAGE [HOST]: a Workload with one HTTP component
manifest() {
  cat >"$1" <<EOM
apiVersion: runtime.wasmcloud.dev/v1alpha1
kind: Workload
metadata:
  name: $2
spec:
  components:
    - name: web
      image: $3
  hostInterfaces:
    - namespace: wasi
      package: http
      interfaces: [incoming-handler]
EOM
  [ -n "${4:-}" ] && printf '      config:\n        host: %s\n' "$4" >>"$1"
  return 0
}

if ! FIXTURES_OUT=$fix "$root/tests/fixtures/build.sh" >"$work/fixtures.log" 2>&1; then
  fail "fixtures build (tests/fixtures/build.sh)" "$(tail -20 "$work/fixtures.log")"
fi
ex=$root/examples/http-hello-c
ok=1
GREETING="alpha one" "$ex/build.sh" "$work/a1.wasm" >"$work/ex.log" 2>&1 || ok=0
GREETING="alpha two" "$ex/build.sh" "$work/a2.wasm" >>"$work/ex.log" 2>&1 || ok=0
detail=$(tail -20 "$work/ex.log")
check "examples/http-hello-c builds in two GREETING versions" test $ok -eq 1

cp "$work/a1.wasm" "$work/a.wasm"
cp "$fix/http_hello.component.wasm" "$work/b.wasm"
manifest "$work/a.yaml" alpha a.wasm a.test
manifest "$work/b.yaml" beta b.wasm b.test

# ---- routing across two workloads ----
if start two "$work/a.yaml" "$work/b.yaml"; then
  r=$(get -H "Host: a.test" "http://$addr/")
  detail=$r; check "Host a.test reaches workload A" grep -q "alpha one" <<<"$r"
  r=$(get -H "Host: b.test" "http://$addr/")
  detail=$r; check "Host b.test reaches workload B" grep -q "hello from stratus" <<<"$r"
  r=$(get -H "Host: B.TEST:8000" "http://$addr/")
  detail=$r; check "Host B.TEST:8000 reaches B (case-insensitive, port ignored)" \
    grep -q "hello from stratus" <<<"$r"
  r=$(get -H "Host: A.Test:1" "http://$addr/")
  detail=$r; check "Host A.Test:1 reaches A" grep -q "alpha one" <<<"$r"
  r=$(code -H "Host: c.test" "http://$addr/")
  detail=$r; check "an unknown Host gets 400" test "$r" = 400
  r=$(code "http://$addr/")
  detail=$r; check "the listen address as Host gets 400 (no single-workload fallback)" test "$r" = 400

  # ---- reloading A leaves B alone ----
  (
    end=$((SECONDS + 4))
    while [ $SECONDS -lt $end ]; do
      # one line a request: the body (newlines dropped), a space, the status
      { curl -s -m 10 -w ' %{http_code}' -H "Host: b.test" "http://$addr/" || echo " curl failed"; } |
        tr -d '\n'
      echo
    done
  ) >"$work/b.during" 2>&1 &
  bpid=$!
  sleep 1
  replace "$work/a2.wasm" "$work/a.wasm"
  ok=0
  for _ in $(seq 1 200); do
    get -H "Host: a.test" "http://$addr/" | grep -q "alpha two" && { ok=1; break; }
    sleep 0.1
  done
  detail=$(tail -5 "$work/two.log")
  check "reloading A: A switches to the new version" test $ok -eq 1
  wait $bpid
  n=$(wc -l <"$work/b.during")
  bad=$(grep -vc '^hello from stratus 200$' "$work/b.during")
  detail="$bad of $n bad: $(grep -v '^hello from stratus 200$' "$work/b.during" | head -5)"
  check "reloading A: B answers every request throughout ($n requests)" \
    test "$n" -gt 0 -a "$bad" -eq 0
  n=$(grep -c "reloaded" "$work/two.log")
  detail=$(grep "reloaded" "$work/two.log")
  check "reloading A reloads A only" \
    bash -c '[ "$0" -eq 1 ] && grep -q "reloaded .*a.yaml" <<<"$1"' "$n" "$detail"
  r=$(get -H "Host: b.test" "http://$addr/")
  detail=$r; check "B still serves after A's reload" grep -q "hello from stratus" <<<"$r"

  # ---- reloading B leaves A alone; a broken B keeps the old B ----
  replace "$work/a1.wasm" "$work/b.wasm"
  ok=0
  for _ in $(seq 1 200); do
    get -H "Host: b.test" "http://$addr/" | grep -q "alpha one" && { ok=1; break; }
    sleep 0.1
  done
  r=$(get -H "Host: a.test" "http://$addr/")
  detail="$ok $r"; check "reloading B: B switches, A keeps its version" \
    bash -c '[ $0 -eq 1 ] && grep -q "alpha two" <<<"$1"' $ok "$r"
  manifest "$work/b.yaml" beta b.wasm
  until_log "$work/two.log" "reload failed.*b.yaml"
  detail=$(tail -3 "$work/two.log")
  check "reloading B without a host fails, naming b.yaml" \
    grep -q "reload failed.*b.yaml.*config.host" "$work/two.log"
  r="$(get -H "Host: b.test" "http://$addr/") / $(get -H "Host: a.test" "http://$addr/")"
  detail=$r; check "a failed reload of B keeps both serving" \
    bash -c 'grep -q "alpha one / .*alpha two" <<<"$0"' "$r"
  stop; rc=$?
  detail="rc=$rc $(tail -5 "$work/two.log")"
  check "SIGTERM stops it with status 0" test $rc -eq 0
else
  fail "two workloads: stratus dev starts" "$(cat "$work/two.log")"
fi

# ---- refusals ----
manifest "$work/x.yaml" ex a.wasm
manifest "$work/y.yaml" why b.wasm
out=$(timeout 60 "$bin" dev --address 127.0.0.1:0 "$work/x.yaml" "$work/y.yaml" 2>&1); rc=$?
detail="rc=$rc $out"
check "two workloads without hosts: a clear error naming the manifest" \
  bash -c '[ $0 -eq 1 ] && grep -q "x.yaml: .*config.host" <<<"$1"' $rc "$out"
manifest "$work/b2.yaml" beta2 b.wasm B.test
manifest "$work/b.yaml" beta b.wasm b.test
out=$(timeout 60 "$bin" dev --address 127.0.0.1:0 "$work/b.yaml" "$work/b2.yaml" 2>&1); rc=$?
detail="rc=$rc $out"
check "two workloads with the same host: an error naming both" \
  bash -c '[ $0 -eq 1 ] && grep -q "b2.yaml: host B.test is already served by .*b.yaml" <<<"$1"' $rc "$out"
out=$(timeout 60 "$bin" dev --address 127.0.0.1:0 "$work/a.yaml" "$work/missing.yaml" 2>&1); rc=$?
detail="rc=$rc $out"
check "a manifest path that does not exist: an error naming it" \
  bash -c '[ $0 -eq 1 ] && grep -q "missing.yaml" <<<"$1"' $rc "$out"

no_sanitizer_reports

finish multi
