/* logwasm-aotc: compile a WebAssembly module ahead of time into a logwasm AOT artifact.
 *
 *   logwasm-aotc [--target x86_64|aarch64] [--cpu NAME] [--cpu-features +a,-b] [-O0..3]
 *                [--emit-llvm FILE] -o out.lwaot in.wasm
 *
 * Pipeline: decode + validate (the runtime's front end) -> LLVM IR (codegen.c) -> LLVM's
 * optimiser (new pass manager, default<On>) -> ELF object in memory -> pieces, relocations and
 * symbols (elf_extract.c) -> .lwaot (docs/aot-format.md). */
#include <elf.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Support.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "read_file.h"
#include "aot/aot_abi.h"
#include "aot/aot_format.h"
#include "codegen.h"
#include "elf_extract.h"

char *lw_aotc_effective_features(LLVMTargetMachineRef machine); /* features.cpp */

static void usage(FILE *to) {
  fprintf(to,
          "usage: logwasm-aotc [options] -o OUT.lwaot IN.wasm\n"
          "  --target x86_64|aarch64   target architecture (default: this machine's)\n"
          "  --cpu NAME                CPU to compile for, e.g. skylake, cortex-a57, generic\n"
          "                            (default: this machine's CPU when compiling for it,\n"
          "                            x86-64-v2 / generic otherwise)\n"
          "  --cpu-features +a,-b      add or remove CPU features (LLVM names)\n"
          "  -O0 .. -O3                optimisation level (default -O3)\n"
          "  --emit-llvm FILE          also write the optimised LLVM IR\n"
          "  --emit-object FILE        also write the ELF object LLVM produced (for objdump)\n"
          "  --jobs N                  compile in N parts on N threads (default: 2 for\n"
          "                            modules with 512 KiB of code or more, else 1)\n"
          "The artifact runs only on CPUs with every feature the code was compiled for; the\n"
          "loader checks and says which one is missing.\n");
}

/* Growable byte buffer for the artifact. */
typedef struct buf {
  uint8_t *p;
  size_t len, cap;
} buf;

static size_t buf_reserve(buf *b, size_t n) {
  if (b->len + n > b->cap) {
    b->cap = (b->len + n) * 2;
    b->p = realloc(b->p, b->cap);
  }
  size_t at = b->len;
  memset(b->p + at, 0, n);
  b->len += n;
  return at;
}
static void buf_put(buf *b, const void *data, size_t n) {
  size_t at = buf_reserve(b, n);
  memcpy(b->p + at, data, n);
}
static void buf_align(buf *b, size_t a) {
  while (b->len % a) buf_reserve(b, 1);
}

static bool libcall_allowed(const char *name) {
#define LW_ALLOWED(fn) if (strcmp(name, #fn) == 0) return true;
  LW_AOT_LIBCALLS(LW_ALLOWED)
#undef LW_ALLOWED
  return false;
}

typedef struct section_out {
  uint32_t id;
  size_t offset, len;
} section_out;

static void begin_section(buf *b, section_out *s, uint32_t id) {
  buf_align(b, 16);
  s->id = id;
  s->offset = b->len;
}
static void end_section(buf *b, section_out *s) { s->len = b->len - s->offset; }

static buf write_artifact(uint32_t arch, uint32_t opt, const uint8_t *wasm, size_t wasm_len,
                          const char *cpu, const char *features, const char *producer,
                          const lw_aotc_code *code) {
  buf b = {0};
  enum { NSEC = 7 };
  section_out secs[NSEC];
  buf_reserve(&b, LW_AOT_HEADER_SIZE + NSEC * LW_AOT_SECTION_ENTRY_SIZE);
  memcpy(b.p, LW_AOT_MAGIC, LW_AOT_MAGIC_LEN);

  begin_section(&b, &secs[0], LW_AOT_SEC_WASM);
  uint8_t sha[32];
  lw_aot_sha256(wasm, wasm_len, sha);
  buf_put(&b, sha, 32);
  buf_put(&b, wasm, wasm_len);
  end_section(&b, &secs[0]);

  begin_section(&b, &secs[1], LW_AOT_SEC_TARGET);
  buf_put(&b, cpu, strlen(cpu) + 1);
  buf_put(&b, features, strlen(features) + 1);
  buf_put(&b, producer, strlen(producer) + 1);
  end_section(&b, &secs[1]);

  begin_section(&b, &secs[2], LW_AOT_SEC_CODE);
  buf_align(&b, 64);
  secs[2].offset = b.len;
  buf_put(&b, code->blob, code->blob_len);
  end_section(&b, &secs[2]);

  begin_section(&b, &secs[3], LW_AOT_SEC_PIECES);
  for (uint32_t i = 0; i < code->piece_count; i++) {
    size_t at = buf_reserve(&b, LW_AOT_PIECE_SIZE);
    lw_aot_put32(b.p + at, code->pieces[i].kind);
    lw_aot_put32(b.p + at + 4, code->pieces[i].align);
    lw_aot_put64(b.p + at + 8, code->pieces[i].offset);
    lw_aot_put64(b.p + at + 16, code->pieces[i].size);
  }
  end_section(&b, &secs[3]);

  begin_section(&b, &secs[4], LW_AOT_SEC_RELOCS);
  for (uint32_t i = 0; i < code->reloc_count; i++) {
    const lw_aot_reloc *r = &code->relocs[i];
    size_t at = buf_reserve(&b, LW_AOT_RELOC_SIZE);
    lw_aot_put32(b.p + at, r->piece);
    lw_aot_put32(b.p + at + 4, r->type);
    lw_aot_put64(b.p + at + 8, r->offset);
    lw_aot_put32(b.p + at + 16, r->target);
    lw_aot_put64(b.p + at + 24, r->target_offset);
    lw_aot_put64(b.p + at + 32, (uint64_t)r->addend);
  }
  end_section(&b, &secs[4]);

  begin_section(&b, &secs[5], LW_AOT_SEC_SYMBOLS);
  {
    size_t at = buf_reserve(&b, 4);
    lw_aot_put32(b.p + at, code->symbol_count);
    for (uint32_t i = 0; i < code->symbol_count; i++)
      buf_put(&b, code->symbols[i], strlen(code->symbols[i]) + 1);
  }
  end_section(&b, &secs[5]);

  begin_section(&b, &secs[6], LW_AOT_SEC_FUNCS);
  {
    size_t at = buf_reserve(&b, 8);
    lw_aot_put32(b.p + at, code->func_count);
    lw_aot_put32(b.p + at + 4, code->wrapper_count);
    for (uint32_t i = 0; i < code->func_count; i++) {
      at = buf_reserve(&b, LW_AOT_FUNC_SIZE);
      lw_aot_put32(b.p + at, code->funcs[i].piece);
      lw_aot_put32(b.p + at + 4, code->funcs[i].wrapper);
      lw_aot_put64(b.p + at + 8, code->funcs[i].offset);
    }
    for (uint32_t i = 0; i < code->wrapper_count; i++) {
      at = buf_reserve(&b, LW_AOT_FUNC_SIZE);
      lw_aot_put32(b.p + at, code->wrappers[i].piece);
      lw_aot_put64(b.p + at + 8, code->wrappers[i].offset);
    }
  }
  end_section(&b, &secs[6]);

  lw_aot_put32(b.p + LW_AOT_H_FORMAT, LW_AOT_FORMAT_VERSION);
  lw_aot_put32(b.p + LW_AOT_H_ABI, LW_AOT_ABI_VERSION);
  lw_aot_put32(b.p + LW_AOT_H_LAYOUT, lw_aot_layout_fingerprint());
  lw_aot_put32(b.p + LW_AOT_H_ARCH, arch);
  lw_aot_put32(b.p + LW_AOT_H_OPT, opt);
  lw_aot_put32(b.p + LW_AOT_H_SECTION_COUNT, NSEC);
  lw_aot_put64(b.p + LW_AOT_H_LENGTH, b.len);
  for (int i = 0; i < NSEC; i++) {
    uint8_t *e = b.p + LW_AOT_HEADER_SIZE + i * LW_AOT_SECTION_ENTRY_SIZE;
    lw_aot_put32(e, secs[i].id);
    lw_aot_put64(e + 8, secs[i].offset);
    lw_aot_put64(e + 16, secs[i].len);
  }
  lw_aot_put64(b.p + LW_AOT_H_CHECKSUM, lw_aot_crc64(0, b.p, b.len)); /* field was zero */
  return b;
}

/* One part of the module on its way to an object file. */
typedef struct part {
  LLVMContextRef ctx;
  LLVMModuleRef llvm;
  LLVMTargetDataRef layout;
  LLVMTargetMachineRef tm;
  char passes[512];
  LLVMMemoryBufferRef obj;
  char *error; /* set on failure */
  bool threaded;
} part;

static void *optimise_and_emit(void *arg) {
  part *p = arg;
  LLVMPassBuilderOptionsRef pbo = LLVMCreatePassBuilderOptions();
  LLVMErrorRef perr = LLVMRunPasses(p->llvm, p->passes, p->tm, pbo);
  LLVMDisposePassBuilderOptions(pbo);
  if (perr) {
    char *m = LLVMGetErrorMessage(perr);
    p->error = malloc(strlen(m) + 32);
    sprintf(p->error, "optimiser failed: %s", m);
    LLVMDisposeErrorMessage(m);
    return NULL;
  }
  char *msg = NULL;
  if (LLVMTargetMachineEmitToMemoryBuffer(p->tm, p->llvm, LLVMObjectFile, &msg, &p->obj)) {
    p->error = malloc(strlen(msg) + 32);
    sprintf(p->error, "code generation failed: %s", msg);
    LLVMDisposeMessage(msg);
  }
  return NULL;
}

int main(int argc, char **argv) {
  const char *target = NULL, *cpu = NULL, *user_features = NULL, *out_path = NULL,
             *in_path = NULL, *ll_path = NULL, *obj_path = NULL;
  unsigned opt = 3;
  uint32_t jobs = 0; /* 0 = automatic */
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--target") && i + 1 < argc) target = argv[++i];
    else if (!strcmp(a, "--cpu") && i + 1 < argc) cpu = argv[++i];
    else if (!strcmp(a, "--cpu-features") && i + 1 < argc) user_features = argv[++i];
    else if (!strcmp(a, "-o") && i + 1 < argc) out_path = argv[++i];
    else if (!strcmp(a, "--emit-llvm") && i + 1 < argc) ll_path = argv[++i];
    else if (!strcmp(a, "--emit-object") && i + 1 < argc) obj_path = argv[++i];
    else if (!strcmp(a, "--jobs") && i + 1 < argc) jobs = (uint32_t)atoi(argv[++i]);
    else if (a[0] == '-' && a[1] == 'O' && a[2] >= '0' && a[2] <= '3' && !a[3]) opt = (unsigned)(a[2] - '0');
    else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    } else if (a[0] != '-' && !in_path) in_path = a;
    else {
      fprintf(stderr, "logwasm-aotc: unknown or incomplete option '%s'\n", a);
      usage(stderr);
      return 2;
    }
  }
  if (!in_path || !out_path) {
    usage(stderr);
    return 2;
  }
#if defined(__x86_64__)
  const char *host_arch = "x86_64";
#elif defined(__aarch64__)
  const char *host_arch = "aarch64";
#else
  const char *host_arch = "";
#endif
  if (!target) target = host_arch;
  uint32_t arch;
  const char *triple;
  uint16_t machine;
  if (!strcmp(target, "x86_64") || !strcmp(target, "x86-64")) {
    arch = LW_AOT_ARCH_X86_64;
    triple = "x86_64-unknown-linux-gnu";
    machine = EM_X86_64;
  } else if (!strcmp(target, "aarch64") || !strcmp(target, "arm64") ||
             !strcmp(target, "aarch64v8")) {
    arch = LW_AOT_ARCH_AARCH64;
    triple = "aarch64-unknown-linux-gnu";
    machine = EM_AARCH64;
  } else {
    fprintf(stderr, "logwasm-aotc: unknown target '%s' (use x86_64 or aarch64)\n", target);
    return 2;
  }
  bool native = !strcmp(lw_aot_arch_name(arch), host_arch);

  size_t wasm_len;
  int read_errno;
  uint8_t *wasm = read_whole_file(in_path, &wasm_len, &read_errno);
  if (!wasm) {
    fprintf(stderr, "logwasm-aotc: cannot read %s: %s\n", in_path, strerror(read_errno));
    return 1;
  }
  lw_error err;
  lw_module *module;
  if (lw_decode(wasm, wasm_len, in_path, &module, &err) != LW_OK ||
      lw_validate(module, &err) != LW_OK) {
    fprintf(stderr, "logwasm-aotc: %s: %s\n", in_path, err.message);
    return 1;
  }

  /* LOGWASM_AOTC_LLVM_OPTIONS="-time-passes ..." passes options to LLVM (diagnostics) */
  const char *llvm_options = getenv("LOGWASM_AOTC_LLVM_OPTIONS");
  if (llvm_options) {
    static char *opt_argv[32];
    static char opt_buf[1024];
    int opt_argc = 0;
    snprintf(opt_buf, sizeof opt_buf, "%s", llvm_options);
    opt_argv[opt_argc++] = "logwasm-aotc";
    for (char *tok = strtok(opt_buf, " "); tok && opt_argc < 31; tok = strtok(NULL, " "))
      opt_argv[opt_argc++] = tok;
    LLVMParseCommandLineOptions(opt_argc, (const char *const *)opt_argv, NULL);
  }

  LLVMInitializeX86TargetInfo();
  LLVMInitializeX86Target();
  LLVMInitializeX86TargetMC();
  LLVMInitializeX86AsmPrinter();
  LLVMInitializeAArch64TargetInfo();
  LLVMInitializeAArch64Target();
  LLVMInitializeAArch64TargetMC();
  LLVMInitializeAArch64AsmPrinter();

  /* CPU: this machine's when compiling for it (like a native build), else a conservative
   * baseline. --cpu native means the same as the default for the host. */
  char *host_cpu = NULL, *host_features = NULL;
  char features[4096] = "";
  if ((!cpu || !strcmp(cpu, "native")) && native) {
    host_cpu = LLVMGetHostCPUName();
    host_features = LLVMGetHostCPUFeatures();
    cpu = host_cpu;
    snprintf(features, sizeof features, "%s", host_features);
  } else if (!cpu || !strcmp(cpu, "native")) {
    cpu = arch == LW_AOT_ARCH_X86_64 ? "x86-64-v2" : "generic";
  }
  if (user_features) {
    size_t n = strlen(features);
    snprintf(features + n, sizeof features - n, "%s%s", n ? "," : "", user_features);
  }

  LLVMTargetRef llvm_target;
  char *msg = NULL;
  if (LLVMGetTargetFromTriple(triple, &llvm_target, &msg)) {
    fprintf(stderr, "logwasm-aotc: %s\n", msg);
    return 1;
  }
  LLVMCodeGenOptLevel level = opt == 0   ? LLVMCodeGenLevelNone
                              : opt == 1 ? LLVMCodeGenLevelLess
                              : opt == 2 ? LLVMCodeGenLevelDefault
                                         : LLVMCodeGenLevelAggressive;
  /* PIC + small code model: every reference is PC-relative or through our runtime table, so
   * the code can be mapped anywhere. */
  LLVMTargetMachineRef tm = LLVMCreateTargetMachine(llvm_target, triple, cpu, features, level,
                                                    LLVMRelocPIC, LLVMCodeModelSmall);
  if (!tm) {
    fprintf(stderr, "logwasm-aotc: LLVM has no target machine for %s / cpu %s\n", triple, cpu);
    return 1;
  }
  char *effective = lw_aotc_effective_features(tm);

  /* Big modules are split into parts optimised and emitted on separate threads (one context,
   * module and target machine each); calls between parts become relocations resolved by
   * elf_extract.c. Functions in different parts cannot be inlined into each other, so small
   * modules stay whole. */
  uint64_t code_bytes = 0;
  for (uint32_t i = 0; i < module->defined_func_count; i++) code_bytes += module->funcs[i].body_len;
  uint32_t part_count = jobs ? jobs : (code_bytes >= (512u << 10) ? 2 : 1);
  if (part_count > module->defined_func_count) part_count = module->defined_func_count;
  if (part_count == 0) part_count = 1;
  if (part_count > 16) part_count = 16;
  uint32_t *part_of_func = calloc(module->defined_func_count + 1, sizeof *part_of_func);
  {
    uint64_t done = 0;
    for (uint32_t i = 0; i < module->defined_func_count; i++) {
      uint32_t k = code_bytes ? (uint32_t)(done * part_count / code_bytes) : 0;
      part_of_func[i] = k < part_count ? k : part_count - 1;
      done += module->funcs[i].body_len;
    }
  }
  part parts[16];
  LLVMModuleRef llvm_modules[16];
  memset(parts, 0, sizeof parts);
  for (uint32_t k = 0; k < part_count; k++) {
    parts[k].ctx = LLVMContextCreate();
    parts[k].llvm = LLVMModuleCreateWithNameInContext(in_path, parts[k].ctx);
    LLVMSetTarget(parts[k].llvm, triple);
    parts[k].layout = LLVMCreateTargetDataLayout(tm);
    LLVMSetModuleDataLayout(parts[k].llvm, parts[k].layout);
    parts[k].tm = k == 0 ? tm
                         : LLVMCreateTargetMachine(llvm_target, triple, cpu, features, level,
                                                   LLVMRelocPIC, LLVMCodeModelSmall);
    llvm_modules[k] = parts[k].llvm;
  }
  lw_aotc_module out = {0};
  char cg_err[512];
  if (!lw_aotc_codegen_parts(module, part_count, llvm_modules, part_of_func, &out, cg_err,
                             sizeof cg_err)) {
    fprintf(stderr, "logwasm-aotc: %s: %s\n", in_path, cg_err);
    return 1;
  }
  for (uint32_t k = 0; k < part_count; k++) {
    if (LLVMVerifyModule(parts[k].llvm, LLVMReturnStatusAction, &msg)) {
      fprintf(stderr, "logwasm-aotc: internal error, invalid IR: %s\n", msg);
      if (ll_path) LLVMPrintModuleToFile(parts[k].llvm, ll_path, NULL);
      return 1;
    }
    LLVMDisposeMessage(msg);
  }

  const char *pipeline = getenv("LOGWASM_AOTC_PIPELINE"); /* experiments: a pass pipeline */
  for (uint32_t k = 0; k < part_count; k++) {
    if (pipeline) snprintf(parts[k].passes, sizeof parts[k].passes, "%s", pipeline);
    else snprintf(parts[k].passes, sizeof parts[k].passes, "default<O%u>", opt);
  }
  pthread_t threads[16];
  for (uint32_t k = 1; k < part_count; k++)
    if (pthread_create(&threads[k], NULL, optimise_and_emit, &parts[k]) != 0)
      optimise_and_emit(&parts[k]);
    else
      parts[k].threaded = true;
  optimise_and_emit(&parts[0]);
  for (uint32_t k = 1; k < part_count; k++)
    if (parts[k].threaded) pthread_join(threads[k], NULL);
  for (uint32_t k = 0; k < part_count; k++)
    if (parts[k].error) {
      fprintf(stderr, "logwasm-aotc: %s\n", parts[k].error);
      return 1;
    }
  if (ll_path) LLVMPrintModuleToFile(parts[0].llvm, ll_path, NULL);
  if (obj_path) {
    FILE *of = fopen(obj_path, "wb");
    if (of) {
      fwrite(LLVMGetBufferStart(parts[0].obj), 1, LLVMGetBufferSize(parts[0].obj), of);
      fclose(of);
    }
  }
  const uint8_t *objects[16];
  size_t object_lens[16];
  for (uint32_t k = 0; k < part_count; k++) {
    objects[k] = (const uint8_t *)LLVMGetBufferStart(parts[k].obj);
    object_lens[k] = LLVMGetBufferSize(parts[k].obj);
  }
  lw_aotc_code code;
  char ex_err[256];
  if (!lw_aotc_extract_many(objects, object_lens, part_count, machine, module->defined_func_count,
                            out.wrapper_count, &code, ex_err, sizeof ex_err)) {
    fprintf(stderr, "logwasm-aotc: %s\n", ex_err);
    return 1;
  }
  for (uint32_t i = 0; i < module->defined_func_count; i++)
    code.funcs[i].wrapper = out.wrapper_of_type[module->funcs[i].type_index];
  for (uint32_t i = 0; i < code.symbol_count; i++)
    if (!libcall_allowed(code.symbols[i])) {
      fprintf(stderr, "logwasm-aotc: internal error: compiled code calls '%s', which the "
                      "loader does not provide\n", code.symbols[i]);
      return 1;
    }

  unsigned major, minor, patch;
  LLVMGetVersion(&major, &minor, &patch);
  char producer[128];
  snprintf(producer, sizeof producer, "logwasm-aotc %s (LLVM %u.%u.%u)", LW_VERSION_STRING, major,
           minor, patch);
  buf art = write_artifact(arch, opt, wasm, wasm_len, cpu, effective, producer, &code);
  FILE *f = fopen(out_path, "wb");
  if (!f || fwrite(art.p, 1, art.len, f) != art.len || fclose(f) != 0) {
    fprintf(stderr, "logwasm-aotc: cannot write %s\n", out_path);
    return 1;
  }

  free(art.p);
  lw_aotc_code_free(&code);
  for (uint32_t k = 0; k < part_count; k++) {
    LLVMDisposeMemoryBuffer(parts[k].obj);
    LLVMDisposeTargetData(parts[k].layout);
    LLVMDisposeModule(parts[k].llvm);
    LLVMContextDispose(parts[k].ctx);
    if (k) LLVMDisposeTargetMachine(parts[k].tm);
  }
  free(part_of_func);
  LLVMDisposeTargetMachine(tm);
  free(effective);
  free(out.wrapper_of_type);
  free(out.wrapper_type);
  if (host_cpu) LLVMDisposeMessage(host_cpu);
  if (host_features) LLVMDisposeMessage(host_features);
  lw_module_destroy(module);
  free(wasm);
  return 0;
}
