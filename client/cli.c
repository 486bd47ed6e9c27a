/*
 * cli.c - the shmrep command: reads an instance through libshmrep, never
 * through the daemon's socket, so it shows exactly what every other reader
 * on the host sees.
 *
 *   shmrep [-n NAME] [-d DB] COMMAND [ARGS]
 *
 * Exit status: 0 on success, 1 when the key (or instance) does not exist,
 * 2 on any other error (message on stderr).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shmrep.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: shmrep [-n NAME] [-d DB] COMMAND [ARGS]\n"
		"\n"
		"Reads the shmrep instance NAME (default: $SHMREP_NAME or \"default\")\n"
		"straight from shared memory, database DB (default 0).\n"
		"\n"
		"commands:\n"
		"  get KEY                  the string value of KEY\n"
		"  ttl KEY | pttl KEY       time to live (-1 none, -2 no such key)\n"
		"  type KEY                 string, list, set, zset, hash or none\n"
		"  exists KEY               1 or 0\n"
		"  dbsize                   number of keys in DB\n"
		"  scan [PATTERN]           every key of DB (matching PATTERN)\n"
		"  hget KEY FIELD           the value of FIELD in hash KEY\n"
		"  hgetall KEY              every field and value, one a line\n"
		"  hlen KEY                 number of fields (0: no such key)\n"
		"  sismember KEY MEMBER     1 or 0\n"
		"  smembers KEY             every member, one a line\n"
		"  scard KEY                number of members (0: no such key)\n"
		"  llen KEY                 number of elements (0: no such key)\n"
		"  lindex KEY INDEX         the element at INDEX (-1: the last)\n"
		"  lrange KEY START STOP    elements START..STOP, one a line\n"
		"  zscore KEY MEMBER        the score of MEMBER in sorted set KEY\n"
		"  zrange KEY START STOP    members START..STOP by rank, each\n"
		"                           followed by its score, one a line\n"
		"  zcard KEY                number of members (0: no such key)\n"
		"  info                     version, mode, keys, replication state\n"
		"  readers                  the reader-slot table\n"
		"  unlink                   remove the instance's region files\n"
		"                           (refused while a daemon serves it)\n"
		"  version                  this tool's and the library's version\n");
}

static int fail(int rc, const char *what)
{
	fprintf(stderr, "shmrep: %s: %s\n", what, shmrep_strerror(rc));
	return rc == SHMREP_ENOENT ? 1 : 2;
}

static int cmd_get(shmrep *h, int db, const char *key)
{
	char small[4096], *buf = small;
	size_t len = 0;
	int rc = shmrep_get(h, db, key, strlen(key), buf, sizeof(small), &len);

	if (rc == SHMREP_ERANGE) {
		/* The value may change between calls: retry until it fits. */
		while (rc == SHMREP_ERANGE) {
			if (buf != small)
				free(buf);
			buf = malloc(len ? len : 1);
			if (!buf)
				return fail(SHMREP_ENOMEM, "get");
			rc = shmrep_get(h, db, key, strlen(key), buf, len, &len);
		}
	}
	if (rc == SHMREP_ENOENT) {
		printf("(nil)\n");
		return 1;
	}
	if (rc == 0) {
		fwrite(buf, 1, len, stdout);
		putchar('\n');
	}
	if (buf != small)
		free(buf);
	return rc ? fail(rc, "get") : 0;
}

static int cmd_ttl(shmrep *h, int db, const char *key, bool ms)
{
	int64_t t;
	int rc = shmrep_ttl(h, db, key, strlen(key), &t);

	if (rc == SHMREP_ENOENT) {
		printf("-2\n");
		return 0;
	}
	if (rc)
		return fail(rc, "ttl");
	if (t >= 0 && !ms)
		t = (t + 500) / 1000;
	printf("%" PRId64 "\n", t);
	return 0;
}

static int cmd_type(shmrep *h, int db, const char *key)
{
	int type = 0, rc = shmrep_type(h, db, key, strlen(key), &type);

	if (rc && rc != SHMREP_ENOENT)
		return fail(rc, "type");
	printf("%s\n", shmrep_type_name(rc ? 0 : type));
	return 0;
}

static int cmd_exists(shmrep *h, int db, const char *key)
{
	int rc = shmrep_exists(h, db, key, strlen(key));

	if (rc && rc != SHMREP_ENOENT)
		return fail(rc, "exists");
	printf("%d\n", rc == 0);
	return 0;
}

static int cmd_dbsize(shmrep *h, int db)
{
	uint64_t n;
	int rc = shmrep_dbsize(h, db, &n);

	if (rc)
		return fail(rc, "dbsize");
	printf("%" PRIu64 "\n", n);
	return 0;
}

static int cmd_scan(shmrep *h, int db, const char *match)
{
	shmrep_snapshot *s;
	shmrep_view keys[256];
	uint64_t cursor = 0;
	int rc = shmrep_snapshot_begin(h, &s);

	if (rc)
		return fail(rc, "scan");
	do {
		size_t n;

		rc = shmrep_snapshot_scan(s, db, &cursor, match, keys, 256, &n);
		for (size_t i = 0; i < n; i++) {
			fwrite(keys[i].ptr, 1, keys[i].len, stdout);
			putchar('\n');
		}
	} while (rc == 0 && cursor);
	shmrep_snapshot_end(s);
	return rc ? fail(rc, "scan") : 0;
}

/* A view, then a newline. */
static void put_view(const shmrep_view *v)
{
	fwrite(v->ptr, 1, v->len, stdout);
	putchar('\n');
}

/* One snapshot read of a hash or set key: hget, hlen, scard, sismember. */
static int cmd_coll_one(shmrep *h, int db, const char *cmd, const char *key,
			const char *arg)
{
	shmrep_snapshot *s;
	shmrep_view v;
	uint64_t n = 0;
	int rc = shmrep_snapshot_begin(h, &s);

	if (rc)
		return fail(rc, cmd);
	if (!strcmp(cmd, "hget")) {
		rc = shmrep_snapshot_hget(s, db, key, strlen(key), arg,
					  strlen(arg), &v);
		if (rc == 0)
			put_view(&v);
		else if (rc == SHMREP_ENOENT)
			printf("(nil)\n");
	} else if (!strcmp(cmd, "sismember")) {
		rc = shmrep_snapshot_sismember(s, db, key, strlen(key), arg,
					       strlen(arg));
		if (rc >= 0) {
			printf("%d\n", rc);
			rc = 0;
		}
	} else {
		rc = !strcmp(cmd, "hlen")
			     ? shmrep_snapshot_hlen(s, db, key, strlen(key), &n)
			     : shmrep_snapshot_scard(s, db, key, strlen(key), &n);
		/* As Redis: a missing key counts nothing. */
		if (rc == 0 || rc == SHMREP_ENOENT) {
			printf("%" PRIu64 "\n", n);
			rc = 0;
		}
	}
	shmrep_snapshot_end(s);
	if (rc == SHMREP_ENOENT)
		return 1;
	return rc ? fail(rc, cmd) : 0;
}

/* hgetall (field and value lines) and smembers (member lines). */
static int cmd_coll_all(shmrep *h, int db, const char *cmd, const char *key)
{
	bool hash = !strcmp(cmd, "hgetall");
	shmrep_snapshot *s;
	shmrep_iter it;
	shmrep_entry e;
	int rc = shmrep_snapshot_begin(h, &s);

	if (rc)
		return fail(rc, cmd);
	rc = hash ? shmrep_snapshot_hiter(s, db, key, strlen(key), &it)
		  : shmrep_snapshot_siter(s, db, key, strlen(key), &it);
	while (rc == 0 && (rc = shmrep_iter_next(&it, &e)) == 1) {
		put_view(&e.key);
		if (hash)
			put_view(&e.value);
		rc = 0;
	}
	shmrep_snapshot_end(s);
	if (rc == SHMREP_ENOENT)
		return 1;
	return rc ? fail(rc, cmd) : 0;
}

/* argv as a Redis index (a 64-bit integer, nothing else); else false. */
static bool parse_index(const char *a, int64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoll(a, &end, 10);
	return *a && !*end && errno == 0;
}

static int cmd_llen(shmrep *h, int db, const char *key)
{
	shmrep_snapshot *s;
	uint64_t n = 0;
	int rc = shmrep_snapshot_begin(h, &s);

	if (rc)
		return fail(rc, "llen");
	rc = shmrep_snapshot_llen(s, db, key, strlen(key), &n);
	shmrep_snapshot_end(s);
	/* As Redis: a missing key is an empty list. */
	if (rc && rc != SHMREP_ENOENT)
		return fail(rc, "llen");
	printf("%" PRIu64 "\n", n);
	return 0;
}

static int cmd_lindex(shmrep *h, int db, const char *key, const char *idx)
{
	shmrep_snapshot *s;
	shmrep_view v;
	int64_t i;
	int rc;

	if (!parse_index(idx, &i)) {
		fprintf(stderr, "shmrep: lindex: bad index '%s'\n", idx);
		return 2;
	}
	rc = shmrep_snapshot_begin(h, &s);
	if (rc)
		return fail(rc, "lindex");
	rc = shmrep_snapshot_lindex(s, db, key, strlen(key), i, &v);
	if (rc == 0) {
		fwrite(v.ptr, 1, v.len, stdout);
		putchar('\n');
	}
	shmrep_snapshot_end(s);
	/* No such key, or no such index: Redis's nil either way. */
	if (rc == SHMREP_ENOENT || rc == SHMREP_ERANGE) {
		printf("(nil)\n");
		return 1;
	}
	return rc ? fail(rc, "lindex") : 0;
}

static int cmd_lrange(shmrep *h, int db, const char *key, const char *start,
		      const char *stop)
{
	shmrep_snapshot *s;
	shmrep_iter it;
	shmrep_entry e;
	int64_t a, b;
	int rc;

	if (!parse_index(start, &a) || !parse_index(stop, &b)) {
		fprintf(stderr, "shmrep: lrange: bad index\n");
		return 2;
	}
	rc = shmrep_snapshot_begin(h, &s);
	if (rc)
		return fail(rc, "lrange");
	rc = shmrep_snapshot_lrange(s, db, key, strlen(key), a, b, &it);
	while (rc == 0 && (rc = shmrep_iter_next(&it, &e)) == 1) {
		fwrite(e.key.ptr, 1, e.key.len, stdout);
		putchar('\n');
		rc = 0;
	}
	shmrep_snapshot_end(s);
	if (rc == SHMREP_ENOENT)
		return 1;
	return rc ? fail(rc, "lrange") : 0;
}

/* A score as Redis prints one (its d2string): inf, -inf, integers below
 * 2^52 without a decimal point, anything else with 17 digits. */
static void put_score(double d)
{
	if (isinf(d))
		printf("%s\n", d > 0 ? "inf" : "-inf");
	else if (d == 0)
		printf("%s\n", signbit(d) ? "-0" : "0");
	else if (d > -4503599627370495.0 && d < 4503599627370496.0 &&
		 d == (double)(long long)d)
		printf("%lld\n", (long long)d);
	else
		printf("%.17g\n", d);
}

static int cmd_zscore(shmrep *h, int db, const char *key, const char *m)
{
	shmrep_snapshot *s;
	double d;
	int rc = shmrep_snapshot_begin(h, &s);

	if (rc)
		return fail(rc, "zscore");
	rc = shmrep_snapshot_zscore(s, db, key, strlen(key), m, strlen(m), &d);
	shmrep_snapshot_end(s);
	if (rc == SHMREP_ENOENT) {
		printf("(nil)\n");
		return 1;
	}
	if (rc)
		return fail(rc, "zscore");
	put_score(d);
	return 0;
}

static int cmd_zcard(shmrep *h, int db, const char *key)
{
	shmrep_snapshot *s;
	uint64_t n = 0;
	int rc = shmrep_snapshot_begin(h, &s);

	if (rc)
		return fail(rc, "zcard");
	rc = shmrep_snapshot_zcard(s, db, key, strlen(key), &n);
	shmrep_snapshot_end(s);
	/* As Redis: a missing key is an empty set. */
	if (rc && rc != SHMREP_ENOENT)
		return fail(rc, "zcard");
	printf("%" PRIu64 "\n", n);
	return 0;
}

/* ZRANGE KEY START STOP WITHSCORES: member and score lines. */
static int cmd_zrange(shmrep *h, int db, const char *key, const char *start,
		      const char *stop)
{
	shmrep_snapshot *s;
	shmrep_iter it;
	shmrep_entry e;
	int64_t a, b;
	int rc;

	if (!parse_index(start, &a) || !parse_index(stop, &b)) {
		fprintf(stderr, "shmrep: zrange: bad index\n");
		return 2;
	}
	rc = shmrep_snapshot_begin(h, &s);
	if (rc)
		return fail(rc, "zrange");
	rc = shmrep_snapshot_zrange(s, db, key, strlen(key), a, b, 0, &it);
	while (rc == 0 && (rc = shmrep_iter_next(&it, &e)) == 1) {
		put_view(&e.key);
		put_score(e.score);
		rc = 0;
	}
	shmrep_snapshot_end(s);
	if (rc == SHMREP_ENOENT)
		return 1;
	return rc ? fail(rc, "zrange") : 0;
}

static const char *link_name(int link)
{
	static const char *names[] = { "standalone", "down", "sync", "up" };

	return link >= 0 && link < 4 ? names[link] : "?";
}

static int cmd_info(shmrep *h)
{
	shmrep_info in;
	int rc = shmrep_info_get(h, &in);
	uint64_t now_us;
	struct timespec ts;

	if (rc)
		return fail(rc, "info");
	clock_gettime(CLOCK_REALTIME, &ts);
	now_us = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	printf("version:%" PRIu64 "\n", in.version);
	printf("mode:%s\n", in.mode == SHMREP_MODE_MUTEX ? "mutex" : "rcu");
	printf("incarnation:%016" PRIx64 "\n", in.incarnation);
	printf("created_ms:%" PRIu64 "\n", in.created_ms);
	printf("publish_us:%" PRIu64 "\n", in.publish_us);
	printf("publish_age_ms:%" PRIu64 "\n",
	       now_us > in.publish_us ? (now_us - in.publish_us) / 1000 : 0);
	printf("keys:%" PRIu64 "\n", in.keys);
	printf("databases:%d\n", in.databases);
	printf("region_size:%" PRIu64 "\n", in.region_size);
	printf("used_bytes:%" PRIu64 "\n", in.used_bytes);
	printf("link:%s\n", link_name(in.link));
	printf("link_since_ms:%" PRIu64 "\n", in.link_since_ms);
	printf("repl_offset:%" PRIu64 "\n", in.repl_offset);
	printf("writer_alive:%d\n", in.writer_alive);
	printf("library:%s\n", shmrep_version_string());
	return 0;
}

static int cmd_readers(shmrep *h)
{
	shmrep_reader r[1024];
	size_t n;
	int rc = shmrep_readers(h, r, 1024, &n);
	struct timespec ts;
	uint64_t now;

	if (rc && rc != SHMREP_ERANGE)
		return fail(rc, "readers");
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	printf("%-6s %-8s %-8s %-5s %-12s %-10s %s\n", "slot", "pid", "tid",
	       "alive", "version", "lag_ms", "age_s");
	for (size_t i = 0; i < n; i++)
		printf("%-6u %-8u %-8u %-5s %-12" PRIu64 " %-10" PRIu64 " %" PRIu64 "\n",
		       r[i].slot, r[i].pid, r[i].tid, r[i].alive ? "yes" : "no",
		       r[i].version, r[i].lag_ms,
		       r[i].claimed_ms && now > r[i].claimed_ms
			       ? (now - r[i].claimed_ms) / 1000 : 0);
	if (rc == SHMREP_ERANGE)
		printf("(more slots claimed than shown)\n");
	return 0;
}

/* Remove the region files, unless a daemon holds the writer lock. */
static int cmd_unlink(const char *name)
{
	char data[256], ctl[256];
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 1 };
	int fd, rc = 0;

	snprintf(data, sizeof(data), "/dev/shm/shmrep.%s.data", name);
	snprintf(ctl, sizeof(ctl), "/dev/shm/shmrep.%s.ctl", name);
	fd = open(ctl, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		/* Take the writer lock ourselves: no daemon can start while we
		 * remove the files, and none is running if we get it. */
		if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
			fprintf(stderr, "shmrep: instance '%s' is served by a running shmrepd\n",
				name);
			close(fd);
			return 2;
		}
	}
	if (unlink(data) < 0 && errno != ENOENT)
		rc = 2;
	if (unlink(ctl) < 0 && errno != ENOENT)
		rc = 2;
	if (fd >= 0)
		close(fd);
	if (rc)
		fprintf(stderr, "shmrep: unlink: %s\n", strerror(errno));
	return rc;
}

int main(int argc, char **argv)
{
	const char *name = getenv("SHMREP_NAME");
	const char *cmd;
	shmrep *h;
	int db = 0, opt, rc;

	if (!name || !*name)
		name = "default";
	while ((opt = getopt(argc, argv, "+n:d:h")) != -1) {
		switch (opt) {
		case 'n':
			name = optarg;
			break;
		case 'd':
			db = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind++];
	argc -= optind;
	argv += optind;
	if (!strcmp(cmd, "version")) {
		printf("shmrep %s (library %s)\n", SHMREP_VERSION_HEX == shmrep_version()
		       ? shmrep_version_string() : "mismatch", shmrep_version_string());
		return 0;
	}
	if (!strcmp(cmd, "unlink"))
		return cmd_unlink(name);
	rc = shmrep_open(name, 0, &h);
	if (rc)
		return fail(rc, name);
	if (!strcmp(cmd, "get") && argc == 1)
		rc = cmd_get(h, db, argv[0]);
	else if (!strcmp(cmd, "ttl") && argc == 1)
		rc = cmd_ttl(h, db, argv[0], false);
	else if (!strcmp(cmd, "pttl") && argc == 1)
		rc = cmd_ttl(h, db, argv[0], true);
	else if (!strcmp(cmd, "type") && argc == 1)
		rc = cmd_type(h, db, argv[0]);
	else if (!strcmp(cmd, "exists") && argc == 1)
		rc = cmd_exists(h, db, argv[0]);
	else if (!strcmp(cmd, "dbsize") && argc == 0)
		rc = cmd_dbsize(h, db);
	else if (!strcmp(cmd, "scan") && argc <= 1)
		rc = cmd_scan(h, db, argc ? argv[0] : NULL);
	else if ((!strcmp(cmd, "hget") || !strcmp(cmd, "sismember")) &&
		 argc == 2)
		rc = cmd_coll_one(h, db, cmd, argv[0], argv[1]);
	else if ((!strcmp(cmd, "hlen") || !strcmp(cmd, "scard")) && argc == 1)
		rc = cmd_coll_one(h, db, cmd, argv[0], NULL);
	else if ((!strcmp(cmd, "hgetall") || !strcmp(cmd, "smembers")) &&
		 argc == 1)
		rc = cmd_coll_all(h, db, cmd, argv[0]);
	else if (!strcmp(cmd, "llen") && argc == 1)
		rc = cmd_llen(h, db, argv[0]);
	else if (!strcmp(cmd, "lindex") && argc == 2)
		rc = cmd_lindex(h, db, argv[0], argv[1]);
	else if (!strcmp(cmd, "lrange") && argc == 3)
		rc = cmd_lrange(h, db, argv[0], argv[1], argv[2]);
	else if (!strcmp(cmd, "zscore") && argc == 2)
		rc = cmd_zscore(h, db, argv[0], argv[1]);
	else if (!strcmp(cmd, "zrange") && argc == 3)
		rc = cmd_zrange(h, db, argv[0], argv[1], argv[2]);
	else if (!strcmp(cmd, "zcard") && argc == 1)
		rc = cmd_zcard(h, db, argv[0]);
	else if (!strcmp(cmd, "info") && argc == 0)
		rc = cmd_info(h);
	else if (!strcmp(cmd, "readers") && argc == 0)
		rc = cmd_readers(h);
	else {
		fprintf(stderr, "shmrep: unknown command or wrong arguments: %s\n", cmd);
		usage(stderr);
		rc = 2;
	}
	shmrep_close(h);
	return rc;
}
