/*
 * test_zset_mproc.c - readers in other processes walk a large sorted set
 * while a writer process changes it, and must always see one version.
 *
 * The writer (a child) builds a set of ZM_N members, then for ZM_MS runs
 * batches of ZINCRBY, ZADD, ZREM, ZPOPMIN and ZREMRANGEBYRANK commands
 * (through the writer API, as the daemon's handlers run them),
 * each batch ending with a command that stores, as string keys, the
 * batch's generation, the set's size and the sum of its scores (integers,
 * so sums are exact), and publishing.  Readers (children too) loop: in one
 * snapshot they read those three strings and walk the set as ZRANGE 0 -1
 * WITHSCORES does, and every element must come in strictly increasing
 * (score, member) order, the count and the sum must be those the strings
 * give, a few ZSCOREs and ZRANKs must agree with the walk, ZREVRANGE's
 * first elements must be the walk's last ones, and ZRANGEBYSCORE over a
 * random interval must give exactly the walk's elements in it.  A version
 * mixing two batches fails one of these.  Generations must never go back,
 * and each reader must see several.
 *
 * Both publication modes: in mutex mode readers are held off while the
 * writer writes, in rcu mode they read old versions while it writes.  Every
 * process has a deadline (tu_wait); a reader that fails says why on stderr
 * and exits non-zero.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "c_zset.h"
#include "keys.h"
#include "shmrep.h"
#include "testutil.h"
#include "writer.h"

#define ZM_N 40000
#define ZM_READERS 3
#define ZM_MS 3000
#define ZM_DEADLINE_MS 60000

struct zm_arg {
	const char *name;
	int mode;
	int ready[2]; /* writer -> parent: set built and published */
	uint64_t seed;
};

/* -------------------------------------------------------------- writer */

/* The writer's own copy of the set's scores, by member number. */
struct zm_model {
	int64_t *score; /* INT64_MIN: absent */
	long cap, next; /* members m0 .. m(next-1) were ever made */
	long count;
	int64_t sum;
};

static struct zset_wr zw;

static int zm_open(struct shm_writer *w)
{
	const struct shm_leaf *l = NULL;

	keys_find(w, 0, "z", 1, &l);
	return zset_wr_open(&zw, w, 0, "z", 1, l);
}

static int zm_set(struct shm_writer *w, const char *key, int64_t v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%" PRId64, v);

	return tu_put(w, 0, key, strlen(key), SHM_T_STRING, buf, (size_t)n, 0);
}

static void mname(char *buf, size_t cap, long i, uint32_t *len)
{
	*len = (uint32_t)snprintf(buf, cap, "m%ld", i);
}

/* Member "m<i>" (name[0, len)) left the set. */
static void zm_gone(struct zm_model *m, const void *name, uint32_t len)
{
	char tmp[32];
	long i;

	memcpy(tmp, name, len);
	tmp[len] = '\0';
	i = strtol(tmp + 1, NULL, 10);
	m->sum -= m->score[i];
	m->score[i] = INT64_MIN;
	m->count--;
}

/* One writer command on the set; the model follows only if it commits. */
static int zm_command(struct shm_writer *w, struct zm_model *m, uint64_t *rs)
{
	char mb[32];
	uint32_t len;
	unsigned out;
	double ns;
	long i;
	int op = (int)(tu_rand(rs) % 100), rc;

	if (shm_wr_begin(w))
		return -1;
	if (zm_open(w))
		return -1;
	if (op < 50) { /* ZINCRBY an existing member */
		int64_t d = (int64_t)(tu_rand(rs) % 201) - 100;

		do
			i = (long)(tu_rand(rs) % (uint64_t)m->next);
		while (m->score[i] == INT64_MIN);
		mname(mb, sizeof(mb), i, &len);
		rc = zset_wr_add(&zw, mb, len, (double)d, ZSET_IN_INCR, &out,
				 &ns);
		if (!rc)
			rc = zset_wr_close(&zw);
		if (!rc) {
			m->score[i] += d;
			m->sum += d;
		}
	} else if (op < 75) { /* ZADD a new member */
		int64_t s = (int64_t)(tu_rand(rs) % 100000);

		if (m->next == m->cap) {
			shm_wr_abort(w);
			return 0;
		}
		i = m->next;
		mname(mb, sizeof(mb), i, &len);
		rc = zset_wr_add(&zw, mb, len, (double)s, 0, &out, &ns);
		if (!rc)
			rc = zset_wr_close(&zw);
		if (!rc) {
			m->score[m->next++] = s;
			m->count++;
			m->sum += s;
		}
	} else if (op < 92) { /* ZREM */
		bool removed;

		do
			i = (long)(tu_rand(rs) % (uint64_t)m->next);
		while (m->score[i] == INT64_MIN);
		mname(mb, sizeof(mb), i, &len);
		rc = zset_wr_rem(&zw, mb, len, &removed);
		if (!rc)
			rc = zset_wr_close(&zw);
		if (!rc) {
			m->sum -= m->score[i];
			m->score[i] = INT64_MIN;
			m->count--;
		}
	} else if (op < 96) { /* ZPOPMIN: the model finds what went by name */
		struct zset_ent e;

		rc = zset_wr_pop(&zw, false, &e);
		if (!rc)
			rc = zset_wr_close(&zw);
		if (!rc)
			zm_gone(m, e.m, e.len);
	} else { /* ZREMRANGEBYRANK of a few, read first */
		const struct shm_leaf *l = NULL;
		struct zset_span sp;
		struct zset_rd z;
		shmrep_iter it;
		shmrep_entry x;
		char names[3][32];
		int64_t a = (int64_t)(tu_rand(rs) % (uint64_t)m->count);
		int cnt = 0;

		keys_find(w, 0, "z", 1, &l);
		if (!l || zset_open(&z, &w->view, l) ||
		    zset_span_rank(&z, a, a + (int64_t)(tu_rand(rs) % 3), false,
				   &sp) ||
		    zset_iter(&it, &z, &sp))
			return -1;
		while (shmrep_iter_next(&it, &x) == 1 && cnt < 3) {
			memcpy(names[cnt], x.key.ptr, x.key.len);
			names[cnt++][x.key.len] = '\0';
		}
		rc = zset_wr_rem_span(&zw, sp.start, sp.count);
		if (!rc)
			rc = zset_wr_close(&zw);
		for (int j = 0; !rc && j < cnt; j++)
			zm_gone(m, names[j], (uint32_t)strlen(names[j]));
	}
	if (rc) {
		shm_wr_abort(w);
		return -1;
	}
	shm_wr_commit(w);
	return 0;
}

static int zm_stamp(struct shm_writer *w, const struct zm_model *m,
		    int64_t gen)
{
	if (shm_wr_begin(w))
		return -1;
	if (zm_set(w, "gen", gen) || zm_set(w, "card", m->count) ||
	    zm_set(w, "sum", m->sum)) {
		shm_wr_abort(w);
		return -1;
	}
	shm_wr_commit(w);
	return 0;
}

static int zm_writer(void *arg)
{
	struct zm_arg *a = arg;
	struct zm_model m = { .cap = ZM_N * 4 };
	struct shm_writer *w;
	uint64_t rs = a->seed, t0;
	int64_t gen = 1;
	char one = 1;

	close(a->ready[0]);
	tu_mode = a->mode;
	w = tu_writer(a->name, 512u << 20);
	if (!w)
		return 10;
	m.score = calloc((size_t)m.cap, sizeof(*m.score));
	if (!m.score)
		return 11;
	/* The set, in commands of 1000 members. */
	while (m.next < ZM_N) {
		if (shm_wr_begin(w) || zm_open(w))
			return 12;
		for (int k = 0; k < 1000; k++) {
			char mb[32];
			uint32_t len;
			unsigned out;
			double ns;
			int64_t s = (int64_t)(tu_rand(&rs) % 100000);

			mname(mb, sizeof(mb), m.next, &len);
			/* zset_wr copies members into their leaves once the
			 * set is large; the first 128 are kept by pointer
			 * until close, so close before reusing mb. */
			if (zset_wr_add(&zw, mb, len, (double)s, 0, &out,
					&ns) ||
			    zset_wr_close(&zw) || zm_open(w))
				return 13;
			m.score[m.next++] = s;
			m.count++;
			m.sum += s;
		}
		shm_wr_commit(w);
	}
	if (zm_stamp(w, &m, gen) || shm_wr_publish(w) < 0)
		return 14;
	if (write(a->ready[1], &one, 1) != 1)
		return 15;
	t0 = tu_now_ms();
	while (tu_now_ms() - t0 < ZM_MS) {
		int n = 1 + (int)(tu_rand(&rs) % 40);

		for (int k = 0; k < n; k++)
			if (zm_command(w, &m, &rs))
				return 16;
		if (zm_stamp(w, &m, ++gen) || shm_wr_publish(w) < 0)
			return 17;
	}
	fprintf(stderr, "writer: %" PRId64 " generations, %ld members\n", gen,
		m.count);
	free(m.score);
	shm_writer_close(w);
	return 0;
}

/* -------------------------------------------------------------- readers */

static int get_int(shmrep_snapshot *s, const char *key, int64_t *v)
{
	char buf[32];
	shmrep_view x;
	int rc = shmrep_snapshot_get(s, 0, key, strlen(key), &x);

	if (rc || x.len == 0 || x.len >= sizeof(buf))
		return rc ? rc : -1;
	memcpy(buf, x.ptr, x.len);
	buf[x.len] = '\0';
	*v = strtoll(buf, NULL, 10);
	return 0;
}

/* Compare (score, member) as the set orders them. */
static int ent_cmp(double as, const shmrep_view *a, double bs,
		   const shmrep_view *b)
{
	size_t k = a->len < b->len ? a->len : b->len;
	int d;

	if (as != bs)
		return as < bs ? -1 : 1;
	d = k ? memcmp(a->ptr, b->ptr, k) : 0;
	return d ? d : (a->len > b->len) - (a->len < b->len);
}

#define FAIL(...)                                                              \
	do {                                                                   \
		fprintf(stderr, "reader %d, generation %" PRId64 ": ", id,     \
			gen);                                                  \
		fprintf(stderr, __VA_ARGS__);                                  \
		fputc('\n', stderr);                                           \
		goto bad;                                                      \
	} while (0)

/* One consistent look at the set: 0, or 1 after saying what was wrong. */
static int zm_look(shmrep *h, int id, uint64_t *rs, int64_t *last_gen,
		   shmrep_entry *walk)
{
	int64_t gen = -1, card, sum, total = 0;
	shmrep_zbound lo = { 0 }, hi = { 0 };
	shmrep_snapshot *s;
	shmrep_iter it;
	shmrep_entry x;
	uint64_t n, k = 0, rank, in_range = 0;
	double sc;
	int rc;

	rc = shmrep_snapshot_begin(h, &s);
	if (rc) {
		fprintf(stderr, "reader %d: snapshot: %s\n", id,
			shmrep_strerror(rc));
		return 1;
	}
	if (get_int(s, "gen", &gen) || get_int(s, "card", &card) ||
	    get_int(s, "sum", &sum))
		FAIL("stamp strings missing");
	if (gen < *last_gen)
		FAIL("generation went back from %" PRId64, *last_gen);
	*last_gen = gen;
	if (shmrep_snapshot_zcard(s, 0, "z", 1, &n) || (int64_t)n != card)
		FAIL("ZCARD %" PRIu64 ", stamp says %" PRId64, n, card);
	if (shmrep_snapshot_zrange(s, 0, "z", 1, 0, -1, 0, &it))
		FAIL("ZRANGE failed");
	while ((rc = shmrep_iter_next(&it, &x)) == 1) {
		if (k >= n)
			FAIL("ZRANGE gives more than ZCARD");
		if (k && ent_cmp(walk[k - 1].score, &walk[k - 1].key, x.score,
				 &x.key) >= 0)
			FAIL("ZRANGE out of order at %" PRIu64, k);
		total += (int64_t)x.score;
		walk[k++] = x;
	}
	if (rc || k != n)
		FAIL("ZRANGE ended at %" PRIu64 " of %" PRIu64 " (%d)", k, n,
		     rc);
	if (total != sum)
		FAIL("sum of scores %" PRId64 ", stamp says %" PRId64, total,
		     sum);
	for (int t = 0; t < 20 && n; t++) {
		uint64_t p = tu_rand(rs) % n;

		if (shmrep_snapshot_zscore(s, 0, "z", 1, walk[p].key.ptr,
					   walk[p].key.len, &sc) ||
		    sc != walk[p].score)
			FAIL("ZSCORE disagrees with ZRANGE");
		if (shmrep_snapshot_zrank(s, 0, "z", 1, walk[p].key.ptr,
					  walk[p].key.len, t & 1, &rank) ||
		    rank != ((t & 1) ? n - 1 - p : p))
			FAIL("ZRANK disagrees with ZRANGE");
	}
	/* ZREVRANGE 0 9: the walk's last ten, backwards. */
	if (shmrep_snapshot_zrange(s, 0, "z", 1, 0, 9, 1, &it))
		FAIL("ZREVRANGE failed");
	for (uint64_t j = 0; j < 10 && j < n; j++)
		if (shmrep_iter_next(&it, &x) != 1 ||
		    ent_cmp(x.score, &x.key, walk[n - 1 - j].score,
			    &walk[n - 1 - j].key))
			FAIL("ZREVRANGE disagrees at %" PRIu64, j);
	/* ZRANGEBYSCORE over a random interval: the walk's run in it. */
	lo.score = (double)(tu_rand(rs) % 100000);
	hi.score = lo.score + (double)(tu_rand(rs) % 5000);
	if (shmrep_snapshot_zrangebyscore(s, 0, "z", 1, &lo, &hi, 0, 0, -1,
					  &it))
		FAIL("ZRANGEBYSCORE failed");
	for (k = 0; k < n; k++) {
		if (walk[k].score < lo.score || walk[k].score > hi.score)
			continue;
		if (shmrep_iter_next(&it, &x) != 1 ||
		    ent_cmp(x.score, &x.key, walk[k].score, &walk[k].key))
			FAIL("ZRANGEBYSCORE disagrees");
		in_range++;
	}
	if (shmrep_iter_next(&it, &x) != 0)
		FAIL("ZRANGEBYSCORE gives too much (%" PRIu64 " expected)",
		     in_range);
	shmrep_snapshot_end(s);
	return 0;
bad:
	shmrep_snapshot_end(s);
	return 1;
}

static int zm_reader(void *arg)
{
	struct zm_arg *a = arg;
	int id = (int)(a->seed % 100);
	uint64_t rs = a->seed, t0, looks = 0, gens = 0;
	int64_t last = 0, prev = -1;
	shmrep_entry *walk = calloc(ZM_N * 4, sizeof(*walk));
	shmrep *h;

	if (!walk || shmrep_open(a->name, 0, &h))
		return 20;
	t0 = tu_now_ms();
	while (tu_now_ms() - t0 < ZM_MS) {
		if (zm_look(h, id, &rs, &last, walk))
			return 21;
		looks++;
		gens += last != prev;
		prev = last;
	}
	fprintf(stderr, "reader %d: %" PRIu64 " walks over %" PRIu64
			" generations\n",
		id, looks, gens);
	shmrep_close(h);
	free(walk);
	return gens >= 3 ? 0 : 22;
}

static void run(int mode)
{
	struct zm_arg a = {
		.name = tu_name(mode == SHM_MODE_MUTEX ? "zmpm" : "zmpr"),
		.mode = mode,
		.seed = tu_seed(),
	};
	struct zm_arg ra[ZM_READERS];
	struct pollfd pfd;
	pid_t wp, rp[ZM_READERS];
	char one = 0;

	CU_ASSERT_FATAL(pipe(a.ready) == 0);
	wp = tu_fork(zm_writer, &a);
	CU_ASSERT_FATAL(wp > 0);
	close(a.ready[1]);
	pfd.fd = a.ready[0];
	pfd.events = POLLIN;
	/* The set is built and published, or the writer failed. */
	if (poll(&pfd, 1, ZM_DEADLINE_MS) != 1 ||
	    read(a.ready[0], &one, 1) != 1) {
		CU_FAIL("writer did not get ready");
		tu_wait(wp, 1000);
		close(a.ready[0]);
		return;
	}
	close(a.ready[0]);
	for (int i = 0; i < ZM_READERS; i++) {
		ra[i] = a;
		ra[i].seed = a.seed * 7 + (uint64_t)i + 1;
		rp[i] = tu_fork(zm_reader, &ra[i]);
		CU_ASSERT_FATAL(rp[i] > 0);
	}
	for (int i = 0; i < ZM_READERS; i++)
		CU_ASSERT(tu_wait(rp[i], ZM_DEADLINE_MS) == 0);
	CU_ASSERT(tu_wait(wp, ZM_DEADLINE_MS) == 0);
	tu_unlink_region(a.name);
}

static void test_rcu(void)
{
	run(SHM_MODE_RCU);
}

static void test_mutex(void)
{
	run(SHM_MODE_MUTEX);
}

static CU_TestInfo tests[] = {
	{ "consistent_walks_rcu", test_rcu },
	{ "consistent_walks_mutex", test_mutex },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = { { "zset_mproc", tests },
					   { NULL, NULL } };

	return tu_main(argc, argv, suites);
}
