#!/usr/bin/env bash
# Installs what bench/run.sh needs on Debian bookworm (idempotent): the
# project's build and wasm32-wasi toolchain and Node.js (the reference
# runner); wabt's wasm-interp comes with the project's set-up.
set -euo pipefail
exec "$(dirname "$0")/../scripts/setup.sh"
