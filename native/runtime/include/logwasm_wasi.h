/* logwasm: WASI preview1 ("wasi_snapshot_preview1", alias "wasi_unstable") for guests.
 *
 * Usage:
 *   lw_wasi_config cfg = {0};  cfg.stdin_fd = cfg.stdout_fd = cfg.stderr_fd = -1;
 *   cfg.argc = ...; cfg.argv = ...;  cfg.preopens = ...; cfg.preopen_count = ...;
 *   lw_wasi *wasi;  lw_wasi_new(&cfg, &wasi, &err);
 *   lw_wasi_define(wasi, store, linker);            // every preview1 function, both names
 *   lw_wasi_run_command(store, module, linker, wasi, &exit_code, &err);
 *   lw_wasi_free(wasi);                              // after the store is done with it
 *
 * Sandbox: a guest reaches the host file system only through preopened directories. Guest
 * paths are resolved one component at a time beneath the directory descriptor they are
 * relative to: "..", absolute paths and symlinks leading outside (absolute targets included)
 * are refused with ERRNO_NOTCAPABLE; symlink creation with an absolute target is refused too.
 * Every guest pointer and length is checked against the guest memory: a bad one makes the
 * call return ERRNO_FAULT, never a host crash. stdin/stdout/stderr are borrowed host
 * descriptors: the guest closing or renumbering them never closes the host's. */
#ifndef LOGWASM_WASI_H
#define LOGWASM_WASI_H

#include "logwasm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lw_wasi lw_wasi;

typedef struct lw_wasi_preopen {
  const char *guest_path; /* the name the guest sees, e.g. "/" or "/data" or "." */
  const char *host_path;  /* an existing host directory */
} lw_wasi_preopen;

typedef struct lw_wasi_config {
  int argc;
  const char *const *argv;        /* argv[0] is the program name */
  int envc;
  const char *const *envp;        /* "KEY=VALUE" strings */
  size_t preopen_count;
  const lw_wasi_preopen *preopens; /* become guest fds 3, 4, ... in this order */
  /* Host descriptors behind guest fds 0/1/2; -1 = the host's own 0/1/2. Never closed. */
  int stdin_fd, stdout_fd, stderr_fd;
  /* Collect what the guest writes to fd 1 in memory (lw_wasi_captured_stdout) instead of
   * writing it to stdout_fd. */
  bool capture_stdout;
} lw_wasi_config;

/* Copies everything it needs from config. Fails (LW_ERR_IO, message names the path) when a
 * preopen is missing or not a directory. */
lw_status lw_wasi_new(const lw_wasi_config *config, lw_wasi **out, lw_error *err);
/* Define every preview1 function under "wasi_snapshot_preview1" and "wasi_unstable" (where
 * snapshot 0's ABI differs, i.e. the filestat and subscription layouts and fd_seek's whence
 * numbering, the wasi_unstable functions use the old one). The host functions are owned by
 * the store; wasi must outlive the store's use of them. Returns LW_ERR_NOMEM or the
 * linker's error. */
lw_status lw_wasi_define(lw_wasi *wasi, lw_store *store, lw_linker *linker);
/* Bytes the guest wrote to fd 1 so far when capture_stdout is set (else NULL, *len = 0). */
const uint8_t *lw_wasi_captured_stdout(lw_wasi *wasi, size_t *len);
void lw_wasi_free(lw_wasi *wasi);

/* Instantiate module (imports resolved by linker, which should hold lw_wasi_define's
 * functions) and call its "_start". A normal return is exit code 0, proc_exit(n) is exit
 * code n: both return LW_OK. Without "_start", an exported "__main_argc_argv" or "main"
 * (taking () or (i32 argc, i32 argv), returning nothing or an i32 exit code) is called with
 * argc 0 and argv NULL, after "_initialize" if exported. Instantiation errors, traps and a
 * missing entry point (LW_ERR_LINK) return their status with err filled. */
lw_status lw_wasi_run_command(lw_store *store, const lw_module *module, lw_linker *linker,
                              lw_wasi *wasi, int *exit_code, lw_error *err);

#ifdef __cplusplus
}
#endif
#endif
