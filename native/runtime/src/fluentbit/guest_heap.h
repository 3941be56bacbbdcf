/* A heap inside a guest's linear memory, managed from the host (fluent-bit-wasm.md section 1),
 * for modules that do not export malloc/free. It serves the host's record copies and the
 * guest's env.malloc family.
 *
 * The bookkeeping lives on the host side, never in guest memory: freeing a block writes
 * nothing into the guest, so a guest that reads a buffer after freeing it (the Rust example
 * does) still sees its bytes. */
#ifndef LW_FB_GUEST_HEAP_H
#define LW_FB_GUEST_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LW_GUEST_HEAP_ALIGN 8u
#define LW_GUEST_HEAP_MIN 8192u

typedef struct lw_heap_block {
  uint32_t offset, size; /* guest address and size (multiple of the alignment) */
  bool used;
} lw_heap_block;

typedef struct lw_guest_heap {
  uint32_t base, size;   /* region [base, base + size) of guest memory; base != 0 */
  lw_heap_block *blocks; /* sorted by offset, covering the region; no two adjacent free */
  size_t count, cap;
  size_t first_free;     /* no free block before this index */
  uint64_t used_bytes;
} lw_guest_heap;

/* base must be non-zero (0 is NULL for the guest). False when the host is out of memory. */
bool lw_guest_heap_init(lw_guest_heap *heap, uint32_t base, uint32_t size);
void lw_guest_heap_destroy(lw_guest_heap *heap);
/* Guest address of a new block of at least n bytes, or 0 when the heap is full. */
uint32_t lw_guest_heap_alloc(lw_guest_heap *heap, uint32_t n);
/* Free the block starting at addr; false when addr is not the start of a used block. */
bool lw_guest_heap_free(lw_guest_heap *heap, uint32_t addr);
/* Usable size of the used block starting at addr, 0 when there is none. */
uint32_t lw_guest_heap_block_size(const lw_guest_heap *heap, uint32_t addr);

#endif
