/*
 * c_zset.h - sorted sets in the region: reading both encodings (for
 * libshmrep's snapshots and for the daemon, which reads its own mapping),
 * and changing them in the open batch (the daemon only).  The encodings
 * are layout.h's SHM_E_PACK and SHM_E_ZTREE; why they look the way they
 * do is at the top of c_zset.c.
 *
 * Positions count from 0 in ascending (score, member) order, members
 * comparing as Redis's sdscmp.  A range of positions is a struct zset_span:
 * where a walk starts, how many elements it takes and in which direction,
 * which is exactly what the iterators of iter.h take, so ZRANGE by rank,
 * by score and by lex differ only in how the span is found.
 *
 * Readers check everything (read.h's rules): a corrupt value gives
 * SHMREP_ECORRUPT, never a crash or an endless walk.  Views and iterators
 * they hand out point into the region and are valid as long as the version
 * they read is (a snapshot, or the daemon's current command).
 */
#ifndef SHM_C_ZSET_H
#define SHM_C_ZSET_H

#include <stdbool.h>
#include <stdint.h>

#include "layout.h"
#include "read.h"
#include "shmrep.h"

struct shm_writer;

/* ------------------------------------------------------------- ranges */

/* A score range (ZRANGEBYSCORE min max): "(" makes a bound exclusive. */
struct zset_score_range {
	double min, max;
	bool minex, maxex;
};

/* One end of a lex range: inf -1 is "-", +1 is "+" (either end may be
 * either), 0 a member bound s[0, len), exclusive if ex ("(" vs "["). */
struct zset_lex_bound {
	int inf;
	bool ex;
	const void *s;
	uint32_t len;
};

struct zset_lex_range {
	struct zset_lex_bound min, max;
};

/*
 * A run of positions: count elements from start, towards higher positions,
 * or towards position 0 if rev (start is then the highest position).
 */
struct zset_span {
	uint64_t start, count;
	bool rev;
};

/* ------------------------------------------------------------- readers */

/* A sorted set opened for reading: its encoding checked, its parts found. */
struct zset_rd {
	const struct shm_view *v;
	uint8_t enc; /* SHM_E_PACK or SHM_E_ZTREE */
	uint64_t count;
	const uint8_t *val; /* PACK: the packed value, vlen bytes */
	uint64_t vlen;
	shm_ref root, order; /* ZTREE: member trie, B+tree */
};

/*
 * Open the sorted set of key leaf l (found by a lookup, so its header and
 * key are checked; its type must be SHM_T_ZSET).  0 or SHMREP_ECORRUPT,
 * which includes a packed set past the packing limits: none is ever
 * written, and refusing one bounds every walk over a packed value.
 */
int zset_open(struct zset_rd *z, const struct shm_view *v,
	      const struct shm_leaf *l);

/* The score of member m: 0, SHMREP_ENOENT or SHMREP_ECORRUPT.  On a large
 * set, one trie lookup. */
int zset_score(const struct zset_rd *z, const void *m, uint32_t mlen,
	       double *score);

/* The ascending position of member m: 0, SHMREP_ENOENT, SHMREP_ECORRUPT. */
int zset_rank(const struct zset_rd *z, const void *m, uint32_t mlen,
	      uint64_t *rank);

/*
 * Spans as Redis's range commands find them.
 *
 * by_rank: start and stop as ZRANGE takes them (negative from the end,
 * inclusive; for rev they count from the highest element).
 *
 * by_score, by_lex: the elements in range, the walk starting at the lowest
 * (highest if rev), skipping offset of them and taking at most limit
 * (limit < 0: no limit; offset < 0: nothing), as LIMIT does.  A small set
 * is scanned exactly as Redis scans a listpack, so even ZRANGEBYLEX over
 * members of different scores (unspecified in Redis) answers as Redis
 * does; a large one is searched by bisection, which agrees whenever the
 * scores are equal, the only case Redis defines.
 *
 * 0 or SHMREP_ECORRUPT.
 */
int zset_span_rank(const struct zset_rd *z, int64_t start, int64_t stop,
		   bool rev, struct zset_span *out);
int zset_span_score(const struct zset_rd *z, const struct zset_score_range *r,
		    bool rev, int64_t offset, int64_t limit,
		    struct zset_span *out);
int zset_span_lex(const struct zset_rd *z, const struct zset_lex_range *r,
		  bool rev, int64_t offset, int64_t limit,
		  struct zset_span *out);

/* An iterator over span sp (entries: key = member, score).  0 or
 * SHMREP_ECORRUPT; an empty span iterates nothing. */
int zset_iter(shmrep_iter *it, const struct zset_rd *z,
	      const struct zset_span *sp);

/* ---------------------------------------------------------------- writer */

/* One element: a member's bytes (anywhere that outlives the command) and
 * its score. */
struct zset_ent {
	const uint8_t *m;
	uint32_t len;
	double score;
};

/* zset_wr_add flags, as Redis's ZADD_IN_* and ZADD_OUT_*. */
#define ZSET_IN_NX 0x01u
#define ZSET_IN_XX 0x02u
#define ZSET_IN_GT 0x04u
#define ZSET_IN_LT 0x08u
#define ZSET_IN_INCR 0x10u

#define ZSET_OUT_NOP 0x01u /* nothing done (NX, XX, GT or LT said no) */
#define ZSET_OUT_NAN 0x02u /* the score would be NaN: nothing done */
#define ZSET_OUT_ADDED 0x04u
#define ZSET_OUT_UPDATED 0x08u

/*
 * A sorted set opened for writing in the open command.  A small set is
 * decoded into ents (members pointing into the old value or the caller's
 * arguments: both outlive the command) and written back whole at close; it
 * never holds more than SHM_PACK_MAX_ENTRIES, since one more converts it.
 * A large one is changed through its trie and B+tree, on a working copy
 * of the descriptor in a writer cell (shm_wr_cell), stored at close.  The
 * handle allocates nothing in the region until close.  Fields are
 * private.
 */
struct zset_wr {
	struct shm_writer *w;
	unsigned db;
	const uint8_t *key;
	uint32_t klen;
	int64_t expire_ms;
	const struct shm_leaf *leaf; /* the key's leaf at open, NULL if none */
	uint8_t enc; /* SHM_E_PACK or SHM_E_ZTREE */
	bool changed;
	bool converted; /* made ZTREE here: replace the key's leaf at close */
	bool cleared; /* emptied whole: unlink the key, structure and all */
	uint32_t n; /* PACK: ents[0, n) in order */
	struct zset_ent ents[SHM_PACK_MAX_ENTRIES];
	struct shm_vcoll *desc; /* ZTREE: a writer cell */
};

/*
 * Open key for writing.  l is its leaf (type SHM_T_ZSET) for a change to an
 * existing set, which keeps its TTL; NULL to build the key anew (ZADD on a
 * missing key; the *STORE commands, which replace whatever the key holds
 * and drop its TTL).  0 or SHMREP_ECORRUPT.
 */
int zset_wr_open(struct zset_wr *z, struct shm_writer *w, unsigned db,
		 const void *key, uint32_t klen, const struct shm_leaf *l);

/* Elements now. */
uint64_t zset_wr_count(const struct zset_wr *z);

/*
 * ZADD one member (Redis's zsetAdd): with ZSET_IN_* flags in, the outcome
 * in *out (ZSET_OUT_*) and the member's resulting score in *newscore
 * (unless NOP or NAN).  A small set converts for good past
 * SHM_PACK_MAX_ENTRIES members or on a member longer than
 * SHM_PACK_MAX_BYTES.  0 or -ENOMEM.
 */
int zset_wr_add(struct zset_wr *z, const void *m, uint32_t mlen, double score,
		unsigned in, unsigned *out, double *newscore);

/* Remove member m; *removed says whether it was there.  0 or -ENOMEM. */
int zset_wr_rem(struct zset_wr *z, const void *m, uint32_t mlen,
		bool *removed);

/* Remove the elements at ascending positions [start, start + count), in
 * range.  0 or -ENOMEM. */
int zset_wr_rem_span(struct zset_wr *z, uint64_t start, uint64_t count);

/* Remove the lowest (or highest, if max) element, which *out describes (its
 * member valid until the command ends).  The set must not be empty.  0 or
 * -ENOMEM. */
int zset_wr_pop(struct zset_wr *z, bool max, struct zset_ent *out);

/* Make the set exactly e[0, n): sorted by (score, member), members unique.
 * For a handle opened with l NULL (the *STORE commands).  0 or -ENOMEM. */
int zset_wr_load(struct zset_wr *z, const struct zset_ent *e, uint64_t n);

/*
 * Store what changed: the key's new value, or the key removed if the set
 * is empty.  0 or -ENOMEM (the command must then abort).  A handle that
 * is not closed stores nothing: that is how a command that changed nothing
 * (or that failed) leaves it.
 */
int zset_wr_close(struct zset_wr *z);

/* Text of a small set's score in ZSCAN, as a listpack keeps it: integers
 * up to 2^62 in decimal, anything else as num_d2str would print it (the
 * caller formats those).  Returns true and fills *ll for the integer case. */
bool zset_pack_score_ll(double score, long long *ll);

#endif
