/*
 * test_th_hamt.c - the keyspace trie against a reference model.
 *
 * Built with the steerable hash (shm/hash.h): keys "#H<16 hex>..." hash to
 * the number they spell, so the key pool mixes ordinary keys with groups
 * that collide on every prefix length, down to full 64-bit collisions
 * (collision nodes).  Thousands of random commands (set, delete, TTL
 * changes), some aborted and some cut short by injected allocation
 * failures, are applied to both; after each round the trie's structure is
 * checked, every key is looked up, a full scan must return every key once
 * in hash order, and at the end, with everything deleted, not one byte may
 * remain allocated beyond the snapshot records.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "hamt.h"
#include "keys.h"
#include "testutil.h"
#include "writer.h"

#define NKEYS 3000

struct mkey {
	char key[48];
	uint32_t klen;
	bool present;
	char val[96];
	uint32_t vlen;
	int64_t expire;
};

static struct mkey model[NKEYS];

static void make_keys(uint64_t *rs)
{
	for (int i = 0; i < NKEYS; i++) {
		struct mkey *m = &model[i];
		uint64_t h = tu_rand(rs);
		int kind = i % 6;

		switch (kind) {
		case 0: /* ordinary key */
		case 1:
			snprintf(m->key, sizeof(m->key), "key:%d:%llx", i,
				 (unsigned long long)tu_rand(rs));
			break;
		case 2: /* full collisions: 8 groups of same hash */
			h = 0x1234567890abcdefull + (uint64_t)(i % 8);
			snprintf(m->key, sizeof(m->key), "#H%016llx-%d",
				 (unsigned long long)h, i);
			break;
		case 3: /* differ only in the last 4 bits (depth 12) */
			h = 0xfedcba9876543210ull ^ (uint64_t)(i % 16);
			snprintf(m->key, sizeof(m->key), "#H%016llx-%d",
				 (unsigned long long)h, i);
			break;
		case 4: /* share a random-length prefix with a few others */
		{
			unsigned keep = 5 * (unsigned)(tu_rand(rs) % 13);
			uint64_t base = 0xa5a5a5a5a5a5a5a5ull;

			if (keep)
				h = (base & ~(~0ull >> keep)) | (h & (~0ull >> keep));
			snprintf(m->key, sizeof(m->key), "#H%016llx-%d",
				 (unsigned long long)h, i);
			break;
		}
		default: /* extreme hashes */
			h = (i & 1) ? ~0ull - (uint64_t)(i % 5) : (uint64_t)(i % 5);
			snprintf(m->key, sizeof(m->key), "#H%016llx-%d",
				 (unsigned long long)h, i);
			break;
		}
		m->klen = (uint32_t)strlen(m->key);
	}
}

static uint64_t model_count(void)
{
	uint64_t n = 0;

	for (int i = 0; i < NKEYS; i++)
		n += model[i].present;
	return n;
}

static int op_set(struct shm_writer *w, struct mkey *m, uint64_t *rs)
{
	uint32_t vlen = (uint32_t)(tu_rand(rs) % sizeof(m->val));
	char val[sizeof(m->val)];
	int64_t exp = tu_rand(rs) % 4 == 0 ? 4000000000000ll + (int64_t)(tu_rand(rs) % 1000) : 0;
	shm_ref r;
	int rc;

	for (uint32_t i = 0; i < vlen; i++)
		val[i] = (char)('a' + tu_rand(rs) % 26);
	r = keys_leaf_new(w, m->key, m->klen, SHM_T_STRING, vlen, exp);
	if (!r)
		return -ENOMEM;
	memcpy((uint8_t *)shm_wr_ptr(w, r) + sizeof(struct shm_leaf) + m->klen,
	       val, vlen);
	rc = keys_link(w, 0, r, KEYS_REPLACE, NULL);
	if (rc)
		return rc;
	memcpy(m->val, val, vlen);
	m->vlen = vlen;
	m->expire = exp;
	m->present = true;
	return 0;
}

static int op_del(struct shm_writer *w, struct mkey *m)
{
	int rc = keys_unlink(w, 0, m->key, m->klen);

	if (rc == -ENOENT) {
		CU_ASSERT(!m->present);
		return 0;
	}
	if (rc == 0)
		m->present = false;
	return rc;
}

static int op_expire(struct shm_writer *w, struct mkey *m, uint64_t *rs)
{
	int64_t exp = tu_rand(rs) % 2 ? 5000000000000ll : 0;
	int rc = keys_set_expire(w, 0, m->key, m->klen, exp);

	if (rc == -ENOENT) {
		CU_ASSERT(!m->present);
		return 0;
	}
	if (rc == 0)
		m->expire = exp;
	return rc;
}

struct scan_state {
	uint64_t last;
	uint64_t n;
	bool first, ordered;
	uint64_t seed;
};

static int scan_cb(void *arg, const struct shm_leaf *const *ls, unsigned n)
{
	struct scan_state *s = arg;
	uint64_t h = shm_hash(s->seed, ls[0]->data, ls[0]->klen);

	for (unsigned i = 1; i < n; i++)
		if (shm_hash(s->seed, ls[i]->data, ls[i]->klen) != h)
			s->ordered = false;
	if (!s->first && h <= s->last)
		s->ordered = false;
	s->first = false;
	s->last = h;
	s->n += n;
	return HAMT_NEXT;
}

static void verify(struct shm_writer *w)
{
	uint64_t n = 0, cursor = 0;
	struct scan_state ss = { .first = true, .ordered = true,
				 .seed = w->view.seed };

	CU_ASSERT_FATAL(hamt_check(&w->view, w->db[0].root, &n) == 0);
	CU_ASSERT_FATAL(n == model_count());
	CU_ASSERT_FATAL(w->db[0].nkeys == n);
	for (int i = 0; i < NKEYS; i++) {
		const struct shm_leaf *l;
		int rc = keys_find(w, 0, model[i].key, model[i].klen, &l);

		CU_ASSERT_FATAL((rc == 0) == model[i].present);
		if (rc)
			continue;
		CU_ASSERT_FATAL(l->vlen == model[i].vlen);
		CU_ASSERT_FATAL(memcmp(shm_leaf_val(l), model[i].val, l->vlen) == 0);
		CU_ASSERT_FATAL(l->expire_ms == model[i].expire);
	}
	{
		uint64_t nexp = 0;

		for (int i = 0; i < NKEYS; i++)
			nexp += model[i].present && model[i].expire;
		CU_ASSERT_FATAL(w->db[0].nexpires == nexp);
	}
	CU_ASSERT_FATAL(hamt_scan(&w->view, w->db[0].root, &cursor, 0, scan_cb, &ss) == 0);
	CU_ASSERT(cursor == 0);
	CU_ASSERT_FATAL(ss.ordered);
	CU_ASSERT_FATAL(ss.n == n);
}

static void test_random_vs_model(void)
{
	const char *name = tu_name("hamt");
	struct shm_writer *w = tu_writer(name, 64u << 20);
	uint64_t rs = tu_seed();
	struct mkey saved[8];
	int idx[8];

	CU_ASSERT_FATAL(w != NULL);
	memset(model, 0, sizeof(model));
	make_keys(&rs);
	for (int round = 0; round < 40; round++) {
		for (int c = 0; c < 500; c++) {
			int nops = 1 + (int)(tu_rand(&rs) % 4), rc = 0, k;
			bool inject = tu_rand(&rs) % 20 == 0;
			bool abort_it = tu_rand(&rs) % 10 == 0;

			CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
			if (inject)
				w->alloc.fail_after = 1 + tu_rand(&rs) % 6;
			for (k = 0; k < nops && !rc; k++) {
				uint64_t op = tu_rand(&rs) % 10;

				idx[k] = (int)(tu_rand(&rs) % NKEYS);
				saved[k] = model[idx[k]];
				if (op < 6)
					rc = op_set(w, &model[idx[k]], &rs);
				else if (op < 9)
					rc = op_del(w, &model[idx[k]]);
				else
					rc = op_expire(w, &model[idx[k]], &rs);
			}
			w->alloc.fail_after = 0;
			CU_ASSERT_FATAL(rc == 0 || rc == -ENOMEM);
			if (rc || abort_it) {
				shm_wr_abort(w);
				while (k-- > 0)
					model[idx[k]] = saved[k];
			} else {
				shm_wr_commit(w);
			}
			if (tu_rand(&rs) % 8 == 0)
				CU_ASSERT_FATAL(shm_wr_publish(w) >= 0);
		}
		verify(w);
		CU_ASSERT_FATAL(alloc_check(&w->alloc) == 0);
	}
	/* Delete everything: once published and reclaimed (no readers),
	 * only the current record and the spare may remain. */
	CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
	for (int i = 0; i < NKEYS; i++)
		if (model[i].present)
			CU_ASSERT_FATAL(op_del(w, &model[i]) == 0);
	shm_wr_commit(w);
	shm_wr_publish(w);
	shm_wr_publish(w);
	verify(w);
	CU_ASSERT(w->db[0].root == 0);
	CU_ASSERT(w->alloc.used == 2 * alloc_rounded(region_snap_size(w->ndb)));
	shm_writer_close(w);
	tu_unlink_region(name);
}

static void test_flush_reclaims(void)
{
	const char *name = tu_name("flush");
	struct shm_writer *w = tu_writer(name, 64u << 20);
	uint64_t base_used;
	char k[32];

	CU_ASSERT_FATAL(w != NULL);
	base_used = w->alloc.used;
	/* Two batches so the tree mixes published and born nodes. */
	for (int b = 0; b < 2; b++) {
		for (int i = 0; i < 20000; i++) {
			snprintf(k, sizeof(k), "k%d-%d", b, i);
			CU_ASSERT_FATAL(tu_set(w, 3, k, "value", 0) == 0);
		}
		if (b == 0)
			shm_wr_publish(w);
	}
	CU_ASSERT_FATAL(shm_wr_begin(w) == 0);
	keys_flush(w, 3);
	shm_wr_commit(w);
	CU_ASSERT(w->db[3].nkeys == 0);
	shm_wr_publish(w);
	shm_wr_publish(w);
	CU_ASSERT(w->alloc.used == base_used + alloc_rounded(region_snap_size(w->ndb)) ||
		  w->alloc.used == base_used);
	CU_ASSERT(alloc_check(&w->alloc) == 0);
	shm_writer_close(w);
	tu_unlink_region(name);
}

static void test_scan_cursor(void)
{
	const char *name = tu_name("scan");
	struct shm_writer *w = tu_writer(name, 16u << 20);
	char k[48];
	uint64_t seen[600] = { 0 };
	int n = 0;

	CU_ASSERT_FATAL(w != NULL);
	/* 500 ordinary keys, plus a full collision group of 5. */
	for (int i = 0; i < 500; i++) {
		snprintf(k, sizeof(k), "s%d", i);
		CU_ASSERT_FATAL(tu_set(w, 0, k, "v", 0) == 0);
	}
	for (int i = 0; i < 5; i++) {
		snprintf(k, sizeof(k), "#H00000000deadbeef-%d", i);
		CU_ASSERT_FATAL(tu_set(w, 0, k, "v", 0) == 0);
	}
	/* Page through with limit 7: every key exactly once, and the
	 * collision group never split across pages. */
	{
		uint64_t cursor = 0;
		struct scan_state ss = { .first = true, .ordered = true,
					 .seed = w->view.seed };
		int pages = 0;

		do {
			uint64_t before = ss.n;

			CU_ASSERT_FATAL(hamt_scan(&w->view, w->db[0].root, &cursor, 7,
						  scan_cb, &ss) == 0);
			CU_ASSERT(ss.n - before >= 7 || cursor == 0);
			pages++;
		} while (cursor && pages < 1000);
		CU_ASSERT(ss.ordered);
		CU_ASSERT(ss.n == 505);
		n = (int)ss.n;
	}
	(void)seen;
	CU_ASSERT(n == 505);
	shm_writer_close(w);
	tu_unlink_region(name);
}

static CU_TestInfo tests[] = {
	{ "random_vs_model", test_random_vs_model },
	{ "flush_reclaims", test_flush_reclaims },
	{ "scan_cursor", test_scan_cursor },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = { { "hamt", tests }, { NULL, NULL } };

	return tu_main(argc, argv, suites);
}
