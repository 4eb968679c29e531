;; A first taste of Stratus: a module in the text format, run by the
;; engine, with a few assertions checked. `stratus wast -v` prints what the
;; module passes to spectest.print_*.
(module
  (import "spectest" "print_i64" (func $print (param i64)))
  (func $fac (export "fac") (param $n i64) (result i64)
    (if (result i64) (i64.le_u (local.get $n) (i64.const 1))
      (then (i64.const 1))
      (else (i64.mul (local.get $n)
                     (call $fac (i64.sub (local.get $n) (i64.const 1)))))))
  (func (export "main")
    (local $i i64)
    (loop $next
      (call $print (call $fac (local.get $i)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $next (i64.le_u (local.get $i) (i64.const 20))))))

(invoke "main")
(assert_return (invoke "fac" (i64.const 20)) (i64.const 2432902008176640000))
(assert_return (invoke "fac" (i64.const 25)) (i64.const 7034535277573963776))
