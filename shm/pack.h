/*
 * pack.h - the packed encoding of small collections (layout.h, SHM_E_PACK):
 * a u32 count, then strings, each a u32 length and its bytes.
 *
 * Reading is bounds-checked against the value's length, so a packed value
 * from a corrupt region ends in SHMREP_ECORRUPT, never past its leaf.
 * Writing goes into a leaf the writer has just allocated at the exact size
 * pack_size() computed.
 */
#ifndef SHM_PACK_H
#define SHM_PACK_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "layout.h"
#include "shmrep.h"

struct pack_rd {
	const uint8_t *p, *end;
};

/* Start reading the packed value val[0..vlen): its entry count in *count.
 * 0, or SHMREP_ECORRUPT if vlen cannot even hold the count. */
static inline int pack_open(struct pack_rd *r, const void *val, uint64_t vlen,
			    uint32_t *count)
{
	if (vlen < 4)
		return SHMREP_ECORRUPT;
	memcpy(count, val, 4);
	r->p = (const uint8_t *)val + 4;
	r->end = (const uint8_t *)val + vlen;
	return 0;
}

/* The next string: 0 with *s and *len, or SHMREP_ECORRUPT if it overruns. */
static inline int pack_str(struct pack_rd *r, const uint8_t **s,
			   uint32_t *len)
{
	uint32_t n;

	if (r->end - r->p < 4)
		return SHMREP_ECORRUPT;
	memcpy(&n, r->p, 4);
	if ((uint64_t)(r->end - r->p - 4) < n)
		return SHMREP_ECORRUPT;
	*s = r->p + 4;
	*len = n;
	r->p += 4 + (uint64_t)n;
	return 0;
}

/* The next 8 bytes as a double (a packed sorted set's score). */
static inline int pack_score(struct pack_rd *r, double *score)
{
	if (r->end - r->p < 8)
		return SHMREP_ECORRUPT;
	memcpy(score, r->p, 8);
	r->p += 8;
	return 0;
}

/* Bytes a string of len takes in a packed value. */
static inline uint64_t pack_size(uint64_t len)
{
	return 4 + len;
}

/* Append a string at *w (in a leaf being built); advances *w. */
static inline void pack_put(uint8_t **w, const void *s, uint32_t len)
{
	memcpy(*w, &len, 4);
	if (len)
		memcpy(*w + 4, s, len);
	*w += 4 + (uint64_t)len;
}

static inline void pack_put_score(uint8_t **w, double score)
{
	memcpy(*w, &score, 8);
	*w += 8;
}

static inline void pack_put_count(uint8_t **w, uint32_t count)
{
	memcpy(*w, &count, 4);
	*w += 4;
}

#endif
