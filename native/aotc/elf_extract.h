/* logwasm-aotc: turn the ELF object LLVM emitted into the artifact's pieces, relocations,
 * external symbols and function entries, so the runtime's loader needs no ELF or LLVM. */
#ifndef LW_AOTC_ELF_EXTRACT_H
#define LW_AOTC_ELF_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aot/aot_format.h"

typedef struct lw_aotc_code {
  uint8_t *blob;            /* pieces back to back, each at its aligned offset */
  size_t blob_len;
  lw_aot_piece *pieces;
  uint32_t piece_count;
  lw_aot_reloc *relocs;
  uint32_t reloc_count;
  char **symbols;           /* external symbols, e.g. "memmove" */
  uint32_t symbol_count;
  lw_aot_func_entry *funcs; /* per defined function */
  uint32_t func_count;
  lw_aot_func_entry *wrappers;
  uint32_t wrapper_count;
} lw_aotc_code;

/* machine: EM_X86_64 or EM_AARCH64. Function symbols lw_f<i> and wrappers lw_w<i> must all be
 * found. */
bool lw_aotc_extract(const uint8_t *elf, size_t len, uint16_t machine, uint32_t func_count,
                     uint32_t wrapper_count, lw_aotc_code *out, char *err, size_t err_len);
/* The same for a module compiled in parts: pieces of all objects in one blob; calls from one
 * part to a function of another resolve to its definition. */
bool lw_aotc_extract_many(const uint8_t *const *elfs, const size_t *lens, uint32_t object_count,
                          uint16_t machine, uint32_t func_count, uint32_t wrapper_count,
                          lw_aotc_code *out, char *err, size_t err_len);
void lw_aotc_code_free(lw_aotc_code *code);

/* Relocation types the loader applies (per architecture). */
bool lw_aot_reloc_supported(uint32_t arch, uint32_t type);

#endif
