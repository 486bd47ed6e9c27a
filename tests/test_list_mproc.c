/*
 * test_list_mproc.c - readers in their own processes run LRANGE 0 -1 over
 * a large list while a writer process changes it, and must always see
 * exactly one version of it.
 *
 * The writer (a child process, its own region) keeps a list of about
 * 100,000 elements changing: pushes and pops at both ends, single and
 * several, LSET at random positions, RPOPLPUSH onto itself.  In the same
 * command as each change it stores a string key "meta" with a generation
 * number, the list's length and an order-sensitive checksum of the list,
 * sum(f(e_i) * B^i) mod 2^64, which it keeps up to date from the elements
 * it pushes and pops alone (B is odd, so a pop at the head divides by B).
 * It also rebuilds a second list "s" to hold generation % 150 copies of
 * "g<generation>", so that "s" goes through missing, packed and large
 * again and again.  It publishes after 1 to 10 commands.
 *
 * Three reader processes take snapshots in a loop: in each one "meta"
 * must agree with LLEN, with the checksum and length of the whole LRANGE
 * 0 -1, with LINDEX at a random position, and "s" must hold its
 * generation's copies exactly; generations never go back.  A version
 * mixed from two would fail the checksum.  The test runs in rcu mode
 * (readers never wait) and in mutex mode (the writer changes the list in
 * place while readers are kept out).  Every process runs under a deadline
 * (tu_wait), so a hang fails the test instead of the run.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "c_list.h"
#include "keys.h"
#include "shmrep.h"
#include "testutil.h"
#include "writer.h"

#define NREADERS 3
#define RUN_MS 3000
#define CHILD_TIMEOUT_MS 60000
#define INITIAL 100000u
#define SMALL_MOD 150u
#define B 0x9e3779b97f4a7c15ull

/* ----------------------------------------------------------------- pipes */

static int send_u64(int fd, uint64_t v)
{
	return write(fd, &v, sizeof(v)) == (ssize_t)sizeof(v) ? 0 : -1;
}

/* Read a u64 within timeout_ms: 0, or -1 (timeout, EOF). */
static int recv_u64(int fd, uint64_t *v, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint8_t *p = (uint8_t *)v;
	size_t got = 0;
	uint64_t deadline = tu_now_ms() + (uint64_t)timeout_ms;

	while (got < sizeof(*v)) {
		uint64_t now = tu_now_ms();
		ssize_t k;

		if (now >= deadline)
			return -1;
		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			continue;
		k = read(fd, p + got, sizeof(*v) - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}

/* -------------------------------------------------------------- checksum */

/* An element's contribution: FNV-1a, then a mix. */
static uint64_t f_elem(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	h ^= h >> 29;
	return h * 0xbf58476d1ce4e5b9ull;
}

static uint64_t b_inv(void)
{
	uint64_t x = B;

	/* Newton: each step doubles the correct low bits. */
	for (int i = 0; i < 6; i++)
		x *= 2 - B * x;
	return x;
}

static uint64_t b_pow(uint64_t e)
{
	uint64_t r = 1, b = B;

	for (; e; e >>= 1, b *= b)
		if (e & 1)
			r *= b;
	return r;
}

/* ---------------------------------------------------------------- writer */

struct wstate {
	struct shm_writer *w;
	uint64_t rs, counter;
	uint64_t gen, n, h, pow_n; /* the list: length, checksum, B^n */
	char buf[64][96]; /* elements of the open command */
	unsigned nbuf;
};

/* A fresh element (kept until the command ends: the editor points to
 * it). */
static const char *new_elem(struct wstate *s, size_t *len)
{
	char *b = s->buf[s->nbuf++ % 64];
	size_t want = 5 + tu_rand(&s->rs) % 36;
	int n = snprintf(b, 96, "e%" PRIu64 "-", s->counter++);

	if (tu_rand(&s->rs) % 50 == 0)
		want = 70;
	for (size_t i = (size_t)n; i < want; i++)
		b[i] = (char)('a' + (i + s->counter) % 26);
	*len = want > (size_t)n ? want : (size_t)n;
	return b;
}

static int push(struct wstate *s, struct clist_ed *e, bool head)
{
	size_t len;
	const char *p = new_elem(s, &len);
	int rc = clist_insert(e, head ? 0 : clist_count(e), p, len);

	if (rc)
		return rc;
	if (head)
		s->h = f_elem(p, len) + B * s->h;
	else
		s->h += f_elem(p, len) * s->pow_n;
	s->pow_n *= B;
	s->n++;
	return 0;
}

static int pop(struct wstate *s, struct clist_ed *e, bool head)
{
	uint64_t pos = head ? 0 : clist_count(e) - 1;
	const uint8_t *p;
	uint32_t len;
	int rc = clist_get(e, pos, &p, &len);

	if (!rc)
		rc = clist_delete(e, pos);
	if (rc)
		return rc;
	s->pow_n *= b_inv();
	if (head)
		s->h = (s->h - f_elem(p, len)) * b_inv();
	else
		s->h -= f_elem(p, len) * s->pow_n;
	s->n--;
	return 0;
}

static int lset(struct wstate *s, struct clist_ed *e)
{
	uint64_t pos = tu_rand(&s->rs) % s->n;
	const uint8_t *p;
	uint32_t plen;
	size_t len;
	const char *q = new_elem(s, &len);
	int rc = clist_get(e, pos, &p, &plen);

	if (!rc) {
		s->h += (f_elem(q, len) - f_elem(p, plen)) * b_pow(pos);
		rc = clist_set(e, pos, q, len);
	}
	return rc;
}

/* A string key in the open command. */
static int set_str(struct shm_writer *w, const char *key, const char *val)
{
	return tu_put(w, 0, key, strlen(key), SHM_T_STRING, val, strlen(val),
		      0);
}

/* "s" as generation gen wants it. */
static int rebuild_small(struct wstate *s)
{
	struct clist_ed e;
	char *v = s->buf[s->nbuf++ % 64];
	int len = snprintf(v, 96, "g%" PRIu64, s->gen);
	int rc = clist_open(&e, s->w, 0, "s", 1);

	if (!rc)
		rc = clist_keep(&e, 0, 0);
	for (uint64_t i = 0; !rc && i < s->gen % SMALL_MOD; i++)
		rc = clist_insert(&e, i, v, (uint64_t)len);
	return rc ? rc : clist_close(&e);
}

/* One command: some changes to "L", then "meta" and "s" to match. */
static int change(struct wstate *s)
{
	struct clist_ed e;
	char meta[96];
	unsigned what = (unsigned)(tu_rand(&s->rs) % 100);
	bool grow = s->n < INITIAL;
	int k = 1 + (int)(tu_rand(&s->rs) % 3), rc;

	s->nbuf = 0;
	rc = clist_open(&e, s->w, 0, "L", 1);
	for (int i = 0; i < k && !rc; i++) {
		if (what < (grow ? 35u : 25u))
			rc = push(s, &e, tu_rand(&s->rs) % 2);
		else if (what < 60)
			rc = pop(s, &e, tu_rand(&s->rs) % 2);
		else if (what < 85)
			rc = lset(s, &e);
		else if (!(rc = pop(s, &e, false)))
			rc = push(s, &e, true); /* RPOPLPUSH L L, by hand */
	}
	if (!rc)
		rc = clist_close(&e);
	s->gen++;
	snprintf(meta, sizeof(meta), "%" PRIu64 " %" PRIu64 " %016" PRIx64,
		 s->gen, s->n, s->h);
	if (!rc)
		rc = set_str(s->w, "meta", meta);
	if (!rc)
		rc = rebuild_small(s);
	return rc;
}

struct wargs {
	const char *name;
	int mode;
	int ready[2], stop[2], done[2];
};

static int writer_main(void *arg)
{
	struct wargs *a = arg;
	struct wstate s = { .rs = 77, .pow_n = 1 };
	struct clist_ed e;
	uint64_t stop;
	int rc;

	tu_mode = a->mode;
	s.w = tu_writer(a->name, 512u << 20);
	if (!s.w)
		return 2;
	/* The initial list, 60 elements per command (fewer than new_elem()
	 * keeps: a packed list points to them until it closes). */
	while (s.n < INITIAL) {
		if (shm_wr_begin(s.w))
			return 3;
		s.nbuf = 0;
		rc = clist_open(&e, s.w, 0, "L", 1);
		for (int i = 0; !rc && i < 60; i++)
			rc = push(&s, &e, false);
		if (!rc)
			rc = clist_close(&e);
		if (rc)
			return 4;
		shm_wr_commit(s.w);
	}
	if (shm_wr_begin(s.w) || change(&s))
		return 5;
	shm_wr_commit(s.w);
	shm_wr_publish(s.w);
	send_u64(a->ready[1], s.gen);
	for (;;) {
		struct pollfd pfd = { .fd = a->stop[0], .events = POLLIN };
		unsigned batch = 1 + (unsigned)(tu_rand(&s.rs) % 10);

		if (poll(&pfd, 1, 0) > 0)
			break;
		for (unsigned i = 0; i < batch; i++) {
			uint64_t g = s.gen, n = s.n, h = s.h, p = s.pow_n;

			rc = shm_wr_begin(s.w);
			if (rc == -EBUSY)
				continue; /* mutex mode: a reader held on */
			if (rc)
				return 6;
			rc = change(&s);
			if (rc) {
				/* The region filled up (readers pinning old
				 * versions): undo, and the state with it. */
				shm_wr_abort(s.w);
				s.gen = g;
				s.n = n;
				s.h = h;
				s.pow_n = p;
				break;
			}
			shm_wr_commit(s.w);
		}
		shm_wr_publish(s.w);
	}
	(void)recv_u64(a->stop[0], &stop, 1000);
	send_u64(a->done[1], s.gen);
	shm_writer_close(s.w);
	return 0;
}

/* ---------------------------------------------------------------- reader */

struct rargs {
	const char *name;
	int idx;
	int res[2];
};

#define FAIL(...)                                                           \
	do {                                                                \
		fprintf(stderr, "reader %d: ", a->idx);                     \
		fprintf(stderr, __VA_ARGS__);                               \
		fputc('\n', stderr);                                        \
		goto bad;                                                   \
	} while (0)

/* One snapshot, checked.  0, or 1 after a message. */
static int check_once(struct rargs *a, shmrep *h, uint64_t *rs,
		      uint64_t *last_gen)
{
	shmrep_snapshot *s;
	shmrep_view v;
	shmrep_iter it;
	shmrep_entry en;
	char meta[96], want[32];
	uint64_t gen, len, sum, n, got = 0, hh = 0, p = 1, probe, fprobe = 0;
	int rc = shmrep_snapshot_begin(h, &s), wl;

	if (rc) {
		fprintf(stderr, "reader %d: snapshot: %s\n", a->idx,
			shmrep_strerror(rc));
		return 1;
	}
	rc = shmrep_snapshot_get(s, 0, "meta", 4, &v);
	if (rc || v.len >= sizeof(meta))
		FAIL("meta: %s", shmrep_strerror(rc));
	memcpy(meta, v.ptr, v.len);
	meta[v.len] = '\0';
	if (sscanf(meta, "%" SCNu64 " %" SCNu64 " %" SCNx64, &gen, &len,
		   &sum) != 3)
		FAIL("meta '%s'", meta);
	if (gen < *last_gen)
		FAIL("generation %" PRIu64 " after %" PRIu64, gen, *last_gen);
	*last_gen = gen;
	rc = shmrep_snapshot_llen(s, 0, "L", 1, &n);
	if (rc || n != len)
		FAIL("LLEN %" PRIu64 " (%s), meta says %" PRIu64, n,
		     shmrep_strerror(rc), len);
	probe = tu_rand(rs) % len;
	rc = shmrep_snapshot_lrange(s, 0, "L", 1, 0, -1, &it);
	while (!rc && (rc = shmrep_iter_next(&it, &en)) == 1) {
		uint64_t f = f_elem(en.key.ptr, en.key.len);

		if (got == probe)
			fprobe = f;
		hh += f * p;
		p *= B;
		got++;
		rc = 0;
	}
	if (rc < 0)
		FAIL("LRANGE: %s", shmrep_strerror(rc));
	if (got != len || hh != sum)
		FAIL("LRANGE 0 -1 of generation %" PRIu64 ": %" PRIu64
		     " elements, checksum %016" PRIx64 "; meta says %" PRIu64
		     ", %016" PRIx64, gen, got, hh, len, sum);
	rc = shmrep_snapshot_lindex(s, 0, "L", 1,
				    (int64_t)probe - (int64_t)len, &v);
	if (rc || f_elem(v.ptr, v.len) != fprobe)
		FAIL("LINDEX %" PRIu64 " differs from LRANGE", probe);
	/* "s": generation % SMALL_MOD copies of "g<generation>". */
	wl = snprintf(want, sizeof(want), "g%" PRIu64, gen);
	rc = shmrep_snapshot_llen(s, 0, "s", 1, &n);
	if (gen % SMALL_MOD == 0 ? rc != SHMREP_ENOENT
				 : rc || n != gen % SMALL_MOD)
		FAIL("LLEN s of generation %" PRIu64 ": %" PRIu64 " (%s)", gen,
		     n, shmrep_strerror(rc));
	rc = shmrep_snapshot_lrange(s, 0, "s", 1, 0, -1, &it);
	for (got = 0; (rc = shmrep_iter_next(&it, &en)) == 1; got++)
		if (en.key.len != (size_t)wl || memcmp(en.key.ptr, want, wl))
			FAIL("s of generation %" PRIu64 ": element %" PRIu64
			     " is '%.*s'", gen, got, (int)en.key.len,
			     (const char *)en.key.ptr);
	if (rc < 0 || got != gen % SMALL_MOD)
		FAIL("LRANGE s: %" PRIu64 " elements (%s)", got,
		     shmrep_strerror(rc));
	shmrep_snapshot_end(s);
	return 0;
bad:
	shmrep_snapshot_end(s);
	return 1;
}

static int reader_main(void *arg)
{
	struct rargs *a = arg;
	uint64_t rs = 1000 + (uint64_t)a->idx, last = 0, checks = 0;
	uint64_t end = tu_now_ms() + RUN_MS;
	shmrep *h;
	int rc = shmrep_open(a->name, 0, &h);

	if (rc) {
		fprintf(stderr, "reader %d: open: %s\n", a->idx,
			shmrep_strerror(rc));
		return 1;
	}
	while (tu_now_ms() < end) {
		if (check_once(a, h, &rs, &last)) {
			shmrep_close(h);
			return 1;
		}
		checks++;
	}
	shmrep_close(h);
	send_u64(a->res[1], checks);
	return 0;
}

/* ------------------------------------------------------------------ test */

static void run(int mode, const char *tag)
{
	struct wargs wa = { .name = tu_name(tag), .mode = mode };
	struct rargs ra[NREADERS];
	pid_t wp, rp[NREADERS];
	uint64_t gen0 = 0, gen1 = 0, checks = 0, c;

	CU_ASSERT_FATAL(pipe(wa.ready) == 0 && pipe(wa.stop) == 0 &&
			pipe(wa.done) == 0);
	wp = tu_fork(writer_main, &wa);
	CU_ASSERT_FATAL(wp > 0);
	CU_ASSERT_FATAL(recv_u64(wa.ready[0], &gen0, CHILD_TIMEOUT_MS) == 0);
	for (int i = 0; i < NREADERS; i++) {
		ra[i].name = wa.name;
		ra[i].idx = i;
		CU_ASSERT_FATAL(pipe(ra[i].res) == 0);
		rp[i] = tu_fork(reader_main, &ra[i]);
		CU_ASSERT_FATAL(rp[i] > 0);
	}
	for (int i = 0; i < NREADERS; i++) {
		CU_ASSERT(tu_wait(rp[i], CHILD_TIMEOUT_MS) == 0);
		if (recv_u64(ra[i].res[0], &c, 1000) == 0)
			checks += c;
		close(ra[i].res[0]);
		close(ra[i].res[1]);
	}
	CU_ASSERT(send_u64(wa.stop[1], 1) == 0);
	CU_ASSERT(recv_u64(wa.done[0], &gen1, CHILD_TIMEOUT_MS) == 0);
	CU_ASSERT(tu_wait(wp, CHILD_TIMEOUT_MS) == 0);
	CU_ASSERT(checks >= NREADERS);
	CU_ASSERT(gen1 > gen0);
	printf("\n    %s: %" PRIu64 " consistent LRANGE 0 -1 snapshots of "
	       "~%u elements, while %" PRIu64 " commands changed the list ",
	       tag, checks, INITIAL, gen1 - gen0);
	for (int i = 0; i < 2; i++) {
		close(wa.ready[i]);
		close(wa.stop[i]);
		close(wa.done[i]);
	}
	tu_unlink_region(wa.name);
}

static void test_rcu(void)
{
	run(SHM_MODE_RCU, "lmpr");
}

static void test_mutex(void)
{
	run(SHM_MODE_MUTEX, "lmpm");
}

static CU_TestInfo tests[] = {
	{ "lrange_rcu", test_rcu },
	{ "lrange_mutex", test_mutex },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = { { "list_mproc", tests },
					   { NULL, NULL } };

	return tu_main(argc, argv, suites);
}
