;; consts: two constants written one after the other (to locals, or to
;; stack slots as call arguments) become one XOP_CONSTX2, unless a branch
;; lands between them (a loop's start, a block's end): then the second
;; runs alone, as that branch needs.
(module
  (func $pair (param i32 i64) (result i64)
    (i64.add (i64.extend_i32_u (local.get 0)) (local.get 1)))
  (func (export "locals") (result i64) (local $a i32) (local $b i64) (local $c f64)
    (local.set $a (i32.const 7))
    (local.set $b (i64.const 0x100000000))
    (local.set $c (f64.const 2.5))
    (i64.add (i64.add (i64.extend_i32_u (local.get $a)) (local.get $b))
             (i64.trunc_f64_s (local.get $c))))
  (func (export "args") (result i64)
    (call $pair (i32.const -1) (i64.const 1)))
  (func (export "loop") (param $n i32) (result i32) (local $i i32) (local $s i32)
    ;; the loop starts between the two constants: $s restarts at 3 each time
    (local.set $i (i32.const 0))
    (loop $l
      (local.set $s (i32.const 3))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i32.add (i32.mul (local.get $i) (i32.const 10)) (local.get $s)))
  (func (export "block-end") (param $p i32) (result i32) (local $a i32) (local $b i32)
    ;; the block's end is a branch target between the constants
    (block $b
      (local.set $a (i32.const 5))
      (br_if $b (local.get $p))
      (local.set $a (i32.const 6)))
    (local.set $b (i32.const 9))
    (i32.add (i32.mul (local.get $a) (i32.const 10)) (local.get $b)))
)
(assert_return (invoke "locals") (i64.const 0x100000009))
(assert_return (invoke "args") (i64.const 0x100000000))
(assert_return (invoke "loop" (i32.const 4)) (i32.const 43))
(assert_return (invoke "loop" (i32.const 0)) (i32.const 13))
(assert_return (invoke "block-end" (i32.const 0)) (i32.const 69))
(assert_return (invoke "block-end" (i32.const 1)) (i32.const 59))
