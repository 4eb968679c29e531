#!/usr/bin/env bash
# Sets up, builds and runs every Stratus test. Prints a closing line
# "N passed, N failed" and exits non-zero if anything failed.
#
#   scripts/test.sh          everything (CI runs exactly this)
#   QUICK=1 scripts/test.sh  skip the sanitizer build
set -u
cd "$(dirname "$0")/.."
root=$(pwd)
shared="$root/../shared"

scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

passed=0; failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }

step() { # step NAME COMMAND...: a whole step is one test
  local name=$1; shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}

# Runs the unit test programs and the spec suites against one build.
suite() {
  local build=$1
  for t in "$build"/tests/*; do
    [ -x "$t" ] || continue
    step "$build unit $(basename "$t")" timeout 300 "$t"
  done
  step "$build spec core" tests/spec/run_spec.sh "$build/stratus" \
    "$shared/wasm-testsuite/core" tests/spec/core.expected --label "core ($build)"
  step "$build engine regressions" tests/spec/run_spec.sh "$build/stratus" tests/engine \
    tests/engine/engine.expected --flags "-W exceptions" --label "engine ($build)"
  step "$build spec wasm-3.0" tests/spec/run_spec.sh "$build/stratus" \
    "$shared/wasm-testsuite/wasm-3.0" tests/spec/wasm-3.0.expected --flags "-W multi-memory -W exceptions" --label "wasm-3.0 ($build)"
  local cm="$shared/component-model-tests/test"
  step "$build spec component-model" tests/spec/run_spec.sh "$build/stratus" "$cm" \
    tests/spec/component-model.expected --flags "-W multi-memory -W exceptions" --skip-dir async --skip-list "$cm/nyi.txt" \
    --label "component-model ($build)"
  step "$build spec component-model async" tests/spec/run_spec.sh "$build/stratus" "$cm" \
    tests/spec/component-model-async.expected --flags "-W multi-memory -W exceptions" --only-dir async --skip-list "$cm/nyi.txt" \
    --label "component-model async ($build)"
  step "$build wasi preview1" tests/wasi/run_wasi.sh "$build/stratus"
  step "$build components (WASI 0.2)" tests/component/run_components.sh "$build/stratus"
  # the sanitizer build runs guests many times slower: a lighter load
  local load="SERVE_MIN_REQUESTS=300"
  [ "$build" = build-san ] && load="SERVE_MIN_REQUESTS=20 SERVE_CONNECTIONS=4 SERVE_SANITIZED=1"
  step "$build serve (wasi:http)" env $load tests/serve/run_serve.sh "$build/stratus"
  step "$build dev (workloads, routing, reload)" tests/dev/run_dev.sh "$build/stratus"
  step "$build messaging (request/reply through stratus dev)" tests/dev/run_messaging.sh "$build/stratus"
  step "$build service (cron, virtual loopback, restarts)" tests/dev/run_service.sh "$build/stratus"
  step "$build compose (components importing each other's exports)" tests/dev/run_compose.sh "$build/stratus"
  step "$build plugin example (out-of-tree host plugin)" tests/dev/run_plugin_example.sh "$build"
  step "$build multi (several workloads in one stratus dev, Host routing)" tests/dev/run_multi.sh "$build/stratus"
  step "$build gaps (kv-counter-c, blobstore grants, reference manifest)" tests/dev/run_gaps.sh "$build/stratus"
  step "$build volumes (hostPath, readOnly, ephemeral mounts; allowedHosts)" tests/dev/run_volumes.sh "$build/stratus"
  step "$build limits (memoryLimitMb, cpuLimit, poolSize, maxInvocations)" tests/dev/run_limits.sh "$build/stratus"
  # the cluster layer: real docker-registry and nats-server -js on loopback
  step "$build oci (push/pull against docker-registry, cache, auth)" tests/cluster/run_oci.sh "$build/stratus"
  step "$build nats plugins (JetStream KV, object store interop with npm nats, queue groups)" tests/cluster/run_nats_plugins.sh "$build/stratus"
  step "$build host (stratus host: protocol, errors, resilience, TLS)" tests/cluster/run_host.sh "$build/stratus"
  step "$build cluster (oci push, ctl start, HTTP, JetStream, replicas)" tests/cluster/run_cluster.sh "$build/stratus"
}

step "build" make -j2 all unit
[ -x build/stratus ] && suite build
[ -x build/stratus ] && step "example: examples/cluster/demo.sh (host, oci push, ctl start)" examples/cluster/demo.sh

if [ "${QUICK:-0}" != 1 ]; then
  step "build (ASan+UBSan)" make -j2 SAN=1 all unit
  [ -x build-san/stratus ] && ASAN_OPTIONS=detect_leaks=1:exitcode=99 UBSAN_OPTIONS=exitcode=98:print_stacktrace=1 suite build-san
fi

# Every input a fuzzer ever crashed on, replayed through its libFuzzer target.
step "fuzz regressions (fuzz/regressions/*)" fuzz/regress.sh

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
