#!/usr/bin/env bash
# End-to-end tests of `stratus dev` (workload runtime, Host routing,
# reload) with real components and clients on loopback:
#   - examples/http-hello-c served from a Workload manifest (no host:
#     every request goes to it), built by its build.sh in two versions
#     (GREETING) plus a broken image;
#   - Host routing with a WorkloadDeployment whose wasi:http config.host
#     is set: another host 400, the right one 200, case-insensitive, port
#     ignored;
#   - refusals: a component importing wasi:keyvalue the workload does not
#     grant (the interface named), a declared interface no plugin
#     provides, an OCI image;
#   - a trap 500, a guest past --timeout 504;
#   - reload under `wrk -c8` load: zero failed requests, responses switch
#     to the new version; a broken image keeps the old one serving; --build
#     runs before a reload; SIGTERM stops with status 0;
#   - examples/kv-counter-js (componentize-js on wasi:keyvalue) counting
#     across requests, in memory and in a --data-dir that survives a
#     restart.
#
#   tests/dev/run_dev.sh [STRATUS]     (default build/stratus)
#
# DEV_LOAD_SECONDS (default 6) is how long wrk runs during the reload.
# Known failures are listed in tests/dev/dev.expected (one test name a
# line). Prints "dev: P passed, F failed"; exits non-zero on a failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(realpath "${1:-$root/build/stratus}")
fix=${FIXTURES_OUT:-$root/build/fixtures}
expected=$here/dev.expected
load_s=${DEV_LOAD_SECONDS:-6}
work=$(mktemp -d)
server=("$bin" dev --address 127.0.0.1:0 --workers 2)
. "$root/tests/lib.sh"
# replace SRC DST: DST becomes a copy of SRC at once (rename), as a build does
replace() { cp "$1" "$2.new" && mv -f "$2.new" "$2"; }
# manifest FILE IMAGE [HOST-INTERFACES-YAML]: a Workload with one component
manifest() {
  cat >"$1" <<EOF
apiVersion: runtime.wasmcloud.dev/v1alpha1
kind: Workload
metadata:
  name: app
spec:
  components:
    - name: web
      image: $2
  hostInterfaces:
    - namespace: wasi
      package: http
      interfaces: [incoming-handler]
${3:-}
EOF
}

if ! FIXTURES_OUT=$fix "$root/tests/fixtures/build.sh" >"$work/fixtures.log" 2>&1; then
  fail "fixtures build (tests/fixtures/build.sh)" "$(tail -20 "$work/fixtures.log")"
fi
for t in curl wrk; do
  command -v $t >/dev/null || fail "$t is installed (scripts/setup.sh installs it)"
done
ex=$root/examples/http-hello-c
ok=1
"$ex/build.sh" >"$work/ex.log" 2>&1 || ok=0
GREETING="version one" "$ex/build.sh" "$work/v1.wasm" >>"$work/ex.log" 2>&1 || ok=0
GREETING="version two" "$ex/build.sh" "$work/v2.wasm" >>"$work/ex.log" 2>&1 || ok=0
head -c 5000 /dev/urandom >"$work/broken.wasm"
detail=$(tail -20 "$work/ex.log")
check "examples/http-hello-c builds (build.sh, two GREETING versions)" test $ok -eq 1

# ---- the example, from its own manifest ----
if start example "$ex/workload.yaml"; then
  r=$(curl -s -i -m 10 "http://$addr/anything")
  detail=$r
  check "example: 200 with the greeting (no host configured: every request routed)" \
    bash -c 'grep -q "^HTTP/1.1 200" <<<"$0" && grep -q "hello from stratus dev" <<<"$0"' "$r"
  r=$(code -H "Host: whatever.example" "http://$addr/")
  detail=$r
  check "example: any Host header reaches the only workload" test "$r" = 200
  detail=$(cat "$work/example.log")
  check "example: the access log has the request" grep -q '"GET /anything' "$work/example.log"
  stop; rc=$?
  detail="rc=$rc $(tail -5 "$work/example.log")"
  check "example: SIGTERM stops it with status 0" test $rc -eq 0
else
  fail "example: stratus dev starts" "$(cat "$work/example.log")"
fi

# ---- routing by Host (a WorkloadDeployment's template) ----
cat >"$work/deploy.yaml" <<EOF
apiVersion: runtime.wasmcloud.dev/v1alpha1
kind: WorkloadDeployment
metadata:
  name: routed
spec:
  replicas: 1
  template:
    spec:
      components:
        - name: web
          image: v1.wasm
      hostInterfaces:
        - namespace: wasi
          package: http
          interfaces: [incoming-handler]
          config:
            host: app.example.com
EOF
if start routed "$work/deploy.yaml"; then
  r=$(code -H "Host: other.example.com" "http://$addr/")
  detail=$r; check "routing: another Host gets 400" test "$r" = 400
  r=$(code "http://$addr/")
  detail=$r; check "routing: the listen address as Host gets 400" test "$r" = 400
  r=$(get -H "Host: app.example.com" "http://$addr/")
  detail=$r; check "routing: the configured Host gets the component (200)" grep -q "version one" <<<"$r"
  r=$(get -H "Host: APP.Example.COM:8080" "http://$addr/")
  detail=$r; check "routing: case-insensitive, port ignored" grep -q "version one" <<<"$r"
  stop
else
  fail "routing: stratus dev starts" "$(cat "$work/routed.log")"
fi

# ---- refusals ----
manifest "$work/hostile.yaml" "$fix/pl_keyvalue.component.wasm"
out=$(timeout 60 "$bin" dev --address 127.0.0.1:0 "$work/hostile.yaml" 2>&1); rc=$?
detail="rc=$rc $out"
check "a component importing undeclared wasi:keyvalue is refused, naming it" \
  bash -c '[ $0 -eq 1 ] && grep -q "imports wasi:keyvalue/[a-z]*@0.2.0-draft, which the workload does not grant" <<<"$1"' $rc "$out"
manifest "$work/granted.yaml" "$fix/pl_keyvalue.component.wasm" "    - namespace: wasi
      package: keyvalue
      interfaces: [store, atomics, batch]
      version: 0.2.0-draft"
if start granted "$work/granted.yaml"; then
  r=$(code "http://$addr/")
  detail="$r $(cat "$work/granted.log")"
  check "the same component with keyvalue granted starts (plugin bound and linked); no handler: 404" \
    test "$r" = 404
  stop
else
  fail "the same component with keyvalue granted starts" "$(cat "$work/granted.log")"
fi
manifest "$work/nobody.yaml" "$fix/http_hello.component.wasm" "    - namespace: acme
      package: rockets
      interfaces: [launch]
      version: 1.0.0"
out=$(timeout 60 "$bin" dev --address 127.0.0.1:0 "$work/nobody.yaml" 2>&1); rc=$?
detail="rc=$rc $out"
check "a declared interface no plugin provides is an error naming it" \
  bash -c '[ $0 -eq 1 ] && grep -q "acme:rockets/launch@1.0.0 is declared but no plugin" <<<"$1"' $rc "$out"
manifest "$work/oci.yaml" "ghcr.io/example/hello:0.1.0"
out=$(timeout 60 "$bin" dev --address 127.0.0.1:0 "$work/oci.yaml" 2>&1); rc=$?
detail="rc=$rc $out"
check "an OCI image is refused: not supported by stratus dev yet" \
  bash -c '[ $0 -eq 1 ] && grep -q "not supported by stratus dev yet" <<<"$1"' $rc "$out"
out=$(cd "$work" && timeout 60 "$bin" dev --address 127.0.0.1:0 2>&1); rc=$?
detail="rc=$rc $out"
check "no workload.yaml in the current directory is a clear error" \
  bash -c '[ $0 -eq 1 ] && grep -q "workload.yaml" <<<"$1"' $rc "$out"

# ---- traps and timeouts ----
manifest "$work/trap.yaml" "$fix/http_trap.component.wasm"
if start trap "$work/trap.yaml"; then
  r=$(code "http://$addr/"); r2=$(code "http://$addr/")
  detail="$r $r2"; check "a guest trap is a 500, and it keeps serving" test "$r $r2" = "500 500"
  stop
else
  fail "trap: stratus dev starts" "$(cat "$work/trap.log")"
fi
manifest "$work/loop.yaml" "$fix/http_loop.component.wasm"
if start loop --timeout 300ms "$work/loop.yaml"; then
  r=$(code "http://$addr/")
  detail=$r; check "a guest past --timeout is a 504" test "$r" = 504
  stop
else
  fail "loop: stratus dev starts" "$(cat "$work/loop.log")"
fi

# ---- reload ----
cp "$work/v1.wasm" "$work/app.wasm"
manifest "$work/app.yaml" app.wasm
if start reload "$work/app.yaml"; then
  r=$(get "http://$addr/")
  detail=$r; check "reload: version one serves first" grep -q "version one" <<<"$r"
  wrk -t2 -c8 -d"${load_s}s" --timeout 20s "http://$addr/" >"$work/wrk.out" 2>&1 &
  wrk_pid=$!
  sleep 1.5
  replace "$work/v2.wasm" "$work/app.wasm"
  until_body "http://$addr/" "version two"
  ok=$?
  detail=$(tail -5 "$work/reload.log")
  check "reload: under load, new requests get the new version" test $ok -eq 0
  wait $wrk_pid
  out=$(cat "$work/wrk.out")
  reqs=$(echo "$out" | sed -n 's/^ *\([0-9][0-9]*\) requests in.*/\1/p')
  detail=$out
  check "reload: zero failed requests under wrk -c8 during the reload" \
    bash -c '! grep -qE "Non-2xx|Socket errors" <<<"$0" && [ "${1:-0}" -gt 0 ]' "$out" "$reqs"
  echo "     (${reqs:-0} requests in ${load_s} s across the reload)"
  replace "$work/broken.wasm" "$work/app.wasm"
  for _ in $(seq 1 100); do grep -q "reload failed" "$work/reload.log" && break; sleep 0.1; done
  detail=$(tail -5 "$work/reload.log")
  check "reload: a broken image is reported" grep -q "reload failed, still serving the previous version" "$work/reload.log"
  r=$(get "http://$addr/")
  detail=$r; check "reload: a broken image keeps the old version serving" grep -q "version two" <<<"$r"
  replace "$work/v1.wasm" "$work/app.wasm"
  until_body "http://$addr/" "version one"
  ok=$?
  detail=$(tail -5 "$work/reload.log")
  check "reload: a fixed image is picked up again" test $ok -eq 0
  stop; rc=$?
  detail="rc=$rc"; check "reload: SIGTERM stops it with status 0" test $rc -eq 0
else
  fail "reload: stratus dev starts" "$(cat "$work/reload.log")"
fi

# ---- a request in flight finishes on the old version ----
cp "$fix/http_stream.component.wasm" "$work/app.wasm"
if start inflight "$work/app.yaml"; then
  curl -s -m 60 --limit-rate 2M -o "$work/slow" "http://$addr/?n=4000000" &
  cpid=$!
  sleep 0.5
  replace "$work/v2.wasm" "$work/app.wasm"
  until_body "http://$addr/" "version two"
  ok=$?
  wait $cpid
  n=$(wc -c <"$work/slow")
  detail="switched=$ok, got $n of 4000000 bytes; $(tail -5 "$work/inflight.log")"
  check "reload: a slow response in flight finishes whole on the old version" \
    test $ok -eq 0 -a "$n" -eq 4000000
  stop
else
  fail "in flight: stratus dev starts" "$(cat "$work/inflight.log")"
fi

# ---- --build: runs before the reload (here it copies version two in) ----
cp "$work/v1.wasm" "$work/app.wasm"
if start build --build "cp $work/v2.wasm $work/app.wasm.b && mv -f $work/app.wasm.b $work/app.wasm" "$work/app.yaml"; then
  r=$(get "http://$addr/")
  detail=$r; check "--build: the first version serves" grep -q "version one" <<<"$r"
  touch "$work/app.yaml"
  until_body "http://$addr/" "version two"
  ok=$?
  detail=$(tail -5 "$work/build.log")
  check "--build: a change runs the build, then reloads what it built" test $ok -eq 0
  sleep 1
  n=$(grep -c "building:" "$work/build.log")
  detail="$n builds: $(cat "$work/build.log")"
  check "--build: what the build writes does not trigger another build" test "$n" -eq 1
  stop
else
  fail "--build: stratus dev starts" "$(cat "$work/build.log")"
fi

# ---- examples/kv-counter-js: a JS component on wasi:keyvalue ----
if "$root/examples/kv-counter-js/build.sh" >"$work/kv-build.log" 2>&1; then
  counter=$root/examples/kv-counter-js/workload.yaml
  if start kv "$counter"; then
    r="$(get "http://$addr/") $(get "http://$addr/") $(get "http://$addr/")"
    detail=$r
    check "kv-counter-js: the count increments across requests (memory backend)" \
      test "$r" = "visits: 1 visits: 2 visits: 3"
    stop
  else
    fail "kv-counter-js: stratus dev starts" "$(cat "$work/kv.log")"
  fi
  r=
  for round in 1 2; do
    if start "kvdir$round" --data-dir "$work/data" "$counter"; then
      r="$r $(get "http://$addr/") $(get "http://$addr/")"
      stop
    fi
  done
  detail=$r
  check "kv-counter-js: the directory backend keeps the count across a restart" \
    test "$r" = " visits: 1 visits: 2 visits: 3 visits: 4"
else
  fail "kv-counter-js: examples/kv-counter-js/build.sh" "$(tail -20 "$work/kv-build.log")"
fi

no_sanitizer_reports

finish dev
