/*
 * writer.c - the daemon's side of a region: creation, command atomicity,
 * publication and cross-process grace periods.
 *
 * Publication.  A version is a snapshot record (layout.h) plus everything
 * reachable from its roots.  The writer completes the record, then stores
 * its offset into hdr->current and its number into hdr->version.  Readers
 * load version, announce it in their slot, and then load current
 * (client/shmrep.c), so a reader that sees version V sees a record of
 * version >= V: its announcement is a lower bound of what it reads, which
 * is the safe direction.
 *
 * Grace periods.  Blocks the open batch stopped using are retired with tag
 * T = the version being built: readers of versions >= T cannot reach them.
 * After publishing, the writer scans the reader slots and frees retired
 * blocks whose tag is <= the smallest version any slot announces.  The
 * reader's "store slot, then load current" and the writer's "store
 * current, then load slots" form a store-buffering pattern: with a full
 * barrier on both sides (seq_cst accesses, or the reader's compiler barrier
 * plus the writer's membarrier(2)), either the scan sees the reader's
 * announcement or the reader sees the new current, so a block is never
 * freed under a reader.
 *
 * Dead readers.  A slot is owned through an OFD lock on one byte of the ctl
 * file.  When a slot holds back reclamation, the writer tries to take that
 * lock: if it can, the owner is dead (the kernel dropped its lock), so the
 * writer clears the slot while holding the lock (no reader can claim it
 * meanwhile) and releases it.  No pid is trusted, so pid reuse is harmless.
 *
 * Taking over.  A starting writer never edits a region another process may
 * have left half-written: it builds a new region under a temporary name,
 * copies the old region's last published version into it, publishes,
 * renames it over the old name, and only then marks the old region
 * SUPERSEDED, which readers notice on their next read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/membarrier.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <urcu/futex.h>
#include <bsd/string.h>

#include "btree.h"
#include "hamt.h"
#include "keys.h"
#include "region.h"
#include "writer.h"

#define PROBE_INTERVAL_MS 100

/* --------------------------------------------------------------- helpers */

static void *xrealloc(void *p, size_t n, size_t size)
{
	void *q = reallocarray(p, n ? n : 1, size);

	if (!q) {
		/* The daemon's own heap is exhausted: like Redis, stop rather
		 * than run on without an undo log.  Readers keep the last
		 * published version. */
		fprintf(stderr, "shmrep: out of process memory\n");
		abort();
	}
	return q;
}

static void vec_init(struct shm_vec *v, size_t elem)
{
	memset(v, 0, sizeof(*v));
	v->elem = elem;
}

static void *vec_grow(struct shm_vec *v, size_t k)
{
	void *p;

	if (v->n + k > v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;

		while (cap < v->n + k)
			cap *= 2;
		v->v = xrealloc(v->v, cap, v->elem);
		v->cap = cap;
	}
	p = (uint8_t *)v->v + v->n * v->elem;
	v->n += k;
	return p;
}

static void *vec_at(const struct shm_vec *v, size_t i)
{
	return (uint8_t *)v->v + i * v->elem;
}

static void vec_free(struct shm_vec *v)
{
	free(v->v);
	memset(v, 0, sizeof(*v));
}

static int failf(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static shm_ref off_to_ref(uint64_t off)
{
	return (shm_ref)(off >> SHM_UNIT_SHIFT);
}

/* ---------------------------------------------------------------- command */

struct undo_rec {
	void *p;
	size_t len;
	size_t off; /* into undo_bytes */
};

struct blk {
	shm_ref ref;
	uint64_t size;
};

void shm_wr_undo(struct shm_writer *w, void *p, size_t len)
{
	struct undo_rec *u;

	if (!w->in_cmd)
		return;
	/* Mutex mode changes published bytes: journal them for a writer
	 * that takes over after we die (journal.h).  Writer-private memory
	 * (the working roots) needs no journal. */
	if (w->in_section && (uint8_t *)p >= w->base &&
	    (uint8_t *)p < w->base + w->size)
		journal_add(&w->journal, (uint64_t)((uint8_t *)p - w->base), p,
			    (uint32_t)len);
	u = vec_grow(&w->undo_recs, 1);
	u->p = p;
	u->len = len;
	u->off = w->undo_bytes.n;
	memcpy(vec_grow(&w->undo_bytes, len), p, len);
}

struct shm_vcoll *shm_wr_cell(struct shm_writer *w,
			      const struct shm_vcoll *init)
{
	struct shm_cells **next = w->cell_blk ? &w->cell_blk->next : &w->cells;
	struct shm_vcoll *c;

	if (!w->cell_blk || w->cell_n == SHM_CELLS_PER_BLOCK) {
		if (!*next) {
			*next = xrealloc(NULL, 1, sizeof(**next));
			(*next)->next = NULL;
		}
		w->cell_blk = *next;
		w->cell_n = 0;
	}
	c = &w->cell_blk->c[w->cell_n++];
	*c = *init;
	return c;
}

shm_ref shm_wr_alloc(struct shm_writer *w, uint64_t size, bool stamp)
{
	shm_ref r = alloc_block(&w->alloc, size);

	if (!r) {
		/* Retired memory may be free by now: look, then try again. */
		shm_wr_reclaim(w);
		r = alloc_block(&w->alloc, size);
		if (!r)
			return 0;
	}
	if (stamp)
		memcpy((uint8_t *)shm_wr_ptr(w, r) + SHM_BIRTH_OFF, &w->open_ver,
		       sizeof(w->open_ver));
	if (w->in_cmd) {
		struct blk *b = vec_grow(&w->cmd_allocs, 1);

		b->ref = r;
		b->size = size;
	}
	return r;
}

void shm_wr_retire(struct shm_writer *w, shm_ref r, uint32_t kind,
		   uint64_t size)
{
	struct shm_dead *d = vec_grow(&w->retired, 1);

	d->ref = r;
	d->kind = kind;
	d->size = size;
	d->tag = w->open_ver;
	/* Whole trees count 0 (their size is unknown without a walk). */
	if (kind != SHM_DEAD_TREE && kind != SHM_DEAD_BTREE)
		w->retired_cum += alloc_rounded(size);
	d->cum = w->retired_cum;
}

/* What happens to a dropped block when its command commits. */
static void release(struct shm_writer *w, const struct shm_dead *d)
{
	switch (d->kind) {
	case SHM_DEAD_BLOCK:
		if (shm_wr_new(w, d->ref))
			alloc_free(&w->alloc, d->ref, d->size);
		else
			shm_wr_retire(w, d->ref, SHM_DEAD_BLOCK, d->size);
		break;
	case SHM_DEAD_LEAF:
		shm_wr_release_leaf(w, d->ref);
		break;
	case SHM_DEAD_TREE:
		hamt_drop_tree(w, d->ref, (unsigned)d->size);
		break;
	case SHM_DEAD_BTREE:
		btree_drop_tree(w, d->ref, d->size != 0);
		break;
	}
}

static void drop(struct shm_writer *w, shm_ref r, uint32_t kind, uint64_t size)
{
	struct shm_dead d = { .ref = r, .kind = kind, .size = size };

	w->dirty = true;
	if (!w->in_cmd) {
		release(w, &d);
		return;
	}
	*(struct shm_dead *)vec_grow(&w->cmd_drops, 1) = d;
}

void shm_wr_drop(struct shm_writer *w, shm_ref r, uint64_t size)
{
	drop(w, r, SHM_DEAD_BLOCK, size);
}

void shm_wr_drop_leaf(struct shm_writer *w, shm_ref r)
{
	drop(w, r, SHM_DEAD_LEAF, 0);
}

void shm_wr_drop_tree(struct shm_writer *w, shm_ref r, unsigned depth)
{
	drop(w, r, SHM_DEAD_TREE, depth);
}

void shm_wr_drop_btree(struct shm_writer *w, shm_ref r, bool free_elems)
{
	drop(w, r, SHM_DEAD_BTREE, free_elems);
}

static int membarrier_global(void);
static bool probe_dead(struct shm_writer *w, uint32_t i);

/*
 * Mutex mode: keep readers out for in-place changes.  Readers announce
 * themselves in their slot and then look at wip; the writer sets wip and
 * then looks at the slots: the same store-buffering pattern as a grace
 * period (top of this file), so either a reader sees wip and backs off, or
 * the writer sees the reader and waits for it to leave.  A reader that
 * stays longer than drain_timeout_ms makes the section give up (-EBUSY)
 * rather than wait forever with every other reader locked out behind it.
 */
static int section_begin(struct shm_writer *w)
{
	uint64_t start = (uint64_t)region_now_ms(), now;
	unsigned spins = 0;
	int rc = pthread_mutex_lock(&w->hdr->wlock);

	/* Taken over at start-up: a dead owner here is a bug, not a crash
	 * to recover from (writer.c checks at open). */
	if (rc == EOWNERDEAD)
		pthread_mutex_consistent(&w->hdr->wlock);
	else if (rc)
		return -rc;
	/* seq_cst: pairs with the reader's seq_cst load of wip after its
	 * announcement; the slot loads below are the other half. */
	shm_store_sc(&w->hdr->wip, 1);
	if (w->membarrier && membarrier_global() != 0) {
		rc = -EAGAIN;
		goto out;
	}
	for (;;) {
		uint32_t hw = shm_load_sc(&w->ctl->slot_hw), busy = UINT32_MAX;

		if (hw > w->nslots)
			hw = w->nslots;
		for (uint32_t i = 0; i < hw; i++) {
			uint64_t v = shm_load_sc(&w->slots[i].ver);

			/* As in scan_slots: above pub_ver is no reader of
			 * this region. */
			if (v && v <= w->pub_ver) {
				busy = i;
				break;
			}
		}
		if (busy == UINT32_MAX)
			break;
		now = (uint64_t)region_now_ms();
		if (now - w->probe_ms[busy] >= 10) {
			w->probe_ms[busy] = now;
			if (probe_dead(w, busy))
				continue;
		}
		if (now - start >= w->drain_timeout_ms) {
			w->blocker.slot = busy;
			w->blocker.pid = shm_load_relaxed(&w->slots[busy].pid);
			w->blocker.version = shm_load_relaxed(&w->slots[busy].ver);
			w->blocker.age_ms = now - start;
			w->blocker.bytes_held = 0;
			w->st.busy_sections++;
			rc = -EBUSY;
			goto out;
		}
		if (++spins > 64) {
			struct timespec ts = { 0, 20000 };

			nanosleep(&ts, NULL);
		}
	}
	w->in_section = true;
	w->st.sections++;
	journal_truncate(&w->journal, 0);
	return 0;
out:
	shm_store_release(&w->hdr->wip, 0);
	futex_noasync((int32_t *)&w->hdr->wip, FUTEX_WAKE, INT32_MAX, NULL,
		      NULL, 0);
	pthread_mutex_unlock(&w->hdr->wlock);
	return rc;
}

/* End the write section: called by publish once the new version is in
 * place.  Clearing wip (release) lets readers in, and they see the new
 * version: everything written before is ordered before it. */
static void section_end(struct shm_writer *w)
{
	journal_truncate(&w->journal, 0);
	shm_store_release(&w->hdr->wip, 0);
	futex_noasync((int32_t *)&w->hdr->wip, FUTEX_WAKE, INT32_MAX, NULL,
		      NULL, 0);
	pthread_mutex_unlock(&w->hdr->wlock);
	w->in_section = false;
}

static uint64_t snap_bytes(const struct shm_writer *w)
{
	return region_snap_size(w->ndb);
}

int shm_wr_begin(struct shm_writer *w)
{
	int rc;

	if (w->in_cmd)
		abort();
	if (!w->spare) {
		w->spare = alloc_block(&w->alloc, snap_bytes(w));
		if (!w->spare) {
			shm_wr_reclaim(w);
			w->spare = alloc_block(&w->alloc, snap_bytes(w));
		}
		if (!w->spare)
			return -ENOMEM;
	}
	if (w->mutex && !w->in_section) {
		rc = section_begin(w);
		if (rc)
			return rc;
	}
	w->cmd_jmark = journal_len(&w->journal);
	w->in_cmd = true;
	return 0;
}

static void cmd_clear(struct shm_writer *w)
{
	w->undo_recs.n = 0;
	w->undo_bytes.n = 0;
	w->cmd_allocs.n = 0;
	w->cmd_drops.n = 0;
	w->cell_blk = NULL; /* the cells are free again; the blocks stay */
	w->cell_n = 0;
	w->in_cmd = false;
}

void shm_wr_commit(struct shm_writer *w)
{
	if (w->undo_recs.n || w->cmd_allocs.n || w->cmd_drops.n)
		w->dirty = true;
	/* Leave command mode first: releases do not need undo. */
	w->in_cmd = false;
	for (size_t i = 0; i < w->cmd_drops.n; i++)
		release(w, vec_at(&w->cmd_drops, i));
	cmd_clear(w);
	w->st.commands++;
}

void shm_wr_abort(struct shm_writer *w)
{
	/* Restore in reverse order, so the oldest saved bytes win. */
	for (size_t i = w->undo_recs.n; i-- > 0;) {
		const struct undo_rec *u = vec_at(&w->undo_recs, i);

		memcpy(u->p, vec_at(&w->undo_bytes, u->off), u->len);
	}
	for (size_t i = w->cmd_allocs.n; i-- > 0;) {
		const struct blk *b = vec_at(&w->cmd_allocs, i);

		alloc_free(&w->alloc, b->ref, b->size);
	}
	/* The region is back as the command found it: so is the journal. */
	if (w->in_section)
		journal_truncate(&w->journal, w->cmd_jmark);
	cmd_clear(w);
	w->st.aborts++;
}

/* ------------------------------------------------------------ publication */

#define RECLAIM_DEFER_BYTES (1u << 20)
#define RECLAIM_DEFER_ENTRIES 4096u

/*
 * Scan now, after this publication, or later?  A scan costs a membarrier:
 * an interrupt on every CPU running a reader, about 15 us a publication
 * on this machine with a reader busy, which at one publication per
 * command was most of a write's cost in mixed loads (bench/README.md,
 * "rcu vs mutex mode").  With reclaim_defer_us set (the daemon does), a
 * publication scans only once RECLAIM_DEFER_BYTES or RECLAIM_DEFER_ENTRIES
 * have been retired since the last scan (whole trees count as entries, not
 * bytes), or reclaim_defer_us have passed; otherwise the next publication,
 * the daemon's cron or an allocation that fails (shm_wr_alloc scans before
 * it gives up) catches up.  Deferring only holds memory longer: it is
 * always safe.
 */
static bool reclaim_due(const struct shm_writer *w, uint64_t now_us)
{
	return !w->reclaim_defer_us ||
	       w->retired_cum - w->scan_cum >= RECLAIM_DEFER_BYTES ||
	       w->retired.n - w->scan_n >= RECLAIM_DEFER_ENTRIES ||
	       now_us - w->scan_us >= w->reclaim_defer_us;
}

int shm_wr_publish(struct shm_writer *w)
{
	struct shm_snap *s;
	struct shm_pubrec *pr;
	uint64_t off, now;

	if (w->in_cmd)
		abort();
	if (!w->dirty) {
		if (w->in_section)
			section_end(w);
		return 0;
	}
	if (!w->spare) {
		w->spare = alloc_block(&w->alloc, snap_bytes(w));
		if (!w->spare)
			return -ENOMEM;
	}
	now = region_now_us();
	s = shm_wr_ptr(w, w->spare);
	memset(s, 0, sizeof(*s));
	s->version = w->open_ver;
	s->publish_us = now;
	s->repl_offset = w->repl_offset;
	s->link_since_ms = w->link_since_ms;
	s->link_state = w->link_state;
	s->ndb = w->ndb;
	s->used_bytes = w->alloc.used;
	memcpy(s->db, w->db, w->ndb * sizeof(struct shm_dbroot));

	pr = &w->hdr->pubring[w->open_ver % SHM_PUBRING];
	shm_store_relaxed(&pr->version, 0);
	shm_store_relaxed(&pr->publish_us, now);
	shm_store_release(&pr->version, w->open_ver);

	off = (uint64_t)w->spare << SHM_UNIT_SHIFT;
	/* Release half: pairs with the reader's load of current, so the
	 * record and every block reachable from it are written before it can
	 * be seen.  seq_cst: with the version store below, this store is in
	 * the single total order that the store-buffering argument (top of
	 * this file) relies on. */
	shm_store_sc(&w->hdr->current, off);
	/* Pairs with the reader's acquire load of version: a reader that
	 * sees this version also sees the current just stored.  seq_cst: this
	 * store and the slot loads in scan_slots() are the writer's half of
	 * the store-buffering pattern (see the top of this file). */
	shm_store_sc(&w->hdr->version, w->open_ver);

	if (w->cur_off)
		shm_wr_retire(w, off_to_ref(w->cur_off), SHM_DEAD_BLOCK,
			      snap_bytes(w));
	w->cur_off = off;
	w->spare = 0;
	w->pub_ver = w->open_ver++;
	w->dirty = false;
	if (w->in_section)
		section_end(w);
	w->st.publishes++;
	w->spare = alloc_block(&w->alloc, snap_bytes(w));
	if (reclaim_due(w, now))
		shm_wr_reclaim(w);
	return 1;
}

void shm_wr_set_link(struct shm_writer *w, uint32_t state, uint64_t since_ms,
		     uint64_t offset)
{
	w->link_state = state;
	w->link_since_ms = since_ms;
	w->repl_offset = offset;
	w->dirty = true;
}

/* ------------------------------------------------------------ reclamation */

static int membarrier_global(void)
{
	return (int)syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0);
}

/*
 * If slot i's owner is dead, clear the slot and return true.  Holding the
 * slot's lock while clearing keeps a new owner out until it is clean.
 */
static bool probe_dead(struct shm_writer *w, uint32_t i)
{
	struct shm_slot *s = &w->slots[i];

	if (region_trylock(w->cfd, SHM_SLOT_LOCK_BASE + i))
		return false;
	shm_store_release(&s->ver, 0);
	s->pid = 0;
	s->tid = 0;
	s->claimed_ms = 0;
	shm_store_release(&s->state, SHM_SLOT_FREE);
	region_unlock(w->cfd, SHM_SLOT_LOCK_BASE + i);
	w->st.dead_readers++;
	return true;
}

static uint64_t oldest_tag(const struct shm_writer *w)
{
	if (w->retire_head == w->retired.n)
		return UINT64_MAX;
	return ((const struct shm_dead *)vec_at(&w->retired, w->retire_head))->tag;
}

/*
 * The smallest version any live reader announces, UINT64_MAX if none; or 0
 * when no safe answer exists (membarrier failed), which frees nothing.
 */
static uint64_t scan_slots(struct shm_writer *w, bool probe)
{
	uint64_t min = UINT64_MAX, blocker = oldest_tag(w);
	int64_t now = region_now_ms();
	uint32_t hw;

	/* membarrier: forces a full barrier on every CPU running a registered
	 * reader, standing in for the fence readers skip (SHM_F_MEMBARRIER). */
	if (w->membarrier && membarrier_global() != 0)
		return 0;
	/* seq_cst, after the barrier: pairs with the reader's seq_cst raise
	 * of slot_hw when it claims a slot, which precedes its first
	 * announcement; a scan that misses the raise also precedes that
	 * announcement, and the reader then sees the new current. */
	hw = shm_load_sc(&w->ctl->slot_hw);
	if (hw > w->nslots)
		hw = w->nslots;
	for (uint32_t i = 0; i < hw; i++) {
		/* seq_cst: pairs with the reader's seq_cst slot store; the
		 * other half of the pattern is the version store above. */
		uint64_t v = shm_load_sc(&w->slots[i].ver);

		/* A reader of this region announces a version it loaded from
		 * hdr->version, never above pub_ver; anything larger is a
		 * reader of an older region or garbage, and pins nothing here. */
		if (v == 0 || v > w->pub_ver)
			continue;
		if (w->seen_ver[i] != v) {
			w->seen_ver[i] = v;
			w->seen_ms[i] = (uint64_t)now;
		}
		if (probe && v < blocker &&
		    (uint64_t)now - w->probe_ms[i] >= PROBE_INTERVAL_MS) {
			w->probe_ms[i] = (uint64_t)now;
			if (probe_dead(w, i))
				continue;
		}
		if (v < min)
			min = v;
	}
	w->st.reclaim_scans++;
	return min;
}

static void free_dead(struct shm_writer *w, const struct shm_dead *d)
{
	switch (d->kind) {
	case SHM_DEAD_BLOCK:
		alloc_free(&w->alloc, d->ref, d->size);
		break;
	case SHM_DEAD_LEAF:
		shm_wr_free_leaf(w, d->ref);
		break;
	case SHM_DEAD_TREE:
		hamt_free_tree(w, d->ref, (unsigned)d->size);
		break;
	case SHM_DEAD_BTREE:
		btree_free_tree(w, d->ref, d->size != 0);
		break;
	}
}

void shm_wr_reclaim(struct shm_writer *w)
{
	uint64_t min;
	size_t i;

	if (w->retire_head == w->retired.n)
		return;
	min = scan_slots(w, true);
	w->min_pinned = min;
	for (i = w->retire_head; i < w->retired.n; i++) {
		const struct shm_dead *d = vec_at(&w->retired, i);

		if (d->tag > min)
			break;
		free_dead(w, d);
		w->st.freed_blocks++;
		w->freed_cum = d->cum;
	}
	w->retire_head = i;
	if (w->retire_head == w->retired.n) {
		w->retired.n = 0;
		w->retire_head = 0;
	} else if (w->retire_head > 4096 && w->retire_head > w->retired.n / 2) {
		size_t live = w->retired.n - w->retire_head;

		memmove(w->retired.v, vec_at(&w->retired, w->retire_head),
			live * sizeof(struct shm_dead));
		w->retired.n = live;
		w->retire_head = 0;
	}
	/* For reclaim_due: what counts from here. */
	w->scan_us = region_now_us();
	w->scan_cum = w->retired_cum;
	w->scan_n = w->retired.n;
}

/* Bytes retired at tags > v: what a reader pinning v keeps alive. */
static uint64_t bytes_after(const struct shm_writer *w, uint64_t v)
{
	size_t lo = w->retire_head, hi = w->retired.n;
	uint64_t before = w->freed_cum;

	/* First entry with tag > v; entries are in tag order. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (((const struct shm_dead *)vec_at(&w->retired, mid))->tag <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > w->retire_head)
		before = ((const struct shm_dead *)vec_at(&w->retired, lo - 1))->cum;
	return w->retired_cum - before;
}

size_t shm_wr_laggards(struct shm_writer *w, uint64_t min_age_ms,
		       struct shm_laggard *out, size_t cap)
{
	uint32_t hw;
	size_t n = 0;
	uint64_t now = (uint64_t)region_now_ms();

	/* Refresh seen_ver/seen_ms without probing. */
	(void)scan_slots(w, false);
	hw = shm_load_acquire(&w->ctl->slot_hw);
	if (hw > w->nslots)
		hw = w->nslots;
	for (uint32_t i = 0; i < hw && n < cap; i++) {
		uint64_t v = shm_load_acquire(&w->slots[i].ver), since;
		const struct shm_pubrec *pr;

		if (v == 0 || v >= w->pub_ver || v != w->seen_ver[i])
			continue;
		/* Superseded when v + 1 was published, if the ring still
		 * remembers; else since the writer first saw the pin. */
		pr = &w->hdr->pubring[(v + 1) % SHM_PUBRING];
		since = pr->version == v + 1 ? pr->publish_us / 1000 : w->seen_ms[i];
		if (since > now || now - since < min_age_ms)
			continue;
		out[n].slot = i;
		out[n].pid = shm_load_relaxed(&w->slots[i].pid);
		out[n].version = v;
		out[n].age_ms = now - since;
		out[n].bytes_held = bytes_after(w, v);
		n++;
	}
	return n;
}

/* --------------------------------------------------------------- creation */

static int map_file(int fd, uint64_t size, int prot, void **out)
{
	void *p = mmap(NULL, size, prot, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

static int ctl_init(int fd, uint32_t nslots, unsigned perm)
{
	uint64_t size = region_ctl_size(nslots);
	struct shm_ctl *c = NULL;
	int rc;

	if (fchmod(fd, perm) < 0 || ftruncate(fd, (off_t)size) < 0)
		return -errno;
	rc = map_file(fd, size, PROT_READ | PROT_WRITE, (void **)&c);
	if (rc)
		return rc;
	c->magic = SHM_CTL_MAGIC;
	c->layout_version = SHM_LAYOUT_VERSION;
	c->nslots = nslots;
	c->created_ms = (uint64_t)region_now_ms();
	munmap(c, size);
	return 0;
}

static int ctl_attach(struct shm_writer *w, int fd)
{
	struct stat st;
	void *p;
	int rc;

	if (fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size < sizeof(struct shm_ctl))
		return SHMREP_EBADMAGIC;
	/* Not through fd: the writer lock hangs on it (region_map_apart). */
	p = region_map_apart(fd, (size_t)st.st_size, PROT_READ | PROT_WRITE);
	if (p == MAP_FAILED)
		return -errno;
	rc = region_check_ctl(p, (uint64_t)st.st_size);
	if (rc) {
		munmap(p, (size_t)st.st_size);
		return rc;
	}
	w->cfd = fd;
	w->ctl = p;
	w->csize = (uint64_t)st.st_size;
	w->nslots = w->ctl->nslots;
	w->slots = (struct shm_slot *)((uint8_t *)p + SHM_PAGE);
	return 0;
}

/* A new ctl file at tmp, initialised and writer-locked; its fd or <0. */
static int ctl_create(const char *tmp, uint32_t nslots, unsigned perm)
{
	int fd, rc;

	unlink(tmp);
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	rc = ctl_init(fd, nslots, perm);
	if (!rc)
		rc = region_trylock(fd, SHM_WRITER_LOCK);
	if (rc) {
		close(fd);
		unlink(tmp);
		return rc;
	}
	return fd;
}

static int ctl_open(struct shm_writer *w, const struct shm_writer_config *cfg,
		    char *err, size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	unsigned perm = cfg->perm | ((cfg->perm & 0444) >> 1);
	int fd, rc;

	if (region_path(path, sizeof(path), w->name, "ctl") ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >=
		    (int)sizeof(tmp))
		return failf(err, errlen, -ENAMETOOLONG, "name too long");
	for (int tries = 0; tries < 8; tries++) {
		struct stat st;

		fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 && errno != ENOENT)
			return failf(err, errlen, -errno, "open %s: %s", path,
				     strerror(errno));
		if (fd < 0) {
			/* Create it: link() fails if someone else was first. */
			fd = ctl_create(tmp, cfg->nslots, perm);
			if (fd < 0)
				return failf(err, errlen, fd, "create %s: %s",
					     tmp, strerror(-fd));
			rc = link(tmp, path) ? -errno : 0;
			unlink(tmp);
			if (rc == -EEXIST) {
				close(fd);
				continue;
			}
			if (rc) {
				close(fd);
				return failf(err, errlen, rc, "link %s: %s",
					     path, strerror(-rc));
			}
			return ctl_attach(w, fd);
		}
		rc = region_trylock(fd, SHM_WRITER_LOCK);
		if (rc) {
			close(fd);
			if (rc == -EAGAIN)
				return failf(err, errlen, -EBUSY,
					     "instance '%s' is already served by another shmrepd",
					     w->name);
			return failf(err, errlen, rc, "lock %s: %s", path,
				     strerror(-rc));
		}
		if (fstat(fd, &st) < 0) {
			rc = -errno;
			close(fd);
			return failf(err, errlen, rc, "stat %s", path);
		}
		if (st.st_nlink == 0) { /* replaced before we locked it */
			close(fd);
			continue;
		}
		if (st.st_uid != geteuid()) {
			close(fd);
			return failf(err, errlen, -EPERM,
				     "%s is owned by uid %u, not by this user (uid %u)",
				     path, (unsigned)st.st_uid, (unsigned)geteuid());
		}
		if (ctl_attach(w, fd) == 0)
			return 0;
		/* Unusable (older layout, damaged): put a fresh one in its
		 * place.  We hold the old one's lock, so no other writer can
		 * be doing the same. */
		{
			int nfd = ctl_create(tmp, cfg->nslots, perm);

			if (nfd < 0) {
				close(fd);
				return failf(err, errlen, nfd, "create %s", tmp);
			}
			rc = rename(tmp, path) ? -errno : 0;
			close(fd);
			if (rc) {
				close(nfd);
				unlink(tmp);
				return failf(err, errlen, rc, "rename %s", tmp);
			}
			return ctl_attach(w, nfd);
		}
	}
	return failf(err, errlen, -EAGAIN, "could not take %s", path);
}

/* Remove temporary files a crashed writer of this instance left behind.
 * Only the writer-lock holder calls this, so none of them is in use. */
static void remove_stale_tmp(const char *name)
{
	char prefix[SHM_NAME_BUF + 32];
	size_t plen;
	DIR *d = opendir(SHM_DIR);
	struct dirent *e;

	if (!d)
		return;
	plen = (size_t)snprintf(prefix, sizeof(prefix), "shmrep.%s.data.tmp.", name);
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, prefix, plen) == 0 &&
		    strspn(e->d_name + plen, "0123456789") == strlen(e->d_name + plen))
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

static bool have_membarrier(void)
{
	long m = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);

	return m > 0 && (m & MEMBARRIER_CMD_GLOBAL_EXPEDITED);
}

static int data_create(struct shm_writer *w, const struct shm_writer_config *cfg,
		       const char *tmp, char *err, size_t errlen)
{
	struct statvfs vfs;
	struct shm_hdr *h;
	int rc;

	if (statvfs(SHM_DIR, &vfs) == 0 &&
	    (uint64_t)vfs.f_bavail * vfs.f_frsize < cfg->size)
		return failf(err, errlen, -ENOSPC,
			     "region size %llu exceeds the %llu bytes free in " SHM_DIR,
			     (unsigned long long)cfg->size,
			     (unsigned long long)vfs.f_bavail * vfs.f_frsize);
	w->dfd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (w->dfd < 0)
		return failf(err, errlen, -errno, "create %s: %s", tmp,
			     strerror(errno));
	if (fchmod(w->dfd, cfg->perm) < 0 || ftruncate(w->dfd, (off_t)cfg->size) < 0)
		return failf(err, errlen, -errno, "size %s: %s", tmp,
			     strerror(errno));
	rc = map_file(w->dfd, cfg->size, PROT_READ | PROT_WRITE, (void **)&w->base);
	if (rc)
		return failf(err, errlen, rc, "map %s: %s", tmp, strerror(-rc));
	/* Huge pages where the host allows them for tmpfs (shmem_enabled
	 * "advise" or better): a lookup then costs no TLB walks.  Best effort. */
	(void)madvise(w->base, cfg->size, MADV_HUGEPAGE);
	w->size = cfg->size;
	h = w->hdr = (struct shm_hdr *)w->base;
	h->magic = SHM_DATA_MAGIC;
	h->layout_version = SHM_LAYOUT_VERSION;
	h->page_size = SHM_PAGE;
	h->region_size = cfg->size;
	arc4random_buf(&h->hash_seed, sizeof(h->hash_seed));
	arc4random_buf(&h->incarnation, sizeof(h->incarnation));
	h->created_ms = (uint64_t)region_now_ms();
	h->mode = (uint32_t)cfg->mode;
	h->ndb = cfg->ndb;
	/* Mutex mode: every write section would cost a membarrier (the
	 * writer's half of the wip/slot pair), about 15 us with a reader
	 * busy, where the readers' own fence costs them a few ns; measured in
	 * bench/README.md ("rcu vs mutex mode").  There readers fence. */
	w->membarrier = cfg->membarrier && cfg->mode != SHM_MODE_MUTEX &&
			have_membarrier();
	h->flags = w->membarrier ? SHM_F_MEMBARRIER : 0;
	h->arena_page = 1;
	h->state = SHM_STATE_INIT;
	h->writer_pid = (uint32_t)getpid();
	{
		pthread_mutexattr_t ma;

		pthread_mutexattr_init(&ma);
		pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
		pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
		rc = pthread_mutex_init(&h->wlock, &ma);
		pthread_mutexattr_destroy(&ma);
		if (rc)
			return failf(err, errlen, -rc, "mutex: %s", strerror(rc));
	}
	w->mutex = cfg->mode == SHM_MODE_MUTEX;
	w->drain_timeout_ms = cfg->drain_timeout_ms ? cfg->drain_timeout_ms : 1000;
	w->reclaim_defer_us = cfg->reclaim_defer_us;
	if (w->mutex) {
		rc = journal_create(&w->journal, w->name, h->incarnation);
		if (rc)
			return failf(err, errlen, rc, "journal: %s", strerror(-rc));
	}
	shm_view_init(&w->view, w->base, w->size, h->hash_seed, h->ndb);
	/* The last SHM_GUARD bytes are never allocated (layout.h). */
	rc = alloc_init(&w->alloc, w->base, 1,
			(uint32_t)((cfg->size - SHM_GUARD) / SHM_PAGE));
	if (rc)
		return failf(err, errlen, rc, "out of memory");
	return 0;
}

struct copy_ctx {
	struct shm_writer *w;
	const struct shm_view *from; /* the old region, checked */
	unsigned db;
	int64_t now;
	int rc;
};

/*
 * Copy one group of the old region's leaves.  A deep copy (keys_copy): a
 * large collection's descriptor holds refs into the old region, so its
 * trie and B+tree are rebuilt here element by element, each element read
 * through the old region's checked view.
 */
static int copy_leaf(void *arg, const struct shm_leaf *const *ls, unsigned n)
{
	struct copy_ctx *c = arg;

	for (unsigned i = 0; i < n; i++) {
		const struct shm_leaf *l = ls[i];
		shm_ref r;

		if (shm_leaf_expired(l, c->now))
			continue;
		c->rc = keys_copy(c->w, c->from, l, l->data, l->klen,
				  l->expire_ms, &r);
		if (!c->rc)
			c->rc = keys_link(c->w, c->db, r, KEYS_REPLACE, NULL);
		if (c->rc)
			return HAMT_STOP;
		c->w->st.copied_keys++;
	}
	return HAMT_NEXT;
}

/*
 * The old region's writer died inside a mutex-mode write section: readers
 * are waiting on wip, and what they would read is half changed.  Put back
 * every journaled byte, newest first, which leaves the region exactly as
 * its last published version; then let readers in.  Without a usable
 * journal the region cannot be trusted: mark it broken (readers get
 * SHMREP_EUNUSABLE until the new region supersedes it) and copy nothing.
 */
static void old_recover(struct shm_writer *w, int fd, void **old_base,
			uint64_t size)
{
	struct shm_hdr *oh = NULL;
	int lrc, n;

	if (map_file(fd, size, PROT_READ | PROT_WRITE, (void **)&oh))
		goto broken_ro;
	/* The dead writer held the lock: EOWNERDEAD, the robust mutex's
	 * word that its holder died. */
	lrc = pthread_mutex_lock(&oh->wlock);
	n = journal_rollback(w->name, oh->incarnation, (uint8_t *)oh, size);
	if (n < 0) {
		shm_store_release(&oh->state, SHM_STATE_BROKEN);
	} else {
		w->st.recovered_records = (uint64_t)n;
	}
	/* Pairs with readers' acquire load of wip: the rolled-back bytes
	 * are in place before they may read. */
	shm_store_release(&oh->wip, 0);
	futex_noasync((int32_t *)&oh->wip, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
	if (lrc == EOWNERDEAD)
		pthread_mutex_consistent(&oh->wlock);
	if (lrc == 0 || lrc == EOWNERDEAD)
		pthread_mutex_unlock(&oh->wlock);
	munmap(oh, size);
	if (n >= 0)
		return;
broken_ro:
	munmap(*old_base, size);
	*old_base = NULL;
}

/*
 * The region currently published under the name, mapped read-only and
 * checked, or *old_base = NULL if there is none (or it is unusable: then
 * it is replaced without copying).
 */
static int old_open(struct shm_writer *w, const char *path, void **old_base,
		    uint64_t *old_size, int *old_fd, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	*old_base = NULL;
	*old_fd = -1;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : failf(err, errlen, -errno,
						   "open %s: %s", path,
						   strerror(errno));
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid()) {
		close(fd);
		return failf(err, errlen, -EPERM,
			     "%s is not owned by this user (uid %u)", path,
			     (unsigned)geteuid());
	}
	*old_fd = fd;
	if ((uint64_t)st.st_size < SHM_PAGE ||
	    map_file(fd, (uint64_t)st.st_size, PROT_READ, old_base))
		return 0;
	*old_size = (uint64_t)st.st_size;
	if (region_check_hdr(*old_base, *old_size)) {
		munmap(*old_base, *old_size);
		*old_base = NULL;
		return 0;
	}
	if (shm_load_acquire(&((struct shm_hdr *)*old_base)->wip))
		old_recover(w, fd, old_base, *old_size);
	return 0;
}

/* Copy the last published version of the old region into the new one. */
static int old_copy(struct shm_writer *w, const struct shm_hdr *oh,
		    uint64_t old_size, char *err, size_t errlen)
{
	struct shm_view v;
	const struct shm_snap *s;
	struct copy_ctx c = { .w = w, .from = &v, .now = region_now_ms() };

	shm_view_init(&v, oh, old_size, oh->hash_seed, oh->ndb);
	s = shm_snap_at(&v, shm_load_acquire(&oh->current));

	if (!s)
		return 0;
	for (unsigned db = 0; db < v.ndb; db++) {
		uint64_t cursor = 0;

		if (!s->db[db].root)
			continue;
		if (db >= w->ndb)
			return failf(err, errlen, -EINVAL,
				     "the previous region has keys in db %u; raise 'databases' to keep them",
				     db);
		c.db = db;
		if (hamt_scan(&v, s->db[db].root, &cursor, 0, copy_leaf,
			      &c) < 0 || c.rc == SHMREP_ECORRUPT)
			return failf(err, errlen, SHMREP_ECORRUPT,
				     "the previous region is corrupt (db %u)", db);
		if (c.rc)
			return failf(err, errlen, c.rc,
				     "the previous region's data does not fit in %llu bytes",
				     (unsigned long long)w->size);
	}
	return 0;
}

int shm_writer_open(const struct shm_writer_config *cfg,
		    struct shm_writer **out, char *err, size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	struct shm_writer *w;
	void *old_base = NULL;
	uint64_t old_size = 0;
	int old_fd = -1, rc;

	if (!region_name_ok(cfg->name))
		return failf(err, errlen, -EINVAL, "invalid instance name '%s'",
			     cfg->name ? cfg->name : "");
	if (cfg->size < SHM_MIN_REGION || cfg->size > SHM_MAX_REGION ||
	    cfg->size % SHM_PAGE)
		return failf(err, errlen, -EINVAL,
			     "region size must be a multiple of 4096 between %u and %llu",
			     SHM_MIN_REGION, (unsigned long long)SHM_MAX_REGION);
	if (cfg->ndb == 0 || cfg->ndb > SHM_MAX_DB)
		return failf(err, errlen, -EINVAL, "databases must be 1..%u",
			     SHM_MAX_DB);
	if (cfg->nslots == 0 || cfg->nslots > SHM_MAX_SLOTS)
		return failf(err, errlen, -EINVAL, "reader slots must be 1..%u",
			     SHM_MAX_SLOTS);
	w = calloc(1, sizeof(*w));
	if (!w)
		return failf(err, errlen, -ENOMEM, "out of memory");
	w->dfd = w->cfd = -1;
	w->journal.fd = -1;
	strlcpy(w->name, cfg->name, sizeof(w->name));
	w->ndb = cfg->ndb;
	w->stall_warn_ms = cfg->stall_warn_ms;
	w->min_pinned = UINT64_MAX;
	w->scan_us = region_now_us();
	vec_init(&w->undo_recs, sizeof(struct undo_rec));
	vec_init(&w->undo_bytes, 1);
	vec_init(&w->cmd_allocs, sizeof(struct blk));
	vec_init(&w->cmd_drops, sizeof(struct shm_dead));
	vec_init(&w->retired, sizeof(struct shm_dead));

	rc = ctl_open(w, cfg, err, errlen);
	if (rc)
		goto fail;
	w->db = calloc(w->ndb, sizeof(*w->db));
	w->probe_ms = calloc(w->nslots, sizeof(uint64_t));
	w->seen_ver = calloc(w->nslots, sizeof(uint64_t));
	w->seen_ms = calloc(w->nslots, sizeof(uint64_t));
	if (!w->db || !w->probe_ms || !w->seen_ver || !w->seen_ms) {
		rc = failf(err, errlen, -ENOMEM, "out of memory");
		goto fail;
	}
	remove_stale_tmp(w->name);
	if (region_path(path, sizeof(path), w->name, "data") ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >=
		    (int)sizeof(tmp)) {
		rc = failf(err, errlen, -ENAMETOOLONG, "name too long");
		goto fail;
	}
	rc = old_open(w, path, &old_base, &old_size, &old_fd, err, errlen);
	if (rc)
		goto fail;
	/* A journal left by a mutex-mode predecessor has served (old_open
	 * rolled it back if it had to); a mutex-mode writer makes its own. */
	{
		char jpath[PATH_MAX];

		if (region_path(jpath, sizeof(jpath), w->name, "journal") == 0)
			unlink(jpath);
	}
	rc = data_create(w, cfg, tmp, err, errlen);
	if (rc)
		goto fail_tmp;
	/* Versions go on from the old region's, so a reader's version number
	 * never goes backwards across a restart. */
	w->open_ver = 1;
	if (old_base)
		w->open_ver = shm_load_acquire(&((struct shm_hdr *)old_base)->version) + 1;
	if (old_base && cfg->keep_data) {
		rc = old_copy(w, old_base, old_size, err, errlen);
		if (rc)
			goto fail_tmp;
	}
	w->dirty = true;
	rc = shm_wr_publish(w);
	if (rc < 0) {
		rc = failf(err, errlen, rc, "region too small");
		goto fail_tmp;
	}
	shm_store_release(&w->hdr->state, SHM_STATE_LIVE);
	if (rename(tmp, path) < 0) {
		rc = failf(err, errlen, -errno, "rename %s: %s", tmp, strerror(errno));
		goto fail_tmp;
	}
	if (old_fd >= 0) {
		struct shm_hdr *oh = NULL;

		/* Pairs with the reader's load of state on every read: it
		 * moves to the new region, now in place under the name. */
		if (map_file(old_fd, SHM_PAGE, PROT_READ | PROT_WRITE, (void **)&oh) == 0) {
			if (oh->magic == SHM_DATA_MAGIC)
				shm_store_release(&oh->state, SHM_STATE_SUPERSEDED);
			munmap(oh, SHM_PAGE);
		}
	}
	if (old_base)
		munmap(old_base, old_size);
	if (old_fd >= 0)
		close(old_fd);
	*out = w;
	return 0;

fail_tmp:
	unlink(tmp);
fail:
	if (old_base)
		munmap(old_base, old_size);
	if (old_fd >= 0)
		close(old_fd);
	shm_writer_close(w);
	return rc;
}

void shm_writer_close(struct shm_writer *w)
{
	if (!w)
		return;
	if (w->in_cmd)
		shm_wr_abort(w);
	if (w->hdr && shm_load_relaxed(&w->hdr->state) == SHM_STATE_LIVE)
		(void)shm_wr_publish(w);
	if (w->in_section)
		section_end(w);
	/* A clean stop leaves nothing to roll back. */
	journal_close(&w->journal, 1);
	if (w->base)
		munmap(w->base, w->size);
	if (w->dfd >= 0)
		close(w->dfd);
	if (w->ctl)
		munmap(w->ctl, w->csize);
	if (w->cfd >= 0)
		close(w->cfd); /* drops the writer lock */
	alloc_destroy(&w->alloc);
	vec_free(&w->undo_recs);
	vec_free(&w->undo_bytes);
	vec_free(&w->cmd_allocs);
	vec_free(&w->cmd_drops);
	while (w->cells) {
		struct shm_cells *next = w->cells->next;

		free(w->cells);
		w->cells = next;
	}
	vec_free(&w->retired);
	free(w->db);
	free(w->probe_ms);
	free(w->seen_ver);
	free(w->seen_ms);
	free(w);
}
