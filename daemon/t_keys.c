/*
 * t_keys.c - commands on keys of any type: DEL, UNLINK, EXISTS, the EXPIRE
 * family, TTL, PTTL, PERSIST, TYPE, RENAME, RENAMENX, MOVE, COPY, SWAPDB,
 * KEYS and SCAN, with Redis 7.0's semantics (src/db.c and src/expire.c
 * were the reference).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "strmatch.h"
#include "hamt.h"
#include "keys.h"
#include "num.h"
#include "server.h"
#include "writer.h"

static int del_generic(struct client *c)
{
	long long n = 0;

	for (int i = 1; i < c->argc; i++) {
		int err = 0, rc;

		if (!db_find(c, c->db, &c->argv[i], &err)) {
			if (err)
				return err;
			continue;
		}
		rc = db_delete(c->db, c->argv[i].p, c->argv[i].len);
		if (rc == -ENOMEM)
			return rc;
		n += rc == 0;
	}
	resp_add_int(&c->out, n);
	return 0;
}

static int cmd_del(struct client *c)
{
	return del_generic(c);
}

static int cmd_unlink(struct client *c)
{
	return del_generic(c);
}

static int cmd_exists(struct client *c)
{
	long long n = 0;

	for (int i = 1; i < c->argc; i++)
		n += db_find(c, c->db, &c->argv[i], NULL) != NULL;
	resp_add_int(&c->out, n);
	return 0;
}

enum { UNIT_SECONDS, UNIT_MS };
#define EXPIRE_NX 1u
#define EXPIRE_XX 2u
#define EXPIRE_GT 4u
#define EXPIRE_LT 8u

/* Redis's expireGenericCommand(). */
static int expire_generic(struct client *c, long long basetime, int unit)
{
	const struct shm_leaf *l;
	unsigned flags = 0;
	long long when, cur;
	int err = 0;

	for (int j = 3; j < c->argc; j++) {
		if (arg_is(c, j, "nx")) {
			flags |= EXPIRE_NX;
		} else if (arg_is(c, j, "xx")) {
			flags |= EXPIRE_XX;
		} else if (arg_is(c, j, "gt")) {
			flags |= EXPIRE_GT;
		} else if (arg_is(c, j, "lt")) {
			flags |= EXPIRE_LT;
		} else {
			resp_add_errorf(&c->out, "ERR Unsupported option %.*s",
					(int)c->argv[j].len, c->argv[j].p);
			return 0;
		}
	}
	if ((flags & EXPIRE_NX) && (flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT))) {
		resp_add_error(&c->out,
			       "ERR NX and XX, GT or LT options at the same time are not compatible");
		return 0;
	}
	if ((flags & EXPIRE_GT) && (flags & EXPIRE_LT)) {
		resp_add_error(&c->out,
			       "ERR GT and LT options at the same time are not compatible");
		return 0;
	}
	if (!arg_ll(c, 2, &when, NULL))
		return 0;
	if (unit == UNIT_SECONDS) {
		if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000)
			goto bad_time;
		when *= 1000;
	}
	if (when > LLONG_MAX - basetime)
		goto bad_time;
	when += basetime;
	l = db_find(c, c->db, &c->argv[1], &err);
	if (err)
		return err;
	if (!l) {
		resp_add_int(&c->out, 0);
		return 0;
	}
	cur = l->expire_ms ? l->expire_ms : -1;
	if (((flags & EXPIRE_NX) && cur != -1) ||
	    ((flags & EXPIRE_XX) && cur == -1) ||
	    ((flags & EXPIRE_GT) && (when <= cur || cur == -1)) ||
	    ((flags & EXPIRE_LT) && cur != -1 && when >= cur)) {
		resp_add_int(&c->out, 0);
		return 0;
	}
	if (when <= server_now_ms()) {
		err = db_delete(c->db, c->argv[1].p, c->argv[1].len);
		if (err == -ENOMEM)
			return err;
		srv.stat_expired++;
	} else {
		err = db_set_expire(c->db, c->argv[1].p, c->argv[1].len, when);
		if (err)
			return err;
	}
	resp_add_int(&c->out, 1);
	return 0;
bad_time:
	resp_add_errorf(&c->out, "ERR invalid expire time in '%s' command",
			c->cmd->name);
	return 0;
}

static int cmd_expire(struct client *c)
{
	return expire_generic(c, server_now_ms(), UNIT_SECONDS);
}

static int cmd_pexpire(struct client *c)
{
	return expire_generic(c, server_now_ms(), UNIT_MS);
}

static int cmd_expireat(struct client *c)
{
	return expire_generic(c, 0, UNIT_SECONDS);
}

static int cmd_pexpireat(struct client *c)
{
	return expire_generic(c, 0, UNIT_MS);
}

static int ttl_generic(struct client *c, bool ms)
{
	const struct shm_leaf *l = db_find(c, c->db, &c->argv[1], NULL);
	long long ttl;

	if (!l) {
		resp_add_int(&c->out, -2);
		return 0;
	}
	if (!l->expire_ms) {
		resp_add_int(&c->out, -1);
		return 0;
	}
	ttl = l->expire_ms - server_now_ms();
	if (ttl < 0)
		ttl = 0;
	resp_add_int(&c->out, ms ? ttl : (ttl + 500) / 1000);
	return 0;
}

static int cmd_ttl(struct client *c)
{
	return ttl_generic(c, false);
}

static int cmd_pttl(struct client *c)
{
	return ttl_generic(c, true);
}

static int cmd_persist(struct client *c)
{
	int err = 0;
	const struct shm_leaf *l = db_find(c, c->db, &c->argv[1], &err);

	if (err)
		return err;
	if (!l || !l->expire_ms) {
		resp_add_int(&c->out, 0);
		return 0;
	}
	err = db_set_expire(c->db, c->argv[1].p, c->argv[1].len, 0);
	if (err)
		return err;
	resp_add_int(&c->out, 1);
	return 0;
}

static const char *type_name(int type)
{
	switch (type) {
	case SHM_T_STRING:
		return "string";
	case SHM_T_LIST:
		return "list";
	case SHM_T_SET:
		return "set";
	case SHM_T_ZSET:
		return "zset";
	case SHM_T_HASH:
		return "hash";
	default:
		return "none";
	}
}

static int cmd_type(struct client *c)
{
	const struct shm_leaf *l = db_find(c, c->db, &c->argv[1], NULL);

	resp_add_simple(&c->out, l ? type_name(l->type) : "none");
	return 0;
}

/*
 * RENAME and RENAMENX: the value changes keys without being copied
 * (keys_move: a new leaf carries the same inline value, a large
 * collection's descriptor included, and the old leaf goes alone), so a
 * rename costs the same for a string and for a million-element set.
 */
static int rename_generic(struct client *c, bool nx)
{
	const struct resp_arg *src = &c->argv[1], *dst = &c->argv[2];
	int err = 0;

	if (!db_find(c, c->db, src, &err)) {
		if (err)
			return err;
		resp_add_error(&c->out, "ERR no such key");
		return 0;
	}
	if (src->len == dst->len && memcmp(src->p, dst->p, src->len) == 0) {
		if (nx)
			resp_add_int(&c->out, 0);
		else
			reply_ok(c);
		return 0;
	}
	if (nx) {
		if (db_find(c, c->db, dst, &err)) {
			resp_add_int(&c->out, 0);
			return 0;
		}
		if (err)
			return err;
	}
	/* A key the region cannot hold: as for a full region. */
	if (dst->len > SHM_MAX_KEY)
		return -ENOMEM;
	err = keys_move(srv.w, c->db, src->p, (uint32_t)src->len, c->db,
			dst->p, (uint32_t)dst->len);
	if (err)
		return err;
	if (nx)
		resp_add_int(&c->out, 1);
	else
		reply_ok(c);
	return 0;
}

static int cmd_rename(struct client *c)
{
	return rename_generic(c, false);
}

static int cmd_renamenx(struct client *c)
{
	return rename_generic(c, true);
}

/*
 * argv[i] as a database index, read as Redis reads one: an int
 * (getIntFromObjectOrReply(); msg, when given, replaces both of its
 * errors), in *db.  Whether that database exists is the caller's next
 * check (db_exists).  false after replying.
 */
static bool arg_dbindex(struct client *c, int i, const char *msg,
			long long *db)
{
	if (!arg_ll(c, i, db, msg))
		return false;
	if (*db >= INT_MIN && *db <= INT_MAX)
		return true;
	if (msg)
		resp_add_error(&c->out, msg);
	else
		resp_add_errorf(&c->out,
				"ERR value is out of range, value must between %d and %d",
				INT_MIN, INT_MAX);
	return false;
}

static bool db_exists(long long db)
{
	return db >= 0 && db < (long long)srv.w->ndb;
}

#define ERR_DB_RANGE "ERR DB index is out of range"
#define ERR_SAME "ERR source and destination objects are the same"

/* MOVE key db: like RENAME across databases, never over an existing key. */
static int cmd_move(struct client *c)
{
	const struct resp_arg *key = &c->argv[1];
	long long db;
	int err = 0;

	if (!arg_dbindex(c, 2, NULL, &db))
		return 0;
	if (!db_exists(db)) {
		resp_add_error(&c->out, ERR_DB_RANGE);
		return 0;
	}
	if ((unsigned)db == c->db) {
		resp_add_error(&c->out, ERR_SAME);
		return 0;
	}
	if (!db_find(c, c->db, key, &err) ||
	    db_find(c, (unsigned)db, key, &err)) {
		if (err)
			return err;
		resp_add_int(&c->out, 0);
		return 0;
	}
	if (err)
		return err;
	err = keys_move(srv.w, c->db, key->p, (uint32_t)key->len, (unsigned)db,
			key->p, (uint32_t)key->len);
	if (err)
		return err;
	resp_add_int(&c->out, 1);
	return 0;
}

/*
 * COPY source destination [DB db] [REPLACE]: a deep copy, as Redis makes
 * one.  Two live keys never share a structure: deleting one would free
 * what the other still uses (keys.c, leaf ownership).
 */
static int cmd_copy(struct client *c)
{
	const struct resp_arg *src = &c->argv[1], *dst = &c->argv[2];
	const struct shm_leaf *l;
	long long db = c->db;
	bool replace = false;
	shm_ref r;
	int err = 0;

	for (int j = 3; j < c->argc; j++) {
		if (arg_is(c, j, "replace")) {
			replace = true;
		} else if (arg_is(c, j, "db") && j + 1 < c->argc) {
			if (!arg_dbindex(c, j + 1, NULL, &db))
				return 0;
			if (!db_exists(db)) {
				resp_add_error(&c->out, ERR_DB_RANGE);
				return 0;
			}
			j++;
		} else {
			reply_syntax(c);
			return 0;
		}
	}
	if ((unsigned)db == c->db && src->len == dst->len &&
	    memcmp(src->p, dst->p, src->len) == 0) {
		resp_add_error(&c->out, ERR_SAME);
		return 0;
	}
	l = db_find(c, c->db, src, &err);
	if (!l || (db_find(c, (unsigned)db, dst, &err) && !replace)) {
		if (err)
			return err;
		resp_add_int(&c->out, 0);
		return 0;
	}
	if (err)
		return err;
	if (dst->len > SHM_MAX_KEY)
		return -ENOMEM;
	err = keys_copy(srv.w, &srv.w->view, l, dst->p, (uint32_t)dst->len,
			l->expire_ms, &r);
	if (err == SHMREP_ECORRUPT) {
		/* The writer's own value does not decode: a bug.  Undone as
		 * for a full region, so that nothing half made is kept. */
		srv_log(LL_WARNING,
			"COPY: the value at key '%.*s' does not decode",
			(int)(src->len > 128 ? 128 : src->len), src->p);
		return -ENOMEM;
	}
	if (!err)
		err = keys_link(srv.w, (unsigned)db, r, KEYS_REPLACE, NULL);
	if (err)
		return err;
	resp_add_int(&c->out, 1);
	return 0;
}

/* SWAPDB index1 index2: the two databases trade their tries and counts in
 * the open batch; readers see the swap in one version, as everything. */
static int cmd_swapdb(struct client *c)
{
	long long a, b;

	if (!arg_dbindex(c, 1, "ERR invalid first DB index", &a) ||
	    !arg_dbindex(c, 2, "ERR invalid second DB index", &b))
		return 0;
	if (!db_exists(a) || !db_exists(b)) {
		resp_add_error(&c->out, ERR_DB_RANGE);
		return 0;
	}
	keys_swap(srv.w, (unsigned)a, (unsigned)b);
	reply_ok(c);
	return 0;
}

struct key_walk {
	struct resp_out *out;
	const char *pat;
	size_t plen;
	bool all;
	const char *type;
	int64_t now;
	long long n;
};

static int add_key(void *arg, const struct shm_leaf *const *ls, unsigned n)
{
	struct key_walk *k = arg;

	for (unsigned i = 0; i < n; i++) {
		const struct shm_leaf *l = ls[i];

		if (shm_leaf_expired(l, k->now))
			continue;
		if (!k->all && !glob_match(k->pat, k->plen, (const char *)l->data,
					   l->klen, false))
			continue;
		if (k->type && strcasecmp(k->type, type_name(l->type)))
			continue;
		resp_add_bulk(k->out, l->data, l->klen);
		k->n++;
	}
	return HAMT_NEXT;
}

static int cmd_keys(struct client *c)
{
	struct key_walk k = {
		.out = &c->out, .pat = c->argv[1].p, .plen = c->argv[1].len,
		.all = c->argv[1].len == 1 && c->argv[1].p[0] == '*',
		.now = server_now_ms(),
	};
	uint64_t cursor = 0;
	size_t slot = resp_add_deferred_len(&c->out);

	hamt_scan(&srv.w->view, srv.w->db[c->db].root, &cursor, 0, add_key, &k);
	resp_set_deferred_len(&c->out, slot, k.n);
	return 0;
}

static int cmd_scan(struct client *c)
{
	struct resp_out keys = { 0 };
	struct key_walk k = { .out = &keys, .now = server_now_ms() };
	struct scan_opts o;
	uint64_t cursor;
	char tbuf[32];
	size_t slot;

	if (!arg_cursor(c, 1, &cursor) || !scan_opts_parse(c, 2, true, &o))
		return 0;
	k.pat = o.pat;
	k.plen = o.plen;
	k.all = !o.pat;
	if (o.type) {
		snprintf(tbuf, sizeof(tbuf), "%.*s", (int)o.tlen, o.type);
		k.type = tbuf;
	}
	/* The keys are collected first: the cursor that precedes them in
	 * the reply is known only once the walk stops. */
	slot = resp_add_deferred_len(&keys);
	hamt_scan(&srv.w->view, srv.w->db[c->db].root, &cursor,
		  (uint64_t)o.count, add_key, &k);
	resp_set_deferred_len(&keys, slot, k.n);
	reply_scan(c, cursor, &keys);
	resp_out_free(&keys);
	return 0;
}

#define W CMD_WRITE
#define R CMD_READONLY
#define F CMD_FAST

const struct command cmds_keys[] = {
	{ "del", cmd_del, -2, W, 1, -1, 1, "write", "@keyspace @write @slow" },
	{ "unlink", cmd_unlink, -2, W | F, 1, -1, 1, "write fast",
	  "@keyspace @write @fast" },
	{ "exists", cmd_exists, -2, R | F, 1, -1, 1, "readonly fast",
	  "@keyspace @read @fast" },
	{ "expire", cmd_expire, -3, W | F, 1, 1, 1, "write fast",
	  "@keyspace @write @fast" },
	{ "pexpire", cmd_pexpire, -3, W | F, 1, 1, 1, "write fast",
	  "@keyspace @write @fast" },
	{ "expireat", cmd_expireat, -3, W | F, 1, 1, 1, "write fast",
	  "@keyspace @write @fast" },
	{ "pexpireat", cmd_pexpireat, -3, W | F, 1, 1, 1, "write fast",
	  "@keyspace @write @fast" },
	{ "ttl", cmd_ttl, 2, R | F, 1, 1, 1, "readonly fast",
	  "@keyspace @read @fast" },
	{ "pttl", cmd_pttl, 2, R | F, 1, 1, 1, "readonly fast",
	  "@keyspace @read @fast" },
	{ "persist", cmd_persist, 2, W | F, 1, 1, 1, "write fast",
	  "@keyspace @write @fast" },
	{ "type", cmd_type, 2, R | F, 1, 1, 1, "readonly fast",
	  "@keyspace @read @fast" },
	{ "rename", cmd_rename, 3, W, 1, 2, 1, "write", "@keyspace @write @slow" },
	{ "renamenx", cmd_renamenx, 3, W | F, 1, 2, 1, "write fast",
	  "@keyspace @write @fast" },
	{ "move", cmd_move, 3, W | F, 1, 1, 1, "write fast",
	  "@keyspace @write @fast" },
	{ "copy", cmd_copy, -3, W, 1, 2, 1, "write denyoom",
	  "@keyspace @write @slow" },
	{ "swapdb", cmd_swapdb, 3, W | F, 0, 0, 0, "write fast",
	  "@keyspace @write @fast @dangerous" },
	{ "keys", cmd_keys, 2, R, 0, 0, 0, "readonly",
	  "@keyspace @read @slow @dangerous" },
	{ "scan", cmd_scan, -2, R, 0, 0, 0, "readonly", "@keyspace @read @slow" },
	{ NULL },
};
