/*
 * testutil.c - see testutil.h.
 */
#include <CUnit/Basic.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "keys.h"
#include "region.h"
#include "testutil.h"
#include "writer.h"

#define MAX_NAMES 256

static char names[MAX_NAMES][SHM_NAME_BUF];
static int nnames;
static pid_t owner_pid;

/* Unlink every file of instance name in /dev/shm (data, ctl, tmp). */
static void unlink_all(const char *name)
{
	char prefix[SHM_NAME_BUF + 16];
	size_t plen = (size_t)snprintf(prefix, sizeof(prefix), "shmrep.%s.", name);
	DIR *d = opendir(SHM_DIR);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *rest = e->d_name + plen;

		if (strncmp(e->d_name, prefix, plen))
			continue;
		if (!strcmp(rest, "data") || !strcmp(rest, "ctl") ||
		    !strcmp(rest, "journal") ||
		    !strncmp(rest, "data.tmp.", 9) || !strncmp(rest, "ctl.tmp.", 8))
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

void tu_unlink_region(const char *name)
{
	unlink_all(name);
}

static void (*hooks[4])(void);
static int nhooks;

void tu_on_cleanup(void (*fn)(void))
{
	if (nhooks == (int)(sizeof(hooks) / sizeof(hooks[0])))
		abort();
	hooks[nhooks++] = fn;
}

static void cleanup(void)
{
	if (getpid() != owner_pid)
		return;
	for (int i = 0; i < nnames; i++)
		unlink_all(names[i]);
	for (int i = 0; i < nhooks; i++)
		hooks[i]();
}

static void on_fatal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

const char *tu_name(const char *tag)
{
	static int counter;

	if (nnames == MAX_NAMES)
		abort();
	snprintf(names[nnames], SHM_NAME_BUF, "t-%s-%d-%d", tag, (int)getpid(),
		 counter++);
	return names[nnames++];
}

int tu_mode = SHM_MODE_RCU;

struct shm_writer *tu_writer_slots(const char *name, uint64_t size,
				   uint32_t nslots)
{
	struct shm_writer_config cfg = {
		.name = name, .size = size, .ndb = 16, .nslots = nslots,
		.mode = tu_mode, .perm = 0600, .membarrier = true,
		.stall_warn_ms = 1000, .keep_data = true,
	};
	struct shm_writer *w = NULL;
	char err[256];
	int rc = shm_writer_open(&cfg, &w, err, sizeof(err));

	if (rc) {
		fprintf(stderr, "tu_writer(%s): %s\n", name, err);
		return NULL;
	}
	return w;
}

struct shm_writer *tu_writer(const char *name, uint64_t size)
{
	return tu_writer_slots(name, size, 64);
}

int tu_put(struct shm_writer *w, unsigned db, const void *key, size_t kl,
	   uint8_t type, const void *val, size_t vl, int64_t expire_ms)
{
	shm_ref r = keys_leaf_new(w, key, (uint32_t)kl, type, vl, expire_ms);

	if (!r)
		return -ENOMEM;
	if (vl)
		memcpy((uint8_t *)shm_wr_ptr(w, r) + sizeof(struct shm_leaf) +
			       kl,
		       val, vl);
	return keys_link(w, db, r, KEYS_REPLACE, NULL);
}

int tu_wset(struct shm_writer *w, unsigned db, const void *key, size_t kl,
	    uint8_t type, const void *val, size_t vl, int64_t expire_ms)
{
	int rc = shm_wr_begin(w);

	if (rc)
		return rc;
	rc = tu_put(w, db, key, kl, type, val, vl, expire_ms);
	if (rc) {
		shm_wr_abort(w);
		return rc;
	}
	shm_wr_commit(w);
	return 0;
}

int tu_set(struct shm_writer *w, unsigned db, const char *key,
	   const char *val, int64_t expire_ms)
{
	return tu_wset(w, db, key, strlen(key), SHM_T_STRING, val, strlen(val),
		       expire_ms);
}

int tu_setb(struct shm_writer *w, unsigned db, const char *key,
	    const void *val, size_t vl)
{
	return tu_wset(w, db, key, strlen(key), SHM_T_STRING, val, vl, 0);
}

int tu_del(struct shm_writer *w, unsigned db, const char *key)
{
	int rc = shm_wr_begin(w);

	if (rc)
		return rc;
	rc = keys_unlink(w, db, key, (uint32_t)strlen(key));
	if (rc) {
		shm_wr_abort(w);
		return rc;
	}
	shm_wr_commit(w);
	return 0;
}

pid_t tu_fork(int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		_exit(fn(arg) & 0xff);
	return pid;
}

int tu_wait(pid_t pid, int timeout_ms)
{
	uint64_t deadline = tu_now_ms() + (uint64_t)timeout_ms;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		if (tu_now_ms() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fprintf(stderr, "child %d timed out after %d ms\n",
				(int)pid, timeout_ms);
			return -1;
		}
		tu_sleep_ms(2);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

uint64_t tu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void tu_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

uint64_t tu_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t tu_seed(void)
{
	const char *e = getenv("SHMREP_SEED");
	uint64_t seed = e ? strtoull(e, NULL, 0) : (uint64_t)time(NULL) ^ (uint64_t)getpid();

	fprintf(stderr, "seed: SHMREP_SEED=%llu\n", (unsigned long long)seed);
	return seed;
}

int tu_main(int argc, char **argv, const struct tu_suite *suites)
{
	unsigned fails;
	const char *only = argc > 1 ? argv[1] : NULL;

	owner_pid = getpid();
	atexit(cleanup);
	signal(SIGSEGV, on_fatal);
	signal(SIGABRT, on_fatal);
	signal(SIGBUS, on_fatal);
	signal(SIGINT, on_fatal);
	signal(SIGTERM, on_fatal);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (const struct tu_suite *s = suites; s->name; s++) {
		CU_pSuite cs;

		if (only && strcmp(only, s->name))
			continue;
		cs = CU_add_suite(s->name, NULL, NULL);
		for (CU_TestInfo *t = s->tests; t->pName; t++)
			CU_add_test(cs, t->pName, t->pTestFunc);
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failure_records();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
