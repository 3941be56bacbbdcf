/* msgpack writer with the smallest encodings (msgpack-c's choices), lw_buf growth and
 * re-packing of whole objects. */
#include "msgpack.h"

void lw_buf_free(lw_buf *buf) {
  if (!buf) return;
  free(buf->data);
  buf->data = NULL;
  buf->len = buf->cap = 0;
}

bool lw_buf_grow(lw_buf *buf, size_t extra) {
  if (extra > SIZE_MAX / 2 - buf->len) return false;
  size_t want = buf->len + extra;
  size_t cap = buf->cap ? buf->cap : 256;
  while (cap < want) cap *= 2;
  uint8_t *data = realloc(buf->data, cap);
  if (!data) return false;
  buf->data = data;
  buf->cap = cap;
  return true;
}

static inline uint8_t *put_space(lw_buf *b, size_t n) {
  if (!lw_buf_reserve(b, n)) return NULL;
  uint8_t *p = b->data + b->len;
  b->len += n;
  return p;
}
static inline void put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void put_be64(uint8_t *p, uint64_t v) {
  put_be32(p, (uint32_t)(v >> 32));
  put_be32(p + 4, (uint32_t)v);
}

bool lw_mp_write_nil(lw_buf *b) { return lw_buf_byte(b, 0xc0); }
bool lw_mp_write_bool(lw_buf *b, bool v) { return lw_buf_byte(b, v ? 0xc3 : 0xc2); }

bool lw_mp_write_uint(lw_buf *b, uint64_t v) {
  uint8_t *p;
  if (v <= 0x7f) return lw_buf_byte(b, (uint8_t)v);
  if (v <= 0xff) {
    if (!(p = put_space(b, 2))) return false;
    p[0] = 0xcc; p[1] = (uint8_t)v;
  } else if (v <= 0xffff) {
    if (!(p = put_space(b, 3))) return false;
    p[0] = 0xcd; put_be16(p + 1, (uint16_t)v);
  } else if (v <= 0xffffffffu) {
    if (!(p = put_space(b, 5))) return false;
    p[0] = 0xce; put_be32(p + 1, (uint32_t)v);
  } else {
    if (!(p = put_space(b, 9))) return false;
    p[0] = 0xcf; put_be64(p + 1, v);
  }
  return true;
}

bool lw_mp_write_int(lw_buf *b, int64_t v) {
  uint8_t *p;
  if (v >= 0) return lw_mp_write_uint(b, (uint64_t)v);
  if (v >= -32) return lw_buf_byte(b, (uint8_t)(int8_t)v);
  if (v >= INT8_MIN) {
    if (!(p = put_space(b, 2))) return false;
    p[0] = 0xd0; p[1] = (uint8_t)(int8_t)v;
  } else if (v >= INT16_MIN) {
    if (!(p = put_space(b, 3))) return false;
    p[0] = 0xd1; put_be16(p + 1, (uint16_t)(int16_t)v);
  } else if (v >= INT32_MIN) {
    if (!(p = put_space(b, 5))) return false;
    p[0] = 0xd2; put_be32(p + 1, (uint32_t)(int32_t)v);
  } else {
    if (!(p = put_space(b, 9))) return false;
    p[0] = 0xd3; put_be64(p + 1, (uint64_t)v);
  }
  return true;
}

bool lw_mp_write_f32(lw_buf *b, float v) {
  uint8_t *p = put_space(b, 5);
  if (!p) return false;
  uint32_t bits;
  memcpy(&bits, &v, 4);
  p[0] = 0xca;
  put_be32(p + 1, bits);
  return true;
}

bool lw_mp_write_f64(lw_buf *b, double v) {
  uint8_t *p = put_space(b, 9);
  if (!p) return false;
  uint64_t bits;
  memcpy(&bits, &v, 8);
  p[0] = 0xcb;
  put_be64(p + 1, bits);
  return true;
}

size_t lw_mp_str_header_size(uint32_t len) {
  return len <= 31 ? 1 : len <= 0xff ? 2 : len <= 0xffff ? 3 : 5;
}
size_t lw_mp_container_header_size(uint32_t count) {
  return count <= 15 ? 1 : count <= 0xffff ? 3 : 5;
}

bool lw_mp_write_str_header(lw_buf *b, uint32_t len) {
  uint8_t *p;
  if (len <= 31) return lw_buf_byte(b, (uint8_t)(0xa0 | len));
  if (len <= 0xff) {
    if (!(p = put_space(b, 2))) return false;
    p[0] = 0xd9; p[1] = (uint8_t)len;
  } else if (len <= 0xffff) {
    if (!(p = put_space(b, 3))) return false;
    p[0] = 0xda; put_be16(p + 1, (uint16_t)len);
  } else {
    if (!(p = put_space(b, 5))) return false;
    p[0] = 0xdb; put_be32(p + 1, len);
  }
  return true;
}

bool lw_mp_write_str(lw_buf *b, const void *s, uint32_t len) {
  return lw_mp_write_str_header(b, len) && lw_buf_put(b, s, len);
}

bool lw_mp_write_bin(lw_buf *b, const void *s, uint32_t len) {
  uint8_t *p;
  if (len <= 0xff) {
    if (!(p = put_space(b, 2))) return false;
    p[0] = 0xc4; p[1] = (uint8_t)len;
  } else if (len <= 0xffff) {
    if (!(p = put_space(b, 3))) return false;
    p[0] = 0xc5; put_be16(p + 1, (uint16_t)len);
  } else {
    if (!(p = put_space(b, 5))) return false;
    p[0] = 0xc6; put_be32(p + 1, len);
  }
  return lw_buf_put(b, s, len);
}

bool lw_mp_write_ext(lw_buf *b, int8_t type, const void *s, uint32_t len) {
  uint8_t *p;
  switch (len) {
  case 1: case 2: case 4: case 8: case 16: {
    static const uint8_t fix[17] = {[1] = 0xd4, [2] = 0xd5, [4] = 0xd6, [8] = 0xd7, [16] = 0xd8};
    if (!(p = put_space(b, 2))) return false;
    p[0] = fix[len];
    p[1] = (uint8_t)type;
    break;
  }
  default:
    if (len <= 0xff) {
      if (!(p = put_space(b, 3))) return false;
      p[0] = 0xc7; p[1] = (uint8_t)len; p[2] = (uint8_t)type;
    } else if (len <= 0xffff) {
      if (!(p = put_space(b, 4))) return false;
      p[0] = 0xc8; put_be16(p + 1, (uint16_t)len); p[3] = (uint8_t)type;
    } else {
      if (!(p = put_space(b, 6))) return false;
      p[0] = 0xc9; put_be32(p + 1, len); p[5] = (uint8_t)type;
    }
  }
  return lw_buf_put(b, s, len);
}

static bool write_container_header(lw_buf *b, uint32_t count, uint8_t fix, uint8_t c16,
                                   uint8_t c32) {
  uint8_t *p;
  if (count <= 15) return lw_buf_byte(b, (uint8_t)(fix | count));
  if (count <= 0xffff) {
    if (!(p = put_space(b, 3))) return false;
    p[0] = c16; put_be16(p + 1, (uint16_t)count);
  } else {
    if (!(p = put_space(b, 5))) return false;
    p[0] = c32; put_be32(p + 1, count);
  }
  return true;
}

bool lw_mp_write_array_header(lw_buf *b, uint32_t count) {
  return write_container_header(b, count, 0x90, 0xdc, 0xdd);
}
bool lw_mp_write_map_header(lw_buf *b, uint32_t count) {
  return write_container_header(b, count, 0x80, 0xde, 0xdf);
}

const char *lw_mp_repack(const uint8_t *src, size_t len, size_t *pos, lw_buf *out) {
  /* Iterative like lw_mp_skip: headers are written as read, so no recursion is needed. */
  uint64_t pending = 1;
  lw_mp_item it;
  while (pending) {
    const char *why = lw_mp_read(src, len, pos, &it);
    if (why) return why;
    pending--;
    bool ok = true;
    switch (it.kind) {
    case LW_MP_NIL: ok = lw_mp_write_nil(out); break;
    case LW_MP_BOOL: ok = lw_mp_write_bool(out, it.v.b); break;
    case LW_MP_UINT: ok = lw_mp_write_uint(out, it.v.u); break;
    case LW_MP_INT: ok = lw_mp_write_int(out, it.v.i); break;
    case LW_MP_F32: ok = lw_mp_write_f32(out, it.v.f32); break;
    case LW_MP_F64: ok = lw_mp_write_f64(out, it.v.f64); break;
    case LW_MP_STR: ok = lw_mp_write_str(out, it.v.bytes.ptr, it.v.bytes.len); break;
    case LW_MP_BIN: ok = lw_mp_write_bin(out, it.v.bytes.ptr, it.v.bytes.len); break;
    case LW_MP_EXT:
      ok = lw_mp_write_ext(out, it.v.bytes.type, it.v.bytes.ptr, it.v.bytes.len);
      break;
    case LW_MP_ARRAY:
      ok = lw_mp_write_array_header(out, it.v.count);
      pending += it.v.count;
      break;
    case LW_MP_MAP:
      ok = lw_mp_write_map_header(out, it.v.count);
      pending += 2 * (uint64_t)it.v.count;
      break;
    }
    if (!ok) return "out of host memory";
    if (pending > len - *pos) return "truncated";
  }
  return NULL;
}
