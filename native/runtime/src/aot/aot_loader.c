/* Loading a .lwaot artifact: verify it (container, versions, architecture, CPU, embedded wasm),
 * decode and validate the wasm with the normal front end, then map the code: RW while copying
 * and relocating, then text RX and data R (never writable and executable at once). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <elf.h>

#include "aot.h"
#include "aot_abi.h"
#include "aot_format.h"

/* ---- a module's compiled code: module->aot ---------------------------------------------------- */

static void image_free(lw_aot_image *img) {
  if (img->map) munmap(img->map, img->map_len);
  free(img->native);
  free(img->wrapper_of);
  free(img);
}

void lw_aot_module_release(lw_module *module) {
  if (!module->aot) return;
  image_free(module->aot);
  module->aot = NULL;
}

/* ---- checks --------------------------------------------------------------------------------- */

bool lw_aot_is_artifact(const uint8_t *bytes, size_t len) { return lw_aot_has_magic(bytes, len); }

static lw_status check_target(const lw_aot_view *v, lw_error *err) {
  uint32_t host = lw_aot_host_arch();
  if (v->arch != host)
    return lw_error_set(err, LW_ERR_UNSUPPORTED,
                        "AOT artifact was compiled for %s, but this machine is %s: recompile "
                        "the .wasm with `logwasm-aotc --target %s`, or load the .wasm itself",
                        lw_aot_arch_name(v->arch), lw_aot_arch_name(host), lw_aot_arch_name(host));
  if (v->abi_version != LW_AOT_ABI_VERSION || v->layout_fingerprint != lw_aot_layout_fingerprint())
    return lw_error_set(err, LW_ERR_UNSUPPORTED,
                        "AOT artifact was built for runtime ABI %u (layout %08x), this runtime "
                        "is ABI %u (layout %08x): recompile it with this logwasm's logwasm-aotc "
                        "(artifact made by %s)",
                        v->abi_version, v->layout_fingerprint, LW_AOT_ABI_VERSION,
                        lw_aot_layout_fingerprint(), v->producer);
  char missing[64];
  if (!lw_aot_cpu_supports(v->features, missing, sizeof missing))
    return lw_error_set(err, LW_ERR_UNSUPPORTED,
                        "AOT artifact needs CPU feature '%s' (compiled for cpu '%s'), which this "
                        "CPU lacks: recompile with `logwasm-aotc --cpu generic` or a --cpu "
                        "matching this machine",
                        missing, v->cpu);
  uint8_t sha[32];
  lw_aot_sha256(v->wasm, v->wasm_len, sha);
  if (memcmp(sha, v->wasm_sha256, 32) != 0)
    return lw_error_set(err, LW_ERR_MALFORMED,
                        "AOT artifact's embedded wasm does not match its SHA-256: the file is "
                        "corrupt; recompile it");
  return LW_OK;
}

lw_status lw_aot_check(const uint8_t *bytes, size_t len, lw_error *err) {
  lw_aot_view v;
  lw_status st = lw_aot_parse(bytes, len, &v, err);
  if (st != LW_OK) return st;
  return check_target(&v, err);
}

/* ---- mapping and relocating ------------------------------------------------------------------- */

typedef struct piece_info {
  uint32_t kind, align;
  uint64_t offset, size; /* in the blob */
  uint64_t at;           /* in the mapping */
} piece_info;

static void *libcall_address(const char *name) {
#define LW_ADDR(fn) if (strcmp(name, #fn) == 0) return (void *)&fn;
  LW_AOT_LIBCALLS(LW_ADDR)
#undef LW_ADDR
  return NULL;
}

/* Jump stubs to external functions (too far for a direct call from the mapping). */
#define VENEER_SIZE 16u
static void write_veneer(uint8_t *at, uint64_t target, uint32_t arch) {
  if (arch == LW_AOT_ARCH_X86_64) {
    static const uint8_t jmp_rip[6] = {0xff, 0x25, 0, 0, 0, 0}; /* jmp *0(%rip) */
    memcpy(at, jmp_rip, 6);
    memcpy(at + 6, &target, 8);
  } else {
    static const uint32_t ldr_br[2] = {0x58000050u /* ldr x16, #8 */, 0xd61f0200u /* br x16 */};
    memcpy(at, ldr_br, 8);
    memcpy(at + 8, &target, 8);
  }
}

static bool fits_signed(int64_t v, unsigned bits) {
  return v >= -(INT64_C(1) << (bits - 1)) && v < (INT64_C(1) << (bits - 1));
}

/* Bytes a relocation writes (4 unless 8). */
static unsigned reloc_width(uint32_t arch, uint32_t type) {
  if (arch == LW_AOT_ARCH_X86_64) return type == R_X86_64_64 || type == R_X86_64_PC64 ? 8 : 4;
  return type == R_AARCH64_ABS64 || type == R_AARCH64_PREL64 ? 8 : 4;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* Apply one relocation at `place` (address P) for value S + A. Returns NULL or what is wrong. */
static const char *relocate(uint32_t arch, uint32_t type, uint8_t *place, uint64_t s_plus_a) {
  uint64_t p = (uint64_t)(uintptr_t)place;
  int64_t rel = (int64_t)(s_plus_a - p);
  if (arch == LW_AOT_ARCH_X86_64) {
    switch (type) {
    case R_X86_64_64: memcpy(place, &s_plus_a, 8); return NULL;
    case R_X86_64_PC64: memcpy(place, &rel, 8); return NULL;
    case R_X86_64_PC32:
    case R_X86_64_PLT32:
      if (!fits_signed(rel, 32)) return "PC-relative target out of range";
      put32(place, (uint32_t)(int32_t)rel);
      return NULL;
    }
    return "unsupported x86_64 relocation";
  }
  uint32_t insn = get32(place);
  switch (type) {
  case R_AARCH64_ABS64: memcpy(place, &s_plus_a, 8); return NULL;
  case R_AARCH64_PREL64: memcpy(place, &rel, 8); return NULL;
  case R_AARCH64_PREL32:
    if (!fits_signed(rel, 32)) return "PC-relative target out of range";
    put32(place, (uint32_t)(int32_t)rel);
    return NULL;
  case R_AARCH64_CALL26:
  case R_AARCH64_JUMP26:
    if (!fits_signed(rel, 28) || (rel & 3)) return "branch target out of range";
    put32(place, (insn & 0xfc000000u) | ((uint32_t)(rel >> 2) & 0x03ffffffu));
    return NULL;
  case R_AARCH64_ADR_PREL_LO21:
    if (!fits_signed(rel, 21)) return "ADR target out of range";
    put32(place, (insn & 0x9f00001fu) | ((uint32_t)rel & 3) << 29 |
                     (((uint32_t)rel >> 2) & 0x7ffffu) << 5);
    return NULL;
  case R_AARCH64_ADR_PREL_PG_HI21: {
    int64_t pages = (int64_t)((s_plus_a & ~0xfffull) - (p & ~0xfffull)) >> 12;
    if (!fits_signed(pages, 21)) return "ADRP target out of range";
    uint32_t imm = (uint32_t)pages;
    put32(place, (insn & 0x9f00001fu) | (imm & 3) << 29 | ((imm >> 2) & 0x7ffffu) << 5);
    return NULL;
  }
  case R_AARCH64_ADD_ABS_LO12_NC:
  case R_AARCH64_LDST8_ABS_LO12_NC:
  case R_AARCH64_LDST16_ABS_LO12_NC:
  case R_AARCH64_LDST32_ABS_LO12_NC:
  case R_AARCH64_LDST64_ABS_LO12_NC:
  case R_AARCH64_LDST128_ABS_LO12_NC: {
    unsigned shift = type == R_AARCH64_LDST16_ABS_LO12_NC    ? 1
                     : type == R_AARCH64_LDST32_ABS_LO12_NC  ? 2
                     : type == R_AARCH64_LDST64_ABS_LO12_NC  ? 3
                     : type == R_AARCH64_LDST128_ABS_LO12_NC ? 4
                                                             : 0;
    uint32_t lo12 = (uint32_t)(s_plus_a & 0xfff);
    if (lo12 & ((1u << shift) - 1)) return "misaligned low-12-bit target";
    put32(place, (insn & ~(0xfffu << 10)) | ((lo12 >> shift) & 0xfffu) << 10);
    return NULL;
  }
  }
  return "unsupported aarch64 relocation";
}

static lw_status map_code(const lw_aot_view *v, lw_aot_image *img, lw_error *err) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  piece_info *pieces = calloc(v->piece_count + 1, sizeof *pieces);
  const char **symbol_names = calloc(v->symbol_count + 1, sizeof *symbol_names);
  lw_status st = LW_OK;
  if (!pieces || !symbol_names) {
    st = lw_error_set(err, LW_ERR_NOMEM, "out of host memory loading AOT code");
    goto out;
  }
  /* external symbols */
  {
    const uint8_t *p = v->symbols, *end = v->symbols + v->symbols_len;
    for (uint32_t i = 0; i < v->symbol_count; i++) {
      const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
      if (p >= end || !nul) {
        st = lw_error_set(err, LW_ERR_MALFORMED, "AOT artifact symbol table malformed");
        goto out;
      }
      symbol_names[i] = (const char *)p;
      if (!libcall_address(symbol_names[i])) {
        st = lw_error_set(err, LW_ERR_UNSUPPORTED,
                          "AOT code calls '%s', which this runtime does not provide", symbol_names[i]);
        goto out;
      }
      p = nul + 1;
    }
  }
  /* layout: text pieces, veneers, (page) read-only pieces */
  uint64_t cursor = 0, text_end = 0, veneers_at = 0;
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1) {
      cursor = (cursor + 15) & ~(uint64_t)15;
      veneers_at = cursor;
      cursor += (uint64_t)v->symbol_count * VENEER_SIZE;
      cursor = (cursor + page - 1) & ~(uint64_t)(page - 1);
      text_end = cursor;
    }
    for (uint32_t i = 0; i < v->piece_count; i++) {
      const uint8_t *e = v->pieces + (size_t)i * LW_AOT_PIECE_SIZE;
      piece_info *pi = &pieces[i];
      pi->kind = lw_aot_get32(e);
      pi->align = lw_aot_get32(e + 4);
      pi->offset = lw_aot_get64(e + 8);
      pi->size = lw_aot_get64(e + 16);
      if ((pi->kind == LW_AOT_PIECE_TEXT) != (pass == 0)) continue;
      if ((pi->kind != LW_AOT_PIECE_TEXT && pi->kind != LW_AOT_PIECE_RODATA) || !pi->align ||
          (pi->align & (pi->align - 1)) || pi->align > page || pi->offset > v->code_len ||
          pi->size > v->code_len - pi->offset) {
        st = lw_error_set(err, LW_ERR_MALFORMED, "AOT artifact piece %u malformed", i);
        goto out;
      }
      cursor = (cursor + pi->align - 1) & ~(uint64_t)(pi->align - 1);
      pi->at = cursor;
      cursor += pi->size;
    }
  }
  img->map_len = (size_t)((cursor + page - 1) & ~(uint64_t)(page - 1));
  if (img->map_len == 0) img->map_len = page;
  img->map = mmap(NULL, img->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (img->map == MAP_FAILED) {
    img->map = NULL;
    st = lw_error_set(err, LW_ERR_NOMEM, "cannot map %zu bytes for AOT code", img->map_len);
    goto out;
  }
  for (uint32_t i = 0; i < v->piece_count; i++)
    memcpy(img->map + pieces[i].at, v->code + pieces[i].offset, pieces[i].size);
  for (uint32_t i = 0; i < v->symbol_count; i++)
    write_veneer(img->map + veneers_at + (size_t)i * VENEER_SIZE,
                 (uint64_t)(uintptr_t)libcall_address(symbol_names[i]), v->arch);

  for (uint32_t i = 0; i < v->reloc_count; i++) {
    const uint8_t *e = v->relocs + (size_t)i * LW_AOT_RELOC_SIZE;
    uint32_t piece = lw_aot_get32(e), type = lw_aot_get32(e + 4), target = lw_aot_get32(e + 16);
    uint64_t offset = lw_aot_get64(e + 8), target_offset = lw_aot_get64(e + 24);
    int64_t addend = (int64_t)lw_aot_get64(e + 32);
    if (piece >= v->piece_count || offset > pieces[piece].size || pieces[piece].size - offset < 4 ||
        (reloc_width(v->arch, type) == 8 && pieces[piece].size - offset < 8)) {
      st = lw_error_set(err, LW_ERR_MALFORMED, "AOT artifact relocation %u out of bounds", i);
      goto out;
    }
    uint64_t s;
    if (target & LW_AOT_TARGET_SYMBOL) {
      uint32_t sym = target & ~LW_AOT_TARGET_SYMBOL;
      if (sym >= v->symbol_count) {
        st = lw_error_set(err, LW_ERR_MALFORMED, "AOT artifact relocation %u: bad symbol", i);
        goto out;
      }
      bool absolute = type == R_X86_64_64 || type == R_AARCH64_ABS64;
      s = absolute ? (uint64_t)(uintptr_t)libcall_address(symbol_names[sym])
                   : (uint64_t)(uintptr_t)(img->map + veneers_at + (size_t)sym * VENEER_SIZE);
    } else {
      if (target >= v->piece_count || target_offset > pieces[target].size) {
        st = lw_error_set(err, LW_ERR_MALFORMED, "AOT artifact relocation %u: bad target", i);
        goto out;
      }
      s = (uint64_t)(uintptr_t)(img->map + pieces[target].at + target_offset);
    }
    const char *why = relocate(v->arch, type, img->map + pieces[piece].at + offset,
                               s + (uint64_t)addend);
    if (why) {
      st = lw_error_set(err, LW_ERR_MALFORMED, "AOT artifact relocation %u (type %u): %s", i,
                        type, why);
      goto out;
    }
  }

  /* entries */
  img->native = calloc(v->func_count + 1, sizeof *img->native);
  img->wrapper_of = calloc(v->func_count + 1, sizeof *img->wrapper_of);
  if (!img->native || !img->wrapper_of) {
    st = lw_error_set(err, LW_ERR_NOMEM, "out of host memory loading AOT code");
    goto out;
  }
  for (uint32_t i = 0; i < v->func_count + v->wrapper_count; i++) {
    const uint8_t *e = v->funcs + (size_t)i * LW_AOT_FUNC_SIZE;
    uint32_t piece = lw_aot_get32(e), wrapper = lw_aot_get32(e + 4);
    uint64_t offset = lw_aot_get64(e + 8);
    if (piece >= v->piece_count || pieces[piece].kind != LW_AOT_PIECE_TEXT ||
        offset >= pieces[piece].size || (i < v->func_count && wrapper >= v->wrapper_count)) {
      st = lw_error_set(err, LW_ERR_MALFORMED, "AOT artifact function entry %u malformed", i);
      goto out;
    }
    void *addr = img->map + pieces[piece].at + offset;
    if (i < v->func_count) img->native[i] = addr;
  }
  for (uint32_t i = 0; i < v->func_count; i++) {
    uint32_t w = lw_aot_get32(v->funcs + (size_t)i * LW_AOT_FUNC_SIZE + 4);
    const uint8_t *we = v->funcs + (size_t)(v->func_count + w) * LW_AOT_FUNC_SIZE;
    void *addr = img->map + pieces[lw_aot_get32(we)].at + lw_aot_get64(we + 8);
    memcpy(&img->wrapper_of[i], &addr, sizeof addr); /* object -> function pointer */
  }

  if ((text_end && mprotect(img->map, (size_t)text_end, PROT_READ | PROT_EXEC) != 0) ||
      (img->map_len > text_end &&
       mprotect(img->map + text_end, img->map_len - (size_t)text_end, PROT_READ) != 0)) {
    st = lw_error_set(err, LW_ERR_UNSUPPORTED,
                      "cannot make AOT code executable (mprotect refused: a W^X policy or "
                      "noexec mapping?); load the .wasm with the interpreter instead");
    goto out;
  }
  if (text_end) __builtin___clear_cache((char *)img->map, (char *)img->map + text_end);
out:
  free(pieces);
  free(symbol_names);
  return st;
}

lw_status lw_aot_module_load(const uint8_t *bytes, size_t len, const lw_load_options *opts,
                             lw_module **out, lw_error *err) {
  lw_error local_err;
  if (!err) err = &local_err;
  *out = NULL;
  lw_aot_view v;
  lw_status st = lw_aot_parse(bytes, len, &v, err);
  if (st == LW_OK) st = check_target(&v, err);
  if (st != LW_OK) return st;

  lw_module *module = NULL;
  st = lw_decode(v.wasm, v.wasm_len, opts ? opts->name : NULL, &module, err);
  if (st == LW_OK) st = lw_validate(module, err);
  /* The interpreter's code too: a compiled module stays a complete lw_module that every part
   * of the runtime can run, including paths that do not dispatch to compiled code (the
   * interpreter's direct calls into another instance). Compiled code is the accelerator. */
  if (st == LW_OK) st = lw_compile(module, err);
  if (st != LW_OK) {
    lw_module_destroy(module);
    return st;
  }
  if (module->defined_func_count != v.func_count) {
    lw_module_destroy(module);
    return lw_error_set(err, LW_ERR_MALFORMED,
                        "AOT artifact has code for %u functions but its wasm defines %u",
                        v.func_count, module->defined_func_count);
  }
  lw_aot_image *img = calloc(1, sizeof *img);
  if (!img) {
    lw_module_destroy(module);
    return lw_error_set(err, LW_ERR_NOMEM, "out of host memory");
  }
  img->module = module;
  st = map_code(&v, img, err);
  if (st != LW_OK) {
    image_free(img);
    lw_module_destroy(module);
    return st;
  }
  module->aot = img;
  *out = module;
  return LW_OK;
}
