/* Unit tests of the Fluent Bit filter core: msgpack reader/writer, JSON both ways, the env
 * libc's printf, and (when fixtures are given) whole filters on the example plugins.
 *
 * Usage: logwasm-fluentbit-test [FIXTURES_DIR]
 *        logwasm-fluentbit-test --example FILE FUNCTION json|msgpack TAG SEC NSEC BODY_JSON
 * Prints one line per failed check and a summary; exit status 0 when everything passed.
 * LOGWASM_MEASURE=1 also prints the measured per-record cost. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fluentbit/json.h"
#include "fluentbit/msgpack.h"
#include "logwasm_filter.h"

static int checks, failures;

#define CHECK(cond, ...)                                                                       \
  do {                                                                                         \
    checks++;                                                                                  \
    if (!(cond)) {                                                                             \
      failures++;                                                                              \
      printf("FAIL %s:%d: ", __FILE__, __LINE__);                                              \
      printf(__VA_ARGS__);                                                                     \
      printf("\n");                                                                            \
    }                                                                                          \
  } while (0)

/* ---- helpers -------------------------------------------------------------------------------- */

static char *hex(const uint8_t *p, size_t n) {
  static char text[4096];
  size_t o = 0;
  for (size_t i = 0; i < n && o + 3 < sizeof text; i++) o += (size_t)sprintf(text + o, "%02x", p[i]);
  text[o] = 0;
  return text;
}

/* msgpack -> JSON text (NUL-terminated, static storage), or "<error: why>". */
static const char *to_json(const uint8_t *mp, size_t n) {
  static char text[8192];
  lw_buf out = {0};
  lw_json_scratch scratch = {0};
  size_t pos = 0;
  const char *why = lw_json_format(mp, n, &pos, &out, &scratch);
  if (why) snprintf(text, sizeof text, "<error: %s>", why);
  else if (pos != n) snprintf(text, sizeof text, "<error: %zu trailing bytes>", n - pos);
  else snprintf(text, sizeof text, "%.*s", (int)out.len, out.data);
  lw_buf_free(&out);
  lw_json_scratch_free(&scratch);
  return text;
}

/* JSON -> msgpack -> JSON. */
static const char *json_roundtrip(const char *json) {
  static char text[8192];
  lw_buf mp = {0};
  size_t at = 0;
  const char *why = lw_json_parse(json, strlen(json), &mp, &at);
  if (why) snprintf(text, sizeof text, "<error at %zu: %s>", at, why);
  else snprintf(text, sizeof text, "%s", to_json(mp.data, mp.len));
  lw_buf_free(&mp);
  return text;
}

/* JSON -> msgpack as hex. */
static const char *json_hex(const char *json) {
  static char text[4096];
  lw_buf mp = {0};
  size_t at = 0;
  const char *why = lw_json_parse(json, strlen(json), &mp, &at);
  if (why) snprintf(text, sizeof text, "<error at %zu: %s>", at, why);
  else snprintf(text, sizeof text, "%s", hex(mp.data, mp.len));
  lw_buf_free(&mp);
  return text;
}

#define CHECK_STR(got, want)                                                                   \
  do {                                                                                         \
    const char *got_ = (got), *want_ = (want);                                                 \
    CHECK(strcmp(got_, want_) == 0, "%s\n   got:  %.300s\n   want: %.300s", #got, got_, want_); \
  } while (0)

/* ---- msgpack -------------------------------------------------------------------------------- */

static void test_msgpack_writer_smallest(void) {
  lw_buf b = {0};
  lw_mp_write_uint(&b, 0);
  lw_mp_write_uint(&b, 127);
  lw_mp_write_uint(&b, 128);
  lw_mp_write_uint(&b, 256);
  lw_mp_write_uint(&b, 65536);
  lw_mp_write_uint(&b, UINT64_MAX);
  CHECK_STR(hex(b.data, b.len), "007fcc80cd0100ce00010000cfffffffffffffffff");
  b.len = 0;
  lw_mp_write_int(&b, -1);
  lw_mp_write_int(&b, -32);
  lw_mp_write_int(&b, -33);
  lw_mp_write_int(&b, -129);
  lw_mp_write_int(&b, -32769);
  lw_mp_write_int(&b, INT64_MIN);
  lw_mp_write_int(&b, 5);
  CHECK_STR(hex(b.data, b.len), "ffe0d0dfd1ff7fd2ffff7fffd3800000000000000005");
  b.len = 0;
  lw_mp_write_str(&b, "abc", 3);
  lw_mp_write_map_header(&b, 16);
  lw_mp_write_array_header(&b, 15);
  lw_mp_write_ext(&b, 0, "\0\0\0\1\0\0\0\2", 8);
  lw_mp_write_f32(&b, 1.5f);
  CHECK_STR(hex(b.data, b.len), "a3616263de00109fd7000000000100000002ca3fc00000");
  lw_buf_free(&b);
}

static void test_msgpack_repack(void) {
  /* {"a": int8 5, "b": uint16 1, "a": float32 1.5, "s": str16 "x", "n": int64 -2} */
  const uint8_t in[] = {0x85, 0xa1, 'a', 0xd0, 0x05, 0xa1, 'b', 0xcd, 0x00, 0x01,
                        0xa1, 'a', 0xca, 0x3f, 0xc0, 0x00, 0x00, 0xa1, 's', 0xda,
                        0x00, 0x01, 'x', 0xa1, 'n', 0xd3, 0xff, 0xff, 0xff, 0xff,
                        0xff, 0xff, 0xff, 0xfe};
  lw_buf out = {0};
  size_t pos = 0;
  const char *why = lw_mp_repack(in, sizeof in, &pos, &out);
  CHECK(!why, "repack: %s", why ? why : "");
  CHECK(pos == sizeof in, "repack consumed %zu of %zu", pos, sizeof in);
  CHECK_STR(hex(out.data, out.len), "85a16105a16201a161ca3fc00000a173a178a16efe");
  /* Truncated input is reported, not read past. */
  out.len = 0;
  pos = 0;
  why = lw_mp_repack(in, sizeof in - 1, &pos, &out);
  CHECK(why && strcmp(why, "truncated") == 0, "truncated repack: %s", why ? why : "(none)");
  /* A huge declared count with no contents fails fast. */
  const uint8_t huge[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0x01};
  pos = 0;
  CHECK(lw_mp_skip(huge, sizeof huge, &pos) != NULL, "huge array skip should fail");
  const uint8_t bad[] = {0x91, 0xc1};
  pos = 0;
  why = lw_mp_skip(bad, sizeof bad, &pos);
  CHECK(why && strstr(why, "0xc1") && pos == 1, "0xc1: %s at %zu", why ? why : "", pos);
  lw_buf_free(&out);
}

/* ---- msgpack -> JSON ------------------------------------------------------------------------ */

static void test_json_format(void) {
  /* The contract's observed examples. */
  CHECK_STR(json_roundtrip("{\"s\":\"quote\\\" tab\\t ctl\\u0001 del\\u007f slash\\/\"}"),
            "{\"s\":\"quote\\\" tab\\t ctl\\u0001 del\\u007f slash/\"}");
  CHECK_STR(json_roundtrip("{\"u\":\"\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\"}"),
            "{\"u\":\"\\u00e9 \\u4e2d \\ud83d\\ude00\"}");
  CHECK_STR(json_roundtrip("{\"u\":\"\\u00E9\\uD83D\\uDE00<\"}"),
            "{\"u\":\"\\u00e9\\ud83d\\ude00<\"}");
  CHECK_STR(json_roundtrip("[\"\\b\\f\\n\\r\\\\\",\"\\u001f\"]"), "[\"\\b\\f\\n\\r\\\\\",\"\\u001f\"]");
  /* Floats: %.16g plus ".0". */
  CHECK_STR(json_roundtrip("[120.0,300.0,1e300,1e-7,4.999944335913415e-321,0.1,-2.5,0.0,-0.0]"),
            "[120.0,300.0,1e+300,1e-07,4.999944335913415e-321,0.1,-2.5,0.0,-0.0]");
  /* Integers stay integers over the full range; beyond it a float. */
  CHECK_STR(json_roundtrip("[10,120,-1,18446744073709551615,-9223372036854775808,0]"),
            "[10,120,-1,18446744073709551615,-9223372036854775808,0]");
  CHECK_STR(json_roundtrip("[18446744073709551616,-9223372036854775809]"),
            "[1.844674407370955e+19,-9.223372036854776e+18]");
  CHECK_STR(json_roundtrip("{\"a\":1,\"b\":2,\"a\":3}"), "{\"b\":2,\"a\":3}");
  CHECK_STR(json_roundtrip("{\"a\":{\"x\":1,\"x\":2},\"b\":[{\"y\":1,\"y\":null}]}"),
            "{\"a\":{\"x\":2},\"b\":[{\"y\":null}]}");
  CHECK_STR(json_roundtrip("{\"a\":1,\"a\":2,\"a\":3,\"b\":4}"), "{\"a\":3,\"b\":4}");
  CHECK_STR(json_roundtrip("{\"a\":1,\"b\":2,\"b\":3,\"a\":4}"), "{\"b\":3,\"a\":4}");
  CHECK_STR(json_roundtrip("{\"a\":1,\"a\":{\"a\":1,\"a\":2}}"), "{\"a\":{\"a\":2}}");
  CHECK_STR(json_roundtrip("{\"x\":0,\"a\":1,\"y\":0,\"a\":2,\"z\":0}"),
            "{\"x\":0,\"y\":0,\"a\":2,\"z\":0}");
  CHECK_STR(json_roundtrip(" { } "), "{}");
  CHECK_STR(json_roundtrip("[true,false,null,[],{}]"), "[true,false,null,[],{}]");

  /* Direct msgpack: float32, bin, ext, non-string keys, invalid UTF-8, NaN. */
  lw_buf b = {0};
  lw_mp_write_map_header(&b, 6);
  lw_mp_write_str(&b, "f", 1);
  lw_mp_write_f32(&b, 0.1f);
  lw_mp_write_str(&b, "bin", 3);
  lw_mp_write_bin(&b, "x\"y", 3);
  lw_mp_write_uint(&b, 7);
  lw_mp_write_str(&b, "seven", 5);
  lw_mp_write_str(&b, "ext", 3);
  lw_mp_write_ext(&b, 0, "\0\0\0\1\0\0\0\2", 8);
  lw_mp_write_str(&b, "bad", 3);
  lw_mp_write_str(&b, "a\xff\xc3", 3);
  lw_mp_write_str(&b, "nan", 3);
  lw_mp_write_f64(&b, NAN);
  CHECK_STR(to_json(b.data, b.len),
            "{\"f\":0.1000000014901161,\"bin\":\"x\\\"y\",\"7\":\"seven\",\"ext\":null,"
            "\"bad\":\"a\\ufffd\\ufffd\",\"nan\":null}");
  /* Truncated input is an error, not a read past the end. */
  CHECK_STR(to_json(b.data, b.len - 3), "<error: truncated>");
  lw_buf_free(&b);

  /* Deep nesting is refused, not a stack overflow. */
  static uint8_t deep[2000];
  memset(deep, 0x91, sizeof deep - 1);
  deep[sizeof deep - 1] = 0xc0;
  CHECK(strstr(to_json(deep, sizeof deep), "nesting") != NULL, "deep: %s", to_json(deep, sizeof deep));
}

/* ---- JSON -> msgpack ------------------------------------------------------------------------ */

static void test_json_parse(void) {
  CHECK_STR(json_hex("{\"a\":10,\"b\":10.5,\"c\":120}"),
            "83a1610aa162cb4025000000000000a16378");
  CHECK_STR(json_hex("-33"), "d0df");
  CHECK_STR(json_hex("18446744073709551615"), "cfffffffffffffffff");
  CHECK_STR(json_hex("120.0"), "cb405e000000000000");
  /* Smallest container/string headers after patching. */
  CHECK_STR(json_hex("[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]"),
            "dc0010000102030405060708090a0b0c0d0e0f");
  CHECK_STR(json_hex("\"a\\nb\""), "a3610a62");
  CHECK_STR(json_hex("{\"k\":1,\"k\":2}"), "82a16b01a16b02"); /* duplicates kept */
  /* A long escaped string gets a str8 header. */
  char longjson[80];
  snprintf(longjson, sizeof longjson, "\"%s\\t\"", "0123456789012345678901234567890123456789");
  const char *h = json_hex(longjson);
  CHECK(strncmp(h, "d929", 4) == 0, "long escaped string header: %s", h);

  /* Errors, with offsets. */
  const char *bad[] = {"",      "{",          "{\"a\"}",   "{\"a\":1,}", "[1 2]",  "{} {}",
                       "{a:1}", "\"\\x\"",    "01x",       "-",          "1.",     "tru",
                       "[1,]",  "\"unterm",   "{\"a\":1",  "1e",         "nul"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    lw_buf mp = {0};
    size_t at = 0;
    const char *why = lw_json_parse(bad[i], strlen(bad[i]), &mp, &at);
    CHECK(why != NULL && mp.len == 0, "bad JSON '%s' accepted", bad[i]);
    CHECK(at <= strlen(bad[i]), "bad JSON '%s' offset %zu", bad[i], at);
    lw_buf_free(&mp);
  }
  lw_buf mp = {0};
  size_t at = 0;
  const char *why = lw_json_parse("{\"a\":1} x", 9, &mp, &at);
  CHECK(why && at == 8, "trailing text offset %zu (%s)", at, why ? why : "");
  lw_buf_free(&mp);

  /* The public wrappers. */
  lw_buf out = {0};
  lw_error err;
  CHECK(lw_json_to_msgpack("{\"x\":[1,2]}", 11, &out, &err) == LW_OK, "lw_json_to_msgpack");
  lw_buf json = {0};
  CHECK(lw_msgpack_to_json(out.data, out.len, &json, &err) == LW_OK, "lw_msgpack_to_json");
  CHECK(json.len == 11 && memcmp(json.data, "{\"x\":[1,2]}", 11) == 0, "public roundtrip");
  CHECK(lw_json_to_msgpack("{\"x\":", 5, &out, &err) == LW_ERR_MALFORMED &&
            strstr(err.message, "offset 5"),
        "public error: %s", err.message);
  lw_buf_free(&out);
  lw_buf_free(&json);
}

/* Float parsing (fast path and strtod fallback) gives exactly strtod's double. */
static void test_json_float_exact(void) {
  unsigned seed = 12345;
  int mismatches = 0;
  for (int n = 0; n < 20000; n++) {
    char text[64];
    size_t o = 0;
    seed = seed * 1103515245u + 12345u;
    if (seed & 0x10000) text[o++] = '-';
    int int_digits = 1 + (int)((seed >> 8) % 9), frac_digits = 1 + (int)((seed >> 12) % 12);
    for (int i = 0; i < int_digits; i++) {
      seed = seed * 1103515245u + 12345u;
      text[o++] = (char)('0' + (i == 0 && int_digits > 1 ? 1 + (seed >> 16) % 9 : (seed >> 16) % 10));
    }
    text[o++] = '.';
    for (int i = 0; i < frac_digits; i++) {
      seed = seed * 1103515245u + 12345u;
      text[o++] = (char)('0' + (seed >> 16) % 10);
    }
    seed = seed * 1103515245u + 12345u;
    if (seed & 0x20000) o += (size_t)sprintf(text + o, "e%d", (int)((seed >> 18) % 60) - 30);
    text[o] = 0;
    lw_buf mp = {0};
    size_t at;
    double want = strtod(text, NULL), got = 0;
    if (!lw_json_parse(text, o, &mp, &at) && mp.len == 9 && mp.data[0] == 0xcb) {
      uint64_t bits = 0;
      for (int i = 1; i < 9; i++) bits = bits << 8 | mp.data[i];
      memcpy(&got, &bits, 8);
    }
    if (memcmp(&got, &want, 8) != 0 && mismatches++ < 5) printf("float %s: got %.17g want %.17g\n", text, got, want);
    lw_buf_free(&mp);
  }
  CHECK(mismatches == 0, "%d float parse mismatches", mismatches);
}

/* Double formatting (fast dyadic path and snprintf) matches %.16g + ".0" exactly. */
static void test_json_double_exact(void) {
  unsigned seed = 777;
  int mismatches = 0;
  for (int n = 0; n < 40000; n++) {
    seed = seed * 1103515245u + 12345u;
    double v;
    switch (n % 4) {
    case 0: v = (double)(int)(seed >> 4) / (double)(1u << (seed % 12)); break; /* dyadic */
    case 1: v = (double)(seed >> 8) * 1e-6; break;
    case 2: v = ldexp((double)(seed | 1), (int)(seed % 80) - 60); break;
    default: v = -(double)(seed >> 3) / 1024.0; break;
    }
    if (n == 0) v = -0.0;
    if (n == 4) v = 9007199254740991.0;
    if (n == 8) v = 0.0001;
    char want[64];
    int len = snprintf(want, sizeof want, "%.16g", v);
    if (!strchr(want, '.') && !strchr(want, 'e')) snprintf(want + len, sizeof want - (size_t)len, ".0");
    lw_buf out = {0};
    lw_json_write_double(&out, v);
    if ((out.len != strlen(want) || memcmp(out.data, want, out.len) != 0) && mismatches++ < 5)
      printf("double %.17g: got %.*s want %s\n", v, (int)out.len, out.data, want);
    lw_buf_free(&out);
  }
  CHECK(mismatches == 0, "%d double format mismatches", mismatches);
}

/* Mutated inputs: every function either fails cleanly or produces output the other side
 * accepts (run under ASan/UBSan by the sanitizer build). */
static void test_mutations(void) {
  const char *json =
      "{\"a\":[1,-2,3.5,\"x\\u00e9\\ud83d\\ude00\",{\"b\":null,\"c\":true}],\"d\":"
      "18446744073709551615,\"e\":{\"f\":\"g\",\"f\":[]},\"h\":-9223372036854775808}";
  lw_buf mp = {0}, out = {0}, back = {0};
  lw_json_scratch scratch = {0};
  size_t at;
  CHECK(!lw_json_parse(json, strlen(json), &mp, &at), "mutation seed parses");
  unsigned seed = 4242;
  int bad_roundtrips = 0;
  uint8_t buf[512];
  char text[512];
  for (int n = 0; n < 20000; n++) {
    /* msgpack side */
    memcpy(buf, mp.data, mp.len);
    size_t len = mp.len;
    for (int k = 0; k < 1 + n % 4; k++) {
      seed = seed * 1103515245u + 12345u;
      buf[(seed >> 8) % len] = (uint8_t)(seed >> 20);
    }
    seed = seed * 1103515245u + 12345u;
    if (seed & 0x40000) len = (seed >> 8) % len;
    size_t pos = 0;
    out.len = 0;
    if (!lw_json_format(buf, len, &pos, &out, &scratch)) {
      back.len = 0;
      /* Our JSON must always parse back. */
      if (lw_json_parse((const char *)out.data, out.len, &back, &at)) bad_roundtrips++;
    }
    pos = 0;
    out.len = 0;
    lw_mp_repack(buf, len, &pos, &out);
    pos = 0;
    lw_mp_skip(buf, len, &pos);
    /* JSON side */
    size_t tl = strlen(json);
    memcpy(text, json, tl);
    for (int k = 0; k < 1 + n % 3; k++) {
      seed = seed * 1103515245u + 12345u;
      text[(seed >> 8) % tl] = "{}[]\",:\\0123456789-.eEtrufalsn \x01\xff"[(seed >> 20) % 32];
    }
    out.len = 0;
    if (!lw_json_parse(text, tl, &out, &at)) {
      size_t p2 = 0;
      back.len = 0;
      if (lw_json_format(out.data, out.len, &p2, &back, &scratch) || p2 != out.len) bad_roundtrips++;
    }
  }
  CHECK(bad_roundtrips == 0, "%d mutated inputs did not round-trip", bad_roundtrips);
  lw_buf_free(&mp);
  lw_buf_free(&out);
  lw_buf_free(&back);
  lw_json_scratch_free(&scratch);
}

/* The filter tests live in fluentbit_filter_test.c. */
int fluentbit_filter_tests(const char *fixtures, int *checks_out, int *failures_out);
int fluentbit_env_tests(int *checks_out, int *failures_out);
int fluentbit_run_example(int argc, char **argv);

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--example") == 0) return fluentbit_run_example(argc, argv);
  test_msgpack_writer_smallest();
  test_msgpack_repack();
  test_json_format();
  test_json_parse();
  test_json_float_exact();
  test_json_double_exact();
  test_mutations();
  fluentbit_env_tests(&checks, &failures);
  fluentbit_filter_tests(argc > 1 ? argv[1] : NULL, &checks, &failures);
  printf("%d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
