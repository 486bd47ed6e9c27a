/*
 * t_multi.c - transactions: MULTI, EXEC, DISCARD, WATCH and UNWATCH, with
 * Redis 7.0's semantics and replies (src/multi.c and processCommand() in
 * src/server.c were the reference; redis-server 7.0 is the oracle of
 * tests/test_diff_generic.c).
 *
 * Queueing.  After MULTI, dispatch() (server.c) hands every command that
 * passed its checks to multi_queue(), which keeps a copy of its arguments
 * and replies +QUEUED; EXEC, DISCARD, MULTI, WATCH and QUIT run at once.
 * A command rejected while queueing (unknown, wrong arity, no AUTH) marks
 * the transaction, and its EXEC then answers EXECABORT and runs nothing;
 * EXEC itself rejected (wrong arity) answers EXECABORT and discards any
 * transaction (and the watched keys) at once, in MULTI or not, as Redis.
 *
 * Atomicity.  EXEC runs the queued commands one after another, each through
 * call() as its own writer command, as Redis does: a command that fails
 * (a WRONGTYPE, or -OOM when the region is full) replies its error inside
 * EXEC's array and the others still run, and nothing is rolled back.  What
 * makes the transaction one step for readers is publication: the daemon
 * publishes only from its event loop (input gone quiet, or a batch limit
 * checked after each client command, server.c), and EXEC is one client
 * command that runs to the end before control returns there.  So all of a
 * transaction's writes land in one published version, never part of them,
 * whatever batch-max-commands says; and EXEC's reply is held until that
 * version is published, like any reply.
 *
 * WATCH.  Redis marks watching clients from every place that changes a key
 * (signalModifiedKey); shmrepd finds the changes instead of being told:
 * each watched key remembers the ref of its leaf, and around every write
 * command (multi_watch_before/after, from call()) and at EXEC the refs of
 * all watched keys are looked up again.  A key whose value or TTL changes
 * gets a new leaf, or is gone, so its ref differs; the one exception is a
 * leaf changed in place (born in the open batch, or any leaf in mutex
 * mode), which is caught by treating a watched key named by a command that
 * changed something as touched if its leaf could have been changed in
 * place.  That can mark a transaction whose key did not really change
 * (Redis would run it): the safe direction for optimistic locking, and
 * rare (it needs the key's leaf to be new in the batch, or mutex mode).
 * Comparing before each write command as well as after catches what
 * changes outside commands (active expiry), and no freed leaf can come back
 * at the same ref unnoticed: the comparison runs before any command that
 * could allocate it.  The cost is two lookups per watched key per write
 * command, paid only while some client watches.  Redis 7.0's rules for keys
 * already expired when watched are followed: such a key being deleted is
 * no change, and EXEC fails if a key that was alive when watched has
 * expired since.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <urcu/list.h>

#include "keys.h"
#include "server.h"
#include "writer.h"

/* A command waiting for EXEC: its arguments copied out of the client's
 * input buffer, which moves on. */
struct queued {
	const struct command *cmd;
	int argc;
	struct resp_arg *argv; /* the strings follow the array */
};

struct watched {
	unsigned db;
	/* Logically expired (present with a TTL in the past) when watched:
	 * Redis 7.0's wk->expired. */
	bool expired;
	shm_ref ref; /* the key's leaf when last looked at, 0 if none */
	uint32_t len;
	char *key;
};

struct multi_state {
	bool active; /* between MULTI and EXEC or DISCARD */
	bool dirty_exec; /* a command was rejected while queueing */
	bool dirty_cas; /* a watched key was touched */
	struct queued *q;
	size_t nq, qcap;
	struct watched *w;
	size_t nw, wcap;
	struct cds_list_head node; /* in watchers, while nw > 0 */
};

/* Clients that watch at least one key. */
static CDS_LIST_HEAD(watchers);

static struct multi_state *state(struct client *c)
{
	if (!c->multi) {
		c->multi = xcalloc(1, sizeof(*c->multi));
		CDS_INIT_LIST_HEAD(&c->multi->node);
	}
	return c->multi;
}

static bool in_multi(const struct client *c)
{
	return c->multi && c->multi->active;
}

/* ------------------------------------------------------------- watching */

static void unwatch_all(struct multi_state *m)
{
	for (size_t i = 0; i < m->nw; i++)
		free(m->w[i].key);
	m->nw = 0;
	if (!cds_list_empty(&m->node))
		cds_list_del_init(&m->node);
}

/* The leaf of key in db (expired or not), as a ref; 0 if none. */
static shm_ref leaf_ref(unsigned db, const void *key, uint32_t len,
			const struct shm_leaf **out)
{
	const struct shm_leaf *l;

	*out = NULL;
	if (keys_find(srv.w, db, key, len, &l))
		return 0;
	*out = l;
	return (shm_ref)(((const uint8_t *)l - srv.w->base) >> SHM_UNIT_SHIFT);
}

static bool expired_now(const struct shm_leaf *l)
{
	return l && shm_leaf_expired(l, server_now_ms());
}

/*
 * Watched key e changed (its leaf is now l at ref now): Redis 7.0's
 * touchWatchedKey() and, for SWAPDB and the flushes,
 * touchAllWatchedKeysInDb().  A key that was logically absent (missing,
 * or already expired when watched) and still is has not changed; else
 * the transaction is dirty, and there is no point in watching any more.
 * Returns false if m stopped watching.
 */
static bool touch(struct multi_state *m, struct watched *e, shm_ref now,
		  const struct shm_leaf *l)
{
	bool absent_now = !now || expired_now(l);

	if (e->expired && absent_now) {
		e->expired = now != 0;
		e->ref = now;
		return true;
	}
	if (!e->expired && !e->ref && now && absent_now) {
		e->expired = true; /* a missing key became an expired one */
		e->ref = now;
		return true;
	}
	m->dirty_cas = true;
	unwatch_all(m);
	return false;
}

/* Whether c's command names e's key (in e's db) as one of its keys, by
 * the key positions of the command table. */
static bool names_key(const struct client *c, const struct watched *e)
{
	const struct command *cmd = c->cmd;
	int first = cmd->first_key, last = cmd->last_key, step = cmd->key_step;

	if (e->db != c->db)
		return false;
	if (first <= 0) { /* keys anywhere (movable keys): any argument */
		first = 1;
		last = -1;
		step = 1;
	}
	if (last < 0)
		last += c->argc;
	if (step <= 0)
		step = 1;
	for (int i = first; i <= last && i < c->argc; i += step)
		if (c->argv[i].len == e->len &&
		    memcmp(c->argv[i].p, e->key, e->len) == 0)
			return true;
	return false;
}

/*
 * Look every key m watches up again; touch those whose leaf changed.  With
 * c (after c's command, which changed something), also those c names whose
 * leaf could have been changed in place.
 */
static void recheck(struct multi_state *m, const struct client *c)
{
	for (size_t i = 0; i < m->nw; i++) {
		struct watched *e = &m->w[i];
		const struct shm_leaf *l;
		shm_ref now = leaf_ref(e->db, e->key, e->len, &l);
		bool touched = now != e->ref;

		if (!touched && now && c && shm_wr_born(srv.w, now) &&
		    names_key(c, e))
			touched = true;
		if (!touched)
			continue;
		if (!touch(m, e, now, l))
			return;
	}
}

void multi_watch_before(struct client *c)
{
	struct multi_state *m, *tmp;

	(void)c;
	cds_list_for_each_entry_safe(m, tmp, &watchers, node)
		recheck(m, NULL);
}

void multi_watch_after(struct client *c)
{
	struct shm_writer *w = srv.w;
	struct multi_state *m, *tmp;
	bool changed;

	if (cds_list_empty(&watchers))
		return;
	changed = w->undo_recs.n || w->cmd_allocs.n || w->cmd_drops.n;
	cds_list_for_each_entry_safe(m, tmp, &watchers, node)
		recheck(m, changed ? c : NULL);
}

/* Redis 7.0's isWatchedKeyExpired(): a key alive when watched that has
 * expired since (and is still there) fails the transaction. */
static bool watched_expired(const struct multi_state *m)
{
	for (size_t i = 0; i < m->nw; i++) {
		const struct watched *e = &m->w[i];
		const struct shm_leaf *l;

		if (!e->expired && leaf_ref(e->db, e->key, e->len, &l) &&
		    expired_now(l))
			return true;
	}
	return false;
}

static void watch_key(struct multi_state *m, unsigned db,
		      const struct resp_arg *k)
{
	const struct shm_leaf *l;
	struct watched *e;

	for (size_t i = 0; i < m->nw; i++)
		if (m->w[i].db == db && m->w[i].len == k->len &&
		    memcmp(m->w[i].key, k->p, k->len) == 0)
			return;
	if (k->len > SHM_MAX_KEY)
		return; /* cannot exist, so cannot change */
	if (m->nw == m->wcap) {
		m->wcap = m->wcap ? m->wcap * 2 : 8;
		m->w = xrealloc(m->w, m->wcap, sizeof(*m->w));
	}
	e = &m->w[m->nw];
	e->key = xmalloc(k->len);
	memcpy(e->key, k->p, k->len);
	e->len = (uint32_t)k->len;
	e->db = db;
	e->ref = leaf_ref(db, k->p, e->len, &l);
	e->expired = expired_now(l);
	if (m->nw++ == 0)
		cds_list_add_tail(&m->node, &watchers);
}

/* --------------------------------------------------------------- queueing */

static void queue_free(struct multi_state *m)
{
	for (size_t i = 0; i < m->nq; i++)
		free(m->q[i].argv);
	m->nq = 0;
}

/* Back to no transaction: Redis's discardTransaction(). */
static void discard(struct multi_state *m)
{
	queue_free(m);
	m->active = false;
	m->dirty_exec = false;
	m->dirty_cas = false;
	unwatch_all(m);
}

static int cmd_exec(struct client *c);
static int cmd_discard(struct client *c);
static int cmd_multi(struct client *c);
static int cmd_watch(struct client *c);

bool multi_queue(struct client *c)
{
	const struct command *cmd = c->cmd;
	struct multi_state *m = c->multi;
	struct queued *q;
	size_t bytes = 0;
	char *p;

	if (!in_multi(c) || cmd->proc == cmd_exec || cmd->proc == cmd_discard ||
	    cmd->proc == cmd_multi || cmd->proc == cmd_watch ||
	    strcmp(cmd->name, "quit") == 0)
		return false;
	for (int i = 0; i < c->argc; i++)
		bytes += c->argv[i].len;
	if (m->nq == m->qcap) {
		m->qcap = m->qcap ? m->qcap * 2 : 8;
		m->q = xrealloc(m->q, m->qcap, sizeof(*m->q));
	}
	q = &m->q[m->nq++];
	q->cmd = cmd;
	q->argc = c->argc;
	q->argv = xmalloc((size_t)c->argc * sizeof(*q->argv) + bytes);
	p = (char *)(q->argv + c->argc);
	for (int i = 0; i < c->argc; i++) {
		memcpy(p, c->argv[i].p, c->argv[i].len);
		q->argv[i].p = p;
		q->argv[i].len = c->argv[i].len;
		p += c->argv[i].len;
	}
	resp_add_simple(&c->out, "QUEUED");
	return true;
}

void multi_rejected(struct client *c, size_t mark)
{
	struct multi_state *m = c->multi;
	const char *err;
	size_t len;

	if (in_multi(c))
		m->dirty_exec = true; /* Redis's flagTransaction() */
	if (!c->cmd || c->cmd->proc != cmd_exec)
		return;
	/* EXEC itself rejected, in a transaction or not: Redis's
	 * execCommandAbort() discards any transaction and says why, from the
	 * error without its code. */
	err = c->out.buf + mark + 1;
	len = c->out.len - mark - 3;
	if (len >= 4 && memcmp(err, "ERR ", 4) == 0) {
		err += 4;
		len -= 4;
	}
	{
		char why[512];

		snprintf(why, sizeof(why), "%.*s", (int)len, err);
		c->out.len = mark;
		resp_add_errorf(&c->out,
				"EXECABORT Transaction discarded because of: %s",
				why);
	}
	if (m)
		discard(m);
}

void multi_client_free(struct client *c)
{
	struct multi_state *m = c->multi;

	if (!m)
		return;
	discard(m);
	free(m->q);
	free(m->w);
	free(m);
	c->multi = NULL;
}

/* --------------------------------------------------------------- commands */

static int cmd_multi(struct client *c)
{
	struct multi_state *m = state(c);

	if (m->active) {
		resp_add_error(&c->out, "ERR MULTI calls can not be nested");
		return 0;
	}
	m->active = true;
	reply_ok(c);
	return 0;
}

static int cmd_discard(struct client *c)
{
	if (!in_multi(c)) {
		resp_add_error(&c->out, "ERR DISCARD without MULTI");
		return 0;
	}
	discard(c->multi);
	reply_ok(c);
	return 0;
}

/*
 * Run the queued commands, each as a command of its own (call()), their
 * replies in one array.  Nothing can publish until EXEC returns (top of
 * the file), so the transaction is published whole.
 */
static int cmd_exec(struct client *c)
{
	struct multi_state *m = c->multi;
	struct queued *q;
	size_t nq;
	int argc = c->argc;
	struct resp_arg *argv = c->argv;
	const struct command *cmd = c->cmd;

	if (!in_multi(c)) {
		resp_add_error(&c->out, "ERR EXEC without MULTI");
		return 0;
	}
	/* Changes since the last write command (active expiry), and keys
	 * that expired while watched. */
	recheck(m, NULL);
	if (!m->dirty_cas && watched_expired(m))
		m->dirty_cas = true;
	if (m->dirty_exec || m->dirty_cas) {
		if (m->dirty_exec)
			resp_add_error(&c->out,
				       "EXECABORT Transaction discarded because of previous errors.");
		else
			resp_add_null_array(&c->out);
		discard(m);
		return 0;
	}
	unwatch_all(m);
	/* The queue leaves the state first: a queued command sees no
	 * transaction, and may even start watching again (it cannot). */
	q = m->q;
	nq = m->nq;
	m->q = NULL;
	m->nq = m->qcap = 0;
	m->active = false;
	resp_add_array(&c->out, (long long)nq);
	for (size_t i = 0; i < nq; i++) {
		c->argc = q[i].argc;
		c->argv = q[i].argv;
		c->cmd = q[i].cmd;
		srv.stat_commands++;
		c->cmds++;
		call(c);
	}
	c->argc = argc;
	c->argv = argv;
	c->cmd = cmd;
	for (size_t i = 0; i < nq; i++)
		free(q[i].argv);
	free(q);
	return 0;
}

static int cmd_watch(struct client *c)
{
	struct multi_state *m;

	if (in_multi(c)) {
		resp_add_error(&c->out,
			       "ERR WATCH inside MULTI is not allowed");
		return 0;
	}
	m = state(c);
	/* No point in watching once a watched key has changed. */
	if (!m->dirty_cas)
		for (int i = 1; i < c->argc; i++)
			watch_key(m, c->db, &c->argv[i]);
	reply_ok(c);
	return 0;
}

static int cmd_unwatch(struct client *c)
{
	if (c->multi) {
		unwatch_all(c->multi);
		c->multi->dirty_cas = false;
	}
	reply_ok(c);
	return 0;
}

#define MF (CMD_FAST | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)

const struct command cmds_multi[] = {
	{ "multi", cmd_multi, 1, MF, 0, 0, 0,
	  "noscript loading stale fast allow_busy", "@fast @transaction" },
	{ "exec", cmd_exec, 1, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	  "noscript loading stale skip_slowlog", "@slow @transaction" },
	{ "discard", cmd_discard, 1, MF, 0, 0, 0,
	  "noscript loading stale fast allow_busy", "@fast @transaction" },
	{ "watch", cmd_watch, -2, MF, 1, -1, 1,
	  "noscript loading stale fast allow_busy", "@fast @transaction" },
	{ "unwatch", cmd_unwatch, 1, MF, 0, 0, 0,
	  "noscript loading stale fast allow_busy", "@fast @transaction" },
	{ NULL },
};
