#!/usr/bin/env bash
# Builds the counter into build/examples/kv-counter-js/counter.wasm
# (componentize-js; wasi:keyvalue's WIT from tests/fixtures/plugins/deps);
# does nothing when it is up to date.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$root/build/examples/kv-counter-js"
exec "$root/scripts/componentize.sh" "$root/examples/kv-counter-js/app.js" \
  "$root/examples/kv-counter-js/world.wit" counter "$root/build/examples/kv-counter-js/counter.wasm" \
  "$root/tests/fixtures/plugins/deps/keyvalue"
