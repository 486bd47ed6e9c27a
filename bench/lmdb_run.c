/*
 * lmdb_run.c - LMDB as the off-the-shelf contender: another way to read a
 * dataset that one process writes straight out of shared memory.
 *
 * The environment lives in a fresh directory under /dev/shm, so its map is
 * backed by tmpfs pages exactly like a shmrep region, and no read touches
 * a disk.  It is loaded in a few large write transactions with MDB_NOSYNC
 * (durability is not what is measured).
 *
 * Reads go through a read transaction, the only way LMDB reads.  The
 * idiom for many short reads is one transaction handle per thread, kept
 * reset between reads and renewed for each (mdb_txn_renew, mdb_get,
 * mdb_txn_reset): no allocation, but a reader-table announcement each time,
 * which is what shmrep_get does too.  A second loop renews once per batch
 * of reads, as a shmrep snapshot does.
 */
#include <errno.h>
#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define LMDB_MAPSIZE (4ull << 30)
#define LMDB_TXN_PUTS 100000

struct lmdb_side {
	MDB_env *env;
	MDB_dbi dbi;
	MDB_txn *rtxn; /* reset between uses */
};

/* Files to remove on a signal: one environment is live at a time. */
static char dir_path[64], data_path[80], lock_path[80];
static volatile sig_atomic_t have_dir;

static void check(int rc, const char *what)
{
	if (rc)
		bench_die("lmdb %s: %s", what, mdb_strerror(rc));
}

struct lmdb_side *lmdb_side_build(size_t n)
{
	struct lmdb_side *l = calloc(1, sizeof(*l));
	MDB_txn *txn;
	size_t i = 0;

	if (!l)
		bench_die("out of memory");
	if (have_dir)
		bench_die("lmdb: one environment at a time");
	strcpy(dir_path, "/dev/shm/shmrep-bench-lmdb-XXXXXX");
	if (!mkdtemp(dir_path))
		bench_die("mkdtemp %s: %s", dir_path, strerror(errno));
	snprintf(data_path, sizeof(data_path), "%s/data.mdb", dir_path);
	snprintf(lock_path, sizeof(lock_path), "%s/lock.mdb", dir_path);
	have_dir = 1;

	check(mdb_env_create(&l->env), "env_create");
	check(mdb_env_set_mapsize(l->env, LMDB_MAPSIZE), "set_mapsize");
	check(mdb_env_open(l->env, dir_path, MDB_NOSYNC, 0600), "env_open");
	do {
		size_t end = i + LMDB_TXN_PUTS < n ? i + LMDB_TXN_PUTS : n;

		check(mdb_txn_begin(l->env, NULL, 0, &txn), "txn_begin");
		if (i == 0)
			check(mdb_dbi_open(txn, NULL, 0, &l->dbi), "dbi_open");
		for (; i < end; i++) {
			uint64_t k[2], v[2];
			MDB_val kv = { BENCH_KLEN, k }, dv = { BENCH_VLEN, v };

			bench_key(i, k);
			bench_val(i, 0, v);
			check(mdb_put(txn, l->dbi, &kv, &dv, 0), "put");
		}
		check(mdb_txn_commit(txn), "commit");
	} while (i < n);
	check(mdb_txn_begin(l->env, NULL, MDB_RDONLY, &l->rtxn), "txn_begin");
	mdb_txn_reset(l->rtxn);
	return l;
}

void lmdb_side_free(struct lmdb_side *l)
{
	if (!l)
		return;
	mdb_txn_abort(l->rtxn);
	mdb_env_close(l->env);
	unlink(data_path);
	unlink(lock_path);
	rmdir(dir_path);
	have_dir = 0;
	free(l);
}

void lmdb_side_cleanup_sig(void)
{
	if (!have_dir)
		return;
	unlink(data_path);
	unlink(lock_path);
	rmdir(dir_path);
}

static inline int get_in(struct lmdb_side *l, const uint64_t k[2],
			 uint64_t v[2])
{
	MDB_val kv = { BENCH_KLEN, (void *)k }, dv;

	if (mdb_get(l->rtxn, l->dbi, &kv, &dv) || dv.mv_size != BENCH_VLEN)
		return -1;
	memcpy(v, dv.mv_data, BENCH_VLEN);
	return 0;
}

int lmdb_side_get(struct lmdb_side *l, const uint64_t k[2], uint64_t v[2])
{
	int rc;

	if (mdb_txn_renew(l->rtxn))
		return -1;
	rc = get_in(l, k, v);
	mdb_txn_reset(l->rtxn);
	return rc;
}

static inline __attribute__((always_inline))
uint64_t txn1_loop(struct lmdb_side *l, const uint32_t *idx, size_t n,
		   const bool chain)
{
	uint64_t sum = 0, dep = 0;

	for (size_t j = 0; j < n; j++) {
		uint64_t k[2], v[2];

		bench_key(idx[j] + dep, k);
		if (mdb_txn_renew(l->rtxn)) {
			sum += BENCH_BAD;
			continue;
		}
		if (get_in(l, k, v)) {
			sum += BENCH_BAD;
		} else {
			sum += bench_sum(v);
			if (chain)
				dep = v[1];
		}
		mdb_txn_reset(l->rtxn);
	}
	return sum;
}

__attribute__((noinline))
uint64_t lmdb_run_txn1(struct lmdb_side *l, const uint32_t *idx, size_t n,
		       bool chain)
{
	return chain ? txn1_loop(l, idx, n, true) : txn1_loop(l, idx, n, false);
}

static inline __attribute__((always_inline))
uint64_t txnk_loop(struct lmdb_side *l, const uint32_t *idx, size_t n,
		   size_t batch, const bool chain)
{
	uint64_t sum = 0, dep = 0;

	for (size_t j = 0; j < n; j += batch) {
		size_t end = j + batch < n ? j + batch : n;

		if (mdb_txn_renew(l->rtxn))
			return sum + BENCH_BAD;
		for (size_t q = j; q < end; q++) {
			uint64_t k[2], v[2];

			bench_key(idx[q] + dep, k);
			if (get_in(l, k, v)) {
				sum += BENCH_BAD;
			} else {
				sum += bench_sum(v);
				if (chain)
					dep = v[1];
			}
		}
		mdb_txn_reset(l->rtxn);
	}
	return sum;
}

__attribute__((noinline))
uint64_t lmdb_run_txnk(struct lmdb_side *l, const uint32_t *idx, size_t n,
		       size_t batch, bool chain)
{
	return chain ? txnk_loop(l, idx, n, batch, true)
		     : txnk_loop(l, idx, n, batch, false);
}

uint64_t lmdb_side_bytes(struct lmdb_side *l)
{
	MDB_stat st;

	if (mdb_env_stat(l->env, &st))
		return 0;
	return (uint64_t)st.ms_psize *
	       (st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages);
}

unsigned lmdb_side_depth(struct lmdb_side *l)
{
	MDB_stat st;

	if (mdb_env_stat(l->env, &st))
		return 0;
	return st.ms_depth;
}
