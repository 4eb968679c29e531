#!/usr/bin/env bash
# Runs every .wast script of a suite with `stratus wast` and compares the
# failing assertions with an expectations file, so that a regression and an
# unexpected pass both fail the run (the expectations list only shrinks).
#
#   tests/spec/run_spec.sh STRATUS SUITE_DIR EXPECTED [--record] [--label L]
#                          [--skip-dir D]... [--only-dir D] [--skip-list FILE]
#                          [--flags "STRATUS WAST FLAGS"]
#
# Scripts are found recursively and named by their path inside SUITE_DIR
# ("values/strings.wast"). --skip-dir leaves out a subdirectory, --only-dir
# keeps only one;
# --skip-list leaves out the scripts a file lists (one "./path" a line, as
# the component-model suite's nyi.txt does).
# EXPECTED lists one known failure per line: "file.wast:LINE" for a failing
# assertion, "file.wast:TIMEOUT", "file.wast:CRASH" or "file.wast:EXIT<n>"
# for a script that did not run to its end. '#' starts a comment.
# With --record, EXPECTED is rewritten from this run instead of compared.
# Prints "spec <label>: P passed, F failed" (one test per script) and exits
# non-zero when any script differs from its expectations.
set -u

bin=$(realpath "$1"); suite=$(realpath "$2"); expected=$(realpath -m "$3"); shift 3
record=0; label=$(basename "$suite"); skip_dirs=(); skip_list=; only_dir=; flags=
while [ $# -gt 0 ]; do
  case "$1" in
    --record) record=1 ;;
    --label) label=$2; shift ;;
    --skip-dir) skip_dirs+=("$2"); shift ;;
    --skip-list) skip_list=$(realpath "$2"); shift ;;
    --only-dir) only_dir=$2; shift ;;
    --flags) flags=$2; shift ;;
  esac
  shift
done
timeout_s=${SPEC_TIMEOUT:-120}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Run the scripts two at a time; each writes its failure keys to a file.
run_one() {
  local bin=$1 work=$2 t=$3 f=$4 flags=$5
  local out="$work/${f//\//__}.out" keys="$work/${f//\//__}.keys"
  # shellcheck disable=SC2086 # flags are words on purpose
  timeout "$t" "$bin" wast $flags "$f" >"$out" 2>&1
  local rc=$?
  sed -n 's/^FAIL \([^:]*\):\([0-9]*\):.*/\1:\2/p' "$out" | sort -u >"$keys"
  case $rc in
    0|1) ;;
    124) echo "$f:TIMEOUT" >>"$keys" ;;
    13[0-9]|14[0-9]) echo "$f:CRASH" >>"$keys" ;;
    *) echo "$f:EXIT$rc" >>"$keys" ;;
  esac
}
export -f run_one
cd "$suite"
find . -name '*.wast' | sort | while read -r f; do
  for d in "${skip_dirs[@]}"; do
    case "$f" in "./$d"/*) continue 2 ;; esac
  done
  if [ -n "$only_dir" ]; then
    case "$f" in "./$only_dir"/*) ;; *) continue ;; esac
  fi
  if [ -n "$skip_list" ] && grep -qxF "$f" "$skip_list"; then continue; fi
  echo "${f#./}"
done >"$work/scripts"
xargs -P 2 -I{} bash -c 'run_one "$@"' _ "$bin" "$work" "$timeout_s" {} "$flags" <"$work/scripts"

if [ $record -eq 1 ]; then
  { echo "# Known failures of $label, recorded by tests/spec/run_spec.sh --record."
    echo "# This list may only shrink."
    cat "$work"/*.keys | sort -t: -k1,1 -k2,2n; } >"$expected"
  echo "spec $label: recorded $(grep -vc '^#' "$expected") known failures in $expected"
  exit 0
fi

passed=0; failed=0
while read -r f; do
  k="$work/${f//\//__}"
  grep -v '^#' "$expected" 2>/dev/null | awk -F: -v f="$f" '$1==f' | sort -u >"$k.exp"
  if cmp -s "$k.exp" "$k.keys"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    comm -13 "$k.exp" "$k.keys" | sed 's/^/  new failure:     /'
    comm -23 "$k.exp" "$k.keys" | sed 's/^/  unexpected pass: /'
    grep '^FAIL' "$k.out" | head -5 | sed 's/^/    /'
    echo "spec $label: $f differs from its expectations"
  fi
done <"$work/scripts"
totals=$(cat "$work"/*.out | sed -n 's|^.*: \([0-9]*\)/\([0-9]*\) assertions passed$|\1 \2|p' |
  awk '{p+=$1; t+=$2} END {printf "%d/%d", p, t}')
echo "spec $label: assertions $totals passed"
echo "spec $label: $passed passed, $failed failed"
[ $failed -eq 0 ]
