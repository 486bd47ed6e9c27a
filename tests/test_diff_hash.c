/*
 * test_diff_hash.c - differential test of the hash and set commands:
 * redis-server 7.0 is the oracle (tests/util/tu_diff.h).
 *
 * Two sources of commands, as in test_diff.c:
 *
 * - a fixed list of edge cases (escaped notation of tu_diff.h, and
 *   "@NAME KEY PREFIX N" for NAME KEY PREFIX0 .. PREFIX<N-1>, each followed
 *   by its index as a value for HSET and HMSET): every
 *   command's errors and the order in which Redis checks them, replies on
 *   missing keys and wrong types, number formats of HINCRBYFLOAT, the
 *   small-to-large switch by count and by size, TTLs kept across changes,
 *   RENAME of packed and large collections, and the set algebra's corner
 *   cases (a missing key, the same key twice, a destination among the
 *   sources);
 * - seeded random runs over a pool of 14 keys (mostly hashes or mostly sets
 *   by name, but every command may hit any key, strings included, so
 *   WRONGTYPE comes up all the time), with fields and members drawn from a
 *   pool larger than SHM_PACK_MAX_ENTRIES, now and then in bursts of dozens
 *   and now and then longer than SHM_PACK_MAX_BYTES (up to 100 KB), so
 *   collections grow past both packing limits and shrink again, and with
 *   arguments drawn from valid and invalid ones alike.  Each run starts
 *   with FLUSHALL and ends with a comparison of the whole dataset (every
 *   key's type, value and TTL; hashes and sets as multisets).
 *
 * Replies are compared exactly, except where neither server promises an
 * order (HGETALL as pairs, HKEYS, HVALS, SMEMBERS, SINTER, SUNION, SDIFF as
 * multisets), SCAN-like commands (iterated to the end on both, compared as
 * sets) and random picks: SPOP and SRANDMEMBER must agree in kind and
 * count; what shmrepd picked must be members (checked against Redis),
 * distinct when they must be, and gone after SPOP; then shmrepd's set is
 * brought back in line with Redis's (SADD what it popped, SREM what Redis
 * popped) and both sets are compared.
 *
 * SHMREP_SEED, SHMREP_DIFF_RUNS, SHMREP_DIFF_CMDS, SHMREP_DIFF_KEEPGOING
 * and SHMREP_DIFF_TRACE work as for test_diff.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "testutil.h"
#include "tu_diff.h"

#define NDBS 16
#define DEFAULT_RUNS 6
#define DEFAULT_CMDS 5000

/* ------------------------------------------------------------------ pool */

/* 0..4 mostly hashes, 5..9 mostly sets, 10..13 anything (strings too). */
#define NKEYS 14
#define HASH_KEYS 0
#define SET_KEYS 5
#define ANY_KEYS 10
static const char *const key_pool[NKEYS] = {
	"h0", "h1", "h2", "hash:odd", "h~0x", "s0", "s1", "s2", "set:odd7",
	"s~e", "k0", "k1", "a~0b", "~e",
};

struct gen {
	uint64_t rng;
	struct tu_cmd *c;
	unsigned counts[64]; /* commands generated, by kind */
};

/* A key of the group first (hashes, sets), or any key. */
static void gen_key(struct gen *g, int group)
{
	int k;

	if (group < 0 || tu_chance(&g->rng, 20))
		k = (int)tu_rnd(&g->rng, NKEYS);
	else if (group == ANY_KEYS)
		k = ANY_KEYS + (int)tu_rnd(&g->rng, NKEYS - ANY_KEYS);
	else
		k = group + (int)tu_rnd(&g->rng, 5);
	tu_cmd_str(g->c, key_pool[k]);
}

static void gen_binary(struct gen *g, size_t max)
{
	static const char alpha[] = {
		'\0', '\r', '\n', ' ', 'a', 'z', '0', '9', '*', '?', '[', '\\',
		(char)0xff, (char)0x80, '-', '.', ':',
	};
	char tmp[96];
	size_t n = (size_t)tu_rnd(&g->rng, max < sizeof(tmp) ? max : sizeof(tmp));

	for (size_t i = 0; i < n; i++)
		tmp[i] = tu_chance(&g->rng, 70) ? alpha[tu_rnd(&g->rng, sizeof(alpha))]
				       : (char)tu_rnd(&g->rng, 256);
	tu_cmd_raw(g->c, tmp, n);
}

/* Longer than SHM_PACK_MAX_BYTES (65 to 90 bytes), now and then 100 KB. */
static void gen_long(struct gen *g)
{
	char tmp[96];
	size_t n = 65 + (size_t)tu_rnd(&g->rng, 26);

	if (tu_chance(&g->rng, 4)) {
		tu_cmd_str(g->c, tu_chance(&g->rng, 50) ? "~A" : "~B");
		return;
	}
	memset(tmp, 'a' + (int)tu_rnd(&g->rng, 3), n);
	tu_cmd_raw(g->c, tmp, n);
}

/* A field or member: mostly from a pool of 170 names (more than a packed
 * collection holds) or integers; sometimes binary, empty or long. */
static void gen_elem(struct gen *g)
{
	unsigned r = (unsigned)tu_rnd(&g->rng, 100);

	if (r < 62)
		tu_cmd_fmt(g->c, "f%d", (int)tu_rnd(&g->rng, 170));
	else if (r < 82)
		tu_cmd_fmt(g->c, "%d", (int)tu_rnd(&g->rng, 400) - 100);
	else if (r < 90)
		gen_binary(g, 12);
	else if (r < 93)
		tu_cmd_raw(g->c, "", 0);
	else if (r < 97)
		gen_long(g);
	else
		tu_cmd_str(g->c, TU_PICK(&g->rng, ((const char *const[]){
					    "9223372036854775807", "-0", "01",
					    "1.5", "~s1", "1e3" })));
}

static const char *const ints[] = {
	"0", "1", "-1", "10", "-100", "9223372036854775807",
	"-9223372036854775808", "9223372036854775806", "4611686018427387904",
	"123", "-5",
};

static const char *const bad_ints[] = {
	"1.0", "~s1", "1~s", "01", "-0", "+1", "~e", "abc",
	"9223372036854775808", "-9223372036854775809", "0x10", "1e3", "1~0",
};

static const char *const floats[] = {
	"0.1", "0.2", "3.0e3", "-0.0", "1e5", "inf", "-inf", "+inf", "nan",
	"1e308", "1e309", "1e4932", "1e-400", "5e-324", "1.5", "-1.5",
	"~s1.5", "1.5~s", "0x1p3", ".5", "5.", "1e", "infinity", "-Infinity",
	"1.0000000000000001", "3.14159265358979323846", "-1e300",
	"123456789.123456789", "0", "-0", "1e-5", "10.5", "1,5", "1e18",
	"7e4931", "-7e4931", "~e",
};

/* A hash value: integers (for HINCRBY), floats, short strings; sometimes
 * long. */
static void gen_value(struct gen *g)
{
	unsigned r = (unsigned)tu_rnd(&g->rng, 100);

	if (r < 25)
		tu_cmd_str(g->c, TU_PICK(&g->rng, ints));
	else if (r < 35)
		tu_cmd_fmt(g->c, "%d", (int)tu_rnd(&g->rng, 2001) - 1000);
	else if (r < 45)
		tu_cmd_str(g->c, TU_PICK(&g->rng, floats));
	else if (r < 80)
		tu_cmd_fmt(g->c, "v%d", (int)tu_rnd(&g->rng, 1000));
	else if (r < 88)
		gen_binary(g, 40);
	else if (r < 92)
		tu_cmd_raw(g->c, "", 0);
	else
		gen_long(g);
}

/* How many pairs or members: a few, or a burst that crosses the packing
 * limit quickly. */
static int gen_n(struct gen *g)
{
	return tu_chance(&g->rng, 6) ? 30 + (int)tu_rnd(&g->rng, 60) : 1 + (int)tu_rnd(&g->rng, 6);
}

static const char *const patterns[] = {
	"*", "f*", "f1*", "f?", "f[0-4]*", "*1", "[", "\\", "~e", "*~0*",
	"f[^1]?", "-*", "1*", "v*",
};

/* HSCAN/SSCAN key cursor [MATCH p] [COUNT n]: cursor 0 or an invalid one
 * (a valid non-zero cursor means different things to the two servers). */
static void gen_scan(struct gen *g, const char *name, int group)
{
	static const char *const cursors[] = {
		"abc", "~s0", "0~s", "18446744073709551616", "1.5", "0x0",
		"~e", "+0", "00", "-0", "0~0",
	};
	static const char *const counts[] = {
		"1", "2", "3", "10", "100", "1000", "0", "-1", "abc", "~e",
		"9223372036854775808",
	};
	int nopt = (int)tu_rnd(&g->rng, 4);

	tu_cmd_word(g->c, &g->rng, name);
	gen_key(g, group);
	tu_cmd_str(g->c, tu_chance(&g->rng, 85) ? "0" : TU_PICK(&g->rng, cursors));
	for (int i = 0; i < nopt; i++) {
		unsigned r = (unsigned)tu_rnd(&g->rng, 100);
		bool last = i == nopt - 1;

		if (r < 45) {
			tu_cmd_word(g->c, &g->rng, "MATCH");
			if (!last || tu_chance(&g->rng, 90))
				tu_cmd_str(g->c, TU_PICK(&g->rng, patterns));
		} else if (r < 90) {
			tu_cmd_word(g->c, &g->rng, "COUNT");
			if (!last || tu_chance(&g->rng, 90))
				tu_cmd_str(g->c, TU_PICK(&g->rng, counts));
		} else {
			tu_cmd_str(g->c, TU_PICK(&g->rng, ((const char *const[]){
						    "TYPE", "FOO", "count~0",
						    "~e" })));
		}
	}
}

/* A count for SPOP / SRANDMEMBER: small ones either way, the edges, and
 * junk; never a huge negative one (Redis would build the reply). */
static void gen_count(struct gen *g)
{
	static const char *const edge[] = {
		"0", "1", "-1", "9223372036854775807", "-9223372036854775808",
		"9223372036854775808", "abc", "1.5", "~e", "-0", "01", "+1",
	};

	if (tu_chance(&g->rng, 75))
		tu_cmd_fmt(g->c, "%d", (int)tu_rnd(&g->rng, 401) - 150);
	else
		tu_cmd_str(g->c, TU_PICK(&g->rng, edge));
}

enum kind {
	K_HSET, K_HSETNX, K_HMSET, K_HDEL, K_HINCRBY, K_HINCRBYFLOAT, K_HGET,
	K_HMGET, K_HGETALL, K_HKEYS, K_HVALS, K_HLEN, K_HEXISTS, K_HSTRLEN,
	K_HSCAN, K_SADD, K_SREM, K_SPOP, K_SMOVE, K_SISMEMBER, K_SMISMEMBER,
	K_SCARD, K_SMEMBERS, K_SRANDMEMBER, K_SSCAN, K_SINTER, K_SUNION,
	K_SDIFF, K_SINTERSTORE, K_SUNIONSTORE, K_SDIFFSTORE, K_OTHER,
	K_ARITY, K_NKINDS,
};

static const char *const kind_names[K_NKINDS] = {
	"hset", "hsetnx", "hmset", "hdel", "hincrby", "hincrbyfloat", "hget",
	"hmget", "hgetall", "hkeys", "hvals", "hlen", "hexists", "hstrlen",
	"hscan", "sadd", "srem", "spop", "smove", "sismember", "smismember",
	"scard", "smembers", "srandmember", "sscan", "sinter", "sunion",
	"sdiff", "sinterstore", "sunionstore", "sdiffstore",
	"keyspace/string", "wrong arity",
};

/* Weights of the kinds, per mille, in enum order. */
static const unsigned weights[K_NKINDS] = {
	90, 15, 15, 45, 30, 30, 30, 20, 25, 12, 12, 15, 15, 10, 25,
	90, 45, 30, 20, 20, 15, 15, 25, 30, 25, 15, 15, 15, 12, 12, 12,
	80, 0,
};

static void gen_pairs(struct gen *g, int n)
{
	for (int i = 0; i < n; i++) {
		gen_elem(g);
		gen_value(g);
	}
}

static void gen_elems(struct gen *g, int n)
{
	for (int i = 0; i < n; i++)
		gen_elem(g);
}

static void gen_keys(struct gen *g, int min, int max, int group)
{
	int n = min + (int)tu_rnd(&g->rng, (uint64_t)(max - min + 1));

	for (int i = 0; i < n; i++)
		gen_key(g, group);
}

/* Strings, TTLs, renames and deletes on the same keys: wrong types, and
 * TTLs that the collection commands must keep. */
static void gen_other(struct gen *g)
{
	unsigned r = (unsigned)tu_rnd(&g->rng, 100);

	if (r < 20) {
		tu_cmd_word(g->c, &g->rng, "set");
		gen_key(g, tu_chance(&g->rng, 60) ? ANY_KEYS : -1);
		gen_value(g);
	} else if (r < 35) {
		tu_cmd_word(g->c, &g->rng, "del");
		gen_keys(g, 1, 2, -1);
	} else if (r < 50) {
		tu_cmd_word(g->c, &g->rng, tu_chance(&g->rng, 80) ? "expire" : "pexpire");
		gen_key(g, -1);
		/* Long enough to outlive the run, or in the past. */
		tu_cmd_fmt(g->c, "%d", tu_chance(&g->rng, 90) ? 1000000 + (int)tu_rnd(&g->rng, 1000)
						    : -1);
	} else if (r < 60) {
		tu_cmd_word(g->c, &g->rng, "ttl");
		gen_key(g, -1);
	} else if (r < 65) {
		tu_cmd_word(g->c, &g->rng, "persist");
		gen_key(g, -1);
	} else if (r < 75) {
		tu_cmd_word(g->c, &g->rng, "type");
		gen_key(g, -1);
	} else if (r < 88) {
		tu_cmd_word(g->c, &g->rng, tu_chance(&g->rng, 70) ? "rename" : "renamenx");
		gen_key(g, -1);
		gen_key(g, -1);
	} else if (r < 94) {
		tu_cmd_word(g->c, &g->rng, "get");
		gen_key(g, -1);
	} else {
		tu_cmd_word(g->c, &g->rng, "exists");
		gen_keys(g, 1, 3, -1);
	}
}

/* A command with too few (or, for fixed arities, too many) arguments. */
static void gen_arity(struct gen *g)
{
	static const char *const names[] = {
		"hset", "hsetnx", "hmset", "hdel", "hincrby", "hincrbyfloat",
		"hget", "hmget", "hgetall", "hkeys", "hvals", "hlen",
		"hexists", "hstrlen", "hscan", "sadd", "srem", "spop", "smove",
		"sismember", "smismember", "scard", "smembers", "srandmember",
		"sscan", "sinter", "sunion", "sdiff", "sinterstore",
		"sunionstore", "sdiffstore",
	};
	int n = (int)tu_rnd(&g->rng, 3);

	tu_cmd_word(g->c, &g->rng, TU_PICK(&g->rng, names));
	for (int i = 0; i < n; i++)
		gen_key(g, -1);
}

static void gen_cmd(struct gen *g)
{
	struct tu_cmd *c = g->c;
	unsigned total = 0, r;
	int k;

	for (k = 0; k < K_NKINDS; k++)
		total += weights[k];
	r = (unsigned)tu_rnd(&g->rng, total + 30);
	for (k = 0; k < K_NKINDS && r >= weights[k]; k++)
		r -= weights[k];
	if (k == K_NKINDS)
		k = K_ARITY;
	g->counts[k]++;
	tu_cmd_reset(c);
	switch (k) {
	case K_HSET:
	case K_HMSET:
		tu_cmd_word(g->c, &g->rng, kind_names[k]);
		gen_key(g, HASH_KEYS);
		gen_pairs(g, gen_n(g));
		if (tu_chance(&g->rng, 3)) /* a field without a value */
			gen_elem(g);
		break;
	case K_HSETNX:
		tu_cmd_word(g->c, &g->rng, "hsetnx");
		gen_key(g, HASH_KEYS);
		gen_pairs(g, 1);
		break;
	case K_HDEL:
		tu_cmd_word(g->c, &g->rng, "hdel");
		gen_key(g, HASH_KEYS);
		gen_elems(g, gen_n(g));
		break;
	case K_HINCRBY:
		tu_cmd_word(g->c, &g->rng, "hincrby");
		gen_key(g, HASH_KEYS);
		gen_elem(g);
		tu_cmd_str(c, tu_chance(&g->rng, 75) ? TU_PICK(&g->rng, ints) : TU_PICK(&g->rng, bad_ints));
		break;
	case K_HINCRBYFLOAT:
		tu_cmd_word(g->c, &g->rng, "hincrbyfloat");
		gen_key(g, HASH_KEYS);
		gen_elem(g);
		if (tu_chance(&g->rng, 70))
			tu_cmd_str(c, TU_PICK(&g->rng, floats));
		else
			gen_value(g);
		break;
	case K_HGET:
	case K_HEXISTS:
	case K_HSTRLEN:
		tu_cmd_word(g->c, &g->rng, kind_names[k]);
		gen_key(g, HASH_KEYS);
		gen_elem(g);
		break;
	case K_HMGET:
		tu_cmd_word(g->c, &g->rng, "hmget");
		gen_key(g, HASH_KEYS);
		gen_elems(g, 1 + (int)tu_rnd(&g->rng, 8));
		break;
	case K_HGETALL:
	case K_HKEYS:
	case K_HVALS:
	case K_HLEN:
		tu_cmd_word(g->c, &g->rng, kind_names[k]);
		gen_key(g, HASH_KEYS);
		break;
	case K_HSCAN:
		gen_scan(g, "hscan", HASH_KEYS);
		break;
	case K_SADD:
	case K_SREM:
		tu_cmd_word(g->c, &g->rng, kind_names[k]);
		gen_key(g, SET_KEYS);
		gen_elems(g, gen_n(g));
		break;
	case K_SPOP:
	case K_SRANDMEMBER:
		tu_cmd_word(g->c, &g->rng, kind_names[k]);
		gen_key(g, SET_KEYS);
		if (tu_chance(&g->rng, 60))
			gen_count(g);
		if (tu_chance(&g->rng, 3))
			gen_count(g);
		break;
	case K_SMOVE:
		tu_cmd_word(g->c, &g->rng, "smove");
		gen_key(g, SET_KEYS);
		gen_key(g, SET_KEYS);
		gen_elem(g);
		break;
	case K_SISMEMBER:
		tu_cmd_word(g->c, &g->rng, "sismember");
		gen_key(g, SET_KEYS);
		gen_elem(g);
		break;
	case K_SMISMEMBER:
		tu_cmd_word(g->c, &g->rng, "smismember");
		gen_key(g, SET_KEYS);
		gen_elems(g, 1 + (int)tu_rnd(&g->rng, 8));
		break;
	case K_SCARD:
	case K_SMEMBERS:
		tu_cmd_word(g->c, &g->rng, kind_names[k]);
		gen_key(g, SET_KEYS);
		break;
	case K_SSCAN:
		gen_scan(g, "sscan", SET_KEYS);
		break;
	case K_SINTER:
	case K_SUNION:
	case K_SDIFF:
		tu_cmd_word(g->c, &g->rng, kind_names[k]);
		gen_keys(g, 1, 4, SET_KEYS);
		break;
	case K_SINTERSTORE:
	case K_SUNIONSTORE:
	case K_SDIFFSTORE:
		tu_cmd_word(g->c, &g->rng, kind_names[k]);
		gen_keys(g, 2, 5, SET_KEYS);
		break;
	case K_OTHER:
		gen_other(g);
		break;
	default:
		gen_arity(g);
		break;
	}
}

/* ------------------------------------------------------- random picks */

/* The bulk strings of a reply (one bulk, or an array of them). */
static bool reply_elems(const struct tu_buf *r, struct tu_items *it)
{
	const char *p = r->p, *end = r->p + r->len;
	char *e;
	long long n;

	if (r->len && r->p[0] == '*')
		return tu_parse_bulk_array(&p, end, it) && p == end;
	if (r->len < 4 || r->p[0] != '$')
		return false;
	n = strtoll(r->p + 1, &e, 10);
	if (n >= 0)
		tu_items_add(it, e + 2, (size_t)n);
	return true;
}

static bool has_dups(struct tu_items *it)
{
	struct tu_items s = { 0 };
	size_t n;

	for (size_t i = 0; i < it->n; i++)
		tu_items_add(&s, it->v[i].p, it->v[i].len);
	tu_items_sort(&s, true);
	n = s.n;
	free(s.v);
	return n != it->n;
}

#define CHUNK 256

/* Whether a SMISMEMBER reply is all want (1 or 0). */
static bool all_flags(const struct tu_buf *r, size_t n, int want)
{
	char expect[8];
	const char *p = r->p;
	char *e;

	if (r->len < 4 || p[0] != '*' || strtoull(p + 1, &e, 10) != n)
		return false;
	p = e + 2;
	snprintf(expect, sizeof(expect), ":%d\r\n", want);
	for (size_t i = 0; i < n; i++, p += 4)
		if (p + 4 > r->p + r->len || memcmp(p, expect, 4))
			return false;
	return true;
}

/*
 * Send "name key elems..." to one side, in commands of at most CHUNK
 * elements.  With want >= 0 (SMISMEMBER), *flags_ok says whether every
 * reply was all want.
 */
static bool call_elems(struct tu_diff *d, int side, const char *name,
		       const struct tu_cmd *orig, const struct tu_items *it,
		       int want, bool *flags_ok)
{
	struct tu_cmd *c = malloc(sizeof(*c));
	struct tu_buf out = { 0 };
	bool ok = true;

	if (!c)
		abort();
	if (flags_ok)
		*flags_ok = true;
	for (size_t from = 0; ok && from < it->n; from += CHUNK) {
		size_t n = it->n - from < CHUNK ? it->n - from : CHUNK;

		tu_cmd_reset(c);
		tu_cmd_str(c, name);
		tu_cmd_ref(c, orig->argv[1], orig->lens[1]);
		for (size_t i = from; i < from + n; i++)
			tu_cmd_ref(c, it->v[i].p, it->v[i].len);
		ok = tu_diff_call(d, side, c, &out);
		if (ok && want >= 0 && !all_flags(&out, n, want))
			*flags_ok = false;
	}
	tu_buf_free(&out);
	free(c);
	return ok;
}

/*
 * After SPOP or SRANDMEMBER, whose replies already have the same shape:
 * what shmrepd picked is distinct where it must be; SRANDMEMBER's picks
 * are members of Redis's set; SPOP's are gone from shmrepd's set, and once
 * shmrepd's set is brought in line with Redis's (SADD its picks back, SREM
 * Redis's), the two sets are the same.
 */
static bool after_pick(struct tu_diff *d, const struct tu_cmd *c, bool pop)
{
	struct tu_items picked[2] = { { 0 } };
	struct tu_buf rep[2] = { { 0 } };
	bool ok = true, distinct, flags;
	struct tu_cmd *m;
	const char *why = NULL;

	if (tu_reply_is_error(&d->rep[0]) || tu_reply_is_error(&d->rep[1]))
		return true;
	for (int i = 0; i < 2; i++)
		tu_buf_add(&rep[i], d->rep[i].p, d->rep[i].len);
	for (int i = 0; i < 2 && ok; i++)
		ok = reply_elems(&rep[i], &picked[i]);
	if (!ok) {
		why = "pick reply";
		goto out;
	}
	distinct = pop || c->argc < 3 ||
		   (c->lens[2] && c->argv[2][0] != '-');
	if (distinct && has_dups(&picked[1])) {
		why = "duplicate picks";
		goto out;
	}
	if (!picked[1].n)
		goto out;
	if (!pop) {
		/* Members of Redis's set, which SRANDMEMBER left alone. */
		ok = call_elems(d, 0, "SMISMEMBER", c, &picked[1], 1, &flags);
		if (ok && !flags)
			why = "picked a non-member";
		goto out;
	}
	/* SPOP: shmrepd's picks are gone from its set... */
	ok = call_elems(d, 1, "SMISMEMBER", c, &picked[1], 0, &flags);
	if (ok && !flags) {
		why = "popped members still there";
		goto out;
	}
	/* ...and, put back and replaced by Redis's, leave the same set. */
	ok = ok && call_elems(d, 1, "SADD", c, &picked[1], -1, NULL);
	if (ok && picked[0].n)
		ok = call_elems(d, 1, "SREM", c, &picked[0], -1, NULL);
	m = malloc(sizeof(*m));
	if (!m)
		abort();
	tu_cmd_reset(m);
	tu_cmd_str(m, "SMEMBERS");
	tu_cmd_ref(m, c->argv[1], c->lens[1]);
	m->how = TU_CMP_MULTISET;
	if (ok && !(tu_diff_call_both(d, m) && tu_diff_check(d, m))) {
		fputs("  (the set after the SPOP above, shmrepd brought in line)\n  ",
		      stderr);
		tu_diff_print_cmd(c);
		fputc('\n', stderr);
		ok = d->keepgoing;
	}
	free(m);
out:
	if (why)
		ok = tu_diff_mismatch(d, c, why, rep[0].p, rep[0].len,
				      rep[1].p, rep[1].len);
	for (int i = 0; i < 2; i++) {
		free(picked[i].v);
		tu_buf_free(&rep[i]);
	}
	return ok;
}

static bool run_cmd(struct tu_diff *d, const struct tu_cmd *c)
{
	if (!tu_diff_run(d, c))
		return false;
	if (c->how != TU_CMP_SHAPE)
		return true;
	return after_pick(d, c, c->lens[0] == 4 &&
				       !strncasecmp(c->argv[0], "spop", 4));
}

/* A fixed-list line "@NAME KEY PREFIX N" (see the top of the file). */
static void expand(struct tu_cmd *c, const char *line)
{
	char name[16], key[32], prefix[16];
	int n;

	if (sscanf(line, "@%15s %31s %15s %d", name, key, prefix, &n) != 4)
		abort();
	tu_cmd_reset(c);
	tu_cmd_str(c, name);
	tu_cmd_str(c, key);
	for (int i = 0; i < n; i++) {
		tu_cmd_fmt(c, "%s%d", prefix, i);
		if (!strcasecmp(name, "hset") || !strcasecmp(name, "hmset"))
			tu_cmd_fmt(c, "%d", i);
	}
}

static bool run_line(struct tu_diff *d, const char *line)
{
	struct tu_cmd *c = malloc(sizeof(*c));
	bool ok;

	if (!c)
		abort();
	if (line[0] == '@')
		expand(c, line);
	else
		tu_cmd_line(c, line);
	c->how = tu_diff_cmp_for(c);
	ok = run_cmd(d, c);
	free(c);
	return ok;
}

/* One seeded run of ncmds commands from an empty dataset. */
static bool run_random(struct tu_diff *d, uint64_t seed, long ncmds,
		       void *arg)
{
	unsigned *counts = arg;
	struct gen g = { .rng = seed, .c = malloc(sizeof(struct tu_cmd)) };
	bool ok;

	if (!g.c)
		abort();
	d->seed = seed;
	d->cmdno = 0;
	ok = run_line(d, "FLUSHALL") && run_line(d, "SELECT 0");
	while (ok && d->cmdno < ncmds) {
		gen_cmd(&g);
		g.c->how = tu_diff_cmp_for(g.c);
		ok = run_cmd(d, g.c);
	}
	if (ok)
		ok = tu_diff_compare_datasets(d, NDBS, true);
	for (int k = 0; k < K_NKINDS; k++)
		counts[k] += g.counts[k];
	free(g.c);
	return ok;
}

/* ----------------------------------------------------------- fixed list */

static const char *const fixed[] = {
	"FLUSHALL",
	/* HSET HMSET HSETNX: arity, replies, wrong types */
	"HSET", "HSET h", "HSET h a", "HSET h a 1 b", "HMSET h a 1 b",
	"HSET h a 1", "HSET h a 2 b 3", "HSET h a 4 a 5", "HGET h a",
	"HMSET h c 1", "HSETNX h a x", "HSETNX h z x", "HSETNX h a",
	"HSETNX h a b c", "SET str v", "HSET str a 1", "HMSET str a 1",
	"HSETNX str a 1", "SADD set m", "HSET set a 1", "HSET ~e ~e ~e",
	"HGET ~e ~e", "HSET h~0 f~0 v~0", "HGET h~0 f~0", "HGET h~0 f",
	/* reads */
	"HGET h", "HGET h a b", "HGET nokey a", "HGET str a", "HGET set a",
	"HMGET h", "HMGET h a zz b", "HMGET nokey a b", "HMGET str a",
	"HLEN h", "HLEN nokey", "HLEN str", "HLEN h x", "HEXISTS h a",
	"HEXISTS h zz", "HEXISTS nokey a", "HEXISTS str a", "HSTRLEN h a",
	"HSTRLEN h zz", "HSTRLEN nokey a", "HSTRLEN str a", "HGETALL h",
	"HGETALL nokey", "HGETALL str", "HKEYS h", "HVALS h", "HKEYS nokey",
	"HVALS str", "HGETALL h x",
	/* HDEL, and the key going with its last field */
	"HDEL h", "HDEL h zz", "HDEL h a zz a", "HDEL nokey a", "HDEL str a",
	"HDEL h b c z", "EXISTS h", "HSET h a 1",
	/* HINCRBY */
	"HINCRBY h", "HINCRBY h a", "HINCRBY h a x", "HINCRBY h a 1.5",
	"HINCRBY h a ~e", "HINCRBY h a 9223372036854775808", "HINCRBY h a 5",
	"HINCRBY h n -7", "HINCRBY h n 9223372036854775807", "HINCRBY h n 1",
	"HSET h m 9223372036854775807", "HINCRBY h m 1", "HINCRBY h m 0",
	"HSET h neg -9223372036854775808", "HINCRBY h neg -1",
	"HSET h str abc", "HINCRBY h str 1", "HSET h sp ~s1", "HINCRBY h sp 1",
	"HSET h fl 1.5", "HINCRBY h fl 1", "HINCRBY str a 1",
	"HINCRBY str a x", "HINCRBY nokey2 a 3", "HGETALL nokey2",
	"HSET h lz 01", "HINCRBY h lz 1",
	/* HINCRBYFLOAT */
	"HINCRBYFLOAT h", "HINCRBYFLOAT h a x", "HINCRBYFLOAT h f 1.5",
	"HINCRBYFLOAT h f 1e4000", "HINCRBYFLOAT h f inf",
	"HINCRBYFLOAT h f -inf", "HINCRBYFLOAT h f nan", "HINCRBYFLOAT h f ~e",
	"HINCRBYFLOAT h f ~s1", "HINCRBYFLOAT h f 0.1",
	"HINCRBYFLOAT h f 0.2", "HINCRBYFLOAT h g 1e308",
	"HINCRBYFLOAT h g 1e308", "HINCRBYFLOAT h g 1.7976931348623157e308",
	"HINCRBYFLOAT h i 5.0e3", "HINCRBYFLOAT h i -5000",
	"HINCRBYFLOAT h j 1e-20", "HINCRBYFLOAT h k 100000000000000000000000",
	"HINCRBYFLOAT h str 1", "HINCRBYFLOAT h n 1.5",
	"HINCRBYFLOAT str a 1", "HINCRBYFLOAT str a x", "HINCRBYFLOAT h a 0x10",
	"HGETALL h",
	/* HSCAN */
	"HSCAN", "HSCAN h", "HSCAN h x", "HSCAN nokey x", "HSCAN str x",
	"HSCAN h 0", "HSCAN nokey 0", "HSCAN str 0", "HSCAN h 0 COUNT 0",
	"HSCAN nokey 0 COUNT 0", "HSCAN str 0 COUNT 0", "HSCAN h 0 COUNT x",
	"HSCAN h 0 COUNT", "HSCAN h 0 MATCH", "HSCAN h 0 MATCH f*",
	"HSCAN h 0 MATCH a COUNT 1", "HSCAN h 0 TYPE string", "HSCAN h 0 FOO x",
	"HSET ph a 1 b 2", "HSCAN ph -1", "HSCAN ph 18446744073709551615",
	"HSCAN h 18446744073709551616",
	"HSCAN h ~s0", "HSCAN h 0~s", "HSCAN h ~e", "HSCAN h 0~0x",
	"HSCAN h 0 count~0 5", "HSCAN h 0 MATCH * COUNT 2",
	/* the switch to a trie: by count... */
	"DEL big",
	"@HSET big f 40", "@HSET big g 40", "@HSET big h 40",
	"HLEN big", "HSET big i0 0 i1 1 i2 2 i3 3 i4 4 i5 5 i6 6 i7 7",
	"HLEN big", "HSET big i8 8", "HLEN big", "HGET big i8", "HGET big f0",
	"HINCRBY big i8 2", "HINCRBYFLOAT big i7 0.5", "HGETALL big",
	"HKEYS big", "HVALS big", "HSCAN big 0", "HSCAN big 0 COUNT 5",
	"HSCAN big 0 MATCH f1* COUNT 3", "HSCAN big 0 MATCH nothing",
	"HMGET big f1 g2 h3 i4 zz", "HSTRLEN big h39", "HEXISTS big g9",
	"@HDEL big f 21",
	"HLEN big", "HGETALL big",
	/* ...and by size, both ways */
	"HSET long a ~R64,x", "HSET long b ~R65,x", "HGET long b",
	"HSTRLEN long b", "HGETALL long", "HSET lfield ~R65,k v",
	"HGET lfield ~R65,k", "HSET huge f ~A", "HSTRLEN huge f",
	"HSET huge ~B ~D", "HGETALL huge", "HDEL huge f ~B", "EXISTS huge",
	/* TTLs are kept */
	"HSET t a 1", "EXPIRE t 10000", "HSET t b 2", "TTL t", "HDEL t a",
	"TTL t", "HINCRBY t c 1", "TTL t", "@HSET t f 150",
	"TTL t", "HDEL t f0", "TTL t", "PERSIST t", "TTL t",
	/* RENAME moves collections, packed or not */
	"RENAME h h2", "HGETALL h2", "EXISTS h", "RENAME big big2",
	"HGETALL big2", "HLEN big", "HSET big2 new 1", "HLEN big2",
	"RENAME big2 h2", "HGETALL h2", "RENAMENX h2 t", "RENAMENX h2 h3",
	"HLEN h3", "EXPIRE h3 5000", "RENAME h3 h4", "TTL h4",
	/* SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS */
	"SADD", "SADD s", "SADD s a", "SADD s a b c a", "SADD str a",
	"SADD h4 a", "SADD s ~e", "SADD s 1 2 3 -5 10", "SMEMBERS s",
	"SCARD s", "SCARD nokey", "SCARD str", "SCARD s x", "SISMEMBER s a",
	"SISMEMBER s zz", "SISMEMBER nokey a", "SISMEMBER str a",
	"SISMEMBER s ~e", "SISMEMBER s", "SMISMEMBER s", "SMISMEMBER s a zz b",
	"SMISMEMBER nokey a b", "SMISMEMBER str a", "SMEMBERS nokey",
	"SMEMBERS str", "SMEMBERS s x", "SREM s", "SREM s zz", "SREM s a a zz",
	"SREM nokey a", "SREM str a", "SREM s b c ~e 1 2 3 -5 10", "EXISTS s",
	/* SPOP SRANDMEMBER */
	"SADD s a b c d e", "SPOP", "SPOP nokey", "SPOP nokey 0",
	"SPOP nokey 5", "SPOP nokey abc", "SPOP str", "SPOP str 0",
	"SPOP str abc", "SPOP str -1", "SPOP s -1", "SPOP s abc", "SPOP s 1.5",
	"SPOP s 9223372036854775808", "SPOP s ~e", "SPOP s 1 2", "SPOP s 0",
	"SPOP s 2", "SPOP s", "SCARD s", "SPOP s 9223372036854775807",
	"EXISTS s", "SADD s a b c d e f g", "SRANDMEMBER", "SRANDMEMBER nokey",
	"SRANDMEMBER nokey 3", "SRANDMEMBER nokey -3", "SRANDMEMBER nokey abc",
	"SRANDMEMBER str", "SRANDMEMBER str 3", "SRANDMEMBER str abc",
	"SRANDMEMBER s 1 2", "SRANDMEMBER s abc", "SRANDMEMBER s 1.5",
	"SRANDMEMBER s -9223372036854775808",
	"SRANDMEMBER s 9223372036854775808", "SRANDMEMBER s 0",
	"SRANDMEMBER s", "SRANDMEMBER s 3", "SRANDMEMBER s -3",
	"SRANDMEMBER s 7", "SRANDMEMBER s 100", "SRANDMEMBER s -100",
	"SRANDMEMBER s 9223372036854775807", "SRANDMEMBER s -0",
	/* SMOVE */
	"SMOVE", "SMOVE s", "SMOVE s d", "SMOVE s d a b", "SMOVE nokey d a",
	"SMOVE nokey str a", "SMOVE str d a", "SMOVE s str a", "SMOVE s s zz",
	"SMOVE s s a", "SMOVE s d zz", "SMOVE s d a", "SMEMBERS d",
	"SMOVE s d a", "SMOVE d s a", "EXISTS d", "SADD one x",
	"SMOVE one two x", "EXISTS one", "SMEMBERS two", "SMOVE two str x",
	"SMEMBERS two",
	/* SINTER SUNION SDIFF and STORE */
	"SADD a 1 2 3 x y", "SADD b 2 3 4 y z", "SADD c 3 y 9", "SINTER",
	"SINTER a", "SINTER a b", "SINTER a b c", "SINTER a nokey",
	"SINTER nokey a", "SINTER a str", "SINTER nokey str", "SINTER str nokey",
	"SINTER a a", "SUNION", "SUNION a", "SUNION a b c", "SUNION a nokey",
	"SUNION nokey", "SUNION a str", "SUNION nokey str", "SUNION a a",
	"SDIFF", "SDIFF a", "SDIFF a b", "SDIFF a b c", "SDIFF a nokey",
	"SDIFF nokey a", "SDIFF a str", "SDIFF str a", "SDIFF nokey str",
	"SDIFF a a", "SDIFF a b a", "SINTERSTORE", "SINTERSTORE d",
	"SINTERSTORE d a b", "SMEMBERS d", "SINTERSTORE d a nokey",
	"EXISTS d", "SINTERSTORE str a", "TYPE str", "SET str v",
	"SINTERSTORE d a str", "SUNIONSTORE d a b c", "SMEMBERS d",
	"SUNIONSTORE d nokey", "EXISTS d", "SDIFFSTORE d a b", "SMEMBERS d",
	"SDIFFSTORE d a a", "EXISTS d", "SDIFFSTORE d nokey a", "SET dstr v",
	"SUNIONSTORE dstr a", "TYPE dstr", "SADD d z", "EXPIRE d 10000",
	"SUNIONSTORE d d a", "SMEMBERS d", "TTL d", "SINTERSTORE a a b",
	"SMEMBERS a", "SDIFFSTORE b b c", "SMEMBERS b",
	/* SSCAN */
	"SSCAN", "SSCAN s", "SSCAN s x", "SSCAN nokey x", "SSCAN str x",
	"SSCAN s 0", "SSCAN nokey 0", "SSCAN str 0", "SSCAN s 0 COUNT 0",
	"SSCAN s 0 COUNT x", "SSCAN s 0 MATCH", "SSCAN s 0 MATCH a*",
	"SSCAN s 0 TYPE set", "SSCAN s 0 COUNT 1 MATCH *",
	/* large sets */
	"DEL bs",
	"@SADD bs m 70", "@SADD bs n 70",
	"SCARD bs", "SISMEMBER bs n69", "SISMEMBER bs n70",
	"SMISMEMBER bs m0 n1 zz", "SMEMBERS bs", "SSCAN bs 0",
	"SSCAN bs 0 COUNT 7", "SSCAN bs 0 MATCH n1* COUNT 2",
	"SRANDMEMBER bs 5", "SRANDMEMBER bs -50", "SRANDMEMBER bs 100",
	"SRANDMEMBER bs 200", "SRANDMEMBER bs", "SPOP bs", "SPOP bs 10",
	"SPOP bs 100", "SCARD bs", "SINTER bs a", "SUNIONSTORE bu bs a b",
	"SCARD bu", "SDIFFSTORE bd bu bs", "SMEMBERS bd", "SMOVE bu bd m1",
	"RENAME bu bu2", "SCARD bu2", "SMEMBERS bu2", "SADD lm ~R70,q",
	"SMEMBERS lm", "SADD lm ~A", "SCARD lm", "SREM lm ~A ~R70,q",
	"EXISTS lm", "SPOP bu2 1000", "EXISTS bu2",
	NULL,
};

/* ----------------------------------------------------------------- tests */

static void test_fixed_list(void)
{
	CU_ASSERT(tu_diff_fixed("dhash", fixed, run_line, NDBS, true));
}

static void test_random_runs(void)
{
	unsigned counts[K_NKINDS] = { 0 };

	CU_ASSERT(tu_diff_random("dhash", NULL,
				 tu_diff_env_long("SHMREP_DIFF_RUNS",
						  DEFAULT_RUNS),
				 DEFAULT_CMDS, run_random, counts));
	for (int k = 0; k < K_NKINDS; k++)
		fprintf(stderr, "%s%s %u", k ? ", " : "  ", kind_names[k],
			counts[k]);
	fputc('\n', stderr);
}

static CU_TestInfo tests[] = {
	{ "fixed_list", test_fixed_list },
	{ "random_runs", test_random_runs },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = { { "diff_hash", tests },
					   { NULL, NULL } };

	tu_diff_init();
	return tu_main(argc, argv, suites);
}
