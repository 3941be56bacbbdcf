/* logwasm-aot-run: load a .lwaot artifact (or a .wasm, for comparison), instantiate it and call
 * one export with arguments from the command line. Used by test/aot and for measurements.
 *
 *   logwasm-aot-run [--repeat N] [--time] [--depth N] [--deadline-ms N] FILE FUNC [ARG...]
 *   logwasm-aot-run --check FILE
 *
 * Imports it provides: env.host_add(i32,i32)->i32, env.host_trap(), and
 * env.host_reenter(i32)->i32, which calls the instance's export "reenter_target" (compiled code
 * -> host -> compiled code). Prints the results, one per line; a trap prints "trap: MESSAGE" and
 * exits 3; a load or link error exits 1. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "read_file.h"
#include "aot/aot.h"
#include "logwasm.h"
#include "logwasm_aot.h"

static lw_status host_add(lw_host_ctx *ctx, uint64_t *slots) {
  (void)ctx;
  slots[0] = (uint32_t)((uint32_t)slots[0] + (uint32_t)slots[1]);
  return LW_OK;
}

static lw_status host_trap(lw_host_ctx *ctx, uint64_t *slots) {
  (void)slots;
  return lw_host_trap(ctx, "host_trap was called");
}

static lw_status host_reenter(lw_host_ctx *ctx, uint64_t *slots) {
  lw_instance *inst = lw_host_caller(ctx);
  lw_func *target = inst ? lw_instance_func(inst, "reenter_target") : NULL;
  if (!target) return lw_host_trap(ctx, "no export reenter_target");
  lw_error err;
  lw_status st = lw_call_raw(target, slots, &err);
  if (st != LW_OK) return lw_host_trap(ctx, "reenter_target failed: %s", err.message);
  return LW_OK;
}

static void print_value(lw_valtype t, uint64_t slot) {
  switch (t) {
  case LW_I32: printf("%" PRId32 "\n", (int32_t)(uint32_t)slot); break;
  case LW_I64: printf("%" PRId64 "\n", (int64_t)slot); break;
  case LW_F32: {
    float f;
    uint32_t bits = (uint32_t)slot;
    memcpy(&f, &bits, 4);
    printf("%.9g\n", (double)f);
    break;
  }
  case LW_F64: {
    double d;
    memcpy(&d, &slot, 8);
    printf("%.17g\n", d);
    break;
  }
  default: printf("ref:%s\n", slot ? "non-null" : "null"); break;
  }
}

static uint64_t parse_value(lw_valtype t, const char *s) {
  switch (t) {
  case LW_I32: return (uint32_t)strtoll(s, NULL, 0);
  case LW_I64: return (uint64_t)strtoll(s, NULL, 0);
  case LW_F32: {
    float f = strtof(s, NULL);
    uint32_t bits;
    memcpy(&bits, &f, 4);
    return bits;
  }
  case LW_F64: {
    double d = strtod(s, NULL);
    uint64_t bits;
    memcpy(&bits, &d, 8);
    return bits;
  }
  default: return 0;
  }
}

int main(int argc, char **argv) {
  long repeat = 1;
  bool timing = false, check = false;
  uint32_t depth = 0;
  long deadline_ms = 0;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (!strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = atol(argv[++i]);
    else if (!strcmp(argv[i], "--time")) timing = true;
    else if (!strcmp(argv[i], "--check")) check = true;
    else if (!strcmp(argv[i], "--depth") && i + 1 < argc) depth = (uint32_t)atol(argv[++i]);
    else if (!strcmp(argv[i], "--deadline-ms") && i + 1 < argc) deadline_ms = atol(argv[++i]);
    else {
      fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (i >= argc || (!check && i + 1 >= argc)) {
    fprintf(stderr, "usage: logwasm-aot-run [--repeat N] [--time] [--depth N] [--deadline-ms N] FILE FUNC [ARG...]\n"
                    "       logwasm-aot-run --check FILE\n");
    return 2;
  }
  const char *path = argv[i], *func_name = check ? NULL : argv[i + 1];
  size_t len;
  int read_errno;
  uint8_t *bytes = read_whole_file(path, &len, &read_errno);
  if (!bytes) {
    fprintf(stderr, "cannot read %s: %s\n", path, strerror(read_errno));
    return 1;
  }
  lw_error err;
  if (check) {
    bool ok = lw_aot_check(bytes, len, &err) == LW_OK;
    if (ok) printf("ok\n");
    else printf("error: %s\n", err.message);
    free(bytes);
    return ok ? 0 : 1;
  }
  lw_module *module = NULL;
  lw_store *store = NULL;
  lw_linker *linker = NULL;
  int exit_code = 1;
  lw_load_options opts = {path};
  bool aot = lw_aot_is_artifact(bytes, len) || (len >= 4 && !memcmp(bytes, "\0aot", 4));
  lw_status st = aot ? lw_aot_module_load(bytes, len, &opts, &module, &err)
                     : lw_module_load(bytes, len, &opts, &module, &err);
  if (st != LW_OK) {
    printf("error: %s\n", err.message);
    module = NULL;
    goto done;
  }
  lw_store_config config = {0};
  config.max_call_depth = depth;
  store = lw_store_new(&config);
  linker = lw_linker_new();
  static const lw_valtype ii[2] = {LW_I32, LW_I32}, i1[1] = {LW_I32};
  lw_extern ext = {.kind = LW_EXTERN_FUNC};
  ext.of.func = lw_func_new_host(store, ii, 2, i1, 1, host_add, NULL);
  lw_linker_define(linker, "env", "host_add", ext);
  ext.of.func = lw_func_new_host(store, NULL, 0, NULL, 0, host_trap, NULL);
  lw_linker_define(linker, "env", "host_trap", ext);
  ext.of.func = lw_func_new_host(store, i1, 1, i1, 1, host_reenter, NULL);
  lw_linker_define(linker, "env", "host_reenter", ext);
  lw_instance *inst;
  if (lw_instantiate(store, module, linker, &inst, &err) != LW_OK) {
    printf("error: %s\n", err.message);
    goto done;
  }
  lw_func *func = lw_instance_func(inst, func_name);
  if (!func) {
    printf("error: no exported function '%s'\n", func_name);
    goto done;
  }
  uint32_t np, nr;
  const lw_valtype *params, *results;
  lw_func_type(func, &np, &params, &nr, &results);
  if ((uint32_t)(argc - i - 2) != np || np > 64 || nr > 64) {
    printf("error: %s takes %u arguments\n", func_name, np);
    goto done;
  }
  if (deadline_ms > 0) lw_store_set_deadline(store, lw_monotonic_ns() + (uint64_t)deadline_ms * 1000000u);
  uint64_t slots[64] = {0};
  struct timespec t0, t1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
  for (long r = 0; r < repeat; r++) {
    for (uint32_t k = 0; k < np; k++) slots[k] = parse_value(params[k], argv[i + 2 + k]);
    st = lw_call_raw(func, slots, &err);
    if (st != LW_OK) break;
  }
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
  if (st == LW_ERR_TRAP) {
    printf("trap: %s\n", err.message);
    exit_code = 3;
    goto done;
  }
  if (st != LW_OK) {
    printf("error: %s\n", err.message);
    goto done;
  }
  for (uint32_t k = 0; k < nr; k++) print_value(results[k], slots[k]);
  if (timing)
    fprintf(stderr, "time_ns %lld\n",
            (long long)((t1.tv_sec - t0.tv_sec) * 1000000000ll + (t1.tv_nsec - t0.tv_nsec)));
  exit_code = 0;
done:
  fflush(stdout);
  if (store) lw_store_free(store);
  if (linker) lw_linker_free(linker);
  if (module) {
    if (aot) lw_aot_module_release(module);
    lw_module_free(module);
  }
  free(bytes);
  return exit_code;
}
