/*
 * collections.c - shmrep-bench-coll: hashes and sorted sets at a million
 * elements, in one run: what one HSET or ZADD costs the writer, what HGET
 * and ZSCORE cost a reader next to GET, and how many bytes an element takes
 * in the region next to redis-server's used_memory for the same data.
 *
 * Data.  One region holds, in database 0, N string keys (bench.h's key i,
 * 16 bytes, and value i, 16 bytes), a hash of N fields (field i = key i,
 * value i), a sorted set of N members (member i = key i, a random integer
 * score below 2^53) and a list of N elements (element i = key i).  They are
 * loaded in that order through the writer, as the daemon's commands would
 * (SET per key; HSET, ZADD and RPUSH with 1,000 elements per command), and
 * the allocator's count of live bytes is read before and after each load,
 * after a publication and a reclamation, so each difference is what that
 * data costs in the region, structure included.
 *
 * Writes.  The benchmark plays the daemon (shm/writer.h), as shm_run.c
 * does: one HSET is shm_wr_begin, the key lookup and type check db.c
 * makes, chash_hset of one pair, shm_wr_commit; one ZADD is the same with
 * zset_wr_open/zset_wr_add/zset_wr_close.  Four operations (HSET of a new
 * field, HSET over an existing field, ZADD of a new member, ZADD giving an
 * existing member a new score), each with a publication after every
 * command (B=1: every write its own version, the worst case) and with a
 * publication every 1,000 commands (B=1000, how the daemon batches).
 * Fields and members are random: existing ones are drawn uniformly from the
 * N, new ones are fresh keys (which land at random places in the trie).
 * Every command is timed on its own (one clock read between commands), and
 * every publication (which includes reclamation: a membarrier, a slot scan,
 * freeing what no reader sees) separately, so the tables give a mean that
 * includes publications and percentiles of single operations.  After a run
 * of new fields or members, an untimed clean-up deletes them again, so
 * every run starts from exactly N.  A reader handle is open throughout,
 * idle, as in production.
 *
 * Reads.  A pregenerated sequence of random indices in [0, N), turned into
 * an array of 16-byte keys before any timing, is looked up three ways with
 * exactly the same access pattern: GET of the string key, HGET of that
 * field in the hash, ZSCORE of that member in the sorted set, each inside
 * its own snapshot (begin, one read, end: the per-request pattern) and, for
 * the cost of the lookup alone, 1,000 reads per snapshot.  shmrep_get (the
 * copying call with its own read section) is there as the reference for
 * GET.  A checking pass compares every value before timing; each timed run
 * is checked by a checksum.  Runs are interleaved in rounds, in an order
 * rotated from round to round, as in shmrep-bench; a cell is the median.
 *
 * Redis.  redis-server (if installed) is started on a private Unix socket
 * in a mkdtemp directory under /tmp, the same data is loaded with pipelined
 * RESP (SET; HSET, ZADD, RPUSH with 1,000 elements per command), and
 * INFO's used_memory is read before and after each load, once it has
 * settled (incremental rehashing).  The server is stopped with SIGTERM and
 * its directory removed at the end, on error and on signals; it is given
 * PR_SET_PDEATHSIG so that it cannot outlive this process.
 *
 * Like shmrep-bench, this is not a test: it exits 1 only when something is
 * wrong (a wrong value, a failed setup), never because a number is slow.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "c_hash.h"
#include "c_list.h"
#include "c_zset.h"
#include "keys.h"
#include "layout.h"
#include "region.h"
#include "shmrep.h"
#include "writer.h"

#define MAX_RUNS 31
#define SNAP_BATCH 1000 /* reads per snapshot in the "k" rows */
#define WBATCH 1000 /* commands per publication in the batched rows */
#define LOAD_PER_CMD 1000 /* elements per HSET/ZADD/RPUSH when loading */
#define LOAD_PUBLISH 10000 /* elements per publication when loading */
#define TARGET_WRITE_NS 5000.0
#define TARGET_READ_X 2.0

static const char hkey[] = "bench:hash";
static const char zkey[] = "bench:zset";
static const char lkey[] = "bench:list";
#define HKLEN ((uint32_t)sizeof(hkey) - 1)
#define ZKLEN ((uint32_t)sizeof(zkey) - 1)
#define LKLEN ((uint32_t)sizeof(lkey) - 1)

struct opts {
	size_t n; /* elements of every structure */
	size_t rops; /* reads per timed run */
	size_t w1_ops; /* writes per timed run, B=1 */
	size_t wb_ops; /* writes per timed run, B=1000 */
	int runs;
	uint64_t region_size;
	int cpu;
	uint64_t seed;
	bool markdown, verbose, redis;
};

/* ------------------------------------------------------------ plumbing */

/* The live region's files and the Redis side's, for the cleanup paths. */
static char data_path[PATH_MAX], ctl_path[PATH_MAX], jnl_path[PATH_MAX];
static char data_tmp[PATH_MAX + 32], ctl_tmp[PATH_MAX + 32];
static volatile sig_atomic_t have_region;
static char rdir[64], rsock[96];
static volatile sig_atomic_t have_rdir;
static volatile pid_t redis_pid;

static void region_unlink(void)
{
	if (!have_region)
		return;
	unlink(data_path);
	unlink(ctl_path);
	unlink(jnl_path);
	unlink(data_tmp);
	unlink(ctl_tmp);
	have_region = 0;
}

/*
 * Stop redis-server (SIGTERM, then SIGKILL after 5 s) and remove its
 * directory.  Async-signal-safe (kill, waitpid, nanosleep, unlink, rmdir),
 * so the signal handler uses it too.
 */
static void redis_cleanup(void)
{
	pid_t pid = redis_pid;

	if (pid > 0) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		int st;

		kill(pid, SIGTERM);
		for (int i = 0; i < 500; i++) {
			if (waitpid(pid, &st, WNOHANG) != 0)
				break;
			nanosleep(&ts, NULL);
			if (i == 499) {
				kill(pid, SIGKILL);
				waitpid(pid, &st, 0);
			}
		}
		redis_pid = 0;
	}
	if (have_rdir) {
		unlink(rsock);
		rmdir(rdir);
		have_rdir = 0;
	}
}

static void cleanup_all(void)
{
	region_unlink();
	redis_cleanup();
}

void bench_die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "shmrep-bench-coll: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1); /* atexit: cleanup_all */
}

static void on_signal(int sig)
{
	cleanup_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double spread(const struct bench_cell *c)
{
	return c->med > 0 ? 100.0 * (c->max - c->min) / c->med : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: shmrep-bench-coll [--quick] [--n N] [--runs R] [--ops N]\n"
		"                         [--w1 N] [--wb N] [--no-redis]\n"
		"                         [--cpu C] [--region-size BYTES] [--seed S]\n"
		"                         [--markdown] [--verbose]\n");
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	bool quick = false;
	size_t n = 0, rops = 0, w1 = 0, wb = 0;
	int runs = 0;

	*o = (struct opts){
		.region_size = 2ull << 30, .cpu = -1, .seed = 42,
		.redis = true,
	};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--quick")) {
			quick = true;
		} else if (!strcmp(a, "--no-redis")) {
			o->redis = false;
		} else if (!strcmp(a, "--markdown")) {
			o->markdown = true;
		} else if (!strcmp(a, "--verbose")) {
			o->verbose = true;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		} else if (!v) {
			usage(stderr);
			exit(2);
		} else if (!strcmp(a, "--n")) {
			n = bench_parse_size(v);
			i++;
		} else if (!strcmp(a, "--runs")) {
			runs = atoi(v);
			i++;
		} else if (!strcmp(a, "--ops")) {
			rops = bench_parse_size(v);
			i++;
		} else if (!strcmp(a, "--w1")) {
			w1 = bench_parse_size(v);
			i++;
		} else if (!strcmp(a, "--wb")) {
			wb = bench_parse_size(v);
			i++;
		} else if (!strcmp(a, "--cpu")) {
			o->cpu = atoi(v);
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
	o->n = n ? n : quick ? 20000 : 1000000;
	o->runs = runs ? runs : quick ? 3 : 5;
	o->rops = rops ? rops : quick ? (1u << 15) : (1u << 20);
	o->w1_ops = w1 ? w1 : quick ? 500 : 20000;
	o->wb_ops = wb ? wb : quick ? 5000 : 200000;
	if (o->runs < 1 || o->runs > MAX_RUNS)
		bench_die("--runs must be 1..%d", MAX_RUNS);
	if (o->n < 1000 || o->n > UINT32_MAX / 4)
		bench_die("--n must be 1000..%u", UINT32_MAX / 4);
}

/* ---------------------------------------------------------------- data */

/* Everything is keyed by bench.h's key i: string key, field, member and
 * list element i are the same 16 bytes, in four different structures. */
struct k16 {
	uint64_t w[2];
};

/* Member i's score at load: a random integer below 2^53 (exact as a
 * double and as Redis's text), so members land at random positions. */
static double zscore0(uint64_t i)
{
	return (double)(bench_mix(i ^ 0x2545f4914f6cdd1dull) >> 11);
}

/* The score of the op-th score change (op counts from 1 across the run):
 * a different random score for every change, so no change is a no-op. */
static double zscore_op(uint64_t op)
{
	return (double)(bench_mix(op * 0x9e3779b97f4a7c15ull + 7) >> 11);
}

/* splitmix64 stream scaled to [0, n) by multiply-shift. */
static void gen_indices(uint32_t *idx, size_t cnt, size_t n, uint64_t seed)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + n;

	for (size_t j = 0; j < cnt; j++) {
		uint64_t z = bench_mix(s += 0x9e3779b97f4a7c15ull);

		idx[j] = (uint32_t)(((unsigned __int128)z * n) >> 64);
	}
}

/* --------------------------------------------------------- the region */

struct region {
	struct shm_writer *w;
	struct shmrep *h; /* an application's reader handle */
	char name[SHM_NAME_BUF];
};

static void region_open(struct region *r, uint64_t size)
{
	struct shm_writer_config cfg = {
		.size = size, .ndb = 16, .nslots = SHM_DEFAULT_SLOTS,
		.mode = SHM_MODE_RCU, .perm = 0600, .membarrier = true,
		.stall_warn_ms = 1000, .keep_data = false,
		.reclaim_defer_us = SHM_RECLAIM_DEFER_US, /* as the daemon */
	};
	char err[256];
	int rc;

	snprintf(r->name, sizeof(r->name), "bcoll-%d", (int)getpid());
	if (region_path(data_path, sizeof(data_path), r->name, "data") ||
	    region_path(ctl_path, sizeof(ctl_path), r->name, "ctl") ||
	    region_path(jnl_path, sizeof(jnl_path), r->name, "journal"))
		bench_die("region name too long");
	snprintf(data_tmp, sizeof(data_tmp), "%s.tmp.%d", data_path,
		 (int)getpid());
	snprintf(ctl_tmp, sizeof(ctl_tmp), "%s.tmp.%d", ctl_path,
		 (int)getpid());
	have_region = 1;
	cfg.name = r->name;
	rc = shm_writer_open(&cfg, &r->w, err, sizeof(err));
	if (rc)
		bench_die("shm_writer_open(%s): %s", r->name, err);
	rc = shmrep_open(r->name, 0, &r->h);
	if (rc)
		bench_die("shmrep_open(%s): %s", r->name, shmrep_strerror(rc));
}

static void region_close(struct region *r)
{
	shmrep_close(r->h);
	shm_writer_close(r->w);
	region_unlink();
}

static void publish(struct shm_writer *w)
{
	if (shm_wr_publish(w) < 0)
		bench_die("shm_wr_publish: region full");
}

/* Publish, then free everything no reader sees: the idle reader sees
 * nothing, so the allocator's count is then the live data alone. */
static uint64_t settled_used(struct shm_writer *w)
{
	publish(w);
	shm_wr_reclaim(w);
	return w->alloc.used;
}

static uint64_t region_pages(const struct shm_writer *w)
{
	return w->alloc.slab_bytes + w->alloc.run_bytes;
}

static void begin(struct shm_writer *w)
{
	int rc = shm_wr_begin(w);

	if (rc)
		bench_die("shm_wr_begin: %s", strerror(-rc));
}

/* The key's leaf as db.c's lookup gives it to a write command (the type
 * check is the daemon's WRONGTYPE check); NULL if missing. */
static const struct shm_leaf *find_typed(struct shm_writer *w,
					 const void *key, uint32_t klen,
					 uint8_t type)
{
	const struct shm_leaf *l;

	if (keys_find(w, 0, key, klen, &l))
		return NULL;
	if (l->type != type)
		bench_die("key %.*s has type %u", (int)klen,
			  (const char *)key, l->type);
	return l;
}

/* SET key i = value i, as the daemon's SET (shm_run.c's set_one). */
static void set_string(struct shm_writer *w, uint64_t i)
{
	uint64_t k[2], v[2];
	bool created;
	shm_ref r;

	begin(w);
	bench_key(i, k);
	bench_val(i, 0, v);
	r = keys_leaf_new(w, k, BENCH_KLEN, SHM_T_STRING, BENCH_VLEN, 0);
	if (!r)
		bench_die("region full (strings)");
	memcpy((uint8_t *)shm_wr_ptr(w, r) + sizeof(struct shm_leaf) +
		       BENCH_KLEN, v, BENCH_VLEN);
	if (keys_link(w, 0, r, KEYS_REPLACE, &created) || !created)
		bench_die("keys_link failed (strings)");
	shm_wr_commit(w);
}

/* Elements [from, to) of the hash: one HSET with to - from pairs. */
static void hset_range(struct shm_writer *w, uint64_t from, uint64_t to,
		       uint64_t gen)
{
	static struct k16 kv[2 * LOAD_PER_CMD];
	static shmrep_view fv[2 * LOAD_PER_CMD];
	size_t np = (size_t)(to - from);
	uint64_t added;

	for (size_t j = 0; j < np; j++) {
		bench_key(from + j, kv[2 * j].w);
		bench_val(from + j, gen, kv[2 * j + 1].w);
		fv[2 * j] = (shmrep_view){ kv[2 * j].w, BENCH_KLEN };
		fv[2 * j + 1] = (shmrep_view){ kv[2 * j + 1].w, BENCH_VLEN };
	}
	begin(w);
	find_typed(w, hkey, HKLEN, SHM_T_HASH);
	if (chash_hset(w, 0, hkey, HKLEN, fv, np, false, &added))
		bench_die("region full (hash)");
	shm_wr_commit(w);
	if (added != np)
		bench_die("HSET of %zu new fields added %llu", np,
			  (unsigned long long)added);
}

/* Members [from, to) of the sorted set, with their load scores. */
static void zadd_range(struct shm_writer *w, uint64_t from, uint64_t to)
{
	static struct k16 m[LOAD_PER_CMD];
	static struct zset_wr zw;
	size_t nm = (size_t)(to - from);

	begin(w);
	if (zset_wr_open(&zw, w, 0, zkey, ZKLEN,
			 find_typed(w, zkey, ZKLEN, SHM_T_ZSET)))
		bench_die("zset_wr_open failed");
	for (size_t j = 0; j < nm; j++) {
		unsigned out;
		double ns;

		bench_key(from + j, m[j].w);
		if (zset_wr_add(&zw, m[j].w, BENCH_KLEN, zscore0(from + j), 0,
				&out, &ns))
			bench_die("region full (zset)");
		if (!(out & ZSET_OUT_ADDED))
			bench_die("ZADD of a new member did not add it");
	}
	if (zset_wr_close(&zw))
		bench_die("region full (zset)");
	shm_wr_commit(w);
}

/* Elements [from, to) appended to the list: one RPUSH. */
static void rpush_range(struct shm_writer *w, uint64_t from, uint64_t to)
{
	static struct k16 e[LOAD_PER_CMD];
	static struct clist_ed ed;

	begin(w);
	find_typed(w, lkey, LKLEN, SHM_T_LIST);
	if (clist_open(&ed, w, 0, lkey, LKLEN))
		bench_die("clist_open failed");
	for (uint64_t i = from; i < to; i++) {
		bench_key(i, e[i - from].w);
		if (clist_insert(&ed, clist_count(&ed), e[i - from].w,
				 BENCH_KLEN))
			bench_die("region full (list)");
	}
	if (clist_close(&ed))
		bench_die("region full (list)");
	shm_wr_commit(w);
}

enum kind { K_STRING, K_HASH, K_ZSET, K_LIST, NKINDS };

static const char *const kind_label[NKINDS] = {
	[K_STRING] = "string keys (SET k v)",
	[K_HASH] = "hash fields (one hash)",
	[K_ZSET] = "sorted set members (one zset)",
	[K_LIST] = "list elements (one list)",
};

struct mem {
	uint64_t used[NKINDS]; /* allocator: live bytes the load added */
	uint64_t pages[NKINDS]; /* pages the allocator took for it */
	uint64_t load_ns[NKINDS];
	uint64_t redis[NKINDS]; /* used_memory the same load added */
	bool have_redis;
};

/* Load n elements of kind k, publishing every LOAD_PUBLISH elements. */
static void load_kind(struct shm_writer *w, enum kind k, size_t n)
{
	size_t since = 0;

	for (uint64_t i = 0; i < n;) {
		uint64_t to = i + LOAD_PER_CMD < n ? i + LOAD_PER_CMD : n;

		switch (k) {
		case K_STRING:
			set_string(w, i);
			to = i + 1;
			break;
		case K_HASH:
			hset_range(w, i, to, 0);
			break;
		case K_ZSET:
			zadd_range(w, i, to);
			break;
		case K_LIST:
			rpush_range(w, i, to);
			break;
		default:
			break;
		}
		since += to - i;
		i = to;
		if (since >= LOAD_PUBLISH) {
			publish(w);
			since = 0;
		}
	}
	publish(w);
}

static void load_all(const struct opts *o, struct region *r, struct mem *m)
{
	struct shm_writer *w = r->w;

	for (int k = 0; k < NKINDS; k++) {
		uint64_t u0 = settled_used(w), p0 = region_pages(w), t0, t1;

		fprintf(stderr, "loading %zu %s...\n", o->n, kind_label[k]);
		t0 = bench_now_ns();
		load_kind(w, k, o->n);
		t1 = bench_now_ns();
		m->used[k] = settled_used(w) - u0;
		m->pages[k] = region_pages(w) - p0;
		m->load_ns[k] = t1 - t0;
	}
}

/* Check the loaded sizes through the reader. */
static void check_sizes(const struct opts *o, struct region *r,
			uint64_t want_h, uint64_t want_z)
{
	shmrep_snapshot *s;
	uint64_t dbs, hl, zc, ll;
	int rc;

	if ((rc = shmrep_snapshot_begin(r->h, &s)))
		bench_die("shmrep_snapshot_begin: %s", shmrep_strerror(rc));
	if (shmrep_snapshot_dbsize(s, 0, &dbs) ||
	    shmrep_snapshot_hlen(s, 0, hkey, HKLEN, &hl) ||
	    shmrep_snapshot_zcard(s, 0, zkey, ZKLEN, &zc) ||
	    shmrep_snapshot_llen(s, 0, lkey, LKLEN, &ll))
		bench_die("size reads failed");
	shmrep_snapshot_end(s);
	if (dbs != o->n + 3 || hl != want_h || zc != want_z || ll != o->n)
		bench_die("sizes: dbsize %llu hlen %llu zcard %llu llen %llu",
			  (unsigned long long)dbs, (unsigned long long)hl,
			  (unsigned long long)zc, (unsigned long long)ll);
}

/* --------------------------------------------------------------- reads */

enum row {
	R_GETC, /* shmrep_get */
	R_GET1,
	R_HGET1,
	R_ZSCORE1,
	R_GETK,
	R_HGETK,
	R_ZSCOREK,
	NROWS
};

static const char *const row_label[NROWS] = {
	[R_GETC] = "GET: shmrep_get (own read section)",
	[R_GET1] = "GET: snapshot_get, 1 read/snapshot",
	[R_HGET1] = "HGET: snapshot_hget, 1 read/snapshot",
	[R_ZSCORE1] = "ZSCORE: snapshot_zscore, 1 read/snapshot",
	[R_GETK] = "GET: snapshot_get, 1000 reads/snapshot",
	[R_HGETK] = "HGET: snapshot_hget, 1000 reads/snapshot",
	[R_ZSCOREK] = "ZSCORE: snapshot_zscore, 1000 reads/snapshot",
};

/* The GET row each row is compared with. */
static const int row_base[NROWS] = {
	[R_GETC] = R_GET1, [R_GET1] = R_GET1, [R_HGET1] = R_GET1,
	[R_ZSCORE1] = R_GET1, [R_GETK] = R_GETK, [R_HGETK] = R_GETK,
	[R_ZSCOREK] = R_GETK,
};

/* One read of key k by row r's call in snapshot s (or h for R_GETC): what
 * the checksum adds, BENCH_BAD if the read failed. */
static inline __attribute__((always_inline)) uint64_t
read_one(int r, struct shmrep *h, shmrep_snapshot *s, const struct k16 *k)
{
	uint64_t v[2];
	shmrep_view view;
	double score;
	size_t len;

	switch (r) {
	case R_GETC:
		if (shmrep_get(h, 0, k->w, BENCH_KLEN, v, sizeof(v), &len) ||
		    len != BENCH_VLEN)
			return BENCH_BAD;
		return bench_sum(v);
	case R_GET1:
	case R_GETK:
		if (shmrep_snapshot_get(s, 0, k->w, BENCH_KLEN, &view) ||
		    view.len != BENCH_VLEN)
			return BENCH_BAD;
		memcpy(v, view.ptr, BENCH_VLEN);
		return bench_sum(v);
	case R_HGET1:
	case R_HGETK:
		if (shmrep_snapshot_hget(s, 0, hkey, HKLEN, k->w, BENCH_KLEN,
					 &view) ||
		    view.len != BENCH_VLEN)
			return BENCH_BAD;
		memcpy(v, view.ptr, BENCH_VLEN);
		return bench_sum(v);
	default:
		if (shmrep_snapshot_zscore(s, 0, zkey, ZKLEN, k->w, BENCH_KLEN,
					   &score))
			return BENCH_BAD;
		return (uint64_t)score;
	}
}

/* Row r over keys[0, n): one snapshot per read (per) = 1, or per 1000;
 * shmrep_get opens its own read section. */
static inline __attribute__((always_inline)) uint64_t
read_loop(const int r, struct shmrep *h, const struct k16 *keys, size_t n,
	  const size_t per)
{
	uint64_t sum = 0;

	if (r == R_GETC) {
		for (size_t j = 0; j < n; j++)
			sum += read_one(r, h, NULL, &keys[j]);
		return sum;
	}
	for (size_t j = 0; j < n; j += per) {
		size_t end = j + per < n ? j + per : n;
		shmrep_snapshot *s;

		if (shmrep_snapshot_begin(h, &s))
			return sum + BENCH_BAD;
		for (size_t q = j; q < end; q++)
			sum += read_one(r, h, s, &keys[q]);
		shmrep_snapshot_end(s);
	}
	return sum;
}

/* One noinline function per row, so each loop is compiled for its call. */
#define READ_FN(name, r, per)                                                  \
	__attribute__((noinline)) static uint64_t name(                        \
		struct shmrep *h, const struct k16 *keys, size_t n)            \
	{                                                                      \
		return read_loop(r, h, keys, n, per);                          \
	}
READ_FN(run_getc, R_GETC, 1)
READ_FN(run_get1, R_GET1, 1)
READ_FN(run_hget1, R_HGET1, 1)
READ_FN(run_zscore1, R_ZSCORE1, 1)
READ_FN(run_getk, R_GETK, SNAP_BATCH)
READ_FN(run_hgetk, R_HGETK, SNAP_BATCH)
READ_FN(run_zscorek, R_ZSCOREK, SNAP_BATCH)

static uint64_t (*const run_row[NROWS])(struct shmrep *, const struct k16 *,
					size_t) = {
	[R_GETC] = run_getc, [R_GET1] = run_get1, [R_HGET1] = run_hget1,
	[R_ZSCORE1] = run_zscore1, [R_GETK] = run_getk,
	[R_HGETK] = run_hgetk, [R_ZSCOREK] = run_zscorek,
};

/* What row r must read for index i (its checksum term). */
static uint64_t expect_one(int r, uint64_t i)
{
	uint64_t v[2];

	if (r == R_ZSCORE1 || r == R_ZSCOREK)
		return (uint64_t)zscore0(i);
	bench_val(i, 0, v);
	return bench_sum(v);
}

static void measure_reads(const struct opts *o, struct region *rg,
			  struct bench_cell *res)
{
	static double samples[NROWS][MAX_RUNS];
	uint32_t *idx = malloc(o->rops * sizeof(*idx));
	struct k16 *keys = malloc(o->rops * sizeof(*keys));
	uint64_t expect[NROWS] = { 0 };
	size_t warm = o->rops / 8;

	if (!idx || !keys)
		bench_die("out of memory");
	gen_indices(idx, o->rops, o->n, o->seed);
	for (size_t j = 0; j < o->rops; j++)
		bench_key(idx[j], keys[j].w);
	/* The checking pass: every read of every row, value by value. */
	for (int r = 0; r < NROWS; r++) {
		for (size_t j = 0; j < o->rops; j++) {
			uint64_t want = expect_one(r, idx[j]);

			if (run_row[r](rg->h, &keys[j], 1) != want)
				bench_die("%s: wrong answer for element %u",
					  row_label[r], idx[j]);
			expect[r] += want;
		}
	}
	for (int round = 0; round < o->runs; round++) {
		for (int q = 0; q < NROWS; q++) {
			int r = (q + round) % NROWS;
			uint64_t t0, t1, sum;

			if (warm)
				(void)run_row[r](rg->h, keys, warm);
			t0 = bench_now_ns();
			sum = run_row[r](rg->h, keys, o->rops);
			t1 = bench_now_ns();
			if (sum != expect[r])
				bench_die("%s: checksum %llx, expected %llx",
					  row_label[r],
					  (unsigned long long)sum,
					  (unsigned long long)expect[r]);
			samples[r][round] = (double)(t1 - t0) / (double)o->rops;
			if (o->verbose)
				fprintf(stderr, "  round %d %-44s %8.1f ns/op\n",
					round, row_label[r],
					samples[r][round]);
		}
	}
	for (int r = 0; r < NROWS; r++)
		res[r] = bench_summarize(samples[r], o->runs);
	free(idx);
	free(keys);
}

/* -------------------------------------------------------------- writes */

enum wop { W_HSET_NEW, W_HSET_OW, W_ZADD_NEW, W_ZADD_SCORE, NWOPS };

static const char *const wop_label[NWOPS] = {
	[W_HSET_NEW] = "HSET new field",
	[W_HSET_OW] = "HSET existing field",
	[W_ZADD_NEW] = "ZADD new member",
	[W_ZADD_SCORE] = "ZADD existing member, new score",
};

struct wcell {
	struct bench_cell mean; /* ns/op, publications included: over runs */
	struct bench_cell cmd; /* ns per command alone: over runs */
	struct bench_cell pub; /* ns per publication: over runs */
	double p50, p99, p999; /* of the pooled per-op samples */
	bool have;
};

/* The per-op samples of one cell, pooled over runs. */
struct pool {
	uint32_t *v;
	size_t n;
};

struct wstate {
	uint64_t next_new; /* index of the next new field / member */
	uint64_t op; /* operations so far: the values and scores written */
};

/* One HSET of field i to the value of op `op`: *added 1 if new. */
static inline uint64_t hset_one(struct shm_writer *w, uint64_t i,
				uint64_t op)
{
	struct k16 f, v;
	shmrep_view fv[2] = { { f.w, BENCH_KLEN }, { v.w, BENCH_VLEN } };
	uint64_t added;

	bench_key(i, f.w);
	bench_val(i, op, v.w);
	begin(w);
	find_typed(w, hkey, HKLEN, SHM_T_HASH);
	if (chash_hset(w, 0, hkey, HKLEN, fv, 1, false, &added))
		bench_die("region full (HSET)");
	shm_wr_commit(w);
	return added;
}

/* One ZADD of member i with score: the ZSET_OUT_* outcome. */
static inline unsigned zadd_one(struct shm_writer *w, uint64_t i,
				double score)
{
	static struct zset_wr zw;
	struct k16 m;
	unsigned out;
	double ns;

	bench_key(i, m.w);
	begin(w);
	if (zset_wr_open(&zw, w, 0, zkey, ZKLEN,
			 find_typed(w, zkey, ZKLEN, SHM_T_ZSET)))
		bench_die("zset_wr_open failed");
	if (zset_wr_add(&zw, m.w, BENCH_KLEN, score, 0, &out, &ns) ||
	    zset_wr_close(&zw))
		bench_die("region full (ZADD)");
	shm_wr_commit(w);
	return out;
}

/*
 * One timed run of operation op with a publication every batch commands:
 * nops operations on elements elem[0, nops) (existing ones), or on fresh
 * elements for the "new" operations.  Per-op samples (command, plus the
 * publication after it when batch is 1) go to samples[]; *cmd_ns and
 * *pub_ns get the totals of commands and of publications.
 */
__attribute__((noinline))
static void write_run(struct shm_writer *w, enum wop op, const uint32_t *elem,
		      size_t nops, size_t batch, struct wstate *st,
		      uint32_t *samples, uint64_t *cmd_ns, uint64_t *pub_ns,
		      uint64_t *npub)
{
	uint64_t t0 = bench_now_ns(), tc = 0, tp = 0;
	size_t pending = 0;

	*npub = 0;
	for (size_t j = 0; j < nops; j++) {
		uint64_t t1, t2, d, opn = ++st->op;
		bool ok = true;

		switch (op) {
		case W_HSET_NEW:
			ok = hset_one(w, st->next_new++, opn) == 1;
			break;
		case W_HSET_OW:
			ok = hset_one(w, elem[j], opn) == 0;
			break;
		case W_ZADD_NEW:
			ok = zadd_one(w, st->next_new, zscore0(st->next_new)) &
			     ZSET_OUT_ADDED;
			st->next_new++;
			break;
		case W_ZADD_SCORE:
			ok = zadd_one(w, elem[j], zscore_op(opn)) &
			     ZSET_OUT_UPDATED;
			break;
		default:
			break;
		}
		if (!ok)
			bench_die("%s: unexpected outcome", wop_label[op]);
		t1 = bench_now_ns();
		tc += t1 - t0;
		t2 = t1;
		if (++pending == batch) {
			publish(w);
			pending = 0;
			(*npub)++;
			t2 = bench_now_ns();
			tp += t2 - t1;
		}
		/* B=1: the op is the command and its publication. */
		d = (batch == 1 ? t2 : t1) - t0;
		samples[j] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
		t0 = t2;
	}
	if (pending) {
		uint64_t t1 = bench_now_ns();

		publish(w);
		(*npub)++;
		tp += bench_now_ns() - t1;
	}
	*cmd_ns = tc;
	*pub_ns = tp;
}

/* Untimed: delete the fields or members [from, to) a "new" run added, in
 * commands of LOAD_PER_CMD, then publish and reclaim. */
static void remove_new(struct shm_writer *w, enum wop op, uint64_t from,
		       uint64_t to)
{
	static struct k16 f[LOAD_PER_CMD];
	static shmrep_view fv[LOAD_PER_CMD];
	static struct zset_wr zw;

	for (uint64_t i = from; i < to;) {
		uint64_t end = i + LOAD_PER_CMD < to ? i + LOAD_PER_CMD : to;
		size_t nf = (size_t)(end - i);
		uint64_t gone = 0;

		for (size_t j = 0; j < nf; j++) {
			bench_key(i + j, f[j].w);
			fv[j] = (shmrep_view){ f[j].w, BENCH_KLEN };
		}
		begin(w);
		if (op == W_HSET_NEW) {
			find_typed(w, hkey, HKLEN, SHM_T_HASH);
			if (chash_hdel(w, 0, hkey, HKLEN, fv, nf, &gone))
				bench_die("region full (HDEL)");
		} else {
			if (zset_wr_open(&zw, w, 0, zkey, ZKLEN,
					 find_typed(w, zkey, ZKLEN,
						    SHM_T_ZSET)))
				bench_die("zset_wr_open failed");
			for (size_t j = 0; j < nf; j++) {
				bool removed;

				if (zset_wr_rem(&zw, f[j].w, BENCH_KLEN,
						&removed))
					bench_die("region full (ZREM)");
				gone += removed;
			}
			if (zset_wr_close(&zw))
				bench_die("region full (ZREM)");
		}
		shm_wr_commit(w);
		/* Every field or member the run added was there. */
		if (gone != nf)
			bench_die("%s: %llu of %zu new elements found again",
				  wop_label[op], (unsigned long long)gone, nf);
		i = end;
	}
	publish(w);
	shm_wr_reclaim(w);
}

/*
 * Read back, through the reader, the last (up to) 1000 existing elements
 * an overwrite or score-change run wrote: each must hold what the last
 * operation on it wrote.  Operations are numbered first_op + j.
 */
static void verify_run(struct shmrep *h, enum wop op, const uint32_t *elem,
		       size_t nops, uint64_t first_op)
{
	size_t from = nops > 1000 ? nops - 1000 : 0;
	shmrep_snapshot *s;

	if (shmrep_snapshot_begin(h, &s))
		bench_die("shmrep_snapshot_begin failed");
	for (size_t j = from; j < nops; j++) {
		uint64_t k[2], v[2];
		bool later = false;
		shmrep_view view;
		double score;

		for (size_t q = j + 1; q < nops && !later; q++)
			later = elem[q] == elem[j];
		if (later)
			continue;
		bench_key(elem[j], k);
		if (op == W_HSET_OW) {
			if (shmrep_snapshot_hget(s, 0, hkey, HKLEN, k,
						 BENCH_KLEN, &view) ||
			    view.len != BENCH_VLEN)
				bench_die("%s: field lost", wop_label[op]);
			memcpy(v, view.ptr, BENCH_VLEN);
			if (v[0] != (elem[j] ^ BENCH_VAL_TAG) ||
			    v[1] != first_op + j)
				bench_die("%s: wrong value read back",
					  wop_label[op]);
		} else {
			if (shmrep_snapshot_zscore(s, 0, zkey, ZKLEN, k,
						   BENCH_KLEN, &score) ||
			    score != zscore_op(first_op + j))
				bench_die("%s: wrong score read back",
					  wop_label[op]);
		}
	}
	shmrep_snapshot_end(s);
}

static void measure_writes(const struct opts *o, struct region *rg,
			   struct wcell res[NWOPS][2])
{
	static const size_t batches[2] = { 1, WBATCH };
	static double mean[NWOPS][2][MAX_RUNS], cmd[NWOPS][2][MAX_RUNS],
		pub[NWOPS][2][MAX_RUNS];
	struct pool pools[NWOPS][2];
	struct shm_writer *w = rg->w;
	struct wstate st = { .next_new = 2ull * o->n, .op = 0 };
	size_t maxops = o->wb_ops > o->w1_ops ? o->wb_ops : o->w1_ops;
	uint32_t *elem = malloc(maxops * sizeof(*elem));
	uint32_t *samples = malloc(maxops * sizeof(*samples));
	uint64_t seed = o->seed + 1;

	if (!elem || !samples)
		bench_die("out of memory");
	for (int a = 0; a < NWOPS; a++) {
		for (int b = 0; b < 2; b++) {
			size_t nops = b ? o->wb_ops : o->w1_ops;

			pools[a][b].n = 0;
			pools[a][b].v = malloc((size_t)o->runs * nops *
					       sizeof(uint32_t));
			if (!pools[a][b].v)
				bench_die("out of memory");
		}
	}
	for (int round = 0; round < o->runs; round++) {
		for (int q = 0; q < 2 * NWOPS; q++) {
			int c = (q + round) % (2 * NWOPS);
			enum wop op = (enum wop)(c / 2);
			int b = c % 2;
			size_t nops = b ? o->wb_ops : o->w1_ops;
			uint64_t cns, pns, npub, first_new = st.next_new;
			uint64_t first_op = st.op + 1;
			struct pool *p = &pools[op][b];

			gen_indices(elem, nops, o->n, seed++);
			write_run(w, op, elem, nops, batches[b], &st, samples,
				  &cns, &pns, &npub);
			mean[op][b][round] = (double)(cns + pns) / (double)nops;
			cmd[op][b][round] = (double)cns / (double)nops;
			pub[op][b][round] = (double)pns / (double)npub;
			memcpy(p->v + p->n, samples, nops * sizeof(*samples));
			p->n += nops;
			if (o->verbose)
				fprintf(stderr, "  round %d %-32s B=%-4zu %8.1f ns/op (commands %.1f, %.1f us/publication)\n",
					round, wop_label[op], batches[b],
					mean[op][b][round], cmd[op][b][round],
					pub[op][b][round] / 1e3);
			if (op == W_HSET_NEW || op == W_ZADD_NEW)
				remove_new(w, op, first_new, st.next_new);
			else
				verify_run(rg->h, op, elem, nops, first_op);
		}
	}
	for (int a = 0; a < NWOPS; a++) {
		for (int b = 0; b < 2; b++) {
			struct wcell *c = &res[a][b];
			struct pool *p = &pools[a][b];

			c->mean = bench_summarize(mean[a][b], o->runs);
			c->cmd = bench_summarize(cmd[a][b], o->runs);
			c->pub = bench_summarize(pub[a][b], o->runs);
			qsort(p->v, p->n, sizeof(*p->v), cmp_u32);
			/* Nearest rank: the ceil(q n)-th smallest. */
			c->p50 = p->v[(p->n + 1) / 2 - 1];
			c->p99 = p->v[(99 * p->n + 99) / 100 - 1];
			c->p999 = p->v[(999 * p->n + 999) / 1000 - 1];
			c->have = true;
			free(p->v);
		}
	}
	free(elem);
	free(samples);
}

/* Median cost of one bench_now_ns() call, to read the per-op samples by. */
static double clock_cost(void)
{
	double v[9];

	for (int r = 0; r < 9; r++) {
		uint64_t t0 = bench_now_ns(), t1;

		for (int i = 0; i < 100000; i++)
			(void)bench_now_ns();
		t1 = bench_now_ns();
		v[r] = (double)(t1 - t0) / 100001.0;
	}
	return bench_summarize(v, 9).med;
}

/* --------------------------------------------------------------- Redis */

/* redis-server's path on $PATH, or false. */
static bool find_redis(char *path, size_t cap)
{
	const char *p = getenv("PATH");

	if (!p || !*p)
		p = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	while (*p) {
		size_t len = strcspn(p, ":");

		if (len && snprintf(path, cap, "%.*s/redis-server", (int)len,
				    p) < (int)cap &&
		    access(path, X_OK) == 0)
			return true;
		p += len + (p[len] == ':');
	}
	return false;
}

struct rconn {
	int fd;
	char in[1 << 16];
	size_t r, w;
};

struct obuf {
	char *p;
	size_t len, cap;
};

static void ob_put(struct obuf *b, const void *p, size_t len)
{
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 1 << 16;

		while (cap < b->len + len)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			bench_die("out of memory");
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

static void ob_fmt(struct obuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void ob_fmt(struct obuf *b, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		bench_die("ob_fmt overflow");
	ob_put(b, tmp, (size_t)n);
}

static void ob_arg(struct obuf *b, const void *p, size_t len)
{
	ob_fmt(b, "$%zu\r\n", len);
	ob_put(b, p, len);
	ob_put(b, "\r\n", 2);
}

static void r_send(struct rconn *c, const struct obuf *b)
{
	for (size_t off = 0; off < b->len;) {
		ssize_t n = write(c->fd, b->p + off, b->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			bench_die("redis: write: %s", strerror(errno));
		off += (size_t)n;
	}
}

static int r_byte(struct rconn *c)
{
	if (c->r == c->w) {
		ssize_t n;

		do
			n = read(c->fd, c->in, sizeof(c->in));
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			bench_die("redis: read: %s",
				  n ? strerror(errno) : "connection closed");
		c->r = 0;
		c->w = (size_t)n;
	}
	return (unsigned char)c->in[c->r++];
}

/* One reply line, without its CRLF. */
static void r_line(struct rconn *c, char *buf, size_t cap)
{
	size_t n = 0;
	int ch;

	while ((ch = r_byte(c)) != '\n') {
		if (n + 1 < cap)
			buf[n++] = (char)ch;
	}
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
}

/* A status or integer reply; an integer is checked against want (want
 * < 0: "+OK" expected). */
static void r_expect(struct rconn *c, long long want)
{
	char line[512];

	r_line(c, line, sizeof(line));
	if (line[0] == '-')
		bench_die("redis: %s", line);
	if (want < 0 ? strcmp(line, "+OK") :
		       line[0] != ':' || strtoll(line + 1, NULL, 10) != want)
		bench_die("redis: reply '%s', expected %lld", line, want);
}

/* A bulk reply (INFO): malloc'd, NUL-terminated. */
static char *r_bulk(struct rconn *c)
{
	char line[64], *s;
	long len;

	r_line(c, line, sizeof(line));
	if (line[0] != '$' || (len = strtol(line + 1, NULL, 10)) < 0)
		bench_die("redis: reply '%s', expected a bulk string", line);
	s = malloc((size_t)len + 3);
	if (!s)
		bench_die("out of memory");
	for (long i = 0; i < len + 2; i++)
		s[i] = (char)r_byte(c);
	s[len] = '\0';
	return s;
}

static long long r_int_cmd(struct rconn *c, const char *cmd, const char *key)
{
	struct obuf b = { 0 };
	char line[64];

	ob_fmt(&b, "*%d\r\n", key ? 2 : 1);
	ob_arg(&b, cmd, strlen(cmd));
	if (key)
		ob_arg(&b, key, strlen(key));
	r_send(c, &b);
	free(b.p);
	r_line(c, line, sizeof(line));
	if (line[0] != ':')
		bench_die("redis %s: reply '%s'", cmd, line);
	return strtoll(line + 1, NULL, 10);
}

static uint64_t r_used_memory(struct rconn *c)
{
	static const char cmd[] = "*2\r\n$4\r\nINFO\r\n$6\r\nmemory\r\n";
	struct obuf b = { .p = (char *)cmd, .len = sizeof(cmd) - 1 };
	char *info, *p;
	uint64_t v;

	r_send(c, &b);
	info = r_bulk(c);
	p = strstr(info, "\nused_memory:");
	if (!p)
		bench_die("redis: no used_memory in INFO");
	v = strtoull(p + 13, NULL, 10);
	free(info);
	return v;
}

/* used_memory once two readings 100 ms apart agree (the keyspace's
 * incremental rehashing, if one is in flight, done), at most 5 s. */
static uint64_t r_used_settled(struct rconn *c)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	uint64_t prev = r_used_memory(c), v = prev;

	for (int i = 0; i < 50; i++) {
		nanosleep(&ts, NULL);
		v = r_used_memory(c);
		if (v == prev)
			break;
		prev = v;
	}
	return v;
}

/* Commands per pipelined chunk: about 1 MB of RESP. */
#define R_CHUNK_SETS 16000
#define R_CHUNK_COLL 20

/* Load n elements of kind k, pipelined in chunks, every reply checked. */
static void redis_load(struct rconn *c, enum kind k, size_t n)
{
	static const char *const cmd[NKINDS] = {
		[K_HASH] = "HSET", [K_ZSET] = "ZADD", [K_LIST] = "RPUSH",
	};
	static const char *const key[NKINDS] = {
		[K_HASH] = hkey, [K_ZSET] = zkey, [K_LIST] = lkey,
	};
	long long want[R_CHUNK_SETS];
	struct obuf b = { 0 };

	for (uint64_t i = 0; i < n;) {
		int nc = 0;

		b.len = 0;
		if (k == K_STRING) {
			for (; i < n && nc < R_CHUNK_SETS; i++) {
				uint64_t kk[2], v[2];

				bench_key(i, kk);
				bench_val(i, 0, v);
				ob_put(&b, "*3\r\n$3\r\nSET\r\n", 13);
				ob_arg(&b, kk, BENCH_KLEN);
				ob_arg(&b, v, BENCH_VLEN);
				want[nc++] = -1;
			}
		} else {
			for (; i < n && nc < R_CHUNK_COLL;) {
				uint64_t to = i + LOAD_PER_CMD < n ?
						      i + LOAD_PER_CMD : n;
				size_t ne = (size_t)(to - i);
				size_t per = k == K_LIST ? 1 : 2;

				ob_fmt(&b, "*%zu\r\n", 2 + per * ne);
				ob_arg(&b, cmd[k], strlen(cmd[k]));
				ob_arg(&b, key[k], strlen(key[k]));
				for (; i < to; i++) {
					uint64_t kk[2], v[2];
					char sc[32];

					bench_key(i, kk);
					if (k == K_ZSET) {
						int sl = snprintf(sc, sizeof(sc),
								  "%.17g",
								  zscore0(i));

						ob_arg(&b, sc, (size_t)sl);
					}
					ob_arg(&b, kk, BENCH_KLEN);
					if (k == K_HASH) {
						bench_val(i, 0, v);
						ob_arg(&b, v, BENCH_VLEN);
					}
				}
				/* RPUSH answers the length, the others
				 * how many elements were new. */
				want[nc++] = k == K_LIST ? (long long)to :
							   (long long)ne;
			}
		}
		r_send(c, &b);
		for (int j = 0; j < nc; j++)
			r_expect(c, want[j]);
	}
	free(b.p);
}

/* A file that exists only as an open descriptor: redis-server logs to it
 * (it is its stdout), and we print it if the server does not come up. */
static int anon_log(void)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/log", rdir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		bench_die("%s: %s", path, strerror(errno));
	unlink(path);
	return fd;
}

static void print_log(int fd)
{
	char buf[4096];
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stderr);
}

static int redis_start(const char *path, const cpu_set_t *cpus, int *logfd)
{
	const char *argv[] = {
		path, "--port", "0", "--unixsocket", rsock,
		"--unixsocketperm", "700", "--save", "", "--appendonly", "no",
		"--dir", rdir, "--logfile", "", "--daemonize", "no", NULL,
	};
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	pid_t pid, self = getpid();
	int fd;

	snprintf(rdir, sizeof(rdir), "/tmp/shmrep-bench-coll.XXXXXX");
	if (!mkdtemp(rdir))
		bench_die("mkdtemp: %s", strerror(errno));
	snprintf(rsock, sizeof(rsock), "%s/redis.sock", rdir);
	have_rdir = 1;
	*logfd = anon_log();
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		bench_die("fork: %s", strerror(errno));
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		/* Not on our CPU, and never past our death. */
		sched_setaffinity(0, sizeof(*cpus), cpus);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != self)
			_exit(127);
		dup2(nul, STDIN_FILENO);
		dup2(*logfd, STDOUT_FILENO);
		dup2(*logfd, STDERR_FILENO);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	redis_pid = pid;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", rsock);
	for (int i = 0; i < 1000; i++) {
		int st;

		if (waitpid(pid, &st, WNOHANG) == pid) {
			redis_pid = 0;
			print_log(*logfd);
			bench_die("redis-server exited at start-up");
		}
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			bench_die("socket: %s", strerror(errno));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		close(fd);
		nanosleep(&ts, NULL);
	}
	print_log(*logfd);
	bench_die("redis-server did not come up in 10 s");
}

static void measure_redis(const struct opts *o, const cpu_set_t *cpus,
			  struct mem *m)
{
	static struct rconn c;
	char path[PATH_MAX];
	struct timeval tv = { .tv_sec = 120 };
	int logfd;

	if (!find_redis(path, sizeof(path))) {
		printf("\nredis-server not installed: the Redis column is skipped\n");
		return;
	}
	c.fd = redis_start(path, cpus, &logfd);
	c.r = c.w = 0;
	/* A server that stops answering is an error, not a hang. */
	setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (int k = 0; k < NKINDS; k++) {
		uint64_t u0 = r_used_settled(&c);

		fprintf(stderr, "redis: loading %zu %s...\n", o->n,
			kind_label[k]);
		redis_load(&c, k, o->n);
		m->redis[k] = r_used_settled(&c) - u0;
	}
	if (r_int_cmd(&c, "DBSIZE", NULL) != (long long)o->n + 3 ||
	    r_int_cmd(&c, "HLEN", hkey) != (long long)o->n ||
	    r_int_cmd(&c, "ZCARD", zkey) != (long long)o->n ||
	    r_int_cmd(&c, "LLEN", lkey) != (long long)o->n)
		bench_die("redis: wrong sizes after loading");
	m->have_redis = true;
	close(c.fd);
	redis_cleanup();
	close(logfd);
}

/* -------------------------------------------------------------- output */

/* A table row: cells[0] left-aligned (width w0), the rest right-aligned
 * (width wn), or a Markdown row. */
static void trow(bool md, int w0, int wn, int n, const char *const *cells)
{
	for (int i = 0; i < n; i++) {
		if (md)
			printf("%s %s", i ? " |" : "|", cells[i]);
		else if (i == 0)
			printf("%-*s", w0, cells[i]);
		else
			printf(" %*s", wn, cells[i]);
	}
	printf(md ? " |\n" : "\n");
}

static void tsep(bool md, int n)
{
	if (!md)
		return;
	printf("|---|");
	for (int i = 1; i < n; i++)
		printf("--:|");
	printf("\n");
}

static void print_memory(const struct opts *o, const struct mem *m)
{
	bool md = o->markdown;
	char sz[32], c[6][32];
	const char *cells[6] = { c[0], c[1], c[2], c[3], c[4], c[5] };
	const char *head[6] = { "data", "shmrep B/elem", "pages B/elem",
				"Redis B/elem", "shmrep/Redis", "load ns/elem" };

	bench_fmt_count(sz, sizeof(sz), o->n);
	printf("\nMemory: bytes per element for %s elements (16-byte keys, fields, members,\n"
	       "elements; 16-byte values).  shmrep: the writer's allocator, live bytes\n"
	       "(blocks rounded to their size class) added by the load, after publication\n"
	       "and reclamation; pages: the pages the allocator took for it (slabs and\n"
	       "runs, free space in slabs included).  Redis: INFO used_memory added by\n"
	       "the same load (jemalloc's allocated bytes).  Load: through the writer,\n"
	       "1 SET per command, 1000 elements per HSET/ZADD/RPUSH, publication every\n"
	       "10000 elements.\n\n", sz);
	trow(md, 32, 14, 6, head);
	tsep(md, 6);
	for (int k = 0; k < NKINDS; k++) {
		double n = (double)o->n;

		snprintf(c[0], 32, "%s", kind_label[k]);
		snprintf(c[1], 32, "%.1f", (double)m->used[k] / n);
		snprintf(c[2], 32, "%.1f", (double)m->pages[k] / n);
		if (m->have_redis && m->redis[k]) {
			snprintf(c[3], 32, "%.1f", (double)m->redis[k] / n);
			snprintf(c[4], 32, "%.2f",
				 (double)m->used[k] / (double)m->redis[k]);
		} else {
			snprintf(c[3], 32, "-");
			snprintf(c[4], 32, "-");
		}
		snprintf(c[5], 32, "%.0f", (double)m->load_ns[k] / n);
		trow(md, 32, 14, 6, cells);
	}
}

static void print_reads(const struct opts *o, const struct bench_cell *res)
{
	bool md = o->markdown;
	char sz[32], c[4][48];
	const char *cells[4] = { c[0], c[1], c[2], c[3] };
	const char *head[4] = { "read", "ns/op", "x GET", "spread" };

	bench_fmt_count(sz, sizeof(sz), o->n);
	printf("\nReads of random existing elements (%s string keys; a hash of %s fields;\n"
	       "a sorted set of %s members; the same random sequence of 16-byte keys,\n"
	       "precomputed, for every row): ns/op, median of %d runs of %zu reads.\n"
	       "x GET = ns / ns of GET with the same snapshot pattern (target <= %.1f).\n"
	       "spread = (max - min) / median over the runs.\n\n",
	       sz, sz, sz, o->runs, o->rops, TARGET_READ_X);
	trow(md, 46, 8, 4, head);
	tsep(md, 4);
	for (int r = 0; r < NROWS; r++) {
		snprintf(c[0], sizeof(c[0]), "%s", row_label[r]);
		snprintf(c[1], sizeof(c[1]), "%.1f", res[r].med);
		snprintf(c[2], sizeof(c[2]), "%.2f",
			 res[r].med / res[row_base[r]].med);
		snprintf(c[3], sizeof(c[3]), "%.0f%%", spread(&res[r]));
		trow(md, 46, 8, 4, cells);
	}
}

static void print_writes(const struct opts *o, struct wcell res[NWOPS][2],
			 double clk)
{
	bool md = o->markdown;
	char sz[32], c[10][48];
	const char *cells[10];
	const char *head[10] = { "write", "B", "mean ns/op", "p50", "p99",
				 "p99.9", "command ns", "us/publish",
				 "ops/s", "spread" };

	for (int i = 0; i < 10; i++)
		cells[i] = c[i];
	bench_fmt_count(sz, sizeof(sz), o->n);
	printf("\nWrites through the writer, one command per operation, on the %s-field hash\n"
	       "and the %s-member sorted set (random fields and members), B = commands per\n"
	       "publication.  mean: ns per operation, publications (with reclamation)\n"
	       "included, median over %d runs of %zu (B=1) or %zu (B=%d) operations.\n"
	       "p50/p99/p99.9: single operations pooled over the runs; for B=1 an operation\n"
	       "is the command and its publication, for B=%d the command alone.  command ns:\n"
	       "the mean of commands alone; us/publication: the mean publication.\n"
	       "spread: of the mean, (max - min) / median.  A clock read costs %.0f ns\n"
	       "and is in every sample once.  Target: under %.0f ns per operation.\n\n",
	       sz, sz, o->runs, o->w1_ops, o->wb_ops, WBATCH, WBATCH, clk,
	       TARGET_WRITE_NS);
	trow(md, 32, 11, 10, head);
	tsep(md, 10);
	for (int a = 0; a < NWOPS; a++) {
		for (int b = 0; b < 2; b++) {
			const struct wcell *w = &res[a][b];

			snprintf(c[0], sizeof(c[0]), "%s", wop_label[a]);
			snprintf(c[1], sizeof(c[1]), "%d", b ? WBATCH : 1);
			snprintf(c[2], sizeof(c[2]), "%.0f", w->mean.med);
			snprintf(c[3], sizeof(c[3]), "%.0f", w->p50);
			snprintf(c[4], sizeof(c[4]), "%.0f", w->p99);
			snprintf(c[5], sizeof(c[5]), "%.0f", w->p999);
			snprintf(c[6], sizeof(c[6]), "%.0f", w->cmd.med);
			snprintf(c[7], sizeof(c[7]), "%.1f", w->pub.med / 1e3);
			snprintf(c[8], sizeof(c[8]), "%.0f", 1e9 / w->mean.med);
			snprintf(c[9], sizeof(c[9]), "%.0f%%", spread(&w->mean));
			trow(md, 32, 11, 10, cells);
		}
	}
}

static void verdict(bool met, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void verdict(bool met, const char *fmt, ...)
{
	va_list ap;

	printf("  %-7s ", met ? "MET" : "MISSED");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void print_targets(const struct opts *o, const struct mem *m,
			  const struct bench_cell *rd, struct wcell wr[NWOPS][2])
{
	char sz[32];

	bench_fmt_count(sz, sizeof(sz), o->n);
	printf("\nTargets (at %s elements):\n", sz);
	printf("  [one HSET / ZADD under %.0f ns (mean, publications included)]\n",
	       TARGET_WRITE_NS);
	for (int a = 0; a < NWOPS; a++)
		for (int b = 0; b < 2; b++)
			verdict(wr[a][b].mean.med < TARGET_WRITE_NS,
				"%s, B=%d: %.0f ns (%.2fx the target)",
				wop_label[a], b ? WBATCH : 1,
				wr[a][b].mean.med,
				wr[a][b].mean.med / TARGET_WRITE_NS);
	printf("  [HGET and ZSCORE within %.1fx of GET]\n", TARGET_READ_X);
	for (int r = R_HGET1; r < NROWS; r++) {
		double x = rd[r].med / rd[row_base[r]].med;

		if (r == R_GETK)
			continue;
		verdict(x <= TARGET_READ_X, "%s: %.2fx GET", row_label[r], x);
	}
	printf("  [bytes per element no more than Redis]\n");
	for (int k = K_STRING; k <= K_HASH; k++) {
		double s = (double)m->used[k] / (double)o->n;
		double r = (double)m->redis[k] / (double)o->n;

		if (!m->have_redis) {
			printf("  n/a     %s: no redis-server\n", kind_label[k]);
			continue;
		}
		verdict(s <= r, "%s: shmrep %.1f B, Redis %.1f B (%.2fx)",
			kind_label[k], s, r, s / r);
	}
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	static struct wcell wres[NWOPS][2];
	struct bench_cell rres[NROWS];
	struct mem mem = { 0 };
	struct region rg;
	struct opts o;
	cpu_set_t cpus;
	double clk;
	int cpu;

	parse_args(argc, argv, &o);
	atexit(cleanup_all);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* The library stops with abort() when it finds its own state broken:
	 * the files must go then too. */
	sigaction(SIGABRT, &sa, NULL);
	/* A dead redis-server makes a write fail with EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	if (sched_getaffinity(0, sizeof(cpus), &cpus))
		bench_die("sched_getaffinity: %s", strerror(errno));
	cpu = bench_pin(o.cpu);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("shmrep-bench-coll: hashes and sorted sets at %zu elements: writes, reads, memory\n\n",
	       o.n);
	machine_print(cpu);
	clk = clock_cost();

	region_open(&rg, o.region_size);
	load_all(&o, &rg, &mem);
	check_sizes(&o, &rg, o.n, o.n);
	fprintf(stderr, "reads...\n");
	measure_reads(&o, &rg, rres);
	fprintf(stderr, "writes...\n");
	measure_writes(&o, &rg, wres);
	check_sizes(&o, &rg, o.n, o.n);
	region_close(&rg);

	if (o.redis)
		measure_redis(&o, &cpus, &mem);
	else
		printf("\n--no-redis: the Redis column is skipped\n");

	print_memory(&o, &mem);
	print_reads(&o, rres);
	print_writes(&o, wres, clk);
	print_targets(&o, &mem, rres, wres);
	return 0;
}
