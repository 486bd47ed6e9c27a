/*
 * server.h - shmrepd's process-wide state, clients and command table.
 *
 * One thread does everything: the event loop reads commands from clients,
 * applies each one to the open batch of the region through the writer
 * (shm/writer.h), and publishes the batch when input goes quiet, after
 * batch-max-commands commands or after batch-max-usec microseconds,
 * whichever comes first.  Replies are held back until the batch holding
 * their command is published, so a client that got "+OK" for a SET and then
 * reads through libshmrep sees its own write.
 */
#ifndef DAEMON_SERVER_H
#define DAEMON_SERVER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <urcu/list.h>

#include "config.h"
#include "resp.h"
#include "shmrep.h"

struct shm_writer;
struct shm_leaf;

/* Command flags. */
#define CMD_WRITE 0x01u /* changes the dataset: runs as a writer command */
#define CMD_READONLY 0x02u
#define CMD_FAST 0x04u
#define CMD_NOAUTH 0x08u /* allowed before AUTH */
#define CMD_ADMIN 0x10u
#define CMD_LOADING 0x20u
#define CMD_STALE 0x40u
#define CMD_NOSCRIPT 0x80u

struct client;
struct multi_state;

/*
 * A command handler writes its reply to c->out and returns 0, or returns
 * -ENOMEM when the region is full: the dispatcher then undoes everything
 * the command did (reply included) and answers with Redis's OOM error.
 */
typedef int (*cmd_proc)(struct client *c);

struct command {
	const char *name; /* lower case */
	cmd_proc proc;
	int arity; /* > 0: exactly; < 0: at least -arity (name included) */
	unsigned flags;
	int first_key, last_key, key_step; /* as COMMAND reports them */
	const char *flag_names; /* space separated, for COMMAND */
	const char *acl; /* space separated ACL categories, for COMMAND */
};

struct client {
	uint64_t id;
	int fd;
	struct cds_list_head node; /* in srv.clients */
	struct cds_list_head pending; /* in srv.unpublished, if linked */
	bool unix_sock;
	char addr[64]; /* "ip:port" or the socket path */
	/* input */
	char *qbuf;
	size_t qlen, qcap, qpos;
	struct resp_parser parser;
	/* current command */
	int argc;
	struct resp_arg *argv;
	const struct command *cmd;
	/* output: out.buf[sent, out.len) is still to be written */
	struct resp_out out;
	size_t sent;
	/* replies up to here wait for the open batch to be published */
	size_t held;
	bool waiting_publish;
	unsigned db;
	bool authenticated;
	bool close_after_reply;
	bool want_write; /* EPOLLOUT armed */
	uint64_t ctime_ms, last_ms;
	uint64_t cmds;
	char name[64]; /* CLIENT SETNAME */
	struct multi_state *multi; /* MULTI and WATCH (t_multi.c), or NULL */
};

struct server {
	struct config *cfg;
	struct shm_writer *w;
	int epfd;
	int ufd; /* unix listener, -1 if none */
	int tfd[16]; /* tcp listeners */
	int ntfd;
	int sigfd;
	struct cds_list_head clients;
	struct cds_list_head unpublished; /* clients holding replies */
	unsigned nclients;
	uint64_t next_client_id;
	/* batching */
	unsigned batch_cmds; /* commands in the open batch */
	uint64_t batch_start_us; /* first write of the open batch */
	/* cron */
	uint64_t next_cron_ms;
	uint64_t cronloops;
	uint64_t watchdog_us, last_watchdog_us;
	unsigned expire_db;
	uint64_t expire_cursor;
	uint64_t stall_logged_ver[64]; /* per laggard slot: last version warned about */
	/* state */
	uint64_t start_ms;
	bool shutdown_asap;
	bool ready;
	/* stats */
	uint64_t stat_conns;
	uint64_t stat_rejected_conns;
	uint64_t stat_commands;
	uint64_t stat_expired;
	uint64_t stat_keyspace_hits, stat_keyspace_misses;
	uint64_t stat_net_in, stat_net_out;
	uint64_t stat_oom;
	uint64_t stat_publishes_at_cmds, stat_publishes_at_time, stat_publishes_idle;
	char executable[4096];
};

extern struct server srv;

/* server.c */
int server_init(struct config *cfg, char *err, size_t errlen);
int server_run(void);
void server_shutdown(void);
int64_t server_now_ms(void);
uint64_t server_now_us(void);

/* commands.c */
const struct command *command_lookup(const char *name, size_t len);
void command_table_init(void);
int command_count(void);
const struct command *command_at(int i);

/* Dispatch one parsed command of c. */
void dispatch(struct client *c);

/* Run c's command (c->cmd, c->argc, c->argv), checked and not queued: a
 * write as a writer command of its own.  dispatch() and EXEC use it. */
void call(struct client *c);

/*
 * Transactions (t_multi.c).  multi_queue: if c is in MULTI and its command
 * is one to queue, queue it, reply +QUEUED and return true.
 * multi_rejected: dispatch() rejected c's command with the error it wrote
 * at c->out.buf + mark (flags an open transaction).  multi_watch_before /
 * after: around every write command (inside its writer command, after
 * begin and before commit), to find the watched keys it touches.
 * multi_client_free: c is going.
 */
bool multi_queue(struct client *c);
void multi_rejected(struct client *c, size_t mark);
void multi_watch_before(struct client *c);
void multi_watch_after(struct client *c);
void multi_client_free(struct client *c);

/* Reply and argument helpers shared by command files (args.c). */

/* malloc, calloc and reallocarray that stop the daemon when its own heap
 * is exhausted (readers keep the last published version). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n, size_t size);

void reply_wrong_args(struct client *c);
void reply_syntax(struct client *c);
void reply_wrongtype(struct client *c);
void reply_not_int(struct client *c);
void reply_ok(struct client *c);

/* Whether argv[i] equals s, case-insensitively. */
bool arg_is(const struct client *c, int i, const char *s);

/* Parse argv[i] as a long long; on failure reply the Redis error (msg, or
 * "value is not an integer or out of range") and return false. */
bool arg_ll(struct client *c, int i, long long *v, const char *msg);

/* argv[i] up to its first NUL, as a C string: in buf if it fits (cap),
 * else on the heap, which the caller frees when the result is not buf.
 * (Redis's sds arguments end at a NUL for every libc parser.) */
char *arg_cstr(const struct client *c, int i, char *buf, size_t cap);

/* argv[from, from + n) as views: in buf if they fit (cap), else on the
 * heap, which the caller frees when the result is not buf. */
shmrep_view *args_views(const struct client *c, int from, int n,
			shmrep_view *buf, size_t cap);

/* A SCAN-family cursor at argv[i]; on failure reply "ERR invalid cursor"
 * and return false. */
bool arg_cursor(struct client *c, int i, uint64_t *cursor);

/* SCAN options from argv[i] on: [MATCH pattern] [COUNT count], and
 * [TYPE type] if type is set (SCAN's own).  pat is NULL for every key
 * (no MATCH, or "*").  On a bad option, reply and return false. */
struct scan_opts {
	long long count;
	const char *pat, *type;
	size_t plen, tlen;
};
bool scan_opts_parse(struct client *c, int i, bool type, struct scan_opts *o);

/* The SCAN reply: the next cursor, then items (an array built with a
 * deferred length), or an empty array if items is NULL. */
void reply_scan(struct client *c, uint64_t cursor,
		const struct resp_out *items);
/* HSCAN and SSCAN past the key lookup (t_hash.c). */
struct shm_leaf;
int chash_scan_reply(struct client *c, const struct shm_leaf *l,
		     uint64_t cursor, bool vals);

/* COMMAND (commands.c). */
int cmd_command(struct client *c);

/* The command tables of the t_*.c files, each ended by a NULL name. */
extern const struct command cmds_server[];
extern const struct command cmds_string[];
extern const struct command cmds_keys[];
extern const struct command cmds_multi[];
extern const struct command cmds_debug[];
extern const struct command cmds_hash[];
extern const struct command cmds_set[];
extern const struct command cmds_list[];
extern const struct command cmds_zset[];

#endif
