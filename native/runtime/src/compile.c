/* Translation of validated function bodies into the interpreter's register code (code.h).
 *
 * One pass over each body. The wasm operand stack is tracked at compile time: each entry says
 * where its value is, either in its own slot (local_count + pool size + depth), in a local's
 * slot (after local.get, nothing is copied), or as a known constant (an immediate operand, a
 * pool slot, or written to the entry's slot only where a fixed slot is needed). Entries that refer to locals are copied to their own
 * slot before the local is overwritten and at every block boundary, so all paths into a label
 * agree on where values are.
 *
 * Peepholes done on the fly (each looks only at the last one or two instructions emitted,
 * never across a label):
 *  - local.set/tee right after an instruction rewrites that instruction's destination;
 *  - an integer compare, i32.and with a constant, or eqz (of those, too) right before
 *    br_if/if becomes one compare-and-branch, which also absorbs an add-immediate of its first
 *    operand just before it (loop counters); select on an eqz tests the operand;
 *  - i32/i64 ops with a constant operand use an immediate form (division: when it cannot trap);
 *  - loads/stores fold an i32.add of a constant (negative offsets) or of a second value
 *    (array indexing) into the access; f64 add/sub/mul fold a preceding f64.load;
 *  - two or three copies in a row become one copy2/copy3; local.set of a constant the local is
 *    known to hold (declared locals start at zero) is dropped, and so is a zero written to a
 *    local only ever written with zero before, outside loops (also after joins);
 *  - other constants live in a per-function pool of slots written once per call;
 *  - local + constant stays symbolic on the stack (V_ADDK): an access takes it as base +
 *    displacement; (x + k1) + k2 of a temporary is one add;
 *  - byte and word scanning: `x = a & m` tee'd and zero-tested is one and-set-branch, which a
 *    following compare of x with a constant joins (`while (*s && *s != c)`); `x += k` then
 *    i32.load8_u from x is one pre-increment load, fused with a `br` after it, and when that
 *    br goes back to such a test branching back to it, the whole scan is one looping op;
 *    (a & b) & m, ~w & (w + k) (& m) and (a << k1) | (b >> k2) are single ops; a temporary
 *    from i32.load zero-tested, or from i32.load8_u flag-tested, is one load-and-branch;
 *  - an add-compare-branch absorbs an i32 add-immediate just before it (add2br: two induction
 *    variables); a copy before a `br` becomes copy_br; a function's single result settled by
 *    a copy is returned with return1.
 * A definite-assignment pre-pass limits the locals a call zeroes to those that may be read
 * before being written. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "code.h"
#include "reader.h"

/* V_ADDK: i32 local + constant (local `local`, constant in `value`), not computed until a
 * consumer needs it in a slot; loads and stores take it as base + displacement for free. */
enum { V_SLOT, V_LOCAL, V_CONST, V_ADDK };

#define LW_POOL_MAX 32

typedef struct ventry {
  uint8_t kind;
  uint32_t local; /* V_LOCAL */
  uint64_t value; /* V_CONST: raw bits, i32/f32 zero-extended */
} ventry;

enum { C_FUNC, C_BLOCK, C_LOOP, C_IF };

typedef struct call_site {
  uint32_t caller, callee; /* defined function indices */
  uint32_t instr;          /* word index of the call_direct instruction */
} call_site;

typedef struct fixup {
  uint32_t instr; /* word index of the branching instruction */
  uint32_t pos;   /* u32 index of its offset operand */
  uint32_t next;  /* next fixup of the same label, or NO_FIXUP */
} fixup;

#define NO_FIXUP UINT32_MAX

typedef struct cframe {
  uint8_t kind;
  bool end_reachable; /* a branch targets the end, or the body falls through */
  bool has_else;
  uint32_t height;    /* stack height below the block's parameters */
  uint32_t params, results;
  uint32_t loop_start; /* word index (loops) */
  fixup else_fix;     /* if: the branch to the else part */
  uint32_t fix_head;  /* this label's pending forward branches (a list in the fixup pool) */
} cframe;

/* The last emitted instruction, for peepholes that rewrite or replace it. */
typedef struct last_instr {
  bool valid;
  lw_op op;             /* LW_OP_COUNT when not worth knowing */
  uint32_t start, end;  /* word indices */
  uint32_t dst_pos;     /* u32 index of its destination operand */
  uint32_t dst;         /* destination slot */
  bool is_cmp;          /* an integer compare: can become a compare-and-branch */
  bool unary;           /* the branch forms take one operand (a) */
  lw_op br_true, br_false;
  uint32_t a, b;        /* operands (b is the immediate for _si forms) */
  uint32_t offset, disp; /* loads: memarg offset and displacement (_d forms) */
} last_instr;

typedef struct compiler {
  const lw_module *module;
  const void *const *handlers;
  lw_error *err;
  bool nomem;

  lw_word *code;
  uint32_t len, cap;
  uint32_t instr;     /* start of the instruction being emitted */
  uint32_t half;      /* u32 operands already placed in the current operand word (0 or 1) */

  ventry *stack;
  uint32_t sp, stack_cap, max_sp;

  cframe *frames;
  uint32_t frame_count, frame_cap;
  fixup *fixups;
  uint32_t fixup_count, fixup_cap;

  uint32_t param_count;
  uint32_t local_count;
  uint32_t result_count;
  struct lw_code *codes; /* every defined function's lw_code, allocated up front */
  /* direct calls to link once every callee is compiled (the current function's have word
   * indices into c->code until it is finished, into its final code after) */
  call_site *calls;
  uint32_t call_count, call_cap;
  uint32_t function_calls; /* the first of the current function's call sites */
  /* Locals whose value is a known constant (known_gen[x] == gen): set at function entry for
   * declared locals (zero) and by local.set of a constant; forgotten at every join point. */
  uint32_t *known_gen;
  uint64_t *known_value;
  /* Locals written so far (in body order) with anything but constant zero: a declared local
   * not in here is still zero on every path that does not come round a loop. */
  uint8_t *written;
  uint32_t known_cap;
  uint32_t gen;
  /* Constant pool: distinct constants of the body get slots right after the locals, written
   * once per call (init_consts at the entry, only those some instruction reads), so an
   * instruction with a constant operand not covered by an immediate form reads that slot. */
  uint64_t pool_values[LW_POOL_MAX];
  bool pool_used[LW_POOL_MAX];
  uint32_t pool_count;
  bool unreachable;
  uint32_t dead_depth; /* blocks opened inside unreachable code */
  last_instr last;
  last_instr prev; /* the instruction before `last`, when a peephole takes `last` back */
  last_instr prev2; /* and the one before that */
} compiler;

/* ---- buffers ------------------------------------------------------------------------------ */

static bool grow_array(compiler *c, void **items, uint32_t *cap, uint32_t need, size_t size) {
  if (need <= *cap) return true;
  uint32_t n = *cap ? *cap : 16;
  while (n < need) n *= 2;
  void *p = realloc(*items, (size_t)n * size);
  if (!p) {
    c->nomem = true;
    return false;
  }
  *items = p;
  *cap = n;
  return true;
}

static void put_word(compiler *c, lw_word w) {
  if (!grow_array(c, (void **)&c->code, &c->cap, c->len + 1, sizeof(lw_word))) return;
  c->code[c->len++] = w;
}

static void set_u32(compiler *c, uint32_t pos, uint32_t v) {
  if (c->nomem) return;
  c->code[pos / 2].u32[pos % 2] = v;
}

static void begin(compiler *c, lw_op op) {
  c->prev2 = c->prev;
  c->prev = c->last;
  c->last.valid = false;
  c->instr = c->len;
  c->half = 0;
  lw_word w = {.handler = c->handlers[op]};
  put_word(c, w);
}

/* Appends a u32 operand; returns its u32 position. */
static uint32_t arg(compiler *c, uint32_t v) {
  if (c->half == 0) {
    lw_word w = {.u64 = 0};
    w.u32[0] = v;
    put_word(c, w);
    c->half = 1;
    return (c->len - 1) * 2;
  }
  set_u32(c, (c->len - 1) * 2 + 1, v);
  c->half = 0;
  return (c->len - 1) * 2 + 1;
}

static void arg64(compiler *c, uint64_t v) {
  lw_word w = {.u64 = v};
  put_word(c, w);
  c->half = 0;
}

static void add_call_site(compiler *c, uint32_t instr, uint32_t callee) {
  if (!grow_array(c, (void **)&c->calls, &c->call_cap, c->call_count + 1, sizeof(call_site)))
    return;
  call_site site = {0, callee, instr};
  c->calls[c->call_count++] = site;
}

/* Records the just-finished instruction as one whose destination may be rewritten. */
static void mark_dst(compiler *c, uint32_t dst_pos, uint32_t dst) {
  c->last.valid = true;
  c->last.op = LW_OP_COUNT;
  c->last.is_cmp = false;
  c->last.unary = false;
  c->last.start = c->instr;
  c->last.end = c->len;
  c->last.dst_pos = dst_pos;
  c->last.dst = dst;
}

/* ---- the operand stack ---------------------------------------------------------------------- */

/* The instruction emitted last is still the end of the code and writes `slot`: a peephole may
 * rewrite it in place (its destination, or fuse it with the instruction being emitted). */
static bool last_writes(const compiler *c, uint32_t slot) {
  return c->last.valid && c->last.end == c->len && c->last.dst == slot;
}

static uint32_t home(compiler *c, uint32_t depth) {
  return c->local_count + c->pool_count + depth;
}

static int pool_find(const compiler *c, uint64_t value) {
  for (uint32_t j = 0; j < c->pool_count; j++)
    if (c->pool_values[j] == value) return (int)j;
  return -1;
}

static void push(compiler *c, uint8_t kind, uint32_t local, uint64_t value) {
  if (!grow_array(c, (void **)&c->stack, &c->stack_cap, c->sp + 1, sizeof(ventry))) return;
  ventry e = {kind, local, value};
  c->stack[c->sp++] = e;
  if (c->sp > c->max_sp) c->max_sp = c->sp;
}

static void need_scratch(compiler *c, uint32_t slots_above_sp) {
  if (c->sp + slots_above_sp > c->max_sp) c->max_sp = c->sp + slots_above_sp;
}

/* Pushes a result in its own slot; returns that slot. */
static uint32_t push_result(compiler *c) {
  push(c, V_SLOT, 0, 0);
  return home(c, c->sp - 1);
}

static void emit_const(compiler *c, uint32_t dst, uint64_t value) {
  begin(c, LW_OP_const64);
  uint32_t pos = arg(c, dst);
  arg64(c, value);
  mark_dst(c, pos, dst);
}

static void emit_copy(compiler *c, uint32_t dst, uint32_t src) {
  if (dst == src) return;
  if (c->last.valid && c->last.op == LW_OP_copy2 && c->last.end == c->len && !c->nomem) {
    /* and three (a call's arguments) one copy3 */
    uint32_t start = c->last.start;
    c->code[start].handler = c->handlers[LW_OP_copy3];
    c->instr = start;
    c->half = 0;
    uint32_t pos = arg(c, dst);
    arg(c, src);
    mark_dst(c, pos, dst);
    c->last.start = start;
    c->last.op = LW_OP_copy3;
    return;
  }
  if (c->last.valid && c->last.op == LW_OP_copy && c->last.end == c->len && !c->nomem) {
    /* two copies in a row become one copy2 */
    uint32_t start = c->last.start;
    c->code[start].handler = c->handlers[LW_OP_copy2];
    c->instr = start;
    c->half = 0;
    uint32_t pos = arg(c, dst);
    arg(c, src);
    mark_dst(c, pos, dst);
    c->last.start = start;
    c->last.op = LW_OP_copy2;
    return;
  }
  begin(c, LW_OP_copy);
  uint32_t pos = arg(c, dst);
  arg(c, src);
  mark_dst(c, pos, dst);
  c->last.op = LW_OP_copy;
}

/* dst = local + k (i32), recorded as an i32_add_si for the peepholes that look for one. */
static void emit_add_local(compiler *c, uint32_t dst, uint32_t local, uint32_t k) {
  begin(c, LW_OP_i32_add_si);
  uint32_t pos = arg(c, dst);
  arg(c, local);
  arg(c, k);
  mark_dst(c, pos, dst);
  c->last.op = LW_OP_i32_add_si;
  c->last.a = local;
  c->last.b = k;
}

/* Writes entry e's value to slot dst without changing what the stack says (used on paths
 * that are taken only sometimes). */
static void move_entry(compiler *c, const ventry *e, uint32_t depth, uint32_t dst) {
  switch (e->kind) {
  case V_SLOT: emit_copy(c, dst, home(c, depth)); break;
  case V_LOCAL: emit_copy(c, dst, e->local); break;
  case V_ADDK: emit_add_local(c, dst, e->local, (uint32_t)e->value); break;
  default: emit_const(c, dst, e->value); break;
  }
}

/* Puts the entry at `depth` in its own slot. */
static void materialize(compiler *c, uint32_t depth) {
  ventry *e = &c->stack[depth];
  if (e->kind == V_SLOT) return;
  move_entry(c, e, depth, home(c, depth));
  e->kind = V_SLOT;
}

/* Slot holding the entry at `depth` for reading (constants get written to their slot). */
static uint32_t use(compiler *c, uint32_t depth) {
  ventry *e = &c->stack[depth];
  if (e->kind == V_LOCAL) return e->local;
  if (e->kind == V_CONST) {
    int j = pool_find(c, e->value);
    if (j >= 0) {
      c->pool_used[j] = true;
      return c->local_count + (uint32_t)j;
    }
  }
  materialize(c, depth);
  return home(c, depth);
}

/* Reads the top n entries into slots[] and pops them. */
static void use_top(compiler *c, uint32_t n, uint32_t *slots) {
  for (uint32_t i = 0; i < n; i++) slots[i] = use(c, c->sp - n + i);
  c->sp -= n;
}

static void materialize_locals(compiler *c) {
  for (uint32_t d = 0; d < c->sp; d++)
    if (c->stack[d].kind == V_LOCAL || c->stack[d].kind == V_ADDK) materialize(c, d);
}

/* Before local `x` changes: entries still reading it get their own copy. */
static void protect_local(compiler *c, uint32_t x) {
  for (uint32_t d = 0; d < c->sp; d++)
    if ((c->stack[d].kind == V_LOCAL || c->stack[d].kind == V_ADDK) && c->stack[d].local == x)
      materialize(c, d);
}

static bool local_referenced(compiler *c, uint32_t x) {
  for (uint32_t d = 0; d < c->sp; d++)
    if ((c->stack[d].kind == V_LOCAL || c->stack[d].kind == V_ADDK) && c->stack[d].local == x)
      return true;
  return false;
}

/* ---- control ---------------------------------------------------------------------------- */

static void add_fixup(compiler *c, cframe *frame, uint32_t instr, uint32_t pos) {
  if (!grow_array(c, (void **)&c->fixups, &c->fixup_cap, c->fixup_count + 1, sizeof(fixup)))
    return;
  fixup f = {instr, pos, frame->fix_head};
  frame->fix_head = c->fixup_count;
  c->fixups[c->fixup_count++] = f;
}

/* The branch operand at `pos` of the instruction at `instr` goes to frame f's label. */
static void target(compiler *c, cframe *f, uint32_t instr, uint32_t pos) {
  if (f->kind == C_LOOP) {
    set_u32(c, pos, (uint32_t)((int32_t)f->loop_start - (int32_t)instr));
  } else {
    f->end_reachable = true;
    add_fixup(c, f, instr, pos);
  }
}

static void patch_here(compiler *c, fixup f) {
  set_u32(c, f.pos, c->len - f.instr);
}

/* A label is placed here: nothing before it may be rewritten by peepholes, and what was known
 * about locals' values no longer holds. */
static void label_here(compiler *c) {
  c->last.valid = false;
  c->gen++;
}

static void emit_return(compiler *c) {
  uint32_t n = c->result_count;
  if (n == 0) {
    begin(c, LW_OP_return0);
    return;
  }
  if (n == 1) {
    ventry *e = &c->stack[c->sp - 1];
    if (e->kind == V_ADDK) {
      emit_add_local(c, 0, e->local, (uint32_t)e->value);
      begin(c, LW_OP_return0);
      return;
    }
    if (e->kind == V_CONST) {
      emit_const(c, 0, e->value);
      begin(c, LW_OP_return0);
      return;
    }
    if (e->kind == V_SLOT && last_writes(c, home(c, c->sp - 1)) && c->last.op == LW_OP_copy) {
      /* a copy into the result's slot (a block's result settled just before the function's
       * end): return its source instead, one instruction rather than copy + return0 */
      uint32_t src = c->code[c->last.start + 1].u32[1];
      c->len = c->last.start;
      c->last.valid = false;
      begin(c, LW_OP_return1);
      arg(c, src);
      return;
    }
    if (e->kind == V_SLOT && last_writes(c, home(c, c->sp - 1))) {
      /* the instruction just emitted writes the result slot directly */
      set_u32(c, c->last.dst_pos, 0);
      begin(c, LW_OP_return0);
      return;
    }
    begin(c, LW_OP_return1);
    arg(c, e->kind == V_LOCAL ? e->local : home(c, c->sp - 1));
    return;
  }
  /* Several results: go through scratch slots above the stack, as results and sources may
   * overlap (locals are slots 0..). */
  need_scratch(c, n);
  for (uint32_t i = 0; i < n; i++)
    move_entry(c, &c->stack[c->sp - n + i], c->sp - n + i, home(c, c->sp + i));
  for (uint32_t i = 0; i < n; i++) emit_copy(c, i, home(c, c->sp + i));
  begin(c, LW_OP_return0);
}

static uint32_t branch_arity(const cframe *f) {
  return f->kind == C_LOOP ? f->params : f->results;
}

/* Does branching to f need values moved into its slots? */
static bool branch_needs_moves(compiler *c, const cframe *f) {
  if (f->kind == C_FUNC) return true;
  uint32_t n = branch_arity(f);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t d = c->sp - n + i;
    if (c->stack[d].kind != V_SLOT || d != f->height + i) return true;
  }
  return false;
}

/* Unconditional branch to f (moves included). Leaves the stack description unchanged. */
static void emit_branch(compiler *c, cframe *f) {
  if (f->kind == C_FUNC) {
    emit_return(c);
    return;
  }
  uint32_t n = branch_arity(f);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t d = c->sp - n + i;
    const ventry *e = &c->stack[d];
    if (e->kind == V_SLOT && d == f->height + i) continue;
    move_entry(c, e, d, home(c, f->height + i));
  }
  if (c->last.valid && c->last.end == c->len && !c->nomem &&
      (c->last.op == LW_OP_i32_load8_u_pre || c->last.op == LW_OP_copy)) {
    /* the instruction just emitted branches itself (a loop's last step) */
    uint32_t start = c->last.start;
    c->code[start].handler =
        c->handlers[c->last.op == LW_OP_copy ? LW_OP_copy_br : LW_OP_i32_load8_u_pre_br];
    c->prev = c->last;
    c->last.valid = false;
    c->instr = start;
    c->half = 0;
    uint32_t pos = arg(c, 0);
    target(c, f, start, pos);
    if (f->kind == C_LOOP && c->code[start].handler == c->handlers[LW_OP_i32_load8_u_pre_br] &&
        !c->nomem) {
      /* the loop starts with `v = x & m; if (!v) exit; if (v != k) goto <here>`: a byte scan
       * that can run inside one handler */
      const lw_word *test = c->code + f->loop_start;
      if (f->loop_start + 4 <= start &&
          test[0].handler == c->handlers[LW_OP_br_i32_and_set_z_ne_si] &&
          f->loop_start + (int32_t)test[3].u32[1] == start)
        c->code[start].handler = c->handlers[LW_OP_i32_load8_u_pre_scan];
    }
    return;
  }
  begin(c, LW_OP_br);
  uint32_t pos = arg(c, 0);
  target(c, f, c->instr, pos);
}

/* A branch condition: either a slot, or a compare that was just emitted and taken back. */
typedef struct cond {
  bool fused;
  bool eqz;
  lw_op br_true, br_false;
  uint32_t a, b;
  uint32_t slot;
} cond;

/* compare-and-branch ops: 1 = i32 compare, 2 = i64 compare, 0 = other */
static uint8_t br_kind[LW_OP_COUNT];
static bool br_is_si[LW_OP_COUNT]; /* the immediate forms (br_name_si) */

/* Pops the i32 condition on top of the stack. */
static cond take_cond(compiler *c) {
  cond k;
  memset(&k, 0, sizeof k);
  uint32_t d = c->sp - 1;
  ventry *e = &c->stack[d];
  if (e->kind == V_SLOT && c->last.is_cmp && last_writes(c, home(c, d))) {
    k.fused = true;
    k.eqz = c->last.unary;
    k.br_true = c->last.br_true;
    k.br_false = c->last.br_false;
    k.a = c->last.a;
    k.b = c->last.b;
    c->len = c->last.start; /* take the compare back */
    /* what came before it is the last instruction again */
    if (c->prev.valid && c->prev.end == c->last.start) {
      c->last = c->prev;
      c->prev = c->prev2;
      c->prev2.valid = false;
    } else {
      c->last.valid = false;
    }
  } else {
    k.slot = use(c, d);
  }
  c->sp--;
  return k;
}

/* A zero test (op: br_if_eqz or br_if_nez) of slot x right after `x = a & imm` (a local.tee
 * of the masked value): takes the and back and begins the fused and-set-branch with its
 * dst, a and imm placed; the caller adds the offset operand. */
static bool take_and_set(compiler *c, lw_op op, uint32_t x) {
  if (!c->last.valid || c->last.op != LW_OP_i32_and_si || c->last.end != c->len ||
      c->last.dst != x)
    return false;
  last_instr and1 = c->last;
  c->len = and1.start;
  lw_op fused = op == LW_OP_br_if_eqz ? LW_OP_br_i32_and_set_z_si : LW_OP_br_i32_and_set_nz_si;
  begin(c, fused);
  arg(c, and1.dst);
  arg(c, and1.a);
  arg(c, and1.b);
  /* a compare of dst with a constant right after may join it (emit_cond_jump); the branch
   * offset sits where the joined form keeps it, so a fixup stays valid */
  c->last.valid = true;
  c->last.op = fused;
  c->last.start = c->instr;
  c->last.end = c->len; /* the offset operand goes into the last word */
  c->last.dst = and1.dst;
  c->last.is_cmp = false;
  c->last.dst_pos = UINT32_MAX;
  return true;
}

/* A zero test (op: br_if_eqz or br_if_nez) of a temporary that the i32.load just emitted
 * wrote: takes the load back and begins the load-and-test branch (caller adds the offset). */
static bool take_load_test(compiler *c, lw_op op, uint32_t slot) {
  if (!c->last.valid || c->last.op != LW_OP_i32_load || c->last.end != c->len ||
      c->last.dst != slot)
    return false;
  last_instr load = c->last;
  c->len = load.start;
  if (slot < c->local_count + c->pool_count) {
    /* the load wrote a local (local.tee): the fused branch writes it too */
    begin(c, op == LW_OP_br_if_eqz ? LW_OP_br_i32_load_set_z : LW_OP_br_i32_load_set_nz);
    arg(c, load.dst);
    arg(c, load.a);
    arg(c, load.offset);
    return true;
  }
  begin(c, op == LW_OP_br_if_eqz ? LW_OP_br_i32_load_z : LW_OP_br_i32_load_nz);
  arg(c, load.a);
  arg(c, load.offset);
  return true;
}

/* Emits a jump taken when the condition is `when`; returns the offset operand's position. */
static uint32_t emit_cond_jump(compiler *c, const cond *k, bool when) {
  if (k->fused) {
    if (k->eqz) {
      lw_op op = when ? k->br_true : k->br_false;
      if (take_and_set(c, op, k->a)) return arg(c, 0);
      if ((op == LW_OP_br_if_eqz || op == LW_OP_br_if_nez) && take_load_test(c, op, k->a))
        return arg(c, 0);
      begin(c, op);
      arg(c, k->a);
      return arg(c, 0);
    }
    lw_op br = when ? k->br_true : k->br_false;
    if ((br == LW_OP_br_i32_ne_si || br == LW_OP_br_i32_eq_si) &&
        c->last.op == LW_OP_br_i32_and_set_z_si && last_writes(c, k->a)) {
      /* `x = a & m; if (!x) ...; if (x != k) ...` (a byte scan's two exits): one op */
      uint32_t start = c->last.start;
      c->code[start].handler = c->handlers[br == LW_OP_br_i32_ne_si ? LW_OP_br_i32_and_set_z_ne_si
                                                                    : LW_OP_br_i32_and_set_z_eq_si];
      c->last.valid = false;
      c->instr = start;
      c->half = 0;
      arg(c, k->b);
      return arg(c, 0);
    }
    if ((br == LW_OP_br_i32_and_nz_si || br == LW_OP_br_i32_and_z_si) &&
        c->last.op == LW_OP_i32_load8_u && last_writes(c, k->a) &&
        k->a >= c->local_count + c->pool_count) {
      /* a loaded byte's flag bits tested: load and test in one */
      last_instr load = c->last;
      c->len = load.start;
      begin(c, br == LW_OP_br_i32_and_nz_si ? LW_OP_br_i32_load8_u_and_nz_si
                                            : LW_OP_br_i32_load8_u_and_z_si);
      arg(c, load.a);
      arg(c, load.offset);
      arg(c, k->b);
      return arg(c, 0);
    }
    if ((br == LW_OP_br_i32_and_nz_si || br == LW_OP_br_i32_and_z_si) &&
        c->last.op == LW_OP_i32_andn_add_si && last_writes(c, k->a) &&
        k->a >= c->local_count + c->pool_count) {
      /* ~w & (w + k) & mask tested: the whole zero byte test in the branch */
      last_instr t = c->last;
      c->len = t.start;
      begin(c, br == LW_OP_br_i32_and_nz_si ? LW_OP_br_i32_andn_add_nz_si
                                            : LW_OP_br_i32_andn_add_z_si);
      arg(c, t.a);
      arg(c, t.b);
      arg(c, k->b);
      return arg(c, 0);
    }
    if ((br == LW_OP_br_i32_and_nz_si || br == LW_OP_br_i32_and_z_si) &&
        c->last.op == LW_OP_i32_and && last_writes(c, k->a) &&
        k->a >= c->local_count + c->pool_count) {
      /* (x & y) & mask tested, x & y a temporary just computed: one test of all three */
      last_instr and2 = c->last;
      c->len = and2.start;
      begin(c, br == LW_OP_br_i32_and_nz_si ? LW_OP_br_i32_and3_nz_si : LW_OP_br_i32_and3_z_si);
      arg(c, and2.a);
      arg(c, and2.b);
      arg(c, k->b);
      return arg(c, 0);
    }
    lw_op add = br_kind[br] == 1 ? LW_OP_i32_add_si : br_kind[br] == 2 ? LW_OP_i64_add_si : LW_OP_COUNT;
    if (add != LW_OP_COUNT && c->last.op == add && last_writes(c, k->a)) {
      /* `x = y + k` just before the compare of x: one instruction (loop counters) */
      last_instr inc = c->last;
      c->len = inc.start;
      if (br_is_si[br] && c->prev.valid && c->prev.op == LW_OP_i32_add_si &&
          c->prev.end == inc.start) {
        /* and an i32 add-immediate just before it (two induction variables): one op */
        last_instr add1 = c->prev;
        c->len = add1.start;
        begin(c, (lw_op)(br + 3));
        c->prev.valid = c->prev2.valid = false; /* both were taken back */
        arg(c, add1.dst);
        arg(c, add1.a);
        arg(c, add1.b);
        arg(c, inc.dst);
        arg(c, inc.a);
        arg(c, inc.b);
        arg(c, k->b);
        return arg(c, 0);
      }
      begin(c, (lw_op)(br + 2));
      arg(c, inc.dst);
      arg(c, inc.a);
      arg(c, inc.b);
      arg(c, k->b);
      return arg(c, 0);
    }
    begin(c, br);
    arg(c, k->a);
    arg(c, k->b);
    return arg(c, 0);
  }
  lw_op op = when ? LW_OP_br_if_nez : LW_OP_br_if_eqz;
  if (take_and_set(c, op, k->slot)) return arg(c, 0);
  if (take_load_test(c, op, k->slot)) return arg(c, 0);
  begin(c, op);
  arg(c, k->slot);
  return arg(c, 0);
}

/* ---- block types ---------------------------------------------------------------------------- */

static void block_type(compiler *c, const uint8_t **p, uint32_t *params, uint32_t *results) {
  uint8_t b = **p;
  if (b == 0x40) {
    (*p)++;
    *params = *results = 0;
    return;
  }
  if (b == LW_I32 || b == LW_I64 || b == LW_F32 || b == LW_F64 || b == LW_V128 ||
      b == LW_FUNCREF || b == LW_EXTERNREF) {
    (*p)++;
    *params = 0;
    *results = 1;
    return;
  }
  int64_t idx = lw_fast_sleb(p);
  const lw_functype *t = &c->module->types[idx];
  *params = t->param_count;
  *results = t->result_count;
}

static cframe *push_frame(compiler *c, uint8_t kind, uint32_t params, uint32_t results) {
  if (!grow_array(c, (void **)&c->frames, &c->frame_cap, c->frame_count + 1, sizeof(cframe)))
    return NULL;
  cframe *f = &c->frames[c->frame_count++];
  memset(f, 0, sizeof *f);
  f->kind = kind;
  f->height = c->sp - params;
  f->params = params;
  f->results = results;
  f->fix_head = NO_FIXUP;
  return f;
}

/* Values that stay on the stack at a label must be in their own slots. */
static void settle_results(compiler *c, const cframe *f) {
  for (uint32_t i = 0; i < f->results; i++) materialize(c, f->height + i);
}

static void reset_stack_to(compiler *c, uint32_t height) {
  c->sp = height;
}

static void push_slots(compiler *c, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) push(c, V_SLOT, 0, 0);
}

/* ---- skipping unreachable code -------------------------------------------------------------- */

static void skip_memarg(const uint8_t **p) {
  lw_fast_u32(p);
  lw_fast_u32(p);
}

/* Skips the immediates of an instruction (not block/loop/if/else/end). */
static bool skip_immediates(uint8_t op, const uint8_t **p) {
  switch (op) {
  case 0x0c: case 0x0d: case 0x10: case 0x20: case 0x21: case 0x22: case 0x23: case 0x24:
  case 0x25: case 0x26: case 0x3f: case 0x40: case 0xd2:
    lw_fast_u32(p);
    return true;
  case 0x0e: {
    uint32_t n = lw_fast_u32(p);
    for (uint32_t i = 0; i <= n; i++) lw_fast_u32(p);
    return true;
  }
  case 0x11: lw_fast_u32(p); lw_fast_u32(p); return true;
  case 0x1c: {
    uint32_t n = lw_fast_u32(p);
    *p += n;
    return true;
  }
  case 0x41: case 0x42: lw_fast_sleb(p); return true;
  case 0x43: *p += 4; return true;
  case 0x44: *p += 8; return true;
  case 0xd0: (*p)++; return true;
  case 0xfc: {
    uint32_t sub = lw_fast_u32(p);
    switch (sub) {
    case 8: lw_fast_u32(p); (*p)++; break;
    case 9: case 13: case 15: case 16: case 17: lw_fast_u32(p); break;
    case 10: *p += 2; break;
    case 11: (*p)++; break;
    case 12: case 14: lw_fast_u32(p); lw_fast_u32(p); break;
    default: break;
    }
    return true;
  }
  case 0xfd: return false;
  default:
    if (op >= 0x28 && op <= 0x3e) skip_memarg(p);
    return true;
  }
}

/* ---- numeric tables ------------------------------------------------------------------------- */

typedef struct numinfo {
  int16_t op;        /* lw_op, -1 if none */
  int16_t op_imm;    /* immediate form or -1 */
  int16_t br_true, br_false; /* compare-and-branch forms (register-register); +1 = immediate */
  uint8_t arity;     /* 1 or 2 */
  bool wide;         /* 64-bit integer operands (immediate must fit in int32) */
} numinfo;

static numinfo num_table[0x110];

static const struct { lw_op op, inverse; } cmp_inverse[] = {
  {LW_OP_i32_eq, LW_OP_i32_ne}, {LW_OP_i32_lt_s, LW_OP_i32_ge_s},
  {LW_OP_i32_lt_u, LW_OP_i32_ge_u}, {LW_OP_i32_gt_s, LW_OP_i32_le_s},
  {LW_OP_i32_gt_u, LW_OP_i32_le_u}, {LW_OP_i64_eq, LW_OP_i64_ne},
  {LW_OP_i64_lt_s, LW_OP_i64_ge_s}, {LW_OP_i64_lt_u, LW_OP_i64_ge_u},
  {LW_OP_i64_gt_s, LW_OP_i64_le_s}, {LW_OP_i64_gt_u, LW_OP_i64_le_u},
};

static lw_op br_of_cmp(lw_op cmp) {
  switch (cmp) {
#define X_BR_B(name) case LW_OP_##name: return LW_OP_br_##name##_ss;
#define X_BR_N(name)
#define X(code, name, ta, tr, imm, br, expr) X_BR_##br(name)
    LW_BINOPS(X)
#undef X
#undef X_BR_B
#undef X_BR_N
  default: return LW_OP_COUNT;
  }
}

static lw_op inverse_cmp(lw_op cmp) {
  for (size_t i = 0; i < sizeof cmp_inverse / sizeof cmp_inverse[0]; i++) {
    if (cmp_inverse[i].op == cmp) return cmp_inverse[i].inverse;
    if (cmp_inverse[i].inverse == cmp) return cmp_inverse[i].op;
  }
  return LW_OP_COUNT;
}

static void init_tables(void) {
  for (size_t i = 0; i < sizeof num_table / sizeof num_table[0]; i++) {
    num_table[i].op = num_table[i].op_imm = num_table[i].br_true = num_table[i].br_false = -1;
  }
#define IMM_Y(name) LW_OP_##name##_si
#define IMM_N(name) -1
#define X(code, name, ta, tr, imm, br, expr)                                                  \
  num_table[code].op = LW_OP_##name;                                                           \
  num_table[code].op_imm = IMM_##imm(name);                                                    \
  num_table[code].arity = 2;                                                                   \
  num_table[code].wide = (#ta)[0] == 'L';
  LW_BINOPS(X)
#undef X
#undef IMM_Y
#undef IMM_N
#define X(code, name, ta, tr, expr)                                                            \
  num_table[code].op = LW_OP_##name;                                                           \
  num_table[code].arity = 1;
  LW_UNOPS(X)
#undef X
#define X(code, name) num_table[code].op = LW_OP_##name; num_table[code].arity = 2;
  LW_TRAPPING_BINOPS(X)
#undef X
#define X(code, name) num_table[code].op = LW_OP_##name; num_table[code].arity = 1;
  LW_SPECIAL_UNOPS(X)
#undef X
#define X_BR_B(name, ta) \
  br_kind[LW_OP_br_##name##_ss] = br_kind[LW_OP_br_##name##_si] = (#ta)[0] == 'L' ? 2 : 1; \
  br_is_si[LW_OP_br_##name##_si] = true;
#define X_BR_N(name, ta)
#define X(code, name, ta, tr, imm, br, expr) X_BR_##br(name, ta)
  LW_BINOPS(X)
#undef X
#undef X_BR_B
#undef X_BR_N
  for (size_t i = 0; i < sizeof num_table / sizeof num_table[0]; i++) {
    if (num_table[i].op < 0 || num_table[i].arity != 2) continue;
    lw_op t = br_of_cmp((lw_op)num_table[i].op);
    if (t == LW_OP_COUNT) continue;
    lw_op inv = inverse_cmp((lw_op)num_table[i].op);
    num_table[i].br_true = (int16_t)t;
    num_table[i].br_false = (int16_t)br_of_cmp(inv);
  }
}

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/* ---- one function ------------------------------------------------------------------------- */

static bool fits_imm(const numinfo *ni, uint64_t v) {
  if (!ni->wide) return true;
  return (int64_t)v == (int64_t)(int32_t)v;
}

static void compile_numeric(compiler *c, uint32_t code) {
  const numinfo *ni = &num_table[code];
  if (ni->arity == 1) {
    /* i32.eqz of a compare just emitted: a branch on it is the compare's opposite branch
     * (both instructions are taken back then) */
    last_instr negated = c->last;
    bool negate = ni->op == LW_OP_i32_eqz && c->stack[c->sp - 1].kind == V_SLOT &&
                  c->last.is_cmp && last_writes(c, home(c, c->sp - 1));
    uint32_t a;
    use_top(c, 1, &a);
    uint32_t dst = push_result(c);
    begin(c, (lw_op)ni->op);
    uint32_t pos = arg(c, dst);
    arg(c, a);
    mark_dst(c, pos, dst);
    c->last.op = (lw_op)ni->op;
    c->last.a = a;
    if (negate) {
      c->last.is_cmp = true;
      c->last.unary = negated.unary;
      c->last.start = negated.start;
      c->last.br_true = negated.br_false;
      c->last.br_false = negated.br_true;
      c->last.a = negated.a;
      c->last.b = negated.b;
      c->last.op = LW_OP_COUNT;
    } else if (ni->op == LW_OP_i32_eqz) {
      c->last.is_cmp = true;
      c->last.unary = true;
      c->last.br_true = LW_OP_br_if_eqz;
      c->last.br_false = LW_OP_br_if_nez;
    } else if (ni->op == LW_OP_i64_eqz) {
      c->last.is_cmp = true;
      c->last.br_true = LW_OP_br_i64_eq_si;
      c->last.br_false = LW_OP_br_i64_ne_si;
      c->last.a = a;
      c->last.b = 0;
    }
    return;
  }
  ventry *top = &c->stack[c->sp - 1];
  /* f64 add/sub/mul whose second operand is the f64.load just emitted: one instruction */
  if ((code == 0xa0 || code == 0xa1 || code == 0xa2) && top->kind == V_SLOT &&
      last_writes(c, home(c, c->sp - 1)) &&
      (c->last.op == LW_OP_f64_load || c->last.op == LW_OP_f64_load_d)) {
    bool with_disp = c->last.op == LW_OP_f64_load_d;
    uint32_t addr = c->last.a, offset = c->last.offset, disp = c->last.disp;
    c->len = c->last.start;
    c->last.valid = false;
    c->sp--;
    uint32_t a;
    use_top(c, 1, &a);
    uint32_t dst = push_result(c);
    lw_op op = code == 0xa0 ? LW_OP_f64_add_m : code == 0xa1 ? LW_OP_f64_sub_m : LW_OP_f64_mul_m;
    begin(c, with_disp ? (lw_op)(op + 1) : op);
    uint32_t pos = arg(c, dst);
    arg(c, a);
    arg(c, addr);
    arg(c, offset);
    if (with_disp) arg(c, disp);
    mark_dst(c, pos, dst);
    return;
  }
  if (code == 0x71 && top->kind == V_ADDK && c->stack[c->sp - 2].kind == V_SLOT)
    materialize(c, c->sp - 1); /* (w + k) computed now rather than by use_top below */
  if (code == 0x71 && top->kind == V_SLOT && c->stack[c->sp - 2].kind == V_SLOT &&
      c->last.valid && c->last.end == c->len && c->prev.valid && c->prev.end == c->last.start &&
      c->last.dst == home(c, c->sp - 1) && c->prev.dst == home(c, c->sp - 2)) {
    /* ~w & (w + k) (either order) of two ops just computed: one op */
    const last_instr *not_w = NULL, *add = NULL;
    if (c->prev.op == LW_OP_i32_xor_si && c->last.op == LW_OP_i32_add_si)
      not_w = &c->prev, add = &c->last;
    else if (c->prev.op == LW_OP_i32_add_si && c->last.op == LW_OP_i32_xor_si)
      add = &c->prev, not_w = &c->last;
    if (not_w && not_w->b == 0xffffffffu && not_w->a == add->a) {
      uint32_t w = add->a, k = add->b;
      c->len = c->prev.start;
      c->sp -= 2;
      uint32_t dst = push_result(c);
      begin(c, LW_OP_i32_andn_add_si);
      c->prev.valid = c->prev2.valid = false; /* both were taken back */
      uint32_t pos = arg(c, dst);
      arg(c, w);
      arg(c, k);
      mark_dst(c, pos, dst);
      c->last.op = LW_OP_i32_andn_add_si;
      c->last.a = w;
      c->last.b = k;
      return;
    }
  }
  if (code == 0x72 && top->kind == V_SLOT && c->stack[c->sp - 2].kind == V_SLOT &&
      c->last.op == LW_OP_i32_shr_u_si && last_writes(c, home(c, c->sp - 1)) && c->prev.valid &&
      c->prev.op == LW_OP_i32_shl_si &&
      c->prev.end == c->last.start && c->prev.dst == home(c, c->sp - 2)) {
    /* (a << k1) | (b >> k2) of two shifts just computed (unaligned word copies): one op */
    last_instr shl = c->prev, shr = c->last;
    c->len = shl.start;
    c->sp -= 2;
    uint32_t dst = push_result(c);
    begin(c, LW_OP_i32_shl_or_shr_si);
    c->prev.valid = c->prev2.valid = false; /* both were taken back */
    uint32_t pos = arg(c, dst);
    arg(c, shl.a);
    arg(c, shl.b);
    arg(c, shr.a);
    arg(c, shr.b);
    mark_dst(c, pos, dst);
    return;
  }
  int op_imm = ni->op_imm;
  if (top->kind == V_CONST && op_imm < 0) {
    /* a constant divisor other than 0 and -1 cannot trap */
    bool wide = code >= 0x7f;
    int64_t v = wide ? (int64_t)top->value : (int64_t)(int32_t)top->value;
    bool safe = v != 0 && v != -1 && v == (int64_t)(int32_t)v;
    switch (code) {
    case 0x6d: if (safe) op_imm = LW_OP_i32_div_s_si; break;
    case 0x6e: if (safe) op_imm = LW_OP_i32_div_u_si; break;
    case 0x6f: if (safe) op_imm = LW_OP_i32_rem_s_si; break;
    case 0x70: if (safe) op_imm = LW_OP_i32_rem_u_si; break;
    case 0x7f: if (safe) op_imm = LW_OP_i64_div_s_si; break;
    case 0x80: if (safe && v > 0) op_imm = LW_OP_i64_div_u_si; break;
    case 0x81: if (safe) op_imm = LW_OP_i64_rem_s_si; break;
    case 0x82: if (safe && v > 0) op_imm = LW_OP_i64_rem_u_si; break;
    default: break;
    }
  }
  bool imm = op_imm >= 0 && top->kind == V_CONST && fits_imm(ni, top->value);
  if (imm && op_imm == LW_OP_i32_add_si &&
      (c->stack[c->sp - 2].kind == V_LOCAL || c->stack[c->sp - 2].kind == V_ADDK)) {
    /* local + k stays symbolic until something needs it in a slot */
    ventry *a = &c->stack[c->sp - 2];
    a->value = a->kind == V_ADDK ? (uint32_t)(a->value + top->value) : (uint32_t)top->value;
    a->kind = V_ADDK;
    c->sp--;
    return;
  }
  if (imm && op_imm == LW_OP_i32_add_si && c->stack[c->sp - 2].kind == V_SLOT &&
      c->last.op == LW_OP_i32_add_si && last_writes(c, home(c, c->sp - 2))) {
    /* (x + k1) + k2 with x + k1 just computed into a temporary: one add of k1 + k2 */
    c->last.b += (uint32_t)top->value;
    set_u32(c, c->last.dst_pos + 2, c->last.b);
    c->sp--;
    return;
  }
  uint32_t a, b;
  if (imm) {
    b = (uint32_t)top->value;
    c->sp--;
    use_top(c, 1, &a);
  } else {
    uint32_t s[2];
    use_top(c, 2, s);
    a = s[0];
    b = s[1];
  }
  uint32_t dst = push_result(c);
  begin(c, (lw_op)(imm ? op_imm : ni->op));
  uint32_t pos = arg(c, dst);
  arg(c, a);
  arg(c, b);
  mark_dst(c, pos, dst);
  c->last.op = (lw_op)(imm ? op_imm : ni->op);
  c->last.a = a;
  c->last.b = b;
  if (c->last.op == LW_OP_i32_and_si) {
    c->last.is_cmp = true;
    c->last.br_true = LW_OP_br_i32_and_nz_si;
    c->last.br_false = LW_OP_br_i32_and_z_si;
  }
  if (ni->br_true >= 0) {
    c->last.is_cmp = true;
    c->last.br_true = (lw_op)(ni->br_true + (imm ? 1 : 0));
    c->last.br_false = (lw_op)(ni->br_false + (imm ? 1 : 0));
    c->last.a = a;
    c->last.b = b;
  }
}

static bool local_known(compiler *c, uint32_t x, uint64_t value) {
  return c->known_gen[x] == c->gen && c->known_value[x] == value;
}

/* If the entry at `depth` is the result of the i32.add-with-constant just emitted, takes
 * that instruction back and gives its operands: the access adds the displacement itself. */
/* Returns 0 (no), 1 (displacement: the _d form) or 2 (index slot: the _x form). */
static int take_displacement(compiler *c, uint32_t depth, uint32_t *base, uint32_t *disp) {
  if (c->stack[depth].kind != V_SLOT || !c->last.valid || c->last.end != c->len ||
      c->last.dst != home(c, depth) ||
      (c->last.op != LW_OP_i32_add_si && c->last.op != LW_OP_i32_add))
    return 0;
  int form = c->last.op == LW_OP_i32_add_si ? 1 : 2;
  *base = c->last.a;
  *disp = c->last.b;
  c->len = c->last.start;
  c->last.valid = false;
  return form;
}

/* Is the address on top of the stack local x just advanced by `x = x + k` (a pointer stepping
 * through bytes)? Then takes that add back and gives x and k: the load does both. */
static bool take_pre_increment(compiler *c, uint32_t *x, uint32_t *k) {
  const ventry *e = &c->stack[c->sp - 1];
  if (e->kind != V_LOCAL || !c->last.valid || c->last.end != c->len ||
      c->last.op != LW_OP_i32_add_si || c->last.dst != e->local || c->last.a != e->local)
    return false;
  *x = e->local;
  *k = c->last.b;
  c->len = c->last.start;
  c->last.valid = false;
  return true;
}

static void compile_local_set(compiler *c, uint32_t x, bool tee) {
  uint32_t d = c->sp - 1;
  ventry e = c->stack[d];
  c->sp--;
  if (e.kind == V_CONST) {
    if (e.value != 0) c->written[x] = 1;
    bool still_zero = e.value == 0 && !c->written[x] && x >= c->param_count;
    for (uint32_t i = 0; still_zero && i < c->frame_count; i++)
      if (c->frames[i].kind == C_LOOP) still_zero = false;
    if (still_zero) {
      /* zero already (after a join, where known_gen forgets): nothing to write */
      c->known_gen[x] = c->gen;
      c->known_value[x] = 0;
    } else if (!local_known(c, x, e.value)) {
      protect_local(c, x);
      emit_const(c, x, e.value);
      c->known_gen[x] = c->gen;
      c->known_value[x] = e.value;
    }
    if (tee) push(c, V_CONST, 0, e.value);
    return;
  }
  c->known_gen[x] = 0;
  c->written[x] = 1;
  if (e.kind == V_LOCAL && e.local == x) {
    /* local.set x of local.get x: nothing to do */
  } else if (e.kind == V_ADDK) {
    protect_local(c, x);
    emit_add_local(c, x, e.local, (uint32_t)e.value);
  } else if (e.kind == V_SLOT && last_writes(c, home(c, d)) && !local_referenced(c, x)) {
    /* the producing instruction writes the local directly */
    set_u32(c, c->last.dst_pos, x);
    c->last.dst = x;
    c->last.is_cmp = false;
  } else {
    protect_local(c, x);
    emit_copy(c, x, e.kind == V_LOCAL ? e.local : home(c, d));
  }
  if (tee) push(c, V_LOCAL, x, 0);
}

/* How many declared locals (from the first one) a call must zero: those up to the last that
 * may be read before anything but a constant zero was written to it. A forward pass over the
 * structured body keeps the set of locals definitely written (bit sets; the set at a label is
 * the intersection of the sets of every branch to it; unreachable code has every local). */
#define ZL_MAX_LOCALS 512
#define ZL_MAX_DEPTH 64
typedef struct zl_set {
  uint64_t w[ZL_MAX_LOCALS / 64];
} zl_set;
typedef struct zl_frame {
  uint8_t kind;
  bool else_seen;
  zl_set at_label, at_entry;
} zl_frame;

static void zl_meet(zl_set *a, const zl_set *b) {
  for (size_t i = 0; i < ZL_MAX_LOCALS / 64; i++) a->w[i] &= b->w[i];
}

static uint32_t zeroed_locals(compiler *c, const uint8_t *p, const uint8_t *end) {
  uint32_t declared = c->local_count - c->param_count;
  if (c->local_count > ZL_MAX_LOCALS) return declared;
  zl_frame *frames = malloc(ZL_MAX_DEPTH * sizeof(zl_frame));
  if (!frames) return declared;
  zl_set all, cur;
  memset(&all, 0xff, sizeof all);
  memset(&cur, 0, sizeof cur);
  uint32_t depth = 1, need_end = c->param_count; /* locals below need_end get zeroed */
  frames[0].kind = C_FUNC;
  bool prev_zero_const = false;
  while (p < end && depth > 0) {
    uint8_t op = *p++;
    bool zero_const = false;
    switch (op) {
    case 0x02: case 0x03: case 0x04: {
      uint32_t np, nr;
      block_type(c, &p, &np, &nr);
      if (depth == ZL_MAX_DEPTH) goto give_up;
      zl_frame *f = &frames[depth++];
      f->kind = op == 0x02 ? C_BLOCK : op == 0x03 ? C_LOOP : C_IF;
      f->else_seen = false;
      f->at_label = all;
      f->at_entry = cur;
      break;
    }
    case 0x05: {
      zl_frame *f = &frames[depth - 1];
      zl_meet(&f->at_label, &cur);
      cur = f->at_entry;
      f->else_seen = true;
      break;
    }
    case 0x0b: {
      zl_frame *f = &frames[depth - 1];
      if (f->kind == C_IF && !f->else_seen) zl_meet(&f->at_label, &f->at_entry);
      if (f->kind != C_LOOP) zl_meet(&cur, &f->at_label);
      depth--;
      break;
    }
    case 0x0c: case 0x0d: {
      uint32_t l = lw_fast_u32(&p);
      if (l >= depth) goto give_up;
      zl_frame *t = &frames[depth - 1 - l];
      if (t->kind != C_LOOP && t->kind != C_FUNC) zl_meet(&t->at_label, &cur);
      if (op == 0x0c) cur = all;
      break;
    }
    case 0x0e: {
      uint32_t n = lw_fast_u32(&p);
      for (uint32_t i = 0; i <= n; i++) {
        uint32_t l = lw_fast_u32(&p);
        if (l >= depth) goto give_up;
        zl_frame *t = &frames[depth - 1 - l];
        if (t->kind != C_LOOP && t->kind != C_FUNC) zl_meet(&t->at_label, &cur);
      }
      cur = all;
      break;
    }
    case 0x00: case 0x0f: cur = all; break;
    case 0x20: {
      uint32_t x = lw_fast_u32(&p);
      if (x >= c->param_count && x < c->local_count && !(cur.w[x / 64] >> (x % 64) & 1) &&
          x + 1 > need_end)
        need_end = x + 1;
      break;
    }
    case 0x21: case 0x22: {
      uint32_t x = lw_fast_u32(&p);
      /* a constant zero written first keeps the local in the zeroed range: the compiler then
       * drops that write */
      if (!prev_zero_const && x < ZL_MAX_LOCALS) cur.w[x / 64] |= 1ull << (x % 64);
      break;
    }
    case 0x41: case 0x42: zero_const = lw_fast_sleb(&p) == 0; break;
    default:
      if (!skip_immediates(op, &p)) goto give_up;
      break;
    }
    prev_zero_const = zero_const;
  }
  free(frames);
  return need_end - c->param_count;
give_up:
  free(frames);
  return declared;
}

/* Collects the body's distinct constants for the pool (up to LW_POOL_MAX). */
static void scan_constants(compiler *c, const uint8_t *p, const uint8_t *end) {
  c->pool_count = 0;
  while (p < end) {
    uint8_t op = *p++;
    uint64_t value;
    switch (op) {
    case 0x02: case 0x03: case 0x04: {
      uint32_t np, nr;
      block_type(c, &p, &np, &nr);
      continue;
    }
    case 0x05: case 0x0b: continue;
    case 0x41: value = (uint32_t)(int32_t)lw_fast_sleb(&p); break;
    case 0x42: value = (uint64_t)lw_fast_sleb(&p); break;
    case 0x43: {
      uint32_t bits;
      memcpy(&bits, p, 4);
      p += 4;
      value = bits;
      break;
    }
    case 0x44: memcpy(&value, p, 8); p += 8; break;
    default:
      if (!skip_immediates(op, &p)) {
        c->pool_count = 0; /* SIMD: compile_function reports it */
        return;
      }
      continue;
    }
    if (pool_find(c, value) < 0 && c->pool_count < LW_POOL_MAX) {
      c->pool_used[c->pool_count] = false;
      c->pool_values[c->pool_count++] = value;
    }
  }
}

static lw_status compile_function(compiler *c, uint32_t def_index) {
  const lw_module *m = c->module;
  lw_func_def *def = &m->funcs[def_index];
  uint32_t func_index = m->imported_func_count + def_index;
  const lw_functype *type = lw_module_func_type(m, func_index);

  c->len = 0;
  c->function_calls = c->call_count;
  c->sp = c->max_sp = 0;
  c->frame_count = 0;
  c->fixup_count = 0;
  c->unreachable = false;
  c->dead_depth = 0;
  c->last.valid = false;
  c->param_count = type->param_count;
  c->local_count = type->param_count + def->local_count;
  c->result_count = type->result_count;
  if (!grow_array(c, (void **)&c->known_gen, &c->known_cap, c->local_count + 1,
                  sizeof(uint32_t)))
    return lw_error_set(c->err, LW_ERR_NOMEM, "out of host memory compiling function %u",
                        func_index);
  {
    uint32_t cap = 0;
    if (!grow_array(c, (void **)&c->known_value, &cap, c->known_cap, sizeof(uint64_t)))
      return lw_error_set(c->err, LW_ERR_NOMEM, "out of host memory compiling function %u",
                          func_index);
  }
  {
    uint32_t cap = 0;
    if (!grow_array(c, (void **)&c->written, &cap, c->known_cap, sizeof(uint8_t)))
      return lw_error_set(c->err, LW_ERR_NOMEM, "out of host memory compiling function %u",
                          func_index);
  }
  memset(c->written, 0, c->local_count);
  c->gen = 1;
  memset(c->known_gen, 0, (size_t)c->local_count * sizeof(uint32_t));
  /* declared locals start at zero, those a call zeroes; the others are never read before
   * written, and nothing may be assumed about them */
  uint32_t zeroed = zeroed_locals(c, def->body, def->body + def->body_len);
  for (uint32_t x = type->param_count; x < c->local_count; x++) {
    if (x < type->param_count + zeroed) {
      c->known_gen[x] = 1;
      c->known_value[x] = 0;
    } else {
      c->written[x] = 1;
    }
  }

  push_frame(c, C_FUNC, 0, type->result_count);

  const uint8_t *p = def->body;
  const uint8_t *end = def->body + def->body_len;
  scan_constants(c, p, end);
  while (p < end && c->frame_count > 0 && !c->nomem) {
    uint8_t op = *p++;
    if (c->unreachable) {
      if (op == 0x02 || op == 0x03 || op == 0x04) {
        uint32_t np, nr;
        block_type(c, &p, &np, &nr);
        c->dead_depth++;
        continue;
      }
      if (op == 0x0b && c->dead_depth > 0) {
        c->dead_depth--;
        continue;
      }
      if (op == 0x05 && c->dead_depth > 0) continue;
      if (op != 0x05 && op != 0x0b) {
        if (!skip_immediates(op, &p))
          return lw_error_set(c->err, LW_ERR_UNSUPPORTED,
                              "function %u uses SIMD instructions, which logwasm does not run",
                              func_index);
        continue;
      }
    }
    switch (op) {
    case 0x00:
      begin(c, LW_OP_unreachable);
      c->unreachable = true;
      break;
    case 0x01: break;
    case 0x02:
    case 0x03: {
      uint32_t np, nr;
      block_type(c, &p, &np, &nr);
      materialize_locals(c);
      for (uint32_t i = 0; i < np; i++) materialize(c, c->sp - np + i);
      cframe *f = push_frame(c, op == 0x02 ? C_BLOCK : C_LOOP, np, nr);
      if (!f) break;
      f->loop_start = c->len;
      if (op == 0x03) label_here(c);
      break;
    }
    case 0x04: {
      uint32_t np, nr;
      block_type(c, &p, &np, &nr);
      /* the condition's compare is taken back first; copies of locals below it do not
       * disturb its operands (they only write slots of deeper entries) */
      cond k = take_cond(c);
      materialize_locals(c);
      for (uint32_t i = 0; i < np; i++) materialize(c, c->sp - np + i);
      uint32_t pos = emit_cond_jump(c, &k, false);
      uint32_t instr = c->instr;
      cframe *f = push_frame(c, C_IF, np, nr);
      if (!f) break;
      f->else_fix.instr = instr;
      f->else_fix.pos = pos;
      c->last.valid = false;
      break;
    }
    case 0x05: {
      cframe *f = &c->frames[c->frame_count - 1];
      if (!c->unreachable) {
        settle_results(c, f);
        f->end_reachable = true;
        begin(c, LW_OP_br);
        uint32_t pos = arg(c, 0);
        add_fixup(c, f, c->instr, pos);
      }
      patch_here(c, f->else_fix);
      f->has_else = true;
      label_here(c);
      reset_stack_to(c, f->height);
      push_slots(c, f->params);
      c->unreachable = false;
      break;
    }
    case 0x0b: {
      cframe *f = &c->frames[c->frame_count - 1];
      if (!c->unreachable) {
        settle_results(c, f);
        f->end_reachable = true;
      }
      if (f->kind == C_FUNC) {
        if (!c->unreachable) emit_return(c);
        /* branches to the function's label were compiled as returns */
        c->frame_count--;
        break;
      }
      if (f->kind == C_IF && !f->has_else) {
        patch_here(c, f->else_fix);
        f->end_reachable = true;
      }
      for (uint32_t i = f->fix_head; i != NO_FIXUP && !c->nomem; i = c->fixups[i].next)
        patch_here(c, c->fixups[i]);
      label_here(c);
      reset_stack_to(c, f->height);
      push_slots(c, f->results);
      c->unreachable = !f->end_reachable;
      c->frame_count--;
      break;
    }
    case 0x0c: {
      uint32_t depth = lw_fast_u32(&p);
      emit_branch(c, &c->frames[c->frame_count - 1 - depth]);
      c->unreachable = true;
      break;
    }
    case 0x0d: {
      uint32_t depth = lw_fast_u32(&p);
      cframe *f = &c->frames[c->frame_count - 1 - depth];
      cond k = take_cond(c);
      if (!branch_needs_moves(c, f)) {
        uint32_t pos = emit_cond_jump(c, &k, true);
        target(c, f, c->instr, pos);
      } else {
        uint32_t pos = emit_cond_jump(c, &k, false);
        fixup skip = {c->instr, pos, NO_FIXUP};
        emit_branch(c, f);
        patch_here(c, skip);
        c->last.valid = false;
      }
      break;
    }
    case 0x0e: {
      uint32_t n = lw_fast_u32(&p);
      uint32_t index;
      use_top(c, 1, &index);
      begin(c, LW_OP_br_table);
      uint32_t instr = c->instr;
      arg(c, index);
      arg(c, n);
      uint32_t first_pos = 0;
      const uint8_t *targets = p;
      for (uint32_t i = 0; i <= n; i++) {
        uint32_t pos = arg(c, 0);
        if (i == 0) first_pos = pos;
        lw_fast_u32(&p);
      }
      /* targets needing moves get a stub after the table */
      for (uint32_t i = 0; i <= n && !c->nomem; i++) {
        uint32_t depth = lw_fast_u32(&targets);
        cframe *f = &c->frames[c->frame_count - 1 - depth];
        if (!branch_needs_moves(c, f)) {
          target(c, f, instr, first_pos + i);
        } else {
          set_u32(c, first_pos + i, c->len - instr);
          emit_branch(c, f);
        }
      }
      c->unreachable = true;
      break;
    }
    case 0x0f:
      emit_return(c);
      c->unreachable = true;
      break;
    case 0x10: {
      uint32_t idx = lw_fast_u32(&p);
      const lw_functype *t = lw_module_func_type(m, idx);
      for (uint32_t i = 0; i < t->param_count; i++) materialize(c, c->sp - t->param_count + i);
      uint32_t base = home(c, c->sp - t->param_count);
      if (idx >= m->imported_func_count) {
        /* the callee's frame size, zeroing and address are filled in once every function is
         * compiled (link_direct_calls) */
        begin(c, LW_OP_call_direct);
        arg(c, base);
        arg(c, 0);
        arg(c, 0);
        arg(c, 0);
        lw_word w = {.u64 = 0};
        put_word(c, w);
        add_call_site(c, c->instr, idx - m->imported_func_count);
      } else {
        begin(c, LW_OP_call);
        arg(c, idx);
        arg(c, base);
      }
      c->sp -= t->param_count;
      push_slots(c, t->result_count);
      break;
    }
    case 0x11: {
      uint32_t type_index = lw_fast_u32(&p);
      uint32_t table_index = lw_fast_u32(&p);
      const lw_functype *t = &m->types[type_index];
      uint32_t elem;
      use_top(c, 1, &elem);
      for (uint32_t i = 0; i < t->param_count; i++) materialize(c, c->sp - t->param_count + i);
      uint32_t base = home(c, c->sp - t->param_count);
      begin(c, LW_OP_call_indirect);
      arg(c, t->canonical_id);
      arg(c, table_index);
      arg(c, elem);
      arg(c, base);
      c->sp -= t->param_count;
      push_slots(c, t->result_count);
      break;
    }
    case 0x1a: c->sp--; break;
    case 0x1c: {
      uint32_t n = lw_fast_u32(&p);
      p += n;
    } /* fall through */
    case 0x1b: {
      uint32_t s[3];
      lw_op sel = LW_OP_select;
      /* select on (x == 0) just computed: test x directly */
      if (c->stack[c->sp - 1].kind == V_SLOT && last_writes(c, home(c, c->sp - 1)) &&
          (c->last.op == LW_OP_i32_eqz || c->last.op == LW_OP_i64_eqz)) {
        sel = c->last.op == LW_OP_i32_eqz ? LW_OP_select_z32 : LW_OP_select_z64;
        uint32_t x = c->last.a;
        c->len = c->last.start;
        c->last.valid = false;
        c->sp--;
        use_top(c, 2, s);
        s[2] = x;
      } else {
        use_top(c, 3, s);
      }
      uint32_t dst = push_result(c);
      begin(c, sel);
      uint32_t pos = arg(c, dst);
      arg(c, s[2]);
      arg(c, s[0]);
      arg(c, s[1]);
      mark_dst(c, pos, dst);
      break;
    }
    case 0x20: push(c, V_LOCAL, lw_fast_u32(&p), 0); break;
    case 0x21: compile_local_set(c, lw_fast_u32(&p), false); break;
    case 0x22: compile_local_set(c, lw_fast_u32(&p), true); break;
    case 0x23: {
      uint32_t g = lw_fast_u32(&p);
      uint32_t dst = push_result(c);
      begin(c, LW_OP_global_get);
      uint32_t pos = arg(c, dst);
      arg(c, g);
      mark_dst(c, pos, dst);
      break;
    }
    case 0x24: {
      uint32_t g = lw_fast_u32(&p);
      uint32_t src;
      use_top(c, 1, &src);
      begin(c, LW_OP_global_set);
      arg(c, src);
      arg(c, g);
      break;
    }
    case 0x25: {
      uint32_t t = lw_fast_u32(&p);
      uint32_t i;
      use_top(c, 1, &i);
      uint32_t dst = push_result(c);
      begin(c, LW_OP_table_get);
      uint32_t pos = arg(c, dst);
      arg(c, t);
      arg(c, i);
      mark_dst(c, pos, dst);
      break;
    }
    case 0x26: {
      uint32_t t = lw_fast_u32(&p);
      uint32_t s[2];
      use_top(c, 2, s);
      begin(c, LW_OP_table_set);
      arg(c, t);
      arg(c, s[0]);
      arg(c, s[1]);
      break;
    }
#define X(code, name, bytes)                                                                   \
    case code: {                                                                               \
      lw_fast_u32(&p);                                                                         \
      uint32_t offset = lw_fast_u32(&p);                                                       \
      uint32_t addr, disp;                                                                     \
      if (code == 0x2d && take_pre_increment(c, &addr, &disp)) {                               \
        c->sp--;                                                                               \
        uint32_t dst = push_result(c);                                                         \
        begin(c, LW_OP_i32_load8_u_pre);                                                       \
        uint32_t pos = arg(c, dst);                                                            \
        arg(c, addr);                                                                          \
        arg(c, disp);                                                                          \
        arg(c, offset);                                                                        \
        mark_dst(c, pos, dst);                                                                 \
        c->last.op = LW_OP_i32_load8_u_pre;                                                    \
        break;                                                                                 \
      }                                                                                        \
      int fused = take_displacement(c, c->sp - 1, &addr, &disp);                               \
      if (!fused && c->stack[c->sp - 1].kind == V_ADDK) {                                      \
        fused = 1;                                                                             \
        addr = c->stack[c->sp - 1].local;                                                      \
        disp = (uint32_t)c->stack[c->sp - 1].value;                                            \
      }                                                                                        \
      if (!fused) use_top(c, 1, &addr);                                                        \
      else c->sp--;                                                                            \
      uint32_t dst = push_result(c);                                                           \
      begin(c, fused == 1 ? LW_OP_##name##_d : fused ? LW_OP_##name##_x : LW_OP_##name);       \
      uint32_t pos = arg(c, dst);                                                              \
      arg(c, addr);                                                                            \
      arg(c, offset);                                                                          \
      if (fused) arg(c, disp);                                                                 \
      mark_dst(c, pos, dst);                                                                   \
      c->last.op = fused == 1 ? LW_OP_##name##_d : fused ? LW_OP_##name##_x : LW_OP_##name;    \
      c->last.a = addr;                                                                        \
      c->last.offset = offset;                                                                 \
      c->last.disp = disp;                                                                     \
      break;                                                                                   \
    }
    LW_LOADS(X)
#undef X
#define X(code, name, bytes)                                                                   \
    case code: {                                                                               \
      lw_fast_u32(&p);                                                                         \
      uint32_t offset = lw_fast_u32(&p);                                                       \
      uint32_t s[2], disp = 0;                                                                 \
      /* the value must not need writing to its slot: the folded add may read that slot */   \
      const ventry *val = &c->stack[c->sp - 1];                                                \
      int fused = val->kind == V_LOCAL || (val->kind == V_CONST && pool_find(c, val->value) >= 0) \
                      ? take_displacement(c, c->sp - 2, &s[0], &disp)                          \
                      : 0;                                                                     \
      if (!fused && c->stack[c->sp - 2].kind == V_ADDK) {                                      \
        fused = 1;                                                                             \
        s[0] = c->stack[c->sp - 2].local;                                                      \
        disp = (uint32_t)c->stack[c->sp - 2].value;                                            \
      }                                                                                        \
      if (fused) {                                                                             \
        s[1] = use(c, c->sp - 1);                                                              \
        c->sp -= 2;                                                                            \
      } else {                                                                                 \
        use_top(c, 2, s);                                                                      \
      }                                                                                        \
      begin(c, fused == 1 ? LW_OP_##name##_d : fused ? LW_OP_##name##_x : LW_OP_##name);       \
      arg(c, s[0]);                                                                            \
      arg(c, s[1]);                                                                            \
      arg(c, offset);                                                                          \
      if (fused) arg(c, disp);                                                                 \
      break;                                                                                   \
    }
    LW_STORES(X)
#undef X
    case 0x3f: {
      lw_fast_u32(&p);
      uint32_t dst = push_result(c);
      begin(c, LW_OP_memory_size);
      uint32_t pos = arg(c, dst);
      mark_dst(c, pos, dst);
      break;
    }
    case 0x40: {
      lw_fast_u32(&p);
      uint32_t delta;
      use_top(c, 1, &delta);
      uint32_t dst = push_result(c);
      begin(c, LW_OP_memory_grow);
      uint32_t pos = arg(c, dst);
      arg(c, delta);
      mark_dst(c, pos, dst);
      break;
    }
    case 0x41: push(c, V_CONST, 0, (uint32_t)(int32_t)lw_fast_sleb(&p)); break;
    case 0x42: push(c, V_CONST, 0, (uint64_t)lw_fast_sleb(&p)); break;
    case 0x43: {
      uint32_t bits;
      memcpy(&bits, p, 4);
      p += 4;
      push(c, V_CONST, 0, bits);
      break;
    }
    case 0x44: {
      uint64_t bits;
      memcpy(&bits, p, 8);
      p += 8;
      push(c, V_CONST, 0, bits);
      break;
    }
    /* reinterpretations change no bits */
    case 0xbc: case 0xbd: case 0xbe: case 0xbf: break;
    case 0xd0: p++; push(c, V_CONST, 0, 0); break;
    case 0xd2: {
      uint32_t idx = lw_fast_u32(&p);
      uint32_t dst = push_result(c);
      begin(c, LW_OP_ref_func);
      uint32_t pos = arg(c, dst);
      arg(c, idx);
      mark_dst(c, pos, dst);
      break;
    }
    case 0xfc: {
      uint32_t sub = lw_fast_u32(&p);
      if (sub <= 7) {
        compile_numeric(c, 0x100 + sub);
        break;
      }
      uint32_t s[3];
      switch (sub) {
      case 8: { /* memory.init */
        uint32_t seg = lw_fast_u32(&p);
        p++;
        use_top(c, 3, s);
        begin(c, LW_OP_memory_init);
        arg(c, seg); arg(c, s[0]); arg(c, s[1]); arg(c, s[2]);
        break;
      }
      case 9:
        begin(c, LW_OP_data_drop);
        arg(c, lw_fast_u32(&p));
        break;
      case 10:
        p += 2;
        use_top(c, 3, s);
        begin(c, LW_OP_memory_copy);
        arg(c, s[0]); arg(c, s[1]); arg(c, s[2]);
        break;
      case 11:
        p++;
        use_top(c, 3, s);
        begin(c, LW_OP_memory_fill);
        arg(c, s[0]); arg(c, s[1]); arg(c, s[2]);
        break;
      case 12: { /* table.init elem table */
        uint32_t seg = lw_fast_u32(&p);
        uint32_t t = lw_fast_u32(&p);
        use_top(c, 3, s);
        begin(c, LW_OP_table_init);
        arg(c, t); arg(c, seg); arg(c, s[0]); arg(c, s[1]); arg(c, s[2]);
        break;
      }
      case 13:
        begin(c, LW_OP_elem_drop);
        arg(c, lw_fast_u32(&p));
        break;
      case 14: { /* table.copy dst src */
        uint32_t td = lw_fast_u32(&p);
        uint32_t ts = lw_fast_u32(&p);
        use_top(c, 3, s);
        begin(c, LW_OP_table_copy);
        arg(c, td); arg(c, ts); arg(c, s[0]); arg(c, s[1]); arg(c, s[2]);
        break;
      }
      case 15: { /* table.grow: init n -> old */
        uint32_t t = lw_fast_u32(&p);
        use_top(c, 2, s);
        uint32_t dst = push_result(c);
        begin(c, LW_OP_table_grow);
        arg(c, dst); arg(c, t); arg(c, s[0]); arg(c, s[1]);
        break;
      }
      case 16: {
        uint32_t t = lw_fast_u32(&p);
        uint32_t dst = push_result(c);
        begin(c, LW_OP_table_size);
        arg(c, dst); arg(c, t);
        break;
      }
      case 17: { /* table.fill: i v n */
        uint32_t t = lw_fast_u32(&p);
        use_top(c, 3, s);
        begin(c, LW_OP_table_fill);
        arg(c, t); arg(c, s[0]); arg(c, s[1]); arg(c, s[2]);
        break;
      }
      default:
        return lw_error_set(c->err, LW_ERR_UNSUPPORTED,
                            "function %u: unsupported instruction 0xfc %u", func_index, sub);
      }
      break;
    }
    default:
      if ((op >= 0x45 && op <= 0xc4) || op == 0xd1) {
        if (num_table[op].op < 0) goto unsupported;
        compile_numeric(c, op);
        break;
      }
    unsupported:
      return lw_error_set(c->err, LW_ERR_UNSUPPORTED,
                          "function %u: unsupported instruction 0x%02x at byte %zu", func_index,
                          op, def->body_offset + (size_t)(p - 1 - def->body));
    }
  }
  if (c->nomem) return lw_error_set(c->err, LW_ERR_NOMEM, "out of host memory compiling function %u", func_index);

  /* the pool's initialisation goes in front (branch offsets are relative: nothing moves) */
  uint32_t used = 0;
  for (uint32_t j = 0; j < c->pool_count; j++) used += c->pool_used[j];
  uint32_t prefix = used ? 2 + 2 * used : 0;
  struct lw_code *code = &c->codes[def_index];
  lw_word *words = malloc((size_t)(c->len + prefix ? c->len + prefix : 1) * sizeof(lw_word));
  if (words && used) {
    uint32_t w = 0;
    words[w++].handler = c->handlers[LW_OP_init_consts];
    words[w].u64 = 0;
    words[w++].u32[0] = used;
    for (uint32_t j = 0; j < c->pool_count; j++) {
      if (!c->pool_used[j]) continue;
      words[w].u64 = 0;
      words[w++].u32[0] = c->local_count + j;
      words[w++].u64 = c->pool_values[j];
    }
  }
  if (!words) {
    return lw_error_set(c->err, LW_ERR_NOMEM, "out of host memory compiling function %u",
                        func_index);
  }
  memcpy(words + prefix, c->code, (size_t)c->len * sizeof(lw_word));
  for (uint32_t i = c->function_calls; i < c->call_count; i++) {
    c->calls[i].caller = def_index;
    c->calls[i].instr += prefix;
  }
  code->start = words;
  code->word_count = c->len + prefix;
  code->param_count = type->param_count;
  code->local_count = c->local_count;
  code->result_count = type->result_count;
  /* +1: host calls and scratch may touch one slot past the deepest entry */
  code->frame_slots = c->local_count + c->pool_count + c->max_sp + 1;
  /* the interpreter zeroes declared locals four slots at a time */
  uint32_t zero_end = type->param_count + (zeroed + 3) / 4 * 4;
  if (code->frame_slots < zero_end) code->frame_slots = zero_end;
  code->zero_groups = (zeroed + 3) / 4;
  code->func_index = func_index;
  def->code = code;
  return LW_OK;
}

/* Fills in every call_direct: the callee's frame size, which locals to zero (the handler
 * says how many groups of four, up to two; more take the looping form) and its address. */
static void link_direct_calls(compiler *c) {
  for (uint32_t i = 0; i < c->call_count; i++) {
    const call_site *site = &c->calls[i];
    const struct lw_code *callee = &c->codes[site->callee];
    lw_word *w = c->codes[site->caller].start + site->instr;
    lw_op op = callee->zero_groups == 0   ? LW_OP_call_direct_z0
               : callee->zero_groups == 1 ? LW_OP_call_direct_z1
               : callee->zero_groups == 2 ? LW_OP_call_direct_z2
                                          : LW_OP_call_direct;
    w[0].handler = c->handlers[op];
    w[1].u32[1] = callee->frame_slots;
    w[2].u32[0] = callee->param_count;
    w[2].u32[1] = callee->zero_groups;
    w[3].handler = callee->start;
  }
}

lw_status lw_compile(lw_module *module, lw_error *err) {
  pthread_once(&tables_once, init_tables);
  compiler c;
  memset(&c, 0, sizeof c);
  c.module = module;
  c.handlers = lw_interp_handlers();
  c.err = err;
  c.codes = calloc(module->defined_func_count ? module->defined_func_count : 1,
                   sizeof(struct lw_code));
  if (!c.codes) return lw_error_set(err, LW_ERR_NOMEM, "out of host memory compiling the module");
  module->compiled = c.codes;
  lw_status status = LW_OK;
  for (uint32_t i = 0; i < module->defined_func_count; i++) {
    status = compile_function(&c, i);
    if (status != LW_OK) break;
  }
  if (status == LW_OK) link_direct_calls(&c);
  free(c.calls);
  free(c.code);
  free(c.stack);
  free(c.frames);
  free(c.fixups);
  free(c.known_gen);
  free(c.known_value);
  free(c.written);
  if (status != LW_OK) lw_compiled_free(module);
  return status;
}

void lw_compiled_free(lw_module *module) {
  struct lw_code *codes = module->compiled;
  if (!codes) return;
  for (uint32_t i = 0; i < module->defined_func_count; i++) {
    free(codes[i].start);
    module->funcs[i].code = NULL;
  }
  free(codes);
  module->compiled = NULL;
}
