/*
 * t_server.c - connection and server commands: PING, ECHO, SELECT, AUTH,
 * HELLO, QUIT, CLIENT, TIME, DBSIZE, FLUSHDB, FLUSHALL and INFO.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "num.h"
#include "region.h"
#include "server.h"
#include "writer.h"

static int cmd_ping(struct client *c)
{
	if (c->argc > 2)
		reply_wrong_args(c);
	else if (c->argc == 2)
		resp_add_bulk(&c->out, c->argv[1].p, c->argv[1].len);
	else
		resp_add_simple(&c->out, "PONG");
	return 0;
}

static int cmd_echo(struct client *c)
{
	resp_add_bulk(&c->out, c->argv[1].p, c->argv[1].len);
	return 0;
}

static int cmd_select(struct client *c)
{
	long long db;

	if (!arg_ll(c, 1, &db, NULL))
		return 0;
	/* Redis reads the index with getIntFromObjectOrReply(): outside an
	 * int it is a range error before it is a bad db index. */
	if (db < INT_MIN || db > INT_MAX) {
		resp_add_errorf(&c->out,
				"ERR value is out of range, value must between %d and %d",
				INT_MIN, INT_MAX);
		return 0;
	}
	if (db < 0 || db >= (long long)srv.w->ndb) {
		resp_add_error(&c->out, "ERR DB index is out of range");
		return 0;
	}
	c->db = (unsigned)db;
	reply_ok(c);
	return 0;
}

/* Compare in time independent of where the strings first differ. */
static bool secret_eq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	unsigned char d = alen != blen;

	for (size_t i = 0; i < alen && i < blen; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* The only user is "default"; Redis finds users by their exact bytes
 * (ACLGetUserByName), so "DEFAULT" is another, unknown, user. */
static bool try_auth(struct client *c, int userarg, int passarg)
{
	const char *pass = srv.cfg->requirepass;
	const struct resp_arg *user = userarg >= 0 ? &c->argv[userarg] : NULL;

	if (user && (user->len != 7 || memcmp(user->p, "default", 7)))
		return false;
	if (!pass)
		return true;
	return secret_eq(c->argv[passarg].p, c->argv[passarg].len, pass);
}

static int cmd_auth(struct client *c)
{
	if (c->argc > 3) {
		reply_syntax(c);
		return 0;
	}
	if (c->argc == 2 && !srv.cfg->requirepass) {
		resp_add_error(&c->out,
			       "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
		return 0;
	}
	if (try_auth(c, c->argc == 3 ? 1 : -1, c->argc - 1)) {
		c->authenticated = true;
		reply_ok(c);
	} else {
		resp_add_error(&c->out,
			       "WRONGPASS invalid username-password pair or user is disabled.");
	}
	return 0;
}

static int cmd_hello(struct client *c)
{
	long long ver = 2;
	int i = 1;

	if (c->argc >= 2) {
		if (!num_str2ll(c->argv[1].p, c->argv[1].len, &ver)) {
			resp_add_error(&c->out,
				       "ERR Protocol version is not an integer or out of range");
			return 0;
		}
		i = 2;
	}
	if (ver != 2) {
		resp_add_error(&c->out, "NOPROTO unsupported protocol version");
		return 0;
	}
	for (; i < c->argc; i++) {
		if (arg_is(c, i, "auth") && i + 2 < c->argc) {
			if (!try_auth(c, i + 1, i + 2)) {
				resp_add_error(&c->out,
					       "WRONGPASS invalid username-password pair or user is disabled.");
				return 0;
			}
			c->authenticated = true;
			i += 2;
		} else if (arg_is(c, i, "setname") && i + 1 < c->argc) {
			snprintf(c->name, sizeof(c->name), "%.*s",
				 (int)c->argv[i + 1].len, c->argv[i + 1].p);
			i++;
		} else {
			resp_add_errorf(&c->out, "ERR Syntax error in HELLO option '%.*s'",
					(int)c->argv[i].len, c->argv[i].p);
			return 0;
		}
	}
	if (!c->authenticated) {
		resp_add_error(&c->out,
			       "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
		return 0;
	}
	resp_add_array(&c->out, 14);
	resp_add_bulk_str(&c->out, "server");
	resp_add_bulk_str(&c->out, "redis");
	resp_add_bulk_str(&c->out, "version");
	resp_add_bulk_str(&c->out, "7.0.0");
	resp_add_bulk_str(&c->out, "proto");
	resp_add_int(&c->out, 2);
	resp_add_bulk_str(&c->out, "id");
	resp_add_int(&c->out, (long long)c->id);
	resp_add_bulk_str(&c->out, "mode");
	resp_add_bulk_str(&c->out, "standalone");
	resp_add_bulk_str(&c->out, "role");
	resp_add_bulk_str(&c->out, "master");
	resp_add_bulk_str(&c->out, "modules");
	resp_add_array(&c->out, 0);
	return 0;
}

static int cmd_quit(struct client *c)
{
	reply_ok(c);
	c->close_after_reply = true;
	return 0;
}

static void client_line(struct client *c, char *buf, size_t cap,
			const struct client *x)
{
	uint64_t now = server_now_us() / 1000;

	snprintf(buf, cap,
		 "id=%llu addr=%s laddr=%s fd=%d name=%s age=%llu idle=%llu db=%u cmd=%s\n",
		 (unsigned long long)x->id, x->addr,
		 x->unix_sock ? srv.cfg->unixsocket : "-", x->fd, x->name,
		 (unsigned long long)((now - x->ctime_ms) / 1000),
		 (unsigned long long)((now - x->last_ms) / 1000), x->db,
		 x == c ? "client|list" : (x->cmd ? x->cmd->name : "NULL"));
}

static int cmd_client(struct client *c)
{
	if (arg_is(c, 1, "id") && c->argc == 2) {
		resp_add_int(&c->out, (long long)c->id);
	} else if (arg_is(c, 1, "getname") && c->argc == 2) {
		if (c->name[0])
			resp_add_bulk_str(&c->out, c->name);
		else
			resp_add_null(&c->out);
	} else if (arg_is(c, 1, "setname") && c->argc == 3) {
		for (size_t i = 0; i < c->argv[2].len; i++) {
			unsigned char ch = (unsigned char)c->argv[2].p[i];

			if (ch < '!' || ch > '~') {
				resp_add_error(&c->out,
					       "ERR Client names cannot contain spaces, newlines or special characters.");
				return 0;
			}
		}
		snprintf(c->name, sizeof(c->name), "%.*s", (int)c->argv[2].len,
			 c->argv[2].p);
		reply_ok(c);
	} else if ((arg_is(c, 1, "list") || arg_is(c, 1, "info")) && c->argc == 2) {
		char line[512];
		struct resp_out o = { 0 };
		struct client *x;

		if (arg_is(c, 1, "info")) {
			client_line(c, line, sizeof(line), c);
			resp_add_bulk_str(&c->out, line);
			return 0;
		}
		cds_list_for_each_entry(x, &srv.clients, node) {
			client_line(c, line, sizeof(line), x);
			resp_add_raw(&o, line, strlen(line));
		}
		resp_add_bulk(&c->out, o.buf, o.len);
		resp_out_free(&o);
	} else {
		resp_add_errorf(&c->out,
				"ERR unknown subcommand or wrong number of arguments for '%.*s'. Try CLIENT HELP.",
				(int)(c->argv[1].len > 128 ? 128 : c->argv[1].len),
				c->argv[1].p);
	}
	return 0;
}

static int cmd_time(struct client *c)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	resp_add_array(&c->out, 2);
	resp_add_bulk_ll(&c->out, (long long)ts.tv_sec);
	resp_add_bulk_ll(&c->out, ts.tv_nsec / 1000);
	return 0;
}

static int cmd_dbsize(struct client *c)
{
	resp_add_int(&c->out, (long long)db_size(c->db));
	return 0;
}

/* FLUSHDB / FLUSHALL [ASYNC|SYNC]: the old trie is retired whole and freed
 * by the writer once no reader can see it, so both behave like ASYNC. */
static bool flush_args(struct client *c)
{
	if (c->argc > 2 || (c->argc == 2 && !arg_is(c, 1, "async") &&
			    !arg_is(c, 1, "sync"))) {
		reply_syntax(c);
		return false;
	}
	return true;
}

static int cmd_flushdb(struct client *c)
{
	if (!flush_args(c))
		return 0;
	db_flush(c->db);
	reply_ok(c);
	return 0;
}

static int cmd_flushall(struct client *c)
{
	if (!flush_args(c))
		return 0;
	for (unsigned db = 0; db < srv.w->ndb; db++)
		db_flush(db);
	reply_ok(c);
	return 0;
}

/* ------------------------------------------------------------------ INFO */

static void human_bytes(char *buf, size_t cap, uint64_t n)
{
	static const char units[] = "BKMGT";
	double d = (double)n;
	int u = 0;

	while (d >= 1024 && u < 4) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, cap, "%lluB", (unsigned long long)n);
	else
		snprintf(buf, cap, "%.2f%c", d, units[u]);
}

static bool want_section(struct client *c, const char *name, bool dflt)
{
	if (c->argc < 2)
		return dflt;
	for (int i = 1; i < c->argc; i++) {
		if (arg_is(c, i, name) || arg_is(c, i, "all") ||
		    arg_is(c, i, "everything") || (dflt && arg_is(c, i, "default")))
			return true;
	}
	return false;
}

#define ADD(...) (n += snprintf(buf + n, n < cap ? cap - n : 0, __VA_ARGS__))

static size_t info_text(struct client *c, char *buf, size_t cap)
{
	struct shm_writer *w = srv.w;
	uint64_t now_ms = (uint64_t)server_now_ms();
	uint64_t up = (now_ms - srv.start_ms) / 1000;
	size_t n = 0;
	char h1[32], h2[32];
	bool sep = false;

#define SECTION(title) (ADD("%s# " title "\r\n", sep ? "\r\n" : ""), sep = true)
	if (want_section(c, "server", true)) {
		struct utsname u;

		uname(&u);
		SECTION("Server");
		ADD("redis_version:7.0.0\r\n");
		ADD("shmrep_version:0.1.0\r\n");
		ADD("redis_mode:standalone\r\n");
		ADD("os:%s %s %s\r\n", u.sysname, u.release, u.machine);
		ADD("arch_bits:%d\r\n", (int)(sizeof(long) * 8));
		ADD("process_id:%d\r\n", (int)getpid());
		ADD("tcp_port:%d\r\n", srv.cfg->port);
		ADD("uptime_in_seconds:%llu\r\n", (unsigned long long)up);
		ADD("uptime_in_days:%llu\r\n", (unsigned long long)(up / 86400));
		ADD("hz:%d\r\n", srv.cfg->hz);
		ADD("executable:%s\r\n", srv.executable);
		ADD("config_file:%s\r\n", srv.cfg->configfile ? srv.cfg->configfile : "");
	}
	if (want_section(c, "clients", true)) {
		SECTION("Clients");
		ADD("connected_clients:%u\r\n", srv.nclients);
		ADD("maxclients:%u\r\n", srv.cfg->maxclients);
	}
	if (want_section(c, "memory", true)) {
		SECTION("Memory");
		human_bytes(h1, sizeof(h1), w->alloc.used);
		human_bytes(h2, sizeof(h2), w->size);
		ADD("used_memory:%llu\r\n", (unsigned long long)w->alloc.used);
		ADD("used_memory_human:%s\r\n", h1);
		ADD("maxmemory:%llu\r\n", (unsigned long long)w->size);
		ADD("maxmemory_human:%s\r\n", h2);
		ADD("maxmemory_policy:noeviction\r\n");
		ADD("region_free_pages_bytes:%llu\r\n",
		    (unsigned long long)alloc_free_pages_bytes(&w->alloc));
	}
	if (want_section(c, "stats", true)) {
		SECTION("Stats");
		ADD("total_connections_received:%llu\r\n",
		    (unsigned long long)srv.stat_conns);
		ADD("total_commands_processed:%llu\r\n",
		    (unsigned long long)srv.stat_commands);
		ADD("total_net_input_bytes:%llu\r\n", (unsigned long long)srv.stat_net_in);
		ADD("total_net_output_bytes:%llu\r\n",
		    (unsigned long long)srv.stat_net_out);
		ADD("rejected_connections:%llu\r\n",
		    (unsigned long long)srv.stat_rejected_conns);
		ADD("expired_keys:%llu\r\n", (unsigned long long)srv.stat_expired);
		ADD("keyspace_hits:%llu\r\n", (unsigned long long)srv.stat_keyspace_hits);
		ADD("keyspace_misses:%llu\r\n",
		    (unsigned long long)srv.stat_keyspace_misses);
		ADD("oom_rejections:%llu\r\n", (unsigned long long)srv.stat_oom);
	}
	if (want_section(c, "replication", true)) {
		SECTION("Replication");
		ADD("role:master\r\n");
		ADD("connected_slaves:0\r\n");
		ADD("shmrep_link:standalone\r\n");
		ADD("master_repl_offset:%llu\r\n", (unsigned long long)w->repl_offset);
	}
	if (want_section(c, "shmrep", true)) {
		struct shm_laggard lag[16];
		size_t nl;
		char path[256];

		region_path(path, sizeof(path), w->name, "data");
		nl = shm_wr_laggards(w, srv.cfg->reader_stall_warn_ms, lag, 16);
		SECTION("Shmrep");
		ADD("name:%s\r\n", w->name);
		ADD("mode:%s\r\n", w->hdr->mode == SHM_MODE_MUTEX ? "mutex" : "rcu");
		ADD("region:%s\r\n", path);
		ADD("region_size:%llu\r\n", (unsigned long long)w->size);
		ADD("region_used:%llu\r\n", (unsigned long long)w->alloc.used);
		ADD("incarnation:%016llx\r\n", (unsigned long long)w->hdr->incarnation);
		ADD("version:%llu\r\n", (unsigned long long)w->pub_ver);
		ADD("publishes:%llu\r\n", (unsigned long long)w->st.publishes);
		ADD("publishes_by_size:%llu\r\n",
		    (unsigned long long)srv.stat_publishes_at_cmds);
		ADD("publishes_by_time:%llu\r\n",
		    (unsigned long long)srv.stat_publishes_at_time);
		ADD("publishes_by_quiet:%llu\r\n",
		    (unsigned long long)srv.stat_publishes_idle);
		ADD("membarrier:%s\r\n", w->membarrier ? "yes" : "no");
		if (w->mutex) {
			ADD("write_sections:%llu\r\n", (unsigned long long)w->st.sections);
			ADD("write_sections_busy:%llu\r\n",
			    (unsigned long long)w->st.busy_sections);
		}
		ADD("journal_records_rolled_back:%llu\r\n",
		    (unsigned long long)w->st.recovered_records);
		ADD("reader_slots:%u\r\n", w->nslots);
		ADD("reader_slots_used:%u\r\n", shm_load_acquire(&w->ctl->slot_hw));
		ADD("readers_min_version:%llu\r\n",
		    (unsigned long long)(w->min_pinned == UINT64_MAX ? 0 : w->min_pinned));
		ADD("retired_bytes:%llu\r\n",
		    (unsigned long long)(w->retired_cum - w->freed_cum));
		ADD("retired_blocks:%llu\r\n",
		    (unsigned long long)(w->retired.n - w->retire_head));
		ADD("dead_readers_freed:%llu\r\n", (unsigned long long)w->st.dead_readers);
		ADD("copied_keys_at_start:%llu\r\n", (unsigned long long)w->st.copied_keys);
		ADD("stalled_readers:%zu\r\n", nl);
		for (size_t i = 0; i < nl; i++)
			ADD("stalled_reader%zu:slot=%u,pid=%u,version=%llu,age_ms=%llu,bytes_held=%llu\r\n",
			    i, lag[i].slot, lag[i].pid,
			    (unsigned long long)lag[i].version,
			    (unsigned long long)lag[i].age_ms,
			    (unsigned long long)lag[i].bytes_held);
	}
	if (want_section(c, "keyspace", true)) {
		SECTION("Keyspace");
		for (unsigned db = 0; db < w->ndb; db++)
			if (w->db[db].nkeys)
				ADD("db%u:keys=%llu,expires=%llu,avg_ttl=0\r\n", db,
				    (unsigned long long)w->db[db].nkeys,
				    (unsigned long long)w->db[db].nexpires);
	}
#undef SECTION
	return n;
}

static int cmd_info(struct client *c)
{
	size_t cap = 8192, n;
	char *buf = xmalloc(cap);

	n = info_text(c, buf, cap);
	if (n >= cap) {
		cap = n + 1;
		buf = xrealloc(buf, cap, 1);
		n = info_text(c, buf, cap);
	}
	resp_add_bulk(&c->out, buf, n);
	free(buf);
	return 0;
}

#define W CMD_WRITE
#define R CMD_READONLY
#define F CMD_FAST

const struct command cmds_server[] = {
	{ "ping", cmd_ping, -1, F, 0, 0, 0, "fast", "@fast @connection" },
	{ "echo", cmd_echo, 2, F, 0, 0, 0, "fast", "@fast @connection" },
	{ "select", cmd_select, 2, F | CMD_LOADING | CMD_STALE, 0, 0, 0,
	  "loading stale fast", "@fast @connection" },
	{ "auth", cmd_auth, -2, F | CMD_NOAUTH | CMD_LOADING | CMD_STALE, 0, 0, 0,
	  "noscript loading stale fast no_auth allow_busy", "@fast @connection" },
	{ "hello", cmd_hello, -1, F | CMD_NOAUTH | CMD_LOADING | CMD_STALE, 0, 0, 0,
	  "noscript loading stale fast no_auth allow_busy", "@fast @connection" },
	{ "quit", cmd_quit, -1, F | CMD_NOAUTH | CMD_LOADING | CMD_STALE, 0, 0, 0,
	  "allow_busy noscript loading stale fast no_auth", "@fast @connection" },
	{ "client", cmd_client, -2, CMD_LOADING | CMD_STALE, 0, 0, 0,
	  "noscript loading stale", "@slow @connection" },
	{ "info", cmd_info, -1, CMD_LOADING | CMD_STALE, 0, 0, 0,
	  "loading stale", "@slow @dangerous" },
	{ "command", cmd_command, -1, CMD_LOADING | CMD_STALE, 0, 0, 0,
	  "loading stale", "@slow @connection" },
	{ "time", cmd_time, 1, F | CMD_LOADING | CMD_STALE, 0, 0, 0,
	  "loading stale fast", "@fast" },
	{ "dbsize", cmd_dbsize, 1, R | F, 0, 0, 0, "readonly fast",
	  "@keyspace @read @fast" },
	{ "flushdb", cmd_flushdb, -1, W, 0, 0, 0, "write",
	  "@keyspace @write @slow @dangerous" },
	{ "flushall", cmd_flushall, -1, W, 0, 0, 0, "write",
	  "@keyspace @write @slow @dangerous" },
	{ NULL },
};
