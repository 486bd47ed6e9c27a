/*
 * test_zset.c - sorted sets (shm/c_zset.c, client/r_zset.c) against a
 * model.
 *
 * The model is a sorted array per key that follows Redis's rules, written
 * afresh here from Redis's t_zset.c (zsetAdd, the listpack range scans,
 * LIMIT's offset and count loops), not from c_zset.c: which score a -0
 * becomes in a small set, when a set converts, what a range holds.  A
 * random run drives four keys through the writer API as the daemon's
 * commands do (ZADD with every flag, ZREM, the three ZREMRANGEBY*, pops,
 * stores that replace a key, ZRANGESTORE onto its own source, DEL, EXPIRE),
 * thousands of writer commands, some aborted and some cut short by
 * injected allocation failures, after which the model rolls back as the
 * region must.  Members are drawn from 'a', 'b' and 0xff, so many are
 * prefixes of others, plus a few past SHM_PACK_MAX_BYTES; scores from the
 * infinities, both zeros, huge and tiny values and small integers, so ties
 * are everywhere.  One key holds only scores 0 and -0, where lex ranges
 * are defined whatever the encoding.
 *
 * After every command each key is checked through the readers on the
 * writer's view (encoding, TTL, every element bit for bit, scores, ranks,
 * random spans by rank, score and lex, the B+tree and the trie whole);
 * after random publications, the published version through libshmrep's
 * snapshot calls.  At the end everything is deleted and, once published
 * and reclaimed, the allocator holds what it held at the start.
 *
 * Then: corrupt values, which every reader must answer with
 * SHMREP_ECORRUPT; random byte flips, which no reader may crash on; the
 * public calls' argument errors; and a timing at a million members of
 * ZADD, ZINCRBY and ZREM as commands, and of ZSCORE against a string GET
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
#include "c_zset.h"
#include "coll.h"
#include "hamt.h"
#include "keys.h"
#include "region.h"
#include "shmrep.h"
#include "testutil.h"
#include "writer.h"

#define DB 3
#define MAXM 72 /* longest member the models make */
#define NK 4 /* keys in a run */
#define TTL_MS 4000000000000ll /* an absolute time far ahead */

/* ---------------------------------------------------------------- model */

struct ment {
	uint32_t len;
	double s;
	char m[MAXM];
};

struct model {
	const char *key;
	bool lexonly; /* scores only 0 and -0 */
	struct ment *e;
	size_t n, cap;
	bool small; /* encoded PACK */
	int64_t expire;
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	CU_ASSERT_FATAL(p != NULL);
	return p;
}

static bool same_double(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

static int mcmp(const char *a, uint32_t al, const char *b, uint32_t bl)
{
	uint32_t k = al < bl ? al : bl;
	int d = k ? memcmp(a, b, k) : 0;

	return d ? d : (al > bl) - (al < bl);
}

static int ecmp(const struct ment *a, double s, const char *m, uint32_t ml)
{
	if (a->s < s)
		return -1;
	if (a->s > s)
		return 1;
	return mcmp(a->m, a->len, m, ml);
}

static void m_clear(struct model *k)
{
	k->n = 0;
	k->small = true;
	k->expire = 0;
}

static void m_copy(struct model *dst, const struct model *src)
{
	dst->key = src->key;
	dst->lexonly = src->lexonly;
	dst->small = src->small;
	dst->expire = src->expire;
	dst->n = src->n;
	if (dst->cap < src->n + 1) {
		dst->cap = src->n + 1;
		dst->e = xrealloc(dst->e, dst->cap * sizeof(*dst->e));
	}
	if (src->n)
		memcpy(dst->e, src->e, src->n * sizeof(*src->e));
}

static long m_find(const struct model *k, const char *m, uint32_t len)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->e[i].len == len && !memcmp(k->e[i].m, m, len))
			return (long)i;
	return -1;
}

static void m_insert(struct model *k, const char *m, uint32_t len, double s)
{
	size_t p = 0;

	while (p < k->n && ecmp(&k->e[p], s, m, len) < 0)
		p++;
	if (k->n + 1 >= k->cap) {
		k->cap = k->cap ? 2 * k->cap : 256;
		k->e = xrealloc(k->e, k->cap * sizeof(*k->e));
	}
	memmove(&k->e[p + 1], &k->e[p], (k->n - p) * sizeof(*k->e));
	k->e[p].len = len;
	k->e[p].s = s;
	memcpy(k->e[p].m, m, len);
	k->n++;
}

static void m_cut(struct model *k, size_t i, size_t cnt)
{
	memmove(&k->e[i], &k->e[i + cnt], (k->n - i - cnt) * sizeof(*k->e));
	k->n -= cnt;
}

/* Remove elements; the last one takes the key with it. */
static void m_remove(struct model *k, size_t i, size_t cnt)
{
	m_cut(k, i, cnt);
	if (k->n == 0)
		m_clear(k);
}

/* A listpack keeps -0 as 0. */
static double m_norm(const struct model *k, double s)
{
	return k->small && s == 0 ? 0.0 : s;
}

/* Redis's zsetAdd(), on the model. */
static void m_add(struct model *k, const char *m, uint32_t len, double s,
		  unsigned in, unsigned *out, double *ns)
{
	long i = m_find(k, m, len);
	double cur;

	*out = 0;
	if (isnan(s)) {
		*out = ZSET_OUT_NAN;
		return;
	}
	if (i >= 0) {
		cur = k->e[i].s;
		if (in & ZSET_IN_NX) {
			*out = ZSET_OUT_NOP;
			return;
		}
		if (in & ZSET_IN_INCR) {
			s += cur;
			if (isnan(s)) {
				*out = ZSET_OUT_NAN;
				return;
			}
		}
		if (((in & ZSET_IN_LT) && s >= cur) ||
		    ((in & ZSET_IN_GT) && s <= cur)) {
			*out = ZSET_OUT_NOP;
			return;
		}
		*ns = s;
		if (s != cur) {
			m_cut(k, (size_t)i, 1);
			m_insert(k, m, len, m_norm(k, s));
			*out = ZSET_OUT_UPDATED;
		}
		return;
	}
	if (in & ZSET_IN_XX) {
		*out = ZSET_OUT_NOP;
		return;
	}
	if (k->small && (k->n + 1 > SHM_PACK_MAX_ENTRIES ||
			 len > SHM_PACK_MAX_BYTES))
		k->small = false;
	m_insert(k, m, len, m_norm(k, s));
	*ns = s;
	*out = ZSET_OUT_ADDED;
}

/* ----------------------------------------------------- model's ranges */

/* Score and lex predicates, Redis's zslValueGteMin() & co. */
struct mrange {
	bool lex;
	struct zset_score_range sr;
	struct zset_lex_range lr;
	char lo[MAXM], hi[MAXM]; /* lex bound bytes */
};

/* sdscmplex() with "-" and "+" as shared strings (inf -1 / +1). */
static int lexcmp_v(const struct ment *e, const struct zset_lex_bound *b)
{
	if (b->inf == -1)
		return 1;
	if (b->inf == 1)
		return -1;
	return mcmp(e->m, e->len, b->s, b->len);
}

static bool m_gte_min(const struct mrange *r, const struct ment *e)
{
	if (!r->lex)
		return r->sr.minex ? e->s > r->sr.min : e->s >= r->sr.min;
	/* "-" and "+" are exclusive in Redis's parsed range. */
	if (r->lr.min.ex || r->lr.min.inf)
		return lexcmp_v(e, &r->lr.min) > 0;
	return lexcmp_v(e, &r->lr.min) >= 0;
}

static bool m_lte_max(const struct mrange *r, const struct ment *e)
{
	if (!r->lex)
		return r->sr.maxex ? e->s < r->sr.max : e->s <= r->sr.max;
	if (r->lr.max.ex || r->lr.max.inf)
		return lexcmp_v(e, &r->lr.max) < 0;
	return lexcmp_v(e, &r->lr.max) <= 0;
}

static bool m_range_empty(const struct mrange *r)
{
	const struct zset_lex_bound *a = &r->lr.min, *b = &r->lr.max;
	int c;

	if (!r->lex)
		return r->sr.min > r->sr.max ||
		       (r->sr.min == r->sr.max && (r->sr.minex || r->sr.maxex));
	if (a->inf && a->inf == b->inf)
		c = 0; /* the same shared string */
	else if (a->inf == -1 || b->inf == 1)
		c = -1;
	else if (a->inf == 1 || b->inf == -1)
		c = 1;
	else
		c = mcmp(a->s, a->len, b->s, b->len);
	return c > 0 || (c == 0 && (a->ex || b->ex || a->inf || b->inf));
}

/*
 * Redis's listpack range walk: zzlFirstInRange / zzlLastInRange (with
 * zzlIsInRange first), then "while (eptr && offset--)" and "while (eptr &&
 * limit--)".  The positions visited go to pos[0, *cnt).
 */
static void m_range(const struct model *k, const struct mrange *r, bool rev,
		    long long offset, long long limit, size_t *pos,
		    size_t *cnt)
{
	long p = -1, n = (long)k->n;

	*cnt = 0;
	if (m_range_empty(r) || n == 0 || !m_gte_min(r, &k->e[n - 1]) ||
	    !m_lte_max(r, &k->e[0]))
		return;
	if (!rev) {
		for (long i = 0; i < n; i++) {
			if (m_gte_min(r, &k->e[i])) {
				p = m_lte_max(r, &k->e[i]) ? i : -1;
				break;
			}
		}
	} else {
		for (long i = n - 1; i >= 0; i--) {
			if (m_lte_max(r, &k->e[i])) {
				p = m_gte_min(r, &k->e[i]) ? i : -1;
				break;
			}
		}
	}
	while (p >= 0 && p < n && offset--)
		p += rev ? -1 : 1;
	while (p >= 0 && p < n && limit--) {
		if (rev ? !m_gte_min(r, &k->e[p]) : !m_lte_max(r, &k->e[p]))
			break;
		pos[(*cnt)++] = (size_t)p;
		p += rev ? -1 : 1;
	}
}

/* ZRANGE by rank: the positions, as genericZrangebyrankCommand(). */
static void m_rank_range(const struct model *k, long long start,
			 long long stop, bool rev, size_t *pos, size_t *cnt)
{
	long long llen = (long long)k->n;

	*cnt = 0;
	if (start < 0)
		start += llen;
	if (stop < 0)
		stop += llen;
	if (start < 0)
		start = 0;
	if (start > stop || start >= llen)
		return;
	if (stop >= llen)
		stop = llen - 1;
	for (long long i = start; i <= stop; i++)
		pos[(*cnt)++] = (size_t)(rev ? llen - 1 - i : i);
}

static bool span_is(const struct zset_span *sp, const size_t *pos, size_t cnt)
{
	if (sp->count != cnt)
		return false;
	for (size_t i = 0; i < cnt; i++)
		if (pos[i] != (sp->rev ? sp->start - i : sp->start + i))
			return false;
	return true;
}

/* ------------------------------------------------------------------ run */

struct run {
	struct shm_writer *w;
	const char *name;
	shmrep *h;
	uint64_t rs;
	struct model k[NK], saved[NK], pub[NK];
	size_t *pos; /* scratch for ranges */
	size_t poscap;
	/* copies of the members a command passed, as a client's arguments:
	 * a small set refers to them until the command ends */
	char **kept;
	size_t nkept, capkept;
	/* statistics */
	uint64_t cmds, ops, aborts, nomem, publishes, conversions, max_n;
	uint64_t span_checks, client_checks;
};

/* The write handle: static, as the daemon's is (the undo log points into
 * it until the command commits or aborts). */
static struct zset_wr zw;

static uint64_t rnd(struct run *r, uint64_t n)
{
	return n ? tu_rand(&r->rs) % n : 0;
}

static bool chance(struct run *r, unsigned pct)
{
	return rnd(r, 100) < pct;
}

/* A rank argument around a set of n: from -n-3 to n+2. */
static long long rnd_index(struct run *r, size_t n)
{
	return (long long)rnd(r, 2 * n + 6) - (long long)n - 3;
}

static const double spool[] = {
	-INFINITY, -1e300, -2.5, -1.0, -0.0, 0.0, 0.5, 1.0, 3.25, 1e300,
	INFINITY, 4503599627370496.0, 1152921504606846976.0, 1e-310,
};
#define NSPOOL (sizeof(spool) / sizeof(spool[0]))

static double gen_score(struct run *r, const struct model *k)
{
	if (k->lexonly)
		return chance(r, 50) ? 0.0 : -0.0;
	if (chance(r, 40))
		return spool[rnd(r, NSPOOL)];
	return (double)((long long)rnd(r, 41) - 20);
}

/* Members over 'a', 'b' and 0xff, many of them prefixes of others; now and
 * then one around SHM_PACK_MAX_BYTES. */
static uint32_t gen_member(struct run *r, char *m)
{
	static const char abc[] = { 'a', 'b', (char)0xff };
	uint32_t len;

	if (chance(r, 2)) {
		len = SHM_PACK_MAX_BYTES - 1 + (uint32_t)rnd(r, 4);
		for (uint32_t i = 0; i < len; i++)
			m[i] = (char)('x' + rnd(r, 2));
		return len;
	}
	len = (uint32_t)rnd(r, 9);
	for (uint32_t i = 0; i < len; i++)
		m[i] = abc[rnd(r, 3)];
	return len;
}

/* A copy of m[0, len) that lives until the command ends. */
static const char *keep(struct run *r, const char *m, uint32_t len)
{
	char *p = malloc(len ? len : 1);

	CU_ASSERT_FATAL(p != NULL);
	memcpy(p, m, len);
	if (r->nkept == r->capkept) {
		r->capkept = r->capkept ? 2 * r->capkept : 64;
		r->kept = xrealloc(r->kept, r->capkept * sizeof(*r->kept));
	}
	r->kept[r->nkept++] = p;
	return p;
}

static void kept_free(struct run *r)
{
	while (r->nkept)
		free(r->kept[--r->nkept]);
}

static const struct shm_leaf *find_leaf(struct run *r, const struct model *k)
{
	const struct shm_leaf *l;

	if (keys_find(r->w, DB, k->key, (uint32_t)strlen(k->key), &l))
		return NULL;
	return l;
}

static int open_key(struct run *r, struct model *k, bool anew)
{
	const struct shm_leaf *l = anew ? NULL : find_leaf(r, k);

	CU_ASSERT_FATAL(zset_wr_open(&zw, r->w, DB, k->key,
				     (uint32_t)strlen(k->key), l) == 0);
	return 0;
}

static void ensure_pos(struct run *r, size_t n)
{
	if (r->poscap < n + 1) {
		r->poscap = 2 * (n + 1);
		r->pos = xrealloc(r->pos, r->poscap * sizeof(*r->pos));
	}
}

/* A random score range and lex range over what k might hold. */
static void gen_range(struct run *r, const struct model *k, struct mrange *mr,
		      bool lex)
{
	memset(mr, 0, sizeof(*mr));
	mr->lex = lex;
	if (!lex) {
		mr->sr.min = gen_score(r, k);
		mr->sr.max = chance(r, 80) ? mr->sr.min + (double)rnd(r, 10)
					   : gen_score(r, k);
		if (isnan(mr->sr.max))
			mr->sr.max = mr->sr.min;
		mr->sr.minex = chance(r, 30);
		mr->sr.maxex = chance(r, 30);
		return;
	}
	mr->lr.min.inf = chance(r, 10) ? (chance(r, 80) ? -1 : 1) : 0;
	mr->lr.max.inf = chance(r, 10) ? (chance(r, 80) ? 1 : -1) : 0;
	mr->lr.min.ex = chance(r, 40);
	mr->lr.max.ex = chance(r, 40);
	mr->lr.min.len = gen_member(r, mr->lo);
	mr->lr.min.s = mr->lo;
	mr->lr.max.len = gen_member(r, mr->hi);
	mr->lr.max.s = mr->hi;
	if (chance(r, 50) && mcmp(mr->lo, mr->lr.min.len, mr->hi,
				  mr->lr.max.len) > 0) {
		const struct zset_lex_bound t = mr->lr.min;

		mr->lr.min = mr->lr.max;
		mr->lr.max = t;
	}
}

/* Lex ranges are defined when Redis would scan a listpack (a small set:
 * exactly as it does) or when the scores are all equal. */
static bool lex_ok(const struct model *k)
{
	return k->small || k->lexonly;
}

/* ------------------------------------------------------------ checking */

/* The key's state through the readers on the writer's own view. */
static void verify(struct run *r, const struct model *k, int spans)
{
	const struct shm_view *v = &r->w->view;
	const struct shm_leaf *l = find_leaf(r, k);
	struct zset_span all, sp;
	struct zset_rd z;
	shmrep_iter it;
	shmrep_entry x;
	uint64_t cnt, rank;
	double s;

	if (k->n == 0) {
		CU_ASSERT_FATAL(l == NULL);
		return;
	}
	CU_ASSERT_FATAL(l != NULL);
	CU_ASSERT_FATAL(l->type == SHM_T_ZSET);
	CU_ASSERT_FATAL(l->enc == (k->small ? SHM_E_PACK : SHM_E_ZTREE));
	CU_ASSERT_FATAL(l->expire_ms == k->expire);
	CU_ASSERT_FATAL(zset_open(&z, v, l) == 0);
	CU_ASSERT_FATAL(z.count == k->n);
	if (k->n > r->max_n)
		r->max_n = k->n;
	if (!k->small) {
		CU_ASSERT_FATAL(btree_check(v, z.order, true, &cnt) == 0);
		CU_ASSERT_FATAL(cnt == k->n);
		CU_ASSERT_FATAL(hamt_check(v, z.root, &cnt) == 0);
		CU_ASSERT_FATAL(cnt == k->n);
	}
	/* Every element, in order, scores bit for bit. */
	CU_ASSERT_FATAL(zset_span_rank(&z, 0, -1, false, &all) == 0);
	CU_ASSERT_FATAL(zset_iter(&it, &z, &all) == 0);
	for (size_t i = 0; i < k->n; i++) {
		const struct ment *e = &k->e[i];

		CU_ASSERT_FATAL(shmrep_iter_next(&it, &x) == 1);
		CU_ASSERT_FATAL(x.key.len == e->len &&
				!memcmp(x.key.ptr, e->m, e->len));
		CU_ASSERT_FATAL(same_double(x.score, e->s));
		CU_ASSERT_FATAL(zset_score(&z, e->m, e->len, &s) == 0);
		CU_ASSERT_FATAL(same_double(s, e->s));
		CU_ASSERT_FATAL(zset_rank(&z, e->m, e->len, &rank) == 0);
		CU_ASSERT_FATAL(rank == i);
	}
	CU_ASSERT_FATAL(shmrep_iter_next(&it, &x) == 0);
	for (int t = 0; t < 5; t++) {
		char m[MAXM];
		uint32_t len = gen_member(r, m);

		if (m_find(k, m, len) < 0) {
			CU_ASSERT_FATAL(zset_score(&z, m, len, &s) ==
					SHMREP_ENOENT);
			CU_ASSERT_FATAL(zset_rank(&z, m, len, &rank) ==
					SHMREP_ENOENT);
		}
	}
	ensure_pos(r, k->n);
	for (int t = 0; t < spans; t++) {
		long long a = rnd_index(r, k->n), b = rnd_index(r, k->n);
		long long off = chance(r, 70) ? 0 : (long long)rnd(r, 8) - 2;
		long long lim = chance(r, 50) ? -1 : (long long)rnd(r, 12) - 3;
		bool rev = chance(r, 50), lex = chance(r, 40) && lex_ok(k);
		struct mrange mr;
		size_t cnt2;

		m_rank_range(k, a, b, rev, r->pos, &cnt2);
		CU_ASSERT_FATAL(zset_span_rank(&z, a, b, rev, &sp) == 0);
		CU_ASSERT_FATAL(span_is(&sp, r->pos, cnt2));
		gen_range(r, k, &mr, lex);
		m_range(k, &mr, rev, off, lim, r->pos, &cnt2);
		CU_ASSERT_FATAL((lex ? zset_span_lex(&z, &mr.lr, rev, off, lim,
						     &sp)
				     : zset_span_score(&z, &mr.sr, rev, off,
						       lim, &sp)) == 0);
		if (!span_is(&sp, r->pos, cnt2))
			fprintf(stderr, "\n%s span: model %zu at %zu, got %llu "
				"at %llu (rev %d off %lld lim %lld n %zu)\n",
				lex ? "lex" : "score", cnt2,
				cnt2 ? r->pos[0] : 0,
				(unsigned long long)sp.count,
				(unsigned long long)sp.start, rev, off, lim,
				k->n);

		CU_ASSERT_FATAL(span_is(&sp, r->pos, cnt2));
		r->span_checks += 2;
	}
}

/* The pinned published version, through libshmrep. */
static void verify_client(struct run *r, shmrep_snapshot *snap,
			  const struct model *k)
{
	size_t klen = strlen(k->key);
	uint64_t n, rank;
	shmrep_iter it;
	shmrep_entry x;
	double s;
	int rc;

	rc = shmrep_snapshot_zcard(snap, DB, k->key, klen, &n);
	if (k->n == 0) {
		CU_ASSERT_FATAL(rc == SHMREP_ENOENT && n == 0);
		CU_ASSERT_FATAL(shmrep_snapshot_zrange(snap, DB, k->key, klen,
						       0, -1, 0, &it) ==
				SHMREP_ENOENT);
		CU_ASSERT_FATAL(shmrep_iter_next(&it, &x) == 0);
		return;
	}
	CU_ASSERT_FATAL(rc == 0 && n == k->n);
	for (int t = 0; t < 20; t++) {
		const struct ment *e = &k->e[rnd(r, k->n)];
		bool rev = chance(r, 50);

		CU_ASSERT_FATAL(shmrep_snapshot_zscore(snap, DB, k->key, klen,
						       e->m, e->len, &s) == 0);
		CU_ASSERT_FATAL(same_double(s, e->s));
		CU_ASSERT_FATAL(shmrep_snapshot_zrank(snap, DB, k->key, klen,
						      e->m, e->len, rev,
						      &rank) == 0);
		size_t at = (size_t)(e - k->e);

		CU_ASSERT_FATAL(rank == (rev ? k->n - 1 - at : at));
	}
	ensure_pos(r, k->n);
	for (int t = 0; t < 10; t++) {
		long long a = rnd_index(r, k->n), b = rnd_index(r, k->n);
		long long off = chance(r, 70) ? 0 : (long long)rnd(r, 8) - 2;
		long long lim = chance(r, 50) ? -1 : (long long)rnd(r, 12) - 3;
		bool rev = chance(r, 50), lex = chance(r, 50) && lex_ok(k);
		shmrep_zbound lo = { 0 }, hi = { 0 };
		struct mrange mr;
		size_t cnt;

		switch (t % 3) {
		case 0:
			m_rank_range(k, a, b, rev, r->pos, &cnt);
			rc = shmrep_snapshot_zrange(snap, DB, k->key, klen, a,
						    b, rev, &it);
			break;
		case 1:
			gen_range(r, k, &mr, false);
			m_range(k, &mr, rev, off, lim, r->pos, &cnt);
			lo.score = mr.sr.min;
			lo.exclusive = mr.sr.minex;
			hi.score = mr.sr.max;
			hi.exclusive = mr.sr.maxex;
			rc = shmrep_snapshot_zrangebyscore(snap, DB, k->key,
							   klen, &lo, &hi, rev,
							   off, lim, &it);
			break;
		default:
			if (!lex)
				continue;
			gen_range(r, k, &mr, true);
			/* The API has "-" for min and "+" for max only. */
			if (mr.lr.min.inf == 1)
				mr.lr.min.inf = -1;
			if (mr.lr.max.inf == -1)
				mr.lr.max.inf = 1;
			m_range(k, &mr, rev, off, lim, r->pos, &cnt);
			lo.infinite = mr.lr.min.inf != 0;
			lo.exclusive = mr.lr.min.ex;
			lo.lex.ptr = mr.lr.min.s;
			lo.lex.len = mr.lr.min.len;
			hi.infinite = mr.lr.max.inf != 0;
			hi.exclusive = mr.lr.max.ex;
			hi.lex.ptr = mr.lr.max.s;
			hi.lex.len = mr.lr.max.len;
			rc = shmrep_snapshot_zrangebylex(snap, DB, k->key, klen,
							 &lo, &hi, rev, off,
							 lim, &it);
			break;
		}
		CU_ASSERT_FATAL(rc == 0);
		for (size_t i = 0; i < cnt; i++) {
			const struct ment *e = &k->e[r->pos[i]];

			CU_ASSERT_FATAL(shmrep_iter_next(&it, &x) == 1);
			CU_ASSERT_FATAL(x.key.len == e->len &&
					!memcmp(x.key.ptr, e->m, e->len));
			CU_ASSERT_FATAL(same_double(x.score, e->s));
		}
		CU_ASSERT_FATAL(shmrep_iter_next(&it, &x) == 0);
		r->client_checks++;
	}
}

/* --------------------------------------------------------------- ops */

static int op_zadd(struct run *r, struct model *k, int most)
{
	static const unsigned combos[] = {
		0, 0, 0, ZSET_IN_NX, ZSET_IN_XX, ZSET_IN_GT, ZSET_IN_LT,
		ZSET_IN_XX | ZSET_IN_GT, ZSET_IN_XX | ZSET_IN_LT,
	};
	unsigned in = combos[rnd(r, sizeof(combos) / sizeof(combos[0]))];
	int n = chance(r, 3) ? 60 + (int)rnd(r, 120) : 1 + (int)rnd(r, most);
	int rc;

	if (chance(r, 15)) {
		in |= ZSET_IN_INCR;
		n = 1;
	}
	if (k->n == 0 && (in & ZSET_IN_XX))
		return 0; /* ZADD XX on no key creates nothing */
	open_key(r, k, false);
	for (int j = 0; j < n; j++) {
		char m[MAXM];
		uint32_t len;
		double s = gen_score(r, k), ns = 0, mns = 0;
		unsigned out, mout;
		bool small = k->small;

		/* Half the time an existing member, to update. */
		if (k->n && chance(r, 50)) {
			const struct ment *e = &k->e[rnd(r, k->n)];

			len = e->len;
			memcpy(m, e->m, len);
		} else {
			len = gen_member(r, m);
		}
		rc = zset_wr_add(&zw, keep(r, m, len), len, s, in, &out, &ns);
		if (rc)
			return rc;
		m_add(k, m, len, s, in, &mout, &mns);
		CU_ASSERT_FATAL(out == mout);
		if (!(out & (ZSET_OUT_NOP | ZSET_OUT_NAN)))
			CU_ASSERT_FATAL(same_double(ns, mns));
		if (small && !k->small)
			r->conversions++;
		if (out & ZSET_OUT_NAN)
			break;
	}
	return zset_wr_close(&zw);
}

static int op_zrem(struct run *r, struct model *k)
{
	int n = 1 + (int)rnd(r, 3), rc;

	if (k->n == 0)
		return 0;
	open_key(r, k, false);
	for (int j = 0; j < n; j++) {
		char m[MAXM];
		uint32_t len;
		long i;
		bool removed;

		if (chance(r, 70)) {
			const struct ment *e = &k->e[rnd(r, k->n)];

			len = e->len;
			memcpy(m, e->m, len);
		} else {
			len = gen_member(r, m);
		}
		rc = zset_wr_rem(&zw, keep(r, m, len), len, &removed);
		if (rc)
			return rc;
		i = m_find(k, m, len);
		CU_ASSERT_FATAL(removed == (i >= 0));
		if (i >= 0)
			m_remove(k, (size_t)i, 1);
		CU_ASSERT_FATAL(zset_wr_count(&zw) == k->n);
		if (k->n == 0)
			break; /* as ZREM: the key is gone */
	}
	return zset_wr_close(&zw);
}

/* ZREMRANGEBYRANK, BYSCORE or BYLEX (kind 0, 1, 2). */
static int op_remrange(struct run *r, struct model *k, int kind)
{
	const struct shm_leaf *l = find_leaf(r, k);
	struct zset_span sp;
	struct zset_rd z;
	struct mrange mr;
	size_t cnt;
	int rc;

	if (k->n == 0 || (kind == 2 && !lex_ok(k)))
		return 0;
	CU_ASSERT_FATAL(l && zset_open(&z, &r->w->view, l) == 0);
	ensure_pos(r, k->n);
	if (kind == 0) {
		long long a = rnd_index(r, k->n);
		long long b = a + (long long)rnd(r, 20);

		if (chance(r, 10))
			b = -1;
		m_rank_range(k, a, b, false, r->pos, &cnt);
		CU_ASSERT_FATAL(zset_span_rank(&z, a, b, false, &sp) == 0);
	} else {
		gen_range(r, k, &mr, kind == 2);
		m_range(k, &mr, false, 0, -1, r->pos, &cnt);
		CU_ASSERT_FATAL((kind == 2 ? zset_span_lex(&z, &mr.lr, false, 0,
							   -1, &sp)
					   : zset_span_score(&z, &mr.sr, false,
							     0, -1, &sp)) == 0);
	}
	CU_ASSERT_FATAL(span_is(&sp, r->pos, cnt));
	if (!sp.count)
		return 0;
	open_key(r, k, false);
	rc = zset_wr_rem_span(&zw, sp.start, sp.count);
	if (rc)
		return rc;
	m_remove(k, sp.start, sp.count);
	return zset_wr_close(&zw);
}

static int op_pop(struct run *r, struct model *k, bool max)
{
	size_t n;
	int rc;

	if (k->n == 0)
		return 0;
	n = chance(r, 15) && k->n < 200 ? k->n : 1 + rnd(r, 3);
	if (n > k->n)
		n = k->n;
	open_key(r, k, false);
	if (n == k->n && chance(r, 50)) {
		/* The daemon's pop-everything path. */
		rc = zset_wr_rem_span(&zw, 0, n);
		if (rc)
			return rc;
		m_remove(k, 0, n);
		return zset_wr_close(&zw);
	}
	for (size_t j = 0; j < n; j++) {
		const struct ment *e = &k->e[max ? k->n - 1 : 0];
		struct zset_ent x;

		rc = zset_wr_pop(&zw, max, &x);
		if (rc)
			return rc;
		CU_ASSERT_FATAL(x.len == e->len && !memcmp(x.m, e->m, e->len));
		CU_ASSERT_FATAL(same_double(x.score, e->s));
		m_remove(k, max ? k->n - 1 : 0, 1);
	}
	return zset_wr_close(&zw);
}

static int ent_cmp(const void *a, const void *b)
{
	const struct zset_ent *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? -1 : 1;
	return mcmp((const char *)x->m, x->len, (const char *)y->m, y->len);
}

/*
 * Replace k with a new set, as the *STORE commands do: random elements, or
 * a rank range of some key's elements read from the region (ZRANGESTORE;
 * the source may be k itself).
 */
static int op_store(struct run *r, struct model *k)
{
	struct model *src = &r->k[rnd(r, NK)];
	struct zset_ent *e;
	struct model tmp = { 0 };
	size_t n = 0;
	int rc;

	/* Other keys' scores would spoil a key of equal scores. */
	if (src->n && !k->lexonly && chance(r, 40)) {
		const struct shm_leaf *l = find_leaf(r, src);
		long long a = (long long)rnd(r, src->n);
		long long b = a + (long long)rnd(r, 300);
		struct zset_span sp;
		struct zset_rd z;
		shmrep_iter it;
		shmrep_entry x;

		CU_ASSERT_FATAL(l && zset_open(&z, &r->w->view, l) == 0);
		CU_ASSERT_FATAL(zset_span_rank(&z, a, b, false, &sp) == 0);
		e = xrealloc(NULL, (sp.count + 1) * sizeof(*e));
		CU_ASSERT_FATAL(zset_iter(&it, &z, &sp) == 0);
		while (shmrep_iter_next(&it, &x) == 1) {
			e[n].m = x.key.ptr;
			e[n].len = (uint32_t)x.key.len;
			e[n].score = x.score;
			n++;
		}
		CU_ASSERT_FATAL(n == sp.count);
	} else {
		size_t want = chance(r, 10) ? 0 : rnd(r, 220);

		e = xrealloc(NULL, (want + 1) * sizeof(*e));
		tmp.small = false;
		for (size_t i = 0; i < want; i++) {
			char m[MAXM];
			uint32_t len = gen_member(r, m);

			if (m_find(&tmp, m, len) >= 0)
				continue;
			m_insert(&tmp, m, len, 0);
			e[n].m = (const uint8_t *)keep(r, m, len);
			e[n].len = len;
			e[n].score = gen_score(r, k);
			n++;
		}
		qsort(e, n, sizeof(*e), ent_cmp);
		free(tmp.e);
	}
	open_key(r, k, true);
	rc = zset_wr_load(&zw, e, n);
	if (!rc)
		rc = zset_wr_close(&zw);
	if (!rc) {
		bool small = n <= SHM_PACK_MAX_ENTRIES;

		for (size_t i = 0; i < n; i++)
			small = small && e[i].len <= SHM_PACK_MAX_BYTES;
		m_clear(k);
		k->small = small;
		for (size_t i = 0; i < n; i++)
			m_insert(k, (const char *)e[i].m, e[i].len,
				 m_norm(k, e[i].score));
		if (k->n == 0)
			m_clear(k);
	}
	free(e);
	return rc;
}

static int op_del(struct run *r, struct model *k)
{
	int rc = keys_unlink(r->w, DB, k->key, (uint32_t)strlen(k->key));

	if (rc == -ENOMEM)
		return rc;
	CU_ASSERT_FATAL(rc == (k->n ? 0 : -ENOENT));
	m_clear(k);
	return 0;
}

static int op_expire(struct run *r, struct model *k)
{
	int64_t t = TTL_MS + (int64_t)rnd(r, 1000000);
	int rc;

	if (k->n == 0)
		return 0;
	rc = keys_set_expire(r->w, DB, k->key, (uint32_t)strlen(k->key), t);
	if (rc)
		return rc;
	k->expire = t;
	return 0;
}

/* One random operation on key ki, sized to keep each key near its use:
 * zs:big grows past a thousand, zs:edge hovers around the conversion
 * point, zs:lex has only equal scores, zs:dst is mostly stored to. */
static int op_random(struct run *r, int ki)
{
	struct model *k = &r->k[ki];
	unsigned p = (unsigned)rnd(r, 100);
	bool grow = (ki == 0 && k->n < 1200) || (ki == 1 && k->n < 300) ||
		    (ki == 2 && k->n < 120) || (ki == 3 && k->n < 60);

	r->ops++;
	if (ki == 2 && !k->small && chance(r, 8))
		return op_del(r, k); /* back to small, to convert again */
	if (ki == 3 && p < 30)
		return op_store(r, k);
	if (ki == 0) {
		/* Grows to a large set and stays one: no stores, no DEL,
		 * mostly narrow removals. */
		if (p < (grow ? 75u : 40u))
			return op_zadd(r, k, 40);
		if (p < 80)
			return op_zrem(r, k);
		if (p < 88)
			return op_remrange(r, k, chance(r, 80) ? 0 : 1);
		if (p < 95)
			return op_pop(r, k, chance(r, 50));
		return op_expire(r, k);
	}
	if (p < (grow ? 60u : 35u))
		return op_zadd(r, k, 4);
	if (p < 70)
		return op_zrem(r, k);
	if (p < 82)
		return op_remrange(r, k, (int)rnd(r, 3));
	if (p < 90)
		return op_pop(r, k, chance(r, 50));
	if (p < 94)
		return op_store(r, k);
	if (p < 97)
		return op_expire(r, k);
	return chance(r, 30) ? op_del(r, k) : 0;
}

/* --------------------------------------------------------- the driver */

static shmrep_snapshot *pinned;

/*
 * Publish; the version pinned until now must still read as it was when
 * published, and the new one as the models are now.  In mutex mode no
 * version outlives the next write section, and a reader inside one would
 * hold the writer off: the snapshot ends at once.
 */
static void publish_pin(struct run *r)
{
	if (pinned) {
		for (int i = 0; i < NK; i++)
			verify_client(r, pinned, &r->pub[i]);
		shmrep_snapshot_end(pinned);
		pinned = NULL;
	}
	CU_ASSERT_FATAL(shm_wr_publish(r->w) >= 0);
	r->publishes++;
	CU_ASSERT_FATAL(shmrep_snapshot_begin(r->h, &pinned) == 0);
	for (int i = 0; i < NK; i++) {
		m_copy(&r->pub[i], &r->k[i]);
		verify_client(r, pinned, &r->pub[i]);
	}
	if (r->w->mutex) {
		shmrep_snapshot_end(pinned);
		pinned = NULL;
	}
}

static void command(struct run *r, bool faults)
{
	struct shm_writer *w = r->w;
	bool inject = faults && chance(r, 10);
	bool abort_it = faults && chance(r, 5);
	int nops = chance(r, 20) ? 2 + (int)rnd(r, 2) : 1, rc = 0;

	for (int i = 0; i < NK; i++)
		m_copy(&r->saved[i], &r->k[i]);
	CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
	if (inject)
		w->alloc.fail_after = 1 + rnd(r, 30);
	for (int i = 0; i < nops && !rc; i++)
		rc = op_random(r, (int)rnd(r, NK));
	w->alloc.fail_after = 0;
	CU_ASSERT_FATAL(rc == 0 || rc == -ENOMEM);
	if (rc || abort_it) {
		shm_wr_abort(w);
		for (int i = 0; i < NK; i++)
			m_copy(&r->k[i], &r->saved[i]);
		r->aborts++;
		r->nomem += rc != 0;
	} else {
		shm_wr_commit(w);
	}
	kept_free(r);
	r->cmds++;
	for (int i = 0; i < NK; i++)
		verify(r, &r->k[i], 3);
	if (chance(r, 8))
		publish_pin(r);
}

static uint64_t snaps_bytes(struct shm_writer *w)
{
	return 2 * alloc_rounded(region_snap_size(w->ndb));
}

static void run_random(int mode)
{
	static struct run r;
	static const char *const keys[NK] = {
		"zs:big", "zs:lex", "zs:edge", "zs:dst",
	};
	uint64_t t0 = tu_now_ms();
	long ncmds = 6000;
	const char *e = getenv("SHMREP_ZSET_CMDS");

	if (e)
		ncmds = strtol(e, NULL, 0);
	memset(&r, 0, sizeof(r));
	r.name = tu_name(mode == SHM_MODE_MUTEX ? "zsetm" : "zsetr");
	tu_mode = mode;
	r.w = tu_writer(r.name, 256u << 20);
	tu_mode = SHM_MODE_RCU;
	CU_ASSERT_FATAL(r.w != NULL);
	r.rs = tu_seed();
	CU_ASSERT_FATAL(shmrep_open(r.name, 0, &r.h) == 0);
	for (int i = 0; i < NK; i++) {
		r.k[i].key = keys[i];
		r.k[i].lexonly = i == 1;
		m_clear(&r.k[i]);
		m_copy(&r.saved[i], &r.k[i]);
	}
	publish_pin(&r);
	for (long c = 0; c < ncmds; c++)
		command(&r, true);
	CU_ASSERT(alloc_check(&r.w->alloc) == 0);
	/* Empty every key, then nothing may remain. */
	for (int i = 0; i < NK; i++) {
		CU_ASSERT_FATAL(shm_wr_begin(r.w) == 0);
		CU_ASSERT_FATAL(op_del(&r, &r.k[i]) == 0);
		shm_wr_commit(r.w);
	}
	publish_pin(&r);
	if (pinned)
		shmrep_snapshot_end(pinned);
	pinned = NULL;
	shm_wr_publish(r.w);
	shmrep_close(r.h);
	shm_wr_reclaim(r.w);
	CU_ASSERT(r.w->alloc.used == snaps_bytes(r.w));
	CU_ASSERT(alloc_check(&r.w->alloc) == 0);
	printf("\n    %s: %llu commands, %llu ops, %llu aborted (%llu ENOMEM), "
	       "%llu publications, %llu conversions, largest set %llu, "
	       "%llu span and %llu client range checks, %llu ms ",
	       mode == SHM_MODE_MUTEX ? "mutex" : "rcu",
	       (unsigned long long)r.cmds, (unsigned long long)r.ops,
	       (unsigned long long)r.aborts, (unsigned long long)r.nomem,
	       (unsigned long long)r.publishes,
	       (unsigned long long)r.conversions, (unsigned long long)r.max_n,
	       (unsigned long long)r.span_checks,
	       (unsigned long long)r.client_checks,
	       (unsigned long long)(tu_now_ms() - t0));
	for (int i = 0; i < NK; i++) {
		free(r.k[i].e);
		free(r.saved[i].e);
		free(r.pub[i].e);
	}
	free(r.pos);
	free(r.kept);
	shm_writer_close(r.w);
	tu_unlink_region(r.name);
}

/* ------------------------------------------------------------ helpers */

/* A sorted set of n members "<prefix><i>" with scores i % mod, built in
 * commands of 1000 through the writer API. */
static void build(struct shm_writer *w, unsigned db, const char *key,
		  const char *prefix, long n, long mod)
{
	static char mem[64][16];
	uint32_t kl = (uint32_t)strlen(key);
	const struct shm_leaf *l;
	long i = 0;

	while (i < n) {
		CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
		l = NULL;
		keys_find(w, db, key, kl, &l);
		CU_ASSERT_FATAL(zset_wr_open(&zw, w, db, key, kl, l) == 0);
		for (long k = 0; k < 1000 && i < n; k++, i++) {
			char *m = mem[i % 64];
			int len = snprintf(m, 16, "%s%ld", prefix, i);
			unsigned out;
			double ns;

			CU_ASSERT_FATAL(zset_wr_add(&zw, m, (uint32_t)len,
						    (double)(i % mod), 0, &out,
						    &ns) == 0);
			/* A small set keeps pointers to its arguments until
			 * close: store before the names are reused. */
			if (i % 64 == 63 && zw.enc == SHM_E_PACK) {
				CU_ASSERT_FATAL(zset_wr_close(&zw) == 0);
				keys_find(w, db, key, kl, &l);
				CU_ASSERT_FATAL(zset_wr_open(&zw, w, db, key,
							     kl, l) == 0);
			}
		}
		CU_ASSERT_FATAL(zset_wr_close(&zw) == 0);
		shm_wr_commit(w);
		shm_wr_publish(w);
	}
}

/* What every sorted-set read of libshmrep answers on key (member m). */
struct codes {
	int card, score, rank, range, byscore, bylex;
};

static int drain(int rc, shmrep_iter *it)
{
	shmrep_entry x;
	long guard = 0;

	while (rc == 0 && guard++ < 100000000) {
		int k = shmrep_iter_next(it, &x);

		if (k <= 0)
			return k;
	}
	return rc;
}

static void read_all(shmrep_snapshot *s, const char *key, const char *m,
		     struct codes *c)
{
	size_t kl = strlen(key), ml = strlen(m);
	shmrep_zbound lo = { .score = -INFINITY, .infinite = 1 };
	shmrep_zbound hi = { .score = INFINITY, .infinite = 1 };
	shmrep_iter it;
	uint64_t n;
	double sc;

	c->card = shmrep_snapshot_zcard(s, DB, key, kl, &n);
	c->score = shmrep_snapshot_zscore(s, DB, key, kl, m, ml, &sc);
	c->rank = shmrep_snapshot_zrank(s, DB, key, kl, m, ml, 1, &n);
	c->range = drain(shmrep_snapshot_zrange(s, DB, key, kl, 0, -1, 0, &it),
			 &it);
	c->byscore = drain(shmrep_snapshot_zrangebyscore(s, DB, key, kl, &lo,
							 &hi, 1, 0, -1, &it),
			   &it);
	c->bylex = drain(shmrep_snapshot_zrangebylex(s, DB, key, kl, &lo, &hi,
						     0, 0, -1, &it),
			 &it);
}

static void expect_all(shmrep_snapshot *s, const char *key, const char *m,
		       int want, const char *what)
{
	struct codes c;

	read_all(s, key, m, &c);
	if (c.card != want || c.score != want || c.rank != want ||
	    c.range != want || c.byscore != want || c.bylex != want)
		fprintf(stderr, "\n%s: %d %d %d %d %d %d\n", what, c.card,
			c.score, c.rank, c.range, c.byscore, c.bylex);
	CU_ASSERT(c.card == want && c.score == want && c.rank == want);
	CU_ASSERT(c.range == want && c.byscore == want && c.bylex == want);
}

static struct shm_leaf *wfind(struct shm_writer *w, const char *key)
{
	const struct shm_leaf *l = NULL;

	CU_ASSERT_FATAL(keys_find(w, DB, key, (uint32_t)strlen(key), &l) ==
			0);
	return (struct shm_leaf *)l;
}

/* The element leaf of member m in large set key, found through the tree
 * (a walk: any member will do, and no hash is needed). */
static struct shm_leaf *welem(struct shm_writer *w, const char *key,
			      const char *m)
{
	size_t ml = strlen(m);
	struct zset_rd z;

	CU_ASSERT_FATAL(zset_open(&z, &w->view, wfind(w, key)) == 0);
	for (uint64_t i = 0; i < z.count; i++) {
		const struct shm_leaf *l;
		shm_ref e;
		double sc;

		CU_ASSERT_FATAL(btree_select(&w->view, z.order, i, &e, &sc) ==
				0);
		l = shm_leaf_at(&w->view, e);
		if (l->klen == ml && !memcmp(l->data, m, ml))
			return (struct shm_leaf *)l;
	}
	CU_FAIL_FATAL("no such member");
	return NULL;
}

static void set_desc(struct shm_leaf *l, const struct shm_vcoll *d)
{
	memcpy(l->data + l->klen, d, sizeof(*d));
}

static void get_desc(const struct shm_leaf *l, struct shm_vcoll *d)
{
	memcpy(d, l->data + l->klen, sizeof(*d));
}

/* ----------------------------------------------------------- corruption */

static void test_corrupt(void)
{
	const char *name = tu_name("zbad");
	struct shm_writer *w = tu_writer(name, 64u << 20);
	static uint8_t save[4096];
	struct shm_vcoll d, du;
	struct shm_leaf *l, *el;
	shmrep_snapshot *s;
	struct codes c;
	uint32_t u;
	shmrep *h;
	size_t bytes;

	CU_ASSERT_FATAL(w != NULL);
	build(w, DB, "p", "m", 10, 100);
	build(w, DB, "t", "t", 500, 7);
	build(w, DB, "u", "u", 300, 5);
	CU_ASSERT_FATAL(shmrep_open(name, 0, &h) == 0);
	CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s) == 0);
	expect_all(s, "p", "m5", 0, "sound p");
	expect_all(s, "t", "t7", 0, "sound t");

	/* A small set. */
	l = wfind(w, "p");
	CU_ASSERT_FATAL(l->enc == SHM_E_PACK);
	bytes = shm_leaf_size(l->klen, l->vlen);
	memcpy(save, l, bytes);
	l->vlen = 3;
	expect_all(s, "p", "m5", SHMREP_ECORRUPT, "pack vlen 3");
	memcpy(l, save, bytes);
	u = 0xffffffffu;
	memcpy(l->data + l->klen, &u, 4);
	expect_all(s, "p", "m5", SHMREP_ECORRUPT, "pack count");
	/* More than a packed set may hold, even if the bytes were there:
	 * readers refuse it rather than walk it (reverse walks rescan). */
	u = SHM_PACK_MAX_ENTRIES + 1;
	memcpy(l->data + l->klen, &u, 4);
	expect_all(s, "p", "m5", SHMREP_ECORRUPT, "pack count past the limit");
	memcpy(l, save, bytes);
	u = 0x7fffffffu; /* the first member's length */
	memcpy(l->data + l->klen + 4, &u, 4);
	read_all(s, "p", "m5", &c); /* ZCARD needs the count only */
	CU_ASSERT(c.card == 0 && c.score == SHMREP_ECORRUPT &&
		  c.rank == SHMREP_ECORRUPT && c.range == SHMREP_ECORRUPT &&
		  c.byscore == SHMREP_ECORRUPT && c.bylex == SHMREP_ECORRUPT);
	memcpy(l, save, bytes);
	l->vlen -= 10; /* the last entry overruns */
	read_all(s, "p", "m9", &c);
	CU_ASSERT(c.card == 0 && c.score == SHMREP_ECORRUPT &&
		  c.rank == SHMREP_ECORRUPT && c.range == SHMREP_ECORRUPT &&
		  c.byscore == SHMREP_ECORRUPT && c.bylex == SHMREP_ECORRUPT);
	memcpy(l, save, bytes);
	l->enc = SHM_E_HAMT;
	expect_all(s, "p", "m5", SHMREP_ECORRUPT, "pack as HAMT");
	l->enc = SHM_E_ZTREE;
	expect_all(s, "p", "m5", SHMREP_ECORRUPT, "pack as ZTREE");
	l->enc = 0;
	expect_all(s, "p", "m5", SHMREP_ECORRUPT, "enc 0");
	memcpy(l, save, bytes);
	expect_all(s, "p", "m5", 0, "p restored");

	/* A large set. */
	l = wfind(w, "t");
	CU_ASSERT_FATAL(l->enc == SHM_E_ZTREE);
	bytes = shm_leaf_size(l->klen, l->vlen);
	memcpy(save, l, bytes);
	get_desc(l, &d);
	get_desc(wfind(w, "u"), &du);
	l->vlen = 15;
	expect_all(s, "t", "t7", SHMREP_ECORRUPT, "ztree vlen 15");
	memcpy(l, save, bytes);
	d.count--;
	set_desc(l, &d);
	expect_all(s, "t", "t7", SHMREP_ECORRUPT, "descriptor count");
	d.count++;
	d.order = 0xfffffff0u;
	set_desc(l, &d);
	expect_all(s, "t", "t7", SHMREP_ECORRUPT, "order out of range");
	memcpy(l, save, bytes);
	get_desc(l, &d);
	d.root = 0xfffffff0u;
	set_desc(l, &d);
	read_all(s, "t", "t7", &c);
	CU_ASSERT(c.score == SHMREP_ECORRUPT && c.rank == SHMREP_ECORRUPT);
	CU_ASSERT(c.card == 0 && c.range == 0); /* they need no trie */
	/* Another set's member trie: members the tree does not hold. */
	d.root = du.root;
	set_desc(l, &d);
	read_all(s, "t", "u7", &c);
	CU_ASSERT(c.rank == SHMREP_ECORRUPT);
	memcpy(l, save, bytes);
	get_desc(l, &d);
	{
		struct shm_bnode *root = shm_wr_ptr(w, d.order);
		uint16_t n = root->n;

		root->n = 0;
		expect_all(s, "t", "t7", SHMREP_ECORRUPT, "btree root n 0");
		root->n = n;
	}
	/* An element leaf whose score is not 8 bytes, or whose member runs
	 * off the region. */
	el = welem(w, "t", "t7");
	el->vlen = 4;
	read_all(s, "t", "t7", &c);
	CU_ASSERT(c.score == SHMREP_ECORRUPT && c.rank == SHMREP_ECORRUPT);
	el->vlen = 8;
	u = el->klen;
	el->klen = 0x7ffffff0u;
	read_all(s, "t", "t8", &c);
	CU_ASSERT(c.range == SHMREP_ECORRUPT && c.byscore == SHMREP_ECORRUPT);
	el->klen = u;
	expect_all(s, "t", "t7", 0, "t restored");
	shmrep_snapshot_end(s);
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

static bool code_ok(int rc)
{
	return rc == 0 || rc == SHMREP_ENOENT || rc == SHMREP_ECORRUPT ||
	       rc == SHMREP_EWRONGTYPE;
}

/* Random bytes in the key leaves, element leaves and tree nodes of a
 * small and a large set: any answer but a crash, a hang or an error code
 * of another kind. */
static void test_fuzz(void)
{
	const char *name = tu_name("zfuzz");
	struct shm_writer *w = tu_writer(name, 64u << 20);
	static uint8_t save[1024];
	uint64_t rs = tu_seed();
	shm_ref targets[64];
	size_t sizes[64], nt = 0;
	int bad = 0, trials = 4000;
	struct shm_vcoll d;
	shmrep_snapshot *s;
	struct zset_rd z;
	shmrep *h;

	CU_ASSERT_FATAL(w != NULL);
	build(w, DB, "p", "m", 12, 3);
	build(w, DB, "t", "t", 3000, 4);
	CU_ASSERT_FATAL(shmrep_open(name, 0, &h) == 0);
	CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s) == 0);
	for (int k = 0; k < 2; k++) {
		struct shm_leaf *l = wfind(w, k ? "t" : "p");

		targets[nt] = coll_ref(w, l);
		sizes[nt++] = shm_leaf_size(l->klen, l->vlen);
	}
	get_desc(wfind(w, "t"), &d);
	targets[nt] = d.order;
	sizes[nt++] = sizeof(struct shm_binner);
	targets[nt] = d.root;
	sizes[nt++] = sizeof(struct shm_node) + 8 * sizeof(shm_ref);
	CU_ASSERT_FATAL(zset_open(&z, &w->view, wfind(w, "t")) == 0);
	for (int k = 0; k < 40; k++) {
		shm_ref e;
		double sc;

		CU_ASSERT_FATAL(btree_select(&w->view, z.order,
					     tu_rand(&rs) % z.count, &e,
					     &sc) == 0);
		targets[nt] = e;
		sizes[nt++] = sizeof(struct shm_leaf) + 8;
	}
	for (int t = 0; t < trials; t++) {
		size_t i = tu_rand(&rs) % nt, bytes = sizes[i];
		uint8_t *p = shm_wr_ptr(w, targets[i]);
		int flips = 1 + (int)(tu_rand(&rs) % 4);
		char m[16];
		struct codes c;

		memcpy(save, p, bytes);
		for (int f = 0; f < flips; f++) {
			size_t off = tu_rand(&rs) % bytes;

			/* Not the writer-only birth word. */
			if (off < SHM_BIRTH_OFF || off >= SHM_BIRTH_OFF + 8)
				p[off] = (uint8_t)tu_rand(&rs);
		}
		snprintf(m, sizeof(m), "t%d", (int)(tu_rand(&rs) % 3000));
		read_all(s, "t", m, &c);
		bad += !code_ok(c.card) || !code_ok(c.score) ||
		       !code_ok(c.rank) || !code_ok(c.range) ||
		       !code_ok(c.byscore) || !code_ok(c.bylex);
		snprintf(m, sizeof(m), "m%d", (int)(tu_rand(&rs) % 12));
		read_all(s, "p", m, &c);
		bad += !code_ok(c.card) || !code_ok(c.score) ||
		       !code_ok(c.rank) || !code_ok(c.range) ||
		       !code_ok(c.byscore) || !code_ok(c.bylex);
		memcpy(p, save, bytes);
	}
	CU_ASSERT(bad == 0);
	expect_all(s, "t", "t7", 0, "t after fuzz");
	shmrep_snapshot_end(s);
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/* ---------------------------------------------------------------- API */

static void test_api(void)
{
	const char *name = tu_name("zapi");
	struct shm_writer *w = tu_writer(name, 64u << 20);
	shmrep_zbound lo = { .score = 0 }, hi = { .score = 10 };
	shmrep_snapshot *s;
	shmrep_iter it;
	shmrep_entry x;
	uint64_t n = 99;
	double sc;
	shmrep *h;

	CU_ASSERT_FATAL(w != NULL);
	build(w, DB, "z", "m", 5, 100);
	CU_ASSERT_FATAL(tu_set(w, DB, "str", "v", 0) == 0);
	/* Expired: reads as missing. */
	CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
	CU_ASSERT_FATAL(keys_set_expire(w, DB, "z", 1, 1) == 0);
	shm_wr_commit(w);
	build(w, DB, "live", "m", 3, 100);
	shm_wr_publish(w);
	CU_ASSERT_FATAL(shmrep_open(name, 0, &h) == 0);
	CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s) == 0);
	CU_ASSERT(shmrep_snapshot_zcard(s, DB, "z", 1, &n) == SHMREP_ENOENT);
	CU_ASSERT(n == 0);
	CU_ASSERT(shmrep_snapshot_zcard(s, DB, "nope", 4, &n) == SHMREP_ENOENT);
	CU_ASSERT(shmrep_snapshot_zcard(s, DB, "live", 4, &n) == 0 && n == 3);
	CU_ASSERT(shmrep_snapshot_zcard(s, -1, "live", 4, &n) == SHMREP_EINVAL);
	CU_ASSERT(shmrep_snapshot_zcard(s, 16, "live", 4, &n) == SHMREP_EINVAL);
	CU_ASSERT(shmrep_snapshot_zcard(s, DB, "str", 3, &n) ==
		  SHMREP_EWRONGTYPE);
	CU_ASSERT(shmrep_snapshot_zscore(s, DB, "str", 3, "m", 1, &sc) ==
		  SHMREP_EWRONGTYPE);
	CU_ASSERT(shmrep_snapshot_zscore(s, DB, "live", 4, "m1", 2, &sc) == 0 &&
		  sc == 1);
	CU_ASSERT(shmrep_snapshot_zscore(s, DB, "live", 4, "m9", 2, &sc) ==
		  SHMREP_ENOENT);
	CU_ASSERT(shmrep_snapshot_zrank(s, DB, "live", 4, "m2", 2, 0, &n) ==
			  0 &&
		  n == 2);
	CU_ASSERT(shmrep_snapshot_zrank(s, DB, "live", 4, "m2", 2, 1, &n) ==
			  0 &&
		  n == 0);
	CU_ASSERT(shmrep_snapshot_zrank(s, DB, "live", 4, "x", 1, 1, &n) ==
		  SHMREP_ENOENT);
	CU_ASSERT(shmrep_snapshot_zrank(s, DB, "nope", 4, "x", 1, 1, &n) ==
		  SHMREP_ENOENT);
	/* Missing keys, wrong types and bad bounds fail with an empty
	 * iterator. */
	CU_ASSERT(shmrep_snapshot_zrange(s, DB, "nope", 4, 0, -1, 0, &it) ==
		  SHMREP_ENOENT);
	CU_ASSERT(shmrep_iter_next(&it, &x) == 0);
	CU_ASSERT(shmrep_snapshot_zrange(s, DB, "str", 3, 0, -1, 0, &it) ==
		  SHMREP_EWRONGTYPE);
	CU_ASSERT(shmrep_iter_next(&it, &x) == 0);
	lo.score = NAN;
	CU_ASSERT(shmrep_snapshot_zrangebyscore(s, DB, "live", 4, &lo, &hi, 0,
						0, -1, &it) == SHMREP_EINVAL);
	CU_ASSERT(shmrep_iter_next(&it, &x) == 0);
	lo.score = 1;
	lo.exclusive = 1;
	CU_ASSERT(shmrep_snapshot_zrangebyscore(s, DB, "live", 4, &lo, &hi, 1,
						0, -1, &it) == 0);
	CU_ASSERT(shmrep_iter_next(&it, &x) == 1 && x.key.len == 2 &&
		  !memcmp(x.key.ptr, "m2", 2) && x.score == 2);
	CU_ASSERT(shmrep_iter_next(&it, &x) == 0);
	/* LIMIT: a negative offset gives nothing, a negative count all. */
	CU_ASSERT(shmrep_snapshot_zrangebyscore(s, DB, "live", 4, &hi, &hi, 0,
						-1, -1, &it) == 0);
	CU_ASSERT(shmrep_iter_next(&it, &x) == 0);
	lo = (shmrep_zbound){ .infinite = 1 };
	hi = (shmrep_zbound){ .lex = { "m1", 2 } };
	CU_ASSERT(shmrep_snapshot_zrangebylex(s, DB, "live", 4, &lo, &hi, 0, 1,
					      -5, &it) == 0);
	CU_ASSERT(shmrep_iter_next(&it, &x) == 1 && x.key.len == 2 &&
		  !memcmp(x.key.ptr, "m1", 2));
	CU_ASSERT(shmrep_iter_next(&it, &x) == 0);
	hi.lex.ptr = NULL;
	CU_ASSERT(shmrep_snapshot_zrangebylex(s, DB, "live", 4, &lo, &hi, 0, 0,
					      -1, &it) == SHMREP_EINVAL);
	shmrep_snapshot_end(s);
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/* ------------------------------------------------------------- timing */

#if defined(__SANITIZE_ADDRESS__)
#define BENCH_N_DEFAULT 200000L
#else
#define BENCH_N_DEFAULT 1000000L
#endif

/* Members (and string keys) of the timing: $SHMREP_ZSET_BENCH_N or the
 * default. */
static long BENCH_N = BENCH_N_DEFAULT;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One ZADD-like command on key "z": what the daemon's handler does
 * around zset_wr_add, timed from the key lookup to the commit. */
static uint64_t timed_add(struct shm_writer *w, const char *m, double s,
			  unsigned in)
{
	const struct shm_leaf *l;
	uint64_t t0 = now_ns();
	unsigned out;
	double ns;

	CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
	CU_ASSERT_FATAL(keys_find(w, 0, "z", 1, &l) == 0);
	CU_ASSERT_FATAL(zset_wr_open(&zw, w, 0, "z", 1, l) == 0);
	CU_ASSERT_FATAL(zset_wr_add(&zw, m, (uint32_t)strlen(m), s, in, &out,
				    &ns) == 0);
	CU_ASSERT_FATAL(zset_wr_close(&zw) == 0);
	shm_wr_commit(w);
	return now_ns() - t0;
}

static uint64_t timed_rem(struct shm_writer *w, const char *m)
{
	const struct shm_leaf *l;
	uint64_t t0 = now_ns();
	bool removed;

	CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
	CU_ASSERT_FATAL(keys_find(w, 0, "z", 1, &l) == 0);
	CU_ASSERT_FATAL(zset_wr_open(&zw, w, 0, "z", 1, l) == 0);
	CU_ASSERT_FATAL(zset_wr_rem(&zw, m, (uint32_t)strlen(m), &removed) ==
			0);
	CU_ASSERT_FATAL(removed);
	CU_ASSERT_FATAL(zset_wr_close(&zw) == 0);
	shm_wr_commit(w);
	return now_ns() - t0;
}

static void test_bench(void)
{
	const char *name = tu_name("zbench");
	struct shm_writer *w = tu_writer(name, 1536u << 20);
	const int K = 20000;
	uint64_t rs = 11, t, add1 = 0, upd1 = 0, addb = 0, updb = 0, rem1 = 0;
	uint64_t tget = 0, tsget = 0, tzs = 0, tzsc = 0, tzr = 0;
	char m[32], val[16];
	long next;
	shmrep_snapshot *s;
	shmrep_view v;
	size_t len;
	double sc;
	shmrep *h;

	CU_ASSERT_FATAL(w != NULL);
	if (getenv("SHMREP_ZSET_BENCH_N"))
		BENCH_N = strtol(getenv("SHMREP_ZSET_BENCH_N"), NULL, 0);
	next = BENCH_N;
	/* A million members and, for GET, a million string keys in db 0. */
	build(w, 0, "z", "m", BENCH_N, 1000000);
	for (long i = 0; i < BENCH_N;) {
		CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
		for (int k = 0; k < 1000; k++, i++) {
			int kl = snprintf(m, sizeof(m), "k%ld", i);
			shm_ref r = keys_leaf_new(w, m, (uint32_t)kl,
						  SHM_T_STRING, 8, 0);

			CU_ASSERT_FATAL(r != 0);
			memcpy((uint8_t *)shm_wr_ptr(w, r) +
				       sizeof(struct shm_leaf) + kl,
			       "valueXYZ", 8);
			CU_ASSERT_FATAL(keys_link(w, 0, r, KEYS_REPLACE,
						  NULL) == 0);
		}
		shm_wr_commit(w);
		shm_wr_publish(w);
	}
	/* Writes, each in a version of its own: every path copied. */
	for (int k = 0; k < K; k++) {
		snprintf(m, sizeof(m), "m%ld", next++);
		add1 += timed_add(w, m, (double)(tu_rand(&rs) % 1000000), 0);
		shm_wr_publish(w);
	}
	for (int k = 0; k < K; k++) {
		snprintf(m, sizeof(m), "m%ld", (long)(tu_rand(&rs) % BENCH_N));
		upd1 += timed_add(w, m, (double)(tu_rand(&rs) % 1000),
				  ZSET_IN_INCR);
		shm_wr_publish(w);
	}
	for (int k = 0; k < K; k++) {
		snprintf(m, sizeof(m), "m%ld", BENCH_N + k);
		rem1 += timed_rem(w, m);
		shm_wr_publish(w);
	}
	/* Batched as the daemon batches under load: 100 per version.  Two
	 * rounds, the second one timed: the first one also pays for the first
	 * touch of fresh region pages (a page fault each), the second reuses
	 * what the first one's publications freed, as a running daemon does. */
	for (int round = 0; round < 2; round++) {
		addb = updb = 0;
		for (int k = 0; k < K; k++) {
			snprintf(m, sizeof(m), "m%ld", next++);
			addb += timed_add(w, m,
					  (double)(tu_rand(&rs) % 1000000), 0);
			if (k % 100 == 99)
				shm_wr_publish(w);
		}
		shm_wr_publish(w);
		for (int k = 0; k < K; k++) {
			snprintf(m, sizeof(m), "m%ld",
				 (long)(tu_rand(&rs) % BENCH_N));
			updb += timed_add(w, m, (double)(tu_rand(&rs) % 1000),
					  ZSET_IN_INCR);
			if (k % 100 == 99)
				shm_wr_publish(w);
		}
		shm_wr_publish(w);
	}
	/* Reads: a string GET (copying call, and in a snapshot) against
	 * ZSCORE and ZRANK of random members, in interleaved rounds so that
	 * whatever else the machine does weighs on all of them alike. */
	CU_ASSERT_FATAL(shmrep_open(name, 0, &h) == 0);
	for (int round = 0; round < 20; round++) {
		const int R = 2 * K / 20;

		for (int k = 0; k < R; k++) {
			snprintf(m, sizeof(m), "k%ld",
				 (long)(tu_rand(&rs) % BENCH_N));
			t = now_ns();
			CU_ASSERT_FATAL(shmrep_get(h, 0, m, strlen(m), val,
						   sizeof(val), &len) == 0);
			tget += now_ns() - t;
		}
		CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s) == 0);
		for (int k = 0; k < R; k++) {
			snprintf(m, sizeof(m), "k%ld",
				 (long)(tu_rand(&rs) % BENCH_N));
			t = now_ns();
			CU_ASSERT_FATAL(shmrep_snapshot_get(s, 0, m, strlen(m),
							    &v) == 0);
			tsget += now_ns() - t;
		}
		for (int k = 0; k < R; k++) {
			snprintf(m, sizeof(m), "m%ld",
				 (long)(tu_rand(&rs) % BENCH_N));
			t = now_ns();
			CU_ASSERT_FATAL(shmrep_snapshot_zscore(s, 0, "z", 1, m,
							       strlen(m),
							       &sc) == 0);
			tzs += now_ns() - t;
		}
		for (int k = 0; k < R; k++) {
			uint64_t rank;

			snprintf(m, sizeof(m), "m%ld",
				 (long)(tu_rand(&rs) % BENCH_N));
			t = now_ns();
			CU_ASSERT_FATAL(shmrep_snapshot_zrank(s, 0, "z", 1, m,
							      strlen(m), 0,
							      &rank) == 0);
			tzr += now_ns() - t;
		}
		shmrep_snapshot_end(s);
		/* ZSCORE as a call of its own: snapshot, lookup, end. */
		for (int k = 0; k < R; k++) {
			snprintf(m, sizeof(m), "m%ld",
				 (long)(tu_rand(&rs) % BENCH_N));
			t = now_ns();
			CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s) == 0);
			CU_ASSERT_FATAL(shmrep_snapshot_zscore(s, 0, "z", 1, m,
							       strlen(m),
							       &sc) == 0);
			shmrep_snapshot_end(s);
			tzsc += now_ns() - t;
		}
	}
	printf("\n    %ld members (and %ld string keys in the same db)\n"
	       "    ZADD new member, own version each:   %.2f us\n"
	       "    ZINCRBY member, own version each:    %.2f us\n"
	       "    ZREM, own version each:              %.2f us\n"
	       "    ZADD new member, 100 per version:    %.2f us\n"
	       "    ZINCRBY member, 100 per version:     %.2f us\n"
	       "    GET (shmrep_get):                    %.0f ns\n"
	       "    GET (in a snapshot):                 %.0f ns\n"
	       "    ZSCORE (in a snapshot):              %.0f ns\n"
	       "    ZSCORE (snapshot of its own):        %.0f ns\n"
	       "    ZRANK (in a snapshot):               %.0f ns\n"
	       "    ZSCORE / GET: %.2f in snapshots, %.2f as calls of their "
	       "own ",
	       BENCH_N, BENCH_N, add1 / 1e3 / K, upd1 / 1e3 / K,
	       rem1 / 1e3 / K, addb / 1e3 / K, updb / 1e3 / K,
	       (double)tget / (2 * K),
	       (double)tsget / (2 * K), (double)tzs / (2 * K),
	       (double)tzsc / (2 * K), (double)tzr / (2 * K),
	       (double)tzs / (double)tsget, (double)tzsc / (double)tget);
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

static void test_random_rcu(void)
{
	run_random(SHM_MODE_RCU);
}

static void test_random_mutex(void)
{
	run_random(SHM_MODE_MUTEX);
}

static CU_TestInfo tests[] = {
	{ "random_rcu", test_random_rcu },
	{ "random_mutex", test_random_mutex },
	{ "corrupt", test_corrupt },
	{ "fuzz", test_fuzz },
	{ "api", test_api },
	{ "bench", test_bench },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = { { "zset", tests }, { NULL, NULL } };

	return tu_main(argc, argv, suites);
}
