/*
 * modes.c - shmrep-bench-modes: rcu and mutex mode side by side, under
 * read-only, write-only and mixed loads, at several sizes, in one run.
 *
 * Method (bench/README.md, "rcu vs mutex mode", says more).  For each size
 * N, one region per mode is created and loaded with the same N pairs as
 * shmrep-bench (16-byte keys, 16-byte values, bench.h).  Each region gets a
 * writer process, which plays the daemon through shm/writer.h (one SET per
 * writer command, a publication every B SETs or as soon as it has nothing
 * to do, as the daemon's event loop publishes when input goes quiet), and
 * a reader process doing random shmrep_get calls through libshmrep.  The
 * writer and the reader are pinned to different CPUs, the same two for
 * both modes.  A coordinating parent process runs the cells: for each mix
 * it wakes one mode's pair, lets it run for a fixed time, stops it and
 * collects its counters, then does the same with the other mode, in an
 * order that alternates from round to round, so that noise from the rest
 * of the machine falls on both modes alike.
 *
 * A mix is a ratio of completed operations, not a rate: the writer may be
 * at most a slack ahead of reads * w / (1 - w) writes, and the reader at
 * most a slack ahead of writes * (1 - w) / w reads, so whichever side is
 * slower sets the pace and the other waits (outside any read section, so a
 * paced reader never holds up a write section).  The two counters live on
 * cache lines of their own in an anonymous shared mapping.
 *
 * The machine may be shared: each process reads how long it waited for
 * its CPU (/proc/self/schedstat), and a round in which either waited too
 * long is run again, a bounded number of times.
 *
 * The parent never opens a writer (shm_writer_open must not be followed by
 * fork); every region file is removed when its size is done, on error and
 * on SIGINT/SIGTERM/SIGHUP/SIGPIPE.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic.h"
#include "bench.h"
#include "keys.h"
#include "layout.h"
#include "region.h"
#include "shmrep.h"
#include "writer.h"

#define MAX_SIZES 8
#define MAX_ROUNDS 15
#define READ_STEP 16 /* reads between progress stores and pacing checks */
#define READ_SAMPLE 64 /* one read in this many is timed */
#define SET_SAMPLE 8 /* one SET in this many is timed */
#define SLACK_READS 1024 /* how far reads may run ahead of the mix */
#define LOAD_BATCH 10000 /* SETs per publication while loading */
#define SETUP_TIMEOUT_MS 300000
#define CELL_GRACE_MS 20000 /* a cell must end this soon after stop */
#define WIN_MARGIN 1.05 /* smallest lead that counts as a win */

enum { M_RCU, M_MUTEX, NMODES };
static const char *const mode_name[NMODES] = { "rcu", "mutex" };

enum { X_RO, X_WO, X_95, X_80, X_50, NMIX };
static const struct {
	const char *label;
	double w; /* share of writes among completed operations */
} mixes[NMIX] = {
	[X_RO] = { "read-only", 0.0 },
	[X_WO] = { "write-only", 1.0 },
	[X_95] = { "95/5", 0.05 },
	[X_80] = { "80/20", 0.20 },
	[X_50] = { "50/50", 0.50 },
};

/* ------------------------------------------------------------ histogram */

/*
 * Log-linear histogram of nanoseconds: exact below 16, then 16 buckets per
 * power of two (each within 6 % of its values), so percentiles need no
 * stored samples and a process can keep one per cell without allocating.
 */
#define HSUB 4
#define HBUCKETS (64 << HSUB)

struct hist {
	uint64_t n, max;
	uint64_t b[HBUCKETS];
};

static inline unsigned hist_bucket(uint64_t v)
{
	unsigned msb;

	if (v < (1u << HSUB))
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	return ((msb - HSUB + 1) << HSUB) +
	       (unsigned)((v >> (msb - HSUB)) & ((1u << HSUB) - 1));
}

static inline void hist_add(struct hist *h, uint64_t v)
{
	h->b[hist_bucket(v)]++;
	h->n++;
	if (v > h->max)
		h->max = v;
}

/* Middle of bucket i. */
static double hist_value(unsigned i)
{
	unsigned e = i >> HSUB, sub = i & ((1u << HSUB) - 1);
	double lo, width;

	if (e == 0)
		return i;
	lo = (double)((1ull << HSUB) + sub) * (double)(1ull << (e - 1));
	width = (double)(1ull << (e - 1));
	return lo + width / 2;
}

/* The q-quantile (0 < q <= 1), 0 if empty. */
static double hist_quantile(const struct hist *h, double q)
{
	uint64_t want = (uint64_t)(q * (double)h->n + 0.5), seen = 0;

	if (!h->n)
		return 0;
	if (want < 1)
		want = 1;
	for (unsigned i = 0; i < HBUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want)
			return hist_value(i) < (double)h->max ? hist_value(i)
							      : (double)h->max;
	}
	return (double)h->max;
}

static void hist_merge(struct hist *into, const struct hist *h)
{
	into->n += h->n;
	if (h->max > into->max)
		into->max = h->max;
	for (unsigned i = 0; i < HBUCKETS; i++)
		into->b[i] += h->b[i];
}

/* -------------------------------------------------------- shared state */

/* What the reader process reports for one cell. */
struct rres {
	uint64_t reads, ns;
	uint64_t in_section; /* reads begun while wip was set */
	uint64_t errors, bad; /* failed calls, wrong values */
	int first_error;
	uint64_t max_gen; /* newest generation of a value read */
	uint64_t ivcsw; /* involuntary context switches during the cell */
	uint64_t vcsw; /* voluntary ones: sleeps on a write section */
	uint64_t run_delay; /* ns runnable but waiting for the CPU */
	struct hist lat;
};

/* What the writer process reports for one cell (or for its load). */
struct wres {
	uint64_t writes, ns;
	uint64_t pubs, idle_pubs, sections, busy;
	uint64_t gen; /* generation of the last SET */
	uint64_t used_start, used_peak, used_end; /* allocator bytes */
	uint64_t top_bytes; /* allocator high water (pages handed out) */
	uint64_t data_blocks; /* bytes tmpfs holds for the data file */
	uint64_t jlen_peak; /* journal: bytes of records, at most */
	uint64_t jfile; /* journal: file size */
	uint64_t ivcsw;
	uint64_t run_delay; /* ns runnable but waiting for the CPU */
	struct hist set, pub, sect;
};

enum { CMD_NONE, CMD_RUN, CMD_QUIT };

/*
 * One mode's pair of processes.  Each group of fields a different process
 * writes in the hot loops has a cache line of its own.
 */
struct lane {
	/* the parent's: one command at a time */
	uint32_t cmd_seq __attribute__((aligned(64)));
	uint32_t go, stop;
	int cmd, mix;
	uint64_t final_gen; /* CMD_QUIT: the newest generation written */
	/* the reader's progress, every READ_STEP reads */
	uint64_t reads __attribute__((aligned(64)));
	/* the writer's progress, every SET */
	uint64_t writes __attribute__((aligned(64)));
	/* acknowledgements: = cmd_seq once read (ack), once done (done) */
	uint32_t r_ack __attribute__((aligned(64)));
	uint32_t w_ack, r_done, w_done;
	uint64_t verify_bad; /* CMD_QUIT: keys the reader found wrong */
	/* results of the last cell, copied in by each child at its end */
	struct rres rr __attribute__((aligned(64)));
	struct wres wr __attribute__((aligned(64)));
};

struct shared {
	struct lane lane[NMODES];
};

/* ------------------------------------------------------------- options */

struct opts {
	size_t sizes[MAX_SIZES];
	int nsizes;
	int rounds;
	unsigned cell_ms; /* per round */
	size_t batch; /* SETs per publication, at most */
	size_t lead; /* how far writes may run ahead of the mix */
	double max_wait; /* a round whose processes waited longer for a CPU
			  * (share of the round) is run again ... */
	int retries; /* ... at most this many times */
	bool membarrier; /* the daemon's `membarrier` setting */
	bool eager_reclaim; /* scan slots after every publication */
	uint64_t region_size;
	int wcpu, rcpu;
	uint64_t seed;
	bool verbose;
};

/* --------------------------------------------------------- the parent */

static struct shared *sh;

static pid_t kids[2 * NMODES];
static int nkids;
/* Region files of the live size, for cleanup from a signal handler. */
#define NPATHS 5
static char paths[NMODES][NPATHS][PATH_MAX + 32];
static volatile sig_atomic_t have_paths;
static pid_t parent_pid;
static bool quitting; /* children may exit (cleanly) now */

static void cleanup_sig(void)
{
	for (int i = 0; i < nkids; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGKILL);
	for (int i = 0; i < nkids; i++)
		if (kids[i] > 0)
			waitpid(kids[i], NULL, 0);
	nkids = 0;
	if (have_paths)
		for (int m = 0; m < NMODES; m++)
			for (int p = 0; p < NPATHS; p++)
				if (paths[m][p][0])
					unlink(paths[m][p]);
	have_paths = 0;
}

void bench_die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "shmrep-bench-modes%s: ",
		getpid() == parent_pid ? "" : " (child)");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (getpid() == parent_pid)
		cleanup_sig();
	exit(1);
}

static void on_signal(int sig)
{
	cleanup_sig();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* -------------------------------------------------------------- helpers */

static void futex_wait_u32(uint32_t *p, uint32_t val, unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	syscall(SYS_futex, p, FUTEX_WAIT, val, &ts, NULL, 0);
}

static void futex_wake_u32(uint32_t *p)
{
	syscall(SYS_futex, p, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
}

/*
 * The parent's commands to a lane's two children: cmd (and the fields it
 * reads) are written first, then cmd_seq is raised (release, pairing with
 * next_cmd's acquire) and the children woken.
 */
static void post_cmd(struct lane *L, int cmd, uint32_t seq)
{
	L->cmd = cmd;
	shm_store_release(&L->cmd_seq, seq);
	futex_wake_u32(&L->cmd_seq);
}

/* A child: wait for the command after seen; its number. */
static uint32_t next_cmd(struct lane *L, uint32_t seen)
{
	uint32_t s;

	while ((s = shm_load_acquire(&L->cmd_seq)) == seen)
		futex_wait_u32(&L->cmd_seq, s, 100);
	return s;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}

/* Context switches so far: involuntary (preempted: someone else wanted
 * the CPU) or voluntary (slept: here, on a write section's futex). */
static uint64_t csw_now(bool voluntary)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(voluntary ? ru.ru_nvcsw : ru.ru_nivcsw);
}

/*
 * Nanoseconds this process has spent runnable but not running (waiting
 * for its CPU, taken by another process): the second field of
 * /proc/self/schedstat.  0 if the kernel does not say.
 */
static uint64_t run_delay_now(void)
{
	char buf[128];
	unsigned long long run = 0, wait = 0;
	int fd = open("/proc/self/schedstat", O_RDONLY | O_CLOEXEC);
	ssize_t len;

	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	if (sscanf(buf, "%llu %llu", &run, &wait) != 2)
		return 0;
	return wait;
}

/* splitmix64, scaled to [0, n) by multiply-shift. */
static inline uint64_t next_index(uint64_t *s, uint64_t n)
{
	uint64_t z = bench_mix(*s += 0x9e3779b97f4a7c15ull);

	return (uint64_t)(((unsigned __int128)z * n) >> 64);
}

static void region_name(char *buf, size_t cap, int mode, size_t n)
{
	snprintf(buf, cap, "bmodes-%d-%s-%zu", (int)parent_pid,
		 mode_name[mode], n);
}

/* ---------------------------------------------------------- the writer */

struct wctx {
	struct shm_writer *w;
	struct lane *L;
	size_t n, batch, lead;
	uint64_t gen; /* of the last SET */
	uint64_t rng;
	struct wres *res;
};

/* One SET of key i to generation gen: a writer command of its own, as the
 * daemon's SET.  A section refused with -EBUSY is counted and retried. */
static inline void set_one(struct wctx *c, uint64_t i, bool timed)
{
	struct shm_writer *w = c->w;
	uint64_t k[2], v[2], t0 = 0, t1;
	bool opens = w->mutex && !w->in_section, created;
	shm_ref r;
	int rc;

	if (timed || opens)
		t0 = bench_now_ns();
	while ((rc = shm_wr_begin(w)) == -EBUSY)
		c->res->busy++;
	if (rc)
		bench_die("shm_wr_begin: %s", strerror(-rc));
	if (opens) {
		t1 = bench_now_ns();
		hist_add(&c->res->sect, t1 - t0);
		c->res->sections++;
	}
	bench_key(i, k);
	bench_val(i, ++c->gen, v);
	r = keys_leaf_new(w, k, BENCH_KLEN, SHM_T_STRING, BENCH_VLEN, 0);
	if (!r)
		bench_die("region full (keys_leaf_new)");
	memcpy((uint8_t *)shm_wr_ptr(w, r) + sizeof(struct shm_leaf) +
		       BENCH_KLEN, v, BENCH_VLEN);
	rc = keys_link(w, 0, r, KEYS_REPLACE, &created);
	if (rc || created)
		bench_die("keys_link: %s", rc ? strerror(-rc) : "key was new");
	shm_wr_commit(w);
	if (timed)
		hist_add(&c->res->set, bench_now_ns() - t0);
	if (w->alloc.used > c->res->used_peak)
		c->res->used_peak = w->alloc.used;
}

static void publish(struct wctx *c, bool idle)
{
	struct shm_writer *w = c->w;
	uint64_t jl = w->mutex ? journal_len(&w->journal) : 0;
	uint64_t t0 = bench_now_ns();

	if (shm_wr_publish(w) < 0)
		bench_die("shm_wr_publish: region full");
	hist_add(&c->res->pub, bench_now_ns() - t0);
	c->res->pubs++;
	c->res->idle_pubs += idle;
	if (jl > c->res->jlen_peak)
		c->res->jlen_peak = jl;
}

static void load_keys(struct wctx *c)
{
	struct shm_writer *w = c->w;
	uint64_t t0 = bench_now_ns();
	size_t pending = 0;

	for (size_t i = 0; i < c->n; i++) {
		uint64_t k[2], v[2];
		bool created;
		shm_ref r;
		int rc = shm_wr_begin(w);

		if (rc)
			bench_die("load: shm_wr_begin: %s", strerror(-rc));
		bench_key(i, k);
		bench_val(i, 0, v);
		r = keys_leaf_new(w, k, BENCH_KLEN, SHM_T_STRING, BENCH_VLEN,
				  0);
		if (!r)
			bench_die("load: region full");
		memcpy((uint8_t *)shm_wr_ptr(w, r) + sizeof(struct shm_leaf) +
			       BENCH_KLEN, v, BENCH_VLEN);
		rc = keys_link(w, 0, r, KEYS_REPLACE, &created);
		if (rc || !created)
			bench_die("load: keys_link: %s",
				  rc ? strerror(-rc) : "key existed");
		shm_wr_commit(w);
		if (++pending == LOAD_BATCH) {
			if (shm_wr_publish(w) < 0)
				bench_die("load: region full");
			pending = 0;
		}
	}
	if (shm_wr_publish(w) < 0)
		bench_die("load: region full");
	shm_wr_reclaim(w);
	c->res->ns = bench_now_ns() - t0;
	c->res->writes = c->n;
}

/* Memory figures at the end of a cell. */
static void writer_memory(struct wctx *c)
{
	struct shm_writer *w = c->w;
	struct stat st;

	c->res->used_end = w->alloc.used;
	c->res->top_bytes = (uint64_t)w->alloc.top * SHM_PAGE;
	if (fstat(w->dfd, &st) == 0)
		c->res->data_blocks = (uint64_t)st.st_blocks * 512;
	if (w->mutex && w->journal.fd >= 0 && fstat(w->journal.fd, &st) == 0)
		c->res->jfile = (uint64_t)st.st_size;
}

static void writer_cell(struct wctx *c, int mix)
{
	struct lane *L = c->L;
	struct shm_writer *w = c->w;
	double wshare = mixes[mix].w;
	double k = wshare < 1 ? wshare / (1 - wshare) : 0;
	bool paced = wshare < 1;
	uint64_t done = 0, t0, iv0 = csw_now(false), rd0 = run_delay_now();
	size_t pending = 0;

	t0 = bench_now_ns();
	if (wshare == 0) {
		/* Read-only: present and idle, as a daemon with no input. */
		while (!shm_load_acquire(&L->stop))
			futex_wait_u32(&L->stop, 0, 100);
	} else {
		while (!shm_load_relaxed(&L->stop)) {
			if (paced) {
				uint64_t r = shm_load_relaxed(&L->reads);

				if ((double)done >= (double)r * k +
							   (double)c->lead) {
					/* Nothing to do: publish, as the
					 * daemon does when input goes quiet
					 * (and in mutex mode end the
					 * section, letting readers in). */
					if (pending || w->in_section) {
						publish(c, true);
						pending = 0;
					}
					cpu_relax();
					continue;
				}
			}
			set_one(c, next_index(&c->rng, c->n),
				done % SET_SAMPLE == 0);
			done++;
			shm_store_relaxed(&L->writes, done);
			if (++pending == c->batch) {
				publish(c, false);
				pending = 0;
			}
		}
		if (pending || w->in_section)
			publish(c, true);
	}
	c->res->ns = bench_now_ns() - t0;
	c->res->writes = done;
	c->res->gen = c->gen;
	c->res->ivcsw = csw_now(false) - iv0;
	c->res->run_delay = run_delay_now() - rd0;
	/* What the daemon's cron does once writes stop: catch up on the
	 * reclamation publications deferred. */
	shm_wr_reclaim(w);
	writer_memory(c);
}

static int writer_main(int mode, size_t n, const struct opts *o,
		       struct lane *L)
{
	struct shm_writer_config cfg = {
		.size = o->region_size, .ndb = 16,
		.nslots = SHM_DEFAULT_SLOTS,
		.mode = mode == M_MUTEX ? SHM_MODE_MUTEX : SHM_MODE_RCU,
		.perm = 0600, .membarrier = o->membarrier,
		.stall_warn_ms = 1000,
		.keep_data = false, .drain_timeout_ms = 1000,
		.reclaim_defer_us = o->eager_reclaim ? 0 : SHM_RECLAIM_DEFER_US,
	};
	char name[SHM_NAME_BUF], err[256];
	struct wctx c = { .L = L, .n = n, .batch = o->batch, .lead = o->lead,
			  .rng = o->seed * 0x2545f4914f6cdd1dull + n + 1 };
	uint32_t seen;
	int rc;

	(void)bench_pin(o->wcpu);
	region_name(name, sizeof(name), mode, n);
	cfg.name = name;
	rc = shm_writer_open(&cfg, &c.w, err, sizeof(err));
	if (rc)
		bench_die("shm_writer_open(%s): %s", name, err);
	static struct wres res;

	c.res = &res;
	load_keys(&c);
	writer_memory(&c);
	c.res->used_start = c.res->used_peak = c.w->alloc.used;
	L->wr = res;
	/* The parent set cmd_seq to 1 before forking us: the load. */
	seen = 1;
	shm_store_release(&L->w_ack, seen);
	for (;;) {
		uint32_t s = seen = next_cmd(L, seen);

		if (L->cmd == CMD_QUIT) {
			shm_writer_close(c.w);
			shm_store_release(&L->w_ack, s);
			return 0;
		}
		memset(c.res, 0, sizeof(*c.res));
		c.res->used_start = c.res->used_peak = c.w->alloc.used;
		shm_store_release(&L->w_ack, s);
		while (!shm_load_acquire(&L->go))
			cpu_relax();
		writer_cell(&c, L->mix);
		L->wr = res;
		shm_store_release(&L->w_done, s);
	}
}

/* ---------------------------------------------------------- the reader */

struct rctx {
	shmrep *h;
	struct lane *L;
	size_t n;
	uint64_t rng;
	const uint32_t *wip; /* the region's wip, mapped read-only */
	struct rres *res;
};

static inline void read_one(struct rctx *c, uint64_t i, bool timed)
{
	uint64_t k[2], v[2], t0 = 0;
	size_t len = 0;
	int rc;

	bench_key(i, k);
	/* On the publication line the read loads anyway: nearly free, and
	 * done in both modes (always 0 in rcu mode) so both pay it. */
	if (shm_load_relaxed(c->wip))
		c->res->in_section++;
	if (timed)
		t0 = bench_now_ns();
	rc = shmrep_get(c->h, 0, k, BENCH_KLEN, v, sizeof(v), &len);
	if (timed)
		hist_add(&c->res->lat, bench_now_ns() - t0);
	if (rc) {
		if (!c->res->errors++)
			c->res->first_error = rc;
	} else if (len != BENCH_VLEN || v[0] != (i ^ BENCH_VAL_TAG)) {
		c->res->bad++;
	} else if (v[1] > c->res->max_gen) {
		c->res->max_gen = v[1];
	}
}

static void reader_cell(struct rctx *c, int mix)
{
	struct lane *L = c->L;
	double wshare = mixes[mix].w;
	double per_write = wshare > 0 && wshare < 1 ? (1 - wshare) / wshare : 0;
	uint64_t done = 0, t0, iv0 = csw_now(false), v0 = csw_now(true);
	uint64_t rd0 = run_delay_now();

	t0 = bench_now_ns();
	if (wshare == 1) {
		while (!shm_load_acquire(&L->stop))
			futex_wait_u32(&L->stop, 0, 100);
	} else {
		while (!shm_load_relaxed(&L->stop)) {
			for (unsigned j = 0; j < READ_STEP; j++)
				read_one(c, next_index(&c->rng, c->n),
					 (done + j) % READ_SAMPLE == 0);
			done += READ_STEP;
			shm_store_relaxed(&L->reads, done);
			if (!per_write)
				continue;
			/* Ahead of the mix: wait for the writer, outside
			 * any read section. */
			while ((double)done >=
				       (double)shm_load_relaxed(&L->writes) *
						       per_write +
					       SLACK_READS &&
			       !shm_load_relaxed(&L->stop))
				cpu_relax();
		}
	}
	c->res->ns = bench_now_ns() - t0;
	c->res->reads = done;
	c->res->ivcsw = csw_now(false) - iv0;
	c->res->vcsw = csw_now(true) - v0;
	c->res->run_delay = run_delay_now() - rd0;
}

/* Every key once: its tag right and its generation at most max_gen. */
static uint64_t verify_all(struct rctx *c, uint64_t max_gen)
{
	uint64_t bad = 0;

	for (size_t i = 0; i < c->n; i++) {
		uint64_t k[2], v[2];
		size_t len;

		bench_key(i, k);
		if (shmrep_get(c->h, 0, k, BENCH_KLEN, v, sizeof(v), &len) ||
		    len != BENCH_VLEN || v[0] != (i ^ BENCH_VAL_TAG) ||
		    v[1] > max_gen)
			bad++;
	}
	return bad;
}

static const uint32_t *map_wip(const char *name)
{
	char path[PATH_MAX];
	const struct shm_hdr *hdr;
	int fd;

	if (region_path(path, sizeof(path), name, "data"))
		bench_die("region name too long");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		bench_die("open %s: %s", path, strerror(errno));
	hdr = mmap(NULL, SHM_PAGE, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (hdr == MAP_FAILED)
		bench_die("mmap %s: %s", path, strerror(errno));
	return &hdr->wip;
}

static int reader_main(int mode, size_t n, const struct opts *o,
		       struct lane *L)
{
	char name[SHM_NAME_BUF];
	struct rctx c = { .L = L, .n = n,
			  .rng = o->seed * 0x9e3779b97f4a7c15ull + n };
	uint32_t seen;
	int rc;

	(void)bench_pin(o->rcpu);
	region_name(name, sizeof(name), mode, n);
	rc = shmrep_open(name, 0, &c.h);
	if (rc)
		bench_die("shmrep_open(%s): %s", name, shmrep_strerror(rc));
	static struct rres res;

	c.res = &res;
	if (verify_all(&c, 0))
		bench_die("%s: keys read back wrong after the load", name);
	c.wip = map_wip(name);
	seen = shm_load_acquire(&L->cmd_seq);
	shm_store_release(&L->r_ack, seen);
	for (;;) {
		uint32_t s = seen = next_cmd(L, seen);

		if (L->cmd == CMD_QUIT) {
			L->verify_bad = verify_all(&c, L->final_gen);
			shmrep_close(c.h);
			shm_store_release(&L->r_ack, s);
			return 0;
		}
		memset(c.res, 0, sizeof(*c.res));
		shm_store_release(&L->r_ack, s);
		while (!shm_load_acquire(&L->go))
			cpu_relax();
		reader_cell(&c, L->mix);
		L->rr = res;
		shm_store_release(&L->r_done, s);
	}
}

/* ------------------------------------------------------ the coordinator */

static pid_t spawn(int (*fn)(int, size_t, const struct opts *,
			     struct lane *),
		   int mode, size_t n, const struct opts *o)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		bench_die("fork: %s", strerror(errno));
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		/* Never outlive the coordinator, which owns the cleanup. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent_pid)
			_exit(1);
		_exit(fn(mode, n, o, &sh->lane[mode]));
	}
	kids[nkids++] = pid;
	return pid;
}

/* Wait until *p == want, failing if a child dies or time runs out. */
static void await(uint32_t *p, uint32_t want, unsigned timeout_ms,
		  const char *what)
{
	uint64_t deadline = bench_now_ns() + (uint64_t)timeout_ms * 1000000;

	while (shm_load_acquire(p) != want) {
		for (int i = 0; i < nkids; i++) {
			int st;

			if (kids[i] > 0 && waitpid(kids[i], &st, WNOHANG) ==
						   kids[i]) {
				kids[i] = -1;
				if (quitting && WIFEXITED(st) &&
				    WEXITSTATUS(st) == 0)
					continue;
				bench_die("a child died (%s %d) while %s",
					  WIFEXITED(st) ? "exit" : "signal",
					  WIFEXITED(st) ? WEXITSTATUS(st)
							: WTERMSIG(st),
					  what);
			}
		}
		if (bench_now_ns() > deadline)
			bench_die("timed out while %s", what);
		sleep_ms(1);
	}
}

static void set_paths(int mode, size_t n, pid_t wpid)
{
	char name[SHM_NAME_BUF], base[PATH_MAX];
	static const char *const sfx[3] = { "data", "ctl", "journal" };

	region_name(name, sizeof(name), mode, n);
	for (int p = 0; p < 3; p++)
		if (region_path(paths[mode][p], sizeof(paths[mode][p]), name,
				sfx[p]))
			bench_die("region name too long");
	/* The writer's temporary names while it creates the region. */
	for (int p = 0; p < 2; p++) {
		region_path(base, sizeof(base), name, sfx[p]);
		snprintf(paths[mode][3 + p], sizeof(paths[mode][3 + p]),
			 "%s.tmp.%d", base, (int)wpid);
	}
	have_paths = 1;
}

struct cellsum {
	double ops[MAX_ROUNDS], rps[MAX_ROUNDS], wps[MAX_ROUNDS];
	double wait[MAX_ROUNDS]; /* the larger CPU-wait share of the two */
	int nr;
	int repeats; /* rounds run again for waiting too long for a CPU */
	int noisy; /* rounds kept anyway, after o->retries repeats */
	/* merged over rounds */
	uint64_t reads, writes, in_section, pubs, idle_pubs, sections, busy;
	uint64_t ivcsw_r, ivcsw_w, vcsw_r;
	int64_t peak_over, end_over; /* allocator bytes above the start */
	uint64_t top_bytes, data_blocks;
	uint64_t jlen_peak, jfile;
	struct hist lat, set, pub, sect;
};

struct sizeres {
	size_t n;
	uint64_t load_ns[NMODES], load_used[NMODES], load_top[NMODES];
	uint64_t load_blocks[NMODES], load_jfile[NMODES];
	struct cellsum c[NMODES][NMIX];
};

static struct sizeres results[MAX_SIZES];

/*
 * Run one round of a cell and check what the reader saw.  Returns the
 * larger share of the round that either process spent waiting for its
 * CPU; the results are left in L->rr and L->wr.
 */
static double run_round(const struct opts *o, int mode, int mix,
			uint32_t *seq)
{
	struct lane *L = &sh->lane[mode];
	uint32_t s = ++*seq;
	double rd, wd;

	L->go = 0;
	L->stop = 0;
	L->reads = 0;
	L->writes = 0;
	L->mix = mix;
	post_cmd(L, CMD_RUN, s);
	await(&L->r_ack, s, SETUP_TIMEOUT_MS, "starting a cell");
	await(&L->w_ack, s, SETUP_TIMEOUT_MS, "starting a cell");
	shm_store_release(&L->go, 1u);
	sleep_ms(o->cell_ms);
	shm_store_release(&L->stop, 1u);
	futex_wake_u32(&L->stop);
	await(&L->r_done, s, CELL_GRACE_MS, "finishing a cell");
	await(&L->w_done, s, CELL_GRACE_MS, "finishing a cell");

	if (L->rr.errors)
		bench_die("%s %s: %llu reads failed, the first with %s",
			  mode_name[mode], mixes[mix].label,
			  (unsigned long long)L->rr.errors,
			  shmrep_strerror(L->rr.first_error));
	if (L->rr.bad)
		bench_die("%s %s: %llu reads returned a wrong value",
			  mode_name[mode], mixes[mix].label,
			  (unsigned long long)L->rr.bad);
	if (L->rr.max_gen > L->wr.gen)
		bench_die("%s %s: read generation %llu, never written",
			  mode_name[mode], mixes[mix].label,
			  (unsigned long long)L->rr.max_gen);
	/* Each over its own time: a late stop lengthens a round. */
	rd = L->rr.ns ? (double)L->rr.run_delay / (double)L->rr.ns : 0;
	wd = L->wr.ns ? (double)L->wr.run_delay / (double)L->wr.ns : 0;
	return rd > wd ? rd : wd;
}

/* One round of a cell, run again while the machine took too much of the
 * CPUs from it; the kept round goes into cs. */
static void run_cell(const struct opts *o, int mode, int mix,
		     struct cellsum *cs, uint32_t *seq)
{
	struct lane *L = &sh->lane[mode];
	double rps, wps, wait;
	int64_t over;
	int tries = 0;

	while ((wait = run_round(o, mode, mix, seq)) > o->max_wait) {
		if (o->verbose)
			fprintf(stderr, "  %-5s %-10s waited for a CPU %.1f%%"
				" of the round%s\n", mode_name[mode],
				mixes[mix].label, 100 * wait,
				tries < o->retries ? ": again" : ": kept");
		if (tries++ == o->retries) {
			cs->noisy++;
			break;
		}
		cs->repeats++;
		/* Let a burst of other work (a compiler run) pass. */
		sleep_ms(250u * (unsigned)tries);
	}
	rps = L->rr.ns ? (double)L->rr.reads * 1e9 / (double)L->rr.ns : 0;
	wps = L->wr.ns ? (double)L->wr.writes * 1e9 / (double)L->wr.ns : 0;
	cs->rps[cs->nr] = rps;
	cs->wps[cs->nr] = wps;
	cs->ops[cs->nr] = rps + wps;
	cs->wait[cs->nr] = wait;
	cs->nr++;
	cs->reads += L->rr.reads;
	cs->writes += L->wr.writes;
	cs->in_section += L->rr.in_section;
	cs->pubs += L->wr.pubs;
	cs->idle_pubs += L->wr.idle_pubs;
	cs->sections += L->wr.sections;
	cs->busy += L->wr.busy;
	cs->ivcsw_r += L->rr.ivcsw;
	cs->ivcsw_w += L->wr.ivcsw;
	cs->vcsw_r += L->rr.vcsw;
	over = (int64_t)(L->wr.used_peak - L->wr.used_start);
	if (over > cs->peak_over)
		cs->peak_over = over;
	over = (int64_t)(L->wr.used_end - L->wr.used_start);
	if (cs->nr == 1 || over > cs->end_over)
		cs->end_over = over;
	cs->top_bytes = L->wr.top_bytes;
	cs->data_blocks = L->wr.data_blocks;
	if (L->wr.jlen_peak > cs->jlen_peak)
		cs->jlen_peak = L->wr.jlen_peak;
	cs->jfile = L->wr.jfile;
	hist_merge(&cs->lat, &L->rr.lat);
	hist_merge(&cs->set, &L->wr.set);
	hist_merge(&cs->pub, &L->wr.pub);
	hist_merge(&cs->sect, &L->wr.sect);
	if (o->verbose)
		fprintf(stderr,
			"  %-5s %-10s reads/s %10.0f writes/s %9.0f pubs %7llu"
			" cpu wait %.1f%% ivcsw r %llu w %llu\n",
			mode_name[mode], mixes[mix].label, rps, wps,
			(unsigned long long)L->wr.pubs, 100 * wait,
			(unsigned long long)L->rr.ivcsw,
			(unsigned long long)L->wr.ivcsw);
}

static void run_size(const struct opts *o, struct sizeres *res)
{
	uint32_t seq[NMODES] = { 0 };
	size_t n = res->n;

	memset(sh, 0, sizeof(*sh));
	fprintf(stderr, "%zu keys: loading both regions...\n", n);
	for (int m = 0; m < NMODES; m++) {
		struct lane *L = &sh->lane[m];
		pid_t wpid;

		/* Command 1 is the load (writer) and the check (reader). */
		L->cmd_seq = 1;
		seq[m] = 1;
		wpid = spawn(writer_main, m, n, o);
		set_paths(m, n, wpid);
		await(&L->w_ack, 1u, SETUP_TIMEOUT_MS, "loading");
		res->load_ns[m] = L->wr.ns;
		res->load_used[m] = L->wr.used_start;
		res->load_top[m] = L->wr.top_bytes;
		res->load_blocks[m] = L->wr.data_blocks;
		res->load_jfile[m] = L->wr.jfile;
		spawn(reader_main, m, n, o);
		await(&L->r_ack, 1u, SETUP_TIMEOUT_MS, "checking the load");
	}
	for (int round = 0; round < o->rounds; round++) {
		fprintf(stderr, "%zu keys: round %d of %d...\n", n, round + 1,
			o->rounds);
		for (int q = 0; q < NMIX; q++) {
			int mix = (q + round) % NMIX;
			int first = (round + q) % 2;

			for (int k = 0; k < NMODES; k++) {
				int m = (first + k) % NMODES;

				run_cell(o, m, mix, &res->c[m][mix], &seq[m]);
			}
		}
	}
	quitting = true;
	for (int m = 0; m < NMODES; m++) {
		struct lane *L = &sh->lane[m];
		uint32_t s = ++seq[m];

		/* Generations only grow: the last cell's is the newest. */
		L->final_gen = L->wr.gen;
		post_cmd(L, CMD_QUIT, s);
		await(&L->r_ack, s, SETUP_TIMEOUT_MS, "checking every key");
		await(&L->w_ack, s, SETUP_TIMEOUT_MS, "closing the writer");
		if (L->verify_bad)
			bench_die("%s at %zu keys: %llu keys read back wrong",
				  mode_name[m], n,
				  (unsigned long long)L->verify_bad);
	}
	for (int i = 0; i < nkids; i++) {
		int st;

		if (kids[i] > 0 && waitpid(kids[i], &st, 0) == kids[i] &&
		    !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
			bench_die("a child failed while closing");
		kids[i] = -1;
	}
	nkids = 0;
	quitting = false;
	for (int m = 0; m < NMODES; m++)
		for (int p = 0; p < NPATHS; p++)
			unlink(paths[m][p]);
	have_paths = 0;
}

/* ---------------------------------------------------------------- output */

static double median(const double *v, int n, double *lo, double *hi)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), bench_cmp_double);
	if (lo)
		*lo = s[0];
	if (hi)
		*hi = s[n - 1];
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Operations per second as "1.23M" or "456k". */
static void fmt_rate(char *buf, size_t cap, double v)
{
	if (v == 0)
		snprintf(buf, cap, "-");
	else if (v >= 1e6)
		snprintf(buf, cap, "%.2fM", v / 1e6);
	else
		snprintf(buf, cap, "%.0fk", v / 1e3);
}

/* Nanoseconds as "850", "2.3us", "41us" or "1.2ms". */
static void fmt_nsv(char *buf, size_t cap, double v)
{
	if (v >= 1e6)
		snprintf(buf, cap, "%.1fms", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, cap, "%.0fus", v / 1e3);
	else if (v >= 1e3)
		snprintf(buf, cap, "%.1fus", v / 1e3);
	else
		snprintf(buf, cap, "%.0f", v);
}

/* The q-quantile of h (q = 1: its maximum), or "-" if h is empty. */
static void fmt_ns(char *buf, size_t cap, const struct hist *h, double q)
{
	if (!h->n)
		snprintf(buf, cap, "-");
	else if (q >= 1)
		fmt_nsv(buf, cap, (double)h->max);
	else
		fmt_nsv(buf, cap, hist_quantile(h, q));
}

static void fmt_mib(char *buf, size_t cap, uint64_t bytes)
{
	snprintf(buf, cap, "%.1f", (double)bytes / (1 << 20));
}

/* Relative spread of a cell's rounds of total ops/s: (max - min) / med. */
static double spread(const struct cellsum *c)
{
	double lo, hi, med = median(c->ops, c->nr, &lo, &hi);

	return med > 0 ? (hi - lo) / med : 0;
}

static void print_cells(const struct sizeres *res)
{
	char sz[32];

	bench_fmt_count(sz, sizeof(sz), res->n);
	printf("\n### %s keys\n\n", sz);
	printf("| load | mode | ops/s | reads/s | writes/s | writes %% |"
	       " read p50 | read p99 | read max | SET p50 | SET p99 |"
	       " SETs/pub | reads in section | spread | CPU wait |"
	       " redone |\n");
	printf("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
	       "--:|\n");
	for (int x = 0; x < NMIX; x++) {
		for (int m = 0; m < NMODES; m++) {
			const struct cellsum *c = &res->c[m][x];
			char ops[16], rps[16], wps[16], r50[16], r99[16];
			char rmax[16], s50[16], s99[16];
			char ins[24] = "-", spb[16] = "-";
			double tot = (double)(c->reads + c->writes);
			double wmax = 0;
			char redo[24];

			for (int r = 0; r < c->nr; r++)
				if (c->wait[r] > wmax)
					wmax = c->wait[r];
			snprintf(redo, sizeof(redo), "%d%s", c->repeats,
				 c->noisy ? " (noisy kept)" : "");

			fmt_rate(ops, sizeof(ops),
				 median(c->ops, c->nr, NULL, NULL));
			fmt_rate(rps, sizeof(rps),
				 median(c->rps, c->nr, NULL, NULL));
			fmt_rate(wps, sizeof(wps),
				 median(c->wps, c->nr, NULL, NULL));
			fmt_ns(r50, sizeof(r50), &c->lat, 0.5);
			fmt_ns(r99, sizeof(r99), &c->lat, 0.99);
			fmt_ns(rmax, sizeof(rmax), &c->lat, 1);
			fmt_ns(s50, sizeof(s50), &c->set, 0.5);
			fmt_ns(s99, sizeof(s99), &c->set, 0.99);
			if (c->pubs)
				snprintf(spb, sizeof(spb), "%.1f",
					 (double)c->writes / (double)c->pubs);
			if (m == M_MUTEX && c->reads)
				snprintf(ins, sizeof(ins), "%.2f%%",
					 100.0 * (double)c->in_section /
						 (double)c->reads);
			printf("| %s | %s | %s | %s | %s | %.1f | %s | %s |"
			       " %s | %s | %s | %s | %s | %.0f%% | %.1f%% |"
			       " %s |\n",
			       mixes[x].label, mode_name[m], ops, rps, wps,
			       tot ? 100.0 * (double)c->writes / tot : 0, r50,
			       r99, rmax, s50, s99, spb, ins,
			       100.0 * spread(c), 100 * wmax, redo);
		}
	}
}

/*
 * Which mode wins a cell: the one with more ops/s (median of rounds), if
 * it is ahead by more than the cell's noise, i.e. every round of the
 * winner beat every round of the loser, and by WIN_MARGIN at least;
 * otherwise "within noise".
 */
static void print_winners(const struct opts *o)
{
	printf("\n### Who wins (ops/s, median of %d rounds; a win needs every"
	       " round of the winner above every round of the other, and a"
	       " lead of %.0f%% or more)\n\n",
	       o->rounds, 100 * (WIN_MARGIN - 1));
	printf("| keys | load | rcu ops/s | mutex ops/s | winner | by |\n");
	printf("|--:|---|--:|--:|---|--:|\n");
	for (int s = 0; s < o->nsizes; s++) {
		const struct sizeres *res = &results[s];
		char sz[32];

		bench_fmt_count(sz, sizeof(sz), res->n);
		for (int x = 0; x < NMIX; x++) {
			const struct cellsum *a = &res->c[M_RCU][x];
			const struct cellsum *b = &res->c[M_MUTEX][x];
			double alo, ahi, blo, bhi;
			double ma = median(a->ops, a->nr, &alo, &ahi);
			double mb = median(b->ops, b->nr, &blo, &bhi);
			char ra[16], rb[16];
			const char *who = "within noise";
			double by = ma > mb ? ma / mb : mb / ma;

			if (alo > bhi && by >= WIN_MARGIN)
				who = "**rcu**";
			else if (blo > ahi && by >= WIN_MARGIN)
				who = "**mutex**";
			fmt_rate(ra, sizeof(ra), ma);
			fmt_rate(rb, sizeof(rb), mb);
			printf("| %s | %s | %s | %s | %s | %.2fx |\n", sz,
			       mixes[x].label, ra, rb, who, by);
		}
	}
}

static void fmt_kib(char *buf, size_t cap, int64_t bytes)
{
	snprintf(buf, cap, "%+.0f", (double)bytes / 1024);
}

static void print_memory(const struct opts *o)
{
	printf("\n### Memory: allocator bytes in use (live blocks rounded to"
	       " their size class); peak and end of a load in KiB above its"
	       " start (largest of its rounds)\n\n");
	printf("| keys | mode | after load MiB | B/key | write-only: peak |"
	       " write-only: end | 50/50: peak | 50/50: end |"
	       " high water MiB | tmpfs data file MiB | journal file MiB |"
	       " journal peak |\n");
	printf("|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
	for (int s = 0; s < o->nsizes; s++) {
		const struct sizeres *res = &results[s];
		char sz[32];

		bench_fmt_count(sz, sizeof(sz), res->n);
		for (int m = 0; m < NMODES; m++) {
			const struct cellsum *wo = &res->c[m][X_WO];
			const struct cellsum *ff = &res->c[m][X_50];
			uint64_t top = 0, blocks = 0, jfile = 0, jpeak = 0;
			char a[16], b[16], c[16], d[16], e[16], f[16];
			char g[16], jf[16] = "-", jp[16] = "-";

			/* All grow only: the largest seen in any cell. */
			for (int x = 0; x < NMIX; x++) {
				const struct cellsum *cx = &res->c[m][x];

				if (cx->top_bytes > top)
					top = cx->top_bytes;
				if (cx->data_blocks > blocks)
					blocks = cx->data_blocks;
				if (cx->jfile > jfile)
					jfile = cx->jfile;
				if (cx->jlen_peak > jpeak)
					jpeak = cx->jlen_peak;
			}
			fmt_mib(a, sizeof(a), res->load_used[m]);
			fmt_kib(b, sizeof(b), wo->peak_over);
			fmt_kib(c, sizeof(c), wo->end_over);
			fmt_kib(d, sizeof(d), ff->peak_over);
			fmt_kib(e, sizeof(e), ff->end_over);
			fmt_mib(f, sizeof(f), top);
			fmt_mib(g, sizeof(g), blocks);
			if (m == M_MUTEX) {
				fmt_mib(jf, sizeof(jf), jfile);
				snprintf(jp, sizeof(jp), "%.1f KiB",
					 (double)jpeak / 1024);
			}
			printf("| %s | %s | %s | %.1f | %s | %s | %s | %s |"
			       " %s | %s | %s | %s |\n",
			       sz, mode_name[m], a,
			       (double)res->load_used[m] / (double)res->n, b,
			       c, d, e, f, g, jf, jp);
		}
	}
}

static void print_writer(const struct opts *o)
{
	printf("\n### The writer's side (all rounds): publications, write"
	       " sections, and what they cost\n\n");
	printf("| keys | load | mode | pubs/s | idle pubs | publish p50 |"
	       " publish p99 | section open p50 | section open p99 |"
	       " section open max | BUSY | reader sleeps/s |"
	       " preempted r/w |\n");
	printf("|--:|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
	for (int s = 0; s < o->nsizes; s++) {
		const struct sizeres *res = &results[s];
		char sz[32];

		bench_fmt_count(sz, sizeof(sz), res->n);
		for (int x = 0; x < NMIX; x++) {
			if (x == X_RO)
				continue;
			for (int m = 0; m < NMODES; m++) {
				const struct cellsum *c = &res->c[m][x];
				char a[16], b[16], d[16], e[16], f[16];
				char sl[16] = "-";
				double secs = (double)o->cell_ms * c->nr / 1e3;

				/* In write-only cells the reader sleeps on
				 * purpose: its sleeps say nothing there. */
				if (x != X_WO)
					snprintf(sl, sizeof(sl), "%.0f",
						 (double)c->vcsw_r / secs);
				fmt_ns(a, sizeof(a), &c->pub, 0.5);
				fmt_ns(b, sizeof(b), &c->pub, 0.99);
				fmt_ns(d, sizeof(d), &c->sect, 0.5);
				fmt_ns(e, sizeof(e), &c->sect, 0.99);
				fmt_ns(f, sizeof(f), &c->sect, 1);
				printf("| %s | %s | %s | %.0f | %.0f%% | %s |"
				       " %s | %s | %s | %s | %llu | %s |"
				       " %llu/%llu |\n",
				       sz, mixes[x].label, mode_name[m],
				       (double)c->pubs / secs,
				       c->pubs ? 100.0 * (double)c->idle_pubs /
							 (double)c->pubs
					       : 0,
				       a, b, d, e, f,
				       (unsigned long long)c->busy,
				       sl,
				       (unsigned long long)c->ivcsw_r,
				       (unsigned long long)c->ivcsw_w);
			}
		}
	}
}

static void print_loadavg(const char *when)
{
	char buf[128] = "?";
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			strcpy(buf, "?");
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	printf("loadavg    : %s (%s)\n", buf, when);
}

/* ------------------------------------------------------------- options */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: shmrep-bench-modes [--quick] [--sizes N,N,...] [--rounds R]\n"
		"                          [--ms MS] [--batch B] [--lead L] [--cpus W,R]\n"
		"                          [--no-membarrier] [--eager-reclaim]\n"
		"                          [--max-wait PCT] [--retries N]\n"
		"                          [--region-size BYTES] [--seed S] [--verbose]\n");
}

/* The first and the last CPU we may run on. */
static void default_cpus(int *first, int *last)
{
	cpu_set_t set;

	*first = *last = -1;
	if (sched_getaffinity(0, sizeof(set), &set))
		bench_die("sched_getaffinity: %s", strerror(errno));
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		if (*first < 0)
			*first = c;
		*last = c;
	}
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	bool quick = false, sizes_given = false;
	int rounds = 0;
	unsigned ms = 0;

	*o = (struct opts){
		.sizes = { 1000, 100000, 1000000 }, .nsizes = 3, .batch = 100,
		.region_size = 1ull << 30, .seed = 42, .membarrier = true,
		.max_wait = 0.05, .retries = 2,
	};
	default_cpus(&o->wcpu, &o->rcpu);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--quick")) {
			quick = true;
		} else if (!strcmp(a, "--verbose")) {
			o->verbose = true;
		} else if (!strcmp(a, "--no-membarrier")) {
			o->membarrier = false;
		} else if (!strcmp(a, "--eager-reclaim")) {
			o->eager_reclaim = true;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		} else if (!v) {
			usage(stderr);
			exit(2);
		} else if (!strcmp(a, "--sizes")) {
			o->nsizes = bench_parse_sizes(v, o->sizes, MAX_SIZES);
			sizes_given = true;
			i++;
		} else if (!strcmp(a, "--rounds")) {
			rounds = atoi(v);
			i++;
		} else if (!strcmp(a, "--ms")) {
			ms = (unsigned)atoi(v);
			i++;
		} else if (!strcmp(a, "--batch")) {
			o->batch = bench_parse_size(v);
			i++;
		} else if (!strcmp(a, "--max-wait")) {
			o->max_wait = atof(v) / 100;
			i++;
		} else if (!strcmp(a, "--retries")) {
			o->retries = atoi(v);
			i++;
		} else if (!strcmp(a, "--lead")) {
			o->lead = bench_parse_size(v);
			i++;
		} else if (!strcmp(a, "--cpus")) {
			if (sscanf(v, "%d,%d", &o->wcpu, &o->rcpu) != 2)
				bench_die("--cpus takes W,R");
			i++;
		} else if (!strcmp(a, "--region-size")) {
			o->region_size = bench_parse_size(v);
			i++;
		} else if (!strcmp(a, "--seed")) {
			o->seed = strtoull(v, NULL, 0);
			i++;
		} else {
			usage(stderr);
			exit(2);
		}
	}
	if (quick && !sizes_given) {
		o->sizes[0] = 1000;
		o->sizes[1] = 100000;
		o->nsizes = 2;
	}
	o->rounds = rounds ? rounds : quick ? 1 : 5;
	o->cell_ms = ms ? ms : quick ? 150 : 500;
	if (o->rounds < 1 || o->rounds > MAX_ROUNDS)
		bench_die("--rounds must be 1..%d", MAX_ROUNDS);
	if (o->batch < 1)
		bench_die("--batch must be at least 1");
	if (!o->lead)
		o->lead = o->batch;
	for (int s = 0; s < o->nsizes; s++)
		if (o->sizes[s] == 0 || o->sizes[s] > UINT32_MAX)
			bench_die("sizes must be 1..%u", UINT32_MAX);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct opts o;

	parent_pid = getpid();
	parse_args(argc, argv, &o);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* Output piped into `head`: clean up rather than die mid-run. */
	sigaction(SIGPIPE, &sa, NULL);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		bench_die("mmap: %s", strerror(errno));
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("shmrep-bench-modes: rcu and mutex mode side by side, reads and"
	       " writes in separate processes\n\n");
	machine_print(o.rcpu);
	printf("processes  : one writer (cpu %d) and one reader (cpu %d) per"
	       " mode; the coordinator is not pinned%s\n",
	       o.wcpu, o.rcpu,
	       o.wcpu == o.rcpu ? " (ONE CPU: the two time-share)" : "");
	printf("method     : %d round(s) of %u ms per cell; SETs publish"
	       " every %zu or when idle; writes lead the mix by at most %zu;"
	       " 1 read in %d and 1 SET in %d timed; membarrier %s (rcu"
	       " mode; mutex-mode readers fence); reclamation %s\n",
	       o.rounds, o.cell_ms, o.batch, o.lead, READ_SAMPLE, SET_SAMPLE,
	       o.membarrier ? "on (the default)" : "OFF (readers fence)",
	       o.eager_reclaim ? "after EVERY publication" :
				 "deferred as in the daemon");
	printf("noise      : a round in which the writer or the reader waited"
	       " for its CPU more than %.0f%% of the time is run again (at most"
	       " %d times)\n", 100 * o.max_wait, o.retries);
	print_loadavg("start");
	for (int s = 0; s < o.nsizes; s++) {
		results[s].n = o.sizes[s];
		run_size(&o, &results[s]);
	}
	print_loadavg("end");
	for (int s = 0; s < o.nsizes; s++)
		print_cells(&results[s]);
	print_winners(&o);
	print_memory(&o);
	print_writer(&o);
	munmap(sh, sizeof(*sh));
	return 0;
}
