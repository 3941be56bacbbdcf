/* The interpreter: runs the register code of code.h with direct-threaded dispatch.
 *
 * One function (run) holds every handler so gcc keeps the hot state in registers: ip (next
 * instruction), fp (frame base slot), the memory's base and size, and a poll budget. Wasm calls
 * do not recurse in C: the caller's arguments already sit at the top of its frame, which
 * becomes the callee's frame base (results come back in the same slots); the return address
 * goes into a frame record. Frame records grow down from the top of the store's value stack,
 * frames grow up from the bottom; the two meeting is "call stack exhausted".
 *
 * Nested entries (a host function calling back into wasm in the same store) continue above the
 * running activation, found through a per-thread list of activations. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "aot/aot.h"
#include "code.h"

/* Wasm rounds every operation separately: no fused multiply-add. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#else
/* ...and the few locals a call zeroes are not worth a call to memset. */
#pragma GCC optimize("fp-contract=off", "no-tree-loop-distribute-patterns", "no-tree-slp-vectorize")
#endif

/* ---- numeric helpers used by the expressions in code.h -------------------------------------- */

static inline uint32_t lw_rotl32(uint32_t a, uint32_t b) {
  b &= 31;
  return (a << b) | (a >> ((32 - b) & 31));
}
static inline uint32_t lw_rotr32(uint32_t a, uint32_t b) {
  b &= 31;
  return (a >> b) | (a << ((32 - b) & 31));
}
static inline uint64_t lw_rotl64(uint64_t a, uint64_t b) {
  b &= 63;
  return (a << b) | (a >> ((64 - b) & 63));
}
static inline uint64_t lw_rotr64(uint64_t a, uint64_t b) {
  b &= 63;
  return (a >> b) | (a << ((64 - b) & 63));
}

static inline uint32_t f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static inline float bits_f32(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}
static inline uint64_t f64_bits(double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}
static inline double bits_f64(uint64_t u) {
  double d;
  memcpy(&d, &u, 8);
  return d;
}

/* abs/neg/copysign work on the sign bit only: NaN payloads pass through unchanged. */
static inline float lw_f32_abs(float a) { return bits_f32(f32_bits(a) & 0x7fffffffu); }
static inline float lw_f32_neg(float a) { return bits_f32(f32_bits(a) ^ 0x80000000u); }
static inline float lw_f32_copysign(float a, float b) {
  return bits_f32((f32_bits(a) & 0x7fffffffu) | (f32_bits(b) & 0x80000000u));
}
static inline double lw_f64_abs(double a) { return bits_f64(f64_bits(a) & 0x7fffffffffffffffull); }
static inline double lw_f64_neg(double a) { return bits_f64(f64_bits(a) ^ 0x8000000000000000ull); }
static inline double lw_f64_copysign(double a, double b) {
  return bits_f64((f64_bits(a) & 0x7fffffffffffffffull) | (f64_bits(b) & 0x8000000000000000ull));
}

/* min/max: NaN if either is NaN (a + b yields a quiet NaN), and -0 < +0. */
static inline float lw_f32_min(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == b) return bits_f32(f32_bits(a) | f32_bits(b));
  return a < b ? a : b;
}
static inline float lw_f32_max(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == b) return bits_f32(f32_bits(a) & f32_bits(b));
  return a > b ? a : b;
}
static inline double lw_f64_min(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return bits_f64(f64_bits(a) | f64_bits(b));
  return a < b ? a : b;
}
static inline double lw_f64_max(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return bits_f64(f64_bits(a) & f64_bits(b));
  return a > b ? a : b;
}

/* Rounding: libm may hand a signalling NaN back unchanged; wasm wants it quieted. */
#define ROUNDING(name, type, fn) \
  static inline type name(type a) { return a != a ? a + a : fn(a); }
ROUNDING(lw_f32_ceil, float, ceilf)
ROUNDING(lw_f32_floor, float, floorf)
ROUNDING(lw_f32_trunc, float, truncf)
ROUNDING(lw_f32_nearest, float, rintf)
ROUNDING(lw_f64_ceil, double, ceil)
ROUNDING(lw_f64_floor, double, floor)
ROUNDING(lw_f64_trunc, double, trunc)
ROUNDING(lw_f64_nearest, double, rint)

/* Saturating truncations. */
static inline uint32_t sat_i32_s(double a) {
  if (a != a) return 0;
  if (a <= -2147483649.0) return 0x80000000u;
  if (a >= 2147483648.0) return 0x7fffffffu;
  return (uint32_t)(int32_t)a;
}
static inline uint32_t sat_i32_u(double a) {
  if (a != a || a <= -1.0) return 0;
  if (a >= 4294967296.0) return 0xffffffffu;
  return (uint32_t)a;
}
static inline uint64_t sat_i64_s(double a) {
  if (a != a) return 0;
  if (a < -9223372036854775808.0) return 0x8000000000000000ull;
  if (a >= 9223372036854775808.0) return 0x7fffffffffffffffull;
  return (uint64_t)(int64_t)a;
}
static inline uint64_t sat_i64_u(double a) {
  if (a != a || a <= -1.0) return 0;
  if (a >= 18446744073709551616.0) return ~0ull;
  return (uint64_t)a;
}

/* ---- frames and activations ------------------------------------------------------------------- */

typedef struct lw_frame {
  const lw_word *ret_ip;
  lw_slot *fp;
  lw_instance *inst;
} lw_frame;

typedef struct activation {
  lw_store *store;
  lw_slot *top;       /* first slot not in use (valid while a host function runs) */
  lw_frame *frames;   /* lowest frame record in use */
  struct activation *prev;
} activation;

static __thread activation *current_activation;

/* Taken branches and function entries spend one unit; at zero the slow path looks at the
 * interrupt flag and the deadline. */
#define POLL_INTERVAL 1024

static const void **handler_table;
static lw_word exit_code[1];
static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

typedef struct entry {
  lw_func *func;
  lw_slot *fp;
  lw_frame *frames;
  activation *act;
  lw_error *err;
} entry;

static lw_status run(const entry *e);

/* The function whose code holds ip (for trap messages; frames do not track functions). */
static lw_func *func_at(lw_instance *inst, const lw_word *ip, lw_func *fallback) {
  const lw_module *m = inst->module;
  for (uint32_t i = 0; i < m->defined_func_count; i++) {
    const struct lw_code *code = m->funcs[i].code;
    if (code && ip >= code->start && ip < code->start + code->word_count)
      return inst->funcs[m->imported_func_count + i];
  }
  return fallback;
}

static void init_handlers(void) { run(NULL); }

const void *const *lw_interp_handlers(void) {
  pthread_once(&handlers_once, init_handlers);
  return handler_table;
}

/* ---- the interpreter loop ------------------------------------------------------------------- */

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

#define U32(k) (ip[1 + (k) / 2].u32[(k) % 2])
#define OFF(k) ((int32_t)U32(k))
#define SL(k) fp[U32(k)]
#define RI(k) ((uint32_t)SL(k))
#define RL(k) ((uint64_t)SL(k))
#define RF(k) bits_f32((uint32_t)SL(k))
#define RD(k) bits_f64(SL(k))
#define WI(k, v) (SL(k) = (uint32_t)(v))
#define WL(k, v) (SL(k) = (uint64_t)(v))
#define WF(k, v) (SL(k) = f32_bits(v))
#define WD(k, v) (SL(k) = f64_bits(v))
#define IMMI(k) U32(k)
#define IMML(k) ((uint64_t)(int64_t)OFF(k))
typedef uint32_t T_I;
typedef uint64_t T_L;
typedef float T_F;
typedef double T_D;

#ifdef LW_INTERP_PROFILE
/* Development aid (-DLW_INTERP_PROFILE): counts executed instructions and pairs, printed at
 * exit, to pick superinstructions. */
#include <stdio.h>
static const char *const op_names[LW_OP_COUNT] = {
#define PN_MISC(name) [LW_OP_##name] = #name,
#define PN_BIN_Y(name) [LW_OP_##name##_si] = #name "_si",
#define PN_BIN_N(name)
#define PN_BR_B(name) [LW_OP_br_##name##_ss] = "br_" #name, [LW_OP_br_##name##_si] = "br_" #name "_si", \
  [LW_OP_addbr_##name##_ss] = "addbr_" #name, [LW_OP_addbr_##name##_si] = "addbr_" #name "_si", \
  [LW_OP_add2br_##name##_si] = "add2br_" #name "_si",
#define PN_BR_N(name)
#define PN_BIN(code, name, ta, tr, imm, br, expr) [LW_OP_##name] = #name, PN_BIN_##imm(name) PN_BR_##br(name)
#define PN_UN(code, name, ta, tr, expr) [LW_OP_##name] = #name,
#define PN_NAMED(code, name) [LW_OP_##name] = #name,
#define PN_MEM(code, name, bytes) [LW_OP_##name] = #name, [LW_OP_##name##_d] = #name "_d", [LW_OP_##name##_x] = #name "_x",
    LW_MISC_OPS(PN_MISC) LW_BINOPS(PN_BIN) LW_UNOPS(PN_UN) LW_TRAPPING_BINOPS(PN_NAMED)
    LW_SPECIAL_UNOPS(PN_NAMED) LW_LOADS(PN_MEM) LW_STORES(PN_MEM)};
static uint64_t prof_count[LW_OP_COUNT], prof_pair[LW_OP_COUNT][LW_OP_COUNT];
static int prof_prev;
static const void *prof_keys[8192];
static int prof_vals[8192];
static int prof_op(const void *h) {
  size_t k = ((uintptr_t)h >> 2) & 8191;
  while (prof_keys[k] && prof_keys[k] != h) k = (k + 1) & 8191;
  if (prof_keys[k]) return prof_vals[k];
  int op = 0;
  for (int i = 0; i < LW_OP_COUNT; i++)
    if (handler_table[i] == h) op = i;
  prof_keys[k] = h;
  prof_vals[k] = op;
  return op;
}
static void prof_report(void) {
  uint64_t total = 0;
  for (int i = 0; i < LW_OP_COUNT; i++) total += prof_count[i];
  fprintf(stderr, "instructions: %llu\n", (unsigned long long)total);
  for (int k = 0; k < 40; k++) {
    int best = -1;
    for (int i = 0; i < LW_OP_COUNT; i++)
      if (prof_count[i] && (best < 0 || prof_count[i] > prof_count[best])) best = i;
    if (best < 0) break;
    fprintf(stderr, "  %5.2f%% %s\n", 100.0 * prof_count[best] / total, op_names[best]);
    prof_count[best] = 0;
  }
  for (int k = 0; k < 40; k++) {
    int ba = -1, bb = -1;
    for (int a = 0; a < LW_OP_COUNT; a++)
      for (int b = 0; b < LW_OP_COUNT; b++)
        if (prof_pair[a][b] && (ba < 0 || prof_pair[a][b] > prof_pair[ba][bb])) ba = a, bb = b;
    if (ba < 0) break;
    fprintf(stderr, "  pair %5.2f%% %s -> %s\n", 100.0 * prof_pair[ba][bb] / total, op_names[ba],
            op_names[bb]);
    prof_pair[ba][bb] = 0;
  }
}
/* per instruction address: where the hot loops are (function index and word offset) */
#define PROF_IPS 65536
static const lw_word *prof_ip_keys[PROF_IPS];
static uint64_t prof_ip_counts[PROF_IPS];
static uint32_t prof_ip_func[PROF_IPS], prof_ip_off[PROF_IPS];
static const lw_module *prof_module;
static void prof_ip_report(void) {
  uint64_t total = 0;
  for (int i = 0; i < PROF_IPS; i++) total += prof_ip_counts[i];
  static uint64_t per_func[65536];
  for (int i = 0; i < PROF_IPS; i++)
    if (prof_ip_counts[i]) per_func[prof_ip_func[i] & 65535] += prof_ip_counts[i];
  for (uint32_t f = 0; f < 65536; f++)
    if (per_func[f] * 200 > total)
      fprintf(stderr, "  func %u %5.2f%%\n", f, 100.0 * per_func[f] / total);
  for (int k = 0; k < 80; k++) {
    int best = -1;
    for (int i = 0; i < PROF_IPS; i++)
      if (prof_ip_counts[i] && (best < 0 || prof_ip_counts[i] > prof_ip_counts[best])) best = i;
    if (best < 0) break;
    fprintf(stderr, "  ip %5.2f%% func %u +%u %s\n", 100.0 * prof_ip_counts[best] / total,
            prof_ip_func[best], prof_ip_off[best], op_names[prof_op(prof_ip_keys[best]->handler)]);
    prof_ip_counts[best] = 0;
  }
}
static void prof_ip_hit(const lw_word *ip, const lw_module *m) {
  static int registered;
  if (!registered) registered = 1, atexit(prof_ip_report);
  if (!prof_module || m->defined_func_count > prof_module->defined_func_count) prof_module = m;
  size_t k = ((uintptr_t)ip >> 3) & (PROF_IPS - 1);
  while (prof_ip_keys[k] && prof_ip_keys[k] != ip) k = (k + 1) & (PROF_IPS - 1);
  if (!prof_ip_keys[k]) {
    /* where it is, found now: the module may be freed before the report */
    for (uint32_t f = 0; f < m->defined_func_count; f++) {
      const struct lw_code *code = m->funcs[f].code;
      if (code && ip >= code->start && ip < code->start + code->word_count) {
        prof_ip_func[k] = code->func_index;
        prof_ip_off[k] = (uint32_t)(ip - code->start);
      }
    }
  }
  prof_ip_keys[k] = ip;
  prof_ip_counts[k]++;
}
static void prof_hit(const void *h) {
  static int registered;
  if (!registered) registered = 1, atexit(prof_report);
  int op = prof_op(h);
  prof_count[op]++;
  prof_pair[prof_prev][op]++;
  prof_prev = op;
}
#define DISPATCH()          \
  do {                      \
    prof_hit(ip->handler);  \
    prof_ip_hit(ip, inst->module); \
    goto *ip->handler;      \
  } while (0)
#else
#define DISPATCH() goto *ip->handler
#endif
#define NEXT(n)                  \
  do {                           \
    ip += 1 + ((n) + 1) / 2;     \
    DISPATCH();                  \
  } while (0)
#define JUMP(off)                                  \
  do {                                             \
    ip += (off);                                   \
    if (UNLIKELY(--budget < 0)) goto poll_slow;    \
    DISPATCH();                                    \
  } while (0)
#define TRAP(t)     \
  do {              \
    trap = (t);     \
    goto trapped;   \
  } while (0)

/* Reload the cached memory after anything that may have moved or resized it. */
#define LOAD_MEMORY()                  \
  do {                                 \
    mem = inst->memory0;               \
    if (mem) {                         \
      mb = mem->data;                  \
      ms = mem->size;                  \
    } else {                           \
      mb = NULL;                       \
      ms = 0;                          \
    }                                  \
  } while (0)

static lw_status run(const entry *e) {
#define LBL_MISC(name) [LW_OP_##name] = &&L_##name,
#define LBL_BIN_Y(name) [LW_OP_##name##_si] = &&L_##name##_si,
#define LBL_BIN_N(name)
#define LBL_BR_B(name) [LW_OP_br_##name##_ss] = &&L_br_##name##_ss, \
                       [LW_OP_br_##name##_si] = &&L_br_##name##_si, \
                       [LW_OP_addbr_##name##_ss] = &&L_addbr_##name##_ss, \
                       [LW_OP_addbr_##name##_si] = &&L_addbr_##name##_si, \
                       [LW_OP_add2br_##name##_si] = &&L_add2br_##name##_si,
#define LBL_BR_N(name)
#define LBL_BIN(code, name, ta, tr, imm, br, expr) \
  [LW_OP_##name] = &&L_##name, LBL_BIN_##imm(name) LBL_BR_##br(name)
#define LBL_UN(code, name, ta, tr, expr) [LW_OP_##name] = &&L_##name,
#define LBL_NAMED(code, name) [LW_OP_##name] = &&L_##name,
#define LBL_MEM(code, name, bytes) \
  [LW_OP_##name] = &&L_##name, [LW_OP_##name##_d] = &&L_##name##_d, [LW_OP_##name##_x] = &&L_##name##_x,
  static const void *labels[LW_OP_COUNT] = {
      LW_MISC_OPS(LBL_MISC) LW_BINOPS(LBL_BIN) LW_UNOPS(LBL_UN)
      LW_TRAPPING_BINOPS(LBL_NAMED) LW_SPECIAL_UNOPS(LBL_NAMED)
      LW_LOADS(LBL_MEM) LW_STORES(LBL_MEM)};
  if (!e) {
    handler_table = labels;
    exit_code[0].handler = &&L_exit;
    return LW_OK;
  }

  lw_func *func = e->func;
  lw_instance *inst = func->instance;
  const struct lw_code *code;
  lw_store *store = func->store;
  lw_memory *mem;
  /* The hottest state, pinned to callee-saved registers on x86-64 (gcc otherwise spills the
   * memory base and size because of the calls in rare handlers). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__OPTIMIZE__) && \
    !defined(__SANITIZE_ADDRESS__)
  register uint8_t *mb __asm__("r12");
  register uint64_t ms __asm__("r13");
  register const lw_word *ip __asm__("rbx");
  register lw_slot *fp __asm__("r14");
  register lw_frame *fr __asm__("r15"); /* calls and returns touch it every time */
#else
  lw_frame *fr;
  uint8_t *mb;
  uint64_t ms;
  const lw_word *ip;
  lw_slot *fp;
#endif
  fp = e->fp;
  fr = e->frames;
  /* The call depth is implied by the frame records: each wasm call pushes one, so the depth
   * limit becomes a lowest address for them (the value stack meeting them is checked too). */
  const uint32_t entry_depth = store->call_depth;
  uintptr_t frames_floor;
  {
    uint64_t allowed = store->config.max_call_depth > entry_depth
                           ? store->config.max_call_depth - entry_depth
                           : 0;
    uint64_t bytes = allowed * sizeof(lw_frame);
    uintptr_t top = (uintptr_t)e->frames;
    uintptr_t bottom = (uintptr_t)store->stack;
    frames_floor = top - bottom > bytes ? top - bytes : bottom;
  }
#define DEPTH_NOW() (entry_depth + (uint32_t)((lw_frame *)(void *)e->frames - fr))
  int32_t budget = POLL_INTERVAL;
  lw_trap trap = LW_TRAP_NONE;
  const char *trap_text = NULL;
  lw_status status;

  /* callee state for the shared call paths */
  lw_func *callee;
  lw_slot *new_fp;
  const lw_word *ret_ip;

  LOAD_MEMORY();

  /* the entry frame returns to the exit instruction */
  fr--;
  fr->ret_ip = exit_code;
  fr->fp = fp;
  fr->inst = inst;
  ip = func->code->start;
  if (UNLIKELY(lw_store_should_stop(store))) TRAP(LW_TRAP_INTERRUPTED);
  DISPATCH();

  /* ---- control ---- */
L_unreachable:
  TRAP(LW_TRAP_UNREACHABLE);
L_br:
  JUMP(OFF(0));
L_br_if_nez:
  if (RI(0)) JUMP(OFF(1));
  NEXT(2);
L_br_if_eqz:
  if (!RI(0)) JUMP(OFF(1));
  NEXT(2);
L_br_table: {
  uint32_t i = RI(0), n = U32(1);
  if (i > n) i = n;
  JUMP((int32_t)ip[1 + (2 + i) / 2].u32[(2 + i) % 2]);
}
L_return1:
  fp[0] = SL(0);
  /* fall through */
L_return0:
  ip = fr->ret_ip;
  fp = fr->fp;
  fr++;
  /* Within one instance mb and ms are current: memory.grow reloads them and every other way
   * the memory can change (host and compiled calls, other instances) reloads them on the way
   * back or here. A frame record whose fp has its low bit set was pushed by a call into
   * another instance and holds the caller's instance. */
  if (UNLIKELY((uintptr_t)fp & 1)) {
    fp = (lw_slot *)((uintptr_t)fp - 1);
    inst = fr[-1].inst;
    LOAD_MEMORY();
  }
  DISPATCH();
L_exit:
  status = LW_OK;
  goto done;

  /* Direct calls within the module: the callee's frame size, the locals to zero and its
   * first instruction are operands, so nothing is loaded from the callee's lw_code. */
#define CALL_DIRECT(label, zero)                                                               \
  L_##label : {                                                                                \
    lw_slot *callee_fp = fp + U32(0);                                                          \
    if (UNLIKELY((uintptr_t)(fr - 1) < frames_floor ||                                         \
                 callee_fp + U32(1) > (lw_slot *)(void *)(fr - 1)))                            \
      TRAP(LW_TRAP_CALL_STACK_EXHAUSTED);                                                      \
    fr--;                                                                                      \
    fr->ret_ip = ip + 4;                                                                       \
    fr->fp = fp;                                                                               \
    fp = callee_fp;                                                                            \
    lw_slot *z = fp + U32(2);                                                                  \
    zero;                                                                                      \
    ip = (const lw_word *)ip[3].handler;                                                       \
    if (UNLIKELY(--budget < 0)) goto poll_slow;                                                \
    DISPATCH();                                                                                \
  }
#define ZERO4(z) ((z)[0] = 0, (z)[1] = 0, (z)[2] = 0, (z)[3] = 0)
  CALL_DIRECT(call_direct_z0, (void)z)
  CALL_DIRECT(call_direct_z1, ZERO4(z))
  CALL_DIRECT(call_direct_z2, (ZERO4(z), ZERO4(z + 4)))
  CALL_DIRECT(call_direct, for (uint32_t n = U32(3); n; n--, z += 4) ZERO4(z))
L_call:
  callee = inst->funcs[U32(0)];
  new_fp = fp + U32(1);
  ret_ip = ip + 2;
  goto do_call;
L_call_indirect: {
  lw_table *tab = inst->tables[U32(1)];
  uint32_t i = RI(2);
  if (UNLIKELY(i >= tab->size)) {
    trap_text = "undefined element";
    TRAP(LW_TRAP_TABLE_OUT_OF_BOUNDS);
  }
  callee = (lw_func *)(uintptr_t)tab->elems[i];
  if (UNLIKELY(!callee)) {
    trap_text = "uninitialized element";
    TRAP(LW_TRAP_INDIRECT_NULL);
  }
  if (UNLIKELY(callee->type_id != U32(0))) TRAP(LW_TRAP_INDIRECT_MISMATCH);
  new_fp = fp + U32(3);
  ret_ip = ip + 3;
  /* a function of this instance (so neither a host function nor compiled code) */
  if (UNLIKELY(callee->instance != inst)) goto do_call;
  code = callee->code;
  if (UNLIKELY((uintptr_t)(fr - 1) < frames_floor ||
               new_fp + code->frame_slots > (lw_slot *)(void *)(fr - 1)))
    TRAP(LW_TRAP_CALL_STACK_EXHAUSTED);
  fr--;
  fr->ret_ip = ret_ip;
  fr->fp = fp;
  goto enter_frame;
}

do_call: /* any function but one of this instance */
  if (UNLIKELY(callee->host != NULL)) goto call_host;
  if (UNLIKELY(lw_aot_module_is_compiled(callee->instance->module)))
    goto call_host; /* compiled code: enter it through lw_aot_invoke */
  code = callee->code;
  if (UNLIKELY((uintptr_t)(fr - 1) < frames_floor ||
               new_fp + code->frame_slots > (lw_slot *)(void *)(fr - 1)))
    TRAP(LW_TRAP_CALL_STACK_EXHAUSTED);
  /* into another instance: the frame record keeps ours (and says so) */
  fr--;
  fr->ret_ip = ret_ip;
  fr->fp = (lw_slot *)((uintptr_t)fp | 1);
  fr->inst = inst;
  inst = callee->instance;
  LOAD_MEMORY();
enter_frame:
  fp = new_fp;
  {
    /* Declared locals start at zero. Four slots at a time: the compiler sizes every frame so
     * that the up to three slots past the locals are its own (pool or operand slots, written
     * before they are read). */
    lw_slot *z = fp + code->param_count;
    for (uint32_t n = code->zero_groups; n; n--, z += 4) ZERO4(z);
  }
  ip = code->start;
  if (UNLIKELY(--budget < 0)) goto poll_slow;
  DISPATCH();

call_host: {
  const lw_functype *t = callee->type;
  uint32_t room = t->param_count > t->result_count ? t->param_count : t->result_count;
  if (UNLIKELY(new_fp + room > (lw_slot *)(void *)fr)) TRAP(LW_TRAP_CALL_STACK_EXHAUSTED);
  e->act->top = new_fp + room;
  e->act->frames = fr;
  store->call_depth = DEPTH_NOW();
  lw_host_ctx ctx = {callee, inst, e->err};
  status = callee->host ? callee->host(&ctx, new_fp) : lw_aot_invoke(callee, new_fp, e->err);
  store->call_depth = entry_depth;
  if (UNLIKELY(status != LW_OK)) goto done;
  LOAD_MEMORY();
  ip = ret_ip;
  DISPATCH();
}

poll_slow:
  budget = POLL_INTERVAL;
  if (lw_store_should_stop(store)) TRAP(LW_TRAP_INTERRUPTED);
  DISPATCH();

  /* ---- data movement ---- */
L_init_consts: {
  uint32_t n = U32(0);
  const lw_word *p = ip + 2;
  for (uint32_t i = 0; i < n; i++, p += 2) fp[p[0].u32[0]] = p[1].u64;
  ip = p;
  DISPATCH();
}
L_copy:
  SL(0) = SL(1);
  NEXT(2);
L_copy2:
  SL(0) = SL(1);
  SL(2) = SL(3);
  NEXT(4);
L_br_i32_and_set_z_si: {
  uint32_t v = RI(1) & U32(2);
  WI(0, v);
  if (!v) JUMP(OFF(3));
  NEXT(4);
}
L_br_i32_and_set_nz_si: {
  uint32_t v = RI(1) & U32(2);
  WI(0, v);
  if (v) JUMP(OFF(3));
  NEXT(4);
}
L_br_i32_and3_nz_si:
  if (RI(0) & RI(1) & U32(2)) JUMP(OFF(3));
  NEXT(4);
L_br_i32_and3_z_si:
  if (!(RI(0) & RI(1) & U32(2))) JUMP(OFF(3));
  NEXT(4);
L_i32_load8_u_pre: {
  uint32_t x = RI(1) + U32(2);
  WI(1, x);
  uint64_t ea = (uint64_t)x + U32(3);
  if (UNLIKELY(ea + 1 > ms)) goto trap_memory;
  WI(0, mb[ea]);
  NEXT(4);
}
L_i32_load8_u_pre_br: {
  uint32_t x = RI(1) + U32(2);
  WI(1, x);
  uint64_t ea = (uint64_t)x + U32(3);
  if (UNLIKELY(ea + 1 > ms)) goto trap_memory;
  WI(0, mb[ea]);
  JUMP(OFF(4));
}
L_br_i32_and_set_z_ne_si: {
  uint32_t v = RI(1) & U32(2);
  WI(0, v);
  if (!v) JUMP(OFF(3));
  if (v != U32(4)) JUMP(OFF(5));
  NEXT(6);
}
L_br_i32_and_set_z_eq_si: {
  uint32_t v = RI(1) & U32(2);
  WI(0, v);
  if (!v) JUMP(OFF(3));
  if (v == U32(4)) JUMP(OFF(5));
  NEXT(6);
}
L_i32_andn_add_si: {
  uint32_t w = RI(1);
  WI(0, ~w & (w + U32(2)));
  NEXT(3);
}
L_br_i32_andn_add_nz_si: {
  uint32_t w = RI(0);
  if (~w & (w + U32(1)) & U32(2)) JUMP(OFF(3));
  NEXT(4);
}
L_br_i32_andn_add_z_si: {
  uint32_t w = RI(0);
  if (!(~w & (w + U32(1)) & U32(2))) JUMP(OFF(3));
  NEXT(4);
}
#define LOAD_TEST(label, bytes, ctype, test, len) \
  L_##label : {                                   \
    uint64_t ea = (uint64_t)RI(0) + U32(1);       \
    if (UNLIKELY(ea + (bytes) > ms)) goto trap_memory; \
    ctype v;                                      \
    memcpy(&v, mb + ea, sizeof v);                \
    if (test) JUMP(OFF((len) - 1));               \
    NEXT(len);                                    \
  }
  LOAD_TEST(br_i32_load_nz, 4, uint32_t, v != 0, 3)
#define LOAD_SET_TEST(label, test)                     \
  L_##label : {                                        \
    uint64_t ea = (uint64_t)RI(1) + U32(2);            \
    if (UNLIKELY(ea + 4 > ms)) goto trap_memory;       \
    uint32_t v;                                        \
    memcpy(&v, mb + ea, 4);                            \
    WI(0, v);                                          \
    if (test) JUMP(OFF(3));                            \
    NEXT(4);                                           \
  }
  LOAD_SET_TEST(br_i32_load_set_nz, v != 0)
  LOAD_SET_TEST(br_i32_load_set_z, v == 0)
  LOAD_TEST(br_i32_load_z, 4, uint32_t, v == 0, 3)
  LOAD_TEST(br_i32_load8_u_and_nz_si, 1, uint8_t, (v & U32(2)) != 0, 4)
  LOAD_TEST(br_i32_load8_u_and_z_si, 1, uint8_t, (v & U32(2)) == 0, 4)
L_i32_load8_u_pre_scan: {
  /* the and_set_z_ne at the target: dst a mask off_zero key off_ne (off_ne leads back here) */
  const lw_word *test = ip + OFF(4);
  const uint32_t t_dst = test[1].u32[0], t_src = test[1].u32[1], mask = test[2].u32[0];
  const uint32_t key = test[3].u32[0];
  for (;;) {
    uint32_t x = RI(1) + U32(2);
    WI(1, x);
    uint64_t ea = (uint64_t)x + U32(3);
    if (UNLIKELY(ea + 1 > ms)) goto trap_memory;
    WI(0, mb[ea]);
    uint32_t v = (uint32_t)fp[t_src] & mask;
    fp[t_dst] = v;
    if (!v) {
      ip = test;
      JUMP((int32_t)test[2].u32[1]);
    }
    if (v == key) {
      ip = test + 4; /* the test's fall-through */
      DISPATCH();
    }
    if (UNLIKELY(--budget < 0)) goto poll_slow; /* ip: here, state as after the test */
  }
}
L_copy3:
  SL(0) = SL(1);
  SL(2) = SL(3);
  SL(4) = SL(5);
  NEXT(6);
L_copy_br:
  SL(0) = SL(1);
  JUMP(OFF(2));
L_i32_shl_or_shr_si:
  WI(0, (RI(1) << (U32(2) & 31)) | (RI(3) >> (U32(4) & 31)));
  NEXT(5);
L_br_i32_and_nz_si:
  if (RI(0) & U32(1)) JUMP(OFF(2));
  NEXT(3);
L_br_i32_and_z_si:
  if (!(RI(0) & U32(1))) JUMP(OFF(2));
  NEXT(3);
L_const64:
  SL(0) = ip[2].u64;
  ip += 3;
  DISPATCH();
L_select:
  SL(0) = RI(1) ? SL(2) : SL(3);
  NEXT(4);
L_select_z32:
  SL(0) = RI(1) == 0 ? SL(2) : SL(3);
  NEXT(4);
L_select_z64:
  SL(0) = RL(1) == 0 ? SL(2) : SL(3);
  NEXT(4);
L_global_get:
  SL(0) = inst->globals[U32(1)]->value;
  NEXT(2);
L_global_set:
  inst->globals[U32(1)]->value = SL(0);
  NEXT(2);
L_ref_func:
  SL(0) = (lw_slot)(uintptr_t)inst->funcs[U32(1)];
  NEXT(2);

  /* ---- numeric ---- */
#define H_IMM_Y(name, ta, tr, expr)     \
  L_##name##_si : {                     \
    T_##ta a = R##ta(1), b = IMM##ta(2); \
    W##tr(0, (expr));                   \
    NEXT(3);                            \
  }
#define H_IMM_N(name, ta, tr, expr)
#define H_BR_B(name, ta, expr)            \
  L_br_##name##_ss : {                    \
    T_##ta a = R##ta(0), b = R##ta(1);    \
    if (expr) JUMP(OFF(2));               \
    NEXT(3);                              \
  }                                       \
  L_br_##name##_si : {                    \
    T_##ta a = R##ta(0), b = IMM##ta(1);  \
    if (expr) JUMP(OFF(2));               \
    NEXT(3);                              \
  }                                       \
  L_addbr_##name##_ss : {                 \
    T_##ta a = R##ta(1) + IMM##ta(2);     \
    W##ta(0, a);                          \
    T_##ta b = R##ta(3);                  \
    if (expr) JUMP(OFF(4));               \
    NEXT(5);                              \
  }                                       \
  L_addbr_##name##_si : {                 \
    T_##ta a = R##ta(1) + IMM##ta(2);     \
    W##ta(0, a);                          \
    T_##ta b = IMM##ta(3);                \
    if (expr) JUMP(OFF(4));               \
    NEXT(5);                              \
  }                                       \
  L_add2br_##name##_si : {                \
    WI(0, RI(1) + U32(2));                \
    T_##ta a = R##ta(4) + IMM##ta(5);     \
    W##ta(3, a);                          \
    T_##ta b = IMM##ta(6);                \
    if (expr) JUMP(OFF(7));               \
    NEXT(8);                              \
  }
#define H_BR_N(name, ta, expr)
#define H_BIN(code, name, ta, tr, imm, br, expr) \
  L_##name : {                                   \
    T_##ta a = R##ta(1), b = R##ta(2);           \
    W##tr(0, (expr));                            \
    NEXT(3);                                     \
  }                                              \
  H_IMM_##imm(name, ta, tr, expr) H_BR_##br(name, ta, expr)
  LW_BINOPS(H_BIN)
#define H_UN(code, name, ta, tr, expr) \
  L_##name : {                         \
    T_##ta a = R##ta(1);               \
    W##tr(0, (expr));                  \
    NEXT(2);                           \
  }
  LW_UNOPS(H_UN)

  /* constant divisors, never 0 or -1 (i64: sign-extended 32-bit immediates) */
L_i32_div_s_si: WI(0, (int32_t)RI(1) / (int32_t)U32(2)); NEXT(3);
L_i32_div_u_si: WI(0, RI(1) / U32(2)); NEXT(3);
L_i32_rem_s_si: WI(0, (int32_t)RI(1) % (int32_t)U32(2)); NEXT(3);
L_i32_rem_u_si: WI(0, RI(1) % U32(2)); NEXT(3);
L_i64_div_s_si: WL(0, (int64_t)RL(1) / (int64_t)OFF(2)); NEXT(3);
L_i64_div_u_si: WL(0, RL(1) / IMML(2)); NEXT(3);
L_i64_rem_s_si: WL(0, (int64_t)RL(1) % (int64_t)OFF(2)); NEXT(3);
L_i64_rem_u_si: WL(0, RL(1) % IMML(2)); NEXT(3);
  /* Division by a register, i32 and i64 alike: 0 traps; MIN / -1 overflows and traps, while
   * MIN % -1 is 0 (C leaves both undefined, hence the explicit -1 cases). */
#define DIV_REM(bits, rd, wr, stype, utype, smin)                           \
  L_i##bits##_div_s : {                                                     \
    stype a = (stype)rd(1), b = (stype)rd(2);                               \
    if (UNLIKELY(b == 0)) TRAP(LW_TRAP_INTEGER_DIVIDE_BY_ZERO);             \
    if (UNLIKELY(a == (smin) && b == -1)) TRAP(LW_TRAP_INTEGER_OVERFLOW);   \
    wr(0, a / b);                                                           \
    NEXT(3);                                                                \
  }                                                                         \
  L_i##bits##_div_u : {                                                     \
    utype a = rd(1), b = rd(2);                                             \
    if (UNLIKELY(b == 0)) TRAP(LW_TRAP_INTEGER_DIVIDE_BY_ZERO);             \
    wr(0, a / b);                                                           \
    NEXT(3);                                                                \
  }                                                                         \
  L_i##bits##_rem_s : {                                                     \
    stype a = (stype)rd(1), b = (stype)rd(2);                               \
    if (UNLIKELY(b == 0)) TRAP(LW_TRAP_INTEGER_DIVIDE_BY_ZERO);             \
    wr(0, b == -1 ? 0 : a % b);                                             \
    NEXT(3);                                                                \
  }                                                                         \
  L_i##bits##_rem_u : {                                                     \
    utype a = rd(1), b = rd(2);                                             \
    if (UNLIKELY(b == 0)) TRAP(LW_TRAP_INTEGER_DIVIDE_BY_ZERO);             \
    wr(0, a % b);                                                           \
    NEXT(3);                                                                \
  }
  DIV_REM(32, RI, WI, int32_t, uint32_t, INT32_MIN)
  DIV_REM(64, RL, WL, int64_t, uint64_t, INT64_MIN)

  /* Trapping truncations: NaN is an invalid conversion, anything that does not fit after
   * truncation toward zero an overflow. Bounds are exclusive, exactly representable. */
#define TRUNC(name, rd, ctype, wr, lo, hi)                               \
  L_##name : {                                                           \
    double a = rd(1);                                                    \
    if (UNLIKELY(a != a)) TRAP(LW_TRAP_INVALID_CONVERSION);              \
    if (UNLIKELY(!(a > (lo) && a < (hi)))) TRAP(LW_TRAP_INTEGER_OVERFLOW); \
    wr(0, (ctype)a);                                                     \
    NEXT(2);                                                             \
  }
  TRUNC(i32_trunc_f32_s, RF, int32_t, WI, -2147483904.0, 2147483648.0)
  TRUNC(i32_trunc_f32_u, RF, uint32_t, WI, -1.0, 4294967296.0)
  TRUNC(i32_trunc_f64_s, RD, int32_t, WI, -2147483649.0, 2147483648.0)
  TRUNC(i32_trunc_f64_u, RD, uint32_t, WI, -1.0, 4294967296.0)
  TRUNC(i64_trunc_f32_s, RF, int64_t, WL, -9223373136366403584.0, 9223372036854775808.0)
  TRUNC(i64_trunc_f32_u, RF, uint64_t, WL, -1.0, 18446744073709551616.0)
  TRUNC(i64_trunc_f64_s, RD, int64_t, WL, -9223372036854777856.0, 9223372036854775808.0)
  TRUNC(i64_trunc_f64_u, RD, uint64_t, WL, -1.0, 18446744073709551616.0)

L_i32_trunc_sat_f32_s: WI(0, sat_i32_s(RF(1))); NEXT(2);
L_i32_trunc_sat_f32_u: WI(0, sat_i32_u(RF(1))); NEXT(2);
L_i32_trunc_sat_f64_s: WI(0, sat_i32_s(RD(1))); NEXT(2);
L_i32_trunc_sat_f64_u: WI(0, sat_i32_u(RD(1))); NEXT(2);
L_i64_trunc_sat_f32_s: WL(0, sat_i64_s(RF(1))); NEXT(2);
L_i64_trunc_sat_f32_u: WL(0, sat_i64_u(RF(1))); NEXT(2);
L_i64_trunc_sat_f64_s: WL(0, sat_i64_s(RD(1))); NEXT(2);
L_i64_trunc_sat_f64_u: WL(0, sat_i64_u(RD(1))); NEXT(2);

  /* ---- memory ---- */
  /* Each access comes in three addressing forms that differ only in the effective address:
   * base register + offset; _d: base + a constant displacement folded from an i32.add
   * (wrapping at 32 bits as the add did) + offset; _x: base + an index register, likewise,
   * + offset. */
#define LOAD_AT(label, ea_expr, bytes, ctype, conv, len) \
  L_##label : {                                          \
    uint64_t ea = (ea_expr);                             \
    if (UNLIKELY(ea + (bytes) > ms)) goto trap_memory;   \
    ctype v;                                             \
    memcpy(&v, mb + ea, sizeof v);                       \
    SL(0) = (conv);                                      \
    NEXT(len);                                           \
  }
#define LOAD(name, bytes, ctype, conv)                                                     \
  LOAD_AT(name, (uint64_t)RI(1) + U32(2), bytes, ctype, conv, 3)                          \
  LOAD_AT(name##_d, (uint64_t)(uint32_t)(RI(1) + U32(3)) + U32(2), bytes, ctype, conv, 4) \
  LOAD_AT(name##_x, (uint64_t)(uint32_t)(RI(1) + RI(3)) + U32(2), bytes, ctype, conv, 4)
  LOAD(i32_load, 4, uint32_t, v)
  LOAD(i64_load, 8, uint64_t, v)
  LOAD(f32_load, 4, uint32_t, v)
  LOAD(f64_load, 8, uint64_t, v)
  LOAD(i32_load8_s, 1, int8_t, (uint32_t)(int32_t)v)
  LOAD(i32_load8_u, 1, uint8_t, (uint32_t)v)
  LOAD(i32_load16_s, 2, int16_t, (uint32_t)(int32_t)v)
  LOAD(i32_load16_u, 2, uint16_t, (uint32_t)v)
  LOAD(i64_load8_s, 1, int8_t, (uint64_t)(int64_t)v)
  LOAD(i64_load8_u, 1, uint8_t, (uint64_t)v)
  LOAD(i64_load16_s, 2, int16_t, (uint64_t)(int64_t)v)
  LOAD(i64_load16_u, 2, uint16_t, (uint64_t)v)
  LOAD(i64_load32_s, 4, int32_t, (uint64_t)(int64_t)v)
  LOAD(i64_load32_u, 4, uint32_t, (uint64_t)v)
#define STORE_AT(label, ea_expr, bytes, ctype, len)    \
  L_##label : {                                        \
    uint64_t ea = (ea_expr);                           \
    if (UNLIKELY(ea + (bytes) > ms)) goto trap_memory; \
    ctype v = (ctype)SL(1);                            \
    memcpy(mb + ea, &v, sizeof v);                     \
    NEXT(len);                                         \
  }
#define STORE(name, bytes, ctype)                                                     \
  STORE_AT(name, (uint64_t)RI(0) + U32(2), bytes, ctype, 3)                          \
  STORE_AT(name##_d, (uint64_t)(uint32_t)(RI(0) + U32(3)) + U32(2), bytes, ctype, 4) \
  STORE_AT(name##_x, (uint64_t)(uint32_t)(RI(0) + RI(3)) + U32(2), bytes, ctype, 4)
  STORE(i32_store, 4, uint32_t)
  STORE(i64_store, 8, uint64_t)
  STORE(f32_store, 4, uint32_t)
  STORE(f64_store, 8, uint64_t)
  STORE(i32_store8, 1, uint8_t)
  STORE(i32_store16, 2, uint16_t)
  STORE(i64_store8, 1, uint8_t)
  STORE(i64_store16, 2, uint16_t)
  STORE(i64_store32, 4, uint32_t)

#define F64_MEM(name, op)                                                     \
  L_##name##_m : {                                                            \
    uint64_t ea = (uint64_t)RI(2) + U32(3);                                   \
    if (UNLIKELY(ea + 8 > ms)) goto trap_memory;                              \
    uint64_t bits;                                                            \
    memcpy(&bits, mb + ea, 8);                                                \
    WD(0, RD(1) op bits_f64(bits));                                           \
    NEXT(4);                                                                  \
  }                                                                           \
  L_##name##_md : {                                                           \
    uint64_t ea = (uint64_t)(uint32_t)(RI(2) + U32(4)) + U32(3);              \
    if (UNLIKELY(ea + 8 > ms)) goto trap_memory;                              \
    uint64_t bits;                                                            \
    memcpy(&bits, mb + ea, 8);                                                \
    WD(0, RD(1) op bits_f64(bits));                                           \
    NEXT(5);                                                                  \
  }
  F64_MEM(f64_add, +)
  F64_MEM(f64_sub, -)
  F64_MEM(f64_mul, *)

L_memory_size:
  WI(0, mem ? mem->pages : 0);
  NEXT(1);
L_memory_grow: {
  int64_t r = lw_memory_grow(mem, RI(1));
  LOAD_MEMORY();
  WI(0, (uint32_t)(int32_t)r);
  NEXT(2);
}
L_memory_copy: {
  uint64_t d = RI(0), s = RI(1), n = RI(2);
  if (UNLIKELY(d + n > ms || s + n > ms)) goto trap_memory;
  memmove(mb + d, mb + s, (size_t)n);
  NEXT(3);
}
L_memory_fill: {
  uint64_t d = RI(0), n = RI(2);
  if (UNLIKELY(d + n > ms)) goto trap_memory;
  memset(mb + d, (int)(uint8_t)RI(1), (size_t)n);
  NEXT(3);
}
L_memory_init: {
  lw_trap t = lw_rt_memory_init(inst, 0, U32(0), RI(1), RI(2), RI(3));
  if (UNLIKELY(t != LW_TRAP_NONE)) TRAP(t);
  NEXT(4);
}
L_data_drop:
  lw_rt_data_drop(inst, U32(0));
  NEXT(1);

  /* ---- tables ---- */
L_table_get: {
  lw_table *tab = inst->tables[U32(1)];
  uint32_t i = RI(2);
  if (UNLIKELY(i >= tab->size)) TRAP(LW_TRAP_TABLE_OUT_OF_BOUNDS);
  SL(0) = tab->elems[i];
  NEXT(3);
}
L_table_set: {
  lw_table *tab = inst->tables[U32(0)];
  uint32_t i = RI(1);
  if (UNLIKELY(i >= tab->size)) TRAP(LW_TRAP_TABLE_OUT_OF_BOUNDS);
  tab->elems[i] = SL(2);
  NEXT(3);
}
L_table_size:
  WI(0, inst->tables[U32(1)]->size);
  NEXT(2);
L_table_grow: {
  int64_t r = lw_rt_table_grow(inst->tables[U32(1)], SL(2), RI(3));
  WI(0, (uint32_t)(int32_t)r);
  NEXT(4);
}
L_table_fill: {
  lw_trap t = lw_rt_table_fill(inst->tables[U32(0)], RI(1), SL(2), RI(3));
  if (UNLIKELY(t != LW_TRAP_NONE)) TRAP(t);
  NEXT(4);
}
L_table_copy: {
  lw_trap t = lw_rt_table_copy(inst, U32(0), U32(1), RI(2), RI(3), RI(4));
  if (UNLIKELY(t != LW_TRAP_NONE)) TRAP(t);
  NEXT(5);
}
L_table_init: {
  lw_trap t = lw_rt_table_init(inst, U32(0), U32(1), RI(2), RI(3), RI(4));
  if (UNLIKELY(t != LW_TRAP_NONE)) TRAP(t);
  NEXT(5);
}
L_elem_drop:
  lw_rt_elem_drop(inst, U32(0));
  NEXT(1);

trap_memory:
  trap = LW_TRAP_MEMORY_OUT_OF_BOUNDS;
trapped: {
  char name_buf[64];
  /* errors.c words this trap as call_indirect sees it; table instructions want the other
   * wording of the spec */
  if (!trap_text)
    trap_text = trap == LW_TRAP_TABLE_OUT_OF_BOUNDS ? "out of bounds table access"
                                                     : lw_trap_text(trap);
  status = lw_error_trap(e->err, trap, "%s in function '%s'", trap_text,
                         lw_func_debug_name(func_at(inst, ip, func), name_buf, sizeof name_buf));
  goto done;
}

done:
  store->call_depth = entry_depth;
  return status;
}

/* ---- entry from the host ---------------------------------------------------------------------- */

lw_status lw_interp_call(lw_func *func, lw_slot *slots, lw_error *err) {
  lw_error local_err;
  if (!err) err = &local_err;
  if (func->host) {
    lw_host_ctx ctx = {func, NULL, err};
    return func->host(&ctx, slots);
  }
  lw_interp_handlers();
  lw_store *store = func->store;
  const struct lw_code *code = func->code ? func->code : func->def->code;
  if (func->code == NULL) func->code = (struct lw_code *)code;

  /* continue above a running activation of the same store, if any */
  activation *outer = current_activation;
  while (outer && outer->store != store) outer = outer->prev;
  lw_slot *base = outer ? outer->top : store->stack;
  lw_frame *frames = outer ? outer->frames : (lw_frame *)(void *)store->stack_end;

  char name_buf[64];
  if (store->call_depth + 1 > store->config.max_call_depth ||
      base + code->frame_slots > (lw_slot *)(void *)(frames - 1))
    return lw_error_trap(err, LW_TRAP_CALL_STACK_EXHAUSTED, "%s in function '%s'",
                         lw_trap_text(LW_TRAP_CALL_STACK_EXHAUSTED),
                         lw_func_debug_name(func, name_buf, sizeof name_buf));

  uint32_t nparams = code->param_count;
  memcpy(base, slots, (size_t)nparams * sizeof(lw_slot));
  for (uint32_t i = nparams; i < code->local_count; i++) base[i] = 0;

  activation act = {store, base + code->frame_slots, frames - 1, current_activation};
  current_activation = &act;
  entry e = {func, base, frames, &act, err};
  lw_status status = run(&e);
  current_activation = act.prev;
  if (status == LW_OK) memcpy(slots, base, (size_t)code->result_count * sizeof(lw_slot));
  return status;
}
