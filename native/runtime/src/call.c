/* Calling functions from the host, and the host-function context. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aot/aot.h"
#include "runtime.h"

lw_status lw_invoke(lw_func *func, lw_instance *caller, lw_slot *slots, lw_error *err) {
  if (func->host) {
    lw_host_ctx ctx = {func, caller, err};
    return func->host(&ctx, slots);
  }
  if (lw_aot_module_is_compiled(func->instance->module)) return lw_aot_invoke(func, slots, err);
  return lw_interp_call(func, slots, err);
}

static bool value_fits(lw_valtype want, const lw_value *value) { return value->type == want; }

lw_status lw_call(lw_func *func, const lw_value *args, uint32_t arg_count, lw_value *results,
                  uint32_t result_count, lw_error *err) {
  lw_error local_err;
  if (!err) err = &local_err;
  const lw_functype *type = func->type;
  if (arg_count != type->param_count)
    return lw_error_set(err, LW_ERR_ARGUMENT, "function takes %u arguments, %u given",
                        type->param_count, arg_count);
  if (result_count < type->result_count)
    return lw_error_set(err, LW_ERR_ARGUMENT, "function returns %u values, room for %u given",
                        type->result_count, result_count);
  uint32_t slot_count = type->param_count > type->result_count ? type->param_count
                                                               : type->result_count;
  lw_slot stack_slots[16];
  lw_slot *slots = stack_slots;
  if (slot_count > 16) {
    slots = calloc(slot_count, sizeof(lw_slot));
    if (!slots) return lw_error_set(err, LW_ERR_NOMEM, "out of host memory");
  }
  for (uint32_t i = 0; i < arg_count; i++) {
    if (!value_fits(type->params[i], &args[i])) {
      if (slots != stack_slots) free(slots);
      return lw_error_set(err, LW_ERR_ARGUMENT, "argument %u has type %s, the function wants %s",
                          i, lw_valtype_name(args[i].type), lw_valtype_name(type->params[i]));
    }
    slots[i] = lw_value_to_slot(args[i]);
  }
  lw_status status = lw_invoke(func, NULL, slots, err);
  if (status == LW_OK)
    for (uint32_t i = 0; i < type->result_count; i++)
      results[i] = lw_slot_to_value(type->results[i], slots[i]);
  if (slots != stack_slots) free(slots);
  return status;
}

lw_status lw_call_raw(lw_func *func, uint64_t *slots, lw_error *err) {
  lw_error local_err;
  return lw_invoke(func, NULL, slots, err ? err : &local_err);
}

void lw_func_type(const lw_func *func, uint32_t *param_count, const lw_valtype **params,
                  uint32_t *result_count, const lw_valtype **results) {
  if (param_count) *param_count = func->type->param_count;
  if (params) *params = func->type->params;
  if (result_count) *result_count = func->type->result_count;
  if (results) *results = func->type->results;
}

const char *lw_func_name(const lw_func *func) {
  if (!func->instance) return NULL;
  const lw_module *mod = func->instance->module;
  if (mod->func_names && mod->func_names[func->index]) return mod->func_names[func->index];
  for (uint32_t i = 0; i < mod->export_count; i++)
    if (mod->exports[i].kind == LW_EXTERN_FUNC && mod->exports[i].index == func->index)
      return mod->exports[i].name;
  return NULL;
}

const char *lw_func_debug_name(const lw_func *func, char *buf, size_t buf_len) {
  const char *name = lw_func_name(func);
  if (name) return name;
  if (!func->instance) snprintf(buf, buf_len, "host function");
  else snprintf(buf, buf_len, "func[%u]", func->index);
  return buf;
}

/* ---- host functions' view of their call ------------------------------------------------------ */

void *lw_host_user_data(lw_host_ctx *ctx) { return ctx->func->user_data; }
lw_instance *lw_host_caller(lw_host_ctx *ctx) { return ctx->caller; }

uint8_t *lw_host_memory(lw_host_ctx *ctx, uint64_t *size) {
  lw_memory *mem = ctx->caller ? ctx->caller->memory0 : NULL;
  if (size) *size = mem ? mem->size : 0;
  return mem ? mem->data : NULL;
}

lw_status lw_host_trap(lw_host_ctx *ctx, const char *fmt, ...) {
  lw_error *err = ctx->err;
  if (!err) return LW_ERR_TRAP;
  err->status = LW_ERR_TRAP;
  err->trap = LW_TRAP_HOST;
  err->exit_code = 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return LW_ERR_TRAP;
}

lw_status lw_host_exit(lw_host_ctx *ctx, int code) {
  lw_error *err = ctx->err;
  if (err) {
    err->status = LW_ERR_EXIT;
    err->trap = LW_TRAP_NONE;
    err->exit_code = code;
    snprintf(err->message, sizeof err->message, "exited with code %d", code);
  }
  return LW_ERR_EXIT;
}
