/* fib: deep recursion. Measures call/return cost (frames, argument passing). */
#include <stdio.h>

/* noinline + a non-foldable argument keep compilers from turning the
 * recursion into a loop or a constant. */
__attribute__((noinline)) static unsigned fib(unsigned n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(void)
{
    volatile unsigned depth = 38;
    unsigned total = 0;
    for (unsigned round = 0; round < 4; round++)
        total += fib(depth + round % 2);
    printf("fib checksum %u\n", total);
    return 0;
}
