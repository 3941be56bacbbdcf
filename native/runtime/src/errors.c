/* Error values: formatting messages into lw_error, canonical trap wording, type names. */
#include <stdarg.h>
#include <stdio.h>

#include "module.h"

static void error_vformat(lw_error *err, lw_status status, lw_trap trap, const char *fmt,
                          va_list ap) {
  err->status = status;
  err->trap = trap;
  err->exit_code = 0;
  vsnprintf(err->message, sizeof err->message, fmt, ap);
}

lw_status lw_error_set(lw_error *err, lw_status status, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    error_vformat(err, status, LW_TRAP_NONE, fmt, ap);
    va_end(ap);
  }
  return status;
}

lw_status lw_error_trap(lw_error *err, lw_trap trap, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    error_vformat(err, LW_ERR_TRAP, trap, fmt, ap);
    va_end(ap);
  }
  return LW_ERR_TRAP;
}

/* The spec testsuite's wording, so assert_trap comparisons can use a substring match. */
const char *lw_trap_text(lw_trap trap) {
  switch (trap) {
  case LW_TRAP_NONE: return "no trap";
  case LW_TRAP_UNREACHABLE: return "unreachable";
  case LW_TRAP_MEMORY_OUT_OF_BOUNDS: return "out of bounds memory access";
  case LW_TRAP_TABLE_OUT_OF_BOUNDS: return "out of bounds table access";
  case LW_TRAP_INDIRECT_NULL: return "uninitialized element";
  case LW_TRAP_INDIRECT_MISMATCH: return "indirect call type mismatch";
  case LW_TRAP_INTEGER_DIVIDE_BY_ZERO: return "integer divide by zero";
  case LW_TRAP_INTEGER_OVERFLOW: return "integer overflow";
  case LW_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
  case LW_TRAP_CALL_STACK_EXHAUSTED: return "call stack exhausted";
  case LW_TRAP_NULL_REFERENCE: return "null reference";
  case LW_TRAP_INTERRUPTED: return "interrupted";
  case LW_TRAP_HOST: return "host function trapped";
  }
  return "unknown trap";
}

const char *lw_valtype_name(lw_valtype t) {
  switch (t) {
  case LW_I32: return "i32";
  case LW_I64: return "i64";
  case LW_F32: return "f32";
  case LW_F64: return "f64";
  case LW_V128: return "v128";
  case LW_FUNCREF: return "funcref";
  case LW_EXTERNREF: return "externref";
  }
  return "unknown type";
}
