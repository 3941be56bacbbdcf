/* logwasm-aotc: translate validated wasm function bodies into LLVM IR.
 *
 * One pass over each body with a compile-time operand stack of LLVM values (SSA construction
 * the usual way: locals are allocas that mem2reg promotes; block results and loop parameters
 * are phi nodes). The body was validated, so immediates are read without checks.
 *
 * Run-time contract (aot_abi.h): every function is `results f(ctx*, i32 depth, params...)`;
 * depth is the call depth still available (0 traps "call stack exhausted"), so the depth check
 * costs a register compare and no memory traffic. Memory base and size live in allocas that are
 * reloaded from the context at entry and after anything that may move memory (calls,
 * memory.grow); every access is checked with one 64-bit compare of address+offset+size against
 * the size. Traps branch to one cold block per trap kind that calls rt->trap, which longjmps. */
#include "codegen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aot/aot_abi.h"
#include "reader.h"

typedef enum frame_kind { FRAME_BLOCK, FRAME_LOOP, FRAME_IF, FRAME_FUNC } frame_kind;

typedef struct frame {
  frame_kind kind;
  uint32_t param_count, result_count;
  const lw_valtype *params, *results;
  uint32_t height;               /* operand stack height below the params */
  LLVMBasicBlockRef end_block;   /* continuation; phis for results */
  LLVMBasicBlockRef loop_header; /* loops: branch target; phis for params */
  LLVMBasicBlockRef else_block;  /* ifs */
  LLVMValueRef *end_phis, *loop_phis;
  LLVMValueRef *if_params;       /* ifs: param values, for the else arm */
  bool has_else;
  bool dead;                     /* the code being read now in this frame is unreachable */
  /* loops: the poll can go when every iteration calls a function that polls at entry: a direct
   * call at the loop's own level before anything that could branch (see covered_loops) */
  LLVMValueRef loop_poll_br;
  bool straight;
  uint32_t covering_callee;      /* defined index, or UINT32_MAX */
} frame;

/* The call graph, for deciding which functions poll at entry: node d = defined function d,
 * node defined_func_count = "any function that escapes" (tables, ref.func, exports). */
typedef struct call_graph {
  uint32_t **callees;
  uint32_t *callee_count, *callee_cap;
  LLVMValueRef *entry_poll_br;
  struct { LLVMValueRef br; uint32_t callee; } *covered_loops;
  uint32_t covered_count, covered_cap;
} call_graph;

typedef struct cg {
  LLVMContextRef c;
  LLVMModuleRef mod;
  LLVMBuilderRef b;
  const lw_module *m;
  LLVMTypeRef t_i1, t_i8, t_i16, t_i32, t_i64, t_f32, t_f64, t_ptr, t_void;
  LLVMTypeRef *fn_types;  /* per module type: (ptr ctx, i32 depth, params) -> results */
  LLVMValueRef *funcs;    /* per defined function */
  LLVMTypeRef t_trap, t_poll, t_call, t_grow, t_fill, t_copy, t_minit, t_drop, t_tinit,
      t_tcopy, t_tgrow, t_tfill;
  unsigned md_tbaa, md_invariant, md_prof;
  LLVMValueRef tbaa_ctx, tbaa_mem, tbaa_global, tbaa_table, tbaa_funcobj;
  LLVMValueRef empty_md, cold_weights;
  char *err;
  size_t err_len;
  struct call_graph *cgraph; /* shared by every part of a split module */
  bool arch_aarch64;
  unsigned md_range;
  LLVMValueRef mem_size_range; /* !range [min bytes, max bytes + 1) of memory 0, or NULL */
} cg;

typedef struct fn {
  cg *g;
  uint32_t func_index;       /* module index space */
  const lw_functype *type;
  LLVMValueRef llfn, ctx, depth, callee_depth;
  LLVMBuilderRef alloca_b;   /* positioned in the entry block */
  uint32_t local_count;
  lw_valtype *local_types;
  LLVMValueRef *locals;
  LLVMValueRef mem_base, mem_size; /* allocas */
  LLVMValueRef loop_countdown;     /* alloca */
  LLVMValueRef entry_poll_br;      /* branch on a placeholder: poll at entry or not */
  LLVMValueRef *stack;
  uint32_t sp, stack_cap;
  frame *frames;
  uint32_t frame_count, frame_cap;
  uint32_t dead_depth;       /* nested blocks opened inside unreachable code */
  LLVMBasicBlockRef trap_blocks[LW_AOT_TRAP_UNDEFINED_ELEMENT + 1];
} fn;

/* ---- small helpers ---------------------------------------------------------------------------- */

static bool fail(cg *g, const char *msg, uint32_t func_index) {
  snprintf(g->err, g->err_len, "function %u: %s", func_index, msg);
  return false;
}

static LLVMTypeRef val_type(cg *g, lw_valtype t) {
  switch (t) {
  case LW_I32: return g->t_i32;
  case LW_I64: return g->t_i64;
  case LW_F32: return g->t_f32;
  case LW_F64: return g->t_f64;
  case LW_FUNCREF:
  case LW_EXTERNREF: return g->t_ptr;
  default: return NULL;
  }
}

static LLVMTypeRef results_type(cg *g, const lw_functype *ft) {
  if (ft->result_count == 0) return g->t_void;
  if (ft->result_count == 1) return val_type(g, ft->results[0]);
  LLVMTypeRef *el = malloc(ft->result_count * sizeof *el);
  for (uint32_t i = 0; i < ft->result_count; i++) el[i] = val_type(g, ft->results[i]);
  LLVMTypeRef s = LLVMStructTypeInContext(g->c, el, ft->result_count, 0);
  free(el);
  return s;
}

static LLVMValueRef ci32(cg *g, uint64_t v) { return LLVMConstInt(g->t_i32, v, 0); }
static LLVMValueRef ci64(cg *g, uint64_t v) { return LLVMConstInt(g->t_i64, v, 0); }

static void push(fn *f, LLVMValueRef v) {
  if (f->sp == f->stack_cap) {
    f->stack_cap = f->stack_cap ? f->stack_cap * 2 : 64;
    f->stack = realloc(f->stack, f->stack_cap * sizeof *f->stack);
  }
  f->stack[f->sp++] = v;
}
static LLVMValueRef pop(fn *f) { return f->stack[--f->sp]; }

static LLVMValueRef intrinsic(cg *g, const char *name, LLVMTypeRef *types, unsigned n,
                              LLVMTypeRef *fty) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  LLVMValueRef decl = LLVMGetIntrinsicDeclaration(g->mod, id, types, n);
  *fty = LLVMGlobalGetValueType(decl);
  return decl;
}

static LLVMValueRef call_intrinsic(cg *g, const char *name, LLVMTypeRef overload,
                                   LLVMValueRef *args, unsigned n) {
  LLVMTypeRef fty;
  LLVMValueRef decl = intrinsic(g, name, &overload, overload ? 1 : 0, &fty);
  return LLVMBuildCall2(g->b, fty, decl, args, n, "");
}

static LLVMValueRef call_intrinsic2(cg *g, const char *name, LLVMTypeRef o1, LLVMTypeRef o2,
                                    LLVMValueRef *args, unsigned n) {
  LLVMTypeRef fty, ov[2] = {o1, o2};
  LLVMValueRef decl = intrinsic(g, name, ov, 2, &fty);
  return LLVMBuildCall2(g->b, fty, decl, args, n, "");
}

/* Load a field of the context. Invariant fields do not change during a call, which lets LLVM
 * hoist and merge their loads (TBAA keeps them apart from wasm memory stores). */
static LLVMValueRef ctx_load(fn *f, size_t offset, LLVMTypeRef type, bool invariant) {
  cg *g = f->g;
  LLVMValueRef off = ci64(g, offset);
  LLVMValueRef p = LLVMBuildGEP2(g->b, g->t_i8, f->ctx, &off, 1, "");
  LLVMValueRef v = LLVMBuildLoad2(g->b, type, p, "");
  LLVMSetMetadata(v, g->md_tbaa, g->tbaa_ctx);
  if (invariant) LLVMSetMetadata(v, g->md_invariant, g->empty_md);
  return v;
}

static LLVMValueRef load_tagged(cg *g, LLVMTypeRef type, LLVMValueRef ptr, LLVMValueRef tag,
                                bool invariant) {
  LLVMValueRef v = LLVMBuildLoad2(g->b, type, ptr, "");
  LLVMSetMetadata(v, g->md_tbaa, tag);
  if (invariant) LLVMSetMetadata(v, g->md_invariant, g->empty_md);
  return v;
}

static LLVMValueRef gep_bytes(cg *g, LLVMValueRef base, LLVMValueRef offset) {
  return LLVMBuildGEP2(g->b, g->t_i8, base, &offset, 1, "");
}

/* Element `index` of a pointer array whose own address is an invariant context field. */
static LLVMValueRef ctx_array_elem(fn *f, size_t field, uint32_t index, LLVMTypeRef elem_type) {
  cg *g = f->g;
  LLVMValueRef arr = ctx_load(f, field, g->t_ptr, true);
  LLVMValueRef idx = ci64(g, index);
  LLVMValueRef p = LLVMBuildGEP2(g->b, elem_type, arr, &idx, 1, "");
  return load_tagged(g, elem_type, p, g->tbaa_ctx, true);
}

static LLVMValueRef rt_fn(fn *f, size_t field) {
  LLVMValueRef rt = ctx_load(f, offsetof(lw_aot_ctx, rt), f->g->t_ptr, true);
  LLVMValueRef off = ci64(f->g, field);
  LLVMValueRef p = gep_bytes(f->g, rt, off);
  return load_tagged(f->g, f->g->t_ptr, p, f->g->tbaa_ctx, true);
}

static void cold_branch(cg *g, LLVMValueRef cond, LLVMBasicBlockRef cold, LLVMBasicBlockRef hot) {
  LLVMValueRef br = LLVMBuildCondBr(g->b, cond, cold, hot);
  LLVMSetMetadata(br, g->md_prof, g->cold_weights);
}

static LLVMBasicBlockRef new_block(fn *f, const char *name) {
  return LLVMAppendBasicBlockInContext(f->g->c, f->llfn, name);
}

static LLVMBasicBlockRef trap_block(fn *f, unsigned trap) {
  if (f->trap_blocks[trap]) return f->trap_blocks[trap];
  cg *g = f->g;
  LLVMBasicBlockRef saved = LLVMGetInsertBlock(g->b);
  LLVMBasicBlockRef bb = new_block(f, "trap");
  LLVMPositionBuilderAtEnd(g->b, bb);
  LLVMValueRef args[3] = {f->ctx, ci32(g, trap), ci32(g, f->func_index)};
  LLVMValueRef call = LLVMBuildCall2(g->b, g->t_trap, rt_fn(f, offsetof(lw_aot_rt, trap)), args,
                                     3, "");
  LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex,
                           LLVMCreateEnumAttribute(g->c, LLVMGetEnumAttributeKindForName("noreturn", 8), 0));
  LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex,
                           LLVMCreateEnumAttribute(g->c, LLVMGetEnumAttributeKindForName("cold", 4), 0));
  LLVMBuildUnreachable(g->b);
  LLVMPositionBuilderAtEnd(g->b, saved);
  f->trap_blocks[trap] = bb;
  return bb;
}

/* if (cond) trap; continue in a fresh block */
static void trap_if(fn *f, LLVMValueRef cond, unsigned trap) {
  LLVMBasicBlockRef ok = new_block(f, "ok");
  cold_branch(f->g, cond, trap_block(f, trap), ok);
  LLVMPositionBuilderAtEnd(f->g->b, ok);
}

static void reload_memory(fn *f) {
  if (!f->mem_base) return;
  cg *g = f->g;
  LLVMBuildStore(g->b, ctx_load(f, offsetof(lw_aot_ctx, mem_base), g->t_ptr, false), f->mem_base);
  LLVMValueRef size = ctx_load(f, offsetof(lw_aot_ctx, mem_size), g->t_i64, false);
  /* Memory never shrinks below its declared minimum (an import is at least as big as it
   * declares): telling LLVM lets it drop checks of accesses it can prove below that, such as
   * static data and bounded indexes into it. */
  if (g->mem_size_range) LLVMSetMetadata(size, g->md_range, g->mem_size_range);
  LLVMBuildStore(g->b, size, f->mem_size);
}

static void emit_poll_call(fn *f, LLVMBasicBlockRef cont) {
  cg *g = f->g;
  LLVMValueRef args[2] = {f->ctx, ci32(g, f->func_index)};
  LLVMValueRef call =
      LLVMBuildCall2(g->b, g->t_poll, rt_fn(f, offsetof(lw_aot_rt, poll)), args, 2, "");
  LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex,
                           LLVMCreateEnumAttribute(g->c, LLVMGetEnumAttributeKindForName("cold", 4), 0));
  LLVMBuildBr(g->b, cont);
}

/* Interrupt/deadline polls (rt->poll reads the flag and the clock).
 *
 * At function entry: a countdown in the context shared by all activations, emitted only for
 * functions that can recurse (everything else finishes in bounded time unless it loops). The
 * block is reached through a branch on a placeholder condition that is fixed once the call graph
 * is known (finish_entry_polls), so the optimiser deletes the unneeded ones.
 *
 * At loop headers: a countdown in a local, so it lives in a register: a decrement and a
 * predictable branch per iteration, with no memory dependence between iterations. */
static void emit_entry_poll(fn *f) {
  cg *g = f->g;
  LLVMBasicBlockRef poll = new_block(f, "entry.poll"), slow = new_block(f, "poll"),
                    cont = new_block(f, "polled");
  f->entry_poll_br = LLVMBuildCondBr(g->b, LLVMConstInt(g->t_i1, 1, 0), poll, cont);
  LLVMPositionBuilderAtEnd(g->b, poll);
  LLVMValueRef off = ci64(g, offsetof(lw_aot_ctx, poll_countdown));
  LLVMValueRef p = gep_bytes(g, f->ctx, off);
  LLVMValueRef v = load_tagged(g, g->t_i32, p, g->tbaa_ctx, false);
  LLVMValueRef dec = LLVMBuildSub(g->b, v, ci32(g, 1), "");
  LLVMSetMetadata(LLVMBuildStore(g->b, dec, p), g->md_tbaa, g->tbaa_ctx);
  LLVMValueRef neg = LLVMBuildICmp(g->b, LLVMIntSLT, dec, ci32(g, 0), "");
  /* Recursion is where the native stack can run out before the call-depth limit does (big
   * frames, small thread stacks): compare the stack pointer with the limit the runtime set. */
  LLVMTypeRef sp_ty;
  LLVMValueRef sp_fn = intrinsic(g, "llvm.stacksave", &g->t_ptr, 1, &sp_ty);
  LLVMValueRef sp = LLVMBuildPtrToInt(g->b, LLVMBuildCall2(g->b, sp_ty, sp_fn, NULL, 0, ""),
                                      g->t_i64, "");
  LLVMValueRef limit = ctx_load(f, offsetof(lw_aot_ctx, stack_limit), g->t_i64, true);
  trap_if(f, LLVMBuildICmp(g->b, LLVMIntULT, sp, limit, ""), LW_TRAP_CALL_STACK_EXHAUSTED);
  cold_branch(g, neg, slow, cont);
  LLVMPositionBuilderAtEnd(g->b, slow);
  emit_poll_call(f, cont);
  LLVMPositionBuilderAtEnd(g->b, cont);
}

static LLVMValueRef emit_loop_poll(fn *f) {
  cg *g = f->g;
  LLVMBasicBlockRef count = new_block(f, "loop.count"), done = new_block(f, "loop.counted");
  LLVMValueRef placeholder = LLVMBuildCondBr(g->b, LLVMConstInt(g->t_i1, 1, 0), count, done);
  LLVMPositionBuilderAtEnd(g->b, count);
  LLVMValueRef v = LLVMBuildLoad2(g->b, g->t_i32, f->loop_countdown, "");
  LLVMValueRef dec = LLVMBuildSub(g->b, v, ci32(g, 1), "");
  LLVMBuildStore(g->b, dec, f->loop_countdown);
  LLVMValueRef zero = LLVMBuildICmp(g->b, LLVMIntEQ, dec, ci32(g, 0), "");
  LLVMBasicBlockRef slow = new_block(f, "loop.poll"), cont = new_block(f, "loop.polled");
  cold_branch(g, zero, slow, cont);
  LLVMPositionBuilderAtEnd(g->b, slow);
  LLVMBuildStore(g->b, ci32(g, LW_AOT_POLL_INTERVAL), f->loop_countdown);
  emit_poll_call(f, cont);
  LLVMPositionBuilderAtEnd(g->b, cont);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
  return placeholder;
}

/* Checked address of an access of `size` bytes at addr+offset in memory 0. */
static LLVMValueRef mem_address(fn *f, LLVMValueRef addr, uint64_t offset, unsigned size) {
  cg *g = f->g;
  LLVMValueRef ea = LLVMBuildZExt(g->b, addr, g->t_i64, "");
  LLVMValueRef end = LLVMBuildAdd(g->b, ea, ci64(g, offset + size), "");
  LLVMValueRef mem_size = LLVMBuildLoad2(g->b, g->t_i64, f->mem_size, "");
  trap_if(f, LLVMBuildICmp(g->b, LLVMIntUGT, end, mem_size, ""), LW_TRAP_MEMORY_OUT_OF_BOUNDS);
  LLVMValueRef base = LLVMBuildLoad2(g->b, g->t_ptr, f->mem_base, "");
  LLVMValueRef eff = offset ? LLVMBuildAdd(g->b, ea, ci64(g, offset), "") : ea;
  return gep_bytes(g, base, eff);
}

/* ---- values <-> 64-bit slots (calls through the runtime) -------------------------------------- */

static LLVMValueRef to_slot(cg *g, LLVMValueRef v, lw_valtype t) {
  switch (t) {
  case LW_I32: return LLVMBuildZExt(g->b, v, g->t_i64, "");
  case LW_I64: return v;
  case LW_F32: return LLVMBuildZExt(g->b, LLVMBuildBitCast(g->b, v, g->t_i32, ""), g->t_i64, "");
  case LW_F64: return LLVMBuildBitCast(g->b, v, g->t_i64, "");
  default: return LLVMBuildPtrToInt(g->b, v, g->t_i64, "");
  }
}

static LLVMValueRef from_slot(cg *g, LLVMValueRef v, lw_valtype t) {
  switch (t) {
  case LW_I32: return LLVMBuildTrunc(g->b, v, g->t_i32, "");
  case LW_I64: return v;
  case LW_F32: return LLVMBuildBitCast(g->b, LLVMBuildTrunc(g->b, v, g->t_i32, ""), g->t_f32, "");
  case LW_F64: return LLVMBuildBitCast(g->b, v, g->t_f64, "");
  default: return LLVMBuildIntToPtr(g->b, v, g->t_ptr, "");
  }
}

/* ---- control frames --------------------------------------------------------------------------- */

static LLVMValueRef *make_phis(fn *f, LLVMBasicBlockRef bb, uint32_t n, const lw_valtype *types) {
  if (!n) return NULL;
  cg *g = f->g;
  LLVMValueRef *phis = malloc(n * sizeof *phis);
  LLVMBasicBlockRef saved = LLVMGetInsertBlock(g->b);
  LLVMPositionBuilderAtEnd(g->b, bb);
  for (uint32_t i = 0; i < n; i++) phis[i] = LLVMBuildPhi(g->b, val_type(g, types[i]), "");
  LLVMPositionBuilderAtEnd(g->b, saved);
  return phis;
}

static frame *push_frame(fn *f, frame_kind kind, uint32_t np, const lw_valtype *params,
                         uint32_t nr, const lw_valtype *results) {
  if (f->frame_count == f->frame_cap) {
    f->frame_cap = f->frame_cap ? f->frame_cap * 2 : 16;
    f->frames = realloc(f->frames, f->frame_cap * sizeof *f->frames);
  }
  frame *fr = &f->frames[f->frame_count++];
  memset(fr, 0, sizeof *fr);
  fr->kind = kind;
  fr->param_count = np;
  fr->params = params;
  fr->result_count = nr;
  fr->results = results;
  fr->height = f->sp - np;
  fr->end_block = new_block(f, kind == FRAME_FUNC ? "return" : "end");
  fr->end_phis = make_phis(f, fr->end_block, nr, results);
  return fr;
}

/* Add the top values of the stack as incoming values of a jump to the frame's label (a loop's
 * header, any other frame's end) or, with to_end, its end (falling off the frame's last
 * instruction), then jump. */
static void jump(fn *f, frame *target, bool to_end) {
  cg *g = f->g;
  LLVMBasicBlockRef here = LLVMGetInsertBlock(g->b);
  bool header = target->kind == FRAME_LOOP && !to_end;
  uint32_t n = header ? target->param_count : target->result_count;
  LLVMValueRef *phis = header ? target->loop_phis : target->end_phis;
  for (uint32_t i = 0; i < n; i++) {
    LLVMValueRef v = f->stack[f->sp - n + i];
    LLVMAddIncoming(phis[i], &v, &here, 1);
  }
  LLVMBuildBr(g->b, header ? target->loop_header : target->end_block);
}
static void branch_to(fn *f, frame *target) { jump(f, target, false); }

static bool has_predecessors(LLVMBasicBlockRef bb) {
  return LLVMGetFirstUse(LLVMBasicBlockAsValue(bb)) != NULL;
}

/* ---- block types ------------------------------------------------------------------------------ */

typedef struct blocktype {
  uint32_t np, nr;
  const lw_valtype *params, *results;
  lw_valtype single;
} blocktype;

static void read_blocktype(const lw_module *m, const uint8_t **pp, blocktype *bt) {
  const uint8_t *p = *pp;
  bt->np = bt->nr = 0;
  bt->params = bt->results = NULL;
  if (*p == 0x40) {
    *pp = p + 1;
    return;
  }
  if (*p == 0x7f || *p == 0x7e || *p == 0x7d || *p == 0x7c || *p == 0x7b || *p == 0x70 ||
      *p == 0x6f) {
    bt->single = (lw_valtype)*p;
    bt->nr = 1;
    bt->results = &bt->single;
    *pp = p + 1;
    return;
  }
  int64_t idx = lw_fast_sleb(pp);
  const lw_functype *ft = &m->types[idx];
  bt->np = ft->param_count;
  bt->params = ft->params;
  bt->nr = ft->result_count;
  bt->results = ft->results;
}

/* blocktype storage must outlive the frame: single-result types point into a static table. */
static const lw_valtype *single_type(lw_valtype t) {
  static const lw_valtype all[] = {LW_I32, LW_I64, LW_F32, LW_F64, LW_V128, LW_FUNCREF,
                                   LW_EXTERNREF};
  for (unsigned i = 0; i < sizeof all / sizeof *all; i++)
    if (all[i] == t) return &all[i];
  return NULL;
}

/* ---- calls ------------------------------------------------------------------------------------ */

/* Push the results of a call returning `ret` (void, a value or a struct). */
static void push_results(fn *f, const lw_functype *ft, LLVMValueRef ret) {
  if (ft->result_count == 1) push(f, ret);
  else
    for (uint32_t i = 0; i < ft->result_count; i++)
      push(f, LLVMBuildExtractValue(f->g->b, ret, i, ""));
}

static LLVMValueRef slots_alloca(fn *f, const lw_functype *ft) {
  uint32_t n = ft->param_count > ft->result_count ? ft->param_count : ft->result_count;
  if (!n) n = 1;
  return LLVMBuildArrayAlloca(f->alloca_b, f->g->t_i64, ci32(f->g, n), "slots");
}

/* Call through rt->call (host functions, other instances, the interpreter). Arguments are on the
 * stack; results are pushed. */
static void call_via_runtime(fn *f, const lw_functype *ft, LLVMValueRef func_obj) {
  cg *g = f->g;
  LLVMValueRef slots = slots_alloca(f, ft);
  for (uint32_t i = ft->param_count; i-- > 0;) {
    LLVMValueRef v = pop(f);
    LLVMValueRef idx = ci64(g, i);
    LLVMBuildStore(g->b, to_slot(g, v, ft->params[i]),
                   LLVMBuildGEP2(g->b, g->t_i64, slots, &idx, 1, ""));
  }
  LLVMValueRef args[5] = {f->ctx, func_obj, slots, f->depth, ci32(g, f->func_index)};
  LLVMBuildCall2(g->b, g->t_call, rt_fn(f, offsetof(lw_aot_rt, call)), args, 5, "");
  for (uint32_t i = 0; i < ft->result_count; i++) {
    LLVMValueRef idx = ci64(g, i);
    LLVMValueRef v =
        LLVMBuildLoad2(g->b, g->t_i64, LLVMBuildGEP2(g->b, g->t_i64, slots, &idx, 1, ""), "");
    push(f, from_slot(g, v, ft->results[i]));
  }
}

static LLVMValueRef direct_call(fn *f, const lw_functype *ft, LLVMTypeRef fty,
                                LLVMValueRef callee) {
  cg *g = f->g;
  uint32_t n = ft->param_count + 2;
  LLVMValueRef *args = malloc(n * sizeof *args);
  args[0] = f->ctx;
  args[1] = f->callee_depth;
  for (uint32_t i = ft->param_count; i-- > 0;) args[2 + i] = pop(f);
  LLVMValueRef ret = LLVMBuildCall2(g->b, fty, callee, args, n, "");
  free(args);
  return ret;
}

static void add_edge(cg *g, uint32_t from, uint32_t to) {
  if (g->cgraph->callee_count[from] == g->cgraph->callee_cap[from]) {
    g->cgraph->callee_cap[from] = g->cgraph->callee_cap[from] ? g->cgraph->callee_cap[from] * 2 : 4;
    g->cgraph->callees[from] = realloc(g->cgraph->callees[from], g->cgraph->callee_cap[from] * sizeof **g->cgraph->callees);
  }
  g->cgraph->callees[from][g->cgraph->callee_count[from]++] = to;
}

static void emit_call(fn *f, uint32_t callee) {
  cg *g = f->g;
  const lw_module *m = g->m;
  uint32_t self = f->func_index - m->imported_func_count;
  /* an import may call back into any exported function */
  add_edge(g, self, callee < m->imported_func_count ? m->defined_func_count
                                                    : callee - m->imported_func_count);
  const lw_functype *ft = lw_module_func_type(m, callee);
  if (callee < m->imported_func_count) {
    LLVMValueRef obj = ctx_array_elem(f, offsetof(lw_aot_ctx, funcs), callee, g->t_ptr);
    call_via_runtime(f, ft, obj);
  } else {
    uint32_t d = callee - m->imported_func_count;
    LLVMValueRef ret =
        direct_call(f, ft, g->fn_types[m->func_type_indices[callee]], g->funcs[d]);
    push_results(f, ft, ret);
  }
  reload_memory(f);
}

static void emit_call_indirect(fn *f, uint32_t type_index, uint32_t table_index) {
  cg *g = f->g;
  const lw_module *m = g->m;
  add_edge(g, f->func_index - m->imported_func_count, m->defined_func_count);
  const lw_functype *ft = &m->types[type_index];
  LLVMValueRef elem_index = pop(f);
  LLVMValueRef table = ctx_array_elem(f, offsetof(lw_aot_ctx, tables), table_index, g->t_ptr);
  LLVMValueRef size = load_tagged(g, g->t_i32,
                                  gep_bytes(g, table, ci64(g, offsetof(lw_table, size))),
                                  g->tbaa_table, false);
  trap_if(f, LLVMBuildICmp(g->b, LLVMIntUGE, elem_index, size, ""),
          LW_AOT_TRAP_UNDEFINED_ELEMENT);
  LLVMValueRef elems = load_tagged(g, g->t_ptr,
                                   gep_bytes(g, table, ci64(g, offsetof(lw_table, elems))),
                                   g->tbaa_table, false);
  LLVMValueRef idx64 = LLVMBuildZExt(g->b, elem_index, g->t_i64, "");
  LLVMValueRef func_obj =
      load_tagged(g, g->t_ptr, LLVMBuildGEP2(g->b, g->t_ptr, elems, &idx64, 1, ""),
                  g->tbaa_table, false);
  trap_if(f, LLVMBuildIsNull(g->b, func_obj, ""), LW_TRAP_INDIRECT_NULL);
  LLVMValueRef got = load_tagged(g, g->t_i32,
                                 gep_bytes(g, func_obj, ci64(g, offsetof(lw_func, type_id))),
                                 g->tbaa_funcobj, true);
  LLVMValueRef want =
      ctx_array_elem(f, offsetof(lw_aot_ctx, type_ids), type_index, g->t_i32);
  trap_if(f, LLVMBuildICmp(g->b, LLVMIntNE, got, want, ""), LW_TRAP_INDIRECT_MISMATCH);

  /* Same instance and a defined function: call the compiled code directly. */
  LLVMValueRef owner = load_tagged(g, g->t_ptr,
                                   gep_bytes(g, func_obj, ci64(g, offsetof(lw_func, instance))),
                                   g->tbaa_funcobj, true);
  LLVMValueRef index = load_tagged(g, g->t_i32,
                                   gep_bytes(g, func_obj, ci64(g, offsetof(lw_func, index))),
                                   g->tbaa_funcobj, true);
  LLVMValueRef same = LLVMBuildICmp(g->b, LLVMIntEQ, owner,
                                    ctx_load(f, offsetof(lw_aot_ctx, inst), g->t_ptr, true), "");
  LLVMValueRef defined =
      LLVMBuildICmp(g->b, LLVMIntUGE, index, ci32(g, m->imported_func_count), "");
  LLVMValueRef fast = LLVMBuildAnd(g->b, same, defined, "");
  LLVMBasicBlockRef fast_bb = new_block(f, "icall.fast"), slow_bb = new_block(f, "icall.slow"),
                    join = new_block(f, "icall.join");
  LLVMBuildCondBr(g->b, fast, fast_bb, slow_bb);

  uint32_t base = f->sp - ft->param_count;
  LLVMValueRef *args = malloc((ft->param_count + 1) * sizeof *args);
  memcpy(args, f->stack + base, ft->param_count * sizeof *args);

  LLVMPositionBuilderAtEnd(g->b, fast_bb);
  LLVMValueRef defined_index = LLVMBuildSub(g->b, index, ci32(g, m->imported_func_count), "");
  LLVMValueRef natives = ctx_load(f, offsetof(lw_aot_ctx, native_funcs), g->t_ptr, true);
  LLVMValueRef di64 = LLVMBuildZExt(g->b, defined_index, g->t_i64, "");
  LLVMValueRef target = load_tagged(g, g->t_ptr,
                                    LLVMBuildGEP2(g->b, g->t_ptr, natives, &di64, 1, ""),
                                    g->tbaa_ctx, true);
  LLVMValueRef fast_ret = direct_call(f, ft, g->fn_types[type_index], target);
  LLVMValueRef *fast_vals = malloc((ft->result_count + 1) * sizeof *fast_vals);
  for (uint32_t i = 0; i < ft->result_count; i++)
    fast_vals[i] = ft->result_count == 1 ? fast_ret : LLVMBuildExtractValue(g->b, fast_ret, i, "");
  LLVMBasicBlockRef fast_end = LLVMGetInsertBlock(g->b);
  LLVMBuildBr(g->b, join);

  LLVMPositionBuilderAtEnd(g->b, slow_bb);
  for (uint32_t i = 0; i < ft->param_count; i++) push(f, args[i]);
  call_via_runtime(f, ft, func_obj);
  LLVMBasicBlockRef slow_end = LLVMGetInsertBlock(g->b);
  LLVMBuildBr(g->b, join);

  LLVMPositionBuilderAtEnd(g->b, join);
  f->sp -= ft->result_count; /* the slow path pushed its results */
  LLVMValueRef *slow_vals = f->stack + f->sp;
  LLVMValueRef *merged = malloc((ft->result_count + 1) * sizeof *merged);
  for (uint32_t i = 0; i < ft->result_count; i++) {
    merged[i] = LLVMBuildPhi(g->b, val_type(g, ft->results[i]), "");
    LLVMValueRef vals[2] = {fast_vals[i], slow_vals[i]};
    LLVMBasicBlockRef bbs[2] = {fast_end, slow_end};
    LLVMAddIncoming(merged[i], vals, bbs, 2);
  }
  for (uint32_t i = 0; i < ft->result_count; i++) push(f, merged[i]);
  free(args);
  free(fast_vals);
  free(merged);
  reload_memory(f);
}

/* ---- numeric helpers -------------------------------------------------------------------------- */

static LLVMValueRef bool_i32(cg *g, LLVMValueRef b) { return LLVMBuildZExt(g->b, b, g->t_i32, ""); }

static void int_div(fn *f, LLVMTypeRef t, bool is_signed, bool rem) {
  cg *g = f->g;
  LLVMValueRef rhs = pop(f), lhs = pop(f);
  LLVMValueRef zero = LLVMConstInt(t, 0, 0);
  trap_if(f, LLVMBuildICmp(g->b, LLVMIntEQ, rhs, zero, ""), LW_TRAP_INTEGER_DIVIDE_BY_ZERO);
  if (!is_signed) {
    push(f, rem ? LLVMBuildURem(g->b, lhs, rhs, "") : LLVMBuildUDiv(g->b, lhs, rhs, ""));
    return;
  }
  LLVMValueRef minus_one = LLVMConstAllOnes(t);
  unsigned bits = LLVMGetIntTypeWidth(t);
  LLVMValueRef int_min = LLVMConstInt(t, 1ull << (bits - 1), 0);
  if (!rem) {
    LLVMValueRef ovf = LLVMBuildAnd(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, lhs, int_min, ""),
                                    LLVMBuildICmp(g->b, LLVMIntEQ, rhs, minus_one, ""), "");
    trap_if(f, ovf, LW_TRAP_INTEGER_OVERFLOW);
    push(f, LLVMBuildSDiv(g->b, lhs, rhs, ""));
  } else {
    /* x rem -1 is 0 in wasm; divide by 1 instead so INT_MIN rem -1 cannot fault */
    LLVMValueRef is_m1 = LLVMBuildICmp(g->b, LLVMIntEQ, rhs, minus_one, "");
    LLVMValueRef safe = LLVMBuildSelect(g->b, is_m1, LLVMConstInt(t, 1, 0), rhs, "");
    push(f, LLVMBuildSRem(g->b, lhs, safe, ""));
  }
}

/* Trapping float -> int truncation: NaN traps "invalid conversion", out of range "overflow".
 * The accepted source range is (lo, hi) exclusive, or [lo, hi) when lo_inclusive. */
static void trunc_checked(fn *f, LLVMTypeRef to, bool is_signed, double lo, bool lo_inclusive,
                          double hi) {
  cg *g = f->g;
  LLVMValueRef x = pop(f);
  LLVMTypeRef ft = LLVMTypeOf(x);
  trap_if(f, LLVMBuildFCmp(g->b, LLVMRealUNO, x, x, ""), LW_TRAP_INVALID_CONVERSION);
  LLVMValueRef above = LLVMBuildFCmp(g->b, lo_inclusive ? LLVMRealOGE : LLVMRealOGT, x,
                                     LLVMConstReal(ft, lo), "");
  LLVMValueRef below = LLVMBuildFCmp(g->b, LLVMRealOLT, x, LLVMConstReal(ft, hi), "");
  trap_if(f, LLVMBuildNot(g->b, LLVMBuildAnd(g->b, above, below, ""), ""),
          LW_TRAP_INTEGER_OVERFLOW);
  push(f, is_signed ? LLVMBuildFPToSI(g->b, x, to, "") : LLVMBuildFPToUI(g->b, x, to, ""));
}

static void trunc_sat(fn *f, LLVMTypeRef to, bool is_signed) {
  LLVMValueRef x = pop(f);
  push(f, call_intrinsic2(f->g, is_signed ? "llvm.fptosi.sat" : "llvm.fptoui.sat", to,
                          LLVMTypeOf(x), &x, 1));
}

static void unary_intrinsic(fn *f, const char *name) {
  LLVMValueRef x = pop(f);
  push(f, call_intrinsic(f->g, name, LLVMTypeOf(x), &x, 1));
}

/* A value the optimiser cannot see through (an empty inline asm that "produces" its input).
 * Wasm arithmetic must turn a signalling NaN into a quiet one, so x*1, x/1, x-0, -0-x, x*-1
 * and demote(promote(x)) must really be computed; LLVM folds them to x (or -x) when it sees
 * the constant. */
static LLVMValueRef opaque(fn *f, LLVMValueRef v) {
  cg *g = f->g;
  LLVMTypeRef t = LLVMTypeOf(v);
  LLVMTypeRef fty = LLVMFunctionType(t, &t, 1, 0);
  const char *constraint = g->arch_aarch64 ? "=w,0" : "=x,0";
  LLVMValueRef asm_fn = LLVMGetInlineAsm(fty, "", 0, constraint, strlen(constraint), 0, 0,
                                         LLVMInlineAsmDialectATT, 0);
  return LLVMBuildCall2(g->b, fty, asm_fn, &v, 1, "");
}

static bool is_identity_constant(LLVMValueRef v) {
  if (!LLVMIsAConstantFP(v)) return false;
  LLVMBool loses;
  double d = LLVMConstRealGetDouble(v, &loses);
  return d == 0.0 || d == 1.0 || d == -1.0;
}

static void float_binop(fn *f, LLVMOpcode op) {
  LLVMValueRef r = pop(f), l = pop(f);
  if (is_identity_constant(r)) r = opaque(f, r);
  if (is_identity_constant(l)) l = opaque(f, l);
  push(f, LLVMBuildBinOp(f->g->b, op, l, r, ""));
}

/* llvm.minimum/maximum have wasm's rules for zeros and NaNs but may return a signalling NaN
 * operand as it is; wasm wants it quiet, which a + b gives. */
static void float_min_max(fn *f, const char *name) {
  cg *g = f->g;
  LLVMValueRef args[2];
  args[1] = pop(f);
  args[0] = pop(f);
  LLVMValueRef r = call_intrinsic(g, name, LLVMTypeOf(args[0]), args, 2);
  LLVMValueRef nan = LLVMBuildFCmp(g->b, LLVMRealUNO, args[0], args[1], "");
  push(f, LLVMBuildSelect(g->b, nan, LLVMBuildFAdd(g->b, args[0], args[1], ""), r, ""));
}

static void binary_intrinsic(fn *f, const char *name) {
  LLVMValueRef args[2];
  args[1] = pop(f);
  args[0] = pop(f);
  push(f, call_intrinsic(f->g, name, LLVMTypeOf(args[0]), args, 2));
}

static void bit_count(fn *f, const char *name) {
  cg *g = f->g;
  LLVMValueRef args[2] = {pop(f), LLVMConstInt(g->t_i1, 0, 0)};
  push(f, call_intrinsic(g, name, LLVMTypeOf(args[0]), args, 2));
}

static void rotate(fn *f, const char *name) {
  LLVMValueRef n = pop(f), x = pop(f);
  LLVMValueRef args[3] = {x, x, n};
  push(f, call_intrinsic(f->g, name, LLVMTypeOf(x), args, 3));
}

static void shift(fn *f, LLVMOpcode op) {
  cg *g = f->g;
  LLVMValueRef n = pop(f), x = pop(f);
  unsigned bits = LLVMGetIntTypeWidth(LLVMTypeOf(x));
  n = LLVMBuildAnd(g->b, n, LLVMConstInt(LLVMTypeOf(x), bits - 1, 0), "");
  push(f, LLVMBuildBinOp(g->b, op, x, n, ""));
}

static void binop(fn *f, LLVMOpcode op) {
  LLVMValueRef r = pop(f), l = pop(f);
  push(f, LLVMBuildBinOp(f->g->b, op, l, r, ""));
}

static void icmp(fn *f, LLVMIntPredicate pred) {
  LLVMValueRef r = pop(f), l = pop(f);
  push(f, bool_i32(f->g, LLVMBuildICmp(f->g->b, pred, l, r, "")));
}

static void fcmp(fn *f, LLVMRealPredicate pred) {
  LLVMValueRef r = pop(f), l = pop(f);
  push(f, bool_i32(f->g, LLVMBuildFCmp(f->g->b, pred, l, r, "")));
}

static unsigned mem_bytes(cg *g, LLVMTypeRef t) {
  if (t == g->t_i8) return 1;
  if (t == g->t_i16) return 2;
  if (t == g->t_i32 || t == g->t_f32) return 4;
  return 8;
}

static void load_op(fn *f, const uint8_t **pp, LLVMTypeRef mem_type, LLVMTypeRef result,
                    int extend /* 0 none, 1 signed, 2 unsigned */) {
  cg *g = f->g;
  lw_fast_u32(pp); /* alignment hint: unaligned access is fine on x86_64 and aarch64 */
  uint64_t offset = lw_fast_u32(pp);
  LLVMValueRef addr = pop(f);
  unsigned size = mem_bytes(g, mem_type);
  LLVMValueRef p = mem_address(f, addr, offset, size);
  LLVMValueRef v = LLVMBuildLoad2(g->b, mem_type, p, "");
  LLVMSetAlignment(v, 1);
  LLVMSetMetadata(v, g->md_tbaa, g->tbaa_mem);
  if (extend == 1) v = LLVMBuildSExt(g->b, v, result, "");
  else if (extend == 2) v = LLVMBuildZExt(g->b, v, result, "");
  push(f, v);
}

static void store_op(fn *f, const uint8_t **pp, LLVMTypeRef mem_type) {
  cg *g = f->g;
  lw_fast_u32(pp);
  uint64_t offset = lw_fast_u32(pp);
  LLVMValueRef v = pop(f), addr = pop(f);
  if (LLVMGetTypeKind(LLVMTypeOf(v)) == LLVMIntegerTypeKind && LLVMTypeOf(v) != mem_type)
    v = LLVMBuildTrunc(g->b, v, mem_type, "");
  unsigned size = mem_bytes(g, mem_type);
  LLVMValueRef p = mem_address(f, addr, offset, size);
  LLVMValueRef st = LLVMBuildStore(g->b, v, p);
  LLVMSetAlignment(st, 1);
  LLVMSetMetadata(st, g->md_tbaa, g->tbaa_mem);
}

static LLVMValueRef global_ptr(fn *f, uint32_t index) {
  return ctx_array_elem(f, offsetof(lw_aot_ctx, globals), index, f->g->t_ptr);
}

static LLVMValueRef table_ptr(fn *f, uint32_t index) {
  return ctx_array_elem(f, offsetof(lw_aot_ctx, tables), index, f->g->t_ptr);
}

/* ---- the body --------------------------------------------------------------------------------- */

static void end_frame(fn *f) {
  cg *g = f->g;
  frame *fr = &f->frames[f->frame_count - 1];
  if (!fr->dead) jump(f, fr, true);
  if (fr->kind == FRAME_IF && !fr->has_else) {
    /* the missing else passes the params through (valid only when params == results) */
    LLVMPositionBuilderAtEnd(g->b, fr->else_block);
    f->sp = fr->height;
    for (uint32_t i = 0; i < fr->param_count; i++) push(f, fr->if_params[i]);
    jump(f, fr, true);
  }
  if (fr->kind == FRAME_LOOP && fr->covering_callee != UINT32_MAX) {
    if (g->cgraph->covered_count == g->cgraph->covered_cap) {
      g->cgraph->covered_cap = g->cgraph->covered_cap ? g->cgraph->covered_cap * 2 : 16;
      g->cgraph->covered_loops = realloc(g->cgraph->covered_loops, g->cgraph->covered_cap * sizeof *g->cgraph->covered_loops);
    }
    g->cgraph->covered_loops[g->cgraph->covered_count].br = fr->loop_poll_br;
    g->cgraph->covered_loops[g->cgraph->covered_count++].callee = fr->covering_callee;
  }
  f->sp = fr->height;
  LLVMPositionBuilderAtEnd(g->b, fr->end_block);
  bool reachable = has_predecessors(fr->end_block);
  if (reachable) {
    for (uint32_t i = 0; i < fr->result_count; i++) push(f, fr->end_phis[i]);
  } else {
    for (uint32_t i = 0; i < fr->result_count; i++) LLVMInstructionEraseFromParent(fr->end_phis[i]);
  }
  free(fr->end_phis);
  free(fr->loop_phis);
  free(fr->if_params);
  f->frame_count--;
  if (fr->kind == FRAME_FUNC) {
    if (!reachable) {
      LLVMBuildUnreachable(g->b);
    } else if (fr->result_count == 0) {
      LLVMBuildRetVoid(g->b);
    } else if (fr->result_count == 1) {
      LLVMBuildRet(g->b, pop(f));
    } else {
      LLVMValueRef *vals = f->stack + f->sp - fr->result_count;
      LLVMBuildAggregateRet(g->b, vals, fr->result_count);
      f->sp -= fr->result_count;
    }
    return;
  }
  if (!reachable) {
    LLVMBuildUnreachable(g->b);
    f->frames[f->frame_count - 1].dead = true;
  }
}

static bool compile_body(fn *f, const lw_func_def *def) {
  cg *g = f->g;
  const lw_module *m = g->m;
  const uint8_t *p = def->body, *end = def->body + def->body_len;
  frame *fr;
  blocktype bt;

  push_frame(f, FRAME_FUNC, 0, NULL, f->type->result_count, f->type->results);
  while (p < end && f->frame_count > 0) {
    uint8_t op = *p++;
    fr = &f->frames[f->frame_count - 1];
    bool dead = fr->dead;
    if (dead) {
      /* Skip unreachable code, tracking nesting so the right else/end closes the frame. */
      switch (op) {
      case 0x02: case 0x03: case 0x04:
        read_blocktype(m, &p, &bt);
        f->dead_depth++;
        continue;
      case 0x05:
        if (f->dead_depth) continue;
        break;
      case 0x0b:
        if (f->dead_depth) {
          f->dead_depth--;
          continue;
        }
        break;
      default:
        break;
      }
    }
    if (!dead && fr->kind == FRAME_LOOP &&
        ((op >= 0x02 && op <= 0x04) || (op >= 0x0c && op <= 0x0f)))
      fr->straight = false;
    switch (op) {
    case 0x00: /* unreachable */
      if (dead) break;
      LLVMBuildBr(g->b, trap_block(f, LW_TRAP_UNREACHABLE));
      fr->dead = true;
      break;
    case 0x01: break;
    case 0x02: case 0x03: { /* block, loop */
      read_blocktype(m, &p, &bt);
      const lw_valtype *res = bt.nr == 1 && !bt.np ? single_type(bt.single) : bt.results;
      frame *nf = push_frame(f, op == 0x02 ? FRAME_BLOCK : FRAME_LOOP, bt.np, bt.params, bt.nr,
                             res);
      if (op == 0x03) {
        nf->loop_header = new_block(f, "loop");
        nf->loop_phis = make_phis(f, nf->loop_header, bt.np, bt.params);
        branch_to(f, nf);
        LLVMPositionBuilderAtEnd(g->b, nf->loop_header);
        f->sp = nf->height;
        for (uint32_t i = 0; i < bt.np; i++) push(f, nf->loop_phis[i]);
        nf->loop_poll_br = emit_loop_poll(f);
        nf->straight = true;
        nf->covering_callee = UINT32_MAX;
      }
      break;
    }
    case 0x04: { /* if */
      read_blocktype(m, &p, &bt);
      const lw_valtype *res = bt.nr == 1 && !bt.np ? single_type(bt.single) : bt.results;
      LLVMValueRef cond = pop(f);
      frame *nf = push_frame(f, FRAME_IF, bt.np, bt.params, bt.nr, res);
      nf->if_params = bt.np ? malloc(bt.np * sizeof(LLVMValueRef)) : NULL;
      for (uint32_t i = 0; i < bt.np; i++) nf->if_params[i] = f->stack[nf->height + i];
      LLVMBasicBlockRef then_bb = new_block(f, "then");
      nf->else_block = new_block(f, "else");
      LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, cond, ci32(g, 0), ""), then_bb,
                      nf->else_block);
      LLVMPositionBuilderAtEnd(g->b, then_bb);
      break;
    }
    case 0x05: /* else */
      if (!fr->dead) jump(f, fr, true);
      fr->has_else = true;
      fr->dead = false;
      f->sp = fr->height;
      for (uint32_t i = 0; i < fr->param_count; i++) push(f, fr->if_params[i]);
      LLVMPositionBuilderAtEnd(g->b, fr->else_block);
      break;
    case 0x0b: /* end */
      end_frame(f);
      break;
    case 0x0c: { /* br */
      uint32_t depth = lw_fast_u32(&p);
      if (dead) break;
      branch_to(f, &f->frames[f->frame_count - 1 - depth]);
      fr->dead = true;
      break;
    }
    case 0x0d: { /* br_if */
      uint32_t depth = lw_fast_u32(&p);
      if (dead) break;
      LLVMValueRef cond = pop(f);
      LLVMBasicBlockRef taken = new_block(f, "br_if"), cont = new_block(f, "cont");
      LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, cond, ci32(g, 0), ""), taken, cont);
      LLVMPositionBuilderAtEnd(g->b, taken);
      branch_to(f, &f->frames[f->frame_count - 1 - depth]);
      LLVMPositionBuilderAtEnd(g->b, cont);
      break;
    }
    case 0x0e: { /* br_table */
      uint32_t n = lw_fast_u32(&p);
      uint32_t *targets = malloc((n + 1) * sizeof *targets);
      for (uint32_t i = 0; i <= n; i++) targets[i] = lw_fast_u32(&p);
      if (dead) {
        free(targets);
        break;
      }
      LLVMValueRef index = pop(f);
      /* One trampoline block per distinct target, so each phi sees one edge per block. */
      LLVMBasicBlockRef *tramp = calloc(f->frame_count, sizeof *tramp);
      LLVMBasicBlockRef here = LLVMGetInsertBlock(g->b);
      for (uint32_t i = 0; i <= n; i++) {
        uint32_t d = targets[i];
        if (tramp[d]) continue;
        tramp[d] = new_block(f, "br_table");
        LLVMPositionBuilderAtEnd(g->b, tramp[d]);
        branch_to(f, &f->frames[f->frame_count - 1 - d]);
      }
      LLVMPositionBuilderAtEnd(g->b, here);
      LLVMValueRef sw = LLVMBuildSwitch(g->b, index, tramp[targets[n]], n);
      for (uint32_t i = 0; i < n; i++) LLVMAddCase(sw, ci32(g, i), tramp[targets[i]]);
      free(tramp);
      free(targets);
      fr->dead = true;
      break;
    }
    case 0x0f: /* return */
      if (dead) break;
      branch_to(f, &f->frames[0]);
      fr->dead = true;
      break;
    case 0x10: { /* call */
      uint32_t callee = lw_fast_u32(&p);
      if (dead) break;
      if (fr->kind == FRAME_LOOP && fr->straight && fr->covering_callee == UINT32_MAX &&
          callee >= m->imported_func_count)
        fr->covering_callee = callee - m->imported_func_count;
      emit_call(f, callee);
      break;
    }
    case 0x11: { /* call_indirect */
      uint32_t type_index = lw_fast_u32(&p), table_index = lw_fast_u32(&p);
      if (dead) break;
      emit_call_indirect(f, type_index, table_index);
      break;
    }
    case 0x1a: /* drop */
      if (dead) break;
      pop(f);
      break;
    case 0x1b: case 0x1c: { /* select, select t* */
      if (op == 0x1c) {
        uint32_t n = lw_fast_u32(&p);
        p += n;
      }
      if (dead) break;
      LLVMValueRef c = pop(f), b2 = pop(f), a = pop(f);
      push(f, LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntNE, c, ci32(g, 0), ""), a, b2, ""));
      break;
    }
    case 0x20: { /* local.get */
      uint32_t i = lw_fast_u32(&p);
      if (dead) break;
      push(f, LLVMBuildLoad2(g->b, val_type(g, f->local_types[i]), f->locals[i], ""));
      break;
    }
    case 0x21: case 0x22: { /* local.set, local.tee */
      uint32_t i = lw_fast_u32(&p);
      if (dead) break;
      LLVMValueRef v = pop(f);
      LLVMBuildStore(g->b, v, f->locals[i]);
      if (op == 0x22) push(f, v);
      break;
    }
    case 0x23: { /* global.get */
      uint32_t i = lw_fast_u32(&p);
      if (dead) break;
      lw_globaltype gt = m->global_types[i];
      LLVMValueRef v = load_tagged(g, g->t_i64, global_ptr(f, i), g->tbaa_global, !gt.mutable_);
      push(f, from_slot(g, v, gt.type));
      break;
    }
    case 0x24: { /* global.set */
      uint32_t i = lw_fast_u32(&p);
      if (dead) break;
      LLVMValueRef v = to_slot(g, pop(f), m->global_types[i].type);
      LLVMSetMetadata(LLVMBuildStore(g->b, v, global_ptr(f, i)), g->md_tbaa, g->tbaa_global);
      break;
    }
    case 0x25: case 0x26: { /* table.get, table.set */
      uint32_t ti = lw_fast_u32(&p);
      if (dead) break;
      LLVMValueRef value = op == 0x26 ? pop(f) : NULL;
      LLVMValueRef index = pop(f);
      LLVMValueRef table = table_ptr(f, ti);
      LLVMValueRef size = load_tagged(g, g->t_i32,
                                      gep_bytes(g, table, ci64(g, offsetof(lw_table, size))),
                                      g->tbaa_table, false);
      trap_if(f, LLVMBuildICmp(g->b, LLVMIntUGE, index, size, ""), LW_TRAP_TABLE_OUT_OF_BOUNDS);
      LLVMValueRef elems = load_tagged(g, g->t_ptr,
                                       gep_bytes(g, table, ci64(g, offsetof(lw_table, elems))),
                                       g->tbaa_table, false);
      LLVMValueRef i64 = LLVMBuildZExt(g->b, index, g->t_i64, "");
      LLVMValueRef slot = LLVMBuildGEP2(g->b, g->t_ptr, elems, &i64, 1, "");
      if (op == 0x25) push(f, load_tagged(g, g->t_ptr, slot, g->tbaa_table, false));
      else LLVMSetMetadata(LLVMBuildStore(g->b, value, slot), g->md_tbaa, g->tbaa_table);
      break;
    }
    /* memory */
    case 0x28: if (dead) goto skip_memarg; load_op(f, &p, g->t_i32, g->t_i32, 0); break;
    case 0x29: if (dead) goto skip_memarg; load_op(f, &p, g->t_i64, g->t_i64, 0); break;
    case 0x2a: if (dead) goto skip_memarg; load_op(f, &p, g->t_f32, g->t_f32, 0); break;
    case 0x2b: if (dead) goto skip_memarg; load_op(f, &p, g->t_f64, g->t_f64, 0); break;
    case 0x2c: if (dead) goto skip_memarg; load_op(f, &p, g->t_i8, g->t_i32, 1); break;
    case 0x2d: if (dead) goto skip_memarg; load_op(f, &p, g->t_i8, g->t_i32, 2); break;
    case 0x2e: if (dead) goto skip_memarg; load_op(f, &p, g->t_i16, g->t_i32, 1); break;
    case 0x2f: if (dead) goto skip_memarg; load_op(f, &p, g->t_i16, g->t_i32, 2); break;
    case 0x30: if (dead) goto skip_memarg; load_op(f, &p, g->t_i8, g->t_i64, 1); break;
    case 0x31: if (dead) goto skip_memarg; load_op(f, &p, g->t_i8, g->t_i64, 2); break;
    case 0x32: if (dead) goto skip_memarg; load_op(f, &p, g->t_i16, g->t_i64, 1); break;
    case 0x33: if (dead) goto skip_memarg; load_op(f, &p, g->t_i16, g->t_i64, 2); break;
    case 0x34: if (dead) goto skip_memarg; load_op(f, &p, g->t_i32, g->t_i64, 1); break;
    case 0x35: if (dead) goto skip_memarg; load_op(f, &p, g->t_i32, g->t_i64, 2); break;
    case 0x36: if (dead) goto skip_memarg; store_op(f, &p, g->t_i32); break;
    case 0x37: if (dead) goto skip_memarg; store_op(f, &p, g->t_i64); break;
    case 0x38: if (dead) goto skip_memarg; store_op(f, &p, g->t_f32); break;
    case 0x39: if (dead) goto skip_memarg; store_op(f, &p, g->t_f64); break;
    case 0x3a: if (dead) goto skip_memarg; store_op(f, &p, g->t_i8); break;
    case 0x3b: if (dead) goto skip_memarg; store_op(f, &p, g->t_i16); break;
    case 0x3c: if (dead) goto skip_memarg; store_op(f, &p, g->t_i8); break;
    case 0x3d: if (dead) goto skip_memarg; store_op(f, &p, g->t_i16); break;
    case 0x3e: if (dead) goto skip_memarg; store_op(f, &p, g->t_i32); break;
    skip_memarg:
      lw_fast_u32(&p);
      lw_fast_u32(&p);
      break;
    case 0x3f: /* memory.size */
      p++;
      if (dead) break;
      push(f, LLVMBuildTrunc(g->b,
                             LLVMBuildLShr(g->b, LLVMBuildLoad2(g->b, g->t_i64, f->mem_size, ""),
                                           ci64(g, 16), ""),
                             g->t_i32, ""));
      break;
    case 0x40: { /* memory.grow */
      p++;
      if (dead) break;
      LLVMValueRef args[2] = {f->ctx, pop(f)};
      push(f, LLVMBuildCall2(g->b, g->t_grow, rt_fn(f, offsetof(lw_aot_rt, memory_grow)), args,
                             2, ""));
      reload_memory(f);
      break;
    }
    case 0x41: { int64_t v = lw_fast_sleb(&p); if (!dead) push(f, ci32(g, (uint32_t)v)); break; }
    case 0x42: { int64_t v = lw_fast_sleb(&p); if (!dead) push(f, ci64(g, (uint64_t)v)); break; }
    case 0x43: {
      uint32_t bits;
      memcpy(&bits, p, 4);
      p += 4;
      if (!dead) push(f, LLVMConstBitCast(ci32(g, bits), g->t_f32));
      break;
    }
    case 0x44: {
      uint64_t bits;
      memcpy(&bits, p, 8);
      p += 8;
      if (!dead) push(f, LLVMConstBitCast(ci64(g, bits), g->t_f64));
      break;
    }
    case 0xd0: /* ref.null t */
      p++;
      if (!dead) push(f, LLVMConstPointerNull(g->t_ptr));
      break;
    case 0xd1: /* ref.is_null */
      if (!dead) push(f, bool_i32(g, LLVMBuildIsNull(g->b, pop(f), "")));
      break;
    case 0xd2: { /* ref.func */
      uint32_t i = lw_fast_u32(&p);
      if (!dead) push(f, ctx_array_elem(f, offsetof(lw_aot_ctx, funcs), i, g->t_ptr));
      break;
    }
    case 0xfc: {
      uint32_t sub = lw_fast_u32(&p);
      uint32_t a = 0, b2 = 0;
      if (sub >= 8 && sub <= 17 && sub != 9 && sub != 13 && sub != 15 && sub != 16 && sub != 17 &&
          sub != 11) {
        a = lw_fast_u32(&p); /* memory.init: data, mem; memory.copy: mem, mem; table.*: two */
        b2 = lw_fast_u32(&p);
      } else if (sub >= 9 && sub <= 17) {
        a = lw_fast_u32(&p);
      }
      if (dead) break;
      switch (sub) {
      case 0: trunc_sat(f, g->t_i32, true); break;
      case 1: trunc_sat(f, g->t_i32, false); break;
      case 2: trunc_sat(f, g->t_i32, true); break;
      case 3: trunc_sat(f, g->t_i32, false); break;
      case 4: trunc_sat(f, g->t_i64, true); break;
      case 5: trunc_sat(f, g->t_i64, false); break;
      case 6: trunc_sat(f, g->t_i64, true); break;
      case 7: trunc_sat(f, g->t_i64, false); break;
      case 8: { /* memory.init data mem */
        LLVMValueRef n = pop(f), s = pop(f), d = pop(f);
        LLVMValueRef args[6] = {f->ctx, ci32(g, a), d, s, n, ci32(g, f->func_index)};
        LLVMBuildCall2(g->b, g->t_minit, rt_fn(f, offsetof(lw_aot_rt, memory_init)), args, 6, "");
        break;
      }
      case 9: { /* data.drop */
        LLVMValueRef args[2] = {f->ctx, ci32(g, a)};
        LLVMBuildCall2(g->b, g->t_drop, rt_fn(f, offsetof(lw_aot_rt, data_drop)), args, 2, "");
        break;
      }
      case 10: { /* memory.copy */
        LLVMValueRef n = pop(f), s = pop(f), d = pop(f);
        LLVMValueRef args[5] = {f->ctx, d, s, n, ci32(g, f->func_index)};
        LLVMBuildCall2(g->b, g->t_copy, rt_fn(f, offsetof(lw_aot_rt, memory_copy)), args, 5, "");
        break;
      }
      case 11: { /* memory.fill */
        LLVMValueRef n = pop(f), v = pop(f), d = pop(f);
        LLVMValueRef args[5] = {f->ctx, d, v, n, ci32(g, f->func_index)};
        LLVMBuildCall2(g->b, g->t_fill, rt_fn(f, offsetof(lw_aot_rt, memory_fill)), args, 5, "");
        break;
      }
      case 12: { /* table.init elem table */
        LLVMValueRef n = pop(f), s = pop(f), d = pop(f);
        LLVMValueRef args[7] = {f->ctx, ci32(g, b2), ci32(g, a), d, s, n, ci32(g, f->func_index)};
        LLVMBuildCall2(g->b, g->t_tinit, rt_fn(f, offsetof(lw_aot_rt, table_init)), args, 7, "");
        break;
      }
      case 13: { /* elem.drop */
        LLVMValueRef args[2] = {f->ctx, ci32(g, a)};
        LLVMBuildCall2(g->b, g->t_drop, rt_fn(f, offsetof(lw_aot_rt, elem_drop)), args, 2, "");
        break;
      }
      case 14: { /* table.copy dst src */
        LLVMValueRef n = pop(f), s = pop(f), d = pop(f);
        LLVMValueRef args[7] = {f->ctx, ci32(g, a), ci32(g, b2), d, s, n, ci32(g, f->func_index)};
        LLVMBuildCall2(g->b, g->t_tcopy, rt_fn(f, offsetof(lw_aot_rt, table_copy)), args, 7, "");
        break;
      }
      case 15: { /* table.grow */
        LLVMValueRef n = pop(f), init = pop(f);
        LLVMValueRef args[4] = {f->ctx, ci32(g, a), init, n};
        push(f, LLVMBuildCall2(g->b, g->t_tgrow, rt_fn(f, offsetof(lw_aot_rt, table_grow)), args,
                               4, ""));
        break;
      }
      case 16: { /* table.size */
        LLVMValueRef table = table_ptr(f, a);
        push(f, load_tagged(g, g->t_i32, gep_bytes(g, table, ci64(g, offsetof(lw_table, size))),
                            g->tbaa_table, false));
        break;
      }
      case 17: { /* table.fill */
        LLVMValueRef n = pop(f), v = pop(f), d = pop(f);
        LLVMValueRef args[6] = {f->ctx, ci32(g, a), d, v, n, ci32(g, f->func_index)};
        LLVMBuildCall2(g->b, g->t_tfill, rt_fn(f, offsetof(lw_aot_rt, table_fill)), args, 6, "");
        break;
      }
      default: return fail(g, "unknown 0xfc instruction", f->func_index);
      }
      break;
    }
    case 0xfd:
      return fail(g, "SIMD (v128) is not supported by the AOT compiler yet; run this module "
                     "with the interpreter", f->func_index);
    default:
      if (dead) {
        if (op >= 0x45 && op <= 0xc4) break; /* numeric: no immediates */
        return fail(g, "unknown instruction", f->func_index);
      }
      switch (op) {
      /* i32 */
      case 0x45: push(f, bool_i32(g, LLVMBuildICmp(g->b, LLVMIntEQ, pop(f), ci32(g, 0), ""))); break;
      case 0x46: icmp(f, LLVMIntEQ); break;
      case 0x47: icmp(f, LLVMIntNE); break;
      case 0x48: icmp(f, LLVMIntSLT); break;
      case 0x49: icmp(f, LLVMIntULT); break;
      case 0x4a: icmp(f, LLVMIntSGT); break;
      case 0x4b: icmp(f, LLVMIntUGT); break;
      case 0x4c: icmp(f, LLVMIntSLE); break;
      case 0x4d: icmp(f, LLVMIntULE); break;
      case 0x4e: icmp(f, LLVMIntSGE); break;
      case 0x4f: icmp(f, LLVMIntUGE); break;
      /* i64 */
      case 0x50: push(f, bool_i32(g, LLVMBuildICmp(g->b, LLVMIntEQ, pop(f), ci64(g, 0), ""))); break;
      case 0x51: icmp(f, LLVMIntEQ); break;
      case 0x52: icmp(f, LLVMIntNE); break;
      case 0x53: icmp(f, LLVMIntSLT); break;
      case 0x54: icmp(f, LLVMIntULT); break;
      case 0x55: icmp(f, LLVMIntSGT); break;
      case 0x56: icmp(f, LLVMIntUGT); break;
      case 0x57: icmp(f, LLVMIntSLE); break;
      case 0x58: icmp(f, LLVMIntULE); break;
      case 0x59: icmp(f, LLVMIntSGE); break;
      case 0x5a: icmp(f, LLVMIntUGE); break;
      /* f32 / f64 compares */
      case 0x5b: case 0x61: fcmp(f, LLVMRealOEQ); break;
      case 0x5c: case 0x62: fcmp(f, LLVMRealUNE); break;
      case 0x5d: case 0x63: fcmp(f, LLVMRealOLT); break;
      case 0x5e: case 0x64: fcmp(f, LLVMRealOGT); break;
      case 0x5f: case 0x65: fcmp(f, LLVMRealOLE); break;
      case 0x60: case 0x66: fcmp(f, LLVMRealOGE); break;
      /* integer arithmetic (i32 0x67..0x78, i64 0x79..0x8a) */
      case 0x67: case 0x79: bit_count(f, "llvm.ctlz"); break;
      case 0x68: case 0x7a: bit_count(f, "llvm.cttz"); break;
      case 0x69: case 0x7b: unary_intrinsic(f, "llvm.ctpop"); break;
      case 0x6a: case 0x7c: binop(f, LLVMAdd); break;
      case 0x6b: case 0x7d: binop(f, LLVMSub); break;
      case 0x6c: case 0x7e: binop(f, LLVMMul); break;
      case 0x6d: int_div(f, g->t_i32, true, false); break;
      case 0x6e: int_div(f, g->t_i32, false, false); break;
      case 0x6f: int_div(f, g->t_i32, true, true); break;
      case 0x70: int_div(f, g->t_i32, false, true); break;
      case 0x7f: int_div(f, g->t_i64, true, false); break;
      case 0x80: int_div(f, g->t_i64, false, false); break;
      case 0x81: int_div(f, g->t_i64, true, true); break;
      case 0x82: int_div(f, g->t_i64, false, true); break;
      case 0x71: case 0x83: binop(f, LLVMAnd); break;
      case 0x72: case 0x84: binop(f, LLVMOr); break;
      case 0x73: case 0x85: binop(f, LLVMXor); break;
      case 0x74: case 0x86: shift(f, LLVMShl); break;
      case 0x75: case 0x87: shift(f, LLVMAShr); break;
      case 0x76: case 0x88: shift(f, LLVMLShr); break;
      case 0x77: case 0x89: rotate(f, "llvm.fshl"); break;
      case 0x78: case 0x8a: rotate(f, "llvm.fshr"); break;
      /* float arithmetic (f32 0x8b..0x98, f64 0x99..0xa6) */
      case 0x8b: case 0x99: unary_intrinsic(f, "llvm.fabs"); break;
      case 0x8c: case 0x9a: push(f, LLVMBuildFNeg(g->b, pop(f), "")); break;
      case 0x8d: case 0x9b: unary_intrinsic(f, "llvm.ceil"); break;
      case 0x8e: case 0x9c: unary_intrinsic(f, "llvm.floor"); break;
      case 0x8f: case 0x9d: unary_intrinsic(f, "llvm.trunc"); break;
      case 0x90: case 0x9e: unary_intrinsic(f, "llvm.roundeven"); break;
      case 0x91: case 0x9f: unary_intrinsic(f, "llvm.sqrt"); break;
      case 0x92: case 0xa0: float_binop(f, LLVMFAdd); break;
      case 0x93: case 0xa1: float_binop(f, LLVMFSub); break;
      case 0x94: case 0xa2: float_binop(f, LLVMFMul); break;
      case 0x95: case 0xa3: float_binop(f, LLVMFDiv); break;
      case 0x96: case 0xa4: float_min_max(f, "llvm.minimum"); break;
      case 0x97: case 0xa5: float_min_max(f, "llvm.maximum"); break;
      case 0x98: case 0xa6: binary_intrinsic(f, "llvm.copysign"); break;
      /* conversions */
      case 0xa7: push(f, LLVMBuildTrunc(g->b, pop(f), g->t_i32, "")); break;
      case 0xa8: trunc_checked(f, g->t_i32, true, -2147483648.0, true, 2147483648.0); break;
      case 0xa9: trunc_checked(f, g->t_i32, false, -1.0, false, 4294967296.0); break;
      case 0xaa: trunc_checked(f, g->t_i32, true, -2147483649.0, false, 2147483648.0); break;
      case 0xab: trunc_checked(f, g->t_i32, false, -1.0, false, 4294967296.0); break;
      case 0xac: push(f, LLVMBuildSExt(g->b, pop(f), g->t_i64, "")); break;
      case 0xad: push(f, LLVMBuildZExt(g->b, pop(f), g->t_i64, "")); break;
      case 0xae: case 0xb0:
        trunc_checked(f, g->t_i64, true, -9223372036854775808.0, true, 9223372036854775808.0);
        break;
      case 0xaf: case 0xb1:
        trunc_checked(f, g->t_i64, false, -1.0, false, 18446744073709551616.0);
        break;
      case 0xb2: case 0xb4: push(f, LLVMBuildSIToFP(g->b, pop(f), g->t_f32, "")); break;
      case 0xb3: case 0xb5: push(f, LLVMBuildUIToFP(g->b, pop(f), g->t_f32, "")); break;
      case 0xb6: {
        /* keep demote(promote(x)) from folding to x: the round trip must quiet a NaN */
        LLVMValueRef x = pop(f);
        if (LLVMIsAInstruction(x) && LLVMGetInstructionOpcode(x) == LLVMFPExt) x = opaque(f, x);
        push(f, LLVMBuildFPTrunc(g->b, x, g->t_f32, ""));
        break;
      }
      case 0xb7: case 0xb9: push(f, LLVMBuildSIToFP(g->b, pop(f), g->t_f64, "")); break;
      case 0xb8: case 0xba: push(f, LLVMBuildUIToFP(g->b, pop(f), g->t_f64, "")); break;
      case 0xbb: push(f, LLVMBuildFPExt(g->b, pop(f), g->t_f64, "")); break;
      case 0xbc: push(f, LLVMBuildBitCast(g->b, pop(f), g->t_i32, "")); break;
      case 0xbd: push(f, LLVMBuildBitCast(g->b, pop(f), g->t_i64, "")); break;
      case 0xbe: push(f, LLVMBuildBitCast(g->b, pop(f), g->t_f32, "")); break;
      case 0xbf: push(f, LLVMBuildBitCast(g->b, pop(f), g->t_f64, "")); break;
      /* sign extension */
      case 0xc0: push(f, LLVMBuildSExt(g->b, LLVMBuildTrunc(g->b, pop(f), g->t_i8, ""), g->t_i32, "")); break;
      case 0xc1: push(f, LLVMBuildSExt(g->b, LLVMBuildTrunc(g->b, pop(f), g->t_i16, ""), g->t_i32, "")); break;
      case 0xc2: push(f, LLVMBuildSExt(g->b, LLVMBuildTrunc(g->b, pop(f), g->t_i8, ""), g->t_i64, "")); break;
      case 0xc3: push(f, LLVMBuildSExt(g->b, LLVMBuildTrunc(g->b, pop(f), g->t_i16, ""), g->t_i64, "")); break;
      case 0xc4: push(f, LLVMBuildSExt(g->b, LLVMBuildTrunc(g->b, pop(f), g->t_i32, ""), g->t_i64, "")); break;
      default: return fail(g, "unknown instruction", f->func_index);
      }
    }
  }
  return true;
}

static bool compile_function(cg *g, uint32_t defined_index) {
  const lw_module *m = g->m;
  const lw_func_def *def = &m->funcs[defined_index];
  fn f;
  memset(&f, 0, sizeof f);
  f.g = g;
  f.func_index = m->imported_func_count + defined_index;
  f.type = &m->types[def->type_index];
  f.llfn = g->funcs[defined_index];
  f.ctx = LLVMGetParam(f.llfn, 0);
  f.depth = LLVMGetParam(f.llfn, 1);

  f.local_count = f.type->param_count + def->local_count;
  f.local_types = malloc((f.local_count + 1) * sizeof *f.local_types);
  memcpy(f.local_types, f.type->params, f.type->param_count * sizeof *f.local_types);
  memcpy(f.local_types + f.type->param_count, def->local_types,
         def->local_count * sizeof *f.local_types);
  for (uint32_t i = 0; i < f.local_count; i++)
    if (!val_type(g, f.local_types[i])) {
      free(f.local_types);
      return fail(g, "v128 locals are not supported by the AOT compiler yet", f.func_index);
    }
  f.locals = malloc((f.local_count + 1) * sizeof *f.locals);

  LLVMBasicBlockRef entry = new_block(&f, "entry"), body = new_block(&f, "body");
  LLVMPositionBuilderAtEnd(g->b, entry);
  LLVMValueRef to_body = LLVMBuildBr(g->b, body);
  f.alloca_b = LLVMCreateBuilderInContext(g->c);
  LLVMPositionBuilderBefore(f.alloca_b, to_body);
  for (uint32_t i = 0; i < f.local_count; i++) {
    LLVMTypeRef t = val_type(g, f.local_types[i]);
    f.locals[i] = LLVMBuildAlloca(f.alloca_b, t, "");
    LLVMBuildStore(f.alloca_b,
                   i < f.type->param_count ? LLVMGetParam(f.llfn, 2 + i) : LLVMConstNull(t),
                   f.locals[i]);
  }
  f.loop_countdown = LLVMBuildAlloca(f.alloca_b, g->t_i32, "loop_countdown");
  LLVMBuildStore(f.alloca_b, ci32(g, LW_AOT_POLL_INTERVAL), f.loop_countdown);
  if (m->memory_count) {
    f.mem_base = LLVMBuildAlloca(f.alloca_b, g->t_ptr, "mem_base");
    f.mem_size = LLVMBuildAlloca(f.alloca_b, g->t_i64, "mem_size");
  }

  LLVMPositionBuilderAtEnd(g->b, body);
  trap_if(&f, LLVMBuildICmp(g->b, LLVMIntEQ, f.depth, ci32(g, 0), ""),
          LW_TRAP_CALL_STACK_EXHAUSTED);
  f.callee_depth = LLVMBuildSub(g->b, f.depth, ci32(g, 1), "");
  emit_entry_poll(&f);
  reload_memory(&f);

  bool ok = compile_body(&f, def);
  g->cgraph->entry_poll_br[defined_index] = f.entry_poll_br;
  LLVMDisposeBuilder(f.alloca_b);
  for (uint32_t i = 0; i < f.frame_count; i++) {
    free(f.frames[i].end_phis);
    free(f.frames[i].loop_phis);
    free(f.frames[i].if_params);
  }
  free(f.frames);
  free(f.stack);
  free(f.locals);
  free(f.local_types);
  return ok;
}

/* Turn a placeholder `br i1 true` into `br i1 false` (in whichever context it lives). */
static void set_false(LLVMValueRef br) {
  LLVMSetOperand(br, 0, LLVMConstInt(LLVMTypeOf(LLVMGetOperand(br, 0)), 0, 0));
}

/* Tarjan's strongly connected components, iteratively (modules can have 100k functions).
 * A function polls at entry when it is in a cycle of the call graph. */
static void finish_entry_polls(cg *g) {
  const lw_module *m = g->m;
  uint32_t n = m->defined_func_count + 1, escape = m->defined_func_count;
  /* the escape node calls every function that can be reached from outside */
  for (uint32_t d = 0; d < m->defined_func_count; d++)
    if (m->func_declared && m->func_declared[m->imported_func_count + d]) add_edge(g, escape, d);
  uint32_t *index = malloc(n * sizeof *index), *low = malloc(n * sizeof *low);
  uint32_t *stack = malloc(n * sizeof *stack), *call_stack = malloc(n * sizeof *call_stack);
  uint32_t *edge_pos = calloc(n, sizeof *edge_pos);
  bool *on_stack = calloc(n, sizeof *on_stack), *recursive = calloc(n, sizeof *recursive);
  for (uint32_t i = 0; i < n; i++) index[i] = UINT32_MAX;
  uint32_t next_index = 0, sp = 0;
  for (uint32_t root = 0; root < n; root++) {
    if (index[root] != UINT32_MAX) continue;
    uint32_t csp = 0;
    call_stack[csp++] = root;
    index[root] = low[root] = next_index++;
    stack[sp++] = root;
    on_stack[root] = true;
    while (csp) {
      uint32_t v = call_stack[csp - 1];
      if (edge_pos[v] < g->cgraph->callee_count[v]) {
        uint32_t w = g->cgraph->callees[v][edge_pos[v]++];
        if (w == v) recursive[v] = true;
        if (index[w] == UINT32_MAX) {
          index[w] = low[w] = next_index++;
          stack[sp++] = w;
          on_stack[w] = true;
          call_stack[csp++] = w;
        } else if (on_stack[w] && index[w] < low[v]) {
          low[v] = index[w];
        }
        continue;
      }
      csp--;
      if (csp && low[v] < low[call_stack[csp - 1]]) low[call_stack[csp - 1]] = low[v];
      if (low[v] == index[v]) {
        uint32_t size = 0, first = sp;
        do first--, size++; while (stack[first] != v);
        for (uint32_t k = first; k < sp; k++) {
          on_stack[stack[k]] = false;
          if (size > 1) recursive[stack[k]] = true;
        }
        sp = first;
      }
    }
  }
  for (uint32_t d = 0; d < m->defined_func_count; d++)
    if (g->cgraph->entry_poll_br[d] && !recursive[d])
      set_false(g->cgraph->entry_poll_br[d]);
  /* a loop whose every iteration calls a function that polls at entry needs no poll of its own */
  for (uint32_t i = 0; i < g->cgraph->covered_count; i++)
    if (recursive[g->cgraph->covered_loops[i].callee])
      set_false(g->cgraph->covered_loops[i].br);
  free(index);
  free(low);
  free(stack);
  free(call_stack);
  free(edge_pos);
  free(on_stack);
  free(recursive);
}

/* void lw_w<t>(ptr ctx, i32 depth, ptr slots, ptr fn): the host-side entry for a signature. */
static void build_wrapper(cg *g, uint32_t type_index, uint32_t number) {
  const lw_functype *ft = &g->m->types[type_index];
  char name[32];
  snprintf(name, sizeof name, LW_AOTC_WRAPPER_PREFIX "%u", number);
  LLVMTypeRef params[4] = {g->t_ptr, g->t_i32, g->t_ptr, g->t_ptr};
  LLVMValueRef w = LLVMAddFunction(g->mod, name, LLVMFunctionType(g->t_void, params, 4, 0));
  LLVMSetVisibility(w, LLVMHiddenVisibility);
  LLVMAddAttributeAtIndex(w, LLVMAttributeFunctionIndex,
                          LLVMCreateEnumAttribute(g->c, LLVMGetEnumAttributeKindForName("nounwind", 8), 0));
  LLVMBasicBlockRef bb = LLVMAppendBasicBlockInContext(g->c, w, "entry");
  LLVMPositionBuilderAtEnd(g->b, bb);
  LLVMValueRef slots = LLVMGetParam(w, 2);
  uint32_t n = ft->param_count + 2;
  LLVMValueRef *args = malloc(n * sizeof *args);
  args[0] = LLVMGetParam(w, 0);
  args[1] = LLVMGetParam(w, 1);
  for (uint32_t i = 0; i < ft->param_count; i++) {
    LLVMValueRef idx = ci64(g, i);
    LLVMValueRef v =
        LLVMBuildLoad2(g->b, g->t_i64, LLVMBuildGEP2(g->b, g->t_i64, slots, &idx, 1, ""), "");
    args[2 + i] = from_slot(g, v, ft->params[i]);
  }
  LLVMValueRef ret = LLVMBuildCall2(g->b, g->fn_types[type_index], LLVMGetParam(w, 3), args, n, "");
  for (uint32_t i = 0; i < ft->result_count; i++) {
    LLVMValueRef v = ft->result_count == 1 ? ret : LLVMBuildExtractValue(g->b, ret, i, "");
    LLVMValueRef idx = ci64(g, i);
    LLVMBuildStore(g->b, to_slot(g, v, ft->results[i]),
                   LLVMBuildGEP2(g->b, g->t_i64, slots, &idx, 1, ""));
  }
  LLVMBuildRetVoid(g->b);
  free(args);
}

static LLVMValueRef tbaa_node(cg *g, LLVMMetadataRef root, const char *name) {
  LLVMMetadataRef zero = LLVMValueAsMetadata(ci64(g, 0));
  LLVMMetadataRef type_ops[3] = {LLVMMDStringInContext2(g->c, name, strlen(name)), root, zero};
  LLVMMetadataRef type = LLVMMDNodeInContext2(g->c, type_ops, 3);
  LLVMMetadataRef tag_ops[3] = {type, type, zero};
  return LLVMMetadataAsValue(g->c, LLVMMDNodeInContext2(g->c, tag_ops, 3));
}

/* Types, metadata and function declarations of one part (one LLVM context and module). */
static bool cg_init(cg *g, LLVMContextRef c, LLVMModuleRef mod, const lw_module *m,
                    call_graph *graph, char *err, size_t err_len) {
  memset(g, 0, sizeof *g);
  g->c = c;
  g->m = m;
  g->err = err;
  g->err_len = err_len;
  g->mod = mod;
  g->cgraph = graph;
  g->arch_aarch64 = strncmp(LLVMGetTarget(mod), "aarch64", 7) == 0;
  g->b = LLVMCreateBuilderInContext(c);
  g->t_i1 = LLVMInt1TypeInContext(c);
  g->t_i8 = LLVMInt8TypeInContext(c);
  g->t_i16 = LLVMInt16TypeInContext(c);
  g->t_i32 = LLVMInt32TypeInContext(c);
  g->t_i64 = LLVMInt64TypeInContext(c);
  g->t_f32 = LLVMFloatTypeInContext(c);
  g->t_f64 = LLVMDoubleTypeInContext(c);
  g->t_ptr = LLVMPointerTypeInContext(c, 0);
  g->t_void = LLVMVoidTypeInContext(c);
  {
    LLVMTypeRef p = g->t_ptr, i = g->t_i32;
    LLVMTypeRef trap[3] = {p, i, i}, call[5] = {p, p, p, i, i}, grow[2] = {p, i},
                fill[5] = {p, i, i, i, i}, minit[6] = {p, i, i, i, i, i}, drop[2] = {p, i},
                tinit[7] = {p, i, i, i, i, i, i}, tgrow[4] = {p, i, p, i},
                tfill[6] = {p, i, i, p, i, i};
    g->t_trap = LLVMFunctionType(g->t_void, trap, 3, 0);
    g->t_poll = LLVMFunctionType(g->t_void, trap, 2, 0);
    g->t_call = LLVMFunctionType(g->t_void, call, 5, 0);
    g->t_grow = LLVMFunctionType(g->t_i32, grow, 2, 0);
    g->t_fill = LLVMFunctionType(g->t_void, fill, 5, 0);
    g->t_copy = g->t_fill;
    g->t_minit = LLVMFunctionType(g->t_void, minit, 6, 0);
    g->t_drop = LLVMFunctionType(g->t_void, drop, 2, 0);
    g->t_tinit = LLVMFunctionType(g->t_void, tinit, 7, 0);
    g->t_tcopy = g->t_tinit;
    g->t_tgrow = LLVMFunctionType(g->t_i32, tgrow, 4, 0);
    g->t_tfill = LLVMFunctionType(g->t_void, tfill, 6, 0);
  }
  g->md_tbaa = LLVMGetMDKindIDInContext(c, "tbaa", 4);
  g->md_invariant = LLVMGetMDKindIDInContext(c, "invariant.load", 14);
  g->md_prof = LLVMGetMDKindIDInContext(c, "prof", 4);
  g->md_range = LLVMGetMDKindIDInContext(c, "range", 5);
  if (m->memory_count && m->memories[0].min > 0) {
    uint64_t max_pages = m->memories[0].has_max ? m->memories[0].max : LW_MAX_PAGES;
    if (max_pages < m->memories[0].min) max_pages = m->memories[0].min;
    LLVMMetadataRef bounds[2] = {
        LLVMValueAsMetadata(ci64(g, (uint64_t)m->memories[0].min * LW_PAGE_SIZE)),
        LLVMValueAsMetadata(ci64(g, max_pages * LW_PAGE_SIZE + 1))};
    g->mem_size_range = LLVMMetadataAsValue(c, LLVMMDNodeInContext2(c, bounds, 2));
  }
  g->empty_md = LLVMMetadataAsValue(c, LLVMMDNodeInContext2(c, NULL, 0));
  {
    LLVMMetadataRef w[3] = {LLVMMDStringInContext2(c, "branch_weights", 14),
                            LLVMValueAsMetadata(ci32(g, 1)),
                            LLVMValueAsMetadata(ci32(g, 100000))};
    g->cold_weights = LLVMMetadataAsValue(c, LLVMMDNodeInContext2(c, w, 3));
    LLVMMetadataRef root_name = LLVMMDStringInContext2(c, "logwasm tbaa", 12);
    LLVMMetadataRef root = LLVMMDNodeInContext2(c, &root_name, 1);
    g->tbaa_ctx = tbaa_node(g, root, "context");
    g->tbaa_mem = tbaa_node(g, root, "wasm memory");
    g->tbaa_global = tbaa_node(g, root, "global");
    g->tbaa_table = tbaa_node(g, root, "table");
    g->tbaa_funcobj = tbaa_node(g, root, "function object");
  }

  g->fn_types = calloc(m->type_count + 1, sizeof *g->fn_types);
  for (uint32_t t = 0; t < m->type_count; t++) {
    const lw_functype *ft = &m->types[t];
    bool ok = true;
    LLVMTypeRef *params = malloc((ft->param_count + 2) * sizeof *params);
    params[0] = g->t_ptr;
    params[1] = g->t_i32;
    for (uint32_t i = 0; i < ft->param_count; i++) {
      params[2 + i] = val_type(g, ft->params[i]);
      if (!params[2 + i]) ok = false;
    }
    for (uint32_t i = 0; i < ft->result_count; i++)
      if (!val_type(g, ft->results[i])) ok = false;
    if (ok) g->fn_types[t] = LLVMFunctionType(results_type(g, ft), params, ft->param_count + 2, 0);
    free(params);
    if (!ok) {
      snprintf(err, err_len, "type %u uses v128, which the AOT compiler does not support yet", t);
      return false;
    }
  }
  /* every defined function: defined in the part that compiles it, declared in the others */
  g->funcs = calloc(m->defined_func_count + 1, sizeof *g->funcs);
  LLVMAttributeRef nounwind =
      LLVMCreateEnumAttribute(c, LLVMGetEnumAttributeKindForName("nounwind", 8), 0);
  for (uint32_t i = 0; i < m->defined_func_count; i++) {
    char name[32];
    snprintf(name, sizeof name, LW_AOTC_FUNC_PREFIX "%u", i);
    g->funcs[i] = LLVMAddFunction(g->mod, name, g->fn_types[m->funcs[i].type_index]);
    LLVMSetVisibility(g->funcs[i], LLVMHiddenVisibility);
    LLVMAddAttributeAtIndex(g->funcs[i], LLVMAttributeFunctionIndex, nounwind);
  }
  return true;
}

static void cg_free(cg *g) {
  free(g->fn_types);
  free(g->funcs);
  if (g->b) LLVMDisposeBuilder(g->b);
}

bool lw_aotc_codegen_parts(const lw_module *m, uint32_t part_count, const LLVMModuleRef *parts,
                           const uint32_t *part_of_func, lw_aotc_module *out, char *err,
                           size_t err_len) {
  call_graph graph;
  memset(&graph, 0, sizeof graph);
  graph.callees = calloc(m->defined_func_count + 1, sizeof *graph.callees);
  graph.callee_count = calloc(m->defined_func_count + 1, sizeof *graph.callee_count);
  graph.callee_cap = calloc(m->defined_func_count + 1, sizeof *graph.callee_cap);
  graph.entry_poll_br = calloc(m->defined_func_count + 1, sizeof *graph.entry_poll_br);
  cg *gs = calloc(part_count, sizeof *gs);
  bool ok = true;
  for (uint32_t k = 0; k < part_count && ok; k++)
    ok = cg_init(&gs[k], LLVMGetModuleContext(parts[k]), parts[k], m, &graph, err, err_len);

  out->wrapper_of_type = malloc((m->type_count + 1) * sizeof *out->wrapper_of_type);
  out->wrapper_type = malloc((m->type_count + 1) * sizeof *out->wrapper_type);
  out->wrapper_count = 0;
  for (uint32_t t = 0; t < m->type_count; t++) out->wrapper_of_type[t] = UINT32_MAX;
  for (uint32_t i = 0; i < m->defined_func_count; i++) {
    uint32_t t = m->funcs[i].type_index;
    if (out->wrapper_of_type[t] == UINT32_MAX) {
      out->wrapper_type[out->wrapper_count] = t;
      out->wrapper_of_type[t] = out->wrapper_count++;
    }
  }
  for (uint32_t i = 0; i < m->defined_func_count && ok; i++)
    ok = compile_function(&gs[part_count > 1 ? part_of_func[i] : 0], i);
  if (ok) finish_entry_polls(&gs[0]);
  /* the slot wrappers call through pointers: all in part 0 */
  for (uint32_t w = 0; w < out->wrapper_count && ok; w++)
    build_wrapper(&gs[0], out->wrapper_type[w], w);

  for (uint32_t i = 0; i <= m->defined_func_count; i++) free(graph.callees[i]);
  free(graph.callees);
  free(graph.callee_count);
  free(graph.callee_cap);
  free(graph.entry_poll_br);
  free(graph.covered_loops);
  for (uint32_t k = 0; k < part_count; k++) cg_free(&gs[k]);
  free(gs);
  return ok;
}

bool lw_aotc_codegen(LLVMContextRef c, const lw_module *m, lw_aotc_module *out, char *err,
                     size_t err_len) {
  (void)c;
  return lw_aotc_codegen_parts(m, 1, &out->llvm, NULL, out, err, err_len);
}
