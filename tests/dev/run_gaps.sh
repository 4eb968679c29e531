#!/usr/bin/env bash
# End-to-end tests through `stratus dev` of three parts of issue 7 the
# other suites leave out:
#   - examples/kv-counter-c (wasi:keyvalue from C) counting across
#     requests in memory, and in a --data-dir that survives a restart;
#   - the blobstore grant (tests/fixtures/blob/blob_http.c, built by
#     tests/fixtures/build_blob.sh): the `buckets` allow-list lets a
#     listed container be written and read and denies another one
#     (unauthorized), and `read_only: "true"` refuses writes;
#   - tests/fixtures/workloads/reference.yaml, a Workload in the
#     reference's full shape (components with environment, config,
#     allowedHosts and volumeMounts; wasi:http host, keyvalue, config and
#     blobstore host interfaces with config; a hostPath and an ephemeral
#     volume; a service with maxRestarts) runs unchanged and serves HTTP
#     through its configured host.
#
#   tests/dev/run_gaps.sh [STRATUS]     (default build/stratus)
#
# Prints "gaps: P passed, F failed"; exits non-zero on a failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(realpath "${1:-$root/build/stratus}")
fix=${FIXTURES_OUT:-$root/build/fixtures}
work=$(mktemp -d)
server=("$bin" dev --address 127.0.0.1:0 --workers 2)
. "$root/tests/lib.sh"

ok=1
{ FIXTURES_OUT=$fix "$root/tests/fixtures/build.sh" &&
  FIXTURES_OUT=$fix "$root/tests/fixtures/build_blob.sh"; } >"$work/fixtures.log" 2>&1 || ok=0
detail=$(tail -20 "$work/fixtures.log")
check "fixtures build (tests/fixtures/build.sh, build_blob.sh)" test $ok -eq 1
command -v curl >/dev/null || fail "curl is installed (scripts/setup.sh installs it)"

# ---- examples/kv-counter-c: wasi:keyvalue from C ----
counter=$root/examples/kv-counter-c/workload.yaml
if FIXTURES_OUT=$fix "$root/examples/kv-counter-c/build.sh" >"$work/kvc-build.log" 2>&1; then
  pass "examples/kv-counter-c builds (build.sh)"
  if start kvc "$counter"; then
    r="$(get "http://$addr/") $(get "http://$addr/") $(get "http://$addr/")"
    detail="$r $(tail -5 "$work/kvc.log")"
    check "kv-counter-c: the count increments across requests (memory backend)" \
      test "$r" = "visits: 1 visits: 2 visits: 3"
    stop; rc=$?
    detail="rc=$rc"; check "kv-counter-c: SIGTERM stops it with status 0" test $rc -eq 0
  else
    fail "kv-counter-c: stratus dev starts" "$(cat "$work/kvc.log")"
  fi
  r=
  for round in 1 2; do
    if start "kvcdir$round" --data-dir "$work/data" "$counter"; then
      r="$r $(get "http://$addr/") $(get "http://$addr/")"
      stop
    fi
  done
  detail="$r $(cat "$work"/kvcdir*.log)"
  check "kv-counter-c: the directory backend keeps the count across a restart" \
    test "$r" = " visits: 1 visits: 2 visits: 3 visits: 4"
else
  fail "examples/kv-counter-c builds (build.sh)" "$(tail -20 "$work/kvc-build.log")"
fi

# ---- wasi:blobstore: the buckets allow-list and read_only ----
# blob_manifest FILE CONFIG-YAML: a Workload serving blob_http.component.wasm
# with wasi:blobstore granted with that config
blob_manifest() {
  cat >"$1" <<EOF
apiVersion: runtime.wasmcloud.dev/v1alpha1
kind: Workload
metadata:
  name: blob
spec:
  components:
    - name: web
      image: $fix/blob_http.component.wasm
  hostInterfaces:
    - namespace: wasi
      package: http
      interfaces: [incoming-handler]
    - namespace: wasi
      package: blobstore
      interfaces: [blobstore, container, types]
      version: 0.2.0-draft
      config:
$2
EOF
}
# req PATH: "BODY STATUS" of a GET
req() { curl -s -m 30 -w ' %{http_code}' "http://$addr$1"; }
blob_manifest "$work/allow.yaml" '        buckets: "allowed"'
if start allow "$work/allow.yaml"; then
  r=$(req "/put?c=allowed&k=greeting&v=hello-blob")
  detail=$r; check "blobstore: a write to a container in the allow-list succeeds" \
    test "$r" = "ok
 200"
  r=$(req "/get?c=allowed&k=greeting")
  detail=$r; check "blobstore: reading it back returns the value" test "$r" = "hello-blob 200"
  r=$(req "/put?c=other&k=greeting&v=x")
  detail=$r; check "blobstore: a write to a container outside the allow-list is denied (unauthorized, 403)" \
    bash -c 'grep -q "^unauthorized: container .other. is not in the buckets allow-list" <<<"$0" && grep -q " 403$" <<<"$0"' "$r"
  r=$(req "/get?c=other&k=greeting")
  detail=$r; check "blobstore: a read outside the allow-list is denied too" \
    bash -c 'grep -q "^unauthorized" <<<"$0" && grep -q " 403$" <<<"$0"' "$r"
  r=$(req "/get?c=allowed&k=missing")
  detail=$r; check "blobstore: a missing object is an error (500), not a denial" grep -q " 500$" <<<"$r"
  stop
else
  fail "blobstore allow-list: stratus dev starts" "$(cat "$work/allow.yaml" "$work/allow.log")"
fi
blob_manifest "$work/ro.yaml" '        read_only: "true"'
if start ro "$work/ro.yaml"; then
  r=$(req "/put?c=files&k=greeting&v=x")
  detail=$r; check "blobstore: with read_only \"true\" a write is refused (read-only, 403)" \
    bash -c 'grep -q "^read-only: this blobstore does not allow writes" <<<"$0" && grep -q " 403$" <<<"$0"' "$r"
  stop
else
  fail "blobstore read_only: stratus dev starts" "$(cat "$work/ro.log")"
fi
# both: a listed container that is read-only still refuses the write
blob_manifest "$work/both.yaml" '        buckets: "allowed, more"
        read_only: "true"'
if start both "$work/both.yaml"; then
  r=$(req "/put?c=more&k=greeting&v=x")
  detail=$r; check "blobstore: read_only applies to containers in the allow-list" \
    bash -c 'grep -q "^read-only" <<<"$0" && grep -q " 403$" <<<"$0"' "$r"
  r=$(req "/put?c=elsewhere&k=greeting&v=x")
  detail=$r; check "blobstore: and the allow-list still applies when read-only" \
    bash -c 'grep -q "^unauthorized" <<<"$0" && grep -q " 403$" <<<"$0"' "$r"
  stop
else
  fail "blobstore both: stratus dev starts" "$(cat "$work/both.log")"
fi

# ---- the reference's full Workload shape, unchanged ----
ref=$root/tests/fixtures/workloads/reference.yaml
if [ "$fix" != "$root/build/fixtures" ]; then
  # fixtures elsewhere: the same manifest with those image paths (and
  # the others made absolute, as the copy lives elsewhere)
  sed "s|\.\./\.\./\.\./build/fixtures/|$fix/|; s|\.\./\.\./\.\./build/examples/|$root/build/examples/|
       s|path: \.\.$|path: $root/tests/fixtures|" \
    "$ref" >"$work/reference.yaml"
  ref=$work/reference.yaml
fi
if start reference "$ref"; then
  r="$(get -H "Host: shop.example.com" "http://$addr/") $(get -H "Host: SHOP.example.com:8000" "http://$addr/")"
  detail="$r $(cat "$work/reference.log")"
  check "reference.yaml: serves HTTP through its configured host (keyvalue counting)" \
    test "$r" = "visits: 1 visits: 2"
  r=$(code -H "Host: other.example.com" "http://$addr/")
  detail=$r; check "reference.yaml: another Host gets 400" test "$r" = 400
  until_log "$work/reference.log" "service COMPLETED" 10
  ok=$?
  detail=$(cat "$work/reference.log")
  check "reference.yaml: its service runs (and completes: run returned ok)" test $ok -eq 0
  stop; rc=$?
  detail="rc=$rc $(tail -5 "$work/reference.log")"
  check "reference.yaml: SIGTERM stops it with status 0" test $rc -eq 0
else
  fail "reference.yaml: stratus dev runs it unchanged" "$(cat "$work/reference.log")"
fi

no_sanitizer_reports

finish gaps
