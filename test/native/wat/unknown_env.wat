;; Imports an env function the env library does not have.
(module
  (import "env" "qsort" (func (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "filter") (param i32 i32 i32 i32 i32 i32) (result i32) (local.get 4)))
