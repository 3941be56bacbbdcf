/*
 * c_filter: a JSON-mode filter in the style of Fluent Bit's C example.
 *
 * Built with -nostdlib: there is no libc inside the module, so malloc,
 * sprintf and puts are imported from module "env" (the host's small libc,
 * fluent-bit-wasm.md section 5). These are its only imports.
 *
 * Output for tag "dummy.local", time 1666270588.271704000, {"message":"dummy"}:
 *   {"tag":"dummy.local","time":"1666270588.271704000", "message":"Hello, from C!", "original": {"message":"dummy"}}
 *
 * Like the reference plugin it allocates a 1 KiB buffer per record and never
 * frees it (the host must not free what a filter returns), so with the default
 * 8 KiB host heap only a handful of records succeed: raise wasm_heap_size.
 */
#include <stdint.h>

/* Host-provided (env) functions; no headers because there is no libc. */
void *malloc(unsigned long size);
int sprintf(char *out, const char *format, ...);
int puts(const char *text);

#define RESULT_BUFFER_SIZE 1024

char *c_filter(char *tag, int tag_len, uint32_t sec, uint32_t nsec,
               char *record, int record_len)
{
    (void)tag_len;
    (void)record_len; /* the record copy is NUL-terminated in json mode */

    char *result = malloc(RESULT_BUFFER_SIZE);
    if (result == 0) {
        puts("c_filter: malloc(1024) failed; raise wasm_heap_size");
        return 0;
    }
    /* "%lld.%9ld" as in the reference plugin: seconds travel as a 64-bit
     * vararg (8-aligned in the va_list area) and nanoseconds are padded to
     * width 9 with SPACES, not zeros (nsec 5000 prints "1666270588.     5000"). */
    sprintf(result,
            "{\"tag\":\"%s\",\"time\":\"%lld.%9ld\", \"message\":\"Hello, from C!\", \"original\": %s}",
            tag, (long long)sec, (long)nsec, record);
    return result;
}
