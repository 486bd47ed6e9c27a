/*
 * hash.h - the keyed hash that places keys in the HAMT.
 *
 * XXH3-64 with a per-region seed drawn from arc4random_buf and stored in the
 * region header, so every reader hashes exactly as the writer did.  Inlined
 * (XXH_INLINE_ALL): for 16-byte keys it costs a few nanoseconds, where SipHash
 * would cost as much as the rest of a lookup.  A HAMT bounds the damage of
 * chosen collisions anyway: prefix collisions only deepen a path to at most
 * SHM_HAMT_MAXDEPTH levels, and only full 64-bit collisions share a
 * collision node.
 */
#ifndef SHM_HASH_H
#define SHM_HASH_H

#include <stddef.h>
#include <stdint.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "atomic.h"

#ifdef SHM_TEST_HASH
/*
 * Test builds only (the shmcore_testhash library): a key that starts with
 * "#H" and 16 hex digits hashes to that number, so tests can build any
 * pattern of partial and full 64-bit collisions.
 */
static inline int shm_test_hash(const unsigned char *k, size_t len,
				uint64_t *h)
{
	uint64_t x = 0;

	if (len < 18 || k[0] != '#' || k[1] != 'H')
		return 0;
	for (size_t i = 2; i < 18; i++) {
		unsigned c = k[i];

		c = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
		if (c > 15)
			return 0;
		x = x << 4 | c;
	}
	*h = x;
	return 1;
}
#endif

/*
 * XXH3_64bits_withSeed(key, len, seed).  Keys of up to 16 bytes take the
 * same short path XXH3 itself takes, inlined here (the library entry point
 * is too big for the compiler to inline into a lookup).
 */
static inline __attribute__((always_inline)) uint64_t
shm_hash(uint64_t seed, const void *key, size_t len)
{
#ifdef SHM_TEST_HASH
	uint64_t h;

	if (shm_test_hash(key, len, &h))
		return h;
#endif
	if (shm_likely(len <= 16))
		return XXH3_len_0to16_64b((const xxh_u8 *)key, len, XXH3_kSecret,
					  seed);
	return XXH3_64bits_withSeed(key, len, seed);
}

/* The 6-bit slice of h that selects the child at depth (0..10). */
static inline unsigned shm_chunk(uint64_t h, unsigned depth)
{
	if (depth < 10)
		return (unsigned)(h >> (58 - 6 * depth)) & 63u;
	return (unsigned)(h & 15u) << 2;
}

#endif
