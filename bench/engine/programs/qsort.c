/* qsort: a recursive, generic quicksort as C libraries write it (element size and comparator
 * as arguments, bytes swapped through a helper), sorting 32-bit keys and 16-byte records.
 * Measures call-heavy recursive code: a comparator call (through a pointer) per comparison, a
 * swap call per exchange, a recursive call per partition. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef int (*compare_fn)(const void *, const void *);

struct record { uint32_t key; uint32_t group; uint64_t payload; };

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int compare_record(const void *a, const void *b)
{
    const struct record *l = a, *r = b;
    if (l->group != r->group)
        return l->group < r->group ? -1 : 1;
    return (l->key > r->key) - (l->key < r->key);
}

/* Swaps in the widest unit the element size allows, as C libraries' qsort does. */
__attribute__((noinline)) static void swap_bytes(unsigned char *a, unsigned char *b, size_t size)
{
    if (size % 8 == 0) {
        for (size_t i = 0; i < size; i += 8) {
            uint64_t x, y;
            __builtin_memcpy(&x, a + i, 8);
            __builtin_memcpy(&y, b + i, 8);
            __builtin_memcpy(a + i, &y, 8);
            __builtin_memcpy(b + i, &x, 8);
        }
    } else if (size % 4 == 0) {
        for (size_t i = 0; i < size; i += 4) {
            uint32_t x, y;
            __builtin_memcpy(&x, a + i, 4);
            __builtin_memcpy(&y, b + i, 4);
            __builtin_memcpy(a + i, &y, 4);
            __builtin_memcpy(b + i, &x, 4);
        }
    } else {
        for (size_t i = 0; i < size; i++) {
            unsigned char t = a[i];
            a[i] = b[i];
            b[i] = t;
        }
    }
}

/* Median of three as the pivot (moved to the front), Hoare-style partition, recursion into
 * both halves (no explicit stack, no insertion sort cut-off: every level is a call). */
__attribute__((noinline)) static void sort(unsigned char *base, size_t count, size_t size,
                                           compare_fn compare)
{
    if (count < 2)
        return;
    unsigned char *first = base, *middle = base + (count / 2) * size,
                  *last = base + (count - 1) * size;
    if (compare(middle, first) < 0) swap_bytes(middle, first, size);
    if (compare(last, middle) < 0) {
        swap_bytes(last, middle, size);
        if (compare(middle, first) < 0) swap_bytes(middle, first, size);
    }
    swap_bytes(first, middle, size);
    size_t i = 0, j = count;
    for (;;) {
        do i++; while (i < count && compare(base + i * size, first) < 0);
        do j--; while (compare(base + j * size, first) > 0);
        if (i >= j)
            break;
        swap_bytes(base + i * size, base + j * size, size);
    }
    swap_bytes(first, base + j * size, size);
    sort(base, j, size, compare);
    sort(base + (j + 1) * size, count - j - 1, size, compare);
}

int main(void)
{
    enum { KEYS = 600000, RECORDS = 200000 };
    uint32_t *keys = malloc(KEYS * sizeof *keys);
    struct record *records = malloc(RECORDS * sizeof *records);
    if (keys == NULL || records == NULL)
        return 1;
    uint32_t seed = 12345, checksum = 0;
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < KEYS; i++) {
            seed = seed * 1664525u + 1013904223u;
            keys[i] = seed;
        }
        sort((unsigned char *)keys, KEYS, sizeof *keys, compare_u32);
        for (int i = 0; i < RECORDS; i++) {
            seed = seed * 1664525u + 1013904223u;
            records[i].key = seed;
            records[i].group = seed >> 28;
            records[i].payload = (uint64_t)i * 2654435761u;
        }
        sort((unsigned char *)records, RECORDS, sizeof *records, compare_record);
        for (int i = 1; i < KEYS; i++)
            if (keys[i - 1] > keys[i])
                return 2;
        for (int i = 0; i < KEYS; i += 991)
            checksum = checksum * 31 + keys[i];
        for (int i = 0; i < RECORDS; i += 997)
            checksum = checksum * 31 + records[i].key + (uint32_t)records[i].payload;
    }
    printf("qsort checksum %u\n", checksum);
    free(keys);
    free(records);
    return 0;
}
