/* memcopy: bulk memory moves. memcpy and overlapping memmove of buffers of
 * several sizes (with -mbulk-memory these become memory.copy in wasm), plus a
 * byte-wise copy loop the compiler must not turn into memcpy. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define BUFFER_SIZE (1u << 20)
static unsigned char source[BUFFER_SIZE], target[BUFFER_SIZE];

static uint32_t mix(uint32_t hash, const unsigned char *bytes, size_t length)
{
    /* Sample a few bytes so the copies stay observable without a full hash. */
    for (size_t i = 0; i < length; i += 4093)
        hash = (hash ^ bytes[i]) * 16777619u;
    return hash;
}

int main(void)
{
    for (uint32_t i = 0; i < BUFFER_SIZE; i++)
        source[i] = (unsigned char)(i * 2654435761u >> 24);

    uint32_t hash = 2166136261u;
    static const size_t sizes[] = { 16, 100, 4096, 65536, BUFFER_SIZE / 2 };
    for (int round = 0; round < 12000; round++) {
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            size_t length = sizes[s];
            size_t offset = ((size_t)round * 7919u) % (BUFFER_SIZE - length);
            memcpy(target + (BUFFER_SIZE - length - offset), source + offset, length);
            /* Overlapping moves, both directions. */
            memmove(target + 1, target, length);
            memmove(target, target + 3, length);
        }
        hash = mix(hash, target, BUFFER_SIZE);
    }
    /* Byte loop: volatile-free but with a data dependency on the previous byte. */
    unsigned char carry = 0;
    for (int round = 0; round < 300; round++)
        for (uint32_t i = 0; i < BUFFER_SIZE; i++) {
            carry = (unsigned char)(source[i] + carry);
            target[i] = carry;
        }
    hash = mix(hash, target, BUFFER_SIZE);
    printf("memcopy checksum %u\n", hash);
    return 0;
}
