/*
 * test_diff_zset.c - differential test of the sorted-set commands:
 * redis-server 7.0 is the oracle (tests/util/tu_diff.h).
 *
 * Two sources of commands, as in test_diff.c:
 *
 * - a fixed list of edge cases (escaped notation of tu_diff.h, and
 *   "@ZADD KEY PREFIX N" for ZADD KEY 0 PREFIX0 1 PREFIX1 .. N-1
 *   PREFIX<N-1>): every command's argument errors in the order Redis
 *   checks them, replies on missing keys and wrong types, score parsing and
 *   printing (inf, -0, 2^62, hex, NaN results), the switch to the large
 *   encoding by count and by member size, -0 in small and large sets (a
 *   listpack keeps it as 0), LIMIT's negative offsets and counts, ZSCAN's
 *   integer scores, TTLs kept by changes and dropped by the *STORE
 *   commands, and the set algebra's corner cases (missing keys, sets as
 *   inputs, the same key twice, the destination among the sources, a
 *   destination of another type, 0 * inf and inf - inf);
 * - seeded random runs over a pool of 12 keys (mostly sorted sets, two of
 *   equal scores for the lex commands, two plain sets, a string and odd
 *   names), with members from a pool larger than SHM_PACK_MAX_ENTRIES and
 *   in bursts of up to 150, now and then longer than SHM_PACK_MAX_BYTES;
 *   scores from integers, fractions, infinities, both zeros, huge values
 *   and malformed ones; every command with valid and invalid arguments,
 *   options in random order and case.  Each run starts with FLUSHALL and
 *   ends with a comparison of the whole dataset (sorted sets with ZRANGE 0
 *   -1 WITHSCORES).
 *
 * Replies are compared exactly, ZSCAN by iterating both to the end.  One
 * thing is kept out on purpose: ZRANGEBYLEX and friends over a large set
 * whose scores differ, which Redis leaves unspecified (its skiplist walk
 * and shmrepd's bisection disagree there); lex commands go to the keys of
 * equal scores, or to others only while Redis keeps them as a listpack,
 * which shmrepd scans exactly as Redis does.
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

/* 0..4 sorted sets, 5..6 sorted sets of equal scores (lex), 7..8 sets,
 * 9..11 anything. */
#define NKEYS 12
#define ZKEYS 0
#define LEXKEYS 5
#define SETKEYS 7
#define ANYKEYS 9
static const char *const key_pool[NKEYS] = {
	"z0", "z1", "zset:big", "z~0x", "zz", "lex0", "lex~sb", "s0", "s1",
	"k0", "~e", "a~0b",
};

struct gen {
	uint64_t rng;
	struct tu_cmd *c;
	struct tu_diff *d; /* to ask Redis a key's encoding */
	unsigned counts[64]; /* commands generated, by kind */
};

/* A key of the group (its first key .. the next group's), sometimes any. */
static int pick_key(struct gen *g, int group)
{
	static const int end[] = { [ZKEYS] = LEXKEYS, [LEXKEYS] = SETKEYS,
				   [SETKEYS] = ANYKEYS, [ANYKEYS] = NKEYS };

	if (group < 0 || tu_chance(&g->rng, 10))
		return (int)tu_rnd(&g->rng, NKEYS);
	return group + (int)tu_rnd(&g->rng, (uint64_t)(end[group] - group));
}

static void gen_key(struct gen *g, int k)
{
	tu_cmd_str(g->c, key_pool[k]);
}

static bool is_lex(int k)
{
	return k >= LEXKEYS && k < SETKEYS;
}

/* A member: the pool m0..m199, prefixes of each other, odd bytes, the
 * empty one, or one past SHM_PACK_MAX_BYTES. */
static void gen_member(struct gen *g)
{
	static const char *const small[] = {
		"a", "aa", "aab", "ab", "b", "ba", "~e", "~0", "a~0", "~f",
		"~f~f", "x~sy", "0", "1", "-1", "10", "1.5", "~r~n",
	};
	char tmp[128];
	unsigned p = (unsigned)tu_rnd(&g->rng, 100);

	if (p < 45) {
		tu_cmd_fmt(g->c, "m%d", (int)tu_rnd(&g->rng, 200));
	} else if (p < 93) {
		tu_cmd_str(g->c, TU_PICK(&g->rng, small));
	} else if (p < 99) {
		size_t n = 65 + tu_rnd(&g->rng, 10);

		memset(tmp, 'l', n);
		tmp[n - 1] = (char)('0' + tu_rnd(&g->rng, 3));
		tu_cmd_raw(g->c, tmp, n);
	} else {
		tu_cmd_str(g->c, tu_chance(&g->rng, 50) ? "~A" : "~R64,q");
	}
}

static const char *const scores[] = {
	"0", "1", "2", "3", "-1", "-2", "5", "10", "0.5", "-2.25", "1e-5",
	"3.0", "inf", "+inf", "-inf", "-0", "-0.0", "+0", "1e300", "-1e300",
	"1152921504606846976", "4611686018427387905", "0x10", "1e308",
	"4503599627370496", "9007199254740993", ".5", "1e-320", "Infinity",
};
static const char *const bad_scores[] = {
	"nan", "abc", "~e", "~s1", "1~s", "1e400", "-1e400", "1e-400", "1,5",
	"--1", "1~0", "(1", "0x", "NaN",
};

static void gen_score(struct gen *g, int k)
{
	if (is_lex(k)) {
		tu_cmd_str(g->c, tu_chance(&g->rng, 90) ? "0" : "-0");
		return;
	}
	if (tu_chance(&g->rng, 3))
		tu_cmd_str(g->c, TU_PICK(&g->rng, bad_scores));
	else if (tu_chance(&g->rng, 60))
		tu_cmd_fmt(g->c, "%d", (int)tu_rnd(&g->rng, 12) - 3);
	else
		tu_cmd_str(g->c, TU_PICK(&g->rng, scores));
}

/* A score bound: plain, exclusive, infinite, or malformed. */
static void gen_score_bound(struct gen *g)
{
	static const char *const odd[] = {
		"-inf", "+inf", "inf", "(-inf", "(+inf", "(", "~e", "abc",
		"(abc", "nan", "(nan", "~s1", "1~s", "1~0x", "((1", "[1",
		"1e400", "-0", "(0", "(-0",
	};

	if (tu_chance(&g->rng, 15))
		tu_cmd_str(g->c, TU_PICK(&g->rng, odd));
	else
		tu_cmd_fmt(g->c, "%s%d", tu_chance(&g->rng, 30) ? "(" : "",
			   (int)tu_rnd(&g->rng, 14) - 4);
}

/* A lex bound: "-", "+", "[x", "(x", or malformed. */
static void gen_lex_bound(struct gen *g)
{
	static const char *const words[] = {
		"a", "aa", "ab", "b", "m1", "m5", "m50", "~e", "~f", "l", "x",
		"0", "1",
	};
	static const char *const odd[] = {
		"a", "~e", "+a", "-a", "++", "--", "+~0x", "-~0", "{a", "]a",
	};
	unsigned p = (unsigned)tu_rnd(&g->rng, 100);

	if (p < 10)
		tu_cmd_str(g->c, "-");
	else if (p < 20)
		tu_cmd_str(g->c, "+");
	else if (p < 25)
		tu_cmd_str(g->c, TU_PICK(&g->rng, odd));
	else {
		char tmp[16];

		snprintf(tmp, sizeof(tmp), "%c%s", tu_chance(&g->rng, 50) ? '[' : '(',
			 TU_PICK(&g->rng, words));
		tu_cmd_str(g->c, tmp); /* escaped: "~f" is 0xff */
	}
}

static void gen_index(struct gen *g)
{
	static const char *const odd[] = {
		"abc", "1.5", "~e", "9223372036854775807",
		"-9223372036854775808", "9223372036854775808", "~s1", "01",
	};

	if (tu_chance(&g->rng, 5))
		tu_cmd_str(g->c, TU_PICK(&g->rng, odd));
	else
		tu_cmd_fmt(g->c, "%d", (int)tu_rnd(&g->rng, 30) - 12);
}

/* LIMIT offset count, now and then malformed or cut short. */
static void gen_limit(struct gen *g)
{
	tu_cmd_word(g->c, &g->rng, "limit");
	if (tu_chance(&g->rng, 3))
		return;
	if (tu_chance(&g->rng, 5))
		tu_cmd_str(g->c, "x");
	else
		tu_cmd_fmt(g->c, "%d", (int)tu_rnd(&g->rng, 8) - 2);
	if (tu_chance(&g->rng, 3))
		return;
	tu_cmd_fmt(g->c, "%d", (int)tu_rnd(&g->rng, 10) - 3);
}

/*
 * Whether Redis holds key k as a listpack (or not at all): lex commands
 * over unequal scores are defined there only.  Asked of Redis alone.
 */
static bool small_on_redis(struct gen *g, int k)
{
	struct tu_cmd *c = malloc(sizeof(*c));
	struct tu_buf r = { 0 };
	bool small;

	if (!c)
		abort();
	tu_cmd_reset(c);
	tu_cmd_str(c, "OBJECT");
	tu_cmd_str(c, "ENCODING");
	tu_cmd_str(c, key_pool[k]);
	small = tu_diff_call(g->d, 0, c, &r) &&
		(!r.p || !strstr(r.p, "skiplist"));
	tu_buf_free(&r);
	free(c);
	return small;
}

/* A key for a lex command: one of equal scores, or a small one. */
static int lex_key(struct gen *g)
{
	int k = pick_key(g, tu_chance(&g->rng, 60) ? LEXKEYS : ZKEYS);

	return is_lex(k) || small_on_redis(g, k) ? k : LEXKEYS;
}

/* --------------------------------------------------------------- kinds */

enum {
	K_ZADD, K_ZINCRBY, K_ZREM, K_POINT, K_COUNT, K_RANGE, K_OLDRANGE,
	K_POP, K_REMRANGE, K_STORE, K_RANGESTORE, K_SCAN, K_OTHER, K_ARITY,
	K_NKINDS
};

static const char *const kind_names[K_NKINDS] = {
	"zadd", "zincrby", "zrem", "zscore/zmscore/zrank/zcard", "zcount",
	"zrange", "zrangeby*", "zpop", "zremrangeby*", "z*store",
	"zrangestore", "zscan", "other", "arity",
};

static const unsigned weights[K_NKINDS] = {
	22, 5, 8, 12, 5, 12, 8, 5, 5, 5, 4, 4, 4, 1,
};

static void gen_zadd(struct gen *g)
{
	static const char *const opts[] = { "nx", "xx", "gt", "lt", "ch",
					    "incr" };
	int k = pick_key(g, tu_chance(&g->rng, 15) ? LEXKEYS : ZKEYS);
	int n = tu_chance(&g->rng, 4) ? 40 + (int)tu_rnd(&g->rng, 110) : 1 + (int)tu_rnd(&g->rng, 4);

	tu_cmd_word(g->c, &g->rng, "zadd");
	gen_key(g, k);
	/* Options: mostly none or one, sometimes clashing ones. */
	for (int i = 0, m = tu_chance(&g->rng, 60) ? 0 : 1 + (int)tu_rnd(&g->rng, 2); i < m; i++)
		tu_cmd_word(g->c, &g->rng, TU_PICK(&g->rng, opts));
	if (tu_chance(&g->rng, 5))
		n = 0;
	for (int i = 0; i < n; i++) {
		gen_score(g, k);
		gen_member(g);
	}
	if (tu_chance(&g->rng, 3))
		gen_score(g, k); /* an odd count */
}

static void gen_zincrby(struct gen *g)
{
	int k = pick_key(g, tu_chance(&g->rng, 10) ? LEXKEYS : ZKEYS);

	tu_cmd_word(g->c, &g->rng, "zincrby");
	gen_key(g, k);
	if (tu_chance(&g->rng, 5))
		tu_cmd_word(g->c, &g->rng, TU_PICK(&g->rng, ((const char *const[]){ "nx", "incr",
							    "xx", "gt" })));
	else
		gen_score(g, k);
	gen_member(g);
}

static void gen_point(struct gen *g)
{
	int k = pick_key(g, ZKEYS), n;

	switch (tu_rnd(&g->rng, 6)) {
	case 0:
		tu_cmd_word(g->c, &g->rng, "zscore");
		gen_key(g, k);
		gen_member(g);
		break;
	case 1:
		tu_cmd_word(g->c, &g->rng, "zmscore");
		gen_key(g, k);
		n = 1 + (int)tu_rnd(&g->rng, 4);
		for (int i = 0; i < n; i++)
			gen_member(g);
		break;
	case 2:
	case 3:
		tu_cmd_word(g->c, &g->rng, tu_chance(&g->rng, 50) ? "zrank" : "zrevrank");
		gen_key(g, k);
		gen_member(g);
		break;
	default:
		tu_cmd_word(g->c, &g->rng, "zcard");
		gen_key(g, k);
		break;
	}
}

static void gen_count(struct gen *g)
{
	if (tu_chance(&g->rng, 60)) {
		tu_cmd_word(g->c, &g->rng, "zcount");
		gen_key(g, pick_key(g, ZKEYS));
		gen_score_bound(g);
		gen_score_bound(g);
	} else {
		tu_cmd_word(g->c, &g->rng, "zlexcount");
		gen_key(g, lex_key(g));
		gen_lex_bound(g);
		gen_lex_bound(g);
	}
}

/* ZRANGE / ZRANGESTORE: the key, start and stop of the kind chosen, and
 * options in random order (some repeated, some out of place). */
static void gen_zrange_args(struct gen *g, bool store)
{
	int by = (int)tu_rnd(&g->rng, 3); /* rank, score, lex */
	int k = by == 2 ? lex_key(g) : pick_key(g, ZKEYS);
	int nopt = (int)tu_rnd(&g->rng, 4);

	gen_key(g, k);
	for (int i = 0; i < 2; i++) {
		if (by == 0 || tu_chance(&g->rng, 3))
			gen_index(g);
		else if (by == 1)
			gen_score_bound(g);
		else
			gen_lex_bound(g);
	}
	for (int i = 0; i < nopt; i++) {
		switch (tu_rnd(&g->rng, 6)) {
		case 0:
			tu_cmd_word(g->c, &g->rng, by == 2 ? "bylex" : by == 1 ? "byscore"
							       : "rev");
			break;
		case 1:
			tu_cmd_word(g->c, &g->rng, "rev");
			break;
		case 2:
			if (!store || tu_chance(&g->rng, 10))
				tu_cmd_word(g->c, &g->rng, "withscores");
			break;
		case 3:
			if (by || tu_chance(&g->rng, 20))
				gen_limit(g);
			break;
		case 4:
			/* A stray BYLEX only where lex ranges are defined. */
			if (tu_chance(&g->rng, 10) && (by == 2 || is_lex(k)))
				tu_cmd_word(g->c, &g->rng, TU_PICK(&g->rng, ((const char *const[]){
							    "bylex", "byscore",
							    "foo" })));
			else if (tu_chance(&g->rng, 10))
				tu_cmd_word(g->c, &g->rng, tu_chance(&g->rng, 50) ? "byscore" : "foo");
			break;
		default:
			tu_cmd_word(g->c, &g->rng, by == 2 ? "bylex" : by == 1 ? "byscore"
							       : "withscores");
			break;
		}
	}
}

static void gen_range(struct gen *g)
{
	tu_cmd_word(g->c, &g->rng, "zrange");
	gen_zrange_args(g, false);
}

static void gen_oldrange(struct gen *g)
{
	int v = (int)tu_rnd(&g->rng, 5), k;

	if (v == 0) {
		tu_cmd_word(g->c, &g->rng, "zrevrange");
		gen_key(g, pick_key(g, ZKEYS));
		gen_index(g);
		gen_index(g);
	} else if (v <= 2) {
		tu_cmd_word(g->c, &g->rng, v == 1 ? "zrangebyscore" : "zrevrangebyscore");
		gen_key(g, pick_key(g, ZKEYS));
		gen_score_bound(g);
		gen_score_bound(g);
	} else {
		tu_cmd_word(g->c, &g->rng, v == 3 ? "zrangebylex" : "zrevrangebylex");
		k = lex_key(g);
		gen_key(g, k);
		gen_lex_bound(g);
		gen_lex_bound(g);
	}
	if (tu_chance(&g->rng, 40))
		tu_cmd_word(g->c, &g->rng, "withscores");
	if (tu_chance(&g->rng, 40))
		gen_limit(g);
	if (tu_chance(&g->rng, 10))
		tu_cmd_word(g->c, &g->rng, TU_PICK(&g->rng, ((const char *const[]){ "rev", "byscore",
							    "withscores" })));
}

static void gen_pop(struct gen *g)
{
	tu_cmd_word(g->c, &g->rng, tu_chance(&g->rng, 50) ? "zpopmin" : "zpopmax");
	gen_key(g, pick_key(g, ZKEYS));
	if (tu_chance(&g->rng, 60))
		return;
	if (tu_chance(&g->rng, 10))
		tu_cmd_str(g->c, TU_PICK(&g->rng, ((const char *const[]){
					       "-1", "abc", "1.5", "~e",
					       "9223372036854775807" })));
	else
		tu_cmd_fmt(g->c, "%d", (int)tu_rnd(&g->rng, 6));
	if (tu_chance(&g->rng, 5))
		tu_cmd_str(g->c, "1");
}

static void gen_remrange(struct gen *g)
{
	switch (tu_rnd(&g->rng, 3)) {
	case 0:
		tu_cmd_word(g->c, &g->rng, "zremrangebyrank");
		gen_key(g, pick_key(g, ZKEYS));
		gen_index(g);
		tu_cmd_fmt(g->c, "%d", (int)tu_rnd(&g->rng, 8) - 3);
		break;
	case 1:
		tu_cmd_word(g->c, &g->rng, "zremrangebyscore");
		gen_key(g, pick_key(g, ZKEYS));
		gen_score_bound(g);
		gen_score_bound(g);
		break;
	default:
		tu_cmd_word(g->c, &g->rng, "zremrangebylex");
		gen_key(g, lex_key(g));
		gen_lex_bound(g);
		gen_lex_bound(g);
		break;
	}
}

/* A destination: any key but the equal-score ones. */
static int dst_key(struct gen *g)
{
	int k;

	do
		k = (int)tu_rnd(&g->rng, NKEYS);
	while (is_lex(k));
	return k;
}

static void gen_store(struct gen *g)
{
	static const char *const ops[] = { "zunionstore", "zinterstore",
					   "zdiffstore" };
	const char *op = TU_PICK(&g->rng, ops);
	int n = 1 + (int)tu_rnd(&g->rng, 3), given = n;

	tu_cmd_word(g->c, &g->rng, op);
	gen_key(g, dst_key(g));
	if (tu_chance(&g->rng, 5))
		tu_cmd_str(g->c, TU_PICK(&g->rng, ((const char *const[]){
					       "0", "-1", "abc", "5", "~e" })));
	else
		tu_cmd_fmt(g->c, "%d", n);
	if (tu_chance(&g->rng, 5))
		given = n - 1;
	for (int i = 0; i < given; i++)
		gen_key(g, pick_key(g, tu_chance(&g->rng, 20) ? SETKEYS : ZKEYS));
	if (tu_chance(&g->rng, 35)) {
		tu_cmd_word(g->c, &g->rng, "weights");
		for (int i = 0, m = tu_chance(&g->rng, 5) ? n + 1 : n; i < m; i++)
			tu_cmd_str(g->c, TU_PICK(&g->rng, ((const char *const[]){
						       "1", "2", "-1", "0",
						       "0.5", "inf", "-inf",
						       "abc", "-0" })));
	}
	if (tu_chance(&g->rng, 35)) {
		tu_cmd_word(g->c, &g->rng, "aggregate");
		tu_cmd_word(g->c, &g->rng, TU_PICK(&g->rng, ((const char *const[]){ "sum", "min", "max",
							    "avg" })));
	}
	if (tu_chance(&g->rng, 3))
		tu_cmd_word(g->c, &g->rng, TU_PICK(&g->rng, ((const char *const[]){ "withscores",
							    "limit", "foo" })));
}

static void gen_rangestore(struct gen *g)
{
	tu_cmd_word(g->c, &g->rng, "zrangestore");
	gen_key(g, dst_key(g));
	gen_zrange_args(g, true);
}

static void gen_scan(struct gen *g)
{
	static const char *const patterns[] = {
		"*", "m1*", "a*", "*a", "m?", "[ab]*", "~e", "l*", "*~0*",
	};
	int n = (int)tu_rnd(&g->rng, 3);

	tu_cmd_word(g->c, &g->rng, "zscan");
	gen_key(g, pick_key(g, ZKEYS));
	/* Only 0 or malformed: other cursors mean different things to the
	 * two servers (a bucket there, a hash here). */
	tu_cmd_str(g->c, tu_chance(&g->rng, 95) ? "0" : TU_PICK(&g->rng, ((const char *const[]){
							    "abc", "~s0",
							    "1.5" })));
	for (int i = 0; i < n; i++) {
		if (tu_chance(&g->rng, 50)) {
			tu_cmd_word(g->c, &g->rng, "match");
			tu_cmd_str(g->c, TU_PICK(&g->rng, patterns));
		} else if (tu_chance(&g->rng, 80)) {
			tu_cmd_word(g->c, &g->rng, "count");
			tu_cmd_fmt(g->c, "%d", (int)tu_rnd(&g->rng, 30) - 1);
		} else {
			tu_cmd_word(g->c, &g->rng, TU_PICK(&g->rng, ((const char *const[]){ "type",
								    "foo" })));
			tu_cmd_str(g->c, "zset");
		}
	}
}

/* Other types, TTLs and deletes, so that keys collide across types. */
static void gen_other(struct gen *g)
{
	int k = pick_key(g, -1);

	switch (tu_rnd(&g->rng, 8)) {
	case 0:
	case 1:
		tu_cmd_word(g->c, &g->rng, "sadd");
		gen_key(g, pick_key(g, SETKEYS));
		for (int i = 0, n = 1 + (int)tu_rnd(&g->rng, 5); i < n; i++)
			gen_member(g);
		break;
	case 2:
		tu_cmd_word(g->c, &g->rng, "set");
		gen_key(g, pick_key(g, ANYKEYS));
		tu_cmd_str(g->c, "v");
		break;
	case 3:
		tu_cmd_word(g->c, &g->rng, "expire");
		gen_key(g, k);
		tu_cmd_str(g->c, "100000");
		break;
	case 4:
		tu_cmd_word(g->c, &g->rng, "ttl");
		gen_key(g, k);
		break;
	case 5:
		tu_cmd_word(g->c, &g->rng, "del");
		gen_key(g, k);
		break;
	case 6:
		tu_cmd_word(g->c, &g->rng, "type");
		gen_key(g, k);
		break;
	default:
		tu_cmd_word(g->c, &g->rng, "exists");
		gen_key(g, k);
		break;
	}
}

/* A command short of arguments. */
static void gen_arity(struct gen *g)
{
	static const char *const lines[] = {
		"zadd", "zadd k", "zadd k 1", "zincrby k 1", "zrem k",
		"zcard", "zscore k", "zmscore k", "zrank k", "zrevrank k",
		"zcount k 1", "zlexcount k -", "zrange k 0", "zrevrange k 0",
		"zrangebyscore k 0", "zrevrangebyscore k 0", "zrangebylex k -",
		"zrevrangebylex k +", "zpopmin", "zpopmax",
		"zremrangebyrank k 0",
		"zremrangebyscore k 0", "zremrangebylex k -",
		"zunionstore d 1", "zinterstore d", "zdiffstore d",
		"zrangestore d k 0", "zscan k", "zcard k k", "zincrby k 1 m x",
	};

	tu_cmd_line(g->c, TU_PICK(&g->rng, lines));
}

static void gen_cmd(struct gen *g)
{
	unsigned total = 0, p;
	int kind = 0;

	for (int k = 0; k < K_NKINDS; k++)
		total += weights[k];
	p = (unsigned)tu_rnd(&g->rng, total);
	while (p >= weights[kind])
		p -= weights[kind++];
	g->counts[kind]++;
	tu_cmd_reset(g->c);
	switch (kind) {
	case K_ZADD:
		gen_zadd(g);
		break;
	case K_ZINCRBY:
		gen_zincrby(g);
		break;
	case K_ZREM:
		tu_cmd_word(g->c, &g->rng, "zrem");
		gen_key(g, pick_key(g, tu_chance(&g->rng, 20) ? LEXKEYS : ZKEYS));
		for (int i = 0, n = 1 + (int)tu_rnd(&g->rng, 4); i < n; i++)
			gen_member(g);
		break;
	case K_POINT:
		gen_point(g);
		break;
	case K_COUNT:
		gen_count(g);
		break;
	case K_RANGE:
		gen_range(g);
		break;
	case K_OLDRANGE:
		gen_oldrange(g);
		break;
	case K_POP:
		gen_pop(g);
		break;
	case K_REMRANGE:
		gen_remrange(g);
		break;
	case K_STORE:
		gen_store(g);
		break;
	case K_RANGESTORE:
		gen_rangestore(g);
		break;
	case K_SCAN:
		gen_scan(g);
		break;
	case K_OTHER:
		gen_other(g);
		break;
	default:
		gen_arity(g);
		break;
	}
}

/* ------------------------------------------------------------- running */

/* A fixed-list line "@ZADD KEY PREFIX N" (see the top of the file). */
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
		if (!strcasecmp(name, "zadd"))
			tu_cmd_fmt(c, "%d", i);
		tu_cmd_fmt(c, "%s%d", prefix, i);
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
	ok = tu_diff_run(d, c);
	free(c);
	return ok;
}

/* One seeded run of ncmds commands from an empty dataset. */
static bool run_random(struct tu_diff *d, uint64_t seed, long ncmds,
		       void *arg)
{
	unsigned *counts = arg;
	struct gen g = {
		.rng = seed, .c = malloc(sizeof(struct tu_cmd)), .d = d,
	};
	bool ok;

	if (!g.c)
		abort();
	d->seed = seed;
	d->cmdno = 0;
	ok = run_line(d, "FLUSHALL") && run_line(d, "SELECT 0");
	while (ok && d->cmdno < ncmds) {
		gen_cmd(&g);
		g.c->how = tu_diff_cmp_for(g.c);
		ok = tu_diff_run(d, g.c);
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
	/* ZADD: options, their clashes and their order of checks */
	"ZADD", "ZADD z", "ZADD z 1", "ZADD z 1 a 2", "ZADD z nx",
	"ZADD z nx 1", "ZADD z 1 a", "ZADD z 2 b 3 c 1 a", "ZADD z 1 a 1 a",
	"ZADD z 4 a 5 a", "ZSCORE z a", "ZADD z nx xx 1 a", "ZADD z xx nx 1 a",
	"ZADD z gt lt 1 a", "ZADD z gt nx 1 a", "ZADD z lt nx 1 a",
	"ZADD z incr 1 a 2 b", "ZADD z nx xx 1 a 2", "ZADD z nx xx abc a",
	"ZADD z gt lt abc a", "ZADD z incr abc a 1 b", "ZADD z abc a",
	"ZADD z 1 a abc b", "ZADD z nan a", "ZADD z ~e a", "ZADD z ~s1 a",
	"ZADD z 1~s a", "ZADD z 1e400 a", "ZADD z 1e-400 a", "ZADD z foo 1 a",
	"ZADD z 1 a foo", "ZADD z ch 1 a 9 b", "ZADD z CH NX 1 a 7 new",
	"ZADD z xx ch 8 a 1 nope", "ZADD z XX 1 nope", "ZSCORE z nope",
	"ZADD z gt 1 a", "ZADD z gt 100 a", "ZADD z lt 200 a", "ZADD z lt -5 a",
	"ZADD z gt ch 5 a 6 b 1 c", "ZADD z lt ch 5 a 6 b 1 c",
	"ZADD z xx gt ch 50 a 1 b", "ZADD z nx nx 1 q", "ZADD z ch ch 2 q",
	"ZADD z incr 5 a", "ZADD z incr -5 a", "ZADD z incr nx 1 a",
	"ZADD z incr xx 1 zz", "ZADD z incr nx 1 zz", "ZADD z incr gt -100 a",
	"ZADD z incr lt -100 a", "ZADD z incr lt 100 a", "ZADD nokey xx 1 a",
	"ZADD nokey xx incr 1 a", "EXISTS nokey", "ZADD z nx~0 1 r",
	"ZADD z 1 ~e", "ZSCORE z ~e", "ZADD z 1 a~0b", "ZSCORE z a~0b",
	"ZRANGE z 0 -1 WITHSCORES", "SET str v", "ZADD str 1 a",
	"ZADD str xx 1 a", "ZADD str nx xx 1 a", "ZADD str 1", "ZADD str abc a",
	"SADD set m", "ZADD set 1 m",
	/* score formats */
	"ZADD f inf a -inf b +inf c 0x10 d 1e300 e 0.1 f 5e-324 g",
	"ZADD f .5 h", "ZADD f 1152921504606846976 i 4611686018427387904 j",
	"ZADD f 4611686018427387905 k 9007199254740993 l", "ZADD f Infinity m",
	"ZADD f -Infinity n", "ZADD f 3.0 o 1e17 p 123456789012345678 q",
	"ZRANGE f 0 -1 WITHSCORES", "ZSCAN f 0", "ZMSCORE f a b c d e f g zz",
	/* ZINCRBY, and NaN */
	"ZINCRBY", "ZINCRBY z 1", "ZINCRBY z 1 a b", "ZINCRBY z abc a",
	"ZINCRBY z nx a", "ZINCRBY z incr a", "ZINCRBY z xx a",
	"ZINCRBY z ch a", "ZINCRBY z 2.5 a", "ZINCRBY z -2.5 newm",
	"ZINCRBY z ~e a", "ZINCRBY str 1 a", "ZINCRBY nokey2 1 m",
	"ZRANGE nokey2 0 -1 WITHSCORES", "ZADD nan inf a", "ZINCRBY nan -inf a",
	"ZINCRBY nan inf a", "ZADD nan incr -inf a", "ZSCORE nan a",
	"ZADD nan -inf b", "ZINCRBY nan +inf b",
	/* -0: a small set keeps 0, a large one -0 */
	"ZADD mz -0 a 0 b -0.0 c", "ZRANGE mz 0 -1 WITHSCORES", "ZSCORE mz a",
	"ZSCAN mz 0", "ZINCRBY mz -0 a", "ZADD mz incr -0 d", "ZSCORE mz d",
	"ZADD mz 0 a", "ZADD mz -0 a", "ZADD mz ch -0 a", "@ZADD mzbig m 130",
	"ZADD mzbig -0 neg", "ZSCORE mzbig neg", "ZRANGE mzbig 0 2 WITHSCORES",
	"ZINCRBY mzbig -0 neg", "ZADD mzbig 0 neg", "ZSCORE mzbig neg",
	"ZADD mzbig ch 0 neg", "ZRANGEBYSCORE mzbig -0 0 WITHSCORES",
	"ZCOUNT mzbig (-0 0", "ZSCAN mzbig 0 MATCH neg",
	/* ZREM */
	"ZREM", "ZREM z", "ZREM z nope", "ZREM z a nope a", "ZREM nokey a",
	"ZREM str a", "ZADD one 1 x", "ZREM one x y", "EXISTS one",
	/* point reads */
	"ZCARD z", "ZCARD nokey", "ZCARD str", "ZCARD", "ZCARD z z",
	"ZSCORE z b", "ZSCORE nokey a", "ZSCORE str a", "ZSCORE z", "ZMSCORE z",
	"ZMSCORE z b nope c", "ZMSCORE nokey a b", "ZMSCORE str a", "ZRANK z b",
	"ZRANK z nope", "ZRANK nokey a", "ZRANK str a", "ZRANK z b withscore",
	"ZREVRANK z b", "ZREVRANK z nope", "ZREVRANK str a",
	/* ZCOUNT ZLEXCOUNT */
	"ZADD c 1 a 2 b 3 c 4 d 5 e", "ZCOUNT c 2 4", "ZCOUNT c (2 4",
	"ZCOUNT c 2 (4", "ZCOUNT c (2 (2", "ZCOUNT c 2 2", "ZCOUNT c 4 2",
	"ZCOUNT c -inf +inf", "ZCOUNT c (-inf (+inf", "ZCOUNT c inf -inf",
	"ZCOUNT c ~e ~e", "ZCOUNT c ( (", "ZCOUNT c ~s2 5", "ZCOUNT c 2~0x 5",
	"ZCOUNT c abc 5", "ZCOUNT c 1 nan", "ZCOUNT c ((1 5", "ZCOUNT c [1 5",
	"ZCOUNT nokey 1 2", "ZCOUNT nokey a b", "ZCOUNT str 1 2",
	"ZCOUNT str a b", "ZCOUNT c 1e400 5", "ZCOUNT c 0x1 0x4",
	"ZADD lx 0 a 0 b 0 c 0 d 0 e", "ZLEXCOUNT lx - +", "ZLEXCOUNT lx + -",
	"ZLEXCOUNT lx - -", "ZLEXCOUNT lx + +", "ZLEXCOUNT lx [b [d",
	"ZLEXCOUNT lx (b (d", "ZLEXCOUNT lx (b (b", "ZLEXCOUNT lx [b [b",
	"ZLEXCOUNT lx [d [b", "ZLEXCOUNT lx a c", "ZLEXCOUNT lx ~e +",
	"ZLEXCOUNT lx +a +", "ZLEXCOUNT lx +~0a +", "ZLEXCOUNT lx -~0 +",
	"ZLEXCOUNT lx [ +", "ZLEXCOUNT lx ( (~f", "ZLEXCOUNT nokey - +",
	"ZLEXCOUNT nokey a b", "ZLEXCOUNT str - +", "ZLEXCOUNT str a b",
	/* ZRANGE and its options */
	"ZRANGE c 0 -1", "ZRANGE c 0 -1 WITHSCORES", "ZRANGE c 1 2",
	"ZRANGE c -2 -1", "ZRANGE c -100 100", "ZRANGE c 3 1", "ZRANGE c 5 10",
	"ZRANGE c 0 -1 REV", "ZRANGE c 0 1 REV WITHSCORES", "ZRANGE c a 1",
	"ZRANGE c 0 1.5", "ZRANGE c 0 -1 LIMIT 0 1", "ZRANGE c 0 -1 LIMIT 0 -1",
	"ZRANGE c 0 -1 LIMIT 0", "ZRANGE c 0 -1 LIMIT a b",
	"ZRANGE c 0 -1 LIMIT 1 x BYSCORE", "ZRANGE c 2 4 BYSCORE",
	"ZRANGE c (2 4 BYSCORE", "ZRANGE c 4 2 BYSCORE REV",
	"ZRANGE c 2 4 BYSCORE REV", "ZRANGE c -inf +inf BYSCORE LIMIT 1 2",
	"ZRANGE c +inf -inf BYSCORE REV LIMIT 1 2 WITHSCORES",
	"ZRANGE c -inf +inf BYSCORE LIMIT -1 2",
	"ZRANGE c -inf +inf BYSCORE LIMIT 1 -2",
	"ZRANGE c -inf +inf BYSCORE LIMIT 5 1",
	"ZRANGE c -inf +inf BYSCORE LIMIT 4 1",
	"ZRANGE c -inf +inf BYSCORE LIMIT 0 0", "ZRANGE c a b BYSCORE",
	"ZRANGE c [a [c BYLEX", "ZRANGE lx [b [d BYLEX",
	"ZRANGE lx [d [b BYLEX REV", "ZRANGE lx + - BYLEX REV LIMIT 1 2",
	"ZRANGE lx - + BYLEX LIMIT -1 2", "ZRANGE lx - + BYLEX LIMIT 10 2",
	"ZRANGE lx - + BYLEX WITHSCORES", "ZRANGE lx a b BYLEX",
	"ZRANGE lx 0 -1 BYLEX", "ZRANGE c 0 -1 BYSCORE BYLEX",
	"ZRANGE c 0 -1 BYLEX BYSCORE", "ZRANGE c 0 -1 REV REV",
	"ZRANGE c 0 -1 WITHSCORES WITHSCORES", "ZRANGE c 0 -1 FOO",
	"ZRANGE c 0 -1 LIMIT 0 1 LIMIT 0 2 BYSCORE", "ZRANGE nokey 0 -1",
	"ZRANGE nokey a b", "ZRANGE nokey 0 -1 BYSCORE", "ZRANGE str 0 -1",
	"ZRANGE str a b", "ZRANGE str 0 -1 FOO", "ZRANGE c 0 -1 withscores~0x",
	/* the old forms */
	"ZREVRANGE c 0 1", "ZREVRANGE c 0 -1 WITHSCORES",
	"ZREVRANGE c 0 -1 REV", "ZREVRANGE c 0 -1 BYSCORE",
	"ZREVRANGE c 0 -1 LIMIT 0 1", "ZREVRANGE c 0 -1 LIMIT 0 -1",
	"ZRANGEBYSCORE c 2 4", "ZRANGEBYSCORE c 2 4 WITHSCORES LIMIT 1 1",
	"ZRANGEBYSCORE c 4 2", "ZRANGEBYSCORE c 2 4 REV",
	"ZRANGEBYSCORE c 2 4 BYSCORE", "ZRANGEBYSCORE c 2 4 LIMIT 1",
	"ZREVRANGEBYSCORE c 4 2", "ZREVRANGEBYSCORE c 4 2 WITHSCORES",
	"ZREVRANGEBYSCORE c 2 4", "ZREVRANGEBYSCORE c +inf -inf LIMIT 1 2",
	"ZRANGEBYLEX lx - +", "ZRANGEBYLEX lx - + LIMIT 1 2",
	"ZRANGEBYLEX lx - + WITHSCORES", "ZRANGEBYLEX lx [a (c",
	"ZREVRANGEBYLEX lx + -", "ZREVRANGEBYLEX lx (c [a",
	"ZREVRANGEBYLEX lx [a (c", "ZREVRANGEBYLEX lx + - LIMIT 1 2",
	"ZRANGEBYLEX nokey - +", "ZRANGEBYLEX str - +", "ZRANGEBYLEX lx a b",
	"ZRANGEBYSCORE str 0 1",
	/* lex over unequal scores, small set: listpack order, not bisection */
	"ZADD mix 3 a 1 b 2 c 0 d 5 e", "ZRANGEBYLEX mix [b [d",
	"ZREVRANGEBYLEX mix [d [b", "ZLEXCOUNT mix [b +", "ZLEXCOUNT mix - [c",
	"ZRANGEBYLEX mix - [c LIMIT 1 5", "ZREMRANGEBYLEX mix [c [d",
	"ZRANGE mix 0 -1 WITHSCORES",
	/* ZPOPMIN ZPOPMAX */
	"ZPOPMIN", "ZPOPMIN c 1 2", "ZPOPMIN c -1", "ZPOPMIN c abc",
	"ZPOPMIN c 0", "ZPOPMIN nokey", "ZPOPMIN nokey 0", "ZPOPMIN nokey -1",
	"ZPOPMIN str", "ZPOPMIN str 0", "ZPOPMIN str -1", "ZPOPMIN c",
	"ZPOPMAX c", "ZPOPMIN c 2", "ZPOPMAX c 100", "EXISTS c",
	"ZADD c 1 a 2 b 3 c", "ZPOPMAX c 9223372036854775807",
	"ZPOPMIN c 9223372036854775808",
	/* ZREMRANGEBY* */
	"ZADD r 1 a 2 b 3 c 4 d 5 e 6 f", "ZREMRANGEBYRANK r 0 0",
	"ZREMRANGEBYRANK r -1 -1", "ZREMRANGEBYRANK r 5 1",
	"ZREMRANGEBYRANK r a 1", "ZREMRANGEBYRANK r 10 20",
	"ZREMRANGEBYRANK nokey 0 1", "ZREMRANGEBYRANK str 0 1",
	"ZREMRANGEBYRANK str a 1", "ZREMRANGEBYSCORE r (2 4",
	"ZREMRANGEBYSCORE r a 4", "ZREMRANGEBYSCORE nokey a 4",
	"ZREMRANGEBYSCORE str 1 2", "ZREMRANGEBYLEX lx [a (c",
	"ZREMRANGEBYLEX lx a c", "ZREMRANGEBYLEX str - +",
	"ZREMRANGEBYLEX nokey a b", "ZRANGE r 0 -1 WITHSCORES",
	"ZRANGE lx 0 -1", "ZREMRANGEBYRANK r 0 -1", "EXISTS r",
	"ZREMRANGEBYLEX lx - +", "EXISTS lx",
	/* the switch to the large encoding: by count, both ways round 128 */
	"DEL big", "@ZADD big m 128", "ZCARD big", "ZSCAN big 0 COUNT 5",
	"ZADD big 200 extra", "ZCARD big", "ZRANGE big 120 130 WITHSCORES",
	"ZRANK big extra", "ZREVRANK big m0", "ZSCORE big m77",
	"ZRANGEBYSCORE big (100 +inf LIMIT 2 3", "ZCOUNT big 10 20",
	"ZINCRBY big 1000 m5", "ZRANK big m5", "ZREM big extra m5",
	"ZREMRANGEBYRANK big 0 99", "ZCARD big", "ZRANGE big 0 -1 WITHSCORES",
	"ZADD big 1 one", "ZRANGE big 0 3 WITHSCORES", "ZSCAN big 0 COUNT 1000",
	"ZPOPMIN big 3", "ZPOPMAX big 2", "ZREMRANGEBYSCORE big 110 120",
	/* a ZADD of more than 128 members at once, and duplicates */
	"@ZADD once m 200", "ZCARD once", "ZRANGE once 190 -1 WITHSCORES",
	/* ...and by size */
	"ZADD long 1 ~R64,x", "ZADD long 2 ~R65,x",
	"ZRANGE long 0 -1 WITHSCORES", "ZSCORE long ~R65,x",
	"ZADD long2 xx 1 ~R65,x", "EXISTS long2", "ZADD long3 1 ~R65,y",
	"ZSCAN long3 0", "ZADD huge 5 ~A", "ZSCORE huge ~A", "ZREM huge ~A",
	"EXISTS huge",
	/* TTLs: kept by changes, dropped by the *STORE commands */
	"ZADD t 1 a 2 b", "EXPIRE t 10000", "ZADD t 3 c", "TTL t", "ZREM t a",
	"TTL t", "ZINCRBY t 1 b", "TTL t", "ZPOPMIN t", "TTL t",
	"@ZADD t m 140", "TTL t", "ZREM t m0", "TTL t", "ZREMRANGEBYRANK t 0 5",
	"TTL t", "ZUNIONSTORE t 1 t", "TTL t", "EXPIRE t 10000",
	"ZRANGESTORE t t 0 -1", "TTL t", "ZCARD t",
	/* ZUNIONSTORE ZINTERSTORE ZDIFFSTORE */
	"ZADD za 1 a 2 b 3 c", "ZADD zb 10 b 20 c 30 d", "SADD sa a c e",
	"ZUNIONSTORE", "ZUNIONSTORE d", "ZUNIONSTORE d 1", "ZUNIONSTORE d 0 za",
	"ZUNIONSTORE d -1 za", "ZUNIONSTORE d abc za", "ZUNIONSTORE d 3 za zb",
	"ZUNIONSTORE d 2 za zb", "ZRANGE d 0 -1 WITHSCORES",
	"ZUNIONSTORE d 2 za zb WEIGHTS 2 3", "ZRANGE d 0 -1 WITHSCORES",
	"ZUNIONSTORE d 2 za zb WEIGHTS 2", "ZUNIONSTORE d 2 za zb WEIGHTS 2 x",
	"ZUNIONSTORE d 2 za zb WEIGHTS 1 2 3",
	"ZUNIONSTORE d 2 za zb AGGREGATE min", "ZRANGE d 0 -1 WITHSCORES",
	"ZUNIONSTORE d 2 za zb AGGREGATE MAX WEIGHTS 1 -1",
	"ZRANGE d 0 -1 WITHSCORES", "ZUNIONSTORE d 2 za zb AGGREGATE avg",
	"ZUNIONSTORE d 2 za zb AGGREGATE", "ZUNIONSTORE d 2 za zb WITHSCORES",
	"ZUNIONSTORE d 2 za zb LIMIT 1", "ZUNIONSTORE d 2 za zb FOO",
	"ZUNIONSTORE d 2 za sa", "ZRANGE d 0 -1 WITHSCORES",
	"ZUNIONSTORE d 2 za str", "ZUNIONSTORE d 2 str nokey",
	"ZUNIONSTORE d 2 za str WEIGHTS x", "ZUNIONSTORE d 2 nokey nokey2",
	"EXISTS d", "ZUNIONSTORE d 2 za za", "ZRANGE d 0 -1 WITHSCORES",
	"ZINTERSTORE d 2 za zb", "ZRANGE d 0 -1 WITHSCORES",
	"ZINTERSTORE d 2 za zb WEIGHTS 1 0 AGGREGATE max",
	"ZRANGE d 0 -1 WITHSCORES", "ZINTERSTORE d 2 za sa",
	"ZRANGE d 0 -1 WITHSCORES", "ZINTERSTORE d 2 za nokey", "EXISTS d",
	"ZINTERSTORE d 2 za za WEIGHTS 1 2", "ZRANGE d 0 -1 WITHSCORES",
	"ZINTERSTORE d 3 za zb sa", "ZRANGE d 0 -1 WITHSCORES",
	"ZDIFFSTORE d 2 za zb", "ZRANGE d 0 -1 WITHSCORES",
	"ZDIFFSTORE d 2 za zb WEIGHTS 1 1",
	"ZDIFFSTORE d 2 za zb AGGREGATE min", "ZDIFFSTORE d 2 za sa",
	"ZRANGE d 0 -1 WITHSCORES", "ZDIFFSTORE d 1 za", "ZDIFFSTORE d 2 za za",
	"EXISTS d", "ZDIFFSTORE d 2 nokey za", "ZDIFFSTORE d 2 sa za",
	"ZRANGE d 0 -1 WITHSCORES", "ZUNIONSTORE str 1 za", "TYPE str",
	"SET str v", "ZUNIONSTORE za 2 za zb", "ZRANGE za 0 -1 WITHSCORES",
	"ZADD inf inf a -inf b 1 c", "ZADD ninf -inf a inf b",
	"ZUNIONSTORE d 2 inf ninf", "ZRANGE d 0 -1 WITHSCORES",
	"ZUNIONSTORE d 1 inf WEIGHTS 0", "ZRANGE d 0 -1 WITHSCORES",
	"ZINTERSTORE d 2 inf ninf WEIGHTS 1 0", "ZRANGE d 0 -1 WITHSCORES",
	"ZUNIONSTORE d 3 inf ninf inf", "ZRANGE d 0 -1 WITHSCORES",
	"ZUNIONSTORE d 1 za WEIGHTS -0", "ZRANGE d 0 -1 WITHSCORES",
	"ZUNIONSTORE d 2 big once", "ZCARD d", "ZRANGE d 0 4 WITHSCORES",
	"ZUNIONSTORE d 1 big WEIGHTS -0", "ZRANGE d 0 2 WITHSCORES",
	/* ZRANGESTORE */
	"ZRANGESTORE", "ZRANGESTORE d", "ZRANGESTORE d za",
	"ZRANGESTORE d za 0", "ZRANGESTORE d za 0 -1",
	"ZRANGE d 0 -1 WITHSCORES", "ZRANGESTORE d za 0 -1 WITHSCORES",
	"ZRANGESTORE d za 0 -1 REV", "ZRANGE d 0 -1 WITHSCORES",
	"ZRANGESTORE d za 1 20 BYSCORE LIMIT 1 2", "ZRANGE d 0 -1 WITHSCORES",
	"ZRANGESTORE d lx - + BYLEX", "ZRANGESTORE d za 5 1", "EXISTS d",
	"ZRANGESTORE d nokey 0 -1", "ZRANGESTORE d str 0 -1",
	"ZRANGESTORE str za 0 -1", "TYPE str", "SET str v",
	"ZRANGESTORE d za a b", "ZRANGESTORE d za 0 -1 LIMIT 0 1",
	"ZRANGESTORE za za 1 -1", "ZRANGE za 0 -1 WITHSCORES",
	"ZRANGESTORE d big 0 -1", "ZCARD d", "ZRANGESTORE d big 0 127",
	"ZSCAN d 0 COUNT 1000", "ZRANGESTORE d mzbig -inf +inf BYSCORE",
	"ZSCORE d neg", "ZRANGESTORE d mzbig 0 -1", "ZSCORE d neg",
	"ZRANGESTORE d mzbig 0 1", "ZRANGE d 0 -1 WITHSCORES",
	"ZRANGESTORE d mzbig -inf +inf BYSCORE REV", "ZSCORE d neg",
	"ZADD lz -0 a 0 b ~R70,x", "ZADD lz 5 ~R66,y", "ZRANGESTORE d lz 0 -1",
	"ZRANGE d 0 -1 WITHSCORES", "ZRANGESTORE d lz -inf +inf BYSCORE REV",
	"ZRANGE d 0 -1 WITHSCORES",
	/* a ZADD that converts halfway: -0 before the switch becomes 0 */
	"ZADD nz -0 a 1 ~R65,x -0 b", "ZRANGE nz 0 -1 WITHSCORES", "ZSCAN nz 0",
	/* ZSCAN */
	"ZSCAN", "ZSCAN z", "ZSCAN z x", "ZSCAN nokey x", "ZSCAN str x",
	"ZSCAN z 0", "ZSCAN nokey 0", "ZSCAN nokey 0 FOO", "ZSCAN str 0",
	"ZSCAN str 0 FOO", "ZSCAN z 0 COUNT 0", "ZSCAN z 0 COUNT x",
	"ZSCAN z 0 COUNT", "ZSCAN z 0 MATCH", "ZSCAN z 0 MATCH a*",
	"ZSCAN z 0 TYPE zset", "ZSCAN z 0 FOO x", "ZSCAN z -1", "ZSCAN z ~s0",
	"ZSCAN z 0~s", "ZSCAN z ~e", "ZSCAN z 18446744073709551616",
	"ZSCAN z 0 count~0 5", "ZSCAN big 0 MATCH m1* COUNT 3",
	"ZSCAN big 0 MATCH nothing",
	/* RENAME carries a sorted set, small or large */
	"RENAME big big2", "ZCARD big2", "ZSCORE big2 m77", "EXISTS big",
	"RENAME z z2", "ZRANGE z2 0 -1 WITHSCORES",
	NULL,
};

/* ----------------------------------------------------------------- tests */

static void test_fixed_list(void)
{
	CU_ASSERT(tu_diff_fixed("dzset", fixed, run_line, NDBS, true));
}

static void test_random_runs(void)
{
	unsigned counts[K_NKINDS] = { 0 };

	CU_ASSERT(tu_diff_random("dzset", NULL,
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
	const struct tu_suite suites[] = { { "diff_zset", tests },
					   { NULL, NULL } };

	tu_diff_init();
	return tu_main(argc, argv, suites);
}
