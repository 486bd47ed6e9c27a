/*
 * test_diff.c - differential test: redis-server 7.0 is the oracle.
 *
 * The same command sequence goes to a private redis-server and to shmrepd,
 * one command at a time, and each reply is compared byte for byte as soon
 * as both are in.  Two sources of commands:
 *
 * - a fixed list of edge cases (one line per command, in the escaped
 *   notation of tu_diff.h), so that the cases each command is known to be
 *   picky about run on every build whatever the seed;
 * - seeded random runs over a small key pool (20 keys, dbs 0..2) so that
 *   commands collide, with values drawn from integers and their edges,
 *   floats, malformed numbers, binary bytes, empty and 100 KB strings, and
 *   options drawn from valid and invalid combinations alike.  Each run
 *   starts with FLUSHALL in db 0, so a run depends on its seed only.
 *
 * Where Redis itself is not deterministic the comparison is by meaning:
 * TTL within a second, PTTL within PTTL_SLACK_MS, KEYS as a sorted set, and
 * SCAN by iterating both servers to the end and comparing the sets of keys
 * (cursors are each server's own business).  Everything else must be equal.
 *
 * Expiry is the other source of races: a key that expires between the two
 * servers' executions of a command would make them disagree.  So a TTL is
 * either long (it outlives the test), or in the past, or 1 to 3 ms.  After
 * a short one the test waits until it has passed on both servers and may
 * "probe" the key (a read or write that must find it gone); after a short
 * or past one it then touches the key with PERSIST on both, which deletes
 * it, so that no expired-but-present key makes DBSIZE depend on when each
 * server's active expiry ran.
 *
 * On the first difference the seed, the command number, the command and
 * both replies are printed (escaped) and the run stops.  At the end of each
 * run the whole dataset of both servers is compared (every db: keys,
 * values, TTLs) through KEYS, GET and PTTL.  The servers are always
 * stopped, and tu_daemon removes their sockets, logs and regions.
 *
 * SHMREP_SEED sets the first seed (run i uses seed + i); SHMREP_DIFF_RUNS
 * and SHMREP_DIFF_CMDS change the number of runs and of commands per run;
 * SHMREP_DIFF_KEEPGOING=1 reports every difference instead of stopping at
 * the first (useful on the fixed list; after a difference in a random run
 * the datasets have diverged and what follows is noise);
 * SHMREP_DIFF_TRACE=1 prints every command with Redis's reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "testutil.h"
#include "tu_diff.h"

#define NKEYS 20
#define NDBS_USED 3 /* SELECT mostly picks 0..NDBS_USED-1 */
#define NDBS 16
#define SHORT_TTL_WAIT_MS 6 /* > the longest short TTL (3 ms) */

#define DEFAULT_RUNS 12
#define DEFAULT_CMDS 5000

/* Keys: similar names for the patterns to tell apart, glob characters,
 * bytes above 0x7f (ranges compare signed chars), NUL, CR LF, empty. */
static const char *const key_pool[NKEYS] = {
	"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10",
	"k11", "k[*?]\\", "k~f0", "~e", "a~0b", "k~sk", "K0", "k~r~n", "{k}1",
};

/*
 * Commands run on a key whose short TTL has just passed on both servers
 * ("K" is the key): an expired key must be missing for reads and for
 * writes alike, and a write must not inherit its TTL.
 */
static const char *const probes[] = {
	"GET K", "EXISTS K K", "TTL K", "PTTL K", "TYPE K", "STRLEN K",
	"GETRANGE K 0 -1", "MGET K k0", "INCR K", "INCRBYFLOAT K 1.5",
	"APPEND K x", "SETRANGE K 2 x", "SET K v KEEPTTL", "SET K v XX",
	"SET K v NX GET", "SETNX K v", "MSETNX K v", "GETSET K v", "GETDEL K",
	"GETEX K PERSIST", "EXPIRE K 100", "PERSIST K", "RENAME K k0",
	"RENAMENX k0 K", "DEL K", "EXPIRE K 100 LT",
};

#define NPROBES ((int)(sizeof(probes) / sizeof(probes[0])))

/* Fill p with probe i on key k. */
static void make_probe(struct tu_cmd *p, int i, int k)
{
	const char *line = probes[i];

	tu_cmd_reset(p);
	while (*line) {
		size_t n = strcspn(line, " ");

		if (n == 1 && line[0] == 'K')
			tu_cmd_str(p, key_pool[k]);
		else
			tu_cmd_esc(p, line, n);
		line += n;
		while (*line == ' ')
			line++;
	}
	p->how = tu_diff_cmp_for(p);
}

/* Run one command and its clean-up; false to stop the run. */
static bool run_cmd(struct tu_diff *d, const struct tu_cmd *c)
{
	struct tu_cmd p;

	if (!tu_diff_run(d, c))
		return false;
	if (c->cleanup_key < 0)
		return true;
	if (c->wait_ms)
		tu_sleep_ms(c->wait_ms);
	if (c->probe >= 0) {
		make_probe(&p, c->probe, c->cleanup_key);
		if (!tu_diff_call_both(d, &p) || !tu_diff_check(d, &p)) {
			fputs("  (a probe of the key the command above gave a short TTL)\n  ",
			      stderr);
			tu_diff_print_cmd(c);
			fputc('\n', stderr);
			if (!d->keepgoing)
				return false;
		}
	}
	tu_cmd_reset(&p);
	tu_cmd_str(&p, "PERSIST");
	tu_cmd_str(&p, key_pool[c->cleanup_key]);
	if (tu_diff_call_both(d, &p) && tu_diff_check_exact(d, &p))
		return true;
	fputs("  (the clean-up of a short or past TTL set by the command above)\n  ",
	      stderr);
	tu_diff_print_cmd(c);
	fputc('\n', stderr);
	return d->keepgoing;
}

/* Run a command given as a line of the fixed list. */
static bool run_line(struct tu_diff *d, const char *line)
{
	struct tu_cmd *c = malloc(sizeof(*c));
	bool ok;

	if (!c)
		abort();
	tu_cmd_line(c, line);
	c->how = tu_diff_cmp_for(c);
	ok = run_cmd(d, c);
	free(c);
	return ok;
}

/* ------------------------------------------------------------ generator */

struct gen {
	uint64_t rng;
	struct tu_cmd *c;
};

static const char *const int_edges[] = {
	"0", "1", "-1", "2", "10", "-10", "100", "9223372036854775807",
	"-9223372036854775808", "9223372036854775806", "-9223372036854775807",
	"4611686018427387904", "2147483647", "2147483648", "-2147483648",
	"4294967296", "1000000", "-1000000",
};

static const char *const bad_ints[] = {
	"1.0", "~s1", "1~s", "01", "-0", "+1", "~e", "abc",
	"9223372036854775808", "-9223372036854775809", "123456789012345678901",
	"00000000000000000001", "0x10", "1e3", "--1", "-", "1~0", "1~r~n",
	"-01", "99999999999999999999", "~t1", "1a",
};

static const char *const floats[] = {
	"0.1", "0.2", "3.0e3", "-0.0", "1e5", "inf", "-inf", "+inf", "nan",
	"-nan", "1e308", "1e309", "1e4932", "-1e4932", "1e-400", "5e-324",
	"1.7976931348623157e308", "1.5", "-1.5", "~s1.5", "1.5~s", "0x1p3",
	".5", "5.", "1e", "infinity", "-Infinity", "1.0000000000000001",
	"3.14159265358979323846", "-1e300", "123456789.123456789", "0", "-0",
	"1e-5", "0.3", "10.5", "1,5", "1e+5", "1E5", "1e-20", "0.0000001",
	"100000000000000000000000", "1.1~0", "~e", "7e4931", "-7e4931",
	"1e-4950", "0x1.8p1", "2.5e-3", "1e18", "-1e18",
};

/* A value: integers and their edges, malformed integers, floats, short
 * strings, binary, empty, and now and then 100 KB. */
static void gen_value(struct gen *g)
{
	struct tu_cmd *c = g->c;
	unsigned r = (unsigned)tu_rnd(&g->rng, 1000);

	if (r < 200) {
		tu_cmd_str(c, TU_PICK(&g->rng, int_edges));
	} else if (r < 320) {
		tu_cmd_fmt(c, "%lld", (long long)tu_rnd(&g->rng, 2001) - 1000);
	} else if (r < 360) {
		tu_cmd_fmt(c, "%lld", (long long)tu_rand(&g->rng));
	} else if (r < 450) {
		tu_cmd_str(c, TU_PICK(&g->rng, bad_ints));
	} else if (r < 580) {
		tu_cmd_str(c, TU_PICK(&g->rng, floats));
	} else if (r < 620) {
		double v = (double)(long long)tu_rand(&g->rng);

		tu_cmd_fmt(c, "%.*g", (int)tu_rnd(&g->rng, 17) + 1,
			v / (double)(1ull << tu_rnd(&g->rng, 64)));
	} else if (r < 800) {
		tu_cmd_fmt(c, "v%llu", (unsigned long long)tu_rnd(&g->rng, 1000));
	} else if (r < 930) {
		static const char alpha[] = {
			'\0', '\r', '\n', ' ', 'a', 'z', '0', '9', '~', '*',
			'?', '[', '\\', (char)0xff, (char)0x80, '-', '.',
		};
		char tmp[48];
		size_t n = (size_t)tu_rnd(&g->rng, sizeof(tmp));

		for (size_t i = 0; i < n; i++)
			tmp[i] = tu_chance(&g->rng, 60) ? alpha[tu_rnd(&g->rng, sizeof(alpha))]
					       : (char)tu_rnd(&g->rng, 256);
		tu_cmd_raw(c, tmp, n);
	} else if (r < 980) {
		tu_cmd_raw(c, "", 0);
	} else if (r < 988) {
		tu_cmd_ref(c, tu_diff_big_text, TU_DIFF_BIG_LEN);
	} else if (r < 994) {
		tu_cmd_ref(c, tu_diff_big_bin, TU_DIFF_BIG_LEN);
	} else {
		tu_cmd_ref(c, tu_diff_big_digits,
			   tu_rnd(&g->rng, 2) ? TU_DIFF_BIG_LEN : 21 + tu_rnd(&g->rng, 10));
	}
}

static int gen_key(struct gen *g)
{
	int k = (int)tu_rnd(&g->rng, NKEYS);

	tu_cmd_str(g->c, key_pool[k]);
	return k;
}

/* Indexed by enum ttl_kind. */
enum ttl_kind { TTL_S, TTL_MS, TTL_AT_S, TTL_AT_MS };
static const char *const expire_words[] = { "EX", "PX", "EXAT", "PXAT" };

static const char *const ttl_edges[] = {
	"9223372036854775807", "-9223372036854775808", "9223372036854775",
	"9223372036854776", "-9223372036854775", "-9223372036854776",
	"9223372036854775806", "4611686018427387904", "1000000000000000000",
	"-1000000000000000000",
};

/*
 * An expire argument for key k: mostly long enough to outlive the test;
 * else in the past, zero, negative, a few milliseconds ahead (the command
 * is then followed by a wait), huge, or not an integer.  Any but a long
 * one schedules the PERSIST clean-up of k.
 */
static void gen_ttl(struct gen *g, enum ttl_kind kind, int k)
{
	struct tu_cmd *c = g->c;
	unsigned r = (unsigned)tu_rnd(&g->rng, 100);
	long long now = tu_diff_real_ms();
	bool ms = kind == TTL_MS || kind == TTL_AT_MS;
	bool at = kind == TTL_AT_S || kind == TTL_AT_MS;
	long long ahead = 1000000 + (long long)tu_rnd(&g->rng, 100000000); /* ms */

	if (r < 55) {
		long long v = at ? now + ahead : ahead;

		tu_cmd_fmt(c, "%lld", ms ? v : v / 1000);
		return;
	}
	c->cleanup_key = k;
	if (r < 65 && ms) {
		/* Gone 1 to 3 ms from now. */
		tu_cmd_fmt(c, "%lld", (at ? now : 0) + 1 + (long long)tu_rnd(&g->rng, 3));
		c->wait_ms = SHORT_TTL_WAIT_MS;
		if (tu_chance(&g->rng, 70))
			c->probe = (int)tu_rnd(&g->rng, NPROBES);
	} else if (r < 72) {
		static const char *const small[] = { "0", "-1", "-100", "~e" };

		tu_cmd_str(c, TU_PICK(&g->rng, small));
	} else if (r < 80) {
		long long v = at ? now - (long long)tu_rnd(&g->rng, 100000000) : 0;

		tu_cmd_fmt(c, "%lld", ms ? v : v / 1000);
	} else if (r < 90) {
		tu_cmd_str(c, TU_PICK(&g->rng, ttl_edges));
	} else {
		tu_cmd_str(c, TU_PICK(&g->rng, bad_ints));
	}
}

static void gen_set(struct gen *g)
{
	static const char *const junk[] = { "FOO", "EXX", "NXX", "~e", "nx~0",
					    "PERSIST", "KEEP", "EXPIRE" };
	int k, nopt = (int)tu_rnd(&g->rng, 5);

	tu_cmd_word(g->c, &g->rng, "set");
	k = gen_key(g);
	gen_value(g);
	for (int i = 0; i < nopt; i++) {
		unsigned r = (unsigned)tu_rnd(&g->rng, 100);

		if (r < 15)
			tu_cmd_word(g->c, &g->rng, "NX");
		else if (r < 30)
			tu_cmd_word(g->c, &g->rng, "XX");
		else if (r < 45)
			tu_cmd_word(g->c, &g->rng, "GET");
		else if (r < 55)
			tu_cmd_word(g->c, &g->rng, "KEEPTTL");
		else if (r < 92) {
			int which = (int)tu_rnd(&g->rng, 4);

			tu_cmd_word(g->c, &g->rng, expire_words[which]);
			if (i < nopt - 1 || !tu_chance(&g->rng, 10))
				gen_ttl(g, (enum ttl_kind)which, k);
		} else {
			tu_cmd_str(g->c, TU_PICK(&g->rng, junk));
		}
	}
}

static void gen_getex(struct gen *g)
{
	int k, nopt = (int)tu_rnd(&g->rng, 4);

	tu_cmd_word(g->c, &g->rng, "getex");
	k = gen_key(g);
	for (int i = 0; i < nopt; i++) {
		unsigned r = (unsigned)tu_rnd(&g->rng, 100);

		if (r < 70) {
			int which = (int)tu_rnd(&g->rng, 4);

			tu_cmd_word(g->c, &g->rng, expire_words[which]);
			if (i < nopt - 1 || !tu_chance(&g->rng, 10))
				gen_ttl(g, (enum ttl_kind)which, k);
		} else if (r < 85) {
			tu_cmd_word(g->c, &g->rng, "PERSIST");
		} else {
			static const char *const junk[] = {
				"NX", "XX", "KEEPTTL", "GET", "FOO", "~e",
			};

			tu_cmd_str(g->c, TU_PICK(&g->rng, junk));
		}
	}
}

static void gen_expire(struct gen *g, const char *name, enum ttl_kind kind)
{
	static const char *const opts[] = { "NX", "XX", "GT", "LT" };
	int k, nopt = tu_chance(&g->rng, 50) ? 0 : (int)tu_rnd(&g->rng, 4);

	tu_cmd_word(g->c, &g->rng, name);
	k = gen_key(g);
	gen_ttl(g, kind, k);
	for (int i = 0; i < nopt; i++) {
		if (tu_chance(&g->rng, 92)) {
			tu_cmd_word(g->c, &g->rng, TU_PICK(&g->rng, opts));
		} else {
			static const char *const junk[] = { "FOO", "~e", "nx~0",
							    "GTE" };

			tu_cmd_str(g->c, TU_PICK(&g->rng, junk));
		}
	}
}

static void gen_keys_n(struct gen *g, const char *name, int min, int max)
{
	int n = min + (int)tu_rnd(&g->rng, (uint64_t)(max - min + 1));

	tu_cmd_word(g->c, &g->rng, name);
	for (int i = 0; i < n; i++)
		gen_key(g);
}

static void gen_key_value(struct gen *g, const char *name)
{
	tu_cmd_word(g->c, &g->rng, name);
	gen_key(g);
	gen_value(g);
}

static void gen_key_only(struct gen *g, const char *name)
{
	tu_cmd_word(g->c, &g->rng, name);
	gen_key(g);
}

static void gen_index(struct gen *g)
{
	static const char *const idx[] = {
		"0", "1", "2", "3", "5", "10", "100", "-1", "-2", "-3", "-5",
		"-10", "-100", "9223372036854775807", "-9223372036854775808",
		"abc", "1.0", "~e", "2147483648", "-2147483649",
	};

	if (tu_chance(&g->rng, 60))
		tu_cmd_fmt(g->c, "%lld", (long long)tu_rnd(&g->rng, 41) - 20);
	else
		tu_cmd_str(g->c, TU_PICK(&g->rng, idx));
}

static const char *const patterns[] = {
	"*", "k*", "k1*", "k?", "k[0-4]", "k[^0-4]*", "?", "*k*", "[", "[a",
	"k[", "\\k1", "k\\*", "*\\", "[]", "[^]", "[a-]", "[-a]", "[z-a]*",
	"k[!0]", "~e", "**", "*1", "K*", "a*", "a~0*", "k~s*", "[\\]]*",
	"k[1-]", "*[", "[[]*", "{k}*", "k~r*", "\\", "k1\\", "*?*?*", "[k-k]?",
	"[^k]*", "k[13579]", "*[0-9]", "??", "???", "k[~f]*", "k[a-~f]*",
	"k[~f-a]*", "k?0", "k\\[*", "k[[]*", "*\\\\", "k[\\*]*", "k?\\?*", "*]",
	"k[]]*", "k[*]?]*", "k[^a-z]*", "*~f*", "k[\\", "k[0-",
};

static void gen_scan(struct gen *g)
{
	static const char *const cursors[] = {
		"~e", "+0", "00", "-0", "abc", "~s0", "0~s",
		"18446744073709551616", "0~0", "1.5", "0x0", "-", "+",
	};
	static const char *const counts[] = {
		"1", "2", "3", "5", "10", "100", "1000", "0", "-1", "abc", "~e",
		"1.5", "9223372036854775808", "1000000",
	};
	static const char *const types[] = {
		"string", "STRING", "String", "list", "hash", "foo", "none",
		"~e", "string~0x",
	};
	int nopt = (int)tu_rnd(&g->rng, 4);

	tu_cmd_word(g->c, &g->rng, "scan");
	if (tu_chance(&g->rng, 85))
		tu_cmd_str(g->c, "0");
	else
		tu_cmd_str(g->c, TU_PICK(&g->rng, cursors));
	for (int i = 0; i < nopt; i++) {
		unsigned r = (unsigned)tu_rnd(&g->rng, 100);
		bool last = i == nopt - 1;

		if (r < 35) {
			tu_cmd_word(g->c, &g->rng, "MATCH");
			if (!last || tu_chance(&g->rng, 90))
				tu_cmd_str(g->c, TU_PICK(&g->rng, patterns));
		} else if (r < 70) {
			tu_cmd_word(g->c, &g->rng, "COUNT");
			if (!last || tu_chance(&g->rng, 90))
				tu_cmd_str(g->c, TU_PICK(&g->rng, counts));
		} else if (r < 92) {
			tu_cmd_word(g->c, &g->rng, "TYPE");
			if (!last || tu_chance(&g->rng, 90))
				tu_cmd_str(g->c, TU_PICK(&g->rng, types));
		} else {
			static const char *const junk[] = {
				"FOO", "~e", "count~0",
			};

			tu_cmd_str(g->c, TU_PICK(&g->rng, junk));
		}
	}
}

static void gen_unknown(struct gen *g)
{
	static const char *const names[] = {
		"FOO", "GETT", "SETT", "~e", "x~0y", "get~s", "get~0", "~r~n",
		"incrbyfloatx", "scanx", "a~r~nb",
	};
	int nargs = (int)tu_rnd(&g->rng, 4);

	if (tu_chance(&g->rng, 10)) {
		char name[200];

		memset(name, 'a' + (int)tu_rnd(&g->rng, 26), sizeof(name));
		tu_cmd_raw(g->c, name, sizeof(name));
	} else {
		tu_cmd_str(g->c, TU_PICK(&g->rng, names));
	}
	for (int i = 0; i < nargs; i++) {
		if (tu_chance(&g->rng, 10)) {
			char arg[150];

			memset(arg, 'b', sizeof(arg));
			tu_cmd_raw(g->c, arg, sizeof(arg));
		} else {
			gen_value(g);
		}
	}
}

/* Fill g->c with one random command. */
static void gen_cmd(struct gen *g)
{
	struct tu_cmd *c = g->c;
	unsigned r = (unsigned)tu_rnd(&g->rng, 1000);

	tu_cmd_reset(c);
	if (r < 15) {
		tu_cmd_word(g->c, &g->rng, "ping");
		for (int i = (int)tu_rnd(&g->rng, 3) - (int)tu_rnd(&g->rng, 2); i > 0; i--)
			gen_value(g);
	} else if (r < 30) {
		tu_cmd_word(g->c, &g->rng, "echo");
		gen_value(g);
		if (tu_chance(&g->rng, 10))
			gen_value(g);
	} else if (r < 60) {
		static const char *const bad[] = {
			"15", "16", "-1", "abc", "1.0", "~s1", "01",
			"4294967296", "2147483648", "-2147483649",
			"9223372036854775807", "~e", "2147483647",
			"-2147483648", "1~0", "+1",
		};

		tu_cmd_word(g->c, &g->rng, "select");
		if (tu_chance(&g->rng, 85))
			tu_cmd_fmt(c, "%d", (int)tu_rnd(&g->rng, NDBS_USED));
		else
			tu_cmd_str(c, TU_PICK(&g->rng, bad));
	} else if (r < 120) {
		gen_key_only(g, "get");
	} else if (r < 220) {
		gen_set(g);
	} else if (r < 235) {
		gen_key_value(g, "setnx");
	} else if (r < 255) {
		int k;

		tu_cmd_word(g->c, &g->rng, "setex");
		k = gen_key(g);
		gen_ttl(g, TTL_S, k);
		gen_value(g);
	} else if (r < 275) {
		int k;

		tu_cmd_word(g->c, &g->rng, "psetex");
		k = gen_key(g);
		gen_ttl(g, TTL_MS, k);
		gen_value(g);
	} else if (r < 295) {
		gen_keys_n(g, "mget", 1, 6);
	} else if (r < 330) {
		int n = 1 + (int)tu_rnd(&g->rng, 4);

		tu_cmd_word(g->c, &g->rng, tu_chance(&g->rng, 50) ? "mset" : "msetnx");
		for (int i = 0; i < n; i++) {
			gen_key(g);
			if (i < n - 1 || tu_chance(&g->rng, 90))
				gen_value(g);
		}
	} else if (r < 350) {
		gen_keys_n(g, "del", 1, 5);
	} else if (r < 360) {
		gen_keys_n(g, "unlink", 1, 5);
	} else if (r < 380) {
		gen_keys_n(g, "exists", 1, 5);
	} else if (r < 400) {
		gen_expire(g, "expire", TTL_S);
	} else if (r < 420) {
		gen_expire(g, "pexpire", TTL_MS);
	} else if (r < 435) {
		gen_expire(g, "expireat", TTL_AT_S);
	} else if (r < 450) {
		gen_expire(g, "pexpireat", TTL_AT_MS);
	} else if (r < 470) {
		gen_key_only(g, "ttl");
	} else if (r < 490) {
		gen_key_only(g, "pttl");
	} else if (r < 505) {
		gen_key_only(g, "persist");
	} else if (r < 515) {
		gen_key_only(g, "type");
	} else if (r < 540) {
		gen_key_only(g, tu_chance(&g->rng, 50) ? "incr" : "decr");
	} else if (r < 570) {
		tu_cmd_word(g->c, &g->rng, tu_chance(&g->rng, 50) ? "incrby" : "decrby");
		gen_key(g);
		if (tu_chance(&g->rng, 60))
			tu_cmd_str(c, TU_PICK(&g->rng, int_edges));
		else if (tu_chance(&g->rng, 50))
			tu_cmd_str(c, TU_PICK(&g->rng, bad_ints));
		else
			gen_value(g);
	} else if (r < 610) {
		tu_cmd_word(g->c, &g->rng, "incrbyfloat");
		gen_key(g);
		if (tu_chance(&g->rng, 60))
			tu_cmd_str(c, TU_PICK(&g->rng, floats));
		else if (tu_chance(&g->rng, 50))
			tu_cmd_str(c, TU_PICK(&g->rng, int_edges));
		else
			gen_value(g);
	} else if (r < 640) {
		gen_key_value(g, "append");
	} else if (r < 655) {
		gen_key_only(g, "strlen");
	} else if (r < 685) {
		gen_key_only(g, "getrange");
		gen_index(g);
		gen_index(g);
	} else if (r < 715) {
		static const char *const offs[] = {
			"0", "1", "5", "100", "1000", "100000", "-1",
			"536870911", "536870912", "9223372036854775807", "x",
			"~e", "1.0", "-9223372036854775808",
		};

		gen_key_only(g, "setrange");
		if (tu_chance(&g->rng, 40))
			tu_cmd_fmt(c, "%d", (int)tu_rnd(&g->rng, 40));
		else
			tu_cmd_str(c, TU_PICK(&g->rng, offs));
		/* A valid offset near 512 MB would make both servers build
		 * a 512 MB string: keep those with an empty value. */
		if (c->lens[2] == 9 && !memcmp(c->argv[2], "53687091", 8))
			tu_cmd_raw(c, "", 0);
		else if (tu_chance(&g->rng, 15))
			tu_cmd_raw(c, "", 0);
		else
			gen_value(g);
	} else if (r < 735) {
		gen_key_only(g, "getdel");
	} else if (r < 770) {
		gen_getex(g);
	} else if (r < 790) {
		gen_key_value(g, "getset");
	} else if (r < 815) {
		tu_cmd_word(g->c, &g->rng, tu_chance(&g->rng, 50) ? "rename" : "renamenx");
		gen_key(g);
		gen_key(g);
	} else if (r < 830) {
		tu_cmd_word(g->c, &g->rng, "dbsize");
	} else if (r < 860) {
		tu_cmd_word(g->c, &g->rng, "keys");
		tu_cmd_str(c, TU_PICK(&g->rng, patterns));
	} else if (r < 920) {
		gen_scan(g);
	} else if (r < 924) {
		static const char *const how[] = { "ASYNC", "SYNC", "async",
						   "FOO", "~e" };

		/* Rare: each one wipes most of what the run has built. */
		tu_cmd_word(g->c, &g->rng, tu_chance(&g->rng, 60) ? "flushdb" : "flushall");
		if (tu_chance(&g->rng, 40))
			tu_cmd_str(c, TU_PICK(&g->rng, how));
		if (tu_chance(&g->rng, 10))
			tu_cmd_str(c, TU_PICK(&g->rng, how));
	} else if (r < 940) {
		gen_unknown(g);
	} else {
		/* The commands again, with the wrong number of arguments. */
		static const char *const names[] = {
			"get", "set", "setnx", "setex", "psetex", "mget",
			"mset", "msetnx", "del", "unlink", "exists", "expire",
			"pexpire", "expireat", "pexpireat", "ttl", "pttl",
			"persist", "type", "incr", "incrby", "decr", "decrby",
			"incrbyfloat", "append", "strlen", "getrange",
			"setrange", "getdel", "getex", "getset", "rename",
			"renamenx", "dbsize", "keys", "scan", "echo", "select",
			"flushdb", "flushall", "ping",
		};
		int n = (int)tu_rnd(&g->rng, 6);

		tu_cmd_word(g->c, &g->rng, TU_PICK(&g->rng, names));
		for (int i = 0; i < n; i++)
			gen_key(g);
		/* Arity errors only: do not actually flush or scan. */
		if ((c->lens[0] == 7 || c->lens[0] == 8) &&
		    !strncasecmp(c->argv[0], "flush", 5) && n == 0)
			tu_cmd_str(c, "FOO");
	}
}

/* One seeded run of ncmds commands from an empty dataset in db 0. */
static bool run_random(struct tu_diff *d, uint64_t seed, long ncmds,
		       void *unused __attribute__((unused)))
{
	struct gen g = { .rng = seed, .c = malloc(sizeof(struct tu_cmd)) };
	bool ok = true;

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
		ok = tu_diff_compare_datasets(d, NDBS, false);
	free(g.c);
	return ok;
}

/* ----------------------------------------------------------- fixed list */

static const char *const fixed[] = {
	"FLUSHALL",
	/* connection */
	"PING", "PING hello", "PING a b", "PING ~e", "ECHO", "ECHO x",
	"ECHO x y", "ECHO ~e", "ECHO a~0b~r~n", "SELECT 15", "SELECT 16",
	"SELECT -1", "SELECT abc", "SELECT 1.0", "SELECT ~s1", "SELECT 01",
	"SELECT 4294967296", "SELECT 2147483648", "SELECT -2147483649",
	"SELECT ~e", "SELECT 9223372036854775808", "SELECT +1", "SELECT 1~0",
	"SELECT", "SELECT 1 2", "SELECT 1", "SET k v1", "SELECT 0", "GET k",
	"AUTH", "AUTH x", "AUTH a b c", "AUTH default x", "AUTH DEFAULT x",
	"AUTH Default x", "AUTH default~0 x", "AUTH nobody x",
	/* SET and its options */
	"GET", "GET a b", "SET k", "SET k v", "GET k", "SET k v NX",
	"SET k v XX", "SET k v NX XX", "SET k v XX NX", "SET k v GET",
	"SET k w NX GET", "SET k2 w XX GET", "SET k x XX GET", "SET n v NX GET",
	"GET n", "SET k v KEEPTTL", "SET k v EX 100 KEEPTTL",
	"SET k v KEEPTTL EX 100", "SET k v KEEPTTL PX 100",
	"SET k v EX 100 PX 100", "SET k v PX 100 EX 100",
	"SET k v EX 100 EXAT ~S", "SET k v EX 100 EX 100",
	"SET k v PX 100 PX 100", "SET k v NX NX", "SET k v XX XX",
	"SET k v GET GET", "SET k v KEEPTTL KEEPTTL", "SET k v EX",
	"SET k v PX", "SET k v EXAT", "SET k v PXAT", "SET k v EX 0",
	"SET k v EX -1", "SET k v PX 0", "SET k v PX -5", "SET k v EXAT 0",
	"SET k v PXAT -1", "SET k v EXAT -1", "SET k v EX abc",
	"SET k v EX 1.5", "SET k v EX ~e", "SET k v EX 9223372036854775807",
	"SET k v EX 9223372036854775", "SET k v EX 9223372036854776",
	"SET k v PX 9223372036854775807", "SET k v PX 9223372036854775806",
	"SET k v PXAT 9223372036854775807", "SET k v EXAT 9223372036854775",
	"SET k v EXAT 9223372036854776", "SET k v EX 100 FOO", "SET k v FOO",
	"SET k v ~e", "SET k v EX abc NX XX", "SET k v NX EX abc",
	"SET k v GET EX 0", "SET k v PERSIST", "SET k v nx~0",
	"SET k v ex 100 get", "SET k v Px 100000 kEePtTl",
	"SET k v EX 100 GET NX", "SET k v EX 10000", "TTL k",
	"SET k v2 KEEPTTL", "TTL k", "SET k v3 KEEPTTL GET", "TTL k",
	"SET k v4", "TTL k", "SET k v EXAT ~S", "TTL k", "SET k v PXAT ~M",
	"PTTL k", "SET k v PX 100000000", "PTTL k", "SET k v EXAT ~P", "GET k",
	"PERSIST k", "SET k v PXAT ~Q", "EXISTS k", "PERSIST k", "DBSIZE",
	"SET k v PXAT 1", "GET k", "PERSIST k", "SET ~e ~e", "GET ~e",
	"SET a~0b ~A", "STRLEN a~0b", "SET big ~B", "GET big", "APPEND big x",
	"STRLEN big",
	/* SETNX SETEX PSETEX */
	"SETNX k v", "SETNX nx1 v", "SETNX nx1 w", "GET nx1", "SETNX nx1",
	"SETEX k 100 v", "TTL k", "SETEX k 0 v", "SETEX k -1 v",
	"SETEX k abc v", "SETEX k 9223372036854775807 v",
	"SETEX k 9223372036854775 v", "SETEX k 1.5 v", "SETEX k 100",
	"PSETEX k 100000 v", "PTTL k", "PSETEX k 0 v", "PSETEX k -1 v",
	"PSETEX k 9223372036854775807 v", "PSETEX k abc v", "PSETEX k ~e v",
	/* MGET MSET MSETNX */
	"MSET a 1 b 2 c 3", "MGET a b c d a", "MGET", "MSET a", "MSET a 1 b",
	"MSET a 1 a 2", "GET a", "MSETNX a 1 z 2", "GET z", "MSETNX y 1 z 2",
	"MGET y z", "MSETNX w 1 w 2", "GET w", "MSETNX x 1 x", "MSETNX",
	"SET t v EX 1000", "MSET t v2", "TTL t",
	/* DEL UNLINK EXISTS */
	"EXISTS a a a b nope", "EXISTS", "DEL a a b nope", "DEL",
	"UNLINK c c y", "UNLINK", "EXISTS a b c y",
	/* EXPIRE family */
	"SET e v", "EXPIRE e 100", "TTL e", "EXPIRE e 100 NX",
	"EXPIRE e 200 XX", "TTL e", "EXPIRE e 100 GT", "EXPIRE e 300 GT",
	"TTL e", "EXPIRE e 400 LT", "EXPIRE e 100 LT", "TTL e",
	"EXPIRE e 100 NX XX", "EXPIRE e 100 XX NX", "EXPIRE e 100 GT LT",
	"EXPIRE e 100 LT GT", "EXPIRE e 100 NX GT", "EXPIRE e 200 XX GT",
	"EXPIRE e 100 XX LT", "EXPIRE e 100 FOO", "EXPIRE e 100 nx",
	"EXPIRE e abc NX XX", "EXPIRE e abc FOO", "EXPIRE e 100 FOO NX XX",
	"EXPIRE e 100 NX XX FOO", "EXPIRE e 100 GT LT FOO", "EXPIRE e abc",
	"EXPIRE e 1.5", "EXPIRE e ~e", "EXPIRE e 9223372036854775807",
	"EXPIRE e 9223372036854775", "EXPIRE e -9223372036854775808",
	"EXPIRE e -9223372036854775", "EXPIRE e -9223372036854776",
	"PEXPIRE e 9223372036854775807", "PEXPIRE e -9223372036854775808",
	"EXPIREAT e 9223372036854775807", "PEXPIREAT e 9223372036854775807",
	"PEXPIREAT e -9223372036854775808", "TTL e", "PERSIST e", "PERSIST e",
	"TTL e", "EXPIRE e 100 GT", "EXPIRE e 100 LT", "TTL e", "PERSIST e",
	"EXPIRE e 100 XX", "EXPIRE e 100 NX", "EXPIRE nope 100",
	"EXPIRE nope 100 XX", "EXPIRE e -1", "EXISTS e", "SET e v",
	"EXPIRE e 0", "GET e", "SET e v", "PEXPIRE e -100", "GET e", "SET e v",
	"EXPIREAT e 1", "GET e", "SET e v", "PEXPIREAT e ~Q", "GET e",
	"SET e v", "EXPIREAT e ~S", "TTL e", "PEXPIREAT e ~M", "PTTL e",
	"PEXPIRE e 100000", "PTTL e", "EXPIRE e -1 GT", "EXPIRE e -1 LT",
	"GET e", "SET e v", "EXPIRE e -1 XX", "EXPIRE e -1 NX", "GET e",
	"EXPIRE", "EXPIRE e", "PEXPIRE e", "EXPIREAT e", "PEXPIREAT e",
	"EXPIRE e 100 NX NX", "EXPIRE e 100 Nx Gt",
	/* TTL PTTL PERSIST TYPE */
	"TTL nope", "PTTL nope", "TTL", "TTL a b", "PERSIST nope", "PERSIST",
	"SET p v", "PERSIST p", "TYPE p", "TYPE nope", "TYPE", "TYPE a b",
	/* INCR family */
	"SET i 10", "INCR i", "DECR i", "INCRBY i 5", "DECRBY i 5",
	"INCR nope1", "DECR nope2", "INCRBY nope3 -7", "DECRBY nope4 -7",
	"SET i 9223372036854775807", "INCR i", "INCRBY i 0", "INCRBY i -1",
	"DECR i", "SET i -9223372036854775808", "DECR i", "INCR i",
	"DECRBY i -9223372036854775808", "SET i 0",
	"DECRBY i -9223372036854775808", "DECRBY i 9223372036854775807",
	"DECRBY i 1", "DECRBY i 1", "INCRBY i -9223372036854775808", "SET i 1",
	"INCRBY i 9223372036854775807", "INCRBY i 9223372036854775806",
	"SET i -1", "INCRBY i -9223372036854775808",
	"DECRBY i 9223372036854775807", "SET i 1.0", "INCR i", "SET i ~s1",
	"INCR i", "SET i 01", "INCR i", "SET i -0", "INCR i", "SET i +1",
	"INCR i", "SET i ~e", "INCR i", "SET i 123456789012345678901", "INCR i",
	"SET i 9223372036854775808", "INCR i", "SET i 1~0", "INCR i", "SET i 1",
	"INCRBY i 1.0", "INCRBY i ~s1", "INCRBY i 01", "INCRBY i -0",
	"INCRBY i +1", "INCRBY i ~e", "INCRBY i 9223372036854775808",
	"DECRBY i abc", "INCRBY i", "INCR", "INCR i i", "SET i ~D", "INCR i",
	"SET i 10 EX 1000", "INCR i", "TTL i", "INCRBY i 100", "TTL i",
	/* INCRBYFLOAT */
	"SET f 0.1", "INCRBYFLOAT f 0.2", "SET f 3.0e3", "INCRBYFLOAT f 0",
	"SET f -0.0", "INCRBYFLOAT f 0", "INCRBYFLOAT f -0.0",
	"INCRBYFLOAT nf -0.0", "INCRBYFLOAT f 1e5", "INCRBYFLOAT f inf",
	"INCRBYFLOAT f -inf", "INCRBYFLOAT f nan", "INCRBYFLOAT f +inf",
	"INCRBYFLOAT f infinity", "INCRBYFLOAT f 1e309", "INCRBYFLOAT f 1e4932",
	"INCRBYFLOAT f 1e4932", "INCRBYFLOAT f 1e4933", "INCRBYFLOAT f -2e4932",
	"INCRBYFLOAT f -1e4932", "INCRBYFLOAT f 1e-400",
	"INCRBYFLOAT f 1e-4950", "INCRBYFLOAT f 5e-324", "INCRBYFLOAT f 1e300",
	"SET f 1e308", "INCRBYFLOAT f 1e308", "SET f 7e4931",
	"INCRBYFLOAT f 7e4931", "SET f inf", "INCRBYFLOAT f 1", "SET f nan",
	"INCRBYFLOAT f 1", "SET f abc", "INCRBYFLOAT f 1", "SET f 1",
	"INCRBYFLOAT f abc", "INCRBYFLOAT f ~s1", "INCRBYFLOAT f 1~s",
	"INCRBYFLOAT f ~e", "INCRBYFLOAT f 0x1p3", "INCRBYFLOAT f .5",
	"INCRBYFLOAT f 5.", "INCRBYFLOAT f 1e", "INCRBYFLOAT f 1,5",
	"INCRBYFLOAT f 1~0", "INCRBYFLOAT f 1.0000000000000001",
	"INCRBYFLOAT f 3.14159265358979323846", "INCRBYFLOAT f 1e-20",
	"INCRBYFLOAT f -1e-20", "SET f ~s1", "INCRBYFLOAT f 1", "SET f 1~s",
	"INCRBYFLOAT f 1", "SET f ~D", "INCRBYFLOAT f 1", "SET f 10 EX 1000",
	"INCRBYFLOAT f 1.5", "TTL f", "SET f 5.0e3", "INCRBYFLOAT f 2.0e2",
	"SET f 1.5", "INCRBYFLOAT f -1.5", "INCRBYFLOAT f", "INCRBYFLOAT",
	"SET f 1", "INCRBYFLOAT f 1e18", "INCRBYFLOAT f 1e19",
	"INCRBYFLOAT f 0.1",
	/* APPEND STRLEN */
	"APPEND ap ~e", "EXISTS ap", "APPEND ap x", "APPEND ap ~e",
	"APPEND ap a~0b~r~n", "GET ap", "STRLEN ap", "STRLEN nope", "STRLEN",
	"APPEND ap", "SET ap v EX 1000", "APPEND ap w", "TTL ap",
	/* GETRANGE */
	"SET r Hello,~sWorld", "GETRANGE r 0 4", "GETRANGE r -5 -1",
	"GETRANGE r 0 -1", "GETRANGE r -1 0", "GETRANGE r 5 3",
	"GETRANGE r 0 0", "GETRANGE r -100 -50", "GETRANGE r -100 100",
	"GETRANGE r 100 200", "GETRANGE r -1 -5", "GETRANGE r -1 -1",
	"GETRANGE r 12 12", "GETRANGE r 13 13",
	"GETRANGE r 0 9223372036854775807",
	"GETRANGE r -9223372036854775808 -1",
	"GETRANGE r -9223372036854775808 9223372036854775807",
	"GETRANGE r 9223372036854775807 -9223372036854775808", "GETRANGE r a 1",
	"GETRANGE r 1 a", "GETRANGE r 1.0 2", "GETRANGE r ~e 1",
	"GETRANGE nope 0 -1", "GETRANGE nope a b", "GETRANGE r 0", "SET r ~e",
	"GETRANGE r 0 -1", "GETRANGE r 0 0", "GETRANGE r -1 -1",
	"GETRANGE r 1 0", "GETRANGE r -1 0",
	/* SETRANGE */
	"SETRANGE sr 0 abc", "SETRANGE sr 5 xy", "GET sr", "SETRANGE sr 1 ~e",
	"SETRANGE sr 100 ~e", "SETRANGE nsr 0 ~e", "EXISTS nsr",
	"SETRANGE nsr 10 ~e", "EXISTS nsr", "SETRANGE sr -1 x",
	"SETRANGE sr -1 ~e", "SETRANGE nsr2 -1 ~e", "SETRANGE sr 536870912 x",
	"SETRANGE sr 536870911 xy", "SETRANGE sr 536870912 ~e",
	"SETRANGE sr 9223372036854775807 x", "SETRANGE sr 536870910 xyz",
	"SETRANGE sr 9223372036854775807 ~e", "SETRANGE sr abc x",
	"SETRANGE sr 1.0 x", "SETRANGE sr 0", "SETRANGE sr 2 a~0b", "GET sr",
	"SETRANGE nsr3 3 x", "GET nsr3", "SET sr v EX 1000", "SETRANGE sr 0 w",
	"TTL sr", "SETRANGE nope 536870912 x", "SETRANGE nope -1 x",
	"SETRANGE nope 100000 ~A", "STRLEN nope",
	/* GETDEL GETEX GETSET */
	"SET g v", "GETDEL g", "GETDEL g", "GETDEL", "GETDEL a b", "SET g v",
	"GETEX g", "GETEX nope", "GETEX g EX 100", "TTL g", "GETEX g PERSIST",
	"TTL g", "GETEX g PX 100000", "PTTL g", "GETEX g EXAT ~S", "TTL g",
	"GETEX g PXAT ~M", "PTTL g", "GETEX g EX 0", "GETEX g EX -1",
	"GETEX g PX 0", "GETEX g EXAT 0", "GETEX g PXAT -1", "GETEX g EX abc",
	"GETEX g EX", "GETEX g PERSIST EX 100", "GETEX g EX 100 PERSIST",
	"GETEX g EX 100 PX 100", "GETEX g NX", "GETEX g KEEPTTL", "GETEX g GET",
	"GETEX g FOO", "GETEX g PERSIST PERSIST", "GETEX g EX 100 EX 200",
	"TTL g", "GETEX nope EX abc", "GETEX nope FOO", "GETEX nope EX 0",
	"GETEX g EX 9223372036854775807", "GETEX g EX 9223372036854775",
	"GETEX g PX 9223372036854775807", "GETEX g PXAT 9223372036854775807",
	"GETEX g EXAT ~P", "EXISTS g", "SET g v", "GETEX g PXAT 1", "EXISTS g",
	"GETEX", "SET g v", "GETSET g w", "GETSET nope2 w", "GET nope2",
	"SET g v EX 1000", "GETSET g x", "TTL g", "GETSET g", "GETSET g a b",
	/* RENAME RENAMENX */
	"SET rn v EX 1000", "RENAME rn rn", "RENAMENX rn rn", "RENAME rn rn2",
	"TTL rn2", "EXISTS rn", "RENAME rn rn2", "RENAMENX rn rn2",
	"RENAME nope nope", "RENAMENX nope nope", "SET rn v", "RENAMENX rn rn2",
	"RENAMENX rn rn3", "GET rn3", "RENAME rn3 rn2", "GET rn2", "TTL rn2",
	"RENAME rn2", "RENAMENX rn2", "RENAME a b c",
	/* DBSIZE KEYS SCAN */
	"DBSIZE", "DBSIZE x", "KEYS *", "KEYS", "KEYS a b", "KEYS [", "KEYS [a",
	"KEYS \\", "KEYS [^]", "KEYS [a-]", "KEYS [z-a]*", "KEYS *[", "KEYS r?",
	"KEYS ~e", "KEYS a~0*", "KEYS [\\]]*", "KEYS [[]*", "KEYS ***",
	"SCAN 0", "SCAN", "SCAN abc", "SCAN ~s0", "SCAN 0~s", "SCAN -",
	"SCAN 18446744073709551616", "SCAN 18446744073709551615x", "SCAN 0x0",
	"SCAN 1.5", "SCAN ~e", "SCAN +0", "SCAN 00", "SCAN -0", "SCAN 0~0",
	"SCAN 0 COUNT 0", "SCAN 0 COUNT -1", "SCAN 0 COUNT abc", "SCAN 0 COUNT",
	"SCAN 0 COUNT ~e", "SCAN 0 COUNT 1", "SCAN 0 COUNT 2 COUNT 3",
	"SCAN 0 COUNT 1000000", "SCAN 0 COUNT 9223372036854775808",
	"SCAN 0 MATCH", "SCAN 0 MATCH k*", "SCAN 0 MATCH g* COUNT 1",
	"SCAN 0 TYPE string", "SCAN 0 TYPE STRING", "SCAN 0 TYPE list",
	"SCAN 0 TYPE foo", "SCAN 0 TYPE ~e", "SCAN 0 TYPE",
	"SCAN 0 TYPE string~0x", "SCAN 0 FOO", "SCAN 0 FOO bar",
	"SCAN 0 MATCH * FOO", "SCAN 0 COUNT 0 FOO", "SCAN 0 FOO COUNT 0",
	"SCAN abc COUNT 0", "SCAN 0 match * count 5 type string",
	"SCAN 0 count~0 5",
	/* Redis gives up on a pattern with more than 1000 '*' before its
	 * last element (stringmatchlen()'s nesting limit). */
	"SET ~R1200,a v", "KEYS ~R1001,a*", "KEYS ~R1002,a*",
	"KEYS ~R1001,*a", "KEYS ~R1000,*a", "KEYS *~R1000,a*",
	"SCAN 0 MATCH ~R1001,a* COUNT 100", "SCAN 0 MATCH ~R1002,a* COUNT 100",
	"DEL ~R1200,a",
	/* unknown commands */
	"FOO", "FOO bar baz", "~e", "x~0y a", "get~s k", "get~0 k",
	"a~r~nb c~r~nd", "FOO ~A", "~R200,x x", "FOO ~R150,b c d",
	"FOO b ~R150,b c d", "FOO ~R129,b", "~R128,x", "~R129,x y",
	"gEt k",
	/* FLUSHDB FLUSHALL */
	"FLUSHDB FOO", "FLUSHDB ASYNC SYNC", "FLUSHALL FOO",
	"FLUSHALL SYNC ASYNC", "SELECT 1", "SET x y", "SELECT 0", "FLUSHDB",
	"DBSIZE", "SELECT 1", "DBSIZE", "FLUSHDB sync", "SET x y",
	"FLUSHALL ASYNC", "DBSIZE", "SELECT 0", "SET x y", "FLUSHALL", "DBSIZE",
	NULL,
};

/* ----------------------------------------------------------------- tests */

static void test_fixed_list(void)
{
	CU_ASSERT(tu_diff_fixed("diff", fixed, run_line, NDBS, false));
}

static void test_random_runs(void)
{
	CU_ASSERT(tu_diff_random("diff", NULL,
				 tu_diff_env_long("SHMREP_DIFF_RUNS",
						  DEFAULT_RUNS),
				 DEFAULT_CMDS, run_random, NULL));
}

static CU_TestInfo tests[] = {
	{ "fixed_list", test_fixed_list },
	{ "random_runs", test_random_runs },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = { { "diff", tests }, { NULL, NULL } };

	tu_diff_init();
	return tu_main(argc, argv, suites);
}
