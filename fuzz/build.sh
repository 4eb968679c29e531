#!/usr/bin/env bash
# fuzz/build.sh: builds the libFuzzer targets into build/fuzz/:
#   fuzz_decode  binary decoder + validator (wasm_module_new)
#   fuzz_text    text parser (wasm_wat_to_binary, wast_parse)
#   fuzz_exec    instantiate with dummy imports + call every export
#   fuzz_http    HTTP/1.1 request-head parser + chunked decoder (src/http/http_parse.c)
# compiling src/wasm/*.c directly with clang-14 -fsanitize=fuzzer,address,
# undefined. Incremental (make with dependency files). See fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-14 >/dev/null || { echo "fuzz/build.sh: clang-14 missing (apt-get install clang-14)" >&2; exit 2; }
exec make --no-print-directory -f fuzz/fuzz.mk -j"${JOBS:-2}" "$@"
