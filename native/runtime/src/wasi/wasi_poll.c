/* poll_oneoff: wait for clock timeouts and fd read/write readiness.
 *
 * Regular files and captured stdout are always ready (as POSIX poll says for files); other
 * descriptors are waited on with ppoll. Long waits are cut into slices so that an interrupt
 * or deadline set on the store (lw_store_interrupt, --timeout-ms) ends a sleeping guest too. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>

#include "runtime.h"
#include "wasi_internal.h"

/* preview1: subscription 48 bytes, clock {id u32 @16, timeout @24, precision @32, flags @40};
 * wasi_unstable: 56 bytes, clock {identifier u64 @16, id u32 @24, timeout @32, precision @40,
 * flags @48}. fd subscriptions and events are the same in both. */
typedef struct sub_layout {
  uint32_t size, clock_id, timeout, flags;
} sub_layout;
static const sub_layout preview1_layout = {48, 16, 24, 40};
static const sub_layout unstable_layout = {56, 24, 32, 48};
#define EVENT_SIZE 32
#define SLICE_NS 50000000ull /* how often a long wait checks the store's interrupt flag */

enum { EV_CLOCK = 0, EV_FD_READ = 1, EV_FD_WRITE = 2 };

typedef struct sub_state {
  uint64_t userdata;
  uint8_t type;
  bool ready;           /* an event is already decided (error or always-ready fd) */
  uint16_t error;
  uint64_t nbytes;
  uint16_t rwflags;
  uint64_t timeout_ns;  /* clocks: relative time until it fires */
  int poll_index;       /* fds waited on: index in the pollfd array, else -1 */
} sub_state;

static uint64_t now_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void put_event(lw_wmem m, uint32_t p, const sub_state *s) {
  memset(m.base + p, 0, EVENT_SIZE);
  wmem_put_u64(m, p, s->userdata);
  wmem_put_u16(m, p + 8, s->error);
  wmem_put_u8(m, p + 10, s->type);
  if (s->type != EV_CLOCK) {
    wmem_put_u64(m, p + 16, s->nbytes);
    wmem_put_u16(m, p + 24, s->rwflags);
  }
}

/* The trap the interpreter raises at a loop back-edge when the store is interrupted. */
static lw_status interrupted_trap(lw_host_ctx *ctx, const char *where) {
  lw_status st = lw_host_trap(ctx, "%s while waiting in %s", lw_trap_text(LW_TRAP_INTERRUPTED),
                              where);
  if (ctx->err) ctx->err->trap = LW_TRAP_INTERRUPTED;
  return st;
}

static lw_status poll_common(lw_host_ctx *ctx, uint64_t *slots, const sub_layout *layout) {
  uint32_t in = ARG_U32(0), out = ARG_U32(1), nsubs = ARG_U32(2), nevents_ptr = ARG_U32(3);
  if (nsubs == 0) RETURN_ERRNO(W_EINVAL);
  lw_wmem m = lw_wasi_memory(ctx);
  if (!wmem_ok(m, in, (uint64_t)nsubs * layout->size) ||
      !wmem_ok(m, out, (uint64_t)nsubs * EVENT_SIZE) || !wmem_ok(m, nevents_ptr, 4))
    RETURN_ERRNO(W_EFAULT);
  lw_wasi *w = lw_wasi_from_ctx(ctx);
  sub_state *subs = calloc(nsubs, sizeof *subs);
  struct pollfd *pfds = calloc(nsubs, sizeof *pfds);
  if (!subs || !pfds) {
    free(subs);
    free(pfds);
    RETURN_ERRNO(W_ENOMEM);
  }
  nfds_t npfds = 0;
  bool any_ready = false;
  uint64_t wait_ns = UINT64_MAX;
  uint16_t result = 0;

  for (uint32_t i = 0; i < nsubs && result == 0; i++) {
    uint32_t p = in + i * layout->size;
    sub_state *s = &subs[i];
    s->userdata = wmem_u64(m, p);
    s->type = m.base[p + 8];
    s->poll_index = -1;
    if (s->type == EV_CLOCK) {
      uint32_t clock_id = wmem_u32(m, p + layout->clock_id);
      uint64_t timeout = wmem_u64(m, p + layout->timeout);
      uint16_t flags = wmem_u16(m, p + layout->flags);
      clockid_t clock;
      switch (clock_id) {
      case 0: clock = CLOCK_REALTIME; break;
      case 1: clock = CLOCK_MONOTONIC; break;
      case 2: clock = CLOCK_PROCESS_CPUTIME_ID; break;
      case 3: clock = CLOCK_THREAD_CPUTIME_ID; break;
      default:
        s->ready = true;
        s->error = W_EINVAL;
        any_ready = true;
        continue;
      }
      if (flags & 1) { /* absolute time on that clock */
        uint64_t now = now_ns(clock);
        s->timeout_ns = timeout > now ? timeout - now : 0;
      } else {
        s->timeout_ns = timeout;
      }
      if (s->timeout_ns < wait_ns) wait_ns = s->timeout_ns;
    } else if (s->type == EV_FD_READ || s->type == EV_FD_WRITE) {
      lw_wasi_fd *e = lw_wasi_get_fd(w, wmem_u32(m, p + 16));
      if (!e) {
        s->ready = true;
        s->error = W_EBADF;
        any_ready = true;
      } else if (e->captured || e->filetype == W_FILETYPE_REGULAR_FILE ||
                 e->filetype == W_FILETYPE_DIRECTORY) {
        s->ready = true;
        any_ready = true;
      } else {
        s->poll_index = (int)npfds;
        pfds[npfds].fd = e->host_fd;
        pfds[npfds].events = s->type == EV_FD_READ ? POLLIN : POLLOUT;
        npfds++;
      }
    } else {
      result = W_EINVAL;
    }
  }

  lw_instance *caller = lw_host_caller(ctx);
  lw_store *store = caller ? lw_instance_store(caller) : NULL;
  uint64_t start = now_ns(CLOCK_MONOTONIC);
  bool timed_out = false, fd_ready = false;
  while (result == 0 && !any_ready) {
    uint64_t elapsed = now_ns(CLOCK_MONOTONIC) - start;
    uint64_t remaining = wait_ns == UINT64_MAX ? UINT64_MAX
                         : wait_ns > elapsed   ? wait_ns - elapsed
                                               : 0;
    uint64_t slice = remaining;
    if (store && slice > SLICE_NS) slice = SLICE_NS;
    struct timespec ts = {(time_t)(slice / 1000000000ull), (long)(slice % 1000000000ull)};
    int rc = ppoll(npfds ? pfds : NULL, npfds, slice == UINT64_MAX ? NULL : &ts, NULL);
    if (rc < 0) {
      if (errno == EINTR) continue;
      result = lw_wasi_errno_from_host(errno);
      break;
    }
    if (rc > 0) {
      fd_ready = true;
      break;
    }
    if (remaining <= slice) {
      timed_out = true;
      break;
    }
    if (store && lw_store_should_stop(store)) {
      /* The same trap the interpreter raises at a loop back-edge: the guest may otherwise
       * simply return after the wait, and the interrupt or deadline would go unnoticed. */
      free(subs);
      free(pfds);
      return interrupted_trap(ctx, "poll_oneoff");
    }
  }
  if (result) {
    free(subs);
    free(pfds);
    RETURN_ERRNO(result);
  }

  uint32_t count = 0;
  uint64_t elapsed = now_ns(CLOCK_MONOTONIC) - start;
  for (uint32_t i = 0; i < nsubs; i++) {
    sub_state *s = &subs[i];
    bool emit = s->ready;
    if (!emit && s->poll_index >= 0 && fd_ready) {
      short rev = pfds[s->poll_index].revents;
      if (rev & POLLNVAL) {
        s->error = W_EBADF;
        emit = true;
      } else if (rev & (POLLIN | POLLOUT | POLLHUP | POLLERR)) {
        emit = true;
        if (rev & POLLHUP) s->rwflags = 1; /* EVENTRWFLAGS_FD_READWRITE_HANGUP */
        if (s->type == EV_FD_READ) {
          int avail = 0;
          if (ioctl(pfds[s->poll_index].fd, FIONREAD, &avail) == 0 && avail > 0)
            s->nbytes = (uint64_t)avail;
        }
      }
    }
    if (!emit && s->type == EV_CLOCK && (timed_out || fd_ready) && s->timeout_ns <= elapsed)
      emit = true;
    if (emit) put_event(m, out + count++ * EVENT_SIZE, s);
  }
  free(subs);
  free(pfds);
  wmem_put_u32(m, nevents_ptr, count);
  RETURN_ERRNO(0);
}

lw_status lw_wasi_wait_stream(lw_host_ctx *ctx, const lw_wasi_fd *e, bool for_write,
                              uint16_t *wasi_errno) {
  *wasi_errno = 0;
  if (e->captured || e->filetype == W_FILETYPE_REGULAR_FILE ||
      e->filetype == W_FILETYPE_DIRECTORY || e->filetype == W_FILETYPE_BLOCK_DEVICE)
    return LW_OK;
  struct pollfd pfd = {.fd = e->host_fd, .events = for_write ? POLLOUT : POLLIN};
  bool nonblocking = (e->fdflags & W_FDFLAG_NONBLOCK) != 0;
  if (nonblocking && e->owned) return LW_OK; /* the host fd itself is non-blocking */
  lw_instance *caller = lw_host_caller(ctx);
  lw_store *store = caller ? lw_instance_store(caller) : NULL;
  for (;;) {
    /* borrowed stdio the guest made non-blocking: answer EAGAIN without touching the host's
     * own file flags */
    int rc = poll(&pfd, 1, nonblocking ? 0 : (store ? (int)(SLICE_NS / 1000000u) : -1));
    if (rc > 0) return LW_OK; /* ready, hung up or in error: the read/write will tell */
    if (rc < 0 && errno != EINTR) return LW_OK;
    if (rc == 0 && nonblocking) {
      *wasi_errno = W_EAGAIN;
      return LW_OK;
    }
    if (store && lw_store_should_stop(store))
      return interrupted_trap(ctx, for_write ? "fd_write" : "fd_read");
  }
}

static lw_status poll_oneoff(lw_host_ctx *ctx, uint64_t *slots) {
  return poll_common(ctx, slots, &preview1_layout);
}
static lw_status poll_oneoff_unstable(lw_host_ctx *ctx, uint64_t *slots) {
  return poll_common(ctx, slots, &unstable_layout);
}

const lw_wasi_def lw_wasi_defs_poll[] = {
    {"poll_oneoff", "iiii:i", poll_oneoff, poll_oneoff_unstable},
    {NULL, NULL, NULL, NULL},
};
