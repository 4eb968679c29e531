;; rewind: a fusion that drops instructions it absorbs (wc_rewind) must
;; forget the peephole records of what it dropped. Here global.get, the
;; add of a constant and global.set become one global.addk, which drops the
;; add; a copy then ends the code exactly where the dropped add ended, and
;; the next add must not fuse with the dropped one (it used to, writing its
;; cells over the global.addk's global index).
(module
  (global $sp (mut i32) (i32.const 1024))
  (func (export "frame") (param $a i32) (param $b i32) (result i32)
    (local $x i32) (local $y i32) (local $w i32)
    (local.set $y (local.get $a))
    (global.set $sp (local.tee $x (i32.sub (global.get $sp) (i32.const 16))))
    (local.set $y (local.get $b))
    (local.set $w (i32.add (local.get $a) (local.get $b)))
    (i32.add (i32.add (local.get $x) (local.get $w)) (i32.mul (local.get $y) (i32.const 1000))))
  (func (export "sp") (result i32) (global.get $sp))
)

(assert_return (invoke "frame" (i32.const 1) (i32.const 2)) (i32.const 3011))
(assert_return (invoke "sp") (i32.const 1008))
(assert_return (invoke "frame" (i32.const 5) (i32.const 7)) (i32.const 8004))
(assert_return (invoke "sp") (i32.const 992))
