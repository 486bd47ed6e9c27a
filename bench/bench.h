/*
 * bench.h - what the parts of shmrep-bench share: keys and values, the
 * clock, and the contenders' entry points.
 *
 * Every contender stores the same N pairs: key i is 16 bytes that look
 * random (two 64-bit words mixed from i), value i is 16 bytes that encode i
 * and a generation, so any read can be checked without a table of expected
 * values.  Keys are computed from i inside the timed loops rather than read
 * from an array: a key array of 16 MiB would add a cache miss per read that
 * every contender pays and would flatten the ratios; the mix costs a few
 * cycles and no memory.  The loops read a pregenerated sequence of indices
 * instead of calling an RNG, sequentially, which the prefetcher hides.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define BENCH_KLEN 16
#define BENCH_VLEN 16
#define BENCH_VAL_TAG 0x5a5a5a5a00000000ull

/* splitmix64's finalizer: a bijection of 64-bit words with mix(0) == 0. */
static inline uint64_t bench_mix(uint64_t z)
{
	z ^= z >> 30;
	z *= 0xbf58476d1ce4e5b9ull;
	z ^= z >> 27;
	z *= 0x94d049bb133111ebull;
	z ^= z >> 31;
	return z;
}

/*
 * Key i.  Word 0 is mix(i + 1): distinct for distinct i, and never zero,
 * which the open-addressing table uses to mark empty slots.
 */
static inline void bench_key(uint64_t i, uint64_t k[2])
{
	k[0] = bench_mix(i + 1);
	k[1] = bench_mix(i ^ 0x9e3779b97f4a7c15ull);
}

/* Value of key i written by generation gen (0: the initial load). */
static inline void bench_val(uint64_t i, uint64_t gen, uint64_t v[2])
{
	v[0] = i ^ BENCH_VAL_TAG;
	v[1] = gen;
}

/* What a read loop adds to its checksum for one value. */
static inline uint64_t bench_sum(const uint64_t v[2])
{
	return v[0] + v[1];
}

/*
 * The read loops (*_run) take `chain`: when set, the index of each read is
 * offset by a word of the previous value read (always 0, but the CPU cannot
 * know), so each lookup waits for the previous one: latency, not
 * throughput.  When clear, lookups are independent and the CPU overlaps
 * as many as its out-of-order window holds.
 */

/* Added to a checksum when a lookup fails, so the checksum check fails. */
#define BENCH_BAD 0x8000000000000001ull

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Print to stderr and exit(1). */
void bench_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* --------------------------------------------------- floor (floor.c) */

struct chained;
struct openaddr;

struct chained *chained_build(size_t n);
void chained_free(struct chained *t);
int chained_get(const struct chained *t, const uint64_t k[2], uint64_t v[2]);
uint64_t chained_run(const struct chained *t, const uint32_t *idx, size_t n,
		     bool chain);
uint64_t chained_bytes(const struct chained *t);

struct openaddr *openaddr_build(size_t n);
void openaddr_free(struct openaddr *t);
int openaddr_get(const struct openaddr *t, const uint64_t k[2],
		 uint64_t v[2]);
uint64_t openaddr_run(const struct openaddr *t, const uint32_t *idx,
		      size_t n, bool chain);
uint64_t openaddr_bytes(const struct openaddr *t);

/* ---------------------------------------------------- LMDB (lmdb_run.c) */

struct lmdb_side;

/* Create an environment in a fresh directory under /dev/shm, load n pairs.
 * The directory is removed by lmdb_side_free (and lmdb_side_cleanup_sig). */
struct lmdb_side *lmdb_side_build(size_t n);
void lmdb_side_free(struct lmdb_side *l);
/* Async-signal-safe: unlink the files of every live environment. */
void lmdb_side_cleanup_sig(void);
int lmdb_side_get(struct lmdb_side *l, const uint64_t k[2], uint64_t v[2]);
/* One read transaction per read (renew, get, reset). */
uint64_t lmdb_run_txn1(struct lmdb_side *l, const uint32_t *idx, size_t n,
		       bool chain);
/* One read transaction per batch reads. */
uint64_t lmdb_run_txnk(struct lmdb_side *l, const uint32_t *idx, size_t n,
		       size_t batch, bool chain);
uint64_t lmdb_side_bytes(struct lmdb_side *l);
unsigned lmdb_side_depth(struct lmdb_side *l);

/* ------------------------------------------------- shmrep (shm_run.c) */

struct shmrep;
struct shm_side;

struct trie_stats {
	uint64_t leaves;
	uint64_t nodes; /* HAMT nodes and collision nodes */
	uint64_t node_bytes; /* as allocated (size classes) */
	double avg_nodes; /* nodes visited by a lookup that hits, mean */
	unsigned max_nodes;
	uint64_t hist[16]; /* leaves by nodes visited */
};

/* Create region "bench-<pid>-<seq>" of size bytes and load n keys through
 * the writer, publishing every batch SETs; *load_ns gets the time. */
struct shm_side *shm_side_build(size_t n, uint64_t size, size_t batch,
				uint64_t *load_ns);
/* Close everything and remove the region's files. */
void shm_side_free(struct shm_side *s);
/* Async-signal-safe: unlink the files of every live region. */
void shm_side_cleanup_sig(void);
const char *shm_side_name(const struct shm_side *s);
uint64_t shm_side_used_bytes(const struct shm_side *s);
void shm_side_trie_stats(struct shm_side *s, struct trie_stats *st);

/* Read loops over a reader handle (shmrep_open of the side's name). */
uint64_t shm_run_get(struct shmrep *h, const uint32_t *idx, size_t n,
		     bool chain);
uint64_t shm_run_snap1(struct shmrep *h, const uint32_t *idx, size_t n,
		       bool chain);
uint64_t shm_run_snapk(struct shmrep *h, const uint32_t *idx, size_t n,
		       size_t batch, bool chain);
int shm_get1(struct shmrep *h, const uint64_t k[2], uint64_t v[2]);
int shm_snap_get1(struct shmrep *h, const uint64_t k[2], uint64_t v[2]);

/*
 * Writes through the writer, as the daemon does them.  Overwrite: nops SETs
 * of keys idx[0..nops) (existing keys) with values of generation gen,
 * publishing every batch SETs and once at the end.  Load: empty database 0
 * (untimed), then insert keys 0..n-1 with generation gen.  Both return the
 * nanoseconds spent in SETs, publications and reclamation; 0 on failure.
 */
uint64_t shm_overwrite(struct shm_side *s, const uint32_t *idx, size_t nops,
		       size_t batch, uint64_t gen);
uint64_t shm_reload(struct shm_side *s, size_t batch, uint64_t gen);
/* Read back every key through h: its value must carry key i's tag and a
 * generation in [gen_lo, gen_hi].  Returns the number of bad keys. */
size_t shm_verify_all(struct shmrep *h, size_t n, uint64_t gen_lo,
		      uint64_t gen_hi);

/* --------------------------------------------------- util.c */

/* Median and range of the runs of one cell. */
struct bench_cell {
	double med, min, max;
	bool have;
};

/* "1000", "10k", "1M" (decimal), "1g" (2^30); exits on anything else. */
size_t bench_parse_size(const char *s);
/* A comma-separated list of sizes into out[max]: how many. */
int bench_parse_sizes(const char *list, size_t *out, int max);
/* Pin to CPU want, or (want < 0) to the last CPU allowed: which. */
int bench_pin(int want);
int bench_cmp_double(const void *a, const void *b);
/* Sorts v[n]. */
struct bench_cell bench_summarize(double *v, int n);
/* n as "1M", "100k" or "1234". */
void bench_fmt_count(char *buf, size_t cap, size_t n);

/* --------------------------------------------------- machine.c */

/* Print CPU, caches, memory, kernel, clock source, compiler, build. */
void machine_print(int cpu);

#endif
