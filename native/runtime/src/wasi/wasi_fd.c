/* Descriptor operations: fd_* (reads and writes, seeking, stat, flags and rights, preopen
 * names, directory listing, renumbering, closing). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi_internal.h"

#define MAX_IOVS 1024 /* IOV_MAX on Linux; more is served as a short read/write */

uint16_t lw_wasi_gather_iovs(lw_wmem m, uint32_t iovs, uint32_t count, struct iovec **out,
                             int *out_count) {
  *out = NULL;
  *out_count = 0;
  if (!wmem_ok(m, iovs, (uint64_t)count * 8)) return W_EFAULT;
  if (count > MAX_IOVS) count = MAX_IOVS;
  struct iovec *v = malloc((count ? count : 1) * sizeof *v);
  if (!v) return W_ENOMEM;
  for (uint32_t i = 0; i < count; i++) {
    uint32_t buf = wmem_u32(m, iovs + 8 * i), len = wmem_u32(m, iovs + 8 * i + 4);
    if (!wmem_ok(m, buf, len)) {
      free(v);
      return W_EFAULT;
    }
    v[i].iov_base = m.base + buf;
    v[i].iov_len = len;
  }
  *out = v;
  *out_count = (int)count;
  return 0;
}

/* fd_read, fd_write, fd_pread and fd_pwrite differ only in the host call: (fd, iovs,
 * iovs_len[, offset], nbytes_ptr) -> the byte count at nbytes_ptr. Streams are waited on first
 * (read/write only; pread/pwrite need a seekable fd), and a captured fd takes writes into the
 * capture buffer. */
static lw_status vectored_io(lw_host_ctx *ctx, uint64_t *slots, bool write, bool positioned) {
  lw_wasi *w = lw_wasi_from_ctx(ctx);
  lw_wasi_fd *e;
  uint16_t r = lw_wasi_fd_check(w, ARG_U32(0), write ? R_FD_WRITE : R_FD_READ, &e);
  if (r) RETURN_ERRNO(r);
  if (e->filetype == W_FILETYPE_DIRECTORY) RETURN_ERRNO(W_EISDIR);
  uint64_t offset = 0;
  if (positioned) {
    if (e->captured) RETURN_ERRNO(W_ESPIPE);
    offset = ARG_U64(3);
    if (offset > INT64_MAX) RETURN_ERRNO(W_EINVAL);
  }
  uint32_t nbytes_ptr = ARG_U32(positioned ? 4 : 3);
  lw_wmem m = lw_wasi_memory(ctx);
  if (!wmem_ok(m, nbytes_ptr, 4)) RETURN_ERRNO(W_EFAULT);
  struct iovec *v;
  int n;
  if ((r = lw_wasi_gather_iovs(m, ARG_U32(1), ARG_U32(2), &v, &n))) RETURN_ERRNO(r);
  ssize_t done;
  if (write && e->captured) {
    done = 0;
    for (int i = 0; i < n; i++) {
      if (!lw_wasi_capture(w, v[i].iov_base, v[i].iov_len)) {
        free(v);
        RETURN_ERRNO(W_ENOMEM);
      }
      done += (ssize_t)v[i].iov_len;
    }
  } else {
    lw_status wait = n && !positioned ? lw_wasi_wait_stream(ctx, e, write, &r) : LW_OK;
    if (wait != LW_OK || r) {
      free(v);
      if (wait != LW_OK) return wait;
      RETURN_ERRNO(r);
    }
    do {
      if (!n) done = 0;
      else if (positioned)
        done = write ? pwritev(e->host_fd, v, n, (off_t)offset)
                     : preadv(e->host_fd, v, n, (off_t)offset);
      else done = write ? writev(e->host_fd, v, n) : readv(e->host_fd, v, n);
    } while (done < 0 && errno == EINTR);
  }
  int saved = errno;
  free(v);
  if (done < 0) RETURN_ERRNO(lw_wasi_errno_from_host(saved));
  wmem_put_u32(m, nbytes_ptr, (uint32_t)done);
  RETURN_ERRNO(0);
}

static lw_status fd_read(lw_host_ctx *ctx, uint64_t *slots) {
  return vectored_io(ctx, slots, false, false);
}
static lw_status fd_write(lw_host_ctx *ctx, uint64_t *slots) {
  return vectored_io(ctx, slots, true, false);
}
static lw_status fd_pread(lw_host_ctx *ctx, uint64_t *slots) {
  return vectored_io(ctx, slots, false, true);
}
static lw_status fd_pwrite(lw_host_ctx *ctx, uint64_t *slots) {
  return vectored_io(ctx, slots, true, true);
}

/* whence: preview1 numbers SET=0 CUR=1 END=2; wasi_unstable CUR=0 END=1 SET=2. */
static lw_status seek_common(lw_host_ctx *ctx, uint64_t *slots, uint32_t whence) {
  int64_t offset = (int64_t)ARG_U64(1);
  lw_wasi *w = lw_wasi_from_ctx(ctx);
  /* A seek that only asks for the position needs FD_TELL (as fd_tell does). */
  uint64_t need = (offset == 0 && whence == 1) ? R_FD_TELL : R_FD_SEEK;
  lw_wasi_fd *e = lw_wasi_get_fd(w, ARG_U32(0));
  if (!e) RETURN_ERRNO(W_EBADF);
  if ((e->rights_base & (need | R_FD_SEEK)) == 0) RETURN_ERRNO(W_ENOTCAPABLE);
  if (e->filetype == W_FILETYPE_DIRECTORY) RETURN_ERRNO(W_EISDIR);
  if (e->captured) RETURN_ERRNO(W_ESPIPE);
  int how;
  switch (whence) {
  case 0: how = SEEK_SET; break;
  case 1: how = SEEK_CUR; break;
  case 2: how = SEEK_END; break;
  default: RETURN_ERRNO(W_EINVAL);
  }
  lw_wmem m = lw_wasi_memory(ctx);
  if (!wmem_ok(m, ARG_U32(3), 8)) RETURN_ERRNO(W_EFAULT);
  off_t pos = lseek(e->host_fd, (off_t)offset, how);
  if (pos < 0) RETURN_ERRNO(lw_wasi_errno_from_host(errno));
  wmem_put_u64(m, ARG_U32(3), (uint64_t)pos);
  RETURN_ERRNO(0);
}
static lw_status fd_seek(lw_host_ctx *ctx, uint64_t *slots) {
  return seek_common(ctx, slots, ARG_U32(2));
}
static lw_status fd_seek_unstable(lw_host_ctx *ctx, uint64_t *slots) {
  static const uint32_t to_preview1[3] = {1, 2, 0};
  uint32_t whence = ARG_U32(2);
  return seek_common(ctx, slots, whence < 3 ? to_preview1[whence] : whence);
}

static lw_status fd_tell(lw_host_ctx *ctx, uint64_t *slots) {
  lw_wasi_fd *e;
  uint16_t r = lw_wasi_fd_check(lw_wasi_from_ctx(ctx), ARG_U32(0), R_FD_TELL, &e);
  if (r) RETURN_ERRNO(r);
  if (e->filetype == W_FILETYPE_DIRECTORY) RETURN_ERRNO(W_EISDIR);
  if (e->captured) RETURN_ERRNO(W_ESPIPE);
  lw_wmem m = lw_wasi_memory(ctx);
  if (!wmem_ok(m, ARG_U32(1), 8)) RETURN_ERRNO(W_EFAULT);
  off_t pos = lseek(e->host_fd, 0, SEEK_CUR);
  if (pos < 0) RETURN_ERRNO(lw_wasi_errno_from_host(errno));
  wmem_put_u64(m, ARG_U32(1), (uint64_t)pos);
  RETURN_ERRNO(0);
}

static lw_status fd_close(lw_host_ctx *ctx, uint64_t *slots) {
  lw_wasi_fd *e = lw_wasi_get_fd(lw_wasi_from_ctx(ctx), ARG_U32(0));
  if (!e) RETURN_ERRNO(W_EBADF);
  lw_wasi_fd_release(e);
  RETURN_ERRNO(0);
}

static lw_status sync_common(lw_host_ctx *ctx, uint64_t *slots, uint64_t right, bool data_only) {
  lw_wasi_fd *e;
  uint16_t r = lw_wasi_fd_check(lw_wasi_from_ctx(ctx), ARG_U32(0), right, &e);
  if (r) RETURN_ERRNO(r);
  if (e->captured) RETURN_ERRNO(0);
  int rc = data_only ? fdatasync(e->host_fd) : fsync(e->host_fd);
  if (rc != 0) RETURN_ERRNO(lw_wasi_errno_from_host(errno));
  RETURN_ERRNO(0);
}
static lw_status fd_datasync(lw_host_ctx *ctx, uint64_t *slots) {
  return sync_common(ctx, slots, R_FD_DATASYNC, true);
}
static lw_status fd_sync(lw_host_ctx *ctx, uint64_t *slots) {
  return sync_common(ctx, slots, R_FD_SYNC, false);
}

static lw_status fd_fdstat_get(lw_host_ctx *ctx, uint64_t *slots) {
  lw_wasi_fd *e = lw_wasi_get_fd(lw_wasi_from_ctx(ctx), ARG_U32(0));
  if (!e) RETURN_ERRNO(W_EBADF);
  lw_wmem m = lw_wasi_memory(ctx);
  uint32_t p = ARG_U32(1);
  if (!wmem_ok(m, p, 24)) RETURN_ERRNO(W_EFAULT);
  memset(m.base + p, 0, 24);
  wmem_put_u8(m, p, e->filetype);
  wmem_put_u16(m, p + 2, e->fdflags);
  wmem_put_u64(m, p + 8, e->rights_base);
  wmem_put_u64(m, p + 16, e->rights_inheriting);
  RETURN_ERRNO(0);
}

static lw_status fd_fdstat_set_flags(lw_host_ctx *ctx, uint64_t *slots) {
  lw_wasi_fd *e;
  uint16_t r = lw_wasi_fd_check(lw_wasi_from_ctx(ctx), ARG_U32(0), R_FD_FDSTAT_SET_FLAGS, &e);
  if (r) RETURN_ERRNO(r);
  uint32_t flags = ARG_U32(1);
  if (flags & ~31u) RETURN_ERRNO(W_EINVAL);
  const uint32_t sync_flags = W_FDFLAG_DSYNC | W_FDFLAG_RSYNC | W_FDFLAG_SYNC;
  /* Linux cannot change the sync flags of an open file. */
  if ((flags & sync_flags) != (e->fdflags & sync_flags)) RETURN_ERRNO(W_ENOTSUP);
  /* Borrowed stdio shares its open file description with the host: setting O_NONBLOCK or
   * O_APPEND there would change the host's own stdout, so it is only recorded. */
  if (e->owned && !e->captured) {
    int fl = fcntl(e->host_fd, F_GETFL);
    if (fl < 0) RETURN_ERRNO(lw_wasi_errno_from_host(errno));
    fl &= ~(O_APPEND | O_NONBLOCK);
    if (flags & W_FDFLAG_APPEND) fl |= O_APPEND;
    if (flags & W_FDFLAG_NONBLOCK) fl |= O_NONBLOCK;
    if (fcntl(e->host_fd, F_SETFL, fl) != 0) RETURN_ERRNO(lw_wasi_errno_from_host(errno));
  }
  e->fdflags = (uint16_t)flags;
  RETURN_ERRNO(0);
}

static lw_status fd_fdstat_set_rights(lw_host_ctx *ctx, uint64_t *slots) {
  lw_wasi_fd *e = lw_wasi_get_fd(lw_wasi_from_ctx(ctx), ARG_U32(0));
  if (!e) RETURN_ERRNO(W_EBADF);
  uint64_t base = ARG_U64(1), inheriting = ARG_U64(2);
  /* Rights can only be dropped, never gained. */
  if ((base & ~e->rights_base) || (inheriting & ~e->rights_inheriting))
    RETURN_ERRNO(W_ENOTCAPABLE);
  e->rights_base = base;
  e->rights_inheriting = inheriting;
  RETURN_ERRNO(0);
}

static lw_status filestat_common(lw_host_ctx *ctx, uint64_t *slots, bool unstable) {
  lw_wasi_fd *e;
  uint16_t r = lw_wasi_fd_check(lw_wasi_from_ctx(ctx), ARG_U32(0), R_FD_FILESTAT_GET, &e);
  if (r) RETURN_ERRNO(r);
  lw_wmem m = lw_wasi_memory(ctx);
  if (!wmem_ok(m, ARG_U32(1), LW_FILESTAT_SIZE(unstable))) RETURN_ERRNO(W_EFAULT);
  struct stat st;
  if (fstat(e->host_fd, &st) != 0) RETURN_ERRNO(lw_wasi_errno_from_host(errno));
  lw_wasi_put_filestat(m, ARG_U32(1), &st, unstable);
  if (e->captured) wmem_put_u8(m, ARG_U32(1) + 16, e->filetype);
  RETURN_ERRNO(0);
}
static lw_status fd_filestat_get(lw_host_ctx *ctx, uint64_t *slots) {
  return filestat_common(ctx, slots, false);
}
static lw_status fd_filestat_get_unstable(lw_host_ctx *ctx, uint64_t *slots) {
  return filestat_common(ctx, slots, true);
}

static lw_status fd_filestat_set_size(lw_host_ctx *ctx, uint64_t *slots) {
  lw_wasi_fd *e;
  uint16_t r = lw_wasi_fd_check(lw_wasi_from_ctx(ctx), ARG_U32(0), R_FD_FILESTAT_SET_SIZE, &e);
  if (r) RETURN_ERRNO(r);
  if (e->filetype == W_FILETYPE_DIRECTORY) RETURN_ERRNO(W_EISDIR);
  if (ARG_U64(1) > INT64_MAX) RETURN_ERRNO(W_EINVAL);
  if (ftruncate(e->host_fd, (off_t)ARG_U64(1)) != 0)
    RETURN_ERRNO(lw_wasi_errno_from_host(errno));
  RETURN_ERRNO(0);
}

uint16_t lw_wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2]) {
  if (fst & ~15u) return W_EINVAL;
  if ((fst & W_FST_ATIM) && (fst & W_FST_ATIM_NOW)) return W_EINVAL;
  if ((fst & W_FST_MTIM) && (fst & W_FST_MTIM_NOW)) return W_EINVAL;
  const uint64_t ns = 1000000000ull;
  ts[0].tv_sec = (time_t)(atim / ns);
  ts[0].tv_nsec = (long)(atim % ns);
  ts[1].tv_sec = (time_t)(mtim / ns);
  ts[1].tv_nsec = (long)(mtim % ns);
  if (fst & W_FST_ATIM_NOW) ts[0].tv_nsec = UTIME_NOW;
  else if (!(fst & W_FST_ATIM)) ts[0].tv_nsec = UTIME_OMIT;
  if (fst & W_FST_MTIM_NOW) ts[1].tv_nsec = UTIME_NOW;
  else if (!(fst & W_FST_MTIM)) ts[1].tv_nsec = UTIME_OMIT;
  return 0;
}

static lw_status fd_filestat_set_times(lw_host_ctx *ctx, uint64_t *slots) {
  lw_wasi_fd *e;
  uint16_t r = lw_wasi_fd_check(lw_wasi_from_ctx(ctx), ARG_U32(0), R_FD_FILESTAT_SET_TIMES, &e);
  if (r) RETURN_ERRNO(r);
  struct timespec ts[2];
  if ((r = lw_wasi_times(ARG_U64(1), ARG_U64(2), ARG_U32(3), ts))) RETURN_ERRNO(r);
  if (futimens(e->host_fd, ts) != 0) RETURN_ERRNO(lw_wasi_errno_from_host(errno));
  RETURN_ERRNO(0);
}

static lw_status fd_advise(lw_host_ctx *ctx, uint64_t *slots) {
  lw_wasi_fd *e;
  uint16_t r = lw_wasi_fd_check(lw_wasi_from_ctx(ctx), ARG_U32(0), R_FD_ADVISE, &e);
  if (r) RETURN_ERRNO(r);
  static const int advice_map[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL,
                                   POSIX_FADV_RANDOM,   POSIX_FADV_WILLNEED,
                                   POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
  uint32_t advice = ARG_U32(3);
  if (advice > 5) RETURN_ERRNO(W_EINVAL);
  if (ARG_U64(1) > INT64_MAX || ARG_U64(2) > INT64_MAX) RETURN_ERRNO(W_EINVAL);
  if (e->filetype == W_FILETYPE_DIRECTORY) RETURN_ERRNO(W_EBADF);
  int rc = posix_fadvise(e->host_fd, (off_t)ARG_U64(1), (off_t)ARG_U64(2), advice_map[advice]);
  if (rc == ESPIPE) rc = 0; /* advice on a pipe is meaningless, not an error */
  RETURN_ERRNO(lw_wasi_errno_from_host(rc));
}

static lw_status fd_allocate(lw_host_ctx *ctx, uint64_t *slots) {
  lw_wasi_fd *e;
  uint16_t r = lw_wasi_fd_check(lw_wasi_from_ctx(ctx), ARG_U32(0), R_FD_ALLOCATE, &e);
  if (r) RETURN_ERRNO(r);
  if (e->filetype == W_FILETYPE_DIRECTORY) RETURN_ERRNO(W_EISDIR);
  uint64_t off = ARG_U64(1), len = ARG_U64(2);
  if (off > INT64_MAX || len > INT64_MAX || off + len > INT64_MAX) RETURN_ERRNO(W_EINVAL);
  int rc = posix_fallocate(e->host_fd, (off_t)off, (off_t)len);
  RETURN_ERRNO(lw_wasi_errno_from_host(rc));
}

static lw_status fd_prestat_get(lw_host_ctx *ctx, uint64_t *slots) {
  lw_wasi_fd *e = lw_wasi_get_fd(lw_wasi_from_ctx(ctx), ARG_U32(0));
  if (!e || !e->preopen_name) RETURN_ERRNO(W_EBADF);
  lw_wmem m = lw_wasi_memory(ctx);
  if (!wmem_ok(m, ARG_U32(1), 8)) RETURN_ERRNO(W_EFAULT);
  memset(m.base + ARG_U32(1), 0, 8);
  wmem_put_u8(m, ARG_U32(1), 0); /* preopentype dir */
  wmem_put_u32(m, ARG_U32(1) + 4, (uint32_t)strlen(e->preopen_name));
  RETURN_ERRNO(0);
}

static lw_status fd_prestat_dir_name(lw_host_ctx *ctx, uint64_t *slots) {
  lw_wasi_fd *e = lw_wasi_get_fd(lw_wasi_from_ctx(ctx), ARG_U32(0));
  if (!e || !e->preopen_name) RETURN_ERRNO(W_EBADF);
  size_t name_len = strlen(e->preopen_name);
  uint32_t buf = ARG_U32(1), buf_len = ARG_U32(2);
  if (buf_len < name_len) RETURN_ERRNO(W_ENAMETOOLONG);
  lw_wmem m = lw_wasi_memory(ctx);
  if (!wmem_ok(m, buf, name_len)) RETURN_ERRNO(W_EFAULT);
  memcpy(m.base + buf, e->preopen_name, name_len);
  RETURN_ERRNO(0);
}

static lw_status fd_renumber(lw_host_ctx *ctx, uint64_t *slots) {
  lw_wasi *w = lw_wasi_from_ctx(ctx);
  lw_wasi_fd *from = lw_wasi_get_fd(w, ARG_U32(0)), *to = lw_wasi_get_fd(w, ARG_U32(1));
  if (!from || !to) RETURN_ERRNO(W_EBADF);
  if (from == to) RETURN_ERRNO(0);
  lw_wasi_fd_release(to);
  *to = *from;
  memset(from, 0, sizeof *from); /* moved, not closed */
  from->host_fd = -1;
  RETURN_ERRNO(0);
}

/* ---- fd_readdir ----------------------------------------------------------------------- */

/* The directory's entries, read once when the guest starts at cookie 0; the cookie of an
 * entry is its index + 1, so listings resume exactly where they stopped. */
typedef struct dirent_entry {
  uint64_t ino;
  uint8_t type;
  uint32_t name_len;
  char *name;
} dirent_entry;

struct lw_wasi_dirent_cache {
  size_t count, cap;
  dirent_entry *entries;
};

void lw_wasi_dirents_free(lw_wasi_dirent_cache *cache) {
  if (!cache) return;
  for (size_t i = 0; i < cache->count; i++) free(cache->entries[i].name);
  free(cache->entries);
  free(cache);
}

static uint8_t filetype_from_dtype(int dirfd, const char *name, unsigned char d_type) {
  switch (d_type) {
  case DT_REG: return W_FILETYPE_REGULAR_FILE;
  case DT_DIR: return W_FILETYPE_DIRECTORY;
  case DT_LNK: return W_FILETYPE_SYMBOLIC_LINK;
  case DT_CHR: return W_FILETYPE_CHARACTER_DEVICE;
  case DT_BLK: return W_FILETYPE_BLOCK_DEVICE;
  case DT_SOCK: return W_FILETYPE_SOCKET_STREAM;
  case DT_FIFO: return W_FILETYPE_UNKNOWN;
  default: {
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
      return lw_wasi_filetype_from_mode(st.st_mode);
    return W_FILETYPE_UNKNOWN;
  }
  }
}

static uint16_t load_dirents(lw_wasi_fd *e) {
  lw_wasi_dirents_free(e->dirents);
  e->dirents = NULL;
  /* a separate open file description, so the guest's fd offset is untouched */
  int fd = openat(e->host_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return lw_wasi_errno_from_host(errno);
  DIR *dir = fdopendir(fd);
  if (!dir) {
    int saved = errno;
    close(fd);
    return lw_wasi_errno_from_host(saved);
  }
  lw_wasi_dirent_cache *cache = calloc(1, sizeof *cache);
  uint16_t result = cache ? 0 : W_ENOMEM;
  struct dirent *d;
  while (result == 0) {
    errno = 0;
    d = readdir(dir);
    if (!d) {
      if (errno) result = lw_wasi_errno_from_host(errno);
      break;
    }
    if (cache->count == cache->cap) {
      size_t cap = cache->cap ? cache->cap * 2 : 32;
      dirent_entry *entries = realloc(cache->entries, cap * sizeof *entries);
      if (!entries) {
        result = W_ENOMEM;
        break;
      }
      cache->entries = entries;
      cache->cap = cap;
    }
    dirent_entry *de = &cache->entries[cache->count];
    de->name = strdup(d->d_name);
    if (!de->name) {
      result = W_ENOMEM;
      break;
    }
    de->name_len = (uint32_t)strlen(d->d_name);
    de->ino = (uint64_t)d->d_ino;
    de->type = filetype_from_dtype(dirfd(dir), d->d_name, d->d_type);
    cache->count++;
  }
  closedir(dir);
  if (result) {
    lw_wasi_dirents_free(cache);
    return result;
  }
  e->dirents = cache;
  return 0;
}

static lw_status fd_readdir(lw_host_ctx *ctx, uint64_t *slots) {
  lw_wasi_fd *e;
  uint16_t r = lw_wasi_fd_check(lw_wasi_from_ctx(ctx), ARG_U32(0), R_FD_READDIR, &e);
  if (r) RETURN_ERRNO(r);
  if (e->filetype != W_FILETYPE_DIRECTORY) RETURN_ERRNO(W_ENOTDIR);
  uint32_t buf = ARG_U32(1), buf_len = ARG_U32(2), used_ptr = ARG_U32(4);
  uint64_t cookie = ARG_U64(3);
  lw_wmem m = lw_wasi_memory(ctx);
  if (!wmem_ok(m, buf, buf_len) || !wmem_ok(m, used_ptr, 4)) RETURN_ERRNO(W_EFAULT);
  if (cookie == 0 || !e->dirents) {
    if ((r = load_dirents(e))) RETURN_ERRNO(r);
  }
  uint32_t used = 0;
  for (uint64_t i = cookie; i < e->dirents->count && used < buf_len; i++) {
    const dirent_entry *de = &e->dirents->entries[i];
    uint8_t header[24];
    memset(header, 0, sizeof header);
    uint64_t next = i + 1;
    memcpy(header, &next, 8);
    memcpy(header + 8, &de->ino, 8);
    memcpy(header + 16, &de->name_len, 4);
    header[20] = de->type;
    /* entries that do not fit are cut at the buffer's end: a full buffer tells the guest to
     * come back (with a bigger buffer or the last complete entry's cookie) */
    uint32_t n = buf_len - used < 24 ? buf_len - used : 24;
    memcpy(m.base + buf + used, header, n);
    used += n;
    n = buf_len - used < de->name_len ? buf_len - used : de->name_len;
    memcpy(m.base + buf + used, de->name, n);
    used += n;
  }
  wmem_put_u32(m, used_ptr, used);
  RETURN_ERRNO(0);
}

const lw_wasi_def lw_wasi_defs_fd[] = {
    {"fd_advise", "iIIi:i", fd_advise, NULL},
    {"fd_allocate", "iII:i", fd_allocate, NULL},
    {"fd_close", "i:i", fd_close, NULL},
    {"fd_datasync", "i:i", fd_datasync, NULL},
    {"fd_fdstat_get", "ii:i", fd_fdstat_get, NULL},
    {"fd_fdstat_set_flags", "ii:i", fd_fdstat_set_flags, NULL},
    {"fd_fdstat_set_rights", "iII:i", fd_fdstat_set_rights, NULL},
    {"fd_filestat_get", "ii:i", fd_filestat_get, fd_filestat_get_unstable},
    {"fd_filestat_set_size", "iI:i", fd_filestat_set_size, NULL},
    {"fd_filestat_set_times", "iIIi:i", fd_filestat_set_times, NULL},
    {"fd_pread", "iiiIi:i", fd_pread, NULL},
    {"fd_prestat_get", "ii:i", fd_prestat_get, NULL},
    {"fd_prestat_dir_name", "iii:i", fd_prestat_dir_name, NULL},
    {"fd_pwrite", "iiiIi:i", fd_pwrite, NULL},
    {"fd_read", "iiii:i", fd_read, NULL},
    {"fd_readdir", "iiiIi:i", fd_readdir, NULL},
    {"fd_renumber", "ii:i", fd_renumber, NULL},
    {"fd_seek", "iIii:i", fd_seek, fd_seek_unstable},
    {"fd_sync", "i:i", fd_sync, NULL},
    {"fd_tell", "ii:i", fd_tell, NULL},
    {"fd_write", "iiii:i", fd_write, NULL},
    {NULL, NULL, NULL, NULL},
};
