/*
 * region.c - naming, header checks and OFD locks.
 *
 * The checks here are the first line of distrust: a reader calls
 * region_check_hdr() on a freshly mapped file before it follows any offset
 * in it, and every later access still goes through read.h's bounds checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "region.h"
#include "shmrep.h"

bool region_name_ok(const char *name)
{
	size_t n = 0;

	if (!name || !*name || name[0] == '.')
		return false;
	for (; name[n]; n++) {
		char c = name[n];

		if (n >= SHM_NAME_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

int region_path(char *buf, size_t cap, const char *name, const char *suffix)
{
	int n = snprintf(buf, cap, SHM_DIR "/shmrep.%s.%s", name, suffix);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int region_check_hdr(const struct shm_hdr *h, uint64_t file_size)
{
	if (file_size < sizeof(*h) || h->magic != SHM_DATA_MAGIC)
		return SHMREP_EBADMAGIC;
	if (h->layout_version != SHM_LAYOUT_VERSION)
		return SHMREP_EVERSION;
	if (h->page_size != SHM_PAGE || h->region_size != file_size ||
	    h->region_size % SHM_PAGE || h->region_size > SHM_MAX_REGION ||
	    h->region_size < SHM_MIN_REGION || h->ndb == 0 ||
	    h->ndb > SHM_MAX_DB || h->arena_page == 0 ||
	    (uint64_t)h->arena_page * SHM_PAGE >= h->region_size ||
	    (h->mode != SHM_MODE_RCU && h->mode != SHM_MODE_MUTEX))
		return SHMREP_ECORRUPT;
	return 0;
}

uint64_t region_ctl_size(uint32_t nslots)
{
	return SHM_PAGE + (uint64_t)nslots * sizeof(struct shm_slot);
}

int region_check_ctl(const struct shm_ctl *c, uint64_t file_size)
{
	if (file_size < sizeof(*c) || c->magic != SHM_CTL_MAGIC)
		return SHMREP_EBADMAGIC;
	if (c->layout_version != SHM_LAYOUT_VERSION)
		return SHMREP_EVERSION;
	if (c->nslots == 0 || c->nslots > SHM_MAX_SLOTS ||
	    region_ctl_size(c->nslots) != file_size)
		return SHMREP_ECORRUPT;
	return 0;
}

static int ofd_lock(int fd, short type, off_t off, int cmd)
{
	struct flock fl = {
		.l_type = type,
		.l_whence = SEEK_SET,
		.l_start = off,
		.l_len = 1,
	};

	if (fcntl(fd, cmd, &fl) < 0)
		return -errno;
	if (cmd == F_OFD_GETLK)
		return fl.l_type != F_UNLCK;
	return 0;
}

int region_trylock(int fd, off_t off)
{
	int rc = ofd_lock(fd, F_WRLCK, off, F_OFD_SETLK);

	return rc == -EACCES ? -EAGAIN : rc;
}

void region_unlock(int fd, off_t off)
{
	(void)ofd_lock(fd, F_UNLCK, off, F_OFD_SETLK);
}

int region_locked(int fd, off_t off)
{
	/* GETLK reports a lock that would conflict with ours; a read lock
	 * conflicts with any write lock, held by any other description. */
	return ofd_lock(fd, F_RDLCK, off, F_OFD_GETLK);
}

void *region_map_apart(int fd, size_t size, int prot)
{
	char path[64];
	void *p;
	int mfd, e;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	mfd = open(path, ((prot & PROT_WRITE) ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (mfd < 0)
		return MAP_FAILED;
	p = mmap(NULL, size, prot, MAP_SHARED, mfd, 0);
	e = errno;
	close(mfd);
	errno = e;
	return p;
}

int64_t region_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t region_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}
