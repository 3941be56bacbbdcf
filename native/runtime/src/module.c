/* Freeing a decoded module: everything lw_decode allocated, plus the compiled code. */
#include <stdlib.h>

#include "module.h"

void lw_module_destroy(lw_module *module) {
  if (!module) return;
  lw_compiled_free(module);
  for (uint32_t i = 0; i < module->type_count; i++) {
    free(module->types[i].params);
    free(module->types[i].results);
  }
  free(module->types);
  for (uint32_t i = 0; i < module->import_count; i++) {
    free(module->imports[i].module);
    free(module->imports[i].name);
  }
  free(module->imports);
  free(module->func_type_indices);
  free(module->tables);
  free(module->memories);
  free(module->global_types);
  if (module->funcs)
    for (uint32_t i = 0; i < module->defined_func_count; i++) free(module->funcs[i].local_types);
  free(module->funcs);
  free(module->globals);
  for (uint32_t i = 0; i < module->export_count; i++) free(module->exports[i].name);
  free(module->exports);
  for (uint32_t i = 0; i < module->elem_count; i++) free(module->elems[i].items);
  free(module->elems);
  free(module->datas);
  free(module->func_declared);
  if (module->func_names)
    for (uint32_t i = 0; i < module->func_count; i++) free(module->func_names[i]);
  free(module->func_names);
  free(module->module_name);
  free(module->name);
  free(module->bytes);
  free(module);
}
