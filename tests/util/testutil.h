/*
 * testutil.h - what every shmrep test program shares.
 *
 * - tu_main(): runs CUnit suites and exits non-zero on any failure (CUnit
 *   2.1-3's runner returns 0 even when tests fail).
 * - Region names unique to the test process, and removal of every region
 *   file a test created, at exit and on a fatal signal, so that nothing is
 *   left in /dev/shm even when a test fails.
 * - Child processes with a deadline: a hung child is killed and reported,
 *   never waited on forever.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <CUnit/CUnit.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct shm_writer;
struct shmrep_snapshot;

struct tu_suite {
	const char *name;
	CU_TestInfo *tests;
};

/* Run the suites (NULL-terminated) and return the process exit status. */
int tu_main(int argc, char **argv, const struct tu_suite *suites);

/* A fresh instance name "t-TAG-PID-N", removed at exit. */
const char *tu_name(const char *tag);
/* Run fn (async-signal-safe: it may run from a fatal signal) when the
 * test program exits or dies of SIGSEGV, SIGABRT, SIGBUS, SIGINT or
 * SIGTERM, as the regions of tu_name() are removed. */
void tu_on_cleanup(void (*fn)(void));

/* Remove an instance's region files now. */
void tu_unlink_region(const char *name);

/* The mode tu_writer() creates regions in (SHM_MODE_RCU by default). */
extern int tu_mode;

/* A writer on a fresh region of size bytes (tu_mode, 16 dbs). */
struct shm_writer *tu_writer(const char *name, uint64_t size);
struct shm_writer *tu_writer_slots(const char *name, uint64_t size,
				   uint32_t nslots);

/*
 * Through the writer, each in a command of its own; 0 or -errno: set key
 * to a value of any type held inline in its leaf (tu_wset), to a string
 * (tu_set: C strings; tu_setb: any bytes, no TTL), or delete it (tu_del).
 */
int tu_wset(struct shm_writer *w, unsigned db, const void *key, size_t kl,
	    uint8_t type, const void *val, size_t vl, int64_t expire_ms);
/* As tu_wset, inside the command the caller has open. */
int tu_put(struct shm_writer *w, unsigned db, const void *key, size_t kl,
	   uint8_t type, const void *val, size_t vl, int64_t expire_ms);
int tu_set(struct shm_writer *w, unsigned db, const char *key,
	   const char *val, int64_t expire_ms);
int tu_setb(struct shm_writer *w, unsigned db, const char *key,
	    const void *val, size_t vl);
int tu_del(struct shm_writer *w, unsigned db, const char *key);

/* The decimal string value of key in snapshot s as a number: 0, the
 * read's SHMREP_* error, or SHMREP_ERANGE if it is empty or too long. */
int tu_snap_u64(struct shmrep_snapshot *s, int db, const char *key,
		uint64_t *out);

/* fork() and run fn(arg) in the child; its return value is the exit code. */
pid_t tu_fork(int (*fn)(void *), void *arg);

/*
 * Wait for pid for at most timeout_ms.  Returns the exit code (0..255),
 * 128 + signal if it was killed by a signal, or -1 on timeout (the child
 * is then killed with SIGKILL and reaped).
 */
int tu_wait(pid_t pid, int timeout_ms);

/* Monotonic milliseconds. */
uint64_t tu_now_ms(void);

/* Sleep for ms milliseconds. */
void tu_sleep_ms(unsigned ms);

/* A small deterministic PRNG (splitmix64) for randomized tests. */
uint64_t tu_rand(uint64_t *state);

/* Seed for randomized tests: $SHMREP_SEED or the time; printed. */
uint64_t tu_seed(void);

#endif
