/*
 * t_string.c - string commands, with Redis 7.0's semantics, replies and
 * error texts (src/t_string.c of Redis was the reference for every order
 * of checks: which error wins when several apply matters to clients that
 * parse them).
 *
 * A string lives inline in its leaf.  Changing it builds a new leaf (or
 * rewrites one born in the open batch) and links it in place of the old,
 * carrying the TTL over where Redis keeps it (INCR*, APPEND, SETRANGE,
 * SET KEEPTTL) and dropping it where Redis does (SET, GETSET, MSET).
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "db.h"
#include "num.h"
#include "server.h"
#include "writer.h"

#define OBJ_NX (1u << 0)
#define OBJ_XX (1u << 1)
#define OBJ_EX (1u << 2)
#define OBJ_PX (1u << 3)
#define OBJ_KEEPTTL (1u << 4)
#define OBJ_GET (1u << 5)
#define OBJ_EXAT (1u << 6)
#define OBJ_PXAT (1u << 7)
#define OBJ_PERSIST (1u << 8)

#define EXPIRE_OPTS (OBJ_EX | OBJ_PX | OBJ_EXAT | OBJ_PXAT)

enum { UNIT_SECONDS, UNIT_MS };
enum { CMD_IS_SET, CMD_IS_GET };

/*
 * Look key up for a string command: 1 and *l if it holds a string, 0 if it
 * does not exist, -1 if it holds another type (WRONGTYPE replied).  *err
 * gets -ENOMEM if a lazy expiry failed.
 */
static int string_lookup(struct client *c, int arg, const struct shm_leaf **l,
			 int *err)
{
	return db_coll(c, c->db, &c->argv[arg], SHM_T_STRING, l, err);
}

static void reply_expire_time(struct client *c)
{
	resp_add_errorf(&c->out, "ERR invalid expire time in '%s' command",
			c->cmd->name);
}

/* Redis's getExpireMillisecondsOrReply(): 0 and *ms (absolute), or -1. */
static int expire_ms(struct client *c, int arg, unsigned flags, int unit,
		     long long *ms)
{
	long long v;

	if (!arg_ll(c, arg, &v, NULL))
		return -1;
	if (v <= 0 || (unit == UNIT_SECONDS && v > LLONG_MAX / 1000)) {
		reply_expire_time(c);
		return -1;
	}
	if (unit == UNIT_SECONDS)
		v *= 1000;
	if (flags & (OBJ_PX | OBJ_EX)) {
		if (__builtin_add_overflow(v, (long long)server_now_ms(), &v)) {
			reply_expire_time(c);
			return -1;
		}
	}
	*ms = v;
	return 0;
}

/* Redis's parseExtendedStringArgumentsOrReply() for SET and GETEX. */
static int parse_ext(struct client *c, int type, unsigned *flags, int *unit,
		     int *expire_arg)
{
	for (int j = type == CMD_IS_GET ? 2 : 3; j < c->argc; j++) {
		bool has_next = j + 1 < c->argc;

		if (arg_is(c, j, "nx") && !(*flags & OBJ_XX) && type == CMD_IS_SET) {
			*flags |= OBJ_NX;
		} else if (arg_is(c, j, "xx") && !(*flags & OBJ_NX) &&
			   type == CMD_IS_SET) {
			*flags |= OBJ_XX;
		} else if (arg_is(c, j, "get") && type == CMD_IS_SET) {
			*flags |= OBJ_GET;
		} else if (arg_is(c, j, "keepttl") &&
			   !(*flags & (OBJ_PERSIST | EXPIRE_OPTS)) &&
			   type == CMD_IS_SET) {
			*flags |= OBJ_KEEPTTL;
		} else if (arg_is(c, j, "persist") && type == CMD_IS_GET &&
			   !(*flags & (EXPIRE_OPTS | OBJ_KEEPTTL))) {
			*flags |= OBJ_PERSIST;
		} else if (arg_is(c, j, "ex") && has_next &&
			   !(*flags & (OBJ_KEEPTTL | OBJ_PERSIST | OBJ_EXAT |
				       OBJ_PX | OBJ_PXAT))) {
			*flags |= OBJ_EX;
			*unit = UNIT_SECONDS;
			*expire_arg = ++j;
		} else if (arg_is(c, j, "px") && has_next &&
			   !(*flags & (OBJ_KEEPTTL | OBJ_PERSIST | OBJ_EX |
				       OBJ_EXAT | OBJ_PXAT))) {
			*flags |= OBJ_PX;
			*unit = UNIT_MS;
			*expire_arg = ++j;
		} else if (arg_is(c, j, "exat") && has_next &&
			   !(*flags & (OBJ_KEEPTTL | OBJ_PERSIST | OBJ_EX |
				       OBJ_PX | OBJ_PXAT))) {
			*flags |= OBJ_EXAT;
			*unit = UNIT_SECONDS;
			*expire_arg = ++j;
		} else if (arg_is(c, j, "pxat") && has_next &&
			   !(*flags & (OBJ_KEEPTTL | OBJ_PERSIST | OBJ_EX |
				       OBJ_EXAT | OBJ_PX))) {
			*flags |= OBJ_PXAT;
			*unit = UNIT_MS;
			*expire_arg = ++j;
		} else {
			reply_syntax(c);
			return -1;
		}
	}
	return 0;
}

/* Reply the string value of a key (or nil).  -1 if WRONGTYPE was replied.
 * *l is the leaf found, NULL if none. */
static int get_generic(struct client *c, const struct shm_leaf **l, int *err)
{
	int rc = string_lookup(c, 1, l, err);

	if (rc < 0)
		return -1;
	if (rc == 0)
		resp_add_null(&c->out);
	else
		resp_add_bulk(&c->out, shm_leaf_val(*l), (*l)->vlen);
	return 0;
}

/* Redis's setGenericCommand(). */
static int set_generic(struct client *c, unsigned flags, int key, int val,
		       int expire_arg, int unit, bool reply_int)
{
	const struct shm_leaf *old = NULL;
	long long when = 0;
	int err = 0, rc;

	if (expire_arg && expire_ms(c, expire_arg, flags, unit, &when))
		return 0;
	if (flags & OBJ_GET) {
		if (get_generic(c, &old, &err) < 0)
			return err;
	} else {
		old = db_find(c, c->db, &c->argv[key], &err);
	}
	if (err)
		return err;
	if (((flags & OBJ_NX) && old) || ((flags & OBJ_XX) && !old)) {
		if (!(flags & OBJ_GET)) {
			if (reply_int)
				resp_add_int(&c->out, 0);
			else
				resp_add_null(&c->out);
		}
		return 0;
	}
	if ((flags & OBJ_KEEPTTL) && old && !expire_arg)
		when = old->expire_ms;
	rc = db_set_string(c->db, c->argv[key].p, c->argv[key].len,
			   c->argv[val].p, c->argv[val].len, when);
	if (rc)
		return rc;
	if (!(flags & OBJ_GET)) {
		if (reply_int)
			resp_add_int(&c->out, 1);
		else
			reply_ok(c);
	}
	return 0;
}

static int cmd_set(struct client *c)
{
	unsigned flags = 0;
	int unit = UNIT_SECONDS, expire_arg = 0;

	if (parse_ext(c, CMD_IS_SET, &flags, &unit, &expire_arg))
		return 0;
	return set_generic(c, flags, 1, 2, expire_arg, unit, false);
}

static int cmd_setnx(struct client *c)
{
	return set_generic(c, OBJ_NX, 1, 2, 0, UNIT_SECONDS, true);
}

static int cmd_setex(struct client *c)
{
	return set_generic(c, OBJ_EX, 1, 3, 2, UNIT_SECONDS, false);
}

static int cmd_psetex(struct client *c)
{
	return set_generic(c, OBJ_PX, 1, 3, 2, UNIT_MS, false);
}

static int cmd_get(struct client *c)
{
	const struct shm_leaf *l;

	(void)get_generic(c, &l, NULL);
	return 0;
}

static int cmd_getdel(struct client *c)
{
	const struct shm_leaf *l;
	int err = 0;

	if (get_generic(c, &l, &err) < 0 || err)
		return err;
	return l ? db_delete(c->db, c->argv[1].p, c->argv[1].len) : 0;
}

static int cmd_getset(struct client *c)
{
	const struct shm_leaf *l;
	int err = 0;

	if (get_generic(c, &l, &err) < 0 || err)
		return err;
	return db_set_string(c->db, c->argv[1].p, c->argv[1].len, c->argv[2].p,
			     c->argv[2].len, 0);
}

static int cmd_getex(struct client *c)
{
	const struct shm_leaf *l;
	unsigned flags = 0;
	int unit = UNIT_SECONDS, expire_arg = 0, err = 0, rc;
	long long when = 0;

	if (parse_ext(c, CMD_IS_GET, &flags, &unit, &expire_arg))
		return 0;
	rc = string_lookup(c, 1, &l, &err);
	if (err)
		return err;
	if (rc < 0)
		return 0;
	if (rc == 0) {
		resp_add_null(&c->out);
		return 0;
	}
	if (expire_arg && expire_ms(c, expire_arg, flags, unit, &when))
		return 0;
	resp_add_bulk(&c->out, shm_leaf_val(l), l->vlen);
	if ((flags & (OBJ_PXAT | OBJ_EXAT)) && when <= server_now_ms())
		return db_delete(c->db, c->argv[1].p, c->argv[1].len);
	if (expire_arg)
		return db_set_expire(c->db, c->argv[1].p, c->argv[1].len, when);
	if (flags & OBJ_PERSIST)
		return db_set_expire(c->db, c->argv[1].p, c->argv[1].len, 0);
	return 0;
}

static int cmd_mget(struct client *c)
{
	resp_add_array(&c->out, c->argc - 1);
	for (int i = 1; i < c->argc; i++) {
		const struct shm_leaf *l = db_find(c, c->db, &c->argv[i], NULL);

		if (l && l->type == SHM_T_STRING)
			resp_add_bulk(&c->out, shm_leaf_val(l), l->vlen);
		else
			resp_add_null(&c->out);
	}
	return 0;
}

static int mset_generic(struct client *c, bool nx)
{
	int rc;

	if (c->argc % 2 == 0) {
		reply_wrong_args(c);
		return 0;
	}
	if (nx) {
		for (int i = 1; i < c->argc; i += 2) {
			int err = 0;

			if (db_find(c, c->db, &c->argv[i], &err)) {
				resp_add_int(&c->out, 0);
				return 0;
			}
			if (err)
				return err;
		}
	}
	for (int i = 1; i < c->argc; i += 2) {
		rc = db_set_string(c->db, c->argv[i].p, c->argv[i].len,
				   c->argv[i + 1].p, c->argv[i + 1].len, 0);
		if (rc)
			return rc;
	}
	if (nx)
		resp_add_int(&c->out, 1);
	else
		reply_ok(c);
	return 0;
}

static int cmd_mset(struct client *c)
{
	return mset_generic(c, false);
}

static int cmd_msetnx(struct client *c)
{
	return mset_generic(c, true);
}

/* Store a new string value for argv[1], keeping the TTL it had. */
static int replace_value(struct client *c, const struct shm_leaf *old,
			 const void *val, size_t vlen)
{
	return db_set_string(c->db, c->argv[1].p, c->argv[1].len, val, vlen,
			     old ? old->expire_ms : 0);
}

static int incr_decr(struct client *c, long long incr)
{
	const struct shm_leaf *l;
	long long value = 0;
	char buf[32];
	int err = 0, rc = string_lookup(c, 1, &l, &err), n;

	if (err)
		return err;
	if (rc < 0)
		return 0;
	if (rc > 0 && !num_str2ll((const char *)shm_leaf_val(l), l->vlen, &value)) {
		reply_not_int(c);
		return 0;
	}
	if ((incr < 0 && value < 0 && incr < LLONG_MIN - value) ||
	    (incr > 0 && value > 0 && incr > LLONG_MAX - value)) {
		resp_add_error(&c->out, "ERR increment or decrement would overflow");
		return 0;
	}
	value += incr;
	n = num_ll2str(buf, sizeof(buf), value);
	rc = replace_value(c, l, buf, (size_t)n);
	if (rc)
		return rc;
	resp_add_int(&c->out, value);
	return 0;
}

static int cmd_incr(struct client *c)
{
	return incr_decr(c, 1);
}

static int cmd_decr(struct client *c)
{
	return incr_decr(c, -1);
}

static int cmd_incrby(struct client *c)
{
	long long incr;

	if (!arg_ll(c, 2, &incr, NULL))
		return 0;
	return incr_decr(c, incr);
}

static int cmd_decrby(struct client *c)
{
	long long incr;

	if (!arg_ll(c, 2, &incr, NULL))
		return 0;
	if (incr == LLONG_MIN) {
		resp_add_error(&c->out, "ERR decrement would overflow");
		return 0;
	}
	return incr_decr(c, -incr);
}

static int cmd_incrbyfloat(struct client *c)
{
	const struct shm_leaf *l;
	long double value = 0, incr;
	char buf[5 * 1024 + 64];
	int err = 0, rc = string_lookup(c, 1, &l, &err), n;

	if (err)
		return err;
	if (rc < 0)
		return 0;
	if ((rc > 0 && !num_str2ld((const char *)shm_leaf_val(l), l->vlen, &value)) ||
	    !num_str2ld(c->argv[2].p, c->argv[2].len, &incr)) {
		resp_add_error(&c->out, "ERR value is not a valid float");
		return 0;
	}
	value += incr;
	if (isnan(value) || isinf(value)) {
		resp_add_error(&c->out, "ERR increment would produce NaN or Infinity");
		return 0;
	}
	n = num_ld2str(buf, sizeof(buf), value, true);
	rc = replace_value(c, l, buf, (size_t)n);
	if (rc)
		return rc;
	resp_add_bulk(&c->out, buf, (size_t)n);
	return 0;
}

/* Redis's checkStringLength(): false (error replied) if too long. */
static bool length_ok(struct client *c, uint64_t size, uint64_t append)
{
	uint64_t total = size + append;

	if (total > srv.cfg->proto_max_bulk_len || total < size || total > SHM_MAX_VAL) {
		resp_add_error(&c->out,
			       "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
		return false;
	}
	return true;
}

static int cmd_append(struct client *c)
{
	const struct shm_leaf *l;
	const struct resp_arg *a = &c->argv[2];
	uint8_t *p;
	shm_ref r;
	size_t olen;
	int err = 0, rc = string_lookup(c, 1, &l, &err);

	if (err)
		return err;
	if (rc < 0)
		return 0;
	olen = l ? l->vlen : 0;
	if (l && !length_ok(c, olen, a->len))
		return 0;
	r = db_new_string(c->argv[1].p, c->argv[1].len, olen + a->len,
			  l ? l->expire_ms : 0, &p);
	if (!r)
		return -ENOMEM;
	if (olen)
		memcpy(p, shm_leaf_val(l), olen);
	memcpy(p + olen, a->p, a->len);
	rc = db_link(c->db, r);
	if (rc)
		return rc;
	resp_add_int(&c->out, (long long)(olen + a->len));
	return 0;
}

static int cmd_strlen(struct client *c)
{
	const struct shm_leaf *l;
	int rc = string_lookup(c, 1, &l, NULL);

	if (rc >= 0)
		resp_add_int(&c->out, rc ? (long long)l->vlen : 0);
	return 0;
}

static int cmd_getrange(struct client *c)
{
	const struct shm_leaf *l;
	long long start, end, len;
	int rc;

	if (!arg_ll(c, 2, &start, NULL) || !arg_ll(c, 3, &end, NULL))
		return 0;
	rc = string_lookup(c, 1, &l, NULL);
	if (rc < 0)
		return 0;
	if (rc == 0) {
		resp_add_bulk(&c->out, "", 0);
		return 0;
	}
	len = l->vlen;
	if (start < 0 && end < 0 && start > end) {
		resp_add_bulk(&c->out, "", 0);
		return 0;
	}
	if (start < 0)
		start += len;
	if (end < 0)
		end += len;
	if (start < 0)
		start = 0;
	if (end < 0)
		end = 0;
	if (end >= len)
		end = len - 1;
	if (start > end || len == 0)
		resp_add_bulk(&c->out, "", 0);
	else
		resp_add_bulk(&c->out, shm_leaf_val(l) + start, (size_t)(end - start + 1));
	return 0;
}

static int cmd_setrange(struct client *c)
{
	const struct shm_leaf *l;
	const struct resp_arg *v = &c->argv[3];
	long long offset;
	size_t olen, nlen;
	uint8_t *p;
	shm_ref r;
	int err = 0, rc;

	if (!arg_ll(c, 2, &offset, NULL))
		return 0;
	if (offset < 0) {
		resp_add_error(&c->out, "ERR offset is out of range");
		return 0;
	}
	rc = string_lookup(c, 1, &l, &err);
	if (err)
		return err;
	if (rc < 0)
		return 0;
	olen = l ? l->vlen : 0;
	if (v->len == 0) {
		resp_add_int(&c->out, (long long)olen);
		return 0;
	}
	if (!length_ok(c, (uint64_t)offset, v->len))
		return 0;
	nlen = (size_t)offset + v->len > olen ? (size_t)offset + v->len : olen;
	r = db_new_string(c->argv[1].p, c->argv[1].len, nlen,
			  l ? l->expire_ms : 0, &p);
	if (!r)
		return -ENOMEM;
	if (olen)
		memcpy(p, shm_leaf_val(l), olen);
	if ((size_t)offset > olen)
		memset(p + olen, 0, (size_t)offset - olen);
	memcpy(p + offset, v->p, v->len);
	rc = db_link(c->db, r);
	if (rc)
		return rc;
	resp_add_int(&c->out, (long long)nlen);
	return 0;
}

#define W CMD_WRITE
#define R CMD_READONLY
#define F CMD_FAST

const struct command cmds_string[] = {
	{ "get", cmd_get, 2, R | F, 1, 1, 1, "readonly fast", "@read @string @fast" },
	{ "set", cmd_set, -3, W, 1, 1, 1, "write denyoom", "@write @string @slow" },
	{ "setnx", cmd_setnx, 3, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @string @fast" },
	{ "setex", cmd_setex, 4, W, 1, 1, 1, "write denyoom", "@write @string @slow" },
	{ "psetex", cmd_psetex, 4, W, 1, 1, 1, "write denyoom",
	  "@write @string @slow" },
	{ "mget", cmd_mget, -2, R | F, 1, -1, 1, "readonly fast",
	  "@read @string @fast" },
	{ "mset", cmd_mset, -3, W, 1, -1, 2, "write denyoom", "@write @string @slow" },
	{ "msetnx", cmd_msetnx, -3, W, 1, -1, 2, "write denyoom",
	  "@write @string @slow" },
	{ "incr", cmd_incr, 2, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @string @fast" },
	{ "incrby", cmd_incrby, 3, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @string @fast" },
	{ "decr", cmd_decr, 2, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @string @fast" },
	{ "decrby", cmd_decrby, 3, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @string @fast" },
	{ "incrbyfloat", cmd_incrbyfloat, 3, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @string @fast" },
	{ "append", cmd_append, 3, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @string @fast" },
	{ "strlen", cmd_strlen, 2, R | F, 1, 1, 1, "readonly fast",
	  "@read @string @fast" },
	{ "getrange", cmd_getrange, 4, R, 1, 1, 1, "readonly", "@read @string @slow" },
	{ "setrange", cmd_setrange, 4, W, 1, 1, 1, "write denyoom",
	  "@write @string @slow" },
	{ "getdel", cmd_getdel, 2, W | F, 1, 1, 1, "write fast",
	  "@write @string @fast" },
	{ "getex", cmd_getex, -2, W | F, 1, 1, 1, "write fast",
	  "@write @string @fast" },
	{ "getset", cmd_getset, 3, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @string @fast" },
	{ NULL },
};
