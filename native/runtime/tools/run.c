/* logwasm-run: run a WebAssembly module from the command line (iwasm-style).
 *
 *   logwasm-run [options] MODULE.wasm [ARGS...]          run a WASI command (_start)
 *   logwasm-run [options] --invoke NAME MODULE.wasm [ARGS...]  call an export, print results
 *
 * Exit status: the program's own (proc_exit code, 0 when _start returns); 1 when the module
 * cannot be read, decoded, validated or linked, or for bad usage; 134 when execution traps
 * (like a native program that aborts); 124 when --timeout-ms expires. Messages go to stderr,
 * prefixed "logwasm-run:". */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logwasm.h"
#include "logwasm_wasi.h"
#include "module.h" /* lw_valtype_name */
#include "read_file.h"

#define EXIT_USAGE 1
#define EXIT_TRAP 134
#define EXIT_TIMEOUT 124

static const char usage_text[] =
    "usage: logwasm-run [options] MODULE.wasm [ARGS...]\n"
    "       logwasm-run [options] --invoke NAME MODULE.wasm [ARGS...]\n"
    "\n"
    "Runs a WASI command module (its _start), or with --invoke calls the export NAME with\n"
    "ARGS parsed by its parameter types and prints each result as TYPE:VALUE (e.g. i32:55).\n"
    "\n"
    "options:\n"
    "  --env=KEY=VALUE        add an environment variable for the guest (repeatable)\n"
    "  --map-dir=GUEST::HOST  preopen host directory HOST as guest path GUEST (repeatable);\n"
    "                         --map-dir=/::DIR makes DIR the guest's root\n"
    "  --dir=PATH             preopen PATH under the same name (repeatable)\n"
    "  --stack-size=BYTES     interpreter value stack size (default 1 MiB)\n"
    "  --max-memory-pages=N   cap on linear memory growth, in 64 KiB pages\n"
    "  --timeout-ms=N         stop the program after N milliseconds (exit status 124)\n"
    "  --invoke NAME          call export NAME instead of running _start\n"
    "  --version, --help\n"
    "\n"
    "exit status: the program's exit code; 1 for errors before the program runs (unreadable\n"
    "file, malformed or invalid module, unknown import, bad usage); 134 if it traps;\n"
    "124 on timeout.\n";

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("logwasm-run: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return code;
}

static bool parse_u64(const char *s, uint64_t *out) {
  if (!s || !*s || *s == '-') return false;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || *end) return false;
  *out = v;
  return true;
}

static bool parse_value(const char *s, lw_valtype type, lw_value *out) {
  char *end;
  errno = 0;
  out->type = type;
  switch (type) {
  case LW_I32: {
    long long v = strtoll(s, &end, 0);
    if (errno == ERANGE || *end || end == s || v < INT32_MIN || v > UINT32_MAX) return false;
    out->of.i32 = (int32_t)(uint32_t)v;
    return true;
  }
  case LW_I64: {
    if (*s == '-') {
      long long v = strtoll(s, &end, 0);
      if (errno == ERANGE || *end || end == s) return false;
      out->of.i64 = v;
    } else {
      unsigned long long v = strtoull(s, &end, 0);
      if (errno == ERANGE || *end || end == s) return false;
      out->of.i64 = (int64_t)v;
    }
    return true;
  }
  case LW_F32: {
    float v = strtof(s, &end);
    if (*end || end == s) return false;
    out->of.f32 = v;
    return true;
  }
  case LW_F64: {
    double v = strtod(s, &end);
    if (*end || end == s) return false;
    out->of.f64 = v;
    return true;
  }
  default: return false;
  }
}

static void print_value(const lw_value *v) {
  switch (v->type) {
  case LW_I32: printf("i32:%" PRId32 "\n", v->of.i32); break;
  case LW_I64: printf("i64:%" PRId64 "\n", v->of.i64); break;
  case LW_F32: printf("f32:%.9g\n", (double)v->of.f32); break;
  case LW_F64: printf("f64:%.17g\n", v->of.f64); break;
  case LW_FUNCREF: printf("funcref:%s\n", v->of.funcref ? "func" : "null"); break;
  case LW_EXTERNREF: printf("externref:%p\n", v->of.externref); break;
  default: printf("%s:?\n", lw_valtype_name(v->type)); break;
  }
}

/* When the program started and its --timeout-ms (0 = none), to tell a timeout from a trap. */
static uint64_t run_started_ns, run_timeout_ms;

/* Exit status and message for a failed run. */
static int report(const lw_error *err) {
  uint64_t timeout_ms = run_timeout_ms;
  bool timed_out =
      timeout_ms && lw_monotonic_ns() - run_started_ns >= timeout_ms * 1000000ull;
  if (err->status == LW_ERR_TRAP) {
    if (err->trap == LW_TRAP_INTERRUPTED && timed_out)
      return fail(EXIT_TIMEOUT, "timed out after %" PRIu64 " ms (--timeout-ms)", timeout_ms);
    return fail(EXIT_TRAP, "trap: %s", err->message);
  }
  return fail(EXIT_USAGE, "%s", err->message);
}

typedef struct options {
  const char **env;
  int envc;
  lw_wasi_preopen *preopens;
  size_t preopen_count;
  char **owned; /* strings split out of --map-dir */
  size_t owned_count;
  uint64_t stack_size, max_pages, timeout_ms;
  const char *invoke;
  const char *module_path;
  int argc;
  const char **argv; /* guest argv: module path then ARGS */
} options;

static int parse_options(int argc, char **argv, options *o) {
  o->env = calloc((size_t)argc, sizeof *o->env);
  o->preopens = calloc((size_t)argc, sizeof *o->preopens);
  o->owned = calloc((size_t)argc * 2, sizeof *o->owned);
  if (!o->env || !o->preopens || !o->owned) return fail(EXIT_USAGE, "out of memory");
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (a[0] != '-' || a[1] == 0) break;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(usage_text, stdout);
      exit(0);
    } else if (strcmp(a, "--version") == 0) {
      printf("logwasm-run %s\n", LW_VERSION_STRING);
      exit(0);
    } else if (strncmp(a, "--env=", 6) == 0) {
      if (!strchr(a + 6, '=')) return fail(EXIT_USAGE, "--env needs KEY=VALUE, got '%s'", a + 6);
      o->env[o->envc++] = a + 6;
    } else if (strncmp(a, "--map-dir=", 10) == 0) {
      const char *spec = a + 10, *sep = strstr(spec, "::");
      if (!sep || sep == spec || !sep[2])
        return fail(EXIT_USAGE, "--map-dir needs GUEST::HOST, got '%s'", spec);
      char *guest = strndup(spec, (size_t)(sep - spec)), *host = strdup(sep + 2);
      if (!guest || !host) return fail(EXIT_USAGE, "out of memory");
      o->owned[o->owned_count++] = guest;
      o->owned[o->owned_count++] = host;
      o->preopens[o->preopen_count++] = (lw_wasi_preopen){guest, host};
    } else if (strncmp(a, "--dir=", 6) == 0) {
      if (!a[6]) return fail(EXIT_USAGE, "--dir needs a path");
      o->preopens[o->preopen_count++] = (lw_wasi_preopen){a + 6, a + 6};
    } else if (strncmp(a, "--stack-size=", 13) == 0) {
      if (!parse_u64(a + 13, &o->stack_size) || o->stack_size > UINT32_MAX)
        return fail(EXIT_USAGE, "--stack-size needs a byte count, got '%s'", a + 13);
    } else if (strncmp(a, "--max-memory-pages=", 19) == 0) {
      if (!parse_u64(a + 19, &o->max_pages) || o->max_pages > 65536)
        return fail(EXIT_USAGE, "--max-memory-pages needs 0..65536, got '%s'", a + 19);
    } else if (strncmp(a, "--timeout-ms=", 13) == 0) {
      if (!parse_u64(a + 13, &o->timeout_ms))
        return fail(EXIT_USAGE, "--timeout-ms needs milliseconds, got '%s'", a + 13);
    } else if (strcmp(a, "--invoke") == 0) {
      if (i + 1 >= argc) return fail(EXIT_USAGE, "--invoke needs an export name");
      o->invoke = argv[++i];
    } else if (strncmp(a, "--invoke=", 9) == 0) {
      o->invoke = a + 9;
    } else {
      return fail(EXIT_USAGE, "unknown option '%s' (see --help)", a);
    }
  }
  if (i >= argc) {
    fputs(usage_text, stderr);
    return EXIT_USAGE;
  }
  o->module_path = argv[i];
  o->argc = argc - i;
  o->argv = (const char **)(argv + i);
  return 0;
}

static int invoke_export(lw_instance *instance, const options *o, lw_error *err) {
  lw_func *init = lw_instance_func(instance, "_initialize");
  if (init && strcmp(o->invoke, "_initialize") != 0) {
    lw_status st = lw_call(init, NULL, 0, NULL, 0, err);
    if (st != LW_OK) return report(err);
  }
  lw_func *func = lw_instance_func(instance, o->invoke);
  if (!func) return fail(EXIT_USAGE, "the module exports no function named '%s'", o->invoke);
  uint32_t np, nr;
  const lw_valtype *pt, *rt;
  lw_func_type(func, &np, &pt, &nr, &rt);
  int given = o->argc - 1;
  if ((uint32_t)given != np)
    return fail(EXIT_USAGE, "'%s' takes %u argument(s), %d given", o->invoke, np, given);
  lw_value *args = calloc(np + 1, sizeof *args), *results = calloc(nr + 1, sizeof *results);
  if (!args || !results) return fail(EXIT_USAGE, "out of memory");
  for (uint32_t k = 0; k < np; k++) {
    if (!parse_value(o->argv[k + 1], pt[k], &args[k])) {
      int rc = fail(EXIT_USAGE, "argument %u of '%s' must be %s, got '%s'", k + 1, o->invoke,
                    lw_valtype_name(pt[k]), o->argv[k + 1]);
      free(args);
      free(results);
      return rc;
    }
  }
  lw_status st = lw_call(func, args, np, results, nr, err);
  int rc = 0;
  if (st == LW_ERR_EXIT) {
    rc = err->exit_code;
  } else if (st != LW_OK) {
    rc = report(err);
  } else {
    for (uint32_t k = 0; k < nr; k++) print_value(&results[k]);
  }
  free(args);
  free(results);
  return rc;
}

int main(int argc, char **argv) {
  /* A guest writing to a closed pipe gets EPIPE instead of killing the runner. */
  signal(SIGPIPE, SIG_IGN);
  options o = {0};
  int rc = parse_options(argc, argv, &o);
  if (rc != 0) return rc;

  size_t len = 0;
  int read_errno = 0;
  uint8_t *bytes = read_whole_file(o.module_path, &len, &read_errno);
  if (!bytes) return fail(EXIT_USAGE, "cannot read '%s': %s", o.module_path, strerror(read_errno));

  lw_error err;
  memset(&err, 0, sizeof err);
  lw_module *module = NULL;
  lw_load_options load = {.name = o.module_path};
  if (lw_module_load(bytes, len, &load, &module, &err) != LW_OK) {
    free(bytes);
    return fail(EXIT_USAGE, "%s", err.message);
  }
  free(bytes);

  lw_wasi_config wc;
  memset(&wc, 0, sizeof wc);
  wc.argc = o.argc;
  wc.argv = o.argv;
  wc.envc = o.envc;
  wc.envp = o.env;
  wc.preopens = o.preopens;
  wc.preopen_count = o.preopen_count;
  wc.stdin_fd = wc.stdout_fd = wc.stderr_fd = -1;
  lw_wasi *wasi = NULL;
  if (lw_wasi_new(&wc, &wasi, &err) != LW_OK) {
    lw_module_free(module);
    return fail(EXIT_USAGE, "%s", err.message);
  }

  lw_store_config sc = {.value_stack_bytes = (uint32_t)o.stack_size,
                        .max_memory_pages = (uint32_t)o.max_pages};
  lw_store *store = lw_store_new(&sc);
  lw_linker *linker = lw_linker_new();
  if (!store || !linker || lw_wasi_define(wasi, store, linker) != LW_OK) {
    rc = fail(EXIT_USAGE, "out of memory setting up the store");
    goto done;
  }
  run_started_ns = lw_monotonic_ns();
  run_timeout_ms = o.timeout_ms;
  if (o.timeout_ms) lw_store_set_deadline(store, run_started_ns + o.timeout_ms * 1000000ull);

  if (o.invoke) {
    lw_instance *instance = NULL;
    lw_status st = lw_instantiate(store, module, linker, &instance, &err);
    if (st == LW_ERR_EXIT) rc = err.exit_code;
    else if (st != LW_OK) rc = report(&err);
    else rc = invoke_export(instance, &o, &err);
  } else {
    int exit_code = 0;
    lw_status st = lw_wasi_run_command(store, module, linker, wasi, &exit_code, &err);
    rc = st == LW_OK ? exit_code : report(&err);
  }
  fflush(stdout);

done:
  if (linker) lw_linker_free(linker);
  if (store) lw_store_free(store);
  lw_wasi_free(wasi);
  lw_module_free(module);
  for (size_t k = 0; k < o.owned_count; k++) free(o.owned[k]);
  free(o.owned);
  free(o.env);
  free(o.preopens);
  return rc;
}
