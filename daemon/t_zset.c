/*
 * t_zset.c - sorted-set commands, with Redis 7.0's semantics, replies and
 * error texts (src/t_zset.c of Redis was the reference for the order of
 * checks and for each command's quirks; redis-server 7.0 the judge, see
 * tests/test_diff_zset.c).
 *
 * Commands parse and check everything first, as Redis does, then read the
 * set through shm/c_zset.c's readers (on the writer's own mapping: the
 * same code libshmrep runs) or change it through one struct zset_wr (kept
 * static: its packed entries take a few kilobytes).  Writes keep
 * the key's TTL, except the *STORE commands, which replace their
 * destination as Redis's setKey() does.
 *
 * ZUNIONSTORE, ZINTERSTORE and ZDIFFSTORE also take sets (score 1), read
 * here from the layout of layout.h directly.  Their sources are ordered by
 * size with a stable sort, as Redis's qsort (a merge sort in glibc) leaves
 * them, because a sum of several floating-point scores depends on the
 * order it is taken in.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_zset.h"
#include "db.h"
#include "hamt.h"
#include "iter.h"
#include "num.h"
#include "pack.h"
#include "server.h"
#include "strmatch.h"
#include "writer.h"

#define ERR_NOT_FLOAT_RANGE "ERR min or max is not a float"
#define ERR_NOT_LEX_RANGE "ERR min or max not valid string range item"
#define ERR_NAN "ERR resulting score is not a number (NaN)"
#define ERR_WEIGHT "ERR weight value is not a float"

/* The one write handle (a command changes one sorted set at a time). */
static struct zset_wr zw;

static void reply_score(struct client *c, double s)
{
	char buf[NUM_D_STR_MAX];
	int n = num_d2str(buf, sizeof(buf), s);

	resp_add_bulk(&c->out, buf, (size_t)n);
}

/* The daemon's own region failed a check: a bug, reported, not trusted. */
static void reply_corrupt(struct client *c)
{
	resp_add_error(&c->out,
		       "ERR sorted set value failed a consistency check");
}

/*
 * The sorted set at argv[arg], opened for reading: 1 (in *z, its leaf in
 * *lp if not NULL), 0 if there is no such key, -1 if an error was replied.
 * *err gets -ENOMEM if a lazy expiry failed (write commands only).
 */
static int zlookup(struct client *c, int arg, struct zset_rd *z,
		   const struct shm_leaf **lp, int *err)
{
	const struct shm_leaf *l;
	int rc = db_coll(c, c->db, &c->argv[arg], SHM_T_ZSET, &l, err);

	if (rc <= 0)
		return rc;
	if (zset_open(z, &srv.w->view, l)) {
		reply_corrupt(c);
		return -1;
	}
	if (lp)
		*lp = l;
	return 1;
}

/* Open argv[arg] for writing (l NULL: build it anew).  0, or -1 with an
 * error replied. */
static int zopen_write(struct client *c, int arg, const struct shm_leaf *l)
{
	const struct resp_arg *k = &c->argv[arg];

	if (zset_wr_open(&zw, srv.w, c->db, k->p, (uint32_t)k->len, l)) {
		reply_corrupt(c);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- parsing */

/* One end of a score range, as zslParseRange(): strtod() over the C
 * string, so leading spaces pass, and so does "" (0). */
static bool parse_score_bound(const struct client *c, int i, double *v,
			      bool *ex)
{
	char buf[128], *s = arg_cstr(c, i, buf, sizeof(buf)), *p = s, *end;
	bool ok;

	*ex = p[0] == '(';
	if (*ex)
		p++;
	*v = strtod(p, &end);
	ok = *end == '\0' && !isnan(*v);
	if (s != buf)
		free(s);
	return ok;
}

static bool parse_score_range(struct client *c, int lo, int hi,
			      struct zset_score_range *r)
{
	if (parse_score_bound(c, lo, &r->min, &r->minex) &&
	    parse_score_bound(c, hi, &r->max, &r->maxex))
		return true;
	resp_add_error(&c->out, ERR_NOT_FLOAT_RANGE);
	return false;
}

/* One end of a lex range, as zslParseLexRangeItem(): "-", "+" (the byte
 * after them must be the end or a NUL), "(x" or "[x". */
static bool parse_lex_bound(const struct client *c, int i,
			    struct zset_lex_bound *b)
{
	const struct resp_arg *a = &c->argv[i];

	memset(b, 0, sizeof(*b));
	if (a->len == 0)
		return false;
	switch (a->p[0]) {
	case '+':
	case '-':
		if (a->len > 1 && a->p[1] != '\0')
			return false;
		b->inf = a->p[0] == '+' ? 1 : -1;
		b->ex = true;
		return true;
	case '(':
	case '[':
		b->ex = a->p[0] == '(';
		b->s = a->p + 1;
		b->len = (uint32_t)(a->len - 1);
		return true;
	default:
		return false;
	}
}

static bool parse_lex_range(struct client *c, int lo, int hi,
			    struct zset_lex_range *r)
{
	if (parse_lex_bound(c, lo, &r->min) && parse_lex_bound(c, hi, &r->max))
		return true;
	resp_add_error(&c->out, ERR_NOT_LEX_RANGE);
	return false;
}

/* getPositiveLongFromObjectOrReply() with no message of its own: one
 * error for both "not a number" and "negative". */
static bool arg_positive(struct client *c, int i, long long *v)
{
	if (num_str2ll(c->argv[i].p, c->argv[i].len, v) && *v >= 0)
		return true;
	resp_add_error(&c->out, "ERR value is out of range, must be positive");
	return false;
}

/* ------------------------------------------------------------ ZADD etc. */

/* Redis's zaddGenericCommand(). */
static int zadd_generic(struct client *c, unsigned flags)
{
	const struct shm_leaf *l;
	double *scores, score = 0;
	int idx = 2, elements, err = 0, rc;
	long long added = 0, updated = 0, processed = 0;
	bool ch = false, incr, nx, xx, gt, lt;

	for (; idx < c->argc; idx++) {
		if (arg_is(c, idx, "nx"))
			flags |= ZSET_IN_NX;
		else if (arg_is(c, idx, "xx"))
			flags |= ZSET_IN_XX;
		else if (arg_is(c, idx, "ch"))
			ch = true;
		else if (arg_is(c, idx, "incr"))
			flags |= ZSET_IN_INCR;
		else if (arg_is(c, idx, "gt"))
			flags |= ZSET_IN_GT;
		else if (arg_is(c, idx, "lt"))
			flags |= ZSET_IN_LT;
		else
			break;
	}
	incr = flags & ZSET_IN_INCR;
	nx = flags & ZSET_IN_NX;
	xx = flags & ZSET_IN_XX;
	gt = flags & ZSET_IN_GT;
	lt = flags & ZSET_IN_LT;
	elements = c->argc - idx;
	if (elements % 2 || !elements) {
		reply_syntax(c);
		return 0;
	}
	elements /= 2;
	if (nx && xx) {
		resp_add_error(&c->out,
			       "ERR XX and NX options at the same time are not compatible");
		return 0;
	}
	if ((gt && nx) || (lt && nx) || (gt && lt)) {
		resp_add_error(&c->out,
			       "ERR GT, LT, and/or NX options at the same time are not compatible");
		return 0;
	}
	if (incr && elements > 1) {
		resp_add_error(&c->out,
			       "ERR INCR option supports a single increment-element pair");
		return 0;
	}
	scores = xmalloc((size_t)elements * sizeof(*scores));
	for (int j = 0; j < elements; j++) {
		const struct resp_arg *a = &c->argv[idx + 2 * j];

		if (!num_str2d(a->p, a->len, &scores[j])) {
			resp_add_error(&c->out, NUM_ERR_NOT_FLOAT);
			goto out;
		}
	}
	rc = db_coll(c, c->db, &c->argv[1], SHM_T_ZSET, &l, &err);
	if (err || rc < 0)
		goto out;
	if (!l && xx)
		goto reply;
	if (zopen_write(c, 1, l))
		goto out;
	for (int j = 0; j < elements; j++) {
		const struct resp_arg *m = &c->argv[idx + 2 * j + 1];
		unsigned o;
		double ns = 0;

		err = zset_wr_add(&zw, m->p, (uint32_t)m->len, scores[j], flags,
				  &o, &ns);
		if (err)
			goto out;
		if (o & ZSET_OUT_NAN) {
			resp_add_error(&c->out, ERR_NAN);
			err = zset_wr_close(&zw);
			goto out;
		}
		added += (o & ZSET_OUT_ADDED) != 0;
		updated += (o & ZSET_OUT_UPDATED) != 0;
		if (!(o & ZSET_OUT_NOP)) {
			processed++;
			score = ns;
		}
	}
	err = zset_wr_close(&zw);
	if (err)
		goto out;
reply:
	if (incr) {
		if (processed)
			reply_score(c, score);
		else
			resp_add_null(&c->out);
	} else {
		resp_add_int(&c->out, ch ? added + updated : added);
	}
out:
	free(scores);
	return err;
}

static int cmd_zadd(struct client *c)
{
	return zadd_generic(c, 0);
}

static int cmd_zincrby(struct client *c)
{
	return zadd_generic(c, ZSET_IN_INCR);
}

static int cmd_zrem(struct client *c)
{
	const struct shm_leaf *l;
	long long deleted = 0;
	int err = 0, rc = db_coll(c, c->db, &c->argv[1], SHM_T_ZSET, &l, &err);

	if (err || rc < 0)
		return err;
	if (rc == 0) {
		resp_add_int(&c->out, 0);
		return 0;
	}
	if (zopen_write(c, 1, l))
		return 0;
	for (int j = 2; j < c->argc; j++) {
		bool removed;

		err = zset_wr_rem(&zw, c->argv[j].p, (uint32_t)c->argv[j].len,
				  &removed);
		if (err)
			return err;
		deleted += removed;
		if (zset_wr_count(&zw) == 0)
			break;
	}
	err = zset_wr_close(&zw);
	if (err)
		return err;
	resp_add_int(&c->out, deleted);
	return 0;
}

/* ---------------------------------------------------------- point reads */

static int cmd_zcard(struct client *c)
{
	struct zset_rd z;
	int rc = zlookup(c, 1, &z, NULL, NULL);

	if (rc >= 0)
		resp_add_int(&c->out, rc ? (long long)z.count : 0);
	return 0;
}

/* The reply of a score lookup: the score, nil, or an error. */
static void reply_member_score(struct client *c, const struct zset_rd *z,
			       int arg)
{
	double s;
	int rc = zset_score(z, c->argv[arg].p, (uint32_t)c->argv[arg].len, &s);

	if (rc == 0)
		reply_score(c, s);
	else if (rc == SHMREP_ENOENT)
		resp_add_null(&c->out);
	else
		reply_corrupt(c);
}

static int cmd_zscore(struct client *c)
{
	struct zset_rd z;
	int rc = zlookup(c, 1, &z, NULL, NULL);

	if (rc == 0)
		resp_add_null(&c->out);
	else if (rc > 0)
		reply_member_score(c, &z, 2);
	return 0;
}

static int cmd_zmscore(struct client *c)
{
	struct zset_rd z;
	int rc = zlookup(c, 1, &z, NULL, NULL);

	if (rc < 0)
		return 0;
	resp_add_array(&c->out, c->argc - 2);
	for (int j = 2; j < c->argc; j++) {
		if (rc == 0)
			resp_add_null(&c->out);
		else
			reply_member_score(c, &z, j);
	}
	return 0;
}

static int rank_generic(struct client *c, bool rev)
{
	struct zset_rd z;
	uint64_t r;
	int rc = zlookup(c, 1, &z, NULL, NULL);

	if (rc == 0)
		resp_add_null(&c->out);
	if (rc <= 0)
		return 0;
	rc = zset_rank(&z, c->argv[2].p, (uint32_t)c->argv[2].len, &r);
	if (rc == 0)
		resp_add_int(&c->out, (long long)(rev ? z.count - 1 - r : r));
	else if (rc == SHMREP_ENOENT)
		resp_add_null(&c->out);
	else
		reply_corrupt(c);
	return 0;
}

static int cmd_zrank(struct client *c)
{
	return rank_generic(c, false);
}

static int cmd_zrevrank(struct client *c)
{
	return rank_generic(c, true);
}

static int cmd_zcount(struct client *c)
{
	struct zset_score_range r;
	struct zset_span sp = { 0 };
	struct zset_rd z;
	int rc;

	if (!parse_score_range(c, 2, 3, &r))
		return 0;
	rc = zlookup(c, 1, &z, NULL, NULL);
	if (rc > 0 && zset_span_score(&z, &r, false, 0, -1, &sp)) {
		reply_corrupt(c);
		return 0;
	}
	if (rc >= 0)
		resp_add_int(&c->out, (long long)sp.count);
	return 0;
}

static int cmd_zlexcount(struct client *c)
{
	struct zset_lex_range r;
	struct zset_span sp = { 0 };
	struct zset_rd z;
	int rc;

	if (!parse_lex_range(c, 2, 3, &r))
		return 0;
	rc = zlookup(c, 1, &z, NULL, NULL);
	if (rc > 0 && zset_span_lex(&z, &r, false, 0, -1, &sp)) {
		reply_corrupt(c);
		return 0;
	}
	if (rc >= 0)
		resp_add_int(&c->out, (long long)sp.count);
	return 0;
}

/* --------------------------------------------------------------- ranges */

enum { RT_AUTO, RT_RANK, RT_SCORE, RT_LEX };
enum { DIR_AUTO, DIR_FWD, DIR_REV };

/* Replace the key at argv[arg] with the n entries (sorted, unique): its
 * new size, or the key deleted when n is 0.  The reply is n. */
static int store_result(struct client *c, int arg, const struct zset_ent *e,
			uint64_t n)
{
	int err;

	if (zopen_write(c, arg, NULL))
		return 0;
	err = zset_wr_load(&zw, e, n);
	if (!err)
		err = zset_wr_close(&zw);
	if (!err)
		resp_add_int(&c->out, (long long)n);
	return err;
}

/* The entries of span sp of z, in the span's order, in a new array. */
static int span_entries(const struct zset_rd *z, const struct zset_span *sp,
			struct zset_ent **out)
{
	struct zset_ent *e = xmalloc((size_t)sp->count * sizeof(*e));
	shmrep_iter it;
	shmrep_entry x;
	uint64_t k = 0;
	int rc = zset_iter(&it, z, sp);

	while (!rc && k < sp->count && (rc = iter_next(&it, &x)) == 1) {
		e[k].m = x.key.ptr;
		e[k].len = (uint32_t)x.key.len;
		e[k].score = x.score;
		k++;
		rc = 0;
	}
	if (rc < 0 || k != sp->count) {
		free(e);
		return SHMREP_ECORRUPT;
	}
	*out = e;
	return 0;
}

/*
 * ZRANGESTORE's destination as Redis builds it: a listpack (unless a rank
 * range is known to be larger) that takes the elements in the range's
 * order and converts when one more would not fit.  Scores of -0 stored
 * while it was a listpack became 0 there and stay 0 after the conversion;
 * so they do here.  Then the entries are put in ascending order.
 */
static void rangestore_order(struct zset_ent *e, uint64_t n, bool by_rank,
			     bool rev)
{
	bool pack = !(by_rank && n > SHM_PACK_MAX_ENTRIES);

	for (uint64_t i = 0; i < n; i++) {
		if (pack && (i + 1 > SHM_PACK_MAX_ENTRIES ||
			     e[i].len > SHM_PACK_MAX_BYTES))
			pack = false;
		if (pack && e[i].score == 0)
			e[i].score = 0.0;
	}
	for (uint64_t i = 0; rev && i < n / 2; i++) {
		struct zset_ent t = e[i];

		e[i] = e[n - 1 - i];
		e[n - 1 - i] = t;
	}
}

/* Reply the elements of span sp of z, with their scores if withscores. */
static void reply_span(struct client *c, const struct zset_rd *z,
		       const struct zset_span *sp, bool withscores)
{
	size_t mark = c->out.len;
	shmrep_iter it;
	shmrep_entry x;
	uint64_t k = 0;
	int rc = zset_iter(&it, z, sp);

	resp_add_array(&c->out, (long long)(sp->count * (withscores ? 2 : 1)));
	while (!rc && k < sp->count && (rc = iter_next(&it, &x)) == 1) {
		resp_add_bulk(&c->out, x.key.ptr, x.key.len);
		if (withscores)
			reply_score(c, x.score);
		k++;
		rc = 0;
	}
	if (rc < 0 || k != sp->count) {
		c->out.len = mark;
		reply_corrupt(c);
	}
}

/*
 * Redis's zrangeGenericCommand(): the key at argv[start], min and max
 * after it, then options.  store: ZRANGESTORE, whose destination is
 * argv[1].
 */
static int zrange_generic(struct client *c, int start, bool store, int rt,
			  int dir)
{
	int minidx = start + 1, maxidx = start + 2, rc, err = 0;
	long long offset = 0, limit = -1, rs = 0, re = 0;
	bool withscores = false;
	struct zset_score_range sr;
	struct zset_lex_range lr;
	struct zset_span sp = { 0 };
	struct zset_ent *e;
	struct zset_rd z;

	for (int j = start + 3; j < c->argc; j++) {
		int left = c->argc - j - 1;

		if (!store && arg_is(c, j, "withscores")) {
			withscores = true;
		} else if (arg_is(c, j, "limit") && left >= 2) {
			if (!arg_ll(c, j + 1, &offset, NULL) ||
			    !arg_ll(c, j + 2, &limit, NULL))
				return 0;
			j += 2;
		} else if (dir == DIR_AUTO && arg_is(c, j, "rev")) {
			dir = DIR_REV;
		} else if (rt == RT_AUTO && arg_is(c, j, "bylex")) {
			rt = RT_LEX;
		} else if (rt == RT_AUTO && arg_is(c, j, "byscore")) {
			rt = RT_SCORE;
		} else {
			reply_syntax(c);
			return 0;
		}
	}
	if (dir == DIR_AUTO)
		dir = DIR_FWD;
	if (rt == RT_AUTO)
		rt = RT_RANK;
	if (limit != -1 && rt == RT_RANK) {
		resp_add_error(&c->out,
			       "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
		return 0;
	}
	if (withscores && rt == RT_LEX) {
		resp_add_error(&c->out,
			       "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
		return 0;
	}
	if (dir == DIR_REV && rt != RT_RANK) {
		int t = minidx;

		minidx = maxidx;
		maxidx = t;
	}
	if (rt == RT_RANK) {
		if (!arg_ll(c, minidx, &rs, NULL) ||
		    !arg_ll(c, maxidx, &re, NULL))
			return 0;
	} else if (rt == RT_SCORE) {
		if (!parse_score_range(c, minidx, maxidx, &sr))
			return 0;
	} else if (!parse_lex_range(c, minidx, maxidx, &lr)) {
		return 0;
	}
	rc = zlookup(c, start, &z, NULL, store ? &err : NULL);
	if (err || rc < 0)
		return err;
	if (rc == 0) {
		if (store)
			return store_result(c, 1, NULL, 0);
		resp_add_array(&c->out, 0);
		return 0;
	}
	if (rt == RT_RANK)
		rc = zset_span_rank(&z, rs, re, dir == DIR_REV, &sp);
	else if (rt == RT_SCORE)
		rc = zset_span_score(&z, &sr, dir == DIR_REV, offset, limit,
				     &sp);
	else
		rc = zset_span_lex(&z, &lr, dir == DIR_REV, offset, limit, &sp);
	if (rc) {
		reply_corrupt(c);
		return 0;
	}
	if (!store) {
		reply_span(c, &z, &sp, withscores);
		return 0;
	}
	if (span_entries(&z, &sp, &e)) {
		reply_corrupt(c);
		return 0;
	}
	rangestore_order(e, sp.count, rt == RT_RANK, sp.rev);
	err = store_result(c, 1, e, sp.count);
	free(e);
	return err;
}

static int cmd_zrange(struct client *c)
{
	return zrange_generic(c, 1, false, RT_AUTO, DIR_AUTO);
}

static int cmd_zrangestore(struct client *c)
{
	return zrange_generic(c, 2, true, RT_AUTO, DIR_AUTO);
}

static int cmd_zrevrange(struct client *c)
{
	return zrange_generic(c, 1, false, RT_RANK, DIR_REV);
}

static int cmd_zrangebyscore(struct client *c)
{
	return zrange_generic(c, 1, false, RT_SCORE, DIR_FWD);
}

static int cmd_zrevrangebyscore(struct client *c)
{
	return zrange_generic(c, 1, false, RT_SCORE, DIR_REV);
}

static int cmd_zrangebylex(struct client *c)
{
	return zrange_generic(c, 1, false, RT_LEX, DIR_FWD);
}

static int cmd_zrevrangebylex(struct client *c)
{
	return zrange_generic(c, 1, false, RT_LEX, DIR_REV);
}

/* ---------------------------------------------------------- removals */

/* Redis's genericZpopCommand() for ZPOPMIN / ZPOPMAX key [count]. */
static int zpop_generic(struct client *c, bool max)
{
	const struct shm_leaf *l;
	struct zset_span sp;
	struct zset_rd z;
	long long count = -1;
	uint64_t n;
	int err = 0, rc;

	if (c->argc > 3) {
		reply_syntax(c);
		return 0;
	}
	if (c->argc == 3 && !arg_positive(c, 2, &count))
		return 0;
	rc = zlookup(c, 1, &z, &l, &err);
	if (err || rc < 0)
		return err;
	if (rc == 0 || count == 0) {
		resp_add_array(&c->out, 0);
		return 0;
	}
	if (count == -1)
		count = 1;
	n = (uint64_t)count < z.count ? (uint64_t)count : z.count;
	if (zopen_write(c, 1, l))
		return 0;
	if (n == z.count) {
		/* Everything: reply from the set as it is, then drop it
		 * whole. */
		zset_span_rank(&z, 0, -1, max, &sp);
		reply_span(c, &z, &sp, true);
		err = zset_wr_rem_span(&zw, 0, n);
	} else {
		resp_add_array(&c->out, (long long)(2 * n));
		for (uint64_t k = 0; k < n && !err; k++) {
			struct zset_ent e;

			err = zset_wr_pop(&zw, max, &e);
			if (!err) {
				resp_add_bulk(&c->out, e.m, e.len);
				reply_score(c, e.score);
			}
		}
	}
	if (!err)
		err = zset_wr_close(&zw);
	return err;
}

static int cmd_zpopmin(struct client *c)
{
	return zpop_generic(c, false);
}

static int cmd_zpopmax(struct client *c)
{
	return zpop_generic(c, true);
}

/* Redis's zremrangeGenericCommand(). */
static int zremrange_generic(struct client *c, int rt)
{
	const struct shm_leaf *l;
	struct zset_score_range sr;
	struct zset_lex_range lr;
	struct zset_span sp = { 0 };
	struct zset_rd z;
	long long start = 0, end = 0;
	int err = 0, rc;

	if (rt == RT_RANK) {
		if (!arg_ll(c, 2, &start, NULL) || !arg_ll(c, 3, &end, NULL))
			return 0;
	} else if (rt == RT_SCORE) {
		if (!parse_score_range(c, 2, 3, &sr))
			return 0;
	} else if (!parse_lex_range(c, 2, 3, &lr)) {
		return 0;
	}
	rc = zlookup(c, 1, &z, &l, &err);
	if (err || rc < 0)
		return err;
	if (rc == 0) {
		resp_add_int(&c->out, 0);
		return 0;
	}
	if (rt == RT_RANK)
		rc = zset_span_rank(&z, start, end, false, &sp);
	else if (rt == RT_SCORE)
		rc = zset_span_score(&z, &sr, false, 0, -1, &sp);
	else
		rc = zset_span_lex(&z, &lr, false, 0, -1, &sp);
	if (rc) {
		reply_corrupt(c);
		return 0;
	}
	if (sp.count) {
		if (zopen_write(c, 1, l))
			return 0;
		err = zset_wr_rem_span(&zw, sp.start, sp.count);
		if (!err)
			err = zset_wr_close(&zw);
		if (err)
			return err;
	}
	resp_add_int(&c->out, (long long)sp.count);
	return 0;
}

static int cmd_zremrangebyrank(struct client *c)
{
	return zremrange_generic(c, RT_RANK);
}

static int cmd_zremrangebyscore(struct client *c)
{
	return zremrange_generic(c, RT_SCORE);
}

static int cmd_zremrangebylex(struct client *c)
{
	return zremrange_generic(c, RT_LEX);
}

/* ------------------------------------------- ZUNIONSTORE and friends */

enum { OP_UNION, OP_INTER, OP_DIFF };
enum { AGG_SUM, AGG_MIN, AGG_MAX };

/* One input of ZUNIONSTORE & co: a sorted set, a set, or nothing. */
struct src {
	const struct shm_leaf *l; /* NULL: missing key */
	double weight;
	uint64_t count;
	bool zset;
	struct zset_rd z; /* zset */
	const uint8_t *val; /* set, packed: val[0, vlen) */
	uint64_t vlen;
	shm_ref root; /* set, as a trie */
	size_t order; /* position on the command line */
};

/* A set's value as layout.h describes it.  0 or SHMREP_ECORRUPT. */
static int set_open(struct src *s, const struct shm_view *v)
{
	const struct shm_leaf *l = s->l;
	struct shm_vcoll d;
	struct pack_rd rd;
	uint32_t n;

	if (!shm_leaf_val_ok(v, l))
		return SHMREP_ECORRUPT;
	if (l->enc == SHM_E_PACK) {
		s->val = shm_leaf_val(l);
		s->vlen = l->vlen;
		if (pack_open(&rd, s->val, s->vlen, &n))
			return SHMREP_ECORRUPT;
		s->count = n;
		return 0;
	}
	if (l->enc != SHM_E_HAMT || !shm_leaf_desc(l, &d))
		return SHMREP_ECORRUPT;
	s->root = d.root;
	s->count = d.count;
	return 0;
}

static int src_iter(const struct src *s, shmrep_iter *it)
{
	struct zset_span all = { .start = 0, .count = s->count };

	if (s->zset)
		return zset_iter(it, &s->z, &all);
	if (s->val)
		return iter_init_pack(it, IW_SET, s->val, s->vlen, 0, s->count,
				      false);
	iter_init_hamt(it, IW_SET, &srv.w->view, s->root);
	return 0;
}

/* Member m's score in s (1 in a set): 1 and *score, 0 if absent, or
 * SHMREP_ECORRUPT. */
static int src_find(const struct src *s, const void *m, uint32_t len,
		    double *score)
{
	const struct shm_view *v = &srv.w->view;
	const struct shm_leaf *l;
	struct pack_rd rd;
	const uint8_t *p;
	uint32_t n, plen;
	int rc;

	if (!s->l)
		return 0;
	if (s->zset) {
		rc = zset_score(&s->z, m, len, score);
		return rc == SHMREP_ENOENT ? 0 : rc ? rc : 1;
	}
	*score = 1.0;
	if (s->val) {
		rc = pack_open(&rd, s->val, s->vlen, &n);
		for (uint32_t i = 0; !rc && i < n; i++) {
			rc = pack_str(&rd, &p, &plen);
			if (!rc && plen == len && (!len || !memcmp(p, m, len)))
				return 1;
		}
		return rc;
	}
	rc = hamt_find(v, s->root, shm_hash(v->seed, m, len), m, len, &l);
	return rc == SHMREP_ENOENT ? 0 : rc ? rc : 1;
}

/* A growable array of result entries. */
struct ents {
	struct zset_ent *v;
	size_t n, cap;
	size_t *src; /* for unions: the source order of each entry */
};

static void ents_add(struct ents *a, const void *m, size_t len, double s,
		     size_t src)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 64;
		a->v = xrealloc(a->v, a->cap, sizeof(*a->v));
		a->src = xrealloc(a->src, a->cap, sizeof(*a->src));
	}
	a->v[a->n].m = m;
	a->v[a->n].len = (uint32_t)len;
	a->v[a->n].score = s;
	a->src[a->n++] = src;
}

static int by_card(const void *a, const void *b)
{
	const struct src *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int mcmp(const uint8_t *a, uint32_t al, const uint8_t *b, uint32_t bl)
{
	uint32_t k = al < bl ? al : bl;
	int d = k ? memcmp(a, b, k) : 0;

	return d ? d : (al > bl) - (al < bl);
}

static int by_score_member(const void *a, const void *b)
{
	const struct zset_ent *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? -1 : 1;
	return mcmp(x->m, x->len, y->m, y->len);
}

/* Union input: members, then their source's place (ents.src), so that a
 * member's scores are aggregated in the order Redis reads the sources. */
static int by_member_src(const void *a, const void *b, void *arg)
{
	const struct ents *in = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int d = mcmp(in->v[i].m, in->v[i].len, in->v[j].m, in->v[j].len);

	if (d)
		return d;
	return in->src[i] < in->src[j] ? -1 : in->src[i] > in->src[j];
}

/* zunionInterAggregate() */
static void aggregate(double *t, double v, int agg)
{
	if (agg == AGG_SUM) {
		*t += v;
		if (isnan(*t))
			*t = 0.0;
	} else if (agg == AGG_MIN) {
		*t = v < *t ? v : *t;
	} else {
		*t = v > *t ? v : *t;
	}
}

/* Weighted score, as Redis computes it (0 * inf is 0, not NaN). */
static double weighted(double s, double w)
{
	double r = s * w;

	return isnan(r) ? 0.0 : r;
}

static int do_union(struct src *s, long n, int agg, struct ents *out)
{
	struct ents in = { 0 };
	size_t *idx;
	int rc = 0;

	for (long i = 0; i < n && !rc; i++) {
		shmrep_iter it;
		shmrep_entry x;

		if (!s[i].l || !s[i].count)
			continue;
		rc = src_iter(&s[i], &it);
		while (!rc && (rc = iter_next(&it, &x)) == 1) {
			ents_add(&in, x.key.ptr, x.key.len,
				 weighted(s[i].zset ? x.score : 1.0,
					  s[i].weight),
				 (size_t)i);
			rc = 0;
		}
	}
	if (rc < 0)
		goto out;
	rc = 0;
	idx = xmalloc(in.n * sizeof(*idx));
	for (size_t k = 0; k < in.n; k++)
		idx[k] = k;
	qsort_r(idx, in.n, sizeof(*idx), by_member_src, &in);
	for (size_t k = 0; k < in.n;) {
		const struct zset_ent *first = &in.v[idx[k]];
		double t = first->score;
		size_t e = k + 1;

		while (e < in.n && !mcmp(first->m, first->len, in.v[idx[e]].m,
					 in.v[idx[e]].len))
			aggregate(&t, in.v[idx[e++]].score, agg);
		ents_add(out, first->m, first->len, t, 0);
		k = e;
	}
	free(idx);
out:
	free(in.v);
	free(in.src);
	return rc;
}

static int do_inter(struct src *s, long n, int agg, struct ents *out)
{
	shmrep_iter it;
	shmrep_entry x;
	int rc;

	if (!s[0].l || !s[0].count)
		return 0;
	rc = src_iter(&s[0], &it);
	while (!rc && (rc = iter_next(&it, &x)) == 1) {
		double s0 = s[0].zset ? x.score : 1.0;
		double t = weighted(s0, s[0].weight), v;
		long j;

		rc = 0;
		for (j = 1; j < n; j++) {
			if (s[j].l && s[j].l == s[0].l) {
				v = s0 * s[j].weight;
			} else {
				rc = src_find(&s[j], x.key.ptr,
					      (uint32_t)x.key.len, &v);
				if (rc <= 0)
					break;
				rc = 0;
				v *= s[j].weight;
			}
			aggregate(&t, v, agg);
		}
		if (rc < 0)
			break;
		if (j == n)
			ents_add(out, x.key.ptr, x.key.len, t, 0);
	}
	return rc < 0 ? rc : 0;
}

static int do_diff(struct src *s, long n, struct ents *out)
{
	shmrep_iter it;
	shmrep_entry x;
	int rc;

	if (!s[0].l || !s[0].count)
		return 0;
	rc = src_iter(&s[0], &it);
	while (!rc && (rc = iter_next(&it, &x)) == 1) {
		bool found = false;
		double v;

		rc = 0;
		for (long j = 1; j < n && !found && !rc; j++) {
			if (s[j].l && s[j].l == s[0].l) {
				found = true;
			} else {
				rc = src_find(&s[j], x.key.ptr,
					      (uint32_t)x.key.len, &v);
				found = rc == 1;
				rc = rc < 0 ? rc : 0;
			}
		}
		if (!rc && !found)
			ents_add(out, x.key.ptr, x.key.len,
				 s[0].zset ? x.score : 1.0, 0);
	}
	return rc < 0 ? rc : 0;
}

/* Redis's zunionInterDiffGenericCommand() for the *STORE forms. */
static int zsetop_store(struct client *c, int op)
{
	long long setnum;
	int agg = AGG_SUM, err = 0, rc = 0, j;
	struct ents res = { 0 };
	struct src *s;

	if (!arg_ll(c, 2, &setnum, NULL))
		return 0;
	if (setnum < 1) {
		resp_add_errorf(&c->out,
				"ERR at least 1 input key is needed for '%s' command",
				c->cmd->name);
		return 0;
	}
	if (setnum > c->argc - 3) {
		reply_syntax(c);
		return 0;
	}
	s = xcalloc((size_t)setnum, sizeof(*s));
	for (j = 0; j < setnum; j++) {
		const struct shm_leaf *l = db_find(c, c->db, &c->argv[3 + j],
						   &err);

		if (err)
			goto out;
		s[j].weight = 1.0;
		s[j].order = (size_t)j;
		s[j].l = l;
		if (!l)
			continue;
		if (l->type != SHM_T_ZSET && l->type != SHM_T_SET) {
			reply_wrongtype(c);
			goto out;
		}
		s[j].zset = l->type == SHM_T_ZSET;
		rc = s[j].zset ? zset_open(&s[j].z, &srv.w->view, l)
			       : set_open(&s[j], &srv.w->view);
		if (rc)
			goto corrupt;
		if (s[j].zset)
			s[j].count = s[j].z.count;
	}
	j = 3 + (int)setnum;
	while (j < c->argc) {
		int left = c->argc - j;

		if (op != OP_DIFF && left >= setnum + 1 &&
		    arg_is(c, j, "weights")) {
			j++;
			for (long i = 0; i < setnum; i++, j++) {
				if (!num_str2d(c->argv[j].p, c->argv[j].len,
					       &s[i].weight)) {
					resp_add_error(&c->out, ERR_WEIGHT);
					goto out;
				}
			}
		} else if (op != OP_DIFF && left >= 2 &&
			   arg_is(c, j, "aggregate")) {
			j++;
			if (arg_is(c, j, "sum")) {
				agg = AGG_SUM;
			} else if (arg_is(c, j, "min")) {
				agg = AGG_MIN;
			} else if (arg_is(c, j, "max")) {
				agg = AGG_MAX;
			} else {
				reply_syntax(c);
				goto out;
			}
			j++;
		} else {
			reply_syntax(c);
			goto out;
		}
	}
	if (op != OP_DIFF)
		qsort(s, (size_t)setnum, sizeof(*s), by_card);
	if (op == OP_UNION)
		rc = do_union(s, (long)setnum, agg, &res);
	else if (op == OP_INTER)
		rc = do_inter(s, (long)setnum, agg, &res);
	else
		rc = do_diff(s, (long)setnum, &res);
	if (rc)
		goto corrupt;
	if (res.n)
		qsort(res.v, res.n, sizeof(*res.v), by_score_member);
	err = store_result(c, 1, res.v, res.n);
	goto out;
corrupt:
	reply_corrupt(c);
out:
	free(res.v);
	free(res.src);
	free(s);
	return err;
}

static int cmd_zunionstore(struct client *c)
{
	return zsetop_store(c, OP_UNION);
}

static int cmd_zinterstore(struct client *c)
{
	return zsetop_store(c, OP_INTER);
}

static int cmd_zdiffstore(struct client *c)
{
	return zsetop_store(c, OP_DIFF);
}

/* --------------------------------------------------------------- ZSCAN */

struct zscan_arg {
	struct resp_out *out;
	const char *pat;
	size_t plen;
	long long n; /* replies added: members and scores */
};

static bool zscan_match(const struct zscan_arg *a, const void *m, size_t len)
{
	return !a->pat || glob_match(a->pat, a->plen, m, len, false);
}

static void zscan_add(struct zscan_arg *a, const void *m, size_t len,
		      const char *score, size_t slen)
{
	resp_add_bulk(a->out, m, len);
	resp_add_bulk(a->out, score, slen);
	a->n += 2;
}

static int zscan_visit(void *arg, const struct shm_leaf *const *ls,
		       unsigned n)
{
	struct zscan_arg *a = arg;

	for (unsigned i = 0; i < n; i++) {
		const struct shm_leaf *l = ls[i];
		char buf[NUM_D_STR_MAX];
		double s = 0;

		if (!zscan_match(a, l->data, l->klen))
			continue;
		if (l->vlen == sizeof(s))
			memcpy(&s, l->data + l->klen, sizeof(s));
		zscan_add(a, l->data, l->klen, buf,
			  (size_t)num_d2str(buf, sizeof(buf), s));
	}
	return HAMT_NEXT;
}

static int cmd_zscan(struct client *c)
{
	struct resp_out items = { 0 };
	struct zscan_arg a = { .out = &items };
	struct scan_opts o;
	struct zset_rd z;
	uint64_t cursor;
	size_t slot;
	int rc;

	if (!arg_cursor(c, 2, &cursor))
		return 0;
	rc = zlookup(c, 1, &z, NULL, NULL);
	if (rc <= 0) {
		if (rc == 0)
			reply_scan(c, 0, NULL);
		return 0;
	}
	if (!scan_opts_parse(c, 3, false, &o))
		return 0;
	a.pat = o.pat;
	a.plen = o.plen;
	slot = resp_add_deferred_len(&items);
	if (z.enc == SHM_E_PACK) {
		struct zset_span all = { .start = 0, .count = z.count };
		shmrep_iter it;
		shmrep_entry x;

		/* A listpack is returned whole, scores as it keeps them. */
		rc = zset_iter(&it, &z, &all);
		while (!rc && (rc = iter_next(&it, &x)) == 1) {
			char buf[NUM_D_STR_MAX];
			long long ll;
			int n;

			rc = 0;
			if (!zscan_match(&a, x.key.ptr, x.key.len))
				continue;
			n = zset_pack_score_ll(x.score, &ll)
				    ? num_ll2str(buf, sizeof(buf), ll)
				    : num_d2str(buf, sizeof(buf), x.score);
			zscan_add(&a, x.key.ptr, x.key.len, buf, (size_t)n);
		}
		cursor = 0;
	} else {
		rc = hamt_scan(&srv.w->view, z.root, &cursor,
			       (uint64_t)o.count, zscan_visit, &a);
	}
	resp_set_deferred_len(&items, slot, a.n);
	if (rc < 0)
		reply_corrupt(c);
	else
		reply_scan(c, cursor, &items);
	resp_out_free(&items);
	return 0;
}

#define W CMD_WRITE
#define R CMD_READONLY
#define F CMD_FAST

const struct command cmds_zset[] = {
	{ "zadd", cmd_zadd, -4, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @sortedset @fast" },
	{ "zincrby", cmd_zincrby, 4, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @sortedset @fast" },
	{ "zrem", cmd_zrem, -3, W | F, 1, 1, 1, "write fast",
	  "@write @sortedset @fast" },
	{ "zcard", cmd_zcard, 2, R | F, 1, 1, 1, "readonly fast",
	  "@read @sortedset @fast" },
	{ "zscore", cmd_zscore, 3, R | F, 1, 1, 1, "readonly fast",
	  "@read @sortedset @fast" },
	{ "zmscore", cmd_zmscore, -3, R | F, 1, 1, 1, "readonly fast",
	  "@read @sortedset @fast" },
	{ "zrank", cmd_zrank, 3, R | F, 1, 1, 1, "readonly fast",
	  "@read @sortedset @fast" },
	{ "zrevrank", cmd_zrevrank, 3, R | F, 1, 1, 1, "readonly fast",
	  "@read @sortedset @fast" },
	{ "zcount", cmd_zcount, 4, R | F, 1, 1, 1, "readonly fast",
	  "@read @sortedset @fast" },
	{ "zlexcount", cmd_zlexcount, 4, R | F, 1, 1, 1, "readonly fast",
	  "@read @sortedset @fast" },
	{ "zrange", cmd_zrange, -4, R, 1, 1, 1, "readonly",
	  "@read @sortedset @slow" },
	{ "zrevrange", cmd_zrevrange, -4, R, 1, 1, 1, "readonly",
	  "@read @sortedset @slow" },
	{ "zrangebyscore", cmd_zrangebyscore, -4, R, 1, 1, 1, "readonly",
	  "@read @sortedset @slow" },
	{ "zrevrangebyscore", cmd_zrevrangebyscore, -4, R, 1, 1, 1,
	  "readonly", "@read @sortedset @slow" },
	{ "zrangebylex", cmd_zrangebylex, -4, R, 1, 1, 1, "readonly",
	  "@read @sortedset @slow" },
	{ "zrevrangebylex", cmd_zrevrangebylex, -4, R, 1, 1, 1, "readonly",
	  "@read @sortedset @slow" },
	{ "zpopmin", cmd_zpopmin, -2, W | F, 1, 1, 1, "write fast",
	  "@write @sortedset @fast" },
	{ "zpopmax", cmd_zpopmax, -2, W | F, 1, 1, 1, "write fast",
	  "@write @sortedset @fast" },
	{ "zremrangebyrank", cmd_zremrangebyrank, 4, W, 1, 1, 1, "write",
	  "@write @sortedset @slow" },
	{ "zremrangebyscore", cmd_zremrangebyscore, 4, W, 1, 1, 1, "write",
	  "@write @sortedset @slow" },
	{ "zremrangebylex", cmd_zremrangebylex, 4, W, 1, 1, 1, "write",
	  "@write @sortedset @slow" },
	{ "zunionstore", cmd_zunionstore, -4, W, 1, 1, 1,
	  "write denyoom movablekeys", "@write @sortedset @slow" },
	{ "zinterstore", cmd_zinterstore, -4, W, 1, 1, 1,
	  "write denyoom movablekeys", "@write @sortedset @slow" },
	{ "zdiffstore", cmd_zdiffstore, -4, W, 1, 1, 1,
	  "write denyoom movablekeys", "@write @sortedset @slow" },
	{ "zrangestore", cmd_zrangestore, -5, W, 1, 2, 1, "write denyoom",
	  "@write @sortedset @slow" },
	{ "zscan", cmd_zscan, -3, R, 1, 1, 1, "readonly",
	  "@read @sortedset @slow" },
	{ NULL },
};
