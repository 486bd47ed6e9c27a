/*
 * test_hash.c - hashes and sets (shm/c_hash.c, client/r_hash.c).
 *
 * model: thousands of random commands on 12 hashes and 12 sets (HSET
 * with and without NX, HDEL, SADD, SREM, random pops, DEL, TTL changes,
 * bursts of a hundred entries at once), some aborted and some cut short by
 * injected allocation failures, are applied both to the region and to a
 * plain model.  Fields come from a pool of 300, some longer than
 * SHM_PACK_MAX_BYTES, and values sometimes are too, so collections cross
 * from packed to trie both ways (count and size) and never back.  After
 * every round each key is checked whole: type, TTL, encoding, every field
 * by lookup, a full iteration and a full scan (each entry exactly once),
 * the trie's invariants, and the allocator's.  In rcu mode a reader
 * snapshot taken before a round must still read the model as it was, after
 * the round rewrote and republished everything.  At the end, with every key
 * deleted, nothing may remain allocated but the snapshot records.  The
 * whole run is repeated in mutex mode (in-place writes), without the
 * snapshots, which would hold the writer off.
 *
 * Then: libshmrep's hash and set reads and their errors; damaged packed
 * values, descriptors, element leaves and tries (SHMREP_ECORRUPT, no crash,
 * no endless walk); copies into another region (keys_copy(), what a
 * daemon taking a region over does); and the samples
 * behind SPOP and SRANDMEMBER (distinct when asked, members only, and
 * spread evenly enough).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "c_hash.h"
#include "hamt.h"
#include "iter.h"
#include "keys.h"
#include "region.h"
#include "shmrep.h"
#include "testutil.h"
#include "writer.h"

#define MB (1024u * 1024u)
#define NKEYS 24 /* 0..11 hashes, 12..23 sets */
#define NF 300 /* field and member pool */
#define NLONG 20 /* the last NLONG are longer than SHM_PACK_MAX_BYTES */
#define VMAX 100
#define FAR_TTL 4000000000000ll

struct mkey {
	char key[48];
	uint32_t klen;
	uint8_t type;
	bool present;
	bool big; /* has passed a packing limit since it was created */
	int64_t expire;
	uint32_t n;
	bool has[NF];
	uint8_t vlen[NF];
	char val[NF][VMAX];
};

static struct mkey model[NKEYS], saved[4], snapmodel[NKEYS];
static uint64_t conversions; /* committed or not: packed to trie */
static char fields[NF][80];
static uint32_t flens[NF];

/* Report the first failed expectation of a check and fail it. */
#define EXPECT(cond)                                                           \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: %s failed (key %s)\n",         \
				__FILE__, __LINE__, #cond, m->key);            \
			return false;                                          \
		}                                                              \
	} while (0)

static void make_pool(void)
{
	for (int i = 0; i < NF; i++) {
		if (i < NF - NLONG)
			snprintf(fields[i], sizeof(fields[i]), "f%d", i);
		else
			snprintf(fields[i], sizeof(fields[i]),
				 "F%03d-a-field-name-longer-than-the-packed-limit-of-sixty-four-bytes",
				 i);
		flens[i] = (uint32_t)strlen(fields[i]);
	}
}

/* The decimal number after the first byte of p[0, len) (views are not
 * NUL-terminated), or -1. */
static long num_after(const void *p, size_t len)
{
	const char *s = p;
	long v = 0;
	size_t i;

	for (i = 1; i < len && i < 10 && s[i] >= '0' && s[i] <= '9'; i++)
		v = v * 10 + (s[i] - '0');
	return i > 1 ? v : -1;
}

/* Index of a pool string, or -1. */
static int field_index(const void *p, size_t len)
{
	const char *s = p;
	int i;

	if (!len || (s[0] != 'f' && s[0] != 'F'))
		return -1;
	i = (int)num_after(p, len);
	if (i < 0 || i >= NF || flens[i] != len || memcmp(fields[i], s, len))
		return -1;
	return i;
}

static void make_keys(void)
{
	memset(model, 0, sizeof(model));
	for (int i = 0; i < NKEYS; i++) {
		struct mkey *m = &model[i];

		m->type = i < NKEYS / 2 ? SHM_T_HASH : SHM_T_SET;
		/* Key lengths of every remainder mod 8: the descriptor after
		 * the key is aligned in none of them but one. */
		snprintf(m->key, sizeof(m->key), "%s:%.*s%d",
			 m->type == SHM_T_HASH ? "hash" : "set", i % 8,
			 "xxxxxxxx", i);
		m->klen = (uint32_t)strlen(m->key);
	}
}

static void model_clear(struct mkey *m)
{
	m->present = false;
	m->big = false;
	m->expire = 0;
	m->n = 0;
	memset(m->has, 0, sizeof(m->has));
}

static uint32_t rand_len(uint64_t *rs)
{
	uint64_t r = tu_rand(rs) % 100;

	if (r < 85)
		return (uint32_t)(tu_rand(rs) % 17);
	if (r < 95)
		return 17 + (uint32_t)(tu_rand(rs) % 48);
	return 65 + (uint32_t)(tu_rand(rs) % (VMAX - 65));
}

/* A field index: mostly short ones, now and then a long one. */
static int rand_field(uint64_t *rs)
{
	if (tu_rand(rs) % 40 == 0)
		return NF - NLONG + (int)(tu_rand(rs) % NLONG);
	return (int)(tu_rand(rs) % (NF - NLONG));
}

static int rand_count(uint64_t *rs)
{
	return tu_rand(rs) % 20 == 0 ? 40 + (int)(tu_rand(rs) % 100)
				      : 1 + (int)(tu_rand(rs) % 6);
}

static uint64_t test_rand(void *arg)
{
	return tu_rand(arg);
}

/* ------------------------------------------------------------ operations */

static int op_hset(struct shm_writer *w, struct mkey *m, uint64_t *rs)
{
	static char vals[NF][VMAX];
	static shmrep_view fv[2 * NF];
	static int idx[NF];
	static uint32_t vl[NF];
	int n = rand_count(rs);
	bool nx = tu_rand(rs) % 8 == 0;
	uint64_t added, expect = 0;
	int rc;

	for (int i = 0; i < n; i++) {
		idx[i] = rand_field(rs);
		vl[i] = rand_len(rs);
		for (uint32_t k = 0; k < vl[i]; k++)
			vals[i][k] = (char)('a' + tu_rand(rs) % 26);
		fv[2 * i].ptr = fields[idx[i]];
		fv[2 * i].len = flens[idx[i]];
		fv[2 * i + 1].ptr = vals[i];
		fv[2 * i + 1].len = vl[i];
	}
	rc = chash_hset(w, 0, m->key, m->klen, fv, (size_t)n, nx, &added);
	if (rc)
		return rc;
	for (int i = 0; i < n; i++) {
		int f = idx[i];

		if (m->has[f] && nx)
			continue;
		if (!m->has[f]) {
			m->has[f] = true;
			m->n++;
			expect++;
		}
		m->vlen[f] = (uint8_t)vl[i];
		memcpy(m->val[f], vals[i], vl[i]);
		if (flens[f] > SHM_PACK_MAX_BYTES || vl[i] > SHM_PACK_MAX_BYTES)
			m->big = true;
	}
	if (m->n > SHM_PACK_MAX_ENTRIES)
		m->big = true;
	m->present = true;
	CU_ASSERT_FATAL(added == expect);
	return 0;
}

static int op_sadd(struct shm_writer *w, struct mkey *m, uint64_t *rs)
{
	static shmrep_view mv[NF];
	static int idx[NF];
	int n = rand_count(rs);
	uint64_t added, expect = 0;
	int rc;

	for (int i = 0; i < n; i++) {
		idx[i] = rand_field(rs);
		mv[i].ptr = fields[idx[i]];
		mv[i].len = flens[idx[i]];
	}
	rc = chash_sadd(w, 0, m->key, m->klen, mv, (size_t)n, &added);
	if (rc)
		return rc;
	for (int i = 0; i < n; i++) {
		if (m->has[idx[i]])
			continue;
		m->has[idx[i]] = true;
		m->n++;
		expect++;
		if (flens[idx[i]] > SHM_PACK_MAX_BYTES)
			m->big = true;
	}
	if (m->n > SHM_PACK_MAX_ENTRIES)
		m->big = true;
	m->present = true;
	CU_ASSERT_FATAL(added == expect);
	return 0;
}

/* HDEL or SREM of a few fields, or of many. */
static int op_del_fields(struct shm_writer *w, struct mkey *m, uint64_t *rs)
{
	static shmrep_view fv[NF];
	static int idx[NF];
	int n = rand_count(rs);
	uint64_t done, expect = 0;
	int rc;

	for (int i = 0; i < n; i++) {
		/* Mostly fields that are there. */
		idx[i] = rand_field(rs);
		for (int t = 0; t < 8 && m->n && !m->has[idx[i]]; t++)
			idx[i] = rand_field(rs);
		fv[i].ptr = fields[idx[i]];
		fv[i].len = flens[idx[i]];
	}
	rc = (m->type == SHM_T_HASH ? chash_hdel : chash_srem)(
		w, 0, m->key, m->klen, fv, (size_t)n, &done);
	if (rc)
		return rc;
	for (int i = 0; i < n; i++) {
		if (!m->has[idx[i]])
			continue;
		m->has[idx[i]] = false;
		m->n--;
		expect++;
	}
	if (m->present && !m->n)
		model_clear(m);
	CU_ASSERT_FATAL(done == expect);
	return 0;
}

/* SPOP with a count: a distinct sample, then its removal. */
static int op_pop(struct shm_writer *w, struct mkey *m, uint64_t *rs)
{
	static shmrep_entry e[NF];
	static shmrep_view mv[NF];
	const struct shm_leaf *l;
	uint64_t k = 1 + tu_rand(rs) % 8, got, removed;
	bool seen[NF] = { false };
	int rc;

	if (keys_find(w, 0, m->key, m->klen, &l)) {
		CU_ASSERT_FATAL(!m->present);
		return 0;
	}
	CU_ASSERT_FATAL(chash_sample(&w->view, l, k, true, test_rand, rs, e,
				     &got) == 0);
	CU_ASSERT_FATAL(got == (k < m->n ? k : m->n));
	for (uint64_t i = 0; i < got; i++) {
		int f = field_index(e[i].key.ptr, e[i].key.len);

		CU_ASSERT_FATAL(f >= 0 && m->has[f] && !seen[f]);
		seen[f] = true;
		mv[i] = e[i].key;
	}
	rc = chash_srem(w, 0, m->key, m->klen, mv, got, &removed);
	if (rc)
		return rc;
	CU_ASSERT_FATAL(removed == got);
	for (int f = 0; f < NF; f++)
		if (seen[f]) {
			m->has[f] = false;
			m->n--;
		}
	if (!m->n)
		model_clear(m);
	return 0;
}

static int op_unlink(struct shm_writer *w, struct mkey *m)
{
	int rc = keys_unlink(w, 0, m->key, m->klen);

	if (rc == -ENOENT) {
		CU_ASSERT_FATAL(!m->present);
		return 0;
	}
	if (!rc)
		model_clear(m);
	return rc;
}

static int op_expire(struct shm_writer *w, struct mkey *m, uint64_t *rs)
{
	int64_t exp = tu_rand(rs) % 3 ? FAR_TTL + (int64_t)(tu_rand(rs) % 1000)
				       : 0;
	int rc = keys_set_expire(w, 0, m->key, m->klen, exp);

	if (rc == -ENOENT) {
		CU_ASSERT_FATAL(!m->present);
		return 0;
	}
	if (!rc)
		m->expire = exp;
	return rc;
}

static int run_op(struct shm_writer *w, struct mkey *m, uint64_t *rs)
{
	uint64_t op = tu_rand(rs) % 100;
	bool hash = m->type == SHM_T_HASH;

	if (op < 45) {
		bool was_big = m->big;
		int rc = hash ? op_hset(w, m, rs) : op_sadd(w, m, rs);

		conversions += !rc && !was_big && m->big;
		return rc;
	}
	if (op < 75)
		return op_del_fields(w, m, rs);
	if (op < 85 && !hash)
		return op_pop(w, m, rs);
	if (op < 90)
		return op_unlink(w, m);
	return op_expire(w, m, rs);
}

/* ---------------------------------------------------------------- checks */

struct seen_arg {
	const struct mkey *m;
	uint32_t count[NF];
	bool bad;
};

static void count_entry(struct seen_arg *a, const shmrep_entry *e)
{
	const struct mkey *m = a->m;
	int f = field_index(e->key.ptr, e->key.len);

	if (f < 0 || !m->has[f]) {
		a->bad = true;
		return;
	}
	a->count[f]++;
	if (m->type == SHM_T_HASH &&
	    (e->value.len != m->vlen[f] ||
	     memcmp(e->value.ptr, m->val[f], e->value.len)))
		a->bad = true;
}

static void scan_visit(void *arg, const shmrep_entry *e)
{
	count_entry(arg, e);
}

static bool all_once(const struct seen_arg *a)
{
	for (int f = 0; f < NF; f++)
		if (a->count[f] != (a->m->has[f] ? 1u : 0u))
			return false;
	return !a->bad;
}

/* Everything about key m, read through the writer's view. */
static bool verify_key(struct shm_writer *w, const struct mkey *m)
{
	const struct shm_view *v = &w->view;
	const struct shm_leaf *l;
	struct seen_arg *a;
	shmrep_iter it;
	shmrep_entry e;
	uint64_t n, cursor = 0;
	int rc = keys_find(w, 0, m->key, m->klen, &l), calls = 0;

	EXPECT((rc == 0) == m->present);
	if (rc)
		return true;
	EXPECT(l->type == m->type);
	EXPECT(l->expire_ms == m->expire);
	EXPECT(l->enc == (m->big ? SHM_E_HAMT : SHM_E_PACK));
	EXPECT(chash_len(v, l, &n) == 0 && n == m->n);
	for (int f = 0; f < NF; f++) {
		if (m->type == SHM_T_HASH) {
			shmrep_view val;

			rc = chash_hget(v, l, fields[f], flens[f], &val);
			EXPECT(rc == (m->has[f] ? 0 : SHMREP_ENOENT));
			EXPECT(rc || (val.len == m->vlen[f] &&
				      !memcmp(val.ptr, m->val[f], val.len)));
		} else {
			rc = chash_sismember(v, l, fields[f], flens[f]);
			EXPECT(rc == m->has[f]);
		}
	}
	if (m->big) {
		struct shm_vcoll d;
		uint64_t leaves;

		memcpy(&d, shm_leaf_val(l), sizeof(d));
		EXPECT(d.count == m->n);
		EXPECT(hamt_check(v, d.root, &leaves) == 0 && leaves == m->n);
	}
	a = calloc(2, sizeof(*a));
	if (!a)
		abort();
	a[0].m = a[1].m = m;
	EXPECT(chash_iter(&it, v, l) == 0);
	while ((rc = iter_next(&it, &e)) == 1)
		count_entry(&a[0], &e);
	if (rc == 0)
		do
			rc = chash_scan(v, l, &cursor, 7, scan_visit, &a[1]);
		while (!rc && cursor && ++calls < 10000);
	rc = rc == 0 && all_once(&a[0]) && all_once(&a[1]);
	free(a);
	EXPECT(rc);
	return true;
}

/* Key m as a snapshot shows it, through the public API. */
static bool verify_snapshot_key(shmrep_snapshot *s, const struct mkey *m)
{
	shmrep_view views[8], vals[8];
	shmrep_iter it;
	shmrep_entry e;
	uint64_t n, count = 0;
	int ismem[8], rc;
	bool hash = m->type == SHM_T_HASH;

	rc = hash ? shmrep_snapshot_hlen(s, 0, m->key, m->klen, &n)
		  : shmrep_snapshot_scard(s, 0, m->key, m->klen, &n);
	EXPECT(rc == (m->present ? 0 : SHMREP_ENOENT));
	if (!m->present)
		return true;
	EXPECT(n == m->n);
	for (int f = 0; f < NF; f += 8) {
		int cnt = NF - f < 8 ? NF - f : 8;

		for (int k = 0; k < cnt; k++) {
			views[k].ptr = fields[f + k];
			views[k].len = flens[f + k];
		}
		if (hash) {
			EXPECT(shmrep_snapshot_hmget(s, 0, m->key, m->klen,
						     views, (size_t)cnt,
						     vals) == 0);
			for (int k = 0; k < cnt; k++)
				EXPECT(m->has[f + k]
					       ? vals[k].len == m->vlen[f + k] &&
							 vals[k].ptr &&
							 !memcmp(vals[k].ptr,
								 m->val[f + k],
								 vals[k].len)
					       : vals[k].ptr == NULL);
			rc = shmrep_snapshot_hget(s, 0, m->key, m->klen,
						  views[0].ptr, views[0].len,
						  &vals[0]);
			EXPECT(rc == (m->has[f] ? 0 : SHMREP_ENOENT));
		} else {
			EXPECT(shmrep_snapshot_smismember(s, 0, m->key, m->klen,
							  views, (size_t)cnt,
							  ismem) == 0);
			for (int k = 0; k < cnt; k++)
				EXPECT(ismem[k] == m->has[f + k]);
			EXPECT(shmrep_snapshot_sismember(s, 0, m->key, m->klen,
							 views[0].ptr,
							 views[0].len) ==
			       m->has[f]);
		}
	}
	rc = hash ? shmrep_snapshot_hiter(s, 0, m->key, m->klen, &it)
		  : shmrep_snapshot_siter(s, 0, m->key, m->klen, &it);
	EXPECT(rc == 0);
	while ((rc = shmrep_iter_next(&it, &e)) == 1) {
		int f = field_index(e.key.ptr, e.key.len);

		EXPECT(f >= 0 && m->has[f]);
		EXPECT(!hash || (e.value.len == m->vlen[f] &&
				 !memcmp(e.value.ptr, m->val[f], e.value.len)));
		count++;
	}
	EXPECT(rc == 0 && count == m->n);
	return true;
}

/* ------------------------------------------------------------------ model */

static void model_run(int mode)
{
	const char *name = tu_name(mode == SHM_MODE_MUTEX ? "hashm" : "hashr");
	struct shm_writer *w;
	uint64_t rs = tu_seed(), commands = 0, aborted = 0, failed = 0;
	shmrep *h = NULL;
	shmrep_snapshot *snap = NULL;
	int idx[4];

	conversions = 0;
	tu_mode = mode;
	w = tu_writer(name, 256 * MB);
	tu_mode = SHM_MODE_RCU;
	CU_ASSERT_FATAL(w != NULL);
	make_pool();
	make_keys();
	if (mode == SHM_MODE_RCU) {
		CU_ASSERT_FATAL(shm_wr_publish(w) >= 0);
		CU_ASSERT_FATAL(shmrep_open(name, 0, &h) == 0);
	}
	for (int round = 0; round < 40; round++) {
		/* Pin the state before this round; check it after. */
		if (h && round % 3 == 0) {
			CU_ASSERT_FATAL(shm_wr_publish(w) >= 0);
			CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &snap) == 0);
			memcpy(snapmodel, model, sizeof(model));
		}
		for (int c = 0; c < 250; c++) {
			int nops = 1 + (int)(tu_rand(&rs) % 3), rc = 0, k;
			bool inject = tu_rand(&rs) % 12 == 0;
			bool abort_it = tu_rand(&rs) % 10 == 0;

			CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
			if (inject)
				w->alloc.fail_after = 1 + tu_rand(&rs) % 40;
			for (k = 0; k < nops && !rc; k++) {
				idx[k] = (int)(tu_rand(&rs) % NKEYS);
				saved[k] = model[idx[k]];
				rc = run_op(w, &model[idx[k]], &rs);
			}
			w->alloc.fail_after = 0;
			CU_ASSERT_FATAL(rc == 0 || rc == -ENOMEM);
			commands++;
			failed += rc != 0;
			if (rc || abort_it) {
				aborted++;
				shm_wr_abort(w);
				while (k-- > 0)
					model[idx[k]] = saved[k];
			} else {
				shm_wr_commit(w);
			}
			if (tu_rand(&rs) % 6 == 0)
				CU_ASSERT_FATAL(shm_wr_publish(w) >= 0);
		}
		for (int i = 0; i < NKEYS; i++)
			CU_ASSERT_FATAL(verify_key(w, &model[i]));
		CU_ASSERT_FATAL(alloc_check(&w->alloc) == 0);
		if (snap) {
			CU_ASSERT_FATAL(shm_wr_publish(w) >= 0);
			for (int i = 0; i < NKEYS; i++)
				CU_ASSERT_FATAL(verify_snapshot_key(snap,
								    &snapmodel[i]));
			shmrep_snapshot_end(snap);
			snap = NULL;
		}
	}
	fprintf(stderr,
		"%s: %llu commands, %llu aborted (%llu by allocation failures), %llu conversions to a trie\n",
		mode == SHM_MODE_MUTEX ? "mutex" : "rcu",
		(unsigned long long)commands, (unsigned long long)aborted,
		(unsigned long long)failed, (unsigned long long)conversions);
	/* Delete everything: once published and reclaimed, only the current
	 * record and the spare may remain. */
	CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
	for (int i = 0; i < NKEYS; i++)
		CU_ASSERT_FATAL(op_unlink(w, &model[i]) == 0);
	shm_wr_commit(w);
	shm_wr_publish(w);
	shm_wr_publish(w);
	for (int i = 0; i < NKEYS; i++)
		CU_ASSERT_FATAL(verify_key(w, &model[i]));
	CU_ASSERT(w->db[0].nkeys == 0);
	CU_ASSERT(w->alloc.used == 2 * alloc_rounded(region_snap_size(w->ndb)));
	CU_ASSERT(alloc_check(&w->alloc) == 0);
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

static void test_model_rcu(void)
{
	model_run(SHM_MODE_RCU);
}

static void test_model_mutex(void)
{
	model_run(SHM_MODE_MUTEX);
}

/* ------------------------------------------------------------ reader API */

/* 100 dashes: the padding of long values. */
static const char *dashes(void)
{
	static char d[101];

	if (!d[0])
		memset(d, '-', 100);
	return d;
}

/* Fill key in db with n fields "f<i>" = "v<i>" (hash) or members (set),
 * in a command of its own; vpad makes the values that much longer. */
static int fill(struct shm_writer *w, unsigned db, const char *key,
		uint8_t type, int n, int vpad)
{
	char (*f)[16] = malloc((size_t)n * 16), (*v)[128] = malloc((size_t)n * 128);
	shmrep_view *views = malloc((size_t)n * 2 * sizeof(*views));
	uint64_t added;
	int rc = shm_wr_begin(w);

	if (!f || !v || !views)
		abort();
	for (int i = 0; !rc && i < n; i++) {
		snprintf(f[i], 16, "f%d", i);
		snprintf(v[i], 128, "v%d%.*s", i, vpad, dashes());
		if (type == SHM_T_HASH) {
			views[2 * i].ptr = f[i];
			views[2 * i].len = strlen(f[i]);
			views[2 * i + 1].ptr = v[i];
			views[2 * i + 1].len = strlen(v[i]);
		} else {
			views[i].ptr = f[i];
			views[i].len = strlen(f[i]);
		}
	}
	if (!rc)
		rc = type == SHM_T_HASH
			     ? chash_hset(w, db, key, (uint32_t)strlen(key),
					  views, (size_t)n, false, &added)
			     : chash_sadd(w, db, key, (uint32_t)strlen(key),
					  views, (size_t)n, &added);
	if (rc)
		shm_wr_abort(w);
	else
		shm_wr_commit(w);
	free(f);
	free(v);
	free(views);
	return rc;
}

static int count_iter(shmrep_iter *it, int *err)
{
	shmrep_entry e;
	int n = 0, rc;

	while ((rc = shmrep_iter_next(it, &e)) == 1)
		n++;
	*err = rc;
	return n;
}

static void test_reader_api(void)
{
	const char *name = tu_name("hread");
	struct shm_writer *w = tu_writer(name, 16 * MB);
	shmrep_view fv[3] = { { "f1", 2 }, { "nope", 4 }, { "f150", 4 } }, out[3];
	int ism[3], err;
	shmrep_snapshot *s;
	shmrep_iter it;
	shmrep_view v;
	uint64_t n;
	shmrep *h;

	CU_ASSERT_FATAL(w != NULL);
	CU_ASSERT_FATAL(fill(w, 0, "ph", SHM_T_HASH, 10, 0) == 0);
	CU_ASSERT_FATAL(fill(w, 0, "bh", SHM_T_HASH, 200, 0) == 0);
	CU_ASSERT_FATAL(fill(w, 0, "vh", SHM_T_HASH, 3, 70) == 0);
	CU_ASSERT_FATAL(fill(w, 0, "ps", SHM_T_SET, 10, 0) == 0);
	CU_ASSERT_FATAL(fill(w, 0, "bs", SHM_T_SET, 500, 0) == 0);
	CU_ASSERT_FATAL(fill(w, 3, "ph", SHM_T_HASH, 1, 0) == 0);
	CU_ASSERT_FATAL(fill(w, 0, "gone", SHM_T_HASH, 5, 0) == 0);
	CU_ASSERT_FATAL(tu_set(w, 0, "str", "x", 0) == 0);
	CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
	CU_ASSERT_FATAL(keys_set_expire(w, 0, "gone", 4, 1000) == 0);
	shm_wr_commit(w);
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	CU_ASSERT_FATAL(shmrep_open(name, 0, &h) == 0);
	CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s) == 0);

	/* hget: packed, large, long values, misses, errors. */
	CU_ASSERT(shmrep_snapshot_hget(s, 0, "ph", 2, "f3", 2, &v) == 0);
	CU_ASSERT(v.len == 2 && !memcmp(v.ptr, "v3", 2));
	CU_ASSERT(shmrep_snapshot_hget(s, 0, "bh", 2, "f199", 4, &v) == 0);
	CU_ASSERT(v.len == 4 && !memcmp(v.ptr, "v199", 4));
	CU_ASSERT(shmrep_snapshot_hget(s, 0, "vh", 2, "f2", 2, &v) == 0);
	CU_ASSERT(v.len == 72);
	CU_ASSERT(shmrep_snapshot_hget(s, 0, "ph", 2, "f10", 3, &v) ==
		  SHMREP_ENOENT);
	CU_ASSERT(v.ptr == NULL && v.len == 0);
	CU_ASSERT(shmrep_snapshot_hget(s, 0, "bh", 2, "", 0, &v) ==
		  SHMREP_ENOENT);
	CU_ASSERT(shmrep_snapshot_hget(s, 0, "nokey", 5, "f1", 2, &v) ==
		  SHMREP_ENOENT);
	CU_ASSERT(shmrep_snapshot_hget(s, 0, "gone", 4, "f1", 2, &v) ==
		  SHMREP_ENOENT);
	CU_ASSERT(shmrep_snapshot_hget(s, 0, "str", 3, "f1", 2, &v) ==
		  SHMREP_EWRONGTYPE);
	CU_ASSERT(shmrep_snapshot_hget(s, 0, "ps", 2, "f1", 2, &v) ==
		  SHMREP_EWRONGTYPE);
	CU_ASSERT(shmrep_snapshot_hget(s, -1, "ph", 2, "f1", 2, &v) ==
		  SHMREP_EINVAL);
	CU_ASSERT(shmrep_snapshot_hget(s, 16, "ph", 2, "f1", 2, &v) ==
		  SHMREP_EINVAL);
	CU_ASSERT(shmrep_snapshot_hget(s, 3, "ph", 2, "f0", 2, &v) == 0);
	CU_ASSERT(shmrep_snapshot_hget(s, 3, "ph", 2, "f1", 2, &v) ==
		  SHMREP_ENOENT);

	/* hmget */
	CU_ASSERT(shmrep_snapshot_hmget(s, 0, "bh", 2, fv, 3, out) == 0);
	CU_ASSERT(out[0].len == 2 && !memcmp(out[0].ptr, "v1", 2));
	CU_ASSERT(out[1].ptr == NULL && out[1].len == 0);
	CU_ASSERT(out[2].len == 4 && !memcmp(out[2].ptr, "v150", 4));
	CU_ASSERT(shmrep_snapshot_hmget(s, 0, "ph", 2, fv, 3, out) == 0);
	CU_ASSERT(out[0].ptr && out[1].ptr == NULL && out[2].ptr == NULL);
	CU_ASSERT(shmrep_snapshot_hmget(s, 0, "nokey", 5, fv, 3, out) ==
		  SHMREP_ENOENT);
	CU_ASSERT(!out[0].ptr && !out[1].ptr && !out[2].ptr);
	CU_ASSERT(shmrep_snapshot_hmget(s, 0, "bs", 2, fv, 3, out) ==
		  SHMREP_EWRONGTYPE);
	CU_ASSERT(!out[0].ptr);

	/* hlen, hiter */
	CU_ASSERT(shmrep_snapshot_hlen(s, 0, "ph", 2, &n) == 0 && n == 10);
	CU_ASSERT(shmrep_snapshot_hlen(s, 0, "bh", 2, &n) == 0 && n == 200);
	CU_ASSERT(shmrep_snapshot_hlen(s, 0, "nokey", 5, &n) == SHMREP_ENOENT &&
		  n == 0);
	CU_ASSERT(shmrep_snapshot_hlen(s, 0, "bs", 2, &n) == SHMREP_EWRONGTYPE);
	CU_ASSERT(shmrep_snapshot_hiter(s, 0, "bh", 2, &it) == 0);
	CU_ASSERT(count_iter(&it, &err) == 200 && err == 0);
	CU_ASSERT(shmrep_snapshot_hiter(s, 0, "vh", 2, &it) == 0);
	CU_ASSERT(count_iter(&it, &err) == 3 && err == 0);
	CU_ASSERT(shmrep_snapshot_hiter(s, 0, "nokey", 5, &it) ==
		  SHMREP_ENOENT);
	CU_ASSERT(count_iter(&it, &err) == 0 && err == 0);
	CU_ASSERT(shmrep_snapshot_hiter(s, 0, "str", 3, &it) ==
		  SHMREP_EWRONGTYPE);
	CU_ASSERT(count_iter(&it, &err) == 0 && err == 0);

	/* sets */
	CU_ASSERT(shmrep_snapshot_sismember(s, 0, "ps", 2, "f9", 2) == 1);
	CU_ASSERT(shmrep_snapshot_sismember(s, 0, "ps", 2, "f10", 3) == 0);
	CU_ASSERT(shmrep_snapshot_sismember(s, 0, "bs", 2, "f499", 4) == 1);
	CU_ASSERT(shmrep_snapshot_sismember(s, 0, "bs", 2, "f500", 4) == 0);
	CU_ASSERT(shmrep_snapshot_sismember(s, 0, "nokey", 5, "f1", 2) == 0);
	CU_ASSERT(shmrep_snapshot_sismember(s, 0, "ph", 2, "f1", 2) ==
		  SHMREP_EWRONGTYPE);
	CU_ASSERT(shmrep_snapshot_sismember(s, 99, "ps", 2, "f1", 2) ==
		  SHMREP_EINVAL);
	CU_ASSERT(shmrep_snapshot_smismember(s, 0, "bs", 2, fv, 3, ism) == 0);
	CU_ASSERT(ism[0] == 1 && ism[1] == 0 && ism[2] == 1);
	CU_ASSERT(shmrep_snapshot_smismember(s, 0, "nokey", 5, fv, 3, ism) == 0);
	CU_ASSERT(ism[0] == 0 && ism[1] == 0 && ism[2] == 0);
	CU_ASSERT(shmrep_snapshot_smismember(s, 0, "str", 3, fv, 3, ism) ==
		  SHMREP_EWRONGTYPE);
	CU_ASSERT(shmrep_snapshot_scard(s, 0, "bs", 2, &n) == 0 && n == 500);
	CU_ASSERT(shmrep_snapshot_scard(s, 0, "ps", 2, &n) == 0 && n == 10);
	CU_ASSERT(shmrep_snapshot_scard(s, 0, "nokey", 5, &n) == SHMREP_ENOENT);
	CU_ASSERT(shmrep_snapshot_scard(s, 0, "bh", 2, &n) == SHMREP_EWRONGTYPE);
	CU_ASSERT(shmrep_snapshot_siter(s, 0, "bs", 2, &it) == 0);
	CU_ASSERT(count_iter(&it, &err) == 500 && err == 0);
	CU_ASSERT(shmrep_snapshot_siter(s, 0, "ps", 2, &it) == 0);
	CU_ASSERT(count_iter(&it, &err) == 10 && err == 0);
	CU_ASSERT(shmrep_snapshot_siter(s, 0, "ph", 2, &it) ==
		  SHMREP_EWRONGTYPE);
	CU_ASSERT(count_iter(&it, &err) == 0 && err == 0);
	shmrep_snapshot_end(s);
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/* -------------------------------------------------------------- damage */

/* Every read of key (a hash or a set) either fails with SHMREP_ECORRUPT
 * or succeeds: what a damaged region may give, never a crash or a hang. */
static void expect_safe(shmrep *h, const char *key, bool hash, int *corrupt)
{
	shmrep_view fv[2] = { { "f1", 2 }, { "f150", 4 } }, out[2], v;
	shmrep_snapshot *s;
	shmrep_iter it;
	shmrep_entry e;
	uint64_t n;
	int ism[2], rc, steps = 0;
	size_t kl = strlen(key);

	CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s) == 0);
	if (hash) {
		rc = shmrep_snapshot_hget(s, 0, key, kl, "f1", 2, &v);
		CU_ASSERT(rc == 0 || rc == SHMREP_ENOENT || rc == SHMREP_ECORRUPT);
		*corrupt += rc == SHMREP_ECORRUPT;
		rc = shmrep_snapshot_hmget(s, 0, key, kl, fv, 2, out);
		CU_ASSERT(rc == 0 || rc == SHMREP_ECORRUPT);
		rc = shmrep_snapshot_hlen(s, 0, key, kl, &n);
		CU_ASSERT(rc == 0 || rc == SHMREP_ECORRUPT);
		rc = shmrep_snapshot_hiter(s, 0, key, kl, &it);
	} else {
		rc = shmrep_snapshot_sismember(s, 0, key, kl, "f1", 2);
		CU_ASSERT(rc == 0 || rc == 1 || rc == SHMREP_ECORRUPT);
		*corrupt += rc == SHMREP_ECORRUPT;
		rc = shmrep_snapshot_smismember(s, 0, key, kl, fv, 2, ism);
		CU_ASSERT(rc == 0 || rc == SHMREP_ECORRUPT);
		rc = shmrep_snapshot_scard(s, 0, key, kl, &n);
		CU_ASSERT(rc == 0 || rc == SHMREP_ECORRUPT);
		rc = shmrep_snapshot_siter(s, 0, key, kl, &it);
	}
	CU_ASSERT(rc == 0 || rc == SHMREP_ECORRUPT);
	/* A walk of a damaged trie must end: every region is finite, and
	 * a trie walk refuses hashes that do not increase. */
	while ((rc = shmrep_iter_next(&it, &e)) == 1 && ++steps < 10000000)
		;
	CU_ASSERT(rc == 0 || rc == SHMREP_ECORRUPT);
	*corrupt += rc == SHMREP_ECORRUPT;
	shmrep_snapshot_end(s);
}

/* The published leaf of key, writable (the test plays the damage). */
static struct shm_leaf *wleaf(struct shm_writer *w, const char *key)
{
	const struct shm_leaf *l;

	CU_ASSERT_FATAL(keys_find(w, 0, key, (uint32_t)strlen(key), &l) == 0);
	return (struct shm_leaf *)(uintptr_t)l;
}

static void test_corrupt(void)
{
	const char *name = tu_name("hbad");
	struct shm_writer *w = tu_writer(name, 16 * MB);
	struct shm_leaf *l;
	struct shm_vcoll d, saved_d;
	uint8_t save[64], *val;
	int corrupt = 0, before;
	shmrep *h;

	CU_ASSERT_FATAL(w != NULL);
	CU_ASSERT_FATAL(fill(w, 0, "ph", SHM_T_HASH, 10, 0) == 0);
	CU_ASSERT_FATAL(fill(w, 0, "ps", SHM_T_SET, 10, 0) == 0);
	CU_ASSERT_FATAL(fill(w, 0, "bigh", SHM_T_HASH, 300, 0) == 0);
	CU_ASSERT_FATAL(fill(w, 0, "bigs", SHM_T_SET, 300, 0) == 0);
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	CU_ASSERT_FATAL(shmrep_open(name, 0, &h) == 0);

	/* Packed: a count beyond the bytes, then an entry that overruns. */
	for (int t = 0; t < 2; t++) {
		const char *key = t ? "ps" : "ph";

		l = wleaf(w, key);
		val = l->data + l->klen;
		memcpy(save, val, 8);
		before = corrupt;
		memcpy(val, &(uint32_t){ 0xffffffffu }, 4);
		expect_safe(h, key, !t, &corrupt);
		memcpy(val, &(uint32_t){ 11 }, 4); /* one more than there is */
		expect_safe(h, key, !t, &corrupt);
		memcpy(val, save, 4);
		memcpy(val + 4, &(uint32_t){ 0x7fffffffu }, 4);
		expect_safe(h, key, !t, &corrupt);
		memcpy(val, save, 8);
		CU_ASSERT(corrupt >= before + 4);
		/* The value's length past the end of the region. */
		before = corrupt;
		memcpy(save, &l->vlen, 4);
		l->vlen = 0xfffffff0u;
		expect_safe(h, key, !t, &corrupt);
		memcpy(&l->vlen, save, 4);
		/* An encoding a hash or set never has. */
		l->enc = SHM_E_LTREE;
		expect_safe(h, key, !t, &corrupt);
		l->enc = SHM_E_HAMT; /* with a packed value's length */
		expect_safe(h, key, !t, &corrupt);
		l->enc = SHM_E_PACK;
		CU_ASSERT(corrupt >= before + 3);
	}
	/* Large: the descriptor's root, an element leaf, a node. */
	for (int t = 0; t < 2; t++) {
		const char *key = t ? "bigs" : "bigh";
		static const shm_ref bad[] = { 0xffffffffu, 1, 0x7fffffffu };
		struct shm_node *root;
		struct shm_leaf *el;
		uint64_t bitmap;

		l = wleaf(w, key);
		val = l->data + l->klen;
		memcpy(&saved_d, val, sizeof(saved_d));
		before = corrupt;
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			d = saved_d;
			d.root = bad[i];
			memcpy(val, &d, sizeof(d));
			expect_safe(h, key, !t, &corrupt);
		}
		memcpy(val, &saved_d, sizeof(d));
		CU_ASSERT(corrupt >= before + 4);
		/* The root pointing at itself from one of its entries: the
		 * walk must notice the hashes going back. */
		root = shm_wr_ptr(w, saved_d.root);
		for (unsigned i = 0; i < shm_popc(root->bitmap); i++) {
			uint64_t bit = 0;
			unsigned k = 0;

			for (uint64_t m = root->bitmap; m; m &= m - 1, k++)
				if (k == i)
					bit = m & (0 - m);
			if (root->leafmap & bit)
				continue;
			{
				shm_ref keep = root->ent[i];

				root->ent[i] = saved_d.root;
				before = corrupt;
				expect_safe(h, key, !t, &corrupt);
				CU_ASSERT(corrupt > before);
				root->ent[i] = keep;
			}
			break;
		}
		/* A bitmap claiming children it does not have. */
		bitmap = root->bitmap;
		root->bitmap = ~0ull;
		expect_safe(h, key, !t, &corrupt);
		root->bitmap = bitmap;
		/* An element leaf that is not one (found through the
		 * writer's mapping: the reader's is read-only). */
		{
			shmrep_iter it;
			shmrep_entry e;

			CU_ASSERT_FATAL(chash_iter(&it, &w->view, l) == 0);
			CU_ASSERT_FATAL(iter_next(&it, &e) == 1);
			el = (struct shm_leaf *)(uintptr_t)((const uint8_t *)e.key.ptr -
							    sizeof(*el));
			el->type = SHM_T_STRING;
			before = corrupt;
			{
				shmrep_snapshot *s2;
				int rc;

				CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s2) == 0);
				rc = t ? shmrep_snapshot_sismember(s2, 0, key,
								   strlen(key),
								   e.key.ptr,
								   e.key.len)
				       : shmrep_snapshot_hget(s2, 0, key,
							      strlen(key),
							      e.key.ptr,
							      e.key.len,
							      &(shmrep_view){ 0 });
				CU_ASSERT(rc == SHMREP_ECORRUPT);
				shmrep_snapshot_end(s2);
			}
			el->type = SHM_T_ELEM;
			if (!t) {
				uint32_t vl = el->vlen;

				el->vlen = 0xfffffff0u;
				expect_safe(h, key, true, &corrupt);
				el->vlen = vl;
			}
		}
	}
	/* Repaired, everything reads again. */
	corrupt = 0;
	expect_safe(h, "ph", true, &corrupt);
	expect_safe(h, "ps", false, &corrupt);
	expect_safe(h, "bigh", true, &corrupt);
	expect_safe(h, "bigs", false, &corrupt);
	CU_ASSERT(corrupt == 0);
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/* ---------------------------------------------------------------- copy */

struct copy_arg {
	struct shm_writer *to;
	const struct shm_view *from;
	int rc;
	int copied;
};

/* What a writer taking a region over does with each leaf (keys_copy). */
static int copy_visit(void *arg, const struct shm_leaf *const *ls, unsigned n)
{
	struct copy_arg *a = arg;
	shm_ref r;

	for (unsigned i = 0; i < n && !a->rc; i++) {
		a->rc = keys_copy(a->to, a->from, ls[i], ls[i]->data,
				  ls[i]->klen, ls[i]->expire_ms, &r);
		if (!a->rc)
			a->rc = keys_link(a->to, 0, r, KEYS_REPLACE, NULL);
		a->copied++;
	}
	return a->rc ? HAMT_STOP : HAMT_NEXT;
}

/* Hashes and sets copied into another region (a takeover, keys_copy())
 * read the same there, and share nothing with the originals. */
static void test_copy(void)
{
	const char *na = tu_name("hcpa"), *nb = tu_name("hcpb");
	struct shm_writer *a = tu_writer(na, 16 * MB), *b = tu_writer(nb, 16 * MB);
	struct copy_arg ca = { .to = b };
	const char *keys[] = { "ph", "bh", "ps", "bs", "vh" };
	uint64_t cursor = 0;

	CU_ASSERT_FATAL(a && b);
	CU_ASSERT_FATAL(fill(a, 0, "ph", SHM_T_HASH, 20, 0) == 0);
	CU_ASSERT_FATAL(fill(a, 0, "bh", SHM_T_HASH, 1000, 10) == 0);
	CU_ASSERT_FATAL(fill(a, 0, "vh", SHM_T_HASH, 5, 80) == 0);
	CU_ASSERT_FATAL(fill(a, 0, "ps", SHM_T_SET, 20, 0) == 0);
	CU_ASSERT_FATAL(fill(a, 0, "bs", SHM_T_SET, 3000, 0) == 0);
	CU_ASSERT_FATAL(shm_wr_begin(a) == 0);
	CU_ASSERT_FATAL(keys_set_expire(a, 0, "bh", 2, FAR_TTL) == 0);
	shm_wr_commit(a);
	CU_ASSERT_FATAL(shm_wr_publish(a) == 1);
	ca.from = &a->view;
	CU_ASSERT_FATAL(shm_wr_begin(b) == 0);
	CU_ASSERT_FATAL(hamt_scan(&a->view, a->db[0].root, &cursor, 0,
				  copy_visit, &ca) == 0);
	CU_ASSERT_FATAL(ca.rc == 0 && ca.copied == 5);
	shm_wr_commit(b);
	CU_ASSERT_FATAL(shm_wr_publish(b) == 1);
	/* The originals go: the copies must not notice. */
	CU_ASSERT_FATAL(shm_wr_begin(a) == 0);
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		CU_ASSERT_FATAL(keys_unlink(a, 0, keys[k], 2) == 0);
	shm_wr_commit(a);
	CU_ASSERT_FATAL(shm_wr_publish(a) == 1);
	CU_ASSERT_FATAL(fill(a, 0, "ph", SHM_T_HASH, 20, 5) == 0);
	CU_ASSERT_FATAL(fill(a, 0, "bh", SHM_T_HASH, 1000, 30) == 0);
	CU_ASSERT_FATAL(fill(a, 0, "vh", SHM_T_HASH, 5, 90) == 0);
	CU_ASSERT_FATAL(fill(a, 0, "ps", SHM_T_SET, 20, 0) == 0);
	CU_ASSERT_FATAL(fill(a, 0, "bs", SHM_T_SET, 3000, 0) == 0);
	CU_ASSERT_FATAL(shm_wr_publish(a) == 1);
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		const struct shm_leaf *la, *lb;
		shmrep_iter it;
		shmrep_entry e;
		uint64_t na_, nb_, seen = 0;
		bool same = true;

		CU_ASSERT_FATAL(keys_find(a, 0, keys[k], 2, &la) == 0);
		CU_ASSERT_FATAL(keys_find(b, 0, keys[k], 2, &lb) == 0);
		CU_ASSERT(la->type == lb->type && la->enc == lb->enc);
		CU_ASSERT(lb->expire_ms == (k == 1 ? FAR_TTL : 0));
		CU_ASSERT(chash_len(&a->view, la, &na_) == 0);
		CU_ASSERT(chash_len(&b->view, lb, &nb_) == 0 && na_ == nb_);
		/* Same fields; the values are the original's ("v<i>" and
		 * the padding it had), not the refill's. */
		CU_ASSERT(chash_iter(&it, &b->view, lb) == 0);
		while (iter_next(&it, &e) == 1) {
			long i = num_after(e.key.ptr, e.key.len);

			if (la->type == SHM_T_HASH) {
				int pad = k == 0 ? 0 : k == 1 ? 10 : 80;
				char want[128];

				snprintf(want, sizeof(want), "v%ld%.*s", i, pad,
					 dashes());
				same &= e.value.len == strlen(want) &&
					!memcmp(e.value.ptr, want, e.value.len);
			}
			same &= chash_sismember(&a->view, la, e.key.ptr,
						e.key.len) == 1 ||
				(la->type == SHM_T_HASH &&
				 chash_hget(&a->view, la, e.key.ptr, e.key.len,
					    &(shmrep_view){ 0 }) == 0);
			seen++;
		}
		CU_ASSERT(same);
		CU_ASSERT(seen == nb_);
		if (lb->enc == SHM_E_HAMT) {
			struct shm_vcoll d;
			uint64_t leaves;

			memcpy(&d, shm_leaf_val(lb), sizeof(d));
			CU_ASSERT(hamt_check(&b->view, d.root, &leaves) == 0 &&
				  leaves == nb_);
		}
	}
	/* A damaged source is refused, and the command can be undone. */
	{
		const struct shm_leaf *la;
		struct shm_vcoll d, keep;
		uint8_t *val;
		shm_ref r;

		CU_ASSERT_FATAL(keys_find(a, 0, "bs", 2, &la) == 0);
		val = (uint8_t *)(uintptr_t)shm_leaf_val(la);
		memcpy(&keep, val, sizeof(keep));
		d = keep;
		d.root = 0xfffffff0u;
		memcpy(val, &d, sizeof(d));
		CU_ASSERT_FATAL(shm_wr_begin(b) == 0);
		CU_ASSERT(keys_copy(b, &a->view, la, "x", 1, 0, &r) ==
			  SHMREP_ECORRUPT);
		shm_wr_abort(b);
		memcpy(val, &keep, sizeof(keep));
		/* And a region too small for the copy says so. */
		CU_ASSERT_FATAL(shm_wr_begin(b) == 0);
		b->alloc.fail_after = 500;
		CU_ASSERT(keys_copy(b, &a->view, la, "x", 1, 0, &r) == -ENOMEM);
		b->alloc.fail_after = 0;
		shm_wr_abort(b);
	}
	CU_ASSERT(alloc_check(&b->alloc) == 0);
	shm_writer_close(a);
	shm_writer_close(b);
	tu_unlink_region(na);
	tu_unlink_region(nb);
}

/* -------------------------------------------------------------- samples */

/* n draws of one member from a set of size members: each member's share
 * is within [lo, hi] times the uniform one. */
static void spread(struct shm_writer *w, const char *key, int size,
		   int draws, double lo, double hi, uint64_t *rs)
{
	const struct shm_leaf *l;
	unsigned *count = calloc((size_t)size, sizeof(*count));
	unsigned min = ~0u, max = 0;
	shmrep_entry e;
	uint64_t got;

	CU_ASSERT_FATAL(count != NULL);
	CU_ASSERT_FATAL(keys_find(w, 0, key, (uint32_t)strlen(key), &l) == 0);
	for (int i = 0; i < draws; i++) {
		CU_ASSERT_FATAL(chash_sample(&w->view, l, 1, false, test_rand,
					     rs, &e, &got) == 0 && got == 1);
		count[num_after(e.key.ptr, e.key.len)]++;
	}
	for (int i = 0; i < size; i++) {
		min = count[i] < min ? count[i] : min;
		max = count[i] > max ? count[i] : max;
	}
	fprintf(stderr, "%s: %d draws over %d members: %u to %u each (uniform %d)\n",
		key, draws, size, min, max, draws / size);
	CU_ASSERT(min >= lo * draws / size && max <= hi * draws / size);
	free(count);
}

static void test_sample(void)
{
	const char *name = tu_name("hsample");
	struct shm_writer *w = tu_writer(name, 64 * MB);
	static const uint64_t counts[] = { 1, 2, 5, 40, 333, 334, 999, 1000,
					   1001, 5000 };
	shmrep_entry *e = calloc(5000, sizeof(*e));
	uint64_t rs = tu_seed(), got;

	CU_ASSERT_FATAL(w != NULL && e != NULL);
	CU_ASSERT_FATAL(fill(w, 0, "big", SHM_T_SET, 1000, 0) == 0);
	CU_ASSERT_FATAL(fill(w, 0, "small", SHM_T_SET, 100, 0) == 0);
	CU_ASSERT_FATAL(fill(w, 0, "hash", SHM_T_HASH, 300, 0) == 0);
	for (int k = 0; k < 3; k++) {
		const char *key = k == 0 ? "big" : k == 1 ? "small" : "hash";
		uint64_t size = k == 0 ? 1000 : k == 1 ? 100 : 300;
		const struct shm_leaf *l;

		CU_ASSERT_FATAL(keys_find(w, 0, key, (uint32_t)strlen(key),
					  &l) == 0);
		for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
			for (int distinct = 0; distinct < 2; distinct++) {
				uint64_t want = counts[c];
				char *seen = calloc(size, 1);
				bool ok = true;

				if (distinct && want > size)
					want = size;
				CU_ASSERT_FATAL(seen != NULL);
				CU_ASSERT(chash_sample(&w->view, l, counts[c],
						       distinct, test_rand, &rs,
						       e, &got) == 0);
				CU_ASSERT(got == want);
				for (uint64_t i = 0; i < got; i++) {
					long m = num_after(e[i].key.ptr,
							   e[i].key.len);
					char fb[24];

					snprintf(fb, sizeof(fb), "f%ld", m);
					ok &= m >= 0 && (uint64_t)m < size &&
					      e[i].key.len == strlen(fb) &&
					      !memcmp(fb, e[i].key.ptr,
						      e[i].key.len);
					if (k == 2 && ok)
						ok &= e[i].value.len > 0;
					if (ok && distinct)
						ok &= !seen[m]++;
				}
				CU_ASSERT(ok);
				free(seen);
			}
		}
	}
	/* A packed set is drawn from exactly uniformly; a large one from a
	 * window after a random hash (c_hash.c), nearly so. */
	spread(w, "small", 100, 100000, 0.8, 1.2, &rs);
	spread(w, "big", 1000, 200000, 0.25, 2.5, &rs);
	free(e);
	shm_writer_close(w);
	tu_unlink_region(name);
}

static CU_TestInfo tests[] = {
	{ "model_rcu", test_model_rcu },
	{ "model_mutex", test_model_mutex },
	{ "reader_api", test_reader_api },
	{ "corrupt", test_corrupt },
	{ "copy", test_copy },
	{ "sample", test_sample },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = { { "hash", tests }, { NULL, NULL } };

	return tu_main(argc, argv, suites);
}
