#!/usr/bin/env bash
# Builds the example into build/examples/http-hello-js.component.wasm
# (componentize-js); does nothing when it is up to date. Serve it with
#   build/stratus serve build/examples/http-hello-js.component.wasm
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$root/build/examples"
exec "$root/scripts/componentize.sh" "$root/examples/http-hello-js/app.js" \
  "$root/examples/http-hello-js/world.wit" hello "$root/build/examples/http-hello-js.component.wasm"
