/*
 * test_crash.c - processes killed at random points, hundreds of times, in
 * both modes.
 *
 * writer: a writer process publishes batches in which every one of NKEYS
 *   keys gets the batch's generation, and is SIGKILLed after a random
 *   delay (often inside a batch: in mutex mode inside a write section,
 *   with the region half changed in place).  A reader that has followed
 *   every restart then reads; a new writer takes over (rolling back a
 *   mutex-mode section from its journal), publishes, and the reader must
 *   see one generation on every key, never a mix, and generations that
 *   never go backwards.
 * reader: a reader process loops through snapshots and is SIGKILLed at a
 *   random point, inside or outside one; the writer (this process) must
 *   keep writing (in mutex mode it must not wait on the dead reader past
 *   its probe) and the slot must come back.
 *
 * The iteration counts and what happened are printed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keys.h"
#include "shmrep.h"
#include "testutil.h"
#include "writer.h"

#define NKEYS 64
#define MB (1024ull * 1024)
#define ITERS_WRITER 150
#define ITERS_READER 100

static int set_gen(struct shm_writer *w, int i, uint64_t g)
{
	char k[16], v[24];

	snprintf(k, sizeof(k), "k%d", i);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)g);
	return tu_set(w, 0, k, v, 0);
}

struct wr_arg {
	const char *name;
	int mode;
	int ready; /* pipe: one byte after the first publication */
	uint64_t start_gen;
};

/* A writer process: take over, then publish generations until killed. */
static int writer_proc(void *p)
{
	struct wr_arg *a = p;
	struct shm_writer *w;
	uint64_t g = a->start_gen;

	tu_mode = a->mode;
	w = tu_writer(a->name, 16 * MB);
	if (!w)
		return 10;
	for (int i = 0; i < NKEYS; i++)
		if (set_gen(w, i, g))
			return 11;
	if (shm_wr_publish(w) < 0)
		return 12;
	if (write(a->ready, "r", 1) != 1)
		return 13;
	for (;;) {
		g++;
		for (int i = 0; i < NKEYS; i++)
			if (set_gen(w, i, g))
				return 14;
		if (shm_wr_publish(w) < 0)
			return 15;
	}
}

/* Read every key in one snapshot: the common generation in *gen, 1 if
 * consistent, 0 on a mix, or a negative error. */
static int read_gen(shmrep *h, uint64_t *gen)
{
	shmrep_snapshot *s;
	int rc = shmrep_snapshot_begin(h, &s), ok = 1;

	if (rc)
		return rc;
	for (int i = 0; i < NKEYS && ok == 1; i++) {
		char k[16], v[24];
		shmrep_view view;
		uint64_t x;

		snprintf(k, sizeof(k), "k%d", i);
		rc = shmrep_snapshot_get(s, 0, k, strlen(k), &view);
		if (rc) {
			ok = rc;
			break;
		}
		snprintf(v, sizeof(v), "%.*s", (int)view.len, (const char *)view.ptr);
		x = strtoull(v, NULL, 10);
		if (i == 0)
			*gen = x;
		else if (x != *gen)
			ok = 0;
	}
	shmrep_snapshot_end(s);
	return ok;
}

static void writer_crashes(int mode)
{
	const char *name = tu_name(mode == SHM_MODE_MUTEX ? "wcm" : "wcr");
	uint64_t rs = tu_seed(), last = 0, unusable = 0, mixes = 0;
	uint64_t backwards = 0, fails = 0;
	shmrep *h = NULL;
	int it;

	for (it = 0; it < ITERS_WRITER; it++) {
		struct wr_arg a = { .name = name, .mode = mode,
				    .start_gen = last + 1 };
		int fds[2], rc;
		uint64_t g = 0;
		char c;
		pid_t pid;

		CU_ASSERT_FATAL(pipe(fds) == 0);
		a.ready = fds[1];
		pid = tu_fork(writer_proc, &a);
		close(fds[1]);
		/* The new writer took over (and repaired) the region and
		 * published: the reader follows it, and sees one generation. */
		if (read(fds[0], &c, 1) != 1) {
			fails++;
			close(fds[0]);
			tu_wait(pid, 5000);
			continue;
		}
		close(fds[0]);
		if (!h)
			CU_ASSERT_FATAL(shmrep_open(name, 0, &h) == 0);
		rc = read_gen(h, &g);
		if (rc != 1) {
			fprintf(stderr, "\n  iteration %d: after takeover rc %d\n",
				it, rc);
			mixes += rc == 0;
			fails += rc < 0;
		} else if (g < last) {
			backwards++;
		} else {
			last = g;
		}
		/* Let it write a while, then kill it wherever it is. */
		tu_sleep_ms((unsigned)(tu_rand(&rs) % 6));
		kill(pid, SIGKILL);
		CU_ASSERT(tu_wait(pid, 5000) == 128 + SIGKILL);
		/* With its writer dead: rcu readers read the last version;
		 * mutex readers either do too or, if it died inside a write
		 * section, are told the region is unusable (never torn). */
		rc = read_gen(h, &g);
		if (rc == SHMREP_EUNUSABLE && mode == SHM_MODE_MUTEX) {
			unusable++;
		} else if (rc != 1) {
			fprintf(stderr, "\n  iteration %d: dead writer rc %d\n",
				it, rc);
			mixes += rc == 0;
			fails += rc < 0;
		} else if (g < last) {
			backwards++;
		} else {
			last = g;
		}
	}
	fprintf(stderr,
		"\n  %s: %d writer kills, %llu inside a write section, "
		"last generation %llu; %llu mixes, %llu backwards, %llu failures\n  ",
		mode == SHM_MODE_MUTEX ? "mutex" : "rcu", it,
		(unsigned long long)unusable, (unsigned long long)last,
		(unsigned long long)mixes, (unsigned long long)backwards,
		(unsigned long long)fails);
	CU_ASSERT(mixes == 0);
	CU_ASSERT(backwards == 0);
	CU_ASSERT(fails == 0);
	if (mode == SHM_MODE_MUTEX)
		CU_ASSERT(unusable > 0); /* the kill points did hit sections */
	shmrep_close(h);
	tu_unlink_region(name);
}

static void test_writer_crash_rcu(void)
{
	writer_crashes(SHM_MODE_RCU);
}

static void test_writer_crash_mutex(void)
{
	writer_crashes(SHM_MODE_MUTEX);
}

struct rd_arg {
	const char *name;
	int ready;
};

/* A reader process: snapshot after snapshot, each held a little. */
static int reader_proc(void *p)
{
	struct rd_arg *a = p;
	shmrep *h;
	uint64_t g;
	bool told = false;

	if (shmrep_open(a->name, 0, &h))
		return 20;
	for (;;) {
		shmrep_snapshot *s;

		if (shmrep_snapshot_begin(h, &s))
			return 21;
		if (!told) {
			told = write(a->ready, "r", 1) == 1;
		}
		for (volatile int spin = 0; spin < 20000; spin++)
			;
		shmrep_snapshot_end(s);
		if (read_gen(h, &g) != 1)
			return 22;
	}
}

static void reader_crashes(int mode)
{
	const char *name = tu_name(mode == SHM_MODE_MUTEX ? "rcm" : "rcr");
	uint64_t rs = tu_seed(), g = 1, dead0, busy = 0;
	struct shm_writer *w;
	int it;

	tu_mode = mode;
	w = tu_writer_slots(name, 16 * MB, 8);
	tu_mode = SHM_MODE_RCU;
	CU_ASSERT_FATAL(w != NULL);
	w->drain_timeout_ms = 2000;
	for (int i = 0; i < NKEYS; i++)
		CU_ASSERT_FATAL(set_gen(w, i, g) == 0);
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	dead0 = w->st.dead_readers;
	for (it = 0; it < ITERS_READER; it++) {
		struct rd_arg a = { .name = name };
		int fds[2];
		char c;
		pid_t pid;

		CU_ASSERT_FATAL(pipe(fds) == 0);
		a.ready = fds[1];
		pid = tu_fork(reader_proc, &a);
		close(fds[1]);
		CU_ASSERT_FATAL(read(fds[0], &c, 1) == 1);
		close(fds[0]);
		/* Write while it reads, then kill it at a random point. */
		for (int k = 0; k < 3; k++) {
			g++;
			for (int i = 0; i < NKEYS; i++) {
				int rc = set_gen(w, i, g);

				busy += rc == -EBUSY;
				CU_ASSERT_FATAL(rc == 0 || rc == -EBUSY);
			}
			shm_wr_publish(w);
		}
		tu_sleep_ms((unsigned)(tu_rand(&rs) % 3));
		kill(pid, SIGKILL);
		CU_ASSERT(tu_wait(pid, 5000) == 128 + SIGKILL);
		/* The writer carries on: a dead reader never blocks it. */
		g++;
		for (int i = 0; i < NKEYS; i++)
			CU_ASSERT_FATAL(set_gen(w, i, g) == 0);
		CU_ASSERT(shm_wr_publish(w) == 1);
	}
	/* Every dead slot found and freed: all 8 slots were reused over
	 * 100 readers, so the dead were probed and cleared. */
	fprintf(stderr,
		"\n  %s: %d reader kills, %llu dead slots freed by the writer, "
		"%llu writes refused BUSY\n  ",
		mode == SHM_MODE_MUTEX ? "mutex" : "rcu", it,
		(unsigned long long)(w->st.dead_readers - dead0),
		(unsigned long long)busy);
	CU_ASSERT(busy == 0);
	CU_ASSERT(w->st.dead_readers - dead0 > 0);
	/* Nothing pinned any more (the last reader's slot is found dead at
	 * the writer's next probe, at most 100 ms on), nothing leaked. */
	for (int k = 0; k < 100 && w->retired.n != w->retire_head; k++) {
		tu_sleep_ms(10);
		shm_wr_reclaim(w);
	}
	CU_ASSERT(w->retired.n == w->retire_head);
	CU_ASSERT(alloc_check(&w->alloc) == 0);
	shm_writer_close(w);
	tu_unlink_region(name);
}

static void test_reader_crash_rcu(void)
{
	reader_crashes(SHM_MODE_RCU);
}

static void test_reader_crash_mutex(void)
{
	reader_crashes(SHM_MODE_MUTEX);
}

static CU_TestInfo tests[] = {
	{ "writer_crash_rcu", test_writer_crash_rcu },
	{ "writer_crash_mutex", test_writer_crash_mutex },
	{ "reader_crash_rcu", test_reader_crash_rcu },
	{ "reader_crash_mutex", test_reader_crash_mutex },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = { { "crash", tests }, { NULL, NULL } };

	signal(SIGPIPE, SIG_IGN);
	return tu_main(argc, argv, suites);
}
