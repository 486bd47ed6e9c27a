/*
 * test_diff.c - differential test: redis-server 7.0 is the oracle.
 *
 * The same command sequence goes to a private redis-server and to shmrepd,
 * one command at a time, and each reply is compared byte for byte as soon
 * as both are in.  Two sources of commands:
 *
 * - a fixed list of edge cases (one line per command, in the escaped
 *   notation of add_esc()), so that the cases each command is known to be
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
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "tu_daemon.h"

#define NKEYS 20
#define NDBS_USED 3 /* SELECT mostly picks 0..NDBS_USED-1 */
#define NDBS 16
#define MAXARGS 32
#define ARENA 16384
#define BIG_LEN (100 * 1024)
#define TTL_SLACK_S 1
#define PTTL_SLACK_MS 50
#define SHORT_TTL_WAIT_MS 6 /* > the longest short TTL (3 ms) */
#define SCAN_MAX_CALLS 100000

#define DEFAULT_RUNS 12
#define DEFAULT_CMDS 5000

/* ----------------------------------------------------------- connections */

/* A growable byte buffer. */
struct buf {
	char *p;
	size_t len, cap;
};

static void buf_reserve(struct buf *b, size_t need)
{
	if (b->len + need <= b->cap)
		return;
	b->cap = b->cap ? b->cap : 4096;
	while (b->len + need > b->cap)
		b->cap *= 2;
	b->p = realloc(b->p, b->cap);
	if (!b->p)
		abort();
}

static void buf_add(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n + 1);
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/*
 * A client connection with its own read buffer: tu_read_reply() reads a
 * byte at a time, which is too slow for 100 KB values, and replies here
 * are never pipelined, so buffering cannot mix two replies up.
 */
struct conn {
	const char *who;
	int fd;
	struct buf in; /* bytes read, not yet consumed */
	struct buf req;
};

/* Length of the complete RESP reply at p[0, len): 0 if incomplete, -1 if
 * malformed. */
static long reply_len(const char *p, size_t len)
{
	const char *nl = memchr(p, '\n', len);
	size_t head;
	long long n;

	if (!nl)
		return 0;
	head = (size_t)(nl - p) + 1;
	if (head < 3 || p[head - 2] != '\r')
		return -1;
	switch (p[0]) {
	case '+':
	case '-':
	case ':':
		return (long)head;
	case '$':
		n = strtoll(p + 1, NULL, 10);
		if (n < 0)
			return (long)head;
		if (len < head + (size_t)n + 2)
			return 0;
		return (long)(head + (size_t)n + 2);
	case '*':
		n = strtoll(p + 1, NULL, 10);
		for (long long i = 0; i < n; i++) {
			long sub = reply_len(p + head, len - head);

			if (sub <= 0)
				return sub;
			head += (size_t)sub;
		}
		return (long)head;
	default:
		return -1;
	}
}

/* Send argv and read one reply into *out.  0 or -1. */
static int conn_call(struct conn *c, int argc, const char *const *argv,
		     const size_t *lens, struct buf *out)
{
	char hdr[32];
	size_t off = 0;
	int n = snprintf(hdr, sizeof(hdr), "*%d\r\n", argc);

	c->req.len = 0;
	buf_add(&c->req, hdr, (size_t)n);
	for (int i = 0; i < argc; i++) {
		n = snprintf(hdr, sizeof(hdr), "$%zu\r\n", lens[i]);
		buf_add(&c->req, hdr, (size_t)n);
		buf_add(&c->req, argv[i], lens[i]);
		buf_add(&c->req, "\r\n", 2);
	}
	while (off < c->req.len) {
		ssize_t w = write(c->fd, c->req.p + off, c->req.len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	for (;;) {
		long rl = c->in.len ? reply_len(c->in.p, c->in.len) : 0;
		ssize_t r;

		if (rl < 0)
			return -1;
		if (rl > 0) {
			out->len = 0;
			buf_add(out, c->in.p, (size_t)rl);
			memmove(c->in.p, c->in.p + rl, c->in.len - (size_t)rl);
			c->in.len -= (size_t)rl;
			return 0;
		}
		buf_reserve(&c->in, 65536);
		r = read(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1; /* closed, or the 10 s receive timeout */
		c->in.len += (size_t)r;
	}
}

/* ------------------------------------------------------------- commands */

enum cmp {
	CMP_EXACT,
	CMP_TTL, /* integers within TTL_SLACK_S, unless negative */
	CMP_PTTL, /* within PTTL_SLACK_MS */
	CMP_KEYS, /* arrays compared as sorted sets */
	CMP_SCAN, /* iterate both to the end, compare the sets of keys */
};

struct cmd {
	int argc;
	const char *argv[MAXARGS];
	size_t lens[MAXARGS];
	char arena[ARENA];
	size_t used;
	enum cmp how;
	int cleanup_key; /* key index to PERSIST afterwards, or -1 */
	unsigned wait_ms; /* before the PERSIST: let a short TTL pass */
	int probe; /* after the wait, a command on the expired key (probes[]) */
};

static char big_text[BIG_LEN], big_bin[BIG_LEN], big_digits[BIG_LEN];

static void cmd_reset(struct cmd *c)
{
	c->argc = 0;
	c->used = 0;
	c->how = CMP_EXACT;
	c->cleanup_key = -1;
	c->wait_ms = 0;
	c->probe = -1;
}

/* Add an argument that lives elsewhere (the big values). */
static void add_ref(struct cmd *c, const char *p, size_t len)
{
	if (c->argc == MAXARGS)
		abort();
	c->argv[c->argc] = p;
	c->lens[c->argc++] = len;
}

static void add_raw(struct cmd *c, const void *p, size_t len)
{
	if (c->used + len > ARENA)
		abort();
	memcpy(c->arena + c->used, p, len);
	add_ref(c, c->arena + c->used, len);
	c->used += len;
}

static void add_fmt(struct cmd *c, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	add_raw(c, tmp, (size_t)n);
}

/* The clock both servers' expire times are relative to. */
static long long real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Add one argument written in the escaped notation of the fixed list and
 * the value pools: "~s" space, "~0" NUL, "~r" CR, "~n" LF, "~t" TAB, "~f"
 * byte 0xff, "~~" a tilde, "~e" nothing (so "~e" alone is the empty
 * argument); and, as a whole argument, "~A" / "~B" / "~D" the 100 KB text,
 * binary and digits values, "~S" / "~M" a time 1000 s ahead in seconds /
 * milliseconds, "~P" / "~Q" 100 s ago, "~RN,text" the text N times.
 */
static void add_esc(struct cmd *c, const char *s, size_t n)
{
	char tmp[4096];
	size_t len = 0;

	if (n == 2 && s[0] == '~' && s[1] == 'A') {
		add_ref(c, big_text, BIG_LEN);
		return;
	}
	if (n == 2 && s[0] == '~' && s[1] == 'B') {
		add_ref(c, big_bin, BIG_LEN);
		return;
	}
	if (n == 2 && s[0] == '~' && s[1] == 'D') {
		add_ref(c, big_digits, BIG_LEN);
		return;
	}
	if (n == 2 && s[0] == '~' && (s[1] == 'S' || s[1] == 'M')) {
		long long ms = real_ms() + 1000000;

		add_fmt(c, "%lld", s[1] == 'S' ? ms / 1000 : ms);
		return;
	}
	if (n == 2 && s[0] == '~' && (s[1] == 'P' || s[1] == 'Q')) {
		long long ms = real_ms() - 100000;

		add_fmt(c, "%lld", s[1] == 'P' ? ms / 1000 : ms);
		return;
	}
	if (n > 2 && s[0] == '~' && s[1] == 'R') {
		char *e;
		unsigned long times = strtoul(s + 2, &e, 10);
		size_t tl = n - (size_t)(e + 1 - s);

		if (*e != ',' || times * tl > sizeof(tmp))
			abort();
		for (unsigned long i = 0; i < times; i++)
			memcpy(tmp + i * tl, e + 1, tl);
		add_raw(c, tmp, times * tl);
		return;
	}
	for (size_t i = 0; i < n && len < sizeof(tmp); i++) {
		if (s[i] != '~' || i + 1 == n) {
			tmp[len++] = s[i];
			continue;
		}
		switch (s[++i]) {
		case 's': tmp[len++] = ' '; break;
		case '0': tmp[len++] = '\0'; break;
		case 'r': tmp[len++] = '\r'; break;
		case 'n': tmp[len++] = '\n'; break;
		case 't': tmp[len++] = '\t'; break;
		case 'f': tmp[len++] = (char)0xff; break;
		case 'e': break;
		default: tmp[len++] = s[i]; break;
		}
	}
	add_raw(c, tmp, len);
}

static void add_str(struct cmd *c, const char *s)
{
	add_esc(c, s, strlen(s));
}

/* A command line of the fixed list: space-separated escaped arguments. */
static void parse_line(struct cmd *c, const char *line)
{
	cmd_reset(c);
	while (*line) {
		size_t n = strcspn(line, " ");

		if (n)
			add_esc(c, line, n);
		line += n;
		while (*line == ' ')
			line++;
	}
}

/* How a command's replies are compared, from its name. */
static enum cmp cmp_for(const struct cmd *c)
{
	const char *n = c->argv[0];
	size_t l = c->lens[0];

	if (l == 3 && !strncasecmp(n, "ttl", 3))
		return CMP_TTL;
	if (l == 4 && !strncasecmp(n, "pttl", 4))
		return CMP_PTTL;
	if (l == 4 && !strncasecmp(n, "keys", 4))
		return CMP_KEYS;
	if (l == 4 && !strncasecmp(n, "scan", 4))
		return CMP_SCAN;
	return CMP_EXACT;
}

/* ------------------------------------------------------- reply parsing */

struct item {
	const char *p;
	size_t len;
};

struct items {
	struct item *v;
	size_t n, cap;
};

static void items_add(struct items *it, const char *p, size_t len)
{
	if (it->n == it->cap) {
		it->cap = it->cap ? it->cap * 2 : 64;
		it->v = realloc(it->v, it->cap * sizeof(*it->v));
		if (!it->v)
			abort();
	}
	it->v[it->n].p = p;
	it->v[it->n++].len = len;
}

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int d = memcmp(x->p, y->p, n);

	if (d)
		return d;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* Sort and drop duplicates (SCAN may return a key twice). */
static void items_sort_unique(struct items *it)
{
	size_t w = 0;

	if (!it->n)
		return;
	qsort(it->v, it->n, sizeof(*it->v), item_cmp);
	for (size_t r = 1; r < it->n; r++)
		if (item_cmp(&it->v[w], &it->v[r]))
			it->v[++w] = it->v[r];
	it->n = w + 1;
}

static bool items_equal(const struct items *a, const struct items *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (item_cmp(&a->v[i], &b->v[i]))
			return false;
	return true;
}

/*
 * Parse "*N\r\n" followed by N bulk strings at *p, appending them to it
 * (pointing into the reply).  Advances *p.  false if it is not that.
 */
static bool parse_bulk_array(const char **p, const char *end, struct items *it)
{
	long long n;
	char *e;

	if (*p >= end || **p != '*')
		return false;
	n = strtoll(*p + 1, &e, 10);
	if (n < 0 || e + 2 > end)
		return false;
	*p = e + 2;
	for (long long i = 0; i < n; i++) {
		long long l;

		if (*p >= end || **p != '$')
			return false;
		l = strtoll(*p + 1, &e, 10);
		if (l < 0 || e + 2 + l + 2 > end)
			return false;
		items_add(it, e + 2, (size_t)l);
		*p = e + 2 + l + 2;
	}
	return true;
}

/* ":N\r\n" → *v. */
static bool parse_int(const struct buf *r, long long *v)
{
	char *e;

	if (r->len < 4 || r->p[0] != ':')
		return false;
	errno = 0;
	*v = strtoll(r->p + 1, &e, 10);
	return errno == 0 && e == r->p + r->len - 2;
}

/* --------------------------------------------------------------- a run */

struct diff {
	struct conn c[2]; /* redis-server, shmrepd */
	struct buf rep[2];
	uint64_t seed; /* 0: the fixed list */
	long cmdno;
	bool keepgoing;
	bool trace; /* print every command and Redis's reply */
	unsigned failures;
};

/* Print p[0, n) escaped, at most about 600 bytes of it. */
static void print_escaped(const char *p, size_t n)
{
	size_t shown = n > 600 ? 600 : n;

	for (size_t i = 0; i < shown; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '\r')
			fputs("\\r", stderr);
		else if (ch == '\n')
			fputs("\\n", stderr);
		else if (ch == '\\')
			fputs("\\\\", stderr);
		else if (ch == '"')
			fputs("\\\"", stderr);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(stderr, "\\x%02x", ch);
		else
			fputc(ch, stderr);
	}
	if (shown < n)
		fprintf(stderr, "...(%zu bytes)", n);
}

static void print_cmd(const struct cmd *c)
{
	for (int i = 0; i < c->argc; i++) {
		fputs(i ? " \"" : "\"", stderr);
		print_escaped(c->argv[i], c->lens[i]);
		fputc('"', stderr);
	}
}

/* Report a difference; false unless SHMREP_DIFF_KEEPGOING is set. */
static bool mismatch(struct diff *d, const struct cmd *c, const char *what,
		     const char *r0, size_t l0, const char *r1, size_t l1)
{
	d->failures++;
	if (d->seed)
		fprintf(stderr,
			"\nDIFF: SHMREP_SEED=%llu command #%ld (%s):\n  ",
			(unsigned long long)d->seed, d->cmdno, what);
	else
		fprintf(stderr, "\nDIFF: fixed list, command #%ld (%s):\n  ",
			d->cmdno, what);
	print_cmd(c);
	fputs("\n  redis:   \"", stderr);
	print_escaped(r0, l0);
	fputs("\"\n  shmrepd: \"", stderr);
	print_escaped(r1, l1);
	fputs("\"\n", stderr);
	return d->keepgoing;
}

/* Send c to both servers; false if either did not answer. */
static bool call_both(struct diff *d, const struct cmd *c)
{
	for (int i = 0; i < 2; i++) {
		struct conn *cn = &d->c[i];

		if (conn_call(cn, c->argc, c->argv, c->lens, &d->rep[i])) {
			d->failures++;
			fprintf(stderr,
				"\nDIFF: SHMREP_SEED=%llu command #%ld: no reply from %s to ",
				(unsigned long long)d->seed, d->cmdno, cn->who);
			print_cmd(c);
			fputc('\n', stderr);
			return false;
		}
	}
	return true;
}

static bool same_reply(const struct diff *d)
{
	return d->rep[0].len == d->rep[1].len &&
	       !memcmp(d->rep[0].p, d->rep[1].p, d->rep[0].len);
}

static bool is_error(const struct buf *r)
{
	return r->len && r->p[0] == '-';
}

/* Compare the last replies exactly. */
static bool check_exact(struct diff *d, const struct cmd *c)
{
	if (same_reply(d))
		return true;
	return mismatch(d, c, "reply", d->rep[0].p, d->rep[0].len, d->rep[1].p,
			d->rep[1].len);
}

static bool check_ttl(struct diff *d, const struct cmd *c, long long slack)
{
	long long a, b;

	if (same_reply(d))
		return true;
	if (parse_int(&d->rep[0], &a) && parse_int(&d->rep[1], &b) && a >= 0 &&
	    b >= 0 && llabs(a - b) <= slack)
		return true;
	return mismatch(d, c, "ttl", d->rep[0].p, d->rep[0].len, d->rep[1].p,
			d->rep[1].len);
}

static bool check_keys(struct diff *d, const struct cmd *c)
{
	struct items it[2] = { { 0 } };
	bool ok = true;

	if (same_reply(d))
		return true;
	for (int i = 0; i < 2 && ok; i++) {
		const char *p = d->rep[i].p;

		ok = parse_bulk_array(&p, d->rep[i].p + d->rep[i].len, &it[i]);
	}
	if (ok) {
		items_sort_unique(&it[0]);
		items_sort_unique(&it[1]);
		ok = items_equal(&it[0], &it[1]);
	}
	free(it[0].v);
	free(it[1].v);
	if (ok)
		return true;
	return mismatch(d, c, "keys, sorted", d->rep[0].p, d->rep[0].len,
			d->rep[1].p, d->rep[1].len);
}

/*
 * Iterate one server with c0's arguments (argv[1] is the cursor) from the
 * reply already in d->rep[i] to cursor 0, appending each key to store as
 * its length (a size_t) and its bytes.  false if a reply is not a SCAN
 * reply or the iteration does not end.
 */
static bool scan_all(struct diff *d, int i, const struct cmd *c0,
		     struct buf *store)
{
	struct cmd *c = malloc(sizeof(*c));
	bool ok = false;

	if (!c)
		abort();
	*c = *c0;
	/* The arena moved with the copy: re-point the arguments in it. */
	for (int a = 0; a < c->argc; a++)
		if (c0->argv[a] >= c0->arena && c0->argv[a] < c0->arena + ARENA)
			c->argv[a] = c->arena + (c0->argv[a] - c0->arena);
	for (int calls = 0; calls < SCAN_MAX_CALLS; calls++) {
		const struct buf *r = &d->rep[i];
		const char *p = r->p, *end = r->p + r->len, *cur;
		struct items it = { 0 };
		char *e;
		long long clen;

		if (r->len < 5 || memcmp(p, "*2\r\n$", 5))
			break;
		clen = strtoll(p + 5, &e, 10);
		if (clen <= 0 || clen > 30 || e + 2 + clen + 2 > end)
			break;
		cur = e + 2;
		p = cur + clen + 2;
		if (!parse_bulk_array(&p, end, &it) || p != end) {
			free(it.v);
			break;
		}
		for (size_t k = 0; k < it.n; k++) {
			buf_add(store, &it.v[k].len, sizeof(size_t));
			buf_add(store, it.v[k].p, it.v[k].len);
		}
		free(it.v);
		if (clen == 1 && cur[0] == '0') {
			ok = true;
			break;
		}
		if (c->used + (size_t)clen > ARENA)
			break;
		memcpy(c->arena + c->used, cur, (size_t)clen);
		c->argv[1] = c->arena + c->used;
		c->lens[1] = (size_t)clen;
		if (conn_call(&d->c[i], c->argc, c->argv, c->lens, &d->rep[i]))
			break;
	}
	free(c);
	return ok;
}

/* The keys scan_all() stored, as items pointing into store. */
static void stored_keys(const struct buf *store, struct items *keys)
{
	for (size_t off = 0; off < store->len;) {
		size_t len;

		memcpy(&len, store->p + off, sizeof(len));
		off += sizeof(len);
		items_add(keys, store->p + off, len);
		off += len;
	}
}

static bool check_scan(struct diff *d, const struct cmd *c)
{
	struct buf store[2] = { { 0 } };
	struct items keys[2] = { { 0 } };
	bool ok[2], res;

	if (is_error(&d->rep[0]) || is_error(&d->rep[1]))
		return check_exact(d, c);
	ok[0] = scan_all(d, 0, c, &store[0]);
	ok[1] = scan_all(d, 1, c, &store[1]);
	stored_keys(&store[0], &keys[0]);
	stored_keys(&store[1], &keys[1]);
	items_sort_unique(&keys[0]);
	items_sort_unique(&keys[1]);
	res = ok[0] && ok[1] && items_equal(&keys[0], &keys[1]);
	if (!res) {
		const char *what = ok[0] && ok[1] ? "scanned keys" : "scan reply";
		struct buf show[2] = { { 0 } };

		for (int i = 0; i < 2; i++) {
			if (!ok[i])
				buf_add(&show[i], d->rep[i].p, d->rep[i].len);
			for (size_t k = 0; ok[i] && k < keys[i].n; k++) {
				const struct item *key = &keys[i].v[k];

				buf_add(&show[i], key->p, key->len);
				buf_add(&show[i], ",", 1);
			}
		}
		res = mismatch(d, c, what, show[0].p ? show[0].p : "",
			       show[0].len, show[1].p ? show[1].p : "",
			       show[1].len);
		buf_free(&show[0]);
		buf_free(&show[1]);
	}
	for (int i = 0; i < 2; i++) {
		buf_free(&store[i]);
		free(keys[i].v);
	}
	return res;
}

static bool check(struct diff *d, const struct cmd *c)
{
	switch (c->how) {
	case CMP_TTL:
		return check_ttl(d, c, TTL_SLACK_S);
	case CMP_PTTL:
		return check_ttl(d, c, PTTL_SLACK_MS);
	case CMP_KEYS:
		if (is_error(&d->rep[0]) || is_error(&d->rep[1]))
			return check_exact(d, c);
		return check_keys(d, c);
	case CMP_SCAN:
		return check_scan(d, c);
	default:
		return check_exact(d, c);
	}
}

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
static void make_probe(struct cmd *p, int i, int k)
{
	const char *line = probes[i];

	cmd_reset(p);
	while (*line) {
		size_t n = strcspn(line, " ");

		if (n == 1 && line[0] == 'K')
			add_str(p, key_pool[k]);
		else
			add_esc(p, line, n);
		line += n;
		while (*line == ' ')
			line++;
	}
	p->how = cmp_for(p);
}

/* Run one command and its clean-up; false to stop the run. */
static bool run_cmd(struct diff *d, const struct cmd *c)
{
	struct cmd p;

	d->cmdno++;
	if (!call_both(d, c))
		return false;
	if (d->trace) {
		fprintf(stderr, "#%ld ", d->cmdno);
		print_cmd(c);
		fputs(" -> ", stderr);
		print_escaped(d->rep[0].p, d->rep[0].len);
		fputc('\n', stderr);
	}
	if (!check(d, c))
		return false;
	if (c->cleanup_key < 0)
		return true;
	if (c->wait_ms)
		tu_sleep_ms(c->wait_ms);
	if (c->probe >= 0) {
		make_probe(&p, c->probe, c->cleanup_key);
		if (!call_both(d, &p) || !check(d, &p)) {
			fputs("  (a probe of the key the command above gave a short TTL)\n  ",
			      stderr);
			print_cmd(c);
			fputc('\n', stderr);
			if (!d->keepgoing)
				return false;
		}
	}
	cmd_reset(&p);
	add_str(&p, "PERSIST");
	add_str(&p, key_pool[c->cleanup_key]);
	if (call_both(d, &p) && check_exact(d, &p))
		return true;
	fputs("  (the clean-up of a short or past TTL set by the command above)\n  ",
	      stderr);
	print_cmd(c);
	fputc('\n', stderr);
	return d->keepgoing;
}

/* Run a command given as a line of the fixed list. */
static bool run_line(struct diff *d, const char *line)
{
	struct cmd *c = malloc(sizeof(*c));
	bool ok;

	if (!c)
		abort();
	parse_line(c, line);
	c->how = cmp_for(c);
	ok = run_cmd(d, c);
	free(c);
	return ok;
}

/* Compare every db of both servers: keys, values and TTLs. */
static bool compare_datasets(struct diff *d)
{
	struct cmd *c = malloc(sizeof(*c));
	bool ok = true;

	if (!c)
		abort();
	for (int db = 0; db < NDBS && ok; db++) {
		struct items keys = { 0 };
		struct buf list = { 0 };
		const char *p;

		cmd_reset(c);
		add_str(c, "SELECT");
		add_fmt(c, "%d", db);
		ok = call_both(d, c) && check_exact(d, c);
		if (!ok)
			break;
		cmd_reset(c);
		add_str(c, "KEYS");
		add_str(c, "*");
		c->how = CMP_KEYS;
		ok = call_both(d, c) && check(d, c);
		if (!ok)
			break;
		/* Keep the list: the replies below overwrite d->rep. */
		buf_add(&list, d->rep[0].p, d->rep[0].len);
		p = list.p;
		if (!parse_bulk_array(&p, list.p + list.len, &keys))
			ok = mismatch(d, c, "keys reply", d->rep[0].p,
				      d->rep[0].len, "", 0);
		for (size_t k = 0; ok && k < keys.n; k++) {
			cmd_reset(c);
			add_str(c, "GET");
			add_ref(c, keys.v[k].p, keys.v[k].len);
			ok = call_both(d, c) && check_exact(d, c);
			if (!ok)
				break;
			c->argv[0] = "PTTL";
			c->lens[0] = 4;
			c->how = CMP_PTTL;
			ok = call_both(d, c) && check(d, c);
		}
		free(keys.v);
		buf_free(&list);
	}
	free(c);
	return ok;
}

/* ------------------------------------------------------------ generator */

struct gen {
	uint64_t rng;
	struct cmd *c;
};

static uint64_t rnd(struct gen *g, uint64_t n)
{
	return tu_rand(&g->rng) % n;
}

static bool chance(struct gen *g, unsigned pct)
{
	return rnd(g, 100) < pct;
}

#define PICK(g, a) ((a)[rnd((g), sizeof(a) / sizeof((a)[0]))])

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
	struct cmd *c = g->c;
	unsigned r = (unsigned)rnd(g, 1000);

	if (r < 200) {
		add_str(c, PICK(g, int_edges));
	} else if (r < 320) {
		add_fmt(c, "%lld", (long long)rnd(g, 2001) - 1000);
	} else if (r < 360) {
		add_fmt(c, "%lld", (long long)tu_rand(&g->rng));
	} else if (r < 450) {
		add_str(c, PICK(g, bad_ints));
	} else if (r < 580) {
		add_str(c, PICK(g, floats));
	} else if (r < 620) {
		double v = (double)(long long)tu_rand(&g->rng);

		add_fmt(c, "%.*g", (int)rnd(g, 17) + 1,
			v / (double)(1ull << rnd(g, 64)));
	} else if (r < 800) {
		add_fmt(c, "v%llu", (unsigned long long)rnd(g, 1000));
	} else if (r < 930) {
		static const char alpha[] = {
			'\0', '\r', '\n', ' ', 'a', 'z', '0', '9', '~', '*',
			'?', '[', '\\', (char)0xff, (char)0x80, '-', '.',
		};
		char tmp[48];
		size_t n = (size_t)rnd(g, sizeof(tmp));

		for (size_t i = 0; i < n; i++)
			tmp[i] = chance(g, 60) ? alpha[rnd(g, sizeof(alpha))]
					       : (char)rnd(g, 256);
		add_raw(c, tmp, n);
	} else if (r < 980) {
		add_raw(c, "", 0);
	} else if (r < 988) {
		add_ref(c, big_text, BIG_LEN);
	} else if (r < 994) {
		add_ref(c, big_bin, BIG_LEN);
	} else {
		add_ref(c, big_digits, rnd(g, 2) ? BIG_LEN : 21 + rnd(g, 10));
	}
}

static int gen_key(struct gen *g)
{
	int k = (int)rnd(g, NKEYS);

	add_str(g->c, key_pool[k]);
	return k;
}

/* A command or option name in a random case: lower, upper or mixed. */
static void gen_word(struct gen *g, const char *w)
{
	char tmp[64];
	size_t n = strlen(w);
	unsigned mode = (unsigned)rnd(g, 3);

	for (size_t i = 0; i < n; i++) {
		bool up = mode == 1 || (mode == 2 && chance(g, 50));
		char ch = w[i];

		if (up && ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 32);
		else if (!up && ch >= 'A' && ch <= 'Z')
			ch = (char)(ch + 32);
		tmp[i] = ch;
	}
	add_raw(g->c, tmp, n);
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
	struct cmd *c = g->c;
	unsigned r = (unsigned)rnd(g, 100);
	long long now = real_ms();
	bool ms = kind == TTL_MS || kind == TTL_AT_MS;
	bool at = kind == TTL_AT_S || kind == TTL_AT_MS;
	long long ahead = 1000000 + (long long)rnd(g, 100000000); /* ms */

	if (r < 55) {
		long long v = at ? now + ahead : ahead;

		add_fmt(c, "%lld", ms ? v : v / 1000);
		return;
	}
	c->cleanup_key = k;
	if (r < 65 && ms) {
		/* Gone 1 to 3 ms from now. */
		add_fmt(c, "%lld", (at ? now : 0) + 1 + (long long)rnd(g, 3));
		c->wait_ms = SHORT_TTL_WAIT_MS;
		if (chance(g, 70))
			c->probe = (int)rnd(g, NPROBES);
	} else if (r < 72) {
		static const char *const small[] = { "0", "-1", "-100", "~e" };

		add_str(c, PICK(g, small));
	} else if (r < 80) {
		long long v = at ? now - (long long)rnd(g, 100000000) : 0;

		add_fmt(c, "%lld", ms ? v : v / 1000);
	} else if (r < 90) {
		add_str(c, PICK(g, ttl_edges));
	} else {
		add_str(c, PICK(g, bad_ints));
	}
}

static void gen_set(struct gen *g)
{
	static const char *const junk[] = { "FOO", "EXX", "NXX", "~e", "nx~0",
					    "PERSIST", "KEEP", "EXPIRE" };
	int k, nopt = (int)rnd(g, 5);

	gen_word(g, "set");
	k = gen_key(g);
	gen_value(g);
	for (int i = 0; i < nopt; i++) {
		unsigned r = (unsigned)rnd(g, 100);

		if (r < 15)
			gen_word(g, "NX");
		else if (r < 30)
			gen_word(g, "XX");
		else if (r < 45)
			gen_word(g, "GET");
		else if (r < 55)
			gen_word(g, "KEEPTTL");
		else if (r < 92) {
			int which = (int)rnd(g, 4);

			gen_word(g, expire_words[which]);
			if (i < nopt - 1 || !chance(g, 10))
				gen_ttl(g, (enum ttl_kind)which, k);
		} else {
			add_str(g->c, PICK(g, junk));
		}
	}
}

static void gen_getex(struct gen *g)
{
	int k, nopt = (int)rnd(g, 4);

	gen_word(g, "getex");
	k = gen_key(g);
	for (int i = 0; i < nopt; i++) {
		unsigned r = (unsigned)rnd(g, 100);

		if (r < 70) {
			int which = (int)rnd(g, 4);

			gen_word(g, expire_words[which]);
			if (i < nopt - 1 || !chance(g, 10))
				gen_ttl(g, (enum ttl_kind)which, k);
		} else if (r < 85) {
			gen_word(g, "PERSIST");
		} else {
			static const char *const junk[] = {
				"NX", "XX", "KEEPTTL", "GET", "FOO", "~e",
			};

			add_str(g->c, PICK(g, junk));
		}
	}
}

static void gen_expire(struct gen *g, const char *name, enum ttl_kind kind)
{
	static const char *const opts[] = { "NX", "XX", "GT", "LT" };
	int k, nopt = chance(g, 50) ? 0 : (int)rnd(g, 4);

	gen_word(g, name);
	k = gen_key(g);
	gen_ttl(g, kind, k);
	for (int i = 0; i < nopt; i++) {
		if (chance(g, 92)) {
			gen_word(g, PICK(g, opts));
		} else {
			static const char *const junk[] = { "FOO", "~e", "nx~0",
							    "GTE" };

			add_str(g->c, PICK(g, junk));
		}
	}
}

static void gen_keys_n(struct gen *g, const char *name, int min, int max)
{
	int n = min + (int)rnd(g, (uint64_t)(max - min + 1));

	gen_word(g, name);
	for (int i = 0; i < n; i++)
		gen_key(g);
}

static void gen_key_value(struct gen *g, const char *name)
{
	gen_word(g, name);
	gen_key(g);
	gen_value(g);
}

static void gen_key_only(struct gen *g, const char *name)
{
	gen_word(g, name);
	gen_key(g);
}

static void gen_index(struct gen *g)
{
	static const char *const idx[] = {
		"0", "1", "2", "3", "5", "10", "100", "-1", "-2", "-3", "-5",
		"-10", "-100", "9223372036854775807", "-9223372036854775808",
		"abc", "1.0", "~e", "2147483648", "-2147483649",
	};

	if (chance(g, 60))
		add_fmt(g->c, "%lld", (long long)rnd(g, 41) - 20);
	else
		add_str(g->c, PICK(g, idx));
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
	int nopt = (int)rnd(g, 4);

	gen_word(g, "scan");
	if (chance(g, 85))
		add_str(g->c, "0");
	else
		add_str(g->c, PICK(g, cursors));
	for (int i = 0; i < nopt; i++) {
		unsigned r = (unsigned)rnd(g, 100);
		bool last = i == nopt - 1;

		if (r < 35) {
			gen_word(g, "MATCH");
			if (!last || chance(g, 90))
				add_str(g->c, PICK(g, patterns));
		} else if (r < 70) {
			gen_word(g, "COUNT");
			if (!last || chance(g, 90))
				add_str(g->c, PICK(g, counts));
		} else if (r < 92) {
			gen_word(g, "TYPE");
			if (!last || chance(g, 90))
				add_str(g->c, PICK(g, types));
		} else {
			static const char *const junk[] = {
				"FOO", "~e", "count~0",
			};

			add_str(g->c, PICK(g, junk));
		}
	}
}

static void gen_unknown(struct gen *g)
{
	static const char *const names[] = {
		"FOO", "GETT", "SETT", "~e", "x~0y", "get~s", "get~0", "~r~n",
		"incrbyfloatx", "scanx", "a~r~nb",
	};
	int nargs = (int)rnd(g, 4);

	if (chance(g, 10)) {
		char name[200];

		memset(name, 'a' + (int)rnd(g, 26), sizeof(name));
		add_raw(g->c, name, sizeof(name));
	} else {
		add_str(g->c, PICK(g, names));
	}
	for (int i = 0; i < nargs; i++) {
		if (chance(g, 10)) {
			char arg[150];

			memset(arg, 'b', sizeof(arg));
			add_raw(g->c, arg, sizeof(arg));
		} else {
			gen_value(g);
		}
	}
}

/* Fill g->c with one random command. */
static void gen_cmd(struct gen *g)
{
	struct cmd *c = g->c;
	unsigned r = (unsigned)rnd(g, 1000);

	cmd_reset(c);
	if (r < 15) {
		gen_word(g, "ping");
		for (int i = (int)rnd(g, 3) - (int)rnd(g, 2); i > 0; i--)
			gen_value(g);
	} else if (r < 30) {
		gen_word(g, "echo");
		gen_value(g);
		if (chance(g, 10))
			gen_value(g);
	} else if (r < 60) {
		static const char *const bad[] = {
			"15", "16", "-1", "abc", "1.0", "~s1", "01",
			"4294967296", "2147483648", "-2147483649",
			"9223372036854775807", "~e", "2147483647",
			"-2147483648", "1~0", "+1",
		};

		gen_word(g, "select");
		if (chance(g, 85))
			add_fmt(c, "%d", (int)rnd(g, NDBS_USED));
		else
			add_str(c, PICK(g, bad));
	} else if (r < 120) {
		gen_key_only(g, "get");
	} else if (r < 220) {
		gen_set(g);
	} else if (r < 235) {
		gen_key_value(g, "setnx");
	} else if (r < 255) {
		int k;

		gen_word(g, "setex");
		k = gen_key(g);
		gen_ttl(g, TTL_S, k);
		gen_value(g);
	} else if (r < 275) {
		int k;

		gen_word(g, "psetex");
		k = gen_key(g);
		gen_ttl(g, TTL_MS, k);
		gen_value(g);
	} else if (r < 295) {
		gen_keys_n(g, "mget", 1, 6);
	} else if (r < 330) {
		int n = 1 + (int)rnd(g, 4);

		gen_word(g, chance(g, 50) ? "mset" : "msetnx");
		for (int i = 0; i < n; i++) {
			gen_key(g);
			if (i < n - 1 || chance(g, 90))
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
		gen_key_only(g, chance(g, 50) ? "incr" : "decr");
	} else if (r < 570) {
		gen_word(g, chance(g, 50) ? "incrby" : "decrby");
		gen_key(g);
		if (chance(g, 60))
			add_str(c, PICK(g, int_edges));
		else if (chance(g, 50))
			add_str(c, PICK(g, bad_ints));
		else
			gen_value(g);
	} else if (r < 610) {
		gen_word(g, "incrbyfloat");
		gen_key(g);
		if (chance(g, 60))
			add_str(c, PICK(g, floats));
		else if (chance(g, 50))
			add_str(c, PICK(g, int_edges));
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
		if (chance(g, 40))
			add_fmt(c, "%d", (int)rnd(g, 40));
		else
			add_str(c, PICK(g, offs));
		/* A valid offset near 512 MB would make both servers build
		 * a 512 MB string: keep those with an empty value. */
		if (c->lens[2] == 9 && !memcmp(c->argv[2], "53687091", 8))
			add_raw(c, "", 0);
		else if (chance(g, 15))
			add_raw(c, "", 0);
		else
			gen_value(g);
	} else if (r < 735) {
		gen_key_only(g, "getdel");
	} else if (r < 770) {
		gen_getex(g);
	} else if (r < 790) {
		gen_key_value(g, "getset");
	} else if (r < 815) {
		gen_word(g, chance(g, 50) ? "rename" : "renamenx");
		gen_key(g);
		gen_key(g);
	} else if (r < 830) {
		gen_word(g, "dbsize");
	} else if (r < 860) {
		gen_word(g, "keys");
		add_str(c, PICK(g, patterns));
	} else if (r < 920) {
		gen_scan(g);
	} else if (r < 924) {
		static const char *const how[] = { "ASYNC", "SYNC", "async",
						   "FOO", "~e" };

		/* Rare: each one wipes most of what the run has built. */
		gen_word(g, chance(g, 60) ? "flushdb" : "flushall");
		if (chance(g, 40))
			add_str(c, PICK(g, how));
		if (chance(g, 10))
			add_str(c, PICK(g, how));
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
		int n = (int)rnd(g, 6);

		gen_word(g, PICK(g, names));
		for (int i = 0; i < n; i++)
			gen_key(g);
		/* Arity errors only: do not actually flush or scan. */
		if ((c->lens[0] == 7 || c->lens[0] == 8) &&
		    !strncasecmp(c->argv[0], "flush", 5) && n == 0)
			add_str(c, "FOO");
	}
}

/* One seeded run of ncmds commands from an empty dataset in db 0. */
static bool run_random(struct diff *d, uint64_t seed, long ncmds)
{
	struct gen g = { .rng = seed, .c = malloc(sizeof(struct cmd)) };
	bool ok = true;

	if (!g.c)
		abort();
	d->seed = seed;
	d->cmdno = 0;
	ok = run_line(d, "FLUSHALL") && run_line(d, "SELECT 0");
	while (ok && d->cmdno < ncmds) {
		gen_cmd(&g);
		g.c->how = cmp_for(g.c);
		ok = run_cmd(d, g.c);
	}
	if (ok)
		ok = compare_datasets(d);
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
	"EXPIRE e 100 LT GT", "EXPIRE e 100 NX GT", "EXPIRE e 100 XX GT",
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

static void fill_big(void)
{
	uint64_t s = 42;

	for (size_t i = 0; i < BIG_LEN; i++) {
		big_text[i] = (char)('a' + i % 26);
		big_bin[i] = (char)tu_rand(&s);
		big_digits[i] = (char)('1' + i % 9);
	}
}

static bool env_flag(const char *name)
{
	const char *e = getenv(name);

	return e && *e && strcmp(e, "0");
}

static long env_long(const char *name, long dflt)
{
	const char *e = getenv(name);

	return e && *e ? strtol(e, NULL, 0) : dflt;
}

/* Start both servers and connect; false (all stopped) on failure. */
static bool start_pair(struct tu_daemon *r, struct tu_daemon *s, struct diff *d)
{
	memset(d, 0, sizeof(*d));
	d->keepgoing = env_flag("SHMREP_DIFF_KEEPGOING");
	d->trace = env_flag("SHMREP_DIFF_TRACE");
	d->c[0].who = "redis-server";
	d->c[1].who = "shmrepd";
	d->c[0].fd = d->c[1].fd = -1;
	if (tu_redis_start(r, "diffr")) {
		fprintf(stderr, "redis-server did not start\n");
		return false;
	}
	if (tu_daemon_start(s, "diff", NULL)) {
		tu_daemon_stop(r);
		return false;
	}
	d->c[0].fd = tu_connect(r->sock);
	d->c[1].fd = tu_connect(s->sock);
	if (d->c[0].fd >= 0 && d->c[1].fd >= 0)
		return true;
	fprintf(stderr, "cannot connect to the servers\n");
	return false;
}

/* Close, stop both servers (their files go at exit); false if shmrepd
 * did not exit cleanly. */
static bool stop_pair(struct tu_daemon *r, struct tu_daemon *s, struct diff *d)
{
	int rc;

	for (int i = 0; i < 2; i++) {
		if (d->c[i].fd >= 0)
			close(d->c[i].fd);
		buf_free(&d->c[i].in);
		buf_free(&d->c[i].req);
		buf_free(&d->rep[i]);
	}
	if (tu_daemon_stop(r) != 0)
		tu_daemon_kill(r);
	rc = tu_daemon_stop(s);
	if (rc != 0) {
		tu_daemon_kill(s);
		fprintf(stderr, "shmrepd exit status %d\n", rc);
	}
	return rc == 0;
}

static bool have_redis(void)
{
	if (access("/usr/bin/redis-server", X_OK) == 0)
		return true;
	fprintf(stderr, "redis-server not installed: skipped\n");
	return false;
}

static void test_fixed_list(void)
{
	struct tu_daemon r, s;
	struct diff d;
	bool ok = false;

	if (!have_redis())
		return;
	if (start_pair(&r, &s, &d)) {
		ok = true;
		for (int i = 0; fixed[i] && (ok || d.keepgoing); i++)
			ok = run_line(&d, fixed[i]) && ok;
		if (ok || d.keepgoing)
			ok = compare_datasets(&d) && ok;
		ok = ok && !d.failures;
	}
	ok = stop_pair(&r, &s, &d) && ok;
	CU_ASSERT(ok);
}

static void test_random_runs(void)
{
	long runs = env_long("SHMREP_DIFF_RUNS", DEFAULT_RUNS);
	long ncmds = env_long("SHMREP_DIFF_CMDS", DEFAULT_CMDS);
	uint64_t seed = tu_seed();
	struct tu_daemon r, s;
	struct diff d;
	bool ok = false;

	if (!have_redis())
		return;
	if (start_pair(&r, &s, &d)) {
		uint64_t t0 = tu_now_ms();

		ok = true;
		for (long i = 0; i < runs && (ok || d.keepgoing); i++)
			ok = run_random(&d, seed + (uint64_t)i, ncmds) && ok;
		ok = ok && !d.failures;
		fprintf(stderr,
			"%ld runs of %ld commands from SHMREP_SEED=%llu: %s, %llu ms\n",
			runs, ncmds, (unsigned long long)seed,
			ok ? "no difference" : "DIFFERENT",
			(unsigned long long)(tu_now_ms() - t0));
	}
	ok = stop_pair(&r, &s, &d) && ok;
	CU_ASSERT(ok);
}

static CU_TestInfo tests[] = {
	{ "fixed_list", test_fixed_list },
	{ "random_runs", test_random_runs },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = { { "diff", tests }, { NULL, NULL } };

	fill_big();
	return tu_main(argc, argv, suites);
}
