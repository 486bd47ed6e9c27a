/*
 * keys.h - the keyspace as the daemon's commands see it: find, link and
 * unlink leaves in a database of the open batch, keeping the per-database
 * key and TTL counts of the snapshot record right.  Every call here runs
 * inside a command (shm_wr_begin ... commit/abort) and returns -ENOMEM when
 * the region is full; the caller then aborts the command.
 */
#ifndef SHM_KEYS_H
#define SHM_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "layout.h"
#include "read.h"

struct shm_writer;
struct shm_leaf;

/* The leaf of key in db, expired or not: 0 and *out, or -ENOENT. */
int keys_find(struct shm_writer *w, unsigned db, const void *key,
	      uint32_t klen, const struct shm_leaf **out);

/*
 * A new, unlinked leaf for key with room for vlen value bytes (fill them
 * through shm_leaf_val), born in the open batch.  0 if the region is full.
 */
shm_ref keys_leaf_new(struct shm_writer *w, const void *key, uint32_t klen,
		      uint8_t type, uint64_t vlen, int64_t expire_ms);

/* How keys_link treats the leaf it replaces. */
enum {
	KEYS_REPLACE = 0, /* the old value is gone: release it with its leaf */
	KEYS_SHARE = 1, /* the new leaf shares the old one's value structure */
};

/*
 * Link leaf (made by keys_leaf_new) into db under its key, replacing the
 * old leaf of that key if there is one.  *created (if not NULL) says
 * whether the key is new.  0 or -ENOMEM.
 */
int keys_link(struct shm_writer *w, unsigned db, shm_ref leaf, int how,
	      bool *created);

/* Remove key from db.  0, -ENOENT or -ENOMEM. */
int keys_unlink(struct shm_writer *w, unsigned db, const void *key,
		uint32_t klen);

/* Set (expire_ms > 0) or clear (0) the TTL of key.  0, -ENOENT, -ENOMEM. */
int keys_set_expire(struct shm_writer *w, unsigned db, const void *key,
		    uint32_t klen, int64_t expire_ms);

/* Empty db. */
void keys_flush(struct shm_writer *w, unsigned db);

/* Swap databases a and b, tries and counts (SWAPDB), in the open batch:
 * logged, so that an aborted command swaps them back. */
void keys_swap(struct shm_writer *w, unsigned a, unsigned b);

/*
 * Give the value of key in db sdb, TTL included, to dkey in ddb (RENAME,
 * MOVE): a new leaf under dkey carries the same inline value, so a large
 * collection's descriptor, and the structure under it changes owner without
 * being copied.  What dkey held goes with its structure (the caller checks
 * for RENAMENX and MOVE that there was nothing); key's old leaf goes alone.
 * O(1) whatever the value's size; a key moved onto itself stays.  0,
 * -ENOENT (no key in sdb) or -ENOMEM.
 */
int keys_move(struct shm_writer *w, unsigned sdb, const void *key,
	      uint32_t klen, unsigned ddb, const void *dkey, uint32_t dklen);

/*
 * A new, unlinked leaf for key holding a deep copy of leaf l's value, with
 * l's type and encoding and expire_ms as its TTL: strings and packed
 * collections byte for byte, a large collection's trie and B+tree rebuilt
 * element by element in w's open batch (a trie is placed by w's hash seed,
 * so it cannot be copied node for node across regions).  The copy shares
 * no block with l, so either can go without the other.  l is read through
 * view from, and checked as a reader checks: w's own view (COPY) or the
 * view of a region being taken over (writer.c).  0 and *out, -ENOMEM, or
 * SHMREP_ECORRUPT (l does not decode); after an error the caller aborts
 * the command (or drops the region being built).
 */
int keys_copy(struct shm_writer *w, const struct shm_view *from,
	      const struct shm_leaf *l, const void *key, uint32_t klen,
	      int64_t expire_ms, shm_ref *out);

/* Bytes of the leaf at r (header, key, inline value). */
uint64_t keys_leaf_bytes(struct shm_writer *w, shm_ref r);

#endif
