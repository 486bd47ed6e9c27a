/*
 * test_diff_list.c - the list commands against redis-server 7.0, the
 * oracle (the harness is tests/util/tu_diff.h).
 *
 * Two sources of commands, as in test_diff.c:
 *
 * - a fixed list of edge cases, one line per command in tu_diff's escaped
 *   notation: every command's replies and error texts for missing keys,
 *   wrong types, indexes past either end and at the 64-bit edges, counts
 *   of 0 and negative ones, LPOS's options (RANK 0 and LLONG_MIN, COUNT
 *   and MAXLEN combined, repeated, or missing their value), LMOVE and
 *   RPOPLPUSH onto the same key, the packed limits crossed one element at
 *   a time, by element size, by LSET and by LINSERT;
 * - seeded random runs over a pool of eight keys in two databases: every
 *   list command with valid and invalid arguments (bad integers, words
 *   in any case, wrong arities), values from a small alphabet (so that
 *   LREM, LINSERT and LPOS find them), integers, binary and empty strings,
 *   elements past SHM_PACK_MAX_BYTES and now and then 100 KB ones, pushes
 *   of up to 300 elements at once (the small-to-large switch both ways
 *   round: a list that empties is deleted and starts packed again), SET,
 *   DEL, RENAME, EXPIRE and PERSIST mixed in so that wrong types and TTLs
 *   meet the lists.  Each run starts with FLUSHALL.
 *
 * The random runs are repeated, fewer of them, against a daemon in mutex
 * mode.  After the fixed list and after each run the whole dataset of both
 * servers is compared: keys, then every list by LRANGE 0 -1 (strings by
 * GET), and TTLs.  SHMREP_SEED, SHMREP_DIFF_RUNS, SHMREP_DIFF_CMDS,
 * SHMREP_DIFF_KEEPGOING and SHMREP_DIFF_TRACE work as for test_diff.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tu_diff.h"

#define NKEYS 8
#define NDBS 2
#define DEFAULT_RUNS 8
#define DEFAULT_CMDS 4000

/* Keys of 1 to 6 bytes (the descriptor after the key at several
 * alignments), an empty one, one with a NUL, one that is mostly a
 * string. */
static const char *const key_pool[NKEYS] = {
	"l0", "l1", "list:2", "L", "~e", "l~0x", "k~f~r", "str",
};

/* ------------------------------------------------------------ generator */

struct gen {
	uint64_t rng;
	struct tu_cmd *c;
};

static const char *const int_edges[] = {
	"0", "1", "-1", "2", "-2", "9223372036854775807",
	"-9223372036854775808", "9223372036854775806", "-9223372036854775807",
	"2147483647", "-2147483648", "4294967296", "128", "129", "-129",
};

static const char *const bad_ints[] = {
	"1.0", "~s1", "1~s", "01", "-0", "+1", "~e", "abc",
	"9223372036854775808", "-9223372036854775809", "0x10", "1e3", "1~0",
};

/* An element: mostly from a small alphabet, so that the commands that
 * search find what they look for; integers (Redis stores those packed as
 * numbers: the replies must not show it), binary, empty, and elements
 * past the packed limit. */
static void gen_elem(struct gen *g)
{
	struct tu_cmd *c = g->c;
	unsigned r = (unsigned)tu_rnd(&g->rng, 1000);

	if (r < 450) {
		static const char *const small[] = {
			"a", "b", "c", "d", "1", "-1", "a~0", "~s",
		};

		tu_cmd_str(c, TU_PICK(&g->rng, small));
	} else if (r < 600) {
		tu_cmd_str(c, TU_PICK(&g->rng, int_edges));
	} else if (r < 700) {
		tu_cmd_fmt(c, "v%llu", (unsigned long long)tu_rnd(&g->rng, 100));
	} else if (r < 850) {
		char tmp[24];
		size_t n = (size_t)tu_rnd(&g->rng, sizeof(tmp));

		for (size_t i = 0; i < n; i++)
			tmp[i] = (char)tu_rnd(&g->rng, 256);
		tu_cmd_raw(c, tmp, n);
	} else if (r < 900) {
		tu_cmd_raw(c, "", 0);
	} else if (r < 990) {
		/* Around SHM_PACK_MAX_BYTES (64), and well past it. */
		static const unsigned lens[] = { 63, 64, 65, 66, 100, 300 };
		char tmp[300];
		unsigned n = TU_PICK(&g->rng, lens);

		memset(tmp, 'a' + (int)tu_rnd(&g->rng, 3), n);
		tu_cmd_raw(c, tmp, n);
	} else if (r < 996) {
		tu_cmd_ref(c, tu_diff_big_text, TU_DIFF_BIG_LEN);
	} else {
		tu_cmd_ref(c, tu_diff_big_bin, TU_DIFF_BIG_LEN);
	}
}

/* Mostly a list key; now and then the string. */
static void gen_key(struct gen *g)
{
	tu_cmd_str(g->c, key_pool[tu_rnd(&g->rng, tu_chance(&g->rng, 92) ? NKEYS - 1 : NKEYS)]);
}

/* An index or count: mostly small (both signs), sometimes an edge, now
 * and then not an integer. */
static void gen_index(struct gen *g)
{
	unsigned r = (unsigned)tu_rnd(&g->rng, 100);

	if (r < 75)
		tu_cmd_fmt(g->c, "%lld", (long long)tu_rnd(&g->rng, 41) - 20);
	else if (r < 85)
		tu_cmd_fmt(g->c, "%lld", (long long)tu_rnd(&g->rng, 601) - 300);
	else if (r < 95)
		tu_cmd_str(g->c, TU_PICK(&g->rng, int_edges));
	else
		tu_cmd_str(g->c, TU_PICK(&g->rng, bad_ints));
}

static void gen_where(struct gen *g)
{
	static const char *const w[] = { "left", "right", "left", "right",
					 "up", "~e", "lef", "right~0x" };

	tu_cmd_word(g->c, &g->rng, TU_PICK(&g->rng, w));
}

static void gen_push(struct gen *g)
{
	static const char *const names[] = { "lpush", "rpush", "lpushx",
					     "rpushx" };
	int n = tu_chance(&g->rng, 8) ? 50 + (int)tu_rnd(&g->rng, 250) : 1 + (int)tu_rnd(&g->rng, 5);

	tu_cmd_word(g->c, &g->rng, TU_PICK(&g->rng, names));
	gen_key(g);
	if (tu_chance(&g->rng, 2))
		n = 0; /* arity error */
	for (int i = 0; i < n; i++)
		gen_elem(g);
}

static void gen_pop(struct gen *g)
{
	tu_cmd_word(g->c, &g->rng, tu_rnd(&g->rng, 2) ? "lpop" : "rpop");
	gen_key(g);
	if (tu_chance(&g->rng, 50)) {
		if (tu_chance(&g->rng, 80))
			tu_cmd_fmt(g->c, "%lld", (long long)tu_rnd(&g->rng, 12) - 1);
		else
			gen_index(g);
		if (tu_chance(&g->rng, 3))
			gen_index(g);
	}
}

static void gen_lpos(struct gen *g)
{
	static const char *const opts[] = { "rank", "count", "maxlen" };
	int nopt = (int)tu_rnd(&g->rng, 4);

	tu_cmd_word(g->c, &g->rng, "lpos");
	gen_key(g);
	gen_elem(g);
	for (int i = 0; i < nopt; i++) {
		if (tu_chance(&g->rng, 4)) {
			tu_cmd_word(g->c, &g->rng, TU_PICK(&g->rng, ((const char *const[]){
						     "foo", "rank~0", "~e" })));
			continue;
		}
		tu_cmd_word(g->c, &g->rng, TU_PICK(&g->rng, opts));
		if (tu_chance(&g->rng, 4) && i == nopt - 1)
			break; /* an option without its value */
		if (tu_chance(&g->rng, 70))
			tu_cmd_fmt(g->c, "%lld", (long long)tu_rnd(&g->rng, 9) - 4);
		else
			gen_index(g);
	}
}

/* Wrong arities, for each command. */
static void gen_arity(struct gen *g)
{
	static const struct {
		const char *name;
		int args; /* a wrong number of arguments after the name */
	} bad[] = {
		{ "llen", 0 }, { "llen", 2 }, { "lindex", 1 }, { "lindex", 3 },
		{ "lrange", 2 }, { "lrange", 4 }, { "lset", 2 }, { "lset", 4 },
		{ "lrem", 2 }, { "ltrim", 4 }, { "linsert", 3 },
		{ "linsert", 5 }, { "lpos", 1 }, { "rpoplpush", 1 },
		{ "rpoplpush", 3 }, { "lmove", 3 }, { "lmove", 5 },
		{ "lpop", 0 }, { "rpop", 3 }, { "lpush", 1 }, { "rpushx", 1 },
	};
	int i = (int)tu_rnd(&g->rng, sizeof(bad) / sizeof(bad[0]));

	tu_cmd_word(g->c, &g->rng, bad[i].name);
	for (int j = 0; j < bad[i].args; j++) {
		if (j == 0)
			gen_key(g);
		else
			gen_index(g);
	}
}

static void gen_cmd(struct gen *g)
{
	struct tu_cmd *c = g->c;
	unsigned r = (unsigned)tu_rnd(&g->rng, 1000);

	tu_cmd_reset(c);
	if (r < 220) {
		gen_push(g);
	} else if (r < 330) {
		gen_pop(g);
	} else if (r < 380) {
		tu_cmd_word(g->c, &g->rng, "linsert");
		gen_key(g);
		tu_cmd_word(g->c, &g->rng, TU_PICK(&g->rng, ((const char *const[]){
					     "before", "after", "before",
					     "after", "middle", "~e" })));
		gen_elem(g);
		gen_elem(g);
	} else if (r < 430) {
		tu_cmd_word(g->c, &g->rng, "lset");
		gen_key(g);
		gen_index(g);
		gen_elem(g);
	} else if (r < 480) {
		tu_cmd_word(g->c, &g->rng, "lrem");
		gen_key(g);
		if (tu_chance(&g->rng, 80))
			tu_cmd_fmt(g->c, "%lld", (long long)tu_rnd(&g->rng, 7) - 3);
		else
			gen_index(g);
		gen_elem(g);
	} else if (r < 520) {
		tu_cmd_word(g->c, &g->rng, "ltrim");
		gen_key(g);
		if (tu_chance(&g->rng, 60)) {
			tu_cmd_fmt(c, "%lld", (long long)tu_rnd(&g->rng, 5));
			tu_cmd_fmt(c, "%lld", (long long)tu_rnd(&g->rng, 200) - 5);
		} else {
			gen_index(g);
			gen_index(g);
		}
	} else if (r < 580) {
		tu_cmd_word(g->c, &g->rng, "lindex");
		gen_key(g);
		gen_index(g);
	} else if (r < 620) {
		tu_cmd_word(g->c, &g->rng, "llen");
		gen_key(g);
	} else if (r < 690) {
		tu_cmd_word(g->c, &g->rng, "lrange");
		gen_key(g);
		gen_index(g);
		gen_index(g);
	} else if (r < 760) {
		gen_lpos(g);
	} else if (r < 800) {
		tu_cmd_word(g->c, &g->rng, "rpoplpush");
		gen_key(g);
		gen_key(g);
	} else if (r < 850) {
		tu_cmd_word(g->c, &g->rng, "lmove");
		gen_key(g);
		gen_key(g);
		gen_where(g);
		gen_where(g);
	} else if (r < 865) {
		gen_arity(g);
	} else if (r < 885) {
		tu_cmd_str(c, "SET");
		tu_cmd_str(c, key_pool[tu_rnd(&g->rng, NKEYS)]);
		gen_elem(g);
	} else if (r < 900) {
		tu_cmd_str(c, "DEL");
		gen_key(g);
	} else if (r < 915) {
		/* Long enough to outlive the test, or in the past (the key
		 * goes at once, on both). */
		tu_cmd_str(c, "EXPIRE");
		gen_key(g);
		tu_cmd_fmt(c, "%lld",
			   tu_chance(&g->rng, 85) ? 100000 + (long long)tu_rnd(&g->rng, 100000)
					 : -1);
	} else if (r < 925) {
		tu_cmd_str(c, "PERSIST");
		gen_key(g);
	} else if (r < 940) {
		tu_cmd_str(c, tu_rnd(&g->rng, 2) ? "TTL" : "TYPE");
		gen_key(g);
	} else if (r < 955) {
		tu_cmd_str(c, tu_rnd(&g->rng, 2) ? "RENAME" : "RENAMENX");
		gen_key(g);
		gen_key(g);
	} else if (r < 965) {
		tu_cmd_str(c, "SELECT");
		tu_cmd_fmt(c, "%d", (int)tu_rnd(&g->rng, NDBS));
	} else if (r < 975) {
		tu_cmd_str(c, "EXISTS");
		gen_key(g);
		gen_key(g);
	} else {
		/* Keep sizes in check: most runs keep lists around the
		 * packed limit, not far past it. */
		tu_cmd_word(g->c, &g->rng, "ltrim");
		gen_key(g);
		tu_cmd_str(c, "0");
		tu_cmd_fmt(c, "%lld", (long long)tu_rnd(&g->rng, 300));
	}
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
	ok = tu_diff_run_line(d, "FLUSHALL") && tu_diff_run_line(d, "SELECT 0");
	while (ok && d->cmdno < ncmds) {
		gen_cmd(&g);
		g.c->how = tu_diff_cmp_for(g.c);
		ok = tu_diff_run(d, g.c);
	}
	if (ok)
		ok = tu_diff_compare_datasets(d, NDBS, true);
	free(g.c);
	return ok;
}

/* ----------------------------------------------------------- fixed list */

static const char *const fixed[] = {
	"FLUSHALL",
	/* Missing keys, wrong types. */
	"LLEN m", "LINDEX m 0", "LINDEX m abc", "LRANGE m 0 -1",
	"LRANGE m a b", "LPOP m", "RPOP m", "LPOP m 0", "LPOP m 2",
	"RPOP m -1", "LPOP m abc", "LSET m 0 x", "LSET m abc x",
	"LREM m 0 x", "LREM m abc x", "LTRIM m 0 1", "LTRIM m a 1",
	"LINSERT m before a x", "LINSERT m middle a x", "LPUSHX m a",
	"RPUSHX m a b", "LPOS m a", "LPOS m a COUNT 0", "LPOS m a COUNT -1",
	"LPOS m a RANK 0", "RPOPLPUSH m n", "LMOVE m n left right",
	"LMOVE m n up right", "EXISTS m n", "SET s x", "LLEN s", "LINDEX s 0",
	"LINDEX s abc", "LRANGE s 0 -1", "LRANGE s a 1", "LPUSH s a",
	"RPUSH s a", "LPUSHX s a", "RPUSHX s a", "LPOP s", "LPOP s 0",
	"LPOP s -1", "RPOP s 2", "LSET s 0 x", "LSET s abc x", "LREM s 0 a",
	"LTRIM s 0 1", "LINSERT s before a x", "LINSERT s middle a x",
	"LPOS s a", "LPOS s a COUNT 1", "LPOS s a RANK 0", "RPOPLPUSH s m",
	"RPUSH k a b a c a", "RPOPLPUSH k s", "RPOPLPUSH m s",
	"LMOVE k s left left", "LMOVE s k left left", "LRANGE k 0 -1",
	/* Arity. */
	"LPUSH k", "RPUSH", "LPUSHX k", "LPOP", "LPOP k 1 2", "RPOP k 1 2 3",
	"LLEN", "LLEN k k", "LINDEX k", "LRANGE k 0", "LSET k 0", "LREM k 0",
	"LTRIM k 0", "LINSERT k before a", "LPOS k", "RPOPLPUSH k",
	"LMOVE k k left", "LMOVE k k left right x",
	/* Indexes, ranges and counts. */
	"LINDEX k -5", "LINDEX k -6", "LINDEX k 4", "LINDEX k 5",
	"LINDEX k 9223372036854775807", "LINDEX k -9223372036854775808",
	"LINDEX k 9223372036854775808", "LINDEX k 01", "LINDEX k -0",
	"LRANGE k -100 100", "LRANGE k 3 2", "LRANGE k -1 -2",
	"LRANGE k 9223372036854775807 -9223372036854775808",
	"LRANGE k -9223372036854775808 9223372036854775807",
	"LRANGE k 2 2", "LRANGE k -3 -1", "LRANGE k 5 10",
	/* LPOS. */
	"LPOS k a", "LPOS k a RANK 2", "LPOS k a RANK -1", "LPOS k a RANK -3",
	"LPOS k a RANK 4", "LPOS k a RANK -9223372036854775808",
	"LPOS k a RANK -9223372036854775808 COUNT 1",
	"LPOS k a RANK -9223372036854775808 COUNT 2 MAXLEN 3",
	"LPOS k a RANK -9223372036854775807 COUNT 1",
	"LPOS k a RANK 9223372036854775807",
	"LPOS k a RANK 9223372036854775808",
	"LPOS k a RANK -1 COUNT 2", "LPOS k a RANK 2 COUNT 0",
	"LPOS k a COUNT 0 MAXLEN 2", "LPOS k a RANK -1 MAXLEN 2",
	"LPOS k a RANK 1 RANK 2", "LPOS k a COUNT 1 COUNT 0",
	"LPOS k z COUNT 2", "LPOS k z", "LPOS k a COUNT abc",
	"LPOS k a MAXLEN abc", "LPOS k a MAXLEN -1", "LPOS k a RANK abc",
	"LPOS k a FOO", "LPOS k a RANK", "LPOS k a rank 0 foo",
	"LPOS k a rank 1 maxlen 0 count 0 foo", "LPOS k a RaNk~0x -1",
	"LPOS k a COUNT 9223372036854775807",
	/* LINSERT, LSET, LREM, LTRIM. */
	"LINSERT k BEFORE z x", "LINSERT k AFTER a x",
	"LINSERT k before~0x a y",
	"LRANGE k 0 -1", "LSET k 100 x", "LSET k -1 y", "LSET k -7 y",
	"LSET k -8 y", "LSET k 9223372036854775807 y", "LRANGE k 0 -1",
	"LREM k 0 a", "LREM k -9223372036854775808 b", "LREM k 1 zz",
	"LRANGE k 0 -1", "RPUSH k a b a c a", "LREM k -2 a", "LRANGE k 0 -1",
	"LREM k 2 a", "LRANGE k 0 -1", "LTRIM k 1 -2", "LRANGE k 0 -1",
	"LTRIM k 5 1", "EXISTS k",
	/* Pops. */
	"RPUSH k a b c", "LPOP k 0", "RPOP k 2", "RPOP k 5", "RPOP k 5",
	"EXISTS k", "RPUSH k a b c", "LPOP k 9223372036854775807", "EXISTS k",
	/* Moves, onto the same key too. */
	"RPUSH k a b c", "RPOPLPUSH k k", "LRANGE k 0 -1",
	"LMOVE k k left right", "LRANGE k 0 -1", "LMOVE k k LEFT LEFT",
	"LMOVE k k Right rIGHT", "LRANGE k 0 -1", "LMOVE k n right left",
	"LRANGE n 0 -1", "RPUSH one x", "LMOVE one one left right",
	"LRANGE one 0 -1", "RPOPLPUSH one two", "EXISTS one", "LRANGE two 0 -1",
	"LMOVE k n right~0x left", "LMOVE k n left~0 left",
	/* TTLs survive changes; an emptied list takes its TTL along. */
	"RPUSH t a b", "EXPIRE t 100000", "RPUSH t c", "LPOP t", "LSET t 0 z",
	"TTL t", "LPOP t 2", "RPUSH t a", "TTL t",
	/* The packed limits: 128 elements, then 129; 64 bytes, then 65. */
	"DEL big",
	"RPUSH big 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 "
	"23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 "
	"46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64 65 66 67 68 "
	"69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87 88 89 90 91 "
	"92 93 94 95 96 97 98 99 100 101 102 103 104 105 106 107 108 109 110 "
	"111 112 113 114 115 116 117 118 119 120 121 122 123 124 125 126 127",
	"LLEN big", "LINDEX big 127", "RPUSH big 128", "LLEN big",
	"LRANGE big 120 -1", "LRANGE big -3 -1", "LINDEX big -129",
	"LPOP big 120", "LRANGE big 0 -1", "LPOP big 100", "EXISTS big",
	"RPUSH big ~R64,x", "LRANGE big 0 -1", "RPUSH big ~R65,y",
	"LRANGE big 0 -1", "LSET big 0 a", "LRANGE big 0 -1", "DEL big",
	"RPUSH big a b", "LSET big 1 ~R65,z", "LRANGE big 0 -1", "DEL big",
	"RPUSH big a b", "LINSERT big after a ~R100,w", "LRANGE big 0 -1",
	"LPOS big ~R100,w", "LREM big 0 ~R100,w", "LRANGE big 0 -1",
	"RPUSH big ~A", "LINDEX big -1", "LPOP big 3", "EXISTS big",
	"RPUSH big ~e ~e", "LRANGE big 0 -1", "LPOS big ~e COUNT 0",
	/* A large list, one end to the other. */
	"DEL big",
	"RPUSH big ~R70,a b c d e f g h i j k l m n o p q r s t u v w x y z",
	"LRANGE big 0 -1", "LTRIM big 1 -2", "LRANGE big 0 -1",
	"LINSERT big before m M", "LREM big 1 k", "LSET big -1 Z",
	"LMOVE big big left right", "RPOPLPUSH big big", "LPOS big M",
	"LPOS big Z RANK -1", "LRANGE big 0 -1", "TYPE big", "DEL big",
	"EXISTS big",
	NULL,
};

/* ----------------------------------------------------------------- tests */

static void test_fixed_list(void)
{
	CU_ASSERT(tu_diff_fixed("dlist", fixed, tu_diff_run_line, NDBS, true));
}

static void test_random_runs(void)
{
	CU_ASSERT(tu_diff_random("dlist", NULL,
				 tu_diff_env_long("SHMREP_DIFF_RUNS",
						  DEFAULT_RUNS),
				 DEFAULT_CMDS, run_random, NULL));
}

/* The same in mutex mode, where lists change in place. */
static void test_random_runs_mutex(void)
{
	static const char *const mutex[] = { "--mode", "mutex", NULL };

	CU_ASSERT(tu_diff_random("dlist", mutex, 2, DEFAULT_CMDS, run_random,
				 NULL));
}

static CU_TestInfo tests[] = {
	{ "fixed_list", test_fixed_list },
	{ "random_runs", test_random_runs },
	{ "random_runs_mutex", test_random_runs_mutex },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = { { "diff_list", tests },
					   { NULL, NULL } };

	tu_diff_init();
	return tu_main(argc, argv, suites);
}
