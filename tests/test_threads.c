/*
 * test_threads.c - one handle, many threads; and many handles, many threads.
 *
 * The writer runs in a thread of its own (the only one that touches the
 * struct shm_writer); readers are other threads.  CUnit's assertions are
 * not thread-safe, so threads count their failures and the main thread
 * asserts on the counts after joining them.
 *
 * Built with -DSHMREP_TSAN=ON this suite is the ThreadSanitizer run: the
 * library then keeps its own full fences (TSan cannot see the writer's
 * membarrier), and the writer's and readers' mappings of the region are at
 * different addresses, so what TSan checks is the library's process-local
 * state: thread states, the handle's slot bookkeeping, open and close.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "keys.h"
#include "region.h"
#include "shmrep.h"
#include "testutil.h"
#include "writer.h"

#define MB (1024u * 1024u)
#define NTHREADS 8
#define NKEYS 64
#define NDBS 4
#define RUN_MS 3000

static uint32_t my_tid(void)
{
	return (uint32_t)syscall(SYS_gettid);
}

/* ------------------------------------------------------------- the data */

static size_t mkval(char *buf, size_t cap, uint64_t g, int i)
{
	size_t n =
	    (size_t)snprintf(buf, cap, "G%llu:I%d:", (unsigned long long)g, i);
	size_t want = 16 + (size_t)((g * 37 + (uint64_t)i * 101) % 480);

	if (want > cap)
		want = cap;
	for (size_t p = n; p < want; p++)
		buf[p] = (char)('a' + (g + (uint64_t)i + p) % 26);
	return want;
}

static bool val_is(const void *p, size_t len, uint64_t g, int i)
{
	char buf[512];
	size_t n = mkval(buf, sizeof(buf), g, i);

	return len == n && memcmp(p, buf, n) == 0;
}

static bool gone(uint64_t g, int i)
{
	uint64_t s = g * 1000003u + (uint64_t)i;

	return tu_rand(&s) % 5 == 0;
}

/* Generation g: every key at g or deleted, "gen" = g; failures counted. */
static int batch(struct shm_writer *w, uint64_t g)
{
	char k[32], v[512];
	int bad = 0;

	for (int i = 0; i < NKEYS; i++) {
		unsigned db = (unsigned)(i % NDBS);

		snprintf(k, sizeof(k), "c:%d", i);
		if (gone(g, i)) {
			int rc = shm_wr_begin(w);

			if (rc) {
				bad++;
				continue;
			}
			rc = keys_unlink(w, db, k, (uint32_t)strlen(k));
			if (rc)
				shm_wr_abort(w);
			else
				shm_wr_commit(w);
			bad += rc != 0 && rc != -ENOENT;
			continue;
		}
		bad += tu_setb(w, db, k, v, mkval(v, sizeof(v), g, i)) != 0;
	}
	snprintf(v, sizeof(v), "%llu", (unsigned long long)g);
	bad += tu_setb(w, 0, "gen", v, strlen(v)) != 0;
	bad += shm_wr_publish(w) != 1;
	return bad;
}

/* One snapshot: all keys of one generation, not older than *last. */
static int check_snapshot(shmrep *h, uint64_t *last)
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
	if (g < *last)
		rc = -1001;
	*last = g;
	for (int i = 0; i < NKEYS && !rc; i++) {
		char k[16];
		int r;

		snprintf(k, sizeof(k), "c:%d", i);
		r = shmrep_snapshot_get(s, i % NDBS, k, strlen(k), &v);
		if (gone(g, i) ? r != SHMREP_ENOENT
			       : (r || !val_is(v.ptr, v.len, g, i)))
			rc = -1002;
	}
	shmrep_snapshot_end(s);
	return rc;
}

/* --------------------------------------------------------- writer thread */

struct wr_thread {
	struct shm_writer *w;
	volatile int stop; /* accessed with __atomic */
	uint64_t g;	   /* next generation */
	uint64_t batches;
	int bad;
	pthread_t th;
};

static void *writer_main(void *arg)
{
	struct wr_thread *wt = arg;

	while (!__atomic_load_n(&wt->stop, __ATOMIC_ACQUIRE)) {
		wt->bad += batch(wt->w, wt->g++);
		wt->batches++;
		if (wt->batches % 32 == 0)
			tu_sleep_ms(1);
	}
	return NULL;
}

static struct shm_writer *start_writer(struct wr_thread *wt, const char *name,
				       uint32_t nslots)
{
	memset(wt, 0, sizeof(*wt));
	wt->w = tu_writer_slots(name, 32 * MB, nslots);
	if (!wt->w)
		return NULL;
	wt->bad += batch(wt->w, wt->g++);
	if (pthread_create(&wt->th, NULL, writer_main, wt)) {
		shm_writer_close(wt->w);
		return NULL;
	}
	return wt->w;
}

static void stop_writer(struct wr_thread *wt)
{
	__atomic_store_n(&wt->stop, 1, __ATOMIC_RELEASE);
	pthread_join(wt->th, NULL);
}

/* ------------------------------------------------------ one shared handle */

struct rd_thread {
	shmrep *h;
	pthread_barrier_t *bar;
	pthread_t th;
	uint32_t tid;
	uint64_t snaps, gets;
	uint64_t first_g, last_g;
	int err; /* first error seen */
	int nerr;
};

static void *reader_main(void *arg)
{
	struct rd_thread *r = arg;
	uint64_t t0;
	int rc;

	r->tid = my_tid();
	/* First read claims this thread's slot; then the main thread looks
	 * at the table while everyone waits. */
	rc = check_snapshot(r->h, &r->last_g);
	if (rc) {
		r->err = rc;
		r->nerr++;
	}
	r->first_g = r->last_g;
	pthread_barrier_wait(r->bar);
	pthread_barrier_wait(r->bar);
	t0 = tu_now_ms();
	while (tu_now_ms() - t0 < RUN_MS) {
		char buf[512];
		size_t len;

		rc = check_snapshot(r->h, &r->last_g);
		if (rc) {
			if (!r->err)
				r->err = rc;
			r->nerr++;
		}
		r->snaps++;
		/* And a copying call: never fails for a present key. */
		rc = shmrep_get(r->h, 0, "gen", 3, buf, sizeof(buf), &len);
		if (rc) {
			if (!r->err)
				r->err = rc;
			r->nerr++;
		}
		r->gets++;
	}
	return NULL;
}

static void test_shared_handle(void)
{
	const char *name = tu_name("thr");
	struct wr_thread wt;
	struct rd_thread rd[NTHREADS];
	pthread_barrier_t bar;
	shmrep *h = NULL;
	shmrep_reader rows[2 * NTHREADS];
	size_t n = 0;
	uint64_t total = 0;

	CU_ASSERT_FATAL(start_writer(&wt, name, 64) != NULL);
	CU_ASSERT_FATAL(shmrep_open(name, 0, &h) == 0);
	CU_ASSERT_FATAL(pthread_barrier_init(&bar, NULL, NTHREADS + 1) == 0);
	for (int i = 0; i < NTHREADS; i++) {
		memset(&rd[i], 0, sizeof(rd[i]));
		rd[i].h = h;
		rd[i].bar = &bar;
		CU_ASSERT_FATAL(
		    pthread_create(&rd[i].th, NULL, reader_main, &rd[i]) == 0);
	}
	pthread_barrier_wait(&bar);
	/* Every thread has read once: one slot each, all different, each
	 * row naming its thread. */
	CU_ASSERT(shmrep_readers(h, rows, 2 * NTHREADS, &n) == 0);
	CU_ASSERT(n == NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		int found = 0;

		for (size_t j = 0; j < n; j++) {
			if (rows[j].tid == rd[i].tid) {
				found++;
				CU_ASSERT(rows[j].pid == (uint32_t)getpid());
				CU_ASSERT(rows[j].alive == 1);
			}
		}
		CU_ASSERT(found == 1);
	}
	for (size_t j = 0; j < n; j++)
		for (size_t k = 0; k < j; k++)
			CU_ASSERT(rows[j].slot != rows[k].slot);
	pthread_barrier_wait(&bar);
	for (int i = 0; i < NTHREADS; i++) {
		CU_ASSERT(pthread_join(rd[i].th, NULL) == 0);
		if (rd[i].nerr)
			fprintf(stderr,
				"\n  thread %d: %d errors, first %d (%s)", i,
				rd[i].nerr, rd[i].err,
				shmrep_strerror(rd[i].err));
		CU_ASSERT(rd[i].nerr == 0);
		CU_ASSERT(rd[i].snaps >= 50);
		CU_ASSERT(rd[i].last_g > rd[i].first_g);
		total += rd[i].snaps;
	}
	stop_writer(&wt);
	fprintf(stderr,
		"\n  %d threads: %llu snapshots checked, %llu batches "
		"published\n  ",
		NTHREADS, (unsigned long long)total,
		(unsigned long long)wt.batches);
	CU_ASSERT(wt.bad == 0);
	/* The threads have exited: their slots are back. */
	CU_ASSERT(shmrep_readers(h, rows, 2 * NTHREADS, &n) == 0);
	CU_ASSERT(n == 0);
	/* And the writer can free everything. */
	CU_ASSERT(batch(wt.w, wt.g++) == 0);
	CU_ASSERT(wt.w->min_pinned == UINT64_MAX);
	CU_ASSERT(wt.w->retired.n == wt.w->retire_head);
	pthread_barrier_destroy(&bar);
	shmrep_close(h);
	shm_writer_close(wt.w);
	tu_unlink_region(name);
}

/* ------------------------------------------------------ slots and exits */

struct once_arg {
	shmrep *h;
	pthread_barrier_t *hold; /* if set: wait here twice after reading */
	int rc;
	bool leave_snapshot; /* exit with a snapshot still open */
	uint32_t tid;
};

static void *once_main(void *arg)
{
	struct once_arg *a = arg;
	uint64_t last = 0;

	a->tid = my_tid();
	a->rc = check_snapshot(a->h, &last);
	if (a->leave_snapshot && !a->rc) {
		shmrep_snapshot *s;

		a->rc = shmrep_snapshot_begin(a->h, &s);
	}
	if (a->hold) {
		pthread_barrier_wait(a->hold);
		pthread_barrier_wait(a->hold);
	}
	return NULL;
}

static int run_once(shmrep *h, bool leave)
{
	struct once_arg a = {.h = h, .leave_snapshot = leave};
	pthread_t th;

	if (pthread_create(&th, NULL, once_main, &a))
		return -1;
	pthread_join(th, NULL);
	return a.rc;
}

static void test_thread_exit_releases(void)
{
	const char *name = tu_name("thrx");
	struct shm_writer *w = tu_writer_slots(name, 8 * MB, 2);
	shmrep *h = NULL;
	shmrep_reader rows[4];
	size_t n;
	int fails = 0;

	CU_ASSERT_FATAL(w != NULL);
	CU_ASSERT_FATAL(batch(w, 0) == 0);
	CU_ASSERT_FATAL(shmrep_open(name, 0, &h) == 0);
	/* Two slots, forty threads one after another: each exit gives its
	 * slot back. */
	for (int i = 0; i < 40; i++)
		fails += run_once(h, false) != 0;
	CU_ASSERT(fails == 0);
	CU_ASSERT(shmrep_readers(h, rows, 4, &n) == 0);
	CU_ASSERT(n == 0);
	/* Two threads holding the two slots: a third finds none. */
	{
		pthread_barrier_t hold;
		struct once_arg a[2];
		pthread_t th[2];

		CU_ASSERT_FATAL(pthread_barrier_init(&hold, NULL, 3) == 0);
		for (int i = 0; i < 2; i++) {
			memset(&a[i], 0, sizeof(a[i]));
			a[i].h = h;
			a[i].hold = &hold;
			CU_ASSERT_FATAL(pthread_create(&th[i], NULL, once_main,
						       &a[i]) == 0);
		}
		pthread_barrier_wait(&hold);
		CU_ASSERT(a[0].rc == 0 && a[1].rc == 0);
		CU_ASSERT(shmrep_readers(h, rows, 4, &n) == 0);
		CU_ASSERT(n == 2);
		CU_ASSERT(n == 2 && rows[0].tid != rows[1].tid);
		CU_ASSERT(run_once(h, false) == SHMREP_ENOSLOT);
		pthread_barrier_wait(&hold);
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&hold);
	}
	CU_ASSERT(run_once(h, false) == 0);
	/* A thread that exits with a snapshot still open gives its slot back
	 * too, and stops pinning its version. */
	fails = 0;
	for (int i = 0; i < 10; i++)
		fails += run_once(h, true) != 0;
	CU_ASSERT(fails == 0);
	CU_ASSERT(shmrep_readers(h, rows, 4, &n) == 0);
	CU_ASSERT(n == 0);
	CU_ASSERT(batch(w, 1) == 0);
	CU_ASSERT(w->min_pinned == UINT64_MAX);
	CU_ASSERT(w->retired.n == w->retire_head);
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/* ------------------------------------------ handles opened and closed */

struct oc_arg {
	const char *name;
	shmrep *shared; /* also read through this one */
	int iters;
	int nerr, err;
	uint64_t reads;
};

static void oc_fail(struct oc_arg *a, int rc)
{
	if (!a->err)
		a->err = rc;
	a->nerr++;
}

static void *oc_main(void *arg)
{
	struct oc_arg *a = arg;
	uint64_t last_shared = 0;

	for (int it = 0; it < a->iters; it++) {
		shmrep *h = NULL;
		uint64_t last = 0;
		shmrep_info info;
		shmrep_reader rows[64];
		size_t n;
		int rc = shmrep_open(a->name,
				     it % 3 == 0 ? SHMREP_OPEN_FENCE : 0, &h);

		if (rc) {
			oc_fail(a, rc);
			continue;
		}
		for (int k = 0; k < 5; k++) {
			rc = check_snapshot(h, &last);
			if (rc)
				oc_fail(a, rc);
			a->reads++;
		}
		if ((rc = shmrep_info_get(h, &info)) || info.writer_alive != 1)
			oc_fail(a, rc ? rc : -2000);
		rc = shmrep_readers(h, rows, 64, &n);
		if (rc)
			oc_fail(a, rc);
		/* Interleave a read through the shared handle. */
		rc = check_snapshot(a->shared, &last_shared);
		if (rc)
			oc_fail(a, rc);
		shmrep_close(h);
	}
	return NULL;
}

static void test_open_close_concurrent(void)
{
	const char *name = tu_name("throc");
	struct wr_thread wt;
	struct oc_arg a[NTHREADS];
	pthread_t th[NTHREADS];
	shmrep *shared = NULL;
	shmrep_reader rows[64];
	size_t n;
	int nerr = 0;
	uint64_t reads = 0, t0 = tu_now_ms();

	/* Fewer slots than opens: a leaked slot shows up as ENOSLOT. */
	CU_ASSERT_FATAL(start_writer(&wt, name, 2 * NTHREADS + 2) != NULL);
	CU_ASSERT_FATAL(shmrep_open(name, 0, &shared) == 0);
	for (int i = 0; i < NTHREADS; i++) {
		a[i] = (struct oc_arg){
		    .name = name, .shared = shared, .iters = 150};
		CU_ASSERT_FATAL(pthread_create(&th[i], NULL, oc_main, &a[i]) ==
				0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		if (a[i].nerr)
			fprintf(stderr,
				"\n  thread %d: %d errors, first %d (%s)", i,
				a[i].nerr, a[i].err, shmrep_strerror(a[i].err));
		nerr += a[i].nerr;
		reads += a[i].reads;
	}
	stop_writer(&wt);
	fprintf(stderr,
		"\n  %d threads x 150 open/read/close: %llu snapshots in "
		"%llu ms\n  ",
		NTHREADS, (unsigned long long)reads,
		(unsigned long long)(tu_now_ms() - t0));
	CU_ASSERT(nerr == 0);
	CU_ASSERT(wt.bad == 0);
	/* Every handle closed, every thread gone: no slot left claimed. */
	CU_ASSERT(shmrep_readers(shared, rows, 64, &n) == 0);
	CU_ASSERT(n == 0);
	shmrep_close(shared);
	shm_writer_close(wt.w);
	tu_unlink_region(name);
}

/* ------------------------------------------------------------------ main */

static CU_TestInfo tests[] = {
    {"shared_handle", test_shared_handle},
    {"thread_exit_releases", test_thread_exit_releases},
    {"open_close_concurrent", test_open_close_concurrent},
    CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = {{"threads", tests}, {NULL, NULL}};

	return tu_main(argc, argv, suites);
}
