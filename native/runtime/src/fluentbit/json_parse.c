/* JSON text -> msgpack, with the number kinds of Fluent Bit's json parser: a number written
 * with '.' or an exponent is a float64; otherwise an integer, exact over the whole i64/u64
 * range, and a float64 only beyond it. Containers and strings are written with the smallest
 * headers: a 5-byte header is reserved, the contents written, then the header patched in and
 * the contents moved down when a shorter header suffices. Duplicate keys are kept in order. */
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>

#include "json.h"
#include "module.h" /* lw_error_set */

typedef struct parse_ctx {
  const char *s;
  size_t len, pos;
  lw_buf *out;
  const char *why;
} parse_ctx;

static bool fail(parse_ctx *p, const char *why) {
  if (!p->why) p->why = why;
  return false;
}

static inline void skip_ws(parse_ctx *p) {
  while (p->pos < p->len) {
    char ch = p->s[p->pos];
    if (ch != ' ' && ch != '\n' && ch != '\r' && ch != '\t') break;
    p->pos++;
  }
}

/* strtod honours LC_NUMERIC; JSON always uses '.', so parse in the C locale. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void make_c_locale(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

static double parse_double(const char *text, size_t n) {
  char small[64];
  char *copy = n < sizeof small ? small : malloc(n + 1);
  if (!copy) return 0.0;
  memcpy(copy, text, n);
  copy[n] = 0;
  pthread_once(&c_locale_once, make_c_locale);
  double v = c_locale ? strtod_l(copy, NULL, c_locale) : strtod(copy, NULL);
  if (copy != small) free(copy);
  return v;
}

static bool parse_number(parse_ctx *p) {
  size_t start = p->pos;
  const char *s = p->s;
  size_t i = p->pos, n = p->len;
  bool negative = false, is_float = false;
  if (i < n && s[i] == '-') { negative = true; i++; }
  if (i >= n || s[i] < '0' || s[i] > '9') return fail(p, "invalid number");
  size_t digits_start = i;
  if (s[i] == '0') i++;
  else while (i < n && s[i] >= '0' && s[i] <= '9') i++;
  size_t digits_end = i;
  if (i < n && s[i] == '.') {
    is_float = true;
    i++;
    if (i >= n || s[i] < '0' || s[i] > '9') { p->pos = i; return fail(p, "invalid number"); }
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    is_float = true;
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    if (i >= n || s[i] < '0' || s[i] > '9') { p->pos = i; return fail(p, "invalid number"); }
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
  }
  p->pos = i;
  if (!is_float) {
    uint64_t v = 0;
    bool overflow = false;
    for (size_t k = digits_start; k < digits_end; k++) {
      unsigned d = (unsigned)(s[k] - '0');
      if (v > (UINT64_MAX - d) / 10) { overflow = true; break; }
      v = v * 10 + d;
    }
    if (!overflow) {
      bool ok;
      if (!negative) ok = lw_mp_write_uint(p->out, v);
      else if (v <= (uint64_t)INT64_MAX + 1) ok = lw_mp_write_int(p->out, (int64_t)(0 - v));
      else goto as_double;
      return ok ? true : fail(p, "out of host memory");
    }
  }
  /* Exact fast path (Clinger): at most 15 significant digits and a power of ten up to 1e22
   * are both exact doubles, so one multiplication or division rounds correctly. */
  if (is_float) {
    uint64_t mantissa = 0;
    int digits = 0, frac_digits = 0, exp10 = 0;
    bool in_frac = false, exact = true;
    size_t k = digits_start;
    for (; k < i && s[k] != 'e' && s[k] != 'E'; k++) {
      if (s[k] == '.') { in_frac = true; continue; }
      if (mantissa == 0 && s[k] == '0') { if (in_frac) frac_digits++; continue; }
      if (++digits > 15) { exact = false; break; }
      mantissa = mantissa * 10 + (uint64_t)(s[k] - '0');
      if (in_frac) frac_digits++;
    }
    if (exact && k < i) {
      bool neg_exp = false;
      k++;
      if (s[k] == '+' || s[k] == '-') neg_exp = s[k++] == '-';
      for (; k < i && exp10 < 1000; k++) exp10 = exp10 * 10 + (s[k] - '0');
      if (neg_exp) exp10 = -exp10;
    }
    int e = exp10 - frac_digits;
    if (exact && e >= -22 && e <= 22) {
      static const double powers[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
      double v = (double)mantissa;
      v = e < 0 ? v / powers[-e] : v * powers[e];
      if (negative) v = -v;
      return lw_mp_write_f64(p->out, v) ? true : fail(p, "out of host memory");
    }
  }
as_double:
  return lw_mp_write_f64(p->out, parse_double(s + start, i - start))
             ? true
             : fail(p, "out of host memory");
}

/* Write a header of `size` bytes (1, 2, 3 or 5) for the contents that follow `at + 5`, then
 * close the gap. kind: 's' str, 'a' array, 'm' map. */
static bool patch_header(parse_ctx *p, size_t at, char kind, uint32_t n) {
  lw_buf tmp = {0};
  uint8_t header[5];
  tmp.data = header;
  tmp.cap = sizeof header;
  bool ok = kind == 's'   ? lw_mp_write_str_header(&tmp, n)
            : kind == 'a' ? lw_mp_write_array_header(&tmp, n)
                          : lw_mp_write_map_header(&tmp, n);
  if (!ok) return fail(p, "out of host memory");
  uint8_t *base = p->out->data + at;
  size_t contents = p->out->len - at - 5;
  if (tmp.len < 5) memmove(base + tmp.len, base + 5, contents);
  memcpy(base, header, tmp.len);
  p->out->len -= 5 - tmp.len;
  return true;
}

static int hex_value(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

static bool read_hex4(parse_ctx *p, uint32_t *unit) {
  if (p->len - p->pos < 4) return fail(p, "truncated \\u escape");
  uint32_t v = 0;
  for (int k = 0; k < 4; k++) {
    int h = hex_value(p->s[p->pos + (size_t)k]);
    if (h < 0) return fail(p, "invalid \\u escape");
    v = (v << 4) | (uint32_t)h;
  }
  p->pos += 4;
  *unit = v;
  return true;
}

static void put_utf8(lw_buf *out, uint32_t cp) {
  uint8_t *o = out->data + out->len;
  if (cp < 0x80) { o[0] = (uint8_t)cp; out->len += 1; }
  else if (cp < 0x800) {
    o[0] = (uint8_t)(0xc0 | (cp >> 6)); o[1] = (uint8_t)(0x80 | (cp & 0x3f)); out->len += 2;
  } else if (cp < 0x10000) {
    o[0] = (uint8_t)(0xe0 | (cp >> 12)); o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    o[2] = (uint8_t)(0x80 | (cp & 0x3f)); out->len += 3;
  } else {
    o[0] = (uint8_t)(0xf0 | (cp >> 18)); o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f)); o[3] = (uint8_t)(0x80 | (cp & 0x3f));
    out->len += 4;
  }
}

/* At the opening quote. Raw control bytes inside strings are accepted (lenient, like
 * Fluent Bit's parser); invalid UTF-8 is passed through as bytes. */
static bool parse_string(parse_ctx *p) {
  const char *s = p->s;
  size_t start = ++p->pos, i = start;
  bool escaped = false;
  while (i < p->len && s[i] != '"') {
    if (s[i] == '\\') { escaped = true; i += 2; }
    else i++;
  }
  if (i >= p->len) return fail(p, "unterminated string");
  if (i - start > UINT32_MAX) return fail(p, "string too long");
  if (!escaped) {
    p->pos = i + 1;
    return lw_mp_write_str(p->out, s + start, (uint32_t)(i - start)) ? true
                                                                      : fail(p, "out of host memory");
  }
  /* Decoded text is never longer than the escaped text. */
  size_t at = p->out->len;
  if (!lw_buf_reserve(p->out, 5 + (i - start))) return fail(p, "out of host memory");
  p->out->len += 5;
  size_t end = i;
  while (p->pos < end) {
    size_t run = p->pos;
    while (run < end && s[run] != '\\') run++;
    memcpy(p->out->data + p->out->len, s + p->pos, run - p->pos);
    p->out->len += run - p->pos;
    p->pos = run;
    if (run == end) break;
    char e = s[p->pos + 1];
    p->pos += 2;
    uint8_t ch;
    switch (e) {
    case '"': ch = '"'; break;
    case '\\': ch = '\\'; break;
    case '/': ch = '/'; break;
    case 'b': ch = '\b'; break;
    case 'f': ch = '\f'; break;
    case 'n': ch = '\n'; break;
    case 'r': ch = '\r'; break;
    case 't': ch = '\t'; break;
    case 'u': {
      uint32_t unit, cp;
      if (!read_hex4(p, &unit)) return false;
      cp = unit;
      if (unit >= 0xd800 && unit <= 0xdbff) {
        /* A high surrogate needs its low half; a lone one becomes U+FFFD. */
        uint32_t low;
        if (p->pos + 6 <= end && s[p->pos] == '\\' && s[p->pos + 1] == 'u') {
          size_t save = p->pos;
          p->pos += 2;
          if (!read_hex4(p, &low)) return false;
          if (low >= 0xdc00 && low <= 0xdfff) cp = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
          else { cp = 0xfffd; p->pos = save; }
        } else {
          cp = 0xfffd;
        }
      } else if (unit >= 0xdc00 && unit <= 0xdfff) {
        cp = 0xfffd;
      }
      put_utf8(p->out, cp); /* room: \uXXXX (6) or a pair (12) is longer than its UTF-8 */
      continue;
    }
    default:
      p->pos -= 2;
      return fail(p, "invalid escape in string");
    }
    p->out->data[p->out->len++] = ch;
  }
  p->pos = end + 1;
  return patch_header(p, at, 's', (uint32_t)(p->out->len - at - 5));
}

static bool parse_value(parse_ctx *p, unsigned depth);

static bool parse_container(parse_ctx *p, unsigned depth, bool is_map) {
  if (depth > LW_MP_MAX_DEPTH) return fail(p, "nesting deeper than 512 levels");
  char close = is_map ? '}' : ']';
  size_t at = p->out->len;
  if (!lw_buf_reserve(p->out, 5)) return fail(p, "out of host memory");
  p->out->len += 5;
  p->pos++;
  uint32_t count = 0;
  skip_ws(p);
  if (p->pos < p->len && p->s[p->pos] == close) {
    p->pos++;
    return patch_header(p, at, is_map ? 'm' : 'a', 0);
  }
  for (;;) {
    skip_ws(p);
    if (is_map) {
      if (p->pos >= p->len || p->s[p->pos] != '"') return fail(p, "expected a string key");
      if (!parse_string(p)) return false;
      skip_ws(p);
      if (p->pos >= p->len || p->s[p->pos] != ':') return fail(p, "expected ':'");
      p->pos++;
      skip_ws(p);
    }
    if (!parse_value(p, depth + 1)) return false;
    if (count == UINT32_MAX) return fail(p, "too many elements");
    count++;
    skip_ws(p);
    if (p->pos >= p->len) return fail(p, is_map ? "unterminated object" : "unterminated array");
    char ch = p->s[p->pos];
    if (ch == ',') { p->pos++; continue; }
    if (ch == close) { p->pos++; break; }
    return fail(p, is_map ? "expected ',' or '}'" : "expected ',' or ']'");
  }
  return patch_header(p, at, is_map ? 'm' : 'a', count);
}

static bool parse_literal(parse_ctx *p, const char *word, size_t n) {
  if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
    return fail(p, "invalid literal");
  p->pos += n;
  return true;
}

static bool parse_value(parse_ctx *p, unsigned depth) {
  if (p->pos >= p->len) return fail(p, "unexpected end of text");
  char ch = p->s[p->pos];
  bool ok;
  switch (ch) {
  case '{': return parse_container(p, depth, true);
  case '[': return parse_container(p, depth, false);
  case '"': return parse_string(p);
  case 't': ok = parse_literal(p, "true", 4) && lw_mp_write_bool(p->out, true); break;
  case 'f': ok = parse_literal(p, "false", 5) && lw_mp_write_bool(p->out, false); break;
  case 'n': ok = parse_literal(p, "null", 4) && lw_mp_write_nil(p->out); break;
  default:
    if (ch == '-' || (ch >= '0' && ch <= '9')) return parse_number(p);
    return fail(p, "unexpected character");
  }
  return ok ? true : fail(p, "out of host memory");
}

const char *lw_json_parse(const char *text, size_t len, lw_buf *out, size_t *error_offset) {
  parse_ctx p = {text, len, 0, out, NULL};
  size_t start_len = out->len;
  skip_ws(&p);
  if (parse_value(&p, 0)) {
    skip_ws(&p);
    if (p.pos == p.len) return NULL;
    fail(&p, "unexpected text after the JSON value");
  }
  out->len = start_len;
  if (error_offset) *error_offset = p.pos;
  return p.why ? p.why : "invalid JSON";
}

const char *lw_json_parse_at(const char *text, size_t len, size_t *pos, lw_buf *out) {
  parse_ctx p = {text, len, *pos, out, NULL};
  size_t start_len = out->len;
  skip_ws(&p);
  if (parse_value(&p, 0)) {
    *pos = p.pos;
    return NULL;
  }
  out->len = start_len;
  *pos = p.pos;
  return p.why ? p.why : "invalid JSON";
}

lw_status lw_json_to_msgpack(const char *json, size_t len, lw_buf *out, lw_error *err) {
  size_t at = 0;
  out->len = 0;
  const char *why = lw_json_parse(json, len, out, &at);
  if (!why) return LW_OK;
  if (strcmp(why, "out of host memory") == 0)
    return lw_error_set(err, LW_ERR_NOMEM, "JSON to msgpack: %s", why);
  return lw_error_set(err, LW_ERR_MALFORMED, "invalid JSON: %s at offset %zu", why, at);
}
