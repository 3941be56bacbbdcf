/* logwasm-spec-aot: the spec testsuite runner (native/runtime/tools/spec.c) with every module
 * compiled by logwasm-aotc and every call from the runner into an export run as compiled code.
 * spec.c is compiled with lw_module_load / lw_call / lw_module_free renamed to the functions
 * below (see native/aotc/CMakeLists.txt), so it is used unchanged.
 *
 * Until lw_invoke dispatches to the AOT tier itself, calls that go through lw_invoke (start
 * functions, calls between modules, calls from host functions) run the same module in the
 * interpreter (lw_aot_module_load also prepares the interpreter's code). Calls made by the
 * runner, and everything they call inside their module, run compiled.
 *
 * logwasm-aotc is found through $LOGWASM_AOTC, else next to this executable; $LOGWASM_AOTC_CPU
 * picks the CPU to compile for (default: the compiler's default). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aot/aot.h"
#include "logwasm.h"

lw_status lw_aot_shim_module_load(const uint8_t *bytes, size_t len, const lw_load_options *opts,
                                  lw_module **out, lw_error *err);
lw_status lw_aot_shim_call(lw_func *func, const lw_value *args, uint32_t arg_count,
                           lw_value *results, uint32_t result_count, lw_error *err);
void lw_aot_shim_module_free(lw_module *module);

static const char *aotc_path(void) {
  static char path[PATH_MAX];
  const char *env = getenv("LOGWASM_AOTC");
  if (env) return env;
  if (!path[0]) {
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 32);
    if (n <= 0) return "logwasm-aotc";
    path[n] = 0;
    char *slash = strrchr(path, '/');
    strcpy(slash ? slash + 1 : path, "logwasm-aotc");
  }
  return path;
}

static bool write_all(const char *path, const uint8_t *bytes, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return false;
  bool ok = fwrite(bytes, 1, len, f) == len;
  return fclose(f) == 0 && ok;
}

static uint8_t *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = (size_t)n;
  return buf;
}

lw_status lw_aot_shim_module_load(const uint8_t *bytes, size_t len, const lw_load_options *opts,
                                  lw_module **out, lw_error *err) {
  /* Decode/validate errors come from the front end exactly as for a .wasm. */
  lw_module *checked;
  lw_status st = lw_module_load(bytes, len, opts, &checked, err);
  if (st != LW_OK) return st;
  lw_module_free(checked);

  char dir[] = "/tmp/logwasm-spec-aot-XXXXXX";
  if (!mkdtemp(dir)) return lw_error_set(err, LW_ERR_IO, "cannot make a temporary directory");
  char wasm_path[64], aot_path[64];
  snprintf(wasm_path, sizeof wasm_path, "%s/m.wasm", dir);
  snprintf(aot_path, sizeof aot_path, "%s/m.lwaot", dir);
  st = LW_OK;
  if (!write_all(wasm_path, bytes, len)) {
    st = lw_error_set(err, LW_ERR_IO, "cannot write %s", wasm_path);
    goto cleanup;
  }
  pid_t pid = fork();
  if (pid == 0) {
    /* on aarch64 (usually under qemu-user) the compiler is an x86_64 binary cross-compiling */
    const char *cpu = getenv("LOGWASM_AOTC_CPU");
#if defined(__aarch64__)
    const char *target = "aarch64";
#else
    const char *target = "x86_64";
#endif
    if (cpu)
      execl(aotc_path(), "logwasm-aotc", "-O2", "--target", target, "--cpu", cpu, "-o", aot_path,
            wasm_path, (char *)NULL);
    else
      execl(aotc_path(), "logwasm-aotc", "-O2", "--target", target, "-o", aot_path, wasm_path,
            (char *)NULL);
    _exit(127);
  }
  int wstatus = 0;
  if (pid < 0 || waitpid(pid, &wstatus, 0) < 0 || !WIFEXITED(wstatus) ||
      WEXITSTATUS(wstatus) != 0) {
    st = lw_error_set(err, LW_ERR_UNSUPPORTED, "logwasm-aotc (%s) failed to compile %s",
                      aotc_path(), opts && opts->name ? opts->name : "the module");
    goto cleanup;
  }
  size_t aot_len;
  uint8_t *aot = read_all(aot_path, &aot_len);
  if (!aot) {
    st = lw_error_set(err, LW_ERR_IO, "cannot read %s", aot_path);
    goto cleanup;
  }
  st = lw_aot_module_load(aot, aot_len, opts, out, err);
  free(aot);
cleanup:
  unlink(wasm_path);
  unlink(aot_path);
  rmdir(dir);
  return st;
}

lw_status lw_aot_shim_call(lw_func *func, const lw_value *args, uint32_t arg_count,
                           lw_value *results, uint32_t result_count, lw_error *err) {
  lw_error local_err;
  if (!err) err = &local_err;
  if (!func->instance || func->index < func->instance->module->imported_func_count ||
      !lw_aot_module_is_compiled(func->instance->module))
    return lw_call(func, args, arg_count, results, result_count, err);
  const lw_functype *type = func->type;
  if (arg_count != type->param_count)
    return lw_error_set(err, LW_ERR_ARGUMENT, "function takes %u arguments, %u given",
                        type->param_count, arg_count);
  if (result_count < type->result_count)
    return lw_error_set(err, LW_ERR_ARGUMENT, "function returns %u values, room for %u given",
                        type->result_count, result_count);
  uint32_t n = type->param_count > type->result_count ? type->param_count : type->result_count;
  lw_slot *slots = calloc(n ? n : 1, sizeof *slots);
  if (!slots) return lw_error_set(err, LW_ERR_NOMEM, "out of host memory");
  for (uint32_t i = 0; i < arg_count; i++) {
    if (args[i].type != type->params[i]) {
      free(slots);
      return lw_error_set(err, LW_ERR_ARGUMENT, "argument %u has type %s, the function wants %s",
                          i, lw_valtype_name(args[i].type), lw_valtype_name(type->params[i]));
    }
    slots[i] = lw_value_to_slot(args[i]);
  }
  lw_status st = lw_aot_invoke(func, slots, err);
  if (st == LW_OK)
    for (uint32_t i = 0; i < type->result_count; i++)
      results[i] = lw_slot_to_value(type->results[i], slots[i]);
  free(slots);
  return st;
}

void lw_aot_shim_module_free(lw_module *module) {
  if (!module) return;
  lw_aot_module_release(module);
  lw_module_free(module);
}
