/*
 * strmatch.c - Redis's glob-style patterns (KEYS, SCAN MATCH), byte for byte.
 *
 * Same language as Redis's stringmatchlen(): '*', '?', '[...]' with '^'
 * negation, 'a-z' ranges (reversed ends swapped, bytes compared as signed
 * char as Redis does) and '\' escapes; an unterminated '[' runs to the end
 * of the pattern.  Every element other than '*' matches exactly one byte,
 * so a single backtrack point (the last '*') is enough and matching takes
 * O(pattern * string) time at worst, where Redis's recursion can take
 * exponential time on patterns like "a*a*a*a*b".
 */
#include "strmatch.h"

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/*
 * Match the element at p (not '*') against byte c.  *used = bytes of
 * pattern it spans.
 */
static bool elem(const char *p, size_t plen, char c, bool nocase,
		 size_t *used)
{
	size_t i = 0;
	bool neg, match = false;

	if (p[0] == '?') {
		*used = 1;
		return true;
	}
	if (p[0] == '\\' && plen >= 2) {
		*used = 2;
		return nocase ? lower(p[1]) == lower(c) : p[1] == c;
	}
	if (p[0] != '[') {
		*used = 1;
		return nocase ? lower(p[0]) == lower(c) : p[0] == c;
	}
	i = 1;
	neg = i < plen && p[i] == '^';
	if (neg)
		i++;
	for (; i < plen && p[i] != ']'; i++) {
		if (p[i] == '\\' && plen - i >= 2) {
			i++;
			if (p[i] == c)
				match = true;
		} else if (plen - i >= 3 && p[i + 1] == '-') {
			int start = (signed char)p[i], end = (signed char)p[i + 2];
			int x = (signed char)c;

			if (start > end) {
				int t = start;

				start = end;
				end = t;
			}
			if (nocase) {
				start = lower(start);
				end = lower(end);
				x = lower(x);
			}
			i += 2;
			if (x >= start && x <= end)
				match = true;
		} else if (nocase ? lower(p[i]) == lower(c) : p[i] == c) {
			match = true;
		}
	}
	*used = i < plen ? i + 1 : plen; /* past ']', or the whole rest */
	return neg ? !match : match;
}

bool glob_match(const char *pat, size_t plen, const char *str, size_t slen,
		bool nocase)
{
	size_t pi = 0, si = 0, star_p = 0, star_s = 0;
	unsigned stars = 0;
	bool star = false;

	/* Redis's matching loop never starts on an empty string: it matches
	 * the empty pattern only ("**" included). */
	if (slen == 0)
		return plen == 0;
	while (si < slen) {
		size_t used;

		if (pi < plen && pat[pi] == '*') {
			while (pi < plen && pat[pi] == '*')
				pi++;
			if (pi == plen)
				return true;
			/* Redis gives up past 1000 nested '*' runs; a match
			 * must pass every run but the last, in order. */
			if (++stars > 1000)
				return false;
			star = true;
			star_p = pi;
			star_s = si;
			continue;
		}
		if (pi < plen && elem(pat + pi, plen - pi, str[si], nocase, &used)) {
			pi += used;
			si++;
			continue;
		}
		if (!star)
			return false;
		pi = star_p;
		si = ++star_s;
	}
	while (pi < plen && pat[pi] == '*')
		pi++;
	return pi == plen;
}
