/*
 * t_list.c - list commands with Redis 7.0's semantics, replies and error
 * texts: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LINSERT, LSET, LREM,
 * LTRIM, LINDEX, LLEN, LRANGE, LPOS, RPOPLPUSH and LMOVE (src/t_list.c of
 * Redis 7.0 was the reference for the order of the checks, which decides
 * the error a client gets when several apply; redis-server 7.0 is the
 * oracle of tests/test_diff_list.c).
 *
 * Storage is shm/c_list.c's: this file parses arguments, looks keys up
 * with their TTLs (db.c: an expired key is missing, and is deleted by a
 * write), and replies.  A write opens one list editor per key, so a packed
 * list is rewritten once per command however many elements change, a
 * large one changes a path of its tree per element, and the key keeps its
 * TTL, as in Redis.  Replies are written before the list changes: what a
 * pop removes stays readable until the command ends, and if the region
 * fills up halfway the dispatcher drops the reply with the command.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "c_list.h"
#include "config.h"
#include "db.h"
#include "iter.h"
#include "log.h"
#include "server.h"
#include "writer.h"

enum { LIST_HEAD, LIST_TAIL };

#define ERR_POSITIVE "ERR value is out of range, must be positive"

/*
 * A list read or edit failed with rc.  -ENOMEM goes back to the dispatcher,
 * which undoes the command and replies Redis's OOM error.  Anything else
 * means the writer's own list does not decode, a bug: it is logged; a
 * write is undone as for a full region, so that nothing half done is
 * published; a read replies an error in place of what it had written
 * since mark (deferred lengths set).
 */
static int list_error(struct client *c, int rc, size_t mark)
{
	if (rc == -ENOMEM)
		return rc;
	srv_log(LL_WARNING, "%s: the list at key '%.*s' does not decode (%d)",
		c->cmd->name,
		(int)(c->argv[1].len > 128 ? 128 : c->argv[1].len),
		c->argv[1].p, rc);
	if (c->cmd->flags & CMD_WRITE)
		return -ENOMEM;
	c->out.len = mark;
	resp_add_error(&c->out, "ERR list value is corrupt");
	return 0;
}

/* The list at argv[arg]: 1 and *l, 0 if missing, -1 if WRONGTYPE was
 * replied.  err as db_find's (NULL in read commands). */
static int list_lookup(struct client *c, int arg, const struct shm_leaf **l,
		       int *err)
{
	return db_coll(c, c->db, &c->argv[arg], SHM_T_LIST, l, err);
}

/* Open an editor on the list at argv[arg].  0 or an error for
 * list_error(). */
static int list_open(struct client *c, int arg, struct clist_ed *e)
{
	const struct resp_arg *k = &c->argv[arg];

	/* A key the region cannot hold: as for a full region. */
	if (k->len > SHM_MAX_KEY)
		return -ENOMEM;
	return clist_open(e, srv.w, c->db, k->p, (uint32_t)k->len);
}

/* argv[i] as a count that must not be negative; else msg is replied. */
static bool arg_count(struct client *c, int i, long long *v, const char *msg)
{
	if (!arg_ll(c, i, v, msg))
		return false;
	if (*v >= 0)
		return true;
	resp_add_error(&c->out, msg);
	return false;
}

/* LEFT or RIGHT (strcasecmp, as Redis: up to a NUL); else a syntax
 * error. */
static bool arg_where(struct client *c, int i, int *where)
{
	if (arg_is(c, i, "right")) {
		*where = LIST_TAIL;
	} else if (arg_is(c, i, "left")) {
		*where = LIST_HEAD;
	} else {
		reply_syntax(c);
		return false;
	}
	return true;
}

/* ----------------------------------------------------------------- push */

/* LPUSH, RPUSH, and with xx LPUSHX, RPUSHX (which create nothing). */
static int push_generic(struct client *c, int where, bool xx)
{
	const struct shm_leaf *l;
	struct clist_ed e;
	int err = 0, rc = list_lookup(c, 1, &l, &err);

	if (err)
		return err;
	if (rc < 0)
		return 0;
	if (rc == 0 && xx) {
		resp_add_int(&c->out, 0);
		return 0;
	}
	rc = list_open(c, 1, &e);
	for (int j = 2; !rc && j < c->argc; j++)
		rc = clist_insert(&e, where == LIST_HEAD ? 0 : clist_count(&e),
				  c->argv[j].p, c->argv[j].len);
	if (!rc)
		rc = clist_close(&e);
	if (rc)
		return list_error(c, rc, c->out.len);
	resp_add_int(&c->out, (long long)clist_count(&e));
	return 0;
}

static int cmd_lpush(struct client *c)
{
	return push_generic(c, LIST_HEAD, false);
}

static int cmd_rpush(struct client *c)
{
	return push_generic(c, LIST_TAIL, false);
}

static int cmd_lpushx(struct client *c)
{
	return push_generic(c, LIST_HEAD, true);
}

static int cmd_rpushx(struct client *c)
{
	return push_generic(c, LIST_TAIL, true);
}

/* ------------------------------------------------------------------ pop */

/*
 * Reply n elements of e from its head (or tail), in the order a pop takes
 * them, as an array, and remove them.
 */
static int pop_range(struct client *c, struct clist_ed *e, int where,
		     uint64_t n)
{
	uint64_t len = clist_count(e);
	struct clist_cursor cur;
	const uint8_t *p;
	uint32_t plen;
	int rc;

	resp_add_array(&c->out, (long long)n);
	rc = clist_seek(&cur, e, where == LIST_HEAD ? 0 : len - 1,
			where == LIST_TAIL);
	for (uint64_t i = 0; !rc && i < n; i++) {
		rc = clist_next(&cur, &p, &plen);
		if (rc == 1) {
			resp_add_bulk(&c->out, p, plen);
			rc = 0;
		} else if (rc == 0) {
			rc = SHMREP_ECORRUPT; /* fewer than counted */
		}
	}
	if (!rc)
		rc = clist_keep(e, where == LIST_HEAD ? n : 0, len - n);
	return rc;
}

/* LPOP and RPOP, with Redis 7.0's optional count. */
static int pop_generic(struct client *c, int where)
{
	const struct shm_leaf *l;
	struct clist_ed e;
	const uint8_t *p;
	uint32_t plen;
	uint64_t n, pos;
	long long count = 0;
	bool hascount = c->argc == 3;
	int err = 0, rc;

	if (c->argc > 3) {
		reply_wrong_args(c);
		return 0;
	}
	if (hascount && !arg_count(c, 2, &count, ERR_POSITIVE))
		return 0;
	rc = list_lookup(c, 1, &l, &err);
	if (err)
		return err;
	if (rc < 0)
		return 0;
	if (rc == 0) {
		if (hascount)
			resp_add_null_array(&c->out);
		else
			resp_add_null(&c->out);
		return 0;
	}
	if (hascount && count == 0) {
		resp_add_array(&c->out, 0);
		return 0;
	}
	rc = list_open(c, 1, &e);
	if (rc)
		return list_error(c, rc, c->out.len);
	n = clist_count(&e);
	if (hascount) {
		rc = pop_range(c, &e, where,
			       (uint64_t)count < n ? (uint64_t)count : n);
	} else {
		pos = where == LIST_HEAD ? 0 : n - 1;
		rc = clist_get(&e, pos, &p, &plen);
		if (!rc) {
			resp_add_bulk(&c->out, p, plen);
			rc = clist_delete(&e, pos);
		}
	}
	if (!rc)
		rc = clist_close(&e);
	return rc ? list_error(c, rc, c->out.len) : 0;
}

static int cmd_lpop(struct client *c)
{
	return pop_generic(c, LIST_HEAD);
}

static int cmd_rpop(struct client *c)
{
	return pop_generic(c, LIST_TAIL);
}

/* ------------------------------------------------------ changes in place */

static int cmd_linsert(struct client *c)
{
	const struct resp_arg *pivot = &c->argv[3], *val = &c->argv[4];
	const struct shm_leaf *l;
	struct clist_ed e;
	uint64_t pos;
	bool after;
	int err = 0, rc;

	if (arg_is(c, 2, "after")) {
		after = true;
	} else if (arg_is(c, 2, "before")) {
		after = false;
	} else {
		reply_syntax(c);
		return 0;
	}
	rc = list_lookup(c, 1, &l, &err);
	if (err)
		return err;
	if (rc <= 0) {
		if (rc == 0)
			resp_add_int(&c->out, 0);
		return 0;
	}
	rc = list_open(c, 1, &e);
	if (!rc)
		rc = clist_find(&e, 0, false, pivot->p, pivot->len, &pos);
	if (rc == 0) {
		resp_add_int(&c->out, -1);
		return 0;
	}
	if (rc == 1)
		rc = clist_insert(&e, pos + after, val->p, val->len);
	if (!rc)
		rc = clist_close(&e);
	if (rc)
		return list_error(c, rc, c->out.len);
	resp_add_int(&c->out, (long long)clist_count(&e));
	return 0;
}

static int cmd_lset(struct client *c)
{
	const struct resp_arg *val = &c->argv[3];
	const struct shm_leaf *l;
	struct clist_ed e;
	long long index;
	int err = 0, rc = list_lookup(c, 1, &l, &err);

	if (err)
		return err;
	if (rc <= 0) {
		if (rc == 0)
			resp_add_error(&c->out, "ERR no such key");
		return 0;
	}
	if (!arg_ll(c, 2, &index, NULL))
		return 0;
	rc = list_open(c, 1, &e);
	if (rc)
		return list_error(c, rc, c->out.len);
	/* count < 2^32: no overflow. */
	if (index < 0)
		index += (long long)clist_count(&e);
	if (index < 0 || (uint64_t)index >= clist_count(&e)) {
		resp_add_error(&c->out, "ERR index out of range");
		return 0;
	}
	rc = clist_set(&e, (uint64_t)index, val->p, val->len);
	if (!rc)
		rc = clist_close(&e);
	if (rc)
		return list_error(c, rc, c->out.len);
	reply_ok(c);
	return 0;
}

static int cmd_lrem(struct client *c)
{
	const struct resp_arg *val = &c->argv[3];
	const struct shm_leaf *l;
	struct clist_ed e;
	long long toremove, removed = 0;
	uint64_t limit, pos, at;
	bool rev;
	int err = 0, rc;

	if (!arg_ll(c, 2, &toremove, NULL))
		return 0;
	rc = list_lookup(c, 1, &l, &err);
	if (err)
		return err;
	if (rc <= 0) {
		if (rc == 0)
			resp_add_int(&c->out, 0);
		return 0;
	}
	/* Negative: from the tail.  Redis negates a long, and LLONG_MIN
	 * stays negative there, which no count of removals ever equals: all
	 * of them go, as for 0. */
	rev = toremove < 0;
	limit = toremove == LLONG_MIN ? 0
		: (uint64_t)(rev ? -toremove : toremove);
	rc = list_open(c, 1, &e);
	pos = rev ? clist_count(&e) : 0;
	while (!rc) {
		rc = clist_find(&e, pos, rev, val->p, val->len, &at);
		if (rc != 1)
			break;
		rc = clist_delete(&e, at);
		removed++;
		/* Forward, the next candidate moved into at; backward,
		 * everything before at stayed where it was. */
		pos = at;
		if (!rc && limit && (uint64_t)removed == limit)
			break;
	}
	if (!rc)
		rc = clist_close(&e);
	if (rc)
		return list_error(c, rc, c->out.len);
	resp_add_int(&c->out, removed);
	return 0;
}

static int cmd_ltrim(struct client *c)
{
	const struct shm_leaf *l;
	struct clist_ed e;
	long long start, stop;
	uint64_t from, count;
	int err = 0, rc;

	if (!arg_ll(c, 2, &start, NULL) || !arg_ll(c, 3, &stop, NULL))
		return 0;
	rc = list_lookup(c, 1, &l, &err);
	if (err)
		return err;
	if (rc <= 0) {
		if (rc == 0)
			reply_ok(c);
		return 0;
	}
	rc = list_open(c, 1, &e);
	if (!rc) {
		if (!clist_range(clist_count(&e), start, stop, &from, &count))
			from = count = 0;
		rc = clist_keep(&e, from, count);
	}
	if (!rc)
		rc = clist_close(&e);
	if (rc)
		return list_error(c, rc, c->out.len);
	reply_ok(c);
	return 0;
}

/* ---------------------------------------------------------------- reads */

static int cmd_llen(struct client *c)
{
	const struct shm_leaf *l;
	uint64_t n = 0;
	int rc = list_lookup(c, 1, &l, NULL);

	if (rc < 0)
		return 0;
	if (rc > 0) {
		rc = clist_len(&srv.w->view, l, &n);
		if (rc)
			return list_error(c, rc, c->out.len);
	}
	resp_add_int(&c->out, (long long)n);
	return 0;
}

static int cmd_lindex(struct client *c)
{
	const struct shm_leaf *l;
	shmrep_view v;
	long long index;
	int rc = list_lookup(c, 1, &l, NULL);

	if (rc <= 0) {
		if (rc == 0)
			resp_add_null(&c->out);
		return 0;
	}
	if (!arg_ll(c, 2, &index, NULL))
		return 0;
	rc = clist_index(&srv.w->view, l, index, &v);
	if (rc == SHMREP_ERANGE)
		resp_add_null(&c->out);
	else if (rc)
		return list_error(c, rc, c->out.len);
	else
		resp_add_bulk(&c->out, v.ptr, v.len);
	return 0;
}

static int cmd_lrange(struct client *c)
{
	const struct shm_leaf *l;
	size_t mark = c->out.len;
	long long start, stop;
	uint64_t len, from, count;
	shmrep_iter it;
	shmrep_entry en;
	int rc;

	if (!arg_ll(c, 2, &start, NULL) || !arg_ll(c, 3, &stop, NULL))
		return 0;
	rc = list_lookup(c, 1, &l, NULL);
	if (rc <= 0) {
		if (rc == 0)
			resp_add_array(&c->out, 0);
		return 0;
	}
	rc = clist_len(&srv.w->view, l, &len);
	if (rc)
		return list_error(c, rc, mark);
	if (!clist_range(len, start, stop, &from, &count)) {
		resp_add_array(&c->out, 0);
		return 0;
	}
	rc = clist_iter(&it, &srv.w->view, l, from, count, false);
	resp_add_array(&c->out, (long long)count);
	for (uint64_t i = 0; !rc && i < count; i++) {
		rc = iter_next(&it, &en);
		if (rc == 1) {
			resp_add_bulk(&c->out, en.key.ptr, en.key.len);
			rc = 0;
		} else if (rc == 0) {
			rc = SHMREP_ECORRUPT; /* fewer than counted */
		}
	}
	return rc ? list_error(c, rc, mark) : 0;
}

static int cmd_lpos(struct client *c)
{
	const struct resp_arg *ele = &c->argv[2];
	const struct shm_leaf *l;
	size_t mark = c->out.len, slot = 0;
	long long rank = 1, count = -1, maxlen = 0;
	long long index = 0, matches = 0, found = -1, arraylen = 0;
	uint64_t len;
	bool rev;
	shmrep_iter it;
	shmrep_entry en;
	int rc;

	for (int j = 3; j < c->argc; j++) {
		bool more = j + 1 < c->argc;

		if (arg_is(c, j, "rank") && more) {
			if (!arg_ll(c, ++j, &rank, NULL))
				return 0;
			if (rank == 0) {
				resp_add_error(&c->out,
					       "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
				return 0;
			}
		} else if (arg_is(c, j, "count") && more) {
			if (!arg_count(c, ++j, &count,
				       "ERR COUNT can't be negative"))
				return 0;
		} else if (arg_is(c, j, "maxlen") && more) {
			if (!arg_count(c, ++j, &maxlen,
				       "ERR MAXLEN can't be negative"))
				return 0;
		} else {
			reply_syntax(c);
			return 0;
		}
	}
	/* A negative rank walks from the tail.  Redis negates a long:
	 * LLONG_MIN stays LLONG_MIN, which every match count reaches and
	 * COUNT's test below (with Redis's wrap-around) never stops at. */
	rev = rank < 0;
	if (rev)
		rank = (long long)(0 - (unsigned long long)rank);
	rc = list_lookup(c, 1, &l, NULL);
	if (rc <= 0) {
		if (rc == 0 && count != -1)
			resp_add_array(&c->out, 0);
		else if (rc == 0)
			resp_add_null(&c->out);
		return 0;
	}
	rc = clist_len(&srv.w->view, l, &len);
	if (!rc)
		rc = clist_iter(&it, &srv.w->view, l, rev ? len - 1 : 0,
				maxlen ? (uint64_t)maxlen : len, rev);
	if (rc)
		return list_error(c, rc, mark);
	if (count != -1)
		slot = resp_add_deferred_len(&c->out);
	while ((rc = iter_next(&it, &en)) == 1) {
		if (en.key.len == ele->len &&
		    (!ele->len || !memcmp(en.key.ptr, ele->p, ele->len))) {
			long long at = rev ? (long long)len - index - 1 : index;

			matches++;
			if (matches >= rank) {
				if (count == -1) {
					found = at;
					break;
				}
				arraylen++;
				resp_add_int(&c->out, at);
				if (count &&
				    (long long)((unsigned long long)matches -
						(unsigned long long)rank + 1) >=
					    count)
					break;
			}
		}
		index++;
	}
	if (count != -1)
		resp_set_deferred_len(&c->out, slot, arraylen);
	if (rc < 0)
		return list_error(c, rc, mark);
	if (count == -1) {
		if (found >= 0)
			resp_add_int(&c->out, found);
		else
			resp_add_null(&c->out);
	}
	return 0;
}

/* ----------------------------------------------------------------- move */

/* RPOPLPUSH and LMOVE: pop from argv[1] at from, push to argv[2] at to. */
static int move_generic(struct client *c, int from, int to)
{
	const struct resp_arg *src = &c->argv[1], *dst = &c->argv[2];
	const struct shm_leaf *sl, *dl;
	struct clist_ed se, de;
	const uint8_t *p;
	uint32_t plen;
	uint64_t pos;
	bool same = src->len == dst->len && !memcmp(src->p, dst->p, src->len);
	int err = 0, rc = list_lookup(c, 1, &sl, &err);

	if (err)
		return err;
	if (rc <= 0) {
		if (rc == 0)
			resp_add_null(&c->out);
		return 0;
	}
	rc = list_lookup(c, 2, &dl, &err);
	if (err)
		return err;
	if (rc < 0)
		return 0;
	rc = list_open(c, 1, &se);
	if (rc)
		return list_error(c, rc, c->out.len);
	pos = from == LIST_HEAD ? 0 : clist_count(&se) - 1;
	/* The element stays readable until the command ends, after its
	 * list dropped it. */
	rc = clist_get(&se, pos, &p, &plen);
	if (!rc)
		rc = clist_delete(&se, pos);
	if (!rc && same)
		rc = clist_insert(&se, to == LIST_HEAD ? 0 : clist_count(&se),
				  p, plen);
	if (!rc)
		rc = clist_close(&se);
	if (!rc && !same) {
		rc = list_open(c, 2, &de);
		pos = to == LIST_HEAD ? 0 : clist_count(&de);
		if (!rc)
			rc = clist_insert(&de, pos, p, plen);
		if (!rc)
			rc = clist_close(&de);
	}
	if (rc)
		return list_error(c, rc, c->out.len);
	resp_add_bulk(&c->out, p, plen);
	return 0;
}

static int cmd_rpoplpush(struct client *c)
{
	return move_generic(c, LIST_TAIL, LIST_HEAD);
}

static int cmd_lmove(struct client *c)
{
	int from, to;

	if (!arg_where(c, 3, &from) || !arg_where(c, 4, &to))
		return 0;
	return move_generic(c, from, to);
}

#define W CMD_WRITE
#define R CMD_READONLY
#define F CMD_FAST

const struct command cmds_list[] = {
	{ "lpush", cmd_lpush, -3, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @list @fast" },
	{ "rpush", cmd_rpush, -3, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @list @fast" },
	{ "lpushx", cmd_lpushx, -3, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @list @fast" },
	{ "rpushx", cmd_rpushx, -3, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @list @fast" },
	{ "lpop", cmd_lpop, -2, W | F, 1, 1, 1, "write fast",
	  "@write @list @fast" },
	{ "rpop", cmd_rpop, -2, W | F, 1, 1, 1, "write fast",
	  "@write @list @fast" },
	{ "linsert", cmd_linsert, 5, W, 1, 1, 1, "write denyoom",
	  "@write @list @slow" },
	{ "lset", cmd_lset, 4, W, 1, 1, 1, "write denyoom",
	  "@write @list @slow" },
	{ "lrem", cmd_lrem, 4, W, 1, 1, 1, "write", "@write @list @slow" },
	{ "ltrim", cmd_ltrim, 4, W, 1, 1, 1, "write", "@write @list @slow" },
	{ "lindex", cmd_lindex, 3, R, 1, 1, 1, "readonly",
	  "@read @list @slow" },
	{ "llen", cmd_llen, 2, R | F, 1, 1, 1, "readonly fast",
	  "@read @list @fast" },
	{ "lrange", cmd_lrange, 4, R, 1, 1, 1, "readonly",
	  "@read @list @slow" },
	{ "lpos", cmd_lpos, -3, R, 1, 1, 1, "readonly", "@read @list @slow" },
	{ "rpoplpush", cmd_rpoplpush, 3, W, 1, 2, 1, "write denyoom",
	  "@write @list @slow" },
	{ "lmove", cmd_lmove, 5, W, 1, 2, 1, "write denyoom",
	  "@write @list @slow" },
	{ NULL },
};
