;; swap: t = m[a]; m[a] = m[b]; m[b] = t as clang emits it (an i32.load, a
;; load-store move, an i32.store of t) runs as one XOP_SWAP32. A reversal
;; loop, a trap in each access (the earlier stores done, the later not),
;; and t kept in a local (then no fusion).
(module
  (memory 1)
  (func (export "fill") (param $n i32) (local $i i32)
    (loop $l
      (i32.store (i32.shl (local.get $i) (i32.const 2)) (i32.add (local.get $i) (i32.const 100)))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n)))))
  (func (export "word") (param $i i32) (result i32) (i32.load (i32.shl (local.get $i) (i32.const 2))))
  (func (export "reverse") (param $a i32) (param $b i32)
    (loop $l
      local.get $b
      local.get $a  i32.load
      local.get $a  local.get $b  i32.load  i32.store
      i32.store
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.sub (local.get $b) (i32.const 4)))
      (br_if $l (i32.lt_u (local.get $a) (local.get $b)))))
  (func (export "swap-far") (param $a i32) (param $b i32)
    ;; the last store is 64 KiB past b: it traps after m[a] = m[b]
    local.get $b
    local.get $a  i32.load
    local.get $a  local.get $b  i32.load  i32.store
    i32.store offset=65536)
  (func (export "swap-kept") (param $a i32) (param $b i32) (result i32) (local $t i32)
    local.get $b
    local.get $a  i32.load  local.tee $t
    local.get $a  local.get $b  i32.load  i32.store
    i32.store
    (local.get $t))
)
(invoke "fill" (i32.const 16))
(invoke "reverse" (i32.const 0) (i32.const 60))
(assert_return (invoke "word" (i32.const 0)) (i32.const 115))
(assert_return (invoke "word" (i32.const 1)) (i32.const 114))
(assert_return (invoke "word" (i32.const 7)) (i32.const 108))
(assert_return (invoke "word" (i32.const 8)) (i32.const 107))
(assert_return (invoke "word" (i32.const 15)) (i32.const 100))
(invoke "reverse" (i32.const 4) (i32.const 12))
(assert_return (invoke "word" (i32.const 1)) (i32.const 112))
(assert_return (invoke "word" (i32.const 2)) (i32.const 113))
(assert_return (invoke "word" (i32.const 3)) (i32.const 114))
;; the first load traps: nothing changes
(assert_trap (invoke "reverse" (i32.const 65536) (i32.const 0)) "out of bounds memory access")
(assert_return (invoke "word" (i32.const 0)) (i32.const 115))
;; the move's load traps: nothing changes
(assert_trap (invoke "swap-far" (i32.const 0) (i32.const 65534)) "out of bounds memory access")
(assert_return (invoke "word" (i32.const 0)) (i32.const 115))
;; the last store traps: m[a] = m[b] is done
(assert_trap (invoke "swap-far" (i32.const 0) (i32.const 8)) "out of bounds memory access")
(assert_return (invoke "word" (i32.const 0)) (i32.const 113))
(assert_return (invoke "word" (i32.const 2)) (i32.const 113))
(assert_return (invoke "swap-kept" (i32.const 4) (i32.const 12)) (i32.const 112))
(assert_return (invoke "word" (i32.const 1)) (i32.const 114))
(assert_return (invoke "word" (i32.const 3)) (i32.const 112))
