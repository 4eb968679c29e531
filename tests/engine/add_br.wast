;; add_br: an add (or a copy) right before a br_if or if on another value
;; becomes one XOP_ADDBR; the add's result is written before the
;; condition is read, as in the code it replaces.
(module
  ;; clang's loop shape: the condition computed, then i += 1, then br_if
  (func (export "loop") (param i32) (result i32) (local i32 i32 i32)
    (loop $l
      (local.set 3 (i32.lt_s (local.get 1) (local.get 0)))
      (local.set 2 (i32.add (local.get 2) (local.get 1)))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if $l (local.get 3)))
    (i32.add (i32.mul (local.get 1) (i32.const 1000)) (local.get 2)))
  ;; an if (jump when false) after an add of slots
  (func (export "if") (param i32 i32) (result i32) (local i32)
    (local.set 2 (i32.add (local.get 0) (local.get 1)))
    (if (result i32) (local.get 1)
      (then (i32.add (local.get 2) (i32.const 100)))
      (else (local.get 2))))
  ;; the condition is the add's own result (through local.tee)
  (func (export "own") (param i32) (result i32) (local i32)
    (block $b
      (br_if $b (local.tee 1 (i32.add (local.get 0) (i32.const -1))))
      (return (i32.const -5)))
    (local.get 1))
  ;; i64 adds, of a slot and of a constant
  (func (export "i64") (param i64 i64 i32) (result i64) (local i64)
    (block $b
      (local.set 3 (i64.add (local.get 0) (local.get 1)))
      (br_if $b (local.get 2))
      (local.set 3 (i64.add (local.get 3) (i64.const 0x100000000))))
    (local.get 3))
  ;; a copy (an add of 0) before the branch, every bit of it
  (func (export "copy") (param i64 i32) (result i64) (local i64)
    (block $b
      (local.set 2 (local.get 0))
      (br_if $b (local.get 1))
      (local.set 2 (i64.const 7)))
    (local.get 2))
)
(assert_return (invoke "loop" (i32.const 5)) (i32.const 6015))
(assert_return (invoke "loop" (i32.const 0)) (i32.const 1000))
(assert_return (invoke "if" (i32.const 3) (i32.const 4)) (i32.const 107))
(assert_return (invoke "if" (i32.const 3) (i32.const 0)) (i32.const 3))
(assert_return (invoke "own" (i32.const 1)) (i32.const -5))
(assert_return (invoke "own" (i32.const 10)) (i32.const 9))
(assert_return (invoke "i64" (i64.const 1) (i64.const 2) (i32.const 1)) (i64.const 3))
(assert_return (invoke "i64" (i64.const 1) (i64.const 2) (i32.const 0)) (i64.const 0x100000003))
(assert_return (invoke "copy" (i64.const 0x123456789abcdef0) (i32.const 1)) (i64.const 0x123456789abcdef0))
(assert_return (invoke "copy" (i64.const 0x123456789abcdef0) (i32.const 0)) (i64.const 7))
