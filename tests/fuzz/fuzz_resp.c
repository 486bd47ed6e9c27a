/*
 * fuzz_resp.c - libFuzzer target for the RESP2 parser and reply builder.
 *
 * The first 8 bytes of an input choose the parser limits (so that the small
 * inputs a fuzzer makes reach every limit) and seed the chunking; the rest
 * is what a client sends.  It is parsed twice: whole, and in random chunks
 * with the buffer moved to fresh memory before every call and, sometimes,
 * the consumed bytes dropped.  Checked on every call: *pos never goes
 * backwards or past len and stays put unless a command is returned; every
 * argument lies inside the bytes that command consumed; an error is sticky
 * and has Redis's prefix; no byte is scanned twice.  Checked at the end:
 * both runs return the same commands and the same outcome, except that in
 * small reads a "too big" limit may fire sooner (as in Redis), and then the
 * commands before it are a prefix of the whole run's.  An error's reply
 * must carry its text unchanged.  Every command is
 * also echoed back as a reply with a deferred length, which must parse back
 * to the same command.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* assert() is compiled out in release builds; this is not. */
#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: check failed: %s\n",       \
				__FILE__, __LINE__, #cond);                \
			abort();                                           \
		}                                                          \
	} while (0)

#define PREFIX "ERR Protocol error: "

struct cfg {
	bool unauth;
	bool compact;
	size_t max_inline; /* 0: default */
	uint64_t max_bulk; /* UINT64_MAX: default */
	uint64_t seed;
};

struct run {
	struct resp_out cmds; /* each command: argc, then len + bytes */
	int rc;		      /* RESP_AGAIN or RESP_ERR at the end */
	char err[RESP_ERR_MAX];
};

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void parser_setup(struct resp_parser *p, const struct cfg *c)
{
	resp_parser_init(p);
	p->authenticated = !c->unauth;
	if (c->max_inline)
		p->max_inline = c->max_inline;
	if (c->max_bulk != UINT64_MAX)
		p->max_bulk = c->max_bulk;
}

/* Echo a command as an array reply with a deferred length; parsing the
 * reply as a request must give the command back. */
static void echo_check(const struct resp_parser *p)
{
	struct resp_out o = { 0 };
	struct resp_parser q;
	size_t h, pos = 0;

	h = resp_add_deferred_len(&o);
	for (int i = 0; i < p->argc; i++)
		resp_add_bulk(&o, p->argv[i].p, p->argv[i].len);
	resp_set_deferred_len(&o, h, p->argc);
	resp_parser_init(&q);
	q.max_bulk = UINT64_MAX;
	CHECK(resp_parse(&q, o.buf, o.len, &pos, NULL, 0) == RESP_OK);
	CHECK(pos == o.len && q.argc == p->argc);
	for (int i = 0; i < p->argc; i++)
		CHECK(q.argv[i].len == p->argv[i].len &&
		      !memcmp(q.argv[i].p, p->argv[i].p, p->argv[i].len));
	resp_parser_free(&q);
	resp_out_free(&o);
}

static void record(struct run *r, const struct resp_parser *p)
{
	uint32_t argc = (uint32_t)p->argc;

	resp_add_raw(&r->cmds, &argc, sizeof(argc));
	for (int i = 0; i < p->argc; i++) {
		uint64_t len = p->argv[i].len;

		resp_add_raw(&r->cmds, &len, sizeof(len));
		resp_add_raw(&r->cmds, p->argv[i].p, p->argv[i].len);
	}
	if (p->argc > 0)
		echo_check(p);
}

/* Checked once per error: the reply carries the text unchanged. */
static void error_reply_check(const char *err)
{
	struct resp_out o = { 0 };
	size_t n = strlen(err);

	resp_add_errorf(&o, "%s", err);
	CHECK(o.len == n + 3 && o.buf[0] == '-');
	CHECK(!memcmp(o.buf + 1, err, n) && !memcmp(o.buf + 1 + n, "\r\n", 2));
	resp_out_free(&o);
}

/* Parse in[0, n): whole if chunked is false, else in random chunks. */
static void run(const uint8_t *in, size_t n, const struct cfg *c,
		bool chunked, struct run *r)
{
	uint64_t rs = c->seed, calls = 0;
	struct resp_parser p;
	char *buf = NULL;
	size_t blen = 0, pos = 0, off = 0, fed = 0;

	parser_setup(&p, c);
	r->rc = RESP_AGAIN;
	while (off < n) {
		size_t k = n - off;
		char *nb;

		if (chunked) {
			uint64_t x = splitmix(&rs);
			size_t want = x % 8 ? 1 + (x >> 8) % 8
					    : 1 + (x >> 8) % 2048;

			k = want < k ? want : k;
		}
		/* Fresh memory every time: the parser keeps no pointers. */
		nb = malloc(blen + k);
		CHECK(nb != NULL);
		if (blen)
			memcpy(nb, buf, blen);
		memcpy(nb + blen, in + off, k);
		free(buf);
		buf = nb;
		blen += k;
		off += k;
		fed += k;
		for (;;) {
			size_t before = pos;
			int rc = resp_parse(&p, buf, blen, &pos, r->err,
					    sizeof(r->err));

			calls++;
			CHECK(pos >= before && pos <= blen);
			CHECK(p.scanned <= fed + calls);
			if (rc == RESP_AGAIN) {
				CHECK(pos == before);
				CHECK(resp_parse_want(&p) <= p.max_bulk + 2);
				break;
			}
			if (rc == RESP_ERR) {
				CHECK(pos == before);
				CHECK(!strncmp(r->err, PREFIX, strlen(PREFIX)));
				rc = resp_parse(&p, buf, blen, &pos, NULL, 0);
				CHECK(rc == RESP_ERR);
				CHECK(pos == before);
				error_reply_check(r->err);
				r->rc = RESP_ERR;
				goto out;
			}
			CHECK(rc == RESP_OK);
			CHECK(pos > before);
			CHECK(p.argc >= 0 && (size_t)p.argc <= pos - before);
			for (int i = 0; i < p.argc; i++) {
				const struct resp_arg *a = &p.argv[i];

				CHECK(a->p >= buf + before);
				CHECK(a->len <= pos - before);
				CHECK(a->p + a->len <= buf + pos);
			}
			record(r, &p);
		}
		if (c->compact && pos) {
			memmove(buf, buf + pos, blen - pos);
			blen -= pos;
			pos = 0;
		}
	}
out:
	resp_parser_free(&p);
	free(buf);
}

static bool too_big(const struct run *r)
{
	return r->rc == RESP_ERR && strstr(r->err, "too big") != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t inl[] = { 0, 16, 64, 1000 };
	static const uint64_t bulk[] = { UINT64_MAX, 0, 10, 20000 };
	struct run whole = { 0 }, parts = { 0 };
	struct cfg c = { 0 };
	uint8_t head[8] = { 0 };

	memcpy(head, data, size < 8 ? size : 8);
	data += size < 8 ? size : 8;
	size -= size < 8 ? size : 8;
	c.unauth = head[0] & 1;
	c.max_inline = inl[(head[0] >> 1) & 3];
	c.max_bulk = bulk[(head[0] >> 3) & 3];
	c.compact = head[0] & 0x20;
	memcpy(&c.seed, head, sizeof(c.seed));

	run(data, size, &c, false, &whole);
	run(data, size, &c, true, &parts);
	if (too_big(&parts)) {
		CHECK(parts.cmds.len <= whole.cmds.len);
		CHECK(!parts.cmds.len ||
		      !memcmp(parts.cmds.buf, whole.cmds.buf, parts.cmds.len));
	} else {
		CHECK(parts.rc == whole.rc);
		CHECK(parts.cmds.len == whole.cmds.len);
		CHECK(!whole.cmds.len ||
		      !memcmp(parts.cmds.buf, whole.cmds.buf, whole.cmds.len));
		if (whole.rc == RESP_ERR)
			CHECK(!strcmp(parts.err, whole.err));
	}
	resp_out_free(&whole.cmds);
	resp_out_free(&parts.cmds);
	return 0;
}
