/*
 * db.c - keyspace access for commands, over shm/keys.c.
 *
 * Expiry follows Redis: a key whose TTL has passed is gone for every
 * command the moment the TTL passes (readers of the region apply the same
 * rule on their own), it is deleted lazily when a write command touches it,
 * and actively by a cursor walk over each database that has keys with a
 * TTL (db_active_expire, from the daemon's cron).  The walk is in hash
 * order, so deleting behind the cursor never makes it skip or revisit keys.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "hamt.h"
#include "keys.h"
#include "server.h"
#include "writer.h"

bool db_expired(const struct shm_leaf *l)
{
	return l->expire_ms != 0 && l->expire_ms <= server_now_ms();
}

const struct shm_leaf *db_peek(unsigned db, const void *key, size_t klen)
{
	const struct shm_leaf *l;

	if (klen > SHM_MAX_KEY || keys_find(srv.w, db, key, (uint32_t)klen, &l))
		return NULL;
	return db_expired(l) ? NULL : l;
}

const struct shm_leaf *db_find(struct client *c, unsigned db,
			       const struct resp_arg *key, int *err)
{
	const struct shm_leaf *l;

	if (key->len > SHM_MAX_KEY ||
	    keys_find(srv.w, db, key->p, (uint32_t)key->len, &l)) {
		srv.stat_keyspace_misses++;
		return NULL;
	}
	if (db_expired(l)) {
		if (c->cmd && (c->cmd->flags & CMD_WRITE)) {
			int rc = keys_unlink(srv.w, db, key->p, (uint32_t)key->len);

			if (rc == 0)
				srv.stat_expired++;
			else if (err)
				*err = rc;
		}
		srv.stat_keyspace_misses++;
		return NULL;
	}
	srv.stat_keyspace_hits++;
	return l;
}

int db_coll(struct client *c, unsigned db, const struct resp_arg *key,
	    uint8_t type, const struct shm_leaf **l, int *err)
{
	*l = db_find(c, db, key, err);
	if (!*l)
		return 0;
	if ((*l)->type != type) {
		reply_wrongtype(c);
		return -1;
	}
	return 1;
}

shm_ref db_new_string(const void *key, size_t klen, size_t vlen,
		      int64_t expire_ms, uint8_t **val)
{
	shm_ref r = keys_leaf_new(srv.w, key, (uint32_t)klen, SHM_T_STRING,
				  vlen, expire_ms);

	if (r)
		*val = (uint8_t *)shm_wr_ptr(srv.w, r) + sizeof(struct shm_leaf) + klen;
	return r;
}

int db_link(unsigned db, shm_ref leaf)
{
	return keys_link(srv.w, db, leaf, KEYS_REPLACE, NULL);
}

int db_set_string(unsigned db, const void *key, size_t klen,
		  const void *val, size_t vlen, int64_t expire_ms)
{
	uint8_t *p;
	shm_ref r = db_new_string(key, klen, vlen, expire_ms, &p);

	if (!r)
		return -ENOMEM;
	memcpy(p, val, vlen);
	return db_link(db, r);
}

int db_delete(unsigned db, const void *key, size_t klen)
{
	return keys_unlink(srv.w, db, key, (uint32_t)klen);
}

int db_set_expire(unsigned db, const void *key, size_t klen, int64_t expire_ms)
{
	return keys_set_expire(srv.w, db, key, (uint32_t)klen, expire_ms);
}

void db_flush(unsigned db)
{
	keys_flush(srv.w, db);
}

uint64_t db_size(unsigned db)
{
	return srv.w->db[db].nkeys;
}

uint64_t db_expires(unsigned db)
{
	return srv.w->db[db].nexpires;
}

struct expire_scan {
	int64_t now;
	char **keys;
	uint32_t *lens;
	unsigned n, cap;
};

static int collect_expired(void *arg, const struct shm_leaf *const *ls,
			   unsigned n)
{
	struct expire_scan *e = arg;

	for (unsigned i = 0; i < n; i++) {
		if (!shm_leaf_expired(ls[i], e->now))
			continue;
		if (e->n == e->cap)
			return HAMT_REFUSE;
		e->keys[e->n] = malloc(ls[i]->klen ? ls[i]->klen : 1);
		if (!e->keys[e->n])
			return HAMT_REFUSE;
		memcpy(e->keys[e->n], ls[i]->data, ls[i]->klen);
		e->lens[e->n++] = ls[i]->klen;
	}
	return HAMT_NEXT;
}

unsigned db_active_expire(unsigned budget)
{
	struct shm_writer *w = srv.w;
	unsigned deleted = 0;

	for (unsigned tries = 0; tries < w->ndb && budget; tries++) {
		unsigned db = srv.expire_db;
		struct expire_scan e = { .now = server_now_ms(), .cap = 256 };
		char *keys[256];
		uint32_t lens[256];
		uint64_t before;

		if (!w->db[db].nexpires) {
			srv.expire_db = (db + 1) % w->ndb;
			srv.expire_cursor = 0;
			continue;
		}
		e.keys = keys;
		e.lens = lens;
		before = srv.expire_cursor;
		if (hamt_scan(&w->view, w->db[db].root, &srv.expire_cursor,
			      budget, collect_expired, &e) < 0)
			srv.expire_cursor = 0;
		budget = budget > 256 ? budget - 256 : 0;
		if (e.n && shm_wr_begin(w) == 0) {
			unsigned i;

			for (i = 0; i < e.n; i++)
				if (keys_unlink(w, db, keys[i], lens[i]) == -ENOMEM)
					break;
			if (i < e.n) {
				shm_wr_abort(w);
			} else {
				shm_wr_commit(w);
				deleted += e.n;
			}
		}
		for (unsigned i = 0; i < e.n; i++)
			free(keys[i]);
		if (srv.expire_cursor == 0 || srv.expire_cursor == before) {
			srv.expire_db = (db + 1) % w->ndb;
			srv.expire_cursor = 0;
		}
	}
	srv.stat_expired += deleted;
	return deleted;
}
