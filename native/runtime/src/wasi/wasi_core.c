/* WASI instance state: creation (stdio, preopens), the guest fd table, errno mapping,
 * guest memory helpers, registration of every function and running a command. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_internal.h"

static void set_error(lw_error *err, lw_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_error(lw_error *err, lw_status status, const char *fmt, ...) {
  if (!err) return;
  err->status = status;
  err->trap = LW_TRAP_NONE;
  err->exit_code = 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
}

uint16_t lw_wasi_errno_from_host(int e) {
  switch (e) {
  case 0: return W_ESUCCESS;
  case E2BIG: return W_E2BIG;
  case EACCES: return W_EACCES;
  case EADDRINUSE: return W_EADDRINUSE;
  case EADDRNOTAVAIL: return W_EADDRNOTAVAIL;
  case EAFNOSUPPORT: return W_EAFNOSUPPORT;
  case EAGAIN: return W_EAGAIN;
  case EALREADY: return W_EALREADY;
  case EBADF: return W_EBADF;
  case EBADMSG: return W_EBADMSG;
  case EBUSY: return W_EBUSY;
  case ECANCELED: return W_ECANCELED;
  case ECHILD: return W_ECHILD;
  case ECONNABORTED: return W_ECONNABORTED;
  case ECONNREFUSED: return W_ECONNREFUSED;
  case ECONNRESET: return W_ECONNRESET;
  case EDEADLK: return W_EDEADLK;
  case EDESTADDRREQ: return W_EDESTADDRREQ;
  case EDOM: return W_EDOM;
  case EDQUOT: return W_EDQUOT;
  case EEXIST: return W_EEXIST;
  case EFAULT: return W_EFAULT;
  case EFBIG: return W_EFBIG;
  case EHOSTUNREACH: return W_EHOSTUNREACH;
  case EIDRM: return W_EIDRM;
  case EILSEQ: return W_EILSEQ;
  case EINPROGRESS: return W_EINPROGRESS;
  case EINTR: return W_EINTR;
  case EINVAL: return W_EINVAL;
  case EIO: return W_EIO;
  case EISCONN: return W_EISCONN;
  case EISDIR: return W_EISDIR;
  case ELOOP: return W_ELOOP;
  case EMFILE: return W_EMFILE;
  case EMLINK: return W_EMLINK;
  case EMSGSIZE: return W_EMSGSIZE;
  case EMULTIHOP: return W_EMULTIHOP;
  case ENAMETOOLONG: return W_ENAMETOOLONG;
  case ENETDOWN: return W_ENETDOWN;
  case ENETRESET: return W_ENETRESET;
  case ENETUNREACH: return W_ENETUNREACH;
  case ENFILE: return W_ENFILE;
  case ENOBUFS: return W_ENOBUFS;
  case ENODEV: return W_ENODEV;
  case ENOENT: return W_ENOENT;
  case ENOEXEC: return W_ENOEXEC;
  case ENOLCK: return W_ENOLCK;
  case ENOLINK: return W_ENOLINK;
  case ENOMEM: return W_ENOMEM;
  case ENOMSG: return W_ENOMSG;
  case ENOPROTOOPT: return W_ENOPROTOOPT;
  case ENOSPC: return W_ENOSPC;
  case ENOSYS: return W_ENOSYS;
  case ENOTCONN: return W_ENOTCONN;
  case ENOTDIR: return W_ENOTDIR;
  case ENOTEMPTY: return W_ENOTEMPTY;
  case ENOTRECOVERABLE: return W_ENOTRECOVERABLE;
  case ENOTSOCK: return W_ENOTSOCK;
  case ENOTSUP: return W_ENOTSUP; /* == EOPNOTSUPP on Linux */
  case ENOTTY: return W_ENOTTY;
  case ENXIO: return W_ENXIO;
  case EOVERFLOW: return W_EOVERFLOW;
  case EOWNERDEAD: return W_EOWNERDEAD;
  case EPERM: return W_EPERM;
  case EPIPE: return W_EPIPE;
  case EPROTO: return W_EPROTO;
  case EPROTONOSUPPORT: return W_EPROTONOSUPPORT;
  case EPROTOTYPE: return W_EPROTOTYPE;
  case ERANGE: return W_ERANGE;
  case EROFS: return W_EROFS;
  case ESPIPE: return W_ESPIPE;
  case ESRCH: return W_ESRCH;
  case ESTALE: return W_ESTALE;
  case ETIMEDOUT: return W_ETIMEDOUT;
  case ETXTBSY: return W_ETXTBSY;
  case EXDEV: return W_EXDEV;
  default: return W_EIO;
  }
}

lw_wmem lw_wasi_memory(lw_host_ctx *ctx) {
  lw_wmem m;
  m.base = lw_host_memory(ctx, &m.size);
  if (!m.base) m.size = 0;
  return m;
}

lw_wasi *lw_wasi_from_ctx(lw_host_ctx *ctx) { return (lw_wasi *)lw_host_user_data(ctx); }

lw_wasi_fd *lw_wasi_get_fd(lw_wasi *wasi, uint32_t fd) {
  if (fd >= wasi->fd_count || !wasi->fds[fd].used) return NULL;
  return &wasi->fds[fd];
}

uint16_t lw_wasi_fd_check(lw_wasi *wasi, uint32_t fd, uint64_t rights, lw_wasi_fd **out) {
  lw_wasi_fd *entry = lw_wasi_get_fd(wasi, fd);
  *out = entry;
  if (!entry) return W_EBADF;
  if ((entry->rights_base & rights) != rights) return W_ENOTCAPABLE;
  return 0;
}

uint16_t lw_wasi_fd_alloc(lw_wasi *wasi, uint32_t *out_fd) {
  uint32_t fd = 3;
  while (fd < wasi->fd_count && wasi->fds[fd].used) fd++;
  if (fd >= wasi->fd_count) {
    if (wasi->fd_count >= LW_WASI_MAX_FDS) return W_EMFILE;
    uint32_t count = wasi->fd_count * 2;
    if (count < 16) count = 16;
    if (count > LW_WASI_MAX_FDS) count = LW_WASI_MAX_FDS;
    lw_wasi_fd *fds = realloc(wasi->fds, count * sizeof *fds);
    if (!fds) return W_ENOMEM;
    memset(fds + wasi->fd_count, 0, (count - wasi->fd_count) * sizeof *fds);
    wasi->fds = fds;
    wasi->fd_count = count;
  }
  memset(&wasi->fds[fd], 0, sizeof wasi->fds[fd]);
  wasi->fds[fd].used = true;
  wasi->fds[fd].host_fd = -1;
  *out_fd = fd;
  return 0;
}

void lw_wasi_fd_release(lw_wasi_fd *entry) {
  if (!entry->used) return;
  if (entry->owned && entry->host_fd >= 0) close(entry->host_fd);
  free(entry->preopen_name);
  lw_wasi_dirents_free(entry->dirents);
  memset(entry, 0, sizeof *entry);
  entry->host_fd = -1;
}

uint8_t lw_wasi_filetype_from_mode(unsigned mode) {
  switch (mode & S_IFMT) {
  case S_IFREG: return W_FILETYPE_REGULAR_FILE;
  case S_IFDIR: return W_FILETYPE_DIRECTORY;
  case S_IFCHR: return W_FILETYPE_CHARACTER_DEVICE;
  case S_IFBLK: return W_FILETYPE_BLOCK_DEVICE;
  case S_IFLNK: return W_FILETYPE_SYMBOLIC_LINK;
  case S_IFSOCK: return W_FILETYPE_SOCKET_STREAM;
  default: return W_FILETYPE_UNKNOWN; /* pipes have no WASI type */
  }
}

uint64_t lw_wasi_rights_for_type(uint8_t filetype) {
  switch (filetype) {
  case W_FILETYPE_DIRECTORY: return R_DIRECTORY;
  case W_FILETYPE_REGULAR_FILE:
  case W_FILETYPE_BLOCK_DEVICE: return R_REGULAR_FILE;
  case W_FILETYPE_SOCKET_STREAM:
  case W_FILETYPE_SOCKET_DGRAM: return R_SOCKET;
  default: return R_STREAM;
  }
}

bool lw_wasi_capture(lw_wasi *wasi, const uint8_t *data, size_t len) {
  if (len > SIZE_MAX - wasi->captured_len) return false;
  if (wasi->captured_len + len > wasi->captured_cap) {
    size_t cap = wasi->captured_cap ? wasi->captured_cap : 4096;
    while (cap < wasi->captured_len + len) cap *= 2;
    uint8_t *buf = realloc(wasi->captured, cap);
    if (!buf) return false;
    wasi->captured = buf;
    wasi->captured_cap = cap;
  }
  memcpy(wasi->captured + wasi->captured_len, data, len);
  wasi->captured_len += len;
  return true;
}

static uint64_t timespec_ns(struct timespec ts) {
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void lw_wasi_put_filestat(lw_wmem m, uint32_t p, const void *host_stat, bool unstable) {
  const struct stat *st = host_stat;
  memset(m.base + p, 0, LW_FILESTAT_SIZE(unstable));
  wmem_put_u64(m, p + 0, (uint64_t)st->st_dev);
  wmem_put_u64(m, p + 8, (uint64_t)st->st_ino);
  wmem_put_u8(m, p + 16, lw_wasi_filetype_from_mode(st->st_mode));
  uint32_t at = 24;
  if (unstable) {
    wmem_put_u32(m, p + 20, st->st_nlink > UINT32_MAX ? UINT32_MAX : (uint32_t)st->st_nlink);
  } else {
    wmem_put_u64(m, p + 24, (uint64_t)st->st_nlink);
    at = 32;
  }
  wmem_put_u64(m, p + at, (uint64_t)st->st_size);
  wmem_put_u64(m, p + at + 8, timespec_ns(st->st_atim));
  wmem_put_u64(m, p + at + 16, timespec_ns(st->st_mtim));
  wmem_put_u64(m, p + at + 24, timespec_ns(st->st_ctim));
}

uint16_t lw_wasi_read_path(lw_wmem m, uint32_t ptr, uint32_t len, char **out) {
  *out = NULL;
  if (!wmem_ok(m, ptr, len)) return W_EFAULT;
  if (memchr(m.base + ptr, 0, len)) return W_EINVAL;
  char *s = malloc((size_t)len + 1);
  if (!s) return W_ENOMEM;
  memcpy(s, m.base + ptr, len);
  s[len] = 0;
  *out = s;
  return 0;
}

/* ---- creation --------------------------------------------------------------------------- */

static char **copy_strings(int count, const char *const *strings, bool *ok) {
  *ok = true;
  if (count <= 0 || !strings) return NULL;
  char **copy = calloc((size_t)count, sizeof *copy);
  if (!copy) {
    *ok = false;
    return NULL;
  }
  for (int i = 0; i < count; i++) {
    copy[i] = strdup(strings[i] ? strings[i] : "");
    if (!copy[i]) *ok = false;
  }
  return copy;
}

static void setup_stdio(lw_wasi *wasi, uint32_t fd, int host_fd, bool captured) {
  lw_wasi_fd *e = &wasi->fds[fd];
  e->used = true;
  e->owned = false; /* borrowed: the host's descriptor stays open whatever the guest does */
  e->host_fd = host_fd;
  e->captured = captured;
  struct stat st;
  if (captured) {
    e->filetype = W_FILETYPE_UNKNOWN;
  } else if (fstat(host_fd, &st) == 0) {
    e->filetype = lw_wasi_filetype_from_mode(st.st_mode);
    /* Hosts often hand a child socketpairs as stdio (Node does): to the guest they are plain
     * streams, so it cannot shut down or accept on the host's own socket. */
    if (e->filetype == W_FILETYPE_SOCKET_STREAM) e->filetype = W_FILETYPE_UNKNOWN;
    int fl = fcntl(host_fd, F_GETFL);
    if (fl >= 0 && (fl & O_APPEND)) e->fdflags |= W_FDFLAG_APPEND;
  } else {
    e->filetype = W_FILETYPE_UNKNOWN;
  }
  /* Standard streams get stream rights (no seek/tell: that is how wasi-libc's isatty tells a
   * terminal); one redirected from/to a regular file may also seek, but never truncate,
   * allocate or retime the host's file. */
  e->rights_base = R_STREAM;
  if (e->filetype == W_FILETYPE_REGULAR_FILE || e->filetype == W_FILETYPE_BLOCK_DEVICE)
    e->rights_base |= R_FD_SEEK | R_FD_TELL | R_FD_ADVISE;
  e->rights_inheriting = 0;
}

lw_status lw_wasi_new(const lw_wasi_config *config, lw_wasi **out, lw_error *err) {
  *out = NULL;
  lw_wasi_config empty = {0};
  if (!config) {
    empty.stdin_fd = empty.stdout_fd = empty.stderr_fd = -1;
    config = &empty;
  }
  lw_wasi *wasi = calloc(1, sizeof *wasi);
  if (!wasi) {
    set_error(err, LW_ERR_NOMEM, "out of memory creating the WASI state");
    return LW_ERR_NOMEM;
  }
  if (config->preopen_count > LW_WASI_MAX_FDS - 3) {
    free(wasi);
    set_error(err, LW_ERR_ARGUMENT, "too many preopened directories (%zu, at most %u)",
              config->preopen_count, LW_WASI_MAX_FDS - 3);
    return LW_ERR_ARGUMENT;
  }
  bool ok_args, ok_env;
  wasi->argc = config->argc > 0 && config->argv ? config->argc : 0;
  wasi->envc = config->envc > 0 && config->envp ? config->envc : 0;
  wasi->argv = copy_strings(wasi->argc, config->argv, &ok_args);
  wasi->envp = copy_strings(wasi->envc, config->envp, &ok_env);
  uint32_t count = 3 + (uint32_t)config->preopen_count;
  if (count < 16) count = 16;
  wasi->fds = calloc(count, sizeof *wasi->fds);
  wasi->fd_count = count;
  if (!ok_args || !ok_env || !wasi->fds) {
    lw_wasi_free(wasi);
    set_error(err, LW_ERR_NOMEM, "out of memory creating the WASI state");
    return LW_ERR_NOMEM;
  }
  setup_stdio(wasi, 0, config->stdin_fd >= 0 ? config->stdin_fd : 0, false);
  setup_stdio(wasi, 1, config->stdout_fd >= 0 ? config->stdout_fd : 1, config->capture_stdout);
  setup_stdio(wasi, 2, config->stderr_fd >= 0 ? config->stderr_fd : 2, false);

  for (size_t i = 0; i < config->preopen_count && config->preopens; i++) {
    const lw_wasi_preopen *p = &config->preopens[i];
    const char *host = p->host_path ? p->host_path : "";
    const char *guest = p->guest_path ? p->guest_path : host;
    int fd = open(host, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      int e = errno;
      lw_wasi_free(wasi);
      if (e == ENOTDIR)
        set_error(err, LW_ERR_IO, "preopened directory '%s' (guest '%s') is not a directory",
                  host, guest);
      else {
        char reason[128]; /* strerror_r (GNU): callers may create WASI states on many threads */
        set_error(err, LW_ERR_IO, "cannot open preopened directory '%s' (guest '%s'): %s",
                  host, guest, strerror_r(e, reason, sizeof reason));
      }
      return LW_ERR_IO;
    }
    lw_wasi_fd *e = &wasi->fds[3 + i];
    e->used = true;
    e->owned = true;
    e->host_fd = fd;
    e->filetype = W_FILETYPE_DIRECTORY;
    e->rights_base = R_DIRECTORY;
    e->rights_inheriting = R_DIRECTORY | R_REGULAR_FILE;
    e->preopen_name = strdup(guest);
    if (!e->preopen_name) {
      lw_wasi_free(wasi);
      set_error(err, LW_ERR_NOMEM, "out of memory creating the WASI state");
      return LW_ERR_NOMEM;
    }
  }
  *out = wasi;
  return LW_OK;
}

void lw_wasi_free(lw_wasi *wasi) {
  if (!wasi) return;
  for (int i = 0; i < wasi->argc && wasi->argv; i++) free(wasi->argv[i]);
  for (int i = 0; i < wasi->envc && wasi->envp; i++) free(wasi->envp[i]);
  free(wasi->argv);
  free(wasi->envp);
  for (uint32_t i = 0; i < wasi->fd_count && wasi->fds; i++) lw_wasi_fd_release(&wasi->fds[i]);
  free(wasi->fds);
  free(wasi->captured);
  free(wasi);
}

const uint8_t *lw_wasi_captured_stdout(lw_wasi *wasi, size_t *len) {
  if (len) *len = wasi ? wasi->captured_len : 0;
  return wasi ? wasi->captured : NULL;
}

/* ---- registration ------------------------------------------------------------------------ */

static const lw_wasi_def *const all_groups[] = {
    lw_wasi_defs_args_env, lw_wasi_defs_clock_random, lw_wasi_defs_fd,
    lw_wasi_defs_path,     lw_wasi_defs_poll,         lw_wasi_defs_sock,
};

static uint32_t parse_types(const char *s, lw_valtype *out) {
  uint32_t n = 0;
  for (; *s && *s != ':'; s++) out[n++] = *s == 'I' ? LW_I64 : LW_I32;
  return n;
}

lw_status lw_wasi_define(lw_wasi *wasi, lw_store *store, lw_linker *linker) {
  if (!wasi || !store || !linker) return LW_ERR_ARGUMENT;
  for (size_t g = 0; g < sizeof all_groups / sizeof all_groups[0]; g++) {
    for (const lw_wasi_def *d = all_groups[g]; d->name; d++) {
      lw_valtype params[16], results[2];
      uint32_t np = parse_types(d->sig, params);
      const char *colon = strchr(d->sig, ':');
      uint32_t nr = colon ? parse_types(colon + 1, results) : 0;
      lw_func *f = lw_func_new_host(store, params, np, results, nr, d->fn, wasi);
      lw_func *old = d->unstable_fn
                         ? lw_func_new_host(store, params, np, results, nr, d->unstable_fn, wasi)
                         : f;
      if (!f || !old) return LW_ERR_NOMEM;
      lw_extern ext = {.kind = LW_EXTERN_FUNC, .of.func = f};
      lw_extern old_ext = {.kind = LW_EXTERN_FUNC, .of.func = old};
      lw_status st = lw_linker_define(linker, "wasi_snapshot_preview1", d->name, ext);
      if (st == LW_OK) st = lw_linker_define(linker, "wasi_unstable", d->name, old_ext);
      if (st != LW_OK) return st;
    }
  }
  return LW_OK;
}

/* ---- running a command --------------------------------------------------------------------- */

/* No _start: a module built around main (exec_wasi accepts those too). main() or
 * main(argc, argv) / __main_argc_argv(argc, argv) is called with argc = 0, argv = NULL after
 * the reactor initializer; its result is the exit code. */
static lw_status run_main(lw_instance *instance, int *exit_code, lw_error *err) {
  static const char *const names[] = {"__main_argc_argv", "main"};
  lw_func *main_fn = NULL;
  for (size_t i = 0; i < 2 && !main_fn; i++) main_fn = lw_instance_func(instance, names[i]);
  uint32_t np = 0, nr = 0;
  const lw_valtype *pt = NULL, *rt = NULL;
  if (main_fn) lw_func_type(main_fn, &np, &pt, &nr, &rt);
  bool usable = main_fn && nr <= 1 && (nr == 0 || rt[0] == LW_I32) &&
                (np == 0 || (np == 2 && pt[0] == LW_I32 && pt[1] == LW_I32));
  if (!usable) {
    set_error(err, LW_ERR_LINK,
              "the module has no '_start' export (nor a usable 'main'), so it is not a WASI "
              "command; a reactor or library module needs its exports called directly");
    return LW_ERR_LINK;
  }
  lw_func *init = lw_instance_func(instance, "_initialize");
  if (init) {
    lw_status st = lw_call(init, NULL, 0, NULL, 0, err);
    if (st == LW_ERR_EXIT) {
      *exit_code = err->exit_code;
      return LW_OK;
    }
    if (st != LW_OK) return st;
  }
  lw_value args[2] = {{.type = LW_I32, .of.i32 = 0}, {.type = LW_I32, .of.i32 = 0}};
  lw_value result = {.type = LW_I32, .of.i32 = 0};
  lw_status st = lw_call(main_fn, args, np, &result, nr, err);
  if (st == LW_ERR_EXIT) {
    *exit_code = err->exit_code;
    return LW_OK;
  }
  if (st == LW_OK) *exit_code = nr ? result.of.i32 : 0;
  return st;
}

lw_status lw_wasi_run_command(lw_store *store, const lw_module *module, lw_linker *linker,
                              lw_wasi *wasi, int *exit_code, lw_error *err) {
  (void)wasi;
  *exit_code = 0;
  lw_error local;
  if (!err) err = &local;
  lw_instance *instance = NULL;
  lw_status st = lw_instantiate(store, module, linker, &instance, err);
  if (st == LW_ERR_EXIT) { /* proc_exit from the start function */
    *exit_code = err->exit_code;
    return LW_OK;
  }
  if (st != LW_OK) return st;
  lw_func *start = lw_instance_func(instance, "_start");
  if (start) {
    uint32_t np, nr;
    const lw_valtype *pt, *rt;
    lw_func_type(start, &np, &pt, &nr, &rt);
    if (np != 0 || nr != 0) {
      set_error(err, LW_ERR_LINK, "'_start' must take no parameters and return nothing");
      return LW_ERR_LINK;
    }
  } else {
    return run_main(instance, exit_code, err);
  }
  st = lw_call(start, NULL, 0, NULL, 0, err);
  if (st == LW_ERR_EXIT) {
    *exit_code = err->exit_code;
    return LW_OK;
  }
  return st;
}
