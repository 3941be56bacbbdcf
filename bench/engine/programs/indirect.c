/* indirect: calls through function pointers (call_indirect in wasm).
 * qsort with a comparator over records, then a small bytecode machine whose
 * every instruction is dispatched through a table of handler pointers. */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

struct record { uint32_t key; uint32_t payload; };

static int compare_records(const void *left, const void *right)
{
    const struct record *l = left, *r = right;
    if (l->key != r->key)
        return l->key < r->key ? -1 : 1;
    return (l->payload > r->payload) - (l->payload < r->payload);
}

/* Bytecode machine: state is an accumulator and a small register file. */
struct machine { uint32_t acc; uint32_t regs[4]; };
typedef void (*handler)(struct machine *m, uint32_t operand);

static void op_add(struct machine *m, uint32_t x) { m->acc += x; }
static void op_xor(struct machine *m, uint32_t x) { m->acc ^= x * 0x9E3779B9u; }
static void op_rot(struct machine *m, uint32_t x) { x &= 31; m->acc = (m->acc << x) | (m->acc >> ((32 - x) & 31)); }
static void op_store(struct machine *m, uint32_t x) { m->regs[x & 3] += m->acc; }
static void op_load(struct machine *m, uint32_t x) { m->acc ^= m->regs[x & 3]; }
static void op_mul(struct machine *m, uint32_t x) { m->acc *= (x | 1); }

static handler const handlers[] = { op_add, op_xor, op_rot, op_store, op_load, op_mul };
#define HANDLER_COUNT (sizeof handlers / sizeof handlers[0])

int main(void)
{
    enum { RECORDS = 400000, PROGRAM = 4096 };
    struct record *records = malloc(RECORDS * sizeof *records);
    uint32_t *program = malloc(PROGRAM * sizeof *program);
    if (records == NULL || program == NULL)
        return 1;

    uint32_t seed = 99;
    uint32_t checksum = 0;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < RECORDS; i++) {
            seed = seed * 1103515245u + 12345u;
            records[i].key = seed >> 8;
            records[i].payload = (uint32_t)i;
        }
        qsort(records, RECORDS, sizeof *records, compare_records);
        for (int i = 0; i < RECORDS; i += 997)
            checksum = checksum * 31 + records[i].key + records[i].payload;
    }

    for (int i = 0; i < PROGRAM; i++) {
        seed = seed * 1103515245u + 12345u;
        program[i] = seed;
    }
    struct machine m = { 1, { 0, 0, 0, 0 } };
    for (int run = 0; run < 8000; run++)
        for (int pc = 0; pc < PROGRAM; pc++) {
            uint32_t word = program[pc];
            handlers[(word >> 24) % HANDLER_COUNT](&m, word & 0xFFFFFF);
        }
    checksum ^= m.acc + m.regs[0] + m.regs[1] + m.regs[2] + m.regs[3];
    printf("indirect checksum %u\n", checksum);
    free(records);
    free(program);
    return 0;
}
