/*
 * keys.c - leaves in databases: the glue between commands and the HAMT.
 *
 * A leaf is immutable once published, like every block: changing a key's
 * value or TTL makes a new leaf (or edits one born in the open batch) and
 * links it in place of the old.  Counts (keys, keys with a TTL) live in the
 * writer's working roots and are changed through the undo log, so an
 * aborted command leaves them as they were.
 *
 * A leaf owns the structure its value points to (a large collection's trie
 * and B+tree), so no two live leaves may point to the same one: deleting
 * either would free it under the other.  Moving a value to another key
 * (keys_move: RENAME, MOVE) therefore hands the structure to the new leaf
 * and drops the old leaf alone, and copying one (keys_copy: COPY, and the
 * takeover of a region at start-up) rebuilds the structure element by
 * element.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "btree.h"
#include "coll.h"
#include "hamt.h"
#include "keys.h"
#include "writer.h"

static struct shm_leaf *wleaf(struct shm_writer *w, shm_ref r)
{
	return shm_wr_ptr(w, r);
}

uint64_t keys_leaf_bytes(struct shm_writer *w, shm_ref r)
{
	const struct shm_leaf *l = wleaf(w, r);

	return shm_leaf_size(l->klen, l->vlen);
}

/*
 * A leaf owns what its value points to: nothing for strings and packed
 * collections; a trie of element leaves (hashes, sets, and a sorted set's
 * members); a B+tree (a sorted set's order, whose elements the member trie
 * owns; a list, which owns its elements).
 */
void shm_wr_free_leaf(struct shm_writer *w, shm_ref r)
{
	const struct shm_leaf *l = wleaf(w, r);
	struct shm_vcoll c;

	if (shm_leaf_desc(l, &c) && l->enc == SHM_E_LTREE) {
		if (c.root)
			btree_free_tree(w, c.root, true);
	} else if (shm_leaf_desc(l, &c)) {
		if (l->enc == SHM_E_ZTREE && c.order)
			btree_free_tree(w, c.order, false);
		if (c.root)
			hamt_free_tree(w, c.root, 0);
	}
	alloc_free(&w->alloc, r, keys_leaf_bytes(w, r));
}

/*
 * At commit: a leaf born in the open batch goes now, its structure through
 * the drop functions (which free what was born in the batch and retire
 * older subtrees whole); an older leaf, and everything under it (all of it
 * older), is retired to be freed deep once no reader can see it.
 */
void shm_wr_release_leaf(struct shm_writer *w, shm_ref r)
{
	const struct shm_leaf *l = wleaf(w, r);
	struct shm_vcoll c;

	if (!shm_wr_new(w, r)) {
		shm_wr_retire(w, r, SHM_DEAD_LEAF, keys_leaf_bytes(w, r));
		return;
	}
	if (shm_leaf_desc(l, &c) && l->enc == SHM_E_LTREE) {
		if (c.root)
			btree_drop_tree(w, c.root, true);
	} else if (shm_leaf_desc(l, &c)) {
		if (l->enc == SHM_E_ZTREE && c.order)
			btree_drop_tree(w, c.order, false);
		if (c.root)
			hamt_drop_tree(w, c.root, 0);
	}
	alloc_free(&w->alloc, r, keys_leaf_bytes(w, r));
}

int keys_find(struct shm_writer *w, unsigned db, const void *key,
	      uint32_t klen, const struct shm_leaf **out)
{
	uint64_t h = shm_hash(w->view.seed, key, klen);
	int rc = hamt_find(&w->view, w->db[db].root, h, key, klen, out);

	return rc == 0 ? 0 : -ENOENT;
}

shm_ref keys_leaf_new(struct shm_writer *w, const void *key, uint32_t klen,
		      uint8_t type, uint64_t vlen, int64_t expire_ms)
{
	shm_ref r;
	struct shm_leaf *l;

	if (klen > SHM_MAX_KEY || vlen > SHM_MAX_VAL)
		return 0;
	r = shm_wr_alloc(w, shm_leaf_size(klen, vlen), true);
	if (!r)
		return 0;
	l = wleaf(w, r);
	l->expire_ms = expire_ms;
	l->klen = klen;
	l->type = type;
	l->enc = SHM_E_INLINE;
	l->flags = 0;
	l->vlen = (uint32_t)vlen;
	l->pad = 0;
	memcpy(l->data, key, klen);
	return r;
}

int keys_link(struct shm_writer *w, unsigned db, shm_ref leaf, int how,
	      bool *created)
{
	struct shm_dbroot *d = &w->db[db];
	const struct shm_leaf *l = wleaf(w, leaf);
	uint64_t h = shm_hash(w->view.seed, l->data, l->klen);
	int64_t nexp = l->expire_ms != 0;
	shm_ref old;
	int rc;

	rc = hamt_put(w, &d->root, h, leaf, &old);
	if (rc)
		return rc;
	if (old) {
		nexp -= wleaf(w, old)->expire_ms != 0;
		if (how == KEYS_SHARE)
			shm_wr_drop(w, old, keys_leaf_bytes(w, old));
		else
			shm_wr_drop_leaf(w, old);
	} else {
		shm_wr_set64(w, &d->nkeys, d->nkeys + 1);
	}
	if (nexp)
		shm_wr_set64(w, &d->nexpires, d->nexpires + (uint64_t)nexp);
	if (created)
		*created = !old;
	return 0;
}

int keys_unlink(struct shm_writer *w, unsigned db, const void *key,
		uint32_t klen)
{
	struct shm_dbroot *d = &w->db[db];
	uint64_t h = shm_hash(w->view.seed, key, klen);
	shm_ref old;
	int rc;

	rc = hamt_del(w, &d->root, h, key, klen, &old);
	if (rc)
		return rc;
	if (wleaf(w, old)->expire_ms)
		shm_wr_set64(w, &d->nexpires, d->nexpires - 1);
	shm_wr_set64(w, &d->nkeys, d->nkeys - 1);
	shm_wr_drop_leaf(w, old);
	return 0;
}

int keys_set_expire(struct shm_writer *w, unsigned db, const void *key,
		    uint32_t klen, int64_t expire_ms)
{
	const struct shm_leaf *l;
	struct shm_leaf *nl;
	uint64_t h = shm_hash(w->view.seed, key, klen), bytes;
	shm_ref r;

	if (hamt_find(&w->view, w->db[db].root, h, key, klen, &l))
		return -ENOENT;
	if (l->expire_ms == expire_ms)
		return 0;
	r = (shm_ref)(((const uint8_t *)l - w->base) >> SHM_UNIT_SHIFT);
	if (shm_wr_born(w, r)) {
		struct shm_dbroot *d = &w->db[db];
		int64_t delta = (expire_ms != 0) - (l->expire_ms != 0);

		nl = wleaf(w, r);
		shm_wr_undo(w, &nl->expire_ms, sizeof(nl->expire_ms));
		nl->expire_ms = expire_ms;
		if (delta)
			shm_wr_set64(w, &d->nexpires, d->nexpires + (uint64_t)delta);
		return 0;
	}
	bytes = keys_leaf_bytes(w, r);
	r = shm_wr_alloc(w, bytes, false);
	if (!r)
		return -ENOMEM;
	nl = wleaf(w, r);
	memcpy(nl, l, bytes);
	nl->birth = w->open_ver;
	nl->expire_ms = expire_ms;
	return keys_link(w, db, r, KEYS_SHARE, NULL);
}

void keys_flush(struct shm_writer *w, unsigned db)
{
	struct shm_dbroot *d = &w->db[db];

	if (d->root)
		shm_wr_drop_tree(w, d->root, 0);
	shm_wr_set32(w, &d->root, 0);
	shm_wr_set64(w, &d->nkeys, 0);
	shm_wr_set64(w, &d->nexpires, 0);
}

void keys_swap(struct shm_writer *w, unsigned a, unsigned b)
{
	struct shm_dbroot t = w->db[a];

	if (a == b)
		return;
	shm_wr_undo(w, &w->db[a], sizeof(t));
	shm_wr_undo(w, &w->db[b], sizeof(t));
	w->db[a] = w->db[b];
	w->db[b] = t;
}

int keys_move(struct shm_writer *w, unsigned sdb, const void *key,
	      uint32_t klen, unsigned ddb, const void *dkey, uint32_t dklen)
{
	struct shm_dbroot *d = &w->db[sdb];
	const struct shm_leaf *l;
	struct shm_leaf *nl;
	shm_ref r, old;
	int rc;

	if (keys_find(w, sdb, key, klen, &l))
		return -ENOENT;
	if (sdb == ddb && klen == dklen && memcmp(key, dkey, klen) == 0)
		return 0; /* onto itself: nothing moves */
	r = keys_leaf_new(w, dkey, dklen, l->type, l->vlen, l->expire_ms);
	if (!r)
		return -ENOMEM;
	nl = wleaf(w, r);
	nl->enc = l->enc;
	nl->flags = l->flags;
	memcpy(nl->data + dklen, l->data + l->klen, l->vlen);
	rc = keys_link(w, ddb, r, KEYS_REPLACE, NULL);
	if (rc)
		return rc;
	/* As keys_unlink, but the old leaf goes as a block: what it points
	 * to belongs to the new leaf now. */
	rc = hamt_del(w, &d->root, shm_hash(w->view.seed, key, klen), key,
		      klen, &old);
	if (rc)
		return rc;
	if (wleaf(w, old)->expire_ms)
		shm_wr_set64(w, &d->nexpires, d->nexpires - 1);
	shm_wr_set64(w, &d->nkeys, d->nkeys - 1);
	shm_wr_drop(w, old, keys_leaf_bytes(w, old));
	return 0;
}

/* ------------------------------------------------------------ deep copy */

/* Element leaf e (checked by the walk that found it) is one, copied into
 * w: 0 and *out, -ENOMEM or SHMREP_ECORRUPT. */
static int elem_copy(struct shm_writer *w, const struct shm_leaf *e,
		     shm_ref *out)
{
	if (e->type != SHM_T_ELEM || e->enc != SHM_E_INLINE)
		return SHMREP_ECORRUPT;
	*out = coll_elem_new(w, e->data, e->klen, e->data + e->klen, e->vlen);
	return *out ? 0 : -ENOMEM;
}

/* Put element leaf r (a copy) into the trie at *root; it must be new. */
static int trie_add(struct shm_writer *w, shm_ref *root, shm_ref r)
{
	const struct shm_leaf *e = wleaf(w, r);
	shm_ref old;
	int rc = hamt_put(w, root, shm_hash(w->view.seed, e->data, e->klen), r,
			  &old);

	if (rc)
		return rc;
	return old ? SHMREP_ECORRUPT : 0; /* the same element twice */
}

/* A large hash or set: every element of the trie at root, in hash order of
 * the source, into a trie of w's. */
static int copy_trie(struct shm_writer *w, const struct shm_view *from,
		     shm_ref root, struct shm_vcoll *cell, uint64_t *n)
{
	struct hamt_iter it;
	const struct shm_leaf *e;
	shm_ref r;
	int rc;

	hamt_iter_init(&it, from, root);
	while ((rc = hamt_iter_next(&it, &e)) == 1) {
		rc = elem_copy(w, e, &r);
		if (!rc)
			rc = trie_add(w, &cell->root, r);
		if (rc)
			return rc;
		(*n)++;
	}
	return rc;
}

/* Whether (s, e) comes after (ps, p) in a sorted set: by score, then by
 * member bytes as Redis's sdscmp (btree.h).  Never after a NaN. */
static bool zset_after(double ps, const struct shm_leaf *p, double s,
		       const struct shm_leaf *e)
{
	uint32_t n = p->klen < e->klen ? p->klen : e->klen;
	int d;

	if (s != ps)
		return s > ps;
	d = memcmp(p->data, e->data, n);
	return d ? d < 0 : p->klen < e->klen;
}

/*
 * A large sorted set or list: the elements of the B+tree at root, in
 * order.  Each copy is appended to the new tree, and for a sorted set also
 * put into its member trie, which owns it: the tree's elements must be the
 * trie's leaves.  A sorted set is checked on the way (scores not NaN and
 * equal to the members' values, elements strictly increasing), since the
 * new tree is built by position and would take any order.
 */
static int copy_btree(struct shm_writer *w, const struct shm_view *from,
		      shm_ref root, bool zset, struct shm_vcoll *cell,
		      uint64_t *n)
{
	struct btree_iter it;
	const struct shm_leaf *e, *prev = NULL;
	double score, pscore = 0, lscore;
	shm_ref er, r;
	int rc = root ? btree_iter_init(&it, from, root, 0) : 0;

	if (!root || rc)
		return rc;
	while ((rc = btree_iter_next(&it, &er, &score)) == 1) {
		e = shm_leaf_at(from, er);
		if (!e)
			return SHMREP_ECORRUPT;
		if (zset) {
			if (e->vlen != sizeof(double))
				return SHMREP_ECORRUPT;
			memcpy(&lscore, e->data + e->klen, sizeof(double));
			if (score != score || lscore != score ||
			    (prev && !zset_after(pscore, prev, score, e)))
				return SHMREP_ECORRUPT;
			prev = e;
			pscore = score;
		}
		rc = elem_copy(w, e, &r);
		if (!rc && zset)
			rc = trie_add(w, &cell->root, r);
		if (!rc)
			rc = btree_insert_at(w, zset ? &cell->order
						     : &cell->root,
					     *n, r, score);
		if (rc)
			return rc == -EOVERFLOW ? -ENOMEM : rc;
		(*n)++;
	}
	return rc;
}

/* The encodings that hold refs, and the types they belong to. */
static bool coll_enc_ok(const struct shm_leaf *l)
{
	switch (l->enc) {
	case SHM_E_HAMT:
		return l->type == SHM_T_HASH || l->type == SHM_T_SET;
	case SHM_E_ZTREE:
		return l->type == SHM_T_ZSET;
	case SHM_E_LTREE:
		return l->type == SHM_T_LIST;
	default:
		return false;
	}
}

int keys_copy(struct shm_writer *w, const struct shm_view *from,
	      const struct shm_leaf *l, const void *key, uint32_t klen,
	      int64_t expire_ms, shm_ref *out)
{
	struct shm_vcoll od, *cell;
	struct shm_leaf *nl;
	uint64_t n = 0;
	shm_ref r;
	int rc;

	if (!shm_leaf_val_ok(from, l))
		return SHMREP_ECORRUPT;
	if (l->enc != SHM_E_HAMT && l->enc != SHM_E_ZTREE &&
	    l->enc != SHM_E_LTREE) {
		/* Strings and packed collections: the value is the bytes. */
		r = keys_leaf_new(w, key, klen, l->type, l->vlen, expire_ms);
		if (!r)
			return -ENOMEM;
		nl = wleaf(w, r);
		nl->enc = l->enc;
		nl->flags = l->flags;
		memcpy(nl->data + klen, l->data + l->klen, l->vlen);
		*out = r;
		return 0;
	}
	/* A large collection: its descriptor, then its structure, built on
	 * roots in a writer cell (an abort restores them after we return). */
	if (!coll_enc_ok(l) || !shm_leaf_desc(l, &od))
		return SHMREP_ECORRUPT;
	cell = shm_wr_cell(w, &(struct shm_vcoll){ 0 });
	if (l->enc == SHM_E_HAMT)
		rc = copy_trie(w, from, od.root, cell, &n);
	else if (l->enc == SHM_E_ZTREE)
		rc = copy_btree(w, from, od.order, true, cell, &n);
	else
		rc = copy_btree(w, from, od.root, false, cell, &n);
	if (!rc && n != od.count)
		rc = SHMREP_ECORRUPT;
	if (!rc) {
		r = keys_leaf_new(w, key, klen, l->type, sizeof(*cell),
				  expire_ms);
		rc = r ? 0 : -ENOMEM;
	}
	if (!rc) {
		nl = wleaf(w, r);
		nl->enc = l->enc;
		nl->flags = l->flags;
		cell->count = n;
		memcpy(nl->data + klen, cell, sizeof(*cell));
		*out = r;
	}
	return rc;
}
