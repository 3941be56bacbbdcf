/* msgpack for the filter: a cursor reader over bytes (no tree is built; records are walked
 * in place) and a writer with the smallest encodings, into an lw_buf. */
#ifndef LW_FB_MSGPACK_H
#define LW_FB_MSGPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logwasm_filter.h"

/* Deepest nesting accepted anywhere (reader, JSON both ways); deeper input is an error rather
 * than a risk to the host's C stack. */
#define LW_MP_MAX_DEPTH 512

/* ---- lw_buf helpers ------------------------------------------------------------------------ */

bool lw_buf_grow(lw_buf *buf, size_t extra); /* slow path of lw_buf_reserve */

/* Make room for `extra` more bytes; false when the host is out of memory. */
static inline bool lw_buf_reserve(lw_buf *buf, size_t extra) {
  return buf->cap - buf->len >= extra || lw_buf_grow(buf, extra);
}
static inline bool lw_buf_put(lw_buf *buf, const void *bytes, size_t n) {
  if (!lw_buf_reserve(buf, n)) return false;
  if (n) memcpy(buf->data + buf->len, bytes, n);
  buf->len += n;
  return true;
}
static inline bool lw_buf_byte(lw_buf *buf, uint8_t byte) {
  if (!lw_buf_reserve(buf, 1)) return false;
  buf->data[buf->len++] = byte;
  return true;
}

/* ---- reader -------------------------------------------------------------------------------- */

typedef enum lw_mp_kind {
  LW_MP_NIL,
  LW_MP_BOOL,
  LW_MP_UINT,   /* non-negative integer (any encoding that holds one) */
  LW_MP_INT,    /* negative integer */
  LW_MP_F32,
  LW_MP_F64,
  LW_MP_STR,
  LW_MP_BIN,
  LW_MP_ARRAY,
  LW_MP_MAP,
  LW_MP_EXT
} lw_mp_kind;

typedef struct lw_mp_item {
  lw_mp_kind kind;
  union {
    bool b;
    uint64_t u;
    int64_t i;
    float f32;
    double f64;
    struct {
      const uint8_t *ptr;
      uint32_t len;
      int8_t type; /* ext only */
    } bytes;       /* str, bin, ext */
    uint32_t count; /* array: elements; map: pairs. Contents follow the header. */
  } v;
} lw_mp_item;

/* Read one item's header at *pos (for str/bin/ext the payload too) and advance *pos past it;
 * containers leave *pos at their first element. Returns NULL, or a reason ("truncated",
 * "invalid type byte 0xc1") with *pos left at the item's first byte. */
const char *lw_mp_read_slow(const uint8_t *buf, size_t len, size_t *pos, lw_mp_item *item);
static inline const char *lw_mp_read(const uint8_t *buf, size_t len, size_t *pos,
                                     lw_mp_item *item) {
  /* The one-byte-header forms (most keys, small values, small containers) inline. */
  if (*pos < len) {
    uint8_t t = buf[*pos];
    if (t <= 0x7f) {
      item->kind = LW_MP_UINT;
      item->v.u = t;
      *pos += 1;
      return NULL;
    }
    if ((t & 0xe0) == 0xa0) {
      uint32_t n = t & 0x1f;
      if (len - *pos - 1 >= n) {
        item->kind = LW_MP_STR;
        item->v.bytes.ptr = buf + *pos + 1;
        item->v.bytes.len = n;
        *pos += 1 + n;
        return NULL;
      }
    } else if ((t & 0xe0) == 0x80) {
      item->kind = t < 0x90 ? LW_MP_MAP : LW_MP_ARRAY;
      item->v.count = t & 0x0f;
      *pos += 1;
      return NULL;
    }
  }
  return lw_mp_read_slow(buf, len, pos, item);
}

/* Skip one complete object (containers with their contents), without recursion. Returns NULL
 * or a reason; on error *pos is the offset of the offending byte. */
const char *lw_mp_skip(const uint8_t *buf, size_t len, size_t *pos);

/* ---- writer (smallest encodings, as msgpack-c's packer) ------------------------------------ */

bool lw_mp_write_nil(lw_buf *b);
bool lw_mp_write_bool(lw_buf *b, bool v);
bool lw_mp_write_uint(lw_buf *b, uint64_t v);
bool lw_mp_write_int(lw_buf *b, int64_t v); /* non-negative values use the uint forms */
bool lw_mp_write_f32(lw_buf *b, float v);
bool lw_mp_write_f64(lw_buf *b, double v);
bool lw_mp_write_str_header(lw_buf *b, uint32_t len);
bool lw_mp_write_str(lw_buf *b, const void *s, uint32_t len);
bool lw_mp_write_bin(lw_buf *b, const void *s, uint32_t len);
bool lw_mp_write_ext(lw_buf *b, int8_t type, const void *s, uint32_t len);
bool lw_mp_write_array_header(lw_buf *b, uint32_t count);
bool lw_mp_write_map_header(lw_buf *b, uint32_t count);
/* Header sizes, for writers that patch a header in after the contents. */
size_t lw_mp_str_header_size(uint32_t len);
size_t lw_mp_container_header_size(uint32_t count);

/* Re-pack one object from src with the smallest encodings (float32 stays float32, map keys
 * and duplicates kept in order). Appends to out. Returns NULL or a reason; *pos advances. */
const char *lw_mp_repack(const uint8_t *src, size_t len, size_t *pos, lw_buf *out);

#endif
