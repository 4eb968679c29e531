;; add3: an XOP_ADD2 (two adds in a row, or an add and a copy) and an add
;; or copy right after it run as one XOP_ADD3, in order: a later add reads
;; what an earlier one wrote. Adds of slots and constants, i32 and i64 in
;; every place; a free i64.extend_i32_u between them keeps them together;
;; a branch landing before the third keeps it apart.
(module
  ;; fannkuch's swap loop: i++, j--, k-- (three induction variables)
  (func (export "walk") (param $n i32) (result i32) (local $i i32) (local $j i32) (local $k i32)
    (local.set $j (i32.const 100))
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (local.set $j (i32.add (local.get $j) (i32.const -4)))
      (local.set $k (i32.sub (local.get $k) (i32.const 1)))
      (br_if $l (i32.lt_s (local.get $i) (local.get $n))))
    (i32.add (i32.add (i32.mul (local.get $i) (i32.const 1000000)) (i32.mul (local.get $j) (i32.const 1000)))
             (local.get $k)))
  ;; slots and i64: a += b (i64), c += d (i32), e -= 3; then each reads the last
  (func (export "mixed") (param $a i64) (param $b i64) (param $c i32) (param $d i32) (param $e i32) (result i64)
    (local.set $a (i64.add (local.get $a) (local.get $b)))
    (local.set $c (i32.add (local.get $c) (local.get $d)))
    (local.set $e (i32.sub (local.get $e) (i32.const 3)))
    (i64.add (i64.mul (local.get $a) (i64.const 1000000))
             (i64.extend_i32_u (i32.add (i32.mul (local.get $c) (i32.const 1000)) (local.get $e)))))
  ;; the third reads the first's result, the second the first's
  (func (export "chained") (param $x i32) (result i32) (local $y i32) (local $z i32)
    (local.set $x (i32.add (local.get $x) (i32.const 1)))
    (local.set $y (i32.add (local.get $x) (i32.const 10)))
    (local.set $z (i32.add (local.get $y) (i32.const 100)))
    (i32.add (i32.mul (local.get $x) (i32.const 10000)) (i32.add (i32.mul (local.get $y) (i32.const 100)) (local.get $z))))
  ;; the third wraps
  (func (export "wrap") (param $x i32) (param $y i32) (param $z i32) (result i32)
    (local.set $x (i32.add (local.get $x) (i32.const 1)))
    (local.set $y (i32.add (local.get $y) (i32.const 1)))
    (local.set $z (i32.add (local.get $z) (i32.const 0x7fffffff)))
    (i32.xor (i32.xor (local.get $x) (local.get $y)) (local.get $z)))
  ;; a block ends before the third: a branch lands there
  (func (export "split") (param $p i32) (result i32) (local $a i32) (local $b i32) (local $c i32)
    (block $b0
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (local.set $b (i32.add (local.get $b) (i32.const 2)))
      (br_if $b0 (local.get $p))
      (local.set $a (i32.add (local.get $a) (i32.const 20)))
      (local.set $b (i32.add (local.get $b) (i32.const 40))))
    (local.set $c (i32.add (local.get $a) (i32.const 300)))
    (i32.add (i32.mul (local.get $c) (i32.const 1000)) (local.get $b)))
)
(assert_return (invoke "walk" (i32.const 40)) (i32.const 40059990))
(assert_return (invoke "mixed" (i64.const 5) (i64.const 7) (i32.const 2) (i32.const 3) (i32.const 1)) (i64.const 12004998))
(assert_return (invoke "chained" (i32.const 4)) (i32.const 51615))
(assert_return (invoke "wrap" (i32.const -1) (i32.const 0) (i32.const 2)) (i32.const 0x80000000))
(assert_return (invoke "split" (i32.const 0)) (i32.const 321042))
(assert_return (invoke "split" (i32.const 1)) (i32.const 301002))

;; the third add of each form, and copies
(module
  ;; sieve's inner loop: p += i; j64 = (u64)j; j += i; while (j64 <= n)
  (func (export "stride") (param $n i64) (param $i i32) (result i64)
    (local $p i32) (local $j i32) (local $j64 i64) (local $sum i64)
    (local.set $j (local.get $i))
    (loop $l
      (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (local.get $p))))
      (local.set $p (i32.add (local.get $p) (local.get $i)))
      (local.set $j64 (i64.extend_i32_u (local.get $j)))
      (local.set $j (i32.add (local.get $j) (local.get $i)))
      (br_if $l (i64.le_u (local.get $j64) (local.get $n))))
    (i64.add (i64.mul (local.get $sum) (i64.const 1000))
             (i64.extend_i32_u (i32.add (local.get $p) (local.get $j)))))
  ;; i32 slot, i64 slot and i64 constant thirds, each reading an earlier result
  (func (export "forms") (param $a i32) (param $b i32) (param $x i64) (param $y i64) (result i64)
    (local $c i32) (local $z i64) (local $w i64)
    (local.set $a (i32.add (local.get $a) (i32.const 5)))
    (local.set $x (i64.add (local.get $x) (local.get $y)))
    (local.set $c (i32.add (local.get $a) (local.get $b)))
    (local.set $a (i32.add (local.get $a) (i32.const 1)))
    (local.set $b (i32.add (local.get $b) (i32.const 2)))
    (local.set $z (i64.add (local.get $x) (local.get $y)))
    (local.set $x (i64.add (local.get $x) (i64.const 7)))
    (local.set $y (i64.add (local.get $y) (i64.const 1)))
    (local.set $w (i64.sub (local.get $x) (i64.const 3)))
    (i64.add
      (i64.add (i64.mul (i64.extend_i32_u (local.get $c)) (i64.const 1000000000))
               (i64.mul (i64.extend_i32_u (local.get $a)) (i64.const 1000000)))
      (i64.add (i64.add (i64.mul (i64.extend_i32_u (local.get $b)) (i64.const 10000))
                        (i64.mul (local.get $z) (i64.const 100)))
               (i64.add (local.get $w) (i64.mul (local.get $y) (i64.const 1000000000000))))))
  ;; a copy as the third, then more copies; and a copy of an i64 whole
  (func (export "copies") (param $a i32) (param $b i64) (result i64)
    (local $c i32) (local $d i64) (local $e i32)
    (local.set $a (i32.add (local.get $a) (i32.const 1)))
    (local.set $c (i32.add (local.get $c) (i32.const 2)))
    (local.set $d (local.get $b))
    (local.set $e (local.get $a))
    (i64.add (local.get $d)
             (i64.extend_i32_u (i32.add (i32.mul (local.get $e) (i32.const 100)) (local.get $c)))))
)
(assert_return (invoke "stride" (i64.const 20) (i32.const 3)) (i64.const 63045))
(assert_return (invoke "stride" (i64.const 0) (i32.const 7)) (i64.const 21))
(assert_return (invoke "forms" (i32.const 1) (i32.const 2) (i64.const 10) (i64.const 20)) (i64.const 21008007045034))
(assert_return (invoke "copies" (i32.const 4) (i64.const 0x100000000)) (i64.const 0x1000001f6))
