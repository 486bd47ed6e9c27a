/*
 * read.h - checked access to a data region, for readers and the writer.
 *
 * A reader holds a struct shm_view: the base address of its read-only
 * mapping and the size it validated at attach time.  Every ref is turned
 * into a pointer through shm_at(), which checks that the whole object lies
 * inside the region, so a corrupt or hostile region gives SHMREP_ECORRUPT,
 * never a wild read.  Fields that size other reads (klen, vlen, bitmaps)
 * are read once into locals and checked before use.
 */
#ifndef SHM_READ_H
#define SHM_READ_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "atomic.h"
#include "hash.h"
#include "layout.h"
#include "shmrep.h"

struct shm_view {
	const uint8_t *base;
	uint64_t size; /* validated region size, bytes */
	uint64_t seed; /* hash seed from the header */
	uint32_t ndb;
};

/* Pointer to len bytes at ref r, or NULL if r is null or they overrun. */
static inline const void *shm_at(const struct shm_view *v, shm_ref r,
				 uint64_t len)
{
	uint64_t off = (uint64_t)r << SHM_UNIT_SHIFT;

	if (shm_unlikely(r == 0 || len > v->size || off > v->size - len))
		return NULL;
	return v->base + off;
}

/* Pointer to the byte offset off (used for shm_hdr.current), or NULL. */
static inline const void *shm_at_off(const struct shm_view *v, uint64_t off,
				     uint64_t len)
{
	if (shm_unlikely(off < SHM_PAGE || (off & (SHM_UNIT - 1)) ||
			 len > v->size || off > v->size - len))
		return NULL;
	return v->base + off;
}

/*
 * The snapshot record at byte offset off, checked: inside the region, and
 * its ndb equal to the header's (which sized the view).
 */
static inline const struct shm_snap *shm_snap_at(const struct shm_view *v,
						 uint64_t off)
{
	const struct shm_snap *s;

	s = shm_at_off(v, off, sizeof(*s) + (uint64_t)v->ndb *
					       sizeof(struct shm_dbroot));
	if (!s || s->ndb != v->ndb)
		return NULL;
	return s;
}

/*
 * A leaf, checked: its header, key and inline value all inside the region,
 * and its type and encoding known.  Returns NULL if anything is off.
 */
static inline const struct shm_leaf *shm_leaf_at(const struct shm_view *v,
						 shm_ref r)
{
	const struct shm_leaf *l = shm_at(v, r, sizeof(*l));
	uint64_t klen, vlen;

	if (!l)
		return NULL;
	klen = l->klen;
	vlen = l->vlen;
	if (l->type == 0 || l->type > SHM_T_MAX || l->enc != SHM_E_INLINE)
		return NULL;
	if (!shm_at(v, r, sizeof(*l) + klen + vlen))
		return NULL;
	return l;
}

static inline const uint8_t *shm_leaf_key(const struct shm_leaf *l)
{
	return l->data;
}

static inline const uint8_t *shm_leaf_val(const struct shm_leaf *l)
{
	return l->data + l->klen;
}

/* Bytes a leaf with these lengths occupies. */
static inline uint64_t shm_leaf_size(uint64_t klen, uint64_t vlen)
{
	return sizeof(struct shm_leaf) + klen + vlen;
}

/* True if the leaf's TTL has passed at now_ms. */
static inline bool shm_leaf_expired(const struct shm_leaf *l, int64_t now_ms)
{
	int64_t e = l->expire_ms;

	return e != 0 && e <= now_ms;
}

static inline bool shm_key_eq(const struct shm_leaf *l, const void *key,
			      uint32_t klen)
{
	return l->klen == klen && memcmp(l->data, key, klen) == 0;
}

/* Bytes of a node with nent entries. */
static inline uint64_t shm_node_size(unsigned nent)
{
	return sizeof(struct shm_node) + (uint64_t)nent * sizeof(shm_ref);
}

#endif
