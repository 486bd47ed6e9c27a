/*
 * test_fixtures.c - real datasets, as redis-server 7.0 read them, written
 * into shmrepd and checked two ways: DEBUG DIGEST against the digest
 * redis-server itself computed over the same data, and every key read back
 * through libshmrep against the values it read.
 *
 * tests/fixtures/ holds copies of ../shared/fixtures/rdb/expected/ files
 * (see its README): random-42.json, 9,387 keys of every core type left by
 * 20,000 random writes (1,186 with a TTL, in the year 2100), and
 * encodings.json, one key of each type and encoding (its stream is
 * skipped: shmrep has no streams, so its digest cannot match there).
 * Both are loaded with plain commands (SET, HSET, SADD, ZADD with the
 * scores as Redis printed them, RPUSH, PEXPIREAT); the digest is then
 * checked again after a restart into mutex mode (the takeover copy).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "shmrep.h"
#include "testutil.h"
#include "tu_daemon.h"
#include "tu_json.h"

#define CHUNK 128 /* elements per HSET/SADD/ZADD/RPUSH */
#define MAXARGS (2 + 2 * CHUNK)

static char reply[1 << 16];

/* Bytes of a fixture string: base16:<hex> (keys, hash fields) and
 * {"hex": "..."} (values) are decoded; out is malloc'd. */
static bool fx_bytes(const struct tu_json *v, char **out, size_t *len)
{
	const char *hex = NULL;
	size_t hl = 0;

	if (v->type == TJ_OBJ) {
		const struct tu_json *h = tu_json_get(v, "hex");

		if (!h || h->type != TJ_STR)
			return false;
		hex = h->s;
		hl = h->len;
	} else if (v->type == TJ_STR && v->len >= 7 &&
		   !memcmp(v->s, "base16:", 7)) {
		hex = v->s + 7;
		hl = v->len - 7;
	} else if (v->type == TJ_STR) {
		*out = malloc(v->len + 1);
		memcpy(*out, v->s, v->len);
		*len = v->len;
		return true;
	} else {
		return false;
	}
	if (hl % 2)
		return false;
	*out = malloc(hl / 2 + 1);
	for (size_t i = 0; i < hl / 2; i++) {
		unsigned b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1) {
			free(*out);
			return false;
		}
		(*out)[i] = (char)b;
	}
	*len = hl / 2;
	return true;
}

/* A command being built: argument bytes owned when own[i]. */
struct cmd {
	int argc;
	const char *argv[MAXARGS];
	size_t lens[MAXARGS];
	bool own[MAXARGS];
};

static void arg_lit(struct cmd *c, const char *s)
{
	c->argv[c->argc] = s;
	c->lens[c->argc] = strlen(s);
	c->own[c->argc++] = false;
}

static bool arg_fx(struct cmd *c, const struct tu_json *v)
{
	char *p;
	size_t n;

	if (!fx_bytes(v, &p, &n))
		return false;
	c->argv[c->argc] = p;
	c->lens[c->argc] = n;
	c->own[c->argc++] = true;
	return true;
}

/* Send c (then empty it); false on an error reply or no reply. */
static bool send_cmd(int fd, struct cmd *c)
{
	long n = tu_command(fd, c->argc, c->argv, c->lens, reply,
			    sizeof(reply));
	bool ok = n > 0 && reply[0] != '-';

	if (!ok)
		fprintf(stderr, "%s: %.200s\n", c->argv[0],
			n > 0 ? reply : "no reply");
	for (int i = 0; i < c->argc; i++)
		if (c->own[i])
			free((void *)c->argv[i]);
	c->argc = 0;
	return ok;
}

/*
 * Write one key: SET, or the collection command per CHUNK elements, then
 * PEXPIREAT.  Streams are skipped (*skipped counts them).
 */
static bool load_key(int fd, struct cmd *c, const struct tu_json *k,
		     const struct tu_json *kv, unsigned *skipped)
{
	const struct tu_json *type = tu_json_get(kv, "type");
	const struct tu_json *val = tu_json_get(kv, "value");
	const struct tu_json *at = tu_json_get(kv, "pexpireat");
	const char *verb;
	size_t per;

	if (!type || !val)
		return false;
	if (!strcmp(type->s, "stream")) {
		(*skipped)++;
		return true;
	}
	if (!strcmp(type->s, "string")) {
		arg_lit(c, "SET");
		if (!arg_fx(c, k) || !arg_fx(c, val) || !send_cmd(fd, c))
			return false;
	} else {
		if (!strcmp(type->s, "hash"))
			verb = "HSET", per = 2;
		else if (!strcmp(type->s, "set"))
			verb = "SADD", per = 1;
		else if (!strcmp(type->s, "zset"))
			verb = "ZADD", per = 2;
		else if (!strcmp(type->s, "list"))
			verb = "RPUSH", per = 1;
		else
			return false;
		for (size_t i = 0; i < val->n;) {
			arg_lit(c, verb);
			if (!arg_fx(c, k))
				return false;
			for (size_t e = 0; e < CHUNK && i < val->n; e++, i++) {
				const struct tu_json *x;
				bool ok;

				if (per == 1) {
					ok = arg_fx(c, &val->items[i]);
				} else if (val->type == TJ_OBJ) {
					/* hash: field, value */
					x = &val->items[2 * i];
					ok = arg_fx(c, x) && arg_fx(c, x + 1);
				} else {
					/* zset: [member, score]: score first */
					x = &val->items[i];
					ok = x->type == TJ_ARR && x->n == 2 &&
					     arg_fx(c, &x->items[1]) &&
					     arg_fx(c, &x->items[0]);
				}
				if (!ok)
					return false;
			}
			if (!send_cmd(fd, c))
				return false;
		}
	}
	if (at) {
		arg_lit(c, "PEXPIREAT");
		if (!arg_fx(c, k))
			return false;
		arg_lit(c, at->s);
		if (!send_cmd(fd, c))
			return false;
	}
	return true;
}

static bool load(int fd, const struct tu_json *dbs, unsigned *skipped,
		 unsigned *keys)
{
	struct cmd *c = calloc(1, sizeof(*c));
	bool ok = c != NULL;

	for (size_t d = 0; ok && d < dbs->n; d++) {
		const struct tu_json *db = &dbs->items[2 * d];
		const struct tu_json *kvs = db + 1;

		arg_lit(c, "SELECT");
		arg_lit(c, db->s);
		ok = send_cmd(fd, c);
		for (size_t i = 0; ok && i < kvs->n; i++) {
			ok = load_key(fd, c, &kvs->items[2 * i],
				      &kvs->items[2 * i + 1], skipped);
			if (!ok)
				fprintf(stderr, "loading key %zu of db %s\n",
					i, db->s);
			(*keys)++;
		}
	}
	free(c);
	return ok;
}

/* Whether v (a fixture string) has the bytes p[0, n). */
static bool fx_eq(const struct tu_json *v, const void *p, size_t n)
{
	char *b;
	size_t bl;
	bool eq;

	if (!fx_bytes(v, &b, &bl))
		return false;
	eq = bl == n && !memcmp(b, p, n);
	free(b);
	return eq;
}

static int64_t now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Check one key through the snapshot; false (and a message) if it
 * differs from the fixture. */
static bool check_key(shmrep_snapshot *s, int db, const struct tu_json *k,
		      const struct tu_json *kv)
{
	const char *type = tu_json_get(kv, "type")->s;
	const struct tu_json *val = tu_json_get(kv, "value");
	const struct tu_json *at = tu_json_get(kv, "pexpireat");
	shmrep_iter it;
	shmrep_entry e;
	shmrep_view v;
	uint64_t n = 0;
	int64_t ttl;
	size_t i = 0;
	char *key;
	size_t kl;
	bool ok = true;
	int rc;

	if (!fx_bytes(k, &key, &kl))
		return false;
	if (!strcmp(type, "string")) {
		ok = shmrep_snapshot_get(s, db, key, kl, &v) == 0 &&
		     fx_eq(val, v.ptr, v.len);
	} else if (!strcmp(type, "hash")) {
		ok = shmrep_snapshot_hlen(s, db, key, kl, &n) == 0 &&
		     n == val->n;
		for (i = 0; ok && i < val->n; i++) {
			char *f;
			size_t fl;

			ok = fx_bytes(&val->items[2 * i], &f, &fl);
			if (!ok)
				break;
			ok = shmrep_snapshot_hget(s, db, key, kl, f, fl, &v) ==
				     0 &&
			     fx_eq(&val->items[2 * i + 1], v.ptr, v.len);
			free(f);
		}
	} else if (!strcmp(type, "set")) {
		ok = shmrep_snapshot_scard(s, db, key, kl, &n) == 0 &&
		     n == val->n;
		for (i = 0; ok && i < val->n; i++) {
			char *m;
			size_t ml;

			ok = fx_bytes(&val->items[i], &m, &ml);
			if (!ok)
				break;
			ok = shmrep_snapshot_sismember(s, db, key, kl, m, ml) ==
			     1;
			free(m);
		}
	} else if (!strcmp(type, "zset")) {
		/* In rank order, each score as Redis printed it. */
		rc = shmrep_snapshot_zrange(s, db, key, kl, 0, -1, 0, &it);
		while (ok && rc == 0 && (rc = shmrep_iter_next(&it, &e)) == 1) {
			const struct tu_json *x = &val->items[i];

			ok = i++ < val->n &&
			     fx_eq(&x->items[0], e.key.ptr, e.key.len) &&
			     strtod(x->items[1].s, NULL) == e.score;
			rc = 0;
		}
		ok = ok && rc == 0 && i == val->n;
	} else if (!strcmp(type, "list")) {
		rc = shmrep_snapshot_lrange(s, db, key, kl, 0, -1, &it);
		while (ok && rc == 0 && (rc = shmrep_iter_next(&it, &e)) == 1) {
			ok = i < val->n &&
			     fx_eq(&val->items[i++], e.key.ptr, e.key.len);
			rc = 0;
		}
		ok = ok && rc == 0 && i == val->n;
	}
	/* TTL: within a minute of what the fixture says (the load took
	 * some time; the TTLs are decades away). */
	if (ok && shmrep_snapshot_ttl(s, db, key, kl, &ttl) != 0)
		ok = false;
	if (ok && at)
		ok = llabs(strtoll(at->s, NULL, 10) - now_ms() - ttl) < 60000;
	else if (ok)
		ok = ttl == -1;
	if (!ok)
		fprintf(stderr, "db %d key %.*s (%s): differs at element %zu\n",
			db, (int)kl, key, type, i);
	free(key);
	return ok;
}

/* Every key of the fixture, and each database's size. */
static bool check_all(const char *name, const struct tu_json *dbs,
		      unsigned *bad)
{
	shmrep_snapshot *s;
	shmrep *h;
	bool ok = true;

	if (shmrep_open(name, 0, &h))
		return false;
	if (shmrep_snapshot_begin(h, &s)) {
		shmrep_close(h);
		return false;
	}
	for (size_t d = 0; d < dbs->n; d++) {
		const struct tu_json *kvs = &dbs->items[2 * d + 1];
		int db = atoi(dbs->items[2 * d].s);
		uint64_t want = 0, n = 0;

		for (size_t i = 0; i < kvs->n; i++) {
			const struct tu_json *kv = &kvs->items[2 * i + 1];

			if (!strcmp(tu_json_get(kv, "type")->s, "stream"))
				continue;
			want++;
			if (!check_key(s, db, &kvs->items[2 * i], kv))
				(*bad)++;
		}
		if (shmrep_snapshot_dbsize(s, db, &n) || n != want) {
			fprintf(stderr, "db %d: %llu keys, want %llu\n", db,
				(unsigned long long)n,
				(unsigned long long)want);
			ok = false;
		}
	}
	shmrep_snapshot_end(s);
	shmrep_close(h);
	return ok && *bad == 0;
}

static bool digest_is(int fd, const char *want)
{
	long n = tu_cmd(fd, reply, sizeof(reply), "DEBUG", "DIGEST", NULL);

	if (n > 0 && strstr(reply, want))
		return true;
	fprintf(stderr, "DEBUG DIGEST: %.60s, want %s\n",
		n > 0 ? reply : "no reply", want);
	return false;
}

static void run_fixture(const char *file, const char *tag)
{
	static const char *const mutex[] = { "--mode", "mutex", NULL };
	const char *src = getenv("SHMREP_SRC");
	const struct tu_json *dbs, *digest;
	unsigned skipped = 0, keys = 0, bad = 0;
	struct tu_json *fx;
	struct tu_daemon d;
	char path[4096], err[256];
	int fd;

	snprintf(path, sizeof(path), "%s/tests/fixtures/%s", src ? src : ".",
		 file);
	fx = tu_json_load(path, err, sizeof(err));
	if (!fx)
		fprintf(stderr, "%s: %s\n", path, err);
	CU_ASSERT_FATAL(fx != NULL);
	dbs = tu_json_get(fx, "dbs");
	digest = tu_json_get(fx, "debug_digest");
	CU_ASSERT_FATAL(dbs && dbs->type == TJ_OBJ && digest &&
			digest->type == TJ_STR);
	if (tu_daemon_start(&d, tag, NULL)) {
		tu_json_free(fx);
		CU_FAIL_FATAL("shmrepd did not start");
	}
	fd = tu_connect(d.sock);
	CU_ASSERT(fd >= 0);
	if (fd >= 0) {
		CU_ASSERT(load(fd, dbs, &skipped, &keys));
		CU_ASSERT(check_all(d.name, dbs, &bad));
		/* A skipped stream changes the digest: nothing to compare. */
		if (!skipped)
			CU_ASSERT(digest_is(fd, digest->s));
		close(fd);
	}
	/* The takeover copy into the other mode keeps every byte. */
	CU_ASSERT(tu_daemon_stop(&d) == 0);
	CU_ASSERT_FATAL(tu_daemon_restart(&d, mutex) == 0);
	fd = tu_connect(d.sock);
	CU_ASSERT(fd >= 0);
	if (fd >= 0) {
		if (!skipped)
			CU_ASSERT(digest_is(fd, digest->s));
		bad = 0;
		CU_ASSERT(check_all(d.name, dbs, &bad));
		close(fd);
	}
	CU_ASSERT(tu_daemon_stop(&d) == 0);
	fprintf(stderr, "%s: %u keys, %u skipped (streams), %u differ\n", file,
		keys, skipped, bad);
	tu_json_free(fx);
}

static void test_random_42(void)
{
	run_fixture("random-42.json", "fxrand");
}

static void test_encodings(void)
{
	run_fixture("encodings.json", "fxenc");
}

/* The reader itself: escapes, surrogate pairs, nesting, errors. */
static void test_json_reader(void)
{
	static const char text[] =
		"{\"a\": [1, -2.5e3, true, false, null, \"x\\n\\u00e9\\ud83d\\ude00\"],"
		" \"b\": {\"hex\": \"00ff\"}, \"c\": \"base16:6869\"}";
	static const char *const bad[] = {
		"", "{", "[1,]", "{\"a\" 1}", "\"abc", "\"\\q\"", "[1] x",
		"\"\\u12\"", "nul",
	};
	char err[128], *b;
	size_t bl;
	struct tu_json *j = tu_json_parse(text, sizeof(text) - 1, err,
					  sizeof(err));
	const struct tu_json *a;

	CU_ASSERT_FATAL(j != NULL);
	a = tu_json_get(j, "a");
	CU_ASSERT_FATAL(a && a->type == TJ_ARR && a->n == 6);
	CU_ASSERT(a->items[1].type == TJ_NUM &&
		  !strcmp(a->items[1].s, "-2.5e3"));
	CU_ASSERT(a->items[2].type == TJ_BOOL && a->items[2].b);
	CU_ASSERT(a->items[3].type == TJ_BOOL && !a->items[3].b);
	CU_ASSERT(a->items[4].type == TJ_NULL);
	CU_ASSERT(a->items[5].len == 8 &&
		  !memcmp(a->items[5].s, "x\n\xc3\xa9\xf0\x9f\x98\x80", 8));
	CU_ASSERT(fx_bytes(tu_json_get(j, "b"), &b, &bl));
	CU_ASSERT(bl == 2 && !memcmp(b, "\x00\xff", 2));
	free(b);
	CU_ASSERT(fx_bytes(tu_json_get(j, "c"), &b, &bl));
	CU_ASSERT(bl == 2 && !memcmp(b, "hi", 2));
	free(b);
	CU_ASSERT(tu_json_get(j, "zz") == NULL);
	tu_json_free(j);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = tu_json_parse(bad[i], strlen(bad[i]), err, sizeof(err));
		CU_ASSERT(j == NULL);
		tu_json_free(j);
	}
}

static CU_TestInfo tests[] = {
	{ "json_reader", test_json_reader },
	{ "random_42", test_random_42 },
	{ "encodings", test_encodings },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = { { "fixtures", tests },
					   { NULL, NULL } };

	return tu_main(argc, argv, suites);
}
