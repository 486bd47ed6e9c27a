/*
 * test_btree.c - the counted B+tree against reference models.
 *
 * Three random runs, one per use: a list (insertions, deletions and
 * replacements at random positions), a sorted set with a few distinct
 * scores (infinities and both zeros among them) and members that are
 * prefixes of each other, and a sorted set whose scores are all zero (the
 * lexicographic queries).  Each is checked against a plain array.  Work is
 * grouped in writer commands, some aborted and some cut short by injected
 * allocation failures, after which the model is rolled back exactly as the
 * tree must be.  Random publications mix born and published nodes, so both
 * the in-place and the copying paths run, and a reader snapshot pins each
 * published version: before the next publication, that version's tree must
 * still read exactly as it was.  After each round: btree_check, every
 * position selected, iterators both ways from random positions, ranks and
 * lower bounds against the model.  At the end everything is deleted and,
 * once published and reclaimed, nothing may remain allocated but the two
 * snapshot records.
 *
 * Then: whole-tree drops through the retire path, growth policy at either
 * end, empty and single-element trees, hand-made corruptions that every
 * reader must report as SHMREP_ECORRUPT, random byte flips that no reader
 * may crash on, and a timing of the hot paths at a million elements
 * (printed, never asserted).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "btree.h"
#include "keys.h"
#include "region.h"
#include "shmrep.h"
#include "testutil.h"
#include "writer.h"

#define MAXM 10 /* longest member or list element in the models */

enum { M_LIST, M_ZSET, M_LEX };

struct ment {
	shm_ref ref;
	uint32_t mlen;
	double score;
	char m[MAXM];
};

enum { U_INS, U_DEL, U_REP };

struct mundo {
	int kind;
	size_t pos;
	struct ment e;
};

struct run {
	struct shm_writer *w;
	const char *name;
	int mode;
	bool sorted;
	shm_ref root; /* writer-private root field, undo-logged */
	uint64_t rs;
	/* the model */
	struct ment *e;
	size_t n, cap;
	/* the open command's changes to the model, to roll back */
	struct mundo *log;
	size_t nlog, caplog;
	/* the pinned published version and what it held */
	shmrep *h;
	shmrep_snapshot *snap;
	shm_ref old_root;
	struct ment *old;
	size_t old_n;
	/* statistics */
	uint64_t ops, aborts, nomem, publishes;
	unsigned max_height;
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	CU_ASSERT_FATAL(p != NULL);
	return p;
}

/* ------------------------------------------------------------- helpers */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t snaps_bytes(struct shm_writer *w)
{
	return 2 * alloc_rounded(region_snap_size(w->ndb));
}

/* An element leaf for e, born in the open batch: member bytes, and for a
 * sorted set the score as its 8-byte value. */
static shm_ref elem_new(struct shm_writer *w, const struct ment *e,
			bool sorted)
{
	shm_ref r = keys_leaf_new(w, e->m, e->mlen, SHM_T_STRING,
				  sorted ? sizeof(double) : 0, 0);

	if (r && sorted)
		memcpy((uint8_t *)shm_wr_ptr(w, r) + sizeof(struct shm_leaf) +
			       e->mlen,
		       &e->score, sizeof(double));
	return r;
}

/* The tree handed elem back: the test owns it and drops it. */
static void elem_drop(struct shm_writer *w, shm_ref elem)
{
	shm_wr_drop(w, elem, keys_leaf_bytes(w, elem));
}

static int mcmp(const char *a, uint32_t al, const char *b, uint32_t bl)
{
	uint32_t k = al < bl ? al : bl;
	int d = k ? memcmp(a, b, k) : 0;

	return d ? d : (al > bl) - (al < bl);
}

/* Order of sorted-set elements: score, then member as sdscmp. */
static int ecmp(const struct ment *a, double s, const char *m, uint32_t ml)
{
	if (a->score < s)
		return -1;
	if (a->score > s)
		return 1;
	return mcmp(a->m, a->mlen, m, ml);
}

static size_t model_lower(const struct run *r, double s, const char *m,
			  uint32_t ml)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ecmp(&r->e[mid], s, m, ml) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t model_lower_score(const struct run *r, double s, bool excl)
{
	size_t p = 0;

	while (p < r->n && (excl ? r->e[p].score <= s : r->e[p].score < s))
		p++;
	return p;
}

static size_t model_lower_lex(const struct run *r, const char *m,
			      uint32_t ml, bool excl)
{
	size_t p = 0;

	while (p < r->n) {
		int c = mcmp(r->e[p].m, r->e[p].mlen, m, ml);

		if (excl ? c > 0 : c >= 0)
			break;
		p++;
	}
	return p;
}

static void model_ins(struct run *r, size_t pos, const struct ment *e)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 1024;
		r->e = xrealloc(r->e, r->cap * sizeof(*r->e));
	}
	memmove(&r->e[pos + 1], &r->e[pos], (r->n - pos) * sizeof(*r->e));
	r->e[pos] = *e;
	r->n++;
}

static void model_del(struct run *r, size_t pos)
{
	memmove(&r->e[pos], &r->e[pos + 1], (r->n - pos - 1) * sizeof(*r->e));
	r->n--;
}

static void log_op(struct run *r, int kind, size_t pos, const struct ment *e)
{
	if (r->nlog == r->caplog) {
		r->caplog = r->caplog ? 2 * r->caplog : 64;
		r->log = xrealloc(r->log, r->caplog * sizeof(*r->log));
	}
	r->log[r->nlog].kind = kind;
	r->log[r->nlog].pos = pos;
	if (e)
		r->log[r->nlog].e = *e;
	r->nlog++;
}

static void model_rollback(struct run *r)
{
	while (r->nlog > 0) {
		const struct mundo *u = &r->log[--r->nlog];

		switch (u->kind) {
		case U_INS:
			model_del(r, u->pos);
			break;
		case U_DEL:
			model_ins(r, u->pos, &u->e);
			break;
		default:
			r->e[u->pos] = u->e;
			break;
		}
	}
}

static const double zscores[] = {
	-INFINITY, -1e300, -2.5, -1.0, -0.0, 0.0, 0.5, 1.0, 3.25, 1e300,
	INFINITY,
};
#define NZSCORES (sizeof(zscores) / sizeof(zscores[0]))

/* Members over 'a', 'b' and 0xff (unsigned order), many of them prefixes
 * of others; list elements are random bytes. */
static void gen_member(struct run *r, struct ment *e)
{
	static const char abc[] = { 'a', 'b', (char)0xff };

	/* The length in a local: a char store may alias e->mlen, and gcc
	 * -O3 then warns of writes past m[]. */
	uint32_t n;

	if (r->mode == M_LIST) {
		n = (uint32_t)(tu_rand(&r->rs) % (MAXM + 1));
		for (uint32_t i = 0; i < n; i++)
			e->m[i] = (char)tu_rand(&r->rs);
	} else {
		n = (uint32_t)(tu_rand(&r->rs) % MAXM);
		for (uint32_t i = 0; i < n; i++)
			e->m[i] = abc[tu_rand(&r->rs) % 3];
	}
	e->mlen = n;
}

static void gen_elem(struct run *r, struct ment *e)
{
	memset(e, 0, sizeof(*e));
	gen_member(r, e);
	if (r->mode == M_ZSET)
		e->score = zscores[tu_rand(&r->rs) % NZSCORES];
	else if (r->mode == M_LEX)
		e->score = tu_rand(&r->rs) % 2 ? 0.0 : -0.0;
	else
		e->score = 0.0;
}

/* ------------------------------------------------------------------ ops */

static int op_insert(struct run *r)
{
	struct shm_writer *w = r->w;
	struct ment e;
	uint64_t pos;
	size_t p;
	int rc;

	gen_elem(r, &e);
	if (r->sorted) {
		p = model_lower(r, e.score, e.m, e.mlen);
		if (p < r->n && ecmp(&r->e[p], e.score, e.m, e.mlen) == 0)
			return 0; /* a sorted set holds it already */
	} else {
		p = (size_t)(tu_rand(&r->rs) % (r->n + 1));
	}
	e.ref = elem_new(w, &e, r->sorted);
	if (!e.ref)
		return -ENOMEM;
	if (r->sorted) {
		rc = btree_insert_sorted(w, &r->root, e.ref, e.score, &pos);
		if (rc)
			return rc;
		CU_ASSERT_FATAL(pos == p);
	} else {
		rc = btree_insert_at(w, &r->root, p, e.ref, e.score);
		if (rc)
			return rc;
	}
	model_ins(r, p, &e);
	log_op(r, U_INS, p, NULL);
	return 0;
}

static int op_delete(struct run *r)
{
	struct shm_writer *w = r->w;
	size_t p;
	shm_ref old = 0;
	int rc;

	if (!r->n)
		return 0;
	p = (size_t)(tu_rand(&r->rs) % r->n);
	if (r->sorted) {
		/* As ZREM does: find the element's position first. */
		const struct ment *e = &r->e[p];
		uint64_t rank;
		bool found;

		CU_ASSERT_FATAL(btree_rank(&w->view, r->root, e->score, e->m,
					   e->mlen, &rank, &found) == 0);
		CU_ASSERT_FATAL(found && rank == p);
	}
	rc = btree_delete_at(w, &r->root, p, &old);
	if (rc)
		return rc;
	CU_ASSERT_FATAL(old == r->e[p].ref);
	elem_drop(w, old);
	log_op(r, U_DEL, p, &r->e[p]);
	model_del(r, p);
	return 0;
}

static int op_replace(struct run *r)
{
	struct shm_writer *w = r->w;
	struct ment e;
	size_t p;
	shm_ref old = 0;
	int rc;

	if (!r->n)
		return 0;
	p = (size_t)(tu_rand(&r->rs) % r->n);
	/* A sorted set replaces an element by a copy of its leaf (same
	 * member, same score); a list by anything (LSET). */
	if (r->sorted)
		e = r->e[p];
	else
		gen_elem(r, &e);
	e.ref = elem_new(w, &e, r->sorted);
	if (!e.ref)
		return -ENOMEM;
	rc = btree_replace_at(w, &r->root, p, e.ref, e.score, &old);
	if (rc)
		return rc;
	CU_ASSERT_FATAL(old == r->e[p].ref);
	elem_drop(w, old);
	log_op(r, U_REP, p, &r->e[p]);
	r->e[p] = e;
	return 0;
}

/* ---------------------------------------------------------- verification */

static unsigned tree_height(struct shm_writer *w, shm_ref root)
{
	return root ? ((struct shm_bnode *)shm_wr_ptr(w, root))->height : 0;
}

static void check_iter_from(const struct shm_view *v, shm_ref root,
			    const struct ment *e, size_t n, size_t start,
			    size_t steps, bool forward)
{
	struct btree_iter it;
	shm_ref x;
	double s;
	size_t p = start;

	CU_ASSERT_FATAL(btree_iter_init(&it, v, root, start) == 0);
	for (size_t k = 0; k < steps; k++) {
		int rc = forward ? btree_iter_next(&it, &x, &s)
				 : btree_iter_prev(&it, &x, &s);

		if (forward ? p == n : p == 0) {
			CU_ASSERT_FATAL(rc == 0);
			return;
		}
		CU_ASSERT_FATAL(rc == 1);
		if (!forward)
			p--;
		CU_ASSERT_FATAL(x == e[p].ref && s == e[p].score);
		if (forward)
			p++;
		CU_ASSERT_FATAL(btree_iter_pos(&it) == p);
	}
}

/* A random walk of next and prev against an index into the model. */
static void check_iter_walk(struct run *r, size_t steps)
{
	const struct shm_view *v = &r->w->view;
	struct btree_iter it;
	size_t p = (size_t)(tu_rand(&r->rs) % (r->n + 1));
	shm_ref x;
	double s;

	CU_ASSERT_FATAL(btree_iter_init(&it, v, r->root, p) == 0);
	for (size_t k = 0; k < steps; k++) {
		bool fwd = tu_rand(&r->rs) % 2;
		int rc = fwd ? btree_iter_next(&it, &x, &s)
			     : btree_iter_prev(&it, &x, &s);

		if (fwd ? p == r->n : p == 0) {
			CU_ASSERT_FATAL(rc == 0);
			continue;
		}
		CU_ASSERT_FATAL(rc == 1);
		if (!fwd)
			p--;
		CU_ASSERT_FATAL(x == r->e[p].ref);
		if (fwd)
			p++;
	}
}

static void verify(struct run *r)
{
	struct shm_writer *w = r->w;
	const struct shm_view *v = &w->view;
	uint64_t cnt, pos;
	shm_ref x;
	double s;
	bool found;

	CU_ASSERT_FATAL(btree_check(v, r->root, r->sorted, &cnt) == 0);
	CU_ASSERT_FATAL(cnt == r->n);
	CU_ASSERT_FATAL(btree_count(v, r->root, &cnt) == 0);
	CU_ASSERT_FATAL(cnt == r->n);
	if (tree_height(w, r->root) > r->max_height)
		r->max_height = tree_height(w, r->root);
	for (size_t i = 0; i < r->n; i++) {
		CU_ASSERT_FATAL(btree_select(v, r->root, i, &x, &s) == 0);
		CU_ASSERT_FATAL(x == r->e[i].ref && s == r->e[i].score);
	}
	CU_ASSERT(btree_select(v, r->root, r->n, &x, &s) == SHMREP_ERANGE);
	CU_ASSERT(btree_iter_init(&(struct btree_iter){ 0 }, v, r->root,
				  r->n + 1) == SHMREP_ERANGE);
	check_iter_from(v, r->root, r->e, r->n, 0, r->n + 1, true);
	check_iter_from(v, r->root, r->e, r->n, r->n, r->n + 1, false);
	for (int k = 0; k < 20; k++) {
		size_t p = (size_t)(tu_rand(&r->rs) % (r->n + 1));

		check_iter_from(v, r->root, r->e, r->n, p, 100, true);
		check_iter_from(v, r->root, r->e, r->n, p, 100, false);
	}
	check_iter_walk(r, 2000);
	if (!r->sorted)
		return;
	for (size_t i = 0; i < r->n; i++) {
		const struct ment *e = &r->e[i];

		CU_ASSERT_FATAL(btree_rank(v, r->root, e->score, e->m, e->mlen,
					   &pos, &found) == 0);
		CU_ASSERT_FATAL(found && pos == i);
	}
	for (int k = 0; k < 500; k++) {
		struct ment e;
		size_t p;

		gen_elem(r, &e);
		p = model_lower(r, e.score, e.m, e.mlen);
		CU_ASSERT_FATAL(btree_rank(v, r->root, e.score, e.m, e.mlen,
					   &pos, &found) == 0);
		CU_ASSERT_FATAL(pos == p);
		CU_ASSERT_FATAL(found == (p < r->n &&
					  ecmp(&r->e[p], e.score, e.m,
					       e.mlen) == 0));
	}
	for (size_t k = 0; k < NZSCORES; k++) {
		for (int excl = 0; excl < 2; excl++) {
			CU_ASSERT_FATAL(btree_lower_bound_score(
						v, r->root, zscores[k], excl,
						&pos) == 0);
			CU_ASSERT_FATAL(pos == model_lower_score(r, zscores[k],
								 excl));
		}
	}
	if (r->mode != M_LEX)
		return;
	for (int k = 0; k < 500; k++) {
		struct ment e;
		bool excl = k % 2;

		gen_member(r, &e);
		CU_ASSERT_FATAL(btree_lower_bound_lex(v, r->root, e.m, e.mlen,
						      excl, &pos) == 0);
		CU_ASSERT_FATAL(pos == model_lower_lex(r, e.m, e.mlen, excl));
	}
	/* An empty member, passed as NULL. */
	CU_ASSERT_FATAL(btree_lower_bound_lex(v, r->root, NULL, 0, false,
					      &pos) == 0);
	CU_ASSERT_FATAL(pos == 0);
}

/* The pinned version still reads as it did when it was published. */
static void verify_old(struct run *r)
{
	const struct shm_view *v = &r->w->view;
	uint64_t cnt;

	CU_ASSERT_FATAL(btree_check(v, r->old_root, r->sorted, &cnt) == 0);
	CU_ASSERT_FATAL(cnt == r->old_n);
	check_iter_from(v, r->old_root, r->old, r->old_n, 0, r->old_n + 1,
			true);
}

/* Publish the open batch and pin it with a reader snapshot. */
static void publish_pin(struct run *r)
{
	if (r->snap) {
		verify_old(r);
		shmrep_snapshot_end(r->snap);
		r->snap = NULL;
	}
	CU_ASSERT_FATAL(shm_wr_publish(r->w) >= 0);
	r->publishes++;
	CU_ASSERT_FATAL(shmrep_snapshot_begin(r->h, &r->snap) == 0);
	r->old_root = r->root;
	r->old_n = r->n;
	r->old = xrealloc(r->old, (r->n + 1) * sizeof(*r->old));
	if (r->n)
		memcpy(r->old, r->e, r->n * sizeof(*r->e));
}

/* One writer command of nops random operations, with the given odds (in
 * percent) of insertion and deletion; the rest are replacements. */
static void command(struct run *r, int nops, int pins, int pdel)
{
	struct shm_writer *w = r->w;
	bool inject = tu_rand(&r->rs) % 20 == 0;
	bool abort_it = tu_rand(&r->rs) % 10 == 0;
	int rc = 0;

	CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
	r->nlog = 0;
	/* Anywhere in the command: a delete may fail in a rebalance, after
	 * the path below it was already copied. */
	if (inject)
		w->alloc.fail_after = 1 + tu_rand(&r->rs) % (4u * nops);
	for (int k = 0; k < nops && !rc; k++) {
		int op = (int)(tu_rand(&r->rs) % 100);

		if (op < pins)
			rc = op_insert(r);
		else if (op < pins + pdel)
			rc = op_delete(r);
		else
			rc = op_replace(r);
		r->ops++;
	}
	w->alloc.fail_after = 0;
	CU_ASSERT_FATAL(rc == 0 || rc == -ENOMEM);
	if (rc || abort_it) {
		shm_wr_abort(w);
		model_rollback(r);
		r->aborts++;
		r->nomem += rc != 0;
	} else {
		shm_wr_commit(w);
	}
	if (tu_rand(&r->rs) % 8 == 0)
		publish_pin(r);
}

static void run_random(int mode, size_t fill, int rounds)
{
	struct run r = { .mode = mode, .sorted = mode != M_LIST };
	uint64_t t0 = tu_now_ms();

	r.name = tu_name("btree");
	r.w = tu_writer(r.name, 128u << 20);
	CU_ASSERT_FATAL(r.w != NULL);
	r.rs = tu_seed();
	CU_ASSERT_FATAL(shmrep_open(r.name, 0, &r.h) == 0);
	publish_pin(&r);

	/* Fill, in commands of up to 100 operations. */
	while (r.n < fill)
		command(&r, 1 + (int)(tu_rand(&r.rs) % 100), 90, 5);
	verify(&r);
	/* Churn around that size, then shrink. */
	for (int round = 0; round < rounds; round++) {
		bool shrink = round >= rounds / 2;

		for (int c = 0; c < 150; c++)
			command(&r, 1 + (int)(tu_rand(&r.rs) % 16),
				shrink ? 25 : 45, shrink ? 60 : 40);
		verify(&r);
		CU_ASSERT_FATAL(alloc_check(&r.w->alloc) == 0);
	}
	/* Delete everything, checking on the way down, in commands that
	 * can still fail. */
	while (r.n) {
		command(&r, 1 + (int)(tu_rand(&r.rs) % 200), 0, 100);
		if (tu_rand(&r.rs) % 40 == 0)
			verify(&r);
	}
	verify(&r);
	CU_ASSERT(r.root == 0);
	publish_pin(&r);
	verify_old(&r);
	shmrep_snapshot_end(r.snap);
	shmrep_close(r.h);
	shm_wr_reclaim(r.w);
	CU_ASSERT(r.w->alloc.used == snaps_bytes(r.w));
	CU_ASSERT(alloc_check(&r.w->alloc) == 0);
	printf("\n    %s: %llu ops, %llu aborted commands (%llu ENOMEM), "
	       "%llu publications, max height %u, %llu ms ",
	       mode == M_LIST ? "list" : mode == M_ZSET ? "zset" : "lex",
	       (unsigned long long)r.ops, (unsigned long long)r.aborts,
	       (unsigned long long)r.nomem, (unsigned long long)r.publishes,
	       r.max_height, (unsigned long long)(tu_now_ms() - t0));
	free(r.e);
	free(r.log);
	free(r.old);
	shm_writer_close(r.w);
	tu_unlink_region(r.name);
}

/* Big enough for height 3 (inner nodes that split and merge). */
static void test_list_random(void)
{
	run_random(M_LIST, 30000, 12);
}

static void test_zset_random(void)
{
	run_random(M_ZSET, 25000, 12);
}

static void test_lex_random(void)
{
	run_random(M_LEX, 8000, 12);
}

/*
 * Every allocation of every operation fails once: for each operation, fail
 * the first allocation, abort, and check that the tree is exactly the
 * model; then the second; and so on until the operation succeeds.  Half
 * the operations run on a freshly published tree (every node copied),
 * half on nodes born in the batch; a long delete phase makes the failures
 * land in merges and borrows too.
 */
static void check_same(struct run *r)
{
	uint64_t cnt;

	CU_ASSERT_FATAL(btree_check(&r->w->view, r->root, r->sorted, &cnt) ==
			0);
	CU_ASSERT_FATAL(cnt == r->n);
	check_iter_from(&r->w->view, r->root, r->e, r->n, 0, r->n + 1, true);
}

static void every_failure(struct run *r, int ops, int pins)
{
	struct shm_writer *w = r->w;

	for (int k = 0; k < ops; k++) {
		int kind = (int)(tu_rand(&r->rs) % 100);
		uint64_t rs0 = r->rs;

		for (uint64_t fa = 1;; fa++) {
			int rc;

			r->rs = rs0; /* the same operation each time */
			CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
			r->nlog = 0;
			w->alloc.fail_after = fa;
			rc = kind < pins ? op_insert(r) : op_delete(r);
			w->alloc.fail_after = 0;
			if (rc == 0) {
				shm_wr_commit(w);
				break;
			}
			CU_ASSERT_FATAL(rc == -ENOMEM && fa < 64);
			shm_wr_abort(w);
			model_rollback(r);
			check_same(r);
			r->nomem++;
		}
		if (tu_rand(&r->rs) % 2)
			CU_ASSERT_FATAL(shm_wr_publish(w) >= 0);
	}
	check_same(r);
}

static void test_every_failure(void)
{
	for (int mode = M_LIST; mode <= M_ZSET; mode++) {
		struct run r = { .mode = mode, .sorted = mode != M_LIST };

		r.name = tu_name("btfail");
		r.w = tu_writer(r.name, 64u << 20);
		CU_ASSERT_FATAL(r.w != NULL);
		r.rs = tu_seed();
		/* From the empty tree up to height 2, and back down. */
		every_failure(&r, 3000, 95);
		every_failure(&r, 4000, 30);
		while (r.n)
			every_failure(&r, 1, 0);
		CU_ASSERT(r.root == 0);
		CU_ASSERT(r.nomem > 3000);
		shm_wr_publish(r.w);
		CU_ASSERT(r.w->alloc.used == snaps_bytes(r.w));
		free(r.e);
		free(r.log);
		shm_writer_close(r.w);
		tu_unlink_region(r.name);
	}
}

/* --------------------------------------------------------- whole trees */

/* Append n list elements (a few hundred per command, some commands
 * published); returns the element refs if refs is not NULL. */
static void build_list(struct shm_writer *w, shm_ref *root, size_t n,
		       shm_ref *refs, uint64_t *rs)
{
	size_t i = 0;

	while (i < n) {
		CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
		for (size_t k = 0; k < 500 && i < n; k++, i++) {
			struct ment e = { .mlen = 8 };
			uint64_t pos = tu_rand(rs) % (i + 1);

			memcpy(e.m, &i, sizeof(uint64_t));
			e.ref = elem_new(w, &e, false);
			CU_ASSERT_FATAL(e.ref != 0);
			CU_ASSERT_FATAL(btree_insert_at(w, root, pos, e.ref,
							0) == 0);
			if (refs)
				refs[i] = e.ref;
		}
		shm_wr_commit(w);
		if (tu_rand(rs) % 3 == 0)
			shm_wr_publish(w);
	}
}

static void test_drop_tree(void)
{
	const char *name = tu_name("btdrop");
	struct shm_writer *w = tu_writer(name, 128u << 20);
	const size_t n = 60000;
	shm_ref *refs = calloc(n, sizeof(*refs));
	uint64_t rs = tu_seed(), cnt;
	shm_ref root = 0, old;
	shmrep *h;
	shmrep_snapshot *s;

	CU_ASSERT_FATAL(w != NULL && refs != NULL);
	CU_ASSERT_FATAL(w->alloc.used == snaps_bytes(w));
	CU_ASSERT_FATAL(shmrep_open(name, 0, &h) == 0);
	for (int owned = 1; owned >= 0; owned--) {
		build_list(w, &root, n, owned ? NULL : refs, &rs);
		/* An aborted drop changes nothing. */
		CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
		shm_wr_set32(w, &root, 0);
		shm_wr_abort(w);
		CU_ASSERT_FATAL(btree_check(&w->view, root, false, &cnt) == 0);
		CU_ASSERT_FATAL(cnt == n);
		/* A reader pins a version in which the tree is whole; part of
		 * the tree is then rebuilt in the open batch. */
		shm_wr_publish(w);
		CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s) == 0);
		old = root;
		CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
		for (int k = 0; k < 300; k++) {
			shm_ref x;

			CU_ASSERT_FATAL(btree_delete_at(w, &root,
							tu_rand(&rs) % (n - k),
							&x) == 0);
			CU_ASSERT_FATAL(btree_insert_at(w, &root,
							tu_rand(&rs) % (n - k),
							x, 0) == 0);
		}
		shm_wr_commit(w);
		/* Unlink the tree in a command; at commit, release() would
		 * call btree_drop_tree: born nodes go now, published subtrees
		 * are retired whole. */
		CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
		{
			shm_ref gone = root;

			shm_wr_set32(w, &root, 0);
			shm_wr_commit(w);
			btree_drop_tree(w, gone, owned);
		}
		if (!owned) {
			/* Not the tree's: their owner frees them. */
			CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
			for (size_t i = 0; i < n; i++)
				elem_drop(w, refs[i]);
			shm_wr_commit(w);
		}
		shm_wr_publish(w);
		shm_wr_publish(w);
		/* The pinned version's tree is still intact. */
		CU_ASSERT_FATAL(btree_check(&w->view, old, false, &cnt) == 0);
		CU_ASSERT_FATAL(cnt == n);
		CU_ASSERT(w->alloc.used > snaps_bytes(w));
		shmrep_snapshot_end(s);
		shm_wr_reclaim(w);
		CU_ASSERT(w->alloc.used == snaps_bytes(w));
		CU_ASSERT(alloc_check(&w->alloc) == 0);
	}
	/* btree_free_tree on a tree nothing can see. */
	build_list(w, &root, 5000, NULL, &rs);
	shm_wr_publish(w);
	CU_ASSERT(w->alloc.used > snaps_bytes(w));
	btree_free_tree(w, root, true);
	root = 0;
	shm_wr_reclaim(w);
	CU_ASSERT(w->alloc.used == snaps_bytes(w));
	shmrep_close(h);
	free(refs);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/* ------------------------------------------------------------ edge cases */

static void count_nodes(struct shm_writer *w, shm_ref r, uint64_t *bottom,
			uint64_t *inner)
{
	const struct shm_bnode *b = shm_wr_ptr(w, r);

	if (b->height == 0) {
		(*bottom)++;
		return;
	}
	(*inner)++;
	for (unsigned i = 0; i < b->n; i++)
		count_nodes(w, ((const struct shm_binner *)b)->ref[i], bottom,
			    inner);
}

static void test_edges(void)
{
	const char *name = tu_name("btedge");
	struct shm_writer *w = tu_writer(name, 64u << 20);
	const struct shm_view *v = &w->view;
	struct ment e = { .mlen = 1, .m = "x" };
	struct btree_iter it;
	shm_ref root = 0, x, one;
	uint64_t pos, cnt, bottom = 0, inner = 0;
	double s;
	bool found;

	CU_ASSERT_FATAL(w != NULL);
	/* Empty. */
	CU_ASSERT(btree_count(v, 0, &cnt) == 0 && cnt == 0);
	CU_ASSERT(btree_select(v, 0, 0, &x, &s) == SHMREP_ERANGE);
	CU_ASSERT(btree_rank(v, 0, 1.0, "x", 1, &pos, &found) == 0);
	CU_ASSERT(pos == 0 && !found);
	CU_ASSERT(btree_lower_bound_score(v, 0, 1.0, false, &pos) == 0);
	CU_ASSERT(pos == 0);
	CU_ASSERT(btree_lower_bound_lex(v, 0, "x", 1, true, &pos) == 0);
	CU_ASSERT(pos == 0);
	CU_ASSERT(btree_iter_init(&it, v, 0, 0) == 0);
	CU_ASSERT(btree_iter_next(&it, &x, &s) == 0);
	CU_ASSERT(btree_iter_prev(&it, &x, &s) == 0);
	CU_ASSERT(btree_iter_init(&it, v, 0, 1) == SHMREP_ERANGE);
	CU_ASSERT(btree_check(v, 0, true, &cnt) == 0 && cnt == 0);
	CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
	CU_ASSERT(btree_delete_at(w, &root, 0, &x) == -ERANGE);
	CU_ASSERT(btree_replace_at(w, &root, 0, 1, 0, &x) == -ERANGE);
	CU_ASSERT(btree_insert_at(w, &root, 1, 1, 0) == -ERANGE);
	/* One element. */
	e.score = 2.0;
	one = elem_new(w, &e, true);
	CU_ASSERT_FATAL(btree_insert_sorted(w, &root, one, 2.0, &pos) == 0);
	CU_ASSERT(pos == 0 && root != 0);
	CU_ASSERT(btree_rank(v, root, 2.0, "x", 1, &pos, &found) == 0);
	CU_ASSERT(pos == 0 && found);
	CU_ASSERT(btree_rank(v, root, 2.0, "y", 1, &pos, &found) == 0);
	CU_ASSERT(pos == 1 && !found);
	CU_ASSERT(btree_rank(v, root, 2.0, "", 0, &pos, &found) == 0);
	CU_ASSERT(pos == 0 && !found);
	CU_ASSERT(btree_iter_init(&it, v, root, 0) == 0);
	CU_ASSERT(btree_iter_next(&it, &x, &s) == 1 && x == one && s == 2.0);
	CU_ASSERT(btree_iter_next(&it, &x, &s) == 0);
	CU_ASSERT(btree_iter_prev(&it, &x, &s) == 1 && x == one);
	CU_ASSERT(btree_iter_prev(&it, &x, &s) == 0);
	CU_ASSERT(btree_iter_next(&it, &x, &s) == 1 && x == one);
	CU_ASSERT(btree_delete_at(w, &root, 1, &x) == -ERANGE);
	CU_ASSERT(btree_delete_at(w, &root, 0, &x) == 0 && x == one);
	CU_ASSERT(root == 0);
	elem_drop(w, one);
	shm_wr_commit(w);
	shm_wr_publish(w);
	shm_wr_publish(w);
	CU_ASSERT(w->alloc.used == snaps_bytes(w));

	/* Appends fill bottom nodes to 32 of 41, not half. */
	CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
	for (uint64_t i = 0; i < 20000; i++) {
		e.ref = elem_new(w, &e, false);
		CU_ASSERT_FATAL(btree_insert_at(w, &root, i, e.ref, 0) == 0);
	}
	count_nodes(w, root, &bottom, &inner);
	CU_ASSERT(bottom <= 20000 / 32 + 1);
	/* So do prepends, and alternating ones, at either end. */
	for (uint64_t i = 0; i < 20000; i++) {
		e.ref = elem_new(w, &e, false);
		CU_ASSERT_FATAL(btree_insert_at(w, &root, 0, e.ref, 0) == 0);
	}
	bottom = inner = 0;
	count_nodes(w, root, &bottom, &inner);
	CU_ASSERT(bottom <= 40000 / 32 + 2);
	CU_ASSERT(btree_check(v, root, false, &cnt) == 0 && cnt == 40000);
	/* Increasing scores in a sorted set: the same. */
	{
		shm_ref zroot = 0;

		bottom = inner = 0;
		for (uint64_t i = 0; i < 20000; i++) {
			e.score = (double)i;
			e.ref = elem_new(w, &e, true);
			CU_ASSERT_FATAL(btree_insert_sorted(w, &zroot, e.ref,
							    e.score,
							    &pos) == 0);
			CU_ASSERT_FATAL(pos == i);
		}
		count_nodes(w, zroot, &bottom, &inner);
		CU_ASSERT(bottom <= 20000 / 32 + 1);
		CU_ASSERT(btree_check(v, zroot, true, &cnt) == 0);
		shm_wr_commit(w);
		btree_drop_tree(w, zroot, true);
	}
	/* All of it born in the open batch: freed at once. */
	btree_drop_tree(w, root, true);
	CU_ASSERT(w->alloc.used == snaps_bytes(w));
	shm_writer_close(w);
	tu_unlink_region(name);
}

/* ----------------------------------------------------------- corruption */

/* Every reader on one tree; the codes each returned. */
struct rd_codes {
	int count, sel0, sel_last, rank, lb_score, lb_lex, fwd, back, check;
};

static int iter_all(const struct shm_view *v, shm_ref root, bool forward,
		    uint64_t limit)
{
	struct btree_iter it;
	uint64_t cnt = 0;
	shm_ref x;
	double s;
	int rc;

	if (!forward && btree_count(v, root, &cnt) == 0 && cnt > limit)
		cnt = 0; /* a lying root: start from 0 instead */
	rc = btree_iter_init(&it, v, root, forward ? 0 : cnt);
	if (rc)
		return rc;
	for (uint64_t k = 0; k < limit; k++) {
		rc = forward ? btree_iter_next(&it, &x, &s)
			     : btree_iter_prev(&it, &x, &s);
		if (rc <= 0)
			return rc;
	}
	return 1; /* still going: only when the counts say so */
}

static void run_readers(const struct shm_view *v, shm_ref root,
			struct rd_codes *c)
{
	uint64_t cnt = 0, pos;
	shm_ref x;
	double s;
	bool found;

	c->count = btree_count(v, root, &cnt);
	c->sel0 = btree_select(v, root, 0, &x, &s);
	c->sel_last = btree_select(v, root, cnt ? cnt - 1 : 0, &x, &s);
	c->rank = btree_rank(v, root, 0.0, "m", 1, &pos, &found);
	c->lb_score = btree_lower_bound_score(v, root, 0.0, false, &pos);
	c->lb_lex = btree_lower_bound_lex(v, root, "m", 1, false, &pos);
	c->fwd = iter_all(v, root, true, 100000);
	c->back = iter_all(v, root, false, 100000);
	c->check = btree_check(v, root, false, &cnt);
}

/* Every reader that goes below the root failed as corrupt, and the count
 * too if the root itself is bad. */
static void expect_corrupt(const struct shm_view *v, shm_ref root,
			   bool root_bad, const char *what)
{
	struct rd_codes c;
	const int E = SHMREP_ECORRUPT;

	run_readers(v, root, &c);
	if (root_bad)
		CU_ASSERT(c.count == E);
	if (c.sel0 != E || c.sel_last != E || c.rank != E ||
	    c.lb_score != E || c.lb_lex != E || c.fwd != E || c.back != E ||
	    c.check != E)
		fprintf(stderr, "\n%s: %d %d %d %d %d %d %d %d %d\n", what,
			c.count, c.sel0, c.sel_last, c.rank, c.lb_score,
			c.lb_lex, c.fwd, c.back, c.check);
	CU_ASSERT(c.sel0 == E);
	CU_ASSERT(c.sel_last == E);
	CU_ASSERT(c.rank == E);
	CU_ASSERT(c.lb_score == E);
	CU_ASSERT(c.lb_lex == E);
	CU_ASSERT(c.fwd == E);
	CU_ASSERT(c.back == E);
	CU_ASSERT(c.check == E);
}

/* The nodes at height h under r. */
static size_t nodes_at(struct shm_writer *w, shm_ref r, unsigned h,
		       shm_ref *out, size_t cap)
{
	const struct shm_bnode *b = shm_wr_ptr(w, r);
	size_t k = 0;

	if (b->height == h) {
		if (cap)
			out[0] = r;
		return 1;
	}
	for (unsigned i = 0; i < b->n; i++)
		k += nodes_at(w, ((const struct shm_binner *)b)->ref[i], h,
			      out + k, cap > k ? cap - k : 0);
	return k;
}

#define MAXNODES 4096

/* n members "m00000"... with score 0, in one published command: every
 * search for (0, "m") goes down the leftmost path. */
static void build_sorted(struct shm_writer *w, shm_ref *root, int n)
{
	CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
	for (int i = 0; i < n; i++) {
		struct ment e = { .score = 0.0 };

		e.mlen = (uint32_t)snprintf(e.m, sizeof(e.m), "m%05d", i);
		e.ref = elem_new(w, &e, true);
		CU_ASSERT_FATAL(btree_insert_sorted(w, root, e.ref, e.score,
						    NULL) == 0);
	}
	shm_wr_commit(w);
	shm_wr_publish(w);
}

/* Save, corrupt, test, restore: one case on a copy of every node. */
struct saved {
	shm_ref r[MAXNODES];
	uint8_t bytes[MAXNODES][sizeof(struct shm_binner)];
	size_t n;
};

static void save_nodes(struct shm_writer *w, struct saved *sv,
		       const shm_ref *r, size_t n)
{
	CU_ASSERT_FATAL(n <= MAXNODES);
	sv->n = n;
	for (size_t i = 0; i < n; i++) {
		sv->r[i] = r[i];
		memcpy(sv->bytes[i], shm_wr_ptr(w, r[i]), sizeof(sv->bytes[i]));
	}
}

static void restore_nodes(struct shm_writer *w, const struct saved *sv)
{
	for (size_t i = sv->n; i-- > 0;)
		memcpy(shm_wr_ptr(w, sv->r[i]), sv->bytes[i],
		       sizeof(sv->bytes[i]));
}

static void test_corrupt(void)
{
	const char *name = tu_name("btbad");
	struct shm_writer *w = tu_writer(name, 64u << 20);
	const struct shm_view *v = &w->view;
	static struct saved sv;
	static shm_ref nodes[MAXNODES];
	struct shm_binner *in;
	struct rd_codes c;
	uint64_t cnt;
	shm_ref root = 0;
	size_t nb, n1;

	CU_ASSERT_FATAL(w != NULL);
	build_sorted(w, &root, 3000);
	CU_ASSERT_FATAL(btree_check(v, root, true, &cnt) == 0);
	CU_ASSERT_FATAL(tree_height(w, root) == 2);
	run_readers(v, root, &c);
	CU_ASSERT(c.count == 0 && c.sel0 == 0 && c.rank == 0 && c.fwd == 0 &&
		  c.back == 0 && c.check == 0);
	in = shm_wr_ptr(w, root);

	save_nodes(w, &sv, &root, 1);
	in->hdr.height = SHM_BTREE_MAXHEIGHT;
	expect_corrupt(v, root, true, "height MAXHEIGHT");
	in->hdr.height = 255;
	expect_corrupt(v, root, true, "height 255");
	restore_nodes(w, &sv);
	in->hdr.n = 0;
	expect_corrupt(v, root, true, "n = 0");
	in->hdr.n = SHM_BTREE_FANOUT + 1;
	expect_corrupt(v, root, true, "n > FANOUT");
	in->hdr.n = 0xffff;
	expect_corrupt(v, root, true, "n = 0xffff");
	restore_nodes(w, &sv);
	expect_corrupt(v, 0xffffffffu, true, "root out of range");
	expect_corrupt(v, (shm_ref)(v->size / SHM_UNIT), true,
		       "root at the end");

	/* Children: back to the root itself, out of range, null, or a node
	 * of the wrong height. */
	for (unsigned i = 0; i < in->hdr.n; i++)
		in->ref[i] = root;
	expect_corrupt(v, root, false, "child is its parent");
	for (unsigned i = 0; i < in->hdr.n; i++)
		in->ref[i] = 0xfffffff0u;
	expect_corrupt(v, root, false, "child out of range");
	for (unsigned i = 0; i < in->hdr.n; i++)
		in->ref[i] = 0;
	expect_corrupt(v, root, false, "null child");
	restore_nodes(w, &sv);
	nb = nodes_at(w, root, 0, nodes, MAXNODES);
	for (unsigned i = 0; i < in->hdr.n; i++)
		in->ref[i] = nodes[i];
	expect_corrupt(v, root, false, "child of the wrong height");
	restore_nodes(w, &sv);

	/* Every height-1 node points back to itself. */
	n1 = nodes_at(w, root, 1, nodes, MAXNODES);
	save_nodes(w, &sv, nodes, n1);
	for (size_t k = 0; k < n1; k++) {
		struct shm_binner *m = shm_wr_ptr(w, nodes[k]);

		for (unsigned i = 0; i < m->hdr.n; i++)
			m->ref[i] = nodes[k];
	}
	expect_corrupt(v, root, false, "self-loop at height 1");
	restore_nodes(w, &sv);

	/* Every bottom node empty, or overfull. */
	nb = nodes_at(w, root, 0, nodes, MAXNODES);
	save_nodes(w, &sv, nodes, nb);
	for (size_t k = 0; k < nb; k++)
		((struct shm_bnode *)shm_wr_ptr(w, nodes[k]))->n = 0;
	expect_corrupt(v, root, false, "bottom n = 0");
	for (size_t k = 0; k < nb; k++)
		((struct shm_bnode *)shm_wr_ptr(w, nodes[k]))->n = 200;
	expect_corrupt(v, root, false, "bottom n > FANOUT");
	restore_nodes(w, &sv);
	CU_ASSERT_FATAL(btree_check(v, root, false, &cnt) == 0);

	/* Counts that promise more than there is: no read past a node, the
	 * iterators stop where the tree does. */
	save_nodes(w, &sv, &root, 1);
	for (unsigned i = 0; i < in->hdr.n; i++)
		in->count[i] = 0xffffffffu;
	run_readers(v, root, &c);
	CU_ASSERT(c.sel_last == SHMREP_ECORRUPT);
	CU_ASSERT(c.fwd == SHMREP_ECORRUPT);
	CU_ASSERT(c.check == SHMREP_ECORRUPT);
	restore_nodes(w, &sv);

	/* Greatest-element keys out of range: every search by member. */
	for (unsigned i = 0; i < in->hdr.n; i++)
		in->key[i] = 0xfffffff0u;
	run_readers(v, root, &c);
	CU_ASSERT(c.rank == SHMREP_ECORRUPT);
	CU_ASSERT(c.lb_lex == SHMREP_ECORRUPT);
	CU_ASSERT(c.check == SHMREP_ECORRUPT);
	CU_ASSERT(c.sel0 == 0 && c.fwd == 0);
	restore_nodes(w, &sv);

	/* NaN scores: answers, no crash; check refuses them in a sorted
	 * tree. */
	for (unsigned i = 0; i < in->hdr.n; i++)
		in->score[i] = NAN;
	run_readers(v, root, &c);
	CU_ASSERT(c.check == SHMREP_ECORRUPT);
	restore_nodes(w, &sv);
	CU_ASSERT_FATAL(btree_check(v, root, true, &cnt) == 0);
	CU_ASSERT(cnt == 3000);

	shm_writer_close(w);
	tu_unlink_region(name);
}

static bool code_ok(int rc)
{
	return rc == 0 || rc == 1 || rc == SHMREP_ERANGE ||
	       rc == SHMREP_ECORRUPT;
}

/* Random bytes in random nodes and leaves: any answer but a crash, a hang
 * or an error code of another kind. */
static void test_fuzz(void)
{
	const char *name = tu_name("btfuzz");
	struct shm_writer *w = tu_writer(name, 64u << 20);
	const struct shm_view *v = &w->view;
	static shm_ref nodes[MAXNODES];
	static uint8_t save[sizeof(struct shm_binner)];
	uint64_t rs = tu_seed(), cnt;
	shm_ref root = 0;
	size_t nn = 0;
	int bad = 0, trials = 3000;

	CU_ASSERT_FATAL(w != NULL);
	/* A sorted tree with ties, so that searches read members. */
	CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
	for (int i = 0; i < 4000; i++) {
		struct ment e = { .score = (double)(i % 7) };

		e.mlen = (uint32_t)snprintf(e.m, sizeof(e.m), "m%d", i);
		e.ref = elem_new(w, &e, true);
		CU_ASSERT_FATAL(btree_insert_sorted(w, &root, e.ref, e.score,
						    NULL) == 0);
	}
	shm_wr_commit(w);
	for (unsigned h = 0; h <= tree_height(w, root); h++)
		nn += nodes_at(w, root, h, nodes + nn, MAXNODES - nn);
	CU_ASSERT_FATAL(nn < MAXNODES);
	for (int t = 0; t < trials; t++) {
		shm_ref r = nodes[tu_rand(&rs) % nn];
		uint8_t *p = shm_wr_ptr(w, r);
		size_t bytes = ((struct shm_bnode *)p)->height
				       ? sizeof(struct shm_binner)
				       : sizeof(struct shm_bbottom);
		struct rd_codes c;
		int flips = 1 + (int)(tu_rand(&rs) % 4);

		/* Sometimes the element leaf under a bottom entry instead. */
		if (((struct shm_bnode *)p)->height == 0 && t % 4 == 0) {
			struct shm_bbottom *b = (struct shm_bbottom *)p;

			r = b->elem[tu_rand(&rs) % b->hdr.n];
			p = shm_wr_ptr(w, r);
			bytes = sizeof(struct shm_leaf);
		}
		memcpy(save, p, bytes);
		for (int f = 0; f < flips; f++) {
			size_t off = (size_t)(tu_rand(&rs) % bytes);

			if (off < SHM_BIRTH_OFF || off >= 16 || bytes == 32)
				p[off] = (uint8_t)tu_rand(&rs);
		}
		run_readers(v, root, &c);
		if (!code_ok(c.count) || !code_ok(c.sel0) ||
		    !code_ok(c.sel_last) || !code_ok(c.rank) ||
		    !code_ok(c.lb_score) || !code_ok(c.lb_lex) ||
		    !code_ok(c.fwd) || !code_ok(c.back) || !code_ok(c.check))
			bad++;
		(void)btree_check(v, root, true, &cnt);
		memcpy(p, save, bytes);
	}
	CU_ASSERT(bad == 0);
	CU_ASSERT(btree_check(v, root, true, &cnt) == 0 && cnt == 4000);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/* ------------------------------------------------------------ timing */

#if defined(__SANITIZE_ADDRESS__)
#define BENCH_N 200000u
#else
#define BENCH_N 1000000u
#endif

static shm_ref bench_elem(struct shm_writer *w, uint64_t id, double score)
{
	struct ment e = { .score = score };

	e.mlen = (uint32_t)snprintf(e.m, sizeof(e.m), "m%08llu",
				    (unsigned long long)id % 100000000u);
	return elem_new(w, &e, true);
}

static double bench_score(uint64_t *rs)
{
	return (double)(tu_rand(rs) % 1000000u);
}

/* Prints what a ZADD, a ZREM, a ZRANK and a ZRANGE step cost the tree at
 * BENCH_N elements: each write in its own published version (a full path
 * copy each time), or many per version (in place after the first). */
static void test_bench(void)
{
	const char *name = tu_name("btbench");
	struct shm_writer *w = tu_writer(name, 512u << 20);
	const struct shm_view *v = &w->view;
	const unsigned K = 20000;
	uint64_t rs = 7, id = 0, t, ins = 0, del = 0, rk = 0, sel = 0, cnt;
	uint64_t batch_ins[2], bottom = 0, inner = 0;
	shm_ref root = 0, x;
	double s;

	CU_ASSERT_FATAL(w != NULL);
	while (id < BENCH_N) {
		CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
		for (unsigned k = 0; k < 1000; k++, id++) {
			double sc = bench_score(&rs);

			x = bench_elem(w, id, sc);
			CU_ASSERT_FATAL(x != 0);
			CU_ASSERT_FATAL(btree_insert_sorted(w, &root, x, sc,
							    NULL) == 0);
		}
		shm_wr_commit(w);
		shm_wr_publish(w);
	}
	CU_ASSERT_FATAL(btree_count(v, root, &cnt) == 0 && cnt == BENCH_N);
	count_nodes(w, root, &bottom, &inner);
	/* One write per version: every node on the path is copied. */
	for (unsigned k = 0; k < K; k++, id++) {
		double sc = bench_score(&rs);

		CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
		x = bench_elem(w, id, sc);
		t = now_ns();
		CU_ASSERT_FATAL(btree_insert_sorted(w, &root, x, sc, NULL) ==
				0);
		ins += now_ns() - t;
		shm_wr_commit(w);
		shm_wr_publish(w);
	}
	for (unsigned k = 0; k < K; k++) {
		CU_ASSERT_FATAL(btree_count(v, root, &cnt) == 0);
		CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
		t = now_ns();
		CU_ASSERT_FATAL(btree_delete_at(w, &root, tu_rand(&rs) % cnt,
						&x) == 0);
		del += now_ns() - t;
		elem_drop(w, x);
		shm_wr_commit(w);
		shm_wr_publish(w);
	}
	/* Many writes per version, 100 per command: the first write to a
	 * node copies it, later ones change it in place.  The first round
	 * also pays for the first touch of fresh region pages; the second
	 * reuses what the first one's publication freed. */
	for (int round = 0; round < 2; round++) {
		batch_ins[round] = 0;
		for (unsigned k = 0; k < K; k++, id++) {
			double sc = bench_score(&rs);

			if (k % 100 == 0)
				CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
			x = bench_elem(w, id, sc);
			t = now_ns();
			CU_ASSERT_FATAL(btree_insert_sorted(w, &root, x, sc,
							    NULL) == 0);
			batch_ins[round] += now_ns() - t;
			if (k % 100 == 99)
				shm_wr_commit(w);
		}
		shm_wr_publish(w);
	}
	/* Reads: rank of a present element, select of a random position. */
	CU_ASSERT_FATAL(btree_count(v, root, &cnt) == 0);
	for (unsigned k = 0; k < K; k++) {
		const struct shm_leaf *l;
		uint64_t pos;
		bool found;

		CU_ASSERT_FATAL(btree_select(v, root, tu_rand(&rs) % cnt, &x,
					     &s) == 0);
		l = shm_leaf_at(v, x);
		t = now_ns();
		CU_ASSERT_FATAL(btree_rank(v, root, s, l->data, l->klen, &pos,
					   &found) == 0);
		rk += now_ns() - t;
		CU_ASSERT_FATAL(found);
	}
	t = now_ns();
	for (unsigned k = 0; k < K; k++)
		CU_ASSERT_FATAL(btree_select(v, root, tu_rand(&rs) % cnt, &x,
					     &s) == 0);
	sel = now_ns() - t;
	printf("\n    %u elements, height %u, %llu bottom + %llu inner nodes "
	       "(%.1f bytes of tree per element)\n"
	       "    insert_sorted, own version each:  %.2f us\n"
	       "    delete_at, own version each:      %.2f us\n"
	       "    insert_sorted, 20000 per version: %.2f us "
	       "(first round %.2f)\n"
	       "    rank: %.2f us   select: %.2f us ",
	       BENCH_N, tree_height(w, root), (unsigned long long)bottom,
	       (unsigned long long)inner,
	       (double)(bottom * sizeof(struct shm_bbottom) +
			inner * sizeof(struct shm_binner)) /
		       BENCH_N,
	       ins / 1e3 / K, del / 1e3 / K, batch_ins[1] / 1e3 / K,
	       batch_ins[0] / 1e3 / K,
	       rk / 1e3 / K, sel / 1e3 / K);
	shm_writer_close(w);
	tu_unlink_region(name);
}

static CU_TestInfo tests[] = {
	{ "list_random", test_list_random },
	{ "zset_random", test_zset_random },
	{ "lex_random", test_lex_random },
	{ "every_failure", test_every_failure },
	{ "drop_tree", test_drop_tree },
	{ "edges", test_edges },
	{ "corrupt", test_corrupt },
	{ "fuzz", test_fuzz },
	{ "bench", test_bench },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = { { "btree", tests }, { NULL, NULL } };

	return tu_main(argc, argv, suites);
}
