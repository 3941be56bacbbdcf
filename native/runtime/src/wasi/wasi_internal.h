/* WASI preview1 internals shared by the src/wasi/ files: the ABI constants, the guest fd
 * table, guest memory access and errno mapping. */
#ifndef LW_WASI_INTERNAL_H
#define LW_WASI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "logwasm.h"
#include "logwasm_wasi.h"

/* ---- preview1 ABI constants ------------------------------------------------------------- */

enum {
  W_ESUCCESS = 0, W_E2BIG = 1, W_EACCES = 2, W_EADDRINUSE = 3, W_EADDRNOTAVAIL = 4,
  W_EAFNOSUPPORT = 5, W_EAGAIN = 6, W_EALREADY = 7, W_EBADF = 8, W_EBADMSG = 9, W_EBUSY = 10,
  W_ECANCELED = 11, W_ECHILD = 12, W_ECONNABORTED = 13, W_ECONNREFUSED = 14,
  W_ECONNRESET = 15, W_EDEADLK = 16, W_EDESTADDRREQ = 17, W_EDOM = 18, W_EDQUOT = 19,
  W_EEXIST = 20, W_EFAULT = 21, W_EFBIG = 22, W_EHOSTUNREACH = 23, W_EIDRM = 24,
  W_EILSEQ = 25, W_EINPROGRESS = 26, W_EINTR = 27, W_EINVAL = 28, W_EIO = 29, W_EISCONN = 30,
  W_EISDIR = 31, W_ELOOP = 32, W_EMFILE = 33, W_EMLINK = 34, W_EMSGSIZE = 35,
  W_EMULTIHOP = 36, W_ENAMETOOLONG = 37, W_ENETDOWN = 38, W_ENETRESET = 39,
  W_ENETUNREACH = 40, W_ENFILE = 41, W_ENOBUFS = 42, W_ENODEV = 43, W_ENOENT = 44,
  W_ENOEXEC = 45, W_ENOLCK = 46, W_ENOLINK = 47, W_ENOMEM = 48, W_ENOMSG = 49,
  W_ENOPROTOOPT = 50, W_ENOSPC = 51, W_ENOSYS = 52, W_ENOTCONN = 53, W_ENOTDIR = 54,
  W_ENOTEMPTY = 55, W_ENOTRECOVERABLE = 56, W_ENOTSOCK = 57, W_ENOTSUP = 58, W_ENOTTY = 59,
  W_ENXIO = 60, W_EOVERFLOW = 61, W_EOWNERDEAD = 62, W_EPERM = 63, W_EPIPE = 64,
  W_EPROTO = 65, W_EPROTONOSUPPORT = 66, W_EPROTOTYPE = 67, W_ERANGE = 68, W_EROFS = 69,
  W_ESPIPE = 70, W_ESRCH = 71, W_ESTALE = 72, W_ETIMEDOUT = 73, W_ETXTBSY = 74,
  W_EXDEV = 75, W_ENOTCAPABLE = 76
};

#define W_RIGHT(n) ((uint64_t)1 << (n))
#define R_FD_DATASYNC W_RIGHT(0)
#define R_FD_READ W_RIGHT(1)
#define R_FD_SEEK W_RIGHT(2)
#define R_FD_FDSTAT_SET_FLAGS W_RIGHT(3)
#define R_FD_SYNC W_RIGHT(4)
#define R_FD_TELL W_RIGHT(5)
#define R_FD_WRITE W_RIGHT(6)
#define R_FD_ADVISE W_RIGHT(7)
#define R_FD_ALLOCATE W_RIGHT(8)
#define R_PATH_CREATE_DIRECTORY W_RIGHT(9)
#define R_PATH_CREATE_FILE W_RIGHT(10)
#define R_PATH_LINK_SOURCE W_RIGHT(11)
#define R_PATH_LINK_TARGET W_RIGHT(12)
#define R_PATH_OPEN W_RIGHT(13)
#define R_FD_READDIR W_RIGHT(14)
#define R_PATH_READLINK W_RIGHT(15)
#define R_PATH_RENAME_SOURCE W_RIGHT(16)
#define R_PATH_RENAME_TARGET W_RIGHT(17)
#define R_PATH_FILESTAT_GET W_RIGHT(18)
#define R_PATH_FILESTAT_SET_SIZE W_RIGHT(19)
#define R_PATH_FILESTAT_SET_TIMES W_RIGHT(20)
#define R_FD_FILESTAT_GET W_RIGHT(21)
#define R_FD_FILESTAT_SET_SIZE W_RIGHT(22)
#define R_FD_FILESTAT_SET_TIMES W_RIGHT(23)
#define R_PATH_SYMLINK W_RIGHT(24)
#define R_PATH_REMOVE_DIRECTORY W_RIGHT(25)
#define R_PATH_UNLINK_FILE W_RIGHT(26)
#define R_POLL_FD_READWRITE W_RIGHT(27)
#define R_SOCK_SHUTDOWN W_RIGHT(28)
#define R_SOCK_ACCEPT W_RIGHT(29)
#define R_ALL (W_RIGHT(30) - 1)

/* What a directory descriptor can do (nothing that needs it opened for writing). */
#define R_DIRECTORY                                                                           \
  (R_FD_FDSTAT_SET_FLAGS | R_FD_SYNC | R_PATH_CREATE_DIRECTORY |                             \
   R_PATH_CREATE_FILE | R_PATH_LINK_SOURCE | R_PATH_LINK_TARGET | R_PATH_OPEN |               \
   R_FD_READDIR | R_PATH_READLINK | R_PATH_RENAME_SOURCE | R_PATH_RENAME_TARGET |             \
   R_PATH_FILESTAT_GET | R_PATH_FILESTAT_SET_SIZE | R_PATH_FILESTAT_SET_TIMES |               \
   R_FD_FILESTAT_GET | R_FD_FILESTAT_SET_TIMES | R_PATH_SYMLINK | R_PATH_REMOVE_DIRECTORY |   \
   R_PATH_UNLINK_FILE | R_POLL_FD_READWRITE)
/* What a regular file descriptor can do. */
#define R_REGULAR_FILE                                                                        \
  (R_FD_DATASYNC | R_FD_READ | R_FD_SEEK | R_FD_FDSTAT_SET_FLAGS | R_FD_SYNC | R_FD_TELL |   \
   R_FD_WRITE | R_FD_ADVISE | R_FD_ALLOCATE | R_FD_FILESTAT_GET | R_FD_FILESTAT_SET_SIZE |   \
   R_FD_FILESTAT_SET_TIMES | R_POLL_FD_READWRITE)
/* Terminals, pipes and other streams: no seeking (that is how wasi-libc's isatty decides). */
#define R_STREAM                                                                              \
  (R_FD_READ | R_FD_WRITE | R_FD_FDSTAT_SET_FLAGS | R_FD_FILESTAT_GET | R_FD_SYNC |          \
   R_FD_DATASYNC | R_POLL_FD_READWRITE)
#define R_SOCKET (R_STREAM | R_SOCK_SHUTDOWN | R_SOCK_ACCEPT)
/* Rights that need a host descriptor opened for writing. */
#define R_NEEDS_WRITE (R_FD_DATASYNC | R_FD_WRITE | R_FD_ALLOCATE | R_FD_FILESTAT_SET_SIZE)
#define R_NEEDS_READ (R_FD_READ | R_FD_READDIR)

enum {
  W_FILETYPE_UNKNOWN = 0, W_FILETYPE_BLOCK_DEVICE = 1, W_FILETYPE_CHARACTER_DEVICE = 2,
  W_FILETYPE_DIRECTORY = 3, W_FILETYPE_REGULAR_FILE = 4, W_FILETYPE_SOCKET_DGRAM = 5,
  W_FILETYPE_SOCKET_STREAM = 6, W_FILETYPE_SYMBOLIC_LINK = 7
};

#define W_FDFLAG_APPEND 1u
#define W_FDFLAG_DSYNC 2u
#define W_FDFLAG_NONBLOCK 4u
#define W_FDFLAG_RSYNC 8u
#define W_FDFLAG_SYNC 16u
#define W_OFLAG_CREAT 1u
#define W_OFLAG_DIRECTORY 2u
#define W_OFLAG_EXCL 4u
#define W_OFLAG_TRUNC 8u
#define W_LOOKUP_SYMLINK_FOLLOW 1u
#define W_FST_ATIM 1u
#define W_FST_ATIM_NOW 2u
#define W_FST_MTIM 4u
#define W_FST_MTIM_NOW 8u

/* ---- the instance state ------------------------------------------------------------------- */

typedef struct lw_wasi_dirent_cache lw_wasi_dirent_cache;

typedef struct lw_wasi_fd {
  bool used;
  bool owned;           /* close host_fd when the guest closes this fd */
  bool captured;        /* writes go to the capture buffer (fd 1 with capture_stdout) */
  uint8_t filetype;
  uint16_t fdflags;     /* as the guest set them */
  int host_fd;
  uint64_t rights_base, rights_inheriting;
  char *preopen_name;   /* non-NULL for preopened directories */
  lw_wasi_dirent_cache *dirents; /* fd_readdir snapshot */
} lw_wasi_fd;

struct lw_wasi {
  int argc, envc;
  char **argv, **envp;
  lw_wasi_fd *fds;
  uint32_t fd_count; /* slots allocated */
  uint8_t *captured;
  size_t captured_len, captured_cap;
};

#define LW_WASI_MAX_FDS 8192u

/* ---- guest memory: every access goes through these checks -------------------------------- */

typedef struct lw_wmem {
  uint8_t *base;
  uint64_t size;
} lw_wmem;

lw_wmem lw_wasi_memory(lw_host_ctx *ctx);
static inline bool wmem_ok(lw_wmem m, uint32_t ptr, uint64_t len) {
  return m.base != NULL && (uint64_t)ptr + len <= m.size;
}
static inline uint16_t wmem_u16(lw_wmem m, uint32_t p) { uint16_t v; memcpy(&v, m.base + p, 2); return v; }
static inline uint32_t wmem_u32(lw_wmem m, uint32_t p) { uint32_t v; memcpy(&v, m.base + p, 4); return v; }
static inline uint64_t wmem_u64(lw_wmem m, uint32_t p) { uint64_t v; memcpy(&v, m.base + p, 8); return v; }
static inline void wmem_put_u8(lw_wmem m, uint32_t p, uint8_t v) { m.base[p] = v; }
static inline void wmem_put_u16(lw_wmem m, uint32_t p, uint16_t v) { memcpy(m.base + p, &v, 2); }
static inline void wmem_put_u32(lw_wmem m, uint32_t p, uint32_t v) { memcpy(m.base + p, &v, 4); }
static inline void wmem_put_u64(lw_wmem m, uint32_t p, uint64_t v) { memcpy(m.base + p, &v, 8); }

/* Host function argument access (slots as in lw_host_fn). */
#define ARG_U32(i) ((uint32_t)slots[i])
#define ARG_U64(i) ((uint64_t)slots[i])
#define RETURN_ERRNO(e)                                                                       \
  do {                                                                                        \
    slots[0] = (uint64_t)(uint32_t)(e);                                                       \
    return LW_OK;                                                                             \
  } while (0)

/* ---- shared helpers (wasi_core.c) ----------------------------------------------------------- */

uint16_t lw_wasi_errno_from_host(int host_errno);
lw_wasi *lw_wasi_from_ctx(lw_host_ctx *ctx);
/* The open fd, or NULL. */
lw_wasi_fd *lw_wasi_get_fd(lw_wasi *wasi, uint32_t fd);
/* Look up fd and check rights: returns 0 or an errno (BADF, NOTCAPABLE). */
uint16_t lw_wasi_fd_check(lw_wasi *wasi, uint32_t fd, uint64_t rights, lw_wasi_fd **out);
/* Lowest free guest fd >= 3 for a new entry (zeroed, marked used); EMFILE/ENOMEM on failure. */
uint16_t lw_wasi_fd_alloc(lw_wasi *wasi, uint32_t *out_fd);
/* Close the entry (and the host fd when owned), leaving the slot free. */
void lw_wasi_fd_release(lw_wasi_fd *entry);
uint8_t lw_wasi_filetype_from_mode(unsigned mode);
/* The rights a descriptor of this type can have. */
uint64_t lw_wasi_rights_for_type(uint8_t filetype);
/* Append to the capture buffer; false when out of memory. */
bool lw_wasi_capture(lw_wasi *wasi, const uint8_t *data, size_t len);
/* Write a WASI filestat from a host struct stat (passed as void* to keep sys/stat.h out of
 * this header): 64 bytes in preview1; 56 in wasi_unstable, whose nlink is 32-bit. */
#define LW_FILESTAT_SIZE(unstable) ((unstable) ? 56u : 64u)
void lw_wasi_put_filestat(lw_wmem m, uint32_t ptr, const void *host_stat, bool unstable);
/* Copy a guest path out of memory into a NUL-terminated host string; errno on failure
 * (FAULT, INVAL for an embedded NUL). Free with free(). */
uint16_t lw_wasi_read_path(lw_wmem m, uint32_t ptr, uint32_t len, char **out);
/* Turn a guest iovec array into host iovecs pointing into guest memory (no copies), every
 * buffer bounds-checked; more than IOV_MAX (1024) is cut there, giving a short read/write.
 * *out is malloc'd (free it); returns 0 or an errno (FAULT, NOMEM). (wasi_fd.c) */
struct iovec;
uint16_t lw_wasi_gather_iovs(lw_wmem m, uint32_t iovs, uint32_t count, struct iovec **out,
                             int *out_count);

/* Validate fstflags and turn (atim, mtim, fstflags) into utimensat() times: 0 or INVAL. */
uint16_t lw_wasi_times(uint64_t atim, uint64_t mtim, uint32_t fstflags, struct timespec ts[2]);
void lw_wasi_dirents_free(lw_wasi_dirent_cache *cache);

/* Before a blocking read/write on a stream (pipe, terminal, socket): wait until it is ready
 * in slices, so that a store interrupt or deadline ends the wait with the "interrupted" trap
 * (returned status, to be returned by the host function). A guest-set NONBLOCK on borrowed
 * stdio (never applied to the host's descriptor) gives *wasi_errno = EAGAIN instead. */
lw_status lw_wasi_wait_stream(lw_host_ctx *ctx, const lw_wasi_fd *e, bool for_write,
                              uint16_t *wasi_errno);

/* ---- sandboxed path resolution (wasi_sandbox.c) ---------------------------------------- */

typedef struct lw_resolved {
  int dirfd;          /* directory that holds the final component */
  bool dirfd_owned;   /* close it with lw_resolved_release */
  char *name;         /* final component; "." for the directory itself; "name/" keeps a
                         trailing slash so the host call sees it */
} lw_resolved;

#define LW_SANDBOX_MAX_SYMLINKS 40

/* Resolve path (not NUL-terminated, path_len bytes) beneath base_fd, never leaving it.
 * follow_final: expand a symlink in the final position (SYMLINK_FOLLOW). Returns 0 or a WASI
 * errno: NOTCAPABLE for escapes (absolute path, ".." above base, symlink leading outside),
 * LOOP for too many symlinks, NOENT/NOTDIR/... from the host. */
uint16_t lw_sandbox_resolve(int base_fd, const char *path, size_t path_len, bool follow_final,
                            lw_resolved *out);
void lw_resolved_release(lw_resolved *r);

/* ---- the function groups, each registering its functions (wasi_*.c) ---------------------- */

typedef struct lw_wasi_def {
  const char *name;
  const char *sig;    /* params then ':' then results, 'i' = i32, 'I' = i64, e.g. "iI:i" */
  lw_host_fn fn;
  /* wasi_unstable (snapshot 0) differs from preview1 in three places: the filestat layout,
   * fd_seek's whence numbering and the subscription layout. Those functions have their own
   * variant here; NULL = the same function serves both names. */
  lw_host_fn unstable_fn;
} lw_wasi_def;

extern const lw_wasi_def lw_wasi_defs_args_env[];
extern const lw_wasi_def lw_wasi_defs_clock_random[];
extern const lw_wasi_def lw_wasi_defs_fd[];
extern const lw_wasi_def lw_wasi_defs_path[];
extern const lw_wasi_def lw_wasi_defs_poll[];
extern const lw_wasi_def lw_wasi_defs_sock[];

#endif
