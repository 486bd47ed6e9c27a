/*
 * tu_json.c - see tu_json.h.  Recursive descent over the text; depth is
 * bounded so that a hostile file cannot exhaust the stack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tu_json.h"

#define MAX_DEPTH 64

struct parser {
	const char *p, *end;
	char *err;
	size_t errlen;
	bool failed;
};

/* The first failure wins: its message, and where (parse reports the
 * offset). */
static void fail(struct parser *ps, const char *what)
{
	if (!ps->failed)
		snprintf(ps->err, ps->errlen, "%s", what);
	ps->failed = true;
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
				   *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		abort();
	return q;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex4(struct parser *ps, unsigned *out)
{
	unsigned v = 0;

	if (ps->end - ps->p < 4)
		return false;
	for (int i = 0; i < 4; i++) {
		int h = hexval(ps->p[i]);

		if (h < 0)
			return false;
		v = v << 4 | (unsigned)h;
	}
	ps->p += 4;
	*out = v;
	return true;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* At the opening quote: the decoded string into j. */
static void parse_string(struct parser *ps, struct tu_json *j)
{
	const char *start = ++ps->p;
	size_t cap = 0;
	char *o;
	size_t n = 0;

	/* Decoded is never longer than escaped: size by the raw span. */
	while (ps->p < ps->end && *ps->p != '"')
		ps->p += *ps->p == '\\' && ps->p + 1 < ps->end ? 2 : 1;
	if (ps->p >= ps->end) {
		fail(ps, "unterminated string");
		return;
	}
	cap = (size_t)(ps->p - start) + 1;
	o = xrealloc(NULL, cap);
	ps->p = start;
	while (*ps->p != '"') {
		char c = *ps->p++;
		unsigned cp, lo;

		if ((unsigned char)c < 0x20) {
			fail(ps, "control character in string");
			break;
		}
		if (c != '\\') {
			o[n++] = c;
			continue;
		}
		c = *ps->p++;
		switch (c) {
		case '"': case '\\': case '/':
			o[n++] = c;
			break;
		case 'b': o[n++] = '\b'; break;
		case 'f': o[n++] = '\f'; break;
		case 'n': o[n++] = '\n'; break;
		case 'r': o[n++] = '\r'; break;
		case 't': o[n++] = '\t'; break;
		case 'u':
			if (!hex4(ps, &cp)) {
				fail(ps, "bad \\u escape");
				break;
			}
			/* A high surrogate takes the low one that follows. */
			if (cp >= 0xd800 && cp < 0xdc00 && ps->end - ps->p >= 6 &&
			    ps->p[0] == '\\' && ps->p[1] == 'u') {
				const char *save = ps->p;

				ps->p += 2;
				if (hex4(ps, &lo) && lo >= 0xdc00 && lo < 0xe000)
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					     (lo - 0xdc00);
				else
					ps->p = save;
			}
			/* \uXXXX takes 6 bytes and gives at most 4 (a pair:
			 * 12 and 4), so the buffer still fits. */
			n += put_utf8(o + n, cp);
			break;
		default:
			fail(ps, "bad escape");
			break;
		}
		if (ps->failed)
			break;
	}
	if (ps->failed) {
		free(o);
		return;
	}
	ps->p++;
	o[n] = 0;
	j->type = TJ_STR;
	j->s = o;
	j->len = n;
}

static void parse_value(struct parser *ps, struct tu_json *j, int depth);

static void parse_list(struct parser *ps, struct tu_json *j, int depth,
		       bool obj)
{
	size_t cap = 0, per = obj ? 2 : 1;

	j->type = obj ? TJ_OBJ : TJ_ARR;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
		ps->p++;
		return;
	}
	for (;;) {
		struct tu_json *it;

		if ((j->n + 1) * per > cap) {
			cap = cap ? 2 * cap : 8;
			j->items = xrealloc(j->items, cap * sizeof(*j->items));
		}
		it = &j->items[j->n * per];
		memset(it, 0, per * sizeof(*it));
		j->n++;
		skip_ws(ps);
		if (obj) {
			if (ps->p >= ps->end || *ps->p != '"') {
				fail(ps, "expected a member name");
				return;
			}
			parse_string(ps, it);
			if (ps->failed)
				return;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				fail(ps, "expected ':'");
				return;
			}
			ps->p++;
			it++;
		}
		parse_value(ps, it, depth + 1);
		if (ps->failed)
			return;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
			ps->p++;
			return;
		}
		fail(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'");
		return;
	}
}

static bool word(struct parser *ps, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, w, n))
		return false;
	ps->p += n;
	return true;
}

static void parse_value(struct parser *ps, struct tu_json *j, int depth)
{
	const char *start;

	if (depth > MAX_DEPTH) {
		fail(ps, "nested too deep");
		return;
	}
	skip_ws(ps);
	if (ps->p >= ps->end) {
		fail(ps, "unexpected end");
		return;
	}
	switch (*ps->p) {
	case '"':
		parse_string(ps, j);
		return;
	case '{':
	case '[':
		parse_list(ps, j, depth, *ps->p == '{');
		return;
	}
	if (word(ps, "null")) {
		j->type = TJ_NULL;
		return;
	}
	if (word(ps, "true") || word(ps, "false")) {
		j->type = TJ_BOOL;
		j->b = ps->p[-1] == 'e' && ps->p[-2] == 'u';
		return;
	}
	start = ps->p;
	while (ps->p < ps->end && strchr("+-0123456789.eE", *ps->p))
		ps->p++;
	if (ps->p == start) {
		fail(ps, "unexpected character");
		return;
	}
	j->type = TJ_NUM;
	j->len = (size_t)(ps->p - start);
	j->s = xrealloc(NULL, j->len + 1);
	memcpy(j->s, start, j->len);
	j->s[j->len] = 0;
}

static void free_items(struct tu_json *j)
{
	size_t total = j->type == TJ_OBJ ? 2 * j->n : j->n;

	for (size_t i = 0; i < total; i++)
		free_items(&j->items[i]);
	free(j->items);
	free(j->s);
}

struct tu_json *tu_json_parse(const char *text, size_t len, char *err,
			      size_t errlen)
{
	struct parser ps = { text, text + len, err, errlen, false };
	struct tu_json *j = calloc(1, sizeof(*j));

	if (!j)
		abort();
	parse_value(&ps, j, 0);
	skip_ws(&ps);
	if (!ps.failed && ps.p != ps.end)
		fail(&ps, "trailing bytes");
	if (ps.failed) {
		char what[128];

		snprintf(what, sizeof(what), "%s", err);
		snprintf(err, errlen, "%s at offset %zu", what,
			 (size_t)(ps.p - text));
		tu_json_free(j);
		return NULL;
	}
	return j;
}

struct tu_json *tu_json_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	struct tu_json *j;
	char *text;
	long n;

	if (!f) {
		snprintf(err, errlen, "cannot open %s", path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		snprintf(err, errlen, "cannot size %s", path);
		return NULL;
	}
	text = xrealloc(NULL, (size_t)n);
	if (fread(text, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(text);
		snprintf(err, errlen, "cannot read %s", path);
		return NULL;
	}
	fclose(f);
	j = tu_json_parse(text, (size_t)n, err, errlen);
	free(text);
	return j;
}

void tu_json_free(struct tu_json *j)
{
	if (!j)
		return;
	free_items(j);
	free(j);
}

const struct tu_json *tu_json_get(const struct tu_json *o, const char *key)
{
	size_t kl = strlen(key);

	if (!o || o->type != TJ_OBJ)
		return NULL;
	for (size_t i = 0; i < o->n; i++) {
		const struct tu_json *k = &o->items[2 * i];

		if (k->len == kl && !memcmp(k->s, key, kl))
			return k + 1;
	}
	return NULL;
}
