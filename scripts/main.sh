#!/usr/bin/env bash
# The main job on the embedded default: set up, build, run an example.
# (Becomes `stratus serve` of an example HTTP component once serve exists.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
make -j2
build/stratus wast -v examples/hello.wast
