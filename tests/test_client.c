/*
 * test_client.c - libshmrep's API against what include/shmrep.h promises.
 *
 * The test process plays the daemon through the writer API (tu_writer,
 * tu_set, shm_wr_publish) and reads through the public API, in one
 * process: opening (every error the header lists, with region files made
 * or damaged by hand), copying reads, expiry, snapshots (views stay put
 * while the writer overwrites, deletes and reclaims; nesting; any end
 * order), SCAN, INFO, the reader table, error strings and versions, and
 * damaged regions: a bad published offset or a bad ref must give
 * SHMREP_ECORRUPT, never a crash or a hang.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc.h"
#include "hash.h"
#include "keys.h"
#include "region.h"
#include "shmrep.h"
#include "testutil.h"
#include "writer.h"

#define MB (1024u * 1024u)

/* Set-up through the writer: fails the test only if it fails (so that
 * set-up loops do not swamp the assertion count). */
#define SETUP(expr)                                                            \
	do {                                                                   \
		if ((expr) != 0)                                               \
			CU_FAIL_FATAL(#expr);                                  \
	} while (0)

/* ------------------------------------------------------------- helpers */

static shmrep *ropen(const char *name)
{
	shmrep *h = NULL;
	int rc = shmrep_open(name, 0, &h);

	if (rc)
		fprintf(stderr, "shmrep_open(%s): %s\n", name,
			shmrep_strerror(rc));
	return h;
}

static int getstr(shmrep *h, int db, const char *key, char *buf, size_t cap,
		  size_t *len)
{
	return shmrep_get(h, db, key, strlen(key), buf, cap, len);
}

/* True if key in db reads as exactly val through a copying call. */
static bool has(shmrep *h, int db, const char *key, const char *val)
{
	char buf[4096];
	size_t len = 0;

	if (getstr(h, db, key, buf, sizeof(buf), &len))
		return false;
	return len == strlen(val) && memcmp(buf, val, len) == 0;
}

static uint32_t my_tid(void)
{
	return (uint32_t)syscall(SYS_gettid);
}

static void path_of(char *buf, size_t cap, const char *name, const char *sfx)
{
	CU_ASSERT_FATAL(region_path(buf, cap, name, sfx) == 0);
}

/* A ctl file for name made by hand: nslots slots, valid header. */
static void make_ctl(const char *name, uint32_t nslots, uint64_t magic,
		     uint32_t layout)
{
	char path[PATH_MAX];
	uint64_t size = region_ctl_size(nslots);
	struct shm_ctl c;
	int fd;

	path_of(path, sizeof(path), name, "ctl");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(ftruncate(fd, (off_t)size) == 0);
	memset(&c, 0, sizeof(c));
	c.magic = magic;
	c.layout_version = layout;
	c.nslots = nslots;
	CU_ASSERT_FATAL(pwrite(fd, &c, sizeof(c), 0) == (ssize_t)sizeof(c));
	close(fd);
}

/* A data file for name made by hand: a plausible header, no snapshot. */
static void make_data(const char *name, uint64_t size, uint64_t magic,
		      uint32_t layout, uint32_t state)
{
	char path[PATH_MAX];
	struct shm_hdr hd;
	int fd;

	path_of(path, sizeof(path), name, "data");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(ftruncate(fd, (off_t)size) == 0);
	memset(&hd, 0, sizeof(hd));
	hd.magic = magic;
	hd.layout_version = layout;
	hd.page_size = SHM_PAGE;
	hd.region_size = size;
	hd.hash_seed = 42;
	hd.incarnation = 7;
	hd.mode = SHM_MODE_RCU;
	hd.ndb = 16;
	hd.arena_page = 1;
	hd.state = state;
	CU_ASSERT_FATAL(pwrite(fd, &hd, sizeof(hd), 0) == (ssize_t)sizeof(hd));
	close(fd);
}

static void patch_file(const char *name, const char *sfx, off_t off,
		       const void *p, size_t n)
{
	char path[PATH_MAX];
	int fd;

	path_of(path, sizeof(path), name, sfx);
	fd = open(path, O_RDWR);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(pwrite(fd, p, n, off) == (ssize_t)n);
	close(fd);
}

static void truncate_file(const char *name, const char *sfx, off_t size)
{
	char path[PATH_MAX];

	path_of(path, sizeof(path), name, sfx);
	CU_ASSERT_FATAL(truncate(path, size) == 0);
}

static int open_rc(const char *name, unsigned flags)
{
	shmrep *h = NULL;
	int rc = shmrep_open(name, flags, &h);

	if (rc == 0) {
		CU_ASSERT(h != NULL);
		shmrep_close(h);
	}
	return rc;
}

/* A closed region with one key k="v" in db 0: the files stay behind. */
static void make_region(const char *name)
{
	struct shm_writer *w = tu_writer(name, 1 * MB);

	CU_ASSERT_FATAL(w != NULL);
	SETUP(tu_set(w, 0, "k", "v", 0));
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	shm_writer_close(w);
}

/* ---------------------------------------------------------------- open */

static void test_open_enoent(void)
{
	const char *name = tu_name("noent");
	shmrep *h = (shmrep *)0x1;

	CU_ASSERT(shmrep_open(name, 0, &h) == SHMREP_ENOENT);
	/* ctl present, data missing: still no such instance. */
	make_ctl(name, 4, SHM_CTL_MAGIC, SHM_LAYOUT_VERSION);
	CU_ASSERT(open_rc(name, 0) == SHMREP_ENOENT);
	tu_unlink_region(name);
}

/* Region files are never followed through a symlink (another user could
 * point a name at a file of their choosing): a negated errno from open. */
static void test_open_symlink(void)
{
	const char *name = tu_name("link"), *other = tu_name("target");
	char path[PATH_MAX], target[PATH_MAX];

	make_region(other);
	make_region(name);
	CU_ASSERT(open_rc(name, 0) == 0);
	path_of(path, sizeof(path), name, "data");
	path_of(target, sizeof(target), other, "data");
	CU_ASSERT_FATAL(unlink(path) == 0);
	CU_ASSERT_FATAL(symlink(target, path) == 0);
	CU_ASSERT(open_rc(name, 0) == -ELOOP);
	CU_ASSERT(open_rc(name, SHMREP_OPEN_ANY_OWNER) == -ELOOP);
	tu_unlink_region(name);
	make_region(name);
	path_of(path, sizeof(path), name, "ctl");
	path_of(target, sizeof(target), other, "ctl");
	CU_ASSERT_FATAL(unlink(path) == 0);
	CU_ASSERT_FATAL(symlink(target, path) == 0);
	CU_ASSERT(open_rc(name, 0) == -ELOOP);
	CU_ASSERT_FATAL(unlink(path) == 0);
	tu_unlink_region(name);
	tu_unlink_region(other);
}

static void test_open_invalid_names(void)
{
	char longname[SHM_NAME_MAX + 2];
	shmrep *h = NULL;
	const char *bad[] = {
	    "",	    ".hidden", "a/b", "../etc", "a b",
	    "a\nb", "ä",       "a*",  "a:b",	"a\\b",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT(shmrep_open(bad[i], 0, &h) == SHMREP_EINVAL);
	CU_ASSERT(shmrep_open(NULL, 0, &h) == SHMREP_EINVAL);
	CU_ASSERT(shmrep_open("fine", 0, NULL) == SHMREP_EINVAL);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0'; /* SHM_NAME_MAX + 1 chars */
	CU_ASSERT(shmrep_open(longname, 0, &h) == SHMREP_EINVAL);
	/* SHM_NAME_MAX chars is a valid name: only missing. */
	longname[SHM_NAME_MAX] = '\0';
	CU_ASSERT(shmrep_open(longname, 0, &h) == SHMREP_ENOENT);
	CU_ASSERT(shmrep_open("ok.name_with-all.9", 0, &h) == SHMREP_ENOENT);
	shmrep_close(NULL); /* a no-op */
}

static void test_open_bad_magic_version(void)
{
	const char *name = tu_name("magic");

	/* Data file with a wrong magic. */
	make_ctl(name, 4, SHM_CTL_MAGIC, SHM_LAYOUT_VERSION);
	make_data(name, SHM_MIN_REGION, 0x1122334455667788ull,
		  SHM_LAYOUT_VERSION, SHM_STATE_LIVE);
	CU_ASSERT(open_rc(name, 0) == SHMREP_EBADMAGIC);
	/* The ctl magic is the other file's: still not ours. */
	make_data(name, SHM_MIN_REGION, SHM_CTL_MAGIC, SHM_LAYOUT_VERSION,
		  SHM_STATE_LIVE);
	CU_ASSERT(open_rc(name, 0) == SHMREP_EBADMAGIC);
	/* Right magic, another layout version (either way). */
	make_data(name, SHM_MIN_REGION, SHM_DATA_MAGIC, SHM_LAYOUT_VERSION + 1,
		  SHM_STATE_LIVE);
	CU_ASSERT(open_rc(name, 0) == SHMREP_EVERSION);
	make_data(name, SHM_MIN_REGION, SHM_DATA_MAGIC, 0, SHM_STATE_LIVE);
	CU_ASSERT(open_rc(name, 0) == SHMREP_EVERSION);
	/* A valid header that was never published (INIT), or that its
	 * writer marked broken: unusable, not a crash. */
	make_data(name, SHM_MIN_REGION, SHM_DATA_MAGIC, SHM_LAYOUT_VERSION,
		  SHM_STATE_INIT);
	CU_ASSERT(open_rc(name, 0) == SHMREP_EUNUSABLE);
	make_data(name, SHM_MIN_REGION, SHM_DATA_MAGIC, SHM_LAYOUT_VERSION,
		  SHM_STATE_BROKEN);
	CU_ASSERT(open_rc(name, 0) == SHMREP_EUNUSABLE);
	/* A plausible LIVE header with no snapshot record: opens, and every
	 * read reports the damage. */
	make_data(name, SHM_MIN_REGION, SHM_DATA_MAGIC, SHM_LAYOUT_VERSION,
		  SHM_STATE_LIVE);
	{
		shmrep *h = NULL;
		char buf[8];
		size_t len;
		uint64_t n;
		shmrep_snapshot *s;
		shmrep_info info;

		CU_ASSERT_FATAL(shmrep_open(name, 0, &h) == 0);
		CU_ASSERT(shmrep_get(h, 0, "k", 1, buf, sizeof(buf), &len) ==
			  SHMREP_ECORRUPT);
		CU_ASSERT(shmrep_dbsize(h, 0, &n) == SHMREP_ECORRUPT);
		CU_ASSERT(shmrep_info_get(h, &info) == SHMREP_ECORRUPT);
		CU_ASSERT(shmrep_snapshot_begin(h, &s) == SHMREP_ECORRUPT);
		shmrep_close(h);
	}
	/* ctl with a wrong magic or version. */
	make_data(name, SHM_MIN_REGION, SHM_DATA_MAGIC, SHM_LAYOUT_VERSION,
		  SHM_STATE_LIVE);
	make_ctl(name, 4, SHM_DATA_MAGIC, SHM_LAYOUT_VERSION);
	CU_ASSERT(open_rc(name, 0) == SHMREP_EBADMAGIC);
	make_ctl(name, 4, SHM_CTL_MAGIC, SHM_LAYOUT_VERSION + 1);
	CU_ASSERT(open_rc(name, 0) == SHMREP_EVERSION);
	tu_unlink_region(name);
}

static void test_open_truncated_garbage(void)
{
	const char *name = tu_name("trunc");
	uint8_t junk[SHM_PAGE] __attribute__((aligned(64)));
	uint64_t rs = 12345;
	int rc;

	make_region(name);
	CU_ASSERT(open_rc(name, 0) == 0);
	/* Data file cut short: below a header, then a header with a size
	 * that no longer matches the file. */
	truncate_file(name, "data", 8192);
	rc = open_rc(name, 0);
	CU_ASSERT(rc == SHMREP_ECORRUPT);
	truncate_file(name, "data", 100);
	CU_ASSERT(open_rc(name, 0) == SHMREP_EBADMAGIC);
	truncate_file(name, "data", 0);
	CU_ASSERT(open_rc(name, 0) == SHMREP_EBADMAGIC);
	/* A header page of garbage. */
	tu_unlink_region(name);
	make_region(name);
	for (size_t i = 0; i < sizeof(junk); i += 8) {
		uint64_t x = tu_rand(&rs);

		memcpy(junk + i, &x, 8);
	}
	patch_file(name, "data", 0, junk, sizeof(junk));
	CU_ASSERT(open_rc(name, 0) == SHMREP_EBADMAGIC);
	/* Garbage after a correct magic and version: sizes that lie. */
	{
		struct shm_hdr *hd = (struct shm_hdr *)junk;

		hd->magic = SHM_DATA_MAGIC;
		hd->layout_version = SHM_LAYOUT_VERSION;
		patch_file(name, "data", 0, junk, sizeof(junk));
		CU_ASSERT(open_rc(name, 0) == SHMREP_ECORRUPT);
	}
	/* ctl cut short, and a ctl whose nslots disagrees with its size. */
	tu_unlink_region(name);
	make_region(name);
	truncate_file(name, "ctl", 100);
	CU_ASSERT(open_rc(name, 0) == SHMREP_EBADMAGIC);
	tu_unlink_region(name);
	make_region(name);
	{
		uint32_t nslots = 1000;

		patch_file(name, "ctl", offsetof(struct shm_ctl, nslots),
			   &nslots, sizeof(nslots));
		CU_ASSERT(open_rc(name, 0) == SHMREP_ECORRUPT);
		nslots = 0;
		patch_file(name, "ctl", offsetof(struct shm_ctl, nslots),
			   &nslots, sizeof(nslots));
		CU_ASSERT(open_rc(name, 0) == SHMREP_ECORRUPT);
	}
	/* Data mode and ndb out of range. */
	tu_unlink_region(name);
	make_region(name);
	{
		uint32_t bad = 0;

		patch_file(name, "data", offsetof(struct shm_hdr, ndb), &bad,
			   sizeof(bad));
		CU_ASSERT(open_rc(name, 0) == SHMREP_ECORRUPT);
		bad = 16;
		patch_file(name, "data", offsetof(struct shm_hdr, ndb), &bad,
			   sizeof(bad));
		bad = 77;
		patch_file(name, "data", offsetof(struct shm_hdr, mode), &bad,
			   sizeof(bad));
		CU_ASSERT(open_rc(name, 0) == SHMREP_ECORRUPT);
	}
	tu_unlink_region(name);
}

static void chown_file(const char *name, const char *sfx, uid_t uid)
{
	char path[PATH_MAX];
	int fd;

	path_of(path, sizeof(path), name, sfx);
	fd = open(path, O_RDONLY);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(fchown(fd, uid, (gid_t)-1) == 0);
	close(fd);
}

static void test_open_owner(void)
{
	const char *name = tu_name("owner");
	const char *saved = getenv("SHMREP_OWNER");
	char *save = saved ? strdup(saved) : NULL;
	shmrep *h = NULL;

	if (geteuid() != 0) {
		fprintf(stderr, "\n  (skipped: the owner test needs root to "
				"chown region files)\n");
		free(save);
		return;
	}
	unsetenv("SHMREP_OWNER");
	make_region(name);
	chown_file(name, "ctl", 65534);
	chown_file(name, "data", 65534);
	CU_ASSERT(open_rc(name, 0) == SHMREP_EPERM);
	/* The flag skips the check; the region then reads normally. */
	CU_ASSERT_FATAL(shmrep_open(name, SHMREP_OPEN_ANY_OWNER, &h) == 0);
	CU_ASSERT(has(h, 0, "k", "v"));
	shmrep_close(h);
	/* SHMREP_OWNER names the owner as a uid or a user name. */
	setenv("SHMREP_OWNER", "65534", 1);
	CU_ASSERT(open_rc(name, 0) == 0);
	setenv("SHMREP_OWNER", "nobody", 1);
	CU_ASSERT(open_rc(name, 0) == 0);
	setenv("SHMREP_OWNER", "1234", 1);
	CU_ASSERT(open_rc(name, 0) == SHMREP_EPERM);
	setenv("SHMREP_OWNER", "no-such-user-xyz", 1);
	CU_ASSERT(open_rc(name, 0) == SHMREP_EPERM);
	setenv("SHMREP_OWNER", "", 1);
	CU_ASSERT(open_rc(name, 0) == SHMREP_EPERM);
	setenv("SHMREP_OWNER", "65534x", 1);
	CU_ASSERT(open_rc(name, 0) == SHMREP_EPERM);
	unsetenv("SHMREP_OWNER");
	/* Only the data file foreign (ctl root's): refused, even with the
	 * flag, since the two files must belong to one daemon. */
	chown_file(name, "ctl", 0);
	CU_ASSERT(open_rc(name, 0) == SHMREP_EPERM);
	CU_ASSERT(open_rc(name, SHMREP_OPEN_ANY_OWNER) == SHMREP_EPERM);
	/* Only the ctl file foreign. */
	chown_file(name, "data", 0);
	chown_file(name, "ctl", 65534);
	CU_ASSERT(open_rc(name, 0) == SHMREP_EPERM);
	/* Both root's again: fine. */
	chown_file(name, "ctl", 0);
	CU_ASSERT(open_rc(name, 0) == 0);
	if (save) {
		setenv("SHMREP_OWNER", save, 1);
		free(save);
	}
	tu_unlink_region(name);
}

/* --------------------------------------------------------------- reads */

static void test_get(void)
{
	const char *name = tu_name("get");
	struct shm_writer *w = tu_writer(name, 4 * MB);
	shmrep *h;
	char buf[256], *big, *bigbuf;
	size_t len, bign = 100000;
	const char bkey[] = {'a', '\0', 'b'};
	const char bval[] = {'\0', 'x', '\0', 'y'};

	CU_ASSERT_FATAL(w != NULL);
	big = malloc(bign);
	bigbuf = malloc(bign);
	CU_ASSERT_FATAL(big && bigbuf);
	for (size_t i = 0; i < bign; i++)
		big[i] = (char)('A' + i % 23);
	SETUP(tu_set(w, 0, "k1", "hello", 0));
	SETUP(tu_set(w, 15, "k15", "last db", 0));
	SETUP(tu_set(w, 0, "empty", "", 0));
	SETUP(tu_wset(w, 0, "big", 3, SHM_T_STRING, big, bign, 0));
	SETUP(tu_wset(w, 1, bkey, sizeof(bkey), SHM_T_STRING, bval, sizeof(bval),
		   0));
	SETUP(tu_wset(w, 2, "", 0, SHM_T_STRING, "ek", 2, 0));
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	h = ropen(name);
	CU_ASSERT_FATAL(h != NULL);

	/* Found, into a buffer of exactly the value's length. */
	memset(buf, '#', sizeof(buf));
	len = 999;
	CU_ASSERT(getstr(h, 0, "k1", buf, 5, &len) == 0);
	CU_ASSERT(len == 5);
	CU_ASSERT(memcmp(buf, "hello", 5) == 0);
	CU_ASSERT(buf[5] == '#');
	CU_ASSERT(has(h, 15, "k15", "last db"));
	/* One byte short: ERANGE, *len = needed, buf untouched. */
	memset(buf, '#', sizeof(buf));
	len = 0;
	CU_ASSERT(getstr(h, 0, "k1", buf, 4, &len) == SHMREP_ERANGE);
	CU_ASSERT(len == 5);
	CU_ASSERT(buf[0] == '#' && buf[3] == '#');
	/* Probe the length with no buffer at all. */
	len = 0;
	CU_ASSERT(getstr(h, 0, "k1", NULL, 0, &len) == SHMREP_ERANGE);
	CU_ASSERT(len == 5);
	/* Empty value: fits in a zero-sized buffer. */
	len = 99;
	CU_ASSERT(getstr(h, 0, "empty", buf, 0, &len) == 0);
	CU_ASSERT(len == 0);
	/* Big value: exact buffer, then one short. */
	CU_ASSERT(shmrep_get(h, 0, "big", 3, bigbuf, bign, &len) == 0);
	CU_ASSERT(len == bign);
	CU_ASSERT(memcmp(big, bigbuf, bign) == 0);
	CU_ASSERT(shmrep_get(h, 0, "big", 3, bigbuf, bign - 1, &len) ==
		  SHMREP_ERANGE);
	CU_ASSERT(len == bign);
	/* Binary key and value, and the empty key. */
	CU_ASSERT(
	    shmrep_get(h, 1, bkey, sizeof(bkey), buf, sizeof(buf), &len) == 0);
	CU_ASSERT(len == sizeof(bval) && memcmp(buf, bval, len) == 0);
	CU_ASSERT(shmrep_get(h, 1, "a", 1, buf, sizeof(buf), &len) ==
		  SHMREP_ENOENT);
	CU_ASSERT(shmrep_get(h, 2, "", 0, buf, sizeof(buf), &len) == 0);
	CU_ASSERT(len == 2 && memcmp(buf, "ek", 2) == 0);
	/* Missing: in a used db, another db, an empty db. */
	CU_ASSERT(getstr(h, 0, "nope", buf, sizeof(buf), &len) ==
		  SHMREP_ENOENT);
	CU_ASSERT(getstr(h, 15, "k1", buf, sizeof(buf), &len) == SHMREP_ENOENT);
	CU_ASSERT(getstr(h, 7, "k1", buf, sizeof(buf), &len) == SHMREP_ENOENT);
	CU_ASSERT(getstr(h, 0, "k", buf, sizeof(buf), &len) == SHMREP_ENOENT);
	CU_ASSERT(getstr(h, 0, "k11", buf, sizeof(buf), &len) == SHMREP_ENOENT);
	/* A key longer than any key can be: missing, and its bytes are not
	 * read (the pointer covers one byte only). */
	CU_ASSERT(shmrep_get(h, 0, "x", (size_t)SHM_MAX_KEY + 1, buf,
			     sizeof(buf), &len) == SHMREP_ENOENT);
	/* Bad databases. */
	CU_ASSERT(getstr(h, -1, "k1", buf, sizeof(buf), &len) == SHMREP_EINVAL);
	CU_ASSERT(getstr(h, 16, "k1", buf, sizeof(buf), &len) == SHMREP_EINVAL);
	CU_ASSERT(getstr(h, INT_MAX, "k1", buf, sizeof(buf), &len) ==
		  SHMREP_EINVAL);
	CU_ASSERT(getstr(h, INT_MIN, "k1", buf, sizeof(buf), &len) ==
		  SHMREP_EINVAL);
	{
		uint64_t n;
		int64_t ms;
		int type;

		CU_ASSERT(shmrep_dbsize(h, -1, &n) == SHMREP_EINVAL);
		CU_ASSERT(shmrep_dbsize(h, 16, &n) == SHMREP_EINVAL);
		CU_ASSERT(shmrep_exists(h, 16, "k1", 2) == SHMREP_EINVAL);
		CU_ASSERT(shmrep_type(h, -1, "k1", 2, &type) == SHMREP_EINVAL);
		CU_ASSERT(shmrep_ttl(h, 16, "k1", 2, &ms) == SHMREP_EINVAL);
		/* The same through a snapshot. */
		{
			shmrep_snapshot *s;
			shmrep_view v;

			CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s) == 0);
			CU_ASSERT(shmrep_snapshot_get(s, -1, "k1", 2, &v) ==
				  SHMREP_EINVAL);
			CU_ASSERT(shmrep_snapshot_get(s, 16, "k1", 2, &v) ==
				  SHMREP_EINVAL);
			CU_ASSERT(shmrep_snapshot_type(s, 16, "k1", 2, &type) ==
				  SHMREP_EINVAL);
			CU_ASSERT(shmrep_snapshot_ttl(s, -1, "k1", 2, &ms) ==
				  SHMREP_EINVAL);
			CU_ASSERT(shmrep_snapshot_dbsize(s, 16, &n) ==
				  SHMREP_EINVAL);
			CU_ASSERT(shmrep_snapshot_dbsize(s, -1, &n) ==
				  SHMREP_EINVAL);
			CU_ASSERT(shmrep_snapshot_get(s, 0, "k1", 2, &v) == 0);
			CU_ASSERT(v.len == 5 && memcmp(v.ptr, "hello", 5) == 0);
			CU_ASSERT(shmrep_snapshot_get(s, 0, "nope", 4, &v) ==
				  SHMREP_ENOENT);
			CU_ASSERT(shmrep_snapshot_dbsize(s, 0, &n) == 0 &&
				  n == 3);
			shmrep_snapshot_end(s);
		}
	}
	shmrep_close(h);
	shm_writer_close(w);
	free(big);
	free(bigbuf);
	tu_unlink_region(name);
}

/*
 * The empty value probed with no buffer: shmrep_get(h, db, key, klen, NULL,
 * 0, &len) is the natural way to ask for a length, and for an empty value
 * it must succeed with *len = 0 (and not pass NULL to memcpy, which UBSan
 * reports as undefined behaviour).
 */
static int null_buf_child(void *arg)
{
	shmrep *h = ropen(arg);
	size_t len = 99;
	int rc;

	if (!h)
		return 10;
	rc = getstr(h, 0, "empty", NULL, 0, &len);
	shmrep_close(h);
	return rc == 0 && len == 0 ? 0 : 11;
}

static void test_get_empty_null_buf(void)
{
	const char *name = tu_name("getnull");
	struct shm_writer *w = tu_writer(name, 1 * MB);
	pid_t pid;
	int rc;

	CU_ASSERT_FATAL(w != NULL);
	SETUP(tu_set(w, 0, "empty", "", 0));
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	/* In a child: under UBSan a NULL memcpy argument ends the process. */
	pid = tu_fork(null_buf_child, (void *)name);
	CU_ASSERT_FATAL(pid > 0);
	rc = tu_wait(pid, 10000);
	if (rc)
		fprintf(stderr,
			"\n  shmrep_get(empty value, NULL, 0): child "
			"exit %d\n",
			rc);
	CU_ASSERT(rc == 0);
	shm_writer_close(w);
	tu_unlink_region(name);
}

static void test_types_exists_ttl_dbsize(void)
{
	const char *name = tu_name("types");
	struct shm_writer *w = tu_writer(name, 2 * MB);
	shmrep *h;
	int64_t now = region_now_ms(), ms;
	uint64_t n;
	int type;
	char buf[16];
	size_t len;
	static const struct {
		const char *key;
		uint8_t type;
		int want;
	} tk[] = {
	    {"t:string", SHM_T_STRING, SHMREP_TYPE_STRING},
	    {"t:list", SHM_T_LIST, SHMREP_TYPE_LIST},
	    {"t:set", SHM_T_SET, SHMREP_TYPE_SET},
	    {"t:zset", SHM_T_ZSET, SHMREP_TYPE_ZSET},
	    {"t:hash", SHM_T_HASH, SHMREP_TYPE_HASH},
	};

	CU_ASSERT_FATAL(w != NULL);
	for (size_t i = 0; i < 5; i++)
		SETUP(tu_wset(w, 3, tk[i].key, strlen(tk[i].key), tk[i].type, "",
			   0, 0));
	SETUP(tu_set(w, 3, "ttl:far", "x", now + 3600 * 1000));
	SETUP(tu_set(w, 3, "ttl:past", "x", 1));
	SETUP(tu_set(w, 3, "ttl:just", "x", now - 1));
	for (int i = 0; i < 40; i++) {
		char k[16];

		snprintf(k, sizeof(k), "d5:%d", i);
		SETUP(tu_set(w, 5, k, "v", 0));
	}
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	h = ropen(name);
	CU_ASSERT_FATAL(h != NULL);

	for (size_t i = 0; i < 5; i++) {
		const char *k = tk[i].key;

		type = -1;
		CU_ASSERT(shmrep_type(h, 3, k, strlen(k), &type) == 0);
		CU_ASSERT(type == tk[i].want);
		CU_ASSERT(shmrep_exists(h, 3, k, strlen(k)) == 0);
		CU_ASSERT(shmrep_ttl(h, 3, k, strlen(k), &ms) == 0);
		CU_ASSERT(ms == -1);
		if (tk[i].type != SHM_T_STRING) {
			shmrep_snapshot *s;
			shmrep_view v;

			CU_ASSERT(getstr(h, 3, k, buf, sizeof(buf), &len) ==
				  SHMREP_EWRONGTYPE);
			CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s) == 0);
			CU_ASSERT(shmrep_snapshot_get(s, 3, k, strlen(k), &v) ==
				  SHMREP_EWRONGTYPE);
			CU_ASSERT(shmrep_snapshot_type(s, 3, k, strlen(k),
						       &type) == 0);
			CU_ASSERT(type == tk[i].want);
			shmrep_snapshot_end(s);
		}
	}
	CU_ASSERT(shmrep_exists(h, 3, "t:none", 6) == SHMREP_ENOENT);
	CU_ASSERT(shmrep_type(h, 3, "t:none", 6, &type) == SHMREP_ENOENT);
	CU_ASSERT(shmrep_ttl(h, 3, "t:none", 6, &ms) == SHMREP_ENOENT);
	/* TTLs, as PTTL. */
	CU_ASSERT(shmrep_ttl(h, 3, "ttl:far", 7, &ms) == 0);
	CU_ASSERT(ms > 3590 * 1000 && ms <= 3600 * 1000);
	CU_ASSERT(shmrep_ttl(h, 3, "ttl:past", 8, &ms) == SHMREP_ENOENT);
	CU_ASSERT(shmrep_exists(h, 3, "ttl:past", 8) == SHMREP_ENOENT);
	CU_ASSERT(shmrep_type(h, 3, "ttl:past", 8, &type) == SHMREP_ENOENT);
	CU_ASSERT(getstr(h, 3, "ttl:past", buf, sizeof(buf), &len) ==
		  SHMREP_ENOENT);
	CU_ASSERT(shmrep_exists(h, 3, "ttl:just", 8) == SHMREP_ENOENT);
	/* DBSIZE counts expired keys not yet deleted. */
	CU_ASSERT(shmrep_dbsize(h, 3, &n) == 0);
	CU_ASSERT(n == 8);
	CU_ASSERT(shmrep_dbsize(h, 5, &n) == 0);
	CU_ASSERT(n == 40);
	CU_ASSERT(shmrep_dbsize(h, 0, &n) == 0);
	CU_ASSERT(n == 0);
	CU_ASSERT(shmrep_dbsize(h, 15, &n) == 0);
	CU_ASSERT(n == 0);
	/* Deleting shows on the next read. */
	CU_ASSERT_FATAL(tu_del(w, 5, "d5:0") == 0);
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	CU_ASSERT(shmrep_dbsize(h, 5, &n) == 0);
	CU_ASSERT(n == 39);
	CU_ASSERT(shmrep_exists(h, 5, "d5:0", 4) == SHMREP_ENOENT);
	CU_ASSERT(shmrep_exists(h, 5, "d5:1", 4) == 0);
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

static void wait_until_ms(int64_t t)
{
	while (region_now_ms() < t)
		tu_sleep_ms(1);
}

static void test_expiry(void)
{
	const char *name = tu_name("expiry");
	struct shm_writer *w = tu_writer(name, 1 * MB);
	shmrep *h;
	shmrep_snapshot *s1, *s2;
	shmrep_view v;
	int64_t exp, ms;
	uint64_t cursor, n;
	shmrep_view keys[8];
	size_t nk;
	char buf[16];
	size_t len;
	int checks = 0;

	CU_ASSERT_FATAL(w != NULL);
	exp = region_now_ms() + 400;
	SETUP(tu_set(w, 0, "soon", "val", exp));
	SETUP(tu_set(w, 0, "late", "val", exp + 600 * 1000));
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	h = ropen(name);
	CU_ASSERT_FATAL(h != NULL);

	/* Before: present, with a TTL that counts down. */
	CU_ASSERT(has(h, 0, "soon", "val"));
	CU_ASSERT(shmrep_ttl(h, 0, "soon", 4, &ms) == 0);
	CU_ASSERT(ms > 0 && ms <= 400);
	/* s1 checks expiry before the deadline: its "now" is fixed then. */
	CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s1) == 0);
	CU_ASSERT(shmrep_snapshot_get(s1, 0, "soon", 4, &v) == 0);
	/* s2 is begun before the deadline but checks nothing until after. */
	CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s2) == 0);
	while (region_now_ms() < exp - 20) {
		CU_ASSERT(shmrep_exists(h, 0, "soon", 4) == 0);
		checks++;
		tu_sleep_ms(5);
	}
	CU_ASSERT(checks > 0);
	/* The moment the TTL has passed, it reads as missing: nothing was
	 * published meanwhile, so this is the reader's own clock. */
	wait_until_ms(exp);
	CU_ASSERT(shmrep_exists(h, 0, "soon", 4) == SHMREP_ENOENT);
	CU_ASSERT(getstr(h, 0, "soon", buf, sizeof(buf), &len) ==
		  SHMREP_ENOENT);
	CU_ASSERT(shmrep_ttl(h, 0, "soon", 4, &ms) == SHMREP_ENOENT);
	CU_ASSERT(shmrep_exists(h, 0, "late", 4) == 0);
	/* Still counted by DBSIZE. */
	CU_ASSERT(shmrep_dbsize(h, 0, &n) == 0);
	CU_ASSERT(n == 2);
	/* s1 read "now" before the deadline: consistent, still there. */
	CU_ASSERT(shmrep_snapshot_get(s1, 0, "soon", 4, &v) == 0);
	CU_ASSERT(v.len == 3 && memcmp(v.ptr, "val", 3) == 0);
	CU_ASSERT(shmrep_snapshot_ttl(s1, 0, "soon", 4, &ms) == 0);
	CU_ASSERT(ms > 0);
	cursor = 0;
	CU_ASSERT(shmrep_snapshot_scan(s1, 0, &cursor, NULL, keys, 8, &nk) ==
		  0);
	CU_ASSERT(nk == 2);
	/* s2's first check comes after the deadline. */
	CU_ASSERT(shmrep_snapshot_get(s2, 0, "soon", 4, &v) == SHMREP_ENOENT);
	cursor = 0;
	CU_ASSERT(shmrep_snapshot_scan(s2, 0, &cursor, NULL, keys, 8, &nk) ==
		  0);
	CU_ASSERT(nk == 1);
	CU_ASSERT(nk == 1 && keys[0].len == 4 &&
		  memcmp(keys[0].ptr, "late", 4) == 0);
	shmrep_snapshot_end(s2);
	shmrep_snapshot_end(s1);
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/* ------------------------------------------------------------ snapshots */

#define SNAP_KEYS 100

/* Value of key i at generation g: its length varies with both. */
static size_t gen_value(char *buf, size_t cap, int i, unsigned g)
{
	size_t n = (size_t)snprintf(buf, cap, "g%u:k%d:", g, i);
	size_t want = 8 + (size_t)((i * 131 + g * 71) % 1500);

	if (want > cap)
		want = cap;
	for (; n < want; n++)
		buf[n] = (char)('a' + (i + g + n) % 26);
	return n;
}

static void set_gen(struct shm_writer *w, unsigned db, int i, unsigned g)
{
	char k[32], val[2048];
	size_t vl = gen_value(val, sizeof(val), i, g);

	snprintf(k, sizeof(k), "snap:%d", i);
	SETUP(tu_wset(w, db, k, strlen(k), SHM_T_STRING, val, vl, 0));
}

static void test_snapshot_stable(void)
{
	const char *name = tu_name("snapst");
	struct shm_writer *w = tu_writer(name, 32 * MB);
	shmrep *h;
	shmrep_snapshot *s;
	shmrep_view views[SNAP_KEYS];
	char *copies[SNAP_KEYS];
	shmrep_info info, sinfo;
	uint64_t v0, used0, used_peak, steady, n;
	char k[32], buf[2048];
	size_t len;
	bool intact = true;

	CU_ASSERT_FATAL(w != NULL);
	for (int i = 0; i < SNAP_KEYS; i++)
		set_gen(w, 0, i, 0);
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	/* Steady state: one more identical generation, with no reader. */
	for (int i = 0; i < SNAP_KEYS; i++)
		set_gen(w, 0, i, 1);
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	steady = w->alloc.used;
	h = ropen(name);
	CU_ASSERT_FATAL(h != NULL);

	CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s) == 0);
	CU_ASSERT(shmrep_snapshot_info(s, &sinfo) == 0);
	v0 = sinfo.version;
	CU_ASSERT(v0 == w->pub_ver);
	for (int i = 0; i < SNAP_KEYS; i++) {
		snprintf(k, sizeof(k), "snap:%d", i);
		CU_ASSERT_FATAL(
		    shmrep_snapshot_get(s, 0, k, strlen(k), &views[i]) == 0);
		len = gen_value(buf, sizeof(buf), i, 1);
		CU_ASSERT(views[i].len == len &&
			  memcmp(views[i].ptr, buf, len) == 0);
		copies[i] = malloc(views[i].len);
		CU_ASSERT_FATAL(copies[i] != NULL);
		memcpy(copies[i], views[i].ptr, views[i].len);
	}
	used0 = w->alloc.used;
	/* The writer overwrites every key with new sizes, deletes half of
	 * them, publishes 200 versions and reclaims after each one. */
	for (unsigned g = 2; g < 202; g++) {
		for (int i = 0; i < SNAP_KEYS; i++) {
			snprintf(k, sizeof(k), "snap:%d", i);
			if ((i + (int)g) % 2)
				(void)tu_del(w, 0, k);
			else
				set_gen(w, 0, i, g);
		}
		CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
		if (g % 20 == 0) {
			for (int i = 0; i < SNAP_KEYS; i++)
				if (memcmp(views[i].ptr, copies[i],
					   views[i].len))
					intact = false;
		}
	}
	CU_ASSERT(intact);
	used_peak = w->alloc.used;
	/* Nothing the snapshot can reach was freed: the writer reports our
	 * version as the oldest pinned one, and memory grew. */
	CU_ASSERT(w->min_pinned == v0);
	CU_ASSERT(used_peak > used0);
	CU_ASSERT(w->retired.n > w->retire_head);
	/* The snapshot still reads its own version, in full. */
	CU_ASSERT(shmrep_snapshot_dbsize(s, 0, &n) == 0);
	CU_ASSERT(n == SNAP_KEYS);
	CU_ASSERT(shmrep_snapshot_info(s, &info) == 0);
	CU_ASSERT(info.version == v0);
	for (int i = 0; i < SNAP_KEYS; i++) {
		shmrep_view again;

		snprintf(k, sizeof(k), "snap:%d", i);
		CU_ASSERT(memcmp(views[i].ptr, copies[i], views[i].len) == 0);
		CU_ASSERT(shmrep_snapshot_get(s, 0, k, strlen(k), &again) == 0);
		CU_ASSERT(again.ptr == views[i].ptr &&
			  again.len == views[i].len);
	}
	/* Copying calls in the same thread see the newest version. */
	CU_ASSERT(shmrep_info_get(h, &info) == 0);
	CU_ASSERT(info.version == w->pub_ver);
	CU_ASSERT(info.version == v0 + 200);
	CU_ASSERT(shmrep_dbsize(h, 0, &n) == 0);
	CU_ASSERT(n == SNAP_KEYS / 2);
	CU_ASSERT(getstr(h, 0, "snap:0", buf, sizeof(buf), &len) ==
		  SHMREP_ENOENT);
	CU_ASSERT(getstr(h, 0, "snap:1", buf, sizeof(buf), &len) == 0);
	shmrep_snapshot_end(s);
	/* Ended: the next publication frees what it pinned.  Bring the keys
	 * back to generation 1 so the live set matches the steady state. */
	for (int i = 0; i < SNAP_KEYS; i++)
		set_gen(w, 0, i, 1);
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	CU_ASSERT(w->min_pinned == UINT64_MAX);
	CU_ASSERT(w->retired.n == w->retire_head);
	CU_ASSERT(w->alloc.used == steady);
	CU_ASSERT(alloc_check(&w->alloc) == 0);
	for (int i = 0; i < SNAP_KEYS; i++)
		free(copies[i]);
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

static void test_snapshot_nesting(void)
{
	const char *name = tu_name("nest");
	struct shm_writer *w = tu_writer(name, 16 * MB);
	shmrep *h;
	shmrep_snapshot *s[SHMREP_MAX_NEST], *extra = NULL;
	shmrep_view views[SHMREP_MAX_NEST];
	uint64_t vers[SHMREP_MAX_NEST], rs = tu_seed();
	int order[SHMREP_MAX_NEST];
	shmrep_reader rd[8];
	size_t nr;
	char val[2048];
	size_t vl;
	bool open_[SHMREP_MAX_NEST];

	CU_ASSERT_FATAL(w != NULL);
	set_gen(w, 0, 0, 0);
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	h = ropen(name);
	CU_ASSERT_FATAL(h != NULL);
	/* Snapshot i taken at generation i; a new version between each. */
	for (int i = 0; i < SHMREP_MAX_NEST; i++) {
		shmrep_info info;

		set_gen(w, 0, 0, (unsigned)i + 1);
		CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
		CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s[i]) == 0);
		CU_ASSERT_FATAL(
		    shmrep_snapshot_get(s[i], 0, "snap:0", 6, &views[i]) == 0);
		vl = gen_value(val, sizeof(val), 0, (unsigned)i + 1);
		CU_ASSERT(views[i].len == vl &&
			  memcmp(views[i].ptr, val, vl) == 0);
		CU_ASSERT(shmrep_snapshot_info(s[i], &info) == 0);
		vers[i] = info.version;
		if (i)
			CU_ASSERT(vers[i] == vers[i - 1] + 1);
		open_[i] = true;
	}
	/* Distinct snapshot objects. */
	for (int i = 0; i < SHMREP_MAX_NEST; i++)
		for (int j = 0; j < i; j++)
			CU_ASSERT(s[i] != s[j]);
	/* One more: refused, and the refusal leaves everything as it was. */
	CU_ASSERT(shmrep_snapshot_begin(h, &extra) == SHMREP_ENEST);
	CU_ASSERT(shmrep_snapshot_begin(h, &extra) == SHMREP_ENEST);
	/* Copying calls still work with every snapshot open. */
	vl = gen_value(val, sizeof(val), 0, SHMREP_MAX_NEST);
	{
		char buf[2048];
		size_t len;

		CU_ASSERT(getstr(h, 0, "snap:0", buf, sizeof(buf), &len) == 0);
		CU_ASSERT(len == vl && memcmp(buf, val, vl) == 0);
	}
	/* The slot pins the outermost snapshot's version. */
	CU_ASSERT(shmrep_readers(h, rd, 8, &nr) == 0);
	CU_ASSERT(nr == 1);
	CU_ASSERT(nr == 1 && rd[0].version == vers[0]);
	/* End in a random order; after each end the writer churns, and every
	 * snapshot still open must read exactly what it read before. */
	for (int i = 0; i < SHMREP_MAX_NEST; i++)
		order[i] = i;
	for (int i = SHMREP_MAX_NEST - 1; i > 0; i--) {
		int j = (int)(tu_rand(&rs) % (uint64_t)(i + 1)), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	/* Always end the outermost early once: the inner ones must survive
	 * it. */
	for (int i = 0; i < SHMREP_MAX_NEST; i++) {
		if (order[i] == 0) {
			order[i] = order[0];
			order[0] = 0;
		}
	}
	for (int k = 0; k < SHMREP_MAX_NEST; k++) {
		int e = order[k];

		shmrep_snapshot_end(s[e]);
		open_[e] = false;
		for (unsigned g = 0; g < 10; g++) {
			set_gen(w, 0, 0, 1000 + (unsigned)k * 10 + g);
			CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
		}
		for (int i = 0; i < SHMREP_MAX_NEST; i++) {
			shmrep_view again;
			shmrep_info info;

			if (!open_[i])
				continue;
			vl = gen_value(val, sizeof(val), 0, (unsigned)i + 1);
			CU_ASSERT(views[i].len == vl &&
				  memcmp(views[i].ptr, val, vl) == 0);
			CU_ASSERT(shmrep_snapshot_get(s[i], 0, "snap:0", 6,
						      &again) == 0);
			CU_ASSERT(again.ptr == views[i].ptr);
			CU_ASSERT(shmrep_snapshot_info(s[i], &info) == 0);
			CU_ASSERT(info.version == vers[i]);
		}
		/* With one ended there is room again, once. */
		if (k == 0) {
			CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &extra) == 0);
			CU_ASSERT(shmrep_snapshot_begin(h, &s[e]) ==
				  SHMREP_ENEST);
			shmrep_snapshot_end(extra);
		}
	}
	/* All ended: the slot is idle and the writer frees everything. */
	CU_ASSERT(shmrep_readers(h, rd, 8, &nr) == 0);
	CU_ASSERT(nr == 1 && rd[0].version == 0);
	set_gen(w, 0, 0, 1);
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	CU_ASSERT(w->min_pinned == UINT64_MAX);
	CU_ASSERT(w->retired.n == w->retire_head);
	/* And snapshots can be taken again, up to the limit. */
	for (int i = 0; i < SHMREP_MAX_NEST; i++)
		CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s[i]) == 0);
	CU_ASSERT(shmrep_snapshot_begin(h, &extra) == SHMREP_ENEST);
	for (int i = SHMREP_MAX_NEST - 1; i >= 0; i--)
		shmrep_snapshot_end(s[i]);
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/* ----------------------------------------------------------------- scan */

#define SCAN_N 1000

/* Index of "PREFIX<number>" keys, or -1. */
static int key_index(const shmrep_view *v, const char *prefix)
{
	size_t pl = strlen(prefix);
	char tmp[32];

	if (v->len <= pl || v->len - pl >= sizeof(tmp) ||
	    memcmp(v->ptr, prefix, pl))
		return -1;
	memcpy(tmp, (const char *)v->ptr + pl, v->len - pl);
	tmp[v->len - pl] = '\0';
	return atoi(tmp);
}

/* Walk db fully within one snapshot, cap keys per call; counts per key. */
static int walk(shmrep *h, uint64_t seed, int db, const char *match, size_t cap,
		const char *prefix, int *count, int nmax, size_t *total,
		int *calls)
{
	shmrep_snapshot *s;
	shmrep_view *keys = calloc(cap, sizeof(*keys));
	uint64_t cursor = 0, last = 0;
	int rc = 0;

	*total = 0;
	*calls = 0;
	if (shmrep_snapshot_begin(h, &s))
		return -1;
	do {
		size_t n = 999;

		rc = shmrep_snapshot_scan(s, db, &cursor, match, keys, cap, &n);
		if (rc)
			break;
		(*calls)++;
		if (n > cap)
			rc = -2;
		for (size_t i = 0; i < n; i++) {
			int idx = key_index(&keys[i], prefix);
			uint64_t hk = shm_hash(seed, keys[i].ptr, keys[i].len);

			/* In hash order, each hash once (no collisions here).
			 */
			if (*total && hk <= last)
				rc = -3;
			last = hk;
			if (idx >= 0 && idx < nmax)
				count[idx]++;
			(*total)++;
		}
		/* The cursor is the next hash to visit. */
		if (cursor && n && cursor != last + 1)
			rc = -4;
	} while (!rc && cursor && *calls < 1000000);
	shmrep_snapshot_end(s);
	free(keys);
	return rc;
}

static void test_scan_full(void)
{
	const char *name = tu_name("scan");
	struct shm_writer *w = tu_writer(name, 8 * MB);
	shmrep *h;
	static int count[SCAN_N];
	size_t total;
	int calls;
	char k[32];
	const size_t caps[] = {1, 2, 7, 100, SCAN_N, SCAN_N * 2};

	CU_ASSERT_FATAL(w != NULL);
	for (int i = 0; i < SCAN_N; i++) {
		snprintf(k, sizeof(k), "scan:%d", i);
		SETUP(tu_set(w, 2, k, "v", 0));
	}
	/* Keys in other dbs must not show up. */
	for (int i = 0; i < 50; i++) {
		snprintf(k, sizeof(k), "scan:%d", SCAN_N + i);
		SETUP(tu_set(w, 3, k, "v", 0));
	}
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	h = ropen(name);
	CU_ASSERT_FATAL(h != NULL);
	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		bool once = true;

		memset(count, 0, sizeof(count));
		CU_ASSERT(walk(h, w->view.seed, 2, NULL, caps[c],
			       "scan:", count, SCAN_N, &total, &calls) == 0);
		CU_ASSERT(total == SCAN_N);
		for (int i = 0; i < SCAN_N; i++)
			once = once && count[i] == 1;
		CU_ASSERT(once);
		/* Each call but the last fills its cap (no collisions). */
		CU_ASSERT((size_t)calls == (SCAN_N + caps[c] - 1) / caps[c] ||
			  (size_t)calls ==
			      (SCAN_N + caps[c] - 1) / caps[c] + 1);
	}
	/* Empty database: one call, nothing, cursor 0. */
	{
		shmrep_snapshot *s;
		shmrep_view keys[4];
		uint64_t cursor = 0;
		size_t n = 99;

		CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s) == 0);
		CU_ASSERT(shmrep_snapshot_scan(s, 9, &cursor, NULL, keys, 4,
					       &n) == 0);
		CU_ASSERT(n == 0 && cursor == 0);
		/* Bad arguments. */
		cursor = 0;
		CU_ASSERT(shmrep_snapshot_scan(s, 2, &cursor, NULL, keys, 0,
					       &n) == SHMREP_EINVAL);
		CU_ASSERT(shmrep_snapshot_scan(s, 16, &cursor, NULL, keys, 4,
					       &n) == SHMREP_EINVAL);
		CU_ASSERT(n == 0);
		CU_ASSERT(shmrep_snapshot_scan(s, -1, &cursor, NULL, keys, 4,
					       &n) == SHMREP_EINVAL);
		shmrep_snapshot_end(s);
	}
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

static void test_scan_match_expired(void)
{
	const char *name = tu_name("scanm");
	struct shm_writer *w = tu_writer(name, 8 * MB);
	shmrep *h;
	shmrep_snapshot *s;
	char k[64];
	int64_t now = region_now_ms();
	const char *special[] = {"lit*star", "lit?q",	"lit[b]", "lit\\bs",
				 "litx",     "Hello",	"hello",  "hallo",
				 "hxllo",    "heeello", "hllo"};
	const char *patterns[] = {
	    "m:1*",	"m:?",	     "m:[0-4]",	   "m:[^0-4]", "m:1?",
	    "*9",	"m:*",	     "lit\\*star", "lit\\?q",  "lit\\[b]",
	    "lit*",	"lit?",	     "h?llo",	   "h*llo",    "h[ae]llo",
	    "h[^e]llo", "h[a-b]llo", "[Hh]ello",   "*",	       "nomatch*",
	    "m:[1-3]5", "e:*",	     "f:*",
	};
	int nkeys = 0;
	static char all[600][64];

	CU_ASSERT_FATAL(w != NULL);
	for (int i = 0; i < 300; i++) {
		snprintf(all[nkeys], 64, "m:%d", i);
		SETUP(tu_set(w, 4, all[nkeys++], "v", 0));
	}
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		snprintf(all[nkeys], 64, "%s", special[i]);
		SETUP(tu_set(w, 4, all[nkeys++], "v", 0));
	}
	/* Keys with a TTL in the future: listed.  In the past: skipped. */
	for (int i = 0; i < 50; i++) {
		snprintf(all[nkeys], 64, "f:%d", i);
		CU_ASSERT_FATAL(
		    tu_set(w, 4, all[nkeys++], "v", now + 3600000) == 0);
		snprintf(k, sizeof(k), "e:%d", i);
		SETUP(tu_set(w, 4, k, "v", i % 2 ? 1 : now - 1));
	}
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	h = ropen(name);
	CU_ASSERT_FATAL(h != NULL);
	CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s) == 0);
	for (size_t p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++) {
		static int seen[600];
		int want = 0, got = 0, dup = 0, wrong = 0;
		uint64_t cursor = 0;
		int calls = 0;

		memset(seen, 0, sizeof(seen));
		do {
			shmrep_view keys[5];
			size_t n = 0;

			CU_ASSERT_FATAL(shmrep_snapshot_scan(s, 4, &cursor,
							     patterns[p], keys,
							     5, &n) == 0);
			for (size_t i = 0; i < n; i++) {
				int j;

				for (j = 0; j < nkeys; j++)
					if (strlen(all[j]) == keys[i].len &&
					    !memcmp(all[j], keys[i].ptr,
						    keys[i].len))
						break;
				if (j == nkeys) {
					wrong++; /* an expired or unknown key */
					continue;
				}
				if (seen[j]++)
					dup++;
				got++;
			}
		} while (cursor && ++calls < 100000);
		for (int j = 0; j < nkeys; j++) {
			bool m = fnmatch(patterns[p], all[j], 0) == 0;

			want += m;
			if (seen[j] && !m)
				wrong++;
		}
		if (got != want || dup || wrong)
			fprintf(
			    stderr,
			    "\n  MATCH %s: got %d want %d dup %d wrong %d\n",
			    patterns[p], got, want, dup, wrong);
		CU_ASSERT(got == want);
		CU_ASSERT(dup == 0);
		CU_ASSERT(wrong == 0);
	}
	shmrep_snapshot_end(s);
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/*
 * A walk that spans snapshots while the writer adds and removes keys: every
 * key present throughout is returned at least once, and nothing that never
 * existed is returned.
 */
static void test_scan_across_snapshots(void)
{
	const char *name = tu_name("scanx");
	struct shm_writer *w = tu_writer(name, 16 * MB);
	shmrep *h;
	static int stable[500], churn_seen[2000];
	static bool churn_ever[2000];
	uint64_t rs = tu_seed(), cursor = 0;
	char k[32];
	int calls = 0, bogus = 0;
	bool all = true;

	CU_ASSERT_FATAL(w != NULL);
	for (int i = 0; i < 500; i++) {
		snprintf(k, sizeof(k), "stable:%d", i);
		SETUP(tu_set(w, 6, k, "v", 0));
	}
	for (int i = 0; i < 2000; i += 2) {
		snprintf(k, sizeof(k), "churn:%d", i);
		SETUP(tu_set(w, 6, k, "v", 0));
		churn_ever[i] = true;
	}
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	h = ropen(name);
	CU_ASSERT_FATAL(h != NULL);
	do {
		shmrep_snapshot *s;
		shmrep_view keys[10];
		size_t n = 0;

		CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s) == 0);
		CU_ASSERT_FATAL(shmrep_snapshot_scan(s, 6, &cursor, NULL, keys,
						     10, &n) == 0);
		for (size_t i = 0; i < n; i++) {
			int a = key_index(&keys[i], "stable:");
			int b = key_index(&keys[i], "churn:");

			if (a >= 0 && a < 500)
				stable[a]++;
			else if (b >= 0 && b < 2000 && churn_ever[b])
				churn_seen[b]++;
			else
				bogus++;
		}
		shmrep_snapshot_end(s);
		/* Between calls: add 20 and delete 20 churn keys. */
		for (int j = 0; j < 40; j++) {
			int c = (int)(tu_rand(&rs) % 2000);

			snprintf(k, sizeof(k), "churn:%d", c);
			if (j % 2) {
				SETUP(tu_set(w, 6, k, "v", 0));
				churn_ever[c] = true;
			} else {
				(void)tu_del(w, 6, k);
			}
		}
		CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	} while (cursor && ++calls < 100000);
	for (int i = 0; i < 500; i++)
		all = all && stable[i] >= 1;
	CU_ASSERT(all);
	CU_ASSERT(bogus == 0);
	CU_ASSERT(calls > 50);
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/* ----------------------------------------------------------------- info */

static void test_info(void)
{
	const char *name = tu_name("info");
	struct shm_writer *w = tu_writer(name, 4 * MB);
	shmrep *h;
	shmrep_snapshot *s;
	shmrep_info a, b;
	int64_t t0 = region_now_ms();
	uint64_t since;

	CU_ASSERT_FATAL(w != NULL);
	SETUP(tu_set(w, 0, "a", "1", 0));
	SETUP(tu_set(w, 1, "b", "1", 0));
	SETUP(tu_set(w, 15, "c", "1", 1)); /* expired, counted */
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	h = ropen(name);
	CU_ASSERT_FATAL(h != NULL);
	memset(&a, 0xa5, sizeof(a));
	CU_ASSERT_FATAL(shmrep_info_get(h, &a) == 0);
	CU_ASSERT(a.version == w->pub_ver);
	CU_ASSERT(a.incarnation == w->hdr->incarnation);
	CU_ASSERT(a.created_ms == w->hdr->created_ms);
	CU_ASSERT(a.created_ms >= (uint64_t)t0 - 5000 &&
		  a.created_ms <= (uint64_t)region_now_ms());
	CU_ASSERT(a.publish_us / 1000 >= (uint64_t)t0 - 5000 &&
		  a.publish_us / 1000 <= (uint64_t)region_now_ms());
	CU_ASSERT(a.keys == 3);
	CU_ASSERT(a.region_size == 4 * MB);
	CU_ASSERT(a.used_bytes > 0 && a.used_bytes <= a.region_size);
	CU_ASSERT(a.mode == SHMREP_MODE_RCU);
	CU_ASSERT(a.link == SHMREP_LINK_NONE);
	CU_ASSERT(a.repl_offset == 0);
	CU_ASSERT(a.databases == 16);
	CU_ASSERT(a.writer_alive == 1);
	/* The version goes up by one per publication; nothing to publish
	 * publishes nothing. */
	CU_ASSERT(shm_wr_publish(w) == 0);
	CU_ASSERT_FATAL(shmrep_info_get(h, &b) == 0);
	CU_ASSERT(b.version == a.version);
	SETUP(tu_set(w, 0, "d", "1", 0));
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	CU_ASSERT_FATAL(shmrep_info_get(h, &b) == 0);
	CU_ASSERT(b.version == a.version + 1);
	CU_ASSERT(b.keys == 4);
	CU_ASSERT(b.publish_us >= a.publish_us);
	CU_ASSERT(b.incarnation == a.incarnation);
	/* Replication state travels with the next version. */
	since = (uint64_t)region_now_ms() - 1234;
	shm_wr_set_link(w, SHM_LINK_UP, since, 987654321);
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	CU_ASSERT_FATAL(shmrep_info_get(h, &b) == 0);
	CU_ASSERT(b.version == a.version + 2);
	CU_ASSERT(b.link == SHMREP_LINK_UP);
	CU_ASSERT(b.repl_offset == 987654321);
	CU_ASSERT(b.link_since_ms == since);
	/* A snapshot's info is its version's, even after newer ones. */
	CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s) == 0);
	shm_wr_set_link(w, SHM_LINK_SYNC, since + 1, 5);
	SETUP(tu_set(w, 0, "e", "1", 0));
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	CU_ASSERT_FATAL(shmrep_snapshot_info(s, &a) == 0);
	CU_ASSERT(a.version == b.version && a.link == SHMREP_LINK_UP);
	CU_ASSERT(a.keys == 4 && a.repl_offset == 987654321);
	shmrep_snapshot_end(s);
	CU_ASSERT_FATAL(shmrep_info_get(h, &a) == 0);
	CU_ASSERT(a.version == b.version + 1);
	CU_ASSERT(a.link == SHMREP_LINK_SYNC && a.repl_offset == 5);
	CU_ASSERT(a.keys == 5);
	/* Writer gone: the last version stays readable, and says so. */
	shm_writer_close(w);
	CU_ASSERT_FATAL(shmrep_info_get(h, &b) == 0);
	CU_ASSERT(b.writer_alive == 0);
	CU_ASSERT(b.version == a.version);
	CU_ASSERT(has(h, 0, "e", "1"));
	shmrep_close(h);
	tu_unlink_region(name);
}

static void test_readers(void)
{
	const char *name = tu_name("readers");
	struct shm_writer *w = tu_writer(name, 4 * MB);
	shmrep *h, *h2;
	shmrep_snapshot *s;
	shmrep_reader rd[8];
	size_t n = 99;
	uint64_t t0 = (uint64_t)region_now_ms(), v;

	CU_ASSERT_FATAL(w != NULL);
	SETUP(tu_set(w, 0, "a", "1", 0));
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	h = ropen(name);
	h2 = ropen(name);
	CU_ASSERT_FATAL(h && h2);
	/* Opening claims nothing; reading does. */
	CU_ASSERT(shmrep_readers(h, rd, 8, &n) == 0);
	CU_ASSERT(n == 0);
	CU_ASSERT(has(h, 0, "a", "1"));
	CU_ASSERT(shmrep_readers(h, rd, 8, &n) == 0);
	CU_ASSERT_FATAL(n == 1);
	CU_ASSERT(rd[0].pid == (uint32_t)getpid());
	CU_ASSERT(rd[0].tid == my_tid());
	CU_ASSERT(rd[0].alive == 1);
	CU_ASSERT(rd[0].version == 0);
	CU_ASSERT(rd[0].lag_ms == 0);
	CU_ASSERT(rd[0].claimed_ms >= t0 &&
		  rd[0].claimed_ms <= (uint64_t)region_now_ms());
	CU_ASSERT(rd[0].slot < w->nslots);
	/* Inside a snapshot the row shows the pinned version; once a newer
	 * one is out, how long it has been superseded. */
	CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s) == 0);
	v = w->pub_ver;
	CU_ASSERT(shmrep_readers(h, rd, 8, &n) == 0);
	CU_ASSERT(n == 1 && rd[0].version == v && rd[0].lag_ms == 0);
	SETUP(tu_set(w, 0, "a", "2", 0));
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	tu_sleep_ms(120);
	CU_ASSERT(shmrep_readers(h2, rd, 8, &n) == 0);
	CU_ASSERT_FATAL(n == 1);
	CU_ASSERT(rd[0].version == v);
	CU_ASSERT(rd[0].lag_ms >= 100 && rd[0].lag_ms < 10000);
	/* Seen from another handle (another lock description): alive. */
	CU_ASSERT(rd[0].alive == 1);
	/* The writer agrees. */
	{
		struct shm_laggard lg[4];
		size_t nl = shm_wr_laggards(w, 50, lg, 4);

		CU_ASSERT(nl == 1);
		CU_ASSERT(nl == 1 && lg[0].version == v &&
			  lg[0].pid == (uint32_t)getpid() &&
			  lg[0].age_ms >= 100);
	}
	shmrep_snapshot_end(s);
	/* A second handle in the same thread claims a slot of its own. */
	CU_ASSERT(has(h2, 0, "a", "2"));
	CU_ASSERT(shmrep_readers(h, rd, 8, &n) == 0);
	CU_ASSERT_FATAL(n == 2);
	CU_ASSERT(rd[0].slot != rd[1].slot);
	CU_ASSERT(rd[0].alive == 1 && rd[1].alive == 1);
	CU_ASSERT(rd[0].tid == my_tid() && rd[1].tid == my_tid());
	/* Too small a buffer: ERANGE, the first cap rows, *n = cap. */
	n = 0;
	CU_ASSERT(shmrep_readers(h, rd, 1, &n) == SHMREP_ERANGE);
	CU_ASSERT(n == 1);
	n = 99;
	CU_ASSERT(shmrep_readers(h, rd, 0, &n) == SHMREP_ERANGE);
	CU_ASSERT(n == 0);
	/* Closing a handle gives its slots back. */
	shmrep_close(h2);
	CU_ASSERT(shmrep_readers(h, rd, 8, &n) == 0);
	CU_ASSERT(n == 1);
	shmrep_close(h);
	h = ropen(name);
	CU_ASSERT_FATAL(h != NULL);
	CU_ASSERT(shmrep_readers(h, rd, 8, &n) == 0);
	CU_ASSERT(n == 0);
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

static void test_enoslot(void)
{
	const char *name = tu_name("noslot");
	struct shm_writer *w = tu_writer_slots(name, 1 * MB, 2);
	shmrep *h[3];
	shmrep_snapshot *s;
	char buf[8];
	size_t len;
	uint64_t n;
	shmrep_info info;

	CU_ASSERT_FATAL(w != NULL);
	SETUP(tu_set(w, 0, "a", "1", 0));
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	for (int i = 0; i < 3; i++) {
		h[i] = ropen(name);
		CU_ASSERT_FATAL(h[i] != NULL);
	}
	CU_ASSERT(has(h[0], 0, "a", "1"));
	CU_ASSERT(has(h[1], 0, "a", "1"));
	/* Every read of the third handle: no slot. */
	CU_ASSERT(getstr(h[2], 0, "a", buf, sizeof(buf), &len) ==
		  SHMREP_ENOSLOT);
	CU_ASSERT(shmrep_exists(h[2], 0, "a", 1) == SHMREP_ENOSLOT);
	CU_ASSERT(shmrep_dbsize(h[2], 0, &n) == SHMREP_ENOSLOT);
	CU_ASSERT(shmrep_info_get(h[2], &info) == SHMREP_ENOSLOT);
	CU_ASSERT(shmrep_snapshot_begin(h[2], &s) == SHMREP_ENOSLOT);
	/* A slot given back is found again. */
	shmrep_close(h[0]);
	CU_ASSERT(has(h[2], 0, "a", "1"));
	CU_ASSERT(has(h[1], 0, "a", "1"));
	shmrep_close(h[1]);
	shmrep_close(h[2]);
	shm_writer_close(w);
	tu_unlink_region(name);
}

static void test_strerror_versions(void)
{
	const int codes[] = {
	    SHMREP_ENOENT,    SHMREP_ERANGE,	SHMREP_EINVAL,
	    SHMREP_ENOMEM,    SHMREP_EPERM,	SHMREP_EWRONGTYPE,
	    SHMREP_EBADMAGIC, SHMREP_EVERSION,	SHMREP_ECORRUPT,
	    SHMREP_ENOSLOT,   SHMREP_EUNUSABLE, SHMREP_ENEST,
	};
	const size_t nc = sizeof(codes) / sizeof(codes[0]);
	char expect[32];

	for (size_t i = 0; i < nc; i++) {
		const char *m = shmrep_strerror(codes[i]);

		CU_ASSERT_FATAL(m != NULL);
		CU_ASSERT(m[0] != '\0');
		CU_ASSERT(strcmp(m, "unknown error") != 0);
		CU_ASSERT(strcmp(m, shmrep_strerror(0)) != 0);
		/* Each code its own message. */
		for (size_t j = 0; j < i; j++)
			CU_ASSERT(strcmp(m, shmrep_strerror(codes[j])) != 0);
	}
	/* Errno-style codes keep their usual meaning where no better text
	 * is given. */
	CU_ASSERT(strcmp(shmrep_strerror(SHMREP_ERANGE), strerror(ERANGE)) ==
		  0);
	CU_ASSERT(strcmp(shmrep_strerror(SHMREP_EINVAL), strerror(EINVAL)) ==
		  0);
	CU_ASSERT(strcmp(shmrep_strerror(SHMREP_ENOMEM), strerror(ENOMEM)) ==
		  0);
	CU_ASSERT(strcmp(shmrep_strerror(-EBUSY), strerror(EBUSY)) == 0);
	CU_ASSERT(strcmp(shmrep_strerror(-EACCES), strerror(EACCES)) == 0);
	/* Never NULL, whatever the argument. */
	CU_ASSERT(shmrep_strerror(0) != NULL);
	CU_ASSERT(shmrep_strerror(1) != NULL);
	CU_ASSERT(shmrep_strerror(12345) != NULL);
	CU_ASSERT(shmrep_strerror(-4096) != NULL);
	CU_ASSERT(shmrep_strerror(-5000) != NULL);
	CU_ASSERT(shmrep_strerror(-5008) != NULL);
	CU_ASSERT(shmrep_strerror(INT_MIN) != NULL);
	CU_ASSERT(shmrep_strerror(INT_MAX) != NULL);
	/* Versions. */
	CU_ASSERT(shmrep_version() == SHMREP_VERSION_HEX);
	snprintf(expect, sizeof(expect), "%d.%d.%d", SHMREP_VERSION_MAJOR,
		 SHMREP_VERSION_MINOR, SHMREP_VERSION_PATCH);
	CU_ASSERT_FATAL(shmrep_version_string() != NULL);
	CU_ASSERT(strcmp(shmrep_version_string(), expect) == 0);
	CU_ASSERT(SHMREP_VERSION_HEX ==
		  ((SHMREP_VERSION_MAJOR << 16) | (SHMREP_VERSION_MINOR << 8) |
		   SHMREP_VERSION_PATCH));
	/* Type names. */
	CU_ASSERT(strcmp(shmrep_type_name(SHMREP_TYPE_STRING), "string") == 0);
	CU_ASSERT(strcmp(shmrep_type_name(SHMREP_TYPE_LIST), "list") == 0);
	CU_ASSERT(strcmp(shmrep_type_name(SHMREP_TYPE_SET), "set") == 0);
	CU_ASSERT(strcmp(shmrep_type_name(SHMREP_TYPE_ZSET), "zset") == 0);
	CU_ASSERT(strcmp(shmrep_type_name(SHMREP_TYPE_HASH), "hash") == 0);
	CU_ASSERT(strcmp(shmrep_type_name(0), "none") == 0);
	CU_ASSERT(strcmp(shmrep_type_name(6), "none") == 0);
	CU_ASSERT(strcmp(shmrep_type_name(-1), "none") == 0);
}

/* -------------------------------------------------------------- corrupt */

static struct shm_snap *wrec(struct shm_writer *w)
{
	return (struct shm_snap *)(w->base + w->cur_off);
}

/* Every read of h fails with SHMREP_ECORRUPT, and leaves the slot idle. */
static void expect_corrupt_all(shmrep *h)
{
	char buf[64];
	size_t len;
	uint64_t n;
	int type;
	int64_t ms;
	shmrep_info info;
	shmrep_snapshot *s = NULL;
	shmrep_reader rd[4];
	size_t nr;

	CU_ASSERT(getstr(h, 0, "k1", buf, sizeof(buf), &len) ==
		  SHMREP_ECORRUPT);
	CU_ASSERT(shmrep_exists(h, 0, "k1", 2) == SHMREP_ECORRUPT);
	CU_ASSERT(shmrep_type(h, 0, "k1", 2, &type) == SHMREP_ECORRUPT);
	CU_ASSERT(shmrep_ttl(h, 0, "k1", 2, &ms) == SHMREP_ECORRUPT);
	CU_ASSERT(shmrep_dbsize(h, 0, &n) == SHMREP_ECORRUPT);
	CU_ASSERT(shmrep_info_get(h, &info) == SHMREP_ECORRUPT);
	CU_ASSERT(shmrep_snapshot_begin(h, &s) == SHMREP_ECORRUPT);
	CU_ASSERT(shmrep_readers(h, rd, 4, &nr) == 0);
	CU_ASSERT(nr == 1 && rd[0].version == 0);
}

static void test_corrupt_current(void)
{
	const char *name = tu_name("badcur");
	struct shm_writer *w = tu_writer(name, 4 * MB);
	shmrep *h;
	uint64_t saved, bad[8];
	uint32_t ndb;
	char k[16];

	CU_ASSERT_FATAL(w != NULL);
	for (int i = 0; i < 100; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		SETUP(tu_set(w, 0, k, "value", 0));
	}
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	h = ropen(name);
	CU_ASSERT_FATAL(h != NULL);
	CU_ASSERT(has(h, 0, "k1", "value"));
	saved = w->hdr->current;
	bad[0] = w->size; /* just past the end */
	bad[1] = UINT64_MAX;
	bad[2] = 8; /* inside the header */
	bad[3] = 0;
	bad[4] = saved + 8;	     /* misaligned */
	bad[5] = w->size - 64;	     /* the record would overrun the end */
	bad[6] = w->size - SHM_PAGE; /* an unused page: ndb 0 */
	bad[7] = (uint64_t)1 << 40;
	for (int i = 0; i < 8; i++) {
		shm_store_release(&w->hdr->current, bad[i]);
		expect_corrupt_all(h);
	}
	shm_store_release(&w->hdr->current, saved);
	CU_ASSERT(has(h, 0, "k1", "value"));
	/* The record's own ndb disagrees with the header's. */
	ndb = wrec(w)->ndb;
	wrec(w)->ndb = ndb - 1;
	expect_corrupt_all(h);
	wrec(w)->ndb = 1000000;
	expect_corrupt_all(h);
	wrec(w)->ndb = ndb;
	CU_ASSERT(has(h, 0, "k1", "value"));
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/* Read every key of db 0: how many read fine and how many as corrupt. */
static void read_all(shmrep *h, int nkeys, int *ok, int *corrupt, int *other)
{
	char k[16], buf[64];
	size_t len;

	*ok = *corrupt = *other = 0;
	for (int i = 0; i < nkeys; i++) {
		int rc;

		snprintf(k, sizeof(k), "k%d", i);
		rc = getstr(h, 0, k, buf, sizeof(buf), &len);
		if (rc == 0)
			(*ok)++;
		else if (rc == SHMREP_ECORRUPT)
			(*corrupt)++;
		else
			(*other)++;
	}
}

static int scan_rc(shmrep *h, int db)
{
	shmrep_snapshot *s;
	shmrep_view keys[16];
	uint64_t cursor = 0;
	size_t n;
	int rc, calls = 0;

	rc = shmrep_snapshot_begin(h, &s);
	if (rc)
		return rc;
	do
		rc = shmrep_snapshot_scan(s, db, &cursor, NULL, keys, 16, &n);
	while (!rc && cursor && ++calls < 100000);
	shmrep_snapshot_end(s);
	return rc;
}

static void test_corrupt_trie(void)
{
	const char *name = tu_name("badtrie");
	struct shm_writer *w = tu_writer(name, 4 * MB);
	shmrep *h;
	struct shm_node *root;
	shm_ref saved_root, saved_ent;
	unsigned ci;
	int ok, corrupt, other;
	char k[16];
	const int N = 1000;

	CU_ASSERT_FATAL(w != NULL);
	for (int i = 0; i < N; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		SETUP(tu_set(w, 0, k, "value", 0));
	}
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	h = ropen(name);
	CU_ASSERT_FATAL(h != NULL);
	read_all(h, N, &ok, &corrupt, &other);
	CU_ASSERT(ok == N);
	CU_ASSERT(scan_rc(h, 0) == 0);

	/* The database root out of range, or at the very end (a node
	 * header whose entries would run past the end of the region). */
	saved_root = wrec(w)->db[0].root;
	{
		struct shm_node *last =
		    (struct shm_node *)(w->base + w->size - 32);

		CU_ASSERT_FATAL((uint64_t)w->alloc.top * SHM_PAGE <
				w->size - 32);
		last->bitmap = ~0ull;
		last->leafmap = 0;
	}
	{
		const shm_ref bad[] = {0xffffffffu, (shm_ref)(w->size >> 4),
				       (shm_ref)((w->size - 32) >> 4), 1};

		for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
			uint64_t n;

			wrec(w)->db[0].root = bad[b];
			read_all(h, N, &ok, &corrupt, &other);
			CU_ASSERT(corrupt + other == N);
			CU_ASSERT(other == 0 || b == 3);
			CU_ASSERT(scan_rc(h, 0) == SHMREP_ECORRUPT || b == 3);
			/* Other databases and counts are still fine. */
			CU_ASSERT(shmrep_dbsize(h, 0, &n) == 0 &&
				  n == (uint64_t)N);
		}
	}
	wrec(w)->db[0].root = saved_root;

	/* One child ref of the root out of range: the keys below it read as
	 * corrupt, all others still read. */
	root = shm_wr_ptr(w, saved_root);
	CU_ASSERT_FATAL((root->bitmap & ~root->leafmap) != 0);
	{
		uint64_t nodes = root->bitmap & ~root->leafmap;
		uint64_t low = nodes & (0 - nodes); /* lowest child node */

		ci = (unsigned)__builtin_popcountll(root->bitmap & (low - 1));
	}
	saved_ent = root->ent[ci];
	root->ent[ci] = 0xfffffff0u;
	read_all(h, N, &ok, &corrupt, &other);
	CU_ASSERT(corrupt > 0);
	CU_ASSERT(ok > 0);
	CU_ASSERT(ok + corrupt == N);
	CU_ASSERT(scan_rc(h, 0) == SHMREP_ECORRUPT);
	/* The same child pointing back at the root: a cycle.  Lookups are
	 * bounded by the trie's depth. */
	root->ent[ci] = saved_root;
	read_all(h, N, &ok, &corrupt, &other);
	CU_ASSERT(ok > 0);
	CU_ASSERT(ok + corrupt + other == N);
	CU_ASSERT(scan_rc(h, 0) == SHMREP_ECORRUPT);
	/* A child node flagged as a leaf: the keys below it cannot be
	 * found, the others still can. */
	root->ent[ci] = saved_ent;
	{
		uint64_t lm = root->leafmap, nodes = root->bitmap & ~lm;

		root->leafmap = lm | (nodes & (0 - nodes));
		read_all(h, N, &ok, &corrupt, &other);
		CU_ASSERT(ok > 0 && ok < N);
		CU_ASSERT(ok + corrupt + other == N);
		root->leafmap = lm;
	}
	/* A leaf flag for a child that does not exist: a scan notices (a
	 * lookup never consults it). */
	{
		struct shm_node *child = shm_wr_ptr(w, root->ent[ci]);
		uint64_t lm = child->leafmap, free_bits = ~child->bitmap;

		CU_ASSERT_FATAL(free_bits != 0);
		child->leafmap = lm | (free_bits & (0 - free_bits));
		CU_ASSERT(scan_rc(h, 0) == SHMREP_ECORRUPT);
		child->leafmap = lm;
	}
	read_all(h, N, &ok, &corrupt, &other);
	CU_ASSERT(ok == N);

	/* A leaf with lengths, type or encoding that do not check out. */
	{
		const struct shm_leaf *cl;
		struct shm_leaf *l, save;
		char buf[64];
		size_t len;

		CU_ASSERT_FATAL(keys_find(w, 0, "k7", 2, &cl) == 0);
		l = (struct shm_leaf *)cl;
		save = *l;
		/* A key length that is not the key's: a lookup reads
		 * nothing more of that leaf (it is not the key); a scan,
		 * which reads every key, finds it out of bounds. */
		l->klen = 0xfffffff0u;
		CU_ASSERT(getstr(h, 0, "k7", buf, sizeof(buf), &len) ==
			  SHMREP_ENOENT);
		CU_ASSERT(scan_rc(h, 0) == SHMREP_ECORRUPT);
		*l = save;
		l->vlen = 0xffffffffu;
		CU_ASSERT(getstr(h, 0, "k7", buf, sizeof(buf), &len) ==
			  SHMREP_ECORRUPT);
		*l = save;
		l->vlen = (uint32_t)w->size;
		CU_ASSERT(getstr(h, 0, "k7", buf, sizeof(buf), &len) ==
			  SHMREP_ECORRUPT);
		*l = save;
		l->type = 0;
		CU_ASSERT(shmrep_exists(h, 0, "k7", 2) == SHMREP_ECORRUPT);
		l->type = SHM_T_MAX + 1;
		CU_ASSERT(shmrep_exists(h, 0, "k7", 2) == SHMREP_ECORRUPT);
		*l = save;
		l->enc = 0;
		CU_ASSERT(shmrep_exists(h, 0, "k7", 2) == SHMREP_ECORRUPT);
		*l = save;
		CU_ASSERT(has(h, 0, "k7", "value"));
	}
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/* A writer that marks its region broken, or a region marked superseded
 * with no successor: SHMREP_EUNUSABLE, promptly, and back to normal once
 * the region is live again. */
static void test_unusable(void)
{
	const char *name = tu_name("unusable");
	struct shm_writer *w = tu_writer(name, 1 * MB);
	shmrep *h;
	char buf[8];
	size_t len;
	uint64_t t0;

	CU_ASSERT_FATAL(w != NULL);
	SETUP(tu_set(w, 0, "k1", "v", 0));
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	h = ropen(name);
	CU_ASSERT_FATAL(h != NULL);
	CU_ASSERT(has(h, 0, "k1", "v"));
	shm_store_release(&w->hdr->state, SHM_STATE_BROKEN);
	CU_ASSERT(getstr(h, 0, "k1", buf, sizeof(buf), &len) ==
		  SHMREP_EUNUSABLE);
	CU_ASSERT(open_rc(name, 0) == SHMREP_EUNUSABLE);
	t0 = tu_now_ms();
	shm_store_release(&w->hdr->state, SHM_STATE_SUPERSEDED);
	CU_ASSERT(getstr(h, 0, "k1", buf, sizeof(buf), &len) ==
		  SHMREP_EUNUSABLE);
	CU_ASSERT(tu_now_ms() - t0 < 5000);
	shm_store_release(&w->hdr->state, SHM_STATE_LIVE);
	CU_ASSERT(has(h, 0, "k1", "v"));
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/*
 * Hostile tries that are bounded in depth but not in size.  "A corrupt
 * region gives an error, never a crash or an endless loop": every ref below
 * is in bounds and every node well-formed on its own, but the walk a SCAN
 * makes over them has 31^13 or 16 * 32^12 paths.  Lookups are bounded by
 * the depth; a SCAN must end too (with SHMREP_ECORRUPT, as the same leaf
 * comes back again and again).  Run in a child under a deadline.
 */
static int bounded_child(void *arg)
{
	const char *name = arg;
	shmrep *h = NULL;
	shmrep_snapshot *s;
	shmrep_view keys[8];
	uint64_t cursor = 0;
	size_t n;
	char buf[8];
	size_t len;
	int rc;

	if (shmrep_open(name, 0, &h))
		return 10;
	rc = shmrep_get(h, 0, "abc", 3, buf, sizeof(buf), &len);
	if (rc != SHMREP_ENOENT && rc != SHMREP_ECORRUPT)
		return 11;
	rc = shmrep_get(h, 0, "zzz", 3, buf, sizeof(buf), &len);
	if (rc != SHMREP_ENOENT && rc != SHMREP_ECORRUPT)
		return 12;
	if (shmrep_snapshot_begin(h, &s))
		return 13;
	do
		rc = shmrep_snapshot_scan(s, 0, &cursor, NULL, keys, 8, &n);
	while (rc == 0 && cursor);
	shmrep_snapshot_end(s);
	shmrep_close(h);
	return rc == SHMREP_ECORRUPT ? 0 : 14;
}

static void run_bounded(struct shm_writer *w, const char *name, shm_ref root,
			const char *what)
{
	pid_t pid;
	int rc;

	wrec(w)->db[0].root = root;
	pid = tu_fork(bounded_child, (void *)name);
	CU_ASSERT_FATAL(pid > 0);
	rc = tu_wait(pid, 4000);
	if (rc == -1)
		fprintf(stderr,
			"\n  BUG: SCAN over %s did not end within 4 s "
			"(endless walk on a corrupt region)\n",
			what);
	else if (rc)
		fprintf(stderr, "\n  %s: child failed with %d\n", what, rc);
	CU_ASSERT(rc == 0);
	wrec(w)->db[0].root = w->db[0].root;
}

/* An expired leaf "key" at ref r, built by hand. */
static void hand_leaf(struct shm_writer *w, shm_ref r, const char *key,
		      int64_t expire_ms)
{
	struct shm_leaf *l = shm_wr_ptr(w, r);
	size_t kl = strlen(key);

	memset(l, 0, sizeof(*l) + kl + 1);
	l->expire_ms = expire_ms;
	l->klen = (uint32_t)kl;
	l->type = SHM_T_STRING;
	l->enc = SHM_E_INLINE;
	l->vlen = 1;
	memcpy(l->data, key, kl);
	l->data[kl] = 'v';
}

/*
 * A node whose 63 children are the node itself, the 64th a real, expired
 * leaf: every walk down it loops until the depth bound, where the node is
 * read as a collision node.
 */
static void test_corrupt_scan_cycle(void)
{
	const char *name = tu_name("cycle");
	struct shm_writer *w = tu_writer(name, 4 * MB);
	const shm_ref R = 0x10101, RL = R + 0x100;
	struct shm_node *nd;

	CU_ASSERT_FATAL(w != NULL);
	SETUP(tu_set(w, 0, "k1", "v", 0));
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	/* Build it in pages the allocator never handed out. */
	CU_ASSERT_FATAL((uint64_t)w->alloc.top * SHM_PAGE < ((uint64_t)R << 4));
	nd = shm_wr_ptr(w, R);
	nd->bitmap = ~0ull;
	nd->leafmap = 0x2;
	nd->birth = 0;
	for (int i = 0; i < 64; i++)
		nd->ent[i] = i == 1 ? RL : R;
	hand_leaf(w, RL, "abc", 1);
	run_bounded(w, name, R, "a self-referencing node");
	shm_writer_close(w);
	tu_unlink_region(name);
}

/*
 * No cycle at all: eleven full nodes, each with all its children the next
 * one, down to a collision node of two expired leaves.  Twelve blocks,
 * 16 * 64^10 paths.
 */
static void test_corrupt_scan_dag(void)
{
	const char *name = tu_name("dag");
	struct shm_writer *w = tu_writer(name, 4 * MB);
	const shm_ref B = 0x10000, C = B + 11 * 0x20;
	struct shm_cnode *cn;

	CU_ASSERT_FATAL(w != NULL);
	SETUP(tu_set(w, 0, "k1", "v", 0));
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	CU_ASSERT_FATAL((uint64_t)w->alloc.top * SHM_PAGE < ((uint64_t)B << 4));
	for (unsigned d = 0; d < 11; d++) {
		struct shm_node *nd = shm_wr_ptr(w, B + d * 0x20);
		/* Level 10 uses every fourth bit (4 hash bits shifted by 2). */
		uint64_t map = d < 10 ? ~0ull : 0x1111111111111111ull;
		shm_ref next = d < 10 ? B + (d + 1) * 0x20 : C;

		nd->bitmap = map;
		nd->leafmap = 0;
		nd->birth = 0;
		for (int i = 0; i < __builtin_popcountll(map); i++)
			nd->ent[i] = next;
	}
	cn = shm_wr_ptr(w, C);
	cn->count = 2;
	cn->pad = 0;
	cn->birth = 0;
	cn->ent[0] = B + 0x200;
	cn->ent[1] = B + 0x210;
	hand_leaf(w, B + 0x200, "abc", 1);
	hand_leaf(w, B + 0x210, "abd", 1);
	run_bounded(w, name, B, "a trie whose nodes share one child");
	shm_writer_close(w);
	tu_unlink_region(name);
}

/*
 * Three keys with one full 64-bit hash (a collision node at the last
 * level), made by hand since the real hash is seeded: a SCAN takes such a
 * group whole, so a cap below its size is SHMREP_ERANGE, as documented.
 */
static void test_scan_collision_erange(void)
{
	const char *name = tu_name("coll");
	struct shm_writer *w = tu_writer(name, 4 * MB);
	const shm_ref B = 0x14000, C = B + 11 * 0x20, L = B + 0x200;
	const char *ck[3] = {"coll:a", "coll:b", "coll:c"};
	shmrep *h;
	shmrep_snapshot *s;
	shmrep_view keys[8];
	struct shm_cnode *cn;
	uint64_t hsh, cursor;
	size_t n;
	char buf[8];
	size_t len;

	CU_ASSERT_FATAL(w != NULL);
	SETUP(tu_set(w, 1, "k1", "v", 0));
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	CU_ASSERT_FATAL((uint64_t)w->alloc.top * SHM_PAGE < ((uint64_t)B << 4));
	hsh = shm_hash(w->view.seed, ck[0], strlen(ck[0]));
	/* One path of single-child nodes along the hash of "coll:a". */
	for (unsigned d = 0; d < 11; d++) {
		struct shm_node *nd = shm_wr_ptr(w, B + d * 0x20);

		nd->bitmap = 1ull << shm_chunk(hsh, d);
		nd->leafmap = 0;
		nd->birth = 0;
		nd->ent[0] = d < 10 ? B + (d + 1) * 0x20 : C;
	}
	cn = shm_wr_ptr(w, C);
	cn->count = 3;
	cn->pad = 0;
	cn->birth = 0;
	for (int i = 0; i < 3; i++) {
		cn->ent[i] = L + (shm_ref)i * 0x10;
		hand_leaf(w, L + (shm_ref)i * 0x10, ck[i], 0);
	}
	wrec(w)->db[1].root = B;
	h = ropen(name);
	CU_ASSERT_FATAL(h != NULL);
	/* The lookup path is real for "coll:a". */
	CU_ASSERT(getstr(h, 1, "coll:a", buf, sizeof(buf), &len) == 0);
	CU_ASSERT(len == 1 && buf[0] == 'v');
	CU_ASSERT_FATAL(shmrep_snapshot_begin(h, &s) == 0);
	for (size_t cap = 1; cap < 3; cap++) {
		cursor = 0;
		n = 99;
		CU_ASSERT(shmrep_snapshot_scan(s, 1, &cursor, NULL, keys, cap,
					       &n) == SHMREP_ERANGE);
		CU_ASSERT(n == 0);
	}
	/* Exactly room for the group: all three at once. */
	cursor = 0;
	CU_ASSERT(shmrep_snapshot_scan(s, 1, &cursor, NULL, keys, 3, &n) == 0);
	CU_ASSERT(n == 3);
	CU_ASSERT(cursor == hsh + 1);
	if (cursor) {
		CU_ASSERT(shmrep_snapshot_scan(s, 1, &cursor, NULL, keys, 3,
					       &n) == 0);
		CU_ASSERT(n == 0 && cursor == 0);
	}
	/* A pattern that keeps one of them fits a cap of one. */
	cursor = 0;
	CU_ASSERT(shmrep_snapshot_scan(s, 1, &cursor, "coll:b", keys, 1, &n) ==
		  0);
	CU_ASSERT(n == 1 && keys[0].len == 6 &&
		  memcmp(keys[0].ptr, "coll:b", 6) == 0);
	shmrep_snapshot_end(s);
	wrec(w)->db[1].root = w->db[1].root;
	shmrep_close(h);
	shm_writer_close(w);
	tu_unlink_region(name);
}

/* ------------------------------------------------------------------ main */

static CU_TestInfo open_tests[] = {
    {"enoent", test_open_enoent},
    {"invalid_names", test_open_invalid_names},
    {"symlink", test_open_symlink},
    {"bad_magic_version", test_open_bad_magic_version},
    {"truncated_garbage", test_open_truncated_garbage},
    {"owner", test_open_owner},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo read_tests[] = {
    {"get", test_get},
    {"get_empty_null_buf", test_get_empty_null_buf},
    {"types_exists_ttl_dbsize", test_types_exists_ttl_dbsize},
    {"expiry", test_expiry},
    CU_TEST_INFO_NULL,
};

/*
 * Deferred reclamation (the daemon's setting): a publication scans the
 * slots only once enough was retired since the last scan, and
 * shm_wr_reclaim catches up.  An hour of deferral leaves only the byte
 * and entry thresholds.
 */
static void test_reclaim_deferred(void)
{
	const char *name = tu_name("defer");
	struct shm_writer *w = tu_writer(name, 64 * MB);
	static char big[64 * 1024];
	uint64_t scans, steady;
	char k[32];

	CU_ASSERT_FATAL(w != NULL);
	w->reclaim_defer_us = 3600ull * 1000 * 1000;
	for (int i = 0; i < 100; i++) {
		snprintf(k, sizeof(k), "d:%d", i);
		CU_ASSERT_FATAL(tu_set(w, 0, k, "v0", 0) == 0);
	}
	CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	shm_wr_reclaim(w);
	steady = w->alloc.used;
	scans = w->st.reclaim_scans;
	/* Small publications: retired, not scanned, not freed. */
	for (int g = 0; g < 10; g++) {
		snprintf(k, sizeof(k), "d:%d", g);
		CU_ASSERT_FATAL(tu_set(w, 0, k, "v1", 0) == 0);
		CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	}
	CU_ASSERT(w->st.reclaim_scans == scans);
	CU_ASSERT(w->retired.n > w->retire_head);
	CU_ASSERT(w->alloc.used > steady);
	/* Catching up frees all of it: no reader. */
	shm_wr_reclaim(w);
	CU_ASSERT(w->retired.n == w->retire_head);
	CU_ASSERT(w->alloc.used == steady);
	/* Over RECLAIM_DEFER_BYTES retired (20 x 64 KiB): a scan. */
	scans = w->st.reclaim_scans;
	memset(big, 'x', sizeof(big) - 1);
	for (int g = 0; g < 20; g++) {
		big[0] = (char)('a' + g);
		CU_ASSERT_FATAL(tu_set(w, 0, "big", big, 0) == 0);
		CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	}
	CU_ASSERT(w->st.reclaim_scans > scans);
	CU_ASSERT(w->alloc.used < steady + 20 * sizeof(big));
	/* Over RECLAIM_DEFER_ENTRIES in one publication: a scan. */
	scans = w->st.reclaim_scans;
	for (int i = 0; i < 5000; i++) {
		snprintf(k, sizeof(k), "e:%d", i % 100);
		CU_ASSERT_FATAL(tu_set(w, 0, k, i % 2 ? "a" : "b", 0) == 0);
		if (i % 50 == 49)
			CU_ASSERT_FATAL(shm_wr_publish(w) == 1);
	}
	CU_ASSERT(w->st.reclaim_scans > scans);
	CU_ASSERT(alloc_check(&w->alloc) == 0);
	shm_writer_close(w);
	tu_unlink_region(name);
}

static CU_TestInfo snap_tests[] = {
    {"stable_under_writer", test_snapshot_stable},
    {"nesting_any_order", test_snapshot_nesting},
    {"reclaim_deferred", test_reclaim_deferred},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo scan_tests[] = {
    {"full_walk", test_scan_full},
    {"match_expired", test_scan_match_expired},
    {"across_snapshots", test_scan_across_snapshots},
    {"collision_erange", test_scan_collision_erange},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo info_tests[] = {
    {"info", test_info},       {"readers", test_readers},
    {"enoslot", test_enoslot}, {"strerror_versions", test_strerror_versions},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo corrupt_tests[] = {
    {"bad_current", test_corrupt_current},
    {"bad_trie", test_corrupt_trie},
    {"unusable", test_unusable},
    {"scan_bounded_cycle", test_corrupt_scan_cycle},
    {"scan_bounded_dag", test_corrupt_scan_dag},
    CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = {
	    {"open", open_tests},
	    {"reads", read_tests},
	    {"snapshot", snap_tests},
	    {"scan", scan_tests},
	    {"info", info_tests},
	    {"corrupt", corrupt_tests},
	    {NULL, NULL},
	};

	return tu_main(argc, argv, suites);
}
