#!/usr/bin/env bash
# Runs real components (built by tests/fixtures/build.sh) with `stratus run`
# and `stratus inspect`:
#   - the C fixture (args, env, files in a granted directory, clocks,
#     random, stderr, exit code) as a preview1 module and as a component
#     (jco's preview1 adapter) prints and exits exactly like its native
#     build;
#   - the JS fixture (componentize-js; strings, JSON, typed arrays,
#     exceptions, console.log) prints exactly what `jco run` prints, and a
#     JS run that throws exits like it does under `jco run` (1: err);
#   - a component importing an interface this host lacks (wasi:http) fails
#     to instantiate naming it, and inspect reports it;
#   - `stratus inspect` names each fixture's world;
#   - filesystem grants hold against a hostile guest: `..`, absolute paths
#     and symlinks out of the granted directory are refused.
#
#   tests/component/run_components.sh [STRATUS]     (default build/stratus)
#
# Known failures are listed in tests/component/components.expected, one
# test name (the text after "ok"/"FAIL", up to any " (") a line; '#' starts
# a comment. A listed test that fails prints "xfail" and does not count; one
# that passes prints "XPASS" and counts as a failure (remove it from the
# list). Prints "components: P passed, F failed"; exits non-zero on a
# failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(realpath "${1:-$root/build/stratus}")
fix=${FIXTURES_OUT:-$root/build/fixtures}
timeout_s=${COMPONENT_TIMEOUT:-120}
expected=$here/components.expected

passed=0
failed=0
xfailed=0
known() { # known NAME: listed in the expectations file
  [ -f "$expected" ] && sed 's/#.*//; s/[[:space:]]*$//' "$expected" | grep -qxF -- "${1%% (*}"
}
pass() {
  if known "$1"; then
    failed=$((failed + 1)); echo "XPASS $1 (listed in $(basename "$expected"))"
  else
    passed=$((passed + 1)); echo "ok   $1"
  fi
}
fail() {
  if known "$1"; then
    xfailed=$((xfailed + 1)); echo "xfail $1"
    return
  fi
  failed=$((failed + 1)); echo "FAIL $1"; [ $# -gt 1 ] && echo "$2" | head -20 | sed 's/^/     /'
}
finish() {
  echo "components: $passed passed, $failed failed$([ $xfailed -gt 0 ] && echo ", $xfailed known failures")"
  [ $failed -eq 0 ]
  exit
}

if ! FIXTURES_OUT=$fix "$root/tests/fixtures/build.sh" >/dev/null; then
  fail "fixtures build (tests/fixtures/build.sh)"
  finish
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# fresh_dir NAME: an empty working directory holding input.txt.
fresh_dir() {
  rm -rf "${work:?}/$1"
  mkdir -p "$work/$1"
  printf 'line one\nline two\n' >"$work/$1/input.txt"
  echo "$work/$1"
}

# same NAME A B: compares two runs' stdout, stderr and exit code.
same() {
  local name=$1 a=$2 b=$3 d
  for f in out err rc; do
    if ! d=$(diff "$a.$f" "$b.$f" 2>&1); then
      fail "$name ($f differs)" "$d"
      return
    fi
  done
  pass "$name"
}

# ---- the C fixture: native vs preview1 module vs component ----

for args in "a|b c|--exit=1" "plain"; do
  IFS='|' read -r -a argv <<<"$args"
  d=$(fresh_dir native)
  (cd "$d" && env -i K=V "$fix/cli_app.native" "${argv[@]}" >"$work/native.out" 2>"$work/native.err"
   echo $? >"$work/native.rc")
  for kind in wasm component.wasm; do
    d=$(fresh_dir "$kind")
    (cd "$d" && timeout "$timeout_s" "$bin" run --dir . --env K=V "$fix/cli_app.$kind" "${argv[@]}" \
       >"$work/$kind.out" 2>"$work/$kind.err"
     echo $? >"$work/$kind.rc")
    same "cli_app.$kind ${argv[*]} matches native" "$work/native" "$work/$kind"
  done
done
if [ "$(cat "$work/native.rc")" != 0 ] || ! grep -q "realtime after 2020: 1" "$work/native.out"; then
  fail "cli_app native run sane" "$(cat "$work/native.out" "$work/native.err")"
fi

# Network grants are accepted (the fixture uses no sockets).
d=$(fresh_dir grants)
if (cd "$d" && "$bin" run --allow-tcp --allow-udp --allow-ip-name-lookup --allow-net --dir . \
      "$fix/cli_app.component.wasm" >/dev/null 2>&1); then
  pass "run --allow-* flags"
else
  fail "run --allow-* flags"
fi

# ---- the JS fixture: stratus vs jco run ----

# The reference (jco run's stdout and exit code) is cached next to the
# fixture: node takes seconds to start jco.
jco=$root/node_modules/.bin/jco
for js in js_app js_fail; do
  ref=$fix/$js.jco
  if [ ! -f "$ref.rc" ] || [ "$fix/$js.component.wasm" -nt "$ref.rc" ]; then
    (cd "$work" && timeout "$timeout_s" "$jco" run "$fix/$js.component.wasm" >"$ref.out" 2>/dev/null
     echo $? >"$ref.rc")
  fi
  (cd "$work" && timeout "$timeout_s" "$bin" run "$fix/$js.component.wasm" >"$work/js.out" 2>"$work/js.err"
   echo $? >"$work/js.rc")
  if [ ! -s "$ref.out" ]; then
    fail "$js: jco run produced no reference output"
  elif [ "$(cat "$work/js.rc")" != "$(cat "$ref.rc")" ]; then
    fail "$js exit code matches jco run ($(cat "$work/js.rc"), jco $(cat "$ref.rc"))" "$(cat "$work/js.err")"
  elif ! d=$(diff "$ref.out" "$work/js.out"); then
    fail "$js output matches jco run" "$d"
  else
    pass "$js output and exit code match jco run ($(wc -l <"$work/js.out") lines, exit $(cat "$ref.rc"))"
  fi
done

# A component needing wasi:http: refused at instantiation, naming it.
(cd "$work" && timeout "$timeout_s" "$bin" run "$fix/js_app_http.component.wasm" >"$work/http.out" 2>"$work/http.err"
 echo $? >"$work/http.rc")
if [ "$(cat "$work/http.rc")" = 1 ] && grep -q "wasi:http/" "$work/http.err" && [ ! -s "$work/http.out" ]; then
  pass "js_app_http fails naming wasi:http"
else
  fail "js_app_http fails naming wasi:http (exit $(cat "$work/http.rc"))" "$(cat "$work/http.err")"
fi

# ---- inspect ----

# inspect_ok NAME FILE RC PATTERN...: exit code RC, every pattern present.
inspect_ok() {
  local name=$1 file=$2 want=$3 rc
  shift 3
  timeout "$timeout_s" "$bin" inspect "$file" >"$work/inspect.out" 2>"$work/inspect.err"
  rc=$?
  if [ "$rc" != "$want" ]; then
    fail "inspect $name (exit $rc, want $want)" "$(cat "$work/inspect.err")"
    return
  fi
  for p in "$@"; do
    if ! grep -qF -- "$p" "$work/inspect.out"; then
      fail "inspect $name: no '$p'" "$(head -30 "$work/inspect.out")"
      return
    fi
  done
  pass "inspect $name"
}
inspect_ok cli_app.component.wasm "$fix/cli_app.component.wasm" 0 \
  "world root {" "import wasi:filesystem/preopens@0.2.12;" "export wasi:cli/run@0.2.12;" \
  "resource descriptor {" "get-directories: func() -> list<tuple<descriptor, string>>;" \
  "every import is satisfied"
inspect_ok js_app.component.wasm "$fix/js_app.component.wasm" 0 \
  "world root {" "export wasi:cli/run@0.2.12;" "run: func() -> result;" "every import is satisfied"
inspect_ok js_app_http.component.wasm "$fix/js_app_http.component.wasm" 3 \
  "world root {" "import wasi:http/types@" "imports this host cannot satisfy" "//   wasi:http/types@"
inspect_ok cli_app.wasm "$fix/cli_app.wasm" 0 "core module" \
  "wasi_snapshot_preview1.fd_write: (func (param i32 i32 i32 i32) (result i32))" "_start: (func)"

# ---- the sandbox: a hostile guest ----

# outside/secret.txt, outside/granted/ (the grant) with symlinks out of it.
out=$work/outside
mkdir -p "$out/granted/sub"
echo "TOP SECRET" >"$out/secret.txt"
echo "inside" >"$out/granted/inside.txt"
ln -s "$out" "$out/granted/link-out-dir"
ln -s ../secret.txt "$out/granted/link-rel"
ln -s "$out/secret.txt" "$out/granted/link-abs"
ln -s ../created.txt "$out/granted/link-new"
for grant in . "$out/granted::/"; do
  (cd "$out/granted" && timeout "$timeout_s" "$bin" run --dir "$grant" "$fix/cli_app.component.wasm" \
     escape "$out/secret.txt" >"$work/escape.out" 2>"$work/escape.err"
   echo $? >"$work/escape.rc")
  problems=""
  grep -q ESCAPED "$work/escape.out" && problems+="$(grep ESCAPED "$work/escape.out")"$'\n'
  grep -q "TOP SECRET" "$work/escape.out" && problems+="secret content printed"$'\n'
  grep -q "inside.txt readable: 1" "$work/escape.out" || problems+="the granted directory is not usable"$'\n'
  [ "$(grep -c refused "$work/escape.out")" -ge 15 ] || problems+="too few attempts ran"$'\n'
  for f in created.txt moved.txt newdir; do
    [ -e "$out/$f" ] && problems+="$out/$f was created"$'\n'
  done
  [ -f "$out/secret.txt" ] || problems+="secret.txt was removed"$'\n'
  [ -f "$out/granted/inside.txt" ] || problems+="inside.txt was moved"$'\n'
  [ "$(cat "$work/escape.rc")" = 0 ] || problems+="exit $(cat "$work/escape.rc"): $(cat "$work/escape.err")"$'\n'
  if [ -z "$problems" ]; then
    pass "sandbox holds (--dir $grant)"
  else
    fail "sandbox holds (--dir $grant)" "$problems"
  fi
  rm -f "$out/created.txt" "$out/moved.txt"
  rmdir "$out/newdir" 2>/dev/null
done

finish
