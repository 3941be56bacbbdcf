/* Sockets: sock_accept, sock_recv, sock_send, sock_shutdown. Guests get sockets only when
 * the host hands one in (e.g. as stdin); everything else is ENOTSOCK, a bad fd EBADF. */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi_internal.h"

static bool is_socket(const lw_wasi_fd *e) {
  /* borrowed stdio is never a socket to the guest (see setup_stdio) */
  return e->owned &&
         (e->filetype == W_FILETYPE_SOCKET_STREAM || e->filetype == W_FILETYPE_SOCKET_DGRAM);
}

static uint16_t socket_fd(lw_host_ctx *ctx, uint32_t fd, uint64_t rights, lw_wasi_fd **out) {
  lw_wasi_fd *e = lw_wasi_get_fd(lw_wasi_from_ctx(ctx), fd);
  *out = e;
  if (!e) return W_EBADF;
  if (!is_socket(e)) return W_ENOTSOCK;
  if ((e->rights_base & rights) != rights) return W_ENOTCAPABLE;
  return 0;
}

/* The guest's iovecs as a msghdr (msg_iov malloc'd; free it after the call). */
static uint16_t gather(lw_wmem m, uint32_t iovs, uint32_t count, struct msghdr *msg) {
  memset(msg, 0, sizeof *msg);
  struct iovec *v;
  int n;
  uint16_t r = lw_wasi_gather_iovs(m, iovs, count, &v, &n);
  if (r) return r;
  msg->msg_iov = v;
  msg->msg_iovlen = (size_t)n;
  return 0;
}

static lw_status sock_accept(lw_host_ctx *ctx, uint64_t *slots) {
  lw_wasi_fd *e;
  uint16_t r = socket_fd(ctx, ARG_U32(0), R_SOCK_ACCEPT, &e);
  if (r) RETURN_ERRNO(r);
  uint32_t flags = ARG_U32(1);
  if (flags & ~(uint32_t)W_FDFLAG_NONBLOCK) RETURN_ERRNO(W_EINVAL);
  lw_wmem m = lw_wasi_memory(ctx);
  if (!wmem_ok(m, ARG_U32(2), 4)) RETURN_ERRNO(W_EFAULT);
  int host = accept4(e->host_fd, NULL, NULL,
                     SOCK_CLOEXEC | ((flags & W_FDFLAG_NONBLOCK) ? SOCK_NONBLOCK : 0));
  if (host < 0) RETURN_ERRNO(lw_wasi_errno_from_host(errno));
  lw_wasi *w = lw_wasi_from_ctx(ctx);
  uint32_t fd;
  if ((r = lw_wasi_fd_alloc(w, &fd))) {
    close(host);
    RETURN_ERRNO(r);
  }
  lw_wasi_fd *n = &w->fds[fd];
  n->owned = true;
  n->host_fd = host;
  n->filetype = W_FILETYPE_SOCKET_STREAM;
  n->fdflags = (uint16_t)flags;
  n->rights_base = R_SOCKET & ~R_SOCK_ACCEPT;
  wmem_put_u32(m, ARG_U32(2), fd);
  RETURN_ERRNO(0);
}

static lw_status sock_recv(lw_host_ctx *ctx, uint64_t *slots) {
  lw_wasi_fd *e;
  uint16_t r = socket_fd(ctx, ARG_U32(0), R_FD_READ, &e);
  if (r) RETURN_ERRNO(r);
  uint32_t riflags = ARG_U32(3);
  if (riflags & ~3u) RETURN_ERRNO(W_EINVAL);
  lw_wmem m = lw_wasi_memory(ctx);
  if (!wmem_ok(m, ARG_U32(4), 4) || !wmem_ok(m, ARG_U32(5), 2)) RETURN_ERRNO(W_EFAULT);
  struct msghdr msg;
  if ((r = gather(m, ARG_U32(1), ARG_U32(2), &msg))) RETURN_ERRNO(r);
  int flags = ((riflags & 1) ? MSG_PEEK : 0) | ((riflags & 2) ? MSG_WAITALL : 0);
  ssize_t got;
  do got = recvmsg(e->host_fd, &msg, flags);
  while (got < 0 && errno == EINTR);
  int saved = errno;
  free(msg.msg_iov);
  if (got < 0) RETURN_ERRNO(lw_wasi_errno_from_host(saved));
  wmem_put_u32(m, ARG_U32(4), (uint32_t)got);
  wmem_put_u16(m, ARG_U32(5), (msg.msg_flags & MSG_TRUNC) ? 1 : 0); /* RECV_DATA_TRUNCATED */
  RETURN_ERRNO(0);
}

static lw_status sock_send(lw_host_ctx *ctx, uint64_t *slots) {
  lw_wasi_fd *e;
  uint16_t r = socket_fd(ctx, ARG_U32(0), R_FD_WRITE, &e);
  if (r) RETURN_ERRNO(r);
  lw_wmem m = lw_wasi_memory(ctx);
  if (!wmem_ok(m, ARG_U32(4), 4)) RETURN_ERRNO(W_EFAULT);
  struct msghdr msg;
  if ((r = gather(m, ARG_U32(1), ARG_U32(2), &msg))) RETURN_ERRNO(r);
  ssize_t put;
  do put = sendmsg(e->host_fd, &msg, MSG_NOSIGNAL);
  while (put < 0 && errno == EINTR);
  int saved = errno;
  free(msg.msg_iov);
  if (put < 0) RETURN_ERRNO(lw_wasi_errno_from_host(saved));
  wmem_put_u32(m, ARG_U32(4), (uint32_t)put);
  RETURN_ERRNO(0);
}

static lw_status sock_shutdown(lw_host_ctx *ctx, uint64_t *slots) {
  lw_wasi_fd *e;
  uint16_t r = socket_fd(ctx, ARG_U32(0), R_SOCK_SHUTDOWN, &e);
  if (r) RETURN_ERRNO(r);
  int how;
  switch (ARG_U32(1)) {
  case 1: how = SHUT_RD; break;
  case 2: how = SHUT_WR; break;
  case 3: how = SHUT_RDWR; break;
  default: RETURN_ERRNO(W_EINVAL);
  }
  if (shutdown(e->host_fd, how) != 0) RETURN_ERRNO(lw_wasi_errno_from_host(errno));
  RETURN_ERRNO(0);
}

const lw_wasi_def lw_wasi_defs_sock[] = {
    {"sock_accept", "iii:i", sock_accept, NULL},
    {"sock_recv", "iiiiii:i", sock_recv, NULL},
    {"sock_send", "iiiii:i", sock_send, NULL},
    {"sock_shutdown", "ii:i", sock_shutdown, NULL},
    {NULL, NULL, NULL, NULL},
};
