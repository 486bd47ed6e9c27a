/*
 * config.c - shmrepd's configuration, read the way redis-server reads its
 * own (Redis 7.0: config.c loadServerConfigFromString and loadServerConfig,
 * sds.c sdssplitargs, util.c memtoull and string2ll, server.c main).
 *
 * Every directive is one row of a table: its name, its kind (yes/no,
 * integer, memory size, octal mode, enumeration, string, or a function of
 * its own), where it lives in struct config, its bounds, and whether it can
 * change at runtime.  Parsing, the error messages, config_dump() and the
 * comparison that config_reload() makes all come from that row, so a new
 * directive is one line and cannot be parsed one way and dumped another.
 *
 * Text is applied line by line to the struct; there is no intermediate
 * representation.  Redis exits on the first bad line; we return its report
 * instead, and the caller decides.  Reload never touches the live struct
 * until a complete fresh one has loaded without error.
 *
 * Where Redis is looser than it should be we are stricter, and say so:
 * memory sizes that overflow 64 bits and arguments holding a NUL byte are
 * errors, include nesting is bounded, and a config file that opens but
 * cannot be read (a directory) is an error instead of an empty file.
 */
#include <bsd/string.h>
#include <ctype.h>
#include <errno.h>
#include <dirent.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "shmrep.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define VERSION                                                          \
	STR(SHMREP_VERSION_MAJOR) "." STR(SHMREP_VERSION_MINOR) "."      \
		STR(SHMREP_VERSION_PATCH)

#define FATAL_BANNER "\n*** FATAL CONFIG FILE ERROR (shmrep " VERSION ") ***\n"
#define INCLUDE_DEPTH_MAX 16

/* ------------------------------------------------------------- memory */

static void *xrealloc(void *p, size_t n, size_t size)
{
	void *q = reallocarray(p, n ? n : 1, size ? size : 1);

	if (!q) {
		/* Like Redis's zmalloc: a daemon that cannot allocate a few
		 * bytes of configuration cannot run either. */
		fprintf(stderr, "shmrepd: out of process memory\n");
		abort();
	}
	return q;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xrealloc(NULL, n, 1), s, n);
}

/* A growable string; p is NUL-terminated once anything was added. */
struct sbuf {
	char *p;
	size_t len;
	size_t cap;
};

static void sb_catlen(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = xrealloc(b->p, cap, 1);
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_cat(struct sbuf *b, const char *s)
{
	sb_catlen(b, s, strlen(s));
}

static void sb_catc(struct sbuf *b, char c)
{
	sb_catlen(b, &c, 1);
}

__attribute__((format(printf, 2, 3)))
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char small[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		sb_catlen(b, small, (size_t)n);
		return;
	}
	sb_catlen(b, "", 0);
	if (b->len + (size_t)n + 1 > b->cap) {
		b->p = xrealloc(b->p, b->len + (size_t)n + 1, 1);
		b->cap = b->len + (size_t)n + 1;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* The string, "" if nothing was added; the caller frees it. */
static char *sb_take(struct sbuf *b)
{
	char *p = b->p ? b->p : xstrdup("");

	memset(b, 0, sizeof(*b));
	return p;
}

/* s quoted and escaped as sdscatrepr() does, so split_args() reads it back. */
static void sb_catrepr(struct sbuf *b, const char *s)
{
	sb_catc(b, '"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		switch (ch) {
		case '\\':
		case '"':
			sb_catc(b, '\\');
			sb_catc(b, (char)ch);
			break;
		case '\n': sb_cat(b, "\\n"); break;
		case '\r': sb_cat(b, "\\r"); break;
		case '\t': sb_cat(b, "\\t"); break;
		case '\a': sb_cat(b, "\\a"); break;
		case '\b': sb_cat(b, "\\b"); break;
		default:
			if (isprint(ch))
				sb_catc(b, (char)ch);
			else
				sb_printf(b, "\\x%02x", ch);
		}
	}
	sb_catc(b, '"');
}

/* s as one config argument: bare when that reads back the same. */
static void sb_catarg(struct sbuf *b, const char *s)
{
	bool quote = !*s;

	for (const char *p = s; *p && !quote; p++) {
		unsigned char ch = (unsigned char)*p;

		quote = !isprint(ch) || isspace(ch) || ch == '"' ||
			ch == '\'' || ch == '\\';
	}
	if (quote)
		sb_catrepr(b, s);
	else
		sb_cat(b, s);
}

/* ------------------------------------------------------ splitting args */

struct args {
	int argc;
	char **argv;
	size_t *len; /* bytes in argv[i], which may hold a NUL from \x00 */
};

static void args_free(struct args *a)
{
	for (int i = 0; i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
	free(a->len);
	memset(a, 0, sizeof(*a));
}

static void args_push(struct args *a, struct sbuf *cur)
{
	size_t len = cur->len;

	a->argv = xrealloc(a->argv, (size_t)a->argc + 1, sizeof(*a->argv));
	a->len = xrealloc(a->len, (size_t)a->argc + 1, sizeof(*a->len));
	a->argv[a->argc] = sb_take(cur);
	a->len[a->argc] = len;
	a->argc++;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c - 'A' + 10;
}

static bool blank(char c)
{
	return isspace((unsigned char)c);
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/*
 * Split line into arguments exactly as Redis's sdssplitargs(): blanks
 * separate, "double quotes" take \n \r \t \b \a \xHH and \<any>, 'single
 * quotes' take \', and a closing quote must be followed by a blank or the
 * end.  Returns 0, or -1 (a is empty) for unbalanced quotes.
 */
static int split_args(const char *line, struct args *a)
{
	const char *p = line;
	struct sbuf cur = { 0 };

	memset(a, 0, sizeof(*a));
	for (;;) {
		bool inq = false, insq = false, done = false;

		while (*p && blank(*p))
			p++;
		if (!*p)
			return 0;
		sb_catlen(&cur, "", 0);
		while (!done) {
			if (inq) {
				if (p[0] == '\\' && p[1] == 'x' &&
				    is_hex(p[2]) && is_hex(p[3])) {
					int v = hex_value(p[2]) * 16 +
						hex_value(p[3]);

					sb_catc(&cur, (char)v);
					p += 3;
				} else if (p[0] == '\\' && p[1]) {
					char c;

					p++;
					switch (*p) {
					case 'n': c = '\n'; break;
					case 'r': c = '\r'; break;
					case 't': c = '\t'; break;
					case 'b': c = '\b'; break;
					case 'a': c = '\a'; break;
					default: c = *p; break;
					}
					sb_catc(&cur, c);
				} else if (*p == '"') {
					if (p[1] && !blank(p[1]))
						goto unbalanced;
					done = true;
				} else if (!*p) {
					goto unbalanced;
				} else {
					sb_catc(&cur, *p);
				}
			} else if (insq) {
				if (p[0] == '\\' && p[1] == '\'') {
					p++;
					sb_catc(&cur, '\'');
				} else if (*p == '\'') {
					if (p[1] && !blank(p[1]))
						goto unbalanced;
					done = true;
				} else if (!*p) {
					goto unbalanced;
				} else {
					sb_catc(&cur, *p);
				}
			} else {
				switch (*p) {
				case ' ':
				case '\n':
				case '\r':
				case '\t':
				case '\0':
					done = true;
					break;
				case '"':
					inq = true;
					break;
				case '\'':
					insq = true;
					break;
				default:
					sb_catc(&cur, *p);
					break;
				}
			}
			if (*p)
				p++;
		}
		args_push(a, &cur);
	}

unbalanced:
	free(cur.p);
	args_free(a);
	return -1;
}

/* ------------------------------------------------------ value parsing */

/* Redis's yesnotoi(): 1, 0, or -1. */
static int yesno(const char *s)
{
	if (!strcasecmp(s, "yes"))
		return 1;
	if (!strcasecmp(s, "no"))
		return 0;
	return -1;
}

/*
 * Redis's string2ll(): a decimal long long with no sign but '-', no blanks,
 * no leading zeros ("0" itself excepted, "-0" refused), no overflow.
 */
static bool parse_ll(const char *s, long long *out)
{
	size_t len = strlen(s), i = 0;
	unsigned long long v;
	bool neg = false;

	if (len == 0 || len >= 21)
		return false;
	if (len == 1 && s[0] == '0') {
		*out = 0;
		return true;
	}
	if (s[0] == '-') {
		neg = true;
		if (++i == len)
			return false;
	}
	if (s[i] < '1' || s[i] > '9')
		return false;
	v = (unsigned long long)(s[i++] - '0');
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > ULLONG_MAX / 10 || v * 10 > ULLONG_MAX - d)
			return false;
		v = v * 10 + d;
	}
	if (i < len)
		return false;
	if (neg) {
		if (v > (unsigned long long)LLONG_MAX + 1)
			return false;
		*out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN
							      : -(long long)v;
	} else {
		if (v > LLONG_MAX)
			return false;
		*out = (long long)v;
	}
	return true;
}

/*
 * Redis's memtoull(): digits, then nothing, "b", "k" (1000), "kb" (1024),
 * "m", "mb", "g" or "gb", in any case.  As in Redis, no digits at all
 * reads as 0 ("kb" is 0).  Unlike Redis, a value past 2^64 - 1 is refused
 * instead of wrapping around to some small size.
 */
static bool parse_mem(const char *s, unsigned long long *out)
{
	static const struct {
		const char *unit;
		unsigned long long mul;
	} units[] = {
		{ "", 1 }, { "b", 1 }, { "k", 1000 }, { "kb", 1024 },
		{ "m", 1000 * 1000 }, { "mb", 1024 * 1024 },
		{ "g", 1000ull * 1000 * 1000 }, { "gb", 1024ull * 1024 * 1024 },
	};
	unsigned long long v = 0, mul = 0;
	const char *u = s;

	if (*s == '-')
		return false;
	while (*u && isdigit((unsigned char)*u))
		u++;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcasecmp(u, units[i].unit)) {
			mul = units[i].mul;
			break;
		}
	}
	if (!mul || u - s >= 128)
		return false;
	for (const char *p = s; p < u; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > ULLONG_MAX / 10 || v * 10 > ULLONG_MAX - d)
			return false;
		v = v * 10 + d;
	}
	if (v > ULLONG_MAX / mul)
		return false;
	*out = v * mul;
	return true;
}

/* Redis's octal configs: strtoll(s, 8) with nothing left over. */
static bool parse_octal(const char *s, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 8);
	return errno == 0 && *end == '\0';
}

/* Bytes as Redis's CONFIG REWRITE writes them: 1gb, 512mb, 4kb or 123. */
static void sb_catmem(struct sbuf *b, unsigned long long v)
{
	if (v && v % (1ull << 30) == 0)
		sb_printf(b, "%llugb", v >> 30);
	else if (v && v % (1ull << 20) == 0)
		sb_printf(b, "%llumb", v >> 20);
	else if (v && v % (1ull << 10) == 0)
		sb_printf(b, "%llukb", v >> 10);
	else
		sb_printf(b, "%llu", v);
}

/* ------------------------------------------------------ the directives */

/* Why a directive's arguments were refused: a constant or a formatted text. */
struct reason {
	const char *msg;
	char buf[192];
};

static int fail(struct reason *r, const char *msg)
{
	r->msg = msg;
	return -1;
}

__attribute__((format(printf, 2, 3)))
static int failf(struct reason *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->buf, sizeof(r->buf), fmt, ap);
	va_end(ap);
	r->msg = r->buf;
	return -1;
}

enum kind { K_BOOL, K_INT, K_MEM, K_OCTAL, K_ENUM, K_STR, K_SPECIAL };
enum width { W_INT, W_UINT, W_U64 };

#define D_RUNTIME 1u /* config_reload() applies it to the running daemon */
#define D_MULTI 2u /* any number of arguments; the setter checks */
#define D_EMPTY_NULL 4u /* string: "" is stored as NULL */
#define D_PAGES 8u /* memory: rounded up to CONFIG_SIZE_ALIGN */

struct enum_name {
	const char *name;
	int value;
};

struct directive {
	const char *name;
	const char *alias;
	unsigned flags;
	enum kind kind;
	size_t off; /* of the field in struct config */
	enum width width; /* K_INT, K_MEM, K_OCTAL */
	long long lo, hi; /* inclusive bounds, K_INT, K_MEM, K_OCTAL */
	const struct enum_name *enums; /* K_ENUM, NULL-terminated */
	/* K_SPECIAL: set applies the arguments after the name (0 or -1 and
	 * why); fmt appends the value as config text. */
	int (*set)(struct config *c, int argc, char **argv, struct reason *r);
	void (*fmt)(const struct config *c, struct sbuf *out);
};

static const struct enum_name mode_enum[] = {
	{ "rcu", CFG_MODE_RCU }, { "mutex", CFG_MODE_MUTEX }, { NULL, 0 },
};

static const struct enum_name loglevel_enum[] = {
	{ "debug", LL_DEBUG }, { "verbose", LL_VERBOSE },
	{ "notice", LL_NOTICE }, { "warning", LL_WARNING },
	{ "nothing", LL_NOTHING }, { NULL, 0 },
};

static bool name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONFIG_NAME_MAX || s[0] == '.')
		return false;
	for (; *s; s++) {
		char ch = *s;

		if (!(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
		    !(ch >= '0' && ch <= '9') && ch != '.' && ch != '_' &&
		    ch != '-')
			return false;
	}
	return true;
}

static int set_name(struct config *c, int argc, char **argv,
		    struct reason *r)
{
	(void)argc;
	if (!name_valid(argv[0]))
		return fail(r, "name must be 1 to 64 characters from A-Z a-z 0-9 . _ - and must not start with '.'");
	strlcpy(c->name, argv[0], sizeof(c->name));
	return 0;
}

static void fmt_name(const struct config *c, struct sbuf *out)
{
	sb_catarg(out, c->name);
}

static int set_unixsocket(struct config *c, int argc, char **argv,
			  struct reason *r)
{
	(void)argc;
	if (!argv[0][0])
		return fail(r, "unixsocket can't be empty");
	if (strlen(argv[0]) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return failf(r, "unixsocket path is too long (at most %zu bytes)",
			     sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	free(c->unixsocket);
	c->unixsocket = xstrdup(argv[0]);
	c->unixsocket_auto = false;
	return 0;
}

static void fmt_unixsocket(const struct config *c, struct sbuf *out)
{
	sb_catarg(out, c->unixsocket ? c->unixsocket : "");
}

static void bind_clear(struct config *c)
{
	for (int i = 0; i < c->nbind; i++)
		free(c->bind[i]);
	free(c->bind);
	c->bind = NULL;
	c->nbind = 0;
}

/* As Redis: at most 16 addresses; one "" (or none) means no address. */
static int set_bind(struct config *c, int argc, char **argv,
		    struct reason *r)
{
	if (argc > CONFIG_BIND_MAX)
		return fail(r, "Too many bind addresses specified.");
	if (argc == 1 && !argv[0][0])
		argc = 0;
	bind_clear(c);
	c->bind = xrealloc(NULL, (size_t)argc, sizeof(*c->bind));
	for (int i = 0; i < argc; i++)
		c->bind[i] = xstrdup(argv[i]);
	c->nbind = argc;
	return 0;
}

static void fmt_bind(const struct config *c, struct sbuf *out)
{
	if (!c->nbind)
		sb_cat(out, "\"\"");
	for (int i = 0; i < c->nbind; i++) {
		if (i)
			sb_catc(out, ' ');
		sb_catarg(out, c->bind[i]);
	}
}

/* "replicaof <host> <port>" or "replicaof no one", as Redis parses it. */
static int set_replicaof(struct config *c, int argc, char **argv,
			 struct reason *r)
{
	char *end;
	long port;

	if (argc != 2)
		return fail(r, "wrong number of arguments");
	free(c->replicaof_host);
	c->replicaof_host = NULL;
	c->replicaof_port = 0;
	if (!strcasecmp(argv[0], "no") && !strcasecmp(argv[1], "one"))
		return 0;
	port = strtol(argv[1], &end, 10);
	if (port < 0 || port > 65535 || *end != '\0')
		return fail(r, "Invalid master port");
	c->replicaof_host = xstrdup(argv[0]);
	c->replicaof_port = (int)port;
	return 0;
}

static void fmt_replicaof(const struct config *c, struct sbuf *out)
{
	if (!c->replicaof_host) {
		sb_cat(out, "no one");
		return;
	}
	sb_catarg(out, c->replicaof_host);
	sb_printf(out, " %d", c->replicaof_port);
}

#define OFF(f) offsetof(struct config, f)
#define NUM(n, fl, k, f, w, l, h)                                          \
	{ .name = (n), .flags = (fl), .kind = (k), .off = OFF(f),          \
	  .width = (w), .lo = (l), .hi = (h) }
#define SIMPLE(n, fl, k, f)                                                \
	{ .name = (n), .flags = (fl), .kind = (k), .off = OFF(f) }
#define ENUM(n, fl, f, e)                                                  \
	{ .name = (n), .flags = (fl), .kind = K_ENUM, .off = OFF(f),       \
	  .enums = (e) }
#define SPECIAL(n, a, fl, s, f)                                            \
	{ .name = (n), .alias = (a), .flags = (fl), .kind = K_SPECIAL,     \
	  .set = (s), .fmt = (f) }

/* In config_dump() order.  Bounds are Redis's where Redis has the directive. */
static const struct directive directives[] = {
	SPECIAL("name", NULL, 0, set_name, fmt_name),
	NUM("size", D_PAGES, K_MEM, size, W_U64, (long long)CONFIG_SIZE_MIN,
	    (long long)CONFIG_SIZE_MAX),
	ENUM("mode", 0, mode, mode_enum),
	NUM("readers", 0, K_INT, readers, W_UINT, 1, 65536),
	NUM("shmperm", 0, K_OCTAL, shmperm, W_UINT, 0, 0777),
	SIMPLE("membarrier", 0, K_BOOL, membarrier),
	NUM("reader-stall-warn", D_RUNTIME, K_INT, reader_stall_warn_ms, W_U64,
	    0, LLONG_MAX),
	NUM("mutex-drain-timeout", 0, K_INT, mutex_drain_timeout_ms, W_U64, 1,
	    LLONG_MAX),
	NUM("batch-max-commands", D_RUNTIME, K_INT, batch_max_commands, W_UINT,
	    1, UINT_MAX),
	NUM("batch-max-usec", D_RUNTIME, K_INT, batch_max_usec, W_UINT, 1,
	    UINT_MAX),
	SPECIAL("unixsocket", NULL, 0, set_unixsocket, fmt_unixsocket),
	NUM("unixsocketperm", 0, K_OCTAL, unixsocketperm, W_UINT, 0, 0777),
	NUM("port", 0, K_INT, port, W_INT, 0, 65535),
	SPECIAL("bind", NULL, D_MULTI, set_bind, fmt_bind),
	NUM("tcp-backlog", 0, K_INT, tcp_backlog, W_INT, 0, INT_MAX),
	SIMPLE("logfile", D_RUNTIME, K_STR, logfile),
	ENUM("loglevel", D_RUNTIME, loglevel, loglevel_enum),
	SIMPLE("pidfile", D_EMPTY_NULL, K_STR, pidfile),
	SIMPLE("daemonize", 0, K_BOOL, daemonize),
	SIMPLE("requirepass", D_RUNTIME | D_EMPTY_NULL, K_STR, requirepass),
	NUM("databases", 0, K_INT, databases, W_UINT, 1, 1024),
	NUM("maxclients", D_RUNTIME, K_INT, maxclients, W_UINT, 1, UINT_MAX),
	NUM("timeout", D_RUNTIME, K_INT, timeout, W_INT, 0, INT_MAX),
	NUM("hz", D_RUNTIME, K_INT, hz, W_INT, 0, INT_MAX),
	NUM("proto-max-bulk-len", 0, K_MEM, proto_max_bulk_len, W_U64,
	    1024 * 1024, LLONG_MAX),
	NUM("client-query-buffer-limit", 0, K_MEM, client_query_buffer_limit,
	    W_U64, 1024 * 1024, LLONG_MAX),
	SPECIAL("replicaof", "slaveof", D_MULTI, set_replicaof, fmt_replicaof),
	SIMPLE("masterauth", D_EMPTY_NULL, K_STR, masterauth),
	SIMPLE("masteruser", D_EMPTY_NULL, K_STR, masteruser),
};

#define NDIRECTIVES (sizeof(directives) / sizeof(directives[0]))

static const struct directive *lookup(const char *name)
{
	for (size_t i = 0; i < NDIRECTIVES; i++) {
		const struct directive *d = &directives[i];

		if (!strcmp(name, d->name) ||
		    (d->alias && !strcmp(name, d->alias)))
			return d;
	}
	return NULL;
}

static void *field(const struct directive *d, struct config *c)
{
	return (char *)c + d->off;
}

static const void *cfield(const struct directive *d, const struct config *c)
{
	return (const char *)c + d->off;
}

static size_t field_size(const struct directive *d)
{
	switch (d->kind) {
	case K_BOOL:
		return sizeof(bool);
	case K_ENUM:
		return sizeof(int);
	case K_STR:
		return sizeof(char *);
	default:
		break;
	}
	switch (d->width) {
	case W_INT:
		return sizeof(int);
	case W_UINT:
		return sizeof(unsigned);
	default:
		return sizeof(uint64_t);
	}
}

static void num_store(const struct directive *d, struct config *c,
		      unsigned long long v)
{
	switch (d->width) {
	case W_INT:
		*(int *)field(d, c) = (int)v;
		break;
	case W_UINT:
		*(unsigned *)field(d, c) = (unsigned)v;
		break;
	case W_U64:
		*(uint64_t *)field(d, c) = v;
		break;
	}
}

static unsigned long long num_load(const struct directive *d,
				   const struct config *c)
{
	switch (d->width) {
	case W_INT:
		return (unsigned long long)*(const int *)cfield(d, c);
	case W_UINT:
		return *(const unsigned *)cfield(d, c);
	default:
		return *(const uint64_t *)cfield(d, c);
	}
}

/* "argument must be one of the following: a, b, c", as Redis words it. */
static int enum_fail(const struct enum_name *e, struct reason *r)
{
	size_t n = strlcpy(r->buf, "argument must be one of the following: ",
			   sizeof(r->buf));

	for (; e->name; e++) {
		n = strlcat(r->buf, e->name, sizeof(r->buf));
		if (e[1].name)
			n = strlcat(r->buf, ", ", sizeof(r->buf));
	}
	(void)n;
	r->msg = r->buf;
	return -1;
}

/* Apply the one argument of a directive of a generic kind. */
static int set_generic(const struct directive *d, struct config *c,
		       const char *arg, struct reason *r)
{
	unsigned long long u, lo = (unsigned long long)d->lo;
	unsigned long long hi = (unsigned long long)d->hi;
	long long ll;
	int yn;

	switch (d->kind) {
	case K_BOOL:
		yn = yesno(arg);
		if (yn < 0)
			return fail(r, "argument must be 'yes' or 'no'");
		*(bool *)field(d, c) = yn;
		return 0;
	case K_INT:
		if (!parse_ll(arg, &ll))
			return fail(r, "argument couldn't be parsed into an integer");
		if (ll < d->lo || ll > d->hi)
			return failf(r, "argument must be between %lld and %lld inclusive",
				     d->lo, d->hi);
		num_store(d, c, (unsigned long long)ll);
		return 0;
	case K_MEM:
		if (!parse_mem(arg, &u))
			return fail(r, "argument must be a memory value");
		if (u < lo || u > hi)
			return failf(r, "argument must be between %llu and %llu inclusive",
				     lo, hi);
		/* The bounds apply to the value as written: 262143, one
		 * byte short of 256kb, is refused, not rounded up. */
		if (d->flags & D_PAGES)
			u = (u + CONFIG_SIZE_ALIGN - 1) &
			    ~(CONFIG_SIZE_ALIGN - 1);
		num_store(d, c, u);
		return 0;
	case K_OCTAL:
		if (!parse_octal(arg, &ll))
			return fail(r, "argument couldn't be parsed as an octal number");
		if (ll < d->lo || ll > d->hi)
			return failf(r, "argument must be between %llo and %llo inclusive",
				     lo, hi);
		num_store(d, c, (unsigned long long)ll);
		return 0;
	case K_ENUM:
		for (const struct enum_name *e = d->enums; e->name; e++) {
			if (!strcasecmp(arg, e->name)) {
				*(int *)field(d, c) = e->value;
				return 0;
			}
		}
		return enum_fail(d->enums, r);
	case K_STR: {
		char **sp = field(d, c);

		free(*sp);
		*sp = !*arg && (d->flags & D_EMPTY_NULL) ? NULL : xstrdup(arg);
		return 0;
	}
	case K_SPECIAL:
		break;
	}
	return fail(r, "internal error: bad directive kind");
}

/* Append the value of d in c, as config text. */
static void fmt_value(const struct directive *d, const struct config *c,
		      struct sbuf *out)
{
	const char *s;

	switch (d->kind) {
	case K_BOOL:
		sb_cat(out, *(const bool *)cfield(d, c) ? "yes" : "no");
		break;
	case K_INT:
		if (d->width == W_INT)
			sb_printf(out, "%d", *(const int *)cfield(d, c));
		else
			sb_printf(out, "%llu", num_load(d, c));
		break;
	case K_MEM:
		sb_catmem(out, num_load(d, c));
		break;
	case K_OCTAL:
		sb_printf(out, "%04llo", num_load(d, c));
		break;
	case K_ENUM:
		s = "unknown";
		for (const struct enum_name *e = d->enums; e->name; e++)
			if (e->value == *(const int *)cfield(d, c))
				s = e->name;
		sb_cat(out, s);
		break;
	case K_STR:
		s = *(char *const *)cfield(d, c);
		sb_catarg(out, s ? s : "");
		break;
	case K_SPECIAL:
		d->fmt(c, out);
		break;
	}
}

/* ---------------------------------------------------------- the loader */

struct loader {
	struct config *c;
	char *err;
	size_t errlen;
	int depth; /* of include */
};

__attribute__((format(printf, 2, 3)))
static int ld_error(struct loader *ld, const char *fmt, ...)
{
	va_list ap;

	if (!ld->err || !ld->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ld->err, ld->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Redis's report for a bad line. */
static int line_error(struct loader *ld, int linenum, const char *line,
		      const char *why)
{
	return ld_error(ld, FATAL_BANNER
			"Reading the configuration file, at line %d\n"
			">>> '%s'\n"
			"%s\n",
			linenum, line, why);
}

/* Redis's report for a check made after the last line. */
static int final_error(struct loader *ld, const char *why)
{
	return ld_error(ld, FATAL_BANNER "%s\n", why);
}

/* Append the whole of fp to out; path names it in the report. */
static int read_stream(struct loader *ld, FILE *fp, const char *path,
		       struct sbuf *out)
{
	char buf[4096];
	size_t n;

	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		sb_catlen(out, buf, n);
	if (ferror(fp))
		return ld_error(ld, "Fatal error, can't read config file '%s': %s",
				path, strerror(errno));
	sb_catlen(out, "", 0);
	return 0;
}

static int read_file(struct loader *ld, const char *path, struct sbuf *out)
{
	FILE *fp = fopen(path, "r");
	int rc;

	if (!fp)
		return ld_error(ld, "Fatal error, can't open config file '%s': %s",
				path, strerror(errno));
	rc = read_stream(ld, fp, path, out);
	fclose(fp);
	return rc;
}

struct paths {
	char **v;
	size_t n;
};

static bool has_wildcard(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '*' || s[i] == '?' || s[i] == '[')
			return true;
	return false;
}

/*
 * Add to out the existing paths that are base followed by a match of
 * pattern, one '/'-separated component at a time, as glob(3) without flags
 * matches them (a leading '.' must be matched explicitly).  glob(3) itself
 * cannot be used here: the region's shm/glob.h shadows <glob.h>.
 */
static void expand(const char *base, const char *pattern, struct paths *out)
{
	const char *comp = pattern, *slash;
	struct sbuf next = { 0 };
	struct dirent *e;
	size_t clen;
	DIR *dir;

	while (*comp == '/')
		comp++;
	if (!*comp) {
		struct stat st;

		if (lstat(base, &st) == 0) {
			out->v = xrealloc(out->v, out->n + 1, sizeof(*out->v));
			out->v[out->n++] = xstrdup(base);
		}
		return;
	}
	slash = strchr(comp, '/');
	clen = slash ? (size_t)(slash - comp) : strlen(comp);
	if (!has_wildcard(comp, clen)) {
		sb_cat(&next, base);
		if (next.len && next.p[next.len - 1] != '/')
			sb_catc(&next, '/');
		sb_catlen(&next, comp, clen);
		expand(next.p, comp + clen, out);
		free(next.p);
		return;
	}
	dir = opendir(*base ? base : ".");
	if (!dir)
		return;
	sb_catlen(&next, comp, clen);
	while ((e = readdir(dir))) {
		struct sbuf path = { 0 };

		if (fnmatch(next.p, e->d_name, FNM_PERIOD))
			continue;
		sb_cat(&path, base);
		if (path.len && path.p[path.len - 1] != '/')
			sb_catc(&path, '/');
		sb_cat(&path, e->d_name);
		expand(path.p, comp + clen, out);
		free(path.p);
	}
	closedir(dir);
	free(next.p);
}

static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Append the contents of path to out.  As Redis's loadServerConfig(): a
 * path with a wildcard is a pattern whose files are read in sorted order,
 * and a pattern that matches nothing is no error (so an empty conf.d/ can
 * be included).
 */
static int read_source(struct loader *ld, const char *path, struct sbuf *out)
{
	struct paths p = { 0 };
	int rc = 0;

	if (!has_wildcard(path, strlen(path)))
		return read_file(ld, path, out);
	expand(path[0] == '/' ? "/" : "", path, &p);
	if (p.n)
		qsort(p.v, p.n, sizeof(*p.v), path_cmp);
	for (size_t i = 0; i < p.n; i++) {
		if (!rc)
			rc = read_file(ld, p.v[i], out);
		free(p.v[i]);
	}
	free(p.v);
	return rc;
}

static int load_text(struct loader *ld, const char *text);

static int do_include(struct loader *ld, const char *path, int linenum,
		      const char *line)
{
	struct sbuf text = { 0 };
	int rc;

	if (ld->depth >= INCLUDE_DEPTH_MAX)
		return line_error(ld, linenum, line,
				  "Too many nested includes (the limit is " STR(INCLUDE_DEPTH_MAX) ")");
	rc = read_source(ld, path, &text);
	if (!rc) {
		ld->depth++;
		rc = load_text(ld, text.p ? text.p : "");
		ld->depth--;
	}
	free(text.p);
	return rc;
}

/* Apply one line already split into a (argv[0] lower-cased). */
static int apply_line(struct loader *ld, struct args *a, int linenum,
		      const char *line)
{
	const struct directive *d = lookup(a->argv[0]);
	struct reason r = { 0 };
	int rc;

	for (int i = 1; i < a->argc; i++)
		if (strlen(a->argv[i]) != a->len[i])
			return line_error(ld, linenum, line,
					  "argument must not contain a NUL byte");
	if (!d) {
		if (!strcmp(a->argv[0], "include") && a->argc == 2)
			return do_include(ld, a->argv[1], linenum, line);
		return line_error(ld, linenum, line,
				  "Bad directive or wrong number of arguments");
	}
	if (!(d->flags & D_MULTI) && a->argc != 2)
		return line_error(ld, linenum, line,
				  "wrong number of arguments");
	if (d->kind == K_SPECIAL)
		rc = d->set(ld->c, a->argc - 1, a->argv + 1, &r);
	else
		rc = set_generic(d, ld->c, a->argv[1], &r);
	return rc ? line_error(ld, linenum, line, r.msg) : 0;
}

/*
 * Redis's loadServerConfigFromString(): split text into lines, trim each,
 * skip comments and blank lines, apply the rest in order; then the checks
 * Redis makes at the end of every file (the log file opens; hz clamped).
 */
static int load_text(struct loader *ld, const char *text)
{
	char *buf = xstrdup(text), *next = buf;
	int linenum = 0, rc = 0;

	while (next && !rc) {
		char *line = next, *nl = strchr(next, '\n'), *end;
		struct args a;

		linenum++;
		if (nl)
			*nl = '\0';
		next = nl ? nl + 1 : NULL;
		while (*line && strchr(" \t\r\n", *line))
			line++;
		end = line + strlen(line);
		while (end > line && strchr(" \t\r\n", end[-1]))
			*--end = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (split_args(line, &a)) {
			rc = line_error(ld, linenum, line,
					"Unbalanced quotes in configuration line");
			break;
		}
		if (a.argc == 0) {
			args_free(&a);
			continue;
		}
		for (char *p = a.argv[0]; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		rc = apply_line(ld, &a, linenum, line);
		args_free(&a);
	}
	free(buf);
	if (rc)
		return rc;

	if (ld->c->logfile[0]) {
		FILE *fp = fopen(ld->c->logfile, "a");
		char why[256];

		if (!fp) {
			snprintf(why, sizeof(why), "Can't open the log file: %s",
				 strerror(errno));
			return final_error(ld, why);
		}
		fclose(fp);
	}
	if (ld->c->hz < CONFIG_MIN_HZ)
		ld->c->hz = CONFIG_MIN_HZ;
	if (ld->c->hz > CONFIG_MAX_HZ)
		ld->c->hz = CONFIG_MAX_HZ;
	return 0;
}

/* The socket path derived from the name, unless one was configured. */
static void default_unixsocket(struct config *c)
{
	struct sbuf b = { 0 };

	if (!c->unixsocket_auto && c->unixsocket)
		return;
	sb_printf(&b, "/tmp/shmrep.%s.sock", c->name);
	free(c->unixsocket);
	c->unixsocket = sb_take(&b);
	c->unixsocket_auto = true;
}

static int load_top(struct config *c, const char *text, char *err,
		    size_t errlen)
{
	struct loader ld = { .c = c, .err = err, .errlen = errlen };
	int rc = load_text(&ld, text ? text : "");

	if (!rc)
		default_unixsocket(c);
	return rc;
}

/* path made absolute against the working directory, as Redis's
 * getAbsolutePath() does for the config file it will reload. */
static char *absolute_path(const char *path)
{
	struct sbuf b = { 0 };
	char cwd[PATH_MAX];

	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return xstrdup(path);
	sb_cat(&b, cwd);
	if (b.len && b.p[b.len - 1] != '/')
		sb_catc(&b, '/');
	sb_cat(&b, path);
	return sb_take(&b);
}

/*
 * Redis's loadServerConfig(): the file (if any), then standard input (if
 * asked), then a newline and the options (if any), parsed as one text.
 */
static int load_sources(struct config *c, const char *file, bool from_stdin,
			const char *options, char *err, size_t errlen)
{
	struct loader ld = { .c = c, .err = err, .errlen = errlen };
	struct sbuf text = { 0 };
	char *path = file ? absolute_path(file) : NULL;
	int rc = 0;

	if (path)
		rc = read_source(&ld, path, &text);
	if (!rc && from_stdin)
		rc = read_stream(&ld, stdin, "-", &text);
	if (rc)
		goto free_text;
	if (options) {
		sb_catc(&text, '\n');
		sb_cat(&text, options);
	}
	free(c->configfile);
	c->configfile = path;
	path = NULL;
	free(c->reload_options);
	c->reload_options = options ? xstrdup(options) : NULL;
	c->reload_stdin = from_stdin;
	rc = load_top(c, text.p, err, errlen);
free_text:
	free(path);
	free(text.p);
	return rc;
}

/* ----------------------------------------------------------------- API */

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	strlcpy(c->name, "default", sizeof(c->name));
	c->size = 1ull << 30;
	c->mode = CFG_MODE_RCU;
	c->readers = 1024;
	c->shmperm = 0644;
	c->membarrier = true;
	c->reader_stall_warn_ms = 10000;
	c->mutex_drain_timeout_ms = 1000;
	c->batch_max_commands = 10000;
	c->batch_max_usec = 1000;
	c->unixsocketperm = 0;
	c->port = 0;
	c->nbind = 2;
	c->bind = xrealloc(NULL, 2, sizeof(*c->bind));
	c->bind[0] = xstrdup("127.0.0.1");
	c->bind[1] = xstrdup("-::1");
	c->tcp_backlog = 511;
	c->logfile = xstrdup("");
	c->loglevel = LL_NOTICE;
	c->databases = 16;
	c->maxclients = 10000;
	c->timeout = 0;
	c->hz = 10;
	c->proto_max_bulk_len = 512ull << 20;
	c->client_query_buffer_limit = 1ull << 30;
	default_unixsocket(c);
}

void config_free(struct config *c)
{
	free(c->unixsocket);
	bind_clear(c);
	free(c->logfile);
	free(c->pidfile);
	free(c->requirepass);
	free(c->replicaof_host);
	free(c->masterauth);
	free(c->masteruser);
	free(c->configfile);
	free(c->reload_options);
	memset(c, 0, sizeof(*c));
}

int config_load_string(struct config *c, const char *text, char *err,
		       size_t errlen)
{
	return load_top(c, text, err, errlen);
}

int config_load(struct config *c, const char *filename, const char *options,
		char *err, size_t errlen)
{
	bool from_stdin = filename && !strcmp(filename, "-");

	return load_sources(c, from_stdin ? NULL : filename, from_stdin,
			    options, err, errlen);
}

static void print_usage(void)
{
	fputs("Usage: ./shmrepd [/path/to/shmrep.conf] [options] [-]\n"
	      "       ./shmrepd - (read config from stdin)\n"
	      "       ./shmrepd -v or --version\n"
	      "       ./shmrepd -h or --help\n"
	      "\n"
	      "Examples:\n"
	      "       ./shmrepd (run the server with default conf)\n"
	      "       echo 'maxclients 10' | ./shmrepd -\n"
	      "       ./shmrepd /etc/shmrep/shmrep.conf\n"
	      "       ./shmrepd --name cache --size 4gb\n"
	      "       ./shmrepd --port 7777 --replicaof 127.0.0.1 6379\n"
	      "       ./shmrepd /etc/shmrep.conf --loglevel verbose -\n"
	      "       ./shmrepd /etc/shmrep.conf --loglevel verbose\n",
	      stdout);
	fflush(stdout);
}

int config_from_argv(struct config *c, int argc, char **argv, char *err,
		     size_t errlen)
{
	struct sbuf options = { 0 };
	const char *file = NULL;
	bool from_stdin = false, handled_last = true;
	int j = 1, rc;

	if (argc < 2)
		return load_top(c, "", err, errlen);
	if (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--version")) {
		printf("shmrepd v=%s bits=%zu\n", VERSION, sizeof(long) * 8);
		fflush(stdout);
		return 1;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		print_usage();
		return 1;
	}
	if (argv[1][0] != '-') {
		file = argv[1];
		j = 2;
	}
	sb_catlen(&options, "", 0);
	for (; j < argc; j++) {
		const char *a = argv[j];

		if (a[0] == '-' && a[1] == '\0' && (j == 1 || j == argc - 1)) {
			from_stdin = true;
		} else if (handled_last && a[0] == '-' && a[1] == '-') {
			struct args split;

			/* A new directive.  If this argument is its name
			 * alone, the next one is its value even when it
			 * starts with "--" (Redis 7.0.1's rule). */
			if (options.len)
				sb_catc(&options, '\n');
			sb_cat(&options, a + 2);
			sb_catc(&options, ' ');
			if (split_args(a, &split))
				split.argc = 0;
			handled_last = split.argc != 1;
			args_free(&split);
		} else {
			sb_catrepr(&options, a);
			sb_catc(&options, ' ');
			handled_last = true;
		}
	}
	rc = load_sources(c, file, from_stdin, options.p, err, errlen);
	free(options.p);
	return rc;
}

static void list_add(char *list, size_t len, const char *name)
{
	if (!list || !len)
		return;
	if (list[0])
		strlcat(list, ",", len);
	strlcat(list, name, len);
}

int config_reload(struct config *live, char *ignored, size_t ignlen,
		  char *err, size_t errlen)
{
	struct loader ld = { .c = live, .err = err, .errlen = errlen };
	struct config fresh;

	if (ignored && ignlen)
		ignored[0] = '\0';
	if (!live->configfile)
		return ld_error(&ld, "Can't reload the configuration: no config file was given");
	if (live->reload_stdin)
		return ld_error(&ld, "Can't reload the configuration: part of it was read from standard input");
	config_init(&fresh);
	if (load_sources(&fresh, live->configfile, false, live->reload_options,
			 err, errlen)) {
		config_free(&fresh);
		return -1;
	}
	for (size_t i = 0; i < NDIRECTIVES; i++) {
		const struct directive *d = &directives[i];
		struct sbuf a = { 0 }, b = { 0 };

		if (d->flags & D_RUNTIME) {
			/* Swap, so that fresh frees live's old strings. */
			char tmp[sizeof(uint64_t) > sizeof(char *) ?
					 sizeof(uint64_t) : sizeof(char *)];
			size_t n = field_size(d);

			memcpy(tmp, field(d, live), n);
			memcpy(field(d, live), field(d, &fresh), n);
			memcpy(field(d, &fresh), tmp, n);
			continue;
		}
		fmt_value(d, live, &a);
		fmt_value(d, &fresh, &b);
		if (strcmp(a.p, b.p))
			list_add(ignored, ignlen, d->name);
		free(a.p);
		free(b.p);
	}
	config_free(&fresh);
	return 0;
}

char *config_dump(const struct config *c)
{
	struct sbuf out = { 0 };

	for (size_t i = 0; i < NDIRECTIVES; i++) {
		sb_cat(&out, directives[i].name);
		sb_catc(&out, ' ');
		fmt_value(&directives[i], c, &out);
		sb_catc(&out, '\n');
	}
	return sb_take(&out);
}
