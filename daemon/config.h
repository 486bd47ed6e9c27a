/*
 * config.h - shmrepd's configuration: the defaults, Redis-style config text
 * (files, "include", command-line options), reload on SIGHUP, and a dump.
 *
 * The syntax and the error reports are Redis 7.0's, so that a redis.conf
 * fragment for the directives shmrepd shares with Redis works unchanged and
 * an operator sees the messages they know:
 *
 *   - one directive a line, names case-insensitive, '#' starts a comment
 *     line, arguments split like redis-cli splits them (double quotes with
 *     \n \r \t \b \a \xHH escapes, single quotes with \');
 *   - memory sizes in Redis units: 1k = 1000, 1kb = 1024, m/mb, g/gb;
 *   - "include path" (relative to the working directory; wildcards allowed,
 *     a pattern that matches nothing is skipped);
 *   - the last occurrence of a directive wins; command-line options are
 *     applied after the file.
 *
 * Memory: the functions abort the process when malloc fails, like the rest
 * of the daemon (see shm/writer.c) and like Redis's zmalloc.
 */
#ifndef SHMREPD_CONFIG_H
#define SHMREPD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { LL_DEBUG = 0, LL_VERBOSE, LL_NOTICE, LL_WARNING, LL_NOTHING };
enum { CFG_MODE_RCU = 1, CFG_MODE_MUTEX = 2 };

#define CONFIG_NAME_MAX 64 /* bytes in an instance name */
#define CONFIG_BIND_MAX 16 /* addresses in "bind", as Redis */
#define CONFIG_SIZE_MIN (256ull << 10) /* "size" bounds, before rounding */
#define CONFIG_SIZE_MAX (64ull << 30)
#define CONFIG_SIZE_ALIGN 4096ull /* "size" is rounded up to this */
#define CONFIG_MIN_HZ 1 /* "hz" is clamped to these, as Redis */
#define CONFIG_MAX_HZ 500

/*
 * Every field is set by config_init() and owned by the struct: strings and
 * the bind array are malloc'd and freed by config_free().  A NULL string
 * means "not set" (pidfile, requirepass, masterauth, masteruser,
 * replicaof_host, configfile); logfile and unixsocket are never NULL.
 */
struct config {
	/* shmrep's own */
	char name[CONFIG_NAME_MAX + 1]; /* [A-Za-z0-9._-]{1,64}, not .* */
	uint64_t size; /* data region bytes, a multiple of 4096 */
	int mode; /* CFG_MODE_RCU or CFG_MODE_MUTEX */
	unsigned readers; /* reader slots, 1..65536 */
	unsigned shmperm; /* file mode of the region files */
	bool membarrier;
	uint64_t reader_stall_warn_ms; /* "reader-stall-warn" */
	/* "mutex-drain-timeout": mode mutex, how long a write waits for
	 * readers to leave before it fails with -BUSY; default 1000 ms */
	uint64_t mutex_drain_timeout_ms;
	unsigned batch_max_commands;
	unsigned batch_max_usec;
	/* Redis's names and meanings */
	char *unixsocket; /* default "/tmp/shmrep.<name>.sock" */
	unsigned unixsocketperm; /* 0: leave it to the umask */
	int port; /* 0: no TCP listener */
	char **bind; /* a leading '-' marks an address as optional */
	int nbind;
	int tcp_backlog;
	char *logfile; /* "": standard output */
	int loglevel; /* LL_* */
	char *pidfile;
	bool daemonize;
	char *requirepass;
	unsigned databases;
	unsigned maxclients;
	int timeout; /* client idle timeout, seconds; 0: never */
	int hz;
	uint64_t proto_max_bulk_len;
	uint64_t client_query_buffer_limit;
	char *replicaof_host; /* NULL: "replicaof no one" */
	int replicaof_port;
	char *masterauth;
	char *masteruser;
	char *configfile; /* absolute path of the file loaded, or NULL */

	/* Private to config.c: what config_reload() needs to redo a load. */
	char *reload_options; /* the command-line options, as config text */
	bool reload_stdin; /* part of the configuration came from stdin */
	bool unixsocket_auto; /* unixsocket is the default derived from name */
};

/* Set every field to its default.  c is overwritten, not freed. */
void config_init(struct config *c);

/* Free what c owns and zero it; config_init() makes it usable again. */
void config_free(struct config *c);

/*
 * Apply config text (a file's contents, or command-line options turned into
 * lines) on top of the current values of c.  Returns 0, or -1 with the
 * reason in err (errlen bytes, truncated to fit; err may be NULL).  For a
 * bad line the reason is Redis's report with our name and version:
 *
 *   "\n*** FATAL CONFIG FILE ERROR (shmrep 0.1.0) ***\n"
 *   "Reading the configuration file, at line N\n"
 *   ">>> 'the line, trimmed'\n"
 *   "reason\n"
 *
 * (line numbers count from 1 in the text, or in the included file the error
 * is in).  Checks made after the last line (the log file can be opened)
 * report without the two line lines, and a file that cannot be read
 * ("include") reports "Fatal error, can't open config file 'path': why".
 * On error c holds part of the text's settings: free it, do not use it.
 */
int config_load_string(struct config *c, const char *text, char *err,
		       size_t errlen);

/*
 * Load the file filename (NULL: none; "-": standard input; wildcards as for
 * "include"), then the text options (NULL: none) after a newline, as Redis
 * does; so an error in the first line of options is "at line 2" when there
 * is no file.  Sets c->configfile to the file's absolute path (NULL when
 * there is no file) and keeps options for config_reload().  Returns and
 * reports as config_load_string().
 */
int config_load(struct config *c, const char *filename, const char *options,
		char *err, size_t errlen);

/*
 * Configure c (initialized by config_init()) from main()'s arguments, as
 * redis-server does: "shmrepd [configfile] [--directive arg ...] [-]".
 *
 *   - argv[1] "-v"/"--version" or "-h"/"--help": print the version or the
 *     usage on standard output and return 1 (the caller exits with 0);
 *   - argv[1] not starting with '-' is the config file;
 *   - "-" as the first or the last argument: read config text from standard
 *     input, after the file;
 *   - "--name" starts a new directive line "name"; the arguments after it
 *     are quoted and appended, so "--port 7000 --bind a b" becomes
 *     "port \"7000\" \nbind \"a\" \"b\" ".  An argument starting with "--"
 *     right after a lone "--name" is that directive's value (Redis 7.0.1+:
 *     "--requirepass --secret" sets the password "--secret").
 *
 * The options are kept in c for config_reload().  Returns 0, 1, or -1 with
 * err as config_load().
 */
int config_from_argv(struct config *c, int argc, char **argv, char *err,
		     size_t errlen);

/*
 * SIGHUP: load live->configfile and then the command-line options kept by
 * config_load()/config_from_argv() into a fresh struct.  The settings that
 * can change at runtime (loglevel, logfile, requirepass, timeout,
 * maxclients, reader-stall-warn, batch-max-commands, batch-max-usec, hz) are
 * copied into live; the others, where they differ, are named in ignored
 * ("size,mode": directive names, comma-separated, in config_dump() order;
 * "" if none; truncated to ignlen) and left alone, because they need a
 * restart.  Returns 0, or -1 with err (live unchanged) when the file does
 * not load, when there is no file, or when part of the configuration was
 * read from standard input (it cannot be read again).  Pointers into live's
 * runtime strings (logfile, requirepass) are invalid after a successful
 * call.
 */
int config_reload(struct config *live, char *ignored, size_t ignlen,
		  char *err, size_t errlen);

/*
 * The whole configuration, one "directive value" line per directive, quoted
 * where needed, in a form config_load_string() reads back to the same
 * values.  Contains the passwords (requirepass, masterauth): redact before
 * showing it to a client.  The caller frees the string.
 */
char *config_dump(const struct config *c);

#endif
