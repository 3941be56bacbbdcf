/* The binary decoder: bytes -> lw_module. It checks everything the binary format requires
 * (section order and sizes, LEB128 encodings, UTF-8 names, reserved bytes, constant
 * expressions) and leaves typing rules and function bodies to validate.c. Messages use the
 * spec testsuite's wording first, then say where: "(import section, offset 0x1f)". */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"
#include "reader.h"

typedef struct decoder {
  lw_module *m;
  lw_error *err;
  const char *section; /* the section being read, for messages */
  /* definitions collected per section; the index spaces are built at the end */
  uint32_t defined_func_decl_count; /* entries in the function section */
  uint32_t *defined_func_types;
  uint32_t defined_table_count;
  lw_tabletype *defined_tables;
  uint32_t defined_memory_count;
  lw_limits *defined_memories;
  bool has_code;
  bool has_data;
  const uint8_t *name_section; /* parsed last, when the function count is known */
  size_t name_section_len;
} decoder;

static lw_status decode_fail(decoder *d, lw_status status, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static lw_status decode_fail(decoder *d, lw_status status, size_t offset, const char *fmt, ...) {
  if (!d->err) return status;
  char what[384];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  if (d->section)
    return lw_error_set(d->err, status, "%s (%s section, offset 0x%zx)", what, d->section,
                        offset);
  return lw_error_set(d->err, status, "%s (offset 0x%zx)", what, offset);
}

/* A reader failure: the reader keeps the spec's wording in r->error. */
static lw_status reader_fail(decoder *d, const lw_reader *r) {
  return decode_fail(d, LW_ERR_MALFORMED, lw_reader_offset(r), "%s",
                     r->error ? r->error : "unexpected end");
}

#define TRY_READ(r, expr)                                                                      \
  do {                                                                                         \
    if (!(expr)) return reader_fail(d, (r));                                                   \
  } while (0)
#define TRY(expr)                                                                              \
  do {                                                                                         \
    lw_status status_ = (expr);                                                                \
    if (status_ != LW_OK) return status_;                                                      \
  } while (0)

static lw_status no_memory(decoder *d) {
  return lw_error_set(d->err, LW_ERR_NOMEM, "out of host memory while decoding the module");
}

/* A vector length: each element takes at least one byte, so a count larger than what is left
 * cannot be right, and checking it first keeps a forged count from allocating gigabytes. */
static lw_status read_count(decoder *d, lw_reader *r, uint32_t *count) {
  size_t at = lw_reader_offset(r);
  TRY_READ(r, lw_read_u32(r, count));
  if (*count > (size_t)(r->end - r->p))
    return decode_fail(d, LW_ERR_MALFORMED, at,
                       "unexpected end of section or function (%u entries declared, %zu bytes "
                       "left)",
                       *count, (size_t)(r->end - r->p));
  return LW_OK;
}

static void *alloc_array(size_t count, size_t size) {
  return calloc(count ? count : 1, size);
}

/* UTF-8 as the spec defines it: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const uint8_t *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t n;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 2;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 3;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (len - i < n) return false;
    for (size_t k = 1; k < n; k++) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += n;
  }
  return true;
}

/* A name: length-prefixed UTF-8. *out is a NUL-terminated copy (may be NULL if not wanted). */
static lw_status read_name(decoder *d, lw_reader *r, char **out, uint32_t *out_len) {
  size_t at = lw_reader_offset(r);
  uint32_t len;
  const uint8_t *bytes;
  TRY_READ(r, lw_read_u32(r, &len));
  if (len > (size_t)(r->end - r->p))
    return decode_fail(d, LW_ERR_MALFORMED, at, "length out of bounds (name of %u bytes)", len);
  TRY_READ(r, lw_read_bytes(r, len, &bytes));
  if (!utf8_valid(bytes, len))
    return decode_fail(d, LW_ERR_MALFORMED, at, "malformed UTF-8 encoding");
  if (out_len) *out_len = len;
  if (out) {
    char *copy = malloc((size_t)len + 1);
    if (!copy) return no_memory(d);
    memcpy(copy, bytes, len);
    copy[len] = 0;
    *out = copy;
  }
  return LW_OK;
}

static lw_status unsupported_simd(decoder *d, size_t at) {
  return decode_fail(d, LW_ERR_UNSUPPORTED, at,
                     "SIMD (v128) is not supported by logwasm yet; build the module without "
                     "SIMD (e.g. without -msimd128)");
}

static lw_status read_valtype(decoder *d, lw_reader *r, lw_valtype *out) {
  size_t at = lw_reader_offset(r);
  uint8_t b;
  TRY_READ(r, lw_read_u8(r, &b));
  switch (b) {
  case LW_I32: case LW_I64: case LW_F32: case LW_F64: case LW_FUNCREF: case LW_EXTERNREF:
    *out = (lw_valtype)b;
    return LW_OK;
  case LW_V128:
    return unsupported_simd(d, at);
  default:
    return decode_fail(d, LW_ERR_MALFORMED, at, "malformed value type 0x%02x", b);
  }
}

static lw_status read_reftype(decoder *d, lw_reader *r, lw_valtype *out) {
  size_t at = lw_reader_offset(r);
  uint8_t b;
  TRY_READ(r, lw_read_u8(r, &b));
  if (b != LW_FUNCREF && b != LW_EXTERNREF)
    return decode_fail(d, LW_ERR_MALFORMED, at, "malformed reference type 0x%02x", b);
  *out = (lw_valtype)b;
  return LW_OK;
}

static lw_status read_limits(decoder *d, lw_reader *r, lw_limits *out) {
  size_t at = lw_reader_offset(r);
  uint8_t flag;
  TRY_READ(r, lw_read_u8(r, &flag));
  if (flag > 1)
    return decode_fail(d, LW_ERR_MALFORMED, at, "%s (limits flag 0x%02x)",
                       (flag & 0x80) ? "integer representation too long" : "integer too large",
                       flag);
  TRY_READ(r, lw_read_u32(r, &out->min));
  out->has_max = flag == 1;
  out->max = 0;
  if (out->has_max) TRY_READ(r, lw_read_u32(r, &out->max));
  return LW_OK;
}

static lw_status read_globaltype(decoder *d, lw_reader *r, lw_globaltype *out) {
  TRY(read_valtype(d, r, &out->type));
  size_t at = lw_reader_offset(r);
  uint8_t mut;
  TRY_READ(r, lw_read_u8(r, &mut));
  if (mut > 1) return decode_fail(d, LW_ERR_MALFORMED, at, "malformed mutability 0x%02x", mut);
  out->mutable_ = mut == 1;
  return LW_OK;
}

/* Single-byte opcodes of WebAssembly 2.0 (0xfc/0xfd are prefixes). */
static bool opcode_exists(uint8_t op) {
  return op <= 0x05 || (op >= 0x0b && op <= 0x11) || (op >= 0x1a && op <= 0x1c) ||
         (op >= 0x20 && op <= 0x26) || (op >= 0x28 && op <= 0xc4) ||
         (op >= 0xd0 && op <= 0xd2) || op == 0xfc || op == 0xfd;
}

/* Constant expressions of WebAssembly 2.0 are one instruction then `end`. Anything else is
 * reported the way the spec's validator would: a non-constant instruction anywhere is
 * "constant expression required", a missing or extra value is "type mismatch" (both invalid,
 * not malformed), an opcode that does not exist is "illegal opcode". */
static lw_status read_const_expr(decoder *d, lw_reader *r, lw_const_expr *out) {
  uint32_t instr_count = 0;
  size_t second_at = 0;
  memset(out, 0, sizeof *out);
  for (;;) {
    lw_const_expr e;
    memset(&e, 0, sizeof e);
    size_t at = lw_reader_offset(r);
    uint8_t op;
    TRY_READ(r, lw_read_u8(r, &op));
    switch (op) {
    case 0x0b:
      if (instr_count == 0)
        return decode_fail(d, LW_ERR_INVALID, at,
                           "type mismatch: constant expression is empty (it must produce a "
                           "value)");
      if (instr_count > 1)
        return decode_fail(d, LW_ERR_INVALID, second_at,
                           "type mismatch: constant expression produces %u values, 1 expected",
                           instr_count);
      return LW_OK;
    case 0x41: {
      int32_t v;
      TRY_READ(r, lw_read_s32(r, &v));
      e.kind = LW_CONST_I32;
      e.type = LW_I32;
      e.u.bits = (uint32_t)v;
      break;
    }
    case 0x42: {
      int64_t v;
      TRY_READ(r, lw_read_s64(r, &v));
      e.kind = LW_CONST_I64;
      e.type = LW_I64;
      e.u.bits = (uint64_t)v;
      break;
    }
    case 0x43: {
      uint32_t v;
      TRY_READ(r, lw_read_fixed32(r, &v));
      e.kind = LW_CONST_F32;
      e.type = LW_F32;
      e.u.bits = v;
      break;
    }
    case 0x44: {
      uint64_t v;
      TRY_READ(r, lw_read_fixed64(r, &v));
      e.kind = LW_CONST_F64;
      e.type = LW_F64;
      e.u.bits = v;
      break;
    }
    case 0x23:
      TRY_READ(r, lw_read_u32(r, &e.u.index));
      e.kind = LW_CONST_GLOBAL_GET;
      /* the real type is filled in once the global index space is known */
      e.type = LW_I32;
      break;
    case 0xd0:
      TRY(read_reftype(d, r, &e.type));
      e.kind = LW_CONST_REF_NULL;
      break;
    case 0xd2:
      TRY_READ(r, lw_read_u32(r, &e.u.index));
      e.kind = LW_CONST_REF_FUNC;
      e.type = LW_FUNCREF;
      break;
    case 0xfd:
      return unsupported_simd(d, at);
    default:
      if (!opcode_exists(op))
        return decode_fail(d, LW_ERR_MALFORMED, at, "illegal opcode 0x%02x", op);
      return decode_fail(d, LW_ERR_INVALID, at,
                         "constant expression required (opcode 0x%02x is not constant)", op);
    }
    if (instr_count == 0) *out = e;
    if (instr_count == 1) second_at = at;
    instr_count++;
  }
}

/* ---- sections -------------------------------------------------------------------------------- */

static lw_status read_type_section(decoder *d, lw_reader *r) {
  lw_module *m = d->m;
  uint32_t count;
  TRY(read_count(d, r, &count));
  m->types = alloc_array(count, sizeof *m->types);
  if (!m->types) return no_memory(d);
  m->type_count = count;
  for (uint32_t i = 0; i < count; i++) {
    lw_functype *t = &m->types[i];
    size_t at = lw_reader_offset(r);
    uint8_t form;
    TRY_READ(r, lw_read_u8(r, &form));
    if (form != 0x60)
      return decode_fail(d, LW_ERR_MALFORMED, at,
                         "integer representation too long: malformed function type 0x%02x "
                         "(expected 0x60)",
                         form);
    uint32_t np, nr;
    TRY(read_count(d, r, &np));
    t->params = alloc_array(np, sizeof *t->params);
    if (!t->params) return no_memory(d);
    for (uint32_t k = 0; k < np; k++) {
      TRY(read_valtype(d, r, &t->params[k]));
      t->param_count = k + 1;
    }
    TRY(read_count(d, r, &nr));
    t->results = alloc_array(nr, sizeof *t->results);
    if (!t->results) return no_memory(d);
    for (uint32_t k = 0; k < nr; k++) {
      TRY(read_valtype(d, r, &t->results[k]));
      t->result_count = k + 1;
    }
    t->canonical_id =
        lw_functype_canonical_id(t->params, t->param_count, t->results, t->result_count);
    if (t->canonical_id == UINT32_MAX) return no_memory(d);
  }
  return LW_OK;
}

static lw_status read_import_section(decoder *d, lw_reader *r) {
  lw_module *m = d->m;
  uint32_t count;
  TRY(read_count(d, r, &count));
  m->imports = alloc_array(count, sizeof *m->imports);
  if (!m->imports) return no_memory(d);
  for (uint32_t i = 0; i < count; i++) {
    lw_import_def *imp = &m->imports[i];
    m->import_count = i + 1; /* so a failure frees what was read */
    TRY(read_name(d, r, &imp->module, &imp->module_len));
    TRY(read_name(d, r, &imp->name, &imp->name_len));
    size_t at = lw_reader_offset(r);
    uint8_t kind;
    TRY_READ(r, lw_read_u8(r, &kind));
    switch (kind) {
    case 0:
      imp->kind = LW_EXTERN_FUNC;
      TRY_READ(r, lw_read_u32(r, &imp->desc.type_index));
      m->imported_func_count++;
      break;
    case 1:
      imp->kind = LW_EXTERN_TABLE;
      TRY(read_reftype(d, r, &imp->desc.table.elem));
      TRY(read_limits(d, r, &imp->desc.table.limits));
      m->imported_table_count++;
      break;
    case 2:
      imp->kind = LW_EXTERN_MEMORY;
      TRY(read_limits(d, r, &imp->desc.memory));
      m->imported_memory_count++;
      break;
    case 3:
      imp->kind = LW_EXTERN_GLOBAL;
      TRY(read_globaltype(d, r, &imp->desc.global));
      m->imported_global_count++;
      break;
    default:
      return decode_fail(d, LW_ERR_MALFORMED, at, "malformed import kind 0x%02x", kind);
    }
  }
  return LW_OK;
}

static lw_status read_function_section(decoder *d, lw_reader *r) {
  uint32_t count;
  TRY(read_count(d, r, &count));
  d->defined_func_types = alloc_array(count, sizeof *d->defined_func_types);
  if (!d->defined_func_types) return no_memory(d);
  for (uint32_t i = 0; i < count; i++) TRY_READ(r, lw_read_u32(r, &d->defined_func_types[i]));
  d->defined_func_decl_count = count;
  return LW_OK;
}

static lw_status read_table_section(decoder *d, lw_reader *r) {
  uint32_t count;
  TRY(read_count(d, r, &count));
  d->defined_tables = alloc_array(count, sizeof *d->defined_tables);
  if (!d->defined_tables) return no_memory(d);
  for (uint32_t i = 0; i < count; i++) {
    TRY(read_reftype(d, r, &d->defined_tables[i].elem));
    TRY(read_limits(d, r, &d->defined_tables[i].limits));
  }
  d->defined_table_count = count;
  return LW_OK;
}

static lw_status read_memory_section(decoder *d, lw_reader *r) {
  uint32_t count;
  TRY(read_count(d, r, &count));
  d->defined_memories = alloc_array(count, sizeof *d->defined_memories);
  if (!d->defined_memories) return no_memory(d);
  for (uint32_t i = 0; i < count; i++) TRY(read_limits(d, r, &d->defined_memories[i]));
  d->defined_memory_count = count;
  return LW_OK;
}

static lw_status read_global_section(decoder *d, lw_reader *r) {
  lw_module *m = d->m;
  uint32_t count;
  TRY(read_count(d, r, &count));
  m->globals = alloc_array(count, sizeof *m->globals);
  if (!m->globals) return no_memory(d);
  m->defined_global_count = count;
  for (uint32_t i = 0; i < count; i++) {
    TRY(read_globaltype(d, r, &m->globals[i].type));
    TRY(read_const_expr(d, r, &m->globals[i].init));
  }
  return LW_OK;
}

static lw_status read_export_section(decoder *d, lw_reader *r) {
  lw_module *m = d->m;
  uint32_t count;
  TRY(read_count(d, r, &count));
  m->exports = alloc_array(count, sizeof *m->exports);
  if (!m->exports) return no_memory(d);
  for (uint32_t i = 0; i < count; i++) {
    lw_export_def *e = &m->exports[i];
    m->export_count = i + 1;
    TRY(read_name(d, r, &e->name, &e->name_len));
    size_t at = lw_reader_offset(r);
    uint8_t kind;
    TRY_READ(r, lw_read_u8(r, &kind));
    if (kind > 3) return decode_fail(d, LW_ERR_MALFORMED, at, "malformed export kind 0x%02x", kind);
    e->kind = (lw_extern_kind)kind;
    TRY_READ(r, lw_read_u32(r, &e->index));
  }
  return LW_OK;
}

static lw_status read_start_section(decoder *d, lw_reader *r) {
  TRY_READ(r, lw_read_u32(r, &d->m->start_func));
  d->m->has_start = true;
  return LW_OK;
}

static lw_status read_elem_section(decoder *d, lw_reader *r) {
  lw_module *m = d->m;
  uint32_t count;
  TRY(read_count(d, r, &count));
  m->elems = alloc_array(count, sizeof *m->elems);
  if (!m->elems) return no_memory(d);
  for (uint32_t i = 0; i < count; i++) {
    lw_elem_def *e = &m->elems[i];
    m->elem_count = i + 1;
    size_t at = lw_reader_offset(r);
    uint32_t flags;
    TRY_READ(r, lw_read_u32(r, &flags));
    if (flags > 7)
      return decode_fail(d, LW_ERR_MALFORMED, at, "malformed elements segment kind %u", flags);
    /* bit 0: passive or declarative; bit 1: explicit table index (active) or declarative;
     * bit 2: items are expressions rather than function indices */
    bool active = !(flags & 1);
    e->mode = active ? LW_SEGMENT_ACTIVE
                     : ((flags & 2) ? LW_SEGMENT_DECLARATIVE : LW_SEGMENT_PASSIVE);
    e->type = LW_FUNCREF;
    e->table_index = 0;
    if (active) {
      if (flags & 2) TRY_READ(r, lw_read_u32(r, &e->table_index));
      TRY(read_const_expr(d, r, &e->offset));
    }
    bool exprs = flags & 4;
    if (flags != 0 && flags != 4) {
      /* elemkind (0x00 = funcref) for index lists, reftype for expression lists */
      if (exprs) {
        TRY(read_reftype(d, r, &e->type));
      } else {
        at = lw_reader_offset(r);
        uint8_t kind;
        TRY_READ(r, lw_read_u8(r, &kind));
        if (kind != 0)
          return decode_fail(d, LW_ERR_MALFORMED, at, "malformed element kind 0x%02x", kind);
      }
    }
    uint32_t n;
    TRY(read_count(d, r, &n));
    e->items = alloc_array(n, sizeof *e->items);
    if (!e->items) return no_memory(d);
    for (uint32_t k = 0; k < n; k++) {
      if (exprs) {
        TRY(read_const_expr(d, r, &e->items[k]));
      } else {
        lw_const_expr *item = &e->items[k];
        item->kind = LW_CONST_REF_FUNC;
        item->type = LW_FUNCREF;
        TRY_READ(r, lw_read_u32(r, &item->u.index));
      }
      e->item_count = k + 1;
    }
  }
  return LW_OK;
}

static lw_status read_code_section(decoder *d, lw_reader *r) {
  lw_module *m = d->m;
  size_t at = lw_reader_offset(r);
  uint32_t count;
  TRY(read_count(d, r, &count));
  if (count != d->defined_func_decl_count)
    return decode_fail(d, LW_ERR_MALFORMED, at,
                       "function and code section have inconsistent lengths (%u declared, %u "
                       "bodies)",
                       d->defined_func_decl_count, count);
  m->funcs = alloc_array(count, sizeof *m->funcs);
  if (!m->funcs) return no_memory(d);
  m->defined_func_count = count;
  for (uint32_t i = 0; i < count; i++) {
    lw_func_def *f = &m->funcs[i];
    f->type_index = d->defined_func_types[i];
    at = lw_reader_offset(r);
    uint32_t size;
    TRY_READ(r, lw_read_u32(r, &size));
    if (size > (size_t)(r->end - r->p))
      return decode_fail(d, LW_ERR_MALFORMED, at,
                         "unexpected end of section or function (body of function %u is %u "
                         "bytes, the section has %zu left)",
                         m->imported_func_count + i, size, (size_t)(r->end - r->p));
    lw_reader body = lw_reader_make(r->start, r->p, r->p + size);
    r->p += size;
    /* locals: (count, type) groups; the total is capped before anything is allocated */
    uint32_t groups;
    at = lw_reader_offset(&body);
    TRY_READ(&body, lw_read_u32(&body, &groups));
    if (groups > (size_t)(body.end - body.p))
      return decode_fail(d, LW_ERR_MALFORMED, at, "length out of bounds (%u local groups)",
                         groups);
    const uint8_t *groups_start = body.p;
    uint64_t total = 0;
    for (uint32_t g = 0; g < groups; g++) {
      uint32_t n;
      lw_valtype t;
      TRY_READ(&body, lw_read_u32(&body, &n));
      TRY(read_valtype(d, &body, &t));
      total += n;
      if (total > LW_MAX_LOCALS)
        return decode_fail(d, LW_ERR_MALFORMED, at,
                           "too many locals in function %u (more than %u)",
                           m->imported_func_count + i, LW_MAX_LOCALS);
    }
    f->local_types = alloc_array((size_t)total, sizeof *f->local_types);
    if (!f->local_types) return no_memory(d);
    f->local_count = (uint32_t)total;
    lw_reader again = lw_reader_make(body.start, groups_start, body.end);
    uint32_t next = 0;
    for (uint32_t g = 0; g < groups; g++) {
      uint32_t n = 0;
      lw_read_u32(&again, &n); /* read successfully above */
      lw_valtype t = (lw_valtype)*again.p++;
      for (uint32_t k = 0; k < n; k++) f->local_types[next++] = t;
    }
    f->body = body.p;
    f->body_len = (size_t)(body.end - body.p);
    f->body_offset = lw_reader_offset(&body);
  }
  d->has_code = true;
  return LW_OK;
}

static lw_status read_data_section(decoder *d, lw_reader *r) {
  lw_module *m = d->m;
  size_t at = lw_reader_offset(r);
  uint32_t count;
  TRY(read_count(d, r, &count));
  if (m->has_data_count && count != m->data_count)
    return decode_fail(d, LW_ERR_MALFORMED, at,
                       "data count and data section have inconsistent lengths (%u and %u)",
                       m->data_count, count);
  m->datas = alloc_array(count, sizeof *m->datas);
  if (!m->datas) return no_memory(d);
  m->data_count = count;
  for (uint32_t i = 0; i < count; i++) {
    lw_data_def *seg = &m->datas[i];
    at = lw_reader_offset(r);
    uint32_t flags;
    TRY_READ(r, lw_read_u32(r, &flags));
    if (flags > 2)
      return decode_fail(d, LW_ERR_MALFORMED, at, "malformed data segment kind %u", flags);
    seg->mode = flags == 1 ? LW_SEGMENT_PASSIVE : LW_SEGMENT_ACTIVE;
    if (flags == 2) TRY_READ(r, lw_read_u32(r, &seg->memory_index));
    if (flags != 1) TRY(read_const_expr(d, r, &seg->offset));
    at = lw_reader_offset(r);
    uint32_t len;
    TRY_READ(r, lw_read_u32(r, &len));
    if (len > (size_t)(r->end - r->p))
      return decode_fail(d, LW_ERR_MALFORMED, at,
                         "unexpected end of section or function (data segment %u declares %u "
                         "bytes, %zu left)",
                         i, len, (size_t)(r->end - r->p));
    TRY_READ(r, lw_read_bytes(r, len, &seg->bytes));
    seg->len = len;
  }
  d->has_data = true;
  return LW_OK;
}

static lw_status read_data_count_section(decoder *d, lw_reader *r) {
  TRY_READ(r, lw_read_u32(r, &d->m->data_count));
  d->m->has_data_count = true;
  return LW_OK;
}

/* The name section is optional debug information: anything wrong with it is ignored. */
static void read_name_section(decoder *d) {
  lw_module *m = d->m;
  lw_reader r = lw_reader_make(m->bytes, d->name_section, d->name_section + d->name_section_len);
  while (!lw_reader_at_end(&r)) {
    uint8_t id;
    uint32_t size;
    if (!lw_read_u8(&r, &id) || !lw_read_u32(&r, &size) || size > (size_t)(r.end - r.p)) return;
    lw_reader sub = lw_reader_make(r.start, r.p, r.p + size);
    r.p += size;
    if (id == 0 && !m->module_name) {
      uint32_t len;
      const uint8_t *bytes;
      if (!lw_read_u32(&sub, &len) || !lw_read_bytes(&sub, len, &bytes) ||
          !utf8_valid(bytes, len))
        continue;
      m->module_name = malloc((size_t)len + 1);
      if (!m->module_name) return;
      memcpy(m->module_name, bytes, len);
      m->module_name[len] = 0;
    } else if (id == 1 && !m->func_names && m->func_count) {
      uint32_t n;
      if (!lw_read_u32(&sub, &n)) continue;
      char **names = calloc(m->func_count, sizeof *names);
      if (!names) return;
      for (uint32_t k = 0; k < n; k++) {
        uint32_t index, len;
        const uint8_t *bytes;
        if (!lw_read_u32(&sub, &index) || !lw_read_u32(&sub, &len) ||
            !lw_read_bytes(&sub, len, &bytes) || !utf8_valid(bytes, len))
          break;
        if (index >= m->func_count || names[index]) continue;
        names[index] = malloc((size_t)len + 1);
        if (!names[index]) break;
        memcpy(names[index], bytes, len);
        names[index][len] = 0;
      }
      m->func_names = names;
    }
  }
}

/* Build the index spaces (imports first, then definitions) and C.refs. */
static lw_status finish_index_spaces(decoder *d) {
  lw_module *m = d->m;
  m->func_count = m->imported_func_count + d->defined_func_decl_count;
  m->table_count = m->imported_table_count + d->defined_table_count;
  m->memory_count = m->imported_memory_count + d->defined_memory_count;
  m->global_count = m->imported_global_count + m->defined_global_count;
  m->func_type_indices = alloc_array(m->func_count, sizeof *m->func_type_indices);
  m->tables = alloc_array(m->table_count, sizeof *m->tables);
  m->memories = alloc_array(m->memory_count, sizeof *m->memories);
  m->global_types = alloc_array(m->global_count, sizeof *m->global_types);
  m->func_declared = alloc_array(m->func_count, sizeof *m->func_declared);
  if (!m->func_type_indices || !m->tables || !m->memories || !m->global_types ||
      !m->func_declared)
    return no_memory(d);
  uint32_t nf = 0, nt = 0, nm = 0, ng = 0;
  for (uint32_t i = 0; i < m->import_count; i++) {
    const lw_import_def *imp = &m->imports[i];
    switch (imp->kind) {
    case LW_EXTERN_FUNC: m->func_type_indices[nf++] = imp->desc.type_index; break;
    case LW_EXTERN_TABLE: m->tables[nt++] = imp->desc.table; break;
    case LW_EXTERN_MEMORY: m->memories[nm++] = imp->desc.memory; break;
    case LW_EXTERN_GLOBAL: m->global_types[ng++] = imp->desc.global; break;
    }
  }
  for (uint32_t i = 0; i < d->defined_func_decl_count; i++)
    m->func_type_indices[nf++] = d->defined_func_types[i];
  for (uint32_t i = 0; i < d->defined_table_count; i++) m->tables[nt++] = d->defined_tables[i];
  for (uint32_t i = 0; i < d->defined_memory_count; i++)
    m->memories[nm++] = d->defined_memories[i];
  for (uint32_t i = 0; i < m->defined_global_count; i++)
    m->global_types[ng++] = m->globals[i].type;

  /* global.get in constant expressions takes the type of the global it reads */
  for (uint32_t i = 0; i < m->defined_global_count; i++) {
    lw_const_expr *e = &m->globals[i].init;
    if (e->kind == LW_CONST_GLOBAL_GET && e->u.index < m->global_count)
      e->type = m->global_types[e->u.index].type;
  }
  for (uint32_t i = 0; i < m->elem_count; i++) {
    lw_elem_def *e = &m->elems[i];
    if (e->offset.kind == LW_CONST_GLOBAL_GET && e->offset.u.index < m->global_count)
      e->offset.type = m->global_types[e->offset.u.index].type;
    for (uint32_t k = 0; k < e->item_count; k++) {
      lw_const_expr *item = &e->items[k];
      if (item->kind == LW_CONST_GLOBAL_GET && item->u.index < m->global_count)
        item->type = m->global_types[item->u.index].type;
      if (item->kind == LW_CONST_REF_FUNC && item->u.index < m->func_count)
        m->func_declared[item->u.index] = true;
    }
  }
  for (uint32_t i = 0; i < m->data_count; i++) {
    lw_const_expr *e = &m->datas[i].offset;
    if (e->kind == LW_CONST_GLOBAL_GET && e->u.index < m->global_count)
      e->type = m->global_types[e->u.index].type;
  }
  /* C.refs: functions named outside function bodies */
  for (uint32_t i = 0; i < m->export_count; i++)
    if (m->exports[i].kind == LW_EXTERN_FUNC && m->exports[i].index < m->func_count)
      m->func_declared[m->exports[i].index] = true;
  for (uint32_t i = 0; i < m->defined_global_count; i++) {
    const lw_const_expr *e = &m->globals[i].init;
    if (e->kind == LW_CONST_REF_FUNC && e->u.index < m->func_count)
      m->func_declared[e->u.index] = true;
  }
  return LW_OK;
}

/* Order of the non-custom sections: the data count section (12) sits between element (9) and
 * code (10). */
static int section_rank(uint8_t id) {
  static const int rank[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};
  return rank[id];
}

static const char *section_name(uint8_t id) {
  static const char *const names[13] = {"custom", "type",   "import", "function", "table",
                                        "memory", "global", "export", "start",    "element",
                                        "code",   "data",   "data count"};
  return names[id];
}

static lw_status decode_sections(decoder *d) {
  lw_module *m = d->m;
  lw_reader r = lw_reader_make(m->bytes, m->bytes, m->bytes + m->len);
  const uint8_t *magic;
  const uint8_t *version;
  if (m->len < 8) {
    if (m->len >= 4 && memcmp(m->bytes, "\0asm", 4) != 0)
      return decode_fail(d, LW_ERR_MALFORMED, 0,
                         "magic header not detected: this is not a WebAssembly binary");
    return decode_fail(d, LW_ERR_MALFORMED, m->len,
                       "unexpected end: a WebAssembly binary starts with 8 bytes (\\0asm and "
                       "the version), this input has %zu",
                       m->len);
  }
  TRY_READ(&r, lw_read_bytes(&r, 4, &magic));
  if (memcmp(magic, "\0asm", 4) != 0)
    return decode_fail(d, LW_ERR_MALFORMED, 0,
                       "magic header not detected: this is not a WebAssembly binary");
  TRY_READ(&r, lw_read_bytes(&r, 4, &version));
  if (memcmp(version, "\1\0\0\0", 4) != 0)
    return decode_fail(d, LW_ERR_MALFORMED, 4,
                       "unknown binary version %u (logwasm reads version 1)",
                       (unsigned)version[0] | (unsigned)version[1] << 8 |
                           (unsigned)version[2] << 16 | (unsigned)version[3] << 24);
  int last_rank = 0;
  while (!lw_reader_at_end(&r)) {
    size_t at = lw_reader_offset(&r);
    uint8_t id;
    uint32_t size;
    d->section = NULL;
    TRY_READ(&r, lw_read_u8(&r, &id));
    if (id > 12) return decode_fail(d, LW_ERR_MALFORMED, at, "malformed section id %u", id);
    d->section = section_name(id);
    TRY_READ(&r, lw_read_u32(&r, &size));
    if (size > (size_t)(r.end - r.p))
      return decode_fail(d, LW_ERR_MALFORMED, at,
                         "length out of bounds: section size %u but only %zu bytes left "
                         "(unexpected end)",
                         size, (size_t)(r.end - r.p));
    lw_reader sec = lw_reader_make(r.start, r.p, r.p + size);
    r.p += size;
    if (id != 0) {
      int rank = section_rank(id);
      if (rank <= last_rank)
        return decode_fail(d, LW_ERR_MALFORMED, at,
                           "unexpected content after last section (%s section is duplicated "
                           "or out of order)",
                           d->section);
      last_rank = rank;
    }
    switch (id) {
    case 0: {
      char *name = NULL;
      uint32_t name_len = 0;
      TRY(read_name(d, &sec, &name, &name_len));
      if (name_len == 4 && memcmp(name, "name", 4) == 0 && !d->name_section) {
        d->name_section = sec.p;
        d->name_section_len = (size_t)(sec.end - sec.p);
      }
      free(name);
      sec.p = sec.end; /* custom contents are not ours to judge */
      break;
    }
    case 1: TRY(read_type_section(d, &sec)); break;
    case 2: TRY(read_import_section(d, &sec)); break;
    case 3: TRY(read_function_section(d, &sec)); break;
    case 4: TRY(read_table_section(d, &sec)); break;
    case 5: TRY(read_memory_section(d, &sec)); break;
    case 6: TRY(read_global_section(d, &sec)); break;
    case 7: TRY(read_export_section(d, &sec)); break;
    case 8: TRY(read_start_section(d, &sec)); break;
    case 9: TRY(read_elem_section(d, &sec)); break;
    case 10: TRY(read_code_section(d, &sec)); break;
    case 11: TRY(read_data_section(d, &sec)); break;
    case 12: TRY(read_data_count_section(d, &sec)); break;
    }
    if (sec.p != sec.end)
      return decode_fail(d, LW_ERR_MALFORMED, lw_reader_offset(&sec),
                         "section size mismatch (%zu bytes declared but not used)",
                         (size_t)(sec.end - sec.p));
  }
  d->section = NULL;
  if (!d->has_code && d->defined_func_decl_count != 0)
    return decode_fail(d, LW_ERR_MALFORMED, m->len,
                       "function and code section have inconsistent lengths (%u declared, no "
                       "code section)",
                       d->defined_func_decl_count);
  if (m->has_data_count && !d->has_data && m->data_count != 0)
    return decode_fail(d, LW_ERR_MALFORMED, m->len,
                       "data count and data section have inconsistent lengths (%u and no data "
                       "section)",
                       m->data_count);
  TRY(finish_index_spaces(d));
  if (d->name_section) read_name_section(d);
  return LW_OK;
}

lw_status lw_decode(const uint8_t *bytes, size_t len, const char *name, lw_module **out,
                    lw_error *err) {
  *out = NULL;
  decoder d;
  memset(&d, 0, sizeof d);
  d.err = err;
  d.m = calloc(1, sizeof *d.m);
  if (!d.m) return no_memory(&d);
  lw_module *m = d.m;
  m->bytes = malloc(len ? len : 1);
  if (name) {
    size_t name_len = strlen(name);
    m->name = malloc(name_len + 1);
    if (m->name) memcpy(m->name, name, name_len + 1);
  }
  if (!m->bytes || (name && !m->name)) {
    lw_module_destroy(m);
    return no_memory(&d);
  }
  if (len) memcpy(m->bytes, bytes, len);
  m->len = len;
  lw_status status = decode_sections(&d);
  free(d.defined_func_types);
  free(d.defined_tables);
  free(d.defined_memories);
  if (status != LW_OK) {
    /* funcs[] may be only partly filled but defined_func_count covers the whole array;
     * func_names is only set by read_name_section, which runs last. */
    lw_module_destroy(m);
    return status;
  }
  *out = m;
  return LW_OK;
}
