# tests/lib.sh: what the end-to-end test scripts share (sourced, not run).
#
# The script sets, before sourcing:
#   work      a temporary directory (removed at exit)
#   expected  an expectations file (one known-failing test name a line;
#             '#' starts a comment), or unset/missing: none
#   server    the command `start` runs, as an array, e.g.
#             server=("$bin" serve --addr 127.0.0.1:0)
# and gets:
#   check NAME COMMAND...  a test: passes when COMMAND succeeds; $detail
#                          (cleared after) is printed under a failure
#   pass NAME / fail NAME [DETAIL]
#   start NAME ARGS...     runs "${server[@]}" ARGS in the background, its
#                          stderr in $work/NAME.log, until it prints its
#                          address ("... on http://ADDR/"): sets $addr and
#                          $pid; false when it did not come up in 60 s
#   stop [PID]             SIGTERM, wait; the exit status (default $pid)
#   get ARGS... / code ARGS...   curl: the body / the status code
#   until_body URL TEXT [S], until_log FILE PATTERN [S]   wait (20 s default)
#   no_sanitizer_reports   a check over every log of the run
#   finish LABEL           prints "LABEL: P passed, F failed" and exits
# A listed test that fails prints "xfail" and does not count; one that
# passes prints "XPASS" and counts as a failure (remove it from the list).

passed=0
failed=0
xfailed=0
pids=()
detail=

known() {
  [ -n "${expected:-}" ] && [ -f "$expected" ] &&
    sed 's/#.*//; s/[[:space:]]*$//' "$expected" | grep -qxF -- "$1"
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
    xfailed=$((xfailed + 1)); echo "xfail $1"; return
  fi
  failed=$((failed + 1)); echo "FAIL $1"; [ $# -gt 1 ] && echo "$2" | head -20 | sed 's/^/     /'
}
check() {
  local name=$1; shift
  if "$@"; then pass "$name"; else fail "$name" "${detail:-}"; fi
  detail=
}

lib_cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap lib_cleanup EXIT

start() {
  local name=$1; shift
  : >"$work/$name.log" # before the server's own redirection: no race with sed
  "${server[@]}" "$@" >"$work/$name.out" 2>"$work/$name.log" &
  pid=$!
  pids+=("$pid")
  addr=
  for _ in $(seq 1 600); do
    addr=$(sed -n 's|.* on http://\([^/]*\)/.*|\1|p' "$work/$name.log" | head -1)
    [ -n "$addr" ] && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
stop() {
  local p=${1:-$pid} rc=0
  kill -TERM "$p" 2>/dev/null
  wait "$p" 2>/dev/null || rc=$?
  return $rc
}

get() { curl -s -m 30 "$@"; }
code() { curl -s -m 30 -o /dev/null -w '%{http_code}' "$@"; }
until_body() {
  for _ in $(seq 1 $((${3:-20} * 10))); do
    get "$1" | grep -q -- "$2" && return 0
    sleep 0.1
  done
  return 1
}
until_log() {
  for _ in $(seq 1 $((${3:-20} * 10))); do
    grep -q -- "$2" "$1" && return 0
    sleep 0.1
  done
  return 1
}

no_sanitizer_reports() {
  local reports
  reports=$(grep -lE "ERROR: (Leak|Address)Sanitizer|runtime error:" "$work"/*.log 2>/dev/null)
  detail="$reports $(cat $reports 2>/dev/null | grep -E -A8 'Sanitizer|runtime error' | head -30)"
  check "no sanitizer report in any run" test -z "$reports"
}

finish() {
  echo "$1: $passed passed, $failed failed$([ $xfailed -gt 0 ] && echo ", $xfailed known failures")"
  [ $failed -eq 0 ]
  exit
}
