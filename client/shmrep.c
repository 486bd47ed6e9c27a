/*
 * shmrep.c - libshmrep handles: attach, reader slots, threads, fork, remap.
 *
 * Everything here is the slow path, under the handle's mutex: claiming a
 * slot for a thread the first time it reads, giving it back when the thread
 * exits, moving to a region that superseded ours, and starting over in the
 * child after fork().  The fast path (internal.h, reads.c) touches none of
 * it.
 *
 * Slots and fork.  A slot is owned by holding an OFD lock on one byte of the
 * ctl file, through the handle's own open file description.  A forked child
 * shares that description with its parent, and with it the parent's locks,
 * so the child must never use or release them: an atfork handler bumps a
 * process-wide fork generation, and the first read in the child (its
 * thread cache no longer matches) opens the ctl file again, forgets the
 * parent's thread states without touching their slots, and claims new
 * slots under its own description.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>
#include <urcu/arch.h>
#include <urcu/futex.h>

#include "internal.h"

uint64_t shmrep_forkgen;
__thread struct tcache shmrep_tcache __attribute__((tls_model("initial-exec")));

static uint64_t g_next_id;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER; /* handle list */
static struct shmrep *g_handles;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

/* ------------------------------------------------------------------ fork */

static void atfork_prepare(void)
{
	pthread_mutex_lock(&g_mu);
	for (struct shmrep *h = g_handles; h; h = h->next_handle)
		pthread_mutex_lock(&h->mu);
}

static void atfork_parent(void)
{
	for (struct shmrep *h = g_handles; h; h = h->next_handle)
		pthread_mutex_unlock(&h->mu);
	pthread_mutex_unlock(&g_mu);
}

static void atfork_child(void)
{
	/* Every thread state copied from the parent is now stale.  Let go of
	 * the parent's open file description at once: the parent's slot
	 * locks hang on it, and a child that never reads must not keep them
	 * alive after the parent dies (the writer would see the parent's
	 * slots as live forever).  child_reset() opens our own. */
	shm_store_relaxed(&shmrep_forkgen, shmrep_forkgen + 1);
	for (struct shmrep *h = g_handles; h; h = h->next_handle) {
		if (h->cfd >= 0)
			close(h->cfd);
		h->cfd = -1;
	}
	atfork_parent();
}

static void init_once(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* ----------------------------------------------------------------- files */

static bool owner_ok(uid_t uid, unsigned flags)
{
	const char *env;

	if (flags & SHMREP_OPEN_ANY_OWNER)
		return true;
	if (uid == 0 || uid == geteuid())
		return true;
	env = getenv("SHMREP_OWNER");
	if (env && *env) {
		char *end;
		unsigned long n = strtoul(env, &end, 10);
		struct passwd pw, *res = NULL;
		char buf[1024];

		if (*end == '\0')
			return uid == (uid_t)n;
		if (getpwnam_r(env, &pw, buf, sizeof(buf), &res) == 0 && res)
			return uid == pw.pw_uid;
	}
	return false;
}

static int map_ro(const char *path, unsigned flags, uid_t *owner,
		  void **base, uint64_t *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
	} else if (!owner_ok(st.st_uid, flags) ||
		   (owner && st.st_uid != *owner)) {
		rc = SHMREP_EPERM;
	} else if (st.st_size < (off_t)SHM_PAGE) {
		rc = SHMREP_EBADMAGIC;
	} else {
		*base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
		if (*base == MAP_FAILED)
			rc = -errno;
		*size = (uint64_t)st.st_size;
	}
	close(fd);
	return rc;
}

static bool want_light(unsigned flags, const struct shm_hdr *hdr)
{
#ifdef SHMREP_TSAN
	/* ThreadSanitizer cannot see membarrier's fences: keep ours. */
	(void)flags;
	(void)hdr;
	return false;
#else
	if ((flags & SHMREP_OPEN_FENCE) || !(hdr->flags & SHM_F_MEMBARRIER))
		return false;
	/* Per process; registering again (after fork) is harmless. */
	return syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED,
		       0, 0) == 0;
#endif
}

/*
 * Map the data region published under h's name.  Retries briefly if it
 * reads as superseded: a restarting daemon renames the new region into
 * place just before it marks the old one.
 */
static int dmap_open(struct shmrep *h, struct dmap **out)
{
	char path[PATH_MAX];
	int rc = 0;

	if (region_path(path, sizeof(path), h->name, "data"))
		return SHMREP_EINVAL;
	for (int tries = 0; tries < 100; tries++) {
		void *base = NULL;
		uint64_t size = 0;
		const struct shm_hdr *hdr;
		struct dmap *m;
		uint32_t state;

		rc = map_ro(path, h->flags, &h->owner, &base, &size);
		if (rc)
			return rc;
		hdr = base;
		rc = region_check_hdr(hdr, size);
		if (rc) {
			munmap(base, size);
			return rc;
		}
		state = shm_load_acquire(&hdr->state);
		if (state == SHM_STATE_LIVE) {
			m = calloc(1, sizeof(*m));
			if (!m) {
				munmap(base, size);
				return SHMREP_ENOMEM;
			}
			m->refs = 1;
			m->hdr = hdr;
			shm_view_init(&m->view, base, size, hdr->hash_seed,
				      hdr->ndb);
			m->light = want_light(h->flags, hdr);
			m->mutex = hdr->mode == SHM_MODE_MUTEX;
			*out = m;
			return 0;
		}
		munmap(base, size);
		if (state != SHM_STATE_SUPERSEDED)
			return SHMREP_EUNUSABLE;
		{
			struct timespec ts = { 0, 1000000 };

			nanosleep(&ts, NULL);
		}
	}
	return SHMREP_EUNUSABLE;
}

static void dmap_put(struct dmap *m)
{
	if (m && --m->refs == 0) {
		munmap((void *)m->view.base, m->view.size);
		free(m);
	}
}

/* Open the ctl file (again, after fork) and check it is the one mapped. */
static int ctl_reopen(struct shmrep *h)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if (region_path(path, sizeof(path), h->name, "ctl"))
		return SHMREP_EINVAL;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_dev != h->cdev || st.st_ino != h->cino) {
		/* An incompatible daemon replaced the ctl file: this handle's
		 * slots are not the ones the new writer scans. */
		close(fd);
		return SHMREP_EVERSION;
	}
	h->cfd = fd;
	return 0;
}

static int ctl_open(struct shmrep *h)
{
	char path[PATH_MAX];
	struct stat st;
	void *p;
	int fd, rc;

	if (region_path(path, sizeof(path), h->name, "ctl"))
		return SHMREP_EINVAL;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (!owner_ok(st.st_uid, h->flags)) {
		rc = SHMREP_EPERM;
		goto out;
	}
	if (st.st_size < (off_t)sizeof(struct shm_ctl)) {
		rc = SHMREP_EBADMAGIC;
		goto out;
	}
	/* Not through fd: our slot locks hang on it (region_map_apart). */
	p = region_map_apart(fd, (size_t)st.st_size, PROT_READ | PROT_WRITE);
	if (p == MAP_FAILED) {
		rc = -errno;
		goto out;
	}
	rc = region_check_ctl(p, (uint64_t)st.st_size);
	if (rc) {
		munmap(p, (size_t)st.st_size);
		goto out;
	}
	h->ctl = p;
	h->csize = (uint64_t)st.st_size;
	h->nslots = h->ctl->nslots;
	h->slots = (struct shm_slot *)((uint8_t *)p + SHM_PAGE);
	h->owned = calloc(h->nslots, 1);
	if (!h->owned) {
		munmap(p, (size_t)st.st_size);
		h->ctl = NULL;
		rc = SHMREP_ENOMEM;
		goto out;
	}
	h->owner = st.st_uid;
	h->cdev = st.st_dev;
	h->cino = st.st_ino;
	h->cfd = fd;
	return 0;
out:
	close(fd);
	return rc;
}

/* ----------------------------------------------------------------- slots */

static void hw_raise(struct shm_ctl *c, uint32_t want)
{
	uint32_t cur = shm_load_relaxed(&c->slot_hw);

	/* seq_cst: ordered before this thread's first announcement, so a
	 * writer scan that misses the raise also precedes that announcement
	 * (pairs with the writer's seq_cst load of slot_hw). */
	while (cur < want &&
	       !__atomic_compare_exchange_n(&c->slot_hw, &cur, want, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		;
}

static int slot_claim(struct shmrep *h, uint32_t *out)
{
	/* First pass: slots marked free.  Second: claimed ones, whose owner
	 * may have died (the lock tells). */
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < h->nslots; i++) {
			struct shm_slot *s = &h->slots[i];
			uint32_t st = shm_load_relaxed(&s->state);

			if (h->owned[i] || (pass == 0 && st != SHM_SLOT_FREE))
				continue;
			if (region_trylock(h->cfd, SHM_SLOT_LOCK_BASE + i))
				continue;
			/* Ours.  A dead owner may have left a version. */
			shm_store_release(&s->ver, 0);
			s->pid = (uint32_t)getpid();
			s->tid = (uint32_t)syscall(SYS_gettid);
			s->claimed_ms = (uint64_t)region_now_ms();
			shm_store_release(&s->state, SHM_SLOT_CLAIMED);
			hw_raise(h->ctl, i + 1);
			h->owned[i] = 1;
			*out = i;
			return 0;
		}
	}
	return SHMREP_ENOSLOT;
}

static void slot_release(struct shmrep *h, uint32_t i)
{
	struct shm_slot *s = &h->slots[i];

	shm_store_release(&s->ver, 0);
	s->pid = 0;
	s->tid = 0;
	s->claimed_ms = 0;
	shm_store_release(&s->state, SHM_SLOT_FREE);
	region_unlock(h->cfd, SHM_SLOT_LOCK_BASE + i);
	h->owned[i] = 0;
}

/* ------------------------------------------------------------ threads */

static void ts_unlink(struct shmrep *h, struct tstate *ts)
{
	for (struct tstate **p = &h->threads; *p; p = &(*p)->next) {
		if (*p == ts) {
			*p = ts->next;
			return;
		}
	}
}

/* Thread exit: give the slot back. */
static void ts_destructor(void *arg)
{
	struct tstate *ts = arg;
	struct shmrep *h = ts->h;

	pthread_mutex_lock(&h->mu);
	if (ts->forkgen == shm_load_relaxed(&shmrep_forkgen)) {
		slot_release(h, ts->slot_idx);
		dmap_put(ts->map);
		ts_unlink(h, ts);
		free(ts);
	}
	/* else: a parent's thread state, freed by child_reset() */
	pthread_mutex_unlock(&h->mu);
}

/* In a forked child: forget the parent's threads, take our own fd.
 * Called under h->mu. */
static int child_reset(struct shmrep *h)
{
	int rc;

	for (struct tstate *ts = h->threads, *next; ts; ts = next) {
		next = ts->next;
		dmap_put(ts->map);
		free(ts);
	}
	h->threads = NULL;
	memset(h->owned, 0, h->nslots);
	pthread_setspecific(h->key, NULL);
	/* atfork_child() closed the inherited descriptor. */
	rc = ctl_reopen(h);
	if (rc)
		return rc;
	if (h->map->light)
		h->map->light = want_light(h->flags, h->map->hdr);
	h->forkgen = shm_load_relaxed(&shmrep_forkgen);
	return 0;
}

struct tstate *shmrep_ts_slow(struct shmrep *h, int *err)
{
	uint64_t gen = shm_load_relaxed(&shmrep_forkgen);
	struct tstate *ts = pthread_getspecific(h->key);
	int rc = 0;

	if (ts && ts->forkgen == gen)
		goto cache;
	pthread_mutex_lock(&h->mu);
	if (h->forkgen != gen) {
		rc = child_reset(h);
		if (rc)
			goto fail;
	}
	ts = calloc(1, sizeof(*ts));
	if (!ts) {
		rc = SHMREP_ENOMEM;
		goto fail;
	}
	rc = slot_claim(h, &ts->slot_idx);
	if (rc) {
		free(ts);
		goto fail;
	}
	ts->h = h;
	ts->slot = &h->slots[ts->slot_idx];
	ts->forkgen = gen;
	ts->map = h->map;
	ts->map->refs++;
	ts->next = h->threads;
	h->threads = ts;
	pthread_setspecific(h->key, ts);
	pthread_mutex_unlock(&h->mu);
cache:
	shmrep_tcache.hid = h->id;
	shmrep_tcache.forkgen = gen;
	shmrep_tcache.ts = ts;
	return ts;
fail:
	pthread_mutex_unlock(&h->mu);
	*err = rc;
	return NULL;
}

/*
 * Mutex mode: a write section is changing the region in place.  Spin a
 * little (sections are short: the daemon ends them within batch-max-usec),
 * then sleep on the futex word the writer wakes when it clears wip.  Every
 * 50 ms, see whether the writer is still alive: one that died inside a
 * section leaves wip set and the region half changed, which the next
 * writer repairs (writer.c, old_recover); until then there is nothing safe
 * to read.
 */
int shmrep_wait_writer(struct shmrep *h, const struct dmap *m)
{
	const struct shm_hdr *hdr = m->hdr;
	int64_t start = region_now_ms(), checked = start;

	for (int i = 0; i < 200; i++) {
		if (!shm_load_acquire(&hdr->wip) ||
		    shm_load_acquire(&hdr->state) != SHM_STATE_LIVE)
			return 0;
		caa_cpu_relax();
	}
	for (;;) {
		struct timespec ts = { 0, 1000000 };
		int64_t now;

		futex_noasync((int32_t *)&hdr->wip, FUTEX_WAIT, 1, &ts, NULL, 0);
		if (!shm_load_acquire(&hdr->wip) ||
		    shm_load_acquire(&hdr->state) != SHM_STATE_LIVE)
			return 0;
		now = region_now_ms();
		if (now - checked >= 50) {
			checked = now;
			if (region_locked(h->cfd, SHM_WRITER_LOCK) == 0)
				return SHMREP_EUNUSABLE;
		}
		if (now - start >= SHMREP_WAIT_MS)
			return SHMREP_ETIMEDOUT;
	}
}

int shmrep_remap(struct shmrep *h, struct tstate *ts)
{
	int rc = 0;

	pthread_mutex_lock(&h->mu);
	if (h->map == ts->map) {
		struct dmap *m;

		rc = dmap_open(h, &m);
		if (rc)
			goto out;
		dmap_put(h->map);
		h->map = m;
	}
	dmap_put(ts->map);
	ts->map = h->map;
	ts->map->refs++;
out:
	pthread_mutex_unlock(&h->mu);
	return rc;
}

/* --------------------------------------------------------------- public */

SHMREP_EXPORT int shmrep_open(const char *name, unsigned flags, shmrep **out)
{
	struct shmrep *h;
	int rc;

	if (!out || !region_name_ok(name))
		return SHMREP_EINVAL;
	pthread_once(&g_once, init_once);
	h = calloc(1, sizeof(*h));
	if (!h)
		return SHMREP_ENOMEM;
	h->id = __atomic_add_fetch(&g_next_id, 1, __ATOMIC_RELAXED);
	strlcpy(h->name, name, sizeof(h->name));
	h->flags = flags;
	h->cfd = -1;
	h->forkgen = shm_load_relaxed(&shmrep_forkgen);
	rc = ctl_open(h);
	if (rc)
		goto fail;
	rc = dmap_open(h, &h->map);
	if (rc)
		goto fail;
	if (pthread_key_create(&h->key, ts_destructor)) {
		rc = SHMREP_ENOMEM;
		goto fail;
	}
	pthread_mutex_init(&h->mu, NULL);
	pthread_mutex_lock(&g_mu);
	h->next_handle = g_handles;
	g_handles = h;
	pthread_mutex_unlock(&g_mu);
	*out = h;
	return 0;
fail:
	dmap_put(h->map);
	if (h->ctl)
		munmap(h->ctl, h->csize);
	if (h->cfd >= 0)
		close(h->cfd);
	free(h->owned);
	free(h);
	return rc;
}

SHMREP_EXPORT void shmrep_close(shmrep *h)
{
	bool child;

	if (!h)
		return;
	pthread_mutex_lock(&g_mu);
	for (struct shmrep **p = &g_handles; *p; p = &(*p)->next_handle) {
		if (*p == h) {
			*p = h->next_handle;
			break;
		}
	}
	pthread_mutex_unlock(&g_mu);
	pthread_mutex_lock(&h->mu);
	pthread_key_delete(h->key);
	/* Thread states from before a fork hold the parent's slots: free
	 * them without touching those. */
	child = h->forkgen != shm_load_relaxed(&shmrep_forkgen);
	for (struct tstate *ts = h->threads, *next; ts; ts = next) {
		next = ts->next;
		if (!child)
			slot_release(h, ts->slot_idx);
		dmap_put(ts->map);
		free(ts);
	}
	pthread_mutex_unlock(&h->mu);
	pthread_mutex_destroy(&h->mu);
	dmap_put(h->map);
	munmap(h->ctl, h->csize);
	if (h->cfd >= 0)
		close(h->cfd);
	free(h->owned);
	free(h);
}

SHMREP_EXPORT unsigned int shmrep_version(void)
{
	return SHMREP_VERSION_HEX;
}

SHMREP_EXPORT const char *shmrep_version_string(void)
{
	return "0.1.0";
}

SHMREP_EXPORT const char *shmrep_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case SHMREP_EWRONGTYPE:
		return "key holds a value of another type";
	case SHMREP_EBADMAGIC:
		return "not a shmrep region";
	case SHMREP_EVERSION:
		return "region layout version not supported by this library";
	case SHMREP_ECORRUPT:
		return "region failed a consistency check";
	case SHMREP_ENOSLOT:
		return "no free reader slot";
	case SHMREP_EUNUSABLE:
		return "region marked unusable by its writer";
	case SHMREP_ENEST:
		return "too many nested snapshots in this thread";
	case SHMREP_ETIMEDOUT:
		return "a write in progress did not end in time (mutex mode)";
	case SHMREP_ENOENT:
		return "no such key or instance";
	case SHMREP_EPERM:
		return "region owned by an unexpected user";
	default:
		if (err < 0 && err > -4096)
			return strerror(-err);
		return "unknown error";
	}
}

SHMREP_EXPORT const char *shmrep_type_name(int type)
{
	switch (type) {
	case SHMREP_TYPE_STRING:
		return "string";
	case SHMREP_TYPE_LIST:
		return "list";
	case SHMREP_TYPE_SET:
		return "set";
	case SHMREP_TYPE_ZSET:
		return "zset";
	case SHMREP_TYPE_HASH:
		return "hash";
	default:
		return "none";
	}
}

SHMREP_EXPORT int shmrep_readers(shmrep *h, shmrep_reader *out, size_t cap,
				 size_t *n)
{
	uint32_t hw = shm_load_acquire(&h->ctl->slot_hw);
	const struct shm_hdr *hdr;
	uint64_t cur, now = (uint64_t)region_now_ms();
	size_t k = 0;
	int rc = 0, locked;

	/* The mutex keeps h->map mapped while we read its header. */
	pthread_mutex_lock(&h->mu);
	if (h->forkgen != shm_load_relaxed(&shmrep_forkgen)) {
		rc = child_reset(h);
		if (rc) {
			pthread_mutex_unlock(&h->mu);
			*n = 0;
			return rc;
		}
	}
	hdr = h->map->hdr;
	cur = shm_load_acquire(&hdr->version);
	if (hw > h->nslots)
		hw = h->nslots;
	for (uint32_t i = 0; i < hw; i++) {
		const struct shm_slot *s = &h->slots[i];
		uint64_t v = shm_load_acquire(&s->ver);
		shmrep_reader *r;

		if (shm_load_relaxed(&s->state) != SHM_SLOT_CLAIMED && v == 0)
			continue;
		if (k == cap) {
			rc = SHMREP_ERANGE;
			break;
		}
		r = &out[k++];
		memset(r, 0, sizeof(*r));
		r->slot = i;
		r->pid = shm_load_relaxed(&s->pid);
		r->tid = shm_load_relaxed(&s->tid);
		r->version = v;
		r->claimed_ms = shm_load_relaxed(&s->claimed_ms);
		locked = h->owned[i] ? 1 : region_locked(h->cfd, SHM_SLOT_LOCK_BASE + i);
		r->alive = locked > 0;
		if (v && v < cur) {
			const struct shm_pubrec *pr =
				&hdr->pubring[(v + 1) % SHM_PUBRING];
			uint64_t pv = shm_load_acquire(&pr->version);
			uint64_t us = shm_load_relaxed(&pr->publish_us);

			if (pv == v + 1 && shm_load_acquire(&pr->version) == pv &&
			    us / 1000 <= now)
				r->lag_ms = now - us / 1000;
		}
	}
	pthread_mutex_unlock(&h->mu);
	*n = k;
	return rc;
}
