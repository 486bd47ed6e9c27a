/*
 * c_list.c - Redis lists in the region (see c_list.h).
 *
 * Two encodings, as layout.h describes them.  A small list is one packed
 * leaf: every change writes a new leaf (at most 128 elements of 64 bytes,
 * under 9 KB, one memcpy) and reads need nothing but the leaf.  A large
 * list is a counted B+tree of element leaves by position: LPUSH, RPOP,
 * LSET and LINDEX are one root-to-bottom path (O(log n)), and a change
 * copies that path only, never the list, so a version can be published
 * after every command while readers keep walking the previous one.  A
 * list converts to the tree once it passes either limit and never back,
 * as Redis's listpacks do.
 *
 * Writers edit through struct clist_ed, which holds the working state of
 * one list during a command: for a packed list an array of views of its
 * elements (into the old leaf and the command's arguments, both valid
 * until the command ends), turned into one new leaf at close, so a
 * 100-element LPUSH writes one leaf, not a hundred; for a large list the
 * tree, changed in place through btree.c, and the descriptor, stored once
 * at close.  Everything removed is dropped, not freed: it stays readable
 * until the command commits, which is what lets a pop reply with elements
 * it has already removed, and an LMOVE push what it popped.
 *
 * Where the working root lives.  btree.c changes the root field it is
 * given through shm_wr_set32, which records the field's address in the
 * undo log; an aborted command writes the old root back there after the
 * command's functions have returned.  So once a large list starts
 * changing, its root moves into a writer cell (shm_wr_cell), which lives
 * until the command ends.  The descriptor itself sits right after the key,
 * at any alignment, so it is only ever read and written with memcpy.
 *
 * Ownership.  A large list's tree owns its element leaves.  A leaf whose
 * tree was changed in the open batch is replaced by one that shares the
 * tree (KEYS_SHARE): the nodes and elements it no longer reaches were
 * dropped one by one on the way.  So a list emptied element by element
 * must lose its leaf alone too: close zeroes the descriptor before the key
 * goes.  A list cleared in one step (LTRIM to nothing, a pop of all of it)
 * does not touch its tree: the leaf goes with the whole tree under it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "c_list.h"
#include "coll.h"
#include "iter.h"
#include "keys.h"
#include "pack.h"
#include "writer.h"

/* ----------------------------------------------------------------- reads */

/* What a list leaf holds, checked. */
struct lval {
	bool tree;
	uint64_t count;
	const uint8_t *val; /* the inline value: packed elements */
	uint64_t vlen;
	shm_ref root; /* large */
};

/*
 * Every element of a packed list within the limits, and nothing after the
 * last: the lengths are read, not the bytes (at most 128 steps).
 */
static int pack_ok(const uint8_t *val, uint64_t vlen, uint32_t *count)
{
	struct pack_rd rd;
	const uint8_t *s;
	uint32_t n = 0, len;
	int rc = pack_open(&rd, val, vlen, &n);

	if (!rc && (n == 0 || n > SHM_PACK_MAX_ENTRIES))
		rc = SHMREP_ECORRUPT;
	for (uint32_t i = 0; !rc && i < n; i++) {
		rc = pack_str(&rd, &s, &len);
		if (!rc && len > SHM_PACK_MAX_BYTES)
			rc = SHMREP_ECORRUPT;
	}
	if (!rc && rd.p != rd.end)
		rc = SHMREP_ECORRUPT;
	*count = n;
	return rc;
}

/*
 * Check list leaf l (its header and key already checked by the lookup that
 * found it) as far as a read of it needs: the value inside the region; a
 * packed value walked whole (so that no later read of it can fail, and
 * LLEN of a damaged one does not answer a made-up count), or a descriptor
 * whose count is the tree's.
 */
static int lval_open(const struct shm_view *v, const struct shm_leaf *l,
		     struct lval *x)
{
	struct shm_vcoll d;
	uint32_t n;
	int rc;

	if (l->type != SHM_T_LIST)
		return SHMREP_EWRONGTYPE;
	if (!shm_leaf_val_ok(v, l))
		return SHMREP_ECORRUPT;
	x->val = shm_leaf_val(l);
	x->vlen = l->vlen;
	x->root = 0;
	switch (l->enc) {
	case SHM_E_PACK:
		rc = pack_ok(x->val, x->vlen, &n);
		if (rc)
			return rc;
		x->tree = false;
		x->count = n;
		return 0;
	case SHM_E_LTREE:
		if (!shm_leaf_desc(l, &d))
			return SHMREP_ECORRUPT;
		rc = btree_count(v, d.root, &x->count);
		if (rc)
			return rc;
		if (x->count == 0 || x->count != d.count)
			return SHMREP_ECORRUPT;
		x->tree = true;
		x->root = d.root;
		return 0;
	default:
		return SHMREP_ECORRUPT;
	}
}

int clist_len(const struct shm_view *v, const struct shm_leaf *l,
	      uint64_t *n)
{
	struct lval x;
	int rc = lval_open(v, l, &x);

	if (rc)
		return rc;
	*n = x.count;
	return 0;
}

/* The element of a large list at pos (< its count), checked. */
static int tree_elem(const struct shm_view *v, shm_ref root, uint64_t pos,
		     shmrep_view *out)
{
	const struct shm_leaf *el;
	shm_ref r;
	double score;
	int rc = btree_select(v, root, pos, &r, &score);

	/* The count said pos is there: a tree that disagrees is corrupt. */
	if (rc)
		return rc == SHMREP_ERANGE ? SHMREP_ECORRUPT : rc;
	el = shm_leaf_at(v, r);
	if (!el)
		return SHMREP_ECORRUPT;
	out->ptr = el->data;
	out->len = el->klen;
	return 0;
}

int clist_index(const struct shm_view *v, const struct shm_leaf *l,
		int64_t index, shmrep_view *out)
{
	struct pack_rd rd;
	struct lval x;
	const uint8_t *s = NULL;
	uint32_t n, len = 0;
	int rc = lval_open(v, l, &x);

	if (rc)
		return rc;
	/* count < 2^32: no overflow either way. */
	if (index < 0)
		index += (int64_t)x.count;
	if (index < 0 || (uint64_t)index >= x.count)
		return SHMREP_ERANGE;
	if (x.tree)
		return tree_elem(v, x.root, (uint64_t)index, out);
	rc = pack_open(&rd, x.val, x.vlen, &n);
	for (int64_t i = 0; !rc && i <= index; i++)
		rc = pack_str(&rd, &s, &len);
	if (rc)
		return rc;
	out->ptr = s;
	out->len = len;
	return 0;
}

int clist_iter(shmrep_iter *it, const struct shm_view *v,
	       const struct shm_leaf *l, uint64_t start, uint64_t count,
	       bool rev)
{
	struct lval x;
	int rc = lval_open(v, l, &x);

	if (!rc && x.tree)
		rc = iter_init_btree(it, IW_LIST, v, x.root, start, count, rev);
	else if (!rc)
		rc = iter_init_pack(it, IW_LIST, x.val, x.vlen, start, count,
				    rev);
	if (rc)
		iter_init_empty(it);
	return rc;
}

bool clist_range(uint64_t len, int64_t start, int64_t stop, uint64_t *from,
		 uint64_t *count)
{
	int64_t n = (int64_t)len;

	/* As Redis: negative counts from the end, then start is clamped to
	 * 0 and stop to the last element.  len < 2^63: no overflow. */
	if (start < 0)
		start += n;
	if (stop < 0)
		stop += n;
	if (start < 0)
		start = 0;
	if (start > stop || start >= n)
		return false;
	if (stop >= n)
		stop = n - 1;
	*from = (uint64_t)start;
	*count = (uint64_t)(stop - start + 1);
	return true;
}

static int ref_cmp(const void *a, const void *b)
{
	shm_ref x = *(const shm_ref *)a, y = *(const shm_ref *)b;

	return (x > y) - (x < y);
}

/* Every element leaf of a large list: an element, held once. */
static int check_elems(const struct shm_view *v, shm_ref root,
		       uint64_t count)
{
	struct btree_iter it;
	shm_ref *refs, r;
	double score;
	uint64_t i = 0;
	int rc;

	refs = malloc(count * sizeof(*refs));
	if (!refs)
		return SHMREP_ENOMEM;
	rc = btree_iter_init(&it, v, root, 0);
	while (!rc && i < count) {
		const struct shm_leaf *el;

		rc = btree_iter_next(&it, &r, &score);
		if (rc != 1) {
			rc = SHMREP_ECORRUPT;
			break;
		}
		rc = 0;
		el = shm_leaf_at(v, r);
		if (!el || el->type != SHM_T_ELEM || el->enc != SHM_E_INLINE ||
		    el->vlen != 0 || score != 0)
			rc = SHMREP_ECORRUPT;
		refs[i++] = r;
	}
	if (!rc) {
		qsort(refs, count, sizeof(*refs), ref_cmp);
		for (i = 1; i < count && !rc; i++)
			if (refs[i] == refs[i - 1])
				rc = SHMREP_ECORRUPT;
	}
	free(refs);
	return rc;
}

int clist_check(const struct shm_view *v, const struct shm_leaf *l,
		uint64_t *n)
{
	struct lval x;
	uint64_t cnt;
	int rc = lval_open(v, l, &x);

	if (rc)
		return rc;
	*n = x.count;
	if (!x.tree)
		return 0; /* lval_open() walked it */
	rc = btree_check(v, x.root, false, &cnt);
	if (rc)
		return rc;
	if (cnt != x.count)
		return SHMREP_ECORRUPT;
	return check_elems(v, x.root, cnt);
}

/* ---------------------------------------------------------------- editor */

/* btree.c's -EOVERFLOW (2^32 elements) cannot happen before the region is
 * full: a list that long would not fit in 64 GiB. */
static int bt_rc(int rc)
{
	return rc == -EOVERFLOW ? -ENOMEM : rc;
}

static shm_ref *ed_rootp(const struct clist_ed *e)
{
	return &e->cell->root;
}

static shm_ref ed_root(const struct clist_ed *e)
{
	return e->cell ? e->cell->root : e->root0;
}

/*
 * Make the tree writable: move its root into a cell (top of the file).  A
 * tree that clear() left to go whole with the leaf is dropped now instead,
 * since a new one starts.
 */
static void ed_cell(struct clist_ed *e)
{
	if (e->cell)
		return;
	if (e->whole) {
		shm_wr_drop_btree(e->w, e->root0, true);
		e->root0 = 0;
		e->whole = false;
	}
	e->cell = shm_wr_cell(e->w, &(struct shm_vcoll){ .root = e->root0 });
}

int clist_open(struct clist_ed *e, struct shm_writer *w, unsigned db,
	       const void *key, uint32_t klen)
{
	const struct shm_leaf *l;
	struct pack_rd rd;
	struct lval x;
	int rc;

	memset(e, 0, sizeof(*e));
	e->w = w;
	e->db = db;
	e->key = key;
	e->klen = klen;
	if (keys_find(w, db, key, klen, &l))
		return 0;
	rc = lval_open(&w->view, l, &x);
	if (rc)
		return rc;
	e->leaf = l;
	e->expire_ms = l->expire_ms;
	e->count = x.count;
	if (x.tree) {
		e->tree = true;
		e->root0 = x.root;
		return 0;
	}
	rc = pack_open(&rd, x.val, x.vlen, &(uint32_t){ 0 });
	for (uint64_t i = 0; !rc && i < x.count; i++) {
		rc = pack_str(&rd, &e->sv[i].p, &e->sv[i].len);
		e->bytes += pack_size(e->sv[i].len);
	}
	return rc;
}

/* The packed elements become a tree (the list outgrew the encoding). */
static int ed_to_tree(struct clist_ed *e)
{
	int rc;

	e->root0 = 0;
	ed_cell(e);
	rc = 0;
	for (uint64_t i = 0; !rc && i < e->count; i++) {
		shm_ref r = coll_elem_new(e->w, e->sv[i].p, e->sv[i].len, NULL,
					  0);

		rc = r ? bt_rc(btree_insert_at(e->w, ed_rootp(e), i, r, 0))
		       : -ENOMEM;
	}
	e->tree = true;
	e->changed = true;
	return rc;
}

/* A new element leaf holding s; 0 if the region is full. */
static shm_ref elem_new(struct clist_ed *e, const void *s, uint64_t len)
{
	/* Longer than a key may be (proto-max-bulk-len raised past 512 MB):
	 * as little room as a full region. */
	if (len > SHM_MAX_KEY)
		return 0;
	return coll_elem_new(e->w, s, (uint32_t)len, NULL, 0);
}

static void elem_drop(struct clist_ed *e, shm_ref r)
{
	shm_wr_drop(e->w, r, keys_leaf_bytes(e->w, r));
}

int clist_get(struct clist_ed *e, uint64_t pos, const uint8_t **p,
	      uint32_t *len)
{
	shmrep_view out;
	int rc;

	if (pos >= e->count)
		return -ERANGE;
	if (!e->tree) {
		*p = e->sv[pos].p;
		*len = e->sv[pos].len;
		return 0;
	}
	rc = tree_elem(&e->w->view, ed_root(e), pos, &out);
	if (rc)
		return rc;
	*p = out.ptr;
	*len = (uint32_t)out.len;
	return 0;
}

int clist_insert(struct clist_ed *e, uint64_t pos, const void *s,
		 uint64_t len)
{
	shm_ref r;
	int rc;

	if (pos > e->count)
		return -ERANGE;
	if (!e->tree) {
		if (len <= SHM_PACK_MAX_BYTES &&
		    e->count < SHM_PACK_MAX_ENTRIES) {
			memmove(&e->sv[pos + 1], &e->sv[pos],
				(e->count - pos) * sizeof(e->sv[0]));
			e->sv[pos].p = s;
			e->sv[pos].len = (uint32_t)len;
			e->bytes += pack_size(len);
			e->count++;
			e->changed = true;
			return 0;
		}
		rc = ed_to_tree(e);
		if (rc)
			return rc;
	}
	ed_cell(e);
	r = elem_new(e, s, len);
	if (!r)
		return -ENOMEM;
	rc = bt_rc(btree_insert_at(e->w, ed_rootp(e), pos, r, 0));
	if (rc)
		return rc;
	e->count++;
	e->changed = true;
	return 0;
}

int clist_delete(struct clist_ed *e, uint64_t pos)
{
	shm_ref old;
	int rc;

	if (pos >= e->count)
		return -ERANGE;
	e->changed = true;
	if (!e->tree) {
		e->bytes -= pack_size(e->sv[pos].len);
		memmove(&e->sv[pos], &e->sv[pos + 1],
			(e->count - pos - 1) * sizeof(e->sv[0]));
		e->count--;
		return 0;
	}
	ed_cell(e);
	rc = btree_delete_at(e->w, ed_rootp(e), pos, &old);
	if (rc)
		return rc;
	elem_drop(e, old);
	e->count--;
	return 0;
}

int clist_set(struct clist_ed *e, uint64_t pos, const void *s, uint64_t len)
{
	shm_ref r, old;
	int rc;

	if (pos >= e->count)
		return -ERANGE;
	e->changed = true;
	if (!e->tree) {
		if (len <= SHM_PACK_MAX_BYTES) {
			e->bytes += pack_size(len);
			e->bytes -= pack_size(e->sv[pos].len);
			e->sv[pos].p = s;
			e->sv[pos].len = (uint32_t)len;
			return 0;
		}
		rc = ed_to_tree(e);
		if (rc)
			return rc;
	}
	ed_cell(e);
	r = elem_new(e, s, len);
	if (!r)
		return -ENOMEM;
	rc = btree_replace_at(e->w, ed_rootp(e), pos, r, 0, &old);
	if (rc)
		return rc;
	elem_drop(e, old);
	return 0;
}

/* Remove every element.  A large list whose tree this command has not
 * touched leaves it whole to the leaf (top of the file). */
static int ed_clear(struct clist_ed *e)
{
	e->changed = true;
	if (!e->tree || (!e->cell && e->root0)) {
		e->whole = e->tree;
		e->count = 0;
		e->bytes = 0;
		return 0;
	}
	if (e->cell) {
		shm_wr_drop_btree(e->w, *ed_rootp(e), true);
		shm_wr_set32(e->w, ed_rootp(e), 0);
	}
	e->count = 0;
	return 0;
}

/*
 * Rebuild the tree from the count elements at start: copies of them in a
 * new tree, the old one dropped whole.  Cheaper than deleting when fewer
 * stay than go.
 */
static int ed_rebuild(struct clist_ed *e, uint64_t start, uint64_t count)
{
	struct shm_writer *w = e->w;
	struct btree_iter it;
	shm_ref old, x, r;
	double score;
	int rc;

	ed_cell(e);
	old = *ed_rootp(e);
	/* The old tree is not changed while it is read: every node the new
	 * one needs is allocated fresh. */
	rc = btree_iter_init(&it, &w->view, old, start);
	if (rc)
		return rc;
	shm_wr_set32(w, ed_rootp(e), 0);
	for (uint64_t i = 0; i < count; i++) {
		const struct shm_leaf *el;

		rc = btree_iter_next(&it, &x, &score);
		if (rc != 1)
			return rc < 0 ? rc : SHMREP_ECORRUPT;
		el = shm_wr_ptr(w, x);
		r = elem_new(e, el->data, el->klen);
		if (!r)
			return -ENOMEM;
		rc = bt_rc(btree_insert_at(w, ed_rootp(e), i, r, 0));
		if (rc)
			return rc;
	}
	shm_wr_drop_btree(w, old, true);
	e->count = count;
	return 0;
}

int clist_keep(struct clist_ed *e, uint64_t start, uint64_t count)
{
	uint64_t n = e->count;
	int rc;

	if (start > n || count > n - start)
		return -ERANGE;
	if (count == n)
		return 0;
	if (count == 0)
		return ed_clear(e);
	e->changed = true;
	if (!e->tree) {
		memmove(e->sv, &e->sv[start], count * sizeof(e->sv[0]));
		e->bytes = 0;
		for (uint64_t i = 0; i < count; i++)
			e->bytes += pack_size(e->sv[i].len);
		e->count = count;
		return 0;
	}
	if (count < n - count)
		return ed_rebuild(e, start, count);
	for (uint64_t i = 0; i < start; i++) {
		rc = clist_delete(e, 0);
		if (rc)
			return rc;
	}
	while (e->count > count) {
		rc = clist_delete(e, count);
		if (rc)
			return rc;
	}
	return 0;
}

int clist_seek(struct clist_cursor *c, const struct clist_ed *e,
	       uint64_t start, bool rev)
{
	c->e = e;
	c->pos = start;
	c->rev = rev;
	if (start >= e->count) {
		c->left = 0;
		return 0;
	}
	c->left = rev ? start + 1 : e->count - start;
	if (!e->tree)
		return 0;
	/* A backward walk starts after start and steps back onto it. */
	return btree_iter_init(&c->bt, &e->w->view, ed_root(e),
			       rev ? start + 1 : start);
}

int clist_next(struct clist_cursor *c, const uint8_t **p, uint32_t *len)
{
	const struct clist_ed *e = c->e;
	const struct shm_leaf *el;
	shm_ref x;
	double score;
	int rc;

	if (!c->left)
		return 0;
	if (!e->tree) {
		*p = e->sv[c->pos].p;
		*len = e->sv[c->pos].len;
	} else {
		rc = c->rev ? btree_iter_prev(&c->bt, &x, &score)
			    : btree_iter_next(&c->bt, &x, &score);
		if (rc != 1)
			return rc < 0 ? rc : SHMREP_ECORRUPT;
		el = shm_leaf_at(&e->w->view, x);
		if (!el)
			return SHMREP_ECORRUPT;
		*p = el->data;
		*len = el->klen;
	}
	c->left--;
	c->pos = c->rev ? c->pos - 1 : c->pos + 1;
	return 1;
}

int clist_find(struct clist_ed *e, uint64_t from, bool rev, const void *s,
	       uint64_t len, uint64_t *pos)
{
	struct clist_cursor c;
	const uint8_t *p;
	uint32_t plen;
	int rc;

	if (rev && from == 0)
		return 0;
	rc = clist_seek(&c, e, rev ? from - 1 : from, rev);
	while (!rc) {
		uint64_t at = c.pos;

		rc = clist_next(&c, &p, &plen);
		if (rc <= 0)
			return rc;
		rc = 0;
		if (plen == len && (len == 0 || memcmp(p, s, len) == 0)) {
			*pos = at;
			return 1;
		}
	}
	return rc;
}

/* Store descriptor d in the list's leaf: in place if the leaf may be
 * changed, else in a new leaf that takes over the old one's tree. */
static int ed_set_desc(struct clist_ed *e, const struct shm_vcoll *d)
{
	const struct shm_leaf *l = e->leaf;
	struct shm_writer *w = e->w;

	/* A large leaf shares its tree with the new descriptor; a packed
	 * one owns nothing and goes. */
	if (l && l->enc == SHM_E_LTREE)
		return coll_set_desc(w, e->db, l, d);
	return coll_link_desc(w, e->db, e->key, e->klen, SHM_T_LIST,
			      SHM_E_LTREE, e->expire_ms, d, false);
}

static int ed_store_pack(struct clist_ed *e)
{
	uint8_t *val;
	shm_ref r = coll_leaf_new(e->w, e->key, e->klen, SHM_T_LIST,
				  SHM_E_PACK, 4 + e->bytes, e->expire_ms, &val);

	if (!r)
		return -ENOMEM;
	pack_put_count(&val, (uint32_t)e->count);
	for (uint64_t i = 0; i < e->count; i++)
		pack_put(&val, e->sv[i].p, e->sv[i].len);
	/* The old leaf, if any, is packed too: it owns nothing. */
	return keys_link(e->w, e->db, r, KEYS_REPLACE, NULL);
}

/* The list is empty: the key goes. */
static int ed_unlink(struct clist_ed *e)
{
	static const struct shm_vcoll none;
	int rc;

	if (!e->leaf)
		return 0;
	/* The tree went piece by piece: the leaf must not take it again. */
	if (e->leaf->enc == SHM_E_LTREE && !e->whole) {
		rc = ed_set_desc(e, &none);
		if (rc)
			return rc;
	}
	return keys_unlink(e->w, e->db, e->key, e->klen);
}

int clist_close(struct clist_ed *e)
{
	struct shm_vcoll d = { 0 };
	int rc;

	if (!e->changed)
		return 0;
	if (e->count == 0) {
		rc = ed_unlink(e);
	} else if (e->tree) {
		d.root = ed_root(e);
		d.count = e->count;
		rc = ed_set_desc(e, &d);
	} else {
		rc = ed_store_pack(e);
	}
	e->changed = false;
	return rc;
}
