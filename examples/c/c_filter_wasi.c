/*
 * c_filter (wasi-libc reactor build): same observable output as c_filter.c,
 * but linked against wasi-libc instead of importing libc from "env".
 *
 * Built with -mexec-model=reactor, so the module exports _initialize (the
 * host calls it once at instantiation) and has no _start. It exports malloc
 * and free, so the host copies tag and record into guest memory with the
 * module's own allocator (fluent-bit-wasm.md section 1).
 *
 * Unlike the reference plugin it does not leak: the result buffer is kept
 * and reused (grown when a record needs more room). That is allowed because
 * the host copies the result before it calls the filter again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static char *result_buffer;
static size_t result_capacity;

/* Fixed text around the tag and the record, plus room for two u32 numbers. */
#define RESULT_OVERHEAD 128

__attribute__((export_name("c_filter")))
char *c_filter(char *tag, int tag_len, uint32_t sec, uint32_t nsec,
               char *record, int record_len)
{
    size_t needed = (size_t)tag_len + (size_t)record_len + RESULT_OVERHEAD;
    if (needed > result_capacity) {
        char *grown = realloc(result_buffer, needed);
        if (grown == NULL) {
            fputs("c_filter: out of memory for the result buffer\n", stderr);
            return NULL;
        }
        result_buffer = grown;
        result_capacity = needed;
    }
    snprintf(result_buffer, result_capacity,
             "{\"tag\":\"%.*s\",\"time\":\"%lld.%9ld\", \"message\":\"Hello, from C!\", \"original\": %.*s}",
             tag_len, tag, (long long)sec, (long)nsec, record_len, record);
    return result_buffer;
}
