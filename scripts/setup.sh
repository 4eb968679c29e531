#!/usr/bin/env bash
# Installs what building and testing Stratus needs on Debian bookworm,
# plus any extra packages named as arguments.
# Idempotent: packages already present are not fetched again.
set -euo pipefail

packages=(
  build-essential   # gcc, make
  clang             # sanitizer builds and libFuzzer
  clang-14 lld-14   # C to wasm32-wasi for test programs and benchmarks
  wasi-libc
  libclang-rt-14-dev-wasm32
  wabt              # wat2wasm & co: oracles for tests, not runtime deps
  libcurl4-openssl-dev # wasi:http outgoing requests
  libyaml-dev       # workload manifests
  libjansson-dev    # wasmcloud.runtime.v2 protocol JSON
  libnats-dev       # nats.c: the cluster host and the NATS plugin backends
  nats-server       # tests start a real nats-server -js on loopback
  docker-registry   # OCI tests push to and pull from a real registry
  python3 openssl   # test helpers: free ports, silent listeners, TLS certificates
  curl wrk          # HTTP tests and benchmarks
  "$@"
)
# Node.js runs jco and componentize-js, which build the test components;
# a machine that already has node (e.g. from NodeSource) keeps its own.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm packages pinned in package-lock.json; reinstalled only when the lock
# changed since the last install.
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund >/dev/null
fi
