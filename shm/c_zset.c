/*
 * c_zset.c - sorted sets: reads of both encodings, and changes in the open
 * batch (see c_zset.h).
 *
 * Two encodings, as Redis has (layout.h).  A small set is one packed
 * value, (member, score) pairs in (score, member) order: reading it is a
 * scan of at most SHM_PACK_MAX_ENTRIES entries, and a change rewrites it
 * whole, which at that size costs less than any index would.  A large set
 * is two structures over the same member leaves: a trie by member (so
 * ZSCORE and the "is it there, with what score" step of every write is one
 * hash lookup) and a counted B+tree by (score, member) (so ranks, ranges
 * and positions are O(log n)).  Both are persistent, so a ZADD on a set of
 * a million members copies two root-to-leaf paths and nothing else.
 *
 * The B+tree's inner nodes use member leaves as separator keys.  So when a
 * member's score changes and its leaf is replaced in the trie, the tree
 * switches to the new leaf in the same step (delete and insert, or replace
 * in place when the position does not move); a leaf born in the open batch
 * is instead rewritten in place, which leaves the trie alone.
 *
 * Redis's small-set details are kept where a client could see them: a
 * listpack stores a score of -0 as the integer 0 (so a small set does
 * too, while a large one keeps -0), ZSCAN prints a small set's
 * integer-valued scores up to 2^62 as integers, and range scans over a
 * small set run as Redis's listpack scans do, element by element, which
 * differs from a bisection only for ZRANGEBYLEX over unequal scores.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "btree.h"
#include "c_zset.h"
#include "coll.h"
#include "hamt.h"
#include "iter.h"
#include "keys.h"
#include "pack.h"
#include "writer.h"

#define ZSCORE_BYTES sizeof(double)
/* The largest packed value: the count, then entries of the longest
 * member. */
#define PACK_MAX_VLEN                                                          \
	(4 + SHM_PACK_MAX_ENTRIES * (4 + SHM_PACK_MAX_BYTES + ZSCORE_BYTES))

/* Members compare as Redis's sdscmp: bytes, then the shorter first. */
static int mcmp(const uint8_t *a, uint32_t al, const uint8_t *b, uint32_t bl)
{
	uint32_t k = al < bl ? al : bl;
	int d = k ? memcmp(a, b, k) : 0;

	return d ? d : (al > bl) - (al < bl);
}

/* (score, member) order; -0 and 0 are equal, as in Redis. */
static int ecmp(double as, const uint8_t *a, uint32_t al, double bs,
		const uint8_t *b, uint32_t bl)
{
	if (as < bs)
		return -1;
	if (as > bs)
		return 1;
	return mcmp(a, al, b, bl);
}

static bool meq(const uint8_t *a, uint32_t al, const void *b, uint32_t bl)
{
	return al == bl && (al == 0 || memcmp(a, b, al) == 0);
}

/* The score in an element leaf whose value was checked to be 8 bytes. */
static double leaf_score(const struct shm_leaf *l)
{
	double s;

	memcpy(&s, l->data + l->klen, sizeof(s));
	return s;
}

/* --------------------------------------------------------------- ranges */

/* What a range scan checks, for scores and members alike. */
struct bounds {
	const struct zset_score_range *sr; /* by score, or */
	const struct zset_lex_range *lr; /* by lex */
};

/* Redis's sdscmplex: "-" and "+" below and above everything; a bound is
 * equal to itself only. */
static int lex_cmp(const uint8_t *v, uint32_t vl,
		   const struct zset_lex_bound *b)
{
	if (b->inf)
		return -b->inf;
	return mcmp(v, vl, b->s, b->len);
}

static bool gte_min(const struct bounds *b, const uint8_t *m, uint32_t ml,
		    double s)
{
	if (b->sr)
		return b->sr->minex ? s > b->sr->min : s >= b->sr->min;
	if (b->lr->min.ex || b->lr->min.inf)
		return lex_cmp(m, ml, &b->lr->min) > 0;
	return lex_cmp(m, ml, &b->lr->min) >= 0;
}

static bool lte_max(const struct bounds *b, const uint8_t *m, uint32_t ml,
		    double s)
{
	if (b->sr)
		return b->sr->maxex ? s < b->sr->max : s <= b->sr->max;
	if (b->lr->max.ex || b->lr->max.inf)
		return lex_cmp(m, ml, &b->lr->max) < 0;
	return lex_cmp(m, ml, &b->lr->max) <= 0;
}

/* Ranges that hold nothing whatever the set (zslIsInRange's first test,
 * zslParseLexRange's "-" and "+" being exclusive). */
static bool range_empty(const struct bounds *b)
{
	const struct zset_lex_bound *lo, *hi;
	int c;

	if (b->sr)
		return b->sr->min > b->sr->max ||
		       (b->sr->min == b->sr->max &&
			(b->sr->minex || b->sr->maxex));
	lo = &b->lr->min;
	hi = &b->lr->max;
	if (lo->inf && lo->inf == hi->inf)
		c = 0;
	else if (lo->inf == -1 || hi->inf == 1)
		c = -1;
	else if (lo->inf == 1 || hi->inf == -1)
		c = 1;
	else
		c = mcmp(lo->s, lo->len, hi->s, hi->len);
	return c > 0 || (c == 0 && (lo->ex || hi->ex || lo->inf));
}

/* ---------------------------------------------------------- packed sets */

struct pk_ent {
	const uint8_t *m;
	uint32_t len;
	double score;
};

/* The next entry; a member longer than a packed set may hold is
 * corruption too. */
static int pk_read(struct pack_rd *rd, struct pk_ent *e)
{
	int rc = pack_str(rd, &e->m, &e->len);

	if (!rc && e->len > SHM_PACK_MAX_BYTES)
		return SHMREP_ECORRUPT;
	return rc ? rc : pack_score(rd, &e->score);
}

static int pk_open(const struct zset_rd *z, struct pack_rd *rd)
{
	uint32_t n;

	return pack_open(rd, z->val, z->vlen, &n);
}

/* Position of member m in a packed set, or SHMREP_ENOENT. */
static int pk_find(const struct zset_rd *z, const void *m, uint32_t mlen,
		   uint64_t *pos, double *score)
{
	struct pack_rd rd;
	struct pk_ent e;
	int rc = pk_open(z, &rd);

	for (uint64_t i = 0; !rc && i < z->count; i++) {
		rc = pk_read(&rd, &e);
		if (!rc && meq(e.m, e.len, m, mlen)) {
			*pos = i;
			*score = e.score;
			return 0;
		}
	}
	return rc ? rc : SHMREP_ENOENT;
}

/*
 * A range scan of a packed set, as Redis scans a listpack
 * (zzlFirstInRange / zzlLastInRange, then LIMIT's offset and count):
 * the first element in range from the walk's end, provided the set's two
 * ends overlap the range; offset elements skipped blindly; then elements
 * taken while they stay on the near side of the far bound.  Two passes at
 * most, whatever the direction: a reverse walk's run is found by counting
 * forwards.
 */
static int pk_span(const struct zset_rd *z, const struct bounds *b, bool rev,
		   int64_t offset, int64_t limit, struct zset_span *out)
{
	uint64_t n = z->count, found = 0, pos, run = 0, i;
	bool first_ok = false, last_ok = false, have = false, found_ok = false;
	struct pack_rd rd;
	struct pk_ent e;
	int rc;

	memset(out, 0, sizeof(*out));
	out->rev = rev;
	if (n == 0 || range_empty(b) || offset < 0)
		return 0;
	rc = pk_open(z, &rd);
	for (i = 0; !rc && i < n; i++) {
		rc = pk_read(&rd, &e);
		if (rc)
			break;
		if (i == 0)
			first_ok = lte_max(b, e.m, e.len, e.score);
		if (i == n - 1)
			last_ok = gte_min(b, e.m, e.len, e.score);
		if (!rev && !have && gte_min(b, e.m, e.len, e.score)) {
			have = true;
			found = i;
			found_ok = lte_max(b, e.m, e.len, e.score);
		}
		if (rev && lte_max(b, e.m, e.len, e.score)) {
			have = true;
			found = i;
			found_ok = gte_min(b, e.m, e.len, e.score);
		}
	}
	if (rc)
		return rc;
	if (!first_ok || !last_ok || !have || !found_ok)
		return 0;
	if (rev) {
		if ((uint64_t)offset > found)
			return 0;
		pos = found - (uint64_t)offset;
	} else {
		if ((uint64_t)offset >= n - found)
			return 0;
		pos = found + (uint64_t)offset;
	}
	rc = pk_open(z, &rd);
	for (i = 0; !rc && i < n; i++) {
		rc = pk_read(&rd, &e);
		if (rc)
			break;
		if (rev) {
			/* The run of elements >= min that ends at pos. */
			run = gte_min(b, e.m, e.len, e.score) ? run + 1 : 0;
			if (i == pos)
				break;
		} else if (i >= pos) {
			if (!lte_max(b, e.m, e.len, e.score))
				break;
			run++;
		}
	}
	if (rc)
		return rc;
	if (limit >= 0 && run > (uint64_t)limit)
		run = (uint64_t)limit;
	out->start = pos;
	out->count = run;
	return 0;
}

/* ----------------------------------------------------------- large sets */

/* [lo, hi): the positions in range of a large set, by bisection. */
static int tr_bounds(const struct zset_rd *z, const struct bounds *b,
		     uint64_t *lo, uint64_t *hi)
{
	const struct zset_lex_bound *mn, *mx;
	int rc;

	if (b->sr) {
		rc = btree_lower_bound_score(z->v, z->order, b->sr->min,
					     b->sr->minex, lo);
		if (!rc)
			rc = btree_lower_bound_score(z->v, z->order,
						     b->sr->max, !b->sr->maxex,
						     hi);
		return rc;
	}
	mn = &b->lr->min;
	mx = &b->lr->max;
	if (mn->inf)
		*lo = mn->inf < 0 ? 0 : z->count;
	else if ((rc = btree_lower_bound_lex(z->v, z->order, mn->s, mn->len,
					     mn->ex, lo)))
		return rc;
	if (mx->inf)
		*hi = mx->inf < 0 ? 0 : z->count;
	else if ((rc = btree_lower_bound_lex(z->v, z->order, mx->s, mx->len,
					     !mx->ex, hi)))
		return rc;
	return 0;
}

static int tr_span(const struct zset_rd *z, const struct bounds *b, bool rev,
		   int64_t offset, int64_t limit, struct zset_span *out)
{
	uint64_t lo, hi, n;
	int rc;

	memset(out, 0, sizeof(*out));
	out->rev = rev;
	if (z->count == 0 || range_empty(b) || offset < 0)
		return 0;
	rc = tr_bounds(z, b, &lo, &hi);
	if (rc)
		return rc;
	if (hi > z->count || lo > z->count)
		return SHMREP_ECORRUPT;
	if (lo >= hi || (uint64_t)offset >= hi - lo)
		return 0;
	n = hi - lo - (uint64_t)offset;
	out->start = rev ? hi - 1 - (uint64_t)offset : lo + (uint64_t)offset;
	out->count = limit >= 0 && n > (uint64_t)limit ? (uint64_t)limit : n;
	return 0;
}

/* -------------------------------------------------------------- readers */

int zset_open(struct zset_rd *z, const struct shm_view *v,
	      const struct shm_leaf *l)
{
	struct shm_vcoll d;
	uint32_t n;
	struct pack_rd rd;
	int rc;

	memset(z, 0, sizeof(*z));
	z->v = v;
	z->enc = l->enc;
	if (l->type != SHM_T_ZSET || !shm_leaf_val_ok(v, l))
		return SHMREP_ECORRUPT;
	if (l->enc == SHM_E_PACK) {
		z->val = shm_leaf_val(l);
		z->vlen = l->vlen;
		if (pack_open(&rd, z->val, z->vlen, &n))
			return SHMREP_ECORRUPT;
		/* A packed set never grows past the packing limits (it
		 * converts first), so neither may what a reader walks: the
		 * iterators step backwards by rescanning, which is only cheap
		 * at this size.  And every entry takes at least a length and
		 * a score. */
		if (n > SHM_PACK_MAX_ENTRIES ||
		    z->vlen > PACK_MAX_VLEN ||
		    n > (z->vlen - 4) / (4 + ZSCORE_BYTES))
			return SHMREP_ECORRUPT;
		z->count = n;
		return 0;
	}
	if (l->enc != SHM_E_ZTREE || !shm_leaf_desc(l, &d))
		return SHMREP_ECORRUPT;
	z->root = d.root;
	z->order = d.order;
	rc = btree_count(v, d.order, &z->count);
	if (rc)
		return rc;
	if (z->count != d.count || !d.root != !d.order)
		return SHMREP_ECORRUPT;
	return 0;
}

int zset_score(const struct zset_rd *z, const void *m, uint32_t mlen,
	       double *score)
{
	const struct shm_leaf *l;
	uint64_t pos;
	int rc;

	if (z->enc == SHM_E_PACK)
		return pk_find(z, m, mlen, &pos, score);
	rc = hamt_find(z->v, z->root, shm_hash(z->v->seed, m, mlen), m, mlen,
		       &l);
	if (rc)
		return rc;
	if (l->vlen != ZSCORE_BYTES || !shm_leaf_val_ok(z->v, l))
		return SHMREP_ECORRUPT;
	*score = leaf_score(l);
	return 0;
}

int zset_rank(const struct zset_rd *z, const void *m, uint32_t mlen,
	      uint64_t *rank)
{
	double score;
	bool found;
	int rc;

	if (z->enc == SHM_E_PACK)
		return pk_find(z, m, mlen, rank, &score);
	rc = zset_score(z, m, mlen, &score);
	if (rc)
		return rc;
	rc = btree_rank(z->v, z->order, score, m, mlen, rank, &found);
	if (rc)
		return rc;
	/* In the trie but not in the tree: the two disagree. */
	return found ? 0 : SHMREP_ECORRUPT;
}

int zset_span_rank(const struct zset_rd *z, int64_t start, int64_t stop,
		   bool rev, struct zset_span *out)
{
	int64_t llen = (int64_t)z->count;

	memset(out, 0, sizeof(*out));
	out->rev = rev;
	if (start < 0)
		start += llen;
	if (stop < 0)
		stop += llen;
	if (start < 0)
		start = 0;
	if (start > stop || start >= llen)
		return 0;
	if (stop >= llen)
		stop = llen - 1;
	out->count = (uint64_t)(stop - start + 1);
	out->start = rev ? (uint64_t)(llen - 1 - start) : (uint64_t)start;
	return 0;
}

int zset_span_score(const struct zset_rd *z, const struct zset_score_range *r,
		    bool rev, int64_t offset, int64_t limit,
		    struct zset_span *out)
{
	struct bounds b = { .sr = r };

	if (z->enc == SHM_E_PACK)
		return pk_span(z, &b, rev, offset, limit, out);
	return tr_span(z, &b, rev, offset, limit, out);
}

int zset_span_lex(const struct zset_rd *z, const struct zset_lex_range *r,
		  bool rev, int64_t offset, int64_t limit,
		  struct zset_span *out)
{
	struct bounds b = { .lr = r };

	if (z->enc == SHM_E_PACK)
		return pk_span(z, &b, rev, offset, limit, out);
	return tr_span(z, &b, rev, offset, limit, out);
}

int zset_iter(shmrep_iter *it, const struct zset_rd *z,
	      const struct zset_span *sp)
{
	if (sp->count == 0) {
		iter_init_empty(it);
		return 0;
	}
	if (z->enc == SHM_E_PACK)
		return iter_init_pack(it, IW_ZSET, z->val, z->vlen, sp->start,
				      sp->count, sp->rev);
	return iter_init_btree(it, IW_ZSET, z->v, z->order, sp->start,
			       sp->count, sp->rev);
}

bool zset_pack_score_ll(double score, long long *ll)
{
	long long v;

	/* Redis's double2ll(), which zzlInsertAt() uses to store a score. */
	if (isnan(score) || score < (double)(-LLONG_MAX / 2) ||
	    score > (double)(LLONG_MAX / 2))
		return false;
	v = (long long)score;
	if ((double)v != score)
		return false;
	*ll = v;
	return true;
}

/* ---------------------------------------------------------------- writer */

/* Bytes of a leaf: an element's, or a key's with its inline value. */
static uint64_t elem_bytes(const struct shm_leaf *l)
{
	return shm_leaf_size(l->klen, l->vlen);
}

static struct shm_leaf *wleaf(struct shm_writer *w, shm_ref r)
{
	return shm_wr_ptr(w, r);
}

/* The writer's own region disagreeing with itself is a bug, not an input
 * error: stop before anything worse is published. */
static __attribute__((noreturn)) void wr_broken(void)
{
	abort();
}

/* A listpack keeps a score of -0 as the integer 0. */
static double pk_norm(double s)
{
	return s == 0 ? 0.0 : s;
}

/* Index of member m in the handle's packed entries, or -1. */
static int pw_find(const struct zset_wr *z, const void *m, uint32_t mlen)
{
	for (uint32_t i = 0; i < z->n; i++)
		if (meq(z->ents[i].m, z->ents[i].len, m, mlen))
			return (int)i;
	return -1;
}

static void pw_remove(struct zset_wr *z, uint32_t i)
{
	memmove(&z->ents[i], &z->ents[i + 1],
		(z->n - i - 1) * sizeof(z->ents[0]));
	z->n--;
}

/* Insert (m, score) at its place; the caller checked there is room. */
static void pw_insert(struct zset_wr *z, const void *m, uint32_t mlen,
		      double score)
{
	uint32_t lo = 0, hi = z->n;

	score = pk_norm(score);
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct zset_ent *e = &z->ents[mid];

		if (ecmp(e->score, e->m, e->len, score, m, mlen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&z->ents[lo + 1], &z->ents[lo],
		(z->n - lo) * sizeof(z->ents[0]));
	z->ents[lo].m = m;
	z->ents[lo].len = mlen;
	z->ents[lo].score = score;
	z->n++;
}

/* A new element leaf for (m, score), in the trie under hash h, and in the
 * tree at its sorted place (or at position pos, when appending in order:
 * pos >= 0). */
static int tw_insert(struct zset_wr *z, uint64_t h, const void *m,
		     uint32_t mlen, double score, int64_t pos)
{
	struct shm_writer *w = z->w;
	shm_ref e = coll_elem_new(w, m, mlen, &score, ZSCORE_BYTES), old;
	int rc;

	if (!e)
		return -ENOMEM;
	rc = hamt_put(w, &z->desc->root, h, e, &old);
	if (rc)
		return rc;
	if (old)
		wr_broken(); /* the caller knew m was not there */
	rc = pos >= 0 ? btree_insert_at(w, &z->desc->order, (uint64_t)pos, e,
					score)
		      : btree_insert_sorted(w, &z->desc->order, e, score, NULL);
	if (rc)
		return rc == -EOVERFLOW ? -ENOMEM : rc;
	z->desc->count++;
	return 0;
}

/* The tree position of element leaf l (score s), which must be there. */
static uint64_t tw_rank(struct zset_wr *z, const struct shm_leaf *l,
			double s)
{
	uint64_t pos;
	bool found;

	if (btree_rank(&z->w->view, z->desc->order, s, l->data, l->klen, &pos,
		       &found) ||
	    !found)
		wr_broken();
	return pos;
}

/*
 * Give member leaf l (under hash h, score cur) the score s.  The tree
 * refers to member leaves, so it must end up pointing at whatever leaf the
 * trie holds: a leaf born in the batch is rewritten in place, any other is
 * replaced in both.  If the member keeps its position, one path of the
 * tree changes instead of two.
 */
static int tw_rescore(struct zset_wr *z, uint64_t h, const struct shm_leaf *l,
		      double cur, double s)
{
	struct shm_writer *w = z->w;
	shm_ref r = coll_ref(w, l), e = r, old, x;
	uint64_t pos = tw_rank(z, l, cur), npos;
	bool found, same;
	int rc;

	/* Where the new score sorts: if that is where the member is, one
	 * replacement does.  The search also brings the insertion's path
	 * into the cache for the case where it is not. */
	if (btree_rank(&w->view, z->desc->order, s, l->data, l->klen, &npos,
		       &found))
		wr_broken();
	/* npos counts the member's old entry when that sorts before it. */
	same = npos == pos || npos == pos + 1;
	if (shm_wr_born(w, r)) {
		uint8_t *p = wleaf(w, r)->data + l->klen;

		if (!same) {
			rc = btree_delete_at(w, &z->desc->order, pos, &x);
			if (rc)
				return rc;
		}
		shm_wr_undo(w, p, ZSCORE_BYTES);
		memcpy(p, &s, ZSCORE_BYTES);
	} else {
		e = coll_elem_new(w, l->data, l->klen, &s, ZSCORE_BYTES);
		if (!e)
			return -ENOMEM;
		rc = hamt_put(w, &z->desc->root, h, e, &old);
		if (rc)
			return rc;
		if (old != r)
			wr_broken();
		shm_wr_drop(w, r, elem_bytes(l));
		if (!same) {
			rc = btree_delete_at(w, &z->desc->order, pos, &x);
			if (rc)
				return rc;
		}
	}
	if (same)
		return btree_replace_at(w, &z->desc->order, pos, e, s, &x);
	rc = btree_insert_sorted(w, &z->desc->order, e, s, NULL);
	return rc == -EOVERFLOW ? -ENOMEM : rc;
}

/* Remove the element at tree position pos; its leaf in *out (readable
 * until the command ends). */
static int tw_delete_at(struct zset_wr *z, uint64_t pos,
			const struct shm_leaf **out)
{
	struct shm_writer *w = z->w;
	const struct shm_leaf *l;
	shm_ref e, old;
	int rc = btree_delete_at(w, &z->desc->order, pos, &e);

	if (rc)
		return rc;
	l = wleaf(w, e);
	rc = hamt_del(w, &z->desc->root, shm_hash(w->view.seed, l->data,
						 l->klen),
		      l->data, l->klen, &old);
	if (rc == -ENOENT || (!rc && old != e))
		wr_broken();
	if (rc)
		return rc;
	shm_wr_drop(w, e, elem_bytes(l));
	z->desc->count--;
	if (out)
		*out = l;
	return 0;
}

/* Move a packed set into a trie and a tree, for good. */
static int pw_convert(struct zset_wr *z)
{
	int rc;

	z->enc = SHM_E_ZTREE;
	z->converted = true;
	memset(z->desc, 0, sizeof(*z->desc));
	for (uint32_t i = 0; i < z->n; i++) {
		const struct zset_ent *e = &z->ents[i];

		rc = tw_insert(z, shm_hash(z->w->view.seed, e->m, e->len),
			       e->m, e->len, e->score, (int64_t)i);
		if (rc)
			return rc;
	}
	z->n = 0;
	return 0;
}

int zset_wr_open(struct zset_wr *z, struct shm_writer *w, unsigned db,
		 const void *key, uint32_t klen, const struct shm_leaf *l)
{
	struct zset_rd rd;
	struct pack_rd pr;
	struct pk_ent e;
	int rc;

	z->w = w;
	z->db = db;
	z->key = key;
	z->klen = klen;
	z->expire_ms = l ? l->expire_ms : 0;
	z->leaf = l;
	z->enc = SHM_E_PACK;
	z->changed = false;
	z->converted = false;
	z->cleared = false;
	z->n = 0;
	z->desc = shm_wr_cell(w, &(struct shm_vcoll){ 0 });
	if (!l)
		return 0;
	rc = zset_open(&rd, &w->view, l);
	if (rc)
		return rc;
	z->enc = rd.enc;
	if (rd.enc == SHM_E_ZTREE) {
		shm_leaf_desc(l, z->desc); /* zset_open() checked it */
		return 0;
	}
	rc = pk_open(&rd, &pr);
	for (uint64_t i = 0; !rc && i < rd.count; i++) {
		rc = pk_read(&pr, &e);
		if (rc)
			break;
		z->ents[i].m = e.m;
		z->ents[i].len = e.len;
		z->ents[i].score = e.score;
	}
	z->n = rc ? 0 : (uint32_t)rd.count;
	return rc;
}

uint64_t zset_wr_count(const struct zset_wr *z)
{
	return z->enc == SHM_E_PACK ? z->n : z->desc->count;
}

/* Redis's zsetAdd() on an element found with score cur: the score to set
 * in *s, or false when nothing is to be done (*out says why). */
static bool add_existing(unsigned in, double cur, double *s, unsigned *out)
{
	if (in & ZSET_IN_NX) {
		*out |= ZSET_OUT_NOP;
		return false;
	}
	if (in & ZSET_IN_INCR) {
		*s += cur;
		if (isnan(*s)) {
			*out |= ZSET_OUT_NAN;
			return false;
		}
	}
	if (((in & ZSET_IN_LT) && *s >= cur) ||
	    ((in & ZSET_IN_GT) && *s <= cur)) {
		*out |= ZSET_OUT_NOP;
		return false;
	}
	return true;
}

int zset_wr_add(struct zset_wr *z, const void *m, uint32_t mlen, double score,
		unsigned in, unsigned *out, double *newscore)
{
	const struct shm_leaf *l;
	uint64_t h;
	double cur;
	int i, rc;

	*out = 0;
	if (isnan(score)) {
		*out = ZSET_OUT_NAN;
		return 0;
	}
	if (z->enc == SHM_E_PACK) {
		i = pw_find(z, m, mlen);
		if (i >= 0) {
			cur = z->ents[i].score;
			if (!add_existing(in, cur, &score, out))
				return 0;
			*newscore = score;
			if (score != cur) {
				pw_remove(z, (uint32_t)i);
				pw_insert(z, m, mlen, score);
				z->changed = true;
				*out |= ZSET_OUT_UPDATED;
			}
			return 0;
		}
		if (in & ZSET_IN_XX) {
			*out |= ZSET_OUT_NOP;
			return 0;
		}
		if (z->n < SHM_PACK_MAX_ENTRIES && mlen <= SHM_PACK_MAX_BYTES) {
			pw_insert(z, m, mlen, score);
			z->changed = true;
			*newscore = score;
			*out |= ZSET_OUT_ADDED;
			return 0;
		}
		z->changed = true;
		rc = pw_convert(z);
		if (rc)
			return rc;
	}
	h = shm_hash(z->w->view.seed, m, mlen);
	rc = hamt_find(&z->w->view, z->desc->root, h, m, mlen, &l);
	if (rc == 0) {
		cur = leaf_score(l);
		if (!add_existing(in, cur, &score, out))
			return 0;
		*newscore = score;
		if (score != cur) {
			z->changed = true;
			rc = tw_rescore(z, h, l, cur, score);
			if (rc)
				return rc;
			*out |= ZSET_OUT_UPDATED;
		}
		return 0;
	}
	if (rc != SHMREP_ENOENT)
		wr_broken();
	if (in & ZSET_IN_XX) {
		*out |= ZSET_OUT_NOP;
		return 0;
	}
	z->changed = true;
	rc = tw_insert(z, h, m, mlen, score, -1);
	if (rc)
		return rc;
	*newscore = score;
	*out |= ZSET_OUT_ADDED;
	return 0;
}

int zset_wr_rem(struct zset_wr *z, const void *m, uint32_t mlen,
		bool *removed)
{
	struct shm_writer *w = z->w;
	const struct shm_leaf *l;
	shm_ref old, x;
	int i, rc;

	*removed = false;
	if (z->enc == SHM_E_PACK) {
		i = pw_find(z, m, mlen);
		if (i < 0)
			return 0;
		pw_remove(z, (uint32_t)i);
		z->changed = true;
		*removed = true;
		return 0;
	}
	rc = hamt_del(w, &z->desc->root, shm_hash(w->view.seed, m, mlen), m,
		      mlen, &old);
	if (rc == -ENOENT)
		return 0;
	z->changed = true;
	if (rc)
		return rc;
	l = wleaf(w, old);
	rc = btree_delete_at(w, &z->desc->order, tw_rank(z, l, leaf_score(l)),
			     &x);
	if (rc)
		return rc;
	if (x != old)
		wr_broken();
	shm_wr_drop(w, old, elem_bytes(l));
	z->desc->count--;
	*removed = true;
	return 0;
}

int zset_wr_rem_span(struct zset_wr *z, uint64_t start, uint64_t count)
{
	int rc;

	if (count == 0)
		return 0;
	if (z->enc == SHM_E_PACK) {
		memmove(&z->ents[start], &z->ents[start + count],
			(z->n - start - count) * sizeof(z->ents[0]));
		z->n -= (uint32_t)count;
		z->changed = true;
		return 0;
	}
	/* All of a set this handle has not touched yet: the key goes with
	 * its structure whole, in O(1) now and O(n) in reclamation. */
	if (start == 0 && count == z->desc->count && z->leaf && !z->changed) {
		z->changed = true;
		z->cleared = true;
		memset(z->desc, 0, sizeof(*z->desc));
		return 0;
	}
	z->changed = true;
	for (uint64_t k = 0; k < count; k++) {
		rc = tw_delete_at(z, start, NULL);
		if (rc)
			return rc;
	}
	return 0;
}

int zset_wr_pop(struct zset_wr *z, bool max, struct zset_ent *out)
{
	const struct shm_leaf *l;
	uint32_t i;
	int rc;

	z->changed = true;
	if (z->enc == SHM_E_PACK) {
		i = max ? z->n - 1 : 0;
		*out = z->ents[i];
		pw_remove(z, i);
		return 0;
	}
	rc = tw_delete_at(z, max ? z->desc->count - 1 : 0, &l);
	if (rc)
		return rc;
	out->m = l->data;
	out->len = l->klen;
	out->score = leaf_score(l);
	return 0;
}

int zset_wr_load(struct zset_wr *z, const struct zset_ent *e, uint64_t n)
{
	bool small = n <= SHM_PACK_MAX_ENTRIES;

	for (uint64_t i = 0; small && i < n; i++)
		small = e[i].len <= SHM_PACK_MAX_BYTES;
	z->changed = true;
	if (small) {
		for (uint64_t i = 0; i < n; i++) {
			z->ents[i] = e[i];
			z->ents[i].score = pk_norm(e[i].score);
		}
		z->n = (uint32_t)n;
		return 0;
	}
	z->enc = SHM_E_ZTREE;
	z->converted = true;
	for (uint64_t i = 0; i < n; i++) {
		int rc = tw_insert(z, shm_hash(z->w->view.seed, e[i].m,
					       e[i].len),
				   e[i].m, e[i].len, e[i].score, (int64_t)i);

		if (rc)
			return rc;
	}
	return 0;
}

/* Remove the key, if it is there. */
static int unlink_key(struct zset_wr *z)
{
	int rc = keys_unlink(z->w, z->db, z->key, z->klen);

	return rc == -ENOENT ? 0 : rc;
}

/* Write the packed entries as the key's new leaf. */
static int pw_store(struct zset_wr *z)
{
	uint64_t vlen = 4;
	uint8_t *p;
	shm_ref r;

	for (uint32_t i = 0; i < z->n; i++)
		vlen += pack_size(z->ents[i].len) + ZSCORE_BYTES;
	r = coll_leaf_new(z->w, z->key, z->klen, SHM_T_ZSET, SHM_E_PACK, vlen,
			  z->expire_ms, &p);
	if (!r)
		return -ENOMEM;
	pack_put_count(&p, z->n);
	for (uint32_t i = 0; i < z->n; i++) {
		pack_put(&p, z->ents[i].m, z->ents[i].len);
		pack_put_score(&p, z->ents[i].score);
	}
	return keys_link(z->w, z->db, r, KEYS_REPLACE, NULL);
}

int zset_wr_close(struct zset_wr *z)
{
	int rc;

	if (!z->changed)
		return 0;
	z->changed = false;
	if (z->cleared)
		return unlink_key(z);
	if (z->enc == SHM_E_PACK)
		return z->n ? pw_store(z) : unlink_key(z);
	/* Trees built by this handle: nothing else refers to them, and
	 * whatever the key held goes whole. */
	if (z->converted || !z->leaf) {
		if (!z->desc->count)
			return unlink_key(z);
		return coll_link_desc(z->w, z->db, z->key, z->klen, SHM_T_ZSET,
				      SHM_E_ZTREE, z->expire_ms, z->desc,
				      false);
	}
	/* Trees changed path by path: the old leaf must go alone (its
	 * replaced nodes were dropped one by one), so the new descriptor
	 * is stored first, even when the set is now empty. */
	rc = coll_set_desc(z->w, z->db, z->leaf, z->desc);
	if (!rc && !z->desc->count)
		rc = unlink_key(z);
	return rc;
}
