/*
 * tu_diff.c - see tu_diff.h.
 *
 * Extracted from test_diff.c, whose behaviour it keeps: the same
 * connections, escapes, comparisons and messages.  Added for collections:
 * comparisons of arrays as multisets and as multisets of pairs, SCAN-like
 * commands whose cursor is their second argument, replies compared by
 * shape only, and dataset comparisons that read each key by its type.
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
#include "tu_diff.h"

char tu_diff_big_text[TU_DIFF_BIG_LEN];
char tu_diff_big_bin[TU_DIFF_BIG_LEN];
char tu_diff_big_digits[TU_DIFF_BIG_LEN];

/* ------------------------------------------------------------- buffers */

static void buf_reserve(struct tu_buf *b, size_t need)
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

void tu_buf_add(struct tu_buf *b, const void *p, size_t n)
{
	buf_reserve(b, n + 1);
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void tu_buf_free(struct tu_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ---------------------------------------------------------- connections */

long tu_reply_len(const char *p, size_t len)
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
			long sub = tu_reply_len(p + head, len - head);

			if (sub <= 0)
				return sub;
			head += (size_t)sub;
		}
		return (long)head;
	default:
		return -1;
	}
}

int tu_conn_call(struct tu_conn *c, int argc, const char *const *argv,
		 const size_t *lens, struct tu_buf *out)
{
	char hdr[32];
	size_t off = 0;
	int n = snprintf(hdr, sizeof(hdr), "*%d\r\n", argc);

	c->req.len = 0;
	tu_buf_add(&c->req, hdr, (size_t)n);
	for (int i = 0; i < argc; i++) {
		n = snprintf(hdr, sizeof(hdr), "$%zu\r\n", lens[i]);
		tu_buf_add(&c->req, hdr, (size_t)n);
		tu_buf_add(&c->req, argv[i], lens[i]);
		tu_buf_add(&c->req, "\r\n", 2);
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
		long rl = c->in.len ? tu_reply_len(c->in.p, c->in.len) : 0;
		ssize_t r;

		if (rl < 0)
			return -1;
		if (rl > 0) {
			out->len = 0;
			tu_buf_add(out, c->in.p, (size_t)rl);
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

void tu_diff_init(void)
{
	static bool done;
	uint64_t s = 42;

	if (done)
		return;
	done = true;
	for (size_t i = 0; i < TU_DIFF_BIG_LEN; i++) {
		tu_diff_big_text[i] = (char)('a' + i % 26);
		tu_diff_big_bin[i] = (char)tu_rand(&s);
		tu_diff_big_digits[i] = (char)('1' + i % 9);
	}
}

void tu_cmd_reset(struct tu_cmd *c)
{
	c->argc = 0;
	c->used = 0;
	c->how = TU_CMP_EXACT;
	c->cleanup_key = -1;
	c->wait_ms = 0;
	c->probe = -1;
}

void tu_cmd_ref(struct tu_cmd *c, const char *p, size_t len)
{
	if (c->argc == TU_DIFF_MAXARGS)
		abort();
	c->argv[c->argc] = p;
	c->lens[c->argc++] = len;
}

void tu_cmd_raw(struct tu_cmd *c, const void *p, size_t len)
{
	if (c->used + len > TU_DIFF_ARENA)
		abort();
	memcpy(c->arena + c->used, p, len);
	tu_cmd_ref(c, c->arena + c->used, len);
	c->used += len;
}

void tu_cmd_fmt(struct tu_cmd *c, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	tu_cmd_raw(c, tmp, (size_t)n);
}

long long tu_diff_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tu_cmd_esc(struct tu_cmd *c, const char *s, size_t n)
{
	char tmp[4096];
	size_t len = 0;

	if (n == 2 && s[0] == '~' && s[1] == 'A') {
		tu_cmd_ref(c, tu_diff_big_text, TU_DIFF_BIG_LEN);
		return;
	}
	if (n == 2 && s[0] == '~' && s[1] == 'B') {
		tu_cmd_ref(c, tu_diff_big_bin, TU_DIFF_BIG_LEN);
		return;
	}
	if (n == 2 && s[0] == '~' && s[1] == 'D') {
		tu_cmd_ref(c, tu_diff_big_digits, TU_DIFF_BIG_LEN);
		return;
	}
	if (n == 2 && s[0] == '~' && (s[1] == 'S' || s[1] == 'M')) {
		long long ms = tu_diff_real_ms() + 1000000;

		tu_cmd_fmt(c, "%lld", s[1] == 'S' ? ms / 1000 : ms);
		return;
	}
	if (n == 2 && s[0] == '~' && (s[1] == 'P' || s[1] == 'Q')) {
		long long ms = tu_diff_real_ms() - 100000;

		tu_cmd_fmt(c, "%lld", s[1] == 'P' ? ms / 1000 : ms);
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
		tu_cmd_raw(c, tmp, times * tl);
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
	tu_cmd_raw(c, tmp, len);
}

void tu_cmd_str(struct tu_cmd *c, const char *s)
{
	tu_cmd_esc(c, s, strlen(s));
}

void tu_cmd_line(struct tu_cmd *c, const char *line)
{
	tu_cmd_reset(c);
	while (*line) {
		size_t n = strcspn(line, " ");

		if (n)
			tu_cmd_esc(c, line, n);
		line += n;
		while (*line == ' ')
			line++;
	}
}

void tu_cmd_copy(struct tu_cmd *dst, const struct tu_cmd *src)
{
	*dst = *src;
	for (int a = 0; a < dst->argc; a++)
		if (src->argv[a] >= src->arena &&
		    src->argv[a] < src->arena + TU_DIFF_ARENA)
			dst->argv[a] = dst->arena + (src->argv[a] - src->arena);
}

static bool name_is(const struct tu_cmd *c, const char *name)
{
	size_t n = strlen(name);

	return c->argc > 0 && c->lens[0] == n &&
	       !strncasecmp(c->argv[0], name, n);
}

enum tu_cmp tu_diff_cmp_for(const struct tu_cmd *c)
{
	static const struct {
		const char *name;
		enum tu_cmp how;
	} table[] = {
		{ "ttl", TU_CMP_TTL },
		{ "pttl", TU_CMP_PTTL },
		{ "keys", TU_CMP_KEYS },
		{ "scan", TU_CMP_SCAN },
		{ "hscan", TU_CMP_SCAN },
		{ "sscan", TU_CMP_SCAN },
		{ "zscan", TU_CMP_SCAN },
		{ "hgetall", TU_CMP_PAIRS },
		{ "hkeys", TU_CMP_MULTISET },
		{ "hvals", TU_CMP_MULTISET },
		{ "smembers", TU_CMP_MULTISET },
		{ "sinter", TU_CMP_MULTISET },
		{ "sunion", TU_CMP_MULTISET },
		{ "sdiff", TU_CMP_MULTISET },
		{ "spop", TU_CMP_SHAPE },
		{ "srandmember", TU_CMP_SHAPE },
		{ "hrandfield", TU_CMP_SHAPE },
		{ "zrandmember", TU_CMP_SHAPE },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (name_is(c, table[i].name))
			return table[i].how;
	return TU_CMP_EXACT;
}

/* -------------------------------------------------------- reply parsing */

void tu_items_add(struct tu_items *it, const char *p, size_t len)
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
	const struct tu_item *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int d = n ? memcmp(x->p, y->p, n) : 0;

	if (d)
		return d;
	return x->len < y->len ? -1 : x->len > y->len;
}

void tu_items_sort(struct tu_items *it, bool unique)
{
	size_t w = 0;

	if (!it->n)
		return;
	qsort(it->v, it->n, sizeof(*it->v), item_cmp);
	if (!unique)
		return;
	for (size_t r = 1; r < it->n; r++)
		if (item_cmp(&it->v[w], &it->v[r]))
			it->v[++w] = it->v[r];
	it->n = w + 1;
}

bool tu_items_equal(const struct tu_items *a, const struct tu_items *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (item_cmp(&a->v[i], &b->v[i]))
			return false;
	return true;
}

bool tu_parse_bulk_array(const char **p, const char *end, struct tu_items *it)
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
		tu_items_add(it, e + 2, (size_t)l);
		*p = e + 2 + l + 2;
	}
	return true;
}

bool tu_parse_int(const struct tu_buf *r, long long *v)
{
	char *e;

	if (r->len < 4 || r->p[0] != ':')
		return false;
	errno = 0;
	*v = strtoll(r->p + 1, &e, 10);
	return errno == 0 && e == r->p + r->len - 2;
}

/*
 * Pairs of items (field, value) as single items, so that sorting keeps a
 * field with its value: each is the field's length (a size_t), the field
 * and the value, appended to store; out points into store.
 */
static void items_join_pairs(const struct tu_items *in, struct tu_buf *store,
			     struct tu_items *out)
{
	size_t off = 0;

	for (size_t i = 0; i + 1 < in->n; i += 2) {
		size_t len = sizeof(size_t) + in->v[i].len + in->v[i + 1].len;

		tu_buf_add(store, &len, sizeof(len));
		tu_buf_add(store, &in->v[i].len, sizeof(size_t));
		tu_buf_add(store, in->v[i].p, in->v[i].len);
		tu_buf_add(store, in->v[i + 1].p, in->v[i + 1].len);
	}
	while (off < store->len) {
		size_t len;

		memcpy(&len, store->p + off, sizeof(len));
		off += sizeof(len);
		tu_items_add(out, store->p + off, len);
		off += len;
	}
}

/* -------------------------------------------------------------- reports */

void tu_diff_print_escaped(const char *p, size_t n)
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

void tu_diff_print_cmd(const struct tu_cmd *c)
{
	for (int i = 0; i < c->argc; i++) {
		fputs(i ? " \"" : "\"", stderr);
		tu_diff_print_escaped(c->argv[i], c->lens[i]);
		fputc('"', stderr);
	}
}

bool tu_diff_mismatch(struct tu_diff *d, const struct tu_cmd *c,
		      const char *what, const char *r0, size_t l0,
		      const char *r1, size_t l1)
{
	d->failures++;
	if (d->seed)
		fprintf(stderr,
			"\nDIFF: SHMREP_SEED=%llu command #%ld (%s):\n  ",
			(unsigned long long)d->seed, d->cmdno, what);
	else
		fprintf(stderr, "\nDIFF: fixed list, command #%ld (%s):\n  ",
			d->cmdno, what);
	tu_diff_print_cmd(c);
	fputs("\n  redis:   \"", stderr);
	tu_diff_print_escaped(r0, l0);
	fputs("\"\n  shmrepd: \"", stderr);
	tu_diff_print_escaped(r1, l1);
	fputs("\"\n", stderr);
	return d->keepgoing;
}

/* ----------------------------------------------------------- exchanges */

bool tu_diff_call(struct tu_diff *d, int side, const struct tu_cmd *c,
		  struct tu_buf *out)
{
	struct tu_conn *cn = &d->c[side];

	if (!tu_conn_call(cn, c->argc, c->argv, c->lens, out))
		return true;
	d->failures++;
	fprintf(stderr,
		"\nDIFF: SHMREP_SEED=%llu command #%ld: no reply from %s to ",
		(unsigned long long)d->seed, d->cmdno, cn->who);
	tu_diff_print_cmd(c);
	fputc('\n', stderr);
	return false;
}

bool tu_diff_call_both(struct tu_diff *d, const struct tu_cmd *c)
{
	return tu_diff_call(d, 0, c, &d->rep[0]) &&
	       tu_diff_call(d, 1, c, &d->rep[1]);
}

bool tu_diff_same_reply(const struct tu_diff *d)
{
	return d->rep[0].len == d->rep[1].len &&
	       !memcmp(d->rep[0].p, d->rep[1].p, d->rep[0].len);
}

bool tu_reply_is_error(const struct tu_buf *r)
{
	return r->len && r->p[0] == '-';
}

/* ---------------------------------------------------------- comparisons */

bool tu_diff_check_exact(struct tu_diff *d, const struct tu_cmd *c)
{
	if (tu_diff_same_reply(d))
		return true;
	return tu_diff_mismatch(d, c, "reply", d->rep[0].p, d->rep[0].len,
				d->rep[1].p, d->rep[1].len);
}

static bool check_ttl(struct tu_diff *d, const struct tu_cmd *c,
		      long long slack)
{
	long long a, b;

	if (tu_diff_same_reply(d))
		return true;
	if (tu_parse_int(&d->rep[0], &a) && tu_parse_int(&d->rep[1], &b) &&
	    a >= 0 && b >= 0 && llabs(a - b) <= slack)
		return true;
	return tu_diff_mismatch(d, c, "ttl", d->rep[0].p, d->rep[0].len,
				d->rep[1].p, d->rep[1].len);
}

/* Arrays of bulk strings compared as sorted sets (unique), multisets, or
 * multisets of pairs. */
static bool check_sorted(struct tu_diff *d, const struct tu_cmd *c,
			 enum tu_cmp how)
{
	struct tu_items it[2] = { { 0 } }, pairs[2] = { { 0 } };
	struct tu_buf store[2] = { { 0 } };
	const char *what = how == TU_CMP_KEYS	  ? "keys, sorted"
			   : how == TU_CMP_PAIRS ? "pairs, sorted"
						 : "elements, sorted";
	bool ok = true;

	if (tu_diff_same_reply(d))
		return true;
	for (int i = 0; i < 2 && ok; i++) {
		const char *p = d->rep[i].p, *end = p + d->rep[i].len;

		ok = tu_parse_bulk_array(&p, end, &it[i]) && p == end;
	}
	for (int i = 0; i < 2 && ok && how == TU_CMP_PAIRS; i++) {
		ok = it[i].n % 2 == 0;
		items_join_pairs(&it[i], &store[i], &pairs[i]);
		free(it[i].v);
		it[i] = pairs[i];
	}
	if (ok) {
		tu_items_sort(&it[0], how == TU_CMP_KEYS);
		tu_items_sort(&it[1], how == TU_CMP_KEYS);
		ok = tu_items_equal(&it[0], &it[1]);
	}
	for (int i = 0; i < 2; i++) {
		free(it[i].v);
		tu_buf_free(&store[i]);
	}
	if (ok)
		return true;
	return tu_diff_mismatch(d, c, what, d->rep[0].p, d->rep[0].len,
				d->rep[1].p, d->rep[1].len);
}

/* The same kind of reply; arrays of the same length. */
static bool check_shape(struct tu_diff *d, const struct tu_cmd *c)
{
	const struct tu_buf *a = &d->rep[0], *b = &d->rep[1];
	bool ok;

	if (tu_reply_is_error(a) || tu_reply_is_error(b) || a->p[0] == ':')
		return tu_diff_check_exact(d, c);
	ok = a->p[0] == b->p[0];
	if (ok && a->p[0] == '*')
		ok = strtoll(a->p + 1, NULL, 10) == strtoll(b->p + 1, NULL, 10);
	if (ok && a->p[0] == '$')
		ok = (strtoll(a->p + 1, NULL, 10) < 0) ==
		     (strtoll(b->p + 1, NULL, 10) < 0);
	if (ok)
		return true;
	return tu_diff_mismatch(d, c, "reply shape", a->p, a->len, b->p,
				b->len);
}

/* Where a SCAN-like command has its cursor, and whether it returns pairs. */
static int scan_cursor_arg(const struct tu_cmd *c, bool *pairs)
{
	*pairs = name_is(c, "hscan") || name_is(c, "zscan");
	return name_is(c, "scan") ? 1 : 2;
}

/*
 * Iterate one server with c0's arguments from the reply already in
 * d->rep[i] to cursor 0, appending each element (each pair, joined) to
 * store as its length (a size_t) and its bytes.  false if a reply is not a
 * SCAN reply or the iteration does not end.
 */
static bool scan_all(struct tu_diff *d, int i, const struct tu_cmd *c0,
		     struct tu_buf *store)
{
	struct tu_cmd *c = malloc(sizeof(*c));
	bool pairs, ok = false;
	int carg = scan_cursor_arg(c0, &pairs);

	if (!c)
		abort();
	tu_cmd_copy(c, c0);
	for (int calls = 0; calls < TU_DIFF_SCAN_MAX_CALLS; calls++) {
		const struct tu_buf *r = &d->rep[i];
		const char *p = r->p, *end = r->p + r->len, *cur;
		struct tu_items it = { 0 }, joined = { 0 };
		struct tu_buf js = { 0 };
		char *e;
		long long clen;

		if (r->len < 5 || memcmp(p, "*2\r\n$", 5))
			break;
		clen = strtoll(p + 5, &e, 10);
		if (clen <= 0 || clen > 30 || e + 2 + clen + 2 > end)
			break;
		cur = e + 2;
		p = cur + clen + 2;
		if (!tu_parse_bulk_array(&p, end, &it) || p != end ||
		    (pairs && it.n % 2)) {
			free(it.v);
			break;
		}
		if (pairs) {
			items_join_pairs(&it, &js, &joined);
			free(it.v);
			it = joined;
		}
		for (size_t k = 0; k < it.n; k++) {
			tu_buf_add(store, &it.v[k].len, sizeof(size_t));
			tu_buf_add(store, it.v[k].p, it.v[k].len);
		}
		free(it.v);
		tu_buf_free(&js);
		if (clen == 1 && cur[0] == '0') {
			ok = true;
			break;
		}
		if (c->used + (size_t)clen > TU_DIFF_ARENA)
			break;
		/* Past the arguments, overwritten by each call's cursor. */
		memcpy(c->arena + c->used, cur, (size_t)clen);
		c->argv[carg] = c->arena + c->used;
		c->lens[carg] = (size_t)clen;
		if (tu_conn_call(&d->c[i], c->argc, c->argv, c->lens, &d->rep[i]))
			break;
	}
	free(c);
	return ok;
}

/* The elements scan_all() stored, as items pointing into store. */
static void stored_items(const struct tu_buf *store, struct tu_items *items)
{
	for (size_t off = 0; off < store->len;) {
		size_t len;

		memcpy(&len, store->p + off, sizeof(len));
		off += sizeof(len);
		tu_items_add(items, store->p + off, len);
		off += len;
	}
}

static bool check_scan(struct tu_diff *d, const struct tu_cmd *c)
{
	struct tu_buf store[2] = { { 0 } };
	struct tu_items keys[2] = { { 0 } };
	bool ok[2], res;

	if (tu_reply_is_error(&d->rep[0]) || tu_reply_is_error(&d->rep[1]))
		return tu_diff_check_exact(d, c);
	ok[0] = scan_all(d, 0, c, &store[0]);
	ok[1] = scan_all(d, 1, c, &store[1]);
	stored_items(&store[0], &keys[0]);
	stored_items(&store[1], &keys[1]);
	tu_items_sort(&keys[0], true);
	tu_items_sort(&keys[1], true);
	res = ok[0] && ok[1] && tu_items_equal(&keys[0], &keys[1]);
	if (!res) {
		const char *what = ok[0] && ok[1] ? "scanned keys" : "scan reply";
		struct tu_buf show[2] = { { 0 } };

		for (int i = 0; i < 2; i++) {
			if (!ok[i])
				tu_buf_add(&show[i], d->rep[i].p, d->rep[i].len);
			for (size_t k = 0; ok[i] && k < keys[i].n; k++) {
				const struct tu_item *key = &keys[i].v[k];

				tu_buf_add(&show[i], key->p, key->len);
				tu_buf_add(&show[i], ",", 1);
			}
		}
		res = tu_diff_mismatch(d, c, what, show[0].p ? show[0].p : "",
				       show[0].len, show[1].p ? show[1].p : "",
				       show[1].len);
		tu_buf_free(&show[0]);
		tu_buf_free(&show[1]);
	}
	for (int i = 0; i < 2; i++) {
		tu_buf_free(&store[i]);
		free(keys[i].v);
	}
	return res;
}

bool tu_diff_check(struct tu_diff *d, const struct tu_cmd *c)
{
	switch (c->how) {
	case TU_CMP_TTL:
		return check_ttl(d, c, TU_DIFF_TTL_SLACK_S);
	case TU_CMP_PTTL:
		return check_ttl(d, c, TU_DIFF_PTTL_SLACK_MS);
	case TU_CMP_KEYS:
	case TU_CMP_MULTISET:
	case TU_CMP_PAIRS:
		if (tu_reply_is_error(&d->rep[0]) ||
		    tu_reply_is_error(&d->rep[1]))
			return tu_diff_check_exact(d, c);
		return check_sorted(d, c, c->how);
	case TU_CMP_SCAN:
		return check_scan(d, c);
	case TU_CMP_SHAPE:
		return check_shape(d, c);
	default:
		return tu_diff_check_exact(d, c);
	}
}

bool tu_diff_run(struct tu_diff *d, const struct tu_cmd *c)
{
	d->cmdno++;
	if (!tu_diff_call_both(d, c))
		return false;
	if (d->trace) {
		fprintf(stderr, "#%ld ", d->cmdno);
		tu_diff_print_cmd(c);
		fputs(" -> ", stderr);
		tu_diff_print_escaped(d->rep[0].p, d->rep[0].len);
		fputc('\n', stderr);
	}
	return tu_diff_check(d, c);
}

bool tu_diff_run_line(struct tu_diff *d, const char *line)
{
	struct tu_cmd *c = malloc(sizeof(*c));
	bool ok;

	if (!c)
		abort();
	tu_cmd_line(c, line);
	c->how = tu_diff_cmp_for(c);
	ok = tu_diff_run(d, c);
	free(c);
	return ok;
}

/* Compare one key's value, read the way its type (Redis's TYPE reply,
 * e.g. "+hash\r\n") says. */
static bool compare_value(struct tu_diff *d, struct tu_cmd *c,
			  const struct tu_item *key, const char *type)
{
	static const struct {
		const char *type, *cmd, *args;
		enum tu_cmp how;
	} readers[] = {
		{ "+string\r\n", "GET", "", TU_CMP_EXACT },
		{ "+hash\r\n", "HGETALL", "", TU_CMP_PAIRS },
		{ "+set\r\n", "SMEMBERS", "", TU_CMP_MULTISET },
		{ "+list\r\n", "LRANGE", "0 -1", TU_CMP_EXACT },
		{ "+zset\r\n", "ZRANGE", "0 -1 WITHSCORES", TU_CMP_EXACT },
	};

	for (size_t i = 0; i < sizeof(readers) / sizeof(readers[0]); i++) {
		if (strcmp(type, readers[i].type))
			continue;
		tu_cmd_reset(c);
		tu_cmd_str(c, readers[i].cmd);
		tu_cmd_ref(c, key->p, key->len);
		for (const char *a = readers[i].args; *a;) {
			size_t n = strcspn(a, " ");

			tu_cmd_esc(c, a, n);
			a += n;
			while (*a == ' ')
				a++;
		}
		c->how = readers[i].how;
		return tu_diff_call_both(d, c) && tu_diff_check(d, c);
	}
	return tu_diff_mismatch(d, c, "unknown type", type, strlen(type), "",
				0);
}

bool tu_diff_compare_datasets(struct tu_diff *d, int ndbs, bool typed)
{
	struct tu_cmd *c = malloc(sizeof(*c));
	bool ok = true;

	if (!c)
		abort();
	/* Redis's own fingerprint of the whole keyspace first: every value,
	 * in every database, with its type and whether it has a TTL. */
	if (typed)
		ok = tu_diff_run_line(d, "DEBUG DIGEST");
	for (int db = 0; db < ndbs && ok; db++) {
		struct tu_items keys = { 0 };
		struct tu_buf list = { 0 };
		const char *p;

		tu_cmd_reset(c);
		tu_cmd_str(c, "SELECT");
		tu_cmd_fmt(c, "%d", db);
		ok = tu_diff_call_both(d, c) && tu_diff_check_exact(d, c);
		if (!ok)
			break;
		tu_cmd_reset(c);
		tu_cmd_str(c, "KEYS");
		tu_cmd_str(c, "*");
		c->how = TU_CMP_KEYS;
		ok = tu_diff_call_both(d, c) && tu_diff_check(d, c);
		if (!ok)
			break;
		/* Keep the list: the replies below overwrite d->rep. */
		tu_buf_add(&list, d->rep[0].p, d->rep[0].len);
		p = list.p;
		if (!tu_parse_bulk_array(&p, list.p + list.len, &keys))
			ok = tu_diff_mismatch(d, c, "keys reply", d->rep[0].p,
					      d->rep[0].len, "", 0);
		for (size_t k = 0; ok && k < keys.n; k++) {
			if (typed) {
				char type[32];

				tu_cmd_reset(c);
				tu_cmd_str(c, "TYPE");
				tu_cmd_ref(c, keys.v[k].p, keys.v[k].len);
				ok = tu_diff_call_both(d, c) &&
				     tu_diff_check_exact(d, c);
				if (!ok)
					break;
				snprintf(type, sizeof(type), "%s", d->rep[0].p);
				ok = compare_value(d, c, &keys.v[k], type);
			} else {
				tu_cmd_reset(c);
				tu_cmd_str(c, "GET");
				tu_cmd_ref(c, keys.v[k].p, keys.v[k].len);
				ok = tu_diff_call_both(d, c) &&
				     tu_diff_check_exact(d, c);
			}
			if (!ok)
				break;
			tu_cmd_reset(c);
			tu_cmd_str(c, "PTTL");
			tu_cmd_ref(c, keys.v[k].p, keys.v[k].len);
			c->how = TU_CMP_PTTL;
			ok = tu_diff_call_both(d, c) && tu_diff_check(d, c);
		}
		free(keys.v);
		tu_buf_free(&list);
	}
	free(c);
	return ok;
}

/* ------------------------------------------------------------- servers */

uint64_t tu_rnd(uint64_t *rng, uint64_t n)
{
	return tu_rand(rng) % n;
}

bool tu_chance(uint64_t *rng, unsigned pct)
{
	return tu_rnd(rng, 100) < pct;
}

void tu_cmd_word(struct tu_cmd *c, uint64_t *rng, const char *w)
{
	char tmp[64];
	size_t n = strlen(w);
	unsigned mode = (unsigned)tu_rnd(rng, 3);

	if (n > sizeof(tmp))
		n = sizeof(tmp);
	for (size_t i = 0; i < n; i++) {
		bool up = mode == 1 || (mode == 2 && tu_chance(rng, 50));
		char ch = w[i];

		if (up && ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 32);
		else if (!up && ch >= 'A' && ch <= 'Z')
			ch = (char)(ch + 32);
		tmp[i] = ch;
	}
	tu_cmd_raw(c, tmp, n);
}

bool tu_diff_env_flag(const char *name)
{
	const char *e = getenv(name);

	return e && *e && strcmp(e, "0");
}

long tu_diff_env_long(const char *name, long dflt)
{
	const char *e = getenv(name);

	return e && *e ? strtol(e, NULL, 0) : dflt;
}

bool tu_diff_start(struct tu_diff *d, struct tu_daemon *r, struct tu_daemon *s,
		   const char *tag, const char *const *extra)
{
	char rtag[64];

	tu_diff_init();
	memset(d, 0, sizeof(*d));
	d->keepgoing = tu_diff_env_flag("SHMREP_DIFF_KEEPGOING");
	d->trace = tu_diff_env_flag("SHMREP_DIFF_TRACE");
	d->c[0].who = "redis-server";
	d->c[1].who = "shmrepd";
	d->c[0].fd = d->c[1].fd = -1;
	snprintf(rtag, sizeof(rtag), "%sr", tag);
	if (tu_redis_start(r, rtag)) {
		fprintf(stderr, "redis-server did not start\n");
		return false;
	}
	if (tu_daemon_start(s, tag, extra)) {
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

bool tu_diff_stop(struct tu_diff *d, struct tu_daemon *r, struct tu_daemon *s)
{
	int rc;

	for (int i = 0; i < 2; i++) {
		if (d->c[i].fd >= 0)
			close(d->c[i].fd);
		tu_buf_free(&d->c[i].in);
		tu_buf_free(&d->c[i].req);
		tu_buf_free(&d->rep[i]);
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

bool tu_diff_have_redis(void)
{
	if (access("/usr/bin/redis-server", X_OK) == 0)
		return true;
	fprintf(stderr, "redis-server not installed: skipped\n");
	return false;
}

bool tu_diff_fixed(const char *tag, const char *const *lines,
		   tu_diff_line_fn *line, int ndbs, bool typed)
{
	struct tu_daemon r, s;
	struct tu_diff d;
	bool ok = false;
	int n = 0;

	if (!tu_diff_have_redis())
		return true;
	if (tu_diff_start(&d, &r, &s, tag, NULL)) {
		ok = true;
		for (; lines[n] && (ok || d.keepgoing); n++)
			ok = line(&d, lines[n]) && ok;
		if (ok || d.keepgoing)
			ok = tu_diff_compare_datasets(&d, ndbs, typed) && ok;
		ok = ok && !d.failures;
		fprintf(stderr, "fixed list: %d commands, %s\n", n,
			ok ? "no difference" : "DIFFERENT");
	}
	return tu_diff_stop(&d, &r, &s) && ok;
}

bool tu_diff_random(const char *tag, const char *const *extra, long runs,
		    long ncmds, tu_diff_gen_fn *gen, void *arg)
{
	uint64_t seed = tu_seed();
	struct tu_daemon r, s;
	struct tu_diff d;
	bool ok = false;

	if (!tu_diff_have_redis())
		return true;
	ncmds = tu_diff_env_long("SHMREP_DIFF_CMDS", ncmds);
	if (tu_diff_start(&d, &r, &s, tag, extra)) {
		uint64_t t0 = tu_now_ms();

		ok = true;
		for (long i = 0; i < runs && (ok || d.keepgoing); i++)
			ok = gen(&d, seed + (uint64_t)i, ncmds, arg) && ok;
		ok = ok && !d.failures;
		fprintf(stderr,
			"%ld runs of %ld commands from SHMREP_SEED=%llu: %s, %llu ms\n",
			runs, ncmds, (unsigned long long)seed,
			ok ? "no difference" : "DIFFERENT",
			(unsigned long long)(tu_now_ms() - t0));
	}
	return tu_diff_stop(&d, &r, &s) && ok;
}
