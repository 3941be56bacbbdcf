/* Values for logwasm-spec: reading wast2json's argument and expected values, comparing
 * results (NaN patterns, reference patterns, v128 lanes) and printing values for reports.
 *
 * wast2json writes every number as the unsigned decimal of its bit pattern ("4294967295" for
 * i32 -1, "1069547520" for f32 1.5), v128 as an array of lanes with a lane_type, and
 * references as "null" or a host number (externref) / nothing (funcref: any non-null). */
#ifndef LW_SPEC_VALUES_H
#define LW_SPEC_VALUES_H

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logwasm.h"
#include "json.h"
#include "module.h" /* lw_valtype_name */

/* How one scalar (or one v128 lane) must look. */
typedef enum spec_match {
  MATCH_BITS,           /* exactly these bits */
  MATCH_NAN_CANONICAL,  /* a NaN with only the quiet bit set in the payload, either sign */
  MATCH_NAN_ARITHMETIC, /* a NaN with the quiet bit set, any payload, either sign */
  MATCH_REF_NULL,
  MATCH_REF_NON_NULL,   /* funcref without a value: any function */
  MATCH_REF_HOST        /* externref N: the host pointer the runner passed for N */
} spec_match;

typedef struct spec_expected {
  lw_valtype type;
  /* scalars use lane 0; v128 uses lane_count lanes of lane_bits each */
  uint32_t lane_count, lane_bits;
  bool lane_float;
  spec_match match[16];
  uint64_t bits[16];
} spec_expected;

/* externref N is passed as the pointer N + 1, so that 0 stays the null reference. */
static void *spec_externref(uint64_t n) { return (void *)(uintptr_t)(n + 1); }

static bool spec_parse_type(const char *name, lw_valtype *out) {
  static const struct { const char *name; lw_valtype type; } types[] = {
      {"i32", LW_I32},   {"i64", LW_I64},         {"f32", LW_F32},
      {"f64", LW_F64},   {"v128", LW_V128},       {"funcref", LW_FUNCREF},
      {"externref", LW_EXTERNREF}};
  if (!name) return false;
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strcmp(types[i].name, name) == 0) {
      *out = types[i].type;
      return true;
    }
  return false;
}

/* Decimal text (unsigned, or signed if it starts with '-') to a bit pattern. */
static bool spec_parse_bits(const char *text, uint64_t *out) {
  if (!text || !*text) return false;
  char *end;
  errno = 0;
  if (text[0] == '-') *out = (uint64_t)strtoll(text, &end, 10);
  else *out = strtoull(text, &end, 10);
  return *end == 0 && errno == 0;
}

/* Lane layout of a v128 given wast2json's lane_type. */
static bool spec_lane_layout(const char *lane_type, uint32_t *count, uint32_t *bits,
                             bool *is_float) {
  static const struct { const char *name; uint32_t bits; bool is_float; } lanes[] = {
      {"i8", 8, false},  {"i16", 16, false}, {"i32", 32, false},
      {"i64", 64, false}, {"f32", 32, true},  {"f64", 64, true}};
  if (!lane_type) return false;
  for (size_t i = 0; i < sizeof lanes / sizeof lanes[0]; i++)
    if (strcmp(lanes[i].name, lane_type) == 0) {
      *bits = lanes[i].bits;
      *count = 128 / lanes[i].bits;
      *is_float = lanes[i].is_float;
      return true;
    }
  return false;
}

static uint64_t spec_lane_mask(uint32_t bits) { return bits == 64 ? ~0ull : (1ull << bits) - 1; }

static uint64_t spec_v128_lane(const uint8_t *bytes, uint32_t lane, uint32_t bits) {
  uint64_t v = 0;
  uint32_t size = bits / 8;
  for (uint32_t b = 0; b < size; b++) v |= (uint64_t)bytes[lane * size + b] << (8 * b);
  return v;
}

static void spec_v128_set_lane(uint8_t *bytes, uint32_t lane, uint32_t bits, uint64_t v) {
  uint32_t size = bits / 8;
  for (uint32_t b = 0; b < size; b++) bytes[lane * size + b] = (uint8_t)(v >> (8 * b));
}

/* An argument. Writes a reason to why on failure (a JSON shape the runner doesn't know). */
static bool spec_parse_arg(const json_value *j, lw_value *out, char *why, size_t why_len) {
  memset(out, 0, sizeof *out);
  const char *type_name = json_get_string(j, "type");
  if (!spec_parse_type(type_name, &out->type)) {
    snprintf(why, why_len, "unknown argument type '%s'", type_name ? type_name : "?");
    return false;
  }
  const json_value *value = json_get(j, "value");
  if (out->type == LW_V128) {
    uint32_t count, bits;
    bool is_float;
    if (!spec_lane_layout(json_get_string(j, "lane_type"), &count, &bits, &is_float) ||
        !value || value->kind != JSON_ARRAY || value->count != count) {
      snprintf(why, why_len, "malformed v128 argument");
      return false;
    }
    for (uint32_t i = 0; i < count; i++) {
      uint64_t v;
      if (value->items[i].kind != JSON_STRING || !spec_parse_bits(value->items[i].text, &v)) {
        snprintf(why, why_len, "malformed v128 lane");
        return false;
      }
      spec_v128_set_lane(out->of.v128, i, bits, v);
    }
    return true;
  }
  const char *text = value && value->kind == JSON_STRING ? value->text : NULL;
  if ((out->type == LW_FUNCREF || out->type == LW_EXTERNREF) && text &&
      strcmp(text, "null") == 0)
    return true; /* the union is zeroed: a null reference */
  uint64_t bits;
  if (!spec_parse_bits(text, &bits)) {
    snprintf(why, why_len, "unreadable %s argument '%s'", type_name, text ? text : "");
    return false;
  }
  switch (out->type) {
  case LW_I32: out->of.i32 = (int32_t)(uint32_t)bits; break;
  case LW_I64: out->of.i64 = (int64_t)bits; break;
  case LW_F32: { uint32_t b = (uint32_t)bits; memcpy(&out->of.f32, &b, 4); break; }
  case LW_F64: memcpy(&out->of.f64, &bits, 8); break;
  case LW_EXTERNREF: out->of.externref = spec_externref(bits); break;
  default:
    snprintf(why, why_len, "a funcref argument other than null");
    return false;
  }
  return true;
}

static bool spec_parse_lane_pattern(const char *text, spec_match *match, uint64_t *bits) {
  if (!text) return false;
  if (strcmp(text, "nan:canonical") == 0) { *match = MATCH_NAN_CANONICAL; return true; }
  if (strcmp(text, "nan:arithmetic") == 0) { *match = MATCH_NAN_ARITHMETIC; return true; }
  *match = MATCH_BITS;
  return spec_parse_bits(text, bits);
}

static bool spec_parse_expected(const json_value *j, spec_expected *out, char *why,
                                size_t why_len) {
  memset(out, 0, sizeof *out);
  const char *type_name = json_get_string(j, "type");
  if (!spec_parse_type(type_name, &out->type)) {
    snprintf(why, why_len, "unknown result type '%s'", type_name ? type_name : "?");
    return false;
  }
  const json_value *value = json_get(j, "value");
  out->lane_count = 1;
  switch (out->type) {
  case LW_I32: case LW_F32: out->lane_bits = 32; break;
  case LW_I64: case LW_F64: out->lane_bits = 64; break;
  default: break;
  }
  out->lane_float = out->type == LW_F32 || out->type == LW_F64;
  if (out->type == LW_V128) {
    if (!spec_lane_layout(json_get_string(j, "lane_type"), &out->lane_count, &out->lane_bits,
                          &out->lane_float) ||
        !value || value->kind != JSON_ARRAY || value->count != out->lane_count) {
      snprintf(why, why_len, "malformed v128 result");
      return false;
    }
    for (uint32_t i = 0; i < out->lane_count; i++)
      if (value->items[i].kind != JSON_STRING ||
          !spec_parse_lane_pattern(value->items[i].text, &out->match[i], &out->bits[i]) ||
          (out->match[i] != MATCH_BITS && !out->lane_float)) {
        snprintf(why, why_len, "malformed v128 result lane");
        return false;
      }
    return true;
  }
  const char *text = value && value->kind == JSON_STRING ? value->text : NULL;
  if (out->type == LW_FUNCREF || out->type == LW_EXTERNREF) {
    if (!text) out->match[0] = MATCH_REF_NON_NULL;
    else if (strcmp(text, "null") == 0) out->match[0] = MATCH_REF_NULL;
    else if (out->type == LW_EXTERNREF && spec_parse_bits(text, &out->bits[0]))
      out->match[0] = MATCH_REF_HOST;
    else {
      snprintf(why, why_len, "unreadable %s result '%s'", type_name, text);
      return false;
    }
    return true;
  }
  if (!spec_parse_lane_pattern(text, &out->match[0], &out->bits[0]) ||
      (out->match[0] != MATCH_BITS && !out->lane_float)) {
    snprintf(why, why_len, "unreadable %s result '%s'", type_name, text ? text : "");
    return false;
  }
  return true;
}

static bool spec_nan_matches(spec_match match, uint64_t bits, uint32_t width) {
  uint64_t exponent = width == 32 ? 0x7f800000ull : 0x7ff0000000000000ull;
  uint64_t quiet = width == 32 ? 0x00400000ull : 0x0008000000000000ull;
  uint64_t payload = width == 32 ? 0x007fffffull : 0x000fffffffffffffull;
  if ((bits & exponent) != exponent || (bits & payload) == 0) return false;
  if (match == MATCH_NAN_CANONICAL) return (bits & payload) == quiet;
  return (bits & quiet) != 0;
}

static uint64_t spec_scalar_bits(const lw_value *v) {
  uint64_t bits = 0;
  switch (v->type) {
  case LW_I32: bits = (uint32_t)v->of.i32; break;
  case LW_I64: bits = (uint64_t)v->of.i64; break;
  case LW_F32: { uint32_t b; memcpy(&b, &v->of.f32, 4); bits = b; break; }
  case LW_F64: memcpy(&bits, &v->of.f64, 8); break;
  case LW_FUNCREF: bits = (uint64_t)(uintptr_t)v->of.funcref; break;
  case LW_EXTERNREF: bits = (uint64_t)(uintptr_t)v->of.externref; break;
  default: break;
  }
  return bits;
}

static bool spec_lane_matches(spec_match match, uint64_t want, uint64_t got, uint32_t bits) {
  switch (match) {
  case MATCH_BITS: return (got & spec_lane_mask(bits)) == (want & spec_lane_mask(bits));
  case MATCH_NAN_CANONICAL:
  case MATCH_NAN_ARITHMETIC: return spec_nan_matches(match, got, bits);
  default: return false;
  }
}

static bool spec_value_matches(const spec_expected *want, const lw_value *got) {
  if (want->type != got->type) return false;
  if (got->type == LW_V128) {
    for (uint32_t i = 0; i < want->lane_count; i++)
      if (!spec_lane_matches(want->match[i], want->bits[i],
                             spec_v128_lane(got->of.v128, i, want->lane_bits), want->lane_bits))
        return false;
    return true;
  }
  uint64_t bits = spec_scalar_bits(got);
  switch (want->match[0]) {
  case MATCH_REF_NULL: return bits == 0;
  case MATCH_REF_NON_NULL: return bits != 0;
  case MATCH_REF_HOST:
    return got->of.externref == spec_externref(want->bits[0]);
  default: return spec_lane_matches(want->match[0], want->bits[0], bits, want->lane_bits);
  }
}

/* ---- printing ------------------------------------------------------------------------------ */

/* A growing text buffer for report lines; truncates quietly at its capacity. */
typedef struct spec_text {
  char buf[4096];
  size_t len;
} spec_text;

__attribute__((format(printf, 2, 0))) static void spec_text_vadd(spec_text *t, const char *fmt,
                                                                  va_list ap) {
  if (t->len >= sizeof t->buf - 1) return;
  int n = vsnprintf(t->buf + t->len, sizeof t->buf - t->len, fmt, ap);
  if (n > 0) t->len += (size_t)n;
  if (t->len >= sizeof t->buf) t->len = sizeof t->buf - 1;
}

__attribute__((format(printf, 2, 3))) static void spec_text_add(spec_text *t, const char *fmt,
                                                                 ...) {
  va_list ap;
  va_start(ap, fmt);
  spec_text_vadd(t, fmt, ap);
  va_end(ap);
}

/* A name from the JSON, quoted, with control and non-ASCII bytes escaped. */
static void spec_text_name(spec_text *t, const char *name, size_t len) {
  spec_text_add(t, "\"");
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') spec_text_add(t, "\\%02x", c);
    else spec_text_add(t, "%c", c);
  }
  spec_text_add(t, "\"");
}

static void spec_text_float(spec_text *t, uint64_t bits, uint32_t width) {
  double d;
  if (width == 32) {
    float f;
    uint32_t b = (uint32_t)bits;
    memcpy(&f, &b, 4);
    d = f;
  } else {
    memcpy(&d, &bits, 8);
  }
  if (isnan(d)) spec_text_add(t, "%snan:0x%" PRIx64, signbit(d) ? "-" : "", bits);
  else spec_text_add(t, width == 32 ? "%.9g" : "%.17g", d);
}

static void spec_text_value(spec_text *t, const lw_value *v) {
  switch (v->type) {
  case LW_I32: spec_text_add(t, "i32:%" PRId32, v->of.i32); break;
  case LW_I64: spec_text_add(t, "i64:%" PRId64, v->of.i64); break;
  case LW_F32:
    spec_text_add(t, "f32:");
    spec_text_float(t, spec_scalar_bits(v), 32);
    break;
  case LW_F64:
    spec_text_add(t, "f64:");
    spec_text_float(t, spec_scalar_bits(v), 64);
    break;
  case LW_V128:
    spec_text_add(t, "v128:0x");
    for (int i = 15; i >= 0; i--) spec_text_add(t, "%02x", v->of.v128[i]);
    break;
  case LW_FUNCREF:
    if (v->of.funcref) spec_text_add(t, "funcref:%p", (void *)v->of.funcref);
    else spec_text_add(t, "funcref:null");
    break;
  case LW_EXTERNREF:
    if (!v->of.externref) spec_text_add(t, "externref:null");
    else spec_text_add(t, "externref:%" PRIu64, (uint64_t)(uintptr_t)v->of.externref - 1);
    break;
  default: spec_text_add(t, "type 0x%x", (unsigned)v->type); break;
  }
}

static void spec_text_lane(spec_text *t, spec_match match, uint64_t bits, uint32_t width,
                           bool is_float) {
  if (match == MATCH_NAN_CANONICAL) spec_text_add(t, "nan:canonical");
  else if (match == MATCH_NAN_ARITHMETIC) spec_text_add(t, "nan:arithmetic");
  else if (is_float) spec_text_float(t, bits, width);
  else if (width == 64) spec_text_add(t, "%" PRId64, (int64_t)bits);
  else if (width == 32) spec_text_add(t, "%" PRId32, (int32_t)(uint32_t)bits);
  else spec_text_add(t, "%" PRIu64, bits & spec_lane_mask(width));
}

static void spec_text_expected(spec_text *t, const spec_expected *e) {
  spec_text_add(t, "%s:", lw_valtype_name(e->type));
  if (e->type == LW_V128) {
    spec_text_add(t, "[");
    for (uint32_t i = 0; i < e->lane_count; i++) {
      if (i) spec_text_add(t, " ");
      spec_text_lane(t, e->match[i], e->bits[i], e->lane_bits, e->lane_float);
    }
    spec_text_add(t, "]");
    return;
  }
  switch (e->match[0]) {
  case MATCH_REF_NULL: spec_text_add(t, "null"); break;
  case MATCH_REF_NON_NULL: spec_text_add(t, "(any non-null)"); break;
  case MATCH_REF_HOST: spec_text_add(t, "%" PRIu64, e->bits[0]); break;
  default: spec_text_lane(t, e->match[0], e->bits[0], e->lane_bits, e->lane_float); break;
  }
}

/* A v128 result printed in the lanes of the expectation it is compared with. */
static void spec_text_result(spec_text *t, const lw_value *v, const spec_expected *like) {
  if (v->type != LW_V128 || !like || like->type != LW_V128) {
    spec_text_value(t, v);
    return;
  }
  spec_text_add(t, "v128:[");
  for (uint32_t i = 0; i < like->lane_count; i++) {
    if (i) spec_text_add(t, " ");
    spec_text_lane(t, MATCH_BITS, spec_v128_lane(v->of.v128, i, like->lane_bits),
                   like->lane_bits, like->lane_float);
  }
  spec_text_add(t, "]");
}

#endif
