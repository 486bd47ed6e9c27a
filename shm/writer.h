/*
 * writer.h - the one writer of a region: batches, commands, publication and
 * reclamation.  Used by shmrepd (and by tests and benchmarks that play the
 * daemon's part); never by libshmrep.
 *
 * Model
 *   The writer builds the next version ("the open batch", version
 *   open_ver) on top of the published one.  Work is grouped in commands:
 *   shm_wr_begin() ... shm_wr_commit() or shm_wr_abort().  A command is all
 *   or nothing: every in-place change it makes is recorded in an undo log
 *   first, every block it allocates is remembered, and every block it
 *   unlinks is only released at commit, so abort (after an allocation
 *   failure, say) restores the open batch exactly.  shm_wr_publish() makes
 *   the open batch visible to readers in one store; commands must not be
 *   open when it runs.
 *
 * Blocks
 *   A block whose birth (at SHM_BIRTH_OFF) equals open_ver was allocated in
 *   the open batch: no reader can reach it yet, so it is changed in place.
 *   Any other block may be visible and is never written: it is copied, and
 *   the old copy is retired with tag open_ver, to be freed once every reader
 *   slot pins a version >= that tag (or none).
 */
#ifndef SHM_WRITER_H
#define SHM_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "journal.h"
#include "layout.h"
#include "read.h"
#include "region.h"

/* The daemon's reclaim_defer_us (below): a slot scan at most once a
 * millisecond unless much was retired; its cron catches up. */
#define SHM_RECLAIM_DEFER_US 1000

struct shm_writer_config {
	const char *name; /* instance name */
	uint64_t size; /* data region bytes */
	uint32_t ndb; /* databases */
	uint32_t nslots; /* reader slots (used when the ctl file is created) */
	int mode; /* SHM_MODE_RCU */
	unsigned perm; /* data file mode; the ctl file adds write bits */
	bool membarrier; /* let readers skip their fence when possible */
	uint64_t stall_warn_ms; /* report readers holding memory this long */
	/* Copy the keys of the region being replaced (standalone restart). */
	bool keep_data;
	/* Mutex mode: how long a write section waits for readers to leave
	 * before giving up (shm_wr_begin returns -EBUSY). */
	uint64_t drain_timeout_ms;
	/* 0: scan reader slots after every publication (tests rely on it).
	 * Otherwise a publication scans only when enough has been retired
	 * since the last scan or this long has passed (writer.c,
	 * reclaim_due); the daemon sets it. */
	uint64_t reclaim_defer_us;
};

/*
 * A dropped or retired block: one block (BLOCK, size bytes), a leaf with
 * whatever value structure it owns (LEAF), a whole HAMT subtree (TREE,
 * size = depth of its node), or a whole B+tree subtree (BTREE, size = 1 if
 * it owns its element leaves, else 0; see btree.h).
 */
struct shm_dead {
	shm_ref ref;
	uint32_t kind; /* SHM_DEAD_* */
	uint64_t size;
	uint64_t tag; /* retired: first version that cannot reach it */
	uint64_t cum; /* retired: bytes retired up to and including this */
};
enum {
	SHM_DEAD_BLOCK = 0,
	SHM_DEAD_LEAF = 1,
	SHM_DEAD_TREE = 2,
	SHM_DEAD_BTREE = 3,
};

struct shm_vec {
	void *v;
	size_t n, cap, elem;
};

/* A block of shm_wr_cell()s: never moves, so cells keep their addresses. */
#define SHM_CELLS_PER_BLOCK 32
struct shm_cells {
	struct shm_cells *next;
	struct shm_vcoll c[SHM_CELLS_PER_BLOCK];
};

/* A reader holding memory: what shm_wr_laggards() reports. */
struct shm_laggard {
	uint32_t slot;
	uint32_t pid;
	uint64_t version; /* pinned */
	uint64_t age_ms; /* since that version was superseded */
	uint64_t bytes_held; /* retired bytes it keeps from being freed */
};

struct shm_wstats {
	uint64_t publishes;
	uint64_t commands;
	uint64_t aborts;
	uint64_t reclaim_scans;
	uint64_t freed_blocks;
	uint64_t freed_bytes;
	uint64_t dead_readers; /* slots freed after their owner died */
	uint64_t copied_keys; /* taken over from the previous region */
	uint64_t sections; /* mutex mode: write sections run */
	uint64_t busy_sections; /* ... and given up on a reader */
	uint64_t recovered_records; /* journal records rolled back at start */
};

struct shm_writer {
	char name[SHM_NAME_BUF];
	/* data region, mapped read-write */
	int dfd;
	uint8_t *base;
	uint64_t size;
	struct shm_hdr *hdr;
	struct shm_view view;
	struct shm_alloc alloc;
	/* ctl region */
	int cfd;
	struct shm_ctl *ctl;
	struct shm_slot *slots;
	uint32_t nslots;
	uint64_t csize;
	/* batch */
	uint64_t pub_ver;
	uint64_t open_ver;
	uint64_t cur_off; /* published record */
	shm_ref spare; /* record for the next publication */
	bool dirty;
	uint32_t ndb;
	struct shm_dbroot *db; /* working roots and counts */
	/* replication state carried into each record */
	uint64_t repl_offset;
	uint64_t link_since_ms;
	uint32_t link_state;
	/* command */
	bool in_cmd;
	struct shm_vec undo_recs, undo_bytes, cmd_allocs, cmd_drops;
	struct shm_cells *cells, *cell_blk; /* shm_wr_cell(); blocks kept */
	unsigned cell_n; /* cells used in cell_blk */
	/* retired, in tag order; [retire_head, n) live */
	struct shm_vec retired;
	size_t retire_head;
	uint64_t retired_cum; /* bytes ever retired */
	uint64_t freed_cum; /* of which freed */
	/* mode */
	bool mutex; /* SHM_MODE_MUTEX: in-place writes in write sections */
	bool in_section; /* mutex mode: readers are out, wip is set */
	uint64_t drain_timeout_ms;
	struct shm_journal journal; /* mutex mode: undo records of the section */
	uint64_t cmd_jmark; /* journal length when the command began */
	struct shm_laggard blocker; /* the reader a failed section waited for */
	/* reclamation */
	bool membarrier;
	uint64_t stall_warn_ms;
	uint64_t *probe_ms; /* per slot: last liveness probe */
	uint64_t *seen_ver; /* per slot: version seen pinned, and since when */
	uint64_t *seen_ms;
	uint64_t min_pinned; /* from the last scan, UINT64_MAX if none */
	uint64_t reclaim_defer_us;
	uint64_t scan_us; /* when the last scan ran */
	uint64_t scan_cum; /* retired_cum then */
	size_t scan_n; /* retired.n then */
	struct shm_wstats st;
};

/* Open (create or take over) the instance: see writer.c.  On failure
 * returns a negative code and a message in err.  Do not fork() while a
 * writer is open unless the child execs or closes it: the election lock
 * hangs on a descriptor the child would inherit, and would outlive the
 * writer. */
int shm_writer_open(const struct shm_writer_config *cfg,
		    struct shm_writer **out, char *err, size_t errlen);

/* Publish what is pending and detach, leaving the region readable. */
void shm_writer_close(struct shm_writer *w);

/* Commands.  begin returns -ENOMEM when the region is too full to publish
 * another version, or in mutex mode -EBUSY when a reader stayed in its
 * read section longer than drain_timeout_ms (w->blocker says which); the
 * command must then not run. */
int shm_wr_begin(struct shm_writer *w);
void shm_wr_commit(struct shm_writer *w);
void shm_wr_abort(struct shm_writer *w);

/* Publish the open batch if anything changed; then reclaim (at once, or
 * later with reclaim_defer_us).  Returns 1 if a version was published, 0
 * if there was nothing to publish. */
int shm_wr_publish(struct shm_writer *w);

/* Scan reader slots and free what no reader can see any more. */
void shm_wr_reclaim(struct shm_writer *w);

/* Readers holding superseded versions longer than min_age_ms, up to cap. */
size_t shm_wr_laggards(struct shm_writer *w, uint64_t min_age_ms,
		       struct shm_laggard *out, size_t cap);

/* Replication state recorded in the next published versions. */
void shm_wr_set_link(struct shm_writer *w, uint32_t state,
		     uint64_t since_ms, uint64_t offset);

/* --- primitives for the structures built on the writer (hamt.c, keys.c) */

static inline void *shm_wr_ptr(struct shm_writer *w, shm_ref r)
{
	return w->base + ((uint64_t)r << SHM_UNIT_SHIFT);
}

/* Whether block r was allocated in the open batch: no reader can reach it
 * yet, and if it is dropped again before publication it is freed at once. */
static inline bool shm_wr_new(struct shm_writer *w, shm_ref r)
{
	uint64_t b;

	memcpy(&b, (uint8_t *)shm_wr_ptr(w, r) + SHM_BIRTH_OFF, sizeof(b));
	return b == w->open_ver;
}

/*
 * Whether block r may be changed in place: it is new (rcu mode), or the
 * region is in mutex mode, where readers are kept out while the writer
 * changes anything and every in-place change is journaled first.
 */
static inline bool shm_wr_born(struct shm_writer *w, shm_ref r)
{
	return w->mutex || shm_wr_new(w, r);
}

/* Allocate a block in the open command; stamps its birth at SHM_BIRTH_OFF
 * if stamp is set.  0 when the region is full (after trying to reclaim). */
shm_ref shm_wr_alloc(struct shm_writer *w, uint64_t size, bool stamp);

/*
 * A writer-private copy of *init, for the working descriptor of a large
 * collection a command changes.  hamt.c and btree.c store a new root
 * through the pointer they are given and log the old one; an abort writes
 * it back later, after the caller's frames are gone, so that pointer must
 * not be on the stack, and a leaf's descriptor (after the key, at any
 * alignment) cannot be changed in place either.  A cell lives until the
 * command commits or aborts; it is not in the region, so it is never
 * journaled.  Never fails (out of process memory stops the daemon, as for
 * the undo log).
 */
struct shm_vcoll *shm_wr_cell(struct shm_writer *w,
			      const struct shm_vcoll *init);

/* Record p[0..len) so that abort can restore it; call before writing. */
void shm_wr_undo(struct shm_writer *w, void *p, size_t len);

/* r (size bytes) is no longer reachable from the open batch once the
 * command commits: free it then if born in the batch, else retire it. */
void shm_wr_drop(struct shm_writer *w, shm_ref r, uint64_t size);

/* Same for leaf r and the value it owns (keys.c decides what that is). */
void shm_wr_drop_leaf(struct shm_writer *w, shm_ref r);

/* Same for the whole HAMT subtree rooted at node r at depth. */
void shm_wr_drop_tree(struct shm_writer *w, shm_ref r, unsigned depth);

/* Same for the whole B+tree under r (with its elements if free_elems). */
void shm_wr_drop_btree(struct shm_writer *w, shm_ref r, bool free_elems);

/* At commit time: retire r (kind SHM_DEAD_*) with tag open_ver. */
void shm_wr_retire(struct shm_writer *w, shm_ref r, uint32_t kind,
		   uint64_t size);

/* Defined by keys.c.  free_leaf: free leaf r and everything it owns, now
 * (nothing can see any of it).  release_leaf: at commit, free what of it
 * was born in the open batch and retire the rest. */
void shm_wr_free_leaf(struct shm_writer *w, shm_ref r);
void shm_wr_release_leaf(struct shm_writer *w, shm_ref r);

/* Set *p = v, logged for abort. */
static inline void shm_wr_set32(struct shm_writer *w, uint32_t *p, uint32_t v)
{
	shm_wr_undo(w, p, sizeof(*p));
	*p = v;
}

static inline void shm_wr_set64(struct shm_writer *w, uint64_t *p, uint64_t v)
{
	shm_wr_undo(w, p, sizeof(*p));
	*p = v;
}

#endif
