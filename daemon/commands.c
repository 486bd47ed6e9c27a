/*
 * commands.c - the command table, and COMMAND itself.
 *
 * Arity, flags, key positions and ACL categories are Redis 7.0's, so that
 * COMMAND answers tools (redis-cli among them) the way they expect.  Each
 * t_*.c file defines the table of its own commands (cmds_* in server.h);
 * they are merged and sorted once at start-up and searched with bsearch on
 * the lower-cased name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server.h"

/* Every file's table, merged and sorted once at start-up. */
static const struct command *const tables[] = {
	cmds_server, cmds_string, cmds_keys, cmds_multi, cmds_debug,
	cmds_hash, cmds_set, cmds_list, cmds_zset,
};

static struct command *table;
static int ncmd;

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct command *)a)->name,
		      ((const struct command *)b)->name);
}

void command_table_init(void)
{
	int n = 0;

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct command *c = tables[t]; c->name; c++)
			n++;
	table = calloc((size_t)n, sizeof(*table));
	if (!table)
		abort();
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct command *c = tables[t]; c->name; c++)
			table[ncmd++] = *c;
	qsort(table, (size_t)ncmd, sizeof(*table), by_name);
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
	return bsearch(&key, table, (size_t)ncmd, sizeof(*table), by_name);
}

int command_count(void)
{
	return ncmd;
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
		resp_add_array(&c->out, ncmd);
		for (int i = 0; i < ncmd; i++)
			add_info(&c->out, &table[i]);
	} else if (arg_is(c, 1, "count") && c->argc == 2) {
		resp_add_int(&c->out, ncmd);
	} else if (arg_is(c, 1, "list") && c->argc == 2) {
		resp_add_array(&c->out, ncmd);
		for (int i = 0; i < ncmd; i++)
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
