/* The `env` library (fluent-bit-wasm.md section 5): the libc functions that C filters built
 * with -nostdlib -Wl,--allow-undefined import from module "env", as WAMR's built-in library
 * provides them. Every guest pointer is checked against the guest memory; a bad one traps the
 * call with a message naming the function, never touches host memory. */
#ifndef LW_FB_ENV_LIBC_H
#define LW_FB_ENV_LIBC_H

#include "guest_heap.h"
#include "msgpack.h" /* lw_buf */

typedef struct lw_env_ctx {
  lw_guest_heap *heap; /* malloc family; NULL = every allocation fails (returns 0) */
  int stdout_fd;       /* printf, puts, putchar */
  lw_buf scratch;      /* printf output, reused; free with lw_buf_free when done */
} lw_env_ctx;

/* Define every env function in linker (host functions owned by store). ctx must outlive the
 * store's use of them. */
lw_status lw_env_define(lw_env_ctx *ctx, lw_store *store, lw_linker *linker, lw_error *err);

/* True when name is one of the env functions this library provides. */
bool lw_env_provides(const char *name);

/* The printf engine: format the NUL-terminated guest string at fmt with arguments read from
 * the guest va_list area at va, appending to out. Returns NULL or a reason ("format string
 * outside guest memory", "%s argument 0x... is not a string inside guest memory", ...). */
const char *lw_env_format(const uint8_t *mem, uint64_t mem_size, uint32_t fmt, uint32_t va,
                          lw_buf *out);

#endif
