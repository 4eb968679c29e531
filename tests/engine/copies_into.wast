;; copies_into: regression test for the compiler's copy elimination (src/wasm/wasm_compile_eq.c):
;; results must be those of the plain wasm semantics whatever copies are left out.
;; Block results set to a local right after the block: every way out leaves the value there.
(module
  (func $id (param i32) (result i32) (local.get 0))
  ;; loop result
  (func (export "loopres") (param i32) (result i32)
    (local.set 0
      (loop (result i32)
        (block (br_table 1 0 0 (local.get 0)))
        (i32.const 7)))
    (local.get 0))
  ;; the local is read inside the block after a br_if that was not taken
  (func (export "brif_keep") (param i32) (result i32) (local i32)
    (local.set 1 (i32.const 100))
    (local.set 1
      (block (result i32)
        (drop (br_if 0 (i32.const 5) (local.get 0)))
        (i32.add (local.get 1) (i32.const 1))))
    (local.get 1))
  ;; br_if whose value is the local itself (in place)
  (func (export "brif_self") (param i32) (result i32) (local i32)
    (local.set 1 (i32.const 40))
    (local.set 1
      (block (result i32)
        (drop (br_if 0 (local.get 1) (local.get 0)))
        (i32.const 41)))
    (local.get 1))
  ;; if/else into a local, tee
  (func (export "ifelse") (param i32) (result i32) (local i32)
    (local.set 1 (i32.const 3))
    (i32.add
      (local.tee 1
        (if (result i32) (local.get 0)
          (then (i32.mul (local.get 1) (i32.const 10)))
          (else (i32.add (local.get 1) (i32.const 10)))))
      (local.get 1)))
  ;; br_table to a block with a result set to a local, values computed
  (func (export "table") (param i32) (result i32) (local i32 i32)
    (local.set 1 (i32.const 1))
    (local.set 2
      (block $a (result i32)
        (local.set 1
          (block $b (result i32)
            (br_table $a $b (i32.add (local.get 1) (i32.const 20)) (local.get 0))))
        (i32.const 50)))
    (i32.add (local.get 1) (i32.mul (local.get 2) (i32.const 100))))
  ;; a branch out of a nested block to the outer one
  (func (export "nested") (param i32) (result i32) (local i32)
    (local.set 1 (i32.const 9))
    (local.set 1
      (block $o (result i32)
        (block $i
          (br_if $i (local.get 0))
          (br $o (i32.sub (local.get 1) (i32.const 1))))
        (i32.add (local.get 1) (i32.const 1))))
    (local.get 1))
  ;; the block's value comes from a call
  (func (export "call") (param i32) (result i32) (local i32)
    (local.set 1
      (block (result i32)
        (br_if 0 (call $id (i32.const 8)) (local.get 0))
        (drop)
        (call $id (i32.const 9))))
    (local.get 1))
  ;; v128 result into a v128 local
  (func (export "v128") (param i32) (result i64) (local v128)
    (local.set 1 (i64x2.splat (i64.const 4)))
    (local.set 1
      (block (result v128)
        (br_if 0 (i64x2.splat (i64.const 6)) (local.get 0))
        (drop)
        (i64x2.add (local.get 1) (local.get 1))))
    (i64.add (i64x2.extract_lane 0 (local.get 1)) (i64x2.extract_lane 1 (local.get 1))))
  ;; a value on the stack below the block aliases the local
  (func (export "below") (param i32) (result i32) (local i32)
    (local.set 1 (i32.const 5))
    (local.get 1)
    (local.set 1
      (block (result i32)
        (br_if 0 (i32.const 6) (local.get 0))
        (drop)
        (i32.const 7)))
    (i32.mul (i32.const 10))
    (local.get 1)
    (i32.add))
  ;; unreachable end: only branches reach it
  (func (export "onlybr") (param i32) (result i32) (local i32)
    (local.set 1
      (block (result i32)
        (if (local.get 0) (then (br 1 (i32.const 11))))
        (br 0 (i32.const 12))))
    (local.get 1))
  ;; a constant result
  (func (export "konst") (param i32) (result i32) (local i32)
    (local.set 1 (block (result i32) (i32.const 13)))
    (local.get 1))
)
(assert_return (invoke "loopres" (i32.const 2)) (i32.const 7))
(assert_return (invoke "loopres" (i32.const 1)) (i32.const 7))
(assert_return (invoke "brif_keep" (i32.const 0)) (i32.const 101))
(assert_return (invoke "brif_keep" (i32.const 1)) (i32.const 5))
(assert_return (invoke "brif_self" (i32.const 0)) (i32.const 41))
(assert_return (invoke "brif_self" (i32.const 1)) (i32.const 40))
(assert_return (invoke "ifelse" (i32.const 0)) (i32.const 26))
(assert_return (invoke "ifelse" (i32.const 1)) (i32.const 60))
(assert_return (invoke "table" (i32.const 0)) (i32.const 2101))
(assert_return (invoke "table" (i32.const 1)) (i32.const 5021))
(assert_return (invoke "table" (i32.const 5)) (i32.const 5021))
(assert_return (invoke "nested" (i32.const 0)) (i32.const 8))
(assert_return (invoke "nested" (i32.const 1)) (i32.const 10))
(assert_return (invoke "call" (i32.const 0)) (i32.const 9))
(assert_return (invoke "call" (i32.const 1)) (i32.const 8))
(assert_return (invoke "v128" (i32.const 0)) (i64.const 16))
(assert_return (invoke "v128" (i32.const 1)) (i64.const 12))
(assert_return (invoke "below" (i32.const 0)) (i32.const 57))
(assert_return (invoke "below" (i32.const 1)) (i32.const 56))
(assert_return (invoke "onlybr" (i32.const 0)) (i32.const 12))
(assert_return (invoke "onlybr" (i32.const 1)) (i32.const 11))
(assert_return (invoke "konst" (i32.const 1)) (i32.const 13))
