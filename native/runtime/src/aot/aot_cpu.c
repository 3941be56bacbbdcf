/* CPU feature checks for AOT code: the artifact lists every target feature its code may use
 * (LLVM's names, the CPU's implied features included); we check the instruction-set ones
 * against cpuid (x86_64) or the kernel's HWCAP bits (aarch64). Names we do not know are tuning
 * hints ("slow-3ops-lea", "fuse-aes", ...) or baseline features every CPU of the architecture
 * has, and are not checked. */
#include <stdio.h>
#include <string.h>

#include "aot.h"
#include "aot_format.h"

#if defined(__x86_64__)
#include <cpuid.h>

typedef struct x86_feature {
  const char *name;
  unsigned leaf, subleaf;
  char reg; /* 'b', 'c', 'd', 'a' */
  unsigned bit;
  bool needs_avx_state, needs_avx512_state;
} x86_feature;

static const x86_feature x86_features[] = {
    {"sse3", 1, 0, 'c', 0, 0, 0},        {"pclmul", 1, 0, 'c', 1, 0, 0},
    {"ssse3", 1, 0, 'c', 9, 0, 0},       {"fma", 1, 0, 'c', 12, 1, 0},
    {"cx16", 1, 0, 'c', 13, 0, 0},       {"sse4.1", 1, 0, 'c', 19, 0, 0},
    {"sse4.2", 1, 0, 'c', 20, 0, 0},     {"crc32", 1, 0, 'c', 20, 0, 0},
    {"movbe", 1, 0, 'c', 22, 0, 0},      {"popcnt", 1, 0, 'c', 23, 0, 0},
    {"aes", 1, 0, 'c', 25, 0, 0},        {"xsave", 1, 0, 'c', 26, 0, 0},
    {"avx", 1, 0, 'c', 28, 1, 0},        {"f16c", 1, 0, 'c', 29, 1, 0},
    {"rdrnd", 1, 0, 'c', 30, 0, 0},      {"cx8", 1, 0, 'd', 8, 0, 0},
    {"cmov", 1, 0, 'd', 15, 0, 0},       {"mmx", 1, 0, 'd', 23, 0, 0},
    {"fxsr", 1, 0, 'd', 24, 0, 0},       {"sse", 1, 0, 'd', 25, 0, 0},
    {"sse2", 1, 0, 'd', 26, 0, 0},       {"bmi", 7, 0, 'b', 3, 0, 0},
    {"avx2", 7, 0, 'b', 5, 1, 0},        {"bmi2", 7, 0, 'b', 8, 0, 0},
    {"avx512f", 7, 0, 'b', 16, 1, 1},    {"avx512dq", 7, 0, 'b', 17, 1, 1},
    {"rdseed", 7, 0, 'b', 18, 0, 0},     {"adx", 7, 0, 'b', 19, 0, 0},
    {"avx512ifma", 7, 0, 'b', 21, 1, 1}, {"clflushopt", 7, 0, 'b', 23, 0, 0},
    {"clwb", 7, 0, 'b', 24, 0, 0},       {"avx512cd", 7, 0, 'b', 28, 1, 1},
    {"sha", 7, 0, 'b', 29, 0, 0},        {"avx512bw", 7, 0, 'b', 30, 1, 1},
    {"avx512vl", 7, 0, 'b', 31, 1, 1},   {"avx512vbmi", 7, 0, 'c', 1, 1, 1},
    {"avx512vbmi2", 7, 0, 'c', 6, 1, 1}, {"gfni", 7, 0, 'c', 8, 0, 0},
    {"vaes", 7, 0, 'c', 9, 1, 0},        {"vpclmulqdq", 7, 0, 'c', 10, 1, 0},
    {"avx512vnni", 7, 0, 'c', 11, 1, 1}, {"avx512bitalg", 7, 0, 'c', 12, 1, 1},
    {"avx512vpopcntdq", 7, 0, 'c', 14, 1, 1}, {"rdpid", 7, 0, 'c', 22, 0, 0},
    {"avx512fp16", 7, 0, 'd', 23, 1, 1}, {"avxvnni", 7, 1, 'a', 4, 1, 0},
    {"avx512bf16", 7, 1, 'a', 5, 1, 1},  {"sahf", 0x80000001, 0, 'c', 0, 0, 0},
    {"lzcnt", 0x80000001, 0, 'c', 5, 0, 0}, {"sse4a", 0x80000001, 0, 'c', 6, 0, 0},
    {"prfchw", 0x80000001, 0, 'c', 8, 0, 0}, {"xop", 0x80000001, 0, 'c', 11, 1, 0},
    {"fma4", 0x80000001, 0, 'c', 16, 1, 0}, {"tbm", 0x80000001, 0, 'c', 21, 0, 0},
    {"xsaveopt", 0xd, 1, 'a', 0, 0, 0},  {"xsavec", 0xd, 1, 'a', 1, 0, 0},
    {"xsaves", 0xd, 1, 'a', 3, 0, 0},
};

static bool x86_has(const x86_feature *f) {
  unsigned a, b, c, d;
  unsigned max = __get_cpuid_max(f->leaf & 0x80000000u, NULL);
  if (max < f->leaf) return false;
  __cpuid_count(f->leaf, f->subleaf, a, b, c, d);
  unsigned reg = f->reg == 'a' ? a : f->reg == 'b' ? b : f->reg == 'c' ? c : d;
  if (!(reg >> f->bit & 1)) return false;
  if (f->needs_avx_state || f->needs_avx512_state) {
    /* the OS must save the wide registers: OSXSAVE, then XCR0 */
    __cpuid(1, a, b, c, d);
    if (!(c >> 27 & 1)) return false;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6) != 6) return false;
    if (f->needs_avx512_state && (lo & 0xe0) != 0xe0) return false;
  }
  return true;
}

/* 1 = has it, 0 = lacks it, -1 = not an instruction-set feature we check */
static int host_has(const char *name) {
  for (size_t i = 0; i < sizeof x86_features / sizeof *x86_features; i++)
    if (strcmp(x86_features[i].name, name) == 0) return x86_has(&x86_features[i]);
  return -1;
}

uint32_t lw_aot_host_arch(void) { return LW_AOT_ARCH_X86_64; }

#elif defined(__aarch64__)
#include <sys/auxv.h>

typedef struct arm_feature {
  const char *name;
  int hwcap;          /* 1 = AT_HWCAP, 2 = AT_HWCAP2 */
  unsigned long bits; /* all of them are needed */
} arm_feature;

static const arm_feature arm_features[] = {
    {"fp-armv8", 1, 1ul << 0},   {"neon", 1, 1ul << 1},       {"aes", 1, 1ul << 3 | 1ul << 4},
    {"sha2", 1, 1ul << 5 | 1ul << 6}, {"crypto", 1, 1ul << 3 | 1ul << 4 | 1ul << 5 | 1ul << 6},
    {"crc", 1, 1ul << 7},        {"lse", 1, 1ul << 8},        {"fullfp16", 1, 1ul << 9 | 1ul << 10},
    {"rdm", 1, 1ul << 12},       {"jsconv", 1, 1ul << 13},    {"complxnum", 1, 1ul << 14},
    {"rcpc", 1, 1ul << 15},      {"ccpp", 1, 1ul << 16},      {"sha3", 1, 1ul << 17 | 1ul << 21},
    {"sm4", 1, 1ul << 18 | 1ul << 19}, {"dotprod", 1, 1ul << 20}, {"sve", 1, 1ul << 22},
    {"fp16fml", 1, 1ul << 23},   {"dit", 1, 1ul << 24},       {"rcpc-immo", 1, 1ul << 26},
    {"flagm", 1, 1ul << 27},     {"ssbs", 1, 1ul << 28},      {"sb", 1, 1ul << 29},
    {"pauth", 1, 1ul << 30 | 1ul << 31}, {"sve2", 2, 1ul << 1}, {"frint3264", 2, 1ul << 8},
    {"i8mm", 2, 1ul << 13},      {"bf16", 2, 1ul << 14},      {"rand", 2, 1ul << 16},
    {"bti", 2, 1ul << 17},       {"mte", 2, 1ul << 18},
};

static int host_has(const char *name) {
  for (size_t i = 0; i < sizeof arm_features / sizeof *arm_features; i++)
    if (strcmp(arm_features[i].name, name) == 0) {
      unsigned long have = getauxval(arm_features[i].hwcap == 1 ? AT_HWCAP : AT_HWCAP2);
      return (have & arm_features[i].bits) == arm_features[i].bits;
    }
  return -1;
}

uint32_t lw_aot_host_arch(void) { return LW_AOT_ARCH_AARCH64; }

#else
static int host_has(const char *name) { (void)name; return 0; }
uint32_t lw_aot_host_arch(void) { return 0; }
#endif

bool lw_aot_cpu_supports(const char *features, char *missing, size_t missing_len) {
  const char *p = features;
  while (*p) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n > 1 && p[0] == '+' && n < 64) {
      char name[64];
      memcpy(name, p + 1, n - 1);
      name[n - 1] = 0;
      if (host_has(name) == 0) {
        snprintf(missing, missing_len, "%s", name);
        return false;
      }
    }
    p += n;
    if (*p == ',') p++;
  }
  return true;
}
