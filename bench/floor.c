/*
 * floor.c - the in-process hash tables that shmrep's reads are measured
 * against: the floor a read of shared memory can hope to approach.
 *
 * Chained: the textbook table, and the one the targets are stated against.
 * A power-of-two array of bucket pointers (one bucket per key, rounded up,
 * so the load factor is 0.5..1 as in Redis's dict), one malloc'd node per
 * pair holding the key and value inline and the next pointer.  A hit costs
 * the bucket load and one node per chain step: at a million keys, two cache
 * misses.
 *
 * Open addressing: a flat array of 32-byte slots (key and value inline),
 * at most half full, linear probing, an all-zero key marking an empty slot.
 * A hit usually costs one miss; it is the lower of the two floors, shown so
 * that the reader of the report sees how far a flat layout goes.
 *
 * Both hash with the same seeded XXH3-64 as the region (shm/hash.h), and
 * both copy the value out, as shmrep_get does.
 */
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "bench.h"

#define FLOOR_SEED 0x243f6a8885a308d3ull

static inline uint64_t fhash(const uint64_t k[2])
{
	return XXH3_64bits_withSeed(k, BENCH_KLEN, FLOOR_SEED);
}

static size_t pow2_at_least(size_t n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* ----------------------------------------------------------- chained */

struct ch_node {
	struct ch_node *next;
	uint64_t key[2];
	uint64_t val[2];
};

struct chained {
	struct ch_node **b;
	uint64_t mask;
	size_t n;
};

struct chained *chained_build(size_t n)
{
	struct chained *t = calloc(1, sizeof(*t));
	size_t nb = pow2_at_least(n);

	if (!t)
		bench_die("out of memory");
	t->b = calloc(nb, sizeof(*t->b));
	if (!t->b)
		bench_die("out of memory");
	t->mask = nb - 1;
	for (size_t i = 0; i < n; i++) {
		struct ch_node *e = malloc(sizeof(*e)), **slot;

		if (!e)
			bench_die("out of memory");
		bench_key(i, e->key);
		bench_val(i, 0, e->val);
		slot = &t->b[fhash(e->key) & t->mask];
		e->next = *slot;
		*slot = e;
	}
	t->n = n;
	return t;
}

void chained_free(struct chained *t)
{
	if (!t)
		return;
	for (uint64_t i = 0; i <= t->mask; i++) {
		for (struct ch_node *e = t->b[i], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(t->b);
	free(t);
}

static inline int ch_get(const struct chained *t, const uint64_t k[2],
			 uint64_t v[2])
{
	const struct ch_node *e = t->b[fhash(k) & t->mask];

	for (; e; e = e->next) {
		if (memcmp(e->key, k, BENCH_KLEN) == 0) {
			memcpy(v, e->val, BENCH_VLEN);
			return 0;
		}
	}
	return -1;
}

int chained_get(const struct chained *t, const uint64_t k[2], uint64_t v[2])
{
	return ch_get(t, k, v);
}

static inline __attribute__((always_inline))
uint64_t chained_loop(const struct chained *t, const uint32_t *idx, size_t n,
		      const bool chain)
{
	uint64_t sum = 0, dep = 0;

	for (size_t j = 0; j < n; j++) {
		uint64_t k[2], v[2];

		bench_key(idx[j] + dep, k);
		if (ch_get(t, k, v)) {
			sum += BENCH_BAD;
		} else {
			sum += bench_sum(v);
			if (chain)
				dep = v[1];
		}
	}
	return sum;
}

__attribute__((noinline))
uint64_t chained_run(const struct chained *t, const uint32_t *idx, size_t n,
		     bool chain)
{
	return chain ? chained_loop(t, idx, n, true)
		     : chained_loop(t, idx, n, false);
}

/* Bytes as glibc's malloc lays them out: 40-byte nodes in 48-byte chunks. */
uint64_t chained_bytes(const struct chained *t)
{
	return (t->mask + 1) * sizeof(void *) + t->n * 48;
}

/* ---------------------------------------------------- open addressing */

struct oa_slot {
	uint64_t key[2];
	uint64_t val[2];
};

struct openaddr {
	struct oa_slot *s;
	uint64_t mask;
};

struct openaddr *openaddr_build(size_t n)
{
	struct openaddr *t = calloc(1, sizeof(*t));
	size_t cap = pow2_at_least(2 * n);

	if (!t)
		bench_die("out of memory");
	if (posix_memalign((void **)&t->s, 64, cap * sizeof(*t->s)))
		bench_die("out of memory");
	memset(t->s, 0, cap * sizeof(*t->s));
	t->mask = cap - 1;
	for (size_t i = 0; i < n; i++) {
		uint64_t k[2];
		uint64_t j;

		bench_key(i, k);
		j = fhash(k) & t->mask;
		while (t->s[j].key[0])
			j = (j + 1) & t->mask;
		memcpy(t->s[j].key, k, BENCH_KLEN);
		bench_val(i, 0, t->s[j].val);
	}
	return t;
}

void openaddr_free(struct openaddr *t)
{
	if (!t)
		return;
	free(t->s);
	free(t);
}

static inline int oa_get(const struct openaddr *t, const uint64_t k[2],
			 uint64_t v[2])
{
	for (uint64_t j = fhash(k) & t->mask;; j = (j + 1) & t->mask) {
		const struct oa_slot *s = &t->s[j];

		if (memcmp(s->key, k, BENCH_KLEN) == 0) {
			memcpy(v, s->val, BENCH_VLEN);
			return 0;
		}
		if (!s->key[0])
			return -1;
	}
}

int openaddr_get(const struct openaddr *t, const uint64_t k[2], uint64_t v[2])
{
	return oa_get(t, k, v);
}

static inline __attribute__((always_inline))
uint64_t openaddr_loop(const struct openaddr *t, const uint32_t *idx, size_t n,
		       const bool chain)
{
	uint64_t sum = 0, dep = 0;

	for (size_t j = 0; j < n; j++) {
		uint64_t k[2], v[2];

		bench_key(idx[j] + dep, k);
		if (oa_get(t, k, v)) {
			sum += BENCH_BAD;
		} else {
			sum += bench_sum(v);
			if (chain)
				dep = v[1];
		}
	}
	return sum;
}

__attribute__((noinline))
uint64_t openaddr_run(const struct openaddr *t, const uint32_t *idx,
		      size_t n, bool chain)
{
	return chain ? openaddr_loop(t, idx, n, true)
		     : openaddr_loop(t, idx, n, false);
}

uint64_t openaddr_bytes(const struct openaddr *t)
{
	return (t->mask + 1) * sizeof(struct oa_slot);
}
