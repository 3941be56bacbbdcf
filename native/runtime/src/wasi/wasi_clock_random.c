/* Clocks, randomness, scheduling and process exit: clock_res_get, clock_time_get, random_get,
 * sched_yield, proc_exit, proc_raise. */
#include <errno.h>
#include <sched.h>
#include <sys/random.h>
#include <time.h>

#include "wasi_internal.h"

/* WASI clock ids 0..3 map to the host's; anything else is EINVAL. */
static bool host_clock(uint32_t id, clockid_t *out) {
  switch (id) {
  case 0: *out = CLOCK_REALTIME; return true;
  case 1: *out = CLOCK_MONOTONIC; return true;
  case 2: *out = CLOCK_PROCESS_CPUTIME_ID; return true;
  case 3: *out = CLOCK_THREAD_CPUTIME_ID; return true;
  default: return false;
  }
}

static lw_status clock_res_get(lw_host_ctx *ctx, uint64_t *slots) {
  clockid_t clock;
  if (!host_clock(ARG_U32(0), &clock)) RETURN_ERRNO(W_EINVAL);
  lw_wmem m = lw_wasi_memory(ctx);
  if (!wmem_ok(m, ARG_U32(1), 8)) RETURN_ERRNO(W_EFAULT);
  struct timespec ts;
  if (clock_getres(clock, &ts) != 0) RETURN_ERRNO(lw_wasi_errno_from_host(errno));
  uint64_t ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
  wmem_put_u64(m, ARG_U32(1), ns ? ns : 1);
  RETURN_ERRNO(0);
}

static lw_status clock_time_get(lw_host_ctx *ctx, uint64_t *slots) {
  clockid_t clock;
  if (!host_clock(ARG_U32(0), &clock)) RETURN_ERRNO(W_EINVAL);
  /* slots[1] is the precision hint, not needed: the host clocks are as fine as they get */
  lw_wmem m = lw_wasi_memory(ctx);
  if (!wmem_ok(m, ARG_U32(2), 8)) RETURN_ERRNO(W_EFAULT);
  struct timespec ts;
  if (clock_gettime(clock, &ts) != 0) RETURN_ERRNO(lw_wasi_errno_from_host(errno));
  wmem_put_u64(m, ARG_U32(2), (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
  RETURN_ERRNO(0);
}

static lw_status random_get(lw_host_ctx *ctx, uint64_t *slots) {
  uint32_t ptr = ARG_U32(0), len = ARG_U32(1);
  lw_wmem m = lw_wasi_memory(ctx);
  if (!wmem_ok(m, ptr, len)) RETURN_ERRNO(W_EFAULT);
  uint32_t done = 0;
  while (done < len) {
    ssize_t n = getrandom(m.base + ptr + done, len - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      RETURN_ERRNO(lw_wasi_errno_from_host(errno));
    }
    done += (uint32_t)n;
  }
  RETURN_ERRNO(0);
}

static lw_status sched_yield_fn(lw_host_ctx *ctx, uint64_t *slots) {
  sched_yield();
  RETURN_ERRNO(0);
}

/* A clean end of the program: lw_call returns LW_ERR_EXIT with the code. */
static lw_status proc_exit(lw_host_ctx *ctx, uint64_t *slots) {
  return lw_host_exit(ctx, (int)ARG_U32(0));
}

/* Signals do not exist in the sandbox; preview1 deprecated this call. */
static lw_status proc_raise(lw_host_ctx *ctx, uint64_t *slots) { RETURN_ERRNO(W_ENOSYS); }

const lw_wasi_def lw_wasi_defs_clock_random[] = {
    {"clock_res_get", "ii:i", clock_res_get, NULL},
    {"clock_time_get", "iIi:i", clock_time_get, NULL},
    {"random_get", "ii:i", random_get, NULL},
    {"sched_yield", ":i", sched_yield_fn, NULL},
    {"proc_exit", "i:", proc_exit, NULL},
    {"proc_raise", "i:i", proc_raise, NULL},
    {NULL, NULL, NULL, NULL},
};
