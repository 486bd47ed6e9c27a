/*
 * shmrep.h - read a Redis replica straight out of shared memory.
 *
 * shmrepd, one daemon per host, holds a copy of a Redis dataset in POSIX
 * shared memory (/dev/shm/shmrep.NAME.data) and is the only process that
 * writes it.  This library maps that region read-only and reads keys from
 * it: no socket, no system call, no lock on the read path.  Writes go to the
 * daemon (over its Redis-compatible socket, or from the primary it follows).
 *
 * Consistency
 *   The daemon publishes versions: each one is an immutable snapshot of
 *   every database, made visible by a single store.  A read sees exactly one
 *   version, never part of a write and never part of a MULTI/EXEC.  Readers
 *   never block the writer and the writer never blocks readers: memory a
 *   version no longer needs is freed only once no reader can still see it.
 *
 * Two ways to read
 *   - Copying calls (shmrep_get, shmrep_ttl, shmrep_type, shmrep_exists,
 *     shmrep_dbsize) each read the newest version and copy out what they
 *     return.  Nothing to release.
 *   - Snapshots (shmrep_snapshot_begin ... shmrep_snapshot_end) pin one
 *     version for as long as you hold them: several keys read through one
 *     snapshot are mutually consistent, and values come back as views that
 *     point into the shared region, without copying.
 *
 * Errors
 *   Every call that can fail returns 0 on success or a negative error code:
 *   a negated errno value where one fits, or one of the SHMREP_E* codes
 *   below.  shmrep_strerror() describes any of them.
 *
 * Caveats
 *   - Threads.  A handle may be used by any number of threads at once; each
 *     thread gets its own reader slot the first time it reads, and gives it
 *     back when it exits or when the handle is closed.  A snapshot belongs to
 *     the thread that began it: only that thread may read through it and end
 *     it.  shmrep_close() must not race with other calls on the handle, nor
 *     with the exit of a thread that read through it: finish (or stop using
 *     the handle in) reader threads first.
 *   - fork().  Open a handle before forking workers if you like (pre-forking
 *     servers do): after fork() the child claims reader slots of its own the
 *     first time it reads; it never shares its parent's.  Snapshots open in
 *     the parent at the time of the fork must not be used or ended in the
 *     child.  The child inherits the handle and closes it like any other.
 *   - Long read sections hold memory.  A snapshot pins its version, and the
 *     daemon cannot reuse memory that version needs until the snapshot ends.
 *     A process stopped (SIGSTOP, a debugger) inside a snapshot pins it
 *     indefinitely; the daemon reports such readers (INFO, its log) and
 *     writes eventually fail with an OOM error once the region is full, but
 *     it never frees memory a live reader can see.  A process that dies
 *     inside a snapshot releases it: the daemon notices and reclaims.
 *   - Reader slots.  The daemon's ctl region has a fixed number of slots
 *     (1024 by default): one per reading thread, host-wide.  When all are
 *     taken, reads fail with SHMREP_ENOSLOT.
 *   - Restarts.  Readers keep reading the last published version while the
 *     daemon is down.  A restarted daemon builds a new region and marks the
 *     old one superseded; every handle notices on its next read and moves to
 *     the new region by itself.
 *   - Expiry.  A key whose TTL has passed reads as missing, even before the
 *     daemon deletes it.  Within one snapshot, "now" is read once, on the
 *     first TTL check, so a snapshot's view of expiry is consistent too.
 *   - Mutex mode (the daemon's "mode mutex", for write-heavy loads).  The
 *     daemon changes the region in place, in write sections that readers
 *     wait out: a read that starts during one waits (spinning, then on a
 *     futex) until it ends, usually within the daemon's batch-max-usec.  A
 *     snapshot is then a read lock: writes wait for it to end, and fail
 *     with BUSY past the daemon's mutex-drain-timeout, so keep snapshots
 *     short.  If the daemon dies inside a write section, reads return
 *     SHMREP_EUNUSABLE (never half-written data) until a restarted daemon
 *     has rolled the section back; a read waits at most SHMREP_WAIT_MS
 *     (then SHMREP_ETIMEDOUT).  shmrep_info_get tells the mode.
 */
#ifndef SHMREP_H
#define SHMREP_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SHMREP_BUILDING) && defined(__GNUC__)
#define SHMREP_EXPORT __attribute__((visibility("default")))
#else
#define SHMREP_EXPORT
#endif

/* Version of this header; shmrep_version() gives the library's. */
#define SHMREP_VERSION_MAJOR 0
#define SHMREP_VERSION_MINOR 1
#define SHMREP_VERSION_PATCH 0
#define SHMREP_VERSION_HEX                                               \
	((SHMREP_VERSION_MAJOR << 16) | (SHMREP_VERSION_MINOR << 8) |    \
	 SHMREP_VERSION_PATCH)

/* Error codes.  Negated errno values keep their usual meaning. */
enum {
	SHMREP_ENOENT = -ENOENT, /* no such key, or no such region */
	SHMREP_ERANGE = -ERANGE, /* buffer too small; see each call */
	SHMREP_EINVAL = -EINVAL, /* bad argument (db out of range, ...) */
	SHMREP_ENOMEM = -ENOMEM, /* out of process memory */
	SHMREP_EPERM = -EPERM, /* region owned by an unexpected user */
	SHMREP_EWRONGTYPE = -5001, /* key holds another type of value */
	SHMREP_EBADMAGIC = -5002, /* not a shmrep region */
	SHMREP_EVERSION = -5003, /* region layout version not supported */
	SHMREP_ECORRUPT = -5004, /* region failed a consistency check */
	SHMREP_ENOSLOT = -5005, /* every reader slot is taken */
	SHMREP_EUNUSABLE = -5006, /* writer marked the region unusable */
	SHMREP_ENEST = -5007, /* too many nested snapshots in a thread */
	SHMREP_ETIMEDOUT = -ETIMEDOUT, /* mutex mode: see SHMREP_WAIT_MS */
};

/* Mutex mode: the longest a read waits for a write in progress. */
#define SHMREP_WAIT_MS 10000

/* Value types, as Redis's TYPE command names them. */
enum {
	SHMREP_TYPE_STRING = 1,
	SHMREP_TYPE_LIST = 2,
	SHMREP_TYPE_SET = 3,
	SHMREP_TYPE_ZSET = 4,
	SHMREP_TYPE_HASH = 5,
};

/* Publication modes (shmrep_info.mode). */
enum { SHMREP_MODE_RCU = 1, SHMREP_MODE_MUTEX = 2 };

/* Replication link states (shmrep_info.link). */
enum {
	SHMREP_LINK_NONE = 0, /* standalone daemon, no primary */
	SHMREP_LINK_DOWN = 1, /* replica, link to the primary down */
	SHMREP_LINK_SYNC = 2, /* replica, full resynchronisation running */
	SHMREP_LINK_UP = 3, /* replica, streaming from the primary */
};

/* Flags for shmrep_open(). */
#define SHMREP_OPEN_ANY_OWNER 0x1u /* skip the region owner check */
#define SHMREP_OPEN_FENCE 0x2u /* never rely on membarrier (testing) */

/* Most snapshots one thread may hold open at once on one handle. */
#define SHMREP_MAX_NEST 8

typedef struct shmrep shmrep;
typedef struct shmrep_snapshot shmrep_snapshot;

/*
 * Bytes in the shared region: valid, read-only, until the snapshot they came
 * from ends.  Not NUL-terminated.
 */
typedef struct shmrep_view {
	const void *ptr;
	size_t len;
} shmrep_view;

typedef struct shmrep_info {
	uint64_t version; /* published version number */
	uint64_t incarnation; /* id of the region; a new one per daemon start */
	uint64_t created_ms; /* unix ms the region was created */
	uint64_t publish_us; /* unix us this version was published */
	uint64_t repl_offset; /* replication offset applied, 0 standalone */
	uint64_t link_since_ms; /* unix ms of the last link state change */
	uint64_t keys; /* keys in all databases, TTL-expired included */
	uint64_t region_size; /* bytes */
	uint64_t used_bytes; /* bytes allocated in the region */
	int mode; /* SHMREP_MODE_* */
	int link; /* SHMREP_LINK_* */
	int databases; /* number of databases */
	int writer_alive; /* 1 if a daemon owns the region now, else 0 */
	uint64_t reserved[8];
} shmrep_info;

/* One row of the reader-slot table (shmrep_readers). */
typedef struct shmrep_reader {
	uint32_t slot;
	uint32_t pid; /* as the reader wrote it */
	uint32_t tid;
	int alive; /* 1 if the owner still holds the slot's lock */
	uint64_t version; /* version pinned, 0 if not inside a read */
	uint64_t claimed_ms; /* unix ms the slot was claimed */
	uint64_t lag_ms; /* how long the pinned version has been superseded */
} shmrep_reader;

/* The library's version as SHMREP_VERSION_HEX, and as "0.1.0". */
SHMREP_EXPORT unsigned int shmrep_version(void);
SHMREP_EXPORT const char *shmrep_version_string(void);

/* A static description of err; never NULL. */
SHMREP_EXPORT const char *shmrep_strerror(int err);

/* "string", "list", "set", "zset", "hash", or "none". */
SHMREP_EXPORT const char *shmrep_type_name(int type);

/*
 * Attach to the instance called name (the daemon's `name` setting; letters,
 * digits, '.', '_' and '-').  Checks that the region is a shmrep region of
 * this layout version, and that it is owned by root, by the caller's
 * effective user, or by the user named in the SHMREP_OWNER environment
 * variable (a name or a uid) unless flags has SHMREP_OPEN_ANY_OWNER.  The
 * data file must in any case have the same owner as the ctl file (one
 * daemon made both), or the result is SHMREP_EPERM.  Symbolic links are not
 * followed (-ELOOP).
 *
 * Returns 0 and *out, or SHMREP_ENOENT (no such instance), SHMREP_EPERM,
 * SHMREP_EBADMAGIC, SHMREP_EVERSION, SHMREP_ECORRUPT, SHMREP_EINVAL (bad
 * name), SHMREP_ENOMEM, or another negated errno from open/mmap.
 */
SHMREP_EXPORT int shmrep_open(const char *name, unsigned flags, shmrep **out);

/* Detach.  Every snapshot of h must have ended.  NULL is a no-op. */
SHMREP_EXPORT void shmrep_close(shmrep *h);

/*
 * Copy the string value of key (klen bytes) in database db into buf.
 * Returns 0 and *len = the value's length; SHMREP_ENOENT if the key is
 * missing or expired; SHMREP_ERANGE if cap is too small (then *len = the
 * length needed and buf is untouched); SHMREP_EWRONGTYPE if the key is not a
 * string; SHMREP_EINVAL for a bad db; other codes per shmrep_strerror.
 */
SHMREP_EXPORT int shmrep_get(shmrep *h, int db, const void *key, size_t klen,
			     void *buf, size_t cap, size_t *len);

/* 0 if key exists (of any type) and has not expired, else SHMREP_ENOENT. */
SHMREP_EXPORT int shmrep_exists(shmrep *h, int db, const void *key,
				size_t klen);

/* The key's type (SHMREP_TYPE_*) in *type, or SHMREP_ENOENT. */
SHMREP_EXPORT int shmrep_type(shmrep *h, int db, const void *key, size_t klen,
			      int *type);

/*
 * Remaining time to live of key in milliseconds in *ms, or *ms = -1 if the
 * key has no TTL (as Redis's PTTL).  SHMREP_ENOENT if missing or expired.
 */
SHMREP_EXPORT int shmrep_ttl(shmrep *h, int db, const void *key, size_t klen,
			     int64_t *ms);

/* Keys in database db (as DBSIZE: expired keys not yet deleted count). */
SHMREP_EXPORT int shmrep_dbsize(shmrep *h, int db, uint64_t *n);

/* State of the newest version: see shmrep_info. */
SHMREP_EXPORT int shmrep_info_get(shmrep *h, shmrep_info *out);

/*
 * Pin the newest version for consistent, zero-copy reads.  Returns 0 and
 * *out, SHMREP_ENEST if the thread already holds SHMREP_MAX_NEST snapshots on
 * h, SHMREP_ENOSLOT, or an error from moving to a replaced region.  *out is
 * valid until shmrep_snapshot_end(*out), in this thread only.  Keep
 * snapshots short: see Caveats.
 */
SHMREP_EXPORT int shmrep_snapshot_begin(shmrep *h, shmrep_snapshot **out);

/* Release s; every view obtained through s becomes invalid. */
SHMREP_EXPORT void shmrep_snapshot_end(shmrep_snapshot *s);

/*
 * The string value of key, as a view into the region valid until
 * shmrep_snapshot_end(s).  Returns 0, SHMREP_ENOENT, SHMREP_EWRONGTYPE,
 * SHMREP_EINVAL (bad db) or SHMREP_ECORRUPT.
 */
SHMREP_EXPORT int shmrep_snapshot_get(shmrep_snapshot *s, int db,
				      const void *key, size_t klen,
				      shmrep_view *out);

/* As shmrep_type, shmrep_ttl and shmrep_dbsize, within snapshot s. */
SHMREP_EXPORT int shmrep_snapshot_type(shmrep_snapshot *s, int db,
				       const void *key, size_t klen, int *type);
SHMREP_EXPORT int shmrep_snapshot_ttl(shmrep_snapshot *s, int db,
				      const void *key, size_t klen,
				      int64_t *ms);
SHMREP_EXPORT int shmrep_snapshot_dbsize(shmrep_snapshot *s, int db,
					 uint64_t *n);
SHMREP_EXPORT int shmrep_snapshot_info(shmrep_snapshot *s, shmrep_info *out);

/*
 * Iterate the keys of database db, as Redis's SCAN.  Start with *cursor = 0;
 * each call stores up to cap keys (views valid until shmrep_snapshot_end) in
 * keys[0..*n) and sets *cursor to where the next call continues, 0 when the
 * walk is complete.  Keys come in the order of their hash, each exactly
 * once per walk over one snapshot; a walk that spans several snapshots
 * (passing the cursor on) returns every key present throughout it at least
 * once.  If match is not NULL, only keys matching that glob-style pattern
 * (Redis's syntax: * ? [abc] [^a-z] \x) are returned.  Expired keys are
 * skipped.  Like Redis's COUNT, one call looks at a bounded number of keys
 * (16 * cap, at least 1024), so it may return fewer than cap keys, even
 * none, while *cursor is not yet 0: keep calling until it is.  cap must be
 * at least 1; in the (vanishingly rare) case of more keys with one full
 * 64-bit hash than cap, returns SHMREP_ERANGE.
 */
SHMREP_EXPORT int shmrep_snapshot_scan(shmrep_snapshot *s, int db,
				       uint64_t *cursor, const char *match,
				       shmrep_view *keys, size_t cap,
				       size_t *n);

/* ------------------------------------------------------------------------
 * Collections: hashes, sets, sorted sets and lists.
 *
 * Every call below reads through a snapshot and hands back views that stay
 * valid until shmrep_snapshot_end(s).  A key of another type gives
 * SHMREP_EWRONGTYPE (Redis's WRONGTYPE), a missing or expired key, and a
 * missing field or member (hget, zscore, zrank), SHMREP_ENOENT unless said
 * otherwise, a damaged value SHMREP_ECORRUPT.
 * Iterations need no allocation: the caller owns a shmrep_iter (on its
 * stack is fine), which is valid while its snapshot is and holds no
 * resources (nothing to free).  A call that sets up an iterator leaves it
 * usable even when it fails: empty, so shmrep_iter_next() returns 0.
 */

/* One element handed out by an iterator. */
typedef struct shmrep_entry {
	shmrep_view key; /* hash field, set member, zset member, list element */
	shmrep_view value; /* hash value; empty otherwise */
	double score; /* sorted sets; 0 otherwise */
} shmrep_entry;

typedef struct shmrep_iter {
	uint64_t opaque[48];
} shmrep_iter;

/* Next element: 1 and *out, 0 at the end, or a negative error. */
SHMREP_EXPORT int shmrep_iter_next(shmrep_iter *it, shmrep_entry *out);

/* Hashes (HGET, HLEN, HEXISTS, HMGET, HGETALL/HSCAN). */
SHMREP_EXPORT int shmrep_snapshot_hget(shmrep_snapshot *s, int db,
				       const void *key, size_t klen,
				       const void *field, size_t flen,
				       shmrep_view *out);
/* HMGET: for each of the n fields, out[i] is its value, or {NULL, 0} when
 * the field is missing.  SHMREP_ENOENT (and every out[i] {NULL, 0}) if the
 * key is missing. */
SHMREP_EXPORT int shmrep_snapshot_hmget(shmrep_snapshot *s, int db,
					const void *key, size_t klen,
					const shmrep_view *fields, size_t n,
					shmrep_view *out);
SHMREP_EXPORT int shmrep_snapshot_hlen(shmrep_snapshot *s, int db,
				       const void *key, size_t klen,
				       uint64_t *n);
/* Every field and value (HGETALL), in an unspecified order. */
SHMREP_EXPORT int shmrep_snapshot_hiter(shmrep_snapshot *s, int db,
					const void *key, size_t klen,
					shmrep_iter *it);

/* Sets (SISMEMBER, SMISMEMBER, SCARD, SMEMBERS/SSCAN).  sismember returns
 * 1 or 0 (or a negative error); a missing key is an empty set (0). */
SHMREP_EXPORT int shmrep_snapshot_sismember(shmrep_snapshot *s, int db,
					    const void *key, size_t klen,
					    const void *member, size_t mlen);
/* SMISMEMBER: out[i] = 1 if members[i] belongs to the set, else 0. */
SHMREP_EXPORT int shmrep_snapshot_smismember(shmrep_snapshot *s, int db,
					     const void *key, size_t klen,
					     const shmrep_view *members,
					     size_t n, int *out);
SHMREP_EXPORT int shmrep_snapshot_scard(shmrep_snapshot *s, int db,
					const void *key, size_t klen,
					uint64_t *n);
SHMREP_EXPORT int shmrep_snapshot_siter(shmrep_snapshot *s, int db,
					const void *key, size_t klen,
					shmrep_iter *it);

/* Sorted sets.  Ranks count from 0 in ascending (score, member) order, or
 * descending when rev is set (ZREVRANK). */
SHMREP_EXPORT int shmrep_snapshot_zscore(shmrep_snapshot *s, int db,
					 const void *key, size_t klen,
					 const void *member, size_t mlen,
					 double *score);
SHMREP_EXPORT int shmrep_snapshot_zrank(shmrep_snapshot *s, int db,
					const void *key, size_t klen,
					const void *member, size_t mlen, int rev,
					uint64_t *rank);
SHMREP_EXPORT int shmrep_snapshot_zcard(shmrep_snapshot *s, int db,
					const void *key, size_t klen,
					uint64_t *n);

/* Score or lex bound for ZRANGE BYSCORE / BYLEX. */
typedef struct shmrep_zbound {
	double score; /* BYSCORE: the bound (may be -inf or +inf) */
	shmrep_view lex; /* BYLEX: the bound's bytes */
	int exclusive; /* "(" in Redis's syntax */
	int infinite; /* BYLEX "-" (on min) or "+" (on max) */
} shmrep_zbound;

/*
 * ZRANGE.  By rank: start and stop as Redis takes them (negative counts
 * from the end, both inclusive), rev for ZREVRANGE.  By score or by lex:
 * elements between min and max (for rev, still min <= max: the iteration
 * just runs from max down), skipping offset of them and returning at most
 * count (count < 0: all), as LIMIT does.  A NaN score bound, or a lex
 * bound with len > 0 and ptr NULL, gives SHMREP_EINVAL.
 */
SHMREP_EXPORT int shmrep_snapshot_zrange(shmrep_snapshot *s, int db,
					 const void *key, size_t klen,
					 int64_t start, int64_t stop, int rev,
					 shmrep_iter *it);
SHMREP_EXPORT int shmrep_snapshot_zrangebyscore(shmrep_snapshot *s, int db,
						const void *key, size_t klen,
						const shmrep_zbound *min,
						const shmrep_zbound *max,
						int rev, int64_t offset,
						int64_t count,
						shmrep_iter *it);
SHMREP_EXPORT int shmrep_snapshot_zrangebylex(shmrep_snapshot *s, int db,
					      const void *key, size_t klen,
					      const shmrep_zbound *min,
					      const shmrep_zbound *max,
					      int rev, int64_t offset,
					      int64_t count, shmrep_iter *it);

/*
 * Lists (LLEN, LINDEX, LRANGE).  Indexes as Redis takes them: from 0 at
 * the head, negative from -1 at the tail.  lindex gives SHMREP_ERANGE for
 * an index past either end (Redis's nil).  lrange, like LRANGE, iterates
 * elements start..stop (both inclusive, clamped to the list); a range
 * that selects nothing iterates nothing and returns 0.
 */
SHMREP_EXPORT int shmrep_snapshot_llen(shmrep_snapshot *s, int db,
				       const void *key, size_t klen,
				       uint64_t *n);
SHMREP_EXPORT int shmrep_snapshot_lindex(shmrep_snapshot *s, int db,
					 const void *key, size_t klen,
					 int64_t index, shmrep_view *out);
SHMREP_EXPORT int shmrep_snapshot_lrange(shmrep_snapshot *s, int db,
					 const void *key, size_t klen,
					 int64_t start, int64_t stop,
					 shmrep_iter *it);

/*
 * The reader-slot table, for monitoring: up to cap rows of claimed slots in
 * out[0..*n).  Returns SHMREP_ERANGE if more slots are claimed than cap (the
 * first cap are stored and *n = cap).
 */
SHMREP_EXPORT int shmrep_readers(shmrep *h, shmrep_reader *out, size_t cap,
				 size_t *n);

#ifdef __cplusplus
}
#endif

#endif
