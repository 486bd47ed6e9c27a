/*
 * db.h - the keyspace as commands see it: lookups that honour TTLs and
 * writes on the open batch.  Write calls run inside the dispatcher's writer
 * command and return -ENOMEM when the region is full (the command is then
 * undone as a whole).
 */
#ifndef DAEMON_DB_H
#define DAEMON_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"

struct client;
struct shm_leaf;
struct resp_arg;

/*
 * The leaf of key in db, or NULL if missing or expired.  Inside a write
 * command an expired key is also deleted (lazy expiry); -ENOMEM from that
 * deletion is reported through *err (else left alone).
 */
const struct shm_leaf *db_find(struct client *c, unsigned db,
			       const struct resp_arg *key, int *err);

/*
 * The value at key for a command on a collection of type: 1 and *l if the
 * key holds that type, 0 if it does not exist (expired included), -1 if it
 * holds another type (WRONGTYPE has been replied).  *err as db_find's.
 */
int db_coll(struct client *c, unsigned db, const struct resp_arg *key,
	    uint8_t type, const struct shm_leaf **l, int *err);

/* Same without the lazy deletion and the hit/miss counting. */
const struct shm_leaf *db_peek(unsigned db, const void *key, size_t klen);

/* Set key to a string value with expire_ms (0: none).  0 or -ENOMEM. */
int db_set_string(unsigned db, const void *key, size_t klen,
		  const void *val, size_t vlen, int64_t expire_ms);

/*
 * Start a new string value of vlen bytes for key (to be filled through
 * *val) and link it with db_link.  Returns the leaf ref, or 0 on ENOMEM.
 */
shm_ref db_new_string(const void *key, size_t klen, size_t vlen,
		      int64_t expire_ms, uint8_t **val);
int db_link(unsigned db, shm_ref leaf);

/* Remove key: 0, -ENOENT or -ENOMEM. */
int db_delete(unsigned db, const void *key, size_t klen);

/* Set or clear (0) the TTL of an existing key: 0, -ENOENT, -ENOMEM. */
int db_set_expire(unsigned db, const void *key, size_t klen,
		  int64_t expire_ms);

/* True if the leaf's TTL has passed. */
bool db_expired(const struct shm_leaf *l);

/* Empty one database, or all of them. */
void db_flush(unsigned db);

/* Keys in db, and keys with a TTL, in the open batch. */
uint64_t db_size(unsigned db);
uint64_t db_expires(unsigned db);

/* One step of active expiry: look at up to `budget` keys with a TTL-able
 * cursor and delete the expired ones (in a writer command of its own).
 * Returns the number deleted. */
unsigned db_active_expire(unsigned budget);

#endif
