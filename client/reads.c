/*
 * reads.c - libshmrep's reads: copying calls and snapshot reads.
 *
 * Each copying call is a read section of its own (section_enter/leave in
 * internal.h) around the same lookup a snapshot read does; the lookup
 * itself (hamt_find) checks every ref against the mapped size, so a bad
 * region yields SHMREP_ECORRUPT and never a fault.
 */
#include <stdint.h>
#include <string.h>

#include "strmatch.h"
#include "hamt.h"
#include "internal.h"
#include "iter.h"

/* memcpy, with values of up to 16 bytes copied inline (no call). */
static inline void small_copy(void *dst, const void *src, size_t n)
{
	uint64_t a, b;

	if (n >= 8 && n <= 16) {
		memcpy(&a, src, 8);
		memcpy(&b, (const uint8_t *)src + n - 8, 8);
		memcpy(dst, &a, 8);
		memcpy((uint8_t *)dst + n - 8, &b, 8);
	} else if (n) {
		memcpy(dst, src, n);
	}
}

static inline __attribute__((always_inline)) int
get_view(struct shmrep_snapshot *s, int db, const void *key, size_t klen,
	 shmrep_view *out)
{
	const struct shm_leaf *l;
	int rc = snap_lookup(s, db, key, klen, &l);

	if (rc)
		return rc;
	if (l->type != SHM_T_STRING)
		return SHMREP_EWRONGTYPE;
	if (shm_unlikely(l->enc != SHM_E_INLINE || !shm_leaf_val_ok(&s->map->view, l)))
		return SHMREP_ECORRUPT;
	out->ptr = shm_leaf_val(l);
	out->len = l->vlen;
	return 0;
}

static int get_ttl(struct shmrep_snapshot *s, int db, const void *key,
		   size_t klen, int64_t *ms)
{
	const struct shm_leaf *l;
	int rc = snap_lookup(s, db, key, klen, &l);

	if (rc)
		return rc;
	*ms = l->expire_ms ? l->expire_ms - snap_now(s) : -1;
	return 0;
}

static int get_type(struct shmrep_snapshot *s, int db, const void *key,
		    size_t klen, int *type)
{
	const struct shm_leaf *l;
	int rc = snap_lookup(s, db, key, klen, &l);

	if (rc)
		return rc;
	if (shm_unlikely(l->type == 0 || l->type > SHM_T_MAX ||
			 l->enc == 0 || l->enc > SHM_E_MAX))
		return SHMREP_ECORRUPT;
	*type = l->type;
	return 0;
}

static int get_dbsize(struct shmrep_snapshot *s, int db, uint64_t *n)
{
	int rc = snap_check_db(s, db);

	if (rc)
		return rc;
	*n = s->rec->db[db].nkeys;
	return 0;
}

static int get_info(struct shmrep_snapshot *s, shmrep_info *out)
{
	const struct shm_hdr *hdr = s->map->hdr;
	const struct shm_snap *r = s->rec;
	int alive;

	memset(out, 0, sizeof(*out));
	out->version = r->version;
	out->incarnation = hdr->incarnation;
	out->created_ms = hdr->created_ms;
	out->publish_us = r->publish_us;
	out->repl_offset = r->repl_offset;
	out->link_since_ms = r->link_since_ms;
	for (unsigned db = 0; db < s->map->view.ndb; db++)
		out->keys += r->db[db].nkeys;
	out->region_size = s->map->view.size;
	out->used_bytes = r->used_bytes;
	out->mode = (int)hdr->mode;
	out->link = (int)r->link_state;
	out->databases = (int)s->map->view.ndb;
	alive = region_locked(s->ts->h->cfd, SHM_WRITER_LOCK);
	out->writer_alive = alive > 0;
	return 0;
}

/* ------------------------------------------------------- copying calls */

/* The general path of shmrep_get: any nesting, remapping, errors. */
static int get_slow(shmrep *h, int db, const void *key, size_t klen,
		    void *buf, size_t cap, size_t *len)
{
	struct shmrep_snapshot s;
	shmrep_view v;
	int rc = section_enter(h, &s);

	if (rc)
		return rc;
	rc = get_view(&s, db, key, klen, &v);
	if (rc == 0) {
		*len = v.len;
		if (v.len > cap)
			rc = SHMREP_ERANGE;
		else
			small_copy(buf, v.ptr, v.len);
	}
	section_leave(&s);
	return rc;
}

/*
 * The common case in straight-line code: a thread already registered, not
 * inside another read section, on a live region.  The same protocol as
 * section_enter()/section_leave() (see internal.h for what each access
 * pairs with), with every field loaded once into a local: this is the
 * call the benchmark's point reads make, and at a million keys its speed
 * is set by how few instructions stand between two lookups' cache misses.
 * Anything unusual goes to get_slow(), which starts over.
 */
SHMREP_EXPORT int shmrep_get(shmrep *h, int db, const void *key, size_t klen,
			     void *buf, size_t cap, size_t *len)
{
	const struct tcache *tc = &shmrep_tcache;
	const struct shm_leaf *l;
	const struct shm_snap *rec;
	const struct shm_hdr *hdr;
	const struct dmap *m;
	struct shm_slot *slot;
	struct tstate *ts;
	uint64_t v, off;
	int rc;

	if (shm_unlikely(tc->hid != h->id ||
			 tc->forkgen != shm_load_relaxed(&shmrep_forkgen)))
		return get_slow(h, db, key, klen, buf, cap, len);
	ts = tc->ts;
	m = ts->map;
	if (shm_unlikely(ts->depth != 0 || (unsigned)db >= m->view.ndb ||
			 klen > SHM_MAX_KEY))
		return get_slow(h, db, key, klen, buf, cap, len);
	hdr = m->hdr;
	slot = ts->slot;
	ts->depth = 1;
	v = shm_load_acquire(&hdr->version);
	if (shm_likely(m->light)) {
		shm_store_relaxed(&slot->ver, v);
		shm_compiler_barrier();
	} else {
		shm_store_sc(&slot->ver, v);
	}
	off = shm_load_sc(&hdr->current);
	rec = shm_snap_at(&m->view, off);
	if (shm_unlikely((m->mutex && shm_load_sc(&hdr->wip)) ||
			 shm_load_acquire(&hdr->state) != SHM_STATE_LIVE ||
			 !rec)) {
		shm_store_release(&slot->ver, 0);
		ts->depth = 0;
		return get_slow(h, db, key, klen, buf, cap, len);
	}
	rc = hamt_find(&m->view, rec->db[db].root,
		       shm_hash(m->view.seed, key, klen), key, (uint32_t)klen,
		       &l);
	if (shm_likely(rc == 0)) {
		if (shm_unlikely(l->expire_ms != 0) &&
		    shm_leaf_expired(l, region_now_ms()))
			rc = SHMREP_ENOENT;
		else if (shm_unlikely(l->type != SHM_T_STRING))
			rc = SHMREP_EWRONGTYPE;
		else if (shm_unlikely(l->enc != SHM_E_INLINE ||
				      !shm_leaf_val_ok(&m->view, l)))
			rc = SHMREP_ECORRUPT;
		else if (shm_unlikely((*len = l->vlen) > cap))
			rc = SHMREP_ERANGE;
		else
			small_copy(buf, shm_leaf_val(l), l->vlen);
	}
	/* Pairs with the writer's slot scan: every read above happens
	 * before the slot reads 0. */
	shm_store_release(&slot->ver, 0);
	ts->depth = 0;
	return rc;
}

SHMREP_EXPORT int shmrep_exists(shmrep *h, int db, const void *key,
				size_t klen)
{
	int type;

	return shmrep_type(h, db, key, klen, &type);
}

SHMREP_EXPORT int shmrep_type(shmrep *h, int db, const void *key, size_t klen,
			      int *type)
{
	struct shmrep_snapshot s;
	int rc = section_enter(h, &s);

	if (rc)
		return rc;
	rc = get_type(&s, db, key, klen, type);
	section_leave(&s);
	return rc;
}

SHMREP_EXPORT int shmrep_ttl(shmrep *h, int db, const void *key, size_t klen,
			     int64_t *ms)
{
	struct shmrep_snapshot s;
	int rc = section_enter(h, &s);

	if (rc)
		return rc;
	rc = get_ttl(&s, db, key, klen, ms);
	section_leave(&s);
	return rc;
}

SHMREP_EXPORT int shmrep_dbsize(shmrep *h, int db, uint64_t *n)
{
	struct shmrep_snapshot s;
	int rc = section_enter(h, &s);

	if (rc)
		return rc;
	rc = get_dbsize(&s, db, n);
	section_leave(&s);
	return rc;
}

SHMREP_EXPORT int shmrep_info_get(shmrep *h, shmrep_info *out)
{
	struct shmrep_snapshot s;
	int rc = section_enter(h, &s);

	if (rc)
		return rc;
	rc = get_info(&s, out);
	section_leave(&s);
	return rc;
}

/* ----------------------------------------------------------- snapshots */

SHMREP_EXPORT int shmrep_snapshot_begin(shmrep *h, shmrep_snapshot **out)
{
	struct shmrep_snapshot tmp;
	struct tstate *ts;
	unsigned i;
	int rc = section_enter(h, &tmp);

	if (rc)
		return rc;
	ts = tmp.ts;
	if (ts->snap_used == (1u << SHMREP_MAX_NEST) - 1) {
		section_leave(&tmp);
		return SHMREP_ENEST;
	}
	/* Snapshots may end in any order: take the first free entry. */
	i = (unsigned)__builtin_ctz(~ts->snap_used);
	ts->snap_used |= 1u << i;
	ts->snaps[i] = tmp;
	*out = &ts->snaps[i];
	return 0;
}

SHMREP_EXPORT void shmrep_snapshot_end(shmrep_snapshot *s)
{
	struct tstate *ts = s->ts;

	ts->snap_used &= ~(1u << (s - ts->snaps));
	section_leave(s);
}

SHMREP_EXPORT int shmrep_snapshot_get(shmrep_snapshot *s, int db,
				      const void *key, size_t klen,
				      shmrep_view *out)
{
	return get_view(s, db, key, klen, out);
}

SHMREP_EXPORT int shmrep_snapshot_type(shmrep_snapshot *s, int db,
				       const void *key, size_t klen, int *type)
{
	return get_type(s, db, key, klen, type);
}

SHMREP_EXPORT int shmrep_snapshot_ttl(shmrep_snapshot *s, int db,
				      const void *key, size_t klen, int64_t *ms)
{
	return get_ttl(s, db, key, klen, ms);
}

SHMREP_EXPORT int shmrep_snapshot_dbsize(shmrep_snapshot *s, int db,
					 uint64_t *n)
{
	return get_dbsize(s, db, n);
}

SHMREP_EXPORT int shmrep_snapshot_info(shmrep_snapshot *s, shmrep_info *out)
{
	return get_info(s, out);
}

struct scan_arg {
	struct shmrep_snapshot *s;
	const char *match;
	size_t mlen;
	shmrep_view *keys;
	size_t cap, n;
	int rc;
};

static int scan_visit(void *arg, const struct shm_leaf *const *ls, unsigned n)
{
	struct scan_arg *a = arg;
	unsigned take = 0;
	int64_t now = 0;

	for (unsigned pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < n; i++) {
			const struct shm_leaf *l = ls[i];

			if (l->expire_ms) {
				now = now ? now : snap_now(a->s);
				if (shm_leaf_expired(l, now))
					continue;
			}
			if (a->match && !glob_match(a->match, a->mlen,
						    (const char *)l->data,
						    l->klen, false))
				continue;
			if (pass == 0) {
				take++;
				continue;
			}
			a->keys[a->n].ptr = l->data;
			a->keys[a->n].len = l->klen;
			a->n++;
		}
		/* A group is taken whole or not at all. */
		if (pass == 0 && a->n + take > a->cap) {
			if (a->n == 0)
				a->rc = SHMREP_ERANGE;
			return HAMT_REFUSE;
		}
	}
	return a->n == a->cap ? HAMT_STOP : HAMT_NEXT;
}

SHMREP_EXPORT int shmrep_snapshot_scan(shmrep_snapshot *s, int db,
				       uint64_t *cursor, const char *match,
				       shmrep_view *keys, size_t cap, size_t *n)
{
	struct scan_arg a = {
		.s = s, .match = match, .mlen = match ? strlen(match) : 0,
		.keys = keys, .cap = cap,
	};
	int rc = snap_check_db(s, db);

	*n = 0;
	if (rc)
		return rc;
	if (cap == 0)
		return SHMREP_EINVAL;
	/* Bound the work of one call, as Redis's COUNT does: a pattern that
	 * matches nothing must not walk the whole database at once. */
	rc = hamt_scan(&s->map->view, s->rec->db[db].root, cursor,
		       cap > SIZE_MAX / 16 ? 0 : (cap * 16 < 1024 ? 1024 : cap * 16),
		       scan_visit, &a);
	*n = a.n;
	return rc ? rc : a.rc;
}

SHMREP_EXPORT int shmrep_iter_next(shmrep_iter *it, shmrep_entry *out)
{
	return iter_next(it, out);
}
