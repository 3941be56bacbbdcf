/* Run-time objects: stores, instances and the things instances are made of. One layout shared
 * by every tier (the interpreter now, compiled code later), so tiers can mix and the host sees
 * one API. */
#ifndef LW_RUNTIME_H
#define LW_RUNTIME_H

#include <stdatomic.h>

#include "module.h"

#define LW_DEFAULT_VALUE_STACK_BYTES (1u << 20)
#define LW_DEFAULT_MAX_CALL_DEPTH 10000u

/* Every value lives in one 64-bit slot: i32/f32 in the low 32 bits (upper bits unspecified for
 * i32 results are zero), i64/f64 as 64 bits, references as pointers (0 = null). */
typedef uint64_t lw_slot;

struct lw_memory {
  uint8_t *data;     /* malloc'd; moves when the memory grows */
  uint64_t size;     /* bytes = pages * 64 KiB */
  uint32_t pages;
  uint32_t max_pages; /* effective maximum: declared max, store cap and 4 GiB combined */
  lw_limits limits;   /* as declared, for import type matching */
  lw_store *store;
};

struct lw_table {
  lw_valtype elem;
  uint32_t size;
  lw_limits limits;   /* limits.min is the current size for import matching */
  lw_slot *elems;     /* size entries; lw_func* for funcref, host pointer for externref */
  lw_store *store;
};

struct lw_global {
  lw_slot value;
  lw_globaltype type;
};

struct lw_func {
  const lw_functype *type;
  uint32_t type_id;         /* canonical signature id: call_indirect compares this */
  lw_store *store;
  lw_instance *instance;    /* NULL for host functions */
  uint32_t index;           /* index in the instance's function index space */
  const lw_func_def *def;   /* defined functions */
  struct lw_code *code;     /* compiled code of defined functions */
  lw_host_fn host;          /* host functions */
  void *user_data;
  lw_functype own_type;     /* storage for host functions' signature */
};

typedef struct lw_elem_instance {
  uint32_t count;           /* 0 once dropped */
  lw_slot *refs;
} lw_elem_instance;

struct lw_instance {
  lw_store *store;
  const lw_module *module;
  lw_func **funcs;          /* function index space */
  lw_table **tables;
  lw_memory **memories;
  lw_global **globals;
  lw_memory *memory0;       /* memories[0] or NULL: the interpreter's fast path */
  uint32_t *type_ids;       /* canonical id of each module type index */
  lw_func *defined_funcs;   /* storage for the module's own functions */
  lw_elem_instance *elems;
  bool *data_dropped;
  lw_instance *next_in_store;
};

struct lw_host_ctx {
  lw_func *func;
  lw_instance *caller;
  lw_error *err;
};

typedef struct lw_owned lw_owned; /* a store's list of owned allocations */

struct lw_store {
  lw_store_config config;
  lw_slot *stack;           /* value stack for the interpreter: frames and operands */
  lw_slot *stack_end;
  uint32_t call_depth;      /* current wasm call depth across nested lw_call */
  _Atomic uint32_t interrupt;
  _Atomic uint64_t deadline_ns;
  lw_instance *instances;
  lw_owned *owned;          /* memories, tables, globals, host funcs created in this store */
};

/* ---- shared run-time helpers (instance.c); every tier calls these ---------------------------- */

/* Returns LW_TRAP_NONE or the trap to raise. */
lw_trap lw_rt_memory_init(lw_instance *inst, uint32_t mem, uint32_t data_index, uint32_t dst,
                          uint32_t src, uint32_t n);
void lw_rt_data_drop(lw_instance *inst, uint32_t data_index);
lw_trap lw_rt_table_init(lw_instance *inst, uint32_t table, uint32_t elem_index, uint32_t dst,
                         uint32_t src, uint32_t n);
void lw_rt_elem_drop(lw_instance *inst, uint32_t elem_index);
lw_trap lw_rt_table_copy(lw_instance *inst, uint32_t dst_table, uint32_t src_table, uint32_t dst,
                         uint32_t src, uint32_t n);
/* Returns the old size or -1. */
int64_t lw_rt_table_grow(lw_table *table, lw_slot init, uint32_t delta);
lw_trap lw_rt_table_fill(lw_table *table, uint32_t dst, lw_slot value, uint32_t n);

/* Call any function (host or wasm) from the host side; slots as in lw_call_raw. */
lw_status lw_invoke(lw_func *func, lw_instance *caller, lw_slot *slots, lw_error *err);

/* interp.c: run a defined function. slots as in lw_call_raw. The interpreter checks call
 * depth, value stack space, interrupt flag and deadline, and names the function in trap
 * messages (lw_func_debug_name). */
lw_status lw_interp_call(lw_func *func, lw_slot *slots, lw_error *err);

/* Name for messages: name section, else an export name, else "func[N]". Writes into buf. */
const char *lw_func_debug_name(const lw_func *func, char *buf, size_t buf_len);

/* True when the interrupt flag is set or the deadline has passed (reads the clock only when a
 * deadline is set). */
bool lw_store_should_stop(lw_store *store);

/* ---- internal plumbing between store.c, linker.c, instance.c and call.c ---------------------- */
lw_value lw_slot_to_value(lw_valtype type, lw_slot slot);
lw_slot lw_value_to_slot(lw_value value);
lw_global *lw_global_new_raw(lw_store *store, lw_globaltype type, lw_slot value);
bool lw_linker_resolve(lw_linker *linker, const char *module, const char *name,
                       const lw_port_info *wanted, lw_extern *out);
void lw_instance_destroy(lw_instance *inst);

#endif
