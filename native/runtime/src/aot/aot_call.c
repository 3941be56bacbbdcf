/* Running compiled code: the entry from the host (lw_aot_invoke) and the runtime functions
 * compiled code calls through lw_aot_rt.
 *
 * Traps unwind with longjmp to the innermost lw_aot_invoke: compiled frames own no resources,
 * so skipping them is safe, and it costs nothing on the normal path (one setjmp per entry from
 * the host, none per wasm-to-wasm call). A nested entry (compiled -> host -> compiled) has its
 * own jump buffer, so a trap never crosses a host frame. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "aot.h"
#include "aot_abi.h"

/* Compiled code must leave this much native stack for the runtime, host functions it calls
 * and the sanitizers' bigger frames. */
#define LW_AOT_STACK_RESERVE (256u * 1024u)

/* The lowest address compiled code may use on this thread's stack: the thread's stack bottom
 * (from pthread) plus a reserve. Computed once per thread. */
static uint64_t stack_limit(void) {
  static _Thread_local uint64_t cached;
  if (cached) return cached;
  uint64_t here = (uint64_t)(uintptr_t)__builtin_frame_address(0);
  uint64_t limit = 0;
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void *low;
    size_t size;
    if (pthread_attr_getstack(&attr, &low, &size) == 0 && size > 2 * LW_AOT_STACK_RESERVE &&
        (uint64_t)(uintptr_t)low < here)
      limit = (uint64_t)(uintptr_t)low + LW_AOT_STACK_RESERVE;
    pthread_attr_destroy(&attr);
  }
  if (!limit) limit = here > (1u << 20) ? here - (1u << 20) : 1; /* unknown: allow 1 MiB */
  cached = limit;
  return cached;
}

static uint32_t max_depth(const lw_store *store) {
  return store->config.max_call_depth ? store->config.max_call_depth : LW_DEFAULT_MAX_CALL_DEPTH;
}

static void refresh_memory(lw_aot_ctx *ctx) {
  lw_memory *mem = ctx->inst->memory0;
  if (mem) {
    ctx->mem_base = mem->data;
    ctx->mem_size = mem->size;
  }
}

static __attribute__((noreturn)) void unwind(lw_aot_ctx *ctx, lw_status status) {
  ctx->entry->status = status;
  longjmp(ctx->entry->jump, 1);
}

static __attribute__((noreturn)) void raise_trap(lw_aot_ctx *ctx, uint32_t code,
                                                 uint32_t func_index) {
  lw_trap trap = code == LW_AOT_TRAP_UNDEFINED_ELEMENT ? LW_TRAP_TABLE_OUT_OF_BOUNDS : (lw_trap)code;
  /* the spec words the table trap differently for call_indirect and table instructions;
   * same wording as the interpreter */
  const char *text = code == LW_AOT_TRAP_UNDEFINED_ELEMENT ? "undefined element"
                     : code == LW_TRAP_INDIRECT_NULL        ? "uninitialized element"
                     : code == LW_TRAP_TABLE_OUT_OF_BOUNDS  ? "out of bounds table access"
                                                            : lw_trap_text(trap);
  char name_buf[64];
  const char *name = func_index < ctx->inst->module->func_count
                         ? lw_func_debug_name(ctx->funcs[func_index], name_buf, sizeof name_buf)
                         : "?";
  lw_error_trap(ctx->entry->err, trap, "%s in function '%s'", text, name);
  unwind(ctx, LW_ERR_TRAP);
}

static void rt_trap(lw_aot_ctx *ctx, uint32_t code, uint32_t func_index) {
  raise_trap(ctx, code, func_index);
}

static void rt_poll(lw_aot_ctx *ctx, uint32_t func_index) {
  ctx->poll_countdown = LW_AOT_POLL_INTERVAL;
  if (lw_store_should_stop(ctx->inst->store)) raise_trap(ctx, LW_TRAP_INTERRUPTED, func_index);
}

static void rt_call(lw_aot_ctx *ctx, lw_func *func, uint64_t *slots, uint32_t depth,
                    uint32_t func_index) {
  lw_store *store = ctx->inst->store;
  uint32_t saved = store->call_depth;
  /* let the callee see the depth compiled code used so far */
  store->call_depth = max_depth(store) - depth;
  lw_status st = lw_invoke(func, ctx->inst, slots, ctx->entry->err);
  store->call_depth = saved;
  refresh_memory(ctx);
  if (st != LW_OK) unwind(ctx, st);
  (void)func_index;
}

static int32_t rt_memory_grow(lw_aot_ctx *ctx, uint32_t delta) {
  int64_t old = lw_memory_grow(ctx->inst->memory0, delta);
  refresh_memory(ctx);
  return (int32_t)old;
}

static void rt_memory_fill(lw_aot_ctx *ctx, uint32_t dst, uint32_t value, uint32_t n,
                           uint32_t func_index) {
  if ((uint64_t)dst + n > ctx->mem_size)
    raise_trap(ctx, LW_TRAP_MEMORY_OUT_OF_BOUNDS, func_index);
  memset(ctx->mem_base + dst, (int)(value & 0xff), n);
}

static void rt_memory_copy(lw_aot_ctx *ctx, uint32_t dst, uint32_t src, uint32_t n,
                           uint32_t func_index) {
  if ((uint64_t)dst + n > ctx->mem_size || (uint64_t)src + n > ctx->mem_size)
    raise_trap(ctx, LW_TRAP_MEMORY_OUT_OF_BOUNDS, func_index);
  memmove(ctx->mem_base + dst, ctx->mem_base + src, n);
}

static void rt_memory_init(lw_aot_ctx *ctx, uint32_t data_index, uint32_t dst, uint32_t src,
                           uint32_t n, uint32_t func_index) {
  lw_trap t = lw_rt_memory_init(ctx->inst, 0, data_index, dst, src, n);
  if (t != LW_TRAP_NONE) raise_trap(ctx, t, func_index);
}

static void rt_data_drop(lw_aot_ctx *ctx, uint32_t data_index) {
  lw_rt_data_drop(ctx->inst, data_index);
}

static void rt_table_init(lw_aot_ctx *ctx, uint32_t table, uint32_t elem_index, uint32_t dst,
                          uint32_t src, uint32_t n, uint32_t func_index) {
  lw_trap t = lw_rt_table_init(ctx->inst, table, elem_index, dst, src, n);
  if (t != LW_TRAP_NONE) raise_trap(ctx, t, func_index);
}

static void rt_elem_drop(lw_aot_ctx *ctx, uint32_t elem_index) {
  lw_rt_elem_drop(ctx->inst, elem_index);
}

static void rt_table_copy(lw_aot_ctx *ctx, uint32_t dst_table, uint32_t src_table, uint32_t dst,
                          uint32_t src, uint32_t n, uint32_t func_index) {
  lw_trap t = lw_rt_table_copy(ctx->inst, dst_table, src_table, dst, src, n);
  if (t != LW_TRAP_NONE) raise_trap(ctx, t, func_index);
}

static int32_t rt_table_grow(lw_aot_ctx *ctx, uint32_t table, void *init, uint32_t delta) {
  return (int32_t)lw_rt_table_grow(ctx->tables[table], (lw_slot)(uintptr_t)init, delta);
}

static void rt_table_fill(lw_aot_ctx *ctx, uint32_t table, uint32_t dst, void *value, uint32_t n,
                          uint32_t func_index) {
  lw_trap t = lw_rt_table_fill(ctx->tables[table], dst, (lw_slot)(uintptr_t)value, n);
  if (t != LW_TRAP_NONE) raise_trap(ctx, t, func_index);
}

static const lw_aot_rt runtime_table = {
    .trap = rt_trap,
    .poll = rt_poll,
    .call = rt_call,
    .memory_grow = rt_memory_grow,
    .memory_fill = rt_memory_fill,
    .memory_copy = rt_memory_copy,
    .memory_init = rt_memory_init,
    .data_drop = rt_data_drop,
    .table_init = rt_table_init,
    .elem_drop = rt_elem_drop,
    .table_copy = rt_table_copy,
    .table_grow = rt_table_grow,
    .table_fill = rt_table_fill,
};

lw_status lw_aot_invoke(lw_func *func, lw_slot *slots, lw_error *err) {
  lw_error local_err;
  if (!err) err = &local_err;
  lw_instance *inst = func->instance;
  const lw_aot_image *img = inst ? lw_aot_image_of(inst->module) : NULL;
  if (!img || func->index < inst->module->imported_func_count)
    return lw_error_set(err, LW_ERR_ARGUMENT, "function has no AOT-compiled code");
  uint32_t defined = func->index - inst->module->imported_func_count;
  lw_store *store = inst->store;
  uint32_t limit = max_depth(store);
  if (store->call_depth >= limit) {
    char name_buf[64];
    return lw_error_trap(err, LW_TRAP_CALL_STACK_EXHAUSTED, "%s in function '%s'",
                         lw_trap_text(LW_TRAP_CALL_STACK_EXHAUSTED),
                         lw_func_debug_name(func, name_buf, sizeof name_buf));
  }

  /* an interrupt or deadline already due stops the call before it starts, as in the
   * interpreter (compiled code polls only in loops and recursive functions) */
  if (lw_store_should_stop(store)) {
    char name_buf[64];
    return lw_error_trap(err, LW_TRAP_INTERRUPTED, "%s in function '%s'",
                         lw_trap_text(LW_TRAP_INTERRUPTED),
                         lw_func_debug_name(func, name_buf, sizeof name_buf));
  }

  lw_aot_entry entry;
  entry.err = err;
  entry.status = LW_OK;
  lw_aot_ctx ctx;
  memset(&ctx, 0, sizeof ctx);
  ctx.poll_countdown = LW_AOT_POLL_INTERVAL;
  ctx.imported_func_count = inst->module->imported_func_count;
  ctx.globals = inst->globals;
  ctx.tables = inst->tables;
  ctx.funcs = inst->funcs;
  ctx.type_ids = inst->type_ids;
  ctx.native_funcs = img->native;
  ctx.rt = &runtime_table;
  ctx.inst = inst;
  ctx.entry = &entry;
  ctx.stack_limit = stack_limit();
  refresh_memory(&ctx);

  const uint32_t saved_depth = store->call_depth;
  if (setjmp(entry.jump) != 0) {
    store->call_depth = saved_depth;
    return *(volatile lw_status *)&entry.status;
  }
  img->wrapper_of[defined](&ctx, limit - saved_depth, slots, img->native[defined]);
  store->call_depth = saved_depth;
  return LW_OK;
}
