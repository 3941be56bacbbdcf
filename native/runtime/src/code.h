/* The interpreter's internal code: what compile.c produces from validated function bodies and
 * interp.c runs.
 *
 * A function becomes one array of 64-bit words. Each instruction starts with the address of its
 * handler (direct threading: gcc's `&&label`), followed by 32-bit operands packed two per word;
 * a 64-bit immediate takes a whole word after them. Operands are frame slot indices: slots
 * 0..local_count-1 hold the locals (parameters first) and slot local_count+d holds the wasm
 * operand stack entry at depth d, so nothing is pushed or popped at run time. Branch targets are
 * signed word offsets from the start of the branching instruction, so code can be moved. */
#ifndef LW_CODE_H
#define LW_CODE_H

#include "runtime.h"

typedef union lw_word {
  const void *handler;
  uint64_t u64;
  uint32_t u32[2];
} lw_word;

struct lw_code {
  lw_word *start;
  uint32_t word_count;
  uint32_t param_count;
  uint32_t local_count;  /* parameters + declared locals */
  uint32_t result_count;
  uint32_t frame_slots;  /* local_count + the deepest operand stack (+ scratch) */
  uint32_t func_index;   /* in the module's function index space */
  uint32_t zero_groups;  /* declared locals / 4, rounded up: what a call zeroes, 4 slots a time */
};

/* Plain numeric instructions, generated in both files from one list.
 * Binary: X(wasm opcode, name, operand type, result type, immediate form?, branch form?, expr of a, b)
 *   types: I = i32 (uint32_t), L = i64 (uint64_t), F = f32 (float), D = f64 (double)
 *   immediate form Y: `name_si dst a imm32` exists (i64: imm sign-extended)
 *   branch form B: `br_name_ss a b off` and `br_name_si a imm off` exist (integer compares),
 *     and `addbr_name_ss dst a imm b off` / `addbr_name_si dst a imm imm2 off`: dst = a + imm
 *     (i32 or i64 add, as the compare), then branch if dst compares true with b (loop counters);
 *     `add2br_name_si d1 a1 k1 dst a imm imm2 off` first does the i32 add d1 = a1 + k1 (a loop's
 *     second induction variable) 
 * Unary: X(wasm opcode, name, operand type, result type, expr of a) */
#define LW_BINOPS(X)                                                                           \
  X(0x46, i32_eq, I, I, Y, B, a == b)                                                          \
  X(0x47, i32_ne, I, I, Y, B, a != b)                                                          \
  X(0x48, i32_lt_s, I, I, Y, B, (int32_t)a < (int32_t)b)                                       \
  X(0x49, i32_lt_u, I, I, Y, B, a < b)                                                         \
  X(0x4a, i32_gt_s, I, I, Y, B, (int32_t)a > (int32_t)b)                                       \
  X(0x4b, i32_gt_u, I, I, Y, B, a > b)                                                         \
  X(0x4c, i32_le_s, I, I, Y, B, (int32_t)a <= (int32_t)b)                                      \
  X(0x4d, i32_le_u, I, I, Y, B, a <= b)                                                        \
  X(0x4e, i32_ge_s, I, I, Y, B, (int32_t)a >= (int32_t)b)                                      \
  X(0x4f, i32_ge_u, I, I, Y, B, a >= b)                                                        \
  X(0x51, i64_eq, L, I, Y, B, a == b)                                                          \
  X(0x52, i64_ne, L, I, Y, B, a != b)                                                          \
  X(0x53, i64_lt_s, L, I, Y, B, (int64_t)a < (int64_t)b)                                       \
  X(0x54, i64_lt_u, L, I, Y, B, a < b)                                                         \
  X(0x55, i64_gt_s, L, I, Y, B, (int64_t)a > (int64_t)b)                                       \
  X(0x56, i64_gt_u, L, I, Y, B, a > b)                                                         \
  X(0x57, i64_le_s, L, I, Y, B, (int64_t)a <= (int64_t)b)                                      \
  X(0x58, i64_le_u, L, I, Y, B, a <= b)                                                        \
  X(0x59, i64_ge_s, L, I, Y, B, (int64_t)a >= (int64_t)b)                                      \
  X(0x5a, i64_ge_u, L, I, Y, B, a >= b)                                                        \
  X(0x5b, f32_eq, F, I, N, N, a == b)                                                          \
  X(0x5c, f32_ne, F, I, N, N, a != b)                                                          \
  X(0x5d, f32_lt, F, I, N, N, a < b)                                                           \
  X(0x5e, f32_gt, F, I, N, N, a > b)                                                           \
  X(0x5f, f32_le, F, I, N, N, a <= b)                                                          \
  X(0x60, f32_ge, F, I, N, N, a >= b)                                                          \
  X(0x61, f64_eq, D, I, N, N, a == b)                                                          \
  X(0x62, f64_ne, D, I, N, N, a != b)                                                          \
  X(0x63, f64_lt, D, I, N, N, a < b)                                                           \
  X(0x64, f64_gt, D, I, N, N, a > b)                                                           \
  X(0x65, f64_le, D, I, N, N, a <= b)                                                          \
  X(0x66, f64_ge, D, I, N, N, a >= b)                                                          \
  X(0x6a, i32_add, I, I, Y, N, a + b)                                                          \
  X(0x6b, i32_sub, I, I, Y, N, a - b)                                                          \
  X(0x6c, i32_mul, I, I, Y, N, a * b)                                                          \
  X(0x71, i32_and, I, I, Y, N, a & b)                                                          \
  X(0x72, i32_or, I, I, Y, N, a | b)                                                           \
  X(0x73, i32_xor, I, I, Y, N, a ^ b)                                                          \
  X(0x74, i32_shl, I, I, Y, N, a << (b & 31))                                                  \
  X(0x75, i32_shr_s, I, I, Y, N, (uint32_t)((int32_t)a >> (b & 31)))                           \
  X(0x76, i32_shr_u, I, I, Y, N, a >> (b & 31))                                                \
  X(0x77, i32_rotl, I, I, Y, N, lw_rotl32(a, b))                                               \
  X(0x78, i32_rotr, I, I, Y, N, lw_rotr32(a, b))                                               \
  X(0x7c, i64_add, L, L, Y, N, a + b)                                                          \
  X(0x7d, i64_sub, L, L, Y, N, a - b)                                                          \
  X(0x7e, i64_mul, L, L, Y, N, a * b)                                                          \
  X(0x83, i64_and, L, L, Y, N, a & b)                                                          \
  X(0x84, i64_or, L, L, Y, N, a | b)                                                           \
  X(0x85, i64_xor, L, L, Y, N, a ^ b)                                                          \
  X(0x86, i64_shl, L, L, Y, N, a << (b & 63))                                                  \
  X(0x87, i64_shr_s, L, L, Y, N, (uint64_t)((int64_t)a >> (b & 63)))                           \
  X(0x88, i64_shr_u, L, L, Y, N, a >> (b & 63))                                                \
  X(0x89, i64_rotl, L, L, Y, N, lw_rotl64(a, b))                                               \
  X(0x8a, i64_rotr, L, L, Y, N, lw_rotr64(a, b))                                               \
  X(0x92, f32_add, F, F, N, N, a + b)                                                          \
  X(0x93, f32_sub, F, F, N, N, a - b)                                                          \
  X(0x94, f32_mul, F, F, N, N, a * b)                                                          \
  X(0x95, f32_div, F, F, N, N, a / b)                                                          \
  X(0x96, f32_min, F, F, N, N, lw_f32_min(a, b))                                               \
  X(0x97, f32_max, F, F, N, N, lw_f32_max(a, b))                                               \
  X(0x98, f32_copysign, F, F, N, N, lw_f32_copysign(a, b))                                     \
  X(0xa0, f64_add, D, D, N, N, a + b)                                                          \
  X(0xa1, f64_sub, D, D, N, N, a - b)                                                          \
  X(0xa2, f64_mul, D, D, N, N, a * b)                                                          \
  X(0xa3, f64_div, D, D, N, N, a / b)                                                          \
  X(0xa4, f64_min, D, D, N, N, lw_f64_min(a, b))                                               \
  X(0xa5, f64_max, D, D, N, N, lw_f64_max(a, b))                                               \
  X(0xa6, f64_copysign, D, D, N, N, lw_f64_copysign(a, b))

#define LW_UNOPS(X)                                                                            \
  X(0x45, i32_eqz, I, I, a == 0)                                                               \
  X(0x50, i64_eqz, L, I, a == 0)                                                               \
  X(0x67, i32_clz, I, I, a ? (uint32_t)__builtin_clz(a) : 32u)                                 \
  X(0x68, i32_ctz, I, I, a ? (uint32_t)__builtin_ctz(a) : 32u)                                 \
  X(0x69, i32_popcnt, I, I, (uint32_t)__builtin_popcount(a))                                   \
  X(0x79, i64_clz, L, L, a ? (uint64_t)__builtin_clzll(a) : 64u)                               \
  X(0x7a, i64_ctz, L, L, a ? (uint64_t)__builtin_ctzll(a) : 64u)                               \
  X(0x7b, i64_popcnt, L, L, (uint64_t)__builtin_popcountll(a))                                 \
  X(0x8b, f32_abs, F, F, lw_f32_abs(a))                                                        \
  X(0x8c, f32_neg, F, F, lw_f32_neg(a))                                                        \
  X(0x8d, f32_ceil, F, F, lw_f32_ceil(a))                                                            \
  X(0x8e, f32_floor, F, F, lw_f32_floor(a))                                                          \
  X(0x8f, f32_trunc, F, F, lw_f32_trunc(a))                                                          \
  X(0x90, f32_nearest, F, F, lw_f32_nearest(a))                                                         \
  X(0x91, f32_sqrt, F, F, sqrtf(a))                                                            \
  X(0x99, f64_abs, D, D, lw_f64_abs(a))                                                        \
  X(0x9a, f64_neg, D, D, lw_f64_neg(a))                                                        \
  X(0x9b, f64_ceil, D, D, lw_f64_ceil(a))                                                             \
  X(0x9c, f64_floor, D, D, lw_f64_floor(a))                                                           \
  X(0x9d, f64_trunc, D, D, lw_f64_trunc(a))                                                           \
  X(0x9e, f64_nearest, D, D, lw_f64_nearest(a))                                                          \
  X(0x9f, f64_sqrt, D, D, sqrt(a))                                                             \
  X(0xa7, i32_wrap_i64, L, I, (uint32_t)a)                                                     \
  X(0xac, i64_extend_i32_s, I, L, (uint64_t)(int64_t)(int32_t)a)                               \
  X(0xad, i64_extend_i32_u, I, L, (uint64_t)a)                                                 \
  X(0xb2, f32_convert_i32_s, I, F, (float)(int32_t)a)                                          \
  X(0xb3, f32_convert_i32_u, I, F, (float)a)                                                   \
  X(0xb4, f32_convert_i64_s, L, F, (float)(int64_t)a)                                          \
  X(0xb5, f32_convert_i64_u, L, F, (float)a)                                                   \
  X(0xb6, f32_demote_f64, D, F, (float)a)                                                      \
  X(0xb7, f64_convert_i32_s, I, D, (double)(int32_t)a)                                         \
  X(0xb8, f64_convert_i32_u, I, D, (double)a)                                                  \
  X(0xb9, f64_convert_i64_s, L, D, (double)(int64_t)a)                                         \
  X(0xba, f64_convert_i64_u, L, D, (double)a)                                                  \
  X(0xbb, f64_promote_f32, F, D, (double)a)                                                    \
  X(0xc0, i32_extend8_s, I, I, (uint32_t)(int32_t)(int8_t)a)                                   \
  X(0xc1, i32_extend16_s, I, I, (uint32_t)(int32_t)(int16_t)a)                                 \
  X(0xc2, i64_extend8_s, L, L, (uint64_t)(int64_t)(int8_t)a)                                   \
  X(0xc3, i64_extend16_s, L, L, (uint64_t)(int64_t)(int16_t)a)                                 \
  X(0xc4, i64_extend32_s, L, L, (uint64_t)(int64_t)(int32_t)a)                                 \
  X(0xd1, ref_is_null, L, I, a == 0)

/* Instructions that may trap, written by hand in interp.c: X(wasm opcode, name).
 * Binary ones take `dst a b`, unary ones `dst a`. 0xfc-prefixed ones use 0x100 + subopcode. */
#define LW_TRAPPING_BINOPS(X)                                                                  \
  X(0x6d, i32_div_s) X(0x6e, i32_div_u) X(0x6f, i32_rem_s) X(0x70, i32_rem_u)                  \
  X(0x7f, i64_div_s) X(0x80, i64_div_u) X(0x81, i64_rem_s) X(0x82, i64_rem_u)

#define LW_SPECIAL_UNOPS(X)                                                                    \
  X(0xa8, i32_trunc_f32_s) X(0xa9, i32_trunc_f32_u) X(0xaa, i32_trunc_f64_s)                   \
  X(0xab, i32_trunc_f64_u) X(0xae, i64_trunc_f32_s) X(0xaf, i64_trunc_f32_u)                   \
  X(0xb0, i64_trunc_f64_s) X(0xb1, i64_trunc_f64_u)                                            \
  X(0x100, i32_trunc_sat_f32_s) X(0x101, i32_trunc_sat_f32_u) X(0x102, i32_trunc_sat_f64_s)    \
  X(0x103, i32_trunc_sat_f64_u) X(0x104, i64_trunc_sat_f32_s) X(0x105, i64_trunc_sat_f32_u)    \
  X(0x106, i64_trunc_sat_f64_s) X(0x107, i64_trunc_sat_f64_u)

/* Memory accesses: X(wasm opcode, name, bytes). Loads: `dst addr offset`; stores:
 * `addr value offset`. Each also has a `name_d` form with a fourth operand, a displacement
 * added (mod 2^32) to the address first: `i32.add` of a negative constant before an access,
 * which wasm's unsigned offsets cannot express, is folded into it. And a `name_x` form whose
 * fourth operand is a slot added (mod 2^32) to the address: `i32.add` of two values (array
 * indexing) folded into the access. */
#define LW_LOADS(X)                                                                            \
  X(0x28, i32_load, 4) X(0x29, i64_load, 8) X(0x2a, f32_load, 4) X(0x2b, f64_load, 8)          \
  X(0x2c, i32_load8_s, 1) X(0x2d, i32_load8_u, 1) X(0x2e, i32_load16_s, 2)                     \
  X(0x2f, i32_load16_u, 2) X(0x30, i64_load8_s, 1) X(0x31, i64_load8_u, 1)                     \
  X(0x32, i64_load16_s, 2) X(0x33, i64_load16_u, 2) X(0x34, i64_load32_s, 4)                   \
  X(0x35, i64_load32_u, 4)
#define LW_STORES(X)                                                                           \
  X(0x36, i32_store, 4) X(0x37, i64_store, 8) X(0x38, f32_store, 4) X(0x39, f64_store, 8)      \
  X(0x3a, i32_store8, 1) X(0x3b, i32_store16, 2) X(0x3c, i64_store8, 1)                        \
  X(0x3d, i64_store16, 2) X(0x3e, i64_store32, 4)

/* Everything else, with its operands (slots unless said otherwise). */
#define LW_MISC_OPS(X)                                                                         \
  X(unreachable)         /* */                                                                 \
  X(br)                  /* off */                                                             \
  X(br_if_nez)           /* a off */                                                           \
  X(br_if_eqz)           /* a off */                                                           \
  X(br_table)            /* a n off[0..n] (off[n] = default) */                                \
  X(return0)             /* */                                                                 \
  X(return1)             /* src: fp[0] = src, then return */                                   \
  X(call)                /* funcidx base (any function: imported, host, other instance) */     \
  X(call_direct)         /* base need zstart zgroups; word callee's first instruction: a      \
                          * function of the same module; the callee's frame needs `need`      \
                          * slots from base, its declared locals from zstart are zeroed,      \
                          * zgroups times 4 slots (the _zK forms: exactly K groups) */          \
  X(call_direct_z0) X(call_direct_z1) X(call_direct_z2)                                      \
  X(call_indirect)       /* canonical type id, tableidx elem base */                           \
  X(br_i32_and_nz_si)    /* a imm off: branch if (a & imm) != 0 */                             \
  X(br_i32_and_z_si)     /* a imm off: branch if (a & imm) == 0 */                             \
  X(copy2)               /* dst1 src1 dst2 src2, in that order */                              \
  X(br_i32_and_set_z_si)  /* dst a imm off: dst = a & imm, branch if dst == 0 (a local.tee'd */ \
  X(br_i32_and_set_nz_si) /* dst a imm off:  mask tested right away: byte scanning loops) */   \
  X(br_i32_and3_nz_si)   /* a b imm off: branch if (a & b & imm) != 0 (word-at-a-time tests) */ \
  X(br_i32_and3_z_si)    /* a b imm off: branch if (a & b & imm) == 0 */                       \
  X(i32_load8_u_pre)     /* dst x k offset: x += k, then dst = i32.load8_u(x + offset) */       \
  X(i32_load8_u_pre_br)  /* dst x k offset off: the same, then branch (a loop's back edge) */  \
  X(br_i32_and_set_z_ne_si) /* dst a imm off k off2: br_i32_and_set_z_si, then branch to off2 */ \
  X(br_i32_and_set_z_eq_si) /*   if dst != k (_ne) or dst == k (_eq): `while (*s && *s != c)` */ \
  X(i32_andn_add_si)     /* dst w k: dst = ~w & (w + k) (musl's word-at-a-time zero byte test) */ \
  X(br_i32_andn_add_nz_si) /* w k m off: branch if (~w & (w + k) & m) != 0 */                 \
  X(br_i32_andn_add_z_si)  /* w k m off: branch if (~w & (w + k) & m) == 0 */                 \
  X(br_i32_load_nz)      /* addr offset off: branch if i32.load(addr + offset) != 0 */          \
  X(br_i32_load_z)       /* addr offset off: branch if i32.load(addr + offset) == 0 */          \
  X(br_i32_load_set_nz)  /* dst addr offset off: dst = i32.load(addr + offset), branch if != 0 */ \
  X(br_i32_load_set_z)   /* dst addr offset off: the same, branch if == 0 (`if ((x = p->f))`) */ \
  X(br_i32_load8_u_and_nz_si) /* addr offset imm off: branch if (load8_u(..) & imm) != 0 */     \
  X(br_i32_load8_u_and_z_si)  /* addr offset imm off: branch if (load8_u(..) & imm) == 0 */     \
  X(i32_load8_u_pre_scan) /* dst x k offset off: i32_load8_u_pre_br whose target is a          \
                          * br_i32_and_set_z_ne_si that branches back here when not equal:     \
                          * the whole byte scan loops inside one handler (printf's format) */ \
  X(copy3)               /* dst1 src1 dst2 src2 dst3 src3, in that order (call arguments) */   \
  X(copy_br)             /* dst src off: copy, then branch */                                  \
  X(i32_shl_or_shr_si)   /* dst a k1 b k2: dst = (a << k1) | (b >> k2), unsigned shift */      \
  /* f64 arithmetic with the second operand loaded from memory: dst a addr offset [disp] */    \
  X(f64_add_m) X(f64_add_md) X(f64_sub_m) X(f64_sub_md) X(f64_mul_m) X(f64_mul_md)              \
  /* division by a constant that cannot trap (not 0, not -1): dst a imm */                     \
  X(i32_div_s_si) X(i32_div_u_si) X(i32_rem_s_si) X(i32_rem_u_si)                              \
  X(i64_div_s_si) X(i64_div_u_si) X(i64_rem_s_si) X(i64_rem_u_si)                              \
  X(exit)                /* ends lw_interp_call (the entry frame's return address) */          \
  X(init_consts)         /* n pad; n times: word {slot pad}, word value (constant pool) */     \
  X(copy)                /* dst src */                                                         \
  X(const64)             /* dst pad; word value */                                             \
  X(select)              /* dst cond a b */                                                    \
  X(select_z32)          /* dst x a b: i32 x == 0 ? a : b */                                   \
  X(select_z64)          /* dst x a b: i64 x == 0 ? a : b */                                   \
  X(global_get)          /* dst globalidx */                                                   \
  X(global_set)          /* src globalidx */                                                   \
  X(memory_size)         /* dst */                                                             \
  X(memory_grow)         /* dst delta */                                                       \
  X(memory_init)         /* dataidx d s n */                                                   \
  X(data_drop)           /* dataidx */                                                         \
  X(memory_copy)         /* d s n */                                                           \
  X(memory_fill)         /* d v n */                                                           \
  X(table_get)           /* dst tableidx i */                                                  \
  X(table_set)           /* tableidx i v */                                                    \
  X(table_size)          /* dst tableidx */                                                    \
  X(table_grow)          /* dst tableidx init n */                                             \
  X(table_fill)          /* tableidx i v n */                                                  \
  X(table_copy)          /* dst_table src_table d s n */                                       \
  X(table_init)          /* tableidx elemidx d s n */                                          \
  X(elem_drop)           /* elemidx */                                                         \
  X(ref_func)            /* dst funcidx */

#define LW_ENUM_BIN_Y(name) LW_OP_##name##_si,
#define LW_ENUM_BIN_N(name)
#define LW_ENUM_BR_B(name) \
  LW_OP_br_##name##_ss, LW_OP_br_##name##_si, LW_OP_addbr_##name##_ss, LW_OP_addbr_##name##_si, \
  LW_OP_add2br_##name##_si,
#define LW_ENUM_BR_N(name)

typedef enum lw_op {
#define LW_X_MISC(name) LW_OP_##name,
  LW_MISC_OPS(LW_X_MISC)
#undef LW_X_MISC
#define LW_X_BIN(code, name, ta, tr, imm, br, expr) \
  LW_OP_##name, LW_ENUM_BIN_##imm(name) LW_ENUM_BR_##br(name)
  LW_BINOPS(LW_X_BIN)
#undef LW_X_BIN
#define LW_X_UN(code, name, ta, tr, expr) LW_OP_##name,
  LW_UNOPS(LW_X_UN)
#undef LW_X_UN
#define LW_X_NAMED(code, name) LW_OP_##name,
  LW_TRAPPING_BINOPS(LW_X_NAMED)
  LW_SPECIAL_UNOPS(LW_X_NAMED)
#undef LW_X_NAMED
#define LW_X_MEM(code, name, bytes) LW_OP_##name, LW_OP_##name##_d, LW_OP_##name##_x,
  LW_LOADS(LW_X_MEM)
  LW_STORES(LW_X_MEM)
#undef LW_X_MEM
  LW_OP_COUNT
} lw_op;

/* interp.c: handler address of every lw_op (computed once, thread-safe). */
const void *const *lw_interp_handlers(void);

#endif
