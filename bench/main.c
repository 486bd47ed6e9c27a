/*
 * main.c - shmrep-bench: random point reads and batched SETs, shmrep
 * against an in-process hash table (the floor) and LMDB, in one run.
 *
 * Method.  For each size N the same N pairs (16-byte keys, 16-byte values)
 * go into every contender.  A read run looks up `ops` keys drawn uniformly
 * from the N (a pregenerated index sequence) and is timed as a whole with
 * CLOCK_MONOTONIC; ns/op is total / ops.  Before any timing, every
 * contender answers the whole sequence once in a checking pass that
 * compares each value it returns; every timed run's checksum of the values
 * read is then compared with the expected one, so nothing can be optimised
 * away or silently return wrong data.  Runs are interleaved in rounds (each
 * round times every contender once, in a rotated order, each after a short
 * warm-up), so that noise from other work on the machine is spread over the
 * contenders instead of landing on one; the cell is the median of the
 * rounds.  The process is pinned to one CPU throughout.
 *
 * Writes go through the writer as the daemon's commands do (shm_run.c):
 * overwrites of random existing keys, and loads of N new keys into an
 * emptied database, with a publication every B SETs, timed with the
 * publications and reclamation they cause.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "shmrep.h"

#define MAX_SIZES 8
#define MAX_RUNS 101
#define SNAP_BATCH 1000 /* reads per snapshot / per LMDB txn */

enum row {
	R_CHAINED,
	R_OPEN,
	R_GET,
	R_GET_FENCE,
	R_SNAP1,
	R_SNAPK,
	R_LMDB1,
	R_LMDBK,
	NROWS
};

static const struct {
	const char *key; /* for --rows */
	const char *label;
} rows[NROWS] = {
	[R_CHAINED] = { "chained", "floor: chained hash table" },
	[R_OPEN] = { "open", "ref: open-addressing table" },
	[R_GET] = { "get", "shmrep_get" },
	[R_GET_FENCE] = { "get-fence", "shmrep_get, SHMREP_OPEN_FENCE" },
	[R_SNAP1] = { "snap1", "snapshot_get, 1 read/snapshot" },
	[R_SNAPK] = { "snapk", "snapshot_get, 1000 reads/snapshot" },
	[R_LMDB1] = { "lmdb", "LMDB mdb_get, 1 read/txn" },
	[R_LMDBK] = { "lmdbk", "LMDB mdb_get, 1000 reads/txn" },
};

enum wrow { W_OW1, W_OW1K, W_OW10K, W_LOAD1K, W_LOAD10K, W_FRESH, NWROWS };

static const struct {
	const char *key; /* for --wrows */
	const char *label;
	size_t batch;
} wrows[NWROWS] = {
	[W_OW1] = { "ow1", "overwrite, B=1 (info)", 1 },
	[W_OW1K] = { "ow1k", "overwrite, B=1000", 1000 },
	[W_OW10K] = { "ow10k", "overwrite, B=10000", 10000 },
	[W_LOAD1K] = { "load1k", "insert new (load 0->N), B=1000", 1000 },
	[W_LOAD10K] = { "load10k", "insert new (load 0->N), B=10000", 10000 },
	[W_FRESH] = { "fresh", "insert new, fresh region, B=10000 (1 run)",
		      10000 },
};

struct opts {
	size_t sizes[MAX_SIZES];
	int nsizes;
	size_t ops; /* reads per timed run */
	int runs;
	size_t w_ops; /* overwrites per timed run, B >= 1000 */
	size_t w_ops_b1; /* overwrites per timed run, B = 1 */
	size_t w_min_load; /* inserts per timed load sample, at least */
	uint64_t region_size;
	bool rows_on[NROWS];
	bool wrows_on[NWROWS];
	bool reads, writes, verbose, markdown;
	bool latency; /* each read waits for the previous one */
	int cpu;
	uint64_t seed;
};

struct size_result {
	size_t n;
	struct bench_cell r[NROWS];
	struct bench_cell w[NWROWS];
	struct trie_stats trie;
	uint64_t bytes[NROWS]; /* footprint of the contender's structure */
	unsigned lmdb_depth;
	bool have_trie;
};

static struct size_result results[MAX_SIZES];

/* ----------------------------------------------------------- plumbing */

static void cleanup_sig(void)
{
	shm_side_cleanup_sig();
	lmdb_side_cleanup_sig();
}

void bench_die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "shmrep-bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	cleanup_sig();
	exit(1);
}

static void on_signal(int sig)
{
	cleanup_sig();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: shmrep-bench [--quick] [--sizes N,N,...] [--runs R] [--ops N]\n"
		"                    [--rows ROW,...] [--wrows WROW,...]\n"
		"                    [--no-reads] [--no-writes]\n"
		"                    [--cpu C] [--region-size BYTES] [--seed S]\n"
		"                    [--latency] [--markdown] [--verbose]\n"
		"rows: chained open get get-fence snap1 snapk lmdb lmdbk\n"
		"wrows: ow1 ow1k ow10k load1k load10k fresh\n");
}

/* Set on[i] for each name in the comma-separated list, names[i] its name. */
static void parse_names(const char *list, const char *what,
			const char *const *names, int n, bool *on)
{
	char *copy = strdup(list), *save = NULL;

	if (!copy)
		bench_die("out of memory");
	memset(on, 0, (size_t)n * sizeof(*on));
	for (char *t = strtok_r(copy, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		int i;

		for (i = 0; i < n && strcmp(t, names[i]); i++)
			;
		if (i == n)
			bench_die("unknown %s %s", what, t);
		on[i] = true;
	}
	free(copy);
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	bool quick = false, rows_given = false, wrows_given = false;
	const char *rnames[NROWS], *wnames[NWROWS];
	int runs = 0;
	size_t ops = 0;

	for (int r = 0; r < NROWS; r++)
		rnames[r] = rows[r].key;
	for (int w = 0; w < NWROWS; w++)
		wnames[w] = wrows[w].key;

	*o = (struct opts){
		.sizes = { 1000, 100000, 1000000 }, .nsizes = 3,
		.region_size = 1ull << 30, .reads = true, .writes = true,
		.cpu = -1, .seed = 42,
	};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--quick")) {
			quick = true;
		} else if (!strcmp(a, "--no-reads")) {
			o->reads = false;
		} else if (!strcmp(a, "--no-writes")) {
			o->writes = false;
		} else if (!strcmp(a, "--verbose")) {
			o->verbose = true;
		} else if (!strcmp(a, "--latency")) {
			o->latency = true;
		} else if (!strcmp(a, "--markdown")) {
			o->markdown = true;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		} else if (!v) {
			usage(stderr);
			exit(2);
		} else if (!strcmp(a, "--sizes")) {
			o->nsizes = bench_parse_sizes(v, o->sizes, MAX_SIZES);
			i++;
		} else if (!strcmp(a, "--rows")) {
			parse_names(v, "row", rnames, NROWS, o->rows_on);
			rows_given = true;
			i++;
		} else if (!strcmp(a, "--wrows")) {
			parse_names(v, "write row", wnames, NWROWS,
				    o->wrows_on);
			wrows_given = true;
			i++;
		} else if (!strcmp(a, "--runs")) {
			runs = atoi(v);
			i++;
		} else if (!strcmp(a, "--ops")) {
			ops = bench_parse_size(v);
			i++;
		} else if (!strcmp(a, "--cpu")) {
			o->cpu = atoi(v);
			i++;
		} else if (!strcmp(a, "--region-size")) {
			o->region_size = bench_parse_size(v);
			i++;
		} else if (!strcmp(a, "--seed")) {
			o->seed = strtoull(v, NULL, 0);
			i++;
		} else {
			usage(stderr);
			exit(2);
		}
	}
	if (!rows_given)
		for (int r = 0; r < NROWS; r++)
			o->rows_on[r] = true;
	if (!wrows_given)
		for (int w = 0; w < NWROWS; w++)
			o->wrows_on[w] = true;
	o->runs = runs ? runs : quick ? 3 : 5;
	o->ops = ops ? ops : quick ? (1u << 18) : (1u << 22);
	o->w_ops = quick ? 100000 : 1000000;
	o->w_ops_b1 = quick ? 2000 : 20000;
	o->w_min_load = quick ? 50000 : 500000;
	if (o->runs < 1 || o->runs > MAX_RUNS)
		bench_die("--runs must be 1..%d", MAX_RUNS);
	for (int s = 0; s < o->nsizes; s++)
		if (o->sizes[s] == 0 || o->sizes[s] > UINT32_MAX)
			bench_die("sizes must be 1..%u", UINT32_MAX);
}

/* Pin to o->cpu, or to the last CPU we may run on. */
/* --------------------------------------------------------------- reads */

struct contenders {
	struct chained *ch;
	struct openaddr *oa;
	struct shmrep *h, *hf; /* hf: opened with SHMREP_OPEN_FENCE */
	struct lmdb_side *lm;
};

static uint64_t run_row(struct contenders *c, int r, const uint32_t *idx,
			size_t n, bool chain)
{
	switch (r) {
	case R_CHAINED:
		return chained_run(c->ch, idx, n, chain);
	case R_OPEN:
		return openaddr_run(c->oa, idx, n, chain);
	case R_GET:
		return shm_run_get(c->h, idx, n, chain);
	case R_GET_FENCE:
		return shm_run_get(c->hf, idx, n, chain);
	case R_SNAP1:
		return shm_run_snap1(c->h, idx, n, chain);
	case R_SNAPK:
		return shm_run_snapk(c->h, idx, n, SNAP_BATCH, chain);
	case R_LMDB1:
		return lmdb_run_txn1(c->lm, idx, n, chain);
	case R_LMDBK:
		return lmdb_run_txnk(c->lm, idx, n, SNAP_BATCH, chain);
	}
	return 0;
}

static int get_row(struct contenders *c, int r, const uint64_t k[2],
		   uint64_t v[2])
{
	switch (r) {
	case R_CHAINED:
		return chained_get(c->ch, k, v);
	case R_OPEN:
		return openaddr_get(c->oa, k, v);
	case R_GET:
		return shm_get1(c->h, k, v);
	case R_GET_FENCE:
		return shm_get1(c->hf, k, v);
	case R_SNAP1:
	case R_SNAPK:
		return shm_snap_get1(c->h, k, v);
	case R_LMDB1:
	case R_LMDBK:
		return lmdb_side_get(c->lm, k, v);
	}
	return -1;
}

/* The checking pass: every read of the sequence, value by value. */
static void verify_row(struct contenders *c, int r, const uint32_t *idx,
		       size_t n, size_t size)
{
	for (size_t j = 0; j < n; j++) {
		uint64_t k[2], v[2], want[2];

		bench_key(idx[j], k);
		bench_val(idx[j], 0, want);
		if (get_row(c, r, k, v) || v[0] != want[0] || v[1] != want[1])
			bench_die("%s at %zu keys: wrong value for key %u",
				  rows[r].label, size, idx[j]);
	}
}

static void gen_indices(uint32_t *idx, size_t ops, size_t n, uint64_t seed)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + n;

	for (size_t j = 0; j < ops; j++) {
		/* splitmix64 stream, scaled to [0, n) by multiply-shift */
		uint64_t z = bench_mix(s += 0x9e3779b97f4a7c15ull);

		idx[j] = (uint32_t)(((unsigned __int128)z * n) >> 64);
	}
}

/* One timed run of row r: a warm-up, then ops reads; ns per read. */
static double time_read_run(const struct opts *o, size_t n,
			    struct contenders *c, int r, const uint32_t *idx,
			    uint64_t expect)
{
	size_t ops = o->ops, warm = o->ops / 8;
	uint64_t t0, t1, sum;

	if (warm)
		(void)run_row(c, r, idx, warm, o->latency);
	t0 = bench_now_ns();
	sum = run_row(c, r, idx, ops, o->latency);
	t1 = bench_now_ns();
	if (sum != expect)
		bench_die("%s at %zu keys: checksum %llx, expected %llx",
			  rows[r].label, n, (unsigned long long)sum,
			  (unsigned long long)expect);
	return (double)(t1 - t0) / (double)ops;
}

static void measure_reads(const struct opts *o, struct size_result *res,
			  struct contenders *c, const uint32_t *idx)
{
	static double samples[NROWS][MAX_RUNS];
	uint64_t expect = 0;
	int active[NROWS], na = 0;

	for (size_t j = 0; j < o->ops; j++) {
		uint64_t v[2];

		bench_val(idx[j], 0, v);
		expect += bench_sum(v);
	}
	for (int r = 0; r < NROWS; r++) {
		if (!o->rows_on[r])
			continue;
		active[na++] = r;
		verify_row(c, r, idx, o->ops, res->n);
	}
	for (int round = 0; round < o->runs; round++) {
		for (int q = 0; q < na; q++) {
			int r = active[(q + round) % na];
			double ns = time_read_run(o, res->n, c, r, idx, expect);

			samples[r][round] = ns;
			if (o->verbose)
				fprintf(stderr, "  %zu keys, round %d, %-36s %8.2f ns/op\n",
					res->n, round, rows[r].label, ns);
		}
	}
	for (int q = 0; q < na; q++)
		res->r[active[q]] = bench_summarize(samples[active[q]], o->runs);
}

/* -------------------------------------------------------------- writes */

/* One timed run of overwrite row wr; ns per SET. */
static double time_overwrite(const struct opts *o, size_t n,
			     struct shm_side *side, int wr, const uint32_t *idx,
			     uint64_t gen)
{
	size_t nops = wr == W_OW1 ? o->w_ops_b1 : o->w_ops;
	uint64_t ns;

	if (nops > o->ops)
		nops = o->ops;
	ns = shm_overwrite(side, idx, nops, wrows[wr].batch, gen);
	if (!ns)
		bench_die("%s at %zu keys failed", wrows[wr].label, n);
	return (double)ns / (double)nops;
}

/* One sample of load row wr (several loads at small sizes), checked after;
 * ns per SET. */
static double time_loads(const struct opts *o, size_t n,
			 struct shm_side *side, struct shmrep *h, int wr,
			 uint64_t gen)
{
	uint64_t ns = 0, done = 0;
	size_t bad;

	do {
		uint64_t t = shm_reload(side, wrows[wr].batch, gen);

		if (!t)
			bench_die("%s at %zu keys failed", wrows[wr].label, n);
		ns += t;
		done += n;
	} while (done < o->w_min_load);
	bad = shm_verify_all(h, n, gen, gen);
	if (bad)
		bench_die("after %s at %zu keys: %zu keys read back wrong",
			  wrows[wr].label, n, bad);
	return (double)ns / (double)done;
}

static void measure_writes(const struct opts *o, struct size_result *res,
			   struct shm_side *side, struct shmrep *h,
			   const uint32_t *idx)
{
	static double samples[NWROWS][MAX_RUNS];
	const int ow[3] = { W_OW1, W_OW1K, W_OW10K };
	const int ld[2] = { W_LOAD1K, W_LOAD10K };
	uint64_t gen = 1;
	size_t bad, n = res->n;

	for (int round = 0; round < o->runs; round++) {
		for (int q = 0; q < 3; q++) {
			int wr = ow[(q + round) % 3];

			if (!o->wrows_on[wr])
				continue;
			samples[wr][round] =
				time_overwrite(o, n, side, wr, idx, gen++);
			if (o->verbose)
				fprintf(stderr, "  %zu keys, round %d, %-36s %8.1f ns/SET\n",
					n, round, wrows[wr].label,
					samples[wr][round]);
		}
	}
	bad = shm_verify_all(h, n, 0, gen - 1);
	if (bad)
		bench_die("after overwrites at %zu keys: %zu keys read back wrong",
			  n, bad);
	for (int round = 0; round < o->runs; round++) {
		for (int q = 0; q < 2; q++) {
			int wr = ld[(q + round) % 2];

			if (!o->wrows_on[wr])
				continue;
			samples[wr][round] =
				time_loads(o, n, side, h, wr, gen++);
			if (o->verbose)
				fprintf(stderr, "  %zu keys, round %d, %-36s %8.1f ns/SET\n",
					n, round, wrows[wr].label,
					samples[wr][round]);
		}
	}
	for (int wr = 0; wr < W_FRESH; wr++)
		if (o->wrows_on[wr])
			res->w[wr] = bench_summarize(samples[wr], o->runs);
}

/* ---------------------------------------------------------------- size */

static bool any_row(const struct opts *o, int from, int to)
{
	for (int r = from; r <= to; r++)
		if (o->rows_on[r])
			return true;
	return false;
}

static void open_reader(const char *name, unsigned flags, struct shmrep **h)
{
	int rc = shmrep_open(name, flags, h);

	if (rc)
		bench_die("shmrep_open(%s): %s", name, shmrep_strerror(rc));
}

static void run_size(const struct opts *o, struct size_result *res,
		     uint32_t *idx)
{
	struct contenders c = { 0 };
	bool want_shm = o->writes || any_row(o, R_GET, R_SNAPK);
	struct shm_side *side = NULL;
	uint64_t load_ns = 0;
	size_t n = res->n;

	fprintf(stderr, "%zu keys: building...\n", n);
	gen_indices(idx, o->ops, n, o->seed);
	if (want_shm) {
		side = shm_side_build(n, o->region_size, 10000, &load_ns);
		res->w[W_FRESH] = (struct bench_cell){
			.med = (double)load_ns / (double)n,
			.min = (double)load_ns / (double)n,
			.max = (double)load_ns / (double)n, .have = true,
		};
		shm_side_trie_stats(side, &res->trie);
		res->have_trie = true;
		res->bytes[R_GET] = shm_side_used_bytes(side);
		open_reader(shm_side_name(side), 0, &c.h);
	}
	if (o->reads) {
		if (o->rows_on[R_CHAINED]) {
			c.ch = chained_build(n);
			res->bytes[R_CHAINED] = chained_bytes(c.ch);
		}
		if (o->rows_on[R_OPEN]) {
			c.oa = openaddr_build(n);
			res->bytes[R_OPEN] = openaddr_bytes(c.oa);
		}
		if (any_row(o, R_LMDB1, R_LMDBK)) {
			c.lm = lmdb_side_build(n);
			res->bytes[R_LMDB1] = lmdb_side_bytes(c.lm);
			res->lmdb_depth = lmdb_side_depth(c.lm);
		}
		if (o->rows_on[R_GET_FENCE])
			open_reader(shm_side_name(side), SHMREP_OPEN_FENCE,
				    &c.hf);
		fprintf(stderr, "%zu keys: reads...\n", n);
		measure_reads(o, res, &c, idx);
		chained_free(c.ch);
		openaddr_free(c.oa);
		lmdb_side_free(c.lm);
		shmrep_close(c.hf);
	}
	if (o->writes) {
		fprintf(stderr, "%zu keys: writes...\n", n);
		measure_writes(o, res, side, c.h, idx);
	}
	shmrep_close(c.h);
	shm_side_free(side);
}

/* --------------------------------------------------------------- output */

static void print_reads(const struct opts *o)
{
	bool md = o->markdown;
	char sz[32];

	printf("\nRandom point reads, 16-byte keys and values: ns/op (median of %d runs of %zu reads);\n"
	       "%s"
	       "x floor = ns / chained-table ns (target <= 1.50 for shmrep);\n"
	       "LMDB/x = LMDB (1 read/txn) ns / ns, the speedup over LMDB (target >= 3.0 at 1M)\n\n",
	       o->runs, o->ops,
	       o->latency ? "LATENCY MODE: each read's key depends on the previous read's value;\n" :
			    "reads are independent (throughput: the CPU overlaps them);\n");
	if (md) {
		printf("| contender |");
		for (int s = 0; s < o->nsizes; s++) {
			bench_fmt_count(sz, sizeof(sz), results[s].n);
			printf(" %s ns/op | x floor | LMDB/x |", sz);
		}
		printf("\n|---|");
		for (int s = 0; s < o->nsizes; s++)
			printf("--:|--:|--:|");
		printf("\n");
	} else {
		printf("%-36s", "contender");
		for (int s = 0; s < o->nsizes; s++) {
			bench_fmt_count(sz, sizeof(sz), results[s].n);
			printf(" | %5s keys: ns/op x floor LMDB/x", sz);
		}
		printf("\n");
	}
	for (int r = 0; r < NROWS; r++) {
		if (!o->rows_on[r])
			continue;
		printf(md ? "| %s |" : "%-36s", rows[r].label);
		for (int s = 0; s < o->nsizes; s++) {
			const struct size_result *res = &results[s];
			const struct bench_cell *c = &res->r[r];
			const struct bench_cell *f = &res->r[R_CHAINED];
			const struct bench_cell *l = &res->r[R_LMDB1];
			char a[16] = "-", b[16] = "-", d[16] = "-";

			if (c->have)
				snprintf(a, sizeof(a), "%.1f", c->med);
			if (c->have && f->have)
				snprintf(b, sizeof(b), "%.2f", c->med / f->med);
			if (c->have && l->have)
				snprintf(d, sizeof(d), "%.2f", l->med / c->med);
			if (md)
				printf(" %s | %s | %s |", a, b, d);
			else
				printf(" | %17s %7s %6s", a, b, d);
		}
		printf("\n");
	}
	printf("\nRun-to-run spread of the read cells, (max - min) / median:\n");
	for (int r = 0; r < NROWS; r++) {
		if (!o->rows_on[r])
			continue;
		printf("  %-36s", rows[r].label);
		for (int s = 0; s < o->nsizes; s++) {
			const struct bench_cell *c = &results[s].r[r];

			bench_fmt_count(sz, sizeof(sz), results[s].n);
			if (c->have)
				printf("  %5s: %5.1f%%", sz,
				       100.0 * (c->max - c->min) / c->med);
		}
		printf("\n");
	}
}

static void print_shape(const struct opts *o)
{
	char sz[32];

	printf("\nData structures (bytes per key; the shmrep trie: nodes a hit visits, then one leaf):\n");
	for (int s = 0; s < o->nsizes; s++) {
		const struct size_result *res = &results[s];
		double n = (double)res->n;

		bench_fmt_count(sz, sizeof(sz), res->n);
		printf("  %5s keys:", sz);
		if (res->bytes[R_CHAINED])
			printf(" chained %.0f B/key;",
			       res->bytes[R_CHAINED] / n);
		if (res->bytes[R_OPEN])
			printf(" open %.0f B/key;", res->bytes[R_OPEN] / n);
		if (res->bytes[R_LMDB1])
			printf(" LMDB %.0f B/key, depth %u;",
			       res->bytes[R_LMDB1] / n, res->lmdb_depth);
		if (res->have_trie) {
			const struct trie_stats *t = &res->trie;

			printf(" shmrep %.0f B/key (nodes %.1f B/key, %llu nodes),"
			       " nodes visited: mean %.2f, max %u [",
			       res->bytes[R_GET] / n, t->node_bytes / n,
			       (unsigned long long)t->nodes, t->avg_nodes,
			       t->max_nodes);
			for (unsigned d = 1; d <= t->max_nodes && d < 16; d++)
				printf("%s%u: %.1f%%", d > 1 ? ", " : "", d,
				       100.0 * (double)t->hist[d] / n);
			printf("]");
		}
		printf("\n");
	}
}

static void print_writes(const struct opts *o)
{
	bool md = o->markdown;
	char sz[32];

	printf("\nBatched SETs through the writer (B = SETs per publication; time includes\n"
	       "publication and reclamation): SETs per second and ns/SET, median of %d runs\n"
	       "(overwrites: %zu SETs per run, %zu for B=1; loads: at least %zu SETs per run)\n\n",
	       o->runs, o->w_ops, o->w_ops_b1, o->w_min_load);
	if (md) {
		printf("| writes |");
		for (int s = 0; s < o->nsizes; s++) {
			bench_fmt_count(sz, sizeof(sz), results[s].n);
			printf(" %s SETs/s | ns/SET |", sz);
		}
		printf("\n|---|");
		for (int s = 0; s < o->nsizes; s++)
			printf("--:|--:|");
		printf("\n");
	} else {
		printf("%-42s", "writes");
		for (int s = 0; s < o->nsizes; s++) {
			bench_fmt_count(sz, sizeof(sz), results[s].n);
			printf(" | %5s keys: SETs/s  ns/SET", sz);
		}
		printf("\n");
	}
	for (int w = 0; w < NWROWS; w++) {
		if (!o->wrows_on[w])
			continue;
		printf(md ? "| %s |" : "%-42s", wrows[w].label);
		for (int s = 0; s < o->nsizes; s++) {
			const struct bench_cell *c = &results[s].w[w];
			char a[24] = "-", b[16] = "-";

			if (c->have) {
				snprintf(a, sizeof(a), "%.0f", 1e9 / c->med);
				snprintf(b, sizeof(b), "%.0f", c->med);
			}
			if (md)
				printf(" %s | %s |", a, b);
			else
				printf(" | %18s %7s", a, b);
		}
		printf("\n");
	}
}

static void verdict(const char *what, bool known, bool met, const char *detail)
{
	printf("  %-7s %s%s%s\n", !known ? "n/a" : met ? "MET" : "MISSED",
	       what, *detail ? ": " : "", detail);
}

static void print_targets(const struct opts *o)
{
	const int shm_rows[3] = { R_GET, R_SNAP1, R_SNAPK };
	int big = -1;
	char d[512];

	for (int s = 0; s < o->nsizes; s++)
		if (results[s].n == 1000000)
			big = s;
	printf("\nTargets:\n");
	for (int q = 0; q < 3; q++) {
		int r = shm_rows[q];
		bool known = o->reads && o->rows_on[r] && o->rows_on[R_CHAINED];
		bool met = true;
		size_t off = 0;

		d[0] = '\0';
		for (int s = 0; known && s < o->nsizes; s++) {
			const struct size_result *rs = &results[s];
			double x = rs->r[r].med / rs->r[R_CHAINED].med;
			char sz[32];

			bench_fmt_count(sz, sizeof(sz), results[s].n);
			met &= x <= 1.5;
			off += (size_t)snprintf(d + off, sizeof(d) - off,
						"%s%s %.2fx", s ? ", " : "",
						sz, x);
		}
		printf("  [reads within 1.5x of the floor at every size]\n");
		verdict(rows[r].label, known, met, d);
	}
	for (int q = 0; q < 3; q++) {
		int r = shm_rows[q];
		bool known = o->reads && big >= 0 && o->rows_on[r] &&
			     o->rows_on[R_LMDB1];
		double x = known ? results[big].r[R_LMDB1].med /
					   results[big].r[r].med : 0;

		snprintf(d, sizeof(d), "%.2fx faster than LMDB (1 read/txn)", x);
		printf("  [reads at least 3x faster than LMDB at 1M keys]\n");
		verdict(rows[r].label, known, x >= 3.0, known ? d : "");
	}
	for (int w = W_OW1K; w <= W_LOAD10K; w++) {
		bool known = o->writes && big >= 0 && o->wrows_on[w];
		double sps = known ? 1e9 / results[big].w[w].med : 0;

		snprintf(d, sizeof(d), "%.0f SETs/s", sps);
		printf("  [batched writes at 1M keys >= 1,000,000 SETs/s]\n");
		verdict(wrows[w].label, known, sps >= 1e6, known ? d : "");
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct opts o;
	uint32_t *idx;
	int cpu;

	parse_args(argc, argv, &o);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	cpu = bench_pin(o.cpu);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("shmrep-bench: random point reads and batched SETs, shmrep vs a hash table and LMDB\n\n");
	machine_print(cpu);
	printf("LMDB env   : in a directory under /dev/shm (tmpfs, like the region), MDB_NOSYNC\n");
	idx = malloc(o.ops * sizeof(*idx));
	if (!idx)
		bench_die("out of memory");
	for (int s = 0; s < o.nsizes; s++) {
		results[s].n = o.sizes[s];
		run_size(&o, &results[s], idx);
	}
	free(idx);
	if (o.reads) {
		print_reads(&o);
		print_shape(&o);
	}
	if (o.writes)
		print_writes(&o);
	print_targets(&o);
	return 0;
}
