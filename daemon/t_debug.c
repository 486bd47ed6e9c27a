/*
 * t_debug.c - DEBUG: DIGEST, DIGEST-VALUE, SLEEP and HELP.
 *
 * DEBUG DIGEST is Redis's fingerprint of a whole dataset, DIGEST-VALUE of
 * single values; computed exactly as Redis 7.0 computes them (src/debug.c,
 * computeDatasetDigest() and xorObjectDigest()), so that a dataset copied
 * into shmrepd can be checked against the redis-server it came from with
 * one command on each.  The scheme, on 20-byte SHA1 digests:
 *
 *   xor(d, s)  d ^= SHA1(s)                   order does not matter
 *   mix(d, s)  d = SHA1(d ^ SHA1(s))          order matters
 *
 *   value      mix(type as a big-endian u32, Redis's numbering: string 0,
 *              list 1, set 2, zset 3, hash 4), then
 *                string  mix(bytes)
 *                list    mix(element) for each, in order
 *                set     xor(member) for each
 *                zset    xor(e) for each, e = mix(mix(0, member),
 *                        score as printf "%.17g")
 *                hash    xor(e) for each, e = mix(mix(0, field), value)
 *              then xor("!!expire!!") if the key has a TTL (its value
 *              does not count)
 *   dataset    for each non-empty db in order: mix(db as a big-endian
 *              u32); then xor(k) for each key, k = value digest started
 *              from mix(0, key) instead of 0.
 *
 * Every order that matters is an order shmrep keeps (lists), and every
 * other combination is by xor, so the digest does not depend on encodings
 * (packed or not) or on the trie's hash order: it is a function of the
 * data alone, like Redis's.  As in Redis, DIGEST counts keys that have
 * expired but are still present, and DIGEST-VALUE reads keys without
 * expiring them.  Values are walked through shm/iter.h, the same walks
 * libshmrep's iterators use, so this file needs nothing from the type
 * modules.
 *
 * SHA1 is libmd's (<sha1.h>, the BSD SHA1Init/Update/Final), a dependency
 * we already had through libbsd: a known-good implementation rather than
 * one more of our own to test.
 *
 * Redis 7.0 refuses DEBUG unless enable-debug-command allows it; shmrepd
 * has no such switch and runs it for every authenticated client: the
 * digests read the dataset, and SLEEP blocks no more than a slow command.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sha1.h>

#include "hamt.h"
#include "iter.h"
#include "keys.h"
#include "log.h"
#include "server.h"
#include "writer.h"

#define DIGEST_LEN SHA1_DIGEST_LENGTH
_Static_assert(DIGEST_LEN == 20, "SHA1 digests are 20 bytes");

static void xor_digest(uint8_t *d, const void *p, size_t len)
{
	uint8_t h[DIGEST_LEN];
	SHA1_CTX ctx;

	SHA1Init(&ctx);
	SHA1Update(&ctx, p, len);
	SHA1Final(h, &ctx);
	for (int i = 0; i < DIGEST_LEN; i++)
		d[i] ^= h[i];
}

static void mix_digest(uint8_t *d, const void *p, size_t len)
{
	SHA1_CTX ctx;

	xor_digest(d, p, len);
	SHA1Init(&ctx);
	SHA1Update(&ctx, d, DIGEST_LEN);
	SHA1Final(d, &ctx);
}

/* Redis's type numbers: OBJ_STRING 0 ... OBJ_HASH 4. */
static uint32_t redis_type(uint8_t type)
{
	switch (type) {
	case SHM_T_STRING:
		return 0;
	case SHM_T_LIST:
		return 1;
	case SHM_T_SET:
		return 2;
	case SHM_T_ZSET:
		return 3;
	default:
		return 4;
	}
}

/* Start a walk over every element of collection l (checked). */
static int walk_init(shmrep_iter *it, const struct shm_view *v,
		     const struct shm_leaf *l, int what)
{
	struct shm_vcoll d;

	if (!shm_leaf_val_ok(v, l))
		return SHMREP_ECORRUPT;
	if (l->enc == SHM_E_PACK)
		return iter_init_pack(it, what, shm_leaf_val(l), l->vlen, 0,
				      UINT64_MAX, false);
	if (!shm_leaf_desc(l, &d))
		return SHMREP_ECORRUPT;
	if (l->enc == SHM_E_HAMT && (what == IW_HASH || what == IW_SET)) {
		iter_init_hamt(it, what, v, d.root);
		return 0;
	}
	if (l->enc == SHM_E_ZTREE && what == IW_ZSET)
		return iter_init_btree(it, what, v, d.order, 0, UINT64_MAX,
				       false);
	if (l->enc == SHM_E_LTREE && what == IW_LIST)
		return iter_init_btree(it, what, v, d.root, 0, UINT64_MAX,
				       false);
	return SHMREP_ECORRUPT;
}

/* Mix the value of leaf l into d: Redis's xorObjectDigest(). */
static int value_digest(const struct shm_view *v, const struct shm_leaf *l,
			uint8_t *d)
{
	static const int what[] = {
		[SHM_T_LIST] = IW_LIST, [SHM_T_SET] = IW_SET,
		[SHM_T_ZSET] = IW_ZSET, [SHM_T_HASH] = IW_HASH,
	};
	uint32_t aux = htonl(redis_type(l->type));
	shmrep_iter it;
	shmrep_entry e;
	int rc;

	mix_digest(d, &aux, sizeof(aux));
	if (l->type == SHM_T_STRING) {
		if (l->enc != SHM_E_INLINE || !shm_leaf_val_ok(v, l))
			return SHMREP_ECORRUPT;
		mix_digest(d, shm_leaf_val(l), l->vlen);
	} else if (l->type >= SHM_T_LIST && l->type <= SHM_T_HASH) {
		rc = walk_init(&it, v, l, what[l->type]);
		if (rc)
			return rc;
		while ((rc = iter_next(&it, &e)) == 1) {
			uint8_t ed[DIGEST_LEN] = { 0 };
			char buf[128];

			switch (l->type) {
			case SHM_T_LIST:
				mix_digest(d, e.key.ptr, e.key.len);
				break;
			case SHM_T_SET:
				xor_digest(d, e.key.ptr, e.key.len);
				break;
			case SHM_T_ZSET:
				mix_digest(ed, e.key.ptr, e.key.len);
				snprintf(buf, sizeof(buf), "%.17g", e.score);
				mix_digest(ed, buf, strlen(buf));
				xor_digest(d, ed, sizeof(ed));
				break;
			default:
				mix_digest(ed, e.key.ptr, e.key.len);
				mix_digest(ed, e.value.ptr, e.value.len);
				xor_digest(d, ed, sizeof(ed));
				break;
			}
		}
		if (rc < 0)
			return rc;
	} else {
		return SHMREP_ECORRUPT;
	}
	if (l->expire_ms)
		xor_digest(d, "!!expire!!", 10);
	return 0;
}

static void add_hex(struct client *c, const uint8_t *d)
{
	char hex[2 * DIGEST_LEN + 1];

	for (int i = 0; i < DIGEST_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	resp_add_simple(&c->out, hex);
}

struct db_walk {
	const struct shm_view *v;
	uint8_t *final;
	int rc;
};

static int digest_keys(void *arg, const struct shm_leaf *const *ls,
		       unsigned n)
{
	struct db_walk *k = arg;

	for (unsigned i = 0; i < n; i++) {
		uint8_t d[DIGEST_LEN] = { 0 };

		mix_digest(d, ls[i]->data, ls[i]->klen);
		k->rc = value_digest(k->v, ls[i], d);
		if (k->rc)
			return HAMT_STOP;
		xor_digest(k->final, d, sizeof(d));
	}
	return HAMT_NEXT;
}

/* A value does not decode: the writer's own region, so a bug; said so. */
static void reply_corrupt(struct client *c, int rc)
{
	srv_log(LL_WARNING, "DEBUG %.*s: a value does not decode (%d)",
		(int)(c->argv[1].len > 32 ? 32 : c->argv[1].len), c->argv[1].p,
		rc);
	resp_add_error(&c->out, "ERR the dataset does not decode");
}

/* DEBUG DIGEST: Redis's computeDatasetDigest(). */
static void debug_digest(struct client *c)
{
	struct shm_writer *w = srv.w;
	uint8_t final[DIGEST_LEN] = { 0 };
	struct db_walk k = { .v = &w->view, .final = final };

	for (unsigned db = 0; db < w->ndb; db++) {
		uint32_t aux = htonl(db);
		uint64_t cursor = 0;
		int rc;

		if (!w->db[db].nkeys)
			continue;
		mix_digest(final, &aux, sizeof(aux));
		rc = hamt_scan(&w->view, w->db[db].root, &cursor, 0,
			       digest_keys, &k);
		if (rc || k.rc) {
			reply_corrupt(c, rc ? rc : k.rc);
			return;
		}
	}
	add_hex(c, final);
}

/* DEBUG DIGEST-VALUE key...: keys as they are, expired or not. */
static void debug_digest_value(struct client *c)
{
	size_t mark = c->out.len;

	resp_add_array(&c->out, c->argc - 2);
	for (int i = 2; i < c->argc; i++) {
		uint8_t d[DIGEST_LEN] = { 0 };
		const struct shm_leaf *l;
		int rc;

		if (c->argv[i].len <= SHM_MAX_KEY &&
		    keys_find(srv.w, c->db, c->argv[i].p,
			      (uint32_t)c->argv[i].len, &l) == 0) {
			rc = value_digest(&srv.w->view, l, d);
			if (rc) {
				c->out.len = mark;
				reply_corrupt(c, rc);
				return;
			}
		}
		add_hex(c, d);
	}
}

/* DEBUG SLEEP seconds: Redis reads the argument with strtod() and no
 * check, so anything that is not a number sleeps 0 seconds. */
static void debug_sleep(struct client *c)
{
	char buf[64];
	double secs;
	long long us;

	snprintf(buf, sizeof(buf), "%.*s",
		 (int)(c->argv[2].len < 63 ? c->argv[2].len : 63),
		 c->argv[2].p);
	secs = strtod(buf, NULL);
	us = secs > 0 && secs < 1e6 ? (long long)(secs * 1000000) : 0;
	if (us) {
		struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

		nanosleep(&ts, NULL);
	}
	reply_ok(c);
}

static void debug_help(struct client *c)
{
	static const char *const lines[] = {
		"DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"DIGEST",
		"    Output a hex signature representing the current DB content.",
		"DIGEST-VALUE <key> [<key> ...]",
		"    Output a hex signature of the values of all the specified keys.",
		"SLEEP <seconds>",
		"    Stop the server for <seconds>. Decimals allowed.",
		"HELP",
		"    Print this help.",
	};
	size_t n = sizeof(lines) / sizeof(lines[0]);

	resp_add_array(&c->out, (long long)n);
	for (size_t i = 0; i < n; i++)
		resp_add_simple(&c->out, lines[i]);
}

/* Redis's addReplySubcommandSyntaxError(): the subcommand as a C string
 * (up to a NUL), at most 128 bytes, line breaks made spaces. */
static void reply_subcommand_error(struct client *c)
{
	char sub[129];
	size_t n = strnlen(c->argv[1].p, c->argv[1].len);

	if (n > 128)
		n = 128;
	memcpy(sub, c->argv[1].p, n);
	sub[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (sub[i] == '\r' || sub[i] == '\n')
			sub[i] = ' ';
	resp_add_errorf(&c->out,
			"ERR unknown subcommand or wrong number of arguments for '%s'. Try DEBUG HELP.",
			sub);
}

static int cmd_debug(struct client *c)
{
	if (arg_is(c, 1, "digest") && c->argc == 2)
		debug_digest(c);
	else if (arg_is(c, 1, "digest-value"))
		debug_digest_value(c);
	else if (arg_is(c, 1, "sleep") && c->argc == 3)
		debug_sleep(c);
	else if (arg_is(c, 1, "help") && c->argc == 2)
		debug_help(c);
	else
		reply_subcommand_error(c);
	return 0;
}

const struct command cmds_debug[] = {
	{ "debug", cmd_debug, -2,
	  CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
	  "admin noscript loading stale", "@admin @slow @dangerous" },
	{ NULL },
};
