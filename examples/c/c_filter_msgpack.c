/*
 * c_filter_msgpack: a msgpack-mode filter (event_format msgpack) in C, built
 * as a wasi-libc reactor that exports malloc and free.
 *
 * Transformation: the record body must be a msgpack map. The result is a new
 * map with the input's pairs in their order and bytes unchanged, except that
 * any existing "tag" or "lang" key is left out, followed by
 *     "tag":  the record's tag (a string)
 *     "lang": "C"
 * So {"message":"dummy"} with tag dummy.local becomes
 *     {"message":"dummy","tag":"dummy.local","lang":"C"}
 * A body that is not a map, or malformed msgpack, gives NULL (the record is
 * dropped).
 *
 * The msgpack reader and writer below are deliberately tiny: values other
 * than the map's keys are never decoded, only measured (skipped) and copied
 * as they are, so every msgpack type passes through untouched.
 *
 * The result buffer is kept and reused across records (grown with realloc
 * when a record needs more), so the module does not leak: the host copies
 * the result before it calls the filter again (fluent-bit-wasm.md section 1).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading ---------------------------------------------------------- */

typedef struct {
    const uint8_t *at;
    const uint8_t *end;
} reader;

static int read_be(reader *r, size_t width, uint64_t *value)
{
    if ((size_t)(r->end - r->at) < width)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < width; i++)
        v = (v << 8) | r->at[i];
    r->at += width;
    *value = v;
    return 1;
}

static int skip_bytes(reader *r, uint64_t count)
{
    if ((uint64_t)(r->end - r->at) < count)
        return 0;
    r->at += count;
    return 1;
}

/* Skips one complete value (nested maps and arrays included). Iterative: a
 * count of values still to skip replaces recursion, so deep nesting cannot
 * exhaust the guest's stack. */
static int skip_value(reader *r)
{
    uint64_t pending = 1;
    while (pending > 0) {
        pending--;
        if (r->at >= r->end)
            return 0;
        uint8_t b = *r->at++;
        uint64_t n;
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
            continue;                                   /* fixint, nil, bool */
        if ((b & 0xe0) == 0xa0) {                       /* fixstr */
            if (!skip_bytes(r, b & 0x1f)) return 0;
            continue;
        }
        if ((b & 0xf0) == 0x90) { pending += b & 0x0f; continue; }        /* fixarray */
        if ((b & 0xf0) == 0x80) { pending += 2u * (b & 0x0f); continue; } /* fixmap */
        switch (b) {
        case 0xcc: case 0xd0: if (!skip_bytes(r, 1)) return 0; break;
        case 0xcd: case 0xd1: if (!skip_bytes(r, 2)) return 0; break;
        case 0xca: case 0xce: case 0xd2: if (!skip_bytes(r, 4)) return 0; break;
        case 0xcb: case 0xcf: case 0xd3: if (!skip_bytes(r, 8)) return 0; break;
        case 0xd4: if (!skip_bytes(r, 2)) return 0; break;   /* fixext 1 */
        case 0xd5: if (!skip_bytes(r, 3)) return 0; break;   /* fixext 2 */
        case 0xd6: if (!skip_bytes(r, 5)) return 0; break;   /* fixext 4 */
        case 0xd7: if (!skip_bytes(r, 9)) return 0; break;   /* fixext 8 */
        case 0xd8: if (!skip_bytes(r, 17)) return 0; break;  /* fixext 16 */
        case 0xc4: case 0xd9:                                /* bin 8, str 8 */
            if (!read_be(r, 1, &n) || !skip_bytes(r, n)) return 0;
            break;
        case 0xc5: case 0xda:
            if (!read_be(r, 2, &n) || !skip_bytes(r, n)) return 0;
            break;
        case 0xc6: case 0xdb:
            if (!read_be(r, 4, &n) || !skip_bytes(r, n)) return 0;
            break;
        case 0xc7: if (!read_be(r, 1, &n) || !skip_bytes(r, n + 1)) return 0; break; /* ext 8 */
        case 0xc8: if (!read_be(r, 2, &n) || !skip_bytes(r, n + 1)) return 0; break;
        case 0xc9: if (!read_be(r, 4, &n) || !skip_bytes(r, n + 1)) return 0; break;
        case 0xdc: if (!read_be(r, 2, &n)) return 0; pending += n; break;      /* array 16 */
        case 0xdd: if (!read_be(r, 4, &n)) return 0; pending += n; break;
        case 0xde: if (!read_be(r, 2, &n)) return 0; pending += 2 * n; break;  /* map 16 */
        case 0xdf: if (!read_be(r, 4, &n)) return 0; pending += 2 * n; break;
        default: return 0;                                   /* 0xc1: never used */
        }
    }
    return 1;
}

/* Reads a map header; 0 when the value is not a map. */
static int read_map_header(reader *r, uint64_t *count)
{
    if (r->at >= r->end)
        return 0;
    uint8_t b = *r->at++;
    if ((b & 0xf0) == 0x80) { *count = b & 0x0f; return 1; }
    if (b == 0xde) return read_be(r, 2, count);
    if (b == 0xdf) return read_be(r, 4, count);
    return 0;
}

/* True when the value at r is a string equal to name (r is not moved). */
static int is_string(const reader *r, const char *name)
{
    reader peek = *r;
    size_t name_len = strlen(name);
    uint64_t len;
    if (peek.at >= peek.end)
        return 0;
    uint8_t b = *peek.at++;
    if ((b & 0xe0) == 0xa0) len = b & 0x1f;
    else if (b == 0xd9) { if (!read_be(&peek, 1, &len)) return 0; }
    else if (b == 0xda) { if (!read_be(&peek, 2, &len)) return 0; }
    else if (b == 0xdb) { if (!read_be(&peek, 4, &len)) return 0; }
    else return 0;
    return len == name_len && (uint64_t)(peek.end - peek.at) >= len && memcmp(peek.at, name, len) == 0;
}

/* ---- writing (the caller reserves enough room first) --------------------- */

static uint8_t *write_be(uint8_t *out, uint64_t value, size_t width)
{
    for (size_t i = width; i > 0; i--) {
        out[i - 1] = (uint8_t)value;
        value >>= 8;
    }
    return out + width;
}

static uint8_t *write_map_header(uint8_t *out, uint64_t count)
{
    if (count <= 15) { *out++ = (uint8_t)(0x80 | count); return out; }
    if (count <= 0xffff) { *out++ = 0xde; return write_be(out, count, 2); }
    *out++ = 0xdf;
    return write_be(out, count, 4);
}

static uint8_t *write_string(uint8_t *out, const char *text, size_t len)
{
    if (len <= 31) *out++ = (uint8_t)(0xa0 | len);
    else if (len <= 0xff) { *out++ = 0xd9; out = write_be(out, len, 1); }
    else if (len <= 0xffff) { *out++ = 0xda; out = write_be(out, len, 2); }
    else { *out++ = 0xdb; out = write_be(out, len, 4); }
    memcpy(out, text, len);
    return out + len;
}

/* ---- the filter --------------------------------------------------------- */

static uint8_t *result_buffer;
static size_t result_capacity;

/* Headers: the map (5) and four strings (5 each), plus "tag" and "lang". */
#define RESULT_OVERHEAD 64

__attribute__((export_name("c_filter_msgpack")))
uint8_t *c_filter_msgpack(const char *tag, int tag_len, uint32_t sec, uint32_t nsec,
                          const uint8_t *record, int record_len)
{
    (void)sec;
    (void)nsec;
    if (tag_len < 0 || record_len < 0)
        return NULL;
    size_t needed = (size_t)record_len + (size_t)tag_len + RESULT_OVERHEAD;
    if (needed > result_capacity) {
        uint8_t *grown = realloc(result_buffer, needed);
        if (grown == NULL)
            return NULL;
        result_buffer = grown;
        result_capacity = needed;
    }

    reader r = { record, record + record_len };
    uint64_t pairs;
    if (!read_map_header(&r, &pairs))
        return NULL;

    /* The count of kept pairs is known only after the scan, so the pairs are
     * copied first, after room for the largest map header, and the header is
     * put in front of them at the end. */
    uint8_t *pairs_start = result_buffer + 5;
    uint8_t *out = pairs_start;
    uint64_t kept = 0;
    for (uint64_t i = 0; i < pairs; i++) {
        const uint8_t *pair_start = r.at;
        int replaced = is_string(&r, "tag") || is_string(&r, "lang");
        if (!skip_value(&r) || !skip_value(&r))
            return NULL;
        if (replaced)
            continue;
        memcpy(out, pair_start, (size_t)(r.at - pair_start));
        out += r.at - pair_start;
        kept++;
    }
    out = write_string(out, "tag", 3);
    out = write_string(out, tag, (size_t)tag_len);
    out = write_string(out, "lang", 4);
    out = write_string(out, "C", 1);

    uint8_t header[5];
    size_t header_len = (size_t)(write_map_header(header, kept + 2) - header);
    uint8_t *start = pairs_start - header_len;
    memcpy(start, header, header_len);
    return start;
}
