/*
 * test_e2e.c - shmrepd end to end: a real daemon, written to with redis-cli
 * and raw RESP, read from other processes through libshmrep and through the
 * shmrep CLI.  Also the daemon's bad-input and failure behaviour: malformed
 * and truncated requests, a full region, restarts and SIGKILL while writes
 * stream in.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shmrep.h"
#include "testutil.h"
#include "tu_daemon.h"

static char buf[1 << 20];

static bool have_redis_cli(void)
{
	return access("/usr/bin/redis-cli", X_OK) == 0;
}

/* Read key through libshmrep in a fresh process; 0 if it equals want
 * (want NULL: must be missing). */
struct child_get {
	const char *name, *key, *want;
};

static int child_get(void *arg)
{
	struct child_get *g = arg;
	char v[256];
	size_t len;
	shmrep *h;
	int rc = shmrep_open(g->name, 0, &h);

	if (rc)
		return 10;
	rc = shmrep_get(h, 0, g->key, strlen(g->key), v, sizeof(v), &len);
	shmrep_close(h);
	if (!g->want)
		return rc == SHMREP_ENOENT ? 0 : 11;
	if (rc)
		return 12;
	return len == strlen(g->want) && !memcmp(v, g->want, len) ? 0 : 13;
}

static void test_redis_cli_to_readers(void)
{
	struct tu_daemon d;
	char out[4096];

	if (!have_redis_cli()) {
		fprintf(stderr, "redis-cli not installed: skipped\n");
		return;
	}
	CU_ASSERT_FATAL(tu_daemon_start(&d, "e2e", NULL) == 0);
	{
		const char *set1[] = { "redis-cli", "-s", d.sock, "SET", "greeting", "hello world", NULL };
		const char *set2[] = { "redis-cli", "-s", d.sock, "SET", "counter", "41", "EX", "1000", NULL };
		const char *incr[] = { "redis-cli", "-s", d.sock, "INCR", "counter", NULL };
		const char *mset[] = { "redis-cli", "-s", d.sock, "MSET", "a", "1", "b", "2", NULL };

		CU_ASSERT(tu_run(set1, out, sizeof(out), 5000) == 0);
		CU_ASSERT_STRING_EQUAL(out, "OK\n");
		CU_ASSERT(tu_run(set2, out, sizeof(out), 5000) == 0);
		CU_ASSERT(tu_run(incr, out, sizeof(out), 5000) == 0);
		CU_ASSERT_STRING_EQUAL(out, "42\n");
		CU_ASSERT(tu_run(mset, out, sizeof(out), 5000) == 0);
	}
	/* Another process, through libshmrep. */
	{
		struct child_get g1 = { d.name, "greeting", "hello world" };
		struct child_get g2 = { d.name, "counter", "42" };
		struct child_get g3 = { d.name, "nosuchkey", NULL };

		CU_ASSERT(tu_wait(tu_fork(child_get, &g1), 5000) == 0);
		CU_ASSERT(tu_wait(tu_fork(child_get, &g2), 5000) == 0);
		CU_ASSERT(tu_wait(tu_fork(child_get, &g3), 5000) == 0);
	}
	/* And through the shmrep CLI. */
	{
		const char *get[] = { tu_cli(), "-n", d.name, "get", "greeting", NULL };
		const char *ttl[] = { tu_cli(), "-n", d.name, "ttl", "counter", NULL };
		const char *type[] = { tu_cli(), "-n", d.name, "type", "a", NULL };
		const char *dbsize[] = { tu_cli(), "-n", d.name, "dbsize", NULL };
		const char *scan[] = { tu_cli(), "-n", d.name, "scan", "[ab]", NULL };
		const char *miss[] = { tu_cli(), "-n", d.name, "get", "nope", NULL };
		const char *info[] = { tu_cli(), "-n", d.name, "info", NULL };

		CU_ASSERT(tu_run(get, out, sizeof(out), 5000) == 0);
		CU_ASSERT_STRING_EQUAL(out, "hello world\n");
		CU_ASSERT(tu_run(ttl, out, sizeof(out), 5000) == 0);
		CU_ASSERT(atoi(out) > 990 && atoi(out) <= 1000);
		CU_ASSERT(tu_run(type, out, sizeof(out), 5000) == 0);
		CU_ASSERT_STRING_EQUAL(out, "string\n");
		CU_ASSERT(tu_run(dbsize, out, sizeof(out), 5000) == 0);
		CU_ASSERT_STRING_EQUAL(out, "4\n");
		CU_ASSERT(tu_run(scan, out, sizeof(out), 5000) == 0);
		CU_ASSERT(!strcmp(out, "a\nb\n") || !strcmp(out, "b\na\n"));
		CU_ASSERT(tu_run(miss, out, sizeof(out), 5000) == 1);
		CU_ASSERT(tu_run(info, out, sizeof(out), 5000) == 0);
		CU_ASSERT(strstr(out, "mode:rcu\n") != NULL);
		CU_ASSERT(strstr(out, "writer_alive:1\n") != NULL);
		CU_ASSERT(strstr(out, "keys:4\n") != NULL);
	}
	CU_ASSERT(tu_daemon_stop(&d) == 0);
}

/* The CLI's collection reads: what redis-cli wrote, one a line, and exit
 * status 1 for a missing key or member, 2 for the wrong type. */
static void test_cli_collections(void)
{
	static const char *const writes[][12] = {
		{ "HSET", "h", "f1", "v1", "f2", "v2", NULL },
		{ "SADD", "s", "m1", "m2", "m3", NULL },
		{ "ZADD", "z", "1", "a", "2.5", "b", "-inf", "c", NULL },
		{ "RPUSH", "l", "x", "y", "z", NULL },
		{ "SET", "str", "v", NULL },
	};
	static const struct {
		const char *argv[5];
		int status;
		const char *out; /* NULL: any order of the lines in alt */
		const char *alt[2];
	} reads[] = {
		{ { "hget", "h", "f2" }, 0, "v2\n" },
		{ { "hget", "h", "nope" }, 1, "(nil)\n" },
		{ { "hgetall", "h" }, 0, NULL, { "f1\nv1\nf2\nv2\n", "f2\nv2\nf1\nv1\n" } },
		{ { "hlen", "h" }, 0, "2\n" },
		{ { "hlen", "nope" }, 0, "0\n" },
		{ { "sismember", "s", "m2" }, 0, "1\n" },
		{ { "sismember", "s", "m9" }, 0, "0\n" },
		{ { "scard", "s" }, 0, "3\n" },
		{ { "zscore", "z", "b" }, 0, "2.5\n" },
		{ { "zscore", "z", "nope" }, 1, "(nil)\n" },
		{ { "zrange", "z", "0", "-1" }, 0, "c\n-inf\na\n1\nb\n2.5\n" },
		{ { "zrange", "nope", "0", "-1" }, 1, "" },
		{ { "zcard", "z" }, 0, "3\n" },
		{ { "lrange", "l", "0", "-1" }, 0, "x\ny\nz\n" },
		{ { "lrange", "l", "-2", "100" }, 0, "y\nz\n" },
		{ { "lindex", "l", "-1" }, 0, "z\n" },
		{ { "llen", "l" }, 0, "3\n" },
		{ { "hget", "str", "f" }, 2, "" },
		{ { "lrange", "h", "0", "-1" }, 2, "" },
	};
	struct tu_daemon d;
	char out[4096];

	if (!have_redis_cli()) {
		fprintf(stderr, "redis-cli not installed: skipped\n");
		return;
	}
	CU_ASSERT_FATAL(tu_daemon_start(&d, "e2ec", NULL) == 0);
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		const char *argv[16] = { "redis-cli", "-s", d.sock };
		int n = 3;

		for (int j = 0; writes[i][j]; j++)
			argv[n++] = writes[i][j];
		CU_ASSERT(tu_run(argv, out, sizeof(out), 5000) == 0);
	}
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		const char *argv[16] = { tu_cli(), "-n", d.name };
		int n = 3, rc;

		for (int j = 0; j < 5 && reads[i].argv[j]; j++)
			argv[n++] = reads[i].argv[j];
		rc = tu_run(argv, out, sizeof(out), 5000);
		if (rc != reads[i].status)
			fprintf(stderr, "shmrep %s %s: exit %d, not %d\n",
				reads[i].argv[0], reads[i].argv[1], rc,
				reads[i].status);
		CU_ASSERT(rc == reads[i].status);
		if (reads[i].out) {
			CU_ASSERT_STRING_EQUAL(out, reads[i].out);
		} else {
			CU_ASSERT(!strcmp(out, reads[i].alt[0]) ||
				  !strcmp(out, reads[i].alt[1]));
		}
	}
	CU_ASSERT(tu_daemon_stop(&d) == 0);
}

/* A reply received means the write is visible to every reader. */
static void test_read_your_writes(void)
{
	struct tu_daemon d;
	shmrep *h;
	int fd;

	CU_ASSERT_FATAL(tu_daemon_start(&d, "ryw", NULL) == 0);
	CU_ASSERT_FATAL(shmrep_open(d.name, 0, &h) == 0);
	fd = tu_connect(d.sock);
	CU_ASSERT_FATAL(fd >= 0);
	for (int i = 0; i < 2000; i++) {
		char val[32], got[32];
		size_t len;

		snprintf(val, sizeof(val), "v%d", i);
		CU_ASSERT_FATAL(tu_cmd(fd, buf, sizeof(buf), "SET", "k", val, NULL) > 0);
		CU_ASSERT_FATAL(shmrep_get(h, 0, "k", 1, got, sizeof(got), &len) == 0);
		CU_ASSERT_FATAL(len == strlen(val) && !memcmp(got, val, len));
	}
	close(fd);
	shmrep_close(h);
	CU_ASSERT(tu_daemon_stop(&d) == 0);
}

static void test_expiry(void)
{
	struct tu_daemon d;
	shmrep *h;
	char v[16];
	size_t len;
	int fd;
	uint64_t deadline;

	CU_ASSERT_FATAL(tu_daemon_start(&d, "exp", NULL) == 0);
	CU_ASSERT_FATAL(shmrep_open(d.name, 0, &h) == 0);
	fd = tu_connect(d.sock);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(tu_cmd(fd, buf, sizeof(buf), "SET", "short", "x", "PX", "150", NULL) > 0);
	CU_ASSERT(shmrep_get(h, 0, "short", 5, v, sizeof(v), &len) == 0);
	tu_sleep_ms(200);
	/* Invisible the moment the TTL passes, whether deleted yet or not. */
	CU_ASSERT(shmrep_get(h, 0, "short", 5, v, sizeof(v), &len) == SHMREP_ENOENT);
	/* And deleted by the daemon's active expiry soon after. */
	deadline = tu_now_ms() + 3000;
	do {
		tu_cmd(fd, buf, sizeof(buf), "DBSIZE", NULL);
		if (!strcmp(buf, ":0\r\n"))
			break;
		tu_sleep_ms(20);
	} while (tu_now_ms() < deadline);
	CU_ASSERT_STRING_EQUAL(buf, ":0\r\n");
	close(fd);
	shmrep_close(h);
	CU_ASSERT(tu_daemon_stop(&d) == 0);
}

static void expect_closed(int fd)
{
	char c;

	CU_ASSERT(read(fd, &c, 1) == 0);
}

static void test_bad_input(void)
{
	struct tu_daemon d;
	int fd;
	long n;

	CU_ASSERT_FATAL(tu_daemon_start(&d, "bad", NULL) == 0);
	/* Malformed multibulk: error, then the connection is closed. */
	fd = tu_connect(d.sock);
	CU_ASSERT((size_t)write(fd, "*x\r\n", 4) == 4);
	n = tu_read_reply(fd, buf, sizeof(buf));
	CU_ASSERT(n > 0 && !strcmp(buf, "-ERR Protocol error: invalid multibulk length\r\n"));
	expect_closed(fd);
	close(fd);
	/* A huge bulk length. */
	fd = tu_connect(d.sock);
	{
		const char req[] = "*2\r\n$3\r\nGET\r\n$99999999999\r\n";

		CU_ASSERT((size_t)write(fd, req, sizeof(req) - 1) == sizeof(req) - 1);
	}
	n = tu_read_reply(fd, buf, sizeof(buf));
	CU_ASSERT(n > 0 && !strcmp(buf, "-ERR Protocol error: invalid bulk length\r\n"));
	expect_closed(fd);
	close(fd);
	/* A client that disconnects mid-command: nothing is applied. */
	fd = tu_connect(d.sock);
	{
		const char req[] = "*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$10\r\nabc";

		CU_ASSERT((size_t)write(fd, req, sizeof(req) - 1) == sizeof(req) - 1);
	}
	close(fd);
	fd = tu_connect(d.sock);
	CU_ASSERT_FATAL(fd >= 0);
	tu_cmd(fd, buf, sizeof(buf), "EXISTS", "half", NULL);
	CU_ASSERT_STRING_EQUAL(buf, ":0\r\n");
	/* Errors as Redis words them. */
	tu_cmd(fd, buf, sizeof(buf), "NOSUCH", "a", "b", NULL);
	CU_ASSERT_STRING_EQUAL(buf, "-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' \r\n");
	tu_cmd(fd, buf, sizeof(buf), "GET", NULL);
	CU_ASSERT_STRING_EQUAL(buf, "-ERR wrong number of arguments for 'get' command\r\n");
	tu_cmd(fd, buf, sizeof(buf), "SET", "k", "v", "EX", "0", NULL);
	CU_ASSERT_STRING_EQUAL(buf, "-ERR invalid expire time in 'set' command\r\n");
	tu_cmd(fd, buf, sizeof(buf), "SET", "k", "v", "NX", "XX", NULL);
	CU_ASSERT_STRING_EQUAL(buf, "-ERR syntax error\r\n");
	tu_cmd(fd, buf, sizeof(buf), "SELECT", "16", NULL);
	CU_ASSERT_STRING_EQUAL(buf, "-ERR DB index is out of range\r\n");
	/* Inline commands work too (telnet style). */
	CU_ASSERT(write(fd, "PING\r\n", 6) == 6);
	n = tu_read_reply(fd, buf, sizeof(buf));
	CU_ASSERT(n > 0 && !strcmp(buf, "+PONG\r\n"));
	close(fd);
	CU_ASSERT(tu_daemon_stop(&d) == 0);
}

static void test_full_region(void)
{
	const char *extra[] = { "--size", "1mb", NULL };
	struct tu_daemon d;
	char *big = malloc(60000);
	shmrep *h;
	size_t len;
	int fd, i, oom = 0;

	memset(big, 'x', 60000);
	CU_ASSERT_FATAL(tu_daemon_start(&d, "full", extra) == 0);
	CU_ASSERT_FATAL(shmrep_open(d.name, 0, &h) == 0);
	fd = tu_connect(d.sock);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(tu_cmd(fd, buf, sizeof(buf), "SET", "keep", "me", NULL) > 0);
	for (i = 0; i < 100 && !oom; i++) {
		char key[16];
		const char *argv[] = { "SET", key, big };
		size_t lens[] = { 3, 0, 60000 };

		snprintf(key, sizeof(key), "big%d", i);
		lens[1] = strlen(key);
		CU_ASSERT_FATAL(tu_command(fd, 3, argv, lens, buf, sizeof(buf)) > 0);
		if (buf[0] == '-') {
			CU_ASSERT_STRING_EQUAL(buf,
				"-OOM command not allowed when used memory > 'maxmemory'.\r\n");
			oom = 1;
		}
	}
	CU_ASSERT(oom);
	/* Still serving; what was published is intact. */
	tu_cmd(fd, buf, sizeof(buf), "GET", "keep", NULL);
	CU_ASSERT_STRING_EQUAL(buf, "$2\r\nme\r\n");
	{
		char v[8];

		CU_ASSERT(shmrep_get(h, 0, "keep", 4, v, sizeof(v), &len) == 0);
		CU_ASSERT(len == 2 && !memcmp(v, "me", 2));
	}
	/* The key that did not fit was not half-written. */
	{
		char key[16];

		snprintf(key, sizeof(key), "big%d", i - 1);
		tu_cmd(fd, buf, sizeof(buf), "EXISTS", key, NULL);
		CU_ASSERT_STRING_EQUAL(buf, ":0\r\n");
	}
	/* Freeing memory makes writes possible again. */
	tu_cmd(fd, buf, sizeof(buf), "FLUSHDB", NULL);
	CU_ASSERT_STRING_EQUAL(buf, "+OK\r\n");
	{
		const char *argv[] = { "SET", "again", big };
		size_t lens[] = { 3, 5, 60000 };
		uint64_t deadline = tu_now_ms() + 3000;

		/* The flushed memory is reclaimed once no reader holds it. */
		do {
			tu_command(fd, 3, argv, lens, buf, sizeof(buf));
			if (!strcmp(buf, "+OK\r\n"))
				break;
			tu_sleep_ms(50);
		} while (tu_now_ms() < deadline);
		CU_ASSERT_STRING_EQUAL(buf, "+OK\r\n");
	}
	close(fd);
	shmrep_close(h);
	free(big);
	CU_ASSERT(tu_daemon_stop(&d) == 0);
}

static void test_restart_followed(void)
{
	struct tu_daemon d;
	shmrep_info a, b;
	shmrep *h;
	char v[16];
	size_t len;
	int fd;

	CU_ASSERT_FATAL(tu_daemon_start(&d, "rst", NULL) == 0);
	fd = tu_connect(d.sock);
	tu_cmd(fd, buf, sizeof(buf), "SET", "k", "before", NULL);
	tu_cmd(fd, buf, sizeof(buf), "SET", "t", "x", "EX", "100", NULL);
	close(fd);
	CU_ASSERT_FATAL(shmrep_open(d.name, 0, &h) == 0);
	CU_ASSERT(shmrep_info_get(h, &a) == 0);
	CU_ASSERT(tu_daemon_stop(&d) == 0);
	/* While the daemon is down readers keep reading. */
	CU_ASSERT(shmrep_get(h, 0, "k", 1, v, sizeof(v), &len) == 0);
	CU_ASSERT(len == 6 && !memcmp(v, "before", 6));
	CU_ASSERT(shmrep_info_get(h, &b) == 0);
	CU_ASSERT(b.writer_alive == 0);
	/* A new daemon takes the data over; the old handle follows. */
	CU_ASSERT_FATAL(tu_daemon_restart(&d, NULL) == 0);
	CU_ASSERT(shmrep_info_get(h, &b) == 0);
	CU_ASSERT(b.incarnation != a.incarnation);
	CU_ASSERT(b.version > a.version);
	CU_ASSERT(b.writer_alive == 1);
	CU_ASSERT(b.keys == 2);
	{
		int64_t ttl;

		CU_ASSERT(shmrep_ttl(h, 0, "t", 1, &ttl) == 0);
		CU_ASSERT(ttl > 90000 && ttl <= 100000);
	}
	fd = tu_connect(d.sock);
	tu_cmd(fd, buf, sizeof(buf), "SET", "k", "after", NULL);
	close(fd);
	CU_ASSERT(shmrep_get(h, 0, "k", 1, v, sizeof(v), &len) == 0);
	CU_ASSERT(len == 5 && !memcmp(v, "after", 5));
	shmrep_close(h);
	CU_ASSERT(tu_daemon_stop(&d) == 0);
}

/* A reader checking that the N keys of every snapshot it sees carry one
 * generation, until told to stop; exit 0 if they always did. */
#define GEN_KEYS 32
struct gen_reader {
	const char *name;
	int stop_fd;
};

static int gen_reader(void *arg)
{
	struct gen_reader *g = arg;
	shmrep *h;
	long checked = 0, last = -1;

	if (shmrep_open(g->name, 0, &h))
		return 20;
	for (;;) {
		shmrep_snapshot *s;
		long gen = -1;
		char c;
		int rc0;

		if (read(g->stop_fd, &c, 1) == 1 || checked > 50000000)
			break;
		rc0 = shmrep_snapshot_begin(h, &s);
		/* Mutex mode: a daemon killed inside a write section leaves
		 * the region unusable until the next one repairs it. */
		if (rc0 == SHMREP_EUNUSABLE) {
			tu_sleep_ms(1);
			continue;
		}
		if (rc0)
			return 21;
		for (int i = 0; i < GEN_KEYS; i++) {
			char key[16];
			shmrep_view v;
			long x;
			int rc;

			snprintf(key, sizeof(key), "g%d", i);
			rc = shmrep_snapshot_get(s, 0, key, strlen(key), &v);
			if (rc == SHMREP_ENOENT) {
				x = -2;
			} else if (rc) {
				return 22;
			} else {
				char tmp[24];

				snprintf(tmp, sizeof(tmp), "%.*s", (int)v.len,
					 (const char *)v.ptr);
				x = atol(tmp);
			}
			if (i == 0)
				gen = x;
			else if (x != gen)
				return 23; /* a mix of generations */
		}
		shmrep_snapshot_end(s);
		if (gen != -2 && gen < last)
			return 24; /* went backwards */
		if (gen != -2)
			last = gen;
		checked++;
	}
	shmrep_close(h);
	fprintf(stderr, "reader checked %ld snapshots, last generation %ld\n",
		checked, last);
	return 0;
}

static void sigkill_while_writing(const char *const *extra)
{
	struct tu_daemon d;
	struct gen_reader g;
	int pfd[2], fd;
	pid_t reader;
	long gen = 0;

	CU_ASSERT_FATAL(tu_daemon_start(&d, "kill", extra) == 0);
	CU_ASSERT_FATAL(pipe(pfd) == 0);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	g.name = d.name;
	g.stop_fd = pfd[0];
	reader = tu_fork(gen_reader, &g);
	fd = tu_connect(d.sock);
	CU_ASSERT_FATAL(fd >= 0);
	/* Stream MSETs of one generation each, pipelined, and kill the
	 * daemon in the middle of it. */
	for (int round = 0; round < 3; round++) {
		uint64_t until = tu_now_ms() + 300;

		while (tu_now_ms() < until) {
			char req[4096], *p = req;

			p += sprintf(p, "*%d\r\n$4\r\nMSET\r\n", 1 + 2 * GEN_KEYS);
			gen++;
			for (int i = 0; i < GEN_KEYS; i++) {
				char key[16], val[24];

				snprintf(key, sizeof(key), "g%d", i);
				snprintf(val, sizeof(val), "%ld", gen);
				p += sprintf(p, "$%zu\r\n%s\r\n$%zu\r\n%s\r\n",
					     strlen(key), key, strlen(val), val);
			}
			if (write(fd, req, (size_t)(p - req)) < 0)
				break;
		}
		tu_daemon_kill(&d);
		close(fd);
		tu_sleep_ms(50);
		CU_ASSERT_FATAL(tu_daemon_restart(&d, extra) == 0);
		fd = tu_connect(d.sock);
		CU_ASSERT_FATAL(fd >= 0);
	}
	close(fd);
	CU_ASSERT(write(pfd[1], "x", 1) == 1);
	CU_ASSERT(tu_wait(reader, 20000) == 0);
	close(pfd[0]);
	close(pfd[1]);
	CU_ASSERT(tu_daemon_stop(&d) == 0);
}

static void test_sigkill_while_writing(void)
{
	sigkill_while_writing(NULL);
}

/* The same with shmrepd in mutex mode: a kill inside a write section is
 * rolled back by the next daemon from its journal. */
static void test_sigkill_while_writing_mutex(void)
{
	const char *extra[] = { "--mode", "mutex", NULL };

	sigkill_while_writing(extra);
}

/* Switching modes is a restart with another setting: nothing is lost and
 * a reader follows, in both directions. */
static void test_mode_switch(void)
{
	const char *mutex[] = { "--mode", "mutex", NULL };
	const char *rcu[] = { "--mode", "rcu", NULL };
	struct tu_daemon d;
	shmrep_info info;
	shmrep *h;
	char v[16];
	size_t len;
	int fd;

	CU_ASSERT_FATAL(tu_daemon_start(&d, "mode", rcu) == 0);
	fd = tu_connect(d.sock);
	for (int i = 0; i < 500; i++) {
		char k[16];

		snprintf(k, sizeof(k), "k%d", i);
		tu_cmd(fd, buf, sizeof(buf), "SET", k, "v", NULL);
	}
	close(fd);
	CU_ASSERT_FATAL(shmrep_open(d.name, 0, &h) == 0);
	CU_ASSERT(shmrep_info_get(h, &info) == 0 && info.mode == SHMREP_MODE_RCU);
	for (int round = 0; round < 2; round++) {
		const char *const *next = round == 0 ? mutex : rcu;
		int want = round == 0 ? SHMREP_MODE_MUTEX : SHMREP_MODE_RCU;

		CU_ASSERT(tu_daemon_stop(&d) == 0);
		CU_ASSERT_FATAL(tu_daemon_restart(&d, next) == 0);
		CU_ASSERT(shmrep_info_get(h, &info) == 0);
		CU_ASSERT(info.mode == want);
		CU_ASSERT(info.keys == 500);
		CU_ASSERT(shmrep_get(h, 0, "k499", 4, v, sizeof(v), &len) == 0);
		fd = tu_connect(d.sock);
		tu_cmd(fd, buf, sizeof(buf), "INFO", "shmrep", NULL);
		CU_ASSERT(strstr(buf, want == SHMREP_MODE_MUTEX ? "mode:mutex"
								: "mode:rcu") != NULL);
		tu_cmd(fd, buf, sizeof(buf), "SET", "k0", round ? "r" : "m", NULL);
		close(fd);
		CU_ASSERT(shmrep_get(h, 0, "k0", 2, v, sizeof(v), &len) == 0);
		CU_ASSERT(len == 1 && v[0] == (round ? 'r' : 'm'));
	}
	shmrep_close(h);
	CU_ASSERT(tu_daemon_stop(&d) == 0);
}

static void test_auth(void)
{
	const char *extra[] = { "--requirepass", "s3cret", NULL };
	struct tu_daemon d;
	int fd;

	CU_ASSERT_FATAL(tu_daemon_start(&d, "auth", extra) == 0);
	fd = tu_connect(d.sock);
	tu_cmd(fd, buf, sizeof(buf), "GET", "k", NULL);
	CU_ASSERT_STRING_EQUAL(buf, "-NOAUTH Authentication required.\r\n");
	tu_cmd(fd, buf, sizeof(buf), "AUTH", "wrong", NULL);
	CU_ASSERT_STRING_EQUAL(buf,
		"-WRONGPASS invalid username-password pair or user is disabled.\r\n");
	tu_cmd(fd, buf, sizeof(buf), "AUTH", "s3cret", NULL);
	CU_ASSERT_STRING_EQUAL(buf, "+OK\r\n");
	tu_cmd(fd, buf, sizeof(buf), "GET", "k", NULL);
	CU_ASSERT_STRING_EQUAL(buf, "$-1\r\n");
	close(fd);
	CU_ASSERT(tu_daemon_stop(&d) == 0);
}

static CU_TestInfo tests[] = {
	{ "redis_cli_to_readers", test_redis_cli_to_readers },
	{ "cli_collections", test_cli_collections },
	{ "read_your_writes", test_read_your_writes },
	{ "expiry", test_expiry },
	{ "bad_input", test_bad_input },
	{ "full_region", test_full_region },
	{ "restart_followed", test_restart_followed },
	{ "sigkill_while_writing", test_sigkill_while_writing },
	{ "sigkill_while_writing_mutex", test_sigkill_while_writing_mutex },
	{ "mode_switch", test_mode_switch },
	{ "auth", test_auth },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = { { "e2e", tests }, { NULL, NULL } };

	return tu_main(argc, argv, suites);
}
