/* ELF64 relocatable object -> artifact pieces. Only what LLVM's object writer produces for our
 * modules is handled: SHF_ALLOC sections (text and read-only data), one symbol table, RELA
 * relocation sections. Anything else (writable data, TLS, GOT relocations) is an error here, at
 * compile time, rather than a surprise in the loader. */
#include "elf_extract.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen.h"

static bool errf(char *err, size_t n, const char *msg, const char *detail) {
  snprintf(err, n, "%s%s%s", msg, detail ? ": " : "", detail ? detail : "");
  return false;
}

bool lw_aot_reloc_supported(uint32_t arch, uint32_t type) {
  if (arch == LW_AOT_ARCH_X86_64)
    return type == R_X86_64_64 || type == R_X86_64_PC32 || type == R_X86_64_PLT32 ||
           type == R_X86_64_PC64;
  return type == R_AARCH64_ABS64 || type == R_AARCH64_PREL32 || type == R_AARCH64_PREL64 ||
         type == R_AARCH64_CALL26 || type == R_AARCH64_JUMP26 ||
         type == R_AARCH64_ADR_PREL_PG_HI21 || type == R_AARCH64_ADD_ABS_LO12_NC ||
         type == R_AARCH64_LDST8_ABS_LO12_NC || type == R_AARCH64_LDST16_ABS_LO12_NC ||
         type == R_AARCH64_LDST32_ABS_LO12_NC || type == R_AARCH64_LDST64_ABS_LO12_NC ||
         type == R_AARCH64_LDST128_ABS_LO12_NC || type == R_AARCH64_ADR_PREL_LO21;
}

void lw_aotc_code_free(lw_aotc_code *code) {
  free(code->blob);
  free(code->pieces);
  free(code->relocs);
  for (uint32_t i = 0; i < code->symbol_count; i++) free(code->symbols[i]);
  free(code->symbols);
  free(code->funcs);
  free(code->wrappers);
  memset(code, 0, sizeof *code);
}

static uint32_t symbol_index(lw_aotc_code *out, const char *name) {
  for (uint32_t i = 0; i < out->symbol_count; i++)
    if (strcmp(out->symbols[i], name) == 0) return i;
  out->symbols = realloc(out->symbols, (out->symbol_count + 1) * sizeof *out->symbols);
  out->symbols[out->symbol_count] = strdup(name);
  return out->symbol_count++;
}

bool lw_aotc_extract(const uint8_t *elf, size_t len, uint16_t machine, uint32_t func_count,
                     uint32_t wrapper_count, lw_aotc_code *out, char *err, size_t err_len) {
  memset(out, 0, sizeof *out);
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;
  if (len < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
      eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_type != ET_REL || eh->e_machine != machine)
    return errf(err, err_len, "LLVM produced an unexpected object file", NULL);
  if (eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > len)
    return errf(err, err_len, "object file section table out of bounds", NULL);
  const Elf64_Shdr *sh = (const Elf64_Shdr *)(elf + eh->e_shoff);
  const char *shstr = (const char *)elf + sh[eh->e_shstrndx].sh_offset;
  uint32_t arch = machine == EM_X86_64 ? LW_AOT_ARCH_X86_64 : LW_AOT_ARCH_AARCH64;

  /* section index -> piece index (or UINT32_MAX) */
  uint32_t *piece_of = malloc(eh->e_shnum * sizeof *piece_of);
  out->pieces = calloc(eh->e_shnum, sizeof *out->pieces);
  size_t blob_len = 0;
  /* text first, then read-only data, so the loader can protect two ranges */
  for (int pass = 0; pass < 2; pass++) {
    for (uint32_t i = 0; i < eh->e_shnum; i++) {
      if (pass == 0) piece_of[i] = UINT32_MAX;
      const Elf64_Shdr *s = &sh[i];
      const char *name = shstr + s->sh_name;
      if (!(s->sh_flags & SHF_ALLOC) || s->sh_size == 0) continue;
      if (strcmp(name, ".eh_frame") == 0) continue; /* no unwinding through compiled code */
      bool text = (s->sh_flags & SHF_EXECINSTR) != 0;
      if (text != (pass == 0)) continue;
      if (s->sh_type == SHT_NOBITS || (s->sh_flags & (SHF_WRITE | SHF_TLS))) {
        free(piece_of);
        return errf(err, err_len, "compiled code needs writable data, which the format has no room for",
                    name);
      }
      uint64_t align = s->sh_addralign < 16 ? 16 : s->sh_addralign;
      blob_len = (blob_len + align - 1) & ~(align - 1);
      lw_aot_piece *pc = &out->pieces[out->piece_count];
      pc->kind = text ? LW_AOT_PIECE_TEXT : LW_AOT_PIECE_RODATA;
      pc->align = (uint32_t)align;
      pc->offset = blob_len;
      pc->size = s->sh_size;
      piece_of[i] = out->piece_count++;
      blob_len += s->sh_size;
    }
  }
  out->blob = calloc(1, blob_len ? blob_len : 1);
  out->blob_len = blob_len;
  for (uint32_t i = 0; i < eh->e_shnum; i++)
    if (piece_of[i] != UINT32_MAX)
      memcpy(out->blob + out->pieces[piece_of[i]].offset, elf + sh[i].sh_offset, sh[i].sh_size);

  /* symbols */
  const Elf64_Shdr *symtab = NULL;
  for (uint32_t i = 0; i < eh->e_shnum; i++)
    if (sh[i].sh_type == SHT_SYMTAB) symtab = &sh[i];
  if (!symtab) {
    free(piece_of);
    return errf(err, err_len, "object file has no symbol table", NULL);
  }
  const Elf64_Sym *syms = (const Elf64_Sym *)(elf + symtab->sh_offset);
  size_t sym_count = symtab->sh_size / sizeof(Elf64_Sym);
  const char *strtab = (const char *)elf + sh[symtab->sh_link].sh_offset;
  out->funcs = calloc(func_count + 1, sizeof *out->funcs);
  out->wrappers = calloc(wrapper_count + 1, sizeof *out->wrappers);
  out->func_count = func_count;
  out->wrapper_count = wrapper_count;
  for (uint32_t i = 0; i < func_count; i++) out->funcs[i].piece = UINT32_MAX;
  for (uint32_t i = 0; i < wrapper_count; i++) out->wrappers[i].piece = UINT32_MAX;
  size_t fp_len = strlen(LW_AOTC_FUNC_PREFIX), wp_len = strlen(LW_AOTC_WRAPPER_PREFIX);
  for (size_t i = 0; i < sym_count; i++) {
    const char *name = strtab + syms[i].st_name;
    if (syms[i].st_shndx == SHN_UNDEF || syms[i].st_shndx >= eh->e_shnum) continue;
    uint32_t piece = piece_of[syms[i].st_shndx];
    if (piece == UINT32_MAX) continue;
    char *endp;
    if (strncmp(name, LW_AOTC_FUNC_PREFIX, fp_len) == 0) {
      unsigned long n = strtoul(name + fp_len, &endp, 10);
      if (*endp == 0 && n < func_count) {
        out->funcs[n].piece = piece;
        out->funcs[n].offset = syms[i].st_value;
      }
    } else if (strncmp(name, LW_AOTC_WRAPPER_PREFIX, wp_len) == 0) {
      unsigned long n = strtoul(name + wp_len, &endp, 10);
      if (*endp == 0 && n < wrapper_count) {
        out->wrappers[n].piece = piece;
        out->wrappers[n].offset = syms[i].st_value;
      }
    }
  }
  for (uint32_t i = 0; i < func_count; i++)
    if (out->funcs[i].piece == UINT32_MAX) {
      free(piece_of);
      return errf(err, err_len, "a compiled function is missing from the object file", NULL);
    }
  for (uint32_t i = 0; i < wrapper_count; i++)
    if (out->wrappers[i].piece == UINT32_MAX) {
      free(piece_of);
      return errf(err, err_len, "a wrapper is missing from the object file", NULL);
    }

  /* relocations */
  for (uint32_t i = 0; i < eh->e_shnum; i++) {
    if (sh[i].sh_type == SHT_REL) {
      free(piece_of);
      return errf(err, err_len, "object file uses REL relocations", shstr + sh[i].sh_name);
    }
    if (sh[i].sh_type != SHT_RELA) continue;
    if (sh[i].sh_info >= eh->e_shnum || piece_of[sh[i].sh_info] == UINT32_MAX) continue;
    uint32_t piece = piece_of[sh[i].sh_info];
    const Elf64_Rela *r = (const Elf64_Rela *)(elf + sh[i].sh_offset);
    size_t n = sh[i].sh_size / sizeof *r;
    out->relocs = realloc(out->relocs, (out->reloc_count + n + 1) * sizeof *out->relocs);
    for (size_t k = 0; k < n; k++) {
      uint32_t type = (uint32_t)ELF64_R_TYPE(r[k].r_info);
      uint32_t symi = (uint32_t)ELF64_R_SYM(r[k].r_info);
      if (type == 0) continue; /* R_*_NONE */
      if (!lw_aot_reloc_supported(arch, type)) {
        char detail[64];
        snprintf(detail, sizeof detail, "type %u in %s", type, shstr + sh[i].sh_name);
        free(piece_of);
        return errf(err, err_len, "unsupported relocation", detail);
      }
      lw_aot_reloc *out_r = &out->relocs[out->reloc_count++];
      memset(out_r, 0, sizeof *out_r);
      out_r->piece = piece;
      out_r->type = type;
      out_r->offset = r[k].r_offset;
      out_r->addend = r[k].r_addend;
      const Elf64_Sym *s = &syms[symi];
      if (s->st_shndx == SHN_UNDEF) {
        out_r->target = LW_AOT_TARGET_SYMBOL | symbol_index(out, strtab + s->st_name);
      } else if (s->st_shndx < eh->e_shnum && piece_of[s->st_shndx] != UINT32_MAX) {
        out_r->target = piece_of[s->st_shndx];
        out_r->target_offset = s->st_value;
      } else {
        free(piece_of);
        return errf(err, err_len, "relocation against a section that is not loaded",
                    strtab + s->st_name);
      }
    }
  }
  free(piece_of);
  return true;
}
