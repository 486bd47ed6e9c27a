/*
 * r_list.c - libshmrep's list reads: LLEN, LINDEX and LRANGE through a
 * snapshot.
 *
 * Each call is a lookup in the snapshot's trie, as reads.c does one, and
 * then a checked read of the list (shm/c_list.c, shared with the daemon):
 * a packed list is read inside its leaf, a large one through its B+tree,
 * so LINDEX and the start of LRANGE cost O(log n) whatever the length, and
 * a damaged region gives SHMREP_ECORRUPT.  Nothing is copied: elements come
 * back as views into the region, valid until the snapshot ends.
 */
#include <stdint.h>
#include <string.h>

#include "c_list.h"
#include "hamt.h"
#include "internal.h"
#include "iter.h"

SHMREP_EXPORT int shmrep_snapshot_llen(shmrep_snapshot *s, int db,
				       const void *key, size_t klen,
				       uint64_t *n)
{
	const struct shm_leaf *l;
	int rc = snap_lookup_type(s, db, key, klen, SHM_T_LIST, &l);

	if (rc)
		return rc;
	return clist_len(&s->map->view, l, n);
}

/* An index past either end gives SHMREP_ERANGE (Redis replies nil). */
SHMREP_EXPORT int shmrep_snapshot_lindex(shmrep_snapshot *s, int db,
					 const void *key, size_t klen,
					 int64_t index, shmrep_view *out)
{
	const struct shm_leaf *l;
	int rc = snap_lookup_type(s, db, key, klen, SHM_T_LIST, &l);

	if (rc)
		return rc;
	return clist_index(&s->map->view, l, index, out);
}

/* On any error, the iterator is valid and empty. */
SHMREP_EXPORT int shmrep_snapshot_lrange(shmrep_snapshot *s, int db,
					 const void *key, size_t klen,
					 int64_t start, int64_t stop,
					 shmrep_iter *it)
{
	const struct shm_leaf *l;
	uint64_t len, from, count;
	int rc = snap_lookup_type(s, db, key, klen, SHM_T_LIST, &l);

	if (!rc)
		rc = clist_len(&s->map->view, l, &len);
	if (rc) {
		iter_init_empty(it);
		return rc;
	}
	if (!clist_range(len, start, stop, &from, &count)) {
		iter_init_empty(it);
		return 0;
	}
	return clist_iter(it, &s->map->view, l, from, count, false);
}
