/*
 * c_list.h - Redis lists in the region: the checked reads that the daemon
 * and libshmrep share, and the writer's list editor.  Design notes at the
 * top of c_list.c; the encodings are described in layout.h.
 *
 * A list is one leaf of type SHM_T_LIST, encoded
 *   SHM_E_PACK   while it has at most SHM_PACK_MAX_ENTRIES elements of at
 *                most SHM_PACK_MAX_BYTES bytes each: the elements inline,
 *                in order;
 *   SHM_E_LTREE  once either limit has been passed (for good, as in
 *                Redis): a descriptor whose root is a counted B+tree
 *                (btree.c) of SHM_T_ELEM leaves by position, which owns
 *                them.
 * A list that exists has at least one element: removing the last one
 * deletes the key.
 *
 * Reads take a struct shm_view and the list's leaf (found by the caller,
 * who checked its type and TTL), and check everything they follow: a
 * damaged value or tree gives SHMREP_ECORRUPT, never a crash.  Views they
 * hand out point into the region and are valid as long as the version
 * they were read from is (a reader's snapshot; the writer's command).
 *
 * Writes go through an editor (struct clist_ed) opened on one key inside a
 * command (writer.h): open, any number of reads and changes by position,
 * close.  A change returns 0, -ERANGE for a position out of range (nothing
 * changed), or -ENOMEM: the region is full, the caller aborts the command
 * (which undoes everything) and drops the editor, which is in no state to
 * be used again.  The caller has checked the key's type, and deleted it
 * first if its TTL has passed (daemon/db.c does both).  Close keeps the TTL
 * of the key it changes, creates a missing key without one, and deletes a
 * key left without elements.
 */
#ifndef SHM_C_LIST_H
#define SHM_C_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btree.h"
#include "layout.h"
#include "read.h"
#include "shmrep.h"

struct shm_writer;

/* ----------------------------------------------------------------- reads */

/* Elements of list l (LLEN): 0 and *n, or SHMREP_ECORRUPT. */
int clist_len(const struct shm_view *v, const struct shm_leaf *l,
	      uint64_t *n);

/*
 * The element at index (LINDEX: negative counts from the end) in *out.
 * Returns 0, SHMREP_ERANGE if the list has no such index, or
 * SHMREP_ECORRUPT.  O(log n) on a large list.
 */
int clist_index(const struct shm_view *v, const struct shm_leaf *l,
		int64_t index, shmrep_view *out);

/*
 * Iterate (shmrep_iter_next) count elements of list l from position start,
 * towards the end, or towards position 0 if rev; fewer if the list ends
 * first, none if start is past the end.  The start costs O(log n) on a
 * large list, each step O(1) amortised.  On error the iteration is empty.
 */
int clist_iter(shmrep_iter *it, const struct shm_view *v,
	       const struct shm_leaf *l, uint64_t start, uint64_t count,
	       bool rev);

/*
 * LRANGE's and LTRIM's reading of start and stop (both inclusive, negative
 * counting from the end) on a list of len elements: true and the first
 * position and number of elements of the range, false if it is empty.
 */
bool clist_range(uint64_t len, int64_t start, int64_t stop, uint64_t *from,
		 uint64_t *count);

/*
 * Check every invariant of list l (tests, debugging): its encoding fits
 * its size (packed: 1 to SHM_PACK_MAX_ENTRIES elements of at most
 * SHM_PACK_MAX_BYTES, nothing after the last; large: a valid tree of at
 * least one SHM_T_ELEM leaf, each held once, as many as the descriptor
 * says).  The element count in *n.  Returns 0, SHMREP_ECORRUPT, or
 * SHMREP_ENOMEM (process memory for the duplicate check).  O(n log n).
 */
int clist_check(const struct shm_view *v, const struct shm_leaf *l,
		uint64_t *n);

/* --------------------------------------------------------------- writes */

/* A list being edited.  Fields are private. */
struct clist_ed {
	struct shm_writer *w;
	unsigned db;
	const void *key;
	uint32_t klen;
	int64_t expire_ms;
	const struct shm_leaf *leaf; /* the key's leaf at open, or NULL */
	bool tree; /* working encoding: LTREE, else packed */
	bool changed;
	bool whole; /* the leaf's untouched tree goes with it (clear) */
	uint64_t count; /* elements now */
	/* packed: the elements, pointing into the old leaf or the caller's
	 * arguments, and the bytes they take packed */
	uint64_t bytes;
	struct clist_sv {
		const uint8_t *p;
		uint32_t len;
	} sv[SHM_PACK_MAX_ENTRIES];
	/* large: the root at open, and the writer cell holding the working
	 * root once the tree changes (shm_wr_cell) */
	shm_ref root0;
	struct shm_vcoll *cell;
};

/*
 * Open key (klen bytes) of db for editing: the list it holds, or an empty
 * one if it is missing.  The key bytes, and the bytes of every element
 * inserted or set, must stay valid and unchanged until close (a packed
 * list keeps pointers to them until it writes its new leaf): command
 * arguments, or elements the editors of this command have handed out.
 * 0 or SHMREP_ECORRUPT (the writer's own value does not decode).
 */
int clist_open(struct clist_ed *e, struct shm_writer *w, unsigned db,
	       const void *key, uint32_t klen);

/* Elements in the list now. */
static inline uint64_t clist_count(const struct clist_ed *e)
{
	return e->count;
}

/*
 * The element at pos (< count): a pointer valid until the command ends,
 * whatever the editor does meanwhile.  0 or SHMREP_ECORRUPT.
 */
int clist_get(struct clist_ed *e, uint64_t pos, const uint8_t **p,
	      uint32_t *len);

/* Insert s (len bytes) at pos (<= count): it becomes element pos. */
int clist_insert(struct clist_ed *e, uint64_t pos, const void *s,
		 uint64_t len);

/* Remove the element at pos (< count). */
int clist_delete(struct clist_ed *e, uint64_t pos);

/* Replace the element at pos (< count) with s (LSET). */
int clist_set(struct clist_ed *e, uint64_t pos, const void *s, uint64_t len);

/*
 * Keep count elements from position start (start + count <= count of the
 * list), removing the others (LTRIM, and pops of several elements): the
 * cheaper of deleting what goes and rebuilding from what stays.
 */
int clist_keep(struct clist_ed *e, uint64_t start, uint64_t count);

/*
 * The first position >= from (forward), or the last < from (rev), whose
 * element is s: 1 and *pos, 0 if there is none, or SHMREP_ECORRUPT.
 */
int clist_find(struct clist_ed *e, uint64_t from, bool rev, const void *s,
	       uint64_t len, uint64_t *pos);

/*
 * A walk over the editor's elements (pops reply with them): from position
 * start (< count), towards the end or towards 0 if rev.  Valid until the
 * editor next changes the list.  Fields are private.
 */
struct clist_cursor {
	const struct clist_ed *e;
	uint64_t pos; /* next position to hand out */
	uint64_t left; /* elements still available */
	bool rev;
	struct btree_iter bt;
};

/* 0 or SHMREP_ECORRUPT. */
int clist_seek(struct clist_cursor *c, const struct clist_ed *e,
	       uint64_t start, bool rev);

/* 1 and the next element (valid until the command ends), 0 at the end, or
 * SHMREP_ECORRUPT. */
int clist_next(struct clist_cursor *c, const uint8_t **p, uint32_t *len);

/*
 * Store the list under its key: a packed leaf, a large list's descriptor
 * (the tree was changed in place), or nothing at all if the list is empty
 * (the key is deleted).  0 or -ENOMEM.
 */
int clist_close(struct clist_ed *e);

#endif
