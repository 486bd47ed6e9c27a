/*
 * internal.h - libshmrep's private structures and its read-section protocol.
 *
 * A handle maps the ctl region read-write (to write its threads' slots)
 * and the data region read-only.  Each thread that reads through a handle
 * has a struct tstate: its slot, the data map it reads through, and room
 * for its nested snapshots.  The fast path finds the tstate through a
 * one-entry thread-local cache keyed by handle id and fork generation, so a
 * read costs no lock, no allocation and no system call.
 */
#ifndef CLIENT_INTERNAL_H
#define CLIENT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "atomic.h"
#include "layout.h"
#include "read.h"
#include "region.h"
#include "shmrep.h"

/* One mapping of a data region; shared by the threads that read it. */
struct dmap {
	long refs; /* under the handle's mutex */
	struct shm_view view;
	const struct shm_hdr *hdr;
	bool light; /* skip the reader fence: the writer uses membarrier */
	bool mutex; /* the region is in mutex mode: mind hdr->wip */
};

struct tstate;

struct shmrep_snapshot {
	struct tstate *ts;
	struct dmap *map;
	const struct shm_snap *rec;
	int64_t now_ms; /* 0 until the first TTL check */
};

struct tstate {
	struct shmrep *h;
	struct tstate *next; /* in h->threads */
	struct dmap *map;
	struct shm_slot *slot;
	uint32_t slot_idx;
	unsigned depth; /* read sections open, nested */
	unsigned snap_used; /* bit i: snaps[i] is an open snapshot */
	uint64_t forkgen;
	struct shmrep_snapshot snaps[SHMREP_MAX_NEST];
};

struct shmrep {
	uint64_t id; /* unique per handle in this process, never reused */
	char name[SHM_NAME_BUF];
	unsigned flags;
	pthread_mutex_t mu; /* slow paths: slots, thread list, remap, fork */
	pthread_key_t key; /* this thread's tstate */
	struct dmap *map; /* newest data map */
	uid_t owner; /* the ctl and data files' owner */
	/* ctl region */
	int cfd; /* our open file description: slot locks hang on it */
	struct shm_ctl *ctl;
	struct shm_slot *slots;
	uint32_t nslots;
	uint64_t csize;
	dev_t cdev;
	ino_t cino;
	uint8_t *owned; /* owned[i]: slot i is held by a thread of ours */
	uint64_t forkgen; /* g_forkgen when cfd was opened */
	struct tstate *threads;
	struct shmrep *next_handle; /* in the process-wide list, for fork */
};

extern uint64_t shmrep_forkgen;

struct tcache {
	uint64_t hid;
	uint64_t forkgen;
	struct tstate *ts;
};
/* initial-exec: a plain %fs-relative access on the fast path, not a call to
 * __tls_get_addr; costs a few bytes of static TLS in every process. */
extern __thread struct tcache shmrep_tcache
	__attribute__((tls_model("initial-exec")));

/* Slow path of ts_get: registers the thread (claims a slot). */
struct tstate *shmrep_ts_slow(struct shmrep *h, int *err);

/* Move ts to the region that superseded its map.  0 or an error. */
int shmrep_remap(struct shmrep *h, struct tstate *ts);

/* Mutex mode: wait (not announced) until no write section runs.  0, or
 * SHMREP_EUNUSABLE if the writer died inside one, or SHMREP_ETIMEDOUT. */
int shmrep_wait_writer(struct shmrep *h, const struct dmap *m);

static inline __attribute__((always_inline)) struct tstate *
ts_get(struct shmrep *h, int *err)
{
	struct tcache *c = &shmrep_tcache;

	if (shm_likely(c->hid == h->id &&
		       c->forkgen == shm_load_relaxed(&shmrep_forkgen)))
		return c->ts;
	return shmrep_ts_slow(h, err);
}

/*
 * Open a read section, or a nested one, and fill s.  The announcement:
 *
 *   v = version (acquire)   pairs with the writer's store of version, so
 *                           current, loaded next, is at least v's record
 *   slot = v                seq_cst, or relaxed + membarrier on the
 *                           writer side: pairs with the writer's slot scan
 *   off = current (acquire) pairs with the writer's release of current
 *
 * Either the writer's scan sees v, and keeps everything a version >= v can
 * reach, or this thread loads a current published after the scan's
 * version store, whose blocks the scan does not free.
 */
static inline __attribute__((always_inline)) int
section_enter(struct shmrep *h, struct shmrep_snapshot *s)
{
	int err = 0;
	struct tstate *ts = ts_get(h, &err);
	const struct shm_hdr *hdr;
	struct shm_slot *slot;
	struct dmap *m;
	uint64_t v, off;
	unsigned depth;

	/* Every field is set on every path: callers only use s on success,
	 * but the compiler cannot tell. */
	s->ts = ts;
	s->map = NULL;
	s->rec = NULL;
	s->now_ms = 0;
	if (shm_unlikely(!ts))
		return err;
	depth = ts->depth;
	/* Room for SHMREP_MAX_NEST snapshots and one copying call. */
	if (shm_unlikely(depth > SHMREP_MAX_NEST))
		return SHMREP_ENEST;
	m = ts->map;
	hdr = m->hdr;
	if (depth == 0) {
		slot = ts->slot;
		for (;;) {
			v = shm_load_acquire(&hdr->version);
			if (m->light) {
				shm_store_relaxed(&slot->ver, v);
				shm_compiler_barrier();
			} else {
				shm_store_sc(&slot->ver, v);
			}
			off = shm_load_sc(&hdr->current);
			/* Mutex mode: seq_cst, the other half of the writer's
			 * "set wip, then look at slots" (writer.c). */
			if (shm_unlikely(m->mutex && shm_load_sc(&hdr->wip))) {
				shm_store_release(&slot->ver, 0);
				err = shmrep_wait_writer(h, m);
				if (err)
					return err;
				continue;
			}
			if (shm_likely(shm_load_acquire(&hdr->state) ==
				       SHM_STATE_LIVE))
				break;
			shm_store_release(&slot->ver, 0);
			err = shmrep_remap(h, ts);
			if (err)
				return err;
			m = ts->map;
			hdr = m->hdr;
		}
	} else {
		/* Nested: the outer section's announcement (a lower bound)
		 * covers any newer version; stay on its map even if that was
		 * superseded meanwhile (its writer is gone: nothing changes). */
		off = shm_load_sc(&hdr->current);
	}
	s->map = m;
	s->rec = shm_snap_at(&m->view, off);
	if (shm_unlikely(!s->rec)) {
		if (depth == 0)
			shm_store_release(&ts->slot->ver, 0);
		return SHMREP_ECORRUPT;
	}
	ts->depth = depth + 1;
	return 0;
}

/* The snapshot's "now", read once, on its first TTL check. */
static inline int64_t snap_now(struct shmrep_snapshot *s)
{
	if (!s->now_ms)
		s->now_ms = region_now_ms();
	return s->now_ms;
}

static inline int snap_check_db(const struct shmrep_snapshot *s, int db)
{
	return db < 0 || (unsigned)db >= s->map->view.ndb ? SHMREP_EINVAL : 0;
}

/*
 * The live (unexpired) leaf of key in db: 0 and *out, SHMREP_ENOENT
 * (missing or expired), SHMREP_EINVAL (db) or SHMREP_ECORRUPT.  The walk
 * (hamt_find) checks every ref against the mapped size, and the leaf's
 * header and key bytes; its value is for the caller to check.
 */
static inline __attribute__((always_inline)) int
snap_lookup(struct shmrep_snapshot *s, int db, const void *key, size_t klen,
	    const struct shm_leaf **out)
{
	const struct shm_view *v = &s->map->view;
	int rc = snap_check_db(s, db);

	if (rc)
		return rc;
	if (klen > SHM_MAX_KEY)
		return SHMREP_ENOENT;
	rc = hamt_find(v, s->rec->db[db].root, shm_hash(v->seed, key, klen),
		       key, (uint32_t)klen, out);
	if (rc)
		return rc;
	if ((*out)->expire_ms && shm_leaf_expired(*out, snap_now(s)))
		return SHMREP_ENOENT;
	return 0;
}

/* Same, for a key that must hold type: or SHMREP_EWRONGTYPE. */
static inline int snap_lookup_type(struct shmrep_snapshot *s, int db,
				   const void *key, size_t klen, uint8_t type,
				   const struct shm_leaf **out)
{
	int rc = snap_lookup(s, db, key, klen, out);

	if (!rc && (*out)->type != type)
		rc = SHMREP_EWRONGTYPE;
	return rc;
}

/* Close a read section.  The release store pairs with the writer's slot
 * scan: every read of the region above happens before the slot reads 0. */
static inline __attribute__((always_inline)) void
section_leave(struct shmrep_snapshot *s)
{
	struct tstate *ts = s->ts;

	if (--ts->depth == 0)
		shm_store_release(&ts->slot->ver, 0);
}

#endif
