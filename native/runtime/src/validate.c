/* Validation: the module-level rules of WebAssembly 2.0 and the function-body algorithm of the
 * spec's appendix (an operand stack of value types with "unknown" for unreachable code, and a
 * stack of control frames). The function bodies are decoded here too, so malformed
 * instructions (illegal opcodes, bad LEB128, reserved bytes) are reported from here as
 * LW_ERR_MALFORMED. Messages start with the spec testsuite's wording and then say where and
 * what: "type mismatch in function 4 at offset 0x2f: i32.add expects i32 but found i64". */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"
#include "reader.h"

static const char *const opcode_names[256] = {
  [0x00] = "unreachable",
  [0x01] = "nop",
  [0x02] = "block",
  [0x03] = "loop",
  [0x04] = "if",
  [0x05] = "else",
  [0x0b] = "end",
  [0x0c] = "br",
  [0x0d] = "br_if",
  [0x0e] = "br_table",
  [0x0f] = "return",
  [0x10] = "call",
  [0x11] = "call_indirect",
  [0x1a] = "drop",
  [0x1b] = "select",
  [0x1c] = "select",
  [0x20] = "local.get",
  [0x21] = "local.set",
  [0x22] = "local.tee",
  [0x23] = "global.get",
  [0x24] = "global.set",
  [0x25] = "table.get",
  [0x26] = "table.set",
  [0x28] = "i32.load",
  [0x29] = "i64.load",
  [0x2a] = "f32.load",
  [0x2b] = "f64.load",
  [0x2c] = "i32.load8_s",
  [0x2d] = "i32.load8_u",
  [0x2e] = "i32.load16_s",
  [0x2f] = "i32.load16_u",
  [0x30] = "i64.load8_s",
  [0x31] = "i64.load8_u",
  [0x32] = "i64.load16_s",
  [0x33] = "i64.load16_u",
  [0x34] = "i64.load32_s",
  [0x35] = "i64.load32_u",
  [0x36] = "i32.store",
  [0x37] = "i64.store",
  [0x38] = "f32.store",
  [0x39] = "f64.store",
  [0x3a] = "i32.store8",
  [0x3b] = "i32.store16",
  [0x3c] = "i64.store8",
  [0x3d] = "i64.store16",
  [0x3e] = "i64.store32",
  [0x3f] = "memory.size",
  [0x40] = "memory.grow",
  [0x41] = "i32.const",
  [0x42] = "i64.const",
  [0x43] = "f32.const",
  [0x44] = "f64.const",
  [0x45] = "i32.eqz",
  [0x46] = "i32.eq",
  [0x47] = "i32.ne",
  [0x48] = "i32.lt_s",
  [0x49] = "i32.lt_u",
  [0x4a] = "i32.gt_s",
  [0x4b] = "i32.gt_u",
  [0x4c] = "i32.le_s",
  [0x4d] = "i32.le_u",
  [0x4e] = "i32.ge_s",
  [0x4f] = "i32.ge_u",
  [0x50] = "i64.eqz",
  [0x51] = "i64.eq",
  [0x52] = "i64.ne",
  [0x53] = "i64.lt_s",
  [0x54] = "i64.lt_u",
  [0x55] = "i64.gt_s",
  [0x56] = "i64.gt_u",
  [0x57] = "i64.le_s",
  [0x58] = "i64.le_u",
  [0x59] = "i64.ge_s",
  [0x5a] = "i64.ge_u",
  [0x5b] = "f32.eq",
  [0x5c] = "f32.ne",
  [0x5d] = "f32.lt",
  [0x5e] = "f32.gt",
  [0x5f] = "f32.le",
  [0x60] = "f32.ge",
  [0x61] = "f64.eq",
  [0x62] = "f64.ne",
  [0x63] = "f64.lt",
  [0x64] = "f64.gt",
  [0x65] = "f64.le",
  [0x66] = "f64.ge",
  [0x67] = "i32.clz",
  [0x68] = "i32.ctz",
  [0x69] = "i32.popcnt",
  [0x6a] = "i32.add",
  [0x6b] = "i32.sub",
  [0x6c] = "i32.mul",
  [0x6d] = "i32.div_s",
  [0x6e] = "i32.div_u",
  [0x6f] = "i32.rem_s",
  [0x70] = "i32.rem_u",
  [0x71] = "i32.and",
  [0x72] = "i32.or",
  [0x73] = "i32.xor",
  [0x74] = "i32.shl",
  [0x75] = "i32.shr_s",
  [0x76] = "i32.shr_u",
  [0x77] = "i32.rotl",
  [0x78] = "i32.rotr",
  [0x79] = "i64.clz",
  [0x7a] = "i64.ctz",
  [0x7b] = "i64.popcnt",
  [0x7c] = "i64.add",
  [0x7d] = "i64.sub",
  [0x7e] = "i64.mul",
  [0x7f] = "i64.div_s",
  [0x80] = "i64.div_u",
  [0x81] = "i64.rem_s",
  [0x82] = "i64.rem_u",
  [0x83] = "i64.and",
  [0x84] = "i64.or",
  [0x85] = "i64.xor",
  [0x86] = "i64.shl",
  [0x87] = "i64.shr_s",
  [0x88] = "i64.shr_u",
  [0x89] = "i64.rotl",
  [0x8a] = "i64.rotr",
  [0x8b] = "f32.abs",
  [0x8c] = "f32.neg",
  [0x8d] = "f32.ceil",
  [0x8e] = "f32.floor",
  [0x8f] = "f32.trunc",
  [0x90] = "f32.nearest",
  [0x91] = "f32.sqrt",
  [0x92] = "f32.add",
  [0x93] = "f32.sub",
  [0x94] = "f32.mul",
  [0x95] = "f32.div",
  [0x96] = "f32.min",
  [0x97] = "f32.max",
  [0x98] = "f32.copysign",
  [0x99] = "f64.abs",
  [0x9a] = "f64.neg",
  [0x9b] = "f64.ceil",
  [0x9c] = "f64.floor",
  [0x9d] = "f64.trunc",
  [0x9e] = "f64.nearest",
  [0x9f] = "f64.sqrt",
  [0xa0] = "f64.add",
  [0xa1] = "f64.sub",
  [0xa2] = "f64.mul",
  [0xa3] = "f64.div",
  [0xa4] = "f64.min",
  [0xa5] = "f64.max",
  [0xa6] = "f64.copysign",
  [0xa7] = "i32.wrap_i64",
  [0xa8] = "i32.trunc_f32_s",
  [0xa9] = "i32.trunc_f32_u",
  [0xaa] = "i32.trunc_f64_s",
  [0xab] = "i32.trunc_f64_u",
  [0xac] = "i64.extend_i32_s",
  [0xad] = "i64.extend_i32_u",
  [0xae] = "i64.trunc_f32_s",
  [0xaf] = "i64.trunc_f32_u",
  [0xb0] = "i64.trunc_f64_s",
  [0xb1] = "i64.trunc_f64_u",
  [0xb2] = "f32.convert_i32_s",
  [0xb3] = "f32.convert_i32_u",
  [0xb4] = "f32.convert_i64_s",
  [0xb5] = "f32.convert_i64_u",
  [0xb6] = "f32.demote_f64",
  [0xb7] = "f64.convert_i32_s",
  [0xb8] = "f64.convert_i32_u",
  [0xb9] = "f64.convert_i64_s",
  [0xba] = "f64.convert_i64_u",
  [0xbb] = "f64.promote_f32",
  [0xbc] = "i32.reinterpret_f32",
  [0xbd] = "i64.reinterpret_f64",
  [0xbe] = "f32.reinterpret_i32",
  [0xbf] = "f64.reinterpret_i64",
  [0xc0] = "i32.extend8_s",
  [0xc1] = "i32.extend16_s",
  [0xc2] = "i64.extend8_s",
  [0xc3] = "i64.extend16_s",
  [0xc4] = "i64.extend32_s",
  [0xd0] = "ref.null",
  [0xd1] = "ref.is_null",
  [0xd2] = "ref.func",
};

/* numeric instructions 0x45..0xc4: operand types (second is 0 for unary ops) and result */
static const uint8_t numeric_sigs[0xc5 - 0x45][3] = {
  {LW_I32, 0, LW_I32}, /* i32.eqz */
  {LW_I32, LW_I32, LW_I32}, /* i32.eq */
  {LW_I32, LW_I32, LW_I32}, /* i32.ne */
  {LW_I32, LW_I32, LW_I32}, /* i32.lt_s */
  {LW_I32, LW_I32, LW_I32}, /* i32.lt_u */
  {LW_I32, LW_I32, LW_I32}, /* i32.gt_s */
  {LW_I32, LW_I32, LW_I32}, /* i32.gt_u */
  {LW_I32, LW_I32, LW_I32}, /* i32.le_s */
  {LW_I32, LW_I32, LW_I32}, /* i32.le_u */
  {LW_I32, LW_I32, LW_I32}, /* i32.ge_s */
  {LW_I32, LW_I32, LW_I32}, /* i32.ge_u */
  {LW_I64, 0, LW_I32}, /* i64.eqz */
  {LW_I64, LW_I64, LW_I32}, /* i64.eq */
  {LW_I64, LW_I64, LW_I32}, /* i64.ne */
  {LW_I64, LW_I64, LW_I32}, /* i64.lt_s */
  {LW_I64, LW_I64, LW_I32}, /* i64.lt_u */
  {LW_I64, LW_I64, LW_I32}, /* i64.gt_s */
  {LW_I64, LW_I64, LW_I32}, /* i64.gt_u */
  {LW_I64, LW_I64, LW_I32}, /* i64.le_s */
  {LW_I64, LW_I64, LW_I32}, /* i64.le_u */
  {LW_I64, LW_I64, LW_I32}, /* i64.ge_s */
  {LW_I64, LW_I64, LW_I32}, /* i64.ge_u */
  {LW_F32, LW_F32, LW_I32}, /* f32.eq */
  {LW_F32, LW_F32, LW_I32}, /* f32.ne */
  {LW_F32, LW_F32, LW_I32}, /* f32.lt */
  {LW_F32, LW_F32, LW_I32}, /* f32.gt */
  {LW_F32, LW_F32, LW_I32}, /* f32.le */
  {LW_F32, LW_F32, LW_I32}, /* f32.ge */
  {LW_F64, LW_F64, LW_I32}, /* f64.eq */
  {LW_F64, LW_F64, LW_I32}, /* f64.ne */
  {LW_F64, LW_F64, LW_I32}, /* f64.lt */
  {LW_F64, LW_F64, LW_I32}, /* f64.gt */
  {LW_F64, LW_F64, LW_I32}, /* f64.le */
  {LW_F64, LW_F64, LW_I32}, /* f64.ge */
  {LW_I32, 0, LW_I32}, /* i32.clz */
  {LW_I32, 0, LW_I32}, /* i32.ctz */
  {LW_I32, 0, LW_I32}, /* i32.popcnt */
  {LW_I32, LW_I32, LW_I32}, /* i32.add */
  {LW_I32, LW_I32, LW_I32}, /* i32.sub */
  {LW_I32, LW_I32, LW_I32}, /* i32.mul */
  {LW_I32, LW_I32, LW_I32}, /* i32.div_s */
  {LW_I32, LW_I32, LW_I32}, /* i32.div_u */
  {LW_I32, LW_I32, LW_I32}, /* i32.rem_s */
  {LW_I32, LW_I32, LW_I32}, /* i32.rem_u */
  {LW_I32, LW_I32, LW_I32}, /* i32.and */
  {LW_I32, LW_I32, LW_I32}, /* i32.or */
  {LW_I32, LW_I32, LW_I32}, /* i32.xor */
  {LW_I32, LW_I32, LW_I32}, /* i32.shl */
  {LW_I32, LW_I32, LW_I32}, /* i32.shr_s */
  {LW_I32, LW_I32, LW_I32}, /* i32.shr_u */
  {LW_I32, LW_I32, LW_I32}, /* i32.rotl */
  {LW_I32, LW_I32, LW_I32}, /* i32.rotr */
  {LW_I64, 0, LW_I64}, /* i64.clz */
  {LW_I64, 0, LW_I64}, /* i64.ctz */
  {LW_I64, 0, LW_I64}, /* i64.popcnt */
  {LW_I64, LW_I64, LW_I64}, /* i64.add */
  {LW_I64, LW_I64, LW_I64}, /* i64.sub */
  {LW_I64, LW_I64, LW_I64}, /* i64.mul */
  {LW_I64, LW_I64, LW_I64}, /* i64.div_s */
  {LW_I64, LW_I64, LW_I64}, /* i64.div_u */
  {LW_I64, LW_I64, LW_I64}, /* i64.rem_s */
  {LW_I64, LW_I64, LW_I64}, /* i64.rem_u */
  {LW_I64, LW_I64, LW_I64}, /* i64.and */
  {LW_I64, LW_I64, LW_I64}, /* i64.or */
  {LW_I64, LW_I64, LW_I64}, /* i64.xor */
  {LW_I64, LW_I64, LW_I64}, /* i64.shl */
  {LW_I64, LW_I64, LW_I64}, /* i64.shr_s */
  {LW_I64, LW_I64, LW_I64}, /* i64.shr_u */
  {LW_I64, LW_I64, LW_I64}, /* i64.rotl */
  {LW_I64, LW_I64, LW_I64}, /* i64.rotr */
  {LW_F32, 0, LW_F32}, /* f32.abs */
  {LW_F32, 0, LW_F32}, /* f32.neg */
  {LW_F32, 0, LW_F32}, /* f32.ceil */
  {LW_F32, 0, LW_F32}, /* f32.floor */
  {LW_F32, 0, LW_F32}, /* f32.trunc */
  {LW_F32, 0, LW_F32}, /* f32.nearest */
  {LW_F32, 0, LW_F32}, /* f32.sqrt */
  {LW_F32, LW_F32, LW_F32}, /* f32.add */
  {LW_F32, LW_F32, LW_F32}, /* f32.sub */
  {LW_F32, LW_F32, LW_F32}, /* f32.mul */
  {LW_F32, LW_F32, LW_F32}, /* f32.div */
  {LW_F32, LW_F32, LW_F32}, /* f32.min */
  {LW_F32, LW_F32, LW_F32}, /* f32.max */
  {LW_F32, LW_F32, LW_F32}, /* f32.copysign */
  {LW_F64, 0, LW_F64}, /* f64.abs */
  {LW_F64, 0, LW_F64}, /* f64.neg */
  {LW_F64, 0, LW_F64}, /* f64.ceil */
  {LW_F64, 0, LW_F64}, /* f64.floor */
  {LW_F64, 0, LW_F64}, /* f64.trunc */
  {LW_F64, 0, LW_F64}, /* f64.nearest */
  {LW_F64, 0, LW_F64}, /* f64.sqrt */
  {LW_F64, LW_F64, LW_F64}, /* f64.add */
  {LW_F64, LW_F64, LW_F64}, /* f64.sub */
  {LW_F64, LW_F64, LW_F64}, /* f64.mul */
  {LW_F64, LW_F64, LW_F64}, /* f64.div */
  {LW_F64, LW_F64, LW_F64}, /* f64.min */
  {LW_F64, LW_F64, LW_F64}, /* f64.max */
  {LW_F64, LW_F64, LW_F64}, /* f64.copysign */
  {LW_I64, 0, LW_I32}, /* i32.wrap_i64 */
  {LW_F32, 0, LW_I32}, /* i32.trunc_f32_s */
  {LW_F32, 0, LW_I32}, /* i32.trunc_f32_u */
  {LW_F64, 0, LW_I32}, /* i32.trunc_f64_s */
  {LW_F64, 0, LW_I32}, /* i32.trunc_f64_u */
  {LW_I32, 0, LW_I64}, /* i64.extend_i32_s */
  {LW_I32, 0, LW_I64}, /* i64.extend_i32_u */
  {LW_F32, 0, LW_I64}, /* i64.trunc_f32_s */
  {LW_F32, 0, LW_I64}, /* i64.trunc_f32_u */
  {LW_F64, 0, LW_I64}, /* i64.trunc_f64_s */
  {LW_F64, 0, LW_I64}, /* i64.trunc_f64_u */
  {LW_I32, 0, LW_F32}, /* f32.convert_i32_s */
  {LW_I32, 0, LW_F32}, /* f32.convert_i32_u */
  {LW_I64, 0, LW_F32}, /* f32.convert_i64_s */
  {LW_I64, 0, LW_F32}, /* f32.convert_i64_u */
  {LW_F64, 0, LW_F32}, /* f32.demote_f64 */
  {LW_I32, 0, LW_F64}, /* f64.convert_i32_s */
  {LW_I32, 0, LW_F64}, /* f64.convert_i32_u */
  {LW_I64, 0, LW_F64}, /* f64.convert_i64_s */
  {LW_I64, 0, LW_F64}, /* f64.convert_i64_u */
  {LW_F32, 0, LW_F64}, /* f64.promote_f32 */
  {LW_F32, 0, LW_I32}, /* i32.reinterpret_f32 */
  {LW_F64, 0, LW_I64}, /* i64.reinterpret_f64 */
  {LW_I32, 0, LW_F32}, /* f32.reinterpret_i32 */
  {LW_I64, 0, LW_F64}, /* f64.reinterpret_i64 */
  {LW_I32, 0, LW_I32}, /* i32.extend8_s */
  {LW_I32, 0, LW_I32}, /* i32.extend16_s */
  {LW_I64, 0, LW_I64}, /* i64.extend8_s */
  {LW_I64, 0, LW_I64}, /* i64.extend16_s */
  {LW_I64, 0, LW_I64}, /* i64.extend32_s */
};

static const char *const fc_names[18] = {"i32.trunc_sat_f32_s", "i32.trunc_sat_f32_u", "i32.trunc_sat_f64_s", "i32.trunc_sat_f64_u", "i64.trunc_sat_f32_s", "i64.trunc_sat_f32_u", "i64.trunc_sat_f64_s", "i64.trunc_sat_f64_u", "memory.init", "data.drop", "memory.copy", "memory.fill", "table.init", "elem.drop", "table.copy", "table.grow", "table.size", "table.fill"};

/* An operand type on the validation stack; 0 stands for "unknown" (any type), which only
 * appears after unreachable code. */
typedef uint8_t vtype;
#define VT_UNKNOWN 0

typedef struct ctrl_frame {
  uint8_t opcode;         /* 0x02 block, 0x03 loop, 0x04 if, 0x05 else, 0x00 the function */
  bool unreachable;
  uint32_t param_count, result_count;
  const lw_valtype *params;
  const lw_valtype *results; /* NULL with result_count 1: the type is `single` */
  lw_valtype single;
  size_t height;          /* operand stack height at entry */
} ctrl_frame;

typedef struct func_validator {
  const lw_module *m;
  lw_error *err;
  lw_status status;
  uint32_t func_index;
  const lw_functype *type;
  const lw_func_def *def;
  uint32_t local_total;
  lw_reader r;
  size_t op_offset;       /* where the current instruction starts */
  const char *op_name;
  vtype *vals;
  size_t val_count, val_cap;
  ctrl_frame *ctrls;
  size_t ctrl_count, ctrl_cap;
  vtype *scratch;         /* br_table: the values popped for one target */
  size_t scratch_cap;
} func_validator;

static const char *vtype_name(vtype t) {
  return t == VT_UNKNOWN ? "unknown" : lw_valtype_name((lw_valtype)t);
}

static bool body_fail(func_validator *v, lw_status status, const char *headline, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

static bool body_fail(func_validator *v, lw_status status, const char *headline, const char *fmt,
                      ...) {
  v->status = status;
  if (!v->err) return false;
  char detail[320];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  const char *name = v->m->func_names ? v->m->func_names[v->func_index] : NULL;
  if (name)
    lw_error_set(v->err, status, "%s in function %u ('%.64s') at offset 0x%zx: %s", headline,
                 v->func_index, name, v->op_offset, detail);
  else
    lw_error_set(v->err, status, "%s in function %u at offset 0x%zx: %s", headline,
                 v->func_index, v->op_offset, detail);
  return false;
}

static bool body_read_fail(func_validator *v) {
  const char *why = v->r.error ? v->r.error : "unexpected end";
  if (strcmp(why, "unexpected end") == 0) why = "unexpected end of section or function";
  v->op_offset = lw_reader_offset(&v->r);
  return body_fail(v, LW_ERR_MALFORMED, why, "while reading %s",
                   v->op_name ? v->op_name : "an instruction");
}

static bool body_nomem(func_validator *v) {
  v->status = lw_error_set(v->err, LW_ERR_NOMEM, "out of host memory while validating function %u",
                           v->func_index);
  return false;
}

#define READ(expr)                                                                             \
  do {                                                                                         \
    if (!(expr)) return body_read_fail(v);                                                     \
  } while (0)
#define CHECK(expr)                                                                            \
  do {                                                                                         \
    if (!(expr)) return false;                                                                 \
  } while (0)

static bool push_val(func_validator *v, vtype t) {
  if (v->val_count == v->val_cap) {
    size_t cap = v->val_cap ? v->val_cap * 2 : 64;
    vtype *grown = realloc(v->vals, cap);
    if (!grown) return body_nomem(v);
    v->vals = grown;
    v->val_cap = cap;
  }
  v->vals[v->val_count++] = t;
  return true;
}

/* Pop one operand of type `expect` (VT_UNKNOWN: any type); *got receives the actual type. */
static bool pop_val(func_validator *v, vtype expect, vtype *got) {
  ctrl_frame *c = &v->ctrls[v->ctrl_count - 1];
  vtype actual;
  if (v->val_count == c->height) {
    if (!c->unreachable)
      return body_fail(v, LW_ERR_INVALID, "type mismatch", "%s expects %s but the stack is empty",
                       v->op_name, expect == VT_UNKNOWN ? "an operand" : vtype_name(expect));
    actual = VT_UNKNOWN;
  } else {
    actual = v->vals[--v->val_count];
  }
  if (expect != VT_UNKNOWN && actual != VT_UNKNOWN && actual != expect)
    return body_fail(v, LW_ERR_INVALID, "type mismatch", "%s expects %s but found %s",
                     v->op_name, vtype_name(expect), vtype_name(actual));
  if (got) *got = actual; /* stays unknown: br_table pushes back what it popped */
  return true;
}

static bool pop(func_validator *v, vtype expect) { return pop_val(v, expect, NULL); }

static vtype frame_param(const ctrl_frame *c, uint32_t i) { return (vtype)c->params[i]; }
static vtype frame_result(const ctrl_frame *c, uint32_t i) {
  return (vtype)(c->results ? c->results[i] : c->single);
}
/* A branch to a loop jumps to its start (takes its parameters), otherwise to its end. */
static uint32_t label_arity(const ctrl_frame *c) {
  return c->opcode == 0x03 ? c->param_count : c->result_count;
}
static vtype label_type(const ctrl_frame *c, uint32_t i) {
  return c->opcode == 0x03 ? frame_param(c, i) : frame_result(c, i);
}

static bool pop_label_types(func_validator *v, const ctrl_frame *c) {
  for (uint32_t i = label_arity(c); i-- > 0;) CHECK(pop(v, label_type(c, i)));
  return true;
}
static bool push_label_types(func_validator *v, const ctrl_frame *c) {
  for (uint32_t i = 0; i < label_arity(c); i++) CHECK(push_val(v, label_type(c, i)));
  return true;
}

static bool push_ctrl(func_validator *v, const ctrl_frame *frame) {
  if (v->ctrl_count == v->ctrl_cap) {
    size_t cap = v->ctrl_cap ? v->ctrl_cap * 2 : 16;
    ctrl_frame *grown = realloc(v->ctrls, cap * sizeof *grown);
    if (!grown) return body_nomem(v);
    v->ctrls = grown;
    v->ctrl_cap = cap;
  }
  ctrl_frame *c = &v->ctrls[v->ctrl_count++];
  *c = *frame;
  c->height = v->val_count;
  c->unreachable = false;
  for (uint32_t i = 0; i < c->param_count; i++) CHECK(push_val(v, frame_param(c, i)));
  return true;
}

/* Check the frame's results are exactly what is on its part of the stack, then drop it. */
static bool pop_ctrl(func_validator *v, ctrl_frame *out) {
  ctrl_frame *c = &v->ctrls[v->ctrl_count - 1];
  for (uint32_t i = c->result_count; i-- > 0;) CHECK(pop(v, frame_result(c, i)));
  if (v->val_count != c->height)
    return body_fail(v, LW_ERR_INVALID, "type mismatch",
                     "%s: %zu more value(s) on the stack than the block's %u result(s)",
                     v->op_name, v->val_count - c->height, c->result_count);
  *out = *c;
  v->ctrl_count--;
  return true;
}

static void set_unreachable(func_validator *v) {
  ctrl_frame *c = &v->ctrls[v->ctrl_count - 1];
  v->val_count = c->height;
  c->unreachable = true;
}

static bool is_value_type_byte(uint8_t b) {
  return b == LW_I32 || b == LW_I64 || b == LW_F32 || b == LW_F64 || b == LW_FUNCREF ||
         b == LW_EXTERNREF;
}

static bool simd_unsupported(func_validator *v) {
  return body_fail(v, LW_ERR_UNSUPPORTED, "SIMD (v128) is not supported by logwasm yet",
                   "%s uses a v128 value or SIMD instruction; build the module without SIMD "
                   "(e.g. without -msimd128)",
                   v->op_name);
}

/* blocktype: 0x40 (empty), a value type, or a type index as a signed 33-bit LEB128. */
static bool read_block_type(func_validator *v, ctrl_frame *frame) {
  int64_t bt;
  const uint8_t *start = v->r.p;
  memset(frame, 0, sizeof *frame);
  READ(lw_read_sleb(&v->r, 33, &bt));
  if (bt < 0 && v->r.p - start != 1)
    /* 0x40 and value types are single bytes; only type indices use the s33 form */
    return body_fail(v, LW_ERR_MALFORMED, "malformed block type",
                     "%s has a negative multi-byte block type %lld", v->op_name, (long long)bt);
  if (bt == -0x40) return true;
  if (bt < 0) {
    uint8_t b = (uint8_t)(bt & 0x7f);
    if (bt < -0x40 || !is_value_type_byte(b)) {
      if (b == LW_V128 && bt >= -0x40) return simd_unsupported(v);
      return body_fail(v, LW_ERR_MALFORMED, "malformed value type", "%s has block type %lld",
                       v->op_name, (long long)bt);
    }
    frame->result_count = 1;
    frame->single = (lw_valtype)b;
    return true;
  }
  if ((uint64_t)bt >= v->m->type_count)
    return body_fail(v, LW_ERR_INVALID, "unknown type", "%s uses type %lld but the module has %u",
                     v->op_name, (long long)bt, v->m->type_count);
  const lw_functype *t = &v->m->types[bt];
  frame->param_count = t->param_count;
  frame->params = t->params;
  frame->result_count = t->result_count;
  frame->results = t->results;
  return true;
}

static bool read_label(func_validator *v, uint32_t *depth) {
  READ(lw_read_u32(&v->r, depth));
  if (*depth >= v->ctrl_count)
    return body_fail(v, LW_ERR_INVALID, "unknown label",
                     "%s to label %u but only %zu block(s) are open", v->op_name, *depth,
                     v->ctrl_count);
  return true;
}

static bool need_memory(func_validator *v, uint32_t index) {
  if (index >= v->m->memory_count)
    return body_fail(v, LW_ERR_INVALID, "unknown memory", "%s uses memory %u (unknown memory %u)",
                     v->op_name, index, index);
  return true;
}

static bool read_zero_byte(func_validator *v) {
  uint8_t b;
  READ(lw_read_u8(&v->r, &b));
  if (b != 0)
    return body_fail(v, LW_ERR_MALFORMED, "zero byte expected",
                     "%s has reserved byte 0x%02x where 0x00 is required", v->op_name, b);
  return true;
}

static bool need_table(func_validator *v, uint32_t index) {
  if (index >= v->m->table_count)
    return body_fail(v, LW_ERR_INVALID, "unknown table", "%s uses table %u (unknown table %u)",
                     v->op_name, index, index);
  return true;
}

static bool read_table(func_validator *v, uint32_t *index) {
  READ(lw_read_u32(&v->r, index));
  return need_table(v, *index);
}

static bool need_data_count(func_validator *v, uint32_t index) {
  if (index >= v->m->data_count)
    return body_fail(v, LW_ERR_INVALID, "unknown data segment",
                     "%s uses data segment %u (unknown data segment %u)", v->op_name, index,
                     index);
  if (!v->m->has_data_count)
    return body_fail(v, LW_ERR_MALFORMED, "data count section required",
                     "%s needs a data count section in the module", v->op_name);
  return true;
}

static bool need_elem(func_validator *v, uint32_t *index) {
  if (*index >= v->m->elem_count)
    return body_fail(v, LW_ERR_INVALID, "unknown elem segment",
                     "%s uses element segment %u (unknown elem segment %u)", v->op_name, *index,
                     *index);
  return true;
}

/* Load and store: memarg, memory 0 must exist, alignment at most the access width. */
static bool memory_access(func_validator *v, uint32_t natural_log2) {
  uint32_t align, offset;
  READ(lw_read_u32(&v->r, &align));
  READ(lw_read_u32(&v->r, &offset));
  CHECK(need_memory(v, 0));
  if (align > natural_log2)
    return body_fail(v, LW_ERR_INVALID, "alignment must not be larger than natural",
                     "%s has alignment 2^%u, at most 2^%u allowed", v->op_name, align,
                     natural_log2);
  return true;
}

static vtype local_type(const func_validator *v, uint32_t index) {
  if (index < v->type->param_count) return (vtype)v->type->params[index];
  return (vtype)v->def->local_types[index - v->type->param_count];
}

static bool read_local(func_validator *v, uint32_t *index) {
  READ(lw_read_u32(&v->r, index));
  if (*index >= v->local_total)
    return body_fail(v, LW_ERR_INVALID, "unknown local",
                     "%s of local %u but the function has %u (unknown local %u)", v->op_name,
                     *index, v->local_total, *index);
  return true;
}

static bool read_global(func_validator *v, uint32_t *index) {
  READ(lw_read_u32(&v->r, index));
  if (*index >= v->m->global_count)
    return body_fail(v, LW_ERR_INVALID, "unknown global",
                     "%s of global %u but the module has %u (unknown global %u)", v->op_name,
                     *index, v->m->global_count, *index);
  return true;
}

static bool read_func(func_validator *v, uint32_t *index) {
  READ(lw_read_u32(&v->r, index));
  if (*index >= v->m->func_count)
    return body_fail(v, LW_ERR_INVALID, "unknown function",
                     "%s of function %u but the module has %u (unknown function %u)",
                     v->op_name, *index, v->m->func_count, *index);
  return true;
}

static bool pop_params_push_results(func_validator *v, const lw_functype *t) {
  for (uint32_t i = t->param_count; i-- > 0;) CHECK(pop(v, (vtype)t->params[i]));
  for (uint32_t i = 0; i < t->result_count; i++) CHECK(push_val(v, (vtype)t->results[i]));
  return true;
}

static bool unary(func_validator *v, vtype in, vtype out) {
  CHECK(pop(v, in));
  return push_val(v, out);
}

static bool br_table(func_validator *v) {
  uint32_t count, depth, default_depth;
  READ(lw_read_u32(&v->r, &count));
  if (count > (size_t)(v->r.end - v->r.p))
    return body_read_fail(v);
  /* the default label decides the arity, so read past the targets first */
  const uint8_t *targets = v->r.p;
  for (uint32_t i = 0; i < count; i++) READ(lw_read_u32(&v->r, &depth));
  CHECK(read_label(v, &default_depth));
  const uint8_t *after = v->r.p;
  CHECK(pop(v, LW_I32));
  uint32_t arity = label_arity(&v->ctrls[v->ctrl_count - 1 - default_depth]);
  if (arity > v->scratch_cap) {
    vtype *grown = realloc(v->scratch, arity);
    if (!grown) return body_nomem(v);
    v->scratch = grown;
    v->scratch_cap = arity;
  }
  v->r.p = targets;
  for (uint32_t i = 0; i < count; i++) {
    CHECK(read_label(v, &depth));
    const ctrl_frame *c = &v->ctrls[v->ctrl_count - 1 - depth];
    if (label_arity(c) != arity)
      return body_fail(v, LW_ERR_INVALID, "type mismatch",
                       "br_table target %u (label %u) takes %u value(s), the default label %u",
                       i, depth, label_arity(c), arity);
    for (uint32_t k = arity; k-- > 0;) CHECK(pop_val(v, label_type(c, k), &v->scratch[k]));
    for (uint32_t k = 0; k < arity; k++) CHECK(push_val(v, v->scratch[k]));
  }
  v->r.p = after;
  CHECK(pop_label_types(v, &v->ctrls[v->ctrl_count - 1 - default_depth]));
  set_unreachable(v);
  return true;
}

static bool prefixed_fc(func_validator *v) {
  const lw_module *m = v->m;
  uint32_t sub, index, other;
  READ(lw_read_u32(&v->r, &sub));
  if (sub >= 18) {
    v->op_name = "0xfc prefix";
    return body_fail(v, LW_ERR_MALFORMED, "illegal opcode", "0xfc %u does not exist", sub);
  }
  v->op_name = fc_names[sub];
  if (sub < 8) {
    static const uint8_t in[8] = {LW_F32, LW_F32, LW_F64, LW_F64, LW_F32, LW_F32, LW_F64, LW_F64};
    return unary(v, in[sub], sub < 4 ? LW_I32 : LW_I64);
  }
  switch (sub) {
  case 8: /* memory.init data 0x00 */
    READ(lw_read_u32(&v->r, &index));
    CHECK(read_zero_byte(v));
    CHECK(need_memory(v, 0));
    CHECK(need_data_count(v, index));
    CHECK(pop(v, LW_I32));
    CHECK(pop(v, LW_I32));
    return pop(v, LW_I32);
  case 9: /* data.drop */
    READ(lw_read_u32(&v->r, &index));
    return need_data_count(v, index);
  case 10: /* memory.copy 0x00 0x00 */
    CHECK(read_zero_byte(v));
    CHECK(read_zero_byte(v));
    CHECK(need_memory(v, 0));
    CHECK(pop(v, LW_I32));
    CHECK(pop(v, LW_I32));
    return pop(v, LW_I32);
  case 11: /* memory.fill 0x00 */
    CHECK(read_zero_byte(v));
    CHECK(need_memory(v, 0));
    CHECK(pop(v, LW_I32));
    CHECK(pop(v, LW_I32));
    return pop(v, LW_I32);
  case 12: /* table.init elem table; the table is checked first, as the spec does */
    READ(lw_read_u32(&v->r, &index));
    CHECK(read_table(v, &other));
    CHECK(need_elem(v, &index));
    if (m->elems[index].type != m->tables[other].elem)
      return body_fail(v, LW_ERR_INVALID, "type mismatch",
                       "table.init of %s segment %u into %s table %u",
                       lw_valtype_name(m->elems[index].type), index,
                       lw_valtype_name(m->tables[other].elem), other);
    CHECK(pop(v, LW_I32));
    CHECK(pop(v, LW_I32));
    return pop(v, LW_I32);
  case 13: /* elem.drop */
    READ(lw_read_u32(&v->r, &index));
    return need_elem(v, &index);
  case 14: /* table.copy dst src */
    CHECK(read_table(v, &index));
    CHECK(read_table(v, &other));
    if (m->tables[index].elem != m->tables[other].elem)
      return body_fail(v, LW_ERR_INVALID, "type mismatch",
                       "table.copy from %s table %u to %s table %u",
                       lw_valtype_name(m->tables[other].elem), other,
                       lw_valtype_name(m->tables[index].elem), index);
    CHECK(pop(v, LW_I32));
    CHECK(pop(v, LW_I32));
    return pop(v, LW_I32);
  case 15: /* table.grow: init n -> old size */
    CHECK(read_table(v, &index));
    CHECK(pop(v, LW_I32));
    CHECK(pop(v, (vtype)m->tables[index].elem));
    return push_val(v, LW_I32);
  case 16: /* table.size */
    CHECK(read_table(v, &index));
    return push_val(v, LW_I32);
  default: /* 17 table.fill: i value n */
    CHECK(read_table(v, &index));
    CHECK(pop(v, LW_I32));
    CHECK(pop(v, (vtype)m->tables[index].elem));
    return pop(v, LW_I32);
  }
}

/* One instruction. */
static bool validate_instr(func_validator *v) {
  const lw_module *m = v->m;
  uint8_t op;
  uint32_t index;
  ctrl_frame frame;
  v->op_offset = lw_reader_offset(&v->r);
  v->op_name = NULL;
  READ(lw_read_u8(&v->r, &op));
  v->op_name = opcode_names[op] ? opcode_names[op] : "instruction";
  if (op >= 0x45 && op <= 0xc4) {
    const uint8_t *s = numeric_sigs[op - 0x45];
    CHECK(pop(v, s[1] ? s[1] : s[0]));
    if (s[1]) CHECK(pop(v, s[0]));
    return push_val(v, s[2]);
  }
  if (op >= 0x28 && op <= 0x35) {
    static const uint8_t natural[14] = {2, 3, 2, 3, 0, 0, 1, 1, 0, 0, 1, 1, 2, 2};
    static const uint8_t type[14] = {LW_I32, LW_I64, LW_F32, LW_F64, LW_I32, LW_I32, LW_I32,
                                     LW_I32, LW_I64, LW_I64, LW_I64, LW_I64, LW_I64, LW_I64};
    CHECK(memory_access(v, natural[op - 0x28]));
    return unary(v, LW_I32, type[op - 0x28]);
  }
  if (op >= 0x36 && op <= 0x3e) {
    static const uint8_t natural[9] = {2, 3, 2, 3, 0, 1, 0, 1, 2};
    static const uint8_t type[9] = {LW_I32, LW_I64, LW_F32, LW_F64, LW_I32,
                                    LW_I32, LW_I64, LW_I64, LW_I64};
    CHECK(memory_access(v, natural[op - 0x36]));
    CHECK(pop(v, type[op - 0x36]));
    return pop(v, LW_I32);
  }
  switch (op) {
  case 0x00: /* unreachable */
    set_unreachable(v);
    return true;
  case 0x01: /* nop */
    return true;
  case 0x02: /* block */
  case 0x03: /* loop */
  case 0x04: /* if */
    CHECK(read_block_type(v, &frame));
    frame.opcode = op;
    if (op == 0x04) CHECK(pop(v, LW_I32));
    for (uint32_t i = frame.param_count; i-- > 0;) CHECK(pop(v, frame_param(&frame, i)));
    return push_ctrl(v, &frame);
  case 0x05: /* else */
    if (v->ctrls[v->ctrl_count - 1].opcode != 0x04)
      return body_fail(v, LW_ERR_MALFORMED, "END opcode expected",
                       "else without a matching if");
    CHECK(pop_ctrl(v, &frame));
    frame.opcode = 0x05;
    return push_ctrl(v, &frame);
  case 0x0b: /* end */
    CHECK(pop_ctrl(v, &frame));
    if (frame.opcode == 0x04) {
      /* an if without else behaves as if the else passed its parameters through */
      bool same = frame.param_count == frame.result_count;
      for (uint32_t i = 0; same && i < frame.param_count; i++)
        same = frame_param(&frame, i) == frame_result(&frame, i);
      if (!same)
        return body_fail(v, LW_ERR_INVALID, "type mismatch",
                         "if without else must leave its parameters as its results");
    }
    if (v->ctrl_count == 0) return true; /* the function's end: results stay for return */
    for (uint32_t i = 0; i < frame.result_count; i++)
      CHECK(push_val(v, frame_result(&frame, i)));
    return true;
  case 0x0c: /* br */
    CHECK(read_label(v, &index));
    CHECK(pop_label_types(v, &v->ctrls[v->ctrl_count - 1 - index]));
    set_unreachable(v);
    return true;
  case 0x0d: /* br_if */
    CHECK(read_label(v, &index));
    CHECK(pop(v, LW_I32));
    frame = v->ctrls[v->ctrl_count - 1 - index];
    CHECK(pop_label_types(v, &frame));
    return push_label_types(v, &frame);
  case 0x0e:
    return br_table(v);
  case 0x0f: /* return */
    CHECK(pop_label_types(v, &v->ctrls[0]));
    set_unreachable(v);
    return true;
  case 0x10: /* call */
    CHECK(read_func(v, &index));
    return pop_params_push_results(v, lw_module_func_type(m, index));
  case 0x11: { /* call_indirect type table */
    uint32_t table;
    READ(lw_read_u32(&v->r, &index));
    READ(lw_read_u32(&v->r, &table));
    CHECK(need_table(v, table));
    if (index >= m->type_count)
      return body_fail(v, LW_ERR_INVALID, "unknown type",
                       "call_indirect uses type %u but the module has %u", index, m->type_count);
    if (m->tables[table].elem != LW_FUNCREF)
      return body_fail(v, LW_ERR_INVALID, "type mismatch",
                       "call_indirect through table %u of %s (funcref needed)", table,
                       lw_valtype_name(m->tables[table].elem));
    CHECK(pop(v, LW_I32));
    return pop_params_push_results(v, &m->types[index]);
  }
  case 0x1a: /* drop */
    return pop(v, VT_UNKNOWN);
  case 0x1b: { /* select without types: numeric operands only */
    vtype t1, t2;
    CHECK(pop(v, LW_I32));
    CHECK(pop_val(v, VT_UNKNOWN, &t1));
    CHECK(pop_val(v, VT_UNKNOWN, &t2));
    if ((t1 != VT_UNKNOWN && !lw_is_num_type((lw_valtype)t1)) ||
        (t2 != VT_UNKNOWN && !lw_is_num_type((lw_valtype)t2)))
      return body_fail(v, LW_ERR_INVALID, "type mismatch",
                       "select without a type annotation needs numeric operands, found %s and %s",
                       vtype_name(t2), vtype_name(t1));
    if (t1 != VT_UNKNOWN && t2 != VT_UNKNOWN && t1 != t2)
      return body_fail(v, LW_ERR_INVALID, "type mismatch",
                       "select operands differ: %s and %s", vtype_name(t2), vtype_name(t1));
    return push_val(v, t1 != VT_UNKNOWN ? t1 : t2);
  }
  case 0x1c: { /* select t */
    uint32_t n;
    uint8_t b;
    READ(lw_read_u32(&v->r, &n));
    if (n != 1)
      return body_fail(v, LW_ERR_INVALID, "invalid result arity",
                       "select with %u result types (exactly 1 allowed)", n);
    size_t at = lw_reader_offset(&v->r);
    READ(lw_read_u8(&v->r, &b));
    if (b == LW_V128) return simd_unsupported(v);
    if (!is_value_type_byte(b)) {
      v->op_offset = at;
      return body_fail(v, LW_ERR_MALFORMED, "malformed value type", "select type 0x%02x", b);
    }
    CHECK(pop(v, LW_I32));
    CHECK(pop(v, b));
    CHECK(pop(v, b));
    return push_val(v, b);
  }
  case 0x20: /* local.get */
    CHECK(read_local(v, &index));
    return push_val(v, local_type(v, index));
  case 0x21: /* local.set */
    CHECK(read_local(v, &index));
    return pop(v, local_type(v, index));
  case 0x22: /* local.tee */
    CHECK(read_local(v, &index));
    return unary(v, local_type(v, index), local_type(v, index));
  case 0x23: /* global.get */
    CHECK(read_global(v, &index));
    return push_val(v, m->global_types[index].type);
  case 0x24: /* global.set */
    CHECK(read_global(v, &index));
    if (!m->global_types[index].mutable_)
      return body_fail(v, LW_ERR_INVALID, "global is immutable", "global.set of global %u",
                       index);
    return pop(v, m->global_types[index].type);
  case 0x25: /* table.get */
    CHECK(read_table(v, &index));
    return unary(v, LW_I32, m->tables[index].elem);
  case 0x26: /* table.set */
    CHECK(read_table(v, &index));
    CHECK(pop(v, m->tables[index].elem));
    return pop(v, LW_I32);
  case 0x3f: /* memory.size */
    CHECK(read_zero_byte(v));
    CHECK(need_memory(v, 0));
    return push_val(v, LW_I32);
  case 0x40: /* memory.grow */
    CHECK(read_zero_byte(v));
    CHECK(need_memory(v, 0));
    return unary(v, LW_I32, LW_I32);
  case 0x41: {
    int32_t x;
    READ(lw_read_s32(&v->r, &x));
    return push_val(v, LW_I32);
  }
  case 0x42: {
    int64_t x;
    READ(lw_read_s64(&v->r, &x));
    return push_val(v, LW_I64);
  }
  case 0x43: {
    uint32_t x;
    READ(lw_read_fixed32(&v->r, &x));
    return push_val(v, LW_F32);
  }
  case 0x44: {
    uint64_t x;
    READ(lw_read_fixed64(&v->r, &x));
    return push_val(v, LW_F64);
  }
  case 0xd0: { /* ref.null t */
    uint8_t b;
    READ(lw_read_u8(&v->r, &b));
    if (b != LW_FUNCREF && b != LW_EXTERNREF)
      return body_fail(v, LW_ERR_MALFORMED, "malformed reference type", "ref.null 0x%02x", b);
    return push_val(v, b);
  }
  case 0xd1: { /* ref.is_null */
    vtype t;
    CHECK(pop_val(v, VT_UNKNOWN, &t));
    if (t != VT_UNKNOWN && !lw_is_ref_type((lw_valtype)t))
      return body_fail(v, LW_ERR_INVALID, "type mismatch",
                       "ref.is_null expects a reference but found %s", vtype_name(t));
    return push_val(v, LW_I32);
  }
  case 0xd2: /* ref.func */
    CHECK(read_func(v, &index));
    if (!m->func_declared[index])
      return body_fail(v, LW_ERR_INVALID, "undeclared function reference",
                       "ref.func %u: the function must be exported, in an element segment or "
                       "in a global initializer",
                       index);
    return push_val(v, LW_FUNCREF);
  case 0xfc:
    return prefixed_fc(v);
  case 0xfd:
    v->op_name = "0xfd prefix";
    return simd_unsupported(v);
  default:
    return body_fail(v, LW_ERR_MALFORMED, "illegal opcode", "opcode 0x%02x does not exist", op);
  }
}

static lw_status validate_function(const lw_module *m, uint32_t def_index, lw_error *err,
                                   func_validator *v) {
  const lw_func_def *def = &m->funcs[def_index];
  v->m = m;
  v->err = err;
  v->status = LW_OK;
  v->func_index = m->imported_func_count + def_index;
  v->def = def;
  v->type = &m->types[def->type_index];
  v->local_total = v->type->param_count + def->local_count;
  v->r = lw_reader_make(m->bytes, def->body, def->body + def->body_len);
  v->val_count = 0;
  v->ctrl_count = 0;
  ctrl_frame top;
  memset(&top, 0, sizeof top);
  top.opcode = 0;
  top.result_count = v->type->result_count;
  top.results = v->type->results;
  if (!push_ctrl(v, &top)) return v->status;
  while (v->ctrl_count > 0) {
    if (lw_reader_at_end(&v->r)) {
      /* the spec interpreter's wording differs by whether more bytes follow the body */
      v->op_offset = lw_reader_offset(&v->r);
      body_fail(v, LW_ERR_MALFORMED,
                v->r.end == m->bytes + m->len ? "unexpected end of section or function"
                                               : "END opcode expected",
                "the body ends before its final `end`");
      return v->status;
    }
    if (!validate_instr(v)) return v->status;
  }
  if (!lw_reader_at_end(&v->r)) {
    v->op_offset = lw_reader_offset(&v->r);
    body_fail(v, LW_ERR_MALFORMED, "section size mismatch",
              "%zu byte(s) after the function's final `end`", (size_t)(v->r.end - v->r.p));
    return v->status;
  }
  return LW_OK;
}

/* ---- module-level rules ------------------------------------------------------------------- */

static lw_status check_limits(lw_error *err, const lw_limits *l, uint32_t range, const char *what,
                              uint32_t index) {
  if (range == LW_MAX_PAGES && (l->min > range || (l->has_max && l->max > range)))
    return lw_error_set(err, LW_ERR_INVALID,
                        "memory size must be at most 65536 pages (4GiB): %s %u declares %u pages",
                        what, index, l->min > range ? l->min : l->max);
  if (l->has_max && l->min > l->max)
    return lw_error_set(err, LW_ERR_INVALID,
                        "size minimum must not be greater than maximum: %s %u has minimum %u, "
                        "maximum %u",
                        what, index, l->min, l->max);
  return LW_OK;
}

/* Constant expressions see only imported globals (WebAssembly 2.0), and only immutable ones. */
static lw_status check_const_expr(const lw_module *m, lw_error *err, const lw_const_expr *e,
                                  lw_valtype expected, const char *where, uint32_t index) {
  lw_valtype type = e->type;
  switch (e->kind) {
  case LW_CONST_GLOBAL_GET:
    if (e->u.index >= m->imported_global_count)
      return lw_error_set(err, LW_ERR_INVALID,
                          "unknown global %u in the constant expression of %s %u (only imported "
                          "globals may be read there)",
                          e->u.index, where, index);
    if (m->global_types[e->u.index].mutable_)
      return lw_error_set(err, LW_ERR_INVALID,
                          "constant expression required: %s %u reads mutable global %u", where,
                          index, e->u.index);
    type = m->global_types[e->u.index].type;
    break;
  case LW_CONST_REF_FUNC:
    if (e->u.index >= m->func_count)
      return lw_error_set(err, LW_ERR_INVALID,
                          "unknown function %u in the constant expression of %s %u", e->u.index,
                          where, index);
    break;
  case LW_CONST_V128:
    return lw_error_set(err, LW_ERR_UNSUPPORTED,
                        "SIMD (v128) is not supported by logwasm yet (%s %u)", where, index);
  default:
    break;
  }
  if (type != expected)
    return lw_error_set(err, LW_ERR_INVALID,
                        "type mismatch: the constant expression of %s %u produces %s, %s "
                        "expected",
                        where, index, lw_valtype_name(type), lw_valtype_name(expected));
  return LW_OK;
}

typedef struct name_ref {
  const char *name;
  uint32_t len;
  uint32_t export_index;
} name_ref;

static int name_ref_compare(const void *a, const void *b) {
  const name_ref *x = a, *y = b;
  uint32_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->name, y->name, n);
  if (c) return c;
  return x->len < y->len ? -1 : x->len > y->len;
}

static lw_status check_exports(const lw_module *m, lw_error *err) {
  static const char *const kinds[4] = {"function", "table", "memory", "global"};
  for (uint32_t i = 0; i < m->export_count; i++) {
    const lw_export_def *e = &m->exports[i];
    uint32_t limit = e->kind == LW_EXTERN_FUNC    ? m->func_count
                     : e->kind == LW_EXTERN_TABLE  ? m->table_count
                     : e->kind == LW_EXTERN_MEMORY ? m->memory_count
                                                   : m->global_count;
    if (e->index >= limit)
      return lw_error_set(err, LW_ERR_INVALID, "unknown %s %u (exported as '%.64s')",
                          kinds[e->kind], e->index, e->name);
  }
  if (m->export_count < 2) return LW_OK;
  name_ref *sorted = malloc(m->export_count * sizeof *sorted);
  if (!sorted)
    return lw_error_set(err, LW_ERR_NOMEM, "out of host memory while validating exports");
  for (uint32_t i = 0; i < m->export_count; i++) {
    sorted[i].name = m->exports[i].name;
    sorted[i].len = m->exports[i].name_len;
    sorted[i].export_index = i;
  }
  qsort(sorted, m->export_count, sizeof *sorted, name_ref_compare);
  lw_status status = LW_OK;
  for (uint32_t i = 1; i < m->export_count; i++)
    if (name_ref_compare(&sorted[i - 1], &sorted[i]) == 0) {
      status = lw_error_set(err, LW_ERR_INVALID, "duplicate export name '%.64s' (exports %u and %u)",
                            sorted[i].name, sorted[i - 1].export_index, sorted[i].export_index);
      break;
    }
  free(sorted);
  return status;
}

static lw_status validate_module_fields(const lw_module *m, lw_error *err) {
  lw_status s;
  for (uint32_t i = 0; i < m->func_count; i++)
    if (m->func_type_indices[i] >= m->type_count)
      return lw_error_set(err, LW_ERR_INVALID, "unknown type %u (function %u's type; the module has %u)",
                          m->func_type_indices[i], i, m->type_count);
  for (uint32_t i = 0; i < m->table_count; i++)
    if ((s = check_limits(err, &m->tables[i].limits, UINT32_MAX, "table", i)) != LW_OK) return s;
  if (m->memory_count > 1)
    return lw_error_set(err, LW_ERR_INVALID,
                        "multiple memories: the module has %u, WebAssembly 2.0 allows one",
                        m->memory_count);
  for (uint32_t i = 0; i < m->memory_count; i++)
    if ((s = check_limits(err, &m->memories[i], LW_MAX_PAGES, "memory", i)) != LW_OK) return s;
  for (uint32_t i = 0; i < m->defined_global_count; i++) {
    const lw_global_def *g = &m->globals[i];
    if ((s = check_const_expr(m, err, &g->init, g->type.type, "global",
                              m->imported_global_count + i)) != LW_OK)
      return s;
  }
  for (uint32_t i = 0; i < m->elem_count; i++) {
    const lw_elem_def *e = &m->elems[i];
    if (e->mode == LW_SEGMENT_ACTIVE) {
      if (e->table_index >= m->table_count)
        return lw_error_set(err, LW_ERR_INVALID, "unknown table %u (element segment %u)",
                            e->table_index, i);
      if ((s = check_const_expr(m, err, &e->offset, LW_I32, "element segment", i)) != LW_OK)
        return s;
      if (m->tables[e->table_index].elem != e->type)
        return lw_error_set(err, LW_ERR_INVALID,
                            "type mismatch: element segment %u of %s for table %u of %s", i,
                            lw_valtype_name(e->type), e->table_index,
                            lw_valtype_name(m->tables[e->table_index].elem));
    }
    for (uint32_t k = 0; k < e->item_count; k++)
      if ((s = check_const_expr(m, err, &e->items[k], e->type, "element segment", i)) != LW_OK)
        return s;
  }
  for (uint32_t i = 0; i < m->data_count && m->datas; i++) {
    const lw_data_def *d = &m->datas[i];
    if (d->mode != LW_SEGMENT_ACTIVE) continue;
    if (d->memory_index >= m->memory_count)
      return lw_error_set(err, LW_ERR_INVALID, "unknown memory %u (data segment %u)",
                          d->memory_index, i);
    if ((s = check_const_expr(m, err, &d->offset, LW_I32, "data segment", i)) != LW_OK) return s;
  }
  if (m->has_start) {
    if (m->start_func >= m->func_count)
      return lw_error_set(err, LW_ERR_INVALID, "unknown function %u (the start function)",
                          m->start_func);
    const lw_functype *t = lw_module_func_type(m, m->start_func);
    if (t->param_count || t->result_count)
      return lw_error_set(err, LW_ERR_INVALID,
                          "start function %u must take no parameters and return nothing "
                          "(it has %u and %u)",
                          m->start_func, t->param_count, t->result_count);
  }
  return check_exports(m, err);
}

lw_status lw_validate(const lw_module *module, lw_error *err) {
  lw_status s = validate_module_fields(module, err);
  if (s != LW_OK) return s;
  func_validator v;
  memset(&v, 0, sizeof v);
  for (uint32_t i = 0; i < module->defined_func_count && s == LW_OK; i++)
    s = validate_function(module, i, err, &v);
  free(v.vals);
  free(v.ctrls);
  free(v.scratch);
  return s;
}
