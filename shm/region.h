/*
 * region.h - names, files and header checks shared by the writer and readers.
 */
#ifndef SHM_REGION_H
#define SHM_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "layout.h"

#define SHM_DIR "/dev/shm"
#define SHM_NAME_MAX 64
#define SHM_NAME_BUF (SHM_NAME_MAX + 1)

/* True if name is 1..SHM_NAME_MAX of [A-Za-z0-9._-], not starting with '.'. */
bool region_name_ok(const char *name);

/* "/dev/shm/shmrep.NAME.SUFFIX" into buf; -ENAMETOOLONG or 0. */
int region_path(char *buf, size_t cap, const char *name, const char *suffix);

/* Check a data header against the size of its file: 0 or SHMREP_E*. */
int region_check_hdr(const struct shm_hdr *h, uint64_t file_size);

/* Same for a ctl header. */
int region_check_ctl(const struct shm_ctl *c, uint64_t file_size);

/* Bytes of a ctl file with nslots slots. */
uint64_t region_ctl_size(uint32_t nslots);

/* Bytes of a snapshot record for ndb databases. */
static inline uint64_t region_snap_size(uint32_t ndb)
{
	return sizeof(struct shm_snap) + (uint64_t)ndb * sizeof(struct shm_dbroot);
}

/*
 * OFD byte locks on the ctl file.  Write lock on byte off without waiting:
 * 0, or -EAGAIN if another open file description holds it.
 */
int region_trylock(int fd, off_t off);
void region_unlock(int fd, off_t off);
/* 1 if some open file description holds a lock on byte off, 0 if none. */
int region_locked(int fd, off_t off);

/*
 * Map size bytes of the file open on fd, shared, through an open file
 * description of its own.  A mapping keeps the description it was made
 * through alive, and a forked child inherits the mapping: mapping through
 * the descriptor that holds OFD locks would let the locks outlive their
 * owner.  Returns the address, or MAP_FAILED with errno set.
 */
void *region_map_apart(int fd, size_t size, int prot);

/* Unix time in milliseconds and microseconds (CLOCK_REALTIME). */
int64_t region_now_ms(void);
uint64_t region_now_us(void);

#endif
