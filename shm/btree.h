/*
 * btree.h - a persistent counted B+tree (an order-statistic tree) in the
 * region: the ordered structure under large sorted sets (by score, then
 * member) and large lists (by position).  Design notes at the top of
 * btree.c.
 *
 * Elements are struct shm_leaf blocks (layout.h) that the tree refers to
 * and never reads beyond their member bytes:
 *   sorted set  klen bytes of member, then vlen = 8 bytes: the score (a
 *               double).  The score the tree orders by is the one passed
 *               to it and kept in its nodes; btree_check() verifies that
 *               the two agree.
 *   list        klen bytes of element, vlen = 0; score 0 everywhere.
 * Element leaves own nothing: the tree frees one (when it owns it, see
 * btree_drop_tree) as a block of shm_leaf_size(klen, vlen) bytes.
 *
 * Order of a sorted set: by score (never NaN; -0.0 == 0.0, as in Redis),
 * then by member bytes as Redis's sdscmp (memcmp over the shorter length,
 * then the shorter first).  The tree never holds two equal elements: the
 * caller guarantees it (a sorted set's members are unique).
 *
 * Readers (const struct shm_view *) check everything they follow, as
 * read.h does: a corrupt tree gives SHMREP_ECORRUPT, never a crash or an
 * endless loop.  Element refs handed back (btree_select, iterators) are not
 * checked: read them through shm_leaf_at().  Everything a reader gets is
 * valid as long as the version it read from is pinned (its read section).
 *
 * Writers take the writer and work in the open batch, in a command
 * (writer.h): nodes born in the batch are edited in place after logging
 * what changes, older ones are copied and dropped.  Every write function
 * can fail with -ENOMEM (the region is full) after changing things; the
 * caller then aborts the command, which restores everything.  The writer
 * may use the reader functions on w->view, its own mapping.
 */
#ifndef SHM_BTREE_H
#define SHM_BTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"
#include "read.h"

struct shm_writer;

/*
 * Nodes.  Two kinds, told apart by height, both exactly one allocator size
 * class: a bottom node (height 0, 41 elements, 512 bytes) and an inner node
 * (height >= 1, 31 children, 640 bytes).  Arrays rather than an array of
 * entries, so that a binary search on scores reads a dense array of doubles
 * and a walk by position a dense array of counts.
 *
 * An inner node's entry i describes its child i: count[i] elements under
 * it, and (score[i], key[i]) is the greatest element under it, its score
 * and its leaf.  So an inner node orders its children exactly as a bottom
 * node orders its elements, and a search breaks a tie between equal scores
 * by reading one member, never by walking down a subtree.
 *
 * Non-root nodes hold at least a quarter of their capacity (10 and 7
 * entries); a root holds at least one element (bottom) or two children
 * (inner).  Every element count, whole tree included, fits 32 bits.
 */
#define SHM_BTREE_BOTTOM_FANOUT 41
#define SHM_BTREE_FANOUT 31
/* Heights are 0 .. SHM_BTREE_MAXHEIGHT - 1; readers refuse higher roots.
 * With the minimum fills, 2^32 elements need height 10 at most. */
#define SHM_BTREE_MAXHEIGHT 12

struct shm_bnode {
	uint16_t n; /* entries in use, 1..fanout of the kind */
	uint8_t height; /* 0 = bottom */
	uint8_t pad0;
	uint32_t pad1;
	uint64_t birth; /* at SHM_BIRTH_OFF: writer-only, see writer.h */
};
_Static_assert(sizeof(struct shm_bnode) == 16, "shm_bnode layout");
_Static_assert(offsetof(struct shm_bnode, height) == 2, "shm_bnode layout");
_Static_assert(offsetof(struct shm_bnode, birth) == SHM_BIRTH_OFF, "birth");

struct shm_bbottom {
	struct shm_bnode hdr; /* height 0 */
	double score[SHM_BTREE_BOTTOM_FANOUT]; /* the element's; 0 in lists */
	shm_ref elem[SHM_BTREE_BOTTOM_FANOUT]; /* element leaves */
};
_Static_assert(sizeof(struct shm_bbottom) == 512, "one 512-byte class");
_Static_assert(offsetof(struct shm_bbottom, score) == 16, "shm_bbottom");
_Static_assert(offsetof(struct shm_bbottom, elem) == 344, "shm_bbottom");

struct shm_binner {
	struct shm_bnode hdr; /* height >= 1 */
	double score[SHM_BTREE_FANOUT]; /* greatest score under child i */
	shm_ref ref[SHM_BTREE_FANOUT]; /* child i, at height - 1 */
	shm_ref key[SHM_BTREE_FANOUT]; /* leaf of the greatest under child i */
	uint32_t count[SHM_BTREE_FANOUT]; /* elements under child i */
};
_Static_assert(sizeof(struct shm_binner) == 640, "one 640-byte class");
_Static_assert(offsetof(struct shm_binner, score) == 16, "shm_binner");
_Static_assert(offsetof(struct shm_binner, ref) == 264, "shm_binner");
_Static_assert(offsetof(struct shm_binner, key) == 388, "shm_binner");
_Static_assert(offsetof(struct shm_binner, count) == 512, "shm_binner");

/* ------------------------------------------------------------- readers */

/*
 * Elements in the tree at root (0 for root 0) in *count: one read of the
 * root node.  Returns 0 or SHMREP_ECORRUPT.
 */
int btree_count(const struct shm_view *v, shm_ref root, uint64_t *count);

/*
 * The element at position pos (0-based): its leaf in *elem, its score in
 * *score.  Returns 0, SHMREP_ERANGE if pos >= count, or SHMREP_ECORRUPT.
 */
int btree_select(const struct shm_view *v, shm_ref root, uint64_t pos,
		 shm_ref *elem, double *score);

/*
 * Sorted trees: the position of (score, member) in *rank, or where it would
 * be inserted (the number of smaller elements); *found says whether it is
 * there.  Returns 0 or SHMREP_ECORRUPT.
 */
int btree_rank(const struct shm_view *v, shm_ref root, double score,
	       const void *member, uint32_t mlen, uint64_t *rank, bool *found);

/*
 * Sorted trees: the first position whose score is >= s (> s if exclusive),
 * count if none, in *pos.  Reads no element.  0 or SHMREP_ECORRUPT.
 */
int btree_lower_bound_score(const struct shm_view *v, shm_ref root, double s,
			    bool exclusive, uint64_t *pos);

/*
 * Sorted trees whose scores are all equal (ZRANGEBYLEX; on other trees the
 * answer is meaningless but safe): the first position whose member is >= m
 * (> m if exclusive), count if none.  0 or SHMREP_ECORRUPT.
 */
int btree_lower_bound_lex(const struct shm_view *v, shm_ref root,
			  const void *m, uint32_t mlen, bool exclusive,
			  uint64_t *pos);

/*
 * An iterator: a cursor between two positions, moving either way.  Fixed
 * size, no allocation; it holds pointers into the view's mapping, valid as
 * long as the version is pinned.  next returns the element after the
 * cursor and moves past it, prev the one before it and moves back, so a
 * next followed by a prev returns the same element twice.  Fields are
 * private.
 */
struct btree_iter {
	const struct shm_view *v;
	uint64_t pos; /* elements before the cursor */
	uint64_t count; /* elements in the tree */
	int height; /* of the root; -1 for an empty tree */
	int err; /* sticky: the first error met */
	struct btree_iter_level {
		const struct shm_bnode *node;
		uint32_t n; /* node's entries, checked */
		/* inner: the child the cursor is under; bottom: entries
		 * before the cursor, 0..n */
		uint32_t idx;
	} lvl[SHM_BTREE_MAXHEIGHT];
};

/*
 * Put the cursor before position pos (0..count: pos = count is the end, from
 * which prev walks backwards).  Returns 0, SHMREP_ERANGE if pos > count, or
 * SHMREP_ECORRUPT; the iterator is usable only after 0.
 */
int btree_iter_init(struct btree_iter *it, const struct shm_view *v,
		    shm_ref root, uint64_t pos);

/*
 * Step forward (next) or backward (prev): 1 and the element, 0 at the end
 * (resp. the start), or SHMREP_ECORRUPT, which every later call returns
 * too.  A step costs O(1) amortised, O(height) at most.
 */
int btree_iter_next(struct btree_iter *it, shm_ref *elem, double *score);
int btree_iter_prev(struct btree_iter *it, shm_ref *elem, double *score);

/* Position of the cursor: elements before it. */
static inline uint64_t btree_iter_pos(const struct btree_iter *it)
{
	return it->pos;
}

/*
 * Check every invariant of the tree (tests, debugging): node kinds, fills
 * and heights, counts, the greatest element of each child, element leaves
 * valid; if sorted, elements in strictly increasing order, no NaN score,
 * and each leaf's 8-byte value equal to its score.  The element count in
 * *count.  Returns 0 or SHMREP_ECORRUPT.  O(n); visits at most as many
 * nodes as the region can hold, so shared subtrees in a corrupt region
 * cannot make it run for ever.
 */
int btree_check(const struct shm_view *v, shm_ref root, bool sorted,
		uint64_t *count);

/* ------------------------------------------------------------- writers */

/*
 * *root is the caller's field (writer-private or region memory) holding the
 * root, 0 for an empty tree; the functions change it through shm_wr_set32.
 * Element leaves removed or replaced are handed back, never dropped: the
 * caller decides what becomes of them.  All return 0, -ENOMEM (abort the
 * command), or -ERANGE for a position out of range (then nothing changed).
 */

/* Insert elem with score at position pos, 0 <= pos <= count.  Lists; also
 * -EOVERFLOW if the tree holds UINT32_MAX elements already. */
int btree_insert_at(struct shm_writer *w, shm_ref *root, uint64_t pos,
		    shm_ref elem, double score);

/* Sorted trees: insert elem (its member is its key bytes) at its place by
 * (score, member); its position in *pos_out if not NULL.  No equal element
 * may be in the tree.  -EOVERFLOW as btree_insert_at. */
int btree_insert_sorted(struct shm_writer *w, shm_ref *root, shm_ref elem,
			double score, uint64_t *pos_out);

/* Remove the element at pos (< count); its leaf in *elem_out.  Sorted sets
 * find pos with btree_rank(&w->view, ...) first. */
int btree_delete_at(struct shm_writer *w, shm_ref *root, uint64_t pos,
		    shm_ref *elem_out);

/* Make elem with score the element at pos (< count), in place of the one
 * there, whose leaf goes to *old_out.  In a sorted tree the new element
 * must sort where the old one did (a copy of the member's leaf, say). */
int btree_replace_at(struct shm_writer *w, shm_ref *root, uint64_t pos,
		     shm_ref elem, double score, shm_ref *old_out);

/*
 * The tree as a whole, like hamt_drop_tree / hamt_free_tree.  free_elems
 * says whether the tree owns its element leaves (lists) or not (sorted sets,
 * whose leaves the member trie owns).
 *
 * drop: at commit time (from release() in writer.c, or from whatever
 * releases the key leaf that owns the tree), never inside a command: nodes
 * and leaves born in the open batch are freed now, older subtrees retired
 * whole (SHM_DEAD_BTREE), older leaves retired as blocks.
 * free: once nothing can see any of it (reclamation): frees it all now.
 */
void btree_drop_tree(struct shm_writer *w, shm_ref root, bool free_elems);
void btree_free_tree(struct shm_writer *w, shm_ref root, bool free_elems);

#endif
