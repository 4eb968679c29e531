;; move_kk: a load and a store of the value loaded (XOP_MOVE*) whose two
;; addresses an XOP_ADD2 of constants just computed (d[i] = s[i] with
;; clang's address adds, a byte copy unrolled) run as one XOP_MOVE*K: the
;; adds are done by the move. The i32 adds wrap before the offset is added;
;; a trap in the load or the store leaves the earlier moves done.
(module
  (memory 1)
  (func (export "fill") (param $n i32) (local $i i32)
    (loop $l
      (i32.store8 (local.get $i) (i32.add (i32.mul (local.get $i) (i32.const 7)) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n)))))
  (func (export "sum") (param $a i32) (param $n i32) (result i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (i32.mul (local.get $s) (i32.const 31)) (i32.load8_u (local.get $a))))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n)))
    (local.get $s))
  ;; bench_memcpy's loop as clang unrolls it: 4 bytes a step
  (func (export "copy8") (param $d i32) (param $s i32) (param $n i32)
    (loop $l
      local.get $d  local.get $s  i32.load8_u  i32.store8
      local.get $d  i32.const 1  i32.add  local.get $s  i32.const 1  i32.add  i32.load8_u  i32.store8
      local.get $d  i32.const 2  i32.add  local.get $s  i32.const 2  i32.add  i32.load8_u  i32.store8
      local.get $d  i32.const 3  i32.add  local.get $s  i32.const 3  i32.add  i32.load8_u offset=0  i32.store8
      (local.set $d (i32.add (local.get $d) (i32.const 4)))
      (local.set $s (i32.add (local.get $s) (i32.const 4)))
      (local.set $n (i32.sub (local.get $n) (i32.const 4)))
      (br_if $l (local.get $n))))
  ;; words, with offsets on both sides
  (func (export "copy32") (param $d i32) (param $s i32)
    local.get $d  i32.const 4  i32.add  local.get $s  i32.const 8  i32.add  i32.load offset=4  i32.store offset=2)
  (func (export "copy64") (param $d i32) (param $s i32)
    local.get $d  i32.const -8  i32.add  local.get $s  i32.const 16  i32.add  i64.load  i64.store offset=16)
  ;; the first add writes a local the second reads: no join
  (func (export "tee") (param $d i32) (param $s i32) (result i32)
    local.get $s  i32.const 1  i32.add  local.tee $s
    local.get $s  i32.const 1  i32.add  i32.load8_u  i32.store8
    local.get $s)
)
(invoke "fill" (i32.const 256))
(invoke "copy8" (i32.const 1000) (i32.const 3) (i32.const 64))
(assert_return (invoke "sum" (i32.const 1000) (i32.const 64)) (i32.const 3050813664))
(assert_return (invoke "sum" (i32.const 3) (i32.const 64)) (i32.const 3050813664))
(invoke "copy32" (i32.const 2000) (i32.const 40))
(assert_return (invoke "sum" (i32.const 2006) (i32.const 4)) (i32.const 3362638))
(invoke "copy64" (i32.const 3000) (i32.const 60))
(assert_return (invoke "sum" (i32.const 3008) (i32.const 8)) (i32.const 2361901724))
;; the store's address wraps: -1 + 4 is 3
(invoke "copy32" (i32.const -1) (i32.const 100))
(assert_return (invoke "sum" (i32.const 5) (i32.const 4)) (i32.const 530510))
;; the load traps (past the end), then the store (past the end)
(assert_trap (invoke "copy32" (i32.const 0) (i32.const 65524)) "out of bounds memory access")
(assert_trap (invoke "copy32" (i32.const 65528) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "copy64" (i32.const 65530) (i32.const 0)) "out of bounds memory access")
;; a copy that runs off the end moves the bytes before the trap
(assert_trap (invoke "copy8" (i32.const 65534) (i32.const 10) (i32.const 4)) "out of bounds memory access")
(assert_return (invoke "sum" (i32.const 65534) (i32.const 2)) (i32.const 2279))
(assert_return (invoke "tee" (i32.const 4000) (i32.const 20)) (i32.const 21))
(assert_return (invoke "sum" (i32.const 21) (i32.const 1)) (i32.const 155))
