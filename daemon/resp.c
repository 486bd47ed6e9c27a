/*
 * resp.c - RESP2 requests in, RESP2 replies out, following Redis 7.0's
 * networking.c (processMultibulkBuffer, processInlineBuffer, sdssplitargs,
 * addReply*) rule for rule, so that clients see the same errors at the same
 * bytes.
 *
 * The parser is a state machine over the caller's contiguous input buffer.
 * It never copies arguments: multibulk arguments are the bulk payloads in
 * place, inline arguments are unescaped in place (the unescaped form is
 * never longer).  Its state is kept in offsets from the start of the
 * command, not pointers, because the caller reallocs and compacts its
 * buffer between reads.  Each line search resumes where the previous call
 * stopped, and a bulk payload is never scanned at all, so a command costs
 * O(its length) however it is split into reads.  Argument arrays grow as
 * arguments actually arrive: a client-supplied count is a limit, never an
 * allocation size.
 *
 * Redis quirks kept on purpose, because clients can observe them: the "\r"
 * ending a "*N" or "$N" line may be followed by any byte, and a bulk payload
 * by any two bytes; a NUL byte hides the end of the line it is in (Redis
 * searches with strchr); the max_inline limit applies only while a line end
 * has not been seen, so a longer line that arrives whole is accepted.
 *
 * The reply side is a flat growable buffer.  A deferred array length
 * reserves room for the longest header and closes the gap when it is set;
 * the offsets of the other pending ones are adjusted, so they may be set in
 * any order.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"
#include "resp.h"

/* Redis's limits for clients that have not authenticated (authRequired). */
#define UNAUTH_MAX_MULTIBULK 10
#define UNAUTH_MAX_BULK 16384

/* Argument arrays larger than this are freed between commands. */
#define ARGV_KEEP 1024

/* "*-9223372036854775808\r\n": the longest array header. */
#define HEADER_MAX 23

enum {
	ST_START,     /* between commands */
	ST_INLINE,    /* looking for the end of an inline line */
	ST_MB_COUNT,  /* looking for the end of the "*N" line */
	ST_BULK_LEN,  /* looking for the end of a "$N" line */
	ST_BULK_DATA, /* waiting for a bulk payload and its "\r\n" */
	ST_FAILED,    /* a protocol error was returned */
};

enum {
	E_MBULK_LEN,
	E_MBULK_UNAUTH,
	E_MBULK_BIG,
	E_BULK_LEN,
	E_BULK_UNAUTH,
	E_BULK_BIG,
	E_INLINE_BIG,
	E_QUOTES,
	E_DOLLAR, /* formatted with err_ch, see error_text() */
};

static const char *const errors[] = {
	[E_MBULK_LEN] = "ERR Protocol error: invalid multibulk length",
	[E_MBULK_UNAUTH] =
		"ERR Protocol error: unauthenticated multibulk length",
	[E_MBULK_BIG] = "ERR Protocol error: too big mbulk count string",
	[E_BULK_LEN] = "ERR Protocol error: invalid bulk length",
	[E_BULK_UNAUTH] = "ERR Protocol error: unauthenticated bulk length",
	[E_BULK_BIG] = "ERR Protocol error: too big bulk count string",
	[E_INLINE_BIG] = "ERR Protocol error: too big inline request",
	[E_QUOTES] = "ERR Protocol error: unbalanced quotes in request",
};

/* realloc() that aborts on failure, as Redis's zmalloc does. */
static void *xrealloc(void *ptr, size_t size)
{
	void *q = realloc(ptr, size ? size : 1);

	if (!q) {
		fprintf(stderr, "shmrepd: out of memory allocating %zu bytes\n",
			size);
		abort();
	}
	return q;
}

/* a * b for array sizes, aborting on overflow. */
static size_t xmul(size_t a, size_t b)
{
	size_t r;

	if (__builtin_mul_overflow(a, b, &r)) {
		fprintf(stderr, "shmrepd: allocation size overflow\n");
		abort();
	}
	return r;
}

/* ---- Requests ---------------------------------------------------------- */

void resp_parser_init(struct resp_parser *p)
{
	memset(p, 0, sizeof(*p));
	p->max_bulk = RESP_DEFAULT_MAX_BULK;
	p->max_inline = RESP_DEFAULT_MAX_INLINE;
	p->authenticated = true;
	p->state = ST_START;
}

void resp_parser_free(struct resp_parser *p)
{
	free(p->off);
	free(p->argv);
	p->off = NULL;
	p->argv = NULL;
	p->argc = p->nargs = p->cap = 0;
}

static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	       c == '\r';
}

static int fail(struct resp_parser *p, int err)
{
	p->err = err;
	p->state = ST_FAILED;
	return RESP_ERR;
}

/* Start the current line at offset at. */
static void next_line(struct resp_parser *p, size_t at)
{
	p->cur = at;
	p->scan = at;
}

/*
 * Record argument [off, off+len) of the command.  announced is how many
 * arguments the "*N" line still promises, this one included (0 for
 * inline): the arrays never grow past what that promises, and only grow
 * as arguments arrive.  Returns false when the count would pass INT_MAX.
 */
static bool push_arg(struct resp_parser *p, size_t off, size_t len,
		     long long announced)
{
	if (p->nargs == p->cap) {
		size_t ncap = p->cap ? (size_t)p->cap * 2 : 8;

		if (p->nargs == INT_MAX)
			return false;
		if (announced > 0 &&
		    ncap > (size_t)p->nargs + (size_t)announced)
			ncap = (size_t)p->nargs + (size_t)announced;
		if (ncap > INT_MAX)
			ncap = INT_MAX;
		p->off = xrealloc(p->off, xmul(ncap, sizeof(*p->off)));
		p->argv = xrealloc(p->argv, xmul(ncap, sizeof(*p->argv)));
		p->cap = (int)ncap;
	}
	p->off[p->nargs] = off;
	p->argv[p->nargs].p = NULL;
	p->argv[p->nargs].len = len;
	p->nargs++;
	return true;
}

/*
 * Find byte c in the current line of cmd[0, avail), as Redis's strchr() over
 * its NUL-terminated buffer would: a NUL byte before c hides c and all that
 * follows.  Returns c's offset, or SIZE_MAX if it is not there (yet).  The
 * search resumes at p->scan, so no byte is looked at twice.
 */
static size_t line_find(struct resp_parser *p, const char *cmd, size_t avail,
			char c)
{
	const char *hit, *nul;
	size_t end;

	if (p->stalled)
		return SIZE_MAX;
	hit = memchr(cmd + p->scan, c, avail - p->scan);
	end = hit ? (size_t)(hit - cmd) : avail;
	p->scanned += end - p->scan + (hit != NULL);
	nul = memchr(cmd + p->scan, '\0', end - p->scan);
	if (nul) {
		p->scan = (size_t)(nul - cmd);
		p->stalled = true;
		return SIZE_MAX;
	}
	/* Stop on c itself: if its line is incomplete, the next call finds
	 * it again at once. */
	p->scan = end;
	return hit ? end : SIZE_MAX;
}

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The byte that "\\c" stands for inside double quotes. */
static char unescape(char c)
{
	switch (c) {
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	case 'b':
		return '\b';
	case 'a':
		return '\a';
	default:
		return c;
	}
}

/* s[i] inside a line of n bytes, or 0 past its end (sdssplitargs reads a
 * NUL-terminated copy; the line itself never holds a NUL). */
static int at(const char *s, size_t n, size_t i)
{
	return i < n ? (unsigned char)s[i] : 0;
}

/*
 * Split the line s[0, n) into arguments, as Redis's sdssplitargs: blanks
 * separate, "double quotes" take \n \r \t \b \a \xHH and \<any> escapes,
 * 'single quotes' take only \', and a closing quote must be followed by a
 * blank or the end.  Arguments are unescaped in place.  Returns false on
 * unbalanced quotes or too many arguments.
 */
static bool split_inline(struct resp_parser *p, char *s, size_t n)
{
	size_t i = 0;

	for (;;) {
		bool inq = false, insq = false, done = false;
		size_t start, w;

		while (i < n && is_space((unsigned char)s[i]))
			i++;
		if (i == n)
			return true;
		start = w = i;
		while (!done) {
			int c = at(s, n, i);

			if (inq) {
				int h1 = hex_value(at(s, n, i + 2));
				int h2 = hex_value(at(s, n, i + 3));

				if (c == '\\' && at(s, n, i + 1) == 'x' &&
				    h1 >= 0 && h2 >= 0) {
					s[w++] = (char)(h1 * 16 + h2);
					i += 3;
				} else if (c == '\\' && at(s, n, i + 1)) {
					s[w++] = unescape(s[++i]);
				} else if (c == '"') {
					if (at(s, n, i + 1) &&
					    !is_space(at(s, n, i + 1)))
						return false;
					done = true;
				} else if (!c) {
					return false;
				} else {
					s[w++] = (char)c;
				}
			} else if (insq) {
				if (c == '\\' && at(s, n, i + 1) == '\'') {
					i++;
					s[w++] = '\'';
				} else if (c == '\'') {
					if (at(s, n, i + 1) &&
					    !is_space(at(s, n, i + 1)))
						return false;
					done = true;
				} else if (!c) {
					return false;
				} else {
					s[w++] = (char)c;
				}
			} else {
				switch (c) {
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
					s[w++] = (char)c;
					break;
				}
			}
			if (i < n)
				i++;
		}
		if (!push_arg(p, start, w - start, 0))
			return false;
	}
}

static int parse_inline(struct resp_parser *p, char *cmd, size_t avail)
{
	size_t nl = line_find(p, cmd, avail, '\n'), end = nl;

	if (nl == SIZE_MAX)
		return avail > p->max_inline ? fail(p, E_INLINE_BIG)
					     : RESP_AGAIN;
	if (end > 0 && cmd[end - 1] == '\r')
		end--;
	if (!split_inline(p, cmd, end))
		return fail(p, p->nargs == INT_MAX ? E_INLINE_BIG : E_QUOTES);
	next_line(p, nl + 1);
	return RESP_OK;
}

static int parse_multibulk(struct resp_parser *p, const char *cmd, size_t avail)
{
	long long ll;
	size_t nl;

	if (p->state == ST_MB_COUNT) {
		nl = line_find(p, cmd, avail, '\r');
		if (nl == SIZE_MAX)
			return avail > p->max_inline ? fail(p, E_MBULK_BIG)
						     : RESP_AGAIN;
		if (nl + 2 > avail)
			return RESP_AGAIN;
		if (!num_str2ll(cmd + 1, nl - 1, &ll) || ll > INT_MAX)
			return fail(p, E_MBULK_LEN);
		if (ll > UNAUTH_MAX_MULTIBULK && !p->authenticated)
			return fail(p, E_MBULK_UNAUTH);
		next_line(p, nl + 2);
		if (ll <= 0)
			return RESP_OK;
		p->left = ll;
		p->state = ST_BULK_LEN;
	}
	while (p->left) {
		if (p->state == ST_BULK_LEN) {
			nl = line_find(p, cmd, avail, '\r');
			if (nl == SIZE_MAX)
				return avail - p->cur > p->max_inline
					   ? fail(p, E_BULK_BIG)
					   : RESP_AGAIN;
			if (nl + 2 > avail)
				return RESP_AGAIN;
			if (cmd[p->cur] != '$') {
				p->err_ch = cmd[p->cur];
				return fail(p, E_DOLLAR);
			}
			if (!num_str2ll(cmd + p->cur + 1, nl - p->cur - 1,
					&ll) ||
			    ll < 0 || (uint64_t)ll > p->max_bulk)
				return fail(p, E_BULK_LEN);
			if (ll > UNAUTH_MAX_BULK && !p->authenticated)
				return fail(p, E_BULK_UNAUTH);
			next_line(p, nl + 2);
			p->bulklen = ll;
			p->state = ST_BULK_DATA;
		}
		/* The two bytes after the payload are skipped, not checked. */
		if (avail - p->cur < (uint64_t)p->bulklen + 2)
			return RESP_AGAIN;
		push_arg(p, p->cur, (size_t)p->bulklen, p->left);
		next_line(p, p->cur + (size_t)p->bulklen + 2);
		p->left--;
		p->state = ST_BULK_LEN;
	}
	return RESP_OK;
}

/* Reset for a new command, giving back a large argument array. */
static void start_command(struct resp_parser *p)
{
	if (p->cap > ARGV_KEEP)
		resp_parser_free(p);
	p->argc = p->nargs = 0;
	p->stalled = false;
	p->left = 0;
	p->bulklen = 0;
	next_line(p, 0);
}

static void error_text(const struct resp_parser *p, char *errbuf, size_t errlen)
{
	char ch = p->err_ch;

	if (!errlen)
		return;
	if (p->err < E_DOLLAR) {
		snprintf(errbuf, errlen, "%s", errors[p->err]);
		return;
	}
	/* As addReplyErrorFormat() does to every formatted error. */
	if (ch == '\r' || ch == '\n')
		ch = ' ';
	snprintf(errbuf, errlen, "ERR Protocol error: expected '$', got '%c'",
		 ch);
}

int resp_parse(struct resp_parser *p, char *buf, size_t len, size_t *pos,
	       char *errbuf, size_t errlen)
{
	size_t avail = len - *pos;
	char *cmd;
	int rc;

	p->argc = 0;
	if (p->state == ST_FAILED) {
		error_text(p, errbuf, errlen);
		return RESP_ERR;
	}
	if (!avail)
		return RESP_AGAIN; /* buf may be NULL */
	cmd = buf + *pos;
	if (p->state == ST_START) {
		start_command(p);
		p->state = cmd[0] == '*' ? ST_MB_COUNT : ST_INLINE;
	}
	p->seen = avail;
	if (p->state == ST_INLINE)
		rc = parse_inline(p, cmd, avail);
	else
		rc = parse_multibulk(p, cmd, avail);
	if (rc == RESP_ERR) {
		error_text(p, errbuf, errlen);
	} else if (rc == RESP_OK) {
		for (int i = 0; i < p->nargs; i++)
			p->argv[i].p = cmd + p->off[i];
		p->argc = p->nargs;
		*pos += p->cur;
		p->state = ST_START;
	}
	return rc;
}

size_t resp_parse_want(const struct resp_parser *p)
{
	uint64_t need;

	if (p->state != ST_BULK_DATA)
		return 0;
	need = (uint64_t)p->cur + (uint64_t)p->bulklen + 2;
	return need > p->seen ? (size_t)(need - p->seen) : 0;
}

/* ---- Replies ----------------------------------------------------------- */

void resp_out_free(struct resp_out *o)
{
	free(o->buf);
	free(o->dfr);
	memset(o, 0, sizeof(*o));
}

/* Make room for n more bytes and return where they go. */
static char *reserve(struct resp_out *o, size_t n)
{
	if (n > o->cap - o->len) {
		size_t need, ncap = o->cap ? o->cap : 64;

		if (__builtin_add_overflow(o->len, n, &need)) {
			fprintf(stderr, "shmrepd: reply size overflow\n");
			abort();
		}
		while (ncap < need)
			ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
		o->buf = xrealloc(o->buf, ncap);
		o->cap = ncap;
	}
	return o->buf + o->len;
}

void resp_add_raw(struct resp_out *o, const void *p, size_t n)
{
	if (!n)
		return;
	memcpy(reserve(o, n), p, n);
	o->len += n;
}

/* prefix, v in decimal, CRLF: integer replies and headers.  Returns the
 * length written. */
static size_t header(char *dst, char prefix, long long v)
{
	size_t n;

	dst[0] = prefix;
	n = (size_t)num_ll2str(dst + 1, NUM_LL_STR_MAX, v);
	dst[n + 1] = '\r';
	dst[n + 2] = '\n';
	return n + 3;
}

static void add_header(struct resp_out *o, char prefix, long long v)
{
	o->len += header(reserve(o, HEADER_MAX), prefix, v);
}

void resp_add_simple(struct resp_out *o, const char *s)
{
	size_t n = strlen(s);
	char *d = reserve(o, n + 3);

	d[0] = '+';
	memcpy(d + 1, s, n);
	d[n + 1] = '\r';
	d[n + 2] = '\n';
	o->len += n + 3;
}

static bool is_crlf(char c)
{
	return c == '\r' || c == '\n';
}

/* "-s\r\n" with s[0, n) trimmed of CR/LF and its inner CR/LF made spaces,
 * as addReplyErrorFormat()'s sdstrim() and sdsmapchars() do. */
static void add_error_len(struct resp_out *o, const char *s, size_t n)
{
	char *d;

	while (n && is_crlf(s[0]))
		s++, n--;
	while (n && is_crlf(s[n - 1]))
		n--;
	d = reserve(o, n + 3);
	d[0] = '-';
	for (size_t i = 0; i < n; i++)
		d[i + 1] = is_crlf(s[i]) ? ' ' : s[i];
	d[n + 1] = '\r';
	d[n + 2] = '\n';
	o->len += n + 3;
}

void resp_add_error(struct resp_out *o, const char *s)
{
	add_error_len(o, s, strlen(s));
}

void resp_add_errorf(struct resp_out *o, const char *fmt, ...)
{
	char stackbuf[256], *s = stackbuf;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(stackbuf, sizeof(stackbuf), fmt, ap);
	va_end(ap);
	if (n < 0) {
		add_error_len(o, "ERR", 3);
		return;
	}
	if ((size_t)n >= sizeof(stackbuf)) {
		s = xrealloc(NULL, (size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(s, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	add_error_len(o, s, (size_t)n);
	if (s != stackbuf)
		free(s);
}

void resp_add_int(struct resp_out *o, long long v)
{
	add_header(o, ':', v);
}

void resp_add_bulk(struct resp_out *o, const void *p, size_t n)
{
	char *d = reserve(o, HEADER_MAX + n + 2);
	size_t h = header(d, '$', (long long)n);

	if (n)
		memcpy(d + h, p, n);
	d[h + n] = '\r';
	d[h + n + 1] = '\n';
	o->len += h + n + 2;
}

void resp_add_bulk_str(struct resp_out *o, const char *s)
{
	resp_add_bulk(o, s, strlen(s));
}

void resp_add_bulk_ll(struct resp_out *o, long long v)
{
	char s[NUM_LL_STR_MAX];

	resp_add_bulk(o, s, (size_t)num_ll2str(s, sizeof(s), v));
}

void resp_add_null(struct resp_out *o)
{
	resp_add_raw(o, "$-1\r\n", 5);
}

void resp_add_array(struct resp_out *o, long long n)
{
	add_header(o, '*', n);
}

void resp_add_null_array(struct resp_out *o)
{
	resp_add_raw(o, "*-1\r\n", 5);
}

size_t resp_add_deferred_len(struct resp_out *o)
{
	if (o->ndfr == o->dfrcap) {
		o->dfrcap = o->dfrcap ? o->dfrcap * 2 : 8;
		o->dfr = xrealloc(o->dfr, xmul(o->dfrcap, sizeof(*o->dfr)));
	}
	o->dfr[o->ndfr] = o->len;
	reserve(o, HEADER_MAX);
	o->len += HEADER_MAX;
	o->npending++;
	return o->ndfr++;
}

void resp_set_deferred_len(struct resp_out *o, size_t handle, long long n)
{
	char h[HEADER_MAX + 1];
	size_t off, hl, gap;

	if (handle >= o->ndfr || o->dfr[handle] == SIZE_MAX) {
		fprintf(stderr, "shmrepd: bad deferred length handle %zu\n",
			handle);
		abort();
	}
	off = o->dfr[handle];
	hl = header(h, '*', n);
	gap = HEADER_MAX - hl;
	memcpy(o->buf + off, h, hl);
	memmove(o->buf + off + hl, o->buf + off + HEADER_MAX,
		o->len - off - HEADER_MAX);
	o->len -= gap;
	for (size_t i = 0; i < o->ndfr; i++)
		if (o->dfr[i] != SIZE_MAX && o->dfr[i] > off)
			o->dfr[i] -= gap;
	o->dfr[handle] = SIZE_MAX;
	if (--o->npending == 0)
		o->ndfr = 0;
}
