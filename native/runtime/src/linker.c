/* The linker: (module, name) -> extern, for resolving imports. */
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

typedef struct linker_entry {
  char *module;
  char *name;
  lw_extern value;
} linker_entry;

struct lw_linker {
  linker_entry *entries;
  size_t count, capacity;
  lw_import_fallback fallback;
  void *fallback_user;
};

lw_linker *lw_linker_new(void) { return calloc(1, sizeof(lw_linker)); }

void lw_linker_free(lw_linker *linker) {
  if (!linker) return;
  for (size_t i = 0; i < linker->count; i++) {
    free(linker->entries[i].module);
    free(linker->entries[i].name);
  }
  free(linker->entries);
  free(linker);
}

static linker_entry *find_entry(lw_linker *linker, const char *module, const char *name) {
  for (size_t i = 0; i < linker->count; i++)
    if (strcmp(linker->entries[i].module, module) == 0 && strcmp(linker->entries[i].name, name) == 0)
      return &linker->entries[i];
  return NULL;
}

lw_status lw_linker_define(lw_linker *linker, const char *module, const char *name,
                           lw_extern value) {
  linker_entry *existing = find_entry(linker, module, name);
  if (existing) {
    existing->value = value;
    return LW_OK;
  }
  if (linker->count == linker->capacity) {
    size_t capacity = linker->capacity ? linker->capacity * 2 : 16;
    linker_entry *entries = realloc(linker->entries, capacity * sizeof *entries);
    if (!entries) return LW_ERR_NOMEM;
    linker->entries = entries;
    linker->capacity = capacity;
  }
  linker_entry *entry = &linker->entries[linker->count];
  entry->module = strdup(module);
  entry->name = strdup(name);
  if (!entry->module || !entry->name) {
    free(entry->module);
    free(entry->name);
    return LW_ERR_NOMEM;
  }
  entry->value = value;
  linker->count++;
  return LW_OK;
}

lw_status lw_linker_define_instance(lw_linker *linker, const char *module,
                                    lw_instance *instance) {
  const lw_module *mod = instance->module;
  for (uint32_t i = 0; i < mod->export_count; i++) {
    lw_extern value;
    lw_status status =
        lw_instance_export_n(instance, mod->exports[i].name, mod->exports[i].name_len, &value);
    if (status != LW_OK) return status;
    status = lw_linker_define(linker, module, mod->exports[i].name, value);
    if (status != LW_OK) return status;
  }
  return LW_OK;
}

void lw_linker_set_fallback(lw_linker *linker, lw_import_fallback fn, void *user) {
  linker->fallback = fn;
  linker->fallback_user = user;
}

/* instance.c resolves imports through this. */
bool lw_linker_resolve(lw_linker *linker, const char *module, const char *name,
                       const lw_port_info *wanted, lw_extern *out) {
  if (!linker) return false;
  linker_entry *entry = find_entry(linker, module, name);
  if (entry) {
    *out = entry->value;
    return true;
  }
  return linker->fallback && linker->fallback(linker->fallback_user, module, name, wanted, out);
}
