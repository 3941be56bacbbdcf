/* CPU-heavy kernels: test programs for the AOT tier (results compared with the same C compiled
 * natively) and its benchmark (test/aot/bench.mjs). Freestanding: builds for wasm32 with
 * -nostdlib and natively with a driver. Each kernel takes a size and returns a checksum. */
#include <stdint.h>

#ifdef __wasm__
#define EXPORT(name) __attribute__((export_name(#name)))
/* -nostdlib: the compiler may still call these for loops it recognises */
void *memset(void *dst, int c, unsigned long n) {
  unsigned char *d = dst;
  while (n--) *d++ = (unsigned char)c;
  return dst;
}
void *memcpy(void *dst, const void *src, unsigned long n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  while (n--) *d++ = *s++;
  return dst;
}
#else
#define EXPORT(name)
#endif

EXPORT(fib) int32_t fib(int32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static uint8_t sieve_buf[1 << 22];
EXPORT(sieve) int32_t sieve(int32_t n) {
  if (n > (int32_t)sizeof sieve_buf) n = sizeof sieve_buf;
  int32_t count = 0;
  for (int32_t i = 0; i < n; i++) sieve_buf[i] = 1;
  for (int32_t i = 2; i < n; i++) {
    if (!sieve_buf[i]) continue;
    count++;
    for (int32_t j = i + i; j < n; j += i) sieve_buf[j] = 0;
  }
  return count;
}

#define MAT 128
static double ma[MAT * MAT], mb[MAT * MAT], mc[MAT * MAT];
EXPORT(matmul) double matmul(int32_t rounds) {
  for (int i = 0; i < MAT * MAT; i++) {
    ma[i] = (double)(i % 17) * 0.25;
    mb[i] = (double)(i % 13) - 6.0;
  }
  double total = 0;
  for (int r = 0; r < rounds; r++) {
    for (int i = 0; i < MAT; i++)
      for (int j = 0; j < MAT; j++) {
        double s = 0;
        for (int k = 0; k < MAT; k++) s += ma[i * MAT + k] * mb[k * MAT + j];
        mc[i * MAT + j] = s;
      }
    total += mc[(r * 7) % (MAT * MAT)];
    ma[r % (MAT * MAT)] += 1.0;
  }
  return total;
}

static uint32_t crc_table[256];
EXPORT(crc32) uint32_t crc32(int32_t n) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
  uint32_t crc = 0xFFFFFFFFu, x = 12345;
  for (int32_t i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    crc = crc_table[(crc ^ (x >> 16)) & 0xff] ^ (crc >> 8);
  }
  return ~crc;
}

/* quicksort through a comparison function pointer: call_indirect in wasm */
typedef int (*cmp_fn)(int32_t, int32_t);
static int cmp_asc(int32_t a, int32_t b) { return (a > b) - (a < b); }
static int cmp_desc(int32_t a, int32_t b) { return (a < b) - (a > b); }
static volatile int cmp_choice; /* keeps the call indirect */
static int32_t sort_buf[1 << 20];
static void quicksort(int32_t *v, int32_t lo, int32_t hi, cmp_fn cmp) {
  while (lo < hi) {
    int32_t pivot = v[(lo + hi) >> 1], i = lo, j = hi;
    while (i <= j) {
      while (cmp(v[i], pivot) < 0) i++;
      while (cmp(v[j], pivot) > 0) j--;
      if (i <= j) {
        int32_t t = v[i];
        v[i] = v[j];
        v[j] = t;
        i++;
        j--;
      }
    }
    if (j - lo < hi - i) {
      quicksort(v, lo, j, cmp);
      lo = i;
    } else {
      quicksort(v, i, hi, cmp);
      hi = j;
    }
  }
}
EXPORT(qsort_ind) int64_t qsort_ind(int32_t n) {
  if (n > (int32_t)(sizeof sort_buf / sizeof *sort_buf)) n = sizeof sort_buf / sizeof *sort_buf;
  uint32_t x = 7;
  for (int32_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    sort_buf[i] = (int32_t)(x % 1000003u);
  }
  cmp_fn cmps[2] = {cmp_asc, cmp_desc};
  quicksort(sort_buf, 0, n - 1, cmps[cmp_choice & 1]);
  int64_t sum = 0;
  for (int32_t i = 0; i < n; i++) sum = sum * 31 + sort_buf[i];
  return sum;
}

/* n-body style floating point */
EXPORT(nbody) double nbody(int32_t steps) {
  double px[5] = {0, 4.84, 8.34, 12.89, 15.37}, py[5] = {0, -1.16, 4.12, -15.11, -25.91};
  double vx[5] = {0, 0.606, -1.01, 1.08, 0.979}, vy[5] = {0, 2.81, 1.82, 0.868, 0.594};
  double m[5] = {39.47, 0.037, 0.011, 0.0017, 0.002};
  for (int s = 0; s < steps; s++) {
    for (int i = 0; i < 5; i++)
      for (int j = i + 1; j < 5; j++) {
        double dx = px[i] - px[j], dy = py[i] - py[j];
        double d2 = dx * dx + dy * dy + 0.01;
        double inv = 1.0 / (d2 * __builtin_sqrt(d2));
        vx[i] -= dx * m[j] * inv * 0.01;
        vy[i] -= dy * m[j] * inv * 0.01;
        vx[j] += dx * m[i] * inv * 0.01;
        vy[j] += dy * m[i] * inv * 0.01;
      }
    for (int i = 0; i < 5; i++) {
      px[i] += vx[i] * 0.01;
      py[i] += vy[i] * 0.01;
    }
  }
  double e = 0;
  for (int i = 0; i < 5; i++) e += m[i] * (vx[i] * vx[i] + vy[i] * vy[i]) + px[i] * 1e-3;
  return e;
}

/* string hashing and an open-addressing table: byte loads, 64-bit multiply */
static uint64_t keys[1 << 16];
EXPORT(hashmap) int64_t hashmap(int32_t n) {
  for (int i = 0; i < (1 << 16); i++) keys[i] = 0;
  char word[16];
  int64_t found = 0;
  for (int32_t i = 0; i < n; i++) {
    uint32_t v = (uint32_t)i * 2654435761u % 50000u;
    int len = 0;
    do {
      word[len++] = (char)('a' + v % 26);
      v /= 26;
    } while (v);
    uint64_t h = 1469598103934665603ull;
    for (int k = 0; k < len; k++) h = (h ^ (uint8_t)word[k]) * 1099511628211ull;
    if (!h) h = 1;
    uint32_t slot = (uint32_t)h & 0xffff;
    while (keys[slot] && keys[slot] != h) slot = (slot + 1) & 0xffff;
    if (keys[slot] == h) found++;
    else keys[slot] = h;
  }
  return found;
}
