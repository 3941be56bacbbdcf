/* The public face of modules: load (decode, validate, compile), inspect, free. */
#include <string.h>

#include "aot/aot.h"
#include "runtime.h"

lw_status lw_module_load(const uint8_t *bytes, size_t len, const lw_load_options *opts,
                         lw_module **out, lw_error *err) {
  lw_error local_err;
  if (!err) err = &local_err;
  *out = NULL;
  /* an AOT artifact (or a WAMR one, refused with advice) */
  if (lw_aot_is_artifact(bytes, len) || (len >= 4 && memcmp(bytes, "\0aot", 4) == 0))
    return lw_aot_module_load(bytes, len, opts, out, err);
  lw_module *module = NULL;
  lw_status status = lw_decode(bytes, len, opts ? opts->name : NULL, &module, err);
  if (status == LW_OK) status = lw_validate(module, err);
  if (status == LW_OK) status = lw_compile(module, err);
  if (status != LW_OK) {
    lw_module_destroy(module);
    return status;
  }
  *out = module;
  return LW_OK;
}

lw_status lw_module_validate(const uint8_t *bytes, size_t len, lw_error *err) {
  lw_module *module = NULL;
  lw_status status = lw_decode(bytes, len, NULL, &module, err);
  if (status == LW_OK) status = lw_validate(module, err);
  lw_module_destroy(module);
  return status;
}

void lw_module_free(lw_module *module) {
  if (!module) return;
  lw_aot_module_release(module);
  lw_module_destroy(module);
}

size_t lw_module_import_count(const lw_module *module) { return module->import_count; }
size_t lw_module_export_count(const lw_module *module) { return module->export_count; }

static void describe_func(const lw_module *module, uint32_t type_index, lw_port_info *out) {
  const lw_functype *type = &module->types[type_index];
  out->param_count = type->param_count;
  out->params = type->params;
  out->result_count = type->result_count;
  out->results = type->results;
}

void lw_module_import(const lw_module *module, size_t index, lw_port_info *out) {
  const lw_import_def *imp = &module->imports[index];
  memset(out, 0, sizeof *out);
  out->module = imp->module;
  out->name = imp->name;
  out->kind = imp->kind;
  if (imp->kind == LW_EXTERN_FUNC) describe_func(module, imp->desc.type_index, out);
}

void lw_module_export(const lw_module *module, size_t index, lw_port_info *out) {
  const lw_export_def *exp = &module->exports[index];
  memset(out, 0, sizeof *out);
  out->name = exp->name;
  out->kind = exp->kind;
  if (exp->kind == LW_EXTERN_FUNC)
    describe_func(module, module->func_type_indices[exp->index], out);
}
