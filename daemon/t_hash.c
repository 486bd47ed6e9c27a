/*
 * t_hash.c - hash commands with Redis 7.0's semantics, replies and error
 * texts (src/t_hash.c, and db.c's scanGenericCommand for HSCAN, were the
 * reference for the order of the checks: which error a client gets when
 * several apply is part of the contract).
 *
 * Storage is shm/c_hash.c's: this file parses arguments, looks keys up with
 * their TTLs (db.c: an expired key is missing, and is deleted by a write),
 * and replies.  Every write goes through one c_hash call per command, so a
 * packed hash is rewritten once per command however many fields change,
 * and a hash keeps its TTL across changes, as in Redis.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_hash.h"
#include "db.h"
#include "iter.h"
#include "num.h"
#include "server.h"
#include "strmatch.h"
#include "writer.h"

#define STACK_ARGS 32

/* The hash at argv[1]: 1 and *l, 0 if missing, -1 if WRONGTYPE was
 * replied.  err as db_find's (NULL in read commands). */
static int hash_lookup(struct client *c, const struct shm_leaf **l, int *err)
{
	return db_coll(c, c->db, &c->argv[1], SHM_T_HASH, l, err);
}

/* Set pairs argv[first...] of hash argv[1]: 0 or -ENOMEM. */
static int hash_set(struct client *c, int first, size_t npairs, bool nx,
		    uint64_t *added)
{
	shmrep_view buf[STACK_ARGS];
	shmrep_view *v = args_views(c, first, (int)(2 * npairs), buf,
				    STACK_ARGS);
	int rc = chash_hset(srv.w, c->db, c->argv[1].p,
			    (uint32_t)c->argv[1].len, v, npairs, nx, added);

	if (v != buf)
		free(v);
	return rc;
}

/* HSET key field value [field value ...], and HMSET (which replies OK). */
static int hset_generic(struct client *c, bool ok)
{
	const struct shm_leaf *l;
	uint64_t added;
	int err = 0, rc;

	if (c->argc % 2) {
		reply_wrong_args(c);
		return 0;
	}
	rc = hash_lookup(c, &l, &err);
	if (err)
		return err;
	if (rc < 0)
		return 0;
	rc = hash_set(c, 2, (size_t)(c->argc - 2) / 2, false, &added);
	if (rc)
		return rc;
	if (ok)
		reply_ok(c);
	else
		resp_add_int(&c->out, (long long)added);
	return 0;
}

static int cmd_hset(struct client *c)
{
	return hset_generic(c, false);
}

static int cmd_hmset(struct client *c)
{
	return hset_generic(c, true);
}

static int cmd_hsetnx(struct client *c)
{
	const struct shm_leaf *l;
	uint64_t added;
	int err = 0, rc = hash_lookup(c, &l, &err);

	if (err)
		return err;
	if (rc < 0)
		return 0;
	rc = hash_set(c, 2, 1, true, &added);
	if (rc)
		return rc;
	resp_add_int(&c->out, (long long)added);
	return 0;
}

/* The value of field argv[arg] in l (which may be NULL): true and *v. */
static bool field_value(const struct shm_leaf *l, const struct client *c,
			int arg, shmrep_view *v)
{
	return l && chash_hget(&srv.w->view, l, c->argv[arg].p,
			       c->argv[arg].len, v) == 0;
}

static int cmd_hget(struct client *c)
{
	const struct shm_leaf *l;
	shmrep_view v;

	if (hash_lookup(c, &l, NULL) < 0)
		return 0;
	if (field_value(l, c, 2, &v))
		resp_add_bulk(&c->out, v.ptr, v.len);
	else
		resp_add_null(&c->out);
	return 0;
}

static int cmd_hmget(struct client *c)
{
	const struct shm_leaf *l;
	shmrep_view v;

	if (hash_lookup(c, &l, NULL) < 0)
		return 0;
	resp_add_array(&c->out, c->argc - 2);
	for (int i = 2; i < c->argc; i++) {
		if (field_value(l, c, i, &v))
			resp_add_bulk(&c->out, v.ptr, v.len);
		else
			resp_add_null(&c->out);
	}
	return 0;
}

static int cmd_hdel(struct client *c)
{
	const struct shm_leaf *l;
	shmrep_view buf[STACK_ARGS], *v;
	uint64_t deleted = 0;
	int err = 0, rc = hash_lookup(c, &l, &err);

	if (err)
		return err;
	if (rc < 0)
		return 0;
	if (rc > 0) {
		v = args_views(c, 2, c->argc - 2, buf, STACK_ARGS);
		rc = chash_hdel(srv.w, c->db, c->argv[1].p,
				(uint32_t)c->argv[1].len, v,
				(size_t)c->argc - 2, &deleted);
		if (v != buf)
			free(v);
		if (rc)
			return rc;
	}
	resp_add_int(&c->out, (long long)deleted);
	return 0;
}

static int cmd_hlen(struct client *c)
{
	const struct shm_leaf *l;
	uint64_t n = 0;
	int rc = hash_lookup(c, &l, NULL);

	if (rc < 0)
		return 0;
	if (rc > 0)
		chash_len(&srv.w->view, l, &n);
	resp_add_int(&c->out, (long long)n);
	return 0;
}

static int cmd_hstrlen(struct client *c)
{
	const struct shm_leaf *l;
	shmrep_view v;

	if (hash_lookup(c, &l, NULL) < 0)
		return 0;
	resp_add_int(&c->out,
		     field_value(l, c, 2, &v) ? (long long)v.len : 0);
	return 0;
}

static int cmd_hexists(struct client *c)
{
	const struct shm_leaf *l;
	shmrep_view v;

	if (hash_lookup(c, &l, NULL) < 0)
		return 0;
	resp_add_int(&c->out, field_value(l, c, 2, &v));
	return 0;
}

/* Store a number's text as the value of field argv[2]. */
static int set_number(struct client *c, const char *buf, int n)
{
	shmrep_view fv[2] = {
		{ c->argv[2].p, c->argv[2].len },
		{ buf, (size_t)n },
	};
	uint64_t added;

	return chash_hset(srv.w, c->db, c->argv[1].p, (uint32_t)c->argv[1].len,
			  fv, 1, false, &added);
}

static int cmd_hincrby(struct client *c)
{
	const struct shm_leaf *l;
	long long incr, value = 0;
	char buf[NUM_LL_STR_MAX];
	shmrep_view v;
	int err = 0, rc, n;

	if (!arg_ll(c, 3, &incr, NULL))
		return 0;
	rc = hash_lookup(c, &l, &err);
	if (err)
		return err;
	if (rc < 0)
		return 0;
	if (field_value(l, c, 2, &v) &&
	    !num_str2ll(v.ptr, v.len, &value)) {
		resp_add_error(&c->out, "ERR hash value is not an integer");
		return 0;
	}
	if ((incr < 0 && value < 0 && incr < LLONG_MIN - value) ||
	    (incr > 0 && value > 0 && incr > LLONG_MAX - value)) {
		resp_add_error(&c->out,
			       "ERR increment or decrement would overflow");
		return 0;
	}
	value += incr;
	n = num_ll2str(buf, sizeof(buf), value);
	rc = set_number(c, buf, n);
	if (rc)
		return rc;
	resp_add_int(&c->out, value);
	return 0;
}

static int cmd_hincrbyfloat(struct client *c)
{
	const struct shm_leaf *l;
	long double value = 0, incr;
	char buf[NUM_LD_STR_MAX + 64];
	shmrep_view v;
	int err = 0, rc, n;

	if (!num_str2ld(c->argv[3].p, c->argv[3].len, &incr)) {
		resp_add_error(&c->out, NUM_ERR_NOT_FLOAT);
		return 0;
	}
	if (isnan(incr) || isinf(incr)) {
		resp_add_error(&c->out, "ERR value is NaN or Infinity");
		return 0;
	}
	rc = hash_lookup(c, &l, &err);
	if (err)
		return err;
	if (rc < 0)
		return 0;
	if (field_value(l, c, 2, &v) &&
	    !num_str2ld(v.ptr, v.len, &value)) {
		resp_add_error(&c->out, "ERR hash value is not a float");
		return 0;
	}
	value += incr;
	if (isnan(value) || isinf(value)) {
		resp_add_error(&c->out,
			       "ERR increment would produce NaN or Infinity");
		return 0;
	}
	n = num_ld2str(buf, sizeof(buf), value, true);
	rc = set_number(c, buf, n);
	if (rc)
		return rc;
	resp_add_bulk(&c->out, buf, (size_t)n);
	return 0;
}

/* HGETALL, HKEYS and HVALS: every field and/or value. */
static int getall_generic(struct client *c, bool keys, bool vals)
{
	const struct shm_leaf *l;
	shmrep_iter it;
	shmrep_entry e;
	long long n = 0;
	size_t slot;
	int rc = hash_lookup(c, &l, NULL);

	if (rc < 0)
		return 0;
	if (rc == 0) {
		resp_add_array(&c->out, 0);
		return 0;
	}
	slot = resp_add_deferred_len(&c->out);
	chash_iter(&it, &srv.w->view, l);
	while (iter_next(&it, &e) == 1) {
		if (keys)
			resp_add_bulk(&c->out, e.key.ptr, e.key.len);
		if (vals)
			resp_add_bulk(&c->out, e.value.ptr, e.value.len);
		n += keys + vals;
	}
	resp_set_deferred_len(&c->out, slot, n);
	return 0;
}

static int cmd_hgetall(struct client *c)
{
	return getall_generic(c, true, true);
}

static int cmd_hkeys(struct client *c)
{
	return getall_generic(c, true, false);
}

static int cmd_hvals(struct client *c)
{
	return getall_generic(c, false, true);
}

struct scan_out {
	struct resp_out *out;
	const char *pat; /* NULL: every entry */
	size_t plen;
	bool vals;
	long long n;
};

static void scan_add(void *arg, const shmrep_entry *e)
{
	struct scan_out *s = arg;

	if (s->pat && !glob_match(s->pat, s->plen, e->key.ptr, e->key.len,
				  false))
		return;
	resp_add_bulk(s->out, e->key.ptr, e->key.len);
	s->n++;
	if (s->vals) {
		resp_add_bulk(s->out, e->value.ptr, e->value.len);
		s->n++;
	}
}

/*
 * The rest of HSCAN and SSCAN once the key is found: parse the options
 * from argument 3, walk from cursor, reply.  Field-value pairs if vals,
 * else fields (set members) alone.
 */
int chash_scan_reply(struct client *c, const struct shm_leaf *l,
		     uint64_t cursor, bool vals)
{
	struct resp_out elems = { 0 };
	struct scan_out s = { .out = &elems, .vals = vals };
	struct scan_opts o;
	size_t slot;

	if (!scan_opts_parse(c, 3, false, &o))
		return 0;
	s.pat = o.pat;
	s.plen = o.plen;
	/* The entries first: the cursor before them is known at the end. */
	slot = resp_add_deferred_len(&elems);
	chash_scan(&srv.w->view, l, &cursor, (uint64_t)o.count, scan_add, &s);
	resp_set_deferred_len(&elems, slot, s.n);
	reply_scan(c, cursor, &elems);
	resp_out_free(&elems);
	return 0;
}

/*
 * HSCAN key cursor [MATCH pattern] [COUNT count]: Redis parses the cursor
 * before looking the key up, and the options only once it has found it.
 */
static int cmd_hscan(struct client *c)
{
	const struct shm_leaf *l;
	uint64_t cursor;
	int rc;

	if (!arg_cursor(c, 2, &cursor))
		return 0;
	rc = hash_lookup(c, &l, NULL);
	if (rc <= 0) {
		if (rc == 0)
			reply_scan(c, 0, NULL);
		return 0;
	}
	return chash_scan_reply(c, l, cursor, true);
}

#define W CMD_WRITE
#define R CMD_READONLY
#define F CMD_FAST

const struct command cmds_hash[] = {
	{ "hset", cmd_hset, -4, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @hash @fast" },
	{ "hmset", cmd_hmset, -4, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @hash @fast" },
	{ "hsetnx", cmd_hsetnx, 4, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @hash @fast" },
	{ "hdel", cmd_hdel, -3, W | F, 1, 1, 1, "write fast",
	  "@write @hash @fast" },
	{ "hincrby", cmd_hincrby, 4, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @hash @fast" },
	{ "hincrbyfloat", cmd_hincrbyfloat, 4, W | F, 1, 1, 1,
	  "write denyoom fast", "@write @hash @fast" },
	{ "hget", cmd_hget, 3, R | F, 1, 1, 1, "readonly fast",
	  "@read @hash @fast" },
	{ "hmget", cmd_hmget, -3, R | F, 1, 1, 1, "readonly fast",
	  "@read @hash @fast" },
	{ "hgetall", cmd_hgetall, 2, R, 1, 1, 1, "readonly",
	  "@read @hash @slow" },
	{ "hkeys", cmd_hkeys, 2, R, 1, 1, 1, "readonly", "@read @hash @slow" },
	{ "hvals", cmd_hvals, 2, R, 1, 1, 1, "readonly", "@read @hash @slow" },
	{ "hlen", cmd_hlen, 2, R | F, 1, 1, 1, "readonly fast",
	  "@read @hash @fast" },
	{ "hexists", cmd_hexists, 3, R | F, 1, 1, 1, "readonly fast",
	  "@read @hash @fast" },
	{ "hstrlen", cmd_hstrlen, 3, R | F, 1, 1, 1, "readonly fast",
	  "@read @hash @fast" },
	{ "hscan", cmd_hscan, -3, R, 1, 1, 1, "readonly", "@read @hash @slow" },
	{ NULL },
};
