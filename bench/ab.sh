#!/usr/bin/env bash
# bench/ab.sh: compares two engine builds on the benchmark programs, the
# way each interpreter change is measured: the two binaries run in turn on
# one program, N rounds, and each keeps its best user time. Alternating
# cancels most of the drift of a shared machine, which moves run.sh's
# ratios by a few percent from one run to the next (bench/README.md).
# Not part of the test suite.
#
#   bench/ab.sh [-n N] A B [PROGRAM...]
#
#   -n N     rounds (default 5)
#   A, B     stratus binaries, e.g. a copy of build/stratus made before a
#            change (cp build/stratus /tmp/stratus.before) and build/stratus
#   PROGRAM  names in bench/programs (default: all); bench/run.sh builds
#            their .wasm into $BENCH_OUT (default build/bench) first
#
# Prints per program: A's and B's best user seconds and B/A (below 1: B is
# faster).
set -u
rounds=5
if [ "${1:-}" = -n ]; then
  rounds=$2
  shift 2
fi
if [ $# -lt 2 ]; then
  sed -n '9,18p' "$0" >&2
  exit 2
fi
a=$(realpath "$1") b=$(realpath "$2")
shift 2
cd "$(dirname "$0")/.."
out=${BENCH_OUT:-build/bench}
if [ $# -eq 0 ]; then
  set -- $(ls bench/programs/*.c | xargs -n1 basename | sed 's/\.c$//')
fi
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
# user_time BIN WASM: user seconds of one run, or 999 when it fails.
user_time() {
  if /usr/bin/time -f %U -o "$tmp" "$1" run "$2" >/dev/null 2>&1; then
    cat "$tmp"
  else
    echo 999
  fi
}
min() { awk -v x="$1" -v y="$2" 'BEGIN { print (x < y) ? x : y }'; }
for p in "$@"; do
  wasm=$out/$p.wasm
  if [ ! -f "$wasm" ]; then
    echo "bench/ab.sh: no $wasm; run bench/run.sh -r stratus $p first" >&2
    exit 2
  fi
  best_a=999 best_b=999
  for ((i = 0; i < rounds; i++)); do
    best_a=$(min "$best_a" "$(user_time "$a" "$wasm")")
    best_b=$(min "$best_b" "$(user_time "$b" "$wasm")")
  done
  awk -v p="$p" -v x="$best_a" -v y="$best_b" \
    'BEGIN { printf "%-12s A %6.2f s  B %6.2f s  B/A %.3f\n", p, x, y, (x > 0 && x < 999) ? y / x : 0 }'
done
