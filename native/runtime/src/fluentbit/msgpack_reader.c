/* msgpack cursor reader: headers and scalars in place, skipping without recursion. */
#include "msgpack.h"

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t be64(const uint8_t *p) { return ((uint64_t)be32(p) << 32) | be32(p + 4); }

/* Payload of `n` bytes starting at *pos + header. */
static inline const char *take_bytes(const uint8_t *buf, size_t len, size_t *pos, size_t header,
                                     uint64_t n, lw_mp_item *item) {
  if (len - *pos < header || len - *pos - header < n) return "truncated";
  item->v.bytes.ptr = buf + *pos + header;
  item->v.bytes.len = (uint32_t)n;
  *pos += header + n;
  return NULL;
}

const char *lw_mp_read_slow(const uint8_t *buf, size_t len, size_t *pos, lw_mp_item *item) {
  if (*pos >= len) return "truncated";
  const uint8_t *p = buf + *pos;
  size_t avail = len - *pos;
  uint8_t t = p[0];

  if (t <= 0x7f) { item->kind = LW_MP_UINT; item->v.u = t; *pos += 1; return NULL; }
  if (t >= 0xe0) { item->kind = LW_MP_INT; item->v.i = (int8_t)t; *pos += 1; return NULL; }
  if ((t & 0xf0) == 0x80) { item->kind = LW_MP_MAP; item->v.count = t & 0x0f; *pos += 1; return NULL; }
  if ((t & 0xf0) == 0x90) { item->kind = LW_MP_ARRAY; item->v.count = t & 0x0f; *pos += 1; return NULL; }
  if ((t & 0xe0) == 0xa0) {
    item->kind = LW_MP_STR;
    return take_bytes(buf, len, pos, 1, t & 0x1f, item);
  }

  /* Fixed-size header after the type byte. */
  static const uint8_t extra[32] = {
      [0x00] = 0, /* c0 nil */ [0x01] = 0, /* c1 never used */
      [0x02] = 0, [0x03] = 0,  /* bools */
      [0x04] = 1, [0x05] = 2, [0x06] = 4, /* bin 8/16/32 */
      [0x07] = 1, [0x08] = 2, [0x09] = 4, /* ext 8/16/32 (+1 type byte, below) */
      [0x0a] = 4, [0x0b] = 8,             /* float 32/64 */
      [0x0c] = 1, [0x0d] = 2, [0x0e] = 4, [0x0f] = 8, /* uint */
      [0x10] = 1, [0x11] = 2, [0x12] = 4, [0x13] = 8, /* int */
      [0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, /* fixext: type byte */
      [0x19] = 1, [0x1a] = 2, [0x1b] = 4,             /* str 8/16/32 */
      [0x1c] = 2, [0x1d] = 4,                         /* array 16/32 */
      [0x1e] = 2, [0x1f] = 4};                        /* map 16/32 */
  size_t need = 1 + (size_t)extra[t - 0xc0];
  if (avail < need) return "truncated";
  const uint8_t *q = p + 1;

  switch (t) {
  case 0xc0: item->kind = LW_MP_NIL; *pos += 1; return NULL;
  case 0xc1: return "invalid type byte 0xc1";
  case 0xc2: case 0xc3: item->kind = LW_MP_BOOL; item->v.b = t == 0xc3; *pos += 1; return NULL;
  case 0xc4: item->kind = LW_MP_BIN; return take_bytes(buf, len, pos, 2, q[0], item);
  case 0xc5: item->kind = LW_MP_BIN; return take_bytes(buf, len, pos, 3, be16(q), item);
  case 0xc6: item->kind = LW_MP_BIN; return take_bytes(buf, len, pos, 5, be32(q), item);
  case 0xc7: case 0xc8: case 0xc9: {
    size_t hl = t == 0xc7 ? 1 : t == 0xc8 ? 2 : 4;
    if (avail < 1 + hl + 1) return "truncated";
    uint64_t n = hl == 1 ? q[0] : hl == 2 ? be16(q) : be32(q);
    item->kind = LW_MP_EXT;
    item->v.bytes.type = (int8_t)q[hl];
    return take_bytes(buf, len, pos, 1 + hl + 1, n, item);
  }
  case 0xca: {
    uint32_t bits = be32(q);
    item->kind = LW_MP_F32;
    memcpy(&item->v.f32, &bits, 4);
    *pos += 5;
    return NULL;
  }
  case 0xcb: {
    uint64_t bits = be64(q);
    item->kind = LW_MP_F64;
    memcpy(&item->v.f64, &bits, 8);
    *pos += 9;
    return NULL;
  }
  case 0xcc: item->kind = LW_MP_UINT; item->v.u = q[0]; *pos += 2; return NULL;
  case 0xcd: item->kind = LW_MP_UINT; item->v.u = be16(q); *pos += 3; return NULL;
  case 0xce: item->kind = LW_MP_UINT; item->v.u = be32(q); *pos += 5; return NULL;
  case 0xcf: item->kind = LW_MP_UINT; item->v.u = be64(q); *pos += 9; return NULL;
  case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
    int64_t v = t == 0xd0 ? (int8_t)q[0]
              : t == 0xd1 ? (int16_t)be16(q)
              : t == 0xd2 ? (int32_t)be32(q)
                          : (int64_t)be64(q);
    /* A signed encoding of a non-negative value is still a non-negative integer. */
    if (v >= 0) { item->kind = LW_MP_UINT; item->v.u = (uint64_t)v; }
    else { item->kind = LW_MP_INT; item->v.i = v; }
    *pos += need;
    return NULL;
  }
  case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
    item->kind = LW_MP_EXT;
    item->v.bytes.type = (int8_t)q[0];
    return take_bytes(buf, len, pos, 2, (uint64_t)1 << (t - 0xd4), item);
  case 0xd9: item->kind = LW_MP_STR; return take_bytes(buf, len, pos, 2, q[0], item);
  case 0xda: item->kind = LW_MP_STR; return take_bytes(buf, len, pos, 3, be16(q), item);
  case 0xdb: item->kind = LW_MP_STR; return take_bytes(buf, len, pos, 5, be32(q), item);
  case 0xdc: item->kind = LW_MP_ARRAY; item->v.count = be16(q); *pos += 3; return NULL;
  case 0xdd: item->kind = LW_MP_ARRAY; item->v.count = be32(q); *pos += 5; return NULL;
  case 0xde: item->kind = LW_MP_MAP; item->v.count = be16(q); *pos += 3; return NULL;
  case 0xdf: item->kind = LW_MP_MAP; item->v.count = be32(q); *pos += 5; return NULL;
  }
  return "invalid type byte"; /* unreachable: every byte value is handled above */
}

/* Bytes after the type byte that hold a length or a fixed payload, for 0xc0..0xdf. */
static const uint8_t header_extra[32] = {
    0, 0, 0, 0, 1, 2, 4,  /* nil, (c1), false, true, bin 8/16/32 */
    1, 2, 4,              /* ext 8/16/32 length (type byte counted below) */
    4, 8,                 /* float 32/64 */
    1, 2, 4, 8,           /* uint 8..64 */
    1, 2, 4, 8,           /* int 8..64 */
    1, 1, 1, 1, 1,        /* fixext 1..16: the type byte */
    1, 2, 4,              /* str 8/16/32 */
    2, 4, 2, 4};          /* array 16/32, map 16/32 */

const char *lw_mp_skip(const uint8_t *buf, size_t len, size_t *pos) {
  /* Objects still to skip at this level and below; each costs one and adds its children.
   * Every object takes at least one byte, so more pending objects than remaining bytes means
   * truncation: this bounds the counter and rejects huge declared counts early. Sizes are
   * computed from the type byte without decoding values. */
  uint64_t pending = 1;
  size_t p = *pos;
  while (pending) {
    if (p >= len) { *pos = p; return "truncated"; }
    uint8_t t = buf[p];
    pending--;
    uint64_t skip; /* bytes of this object, container contents excluded */
    if (t <= 0x7f || t >= 0xe0) skip = 1;
    else if (t <= 0x8f) { skip = 1; pending += 2 * (uint64_t)(t & 0x0f); }
    else if (t <= 0x9f) { skip = 1; pending += t & 0x0f; }
    else if (t <= 0xbf) skip = 1 + (uint64_t)(t & 0x1f);
    else {
      size_t extra = header_extra[t - 0xc0];
      if (t == 0xc1) { *pos = p; return "invalid type byte 0xc1"; }
      if (len - p - 1 < extra) { *pos = p; return "truncated"; }
      const uint8_t *q = buf + p + 1;
      uint64_t n = extra == 1 ? q[0] : extra == 2 ? be16(q) : extra == 4 ? be32(q) : 0;
      switch (t) {
      case 0xc4: case 0xc5: case 0xc6: case 0xd9: case 0xda: case 0xdb:
        skip = 1 + extra + n; break;                          /* bin, str */
      case 0xc7: case 0xc8: case 0xc9: skip = 1 + extra + 1 + n; break; /* ext */
      case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
        skip = 2 + ((uint64_t)1 << (t - 0xd4)); break;        /* fixext */
      case 0xdc: case 0xdd: skip = 1 + extra; pending += n; break;
      case 0xde: case 0xdf: skip = 1 + extra; pending += 2 * n; break;
      default: skip = 1 + extra; break;                       /* scalars */
      }
    }
    if (len - p < skip) { *pos = p; return "truncated"; }
    p += skip;
    if (pending > len - p) { *pos = p; return "truncated"; }
  }
  *pos = p;
  return NULL;
}
