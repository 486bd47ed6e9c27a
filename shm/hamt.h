/*
 * hamt.h - the keyspace of one database: a CHAMP-style hash array mapped
 * trie over 64-bit keyed hashes (layout in layout.h).
 *
 * The read functions take a struct shm_view and check every ref they
 * follow, so readers use them on a region they do not trust.  The write
 * functions take the writer and work on the open batch (writer.h).
 */
#ifndef SHM_HAMT_H
#define SHM_HAMT_H

#include <stdbool.h>
#include <stdint.h>

#include "layout.h"
#include "read.h"

struct shm_writer;

/* Lookups (hamt_find) are inline, in read.h: they are every read's path. */

/*
 * Visitor for hamt_scan: called with the n >= 1 leaves that share one full
 * hash (n > 1 only for a collision group).  Return HAMT_NEXT to go on,
 * HAMT_STOP to stop after this group, or HAMT_REFUSE to stop before it
 * (it will be the first of the next call).
 */
enum { HAMT_NEXT = 0, HAMT_STOP = 1, HAMT_REFUSE = 2 };
typedef int (*hamt_visit_fn)(void *arg, const struct shm_leaf *const *ls,
			     unsigned n);

/*
 * Visit, in hash order, the leaves under root whose hash is >= *cursor,
 * until the visitor stops or after the group that brings the count of
 * visited leaves to at least limit (0 = no limit).  *cursor becomes the hash
 * to continue from, or 0 if the walk reached the end.  Returns 0 or
 * SHMREP_ECORRUPT.
 */
int hamt_scan(const struct shm_view *v, shm_ref root, uint64_t *cursor,
	      uint64_t limit, hamt_visit_fn fn, void *arg);

/*
 * A resumable walk over the leaves under a root, in hash order, with no
 * allocation and no callback (collections' iterators are built on it).
 * Like hamt_scan, it requires strictly increasing hashes, so a corrupt trie
 * with shared or cyclic children ends in SHMREP_ECORRUPT.
 */
struct hamt_iter {
	const struct shm_view *v;
	unsigned depth; /* entries in st[] */
	unsigned ci; /* next leaf of a collision node on top */
	bool any;
	uint64_t last; /* hash of the last leaf handed out */
	struct {
		shm_ref node;
		uint64_t rest; /* bitmap bits not visited yet */
	} st[SHM_HAMT_MAXDEPTH + 1];
};

void hamt_iter_init(struct hamt_iter *it, const struct shm_view *v,
		    shm_ref root);
/* 1 and *out, 0 at the end, or SHMREP_ECORRUPT. */
int hamt_iter_next(struct hamt_iter *it, const struct shm_leaf **out);

/*
 * Check the structural invariants of the trie under root (tests): maps
 * disjoint, leaves placed by their hash, no foldable node, refs in bounds.
 * Counts the leaves in *nleaves.  Returns 0 or SHMREP_ECORRUPT.
 */
int hamt_check(const struct shm_view *v, shm_ref root, uint64_t *nleaves);

/*
 * Link leaf (hash h) under *root in the open batch, replacing the leaf of
 * the same key if any: its ref goes to *old (0 if none) and the caller
 * drops it.  Returns 0 or -ENOMEM (the caller aborts the command).
 */
int hamt_put(struct shm_writer *w, shm_ref *root, uint64_t h, shm_ref leaf,
	     shm_ref *old);

/*
 * Unlink key (hash h) from *root; its leaf goes to *old for the caller to
 * drop.  Returns 0, -ENOENT, or -ENOMEM.
 */
int hamt_del(struct shm_writer *w, shm_ref *root, uint64_t h,
	     const void *key, uint32_t klen, shm_ref *old);

/* Free every node and leaf under r (a node at depth), once no reader can
 * see any of it.  Leaves go through shm_wr_free_leaf().  Writer-only. */
void hamt_free_tree(struct shm_writer *w, shm_ref r, unsigned depth);

/* Commit-time release of a subtree unlinked in the open batch: nodes and
 * leaves born in the batch are freed now, older subtrees and leaves are
 * retired whole.  Writer-only. */
void hamt_drop_tree(struct shm_writer *w, shm_ref r, unsigned depth);

#endif
