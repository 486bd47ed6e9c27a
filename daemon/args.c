/*
 * args.c - what command files share: Redis's error replies, and parsing of
 * arguments as Redis parses them (option words, integers, SCAN cursors and
 * options).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "num.h"
#include "server.h"

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	/* The daemon's own heap is gone: stop, as Redis's zmalloc does.
	 * Readers keep the last published version. */
	if (!p) {
		fprintf(stderr, "shmrepd: out of memory allocating %zu bytes\n",
			n);
		abort();
	}
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		fprintf(stderr, "shmrepd: out of memory\n");
		abort();
	}
	return p;
}

void *xrealloc(void *p, size_t n, size_t size)
{
	void *q = reallocarray(p, n ? n : 1, size);

	if (!q) {
		fprintf(stderr, "shmrepd: out of memory\n");
		abort();
	}
	return q;
}

void reply_ok(struct client *c)
{
	resp_add_simple(&c->out, "OK");
}

void reply_wrong_args(struct client *c)
{
	resp_add_errorf(&c->out, "ERR wrong number of arguments for '%s' command",
			c->cmd->name);
}

void reply_syntax(struct client *c)
{
	resp_add_error(&c->out, "ERR syntax error");
}

void reply_wrongtype(struct client *c)
{
	resp_add_error(&c->out,
		       "WRONGTYPE Operation against a key holding the wrong kind of value");
}

void reply_not_int(struct client *c)
{
	resp_add_error(&c->out, "ERR value is not an integer or out of range");
}

/* Redis compares option words with strcasecmp(), which stops at a NUL:
 * "nx\0junk" is NX there, so it is here. */
bool arg_is(const struct client *c, int i, const char *s)
{
	size_t n = strlen(s);

	return c->argv[i].len >= n && strncasecmp(c->argv[i].p, s, n) == 0 &&
	       (c->argv[i].len == n || c->argv[i].p[n] == '\0');
}

bool arg_ll(struct client *c, int i, long long *v, const char *msg)
{
	if (num_str2ll(c->argv[i].p, c->argv[i].len, v))
		return true;
	if (msg)
		resp_add_error(&c->out, msg);
	else
		reply_not_int(c);
	return false;
}

char *arg_cstr(const struct client *c, int i, char *buf, size_t cap)
{
	size_t n = strnlen(c->argv[i].p, c->argv[i].len);
	char *s = n < cap ? buf : xmalloc(n + 1);

	memcpy(s, c->argv[i].p, n);
	s[n] = '\0';
	return s;
}

shmrep_view *args_views(const struct client *c, int from, int n,
			shmrep_view *buf, size_t cap)
{
	shmrep_view *v = (size_t)n <= cap ? buf
					  : xmalloc((size_t)n * sizeof(*v));

	for (int i = 0; i < n; i++) {
		v[i].ptr = c->argv[from + i].p;
		v[i].len = c->argv[from + i].len;
	}
	return v;
}

/* Redis's parseScanCursorOrReply(): strtoul() over the argument as a C
 * string, so it ends at a NUL ("0\0x" is cursor 0, "" too), with no leading
 * space and any number of leading zeros. */
bool arg_cursor(struct client *c, int i, uint64_t *cursor)
{
	char buf[32], *s = arg_cstr(c, i, buf, sizeof(buf)), *end;
	bool bad;

	errno = 0;
	*cursor = strtoull(s, &end, 10);
	bad = isspace((unsigned char)s[0]) || *end != '\0' || errno == ERANGE;
	if (s != buf)
		free(s);
	if (bad)
		resp_add_error(&c->out, "ERR invalid cursor");
	return !bad;
}

bool scan_opts_parse(struct client *c, int i, bool type, struct scan_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->count = 10;
	for (; i < c->argc; i += 2) {
		if (i + 1 >= c->argc) {
			reply_syntax(c);
			return false;
		}
		if (arg_is(c, i, "count")) {
			if (!arg_ll(c, i + 1, &o->count, NULL))
				return false;
			if (o->count < 1) {
				reply_syntax(c);
				return false;
			}
		} else if (arg_is(c, i, "match")) {
			o->pat = c->argv[i + 1].p;
			o->plen = c->argv[i + 1].len;
		} else if (type && arg_is(c, i, "type")) {
			o->type = c->argv[i + 1].p;
			o->tlen = c->argv[i + 1].len;
		} else {
			reply_syntax(c);
			return false;
		}
	}
	/* Redis skips matching altogether for "*". */
	if (o->plen == 1 && o->pat[0] == '*')
		o->pat = NULL;
	return true;
}

void reply_scan(struct client *c, uint64_t cursor, const struct resp_out *items)
{
	char buf[32];

	resp_add_array(&c->out, 2);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)cursor);
	resp_add_bulk_str(&c->out, buf);
	if (items)
		resp_add_raw(&c->out, items->buf, items->len);
	else
		resp_add_array(&c->out, 0);
}
