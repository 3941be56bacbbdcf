/* A small JSON reader for logwasm-spec: enough for wast2json's output (objects, arrays,
 * strings with \u escapes, numbers kept as their text, true/false/null). Header-only because
 * every .c file in tools/ becomes its own executable.
 *
 * Strings are decoded to UTF-8 and NUL-terminated; `len` holds their real length, since
 * wast2json writes names that contain U+0000 (names.wast). Numbers are kept as text: the
 * runner reads wast2json's values from strings anyway. */
#ifndef LW_SPEC_JSON_H
#define LW_SPEC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum json_kind {
  JSON_NULL,
  JSON_BOOL,
  JSON_NUMBER,
  JSON_STRING,
  JSON_ARRAY,
  JSON_OBJECT
} json_kind;

typedef struct json_value json_value;
struct json_value {
  json_kind kind;
  bool boolean;       /* JSON_BOOL */
  char *text;         /* JSON_STRING (decoded) and JSON_NUMBER (as written) */
  size_t len;         /* bytes in text, not counting the terminating NUL */
  json_value *items;  /* JSON_ARRAY elements, JSON_OBJECT member values */
  char **keys;        /* JSON_OBJECT member names, parallel to items */
  size_t count;
};

typedef struct json_parser {
  const char *at;
  const char *end;
  const char *start;
  char error[160];
} json_parser;

/* Nesting limit: wast2json nests 5 deep; this only guards against a stack overflow on junk. */
#define JSON_MAX_DEPTH 64

static void json_free(json_value *value) {
  if (!value) return;
  for (size_t i = 0; i < value->count; i++) {
    json_free(&value->items[i]);
    if (value->keys) free(value->keys[i]);
  }
  free(value->items);
  free(value->keys);
  free(value->text);
  memset(value, 0, sizeof *value);
}

static bool json_fail(json_parser *p, const char *what) {
  if (!p->error[0])
    snprintf(p->error, sizeof p->error, "%s at byte %zu", what, (size_t)(p->at - p->start));
  return false;
}

static void json_skip_space(json_parser *p) {
  while (p->at < p->end && (*p->at == ' ' || *p->at == '\t' || *p->at == '\n' || *p->at == '\r'))
    p->at++;
}

static bool json_hex4(json_parser *p, uint32_t *out) {
  if (p->end - p->at < 4) return json_fail(p, "truncated \\u escape");
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    char c = *p->at++;
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
    else return json_fail(p, "bad hex digit in \\u escape");
  }
  *out = v;
  return true;
}

static size_t json_put_utf8(char *dst, uint32_t cp) {
  if (cp < 0x80) { dst[0] = (char)cp; return 1; }
  if (cp < 0x800) {
    dst[0] = (char)(0xc0 | (cp >> 6));
    dst[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    dst[0] = (char)(0xe0 | (cp >> 12));
    dst[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    dst[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  dst[0] = (char)(0xf0 | (cp >> 18));
  dst[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
  dst[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
  dst[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

/* Called with p->at just past the opening quote. The decoded text is never longer than the
 * source (every escape is at least as long as the UTF-8 it stands for). */
static bool json_parse_string(json_parser *p, char **out, size_t *out_len) {
  const char *scan = p->at;
  while (scan < p->end && *scan != '"') scan += (*scan == '\\') ? 2 : 1;
  if (scan >= p->end) return json_fail(p, "unterminated string");
  char *buf = malloc((size_t)(scan - p->at) + 1);
  if (!buf) return json_fail(p, "out of memory");
  size_t n = 0;
  while (*p->at != '"') {
    char c = *p->at++;
    if (c != '\\') { buf[n++] = c; continue; }
    char e = *p->at++;
    switch (e) {
    case '"': buf[n++] = '"'; break;
    case '\\': buf[n++] = '\\'; break;
    case '/': buf[n++] = '/'; break;
    case 'b': buf[n++] = '\b'; break;
    case 'f': buf[n++] = '\f'; break;
    case 'n': buf[n++] = '\n'; break;
    case 'r': buf[n++] = '\r'; break;
    case 't': buf[n++] = '\t'; break;
    case 'u': {
      uint32_t cp;
      if (!json_hex4(p, &cp)) { free(buf); return false; }
      /* A surrogate pair (two escapes) becomes one 4-byte sequence. */
      if (cp >= 0xd800 && cp < 0xdc00 && p->end - p->at >= 6 && p->at[0] == '\\' &&
          p->at[1] == 'u') {
        const char *save = p->at;
        uint32_t low;
        p->at += 2;
        if (json_hex4(p, &low) && low >= 0xdc00 && low < 0xe000)
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        else { p->at = save; p->error[0] = 0; }
      }
      n += json_put_utf8(buf + n, cp);
      break;
    }
    default: free(buf); return json_fail(p, "bad escape in string");
    }
  }
  p->at++; /* closing quote */
  buf[n] = 0;
  *out = buf;
  *out_len = n;
  return true;
}

static bool json_parse_value(json_parser *p, json_value *out, int depth);

static bool json_append(json_parser *p, json_value *v, size_t *cap, bool with_key) {
  if (v->count < *cap) return true;
  size_t ncap = *cap ? *cap * 2 : 8;
  json_value *items = realloc(v->items, ncap * sizeof *items);
  if (!items) return json_fail(p, "out of memory");
  v->items = items;
  if (with_key) {
    char **keys = realloc(v->keys, ncap * sizeof *keys);
    if (!keys) return json_fail(p, "out of memory");
    v->keys = keys;
  }
  *cap = ncap;
  return true;
}

static bool json_parse_value(json_parser *p, json_value *out, int depth) {
  memset(out, 0, sizeof *out);
  if (depth > JSON_MAX_DEPTH) return json_fail(p, "nesting too deep");
  json_skip_space(p);
  if (p->at >= p->end) return json_fail(p, "unexpected end of input");
  char c = *p->at;
  if (c == '"') {
    p->at++;
    out->kind = JSON_STRING;
    return json_parse_string(p, &out->text, &out->len);
  }
  if (c == '{' || c == '[') {
    bool is_object = c == '{';
    char close = is_object ? '}' : ']';
    size_t cap = 0;
    out->kind = is_object ? JSON_OBJECT : JSON_ARRAY;
    p->at++;
    json_skip_space(p);
    if (p->at < p->end && *p->at == close) { p->at++; return true; }
    for (;;) {
      if (!json_append(p, out, &cap, is_object)) return false;
      if (is_object) {
        json_skip_space(p);
        if (p->at >= p->end || *p->at != '"') return json_fail(p, "expected a member name");
        p->at++;
        size_t key_len;
        out->keys[out->count] = NULL;
        if (!json_parse_string(p, &out->keys[out->count], &key_len)) return false;
        json_skip_space(p);
        if (p->at >= p->end || *p->at != ':') {
          free(out->keys[out->count]);
          return json_fail(p, "expected ':'");
        }
        p->at++;
      }
      bool ok = json_parse_value(p, &out->items[out->count], depth + 1);
      out->count++; /* counted even on failure, so json_free releases what was built */
      if (!ok) return false;
      json_skip_space(p);
      if (p->at < p->end && *p->at == ',') { p->at++; continue; }
      if (p->at < p->end && *p->at == close) { p->at++; return true; }
      return json_fail(p, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
  }
  if (c == '-' || (c >= '0' && c <= '9')) {
    const char *s = p->at;
    while (p->at < p->end && (strchr("+-.eE", *p->at) || (*p->at >= '0' && *p->at <= '9')))
      p->at++;
    out->kind = JSON_NUMBER;
    out->len = (size_t)(p->at - s);
    out->text = malloc(out->len + 1);
    if (!out->text) return json_fail(p, "out of memory");
    memcpy(out->text, s, out->len);
    out->text[out->len] = 0;
    return true;
  }
  static const struct { const char *word; json_kind kind; bool value; } words[] = {
      {"true", JSON_BOOL, true}, {"false", JSON_BOOL, false}, {"null", JSON_NULL, false}};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    size_t n = strlen(words[i].word);
    if ((size_t)(p->end - p->at) >= n && memcmp(p->at, words[i].word, n) == 0) {
      p->at += n;
      out->kind = words[i].kind;
      out->boolean = words[i].value;
      return true;
    }
  }
  return json_fail(p, "unexpected character");
}

/* Parse a whole document. On failure returns false, leaves *out empty and writes a message. */
static bool json_parse(const char *text, size_t len, json_value *out, char *error,
                       size_t error_len) {
  json_parser p = {.at = text, .end = text + len, .start = text, .error = {0}};
  bool ok = json_parse_value(&p, out, 0);
  if (ok) {
    json_skip_space(&p);
    if (p.at != p.end) ok = json_fail(&p, "trailing characters after the document");
  }
  if (!ok) {
    json_free(out);
    if (error && error_len) snprintf(error, error_len, "%s", p.error);
  }
  return ok;
}

/* Member of an object by name, or NULL (also when obj is NULL or not an object). */
static const json_value *json_get(const json_value *obj, const char *key) {
  if (!obj || obj->kind != JSON_OBJECT) return NULL;
  for (size_t i = 0; i < obj->count; i++)
    if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
  return NULL;
}

/* The text of a string member, or NULL when absent or not a string. */
static const char *json_get_string(const json_value *obj, const char *key) {
  const json_value *v = json_get(obj, key);
  return v && v->kind == JSON_STRING ? v->text : NULL;
}

#endif
