#!/usr/bin/env bash
# bench/run.sh: builds the benchmark programs natively and to wasm32-wasi,
# checks that every runner prints what the native build prints, and reports
# each runner's wall-clock time as a ratio to native (best of N rounds,
# each round running native and every runner once), per program and as a
# geometric mean. Then runs the instantiation benchmark.
# Not part of the test suite. See bench/README.md.
#
#   bench/run.sh [-n N] [-r RUNNERS] [--no-instantiate] [PROGRAM...]
#
#   -n N        best of N rounds (default 5), each running native and every
#               runner once; a run slower than ONCE_ABOVE seconds (default
#               10: wabt's long runs) is not repeated, to keep the harness
#               short
#   -r RUNNERS  comma-separated subset of: stratus,node,wasm-interp
#               (default: all three)
#   PROGRAM     names from bench/programs/ (default: all)
#
# Environment: STRATUS (default build/stratus), TIMEOUT per run in seconds
# (default 300), WASM_INTERP_TIMEOUT (default 20: wabt's interpreter is
# 60-270x slower than native, so its long runs are cut short and shown as a
# lower bound ">Nx"; 0 = no cap), BENCH_OUT build directory (default
# build/bench).
set -u
cd "$(dirname "$0")/.."
root=$(pwd)

repeat=5
runners="stratus,node,wasm-interp"
instantiate=1
programs=()
while [ $# -gt 0 ]; do
  case $1 in
    -n) repeat=$2; shift 2 ;;
    -r) runners=$2; shift 2 ;;
    --no-instantiate) instantiate=0; shift ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench/run.sh: unknown option $1" >&2; exit 2 ;;
    *) programs+=("$1"); shift ;;
  esac
done
if [ ${#programs[@]} -eq 0 ]; then
  for f in bench/programs/*.c; do programs+=("$(basename "$f" .c)"); done
fi
IFS=, read -r -a runner_list <<<"$runners"

stratus=${STRATUS:-build/stratus}
timeout_s=${TIMEOUT:-300}
interp_timeout_s=${WASM_INTERP_TIMEOUT:-20}
once_above=${ONCE_ABOVE:-10}
out=${BENCH_OUT:-build/bench}
mkdir -p "$out"

CFLAGS_COMMON="-std=c11 -O2 -Wall -Wextra -Werror"
WASI_CC=(clang-14 --target=wasm32-wasi --sysroot=/usr)
BARE_CC=(clang-14 --target=wasm32 -nostdlib -DBENCH_BARE -Wl,--no-entry -Wl,--export=bench_run)

have() { command -v "$1" >/dev/null 2>&1; }
for tool in gcc clang-14 wasm-ld-14; do
  have "$tool" || { echo "bench/run.sh: $tool missing; run bench/setup.sh" >&2; exit 2; }
done

# The engine: build it if it is not there yet (a failure leaves it n/a).
if [[ ,$runners, == *,stratus,* ]] && [ "$stratus" = build/stratus ]; then
  make -j2 build/stratus >"$out/make.log" 2>&1 ||
    echo "bench/run.sh: building build/stratus failed (see $out/make.log); stratus is n/a" >&2
fi

# ---- building ----

build() { # build NAME: native, wasm32-wasi and bare wasm32 binaries
  local n=$1 src=bench/programs/$1.c rt=bench/bench_rt.c
  gcc $CFLAGS_COMMON -o "$out/$n.native" "$src" "$rt" -lm &&
    "${WASI_CC[@]}" $CFLAGS_COMMON -o "$out/$n.wasm" "$src" "$rt" &&
    "${BARE_CC[@]}" $CFLAGS_COMMON -o "$out/$n.bare.wasm" "$src" "$out/bench_rt.bare.o"
}

# The bare runtime implements memcpy/memset with loops, which the compiler
# would turn back into calls to themselves unless told not to.
clang-14 --target=wasm32 -DBENCH_BARE $CFLAGS_COMMON -fno-builtin -c \
  -o "$out/bench_rt.bare.o" bench/bench_rt.c || exit 2

# ---- running ----

# run_cmd RUNNER NAME: prints the command line for a runner.
run_cmd() {
  case $1 in
    native) echo "$out/$2.native" ;;
    stratus) echo "$stratus run $out/$2.wasm" ;;
    # --single-threaded: node 20 intermittently segfaults at exit, after the
    # program's output, while V8's background compile threads still run;
    # without them it does not, and it is as fast here.
    node) echo "node --no-warnings --single-threaded bench/node_wasi.mjs $out/$2.wasm" ;;
    # Debian's wabt has no WASI: run the import-free build's bench_run and
    # print its checksum the way the hosted builds do.
    wasm-interp) echo "wasm-interp $out/$2.bare.wasm --run-all-exports" ;;
  esac
}

runner_available() {
  case $1 in
    native) return 0 ;;
    stratus) [ -x "$stratus" ] ;;
    node) have node ;;
    wasm-interp) have wasm-interp ;;
    *) return 1 ;;
  esac
}

# Normalises a runner's output to what the native build prints.
normalise() { # normalise RUNNER NAME < output
  if [ "$1" = wasm-interp ]; then
    # "bench_run() => i64:DECIMAL" becomes "NAME HEX16".
    local line
    while IFS= read -r line; do
      case $line in
        "bench_run() => i64:"*) printf '%s %016x\n' "$2" "${line#*i64:}" ;;
      esac
    done
  else
    cat
  fi
}

# time_one RUNNER NAME: runs once; prints "SECONDS" or a failure word
# (err, timeout, wrong) and leaves the output in $out/NAME.RUNNER.out.
time_one() {
  local r=$1 n=$2 cmd start end rc limit=$timeout_s
  [ "$r" = wasm-interp ] && [ "$interp_timeout_s" != 0 ] && limit=$interp_timeout_s
  cmd=$(run_cmd "$r" "$n")
  start=$EPOCHREALTIME
  timeout "$limit" $cmd >"$out/$n.$r.raw" 2>"$out/$n.$r.err"
  rc=$?
  end=$EPOCHREALTIME
  if [ $rc -eq 124 ]; then echo timeout; return; fi
  if [ $rc -ne 0 ]; then echo err; return; fi
  normalise "$r" "$n" <"$out/$n.$r.raw" >"$out/$n.$r.out"
  if [ "$r" != native ] && ! cmp -s "$out/$n.$r.out" "$out/$n.native.out"; then
    echo wrong; return
  fi
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.6f\n", b - a }'
}

# best_times NAME RUNNER...: runs native and each runner in turn, $repeat
# rounds, and sets best[RUNNER] to its best time or a failure word. Rounds,
# not one runner's runs back to back: a machine that drifts faster or
# slower (frequency, other load) then moves a runner's time and the native
# time it is divided by together. A runner that failed, or whose run took
# longer than ONCE_ABOVE seconds, is not run again.
declare -A best
best_times() {
  local n=$1 r t i
  shift
  for r in native "$@"; do best[$r]=; done
  for ((i = 0; i < repeat; i++)); do
    for r in native "$@"; do
      case ${best[$r]} in err|timeout|wrong) continue ;; esac
      if [ -n "${best[$r]}" ] &&
         awk -v t="${best[$r]}" -v lim="$once_above" 'BEGIN { exit !(t > lim) }'; then
        continue
      fi
      t=$(time_one "$r" "$n")
      case $t in
        err|timeout|wrong) best[$r]=$t ;;
        *) best[$r]=$(awk -v a="${best[$r]:-$t}" -v b="$t" 'BEGIN { print (b < a) ? b : a }') ;;
      esac
    done
  done
}

# ---- the table ----

results=$out/results.txt
: >"$results"
printf '%-12s %10s' program "native s"
for r in "${runner_list[@]}"; do printf ' %12s' "$r"; done
printf '\n'

for n in "${programs[@]}"; do
  if [ ! -f "bench/programs/$n.c" ]; then
    echo "bench/run.sh: no program $n" >&2
    continue
  fi
  if ! build "$n" 2>"$out/$n.build.log"; then
    printf '%-12s %10s  (build failed, see %s)\n' "$n" - "$out/$n.build.log"
    continue
  fi
  # The expected output is what the native build prints.
  if ! "$out/$n.native" >"$out/$n.native.out"; then
    printf '%-12s %10s  (native run failed)\n' "$n" -
    continue
  fi
  avail=()
  for r in "${runner_list[@]}"; do runner_available "$r" && avail+=("$r"); done
  best_times "$n" "${avail[@]}"
  native=${best[native]}
  case $native in
    err|timeout|wrong) printf '%-12s %10s  (native run failed)\n' "$n" -; continue ;;
  esac
  printf '%-12s %10.3f' "$n" "$native"
  for r in "${runner_list[@]}"; do
    if ! runner_available "$r"; then
      cell=n/a
    else
      t=${best[$r]}
      case $t in
        timeout)
          cell=timeout
          if [ "$r" = wasm-interp ] && [ "$interp_timeout_s" != 0 ]; then
            cell=$(awk -v t="$interp_timeout_s" -v b="$native" 'BEGIN { printf ">%.0fx", t / b }')
          fi
          ;;
        err|wrong) cell=$t ;;
        *)
          ratio=$(awk -v t="$t" -v b="$native" 'BEGIN { printf "%.2f", t / b }')
          cell="${ratio}x"
          echo "$n $r $ratio $t" >>"$results"
          ;;
      esac
    fi
    printf ' %12s' "$cell"
  done
  printf '\n'
done

# Geometric mean of the ratios each runner completed (count in brackets
# when some programs failed for it).
printf '%-12s %10s' geomean ""
for r in "${runner_list[@]}"; do
  cell=$(awk -v r="$r" -v total=${#programs[@]} '$2 == r { s += log($3); k++ }
    END { if (!k) print "n/a"; else if (k < total) printf "%.2fx(%d)", exp(s / k), k;
          else printf "%.2fx", exp(s / k) }' "$results")
  printf ' %12s' "$cell"
done
printf '\n'
echo "(ratio = runner wall-clock / native gcc -O2 wall-clock, best of $repeat rounds; lower is better)"

# The interpreter's targets (issue 3): a geomean of at most 4x native over
# all the programs, and (below) a pre-instantiated module's new store +
# instance under 10 us whatever its data size.
target_geomean=4
met() { if [ "$1" = 1 ]; then echo met; else echo "NOT met"; fi; }
if [[ ,$runners, == *,stratus,* ]]; then
  read -r k g < <(awk '$2 == "stratus" { s += log($3); k++ } END { printf "%d %.2f\n", k, k ? exp(s / k) : 0 }' "$results")
  all=$(ls bench/programs/*.c | wc -l)
  if [ "$k" != "$all" ]; then
    echo "target: stratus geomean at most ${target_geomean}x native: not judged (${g}x over $k of the $all programs)"
  else
    ok=$(awk -v g="$g" -v t=$target_geomean 'BEGIN { print (g <= t) ? 1 : 0 }')
    echo "target: stratus geomean at most ${target_geomean}x native: ${g}x: $(met "$ok")"
  fi
fi

# ---- instantiation ----

if [ $instantiate = 1 ]; then
  echo
  if [ -f build/libstratus_wasm.a ] &&
     gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude \
       -o "$out/instantiate" bench/instantiate.c build/libstratus_wasm.a -lm -lpthread \
       2>"$out/instantiate.build.log"; then
    "$out/instantiate" >"$out/instantiate.txt"
    rc=$?
    cat "$out/instantiate.txt"
    [ $rc = 0 ] || echo "instantiate: failed"
    # "pre: new store + instantiate, N KiB data  T us": every T under 10 us,
    # and the largest data size no more than 2 us above the smallest.
    awk '/^ *pre:/ { for (i = 1; i < NF; i++) if ($(i + 1) == "us") t[n++] = $i }
      END {
        if (n < 2) { print "target: pre-instantiated instance under 10 us: no figures"; exit }
        max = 0; for (i = 0; i < n; i++) if (t[i] > max) max = t[i]
        ok = max < 10 && t[n - 1] - t[0] <= 2
        printf "target: pre-instantiated new store + instance under 10 us, independent of data size: %s to %s us: %s\n",
               t[0], t[n - 1], ok ? "met" : "NOT met"
      }' "$out/instantiate.txt"
  else
    echo "instantiate: n/a (build/libstratus_wasm.a missing or link failed; see $out/instantiate.build.log)"
  fi
  # A ~12 MB componentize-js component instantiated again after a first
  # instantiation (the fixtures are built by tests/fixtures/build.sh).
  echo
  libs="build/libstratus_wasi.a build/libstratus_component.a build/libstratus_wasm.a"
  if tests/fixtures/build.sh >"$out/fixtures.build.log" 2>&1 &&
     gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude \
       -o "$out/instantiate_component" bench/instantiate_component.c $libs -lm -lpthread \
       2>"$out/instantiate_component.build.log"; then
    "$out/instantiate_component" build/fixtures/js_app.component.wasm || echo "instantiate_component: failed"
  else
    echo "instantiate_component: n/a (fixtures or link failed; see $out/fixtures.build.log, $out/instantiate_component.build.log)"
  fi
fi
