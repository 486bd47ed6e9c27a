/*
 * test_list.c - lists (shm/c_list.c, client/r_list.c) against a model.
 *
 * random_rcu, random_mutex: four list keys in one database, of 1, 3, 8 and
 * 23 bytes (so that the descriptor after the key sits at every alignment),
 * each mirrored by an array.  Thousands of writer commands, each one of:
 * pushes at either end, pops of one or of several elements at either end,
 * LINSERT, LSET, LREM, LTRIM, LMOVE between two keys and within one,
 * insertions, deletions and replacements at random positions mixed in one
 * editor, a clear followed by pushes, a TTL set or removed, a key deleted.
 * Sizes wander around the packed limit and a few elements are longer than
 * SHM_PACK_MAX_BYTES, so lists convert from packed to large again and
 * again, and must never convert back while they live.  One command in ten
 * is aborted, one in twelve has an allocation fail somewhere in it
 * (w->alloc.fail_after); the model is rolled back with it.  Random
 * publications mix blocks born in the batch with published ones, so both
 * the in-place and the copying paths run; in rcu mode a reader snapshot
 * (libshmrep) pins each published version and, just before the next
 * publication, must still read exactly what the model held then, through
 * shmrep_snapshot_llen/lindex/lrange.  After every command each key it
 * touched is checked: absent when empty, its encoding, its TTL,
 * clist_check, every index from both ends, iterations both ways from
 * random positions; alloc_check every so often.  At the end every key is
 * deleted and, once reclaimed, nothing may be left allocated but the two
 * snapshot records.
 *
 * Then: every allocation of a command failing in turn (the list must be
 * exactly as before each abort); the conversion boundaries one by one;
 * keys_copy() of lists within a region and into another one (COPY, and a
 * writer taking a region over); hand-made corruptions
 * that every read must report as SHMREP_ECORRUPT; random byte flips that
 * no read may crash on; and a timing of LPUSH, RPUSH, LPOP, RPOP, LINDEX
 * and the start of LRANGE at 10^3 to 10^6 elements (printed, never
 * asserted), which shows the O(log n).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "btree.h"
#include "c_list.h"
#include "iter.h"
#include "keys.h"
#include "region.h"
#include "shmrep.h"
#include "testutil.h"
#include "writer.h"

#define NKEYS 4
#define MAXE 80 /* longest element of the model: past the packed limit */
#define DB 3

static const char *const key_name[NKEYS] = {
	"L", "abc", "listkey8", "a-much-longer-list-key!",
};

struct mel {
	uint32_t len;
	char b[MAXE];
};

struct mlist {
	struct mel *e;
	size_t n, cap;
	bool large; /* converted since it was created: must be LTREE */
	int64_t expire;
};

struct run {
	struct shm_writer *w;
	const char *name;
	bool mutex;
	uint64_t rs;
	unsigned plong; /* per mille of elements longer than the limit */
	struct mlist m[NKEYS];
	struct mlist save[NKEYS]; /* the touched keys before the command */
	bool touched[NKEYS];
	/* elements inserted by the open command: an editor keeps pointers
	 * to them until it closes (c_list.h) */
	struct mel fresh[128];
	unsigned nfresh;
	size_t target[NKEYS]; /* the size each key wanders towards */
	/* the pinned published version and what it held (rcu mode) */
	shmrep *h;
	shmrep_snapshot *snap;
	struct mlist pinned[NKEYS];
	/* statistics */
	uint64_t cmds, aborts, nomem, publishes, conversions, deletions;
	size_t max_n;
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	CU_ASSERT_FATAL(p != NULL);
	return p;
}

static uint64_t rnd(struct run *r, uint64_t n)
{
	return n ? tu_rand(&r->rs) % n : 0;
}

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

/* ------------------------------------------------------------------ model */

static void mlist_copy(struct mlist *dst, const struct mlist *src)
{
	if (dst->cap < src->n) {
		dst->cap = src->n;
		dst->e = xrealloc(dst->e, dst->cap * sizeof(*dst->e));
	}
	if (src->n)
		memcpy(dst->e, src->e, src->n * sizeof(*src->e));
	dst->n = src->n;
	dst->large = src->large;
	dst->expire = src->expire;
}

static void mlist_free(struct mlist *m)
{
	free(m->e);
	memset(m, 0, sizeof(*m));
}

/* Save key k's model before the open command first changes it. */
static void touch(struct run *r, int k)
{
	if (r->touched[k])
		return;
	r->touched[k] = true;
	mlist_copy(&r->save[k], &r->m[k]);
}

/* Would inserting or setting an element of len make a packed list
 * convert?  (The rule of clist_insert and clist_set.) */
static void m_note(struct mlist *m, uint32_t len, bool grows)
{
	if (len > SHM_PACK_MAX_BYTES ||
	    (grows && m->n >= SHM_PACK_MAX_ENTRIES))
		m->large = true;
}

static void m_ins(struct mlist *m, size_t pos, const void *p, uint32_t len)
{
	m_note(m, len, true);
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->e = xrealloc(m->e, m->cap * sizeof(*m->e));
	}
	memmove(&m->e[pos + 1], &m->e[pos], (m->n - pos) * sizeof(*m->e));
	m->e[pos].len = len;
	memcpy(m->e[pos].b, p, len);
	m->n++;
}

static void m_del(struct mlist *m, size_t pos)
{
	memmove(&m->e[pos], &m->e[pos + 1], (m->n - pos - 1) * sizeof(*m->e));
	m->n--;
}

static void m_set(struct mlist *m, size_t pos, const void *p, uint32_t len)
{
	m_note(m, len, false);
	m->e[pos].len = len;
	memcpy(m->e[pos].b, p, len);
}

/* What close does to an emptied list: the key and its TTL go. */
static void m_closed(struct mlist *m)
{
	if (m->n == 0) {
		m->large = false;
		m->expire = 0;
	}
}

static bool mel_is(const struct mel *e, const void *p, size_t len)
{
	return e->len == len && (len == 0 || memcmp(e->b, p, len) == 0);
}

/* An element: mostly from a small alphabet (so LREM, LINSERT and LPOS
 * find things), some random bytes, a few past the packed limit. */
static void gen_elem(struct run *r, struct mel *e)
{
	unsigned k = (unsigned)rnd(r, 1000);

	if (k < r->plong) {
		e->len = SHM_PACK_MAX_BYTES + 1 +
			 (uint32_t)rnd(r, MAXE - SHM_PACK_MAX_BYTES);
		memset(e->b, 'L', e->len);
		e->b[0] = (char)('a' + rnd(r, 3));
	} else if (k < 600) {
		e->len = 1;
		e->b[0] = (char)('a' + rnd(r, 6));
	} else {
		e->len = (uint32_t)rnd(r, 13);
		for (uint32_t i = 0; i < e->len; i++)
			e->b[i] = (char)rnd(r, 256);
	}
}

/* A new element that stays put until the command ends. */
static struct mel *gen_fresh(struct run *r)
{
	struct mel *x;

	CU_ASSERT_FATAL(r->nfresh < sizeof(r->fresh) / sizeof(r->fresh[0]));
	x = &r->fresh[r->nfresh++];
	gen_elem(r, x);
	return x;
}

/* An element to look for: one of the list's, or a fresh one. */
static void pick_elem(struct run *r, int k, struct mel *e)
{
	const struct mlist *m = &r->m[k];

	if (m->n && rnd(r, 4))
		*e = m->e[rnd(r, m->n)];
	else
		gen_elem(r, e);
}

/* ---------------------------------------------------------- the editor */

static void ed_open(struct run *r, int k, struct clist_ed *e)
{
	CU_ASSERT_FATAL(clist_open(e, r->w, DB, key_name[k],
				   (uint32_t)strlen(key_name[k])) == 0);
	CU_ASSERT_FATAL(clist_count(e) == r->m[k].n);
}

/* Close e on key k; the model learns what close does. */
static int ed_close(struct run *r, int k, struct clist_ed *e)
{
	int rc = clist_close(e);

	if (!rc)
		m_closed(&r->m[k]);
	return rc;
}

/* ------------------------------------------------------------- commands */

static int op_push(struct run *r, int k)
{
	struct mlist *m = &r->m[k];
	struct clist_ed e;
	bool head = rnd(r, 2);
	int n = 1 + (int)rnd(r, rnd(r, 10) ? 5 : 60), rc = 0;

	touch(r, k);
	ed_open(r, k, &e);
	for (int i = 0; i < n && !rc; i++) {
		struct mel *x = gen_fresh(r);

		rc = clist_insert(&e, head ? 0 : clist_count(&e), x->b, x->len);
		if (!rc)
			m_ins(m, head ? 0 : m->n, x->b, x->len);
	}
	return rc ? rc : ed_close(r, k, &e);
}

/* One element or a count of them from either end, read before they go
 * (as the pop commands reply). */
static int op_pop(struct run *r, int k)
{
	struct mlist *m = &r->m[k];
	struct clist_cursor cur;
	struct clist_ed e;
	const uint8_t *p;
	uint32_t len;
	bool head = rnd(r, 2);
	uint64_t n, want;
	int rc;

	if (!m->n)
		return 0;
	touch(r, k);
	ed_open(r, k, &e);
	n = m->n;
	if (rnd(r, 2)) {
		uint64_t pos = head ? 0 : n - 1;

		CU_ASSERT_FATAL(clist_get(&e, pos, &p, &len) == 0);
		CU_ASSERT_FATAL(mel_is(&m->e[pos], p, len));
		rc = clist_delete(&e, pos);
		if (rc)
			return rc;
		m_del(m, pos);
		return ed_close(r, k, &e);
	}
	want = 1 + rnd(r, rnd(r, 4) ? 10 : 2 * n);
	if (want > n)
		want = n;
	CU_ASSERT_FATAL(clist_seek(&cur, &e, head ? 0 : n - 1, !head) == 0);
	for (uint64_t i = 0; i < want; i++) {
		uint64_t pos = head ? i : n - 1 - i;

		CU_ASSERT_FATAL(clist_next(&cur, &p, &len) == 1);
		CU_ASSERT_FATAL(mel_is(&m->e[pos], p, len));
	}
	rc = clist_keep(&e, head ? want : 0, n - want);
	if (rc)
		return rc;
	for (uint64_t i = 0; i < want; i++)
		m_del(m, head ? 0 : m->n - 1);
	return ed_close(r, k, &e);
}

static int op_linsert(struct run *r, int k)
{
	struct mlist *m = &r->m[k];
	struct clist_ed e;
	struct mel pivot, *x;
	bool after = rnd(r, 2);
	uint64_t pos;
	size_t want = SIZE_MAX;
	int rc;

	if (!m->n)
		return 0;
	pick_elem(r, k, &pivot);
	x = gen_fresh(r);
	for (size_t i = 0; i < m->n && want == SIZE_MAX; i++)
		if (mel_is(&m->e[i], pivot.b, pivot.len))
			want = i;
	touch(r, k);
	ed_open(r, k, &e);
	rc = clist_find(&e, 0, false, pivot.b, pivot.len, &pos);
	CU_ASSERT_FATAL(rc == (want != SIZE_MAX));
	if (!rc)
		return 0;
	CU_ASSERT_FATAL(pos == want);
	rc = clist_insert(&e, pos + after, x->b, x->len);
	if (rc)
		return rc;
	m_ins(m, pos + after, x->b, x->len);
	return ed_close(r, k, &e);
}

static int op_lset(struct run *r, int k)
{
	struct mlist *m = &r->m[k];
	struct clist_ed e;
	struct mel *x;
	uint64_t pos;
	int rc;

	if (!m->n)
		return 0;
	pos = rnd(r, m->n);
	x = gen_fresh(r);
	touch(r, k);
	ed_open(r, k, &e);
	rc = clist_set(&e, pos, x->b, x->len);
	if (rc)
		return rc;
	m_set(m, pos, x->b, x->len);
	return ed_close(r, k, &e);
}

/* LREM's loop, as t_list.c runs it, against the model's. */
static int op_lrem(struct run *r, int k)
{
	struct mlist *m = &r->m[k];
	struct clist_ed e;
	struct mel x;
	int64_t count = (int64_t)rnd(r, 7) - 3;
	bool rev = count < 0;
	uint64_t limit = (uint64_t)(rev ? -count : count), pos, at;
	uint64_t removed = 0, mremoved = 0;
	int rc = 0;

	if (!m->n)
		return 0;
	pick_elem(r, k, &x);
	touch(r, k);
	ed_open(r, k, &e);
	pos = rev ? clist_count(&e) : 0;
	for (;;) {
		rc = clist_find(&e, pos, rev, x.b, x.len, &at);
		if (rc != 1)
			break;
		rc = clist_delete(&e, at);
		if (rc)
			return rc;
		removed++;
		pos = at;
		if (limit && removed == limit)
			break;
	}
	CU_ASSERT_FATAL(rc == 0);
	if (!rev) {
		for (size_t i = 0; i < m->n;) {
			if (!mel_is(&m->e[i], x.b, x.len)) {
				i++;
				continue;
			}
			m_del(m, i);
			if (++mremoved == limit)
				break;
		}
	} else {
		for (size_t i = m->n; i > 0; i--) {
			if (!mel_is(&m->e[i - 1], x.b, x.len))
				continue;
			m_del(m, i - 1);
			if (++mremoved == limit)
				break;
		}
	}
	CU_ASSERT_FATAL(removed == mremoved);
	return ed_close(r, k, &e);
}

static int op_ltrim(struct run *r, int k)
{
	struct mlist *m = &r->m[k];
	struct clist_ed e;
	int64_t n = (int64_t)m->n, start, stop;
	uint64_t from, count;
	int rc;

	if (!m->n)
		return 0;
	/* Mostly a little off either end, sometimes anything. */
	if (rnd(r, 3)) {
		start = (int64_t)rnd(r, 5);
		stop = -1 - (int64_t)rnd(r, 5);
	} else {
		start = (int64_t)rnd(r, (uint64_t)(2 * n + 10)) - n - 5;
		stop = (int64_t)rnd(r, (uint64_t)(2 * n + 10)) - n - 5;
	}
	if (!clist_range(m->n, start, stop, &from, &count))
		from = count = 0;
	touch(r, k);
	ed_open(r, k, &e);
	rc = clist_keep(&e, from, count);
	if (rc)
		return rc;
	memmove(m->e, &m->e[from], count * sizeof(*m->e));
	m->n = count;
	return ed_close(r, k, &e);
}

/* LMOVE src dst: two editors, or one when src is dst (t_list.c's way). */
static int op_lmove(struct run *r, int s, int d)
{
	struct mlist *ms = &r->m[s], *md = &r->m[d];
	struct clist_ed se, de;
	const uint8_t *p;
	uint32_t len;
	bool from_head = rnd(r, 2), to_head = rnd(r, 2);
	uint64_t pos;
	struct mel x;
	int rc;

	if (!ms->n)
		return 0;
	touch(r, s);
	touch(r, d);
	ed_open(r, s, &se);
	pos = from_head ? 0 : ms->n - 1;
	CU_ASSERT_FATAL(clist_get(&se, pos, &p, &len) == 0);
	x = ms->e[pos];
	CU_ASSERT_FATAL(mel_is(&x, p, len));
	rc = clist_delete(&se, pos);
	if (rc)
		return rc;
	m_del(ms, pos);
	if (s == d) {
		rc = clist_insert(&se, to_head ? 0 : clist_count(&se), p, len);
		if (rc)
			return rc;
		m_ins(ms, to_head ? 0 : ms->n, x.b, x.len);
	}
	rc = ed_close(r, s, &se);
	if (rc || s == d)
		return rc;
	ed_open(r, d, &de);
	/* p points into what src dropped: still readable in the command. */
	CU_ASSERT_FATAL(mel_is(&x, p, len));
	rc = clist_insert(&de, to_head ? 0 : clist_count(&de), p, len);
	if (rc)
		return rc;
	m_ins(md, to_head ? 0 : md->n, x.b, x.len);
	return ed_close(r, d, &de);
}

/* Random positional changes and reads, several in one editor. */
static int op_mixed(struct run *r, int k)
{
	struct mlist *m = &r->m[k];
	struct clist_ed e;
	const uint8_t *p;
	uint32_t len;
	int steps = 1 + (int)rnd(r, 12), rc = 0;

	touch(r, k);
	ed_open(r, k, &e);
	for (int i = 0; i < steps && !rc; i++) {
		unsigned what = (unsigned)rnd(r, 10);
		struct mel *x;
		uint64_t pos;

		if (what < 4 || !m->n) {
			x = gen_fresh(r);
			pos = rnd(r, m->n + 1);
			rc = clist_insert(&e, pos, x->b, x->len);
			if (!rc)
				m_ins(m, pos, x->b, x->len);
		} else if (what < 7) {
			pos = rnd(r, m->n);
			rc = clist_delete(&e, pos);
			if (!rc)
				m_del(m, pos);
		} else if (what < 9) {
			x = gen_fresh(r);
			pos = rnd(r, m->n);
			rc = clist_set(&e, pos, x->b, x->len);
			if (!rc)
				m_set(m, pos, x->b, x->len);
		} else {
			pos = rnd(r, m->n);
			CU_ASSERT_FATAL(clist_get(&e, pos, &p, &len) == 0);
			CU_ASSERT_FATAL(mel_is(&m->e[pos], p, len));
		}
		CU_ASSERT_FATAL(rc || clist_count(&e) == m->n);
	}
	return rc ? rc : ed_close(r, k, &e);
}

/* Everything goes, then a few pushes, in one editor: a large list's
 * whole tree is dropped and a new one started. */
static int op_clear_push(struct run *r, int k)
{
	struct mlist *m = &r->m[k];
	struct clist_ed e;
	int n = (int)rnd(r, 4), rc;

	touch(r, k);
	ed_open(r, k, &e);
	rc = clist_keep(&e, 0, 0);
	if (rc)
		return rc;
	m->n = 0;
	for (int i = 0; i < n && !rc; i++) {
		struct mel *x = gen_fresh(r);

		rc = clist_insert(&e, clist_count(&e), x->b, x->len);
		if (!rc)
			m_ins(m, m->n, x->b, x->len);
	}
	return rc ? rc : ed_close(r, k, &e);
}

/* A TTL far ahead, or none. */
static int op_expire(struct run *r, int k)
{
	struct mlist *m = &r->m[k];
	int64_t when = 0;
	int rc;

	if (!m->n)
		return 0;
	if (rnd(r, 2))
		when = region_now_ms() + 3600000 + (int64_t)rnd(r, 1000);
	touch(r, k);
	rc = keys_set_expire(r->w, DB, key_name[k],
			     (uint32_t)strlen(key_name[k]), when);
	if (rc)
		return rc;
	m->expire = when;
	return 0;
}

static int op_del(struct run *r, int k)
{
	struct mlist *m = &r->m[k];
	int rc;

	if (!m->n)
		return 0;
	touch(r, k);
	rc = keys_unlink(r->w, DB, key_name[k], (uint32_t)strlen(key_name[k]));
	if (rc)
		return rc;
	m->n = 0;
	m_closed(m);
	r->deletions++;
	return 0;
}

/* One command on key k (and maybe another), chosen so that the key's
 * size wanders towards its target. */
static int op_random(struct run *r, int k)
{
	struct mlist *m = &r->m[k];
	bool grow = m->n < r->target[k];
	unsigned what = (unsigned)rnd(r, 100);

	if (what < (grow ? 40u : 15u))
		return op_push(r, k);
	if (what < (grow ? 48u : 40u))
		return op_pop(r, k);
	if (what < 55)
		return op_linsert(r, k);
	if (what < 62)
		return op_lset(r, k);
	if (what < (grow ? 64u : 70u))
		return op_lrem(r, k);
	if (what < (grow ? 66u : 74u))
		return op_ltrim(r, k);
	if (what < 80)
		return op_lmove(r, k, (int)rnd(r, NKEYS));
	if (what < 93)
		return op_mixed(r, k);
	if (what < 95)
		return op_clear_push(r, k);
	if (what < 98)
		return op_expire(r, k);
	return grow ? op_push(r, k) : op_del(r, k);
}

/* -------------------------------------------------------------- checks */

/* Iterate [start, start + count) of l (rev: towards 0) against m. */
static void check_iter(const struct shm_view *v, const struct shm_leaf *l,
		       const struct mlist *m, uint64_t start, uint64_t count,
		       bool rev)
{
	shmrep_iter it;
	shmrep_entry en;
	uint64_t got = 0, avail;

	CU_ASSERT_FATAL(clist_iter(&it, v, l, start, count, rev) == 0);
	avail = start >= m->n ? 0 : rev ? start + 1 : m->n - start;
	if (count < avail)
		avail = count;
	while (iter_next(&it, &en) == 1) {
		uint64_t pos = rev ? start - got : start + got;

		CU_ASSERT_FATAL(got < avail);
		CU_ASSERT_FATAL(mel_is(&m->e[pos], en.key.ptr, en.key.len));
		got++;
	}
	CU_ASSERT_FATAL(got == avail);
}

/* Key k in the open batch against its model, as thoroughly as its size
 * allows. */
static void verify_key(struct run *r, int k)
{
	const struct shm_view *v = &r->w->view;
	const struct mlist *m = &r->m[k];
	const struct shm_leaf *l;
	shmrep_view out;
	uint64_t n, from, count;
	int rc = keys_find(r->w, DB, key_name[k], (uint32_t)strlen(key_name[k]),
			   &l);

	if (m->n == 0) {
		CU_ASSERT_FATAL(rc == -ENOENT);
		return;
	}
	CU_ASSERT_FATAL(rc == 0);
	CU_ASSERT_FATAL(l->type == SHM_T_LIST);
	CU_ASSERT_FATAL(l->enc == (m->large ? SHM_E_LTREE : SHM_E_PACK));
	CU_ASSERT_FATAL(l->expire_ms == m->expire);
	CU_ASSERT_FATAL(clist_check(v, l, &n) == 0);
	CU_ASSERT_FATAL(n == m->n);
	CU_ASSERT_FATAL(clist_len(v, l, &n) == 0 && n == m->n);
	for (uint64_t i = 0; i < m->n; i++) {
		uint64_t pos = m->n <= 300 ? i : rnd(r, m->n);

		if (m->n > 300 && i >= 300)
			break;
		CU_ASSERT_FATAL(clist_index(v, l, (int64_t)pos, &out) == 0);
		CU_ASSERT_FATAL(mel_is(&m->e[pos], out.ptr, out.len));
		CU_ASSERT_FATAL(clist_index(v, l, (int64_t)pos - (int64_t)m->n,
					    &out) == 0);
		CU_ASSERT_FATAL(mel_is(&m->e[pos], out.ptr, out.len));
	}
	CU_ASSERT_FATAL(clist_index(v, l, (int64_t)m->n, &out) ==
			SHMREP_ERANGE);
	CU_ASSERT_FATAL(clist_index(v, l, -(int64_t)m->n - 1, &out) ==
			SHMREP_ERANGE);
	CU_ASSERT_FATAL(clist_index(v, l, INT64_MIN, &out) == SHMREP_ERANGE);
	CU_ASSERT_FATAL(clist_index(v, l, INT64_MAX, &out) == SHMREP_ERANGE);
	check_iter(v, l, m, 0, UINT64_MAX, false);
	check_iter(v, l, m, m->n - 1, UINT64_MAX, true);
	for (int t = 0; t < 4; t++) {
		int64_t a = (int64_t)rnd(r, 2 * m->n + 4) - (int64_t)m->n - 2;
		int64_t b = (int64_t)rnd(r, 2 * m->n + 4) - (int64_t)m->n - 2;

		check_iter(v, l, m, rnd(r, m->n + 2), rnd(r, 40), rnd(r, 2));
		if (clist_range(m->n, a, b, &from, &count))
			check_iter(v, l, m, from, count, false);
	}
}

/* The published version pinned by r->snap reads as the model did then
 * (libshmrep's reads, client/r_list.c). */
static void verify_snapshot(struct run *r, shmrep_snapshot *s,
			    const struct mlist *ms)
{
	for (int k = 0; k < NKEYS; k++) {
		const struct mlist *m = &ms[k];
		const char *key = key_name[k];
		size_t klen = strlen(key);
		shmrep_view out;
		shmrep_iter it;
		shmrep_entry en;
		uint64_t n = 0, got = 0, from, count;
		int64_t a, b;

		if (!m->n) {
			CU_ASSERT_FATAL(shmrep_snapshot_llen(s, DB, key, klen,
							     &n) ==
					SHMREP_ENOENT);
			CU_ASSERT_FATAL(shmrep_snapshot_lindex(s, DB, key, klen,
							       0, &out) ==
					SHMREP_ENOENT);
			CU_ASSERT_FATAL(shmrep_snapshot_lrange(s, DB, key, klen,
							       0, -1, &it) ==
					SHMREP_ENOENT);
			CU_ASSERT_FATAL(shmrep_iter_next(&it, &en) == 0);
			continue;
		}
		CU_ASSERT_FATAL(shmrep_snapshot_llen(s, DB, key, klen, &n) ==
				0);
		CU_ASSERT_FATAL(n == m->n);
		for (int t = 0; t < 8; t++) {
			int64_t i = (int64_t)rnd(r, 2 * m->n + 2) -
				    (int64_t)m->n - 1;
			int rc = shmrep_snapshot_lindex(s, DB, key, klen, i,
							&out);
			int64_t p = i < 0 ? i + (int64_t)m->n : i;

			if (p < 0 || p >= (int64_t)m->n) {
				CU_ASSERT_FATAL(rc == SHMREP_ERANGE);
			} else {
				CU_ASSERT_FATAL(rc == 0);
				CU_ASSERT_FATAL(mel_is(&m->e[p], out.ptr,
						       out.len));
			}
		}
		CU_ASSERT_FATAL(shmrep_snapshot_lrange(s, DB, key, klen, 0, -1,
						       &it) == 0);
		while (shmrep_iter_next(&it, &en) == 1) {
			CU_ASSERT_FATAL(got < m->n);
			CU_ASSERT_FATAL(mel_is(&m->e[got], en.key.ptr,
					       en.key.len));
			got++;
		}
		CU_ASSERT_FATAL(got == m->n);
		a = (int64_t)rnd(r, 2 * m->n + 4) - (int64_t)m->n - 2;
		b = (int64_t)rnd(r, 2 * m->n + 4) - (int64_t)m->n - 2;
		CU_ASSERT_FATAL(shmrep_snapshot_lrange(s, DB, key, klen, a, b,
						       &it) == 0);
		if (!clist_range(m->n, a, b, &from, &count))
			from = count = 0;
		for (got = 0; shmrep_iter_next(&it, &en) == 1; got++) {
			CU_ASSERT_FATAL(got < count);
			CU_ASSERT_FATAL(mel_is(&m->e[from + got], en.key.ptr,
					       en.key.len));
		}
		CU_ASSERT_FATAL(got == count);
	}
	/* A string is the wrong type; a bad db is refused. */
	{
		uint64_t n;
		shmrep_view out;

		CU_ASSERT_FATAL(shmrep_snapshot_llen(s, DB, "str", 3, &n) ==
				SHMREP_EWRONGTYPE);
		CU_ASSERT_FATAL(shmrep_snapshot_lindex(s, DB, "str", 3, 0,
						       &out) ==
				SHMREP_EWRONGTYPE);
		CU_ASSERT_FATAL(shmrep_snapshot_llen(s, -1, "L", 1, &n) ==
				SHMREP_EINVAL);
		CU_ASSERT_FATAL(shmrep_snapshot_llen(s, 16, "L", 1, &n) ==
				SHMREP_EINVAL);
	}
}

/* Publish; in rcu mode check the version pinned so far and pin the new
 * one; in mutex mode (where a pinned reader would hold writes off) read
 * the new version once through a short snapshot. */
static void publish(struct run *r)
{
	shmrep_snapshot *s;

	if (r->snap) {
		verify_snapshot(r, r->snap, r->pinned);
		shmrep_snapshot_end(r->snap);
		r->snap = NULL;
	}
	CU_ASSERT_FATAL(shm_wr_publish(r->w) >= 0);
	r->publishes++;
	CU_ASSERT_FATAL(shmrep_snapshot_begin(r->h, &s) == 0);
	if (r->mutex) {
		verify_snapshot(r, s, r->m);
		shmrep_snapshot_end(s);
		return;
	}
	r->snap = s;
	for (int k = 0; k < NKEYS; k++)
		mlist_copy(&r->pinned[k], &r->m[k]);
}

/* Run one random command: maybe aborted, maybe with an allocation
 * failure; the model follows. */
static void command(struct run *r)
{
	struct shm_writer *w = r->w;
	bool inject = rnd(r, 12) == 0, abort_it = rnd(r, 10) == 0;
	int k = (int)rnd(r, NKEYS), rc;
	bool was_large[NKEYS];

	memset(r->touched, 0, sizeof(r->touched));
	r->nfresh = 0;
	for (int i = 0; i < NKEYS; i++)
		was_large[i] = r->m[i].large;
	CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
	if (inject)
		w->alloc.fail_after = 1 + rnd(r, 40);
	rc = op_random(r, k);
	w->alloc.fail_after = 0;
	CU_ASSERT_FATAL(rc == 0 || rc == -ENOMEM);
	r->cmds++;
	if (rc || abort_it) {
		shm_wr_abort(w);
		for (int i = 0; i < NKEYS; i++)
			if (r->touched[i])
				mlist_copy(&r->m[i], &r->save[i]);
		r->aborts++;
		r->nomem += rc != 0;
	} else {
		shm_wr_commit(w);
		for (int i = 0; i < NKEYS; i++)
			r->conversions += !was_large[i] && r->m[i].large;
	}
	for (int i = 0; i < NKEYS; i++) {
		if (r->touched[i])
			verify_key(r, i);
		if (r->m[i].n > r->max_n)
			r->max_n = r->m[i].n;
	}
	if (rnd(r, 10) == 0)
		publish(r);
	if (rnd(r, 200) == 0)
		CU_ASSERT_FATAL(alloc_check(&w->alloc) == 0);
}

static void run_setup(struct run *r, const char *tag, int mode, uint64_t size)
{
	int old = tu_mode;

	r->name = tu_name(tag);
	tu_mode = mode;
	r->w = tu_writer(r->name, size);
	tu_mode = old;
	CU_ASSERT_FATAL(r->w != NULL);
	r->mutex = mode == SHM_MODE_MUTEX;
	r->rs = tu_seed();
	r->plong = 10;
	CU_ASSERT_FATAL(tu_set(r->w, DB, "str", "x", 0) == 0);
	CU_ASSERT_FATAL(shmrep_open(r->name, 0, &r->h) == 0);
	publish(r);
}

/* Delete every key; once published and reclaimed, the region holds the
 * two snapshot records and nothing else. */
static void run_teardown(struct run *r)
{
	struct shm_writer *w = r->w;

	for (int k = 0; k < NKEYS; k++) {
		CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
		memset(r->touched, 0, sizeof(r->touched));
		CU_ASSERT_FATAL(op_del(r, k) == 0);
		shm_wr_commit(w);
		verify_key(r, k);
	}
	publish(r);
	if (r->snap)
		shmrep_snapshot_end(r->snap);
	r->snap = NULL;
	shmrep_close(r->h);
	CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
	CU_ASSERT_FATAL(keys_unlink(w, DB, "str", 3) == 0);
	shm_wr_commit(w);
	shm_wr_publish(w);
	shm_wr_reclaim(w);
	CU_ASSERT(w->alloc.used == snaps_bytes(w));
	CU_ASSERT(alloc_check(&w->alloc) == 0);
	for (int k = 0; k < NKEYS; k++) {
		mlist_free(&r->m[k]);
		mlist_free(&r->save[k]);
		mlist_free(&r->pinned[k]);
	}
	shm_writer_close(w);
	tu_unlink_region(r->name);
}

static void run_random(int mode, int rounds)
{
	struct run r = { 0 };
	uint64_t t0 = tu_now_ms();

	run_setup(&r, mode == SHM_MODE_MUTEX ? "lstm" : "lstr", mode,
		  64u << 20);
	for (int round = 0; round < rounds; round++) {
		/* Targets around the packed limit, sometimes well past it. */
		for (int k = 0; k < NKEYS; k++)
			r.target[k] = rnd(&r, 4) ? 60 + rnd(&r, 160)
						 : rnd(&r, 900);
		r.plong = rnd(&r, 3) ? 2 : 30;
		for (int c = 0; c < 400; c++)
			command(&r);
		for (int k = 0; k < NKEYS; k++)
			verify_key(&r, k);
	}
	printf("\n    %s: %llu commands (%llu aborted, %llu of them ENOMEM), "
	       "%llu publications, %llu conversions, %llu deletions, "
	       "longest %zu, %llu ms ",
	       mode == SHM_MODE_MUTEX ? "mutex" : "rcu",
	       (unsigned long long)r.cmds, (unsigned long long)r.aborts,
	       (unsigned long long)r.nomem, (unsigned long long)r.publishes,
	       (unsigned long long)r.conversions,
	       (unsigned long long)r.deletions, r.max_n,
	       (unsigned long long)(tu_now_ms() - t0));
	run_teardown(&r);
}

static void test_random_rcu(void)
{
	run_random(SHM_MODE_RCU, 40);
}

static void test_random_mutex(void)
{
	run_random(SHM_MODE_MUTEX, 15);
}

/* -------------------------------------------------------- every failure */

/*
 * Each command is run with its first allocation failing, then its second,
 * and so on until it succeeds; after each abort every key must be exactly
 * as before.  Lists small and large, born in the batch and published, so
 * that failures land in conversions, path copies, splits, merges,
 * rebuilds, descriptor and leaf stores.
 */
static void test_every_failure(void)
{
	struct run r = { 0 };
	struct shm_writer *w;
	uint64_t fails = 0;

	run_setup(&r, "lstf", SHM_MODE_RCU, 64u << 20);
	w = r.w;
	for (int i = 0; i < 1500; i++) {
		int k = (int)rnd(&r, NKEYS);
		uint64_t rs0;

		if (i % 100 == 0)
			for (int j = 0; j < NKEYS; j++)
				r.target[j] = rnd(&r, 3) ? 100 + rnd(&r, 60)
							 : rnd(&r, 600);
		rs0 = r.rs;
		for (uint64_t fa = 1;; fa++) {
			int rc;

			r.rs = rs0;
			r.nfresh = 0;
			memset(r.touched, 0, sizeof(r.touched));
			CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
			w->alloc.fail_after = fa;
			rc = op_random(&r, k);
			w->alloc.fail_after = 0;
			if (rc == 0) {
				shm_wr_commit(w);
				break;
			}
			CU_ASSERT_FATAL(rc == -ENOMEM && fa < 2000);
			shm_wr_abort(w);
			for (int j = 0; j < NKEYS; j++)
				if (r.touched[j])
					mlist_copy(&r.m[j], &r.save[j]);
			for (int j = 0; j < NKEYS; j++)
				if (r.touched[j])
					verify_key(&r, j);
			fails++;
		}
		for (int j = 0; j < NKEYS; j++)
			if (r.touched[j])
				verify_key(&r, j);
		if (rnd(&r, 3) == 0)
			publish(&r);
	}
	CU_ASSERT(fails > 1000);
	printf("\n    %llu injected failures ", (unsigned long long)fails);
	run_teardown(&r);
}

/* ------------------------------------------------------------ boundaries */

struct lim {
	struct shm_writer *w;
	const char *key;
	uint32_t klen;
};

static int lim_leaf(struct lim *t, const struct shm_leaf **l)
{
	return keys_find(t->w, 0, t->key, t->klen, l);
}

/* The key's encoding, 0 if it is missing. */
static int lim_enc(struct lim *t)
{
	const struct shm_leaf *l;

	return lim_leaf(t, &l) ? 0 : l->enc;
}

static uint64_t lim_len(struct lim *t)
{
	const struct shm_leaf *l;
	uint64_t n = 0;

	if (lim_leaf(t, &l))
		return 0;
	CU_ASSERT_FATAL(clist_check(&t->w->view, l, &n) == 0);
	return n;
}

/* Push n copies of an element of len bytes at the tail, in one command. */
static void lim_push(struct lim *t, int n, uint32_t len)
{
	struct clist_ed e;
	char b[200];

	memset(b, 'x', sizeof(b));
	CU_ASSERT_FATAL(shm_wr_begin(t->w) == 0);
	CU_ASSERT_FATAL(clist_open(&e, t->w, 0, t->key, t->klen) == 0);
	for (int i = 0; i < n; i++)
		CU_ASSERT_FATAL(clist_insert(&e, clist_count(&e), b, len) == 0);
	CU_ASSERT_FATAL(clist_close(&e) == 0);
	shm_wr_commit(t->w);
}

/* Keep [start, start + n) in one command. */
static void lim_keep(struct lim *t, uint64_t start, uint64_t n)
{
	struct clist_ed e;

	CU_ASSERT_FATAL(shm_wr_begin(t->w) == 0);
	CU_ASSERT_FATAL(clist_open(&e, t->w, 0, t->key, t->klen) == 0);
	CU_ASSERT_FATAL(clist_keep(&e, start, n) == 0);
	CU_ASSERT_FATAL(clist_close(&e) == 0);
	shm_wr_commit(t->w);
}

static void lim_set(struct lim *t, uint64_t pos, uint32_t len)
{
	struct clist_ed e;
	char b[200];

	memset(b, 'y', sizeof(b));
	CU_ASSERT_FATAL(shm_wr_begin(t->w) == 0);
	CU_ASSERT_FATAL(clist_open(&e, t->w, 0, t->key, t->klen) == 0);
	CU_ASSERT_FATAL(clist_set(&e, pos, b, len) == 0);
	CU_ASSERT_FATAL(clist_close(&e) == 0);
	shm_wr_commit(t->w);
}

static void test_limits(void)
{
	const char *name = tu_name("lstl");
	struct lim t = { .w = tu_writer(name, 16u << 20), .key = "lim",
			 .klen = 3 };
	const struct shm_leaf *l;
	int64_t when = region_now_ms() + 3600000;

	CU_ASSERT_FATAL(t.w != NULL);
	/* 128 elements stay packed; the 129th converts. */
	lim_push(&t, SHM_PACK_MAX_ENTRIES, 1);
	CU_ASSERT(lim_enc(&t) == SHM_E_PACK);
	CU_ASSERT_FATAL(shm_wr_begin(t.w) == 0);
	CU_ASSERT_FATAL(keys_set_expire(t.w, 0, "lim", 3, when) == 0);
	shm_wr_commit(t.w);
	lim_push(&t, 1, 1);
	CU_ASSERT(lim_enc(&t) == SHM_E_LTREE);
	CU_ASSERT(lim_len(&t) == SHM_PACK_MAX_ENTRIES + 1);
	/* The TTL survives the conversion, and never converts back. */
	CU_ASSERT_FATAL(lim_leaf(&t, &l) == 0 && l->expire_ms == when);
	lim_keep(&t, 5, 1);
	CU_ASSERT(lim_enc(&t) == SHM_E_LTREE && lim_len(&t) == 1);
	CU_ASSERT_FATAL(lim_leaf(&t, &l) == 0 && l->expire_ms == when);
	shm_wr_publish(t.w);
	/* The last element going deletes the key (TTL with it). */
	lim_keep(&t, 0, 0);
	CU_ASSERT(lim_enc(&t) == 0);
	/* An element of SHM_PACK_MAX_BYTES stays packed, one more byte
	 * converts: at a push, and at a set. */
	lim_push(&t, 3, SHM_PACK_MAX_BYTES);
	CU_ASSERT(lim_enc(&t) == SHM_E_PACK);
	lim_set(&t, 1, SHM_PACK_MAX_BYTES + 1);
	CU_ASSERT(lim_enc(&t) == SHM_E_LTREE && lim_len(&t) == 3);
	lim_keep(&t, 0, 0);
	lim_push(&t, 1, SHM_PACK_MAX_BYTES + 1);
	CU_ASSERT(lim_enc(&t) == SHM_E_LTREE && lim_len(&t) == 1);
	lim_keep(&t, 0, 0);
	/* Many at once on a missing key: converts halfway through. */
	lim_push(&t, 1000, 2);
	CU_ASSERT(lim_enc(&t) == SHM_E_LTREE && lim_len(&t) == 1000);
	/* A rebuild (few stay) and deletions (many stay). */
	lim_keep(&t, 400, 100);
	CU_ASSERT(lim_len(&t) == 100);
	lim_keep(&t, 1, 98);
	CU_ASSERT(lim_len(&t) == 98);
	lim_keep(&t, 0, 0);
	CU_ASSERT(lim_enc(&t) == 0);
	/* An empty element, packed and large. */
	lim_push(&t, 2, 0);
	CU_ASSERT(lim_enc(&t) == SHM_E_PACK && lim_len(&t) == 2);
	lim_push(&t, 1, SHM_PACK_MAX_BYTES + 1);
	lim_push(&t, 1, 0);
	CU_ASSERT(lim_enc(&t) == SHM_E_LTREE && lim_len(&t) == 4);
	lim_keep(&t, 0, 0);
	shm_wr_publish(t.w);
	shm_wr_reclaim(t.w);
	CU_ASSERT(t.w->alloc.used == snaps_bytes(t.w));
	shm_writer_close(t.w);
	tu_unlink_region(name);
}

/* ----------------------------------------------------------------- copy */

/* The list at key in w, read whole into m. */
static void read_list(struct shm_writer *w, const char *key,
		      struct mlist *m)
{
	const struct shm_leaf *l;
	shmrep_iter it;
	shmrep_entry en;

	m->n = 0;
	if (keys_find(w, 0, key, (uint32_t)strlen(key), &l))
		return;
	CU_ASSERT_FATAL(clist_iter(&it, &w->view, l, 0, UINT64_MAX, false) ==
			0);
	while (iter_next(&it, &en) == 1)
		m_ins(m, m->n, en.key.ptr, (uint32_t)en.key.len);
	m->large = l->enc == SHM_E_LTREE;
	m->expire = l->expire_ms;
}

static bool same_list(const struct mlist *a, const struct mlist *b)
{
	if (a->n != b->n || a->large != b->large || a->expire != b->expire)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!mel_is(&a->e[i], b->e[i].b, b->e[i].len))
			return false;
	return true;
}

/* Copy key of src (read through from) to dkey of dst, in a command, as
 * COPY and a writer taking a region over do (keys.c). */
static int copy_key(struct shm_writer *dst, const struct shm_view *from,
		    struct shm_writer *src, const char *key, const char *dkey)
{
	const struct shm_leaf *l;
	shm_ref r;
	int rc;

	CU_ASSERT_FATAL(keys_find(src, 0, key, (uint32_t)strlen(key), &l) ==
			0);
	CU_ASSERT_FATAL(shm_wr_begin(dst) == 0);
	rc = keys_copy(dst, from, l, dkey, (uint32_t)strlen(dkey),
		       l->expire_ms, &r);
	if (!rc)
		rc = keys_link(dst, 0, r, KEYS_REPLACE, NULL);
	if (rc)
		shm_wr_abort(dst);
	else
		shm_wr_commit(dst);
	return rc;
}

static void test_copy(void)
{
	const char *na = tu_name("lstca"), *nb = tu_name("lstcb");
	struct lim a = { .w = tu_writer(na, 32u << 20) };
	struct shm_writer *b = tu_writer(nb, 32u << 20);
	struct mlist m0 = { 0 }, m1 = { 0 };
	uint64_t fa;
	int rc;

	CU_ASSERT_FATAL(a.w != NULL && b != NULL);
	a.key = "small";
	a.klen = 5;
	lim_push(&a, 7, 3);
	a.key = "big";
	a.klen = 3;
	lim_push(&a, 5000, 9);
	lim_set(&a, 17, 70);
	CU_ASSERT_FATAL(shm_wr_begin(a.w) == 0);
	CU_ASSERT_FATAL(keys_set_expire(a.w, 0, "big", 3,
					region_now_ms() + 100000) == 0);
	shm_wr_commit(a.w);
	shm_wr_publish(a.w);
	/* Into another region, and within the same one. */
	CU_ASSERT(copy_key(b, &a.w->view, a.w, "small", "small") == 0);
	CU_ASSERT(copy_key(b, &a.w->view, a.w, "big", "big") == 0);
	CU_ASSERT(copy_key(a.w, &a.w->view, a.w, "big", "big2") == 0);
	read_list(a.w, "big", &m0);
	read_list(b, "big", &m1);
	CU_ASSERT(m0.n == 5000 && same_list(&m0, &m1));
	read_list(a.w, "big2", &m1);
	CU_ASSERT(same_list(&m0, &m1));
	read_list(a.w, "small", &m0);
	read_list(b, "small", &m1);
	CU_ASSERT(m0.n == 7 && !m0.large && same_list(&m0, &m1));
	/* The copy shares nothing: the original can go, or change. */
	a.key = "big";
	lim_keep(&a, 1, 10);
	read_list(a.w, "big2", &m1);
	CU_ASSERT(m1.n == 5000);
	/* Every allocation failing in turn leaves the target untouched. */
	for (fa = 1;; fa++) {
		b->alloc.fail_after = fa;
		rc = copy_key(b, &a.w->view, a.w, "big2", "big3");
		b->alloc.fail_after = 0;
		if (!rc)
			break;
		CU_ASSERT_FATAL(rc == -ENOMEM);
		read_list(b, "big3", &m0);
		CU_ASSERT_FATAL(m0.n == 0);
	}
	read_list(b, "big3", &m0);
	CU_ASSERT(same_list(&m0, &m1));
	printf("\n    copy of 5000 elements: %llu allocations ",
	       (unsigned long long)fa);
	for (const char *const *k = (const char *const[]){ "small", "big",
							   "big2", NULL };
	     *k; k++) {
		CU_ASSERT_FATAL(shm_wr_begin(a.w) == 0);
		CU_ASSERT(keys_unlink(a.w, 0, *k, (uint32_t)strlen(*k)) == 0);
		shm_wr_commit(a.w);
	}
	for (const char *const *k = (const char *const[]){ "small", "big",
							   "big3", NULL };
	     *k; k++) {
		CU_ASSERT_FATAL(shm_wr_begin(b) == 0);
		CU_ASSERT(keys_unlink(b, 0, *k, (uint32_t)strlen(*k)) == 0);
		shm_wr_commit(b);
	}
	shm_wr_publish(a.w);
	shm_wr_reclaim(a.w);
	shm_wr_publish(b);
	shm_wr_reclaim(b);
	CU_ASSERT(a.w->alloc.used == snaps_bytes(a.w));
	CU_ASSERT(b->alloc.used == snaps_bytes(b));
	mlist_free(&m0);
	mlist_free(&m1);
	shm_writer_close(a.w);
	shm_writer_close(b);
	tu_unlink_region(na);
	tu_unlink_region(nb);
}

/* ------------------------------------------------------------ corruption */

/* What every read of key in a fresh snapshot returns. */
struct codes {
	int llen, first, last, range, iter, check;
};

static void read_codes(shmrep *h, struct shm_writer *w, const char *key,
		       struct codes *c)
{
	size_t klen = strlen(key);
	shmrep_snapshot *s;
	shmrep_view out;
	shmrep_iter it;
	shmrep_entry en;
	const struct shm_leaf *l;
	uint64_t n = 0, steps = 0;
	int rc;

	CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s) == 0);
	c->llen = shmrep_snapshot_llen(s, 0, key, klen, &n);
	c->first = shmrep_snapshot_lindex(s, 0, key, klen, 0, &out);
	c->last = shmrep_snapshot_lindex(s, 0, key, klen, -1, &out);
	c->range = shmrep_snapshot_lrange(s, 0, key, klen, 0, -1, &it);
	/* Every walk ends: at most as many elements as the list claims. */
	while ((rc = shmrep_iter_next(&it, &en)) == 1)
		CU_ASSERT_FATAL(++steps <= (1u << 20));
	c->iter = rc;
	shmrep_snapshot_end(s);
	c->check = SHMREP_ENOENT;
	if (keys_find(w, 0, key, (uint32_t)klen, &l) == 0)
		c->check = clist_check(&w->view, l, &n);
}

static bool any_corrupt(const struct codes *c)
{
	return c->llen == SHMREP_ECORRUPT || c->first == SHMREP_ECORRUPT ||
	       c->last == SHMREP_ECORRUPT || c->range == SHMREP_ECORRUPT ||
	       c->iter == SHMREP_ECORRUPT;
}

/* Every code is success or ECORRUPT (ERANGE for LINDEX, ENOENT and
 * EWRONGTYPE when the damage hit the key's header). */
static bool codes_ok(const struct codes *c)
{
	int ok[] = { c->llen, c->first, c->last, c->range, c->iter, c->check };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (ok[i] != 0 && ok[i] != SHMREP_ECORRUPT &&
		    ok[i] != SHMREP_ERANGE && ok[i] != SHMREP_ENOENT &&
		    ok[i] != SHMREP_EWRONGTYPE)
			return false;
	return true;
}

/* The value bytes of key's leaf in w's mapping (published: only this
 * test writes it, by hand). */
static uint8_t *leaf_val(struct shm_writer *w, const char *key,
			 struct shm_leaf **lp)
{
	const struct shm_leaf *l;

	CU_ASSERT_FATAL(keys_find(w, 0, key, (uint32_t)strlen(key), &l) == 0);
	*lp = (struct shm_leaf *)l;
	return (*lp)->data + l->klen;
}

/* A 32-bit field at p set to v, the reads tried, then put back. */
static void poke32(shmrep *h, struct shm_writer *w, const char *key,
		   void *p, uint32_t v, struct codes *c)
{
	uint32_t save;

	memcpy(&save, p, 4);
	memcpy(p, &v, 4);
	read_codes(h, w, key, c);
	memcpy(p, &save, 4);
}

static void poke8(shmrep *h, struct shm_writer *w, const char *key,
		  uint8_t *p, uint8_t v, struct codes *c)
{
	uint8_t save = *p;

	*p = v;
	read_codes(h, w, key, c);
	*p = save;
}

static void poke64(shmrep *h, struct shm_writer *w, const char *key,
		   void *p, uint64_t v, struct codes *c)
{
	uint64_t save;

	memcpy(&save, p, 8);
	memcpy(p, &v, 8);
	read_codes(h, w, key, c);
	memcpy(p, &save, 8);
}

#define EXPECT_CORRUPT(c)                                                     \
	do {                                                                  \
		CU_ASSERT(codes_ok(&(c)));                                    \
		CU_ASSERT(any_corrupt(&(c)));                                 \
		CU_ASSERT((c).check == SHMREP_ECORRUPT);                      \
	} while (0)

/* The first bottom node of a tree, and its first element leaf. */
static struct shm_bbottom *first_bottom(struct shm_writer *w, shm_ref root)
{
	struct shm_bnode *b = shm_wr_ptr(w, root);

	while (b->height)
		b = shm_wr_ptr(w, ((struct shm_binner *)b)->ref[0]);
	return (struct shm_bbottom *)b;
}

static void test_corrupt(void)
{
	const char *name = tu_name("lstc");
	struct lim t = { .w = tu_writer(name, 16u << 20) };
	struct shm_writer *w = t.w;
	struct shm_leaf *l;
	struct shm_vcoll d;
	struct shm_bbottom *bot;
	struct codes c;
	uint8_t *val;
	shmrep *h;

	CU_ASSERT_FATAL(w != NULL);
	t.key = "p";
	t.klen = 1;
	lim_push(&t, 3, 5);
	t.key = "tree";
	t.klen = 4;
	lim_push(&t, 3000, 7);
	CU_ASSERT_FATAL(tu_set(w, 0, "s", "v", 0) == 0);
	shm_wr_publish(w);
	CU_ASSERT_FATAL(shmrep_open(name, 0, &h) == 0);
	read_codes(h, w, "p", &c);
	CU_ASSERT(c.llen == 0 && c.first == 0 && c.last == 0 &&
		  c.range == 0 && c.iter == 0 && c.check == 0);
	read_codes(h, w, "s", &c);
	CU_ASSERT(c.llen == SHMREP_EWRONGTYPE && c.range == SHMREP_EWRONGTYPE);

	/* Packed: the count, an element's length, the value's length. */
	val = leaf_val(w, "p", &l);
	poke32(h, w, "p", val, 0, &c);
	EXPECT_CORRUPT(c);
	poke32(h, w, "p", val, SHM_PACK_MAX_ENTRIES + 1, &c);
	EXPECT_CORRUPT(c);
	poke32(h, w, "p", val, 4, &c);
	EXPECT_CORRUPT(c);
	poke32(h, w, "p", val, 2, &c);
	EXPECT_CORRUPT(c);
	poke32(h, w, "p", val + 4, 1000, &c);
	EXPECT_CORRUPT(c);
	poke32(h, w, "p", val + 4, SHM_PACK_MAX_BYTES + 1, &c);
	EXPECT_CORRUPT(c);
	poke32(h, w, "p", &l->vlen, 2, &c);
	EXPECT_CORRUPT(c);
	poke32(h, w, "p", &l->vlen, 0xfffffff0u, &c);
	EXPECT_CORRUPT(c);
	/* Encodings a list cannot have. */
	poke8(h, w, "p", &l->enc, SHM_E_INLINE, &c);
	EXPECT_CORRUPT(c);
	poke8(h, w, "p", &l->enc, SHM_E_HAMT, &c);
	EXPECT_CORRUPT(c);
	poke8(h, w, "p", &l->enc, SHM_E_LTREE, &c);
	EXPECT_CORRUPT(c);

	/* Large: the descriptor's length, count and root. */
	val = leaf_val(w, "tree", &l);
	memcpy(&d, val, sizeof(d));
	poke32(h, w, "tree", &l->vlen, 15, &c);
	EXPECT_CORRUPT(c);
	poke64(h, w, "tree", val + 8, d.count - 1, &c);
	EXPECT_CORRUPT(c);
	poke32(h, w, "tree", val, 0, &c);
	EXPECT_CORRUPT(c);
	poke32(h, w, "tree", val, (uint32_t)(w->size >> SHM_UNIT_SHIFT) - 1,
	       &c);
	EXPECT_CORRUPT(c);
	poke32(h, w, "tree", val, UINT32_MAX, &c);
	EXPECT_CORRUPT(c);
	poke8(h, w, "tree", &l->enc, SHM_E_PACK, &c);
	EXPECT_CORRUPT(c);
	/* The tree: an element leaf out of the region, or too long; a node
	 * with no entries or too many. */
	bot = first_bottom(w, d.root);
	poke32(h, w, "tree", &bot->elem[0], 0, &c);
	EXPECT_CORRUPT(c);
	CU_ASSERT(c.first == SHMREP_ECORRUPT && c.last == 0 && c.llen == 0);
	poke32(h, w, "tree", &bot->elem[0],
	       (uint32_t)(w->size >> SHM_UNIT_SHIFT) - 1, &c);
	EXPECT_CORRUPT(c);
	poke32(h, w, "tree",
	       &((struct shm_leaf *)shm_wr_ptr(w, bot->elem[0]))->klen,
	       0x7fffffff, &c);
	EXPECT_CORRUPT(c);
	poke8(h, w, "tree", (uint8_t *)&bot->hdr.n, 0, &c);
	EXPECT_CORRUPT(c);
	poke8(h, w, "tree", (uint8_t *)&bot->hdr.n, 200, &c);
	EXPECT_CORRUPT(c);
	poke8(h, w, "tree", &bot->hdr.height, 3, &c);
	EXPECT_CORRUPT(c);
	/* All put back: everything reads again. */
	read_codes(h, w, "tree", &c);
	CU_ASSERT(c.llen == 0 && c.first == 0 && c.last == 0 &&
		  c.range == 0 && c.iter == 0 && c.check == 0);
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/* Random bytes of the tree's nodes, its element leaves and the list's
 * value: no read may crash, loop or return anything unexpected. */
static void test_fuzz(void)
{
	const char *name = tu_name("lstz");
	struct lim t = { .w = tu_writer(name, 16u << 20) };
	struct shm_writer *w = t.w;
	uint64_t rs = tu_seed(), bad = 0, corrupt = 0;
	struct shm_leaf *l;
	struct shm_vcoll d;
	struct codes c;
	uint8_t *val, save[640];
	shmrep *h;

	CU_ASSERT_FATAL(w != NULL);
	t.key = "p";
	t.klen = 1;
	lim_push(&t, 60, 5);
	t.key = "tree";
	t.klen = 4;
	lim_push(&t, 4000, 7);
	shm_wr_publish(w);
	CU_ASSERT_FATAL(shmrep_open(name, 0, &h) == 0);
	val = leaf_val(w, "tree", &l);
	memcpy(&d, val, sizeof(d));
	for (int trial = 0; trial < 3000; trial++) {
		const char *key = trial % 5 == 0 ? "p" : "tree";
		uint8_t *p;
		size_t bytes;
		int flips = 1 + (int)(tu_rand(&rs) % 4);

		if (trial % 5 == 0) {
			p = leaf_val(w, "p", &l);
			bytes = l->vlen;
		} else {
			/* A node on a random path, or an element leaf under
			 * it. */
			struct shm_bnode *b = shm_wr_ptr(w, d.root);

			while (b->height && tu_rand(&rs) % 3)
				b = shm_wr_ptr(w, ((struct shm_binner *)b)
						       ->ref[tu_rand(&rs) %
							     b->n]);
			p = (uint8_t *)b;
			bytes = b->height ? sizeof(struct shm_binner)
					  : sizeof(struct shm_bbottom);
			if (!b->height && trial % 2) {
				struct shm_bbottom *bb = (void *)b;

				p = shm_wr_ptr(w,
					       bb->elem[tu_rand(&rs) % b->n]);
				bytes = sizeof(struct shm_leaf) + 7;
			}
		}
		memcpy(save, p, bytes);
		for (int f = 0; f < flips; f++) {
			size_t off = (size_t)(tu_rand(&rs) % bytes);

			/* Not the birth stamp: the writer's, not read. */
			if (off < SHM_BIRTH_OFF || off >= SHM_BIRTH_OFF + 8)
				p[off] = (uint8_t)tu_rand(&rs);
		}
		read_codes(h, w, key, &c);
		bad += !codes_ok(&c);
		corrupt += any_corrupt(&c);
		memcpy(p, save, bytes);
	}
	CU_ASSERT(bad == 0);
	read_codes(h, w, "tree", &c);
	CU_ASSERT(c.llen == 0 && c.iter == 0 && c.check == 0);
	printf("\n    3000 damaged versions, %llu reported corrupt ",
	       (unsigned long long)corrupt);
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/* -------------------------------------------------------------- timing */

#if defined(__SANITIZE_ADDRESS__)
#define BENCH_MAX 100000u
#else
#define BENCH_MAX 1000000u
#endif
#define BENCH_K 20000u

/* One push or pop per command, each command its own version (so the
 * whole path is copied every time): the mean in ns. */
static double bench_writes(struct shm_writer *w, const char *key, bool pop,
			   bool head)
{
	uint64_t t = 0;
	char b[16] = "benchelement";

	for (unsigned k = 0; k < BENCH_K; k++) {
		struct clist_ed e;
		uint64_t t0, n;
		int rc;

		CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
		t0 = now_ns();
		CU_ASSERT_FATAL(clist_open(&e, w, 0, key,
					   (uint32_t)strlen(key)) == 0);
		n = clist_count(&e);
		rc = pop ? clist_delete(&e, head ? 0 : n - 1)
			 : clist_insert(&e, head ? 0 : n, b, 12);
		CU_ASSERT_FATAL(rc == 0);
		CU_ASSERT_FATAL(clist_close(&e) == 0);
		t += now_ns() - t0;
		shm_wr_commit(w);
		shm_wr_publish(w);
	}
	return (double)t / BENCH_K;
}

static void test_bench(void)
{
	const char *name = tu_name("lstb");
	struct shm_writer *w = tu_writer(name, 512u << 20);
	uint64_t rs = 11, filled = 0;
	char b[16] = "benchelement";

	CU_ASSERT_FATAL(w != NULL);
	printf("\n    %9s %8s %8s %8s %8s %8s %9s (ns per operation)",
	       "elements", "LPUSH", "RPUSH", "LPOP", "RPOP", "LINDEX",
	       "LRANGE@i");
	for (uint64_t n = 1000; n <= BENCH_MAX; n *= 10) {
		const struct shm_leaf *l;
		double lpush, rpush, lpop, rpop;
		uint64_t t0, idx = 0, rng = 0;
		shmrep_view out;
		shmrep_iter it;
		shmrep_entry en;

		/* Grow to n, 1000 elements per command. */
		while (filled < n) {
			struct clist_ed e;

			CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
			CU_ASSERT_FATAL(clist_open(&e, w, 0, "bench", 5) == 0);
			for (unsigned k = 0; k < 1000; k++, filled++)
				CU_ASSERT_FATAL(clist_insert(&e,
							     clist_count(&e), b,
							     12) == 0);
			CU_ASSERT_FATAL(clist_close(&e) == 0);
			shm_wr_commit(w);
			shm_wr_publish(w);
		}
		lpush = bench_writes(w, "bench", false, true);
		rpush = bench_writes(w, "bench", false, false);
		lpop = bench_writes(w, "bench", true, true);
		rpop = bench_writes(w, "bench", true, false);
		CU_ASSERT_FATAL(keys_find(w, 0, "bench", 5, &l) == 0);
		t0 = now_ns();
		for (unsigned k = 0; k < BENCH_K; k++)
			CU_ASSERT_FATAL(clist_index(&w->view, l,
						    (int64_t)(tu_rand(&rs) % n),
						    &out) == 0);
		idx = now_ns() - t0;
		/* LRANGE i i+9: the start, then ten steps. */
		t0 = now_ns();
		for (unsigned k = 0; k < BENCH_K; k++) {
			CU_ASSERT_FATAL(clist_iter(&it, &w->view, l,
						   tu_rand(&rs) % n, 10,
						   false) == 0);
			while (iter_next(&it, &en) == 1)
				;
		}
		rng = now_ns() - t0;
		printf("\n    %9llu %8.0f %8.0f %8.0f %8.0f %8.0f %9.0f",
		       (unsigned long long)n, lpush, rpush, lpop, rpop,
		       (double)idx / BENCH_K, (double)rng / BENCH_K);
	}
	printf(" ");
	shm_writer_close(w);
	tu_unlink_region(name);
}

static CU_TestInfo tests[] = {
	{ "random_rcu", test_random_rcu },
	{ "random_mutex", test_random_mutex },
	{ "every_failure", test_every_failure },
	{ "limits", test_limits },
	{ "copy", test_copy },
	{ "corrupt", test_corrupt },
	{ "fuzz", test_fuzz },
	{ "bench", test_bench },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = { { "list", tests }, { NULL, NULL } };

	return tu_main(argc, argv, suites);
}
