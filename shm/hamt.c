/*
 * hamt.c - ordered scans and copy-on-write updates of the keyspace trie
 * (lookups are inline, in read.h).
 *
 * Why a HAMT: a persistent structure whose update copies one root-to-leaf
 * path (at most 12 small nodes) instead of the table, which is what lets the
 * writer publish a new version of a million-key database in microseconds
 * while readers keep the old one.  A node has a bitmap of the children it
 * has and a leafmap saying which are leaves, so refs need no tags; as in
 * CHAMP, deletion folds nodes back so the shape depends only on the set of
 * keys.  Hash bits are taken
 * most significant first, so walking the trie in bit order visits keys in
 * numeric hash order: a SCAN cursor is just the next hash to visit, and it
 * stays valid across any number of writes.
 *
 * Updates work on the open batch (writer.h): a node born in the batch is
 * changed in place (after logging its old bytes for abort); an older node is
 * copied and the original dropped, to be retired when the command commits.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hamt.h"
#include "writer.h"

#define POPC(x) ((unsigned)__builtin_popcountll(x))
#define BIT(b) (1ull << (b))

/* ------------------------------------------------------------------ read */

struct scan_ctx {
	const struct shm_view *v;
	uint64_t cursor;
	uint64_t limit, seen;
	hamt_visit_fn fn;
	void *arg;
	bool stopped;
	uint64_t next; /* cursor to hand back */
	bool any; /* a group was offered: last is its hash */
	uint64_t last;
};

static uint64_t leaf_hash(const struct shm_view *v, const struct shm_leaf *l)
{
	return shm_hash(v->seed, l->data, l->klen);
}

/*
 * Offer one group of leaves sharing hash h; returns <0 on error.  A sound
 * trie yields strictly increasing hashes; anything else means shared or
 * cyclic children in a corrupt region, which could otherwise make one walk
 * take exponential time.  Since each hash offered is new, a walk offers at
 * most as many groups as the region holds leaves.
 */
static int scan_group(struct scan_ctx *c, const struct shm_leaf *const *ls,
		      unsigned n, uint64_t h)
{
	int rc;

	if (c->any && h <= c->last)
		return SHMREP_ECORRUPT;
	c->any = true;
	c->last = h;
	rc = c->fn(c->arg, ls, n);

	if (rc == HAMT_REFUSE) {
		c->stopped = true;
		c->next = h;
		return 0;
	}
	c->seen += n;
	if (rc == HAMT_STOP || (c->limit && c->seen >= c->limit)) {
		c->stopped = true;
		c->next = h + 1; /* 0 after the largest hash: the walk is over */
	}
	return 0;
}

/* The node at r with its entry count, checked whole; NULL if corrupt. */
static const struct shm_node *node_at(const struct shm_view *v, shm_ref r,
				      unsigned *nent)
{
	const struct shm_node *n = shm_fast(v, r);
	uint64_t map;

	if (!n)
		return NULL;
	map = n->bitmap;
	/* Only a root may be empty (and an empty root is stored as ref 0). */
	if (!map || (n->leafmap & ~map))
		return NULL;
	*nent = POPC(map);
	return n;
}

static int scan_node(struct scan_ctx *c, shm_ref r, unsigned depth, bool edge)
{
	const struct shm_view *v = c->v;

	if (depth == SHM_HAMT_MAXDEPTH) {
		const struct shm_leaf *stack[16], **ls = stack;
		unsigned count;
		const struct shm_cnode *cn = shm_cnode_at(v, r, &count);
		uint64_t h;
		int rc = 0;

		if (!cn)
			return SHMREP_ECORRUPT;
		/* Full 64-bit collisions: almost never more than a few. */
		if (count > 16 && !(ls = malloc(count * sizeof(*ls))))
			return SHMREP_ENOMEM;
		for (unsigned i = 0; i < count && !rc; i++)
			if (!(ls[i] = shm_leaf_at(v, cn->ent[i])))
				rc = SHMREP_ECORRUPT;
		if (!rc) {
			h = leaf_hash(v, ls[0]);
			if (!edge || h >= c->cursor)
				rc = scan_group(c, ls, count, h);
		}
		if (ls != stack)
			free(ls);
		return rc;
	}

	unsigned nent, start = edge ? shm_chunk(c->cursor, depth) : 0;
	const struct shm_node *n = node_at(v, r, &nent);
	uint64_t map, m;

	if (!n)
		return SHMREP_ECORRUPT;
	map = n->bitmap;
	m = map & ~(BIT(start) - 1);
	while (m && !c->stopped) {
		unsigned b = (unsigned)__builtin_ctzll(m);
		uint64_t bit = BIT(b);
		shm_ref e = n->ent[POPC(map & (bit - 1))];
		bool on_edge = edge && b == start;
		int rc;

		m &= m - 1;
		if (n->leafmap & bit) {
			const struct shm_leaf *l = shm_leaf_at(v, e);
			uint64_t h;

			if (!l)
				return SHMREP_ECORRUPT;
			h = leaf_hash(v, l);
			if (on_edge && h < c->cursor)
				continue;
			rc = scan_group(c, &l, 1, h);
		} else {
			rc = scan_node(c, e, depth + 1, on_edge);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

int hamt_scan(const struct shm_view *v, shm_ref root, uint64_t *cursor,
	      uint64_t limit, hamt_visit_fn fn, void *arg)
{
	struct scan_ctx c = {
		.v = v, .cursor = *cursor, .limit = limit, .fn = fn, .arg = arg,
	};
	int rc = 0;

	if (root)
		rc = scan_node(&c, root, 0, true);
	if (rc < 0)
		return rc;
	*cursor = c.stopped ? c.next : 0;
	return 0;
}

void hamt_iter_init(struct hamt_iter *it, const struct shm_view *v,
		    shm_ref root)
{
	it->v = v;
	it->depth = 0;
	it->ci = 0;
	it->any = false;
	it->last = 0;
	if (root) {
		it->st[0].node = root;
		it->st[0].rest = ~0ull;
		it->depth = 1;
	}
}

/* Hand out l, checking that hashes strictly increase (see hamt_scan). */
static int iter_emit(struct hamt_iter *it, const struct shm_leaf *l,
		     const struct shm_leaf **out)
{
	uint64_t h = leaf_hash(it->v, l);

	if (it->any && h <= it->last)
		return SHMREP_ECORRUPT;
	it->any = true;
	it->last = h;
	*out = l;
	return 1;
}

int hamt_iter_next(struct hamt_iter *it, const struct shm_leaf **out)
{
	const struct shm_view *v = it->v;

	while (it->depth) {
		unsigned d = it->depth - 1, nent;
		shm_ref r = it->st[d].node;

		if (d == SHM_HAMT_MAXDEPTH) {
			unsigned count;
			const struct shm_cnode *cn = shm_cnode_at(v, r, &count);
			const struct shm_leaf *l;

			if (!cn)
				return SHMREP_ECORRUPT;
			if (it->ci == count) {
				it->ci = 0;
				it->depth--;
				continue;
			}
			l = shm_leaf_at(v, cn->ent[it->ci]);
			if (!l)
				return SHMREP_ECORRUPT;
			/* A collision group shares one hash: check it once. */
			if (it->ci++ == 0)
				return iter_emit(it, l, out);
			*out = l;
			return 1;
		}
		const struct shm_node *n = node_at(v, r, &nent);
		uint64_t m, bit;
		shm_ref e;

		if (!n)
			return SHMREP_ECORRUPT;
		m = n->bitmap & it->st[d].rest;
		if (!m) {
			it->depth--;
			continue;
		}
		bit = m & (0 - m);
		it->st[d].rest &= ~bit;
		e = n->ent[POPC(n->bitmap & (bit - 1))];
		if (n->leafmap & bit) {
			const struct shm_leaf *l = shm_leaf_at(v, e);

			if (!l)
				return SHMREP_ECORRUPT;
			return iter_emit(it, l, out);
		}
		it->st[d + 1].node = e;
		it->st[d + 1].rest = ~0ull;
		it->ci = 0;
		it->depth++;
	}
	return 0;
}

static int check_node(const struct shm_view *v, shm_ref r, unsigned depth,
		      uint64_t prefix, bool is_root, uint64_t *nleaves)
{
	if (depth == SHM_HAMT_MAXDEPTH) {
		unsigned count;
		const struct shm_cnode *cn = shm_cnode_at(v, r, &count);

		if (!cn)
			return SHMREP_ECORRUPT;
		for (unsigned i = 0; i < count; i++) {
			const struct shm_leaf *l = shm_leaf_at(v, cn->ent[i]);

			if (!l || leaf_hash(v, l) != prefix)
				return SHMREP_ECORRUPT;
			for (unsigned j = 0; j < i; j++)
				if (shm_key_eq(shm_leaf_at(v, cn->ent[j]),
					       l->data, l->klen))
					return SHMREP_ECORRUPT;
		}
		*nleaves += count;
		return 0;
	}

	unsigned nent, shift = depth < 10 ? 58 - 6 * depth : 0;
	const struct shm_node *n = node_at(v, r, &nent);
	uint64_t map;

	if (!n)
		return SHMREP_ECORRUPT;
	map = n->bitmap;
	/* Canonical form: no non-root node holds a lone leaf. */
	if (!is_root && nent == 1 && n->leafmap == map)
		return SHMREP_ECORRUPT;
	for (unsigned b = 0; b < SHM_HAMT_FANOUT; b++) {
		uint64_t bit = BIT(b);
		uint64_t chunkbits = depth < 10 ? (uint64_t)b << shift
						: (uint64_t)(b >> 2);
		shm_ref e;

		if (!(map & bit))
			continue;
		if (depth == 10 && (b & 3))
			return SHMREP_ECORRUPT;
		e = n->ent[POPC(map & (bit - 1))];
		if (n->leafmap & bit) {
			const struct shm_leaf *l = shm_leaf_at(v, e);
			uint64_t h;

			if (!l)
				return SHMREP_ECORRUPT;
			h = leaf_hash(v, l);
			for (unsigned d = 0; d <= depth; d++)
				if (shm_chunk(h, d) != shm_chunk(prefix | chunkbits, d))
					return SHMREP_ECORRUPT;
			(*nleaves)++;
		} else {
			int rc = check_node(v, e, depth + 1, prefix | chunkbits,
					    false, nleaves);

			if (rc)
				return rc;
		}
	}
	return 0;
}

int hamt_check(const struct shm_view *v, shm_ref root, uint64_t *nleaves)
{
	*nleaves = 0;
	return root ? check_node(v, root, 0, 0, true, nleaves) : 0;
}

/* ----------------------------------------------------------------- write */

static struct shm_node *node(struct shm_writer *w, shm_ref r)
{
	return shm_wr_ptr(w, r);
}

static unsigned nent(const struct shm_node *n)
{
	return POPC(n->bitmap);
}

static struct shm_leaf *leaf(struct shm_writer *w, shm_ref r)
{
	return shm_wr_ptr(w, r);
}

static uint64_t wleaf_hash(struct shm_writer *w, shm_ref r)
{
	const struct shm_leaf *l = leaf(w, r);

	return shm_hash(w->view.seed, l->data, l->klen);
}

static shm_ref node_new(struct shm_writer *w, uint64_t map, uint64_t leafmap,
			const shm_ref *ents, unsigned n)
{
	shm_ref r = shm_wr_alloc(w, shm_node_size(n), true);
	struct shm_node *p;

	if (!r)
		return 0;
	p = node(w, r);
	p->bitmap = map;
	p->leafmap = leafmap;
	memcpy(p->ent, ents, n * sizeof(shm_ref));
	return r;
}

/*
 * Give node r the maps map/leafmap and entries ents[0..n): in place if r
 * was born in the open batch and the new size fits its block, else as a
 * new node (dropping r).  Returns the node to use, 0 on ENOMEM.
 */
static shm_ref node_replace(struct shm_writer *w, shm_ref r, uint64_t map,
			    uint64_t leafmap, const shm_ref *ents, unsigned n)
{
	struct shm_node *o = node(w, r);
	unsigned on = nent(o);
	shm_ref nr;

	if (shm_wr_born(w, r) &&
	    alloc_rounded(shm_node_size(n)) == alloc_rounded(shm_node_size(on))) {
		shm_wr_undo(w, o, shm_node_size(n > on ? n : on));
		o->bitmap = map;
		o->leafmap = leafmap;
		memmove(o->ent, ents, n * sizeof(shm_ref));
		return r;
	}
	nr = node_new(w, map, leafmap, ents, n);
	if (!nr)
		return 0;
	shm_wr_drop(w, r, shm_node_size(on));
	return nr;
}

/* Node r with entry i set to x, and bit's leaf flag set to is_leaf. */
static shm_ref node_set_ent(struct shm_writer *w, shm_ref r, unsigned i,
			    shm_ref x, uint64_t bit, bool is_leaf)
{
	struct shm_node *o = node(w, r);
	uint64_t leafmap = is_leaf ? o->leafmap | bit : o->leafmap & ~bit;
	shm_ref ents[SHM_HAMT_FANOUT];
	unsigned n;

	if (shm_wr_born(w, r)) {
		shm_wr_set32(w, &o->ent[i], x);
		if (leafmap != o->leafmap)
			shm_wr_set64(w, &o->leafmap, leafmap);
		return r;
	}
	n = nent(o);
	memcpy(ents, o->ent, n * sizeof(shm_ref));
	ents[i] = x;
	return node_replace(w, r, o->bitmap, leafmap, ents, n);
}

/* Copy ents[0..n) to out with x inserted at position i. */
static void ents_insert(shm_ref *out, const shm_ref *ents, unsigned n,
			unsigned i, shm_ref x)
{
	memcpy(out, ents, i * sizeof(shm_ref));
	out[i] = x;
	memcpy(out + i + 1, ents + i, (n - i) * sizeof(shm_ref));
}

/* Copy ents[0..n) to out without position i. */
static void ents_remove(shm_ref *out, const shm_ref *ents, unsigned n,
			unsigned i)
{
	memcpy(out, ents, i * sizeof(shm_ref));
	memcpy(out + i, ents + i + 1, (n - i - 1) * sizeof(shm_ref));
}

static struct shm_cnode *cnode(struct shm_writer *w, shm_ref r)
{
	return shm_wr_ptr(w, r);
}

static uint64_t cnode_size(unsigned count)
{
	return sizeof(struct shm_cnode) + (uint64_t)count * sizeof(shm_ref);
}

static shm_ref cnode_new(struct shm_writer *w, const shm_ref *ents,
			 unsigned count)
{
	shm_ref r = shm_wr_alloc(w, cnode_size(count), true);

	if (!r)
		return 0;
	cnode(w, r)->count = count;
	cnode(w, r)->pad = 0;
	memcpy(cnode(w, r)->ent, ents, count * sizeof(shm_ref));
	return r;
}

/* Two leaves with different keys, as the subtree at depth. */
static shm_ref pair(struct shm_writer *w, unsigned depth, uint64_t h1,
		    shm_ref l1, uint64_t h2, shm_ref l2)
{
	unsigned c1, c2;
	shm_ref sub, ents[2];

	if (depth == SHM_HAMT_MAXDEPTH) {
		ents[0] = l1;
		ents[1] = l2;
		return cnode_new(w, ents, 2);
	}
	c1 = shm_chunk(h1, depth);
	c2 = shm_chunk(h2, depth);
	if (c1 == c2) {
		sub = pair(w, depth + 1, h1, l1, h2, l2);
		return sub ? node_new(w, BIT(c1), 0, &sub, 1) : 0;
	}
	ents[c1 < c2 ? 0 : 1] = l1;
	ents[c1 < c2 ? 1 : 0] = l2;
	return node_new(w, BIT(c1) | BIT(c2), BIT(c1) | BIT(c2), ents, 2);
}

static shm_ref cnode_put(struct shm_writer *w, shm_ref r, shm_ref l,
			 shm_ref *old)
{
	struct shm_cnode *c = cnode(w, r);
	const struct shm_leaf *nl = leaf(w, l);
	unsigned count = c->count;
	shm_ref nr;

	for (unsigned i = 0; i < count; i++) {
		if (!shm_key_eq(leaf(w, c->ent[i]), nl->data, nl->klen))
			continue;
		*old = c->ent[i];
		if (shm_wr_born(w, r)) {
			shm_wr_set32(w, &c->ent[i], l);
			return r;
		}
		nr = cnode_new(w, c->ent, count);
		if (!nr)
			return 0;
		cnode(w, nr)->ent[i] = l;
		shm_wr_drop(w, r, cnode_size(count));
		return nr;
	}
	nr = shm_wr_alloc(w, cnode_size(count + 1), true);
	if (!nr)
		return 0;
	c = cnode(w, r);
	cnode(w, nr)->count = count + 1;
	cnode(w, nr)->pad = 0;
	memcpy(cnode(w, nr)->ent, c->ent, count * sizeof(shm_ref));
	cnode(w, nr)->ent[count] = l;
	shm_wr_drop(w, r, cnode_size(count));
	return nr;
}

static shm_ref put_rec(struct shm_writer *w, shm_ref r, unsigned depth,
		       uint64_t h, shm_ref l, shm_ref *old)
{
	struct shm_node *n;
	uint64_t map, bit;
	unsigned i;
	shm_ref ents[SHM_HAMT_FANOUT];

	if (depth == SHM_HAMT_MAXDEPTH)
		return cnode_put(w, r, l, old);
	n = node(w, r);
	map = n->bitmap;
	bit = BIT(shm_chunk(h, depth));
	i = POPC(map & (bit - 1));
	if (!(map & bit)) {
		ents_insert(ents, n->ent, nent(n), i, l);
		return node_replace(w, r, map | bit, n->leafmap | bit, ents,
				    nent(n) + 1);
	}
	if (n->leafmap & bit) {
		shm_ref cur = n->ent[i], sub;
		const struct shm_leaf *nl = leaf(w, l);

		if (shm_key_eq(leaf(w, cur), nl->data, nl->klen)) {
			*old = cur;
			return node_set_ent(w, r, i, l, bit, true);
		}
		/* Two keys share this position: push both one level down. */
		sub = pair(w, depth + 1, wleaf_hash(w, cur), cur, h, l);
		return sub ? node_set_ent(w, r, i, sub, bit, false) : 0;
	}
	{
		shm_ref c = n->ent[i], c2 = put_rec(w, c, depth + 1, h, l, old);

		if (!c2)
			return 0;
		return c2 == c ? r : node_set_ent(w, r, i, c2, bit, false);
	}
}

int hamt_put(struct shm_writer *w, shm_ref *root, uint64_t h, shm_ref leaf,
	     shm_ref *old)
{
	shm_ref nr;

	*old = 0;
	if (!*root) {
		uint64_t bit = BIT(shm_chunk(h, 0));

		nr = node_new(w, bit, bit, &leaf, 1);
		if (!nr)
			return -ENOMEM;
		shm_wr_set32(w, root, nr);
		return 0;
	}
	nr = put_rec(w, *root, 0, h, leaf, old);
	if (!nr)
		return -ENOMEM;
	if (nr != *root)
		shm_wr_set32(w, root, nr);
	return 0;
}

enum { DEL_MISS, DEL_DONE, DEL_EMPTY, DEL_FOLD, DEL_NOMEM };

static int cnode_del(struct shm_writer *w, shm_ref r, const void *key,
		     uint32_t klen, shm_ref *old, shm_ref *out)
{
	struct shm_cnode *c = cnode(w, r);
	unsigned count = c->count;
	shm_ref nr;

	for (unsigned i = 0; i < count; i++) {
		if (!shm_key_eq(leaf(w, c->ent[i]), key, klen))
			continue;
		*old = c->ent[i];
		if (count == 2) {
			*out = c->ent[1 - i];
			shm_wr_drop(w, r, cnode_size(count));
			return DEL_FOLD;
		}
		nr = shm_wr_alloc(w, cnode_size(count - 1), true);
		if (!nr)
			return DEL_NOMEM;
		c = cnode(w, r);
		cnode(w, nr)->count = count - 1;
		cnode(w, nr)->pad = 0;
		ents_remove(cnode(w, nr)->ent, c->ent, count, i);
		shm_wr_drop(w, r, cnode_size(count));
		*out = nr;
		return DEL_DONE;
	}
	return DEL_MISS;
}

/*
 * Remove key from the subtree r at depth.  DEL_DONE: *out is the node to
 * use in its place; DEL_FOLD: the subtree shrank to the single leaf *out,
 * which the parent takes in; DEL_EMPTY: the (root) node is now empty.
 */
static int del_rec(struct shm_writer *w, shm_ref r, unsigned depth,
		   uint64_t h, const void *key, uint32_t klen, shm_ref *old,
		   shm_ref *out)
{
	struct shm_node *n;
	uint64_t map, bit;
	unsigned cnt, i;
	shm_ref ents[SHM_HAMT_FANOUT];

	if (depth == SHM_HAMT_MAXDEPTH)
		return cnode_del(w, r, key, klen, old, out);
	n = node(w, r);
	map = n->bitmap;
	cnt = nent(n);
	bit = BIT(shm_chunk(h, depth));
	if (!(map & bit))
		return DEL_MISS;
	i = POPC(map & (bit - 1));
	if (n->leafmap & bit) {
		if (!shm_key_eq(leaf(w, n->ent[i]), key, klen))
			return DEL_MISS;
		*old = n->ent[i];
		if (cnt == 1) {
			shm_wr_drop(w, r, shm_node_size(1));
			return DEL_EMPTY;
		}
		/* A non-root left with one leaf folds into its parent. */
		if (depth > 0 && cnt == 2 && n->leafmap == map) {
			*out = n->ent[1 - i];
			shm_wr_drop(w, r, shm_node_size(2));
			return DEL_FOLD;
		}
		ents_remove(ents, n->ent, cnt, i);
		*out = node_replace(w, r, map & ~bit, n->leafmap & ~bit, ents,
				    cnt - 1);
		return *out ? DEL_DONE : DEL_NOMEM;
	}
	{
		shm_ref c = n->ent[i], sub;
		int rc = del_rec(w, c, depth + 1, h, key, klen, old, &sub);

		switch (rc) {
		case DEL_DONE:
			*out = sub == c ? r : node_set_ent(w, r, i, sub, bit, false);
			return *out ? DEL_DONE : DEL_NOMEM;
		case DEL_FOLD:
			/* The child shrank to the single leaf sub; a chain
			 * node holding only that child folds further up. */
			if (depth > 0 && cnt == 1) {
				*out = sub;
				shm_wr_drop(w, r, shm_node_size(1));
				return DEL_FOLD;
			}
			*out = node_set_ent(w, r, i, sub, bit, true);
			return *out ? DEL_DONE : DEL_NOMEM;
		case DEL_EMPTY:
			/* Only a root can empty; a child never holds < 2. */
			return DEL_NOMEM;
		default:
			return rc;
		}
	}
}

int hamt_del(struct shm_writer *w, shm_ref *root, uint64_t h,
	     const void *key, uint32_t klen, shm_ref *old)
{
	shm_ref out = 0;

	*old = 0;
	if (!*root)
		return -ENOENT;
	switch (del_rec(w, *root, 0, h, key, klen, old, &out)) {
	case DEL_MISS:
		return -ENOENT;
	case DEL_EMPTY:
		shm_wr_set32(w, root, 0);
		return 0;
	case DEL_DONE:
		if (out != *root)
			shm_wr_set32(w, root, out);
		return 0;
	default:
		return -ENOMEM;
	}
}

void hamt_free_tree(struct shm_writer *w, shm_ref r, unsigned depth)
{
	if (depth == SHM_HAMT_MAXDEPTH) {
		struct shm_cnode *c = cnode(w, r);
		unsigned count = c->count;

		for (unsigned i = 0; i < count; i++)
			shm_wr_free_leaf(w, c->ent[i]);
		alloc_free(&w->alloc, r, cnode_size(count));
		return;
	}
	struct shm_node *n = node(w, r);
	unsigned cnt = nent(n), i = 0;

	for (uint64_t m = n->bitmap; m; m &= m - 1, i++) {
		if (n->leafmap & (m & -m))
			shm_wr_free_leaf(w, n->ent[i]);
		else
			hamt_free_tree(w, n->ent[i], depth + 1);
	}
	alloc_free(&w->alloc, r, shm_node_size(cnt));
}

void hamt_drop_tree(struct shm_writer *w, shm_ref r, unsigned depth)
{
	if (!shm_wr_new(w, r)) {
		shm_wr_retire(w, r, SHM_DEAD_TREE, depth);
		return;
	}
	if (depth == SHM_HAMT_MAXDEPTH) {
		struct shm_cnode *c = cnode(w, r);
		unsigned count = c->count;

		for (unsigned i = 0; i < count; i++)
			shm_wr_release_leaf(w, c->ent[i]);
		alloc_free(&w->alloc, r, cnode_size(count));
		return;
	}
	struct shm_node *n = node(w, r);
	unsigned cnt = nent(n), i = 0;

	for (uint64_t m = n->bitmap; m; m &= m - 1, i++) {
		if (n->leafmap & (m & -m))
			shm_wr_release_leaf(w, n->ent[i]);
		else
			hamt_drop_tree(w, n->ent[i], depth + 1);
	}
	alloc_free(&w->alloc, r, shm_node_size(cnt));
}
