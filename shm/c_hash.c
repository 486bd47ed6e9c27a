/*
 * c_hash.c - Redis hashes and sets: small ones packed whole in their leaf,
 * large ones as a trie of element leaves (see c_hash.h for the contract).
 *
 * Why two encodings, and these two.  Most hashes and sets are small (an
 * object's few fields, a handful of tags), and for them one leaf holding
 * everything is the cheapest thing to read: one lookup in the keyspace,
 * then a scan of at most SHM_PACK_MAX_ENTRIES short strings, contiguous in
 * memory.  Changing one copies it whole, which at
 * these sizes costs less than the path copy a trie would need.  Past
 * Redis's listpack limits (128 entries, 64-byte strings) a packed value
 * would make every change O(size), so the collection moves for good to the
 * keyspace's own trie (hamt.c), rooted in a descriptor in the leaf: a
 * change path-copies at most a dozen small nodes, a lookup costs what a
 * key lookup costs, and iteration and SCAN cursors (a field's hash) come
 * with it.  Sets use the same trie with member leaves and no values, so
 * one module serves both; Redis's intset is not reproduced, since element
 * order is not part of any reply's contract.
 *
 * Writing.  Every change of one command to one key goes through a struct
 * upd: a packed collection is loaded into an array of pointers (into the
 * old leaf and the command's arguments, both valid until the command
 * ends), edited there, and written once as a new leaf when the command is
 * done with it; a large one is edited entry by entry in the trie, and its
 * descriptor is written back once at the end.  A packed collection that
 * passes a limit in the middle of a command is converted right there and
 * the rest of the command goes to the trie.
 *
 * Two details decide where a large collection's root lives while it
 * changes.  hamt_put() and hamt_del() store the new root through a pointer
 * and log the old one for an abort; the descriptor inside a leaf follows a
 * key of any length, so it is not aligned, and a root on the caller's stack
 * would be restored by an abort after the frame is gone.  So the working
 * root sits in a writer cell (shm_wr_cell), which lives until the command
 * ends, and the descriptor is read and written with memcpy.
 *
 * Sampling (SPOP, SRANDMEMBER).  A packed collection is indexed directly:
 * exactly uniform.  A trie has no subtree counts to index by, so a random
 * entry is drawn from a window: the SAMPLE_WINDOW entries that follow a
 * random hash (wrapping around), one of them uniformly.  An entry's chance
 * is proportional to the hash distance covered by the window that ends at
 * it, a sum of SAMPLE_WINDOW exponential gaps: the uniform chance times a
 * factor of mean 1 and spread 1 / sqrt(32), about 18 %, for the cost of
 * one short walk (test_hash measures it).  Distinct samples of more than a
 * third of a collection use selection sampling over a full walk instead,
 * which is exact.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_hash.h"
#include "coll.h"
#include "hamt.h"
#include "iter.h"
#include "keys.h"
#include "pack.h"
#include "writer.h"

#define SAMPLE_WINDOW 32u

/* ------------------------------------------------------------------ read */

/* A hash or set's value as its leaf holds it, checked. */
struct cval {
	bool big; /* SHM_E_HAMT: root; else packed bytes p[0, len) */
	bool hash; /* two strings per packed entry, a value per element */
	const uint8_t *p;
	uint64_t len;
	shm_ref root;
	uint64_t n; /* entries */
};

/*
 * The value of collection l, checked: its bytes lie in the region, its
 * encoding is one a hash or set has, a packed count is possible for the
 * bytes that follow it (each string takes at least its 4-byte length,
 * which also bounds every walk over it).  The descriptor's count cannot be
 * checked without a walk, and is only ever used as a count.
 */
static int cval_get(const struct shm_view *v, const struct shm_leaf *l,
		    struct cval *c)
{
	uint64_t off = (uint64_t)((const uint8_t *)l - v->base);
	uint32_t klen = l->klen, vlen = l->vlen;
	uint8_t type = l->type, enc = l->enc;
	const uint8_t *val = l->data + klen;

	if ((type != SHM_T_HASH && type != SHM_T_SET) ||
	    off + sizeof(*l) + klen + vlen > v->size)
		return SHMREP_ECORRUPT;
	c->hash = type == SHM_T_HASH;
	if (enc == SHM_E_PACK) {
		struct pack_rd rd;
		uint32_t count;

		if (pack_open(&rd, val, vlen, &count) ||
		    count > (vlen - 4) / (c->hash ? 8 : 4))
			return SHMREP_ECORRUPT;
		c->big = false;
		c->p = val;
		c->len = vlen;
		c->n = count;
		return 0;
	}
	if (enc == SHM_E_HAMT && vlen == sizeof(struct shm_vcoll)) {
		struct shm_vcoll d;

		memcpy(&d, val, sizeof(d));
		c->big = true;
		c->root = d.root;
		c->n = d.count;
		return 0;
	}
	return SHMREP_ECORRUPT;
}

/* A reader positioned at the first packed entry of c.  The count is the
 * one cval_get() checked, never read again from the region. */
static void cval_rd(const struct cval *c, struct pack_rd *rd)
{
	rd->p = c->p + 4;
	rd->end = c->p + c->len;
}

/* Read the next packed entry into *e: 0 or SHMREP_ECORRUPT. */
static int pack_entry(struct pack_rd *rd, bool hash, shmrep_entry *e)
{
	const uint8_t *s;
	uint32_t len;

	if (pack_str(rd, &s, &len))
		return SHMREP_ECORRUPT;
	e->key.ptr = s;
	e->key.len = len;
	e->value.ptr = NULL;
	e->value.len = 0;
	e->score = 0;
	if (!hash)
		return 0;
	if (pack_str(rd, &s, &len))
		return SHMREP_ECORRUPT;
	e->value.ptr = s;
	e->value.len = len;
	return 0;
}

/* An element leaf as an entry; l was checked whole (shm_leaf_at). */
static void elem_entry(const struct shm_leaf *l, bool hash, shmrep_entry *e)
{
	e->key.ptr = l->data;
	e->key.len = l->klen;
	e->value.ptr = hash ? l->data + l->klen : NULL;
	e->value.len = hash ? l->vlen : 0;
	e->score = 0;
}

/*
 * Find s in collection c: 1 and (for a hash) its value in *val, 0 if it is
 * not there, or SHMREP_ECORRUPT.
 */
static int cval_find(const struct shm_view *v, const struct cval *c,
		     const void *s, size_t len, shmrep_view *val)
{
	const struct shm_leaf *l;
	int rc;

	if (len > SHM_MAX_KEY)
		return 0;
	if (!c->big) {
		struct pack_rd rd;
		shmrep_entry e;

		cval_rd(c, &rd);
		for (uint64_t i = 0; i < c->n; i++) {
			if (pack_entry(&rd, c->hash, &e))
				return SHMREP_ECORRUPT;
			if (e.key.len == len && !memcmp(e.key.ptr, s, len)) {
				if (val)
					*val = e.value;
				return 1;
			}
		}
		return 0;
	}
	rc = hamt_find(v, c->root, shm_hash(v->seed, s, len), s,
		       (uint32_t)len, &l);
	if (rc == SHMREP_ENOENT)
		return 0;
	if (rc)
		return rc;
	/* The lookup checked the header and the key; the value is read only
	 * for hashes, so only they need it checked. */
	if (l->type != SHM_T_ELEM || l->enc != SHM_E_INLINE)
		return SHMREP_ECORRUPT;
	if (val) {
		if (!shm_leaf_val_ok(v, l))
			return SHMREP_ECORRUPT;
		val->ptr = shm_leaf_val(l);
		val->len = l->vlen;
	}
	return 1;
}

int chash_len(const struct shm_view *v, const struct shm_leaf *l, uint64_t *n)
{
	struct cval c;
	int rc = cval_get(v, l, &c);

	*n = rc ? 0 : c.n;
	return rc;
}

int chash_hget(const struct shm_view *v, const struct shm_leaf *l,
	       const void *field, size_t flen, shmrep_view *out)
{
	struct cval c;
	int rc = cval_get(v, l, &c);

	out->ptr = NULL;
	out->len = 0;
	if (rc)
		return rc;
	if (!c.hash)
		return SHMREP_EWRONGTYPE;
	rc = cval_find(v, &c, field, flen, out);
	return rc == 1 ? 0 : rc == 0 ? SHMREP_ENOENT : rc;
}

int chash_sismember(const struct shm_view *v, const struct shm_leaf *l,
		    const void *member, size_t mlen)
{
	struct cval c;
	int rc = cval_get(v, l, &c);

	if (rc)
		return rc;
	return cval_find(v, &c, member, mlen, NULL);
}

int chash_iter(shmrep_iter *it, const struct shm_view *v,
	       const struct shm_leaf *l)
{
	struct cval c;
	int rc = cval_get(v, l, &c);
	int what = l->type == SHM_T_HASH ? IW_HASH : IW_SET;

	if (rc) {
		iter_init_empty(it);
		return rc;
	}
	if (!c.big)
		return iter_init_pack(it, what, c.p, c.len, 0, UINT64_MAX,
				      false);
	iter_init_hamt(it, what, v, c.root);
	return 0;
}

struct scan_arg {
	chash_visit_fn fn;
	void *arg;
	bool hash;
};

static int scan_group(void *arg, const struct shm_leaf *const *ls, unsigned n)
{
	struct scan_arg *a = arg;
	shmrep_entry e;

	for (unsigned i = 0; i < n; i++) {
		elem_entry(ls[i], a->hash, &e);
		a->fn(a->arg, &e);
	}
	return HAMT_NEXT;
}

int chash_scan(const struct shm_view *v, const struct shm_leaf *l,
	       uint64_t *cursor, uint64_t count, chash_visit_fn fn, void *arg)
{
	struct scan_arg a = { .fn = fn, .arg = arg };
	struct cval c;
	int rc = cval_get(v, l, &c);

	if (rc)
		return rc;
	a.hash = c.hash;
	if (!c.big) {
		struct pack_rd rd;
		shmrep_entry e;

		*cursor = 0;
		cval_rd(&c, &rd);
		for (uint64_t i = 0; i < c.n; i++) {
			if (pack_entry(&rd, c.hash, &e))
				return SHMREP_ECORRUPT;
			fn(arg, &e);
		}
		return 0;
	}
	return hamt_scan(v, c.root, cursor, count ? count : 1, scan_group, &a);
}

/* The packed entry at index i (< c->n). */
static int pack_at(const struct cval *c, uint64_t i, shmrep_entry *e)
{
	struct pack_rd rd;
	int rc = 0;

	cval_rd(c, &rd);
	for (uint64_t k = 0; k <= i && !rc; k++)
		rc = pack_entry(&rd, c->hash, e);
	return rc;
}

struct window {
	bool hash;
	unsigned n;
	shmrep_entry e[SAMPLE_WINDOW];
};

static int window_add(void *arg, const struct shm_leaf *const *ls, unsigned n)
{
	struct window *wn = arg;

	for (unsigned i = 0; i < n && wn->n < SAMPLE_WINDOW; i++)
		elem_entry(ls[i], wn->hash, &wn->e[wn->n++]);
	return wn->n == SAMPLE_WINDOW ? HAMT_STOP : HAMT_NEXT;
}

/* One random entry of c (which is not empty). */
static int pick_one(const struct shm_view *v, const struct cval *c,
		    chash_rand_fn rnd, void *arg, shmrep_entry *out)
{
	struct window wn = { .hash = c->hash };
	uint64_t cursor;
	int rc;

	if (!c->big)
		return pack_at(c, rnd(arg) % c->n, out);
	/* From a random hash to the end, then from the start if the window
	 * is not full yet.  With more entries than the window holds, the
	 * second walk cannot reach the first's. */
	cursor = c->n > SAMPLE_WINDOW ? rnd(arg) : 0;
	rc = hamt_scan(v, c->root, &cursor, 0, window_add, &wn);
	if (!rc && wn.n < SAMPLE_WINDOW && c->n > SAMPLE_WINDOW) {
		cursor = 0;
		rc = hamt_scan(v, c->root, &cursor, 0, window_add, &wn);
	}
	if (rc)
		return rc;
	if (!wn.n)
		return SHMREP_ECORRUPT; /* a count with no entries */
	*out = wn.e[rnd(arg) % wn.n];
	return 0;
}

/* Pointers already drawn, for distinct samples: open addressing. */
struct ptrset {
	const void **v;
	size_t mask;
};

static int ptrset_init(struct ptrset *s, uint64_t count)
{
	size_t cap = 16;

	while (cap < 2 * count)
		cap *= 2;
	s->v = calloc(cap, sizeof(*s->v));
	s->mask = cap - 1;
	return s->v ? 0 : SHMREP_ENOMEM;
}

/* Add p: true if it was not there yet. */
static bool ptrset_add(struct ptrset *s, const void *p)
{
	size_t i = (size_t)(((uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ull) >> 32);

	for (;; i++) {
		i &= s->mask;
		if (s->v[i] == p)
			return false;
		if (!s->v[i]) {
			s->v[i] = p;
			return true;
		}
	}
}

/* count distinct entries out of c->n by one walk (Knuth's Algorithm S):
 * every subset of count entries is equally likely. */
static int select_walk(const struct shm_view *v, const struct shm_leaf *l,
		       const struct cval *c, uint64_t count, chash_rand_fn rnd,
		       void *arg, shmrep_entry *out)
{
	shmrep_iter it;
	shmrep_entry e;
	uint64_t seen = 0, chosen = 0;
	int rc = chash_iter(&it, v, l);

	while (!rc && chosen < count) {
		rc = iter_next(&it, &e);
		if (rc <= 0)
			break;
		rc = 0;
		/* A walk with more entries than counted would draw past
		 * out[]: stop at the count. */
		if (seen == c->n)
			return SHMREP_ECORRUPT;
		if (rnd(arg) % (c->n - seen) < count - chosen)
			out[chosen++] = e;
		seen++;
	}
	if (rc < 0)
		return rc;
	return chosen == count ? 0 : SHMREP_ECORRUPT;
}

int chash_sample(const struct shm_view *v, const struct shm_leaf *l,
		 uint64_t count, bool distinct, chash_rand_fn rnd, void *arg,
		 shmrep_entry *out, uint64_t *n)
{
	struct ptrset seen;
	struct cval c;
	uint64_t got = 0, tries = 0;
	int rc = cval_get(v, l, &c);

	*n = 0;
	if (rc || !count || !c.n)
		return rc;
	if (!distinct) {
		for (uint64_t i = 0; i < count && !rc; i++)
			rc = pick_one(v, &c, rnd, arg, &out[i]);
		*n = rc ? 0 : count;
		return rc;
	}
	if (count > c.n)
		count = c.n;
	if (count * 3 > c.n) {
		rc = select_walk(v, l, &c, count, rnd, arg, out);
		*n = rc ? 0 : count;
		return rc;
	}
	/* Few out of many: draw until count different ones came up.  Each
	 * draw is new with a chance of at least 2/3; the bound on tries
	 * only guards against a damaged trie that keeps offering the same
	 * few entries. */
	rc = ptrset_init(&seen, count);
	if (rc)
		return rc;
	while (!rc && got < count) {
		if (++tries > 64 * count + 1024) {
			rc = select_walk(v, l, &c, count, rnd, arg, out);
			got = rc ? 0 : count;
			break;
		}
		rc = pick_one(v, &c, rnd, arg, &out[got]);
		if (!rc && ptrset_add(&seen, out[got].key.ptr))
			got++;
	}
	free(seen.v);
	*n = rc ? 0 : got;
	return rc;
}

/* ----------------------------------------------------------------- write */

/* One entry of a packed collection being edited: pointers into the old
 * leaf or the command's arguments, both stable until the command ends. */
struct pent {
	const uint8_t *k, *v;
	uint32_t klen, vlen;
};

/* One command's changes to one hash or set. */
struct upd {
	struct shm_writer *w;
	unsigned db;
	uint8_t type;
	bool changed;
	bool big; /* a trie at *root with count entries; else e[0, n) */
	const uint8_t *key;
	uint32_t klen;
	const struct shm_leaf *old; /* the key's leaf at open, NULL if none */
	shm_ref *root; /* in a shm_wr_cell() */
	uint64_t count;
	uint32_t n;
	struct pent e[SHM_PACK_MAX_ENTRIES];
};

/*
 * The writer's own packed value does not parse: only a bug in this file
 * can do that.  Stop before the damage is published, as writer.c stops
 * when it cannot keep its undo log.
 */
static void damaged(const struct upd *u)
{
	fprintf(stderr, "shmrep: packed value of key '%.*s' is damaged\n",
		(int)(u->klen > 64 ? 64 : u->klen), (const char *)u->key);
	abort();
}

static bool upd_hash(const struct upd *u)
{
	return u->type == SHM_T_HASH;
}

static void upd_load(struct upd *u, const struct shm_leaf *l)
{
	struct pack_rd rd;
	uint32_t count;

	if (pack_open(&rd, shm_leaf_val(l), l->vlen, &count) ||
	    count > SHM_PACK_MAX_ENTRIES)
		damaged(u);
	for (uint32_t i = 0; i < count; i++) {
		struct pent *p = &u->e[i];

		if (pack_str(&rd, &p->k, &p->klen))
			damaged(u);
		p->v = NULL;
		p->vlen = 0;
		if (upd_hash(u) && pack_str(&rd, &p->v, &p->vlen))
			damaged(u);
	}
	u->n = count;
}

/* Start changing the collection at key: 0, or -EINVAL if the key holds
 * another type (the caller checks that first). */
static int upd_open(struct upd *u, struct shm_writer *w, unsigned db,
		    uint8_t type, const void *key, uint32_t klen)
{
	const struct shm_leaf *l;

	u->w = w;
	u->db = db;
	u->type = type;
	u->changed = false;
	u->big = false;
	u->key = key;
	u->klen = klen;
	u->old = NULL;
	u->root = &shm_wr_cell(w, &(struct shm_vcoll){ 0 })->root;
	u->count = 0;
	u->n = 0;
	if (keys_find(w, db, key, klen, &l))
		return 0;
	if (l->type != type)
		return -EINVAL;
	u->old = l;
	if (l->enc == SHM_E_HAMT) {
		struct shm_vcoll d;

		if (!shm_leaf_desc(l, &d))
			damaged(u);
		*u->root = d.root;
		u->count = d.count;
		u->big = true;
		return 0;
	}
	if (l->enc != SHM_E_PACK)
		damaged(u);
	upd_load(u, l);
	return 0;
}

/* Index of k among the packed entries, or -1. */
static long upd_index(const struct upd *u, const void *k, size_t kl)
{
	for (uint32_t i = 0; i < u->n; i++)
		if (u->e[i].klen == kl && !memcmp(u->e[i].k, k, kl))
			return (long)i;
	return -1;
}

/* Insert a new element leaf for k (and v) in the trie: 1 if k was new,
 * 0 if it replaced k's leaf, or -ENOMEM. */
static int trie_put(struct upd *u, const void *k, size_t kl, const void *v,
		    size_t vl)
{
	struct shm_writer *w = u->w;
	uint64_t h = shm_hash(w->view.seed, k, kl);
	shm_ref elem = coll_elem_new(w, k, (uint32_t)kl, v, (uint32_t)vl), old;

	if (!elem || hamt_put(w, u->root, h, elem, &old))
		return -ENOMEM;
	u->changed = true;
	if (old) {
		shm_wr_drop_leaf(w, old);
		return 0;
	}
	u->count++;
	return 1;
}

/* The packed entries, moved into a trie for good. */
static int upd_convert(struct upd *u)
{
	u->big = true;
	u->count = 0;
	for (uint32_t i = 0; i < u->n; i++) {
		int rc = trie_put(u, u->e[i].k, u->e[i].klen, u->e[i].v,
				  u->e[i].vlen);

		if (rc < 0)
			return rc;
	}
	u->n = 0;
	u->changed = true;
	return 0;
}

/*
 * Set k (to v, in a hash): 1 if k is new, 0 if it was there (and, with nx
 * or in a set, is left alone), or -ENOMEM.
 */
static int upd_put(struct upd *u, const void *k, size_t kl, const void *v,
		   size_t vl, bool nx)
{
	bool keep_if_there = nx || !upd_hash(u);
	const struct shm_leaf *cur;
	int rc;

	if (!u->big) {
		long i = upd_index(u, k, kl);
		bool fits = kl <= SHM_PACK_MAX_BYTES && vl <= SHM_PACK_MAX_BYTES;

		if (i >= 0 && keep_if_there)
			return 0;
		if (fits && (i >= 0 || u->n < SHM_PACK_MAX_ENTRIES)) {
			struct pent *p = &u->e[i >= 0 ? i : u->n++];

			p->k = k;
			p->klen = (uint32_t)kl;
			p->v = v;
			p->vlen = (uint32_t)vl;
			u->changed = true;
			return i < 0;
		}
		rc = upd_convert(u);
		if (rc)
			return rc;
	}
	if (keep_if_there &&
	    hamt_find(&u->w->view, *u->root, shm_hash(u->w->view.seed, k, kl),
		      k, (uint32_t)kl, &cur) == 0)
		return 0;
	return trie_put(u, k, kl, v, vl);
}

/* Remove k: 1 if it was there, 0 if not, or -ENOMEM. */
static int upd_del(struct upd *u, const void *k, size_t kl)
{
	struct shm_writer *w = u->w;
	shm_ref old;
	int rc;

	if (!u->big) {
		long i = upd_index(u, k, kl);

		if (i < 0)
			return 0;
		memmove(&u->e[i], &u->e[i + 1],
			(u->n - (uint32_t)i - 1) * sizeof(u->e[0]));
		u->n--;
		u->changed = true;
		return 1;
	}
	rc = hamt_del(w, u->root, shm_hash(w->view.seed, k, kl), k,
		      (uint32_t)kl, &old);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	shm_wr_drop_leaf(w, old);
	u->count--;
	u->changed = true;
	return 1;
}


/* A new packed leaf for the entries, in place of the old leaf. */
static int upd_store_pack(struct upd *u)
{
	struct shm_writer *w = u->w;
	uint64_t size = 4;
	uint8_t *p;
	shm_ref r;

	for (uint32_t i = 0; i < u->n; i++)
		size += pack_size(u->e[i].klen) +
			(upd_hash(u) ? pack_size(u->e[i].vlen) : 0);
	r = coll_leaf_new(w, u->key, u->klen, u->type, SHM_E_PACK, size,
			  u->old ? u->old->expire_ms : 0, &p);
	if (!r)
		return -ENOMEM;
	pack_put_count(&p, u->n);
	for (uint32_t i = 0; i < u->n; i++) {
		pack_put(&p, u->e[i].k, u->e[i].klen);
		if (upd_hash(u))
			pack_put(&p, u->e[i].v, u->e[i].vlen);
	}
	return keys_link(w, u->db, r, KEYS_REPLACE, NULL);
}

/* Publish the changes into the open batch: 0 or -ENOMEM. */
static int upd_close(struct upd *u)
{
	struct shm_writer *w = u->w;
	struct shm_vcoll d = { .root = *u->root, .count = u->count };
	uint64_t size = u->big ? u->count : u->n;
	int rc;

	if (!u->changed)
		return 0;
	if (u->old && u->old->enc == SHM_E_HAMT) {
		/* Even a trie emptied to root 0 is stored first: the leaf
		 * that goes must not own the nodes already dropped. */
		rc = coll_set_desc(w, u->db, u->old, &d);
		if (rc || size)
			return rc;
		return keys_unlink(w, u->db, u->key, u->klen);
	}
	if (!size)
		return u->old ? keys_unlink(w, u->db, u->key, u->klen) : 0;
	if (u->big)
		return coll_link_desc(w, u->db, u->key, u->klen, u->type,
				      SHM_E_HAMT, u->old ? u->old->expire_ms : 0,
				      &d, false);
	return upd_store_pack(u);
}

int chash_hset(struct shm_writer *w, unsigned db, const void *key,
	       uint32_t klen, const shmrep_view *fv, size_t npairs, bool nx,
	       uint64_t *added)
{
	struct upd u;
	int rc = upd_open(&u, w, db, SHM_T_HASH, key, klen);

	*added = 0;
	for (size_t i = 0; i < npairs && !rc; i++) {
		rc = upd_put(&u, fv[2 * i].ptr, fv[2 * i].len,
			     fv[2 * i + 1].ptr, fv[2 * i + 1].len, nx);
		if (rc > 0) {
			(*added)++;
			rc = 0;
		}
	}
	return rc ? rc : upd_close(&u);
}

int chash_hdel(struct shm_writer *w, unsigned db, const void *key,
	       uint32_t klen, const shmrep_view *f, size_t n,
	       uint64_t *deleted)
{
	struct upd u;
	int rc = upd_open(&u, w, db, SHM_T_HASH, key, klen);

	*deleted = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		rc = upd_del(&u, f[i].ptr, f[i].len);
		if (rc > 0) {
			(*deleted)++;
			rc = 0;
		}
	}
	return rc ? rc : upd_close(&u);
}

int chash_sadd(struct shm_writer *w, unsigned db, const void *key,
	       uint32_t klen, const shmrep_view *m, size_t n, uint64_t *added)
{
	struct upd u;
	int rc = upd_open(&u, w, db, SHM_T_SET, key, klen);

	*added = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		rc = upd_put(&u, m[i].ptr, m[i].len, NULL, 0, false);
		if (rc > 0) {
			(*added)++;
			rc = 0;
		}
	}
	return rc ? rc : upd_close(&u);
}

int chash_srem(struct shm_writer *w, unsigned db, const void *key,
	       uint32_t klen, const shmrep_view *m, size_t n,
	       uint64_t *removed)
{
	struct upd u;
	int rc = upd_open(&u, w, db, SHM_T_SET, key, klen);

	*removed = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		rc = upd_del(&u, m[i].ptr, m[i].len);
		if (rc > 0) {
			(*removed)++;
			rc = 0;
		}
	}
	return rc ? rc : upd_close(&u);
}
