/*
 * t_set.c - set commands with Redis 7.0's semantics, replies and error
 * texts (src/t_set.c was the reference for the order of the checks).
 *
 * Storage is shm/c_hash.c's, as for hashes.  The set algebra (SINTER,
 * SUNION, SDIFF and their STORE forms) works on views into the region: a
 * result is gathered as pointers to the members of the sets it came from,
 * replied from there or stored with one SADD into a new key.  The views
 * stay valid while the command runs even when the destination is one of
 * the sources and is deleted first, because nothing a command unlinks is
 * freed before the command commits.  SPOP and SRANDMEMBER draw with
 * chash_sample() from arc4random: Redis's own picks are random too, so
 * only their number and membership are part of the contract.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/stdlib.h>

#include "c_hash.h"
#include "db.h"
#include "hash.h"
#include "iter.h"
#include "num.h"
#include "server.h"
#include "strmatch.h"
#include "writer.h"

#define STACK_ARGS 32
#define SAMPLE_CHUNK 256

static uint64_t set_rand(void *arg)
{
	uint64_t r;

	(void)arg;
	arc4random_buf(&r, sizeof(r));
	return r;
}

/* The set at argv[arg]: 1 and *l, 0 if missing, -1 if WRONGTYPE was
 * replied.  err as db_find's (NULL in read commands). */
static int set_lookup(struct client *c, int arg, const struct shm_leaf **l,
		      int *err)
{
	return db_coll(c, c->db, &c->argv[arg], SHM_T_SET, l, err);
}

/* Reply every member of l (the whole set), as an array. */
static void reply_members(struct client *c, const struct shm_leaf *l)
{
	shmrep_iter it;
	shmrep_entry e;
	long long n = 0;
	size_t slot = resp_add_deferred_len(&c->out);

	chash_iter(&it, &srv.w->view, l);
	while (iter_next(&it, &e) == 1) {
		resp_add_bulk(&c->out, e.key.ptr, e.key.len);
		n++;
	}
	resp_set_deferred_len(&c->out, slot, n);
}

/* SADD and SREM of argv[2...] on the set argv[1]. */
static int add_rem(struct client *c, bool add)
{
	const struct shm_leaf *l;
	shmrep_view buf[STACK_ARGS], *v;
	uint64_t n = 0;
	int err = 0, rc = set_lookup(c, 1, &l, &err);

	if (err)
		return err;
	if (rc < 0)
		return 0;
	if (add || rc > 0) {
		v = args_views(c, 2, c->argc - 2, buf, STACK_ARGS);
		rc = (add ? chash_sadd : chash_srem)(srv.w, c->db, c->argv[1].p,
						     (uint32_t)c->argv[1].len,
						     v, (size_t)c->argc - 2, &n);
		if (v != buf)
			free(v);
		if (rc)
			return rc;
	}
	resp_add_int(&c->out, (long long)n);
	return 0;
}

static int cmd_sadd(struct client *c)
{
	return add_rem(c, true);
}

static int cmd_srem(struct client *c)
{
	return add_rem(c, false);
}

static int cmd_sismember(struct client *c)
{
	const struct shm_leaf *l;
	int rc = set_lookup(c, 1, &l, NULL);

	if (rc < 0)
		return 0;
	resp_add_int(&c->out, rc > 0 && chash_sismember(&srv.w->view, l,
							c->argv[2].p,
							c->argv[2].len) == 1);
	return 0;
}

static int cmd_smismember(struct client *c)
{
	const struct shm_leaf *l;
	int rc = set_lookup(c, 1, &l, NULL);

	if (rc < 0)
		return 0;
	resp_add_array(&c->out, c->argc - 2);
	for (int i = 2; i < c->argc; i++)
		resp_add_int(&c->out,
			     rc > 0 && chash_sismember(&srv.w->view, l,
						       c->argv[i].p,
						       c->argv[i].len) == 1);
	return 0;
}

static int cmd_scard(struct client *c)
{
	const struct shm_leaf *l;
	uint64_t n = 0;
	int rc = set_lookup(c, 1, &l, NULL);

	if (rc < 0)
		return 0;
	if (rc > 0)
		chash_len(&srv.w->view, l, &n);
	resp_add_int(&c->out, (long long)n);
	return 0;
}

static int cmd_smembers(struct client *c)
{
	const struct shm_leaf *l;
	int rc = set_lookup(c, 1, &l, NULL);

	if (rc < 0)
		return 0;
	if (rc == 0)
		resp_add_array(&c->out, 0);
	else
		reply_members(c, l);
	return 0;
}

/* SPOP key count: Redis checks the count before the key. */
static int spop_count(struct client *c)
{
	const struct shm_leaf *l;
	shmrep_entry *e;
	shmrep_view *v;
	long long count;
	uint64_t size, n, removed;
	int err = 0, rc;

	if (!num_str2ll(c->argv[2].p, c->argv[2].len, &count) || count < 0) {
		resp_add_error(&c->out,
			       "ERR value is out of range, must be positive");
		return 0;
	}
	rc = set_lookup(c, 1, &l, &err);
	if (err)
		return err;
	if (rc < 0)
		return 0;
	if (rc == 0 || count == 0) {
		resp_add_array(&c->out, 0);
		return 0;
	}
	chash_len(&srv.w->view, l, &size);
	if ((uint64_t)count >= size) {
		reply_members(c, l);
		return db_delete(c->db, c->argv[1].p, c->argv[1].len);
	}
	/* Fewer than the set holds: draw them, reply, then remove them
	 * (the views stay valid: removed members are freed at commit). */
	e = xmalloc((size_t)count * sizeof(*e));
	v = xmalloc((size_t)count * sizeof(*v));
	chash_sample(&srv.w->view, l, (uint64_t)count, true, set_rand, NULL,
		     e, &n);
	resp_add_array(&c->out, (long long)n);
	for (uint64_t i = 0; i < n; i++) {
		resp_add_bulk(&c->out, e[i].key.ptr, e[i].key.len);
		v[i] = e[i].key;
	}
	rc = chash_srem(srv.w, c->db, c->argv[1].p, (uint32_t)c->argv[1].len,
			v, n, &removed);
	free(e);
	free(v);
	return rc;
}

static int cmd_spop(struct client *c)
{
	const struct shm_leaf *l;
	shmrep_entry e;
	uint64_t n, removed;
	int err = 0, rc;

	if (c->argc == 3)
		return spop_count(c);
	if (c->argc > 3) {
		reply_syntax(c);
		return 0;
	}
	rc = set_lookup(c, 1, &l, &err);
	if (err)
		return err;
	if (rc < 0)
		return 0;
	if (rc == 0 || chash_sample(&srv.w->view, l, 1, false, set_rand, NULL,
				    &e, &n) || n != 1) {
		resp_add_null(&c->out);
		return 0;
	}
	resp_add_bulk(&c->out, e.key.ptr, e.key.len);
	return chash_srem(srv.w, c->db, c->argv[1].p, (uint32_t)c->argv[1].len,
			  &e.key, 1, &removed);
}

/* Reply count members of l drawn independently (SRANDMEMBER with a
 * negative count), in chunks: the count may be far above the set's size. */
static void reply_draws(struct client *c, const struct shm_leaf *l,
			uint64_t count)
{
	shmrep_entry e[SAMPLE_CHUNK];
	uint64_t n;

	resp_add_array(&c->out, (long long)count);
	while (count) {
		uint64_t k = count < SAMPLE_CHUNK ? count : SAMPLE_CHUNK;

		/* Only a damaged region fails here: pad with nils rather
		 * than break the array the header promised. */
		if (chash_sample(&srv.w->view, l, k, false, set_rand, NULL, e,
				 &n))
			n = 0;
		for (uint64_t i = 0; i < k; i++) {
			if (i < n)
				resp_add_bulk(&c->out, e[i].key.ptr,
					      e[i].key.len);
			else
				resp_add_null(&c->out);
		}
		count -= k;
	}
}

static int srandmember_count(struct client *c)
{
	const struct shm_leaf *l;
	shmrep_entry *e;
	long long count;
	uint64_t size, n;
	int rc;

	if (!arg_ll(c, 2, &count, NULL))
		return 0;
	if (count == LLONG_MIN) {
		resp_add_errorf(&c->out,
				"ERR value is out of range, value must between %lld and %lld",
				-LLONG_MAX, LLONG_MAX);
		return 0;
	}
	rc = set_lookup(c, 1, &l, NULL);
	if (rc < 0)
		return 0;
	if (rc == 0 || count == 0) {
		resp_add_array(&c->out, 0);
		return 0;
	}
	if (count < 0) {
		reply_draws(c, l, (uint64_t)-count);
		return 0;
	}
	chash_len(&srv.w->view, l, &size);
	if ((uint64_t)count >= size) {
		reply_members(c, l);
		return 0;
	}
	e = xmalloc((size_t)count * sizeof(*e));
	chash_sample(&srv.w->view, l, (uint64_t)count, true, set_rand, NULL,
		     e, &n);
	resp_add_array(&c->out, (long long)n);
	for (uint64_t i = 0; i < n; i++)
		resp_add_bulk(&c->out, e[i].key.ptr, e[i].key.len);
	free(e);
	return 0;
}

static int cmd_srandmember(struct client *c)
{
	const struct shm_leaf *l;
	shmrep_entry e;
	uint64_t n;
	int rc;

	if (c->argc == 3)
		return srandmember_count(c);
	if (c->argc > 3) {
		reply_syntax(c);
		return 0;
	}
	rc = set_lookup(c, 1, &l, NULL);
	if (rc < 0)
		return 0;
	if (rc == 0 || chash_sample(&srv.w->view, l, 1, false, set_rand, NULL,
				    &e, &n) || n != 1)
		resp_add_null(&c->out);
	else
		resp_add_bulk(&c->out, e.key.ptr, e.key.len);
	return 0;
}

/*
 * SMOVE source destination member.  Redis looks both keys up first (so
 * both expire lazily), answers 0 for a missing source before any type
 * check, and treats a move onto the same key as a membership test.
 */
static int cmd_smove(struct client *c)
{
	shmrep_view m = { c->argv[3].p, c->argv[3].len };
	const struct shm_leaf *src, *dst;
	uint64_t removed, added;
	int err = 0, rc;

	src = db_find(c, c->db, &c->argv[1], &err);
	if (err)
		return err;
	dst = db_find(c, c->db, &c->argv[2], &err);
	if (err)
		return err;
	if (!src) {
		resp_add_int(&c->out, 0);
		return 0;
	}
	if (src->type != SHM_T_SET || (dst && dst->type != SHM_T_SET)) {
		reply_wrongtype(c);
		return 0;
	}
	if (src == dst) {
		resp_add_int(&c->out, chash_sismember(&srv.w->view, src, m.ptr,
						      m.len) == 1);
		return 0;
	}
	rc = chash_srem(srv.w, c->db, c->argv[1].p, (uint32_t)c->argv[1].len,
			&m, 1, &removed);
	if (rc)
		return rc;
	if (removed) {
		rc = chash_sadd(srv.w, c->db, c->argv[2].p,
				(uint32_t)c->argv[2].len, &m, 1, &added);
		if (rc)
			return rc;
	}
	resp_add_int(&c->out, removed != 0);
	return 0;
}

/* ---------------------------------------------------------- set algebra */

enum { OP_INTER, OP_UNION, OP_DIFF };

/* A result: distinct members, as views into the sets they came from.
 * index is an open-addressing table of positions + 1 (0: empty), kept
 * only when duplicates are possible (unions). */
struct result {
	shmrep_view *v;
	size_t n, cap;
	size_t *index;
	size_t mask;
};

static void result_push(struct result *r, const shmrep_view *m)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->v = xrealloc(r->v, r->cap, sizeof(*r->v));
	}
	r->v[r->n++] = *m;
}

static size_t result_slot(const struct result *r, const shmrep_view *m)
{
	size_t i = (size_t)shm_hash(0, m->ptr, m->len);

	for (;; i++) {
		size_t x = r->index[i & r->mask];

		if (!x || (r->v[x - 1].len == m->len &&
			   !memcmp(r->v[x - 1].ptr, m->ptr, m->len)))
			return i & r->mask;
	}
}

/* Add m unless the result has it already (unions). */
static void result_add_new(struct result *r, const shmrep_view *m)
{
	size_t i;

	if ((r->n + 1) * 2 > r->mask + 1) {
		size_t cap = r->mask ? 2 * (r->mask + 1) : 256;

		free(r->index);
		r->index = xcalloc(cap, sizeof(*r->index));
		r->mask = cap - 1;
		for (size_t k = 0; k < r->n; k++)
			r->index[result_slot(r, &r->v[k])] = k + 1;
	}
	i = result_slot(r, m);
	if (r->index[i])
		return;
	result_push(r, m);
	r->index[i] = r->n;
}

static void result_free(struct result *r)
{
	free(r->v);
	free(r->index);
}

struct operand {
	const struct shm_leaf *l; /* NULL: a missing key, an empty set */
	uint64_t card;
};

static int by_card(const void *a, const void *b)
{
	const struct operand *x = a, *y = b;

	return x->card < y->card ? -1 : x->card > y->card;
}

/* Whether any operand but the first holds e. */
static bool in_others(const struct operand *ops, int n, const shmrep_view *e)
{
	for (int j = 1; j < n; j++)
		if (ops[j].l && chash_sismember(&srv.w->view, ops[j].l, e->ptr,
						e->len) == 1)
			return true;
	return false;
}

/* Whether every operand but the first holds e. */
static bool in_all_others(const struct operand *ops, int n,
			  const shmrep_view *e)
{
	for (int j = 1; j < n; j++)
		if (ops[j].l != ops[0].l &&
		    chash_sismember(&srv.w->view, ops[j].l, e->ptr, e->len) != 1)
			return false;
	return true;
}

static void compute(struct operand *ops, int n, int op, struct result *res)
{
	bool missing = false, sameset = false;
	shmrep_iter it;
	shmrep_entry e;

	for (int j = 0; j < n; j++) {
		missing |= !ops[j].l;
		sameset |= j > 0 && ops[j].l && ops[j].l == ops[0].l;
	}
	if (op == OP_UNION) {
		for (int j = 0; j < n; j++) {
			if (!ops[j].l)
				continue;
			chash_iter(&it, &srv.w->view, ops[j].l);
			while (iter_next(&it, &e) == 1)
				result_add_new(res, &e.key);
		}
		return;
	}
	/* An intersection with an empty set is empty; so is a difference
	 * from an empty set, or from a set that is also subtracted. */
	if ((op == OP_INTER && missing) || !ops[0].l ||
	    (op == OP_DIFF && sameset))
		return;
	if (op == OP_INTER)
		qsort(ops, (size_t)n, sizeof(*ops), by_card);
	chash_iter(&it, &srv.w->view, ops[0].l);
	while (iter_next(&it, &e) == 1) {
		if (op == OP_INTER ? in_all_others(ops, n, &e.key)
				   : !in_others(ops, n, &e.key))
			result_push(res, &e.key);
	}
}

/*
 * SINTER, SUNION, SDIFF (dst < 0) and their STORE forms (argv[dst] is the
 * destination): the sets are argv[first...].  Redis 7.0 checks every
 * key's type before it computes anything, a missing key being an empty
 * set; a store replaces the destination (dropping its TTL) or deletes it
 * when the result is empty.
 */
static int algebra(struct client *c, int dst, int first, int op)
{
	int n = c->argc - first, err = 0, rc = 0;
	struct operand *ops = xcalloc((size_t)n, sizeof(*ops));
	struct result res = { 0 };

	for (int j = 0; j < n; j++) {
		int found = set_lookup(c, first + j, &ops[j].l,
				       dst >= 0 ? &err : NULL);

		if (err || found < 0) {
			free(ops);
			return err;
		}
		if (found)
			chash_len(&srv.w->view, ops[j].l, &ops[j].card);
	}
	compute(ops, n, op, &res);
	if (dst < 0) {
		resp_add_array(&c->out, (long long)res.n);
		for (size_t i = 0; i < res.n; i++)
			resp_add_bulk(&c->out, res.v[i].ptr, res.v[i].len);
	} else {
		const struct resp_arg *d = &c->argv[dst];
		uint64_t added;

		if (db_find(c, c->db, d, &err))
			rc = db_delete(c->db, d->p, d->len);
		rc = rc ? rc : err;
		if (!rc && res.n)
			rc = chash_sadd(srv.w, c->db, d->p, (uint32_t)d->len,
					res.v, res.n, &added);
		if (!rc)
			resp_add_int(&c->out, (long long)res.n);
	}
	free(ops);
	result_free(&res);
	return rc;
}

static int cmd_sinter(struct client *c)
{
	return algebra(c, -1, 1, OP_INTER);
}

static int cmd_sunion(struct client *c)
{
	return algebra(c, -1, 1, OP_UNION);
}

static int cmd_sdiff(struct client *c)
{
	return algebra(c, -1, 1, OP_DIFF);
}

static int cmd_sinterstore(struct client *c)
{
	return algebra(c, 1, 2, OP_INTER);
}

static int cmd_sunionstore(struct client *c)
{
	return algebra(c, 1, 2, OP_UNION);
}

static int cmd_sdiffstore(struct client *c)
{
	return algebra(c, 1, 2, OP_DIFF);
}

/* ----------------------------------------------------------------- SSCAN */

/* SSCAN key cursor [MATCH pattern] [COUNT count], parsed as HSCAN is. */
static int cmd_sscan(struct client *c)
{
	const struct shm_leaf *l;
	uint64_t cursor;
	int rc;

	if (!arg_cursor(c, 2, &cursor))
		return 0;
	rc = set_lookup(c, 1, &l, NULL);
	if (rc <= 0) {
		if (rc == 0)
			reply_scan(c, 0, NULL);
		return 0;
	}
	return chash_scan_reply(c, l, cursor, false);
}

#define W CMD_WRITE
#define R CMD_READONLY
#define F CMD_FAST

const struct command cmds_set[] = {
	{ "sadd", cmd_sadd, -3, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @set @fast" },
	{ "srem", cmd_srem, -3, W | F, 1, 1, 1, "write fast",
	  "@write @set @fast" },
	{ "spop", cmd_spop, -2, W | F, 1, 1, 1, "write fast",
	  "@write @set @fast" },
	{ "smove", cmd_smove, 4, W | F, 1, 2, 1, "write fast",
	  "@write @set @fast" },
	{ "sismember", cmd_sismember, 3, R | F, 1, 1, 1, "readonly fast",
	  "@read @set @fast" },
	{ "smismember", cmd_smismember, -3, R | F, 1, 1, 1, "readonly fast",
	  "@read @set @fast" },
	{ "scard", cmd_scard, 2, R | F, 1, 1, 1, "readonly fast",
	  "@read @set @fast" },
	{ "smembers", cmd_smembers, 2, R, 1, 1, 1, "readonly",
	  "@read @set @slow" },
	{ "srandmember", cmd_srandmember, -2, R, 1, 1, 1, "readonly",
	  "@read @set @slow" },
	{ "sinter", cmd_sinter, -2, R, 1, -1, 1, "readonly",
	  "@read @set @slow" },
	{ "sunion", cmd_sunion, -2, R, 1, -1, 1, "readonly",
	  "@read @set @slow" },
	{ "sdiff", cmd_sdiff, -2, R, 1, -1, 1, "readonly", "@read @set @slow" },
	{ "sinterstore", cmd_sinterstore, -3, W, 1, -1, 1, "write denyoom",
	  "@write @set @slow" },
	{ "sunionstore", cmd_sunionstore, -3, W, 1, -1, 1, "write denyoom",
	  "@write @set @slow" },
	{ "sdiffstore", cmd_sdiffstore, -3, W, 1, -1, 1, "write denyoom",
	  "@write @set @slow" },
	{ "sscan", cmd_sscan, -3, R, 1, 1, 1, "readonly", "@read @set @slow" },
	{ NULL },
};
