/*
 * commands.c - the command table, and COMMAND itself.
 *
 * Arity, flags, key positions and ACL categories are Redis 7.0's, so that
 * COMMAND answers tools (redis-cli among them) the way they expect.  The
 * table is sorted once at start-up and searched with bsearch on the
 * lower-cased name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server.h"

#define W CMD_WRITE
#define R CMD_READONLY
#define F CMD_FAST

static struct command table[] = {
	/* connection and server */
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
	/* strings */
	{ "get", cmd_get, 2, R | F, 1, 1, 1, "readonly fast", "@read @string @fast" },
	{ "set", cmd_set, -3, W, 1, 1, 1, "write denyoom", "@write @string @slow" },
	{ "setnx", cmd_setnx, 3, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @string @fast" },
	{ "setex", cmd_setex, 4, W, 1, 1, 1, "write denyoom", "@write @string @slow" },
	{ "psetex", cmd_psetex, 4, W, 1, 1, 1, "write denyoom",
	  "@write @string @slow" },
	{ "mget", cmd_mget, -2, R | F, 1, -1, 1, "readonly fast",
	  "@read @string @fast" },
	{ "mset", cmd_mset, -3, W, 1, -1, 2, "write denyoom", "@write @string @slow" },
	{ "msetnx", cmd_msetnx, -3, W, 1, -1, 2, "write denyoom",
	  "@write @string @slow" },
	{ "incr", cmd_incr, 2, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @string @fast" },
	{ "incrby", cmd_incrby, 3, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @string @fast" },
	{ "decr", cmd_decr, 2, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @string @fast" },
	{ "decrby", cmd_decrby, 3, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @string @fast" },
	{ "incrbyfloat", cmd_incrbyfloat, 3, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @string @fast" },
	{ "append", cmd_append, 3, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @string @fast" },
	{ "strlen", cmd_strlen, 2, R | F, 1, 1, 1, "readonly fast",
	  "@read @string @fast" },
	{ "getrange", cmd_getrange, 4, R, 1, 1, 1, "readonly", "@read @string @slow" },
	{ "setrange", cmd_setrange, 4, W, 1, 1, 1, "write denyoom",
	  "@write @string @slow" },
	{ "getdel", cmd_getdel, 2, W | F, 1, 1, 1, "write fast",
	  "@write @string @fast" },
	{ "getex", cmd_getex, -2, W | F, 1, 1, 1, "write fast",
	  "@write @string @fast" },
	{ "getset", cmd_getset, 3, W | F, 1, 1, 1, "write denyoom fast",
	  "@write @string @fast" },
	/* keyspace */
	{ "del", cmd_del, -2, W, 1, -1, 1, "write", "@keyspace @write @slow" },
	{ "unlink", cmd_unlink, -2, W | F, 1, -1, 1, "write fast",
	  "@keyspace @write @fast" },
	{ "exists", cmd_exists, -2, R | F, 1, -1, 1, "readonly fast",
	  "@keyspace @read @fast" },
	{ "expire", cmd_expire, -3, W | F, 1, 1, 1, "write fast",
	  "@keyspace @write @fast" },
	{ "pexpire", cmd_pexpire, -3, W | F, 1, 1, 1, "write fast",
	  "@keyspace @write @fast" },
	{ "expireat", cmd_expireat, -3, W | F, 1, 1, 1, "write fast",
	  "@keyspace @write @fast" },
	{ "pexpireat", cmd_pexpireat, -3, W | F, 1, 1, 1, "write fast",
	  "@keyspace @write @fast" },
	{ "ttl", cmd_ttl, 2, R | F, 1, 1, 1, "readonly fast",
	  "@keyspace @read @fast" },
	{ "pttl", cmd_pttl, 2, R | F, 1, 1, 1, "readonly fast",
	  "@keyspace @read @fast" },
	{ "persist", cmd_persist, 2, W | F, 1, 1, 1, "write fast",
	  "@keyspace @write @fast" },
	{ "type", cmd_type, 2, R | F, 1, 1, 1, "readonly fast",
	  "@keyspace @read @fast" },
	{ "rename", cmd_rename, 3, W, 1, 2, 1, "write", "@keyspace @write @slow" },
	{ "renamenx", cmd_renamenx, 3, W | F, 1, 2, 1, "write fast",
	  "@keyspace @write @fast" },
	{ "keys", cmd_keys, 2, R, 0, 0, 0, "readonly",
	  "@keyspace @read @slow @dangerous" },
	{ "scan", cmd_scan, -2, R, 0, 0, 0, "readonly", "@keyspace @read @slow" },
};

#define NCMD ((int)(sizeof(table) / sizeof(table[0])))

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct command *)a)->name,
		      ((const struct command *)b)->name);
}

void command_table_init(void)
{
	qsort(table, NCMD, sizeof(table[0]), by_name);
}

const struct command *command_lookup(const char *name, size_t len)
{
	char low[32];
	struct command key = { .name = low };

	if (len >= sizeof(low))
		return NULL;
	for (size_t i = 0; i < len; i++)
		low[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
	low[len] = '\0';
	if (strlen(low) != len) /* a NUL inside the name */
		return NULL;
	return bsearch(&key, table, NCMD, sizeof(table[0]), by_name);
}

int command_count(void)
{
	return NCMD;
}

const struct command *command_at(int i)
{
	return &table[i];
}

/* Words of a space-separated list, as an array of status replies. */
static void add_words(struct resp_out *o, const char *s)
{
	size_t slot = resp_add_deferred_len(o);
	long long n = 0;

	while (*s) {
		size_t len = strcspn(s, " ");

		if (len) {
			char w[64];

			snprintf(w, sizeof(w), "%.*s", (int)len, s);
			resp_add_simple(o, w);
			n++;
		}
		s += len;
		while (*s == ' ')
			s++;
	}
	resp_set_deferred_len(o, slot, n);
}

static void add_info(struct resp_out *o, const struct command *cmd)
{
	resp_add_array(o, 10);
	resp_add_bulk_str(o, cmd->name);
	resp_add_int(o, cmd->arity);
	add_words(o, cmd->flag_names);
	resp_add_int(o, cmd->first_key);
	resp_add_int(o, cmd->last_key);
	resp_add_int(o, cmd->key_step);
	add_words(o, cmd->acl);
	resp_add_array(o, 0); /* tips */
	resp_add_array(o, 0); /* key specs */
	resp_add_array(o, 0); /* subcommands */
}

int cmd_command(struct client *c)
{
	if (c->argc == 1) {
		resp_add_array(&c->out, NCMD);
		for (int i = 0; i < NCMD; i++)
			add_info(&c->out, &table[i]);
	} else if (arg_is(c, 1, "count") && c->argc == 2) {
		resp_add_int(&c->out, NCMD);
	} else if (arg_is(c, 1, "list") && c->argc == 2) {
		resp_add_array(&c->out, NCMD);
		for (int i = 0; i < NCMD; i++)
			resp_add_bulk_str(&c->out, table[i].name);
	} else if (arg_is(c, 1, "info")) {
		resp_add_array(&c->out, c->argc - 2);
		for (int i = 2; i < c->argc; i++) {
			const struct command *cmd =
				command_lookup(c->argv[i].p, c->argv[i].len);

			if (cmd)
				add_info(&c->out, cmd);
			else
				resp_add_null_array(&c->out);
		}
	} else if (arg_is(c, 1, "docs")) {
		/* No documentation to give: an empty map, as for unknown
		 * names (redis-cli then works without hints). */
		resp_add_array(&c->out, 0);
	} else {
		resp_add_errorf(&c->out,
				"ERR unknown subcommand or wrong number of arguments for '%.*s'. Try COMMAND HELP.",
				(int)(c->argv[1].len > 128 ? 128 : c->argv[1].len),
				c->argv[1].p);
	}
	return 0;
}
