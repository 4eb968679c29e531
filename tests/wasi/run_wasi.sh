#!/usr/bin/env bash
# Runs the WASI preview1 test suite (wasi-testsuite) with `stratus run`, plus
# our own C test program (tests/wasi/wasi_smoke.c) built natively and to
# wasm32-wasi and compared, and checks the failures against an expectations
# file, like tests/spec/run_spec.sh: a new failure or an unexpected pass
# fails the run.
#
#   tests/wasi/run_wasi.sh STRATUS [EXPECTED] [--record] [--suite DIR]
#
# EXPECTED (default tests/wasi/wasip1.expected) lists one known failure per
# line, "<suite>/<test>" (e.g. rust/fd_readdir); '#' starts a comment.
# Each test follows specification.md of the suite: its JSON gives args, env,
# a root directory preopened as "/" (copied to a scratch directory first,
# since tests write into it), the expected exit code, stdout and stderr.
# Prints "wasi: P passed, F failed".
set -u

here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "$1"); shift
expected=$here/wasip1.expected
record=0
suite=${WASI_TESTSUITE:-$here/../../../shared/wasi-testsuite}
while [ $# -gt 0 ]; do
  case "$1" in
    --record) record=1 ;;
    --suite) suite=$2; shift ;;
    *) expected=$1 ;;
  esac
  shift
done
timeout_s=${WASI_TIMEOUT:-30}
command -v jq >/dev/null || { echo "wasi: jq is required"; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: >"$work/failures"

# The expected outcome of a test from its JSON (legacy or operations form):
# writes exit code, args, env, root, stdout and stderr into files under $2.
spec_of() {
  local json=$1 out=$2
  mkdir -p "$out"
  if [ ! -f "$json" ]; then echo '{}' >"$out/spec.json"; else cp "$json" "$out/spec.json"; fi
  # Normalise the operations form to the legacy one.
  jq -c 'if has("operations") then
           (.operations | map(select(.type == "run")) | .[0] // {}) as $r
           | {args: ($r.args // []), env: ($r.env // {}), root: ($r.root // null),
              exit_code: ((.operations | map(select(.type == "wait")) | .[0].exit_code) // 0),
              stdout: ([.operations[] | select(.type == "read" and ((.id // "stdout") == "stdout")) | .payload // ""] | join("")),
              stderr: ([.operations[] | select(.type == "read" and .id == "stderr") | .payload // ""] | join(""))}
         else . end' "$out/spec.json" >"$out/norm.json"
  jq -j '.exit_code // 0' "$out/norm.json" >"$out/exit_code"
  jq -j '.root // ""' "$out/norm.json" >"$out/root"
  # Output is only checked when the spec gives it (as the reference runner
  # does: some tests print diagnostics in a random order).
  jq -j 'if has("stdout") then "1" else "" end' "$out/spec.json" >"$out/has_stdout"
  jq -j 'if has("stderr") then "1" else "" end' "$out/spec.json" >"$out/has_stderr"
  if jq -e 'has("operations")' "$out/spec.json" >/dev/null; then
    jq -j 'if ([.operations[] | select(.type == "read" and ((.id // "stdout") == "stdout"))] | length) > 0 then "1" else "" end' "$out/spec.json" >"$out/has_stdout"
    jq -j 'if ([.operations[] | select(.type == "read" and .id == "stderr")] | length) > 0 then "1" else "" end' "$out/spec.json" >"$out/has_stderr"
  fi
  jq -j '.stdout // ""' "$out/norm.json" >"$out/stdout"
  jq -j '.stderr // ""' "$out/norm.json" >"$out/stderr"
  jq -j '(.args // [])[] | ., "\u0000"' "$out/norm.json" >"$out/args"
  jq -j '(.env // {}) | to_entries[] | "--env", "\u0000", "\(.key)=\(.value)", "\u0000"' \
    "$out/norm.json" >"$out/envargs"
}

# Runs one test; prints nothing, appends "<suite>/<name>: why" on failure.
run_test() {
  local wasm=$1 label=$2
  local dir; dir=$(dirname "$wasm")
  local name; name=$(basename "$wasm" .wasm)
  local t="$work/t/$label"
  spec_of "$dir/$name.json" "$t"
  local -a opts=() args=()
  while IFS= read -r -d '' x; do opts+=("$x"); done <"$t/envargs"
  while IFS= read -r -d '' x; do args+=("$x"); done <"$t/args"
  local root; root=$(cat "$t/root")
  if [ -n "$root" ]; then
    mkdir -p "$t/root.d"
    cp -r "$dir/$root/." "$t/root.d/"
    chmod -R u+w "$t/root.d"
    find "$t/root.d" -name '*.cleanup' -exec rm -rf {} + 2>/dev/null
    opts+=(--dir "$t/root.d::/")
  fi
  (cd "$t" && timeout "$timeout_s" "$bin" run "${opts[@]}" "$wasm" "${args[@]}" \
      </dev/null >"$t/out" 2>"$t/err")
  local rc=$?
  local want; want=$(cat "$t/exit_code")
  local why=""
  if [ "$rc" -ne "$want" ]; then why="exit $rc, expected $want"
  elif [ -s "$t/has_stdout" ] && ! cmp -s "$t/out" "$t/stdout"; then why="stdout differs"
  elif [ -s "$t/has_stderr" ] && ! cmp -s "$t/err" "$t/stderr"; then why="stderr differs"
  fi
  if [ -n "$why" ]; then
    echo "$label: $why: $(head -c 300 "$t/err" | tr '\n' ' ')" >>"$work/failures"
  fi
}

for wasm in "$suite"/tests/*/testsuite/wasm32-wasip1/*.wasm; do
  [ -e "$wasm" ] || continue
  lang=$(basename "$(dirname "$(dirname "$(dirname "$wasm")")")")
  run_test "$wasm" "$lang/$(basename "$wasm" .wasm)"
  echo "$lang/$(basename "$wasm" .wasm)" >>"$work/all"
done

# Our own program: native and wasm32-wasi builds must agree.
smoke() {
  local src=$here/wasi_smoke.c s="$work/smoke"
  mkdir -p "$s/native.d" "$s/wasm.d"
  if ! gcc -std=c11 -D_GNU_SOURCE -O2 -o "$s/native" "$src" 2>"$s/cc.err"; then
    echo "smoke/wasi_smoke: native build failed: $(head -c 300 "$s/cc.err")" >>"$work/failures"; return
  fi
  local rt; rt=$(ls /usr/lib/llvm-14/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a 2>/dev/null | head -1)
  if ! clang-14 --target=wasm32-wasi --sysroot=/usr -O2 -o "$s/prog.wasm" "$src" \
      ${rt:+"$rt"} 2>"$s/cc.err"; then
    echo "smoke/wasi_smoke: wasm build failed: $(head -c 300 "$s/cc.err")" >>"$work/failures"; return
  fi
  (cd "$s/native.d" && env -i SMOKE_VAR=hello "$s/native" one "two words" \
      >"$s/native.out" 2>"$s/native.err"; echo $? >"$s/native.rc")
  (cd "$s" && timeout "$timeout_s" "$bin" run --env SMOKE_VAR=hello --dir "$s/wasm.d::." \
      "$s/prog.wasm" one "two words" >"$s/wasm.out" 2>"$s/wasm.err"; echo $? >"$s/wasm.rc")
  if ! cmp -s "$s/native.rc" "$s/wasm.rc"; then
    echo "smoke/wasi_smoke: exit $(cat "$s/wasm.rc"), native $(cat "$s/native.rc"): $(head -c 300 "$s/wasm.err")" >>"$work/failures"
  elif ! cmp -s "$s/native.out" "$s/wasm.out"; then
    echo "smoke/wasi_smoke: stdout differs: $(diff "$s/native.out" "$s/wasm.out" | head -5 | tr '\n' ' ')" >>"$work/failures"
  fi
}
smoke
echo "smoke/wasi_smoke" >>"$work/all"

# Sandbox and bounds checks (wasm only), with openat2 and with the portable
# walk: nothing outside the preopen may be reached or changed.
sandbox() {
  local mode=$1 s="$work/sandbox-$1"
  mkdir -p "$s/box/root"
  echo secret >"$s/box/outside.txt"
  if ! clang-14 --target=wasm32-wasi --sysroot=/usr -O2 -o "$s/sb.wasm" "$here/wasi_sandbox.c" \
      2>"$s/cc.err"; then
    echo "smoke/wasi_sandbox_$mode: wasm build failed: $(head -c 300 "$s/cc.err")" >>"$work/failures"; return
  fi
  local -a envs=()
  [ "$mode" = walk ] && envs=(STRATUS_WASI_NO_OPENAT2=1)
  env "${envs[@]}" timeout "$timeout_s" "$bin" run --dir "$s/box/root::/" "$s/sb.wasm" \
    >"$s/out" 2>"$s/err"
  local rc=$?
  if [ $rc -ne 0 ] || [ "$(cat "$s/box/outside.txt")" != secret ] ||
     [ "$(ls "$s/box")" != "$(printf 'outside.txt\nroot')" ]; then
    echo "smoke/wasi_sandbox_$mode: exit $rc: $(cat "$s/out" "$s/err" | head -c 300 | tr '\n' ' ')" >>"$work/failures"
  fi
}
for m in openat2 walk; do sandbox $m; echo "smoke/wasi_sandbox_$m" >>"$work/all"; done

# `stratus run --invoke` and trap reporting (needs wat2wasm to build).
cli() {
  local s="$work/cli"
  mkdir -p "$s"
  command -v wat2wasm >/dev/null || return 0
  cat >"$s/m.wat" <<'WAT'
(module
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "mix") (param i64 f64) (result f64 i64) local.get 1 local.get 0)
  (func (export "_start") unreachable))
WAT
  wat2wasm "$s/m.wat" -o "$s/m.wasm" || { echo "smoke/cli: wat2wasm failed" >>"$work/failures"; return; }
  local out rc
  out=$("$bin" run --invoke add "$s/m.wasm" 40 2); rc=$?
  [ $rc -eq 0 ] && [ "$out" = 42 ] || { echo "smoke/cli: invoke add: exit $rc, output [$out]" >>"$work/failures"; return; }
  out=$("$bin" run --invoke mix "$s/m.wasm" -3 0.5 | tr '\n' ' '); rc=$?
  [ "$out" = "0.5 -3 " ] || { echo "smoke/cli: invoke mix: output [$out]" >>"$work/failures"; return; }
  out=$("$bin" run "$s/m.wasm" 2>&1); rc=$?
  [ $rc -eq 134 ] && [[ "$out" == "error: unreachable"* ]] ||
    echo "smoke/cli: trap: exit $rc, output [$out]" >>"$work/failures"
}
cli
echo "smoke/cli" >>"$work/all"

sed 's/: .*//' "$work/failures" | sort -u >"$work/failed"
if [ $record -eq 1 ]; then
  { echo "# Known failures of the WASI preview1 suite, recorded by tests/wasi/run_wasi.sh --record."
    echo "# This list may only shrink."
    cat "$work/failed"; } >"$expected"
  echo "wasi: recorded $(wc -l <"$work/failed") known failures in $expected"
fi
grep -v '^#' "$expected" 2>/dev/null | sed 's/[[:space:]]*#.*//; /^$/d' | sort -u >"$work/known"
total=$(wc -l <"$work/all")
nfail=$(wc -l <"$work/failed")
bad=0
while IFS= read -r l; do
  echo "  new failure:     $(grep -F "$l: " "$work/failures" | head -1)"; bad=1
done < <(comm -13 "$work/known" "$work/failed")
while IFS= read -r l; do
  echo "  unexpected pass: $l"; bad=1
done < <(comm -23 "$work/known" "$work/failed")
if [ "${WASI_VERBOSE:-0}" = 1 ]; then sed 's/^/  FAIL /' "$work/failures"; fi
echo "wasi: $((total - nfail)) passed, $nfail failed"
[ $bad -eq 0 ]
