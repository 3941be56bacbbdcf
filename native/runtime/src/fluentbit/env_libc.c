/* The `env` libc for -nostdlib C filters. wasm32 ABI facts this relies on: int, long, size_t
 * and pointers are 32-bit; a variadic call passes a pointer to an argument area where each
 * argument sits at its natural alignment (4 for 32-bit values, 8 for 64-bit integers and
 * doubles); long double (16 bytes) is not supported by the formatter. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "env_libc.h"
#include "module.h"

/* Largest field width / precision honoured; beyond it a guest format is almost certainly
 * garbage and would only make the host allocate. */
#define MAX_FIELD 65536

/* ---- guest memory access -------------------------------------------------------------------- */

static inline bool in_bounds(uint64_t mem_size, uint64_t addr, uint64_t n) {
  return addr <= mem_size && n <= mem_size - addr;
}

/* Length of the NUL-terminated string at addr, or -1 when no NUL lies inside memory. */
static int64_t guest_strlen(const uint8_t *mem, uint64_t mem_size, uint64_t addr) {
  if (addr >= mem_size) return -1;
  const uint8_t *nul = memchr(mem + addr, 0, mem_size - addr);
  return nul ? nul - (mem + addr) : -1;
}

/* ---- printf --------------------------------------------------------------------------------- */

typedef struct va_reader {
  const uint8_t *mem;
  uint64_t mem_size;
  uint64_t at; /* next argument's guest address (before alignment) */
} va_reader;

static bool va_next(va_reader *va, unsigned size, uint64_t *value) {
  uint64_t at = (va->at + size - 1) & ~(uint64_t)(size - 1);
  if (!in_bounds(va->mem_size, at, size)) return false;
  uint64_t v = 0;
  memcpy(&v, va->mem + at, size); /* wasm memory is little-endian, as are the hosts we build for */
  if (size == 4) v = (uint32_t)v;
  *value = v;
  va->at = at + size;
  return true;
}

static bool append_spaces(lw_buf *out, char fill, size_t n) {
  if (n == 0) return true;
  if (!lw_buf_reserve(out, n)) return false;
  memset(out->data + out->len, fill, n);
  out->len += n;
  return true;
}

static bool append_host_printf(lw_buf *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool append_host_printf(lw_buf *out, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char small[128];
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) return false;
  if ((size_t)n < sizeof small) return lw_buf_put(out, small, (size_t)n);
  if (!lw_buf_reserve(out, (size_t)n + 1)) return false;
  va_start(ap, fmt);
  vsnprintf((char *)out->data + out->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  out->len += (size_t)n;
  return true;
}

const char *lw_env_format(const uint8_t *mem, uint64_t mem_size, uint32_t fmt, uint32_t va,
                          lw_buf *out) {
  static _Thread_local char reason[128];
  int64_t fmt_len = guest_strlen(mem, mem_size, fmt);
  if (fmt_len < 0) return "format string is not a NUL-terminated string inside guest memory";
  const char *f = (const char *)mem + fmt;
  const char *end = f + fmt_len;
  va_reader args = {mem, mem_size, va};

  while (f < end) {
    const char *pct = memchr(f, '%', (size_t)(end - f));
    if (!pct) pct = end;
    if (!lw_buf_put(out, f, (size_t)(pct - f))) return "out of host memory";
    if (pct == end) break;
    const char *spec = pct;
    f = pct + 1;

    /* flags */
    char flags[8];
    size_t nflags = 0;
    while (f < end && strchr("-+ #0", *f) && nflags < sizeof flags - 1) flags[nflags++] = *f++;
    flags[nflags] = 0;
    bool left = memchr(flags, '-', nflags) != NULL;
    /* width */
    int64_t width = -1;
    if (f < end && *f == '*') {
      uint64_t v;
      if (!va_next(&args, 4, &v)) return "printf arguments run past the end of guest memory";
      int32_t w = (int32_t)(uint32_t)v;
      if (w < 0) { left = true; w = -w; if (!strchr(flags, '-')) { flags[nflags++] = '-'; flags[nflags] = 0; } }
      width = w;
      f++;
    } else {
      while (f < end && *f >= '0' && *f <= '9') {
        width = (width < 0 ? 0 : width) * 10 + (*f++ - '0');
        if (width > MAX_FIELD) return "printf field width too large";
      }
    }
    /* precision */
    int64_t precision = -1;
    if (f < end && *f == '.') {
      f++;
      precision = 0;
      if (f < end && *f == '*') {
        uint64_t v;
        if (!va_next(&args, 4, &v)) return "printf arguments run past the end of guest memory";
        int32_t p = (int32_t)(uint32_t)v;
        precision = p < 0 ? -1 : p;
        f++;
      } else {
        while (f < end && *f >= '0' && *f <= '9') {
          precision = precision * 10 + (*f++ - '0');
          if (precision > MAX_FIELD) return "printf precision too large";
        }
      }
    }
    if (width > MAX_FIELD || precision > MAX_FIELD) return "printf field width too large";
    /* length: only the size of the argument matters on wasm32 */
    int int_bits = 32;   /* argument size */
    int print_bits = 32; /* hh/h narrow what is printed */
    if (f < end && *f == 'h') {
      f++;
      print_bits = 16;
      if (f < end && *f == 'h') { f++; print_bits = 8; }
    } else if (f < end && *f == 'l') {
      f++;
      if (f < end && *f == 'l') { f++; int_bits = print_bits = 64; }
    } else if (f < end && (*f == 'j' || *f == 'q')) {
      f++;
      int_bits = print_bits = 64;
    } else if (f < end && (*f == 'z' || *f == 't')) {
      f++;
    }
    if (f >= end) {
      /* A lone trailing specifier is printed as written. */
      if (!lw_buf_put(out, spec, (size_t)(end - spec))) return "out of host memory";
      break;
    }
    char conv = *f++;
    char host_fmt[24];
    uint64_t raw;
    bool ok = true;
    switch (conv) {
    case '%':
      ok = lw_buf_byte(out, '%');
      break;
    case 'd': case 'i': case 'u': case 'o': case 'x': case 'X': {
      if (!va_next(&args, (unsigned)int_bits / 8, &raw))
        return "printf arguments run past the end of guest memory";
      bool is_signed = conv == 'd' || conv == 'i';
      snprintf(host_fmt, sizeof host_fmt, "%%%s*.*ll%c", flags, conv);
      int w = width < 0 ? 0 : (int)width, p = precision < 0 ? -1 : (int)precision;
      if (is_signed) {
        long long v = print_bits == 64 ? (long long)(int64_t)raw
                    : print_bits == 32 ? (long long)(int32_t)(uint32_t)raw
                    : print_bits == 16 ? (long long)(int16_t)(uint16_t)raw
                                       : (long long)(int8_t)(uint8_t)raw;
        ok = append_host_printf(out, host_fmt, w, p, v);
      } else {
        unsigned long long v = print_bits == 64 ? raw
                             : print_bits == 32 ? (uint32_t)raw
                             : print_bits == 16 ? (uint16_t)raw
                                                : (uint8_t)raw;
        ok = append_host_printf(out, host_fmt, w, p, v);
      }
      break;
    }
    case 'p': {
      if (!va_next(&args, 4, &raw)) return "printf arguments run past the end of guest memory";
      snprintf(host_fmt, sizeof host_fmt, "%%%s*s", left ? "-" : "");
      char text[16];
      snprintf(text, sizeof text, "0x%x", (uint32_t)raw);
      ok = append_host_printf(out, host_fmt, width < 0 ? 0 : (int)width, text);
      break;
    }
    case 'c': {
      if (!va_next(&args, 4, &raw)) return "printf arguments run past the end of guest memory";
      size_t pad = width > 1 ? (size_t)width - 1 : 0;
      ok = (left || append_spaces(out, ' ', pad)) && lw_buf_byte(out, (uint8_t)raw) &&
           (!left || append_spaces(out, ' ', pad));
      break;
    }
    case 's': {
      if (!va_next(&args, 4, &raw)) return "printf arguments run past the end of guest memory";
      const uint8_t *s;
      size_t n;
      if (raw == 0) {
        s = (const uint8_t *)"(null)";
        n = 6;
      } else {
        if (raw >= mem_size) {
          snprintf(reason, sizeof reason, "%%s argument 0x%x lies outside guest memory",
                   (uint32_t)raw);
          return reason;
        }
        s = mem + raw;
        size_t limit = mem_size - raw;
        if (precision >= 0 && (uint64_t)precision < limit) limit = (size_t)precision;
        const uint8_t *nul = memchr(s, 0, limit);
        if (!nul && (precision < 0 || (uint64_t)precision > mem_size - raw)) {
          snprintf(reason, sizeof reason,
                   "%%s argument 0x%x is not NUL-terminated inside guest memory", (uint32_t)raw);
          return reason;
        }
        n = nul ? (size_t)(nul - s) : limit;
      }
      if (precision >= 0 && (size_t)precision < n) n = (size_t)precision;
      size_t pad = width > 0 && (size_t)width > n ? (size_t)width - n : 0;
      ok = (left || append_spaces(out, ' ', pad)) && lw_buf_put(out, s, n) &&
           (!left || append_spaces(out, ' ', pad));
      break;
    }
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A': {
      if (!va_next(&args, 8, &raw)) return "printf arguments run past the end of guest memory";
      double d;
      memcpy(&d, &raw, 8);
      snprintf(host_fmt, sizeof host_fmt, "%%%s*.*%c", flags, conv);
      ok = append_host_printf(out, host_fmt, width < 0 ? 0 : (int)width,
                              precision < 0 ? -1 : (int)precision, d);
      break;
    }
    case 'n':
      /* Writing through a guest pointer from a format string is never needed by a filter. */
      if (!va_next(&args, 4, &raw)) return "printf arguments run past the end of guest memory";
      break;
    default:
      /* Unknown conversion: print the specification as written. */
      ok = lw_buf_put(out, spec, (size_t)(f - spec));
      break;
    }
    if (!ok) return "out of host memory";
  }
  return NULL;
}

/* ---- host functions ------------------------------------------------------------------------- */

#define ENV_FN(name) static lw_status env_##name(lw_host_ctx *ctx, uint64_t *slots)
#define ARG(i) ((uint32_t)slots[i])
#define RET(v) (slots[0] = (uint32_t)(v))
#define MEMORY()                                                                               \
  uint64_t mem_size;                                                                           \
  uint8_t *mem = lw_host_memory(ctx, &mem_size);                                               \
  if (!mem) mem_size = 0
#define CHECK_RANGE(fn, addr, n)                                                               \
  do {                                                                                         \
    if (!in_bounds(mem_size, (addr), (n)))                                                     \
      return lw_host_trap(ctx, "%s: %u bytes at 0x%x lie outside guest memory (%llu bytes)",   \
                          fn, (unsigned)(n), (unsigned)(addr), (unsigned long long)mem_size);  \
  } while (0)
#define STRLEN(fn, var, addr)                                                                  \
  int64_t var = guest_strlen(mem, mem_size, (addr));                                           \
  if (var < 0)                                                                                 \
    return lw_host_trap(ctx, "%s: 0x%x is not a NUL-terminated string inside guest memory",  \
                        fn, (unsigned)(addr))

static lw_env_ctx *env_of(lw_host_ctx *ctx) { return lw_host_user_data(ctx); }

static void write_all(int fd, const uint8_t *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return; /* a guest's output is best effort; a closed stdout must not fail the record */
    }
    p += w;
    n -= (size_t)w;
  }
}

ENV_FN(malloc) {
  lw_env_ctx *env = env_of(ctx);
  RET(env->heap ? lw_guest_heap_alloc(env->heap, ARG(0)) : 0);
  return LW_OK;
}

ENV_FN(calloc) {
  lw_env_ctx *env = env_of(ctx);
  uint64_t total = (uint64_t)ARG(0) * ARG(1);
  uint32_t addr = 0;
  if (env->heap && total <= UINT32_MAX) addr = lw_guest_heap_alloc(env->heap, (uint32_t)total);
  if (addr) {
    MEMORY();
    CHECK_RANGE("calloc", addr, total);
    memset(mem + addr, 0, (size_t)total);
  }
  RET(addr);
  return LW_OK;
}

ENV_FN(realloc) {
  lw_env_ctx *env = env_of(ctx);
  uint32_t old = ARG(0), n = ARG(1);
  if (!env->heap) { RET(0); return LW_OK; }
  if (old == 0) { RET(lw_guest_heap_alloc(env->heap, n)); return LW_OK; }
  uint32_t old_size = lw_guest_heap_block_size(env->heap, old);
  if (!old_size) return lw_host_trap(ctx, "realloc: 0x%x was not allocated by malloc", old);
  if (n <= old_size) { RET(old); return LW_OK; }
  uint32_t addr = lw_guest_heap_alloc(env->heap, n);
  if (addr) {
    MEMORY();
    CHECK_RANGE("realloc", addr, old_size);
    CHECK_RANGE("realloc", old, old_size);
    memmove(mem + addr, mem + old, old_size);
    lw_guest_heap_free(env->heap, old);
  }
  RET(addr);
  return LW_OK;
}

ENV_FN(free) {
  lw_env_ctx *env = env_of(ctx);
  /* free(NULL) and frees of unknown pointers are ignored, as WAMR does. */
  if (env->heap && ARG(0)) lw_guest_heap_free(env->heap, ARG(0));
  return LW_OK;
}

ENV_FN(strdup) {
  lw_env_ctx *env = env_of(ctx);
  MEMORY();
  STRLEN("strdup", n, ARG(0));
  uint32_t addr = env->heap && n < UINT32_MAX ? lw_guest_heap_alloc(env->heap, (uint32_t)n + 1) : 0;
  if (addr) {
    mem = lw_host_memory(ctx, &mem_size);
    CHECK_RANGE("strdup", addr, (uint64_t)n + 1);
    memcpy(mem + addr, mem + ARG(0), (size_t)n + 1);
  }
  RET(addr);
  return LW_OK;
}

/* printf family: format into format_buf, then deliver. */
static lw_status format_or_trap(lw_host_ctx *ctx, const char *fn, uint32_t fmt, uint32_t va) {
  MEMORY();
  lw_buf *format_buf = &env_of(ctx)->scratch; /* one filter is never entered concurrently */
  format_buf->len = 0;
  const char *why = lw_env_format(mem, mem_size, fmt, va, format_buf);
  if (why) return lw_host_trap(ctx, "%s: %s", fn, why);
  if (format_buf->len > INT32_MAX) return lw_host_trap(ctx, "%s: output too long", fn);
  return LW_OK;
}

static lw_status print_formatted(lw_host_ctx *ctx, uint64_t *slots, const char *fn, uint32_t fmt,
                                 uint32_t va) {
  lw_status st = format_or_trap(ctx, fn, fmt, va);
  if (st != LW_OK) return st;
  lw_buf *format_buf = &env_of(ctx)->scratch;
  write_all(env_of(ctx)->stdout_fd, format_buf->data, format_buf->len);
  RET(format_buf->len);
  return LW_OK;
}

static lw_status sprint_formatted(lw_host_ctx *ctx, uint64_t *slots, const char *fn,
                                  uint32_t dst, bool bounded, uint32_t size, uint32_t fmt,
                                  uint32_t va) {
  lw_status st = format_or_trap(ctx, fn, fmt, va);
  if (st != LW_OK) return st;
  MEMORY();
  const lw_buf *format_buf = &env_of(ctx)->scratch;
  size_t n = format_buf->len;
  if (!bounded) {
    CHECK_RANGE(fn, dst, (uint64_t)n + 1);
    memcpy(mem + dst, format_buf->data, n);
    mem[dst + n] = 0;
  } else if (size > 0) {
    size_t copy = n < size - 1 ? n : size - 1;
    CHECK_RANGE(fn, dst, (uint64_t)copy + 1);
    memcpy(mem + dst, format_buf->data, copy);
    mem[dst + copy] = 0;
  }
  RET(n);
  return LW_OK;
}

ENV_FN(printf) { return print_formatted(ctx, slots, "printf", ARG(0), ARG(1)); }
ENV_FN(vprintf) { return print_formatted(ctx, slots, "vprintf", ARG(0), ARG(1)); }
ENV_FN(sprintf) { return sprint_formatted(ctx, slots, "sprintf", ARG(0), false, 0, ARG(1), ARG(2)); }
ENV_FN(vsprintf) { return sprint_formatted(ctx, slots, "vsprintf", ARG(0), false, 0, ARG(1), ARG(2)); }
ENV_FN(snprintf) {
  return sprint_formatted(ctx, slots, "snprintf", ARG(0), true, ARG(1), ARG(2), ARG(3));
}
ENV_FN(vsnprintf) {
  return sprint_formatted(ctx, slots, "vsnprintf", ARG(0), true, ARG(1), ARG(2), ARG(3));
}

ENV_FN(puts) {
  MEMORY();
  STRLEN("puts", n, ARG(0));
  int fd = env_of(ctx)->stdout_fd;
  /* One write for text and newline keeps lines whole when several writers share the fd. */
  lw_buf *line = &env_of(ctx)->scratch;
  line->len = 0;
  if (!lw_buf_put(line, mem + ARG(0), (size_t)n) || !lw_buf_byte(line, '\n'))
    return lw_host_trap(ctx, "puts: out of host memory");
  write_all(fd, line->data, line->len);
  RET(1);
  return LW_OK;
}

ENV_FN(putchar) {
  uint8_t ch = (uint8_t)ARG(0);
  write_all(env_of(ctx)->stdout_fd, &ch, 1);
  RET(ch);
  return LW_OK;
}

ENV_FN(memcpy) {
  MEMORY();
  CHECK_RANGE("memcpy", ARG(0), ARG(2));
  CHECK_RANGE("memcpy", ARG(1), ARG(2));
  memmove(mem + ARG(0), mem + ARG(1), ARG(2)); /* overlap is harmless this way */
  RET(ARG(0));
  return LW_OK;
}

ENV_FN(memmove) {
  MEMORY();
  CHECK_RANGE("memmove", ARG(0), ARG(2));
  CHECK_RANGE("memmove", ARG(1), ARG(2));
  memmove(mem + ARG(0), mem + ARG(1), ARG(2));
  RET(ARG(0));
  return LW_OK;
}

ENV_FN(memset) {
  MEMORY();
  CHECK_RANGE("memset", ARG(0), ARG(2));
  memset(mem + ARG(0), (int)(uint8_t)ARG(1), ARG(2));
  RET(ARG(0));
  return LW_OK;
}

ENV_FN(memcmp) {
  MEMORY();
  CHECK_RANGE("memcmp", ARG(0), ARG(2));
  CHECK_RANGE("memcmp", ARG(1), ARG(2));
  int r = memcmp(mem + ARG(0), mem + ARG(1), ARG(2));
  RET(r < 0 ? -1 : r > 0);
  return LW_OK;
}

ENV_FN(strlen) {
  MEMORY();
  STRLEN("strlen", n, ARG(0));
  RET(n);
  return LW_OK;
}

ENV_FN(strcmp) {
  MEMORY();
  STRLEN("strcmp", a, ARG(0));
  STRLEN("strcmp", b, ARG(1));
  (void)a; (void)b;
  int r = strcmp((const char *)mem + ARG(0), (const char *)mem + ARG(1));
  RET(r < 0 ? -1 : r > 0);
  return LW_OK;
}

/* Bounded length: like strnlen, but a missing NUL inside memory is fine when n bytes fit. */
static int64_t guest_strnlen(const uint8_t *mem, uint64_t mem_size, uint32_t addr, uint32_t n) {
  if (addr > mem_size) return -1;
  uint64_t room = mem_size - addr;
  uint64_t limit = n < room ? n : room;
  const uint8_t *nul = memchr(mem + addr, 0, (size_t)limit);
  if (nul) return nul - (mem + addr);
  return limit == n ? (int64_t)n : -1;
}

ENV_FN(strncmp) {
  MEMORY();
  uint32_t n = ARG(2);
  int64_t a = guest_strnlen(mem, mem_size, ARG(0), n);
  int64_t b = guest_strnlen(mem, mem_size, ARG(1), n);
  if (a < 0 || b < 0) return lw_host_trap(ctx, "strncmp: string outside guest memory");
  int r = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint8_t c1 = i < a ? mem[ARG(0) + i] : 0, c2 = i < b ? mem[ARG(1) + i] : 0;
    if (c1 != c2) { r = c1 < c2 ? -1 : 1; break; }
    if (!c1) break;
  }
  RET(r);
  return LW_OK;
}

ENV_FN(strcpy) {
  MEMORY();
  STRLEN("strcpy", n, ARG(1));
  CHECK_RANGE("strcpy", ARG(0), (uint64_t)n + 1);
  memmove(mem + ARG(0), mem + ARG(1), (size_t)n + 1);
  RET(ARG(0));
  return LW_OK;
}

ENV_FN(strncpy) {
  MEMORY();
  uint32_t dst = ARG(0), src = ARG(1), n = ARG(2);
  CHECK_RANGE("strncpy", dst, n);
  int64_t len = guest_strnlen(mem, mem_size, src, n);
  if (len < 0) return lw_host_trap(ctx, "strncpy: 0x%x is not a string inside guest memory", src);
  memmove(mem + dst, mem + src, (size_t)len);
  memset(mem + dst + len, 0, n - (size_t)len);
  RET(dst);
  return LW_OK;
}

ENV_FN(strchr) {
  MEMORY();
  STRLEN("strchr", n, ARG(0));
  uint8_t ch = (uint8_t)ARG(1);
  /* strchr finds the terminator too. */
  const uint8_t *hit = ch ? memchr(mem + ARG(0), ch, (size_t)n) : mem + ARG(0) + n;
  RET(hit ? (uint32_t)(hit - mem) : 0);
  return LW_OK;
}

ENV_FN(strrchr) {
  MEMORY();
  STRLEN("strrchr", n, ARG(0));
  uint8_t ch = (uint8_t)ARG(1);
  const uint8_t *hit = ch ? memrchr(mem + ARG(0), ch, (size_t)n) : mem + ARG(0) + n;
  RET(hit ? (uint32_t)(hit - mem) : 0);
  return LW_OK;
}

ENV_FN(strstr) {
  MEMORY();
  STRLEN("strstr", n, ARG(0));
  STRLEN("strstr", m, ARG(1));
  const uint8_t *hit = memmem(mem + ARG(0), (size_t)n, mem + ARG(1), (size_t)m);
  RET(hit ? (uint32_t)(hit - mem) : 0);
  return LW_OK;
}

/* strtol/strtoul with 32-bit long, parsed here (the host's long is 64-bit). */
static uint32_t parse_long(const uint8_t *s, size_t n, int base, bool is_signed, size_t *used) {
  size_t i = 0;
  while (i < n && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) i++;
  bool negative = false;
  if (i < n && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  if ((base == 0 || base == 16) && i + 2 < n && s[i] == '0' &&
      (s[i + 1] == 'x' || s[i + 1] == 'X') &&
      ((s[i + 2] >= '0' && s[i + 2] <= '9') || ((s[i + 2] | 0x20) >= 'a' && (s[i + 2] | 0x20) <= 'f'))) {
    i += 2;
    base = 16;
  } else if (base == 0) {
    base = i < n && s[i] == '0' ? 8 : 10;
  }
  if (base < 2 || base > 36) { *used = 0; return 0; }
  uint64_t v = 0;
  bool any = false, overflow = false;
  for (; i < n; i++) {
    int d;
    uint8_t c = s[i];
    if (c >= '0' && c <= '9') d = c - '0';
    else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') d = (c | 0x20) - 'a' + 10;
    else break;
    if (d >= base) break;
    any = true;
    v = v * (uint64_t)base + (uint64_t)d;
    if (v > 0xffffffffull) overflow = true, v = 0x100000000ull;
  }
  *used = any ? i : 0;
  if (is_signed) {
    if (negative) return overflow || v > 0x80000000ull ? 0x80000000u : (uint32_t)(0 - v);
    return overflow || v > 0x7fffffffull ? 0x7fffffffu : (uint32_t)v;
  }
  if (overflow) return 0xffffffffu;
  return negative ? (uint32_t)(0 - v) : (uint32_t)v;
}

static lw_status strto(lw_host_ctx *ctx, uint64_t *slots, const char *fn, bool is_signed,
                       bool has_end, int base) {
  MEMORY();
  STRLEN(fn, n, ARG(0));
  size_t used;
  uint32_t v = parse_long(mem + ARG(0), (size_t)n, base, is_signed, &used);
  if (has_end && ARG(1)) {
    CHECK_RANGE(fn, ARG(1), 4);
    uint32_t end = ARG(0) + (uint32_t)used;
    memcpy(mem + ARG(1), &end, 4);
  }
  RET(v);
  return LW_OK;
}

ENV_FN(atoi) { return strto(ctx, slots, "atoi", true, false, 10); }
ENV_FN(strtol) { return strto(ctx, slots, "strtol", true, true, (int)(int32_t)ARG(2)); }
ENV_FN(strtoul) { return strto(ctx, slots, "strtoul", false, true, (int)(int32_t)ARG(2)); }

ENV_FN(abort) {
  (void)slots;
  return lw_host_trap(ctx, "the guest called abort()");
}

ENV_FN(exit) { return lw_host_exit(ctx, (int)(int32_t)ARG(0)); }

/* ---- registration --------------------------------------------------------------------------- */

typedef struct env_entry {
  const char *name;
  lw_host_fn fn;
  uint8_t params;  /* all i32 */
  uint8_t results; /* 0 or 1 i32 */
} env_entry;

static const env_entry env_functions[] = {
    {"malloc", env_malloc, 1, 1},     {"calloc", env_calloc, 2, 1},
    {"realloc", env_realloc, 2, 1},   {"free", env_free, 1, 0},
    {"strdup", env_strdup, 1, 1},     {"printf", env_printf, 2, 1},
    {"vprintf", env_vprintf, 2, 1},   {"sprintf", env_sprintf, 3, 1},
    {"vsprintf", env_vsprintf, 3, 1}, {"snprintf", env_snprintf, 4, 1},
    {"vsnprintf", env_vsnprintf, 4, 1}, {"puts", env_puts, 1, 1},
    {"putchar", env_putchar, 1, 1},   {"memcpy", env_memcpy, 3, 1},
    {"memmove", env_memmove, 3, 1},   {"memset", env_memset, 3, 1},
    {"memcmp", env_memcmp, 3, 1},     {"strlen", env_strlen, 1, 1},
    {"strcmp", env_strcmp, 2, 1},     {"strncmp", env_strncmp, 3, 1},
    {"strcpy", env_strcpy, 2, 1},     {"strncpy", env_strncpy, 3, 1},
    {"strchr", env_strchr, 2, 1},     {"strrchr", env_strrchr, 2, 1},
    {"strstr", env_strstr, 2, 1},     {"atoi", env_atoi, 1, 1},
    {"strtol", env_strtol, 3, 1},     {"strtoul", env_strtoul, 3, 1},
    {"abort", env_abort, 0, 0},       {"exit", env_exit, 1, 0},
};

bool lw_env_provides(const char *name) {
  for (size_t i = 0; i < sizeof env_functions / sizeof *env_functions; i++)
    if (strcmp(env_functions[i].name, name) == 0) return true;
  return false;
}

lw_status lw_env_define(lw_env_ctx *ctx, lw_store *store, lw_linker *linker, lw_error *err) {
  static const lw_valtype i32s[4] = {LW_I32, LW_I32, LW_I32, LW_I32};
  for (size_t i = 0; i < sizeof env_functions / sizeof *env_functions; i++) {
    const env_entry *e = &env_functions[i];
    lw_func *fn = lw_func_new_host(store, i32s, e->params, i32s, e->results, e->fn, ctx);
    if (!fn) return lw_error_set(err, LW_ERR_NOMEM, "out of host memory defining env.%s", e->name);
    lw_extern ext = {.kind = LW_EXTERN_FUNC, .of.func = fn};
    lw_status st = lw_linker_define(linker, "env", e->name, ext);
    if (st != LW_OK)
      return lw_error_set(err, st, "could not define env.%s in the linker", e->name);
  }
  return LW_OK;
}
