/*
 * r_zset.c - libshmrep's sorted-set reads: ZSCORE, ZRANK/ZREVRANK, ZCARD
 * and the three ZRANGE flavours, through a snapshot.
 *
 * Each call is one key lookup (the same bounds-checked trie walk as every
 * read) followed by shm/c_zset.c's reader on the value, which the daemon
 * uses too, so the library answers exactly as the daemon's commands do,
 * Redis's range quirks included.  Ranges come back as iterators over the
 * snapshot, with no allocation and no copy: a range is a start position,
 * a count and a direction, whichever way it was asked for.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "c_zset.h"
#include "internal.h"
#include "iter.h"

/*
 * The sorted set at key, opened: 0, SHMREP_ENOENT (missing or expired),
 * SHMREP_EWRONGTYPE, SHMREP_EINVAL (db) or SHMREP_ECORRUPT.
 */
static inline __attribute__((always_inline)) int
zlookup(struct shmrep_snapshot *s, int db, const void *key, size_t klen,
	struct zset_rd *z)
{
	const struct shm_leaf *l;
	int rc = snap_lookup_type(s, db, key, klen, SHM_T_ZSET, &l);

	if (rc)
		return rc;
	return zset_open(z, &s->map->view, l);
}

SHMREP_EXPORT int shmrep_snapshot_zscore(shmrep_snapshot *s, int db,
					 const void *key, size_t klen,
					 const void *member, size_t mlen,
					 double *score)
{
	struct zset_rd z;
	int rc = zlookup(s, db, key, klen, &z);

	if (rc)
		return rc;
	if (mlen > SHM_MAX_KEY)
		return SHMREP_ENOENT;
	return zset_score(&z, member, (uint32_t)mlen, score);
}

SHMREP_EXPORT int shmrep_snapshot_zrank(shmrep_snapshot *s, int db,
					const void *key, size_t klen,
					const void *member, size_t mlen,
					int rev, uint64_t *rank)
{
	struct zset_rd z;
	uint64_t r;
	int rc = zlookup(s, db, key, klen, &z);

	if (rc)
		return rc;
	if (mlen > SHM_MAX_KEY)
		return SHMREP_ENOENT;
	rc = zset_rank(&z, member, (uint32_t)mlen, &r);
	if (rc)
		return rc;
	*rank = rev ? z.count - 1 - r : r;
	return 0;
}

SHMREP_EXPORT int shmrep_snapshot_zcard(shmrep_snapshot *s, int db,
					const void *key, size_t klen,
					uint64_t *n)
{
	struct zset_rd z;
	int rc = zlookup(s, db, key, klen, &z);

	*n = rc ? 0 : z.count;
	return rc;
}

/* The iterator over span sp of z, given the lookup's and the span's
 * outcome rc: always left usable (empty on error). */
static int range_iter(const struct zset_rd *z, int rc,
		      const struct zset_span *sp, shmrep_iter *it)
{
	iter_init_empty(it);
	if (rc)
		return rc;
	rc = zset_iter(it, z, sp);
	if (rc)
		iter_init_empty(it);
	return rc;
}

SHMREP_EXPORT int shmrep_snapshot_zrange(shmrep_snapshot *s, int db,
					 const void *key, size_t klen,
					 int64_t start, int64_t stop, int rev,
					 shmrep_iter *it)
{
	struct zset_span sp = { 0 };
	struct zset_rd z;
	int rc = zlookup(s, db, key, klen, &z);

	if (!rc)
		rc = zset_span_rank(&z, start, stop, rev != 0, &sp);
	return range_iter(&z, rc, &sp, it);
}

SHMREP_EXPORT int shmrep_snapshot_zrangebyscore(shmrep_snapshot *s, int db,
						const void *key, size_t klen,
						const shmrep_zbound *min,
						const shmrep_zbound *max,
						int rev, int64_t offset,
						int64_t count,
						shmrep_iter *it)
{
	struct zset_score_range r = {
		.min = min->score, .max = max->score,
		.minex = min->exclusive != 0, .maxex = max->exclusive != 0,
	};
	struct zset_span sp = { 0 };
	struct zset_rd z;
	int rc;

	iter_init_empty(it);
	if (isnan(r.min) || isnan(r.max))
		return SHMREP_EINVAL;
	rc = zlookup(s, db, key, klen, &z);
	if (!rc)
		rc = zset_span_score(&z, &r, rev != 0, offset, count, &sp);
	return range_iter(&z, rc, &sp, it);
}

/* A shmrep_zbound as one end of a lex range ("-" or "+" if infinite). */
static int lex_bound(const shmrep_zbound *b, int inf,
		     struct zset_lex_bound *out)
{
	memset(out, 0, sizeof(*out));
	if (b->infinite) {
		out->inf = inf;
		return 0;
	}
	if (b->lex.len > SHM_MAX_KEY || (b->lex.len && !b->lex.ptr))
		return SHMREP_EINVAL;
	out->ex = b->exclusive != 0;
	out->s = b->lex.ptr;
	out->len = (uint32_t)b->lex.len;
	return 0;
}

SHMREP_EXPORT int shmrep_snapshot_zrangebylex(shmrep_snapshot *s, int db,
					      const void *key, size_t klen,
					      const shmrep_zbound *min,
					      const shmrep_zbound *max,
					      int rev, int64_t offset,
					      int64_t count, shmrep_iter *it)
{
	struct zset_lex_range r;
	struct zset_span sp = { 0 };
	struct zset_rd z;
	int rc;

	iter_init_empty(it);
	if (lex_bound(min, -1, &r.min) || lex_bound(max, 1, &r.max))
		return SHMREP_EINVAL;
	rc = zlookup(s, db, key, klen, &z);
	if (!rc)
		rc = zset_span_lex(&z, &r, rev != 0, offset, count, &sp);
	return range_iter(&z, rc, &sp, it);
}
