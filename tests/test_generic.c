/*
 * test_generic.c - what works on keys of any type, at the writer's level:
 * the takeover copy of a region (writer.c, keys_copy), COPY's deep copy,
 * RENAME's and MOVE's move (keys_move), SWAPDB (keys_swap).
 *
 * Values are built here through the writer API itself (leaves, packed
 * values, tries of element leaves, B+trees), not through the type
 * modules, so that every encoding can be made at will: strings, and
 * hashes, sets, sorted sets and lists both packed and large, with and
 * without TTLs, in several databases.  A model remembers every key; a
 * check reads a key back through shm/iter.h (the walks readers use) and
 * compares type, encoding, TTL, every element, value and score, and for a
 * large value also the structure: hamt_check and btree_check, counts, and
 * that a sorted set's B+tree holds the very leaves of its member trie.
 *
 * Leaks: every test ends by deleting what it made and publishing twice,
 * after which, with no reader, only the published record and the spare one
 * may remain allocated (as in test_th_hamt.c), and alloc_check passes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "btree.h"
#include "coll.h"
#include "hamt.h"
#include "iter.h"
#include "keys.h"
#include "pack.h"
#include "region.h"
#include "testutil.h"
#include "writer.h"

#define REGION (128u << 20)

/* ------------------------------------------------------------------ model */

struct melem {
	char *k;
	uint32_t klen;
	char *v; /* hash values */
	uint32_t vlen;
	double score; /* sorted sets */
};

struct mkey {
	unsigned db;
	char key[48];
	uint32_t klen;
	uint8_t type, enc;
	int64_t expire;
	bool present;
	/* strings: e[0].k is the value; collections: the elements, in
	 * order for lists and sorted sets */
	struct melem *e;
	size_t n;
};

#define MAXKEYS 64
static struct mkey model[MAXKEYS];
static int nmodel;

static char *dup_bytes(const void *p, size_t n)
{
	char *d = malloc(n ? n : 1);

	CU_ASSERT_FATAL(d != NULL);
	memcpy(d, p, n);
	return d;
}

static void model_free(void)
{
	for (int i = 0; i < nmodel; i++) {
		for (size_t j = 0; j < model[i].n; j++) {
			free(model[i].e[j].k);
			free(model[i].e[j].v);
		}
		free(model[i].e);
	}
	memset(model, 0, sizeof(model));
	nmodel = 0;
}

/* Random bytes: short or past SHM_PACK_MAX_BYTES, sometimes binary. */
static uint32_t rand_bytes(uint64_t *rs, char *buf, uint32_t max)
{
	uint32_t n = (uint32_t)(tu_rand(rs) % max);

	for (uint32_t i = 0; i < n; i++)
		buf[i] = tu_rand(rs) % 4 ? (char)('a' + tu_rand(rs) % 26)
					 : (char)tu_rand(rs);
	return n;
}

static int sdscmp_like(const char *a, uint32_t al, const char *b, uint32_t bl)
{
	int d = memcmp(a, b, al < bl ? al : bl);

	return d ? d : (al > bl) - (al < bl);
}

static int zcmp(const void *x, const void *y)
{
	const struct melem *a = x, *b = y;

	if (a->score != b->score)
		return a->score < b->score ? -1 : 1;
	return sdscmp_like(a->k, a->klen, b->k, b->klen);
}

static int kcmp(const void *x, const void *y)
{
	const struct melem *a = x, *b = y;

	return sdscmp_like(a->k, a->klen, b->k, b->klen);
}

/* A model key of type with n elements (unique keys where the type wants
 * them; lists repeat some). */
static struct mkey *model_add(uint64_t *rs, unsigned db, const char *key,
			      uint8_t type, size_t n, int64_t expire)
{
	struct mkey *m = &model[nmodel++];
	char buf[200];

	CU_ASSERT_FATAL(nmodel <= MAXKEYS);
	m->db = db;
	m->klen = (uint32_t)snprintf(m->key, sizeof(m->key), "%s", key);
	m->type = type;
	m->expire = expire;
	m->present = true;
	if (type == SHM_T_STRING) {
		uint32_t l = rand_bytes(rs, buf, sizeof(buf));

		m->e = calloc(1, sizeof(*m->e));
		m->e[0].k = dup_bytes(buf, l);
		m->e[0].klen = l;
		m->n = 1;
		m->enc = SHM_E_INLINE;
		return m;
	}
	m->e = calloc(n, sizeof(*m->e));
	CU_ASSERT_FATAL(m->e != NULL);
	for (size_t i = 0; i < n; i++) {
		struct melem *e = &m->e[i];
		uint32_t l;

		if (type == SHM_T_LIST && i && tu_rand(rs) % 5 == 0) {
			const struct melem *o = &m->e[tu_rand(rs) % i];

			e->k = dup_bytes(o->k, o->klen);
			e->klen = o->klen;
			continue;
		}
		/* Unique: a numbered prefix, then random bytes. */
		l = (uint32_t)snprintf(buf, sizeof(buf), "%zu:", i);
		l += rand_bytes(rs, buf + l, tu_rand(rs) % 2 ? 20 : 120);
		e->k = dup_bytes(buf, l);
		e->klen = l;
		if (type == SHM_T_HASH) {
			l = rand_bytes(rs, buf, 100);
			e->v = dup_bytes(buf, l);
			e->vlen = l;
		}
		if (type == SHM_T_ZSET) /* ties on purpose */
			e->score = (double)(int64_t)(tu_rand(rs) % 50) / 4 - 3;
	}
	m->n = n;
	if (type == SHM_T_ZSET)
		qsort(m->e, n, sizeof(*m->e), zcmp);
	m->enc = n <= SHM_PACK_MAX_ENTRIES ? SHM_E_PACK
		 : type == SHM_T_ZSET	   ? SHM_E_ZTREE
		 : type == SHM_T_LIST	   ? SHM_E_LTREE
					   : SHM_E_HAMT;
	return m;
}

/* ------------------------------------------------------------- building */

static shm_ref elem_leaf(struct shm_writer *w, const struct mkey *m,
			 const struct melem *e)
{
	if (m->type == SHM_T_ZSET)
		return coll_elem_new(w, e->k, e->klen, &e->score, 8);
	return coll_elem_new(w, e->k, e->klen, e->v,
			     m->type == SHM_T_HASH ? e->vlen : 0);
}

/* Link m's value, in an encoding of m->enc, in one command. */
static void build(struct shm_writer *w, const struct mkey *m)
{
	shm_ref r, root = 0, order = 0;
	uint8_t *p;

	CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
	if (m->enc == SHM_E_INLINE) {
		r = coll_leaf_new(w, m->key, m->klen, m->type, SHM_E_INLINE,
				  m->e[0].klen, m->expire, &p);
		CU_ASSERT_FATAL(r != 0);
		memcpy(p, m->e[0].k, m->e[0].klen);
	} else if (m->enc == SHM_E_PACK) {
		uint64_t size = 4;

		for (size_t i = 0; i < m->n; i++) {
			size += pack_size(m->e[i].klen);
			if (m->type == SHM_T_HASH)
				size += pack_size(m->e[i].vlen);
			if (m->type == SHM_T_ZSET)
				size += 8;
		}
		r = coll_leaf_new(w, m->key, m->klen, m->type, SHM_E_PACK, size,
				  m->expire, &p);
		CU_ASSERT_FATAL(r != 0);
		pack_put_count(&p, (uint32_t)m->n);
		for (size_t i = 0; i < m->n; i++) {
			pack_put(&p, m->e[i].k, m->e[i].klen);
			if (m->type == SHM_T_HASH)
				pack_put(&p, m->e[i].v, m->e[i].vlen);
			if (m->type == SHM_T_ZSET)
				pack_put_score(&p, m->e[i].score);
		}
	} else {
		struct shm_vcoll d;

		/* root and order stay in this frame until the commit below:
		 * the undo log that points at them is never replayed. */
		for (size_t i = 0; i < m->n; i++) {
			const struct melem *x = &m->e[i];
			shm_ref e = elem_leaf(w, m, x), old;
			uint64_t h = shm_hash(w->view.seed, x->k, x->klen);
			int rc = 0;

			CU_ASSERT_FATAL(e != 0);
			if (m->enc != SHM_E_LTREE) {
				rc = hamt_put(w, &root, h, e, &old);
				CU_ASSERT_FATAL(rc == 0 && old == 0);
			}
			if (m->enc == SHM_E_ZTREE)
				rc = btree_insert_sorted(w, &order, e, x->score,
							 NULL);
			if (m->enc == SHM_E_LTREE)
				rc = btree_insert_at(w, &root, i, e, 0);
			CU_ASSERT_FATAL(rc == 0);
		}
		d.root = root;
		d.order = order;
		d.count = m->n;
		r = coll_leaf_new(w, m->key, m->klen, m->type, m->enc,
				  sizeof(d), m->expire, &p);
		CU_ASSERT_FATAL(r != 0);
		memcpy(p, &d, sizeof(d));
	}
	CU_ASSERT_FATAL(keys_link(w, m->db, r, KEYS_REPLACE, NULL) == 0);
	shm_wr_commit(w);
}

/* One key of every type and encoding, in databases 0..2, a few with TTLs,
 * plus a string whose TTL has passed. */
static void fill(struct shm_writer *w, uint64_t *rs, size_t big)
{
	static const uint8_t types[] = { SHM_T_HASH, SHM_T_SET, SHM_T_ZSET,
					 SHM_T_LIST };
	static const char *const names[] = { "hash", "set", "zset", "list" };
	const int64_t later = 4000000000000ll; /* ms: in 2096 */
	char key[48];

	for (unsigned db = 0; db < 3; db++) {
		snprintf(key, sizeof(key), "str%u", db);
		model_add(rs, db, key, SHM_T_STRING, 0, db ? later : 0);
		for (int t = 0; t < 4; t++) {
			int64_t ttl = (t + (int)db) % 3 ? 0 : later + t;
			size_t small = 1 + tu_rand(rs) % 100;
			size_t large = big + tu_rand(rs) % 300;

			snprintf(key, sizeof(key), "small-%s", names[t]);
			model_add(rs, db, key, types[t], small, ttl);
			snprintf(key, sizeof(key), "big-%s", names[t]);
			model_add(rs, db, key, types[t], large, ttl);
		}
	}
	model_add(rs, 0, "gone", SHM_T_STRING, 0, 1);
	for (int i = 0; i < nmodel; i++) {
		build(w, &model[i]);
		if (i % 7 == 0) /* mix published and born blocks */
			CU_ASSERT_FATAL(shm_wr_publish(w) >= 0);
	}
}

/* ------------------------------------------------------------- checking */

static int walk_init(shmrep_iter *it, const struct shm_view *v,
		     const struct shm_leaf *l)
{
	static const int what[] = {
		[SHM_T_LIST] = IW_LIST, [SHM_T_SET] = IW_SET,
		[SHM_T_ZSET] = IW_ZSET, [SHM_T_HASH] = IW_HASH,
	};
	struct shm_vcoll d;

	if (l->enc == SHM_E_PACK)
		return iter_init_pack(it, what[l->type], shm_leaf_val(l),
				      l->vlen, 0, UINT64_MAX, false);
	memcpy(&d, shm_leaf_val(l), sizeof(d));
	if (l->enc == SHM_E_HAMT) {
		iter_init_hamt(it, what[l->type], v, d.root);
		return 0;
	}
	return iter_init_btree(it, what[l->type], v,
			       l->enc == SHM_E_ZTREE ? d.order : d.root, 0,
			       UINT64_MAX, false);
}

/* The structure of a large value: invariants, counts, shared leaves. */
static void check_structure(struct shm_writer *w, const struct mkey *m,
			    const struct shm_leaf *l)
{
	struct shm_vcoll d;
	uint64_t n = 0;

	memcpy(&d, shm_leaf_val(l), sizeof(d));
	CU_ASSERT(d.count == m->n);
	if (m->enc == SHM_E_LTREE) {
		CU_ASSERT(btree_check(&w->view, d.root, false, &n) == 0);
		CU_ASSERT(n == m->n);
		return;
	}
	CU_ASSERT(hamt_check(&w->view, d.root, &n) == 0);
	CU_ASSERT(n == m->n);
	if (m->enc == SHM_E_ZTREE) {
		struct btree_iter it;
		shm_ref er;
		double s;

		CU_ASSERT(btree_check(&w->view, d.order, true, &n) == 0);
		CU_ASSERT(n == m->n);
		CU_ASSERT_FATAL(btree_iter_init(&it, &w->view, d.order, 0) ==
				0);
		while (btree_iter_next(&it, &er, &s) == 1) {
			const struct shm_leaf *e = shm_leaf_at(&w->view, er);
			const struct shm_leaf *t;
			uint64_t h;

			CU_ASSERT_FATAL(e != NULL);
			h = shm_hash(w->view.seed, e->data, e->klen);
			CU_ASSERT_FATAL(hamt_find(&w->view, d.root, h, e->data,
						  e->klen, &t) == 0);
			/* The order's element is the trie's leaf itself. */
			CU_ASSERT(t == e);
		}
	}
}

/* Key m under key (db, key) in w equals the model, through readers' walks. */
static void check_as(struct shm_writer *w, const struct mkey *m, unsigned db,
		     const char *key, uint32_t klen)
{
	const struct shm_leaf *l;
	struct melem *got, *want;
	shmrep_iter it;
	shmrep_entry e;
	size_t n = 0;
	int rc;

	CU_ASSERT_FATAL(keys_find(w, db, key, klen, &l) == 0);
	CU_ASSERT(l->type == m->type);
	CU_ASSERT(l->enc == m->enc);
	CU_ASSERT(l->expire_ms == m->expire);
	if (m->type == SHM_T_STRING) {
		CU_ASSERT(l->vlen == m->e[0].klen &&
			  memcmp(shm_leaf_val(l), m->e[0].k, l->vlen) == 0);
		return;
	}
	if (m->enc != SHM_E_PACK)
		check_structure(w, m, l);
	got = calloc(m->n + 1, sizeof(*got));
	want = malloc((m->n + 1) * sizeof(*want));
	CU_ASSERT_FATAL(got && want);
	memcpy(want, m->e, m->n * sizeof(*want));
	CU_ASSERT_FATAL(walk_init(&it, &w->view, l) == 0);
	while ((rc = iter_next(&it, &e)) == 1 && n <= m->n) {
		got[n].k = (char *)e.key.ptr;
		got[n].klen = (uint32_t)e.key.len;
		got[n].v = (char *)e.value.ptr;
		got[n].vlen = (uint32_t)e.value.len;
		got[n].score = e.score;
		n++;
	}
	CU_ASSERT(rc == 0);
	CU_ASSERT_FATAL(n == m->n);
	if (m->type == SHM_T_HASH || m->type == SHM_T_SET) {
		qsort(got, n, sizeof(*got), kcmp);
		qsort(want, n, sizeof(*want), kcmp);
	}
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_FATAL(got[i].klen == want[i].klen &&
				memcmp(got[i].k, want[i].k, got[i].klen) == 0);
		if (m->type == SHM_T_HASH)
			CU_ASSERT(got[i].vlen == want[i].vlen &&
				  !memcmp(got[i].v, want[i].v, got[i].vlen));
		if (m->type == SHM_T_ZSET)
			CU_ASSERT(got[i].score == want[i].score);
	}
	free(got);
	free(want);
}

static void check(struct shm_writer *w, const struct mkey *m)
{
	check_as(w, m, m->db, m->key, m->klen);
}

static void check_all(struct shm_writer *w)
{
	uint64_t keys[16] = { 0 };

	for (int i = 0; i < nmodel; i++) {
		if (!model[i].present)
			continue;
		check(w, &model[i]);
		keys[model[i].db]++;
	}
	for (unsigned db = 0; db < 16; db++)
		CU_ASSERT(w->db[db].nkeys == keys[db]);
}

/* Delete every key of every db, publish twice: nothing may remain but
 * the published record and the spare one. */
static void delete_all_and_check_baseline(struct shm_writer *w)
{
	uint64_t snap = alloc_rounded(region_snap_size(w->ndb));

	CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
	for (unsigned db = 0; db < w->ndb; db++)
		keys_flush(w, db);
	shm_wr_commit(w);
	shm_wr_publish(w);
	shm_wr_publish(w);
	CU_ASSERT(w->alloc.used == 2 * snap);
	CU_ASSERT(alloc_check(&w->alloc) == 0);
}

/* ---------------------------------------------------------------- tests */

/* Take a region over (a restart) in mode, and compare everything. */
static void takeover(int mode, size_t big)
{
	const char *name = tu_name("gtake");
	uint64_t rs = tu_seed();
	struct shm_writer *w = tu_writer(name, REGION);
	int saved = tu_mode;
	uint64_t alive = 0;

	CU_ASSERT_FATAL(w != NULL);
	fill(w, &rs, big);
	check_all(w);
	shm_writer_close(w);
	tu_mode = mode;
	w = tu_writer(name, REGION);
	tu_mode = saved;
	CU_ASSERT_FATAL(w != NULL);
	CU_ASSERT(w->mutex == (mode == SHM_MODE_MUTEX));
	/* The key whose TTL had passed is not copied. */
	for (int i = 0; i < nmodel; i++) {
		if (model[i].expire == 1)
			model[i].present = false;
		alive += model[i].present;
	}
	CU_ASSERT(w->st.copied_keys == alive);
	check_all(w);
	CU_ASSERT(alloc_check(&w->alloc) == 0);
	/* And once more, from the copy. */
	shm_writer_close(w);
	tu_mode = mode;
	w = tu_writer(name, REGION);
	tu_mode = saved;
	CU_ASSERT_FATAL(w != NULL);
	check_all(w);
	delete_all_and_check_baseline(w);
	shm_writer_close(w);
	tu_unlink_region(name);
	model_free();
}

static void test_takeover_every_type(void)
{
	takeover(SHM_MODE_RCU, 2000);
}

static void test_takeover_into_mutex(void)
{
	takeover(SHM_MODE_MUTEX, 300);
}

/*
 * A takeover checks what it copies: a sorted set whose B+tree is out of
 * order (built here by position, as no writer would) is refused, and the
 * new writer does not start on it.
 */
static void test_takeover_refuses_bad_zset(void)
{
	const char *name = tu_name("gbad");
	struct shm_writer *w = tu_writer(name, REGION);
	struct shm_vcoll d = { 0 };
	shm_ref r, old;
	uint8_t *p;
	char m[16];

	CU_ASSERT_FATAL(w != NULL);
	CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
	for (int i = 0; i < 200; i++) {
		double s = i == 100 ? -1.0 : i; /* one out of place */
		uint32_t ml = (uint32_t)snprintf(m, sizeof(m), "m%d", i);
		shm_ref e = coll_elem_new(w, m, ml, &s, 8);

		CU_ASSERT_FATAL(e != 0);
		uint64_t h = shm_hash(w->view.seed, m, ml);

		CU_ASSERT_FATAL(hamt_put(w, &d.root, h, e, &old) == 0);
		CU_ASSERT_FATAL(btree_insert_at(w, &d.order, (uint64_t)i, e,
						s) == 0);
	}
	d.count = 200;
	r = coll_leaf_new(w, "z", 1, SHM_T_ZSET, SHM_E_ZTREE, sizeof(d), 0, &p);
	CU_ASSERT_FATAL(r != 0);
	memcpy(p, &d, sizeof(d));
	CU_ASSERT_FATAL(keys_link(w, 0, r, KEYS_REPLACE, NULL) == 0);
	shm_wr_commit(w);
	shm_writer_close(w);
	w = tu_writer(name, REGION);
	CU_ASSERT(w == NULL);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/* Fill the free memory with strings of every size, so that any block
 * freed too early is overwritten; remove them again. */
static void scribble(struct shm_writer *w, uint64_t *rs)
{
	char k[32], v[700];

	for (int i = 0; i < 6000; i++) {
		uint32_t n = (uint32_t)(tu_rand(rs) % sizeof(v));

		memset(v, 'x' + i % 3, n);
		v[n > 0 ? n - 1 : 0] = '\0';
		snprintf(k, sizeof(k), "scribble%d", i);
		CU_ASSERT_FATAL(tu_set(w, 15, k, v, 0) == 0);
	}
	CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
	keys_flush(w, 15);
	shm_wr_commit(w);
}

/*
 * COPY: a deep copy shares nothing with its source.  Every value is
 * copied (same db and another), the source is deleted and its memory
 * reused, and the copy must still read back whole.
 */
static void test_copy_is_deep(void)
{
	const char *name = tu_name("gcopy");
	uint64_t rs = tu_seed();
	struct shm_writer *w = tu_writer(name, REGION);
	int n;

	CU_ASSERT_FATAL(w != NULL);
	fill(w, &rs, 1500);
	n = nmodel;
	for (int i = 0; i < n; i++) {
		struct mkey *src = &model[i], *dst;
		const struct shm_leaf *l;
		char key[sizeof(src->key)];
		int klen;
		shm_ref r;

		if (!src->present || src->expire == 1)
			continue;
		klen = snprintf(key, sizeof(key), "copy-%s", src->key);

		dst = &model[nmodel++];
		*dst = *src;
		dst->db = src->db + 3;
		memcpy(dst->key, key, sizeof(key));
		dst->klen = (uint32_t)klen;
		dst->expire = src->expire ? src->expire + 1 : 0;
		/* Elements are shared with the source's model entry. */
		dst->e = malloc(src->n * sizeof(*dst->e));
		CU_ASSERT_FATAL(dst->e != NULL);
		for (size_t j = 0; j < src->n; j++) {
			dst->e[j] = src->e[j];
			dst->e[j].k = dup_bytes(src->e[j].k, src->e[j].klen);
			dst->e[j].v = src->e[j].v ? dup_bytes(src->e[j].v,
							      src->e[j].vlen)
						  : NULL;
		}
		CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
		CU_ASSERT_FATAL(keys_find(w, src->db, src->key, src->klen,
					  &l) == 0);
		CU_ASSERT_FATAL(keys_copy(w, &w->view, l, dst->key, dst->klen,
					  dst->expire, &r) == 0);
		CU_ASSERT_FATAL(keys_link(w, dst->db, r, KEYS_REPLACE,
					  NULL) == 0);
		shm_wr_commit(w);
		check(w, dst);
		check(w, src);
	}
	shm_wr_publish(w);
	/* Drop every source (and the expired key), reuse their memory. */
	CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
	for (int i = 0; i < n; i++) {
		if (model[i].present)
			CU_ASSERT(keys_unlink(w, model[i].db, model[i].key,
					      model[i].klen) == 0);
		model[i].present = false;
	}
	shm_wr_commit(w);
	shm_wr_publish(w);
	shm_wr_publish(w);
	scribble(w, &rs);
	shm_wr_publish(w);
	check_all(w);
	delete_all_and_check_baseline(w);
	shm_writer_close(w);
	tu_unlink_region(name);
	model_free();
}

/*
 * A copy that runs out of memory part way, at every point: the command is
 * aborted and leaves no trace, in the allocator or anywhere.
 */
static void test_copy_oom_leaves_nothing(void)
{
	const char *name = tu_name("gcopyoom");
	uint64_t rs = tu_seed();
	struct shm_writer *w = tu_writer(name, REGION);
	static const uint8_t types[] = { SHM_T_HASH, SHM_T_ZSET, SHM_T_LIST };

	CU_ASSERT_FATAL(w != NULL);
	for (int t = 0; t < 3; t++)
		build(w, model_add(&rs, 0, t == 0 ? "h" : t == 1 ? "z" : "l",
				   types[t], 400, 0));
	shm_wr_publish(w);
	for (int t = 0; t < 3; t++) {
		for (uint64_t fail = 1; fail < 1000; fail += 1 + fail / 8) {
			uint64_t used = w->alloc.used;
			const struct shm_leaf *l;
			shm_ref r = 0;
			int rc;

			CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
			CU_ASSERT_FATAL(keys_find(w, 0, model[t].key,
						  model[t].klen, &l) == 0);
			w->alloc.fail_after = fail;
			rc = keys_copy(w, &w->view, l, "dst", 3, 0, &r);
			if (!rc)
				rc = keys_link(w, 0, r, KEYS_REPLACE, NULL);
			w->alloc.fail_after = 0;
			CU_ASSERT_FATAL(rc == 0 || rc == -ENOMEM);
			shm_wr_abort(w);
			CU_ASSERT(w->alloc.used == used);
			CU_ASSERT(w->db[0].nkeys == 3);
			if (rc == 0) /* it fitted: the end of the copy */
				break;
		}
		check(w, &model[t]);
	}
	CU_ASSERT(alloc_check(&w->alloc) == 0);
	delete_all_and_check_baseline(w);
	shm_writer_close(w);
	tu_unlink_region(name);
	model_free();
}

/*
 * RENAME and MOVE: the value changes keys without being copied (the new
 * leaf has the old descriptor: same trie, same B+tree), carries its TTL,
 * and the old leaf goes alone: after publication and reclamation the
 * structure must still read back whole.  Renaming over a key that holds a
 * large value frees that value.
 */
static void test_move_keeps_structure(void)
{
	const char *name = tu_name("gmove");
	uint64_t rs = tu_seed();
	struct shm_writer *w = tu_writer(name, REGION);
	int n;

	CU_ASSERT_FATAL(w != NULL);
	fill(w, &rs, 800);
	shm_wr_publish(w);
	n = nmodel;
	for (int i = 0; i < n; i++) {
		struct mkey *m = &model[i];
		struct shm_vcoll before, after;
		const struct shm_leaf *l;
		unsigned ddb = i % 2 ? m->db : (m->db + 5) % 16;
		char dkey[48];
		uint32_t dlen;
		uint64_t sk = w->db[m->db].nkeys, se = w->db[m->db].nexpires;
		uint64_t dk = w->db[ddb].nkeys, de = w->db[ddb].nexpires;

		if (!m->present || m->expire == 1)
			continue;
		dlen = (uint32_t)snprintf(dkey, sizeof(dkey), "moved-%s",
					  m->key);
		CU_ASSERT_FATAL(keys_find(w, m->db, m->key, m->klen, &l) == 0);
		memcpy(&before, shm_leaf_val(l),
		       l->vlen < sizeof(before) ? l->vlen : sizeof(before));
		CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
		CU_ASSERT_FATAL(keys_move(w, m->db, m->key, m->klen, ddb, dkey,
					  dlen) == 0);
		shm_wr_commit(w);
		CU_ASSERT(keys_find(w, m->db, m->key, m->klen, &l) == -ENOENT);
		CU_ASSERT_FATAL(keys_find(w, ddb, dkey, dlen, &l) == 0);
		if (m->enc != SHM_E_INLINE && m->enc != SHM_E_PACK) {
			memcpy(&after, shm_leaf_val(l), sizeof(after));
			CU_ASSERT(after.root == before.root &&
				  after.order == before.order &&
				  after.count == before.count);
		}
		if (ddb == m->db) {
			CU_ASSERT(w->db[ddb].nkeys == sk);
			CU_ASSERT(w->db[ddb].nexpires == se);
		} else {
			uint64_t ttl = m->expire != 0;

			CU_ASSERT(w->db[m->db].nkeys == sk - 1);
			CU_ASSERT(w->db[m->db].nexpires == se - ttl);
			CU_ASSERT(w->db[ddb].nkeys == dk + 1);
			CU_ASSERT(w->db[ddb].nexpires == de + ttl);
		}
		m->db = ddb;
		memcpy(m->key, dkey, dlen + 1);
		m->klen = dlen;
		if (i % 3 == 0)
			shm_wr_publish(w);
	}
	/* Over an existing key: a large hash goes onto a large list, whose
	 * B+tree and elements are freed. */
	{
		struct mkey *h = NULL, *s = NULL;

		for (int i = 0; i < n; i++) {
			if (model[i].enc == SHM_E_HAMT && !h)
				h = &model[i];
			if (model[i].enc == SHM_E_LTREE)
				s = &model[i];
		}
		CU_ASSERT_FATAL(h && s);
		CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
		CU_ASSERT_FATAL(keys_move(w, h->db, h->key, h->klen, s->db,
					  s->key, s->klen) == 0);
		shm_wr_commit(w);
		s->present = false;
		h->db = s->db;
		memcpy(h->key, s->key, sizeof(h->key));
		h->klen = s->klen;
	}
	shm_wr_publish(w);
	shm_wr_publish(w);
	scribble(w, &rs);
	shm_wr_publish(w);
	check_all(w);
	/* Moved and aborted: nothing changes. */
	for (int i = 0; i < n; i++) {
		struct mkey *m = &model[i];
		uint64_t used = w->alloc.used, k0 = w->db[m->db].nkeys;

		if (m->enc != SHM_E_ZTREE || !m->present)
			continue;
		CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
		CU_ASSERT_FATAL(keys_move(w, m->db, m->key, m->klen, 12, "x",
					  1) == 0);
		shm_wr_abort(w);
		CU_ASSERT(w->alloc.used == used && w->db[m->db].nkeys == k0 &&
			  w->db[12].nkeys == 0);
	}
	check_all(w);
	delete_all_and_check_baseline(w);
	shm_writer_close(w);
	tu_unlink_region(name);
	model_free();
}

/* SWAPDB: an aborted swap restores both databases; a committed one is
 * published whole. */
static void test_swapdb(void)
{
	const char *name = tu_name("gswap");
	uint64_t rs = tu_seed();
	struct shm_writer *w = tu_writer(name, REGION);
	struct shm_dbroot d1, d2;
	const struct shm_snap *s;

	CU_ASSERT_FATAL(w != NULL);
	fill(w, &rs, 200);
	shm_wr_publish(w);
	d1 = w->db[1];
	d2 = w->db[2];
	CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
	keys_swap(w, 1, 2);
	CU_ASSERT(w->db[1].root == d2.root && w->db[2].nkeys == d1.nkeys);
	shm_wr_abort(w);
	CU_ASSERT(!memcmp(&w->db[1], &d1, sizeof(d1)) &&
		  !memcmp(&w->db[2], &d2, sizeof(d2)));
	check_all(w);
	CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
	keys_swap(w, 1, 2);
	keys_swap(w, 0, 0);
	shm_wr_commit(w);
	CU_ASSERT(shm_wr_publish(w) == 1);
	s = shm_snap_at(&w->view, w->cur_off);
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT(s->db[1].root == d2.root && s->db[1].nkeys == d2.nkeys &&
		  s->db[1].nexpires == d2.nexpires);
	CU_ASSERT(s->db[2].root == d1.root && s->db[2].nkeys == d1.nkeys);
	for (int i = 0; i < nmodel; i++)
		if (model[i].db == 1 || model[i].db == 2)
			model[i].db = 3 - model[i].db;
	check_all(w);
	delete_all_and_check_baseline(w);
	shm_writer_close(w);
	tu_unlink_region(name);
	model_free();
}

static CU_TestInfo tests[] = {
	{ "takeover_every_type", test_takeover_every_type },
	{ "takeover_into_mutex", test_takeover_into_mutex },
	{ "takeover_refuses_bad_zset", test_takeover_refuses_bad_zset },
	{ "copy_is_deep", test_copy_is_deep },
	{ "copy_oom_leaves_nothing", test_copy_oom_leaves_nothing },
	{ "move_keeps_structure", test_move_keeps_structure },
	{ "swapdb", test_swapdb },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = { { "generic", tests },
					   { NULL, NULL } };

	return tu_main(argc, argv, suites);
}
