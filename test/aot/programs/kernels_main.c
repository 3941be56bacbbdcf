/* Native driver for kernels.c: `kernels NAME ARG [REPEAT]` prints the result like
 * logwasm-aot-run does and the time per run in nanoseconds on stderr (time_ns N). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels.c"

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const char *name = argv[1];
  int32_t arg = (int32_t)atol(argv[2]);
  long repeat = argc > 3 ? atol(argv[3]) : 1;
  struct timespec t0, t1;
  char out[64] = "";
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
  for (long r = 0; r < repeat; r++) {
    if (!strcmp(name, "fib")) snprintf(out, sizeof out, "%" PRId32, fib(arg));
    else if (!strcmp(name, "sieve")) snprintf(out, sizeof out, "%" PRId32, sieve(arg));
    else if (!strcmp(name, "matmul")) snprintf(out, sizeof out, "%.17g", matmul(arg));
    else if (!strcmp(name, "crc32")) snprintf(out, sizeof out, "%" PRId32, (int32_t)crc32(arg));
    else if (!strcmp(name, "qsort_ind")) snprintf(out, sizeof out, "%" PRId64, qsort_ind(arg));
    else if (!strcmp(name, "nbody")) snprintf(out, sizeof out, "%.17g", nbody(arg));
    else if (!strcmp(name, "hashmap")) snprintf(out, sizeof out, "%" PRId64, hashmap(arg));
    else return 2;
  }
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
  printf("%s\n", out);
  fprintf(stderr, "time_ns %lld\n",
          (long long)((t1.tv_sec - t0.tv_sec) * 1000000000ll + (t1.tv_nsec - t0.tv_nsec)));
  return 0;
}
