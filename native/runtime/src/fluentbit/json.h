/* JSON <-> msgpack with the filter's exact semantics (fluent-bit-wasm.md section 2). */
#ifndef LW_FB_JSON_H
#define LW_FB_JSON_H

#include "msgpack.h"

/* Scratch space reused across records so formatting does not allocate per record: a stack of
 * map-entry descriptors used to find duplicate keys. Zero-initialise; free with
 * lw_json_scratch_free. */
typedef struct lw_json_scratch {
  struct lw_json_entry *entries;
  size_t count, cap;
} lw_json_scratch;
void lw_json_scratch_free(lw_json_scratch *scratch);

/* Format the msgpack object at *pos as compact JSON, appended to out (no NUL). Returns NULL or
 * a reason ("truncated", "nesting deeper than 512", "out of host memory"); *pos advances past
 * the object. */
const char *lw_json_format(const uint8_t *src, size_t len, size_t *pos, lw_buf *out,
                           lw_json_scratch *scratch);

/* Parse JSON text as exactly one value (whitespace around it allowed) and append its msgpack
 * form to out. On error returns a reason and sets *error_offset to the byte offset in text. */
const char *lw_json_parse(const char *text, size_t len, lw_buf *out, size_t *error_offset);

/* Parse one JSON value starting at *pos (leading whitespace skipped) and append its msgpack
 * form to out; text after the value is left alone. *pos ends after the value, or at the
 * offending byte when a reason is returned. */
const char *lw_json_parse_at(const char *text, size_t len, size_t *pos, lw_buf *out);

/* Append the %.16g text of a double with Fluent Bit's ".0" rule; non-finite values as null. */
bool lw_json_write_double(lw_buf *out, double v);

#endif
