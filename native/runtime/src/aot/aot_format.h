/* The logwasm AOT artifact (.lwaot): layout constants, integrity hashes and a parser that checks
 * the container (magic, versions, checksum, bounds) before anything else reads it.
 * docs/aot-format.md describes the format; the compiler (native/aotc) writes it and
 * aot_loader.c loads it. All integers are little-endian. */
#ifndef LW_AOT_FORMAT_H
#define LW_AOT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "logwasm.h"

#define LW_AOT_MAGIC "\x89LWAOT\r\n"
#define LW_AOT_MAGIC_LEN 8
#define LW_AOT_FORMAT_VERSION 1u
#define LW_AOT_HEADER_SIZE 64u

typedef enum lw_aot_arch {
  LW_AOT_ARCH_X86_64 = 1,
  LW_AOT_ARCH_AARCH64 = 2
} lw_aot_arch;

/* Section ids in the section table. */
enum {
  LW_AOT_SEC_WASM = 1,     /* the original .wasm bytes */
  LW_AOT_SEC_TARGET = 2,   /* strings: cpu, features, producer */
  LW_AOT_SEC_CODE = 3,     /* code/data blob */
  LW_AOT_SEC_PIECES = 4,   /* where each piece of the blob goes (text or rodata) */
  LW_AOT_SEC_RELOCS = 5,   /* relocations */
  LW_AOT_SEC_SYMBOLS = 6,  /* external symbols (libm/libc allow-list) the code calls */
  LW_AOT_SEC_FUNCS = 7     /* entry of each defined function and its slot wrapper */
};

/* A piece of the blob: one section of the object file the compiler produced. */
#define LW_AOT_PIECE_TEXT 1u
#define LW_AOT_PIECE_RODATA 2u
typedef struct lw_aot_piece {
  uint32_t kind, align;
  uint64_t offset, size; /* in the CODE section */
} lw_aot_piece;

/* A relocation: patch `piece`+`offset` with the address of the target (a piece offset or an
 * external symbol) + addend, using the ELF relocation type of the artifact's architecture. */
#define LW_AOT_TARGET_SYMBOL 0x80000000u /* target is symbol index (low bits), not a piece */
typedef struct lw_aot_reloc {
  uint32_t piece, type;
  uint64_t offset;
  uint32_t target;        /* piece index, or LW_AOT_TARGET_SYMBOL | symbol index */
  uint32_t reserved;
  uint64_t target_offset; /* offset inside the target piece */
  int64_t addend;
} lw_aot_reloc;

typedef struct lw_aot_func_entry {
  uint32_t piece;         /* text piece holding the function */
  uint32_t wrapper;       /* index into the wrapper list (functions of that signature) */
  uint64_t offset;
} lw_aot_func_entry;

/* Parsed, bounds-checked view of an artifact (pointers into the caller's bytes). */
typedef struct lw_aot_view {
  uint32_t format_version, abi_version, layout_fingerprint, arch, opt_level;
  const uint8_t *wasm;
  size_t wasm_len;
  uint8_t wasm_sha256[32];
  const char *cpu, *features, *producer; /* NUL-terminated inside the artifact */
  const uint8_t *code;
  size_t code_len;
  const uint8_t *pieces;                 /* piece_count entries of LW_AOT_PIECE_SIZE bytes */
  uint32_t piece_count;
  const uint8_t *relocs;
  uint32_t reloc_count;
  const uint8_t *symbols;                /* NUL-terminated names, back to back */
  uint32_t symbol_count;
  size_t symbols_len;
  const uint8_t *funcs;                  /* func_count lw_aot_func_entry, then wrappers */
  uint32_t func_count, wrapper_count;
} lw_aot_view;

/* C library functions compiled code may call (LLVM lowers some intrinsics to them, e.g. rounding
 * without SSE4.1). The loader binds exactly these names; anything else is refused. */
#define LW_AOT_LIBCALLS(X)                                                                     \
  X(memcpy) X(memmove) X(memset) X(floor) X(floorf) X(ceil) X(ceilf) X(trunc) X(truncf)          \
  X(nearbyint) X(nearbyintf) X(rint) X(rintf) X(roundeven) X(roundevenf) X(fmin) X(fminf)       \
  X(fmax) X(fmaxf) X(sqrt) X(sqrtf) X(fma) X(fmaf)

bool lw_aot_has_magic(const uint8_t *bytes, size_t len);
/* True for a WAMR AOT file ("\0aot"), which logwasm does not run. */
bool lw_aot_is_wamr(const uint8_t *bytes, size_t len);

/* Container checks only: magic, format version, length, checksum, section bounds. */
lw_status lw_aot_parse(const uint8_t *bytes, size_t len, lw_aot_view *view, lw_error *err);

const char *lw_aot_arch_name(uint32_t arch);

uint64_t lw_aot_crc64(uint64_t crc, const uint8_t *p, size_t n);
void lw_aot_sha256(const uint8_t *p, size_t n, uint8_t out[32]);

/* Writing little-endian integers (compiler side). */
static inline void lw_aot_put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void lw_aot_put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t lw_aot_get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t lw_aot_get64(const uint8_t *p) {
  return (uint64_t)lw_aot_get32(p) | (uint64_t)lw_aot_get32(p + 4) << 32;
}

/* Header field offsets. */
#define LW_AOT_H_FORMAT 8
#define LW_AOT_H_ABI 12
#define LW_AOT_H_LAYOUT 16
#define LW_AOT_H_ARCH 20
#define LW_AOT_H_OPT 24
#define LW_AOT_H_SECTION_COUNT 28
#define LW_AOT_H_LENGTH 32
#define LW_AOT_H_CHECKSUM 40
/* After the 64-byte header: section_count entries of {u32 id, u32 reserved, u64 offset,
 * u64 length}. */
#define LW_AOT_SECTION_ENTRY_SIZE 24u
#define LW_AOT_PIECE_SIZE 24u
#define LW_AOT_RELOC_SIZE 40u
#define LW_AOT_FUNC_SIZE 16u

#endif
