/* hash: CRC-32 (table driven, loads + xors + shifts) and FNV-1a 64 over a
 * large generated buffer, several passes. */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

#define BUFFER_SIZE (8u << 20)

static uint32_t crc_table[256];

static void build_crc_table(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

static uint32_t crc32(const unsigned char *bytes, size_t length)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < length; i++)
        crc = crc_table[(crc ^ bytes[i]) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

static uint64_t fnv1a64(const unsigned char *bytes, size_t length)
{
    uint64_t hash = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < length; i++)
        hash = (hash ^ bytes[i]) * 0x100000001b3ull;
    return hash;
}

int main(void)
{
    unsigned char *buffer = malloc(BUFFER_SIZE);
    if (buffer == NULL)
        return 1;
    uint32_t state = 12345;
    for (size_t i = 0; i < BUFFER_SIZE; i++) {
        state = state * 1103515245u + 12345u;
        buffer[i] = (unsigned char)(state >> 16);
    }
    build_crc_table();
    uint32_t crc = 0;
    uint64_t fnv = 0;
    for (int pass = 0; pass < 20; pass++) {
        buffer[pass] ^= 0x5a; /* make each pass different */
        crc ^= crc32(buffer, BUFFER_SIZE);
        fnv ^= fnv1a64(buffer, BUFFER_SIZE);
    }
    printf("hash checksum crc32 %08x fnv1a64 %016llx\n", crc, (unsigned long long)fnv);
    free(buffer);
    return 0;
}
