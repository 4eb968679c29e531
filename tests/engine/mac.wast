;; mac: the multiply-add to memory of an i-k-j matrix product's inner
;; loop as clang emits it (XOP_MAC_*), with the address adds before it
;; joined in (XOP_MAC2_* adds of constants, XOP_MAC2S_* adds of slots),
;; which hand the addresses to the mac as values. c[k] += x * b[k] over
;; 3*T elements, then the sum of c[k] * (k + 1).
(module
  (memory 1)
  ;; c at 0 and b at $b, 3*$T elements of f64
  (func (export "fill-f64") (param $T i32) (param $b i32) (local $k i32)
    (block (loop
      (br_if 1 (i32.ge_u (local.get $k) (i32.mul (local.get $T) (i32.const 3))))
      (f64.store (i32.shl (local.get $k) (i32.const 3)) (f64.add (f64.const 1) (f64.convert_i32_u (local.get $k))))
      (f64.store (i32.add (local.get $b) (i32.shl (local.get $k) (i32.const 3))) (f64.add (f64.const 0.5) (f64.mul (f64.const 0.25) (f64.convert_i32_u (local.get $k)))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br 0))))
  (func $sum-f64 (param $T i32) (result f64) (local $k i32) (local $s f64)
    (block (loop
      (br_if 1 (i32.ge_u (local.get $k) (i32.mul (local.get $T) (i32.const 3))))
      (local.set $s (f64.add (local.get $s) (f64.mul (f64.load (i32.shl (local.get $k) (i32.const 3))) (f64.convert_i32_u (i32.add (local.get $k) (i32.const 1))))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br 0)))
    (local.get $s))
  (func (export "f64-cb") (param $T i32) (param $b i32) (result f64)
    (local $j i32) (local $c i32) (local $x f64) (local $t2 i32) (local $t5 i32) (local $t17 i32) (local $end i32)
    (local.set $x (f64.const 3))
    (local.set $end (i32.mul (local.get $T) (i32.const 24)))
    (loop $l
      local.get $j  local.get $c  i32.add  local.tee $t2
      local.get $x
      local.get $j  local.get $b  i32.add  local.tee $t5
      f64.load  f64.mul
      local.get $t2  f64.load  f64.add  f64.store
      local.get $t2  i32.const 8  i32.add  local.tee $t17
      local.get $x
      local.get $t5  i32.const 8  i32.add  f64.load  f64.mul
      local.get $t17  f64.load  f64.add  f64.store
      local.get $t2  i32.const 16  i32.add  local.tee $t2
      local.get $x
      local.get $t5  i32.const 16  i32.add  f64.load  f64.mul
      local.get $t2  f64.load  f64.add  f64.store
      local.get $j  i32.const 24  i32.add  local.tee $j
      local.get $end  i32.ne  br_if $l)
    (call $sum-f64 (local.get $T)))
;; The three multiply-adds' later addresses stepping from the second's
;; (not all from the first's), or one of them kept in a local: the
;; XOP_MAC2X3 that reads each address's slot, not the chained one.
  (func (export "f64-cb-stepwise") (param $T i32) (param $b i32) (result f64)
    (local $j i32) (local $c i32) (local $x f64) (local $t2 i32) (local $t5 i32) (local $t17 i32) (local $end i32)
    (local.set $x (f64.const 3))
    (local.set $end (i32.mul (local.get $T) (i32.const 24)))
    (loop $l
      local.get $j  local.get $c  i32.add  local.tee $t2
      local.get $x
      local.get $j  local.get $b  i32.add  local.tee $t5
      f64.load  f64.mul
      local.get $t2  f64.load  f64.add  f64.store
      local.get $t2  i32.const 8  i32.add  local.tee $t17
      local.get $x
      local.get $t5  i32.const 8  i32.add  f64.load  f64.mul
      local.get $t17  f64.load  f64.add  f64.store
      local.get $t17  i32.const 8  i32.add  local.tee $t2
      local.get $x
      local.get $t5  i32.const 16  i32.add  f64.load  f64.mul
      local.get $t2  f64.load  f64.add  f64.store
      local.get $j  i32.const 24  i32.add  local.tee $j
      local.get $end  i32.ne  br_if $l)
    (call $sum-f64 (local.get $T)))
  (func (export "f64-cb-kept") (param $T i32) (param $b i32) (result f64)
    (local $j i32) (local $c i32) (local $x f64) (local $t2 i32) (local $t5 i32) (local $t17 i32) (local $end i32) (local $keep i32)
    (local.set $x (f64.const 3))
    (local.set $end (i32.mul (local.get $T) (i32.const 24)))
    (loop $l
      local.get $j  local.get $c  i32.add  local.tee $t2
      local.get $x
      local.get $j  local.get $b  i32.add  local.tee $t5
      f64.load  f64.mul
      local.get $t2  f64.load  f64.add  f64.store
      local.get $t2  i32.const 8  i32.add  local.tee $t17
      local.get $x
      local.get $t5  i32.const 8  i32.add  local.tee $keep  f64.load  f64.mul
      local.get $t17  f64.load  f64.add  f64.store
      local.get $t2  i32.const 16  i32.add  local.tee $t2
      local.get $x
      local.get $t5  i32.const 16  i32.add  f64.load  f64.mul
      local.get $t2  f64.load  f64.add  f64.store
      local.get $j  i32.const 24  i32.add  local.tee $j
      local.get $end  i32.ne  br_if $l)
    (call $sum-f64 (local.get $T)))
  (func (export "f64-bc") (param $T i32) (param $b i32) (result f64)
    (local $j i32) (local $c i32) (local $x f64) (local $t2 i32) (local $t5 i32) (local $t17 i32) (local $end i32)
    (local.set $x (f64.const 3))
    (local.set $end (i32.mul (local.get $T) (i32.const 24)))
    (loop $l
      local.get $j  local.get $b  i32.add  local.set $t5
      local.get $j  local.get $c  i32.add  local.tee $t2
      local.get $x
      local.get $t5
      f64.load  f64.mul
      local.get $t2  f64.load  f64.add  f64.store
      local.get $t2  i32.const 8  i32.add  local.tee $t17
      local.get $x
      local.get $t5  i32.const 8  i32.add  f64.load  f64.mul
      local.get $t17  f64.load  f64.add  f64.store
      local.get $t2  i32.const 16  i32.add  local.tee $t2
      local.get $x
      local.get $t5  i32.const 16  i32.add  f64.load  f64.mul
      local.get $t2  f64.load  f64.add  f64.store
      local.get $j  i32.const 24  i32.add  local.tee $j
      local.get $end  i32.ne  br_if $l)
    (call $sum-f64 (local.get $T)))
  ;; c at 0 and b at $b, 3*$T elements of i32
  (func (export "fill-i32") (param $T i32) (param $b i32) (local $k i32)
    (block (loop
      (br_if 1 (i32.ge_u (local.get $k) (i32.mul (local.get $T) (i32.const 3))))
      (i32.store (i32.shl (local.get $k) (i32.const 2)) (i32.add (i32.const 1) (local.get $k)))
      (i32.store (i32.add (local.get $b) (i32.shl (local.get $k) (i32.const 2))) (i32.add (i32.const 5) (i32.mul (i32.const 3) (local.get $k))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br 0))))
  (func $sum-i32 (param $T i32) (result i32) (local $k i32) (local $s i32)
    (block (loop
      (br_if 1 (i32.ge_u (local.get $k) (i32.mul (local.get $T) (i32.const 3))))
      (local.set $s (i32.add (local.get $s) (i32.mul (i32.load (i32.shl (local.get $k) (i32.const 2))) (i32.add (local.get $k) (i32.const 1)))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br 0)))
    (local.get $s))
  (func (export "i32-cb") (param $T i32) (param $b i32) (result i32)
    (local $j i32) (local $c i32) (local $x i32) (local $t2 i32) (local $t5 i32) (local $t17 i32) (local $end i32)
    (local.set $x (i32.const 7))
    (local.set $end (i32.mul (local.get $T) (i32.const 12)))
    (loop $l
      local.get $j  local.get $c  i32.add  local.tee $t2
      local.get $x
      local.get $j  local.get $b  i32.add  local.tee $t5
      i32.load  i32.mul
      local.get $t2  i32.load  i32.add  i32.store
      local.get $t2  i32.const 4  i32.add  local.tee $t17
      local.get $x
      local.get $t5  i32.const 4  i32.add  i32.load  i32.mul
      local.get $t17  i32.load  i32.add  i32.store
      local.get $t2  i32.const 8  i32.add  local.tee $t2
      local.get $x
      local.get $t5  i32.const 8  i32.add  i32.load  i32.mul
      local.get $t2  i32.load  i32.add  i32.store
      local.get $j  i32.const 12  i32.add  local.tee $j
      local.get $end  i32.ne  br_if $l)
    (call $sum-i32 (local.get $T)))
  (func (export "i32-bc") (param $T i32) (param $b i32) (result i32)
    (local $j i32) (local $c i32) (local $x i32) (local $t2 i32) (local $t5 i32) (local $t17 i32) (local $end i32)
    (local.set $x (i32.const 7))
    (local.set $end (i32.mul (local.get $T) (i32.const 12)))
    (loop $l
      local.get $j  local.get $b  i32.add  local.set $t5
      local.get $j  local.get $c  i32.add  local.tee $t2
      local.get $x
      local.get $t5
      i32.load  i32.mul
      local.get $t2  i32.load  i32.add  i32.store
      local.get $t2  i32.const 4  i32.add  local.tee $t17
      local.get $x
      local.get $t5  i32.const 4  i32.add  i32.load  i32.mul
      local.get $t17  i32.load  i32.add  i32.store
      local.get $t2  i32.const 8  i32.add  local.tee $t2
      local.get $x
      local.get $t5  i32.const 8  i32.add  i32.load  i32.mul
      local.get $t2  i32.load  i32.add  i32.store
      local.get $j  i32.const 12  i32.add  local.tee $j
      local.get $end  i32.ne  br_if $l)
    (call $sum-i32 (local.get $T)))
)
(invoke "fill-f64" (i32.const 1) (i32.const 4096))
(assert_return (invoke "f64-cb" (i32.const 1) (i32.const 4096)) (f64.const 29))
(invoke "fill-f64" (i32.const 5) (i32.const 4096))
(assert_return (invoke "f64-cb" (i32.const 5) (i32.const 4096)) (f64.const 2260))
(invoke "fill-f64" (i32.const 5) (i32.const 4096))
(assert_return (invoke "f64-cb-stepwise" (i32.const 5) (i32.const 4096)) (f64.const 2260))
(invoke "fill-f64" (i32.const 5) (i32.const 4096))
(assert_return (invoke "f64-cb-kept" (i32.const 5) (i32.const 4096)) (f64.const 2260))
(assert_trap (invoke "f64-cb-stepwise" (i32.const 1) (i32.const 65528)) "out of bounds memory access")
(assert_trap (invoke "f64-cb-kept" (i32.const 1) (i32.const 65528)) "out of bounds memory access")
(invoke "fill-f64" (i32.const 1) (i32.const 4096))
(assert_return (invoke "f64-bc" (i32.const 1) (i32.const 4096)) (f64.const 29))
(invoke "fill-f64" (i32.const 5) (i32.const 4096))
(assert_return (invoke "f64-bc" (i32.const 5) (i32.const 4096)) (f64.const 2260))
(assert_trap (invoke "f64-cb" (i32.const 1) (i32.const 65536)) "out of bounds memory access")
(assert_trap (invoke "f64-cb" (i32.const 1) (i32.const 65528)) "out of bounds memory access")
(invoke "fill-i32" (i32.const 1) (i32.const 4096))
(assert_return (invoke "i32-cb" (i32.const 1) (i32.const 4096)) (i32.const 392))
(invoke "fill-i32" (i32.const 5) (i32.const 4096))
(assert_return (invoke "i32-cb" (i32.const 5) (i32.const 4096)) (i32.const 28960))
(invoke "fill-i32" (i32.const 1) (i32.const 4096))
(assert_return (invoke "i32-bc" (i32.const 1) (i32.const 4096)) (i32.const 392))
(invoke "fill-i32" (i32.const 5) (i32.const 4096))
(assert_return (invoke "i32-bc" (i32.const 5) (i32.const 4096)) (i32.const 28960))
(assert_trap (invoke "i32-cb" (i32.const 1) (i32.const 65536)) "out of bounds memory access")
(assert_trap (invoke "i32-cb" (i32.const 1) (i32.const 65532)) "out of bounds memory access")
;; Three multiply-adds in a row run as one (XOP_MAC2X3): a trap in the
;; third leaves the first two's stores done, as one at a time would.
(module
  (memory 1)
  (func (export "poke") (param $a i32) (param $v f64) (f64.store (local.get $a) (local.get $v)))
  (func (export "peek") (param $a i32) (result f64) (f64.load (local.get $a)))
  (func (export "f64-cb") (param $T i32) (param $b i32)
    (local $j i32) (local $c i32) (local $x f64) (local $t2 i32) (local $t5 i32) (local $t17 i32) (local $end i32)
    (local.set $x (f64.const 3))
    (local.set $end (i32.mul (local.get $T) (i32.const 24)))
    (loop $l
      local.get $j  local.get $c  i32.add  local.tee $t2
      local.get $x
      local.get $j  local.get $b  i32.add  local.tee $t5
      f64.load  f64.mul
      local.get $t2  f64.load  f64.add  f64.store
      local.get $t2  i32.const 8  i32.add  local.tee $t17
      local.get $x
      local.get $t5  i32.const 8  i32.add  f64.load  f64.mul
      local.get $t17  f64.load  f64.add  f64.store
      local.get $t2  i32.const 16  i32.add  local.tee $t2
      local.get $x
      local.get $t5  i32.const 16  i32.add  f64.load  f64.mul
      local.get $t2  f64.load  f64.add  f64.store
      local.get $j  i32.const 24  i32.add  local.tee $j
      local.get $end  i32.ne  br_if $l)))
(invoke "poke" (i32.const 0) (f64.const 1))
(invoke "poke" (i32.const 8) (f64.const 2))
(invoke "poke" (i32.const 16) (f64.const 3))
(invoke "poke" (i32.const 65520) (f64.const 2))
(invoke "poke" (i32.const 65528) (f64.const 4))
(assert_trap (invoke "f64-cb" (i32.const 1) (i32.const 65520)) "out of bounds memory access")
(assert_return (invoke "peek" (i32.const 0)) (f64.const 7))
(assert_return (invoke "peek" (i32.const 8)) (f64.const 14))
(assert_return (invoke "peek" (i32.const 16)) (f64.const 3))
(assert_trap (invoke "f64-cb" (i32.const 1) (i32.const 65528)) "out of bounds memory access")
(assert_return (invoke "peek" (i32.const 0)) (f64.const 19))
(assert_return (invoke "peek" (i32.const 8)) (f64.const 14))
