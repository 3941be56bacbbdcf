/* The embedding API of logwasm_wasi.h, as Fluent Bit's exec_wasi and filters use it:
 * preopen errors name the path, capture_stdout collects fd 1, stdio is borrowed (a guest
 * closing fd 1/2 leaves the host's descriptors open), proc_exit(n) is a clean exit n.
 * Built and run by test/wasi/wasi.test.mjs with the path of a module compiled from
 * fixtures/api_guest.wat:  api_test GUEST.wasm TMPDIR
 * Prints "api: N passed, M failed" and exits 1 on any failure. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logwasm.h"
#include "logwasm_wasi.h"
#include "../../native/runtime/tools/read_file.h"

static int passed, failed;

#define EXPECT(cond, ...)                                                                     \
  do {                                                                                        \
    if (cond) {                                                                               \
      passed++;                                                                               \
    } else {                                                                                  \
      failed++;                                                                               \
      printf("FAIL line %d: ", __LINE__);                                                     \
      printf(__VA_ARGS__);                                                                    \
      printf("\n");                                                                           \
    }                                                                                         \
  } while (0)

static lw_wasi_config base_config(void) {
  lw_wasi_config c;
  memset(&c, 0, sizeof c);
  c.stdin_fd = c.stdout_fd = c.stderr_fd = -1;
  return c;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: api_test GUEST.wasm TMPDIR\n");
    return 2;
  }
  const char *tmp = argv[2];
  lw_error err;
  memset(&err, 0, sizeof err);

  /* preopen errors name the path */
  char missing[4096], file[4096];
  snprintf(missing, sizeof missing, "%s/does-not-exist", tmp);
  snprintf(file, sizeof file, "%s/plain-file", tmp);
  FILE *f = fopen(file, "w");
  if (f) fclose(f);
  lw_wasi_preopen pre = {"/data", missing};
  lw_wasi_config c = base_config();
  c.preopens = &pre;
  c.preopen_count = 1;
  lw_wasi *wasi = (lw_wasi *)1;
  lw_status st = lw_wasi_new(&c, &wasi, &err);
  EXPECT(st == LW_ERR_IO && wasi == NULL, "missing preopen: status %d", st);
  EXPECT(strstr(err.message, missing) && strstr(err.message, "/data"),
         "message names host and guest path: %s", err.message);
  pre.host_path = file;
  st = lw_wasi_new(&c, &wasi, &err);
  EXPECT(st == LW_ERR_IO && strstr(err.message, "not a directory") && strstr(err.message, file),
         "file as preopen: %d %s", st, err.message);

  /* a run with captured stdout, stderr into a pipe, proc_exit(3) */
  size_t len = 0;
  uint8_t *bytes = read_whole_file(argv[1], &len, NULL);
  if (!bytes) {
    printf("cannot read %s\n", argv[1]);
    return 2;
  }
  lw_module *module = NULL;
  st = lw_module_load(bytes, len, NULL, &module, &err);
  free(bytes);
  if (st != LW_OK) {
    printf("load failed: %s\n", err.message);
    return 2;
  }
  int err_pipe[2];
  if (pipe(err_pipe) != 0) return 2;
  const char *args[] = {"guest", "one"};
  const char *env[] = {"K=V"};
  c = base_config();
  c.argc = 2;
  c.argv = args;
  c.envc = 1;
  c.envp = env;
  c.stderr_fd = err_pipe[1];
  c.capture_stdout = true;
  st = lw_wasi_new(&c, &wasi, &err);
  EXPECT(st == LW_OK, "lw_wasi_new: %s", err.message);
  lw_store *store = lw_store_new(NULL);
  lw_linker *linker = lw_linker_new();
  EXPECT(lw_wasi_define(wasi, store, linker) == LW_OK, "lw_wasi_define");
  int exit_code = -1;
  st = lw_wasi_run_command(store, module, linker, wasi, &exit_code, &err);
  EXPECT(st == LW_OK && exit_code == 3, "run: status %d exit %d (%s)", st, exit_code,
         err.message);
  size_t out_len = 0;
  const uint8_t *out = lw_wasi_captured_stdout(wasi, &out_len);
  EXPECT(out_len == 12 && out && memcmp(out, "hello world\n", 12) == 0,
         "captured stdout (%zu bytes): %.*s", out_len, (int)out_len, out ? (const char *)out : "");
  char buf[64] = {0};
  ssize_t n = read(err_pipe[0], buf, sizeof buf - 1);
  EXPECT(n == 4 && memcmp(buf, "err\n", 4) == 0, "stderr pipe got %zd bytes: %s", n, buf);
  /* the guest closed its fds 1 and 2: the host's own descriptors are still open */
  EXPECT(fcntl(err_pipe[1], F_GETFD) >= 0, "host stderr pipe was closed by the guest");
  EXPECT(fcntl(1, F_GETFD) >= 0, "host stdout was closed by the guest");
  lw_linker_free(linker);
  lw_store_free(store);
  lw_wasi_free(wasi);
  lw_module_free(module);
  close(err_pipe[0]);
  close(err_pipe[1]);

  /* without capture nothing is collected */
  c = base_config();
  st = lw_wasi_new(&c, &wasi, &err);
  out = lw_wasi_captured_stdout(wasi, &out_len);
  EXPECT(st == LW_OK && out_len == 0, "no capture: %zu bytes", out_len);
  lw_wasi_free(wasi);

  printf("api: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
