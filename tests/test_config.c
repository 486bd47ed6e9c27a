/*
 * test_config.c - the daemon's configuration against Redis 7.0's rules:
 * every directive with valid values, invalid values (the exact report) and
 * its boundaries one step inside and outside; argument quoting; comments and
 * line numbers; include (files, relative paths, wildcards, nesting); the
 * conversion of command-line arguments (including "-" for stdin, in a child
 * process); reload on SIGHUP; and config_dump() read back to the same
 * struct.  Files live in a mkdtemp() directory under /tmp that each test
 * removes, and an atexit() handler removes if an assertion aborted a test.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "shmrep.h"
#include "testutil.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define VERSION                                                          \
	STR(SHMREP_VERSION_MAJOR) "." STR(SHMREP_VERSION_MINOR) "."      \
		STR(SHMREP_VERSION_PATCH)
#define BANNER "\n*** FATAL CONFIG FILE ERROR (shmrep " VERSION ") ***\n"

#define NAME64                                                            \
	"0123456789012345678901234567890123456789012345678901234567890123"

static char err[2048];

/* --------------------------------------------------------------- helpers */

#define MAX_DIRS 16
static char dirs[MAX_DIRS][PATH_MAX];

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void dir_remove(char *dir)
{
	if (!dir[0])
		return;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	dir[0] = '\0';
}

static void dirs_remove_all(void)
{
	for (int i = 0; i < MAX_DIRS; i++)
		dir_remove(dirs[i]);
}

/* A fresh directory under /tmp (its real path), removed by dir_done(). */
static char *dir_new(void)
{
	static bool registered;
	char tmpl[] = "/tmp/shmrep-config-XXXXXX";

	if (!registered) {
		atexit(dirs_remove_all);
		registered = true;
	}
	for (int i = 0; i < MAX_DIRS; i++) {
		if (dirs[i][0])
			continue;
		if (!mkdtemp(tmpl) || !realpath(tmpl, dirs[i]))
			return NULL;
		return dirs[i];
	}
	return NULL;
}

static void dir_done(char *dir)
{
	if (dir)
		dir_remove(dir);
}

/* Write dir/name with text; returns the path (caller frees). */
static char *write_file(const char *dir, const char *name, const char *text)
{
	char *path = NULL;
	FILE *fp;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return NULL;
	fp = fopen(path, "w");
	if (!fp) {
		free(path);
		return NULL;
	}
	fputs(text, fp);
	fclose(fp);
	return path;
}

/* The value config_dump() gives for directive name, in buf. */
static const char *dump_value(const struct config *c, const char *name,
			      char *buf, size_t len)
{
	char *d = config_dump(c), *line = d;
	size_t n = strlen(name);

	buf[0] = '\0';
	while (line && *line) {
		char *nl = strchr(line, '\n');

		if (!strncmp(line, name, n) && line[n] == ' ') {
			size_t vl = (size_t)(nl ? nl - line - (long)n - 1 :
						  (long)strlen(line + n + 1));

			if (vl >= len)
				vl = len - 1;
			memcpy(buf, line + n + 1, vl);
			buf[vl] = '\0';
			break;
		}
		line = nl ? nl + 1 : NULL;
	}
	free(d);
	return buf;
}

static int load(struct config *c, const char *text)
{
	err[0] = '\0';
	return config_load_string(c, text, err, sizeof(err));
}

/* Redis's report for a bad line. */
static void expected_line_error(char *buf, size_t len, int linenum,
				const char *line, const char *why)
{
	snprintf(buf, len,
		 BANNER "Reading the configuration file, at line %d\n"
			">>> '%s'\n%s\n",
		 linenum, line, why);
}

/* True if err is exactly the report for (linenum, line, why); else says why. */
static bool err_is(int linenum, const char *line, const char *why)
{
	char want[2048];

	expected_line_error(want, sizeof(want), linenum, line, why);
	if (!strcmp(err, want))
		return true;
	fprintf(stderr, "\nwant: [%s]\ngot:  [%s]\n", want, err);
	return false;
}

/* All of the public fields equal (configfile excepted). */
static bool same_config(const struct config *a, const struct config *b)
{
#define SAME_STR(f)                                                        \
	((!a->f && !b->f) || (a->f && b->f && !strcmp(a->f, b->f)))
	if (strcmp(a->name, b->name) || a->size != b->size ||
	    a->mode != b->mode || a->readers != b->readers ||
	    a->shmperm != b->shmperm || a->membarrier != b->membarrier ||
	    a->reader_stall_warn_ms != b->reader_stall_warn_ms ||
	    a->mutex_drain_timeout_ms != b->mutex_drain_timeout_ms ||
	    a->batch_max_commands != b->batch_max_commands ||
	    a->batch_max_usec != b->batch_max_usec ||
	    !SAME_STR(unixsocket) || a->unixsocketperm != b->unixsocketperm ||
	    a->port != b->port || a->nbind != b->nbind ||
	    a->tcp_backlog != b->tcp_backlog || !SAME_STR(logfile) ||
	    a->loglevel != b->loglevel || !SAME_STR(pidfile) ||
	    a->daemonize != b->daemonize || !SAME_STR(requirepass) ||
	    a->databases != b->databases || a->maxclients != b->maxclients ||
	    a->timeout != b->timeout || a->hz != b->hz ||
	    a->proto_max_bulk_len != b->proto_max_bulk_len ||
	    a->client_query_buffer_limit != b->client_query_buffer_limit ||
	    !SAME_STR(replicaof_host) ||
	    a->replicaof_port != b->replicaof_port ||
	    !SAME_STR(masterauth) || !SAME_STR(masteruser))
		return false;
	for (int i = 0; i < a->nbind; i++)
		if (strcmp(a->bind[i], b->bind[i]))
			return false;
	return true;
#undef SAME_STR
}

/* ------------------------------------------------------------- defaults */

static const char default_dump[] =
	"name default\n"
	"size 1gb\n"
	"mode rcu\n"
	"readers 1024\n"
	"shmperm 0644\n"
	"membarrier yes\n"
	"reader-stall-warn 10000\n"
	"mutex-drain-timeout 1000\n"
	"batch-max-commands 10000\n"
	"batch-max-usec 1000\n"
	"unixsocket /tmp/shmrep.default.sock\n"
	"unixsocketperm 0000\n"
	"port 0\n"
	"bind 127.0.0.1 -::1\n"
	"tcp-backlog 511\n"
	"logfile \"\"\n"
	"loglevel notice\n"
	"pidfile \"\"\n"
	"daemonize no\n"
	"requirepass \"\"\n"
	"databases 16\n"
	"maxclients 10000\n"
	"timeout 0\n"
	"hz 10\n"
	"proto-max-bulk-len 512mb\n"
	"client-query-buffer-limit 1gb\n"
	"replicaof no one\n"
	"masterauth \"\"\n"
	"masteruser \"\"\n";

static void test_defaults(void)
{
	struct config c;
	char *d;

	config_init(&c);
	CU_ASSERT_STRING_EQUAL(c.name, "default");
	CU_ASSERT_EQUAL(c.size, 1073741824ull);
	CU_ASSERT_EQUAL(c.mode, CFG_MODE_RCU);
	CU_ASSERT_EQUAL(c.readers, 1024);
	CU_ASSERT_EQUAL(c.shmperm, 0644);
	CU_ASSERT(c.membarrier);
	CU_ASSERT_EQUAL(c.reader_stall_warn_ms, 10000);
	CU_ASSERT_EQUAL(c.mutex_drain_timeout_ms, 1000);
	CU_ASSERT_EQUAL(c.batch_max_commands, 10000);
	CU_ASSERT_EQUAL(c.batch_max_usec, 1000);
	CU_ASSERT_STRING_EQUAL(c.unixsocket, "/tmp/shmrep.default.sock");
	CU_ASSERT_EQUAL(c.unixsocketperm, 0);
	CU_ASSERT_EQUAL(c.port, 0);
	CU_ASSERT_EQUAL_FATAL(c.nbind, 2);
	CU_ASSERT_STRING_EQUAL(c.bind[0], "127.0.0.1");
	CU_ASSERT_STRING_EQUAL(c.bind[1], "-::1");
	CU_ASSERT_EQUAL(c.tcp_backlog, 511);
	CU_ASSERT_STRING_EQUAL(c.logfile, "");
	CU_ASSERT_EQUAL(c.loglevel, LL_NOTICE);
	CU_ASSERT_PTR_NULL(c.pidfile);
	CU_ASSERT(!c.daemonize);
	CU_ASSERT_PTR_NULL(c.requirepass);
	CU_ASSERT_EQUAL(c.databases, 16);
	CU_ASSERT_EQUAL(c.maxclients, 10000);
	CU_ASSERT_EQUAL(c.timeout, 0);
	CU_ASSERT_EQUAL(c.hz, 10);
	CU_ASSERT_EQUAL(c.proto_max_bulk_len, 512ull << 20);
	CU_ASSERT_EQUAL(c.client_query_buffer_limit, 1ull << 30);
	CU_ASSERT_PTR_NULL(c.replicaof_host);
	CU_ASSERT_PTR_NULL(c.masterauth);
	CU_ASSERT_PTR_NULL(c.masteruser);
	CU_ASSERT_PTR_NULL(c.configfile);
	d = config_dump(&c);
	CU_ASSERT_STRING_EQUAL(d, default_dump);
	free(d);

	/* Empty text changes nothing. */
	CU_ASSERT_EQUAL(load(&c, ""), 0);
	CU_ASSERT_EQUAL(load(&c, NULL), 0);
	d = config_dump(&c);
	CU_ASSERT_STRING_EQUAL(d, default_dump);
	free(d);
	config_free(&c);
	CU_ASSERT_PTR_NULL(c.bind);
	config_free(&c); /* freeing twice is harmless */
}

/* ------------------------------------------------ every directive, valid */

struct ok_case {
	const char *text;
	const char *directive;
	const char *value; /* as config_dump() writes it */
};

static const struct ok_case ok_cases[] = {
	{ "name a", "name", "a" },
	{ "name A.b_c-9", "name", "A.b_c-9" },
	{ "name x.", "name", "x." },
	{ "name " NAME64, "name", NAME64 },
	{ "size 256kb", "size", "256kb" },
	{ "size 262144", "size", "256kb" },
	{ "size 262145", "size", "260kb" }, /* rounded up to 4 KiB */
	{ "size 64gb", "size", "64gb" },
	{ "size 68719476736", "size", "64gb" },
	{ "size 68719472641", "size", "64gb" },
	{ "size 1gb", "size", "1gb" },
	{ "size 1GB", "size", "1gb" },
	{ "size 1Gb", "size", "1gb" },
	{ "size 1g", "size", "976564kb" }, /* 10^9 rounded up */
	{ "size 2mb", "size", "2mb" },
	{ "size 1m", "size", "980kb" },
	{ "size 300k", "size", "296kb" },
	{ "size 300000b", "size", "296kb" },
	{ "size 300000B", "size", "296kb" },
	{ "mode rcu", "mode", "rcu" },
	{ "mode mutex", "mode", "mutex" },
	{ "mode MUTEX", "mode", "mutex" },
	{ "readers 1", "readers", "1" },
	{ "readers 65536", "readers", "65536" },
	{ "shmperm 0600", "shmperm", "0600" },
	{ "shmperm 600", "shmperm", "0600" },
	{ "shmperm 777", "shmperm", "0777" },
	{ "shmperm 0", "shmperm", "0000" },
	{ "shmperm \"\"", "shmperm", "0000" }, /* strtoll("", 8): 0, as Redis */
	{ "membarrier no", "membarrier", "no" },
	{ "membarrier YES", "membarrier", "yes" },
	{ "membarrier No", "membarrier", "no" },
	{ "reader-stall-warn 0", "reader-stall-warn", "0" },
	{ "mutex-drain-timeout 1", "mutex-drain-timeout", "1" },
	{ "reader-stall-warn 9223372036854775807", "reader-stall-warn",
	  "9223372036854775807" },
	{ "batch-max-commands 1", "batch-max-commands", "1" },
	{ "batch-max-commands 4294967295", "batch-max-commands", "4294967295" },
	{ "batch-max-usec 1", "batch-max-usec", "1" },
	{ "batch-max-usec 4294967295", "batch-max-usec", "4294967295" },
	{ "unixsocket /run/shmrep/s.sock", "unixsocket", "/run/shmrep/s.sock" },
	{ "unixsocket \"/tmp/a b.sock\"", "unixsocket", "\"/tmp/a b.sock\"" },
	{ "unixsocketperm 700", "unixsocketperm", "0700" },
	{ "unixsocketperm 0777", "unixsocketperm", "0777" },
	{ "unixsocketperm 0", "unixsocketperm", "0000" },
	{ "port 0", "port", "0" },
	{ "port 1", "port", "1" },
	{ "port 65535", "port", "65535" },
	{ "bind 10.0.0.1", "bind", "10.0.0.1" },
	{ "bind 10.0.0.1 -::1 * -::*", "bind", "10.0.0.1 -::1 * -::*" },
	{ "bind \"\"", "bind", "\"\"" },
	{ "bind", "bind", "\"\"" }, /* Redis: no argument, no address */
	{ "bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", "bind",
	  "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16" },
	{ "tcp-backlog 0", "tcp-backlog", "0" },
	{ "tcp-backlog 2147483647", "tcp-backlog", "2147483647" },
	{ "logfile \"\"", "logfile", "\"\"" },
	{ "loglevel debug", "loglevel", "debug" },
	{ "loglevel verbose", "loglevel", "verbose" },
	{ "loglevel notice", "loglevel", "notice" },
	{ "loglevel warning", "loglevel", "warning" },
	{ "loglevel nothing", "loglevel", "nothing" },
	{ "loglevel DEBUG", "loglevel", "debug" },
	{ "pidfile /run/shmrepd.pid", "pidfile", "/run/shmrepd.pid" },
	{ "pidfile \"\"", "pidfile", "\"\"" },
	{ "daemonize yes", "daemonize", "yes" },
	{ "daemonize no", "daemonize", "no" },
	{ "requirepass s3cret", "requirepass", "s3cret" },
	{ "requirepass \"\"", "requirepass", "\"\"" },
	{ "databases 1", "databases", "1" },
	{ "databases 1024", "databases", "1024" },
	{ "maxclients 1", "maxclients", "1" },
	{ "maxclients 4294967295", "maxclients", "4294967295" },
	{ "timeout 0", "timeout", "0" },
	{ "timeout 2147483647", "timeout", "2147483647" },
	{ "hz 0", "hz", "1" }, /* clamped, as Redis */
	{ "hz 1", "hz", "1" },
	{ "hz 500", "hz", "500" },
	{ "hz 501", "hz", "500" },
	{ "hz 2147483647", "hz", "500" },
	{ "proto-max-bulk-len 1mb", "proto-max-bulk-len", "1mb" },
	{ "proto-max-bulk-len 1048576", "proto-max-bulk-len", "1mb" },
	{ "proto-max-bulk-len 9223372036854775807", "proto-max-bulk-len",
	  "9223372036854775807" },
	{ "proto-max-bulk-len 2000000", "proto-max-bulk-len", "2000000" },
	{ "client-query-buffer-limit 1mb", "client-query-buffer-limit", "1mb" },
	{ "client-query-buffer-limit 4gb", "client-query-buffer-limit", "4gb" },
	{ "client-query-buffer-limit 9223372036854775807",
	  "client-query-buffer-limit", "9223372036854775807" },
	{ "replicaof redis.local 6379", "replicaof", "redis.local 6379" },
	{ "replicaof 10.0.0.1 0", "replicaof", "10.0.0.1 0" },
	{ "replicaof 10.0.0.1 65535", "replicaof", "10.0.0.1 65535" },
	{ "replicaof h +80", "replicaof", "h 80" }, /* strtol, as Redis */
	{ "slaveof h 1", "replicaof", "h 1" },
	{ "replicaof no one", "replicaof", "no one" },
	{ "replicaof h 1\nreplicaof NO ONE", "replicaof", "no one" },
	{ "masterauth pw", "masterauth", "pw" },
	{ "masterauth \"\"", "masterauth", "\"\"" },
	{ "masteruser repl", "masteruser", "repl" },
	{ "masteruser \"\"", "masteruser", "\"\"" },
	/* Names in any case; the last occurrence wins. */
	{ "PORT 7000", "port", "7000" },
	{ "Port 7000", "port", "7000" },
	{ "\"port\" '7000'", "port", "7000" },
	{ "port 1\nport 2", "port", "2" },
	{ "bind a b\nbind c", "bind", "c" },
	{ "SLAVEOF h 2", "replicaof", "h 2" },
};

static void test_valid(void)
{
	char v[256];

	for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		const struct ok_case *k = &ok_cases[i];
		struct config c;
		int rc;

		config_init(&c);
		rc = load(&c, k->text);
		CU_ASSERT_EQUAL(rc, 0);
		if (rc)
			fprintf(stderr, "\n'%s': %s\n", k->text, err);
		dump_value(&c, k->directive, v, sizeof(v));
		CU_ASSERT_STRING_EQUAL(v, k->value);
		if (strcmp(v, k->value))
			fprintf(stderr, "\n'%s': %s is [%s], want [%s]\n",
				k->text, k->directive, v, k->value);
		config_free(&c);
	}
}

/* The values land in the right fields, with the right types. */
static void test_fields(void)
{
	struct config c;

	config_init(&c);
	CU_ASSERT_EQUAL_FATAL(load(&c,
				   "name cache-1\n"
				   "size 262145\n"
				   "mode mutex\n"
				   "readers 7\n"
				   "shmperm 0600\n"
				   "membarrier no\n"
				   "reader-stall-warn 123\n"
				   "batch-max-commands 5\n"
				   "batch-max-usec 6\n"
				   "unixsocketperm 770\n"
				   "port 6380\n"
				   "bind 1.2.3.4 -::1 \"\"\n"
				   "tcp-backlog 128\n"
				   "loglevel warning\n"
				   "pidfile /run/x.pid\n"
				   "daemonize yes\n"
				   "requirepass 'p w'\n"
				   "databases 4\n"
				   "maxclients 9\n"
				   "timeout 300\n"
				   "hz 1000\n"
				   "proto-max-bulk-len 2mb\n"
				   "client-query-buffer-limit 3mb\n"
				   "replicaof primary 6379\n"
				   "masterauth mpw\n"
				   "masteruser mu\n"),
			    0);
	CU_ASSERT_STRING_EQUAL(c.name, "cache-1");
	CU_ASSERT_EQUAL(c.size, 266240);
	CU_ASSERT_EQUAL(c.size % 4096, 0);
	CU_ASSERT_EQUAL(c.mode, CFG_MODE_MUTEX);
	CU_ASSERT_EQUAL(c.readers, 7);
	CU_ASSERT_EQUAL(c.shmperm, 0600);
	CU_ASSERT(!c.membarrier);
	CU_ASSERT_EQUAL(c.reader_stall_warn_ms, 123);
	CU_ASSERT_EQUAL(c.batch_max_commands, 5);
	CU_ASSERT_EQUAL(c.batch_max_usec, 6);
	CU_ASSERT_STRING_EQUAL(c.unixsocket, "/tmp/shmrep.cache-1.sock");
	CU_ASSERT_EQUAL(c.unixsocketperm, 0770);
	CU_ASSERT_EQUAL(c.port, 6380);
	CU_ASSERT_EQUAL_FATAL(c.nbind, 3);
	CU_ASSERT_STRING_EQUAL(c.bind[0], "1.2.3.4");
	CU_ASSERT_STRING_EQUAL(c.bind[1], "-::1");
	CU_ASSERT_STRING_EQUAL(c.bind[2], "");
	CU_ASSERT_EQUAL(c.tcp_backlog, 128);
	CU_ASSERT_EQUAL(c.loglevel, LL_WARNING);
	CU_ASSERT_STRING_EQUAL(c.pidfile, "/run/x.pid");
	CU_ASSERT(c.daemonize);
	CU_ASSERT_STRING_EQUAL(c.requirepass, "p w");
	CU_ASSERT_EQUAL(c.databases, 4);
	CU_ASSERT_EQUAL(c.maxclients, 9);
	CU_ASSERT_EQUAL(c.timeout, 300);
	CU_ASSERT_EQUAL(c.hz, 500);
	CU_ASSERT_EQUAL(c.proto_max_bulk_len, 2ull << 20);
	CU_ASSERT_EQUAL(c.client_query_buffer_limit, 3ull << 20);
	CU_ASSERT_STRING_EQUAL(c.replicaof_host, "primary");
	CU_ASSERT_EQUAL(c.replicaof_port, 6379);
	CU_ASSERT_STRING_EQUAL(c.masterauth, "mpw");
	CU_ASSERT_STRING_EQUAL(c.masteruser, "mu");

	/* "" unsets the optional strings; "no one" the primary. */
	CU_ASSERT_EQUAL(load(&c, "pidfile \"\"\nrequirepass ''\n"
				 "masterauth \"\"\nmasteruser \"\"\n"
				 "replicaof no one\nbind \"\"\n"),
			0);
	CU_ASSERT_PTR_NULL(c.pidfile);
	CU_ASSERT_PTR_NULL(c.requirepass);
	CU_ASSERT_PTR_NULL(c.masterauth);
	CU_ASSERT_PTR_NULL(c.masteruser);
	CU_ASSERT_PTR_NULL(c.replicaof_host);
	CU_ASSERT_EQUAL(c.replicaof_port, 0);
	CU_ASSERT_EQUAL(c.nbind, 0);
	config_free(&c);
}

/* Socket paths must fit in sockaddr_un (107 bytes and the NUL). */
static void test_unixsocket_length(void)
{
	char path[128], text[160];
	struct config c;

	memset(path, 'a', sizeof(path));
	memcpy(path, "/tmp/", 5);
	config_init(&c);
	path[107] = '\0';
	snprintf(text, sizeof(text), "unixsocket %s", path);
	CU_ASSERT_EQUAL(load(&c, text), 0);
	CU_ASSERT_STRING_EQUAL(c.unixsocket, path);
	path[107] = 'a';
	path[108] = '\0';
	snprintf(text, sizeof(text), "unixsocket %s", path);
	CU_ASSERT_EQUAL(load(&c, text), -1);
	CU_ASSERT(err_is(1, text,
			 "unixsocket path is too long (at most 107 bytes)"));
	config_free(&c);
}

/* The default socket follows the name until a socket is configured. */
static void test_unixsocket_default(void)
{
	struct config c;

	config_init(&c);
	CU_ASSERT_EQUAL(load(&c, "name one"), 0);
	CU_ASSERT_STRING_EQUAL(c.unixsocket, "/tmp/shmrep.one.sock");
	CU_ASSERT_EQUAL(load(&c, "name two"), 0);
	CU_ASSERT_STRING_EQUAL(c.unixsocket, "/tmp/shmrep.two.sock");
	CU_ASSERT_EQUAL(load(&c, "unixsocket /run/s.sock\nname three"), 0);
	CU_ASSERT_STRING_EQUAL(c.unixsocket, "/run/s.sock");
	CU_ASSERT_EQUAL(load(&c, "name four"), 0);
	CU_ASSERT_STRING_EQUAL(c.unixsocket, "/run/s.sock");
	config_free(&c);

	/* Setting the default path explicitly pins it too. */
	config_init(&c);
	CU_ASSERT_EQUAL(load(&c, "unixsocket /tmp/shmrep.default.sock\n"
				 "name five"),
			0);
	CU_ASSERT_STRING_EQUAL(c.unixsocket, "/tmp/shmrep.default.sock");
	config_free(&c);
}

/* ---------------------------------------------- every directive, invalid */

#define E_INT "argument couldn't be parsed into an integer"
#define E_OCT "argument couldn't be parsed as an octal number"
#define E_MEM "argument must be a memory value"
#define E_YN "argument must be 'yes' or 'no'"
#define E_NARGS "wrong number of arguments"
#define E_BAD "Bad directive or wrong number of arguments"
#define E_QUOTES "Unbalanced quotes in configuration line"
#define E_NAME                                                            \
	"name must be 1 to 64 characters from A-Z a-z 0-9 . _ - and must "    \
	"not start with '.'"
#define E_SIZE "argument must be between 262144 and 68719476736 inclusive"
#define E_BULK                                                            \
	"argument must be between 1048576 and 9223372036854775807 inclusive"
#define E_OCT777 "argument must be between 0 and 777 inclusive"
#define E_U32(lo) "argument must be between " #lo " and 4294967295 inclusive"
#define E_I32(lo) "argument must be between " #lo " and 2147483647 inclusive"

struct bad_case {
	const char *text; /* one line; the report quotes it trimmed */
	const char *why;
};

static const struct bad_case bad_cases[] = {
	{ "name .hidden", E_NAME },
	{ "name a/b", E_NAME },
	{ "name \"\"", E_NAME },
	{ "name \"a b\"", E_NAME },
	{ "name caf\\xc3\\xa9", E_NAME },
	{ "name \"caf\\xc3\\xa9\"", E_NAME },
	{ "name " NAME64 "4", E_NAME },
	{ "name", E_NARGS },
	{ "name a b", E_NARGS },
	{ "size 262143", E_SIZE }, /* 256kb - 1: checked before rounding */
	{ "size 255kb", E_SIZE },
	{ "size 0", E_SIZE },
	{ "size kb", E_SIZE }, /* no digits: 0, as Redis's memtoull() */
	{ "size 68719476737", E_SIZE }, /* 64gb + 1 */
	{ "size 65gb", E_SIZE },
	{ "size 18446744073709551615", E_SIZE },
	{ "size 18446744073709551616", E_MEM }, /* overflow: refused */
	{ "size 17179869185gb", E_MEM }, /* Redis would wrap to 1gb */
	{ "size 1tb", E_MEM },
	{ "size -1", E_MEM },
	{ "size 1.5gb", E_MEM },
	{ "size \" 1gb\"", E_MEM },
	{ "size 1gb.", E_MEM },
	{ "size +1gb", E_MEM },
	{ "size", E_NARGS },
	{ "mode fast", "argument must be one of the following: rcu, mutex" },
	{ "mode \"\"", "argument must be one of the following: rcu, mutex" },
	{ "readers 0", "argument must be between 1 and 65536 inclusive" },
	{ "readers 65537", "argument must be between 1 and 65536 inclusive" },
	{ "readers -1", "argument must be between 1 and 65536 inclusive" },
	{ "readers 01", E_INT },
	{ "readers +1", E_INT },
	{ "readers 1k", E_INT },
	{ "readers \" 1\"", E_INT },
	{ "readers \"1 \"", E_INT },
	{ "readers -0", E_INT },
	{ "readers 1e3", E_INT },
	{ "readers \"\"", E_INT },
	{ "shmperm 1000", E_OCT777 },
	{ "shmperm -1", E_OCT777 },
	{ "shmperm 8", E_OCT },
	{ "shmperm rw", E_OCT },
	{ "shmperm 0x1ff", E_OCT },
	{ "membarrier true", E_YN },
	{ "membarrier 1", E_YN },
	{ "membarrier \"\"", E_YN },
	{ "mutex-drain-timeout 0",
	  "argument must be between 1 and 9223372036854775807 inclusive" },
	{ "reader-stall-warn -1",
	  "argument must be between 0 and 9223372036854775807 inclusive" },
	{ "reader-stall-warn 9223372036854775808", E_INT },
	{ "reader-stall-warn 10s", E_INT },
	{ "batch-max-commands 0", E_U32(1) },
	{ "batch-max-commands 4294967296", E_U32(1) },
	{ "batch-max-usec 0", E_U32(1) },
	{ "batch-max-usec 4294967296", E_U32(1) },
	{ "unixsocket \"\"", "unixsocket can't be empty" },
	{ "unixsocket", E_NARGS },
	{ "unixsocketperm 1000", E_OCT777 },
	{ "unixsocketperm 9", E_OCT },
	{ "port -1", "argument must be between 0 and 65535 inclusive" },
	{ "port 65536", "argument must be between 0 and 65535 inclusive" },
	{ "port abc", E_INT },
	{ "port 6379x", E_INT },
	{ "port", E_NARGS },
	{ "port 1 2", E_NARGS },
	{ "bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17",
	  "Too many bind addresses specified." },
	{ "tcp-backlog -1", E_I32(0) },
	{ "tcp-backlog 2147483648", E_I32(0) },
	{ "logfile", E_NARGS },
	{ "loglevel loud", "argument must be one of the following: debug, "
			   "verbose, notice, warning, nothing" },
	{ "loglevel 1", "argument must be one of the following: debug, "
			"verbose, notice, warning, nothing" },
	{ "pidfile a b", E_NARGS },
	{ "daemonize maybe", E_YN },
	{ "requirepass", E_NARGS },
	{ "requirepass a b", E_NARGS },
	{ "databases 0", "argument must be between 1 and 1024 inclusive" },
	{ "databases 1025", "argument must be between 1 and 1024 inclusive" },
	{ "databases sixteen", E_INT },
	{ "maxclients 0", E_U32(1) },
	{ "maxclients 4294967296", E_U32(1) },
	{ "timeout -1", E_I32(0) },
	{ "timeout 2147483648", E_I32(0) },
	{ "hz -1", E_I32(0) },
	{ "hz 2147483648", E_I32(0) },
	{ "hz fast", E_INT },
	{ "proto-max-bulk-len 1048575", E_BULK },
	{ "proto-max-bulk-len 1023kb", E_BULK },
	{ "proto-max-bulk-len 9223372036854775808", E_BULK },
	{ "proto-max-bulk-len 1x", E_MEM },
	{ "client-query-buffer-limit 1048575", E_BULK },
	{ "client-query-buffer-limit 9223372036854775808", E_BULK },
	{ "client-query-buffer-limit -1gb", E_MEM },
	{ "replicaof h 65536", "Invalid master port" },
	{ "replicaof h -1", "Invalid master port" },
	{ "replicaof h x", "Invalid master port" },
	{ "replicaof h 99999999999999999999", "Invalid master port" },
	{ "replicaof h", E_NARGS },
	{ "replicaof h 1 2", E_NARGS },
	{ "replicaof", E_NARGS },
	{ "slaveof no", E_NARGS },
	{ "masterauth", E_NARGS },
	{ "masteruser a b", E_NARGS },
	/* Directives that are not ours, and "include" misused. */
	{ "foo", E_BAD },
	{ "foo bar", E_BAD },
	{ "save 900 1", E_BAD },
	{ "appendonly yes", E_BAD },
	{ "include", E_BAD },
	{ "include a b", E_BAD },
	{ "port 7000 # a comment", E_NARGS }, /* comments are whole lines */
	/* Quoting. */
	{ "requirepass \"abc", E_QUOTES },
	{ "requirepass 'abc", E_QUOTES },
	{ "requirepass \"a\"b", E_QUOTES },
	{ "requirepass 'a'b", E_QUOTES },
	{ "requirepass \"a\\\"", E_QUOTES },
	{ "requirepass \"a\" \"b\"", E_NARGS },
	{ "requirepass \"a\\x00b\"", "argument must not contain a NUL byte" },
	{ "port \"7000\\x00\"", "argument must not contain a NUL byte" },
};

static void test_invalid(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *k = &bad_cases[i];
		struct config c;
		int rc;

		config_init(&c);
		rc = load(&c, k->text);
		CU_ASSERT_EQUAL(rc, -1);
		CU_ASSERT(err_is(1, k->text, k->why));
		if (rc != -1)
			fprintf(stderr, "\n'%s' was accepted\n", k->text);
		config_free(&c);
	}
}

/* The report fits in whatever buffer it is given, or none. */
static void test_error_buffer(void)
{
	struct config c;
	char small[16];

	config_init(&c);
	memset(small, 'x', sizeof(small));
	CU_ASSERT_EQUAL(config_load_string(&c, "port x", small, sizeof(small)),
			-1);
	CU_ASSERT_EQUAL(strlen(small), sizeof(small) - 1);
	CU_ASSERT_EQUAL(strncmp(small, BANNER, sizeof(small) - 1), 0);
	CU_ASSERT_EQUAL(config_load_string(&c, "port x", NULL, 0), -1);
	CU_ASSERT_EQUAL(config_load_string(&c, "port 1", NULL, 0), 0);
	config_free(&c);
}

/* ------------------------------------------------- quoting and comments */

struct quote_case {
	const char *text;
	const char *want; /* requirepass afterwards */
};

static const struct quote_case quote_cases[] = {
	{ "requirepass plain", "plain" },
	{ "requirepass \"two words\"", "two words" },
	{ "requirepass 'two words'", "two words" },
	{ "requirepass \"a\\nb\\rc\\td\\be\\af\"", "a\nb\rc\td\be\af" },
	{ "requirepass \"\\x41\\x62\\xff\"", "Ab\xff" },
	{ "requirepass \"\\x4\"", "x4" }, /* not two hex digits: \x is x */
	{ "requirepass \"q\\\"uote\"", "q\"uote" },
	{ "requirepass \"back\\\\slash\"", "back\\slash" },
	{ "requirepass 'it\\'s'", "it's" },
	{ "requirepass 'no\\nescape'", "no\\nescape" },
	{ "requirepass a\"b c\"d", NULL }, /* closing quote then 'd': refused */
	{ "requirepass a\"b c\"", "ab c" }, /* a quote may open mid-word */
	{ "requirepass back\\slash", "back\\slash" },
	{ "requirepass \"#not a comment\"", "#not a comment" },
	{ "requirepass #x", "#x" },
	{ "  requirepass   spaced  ", "spaced" },
	{ "\trequirepass\ttabbed\t", "tabbed" },
	{ "requirepass crlf\r", "crlf" },
	{ "requirepass \"\"", NULL },
};

static void test_quoting(void)
{
	for (size_t i = 0; i < sizeof(quote_cases) / sizeof(quote_cases[0]);
	     i++) {
		const struct quote_case *k = &quote_cases[i];
		struct config c;
		int rc;

		config_init(&c);
		rc = load(&c, k->text);
		if (!k->want && strstr(k->text, "\"\"")) {
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT_PTR_NULL(c.requirepass);
		} else if (!k->want) {
			CU_ASSERT_EQUAL(rc, -1);
			CU_ASSERT(err_is(1, k->text, E_QUOTES));
		} else {
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT_PTR_NOT_NULL(c.requirepass);
			if (c.requirepass)
				CU_ASSERT_STRING_EQUAL(c.requirepass, k->want);
		}
		config_free(&c);
	}
}

static void test_comments_and_lines(void)
{
	struct config c;

	config_init(&c);
	CU_ASSERT_EQUAL(load(&c, "# a comment\n"
				 "\n"
				 "   # an indented comment\n"
				 "\t\n"
				 "port 1\r\n"
				 "#port 2\n"
				 "   \n"
				 "loglevel debug"),
			0);
	CU_ASSERT_EQUAL(c.port, 1);
	CU_ASSERT_EQUAL(c.loglevel, LL_DEBUG);

	/* Line numbers count every line, blank and comment lines too; the
	 * report quotes the line trimmed. */
	CU_ASSERT_EQUAL(load(&c, "# one\n\nport 2\n   port   x  \r\nport 3"),
			-1);
	CU_ASSERT(err_is(4, "port   x", E_INT));
	CU_ASSERT_EQUAL(c.port, 2); /* applied up to the bad line */

	CU_ASSERT_EQUAL(load(&c, "\n\n\n\n\n\n\n\n\nfoo"), -1);
	CU_ASSERT(err_is(10, "foo", E_BAD));
	CU_ASSERT_EQUAL(load(&c, "port 1\nrequirepass \"open\n"), -1);
	CU_ASSERT(err_is(2, "requirepass \"open", E_QUOTES));

	/* A line of blanks that are not trim characters splits to nothing. */
	CU_ASSERT_EQUAL(load(&c, "\v\f"), 0);
	config_free(&c);
}

/* The log file must open (it is created), as Redis checks after loading. */
static void test_logfile(void)
{
	char *dir = dir_new(), *path = NULL, *text = NULL;
	struct config c;
	struct stat st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	config_init(&c);
	CU_ASSERT(asprintf(&path, "%s/shmrepd.log", dir) > 0);
	CU_ASSERT(asprintf(&text, "logfile %s", path) > 0);
	CU_ASSERT_EQUAL(load(&c, text), 0);
	CU_ASSERT_STRING_EQUAL(c.logfile, path);
	CU_ASSERT_EQUAL(stat(path, &st), 0);

	CU_ASSERT_EQUAL(load(&c, "logfile /nonexistent-shmrep-dir/x.log"), -1);
	CU_ASSERT_STRING_EQUAL(err, BANNER "Can't open the log file: No such "
					   "file or directory\n");
	CU_ASSERT_EQUAL(load(&c, "logfile \"\""), 0);
	CU_ASSERT_STRING_EQUAL(c.logfile, "");
	config_free(&c);
	free(path);
	free(text);
	dir_done(dir);
}

/* ---------------------------------------------------------------- include */

static void test_include(void)
{
	char *dir = dir_new(), *a = NULL, *b = NULL, *text = NULL;
	char cwd[PATH_MAX], want[PATH_MAX + 128];
	struct config c;
	bool moved;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	CU_ASSERT_PTR_NOT_NULL(getcwd(cwd, sizeof(cwd)));
	a = write_file(dir, "a.conf", "port 1\ninclude b.conf\nhz 20\n");
	b = write_file(dir, "b.conf", "# b\nloglevel debug\nport 2\n");
	CU_ASSERT(a && b);
	config_init(&c);

	/* Absolute, then relative to the working directory. */
	CU_ASSERT(asprintf(&text, "timeout 5\ninclude %s\nport 3", b) > 0);
	CU_ASSERT_EQUAL(load(&c, text), 0);
	CU_ASSERT_EQUAL(c.loglevel, LL_DEBUG);
	CU_ASSERT_EQUAL(c.port, 3);
	CU_ASSERT_EQUAL(c.timeout, 5);
	moved = chdir(dir) == 0;
	CU_ASSERT(moved);
	CU_ASSERT_EQUAL(load(&c, "include a.conf"), 0);
	CU_ASSERT_EQUAL(c.port, 2);
	CU_ASSERT_EQUAL(c.hz, 20);
	CU_ASSERT_EQUAL(load(&c, "INCLUDE \"b.conf\"\nport 4"), 0);
	CU_ASSERT_EQUAL(c.port, 4);

	/* A missing file: Redis's message, naming the path as written. */
	CU_ASSERT_EQUAL(load(&c, "include missing.conf"), -1);
	CU_ASSERT_STRING_EQUAL(err, "Fatal error, can't open config file "
				    "'missing.conf': No such file or "
				    "directory");

	/* An error in an included file is reported at its own line. */
	free(write_file(dir, "bad.conf", "port 1\n\nport 99999\n"));
	CU_ASSERT_EQUAL(load(&c, "port 5\ninclude bad.conf\n"), -1);
	CU_ASSERT(err_is(3, "port 99999",
			 "argument must be between 0 and 65535 inclusive"));

	/* A directory opens but cannot be read. */
	mkdir("sub", 0755);
	CU_ASSERT_EQUAL(load(&c, "include sub"), -1);
	CU_ASSERT_STRING_EQUAL(err, "Fatal error, can't read config file "
				    "'sub': Is a directory");

	/* Includes that include themselves stop at the nesting limit. */
	free(write_file(dir, "loop.conf", "port 6\ninclude loop.conf\n"));
	CU_ASSERT_EQUAL(load(&c, "include loop.conf"), -1);
	CU_ASSERT(err_is(2, "include loop.conf",
			 "Too many nested includes (the limit is 16)"));

	/* Relative to the working directory, not to the including file. */
	mkdir("d", 0755);
	free(write_file(dir, "d/inner.conf", "include b.conf\n"));
	CU_ASSERT_EQUAL(load(&c, "include d/inner.conf\nport 9"), 0);
	CU_ASSERT_EQUAL(c.port, 9);
	if (moved)
		CU_ASSERT_EQUAL(chdir(cwd), 0);

	/* The same from elsewhere fails, naming the relative path. */
	snprintf(want, sizeof(want), "include %s/d/inner.conf", dir);
	CU_ASSERT_EQUAL(load(&c, want), -1);
	CU_ASSERT_STRING_EQUAL(err, "Fatal error, can't open config file "
				    "'b.conf': No such file or directory");
	config_free(&c);
	free(a);
	free(b);
	free(text);
	dir_done(dir);
}

static void test_include_wildcard(void)
{
	char *dir = dir_new(), *text = NULL, sub[PATH_MAX + 8];
	struct config c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	snprintf(sub, sizeof(sub), "%s/conf.d", dir);
	CU_ASSERT_EQUAL(mkdir(sub, 0755), 0);
	free(write_file(dir, "conf.d/20-b.conf", "port 2\ntimeout 2\n"));
	free(write_file(dir, "conf.d/10-a.conf", "port 1\nhz 11\n"));
	free(write_file(dir, "conf.d/30-c.txt", "port 3\n"));
	free(write_file(dir, "conf.d/.hidden.conf", "port 4\n"));
	config_init(&c);

	/* Matches are read in sorted order; dot files need an explicit dot. */
	CU_ASSERT(asprintf(&text, "include %s/conf.d/*.conf", dir) > 0);
	CU_ASSERT_EQUAL(load(&c, text), 0);
	CU_ASSERT_EQUAL(c.port, 2);
	CU_ASSERT_EQUAL(c.timeout, 2);
	CU_ASSERT_EQUAL(c.hz, 11);
	free(text);
	CU_ASSERT(asprintf(&text, "include %s/conf.d/?0-[ac].*", dir) > 0);
	CU_ASSERT_EQUAL(load(&c, text), 0);
	CU_ASSERT_EQUAL(c.port, 3);
	free(text);
	CU_ASSERT(asprintf(&text, "include %s/conf.d/.*.conf", dir) > 0);
	CU_ASSERT_EQUAL(load(&c, text), 0);
	CU_ASSERT_EQUAL(c.port, 4);
	free(text);

	/* A wildcard in a directory component. */
	CU_ASSERT(asprintf(&text, "include %s/con*/10-a.conf\nport 7", dir) >
		  0);
	CU_ASSERT_EQUAL(load(&c, text), 0);
	CU_ASSERT_EQUAL(c.port, 7);
	free(text);

	/* A pattern matching nothing is skipped, as Redis does. */
	CU_ASSERT(asprintf(&text, "port 8\ninclude %s/conf.d/*.none\n"
				  "include %s/nodir*/x.conf",
			   dir, dir) > 0);
	CU_ASSERT_EQUAL(load(&c, text), 0);
	CU_ASSERT_EQUAL(c.port, 8);
	free(text);

	/* An error in the second matched file stops the load there. */
	free(write_file(dir, "conf.d/15-bad.conf", "\nport x\n"));
	CU_ASSERT(asprintf(&text, "include %s/conf.d/*.conf", dir) > 0);
	CU_ASSERT_EQUAL(load(&c, text), -1);
	/* The files are concatenated, so the line counts from the first. */
	CU_ASSERT(err_is(4, "port x", E_INT));
	free(text);
	config_free(&c);
	dir_done(dir);
}

/* ------------------------------------------------------- config_load() */

/*
 * The example configuration the package installs loads, but for its
 * logfile (/var/log/shmrep, which only the package creates): its lines
 * other than `logfile` go through the parser as they are.
 */
static void test_example_file(void)
{
	const char *src = getenv("SHMREP_SRC");
	char path[4096], line[1024];
	size_t tl = 0, cap = 1 << 16;
	char *text = calloc(1, cap);
	struct config c;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/systemd/shmrepd.conf",
		 src ? src : ".");
	fp = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	while (fgets(line, sizeof(line), fp)) {
		size_t n = strlen(line);

		if (strncmp(line, "logfile ", 8) && tl + n < cap) {
			memcpy(text + tl, line, n);
			tl += n;
		}
	}
	fclose(fp);
	config_init(&c);
	CU_ASSERT_EQUAL(load(&c, text), 0);
	if (err[0])
		fprintf(stderr, "\n%s: %s\n", path, err);
	CU_ASSERT_STRING_EQUAL(c.name, "default");
	config_free(&c);
	free(text);
}

static void test_load_file_and_options(void)
{
	char *dir = dir_new(), *file, *missing = NULL;
	struct config c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	file = write_file(dir, "s.conf", "port 1\nloglevel warning\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);

	config_init(&c);
	CU_ASSERT_EQUAL(config_load(&c, file, "port 2", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.port, 2);
	CU_ASSERT_EQUAL(c.loglevel, LL_WARNING);
	CU_ASSERT_STRING_EQUAL(c.configfile, file);
	config_free(&c);

	/* Options come after a newline: with no file, line 2. */
	config_init(&c);
	CU_ASSERT_EQUAL(config_load(&c, NULL, "port 1\nport x", err,
				    sizeof(err)),
			-1);
	CU_ASSERT(err_is(3, "port x", E_INT));
	CU_ASSERT_EQUAL(config_load(&c, NULL, "port x", err, sizeof(err)), -1);
	CU_ASSERT(err_is(2, "port x", E_INT));
	CU_ASSERT_PTR_NULL(c.configfile);
	config_free(&c);

	/* After a file of two lines: the options start at line 4. */
	config_init(&c);
	CU_ASSERT_EQUAL(config_load(&c, file, "hz x", err, sizeof(err)), -1);
	CU_ASSERT(err_is(4, "hz x", E_INT));
	config_free(&c);

	config_init(&c);
	CU_ASSERT_EQUAL(config_load(&c, NULL, NULL, err, sizeof(err)), 0);
	CU_ASSERT(asprintf(&missing, "%s/none.conf", dir) > 0);
	CU_ASSERT_EQUAL(config_load(&c, missing, NULL, err, sizeof(err)), -1);
	CU_ASSERT(strstr(err, "Fatal error, can't open config file '") == err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "none.conf': No such file or "
					   "directory"));
	config_free(&c);
	free(missing);
	free(file);
	dir_done(dir);
}

/* --------------------------------------------------- command-line args */

struct argv_case {
	const char *argv[8];
	const char *options; /* the config text Redis makes of them */
};

static const struct argv_case argv_cases[] = {
	{ { "shmrepd", "--port", "7000" }, "port \"7000\" " },
	{ { "shmrepd", "--port 7000" }, "port 7000 " },
	{ { "shmrepd", "--bind", "a", "b", "--port", "1" },
	  "bind \"a\" \"b\" \nport \"1\" " },
	{ { "shmrepd", "--port 7000", "--loglevel", "debug" },
	  "port 7000 \nloglevel \"debug\" " },
	{ { "shmrepd", "--requirepass", "--secret" },
	  "requirepass \"--secret\" " },
	{ { "shmrepd", "--requirepass", "a b\"c" },
	  "requirepass \"a b\\\"c\" " },
	{ { "shmrepd", "--logfile", "" }, "logfile \"\" " },
	{ { "shmrepd", "--replicaof", "no", "one", "--daemonize", "no" },
	  "replicaof \"no\" \"one\" \ndaemonize \"no\" " },
	{ { "shmrepd", "--LOGLEVEL", "warning" }, "LOGLEVEL \"warning\" " },
	{ { "shmrepd", "--port 1", "--port", "2" }, "port 1 \nport \"2\" " },
};

static int argc_of(const char *const *argv)
{
	int n = 0;

	while (n < 8 && argv[n])
		n++;
	return n;
}

static void test_argv_conversion(void)
{
	for (size_t i = 0; i < sizeof(argv_cases) / sizeof(argv_cases[0]);
	     i++) {
		const struct argv_case *k = &argv_cases[i];
		struct config c;
		int rc;

		config_init(&c);
		rc = config_from_argv(&c, argc_of(k->argv), (char **)k->argv,
				      err, sizeof(err));
		CU_ASSERT_EQUAL(rc, 0);
		if (rc)
			fprintf(stderr, "\ncase %zu: %s\n", i, err);
		CU_ASSERT_PTR_NOT_NULL(c.reload_options);
		if (c.reload_options) {
			CU_ASSERT_STRING_EQUAL(c.reload_options, k->options);
			if (strcmp(c.reload_options, k->options))
				fprintf(stderr, "\ncase %zu: [%s]\n", i,
					c.reload_options);
		}
		CU_ASSERT_PTR_NULL(c.configfile);
		config_free(&c);
	}
}

static int run_argv(struct config *c, const char *const *argv)
{
	err[0] = '\0';
	return config_from_argv(c, argc_of(argv), (char **)argv, err,
				sizeof(err));
}

static void test_argv(void)
{
	char *dir = dir_new(), *file, cwd[PATH_MAX], *want = NULL;
	struct config c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	CU_ASSERT_PTR_NOT_NULL(getcwd(cwd, sizeof(cwd)));
	file = write_file(dir, "my.conf", "port 1\nloglevel warning\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);

	/* No arguments: the defaults. */
	config_init(&c);
	CU_ASSERT_EQUAL(run_argv(&c, (const char *[]){ "shmrepd", NULL }), 0);
	CU_ASSERT_PTR_NULL(c.configfile);
	CU_ASSERT_EQUAL(c.port, 0);
	config_free(&c);

	/* shmrepd --port 7000 */
	config_init(&c);
	CU_ASSERT_EQUAL(run_argv(&c, (const char *[]){ "shmrepd", "--port",
						      "7000", NULL }),
			0);
	CU_ASSERT_EQUAL(c.port, 7000);
	config_free(&c);

	/* shmrepd file.conf --loglevel debug: options after the file. */
	config_init(&c);
	CU_ASSERT_EQUAL(run_argv(&c, (const char *[]){ "shmrepd", file,
						      "--loglevel", "debug",
						      NULL }),
			0);
	CU_ASSERT_EQUAL(c.port, 1);
	CU_ASSERT_EQUAL(c.loglevel, LL_DEBUG);
	CU_ASSERT_STRING_EQUAL(c.configfile, file);
	config_free(&c);

	/* A relative config file is kept as an absolute path. */
	config_init(&c);
	if (chdir(dir) == 0) {
		CU_ASSERT_EQUAL(run_argv(&c, (const char *[]){ "shmrepd",
							      "my.conf",
							      NULL }),
				0);
		CU_ASSERT_EQUAL(chdir(cwd), 0);
		CU_ASSERT_PTR_NOT_NULL(c.configfile);
		if (c.configfile)
			CU_ASSERT_STRING_EQUAL(c.configfile, file);
	}
	config_free(&c);

	/* Several arguments and quoting survive the round trip. */
	config_init(&c);
	CU_ASSERT_EQUAL(run_argv(&c, (const char *[]){ "shmrepd", "--bind",
						      "1.1.1.1", "2.2.2.2",
						      "--requirepass", "a 'b'",
						      "--masterauth", "--pw",
						      NULL }),
			0);
	CU_ASSERT_EQUAL_FATAL(c.nbind, 2);
	CU_ASSERT_STRING_EQUAL(c.bind[1], "2.2.2.2");
	CU_ASSERT_STRING_EQUAL(c.requirepass, "a 'b'");
	CU_ASSERT_STRING_EQUAL(c.masterauth, "--pw");
	config_free(&c);

	/* Errors in options: Redis's report, at line 2 with no file. */
	config_init(&c);
	CU_ASSERT_EQUAL(run_argv(&c, (const char *[]){ "shmrepd", "--port",
						      "70000", NULL }),
			-1);
	CU_ASSERT(err_is(2, "port \"70000\"",
			 "argument must be between 0 and 65535 inclusive"));
	CU_ASSERT_EQUAL(run_argv(&c, (const char *[]){ "shmrepd", "--port",
						      NULL }),
			-1);
	CU_ASSERT(err_is(2, "port", E_NARGS));
	CU_ASSERT_EQUAL(run_argv(&c, (const char *[]){ "shmrepd", "-x", NULL }),
			-1);
	CU_ASSERT(err_is(2, "\"-x\"", E_BAD));
	CU_ASSERT_EQUAL(run_argv(&c, (const char *[]){ "shmrepd", "--nosuch",
						      "1", NULL }),
			-1);
	CU_ASSERT(err_is(2, "nosuch \"1\"", E_BAD));
	/* "-" in the middle is a value, not stdin. */
	CU_ASSERT_EQUAL(run_argv(&c, (const char *[]){ "shmrepd", "--port", "-",
						      "--loglevel", "debug",
						      NULL }),
			-1);
	CU_ASSERT(err_is(2, "port \"-\"", E_INT));
	/* After a file of two lines, the first option is line 4. */
	CU_ASSERT_EQUAL(run_argv(&c, (const char *[]){ "shmrepd", file,
						      "--hz", "x", NULL }),
			-1);
	CU_ASSERT(err_is(4, "hz \"x\"", E_INT));
	config_free(&c);

	/* A missing config file, named by its absolute path. */
	config_init(&c);
	CU_ASSERT(asprintf(&want, "Fatal error, can't open config file "
				  "'%s/none.conf': No such file or directory",
			   cwd) > 0);
	CU_ASSERT_EQUAL(run_argv(&c, (const char *[]){ "shmrepd", "none.conf",
						      NULL }),
			-1);
	CU_ASSERT_STRING_EQUAL(err, want);
	config_free(&c);
	free(want);
	free(file);
	dir_done(dir);
}

/* Run argv with standard output captured into out. */
static int run_captured(const char *const *argv, char *out, size_t len)
{
	char path[] = "/tmp/shmrep-config-out-XXXXXX";
	int fd = mkstemp(path), saved, rc;
	struct config c;
	ssize_t n;

	if (fd < 0)
		return -2;
	fflush(stdout);
	saved = dup(1);
	dup2(fd, 1);
	config_init(&c);
	rc = run_argv(&c, argv);
	config_free(&c);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	n = pread(fd, out, len - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return rc;
}

static void test_argv_help_version(void)
{
	char out[4096];

	CU_ASSERT_EQUAL(run_captured((const char *[]){ "shmrepd", "--version",
						      NULL },
				     out, sizeof(out)),
			1);
	CU_ASSERT(!strncmp(out, "shmrepd v=" VERSION " ",
			   strlen("shmrepd v=" VERSION " ")));
	CU_ASSERT_EQUAL(run_captured((const char *[]){ "shmrepd", "-v", NULL },
				     out, sizeof(out)),
			1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "v=" VERSION));
	CU_ASSERT_EQUAL(run_captured((const char *[]){ "shmrepd", "--help",
						      NULL },
				     out, sizeof(out)),
			1);
	CU_ASSERT(strncmp(out, "Usage: ", 7) == 0);
	CU_ASSERT_EQUAL(run_captured((const char *[]){ "shmrepd", "-h", "x",
						      NULL },
				     out, sizeof(out)),
			1);
	CU_ASSERT(strncmp(out, "Usage: ", 7) == 0);
	/* Only as the first argument, as Redis: elsewhere "--help" is an
	 * unknown directive. */
	CU_ASSERT_EQUAL(run_captured((const char *[]){ "shmrepd", "--port", "1",
						      "--help", NULL },
				     out, sizeof(out)),
			-1);
	CU_ASSERT(err_is(3, "help", E_BAD));
	CU_ASSERT_STRING_EQUAL(out, "");
}

/* Configuration from standard input, in a child with a pipe as stdin. */
struct stdin_job {
	int rfd;
	int wfd;
	bool via_load; /* config_load(c, "-", argv[1]) instead of argv */
	const char *argv[8];
	int want_port;
	int want_loglevel;
};

static int stdin_child(void *arg)
{
	struct stdin_job *j = arg;
	struct config c;
	char ign[64];
	int rc;

	close(j->wfd); /* or the pipe never reaches end of file */
	if (dup2(j->rfd, 0) < 0)
		return 10;
	config_init(&c);
	if (j->via_load)
		rc = config_load(&c, "-", j->argv[1], err, sizeof(err));
	else
		rc = run_argv(&c, j->argv);
	if (rc)
		return 11;
	if (c.port != j->want_port || c.loglevel != j->want_loglevel)
		return 12;
	/* What came from stdin cannot be read again on SIGHUP. */
	if (c.configfile && config_reload(&c, ign, sizeof(ign), err,
					  sizeof(err)) != -1)
		return 13;
	if (c.configfile && !strstr(err, "standard input"))
		return 14;
	config_free(&c);
	return 0;
}

static int run_stdin(const char *input, struct stdin_job *j)
{
	int fds[2], rc;
	pid_t pid;

	if (pipe(fds))
		return -1;
	j->rfd = fds[0];
	j->wfd = fds[1];
	pid = tu_fork(stdin_child, j);
	close(fds[0]);
	rc = write(fds[1], input, strlen(input)) == (ssize_t)strlen(input);
	close(fds[1]);
	return rc ? tu_wait(pid, 10000) : -1;
}

static void test_argv_stdin(void)
{
	char *dir = dir_new(), *file;
	struct stdin_job j = { .want_port = 7001, .want_loglevel = LL_DEBUG };

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	file = write_file(dir, "f.conf", "port 1\nloglevel warning\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);

	/* shmrepd - --port 7001 < "loglevel debug" */
	memcpy(j.argv,
	       (const char *[]){ "shmrepd", "-", "--port", "7001", NULL },
	       5 * sizeof(char *));
	CU_ASSERT_EQUAL(run_stdin("loglevel debug\n", &j), 0);

	/* shmrepd --port 7001 -  ("-" last) */
	memcpy(j.argv,
	       (const char *[]){ "shmrepd", "--port", "7001", "-", NULL },
	       5 * sizeof(char *));
	CU_ASSERT_EQUAL(run_stdin("loglevel debug\nport 5\n", &j), 0);

	/* shmrepd f.conf - : the file, then stdin, then the options. */
	memcpy(j.argv, (const char *[]){ "shmrepd", file, "-", NULL },
	       4 * sizeof(char *));
	CU_ASSERT_EQUAL(run_stdin("port 7001\nloglevel debug\n", &j), 0);

	/* config_load(c, "-", options): stdin, then the options. */
	j.via_load = true;
	j.argv[1] = "port 7001";
	CU_ASSERT_EQUAL(run_stdin("port 1\nloglevel debug\n", &j), 0);
	j.via_load = false;

	/* A bad line from stdin fails the load. */
	memcpy(j.argv, (const char *[]){ "shmrepd", "-", NULL },
	       3 * sizeof(char *));
	CU_ASSERT_EQUAL(run_stdin("port x\n", &j), 11);
	free(file);
	dir_done(dir);
}

/* ------------------------------------------------------------- reload */

static void test_reload(void)
{
	char *dir = dir_new(), *file, *text = NULL, *before, *after;
	char ign[256], logpath[PATH_MAX + 16];
	struct config live, copy;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	snprintf(logpath, sizeof(logpath), "%s/d.log", dir);
	file = write_file(dir, "r.conf",
			  "port 1\nloglevel notice\nsize 1gb\nmode rcu\n"
			  "timeout 0\nhz 10\nrequirepass old\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	config_init(&live);
	CU_ASSERT_EQUAL_FATAL(config_load(&live, file, NULL, err, sizeof(err)),
			      0);

	/* Nothing changed: nothing ignored. */
	strcpy(ign, "junk");
	CU_ASSERT_EQUAL(config_reload(&live, ign, sizeof(ign), err,
				      sizeof(err)),
			0);
	CU_ASSERT_STRING_EQUAL(ign, "");

	/* Runtime settings are applied; the others are listed, not applied. */
	CU_ASSERT(asprintf(&text,
			   "port 2\nloglevel debug\nsize 2gb\nmode mutex\n"
			   "timeout 30\nhz 100\nrequirepass new\nlogfile %s\n"
			   "maxclients 5\nreader-stall-warn 5\n"
			   "batch-max-commands 7\nbatch-max-usec 9\n"
			   "databases 2\nname other\n",
			   logpath) > 0);
	free(write_file(dir, "r.conf", text));
	CU_ASSERT_EQUAL(config_reload(&live, ign, sizeof(ign), err,
				      sizeof(err)),
			0);
	CU_ASSERT_STRING_EQUAL(ign, "name,size,mode,unixsocket,port,databases");
	CU_ASSERT_EQUAL(live.port, 1);
	CU_ASSERT_EQUAL(live.size, 1ull << 30);
	CU_ASSERT_EQUAL(live.mode, CFG_MODE_RCU);
	CU_ASSERT_EQUAL(live.databases, 16);
	CU_ASSERT_STRING_EQUAL(live.name, "default");
	CU_ASSERT_STRING_EQUAL(live.unixsocket, "/tmp/shmrep.default.sock");
	CU_ASSERT_EQUAL(live.loglevel, LL_DEBUG);
	CU_ASSERT_EQUAL(live.timeout, 30);
	CU_ASSERT_EQUAL(live.hz, 100);
	CU_ASSERT_STRING_EQUAL(live.requirepass, "new");
	CU_ASSERT_STRING_EQUAL(live.logfile, logpath);
	CU_ASSERT_EQUAL(live.maxclients, 5);
	CU_ASSERT_EQUAL(live.reader_stall_warn_ms, 5);
	CU_ASSERT_EQUAL(live.batch_max_commands, 7);
	CU_ASSERT_EQUAL(live.batch_max_usec, 9);
	CU_ASSERT_STRING_EQUAL(live.configfile, file);
	free(text);

	/* A runtime string can go back to unset. */
	free(write_file(dir, "r.conf", "port 2\n"));
	CU_ASSERT_EQUAL(config_reload(&live, ign, sizeof(ign), err,
				      sizeof(err)),
			0);
	CU_ASSERT_PTR_NULL(live.requirepass);
	CU_ASSERT_STRING_EQUAL(live.logfile, "");
	CU_ASSERT_EQUAL(live.loglevel, LL_NOTICE);
	CU_ASSERT_STRING_EQUAL(ign, "port");

	/* The list is truncated to the buffer, and may be omitted. */
	free(write_file(dir, "r.conf", "port 2\nsize 2gb\nmode mutex\n"));
	CU_ASSERT_EQUAL(config_reload(&live, ign, 8, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(ign, "size,mo");
	CU_ASSERT_EQUAL(config_reload(&live, NULL, 0, err, sizeof(err)), 0);

	/* A bad file, or a missing one, leaves live untouched. */
	before = config_dump(&live);
	free(write_file(dir, "r.conf",
			"loglevel warning\ntimeout 1\nport x\n"));
	CU_ASSERT_EQUAL(config_reload(&live, ign, sizeof(ign), err,
				      sizeof(err)),
			-1);
	CU_ASSERT(err_is(3, "port x", E_INT));
	after = config_dump(&live);
	CU_ASSERT_STRING_EQUAL(before, after);
	free(after);
	unlink(file);
	CU_ASSERT_EQUAL(config_reload(&live, ign, sizeof(ign), err,
				      sizeof(err)),
			-1);
	CU_ASSERT(strstr(err, "Fatal error, can't open config file") == err);
	after = config_dump(&live);
	CU_ASSERT_STRING_EQUAL(before, after);
	free(after);
	free(before);
	config_free(&live);

	/* No file: nothing to reload. */
	config_init(&live);
	config_init(&copy);
	CU_ASSERT_EQUAL(config_reload(&live, ign, sizeof(ign), err,
				      sizeof(err)),
			-1);
	CU_ASSERT_STRING_EQUAL(err, "Can't reload the configuration: no "
				    "config file was given");
	CU_ASSERT(same_config(&live, &copy));
	config_free(&copy);
	config_free(&live);
	free(file);
	dir_done(dir);
}

/* The command-line options are applied again, after the file. */
static void test_reload_keeps_options(void)
{
	char *dir = dir_new(), *file, *inc, ign[256], cwd[PATH_MAX];
	struct config live;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof(cwd)));
	inc = write_file(dir, "inc.conf", "hz 20\n");
	file = write_file(dir, "o.conf", "port 1\ntimeout 1\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	config_init(&live);
	CU_ASSERT_EQUAL_FATAL(run_argv(&live, (const char *[]){
				      "shmrepd", file, "--port", "7000",
				      "--timeout", "5", NULL }),
			      0);
	CU_ASSERT_EQUAL(live.port, 7000);
	CU_ASSERT_EQUAL(live.timeout, 5);

	free(write_file(dir, "o.conf", "port 8000\ntimeout 9\nmaxclients 3\n"
				       "include inc.conf\n"));
	/* include is relative to the working directory, as at startup. */
	if (chdir(dir) == 0) {
		CU_ASSERT_EQUAL(config_reload(&live, ign, sizeof(ign), err,
					      sizeof(err)),
				0);
		CU_ASSERT_STRING_EQUAL(ign, "");
		CU_ASSERT_EQUAL(live.port, 7000);
		CU_ASSERT_EQUAL(live.timeout, 5);
		CU_ASSERT_EQUAL(live.maxclients, 3);
		CU_ASSERT_EQUAL(live.hz, 20);
		CU_ASSERT_EQUAL(chdir(cwd), 0);
	}
	config_free(&live);
	free(inc);
	free(file);
	dir_done(dir);
}

/* ------------------------------------------------------------- the dump */

static void test_dump_round_trip(void)
{
	char *dir = dir_new(), *text = NULL, *d1, *d2;
	struct config a, b;
	int lines = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);

	/* The defaults. */
	config_init(&a);
	config_init(&b);
	d1 = config_dump(&a);
	CU_ASSERT_EQUAL(load(&b, d1), 0);
	CU_ASSERT(same_config(&a, &b));
	free(d1);
	config_free(&a);
	config_free(&b);

	/* Everything changed, with strings that need quoting. */
	config_init(&a);
	CU_ASSERT(asprintf(&text,
			   "name x.y_z-1\nsize 3000000\nmode mutex\n"
			   "readers 65536\nshmperm 0\nmembarrier no\n"
			   "reader-stall-warn 9223372036854775807\n"
			   "mutex-drain-timeout 9223372036854775807\n"
			   "batch-max-commands 4294967295\n"
			   "batch-max-usec 1\n"
			   "unixsocket \"/tmp/sock with 'quotes' \\\"x\\\"\"\n"
			   "unixsocketperm 777\nport 65535\n"
			   "bind \"\" a -b \"c d\" \"\\xff\"\n"
			   "tcp-backlog 2147483647\nlogfile \"%s/l o g\"\n"
			   "loglevel nothing\npidfile \"/run/p\\n.pid\"\n"
			   "daemonize yes\n"
			   "requirepass \"\\x01\\x7f\\\\\\t\\r\\a\\b#\"\n"
			   "databases 1024\nmaxclients 1\n"
			   "timeout 2147483647\nhz 500\n"
			   "proto-max-bulk-len 9223372036854775807\n"
			   "client-query-buffer-limit 1048577\n"
			   "replicaof \"host name\" 0\n"
			   "masterauth 'it\\'s'\nmasteruser \"\\\"\"\n",
			   dir) > 0);
	CU_ASSERT_EQUAL_FATAL(load(&a, text), 0);
	CU_ASSERT_EQUAL(a.nbind, 5);
	d1 = config_dump(&a);
	for (const char *p = d1; *p; p++)
		lines += *p == '\n';
	CU_ASSERT_EQUAL(lines, 29);
	config_init(&b);
	CU_ASSERT_EQUAL(load(&b, d1), 0);
	CU_ASSERT(same_config(&a, &b));
	d2 = config_dump(&b);
	CU_ASSERT_STRING_EQUAL(d1, d2);
	if (strcmp(d1, d2))
		fprintf(stderr, "\n%s\n---\n%s\n", d1, d2);
	free(d1);
	free(d2);
	free(text);
	config_free(&a);
	config_free(&b);
	dir_done(dir);
}

/* Randomized: any mix of valid settings dumps and reads back the same. */
static void test_dump_random(void)
{
	/* Each directive with the range of its random value: lo + [0, mod). */
	static const struct {
		const char *fmt;
		unsigned long long mod, lo;
	} pieces[] = {
		{ "name n%llu", 1000, 0 },
		{ "size %llukb", 65536, 256 }, /* in bounds */
		{ "mode mutex", 1, 0 },
		{ "mode rcu", 1, 0 },
		{ "readers %llu", 65536, 1 },
		{ "shmperm %llo", 0777, 0 },
		{ "membarrier no", 1, 0 },
		{ "reader-stall-warn %llu", ~0ull >> 1, 0 },
		{ "mutex-drain-timeout 1%llu", 1000000, 0 },
		{ "batch-max-commands %llu", 1u << 31, 1 },
		{ "batch-max-usec %llu", 1u << 31, 1 },
		{ "unixsocket /tmp/s%llu", 1000, 0 },
		{ "unixsocketperm %llo", 0777, 0 },
		{ "port %llu", 65536, 0 },
		{ "bind a%llu b", 100, 0 },
		{ "bind \"\"", 1, 0 },
		{ "tcp-backlog %llu", 1u << 31, 0 },
		{ "loglevel debug", 1, 0 },
		{ "pidfile \"/p %llu\"", 100, 0 },
		{ "daemonize yes", 1, 0 },
		{ "requirepass \"%llu\"", 1000, 0 },
		{ "databases %llu", 1024, 1 },
		{ "maxclients %llu", 1u << 31, 1 },
		{ "timeout %llu", 1u << 31, 0 },
		{ "hz %llu", 1000, 0 },
		{ "proto-max-bulk-len %llumb", 1000, 1 },
		{ "client-query-buffer-limit %llu", 1u << 31, 1 << 20 },
		{ "replicaof h%llu 1", 100, 0 },
		{ "replicaof no one", 1, 0 },
		{ "masterauth m%llu", 100, 0 },
		{ "masteruser u%llu", 100, 0 },
	};
	uint64_t rs = tu_seed();
	int failures = 0;

	for (int round = 0; round < 300; round++) {
		struct config a, b;
		char line[128];
		char *d1, *d2, *text;
		size_t tl = 0;

		text = calloc(1, 64 * 128);
		for (int k = 0; k < 20; k++) {
			size_t i = tu_rand(&rs) % (sizeof(pieces) /
						  sizeof(pieces[0]));
			unsigned long long v =
				pieces[i].lo + tu_rand(&rs) % pieces[i].mod;

			snprintf(line, sizeof(line), pieces[i].fmt, v);
			tl += (size_t)sprintf(text + tl, "%s\n", line);
		}
		config_init(&a);
		config_init(&b);
		if (load(&a, text)) {
			fprintf(stderr, "\nrandom: %s\n%s\n", text, err);
			failures++;
		}
		d1 = config_dump(&a);
		if (load(&b, d1) || !same_config(&a, &b))
			failures++;
		d2 = config_dump(&b);
		if (strcmp(d1, d2))
			failures++;
		free(d1);
		free(d2);
		free(text);
		config_free(&a);
		config_free(&b);
	}
	CU_ASSERT_EQUAL(failures, 0);
}

static CU_TestInfo tests[] = {
	{ "defaults", test_defaults },
	{ "valid", test_valid },
	{ "fields", test_fields },
	{ "unixsocket_length", test_unixsocket_length },
	{ "unixsocket_default", test_unixsocket_default },
	{ "invalid", test_invalid },
	{ "error_buffer", test_error_buffer },
	{ "quoting", test_quoting },
	{ "comments_and_lines", test_comments_and_lines },
	{ "logfile", test_logfile },
	{ "include", test_include },
	{ "include_wildcard", test_include_wildcard },
	{ "load_file_and_options", test_load_file_and_options },
	{ "example_file", test_example_file },
	{ "argv_conversion", test_argv_conversion },
	{ "argv", test_argv },
	{ "argv_help_version", test_argv_help_version },
	{ "argv_stdin", test_argv_stdin },
	{ "reload", test_reload },
	{ "reload_keeps_options", test_reload_keeps_options },
	{ "dump_round_trip", test_dump_round_trip },
	{ "dump_random", test_dump_random },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = {
		{ "config", tests },
		{ NULL, NULL },
	};

	return tu_main(argc, argv, suites);
}
