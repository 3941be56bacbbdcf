/* json_tokenize: byte scanning with many branches, like a JSON tokenizer.
 * Generates a JSON text (objects, arrays, strings with escapes, numbers,
 * literals), then tokenizes it several times, counting tokens by kind and
 * summing the integer values seen. */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum token_kind { T_OBJ_OPEN, T_OBJ_CLOSE, T_ARR_OPEN, T_ARR_CLOSE, T_COLON, T_COMMA,
                  T_STRING, T_NUMBER, T_TRUE, T_FALSE, T_NULL, T_KIND_COUNT };

struct text { char *bytes; size_t length, capacity; };

static void append(struct text *t, const char *s)
{
    size_t n = strlen(s);
    if (t->length + n + 1 > t->capacity) {
        t->capacity = (t->length + n + 1) * 2;
        t->bytes = realloc(t->bytes, t->capacity);
        if (t->bytes == NULL)
            exit(1);
    }
    memcpy(t->bytes + t->length, s, n + 1);
    t->length += n;
}

static struct text generate(int records)
{
    struct text t = { 0 };
    char scratch[160];
    uint32_t seed = 7;
    append(&t, "[");
    for (int i = 0; i < records; i++) {
        seed = seed * 1664525u + 1013904223u;
        snprintf(scratch, sizeof scratch,
                 "%s{\"id\":%d,\"level\":\"%s\",\"msg\":\"user \\\"u%u\\\" logged in\\n\\tfrom host-%u\","
                 "\"latency_ms\":%u.%u,\"ok\":%s,\"tags\":[\"a\",\"bb\",%d,null],\"nested\":{\"depth\":%u}}",
                 i ? "," : "", i, (seed >> 8) % 3 ? "info" : "warn", seed % 1000, (seed >> 4) % 50,
                 (seed >> 12) % 900, seed % 10, (seed & 1) ? "true" : "false", -(int)(seed % 77),
                 (seed >> 20) % 9);
        append(&t, scratch);
    }
    append(&t, "]");
    return t;
}

struct tally { uint32_t kinds[T_KIND_COUNT]; int64_t integer_sum; uint32_t string_bytes; };

static int tokenize(const char *p, const char *end, struct tally *tally)
{
    while (p < end) {
        char c = *p;
        switch (c) {
        case ' ': case '\n': case '\t': case '\r': p++; break;
        case '{': tally->kinds[T_OBJ_OPEN]++; p++; break;
        case '}': tally->kinds[T_OBJ_CLOSE]++; p++; break;
        case '[': tally->kinds[T_ARR_OPEN]++; p++; break;
        case ']': tally->kinds[T_ARR_CLOSE]++; p++; break;
        case ':': tally->kinds[T_COLON]++; p++; break;
        case ',': tally->kinds[T_COMMA]++; p++; break;
        case '"':
            p++;
            while (p < end && *p != '"') {
                if (*p == '\\')
                    p++; /* skip the escaped byte */
                p++;
                tally->string_bytes++;
            }
            if (p >= end)
                return -1;
            p++;
            tally->kinds[T_STRING]++;
            break;
        case 't': if (end - p < 4 || memcmp(p, "true", 4)) return -1; tally->kinds[T_TRUE]++; p += 4; break;
        case 'f': if (end - p < 5 || memcmp(p, "false", 5)) return -1; tally->kinds[T_FALSE]++; p += 5; break;
        case 'n': if (end - p < 4 || memcmp(p, "null", 4)) return -1; tally->kinds[T_NULL]++; p += 4; break;
        default: {
            int negative = 0;
            int64_t value = 0;
            if (c == '-') { negative = 1; p++; }
            if (p >= end || *p < '0' || *p > '9')
                return -1;
            while (p < end && *p >= '0' && *p <= '9')
                value = value * 10 + (*p++ - '0');
            if (p < end && *p == '.') { /* fraction: scanned, not summed */
                p++;
                while (p < end && *p >= '0' && *p <= '9')
                    p++;
            }
            tally->integer_sum += negative ? -value : value;
            tally->kinds[T_NUMBER]++;
        }
        }
    }
    return 0;
}

int main(void)
{
    struct text text = generate(60000);
    uint32_t checksum = (uint32_t)text.length;
    for (int pass = 0; pass < 30; pass++) {
        struct tally tally = { { 0 }, 0, 0 };
        if (tokenize(text.bytes, text.bytes + text.length, &tally) != 0) {
            printf("json_tokenize: malformed text\n");
            return 1;
        }
        for (int k = 0; k < T_KIND_COUNT; k++)
            checksum = checksum * 31 + tally.kinds[k];
        checksum = checksum * 31 + (uint32_t)tally.integer_sum + tally.string_bytes;
    }
    printf("json_tokenize checksum %u bytes %zu\n", checksum, text.length);
    free(text.bytes);
    return 0;
}
