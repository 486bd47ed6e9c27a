/*
 * r_hash.c - libshmrep's reads of hashes and sets, within a snapshot.
 *
 * Each call is a key lookup (the same checked trie walk every read does,
 * with the snapshot's clock for TTLs) followed by one of shm/c_hash.c's
 * checked reads on the leaf it found: nothing is copied, every view points
 * into the region and lives as long as the snapshot, and a damaged value
 * or trie gives SHMREP_ECORRUPT.  An iteration keeps its whole state in
 * the caller's shmrep_iter, so a reader can walk a million-field hash
 * without allocating.
 */
#include <string.h>

#include "c_hash.h"
#include "hamt.h"
#include "internal.h"
#include "iter.h"

SHMREP_EXPORT int shmrep_snapshot_hget(shmrep_snapshot *s, int db,
				       const void *key, size_t klen,
				       const void *field, size_t flen,
				       shmrep_view *out)
{
	const struct shm_leaf *l;
	int rc = snap_lookup_type(s, db, key, klen, SHM_T_HASH, &l);

	if (rc) {
		out->ptr = NULL;
		out->len = 0;
		return rc;
	}
	return chash_hget(&s->map->view, l, field, flen, out);
}

SHMREP_EXPORT int shmrep_snapshot_hmget(shmrep_snapshot *s, int db,
					const void *key, size_t klen,
					const shmrep_view *fields, size_t n,
					shmrep_view *out)
{
	const struct shm_leaf *l;
	int rc = snap_lookup_type(s, db, key, klen, SHM_T_HASH, &l);

	memset(out, 0, n * sizeof(*out));
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		rc = chash_hget(&s->map->view, l, fields[i].ptr, fields[i].len,
				&out[i]);
		if (rc && rc != SHMREP_ENOENT) {
			memset(out, 0, n * sizeof(*out));
			return rc;
		}
	}
	return 0;
}

/* HLEN and SCARD, hash and set iterators: the same trie under the key. */
static int len_typed(shmrep_snapshot *s, int db, const void *key,
		     size_t klen, uint8_t type, uint64_t *n)
{
	const struct shm_leaf *l;
	int rc = snap_lookup_type(s, db, key, klen, type, &l);

	*n = 0;
	return rc ? rc : chash_len(&s->map->view, l, n);
}

static int iter_typed(shmrep_snapshot *s, int db, const void *key,
		      size_t klen, uint8_t type, shmrep_iter *it)
{
	const struct shm_leaf *l;
	int rc = snap_lookup_type(s, db, key, klen, type, &l);

	if (rc) {
		iter_init_empty(it);
		return rc;
	}
	return chash_iter(it, &s->map->view, l);
}

SHMREP_EXPORT int shmrep_snapshot_hlen(shmrep_snapshot *s, int db,
				       const void *key, size_t klen,
				       uint64_t *n)
{
	return len_typed(s, db, key, klen, SHM_T_HASH, n);
}

SHMREP_EXPORT int shmrep_snapshot_hiter(shmrep_snapshot *s, int db,
					const void *key, size_t klen,
					shmrep_iter *it)
{
	return iter_typed(s, db, key, klen, SHM_T_HASH, it);
}

SHMREP_EXPORT int shmrep_snapshot_sismember(shmrep_snapshot *s, int db,
					    const void *key, size_t klen,
					    const void *member, size_t mlen)
{
	const struct shm_leaf *l;
	int rc = snap_lookup_type(s, db, key, klen, SHM_T_SET, &l);

	if (rc == SHMREP_ENOENT)
		return 0;
	return rc ? rc : chash_sismember(&s->map->view, l, member, mlen);
}

SHMREP_EXPORT int shmrep_snapshot_smismember(shmrep_snapshot *s, int db,
					     const void *key, size_t klen,
					     const shmrep_view *members,
					     size_t n, int *out)
{
	const struct shm_leaf *l;
	int rc = snap_lookup_type(s, db, key, klen, SHM_T_SET, &l);

	memset(out, 0, n * sizeof(*out));
	if (rc == SHMREP_ENOENT)
		return 0;
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		rc = chash_sismember(&s->map->view, l, members[i].ptr,
				     members[i].len);
		if (rc < 0) {
			memset(out, 0, n * sizeof(*out));
			return rc;
		}
		out[i] = rc;
	}
	return 0;
}

SHMREP_EXPORT int shmrep_snapshot_scard(shmrep_snapshot *s, int db,
					const void *key, size_t klen,
					uint64_t *n)
{
	return len_typed(s, db, key, klen, SHM_T_SET, n);
}

SHMREP_EXPORT int shmrep_snapshot_siter(shmrep_snapshot *s, int db,
					const void *key, size_t klen,
					shmrep_iter *it)
{
	return iter_typed(s, db, key, klen, SHM_T_SET, it);
}
