#!/usr/bin/env bash
# bench/dispatch.sh: where the interpreter's time goes, per dispatch.
#
# Runs bench/dispatch_model.c (a bare computed-goto loop: what a dispatch
# costs on this machine with no work, and with our handlers' memory traffic)
# and then small wasm loops through build/stratus, each printed as
# nanoseconds per internal instruction (the loop's instructions are counted
# in its compiled code, STRATUS_DUMP_CODE). Not part of the test suite; see
# bench/README.md.
#
#   bench/dispatch.sh
set -u
cd "$(dirname "$0")/.."
out=${BENCH_OUT:-build/bench}/dispatch
stratus=${STRATUS:-build/stratus}
rounds=50000000
mkdir -p "$out"
for tool in gcc wat2wasm; do
  command -v "$tool" >/dev/null || { echo "bench/dispatch.sh: $tool missing; run bench/setup.sh" >&2; exit 2; }
done
[ "$stratus" != build/stratus ] || make -j2 build/stratus >"$out/make.log" 2>&1 ||
  { echo "bench/dispatch.sh: building build/stratus failed (see $out/make.log)" >&2; exit 2; }

gcc -std=c11 -O2 -Wall -Wextra -Werror -o "$out/dispatch_model" bench/dispatch_model.c || exit 2
"$out/dispatch_model"

# loop NAME LOCALS BODY: a module whose _start runs BODY `rounds` times.
loop() {
  cat >"$out/$1.wat" <<EOF
(module (memory 1)
  (func (export "_start") (local \$n i32) (local \$a i32) (local \$b i32) (local \$p i32) $2
    (local.set \$b (i32.const 3))
    (local.set \$n (i32.const $rounds))
    (loop \$l $3
      (br_if \$l (local.tee \$n (i32.sub (local.get \$n) (i32.const 1)))))))
EOF
}
repeat() { for i in $(seq 0 15); do printf '%s\n' "${1//@/$i}"; done; }
vars='(local $v0 i32) (local $v1 i32) (local $v2 i32) (local $v3 i32) (local $v4 i32) (local $v5 i32) (local $v6 i32) (local $v7 i32)'

loop acc-chain "" "$(repeat '(local.set $a (i32.add (local.get $a) (local.get $b)))')"
loop slots "$vars" "$(for i in $(seq 0 15); do
  echo "(local.set \$v$((i % 8)) (i32.add (local.get \$v$((i % 8))) (local.get \$b)))"; done)"
loop load-add "" "$(repeat '(local.set $a (i32.add (local.get $a) (i32.load offset=@ (local.get $p))))')"
loop rotl-xor "$vars" "$(for i in $(seq 0 15); do
  echo "(local.set \$v$((i % 4)) (i32.xor (i32.rotl (local.get \$v$(((i + 1) % 4))) (i32.const 7)) (local.get \$v$((i % 4)))))"; done)"
loop rotate "$vars" "$(for i in 7 6 5 4 3 2 1; do echo "(local.set \$v$i (local.get \$v$((i - 1))))"; done)
  (local.set \$v0 (i32.add (local.get \$v7) (local.get \$b)))"

for name in acc-chain slots load-add rotl-xor rotate; do
  wat2wasm "$out/$name.wat" -o "$out/$name.wasm" || exit 2
  # The loop's instructions: from the back edge's target to the back edge
  # (the last instruction before the return).
  per=$(STRATUS_DUMP_CODE=1 "$stratus" run "$out/$name.wasm" 2>&1 >/dev/null | awk '
    /^func 0:/ { on = 1; next } /^func / { on = 0 }
    on && $2 == "return" { exit }
    on { idx[n] = $1; last[n] = $NF; n++ }
    END { target = last[n - 1]; c = 0; for (i = 0; i < n; i++) if (idx[i] >= target) c++; print c }')
  secs=$( { /usr/bin/time -f %U "$stratus" run "$out/$name.wasm" >/dev/null; } 2>&1 | tail -1)
  awk -v n="$name" -v s="$secs" -v per="$per" -v r="$rounds" \
    'BEGIN { printf "stratus %-10s %2d instructions a round, %.2f ns/instruction\n", n, per, s / (r * per) * 1e9 }'
done
