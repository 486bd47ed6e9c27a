/*
 * keys.c - leaves in databases: the glue between commands and the HAMT.
 *
 * A leaf is immutable once published, like every block: changing a key's
 * value or TTL makes a new leaf (or edits one born in the open batch) and
 * links it in place of the old.  Counts (keys, keys with a TTL) live in the
 * writer's working roots and are changed through the undo log, so an
 * aborted command leaves them as they were.
 */
#include <errno.h>
#include <string.h>

#include "btree.h"
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

/* The structure a large collection's leaf points to, if any. */
static const struct shm_vcoll *vcoll(const struct shm_leaf *l)
{
	if (l->enc != SHM_E_HAMT && l->enc != SHM_E_ZTREE &&
	    l->enc != SHM_E_LTREE)
		return NULL;
	return (const struct shm_vcoll *)(const void *)(l->data + l->klen);
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
	const struct shm_vcoll *c = vcoll(l);

	if (c && l->enc == SHM_E_LTREE) {
		if (c->root)
			btree_free_tree(w, c->root, true);
	} else if (c) {
		if (l->enc == SHM_E_ZTREE && c->order)
			btree_free_tree(w, c->order, false);
		if (c->root)
			hamt_free_tree(w, c->root, 0);
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
	const struct shm_vcoll *c = vcoll(l);

	if (!shm_wr_new(w, r)) {
		shm_wr_retire(w, r, SHM_DEAD_LEAF, keys_leaf_bytes(w, r));
		return;
	}
	if (c && l->enc == SHM_E_LTREE) {
		if (c->root)
			btree_drop_tree(w, c->root, true);
	} else if (c) {
		if (l->enc == SHM_E_ZTREE && c->order)
			btree_drop_tree(w, c->order, false);
		if (c->root)
			hamt_drop_tree(w, c->root, 0);
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
