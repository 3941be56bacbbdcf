/* The contract between code compiled by logwasm-aotc and the runtime that runs it.
 *
 * Every compiled function receives an lw_aot_ctx* first and the remaining call depth second.
 * The context holds the instance's hot state (memory base and size, globals, tables, functions)
 * and a table of runtime entry points (lw_aot_rt), so compiled code references no symbols of the
 * runtime: the loader has nothing to bind by name. The compiler reads the field offsets below
 * with offsetof and bakes them into the code; LW_AOT_ABI_VERSION and the layout fingerprint in
 * every artifact make the loader refuse code built against another layout. */
#ifndef LW_AOT_ABI_H
#define LW_AOT_ABI_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#include "../runtime.h"

/* Bump when lw_aot_ctx, lw_aot_rt or the calling convention of compiled code changes. */
#define LW_AOT_ABI_VERSION 1u

/* Compiled code decrements poll_countdown at function entry and loop headers and calls rt->poll
 * when it goes negative: interrupts and deadlines are noticed within this many steps. */
#define LW_AOT_POLL_INTERVAL 4096

typedef struct lw_aot_ctx lw_aot_ctx;

/* rt->trap's code: an lw_trap, or this one for call_indirect's out-of-range index, which the
 * spec words "undefined element" rather than "out of bounds table access". */
#define LW_AOT_TRAP_UNDEFINED_ELEMENT (LW_TRAP_HOST + 1)

/* Runtime entry points used by compiled code. Functions that can trap take the index of the
 * calling function (module index space) so the message can name it; they do not return when
 * they trap (longjmp to the entry in lw_aot_invoke). */
typedef struct lw_aot_rt {
  void (*trap)(lw_aot_ctx *ctx, uint32_t trap, uint32_t func_index); /* never returns */
  void (*poll)(lw_aot_ctx *ctx, uint32_t func_index);
  /* Call any function through lw_invoke (host, interpreted, other instance). slots as in
   * lw_call_raw. depth = call depth still available to the caller. */
  void (*call)(lw_aot_ctx *ctx, lw_func *func, uint64_t *slots, uint32_t depth,
               uint32_t func_index);
  int32_t (*memory_grow)(lw_aot_ctx *ctx, uint32_t delta_pages);
  void (*memory_fill)(lw_aot_ctx *ctx, uint32_t dst, uint32_t value, uint32_t n,
                      uint32_t func_index);
  void (*memory_copy)(lw_aot_ctx *ctx, uint32_t dst, uint32_t src, uint32_t n,
                      uint32_t func_index);
  void (*memory_init)(lw_aot_ctx *ctx, uint32_t data_index, uint32_t dst, uint32_t src,
                      uint32_t n, uint32_t func_index);
  void (*data_drop)(lw_aot_ctx *ctx, uint32_t data_index);
  void (*table_init)(lw_aot_ctx *ctx, uint32_t table, uint32_t elem_index, uint32_t dst,
                     uint32_t src, uint32_t n, uint32_t func_index);
  void (*elem_drop)(lw_aot_ctx *ctx, uint32_t elem_index);
  void (*table_copy)(lw_aot_ctx *ctx, uint32_t dst_table, uint32_t src_table, uint32_t dst,
                     uint32_t src, uint32_t n, uint32_t func_index);
  int32_t (*table_grow)(lw_aot_ctx *ctx, uint32_t table, void *init, uint32_t delta);
  void (*table_fill)(lw_aot_ctx *ctx, uint32_t table, uint32_t dst, void *value, uint32_t n,
                     uint32_t func_index);
} lw_aot_rt;

/* How a host-to-wasm entry unwinds: compiled code has no destructors and holds no locks, so a
 * trap longjmps straight back to lw_aot_invoke (one setjmp per entry from the host, none per
 * wasm call). */
typedef struct lw_aot_entry {
  jmp_buf jump;
  lw_error *err;
  lw_status status;
} lw_aot_entry;

struct lw_aot_ctx {
  uint8_t *mem_base;          /* memory 0 data; refreshed by the runtime after grow and calls */
  uint64_t mem_size;          /* memory 0 size in bytes */
  int32_t poll_countdown;
  uint32_t imported_func_count;
  lw_global **globals;        /* instance globals; lw_global.value is at offset 0 */
  lw_table **tables;
  lw_func **funcs;            /* function index space */
  uint32_t *type_ids;         /* canonical signature id per module type index */
  void *const *native_funcs;  /* defined function i -> compiled entry */
  const lw_aot_rt *rt;
  lw_instance *inst;
  lw_aot_entry *entry;
  uint64_t stack_limit;       /* recursive functions trap "call stack exhausted" below this */
};

/* Offsets compiled code depends on. The fingerprint folds them (and the ABI version) into one
 * number stored in the artifact; a runtime built with another layout refuses the artifact. */
#define LW_AOT_LAYOUT_FIELDS(X)                                                                \
  X(lw_aot_ctx, mem_base) X(lw_aot_ctx, mem_size) X(lw_aot_ctx, poll_countdown)                \
  X(lw_aot_ctx, imported_func_count) X(lw_aot_ctx, globals) X(lw_aot_ctx, tables)              \
  X(lw_aot_ctx, funcs) X(lw_aot_ctx, type_ids) X(lw_aot_ctx, native_funcs) X(lw_aot_ctx, rt)   \
  X(lw_aot_ctx, inst) X(lw_aot_rt, trap) X(lw_aot_rt, poll) X(lw_aot_rt, call)                 \
  X(lw_aot_rt, memory_grow) X(lw_aot_rt, memory_fill) X(lw_aot_rt, memory_copy)                \
  X(lw_aot_rt, memory_init) X(lw_aot_rt, data_drop) X(lw_aot_rt, table_init)                   \
  X(lw_aot_rt, elem_drop) X(lw_aot_rt, table_copy) X(lw_aot_rt, table_grow)                    \
  X(lw_aot_rt, table_fill) X(lw_global, value) X(lw_table, size) X(lw_table, elems)            \
  X(lw_func, type_id) X(lw_func, instance) X(lw_func, index) X(lw_aot_ctx, stack_limit)

static inline uint32_t lw_aot_layout_fingerprint(void) {
  uint32_t h = 2166136261u ^ LW_AOT_ABI_VERSION;
#define LW_AOT_FOLD(type, field) h = (h ^ (uint32_t)offsetof(struct type, field)) * 16777619u;
  LW_AOT_LAYOUT_FIELDS(LW_AOT_FOLD)
#undef LW_AOT_FOLD
  h = (h ^ (uint32_t)sizeof(lw_slot)) * 16777619u;
  return h;
}

#endif
