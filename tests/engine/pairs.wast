;; pairs: instructions whose slot operands are packed two to a cell (slot
;; pairs, src/wasm/wasm_code.h): the copies and XOP_ADD2. The compiler
;; retargets a pair's destination half when a local.set or local.tee
;; follows (wc_dst_set), and the interpreter must read both halves.
(module
  (memory 1)
  ;; two adds: the second retargeted into a local by local.set
  (func (export "add2-set") (param i32) (result i32) (local i32 i32)
    (local.set 1 (i32.add (local.get 0) (i32.const 1)))
    (local.set 2 (i32.add (local.get 0) (i32.const 2)))
    (i32.add (i32.mul (local.get 1) (i32.const 100)) (local.get 2)))
  ;; the second retargeted by local.tee, then set again (the lazy form)
  (func (export "add2-tee") (param i32) (result i32) (local i32 i32 i32)
    (local.set 1 (i32.add (local.get 0) (i32.const 5)))
    (local.set 3 (local.tee 2 (i32.add (local.get 0) (i32.const 7))))
    (local.set 2 (i32.const 0))
    (i32.add (i32.add (i32.mul (local.get 1) (i32.const 10000)) (i32.mul (local.get 3) (i32.const 100)))
             (local.get 2)))
  ;; i64 adds, slots and immediates, the second result left on the stack
  (func (export "add2-i64") (param i64 i64) (result i64) (local i64)
    (local.set 2 (i64.add (local.get 0) (local.get 1)))
    (i64.sub (i64.add (local.get 2) (i64.const -3)) (local.get 1)))
  ;; pairs of adds moving two pointers through memory, as clang emits them
  (func (export "walk") (param i32) (result i32) (local i32 i32 i32)
    (local.set 1 (i32.const 0))
    (local.set 2 (i32.const 400))
    (loop $l
      (i32.store (local.get 1) (local.get 3))
      (i32.store (local.get 2) (i32.mul (local.get 3) (i32.const 3)))
      (local.set 1 (i32.add (local.get 1) (i32.const 4)))
      (local.set 2 (i32.add (local.get 2) (i32.const 4)))
      (local.set 3 (i32.add (local.get 3) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get 3) (local.get 0))))
    (i32.add (i32.load (i32.const 8)) (i32.load (i32.const 408))))
  ;; copies: a rotation of four locals, the last copy with the loop's jump
  (func (export "rotate") (param i32) (result i32) (local i32 i32 i32 i32 i32)
    (local.set 1 (i32.const 1))
    (local.set 2 (i32.const 2))
    (local.set 3 (i32.const 3))
    (local.set 4 (i32.const 4))
    (loop $l
      (local.set 5 (local.get 4))
      (local.set 4 (local.get 3))
      (local.set 3 (local.get 2))
      (local.set 2 (local.get 1))
      (local.set 1 (local.get 5))
      (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (i32.add (i32.add (i32.mul (local.get 1) (i32.const 1000)) (i32.mul (local.get 2) (i32.const 100)))
             (i32.add (i32.mul (local.get 3) (i32.const 10)) (local.get 4))))
  ;; a copy into the result slot folded into the return
  (func $id (param i32 i32) (result i32) (local.get 1))
  (func (export "call-copy") (param i32) (result i32)
    (call $id (i32.const 0) (local.get 0)))
)

(assert_return (invoke "add2-set" (i32.const 10)) (i32.const 1112))
(assert_return (invoke "add2-set" (i32.const -1)) (i32.const 1))
(assert_return (invoke "add2-tee" (i32.const 1)) (i32.const 60800))
(assert_return (invoke "add2-i64" (i64.const 10) (i64.const 20)) (i64.const 7))
(assert_return (invoke "add2-i64" (i64.const -1) (i64.const 0x7fffffffffffffff)) (i64.const -4))
(assert_return (invoke "walk" (i32.const 5)) (i32.const 8))
(assert_return (invoke "rotate" (i32.const 1)) (i32.const 4123))
(assert_return (invoke "rotate" (i32.const 4)) (i32.const 1234))
(assert_return (invoke "rotate" (i32.const 6)) (i32.const 3412))
(assert_return (invoke "call-copy" (i32.const 42)) (i32.const 42))
