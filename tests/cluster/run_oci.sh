#!/usr/bin/env bash
# End-to-end tests of `stratus oci push|pull` against Debian's
# docker-registry (tests/cluster/registry.sh) on a free loopback port:
#   - push a C component with --insecure, pull it back byte-identical
#     (the printed digest is the file's); pull by manifest digest; the
#     default output file component.wasm;
#   - without --insecure: a clear error naming the flag; a missing tag:
#     an error naming it; usage errors exit 2;
#   - pull policies: never before and after caching; if-not-present with
#     the registry stopped (from the cache); always with it stopped (fails);
#   - digests: a tampered cache blob and a registry serving a tampered
#     blob (its storage file edited on disk) are digest-mismatch errors;
#   - a manifest pushed by hand with curl: the legacy layer media type
#     application/vnd.module.wasm.content.layer.v1+wasm, and an image index;
#   - basic auth (htpasswd, bcrypt): no credentials, wrong ones, -u/-p,
#     STRATUS_OCI_USER/STRATUS_OCI_PASSWORD;
#   - --timeout against a listener that never answers;
# and prints the pull time of a cached and of a fresh ~12 MB component
# (the componentize-js fixture).
#
#   tests/cluster/run_oci.sh [STRATUS]     (default build/stratus)
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(realpath "${1:-$root/build/stratus}")
fix=${FIXTURES_OUT:-$root/build/fixtures}
work=$(mktemp -d)
. "$root/tests/lib.sh"
. "$here/registry.sh"

now_ms() { date +%s%3N; }
# oci NAME ARGS...: runs `stratus oci ARGS`, stdout in $work/NAME.out,
# stderr in $work/NAME.log; its exit status.
oci() {
  local name=$1; shift
  "$bin" oci "$@" >"$work/$name.out" 2>"$work/$name.log"
}
# fails_with NAME TEXT ARGS...: the command exits 1 and says TEXT on stderr
fails_with() {
  local name=$1 text=$2 rc=0; shift 2
  oci "$name" "$@" || rc=$?
  detail="exit $rc: $(cat "$work/$name.log")"
  [ $rc -eq 1 ] && grep -qF -- "$text" "$work/$name.log" && [ "$(wc -l <"$work/$name.log")" -eq 1 ]
}
sha() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }

if ! FIXTURES_OUT=$fix "$root/tests/fixtures/build.sh" >"$work/fixtures.log" 2>&1; then
  fail "fixtures build (tests/fixtures/build.sh)" "$(tail -20 "$work/fixtures.log")"
  finish oci
fi
app=$fix/http_hello.component.wasm
big=$fix/js_app.component.wasm

registry_start "$work/registry" 2>"$work/registry-start.err" ||
  { fail "docker-registry starts" "$(cat "$work/registry-start.err")"; finish oci; }
pass "docker-registry starts on $registry_addr"
R=$registry_addr
cache=$work/cache

# ---- push, pull back ----
detail=$(cat "$work/push.log" 2>/dev/null)
check "push --insecure prints the manifest digest" \
  bash -c "'$bin' oci push --insecure '$R/test/hello:v1' '$app' >'$work/push.out' 2>'$work/push.log' && grep -qE '^sha256:[0-9a-f]{64}$' '$work/push.out'"
mdigest=$(cat "$work/push.out")
oci pull1 pull --insecure --cache-dir "$cache" "$R/test/hello:v1" "$work/out1.wasm"
detail=$(cat "$work/pull1.log")
check "pull --insecure: byte-identical to what was pushed" cmp -s "$app" "$work/out1.wasm"
detail="printed $(cat "$work/pull1.out"), file $(sha "$app")"
check "pull prints the layer digest" test "$(cat "$work/pull1.out")" = "$(sha "$app")"
manifest=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$R/v2/test/hello/manifests/v1")
detail=$manifest
check "the manifest: artifactType, application/wasm layer, title and created annotations" \
  bash -c 'grep -q "\"artifactType\":\"application/vnd.wasm.config.v0+json\"" <<<"$1" &&
           grep -q "\"mediaType\":\"application/wasm\"" <<<"$1" &&
           grep -q "\"org.opencontainers.image.title\":\"http_hello.component.wasm\"" <<<"$1" &&
           grep -qE "\"org.opencontainers.image.created\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\"" <<<"$1"' _ "$manifest"
cfg_digest=$(sed -n 's/.*"config":{[^}]*"digest":"\(sha256:[0-9a-f]*\)".*/\1/p' <<<"$manifest")
config=$(curl -s "http://$R/v2/test/hello/blobs/$cfg_digest")
detail=$config
check "the config blob: architecture wasm, os wasip2, layerDigests" \
  bash -c 'grep -q "\"architecture\":\"wasm\"" <<<"$1" && grep -q "\"os\":\"wasip2\"" <<<"$1" &&
           grep -q "\"layerDigests\":\[\"$2\"\]" <<<"$1"' _ "$config" "$(sha "$app")"
oci pull-digest pull --insecure --cache-dir "$work/cache-d" "$R/test/hello@$mdigest" "$work/out-d.wasm"
detail=$(cat "$work/pull-digest.log")
check "pull by manifest digest (REF@sha256:...)" cmp -s "$app" "$work/out-d.wasm"
mkdir -p "$work/cwd"
(cd "$work/cwd" && "$bin" oci pull --insecure --cache-dir "$cache" "$R/test/hello:v1" >/dev/null 2>"$work/pull-default.log")
check "pull without an output file writes component.wasm" cmp -s "$app" "$work/cwd/component.wasm"
mkfifo "$work/fifo"
timeout 30 cat "$work/fifo" >"$work/from-fifo.wasm" &
cat_pid=$!
oci pull-fifo pull --insecure --cache-dir "$cache" "$R/test/hello:v1" "$work/fifo" || timeout 5 sh -c ": >'$work/fifo'"
wait "$cat_pid"
check "pull into a FIFO writes through it (no rename over it)" \
  bash -c "test -p '$work/fifo' && cmp -s '$app' '$work/from-fifo.wasm'"

# ---- errors ----
check "pull without --insecure: a clear error naming the flag" \
  fails_with pull-tls "--insecure" pull --cache-dir "$work/cache-tls" "$R/test/hello:v1" "$work/x.wasm"
check "push without --insecure: the same error" \
  fails_with push-tls "--insecure" push "$R/test/hello:v1" "$app"
check "pull of a missing tag: an error naming it" \
  fails_with pull-missing "$R/test/hello:nope: not found" pull --insecure --cache-dir "$cache" "$R/test/hello:nope" "$work/x.wasm"
check "pull of a missing repository: an error naming it" \
  fails_with pull-norepo "$R/no/such:v1" pull --insecure --cache-dir "$cache" "$R/no/such:v1" "$work/x.wasm"
check "an invalid reference: an error naming it" \
  fails_with pull-badref "invalid image reference '$R/Bad:v1'" pull --insecure "$R/Bad:v1" "$work/x.wasm"
check "push of a file that is not wasm: an error" \
  fails_with push-notwasm "not a WebAssembly file" push --insecure "$R/test/x:v1" "$root/README.md"
rc=0; "$bin" oci pull >/dev/null 2>&1 || rc=$?
check "no arguments: usage, exit 2" test $rc -eq 2
rc=0; "$bin" oci pull --pull-policy sometimes "$R/test/hello:v1" >/dev/null 2>&1 || rc=$?
check "a bad --pull-policy: exit 2" test $rc -eq 2
rc=0; "$bin" oci pull --timeout xyz "$R/test/hello:v1" >/dev/null 2>&1 || rc=$?
check "a bad --timeout: exit 2" test $rc -eq 2
[ -e "$work/x.wasm" ] && fail "a failed pull leaves no output file" || pass "a failed pull leaves no output file"

# ---- pull policies ----
check "never before caching: an error saying so" \
  fails_with never1 "pull policy is Never" pull --pull-policy never --cache-dir "$work/cache-n" "$R/test/hello:v1" "$work/n.wasm"
oci never-fill pull --insecure --cache-dir "$work/cache-n" "$R/test/hello:v1" "$work/n0.wasm"
oci never2 pull --pull-policy never --cache-dir "$work/cache-n" "$R/test/hello:v1" "$work/n.wasm"
detail=$(cat "$work/never2.log")
check "never after caching: from the cache" cmp -s "$app" "$work/n.wasm"
registry_stop
oci ifnp pull --insecure --cache-dir "$cache" "$R/test/hello:v1" "$work/ifnp.wasm"
detail=$(cat "$work/ifnp.log")
check "if-not-present with the registry stopped: from the cache" cmp -s "$app" "$work/ifnp.wasm"
check "always with the registry stopped: fails naming the reference" \
  fails_with always-down "$R/test/hello:v1" pull --insecure --pull-policy always --cache-dir "$cache" "$R/test/hello:v1" "$work/a.wasm"
registry_restart 2>>"$work/registry-start.err" || { fail "docker-registry restarts"; finish oci; }
oci always pull --insecure --pull-policy always --cache-dir "$cache" "$R/test/hello:v1" "$work/a.wasm"
detail=$(cat "$work/always.log")
check "always with the registry back: pulls" cmp -s "$app" "$work/a.wasm"

# ---- digests ----
blob=$cache/blobs/sha256/$(sha "$app" | cut -d: -f2)
printf 'X' | dd of="$blob" bs=1 seek=100 conv=notrunc 2>/dev/null
check "a tampered cache blob: a digest mismatch error" \
  fails_with tampered-cache "digest mismatch" pull --insecure --cache-dir "$cache" "$R/test/hello:v1" "$work/t.wasm"
oci refetch pull --insecure --cache-dir "$cache" "$R/test/hello:v1" "$work/t.wasm"
check "the next pull fetches it again" cmp -s "$app" "$work/t.wasm"
data=$(registry_blob_file "$(sha "$app")")
cp "$data" "$work/blob.orig"
printf 'X' | dd of="$data" bs=1 seek=100 conv=notrunc 2>/dev/null
check "a registry serving a tampered blob: a digest mismatch error" \
  fails_with tampered-registry "digest mismatch" pull --insecure --cache-dir "$work/cache-t" "$R/test/hello:v1" "$work/t2.wasm"
check "nothing of the tampered blob stays in the cache" \
  test -z "$(ls -A "$work/cache-t/blobs/sha256")"
cp "$work/blob.orig" "$data"

# ---- manifests written by hand: the legacy layer type, an image index ----
# upload REPO FILE: a monolithic blob upload (POST, then PUT ?digest=)
upload() {
  local loc
  loc=$(curl -s -o /dev/null -D - -X POST "http://$R/v2/$1/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  case $loc in http*) ;; *) loc="http://$R$loc" ;; esac
  curl -s -f -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' \
    --data-binary "@$2" "$loc&digest=$(sha "$2")"
}
printf '{}' >"$work/empty.json"
upload test/legacy "$work/empty.json" && upload test/legacy "$app"
man='{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.wasm.config.v0+json","digest":"'$(sha "$work/empty.json")'","size":2},"layers":[{"mediaType":"application/vnd.module.wasm.content.layer.v1+wasm","digest":"'$(sha "$app")'","size":'$(stat -c %s "$app")'}]}'
printf '%s' "$man" >"$work/legacy.json"
curl -s -f -o /dev/null -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
  --data-binary "@$work/legacy.json" "http://$R/v2/test/legacy/manifests/v1"
oci legacy pull --insecure --cache-dir "$cache" "$R/test/legacy:v1" "$work/legacy.wasm"
detail=$(cat "$work/legacy.log")
check "the legacy layer media type pulls" cmp -s "$app" "$work/legacy.wasm"
idx='{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"'$(sha "$work/legacy.json")'","size":'$(stat -c %s "$work/legacy.json")',"platform":{"architecture":"wasm","os":"wasip2"}}]}'
printf '%s' "$idx" >"$work/index.json"
curl -s -f -o /dev/null -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' \
  --data-binary "@$work/index.json" "http://$R/v2/test/legacy/manifests/multi"
oci index pull --insecure --cache-dir "$cache" "$R/test/legacy:multi" "$work/index.wasm"
detail=$(cat "$work/index.log")
check "an image index resolves to its wasm manifest" cmp -s "$app" "$work/index.wasm"
printf '%s' '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.wasm.config.v0+json","digest":"'$(sha "$work/empty.json")'","size":2},"layers":[{"mediaType":"application/octet-stream","digest":"'$(sha "$app")'","size":'$(stat -c %s "$app")'}]}' >"$work/notwasm.json"
curl -s -f -o /dev/null -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
  --data-binary "@$work/notwasm.json" "http://$R/v2/test/legacy/manifests/notwasm"
check "a manifest without a wasm layer: 'not a wasm artifact'" \
  fails_with notwasm "not a wasm artifact" pull --insecure --cache-dir "$cache" "$R/test/legacy:notwasm" "$work/x.wasm"

# ---- timings: a ~12 MB component, fresh and cached ----
oci push-big push --insecure "$R/test/js:v1" "$big"
# wall, user and system seconds of each (the machine may be busy: CPU
# time says what the pull itself costs)
TIMEFORMAT='%R s wall, %U s user, %S s sys'
{ time oci pull-big pull --insecure --cache-dir "$work/cache-big" "$R/test/js:v1" "$work/big.wasm"; } 2>"$work/t-fresh"
{ time oci pull-big2 pull --insecure --cache-dir "$work/cache-big" "$R/test/js:v1" "$work/big2.wasm"; } 2>"$work/t-cached"
detail="$(cat "$work/push-big.log" "$work/pull-big.log")"
check "a $(($(stat -c %s "$big") / 1048576)) MB component: push, pull, byte-identical" \
  bash -c "cmp -s '$big' '$work/big.wasm' && cmp -s '$big' '$work/big2.wasm'"
echo "timing: fresh pull of $(stat -c %s "$big") bytes: $(cat "$work/t-fresh")"
echo "timing: cached pull (if-not-present, digest re-verified, copied out): $(cat "$work/t-cached")"
registry_stop

# ---- basic auth (htpasswd) ----
if registry_htpasswd "$work/htpasswd" alice 's3cret pw' 2>"$work/htpasswd.err" &&
   registry_start "$work/registry-auth" "$work/htpasswd" 2>"$work/registry-start.err"; then
  A=$registry_addr
  check "auth: push without credentials: unauthorized, asks for -u/-p" \
    fails_with auth-none "wants credentials" push --insecure "$A/test/hello:v1" "$app"
  check "auth: wrong password: rejected" \
    fails_with auth-wrong "rejected the credentials" push --insecure -u alice -p nope "$A/test/hello:v1" "$app"
  check "auth: push with -u/-p" oci auth-push push --insecure -u alice -p 's3cret pw' "$A/test/hello:v1" "$app"
  STRATUS_OCI_USER=alice STRATUS_OCI_PASSWORD='s3cret pw' oci auth-pull pull --insecure --cache-dir "$work/cache-auth" "$A/test/hello:v1" "$work/auth.wasm"
  detail=$(cat "$work/auth-pull.log")
  check "auth: pull with STRATUS_OCI_USER/STRATUS_OCI_PASSWORD" cmp -s "$app" "$work/auth.wasm"
  check "auth: pull anonymous: unauthorized" \
    fails_with auth-anon "unauthorized" pull --insecure --cache-dir "$work/cache-auth2" "$A/test/hello:v1" "$work/x.wasm"
  registry_stop
else
  fail "auth: a registry with htpasswd starts" "$(cat "$work/htpasswd.err" "$work/registry-start.err")"
fi

# ---- timeout: a listener that accepts and never answers ----
python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
conns = []
end = time.time() + 30
while time.time() < end:
    s.settimeout(max(0.1, end - time.time()))
    try: conns.append(s.accept()[0])
    except socket.timeout: pass
' >"$work/silent.port" &
silent_pid=$!
pids+=("$silent_pid")
for _ in $(seq 1 50); do [ -s "$work/silent.port" ] && break; sleep 0.1; done
t0=$(now_ms)
check "--timeout 1s against a silent registry: 'timed out after 1s'" \
  fails_with timeout "timed out after 1s" pull --insecure --timeout 1s --cache-dir "$work/cache-to" "127.0.0.1:$(cat "$work/silent.port")/test/x:v1" "$work/x.wasm"
took=$(($(now_ms) - t0))
detail="took $took ms"
check "... and gives up within 3 s" test $took -lt 3000
kill "$silent_pid" 2>/dev/null

no_sanitizer_reports
finish oci
