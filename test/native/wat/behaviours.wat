;; A test filter whose behaviour is chosen by the first byte of the tag. No malloc/free
;; exports, so the host heap is used (appended after the single initial page).
(module
  (memory (export "memory") 1)
  (global $count (mut i32) (i32.const 0))
  (data (i32.const 16) "hello\00")
  (data (i32.const 32) "[1]\00")
  (data (i32.const 48) "\00")
  (data (i32.const 64) "{\"n\":0}\00")
  ;; msgpack {"k": 0} (contains a zero byte) and [1] (not a map)
  (data (i32.const 80) "\81\a1k\00")
  (data (i32.const 96) "\91\01")
  (func (export "filter") (param $tag i32) (param $tag_len i32) (param $sec i32) (param $nsec i32)
                          (param $rec i32) (param $len i32) (result i32)
    (local $c i32)
    (local $end i32)
    (local.set $c (i32.load8_u (local.get $tag)))
    ;; the tag copy must end with a NUL that tag_len does not count
    (if (i32.load8_u (i32.add (local.get $tag) (local.get $tag_len))) (then unreachable))
    (if (i32.eq (local.get $c) (i32.const 116)) (then unreachable))                ;; t: trap
    (if (i32.eq (local.get $c) (i32.const 108)) (then (loop $l (br $l))))         ;; l: loop forever
    (if (i32.eq (local.get $c) (i32.const 111)) (then (return (i32.const 0x7ffffff0)))) ;; o: out of bounds
    (if (i32.eq (local.get $c) (i32.const 117))                                    ;; u: no NUL before the end
      (then
        (local.set $end (i32.mul (memory.size) (i32.const 65536)))
        (memory.fill (i32.sub (local.get $end) (i32.const 16)) (i32.const 120) (i32.const 16))
        (return (i32.sub (local.get $end) (i32.const 16)))))
    (if (i32.eq (local.get $c) (i32.const 104)) (then (return (i32.const 16))))   ;; h: "hello"
    (if (i32.eq (local.get $c) (i32.const 97)) (then (return (i32.const 32))))    ;; a: "[1]"
    (if (i32.eq (local.get $c) (i32.const 110)) (then (return (i32.const 0))))    ;; n: NULL
    (if (i32.eq (local.get $c) (i32.const 101)) (then (return (i32.const 48))))   ;; e: ""
    (if (i32.eq (local.get $c) (i32.const 109)) (then (return (i32.const 80))))   ;; m: msgpack {"k":0}
    (if (i32.eq (local.get $c) (i32.const 120)) (then (return (i32.const 96))))   ;; x: msgpack [1]
    (if (i32.eq (local.get $c) (i32.const 99))                                     ;; c: {"n":count}
      (then
        (global.set $count (i32.add (global.get $count) (i32.const 1)))
        (i32.store8 (i32.const 69) (i32.add (i32.const 48) (global.get $count)))
        (return (i32.const 64))))
    (if (i32.eq (local.get $c) (i32.const 115))                                    ;; s: check the time args
      (then
        (if (i32.ne (local.get $sec) (i32.const 1666270588)) (then unreachable))
        (if (i32.ne (local.get $nsec) (i32.const 271704000)) (then unreachable))))
    ;; default: echo the record (JSON: NUL-terminated; msgpack: exactly rec_len bytes)
    (local.get $rec))
)
