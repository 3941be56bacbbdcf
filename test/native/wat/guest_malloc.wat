;; Exports malloc/free (a bump allocator that counts calls); the filter echoes the record,
;; traps on tag "t", and on tag "q" returns {"m":<mallocs>,"f":<frees>} (last digits).
(module
  (memory (export "memory") 2)
  (global $next (mut i32) (i32.const 4096))
  (global $mallocs (mut i32) (i32.const 0))
  (global $frees (mut i32) (i32.const 0))
  (data (i32.const 16) "{\"m\":0,\"f\":0}\00")
  (func (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (global.set $mallocs (i32.add (global.get $mallocs) (i32.const 1)))
    (local.set $p (global.get $next))
    (global.set $next (i32.and (i32.add (i32.add (local.get $p) (local.get $n)) (i32.const 15)) (i32.const -16)))
    (if (i32.gt_u (global.get $next) (i32.const 120000)) (then (global.set $next (i32.const 4096))))
    (local.get $p))
  ;; Like a real allocator, free writes into the freed block (dlmalloc keeps list links
  ;; there): the host must read a result that points into its input before freeing.
  (func (export "free") (param $p i32)
    (memory.fill (local.get $p) (i32.const 255) (i32.const 24))
    (global.set $frees (i32.add (global.get $frees) (i32.const 1))))
  (func (export "filter") (param i32 i32 i32 i32) (param $rec i32) (param i32) (result i32)
    (if (i32.eq (i32.load8_u (local.get 0)) (i32.const 116)) (then unreachable))
    (if (i32.eq (i32.load8_u (local.get 0)) (i32.const 113))
      (then
        (i32.store8 (i32.const 21) (i32.add (i32.const 48) (i32.rem_u (global.get $mallocs) (i32.const 10))))
        (i32.store8 (i32.const 27) (i32.add (i32.const 48) (i32.rem_u (global.get $frees) (i32.const 10))))
        (return (i32.const 16))))
    (local.get $rec))
)
