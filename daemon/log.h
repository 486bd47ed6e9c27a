/*
 * log.h - shmrepd's log, in redis-server's format:
 *   "PID:M 28 Nov 2026 05:16:53.123 * message"
 * with the level marks '.', '-', '*', '#' for debug, verbose, notice and
 * warning.
 */
#ifndef DAEMON_LOG_H
#define DAEMON_LOG_H

/* Log levels: the same numbers as config.h's LL_*. */
void log_setup(const char *logfile, int level);
int log_level(void);
void srv_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
