/*
 * alloc.h - the writer-only allocator of a data region.
 *
 * Only the daemon allocates, from one thread, so there is no atomic here.
 * Small blocks (up to SHM_ALLOC_SMALL_MAX bytes) come from size-class slabs;
 * larger ones take a run of whole pages.  Freeing is sized: the caller says
 * how big the block was (every block's size follows from its contents), so
 * blocks carry no header.  Free small blocks are kept on private stacks
 * of refs; free page runs are linked through their first page, which is
 * safe because a block is only freed once no reader can see it (writer.c
 * decides when).
 */
#ifndef SHM_ALLOC_H
#define SHM_ALLOC_H

#include <stdbool.h>
#include <stdint.h>

#include "layout.h"

#define SHM_ALLOC_SMALL_MAX 2048u
#define SHM_ALLOC_NCLASS 24
#define SHM_ALLOC_NBINS 65 /* free-run bins: lengths 1..64, and > 64 */

struct shm_alloc {
	uint8_t *base; /* region, mapped read-write */
	uint32_t first_page; /* first page of the arena */
	uint32_t npages; /* pages in the region */
	uint32_t top; /* first page never handed out */
	uint32_t *pmap; /* per page: PM_* kind | length or class */
	/* Free small blocks per class, as a stack of refs in the daemon's
	 * heap rather than a list linked through the blocks: freeing a block
	 * that went cold long ago then costs no cache miss. */
	struct shm_freelist {
		shm_ref *v;
		uint32_t n, cap;
	} freelist[SHM_ALLOC_NCLASS];
	shm_ref bump[SHM_ALLOC_NCLASS]; /* next uncarved block of the slab */
	shm_ref bump_end[SHM_ALLOC_NCLASS];
	uint32_t bins[SHM_ALLOC_NBINS]; /* first page of a free run, 0 none */
	uint64_t binmask; /* bit b set when bins[b] is non-empty (b < 64) */
	uint64_t used; /* bytes in live blocks, rounded to their class */
	uint64_t slab_bytes; /* bytes of pages given to slabs */
	uint64_t run_bytes; /* bytes of pages in allocated runs */
	/* Test hook: when non-zero, the fail_after-th allocation from now and
	 * every one after it fail, as if the region were full, until the
	 * test sets it back to 0. */
	uint64_t fail_after;
};

/* Set up an allocator over npages pages of base, the arena starting at
 * first_page.  Returns -ENOMEM if the private page map cannot be allocated. */
int alloc_init(struct shm_alloc *a, uint8_t *base, uint32_t first_page,
	       uint32_t npages);
void alloc_destroy(struct shm_alloc *a);

/* A block of at least size bytes, or 0 when the region is full. */
shm_ref alloc_block(struct shm_alloc *a, uint64_t size);

/* Return a block allocated with this size. */
void alloc_free(struct shm_alloc *a, shm_ref r, uint64_t size);

/* Bytes a request of size actually takes (its class or page run). */
uint64_t alloc_rounded(uint64_t size);

/* Bytes of the arena neither allocated nor on a free list of pages. */
uint64_t alloc_free_pages_bytes(const struct shm_alloc *a);

/* Check the allocator's invariants (tests).  Returns 0 or -EFAULT. */
int alloc_check(const struct shm_alloc *a);

#endif
