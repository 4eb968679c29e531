;; add3: an XOP_ADD2 (two adds in a row) and an i32 add (or sub) of a
;; constant right after it run as one XOP_ADD3, in order: a later add reads
;; what an earlier one wrote. Adds of slots and constants, i32 and i64 in
;; the first two; a branch landing before the third keeps it apart.
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
