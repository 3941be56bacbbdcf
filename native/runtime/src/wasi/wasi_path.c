/* Path operations: path_* (open, create/remove, link/symlink/readlink, rename, stat, times).
 * Every path goes through lw_sandbox_resolve, and the host call then acts on the final
 * component relative to its parent directory without following symlinks (the resolver
 * already expanded the ones that should be followed, inside the sandbox). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_internal.h"

/* Check the directory fd and its rights, then resolve the guest path beneath it. */
static uint16_t resolve_at(lw_host_ctx *ctx, uint32_t fd, uint64_t rights, uint32_t path_ptr,
                           uint32_t path_len, bool follow, lw_resolved *out, lw_wasi_fd **dir) {
  out->dirfd = -1;
  out->dirfd_owned = false;
  out->name = NULL;
  lw_wasi_fd *e = lw_wasi_get_fd(lw_wasi_from_ctx(ctx), fd);
  if (dir) *dir = e;
  if (!e) return W_EBADF;
  if (e->filetype != W_FILETYPE_DIRECTORY) return W_ENOTDIR;
  if ((e->rights_base & rights) != rights) return W_ENOTCAPABLE;
  lw_wmem m = lw_wasi_memory(ctx);
  if (!wmem_ok(m, path_ptr, path_len)) return W_EFAULT;
  return lw_sandbox_resolve(e->host_fd, (const char *)m.base + path_ptr, path_len, follow, out);
}

static lw_status path_open(lw_host_ctx *ctx, uint64_t *slots) {
  uint32_t dirflags = ARG_U32(1), oflags = ARG_U32(4), fdflags = ARG_U32(7);
  uint64_t want_base = ARG_U64(5), want_inheriting = ARG_U64(6);
  uint32_t out_ptr = ARG_U32(8);
  if (oflags & ~15u) RETURN_ERRNO(W_EINVAL);
  if (fdflags & ~31u) RETURN_ERRNO(W_EINVAL);
  lw_wmem m = lw_wasi_memory(ctx);
  if (!wmem_ok(m, out_ptr, 4)) RETURN_ERRNO(W_EFAULT);
  uint64_t need = R_PATH_OPEN;
  if (oflags & W_OFLAG_CREAT) need |= R_PATH_CREATE_FILE;
  if (oflags & W_OFLAG_TRUNC) need |= R_PATH_FILESTAT_SET_SIZE;
  lw_resolved res;
  lw_wasi_fd *dir;
  uint16_t r = resolve_at(ctx, ARG_U32(0), need, ARG_U32(2), ARG_U32(3),
                          (dirflags & W_LOOKUP_SYMLINK_FOLLOW) != 0, &res, &dir);
  if (r) {
    lw_resolved_release(&res);
    RETURN_ERRNO(r);
  }
  /* A new descriptor gets at most what its directory passes on. */
  uint64_t base = want_base & dir->rights_inheriting;
  uint64_t inheriting = want_inheriting & dir->rights_inheriting;
  bool writing = (base & R_NEEDS_WRITE) != 0, reading = (base & R_NEEDS_READ) != 0;
  int flags = O_CLOEXEC | O_NOCTTY | O_NOFOLLOW;
  flags |= writing ? (reading ? O_RDWR : O_WRONLY) : O_RDONLY;
  if (oflags & W_OFLAG_CREAT) flags |= O_CREAT;
  if (oflags & W_OFLAG_DIRECTORY) flags |= O_DIRECTORY;
  if (oflags & W_OFLAG_EXCL) flags |= O_EXCL;
  if (oflags & W_OFLAG_TRUNC) flags |= O_TRUNC;
  if (fdflags & W_FDFLAG_APPEND) flags |= O_APPEND;
  if (fdflags & W_FDFLAG_DSYNC) flags |= O_DSYNC;
  if (fdflags & W_FDFLAG_NONBLOCK) flags |= O_NONBLOCK;
  if (fdflags & W_FDFLAG_RSYNC) flags |= O_RSYNC;
  if (fdflags & W_FDFLAG_SYNC) flags |= O_SYNC;
  int host_fd = openat(res.dirfd, res.name, flags, 0666);
  int saved = errno;
  lw_resolved_release(&res);
  if (host_fd < 0) RETURN_ERRNO(lw_wasi_errno_from_host(saved));
  struct stat st;
  if (fstat(host_fd, &st) != 0) {
    saved = errno;
    close(host_fd);
    RETURN_ERRNO(lw_wasi_errno_from_host(saved));
  }
  uint32_t new_fd;
  lw_wasi *w = lw_wasi_from_ctx(ctx);
  if ((r = lw_wasi_fd_alloc(w, &new_fd))) {
    close(host_fd);
    RETURN_ERRNO(r);
  }
  lw_wasi_fd *e = &w->fds[new_fd]; /* dir may have moved with the table: not used below */
  e->owned = true;
  e->host_fd = host_fd;
  e->filetype = lw_wasi_filetype_from_mode(st.st_mode);
  e->fdflags = (uint16_t)fdflags;
  e->rights_base = base & lw_wasi_rights_for_type(e->filetype);
  e->rights_inheriting = inheriting;
  wmem_put_u32(m, out_ptr, new_fd);
  RETURN_ERRNO(0);
}

static lw_status path_create_directory(lw_host_ctx *ctx, uint64_t *slots) {
  lw_resolved res;
  uint16_t r = resolve_at(ctx, ARG_U32(0), R_PATH_CREATE_DIRECTORY, ARG_U32(1), ARG_U32(2),
                          false, &res, NULL);
  if (r == 0 && mkdirat(res.dirfd, res.name, 0777) != 0) r = lw_wasi_errno_from_host(errno);
  lw_resolved_release(&res);
  RETURN_ERRNO(r);
}

static lw_status path_remove_directory(lw_host_ctx *ctx, uint64_t *slots) {
  lw_resolved res;
  uint16_t r = resolve_at(ctx, ARG_U32(0), R_PATH_REMOVE_DIRECTORY, ARG_U32(1), ARG_U32(2),
                          false, &res, NULL);
  if (r == 0 && unlinkat(res.dirfd, res.name, AT_REMOVEDIR) != 0)
    r = lw_wasi_errno_from_host(errno);
  lw_resolved_release(&res);
  RETURN_ERRNO(r);
}

static lw_status path_unlink_file(lw_host_ctx *ctx, uint64_t *slots) {
  lw_resolved res;
  uint16_t r = resolve_at(ctx, ARG_U32(0), R_PATH_UNLINK_FILE, ARG_U32(1), ARG_U32(2), false,
                          &res, NULL);
  if (r == 0 && unlinkat(res.dirfd, res.name, 0) != 0) r = lw_wasi_errno_from_host(errno);
  lw_resolved_release(&res);
  RETURN_ERRNO(r);
}

static lw_status filestat_common(lw_host_ctx *ctx, uint64_t *slots, bool unstable) {
  lw_wmem m = lw_wasi_memory(ctx);
  uint32_t out = ARG_U32(4);
  if (!wmem_ok(m, out, LW_FILESTAT_SIZE(unstable))) RETURN_ERRNO(W_EFAULT);
  lw_resolved res;
  uint16_t r = resolve_at(ctx, ARG_U32(0), R_PATH_FILESTAT_GET, ARG_U32(2), ARG_U32(3),
                          (ARG_U32(1) & W_LOOKUP_SYMLINK_FOLLOW) != 0, &res, NULL);
  struct stat st;
  if (r == 0 && fstatat(res.dirfd, res.name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    r = lw_wasi_errno_from_host(errno);
  lw_resolved_release(&res);
  if (r) RETURN_ERRNO(r);
  lw_wasi_put_filestat(m, out, &st, unstable);
  RETURN_ERRNO(0);
}
static lw_status path_filestat_get(lw_host_ctx *ctx, uint64_t *slots) {
  return filestat_common(ctx, slots, false);
}
static lw_status path_filestat_get_unstable(lw_host_ctx *ctx, uint64_t *slots) {
  return filestat_common(ctx, slots, true);
}

static lw_status path_filestat_set_times(lw_host_ctx *ctx, uint64_t *slots) {
  struct timespec ts[2];
  uint16_t r = lw_wasi_times(ARG_U64(4), ARG_U64(5), ARG_U32(6), ts);
  if (r) RETURN_ERRNO(r);
  lw_resolved res;
  r = resolve_at(ctx, ARG_U32(0), R_PATH_FILESTAT_SET_TIMES, ARG_U32(2), ARG_U32(3),
                 (ARG_U32(1) & W_LOOKUP_SYMLINK_FOLLOW) != 0, &res, NULL);
  if (r == 0 && utimensat(res.dirfd, res.name, ts, AT_SYMLINK_NOFOLLOW) != 0)
    r = lw_wasi_errno_from_host(errno);
  lw_resolved_release(&res);
  RETURN_ERRNO(r);
}

static lw_status path_link(lw_host_ctx *ctx, uint64_t *slots) {
  lw_resolved from, to;
  uint16_t r = resolve_at(ctx, ARG_U32(0), R_PATH_LINK_SOURCE, ARG_U32(2), ARG_U32(3),
                          (ARG_U32(1) & W_LOOKUP_SYMLINK_FOLLOW) != 0, &from, NULL);
  if (r) {
    lw_resolved_release(&from);
    RETURN_ERRNO(r);
  }
  r = resolve_at(ctx, ARG_U32(4), R_PATH_LINK_TARGET, ARG_U32(5), ARG_U32(6), false, &to, NULL);
  if (r == 0 && linkat(from.dirfd, from.name, to.dirfd, to.name, 0) != 0)
    r = lw_wasi_errno_from_host(errno);
  lw_resolved_release(&from);
  lw_resolved_release(&to);
  RETURN_ERRNO(r);
}

static lw_status path_rename(lw_host_ctx *ctx, uint64_t *slots) {
  lw_resolved from, to;
  uint16_t r = resolve_at(ctx, ARG_U32(0), R_PATH_RENAME_SOURCE, ARG_U32(1), ARG_U32(2), false,
                          &from, NULL);
  if (r) {
    lw_resolved_release(&from);
    RETURN_ERRNO(r);
  }
  r = resolve_at(ctx, ARG_U32(3), R_PATH_RENAME_TARGET, ARG_U32(4), ARG_U32(5), false, &to,
                 NULL);
  if (r == 0 && renameat(from.dirfd, from.name, to.dirfd, to.name) != 0)
    r = lw_wasi_errno_from_host(errno);
  lw_resolved_release(&from);
  lw_resolved_release(&to);
  RETURN_ERRNO(r);
}

static lw_status path_symlink(lw_host_ctx *ctx, uint64_t *slots) {
  lw_wmem m = lw_wasi_memory(ctx);
  char *target;
  uint16_t r = lw_wasi_read_path(m, ARG_U32(0), ARG_U32(1), &target);
  if (r) RETURN_ERRNO(r);
  /* An absolute target could only ever point outside the sandbox. */
  if (target[0] == '/') {
    free(target);
    RETURN_ERRNO(W_ENOTCAPABLE);
  }
  lw_resolved res;
  r = resolve_at(ctx, ARG_U32(2), R_PATH_SYMLINK, ARG_U32(3), ARG_U32(4), false, &res, NULL);
  if (r == 0 && symlinkat(target, res.dirfd, res.name) != 0) r = lw_wasi_errno_from_host(errno);
  lw_resolved_release(&res);
  free(target);
  RETURN_ERRNO(r);
}

static lw_status path_readlink(lw_host_ctx *ctx, uint64_t *slots) {
  uint32_t buf = ARG_U32(3), buf_len = ARG_U32(4), used_ptr = ARG_U32(5);
  lw_wmem m = lw_wasi_memory(ctx);
  if (!wmem_ok(m, buf, buf_len) || !wmem_ok(m, used_ptr, 4)) RETURN_ERRNO(W_EFAULT);
  lw_resolved res;
  uint16_t r = resolve_at(ctx, ARG_U32(0), R_PATH_READLINK, ARG_U32(1), ARG_U32(2), false, &res,
                          NULL);
  char target[PATH_MAX];
  ssize_t n = -1;
  if (r == 0) {
    n = readlinkat(res.dirfd, res.name, target, sizeof target);
    if (n < 0) r = lw_wasi_errno_from_host(errno);
  }
  lw_resolved_release(&res);
  if (r) RETURN_ERRNO(r);
  /* a short buffer gets the start of the target, as POSIX readlink does */
  uint32_t copy = (uint64_t)n < buf_len ? (uint32_t)n : buf_len;
  memcpy(m.base + buf, target, copy);
  wmem_put_u32(m, used_ptr, copy);
  RETURN_ERRNO(0);
}

const lw_wasi_def lw_wasi_defs_path[] = {
    {"path_create_directory", "iii:i", path_create_directory, NULL},
    {"path_filestat_get", "iiiii:i", path_filestat_get, path_filestat_get_unstable},
    {"path_filestat_set_times", "iiiiIIi:i", path_filestat_set_times, NULL},
    {"path_link", "iiiiiii:i", path_link, NULL},
    {"path_open", "iiiiiIIii:i", path_open, NULL},
    {"path_readlink", "iiiiii:i", path_readlink, NULL},
    {"path_remove_directory", "iii:i", path_remove_directory, NULL},
    {"path_rename", "iiiiii:i", path_rename, NULL},
    {"path_symlink", "iiiii:i", path_symlink, NULL},
    {"path_unlink_file", "iii:i", path_unlink_file, NULL},
    {NULL, NULL, NULL, NULL},
};
