#!/usr/bin/env bash
# End-to-end tests through `stratus dev` of a workload's volumes and of a
# component's allowedHosts, with manifests written here:
#   - volumes: a service (tests/fixtures/volumes/vol_service.c, a plain
#     wasi-libc program made a wasi:cli/run component by `jco new
#     --wasi-command`; built by tests/fixtures/build_volumes.sh), run
#     once, mounting a writable hostPath at /data, another hostPath
#     readOnly at /ro and an ephemeral volume at /tmpdata: its writes to
#     /data reach the host, a write to /ro is refused (and nothing appears
#     on the host), /tmpdata round-trips, paths outside the mounts do not
#     open; its output lines reach the log with the "[service]" prefix and
#     it is COMPLETED;
#   - allowedHosts: the http_fetch fixture fetching from a local `stratus
#     serve` upstream gets the upstream's body when the component's
#     localResources.allowedHosts lists 127.0.0.1, and 502
#     HTTP-request-denied when it has no allowedHosts.
#
#   tests/dev/run_volumes.sh [STRATUS]     (default build/stratus)
#
# Prints "volumes: P passed, F failed"; exits non-zero on a failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(realpath "${1:-$root/build/stratus}")
fix=${FIXTURES_OUT:-$root/build/fixtures}
work=$(mktemp -d)
dev=("$bin" dev --address 127.0.0.1:0 --workers 2)
server=("${dev[@]}")
. "$root/tests/lib.sh"

ok=1
{ FIXTURES_OUT=$fix "$root/tests/fixtures/build.sh" &&
  FIXTURES_OUT=$fix "$root/tests/fixtures/build_volumes.sh"; } >"$work/fixtures.log" 2>&1 || ok=0
detail=$(tail -20 "$work/fixtures.log")
check "fixtures build (tests/fixtures/build.sh, build_volumes.sh)" test $ok -eq 1
command -v curl >/dev/null || fail "curl is installed (scripts/setup.sh installs it)"

# ---- volumes: hostPath (read-write and readOnly) and ephemeral ----
host=$work/host # the host's side of the hostPath volumes
mkdir -p "$host/data" "$host/ro"
echo "read-only input" >"$host/ro/in.txt"
echo "secret" >"$host/secret.txt" # beside /ro's directory: must stay out of reach
cat >"$work/vols.yaml" <<EOM
apiVersion: runtime.wasmcloud.dev/v1alpha1
kind: Workload
metadata:
  name: vols
spec:
  service:
    image: $fix/vol_service.component.wasm
    maxRestarts: 0
    localResources:
      volumeMounts:
        - name: data
          mountPath: /data
          readOnly: false
        - name: ro
          mountPath: /ro
          readOnly: true
        - name: scratch
          mountPath: /tmpdata
  volumes:
    - name: data
      hostPath:
        path: $host/data
    - name: ro
      hostPath:
        path: $host/ro
    - name: scratch
      ephemeral: {}
EOM
log=$work/vols.log
# line TEXT: the service printed TEXT as a whole line, prefixed by its name
line() { grep -qxF "[service] $1" "$log"; }
if start vols "$work/vols.yaml"; then
  until_log "$log" "service COMPLETED" 30
  ok=$?
  detail=$(cat "$log")
  check "volumes: the service runs once and is COMPLETED (run returned ok)" test $ok -eq 0
  detail=$(cat "$log")
  check "volumes: the service's output reaches the log with the [service] prefix" line "vol done"
  detail=$(cat "$log")
  check "volumes: a write to the hostPath mount /data succeeds" line "data write ok"
  detail=$(cat "$host/data/out.txt" 2>&1)
  check "volumes: the file written to /data/out.txt appears on the host with its content" \
    test "$detail" = "written by the service"
  detail=$(cat "$log")
  check "volumes: the readOnly mount /ro can be read" line "ro read: read-only input"
  detail=$(cat "$log")
  check "volumes: a write to the readOnly mount /ro is refused" line "ro write refused"
  detail=$(ls -la "$host/ro")
  check "volumes: and no file appeared in /ro's host directory" test ! -e "$host/ro/x.txt"
  detail=$(cat "$log")
  check "volumes: the ephemeral mount /tmpdata round-trips a file" line "tmpdata round trip ok"
  detail=$(cat "$log")
  check "volumes: an absolute path outside the mounts (/etc/passwd) does not open" \
    line "outside /etc/passwd: refused"
  detail=$(cat "$log")
  check "volumes: /data/../../etc/passwd does not open" line "outside /data/../../etc/passwd: refused"
  detail=$(cat "$log")
  check "volumes: /ro/../secret.txt (the hostPath's parent) does not open" \
    line "outside /ro/../secret.txt: refused"
  detail=$(cat "$log")
  check "volumes: nothing escaped" bash -c '! grep -q "ESCAPED\|ALLOWED" "$0"' "$log"
  stop; rc=$?
  detail="rc=$rc $(tail -5 "$log")"
  check "volumes: SIGTERM stops it with status 0" test $rc -eq 0
  detail=$(ls -la "$host/data")
  check "volumes: the hostPath directory keeps the file after the workload stops" \
    test -f "$host/data/out.txt"
else
  fail "volumes: stratus dev starts" "$(cat "$work/vols.yaml" "$log")"
fi

# ---- allowedHosts: outgoing HTTP from a component ----
# fetch_manifest FILE LOCAL-RESOURCES-YAML: a Workload serving http_fetch
fetch_manifest() {
  cat >"$1" <<EOM
apiVersion: runtime.wasmcloud.dev/v1alpha1
kind: Workload
metadata:
  name: fetch
spec:
  components:
    - name: fetcher
      image: $fix/http_fetch.component.wasm
$2
  hostInterfaces:
    - namespace: wasi
      package: http
      interfaces: [incoming-handler, outgoing-handler]
EOM
}
# req: "BODY STATUS" of a fetch of the upstream through the workload
req() { curl -s -m 30 -w ' %{http_code}' "http://$addr/?url=http://$up/"; }
# the upstream: stratus serve of http_hello
server=("$bin" serve --addr 127.0.0.1:0 --workers 1)
if start upstream "$fix/http_hello.component.wasm"; then
  up=$addr up_pid=$pid
  # "BODY STATUS" straight from the upstream: what the fetch must return
  want=$(curl -s -m 30 -w ' %{http_code}' "http://$up/")
  detail=$want; check "allowedHosts: the upstream (stratus serve http_hello) answers" \
    bash -c 'grep -q "hello" <<<"$0" && grep -q " 200$" <<<"$0"' "$want"
  server=("${dev[@]}")
  fetch_manifest "$work/allowed.yaml" '      localResources:
        allowedHosts:
          - "127.0.0.1"'
  if start allowed "$work/allowed.yaml"; then
    r=$(req)
    detail="$r (want: $want) $(tail -5 "$work/allowed.log")"
    check "allowedHosts: with 127.0.0.1 listed, the fetch returns the upstream's body" \
      test "$r" = "$want"
    stop
  else
    fail "allowedHosts: stratus dev starts (allowedHosts [127.0.0.1])" \
      "$(cat "$work/allowed.yaml" "$work/allowed.log")"
  fi
  fetch_manifest "$work/denied.yaml" ''
  if start denied "$work/denied.yaml"; then
    r=$(req)
    detail="$r $(tail -5 "$work/denied.log")"
    check "allowedHosts: without allowedHosts the same fetch gets 502 HTTP-request-denied" \
      bash -c 'grep -q "HTTP-request-denied" <<<"$0" && grep -q " 502$" <<<"$0"' "$r"
    stop
  else
    fail "allowedHosts: stratus dev starts (no allowedHosts)" "$(cat "$work/denied.yaml" "$work/denied.log")"
  fi
  stop "$up_pid"
else
  fail "allowedHosts: the upstream stratus serve starts" "$(cat "$work/upstream.log")"
fi

no_sanitizer_reports

finish volumes
