/*
 * shm_run.c - shmrep's side of the benchmark: a region written through
 * the writer exactly as shmrepd writes it, and read through libshmrep
 * exactly as an application reads it.
 *
 * The benchmark plays the daemon itself (shm/writer.h, shm/keys.h) rather
 * than going through the daemon's socket: what is measured is the cost of
 * building and publishing versions, not of parsing RESP.  One SET is one
 * command: shm_wr_begin, keys_leaf_new, keys_link, shm_wr_commit, as the
 * daemon's SET does; shm_wr_publish every batch SETs makes them visible and
 * reclaims what readers no longer see, and is timed with them.
 *
 * Each region gets a name of its own, "bench-<pid>-<seq>", so runs never
 * meet a region a previous run left, and its files are removed when the
 * side is freed or the process is interrupted.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "bench.h"
#include "keys.h"
#include "read.h"
#include "region.h"
#include "shmrep.h"
#include "writer.h"

struct shm_side {
	struct shm_writer *w;
	char name[SHM_NAME_BUF];
	size_t n;
};

/* The files of the live region (and the writer's temporary names for
 * them), for the signal handler. */
static char data_path[PATH_MAX], ctl_path[PATH_MAX];
static char data_tmp[PATH_MAX + 32], ctl_tmp[PATH_MAX + 32];
static volatile sig_atomic_t have_paths;
static unsigned seq;

static void unlink_paths(void)
{
	unlink(data_path);
	unlink(ctl_path);
	unlink(data_tmp);
	unlink(ctl_tmp);
}

void shm_side_cleanup_sig(void)
{
	if (have_paths)
		unlink_paths();
}

/*
 * One SET of key i to generation gen's value: a command of its own.
 * *created says whether the key was new.  0 or a negative errno.
 */
static inline int set_one(struct shm_writer *w, uint64_t i, uint64_t gen,
			  bool *created)
{
	uint64_t k[2], v[2];
	shm_ref r;
	int rc = shm_wr_begin(w);

	if (rc)
		return rc;
	bench_key(i, k);
	bench_val(i, gen, v);
	r = keys_leaf_new(w, k, BENCH_KLEN, SHM_T_STRING, BENCH_VLEN, 0);
	if (!r) {
		shm_wr_abort(w);
		return -ENOMEM;
	}
	memcpy((uint8_t *)shm_wr_ptr(w, r) + sizeof(struct shm_leaf) +
		       BENCH_KLEN, v, BENCH_VLEN);
	rc = keys_link(w, 0, r, KEYS_REPLACE, created);
	if (rc) {
		shm_wr_abort(w);
		return rc;
	}
	shm_wr_commit(w);
	return 0;
}

/* Insert keys 0..n-1, publishing every batch SETs; time in ns, 0 on error. */
__attribute__((noinline))
static uint64_t load(struct shm_writer *w, size_t n, size_t batch,
		     uint64_t gen)
{
	uint64_t t0 = bench_now_ns(), t1;
	size_t pending = 0;
	bool created;

	for (size_t i = 0; i < n; i++) {
		if (set_one(w, i, gen, &created) || !created)
			return 0;
		if (++pending == batch) {
			if (shm_wr_publish(w) < 0)
				return 0;
			pending = 0;
		}
	}
	if (shm_wr_publish(w) < 0)
		return 0;
	t1 = bench_now_ns();
	return t1 > t0 ? t1 - t0 : 1;
}

struct shm_side *shm_side_build(size_t n, uint64_t size, size_t batch,
				uint64_t *load_ns)
{
	struct shm_side *s = calloc(1, sizeof(*s));
	struct shm_writer_config cfg = {
		.size = size, .ndb = 16, .nslots = SHM_DEFAULT_SLOTS,
		.mode = SHM_MODE_RCU, .perm = 0600, .membarrier = true,
		.stall_warn_ms = 1000, .keep_data = false,
	};
	char err[256];
	int rc;

	if (!s)
		bench_die("out of memory");
	if (have_paths)
		bench_die("shmrep: one region at a time");
	snprintf(s->name, sizeof(s->name), "bench-%d-%u", (int)getpid(), seq++);
	if (region_path(data_path, sizeof(data_path), s->name, "data") ||
	    region_path(ctl_path, sizeof(ctl_path), s->name, "ctl"))
		bench_die("region name too long");
	snprintf(data_tmp, sizeof(data_tmp), "%s.tmp.%d", data_path,
		 (int)getpid());
	snprintf(ctl_tmp, sizeof(ctl_tmp), "%s.tmp.%d", ctl_path,
		 (int)getpid());
	have_paths = 1;
	cfg.name = s->name;
	rc = shm_writer_open(&cfg, &s->w, err, sizeof(err));
	if (rc)
		bench_die("shm_writer_open(%s): %s", s->name, err);
	s->n = n;
	*load_ns = load(s->w, n, batch, 0);
	if (!*load_ns)
		bench_die("loading %zu keys into %s failed", n, s->name);
	return s;
}

void shm_side_free(struct shm_side *s)
{
	if (!s)
		return;
	shm_writer_close(s->w);
	unlink_paths();
	have_paths = 0;
	free(s);
}

const char *shm_side_name(const struct shm_side *s)
{
	return s->name;
}

uint64_t shm_side_used_bytes(const struct shm_side *s)
{
	return s->w->alloc.used;
}

/* ------------------------------------------------------------- writes */

__attribute__((noinline))
uint64_t shm_overwrite(struct shm_side *s, const uint32_t *idx, size_t nops,
		       size_t batch, uint64_t gen)
{
	struct shm_writer *w = s->w;
	uint64_t t0 = bench_now_ns(), t1;
	size_t pending = 0;
	bool created;

	for (size_t j = 0; j < nops; j++) {
		if (set_one(w, idx[j], gen, &created) || created)
			return 0;
		if (++pending == batch) {
			if (shm_wr_publish(w) < 0)
				return 0;
			pending = 0;
		}
	}
	if (shm_wr_publish(w) < 0)
		return 0;
	t1 = bench_now_ns();
	return t1 > t0 ? t1 - t0 : 1;
}

uint64_t shm_reload(struct shm_side *s, size_t batch, uint64_t gen)
{
	struct shm_writer *w = s->w;

	/* Untimed: empty the database, publish, free the old tree. */
	if (shm_wr_begin(w))
		return 0;
	keys_flush(w, 0);
	shm_wr_commit(w);
	if (shm_wr_publish(w) < 0)
		return 0;
	shm_wr_reclaim(w);
	return load(w, s->n, batch, gen);
}

/* -------------------------------------------------------------- reads */

static inline __attribute__((always_inline))
uint64_t get_loop(struct shmrep *h, const uint32_t *idx, size_t n,
		  const bool chain)
{
	uint64_t sum = 0, dep = 0;

	for (size_t j = 0; j < n; j++) {
		uint64_t k[2], v[2];
		size_t len;

		bench_key(idx[j] + dep, k);
		if (shmrep_get(h, 0, k, BENCH_KLEN, v, sizeof(v), &len) ||
		    len != BENCH_VLEN) {
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
uint64_t shm_run_get(struct shmrep *h, const uint32_t *idx, size_t n,
		     bool chain)
{
	return chain ? get_loop(h, idx, n, true) : get_loop(h, idx, n, false);
}

static inline __attribute__((always_inline))
uint64_t snap1_loop(struct shmrep *h, const uint32_t *idx, size_t n,
		    const bool chain)
{
	uint64_t sum = 0, dep = 0;

	for (size_t j = 0; j < n; j++) {
		uint64_t k[2], v[2];
		shmrep_snapshot *s;
		shmrep_view view;

		bench_key(idx[j] + dep, k);
		if (shmrep_snapshot_begin(h, &s)) {
			sum += BENCH_BAD;
			continue;
		}
		if (shmrep_snapshot_get(s, 0, k, BENCH_KLEN, &view) ||
		    view.len != BENCH_VLEN) {
			sum += BENCH_BAD;
		} else {
			memcpy(v, view.ptr, BENCH_VLEN);
			sum += bench_sum(v);
			if (chain)
				dep = v[1];
		}
		shmrep_snapshot_end(s);
	}
	return sum;
}

__attribute__((noinline))
uint64_t shm_run_snap1(struct shmrep *h, const uint32_t *idx, size_t n,
		       bool chain)
{
	return chain ? snap1_loop(h, idx, n, true)
		     : snap1_loop(h, idx, n, false);
}

static inline __attribute__((always_inline))
uint64_t snapk_loop(struct shmrep *h, const uint32_t *idx, size_t n,
		    size_t batch, const bool chain)
{
	uint64_t sum = 0, dep = 0;

	for (size_t j = 0; j < n; j += batch) {
		size_t end = j + batch < n ? j + batch : n;
		shmrep_snapshot *s;

		if (shmrep_snapshot_begin(h, &s))
			return sum + BENCH_BAD;
		for (size_t q = j; q < end; q++) {
			uint64_t k[2], v[2];
			shmrep_view view;

			bench_key(idx[q] + dep, k);
			if (shmrep_snapshot_get(s, 0, k, BENCH_KLEN, &view) ||
			    view.len != BENCH_VLEN) {
				sum += BENCH_BAD;
			} else {
				memcpy(v, view.ptr, BENCH_VLEN);
				sum += bench_sum(v);
				if (chain)
					dep = v[1];
			}
		}
		shmrep_snapshot_end(s);
	}
	return sum;
}

__attribute__((noinline))
uint64_t shm_run_snapk(struct shmrep *h, const uint32_t *idx, size_t n,
		       size_t batch, bool chain)
{
	return chain ? snapk_loop(h, idx, n, batch, true)
		     : snapk_loop(h, idx, n, batch, false);
}

int shm_get1(struct shmrep *h, const uint64_t k[2], uint64_t v[2])
{
	size_t len;
	int rc = shmrep_get(h, 0, k, BENCH_KLEN, v, 2 * sizeof(*v), &len);

	return rc ? rc : len == BENCH_VLEN ? 0 : -1;
}

int shm_snap_get1(struct shmrep *h, const uint64_t k[2], uint64_t v[2])
{
	shmrep_snapshot *s;
	shmrep_view view;
	int rc = shmrep_snapshot_begin(h, &s);

	if (rc)
		return rc;
	rc = shmrep_snapshot_get(s, 0, k, BENCH_KLEN, &view);
	if (rc == 0 && view.len != BENCH_VLEN)
		rc = -1;
	if (rc == 0)
		memcpy(v, view.ptr, BENCH_VLEN);
	shmrep_snapshot_end(s);
	return rc;
}

size_t shm_verify_all(struct shmrep *h, size_t n, uint64_t gen_lo,
		      uint64_t gen_hi)
{
	size_t bad = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t k[2], v[2], want[2];

		bench_key(i, k);
		bench_val(i, 0, want);
		if (shm_get1(h, k, v) || v[0] != want[0] || v[1] < gen_lo ||
		    v[1] > gen_hi)
			bad++;
	}
	return bad;
}

/* ------------------------------------------------------ trie shape */

static void walk(const struct shm_view *v, shm_ref r, unsigned depth,
		 struct trie_stats *st, double *visits)
{
	unsigned here = depth + 1; /* nodes a lookup visits to get here */

	if (depth == SHM_HAMT_MAXDEPTH) {
		const struct shm_cnode *c = shm_at(v, r, sizeof(*c));

		if (!c)
			return;
		st->nodes++;
		st->node_bytes += alloc_rounded(
			sizeof(*c) + (uint64_t)c->count * sizeof(shm_ref));
		st->leaves += c->count;
		st->hist[here < 16 ? here : 15] += c->count;
		*visits += (double)here * c->count;
		if (here > st->max_nodes)
			st->max_nodes = here;
		return;
	}

	const struct shm_node *nd = shm_at(v, r, sizeof(*nd));
	unsigned nl, nn, i = 0;

	if (!nd)
		return;
	nl = (unsigned)__builtin_popcountll(nd->leafmap);
	nn = (unsigned)__builtin_popcountll(nd->bitmap) - nl;
	if (!shm_at(v, r, shm_node_size(nl + nn)))
		return;
	st->nodes++;
	st->node_bytes += alloc_rounded(shm_node_size(nl + nn));
	if (nl) {
		st->leaves += nl;
		st->hist[here < 16 ? here : 15] += nl;
		*visits += (double)here * nl;
		if (here > st->max_nodes)
			st->max_nodes = here;
	}
	for (uint64_t m = nd->bitmap; m; m &= m - 1, i++)
		if (!(nd->leafmap & (m & -m)))
			walk(v, nd->ent[i], depth + 1, st, visits);
}

void shm_side_trie_stats(struct shm_side *s, struct trie_stats *st)
{
	double visits = 0;

	memset(st, 0, sizeof(*st));
	if (s->w->db[0].root)
		walk(&s->w->view, s->w->db[0].root, 0, st, &visits);
	st->avg_nodes = st->leaves ? visits / (double)st->leaves : 0;
}
