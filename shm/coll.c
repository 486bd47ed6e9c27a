/*
 * coll.c - leaves of collections, on the writer's side (see coll.h).
 *
 * Changing a large collection never copies it: the trie or B+tree under it
 * is path-copied by hamt.c or btree.c, and only the key's leaf, which holds
 * the 16-byte descriptor, is rewritten (in place if born in the open batch,
 * else as a new leaf sharing the structure: KEYS_SHARE, so the old leaf
 * goes alone and its structure lives on under the new one).
 */
#include <errno.h>
#include <string.h>

#include "coll.h"
#include "keys.h"
#include "writer.h"

shm_ref coll_leaf_new(struct shm_writer *w, const void *key, uint32_t klen,
		      uint8_t type, uint8_t enc, uint64_t vlen,
		      int64_t expire_ms, uint8_t **val)
{
	shm_ref r = keys_leaf_new(w, key, klen, type, vlen, expire_ms);
	struct shm_leaf *l;

	if (!r)
		return 0;
	l = shm_wr_ptr(w, r);
	l->enc = enc;
	*val = l->data + klen;
	return r;
}

shm_ref coll_ref(struct shm_writer *w, const void *p)
{
	return (shm_ref)(((const uint8_t *)p - w->base) >> SHM_UNIT_SHIFT);
}

int coll_link_desc(struct shm_writer *w, unsigned db, const void *key,
		   uint32_t klen, uint8_t type, uint8_t enc, int64_t expire_ms,
		   const struct shm_vcoll *desc, bool share)
{
	uint8_t *val;
	shm_ref r = coll_leaf_new(w, key, klen, type, enc, sizeof(*desc),
				  expire_ms, &val);

	if (!r)
		return -ENOMEM;
	memcpy(val, desc, sizeof(*desc));
	return keys_link(w, db, r, share ? KEYS_SHARE : KEYS_REPLACE, NULL);
}

int coll_set_desc(struct shm_writer *w, unsigned db,
		  const struct shm_leaf *l, const struct shm_vcoll *desc)
{
	shm_ref r = coll_ref(w, l);

	if (shm_wr_born(w, r)) {
		struct shm_leaf *wl = shm_wr_ptr(w, r);
		uint8_t *d = wl->data + wl->klen; /* unaligned */

		shm_wr_undo(w, d, sizeof(*desc));
		memcpy(d, desc, sizeof(*desc));
		return 0;
	}
	return coll_link_desc(w, db, l->data, l->klen, l->type, l->enc,
			      l->expire_ms, desc, true);
}

shm_ref coll_elem_new(struct shm_writer *w, const void *s, uint32_t len,
		      const void *val, uint32_t vlen)
{
	shm_ref r = keys_leaf_new(w, s, len, SHM_T_ELEM, vlen, 0);

	if (r && vlen)
		memcpy(((struct shm_leaf *)shm_wr_ptr(w, r))->data + len, val,
		       vlen);
	return r;
}
