/*
 * iter.h - the state behind a shmrep_iter (libshmrep's iterators, and the
 * daemon's own walks over collections for HGETALL, LRANGE, ZRANGE...).
 *
 * Every collection read that hands out a sequence (HGETALL, SMEMBERS,
 * ZRANGE*, LRANGE) reduces to one of three walks over one snapshot: through
 * a packed value (small collections), through a trie (large hashes and
 * sets, in hash order) or through a B+tree (large sorted sets and lists, by
 * position, either direction).  A range is a start position, a number of
 * elements and a direction, so BYSCORE and BYLEX are only a different way
 * of finding the start.  The state fits in the caller's shmrep_iter.
 */
#ifndef SHM_ITER_H
#define SHM_ITER_H

#include <stdbool.h>
#include <stdint.h>

#include "btree.h"
#include "hamt.h"
#include "pack.h"
#include "shmrep.h"

enum { IT_EMPTY, IT_PACK, IT_HAMT, IT_BTREE };
/* What the elements are, which says how to decode them. */
enum { IW_HASH, IW_SET, IW_ZSET, IW_LIST };

struct iter_impl {
	uint8_t kind; /* IT_* */
	uint8_t what; /* IW_* */
	bool rev; /* walk towards position 0 */
	int err; /* sticky error */
	uint64_t left; /* elements still to hand out */
	union {
		struct {
			const uint8_t *val;
			uint64_t vlen;
			uint32_t count;
			uint32_t next; /* position of the next element */
			struct pack_rd rd; /* forward: positioned at next */
		} pack;
		struct hamt_iter hamt;
		struct btree_iter bt;
	} u;
};
_Static_assert(sizeof(struct iter_impl) <= sizeof(shmrep_iter),
	       "iterator state fits in shmrep_iter");

static inline struct iter_impl *iter_impl(shmrep_iter *it)
{
	return (struct iter_impl *)(void *)it;
}

/* shmrep_iter_next(): 1 and *out, 0 at the end, or a negative error. */
int iter_next(shmrep_iter *it, shmrep_entry *out);

/* An iteration over nothing (a missing key, an empty range). */
void iter_init_empty(shmrep_iter *it);

/* The elements of a packed value val[0..vlen), count of them from
 * position start, towards the end, or towards position 0 if rev. */
int iter_init_pack(shmrep_iter *it, int what, const void *val, uint64_t vlen,
		   uint64_t start, uint64_t count, bool rev);

/* Every leaf of the trie under root (hashes and sets). */
void iter_init_hamt(shmrep_iter *it, int what, const struct shm_view *v,
		    shm_ref root);

/* count elements of the B+tree under root from position start. */
int iter_init_btree(shmrep_iter *it, int what, const struct shm_view *v,
		    shm_ref root, uint64_t start, uint64_t count, bool rev);

#endif
