/* Stores and the run-time objects they own: memories, tables, globals, host functions. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime.h"

/* Everything a store allocates for objects that outlive a single instance sits on one list, so
 * lw_store_free releases it all and nothing needs reference counts. */
typedef enum { OWNED_MEMORY, OWNED_TABLE, OWNED_GLOBAL, OWNED_FUNC } owned_kind;

struct lw_owned {
  owned_kind kind;
  void *object;
  lw_owned *next;
};

static bool store_own(lw_store *store, owned_kind kind, void *object) {
  lw_owned *entry = malloc(sizeof *entry);
  if (!entry) return false;
  entry->kind = kind;
  entry->object = object;
  entry->next = store->owned;
  store->owned = entry;
  return true;
}

lw_store *lw_store_new(const lw_store_config *config) {
  lw_store *store = calloc(1, sizeof *store);
  if (!store) return NULL;
  if (config) store->config = *config;
  if (store->config.value_stack_bytes == 0)
    store->config.value_stack_bytes = LW_DEFAULT_VALUE_STACK_BYTES;
  if (store->config.max_call_depth == 0) store->config.max_call_depth = LW_DEFAULT_MAX_CALL_DEPTH;
  size_t slots = store->config.value_stack_bytes / sizeof(lw_slot);
  if (slots < 1024) slots = 1024;
  store->stack = calloc(slots, sizeof(lw_slot));
  if (!store->stack) {
    free(store);
    return NULL;
  }
  store->stack_end = store->stack + slots;
  atomic_init(&store->interrupt, 0);
  atomic_init(&store->deadline_ns, 0);
  return store;
}

void lw_instance_destroy(lw_instance *inst); /* instance.c */

void lw_store_free(lw_store *store) {
  if (!store) return;
  for (lw_instance *inst = store->instances, *next; inst; inst = next) {
    next = inst->next_in_store;
    lw_instance_destroy(inst);
  }
  for (lw_owned *entry = store->owned, *next; entry; entry = next) {
    next = entry->next;
    switch (entry->kind) {
      case OWNED_MEMORY: free(((lw_memory *)entry->object)->data); break;
      case OWNED_TABLE: free(((lw_table *)entry->object)->elems); break;
      case OWNED_FUNC: {
        lw_func *func = entry->object;
        free(func->own_type.params);
        break;
      }
      case OWNED_GLOBAL: break;
    }
    free(entry->object);
    free(entry);
  }
  free(store->stack);
  free(store);
}

void lw_store_interrupt(lw_store *store) { atomic_store(&store->interrupt, 1); }
void lw_store_clear_interrupt(lw_store *store) { atomic_store(&store->interrupt, 0); }
void lw_store_set_deadline(lw_store *store, uint64_t monotonic_ns) {
  atomic_store(&store->deadline_ns, monotonic_ns);
}

uint64_t lw_monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool lw_store_should_stop(lw_store *store) {
  if (atomic_load_explicit(&store->interrupt, memory_order_relaxed)) return true;
  uint64_t deadline = atomic_load_explicit(&store->deadline_ns, memory_order_relaxed);
  return deadline != 0 && lw_monotonic_ns() >= deadline;
}

/* ---- memories ------------------------------------------------------------------------------ */

static uint32_t effective_max_pages(const lw_store *store, uint32_t max, bool has_max) {
  uint32_t limit = has_max ? max : LW_MAX_PAGES;
  if (store->config.max_memory_pages && store->config.max_memory_pages < limit)
    limit = store->config.max_memory_pages;
  return limit;
}

lw_memory *lw_memory_new(lw_store *store, uint32_t min_pages, uint32_t max_pages, bool has_max) {
  if (min_pages > LW_MAX_PAGES) return NULL;
  lw_memory *mem = calloc(1, sizeof *mem);
  if (!mem) return NULL;
  mem->store = store;
  mem->limits.min = min_pages;
  mem->limits.max = max_pages;
  mem->limits.has_max = has_max;
  mem->max_pages = effective_max_pages(store, max_pages, has_max);
  mem->pages = min_pages;
  mem->size = (uint64_t)min_pages * LW_PAGE_SIZE;
  /* never NULL, so memcpy/memset with a zero length stay defined */
  mem->data = calloc(1, mem->size ? mem->size : 1);
  if (!mem->data || !store_own(store, OWNED_MEMORY, mem)) {
    free(mem->data);
    free(mem);
    return NULL;
  }
  return mem;
}

uint8_t *lw_memory_data(lw_memory *memory) { return memory->data; }
uint64_t lw_memory_size(const lw_memory *memory) { return memory->size; }

int64_t lw_memory_grow(lw_memory *mem, uint32_t delta_pages) {
  uint32_t old_pages = mem->pages;
  if (delta_pages == 0) return old_pages;
  if ((uint64_t)old_pages + delta_pages > mem->max_pages) return -1;
  uint32_t new_pages = old_pages + delta_pages;
  uint64_t new_size = (uint64_t)new_pages * LW_PAGE_SIZE;
  if (new_size > SIZE_MAX) return -1;
  uint8_t *data = realloc(mem->data, (size_t)new_size);
  if (!data) return -1;
  memset(data + mem->size, 0, (size_t)(new_size - mem->size));
  mem->data = data;
  mem->size = new_size;
  mem->pages = new_pages;
  mem->limits.min = new_pages;
  return old_pages;
}

/* ---- tables -------------------------------------------------------------------------------- */

lw_table *lw_table_new(lw_store *store, lw_valtype elem, uint32_t min, uint32_t max,
                       bool has_max, void *init) {
  if (min > LW_MAX_TABLE_SIZE) return NULL;
  lw_table *table = calloc(1, sizeof *table);
  if (!table) return NULL;
  table->store = store;
  table->elem = elem;
  table->size = min;
  table->limits.min = min;
  table->limits.max = max;
  table->limits.has_max = has_max;
  table->elems = calloc(min ? min : 1, sizeof(lw_slot));
  if (!table->elems || !store_own(store, OWNED_TABLE, table)) {
    free(table->elems);
    free(table);
    return NULL;
  }
  for (uint32_t i = 0; i < min; i++) table->elems[i] = (lw_slot)(uintptr_t)init;
  return table;
}

uint32_t lw_table_size(const lw_table *table) { return table->size; }

int64_t lw_rt_table_grow(lw_table *table, lw_slot init, uint32_t delta) {
  uint32_t old_size = table->size;
  if (delta == 0) return old_size;
  uint64_t new_size = (uint64_t)old_size + delta;
  uint64_t limit = table->limits.has_max ? table->limits.max : UINT32_MAX;
  if (limit > LW_MAX_TABLE_SIZE) limit = LW_MAX_TABLE_SIZE;
  if (new_size > limit) return -1;
  lw_slot *elems = realloc(table->elems, (size_t)new_size * sizeof(lw_slot));
  if (!elems) return -1;
  for (uint64_t i = old_size; i < new_size; i++) elems[i] = init;
  table->elems = elems;
  table->size = (uint32_t)new_size;
  table->limits.min = (uint32_t)new_size;
  return old_size;
}

lw_trap lw_rt_table_fill(lw_table *table, uint32_t dst, lw_slot value, uint32_t n) {
  if ((uint64_t)dst + n > table->size) return LW_TRAP_TABLE_OUT_OF_BOUNDS;
  for (uint32_t i = 0; i < n; i++) table->elems[dst + i] = value;
  return LW_TRAP_NONE;
}

/* ---- globals ------------------------------------------------------------------------------- */

static lw_slot value_to_slot(lw_value value) {
  switch (value.type) {
    case LW_I32: return (uint32_t)value.of.i32;
    case LW_I64: return (uint64_t)value.of.i64;
    case LW_F32: {
      uint32_t bits;
      memcpy(&bits, &value.of.f32, 4);
      return bits;
    }
    case LW_F64: {
      uint64_t bits;
      memcpy(&bits, &value.of.f64, 8);
      return bits;
    }
    case LW_FUNCREF: return (lw_slot)(uintptr_t)value.of.funcref;
    case LW_EXTERNREF: return (lw_slot)(uintptr_t)value.of.externref;
    case LW_V128: return 0;
  }
  return 0;
}

lw_value lw_slot_to_value(lw_valtype type, lw_slot slot) {
  lw_value value;
  memset(&value, 0, sizeof value);
  value.type = type;
  switch (type) {
    case LW_I32: value.of.i32 = (int32_t)(uint32_t)slot; break;
    case LW_I64: value.of.i64 = (int64_t)slot; break;
    case LW_F32: {
      uint32_t bits = (uint32_t)slot;
      memcpy(&value.of.f32, &bits, 4);
      break;
    }
    case LW_F64: memcpy(&value.of.f64, &slot, 8); break;
    case LW_FUNCREF: value.of.funcref = (lw_func *)(uintptr_t)slot; break;
    case LW_EXTERNREF: value.of.externref = (void *)(uintptr_t)slot; break;
    case LW_V128: break;
  }
  return value;
}

lw_slot lw_value_to_slot(lw_value value) { return value_to_slot(value); }

lw_global *lw_global_new(lw_store *store, lw_value value, bool mutable_) {
  lw_global *global = calloc(1, sizeof *global);
  if (!global) return NULL;
  global->type.type = value.type;
  global->type.mutable_ = mutable_;
  global->value = value_to_slot(value);
  if (!store_own(store, OWNED_GLOBAL, global)) {
    free(global);
    return NULL;
  }
  return global;
}

/* Globals defined by a module are created through here too, so the store owns them. */
lw_global *lw_global_new_raw(lw_store *store, lw_globaltype type, lw_slot value) {
  lw_global *global = calloc(1, sizeof *global);
  if (!global) return NULL;
  global->type = type;
  global->value = value;
  if (!store_own(store, OWNED_GLOBAL, global)) {
    free(global);
    return NULL;
  }
  return global;
}

lw_value lw_global_get(const lw_global *global) {
  return lw_slot_to_value(global->type.type, global->value);
}

lw_status lw_global_set(lw_global *global, lw_value value, lw_error *err) {
  if (!global->type.mutable_)
    return lw_error_set(err, LW_ERR_ARGUMENT, "global is immutable");
  if (value.type != global->type.type)
    return lw_error_set(err, LW_ERR_ARGUMENT, "global has type %s, value has type %s",
                        lw_valtype_name(global->type.type), lw_valtype_name(value.type));
  global->value = value_to_slot(value);
  return LW_OK;
}

/* ---- host functions ------------------------------------------------------------------------ */

lw_func *lw_func_new_host(lw_store *store, const lw_valtype *params, uint32_t param_count,
                          const lw_valtype *results, uint32_t result_count, lw_host_fn fn,
                          void *user_data) {
  lw_func *func = calloc(1, sizeof *func);
  if (!func) return NULL;
  lw_valtype *types = malloc(sizeof(lw_valtype) * (param_count + result_count + 1));
  if (!types) {
    free(func);
    return NULL;
  }
  if (param_count) memcpy(types, params, sizeof(lw_valtype) * param_count);
  if (result_count) memcpy(types + param_count, results, sizeof(lw_valtype) * result_count);
  func->own_type.param_count = param_count;
  func->own_type.result_count = result_count;
  func->own_type.params = types;
  func->own_type.results = types + param_count;
  func->own_type.canonical_id =
      lw_functype_canonical_id(params, param_count, results, result_count);
  func->type = &func->own_type;
  func->type_id = func->own_type.canonical_id;
  func->store = store;
  func->host = fn;
  func->user_data = user_data;
  if (!store_own(store, OWNED_FUNC, func)) {
    free(types);
    free(func);
    return NULL;
  }
  return func;
}
