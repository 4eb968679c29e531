#!/usr/bin/env bash
# fuzz/run.sh: runs each libFuzzer target for SECONDS (default 60) and saves
# every crashing input under fuzz/regressions/<target>/. Not part of the
# test suite (fuzz/regress.sh is). See fuzz/README.md.
#
#   fuzz/run.sh [SECONDS]
#
# Environment:
#   TARGETS    which targets (default "decode text exec component http proto workload")
#   SPEC       spec scripts to seed from (default ../shared/wasm-testsuite/core)
#   TIMEOUT    seconds per input before libFuzzer calls it a timeout (default 5)
#   RSS_MB     memory limit per process (default 2048)
#
# Seeds are built at run time into a temporary directory (wast2json of the
# spec scripts for the binary targets, their top-level forms for the text
# target); nothing from the spec suite is copied into the repository. The
# corpus each run grows is kept in build/fuzz/corpus/<target>/.
#
# Timeouts are not kept (fuzz_exec runs under fuel, but heavy finite
# inputs can still be slow on a sanitizer build; see README.md). Crashes,
# sanitizer reports, leaks and out-of-memory are findings.
set -u
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=${1:-60}
targets=${TARGETS:-decode text exec component http proto workload}
cmtests=$root/../shared/component-model-tests/test
spec=${SPEC:-$root/../shared/wasm-testsuite/core}
timeout_s=${TIMEOUT:-5}
rss_mb=${RSS_MB:-2048}

fuzz/build.sh >/dev/null || { echo "fuzz/run.sh: build failed (run fuzz/build.sh)" >&2; exit 2; }

work=$(mktemp -d /tmp/stratus-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

# ---- seeds ----

mkdir -p "$work/seed-bin" "$work/seed-text" "$work/json"
if [ -d "$spec" ] && command -v wast2json >/dev/null; then
  for f in "$spec"/*.wast; do
    b=$(basename "$f" .wast)
    # Some scripts use syntax wabt does not know; skip those quietly.
    (wast2json --enable-all "$f" -o "$work/json/$b.json" >/dev/null 2>&1; true) 2>/dev/null
    awk -v OUT="$work/seed-text" -v PREFIX="$b" -f fuzz/wast_forms.awk "$f"
  done
  find "$work/json" -name '*.wasm' -size -256k -exec mv -t "$work/seed-bin" {} + 2>/dev/null
  # Text modules wabt wrote for assert_malformed/invalid (module quote).
  find "$work/json" -name '*.wat' -size -64k -exec mv -t "$work/seed-text" {} + 2>/dev/null
else
  echo "fuzz/run.sh: no spec scripts at $spec (or no wast2json); starting from empty corpora" >&2
fi
rm -rf "$work/json"
# Component seeds: the top-level forms of the component-model scripts
# (text; fuzz_component compiles text inputs before decoding them).
mkdir -p "$work/seed-cm"
if [ -d "$cmtests" ]; then
  for f in "$cmtests"/*/*.wast; do
    awk -v OUT="$work/seed-cm" -v PREFIX="$(basename "$(dirname "$f")")-$(basename "$f" .wast)" \
      -f fuzz/wast_forms.awk "$f"
  done
fi
echo "seeds: $(ls "$work/seed-bin" | wc -l) binary, $(ls "$work/seed-text" | wc -l) text, $(ls "$work/seed-cm" | wc -l) component"

# ---- findings ----

# signature BIN INPUT: replays INPUT and prints a one-line description of
# the failure (the sanitizer's error kind and the top three frames of our
# code, or the UBSan source location), so one bug found through many inputs
# is saved once. Prints nothing if the input no longer fails.
signature() {
  "$1" -timeout=30 -rss_limit_mb="$rss_mb" "$2" 2>&1 | awk '
    done { next }
    /runtime error:/ {
      line = $0; sub(/^.*\/src\//, "src/", line); sub(/: runtime error.*/, "", line)
      print "ubsan " line; done = 1; next
    }
    /ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)/ && kind == "" {
      kind = $0; sub(/^.*ERROR: /, "", kind); sub(/ on (unknown )?address.*/, "", kind)
      sub(/ \(.*$/, "", kind); sub(/: detected memory leaks/, " leak", kind)
    }
    kind != "" && /^ *#[0-9]+ 0x[0-9a-f]+ in / {
      f = $4
      if (f ~ /^(__interceptor_|__asan|__ubsan|__sanitizer|__lsan|malloc|calloc|realloc|free)/) next
      if (f ~ /^(LLVMFuzzer|fuzzer::|main$)/) { if (k == 0) sig = " " f; print kind ":" sig; done = 1; next }
      sig = sig " " f
      if (++k == 3) { print kind ":" sig; done = 1 }
    }
    END { if (!done && kind != "") print kind ":" sig }'
}

# ---- fuzzing ----

findings=0
for t in $targets; do
  bin=build/fuzz/fuzz_$t
  [ -x "$bin" ] || { echo "fuzz/run.sh: no target $bin" >&2; continue; }
  case $t in
    text) seeds=$work/seed-text ;;
    component) seeds=$work/seed-cm ;;
    http) # a few request heads and a chunked body, written here
      seeds=$work/seed-http
      mkdir -p "$seeds"
      printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' >"$seeds/get"
      printf 'POST /x?y=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc' >"$seeds/post"
      printf 'PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: v\r\n\r\n' >"$seeds/chunked"
      printf 'GET / HTTP/1.0\r\nExpect: 100-continue\r\nConnection: keep-alive\r\n\r\n' >"$seeds/http10" ;;
    proto) # the first byte picks the message (proto_messages[] order)
      seeds=$work/seed-proto
      mkdir -p "$seeds"
      printf '\000{"id":"h1","hostname":"n","labels":{"hostgroup":"default"},"startedAt":"2026-11-26T16:35:58Z","systemCpuUsage":0.5,"systemMemoryTotal":"8236","imports":[{"namespace":"wasi","package":"keyvalue","interfaces":["store"]}],"httpPort":9191}' >"$seeds/heartbeat"
      printf '\016{"workload":{"namespace":"default","name":"hello","annotations":{"a":"b"},"service":{"image":"s","maxRestarts":"3"},"witWorld":{"components":[{"name":"c","image":"localhost:5000/x:1","poolSize":2,"maxInvocations":-1,"imagePullPolicy":"IMAGE_PULL_POLICY_ALWAYS","imagePullSecret":{"username":"u","password":"p"},"localResources":{"memoryLimitMb":64,"environment":{"K":"V"},"volumeMounts":[{"name":"v","mountPath":"/d","readOnly":true}],"allowedHosts":["*.x"]}}],"hostInterfaces":[{"namespace":"wasi","package":"http","interfaces":["incoming-handler"],"config":{"host":"a.test"}}]},"volumes":[{"name":"v","hostPath":{"localPath":"/tmp"}},{"name":"e","emptyDir":{}}]},"workloadId":"wl-1"}' >"$seeds/start"
      printf '\020{"workload_id":"wl-1"}' >"$seeds/status"
      printf '\017{"workloadStatus":{"workloadId":"w","workloadState":"WORKLOAD_STATE_RUNNING","message":"ok"}}' >"$seeds/reply" ;;
    workload) # WorkloadStartRequests: the proto seeds' start request, and a service
      seeds=$work/seed-workload
      mkdir -p "$seeds"
      printf '{"workload":{"namespace":"default","name":"hello","witWorld":{"components":[{"name":"c","image":"localhost:5000/x:1","poolSize":2,"imagePullPolicy":"IMAGE_PULL_POLICY_ALWAYS","localResources":{"memoryLimitMb":64,"environment":{"K":"V"},"volumeMounts":[{"name":"v","mountPath":"/d","readOnly":true}],"allowedHosts":["*.x"]}}],"hostInterfaces":[{"namespace":"wasi","package":"http","interfaces":["incoming-handler"],"config":{"host":"a.test"}}]},"volumes":[{"name":"v","hostPath":{"localPath":"/tmp"}},{"name":"e","emptyDir":{}}]},"workloadId":"wl-1"}' >"$seeds/start"
      printf '{"workload":{"namespace":"ns","name":"cron","service":{"image":"svc","maxRestarts":"2","localResources":{"cpuLimit":1}},"witWorld":{"hostInterfaces":[{"namespace":"wasi","package":"keyvalue","version":"0.2.0-draft","interfaces":["store","atomics"],"name":"cache","config":{"bucket":"b"}}]}},"workloadId":"w2"}' >"$seeds/service" ;;
    *) seeds=$work/seed-bin ;;
  esac
  corpus=build/fuzz/corpus/$t
  artifacts=$work/artifacts-$t
  mkdir -p "$corpus" "$artifacts" "fuzz/regressions/$t"
  echo "== fuzz_$t for ${seconds}s"
  # Fork mode keeps going after a crash, OOM or timeout; the child writes
  # each artifact under artifact_prefix.
  "$bin" "$corpus" "$seeds" \
    -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
    -max_total_time="$seconds" -timeout="$timeout_s" -rss_limit_mb="$rss_mb" \
    -artifact_prefix="$artifacts/" -print_final_stats=1 \
    >"$work/log-$t" 2>&1
  grep -E '^#[0-9]+.*(DONE|INITED)|stat::number_of_executed_units|cov:' "$work/log-$t" | tail -2
  known=$work/known-$t # signatures of saved inputs, computed on demand
  for a in "$artifacts"/*; do
    [ -f "$a" ] || continue
    case $(basename "$a") in
      timeout-*|slow-unit-*) continue ;;
    esac
    dest=fuzz/regressions/$t/$(basename "$a")
    [ -f "$dest" ] && continue
    if [ ! -f "$known" ]; then
      : >"$known"
      for old in fuzz/regressions/$t/*; do
        [ -f "$old" ] && signature "$bin" "$old" >>"$known"
      done
    fi
    sig=$(signature "$bin" "$a")
    [ -n "$sig" ] || sig="(does not reproduce alone) $(basename "$a")"
    grep -qxF -- "$sig" "$known" && continue
    echo "$sig" >>"$known"
    cp "$a" "$dest"
    findings=$((findings + 1))
    echo "finding: $dest"
    echo "  $sig"
    echo "$dest: $sig" >>build/fuzz/findings.txt
  done
  # Keep the log of the last run per target for the stack traces.
  cp "$work/log-$t" "build/fuzz/last-$t.log"
done
echo "fuzz/run.sh: $findings new finding(s); stack traces in build/fuzz/last-<target>.log," \
  "one line per finding in build/fuzz/findings.txt"
[ $findings -eq 0 ]
