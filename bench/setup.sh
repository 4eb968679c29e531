#!/usr/bin/env bash
# Installs what bench/run.sh needs on Debian bookworm (idempotent): the
# wasm32-wasi toolchain (clang-14, lld-14, wasi-libc, the wasm32 compiler
# runtime), Node.js (the reference runner) and wabt (wasm-interp).
set -euo pipefail

packages=(build-essential clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32 nodejs wabt)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "bench/setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
