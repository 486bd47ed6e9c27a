/*
 * c_hash.h - Redis hashes and sets in the region: the writer's changes and
 * the checked reads that the daemon and libshmrep share.  Design notes at
 * the top of c_hash.c; the encodings are described in layout.h.
 *
 * A hash or a set is one leaf of type SHM_T_HASH or SHM_T_SET, encoded
 *   SHM_E_PACK  while it has at most SHM_PACK_MAX_ENTRIES entries and every
 *               field, value and member has at most SHM_PACK_MAX_BYTES
 *               bytes: the whole collection inline, in insertion order;
 *   SHM_E_HAMT  once either limit has been passed (for good, as in Redis):
 *               a descriptor whose root is a trie (hamt.c) of SHM_T_ELEM
 *               leaves keyed by field (value: the hash value) or member
 *               (no value).
 *
 * Reads take a struct shm_view and the collection's leaf, and check
 * everything they follow: a damaged value or trie gives SHMREP_ECORRUPT,
 * never a crash.  Views they hand out point into the region and are valid
 * as long as the version they were read from is (a reader's snapshot; the
 * writer's command).  They return 0 or a negative SHMREP_E* code.
 *
 * Writes take the writer and a key, run inside a command (writer.h) and
 * return 0 or -ENOMEM (the region is full: the caller aborts the command,
 * which undoes everything).  The caller has checked the key's type, and
 * deleted it first if its TTL has passed (daemon/db.c does both): a write
 * keeps the TTL of the key it changes, creates a missing key without one,
 * and deletes a key whose last field or member it removes.
 */
#ifndef SHM_C_HASH_H
#define SHM_C_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"
#include "read.h"
#include "shmrep.h"

struct shm_writer;

/* ----------------------------------------------------------------- reads */

/* Fields of a hash or members of a set (HLEN, SCARD). */
int chash_len(const struct shm_view *v, const struct shm_leaf *l,
	      uint64_t *n);

/* The value of field in hash l: 0 and *out, or SHMREP_ENOENT (*out is
 * then empty), SHMREP_EWRONGTYPE if l is a set, SHMREP_ECORRUPT. */
int chash_hget(const struct shm_view *v, const struct shm_leaf *l,
	       const void *field, size_t flen, shmrep_view *out);

/* 1 if member belongs to set l, 0 if not, or a negative error. */
int chash_sismember(const struct shm_view *v, const struct shm_leaf *l,
		    const void *member, size_t mlen);

/*
 * Start an iteration over every field and value of hash l, or every member
 * of set l (shmrep_iter_next), in an unspecified order: insertion order
 * while packed, hash order once large.  On error the iteration is empty.
 */
int chash_iter(shmrep_iter *it, const struct shm_view *v,
	       const struct shm_leaf *l);

/* Visitor for chash_scan: one field (with its value) or member. */
typedef void (*chash_visit_fn)(void *arg, const shmrep_entry *e);

/*
 * HSCAN and SSCAN.  A packed collection is visited whole and *cursor
 * becomes 0, whatever it was (Redis does the same for its small
 * encodings).  A large one is visited in hash order from the hash *cursor,
 * until at least count entries (count >= 1) have been visited; *cursor is
 * then the hash to go on from, 0 once the walk is complete.  As with the
 * keyspace's SCAN, an entry present throughout a walk is visited at least
 * once, however the collection changes between calls.
 */
int chash_scan(const struct shm_view *v, const struct shm_leaf *l,
	       uint64_t *cursor, uint64_t count, chash_visit_fn fn, void *arg);

/* Random numbers for chash_sample: the daemon's come from arc4random,
 * tests pass a seeded generator. */
typedef uint64_t (*chash_rand_fn)(void *arg);

/*
 * Random entries of collection l (SPOP, SRANDMEMBER): count of them, each
 * drawn independently (so possibly repeated) unless distinct is set; then
 * min(count, size) different ones.  out must have room for that many;
 * *n is how many were stored.  A packed collection is sampled exactly
 * uniformly; a large one nearly so (see c_hash.c).  Returns 0,
 * SHMREP_ENOMEM (process memory, for the duplicate check) or
 * SHMREP_ECORRUPT.
 */
int chash_sample(const struct shm_view *v, const struct shm_leaf *l,
		 uint64_t count, bool distinct, chash_rand_fn rnd, void *arg,
		 shmrep_entry *out, uint64_t *n);

/* ---------------------------------------------------------------- writes */

/*
 * HSET, HMSET and HSETNX: set npairs fields of hash key, fv[2i] to
 * fv[2i + 1], in order (a field given twice takes its last value).  With
 * nx, only fields the hash does not have yet are set.  *added counts the
 * fields that were new.  Creates the key if it is missing.
 */
int chash_hset(struct shm_writer *w, unsigned db, const void *key,
	       uint32_t klen, const shmrep_view *fv, size_t npairs, bool nx,
	       uint64_t *added);

/* HDEL: remove fields f[0..n); *deleted counts those that were there. */
int chash_hdel(struct shm_writer *w, unsigned db, const void *key,
	       uint32_t klen, const shmrep_view *f, size_t n,
	       uint64_t *deleted);

/* SADD: *added counts the members that were new. */
int chash_sadd(struct shm_writer *w, unsigned db, const void *key,
	       uint32_t klen, const shmrep_view *m, size_t n,
	       uint64_t *added);

/* SREM: *removed counts the members that were there. */
int chash_srem(struct shm_writer *w, unsigned db, const void *key,
	       uint32_t klen, const shmrep_view *m, size_t n,
	       uint64_t *removed);

#endif
