/* Process-wide interning of function signatures: equal (params, results) get equal ids, so
 * call_indirect and import matching compare one integer, across modules and stores. The table
 * only grows; it lives for the process (signatures are few and small). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"

typedef struct interned_sig {
  uint32_t param_count, result_count;
  uint8_t *types; /* params then results, one byte per value type */
  uint64_t hash;
} interned_sig;

static pthread_mutex_t sig_lock = PTHREAD_MUTEX_INITIALIZER;
static interned_sig *sigs;       /* id -> signature */
static uint32_t sig_count, sig_capacity;
static uint32_t *sig_buckets;    /* open addressing: id + 1, 0 = empty */
static uint32_t bucket_count;    /* power of two */

static uint64_t sig_hash(const lw_valtype *params, uint32_t np, const lw_valtype *results,
                         uint32_t nr) {
  uint64_t h = 1469598103934665603ull ^ ((uint64_t)np << 32 | nr);
  for (uint32_t i = 0; i < np; i++) h = (h ^ (uint8_t)params[i]) * 1099511628211ull;
  h = (h ^ 0xff) * 1099511628211ull;
  for (uint32_t i = 0; i < nr; i++) h = (h ^ (uint8_t)results[i]) * 1099511628211ull;
  return h;
}

static bool sig_equal(const interned_sig *s, uint64_t h, const lw_valtype *params, uint32_t np,
                      const lw_valtype *results, uint32_t nr) {
  if (s->hash != h || s->param_count != np || s->result_count != nr) return false;
  for (uint32_t i = 0; i < np; i++)
    if (s->types[i] != (uint8_t)params[i]) return false;
  for (uint32_t i = 0; i < nr; i++)
    if (s->types[np + i] != (uint8_t)results[i]) return false;
  return true;
}

static bool rehash(uint32_t new_count) {
  uint32_t *b = calloc(new_count, sizeof *b);
  if (!b) return false;
  for (uint32_t id = 0; id < sig_count; id++) {
    uint32_t slot = (uint32_t)sigs[id].hash & (new_count - 1);
    while (b[slot]) slot = (slot + 1) & (new_count - 1);
    b[slot] = id + 1;
  }
  free(sig_buckets);
  sig_buckets = b;
  bucket_count = new_count;
  return true;
}

/* Returns UINT32_MAX only if the host is out of memory; callers treat that id as matching
 * nothing but itself, which keeps call_indirect safe. */
uint32_t lw_functype_canonical_id(const lw_valtype *params, uint32_t param_count,
                                  const lw_valtype *results, uint32_t result_count) {
  uint64_t h = sig_hash(params, param_count, results, result_count);
  uint32_t id = UINT32_MAX;
  pthread_mutex_lock(&sig_lock);
  if (bucket_count) {
    for (uint32_t slot = (uint32_t)h & (bucket_count - 1); sig_buckets[slot];
         slot = (slot + 1) & (bucket_count - 1)) {
      interned_sig *s = &sigs[sig_buckets[slot] - 1];
      if (sig_equal(s, h, params, param_count, results, result_count)) {
        id = sig_buckets[slot] - 1;
        goto done;
      }
    }
  }
  if ((sig_count + 1) * 2 > bucket_count && !rehash(bucket_count ? bucket_count * 2 : 64))
    goto done;
  if (sig_count == sig_capacity) {
    uint32_t cap = sig_capacity ? sig_capacity * 2 : 64;
    interned_sig *grown = realloc(sigs, cap * sizeof *grown);
    if (!grown) goto done;
    sigs = grown;
    sig_capacity = cap;
  }
  {
    size_t n = (size_t)param_count + result_count;
    uint8_t *types = malloc(n ? n : 1);
    if (!types) goto done;
    for (uint32_t i = 0; i < param_count; i++) types[i] = (uint8_t)params[i];
    for (uint32_t i = 0; i < result_count; i++) types[param_count + i] = (uint8_t)results[i];
    interned_sig *s = &sigs[sig_count];
    s->param_count = param_count;
    s->result_count = result_count;
    s->types = types;
    s->hash = h;
    id = sig_count++;
    uint32_t slot = (uint32_t)h & (bucket_count - 1);
    while (sig_buckets[slot]) slot = (slot + 1) & (bucket_count - 1);
    sig_buckets[slot] = id + 1;
  }
done:
  pthread_mutex_unlock(&sig_lock);
  return id;
}
