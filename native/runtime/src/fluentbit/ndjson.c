/* NDJSON events -> chunk entries (lw_ndjson_event_to_chunk_entry). Only the envelope is read
 * here; body and metadata go through the filter's own JSON parser (json_parse.c), so their
 * number kinds are exactly Fluent Bit's, and the time is read from its digits, because a
 * double of seconds cannot hold nanoseconds. */
#include <math.h>
#include <stdio.h>

#include "json.h"
#include "module.h" /* lw_error_set */

#define SHAPE "expected a JSON object, [time, body] or [[time, metadata], body]"

typedef struct ndjson_ctx {
  const char *s;
  size_t len, pos;
  lw_error *err;
} ndjson_ctx;

static void skip_ws(ndjson_ctx *c) {
  while (c->pos < c->len) {
    char ch = c->s[c->pos];
    if (ch != ' ' && ch != '\n' && ch != '\r' && ch != '\t') break;
    c->pos++;
  }
}

/* "unexpected 'x'" or "unexpected end of line", for messages. */
static void describe_here(const ndjson_ctx *c, char *out, size_t cap) {
  if (c->pos >= c->len) snprintf(out, cap, "unexpected end of line");
  else {
    unsigned char ch = (unsigned char)c->s[c->pos];
    if (ch >= 0x20 && ch < 0x7f) snprintf(out, cap, "unexpected '%c'", ch);
    else snprintf(out, cap, "unexpected byte 0x%02x", ch);
  }
}

static lw_status shape_error(ndjson_ctx *c, const char *expected) {
  char what[32];
  describe_here(c, what, sizeof what);
  return lw_error_set(c->err, LW_ERR_MALFORMED, "%s, %s (column %zu)", what, expected, c->pos + 1);
}

static lw_status expect(ndjson_ctx *c, char ch) {
  skip_ws(c);
  if (c->pos < c->len && c->s[c->pos] == ch) {
    c->pos++;
    return LW_OK;
  }
  return shape_error(c, SHAPE);
}

static lw_status time_error(ndjson_ctx *c, size_t at, const char *why) {
  return lw_error_set(c->err, LW_ERR_MALFORMED, "time %s (column %zu)", why, at + 1);
}

/* The time: a JSON number, or a string of digits with an optional fraction. */
static lw_status parse_time(ndjson_ctx *c, uint32_t *sec, uint32_t *nsec) {
  skip_ws(c);
  size_t at = c->pos;
  bool quoted = at < c->len && c->s[at] == '"';
  size_t i = at + quoted, n = c->len;
  const char *s = c->s;
  if (i < n && s[i] == '-') return time_error(c, at, "must not be negative");
  if (i >= n || s[i] < '0' || s[i] > '9')
    return time_error(c, at, "must be a number of seconds (a fraction allowed)");
  uint64_t whole = 0;
  for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
    whole = whole * 10 + (uint64_t)(s[i] - '0');
    if (whole > UINT32_MAX) return time_error(c, at, "is beyond 4294967295 seconds (EventTime holds 32-bit seconds)");
  }
  uint32_t nanos = 0;
  if (i < n && s[i] == '.') {
    i++;
    if (i >= n || s[i] < '0' || s[i] > '9') return time_error(c, at, "has no digits after '.'");
    int digits = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++)
      if (digits < 9) nanos = nanos * 10 + (uint32_t)(s[i] - '0');
    for (; digits < 9; digits++) nanos *= 10;
  }
  if (!quoted && i < n && (s[i] == 'e' || s[i] == 'E')) {
    /* 1.7e9: rare; the double is exact enough for what such a time can say */
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    if (i >= n || s[i] < '0' || s[i] > '9') return time_error(c, at, "has an invalid exponent");
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    char text[64];
    size_t tn = i - at < sizeof text - 1 ? i - at : sizeof text - 1;
    memcpy(text, s + at, tn);
    text[tn] = 0;
    double t = strtod(text, NULL);
    if (!(t >= 0 && t < 4294967296.0)) return time_error(c, at, "is out of range (0 to 4294967295 seconds)");
    double secs = floor(t);
    double frac = round((t - secs) * 1e9);
    whole = (uint64_t)secs;
    nanos = (uint32_t)frac;
    if (nanos >= 1000000000u) {
      nanos -= 1000000000u;
      if (++whole > UINT32_MAX) return time_error(c, at, "is out of range (0 to 4294967295 seconds)");
    }
  }
  if (quoted) {
    if (i >= n || s[i] != '"') return time_error(c, at, "string must hold only seconds such as \"1700000000.5\"");
    i++;
  }
  c->pos = i;
  *sec = (uint32_t)whole;
  *nsec = nanos;
  return LW_OK;
}

static bool put_time(lw_buf *out, uint32_t sec, uint32_t nsec) {
  uint8_t ext[8] = {(uint8_t)(sec >> 24), (uint8_t)(sec >> 16), (uint8_t)(sec >> 8), (uint8_t)sec,
                    (uint8_t)(nsec >> 24), (uint8_t)(nsec >> 16), (uint8_t)(nsec >> 8), (uint8_t)nsec};
  return lw_mp_write_ext(out, 0, ext, 8);
}

/* A JSON object at the position (body or metadata), through the filter's parser. */
static lw_status parse_object(ndjson_ctx *c, lw_buf *out, const char *what) {
  skip_ws(c);
  if (c->pos >= c->len || c->s[c->pos] != '{') {
    return lw_error_set(c->err, LW_ERR_MALFORMED, "the %s must be a JSON object; %s (column %zu)", what,
                        SHAPE, c->pos + 1);
  }
  const char *why = lw_json_parse_at(c->s, c->len, &c->pos, out);
  if (!why) return LW_OK;
  if (strcmp(why, "out of host memory") == 0)
    return lw_error_set(c->err, LW_ERR_NOMEM, "NDJSON line: %s", why);
  return lw_error_set(c->err, LW_ERR_MALFORMED, "invalid JSON: %s (column %zu)", why, c->pos + 1);
}

lw_status lw_ndjson_event_to_chunk_entry(const char *line, size_t len, uint32_t now_sec,
                                         uint32_t now_nsec, lw_buf *out, lw_error *err) {
  lw_error local_err;
  if (!err) err = &local_err;
  if (!out || (!line && len)) return lw_error_set(err, LW_ERR_ARGUMENT, "lw_ndjson_event_to_chunk_entry: missing argument");
  ndjson_ctx c = {line ? line : "", len, 0, err};
  out->len = 0;
  lw_status st;
  uint32_t sec = now_sec, nsec = now_nsec;
  if (!lw_buf_byte(out, 0x92) || !lw_buf_byte(out, 0x92)) goto nomem;
  skip_ws(&c);
  bool enveloped = false;
  if (c.pos < c.len && c.s[c.pos] == '{') {
    if (!put_time(out, sec, nsec) || !lw_buf_byte(out, 0x80)) goto nomem;
  } else if (c.pos < c.len && c.s[c.pos] == '[') {
    enveloped = true;
    c.pos++;
    skip_ws(&c);
    bool with_metadata = c.pos < c.len && c.s[c.pos] == '[';
    if (with_metadata) c.pos++;
    if ((st = parse_time(&c, &sec, &nsec)) != LW_OK) goto fail;
    if (!put_time(out, sec, nsec)) goto nomem;
    if ((st = expect(&c, ',')) != LW_OK) goto fail;
    if (with_metadata) {
      if ((st = parse_object(&c, out, "metadata")) != LW_OK) goto fail;
      if ((st = expect(&c, ']')) != LW_OK) goto fail;
      if ((st = expect(&c, ',')) != LW_OK) goto fail;
    } else if (!lw_buf_byte(out, 0x80)) {
      goto nomem;
    }
  } else {
    st = shape_error(&c, SHAPE);
    goto fail;
  }
  if ((st = parse_object(&c, out, "body")) != LW_OK) goto fail;
  if (enveloped && (st = expect(&c, ']')) != LW_OK) goto fail;
  skip_ws(&c);
  if (c.pos < c.len) {
    st = shape_error(&c, "expected the end of the line after the event");
    goto fail;
  }
  return LW_OK;

nomem:
  st = lw_error_set(err, LW_ERR_NOMEM, "out of host memory reading an NDJSON line");
fail:
  out->len = 0;
  return st;
}
