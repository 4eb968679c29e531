#!/usr/bin/env bash
# The main job on the embedded default: set up, build, and run an example
# C program as a WASI core module and as a wasi:cli/command component.
# (Becomes `stratus serve` of an example HTTP component once serve exists.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
make -j2

out=build/examples
mkdir -p "$out"
clang-14 --target=wasm32-wasi --sysroot=/usr -O2 -o "$out/hello.wasm" examples/hello-c/hello.c
node_modules/.bin/jco new "$out/hello.wasm" --wasi-command -o "$out/hello.component.wasm" >/dev/null

echo "== stratus run (core module, WASI preview1)"
build/stratus run --env GREETING=Hello "$out/hello.wasm" Stratus
echo "== stratus run (component, WASI 0.2)"
build/stratus run --env GREETING=Hi "$out/hello.component.wasm" Stratus
echo "== stratus inspect"
build/stratus inspect "$out/hello.component.wasm" >"$out/hello.inspect"
head -20 "$out/hello.inspect" # (not piped: pipefail would stop the script on SIGPIPE)
echo "== stratus wast (a spec-style script)"
build/stratus wast examples/hello.wast
