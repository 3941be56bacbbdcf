/* The Fluent Bit WASM filter: load and check the module, instantiate it with WASI and the env
 * library, copy each record in, call the filter function, read its result back, and walk
 * whole chunks so the host crosses into native code once per chunk.
 * Semantics: fluent-bit-wasm.md sections 1-3. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env_libc.h"
#include "guest_heap.h"
#include "json.h"
#include "logwasm_filter.h"
#include "logwasm_wasi.h"
#include "msgpack.h"
#include "runtime.h"

/* logwasm's interpreter frames are larger than WAMR's, so a Fluent Bit wasm_stack_size that
 * works there must not be too small here. */
#define MIN_VALUE_STACK_BYTES (64u * 1024u)
#define DEFAULT_STACK_SIZE 8192u

/* One event of a chunk, as found by the validation pass. */
typedef struct event_span {
  size_t start, header, header_end, body, end; /* byte offsets */
  uint64_t sec;
  uint32_t nsec;
  bool group_marker;
} event_span;

/* Everything that belongs to one instance of the module; rebuilt after a timeout. */
typedef struct filter_instance {
  lw_store *store;
  lw_linker *linker;
  lw_wasi *wasi;
  lw_instance *instance;
  lw_memory *memory;
  lw_func *fn;
  lw_func *guest_malloc, *guest_free; /* both or neither */
  bool has_heap;
  lw_guest_heap heap;
  lw_env_ctx env;
} filter_instance;

struct lw_filter {
  /* configuration, owned copies */
  char *name;          /* for messages: the path or "module" */
  char *function_name;
  int event_format;
  int on_error;
  uint32_t heap_size, stack_size, timeout_ms;
  uint64_t max_memory_bytes;
  int stdout_fd, stderr_fd;
  lw_filter_log_fn log;
  void *log_user;
  size_t preopen_count;
  lw_wasi_preopen *preopens;
  char **paths;

  lw_module *module;
  bool imports_wasi;
  bool imports_env_alloc;  /* env.malloc and friends need the host heap */
  bool exports_allocator;  /* malloc/free exported with the right types */

  filter_instance inst;
  bool broken;              /* recreation failed: every record fails with broken_message */
  char broken_message[400];

  /* buffers reused across records (no allocation per record in the common case) */
  lw_buf copy;              /* the record as the guest sees it */
  lw_buf body_out;          /* chunk mode: one record's result */
  lw_json_scratch scratch;
  event_span *spans;        /* chunk mode: the events found by the validation pass */
  size_t span_cap;

  lw_filter_metrics metrics;
};

/* ---- helpers -------------------------------------------------------------------------------- */

static char *dup_string(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *copy = malloc(n);
  if (copy) memcpy(copy, s, n);
  return copy;
}

static bool is_filter_type(const lw_port_info *info) {
  if (info->param_count != 6 || info->result_count != 1 || info->results[0] != LW_I32)
    return false;
  for (int i = 0; i < 6; i++)
    if (info->params[i] != LW_I32) return false;
  return true;
}

/* "(i32, i32) -> i32" */
static void describe_type(char *out, size_t cap, uint32_t np, const lw_valtype *params,
                          uint32_t nr, const lw_valtype *results) {
  size_t o = 0;
#define ADD(...) o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, __VA_ARGS__)
  ADD("(");
  for (uint32_t i = 0; i < np; i++) ADD("%s%s", i ? ", " : "", lw_valtype_name(params[i]));
  ADD(") -> ");
  if (nr == 0) ADD("()");
  else if (nr == 1) ADD("%s", lw_valtype_name(results[0]));
  else {
    ADD("(");
    for (uint32_t i = 0; i < nr; i++) ADD("%s%s", i ? ", " : "", lw_valtype_name(results[i]));
    ADD(")");
  }
#undef ADD
}

static bool func_has_type(lw_func *fn, uint32_t np, uint32_t nr) {
  uint32_t p, r;
  const lw_valtype *params, *results;
  lw_func_type(fn, &p, &params, &r, &results);
  if (p != np || r != nr) return false;
  for (uint32_t i = 0; i < p; i++)
    if (params[i] != LW_I32) return false;
  for (uint32_t i = 0; i < r; i++)
    if (results[i] != LW_I32) return false;
  return true;
}

static void set_deadline(lw_filter *f) {
  if (f->timeout_ms)
    lw_store_set_deadline(f->inst.store, lw_monotonic_ns() + (uint64_t)f->timeout_ms * 1000000u);
}
static void clear_deadline(lw_filter *f) {
  if (f->timeout_ms) lw_store_set_deadline(f->inst.store, 0);
}

/* ---- instances ------------------------------------------------------------------------------ */

static void instance_destroy(filter_instance *in) {
  if (in->store) lw_store_free(in->store);
  if (in->linker) lw_linker_free(in->linker);
  if (in->wasi) lw_wasi_free(in->wasi);
  if (in->has_heap) lw_guest_heap_destroy(&in->heap);
  lw_buf_free(&in->env.scratch);
  memset(in, 0, sizeof *in);
}

/* Place the host heap: at __heap_base when the module exports __heap_base and __data_end and
 * the heap fits the initial memory (then __heap_base moves past it), otherwise in pages
 * appended after the initial memory. */
static lw_status setup_host_heap(lw_filter *f, filter_instance *in, lw_error *err) {
  uint32_t size = f->heap_size;
  uint64_t mem_size = lw_memory_size(in->memory);
  lw_extern heap_base, data_end;
  if (lw_instance_export(in->instance, "__heap_base", &heap_base) == LW_OK &&
      heap_base.kind == LW_EXTERN_GLOBAL && heap_base.of.global->type.type == LW_I32 &&
      lw_instance_export(in->instance, "__data_end", &data_end) == LW_OK &&
      data_end.kind == LW_EXTERN_GLOBAL) {
    uint32_t base = (uint32_t)heap_base.of.global->value;
    uint32_t aligned = (base + 15u) & ~15u;
    if (base != 0 && (uint64_t)aligned + size <= mem_size) {
      if (!lw_guest_heap_init(&in->heap, aligned, size)) goto nomem;
      in->has_heap = true;
      /* Written directly: __heap_base is usually immutable, but the guest's own sbrk-style
       * allocator must start past our heap. */
      heap_base.of.global->value = (uint32_t)(aligned + size);
      return LW_OK;
    }
  }
  uint32_t pages = (uint32_t)(((uint64_t)size + LW_PAGE_SIZE - 1) / LW_PAGE_SIZE);
  int64_t old = lw_memory_grow(in->memory, pages);
  if (old < 0)
    return lw_error_set(err, LW_ERR_LINK,
                        "%s: cannot append %u pages (%u bytes) for the wasm_heap_size heap: "
                        "the memory's maximum (or wasm_max_memory) does not allow it; lower "
                        "wasm_heap_size or raise wasm_max_memory",
                        f->name, pages, size);
  uint32_t base = (uint32_t)((uint64_t)old * LW_PAGE_SIZE);
  uint32_t usable = size;
  if (base == 0) { base = 16; usable -= 16; } /* address 0 is NULL for the guest */
  if (!lw_guest_heap_init(&in->heap, base, usable)) goto nomem;
  in->has_heap = true;
  return LW_OK;
nomem:
  return lw_error_set(err, LW_ERR_NOMEM, "%s: out of host memory creating the guest heap", f->name);
}

/* Call an initialiser export if present. Only () -> () functions are run. */
static lw_status run_init(lw_filter *f, filter_instance *in, const char *name, lw_error *err) {
  lw_func *fn = lw_instance_func(in->instance, name);
  if (!fn || !func_has_type(fn, 0, 0)) return LW_OK;
  uint64_t slots[1] = {0};
  set_deadline(f);
  lw_status st = lw_call_raw(fn, slots, err);
  clear_deadline(f);
  if (st != LW_OK) {
    char inner[sizeof err->message];
    memcpy(inner, err->message, sizeof inner);
    lw_status status = err->status;
    lw_trap trap = err->trap;
    lw_error_set(err, status, "%s: %s failed during instantiation: %s", f->name, name, inner);
    err->trap = trap;
    return status;
  }
  return LW_OK;
}

static lw_status instance_create(lw_filter *f, filter_instance *in, lw_error *err) {
  memset(in, 0, sizeof *in);
  lw_store_config sc = {0};
  sc.value_stack_bytes = f->stack_size < MIN_VALUE_STACK_BYTES ? MIN_VALUE_STACK_BYTES : f->stack_size;
  if (f->max_memory_bytes) {
    uint64_t pages = (f->max_memory_bytes + LW_PAGE_SIZE - 1) / LW_PAGE_SIZE;
    sc.max_memory_pages = pages > LW_MAX_PAGES ? LW_MAX_PAGES : (uint32_t)pages;
  }
  lw_status st;
  in->store = lw_store_new(&sc);
  in->linker = lw_linker_new();
  if (!in->store || !in->linker) {
    st = lw_error_set(err, LW_ERR_NOMEM, "%s: out of host memory creating the store", f->name);
    goto fail;
  }
  if (f->imports_wasi) {
    lw_wasi_config wc = {0};
    wc.stdin_fd = -1;
    wc.stdout_fd = f->stdout_fd;
    wc.stderr_fd = f->stderr_fd;
    wc.preopen_count = f->preopen_count;
    wc.preopens = f->preopens;
    if ((st = lw_wasi_new(&wc, &in->wasi, err)) != LW_OK) goto fail_wrap;
    if ((st = lw_wasi_define(in->wasi, in->store, in->linker)) != LW_OK) {
      lw_error_set(err, st, "could not define the WASI functions");
      goto fail_wrap;
    }
  }
  in->env.heap = NULL; /* set once the heap exists (after the start section) */
  in->env.stdout_fd = f->stdout_fd >= 0 ? f->stdout_fd : 1;
  if ((st = lw_env_define(&in->env, in->store, in->linker, err)) != LW_OK) goto fail_wrap;
  if ((st = lw_instantiate(in->store, f->module, in->linker, &in->instance, err)) != LW_OK)
    goto fail_wrap;
  in->memory = lw_instance_memory(in->instance, 0);
  if (!in->memory) {
    st = lw_error_set(err, LW_ERR_LINK,
                      "%s has no linear memory; a filter receives its records in memory 0",
                      f->name);
    goto fail;
  }
  in->fn = lw_instance_func(in->instance, f->function_name);
  if (f->exports_allocator) {
    in->guest_malloc = lw_instance_func(in->instance, "malloc");
    in->guest_free = lw_instance_func(in->instance, "free");
  }
  if (!f->exports_allocator || f->imports_env_alloc) {
    if ((st = setup_host_heap(f, in, err)) != LW_OK) goto fail;
    in->env.heap = &in->heap;
  }
  if ((st = run_init(f, in, "_initialize", err)) != LW_OK) goto fail;
  if ((st = run_init(f, in, "__post_instantiate", err)) != LW_OK) goto fail;
  if (!f->imports_wasi && (st = run_init(f, in, "__wasm_call_ctors", err)) != LW_OK) goto fail;
  return LW_OK;

fail_wrap: {
  char inner[sizeof err->message];
  memcpy(inner, err->message, sizeof inner);
  lw_trap trap = err->trap;
  lw_error_set(err, st, "instantiating %s: %s", f->name, inner);
  err->trap = trap;
}
fail:
  instance_destroy(in);
  return st;
}

/* ---- creation ------------------------------------------------------------------------------- */

static lw_status check_function(lw_filter *f, lw_error *err) {
  size_t n = lw_module_export_count(f->module);
  lw_port_info info;
  for (size_t i = 0; i < n; i++) {
    lw_module_export(f->module, i, &info);
    if (info.kind != LW_EXTERN_FUNC || strcmp(info.name, f->function_name) != 0) continue;
    if (is_filter_type(&info)) return LW_OK;
    char type[200];
    describe_type(type, sizeof type, info.param_count, info.params, info.result_count,
                  info.results);
    return lw_error_set(err, LW_ERR_LINK,
                        "function '%s' in %s has type %s; a filter needs (i32, i32, i32, i32, "
                        "i32, i32) -> i32",
                        f->function_name, f->name, type);
  }
  char names[300];
  size_t o = 0;
  names[0] = 0;
  for (size_t i = 0; i < n && o < sizeof names; i++) {
    lw_module_export(f->module, i, &info);
    if (info.kind != LW_EXTERN_FUNC) continue;
    o += (size_t)snprintf(names + o, sizeof names - o, "%s%s", o ? ", " : "", info.name);
  }
  if (o >= sizeof names) strcpy(names + sizeof names - 5, "...");
  return lw_error_set(err, LW_ERR_LINK, "function '%s' not found in %s (exports: %s)",
                      f->function_name, f->name, o ? names : "no functions");
}

/* An env import the library lacks would fail at link time; say what exists instead. */
static lw_status check_env_imports(lw_filter *f, lw_error *err) {
  size_t n = lw_module_import_count(f->module);
  lw_port_info info;
  for (size_t i = 0; i < n; i++) {
    lw_module_import(f->module, i, &info);
    if (strcmp(info.module, "env") != 0 || info.kind != LW_EXTERN_FUNC) continue;
    if (lw_env_provides(info.name)) continue;
    return lw_error_set(err, LW_ERR_LINK,
                        "%s imports env.%s, which logwasm's env library does not provide (it has "
                        "malloc, calloc, realloc, free, strdup, printf, sprintf, snprintf, "
                        "vprintf, vsprintf, vsnprintf, puts, putchar, memcpy, memmove, memset, "
                        "memcmp, strlen, strcmp, strncmp, strcpy, strncpy, strchr, strrchr, "
                        "strstr, atoi, strtol, strtoul, abort, exit); build the filter with "
                        "wasi-libc (--target=wasm32-wasi) or avoid %s",
                        f->name, info.name, info.name);
  }
  return LW_OK;
}

static void scan_imports_exports(lw_filter *f) {
  size_t n = lw_module_import_count(f->module);
  lw_port_info info;
  for (size_t i = 0; i < n; i++) {
    lw_module_import(f->module, i, &info);
    if (strcmp(info.module, "wasi_snapshot_preview1") == 0 ||
        strcmp(info.module, "wasi_unstable") == 0)
      f->imports_wasi = true;
    if (strcmp(info.module, "env") == 0 &&
        (strcmp(info.name, "malloc") == 0 || strcmp(info.name, "calloc") == 0 ||
         strcmp(info.name, "realloc") == 0 || strcmp(info.name, "strdup") == 0 ||
         strcmp(info.name, "free") == 0))
      f->imports_env_alloc = true;
  }
  bool has_malloc = false, has_free = false;
  n = lw_module_export_count(f->module);
  for (size_t i = 0; i < n; i++) {
    lw_module_export(f->module, i, &info);
    if (info.kind != LW_EXTERN_FUNC) continue;
    if (strcmp(info.name, "malloc") == 0)
      has_malloc = info.param_count == 1 && info.result_count == 1 && info.params[0] == LW_I32 &&
                   info.results[0] == LW_I32;
    else if (strcmp(info.name, "free") == 0)
      has_free = info.param_count == 1 && info.result_count == 0 && info.params[0] == LW_I32;
  }
  f->exports_allocator = has_malloc && has_free;
}

lw_status lw_filter_new(const lw_filter_config *config, lw_filter **out, lw_error *err) {
  *out = NULL;
  if (!config || !config->wasm || !config->wasm_len)
    return lw_error_set(err, LW_ERR_ARGUMENT, "wasm filter: no module bytes given (wasm_path)");
  if (!config->function_name || !*config->function_name)
    return lw_error_set(err, LW_ERR_ARGUMENT, "wasm filter: function_name is required");
  if (config->event_format != LW_EVENT_JSON && config->event_format != LW_EVENT_MSGPACK)
    return lw_error_set(err, LW_ERR_ARGUMENT,
                        "wasm filter: event_format must be json or msgpack (got %d)",
                        config->event_format);
  lw_filter *f = calloc(1, sizeof *f);
  if (!f) return lw_error_set(err, LW_ERR_NOMEM, "out of host memory");
  f->name = dup_string(config->wasm_name && *config->wasm_name ? config->wasm_name : "module");
  f->function_name = dup_string(config->function_name);
  f->event_format = config->event_format;
  f->on_error = config->on_error == LW_ON_ERROR_KEEP ? LW_ON_ERROR_KEEP : LW_ON_ERROR_DROP;
  f->heap_size = config->heap_size < LW_GUEST_HEAP_MIN ? LW_GUEST_HEAP_MIN : config->heap_size;
  f->stack_size = config->stack_size ? config->stack_size : DEFAULT_STACK_SIZE;
  f->timeout_ms = config->timeout_ms;
  f->max_memory_bytes = config->max_memory_bytes;
  f->stdout_fd = config->guest_stdout_fd;
  f->stderr_fd = config->guest_stderr_fd;
  f->log = config->log;
  f->log_user = config->log_user;
  lw_status st = LW_OK;
  if (!f->name || !f->function_name) goto nomem;
  if (config->accessible_path_count) {
    f->preopen_count = config->accessible_path_count;
    f->preopens = calloc(f->preopen_count, sizeof *f->preopens);
    f->paths = calloc(f->preopen_count, sizeof *f->paths);
    if (!f->preopens || !f->paths) goto nomem;
    for (size_t i = 0; i < f->preopen_count; i++) {
      if (!(f->paths[i] = dup_string(config->accessible_paths[i]))) goto nomem;
      f->preopens[i].guest_path = f->paths[i];
      f->preopens[i].host_path = f->paths[i];
    }
  }

  lw_load_options lo = {.name = f->name};
  if ((st = lw_module_load(config->wasm, config->wasm_len, &lo, &f->module, err)) != LW_OK)
    goto fail;
  if ((st = check_function(f, err)) != LW_OK) goto fail;
  if ((st = check_env_imports(f, err)) != LW_OK) goto fail;
  scan_imports_exports(f);
  if ((st = instance_create(f, &f->inst, err)) != LW_OK) goto fail;
  f->metrics.memory_bytes = lw_memory_size(f->inst.memory);
  *out = f;
  return LW_OK;

nomem:
  st = lw_error_set(err, LW_ERR_NOMEM, "out of host memory creating the wasm filter");
fail:
  lw_filter_free(f);
  return st;
}

void lw_filter_free(lw_filter *f) {
  if (!f) return;
  instance_destroy(&f->inst);
  if (f->module) lw_module_free(f->module);
  for (size_t i = 0; f->paths && i < f->preopen_count; i++) free(f->paths[i]);
  free(f->paths);
  free(f->preopens);
  free(f->name);
  free(f->function_name);
  lw_buf_free(&f->copy);
  lw_buf_free(&f->body_out);
  lw_json_scratch_free(&f->scratch);
  free(f->spans);
  free(f);
}

void lw_filter_metrics_get(const lw_filter *f, lw_filter_metrics *out) {
  *out = f->metrics;
  if (f->inst.memory) out->memory_bytes = lw_memory_size(f->inst.memory);
}

/* ---- one record ----------------------------------------------------------------------------- */

typedef enum failure_kind { FAIL_TRAP, FAIL_TIMEOUT, FAIL_BAD_RESULT, FAIL_HEAP, FAIL_OTHER } failure_kind;

/* Record a failure in err and the metrics. */
static lw_status record_failure(lw_filter *f, lw_error *err, failure_kind kind, lw_status status,
                                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static lw_status record_failure(lw_filter *f, lw_error *err, failure_kind kind, lw_status status,
                                const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  err->status = status;
  if (status != LW_ERR_TRAP) err->trap = LW_TRAP_NONE;
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  f->metrics.errors++;
  switch (kind) {
  case FAIL_TRAP: f->metrics.errors_trap++; break;
  case FAIL_TIMEOUT: f->metrics.errors_timeout++; break;
  case FAIL_BAD_RESULT: f->metrics.errors_bad_result++; break;
  case FAIL_HEAP: f->metrics.errors_heap++; break;
  case FAIL_OTHER: break;
  }
  memcpy(f->metrics.last_error, err->message, sizeof f->metrics.last_error);
  f->metrics.last_error[sizeof f->metrics.last_error - 1] = 0;
  return status;
}

static bool is_map_byte(uint8_t b) { return (b & 0xf0) == 0x80 || b == 0xde || b == 0xdf; }

/* After a timeout the instance may be anywhere in its code: start over with a fresh one. */
static void recreate_instance(lw_filter *f) {
  instance_destroy(&f->inst);
  lw_error err;
  f->metrics.instance_recreations++;
  if (instance_create(f, &f->inst, &err) != LW_OK) {
    f->broken = true;
    size_t n = strnlen(err.message, sizeof f->broken_message - 1);
    memcpy(f->broken_message, err.message, n);
    f->broken_message[n] = 0;
  }
}

static void guest_release(lw_filter *f, uint32_t addr) {
  filter_instance *in = &f->inst;
  if (in->guest_free) {
    uint64_t slots[1] = {addr};
    lw_error ignored;
    lw_call_raw(in->guest_free, slots, &ignored);
  } else if (in->has_heap) {
    lw_guest_heap_free(&in->heap, addr);
  }
}

/* Read the guest's result into out (msgpack). Returns LW_OK with *dropped set, or a failure
 * (already counted). Memory may have grown (moved) during the call. */
static lw_status read_result(lw_filter *f, uint32_t result, lw_buf *out, bool *dropped,
                             lw_error *err) {
  const uint8_t *mem = lw_memory_data(f->inst.memory);
  uint64_t mem_size = lw_memory_size(f->inst.memory);
  *dropped = false;
  out->len = 0;
  if (result == 0) { *dropped = true; return LW_OK; }
  if (result >= mem_size)
    return record_failure(f, err, FAIL_BAD_RESULT, LW_ERR_INVALID,
                          "%s: '%s' returned address 0x%x, outside guest memory (%llu bytes)",
                          f->name, f->function_name, result, (unsigned long long)mem_size);
  if (f->event_format == LW_EVENT_JSON) {
    const uint8_t *text = mem + result;
    const uint8_t *nul = memchr(text, 0, mem_size - result);
    if (!nul)
      return record_failure(f, err, FAIL_BAD_RESULT, LW_ERR_INVALID,
                            "%s: '%s' returned 0x%x, a string with no NUL before the end of "
                            "guest memory",
                            f->name, f->function_name, result);
    size_t len = (size_t)(nul - text);
    if (len == 0) { *dropped = true; return LW_OK; }
    size_t at = 0;
    const char *why = lw_json_parse((const char *)text, len, out, &at);
    if (why) {
      size_t from = at > 20 ? at - 20 : 0;
      size_t show = len - from < 40 ? len - from : 40;
      return record_failure(f, err, FAIL_BAD_RESULT, LW_ERR_INVALID,
                            "%s: '%s' returned text that is not JSON (%s at offset %zu, near "
                            "\"%.*s\")",
                            f->name, f->function_name, why, at, (int)show, text + from);
    }
    if (!is_map_byte(out->data[0])) {
      out->len = 0;
      return record_failure(f, err, FAIL_BAD_RESULT, LW_ERR_INVALID,
                            "%s: '%s' returned JSON that is not an object (\"%.*s\")",
                            f->name, f->function_name, (int)(len < 40 ? len : 40), text);
    }
    return LW_OK;
  }
  /* msgpack: exactly one object from the result address, bounded by the end of memory. */
  if (mem[result] == 0x00) { *dropped = true; return LW_OK; }
  size_t pos = result;
  const char *why = lw_mp_skip(mem, mem_size, &pos);
  if (why)
    return record_failure(f, err, FAIL_BAD_RESULT, LW_ERR_INVALID,
                          "%s: '%s' returned 0x%x, which is not valid msgpack (%s at +%zu)",
                          f->name, f->function_name, result, why, pos - result);
  if (!is_map_byte(mem[result]))
    return record_failure(f, err, FAIL_BAD_RESULT, LW_ERR_INVALID,
                          "%s: '%s' returned msgpack that is not a map (type byte 0x%02x)",
                          f->name, f->function_name, mem[result]);
  if (!lw_buf_put(out, mem + result, pos - result))
    return record_failure(f, err, FAIL_OTHER, LW_ERR_NOMEM, "%s: out of host memory", f->name);
  return LW_OK;
}

/* The guest-facing part: copy in, call, read the result into out. Returns LW_OK with
 * *dropped set, or a failure (already counted). */
static lw_status call_guest(lw_filter *f, const char *tag, size_t tag_len, uint64_t sec,
                            uint32_t nsec, lw_buf *out, bool *dropped, lw_error *err) {
  filter_instance *in = &f->inst;
  size_t rec_len = f->copy.len - (f->event_format == LW_EVENT_JSON); /* the NUL is not counted */
  size_t rec_offset = (tag_len + 1 + 7) & ~(size_t)7;
  uint64_t total = (uint64_t)rec_offset + f->copy.len;
  if (total > UINT32_MAX || tag_len > INT32_MAX)
    return record_failure(f, err, FAIL_HEAP, LW_ERR_NOMEM,
                          "%s: record of %zu bytes is too large for a 32-bit guest", f->name,
                          f->copy.len);

  set_deadline(f);
  uint32_t addr = 0;
  lw_status st;
  const char *callee = "malloc"; /* for messages: which guest call failed */
  if (in->guest_malloc) {
    uint64_t slots[1] = {total};
    st = lw_call_raw(in->guest_malloc, slots, err);
    if (st != LW_OK) goto call_failed;
    addr = (uint32_t)slots[0];
    if (!addr) {
      clear_deadline(f);
      return record_failure(f, err, FAIL_HEAP, LW_ERR_NOMEM,
                            "%s: the module's malloc(%llu) returned NULL for the record copy "
                            "(memory %llu bytes); raise wasm_max_memory if it is set",
                            f->name, (unsigned long long)total,
                            (unsigned long long)lw_memory_size(in->memory));
    }
  } else {
    addr = lw_guest_heap_alloc(&in->heap, (uint32_t)total);
    if (!addr) {
      clear_deadline(f);
      return record_failure(f, err, FAIL_HEAP, LW_ERR_NOMEM,
                            "%s: the guest heap cannot hold this record's copy (%llu bytes; "
                            "wasm_heap_size is %u bytes, %llu in use); raise wasm_heap_size",
                            f->name, (unsigned long long)total, f->heap_size,
                            (unsigned long long)in->heap.used_bytes);
    }
  }
  uint8_t *mem = lw_memory_data(in->memory);
  uint64_t mem_size = lw_memory_size(in->memory);
  if ((uint64_t)addr + total > mem_size) {
    clear_deadline(f);
    guest_release(f, addr);
    return record_failure(f, err, FAIL_HEAP, LW_ERR_NOMEM,
                          "%s: malloc returned 0x%x, but %llu bytes there exceed guest memory",
                          f->name, addr, (unsigned long long)total);
  }
  memcpy(mem + addr, tag, tag_len);
  mem[addr + tag_len] = 0;
  memcpy(mem + addr + rec_offset, f->copy.data, f->copy.len);

  uint64_t slots[6] = {addr, (uint32_t)tag_len, (uint32_t)sec, nsec,
                       addr + (uint32_t)rec_offset, (uint32_t)rec_len};
  callee = f->function_name;
  st = lw_call_raw(in->fn, slots, err);
  if (st != LW_OK) {
    if (!(st == LW_ERR_TRAP && err->trap == LW_TRAP_INTERRUPTED)) {
      /* Give the copy back even after a trap (the instance lives on). */
      clear_deadline(f);
      set_deadline(f);
      guest_release(f, addr);
    }
    goto call_failed;
  }
  /* The result is read before the copy is freed: a guest may return a pointer into its
   * input, and its free() may write allocator metadata there. */
  st = read_result(f, (uint32_t)slots[0], out, dropped, err);
  guest_release(f, addr);
  clear_deadline(f);
  return st;

call_failed:
  clear_deadline(f);
  {
    char inner[sizeof err->message];
    memcpy(inner, err->message, sizeof inner);
    if (st == LW_ERR_TRAP && err->trap == LW_TRAP_INTERRUPTED) {
      record_failure(f, err, FAIL_TIMEOUT, LW_ERR_TRAP,
                     "%s: '%s' timed out after %u ms (wasm_timeout); the instance was recreated, "
                     "its state reset",
                     f->name, callee, f->timeout_ms);
      err->trap = LW_TRAP_INTERRUPTED;
      recreate_instance(f);
      return LW_ERR_TRAP;
    }
    if (st == LW_ERR_EXIT) {
      int code = err->exit_code;
      record_failure(f, err, FAIL_TRAP, LW_ERR_EXIT, "%s: '%s' called exit(%d)",
                     f->name, callee, code);
      err->exit_code = code;
      return LW_ERR_EXIT;
    }
    lw_trap trap = err->trap;
    record_failure(f, err, st == LW_ERR_TRAP ? FAIL_TRAP : FAIL_OTHER, st,
                   "%s: '%s' failed: %s", f->name, callee, inner);
    err->trap = trap;
    return st;
  }
}

/* Whole record: prepare the copy, run the guest, decide the outcome. */
static lw_status process_record(lw_filter *f, const char *tag, size_t tag_len, uint64_t sec,
                                uint32_t nsec, const uint8_t *body, size_t body_len, lw_buf *out,
                                lw_record_outcome *outcome, lw_error *err) {
  f->metrics.records_in++;
  out->len = 0;
  lw_status st;
  if (f->broken) {
    st = record_failure(f, err, FAIL_OTHER, LW_ERR_LINK,
                        "%s: the instance could not be recreated after a timeout: %s", f->name,
                        f->broken_message);
    goto failed;
  }
  f->copy.len = 0;
  size_t pos = 0;
  const char *why = f->event_format == LW_EVENT_JSON
                        ? lw_json_format(body, body_len, &pos, &f->copy, &f->scratch)
                        : lw_mp_repack(body, body_len, &pos, &f->copy);
  if (!why && f->event_format == LW_EVENT_JSON && !lw_buf_byte(&f->copy, 0))
    why = "out of host memory";
  if (why) {
    st = record_failure(f, err, FAIL_OTHER, LW_ERR_MALFORMED,
                        "%s: the record body is not valid msgpack (%s at byte %zu)", f->name,
                        why, pos);
    goto failed;
  }
  bool dropped = false;
  st = call_guest(f, tag, tag_len, sec, nsec, out, &dropped, err);
  if (st == LW_OK) {
    if (dropped) {
      f->metrics.records_dropped++;
      *outcome = LW_RECORD_DROPPED;
    } else {
      f->metrics.records_out++;
      *outcome = LW_RECORD_REPLACED;
    }
    return LW_OK;
  }
failed:
  out->len = 0;
  if (f->on_error == LW_ON_ERROR_KEEP && lw_buf_put(out, body, body_len)) {
    f->metrics.records_kept++;
    f->metrics.records_out++;
    *outcome = LW_RECORD_KEPT;
  } else {
    *outcome = LW_RECORD_FAILED;
  }
  return st;
}

lw_status lw_filter_record(lw_filter *f, const char *tag, size_t tag_len, uint64_t sec,
                           uint32_t nsec, const uint8_t *body, size_t body_len, lw_buf *out_body,
                           lw_record_outcome *outcome, lw_error *err) {
  lw_error local_err;
  if (!err) err = &local_err;
  *outcome = LW_RECORD_FAILED;
  if (!f || !out_body || (!body && body_len) || (!tag && tag_len))
    return lw_error_set(err, LW_ERR_ARGUMENT, "lw_filter_record: missing argument");
  if (!tag) tag = "";
  uint64_t t0 = lw_monotonic_ns();
  lw_status st = process_record(f, tag, tag_len, sec, nsec, body, body_len, out_body, outcome, err);
  f->metrics.time_ns += lw_monotonic_ns() - t0;
  return st;
}

/* ---- chunks --------------------------------------------------------------------------------- */

static inline uint32_t read_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Parse the event at *pos. Returns NULL or a reason; *pos is then the offending offset. */
static const char *parse_event(const uint8_t *c, size_t len, size_t *pos, event_span *ev) {
  lw_mp_item it;
  const char *why;
  ev->start = *pos;
  if ((why = lw_mp_read(c, len, pos, &it))) return why;
  if (it.kind != LW_MP_ARRAY || it.v.count != 2) {
    *pos = ev->start;
    return "not an event: expected a 2-element array [header, body]";
  }
  ev->header = *pos;
  if ((why = lw_mp_read(c, len, pos, &it))) return why;
  size_t time_at = ev->header;
  if (it.kind == LW_MP_ARRAY) {
    if (it.v.count != 2) {
      *pos = ev->header;
      return "event header is not [time, metadata]";
    }
    time_at = *pos;
    if ((why = lw_mp_read(c, len, pos, &it))) return why;
  }
  ev->group_marker = false;
  ev->nsec = 0;
  switch (it.kind) {
  case LW_MP_EXT:
    if (it.v.bytes.type != 0 || it.v.bytes.len != 8) {
      *pos = time_at;
      return "event time is an ext value but not EventTime (type 0, 8 bytes)";
    }
    ev->sec = read_be32(it.v.bytes.ptr);
    ev->nsec = read_be32(it.v.bytes.ptr + 4);
    ev->group_marker = (int32_t)(uint32_t)ev->sec == -1 || (int32_t)(uint32_t)ev->sec == -2;
    break;
  case LW_MP_UINT: ev->sec = it.v.u; break;
  case LW_MP_INT:
    ev->group_marker = it.v.i == -1 || it.v.i == -2;
    ev->sec = (uint64_t)it.v.i;
    break;
  case LW_MP_F32:
  case LW_MP_F64: {
    double t = it.kind == LW_MP_F32 ? (double)it.v.f32 : it.v.f64;
    if (t == -1.0 || t == -2.0) { ev->group_marker = true; ev->sec = (uint64_t)(int64_t)t; break; }
    if (!(t >= 0) || t >= 18446744073709551616.0) {
      *pos = time_at;
      return "event time is not a usable number of seconds";
    }
    double whole = (double)(uint64_t)t;
    ev->sec = (uint64_t)t;
    double frac = (t - whole) * 1e9;
    ev->nsec = frac >= 999999999.0 ? 999999999u : (uint32_t)frac;
    break;
  }
  default:
    *pos = time_at;
    return "event time is neither EventTime nor a number";
  }
  /* Rest of the header (metadata) and the body. */
  *pos = ev->header;
  if ((why = lw_mp_skip(c, len, pos))) return why;
  ev->header_end = *pos;
  ev->body = *pos;
  if ((why = lw_mp_skip(c, len, pos))) return why;
  ev->end = *pos;
  return NULL;
}

lw_status lw_filter_chunk(lw_filter *f, const char *tag, size_t tag_len, const uint8_t *chunk,
                          size_t len, lw_buf *out, lw_error *err) {
  lw_error local_err;
  if (!err) err = &local_err;
  if (!f || !out || (!chunk && len) || (!tag && tag_len))
    return lw_error_set(err, LW_ERR_ARGUMENT, "lw_filter_chunk: missing argument");
  if (!tag) tag = "";
  out->len = 0;
  uint64_t t0 = lw_monotonic_ns();

  /* Pass 1: validate the whole chunk, so a corrupt one reaches no guest and emits nothing. */
  size_t pos = 0, count = 0;
  event_span ev;
  while (pos < len) {
    const char *why = parse_event(chunk, len, &pos, &ev);
    if (why) {
      f->metrics.time_ns += lw_monotonic_ns() - t0;
      return lw_error_set(err, LW_ERR_MALFORMED,
                          "corrupt chunk: event %zu (starting at byte %zu): %s at byte offset "
                          "%zu of %zu",
                          count, ev.start, why, pos, len);
    }
    if (count == f->span_cap) {
      size_t cap = f->span_cap ? f->span_cap * 2 : 256;
      event_span *spans = realloc(f->spans, cap * sizeof *spans);
      if (!spans) goto nomem;
      f->spans = spans;
      f->span_cap = cap;
    }
    f->spans[count++] = ev;
  }
  if (!lw_buf_reserve(out, len + len / 2 + 64)) goto nomem;

  /* Pass 2: run the records. */
  for (size_t index = 0; index < count; index++) {
    const event_span *e = &f->spans[index];
    if (e->group_marker) {
      if (!lw_buf_put(out, chunk + e->start, e->end - e->start)) goto nomem;
      continue;
    }
    lw_record_outcome outcome;
    lw_error rec_err;
    lw_status st = process_record(f, tag, tag_len, e->sec, e->nsec, chunk + e->body,
                                  e->end - e->body, &f->body_out, &outcome, &rec_err);
    if (st != LW_OK && f->log) f->log(f->log_user, rec_err.message);
    switch (outcome) {
    case LW_RECORD_REPLACED:
      if (!lw_buf_byte(out, 0x92) ||
          !lw_buf_put(out, chunk + e->header, e->header_end - e->header) ||
          !lw_buf_put(out, f->body_out.data, f->body_out.len))
        goto nomem;
      break;
    case LW_RECORD_KEPT:
      if (!lw_buf_put(out, chunk + e->start, e->end - e->start)) goto nomem;
      break;
    case LW_RECORD_DROPPED:
    case LW_RECORD_FAILED:
      break;
    }
  }
  f->metrics.chunks++;
  f->metrics.time_ns += lw_monotonic_ns() - t0;
  return LW_OK;

nomem:
  out->len = 0;
  f->metrics.time_ns += lw_monotonic_ns() - t0;
  return lw_error_set(err, LW_ERR_NOMEM, "out of host memory building the output chunk");
}

/* ---- reading chunks for hosts ---------------------------------------------------------------- */

lw_status lw_chunk_next_event(const uint8_t *chunk, size_t len, size_t *pos, lw_chunk_event *event,
                              lw_error *err) {
  lw_error local_err;
  if (!err) err = &local_err;
  if (!pos || !event || (!chunk && len))
    return lw_error_set(err, LW_ERR_ARGUMENT, "lw_chunk_next_event: missing argument");
  event_span ev;
  size_t at = *pos;
  const char *why = parse_event(chunk, len, &at, &ev);
  if (why) {
    return lw_error_set(err, LW_ERR_MALFORMED,
                        "corrupt chunk: the event starting at byte %zu: %s at byte offset %zu of %zu",
                        ev.start, why, at, len);
  }
  *pos = at;
  event->seconds = (int64_t)ev.sec;
  event->nanoseconds = ev.nsec;
  event->group_marker = ev.group_marker;
  event->metadata = NULL;
  event->metadata_len = 0;
  /* [[time, metadata], body]: the metadata is what follows the time inside the header. */
  size_t p = ev.header;
  lw_mp_item it;
  if (!lw_mp_read(chunk, len, &p, &it) && it.kind == LW_MP_ARRAY && !lw_mp_skip(chunk, len, &p)) {
    event->metadata = chunk + p;
    event->metadata_len = ev.header_end - p;
  }
  event->body = chunk + ev.body;
  event->body_len = ev.end - ev.body;
  return LW_OK;
}
