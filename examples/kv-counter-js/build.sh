#!/usr/bin/env bash
# Builds the counter into build/examples/kv-counter-js/counter.wasm
# (componentize-js; wasi:keyvalue's WIT from tests/fixtures/plugins/deps).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build/examples/kv-counter-js
mkdir -p "$out"
ex=$root/examples/kv-counter-js
hash=$(cat "$ex/app.js" "$ex/world.wit" "$root/scripts/componentize.sh" \
  "$root/tests/fixtures/plugins/deps/keyvalue/"*.wit | sha256sum | cut -d' ' -f1)
if [ -f "$out/counter.wasm" ] && [ "$(cat "$out/counter.wasm.sha256" 2>/dev/null)" = "$hash" ]; then
  exit 0 # up to date
fi
"$root/scripts/componentize.sh" "$root/examples/kv-counter-js/app.js" \
  "$root/examples/kv-counter-js/world.wit" counter "$out/counter.wasm.tmp" \
  "$root/tests/fixtures/plugins/deps/keyvalue"
mv "$out/counter.wasm.tmp" "$out/counter.wasm" # whole, for a watching `stratus dev`
echo "$hash" >"$out/counter.wasm.sha256"
