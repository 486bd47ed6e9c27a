/*
 * resp.h - RESP2 request parsing and reply building, as Redis 7.0 does them.
 *
 * Requests: resp_parse() turns the bytes a client sent into one command at a
 * time, multibulk ("*N\r\n$len\r\n...") or inline ("SET k \"v\"\n"), with
 * Redis's limits and Redis's exact protocol error texts.  It works on the
 * caller's own input buffer and keeps its place between calls, so a command
 * that arrives in many reads is scanned once, not once per read.
 *
 * Replies: a growable buffer and one function per RESP2 reply type, plus
 * deferred array lengths for replies whose count is known only at the end.
 *
 * Memory: both sides abort the process with a message when malloc fails, as
 * Redis does; no function here returns an allocation error.
 */
#ifndef SHMREPD_RESP_H
#define SHMREPD_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Redis's defaults: proto-max-bulk-len, PROTO_INLINE_MAX_SIZE. */
#define RESP_DEFAULT_MAX_BULK (512ull * 1024 * 1024)
#define RESP_DEFAULT_MAX_INLINE (64 * 1024)

/* Longest error text resp_parse() writes, with its NUL. */
#define RESP_ERR_MAX 64

enum { RESP_OK = 0, RESP_AGAIN = 1, RESP_ERR = -1 };

/* One argument of a command: bytes inside the caller's buffer, not
 * NUL-terminated, possibly containing NUL bytes. */
struct resp_arg {
	const char *p;
	size_t len;
};

struct resp_parser {
	/*
	 * Limits, set by the caller (resp_parser_init sets Redis's defaults).
	 * max_bulk: longest bulk argument ("invalid bulk length" above it).
	 * max_inline: longest inline line, and longest "*N" or "$N" line,
	 * that may wait for its line end.
	 * authenticated: false applies Redis's limits for clients that have
	 * not authenticated yet (at most 10 arguments of at most 16384
	 * bytes); set it to true when no password is required.
	 */
	uint64_t max_bulk;
	size_t max_inline;
	bool authenticated;

	/* The command found by the last resp_parse() that returned RESP_OK. */
	int argc;
	struct resp_arg *argv;

	/* Bytes examined by line searches since init: a statistic, and the
	 * tests' proof that nothing is scanned twice. */
	uint64_t scanned;

	/*
	 * Private state.  Offsets count from the start of the command being
	 * parsed, so the caller may move its buffer between calls.
	 */
	int state;
	int err;	   /* which error, once failed */
	char err_ch;	   /* the byte found where '$' was expected */
	bool stalled;	   /* a NUL byte hides the rest of the line */
	size_t cur;	   /* start of the current line or bulk payload */
	size_t scan;	   /* [cur, scan) holds no line end */
	size_t seen;	   /* bytes available at the last call */
	long long left;	   /* multibulk elements still to read */
	long long bulklen; /* length of the bulk being read */
	size_t *off;	   /* offset of each argument read so far */
	int nargs;	   /* arguments read so far */
	int cap;	   /* room in off[] and argv[] */
};

/* Set the defaults: authenticated, 512 MiB bulks, 64 KiB inline lines. */
void resp_parser_init(struct resp_parser *p);

/* Release the parser's memory; argv is invalid afterwards. */
void resp_parser_free(struct resp_parser *p);

/*
 * Parse at most one command from buf[*pos, len).
 *
 * RESP_OK: p->argc and p->argv hold the command and *pos has moved past it.
 * The arguments point into buf and stay valid until buf is changed, moved
 * or freed, or resp_parse() is called again.  An empty command ("*0\r\n",
 * "*-1\r\n", an empty or blank inline line) is RESP_OK with argc == 0: the
 * caller skips it, as Redis does.  Inline arguments are unescaped in place,
 * so buf[*pos, new *pos) is rewritten.
 *
 * RESP_AGAIN: the command is not complete; *pos is unchanged.  Call again
 * with the same bytes plus more at the end.  Between calls the caller may
 * realloc buf, and may drop the bytes before *pos (moving the rest to the
 * front and lowering *pos to match): the parser keeps offsets from *pos,
 * and does not scan the bytes it already scanned.
 *
 * RESP_ERR: a protocol error.  errbuf (errlen bytes, RESP_ERR_MAX is
 * enough; may be NULL if errlen is 0) holds Redis's exact text without the
 * leading '-', e.g. "ERR Protocol error: invalid multibulk length".  The
 * caller replies it with resp_add_error() and closes the connection once
 * the reply is sent; every later call returns the same error.
 *
 * Like Redis (which searches its NUL-terminated buffer with strchr), a NUL
 * byte inside a "*N", "$N" or inline line hides the line end: the command
 * waits until the line is over max_inline bytes, then fails as too big.
 */
int resp_parse(struct resp_parser *p, char *buf, size_t len, size_t *pos,
	       char *errbuf, size_t errlen);

/* How many more bytes the current command needs, when that is known (inside
 * a bulk argument), else 0.  A hint for sizing the next read. */
size_t resp_parse_want(const struct resp_parser *p);

/*
 * A reply buffer: the bytes to send are buf[0, len).  Start from a
 * zero-initialized struct; resp_out_free() releases it.  The caller may
 * remove sent bytes from the front (or set len to 0), but not while a
 * deferred length is pending.
 */
struct resp_out {
	char *buf;
	size_t len, cap;

	/* Private: offsets of deferred lengths (SIZE_MAX once set). */
	size_t *dfr;
	size_t ndfr, dfrcap, npending;
};

void resp_out_free(struct resp_out *o);

/* Append n bytes as they are. */
void resp_add_raw(struct resp_out *o, const void *p, size_t n);

/* "+s\r\n"; s must not contain CR or LF. */
void resp_add_simple(struct resp_out *o, const char *s);

/*
 * "-s\r\n", where s starts with its error code ("ERR syntax error").  As
 * Redis's addReplyErrorFormat() does, CR and LF are trimmed from both ends
 * of s and replaced by spaces inside it, so that no text can break the
 * protocol.
 */
void resp_add_error(struct resp_out *o, const char *s);

/* resp_add_error() of a printf-style text. */
void resp_add_errorf(struct resp_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ":v\r\n" */
void resp_add_int(struct resp_out *o, long long v);

/* "$n\r\n" followed by the n bytes and "\r\n". */
void resp_add_bulk(struct resp_out *o, const void *p, size_t n);
void resp_add_bulk_str(struct resp_out *o, const char *s);

/* v in decimal, as a bulk string. */
void resp_add_bulk_ll(struct resp_out *o, long long v);

/* "$-1\r\n" */
void resp_add_null(struct resp_out *o);

/* "*n\r\n": n elements follow. */
void resp_add_array(struct resp_out *o, long long n);

/* "*-1\r\n" */
void resp_add_null_array(struct resp_out *o);

/*
 * An array header whose length is set later: reserve its place and return a
 * handle for resp_set_deferred_len().  Every deferred length must be set,
 * once, before the buffer is sent; they may be set in any order.
 */
size_t resp_add_deferred_len(struct resp_out *o);
void resp_set_deferred_len(struct resp_out *o, size_t handle, long long n);

#endif
