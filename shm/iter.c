/*
 * iter.c - iteration (shmrep_iter_next) over packed values, tries and B+trees.
 *
 * A packed value is walked forwards by reading one entry after another;
 * backwards (ZREVRANGE, on at most SHM_PACK_MAX_ENTRIES entries) by reading
 * from the start up to the wanted position each time, which costs nothing
 * worth an index.  Every read is bounds-checked by pack.h, hamt.c and
 * btree.c: a corrupt value ends the walk with SHMREP_ECORRUPT.
 */
#include <string.h>

#include "iter.h"

void iter_init_empty(shmrep_iter *it)
{
	struct iter_impl *x = iter_impl(it);

	memset(x, 0, sizeof(*x));
	x->kind = IT_EMPTY;
}

/* Strings per element of a packed value, and whether a score follows. */
static unsigned pack_strings(int what)
{
	return what == IW_HASH ? 2 : 1;
}

/* Read one packed element into *e (zeroed parts left zero). */
static int pack_read(struct pack_rd *rd, int what, shmrep_entry *e)
{
	const uint8_t *s;
	uint32_t len;
	int rc = pack_str(rd, &s, &len);

	if (rc)
		return rc;
	e->key.ptr = s;
	e->key.len = len;
	if (pack_strings(what) == 2) {
		rc = pack_str(rd, &s, &len);
		if (rc)
			return rc;
		e->value.ptr = s;
		e->value.len = len;
	}
	if (what == IW_ZSET)
		return pack_score(rd, &e->score);
	return 0;
}

/* Position rd before element pos of the packed value. */
static int pack_seek(struct iter_impl *x, uint32_t pos)
{
	uint32_t count;
	shmrep_entry e;
	int rc = pack_open(&x->u.pack.rd, x->u.pack.val, x->u.pack.vlen, &count);

	for (uint32_t i = 0; !rc && i < pos; i++)
		rc = pack_read(&x->u.pack.rd, x->what, &e);
	return rc;
}

int iter_init_pack(shmrep_iter *it, int what, const void *val, uint64_t vlen,
		   uint64_t start, uint64_t count, bool rev)
{
	struct iter_impl *x = iter_impl(it);
	struct pack_rd rd;
	uint32_t n;
	int rc = pack_open(&rd, val, vlen, &n);

	memset(x, 0, sizeof(*x));
	if (rc)
		return rc;
	/* A packed value never holds more (it converts first), and a
	 * reverse walk rescans from the start at each step: refusing more
	 * keeps a damaged count from making that quadratic walk long. */
	if (n > SHM_PACK_MAX_ENTRIES)
		return SHMREP_ECORRUPT;
	x->kind = IT_PACK;
	x->what = (uint8_t)what;
	x->rev = rev;
	x->u.pack.val = val;
	x->u.pack.vlen = vlen;
	x->u.pack.count = n;
	if (start >= n) {
		x->left = 0;
		return 0;
	}
	x->u.pack.next = (uint32_t)start;
	/* Elements available from start in the walk's direction. */
	x->left = rev ? start + 1 : n - start;
	if (count < x->left)
		x->left = count;
	return rev ? 0 : pack_seek(x, (uint32_t)start);
}

void iter_init_hamt(shmrep_iter *it, int what, const struct shm_view *v,
		    shm_ref root)
{
	struct iter_impl *x = iter_impl(it);

	memset(x, 0, sizeof(*x));
	x->kind = IT_HAMT;
	x->what = (uint8_t)what;
	x->left = UINT64_MAX;
	hamt_iter_init(&x->u.hamt, v, root);
}

int iter_init_btree(shmrep_iter *it, int what, const struct shm_view *v,
		    shm_ref root, uint64_t start, uint64_t count, bool rev)
{
	struct iter_impl *x = iter_impl(it);
	uint64_t n;
	int rc = btree_count(v, root, &n);

	memset(x, 0, sizeof(*x));
	if (rc)
		return rc;
	x->kind = IT_BTREE;
	x->what = (uint8_t)what;
	x->rev = rev;
	if (start >= n) {
		x->left = 0;
		return 0;
	}
	x->left = rev ? start + 1 : n - start;
	if (count < x->left)
		x->left = count;
	/* A reverse walk starts after start and steps back onto it. */
	rc = btree_iter_init(&x->u.bt, v, root, rev ? start + 1 : start);
	if (rc)
		x->left = 0;
	return rc;
}

/* An element leaf as an entry: its key bytes, and for hashes its value. */
static int leaf_entry(const struct shm_leaf *l, int what, shmrep_entry *e)
{
	e->key.ptr = l->data;
	e->key.len = l->klen;
	if (what == IW_HASH) {
		e->value.ptr = l->data + l->klen;
		e->value.len = l->vlen;
	}
	return 1;
}

static int next_pack(struct iter_impl *x, shmrep_entry *e)
{
	int rc;

	if (x->rev) {
		/* Read up to the wanted element from the start. */
		rc = pack_seek(x, x->u.pack.next);
		if (!rc)
			rc = pack_read(&x->u.pack.rd, x->what, e);
		x->u.pack.next--;
	} else {
		rc = pack_read(&x->u.pack.rd, x->what, e);
		x->u.pack.next++;
	}
	return rc ? rc : 1;
}

static int next_btree(struct iter_impl *x, shmrep_entry *e)
{
	const struct shm_leaf *l;
	shm_ref elem;
	double score;
	int rc = x->rev ? btree_iter_prev(&x->u.bt, &elem, &score)
			: btree_iter_next(&x->u.bt, &elem, &score);

	if (rc <= 0)
		return rc < 0 ? rc : SHMREP_ECORRUPT; /* fewer than counted */
	l = shm_leaf_at(x->u.bt.v, elem);
	if (!l)
		return SHMREP_ECORRUPT;
	e->score = score;
	return leaf_entry(l, x->what, e);
}

int iter_next(shmrep_iter *it, shmrep_entry *out)
{
	struct iter_impl *x = iter_impl(it);
	const struct shm_leaf *l;
	int rc;

	if (x->err)
		return x->err;
	memset(out, 0, sizeof(*out));
	switch (x->kind) {
	case IT_PACK:
		if (!x->left)
			return 0;
		rc = next_pack(x, out);
		break;
	case IT_HAMT:
		rc = hamt_iter_next(&x->u.hamt, &l);
		if (rc == 1)
			rc = leaf_entry(l, x->what, out);
		break;
	case IT_BTREE:
		if (!x->left)
			return 0;
		rc = next_btree(x, out);
		break;
	default:
		return 0;
	}
	if (rc < 0) {
		x->err = rc;
		return rc;
	}
	if (rc > 0)
		x->left--;
	return rc;
}
