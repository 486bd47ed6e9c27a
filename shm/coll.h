/*
 * coll.h - plumbing shared by the collection types (hashes, sets, sorted
 * sets, lists) on the writer's side: leaves with packed values, leaves with
 * a struct shm_vcoll descriptor, element leaves, and changing a key's value
 * in the open batch.  The encodings themselves are described in layout.h.
 *
 * Conventions every collection module follows:
 *   - A collection is PACK while it has at most SHM_PACK_MAX_ENTRIES entries
 *     of at most SHM_PACK_MAX_BYTES each; past either limit it converts for
 *     good to its large encoding (Redis does not convert back either).
 *   - A collection that becomes empty is deleted (keys_unlink), as in Redis.
 *   - Every write runs in a writer command and returns -ENOMEM when the
 *     region is full; the caller aborts the command.
 *   - A large collection's structure is changed through the trie (hamt.c)
 *     and B+tree (btree.c) functions on a working descriptor kept in a
 *     writer cell (shm_wr_cell), then stored with coll_set_desc().  The
 *     descriptor in a leaf is unaligned: read with shm_leaf_desc().
 */
#ifndef SHM_COLL_H
#define SHM_COLL_H

#include <stdbool.h>
#include <stdint.h>

#include "layout.h"
#include "read.h"

struct shm_writer;

/*
 * A new, unlinked leaf for key (type, encoding, TTL) with vlen bytes of
 * value for the caller to fill through *val.  0 when the region is full.
 */
shm_ref coll_leaf_new(struct shm_writer *w, const void *key, uint32_t klen,
		      uint8_t type, uint8_t enc, uint64_t vlen,
		      int64_t expire_ms, uint8_t **val);

/*
 * Store desc as the descriptor of the large collection whose leaf is l (in
 * db): in place if l was born in the open batch, else in a new leaf that
 * replaces l and shares its structure.  0 or -ENOMEM.
 */
int coll_set_desc(struct shm_writer *w, unsigned db,
		  const struct shm_leaf *l, const struct shm_vcoll *desc);

/* Link a new leaf for key holding a large collection described by desc,
 * in place of the key's current leaf (whose structure it may share). */
int coll_link_desc(struct shm_writer *w, unsigned db, const void *key,
		   uint32_t klen, uint8_t type, uint8_t enc, int64_t expire_ms,
		   const struct shm_vcoll *desc, bool share);

/*
 * An element leaf (SHM_T_ELEM): s is its key (field, member or list
 * element), val its value (a hash value, a sorted set's 8-byte score, or
 * nothing).  0 when the region is full.
 */
shm_ref coll_elem_new(struct shm_writer *w, const void *s, uint32_t len,
		      const void *val, uint32_t vlen);

/* The ref of a block the writer reads through its own mapping. */
shm_ref coll_ref(struct shm_writer *w, const void *p);

#endif
