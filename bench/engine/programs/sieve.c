/* sieve: tight integer loops. A sieve of Eratosthenes (byte array, strided
 * stores) and Collatz chain lengths (division-free arithmetic, branches). */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define SIEVE_LIMIT 4000000u
static unsigned char composite[SIEVE_LIMIT + 1];

static uint32_t count_primes(uint32_t limit)
{
    memset(composite, 0, limit + 1);
    uint32_t count = 0;
    for (uint32_t i = 2; i <= limit; i++) {
        if (composite[i])
            continue;
        count++;
        for (uint64_t j = (uint64_t)i * i; j <= limit; j += i)
            composite[j] = 1;
    }
    return count;
}

static uint32_t collatz_steps(uint64_t n)
{
    uint32_t steps = 0;
    while (n != 1) {
        n = (n & 1) ? 3 * n + 1 : n >> 1;
        steps++;
    }
    return steps;
}

int main(void)
{
    uint32_t checksum = 0;
    for (int round = 0; round < 10; round++)
        checksum = checksum * 31 + count_primes(SIEVE_LIMIT - (uint32_t)round);
    uint32_t longest = 0, longest_start = 0;
    for (uint32_t n = 1; n < 2400000; n++) {
        uint32_t steps = collatz_steps(n);
        if (steps > longest) {
            longest = steps;
            longest_start = n;
        }
        checksum += steps;
    }
    printf("sieve checksum %u longest %u at %u\n", checksum, longest, longest_start);
    return 0;
}
