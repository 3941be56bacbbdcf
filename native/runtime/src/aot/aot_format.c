/* The .lwaot container: magic, versions, checksum and section bounds (docs/aot-format.md). */
#include "aot_format.h"

#include <string.h>

#include "../module.h"

bool lw_aot_has_magic(const uint8_t *bytes, size_t len) {
  return len >= LW_AOT_MAGIC_LEN && memcmp(bytes, LW_AOT_MAGIC, LW_AOT_MAGIC_LEN) == 0;
}

bool lw_aot_is_wamr(const uint8_t *bytes, size_t len) {
  return len >= 4 && memcmp(bytes, "\0aot", 4) == 0;
}

const char *lw_aot_arch_name(uint32_t arch) {
  switch (arch) {
  case LW_AOT_ARCH_X86_64: return "x86_64";
  case LW_AOT_ARCH_AARCH64: return "aarch64";
  }
  return "unknown";
}

/* CRC-64/XZ (ECMA-182 polynomial, reflected): catches truncation and bit rot; not a defence
 * against deliberate tampering (an artifact is code: only load ones you trust). */
uint64_t lw_aot_crc64(uint64_t crc, const uint8_t *p, size_t n) {
  static uint64_t table[256];
  static _Atomic int ready;
  if (!ready) {
    for (uint32_t i = 0; i < 256; i++) {
      uint64_t c = i;
      for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0xC96C5795D7870F42ull : c >> 1;
      table[i] = c;
    }
    ready = 1; /* racing initialisers write identical values */
  }
  crc = ~crc;
  for (size_t i = 0; i < n; i++) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

/* SHA-256 (FIPS 180-4) of the source wasm: names the exact module an artifact was built from. */
static uint32_t ror32(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static void sha256_block(uint32_t h[8], const uint8_t *b) {
  static const uint32_t k[64] = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
      0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
      0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
      0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
      0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
      0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
      0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
      0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
      0xc67178f2};
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 | (uint32_t)b[4 * i + 2] << 8 |
           b[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = hh + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) + ((e & f) ^ (~e & g)) + k[i] +
                  w[i];
    uint32_t t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) + ((a & bb) ^ (a & c) ^ (bb & c));
    hh = g; g = f; f = e; e = d + t1; d = c; c = bb; bb = a; a = t1 + t2;
  }
  h[0] += a; h[1] += bb; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

void lw_aot_sha256(const uint8_t *p, size_t n, uint8_t out[32]) {
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  size_t full = n / 64 * 64;
  for (size_t i = 0; i < full; i += 64) sha256_block(h, p + i);
  uint8_t tail[128] = {0};
  size_t rest = n - full;
  memcpy(tail, p + full, rest);
  tail[rest] = 0x80;
  size_t tail_len = rest + 9 <= 64 ? 64 : 128;
  uint64_t bits = (uint64_t)n * 8;
  for (int i = 0; i < 8; i++) tail[tail_len - 1 - i] = (uint8_t)(bits >> (8 * i));
  sha256_block(h, tail);
  if (tail_len == 128) sha256_block(h, tail + 64);
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)(h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(h[i] >> 8);
    out[4 * i + 3] = (uint8_t)h[i];
  }
}

static bool find_section(const uint8_t *bytes, size_t len, uint32_t count, uint32_t id,
                         const uint8_t **out, size_t *out_len) {
  for (uint32_t i = 0; i < count; i++) {
    const uint8_t *e = bytes + LW_AOT_HEADER_SIZE + (size_t)i * LW_AOT_SECTION_ENTRY_SIZE;
    if (lw_aot_get32(e) != id) continue;
    uint64_t off = lw_aot_get64(e + 8), n = lw_aot_get64(e + 16);
    if (off > len || n > len - off) return false;
    *out = bytes + off;
    *out_len = (size_t)n;
    return true;
  }
  return false;
}

lw_status lw_aot_parse(const uint8_t *bytes, size_t len, lw_aot_view *v, lw_error *err) {
  memset(v, 0, sizeof *v);
  if (lw_aot_is_wamr(bytes, len))
    return lw_error_set(err, LW_ERR_UNSUPPORTED,
                        "this is a WAMR AOT file (magic \\0aot, e.g. from flb-wamrc), which "
                        "logwasm does not run: give logwasm the original .wasm, or compile it "
                        "with `logwasm-aotc -o plugin.lwaot plugin.wasm`");
  if (!lw_aot_has_magic(bytes, len))
    return lw_error_set(err, LW_ERR_MALFORMED, "not a logwasm AOT artifact (bad magic)");
  if (len < LW_AOT_HEADER_SIZE)
    return lw_error_set(err, LW_ERR_MALFORMED, "AOT artifact truncated: %zu bytes, header alone is %u",
                        len, LW_AOT_HEADER_SIZE);
  v->format_version = lw_aot_get32(bytes + LW_AOT_H_FORMAT);
  if (v->format_version != LW_AOT_FORMAT_VERSION)
    return lw_error_set(err, LW_ERR_UNSUPPORTED,
                        "AOT artifact format version %u, this logwasm reads version %u: "
                        "recompile the .wasm with this version's logwasm-aotc",
                        v->format_version, LW_AOT_FORMAT_VERSION);
  uint64_t declared = lw_aot_get64(bytes + LW_AOT_H_LENGTH);
  if (declared != len)
    return lw_error_set(err, LW_ERR_MALFORMED,
                        "AOT artifact is %zu bytes but its header says %llu (truncated or "
                        "padded file?)", len, (unsigned long long)declared);
  uint64_t stored = lw_aot_get64(bytes + LW_AOT_H_CHECKSUM);
  static const uint8_t zeros[8] = {0};
  uint64_t crc = lw_aot_crc64(0, bytes, LW_AOT_H_CHECKSUM);
  crc = lw_aot_crc64(crc, zeros, 8);
  crc = lw_aot_crc64(crc, bytes + LW_AOT_H_CHECKSUM + 8, len - LW_AOT_H_CHECKSUM - 8);
  if (crc != stored)
    return lw_error_set(err, LW_ERR_MALFORMED,
                        "AOT artifact checksum mismatch (stored %016llx, computed %016llx): the "
                        "file is corrupt; recompile it with logwasm-aotc",
                        (unsigned long long)stored, (unsigned long long)crc);
  v->abi_version = lw_aot_get32(bytes + LW_AOT_H_ABI);
  v->layout_fingerprint = lw_aot_get32(bytes + LW_AOT_H_LAYOUT);
  v->arch = lw_aot_get32(bytes + LW_AOT_H_ARCH);
  v->opt_level = lw_aot_get32(bytes + LW_AOT_H_OPT);
  uint32_t count = lw_aot_get32(bytes + LW_AOT_H_SECTION_COUNT);
  if (count > 64 || (size_t)count * LW_AOT_SECTION_ENTRY_SIZE > len - LW_AOT_HEADER_SIZE)
    return lw_error_set(err, LW_ERR_MALFORMED, "AOT artifact section table out of bounds");

  const uint8_t *p;
  size_t n;
#define NEED(id, what)                                                                         \
  if (!find_section(bytes, len, count, id, &p, &n))                                            \
    return lw_error_set(err, LW_ERR_MALFORMED, "AOT artifact has no valid %s section", what);
  NEED(LW_AOT_SEC_WASM, "wasm");
  if (n < 32) return lw_error_set(err, LW_ERR_MALFORMED, "AOT artifact wasm section too short");
  memcpy(v->wasm_sha256, p, 32);
  v->wasm = p + 32;
  v->wasm_len = n - 32;

  NEED(LW_AOT_SEC_TARGET, "target");
  if (n == 0 || p[n - 1] != 0)
    return lw_error_set(err, LW_ERR_MALFORMED, "AOT artifact target section malformed");
  v->cpu = (const char *)p;
  v->features = v->cpu + strlen(v->cpu) + 1;
  if ((const uint8_t *)v->features >= p + n)
    return lw_error_set(err, LW_ERR_MALFORMED, "AOT artifact target section malformed");
  v->producer = v->features + strlen(v->features) + 1;
  if ((const uint8_t *)v->producer >= p + n) v->producer = "";

  NEED(LW_AOT_SEC_CODE, "code");
  v->code = p;
  v->code_len = n;

  NEED(LW_AOT_SEC_PIECES, "pieces");
  if (n % LW_AOT_PIECE_SIZE)
    return lw_error_set(err, LW_ERR_MALFORMED, "AOT artifact pieces section malformed");
  v->pieces = p;
  v->piece_count = (uint32_t)(n / LW_AOT_PIECE_SIZE);

  NEED(LW_AOT_SEC_RELOCS, "relocations");
  if (n % LW_AOT_RELOC_SIZE)
    return lw_error_set(err, LW_ERR_MALFORMED, "AOT artifact relocation section malformed");
  v->relocs = p;
  v->reloc_count = (uint32_t)(n / LW_AOT_RELOC_SIZE);

  NEED(LW_AOT_SEC_SYMBOLS, "symbols");
  if (n < 4 || (n > 4 && p[n - 1] != 0))
    return lw_error_set(err, LW_ERR_MALFORMED, "AOT artifact symbols section malformed");
  v->symbol_count = lw_aot_get32(p);
  v->symbols = p + 4;
  v->symbols_len = n - 4;

  NEED(LW_AOT_SEC_FUNCS, "functions");
  if (n < 8) return lw_error_set(err, LW_ERR_MALFORMED, "AOT artifact functions section malformed");
  v->func_count = lw_aot_get32(p);
  v->wrapper_count = lw_aot_get32(p + 4);
  if (((uint64_t)v->func_count + v->wrapper_count) * LW_AOT_FUNC_SIZE != n - 8)
    return lw_error_set(err, LW_ERR_MALFORMED, "AOT artifact functions section malformed");
  v->funcs = p + 8;
#undef NEED
  return LW_OK;
}
