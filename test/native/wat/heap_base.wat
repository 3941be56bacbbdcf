;; Exports __heap_base/__data_end with room in the initial memory: the host heap must go there
;; and __heap_base must move past it (1024 + 8192 = 9216). Traps unless both hold.
(module
  (memory (export "memory") 2)
  (global $hb (export "__heap_base") i32 (i32.const 1024))
  (global $de (export "__data_end") i32 (i32.const 1024))
  (func (export "filter") (param i32 i32 i32 i32) (param $rec i32) (param i32) (result i32)
    (if (i32.ne (global.get $hb) (i32.const 9216)) (then unreachable))
    (if (i32.lt_u (local.get $rec) (i32.const 1024)) (then unreachable))
    (if (i32.ge_u (local.get $rec) (i32.const 9216)) (then unreachable))
    (local.get $rec))
)
