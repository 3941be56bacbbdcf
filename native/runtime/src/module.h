/* The decoded form of a module: what decode.c produces, validate.c checks, compile.c translates
 * and instance.c instantiates. Index spaces follow the spec: imports come first. */
#ifndef LW_MODULE_H
#define LW_MODULE_H

#include "logwasm.h"

#define LW_PAGE_SIZE 65536u
#define LW_MAX_PAGES 65536u      /* 4 GiB for a 32-bit memory */
#define LW_MAX_LOCALS 50000u     /* more locals in one function than this is rejected */
#define LW_MAX_TABLE_SIZE 10000000u

typedef struct lw_functype {
  uint32_t param_count, result_count;
  lw_valtype *params;  /* param_count entries */
  lw_valtype *results; /* result_count entries */
  uint32_t canonical_id; /* equal signatures share one id process-wide (types.c) */
} lw_functype;

typedef struct lw_limits {
  uint32_t min, max;
  bool has_max;
} lw_limits;

typedef struct lw_tabletype {
  lw_valtype elem; /* LW_FUNCREF or LW_EXTERNREF */
  lw_limits limits;
} lw_tabletype;

typedef struct lw_globaltype {
  lw_valtype type;
  bool mutable_;
} lw_globaltype;

/* A constant expression of WebAssembly 2.0: exactly one of these instructions, then `end`. */
typedef enum lw_const_kind {
  LW_CONST_I32,
  LW_CONST_I64,
  LW_CONST_F32,
  LW_CONST_F64,
  LW_CONST_V128,
  LW_CONST_REF_NULL,
  LW_CONST_REF_FUNC,
  LW_CONST_GLOBAL_GET
} lw_const_kind;

typedef struct lw_const_expr {
  lw_const_kind kind;
  lw_valtype type;    /* the type of the value it produces */
  union {
    uint64_t bits;    /* i32/i64/f32/f64 as raw bits (i32 zero-extended) */
    uint8_t v128[16];
    uint32_t index;   /* function index for ref.func, global index for global.get */
  } u;
} lw_const_expr;

typedef struct lw_import_def {
  char *module;
  char *name;
  lw_extern_kind kind;
  union {
    uint32_t type_index; /* LW_EXTERN_FUNC */
    lw_tabletype table;
    lw_limits memory;
    lw_globaltype global;
  } desc;
  uint32_t module_len, name_len; /* bytes in module/name: names may contain NUL */
} lw_import_def;

typedef struct lw_export_def {
  char *name;
  lw_extern_kind kind;
  uint32_t index;
  uint32_t name_len; /* bytes in name: names may contain NUL (valid UTF-8 U+0000) */
} lw_export_def;

struct lw_code; /* compiled form of a function, owned by compile.c/interp.c */

/* A function defined by the module (not imported). */
typedef struct lw_func_def {
  uint32_t type_index;
  uint32_t local_count;     /* declared locals, parameters not included */
  lw_valtype *local_types;  /* local_count entries */
  const uint8_t *body;      /* the instructions after the local declarations, through `end` */
  size_t body_len;
  size_t body_offset;       /* offset of body in the module bytes, for error messages */
  struct lw_code *code;     /* set by lw_compile_function */
} lw_func_def;

typedef struct lw_global_def {
  lw_globaltype type;
  lw_const_expr init;
} lw_global_def;

typedef enum lw_segment_mode {
  LW_SEGMENT_ACTIVE,
  LW_SEGMENT_PASSIVE,
  LW_SEGMENT_DECLARATIVE
} lw_segment_mode;

typedef struct lw_elem_def {
  lw_segment_mode mode;
  lw_valtype type;          /* LW_FUNCREF or LW_EXTERNREF */
  uint32_t table_index;     /* active only */
  lw_const_expr offset;     /* active only */
  uint32_t item_count;
  lw_const_expr *items;     /* ref.func / ref.null / global.get */
} lw_elem_def;

typedef struct lw_data_def {
  lw_segment_mode mode;     /* ACTIVE or PASSIVE */
  uint32_t memory_index;
  lw_const_expr offset;
  const uint8_t *bytes;     /* points into lw_module.bytes */
  uint32_t len;
} lw_data_def;

struct lw_module {
  uint8_t *bytes; /* owned copy of the binary; bodies and data point into it */
  size_t len;
  char *name;     /* lw_load_options.name, for messages; may be NULL */

  uint32_t type_count;
  lw_functype *types;

  uint32_t import_count;
  lw_import_def *imports;
  /* imports per kind, in index-space order */
  uint32_t imported_func_count, imported_table_count, imported_memory_count,
      imported_global_count;

  /* Index spaces (imports first). func_types[i] is the type index of function i. */
  uint32_t func_count;
  uint32_t *func_type_indices;
  uint32_t table_count;
  lw_tabletype *tables;
  uint32_t memory_count;
  lw_limits *memories;
  uint32_t global_count;
  lw_globaltype *global_types;

  /* Definitions (not imported). */
  uint32_t defined_func_count;
  lw_func_def *funcs;        /* function i of the index space is funcs[i - imported_func_count] */
  uint32_t defined_global_count;
  lw_global_def *globals;    /* global i is globals[i - imported_global_count] */

  uint32_t export_count;
  lw_export_def *exports;

  bool has_start;
  uint32_t start_func;

  uint32_t elem_count;
  lw_elem_def *elems;

  bool has_data_count;
  uint32_t data_count;       /* from the data count section, else from the data section */
  lw_data_def *datas;

  /* Functions referenced outside function bodies (exports, element segments, global inits):
   * only these may appear in ref.func inside bodies. One flag per function index. */
  bool *func_declared;

  /* Name section (optional; decode errors in it are ignored, as the spec asks). */
  char **func_names;         /* func_count entries, NULL where unnamed; or NULL */
  char *module_name;

  /* Compiled representation shared by all functions (optional, owned by compile.c). */
  void *compiled;
  /* Native code when the module came from an AOT artifact (aot/aot_loader.c), else NULL. */
  struct lw_aot_image *aot;
};

/* Type of function `index` in the module's index space. */
static inline const lw_functype *lw_module_func_type(const lw_module *m, uint32_t index) {
  return &m->types[m->func_type_indices[index]];
}

static inline bool lw_is_ref_type(lw_valtype t) { return t == LW_FUNCREF || t == LW_EXTERNREF; }
static inline bool lw_is_num_type(lw_valtype t) {
  return t == LW_I32 || t == LW_I64 || t == LW_F32 || t == LW_F64;
}
const char *lw_valtype_name(lw_valtype t); /* "i32", "funcref", ... */

/* decode.c: bytes -> module (no validation beyond what decoding needs). The module keeps a
 * copy of the bytes. */
lw_status lw_decode(const uint8_t *bytes, size_t len, const char *name, lw_module **out,
                    lw_error *err);
/* validate.c: everything the spec's validation requires, function bodies included. */
lw_status lw_validate(const lw_module *module, lw_error *err);
/* compile.c: translate every defined function for the interpreter. Assumes a valid module. */
lw_status lw_compile(lw_module *module, lw_error *err);
void lw_compiled_free(lw_module *module);
/* module.c */
void lw_module_destroy(lw_module *module); /* frees everything decode/compile allocated */

/* types.c: canonical ids for function signatures, shared process-wide, thread-safe. */
uint32_t lw_functype_canonical_id(const lw_valtype *params, uint32_t param_count,
                                  const lw_valtype *results, uint32_t result_count);

/* errors.c */
lw_status lw_error_set(lw_error *err, lw_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
lw_status lw_error_trap(lw_error *err, lw_trap trap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
