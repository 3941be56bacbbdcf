/* Host-managed guest heap: a sorted array of blocks, first fit from a hint, neighbours
 * coalesced on free. Record copies are allocated and freed once per record, so the common
 * case is "allocate at the first free block, free it again": a short scan and no memmove. */
#include <stdlib.h>
#include <string.h>

#include "guest_heap.h"

bool lw_guest_heap_init(lw_guest_heap *heap, uint32_t base, uint32_t size) {
  memset(heap, 0, sizeof *heap);
  uint32_t aligned = (base + LW_GUEST_HEAP_ALIGN - 1) & ~(LW_GUEST_HEAP_ALIGN - 1);
  if (base == 0 || aligned < base || size < aligned - base + LW_GUEST_HEAP_ALIGN) return false;
  size -= aligned - base;
  size &= ~(LW_GUEST_HEAP_ALIGN - 1);
  heap->blocks = malloc(16 * sizeof *heap->blocks);
  if (!heap->blocks) return false;
  heap->cap = 16;
  heap->count = 1;
  heap->base = aligned;
  heap->size = size;
  heap->blocks[0] = (lw_heap_block){aligned, size, false};
  return true;
}

void lw_guest_heap_destroy(lw_guest_heap *heap) {
  free(heap->blocks);
  memset(heap, 0, sizeof *heap);
}

static bool insert_block(lw_guest_heap *heap, size_t at, lw_heap_block block) {
  if (heap->count == heap->cap) {
    size_t cap = heap->cap * 2;
    lw_heap_block *blocks = realloc(heap->blocks, cap * sizeof *blocks);
    if (!blocks) return false;
    heap->blocks = blocks;
    heap->cap = cap;
  }
  memmove(heap->blocks + at + 1, heap->blocks + at, (heap->count - at) * sizeof *heap->blocks);
  heap->blocks[at] = block;
  heap->count++;
  return true;
}

static void remove_block(lw_guest_heap *heap, size_t at) {
  memmove(heap->blocks + at, heap->blocks + at + 1, (heap->count - at - 1) * sizeof *heap->blocks);
  heap->count--;
}

uint32_t lw_guest_heap_alloc(lw_guest_heap *heap, uint32_t n) {
  if (!heap->blocks) return 0;
  if (n == 0) n = 1; /* malloc(0) returns a unique pointer */
  if (n > UINT32_MAX - LW_GUEST_HEAP_ALIGN) return 0;
  uint32_t want = (n + LW_GUEST_HEAP_ALIGN - 1) & ~(LW_GUEST_HEAP_ALIGN - 1);
  for (size_t i = heap->first_free; i < heap->count; i++) {
    lw_heap_block *b = &heap->blocks[i];
    if (b->used || b->size < want) continue;
    uint32_t addr = b->offset;
    if (b->size > want) {
      lw_heap_block rest = {b->offset + want, b->size - want, false};
      if (!insert_block(heap, i + 1, rest)) return 0;
      b = &heap->blocks[i];
      b->size = want;
    }
    b->used = true;
    heap->used_bytes += want;
    /* Blocks before i were all used or too small; i is used now. */
    if (i == heap->first_free) heap->first_free = i + 1;
    return addr;
  }
  return 0;
}

static size_t find_block(const lw_guest_heap *heap, uint32_t addr, bool *found) {
  size_t lo = 0, hi = heap->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (heap->blocks[mid].offset < addr) lo = mid + 1;
    else hi = mid;
  }
  *found = lo < heap->count && heap->blocks[lo].offset == addr;
  return lo;
}

bool lw_guest_heap_free(lw_guest_heap *heap, uint32_t addr) {
  bool found;
  size_t i = find_block(heap, addr, &found);
  if (!found || !heap->blocks[i].used) return false;
  heap->blocks[i].used = false;
  heap->used_bytes -= heap->blocks[i].size;
  if (i + 1 < heap->count && !heap->blocks[i + 1].used) {
    heap->blocks[i].size += heap->blocks[i + 1].size;
    remove_block(heap, i + 1);
  }
  if (i > 0 && !heap->blocks[i - 1].used) {
    heap->blocks[i - 1].size += heap->blocks[i].size;
    remove_block(heap, i);
    i--;
  }
  if (i < heap->first_free) heap->first_free = i;
  return true;
}

uint32_t lw_guest_heap_block_size(const lw_guest_heap *heap, uint32_t addr) {
  bool found;
  size_t i = find_block(heap, addr, &found);
  return found && heap->blocks[i].used ? heap->blocks[i].size : 0;
}
