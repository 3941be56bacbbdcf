/* Instantiation: resolve imports, allocate what the module defines, apply segments, run the
 * start function. Plus the run-time helpers for segments and tables that every tier calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

static const char *kind_name(lw_extern_kind kind) {
  switch (kind) {
    case LW_EXTERN_FUNC: return "function";
    case LW_EXTERN_TABLE: return "table";
    case LW_EXTERN_MEMORY: return "memory";
    case LW_EXTERN_GLOBAL: return "global";
  }
  return "?";
}

static void format_signature(const lw_functype *type, char *buf, size_t len) {
  size_t used = 0;
  used += (size_t)snprintf(buf + used, len - used, "(");
  for (uint32_t i = 0; i < type->param_count && used < len; i++)
    used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
                             lw_valtype_name(type->params[i]));
  if (used < len) used += (size_t)snprintf(buf + used, len - used, ") -> (");
  for (uint32_t i = 0; i < type->result_count && used < len; i++)
    used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
                             lw_valtype_name(type->results[i]));
  if (used < len) snprintf(buf + used, len - used, ")");
}

static bool limits_match(uint32_t actual_min, lw_limits actual, lw_limits wanted) {
  if (actual_min < wanted.min) return false;
  if (wanted.has_max && (!actual.has_max || actual.max > wanted.max)) return false;
  return true;
}

static lw_status link_error(lw_error *err, const lw_import_def *imp, const char *fmt,
                            const char *detail) {
  char what[300];
  snprintf(what, sizeof what, fmt, detail);
  return lw_error_set(err, LW_ERR_LINK, "incompatible import type for %s.%s: %s", imp->module,
                      imp->name, what);
}

static lw_status resolve_import(lw_instance *inst, lw_linker *linker, const lw_import_def *imp,
                                lw_extern *out, lw_error *err) {
  const lw_module *mod = inst->module;
  lw_port_info wanted;
  memset(&wanted, 0, sizeof wanted);
  wanted.module = imp->module;
  wanted.name = imp->name;
  wanted.kind = imp->kind;
  if (imp->kind == LW_EXTERN_FUNC) {
    const lw_functype *type = &mod->types[imp->desc.type_index];
    wanted.param_count = type->param_count;
    wanted.params = type->params;
    wanted.result_count = type->result_count;
    wanted.results = type->results;
  }
  if (!lw_linker_resolve(linker, imp->module, imp->name, &wanted, out))
    return lw_error_set(err, LW_ERR_LINK,
                        "unknown import %s.%s (a %s): the host provides no such import",
                        imp->module, imp->name, kind_name(imp->kind));
  if (out->kind != imp->kind) {
    char detail[64];
    snprintf(detail, sizeof detail, "%s", kind_name(out->kind));
    char fmt[64];
    snprintf(fmt, sizeof fmt, "expected a %s, found a %%s", kind_name(imp->kind));
    return link_error(err, imp, fmt, detail);
  }
  switch (imp->kind) {
    case LW_EXTERN_FUNC: {
      const lw_functype *want = &mod->types[imp->desc.type_index];
      if (out->of.func->type_id != want->canonical_id) {
        char want_sig[128], have_sig[128], fmt[200];
        format_signature(want, want_sig, sizeof want_sig);
        format_signature(out->of.func->type, have_sig, sizeof have_sig);
        snprintf(fmt, sizeof fmt, "expected function %s, found %%s", want_sig);
        return link_error(err, imp, fmt, have_sig);
      }
      break;
    }
    case LW_EXTERN_TABLE: {
      lw_table *table = out->of.table;
      if (table->elem != imp->desc.table.elem)
        return link_error(err, imp, "table element type differs (%s)",
                          lw_valtype_name(table->elem));
      if (!limits_match(table->size, table->limits, imp->desc.table.limits))
        return link_error(err, imp, "table limits do not match%s", "");
      break;
    }
    case LW_EXTERN_MEMORY: {
      lw_memory *mem = out->of.memory;
      if (!limits_match(mem->pages, mem->limits, imp->desc.memory))
        return link_error(err, imp, "memory limits do not match%s", "");
      break;
    }
    case LW_EXTERN_GLOBAL: {
      lw_global *global = out->of.global;
      if (global->type.type != imp->desc.global.type ||
          global->type.mutable_ != imp->desc.global.mutable_) {
        char detail[64];
        snprintf(detail, sizeof detail, "%s%s", global->type.mutable_ ? "mutable " : "",
                 lw_valtype_name(global->type.type));
        return link_error(err, imp, "global type differs (found %s)", detail);
      }
      break;
    }
  }
  return LW_OK;
}

static lw_slot eval_const(const lw_instance *inst, const lw_const_expr *expr) {
  switch (expr->kind) {
    case LW_CONST_I32:
    case LW_CONST_I64:
    case LW_CONST_F32:
    case LW_CONST_F64: return expr->u.bits;
    case LW_CONST_V128: return 0; /* SIMD is rejected at load */
    case LW_CONST_REF_NULL: return 0;
    case LW_CONST_REF_FUNC: return (lw_slot)(uintptr_t)inst->funcs[expr->u.index];
    case LW_CONST_GLOBAL_GET: return inst->globals[expr->u.index]->value;
  }
  return 0;
}

void lw_instance_destroy(lw_instance *inst) {
  if (!inst) return;
  if (inst->elems)
    for (uint32_t i = 0; i < inst->module->elem_count; i++) free(inst->elems[i].refs);
  free(inst->elems);
  free(inst->data_dropped);
  free(inst->funcs);
  free(inst->tables);
  free(inst->memories);
  free(inst->globals);
  free(inst->type_ids);
  free(inst->defined_funcs);
  free(inst);
}

static lw_status out_of_memory(lw_error *err) {
  return lw_error_set(err, LW_ERR_NOMEM, "out of host memory while instantiating");
}

static lw_status allocate_instance(lw_instance *inst, lw_error *err) {
  const lw_module *mod = inst->module;
  inst->funcs = calloc(mod->func_count + 1, sizeof *inst->funcs);
  inst->tables = calloc(mod->table_count + 1, sizeof *inst->tables);
  inst->memories = calloc(mod->memory_count + 1, sizeof *inst->memories);
  inst->globals = calloc(mod->global_count + 1, sizeof *inst->globals);
  inst->type_ids = calloc(mod->type_count + 1, sizeof *inst->type_ids);
  inst->defined_funcs = calloc(mod->defined_func_count + 1, sizeof *inst->defined_funcs);
  inst->elems = calloc(mod->elem_count + 1, sizeof *inst->elems);
  inst->data_dropped = calloc(mod->data_count + 1, sizeof *inst->data_dropped);
  if (!inst->funcs || !inst->tables || !inst->memories || !inst->globals || !inst->type_ids ||
      !inst->defined_funcs || !inst->elems || !inst->data_dropped)
    return out_of_memory(err);
  for (uint32_t i = 0; i < mod->type_count; i++) inst->type_ids[i] = mod->types[i].canonical_id;
  return LW_OK;
}

static lw_status bind_imports(lw_instance *inst, lw_linker *linker, lw_error *err) {
  const lw_module *mod = inst->module;
  uint32_t nf = 0, nt = 0, nm = 0, ng = 0;
  for (uint32_t i = 0; i < mod->import_count; i++) {
    const lw_import_def *imp = &mod->imports[i];
    lw_extern ext;
    lw_status status = resolve_import(inst, linker, imp, &ext, err);
    if (status != LW_OK) return status;
    switch (imp->kind) {
      case LW_EXTERN_FUNC: inst->funcs[nf++] = ext.of.func; break;
      case LW_EXTERN_TABLE: inst->tables[nt++] = ext.of.table; break;
      case LW_EXTERN_MEMORY: inst->memories[nm++] = ext.of.memory; break;
      case LW_EXTERN_GLOBAL: inst->globals[ng++] = ext.of.global; break;
    }
  }
  return LW_OK;
}

static lw_status define_contents(lw_instance *inst, lw_error *err) {
  const lw_module *mod = inst->module;
  lw_store *store = inst->store;
  for (uint32_t i = 0; i < mod->defined_func_count; i++) {
    uint32_t index = mod->imported_func_count + i;
    lw_func *func = &inst->defined_funcs[i];
    func->type = lw_module_func_type(mod, index);
    func->type_id = func->type->canonical_id;
    func->store = store;
    func->instance = inst;
    func->index = index;
    func->def = &mod->funcs[i];
    func->code = mod->funcs[i].code;
    inst->funcs[index] = func;
  }
  for (uint32_t i = mod->imported_table_count; i < mod->table_count; i++) {
    const lw_tabletype *type = &mod->tables[i];
    inst->tables[i] = lw_table_new(store, type->elem, type->limits.min, type->limits.max,
                                   type->limits.has_max, NULL);
    if (!inst->tables[i])
      return lw_error_set(err, LW_ERR_NOMEM, "cannot allocate table %u of %u elements", i,
                          type->limits.min);
  }
  for (uint32_t i = mod->imported_memory_count; i < mod->memory_count; i++) {
    const lw_limits *limits = &mod->memories[i];
    uint32_t cap = store->config.max_memory_pages;
    if (cap && limits->min > cap)
      return lw_error_set(err, LW_ERR_LINK,
                          "memory %u needs %u pages at start, more than the cap of %u pages "
                          "(raise the memory limit)",
                          i, limits->min, cap);
    inst->memories[i] = lw_memory_new(store, limits->min, limits->max, limits->has_max);
    if (!inst->memories[i])
      return lw_error_set(err, LW_ERR_NOMEM, "cannot allocate memory %u of %u pages", i,
                          limits->min);
  }
  inst->memory0 = mod->memory_count ? inst->memories[0] : NULL;
  /* Globals in order: an initializer may read imported globals only (2.0). */
  for (uint32_t i = 0; i < mod->defined_global_count; i++) {
    const lw_global_def *def = &mod->globals[i];
    lw_global *global = lw_global_new_raw(store, def->type, eval_const(inst, &def->init));
    if (!global) return out_of_memory(err);
    inst->globals[mod->imported_global_count + i] = global;
  }
  /* Element segments become reference arrays; declarative ones are dropped at once. */
  for (uint32_t i = 0; i < mod->elem_count; i++) {
    const lw_elem_def *def = &mod->elems[i];
    lw_elem_instance *elem = &inst->elems[i];
    if (def->mode == LW_SEGMENT_DECLARATIVE || def->item_count == 0) continue;
    elem->refs = malloc(def->item_count * sizeof(lw_slot));
    if (!elem->refs) return out_of_memory(err);
    for (uint32_t j = 0; j < def->item_count; j++) elem->refs[j] = eval_const(inst, &def->items[j]);
    elem->count = def->item_count;
  }
  return LW_OK;
}

static lw_status trap_error(lw_error *err, lw_trap trap, const char *what, uint32_t index) {
  return lw_error_trap(err, trap, "%s (while applying %s segment %u at instantiation)",
                       lw_trap_text(trap), what, index);
}

static lw_status apply_segments(lw_instance *inst, lw_error *err) {
  const lw_module *mod = inst->module;
  for (uint32_t i = 0; i < mod->elem_count; i++) {
    const lw_elem_def *def = &mod->elems[i];
    if (def->mode != LW_SEGMENT_ACTIVE) continue;
    uint32_t offset = (uint32_t)eval_const(inst, &def->offset);
    lw_trap trap = lw_rt_table_init(inst, def->table_index, i, offset, 0, def->item_count);
    if (trap != LW_TRAP_NONE) return trap_error(err, trap, "element", i);
    lw_rt_elem_drop(inst, i);
  }
  for (uint32_t i = 0; i < mod->data_count; i++) {
    const lw_data_def *def = &mod->datas[i];
    if (def->mode != LW_SEGMENT_ACTIVE) continue;
    uint32_t offset = (uint32_t)eval_const(inst, &def->offset);
    lw_trap trap = lw_rt_memory_init(inst, def->memory_index, i, offset, 0, def->len);
    if (trap != LW_TRAP_NONE) return trap_error(err, trap, "data", i);
    lw_rt_data_drop(inst, i);
  }
  return LW_OK;
}

lw_status lw_instantiate(lw_store *store, const lw_module *module, lw_linker *linker,
                         lw_instance **out, lw_error *err) {
  *out = NULL;
  lw_instance *inst = calloc(1, sizeof *inst);
  if (!inst) return out_of_memory(err);
  inst->store = store;
  inst->module = module;
  lw_status status = allocate_instance(inst, err);
  if (status == LW_OK) status = bind_imports(inst, linker, err);
  if (status != LW_OK) {
    lw_instance_destroy(inst);
    return status;
  }
  /* From here on, functions of this instance may end up in shared tables even if a later step
   * traps (the spec keeps such side effects), so the store keeps the instance either way. */
  inst->next_in_store = store->instances;
  store->instances = inst;
  status = define_contents(inst, err);
  if (status == LW_OK) status = apply_segments(inst, err);
  if (status == LW_OK && module->has_start) {
    lw_slot slots[1] = {0};
    status = lw_invoke(inst->funcs[module->start_func], inst, slots, err);
  }
  if (status != LW_OK) return status;
  *out = inst;
  return LW_OK;
}

/* ---- exports ------------------------------------------------------------------------------- */

lw_status lw_instance_export(lw_instance *inst, const char *name, lw_extern *out) {
  return lw_instance_export_n(inst, name, strlen(name), out);
}

lw_status lw_instance_export_n(lw_instance *inst, const char *name, size_t name_len,
                               lw_extern *out) {
  const lw_module *mod = inst->module;
  for (uint32_t i = 0; i < mod->export_count; i++) {
    const lw_export_def *exp = &mod->exports[i];
    if (exp->name_len != name_len || memcmp(exp->name, name, name_len) != 0) continue;
    out->kind = exp->kind;
    switch (exp->kind) {
      case LW_EXTERN_FUNC: out->of.func = inst->funcs[exp->index]; break;
      case LW_EXTERN_TABLE: out->of.table = inst->tables[exp->index]; break;
      case LW_EXTERN_MEMORY: out->of.memory = inst->memories[exp->index]; break;
      case LW_EXTERN_GLOBAL: out->of.global = inst->globals[exp->index]; break;
    }
    return LW_OK;
  }
  return lw_error_set(NULL, LW_ERR_ARGUMENT, "no export named %.*s", (int)name_len, name);
}

lw_func *lw_instance_func(lw_instance *inst, const char *name) {
  lw_extern ext;
  if (lw_instance_export(inst, name, &ext) != LW_OK || ext.kind != LW_EXTERN_FUNC) return NULL;
  return ext.of.func;
}

lw_memory *lw_instance_memory(lw_instance *inst, uint32_t index) {
  return index < inst->module->memory_count ? inst->memories[index] : NULL;
}

const lw_module *lw_instance_module(const lw_instance *inst) { return inst->module; }
lw_store *lw_instance_store(const lw_instance *inst) { return inst->store; }

/* ---- run-time helpers shared by every tier --------------------------------------------------- */

lw_trap lw_rt_memory_init(lw_instance *inst, uint32_t mem_index, uint32_t data_index,
                          uint32_t dst, uint32_t src, uint32_t n) {
  lw_memory *mem = inst->memories[mem_index];
  const lw_data_def *data = &inst->module->datas[data_index];
  uint32_t available = inst->data_dropped[data_index] ? 0 : data->len;
  if ((uint64_t)src + n > available || (uint64_t)dst + n > mem->size)
    return LW_TRAP_MEMORY_OUT_OF_BOUNDS;
  if (n) memcpy(mem->data + dst, data->bytes + src, n);
  return LW_TRAP_NONE;
}

void lw_rt_data_drop(lw_instance *inst, uint32_t data_index) {
  inst->data_dropped[data_index] = true;
}

lw_trap lw_rt_table_init(lw_instance *inst, uint32_t table_index, uint32_t elem_index,
                         uint32_t dst, uint32_t src, uint32_t n) {
  lw_table *table = inst->tables[table_index];
  const lw_elem_instance *elem = &inst->elems[elem_index];
  if ((uint64_t)src + n > elem->count || (uint64_t)dst + n > table->size)
    return LW_TRAP_TABLE_OUT_OF_BOUNDS;
  if (n) memcpy(table->elems + dst, elem->refs + src, n * sizeof(lw_slot));
  return LW_TRAP_NONE;
}

void lw_rt_elem_drop(lw_instance *inst, uint32_t elem_index) {
  lw_elem_instance *elem = &inst->elems[elem_index];
  free(elem->refs);
  elem->refs = NULL;
  elem->count = 0;
}

lw_trap lw_rt_table_copy(lw_instance *inst, uint32_t dst_table, uint32_t src_table,
                         uint32_t dst, uint32_t src, uint32_t n) {
  lw_table *to = inst->tables[dst_table];
  lw_table *from = inst->tables[src_table];
  if ((uint64_t)src + n > from->size || (uint64_t)dst + n > to->size)
    return LW_TRAP_TABLE_OUT_OF_BOUNDS;
  if (n) memmove(to->elems + dst, from->elems + src, n * sizeof(lw_slot));
  return LW_TRAP_NONE;
}
