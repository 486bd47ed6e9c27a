/*
 * strmatch.h - Redis-compatible glob matching, for KEYS, SCAN MATCH and the
 * client's snapshot scans.
 */
#ifndef SHM_STRMATCH_H
#define SHM_STRMATCH_H

#include <stdbool.h>
#include <stddef.h>

/* True if str (slen bytes) matches pat (plen bytes) as Redis matches. */
bool glob_match(const char *pat, size_t plen, const char *str, size_t slen,
		bool nocase);

#endif
