/*
 * num.h - conversions between numbers and strings with Redis 7.0's exact
 * rules (util.c: string2ll, string2ld, string2d, ll2string, ld2string,
 * d2string), so that what a command accepts and what it prints match Redis
 * byte for byte.
 *
 * The float functions use the C library (strtod, strtold, snprintf) in the
 * "C" locale, as Redis does: the daemon must not change LC_NUMERIC.  Long
 * double is the x86-64 80-bit type on the platforms Redis is built for;
 * INCRBYFLOAT's results depend on it.
 */
#ifndef SHMREPD_NUM_H
#define SHMREPD_NUM_H

#include <stdbool.h>
#include <stddef.h>

/* Buffer sizes, with the NUL: Redis's LONG_STR_SIZE, MAX_LONG_DOUBLE_CHARS
 * and MAX_D2STRING_CHARS. */
#define NUM_LL_STR_MAX 21
#define NUM_LD_STR_MAX (5 * 1024)
#define NUM_D_STR_MAX 128

/* Redis's replies when an argument does not convert. */
#define NUM_ERR_NOT_INT "ERR value is not an integer or out of range"
#define NUM_ERR_NOT_FLOAT "ERR value is not a valid float"

/*
 * s[0, len) as a long long, Redis's string2ll: only the canonical decimal
 * form is accepted (no spaces, no '+', no leading zeros, not "-0", 1 to 20
 * bytes, in range).  out may be NULL; it is written only on success.
 */
bool num_str2ll(const char *s, size_t len, long long *out);

/*
 * s[0, len) as a long double, Redis's string2ld (INCRBYFLOAT): whatever
 * strtold() takes whole, except an empty string, a leading space, NaN,
 * overflow, underflow to zero, and strings of NUM_LD_STR_MAX bytes or more.
 * "inf" is accepted (the command then refuses the result).  out may be
 * NULL; it is written only on success.
 */
bool num_str2ld(const char *s, size_t len, long double *out);

/*
 * s[0, len) as a double, Redis's string2d / getDoubleFromObject (ZADD
 * scores): the same rules with strtod() and no length limit, so "inf",
 * "+inf", "-inf", "Infinity" and hex floats are accepted and "nan" is not.
 * out may be NULL; it is written only on success.
 */
bool num_str2d(const char *s, size_t len, double *out);

/*
 * The functions below write a NUL-terminated string into buf[0, cap) and
 * return its length without the NUL; if it does not fit they write "" (when
 * cap > 0) and return 0.
 */

/* v in decimal (ll2string); NUM_LL_STR_MAX is always enough. */
int num_ll2str(char *buf, size_t cap, long long v);

/*
 * v as Redis's ld2string: "inf" / "-inf" for infinities; otherwise, when
 * humanfriendly (INCRBYFLOAT, HINCRBYFLOAT: LD_STR_HUMAN), "%.17Lf" with
 * the trailing zeros and a trailing '.' removed and "-0" printed as "0";
 * else "%.17Lg" (LD_STR_AUTO).  As in Redis, human mode needs room for the
 * untrimmed text.  NUM_LD_STR_MAX is always enough.
 */
int num_ld2str(char *buf, size_t cap, long double v, bool humanfriendly);

/*
 * v as Redis's d2string: "nan", "inf", "-inf", "0" or "-0"; an integer of
 * magnitude below 2^52 without a decimal point; else "%.17g".  For every
 * value but NaN this is also what Redis 7.0 replies for a score
 * (addReplyDouble).  NUM_D_STR_MAX is always enough.
 */
int num_d2str(char *buf, size_t cap, double v);

#endif
