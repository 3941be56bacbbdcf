/* msgpack -> compact JSON exactly as Fluent Bit's wasm filter shows a record to the guest:
 * integers in decimal over the full u64/i64 range, doubles with %.16g (+ ".0" when the text
 * has neither '.' nor 'e'), str and bin as JSON strings with short escapes, \u00xx for other
 * control bytes and DEL, \uXXXX (surrogate pairs above U+FFFF, lowercase hex) for non-ASCII,
 * and the last occurrence of a duplicate string key winning (emitted at its last position).
 *
 * Choices where Fluent Bit's behaviour is not pinned down by the contract: NaN/Infinity are
 * written as null (the %.16g text is not JSON), ext values as null, invalid UTF-8 bytes as
 * \ufffd, non-string map keys as the string of their JSON text (1 -> "1"). */
#include <math.h>
#include <stdio.h>

#include "json.h"
#include "module.h" /* lw_error_set */

struct lw_json_entry {
  const uint8_t *key; /* string (or bin) key bytes, NULL for other key types */
  uint32_t key_len;
  size_t start, end;  /* the pair's text in the output, with its leading ',' if not first */
};

void lw_json_scratch_free(lw_json_scratch *scratch) {
  free(scratch->entries);
  scratch->entries = NULL;
  scratch->count = scratch->cap = 0;
}

static const char hex_digits[] = "0123456789abcdef";

/* 1 = byte copied as is inside a JSON string. */
static const uint8_t plain_ascii[256] = {
#define R16(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
    R16(0), R16(0),                                          /* 0x00-0x1f control */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,          /* 0x20-0x2f ('"' = 0x22) */
    R16(1), R16(1),                                          /* 0x30-0x4f */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,          /* 0x50-0x5f ('\\' = 0x5c) */
    R16(1),                                                  /* 0x60-0x6f */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,          /* 0x70-0x7f (DEL) */
    R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0)
#undef R16
};

static inline char *put_u_escape(char *o, uint32_t unit) {
  o[0] = '\\';
  o[1] = 'u';
  o[2] = hex_digits[(unit >> 12) & 15];
  o[3] = hex_digits[(unit >> 8) & 15];
  o[4] = hex_digits[(unit >> 4) & 15];
  o[5] = hex_digits[unit & 15];
  return o + 6;
}

/* Decode one UTF-8 sequence at s (n bytes available, s[0] >= 0x80). Returns its length and
 * the code point, or 0 when the bytes are not valid UTF-8 (overlong, surrogate, > U+10FFFF,
 * truncated). */
static size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *cp) {
  uint8_t b0 = s[0];
  size_t need;
  uint32_t c, min;
  if (b0 >= 0xc2 && b0 <= 0xdf) { need = 2; c = b0 & 0x1f; min = 0x80; }
  else if (b0 >= 0xe0 && b0 <= 0xef) { need = 3; c = b0 & 0x0f; min = 0x800; }
  else if (b0 >= 0xf0 && b0 <= 0xf4) { need = 4; c = b0 & 0x07; min = 0x10000; }
  else return 0;
  if (n < need) return 0;
  for (size_t i = 1; i < need; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    c = (c << 6) | (s[i] & 0x3f);
  }
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 0;
  *cp = c;
  return need;
}

static bool write_string(lw_buf *out, const uint8_t *s, size_t n) {
  /* Worst case 6 output bytes per input byte (\u00xx; 4-byte UTF-8 -> 12), plus quotes. */
  if (n > (SIZE_MAX - 2) / 6 || !lw_buf_reserve(out, n * 6 + 2)) return false;
  char *o = (char *)out->data + out->len;
  *o++ = '"';
  size_t i = 0;
  while (i < n) {
    size_t run = i;
    while (run < n && plain_ascii[s[run]]) run++;
    if (run > i) {
      memcpy(o, s + i, run - i);
      o += run - i;
      i = run;
      if (i == n) break;
    }
    uint8_t c = s[i];
    if (c < 0x80) {
      char short_escape = 0;
      switch (c) {
      case '"': short_escape = '"'; break;
      case '\\': short_escape = '\\'; break;
      case '\n': short_escape = 'n'; break;
      case '\r': short_escape = 'r'; break;
      case '\t': short_escape = 't'; break;
      case '\b': short_escape = 'b'; break;
      case '\f': short_escape = 'f'; break;
      }
      if (short_escape) { *o++ = '\\'; *o++ = short_escape; }
      else o = put_u_escape(o, c);
      i++;
      continue;
    }
    uint32_t cp;
    size_t used = utf8_decode(s + i, n - i, &cp);
    if (!used) {
      o = put_u_escape(o, 0xfffd);
      i++;
      continue;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      o = put_u_escape(o, 0xd800 | (cp >> 10));
      o = put_u_escape(o, 0xdc00 | (cp & 0x3ff));
    } else {
      o = put_u_escape(o, cp);
    }
    i += used;
  }
  *o++ = '"';
  out->len = (size_t)((uint8_t *)o - out->data);
  return true;
}

/* Fast exact path for doubles whose value is I / 2^j (|I| < 2^53, j <= 10): then it equals
 * N / 10^j with N = |I| * 5^j, and when N < 10^16 and |v| >= 1e-4, %.16g prints exactly N's
 * digits with the point j places from the right (trailing zeros stripped), as rounding to 16
 * significant digits leaves an exact value of at most 16 digits unchanged. Integers, halves,
 * quarters and the like take this path; other values go through snprintf. Returns the length
 * written into text, or 0 when the fast path does not apply. */
static int format_dyadic(double v, char *text) {
  double a = fabs(v);
  if (!(a < 1e16) || (a != 0 && a < 1e-4)) return 0;
  int j = 0;
  double scaled = a;
  while (scaled != floor(scaled)) {
    if (++j > 10) return 0;
    scaled *= 2; /* exact: a power of two scaling of a value far from overflow */
  }
  if (scaled >= 9007199254740992.0) return 0; /* 2^53 */
  uint64_t n = (uint64_t)scaled;
  for (int k = 0; k < j; k++) {
    if (n > UINT64_MAX / 5) return 0;
    n *= 5;
  }
  if (n >= 10000000000000000ull) return 0;
  char digits[24];
  int nd = 0;
  do {
    digits[nd++] = (char)('0' + n % 10);
    n /= 10;
  } while (n);
  /* digits holds N reversed; the point goes j digits from the right. */
  int o = 0;
  if (signbit(v)) text[o++] = '-';
  if (nd <= j) {
    text[o++] = '0';
    text[o++] = '.';
    for (int k = j; k > nd; k--) text[o++] = '0';
    for (int k = nd - 1; k >= 0; k--) text[o++] = digits[k];
  } else {
    for (int k = nd - 1; k >= j; k--) text[o++] = digits[k];
    text[o++] = '.';
    for (int k = j - 1; k >= 0; k--) text[o++] = digits[k];
    if (j == 0) text[o++] = '0'; /* the ".0" rule for integral values */
  }
  /* strip trailing zeros of the fraction, keeping at least one digit after the point */
  while (text[o - 1] == '0' && text[o - 2] != '.') o--;
  return o;
}

bool lw_json_write_double(lw_buf *out, double v) {
  if (!isfinite(v)) return lw_buf_put(out, "null", 4);
  char text[40];
  int n = format_dyadic(v, text);
  if (n) return lw_buf_put(out, text, (size_t)n);
  n = snprintf(text, sizeof text, "%.16g", v);
  if (n < 0 || (size_t)n >= sizeof text - 2) return false;
  bool has_point_or_exp = false;
  for (int i = 0; i < n; i++) {
    /* A locale with a decimal comma must not leak into JSON. */
    if (text[i] == ',') text[i] = '.';
    if (text[i] == '.' || text[i] == 'e') has_point_or_exp = true;
  }
  if (!has_point_or_exp) {
    text[n++] = '.';
    text[n++] = '0';
  }
  return lw_buf_put(out, text, (size_t)n);
}

static bool write_u64(lw_buf *out, uint64_t v, bool negative) {
  char text[24];
  char *end = text + sizeof text, *p = end;
  do {
    *--p = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  if (negative) *--p = '-';
  return lw_buf_put(out, p, (size_t)(end - p));
}

typedef struct format_ctx {
  const uint8_t *src;
  size_t len;
  lw_buf *out;
  lw_json_scratch *scratch;
} format_ctx;

static const char *format_value(format_ctx *c, size_t *pos, unsigned depth);

static bool scratch_push(lw_json_scratch *s, const struct lw_json_entry *e) {
  if (s->count == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    struct lw_json_entry *entries = realloc(s->entries, cap * sizeof *entries);
    if (!entries) return false;
    s->entries = entries;
    s->cap = cap;
  }
  s->entries[s->count++] = *e;
  return true;
}

/* A key that is not a string becomes the string of its JSON text, as JSON requires. */
static const char *format_other_key(format_ctx *c, size_t *pos, unsigned depth) {
  lw_buf text = {0};
  format_ctx sub = {c->src, c->len, &text, c->scratch};
  const char *why = format_value(&sub, pos, depth + 1);
  if (!why && !write_string(c->out, text.data, text.len)) why = "out of host memory";
  lw_buf_free(&text);
  return why;
}

/* Remove the text of entry j (an earlier occurrence of a key written again) from the output
 * and from the entry list; the later entries move down. */
static void drop_entry(format_ctx *c, size_t base, size_t j) {
  lw_json_scratch *s = c->scratch;
  struct lw_json_entry *e = s->entries;
  size_t from = e[j].start, to = e[j].end;
  if (j == base && j + 1 < s->count) to = e[j + 1].start + 1; /* the next one becomes first */
  memmove(c->out->data + from, c->out->data + to, c->out->len - to);
  c->out->len -= to - from;
  size_t removed = to - from;
  for (size_t k = j + 1; k < s->count; k++) {
    e[k].start = k == j + 1 && j == base ? from : e[k].start - removed;
    e[k].end -= removed;
  }
  memmove(e + j, e + j + 1, (s->count - j - 1) * sizeof *e);
  s->count--;
}

/* One pass: each pair is written as it is read; when a string key repeats an earlier one, the
 * earlier pair's text is cut out (rare), so the last occurrence wins at its own position. */
static const char *format_map(format_ctx *c, size_t *pos, uint32_t count, unsigned depth) {
  lw_json_scratch *s = c->scratch;
  size_t base = s->count;
  const char *why = NULL;
  if (!lw_buf_byte(c->out, '{')) return "out of host memory";
  for (uint32_t i = 0; i < count; i++) {
    struct lw_json_entry e = {NULL, 0, c->out->len, 0};
    size_t key_pos = *pos;
    lw_mp_item key;
    if ((why = lw_mp_read(c->src, c->len, pos, &key))) goto done;
    if (key.kind == LW_MP_STR || key.kind == LW_MP_BIN) {
      e.key = key.v.bytes.ptr;
      e.key_len = key.v.bytes.len;
      for (size_t j = base; j < s->count; j++) {
        if (s->entries[j].key && s->entries[j].key_len == e.key_len &&
            memcmp(s->entries[j].key, e.key, e.key_len) == 0) {
          drop_entry(c, base, j);
          break; /* earlier duplicates were dropped when this one was written */
        }
      }
      e.start = c->out->len;
      if (s->count > base && !lw_buf_byte(c->out, ',')) { why = "out of host memory"; goto done; }
      if (!write_string(c->out, e.key, e.key_len)) { why = "out of host memory"; goto done; }
    } else {
      if (s->count > base && !lw_buf_byte(c->out, ',')) { why = "out of host memory"; goto done; }
      *pos = key_pos;
      if ((why = format_other_key(c, pos, depth))) goto done;
    }
    if (!lw_buf_byte(c->out, ':')) { why = "out of host memory"; goto done; }
    if ((why = format_value(c, pos, depth + 1))) goto done;
    e.end = c->out->len;
    if (!scratch_push(s, &e)) { why = "out of host memory"; goto done; }
  }
  if (!lw_buf_byte(c->out, '}')) why = "out of host memory";
done:
  s->count = base;
  return why;
}

static const char *format_value(format_ctx *c, size_t *pos, unsigned depth) {
  if (depth > LW_MP_MAX_DEPTH) return "nesting deeper than 512 levels";
  lw_mp_item it;
  const char *why = lw_mp_read(c->src, c->len, pos, &it);
  if (why) return why;
  bool ok = true;
  switch (it.kind) {
  case LW_MP_NIL: ok = lw_buf_put(c->out, "null", 4); break;
  case LW_MP_BOOL: ok = it.v.b ? lw_buf_put(c->out, "true", 4) : lw_buf_put(c->out, "false", 5); break;
  case LW_MP_UINT: ok = write_u64(c->out, it.v.u, false); break;
  case LW_MP_INT: ok = write_u64(c->out, (uint64_t)0 - (uint64_t)it.v.i, true); break;
  case LW_MP_F32: ok = lw_json_write_double(c->out, (double)it.v.f32); break;
  case LW_MP_F64: ok = lw_json_write_double(c->out, it.v.f64); break;
  case LW_MP_STR:
  case LW_MP_BIN: ok = write_string(c->out, it.v.bytes.ptr, it.v.bytes.len); break;
  case LW_MP_EXT: ok = lw_buf_put(c->out, "null", 4); break;
  case LW_MP_ARRAY:
    if (!lw_buf_byte(c->out, '[')) return "out of host memory";
    for (uint32_t i = 0; i < it.v.count; i++) {
      if (i && !lw_buf_byte(c->out, ',')) return "out of host memory";
      if ((why = format_value(c, pos, depth + 1))) return why;
    }
    ok = lw_buf_byte(c->out, ']');
    break;
  case LW_MP_MAP:
    return format_map(c, pos, it.v.count, depth);
  }
  return ok ? NULL : "out of host memory";
}

const char *lw_json_format(const uint8_t *src, size_t len, size_t *pos, lw_buf *out,
                           lw_json_scratch *scratch) {
  format_ctx c = {src, len, out, scratch};
  size_t base = scratch->count;
  const char *why = format_value(&c, pos, 0);
  scratch->count = base;
  return why;
}

lw_status lw_msgpack_to_json(const uint8_t *msgpack, size_t len, lw_buf *out, lw_error *err) {
  lw_json_scratch scratch = {0};
  size_t pos = 0;
  out->len = 0;
  const char *why = lw_json_format(msgpack, len, &pos, out, &scratch);
  lw_json_scratch_free(&scratch);
  if (!why && pos != len) why = "bytes left after the first object";
  if (why) {
    out->len = 0;
    if (strcmp(why, "out of host memory") == 0)
      return lw_error_set(err, LW_ERR_NOMEM, "msgpack to JSON: %s", why);
    return lw_error_set(err, LW_ERR_MALFORMED, "msgpack to JSON: %s at byte offset %zu", why, pos);
  }
  return LW_OK;
}
