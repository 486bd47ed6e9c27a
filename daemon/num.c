/*
 * num.c - Redis 7.0's number conversions (util.c), rewritten to the same
 * rules so that replies and errors match Redis byte for byte.
 *
 * Integers are parsed and printed by hand: Redis accepts only the canonical
 * decimal form of a long long, which no libc function checks.  Floats go
 * through strtod/strtold and snprintf, as in Redis, because their rounding
 * is the behaviour to match (INCRBYFLOAT prints "%.17Lf" of an 80-bit long
 * double; a score prints "%.17g").  Those functions need a NUL-terminated
 * string, so the input is copied first; a NUL inside the input therefore
 * ends the number early, and the string is rejected as not fully used,
 * exactly as with Redis's NUL-terminated sds strings.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"

/* isspace() in the "C" locale, without depending on the current one. */
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	       c == '\r';
}

bool num_str2ll(const char *s, size_t len, long long *out)
{
	unsigned long long v = 0, lim = LLONG_MAX;
	size_t i = 0;
	bool neg = false;

	if (len == 0 || len >= NUM_LL_STR_MAX)
		return false;
	if (len == 1 && s[0] == '0') {
		if (out)
			*out = 0;
		return true;
	}
	if (s[0] == '-') {
		neg = true;
		lim = (unsigned long long)LLONG_MAX + 1;
		i = 1;
	}
	/* The first digit is 1-9: no leading zeros, no "-0". */
	if (i == len || s[i] < '1' || s[i] > '9')
		return false;
	for (; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (unsigned)(s[i] - '0');
		if (v > (lim - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (out) {
		if (!neg)
			*out = (long long)v;
		else if (v == (unsigned long long)LLONG_MAX + 1)
			*out = LLONG_MIN;
		else
			*out = -(long long)v;
	}
	return true;
}

bool num_str2ld(const char *s, size_t len, long double *out)
{
	char buf[NUM_LD_STR_MAX], *end;
	long double v;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtold(buf, &end);
	if (is_space(buf[0]) || (size_t)(end - buf) != len)
		return false;
	if (errno == ERANGE && (isinf(v) || fpclassify(v) == FP_ZERO))
		return false;
	if (errno == EINVAL || isnan(v))
		return false;
	if (out)
		*out = v;
	return true;
}

bool num_str2d(const char *s, size_t len, double *out)
{
	char stackbuf[128], *buf = stackbuf, *end;
	bool ok;
	double v;

	if (len == 0 || is_space(s[0]))
		return false;
	if (len >= sizeof(stackbuf)) {
		buf = malloc(len + 1);
		if (!buf) {
			fprintf(stderr,
				"shmrepd: out of memory allocating %zu bytes\n",
				len + 1);
			abort();
		}
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtod(buf, &end);
	ok = (size_t)(end - buf) == len && !isnan(v) &&
	     !(errno == ERANGE && (isinf(v) || fpclassify(v) == FP_ZERO));
	if (buf != stackbuf)
		free(buf);
	if (ok && out)
		*out = v;
	return ok;
}

/* The result did not fit in buf: leave it empty. */
static int no_room(char *buf, size_t cap)
{
	if (cap)
		buf[0] = '\0';
	return 0;
}

/* Copy the n bytes of s and a NUL into buf if they fit. */
static int put(char *buf, size_t cap, const char *s, size_t n)
{
	if (n + 1 > cap)
		return no_room(buf, cap);
	memcpy(buf, s, n);
	buf[n] = '\0';
	return (int)n;
}

/* Infinities are spelled out: libc spellings differ between systems. */
static int put_inf(char *buf, size_t cap, bool positive)
{
	return positive ? put(buf, cap, "inf", 3) : put(buf, cap, "-inf", 4);
}

int num_ll2str(char *buf, size_t cap, long long v)
{
	char tmp[NUM_LL_STR_MAX];
	char *p = tmp + sizeof(tmp);
	unsigned long long u;

	/* Negate in unsigned arithmetic: -LLONG_MIN does not fit. */
	u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	return put(buf, cap, p, (size_t)(tmp + sizeof(tmp) - p));
}

int num_ld2str(char *buf, size_t cap, long double v, bool humanfriendly)
{
	int n;

	if (isinf(v))
		return put_inf(buf, cap, v > 0);
	if (!humanfriendly) {
		n = snprintf(buf, cap, "%.17Lg", v);
		return n >= 0 && (size_t)n < cap ? n : no_room(buf, cap);
	}
	/* 17 digits after the point, then the zeros that rounding left at
	 * the end are dropped, so 0.1 + 0.2 prints as "0.3". */
	n = snprintf(buf, cap, "%.17Lf", v);
	if (n < 0 || (size_t)n >= cap)
		return no_room(buf, cap);
	if (memchr(buf, '.', (size_t)n)) {
		while (buf[n - 1] == '0')
			n--;
		if (buf[n - 1] == '.')
			n--;
	}
	if (n == 2 && buf[0] == '-' && buf[1] == '0') {
		buf[0] = '0';
		n = 1;
	}
	buf[n] = '\0';
	return n;
}

int num_d2str(char *buf, size_t cap, double v)
{
	int n;

	if (isnan(v))
		return put(buf, cap, "nan", 3);
	if (isinf(v))
		return put_inf(buf, cap, v > 0);
	if (v == 0)
		return signbit(v) ? put(buf, cap, "-0", 2)
				  : put(buf, cap, "0", 1);
	/* Redis's bounds, not symmetric: -(2^52 - 1) < v < 2^52. */
	if (v > -4503599627370495.0 && v < 4503599627370496.0 &&
	    v == (double)(long long)v)
		return num_ll2str(buf, cap, (long long)v);
	n = snprintf(buf, cap, "%.17g", v);
	return n >= 0 && (size_t)n < cap ? n : no_room(buf, cap);
}
