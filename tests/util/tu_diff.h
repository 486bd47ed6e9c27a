/*
 * tu_diff.h - differential testing against redis-server: the harness that
 * test_diff.c (strings, keys) started with, shared by the tests of every
 * data type.
 *
 * A struct tu_diff holds one connection to a private redis-server (the
 * oracle, side 0) and one to a private shmrepd (side 1).  A test builds a
 * command (struct tu_cmd: arguments in an arena, written in the escaped
 * notation below or as raw bytes), sends it to both servers, and compares
 * the replies as the command's struct tu_cmd.how says:
 *
 *   TU_CMP_EXACT     byte for byte (the default);
 *   TU_CMP_TTL       integers within a second (TTL), unless negative;
 *   TU_CMP_PTTL      integers within TU_DIFF_PTTL_SLACK_MS (PTTL);
 *   TU_CMP_KEYS      arrays of bulk strings as sorted sets, duplicates
 *                    dropped (KEYS);
 *   TU_CMP_SCAN      SCAN, HSCAN, SSCAN, ZSCAN: each server is iterated to
 *                    cursor 0 with the command's own options, and the sets
 *                    of what they returned are compared (cursors are each
 *                    server's business; HSCAN and ZSCAN as pairs);
 *   TU_CMP_MULTISET  arrays as sorted multisets (HKEYS, HVALS, SMEMBERS,
 *                    SINTER...: an order that neither server promises);
 *   TU_CMP_PAIRS     arrays of pairs as sorted multisets of pairs
 *                    (HGETALL: a field stays with its value);
 *   TU_CMP_SHAPE     random picks (SPOP, SRANDMEMBER): the same kind of
 *                    reply, and arrays of the same length; what was picked
 *                    is the caller's to check (tu_diff_call() to one side).
 *
 * tu_diff_cmp_for() picks the mode from the command's name.  Errors are
 * always compared exactly.  On a difference the seed, the command number,
 * the command and both replies are printed (escaped), and the run stops
 * unless keepgoing is set ($SHMREP_DIFF_KEEPGOING).
 *
 * Escaped notation (tu_cmd_esc, tu_cmd_line): "~s" space, "~0" NUL, "~r"
 * CR, "~n" LF, "~t" TAB, "~f" byte 0xff, "~~" a tilde, "~e" nothing (so
 * "~e" alone is the empty argument); and, as a whole argument, "~A" /
 * "~B" / "~D" the TU_DIFF_BIG_LEN-byte text, binary and digits values,
 * "~S" / "~M" a time 1000 s ahead in seconds / milliseconds, "~P" / "~Q"
 * 100 s ago, "~RN,text" the text N times.
 *
 * Every function that talks to a server returns false (after reporting)
 * when a server did not answer; the servers are stopped, and their files
 * removed, by tu_diff_stop() and at exit.
 */
#ifndef TU_DIFF_H
#define TU_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tu_daemon.h"

#define TU_DIFF_MAXARGS 512
#define TU_DIFF_ARENA 65536
#define TU_DIFF_BIG_LEN (100 * 1024)
#define TU_DIFF_TTL_SLACK_S 1
#define TU_DIFF_PTTL_SLACK_MS 50
#define TU_DIFF_SCAN_MAX_CALLS 100000

/* A growable byte buffer, NUL-terminated past len. */
struct tu_buf {
	char *p;
	size_t len, cap;
};

void tu_buf_add(struct tu_buf *b, const void *p, size_t n);
void tu_buf_free(struct tu_buf *b);

/*
 * A client connection with its own read buffer (replies are never
 * pipelined here, so buffering cannot mix two replies up).
 */
struct tu_conn {
	const char *who;
	int fd;
	struct tu_buf in; /* bytes read, not yet consumed */
	struct tu_buf req;
};

/* Send argv and read one complete reply into *out.  0 or -1. */
int tu_conn_call(struct tu_conn *c, int argc, const char *const *argv,
		 const size_t *lens, struct tu_buf *out);

/* Length of the complete RESP reply at p[0, len): 0 if incomplete, -1 if
 * malformed. */
long tu_reply_len(const char *p, size_t len);

enum tu_cmp {
	TU_CMP_EXACT,
	TU_CMP_TTL,
	TU_CMP_PTTL,
	TU_CMP_KEYS,
	TU_CMP_SCAN,
	TU_CMP_MULTISET,
	TU_CMP_PAIRS,
	TU_CMP_SHAPE,
};

struct tu_cmd {
	int argc;
	const char *argv[TU_DIFF_MAXARGS];
	size_t lens[TU_DIFF_MAXARGS];
	char arena[TU_DIFF_ARENA];
	size_t used;
	enum tu_cmp how;
	/*
	 * For tests that give keys short TTLs (test_diff.c): the key to clean
	 * up after the command (-1: none), how long to wait first, and a probe
	 * to run on it (-1: none).  tu_diff does not act on these itself.
	 */
	int cleanup_key;
	unsigned wait_ms;
	int probe;
};

/* The TU_DIFF_BIG_LEN-byte values behind "~A", "~B" and "~D". */
extern char tu_diff_big_text[TU_DIFF_BIG_LEN];
extern char tu_diff_big_bin[TU_DIFF_BIG_LEN];
extern char tu_diff_big_digits[TU_DIFF_BIG_LEN];

/* Fill the big values (once; before building commands that use them). */
void tu_diff_init(void);

/* Empty c: no arguments, TU_CMP_EXACT, no clean-up. */
void tu_cmd_reset(struct tu_cmd *c);

/* Add an argument: one that lives elsewhere (stays there), raw bytes
 * copied to the arena, printf-style, escaped, escaped and NUL-terminated. */
void tu_cmd_ref(struct tu_cmd *c, const char *p, size_t len);
void tu_cmd_raw(struct tu_cmd *c, const void *p, size_t len);
void tu_cmd_fmt(struct tu_cmd *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tu_cmd_esc(struct tu_cmd *c, const char *s, size_t n);
void tu_cmd_str(struct tu_cmd *c, const char *s);

/* c = a line of space-separated escaped arguments (how: EXACT). */
void tu_cmd_line(struct tu_cmd *c, const char *line);

/* A copy of c whose arena arguments point into the copy's arena. */
void tu_cmd_copy(struct tu_cmd *dst, const struct tu_cmd *src);

/* How a command's replies are compared, from its name. */
enum tu_cmp tu_diff_cmp_for(const struct tu_cmd *c);

/* The clock both servers' expire times are relative to, in ms. */
long long tu_diff_real_ms(void);

/* Bulk strings of a reply, pointing into it. */
struct tu_item {
	const char *p;
	size_t len;
};

struct tu_items {
	struct tu_item *v;
	size_t n, cap;
};

void tu_items_add(struct tu_items *it, const char *p, size_t len);
/* Sort (memcmp order, shorter first) and, if unique, drop duplicates. */
void tu_items_sort(struct tu_items *it, bool unique);
bool tu_items_equal(const struct tu_items *a, const struct tu_items *b);

/*
 * Parse "*N\r\n" followed by N bulk strings at *p, appending them to it
 * (pointing into the reply).  Advances *p.  false if it is not that.
 */
bool tu_parse_bulk_array(const char **p, const char *end,
			 struct tu_items *it);

/* ":N\r\n" as *v. */
bool tu_parse_int(const struct tu_buf *r, long long *v);

/* A run: the two connections and their last replies. */
struct tu_diff {
	struct tu_conn c[2]; /* redis-server, shmrepd */
	struct tu_buf rep[2]; /* the last replies */
	uint64_t seed; /* for messages; 0: a fixed list */
	long cmdno;
	bool keepgoing; /* $SHMREP_DIFF_KEEPGOING */
	bool trace; /* $SHMREP_DIFF_TRACE: print every command and reply */
	unsigned failures;
};

/*
 * Start redis-server (instance tag TAG "r") and shmrepd (TAG, with extra
 * "--directive value" arguments, may be NULL) and connect to both.  false
 * (and everything stopped) on failure.
 */
bool tu_diff_start(struct tu_diff *d, struct tu_daemon *r, struct tu_daemon *s,
		   const char *tag, const char *const *extra);

/* Disconnect and stop both; false if shmrepd did not exit cleanly. */
bool tu_diff_stop(struct tu_diff *d, struct tu_daemon *r, struct tu_daemon *s);

/* Whether redis-server is installed (else a message: the test skips). */
bool tu_diff_have_redis(void);

/*
 * The two test bodies every differential test has, each on a fresh pair
 * of servers (instance tag TAG), with a summary on stderr; true if no
 * difference (or redis-server is missing: skipped).
 *
 * tu_diff_fixed: every line of the NULL-terminated list through line(),
 * then the datasets of databases 0..ndbs-1 compared (typed as in
 * tu_diff_compare_datasets).  tu_diff_random: `runs` runs of gen() from
 * seeds tu_seed(), tu_seed() + 1, ..., each of SHMREP_DIFF_CMDS (default
 * ncmds) commands, shmrepd started with the extra arguments.  Both stop
 * at the first difference unless SHMREP_DIFF_KEEPGOING is set.
 */
typedef bool tu_diff_line_fn(struct tu_diff *d, const char *line);
typedef bool tu_diff_gen_fn(struct tu_diff *d, uint64_t seed, long ncmds,
			    void *arg);
bool tu_diff_fixed(const char *tag, const char *const *lines,
		   tu_diff_line_fn *line, int ndbs, bool typed);
bool tu_diff_random(const char *tag, const char *const *extra, long runs,
		    long ncmds, tu_diff_gen_fn *gen, void *arg);

/* Print p[0, n) escaped to stderr (at most about 600 bytes of it). */
void tu_diff_print_escaped(const char *p, size_t n);
void tu_diff_print_cmd(const struct tu_cmd *c);

/* Report a difference; returns d->keepgoing. */
bool tu_diff_mismatch(struct tu_diff *d, const struct tu_cmd *c,
		      const char *what, const char *r0, size_t l0,
		      const char *r1, size_t l1);

/* Send c to both servers (replies in d->rep), or to one (side 0 redis,
 * 1 shmrepd; reply in *out).  false if a server did not answer. */
bool tu_diff_call_both(struct tu_diff *d, const struct tu_cmd *c);
bool tu_diff_call(struct tu_diff *d, int side, const struct tu_cmd *c,
		  struct tu_buf *out);

bool tu_diff_same_reply(const struct tu_diff *d);
bool tu_reply_is_error(const struct tu_buf *r);

/* Compare the last replies as c->how says; false to stop the run. */
bool tu_diff_check(struct tu_diff *d, const struct tu_cmd *c);
bool tu_diff_check_exact(struct tu_diff *d, const struct tu_cmd *c);

/* Count c, send it to both, trace it, and check the replies. */
bool tu_diff_run(struct tu_diff *d, const struct tu_cmd *c);

/* tu_diff_run() of a line in the escaped notation, compared as
 * tu_diff_cmp_for() says. */
bool tu_diff_run_line(struct tu_diff *d, const char *line);

/*
 * Compare the whole dataset of databases 0..ndbs-1 of both servers: KEYS
 * (as a set), then for each key its value and PTTL.  Values are read with
 * GET unless typed is set; then DEBUG DIGEST is compared first, and each
 * key's TYPE decides: GET, HGETALL (as pairs), SMEMBERS (as a multiset),
 * LRANGE 0 -1, ZRANGE 0 -1 WITHSCORES.
 */
bool tu_diff_compare_datasets(struct tu_diff *d, int ndbs, bool typed);

/*
 * Random choices for the command generators (rng: a tu_rand() state): a
 * number in [0, n), true pct times in a hundred, an element of an array,
 * and a command or option word added to c in a random case (lower, upper
 * or mixed: neither server may care).
 */
uint64_t tu_rnd(uint64_t *rng, uint64_t n);
bool tu_chance(uint64_t *rng, unsigned pct);
#define TU_PICK(rng, a) ((a)[tu_rnd((rng), sizeof(a) / sizeof((a)[0]))])
void tu_cmd_word(struct tu_cmd *c, uint64_t *rng, const char *w);

/* Environment: a flag (set, non-empty, not "0"), or a number. */
bool tu_diff_env_flag(const char *name);
long tu_diff_env_long(const char *name, long dflt);

#endif
