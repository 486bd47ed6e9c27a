/*
 * tu_daemon.h - running shmrepd, redis-server and command-line tools from
 * tests, and talking RESP to them.  Every wait has a deadline; every file a
 * daemon creates (socket, log, region) is removed at exit.
 */
#ifndef TU_DAEMON_H
#define TU_DAEMON_H

#include <stddef.h>
#include <sys/types.h>

struct tu_daemon {
	pid_t pid;
	char name[80]; /* instance name */
	char sock[108]; /* unix socket path */
	char log[128]; /* its log file */
};

/*
 * Start $SHMREPD (or build/daemon path) for a fresh instance "t-TAG-...",
 * with a socket and log under /tmp, a 64 MiB region unless extra says
 * otherwise, and extra "--directive value" arguments (NULL-terminated, may
 * be NULL).  Waits (5 s at most) until the socket answers PING.  0 or -1.
 */
int tu_daemon_start(struct tu_daemon *d, const char *tag,
		    const char *const *extra);

/* Start again under the same name and socket (a restart).  0 or -1. */
int tu_daemon_restart(struct tu_daemon *d, const char *const *extra);

/* SIGTERM and wait (5 s); returns the exit status as tu_wait does. */
int tu_daemon_stop(struct tu_daemon *d);

/* SIGKILL and reap. */
void tu_daemon_kill(struct tu_daemon *d);

/* Start redis-server on a private unix socket; 0 or -1.  d->name unused. */
int tu_redis_start(struct tu_daemon *d, const char *tag);

/* Connect to a unix socket: fd or -1.  Receives time out after 10 s. */
int tu_connect(const char *sock);

/*
 * Send one command (argv, with explicit lengths if lens != NULL) and read
 * one complete reply into buf as raw RESP bytes, NUL-terminated.  Returns
 * the reply length, or -1 on error or timeout.
 */
long tu_command(int fd, int argc, const char *const *argv, const size_t *lens,
		char *buf, size_t cap);

/* Same, with a printf-free convenience: tu_cmd(fd, buf, cap, "SET", "k", "v", NULL). */
long tu_cmd(int fd, char *buf, size_t cap, ...);

/* Read one complete RESP reply (for pipelined sends); as tu_command. */
long tu_read_reply(int fd, char *buf, size_t cap);

/*
 * Run argv (argv[0] is looked up in PATH), capturing stdout into out
 * (NUL-terminated, truncated to cap).  Returns the exit status, or -1 on
 * timeout (the child is killed).
 */
int tu_run(const char *const *argv, char *out, size_t cap, int timeout_ms);

/* Path of a built program: $SHMREPD / $SHMREP_CLI, set by CTest. */
const char *tu_shmrepd(void);
const char *tu_cli(void);

#endif
