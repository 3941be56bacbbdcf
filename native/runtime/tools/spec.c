/* logwasm-spec: runs one WebAssembly spec test file, as converted by wast2json, in process and
 * through the public C API only (logwasm.h).
 *
 *   logwasm-spec [--verbose] [--stream] [--artifacts SUFFIX] <file.json>
 *
 * With --artifacts (the AOT tier), modules that are instantiated are loaded from the artifacts
 * logwasm-aotc wrote beside the .wasm files (x.N.wasm -> x.N<SUFFIX>); the driver compiles them.
 *
 * Every command of the file is one check: it passes, fails or is skipped. Output lines:
 *   FAIL <line> <command>: <what was expected, what happened>     always
 *   skip <line> <command>: <reason>                               with --verbose or --stream
 *   note <line> <command>: <detail>  (e.g. a trap message worded   with --verbose or --stream
 *                                     differently from the spec's)
 *   ok <line> <command>                                           with --stream
 * then one "skipped <N>: <reason>" line per skip reason and the summary
 *   total: <P> passed, <F> failed, <S> skipped
 * <line> is the command's line in the .wast file (wast2json's "line"). --stream also prints
 * "commands <N>" first and flushes every line, so the driver (test/spec/run.mjs) can tell how
 * far a runner got when the engine crashes it.
 *
 * Exit status: 0 when nothing failed, 1 when a check failed, 2 when the file itself could not be
 * read. One store for the whole file; a linker holds "spectest" and every registered instance. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "logwasm.h"
#include "read_file.h"
#include "spec/json.h"
#include "spec/values.h"

/* Each call and each instantiation gets this long before the store's deadline interrupts it:
 * a runaway loop in the engine becomes one failed check instead of a hung run. */
#define SPEC_CALL_SECONDS 20
#define SPEC_MAX_VALUES 256

/* Skip reasons. No ':' in them: the driver reads the reason after the last ": " of a line. */
static const char *const REASON_TEXT = "text format";
static const char *const REASON_SIMD = "SIMD not supported";

typedef enum spec_outcome { SPEC_PASS, SPEC_FAIL, SPEC_SKIP } spec_outcome;

typedef enum module_state {
  MODULE_READY,   /* instantiated */
  MODULE_SKIPPED, /* not run: skip_reason says why; commands on it are skipped too */
  MODULE_FAILED   /* did not load or instantiate: commands on it fail */
} module_state;

typedef struct spec_module {
  char *name; /* "$name" or NULL */
  lw_instance *instance;
  module_state state;
  const char *skip_reason;
  int line;
} spec_module;

typedef struct skip_count {
  const char *reason;
  unsigned count;
} skip_count;

typedef struct spec_run {
  const char *json_path;
  char *dir; /* where wast2json wrote the .wasm files */
  bool verbose, stream;
  bool simd_file; /* a simd_*.wast file: LW_ERR_UNSUPPORTED there means SIMD */
  const char *artifact_suffix; /* --artifacts: load compiled artifacts (the AOT tier) */
  lw_store *store;
  lw_linker *linker;
  spec_module *modules;
  size_t module_count, module_cap;
  ssize_t current; /* index of the most recent module command, -1 before any */
  lw_module **loaded; /* every lw_module ever loaded; freed after the store */
  size_t loaded_count, loaded_cap;
  unsigned passed, failed, skipped;
  skip_count skips[8];
  size_t skip_kinds;
} spec_run;

/* What one command came to; detail is the text after "<command>: ". */
typedef struct spec_result {
  spec_outcome outcome;
  const char *skip_reason;
  spec_text detail;
  spec_text note; /* optional remark printed with --verbose */
} spec_result;

static void spec_fail(spec_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void spec_fail(spec_result *r, const char *fmt, ...) {
  r->outcome = SPEC_FAIL;
  va_list ap;
  va_start(ap, fmt);
  spec_text_vadd(&r->detail, fmt, ap);
  va_end(ap);
}

static void spec_skip(spec_result *r, const char *reason) {
  r->outcome = SPEC_SKIP;
  r->skip_reason = reason;
}

static const char *status_name(lw_status s) {
  switch (s) {
  case LW_OK: return "ok";
  case LW_ERR_MALFORMED: return "malformed";
  case LW_ERR_INVALID: return "invalid";
  case LW_ERR_UNSUPPORTED: return "unsupported";
  case LW_ERR_LINK: return "link error";
  case LW_ERR_TRAP: return "trap";
  case LW_ERR_EXIT: return "exit";
  case LW_ERR_NOMEM: return "out of memory";
  case LW_ERR_ARGUMENT: return "argument error";
  case LW_ERR_IO: return "I/O error";
  }
  return "unknown status";
}

/* "trap (integer overflow): <message>" and the like, for reports. */
static void text_error(spec_text *t, lw_status status, const lw_error *err) {
  if (status == LW_ERR_TRAP)
    spec_text_add(t, "trap (%s): %s", lw_trap_text(err->trap), err->message);
  else
    spec_text_add(t, "%s: %s", status_name(status), err->message);
}

static bool is_unsupported_simd(const spec_run *run, lw_status status, const lw_error *err) {
  if (status != LW_ERR_UNSUPPORTED) return false;
  return run->simd_file || strstr(err->message, "SIMD") || strstr(err->message, "simd") ||
         strstr(err->message, "v128");
}

/* ---- spectest: the host module every spec test may import ----------------------------------- */

static lw_status spectest_print(lw_host_ctx *ctx, uint64_t *slots) {
  (void)ctx;
  (void)slots;
  return LW_OK; /* the tests only need the calls to link and run */
}

static bool define_spectest(spec_run *run) {
  static const struct {
    const char *name;
    uint32_t count;
    lw_valtype params[2];
  } prints[] = {
      {"print", 0, {0}},
      {"print_i32", 1, {LW_I32}},
      {"print_i64", 1, {LW_I64}},
      {"print_f32", 1, {LW_F32}},
      {"print_f64", 1, {LW_F64}},
      {"print_i32_f32", 2, {LW_I32, LW_F32}},
      {"print_f64_f64", 2, {LW_F64, LW_F64}},
  };
  bool ok = true;
  for (size_t i = 0; i < sizeof prints / sizeof prints[0]; i++) {
    lw_func *f = lw_func_new_host(run->store, prints[i].params, prints[i].count, NULL, 0,
                                  spectest_print, NULL);
    lw_extern e = {.kind = LW_EXTERN_FUNC, .of.func = f};
    ok = ok && f && lw_linker_define(run->linker, "spectest", prints[i].name, e) == LW_OK;
  }
  lw_value v666_i32 = {.type = LW_I32, .of.i32 = 666};
  lw_value v666_i64 = {.type = LW_I64, .of.i64 = 666};
  lw_value v666_f32 = {.type = LW_F32, .of.f32 = 666.6f};
  lw_value v666_f64 = {.type = LW_F64, .of.f64 = 666.6};
  const struct { const char *name; lw_value value; } globals[] = {
      {"global_i32", v666_i32}, {"global_i64", v666_i64},
      {"global_f32", v666_f32}, {"global_f64", v666_f64}};
  for (size_t i = 0; i < sizeof globals / sizeof globals[0]; i++) {
    lw_global *g = lw_global_new(run->store, globals[i].value, false);
    lw_extern e = {.kind = LW_EXTERN_GLOBAL, .of.global = g};
    ok = ok && g && lw_linker_define(run->linker, "spectest", globals[i].name, e) == LW_OK;
  }
  lw_table *table = lw_table_new(run->store, LW_FUNCREF, 10, 20, true, NULL);
  lw_memory *memory = lw_memory_new(run->store, 1, 2, true);
  ok = ok && table && memory &&
       lw_linker_define(run->linker, "spectest", "table",
                        (lw_extern){.kind = LW_EXTERN_TABLE, .of.table = table}) == LW_OK &&
       lw_linker_define(run->linker, "spectest", "memory",
                        (lw_extern){.kind = LW_EXTERN_MEMORY, .of.memory = memory}) == LW_OK;
  return ok;
}

/* ---- modules --------------------------------------------------------------------------------- */

/* A module given in the text format (wast2json's .wat files): this runner loads binaries only. */
static bool is_text_module(const json_value *cmd) {
  const char *module_type = json_get_string(cmd, "module_type");
  return module_type && strcmp(module_type, "text") == 0;
}

/* Which file a module command loads: its .wasm, or with --artifacts SUFFIX (the AOT tier) the
 * compiled artifact beside it, "x.3.wasm" -> "x.3<SUFFIX>". Modules that must be rejected
 * (assert_invalid, assert_malformed) are always loaded from the .wasm: there is no artifact of
 * an invalid module. */
typedef enum module_source { FROM_WASM, FROM_ARTIFACT } module_source;

/* Load the command's module. Returns the load status; on LW_OK *out is kept in run->loaded
 * (freed with the store, since failed instantiations may leave its functions in shared tables). */
static lw_status load_module(spec_run *run, const json_value *cmd, module_source source,
                             lw_module **out, lw_error *err) {
  *out = NULL;
  const char *filename = json_get_string(cmd, "filename");
  if (!filename) {
    snprintf(err->message, sizeof err->message, "the command names no module file");
    return err->status = LW_ERR_ARGUMENT;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", run->dir, filename);
  uint8_t *bytes;
  size_t len;
  if (source == FROM_ARTIFACT && run->artifact_suffix) {
    char artifact[4096];
    size_t stem = strlen(path);
    if (stem > 5 && strcmp(path + stem - 5, ".wasm") == 0) stem -= 5;
    snprintf(artifact, sizeof artifact, "%.*s%s", (int)stem, path, run->artifact_suffix);
    if (!(bytes = read_whole_file(artifact, &len, NULL))) {
      /* No artifact: the compiler refused the module. Load the .wasm to tell a SIMD module
       * (skipped like in the interpreter) from a compiler failure. */
      lw_status status = load_module(run, cmd, FROM_WASM, out, err);
      if (status == LW_OK || !is_unsupported_simd(run, status, err)) {
        snprintf(err->message, sizeof err->message,
                 "no AOT artifact %.300s (the compiler could not compile %.100s)", artifact,
                 filename);
        err->status = status = LW_ERR_IO;
        *out = NULL; /* still freed with the store */
      }
      return status;
    }
  } else if (!(bytes = read_whole_file(path, &len, NULL))) {
    snprintf(err->message, sizeof err->message, "cannot read %.400s", path);
    return err->status = LW_ERR_IO;
  }
  lw_load_options opts = {.name = filename};
  lw_status status = lw_module_load(bytes, len, &opts, out, err);
  free(bytes);
  if (status != LW_OK) {
    *out = NULL;
    if (source == FROM_ARTIFACT && run->artifact_suffix) {
      /* Say it was the artifact that failed, not the .wasm. */
      char message[sizeof err->message];
      snprintf(message, sizeof message, "%s", err->message);
      snprintf(err->message, sizeof err->message, "AOT artifact of %.100s: %.380s", filename,
               message);
    }
    return status;
  }
  if (run->loaded_count == run->loaded_cap) {
    size_t cap = run->loaded_cap ? run->loaded_cap * 2 : 64;
    lw_module **grown = realloc(run->loaded, cap * sizeof *grown);
    if (!grown) {
      lw_module_free(*out);
      *out = NULL;
      snprintf(err->message, sizeof err->message, "out of memory in the runner");
      return err->status = LW_ERR_NOMEM;
    }
    run->loaded = grown;
    run->loaded_cap = cap;
  }
  run->loaded[run->loaded_count++] = *out;
  return LW_OK;
}

static lw_status instantiate(spec_run *run, const lw_module *module, lw_instance **out,
                             lw_error *err) {
  lw_store_set_deadline(run->store, lw_monotonic_ns() + SPEC_CALL_SECONDS * 1000000000ull);
  lw_status status = lw_instantiate(run->store, module, run->linker, out, err);
  lw_store_set_deadline(run->store, 0);
  if (status != LW_OK) *out = NULL;
  return status;
}

static spec_module *add_module(spec_run *run, const json_value *cmd) {
  if (run->module_count == run->module_cap) {
    size_t cap = run->module_cap ? run->module_cap * 2 : 32;
    spec_module *grown = realloc(run->modules, cap * sizeof *grown);
    if (!grown) return NULL;
    run->modules = grown;
    run->module_cap = cap;
  }
  spec_module *m = &run->modules[run->module_count];
  memset(m, 0, sizeof *m);
  const char *name = json_get_string(cmd, "name");
  m->name = name ? strdup(name) : NULL;
  const json_value *line = json_get(cmd, "line");
  m->line = line && line->kind == JSON_NUMBER ? atoi(line->text) : 0;
  run->current = (ssize_t)run->module_count++;
  return m;
}

static void cmd_module(spec_run *run, const json_value *cmd, spec_result *r) {
  spec_module *m = add_module(run, cmd);
  if (!m) {
    spec_fail(r, "out of memory in the runner");
    return;
  }
  if (is_text_module(cmd)) {
    m->state = MODULE_SKIPPED;
    spec_skip(r, m->skip_reason = REASON_TEXT);
    return;
  }
  lw_error err = {0};
  lw_module *module;
  lw_status status = load_module(run, cmd, FROM_ARTIFACT, &module, &err);
  if (status == LW_OK) status = instantiate(run, module, &m->instance, &err);
  if (status == LW_OK) {
    m->state = MODULE_READY;
    return;
  }
  if (is_unsupported_simd(run, status, &err)) {
    m->state = MODULE_SKIPPED;
    spec_skip(r, m->skip_reason = REASON_SIMD);
    return;
  }
  m->state = MODULE_FAILED;
  spec_fail(r, "%s %s: ", json_get_string(cmd, "filename"),
            module ? "did not instantiate" : "did not load");
  text_error(&r->detail, status, &err);
}

/* The instance a command means: the named one or the latest. NULL with r set otherwise. */
static lw_instance *find_instance(spec_run *run, const char *name, spec_result *r) {
  ssize_t i = run->current;
  if (name) {
    for (i = (ssize_t)run->module_count - 1; i >= 0; i--)
      if (run->modules[i].name && strcmp(run->modules[i].name, name) == 0) break;
  }
  if (i < 0) {
    spec_fail(r, "no module %s", name ? name : "defined yet");
    return NULL;
  }
  spec_module *m = &run->modules[i];
  if (m->state == MODULE_SKIPPED) spec_skip(r, m->skip_reason);
  else if (m->state == MODULE_FAILED) spec_fail(r, "the module of line %d did not instantiate", m->line);
  return m->state == MODULE_READY ? m->instance : NULL;
}

static void cmd_register(spec_run *run, const json_value *cmd, spec_result *r) {
  lw_instance *inst = find_instance(run, json_get_string(cmd, "name"), r);
  if (!inst) return;
  const char *as = json_get_string(cmd, "as");
  lw_status status = lw_linker_define_instance(run->linker, as ? as : "", inst);
  if (status != LW_OK) spec_fail(r, "register as \"%s\": %s", as ? as : "", status_name(status));
}

/* ---- actions --------------------------------------------------------------------------------- */

typedef struct action_outcome {
  lw_status status;
  lw_error err;
  uint32_t result_count;
  lw_value results[SPEC_MAX_VALUES];
} action_outcome;

/* "invoke \"name\"(i32:1, f32:2)" or "get \"name\"" for reports. */
static void text_action(spec_text *t, const json_value *action) {
  const char *type = json_get_string(action, "type");
  const json_value *field = json_get(action, "field");
  const char *module = json_get_string(action, "module");
  spec_text_add(t, "%s ", type ? type : "?");
  if (module) spec_text_add(t, "%s.", module);
  if (field && field->kind == JSON_STRING) spec_text_name(t, field->text, field->len);
  const json_value *args = json_get(action, "args");
  if (!type || strcmp(type, "invoke") != 0) return;
  spec_text_add(t, "(");
  for (size_t i = 0; args && args->kind == JSON_ARRAY && i < args->count; i++) {
    lw_value v;
    char why[128];
    if (i) spec_text_add(t, ", ");
    if (spec_parse_arg(&args->items[i], &v, why, sizeof why)) spec_text_value(t, &v);
    else spec_text_add(t, "?");
  }
  spec_text_add(t, ")");
}

/* Run an action. Returns false (with r set) when it could not even be attempted: no such
 * module or export, an argument the runner can't read, or a skipped module. */
static bool run_action(spec_run *run, const json_value *cmd, action_outcome *out,
                       spec_result *r) {
  const json_value *action = json_get(cmd, "action");
  const char *type = json_get_string(action, "type");
  const json_value *field = json_get(action, "field");
  memset(out, 0, sizeof *out);
  if (!type || !field || field->kind != JSON_STRING) {
    spec_fail(r, "the runner cannot read this action");
    return false;
  }
  lw_instance *inst = find_instance(run, json_get_string(action, "module"), r);
  if (!inst) return false;
  if (strcmp(type, "get") == 0) {
    lw_extern ext;
    if (lw_instance_export_n(inst, field->text, field->len, &ext) != LW_OK ||
        ext.kind != LW_EXTERN_GLOBAL) {
      spec_fail(r, "no exported global ");
      spec_text_name(&r->detail, field->text, field->len);
      return false;
    }
    out->status = LW_OK;
    out->result_count = 1;
    out->results[0] = lw_global_get(ext.of.global);
    return true;
  }
  if (strcmp(type, "invoke") != 0) {
    spec_fail(r, "unknown action type '%s'", type);
    return false;
  }
  lw_extern ext;
  lw_func *func = lw_instance_export_n(inst, field->text, field->len, &ext) == LW_OK &&
                          ext.kind == LW_EXTERN_FUNC
                      ? ext.of.func
                      : NULL;
  if (!func) {
    spec_fail(r, "no exported function ");
    spec_text_name(&r->detail, field->text, field->len);
    return false;
  }
  const json_value *args_json = json_get(action, "args");
  size_t arg_count = args_json && args_json->kind == JSON_ARRAY ? args_json->count : 0;
  if (arg_count > SPEC_MAX_VALUES) {
    spec_fail(r, "more than %d arguments", SPEC_MAX_VALUES);
    return false;
  }
  lw_value args[SPEC_MAX_VALUES];
  for (size_t i = 0; i < arg_count; i++) {
    char why[128];
    if (!spec_parse_arg(&args_json->items[i], &args[i], why, sizeof why)) {
      spec_fail(r, "argument %zu: %s", i, why);
      return false;
    }
  }
  uint32_t param_count, result_count;
  const lw_valtype *params, *results;
  lw_func_type(func, &param_count, &params, &result_count, &results);
  if (result_count > SPEC_MAX_VALUES) {
    spec_fail(r, "more than %d results", SPEC_MAX_VALUES);
    return false;
  }
  lw_store_set_deadline(run->store, lw_monotonic_ns() + SPEC_CALL_SECONDS * 1000000000ull);
  out->status = lw_call(func, args, (uint32_t)arg_count, out->results, result_count, &out->err);
  lw_store_set_deadline(run->store, 0);
  out->result_count = out->status == LW_OK ? result_count : 0;
  return true;
}

static void cmd_assert_return(spec_run *run, const json_value *cmd, spec_result *r) {
  action_outcome got;
  if (!run_action(run, cmd, &got, r)) return;
  const json_value *expected = json_get(cmd, "expected");
  size_t want_count = expected && expected->kind == JSON_ARRAY ? expected->count : 0;
  if (got.status != LW_OK) {
    if (is_unsupported_simd(run, got.status, &got.err)) {
      spec_skip(r, REASON_SIMD);
      return;
    }
    spec_fail(r, "expected a result, got ");
    text_error(&r->detail, got.status, &got.err);
    return;
  }
  spec_expected want[SPEC_MAX_VALUES];
  if (want_count > SPEC_MAX_VALUES) want_count = SPEC_MAX_VALUES;
  bool same = want_count == got.result_count;
  for (size_t i = 0; i < want_count; i++) {
    char why[128];
    if (!spec_parse_expected(&expected->items[i], &want[i], why, sizeof why)) {
      spec_fail(r, "expected value %zu: %s", i, why);
      return;
    }
    if (same && !spec_value_matches(&want[i], &got.results[i])) same = false;
  }
  if (same) return;
  spec_fail(r, "expected (");
  for (size_t i = 0; i < want_count; i++) {
    if (i) spec_text_add(&r->detail, ", ");
    spec_text_expected(&r->detail, &want[i]);
  }
  spec_text_add(&r->detail, "), got (");
  for (uint32_t i = 0; i < got.result_count; i++) {
    if (i) spec_text_add(&r->detail, ", ");
    spec_text_result(&r->detail, &got.results[i], i < want_count ? &want[i] : NULL);
  }
  spec_text_add(&r->detail, ")");
}

static void cmd_action(spec_run *run, const json_value *cmd, spec_result *r) {
  action_outcome got;
  if (!run_action(run, cmd, &got, r)) return;
  if (got.status == LW_OK) return;
  if (is_unsupported_simd(run, got.status, &got.err)) {
    spec_skip(r, REASON_SIMD);
    return;
  }
  spec_fail(r, "expected to complete, got ");
  text_error(&r->detail, got.status, &got.err);
}

/* Does a trap's text agree with the spec's wording? Our texts follow it, so the expected text
 * should be a prefix of, or contained in, the message or the trap's canonical text. */
static bool trap_text_agrees(const lw_error *err, const char *expected) {
  if (!expected || !*expected) return true;
  const char *canonical = lw_trap_text(err->trap);
  return strstr(err->message, expected) || strstr(canonical, expected) ||
         strncmp(expected, canonical, strlen(canonical)) == 0;
}

static void check_trap(const json_value *cmd, lw_status status, const lw_error *err,
                       const action_outcome *results, spec_result *r) {
  const char *text = json_get_string(cmd, "text");
  if (status != LW_ERR_TRAP) {
    spec_fail(r, "expected trap \"%s\", got ", text ? text : "");
    if (status == LW_OK) {
      spec_text_add(&r->detail, "success");
      if (results && results->result_count) {
        spec_text_add(&r->detail, " (");
        for (uint32_t i = 0; i < results->result_count; i++) {
          if (i) spec_text_add(&r->detail, ", ");
          spec_text_value(&r->detail, &results->results[i]);
        }
        spec_text_add(&r->detail, ")");
      }
    } else {
      text_error(&r->detail, status, err);
    }
    return;
  }
  if (!trap_text_agrees(err, text))
    spec_text_add(&r->note, "trap text differs: expected \"%s\", got \"%s\" (%s)",
                  text ? text : "", err->message, lw_trap_text(err->trap));
}

static void cmd_assert_trap(spec_run *run, const json_value *cmd, spec_result *r) {
  if (json_get(cmd, "filename")) {
    /* assert_trap on a module: it must load and link, then trap while instantiating. */
    if (is_text_module(cmd)) {
      spec_skip(r, REASON_TEXT);
      return;
    }
    lw_error err = {0};
    lw_module *module;
    lw_instance *inst = NULL;
    lw_status status = load_module(run, cmd, FROM_ARTIFACT, &module, &err);
    if (status == LW_OK) status = instantiate(run, module, &inst, &err);
    if (is_unsupported_simd(run, status, &err)) {
      spec_skip(r, REASON_SIMD);
      return;
    }
    check_trap(cmd, status, &err, NULL, r);
    return;
  }
  action_outcome got;
  if (!run_action(run, cmd, &got, r)) return;
  if (is_unsupported_simd(run, got.status, &got.err)) {
    spec_skip(r, REASON_SIMD);
    return;
  }
  check_trap(cmd, got.status, &got.err, &got, r);
}

static void cmd_assert_exhaustion(spec_run *run, const json_value *cmd, spec_result *r) {
  action_outcome got;
  if (!run_action(run, cmd, &got, r)) return;
  if (got.status == LW_ERR_TRAP && got.err.trap == LW_TRAP_CALL_STACK_EXHAUSTED) return;
  spec_fail(r, "expected trap \"call stack exhausted\", got ");
  if (got.status == LW_OK) spec_text_add(&r->detail, "success");
  else text_error(&r->detail, got.status, &got.err);
}

/* assert_invalid / assert_malformed: loading must fail. Either error kind counts, since a
 * binary's malformed/invalid line is drawn differently by different decoders; a different
 * kind or wording is noted for --verbose. */
static void cmd_assert_rejected(spec_run *run, const json_value *cmd, spec_result *r,
                                lw_status wanted) {
  if (is_text_module(cmd)) {
    spec_skip(r, REASON_TEXT);
    return;
  }
  const char *text = json_get_string(cmd, "text");
  lw_error err = {0};
  lw_module *module;
  lw_status status = load_module(run, cmd, FROM_WASM, &module, &err);
  if (status == LW_ERR_MALFORMED || status == LW_ERR_INVALID) {
    if (status != wanted)
      spec_text_add(&r->note, "rejected as %s, the spec says %s (\"%s\"): %s",
                    status_name(status), status_name(wanted), text ? text : "", err.message);
    else if (text && !strstr(err.message, text))
      spec_text_add(&r->note, "message differs: expected \"%s\", got \"%s\"", text,
                    err.message);
    return;
  }
  if (is_unsupported_simd(run, status, &err)) {
    spec_skip(r, REASON_SIMD);
    return;
  }
  spec_fail(r, "expected %s module (\"%s\"), got ", status_name(wanted), text ? text : "");
  if (status == LW_OK) spec_text_add(&r->detail, "a module that loads");
  else text_error(&r->detail, status, &err);
}

/* assert_unlinkable (LW_ERR_LINK) / assert_uninstantiable (LW_ERR_TRAP): the module loads, and
 * instantiating it fails that way. */
static void cmd_assert_instantiate_fails(spec_run *run, const json_value *cmd, spec_result *r,
                                         lw_status wanted) {
  if (is_text_module(cmd)) {
    spec_skip(r, REASON_TEXT);
    return;
  }
  const char *text = json_get_string(cmd, "text");
  lw_error err = {0};
  lw_module *module;
  lw_instance *inst = NULL;
  lw_status status = load_module(run, cmd, FROM_ARTIFACT, &module, &err);
  bool loaded = status == LW_OK;
  if (loaded) status = instantiate(run, module, &inst, &err);
  if (is_unsupported_simd(run, status, &err)) {
    spec_skip(r, REASON_SIMD);
    return;
  }
  if (status == wanted) {
    if (text && !strstr(err.message, text) &&
        !(wanted == LW_ERR_TRAP && trap_text_agrees(&err, text)))
      spec_text_add(&r->note, "message differs: expected \"%s\", got \"%s\"", text,
                    err.message);
    return;
  }
  spec_fail(r, "expected %s (\"%s\"), got ", status_name(wanted), text ? text : "");
  if (status == LW_OK) spec_text_add(&r->detail, "an instance");
  else {
    if (!loaded) spec_text_add(&r->detail, "a module that does not load: ");
    text_error(&r->detail, status, &err);
  }
}

/* ---- the command loop ------------------------------------------------------------------------ */

static void count_skip(spec_run *run, const char *reason) {
  for (size_t i = 0; i < run->skip_kinds; i++)
    if (run->skips[i].reason == reason) {
      run->skips[i].count++;
      return;
    }
  if (run->skip_kinds < sizeof run->skips / sizeof run->skips[0])
    run->skips[run->skip_kinds++] = (skip_count){reason, 1};
}

static void report(spec_run *run, const json_value *cmd, const char *type, spec_result *r) {
  const json_value *line_v = json_get(cmd, "line");
  const char *line = line_v && line_v->kind == JSON_NUMBER ? line_v->text : "?";
  const json_value *action = json_get(cmd, "action");
  spec_text what = {.len = 0};
  spec_text_add(&what, "%s", type);
  if (action) {
    spec_text_add(&what, " ");
    text_action(&what, action);
  } else if (json_get_string(cmd, "filename")) {
    spec_text_add(&what, " %s", json_get_string(cmd, "filename"));
  }
  switch (r->outcome) {
  case SPEC_PASS:
    run->passed++;
    if (run->stream) printf("ok %s %s\n", line, type);
    break;
  case SPEC_FAIL:
    run->failed++;
    printf("FAIL %s %s: %s\n", line, what.buf, r->detail.buf);
    break;
  case SPEC_SKIP:
    run->skipped++;
    count_skip(run, r->skip_reason);
    if (run->stream || run->verbose) printf("skip %s %s: %s\n", line, what.buf, r->skip_reason);
    break;
  }
  if (r->note.len && (run->stream || run->verbose))
    printf("note %s %s: %s\n", line, what.buf, r->note.buf);
}

static void run_command(spec_run *run, const json_value *cmd) {
  spec_result r = {.outcome = SPEC_PASS};
  const char *type = json_get_string(cmd, "type");
  if (!type) type = "?";
  if (strcmp(type, "module") == 0) cmd_module(run, cmd, &r);
  else if (strcmp(type, "register") == 0) cmd_register(run, cmd, &r);
  else if (strcmp(type, "action") == 0) cmd_action(run, cmd, &r);
  else if (strcmp(type, "assert_return") == 0) cmd_assert_return(run, cmd, &r);
  else if (strcmp(type, "assert_trap") == 0) cmd_assert_trap(run, cmd, &r);
  else if (strcmp(type, "assert_exhaustion") == 0) cmd_assert_exhaustion(run, cmd, &r);
  else if (strcmp(type, "assert_invalid") == 0) cmd_assert_rejected(run, cmd, &r, LW_ERR_INVALID);
  else if (strcmp(type, "assert_malformed") == 0)
    cmd_assert_rejected(run, cmd, &r, LW_ERR_MALFORMED);
  else if (strcmp(type, "assert_unlinkable") == 0)
    cmd_assert_instantiate_fails(run, cmd, &r, LW_ERR_LINK);
  else if (strcmp(type, "assert_uninstantiable") == 0)
    cmd_assert_instantiate_fails(run, cmd, &r, LW_ERR_TRAP);
  else spec_fail(&r, "the runner does not know this command");
  report(run, cmd, type, &r);
}

static void usage(void) {
  fprintf(stderr,
          "usage: logwasm-spec [--verbose] [--stream] [--artifacts SUFFIX] <file.json>\n"
          "  Runs a WebAssembly spec test converted by wast2json (wast2json x.wast -o x.json).\n"
          "  --artifacts .x86_64.lwaot loads x.N.x86_64.lwaot (compiled by logwasm-aotc) in place\n"
          "  of x.N.wasm for every module that is instantiated (the AOT tier).\n");
}

int main(int argc, char **argv) {
  spec_run run = {.current = -1};
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0) run.verbose = true;
    else if (strcmp(argv[i], "--stream") == 0) run.stream = true;
    else if (strcmp(argv[i], "--artifacts") == 0 && i + 1 < argc) run.artifact_suffix = argv[++i];
    else if (argv[i][0] == '-' || run.json_path) { usage(); return 2; }
    else run.json_path = argv[i];
  }
  if (!run.json_path) { usage(); return 2; }
  /* Line-buffered even into a pipe: if the engine crashes the process, the driver still sees
   * every result printed before the crash. */
  setvbuf(stdout, NULL, _IOLBF, 0);

  uint8_t *text;
  size_t text_len;
  if (!(text = read_whole_file(run.json_path, &text_len, NULL))) {
    fprintf(stderr, "logwasm-spec: cannot read %s\n", run.json_path);
    return 2;
  }
  json_value doc;
  char why[200];
  bool parsed = json_parse((const char *)text, text_len, &doc, why, sizeof why);
  free(text);
  if (!parsed) {
    fprintf(stderr, "logwasm-spec: %s is not valid JSON: %s\n", run.json_path, why);
    return 2;
  }
  const json_value *commands = json_get(&doc, "commands");
  if (!commands || commands->kind != JSON_ARRAY) {
    fprintf(stderr, "logwasm-spec: %s has no \"commands\" array (is it wast2json output?)\n",
            run.json_path);
    json_free(&doc);
    return 2;
  }
  run.dir = strdup(run.json_path);
  char *slash = strrchr(run.dir, '/');
  if (slash) *slash = 0;
  else strcpy(run.dir, ".");
  const char *base = strrchr(run.json_path, '/');
  run.simd_file = strncmp(base ? base + 1 : run.json_path, "simd_", 5) == 0;

  run.store = lw_store_new(NULL);
  run.linker = lw_linker_new();
  int exit_code = 2;
  if (!run.store || !run.linker || !define_spectest(&run)) {
    fprintf(stderr, "logwasm-spec: could not set up the store and the spectest module\n");
  } else {
    if (run.stream) printf("commands %zu\n", commands->count);
    for (size_t i = 0; i < commands->count; i++) run_command(&run, &commands->items[i]);
    for (size_t i = 0; i < run.skip_kinds; i++)
      printf("skipped %u: %s\n", run.skips[i].count, run.skips[i].reason);
    printf("total: %u passed, %u failed, %u skipped\n", run.passed, run.failed, run.skipped);
    exit_code = run.failed ? 1 : 0;
  }

  /* The store first: instances refer to their modules. */
  if (run.store) lw_store_free(run.store);
  if (run.linker) lw_linker_free(run.linker);
  for (size_t i = 0; i < run.loaded_count; i++) lw_module_free(run.loaded[i]);
  for (size_t i = 0; i < run.module_count; i++) free(run.modules[i].name);
  free(run.modules);
  free(run.loaded);
  free(run.dir);
  json_free(&doc);
  return exit_code;
}
