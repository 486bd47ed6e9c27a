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

/* Reply helpers shared by command files. */
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

/* COMMAND (commands.c). */
int cmd_command(struct client *c);

/* The command tables of the t_*.c files, each ended by a NULL name. */
extern const struct command cmds_server[];
extern const struct command cmds_string[];
extern const struct command cmds_keys[];

#endif
