/*
 * test_diff_generic.c - differential test of the commands that work on
 * keys of any type (RENAME, RENAMENX, MOVE, COPY, SWAPDB), transactions
 * (MULTI, EXEC, DISCARD, WATCH, UNWATCH) and DEBUG DIGEST / DIGEST-VALUE:
 * redis-server 7.0 is the oracle (tests/util/tu_diff.h).
 *
 * The oracle runs with enable-debug-command, so that DEBUG DIGEST can be
 * compared: Redis's digest of a whole dataset (every key, value, element,
 * score, and whether a TTL is set), which makes a single reply the proof
 * that two datasets are the same.  The tests:
 *
 * - fixed_list: each command's errors and edge cases, on strings and on
 *   hashes, sets, sorted sets and lists both small and large ("@CMD KEY
 *   PREFIX N" builds a value of N elements), with DIGEST after each group;
 * - random_runs: seeded runs over 12 keys in databases 0..2, mixing the
 *   type commands (values grow past the packing limits now and then) with
 *   the generic ones, MULTI blocks (some with errors, some discarded, some
 *   under WATCH), DIGEST-VALUE, and DIGEST every few commands; each run
 *   ends with DIGEST and a comparison of the whole dataset;
 * - watch_two_clients: WATCH scenarios that need a second client (another
 *   client's change, FLUSHDB, SWAPDB, MOVE and COPY into a watched key,
 *   expiry while watched, keys already expired when watched);
 * - restart_keeps_digest: large values of every type, then shmrepd is
 *   restarted (its takeover copies the region) and DIGEST must still be
 *   Redis's;
 * - exec_is_one_version: with batch-max-commands 1, a reader thread of
 *   libshmrep must never see half of a transaction, and an EXEC of many
 *   writes publishes exactly one version.
 *
 * SHMREP_SEED, SHMREP_DIFF_RUNS, SHMREP_DIFF_CMDS, SHMREP_DIFF_KEEPGOING
 * and SHMREP_DIFF_TRACE work as for test_diff.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "shmrep.h"
#include "testutil.h"
#include "tu_diff.h"

#define NDBS 16
#define DEFAULT_RUNS 6
#define DEFAULT_CMDS 3000

/* ------------------------------------------------------------ commands */

/*
 * A line of the fixed list: the escaped notation of tu_diff.h, or
 * "@CMD KEY PREFIX N": CMD KEY with N elements PREFIX0..PREFIX<N-1>, each
 * preceded by its index as a score for ZADD and followed by it as a value
 * for HSET.
 */
static void make_line(struct tu_cmd *c, const char *line)
{
	char name[16], key[64], prefix[64];
	int n;

	if (line[0] != '@') {
		tu_cmd_line(c, line);
		c->how = tu_diff_cmp_for(c);
		return;
	}
	if (sscanf(line + 1, "%15s %63s %63s %d", name, key, prefix, &n) != 4)
		abort();
	tu_cmd_reset(c);
	tu_cmd_str(c, name);
	tu_cmd_str(c, key);
	for (int i = 0; i < n; i++) {
		if (!strcasecmp(name, "zadd"))
			tu_cmd_fmt(c, "%d", i % 37);
		tu_cmd_fmt(c, "%s%d", prefix, i);
		if (!strcasecmp(name, "hset"))
			tu_cmd_fmt(c, "%d", i);
	}
}

static bool run_line(struct tu_diff *d, const char *line)
{
	struct tu_cmd *c = malloc(sizeof(*c));
	bool ok;

	if (!c)
		abort();
	make_line(c, line);
	ok = tu_diff_run(d, c);
	free(c);
	return ok;
}

/* ----------------------------------------------------------- fixed list */

static const char *const fixed[] = {
	"FLUSHALL", "DEBUG DIGEST",
	/* values of every type, small and large, some with TTLs */
	"SET s v EX 1000", "HSET h f1 v1 f2 v2", "SADD st a b c",
	"ZADD z 1 a 2 b 3 c", "RPUSH l a b c", "@HSET H f 200",
	"@SADD S m 200", "@ZADD Z m 200", "@RPUSH L e 200", "EXPIRE H 1000",
	"EXPIRE Z 1000", "SADD Sl ~R70,x y", "RPUSH Ll ~R70,x y",
	"DEBUG DIGEST", "DEBUG DIGEST-VALUE s h st z l H S Z L Sl Ll nope",
	/* RENAME RENAMENX */
	"RENAME h h2", "TYPE h", "HGETALL h2", "RENAME H H2", "TTL H2",
	"HLEN H2", "HGET H2 f150", "RENAME S S2", "SCARD S2",
	"SISMEMBER S2 m199", "RENAME Z Z2", "ZRANGE Z2 0 5 WITHSCORES",
	"ZSCORE Z2 m100", "TTL Z2", "RENAME L L2", "LRANGE L2 0 5",
	"LINDEX L2 150", "RENAMENX H2 S2", "RENAMENX H2 H3", "TTL H3",
	"RENAME S2 L2", "TYPE L2", "SCARD L2", "RENAME L2 L2",
	"RENAMENX L2 L2", "RENAME nope x", "RENAMENX nope x", "RENAME Sl Ll",
	"SMEMBERS Ll", "HSET H3 f0 changed", "HGET H3 f0",
	"ZADD Z2 1000 m0", "ZRANGE Z2 -3 -1 WITHSCORES", "RPUSH L2 tail",
	"DEBUG DIGEST",
	/* MOVE */
	"MOVE H3 1", "EXISTS H3", "SELECT 1", "HLEN H3", "TTL H3",
	"MOVE H3 0", "SELECT 0", "HLEN H3", "MOVE Z2 1", "MOVE Z2 1",
	"SELECT 1", "ZCARD Z2", "TTL Z2", "SET z x", "MOVE z 0", "SELECT 0",
	"MOVE z 0", "MOVE z 16", "MOVE z -1", "MOVE z x", "MOVE z 1.5",
	"MOVE z 4294967296", "MOVE z 2147483648", "MOVE z", "MOVE nope 1",
	"MOVE l 2", "SELECT 2", "LRANGE l 0 -1", "SELECT 0", "DEBUG DIGEST",
	/* COPY */
	"COPY h2 hc", "HGETALL hc", "COPY H3 Hc", "HLEN Hc", "TTL Hc",
	"HSET Hc new 1", "HLEN H3", "HLEN Hc", "DEL H3", "HLEN Hc",
	"HGET Hc f199", "COPY L2 Lc DB 2", "SELECT 2", "SCARD Lc",
	"SELECT 0", "COPY st L2", "COPY st L2 REPLACE", "TYPE L2",
	"SMEMBERS L2", "COPY st st", "COPY st st DB 0", "COPY st st DB 1",
	"SELECT 1", "SMEMBERS st", "SELECT 0", "COPY nope x", "COPY st x DB",
	"COPY st x DB 16", "COPY st x DB -1", "COPY st x DB abc",
	"COPY st x DB 4294967296", "COPY st x FOO", "COPY st x REPLACE FOO",
	"COPY st x REPLACE REPLACE", "COPY st x DB 1 DB 0", "SMEMBERS x",
	"COPY st x db 16 FOO", "COPY st x FOO db 16", "COPY z zc",
	"ZRANGE zc 0 -1 WITHSCORES", "SELECT 1", "COPY Z2 Zc DB 0",
	"DEL Z2", "SELECT 0", "ZRANGE Zc 0 -1 WITHSCORES", "TTL Zc",
	"ZADD Zc 5 newm", "ZCARD Zc", "COPY s sc", "TTL sc", "GET sc",
	"COPY", "COPY a", "DEBUG DIGEST",
	/* SWAPDB */
	"SWAPDB 0 1", "DBSIZE", "SELECT 1", "DBSIZE", "SELECT 0",
	"SWAPDB 0 0", "SWAPDB 0", "SWAPDB 0 1 2", "SWAPDB 0 16",
	"SWAPDB 16 0", "SWAPDB a 0", "SWAPDB 0 a", "SWAPDB -1 0",
	"SWAPDB 0 4294967296", "SWAPDB 4294967296 a", "SWAPDB 1.5 0",
	"SWAPDB 0 ~e", "SWAPDB 1 0", "SWAPDB 2 15", "DEBUG DIGEST",
	"SWAPDB 15 2",
	/* MULTI EXEC DISCARD */
	"MULTI", "MULTI", "SET m 1", "INCR m", "LPUSH m x", "GET m", "EXEC",
	"EXEC", "DISCARD", "MULTI", "SET m 2", "DISCARD", "GET m", "MULTI",
	"NOPE", "SET m 3", "EXEC", "GET m", "MULTI", "GET", "SET m 4",
	"EXEC", "GET m", "MULTI", "EXEC x", "EXEC", "MULTI", "DISCARD x",
	"EXEC", "MULTI", "WATCH m", "EXEC", "MULTI", "EXEC", "MULTI",
	"UNWATCH", "SELECT 16", "SELECT 1", "SET inb1 1", "SELECT 0", "EXEC",
	"EXISTS inb1", "SELECT 1", "EXISTS inb1", "SELECT 0", "MULTI",
	"RENAME Hc H4", "MOVE H4 2", "COPY Zc Zd", "SWAPDB 1 2",
	"DEBUG DIGEST", "DEBUG DIGEST-VALUE Zd Hc", "EXEC", "MULTI",
	"MOVE m 16", "COPY m m", "HSET m f v", "EXEC", "MULTI", "MULTI x",
	"EXEC", "MULTI", "GET m", "~e", "EXEC",
	/* WATCH UNWATCH, one client */
	"WATCH m", "SET m 5", "MULTI", "GET m", "EXEC", "WATCH m", "MULTI",
	"GET m", "EXEC", "WATCH m nope", "DEL nope", "MULTI", "GET m",
	"EXEC", "WATCH m", "UNWATCH", "SET m 6", "MULTI", "GET m", "EXEC",
	"WATCH m", "MULTI", "DISCARD", "SET m 7", "MULTI", "GET m", "EXEC",
	"WATCH m", "SET m 8", "WATCH m", "MULTI", "EXEC", "WATCH Zc",
	"ZADD Zc 5 newm", "MULTI", "ZCARD Zc", "EXEC", "WATCH Zc",
	"ZADD Zc 6 newm", "MULTI", "ZCARD Zc", "EXEC", "WATCH", "UNWATCH x",
	"MULTI x", "EXEC x", "DISCARD x", "DEBUG DIGEST",
	/* DEBUG */
	"DEBUG", "DEBUG FOO", "DEBUG FOO bar", "DEBUG DIGEST x",
	"DEBUG digest", "dEbUg Digest-Value", "DEBUG DIGEST-VALUE ~e",
	"DEBUG SLEEP 0", "DEBUG digest~0x", "DEBUG ~R200,x",
	"ZADD zs 0.1 a 1e300 c inf d -inf e 3.5 f 1.0000000000000002 g",
	"DEBUG DIGEST-VALUE zs", "SET e ~e", "SADD se ~e", "HSET he ~e ~e",
	"RPUSH le ~e", "DEBUG DIGEST-VALUE e se he le",
	"SET b ~B", "DEBUG DIGEST-VALUE b", "SET k1 v", "SET k2 v",
	"EXPIRE k2 1000", "DEBUG DIGEST-VALUE k1 k2 k1", "DEBUG DIGEST",
	NULL,
};

/* ------------------------------------------------------------ generator */

#define NKEYS 12
static const char *const key_pool[NKEYS] = {
	"k0", "k1", "k2", "k3", "k4", "k5", "a~0b", "~e", "h", "s", "z", "l",
};

struct gen {
	uint64_t rng;
	struct tu_cmd *c;
	bool in_multi;
	unsigned queued;
};

static void key(struct gen *g)
{
	tu_cmd_str(g->c, key_pool[tu_rnd(&g->rng, NKEYS)]);
}

/* An element: mostly from a pool of 300 (more than a packed value
 * holds), sometimes longer than a packed element may be. */
static void elem(struct gen *g)
{
	if (tu_chance(&g->rng, 3))
		tu_cmd_fmt(g->c, "long-%070llu", (unsigned long long)tu_rnd(&g->rng, 5));
	else
		tu_cmd_fmt(g->c, "m%llu", (unsigned long long)tu_rnd(&g->rng, 300));
}

/* How many elements a write adds: a few, or a burst past the limit. */
static unsigned count(struct gen *g)
{
	if (tu_chance(&g->rng, 4))
		return 60 + (unsigned)tu_rnd(&g->rng, 100);
	return 1 + (unsigned)tu_rnd(&g->rng, 4);
}

static void dbarg(struct gen *g)
{
	static const char *const bad[] = { "16", "-1", "x", "4294967296",
					   "1.5", "~e" };

	if (tu_chance(&g->rng, 8))
		tu_cmd_str(g->c, bad[tu_rnd(&g->rng, sizeof(bad) / sizeof(bad[0]))]);
	else
		tu_cmd_fmt(g->c, "%d", (int)tu_rnd(&g->rng, 3));
}

/* A write that builds values: the type commands. */
static void gen_typed(struct gen *g)
{
	struct tu_cmd *c = g->c;
	unsigned n = count(g);

	switch (tu_rnd(&g->rng, 6)) {
	case 0:
		tu_cmd_str(c, "HSET");
		key(g);
		for (unsigned i = 0; i < n; i++) {
			elem(g);
			tu_cmd_fmt(c, "v%llu", (unsigned long long)tu_rnd(&g->rng, 10));
		}
		break;
	case 1:
		tu_cmd_str(c, "SADD");
		key(g);
		for (unsigned i = 0; i < n; i++)
			elem(g);
		break;
	case 2:
		tu_cmd_str(c, "ZADD");
		key(g);
		for (unsigned i = 0; i < n; i++) {
			if (tu_chance(&g->rng, 10))
				tu_cmd_fmt(c, "%.3f", (double)tu_rnd(&g->rng, 1000) / 7);
			else
				tu_cmd_fmt(c, "%d", (int)tu_rnd(&g->rng, 20) - 5);
			elem(g);
		}
		break;
	case 3:
		tu_cmd_str(c, tu_chance(&g->rng, 50) ? "RPUSH" : "LPUSH");
		key(g);
		for (unsigned i = 0; i < n; i++)
			elem(g);
		break;
	case 4:
		tu_cmd_str(c, "SET");
		key(g);
		tu_cmd_fmt(c, "v%llu", (unsigned long long)tu_rnd(&g->rng, 100));
		break;
	default: /* shrink a value */
		switch (tu_rnd(&g->rng, 4)) {
		case 0:
			tu_cmd_str(c, "HDEL");
			break;
		case 1:
			tu_cmd_str(c, "SREM");
			break;
		case 2:
			tu_cmd_str(c, "ZREM");
			break;
		default:
			tu_cmd_str(c, "LREM");
			key(g);
			tu_cmd_str(c, "0");
			elem(g);
			return;
		}
		key(g);
		for (unsigned i = 0; i < 1 + tu_rnd(&g->rng, 20); i++)
			elem(g);
		break;
	}
}

/* A read whose reply does not depend on an encoding's order. */
static void gen_read(struct gen *g)
{
	static const char *const reads[] = {
		"TYPE", "EXISTS", "TTL", "HLEN", "SCARD", "ZCARD", "LLEN",
	};

	switch (tu_rnd(&g->rng, 4)) {
	case 0:
		tu_cmd_str(g->c, "ZRANGE");
		key(g);
		tu_cmd_str(g->c, "0");
		tu_cmd_str(g->c, "-1");
		tu_cmd_str(g->c, "WITHSCORES");
		break;
	case 1:
		tu_cmd_str(g->c, "LRANGE");
		key(g);
		tu_cmd_str(g->c, "0");
		tu_cmd_str(g->c, "-1");
		break;
	case 2:
		tu_cmd_str(g->c, "DEBUG");
		tu_cmd_str(g->c, "DIGEST-VALUE");
		for (unsigned i = 0; i < 1 + tu_rnd(&g->rng, 4); i++)
			key(g);
		break;
	default:
		tu_cmd_str(g->c,
			   reads[tu_rnd(&g->rng, sizeof(reads) / sizeof(reads[0]))]);
		key(g);
		break;
	}
}

/* The commands under test. */
static void gen_generic(struct gen *g)
{
	struct tu_cmd *c = g->c;

	switch (tu_rnd(&g->rng, 11)) {
	case 0:
	case 1:
		tu_cmd_str(c, tu_chance(&g->rng, 70) ? "RENAME" : "RENAMENX");
		key(g);
		key(g);
		break;
	case 2:
	case 3:
		tu_cmd_str(c, "MOVE");
		key(g);
		dbarg(g);
		break;
	case 4:
	case 5:
		tu_cmd_str(c, "COPY");
		key(g);
		key(g);
		if (tu_chance(&g->rng, 50)) {
			tu_cmd_str(c, "DB");
			dbarg(g);
		}
		if (tu_chance(&g->rng, 40))
			tu_cmd_str(c, "REPLACE");
		if (tu_chance(&g->rng, 3))
			tu_cmd_str(c, "FOO");
		break;
	case 6:
		tu_cmd_str(c, "SWAPDB");
		dbarg(g);
		dbarg(g);
		break;
	case 7:
		tu_cmd_str(c, "SELECT");
		tu_cmd_fmt(c, "%d", (int)tu_rnd(&g->rng, 3));
		break;
	case 8:
		tu_cmd_str(c, tu_chance(&g->rng, 50) ? "EXPIRE" : "PERSIST");
		key(g);
		if (c->argv[0][0] == 'E')
			tu_cmd_fmt(c, "%d", 1000 + (int)tu_rnd(&g->rng, 100000));
		break;
	case 9:
		tu_cmd_str(c, "DEL");
		key(g);
		break;
	default:
		if (tu_chance(&g->rng, 10)) {
			tu_cmd_str(c, "FLUSHDB");
		} else {
			tu_cmd_str(c, "DEBUG");
			tu_cmd_str(c, "DIGEST");
		}
		break;
	}
}

/* The next command, transactions included. */
static void gen_cmd(struct gen *g)
{
	struct tu_cmd *c = g->c;
	unsigned r = (unsigned)tu_rnd(&g->rng, 100);

	tu_cmd_reset(c);
	if (g->in_multi && (g->queued > 6 || r < 12)) {
		r = (unsigned)tu_rnd(&g->rng, 100);
		tu_cmd_str(c, r < 80 ? "EXEC" : r < 90 ? "DISCARD"
				       : r < 95 ? "MULTI" : "WATCH");
		if (r >= 95)
			key(g);
		if (r < 90) {
			g->in_multi = false;
			g->queued = 0;
		}
		return;
	}
	if (!g->in_multi && r < 4) {
		tu_cmd_str(c, "MULTI");
		g->in_multi = true;
		return;
	}
	if (!g->in_multi && r < 7) {
		tu_cmd_str(c, "WATCH");
		for (unsigned i = 0; i < 1 + tu_rnd(&g->rng, 3); i++)
			key(g);
		return;
	}
	if (r < 8) {
		tu_cmd_str(c, tu_chance(&g->rng, 70) ? "UNWATCH" : "NOSUCHCMD");
		return;
	}
	if (g->in_multi)
		g->queued++;
	r = (unsigned)tu_rnd(&g->rng, 100);
	if (r < 40)
		gen_typed(g);
	else if (r < 55 && !g->in_multi)
		gen_read(g);
	else
		gen_generic(g);
}

/* One seeded run of ncmds commands from an empty dataset. */
static bool run_random(struct tu_diff *d, uint64_t seed, long ncmds,
		       void *unused __attribute__((unused)))
{
	struct gen g = { .rng = seed, .c = malloc(sizeof(struct tu_cmd)) };
	bool ok;

	if (!g.c)
		abort();
	d->seed = seed;
	d->cmdno = 0;
	ok = run_line(d, "FLUSHALL") && run_line(d, "SELECT 0") &&
	     run_line(d, "UNWATCH");
	while (ok && d->cmdno < ncmds) {
		gen_cmd(&g);
		g.c->how = tu_diff_cmp_for(g.c);
		ok = tu_diff_run(d, g.c);
	}
	if (ok && g.in_multi)
		ok = run_line(d, "DISCARD");
	if (ok)
		ok = tu_diff_compare_datasets(d, NDBS, true);
	free(g.c);
	return ok;
}

/* ----------------------------------------------------- two clients each */

/*
 * A scenario of steps by client A or B ("A WATCH k"), run on both servers
 * with two connections to each; every reply compared.  "SLEEP ms" waits.
 */
static bool run_scenario(struct tu_diff *d, struct tu_conn *extra,
			 const char *const *steps)
{
	struct tu_cmd *c = malloc(sizeof(*c));
	struct tu_buf rep[2] = { { 0 } };
	bool ok = true;

	if (!c)
		abort();
	for (int i = 0; steps[i] && ok; i++) {
		const char *line = steps[i];

		if (!strncmp(line, "SLEEP ", 6)) {
			tu_sleep_ms((unsigned)atoi(line + 6));
			continue;
		}
		make_line(c, line + 2);
		d->cmdno++;
		for (int side = 0; side < 2 && ok; side++) {
			if (line[0] == 'A')
				ok = tu_diff_call(d, side, c, &rep[side]);
			else
				ok = tu_conn_call(&extra[side], c->argc,
						  c->argv, c->lens,
						  &rep[side]) == 0;
		}
		if (ok && (rep[0].len != rep[1].len ||
			   memcmp(rep[0].p, rep[1].p, rep[0].len)))
			ok = tu_diff_mismatch(d, c, steps[0], rep[0].p,
					      rep[0].len, rep[1].p,
					      rep[1].len);
	}
	tu_buf_free(&rep[0]);
	tu_buf_free(&rep[1]);
	free(c);
	return ok;
}

/* Each scenario starts clean: its first line names it (a no-op PING). */
static const char *const *const scenarios[] = {
	(const char *const[]){ "A PING other-client-set", "A WATCH k",
			       "B SET k 1", "A MULTI", "A PING", "A EXEC",
			       NULL },
	(const char *const[]){ "A PING del-of-missing", "A WATCH k",
			       "B DEL k", "A MULTI", "A PING", "A EXEC", NULL },
	(const char *const[]){ "A PING flushdb-missing", "A WATCH k",
			       "B FLUSHDB", "A MULTI", "A PING", "A EXEC",
			       NULL },
	(const char *const[]){ "A PING flushdb-present", "B SET k 1",
			       "A WATCH k", "B FLUSHDB", "A MULTI", "A PING",
			       "A EXEC", NULL },
	(const char *const[]){ "A PING flushall-elsewhere", "B SELECT 1",
			       "B SET k 1", "A WATCH k", "B FLUSHALL",
			       "A MULTI", "A PING", "A EXEC", NULL },
	(const char *const[]){ "A PING swapdb-in", "B SELECT 1", "B SET k 1",
			       "A WATCH k", "B SWAPDB 0 1", "A MULTI",
			       "A PING", "A EXEC", NULL },
	(const char *const[]){ "A PING swapdb-both-missing", "A WATCH k",
			       "B SWAPDB 0 1", "A MULTI", "A PING", "A EXEC",
			       NULL },
	(const char *const[]){ "A PING other-db", "A WATCH k", "B SELECT 1",
			       "B SET k 1", "A MULTI", "A PING", "A EXEC",
			       NULL },
	(const char *const[]){ "A PING sadd-nothing-new", "B SADD k x",
			       "A WATCH k", "B SADD k x", "A MULTI", "A PING",
			       "A EXEC", NULL },
	(const char *const[]){ "A PING large-in-place", "B @HSET k f 200",
			       "A WATCH k", "B HSET k f1 changed", "A MULTI",
			       "A PING", "A EXEC", NULL },
	(const char *const[]){ "A PING wrongtype", "B SET k 1", "A WATCH k",
			       "B SADD k x", "A MULTI", "A PING", "A EXEC",
			       NULL },
	(const char *const[]){ "A PING rename-into", "B SET j 1", "A WATCH k",
			       "B RENAME j k", "A MULTI", "A PING", "A EXEC",
			       NULL },
	(const char *const[]){ "A PING move-out", "B SET k 1", "A WATCH k",
			       "B MOVE k 1", "A MULTI", "A PING", "A EXEC",
			       NULL },
	(const char *const[]){ "A PING move-in", "B SELECT 1", "B SET k 1",
			       "A WATCH k", "B MOVE k 0", "A MULTI", "A PING",
			       "A EXEC", NULL },
	(const char *const[]){ "A PING copy-into-other-db", "B SET j 1",
			       "A SELECT 2", "A WATCH k", "B COPY j k DB 2",
			       "A MULTI", "A PING", "A EXEC", NULL },
	(const char *const[]){ "A PING other-exec", "A WATCH k", "B MULTI",
			       "B SET k 2", "B EXEC", "A MULTI", "A PING",
			       "A EXEC", NULL },
	(const char *const[]){ "A PING expires-while-watched",
			       "B SET k 1 PX 30", "A WATCH k", "SLEEP 60",
			       "A MULTI", "A PING", "A EXEC", NULL },
	(const char *const[]){ "A PING expired-then-set", "B SET k 1 PX 1",
			       "SLEEP 10", "A WATCH k", "B SET k 2", "A MULTI",
			       "A PING", "A EXEC", NULL },
	(const char *const[]){ "A PING expired-then-del", "B SET k 1 PX 1",
			       "SLEEP 10", "A WATCH k", "B DEL k", "A MULTI",
			       "A PING", "A EXEC", NULL },
	(const char *const[]){ "A PING expired-untouched", "B SET k 1 PX 1",
			       "SLEEP 10", "A WATCH k", "A MULTI", "A PING",
			       "A EXEC", NULL },
	(const char *const[]){ "A PING discard-unwatches", "A WATCH k",
			       "A MULTI", "A DISCARD", "B SET k 1", "A MULTI",
			       "A PING", "A EXEC", NULL },
	(const char *const[]){ "A PING watch-several", "A WATCH k j k",
			       "B SET j 1", "A MULTI", "A PING", "A EXEC",
			       NULL },
};

static void test_watch_two_clients(void)
{
	struct tu_daemon r, s;
	struct tu_diff d;
	struct tu_conn extra[2] = { { .who = "redis-server B", .fd = -1 },
				    { .who = "shmrepd B", .fd = -1 } };
	size_t n = sizeof(scenarios) / sizeof(scenarios[0]);
	bool ok = false;

	if (!tu_diff_have_redis())
		return;
	if (tu_diff_start(&d, &r, &s, "dgen", NULL)) {
		extra[0].fd = tu_connect(r.sock);
		extra[1].fd = tu_connect(s.sock);
		ok = extra[0].fd >= 0 && extra[1].fd >= 0;
		for (size_t i = 0; i < n && (ok || d.keepgoing); i++) {
			static const char *const reset[] = {
				"A FLUSHALL", "A UNWATCH", "A SELECT 0",
				"B SELECT 0", NULL,
			};

			ok = run_scenario(&d, extra, reset) &&
			     run_scenario(&d, extra, scenarios[i]) && ok;
		}
		ok = ok && !d.failures;
		fprintf(stderr, "%zu scenarios: %s\n", n,
			ok ? "no difference" : "DIFFERENT");
	}
	for (int i = 0; i < 2; i++) {
		if (extra[i].fd >= 0)
			close(extra[i].fd);
		tu_buf_free(&extra[i].in);
		tu_buf_free(&extra[i].req);
	}
	ok = tu_diff_stop(&d, &r, &s) && ok;
	CU_ASSERT(ok);
}

/* ---------------------------------------------------------------- tests */

static void test_fixed_list(void)
{
	CU_ASSERT(tu_diff_fixed("dgen", fixed, run_line, NDBS, true));
}

static void test_random_runs(void)
{
	CU_ASSERT(tu_diff_random("dgen", NULL,
				 tu_diff_env_long("SHMREP_DIFF_RUNS",
						  DEFAULT_RUNS),
				 DEFAULT_CMDS, run_random, NULL));
}

/* A restart copies the region (the takeover): the digest must survive. */
static void test_restart_keeps_digest(void)
{
	static const char *const fill[] = {
		"FLUSHALL", "@HSET H f 250", "@SADD S m 250", "@ZADD Z m 250",
		"@RPUSH L e 250", "HSET h a 1", "SADD s a", "ZADD z 1 a",
		"RPUSH l a", "SET str v", "EXPIRE Z 100000", "EXPIRE s 100000",
		"SELECT 3", "@HSET H3 f 200", "@ZADD Z3 m 200", "SELECT 0",
		NULL,
	};
	struct tu_daemon r, s;
	struct tu_diff d;
	bool ok = false;

	if (!tu_diff_have_redis())
		return;
	if (tu_diff_start(&d, &r, &s, "dgen", NULL)) {
		ok = true;
		for (int i = 0; fill[i] && ok; i++)
			ok = run_line(&d, fill[i]);
		ok = ok && tu_diff_compare_datasets(&d, NDBS, true);
		close(d.c[1].fd);
		d.c[1].fd = -1;
		ok = ok && tu_daemon_stop(&s) == 0 &&
		     tu_daemon_restart(&s, NULL) == 0;
		if (ok) {
			d.c[1].fd = tu_connect(s.sock);
			tu_buf_free(&d.c[1].in);
			ok = d.c[1].fd >= 0 &&
			     tu_diff_compare_datasets(&d, NDBS, true);
			/* The copy is a value like any: change it. */
			ok = ok && run_line(&d, "HSET H f1 x") &&
			     run_line(&d, "ZADD Z 1000 m1") &&
			     run_line(&d, "LPOP L 10") &&
			     tu_diff_compare_datasets(&d, NDBS, true);
		}
		ok = ok && !d.failures;
	}
	ok = tu_diff_stop(&d, &r, &s) && ok;
	CU_ASSERT(ok);
}

/* stop and torn cross threads while the reader runs: relaxed atomics. */
struct reader {
	const char *name;
	bool stop;
	long reads, torn, errors;
};

/* Read a and b in one snapshot, again and again: they must be equal. */
static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	shmrep *h = NULL;

	if (shmrep_open(rd->name, 0, &h)) {
		rd->errors++;
		return NULL;
	}
	while (!__atomic_load_n(&rd->stop, __ATOMIC_RELAXED)) {
		shmrep_snapshot *snap;
		shmrep_view a, b;
		int ra, rb;

		if (shmrep_snapshot_begin(h, &snap)) {
			rd->errors++;
			continue;
		}
		ra = shmrep_snapshot_get(snap, 0, "a", 1, &a);
		rb = shmrep_snapshot_get(snap, 0, "b", 1, &b);
		if (ra != rb || (ra == 0 && (a.len != b.len ||
					     memcmp(a.ptr, b.ptr, a.len))))
			__atomic_fetch_add(&rd->torn, 1, __ATOMIC_RELAXED);
		shmrep_snapshot_end(snap);
		rd->reads++;
	}
	shmrep_close(h);
	return NULL;
}

static uint64_t published_version(const char *name)
{
	shmrep *h = NULL;
	shmrep_info info = { 0 };

	if (shmrep_open(name, 0, &h))
		return 0;
	if (shmrep_info_get(h, &info))
		info.version = 0;
	shmrep_close(h);
	return info.version;
}

/*
 * With a publication after every write command, a transaction is still
 * published whole: its writes never show apart to a reader, and an EXEC of
 * 50 writes makes one version.
 */
/*
 * Write a and b to i, for i < n, while a reader thread checks that it
 * never sees them apart: in transactions (MULTI, SET a, SET b, EXEC), or
 * (control) as plain commands, which it must see apart now and then, else
 * the check proves nothing; those stop at the first torn read.  false if a
 * command failed; the reader's counts in *rd.
 */
static bool write_pairs(struct tu_conn *c, const char *name, bool multi,
			int n, struct reader *rd)
{
	static const char *const fmt[] = { "MULTI", "SET a %d", "SET b %d",
					   "EXEC" };
	struct tu_cmd *cmd = malloc(sizeof(*cmd));
	struct tu_buf rep = { 0 };
	pthread_t th;
	bool ok = cmd != NULL;

	memset(rd, 0, sizeof(*rd));
	rd->name = name;
	if (!ok || pthread_create(&th, NULL, reader_main, rd))
		return false;
	for (int i = 0; ok && i < n; i++) {
		if (!multi && __atomic_load_n(&rd->torn, __ATOMIC_RELAXED))
			break;
		for (int j = multi ? 0 : 1; ok && j < (multi ? 4 : 3); j++) {
			char line[64];

			snprintf(line, sizeof(line), fmt[j], i);
			tu_cmd_line(cmd, line);
			ok = tu_conn_call(c, cmd->argc, cmd->argv, cmd->lens,
					  &rep) == 0;
		}
		ok = ok && rep.len > 0 && rep.p[0] == (multi ? '*' : '+');
	}
	__atomic_store_n(&rd->stop, true, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	tu_buf_free(&rep);
	free(cmd);
	return ok && rd->errors == 0;
}

static void exec_is_one_version(const char *mode)
{
	const char *const extra[] = { "--batch-max-commands", "1", "--mode",
				      mode, NULL };
	struct tu_daemon s;
	struct tu_conn c = { .who = "shmrepd", .fd = -1 };
	struct tu_buf rep = { 0 };
	struct tu_cmd *cmd = malloc(sizeof(*cmd));
	struct reader rd, control;
	uint64_t v0, v1;
	bool ok;

	CU_ASSERT_FATAL(cmd != NULL);
	CU_ASSERT_FATAL(tu_daemon_start(&s, "dgenx", extra) == 0);
	c.fd = tu_connect(s.sock);
	ok = c.fd >= 0;
	ok = ok && write_pairs(&c, s.name, false, 20000, &control);
	CU_ASSERT(ok);
	CU_ASSERT(control.torn > 0);
	ok = ok && write_pairs(&c, s.name, true, 400, &rd);
	CU_ASSERT(ok);
	CU_ASSERT(rd.torn == 0);
	CU_ASSERT(rd.reads > 0);
	fprintf(stderr, "%s: %ld snapshots, %ld torn in transactions; %ld torn "
		"out of them\n", mode, rd.reads, rd.torn, control.torn);
	/* 50 writes in one EXEC: one version.  The reply is held until
	 * that version is published. */
	v0 = published_version(s.name);
	tu_cmd_line(cmd, "MULTI");
	ok = ok && tu_conn_call(&c, cmd->argc, cmd->argv, cmd->lens, &rep) == 0;
	for (int i = 0; ok && i < 50; i++) {
		char line[64];

		snprintf(line, sizeof(line), "SET x%d %d", i, i);
		tu_cmd_line(cmd, line);
		ok = tu_conn_call(&c, cmd->argc, cmd->argv, cmd->lens,
				  &rep) == 0;
	}
	tu_cmd_line(cmd, "EXEC");
	ok = ok && tu_conn_call(&c, cmd->argc, cmd->argv, cmd->lens, &rep) == 0;
	v1 = published_version(s.name);
	CU_ASSERT(ok);
	CU_ASSERT(v0 > 0 && v1 == v0 + 1);
	if (c.fd >= 0)
		close(c.fd);
	tu_buf_free(&c.in);
	tu_buf_free(&c.req);
	tu_buf_free(&rep);
	free(cmd);
	CU_ASSERT(tu_daemon_stop(&s) == 0);
}

static void test_exec_is_one_version(void)
{
	exec_is_one_version("rcu");
	exec_is_one_version("mutex");
}

static CU_TestInfo tests[] = {
	{ "fixed_list", test_fixed_list },
	{ "random_runs", test_random_runs },
	{ "watch_two_clients", test_watch_two_clients },
	{ "restart_keeps_digest", test_restart_keeps_digest },
	{ "exec_is_one_version", test_exec_is_one_version },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = { { "diff_generic", tests },
					   { NULL, NULL } };

	tu_diff_init();
	return tu_main(argc, argv, suites);
}
