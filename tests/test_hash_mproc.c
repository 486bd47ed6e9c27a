/*
 * test_hash_mproc.c - readers in other processes see one version of a
 * large hash and a large set, whole, while a writer process rewrites them.
 *
 * The writer rewrites three collections in every batch, over several
 * commands, and publishes once per batch: a hash H whose fields all take
 * the value "G:i" for generation G (and whose size changes with G, so
 * fields come and go), a set S whose members are all "G:i" (every member
 * is replaced), and a hash HS that is deleted and rebuilt with 1 to 200
 * fields, so that it is packed in some generations and a trie in others.
 * The string G holds the generation.  Reader processes iterate all three
 * through shmrep_snapshot_hiter/siter in one snapshot and check that every
 * entry carries the snapshot's generation, that the counts are exactly the
 * generation's (iteration, HLEN/SCARD and the expected size agree), that
 * no entry comes twice, and, in rcu mode, that the views read the same
 * after the writer has published again under them.  Each process runs
 * under a deadline; the run is repeated in mutex mode.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "c_hash.h"
#include "keys.h"
#include "shmrep.h"
#include "testutil.h"
#include "writer.h"

#define MB (1024u * 1024u)
#define NREADERS 3
#define RUN_MS 3000
#define HMAX 350
#define SMAX 450

static uint32_t h_size(uint64_t g)
{
	return 150 + (uint32_t)((g * 37) % 200);
}

static uint32_t s_size(uint64_t g)
{
	return 150 + (uint32_t)((g * 53) % 300);
}

static uint32_t hs_size(uint64_t g)
{
	return 1 + (uint32_t)((g * 29) % 200);
}

struct stats {
	uint64_t checks;
	uint64_t gens; /* distinct generations seen */
	uint64_t errors;
	char msg[256];
};

struct mp_arg {
	const char *name;
	int mode;
	int ready_fd;
	uint64_t end_ms;
	struct stats *st; /* shared with the parent */
};

/* ---------------------------------------------------------------- writer */

static int begin(struct shm_writer *w)
{
	int rc;

	/* Mutex mode: a reader in a read section holds the first command
	 * of a batch off; try again. */
	while ((rc = shm_wr_begin(w)) == -EBUSY)
		tu_sleep_ms(1);
	return rc;
}

static int end(struct shm_writer *w, int rc)
{
	if (rc)
		shm_wr_abort(w);
	else
		shm_wr_commit(w);
	return rc;
}

/* Fields "f<i>" = "g:<i>" for i in [from, to) of hash key, in one command. */
static int set_fields(struct shm_writer *w, const char *key, uint64_t g,
		      uint32_t from, uint32_t to)
{
	static char f[HMAX][16], v[HMAX][32];
	static shmrep_view fv[2 * HMAX];
	uint64_t added;
	int rc = begin(w);

	for (uint32_t i = from; i < to; i++) {
		uint32_t k = i - from;

		snprintf(f[k], sizeof(f[k]), "f%u", i);
		snprintf(v[k], sizeof(v[k]), "%llu:%u", (unsigned long long)g, i);
		fv[2 * k] = (shmrep_view){ f[k], strlen(f[k]) };
		fv[2 * k + 1] = (shmrep_view){ v[k], strlen(v[k]) };
	}
	if (!rc)
		rc = chash_hset(w, 0, key, (uint32_t)strlen(key), fv, to - from,
				false, &added);
	return end(w, rc);
}

/* Members "g:<i>" for i in [0, n) added to or removed from set S. */
static int set_members(struct shm_writer *w, uint64_t g, uint32_t n, bool add)
{
	static char m[SMAX][32];
	static shmrep_view mv[SMAX];
	uint64_t done;
	int rc = begin(w);

	for (uint32_t i = 0; i < n; i++) {
		snprintf(m[i], sizeof(m[i]), "%llu:%u", (unsigned long long)g, i);
		mv[i] = (shmrep_view){ m[i], strlen(m[i]) };
	}
	if (!rc)
		rc = (add ? chash_sadd : chash_srem)(w, 0, "S", 1, mv, n, &done);
	return end(w, rc);
}

static int generation(struct shm_writer *w, uint64_t g)
{
	static char f[HMAX][16];
	static shmrep_view fv[HMAX];
	uint32_t n = h_size(g), nd = 0;
	char gs[32];
	uint64_t done;
	int rc = 0;

	/* H: every field to this generation, in commands of 64 fields,
	 * then the fields past this generation's size go. */
	for (uint32_t i = 0; i < n && !rc; i += 64)
		rc = set_fields(w, "H", g, i, i + 64 < n ? i + 64 : n);
	for (uint32_t i = n; i < HMAX; i++, nd++) {
		snprintf(f[nd], sizeof(f[nd]), "f%u", i);
		fv[nd] = (shmrep_view){ f[nd], strlen(f[nd]) };
	}
	if (!rc && !(rc = begin(w)))
		rc = end(w, chash_hdel(w, 0, "H", 1, fv, nd, &done));
	/* S: the new members first, so that the set never empties. */
	if (!rc)
		rc = set_members(w, g, s_size(g), true);
	if (!rc && g > 1)
		rc = set_members(w, g - 1, s_size(g - 1), false);
	/* HS: gone, then rebuilt at its new size. */
	if (!rc && !(rc = begin(w))) {
		rc = keys_unlink(w, 0, "HS", 2);
		rc = end(w, rc == -ENOENT ? 0 : rc);
	}
	if (!rc)
		rc = set_fields(w, "HS", g, 0, hs_size(g));
	snprintf(gs, sizeof(gs), "%llu", (unsigned long long)g);
	if (!rc) {
		while ((rc = tu_set(w, 0, "G", gs, 0)) == -EBUSY)
			tu_sleep_ms(1);
	}
	return rc;
}

static int writer_proc(void *arg)
{
	struct mp_arg *a = arg;
	struct shm_writer *w;
	uint64_t g;

	tu_mode = a->mode;
	w = tu_writer(a->name, 256 * MB);
	if (!w)
		return 10;
	for (g = 1;; g++) {
		if (generation(w, g)) {
			fprintf(stderr, "writer: generation %llu failed\n",
				(unsigned long long)g);
			return 11;
		}
		shm_wr_publish(w);
		if (g == 1 && write(a->ready_fd, "r", 1) != 1)
			return 12;
		if (tu_now_ms() >= a->end_ms)
			break;
	}
	fprintf(stderr, "writer (%s): %llu generations\n",
		a->mode == SHM_MODE_MUTEX ? "mutex" : "rcu",
		(unsigned long long)g);
	shm_writer_close(w);
	return 0;
}

/* --------------------------------------------------------------- readers */

static bool parse_u64(const void *p, size_t len, uint64_t *v, size_t *used)
{
	const char *s = p;
	size_t i = 0;

	*v = 0;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		*v = *v * 10 + (uint64_t)(s[i++] - '0');
	*used = i;
	return i > 0;
}

/* "g:i" with the expected g: true and *i. */
static bool gen_entry(const void *p, size_t len, uint64_t g, uint64_t *i)
{
	const char *s = p;
	uint64_t x;
	size_t u, u2;

	return parse_u64(s, len, &x, &u) && x == g && u < len && s[u] == ':' &&
	       parse_u64(s + u + 1, len - u - 1, i, &u2) && u + 1 + u2 == len;
}

#define FAIL(...)                                                              \
	do {                                                                   \
		snprintf(st->msg, sizeof(st->msg), __VA_ARGS__);               \
		return false;                                                  \
	} while (0)

/* Hash key as generation g has it: every field's value and the count. */
static bool check_hash(shmrep_snapshot *s, const char *key, uint64_t g,
		       uint32_t want, struct stats *st)
{
	bool seen[HMAX] = { false };
	shmrep_iter it;
	shmrep_entry e;
	uint64_t n, count = 0, i, fi;
	size_t u;
	int rc;

	rc = shmrep_snapshot_hlen(s, 0, key, strlen(key), &n);
	if (rc || n != want)
		FAIL("%s: hlen rc %d n %llu, generation %llu wants %u", key, rc,
		     (unsigned long long)n, (unsigned long long)g, want);
	rc = shmrep_snapshot_hiter(s, 0, key, strlen(key), &it);
	if (rc)
		FAIL("%s: hiter %d", key, rc);
	while ((rc = shmrep_iter_next(&it, &e)) == 1) {
		const char *f = e.key.ptr;

		if (!gen_entry(e.value.ptr, e.value.len, g, &i) || i >= want ||
		    seen[i])
			FAIL("%s: value %.*s in generation %llu", key,
			     (int)e.value.len, (const char *)e.value.ptr,
			     (unsigned long long)g);
		if (e.key.len < 2 || f[0] != 'f' ||
		    !parse_u64(f + 1, e.key.len - 1, &fi, &u) ||
		    u != e.key.len - 1 || fi != i)
			FAIL("%s: field %.*s holds %.*s", key, (int)e.key.len,
			     f, (int)e.value.len, (const char *)e.value.ptr);
		seen[i] = true;
		count++;
	}
	if (rc || count != want)
		FAIL("%s: iteration rc %d gave %llu of %u (generation %llu)",
		     key, rc, (unsigned long long)count, want,
		     (unsigned long long)g);
	return true;
}

static bool check_set(shmrep_snapshot *s, uint64_t g, uint32_t want,
		      struct stats *st, uint64_t *rs)
{
	bool seen[SMAX] = { false };
	shmrep_iter it;
	shmrep_entry e;
	uint64_t n, count = 0, i;
	char m[32];
	int rc = shmrep_snapshot_scard(s, 0, "S", 1, &n);

	if (rc || n != want)
		FAIL("S: scard rc %d n %llu, generation %llu wants %u", rc,
		     (unsigned long long)n, (unsigned long long)g, want);
	rc = shmrep_snapshot_siter(s, 0, "S", 1, &it);
	if (rc)
		FAIL("S: siter %d", rc);
	while ((rc = shmrep_iter_next(&it, &e)) == 1) {
		if (!gen_entry(e.key.ptr, e.key.len, g, &i) || i >= want ||
		    seen[i])
			FAIL("S: member %.*s in generation %llu",
			     (int)e.key.len, (const char *)e.key.ptr,
			     (unsigned long long)g);
		seen[i] = true;
		count++;
	}
	if (rc || count != want)
		FAIL("S: iteration rc %d gave %llu of %u (generation %llu)", rc,
		     (unsigned long long)count, want, (unsigned long long)g);
	snprintf(m, sizeof(m), "%llu:%llu", (unsigned long long)g,
		 (unsigned long long)(tu_rand(rs) % want));
	if (shmrep_snapshot_sismember(s, 0, "S", 1, m, strlen(m)) != 1)
		FAIL("S: %s missing", m);
	snprintf(m, sizeof(m), "%llu:0", (unsigned long long)(g - 1));
	if (g > 1 && shmrep_snapshot_sismember(s, 0, "S", 1, m, strlen(m)))
		FAIL("S: %s still there in generation %llu", m,
		     (unsigned long long)g);
	return true;
}

static bool check_once(shmrep *h, struct stats *st, bool linger, uint64_t *rs,
		       uint64_t *last)
{
	shmrep_snapshot *s;
	shmrep_view v;
	uint64_t g;
	size_t u;
	bool ok;
	int rc = shmrep_snapshot_begin(h, &s);

	if (rc)
		FAIL("snapshot_begin %d", rc);
	rc = shmrep_snapshot_get(s, 0, "G", 1, &v);
	if (rc || !parse_u64(v.ptr, v.len, &g, &u) || u != v.len) {
		shmrep_snapshot_end(s);
		FAIL("G: rc %d", rc);
	}
	ok = check_hash(s, "H", g, h_size(g), st) &&
	     check_set(s, g, s_size(g), st, rs) &&
	     check_hash(s, "HS", g, hs_size(g), st);
	/* Hold the version while the writer publishes newer ones: the
	 * views must not move. */
	if (ok && linger) {
		tu_sleep_ms(2);
		ok = check_hash(s, "H", g, h_size(g), st) &&
		     check_set(s, g, s_size(g), st, rs);
	}
	shmrep_snapshot_end(s);
	if (ok && g != *last) {
		st->gens++;
		*last = g;
	}
	return ok;
}

static int reader_proc(void *arg)
{
	struct mp_arg *a = arg;
	struct stats *st = a->st;
	uint64_t rs = (uint64_t)getpid(), last = 0;
	shmrep *h;
	int rc = shmrep_open(a->name, 0, &h);

	if (rc) {
		snprintf(st->msg, sizeof(st->msg), "open: %s",
			 shmrep_strerror(rc));
		return 20;
	}
	while (tu_now_ms() < a->end_ms) {
		bool linger = a->mode == SHM_MODE_RCU && tu_rand(&rs) % 8 == 0;

		if (!check_once(h, st, linger, &rs, &last)) {
			st->errors++;
			break;
		}
		st->checks++;
	}
	shmrep_close(h);
	return st->errors ? 21 : 0;
}

/* ------------------------------------------------------------------ test */

static void run(int mode)
{
	const char *name = tu_name(mode == SHM_MODE_MUTEX ? "hmpm" : "hmpr");
	struct stats *st = mmap(NULL, NREADERS * sizeof(*st),
				PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct mp_arg wa = { .name = name, .mode = mode }, ra[NREADERS];
	pid_t wpid, rpid[NREADERS];
	int fds[2], rc;
	char c;

	CU_ASSERT_FATAL(st != MAP_FAILED);
	memset(st, 0, NREADERS * sizeof(*st));
	CU_ASSERT_FATAL(pipe(fds) == 0);
	wa.ready_fd = fds[1];
	wa.end_ms = tu_now_ms() + RUN_MS + 500;
	wpid = tu_fork(writer_proc, &wa);
	close(fds[1]);
	CU_ASSERT_FATAL(wpid > 0);
	rc = (int)read(fds[0], &c, 1);
	close(fds[0]);
	if (rc != 1) {
		CU_FAIL("the writer did not start");
		tu_wait(wpid, 10000);
		return;
	}
	for (int i = 0; i < NREADERS; i++) {
		ra[i] = wa;
		ra[i].st = &st[i];
		ra[i].end_ms = tu_now_ms() + RUN_MS;
		rpid[i] = tu_fork(reader_proc, &ra[i]);
		CU_ASSERT_FATAL(rpid[i] > 0);
	}
	for (int i = 0; i < NREADERS; i++) {
		rc = tu_wait(rpid[i], RUN_MS + 30000);
		fprintf(stderr,
			"reader %d (%s): exit %d, %llu snapshots checked, %llu generations%s%s\n",
			i, mode == SHM_MODE_MUTEX ? "mutex" : "rcu", rc,
			(unsigned long long)st[i].checks,
			(unsigned long long)st[i].gens, st[i].msg[0] ? ": " : "",
			st[i].msg);
		CU_ASSERT(rc == 0);
		CU_ASSERT(st[i].errors == 0);
		CU_ASSERT(st[i].checks > 10);
		CU_ASSERT(st[i].gens > 2);
	}
	CU_ASSERT(tu_wait(wpid, 30000) == 0);
	munmap(st, NREADERS * sizeof(*st));
	tu_unlink_region(name);
}

static void test_rcu(void)
{
	run(SHM_MODE_RCU);
}

static void test_mutex(void)
{
	run(SHM_MODE_MUTEX);
}

static CU_TestInfo tests[] = {
	{ "consistent_rcu", test_rcu },
	{ "consistent_mutex", test_mutex },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = { { "hash_mproc", tests },
					   { NULL, NULL } };

	return tu_main(argc, argv, suites);
}
