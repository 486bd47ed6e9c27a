/*
 * btree.c - a persistent counted B+tree: the order of large sorted sets
 * and the sequence of large lists.
 *
 * Why a B+tree with counts: it answers both "the element at position p" and
 * "the position of this element" in O(log n) by adding the counts of the
 * children a search skips, and, being persistent, an update copies one
 * root-to-bottom path (five nodes for a million elements) while readers go
 * on with the published version.  Wide nodes keep that path short and the
 * copies cheap to find: a node is one allocator class (512 or 640 bytes),
 * a copy is one memcpy.
 *
 * Layout (btree.h).  Nodes hold arrays, not entries: the binary search on
 * scores touches a dense array of doubles, the walk by position a dense
 * array of 32-bit counts.  An inner entry carries the greatest element
 * under its child (score and leaf), so inner nodes compare exactly like
 * bottom nodes: a search binary-searches scores, and dereferences element
 * leaves only among entries whose score equals the one sought.  Without the
 * leaf, a run of equal scores (ZRANGEBYLEX sets have nothing else) would
 * make a search walk down subtrees to find their last members.  It costs 4
 * bytes per child: with 31 children an inner node fills the 640-byte class
 * exactly, as 32 entries of 16 bytes plus a header (528 bytes) would have,
 * wasting 112.  Bottom nodes need no counts and no keys: 12 bytes per
 * element, 41 in 512 bytes.  Lists store a score of 0 per element, which
 * keeps one code path for both uses.
 *
 * Balance.  Non-root nodes hold at least a quarter of their capacity (7
 * children, 10 elements).  A quarter rather than a half: an insertion and a
 * deletion at a boundary cannot alternately split and merge the same nodes
 * (after a split both halves are 3/4 of the way from the merge threshold),
 * and every split or merge costs copies in a persistent tree.  An overfull
 * node splits in two, evenly, except when it grows at either end (appends
 * to a list, increasing scores), where the node that keeps growing gets the
 * minimum and the other 3/4: sequential insertion leaves nodes 78% full
 * instead of half full.  An underfull node merges with a sibling when both
 * fit in one node, otherwise the two share their entries evenly.  A root
 * with one child is replaced by it; an empty tree is root 0.
 *
 * Updates follow hamt.c: a node born in the open batch is changed in place
 * after its changed bytes are logged for abort; an older node is copied
 * whole and dropped.  The recursion returns each changed node as a summary
 * (ref, count, greatest element), which the parent writes into its entry;
 * an unchanged summary stops the walk up, so a batch of writes to born
 * nodes touches only what it must.  Allocations happen before the writes
 * they serve where that is simple, but any -ENOMEM may leave the batch
 * half-changed: the caller aborts the command, which restores it.
 *
 * Readers check each node once (shm_fast covers the 640 bytes), its height
 * against its parent's, its entry count against its capacity, and never
 * index with a count that was not checked; heights strictly decrease, so no
 * walk can loop, and no walk is longer than SHM_BTREE_MAXHEIGHT nodes.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "btree.h"
#include "writer.h"

#define ICAP SHM_BTREE_FANOUT
#define BCAP SHM_BTREE_BOTTOM_FANOUT
#define IMIN (ICAP / 4)
#define BMIN (BCAP / 4)
#define MAXCAP BCAP
_Static_assert(BCAP >= ICAP, "MAXCAP");
/* Splitting cap + 1 entries gives both halves >= min, and a merge below
 * the minimum (min - 1 + a sibling's >= min) has more than one entry. */
_Static_assert(ICAP + 1 >= 2 * IMIN && BCAP + 1 >= 2 * BMIN, "fill");
_Static_assert(IMIN >= 2, "a non-root inner node never collapses");

static unsigned bt_cap(unsigned h)
{
	return h ? ICAP : BCAP;
}

static unsigned bt_min(unsigned h)
{
	return h ? IMIN : BMIN;
}

static uint64_t bt_bytes(unsigned h)
{
	return h ? sizeof(struct shm_binner) : sizeof(struct shm_bbottom);
}

static const struct shm_bbottom *cbot(const struct shm_bnode *b)
{
	return (const struct shm_bbottom *)b;
}

static const struct shm_binner *cinn(const struct shm_bnode *b)
{
	return (const struct shm_binner *)b;
}

static const double *bt_scores(const struct shm_bnode *b, unsigned h)
{
	return h ? cinn(b)->score : cbot(b)->score;
}

/* The leaves that order the entries: elements, or greatest elements. */
static const shm_ref *bt_keys(const struct shm_bnode *b, unsigned h)
{
	return h ? cinn(b)->key : cbot(b)->elem;
}

/* ------------------------------------------------------------------ read */

/* The node at r, which must be at height h, checked; its entries in *np. */
static const struct shm_bnode *rnode(const struct shm_view *v, shm_ref r,
				     unsigned h, unsigned *np)
{
	const struct shm_bnode *b = shm_fast(v, r);
	unsigned n;

	if (!b || b->height != h)
		return NULL;
	n = b->n;
	if (n == 0 || n > bt_cap(h))
		return NULL;
	*np = n;
	return b;
}

/* The root node at r, checked, with its height. */
static const struct shm_bnode *rroot(const struct shm_view *v, shm_ref r,
				     unsigned *hp, unsigned *np)
{
	const struct shm_bnode *b = shm_fast(v, r);
	unsigned h;

	if (!b)
		return NULL;
	h = b->height;
	if (h >= SHM_BTREE_MAXHEIGHT)
		return NULL;
	*hp = h;
	return rnode(v, r, h, np);
}

static uint64_t sum_counts(const struct shm_binner *in, unsigned n)
{
	uint64_t t = 0;

	for (unsigned i = 0; i < n; i++)
		t += in->count[i];
	return t;
}

/*
 * Compare the member of leaf r with m as sdscmp does: *c < 0, 0 or > 0.
 * The header is covered by the fast check, the member bytes are checked
 * only when they could pass the guard page.
 */
static int member_cmp(const struct shm_view *v, shm_ref r, const void *m,
		      uint32_t mlen, int *c)
{
	const struct shm_leaf *l = shm_fast(v, r);
	uint32_t klen, k;
	int d;

	if (!l)
		return SHMREP_ECORRUPT;
	klen = l->klen;
	if (shm_unlikely(klen > SHM_GUARD - sizeof(*l)) &&
	    !shm_at(v, r, sizeof(*l) + (uint64_t)klen))
		return SHMREP_ECORRUPT;
	k = klen < mlen ? klen : mlen;
	/* m may be NULL when mlen is 0: no memcmp then. */
	d = k ? memcmp(l->data, m, k) : 0;
	*c = d ? d : (klen > mlen) - (klen < mlen);
	return 0;
}

/* What a search compares: scores, (score, member), or members only. */
enum { BY_SCORE, BY_KEY, BY_LEX };

struct bt_target {
	int by;
	bool excl; /* find the first entry > the target, not >= */
	double s;
	const void *m;
	uint32_t mlen;
};

/* First index in [0, n) whose score is >= s (> s if gt), n if none. */
static unsigned lower_score(const double *sc, unsigned n, double s, bool gt)
{
	unsigned lo = 0, hi = n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (gt ? sc[mid] <= s : sc[mid] < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* First index in [lo, hi) whose member is >= t->m (>), hi if none. */
static int lower_member(const struct shm_view *v, const shm_ref *keys,
			unsigned lo, unsigned hi, const struct bt_target *t,
			unsigned *out)
{
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		int c, rc = member_cmp(v, keys[mid], t->m, t->mlen, &c);

		if (rc)
			return rc;
		if (t->excl ? c <= 0 : c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*out = lo;
	return 0;
}

/*
 * First entry of node b (height h, n entries) that is not before the
 * target, n if none.  BY_KEY binary-searches the scores, then the members
 * of the entries whose score is the target's, if any.  On a corrupt node
 * (NaN, disorder) the answer is some index in 0..n, never more.
 */
static int node_lower(const struct shm_view *v, const struct shm_bnode *b,
		      unsigned h, unsigned n, const struct bt_target *t,
		      unsigned *out)
{
	const double *sc = bt_scores(b, h);
	unsigned lo, hi;

	switch (t->by) {
	case BY_SCORE:
		*out = lower_score(sc, n, t->s, t->excl);
		return 0;
	case BY_LEX:
		return lower_member(v, bt_keys(b, h), 0, n, t, out);
	default:
		lo = lower_score(sc, n, t->s, false);
		hi = lo + lower_score(sc + lo, n - lo, t->s, true);
		if (lo == hi) {
			*out = lo;
			return 0;
		}
		return lower_member(v, bt_keys(b, h), lo, hi, t, out);
	}
}

int btree_count(const struct shm_view *v, shm_ref root, uint64_t *count)
{
	const struct shm_bnode *b;
	unsigned h, n;

	*count = 0;
	if (!root)
		return 0;
	b = rroot(v, root, &h, &n);
	if (!b)
		return SHMREP_ECORRUPT;
	*count = h ? sum_counts(cinn(b), n) : n;
	return 0;
}

int btree_select(const struct shm_view *v, shm_ref root, uint64_t pos,
		 shm_ref *elem, double *score)
{
	const struct shm_bnode *b;
	unsigned h, n;
	bool top = true;

	if (!root)
		return SHMREP_ERANGE;
	b = rroot(v, root, &h, &n);
	if (!b)
		return SHMREP_ECORRUPT;
	while (h > 0) {
		const struct shm_binner *in = cinn(b);
		unsigned i;

		for (i = 0; i < n; i++) {
			uint32_t c = in->count[i];

			if (pos < c)
				break;
			pos -= c;
		}
		/* Past the root's counts: out of range; past a child's: its
		 * parent's count lied. */
		if (i == n)
			return top ? SHMREP_ERANGE : SHMREP_ECORRUPT;
		top = false;
		b = rnode(v, in->ref[i], --h, &n);
		if (!b)
			return SHMREP_ECORRUPT;
	}
	if (pos >= n)
		return top ? SHMREP_ERANGE : SHMREP_ECORRUPT;
	*elem = cbot(b)->elem[pos];
	*score = cbot(b)->score[pos];
	return 0;
}

/*
 * Descend to the first element not before t: its position in *pos (count
 * if none), and, when it lies in a bottom node, that node, the index and
 * the node's entries (*bot NULL otherwise).
 */
static int bt_locate(const struct shm_view *v, shm_ref root,
		     const struct bt_target *t, uint64_t *pos,
		     const struct shm_bbottom **bot, unsigned *idx,
		     unsigned *bn)
{
	const struct shm_bnode *b;
	unsigned h, n, i;
	int rc;

	*pos = 0;
	*bot = NULL;
	if (!root)
		return 0;
	b = rroot(v, root, &h, &n);
	if (!b)
		return SHMREP_ECORRUPT;
	for (;;) {
		rc = node_lower(v, b, h, n, t, &i);
		if (rc)
			return rc;
		if (h == 0) {
			*pos += i;
			*bot = cbot(b);
			*idx = i;
			*bn = n;
			return 0;
		}
		for (unsigned j = 0; j < i; j++)
			*pos += cinn(b)->count[j];
		if (i == n)
			return 0; /* after every element */
		b = rnode(v, cinn(b)->ref[i], --h, &n);
		if (!b)
			return SHMREP_ECORRUPT;
	}
}

int btree_rank(const struct shm_view *v, shm_ref root, double score,
	       const void *member, uint32_t mlen, uint64_t *rank, bool *found)
{
	struct bt_target t = {
		.by = BY_KEY, .s = score, .m = member, .mlen = mlen,
	};
	const struct shm_bbottom *bot;
	unsigned idx = 0, n = 0;
	int c, rc;

	*found = false;
	rc = bt_locate(v, root, &t, rank, &bot, &idx, &n);
	if (rc || !bot || idx >= n || bot->score[idx] != score)
		return rc;
	rc = member_cmp(v, bot->elem[idx], member, mlen, &c);
	if (rc)
		return rc;
	*found = c == 0;
	return 0;
}

int btree_lower_bound_score(const struct shm_view *v, shm_ref root, double s,
			    bool exclusive, uint64_t *pos)
{
	struct bt_target t = { .by = BY_SCORE, .excl = exclusive, .s = s };
	const struct shm_bbottom *bot;
	unsigned idx, n;

	return bt_locate(v, root, &t, pos, &bot, &idx, &n);
}

int btree_lower_bound_lex(const struct shm_view *v, shm_ref root,
			  const void *m, uint32_t mlen, bool exclusive,
			  uint64_t *pos)
{
	struct bt_target t = {
		.by = BY_LEX, .excl = exclusive, .m = m, .mlen = mlen,
	};
	const struct shm_bbottom *bot;
	unsigned idx, n;

	return bt_locate(v, root, &t, pos, &bot, &idx, &n);
}

/* ------------------------------------------------------------- iterator */

static int iter_fail(struct btree_iter *it, int rc)
{
	it->err = rc;
	return rc;
}

int btree_iter_init(struct btree_iter *it, const struct shm_view *v,
		    shm_ref root, uint64_t pos)
{
	const struct shm_bnode *b;
	unsigned h, n;
	uint64_t rem = pos;

	it->v = v;
	it->pos = 0;
	it->count = 0;
	it->height = -1;
	it->err = 0;
	if (!root)
		return pos ? SHMREP_ERANGE : 0;
	b = rroot(v, root, &h, &n);
	if (!b)
		return iter_fail(it, SHMREP_ECORRUPT);
	it->count = h ? sum_counts(cinn(b), n) : n;
	if (pos > it->count) {
		it->count = 0;
		return SHMREP_ERANGE;
	}
	it->pos = pos;
	it->height = (int)h;
	for (;;) {
		struct btree_iter_level *l = &it->lvl[h];
		const struct shm_binner *in = cinn(b);
		unsigned i;

		l->node = b;
		l->n = n;
		if (h == 0) {
			if (rem > n)
				return iter_fail(it, SHMREP_ECORRUPT);
			l->idx = (uint32_t)rem;
			return 0;
		}
		for (i = 0; i < n; i++) {
			uint32_t c = in->count[i];

			if (rem < c)
				break;
			rem -= c;
		}
		/* At the end of this subtree: the end of its last child. */
		if (i == n) {
			if (rem)
				return iter_fail(it, SHMREP_ECORRUPT);
			i = n - 1;
			rem = in->count[i];
		}
		l->idx = i;
		b = rnode(v, in->ref[i], --h, &n);
		if (!b)
			return iter_fail(it, SHMREP_ECORRUPT);
	}
}

/*
 * Move the path to the next (dir > 0) or previous bottom node, the cursor
 * at its start (resp. its end).  The caller knows from the counts that
 * there is one; a path that ends first means the counts lied.
 */
static int iter_step(struct btree_iter *it, int dir)
{
	unsigned top = (unsigned)it->height, h = 1;

	while (h <= top && (dir > 0 ? it->lvl[h].idx + 1 >= it->lvl[h].n
				    : it->lvl[h].idx == 0))
		h++;
	if (h > top)
		return iter_fail(it, SHMREP_ECORRUPT);
	it->lvl[h].idx = dir > 0 ? it->lvl[h].idx + 1 : it->lvl[h].idx - 1;
	for (; h > 0; h--) {
		const struct shm_binner *in = cinn(it->lvl[h].node);
		struct btree_iter_level *l = &it->lvl[h - 1];
		unsigned n;
		const struct shm_bnode *b =
			rnode(it->v, in->ref[it->lvl[h].idx], h - 1, &n);

		if (!b)
			return iter_fail(it, SHMREP_ECORRUPT);
		l->node = b;
		l->n = n;
		l->idx = dir > 0 ? 0 : (h > 1 ? n - 1 : n);
	}
	return 0;
}

int btree_iter_next(struct btree_iter *it, shm_ref *elem, double *score)
{
	struct btree_iter_level *l = &it->lvl[0];
	int rc;

	if (it->err)
		return it->err;
	if (it->pos >= it->count)
		return 0;
	if (l->idx >= l->n) {
		rc = iter_step(it, 1);
		if (rc)
			return rc;
	}
	*elem = cbot(l->node)->elem[l->idx];
	*score = cbot(l->node)->score[l->idx];
	l->idx++;
	it->pos++;
	return 1;
}

int btree_iter_prev(struct btree_iter *it, shm_ref *elem, double *score)
{
	struct btree_iter_level *l = &it->lvl[0];
	int rc;

	if (it->err)
		return it->err;
	if (it->pos == 0 || it->height < 0)
		return 0;
	if (l->idx == 0) {
		rc = iter_step(it, -1);
		if (rc)
			return rc;
	}
	l->idx--;
	*elem = cbot(l->node)->elem[l->idx];
	*score = cbot(l->node)->score[l->idx];
	it->pos--;
	return 1;
}

/* ----------------------------------------------------------------- check */

struct bt_chk {
	const struct shm_view *v;
	bool sorted;
	bool any; /* an element was seen: last_s and last_e are set */
	double last_s;
	shm_ref last_e;
	uint64_t budget; /* nodes left to visit */
};

/* What a parent's entry must say about a child. */
struct bt_sum {
	uint64_t count;
	double score;
	shm_ref key;
};

static bool same_double(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

static int chk_elem(struct bt_chk *c, shm_ref r, double s)
{
	const struct shm_leaf *l = shm_leaf_at(c->v, r);
	double ls;
	int d, rc;

	if (!l)
		return SHMREP_ECORRUPT;
	if (!c->sorted)
		return 0;
	if (isnan(s) || l->vlen != sizeof(ls))
		return SHMREP_ECORRUPT;
	memcpy(&ls, shm_leaf_val(l), sizeof(ls));
	if (ls != s)
		return SHMREP_ECORRUPT;
	if (c->any) {
		if (s < c->last_s)
			return SHMREP_ECORRUPT;
		if (s == c->last_s) {
			rc = member_cmp(c->v, c->last_e, l->data, l->klen, &d);
			if (rc || d >= 0)
				return SHMREP_ECORRUPT;
		}
	}
	c->any = true;
	c->last_s = s;
	c->last_e = r;
	return 0;
}

static int chk_node(struct bt_chk *c, shm_ref r, unsigned h, bool root,
		    struct bt_sum *sum)
{
	const struct shm_bnode *b;
	unsigned n;
	int rc;

	if (c->budget == 0)
		return SHMREP_ECORRUPT;
	c->budget--;
	b = rnode(c->v, r, h, &n);
	if (!b || n < (root ? (h ? 2u : 1u) : bt_min(h)))
		return SHMREP_ECORRUPT;
	if (b->pad0 || b->pad1)
		return SHMREP_ECORRUPT;
	if (h == 0) {
		const struct shm_bbottom *bot = cbot(b);

		for (unsigned i = 0; i < n; i++) {
			rc = chk_elem(c, bot->elem[i], bot->score[i]);
			if (rc)
				return rc;
		}
		sum->count = n;
		sum->score = bot->score[n - 1];
		sum->key = bot->elem[n - 1];
		return 0;
	}
	const struct shm_binner *in = cinn(b);

	sum->count = 0;
	for (unsigned i = 0; i < n; i++) {
		struct bt_sum cs;

		rc = chk_node(c, in->ref[i], h - 1, false, &cs);
		if (rc)
			return rc;
		if (cs.count != in->count[i] || cs.key != in->key[i] ||
		    !same_double(cs.score, in->score[i]))
			return SHMREP_ECORRUPT;
		sum->count += cs.count;
	}
	if (sum->count > UINT32_MAX)
		return SHMREP_ECORRUPT;
	sum->score = in->score[n - 1];
	sum->key = in->key[n - 1];
	return 0;
}

int btree_check(const struct shm_view *v, shm_ref root, bool sorted,
		uint64_t *count)
{
	struct bt_chk c = {
		.v = v, .sorted = sorted,
		.budget = v->size / sizeof(struct shm_bbottom) + 1,
	};
	struct bt_sum sum;
	const struct shm_bnode *b;
	unsigned h, n;
	int rc;

	*count = 0;
	if (!root)
		return 0;
	b = rroot(v, root, &h, &n);
	if (!b)
		return SHMREP_ECORRUPT;
	rc = chk_node(&c, root, h, true, &sum);
	if (rc)
		return rc;
	*count = sum.count;
	return 0;
}

/* ----------------------------------------------------------------- write */

/* An entry of either kind, or a node's summary as its parent records it:
 * ref the child (or element), key the greatest element's leaf (the element
 * itself at height 0), count the elements under ref. */
struct bt_ent {
	double score;
	shm_ref ref;
	shm_ref key;
	uint64_t count;
};

static struct shm_bnode *wnode(struct shm_writer *w, shm_ref r)
{
	return shm_wr_ptr(w, r);
}

static struct shm_bbottom *wbot(struct shm_bnode *b)
{
	return (struct shm_bbottom *)b;
}

static struct shm_binner *winn(struct shm_bnode *b)
{
	return (struct shm_binner *)b;
}

static void ent_get(const struct shm_bnode *b, unsigned i, struct bt_ent *e)
{
	if (b->height == 0) {
		e->score = cbot(b)->score[i];
		e->ref = e->key = cbot(b)->elem[i];
		e->count = 1;
	} else {
		e->score = cinn(b)->score[i];
		e->ref = cinn(b)->ref[i];
		e->key = cinn(b)->key[i];
		e->count = cinn(b)->count[i];
	}
}

/* Counts fit 32 bits: the whole tree does (btree_insert_at). */
static void ent_put(struct shm_bnode *b, unsigned i, const struct bt_ent *e)
{
	if (b->height == 0) {
		wbot(b)->score[i] = e->score;
		wbot(b)->elem[i] = e->ref;
	} else {
		winn(b)->score[i] = e->score;
		winn(b)->ref[i] = e->ref;
		winn(b)->key[i] = e->key;
		winn(b)->count[i] = (uint32_t)e->count;
	}
}

/* Move cnt entries of b from src to dst (overlap allowed). */
static void ents_move(struct shm_bnode *b, unsigned dst, unsigned src,
		      unsigned cnt)
{
	if (b->height == 0) {
		struct shm_bbottom *o = wbot(b);

		memmove(&o->score[dst], &o->score[src], cnt * sizeof(double));
		memmove(&o->elem[dst], &o->elem[src], cnt * sizeof(shm_ref));
	} else {
		struct shm_binner *o = winn(b);

		memmove(&o->score[dst], &o->score[src], cnt * sizeof(double));
		memmove(&o->ref[dst], &o->ref[src], cnt * sizeof(shm_ref));
		memmove(&o->key[dst], &o->key[src], cnt * sizeof(shm_ref));
		memmove(&o->count[dst], &o->count[src], cnt * sizeof(uint32_t));
	}
}

/* The summary of node r, as its parent's entry. */
static void summarize(struct shm_writer *w, shm_ref r, struct bt_ent *e)
{
	const struct shm_bnode *b = wnode(w, r);
	unsigned n = b->n;

	ent_get(b, n - 1, e);
	e->ref = r;
	e->count = b->height ? sum_counts(cinn(b), n) : n;
}

static uint64_t wcount(struct shm_writer *w, shm_ref root)
{
	struct bt_ent e;

	if (!root)
		return 0;
	summarize(w, root, &e);
	return e.count;
}

/*
 * Log entries [from, to) of b (from < to) in each of its arrays, and its
 * header word (n) if hdr, before changing them in place.
 */
static void log_range(struct shm_writer *w, struct shm_bnode *b,
		      unsigned from, unsigned to, bool hdr)
{
	unsigned k = to - from;

	if (hdr)
		shm_wr_undo(w, b, sizeof(uint64_t));
	if (b->height == 0) {
		struct shm_bbottom *o = wbot(b);

		shm_wr_undo(w, &o->score[from], k * sizeof(double));
		shm_wr_undo(w, &o->elem[from], k * sizeof(shm_ref));
	} else {
		struct shm_binner *o = winn(b);

		shm_wr_undo(w, &o->score[from], k * sizeof(double));
		shm_wr_undo(w, &o->ref[from], k * sizeof(shm_ref));
		shm_wr_undo(w, &o->key[from], k * sizeof(shm_ref));
		shm_wr_undo(w, &o->count[from], k * sizeof(uint32_t));
	}
}

/* A new empty node at height h, born in the open batch; 0 if full. */
static shm_ref node_alloc(struct shm_writer *w, unsigned h)
{
	shm_ref r = shm_wr_alloc(w, bt_bytes(h), true);
	struct shm_bnode *b;

	if (!r)
		return 0;
	b = wnode(w, r);
	b->n = 0;
	b->height = (uint8_t)h;
	b->pad0 = 0;
	b->pad1 = 0;
	return r;
}

/*
 * Node r, writable: r itself if born in the open batch (the caller logs
 * what it changes, unless the node is its own fresh copy), else a copy born
 * now, r being dropped.  0 on ENOMEM.
 */
static shm_ref bt_own(struct shm_writer *w, shm_ref r)
{
	uint64_t bytes;
	shm_ref nr;

	if (shm_wr_born(w, r))
		return r;
	bytes = bt_bytes(wnode(w, r)->height);
	nr = shm_wr_alloc(w, bytes, false);
	if (!nr)
		return 0;
	memcpy(wnode(w, nr), wnode(w, r), bytes);
	wnode(w, nr)->birth = w->open_ver;
	shm_wr_drop(w, r, bytes);
	return nr;
}

/* Where an overfull node of nn entries splits: the new entries are
 * [i, i + k).  Returns the entries the left node keeps. */
static unsigned split_at(unsigned h, unsigned nn, unsigned i, unsigned k)
{
	if (i + k >= nn) /* growing at the right end */
		return nn - bt_min(h);
	if (i == 0) /* growing at the left end */
		return bt_min(h);
	return nn / 2;
}

/*
 * Replace entries [i, i + del) of node r with ins[0..k): the node to use
 * in r's place in *out, and, if the result overflowed, the new right
 * sibling in *split (split->ref 0 otherwise).  A node left with nothing
 * (a bottom root losing its last element) is dropped: out->ref 0.
 */
static int splice(struct shm_writer *w, shm_ref r, unsigned i, unsigned del,
		  const struct bt_ent *ins, unsigned k, struct bt_ent *out,
		  struct bt_ent *split)
{
	struct shm_bnode *b = wnode(w, r);
	unsigned h = b->height, n = b->n, nn = n - del + k, left;
	struct bt_ent tmp[MAXCAP + 1];
	shm_ref nr, right;

	split->ref = 0;
	if (nn == 0) {
		shm_wr_drop(w, r, bt_bytes(h));
		memset(out, 0, sizeof(*out));
		return 0;
	}
	if (nn <= bt_cap(h)) {
		nr = bt_own(w, r);
		if (!nr)
			return -ENOMEM;
		b = wnode(w, nr);
		/* Equal counts change entries in place, else everything
		 * from i on shifts. */
		if (nr == r)
			log_range(w, b, i, del == k ? i + k : (n > nn ? n : nn),
				  del != k);
		if (del != k)
			ents_move(b, i + k, i + del, n - i - del);
		for (unsigned j = 0; j < k; j++)
			ent_put(b, i + j, &ins[j]);
		b->n = (uint16_t)nn;
		summarize(w, nr, out);
		return 0;
	}
	/* Overflow: at most one entry more than fits (an insertion, or a
	 * child's split). */
	for (unsigned j = 0; j < i; j++)
		ent_get(b, j, &tmp[j]);
	memcpy(&tmp[i], ins, k * sizeof(*ins));
	for (unsigned j = i + del; j < n; j++)
		ent_get(b, j, &tmp[j - del + k]);
	left = split_at(h, nn, i, k);
	right = node_alloc(w, h);
	if (!right)
		return -ENOMEM;
	nr = bt_own(w, r);
	if (!nr)
		return -ENOMEM;
	b = wnode(w, nr);
	if (nr == r)
		shm_wr_undo(w, b, bt_bytes(h));
	for (unsigned j = 0; j < left; j++)
		ent_put(b, j, &tmp[j]);
	b->n = (uint16_t)left;
	b = wnode(w, right);
	for (unsigned j = left; j < nn; j++)
		ent_put(b, j - left, &tmp[j]);
	b->n = (uint16_t)(nn - left);
	summarize(w, nr, out);
	summarize(w, right, split);
	return 0;
}

/*
 * Child i of inner node r shrank below the minimum; c is its summary.
 * Merge it with a sibling if both fit in one node, else share their
 * entries evenly; then splice the result into r.
 */
static int rebalance(struct shm_writer *w, shm_ref r, unsigned i,
		     const struct bt_ent *c, struct bt_ent *out,
		     struct bt_ent *split)
{
	struct shm_bnode *b = wnode(w, r), *lb, *rb;
	unsigned n = b->n, ch = b->height - 1, a, nl, nr, t, half;
	struct bt_ent e[2], tmp[2 * MAXCAP];
	shm_ref lm, rm;

	a = i + 1 < n ? i : i - 1;
	ent_get(b, a, &e[0]);
	ent_get(b, a + 1, &e[1]);
	e[i - a] = *c;
	nl = wnode(w, e[0].ref)->n;
	nr = wnode(w, e[1].ref)->n;
	if (nl + nr <= bt_cap(ch)) {
		lm = bt_own(w, e[0].ref);
		if (!lm)
			return -ENOMEM;
		lb = wnode(w, lm);
		rb = wnode(w, e[1].ref);
		if (lm == e[0].ref)
			log_range(w, lb, nl, nl + nr, true);
		for (unsigned j = 0; j < nr; j++) {
			ent_get(rb, j, &tmp[0]);
			ent_put(lb, nl + j, &tmp[0]);
		}
		lb->n = (uint16_t)(nl + nr);
		/* After the last read of it: outside a command a drop of a
		 * born block frees it at once. */
		shm_wr_drop(w, e[1].ref, bt_bytes(ch));
		summarize(w, lm, &e[0]);
		return splice(w, r, a, 2, e, 1, out, split);
	}
	t = nl + nr;
	half = t / 2;
	lb = wnode(w, e[0].ref);
	rb = wnode(w, e[1].ref);
	for (unsigned j = 0; j < nl; j++)
		ent_get(lb, j, &tmp[j]);
	for (unsigned j = 0; j < nr; j++)
		ent_get(rb, j, &tmp[nl + j]);
	lm = bt_own(w, e[0].ref);
	if (!lm)
		return -ENOMEM;
	rm = bt_own(w, e[1].ref);
	if (!rm)
		return -ENOMEM;
	lb = wnode(w, lm);
	rb = wnode(w, rm);
	if (lm == e[0].ref)
		shm_wr_undo(w, lb, bt_bytes(ch));
	if (rm == e[1].ref)
		shm_wr_undo(w, rb, bt_bytes(ch));
	for (unsigned j = 0; j < half; j++)
		ent_put(lb, j, &tmp[j]);
	lb->n = (uint16_t)half;
	for (unsigned j = half; j < t; j++)
		ent_put(rb, j - half, &tmp[j]);
	rb->n = (uint16_t)(t - half);
	summarize(w, lm, &e[0]);
	summarize(w, rm, &e[1]);
	return splice(w, r, a, 2, e, 2, out, split);
}

enum { OP_INS, OP_DEL, OP_REP };

/* One update on its way down the tree. */
struct bt_op {
	int kind; /* OP_* */
	bool by_key; /* find the place by t, else by pos */
	struct bt_target t; /* by_key: (score, member) of x */
	uint64_t pos; /* by position: offset in the current subtree */
	uint64_t rank; /* by key: elements before the place so far */
	struct bt_ent x; /* the new element (OP_INS, OP_REP) */
	shm_ref old; /* the element removed or replaced */
};

/* The entry of inner node b (n entries) under which op->pos lies, pos
 * made relative to it.  An insertion may go at the very end. */
static unsigned pick_pos(const struct shm_binner *in, unsigned n,
			 struct bt_op *op)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (op->pos < in->count[i])
			return i;
		op->pos -= in->count[i];
	}
	/* Only an insertion at the end gets here, with pos 0 left. */
	op->pos = in->count[n - 1];
	return n - 1;
}

/* Same entry?  Then a parent need not change. */
static bool same_ent(const struct shm_bnode *b, unsigned i,
		     const struct bt_ent *c)
{
	struct bt_ent e;

	ent_get(b, i, &e);
	return e.ref == c->ref && e.key == c->key && e.count == c->count &&
	       same_double(e.score, c->score);
}

/*
 * Apply op to the subtree at r: the node to use in its place in *out,
 * plus a new right sibling in *split if it split.
 */
static int mod_rec(struct shm_writer *w, shm_ref r, struct bt_op *op,
		   struct bt_ent *out, struct bt_ent *split)
{
	struct shm_bnode *b = wnode(w, r);
	unsigned h = b->height, n = b->n, i;
	struct bt_ent c, cs, e[2];
	int rc;

	split->ref = 0;
	if (op->by_key) {
		rc = node_lower(&w->view, b, h, n, &op->t, &i);
		if (rc)
			return rc;
		if (h && i == n)
			i = n - 1; /* after everything: the end of the last */
		if (h)
			for (unsigned j = 0; j < i; j++)
				op->rank += cinn(b)->count[j];
		else
			op->rank += i;
	} else if (h) {
		i = pick_pos(cinn(b), n, op);
	} else {
		i = (unsigned)op->pos;
	}
	if (h == 0) {
		switch (op->kind) {
		case OP_INS:
			return splice(w, r, i, 0, &op->x, 1, out, split);
		case OP_DEL:
			op->old = cbot(b)->elem[i];
			return splice(w, r, i, 1, NULL, 0, out, split);
		default:
			op->old = cbot(b)->elem[i];
			return splice(w, r, i, 1, &op->x, 1, out, split);
		}
	}
	rc = mod_rec(w, cinn(b)->ref[i], op, &c, &cs);
	if (rc)
		return rc;
	if (cs.ref) {
		e[0] = c;
		e[1] = cs;
		return splice(w, r, i, 1, e, 2, out, split);
	}
	if (!c.ref) /* cannot happen: a non-root node never empties */
		return splice(w, r, i, 1, NULL, 0, out, split);
	if (op->kind == OP_DEL && n > 1 && wnode(w, c.ref)->n < bt_min(h - 1))
		return rebalance(w, r, i, &c, out, split);
	if (same_ent(b, i, &c)) {
		summarize(w, r, out);
		return 0;
	}
	return splice(w, r, i, 1, &c, 1, out, split);
}

/* Apply op to the tree at *root: new root on a split, collapse of a root
 * left with one child, and the root field set if it changed. */
static int bt_apply(struct shm_writer *w, shm_ref *root, struct bt_op *op)
{
	struct bt_ent out, split;
	shm_ref nr;
	int rc;

	if (!*root) {
		nr = node_alloc(w, 0);
		if (!nr)
			return -ENOMEM;
		ent_put(wnode(w, nr), 0, &op->x);
		wnode(w, nr)->n = 1;
		shm_wr_set32(w, root, nr);
		return 0;
	}
	rc = mod_rec(w, *root, op, &out, &split);
	if (rc)
		return rc;
	nr = out.ref;
	if (split.ref) {
		unsigned h = wnode(w, out.ref)->height + 1u;

		/* Unreachable below 2^32 elements (btree.h); kept so that
		 * no tree a reader would refuse is ever built. */
		if (h >= SHM_BTREE_MAXHEIGHT)
			return -EOVERFLOW;
		nr = node_alloc(w, h);
		if (!nr)
			return -ENOMEM;
		ent_put(wnode(w, nr), 0, &out);
		ent_put(wnode(w, nr), 1, &split);
		wnode(w, nr)->n = 2;
	}
	while (nr && wnode(w, nr)->height && wnode(w, nr)->n == 1) {
		shm_ref child = winn(wnode(w, nr))->ref[0];

		shm_wr_drop(w, nr, sizeof(struct shm_binner));
		nr = child;
	}
	if (nr != *root)
		shm_wr_set32(w, root, nr);
	return 0;
}

int btree_insert_at(struct shm_writer *w, shm_ref *root, uint64_t pos,
		    shm_ref elem, double score)
{
	struct bt_op op = {
		.kind = OP_INS, .pos = pos,
		.x = { .score = score, .ref = elem, .key = elem, .count = 1 },
	};
	uint64_t cnt = wcount(w, *root);

	if (pos > cnt)
		return -ERANGE;
	if (cnt >= UINT32_MAX)
		return -EOVERFLOW;
	return bt_apply(w, root, &op);
}

int btree_insert_sorted(struct shm_writer *w, shm_ref *root, shm_ref elem,
			double score, uint64_t *pos_out)
{
	const struct shm_leaf *l = shm_wr_ptr(w, elem);
	struct bt_op op = {
		.kind = OP_INS, .by_key = true,
		.t = { .by = BY_KEY, .s = score, .m = l->data,
		       .mlen = l->klen },
		.x = { .score = score, .ref = elem, .key = elem, .count = 1 },
	};
	int rc;

	if (wcount(w, *root) >= UINT32_MAX)
		return -EOVERFLOW;
	rc = bt_apply(w, root, &op);
	if (!rc && pos_out)
		*pos_out = op.rank;
	return rc;
}

int btree_delete_at(struct shm_writer *w, shm_ref *root, uint64_t pos,
		    shm_ref *elem_out)
{
	struct bt_op op = { .kind = OP_DEL, .pos = pos };
	int rc;

	if (pos >= wcount(w, *root))
		return -ERANGE;
	rc = bt_apply(w, root, &op);
	if (!rc)
		*elem_out = op.old;
	return rc;
}

int btree_replace_at(struct shm_writer *w, shm_ref *root, uint64_t pos,
		     shm_ref elem, double score, shm_ref *old_out)
{
	struct bt_op op = {
		.kind = OP_REP, .pos = pos,
		.x = { .score = score, .ref = elem, .key = elem, .count = 1 },
	};
	int rc;

	if (pos >= wcount(w, *root))
		return -ERANGE;
	rc = bt_apply(w, root, &op);
	if (!rc)
		*old_out = op.old;
	return rc;
}

/* ------------------------------------------------------ whole-tree drops */

static uint64_t elem_bytes(struct shm_writer *w, shm_ref r)
{
	const struct shm_leaf *l = shm_wr_ptr(w, r);

	return shm_leaf_size(l->klen, l->vlen);
}

void btree_drop_tree(struct shm_writer *w, shm_ref root, bool free_elems)
{
	struct shm_bnode *b;
	unsigned h, n;

	if (!root)
		return;
	/* Not new: it goes whole, freed once no reader can see it.  (In
	 * rcu mode nothing under an old node is new; in mutex mode some may
	 * be, and is freed with it after the write section, which no reader
	 * overlaps.) */
	if (!shm_wr_new(w, root)) {
		shm_wr_retire(w, root, SHM_DEAD_BTREE, free_elems);
		return;
	}
	b = wnode(w, root);
	h = b->height;
	n = b->n;
	for (unsigned i = 0; i < n; i++) {
		if (h) {
			btree_drop_tree(w, winn(b)->ref[i], free_elems);
		} else if (free_elems) {
			shm_ref e = wbot(b)->elem[i];

			if (shm_wr_new(w, e))
				alloc_free(&w->alloc, e, elem_bytes(w, e));
			else
				shm_wr_retire(w, e, SHM_DEAD_BLOCK,
					      elem_bytes(w, e));
		}
	}
	alloc_free(&w->alloc, root, bt_bytes(h));
}

void btree_free_tree(struct shm_writer *w, shm_ref root, bool free_elems)
{
	struct shm_bnode *b;
	unsigned h, n;

	if (!root)
		return;
	b = wnode(w, root);
	h = b->height;
	n = b->n;
	for (unsigned i = 0; i < n; i++) {
		if (h) {
			btree_free_tree(w, winn(b)->ref[i], free_elems);
		} else if (free_elems) {
			shm_ref e = wbot(b)->elem[i];

			alloc_free(&w->alloc, e, elem_bytes(w, e));
		}
	}
	alloc_free(&w->alloc, root, bt_bytes(h));
}
