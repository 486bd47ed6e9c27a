/*
 * test_mproc.c - readers and writers in separate processes.
 *
 * Every test forks; every wait has a deadline (tu_wait), so a hung child
 * is killed and fails its test with a message instead of hanging the run.
 * Processes talk over pipes with single bytes or 64-bit numbers, each read
 * under a deadline too.  The writer is either the test process itself,
 * which then inspects its own struct shm_writer (allocator bytes, retire
 * list, dead-reader count), or a child that the test kills.
 *
 *   consistency       a writer publishes batches; readers check that one
 *                     snapshot never mixes two batches and that batches
 *                     never go backwards
 *   kill_in_section   a reader SIGKILLed inside a snapshot: memory it pins
 *                     is kept until it dies, then reclaimed; its slot is
 *                     freed and claimable again
 *   kill_writer       the writer SIGKILLed mid-batch: readers keep the last
 *                     version; a restarted writer takes over and existing
 *                     handles follow it
 *   fork_*            handles inherited across fork()
 *   kill_idle_reader  a reader SIGKILLed outside any read section
 *   two_writers       the writer election
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "keys.h"
#include "region.h"
#include "shmrep.h"
#include "testutil.h"
#include "writer.h"

#define MB (1024u * 1024u)
#define CHILD_TIMEOUT_MS 20000

/* ----------------------------------------------------------------- pipes */

struct chan {
	int rd, wr;
};

static void chan_open(struct chan *c)
{
	int fds[2];

	CU_ASSERT_FATAL(pipe(fds) == 0);
	c->rd = fds[0];
	c->wr = fds[1];
}

static void chan_close(struct chan *c)
{
	if (c->rd >= 0)
		close(c->rd);
	if (c->wr >= 0)
		close(c->wr);
	c->rd = c->wr = -1;
}

static int send_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t k = write(fd, b, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Read exactly n bytes within timeout_ms: 0, or -1 (timeout, EOF). */
static int recv_all(int fd, void *p, size_t n, int timeout_ms)
{
	uint8_t *b = p;
	uint64_t deadline = tu_now_ms() + (uint64_t)timeout_ms;

	while (n) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		uint64_t now = tu_now_ms();
		ssize_t k;

		if (now >= deadline)
			return -1;
		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			continue;
		k = read(fd, b, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

static int send_u64(int fd, uint64_t v)
{
	return send_all(fd, &v, sizeof(v));
}

static int recv_u64(int fd, uint64_t *v, int timeout_ms)
{
	return recv_all(fd, v, sizeof(*v), timeout_ms);
}

/* Sleep until killed (or, as a safety net, for at most 60 s). */
static int sleep_forever(void)
{
	for (int i = 0; i < 600; i++)
		tu_sleep_ms(100);
	return 99;
}

/* ---------------------------------------------------------------- values */

/* Value of key i at generation g; fixed length if fixed, else 16..495. */
static size_t mkval(char *buf, size_t cap, uint64_t g, int i, bool fixed)
{
	size_t n =
	    (size_t)snprintf(buf, cap, "G%llu:I%d:", (unsigned long long)g, i);
	size_t want =
	    fixed ? 100 : 16 + (size_t)((g * 37 + (uint64_t)i * 101) % 480);

	if (want > cap)
		want = cap;
	for (size_t p = n; p < want; p++)
		buf[p] = (char)('a' + (g + (uint64_t)i + p) % 26);
	return want;
}

static bool val_is(const void *p, size_t len, uint64_t g, int i, bool fixed)
{
	char buf[512];
	size_t n = mkval(buf, sizeof(buf), g, i, fixed);

	return len == n && memcmp(p, buf, n) == 0;
}

/* Whether key i is absent in generation g (about one in five). */
static bool gone(uint64_t g, int i)
{
	uint64_t s = g * 1000003u + (uint64_t)i;

	return tu_rand(&s) % 5 == 0;
}

/* Set key "PREFIX<i>" in db to generation g's value. */
static int set_gen(struct shm_writer *w, unsigned db, const char *prefix, int i,
		   uint64_t g, bool fixed)
{
	char k[32], v[512];
	size_t vl = mkval(v, sizeof(v), g, i, fixed);

	snprintf(k, sizeof(k), "%s%d", prefix, i);
	return tu_setb(w, db, k, v, vl);
}

/* A copying read of "PREFIX<i>" that must hold generation g's value. */
static bool read_is(shmrep *h, int db, const char *prefix, int i, uint64_t g,
		    bool fixed)
{
	char k[32], buf[512];
	size_t len;

	snprintf(k, sizeof(k), "%s%d", prefix, i);
	if (shmrep_get(h, db, k, strlen(k), buf, sizeof(buf), &len))
		return false;
	return val_is(buf, len, g, i, fixed);
}

/* Whether some other open file description holds slot i's lock. */
static int slot_locked(const char *name, uint32_t i)
{
	char path[PATH_MAX];
	int fd, rc;

	if (region_path(path, sizeof(path), name, "ctl"))
		return -1;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = region_locked(fd, SHM_SLOT_LOCK_BASE + i);
	close(fd);
	return rc;
}

/* Rows of the reader table that belong to pid. */
static int rows_of(shmrep *h, pid_t pid, shmrep_reader *out, int max)
{
	shmrep_reader rd[64];
	size_t n = 0;
	int k = 0;

	if (shmrep_readers(h, rd, 64, &n))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (rd[i].pid == (uint32_t)pid && k < max)
			out[k++] = rd[i];
	return k;
}

/* ----------------------------------------------------------- consistency */

#define CONS_KEYS 64
#define CONS_DBS 4
#define CONS_READERS 3
#define CONS_MS 3000

struct cons_arg {
	const char *name;
	int idx;
	struct chan go, res;
};

static int cons_check_snapshot(shmrep *h, uint64_t *last_g, uint64_t *last_v)
{
	shmrep_snapshot *s;
	shmrep_view v;
	shmrep_info info;
	uint64_t g;
	int rc;

	rc = shmrep_snapshot_begin(h, &s);
	if (rc) {
		fprintf(stderr, "snapshot_begin: %s\n", shmrep_strerror(rc));
		return 1;
	}
	rc = tu_snap_u64(s, 0, "gen", &g);
	if (rc) {
		fprintf(stderr, "gen: %s\n", shmrep_strerror(rc));
		goto bad;
	}
	if (g < *last_g) {
		fprintf(stderr, "generation went back: %llu after %llu\n",
			(unsigned long long)g, (unsigned long long)*last_g);
		goto bad;
	}
	*last_g = g;
	for (int i = 0; i < CONS_KEYS; i++) {
		char k[16];

		snprintf(k, sizeof(k), "c:%d", i);
		rc = shmrep_snapshot_get(s, i % CONS_DBS, k, strlen(k), &v);
		if (gone(g, i) ? rc != SHMREP_ENOENT
			       : (rc || !val_is(v.ptr, v.len, g, i, false))) {
			fprintf(
			    stderr,
			    "snapshot of generation %llu: key %s wrong (rc %d, "
			    "len %zu, '%.*s')\n",
			    (unsigned long long)g, k, rc, rc ? 0 : v.len,
			    rc ? 0 : (int)(v.len < 24 ? v.len : 24),
			    rc ? "" : (const char *)v.ptr);
			goto bad;
		}
	}
	if (shmrep_snapshot_info(s, &info) || info.version < *last_v) {
		fprintf(stderr, "version went back\n");
		goto bad;
	}
	*last_v = info.version;
	shmrep_snapshot_end(s);
	return 0;
bad:
	shmrep_snapshot_end(s);
	return 1;
}

static int cons_reader(void *arg)
{
	struct cons_arg *a = arg;
	shmrep *h = NULL;
	uint64_t last_g = 0, last_v = 0, first_g = 0, n = 0, t0;
	unsigned flags = a->idx == 0 ? SHMREP_OPEN_FENCE : 0;
	uint8_t b;
	int rc;

	close(a->go.wr);
	close(a->res.rd);
	if (recv_all(a->go.rd, &b, 1, 10000))
		return 20;
	rc = shmrep_open(a->name, flags, &h);
	if (rc) {
		fprintf(stderr, "reader %d: open: %s\n", a->idx,
			shmrep_strerror(rc));
		return 21;
	}
	t0 = tu_now_ms();
	while (tu_now_ms() - t0 < CONS_MS) {
		if (cons_check_snapshot(h, &last_g, &last_v)) {
			fprintf(stderr,
				"reader %d: inconsistent snapshot after %llu "
				"good ones\n",
				a->idx, (unsigned long long)n);
			return 1;
		}
		if (!n)
			first_g = last_g;
		n++;
	}
	fprintf(
	    stderr,
	    "\n  reader %d%s: %llu snapshots checked, generations %llu..%llu",
	    a->idx, flags ? " (fence)" : "", (unsigned long long)n,
	    (unsigned long long)first_g, (unsigned long long)last_g);
	send_u64(a->res.wr, n);
	send_u64(a->res.wr, last_g - first_g);
	shmrep_close(h);
	return 0;
}

/* One batch: every key to generation g (or deleted), with churn inside the
 * batch and a varying number of unrelated keys.  Returns the number of
 * writer calls that failed. */
static int cons_batch(struct shm_writer *w, uint64_t g, uint64_t *rs)
{
	char k[32], v[32];
	unsigned nfill = (unsigned)(tu_rand(rs) % 200);
	int bad = 0;

	for (int i = 0; i < CONS_KEYS; i++) {
		unsigned db = (unsigned)(i % CONS_DBS);

		snprintf(k, sizeof(k), "c:%d", i);
		if ((g + (uint64_t)i) % 7 == 0)
			bad += tu_setb(w, db, k, "junk-in-batch", 13) != 0;
		if (gone(g, i)) {
			int rc = tu_del(w, db, k);

			bad += rc != 0 && rc != -ENOENT;
			continue;
		}
		bad += set_gen(w, db, "c:", i, g, false) != 0;
		if ((g + (uint64_t)i) % 11 == 0) { /* delete, re-insert */
			bad += tu_del(w, db, k) != 0;
			bad += set_gen(w, db, "c:", i, g, false) != 0;
		}
	}
	snprintf(v, sizeof(v), "%llu", (unsigned long long)g);
	bad += tu_setb(w, 0, "gen", v, strlen(v)) != 0;
	for (unsigned f = 0; f < nfill; f++) {
		unsigned x = (unsigned)(tu_rand(rs) % 1000);

		snprintf(k, sizeof(k), "f:%u", x);
		if (tu_rand(rs) % 2)
			(void)tu_del(w, 5, k);
		else
			bad += tu_setb(w, 5, k, v, strlen(v)) != 0;
	}
	return bad;
}

static void consistency(void)
{
	const char *name = tu_name("cons");
	struct cons_arg args[CONS_READERS];
	pid_t pids[CONS_READERS];
	struct shm_writer *w;
	uint64_t rs = tu_seed(), g = 0, t0, batches = 0;
	int rc, bad = 0;

	for (int r = 0; r < CONS_READERS; r++) {
		args[r].name = name;
		args[r].idx = r;
		chan_open(&args[r].go);
		chan_open(&args[r].res);
		pids[r] = tu_fork(cons_reader, &args[r]);
		CU_ASSERT_FATAL(pids[r] > 0);
		close(args[r].go.rd);
		close(args[r].res.wr);
		args[r].go.rd = args[r].res.wr = -1;
	}
	w = tu_writer(name, 32 * MB);
	CU_ASSERT_FATAL(w != NULL);
	CU_ASSERT_FATAL(cons_batch(w, g, &rs) == 0);
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	for (int r = 0; r < CONS_READERS; r++)
		CU_ASSERT(send_all(args[r].go.wr, "g", 1) == 0);
	/* Publish batches until every reader is done. */
	t0 = tu_now_ms();
	while (tu_now_ms() - t0 < CONS_MS + 300 && !bad) {
		bad += cons_batch(w, ++g, &rs);
		bad += shm_wr_publish(w) != 1;
		batches++;
		if (batches % 64 == 0)
			tu_sleep_ms(1);
	}
	CU_ASSERT(bad == 0);
	fprintf(stderr,
		"\n  writer: %llu batches published, %llu freed blocks, "
		"%llu reclaim scans",
		(unsigned long long)batches,
		(unsigned long long)w->st.freed_blocks,
		(unsigned long long)w->st.reclaim_scans);
	for (int r = 0; r < CONS_READERS; r++) {
		uint64_t n = 0, span = 0;

		rc = tu_wait(pids[r], CHILD_TIMEOUT_MS);
		if (rc)
			fprintf(stderr, "\n  reader %d exited with %d\n", r,
				rc);
		CU_ASSERT(rc == 0);
		CU_ASSERT(recv_u64(args[r].res.rd, &n, 1000) == 0);
		CU_ASSERT(recv_u64(args[r].res.rd, &span, 1000) == 0);
		/* Each reader checked many snapshots across many batches. */
		CU_ASSERT(n >= 100);
		CU_ASSERT(span >= 10);
		chan_close(&args[r].go);
		chan_close(&args[r].res);
	}
	fprintf(stderr, "\n  ");
	/* All readers gone: the next publication frees every retired block. */
	CU_ASSERT(cons_batch(w, ++g, &rs) == 0);
	CU_ASSERT(shm_wr_publish(w) == 1);
	CU_ASSERT(w->min_pinned == UINT64_MAX);
	CU_ASSERT(w->retired.n == w->retire_head);
	CU_ASSERT(alloc_check(&w->alloc) == 0);
	shm_writer_close(w);
	tu_unlink_region(name);
}

static void test_consistency(void)
{
	consistency();
}

/* The same in mutex mode: readers wait out write sections instead of
 * reading old versions, and must still never see a mix. */
static void test_consistency_mutex(void)
{
	tu_mode = SHM_MODE_MUTEX;
	consistency();
	tu_mode = SHM_MODE_RCU;
}

/* ------------------------------------------------- reader killed in a read */

#define KS_KEYS 200

struct ks_arg {
	const char *name;
	struct chan go, res;
};

/* Pin a snapshot, report its version, verify it on request, then sleep
 * until killed. */
static int ks_reader(void *arg)
{
	struct ks_arg *a = arg;
	shmrep *h = NULL;
	shmrep_snapshot *s;
	shmrep_view views[KS_KEYS];
	shmrep_info info;
	uint8_t b;

	close(a->go.wr);
	close(a->res.rd);
	if (recv_all(a->go.rd, &b, 1, 10000))
		return 20;
	if (shmrep_open(a->name, 0, &h) || shmrep_snapshot_begin(h, &s) ||
	    shmrep_snapshot_info(s, &info))
		return 21;
	for (int i = 0; i < KS_KEYS; i++) {
		char k[16];

		snprintf(k, sizeof(k), "r:%d", i);
		if (shmrep_snapshot_get(s, 0, k, strlen(k), &views[i]) ||
		    !val_is(views[i].ptr, views[i].len, 0, i, true))
			return 22;
	}
	send_u64(a->res.wr, info.version);
	/* Checked again after the writer has published many versions. */
	if (recv_all(a->go.rd, &b, 1, 30000))
		return 23;
	for (int i = 0; i < KS_KEYS; i++)
		if (!val_is(views[i].ptr, views[i].len, 0, i, true))
			b = 'X';
	send_all(a->res.wr, b == 'X' ? "X" : "K", 1);
	return sleep_forever();
}

static void ks_churn(struct shm_writer *w, uint64_t g)
{
	int bad = 0;

	for (int i = 0; i < KS_KEYS; i++)
		bad += set_gen(w, 0, "r:", i, g, true) != 0;
	bad += shm_wr_publish(w) != 1;
	CU_ASSERT_FATAL(bad == 0);
}

/* A fresh process takes slot 0 (the only one) and reads generation g. */
struct claim_arg {
	const char *name;
	uint64_t g;
	int nkeys;
};

static int claim_child(void *arg)
{
	struct claim_arg *a = arg;
	shmrep *h = NULL;
	shmrep_reader me[4];
	int rc = shmrep_open(a->name, 0, &h);

	if (rc)
		return 30;
	for (int i = 0; i < a->nkeys; i++) {
		if (!read_is(h, 0, "r:", i, a->g, true)) {
			char k[16], buf[512];
			size_t len;

			snprintf(k, sizeof(k), "r:%d", i);
			rc = shmrep_get(h, 0, k, strlen(k), buf, sizeof(buf),
					&len);
			if (rc != SHMREP_ENOSLOT) /* expected in one test */
				fprintf(stderr, "claim child: r:%d: %s\n", i,
					shmrep_strerror(rc));
			return 31;
		}
	}
	if (rows_of(h, getpid(), me, 4) != 1 || me[0].slot != 0 || !me[0].alive)
		return 32;
	shmrep_close(h);
	return 0;
}

static void test_kill_in_section(void)
{
	const char *name = tu_name("killsec");
	struct ks_arg a = {.name = name};
	struct claim_arg ca = {.name = name, .nkeys = KS_KEYS};
	struct shm_writer *w;
	struct shm_laggard lg[4];
	uint64_t pinned = 0, steady, used0, g = 1, t0, dead0, pubs = 0;
	uint8_t b = 0;
	pid_t pid;
	int rc;

	chan_open(&a.go);
	chan_open(&a.res);
	pid = tu_fork(ks_reader, &a);
	CU_ASSERT_FATAL(pid > 0);
	close(a.go.rd);
	close(a.res.wr);
	a.go.rd = a.res.wr = -1;
	/* One slot: the reader's, later claimable by nobody else unless it
	 * is freed. */
	w = tu_writer_slots(name, 16 * MB, 1);
	CU_ASSERT_FATAL(w != NULL);
	ks_churn(w, 0);
	/* Steady state: what a full overwrite leaves allocated with no
	 * reader pinning anything. */
	ks_churn(w, 1);
	ks_churn(w, 0);
	steady = w->alloc.used;
	CU_ASSERT(send_all(a.go.wr, "g", 1) == 0);
	CU_ASSERT_FATAL(recv_u64(a.res.rd, &pinned, 10000) == 0);
	CU_ASSERT(pinned == w->pub_ver);
	CU_ASSERT(shm_load_acquire(&w->slots[0].ver) == pinned);
	CU_ASSERT(w->slots[0].pid == (uint32_t)pid);
	CU_ASSERT(slot_locked(name, 0) == 1);
	used0 = w->alloc.used;
	dead0 = w->st.dead_readers;
	/* Overwrite everything 30 times: what the reader can see must stay
	 * allocated, so memory grows by about a generation per publish. */
	for (int k = 0; k < 30; k++)
		ks_churn(w, ++g);
	CU_ASSERT(w->min_pinned == pinned);
	CU_ASSERT(w->alloc.used > used0 + 25 * KS_KEYS * 128);
	CU_ASSERT(w->retired.n - w->retire_head > 25 * KS_KEYS);
	CU_ASSERT(w->st.dead_readers == dead0);
	CU_ASSERT(shm_wr_laggards(w, 0, lg, 4) == 1);
	CU_ASSERT(lg[0].pid == (uint32_t)pid && lg[0].version == pinned);
	CU_ASSERT(lg[0].bytes_held >= 25 * KS_KEYS * 128);
	/* The reader's views are intact. */
	CU_ASSERT(send_all(a.go.wr, "c", 1) == 0);
	CU_ASSERT(recv_all(a.res.rd, &b, 1, 10000) == 0);
	CU_ASSERT(b == 'K');
	/* Kill it inside its snapshot. */
	CU_ASSERT(kill(pid, SIGKILL) == 0);
	rc = tu_wait(pid, CHILD_TIMEOUT_MS);
	CU_ASSERT(rc == 128 + SIGKILL);
	CU_ASSERT(slot_locked(name, 0) == 0);
	/* The writer notices (its probes are rate-limited to one per slot
	 * per 100 ms) and frees everything within a bounded number of
	 * publications. */
	t0 = tu_now_ms();
	while ((w->st.dead_readers == dead0 || w->alloc.used != steady) &&
	       tu_now_ms() - t0 < 3000) {
		ks_churn(w, 0);
		pubs++;
		tu_sleep_ms(5);
	}
	fprintf(stderr,
		"\n  dead reader reclaimed after %llu publications, "
		"%llu ms\n  ",
		(unsigned long long)pubs,
		(unsigned long long)(tu_now_ms() - t0));
	CU_ASSERT(w->st.dead_readers == dead0 + 1);
	CU_ASSERT(w->alloc.used == steady);
	CU_ASSERT(pubs <= 100);
	CU_ASSERT(w->min_pinned == UINT64_MAX);
	CU_ASSERT(w->retired.n == w->retire_head);
	CU_ASSERT(alloc_check(&w->alloc) == 0);
	/* The slot is clean and free... */
	CU_ASSERT(shm_load_acquire(&w->slots[0].ver) == 0);
	CU_ASSERT(w->slots[0].state == SHM_SLOT_FREE);
	CU_ASSERT(w->slots[0].pid == 0);
	/* ...and claimable by another process. */
	ca.g = 0;
	pid = tu_fork(claim_child, &ca);
	CU_ASSERT_FATAL(pid > 0);
	rc = tu_wait(pid, CHILD_TIMEOUT_MS);
	CU_ASSERT(rc == 0);
	chan_close(&a.go);
	chan_close(&a.res);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/* ---------------------------------------------------- reader killed idle */

static int idle_reader(void *arg)
{
	struct ks_arg *a = arg;
	shmrep *h = NULL;

	close(a->go.wr);
	close(a->res.rd);
	if (shmrep_open(a->name, 0, &h) || !read_is(h, 0, "r:", 0, 0, true))
		return 20;
	send_all(a->res.wr, "R", 1);
	return sleep_forever();
}

static void test_kill_idle_reader(void)
{
	const char *name = tu_name("killidle");
	struct ks_arg a = {.name = name};
	struct claim_arg ca = {.name = name, .g = 0, .nkeys = 10};
	struct shm_writer *w = tu_writer_slots(name, 4 * MB, 1);
	shmrep *h;
	shmrep_reader rd[4];
	size_t n;
	uint8_t b;
	pid_t pid;

	CU_ASSERT_FATAL(w != NULL);
	for (int i = 0; i < 10; i++)
		CU_ASSERT_FATAL(set_gen(w, 0, "r:", i, 0, true) == 0);
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	/* This handle only looks at the table: it never claims the slot. */
	h = NULL;
	CU_ASSERT_FATAL(shmrep_open(name, 0, &h) == 0);
	chan_open(&a.go);
	chan_open(&a.res);
	pid = tu_fork(idle_reader, &a);
	CU_ASSERT_FATAL(pid > 0);
	close(a.go.rd);
	close(a.res.wr);
	a.go.rd = a.res.wr = -1;
	CU_ASSERT_FATAL(recv_all(a.res.rd, &b, 1, 10000) == 0);
	CU_ASSERT(shmrep_readers(h, rd, 4, &n) == 0);
	CU_ASSERT_FATAL(n == 1);
	CU_ASSERT(rd[0].slot == 0 && rd[0].pid == (uint32_t)pid);
	CU_ASSERT(rd[0].alive == 1 && rd[0].version == 0);
	/* A second process finds no slot while the first lives. */
	ca.nkeys = 1;
	{
		pid_t p2 = tu_fork(claim_child, &ca);

		CU_ASSERT(tu_wait(p2, CHILD_TIMEOUT_MS) == 30 + 1);
	}
	CU_ASSERT(kill(pid, SIGKILL) == 0);
	CU_ASSERT(tu_wait(pid, CHILD_TIMEOUT_MS) == 128 + SIGKILL);
	/* Dead, outside any section: the table says so... */
	CU_ASSERT(shmrep_readers(h, rd, 4, &n) == 0);
	CU_ASSERT(n == 1 && rd[0].alive == 0 && rd[0].version == 0);
	CU_ASSERT(slot_locked(name, 0) == 0);
	/* ...publishing does not need to clean it... */
	CU_ASSERT_FATAL(set_gen(w, 0, "r:", 0, 0, true) == 0);
	CU_ASSERT(shm_wr_publish(w) == 1);
	/* ...and another process claims it. */
	ca.nkeys = 10;
	pid = tu_fork(claim_child, &ca);
	CU_ASSERT(tu_wait(pid, CHILD_TIMEOUT_MS) == 0);
	chan_close(&a.go);
	chan_close(&a.res);
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/* ------------------------------------------------ writer killed mid-batch */

#define KW_KEYS 100

struct kw_arg {
	const char *name;
	struct chan res;
};

/* Publish version V (every key at generation 1, "extra" in db 3), then
 * change most of it in an unpublished batch, with a command left open. */
static int kw_writer(void *arg)
{
	struct kw_arg *a = arg;
	struct shm_writer *w;

	close(a->res.rd);
	w = tu_writer(a->name, 16 * MB);
	if (!w)
		return 40;
	for (int i = 0; i < KW_KEYS; i++)
		if (set_gen(w, 0, "w:", i, 1, false))
			return 41;
	if (tu_setb(w, 3, "extra", "x", 1) || shm_wr_publish(w) != 1)
		return 42;
	send_u64(a->res.wr, w->pub_ver);
	for (int i = 0; i < KW_KEYS; i++) {
		if (i % 5 == 0) {
			char k[16];

			snprintf(k, sizeof(k), "w:%d", i);
			if (tu_del(w, 0, k))
				return 43;
		} else if (set_gen(w, 0, "w:", i, 2, false)) {
			return 44;
		}
	}
	for (int i = 0; i < 2000; i++)
		if (set_gen(w, 1, "new:", i, 2, false))
			return 45;
	if (tu_del(w, 3, "extra"))
		return 46;
	/* And one command left open. */
	if (shm_wr_begin(w))
		return 47;
	keys_flush(w, 1);
	send_all(a->res.wr, "M", 1);
	return sleep_forever();
}

/* Read version V's content through h: every w:i at generation 1, extra. */
static bool kw_is_v(shmrep *h)
{
	char buf[8];
	size_t len;
	uint64_t n;

	for (int i = 0; i < KW_KEYS; i++)
		if (!read_is(h, 0, "w:", i, 1, false))
			return false;
	if (shmrep_get(h, 3, "extra", 5, buf, sizeof(buf), &len) || len != 1)
		return false;
	if (shmrep_dbsize(h, 1, &n) || n != 0)
		return false;
	return true;
}

struct kwr_arg {
	const char *name;
	uint64_t v;
	struct chan res; /* restart follower: readiness */
};

static int kw_reader(void *arg)
{
	struct kwr_arg *a = arg;
	shmrep *h = NULL;
	shmrep_info info;

	if (shmrep_open(a->name, 0, &h))
		return 50;
	for (int round = 0; round < 200; round++) {
		shmrep_snapshot *s;
		shmrep_view v;

		if (!kw_is_v(h))
			return 51;
		if (shmrep_info_get(h, &info) || info.version != a->v ||
		    info.writer_alive != 0)
			return 52;
		if (shmrep_snapshot_begin(h, &s))
			return 53;
		if (shmrep_snapshot_get(s, 0, "w:1", 3, &v) ||
		    !val_is(v.ptr, v.len, 1, 1, false))
			return 54;
		shmrep_snapshot_end(s);
	}
	shmrep_close(h);
	return 0;
}

/* Opened before the restart, keeps reading until it sees the new region's
 * write, checking everything it reads on the way. */
static int kw_follower(void *arg)
{
	struct kwr_arg *a = arg;
	shmrep *h = NULL;
	shmrep_info first, info;
	uint64_t t0;

	close(a->res.rd);
	if (shmrep_open(a->name, 0, &h) || shmrep_info_get(h, &first))
		return 60;
	send_all(a->res.wr, "R", 1);
	t0 = tu_now_ms();
	while (tu_now_ms() - t0 < 15000) {
		char buf[512];
		size_t len;
		int rc = shmrep_get(h, 0, "w:1", 3, buf, sizeof(buf), &len);

		if (rc) {
			fprintf(stderr,
				"\n  follower: read during the restart: %s\n",
				shmrep_strerror(rc));
			return 61;
		}
		if (len == 13 && memcmp(buf, "after-restart", 13) == 0) {
			if (shmrep_info_get(h, &info))
				return 62;
			if (info.version <= first.version ||
			    info.incarnation == first.incarnation ||
			    !info.writer_alive)
				return 63;
			shmrep_close(h);
			return 0;
		}
		if (!val_is(buf, len, 1, 1, false))
			return 64;
		tu_sleep_ms(1);
	}
	return 65;
}

static bool no_tmp_files(const char *name)
{
	char prefix[SHM_NAME_BUF + 16];
	size_t plen =
	    (size_t)snprintf(prefix, sizeof(prefix), "shmrep.%s.", name);
	DIR *d = opendir(SHM_DIR);
	struct dirent *e;
	bool ok = true;

	if (!d)
		return false;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, prefix, plen) &&
		    strstr(e->d_name, ".tmp."))
			ok = false;
	closedir(d);
	return ok;
}

static void test_kill_writer(void)
{
	const char *name = tu_name("killwr");
	struct kw_arg a = {.name = name};
	struct kwr_arg ra = {.name = name}, fa = {.name = name};
	char path[PATH_MAX];
	struct stat st0, st1;
	struct shm_writer *w2;
	shmrep *h;
	shmrep_snapshot *s;
	shmrep_view view;
	shmrep_info old, info;
	pid_t wpid, rpid[2], fpid;
	uint64_t v = 0;
	uint8_t b = 0;
	int rc;

	CU_ASSERT_FATAL(region_path(path, sizeof(path), name, "data") == 0);
	chan_open(&a.res);
	wpid = tu_fork(kw_writer, &a);
	CU_ASSERT_FATAL(wpid > 0);
	close(a.res.wr);
	a.res.wr = -1;
	CU_ASSERT_FATAL(recv_u64(a.res.rd, &v, 10000) == 0);
	/* A handle opened while the first writer runs. */
	h = NULL;
	CU_ASSERT_FATAL(shmrep_open(name, 0, &h) == 0);
	CU_ASSERT(kw_is_v(h));
	CU_ASSERT_FATAL(shmrep_info_get(h, &old) == 0);
	CU_ASSERT(old.version == v);
	CU_ASSERT(old.writer_alive == 1);
	CU_ASSERT_FATAL(stat(path, &st0) == 0);
	/* The writer is now in the middle of its batch. */
	CU_ASSERT_FATAL(recv_all(a.res.rd, &b, 1, 15000) == 0);
	CU_ASSERT(b == 'M');
	CU_ASSERT(kill(wpid, SIGKILL) == 0);
	CU_ASSERT(tu_wait(wpid, CHILD_TIMEOUT_MS) == 128 + SIGKILL);
	/* Readers, old and new, read exactly version V, repeatedly. */
	ra.v = v;
	for (int i = 0; i < 2; i++) {
		rpid[i] = tu_fork(kw_reader, &ra);
		CU_ASSERT_FATAL(rpid[i] > 0);
	}
	for (int i = 0; i < 2; i++) {
		rc = tu_wait(rpid[i], CHILD_TIMEOUT_MS);
		if (rc)
			fprintf(stderr,
				"\n  reader after writer death: exit %d\n", rc);
		CU_ASSERT(rc == 0);
	}
	CU_ASSERT(kw_is_v(h));
	CU_ASSERT_FATAL(shmrep_info_get(h, &info) == 0);
	CU_ASSERT(info.version == v && info.writer_alive == 0);
	/* A reader process that will live through the restart. */
	chan_open(&fa.res);
	fpid = tu_fork(kw_follower, &fa);
	CU_ASSERT_FATAL(fpid > 0);
	close(fa.res.wr);
	fa.res.wr = -1;
	CU_ASSERT(recv_all(fa.res.rd, &b, 1, 10000) == 0);
	/* A snapshot that lives through the restart too. */
	CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s) == 0);
	CU_ASSERT_FATAL(shmrep_snapshot_get(s, 0, "w:2", 3, &view) == 0);

	/* Restart: a new writer takes over, keeping the data. */
	w2 = tu_writer(name, 16 * MB);
	CU_ASSERT_FATAL(w2 != NULL);
	CU_ASSERT(w2->st.copied_keys == KW_KEYS + 1);
	CU_ASSERT(w2->pub_ver > v);
	CU_ASSERT_FATAL(stat(path, &st1) == 0);
	CU_ASSERT(st1.st_ino != st0.st_ino);
	CU_ASSERT(no_tmp_files(name));
	/* The old snapshot still reads the old region. */
	CU_ASSERT(val_is(view.ptr, view.len, 1, 2, false));
	CU_ASSERT(shmrep_snapshot_info(s, &info) == 0);
	CU_ASSERT(info.version == v && info.incarnation == old.incarnation);
	shmrep_snapshot_end(s);
	/* The handle follows by itself: same keys, newer version, another
	 * incarnation, a live writer. */
	CU_ASSERT(kw_is_v(h));
	CU_ASSERT_FATAL(shmrep_info_get(h, &info) == 0);
	CU_ASSERT(info.version > v);
	CU_ASSERT(info.version == w2->pub_ver);
	CU_ASSERT(info.incarnation != old.incarnation);
	CU_ASSERT(info.incarnation == w2->hdr->incarnation);
	CU_ASSERT(info.writer_alive == 1);
	/* And sees the new writer's writes. */
	CU_ASSERT_FATAL(tu_setb(w2, 0, "w:1", "after-restart", 13) == 0);
	CU_ASSERT_FATAL(tu_setb(w2, 7, "brand-new", "yes", 3) == 0);
	CU_ASSERT_FATAL(shm_wr_publish(w2) == 1);
	{
		char buf[32];
		size_t len;

		CU_ASSERT(shmrep_get(h, 0, "w:1", 3, buf, sizeof(buf), &len) ==
			  0);
		CU_ASSERT(len == 13 && memcmp(buf, "after-restart", 13) == 0);
		CU_ASSERT(shmrep_get(h, 7, "brand-new", 9, buf, sizeof(buf),
				     &len) == 0);
	}
	rc = tu_wait(fpid, CHILD_TIMEOUT_MS);
	if (rc)
		fprintf(stderr, "\n  follower: exit %d\n", rc);
	CU_ASSERT(rc == 0);
	/* Nothing pins the new region any more. */
	CU_ASSERT_FATAL(tu_setb(w2, 7, "brand-new", "yes", 3) == 0);
	CU_ASSERT_FATAL(shm_wr_publish(w2) == 1);
	CU_ASSERT(w2->retired.n == w2->retire_head);
	chan_close(&a.res);
	chan_close(&fa.res);
	shmrep_close(h);
	shm_writer_close(w2);
	tu_unlink_region(name);
}

/* ------------------------------------------------------------------ fork */

#define FK_KEYS 50
#define FK_CHILDREN 3

struct fk_arg {
	shmrep *h; /* inherited */
	uint32_t parent_slot;
	pid_t parent;
	struct chan res;  /* child -> parent */
	struct chan quit; /* parent -> child: a byte = exit */
};

/* Whatever generation "gen" names, every key holds it (one snapshot). */
static int fk_consistent(shmrep *h, uint64_t *g_out)
{
	shmrep_snapshot *s;
	shmrep_view v;
	uint64_t g;
	int rc = shmrep_snapshot_begin(h, &s);

	if (rc)
		return rc;
	rc = tu_snap_u64(s, 0, "gen", &g);
	if (rc) {
		shmrep_snapshot_end(s);
		return rc;
	}
	for (int i = 0; i < FK_KEYS && !rc; i++) {
		char k[16];

		snprintf(k, sizeof(k), "f:%d", i);
		rc = shmrep_snapshot_get(s, 0, k, strlen(k), &v);
		if (!rc && !val_is(v.ptr, v.len, g, i, false))
			rc = -2;
	}
	shmrep_snapshot_end(s);
	if (g_out)
		*g_out = g;
	return rc;
}

static void fk_publish(struct shm_writer *w, uint64_t g)
{
	char v[32];
	int bad = 0;

	for (int i = 0; i < FK_KEYS; i++)
		bad += set_gen(w, 0, "f:", i, g, false) != 0;
	snprintf(v, sizeof(v), "%llu", (unsigned long long)g);
	bad += tu_setb(w, 0, "gen", v, strlen(v)) != 0;
	bad += shm_wr_publish(w) != 1;
	CU_ASSERT_FATAL(bad == 0);
}

/* Reads through the inherited handle; reports its own slot; keeps reading
 * until told to quit. */
static int fk_child(void *arg)
{
	struct fk_arg *a = arg;
	shmrep_reader me[4], par[4];
	uint64_t n = 0;
	uint8_t b;
	int rc;

	close(a->res.rd);
	close(a->quit.wr);
	rc = fk_consistent(a->h, NULL);
	if (rc) {
		fprintf(stderr, "fork child: first read: %s\n",
			shmrep_strerror(rc));
		return 70;
	}
	if (rows_of(a->h, getpid(), me, 4) != 1)
		return 71;
	if (me[0].slot == a->parent_slot || me[0].tid != (uint32_t)getpid() ||
	    !me[0].alive)
		return 72;
	/* The parent's row is untouched by our claim. */
	if (rows_of(a->h, a->parent, par, 4) != 1 ||
	    par[0].slot != a->parent_slot || !par[0].alive)
		return 73;
	send_u64(a->res.wr, me[0].slot);
	for (;;) {
		struct pollfd pfd = {.fd = a->quit.rd, .events = POLLIN};

		if (poll(&pfd, 1, 0) > 0)
			break;
		rc = fk_consistent(a->h, NULL);
		if (rc) {
			fprintf(stderr, "fork child: read %llu: %s\n",
				(unsigned long long)n, shmrep_strerror(rc));
			return 74;
		}
		n++;
	}
	(void)read(a->quit.rd, &b, 1);
	send_u64(a->res.wr, n);
	return 0; /* exits without closing the handle */
}

/* A second wave: only needs a slot (the first wave's, now free). */
static int fk_child2(void *arg)
{
	struct fk_arg *a = arg;
	shmrep_reader me[4];

	if (fk_consistent(a->h, NULL))
		return 80;
	if (rows_of(a->h, getpid(), me, 4) != 1 || me[0].slot == a->parent_slot)
		return 81;
	return 0;
}

static void test_fork_slots(void)
{
	const char *name = tu_name("fork");
	struct shm_writer *w = tu_writer_slots(name, 16 * MB, 1 + FK_CHILDREN);
	struct fk_arg a[FK_CHILDREN];
	shmrep *h = NULL;
	shmrep_reader me[4];
	uint64_t g = 0, slots[FK_CHILDREN];
	pid_t pids[FK_CHILDREN];
	uint32_t ps;
	int rc, bad = 0;

	CU_ASSERT_FATAL(w != NULL);
	fk_publish(w, g);
	CU_ASSERT_FATAL(shmrep_open(name, 0, &h) == 0);
	CU_ASSERT_FATAL(fk_consistent(h, NULL) == 0);
	CU_ASSERT_FATAL(rows_of(h, getpid(), me, 4) == 1);
	ps = me[0].slot;
	for (int c = 0; c < FK_CHILDREN; c++) {
		a[c].h = h;
		a[c].parent_slot = ps;
		a[c].parent = getpid();
		chan_open(&a[c].res);
		chan_open(&a[c].quit);
		pids[c] = tu_fork(fk_child, &a[c]);
		CU_ASSERT_FATAL(pids[c] > 0);
		close(a[c].res.wr);
		close(a[c].quit.rd);
		a[c].res.wr = a[c].quit.rd = -1;
	}
	/* The parent goes on reading and publishing while they run. */
	for (int c = 0; c < FK_CHILDREN; c++) {
		uint64_t t0 = tu_now_ms();

		slots[c] = UINT64_MAX;
		while (recv_u64(a[c].res.rd, &slots[c], 1) &&
		       tu_now_ms() - t0 < 10000) {
			fk_publish(w, ++g);
			if (fk_consistent(h, NULL))
				bad++;
		}
		CU_ASSERT(slots[c] != UINT64_MAX);
	}
	/* Every child has a slot of its own, none the parent's. */
	for (int c = 0; c < FK_CHILDREN; c++) {
		CU_ASSERT(slots[c] < 1 + FK_CHILDREN && slots[c] != ps);
		for (int d = 0; d < c; d++)
			CU_ASSERT(slots[c] != slots[d]);
		CU_ASSERT(slot_locked(name, (uint32_t)slots[c]) == 1);
	}
	CU_ASSERT(slot_locked(name, ps) == 1);
	for (int k = 0; k < 200; k++) {
		fk_publish(w, ++g);
		if (fk_consistent(h, NULL))
			bad++;
	}
	/* Children exit (without closing the handle). */
	for (int c = 0; c < FK_CHILDREN; c++) {
		uint64_t n = 0;

		/* A byte, not EOF: later children inherited the write end. */
		CU_ASSERT(send_all(a[c].quit.wr, "q", 1) == 0);
		rc = tu_wait(pids[c], CHILD_TIMEOUT_MS);
		if (rc)
			fprintf(stderr, "\n  fork child %d: exit %d\n", c, rc);
		CU_ASSERT(rc == 0);
		CU_ASSERT(recv_u64(a[c].res.rd, &n, 1000) == 0);
		CU_ASSERT(n > 0);
		chan_close(&a[c].res);
		chan_close(&a[c].quit);
	}
	CU_ASSERT(bad == 0);
	/* The parent's slot is still held, by the parent, and it reads on. */
	CU_ASSERT(slot_locked(name, ps) == 1);
	CU_ASSERT(rows_of(h, getpid(), me, 4) == 1);
	CU_ASSERT(me[0].slot == ps && me[0].alive);
	CU_ASSERT(w->slots[ps].pid == (uint32_t)getpid());
	fk_publish(w, ++g);
	CU_ASSERT(fk_consistent(h, NULL) == 0);
	/* The children's slots were released when they died... */
	for (int c = 0; c < FK_CHILDREN; c++)
		CU_ASSERT(slot_locked(name, (uint32_t)slots[c]) == 0);
	/* ...and another wave of children, with every slot but the parent's
	 * last held by a dead process, finds them. */
	for (int c = 0; c < FK_CHILDREN; c++) {
		pids[c] = tu_fork(fk_child2, &a[c]);
		CU_ASSERT_FATAL(pids[c] > 0);
	}
	for (int c = 0; c < FK_CHILDREN; c++) {
		rc = tu_wait(pids[c], CHILD_TIMEOUT_MS);
		if (rc)
			fprintf(stderr, "\n  second-wave child %d: exit %d\n",
				c, rc);
		CU_ASSERT(rc == 0);
	}
	CU_ASSERT(slot_locked(name, ps) == 1);
	CU_ASSERT(fk_consistent(h, NULL) == 0);
	shmrep_close(h);
	CU_ASSERT(slot_locked(name, ps) == 0);
	shm_writer_close(w);
	tu_unlink_region(name);
}

struct fs_arg {
	shmrep *h;
	uint64_t g_at_fork;
	struct chan res, go;
	int mode; /* 0: read, 1: close the handle at once, 2: just exit */
};

/* Forked while the parent holds a snapshot: new calls work in the child. */
static int fs_child(void *arg)
{
	struct fs_arg *a = arg;
	shmrep_snapshot *s;
	uint64_t g = 0, g2 = 0;
	uint8_t b;

	close(a->res.rd);
	close(a->go.wr);
	if (a->mode == 1) {
		shmrep_close(a->h);
		send_all(a->res.wr, "R", 1);
		return 0;
	}
	if (a->mode == 2) {
		send_all(a->res.wr, "R", 1);
		return 0;
	}
	if (fk_consistent(a->h, &g) || g != a->g_at_fork)
		return 90;
	/* Snapshots of its own, nested too. */
	if (shmrep_snapshot_begin(a->h, &s))
		return 91;
	if (fk_consistent(a->h, NULL))
		return 92;
	shmrep_snapshot_end(s);
	send_all(a->res.wr, "R", 1);
	/* The parent publishes more; then we see it. */
	if (recv_all(a->go.rd, &b, 1, 15000))
		return 93;
	if (fk_consistent(a->h, &g2) || g2 <= g)
		return 94;
	shmrep_close(a->h);
	return 0;
}

static void test_fork_in_snapshot(void)
{
	const char *name = tu_name("forksnap");
	struct shm_writer *w = tu_writer(name, 16 * MB);
	shmrep *h = NULL;
	shmrep_snapshot *s;
	shmrep_view views[FK_KEYS];
	shmrep_info info;
	uint64_t g = 0, pinned;
	uint32_t ps;
	shmrep_reader me[4];
	bool intact = true;

	CU_ASSERT_FATAL(w != NULL);
	fk_publish(w, g);
	CU_ASSERT_FATAL(shmrep_open(name, 0, &h) == 0);
	CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s) == 0);
	CU_ASSERT_FATAL(shmrep_snapshot_info(s, &info) == 0);
	pinned = info.version;
	for (int i = 0; i < FK_KEYS; i++) {
		char k[16];

		snprintf(k, sizeof(k), "f:%d", i);
		CU_ASSERT_FATAL(
		    shmrep_snapshot_get(s, 0, k, strlen(k), &views[i]) == 0);
	}
	CU_ASSERT_FATAL(rows_of(h, getpid(), me, 4) == 1);
	ps = me[0].slot;
	for (int mode = 0; mode < 3; mode++) {
		struct fs_arg a = {.h = h, .g_at_fork = g, .mode = mode};
		uint8_t b;
		pid_t pid;
		int rc;

		chan_open(&a.res);
		chan_open(&a.go);
		pid = tu_fork(fs_child, &a);
		CU_ASSERT_FATAL(pid > 0);
		close(a.res.wr);
		close(a.go.rd);
		a.res.wr = a.go.rd = -1;
		CU_ASSERT(recv_all(a.res.rd, &b, 1, 10000) == 0);
		/* Churn while the child lives: our snapshot must hold. */
		for (int k = 0; k < 30; k++)
			fk_publish(w, ++g);
		send_all(a.go.wr, "g", 1);
		rc = tu_wait(pid, CHILD_TIMEOUT_MS);
		if (rc)
			fprintf(stderr, "\n  child (mode %d): exit %d\n", mode,
				rc);
		CU_ASSERT(rc == 0);
		/* After it is gone too. */
		for (int k = 0; k < 10; k++)
			fk_publish(w, ++g);
		CU_ASSERT(w->min_pinned == pinned);
		CU_ASSERT(shm_load_acquire(&w->slots[ps].ver) == pinned);
		CU_ASSERT(slot_locked(name, ps) == 1);
		for (int i = 0; i < FK_KEYS; i++)
			if (!val_is(views[i].ptr, views[i].len, 0, i, false))
				intact = false;
		CU_ASSERT(intact);
		chan_close(&a.res);
		chan_close(&a.go);
	}
	CU_ASSERT(shmrep_snapshot_info(s, &info) == 0 &&
		  info.version == pinned);
	shmrep_snapshot_end(s);
	fk_publish(w, ++g);
	CU_ASSERT(w->min_pinned == UINT64_MAX);
	CU_ASSERT(w->retired.n == w->retire_head);
	CU_ASSERT(fk_consistent(h, NULL) == 0);
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/*
 * A reader process dies inside a snapshot while a child it forked earlier
 * (which never used the handle: a worker that has not read yet, or a
 * helper that does not read at all) lives on.  The header promises: "A
 * process that dies inside a snapshot releases it: the daemon notices and
 * reclaims."  The child still holds the inherited ctl descriptor, and with
 * it the open file description that carries the dead parent's slot lock.
 */
struct dp_arg {
	const char *name;
	struct chan res;
};

static int dp_parent(void *arg)
{
	struct dp_arg *a = arg;
	shmrep *h = NULL;
	shmrep_snapshot *s;
	shmrep_info info;
	pid_t kid;

	close(a->res.rd);
	if (shmrep_open(a->name, 0, &h) || shmrep_snapshot_begin(h, &s) ||
	    shmrep_snapshot_info(s, &info))
		return 100;
	fflush(stderr);
	kid = fork();
	if (kid == 0)
		_exit(sleep_forever()); /* never touches the handle */
	send_u64(a->res.wr, info.version);
	send_u64(a->res.wr, (uint64_t)kid);
	return sleep_forever();
}

static void test_fork_dead_parent_idle_child(void)
{
	const char *name = tu_name("deadpar");
	struct shm_writer *w = tu_writer_slots(name, 16 * MB, 4);
	struct dp_arg a = {.name = name};
	uint64_t pinned = 0, kid = 0, g = 0, dead0, t0, pubs = 0;
	pid_t pid;

	CU_ASSERT_FATAL(w != NULL);
	fk_publish(w, g);
	chan_open(&a.res);
	pid = tu_fork(dp_parent, &a);
	CU_ASSERT_FATAL(pid > 0);
	close(a.res.wr);
	a.res.wr = -1;
	CU_ASSERT_FATAL(recv_u64(a.res.rd, &pinned, 10000) == 0);
	CU_ASSERT_FATAL(recv_u64(a.res.rd, &kid, 10000) == 0);
	CU_ASSERT_FATAL(kid > 0);
	for (int k = 0; k < 5; k++)
		fk_publish(w, ++g);
	CU_ASSERT(w->min_pinned == pinned);
	dead0 = w->st.dead_readers;
	CU_ASSERT(kill(pid, SIGKILL) == 0);
	CU_ASSERT(tu_wait(pid, CHILD_TIMEOUT_MS) == 128 + SIGKILL);
	/* The reader is dead: within a second the writer must have noticed. */
	t0 = tu_now_ms();
	while (w->st.dead_readers == dead0 && tu_now_ms() - t0 < 1500) {
		fk_publish(w, ++g);
		pubs++;
		tu_sleep_ms(5);
	}
	if (w->st.dead_readers == dead0)
		fprintf(stderr,
			"\n  BUG: reader %d died inside a snapshot %llu ms "
			"ago, but its slot still looks alive (its "
			"idle child %d holds the inherited ctl "
			"descriptor); version %llu stays pinned\n  ",
			(int)pid, (unsigned long long)(tu_now_ms() - t0),
			(int)kid, (unsigned long long)pinned);
	CU_ASSERT(w->st.dead_readers == dead0 + 1);
	CU_ASSERT(w->min_pinned == UINT64_MAX);
	/* The orphan is ours to clean up (it was reparented). */
	kill((pid_t)kid, SIGKILL);
	for (int i = 0; i < 100 && kill((pid_t)kid, 0) == 0; i++)
		tu_sleep_ms(10);
	chan_close(&a.res);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/* ------------------------------------------- a stopped reader, a full region
 */

/*
 * Caveats, "Long read sections hold memory": a reader stopped (SIGSTOP)
 * inside a snapshot pins its version; the writer reports it, and writes
 * eventually fail with ENOMEM once the region is full, but it never frees
 * memory the stopped reader can see.  Once it goes on and ends its
 * snapshot, writes succeed again.
 */
#define ST_KEYS 40

static int st_reader(void *arg)
{
	struct ks_arg *a = arg;
	shmrep *h = NULL;
	shmrep_snapshot *s;
	shmrep_view views[ST_KEYS];
	shmrep_info info;
	uint8_t b;
	bool ok = true;

	close(a->go.wr);
	close(a->res.rd);
	if (shmrep_open(a->name, 0, &h) || shmrep_snapshot_begin(h, &s) ||
	    shmrep_snapshot_info(s, &info))
		return 20;
	for (int i = 0; i < ST_KEYS; i++) {
		char k[16];

		snprintf(k, sizeof(k), "r:%d", i);
		if (shmrep_snapshot_get(s, 0, k, strlen(k), &views[i]) ||
		    !val_is(views[i].ptr, views[i].len, 0, i, true))
			return 21;
	}
	send_u64(a->res.wr, info.version);
	/* The parent stops us here, fills the region, continues us. */
	if (recv_all(a->go.rd, &b, 1, 30000))
		return 22;
	for (int i = 0; i < ST_KEYS; i++)
		ok = ok && val_is(views[i].ptr, views[i].len, 0, i, true);
	shmrep_snapshot_end(s);
	send_all(a->res.wr, ok ? "K" : "X", 1);
	shmrep_close(h);
	return ok ? 0 : 23;
}

static void test_stopped_reader_full_region(void)
{
	const char *name = tu_name("stopped");
	struct ks_arg a = {.name = name};
	struct shm_writer *w = tu_writer(name, 1 * MB);
	struct shm_laggard lg[4];
	uint64_t pinned = 0, g = 0, rounds = 0, dead0;
	int rc = 0, bad = 0;
	uint8_t b = 0;
	pid_t pid;

	CU_ASSERT_FATAL(w != NULL);
	for (int i = 0; i < ST_KEYS; i++)
		bad += set_gen(w, 0, "r:", i, 0, true) != 0;
	bad += shm_wr_publish(w) != 1;
	CU_ASSERT_FATAL(bad == 0);
	chan_open(&a.go);
	chan_open(&a.res);
	pid = tu_fork(st_reader, &a);
	CU_ASSERT_FATAL(pid > 0);
	close(a.go.rd);
	close(a.res.wr);
	a.go.rd = a.res.wr = -1;
	CU_ASSERT_FATAL(recv_u64(a.res.rd, &pinned, 10000) == 0);
	CU_ASSERT(kill(pid, SIGSTOP) == 0);
	dead0 = w->st.dead_readers;
	/* Overwrite until the region is full. */
	while (rc == 0 && rounds < 100000) {
		++g;
		for (int i = 0; i < ST_KEYS && rc == 0; i++)
			rc = set_gen(w, 0, "r:", i, g, true);
		if (rc == 0) {
			int p = shm_wr_publish(w);

			rc = p == 1 ? 0 : p;
		}
		rounds++;
	}
	fprintf(stderr, "\n  region full after %llu versions: %s\n  ",
		(unsigned long long)rounds, strerror(-rc));
	CU_ASSERT(rc == -ENOMEM);
	CU_ASSERT(w->min_pinned == pinned);
	CU_ASSERT(w->st.dead_readers == dead0);
	CU_ASSERT(alloc_check(&w->alloc) == 0);
	CU_ASSERT(shm_wr_laggards(w, 0, lg, 4) == 1);
	CU_ASSERT(lg[0].pid == (uint32_t)pid && lg[0].version == pinned);
	/* A new command may or may not find room for its record; if it
	 * does, the next allocation fails. */
	if (shm_wr_begin(w) == 0) {
		CU_ASSERT(keys_leaf_new(w, "big", 3, SHM_T_STRING, 64 * 1024,
					0) == 0);
		shm_wr_abort(w);
	}
	/* Let it go on: its views are intact, and it ends its snapshot. */
	CU_ASSERT(kill(pid, SIGCONT) == 0);
	CU_ASSERT(send_all(a.go.wr, "c", 1) == 0);
	CU_ASSERT(recv_all(a.res.rd, &b, 1, 10000) == 0);
	CU_ASSERT(b == 'K');
	CU_ASSERT(tu_wait(pid, CHILD_TIMEOUT_MS) == 0);
	/* Writes succeed again: the next allocation failure reclaims. */
	bad = 0;
	for (int k = 0; k < 5; k++) {
		++g;
		for (int i = 0; i < ST_KEYS; i++)
			bad += set_gen(w, 0, "r:", i, g, true) != 0;
		bad += shm_wr_publish(w) != 1;
	}
	CU_ASSERT(bad == 0);
	CU_ASSERT(w->min_pinned == UINT64_MAX);
	CU_ASSERT(w->retired.n == w->retire_head);
	CU_ASSERT(alloc_check(&w->alloc) == 0);
	chan_close(&a.go);
	chan_close(&a.res);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/* ----------------------------------------------- the mapping is read-only */

static int ro_child(void *arg)
{
	shmrep *h = NULL;
	shmrep_snapshot *s;
	shmrep_view v;

	if (shmrep_open(arg, 0, &h) || shmrep_snapshot_begin(h, &s) ||
	    shmrep_snapshot_get(s, 0, "r:0", 3, &v))
		return 5;
	*(volatile char *)v.ptr = 'X'; /* must fault */
	return 0;
}

static void test_views_read_only(void)
{
	const char *name = tu_name("ro");
	struct shm_writer *w = tu_writer(name, 1 * MB);
	pid_t pid;
	int rc;

	CU_ASSERT_FATAL(w != NULL);
	CU_ASSERT_FATAL(set_gen(w, 0, "r:", 0, 0, true) == 0);
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	pid = tu_fork(ro_child, (void *)name);
	CU_ASSERT_FATAL(pid > 0);
	rc = tu_wait(pid, CHILD_TIMEOUT_MS);
	/* Killed by SIGSEGV (or, under ASan, reported and exited). */
	CU_ASSERT(rc == 128 + SIGSEGV || rc == 1);
	/* And the region is as the writer left it. */
	{
		const struct shm_leaf *l;

		CU_ASSERT_FATAL(keys_find(w, 0, "r:0", 3, &l) == 0);
		CU_ASSERT(val_is(shm_leaf_val(l), l->vlen, 0, 0, true));
	}
	shm_writer_close(w);
	tu_unlink_region(name);
}

/* ----------------------------------------------------------- two writers */

static int tw_writer(void *arg)
{
	struct kw_arg *a = arg;
	struct shm_writer *w;

	close(a->res.rd);
	w = tu_writer(a->name, 4 * MB);
	if (!w)
		return 40;
	if (tu_setb(w, 2, "first", "writer", 6) || shm_wr_publish(w) != 1)
		return 41;
	send_all(a->res.wr, "W", 1);
	return sleep_forever();
}

static void test_two_writers(void)
{
	const char *name = tu_name("twow");
	struct kw_arg a = {.name = name};
	struct shm_writer_config cfg = {
	    .name = name,
	    .size = 4 * MB,
	    .ndb = 16,
	    .nslots = 64,
	    .mode = SHM_MODE_RCU,
	    .perm = 0600,
	    .membarrier = true,
	    .stall_warn_ms = 1000,
	    .keep_data = true,
	};
	struct shm_writer *w = NULL, *w3 = NULL;
	char err[256] = "";
	shmrep *h = NULL;
	shmrep_info info;
	uint8_t b;
	pid_t pid;
	int rc;

	chan_open(&a.res);
	pid = tu_fork(tw_writer, &a);
	CU_ASSERT_FATAL(pid > 0);
	close(a.res.wr);
	a.res.wr = -1;
	CU_ASSERT_FATAL(recv_all(a.res.rd, &b, 1, 10000) == 0);
	/* The first one lives: refused, with a message, region untouched. */
	rc = shm_writer_open(&cfg, &w, err, sizeof(err));
	CU_ASSERT(rc == -EBUSY);
	CU_ASSERT(w == NULL);
	CU_ASSERT(err[0] != '\0');
	CU_ASSERT_FATAL(shmrep_open(name, 0, &h) == 0);
	CU_ASSERT_FATAL(shmrep_info_get(h, &info) == 0);
	CU_ASSERT(info.writer_alive == 1);
	{
		char buf[16];
		size_t len;

		CU_ASSERT(
		    shmrep_get(h, 2, "first", 5, buf, sizeof(buf), &len) == 0);
	}
	CU_ASSERT(no_tmp_files(name));
	/* It dies: the next one is elected, and keeps the data. */
	CU_ASSERT(kill(pid, SIGKILL) == 0);
	CU_ASSERT(tu_wait(pid, CHILD_TIMEOUT_MS) == 128 + SIGKILL);
	CU_ASSERT_FATAL(shmrep_info_get(h, &info) == 0);
	CU_ASSERT(info.writer_alive == 0);
	rc = shm_writer_open(&cfg, &w, err, sizeof(err));
	if (rc)
		fprintf(stderr, "\n  second writer: %s\n", err);
	CU_ASSERT_FATAL(rc == 0 && w != NULL);
	CU_ASSERT(w->st.copied_keys == 1);
	/* Now it is the one holding the election: a third is refused, even
	 * from the same process. */
	rc = shm_writer_open(&cfg, &w3, err, sizeof(err));
	CU_ASSERT(rc == -EBUSY && w3 == NULL);
	CU_ASSERT_FATAL(shmrep_info_get(h, &info) == 0);
	CU_ASSERT(info.writer_alive == 1);
	{
		char buf[16];
		size_t len;

		CU_ASSERT(
		    shmrep_get(h, 2, "first", 5, buf, sizeof(buf), &len) == 0);
		CU_ASSERT(len == 6 && memcmp(buf, "writer", 6) == 0);
	}
	chan_close(&a.res);
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/* ------------------------------------------------------------------ main */

static CU_TestInfo tests[] = {
    {"consistency", test_consistency},
    {"consistency_mutex", test_consistency_mutex},
    {"kill_in_section", test_kill_in_section},
    {"kill_writer", test_kill_writer},
    {"fork_slots", test_fork_slots},
    {"fork_in_snapshot", test_fork_in_snapshot},
    {"fork_dead_parent_idle_child", test_fork_dead_parent_idle_child},
    {"kill_idle_reader", test_kill_idle_reader},
    {"two_writers", test_two_writers},
    {"stopped_reader_full_region", test_stopped_reader_full_region},
    {"views_read_only", test_views_read_only},
    CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = {{"mproc", tests}, {NULL, NULL}};

	/* A child that is already gone must fail a test, not kill the run. */
	signal(SIGPIPE, SIG_IGN);
	return tu_main(argc, argv, suites);
}
