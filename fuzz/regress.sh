#!/usr/bin/env bash
# fuzz/regress.sh: replays every saved input in fuzz/regressions/<target>/
# through build/fuzz/fuzz_<target> (built first with fuzz/build.sh). Prints
# one line per input and "N passed, N failed"; exits non-zero if any input
# still crashes, trips a sanitizer, leaks or runs out of memory.
# See fuzz/README.md.
set -u
cd "$(dirname "$0")/.."

fuzz/build.sh >/dev/null || { echo "fuzz/regress.sh: build failed (run fuzz/build.sh)"; echo "0 passed, 1 failed"; exit 1; }

passed=0; failed=0
log=$(mktemp /tmp/stratus-regress.XXXXXX)
trap 'rm -f "$log"' EXIT
for dir in fuzz/regressions/*/; do
  [ -d "$dir" ] || continue
  t=$(basename "$dir")
  bin=build/fuzz/fuzz_$t
  for input in "$dir"*; do
    [ -f "$input" ] || continue
    if [ ! -x "$bin" ]; then
      echo "FAIL $input (no target $bin)"
      failed=$((failed + 1))
      continue
    fi
    # One execution of the input; a timeout here is a failure too, since
    # only crashes are saved.
    if "$bin" -timeout=30 -rss_limit_mb=2048 "$input" >"$log" 2>&1; then
      echo "ok   $input"
      passed=$((passed + 1))
    else
      echo "FAIL $input"
      grep -E 'ERROR: |SUMMARY: |runtime error' "$log" | head -3 | sed 's/^/     /'
      failed=$((failed + 1))
    fi
  done
done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
