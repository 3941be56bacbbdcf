/* Reading the binary format: bounds-checked LEB128 and fixed-width readers. Every reader
 * returns false (and leaves the reason in r->error) instead of reading past the end or
 * accepting an over-long or out-of-range encoding. */
#ifndef LW_READER_H
#define LW_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct lw_reader {
  const uint8_t *start; /* for offsets in messages */
  const uint8_t *p;
  const uint8_t *end;
  const char *error;    /* spec wording: "unexpected end", "integer too large", ... */
} lw_reader;

static inline lw_reader lw_reader_make(const uint8_t *start, const uint8_t *p, const uint8_t *end) {
  lw_reader r = {start, p, end, NULL};
  return r;
}

static inline size_t lw_reader_offset(const lw_reader *r) { return (size_t)(r->p - r->start); }
static inline bool lw_reader_at_end(const lw_reader *r) { return r->p >= r->end; }

static inline bool lw_reader_fail(lw_reader *r, const char *why) {
  if (!r->error) r->error = why;
  return false;
}

static inline bool lw_read_u8(lw_reader *r, uint8_t *out) {
  if (r->p >= r->end) return lw_reader_fail(r, "unexpected end");
  *out = *r->p++;
  return true;
}

static inline bool lw_read_bytes(lw_reader *r, size_t n, const uint8_t **out) {
  if ((size_t)(r->end - r->p) < n) return lw_reader_fail(r, "unexpected end");
  *out = r->p;
  r->p += n;
  return true;
}

/* Unsigned LEB128 of at most `bits` bits (32 or 64). */
static inline bool lw_read_uleb(lw_reader *r, unsigned bits, uint64_t *out) {
  uint64_t result = 0;
  unsigned shift = 0;
  const unsigned max_bytes = (bits + 6) / 7;
  for (unsigned i = 0;; i++) {
    uint8_t byte;
    if (r->p >= r->end) return lw_reader_fail(r, "unexpected end");
    byte = *r->p++;
    if (i == max_bytes - 1) {
      /* last permitted byte: no continuation, and unused high bits must be zero */
      unsigned used = bits - shift;
      if (byte & 0x80) return lw_reader_fail(r, "integer representation too long");
      if (used < 7 && (byte >> used) != 0) return lw_reader_fail(r, "integer too large");
      result |= (uint64_t)byte << shift;
      break;
    }
    result |= (uint64_t)(byte & 0x7f) << shift;
    shift += 7;
    if (!(byte & 0x80)) break;
  }
  *out = result;
  return true;
}

/* Signed LEB128 of at most `bits` bits (32, 33 or 64). */
static inline bool lw_read_sleb(lw_reader *r, unsigned bits, int64_t *out) {
  uint64_t result = 0;
  unsigned shift = 0;
  const unsigned max_bytes = (bits + 6) / 7;
  uint8_t byte = 0;
  for (unsigned i = 0;; i++) {
    if (r->p >= r->end) return lw_reader_fail(r, "unexpected end");
    byte = *r->p++;
    if (i == max_bytes - 1) {
      if (byte & 0x80) return lw_reader_fail(r, "integer representation too long");
      /* the unused bits of the last byte must all equal the sign bit */
      unsigned used = bits - shift; /* value bits in this byte, 1..7 */
      if (used < 7) {
        int8_t rest = (int8_t)(byte << 1) >> used; /* bits above used-1, sign-extended */
        int8_t sign_ext = (byte & (1u << (used - 1))) ? -1 : 0;
        if ((rest >> 1) != sign_ext) return lw_reader_fail(r, "integer too large");
      }
      result |= (uint64_t)(byte & 0x7f) << shift;
      shift += 7;
      break;
    }
    result |= (uint64_t)(byte & 0x7f) << shift;
    shift += 7;
    if (!(byte & 0x80)) break;
  }
  if (shift < 64 && (byte & 0x40)) result |= ~(uint64_t)0 << shift;
  *out = (int64_t)result;
  return true;
}

static inline bool lw_read_u32(lw_reader *r, uint32_t *out) {
  uint64_t v;
  if (!lw_read_uleb(r, 32, &v)) return false;
  *out = (uint32_t)v;
  return true;
}

static inline bool lw_read_s32(lw_reader *r, int32_t *out) {
  int64_t v;
  if (!lw_read_sleb(r, 32, &v)) return false;
  *out = (int32_t)v;
  return true;
}

static inline bool lw_read_s64(lw_reader *r, int64_t *out) { return lw_read_sleb(r, 64, out); }

static inline bool lw_read_fixed32(lw_reader *r, uint32_t *out) {
  if ((size_t)(r->end - r->p) < 4) return lw_reader_fail(r, "unexpected end");
  memcpy(out, r->p, 4); /* little-endian hosts only (x86_64, aarch64) */
  r->p += 4;
  return true;
}

static inline bool lw_read_fixed64(lw_reader *r, uint64_t *out) {
  if ((size_t)(r->end - r->p) < 8) return lw_reader_fail(r, "unexpected end");
  memcpy(out, r->p, 8);
  r->p += 8;
  return true;
}

/* ---- unchecked readers, for code that was validated already (compile.c) ------------------- */

static inline uint32_t lw_fast_u32(const uint8_t **pp) {
  const uint8_t *p = *pp;
  uint32_t result = 0;
  unsigned shift = 0;
  uint8_t byte;
  do {
    byte = *p++;
    result |= (uint32_t)(byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  *pp = p;
  return result;
}

static inline int64_t lw_fast_sleb(const uint8_t **pp) {
  const uint8_t *p = *pp;
  uint64_t result = 0;
  unsigned shift = 0;
  uint8_t byte;
  do {
    byte = *p++;
    if (shift < 64) result |= (uint64_t)(byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  if (shift < 64 && (byte & 0x40)) result |= ~(uint64_t)0 << shift;
  *pp = p;
  return (int64_t)result;
}

#endif
