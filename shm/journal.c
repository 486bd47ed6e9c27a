/*
 * journal.c - mutex mode's undo journal (see journal.h).
 *
 * The journal is a file of its own rather than part of the region because
 * a write section's in-place changes have no size bound the region could
 * reserve for them (one MSET may touch a million paths): the file grows by
 * doubling, with ftruncate and mremap, and appending a record is a memcpy.
 * It lives in /dev/shm so that it survives the writer's death exactly as
 * the region does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "journal.h"
#include "layout.h"
#include "region.h"

#define JOURNAL_INITIAL (1u << 20)

static uint64_t rec_bytes(uint32_t len)
{
	return sizeof(struct shm_jrec) + (((uint64_t)len + 7) & ~7ull);
}

int journal_create(struct shm_journal *j, const char *name, uint64_t inc)
{
	memset(j, 0, sizeof(*j));
	j->fd = -1;
	if (region_path(j->path, sizeof(j->path), name, "journal"))
		return -ENAMETOOLONG;
	j->fd = open(j->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (j->fd < 0)
		return -errno;
	if (ftruncate(j->fd, 0) < 0 || ftruncate(j->fd, JOURNAL_INITIAL) < 0)
		goto fail;
	j->hdr = mmap(NULL, JOURNAL_INITIAL, PROT_READ | PROT_WRITE, MAP_SHARED,
		      j->fd, 0);
	if (j->hdr == MAP_FAILED) {
		j->hdr = NULL;
		goto fail;
	}
	j->cap = JOURNAL_INITIAL;
	j->hdr->magic = SHM_JOURNAL_MAGIC;
	j->hdr->layout_version = SHM_LAYOUT_VERSION;
	j->hdr->incarnation = inc;
	j->hdr->len = 0;
	return 0;
fail:
	{
		int rc = -errno;

		close(j->fd);
		j->fd = -1;
		unlink(j->path);
		return rc;
	}
}

/* Room for need more bytes of records, or abort. */
static void grow(struct shm_journal *j, uint64_t need)
{
	uint64_t want = sizeof(*j->hdr) + j->hdr->len + need, cap = j->cap;
	void *p;

	if (want <= cap)
		return;
	while (cap < want)
		cap *= 2;
	if (ftruncate(j->fd, (off_t)cap) < 0)
		goto fail;
	p = mremap(j->hdr, j->cap, cap, MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		goto fail;
	j->hdr = p;
	j->cap = cap;
	return;
fail:
	/* Changing the region without its undo record would make a crash
	 * inside this section unrecoverable: stop instead.  Readers keep the
	 * last published version; the next writer rolls back what is
	 * journaled, which is everything this section changed so far. */
	fprintf(stderr, "shmrep: cannot grow the journal %s to %llu bytes: %s\n",
		j->path, (unsigned long long)cap, strerror(errno));
	abort();
}

void journal_add(struct shm_journal *j, uint64_t off, const void *p,
		 uint32_t len)
{
	struct shm_jrec *r;
	uint64_t at;

	grow(j, rec_bytes(len));
	at = j->hdr->len;
	r = (struct shm_jrec *)((uint8_t *)(j->hdr + 1) + at);
	r->off = off;
	r->len = len;
	r->pad = 0;
	memcpy(r + 1, p, len);
	/* Release: the record is whole before it counts, and counts before
	 * the change it undoes is made (the caller writes after this). */
	shm_store_release(&j->hdr->len, at + rec_bytes(len));
}

uint64_t journal_len(const struct shm_journal *j)
{
	return j->hdr ? j->hdr->len : 0;
}

void journal_truncate(struct shm_journal *j, uint64_t len)
{
	if (j->hdr)
		shm_store_release(&j->hdr->len, len);
}

void journal_close(struct shm_journal *j, int unlink_it)
{
	if (j->hdr)
		munmap(j->hdr, j->cap);
	if (j->fd >= 0)
		close(j->fd);
	if (unlink_it && j->path[0])
		unlink(j->path);
	memset(j, 0, sizeof(*j));
	j->fd = -1;
}

int journal_rollback(const char *name, uint64_t inc, uint8_t *base,
		     uint64_t size)
{
	char path[128];
	struct stat st;
	const struct shm_jhdr *h;
	const uint8_t *recs;
	uint64_t len, at = 0, n = 0, *offs;
	int fd, rc;

	if (region_path(path, sizeof(path), name, "journal"))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size < sizeof(*h)) {
		close(fd);
		return -EBADMSG;
	}
	h = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (h == MAP_FAILED)
		return -errno;
	rc = -EBADMSG;
	if (h->magic != SHM_JOURNAL_MAGIC || h->layout_version != SHM_LAYOUT_VERSION)
		goto out;
	rc = -ESTALE;
	if (h->incarnation != inc)
		goto out;
	rc = -EBADMSG;
	len = h->len;
	if (len > (uint64_t)st.st_size - sizeof(*h))
		goto out;
	recs = (const uint8_t *)(h + 1);
	/* Records can only be found front to back: note where each starts,
	 * checking all of them before changing anything. */
	offs = malloc((len / sizeof(struct shm_jrec) + 1) * sizeof(*offs));
	if (!offs) {
		rc = -ENOMEM;
		goto out;
	}
	while (at < len) {
		const struct shm_jrec *r = (const struct shm_jrec *)(recs + at);

		if (len - at < sizeof(*r) || rec_bytes(r->len) > len - at ||
		    r->off > size || r->len > size - r->off) {
			free(offs);
			goto out;
		}
		offs[n++] = at;
		at += rec_bytes(r->len);
	}
	/* Newest first: the oldest record of a range holds its bytes as the
	 * section found them, and is applied last. */
	rc = (int)n;
	while (n--) {
		const struct shm_jrec *r = (const struct shm_jrec *)(recs + offs[n]);

		memcpy(base + r->off, r + 1, r->len);
	}
	free(offs);
out:
	munmap((void *)h, (size_t)st.st_size);
	return rc;
}
