#!/usr/bin/env bash
# Installs what building and testing Stratus needs on Debian bookworm,
# plus any extra packages named as arguments (bench/setup.sh adds nodejs).
# Idempotent: packages already present are not fetched again.
set -euo pipefail

packages=(
  build-essential   # gcc, make
  clang             # sanitizer builds and libFuzzer
  clang-14 lld-14   # C to wasm32-wasi for test programs and benchmarks
  wasi-libc
  libclang-rt-14-dev-wasm32
  wabt              # wat2wasm & co: oracles for tests, not runtime deps
  "$@"
)

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
