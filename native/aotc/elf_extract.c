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

/* One object file being read. */
typedef struct object {
  const uint8_t *elf;
  const Elf64_Ehdr *eh;
  const Elf64_Shdr *sh;
  const char *shstr;
  uint32_t *piece_of; /* section index -> piece index, or UINT32_MAX */
  const Elf64_Sym *syms;
  size_t sym_count;
  const char *strtab;
} object;

static bool open_object(object *o, const uint8_t *elf, size_t len, uint16_t machine, char *err,
                        size_t err_len) {
  memset(o, 0, sizeof *o);
  o->elf = elf;
  o->eh = (const Elf64_Ehdr *)elf;
  if (len < sizeof *o->eh || memcmp(o->eh->e_ident, ELFMAG, SELFMAG) != 0 ||
      o->eh->e_ident[EI_CLASS] != ELFCLASS64 || o->eh->e_type != ET_REL ||
      o->eh->e_machine != machine)
    return errf(err, err_len, "LLVM produced an unexpected object file", NULL);
  if (o->eh->e_shoff + (uint64_t)o->eh->e_shnum * sizeof(Elf64_Shdr) > len)
    return errf(err, err_len, "object file section table out of bounds", NULL);
  o->sh = (const Elf64_Shdr *)(elf + o->eh->e_shoff);
  o->shstr = (const char *)elf + o->sh[o->eh->e_shstrndx].sh_offset;
  o->piece_of = malloc(o->eh->e_shnum * sizeof *o->piece_of);
  for (uint32_t i = 0; i < o->eh->e_shnum; i++) {
    o->piece_of[i] = UINT32_MAX;
    if (o->sh[i].sh_type == SHT_SYMTAB) {
      o->syms = (const Elf64_Sym *)(elf + o->sh[i].sh_offset);
      o->sym_count = o->sh[i].sh_size / sizeof(Elf64_Sym);
      o->strtab = (const char *)elf + o->sh[o->sh[i].sh_link].sh_offset;
    }
  }
  if (!o->syms) return errf(err, err_len, "object file has no symbol table", NULL);
  return true;
}

/* lw_f<n> / lw_w<n>: which table and index, or false */
static bool our_symbol(const char *name, bool *wrapper, unsigned long *n) {
  size_t fp_len = strlen(LW_AOTC_FUNC_PREFIX), wp_len = strlen(LW_AOTC_WRAPPER_PREFIX);
  char *endp;
  if (strncmp(name, LW_AOTC_FUNC_PREFIX, fp_len) == 0) {
    *wrapper = false;
    *n = strtoul(name + fp_len, &endp, 10);
    return *endp == 0 && name[fp_len] != 0;
  }
  if (strncmp(name, LW_AOTC_WRAPPER_PREFIX, wp_len) == 0) {
    *wrapper = true;
    *n = strtoul(name + wp_len, &endp, 10);
    return *endp == 0 && name[wp_len] != 0;
  }
  return false;
}

bool lw_aotc_extract_many(const uint8_t *const *elfs, const size_t *lens, uint32_t object_count,
                          uint16_t machine, uint32_t func_count, uint32_t wrapper_count,
                          lw_aotc_code *out, char *err, size_t err_len) {
  memset(out, 0, sizeof *out);
  uint32_t arch = machine == EM_X86_64 ? LW_AOT_ARCH_X86_64 : LW_AOT_ARCH_AARCH64;
  object *objs = calloc(object_count, sizeof *objs);
  bool ok = true;
  uint32_t total_sections = 0;
  for (uint32_t k = 0; k < object_count && ok; k++) {
    ok = open_object(&objs[k], elfs[k], lens[k], machine, err, err_len);
    if (ok) total_sections += objs[k].eh->e_shnum;
  }
  if (!ok) goto out;

  /* pieces: text first, then read-only data, so the loader can protect two ranges */
  out->pieces = calloc(total_sections + 1, sizeof *out->pieces);
  size_t blob_len = 0;
  for (int pass = 0; pass < 2 && ok; pass++) {
    for (uint32_t k = 0; k < object_count && ok; k++) {
      object *o = &objs[k];
      for (uint32_t i = 0; i < o->eh->e_shnum; i++) {
        const Elf64_Shdr *sec = &o->sh[i];
        const char *name = o->shstr + sec->sh_name;
        if (!(sec->sh_flags & SHF_ALLOC) || sec->sh_size == 0) continue;
        if (strcmp(name, ".eh_frame") == 0) continue; /* no unwinding through compiled code */
        bool text = (sec->sh_flags & SHF_EXECINSTR) != 0;
        if (text != (pass == 0)) continue;
        if (sec->sh_type == SHT_NOBITS || (sec->sh_flags & (SHF_WRITE | SHF_TLS))) {
          ok = errf(err, err_len, "compiled code needs writable data, which the format has no room for",
                    name);
          break;
        }
        uint64_t align = sec->sh_addralign < 16 ? 16 : sec->sh_addralign;
        blob_len = (blob_len + align - 1) & ~(align - 1);
        lw_aot_piece *pc = &out->pieces[out->piece_count];
        pc->kind = text ? LW_AOT_PIECE_TEXT : LW_AOT_PIECE_RODATA;
        pc->align = (uint32_t)align;
        pc->offset = blob_len;
        pc->size = sec->sh_size;
        o->piece_of[i] = out->piece_count++;
        blob_len += sec->sh_size;
      }
    }
  }
  if (!ok) goto out;
  out->blob = calloc(1, blob_len ? blob_len : 1);
  out->blob_len = blob_len;
  for (uint32_t k = 0; k < object_count; k++)
    for (uint32_t i = 0; i < objs[k].eh->e_shnum; i++)
      if (objs[k].piece_of[i] != UINT32_MAX)
        memcpy(out->blob + out->pieces[objs[k].piece_of[i]].offset,
               objs[k].elf + objs[k].sh[i].sh_offset, objs[k].sh[i].sh_size);

  /* definitions of lw_f* and lw_w*, from whichever object has them */
  out->funcs = calloc(func_count + 1, sizeof *out->funcs);
  out->wrappers = calloc(wrapper_count + 1, sizeof *out->wrappers);
  out->func_count = func_count;
  out->wrapper_count = wrapper_count;
  for (uint32_t i = 0; i < func_count; i++) out->funcs[i].piece = UINT32_MAX;
  for (uint32_t i = 0; i < wrapper_count; i++) out->wrappers[i].piece = UINT32_MAX;
  for (uint32_t k = 0; k < object_count; k++) {
    object *o = &objs[k];
    for (size_t i = 0; i < o->sym_count; i++) {
      const Elf64_Sym *sym = &o->syms[i];
      if (sym->st_shndx == SHN_UNDEF || sym->st_shndx >= o->eh->e_shnum) continue;
      uint32_t piece = o->piece_of[sym->st_shndx];
      bool wrapper;
      unsigned long n;
      if (piece == UINT32_MAX || !our_symbol(o->strtab + sym->st_name, &wrapper, &n)) continue;
      if (!wrapper && n < func_count) {
        out->funcs[n].piece = piece;
        out->funcs[n].offset = sym->st_value;
      } else if (wrapper && n < wrapper_count) {
        out->wrappers[n].piece = piece;
        out->wrappers[n].offset = sym->st_value;
      }
    }
  }
  for (uint32_t i = 0; i < func_count && ok; i++)
    if (out->funcs[i].piece == UINT32_MAX)
      ok = errf(err, err_len, "a compiled function is missing from the object file", NULL);
  for (uint32_t i = 0; i < wrapper_count && ok; i++)
    if (out->wrappers[i].piece == UINT32_MAX)
      ok = errf(err, err_len, "a wrapper is missing from the object file", NULL);
  if (!ok) goto out;

  /* relocations */
  for (uint32_t k = 0; k < object_count && ok; k++) {
    object *o = &objs[k];
    for (uint32_t i = 0; i < o->eh->e_shnum && ok; i++) {
      const Elf64_Shdr *sec = &o->sh[i];
      if (sec->sh_type == SHT_REL) {
        ok = errf(err, err_len, "object file uses REL relocations", o->shstr + sec->sh_name);
        break;
      }
      if (sec->sh_type != SHT_RELA) continue;
      if (sec->sh_info >= o->eh->e_shnum || o->piece_of[sec->sh_info] == UINT32_MAX) continue;
      uint32_t piece = o->piece_of[sec->sh_info];
      const Elf64_Rela *r = (const Elf64_Rela *)(o->elf + sec->sh_offset);
      size_t n = sec->sh_size / sizeof *r;
      out->relocs = realloc(out->relocs, (out->reloc_count + n + 1) * sizeof *out->relocs);
      for (size_t q = 0; q < n; q++) {
        uint32_t type = (uint32_t)ELF64_R_TYPE(r[q].r_info);
        uint32_t symi = (uint32_t)ELF64_R_SYM(r[q].r_info);
        if (type == 0) continue; /* R_*_NONE */
        if (!lw_aot_reloc_supported(arch, type)) {
          char detail[64];
          snprintf(detail, sizeof detail, "type %u in %s", type, o->shstr + sec->sh_name);
          ok = errf(err, err_len, "unsupported relocation", detail);
          break;
        }
        lw_aot_reloc *out_r = &out->relocs[out->reloc_count++];
        memset(out_r, 0, sizeof *out_r);
        out_r->piece = piece;
        out_r->type = type;
        out_r->offset = r[q].r_offset;
        out_r->addend = r[q].r_addend;
        const Elf64_Sym *sym = &o->syms[symi];
        const char *sym_name = o->strtab + sym->st_name;
        bool wrapper;
        unsigned long fn;
        if (sym->st_shndx == SHN_UNDEF && our_symbol(sym_name, &wrapper, &fn) && !wrapper &&
            fn < func_count) {
          /* a function compiled in another part */
          out_r->target = out->funcs[fn].piece;
          out_r->target_offset = out->funcs[fn].offset;
        } else if (sym->st_shndx == SHN_UNDEF) {
          out_r->target = LW_AOT_TARGET_SYMBOL | symbol_index(out, sym_name);
        } else if (sym->st_shndx < o->eh->e_shnum && o->piece_of[sym->st_shndx] != UINT32_MAX) {
          out_r->target = o->piece_of[sym->st_shndx];
          out_r->target_offset = sym->st_value;
        } else {
          ok = errf(err, err_len, "relocation against a section that is not loaded", sym_name);
          break;
        }
      }
    }
  }
out:
  for (uint32_t k = 0; k < object_count; k++) free(objs[k].piece_of);
  free(objs);
  return ok;
}

bool lw_aotc_extract(const uint8_t *elf, size_t len, uint16_t machine, uint32_t func_count,
                     uint32_t wrapper_count, lw_aotc_code *out, char *err, size_t err_len) {
  return lw_aotc_extract_many(&elf, &len, 1, machine, func_count, wrapper_count, out, err,
                              err_len);
}
