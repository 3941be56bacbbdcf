/* args_get, args_sizes_get, environ_get, environ_sizes_get: the guest's argv and environment,
 * laid out as an array of guest pointers into one buffer of NUL-terminated strings. */
#include "wasi_internal.h"

static uint16_t sizes_get(lw_host_ctx *ctx, int count, char **strings, uint32_t count_ptr,
                          uint32_t size_ptr) {
  lw_wmem m = lw_wasi_memory(ctx);
  if (!wmem_ok(m, count_ptr, 4) || !wmem_ok(m, size_ptr, 4)) return W_EFAULT;
  uint64_t total = 0;
  for (int i = 0; i < count; i++) total += strlen(strings[i]) + 1;
  if (total > UINT32_MAX) return W_EOVERFLOW;
  wmem_put_u32(m, count_ptr, (uint32_t)count);
  wmem_put_u32(m, size_ptr, (uint32_t)total);
  return 0;
}

static uint16_t strings_get(lw_host_ctx *ctx, int count, char **strings, uint32_t array_ptr,
                            uint32_t buf_ptr) {
  lw_wmem m = lw_wasi_memory(ctx);
  uint64_t total = 0;
  for (int i = 0; i < count; i++) total += strlen(strings[i]) + 1;
  if (!wmem_ok(m, array_ptr, (uint64_t)count * 4) || !wmem_ok(m, buf_ptr, total))
    return W_EFAULT;
  uint32_t at = buf_ptr;
  for (int i = 0; i < count; i++) {
    size_t n = strlen(strings[i]) + 1;
    wmem_put_u32(m, array_ptr + 4u * (uint32_t)i, at);
    memcpy(m.base + at, strings[i], n);
    at += (uint32_t)n;
  }
  return 0;
}

static lw_status args_sizes_get(lw_host_ctx *ctx, uint64_t *slots) {
  lw_wasi *w = lw_wasi_from_ctx(ctx);
  RETURN_ERRNO(sizes_get(ctx, w->argc, w->argv, ARG_U32(0), ARG_U32(1)));
}
static lw_status args_get(lw_host_ctx *ctx, uint64_t *slots) {
  lw_wasi *w = lw_wasi_from_ctx(ctx);
  RETURN_ERRNO(strings_get(ctx, w->argc, w->argv, ARG_U32(0), ARG_U32(1)));
}
static lw_status environ_sizes_get(lw_host_ctx *ctx, uint64_t *slots) {
  lw_wasi *w = lw_wasi_from_ctx(ctx);
  RETURN_ERRNO(sizes_get(ctx, w->envc, w->envp, ARG_U32(0), ARG_U32(1)));
}
static lw_status environ_get(lw_host_ctx *ctx, uint64_t *slots) {
  lw_wasi *w = lw_wasi_from_ctx(ctx);
  RETURN_ERRNO(strings_get(ctx, w->envc, w->envp, ARG_U32(0), ARG_U32(1)));
}

const lw_wasi_def lw_wasi_defs_args_env[] = {
    {"args_get", "ii:i", args_get, NULL},
    {"args_sizes_get", "ii:i", args_sizes_get, NULL},
    {"environ_get", "ii:i", environ_get, NULL},
    {"environ_sizes_get", "ii:i", environ_sizes_get, NULL},
    {NULL, NULL, NULL, NULL},
};
