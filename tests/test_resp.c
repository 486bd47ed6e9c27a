/*
 * test_resp.c - the RESP2 parser and reply builder.
 *
 * Parser inputs are run through feed(), which hands them to the parser in
 * chosen chunks, moving the buffer to fresh memory before every call (so a
 * stale pointer inside the parser would be caught by ASan) and optionally
 * dropping the consumed bytes, and records what came out as a transcript:
 * "{argc}len:bytes;...", ending with "=AGAIN" or "=<error text>".  Every
 * expected transcript in the tables was checked against a Redis 7.0.15
 * server.  The same input must give the same transcript however it is
 * split, except that the "too big" limits can fire earlier in small reads,
 * as they do in Redis.
 */
#include <ctype.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"
#include "testutil.h"

/* A string literal with its length, so that embedded NULs count. */
#define S(lit) lit, sizeof(lit) - 1

#define E_MBULK_LEN "=ERR Protocol error: invalid multibulk length"
#define E_MBULK_UNAUTH "=ERR Protocol error: unauthenticated multibulk length"
#define E_MBULK_BIG "=ERR Protocol error: too big mbulk count string"
#define E_BULK_LEN "=ERR Protocol error: invalid bulk length"
#define E_BULK_UNAUTH "=ERR Protocol error: unauthenticated bulk length"
#define E_BULK_BIG "=ERR Protocol error: too big bulk count string"
#define E_INLINE_BIG "=ERR Protocol error: too big inline request"
#define E_QUOTES "=ERR Protocol error: unbalanced quotes in request"
#define E_DOLLAR(c) "=ERR Protocol error: expected '$', got '" c "'"

enum { CH_ALL, CH_BYTES, CH_RANDOM, CH_SPLIT, CH_FIXED };

struct feed {
	int chunks;	   /* CH_* */
	size_t arg;	   /* CH_SPLIT: split point; CH_FIXED: chunk size */
	bool compact;	   /* drop consumed bytes between calls */
	bool unauth;	   /* parser limits for unauthenticated clients */
	size_t max_inline; /* 0: default */
	uint64_t max_bulk; /* 0: default */
	uint64_t *rs;	   /* CH_RANDOM */
	uint64_t calls;	   /* out: resp_parse() calls */
	uint64_t scanned;  /* out: the parser's scanned counter */
};

static void tr_printf(struct resp_out *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void tr_printf(struct resp_out *t, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	resp_add_raw(t, buf, (size_t)n);
}

static size_t next_chunk(struct feed *f, size_t off, size_t n)
{
	size_t left = n - off, k;

	switch (f->chunks) {
	case CH_BYTES:
		return 1;
	case CH_SPLIT:
		return off < f->arg ? f->arg - off : left;
	case CH_FIXED:
		return f->arg < left ? f->arg : left;
	case CH_RANDOM:
		k = tu_rand(f->rs) % 4 ? 1 + tu_rand(f->rs) % 16
				       : 1 + tu_rand(f->rs) % 4096;
		return k < left ? k : left;
	default:
		return left;
	}
}

/* Feed in[0, n) to a fresh parser as f says; return the transcript. */
static struct resp_out feed(const char *in, size_t n, struct feed *f)
{
	struct resp_out t = { 0 };
	struct resp_parser p;
	char *buf = NULL, err[RESP_ERR_MAX];
	size_t blen = 0, pos = 0, off = 0;
	int rc = RESP_AGAIN;

	resp_parser_init(&p);
	p.authenticated = !f->unauth;
	if (f->max_inline)
		p.max_inline = f->max_inline;
	if (f->max_bulk)
		p.max_bulk = f->max_bulk;
	f->calls = 0;
	while (off < n) {
		size_t k = next_chunk(f, off, n);
		char *nb = malloc(blen + k + 1);

		/* Fresh memory every time: the parser must hold no pointers. */
		CU_ASSERT_FATAL(nb != NULL);
		if (blen)
			memcpy(nb, buf, blen);
		memcpy(nb + blen, in + off, k);
		free(buf);
		buf = nb;
		blen += k;
		off += k;
		for (;;) {
			size_t before = pos;

			rc = resp_parse(&p, buf, blen, &pos, err, sizeof(err));
			f->calls++;
			CU_ASSERT_FATAL(pos >= before && pos <= blen);
			if (rc != RESP_OK) {
				CU_ASSERT_FATAL(pos == before);
				break;
			}
			CU_ASSERT_FATAL(pos > before);
			CU_ASSERT_FATAL(p.argc >= 0);
			tr_printf(&t, "{%d}", p.argc);
			for (int i = 0; i < p.argc; i++) {
				const struct resp_arg *a = &p.argv[i];

				CU_ASSERT_FATAL(a->p >= buf + before &&
						a->p + a->len <= buf + pos);
				tr_printf(&t, "%zu:", a->len);
				resp_add_raw(&t, a->p, a->len);
				resp_add_raw(&t, ";", 1);
			}
		}
		if (rc == RESP_ERR)
			break;
		if (f->compact && pos) {
			memmove(buf, buf + pos, blen - pos);
			blen -= pos;
			pos = 0;
		}
	}
	if (rc == RESP_ERR)
		tr_printf(&t, "=%s", err);
	else
		tr_printf(&t, "=AGAIN");
	f->scanned = p.scanned;
	resp_parser_free(&p);
	free(buf);
	return t;
}

static void print_escaped(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 32 && c < 127 && c != '\\')
			fputc(c, stderr);
		else
			fprintf(stderr, "\\x%02x", c);
	}
}

/* Compare a transcript with the expected one, explaining a mismatch. */
static bool same(const struct resp_out *t, const char *want, size_t wlen,
		 const char *in, size_t n, const char *how)
{
	if (t->len == wlen && !memcmp(t->buf, want, wlen))
		return true;
	fprintf(stderr, "\ninput (%s): ", how);
	print_escaped(in, n < 200 ? n : 200);
	fprintf(stderr, "\n  got:  ");
	print_escaped(t->buf, t->len < 300 ? t->len : 300);
	fprintf(stderr, "\n  want: ");
	print_escaped(want, wlen < 300 ? wlen : 300);
	fprintf(stderr, "\n");
	return false;
}

/*
 * Check input against want whole, byte by byte (with and without dropping
 * consumed bytes), and split in two at every offset.
 */
static void check_all_splits(const char *in, size_t n, bool unauth,
			     const char *want, size_t wlen)
{
	struct feed f = { .unauth = unauth };
	struct resp_out t;
	bool ok = true;

	f.chunks = CH_ALL;
	t = feed(in, n, &f);
	ok &= same(&t, want, wlen, in, n, "whole");
	resp_out_free(&t);
	for (int c = 0; c < 2 && ok; c++) {
		f.chunks = CH_BYTES;
		f.compact = c;
		t = feed(in, n, &f);
		ok &= same(&t, want, wlen, in, n, "bytes");
		resp_out_free(&t);
	}
	f.compact = false;
	for (size_t i = 1; i < n && ok; i++) {
		f.chunks = CH_SPLIT;
		f.arg = i;
		t = feed(in, n, &f);
		ok &= same(&t, want, wlen, in, n, "split");
		resp_out_free(&t);
	}
	CU_ASSERT(ok);
}

struct parse_case {
	const char *in;
	size_t len;
	bool unauth;
	const char *want;
	size_t wlen;
};

static const struct parse_case mb_cases[] = {
	{ S("*1\r\n$4\r\nPING\r\n"), false, S("{1}4:PING;=AGAIN") },
	{ S("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n"), false,
	  S("{3}3:SET;1:k;5:hello;=AGAIN") },
	{ S("*0\r\n"), false, S("{0}=AGAIN") },
	{ S("*-1\r\n"), false, S("{0}=AGAIN") },
	{ S("*-5\r\nPING\r\n"), false, S("{0}{1}4:PING;=AGAIN") },
	{ S("*1\r\n$0\r\n\r\n"), false, S("{1}0:;=AGAIN") },
	{ S("*2\r\n$4\r\nECHO\r\n$3\r\na\0b\r\n"), false,
	  S("{2}4:ECHO;3:a\0b;=AGAIN") },
	{ S("*1\r\n$2\r\n\r\n\r\n"), false, S("{1}2:\r\n;=AGAIN") },
	/* What follows a payload, and the byte after a line's '\r', are
	 * skipped unchecked. */
	{ S("*1\r\n$4\r\nPINGxyPING\r\n"), false,
	  S("{1}4:PING;{1}4:PING;=AGAIN") },
	{ S("*1\rX$4\r\nPING\r\n"), false, S("{1}4:PING;=AGAIN") },
	{ S("*1\r\n$4\rXPING\r\n"), false, S("{1}4:PING;=AGAIN") },
	/* Incomplete. */
	{ S(""), false, S("=AGAIN") },
	{ S("*"), false, S("=AGAIN") },
	{ S("*1\r"), false, S("=AGAIN") },
	{ S("*1\r\n$4\r"), false, S("=AGAIN") },
	{ S("*1\r\n$4\r\nPIN"), false, S("=AGAIN") },
	{ S("*1\r\n$4\r\nPING\r"), false, S("=AGAIN") },
	{ S("*2147483647\r\n"), false, S("=AGAIN") },
	{ S("*1\r\nX"), false, S("=AGAIN") },
	/* A NUL hides the line end, as Redis's strchr() does. */
	{ S("*1\0\r\n$4\r\nPING\r\n"), false, S("=AGAIN") },
	{ S("*1\r\n$4\0\r\nPING\r\n"), false, S("=AGAIN") },
	{ S("*1\r\n\0\r\n"), false, S("=AGAIN") },
	/* Multibulk count. */
	{ S("*-0\r\n"), false, S(E_MBULK_LEN) },
	{ S("*03\r\n"), false, S(E_MBULK_LEN) },
	{ S("*\r\n"), false, S(E_MBULK_LEN) },
	{ S("*+1\r\n"), false, S(E_MBULK_LEN) },
	{ S("* 1\r\n"), false, S(E_MBULK_LEN) },
	{ S("*1 \r\n"), false, S(E_MBULK_LEN) },
	{ S("*abc\r\n"), false, S(E_MBULK_LEN) },
	{ S("*1\n$4\r\nPING\r\n"), false, S(E_MBULK_LEN) },
	{ S("*2147483648\r\n"), false, S(E_MBULK_LEN) },
	{ S("*9223372036854775808\r\n"), false, S(E_MBULK_LEN) },
	/* Bulk header. */
	{ S("*1\r\nX\r\n"), false, S(E_DOLLAR("X")) },
	{ S("*1\r\n\r\n"), false, S(E_DOLLAR(" ")) },
	{ S("*1\r\n\n\r\n"), false, S(E_DOLLAR(" ")) },
	{ S("*1\r\n\x01\r\n"), false, S(E_DOLLAR("\x01")) },
	{ S("*2\r\n$1\r\na\r\n*1\r\n"), false, S(E_DOLLAR("*")) },
	{ S("*1\r\n$\r\n"), false, S(E_BULK_LEN) },
	{ S("*1\r\n$-1\r\n"), false, S(E_BULK_LEN) },
	{ S("*1\r\n$-0\r\n"), false, S(E_BULK_LEN) },
	{ S("*1\r\n$01\r\n"), false, S(E_BULK_LEN) },
	{ S("*1\r\n$+1\r\n"), false, S(E_BULK_LEN) },
	{ S("*1\r\n$ 1\r\n"), false, S(E_BULK_LEN) },
	{ S("*1\r\n$1 \r\n"), false, S(E_BULK_LEN) },
	{ S("*1\r\n$abc\r\n"), false, S(E_BULK_LEN) },
	{ S("*1\r\n$536870912\r\n"), false, S("=AGAIN") },
	{ S("*1\r\n$536870913\r\n"), false, S(E_BULK_LEN) },
	{ S("*1\r\n$9223372036854775807\r\n"), false, S(E_BULK_LEN) },
	{ S("*1\r\n$9223372036854775808\r\n"), false, S(E_BULK_LEN) },
	/* Commands before an error are returned first. */
	{ S("*1\r\n$4\r\nPING\r\n*x\r\n"), false,
	  S("{1}4:PING;" E_MBULK_LEN) },
	/* Unauthenticated: one below and one above each limit, and the
	 * general checks first. */
	{ S("*10\r\n"), true, S("=AGAIN") },
	{ S("*11\r\n"), true, S(E_MBULK_UNAUTH) },
	{ S("*2147483648\r\n"), true, S(E_MBULK_LEN) },
	{ S("*-1\r\n"), true, S("{0}=AGAIN") },
	{ S("*1\r\n$16384\r\n"), true, S("=AGAIN") },
	{ S("*1\r\n$16385\r\n"), true, S(E_BULK_UNAUTH) },
	{ S("*1\r\n$536870913\r\n"), true, S(E_BULK_LEN) },
	{ S("*1\r\n$4\r\nAUTH\r\n"), true, S("{1}4:AUTH;=AGAIN") },
	{ S("a b c d e f g h i j k l\r\n"), true,
	  S("{12}1:a;1:b;1:c;1:d;1:e;1:f;1:g;1:h;1:i;1:j;1:k;1:l;=AGAIN") },
};

static const struct parse_case inline_cases[] = {
	{ S("PING\r\n"), false, S("{1}4:PING;=AGAIN") },
	{ S("PING\n"), false, S("{1}4:PING;=AGAIN") },
	{ S("PING"), false, S("=AGAIN") },
	{ S("PING\r"), false, S("=AGAIN") },
	{ S("SET k v\r\n"), false, S("{3}3:SET;1:k;1:v;=AGAIN") },
	{ S("\r\n\nPING\n"), false, S("{0}{0}{1}4:PING;=AGAIN") },
	{ S("  \r\nPING\r\n"), false, S("{0}{1}4:PING;=AGAIN") },
	{ S("\n"), false, S("{0}=AGAIN") },
	{ S("ECHO \"a\\x41\\x4g\\n\\t\\z\\\"b\"\r\n"), false,
	  S("{2}4:ECHO;10:aAx4g\n\tz\"b;=AGAIN") },
	{ S("ECHO \"\\r\\b\\a\"\r\n"), false, S("{2}4:ECHO;3:\r\b\a;=AGAIN") },
	{ S("ECHO 'a\\'b\\n'\r\n"), false, S("{2}4:ECHO;5:a'b\\n;=AGAIN") },
	{ S("ECHO \"ab\"c\r\n"), false, S(E_QUOTES) },
	{ S("ECHO 'ab'c\r\n"), false, S(E_QUOTES) },
	{ S("ECHO \"ab\r\n"), false, S(E_QUOTES) },
	{ S("ECHO 'ab\r\n"), false, S(E_QUOTES) },
	{ S("ECHO x\"a b\"y\r\n"), false, S(E_QUOTES) },
	{ S("ECHO x\"a b\"\r\n"), false, S("{2}4:ECHO;4:xa b;=AGAIN") },
	{ S("ECHO x'a b'\r\n"), false, S("{2}4:ECHO;4:xa b;=AGAIN") },
	{ S("ECHO  \t a\vb \r\n"), false, S("{2}4:ECHO;3:a\vb;=AGAIN") },
	{ S("\vECHO\fx\r\n"), false, S("{1}6:ECHO\fx;=AGAIN") },
	{ S("ECHO \"a\"\vb\r\n"), false, S("{3}4:ECHO;1:a;1:b;=AGAIN") },
	{ S("ECHO a\rb\r\n"), false, S("{3}4:ECHO;1:a;1:b;=AGAIN") },
	{ S("ECHO x\r\r\n"), false, S("{2}4:ECHO;1:x;=AGAIN") },
	{ S("ECHO \"\\x\"\r\n"), false, S("{2}4:ECHO;1:x;=AGAIN") },
	{ S("ECHO \"\\x4\"\r\n"), false, S("{2}4:ECHO;2:x4;=AGAIN") },
	{ S("ECHO \"\\\r\n"), false, S(E_QUOTES) },
	{ S("ECHO \"\"\r\n"), false, S("{2}4:ECHO;0:;=AGAIN") },
	{ S("ECHO ''\r\n"), false, S("{2}4:ECHO;0:;=AGAIN") },
	{ S("ECHO \"a\r\"\r\n"), false, S("{2}4:ECHO;2:a\r;=AGAIN") },
	{ S("ECHO \"\\xFF\"\r\n"), false, S("{2}4:ECHO;1:\xff;=AGAIN") },
	{ S("ECHO \"\\xff\\xAa\"\r\n"), false,
	  S("{2}4:ECHO;2:\xff\xaa;=AGAIN") },
	{ S("ECHO \"\\x00\"\r\n"), false, S("{2}4:ECHO;1:\0;=AGAIN") },
	{ S("ECHO a\x80\x62\r\n"), false, S("{2}4:ECHO;3:a\x80\x62;=AGAIN") },
	{ S("ECHO \x85\x61\r\n"), false, S("{2}4:ECHO;2:\x85\x61;=AGAIN") },
	{ S("ECHO \"a\"\x85\r\n"), false, S(E_QUOTES) },
	{ S("ECHO \"a\"'b'\r\n"), false, S(E_QUOTES) },
	{ S("ECHO 'a\\\"'\r\n"), false, S("{2}4:ECHO;3:a\\\";=AGAIN") },
	{ S("ECHO \"a\\\\b\"\r\n"), false, S("{2}4:ECHO;3:a\\b;=AGAIN") },
	{ S("ECHO '\\\\'\r\n"), false, S(E_QUOTES) },
	{ S("ECHO \"a\" \"b\"\r\n"), false, S("{3}4:ECHO;1:a;1:b;=AGAIN") },
	{ S("ECHO \"a\"\tb\r\n"), false, S("{3}4:ECHO;1:a;1:b;=AGAIN") },
	{ S("ECHO \"a\"\r\r\n"), false, S("{2}4:ECHO;1:a;=AGAIN") },
	{ S("PI\0NG\r\n"), false, S("=AGAIN") },
	{ S("\0"), false, S("=AGAIN") },
	/* Pipelines mixing both kinds. */
	{ S("PING\r\n*1\r\n$4\r\nPING\r\nPING\n*0\r\n\r\n"), false,
	  S("{1}4:PING;{1}4:PING;{1}4:PING;{0}{0}=AGAIN") },
	{ S("GET a\r\nGET \"b\r\n"), false, S("{2}3:GET;1:a;" E_QUOTES) },
};

static void run_table(const struct parse_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		check_all_splits(cases[i].in, cases[i].len, cases[i].unauth,
				 cases[i].want, cases[i].wlen);
}

static void test_multibulk_table(void)
{
	run_table(mb_cases, sizeof(mb_cases) / sizeof(mb_cases[0]));
}

static void test_inline_table(void)
{
	run_table(inline_cases, sizeof(inline_cases) / sizeof(inline_cases[0]));
}

/* One buffer holding every table input that ends without an error, in a
 * row: the transcripts must simply concatenate. */
static void test_pipeline(void)
{
	struct resp_out in = { 0 }, want = { 0 }, t;
	const struct parse_case *tabs[] = { mb_cases, inline_cases };
	const size_t ns[] = { sizeof(mb_cases) / sizeof(mb_cases[0]),
			      sizeof(inline_cases) / sizeof(inline_cases[0]) };
	uint64_t rs = tu_seed();

	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < ns[k]; i++) {
			const struct parse_case *c = &tabs[k][i];
			size_t body = c->wlen - strlen("=AGAIN");

			/* Only authenticated ones that end between
			 * commands, having returned some. */
			if (c->unauth || body == 0 ||
			    memcmp(c->want + body, "=AGAIN", 6))
				continue;
			resp_add_raw(&in, c->in, c->len);
			resp_add_raw(&want, c->want, body);
		}
	}
	resp_add_raw(&want, "=AGAIN", 6);
	for (int round = 0; round < 20; round++) {
		struct feed f = { .chunks = round ? CH_RANDOM : CH_ALL,
				  .compact = round % 2, .rs = &rs };

		t = feed(in.buf, in.len, &f);
		CU_ASSERT(same(&t, want.buf, want.len, in.buf, in.len, "pipe"));
		resp_out_free(&t);
	}
	resp_out_free(&in);
	resp_out_free(&want);
}

/* Transcript of a feed, compared with a literal. */
static void expect(const char *in, size_t n, struct feed *f, const char *want)
{
	struct resp_out t = feed(in, n, f);

	CU_ASSERT(same(&t, want, strlen(want), in, n, "limit"));
	resp_out_free(&t);
}

/* A buffer of n bytes: prefix, then fill up to n. */
static char *filled(const char *prefix, char fill, size_t n)
{
	char *s = malloc(n + 1);
	size_t pl = strlen(prefix);

	CU_ASSERT_FATAL(s != NULL && pl <= n);
	memcpy(s, prefix, pl);
	memset(s + pl, fill, n - pl);
	s[n] = '\0';
	return s;
}

static void test_limits(void)
{
	const size_t max = RESP_DEFAULT_MAX_INLINE;
	struct feed whole = { .chunks = CH_ALL };
	struct feed reads = { .chunks = CH_FIXED, .arg = 16384 };
	struct feed f;
	char *s;

	/* Each line limit: at the limit it waits, one over it fails. */
	s = filled("*", '1', max);
	expect(s, max, &whole, "=AGAIN");
	free(s);
	s = filled("*", '1', max + 1);
	expect(s, max + 1, &whole, E_MBULK_BIG);
	expect(s, max + 1, &reads, E_MBULK_BIG);
	free(s);
	s = filled("*1\r\n", '$', 4 + max);
	expect(s, 4 + max, &whole, "=AGAIN");
	free(s);
	s = filled("*1\r\n", '$', 4 + max + 1);
	expect(s, 4 + max + 1, &whole, E_BULK_BIG);
	free(s);
	/* The bulk line limit counts from the start of the "$" line. */
	s = filled("*2\r\n$1\r\na\r\n", '$', 11 + max);
	expect(s, 11 + max, &whole, "=AGAIN");
	free(s);
	s = filled("*2\r\n$1\r\na\r\n", '$', 11 + max + 1);
	expect(s, 11 + max + 1, &whole, E_BULK_BIG);
	free(s);
	s = filled("", 'A', max);
	expect(s, max, &whole, "=AGAIN");
	free(s);
	s = filled("", 'A', max + 1);
	expect(s, max + 1, &whole, E_INLINE_BIG);
	free(s);

	/* A longer line is taken if its end arrives before the buffered
	 * part passes the limit: Redis took this one from redis-cli too. */
	s = filled("", 'A', 70002);
	s[70000] = '\r';
	s[70001] = '\n';
	for (int i = 0; i < 2; i++) {
		struct resp_out t = feed(s, 70002, i ? &reads : &whole);

		CU_ASSERT(t.len == strlen("{1}70000:;=AGAIN") + 70000);
		CU_ASSERT(!memcmp(t.buf, "{1}70000:AAAA", 13));
		resp_out_free(&t);
	}
	free(s);
	/* In 16 KiB reads, 81920 bytes without a line end are refused. */
	s = filled("", 'A', 90002);
	s[90000] = '\r';
	s[90001] = '\n';
	expect(s, 90002, &reads, E_INLINE_BIG);
	f = (struct feed){ .chunks = CH_ALL };
	{
		struct resp_out t = feed(s, 90002, &f);

		CU_ASSERT(t.len == strlen("{1}90000:;=AGAIN") + 90000);
		resp_out_free(&t);
	}
	free(s);

	/* After a NUL, only the limit ends the wait. */
	s = filled("*1", 'x', max + 1);
	s[2] = '\0';
	s[3] = '\r';
	s[4] = '\n';
	expect(s, max, &whole, "=AGAIN");
	expect(s, max + 1, &whole, E_MBULK_BIG);
	expect(s, max + 1, &reads, E_MBULK_BIG);
	f = (struct feed){ .chunks = CH_BYTES };
	expect(s, 4096, &f, "=AGAIN");
	free(s);

	/* Configured limits. */
	f = (struct feed){ .chunks = CH_ALL, .max_inline = 10 };
	expect("*123456789", 10, &f, "=AGAIN");
	expect("*1234567890", 11, &f, E_MBULK_BIG);
	expect("0123456789", 10, &f, "=AGAIN");
	expect("0123456789A", 11, &f, E_INLINE_BIG);
	expect("0123456789ABCDEF\n", 17, &f, "{1}16:0123456789ABCDEF;=AGAIN");
	f = (struct feed){ .chunks = CH_ALL, .max_bulk = 5 };
	expect(S("*1\r\n$5\r\nabcde\r\n"), &f, "{1}5:abcde;=AGAIN");
	expect(S("*1\r\n$6\r\n"), &f, E_BULK_LEN);
}

static void add_str(struct resp_out *o, const char *s)
{
	resp_add_raw(o, s, strlen(s));
}

/* Random commands, encoded both ways, fed in random pieces. */
static void add_inline_arg(struct resp_out *line, const char *a, size_t n,
			   uint64_t *rs)
{
	bool plain = n > 0, single = true;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];

		if (c <= ' ' || c >= 127 || c == '"' || c == '\'' || c == '\\')
			plain = false;
		if (c == '\n' || c == '\0' || c == '\'' || c == '\\')
			single = false;
	}
	if (plain && a[0] == '*')
		plain = false;
	if (plain && tu_rand(rs) % 2) {
		resp_add_raw(line, a, n);
		return;
	}
	if (single && tu_rand(rs) % 2) {
		resp_add_raw(line, "'", 1);
		resp_add_raw(line, a, n);
		resp_add_raw(line, "'", 1);
		return;
	}
	resp_add_raw(line, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];
		char esc[5];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			resp_add_raw(line, esc, 2);
		} else if (c == '\n' && tu_rand(rs) % 2) {
			resp_add_raw(line, "\\n", 2);
		} else if (c >= ' ' && c < 127 && tu_rand(rs) % 4) {
			resp_add_raw(line, &a[i], 1);
		} else if (c != '\0' && c != '\n' && tu_rand(rs) % 2) {
			/* A raw byte inside quotes, CR included. */
			resp_add_raw(line, &a[i], 1);
		} else {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			if (tu_rand(rs) % 2) {
				esc[2] = (char)toupper((unsigned char)esc[2]);
				esc[3] = (char)toupper((unsigned char)esc[3]);
			}
			resp_add_raw(line, esc, 4);
		}
	}
	resp_add_raw(line, "\"", 1);
}

static void test_random_commands(void)
{
	/* \v and \f are blanks before a token, but do not end an unquoted
	 * one, so they only lead. */
	static const char *const seps[] = { " ", "  ", "\t", " \t ", "\v",
					    "\f" };
	uint64_t rs = tu_seed();

	for (int round = 0; round < 300; round++) {
		struct resp_out in = { 0 }, want = { 0 }, t;
		int ncmd = 1 + (int)(tu_rand(&rs) % 40);
		struct feed f = { .chunks = CH_RANDOM, .rs = &rs,
				  .compact = tu_rand(&rs) % 2 };

		for (int c = 0; c < ncmd; c++) {
			bool inl = tu_rand(&rs) % 3 == 0;
			int argc = (int)(tu_rand(&rs) % 9);
			char arg[300];

			if (inl && tu_rand(&rs) % 4 == 0)
				add_str(&in, seps[tu_rand(&rs) % 6]);
			else if (!inl)
				tr_printf(&in, "*%d\r\n", argc);
			tr_printf(&want, "{%d}", argc);
			for (int a = 0; a < argc; a++) {
				size_t n = tu_rand(&rs) % (tu_rand(&rs) % 8
						? 12 : sizeof(arg));
				bool text = tu_rand(&rs) % 2;

				for (size_t i = 0; i < n; i++)
					arg[i] = text ? (char)('a' +
						tu_rand(&rs) % 26)
						      : (char)tu_rand(&rs);
				tr_printf(&want, "%zu:", n);
				resp_add_raw(&want, arg, n);
				resp_add_raw(&want, ";", 1);
				if (!inl) {
					tr_printf(&in, "$%zu\r\n", n);
					resp_add_raw(&in, arg, n);
					resp_add_raw(&in, "\r\n", 2);
					continue;
				}
				if (a)
					add_str(&in, seps[tu_rand(&rs) % 4]);
				add_inline_arg(&in, arg, n, &rs);
			}
			if (inl)
				add_str(&in, tu_rand(&rs) % 2 ? "\r\n" : "\n");
		}
		resp_add_raw(&want, "=AGAIN", 6);
		t = feed(in.buf, in.len, &f);
		CU_ASSERT(same(&t, want.buf, want.len, in.buf, in.len,
			       "random"));
		resp_out_free(&t);
		resp_out_free(&in);
		resp_out_free(&want);
	}
}

/* An 8 MiB bulk in 16 KiB reads: no byte of it is ever scanned. */
static void test_big_bulk_linear(void)
{
	const size_t big = 8u << 20, chunk = 16384;
	const char head[] = "*2\r\n$3\r\nSET\r\n$8388608\r\n";
	size_t hl = sizeof(head) - 1, total = hl + big + 2;
	char *in = malloc(total), *buf = NULL, err[RESP_ERR_MAX];
	size_t blen = 0, cap = 0, pos = 0, calls = 0, want;
	struct resp_parser p;
	int rc = RESP_AGAIN;

	CU_ASSERT_FATAL(in != NULL);
	memcpy(in, head, hl);
	for (size_t i = 0; i < big; i++)
		in[hl + i] = (char)(i * 7);
	memcpy(in + hl + big, "\r\n", 2);
	resp_parser_init(&p);
	while (blen < total) {
		size_t k = total - blen < chunk ? total - blen : chunk;

		if (blen + k > cap) {
			cap = cap ? cap * 2 : chunk;
			buf = realloc(buf, cap);
			CU_ASSERT_FATAL(buf != NULL);
		}
		memcpy(buf + blen, in + blen, k);
		blen += k;
		rc = resp_parse(&p, buf, blen, &pos, err, sizeof(err));
		calls++;
		if (rc == RESP_OK)
			break;
		CU_ASSERT_FATAL(rc == RESP_AGAIN);
		want = resp_parse_want(&p);
		if (blen > hl)
			CU_ASSERT_FATAL(want == total - blen);
	}
	CU_ASSERT(rc == RESP_OK && blen == total && pos == total);
	CU_ASSERT(calls == (total + chunk - 1) / chunk);
	CU_ASSERT(p.argc == 2);
	CU_ASSERT(p.argv[1].len == big);
	CU_ASSERT(p.argv[1].p == buf + hl);
	/* Only the three header lines were looked at, plus one byte per call
	 * at most for a line end seen early. */
	CU_ASSERT(p.scanned <= hl + calls);
	CU_ASSERT(p.scanned < 64);
	resp_parser_free(&p);
	free(buf);
	free(in);
}

/* 200000 small arguments in 1000-byte reads: each byte scanned once. */
static void test_many_args_linear(void)
{
	const int nargs = 200000;
	struct resp_out in = { 0 }, t;
	struct feed f = { .chunks = CH_FIXED, .arg = 1000 };

	tr_printf(&in, "*%d\r\n", nargs);
	for (int i = 0; i < nargs; i++)
		tr_printf(&in, "$2\r\n%02d\r\n", i % 100);
	t = feed(in.buf, in.len, &f);
	CU_ASSERT(t.len == 8 + (size_t)nargs * 5 + 6);
	CU_ASSERT(!memcmp(t.buf, "{200000}2:00;2:01;", 18));
	CU_ASSERT(f.scanned <= in.len + f.calls);
	CU_ASSERT(f.calls <= in.len / 1000 + 3);
	resp_out_free(&t);
	resp_out_free(&in);
}

/* A 60000-byte inline line, byte by byte: each byte scanned once. */
static void test_inline_linear(void)
{
	const size_t n = 60000;
	char *s = filled("SET k ", 'v', n);
	struct feed f = { .chunks = CH_BYTES };
	struct resp_out t;

	s[n - 1] = '\n';
	t = feed(s, n, &f);
	CU_ASSERT(t.len == strlen("{3}3:SET;1:k;59993:;=AGAIN") + 59993);
	CU_ASSERT(f.calls == n + 1);
	CU_ASSERT(f.scanned <= n + f.calls);
	resp_out_free(&t);
	free(s);
}

/* A huge announced count allocates nothing up front; the arrays grow as
 * arguments arrive, and a large array is given back afterwards. */
static void test_argv_growth(void)
{
	struct resp_parser p;
	struct resp_out in = { 0 };
	char err[RESP_ERR_MAX];
	size_t pos = 0;

	resp_parser_init(&p);
	tr_printf(&in, "*2147483647\r\n");
	for (int i = 0; i < 3; i++)
		tr_printf(&in, "$1\r\nx\r\n");
	CU_ASSERT(resp_parse(&p, in.buf, in.len, &pos, err, sizeof(err)) ==
		  RESP_AGAIN);
	CU_ASSERT(p.nargs == 3 && p.cap <= 8);
	for (int i = 3; i < 5000; i++)
		tr_printf(&in, "$1\r\nx\r\n");
	CU_ASSERT(resp_parse(&p, in.buf, in.len, &pos, err, sizeof(err)) ==
		  RESP_AGAIN);
	CU_ASSERT(p.nargs == 5000 && p.cap >= 5000 && p.cap <= 10000);
	resp_parser_free(&p);
	resp_out_free(&in);

	/* An announced count caps the growth: exactly 9 slots for 9. */
	resp_parser_init(&p);
	pos = 0;
	tr_printf(&in, "*9\r\n");
	for (int i = 0; i < 9; i++)
		tr_printf(&in, "$1\r\n%d\r\n", i);
	tr_printf(&in, "PING\r\n");
	CU_ASSERT(resp_parse(&p, in.buf, in.len, &pos, err, sizeof(err)) ==
		  RESP_OK);
	CU_ASSERT(p.argc == 9 && p.cap == 9);
	CU_ASSERT(p.argv[8].len == 1 && p.argv[8].p[0] == '8');
	CU_ASSERT(resp_parse(&p, in.buf, in.len, &pos, err, sizeof(err)) ==
		  RESP_OK);
	CU_ASSERT(p.argc == 1 && pos == in.len);
	CU_ASSERT(resp_parse(&p, in.buf, in.len, &pos, err, sizeof(err)) ==
		  RESP_AGAIN);
	resp_parser_free(&p);
	resp_out_free(&in);

	/* 2000 arguments, then a small command: the array is released. */
	resp_parser_init(&p);
	pos = 0;
	tr_printf(&in, "*2000\r\n");
	for (int i = 0; i < 2000; i++)
		tr_printf(&in, "$1\r\nx\r\n");
	tr_printf(&in, "*1\r\n$1\r\ny\r\n");
	CU_ASSERT(resp_parse(&p, in.buf, in.len, &pos, err, sizeof(err)) ==
		  RESP_OK);
	CU_ASSERT(p.argc == 2000 && p.cap == 2000);
	CU_ASSERT(resp_parse(&p, in.buf, in.len, &pos, err, sizeof(err)) ==
		  RESP_OK);
	CU_ASSERT(p.argc == 1 && p.cap <= 8);
	resp_parser_free(&p);
	resp_out_free(&in);
}

static void test_want_and_errors(void)
{
	struct resp_parser p;
	char in[] = "*2\r\n$1\r\na\r\n$10\r\n0123456789\r\n";
	char err[RESP_ERR_MAX], small[8];
	size_t pos = 0;

	resp_parser_init(&p);
	CU_ASSERT(resp_parse_want(&p) == 0);
	CU_ASSERT(resp_parse(&p, in, 5, &pos, err, sizeof(err)) == RESP_AGAIN);
	CU_ASSERT(resp_parse_want(&p) == 0); /* in a header: unknown */
	CU_ASSERT(resp_parse(&p, in, 15, &pos, err, sizeof(err)) == RESP_AGAIN);
	CU_ASSERT(resp_parse_want(&p) == 0);
	CU_ASSERT(resp_parse(&p, in, 16, &pos, err, sizeof(err)) == RESP_AGAIN);
	CU_ASSERT(resp_parse_want(&p) == 12);
	CU_ASSERT(resp_parse(&p, in, 20, &pos, err, sizeof(err)) == RESP_AGAIN);
	CU_ASSERT(resp_parse_want(&p) == 8);
	CU_ASSERT(resp_parse(&p, in, 27, &pos, err, sizeof(err)) == RESP_AGAIN);
	CU_ASSERT(resp_parse_want(&p) == 1);
	CU_ASSERT(resp_parse(&p, in, 28, &pos, err, sizeof(err)) == RESP_OK);
	CU_ASSERT(resp_parse_want(&p) == 0 && pos == 28);
	CU_ASSERT(p.argc == 2 && p.argv[1].len == 10);
	CU_ASSERT(!memcmp(p.argv[1].p, "0123456789", 10));
	resp_parser_free(&p);

	/* Unbounded bulks (as for a master): the want is exact. */
	resp_parser_init(&p);
	p.max_bulk = UINT64_MAX;
	pos = 0;
	{
		char h[] = "*1\r\n$9223372036854775807\r\n";

		CU_ASSERT(resp_parse(&p, h, sizeof(h) - 1, &pos, err,
				     sizeof(err)) == RESP_AGAIN);
		CU_ASSERT(resp_parse_want(&p) == 9223372036854775807ull + 2);
	}
	resp_parser_free(&p);

	/* An error sticks, and a short errbuf is truncated, not overrun. */
	resp_parser_init(&p);
	pos = 0;
	{
		char bad[] = "*1\r\nZ\r\n*1\r\n$4\r\nPING\r\n";

		CU_ASSERT(resp_parse(&p, bad, sizeof(bad) - 1, &pos, small,
				     sizeof(small)) == RESP_ERR);
		CU_ASSERT_STRING_EQUAL(small, "ERR Pro");
		CU_ASSERT(resp_parse(&p, bad, sizeof(bad) - 1, &pos, err,
				     sizeof(err)) == RESP_ERR);
		CU_ASSERT_STRING_EQUAL(err,
			"ERR Protocol error: expected '$', got 'Z'");
		CU_ASSERT(pos == 0);
		CU_ASSERT(resp_parse(&p, bad, sizeof(bad) - 1, &pos, NULL,
				     0) == RESP_ERR);
	}
	resp_parser_free(&p);
}

/* Every error text, with its NUL, fits in RESP_ERR_MAX. */
static void test_error_sizes(void)
{
	const char *texts[] = { E_MBULK_LEN, E_MBULK_UNAUTH, E_MBULK_BIG,
				E_BULK_LEN, E_BULK_UNAUTH, E_BULK_BIG,
				E_INLINE_BIG, E_QUOTES, E_DOLLAR("x") };

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		CU_ASSERT(strlen(texts[i] + 1) + 1 <= RESP_ERR_MAX);
}

/* ---- Replies ----------------------------------------------------------- */

static bool out_is(struct resp_out *o, const char *want, size_t n)
{
	bool ok = o->len == n && !memcmp(o->buf, want, n);

	if (!ok) {
		fprintf(stderr, "\n  reply: ");
		print_escaped(o->buf, o->len);
		fprintf(stderr, "\n  want:  ");
		print_escaped(want, n);
		fprintf(stderr, "\n");
	}
	resp_out_free(o);
	return ok;
}

#define OUT_IS(o, lit) CU_ASSERT(out_is(o, S(lit)))

static void test_replies(void)
{
	struct resp_out o = { 0 };
	char *big;

	resp_add_simple(&o, "OK");
	OUT_IS(&o, "+OK\r\n");
	resp_add_simple(&o, "");
	OUT_IS(&o, "+\r\n");
	resp_add_error(&o, "ERR syntax error");
	OUT_IS(&o, "-ERR syntax error\r\n");
	resp_add_error(&o, "ERR a\r\nb\nc\rd");
	OUT_IS(&o, "-ERR a  b c d\r\n");
	resp_add_error(&o, "\r\n\nERR x\r\n\r");
	OUT_IS(&o, "-ERR x\r\n");
	resp_add_error(&o, "\r\n");
	OUT_IS(&o, "-\r\n");
	resp_add_errorf(&o, "ERR unknown command '%s', with args beginning "
			    "with: %s", "a\r\nb", "'x' ");
	OUT_IS(&o, "-ERR unknown command 'a  b', with args beginning with: "
		   "'x' \r\n");
	resp_add_errorf(&o, "WRONGTYPE %d", 5);
	OUT_IS(&o, "-WRONGTYPE 5\r\n");
	big = filled("", 'e', 1000);
	resp_add_errorf(&o, "ERR %s!", big);
	CU_ASSERT(o.len == 1008 && !memcmp(o.buf, "-ERR eee", 8) &&
		  !memcmp(o.buf + o.len - 3, "!\r\n", 3));
	resp_out_free(&o);
	free(big);

	resp_add_int(&o, 0);
	resp_add_int(&o, 1);
	resp_add_int(&o, -1);
	resp_add_int(&o, LLONG_MAX);
	resp_add_int(&o, LLONG_MIN);
	OUT_IS(&o, ":0\r\n:1\r\n:-1\r\n:9223372036854775807\r\n"
		   ":-9223372036854775808\r\n");
	resp_add_bulk(&o, "abc", 3);
	resp_add_bulk(&o, "", 0);
	resp_add_bulk(&o, NULL, 0);
	resp_add_bulk(&o, "\0\r\n", 3);
	resp_add_bulk_str(&o, "hello");
	OUT_IS(&o, "$3\r\nabc\r\n$0\r\n\r\n$0\r\n\r\n$3\r\n\0\r\n\r\n"
		   "$5\r\nhello\r\n");
	resp_add_bulk_ll(&o, 0);
	resp_add_bulk_ll(&o, -42);
	resp_add_bulk_ll(&o, LLONG_MIN);
	OUT_IS(&o, "$1\r\n0\r\n$3\r\n-42\r\n$20\r\n-9223372036854775808\r\n");
	resp_add_null(&o);
	resp_add_null_array(&o);
	resp_add_array(&o, 0);
	resp_add_array(&o, 3);
	resp_add_array(&o, LLONG_MAX);
	OUT_IS(&o, "$-1\r\n*-1\r\n*0\r\n*3\r\n*9223372036854775807\r\n");
	resp_add_raw(&o, "+x", 2);
	resp_add_raw(&o, NULL, 0);
	resp_add_raw(&o, "\r\n", 2);
	OUT_IS(&o, "+x\r\n");

	/* Growth across many appends and one large one. */
	big = filled("", 'b', 1 << 20);
	for (int i = 0; i < 1000; i++)
		resp_add_int(&o, i);
	resp_add_bulk(&o, big, 1 << 20);
	CU_ASSERT(o.cap >= o.len);
	CU_ASSERT(!memcmp(o.buf + o.len - 2, "\r\n", 2));
	CU_ASSERT(!memcmp(o.buf + o.len - 2 - (1 << 20) - 10, "$1048576\r\n",
			  10));
	resp_out_free(&o);
	CU_ASSERT(o.buf == NULL && o.len == 0 && o.cap == 0);
	free(big);
}

static void test_deferred(void)
{
	struct resp_out o = { 0 };
	size_t a, b, c;

	/* One, as KEYS uses it. */
	a = resp_add_deferred_len(&o);
	resp_add_bulk_str(&o, "k1");
	resp_add_bulk_str(&o, "k2");
	resp_set_deferred_len(&o, a, 2);
	OUT_IS(&o, "*2\r\n$2\r\nk1\r\n$2\r\nk2\r\n");

	/* Empty, at the very end, and the widest value (no gap). */
	a = resp_add_deferred_len(&o);
	resp_set_deferred_len(&o, a, 0);
	OUT_IS(&o, "*0\r\n");
	resp_add_int(&o, 7);
	a = resp_add_deferred_len(&o);
	resp_set_deferred_len(&o, a, LLONG_MIN);
	OUT_IS(&o, ":7\r\n*-9223372036854775808\r\n");

	/* Nested, set inner first. */
	a = resp_add_deferred_len(&o);
	resp_add_bulk_str(&o, "0");
	b = resp_add_deferred_len(&o);
	resp_add_int(&o, 1);
	resp_add_int(&o, 2);
	resp_set_deferred_len(&o, b, 2);
	resp_set_deferred_len(&o, a, 2);
	OUT_IS(&o, "*2\r\n$1\r\n0\r\n*2\r\n:1\r\n:2\r\n");

	/* Three pending, set outer first, then last, then middle. */
	a = resp_add_deferred_len(&o);
	b = resp_add_deferred_len(&o);
	resp_add_int(&o, 1);
	c = resp_add_deferred_len(&o);
	resp_add_int(&o, 2);
	resp_add_int(&o, 3);
	resp_set_deferred_len(&o, a, 1);
	resp_set_deferred_len(&o, c, 12);
	resp_set_deferred_len(&o, b, 2);
	OUT_IS(&o, "*1\r\n*2\r\n:1\r\n*12\r\n:2\r\n:3\r\n");

	/* Handles restart once none is pending. */
	a = resp_add_deferred_len(&o);
	CU_ASSERT(a == 0);
	resp_set_deferred_len(&o, a, -1);
	OUT_IS(&o, "*-1\r\n");
}

/*
 * Random nested replies built twice, once with known counts and once with
 * deferred ones set in random order: the bytes must match.  The flat ones
 * are also parsed back as requests.
 */
static void build_random(struct resp_out *known, struct resp_out *dfr,
			 uint64_t *rs, int depth, size_t *pend, long long *cnt,
			 size_t *npend)
{
	long long n = (long long)(tu_rand(rs) % 6);
	size_t h = resp_add_deferred_len(dfr);

	resp_add_array(known, n);
	for (long long i = 0; i < n; i++) {
		if (depth < 3 && tu_rand(rs) % 4 == 0) {
			build_random(known, dfr, rs, depth + 1, pend, cnt,
				     npend);
		} else {
			long long v = (long long)tu_rand(rs);

			resp_add_bulk_ll(known, v);
			resp_add_bulk_ll(dfr, v);
		}
	}
	pend[*npend] = h;
	cnt[*npend] = n;
	(*npend)++;
}

static void test_deferred_random(void)
{
	uint64_t rs = tu_seed();

	for (int round = 0; round < 500; round++) {
		struct resp_out known = { 0 }, dfr = { 0 };
		size_t pend[512], npend = 0;
		long long cnt[512];

		build_random(&known, &dfr, &rs, 0, pend, cnt, &npend);
		/* Set them in a random order. */
		for (size_t i = npend; i > 1; i--) {
			size_t j = tu_rand(&rs) % i;
			size_t th = pend[i - 1];
			long long tc = cnt[i - 1];

			pend[i - 1] = pend[j];
			cnt[i - 1] = cnt[j];
			pend[j] = th;
			cnt[j] = tc;
		}
		for (size_t i = 0; i < npend; i++)
			resp_set_deferred_len(&dfr, pend[i], cnt[i]);
		CU_ASSERT(dfr.len == known.len &&
			  !memcmp(dfr.buf, known.buf, known.len));
		CU_ASSERT(dfr.npending == 0 && dfr.ndfr == 0);
		if (npend == 1 && cnt[0] > 0) {
			struct resp_parser p;
			size_t pos = 0;

			resp_parser_init(&p);
			CU_ASSERT(resp_parse(&p, dfr.buf, dfr.len, &pos, NULL,
					     0) == RESP_OK);
			CU_ASSERT(p.argc == cnt[0] && pos == dfr.len);
			resp_parser_free(&p);
		}
		resp_out_free(&known);
		resp_out_free(&dfr);
	}
}

static int set_twice(void *arg)
{
	struct resp_out o = { 0 };
	size_t h = resp_add_deferred_len(&o);

	(void)arg;
	resp_add_int(&o, 1);
	h = resp_add_deferred_len(&o);
	resp_set_deferred_len(&o, h, 1);
	resp_set_deferred_len(&o, h, 1);
	return 0;
}

/* Misuse of a handle is a bug in the caller: the process aborts. */
static void test_deferred_misuse(void)
{
	pid_t pid = tu_fork(set_twice, NULL);

	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT(tu_wait(pid, 10000) == 128 + SIGABRT);
}

static CU_TestInfo parse_tests[] = {
	{ "multibulk_table", test_multibulk_table },
	{ "inline_table", test_inline_table },
	{ "pipeline", test_pipeline },
	{ "limits", test_limits },
	{ "random_commands", test_random_commands },
	{ "big_bulk_linear", test_big_bulk_linear },
	{ "many_args_linear", test_many_args_linear },
	{ "inline_linear", test_inline_linear },
	{ "argv_growth", test_argv_growth },
	{ "want_and_errors", test_want_and_errors },
	{ "error_sizes", test_error_sizes },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo reply_tests[] = {
	{ "replies", test_replies },
	{ "deferred", test_deferred },
	{ "deferred_random", test_deferred_random },
	{ "deferred_misuse", test_deferred_misuse },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = { { "resp_parse", parse_tests },
					   { "resp_reply", reply_tests },
					   { NULL, NULL } };

	return tu_main(argc, argv, suites);
}
