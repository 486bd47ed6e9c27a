/*
 * alloc.c - size-class slabs and page runs for the one writer.
 *
 * Layout of the arena: pages [first_page, top) have been handed out at some
 * point; pages [top, npages) never have.  A private page map (pmap, one word
 * per page, in the daemon's heap) records what each page is:
 *
 *   FREE_HEAD|len   first page of a free run (its in-region list links live
 *                   in the page itself, struct run_links)
 *   FREE_TAIL|len   last page of a free run of len > 1
 *   RUN|len         first page of an allocated run of len pages
 *   SLAB|class      a page of a slab of that size class
 *   0               anything else (inside a run, or past top)
 *
 * Only first and last pages of free runs carry free marks, and nothing else
 * carries them, so freeing a run can coalesce with both neighbours by looking
 * at one page on each side.  Free runs are kept in 65 bins (exact lengths
 * 1..64, then "longer"), with a bitmask of non-empty bins, so finding a run
 * is a count-trailing-zeros, not a search, except for long runs (first fit).
 *
 * Slabs are never given back to the page pool: a size class keeps the pages
 * it grew to, as jemalloc's and Redis's memory does.  Freed page runs of 16
 * pages or more are returned to tmpfs with MADV_REMOVE, so a FLUSHALL of
 * large values gives memory back to the host.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "alloc.h"

#define PM_KIND(x) ((x) >> 28)
#define PM_LEN(x) ((x) & 0x0fffffffu)
enum { PM_NONE = 0, PM_FREE_HEAD = 1, PM_FREE_TAIL = 2, PM_RUN = 3, PM_SLAB = 4 };
#define PM(kind, len) (((uint32_t)(kind) << 28) | (uint32_t)(len))

#define PAGE_UNITS (SHM_PAGE / SHM_UNIT)
#define RELEASE_MIN_PAGES 16

struct run_links {
	uint32_t next;
	uint32_t prev;
};

static unsigned size_class(uint64_t size)
{
	unsigned lg;

	if (size <= 128)
		return size ? (unsigned)((size + 15) / 16 - 1) : 0;
	lg = 63 - (unsigned)__builtin_clzll(size - 1);
	return 8 + (lg - 7) * 4 + (unsigned)((size - 1) >> (lg - 2)) - 4;
}

static uint64_t class_size(unsigned c)
{
	if (c < 8)
		return (uint64_t)(c + 1) * 16;
	return (uint64_t)(4 + (c - 8) % 4 + 1) << (5 + (c - 8) / 4);
}

/* Pages per slab: room for at least 8 blocks. */
static uint32_t slab_pages(unsigned c)
{
	uint64_t p = (8 * class_size(c) + SHM_PAGE - 1) / SHM_PAGE;

	return p ? (uint32_t)p : 1;
}

static uint64_t run_pages(uint64_t size)
{
	return (size + SHM_PAGE - 1) / SHM_PAGE;
}

uint64_t alloc_rounded(uint64_t size)
{
	if (size <= SHM_ALLOC_SMALL_MAX)
		return class_size(size_class(size));
	return run_pages(size) * SHM_PAGE;
}

static struct run_links *links(struct shm_alloc *a, uint32_t p)
{
	return (struct run_links *)(a->base + (uint64_t)p * SHM_PAGE);
}

static unsigned bin_of(uint32_t len)
{
	return len <= 64 ? len - 1 : 64;
}

static void bin_insert(struct shm_alloc *a, uint32_t p, uint32_t len)
{
	unsigned b = bin_of(len);
	struct run_links *l = links(a, p);

	l->prev = 0;
	l->next = a->bins[b];
	if (l->next)
		links(a, l->next)->prev = p;
	a->bins[b] = p;
	if (b < 64)
		a->binmask |= 1ull << b;
}

static void bin_remove(struct shm_alloc *a, uint32_t p, uint32_t len)
{
	unsigned b = bin_of(len);
	struct run_links *l = links(a, p);

	if (l->prev)
		links(a, l->prev)->next = l->next;
	else
		a->bins[b] = l->next;
	if (l->next)
		links(a, l->next)->prev = l->prev;
	if (b < 64 && !a->bins[b])
		a->binmask &= ~(1ull << b);
}

/* Mark [p, p+len) as one free run and put it in its bin. */
static void run_make_free(struct shm_alloc *a, uint32_t p, uint32_t len)
{
	a->pmap[p] = PM(PM_FREE_HEAD, len);
	if (len > 1)
		a->pmap[p + len - 1] = PM(PM_FREE_TAIL, len);
	bin_insert(a, p, len);
}

/* Give the pages of [p, p+len) back to tmpfs, keeping the first one (it
 * holds the run's list links). */
static void run_release(struct shm_alloc *a, uint32_t p, uint32_t len)
{
	if (len < RELEASE_MIN_PAGES)
		return;
	(void)madvise(a->base + (uint64_t)(p + 1) * SHM_PAGE,
		      (uint64_t)(len - 1) * SHM_PAGE, MADV_REMOVE);
}

static uint32_t pages_alloc(struct shm_alloc *a, uint32_t n)
{
	unsigned b = bin_of(n);
	uint32_t p = 0, len = 0;

	if (b < 64) {
		uint64_t m = a->binmask & ~((1ull << b) - 1);

		if (m) {
			p = a->bins[__builtin_ctzll(m)];
			len = PM_LEN(a->pmap[p]);
		}
	}
	if (!p) {
		for (uint32_t q = a->bins[64]; q; q = links(a, q)->next) {
			if (PM_LEN(a->pmap[q]) >= n) {
				p = q;
				len = PM_LEN(a->pmap[q]);
				break;
			}
		}
	}
	if (p) {
		bin_remove(a, p, len);
		if (len > 1)
			a->pmap[p + len - 1] = PM_NONE;
		a->pmap[p] = PM_NONE;
		if (len > n)
			run_make_free(a, p + n, len - n);
		return p;
	}
	if (a->npages - a->top < n)
		return 0;
	p = a->top;
	a->top += n;
	return p;
}

static void pages_free(struct shm_alloc *a, uint32_t p, uint32_t n)
{
	uint32_t q, op = p, on = n;

	a->pmap[p] = PM_NONE;
	if (p > a->first_page) {
		q = a->pmap[p - 1];
		if (PM_KIND(q) == PM_FREE_TAIL ||
		    (PM_KIND(q) == PM_FREE_HEAD && PM_LEN(q) == 1)) {
			uint32_t ll = PM_LEN(q), lp = p - ll;

			bin_remove(a, lp, ll);
			a->pmap[p - 1] = PM_NONE;
			a->pmap[lp] = PM_NONE;
			p = lp;
			n += ll;
		}
	}
	if (p + n < a->top) {
		q = a->pmap[p + n];
		if (PM_KIND(q) == PM_FREE_HEAD) {
			uint32_t rl = PM_LEN(q), rp = p + n;

			bin_remove(a, rp, rl);
			a->pmap[rp] = PM_NONE;
			a->pmap[rp + rl - 1] = PM_NONE;
			n += rl;
		}
	}
	if (p + n == a->top) {
		a->top = p;
		if (n >= RELEASE_MIN_PAGES)
			(void)madvise(a->base + (uint64_t)p * SHM_PAGE,
				      (uint64_t)n * SHM_PAGE, MADV_REMOVE);
		return;
	}
	/* Release only the pages freed now: the neighbours were released
	 * when they were freed. */
	if (op == p)
		run_release(a, op, on);
	else if (on >= RELEASE_MIN_PAGES)
		(void)madvise(a->base + (uint64_t)op * SHM_PAGE,
			      (uint64_t)on * SHM_PAGE, MADV_REMOVE);
	run_make_free(a, p, n);
}

int alloc_init(struct shm_alloc *a, uint8_t *base, uint32_t first_page,
	       uint32_t npages)
{
	memset(a, 0, sizeof(*a));
	a->pmap = calloc(npages, sizeof(*a->pmap));
	if (!a->pmap)
		return -ENOMEM;
	a->base = base;
	a->first_page = first_page;
	a->npages = npages;
	a->top = first_page;
	return 0;
}

void alloc_destroy(struct shm_alloc *a)
{
	free(a->pmap);
	a->pmap = NULL;
	for (unsigned c = 0; c < SHM_ALLOC_NCLASS; c++) {
		free(a->freelist[c].v);
		a->freelist[c].v = NULL;
		a->freelist[c].n = a->freelist[c].cap = 0;
	}
}

static shm_ref small_alloc(struct shm_alloc *a, unsigned c)
{
	uint64_t csz = class_size(c);
	struct shm_freelist *fl = &a->freelist[c];
	shm_ref r;

	if (fl->n) {
		a->used += csz;
		return fl->v[--fl->n];
	}
	if (a->bump[c] == a->bump_end[c]) {
		uint32_t n = slab_pages(c), p = pages_alloc(a, n);
		uint64_t nblocks = (uint64_t)n * SHM_PAGE / csz;

		if (!p)
			return 0;
		for (uint32_t i = 0; i < n; i++)
			a->pmap[p + i] = PM(PM_SLAB, c);
		a->slab_bytes += (uint64_t)n * SHM_PAGE;
		a->bump[c] = p * PAGE_UNITS;
		a->bump_end[c] = a->bump[c] + (shm_ref)(nblocks * (csz / SHM_UNIT));
	}
	r = a->bump[c];
	a->bump[c] += (shm_ref)(csz / SHM_UNIT);
	a->used += csz;
	return r;
}

shm_ref alloc_block(struct shm_alloc *a, uint64_t size)
{
	uint64_t n;
	uint32_t p;

	if (a->fail_after) {
		if (a->fail_after == 1)
			return 0;
		a->fail_after--;
	}
	if (size <= SHM_ALLOC_SMALL_MAX)
		return small_alloc(a, size_class(size));
	n = run_pages(size);
	if (n > a->npages)
		return 0;
	p = pages_alloc(a, (uint32_t)n);
	if (!p)
		return 0;
	a->pmap[p] = PM(PM_RUN, n);
	a->used += n * SHM_PAGE;
	a->run_bytes += n * SHM_PAGE;
	return p * PAGE_UNITS;
}

void alloc_free(struct shm_alloc *a, shm_ref r, uint64_t size)
{
	if (size <= SHM_ALLOC_SMALL_MAX) {
		unsigned c = size_class(size);

		struct shm_freelist *fl = &a->freelist[c];

		if (fl->n == fl->cap) {
			uint32_t cap = fl->cap ? fl->cap * 2 : 256;
			shm_ref *v = reallocarray(fl->v, cap, sizeof(*v));

			/* Out of process memory: lose the block rather than
			 * fail a free (it is only space in the region). */
			if (!v)
				return;
			fl->v = v;
			fl->cap = cap;
		}
		fl->v[fl->n++] = r;
		a->used -= class_size(c);
		return;
	}
	a->used -= run_pages(size) * SHM_PAGE;
	a->run_bytes -= run_pages(size) * SHM_PAGE;
	pages_free(a, r / PAGE_UNITS, (uint32_t)run_pages(size));
}

uint64_t alloc_free_pages_bytes(const struct shm_alloc *a)
{
	uint64_t pages = a->npages - a->top;

	for (unsigned b = 0; b < SHM_ALLOC_NBINS; b++)
		for (uint32_t q = a->bins[b]; q;
		     q = ((struct run_links *)(a->base + (uint64_t)q * SHM_PAGE))->next)
			pages += PM_LEN(a->pmap[q]);
	return pages * SHM_PAGE;
}

int alloc_check(const struct shm_alloc *a)
{
	uint64_t free_pages = 0, listed = 0, run_bytes = 0;
	uint32_t p = a->first_page;

	if (a->top > a->npages || a->top < a->first_page)
		return -EFAULT;
	while (p < a->top) {
		uint32_t x = a->pmap[p], len = PM_LEN(x);

		switch (PM_KIND(x)) {
		case PM_FREE_HEAD:
			if (!len || p + len > a->top)
				return -EFAULT;
			if (len > 1 && a->pmap[p + len - 1] != PM(PM_FREE_TAIL, len))
				return -EFAULT;
			for (uint32_t i = 1; i + 1 < len; i++)
				if (a->pmap[p + i] != PM_NONE)
					return -EFAULT;
			/* Coalescing leaves no two free runs adjacent. */
			if (p + len < a->top && PM_KIND(a->pmap[p + len]) == PM_FREE_HEAD)
				return -EFAULT;
			free_pages += len;
			p += len;
			break;
		case PM_RUN:
			if (!len || p + len > a->top)
				return -EFAULT;
			for (uint32_t i = 1; i < len; i++)
				if (a->pmap[p + i] != PM_NONE)
					return -EFAULT;
			run_bytes += (uint64_t)len * SHM_PAGE;
			p += len;
			break;
		case PM_SLAB:
			if (len >= SHM_ALLOC_NCLASS)
				return -EFAULT;
			p++;
			break;
		default:
			return -EFAULT;
		}
	}
	if (run_bytes != a->run_bytes)
		return -EFAULT;
	for (unsigned b = 0; b < SHM_ALLOC_NBINS; b++) {
		uint32_t prev = 0;

		if (b < 64 && !!a->bins[b] != !!(a->binmask & (1ull << b)))
			return -EFAULT;
		for (uint32_t q = a->bins[b]; q;) {
			const struct run_links *l =
				(const struct run_links *)(a->base + (uint64_t)q * SHM_PAGE);

			if (q < a->first_page || q >= a->top ||
			    PM_KIND(a->pmap[q]) != PM_FREE_HEAD ||
			    bin_of(PM_LEN(a->pmap[q])) != b || l->prev != prev)
				return -EFAULT;
			listed += PM_LEN(a->pmap[q]);
			if (listed > free_pages)
				return -EFAULT;
			prev = q;
			q = l->next;
		}
	}
	if (listed != free_pages)
		return -EFAULT;
	for (unsigned c = 0; c < SHM_ALLOC_NCLASS; c++) {
		const struct shm_freelist *fl = &a->freelist[c];

		for (uint32_t i = 0; i < fl->n; i++) {
			uint32_t pg = fl->v[i] / PAGE_UNITS;

			if (pg >= a->top || a->pmap[pg] != PM(PM_SLAB, c))
				return -EFAULT;
		}
	}
	return 0;
}
