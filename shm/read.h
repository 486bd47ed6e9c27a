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
	uint64_t limit; /* size - SHM_GUARD: see shm_fast() */
	uint64_t snap_limit; /* last offset a snapshot record may start at */
	uint64_t seed; /* hash seed from the header */
	uint32_t ndb;
};

/* Describe a mapped region of size bytes (size >= SHM_MIN_REGION). */
static inline void shm_view_init(struct shm_view *v, const void *base,
				 uint64_t size, uint64_t seed, uint32_t ndb)
{
	v->base = base;
	v->size = size;
	v->limit = size - SHM_GUARD;
	v->snap_limit = size - sizeof(struct shm_snap) -
			(uint64_t)ndb * sizeof(struct shm_dbroot);
	v->seed = seed;
	v->ndb = ndb;
}

/*
 * The fast check: ref r is not null and its first SHM_GUARD bytes lie
 * inside the region (the writer never allocates the last SHM_GUARD bytes,
 * so every block starts below v->limit).  Any fixed-size header, and any
 * node with its up to 128 entry slots, can then be read through it.
 */
static inline const void *shm_fast(const struct shm_view *v, shm_ref r)
{
	uint64_t off = (uint64_t)r << SHM_UNIT_SHIFT;

	if (shm_unlikely(off - 1 >= v->limit - 1))
		return NULL;
	return v->base + off;
}

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

/* The snapshot record at byte offset off, checked: inside the region, and
 * its ndb equal to the header's (which sized the view). */
static inline const struct shm_snap *shm_snap_at(const struct shm_view *v,
						 uint64_t off)
{
	const struct shm_snap *s;

	if (shm_unlikely(off - SHM_PAGE > v->snap_limit - SHM_PAGE ||
			 (off & (SHM_UNIT - 1))))
		return NULL;
	s = (const struct shm_snap *)(v->base + off);
	return shm_likely(s->ndb == v->ndb) ? s : NULL;
}

/*
 * A leaf, checked: its header, key and inline value all inside the region,
 * and its type and encoding known (not that they agree: the reader that
 * decodes the value checks that).  Returns NULL if anything is off.
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
	if ((l->type == 0 || l->type > SHM_T_MAX) && l->type != SHM_T_ELEM)
		return NULL;
	if (l->enc == 0 || l->enc > SHM_E_MAX)
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

/*
 * The descriptor of a large collection's leaf (enc SHM_E_HAMT, SHM_E_ZTREE
 * or SHM_E_LTREE) in *d; false if l is not one or its value is not exactly
 * one descriptor.  The descriptor follows the key, at any alignment, so it
 * is copied out, never dereferenced in place.  Readers check
 * shm_leaf_val_ok() first.
 */
static inline bool shm_leaf_desc(const struct shm_leaf *l, struct shm_vcoll *d)
{
	if ((l->enc != SHM_E_HAMT && l->enc != SHM_E_ZTREE &&
	     l->enc != SHM_E_LTREE) ||
	    l->vlen != sizeof(*d))
		return false;
	memcpy(d, shm_leaf_val(l), sizeof(*d));
	return true;
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

/* Equality of n bytes; keys of 8 to 16 bytes take two word compares. */
static inline bool shm_bytes_eq(const void *a, const void *b, size_t n)
{
	if (n >= 8 && n <= 16) {
		uint64_t a0, a1, b0, b1;

		memcpy(&a0, a, 8);
		memcpy(&b0, b, 8);
		memcpy(&a1, (const uint8_t *)a + n - 8, 8);
		memcpy(&b1, (const uint8_t *)b + n - 8, 8);
		return ((a0 ^ b0) | (a1 ^ b1)) == 0;
	}
	return memcmp(a, b, n) == 0;
}

static inline bool shm_key_eq(const struct shm_leaf *l, const void *key,
			      uint32_t klen)
{
	return l->klen == klen && shm_bytes_eq(l->data, key, klen);
}

/* Whether the leaf's inline value (after the key) lies in the region;
 * l came from a lookup, so its header and key were checked. */
static inline bool shm_leaf_val_ok(const struct shm_view *v,
				   const struct shm_leaf *l)
{
	uint64_t off = (uint64_t)((const uint8_t *)l - v->base);

	return l->vlen <= v->size - off - sizeof(*l) - l->klen;
}

/* Bytes of a node with nent entries. */
static inline uint64_t shm_node_size(unsigned nent)
{
	return sizeof(struct shm_node) + (uint64_t)nent * sizeof(shm_ref);
}

/* Bits set in a trie bitmap (one POPCNT with -mpopcnt). */
static inline unsigned shm_popc(uint64_t x)
{
	return (unsigned)__builtin_popcountll(x);
}

/* The collision node at r, checked whole; its leaf count in *count. */
static inline const struct shm_cnode *
shm_cnode_at(const struct shm_view *v, shm_ref r, unsigned *count)
{
	const struct shm_cnode *c = shm_at(v, r, sizeof(*c));
	unsigned n;

	if (!c)
		return NULL;
	n = c->count;
	if (n < 2 || !shm_at(v, r, sizeof(*c) + (uint64_t)n * sizeof(shm_ref)))
		return NULL;
	*count = n;
	return c;
}

/*
 * The leaf at r if its key is key: 0, SHMREP_ENOENT, or SHMREP_ECORRUPT.
 * The header is covered by the fast check; the key bytes are read only if
 * the length matches, and checked only if they could pass the guard.
 */
static inline __attribute__((always_inline)) int
shm_leaf_match(const struct shm_view *v, shm_ref r, const void *key,
	       uint32_t klen, const struct shm_leaf **out)
{
	const struct shm_leaf *l = shm_fast(v, r);

	if (!l)
		return SHMREP_ECORRUPT;
	if (l->klen != klen)
		return SHMREP_ENOENT;
	if (shm_unlikely(klen > SHM_GUARD - sizeof(*l)) &&
	    !shm_at(v, r, sizeof(*l) + (uint64_t)klen))
		return SHMREP_ECORRUPT;
	if (!shm_bytes_eq(l->data, key, klen))
		return SHMREP_ENOENT;
	*out = l;
	return 0;
}

/*
 * Find key (hash h) under root: 0 and *out, SHMREP_ENOENT, or
 * SHMREP_ECORRUPT when a ref does not check out.  The hot path of every
 * read, inline in every caller.  One fast check per node covers its header
 * and every entry slot an index can reach (at most 64, 280 bytes).
 */
static inline __attribute__((always_inline)) int
hamt_find(const struct shm_view *v, shm_ref root, uint64_t h, const void *key,
	  uint32_t klen, const struct shm_leaf **out)
{
	const uint8_t *base = v->base;
	uint64_t lim = v->limit - 1, hh = h, off, bit, map;
	const struct shm_node *n;
	shm_ref r = root;

	if (!r)
		return SHMREP_ENOENT;
	/* Levels 0..9 take the top 6 bits of what is left of the hash (so
	 * the walk shifts hh instead of calling shm_chunk()); level 10 takes
	 * the last 4, shifted as shm_chunk() does.  A million keys need 4. */
	for (unsigned depth = 0; depth < 11; depth++) {
		off = (uint64_t)r << SHM_UNIT_SHIFT;
		if (shm_unlikely(off - 1 >= lim))
			return SHMREP_ECORRUPT;
		n = (const struct shm_node *)(base + off);
		bit = shm_likely(depth < 10) ? 1ull << (hh >> 58)
					     : 1ull << ((h & 15) << 2);
		hh <<= 6;
		map = n->bitmap;
		if (!(map & bit))
			return SHMREP_ENOENT;
		r = n->ent[shm_popc(map & (bit - 1))];
		if (n->leafmap & bit)
			return shm_leaf_match(v, r, key, klen, out);
	}
	{
		unsigned count;
		const struct shm_cnode *c = shm_cnode_at(v, r, &count);

		if (!c)
			return SHMREP_ECORRUPT;
		for (unsigned i = 0; i < count; i++) {
			int rc = shm_leaf_match(v, c->ent[i], key, klen, out);

			if (rc != SHMREP_ENOENT)
				return rc;
		}
	}
	return SHMREP_ENOENT;
}

#endif
