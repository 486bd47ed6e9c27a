/*
 * test_alloc.c - the writer-only allocator: randomized against a model of
 * live blocks (no overlap, contents intact), boundaries driven both ways
 * (exactly full, one page short, huge requests), coalescing back to an
 * empty arena, and the fault-injection hook.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "testutil.h"

#define NPAGES 2048 /* 8 MiB arena */

static uint8_t *arena(void)
{
	uint8_t *p = aligned_alloc(SHM_PAGE, (size_t)NPAGES * SHM_PAGE);

	CU_ASSERT_FATAL(p != NULL);
	memset(p, 0, (size_t)NPAGES * SHM_PAGE);
	return p;
}

struct live {
	shm_ref ref;
	uint64_t size;
	uint8_t fill;
};

static uint64_t pick_size(uint64_t *rs)
{
	uint64_t r = tu_rand(rs) % 100;

	if (r < 60)
		return 1 + tu_rand(rs) % 128;
	if (r < 85)
		return 1 + tu_rand(rs) % SHM_ALLOC_SMALL_MAX;
	if (r < 97)
		return SHM_ALLOC_SMALL_MAX + 1 + tu_rand(rs) % (16 * SHM_PAGE);
	return 1 + tu_rand(rs) % (200 * SHM_PAGE);
}

static bool intact(const uint8_t *base, const struct live *l)
{
	const uint8_t *p = base + ((uint64_t)l->ref << SHM_UNIT_SHIFT);

	/* The first 4 bytes double as the free-list link once freed; the
	 * block is live here, so all of it must still hold the pattern. */
	for (uint64_t i = 0; i < l->size; i++)
		if (p[i] != l->fill)
			return false;
	return true;
}

static void test_random_model(void)
{
	uint8_t *base = arena();
	struct shm_alloc a;
	struct live *lv = calloc(20000, sizeof(*lv));
	size_t n = 0;
	uint64_t rs = tu_seed();

	CU_ASSERT_FATAL(alloc_init(&a, base, 1, NPAGES) == 0);
	for (int step = 0; step < 60000; step++) {
		bool do_alloc = n == 0 || (tu_rand(&rs) % 100 < 55 && n < 20000);

		if (do_alloc) {
			uint64_t size = pick_size(&rs);
			shm_ref r = alloc_block(&a, size);

			if (!r)
				continue; /* full: the model frees next */
			CU_ASSERT_FATAL((uint64_t)r << SHM_UNIT_SHIFT >= SHM_PAGE);
			CU_ASSERT_FATAL(((uint64_t)r << SHM_UNIT_SHIFT) + size <=
					(uint64_t)NPAGES * SHM_PAGE);
			lv[n].ref = r;
			lv[n].size = size;
			lv[n].fill = (uint8_t)(tu_rand(&rs) | 1);
			memset(base + ((uint64_t)r << SHM_UNIT_SHIFT), lv[n].fill, size);
			n++;
		} else {
			size_t i = tu_rand(&rs) % n;

			CU_ASSERT_FATAL(intact(base, &lv[i]));
			alloc_free(&a, lv[i].ref, lv[i].size);
			lv[i] = lv[--n];
		}
		if (step % 5000 == 0)
			CU_ASSERT_FATAL(alloc_check(&a) == 0);
	}
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_FATAL(intact(base, &lv[i]));
	CU_ASSERT(alloc_check(&a) == 0);
	while (n)
		alloc_free(&a, lv[n - 1].ref, lv[n - 1].size), n--;
	CU_ASSERT(alloc_check(&a) == 0);
	CU_ASSERT(a.used == 0);
	CU_ASSERT(a.run_bytes == 0);
	alloc_destroy(&a);
	free(lv);
	free(base);
}

static void test_runs_coalesce(void)
{
	uint8_t *base = arena();
	struct shm_alloc a;
	shm_ref r[64];
	uint64_t size = 3 * SHM_PAGE;

	CU_ASSERT_FATAL(alloc_init(&a, base, 1, NPAGES) == 0);
	for (int i = 0; i < 64; i++)
		CU_ASSERT_FATAL((r[i] = alloc_block(&a, size)) != 0);
	/* Free every other run, then the rest: every free must merge. */
	for (int i = 0; i < 64; i += 2)
		alloc_free(&a, r[i], size);
	CU_ASSERT(alloc_check(&a) == 0);
	for (int i = 1; i < 64; i += 2)
		alloc_free(&a, r[i], size);
	CU_ASSERT(alloc_check(&a) == 0);
	/* Everything coalesced and fell back to the top. */
	CU_ASSERT(a.top == 1);
	CU_ASSERT(alloc_free_pages_bytes(&a) == (uint64_t)(NPAGES - 1) * SHM_PAGE);
	alloc_destroy(&a);
	free(base);
}

static void test_full_boundaries(void)
{
	uint8_t *base = arena();
	struct shm_alloc a;
	uint64_t arena_bytes = (uint64_t)(NPAGES - 1) * SHM_PAGE;
	shm_ref r;

	CU_ASSERT_FATAL(alloc_init(&a, base, 1, NPAGES) == 0);
	/* One byte more than the arena: refused; exactly the arena: taken. */
	CU_ASSERT(alloc_block(&a, arena_bytes + 1) == 0);
	r = alloc_block(&a, arena_bytes);
	CU_ASSERT_FATAL(r != 0);
	CU_ASSERT(alloc_block(&a, 1) == 0);
	CU_ASSERT(alloc_block(&a, SHM_PAGE + 1) == 0);
	alloc_free(&a, r, arena_bytes);
	CU_ASSERT(alloc_check(&a) == 0);
	/* Absurd sizes fail cleanly. */
	CU_ASSERT(alloc_block(&a, UINT64_MAX / 2) == 0);
	CU_ASSERT(alloc_block(&a, (uint64_t)UINT32_MAX * SHM_PAGE) == 0);
	/* Fill with small blocks until refused, free all, fill again: the
	 * same number fits (nothing leaked). */
	{
		static shm_ref blk[600000];
		size_t n1 = 0, n2 = 0;

		while (n1 < 600000 && (blk[n1] = alloc_block(&a, 48)))
			n1++;
		CU_ASSERT(n1 > 100000);
		for (size_t i = 0; i < n1; i++)
			alloc_free(&a, blk[i], 48);
		CU_ASSERT(a.used == 0);
		while (n2 < 600000 && (blk[n2] = alloc_block(&a, 48)))
			n2++;
		CU_ASSERT(n1 == n2);
		CU_ASSERT(alloc_check(&a) == 0);
	}
	alloc_destroy(&a);
	free(base);
}

static void test_rounding(void)
{
	CU_ASSERT(alloc_rounded(1) == 16);
	CU_ASSERT(alloc_rounded(16) == 16);
	CU_ASSERT(alloc_rounded(17) == 32);
	CU_ASSERT(alloc_rounded(128) == 128);
	CU_ASSERT(alloc_rounded(129) == 160);
	CU_ASSERT(alloc_rounded(257) == 320);
	CU_ASSERT(alloc_rounded(2048) == 2048);
	CU_ASSERT(alloc_rounded(2049) == SHM_PAGE);
	CU_ASSERT(alloc_rounded(SHM_PAGE + 1) == 2 * SHM_PAGE);
	for (uint64_t s = 1; s <= SHM_ALLOC_SMALL_MAX; s++) {
		uint64_t r = alloc_rounded(s);

		CU_ASSERT_FATAL(r >= s && r % SHM_UNIT == 0);
		/* At most 25% (or one granule) of waste per block. */
		CU_ASSERT_FATAL(r - s < SHM_UNIT || (r - s) * 4 <= r);
	}
}

static void test_alignment(void)
{
	uint8_t *base = arena();
	struct shm_alloc a;

	CU_ASSERT_FATAL(alloc_init(&a, base, 1, NPAGES) == 0);
	/* 64-byte blocks (a 16+16 leaf) each sit in one cache line. */
	for (int i = 0; i < 1000; i++) {
		shm_ref r = alloc_block(&a, 64);

		CU_ASSERT_FATAL(r && (((uint64_t)r << SHM_UNIT_SHIFT) % 64) == 0);
	}
	alloc_destroy(&a);
	free(base);
}

static void test_fault_injection(void)
{
	uint8_t *base = arena();
	struct shm_alloc a;

	CU_ASSERT_FATAL(alloc_init(&a, base, 1, NPAGES) == 0);
	a.fail_after = 3;
	CU_ASSERT(alloc_block(&a, 32) != 0);
	CU_ASSERT(alloc_block(&a, 32) != 0);
	CU_ASSERT(alloc_block(&a, 32) == 0);
	CU_ASSERT(alloc_block(&a, 8192) == 0); /* stays failed */
	a.fail_after = 0;
	CU_ASSERT(alloc_block(&a, 32) != 0);
	alloc_destroy(&a);
	free(base);
}

static CU_TestInfo tests[] = {
	{ "random_model", test_random_model },
	{ "runs_coalesce", test_runs_coalesce },
	{ "full_boundaries", test_full_boundaries },
	{ "rounding", test_rounding },
	{ "alignment", test_alignment },
	{ "fault_injection", test_fault_injection },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = { { "alloc", tests }, { NULL, NULL } };

	return tu_main(argc, argv, suites);
}
