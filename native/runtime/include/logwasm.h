/* logwasm: a WebAssembly 2.0 runtime. Public C API.
 *
 * Objects and their lifetimes:
 *   lw_module    decoded, validated and compiled code; immutable, shareable by any number of
 *                instances (in any store); freed with lw_module_free after its instances.
 *   lw_store     owns everything that exists at run time: instances, host functions, memories,
 *                tables, globals, the value stack and the interrupt flag. Freed all at once.
 *                A store is used by one thread at a time.
 *   lw_linker    names (module, name) -> extern, used to resolve imports. Holds no ownership.
 *
 * Errors are values: every fallible call returns an lw_status and, when given a non-NULL
 * lw_error, fills it with a message meant for a person ("unknown import env.foo", "out of bounds
 * memory access in function 'parse'"). */
#ifndef LOGWASM_H
#define LOGWASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LW_VERSION_STRING "0.1.0"

typedef enum lw_status {
  LW_OK = 0,
  LW_ERR_MALFORMED,    /* the bytes are not a WebAssembly binary (decode error) */
  LW_ERR_INVALID,      /* decoded, but fails validation */
  LW_ERR_UNSUPPORTED,  /* a feature logwasm does not implement */
  LW_ERR_LINK,         /* import resolution failed (unknown import, incompatible import type) */
  LW_ERR_TRAP,         /* execution trapped; lw_error.trap says which trap */
  LW_ERR_EXIT,         /* the guest called proc_exit; lw_error.exit_code holds the code */
  LW_ERR_NOMEM,        /* the host ran out of memory */
  LW_ERR_ARGUMENT,     /* the caller passed something wrong (bad name, wrong arity, ...) */
  LW_ERR_IO            /* a file could not be read or written */
} lw_status;

typedef enum lw_trap {
  LW_TRAP_NONE = 0,
  LW_TRAP_UNREACHABLE,            /* "unreachable" */
  LW_TRAP_MEMORY_OUT_OF_BOUNDS,   /* "out of bounds memory access" */
  LW_TRAP_TABLE_OUT_OF_BOUNDS,    /* "out of bounds table access" / "undefined element" */
  LW_TRAP_INDIRECT_NULL,          /* "uninitialized element" */
  LW_TRAP_INDIRECT_MISMATCH,      /* "indirect call type mismatch" */
  LW_TRAP_INTEGER_DIVIDE_BY_ZERO, /* "integer divide by zero" */
  LW_TRAP_INTEGER_OVERFLOW,       /* "integer overflow" */
  LW_TRAP_INVALID_CONVERSION,     /* "invalid conversion to integer" */
  LW_TRAP_CALL_STACK_EXHAUSTED,   /* "call stack exhausted" */
  LW_TRAP_NULL_REFERENCE,         /* "null reference" */
  LW_TRAP_INTERRUPTED,            /* lw_store_interrupt or the deadline stopped the call */
  LW_TRAP_HOST                    /* a host function trapped; message says why */
} lw_trap;

typedef struct lw_error {
  lw_status status;
  lw_trap trap;       /* when status == LW_ERR_TRAP */
  int exit_code;      /* when status == LW_ERR_EXIT */
  char message[512];  /* NUL-terminated, always set when status != LW_OK */
} lw_error;

/* The trap's short canonical text (the spec testsuite's wording), e.g. "integer divide by zero". */
const char *lw_trap_text(lw_trap trap);

typedef enum lw_valtype {
  LW_I32 = 0x7f,
  LW_I64 = 0x7e,
  LW_F32 = 0x7d,
  LW_F64 = 0x7c,
  LW_V128 = 0x7b,
  LW_FUNCREF = 0x70,
  LW_EXTERNREF = 0x6f
} lw_valtype;

typedef struct lw_func lw_func;
typedef struct lw_memory lw_memory;
typedef struct lw_table lw_table;
typedef struct lw_global lw_global;
typedef struct lw_module lw_module;
typedef struct lw_store lw_store;
typedef struct lw_instance lw_instance;
typedef struct lw_linker lw_linker;

/* A typed value. References: funcref is an lw_func* (NULL = null), externref is any host
 * pointer (NULL = null). */
typedef struct lw_value {
  lw_valtype type;
  union {
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
    uint8_t v128[16];
    lw_func *funcref;
    void *externref;
  } of;
} lw_value;

typedef enum lw_extern_kind {
  LW_EXTERN_FUNC = 0,
  LW_EXTERN_TABLE = 1,
  LW_EXTERN_MEMORY = 2,
  LW_EXTERN_GLOBAL = 3
} lw_extern_kind;

typedef struct lw_extern {
  lw_extern_kind kind;
  union {
    lw_func *func;
    lw_table *table;
    lw_memory *memory;
    lw_global *global;
  } of;
} lw_extern;

/* ---- modules ------------------------------------------------------------------------------ */

typedef struct lw_load_options {
  const char *name; /* shown in error messages, e.g. the file path; may be NULL */
} lw_load_options;

/* Decode, validate and compile. On failure *out is NULL and err says what is wrong and where
 * (section, function index, byte offset). */
lw_status lw_module_load(const uint8_t *bytes, size_t len, const lw_load_options *opts,
                         lw_module **out, lw_error *err);
/* Decode and validate only. */
lw_status lw_module_validate(const uint8_t *bytes, size_t len, lw_error *err);
void lw_module_free(lw_module *module);

/* Imports and exports, for hosts that check a plugin before instantiating it. */
size_t lw_module_import_count(const lw_module *module);
size_t lw_module_export_count(const lw_module *module);
typedef struct lw_port_info {
  const char *module; /* NULL for exports */
  const char *name;
  lw_extern_kind kind;
  /* for functions: the signature */
  uint32_t param_count, result_count;
  const lw_valtype *params, *results;
} lw_port_info;
void lw_module_import(const lw_module *module, size_t index, lw_port_info *out);
void lw_module_export(const lw_module *module, size_t index, lw_port_info *out);

/* ---- stores ------------------------------------------------------------------------------- */

typedef struct lw_store_config {
  uint32_t value_stack_bytes; /* interpreter operand+frame stack; 0 = default (1 MiB) */
  uint32_t max_call_depth;    /* 0 = default (10000); deeper calls trap "call stack exhausted" */
  uint32_t max_memory_pages;  /* cap on any memory's growth, in 64 KiB pages; 0 = no cap */
} lw_store_config;

lw_store *lw_store_new(const lw_store_config *config); /* NULL config = defaults */
void lw_store_free(lw_store *store);

/* Ask the call running in this store to stop at its next loop back-edge or function entry:
 * it returns LW_ERR_TRAP with trap LW_TRAP_INTERRUPTED. Safe to call from any thread. The flag
 * stays set until lw_store_clear_interrupt. */
void lw_store_interrupt(lw_store *store);
void lw_store_clear_interrupt(lw_store *store);
/* Deadline in CLOCK_MONOTONIC nanoseconds after which calls are interrupted; 0 = none. */
void lw_store_set_deadline(lw_store *store, uint64_t monotonic_ns);
uint64_t lw_monotonic_ns(void);

/* ---- host functions, linking, instances ----------------------------------------------------- */

typedef struct lw_host_ctx lw_host_ctx;

/* A host function. slots[i] holds parameter i on entry (i32/f32 in the low 32 bits, i64/f64 as
 * 64 bits, references as pointers); results are written to slots[0..result_count) before
 * returning. slots has room for max(params, results) values. Return LW_OK, or the value of
 * lw_host_trap / lw_host_exit. */
typedef lw_status (*lw_host_fn)(lw_host_ctx *ctx, uint64_t *slots);

lw_func *lw_func_new_host(lw_store *store, const lw_valtype *params, uint32_t param_count,
                          const lw_valtype *results, uint32_t result_count, lw_host_fn fn,
                          void *user_data);

void *lw_host_user_data(lw_host_ctx *ctx);
/* The instance whose code made the call (NULL when called through lw_call directly). */
lw_instance *lw_host_caller(lw_host_ctx *ctx);
/* The caller's memory 0 (NULL if it has none); *size receives its size in bytes. The pointer is
 * valid until the memory grows. */
uint8_t *lw_host_memory(lw_host_ctx *ctx, uint64_t *size);
lw_status lw_host_trap(lw_host_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
lw_status lw_host_exit(lw_host_ctx *ctx, int code);

lw_linker *lw_linker_new(void);
void lw_linker_free(lw_linker *linker);
/* Later definitions of the same (module, name) replace earlier ones. */
lw_status lw_linker_define(lw_linker *linker, const char *module, const char *name,
                           lw_extern value);
/* Define every export of an instance under a module name (the spec tests' "register"). */
lw_status lw_linker_define_instance(lw_linker *linker, const char *module,
                                    lw_instance *instance);
/* Called for imports the linker has no definition for; may define it on the fly. */
typedef bool (*lw_import_fallback)(void *user, const char *module, const char *name,
                                   const lw_port_info *wanted, lw_extern *out);
void lw_linker_set_fallback(lw_linker *linker, lw_import_fallback fn, void *user);

/* Resolve imports, allocate memories/tables/globals, apply segments, run the start function.
 * Errors: LW_ERR_LINK ("unknown import m.n", "incompatible import type for m.n: ..."),
 * LW_ERR_TRAP (segment out of bounds, start function trapped). On failure nothing is left
 * half-visible except what the spec requires (segments applied before a trap stay applied). */
lw_status lw_instantiate(lw_store *store, const lw_module *module, lw_linker *linker,
                         lw_instance **out, lw_error *err);

lw_status lw_instance_export(lw_instance *instance, const char *name, lw_extern *out);
/* The same for names given with a length: export names may contain U+0000. */
lw_status lw_instance_export_n(lw_instance *instance, const char *name, size_t name_len,
                               lw_extern *out);
lw_func *lw_instance_func(lw_instance *instance, const char *name); /* NULL if none */
const lw_module *lw_instance_module(const lw_instance *instance);
lw_store *lw_instance_store(const lw_instance *instance);

/* ---- calling -------------------------------------------------------------------------------- */

void lw_func_type(const lw_func *func, uint32_t *param_count, const lw_valtype **params,
                  uint32_t *result_count, const lw_valtype **results);
/* Debug name from the name section or export, or NULL. */
const char *lw_func_name(const lw_func *func);

/* Call with typed values; arity and types are checked. */
lw_status lw_call(lw_func *func, const lw_value *args, uint32_t arg_count, lw_value *results,
                  uint32_t result_count, lw_error *err);
/* Fast path: slots as for lw_host_fn (params in, results out), no type checks. slots must have
 * room for max(params, results). */
lw_status lw_call_raw(lw_func *func, uint64_t *slots, lw_error *err);

/* ---- memories, tables, globals -------------------------------------------------------------- */

lw_memory *lw_instance_memory(lw_instance *instance, uint32_t index); /* NULL if none */
uint8_t *lw_memory_data(lw_memory *memory);     /* valid until the memory grows */
uint64_t lw_memory_size(const lw_memory *memory); /* bytes */
/* Grow by delta pages; returns the old size in pages or -1 (limits, cap or host memory). */
int64_t lw_memory_grow(lw_memory *memory, uint32_t delta_pages);

lw_memory *lw_memory_new(lw_store *store, uint32_t min_pages, uint32_t max_pages, bool has_max);
lw_table *lw_table_new(lw_store *store, lw_valtype elem, uint32_t min, uint32_t max,
                       bool has_max, void *init);
lw_global *lw_global_new(lw_store *store, lw_value value, bool mutable_);

lw_value lw_global_get(const lw_global *global);
lw_status lw_global_set(lw_global *global, lw_value value, lw_error *err);
uint32_t lw_table_size(const lw_table *table);

#ifdef __cplusplus
}
#endif
#endif
