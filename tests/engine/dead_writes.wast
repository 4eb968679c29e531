;; dead_writes: a stack slot that only the next instruction reads, from
;; the accumulator, is not written (the XV_*_NW twins of the loads, the
;; XOP_CHAIN_NW twins of the chains), and a chain's t that only its op2
;; reads is not written (XOP_CHAIN_NT). Each function also has a variant
;; where the value goes to a local (local.tee) and is read again, so the
;; write must stay. Every load form: plain, address + K, address + slot,
;; address from the accumulator, constant address; the four scalar types.
(module
  (memory 1)
  (data (i32.const 0) "\10\00\00\00\02\00\00\00\fd\ff\ff\ff\04\00\00\00")
  (data (i32.const 16) "\00\00\00\00\00\00\f8\3f\00\00\20\40\04\00\00\00")

  ;; loads whose result the next instruction takes from the accumulator
  (func (export "load") (param $a i32) (result i32)
    (i32.add (i32.load (local.get $a)) (i32.const 1)))
  (func (export "load-tee") (param $a i32) (result i32) (local $v i32)
    (i32.add (local.tee $v (i32.load (local.get $a))) (i32.const 1))
    (i32.mul (local.get $v)))
  (func (export "load-addk") (param $a i32) (result i32)
    (i32.xor (i32.load offset=4 (i32.add (local.get $a) (i32.const 4))) (i32.const -1)))
  (func (export "load-addx") (param $a i32) (param $b i32) (result i32)
    (i32.sub (i32.load8_u (i32.add (local.get $a) (local.get $b))) (i32.const 1)))
  (func (export "load-a1") (param $a i32) (result i32)
    ;; the first load's result is the second's address (from the accumulator)
    (i32.add (i32.load (i32.load (local.get $a))) (i32.const 100)))
  (func (export "load-ak") (result i64)
    (i64.add (i64.load (i32.const 8)) (i64.const 1)))
  (func (export "load-f64") (param $a i32) (result f64)
    (f64.mul (f64.load (local.get $a)) (f64.const 2)))
  (func (export "load-f32") (param $a i32) (result f32)
    (f32.add (f32.load (local.get $a)) (f32.const 0.5)))
  (func (export "load-loop") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s)
        (i32.shl (i32.load8_u (local.get $i)) (i32.const 1))))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $s))

  ;; chains: t a stack slot or a local; dst read from the accumulator or not
  (func (export "chain") (param $x i32) (param $y i32) (result i32)
    (i32.xor (i32.rotl (local.get $x) (i32.const 3)) (local.get $y)))
  (func (export "chain-tee") (param $x i32) (param $y i32) (result i32) (local $t i32)
    (i32.xor (local.tee $t (i32.rotl (local.get $x) (i32.const 3))) (local.get $y))
    (i32.add (local.get $t)))
  (func (export "chain-acc") (param $x i32) (param $y i32) (result i32)
    (i32.add (i32.xor (i32.rotl (local.get $x) (i32.const 3)) (local.get $y)) (i32.const 5)))
  (func (export "chain-acc-tee") (param $x i32) (param $y i32) (result i32) (local $d i32)
    (i32.add (local.tee $d (i32.xor (i32.rotl (local.get $x) (i32.const 3)) (local.get $y)))
             (i32.const 5))
    (i32.mul (local.get $d)))
  (func (export "chain-f64") (param $a f64) (param $b f64) (param $c f64) (result f64)
    (f64.mul (f64.add (f64.mul (local.get $a) (local.get $b)) (local.get $c)) (f64.const 3)))
  (func (export "chain-br") (param $i i32) (param $n i32) (result i32) (local $c i32) (local $k i32)
    (loop $l
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (local.set $k (i32.mul (local.get $k) (i32.const 3)))
      (br_if $l (i32.ne (i32.add (local.get $c) (local.get $i)) (local.get $n))))
    (local.get $c))
  (func (export "chain-br-tee") (param $i i32) (param $n i32) (result i32)
    (loop $l
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $i))
)

(assert_return (invoke "load" (i32.const 0)) (i32.const 17))
(assert_return (invoke "load-tee" (i32.const 4)) (i32.const 6))
(assert_return (invoke "load-addk" (i32.const 4)) (i32.const -5))
(assert_return (invoke "load-addx" (i32.const 8) (i32.const 4)) (i32.const 3))
(assert_return (invoke "load-a1" (i32.const 0)) (i32.const 100))
(assert_return (invoke "load-a1" (i32.const 28)) (i32.const 102))
(assert_return (invoke "load-ak") (i64.const 0x4fffffffe))
(assert_return (invoke "load-f64" (i32.const 16)) (f64.const 3))
(assert_return (invoke "load-f32" (i32.const 24)) (f32.const 3))
(assert_return (invoke "load-loop" (i32.const 16)) (i32.const 2080))
(assert_return (invoke "chain" (i32.const 0x80000001) (i32.const 1)) (i32.const 13))
(assert_return (invoke "chain-tee" (i32.const 0x80000001) (i32.const 1)) (i32.const 25))
(assert_return (invoke "chain-acc" (i32.const 0x80000001) (i32.const 1)) (i32.const 18))
(assert_return (invoke "chain-acc-tee" (i32.const 0x80000001) (i32.const 1)) (i32.const 234))
(assert_return (invoke "chain-f64" (f64.const 2) (f64.const 3) (f64.const 1)) (f64.const 21))
(assert_return (invoke "chain-br" (i32.const 10) (i32.const 20)) (i32.const 10))
(assert_return (invoke "chain-br-tee" (i32.const 3) (i32.const 9)) (i32.const 9))
