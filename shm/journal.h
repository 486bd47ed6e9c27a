/*
 * journal.h - the undo journal of mutex mode.
 *
 * In mutex mode the writer changes published blocks in place, inside a
 * write section from which readers are kept out (writer.c).  Before each
 * in-place change it appends the bytes it is about to overwrite to this
 * journal, a file of its own in /dev/shm (shmrep.NAME.journal), so that if
 * it dies inside a section the next writer can put back every byte and find
 * the region exactly as the last published version left it.  A section
 * that ends (publishes) empties the journal.
 *
 * The file: a header (struct shm_jhdr), then records, each a struct
 * shm_jrec and len bytes, padded to 8.  hdr.len counts the bytes of
 * complete records; it is stored (release) after a record is written and
 * before the change it undoes, so a record the reader of the journal sees
 * is always whole.
 */
#ifndef SHM_JOURNAL_H
#define SHM_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#define SHM_JOURNAL_MAGIC 0x314a5045524d4853ull /* "SHMREPJ1" */

struct shm_jhdr {
	uint64_t magic;
	uint32_t layout_version;
	uint32_t pad;
	uint64_t incarnation; /* of the data region journaled */
	uint64_t len; /* bytes of complete records after the header */
	uint8_t reserved[32];
};
_Static_assert(sizeof(struct shm_jhdr) == 64, "shm_jhdr layout");

struct shm_jrec {
	uint64_t off; /* byte offset in the data region */
	uint32_t len; /* bytes saved */
	uint32_t pad;
};
_Static_assert(sizeof(struct shm_jrec) == 16, "shm_jrec layout");

struct shm_journal {
	int fd;
	struct shm_jhdr *hdr; /* mapping of the whole file */
	uint64_t cap; /* bytes mapped */
	char path[128];
};

/* Create (or empty) the journal of instance name for the region with
 * incarnation inc.  0 or -errno. */
int journal_create(struct shm_journal *j, const char *name, uint64_t inc);

/* Record that len bytes at region offset off, whose current contents are
 * at p, are about to change.  Grows the file as needed; if tmpfs is full
 * it cannot journal, and the writer stops (abort) rather than change the
 * region unjournaled. */
void journal_add(struct shm_journal *j, uint64_t off, const void *p,
		 uint32_t len);

/* Bytes of records so far, and back to that many (a command undone). */
uint64_t journal_len(const struct shm_journal *j);
void journal_truncate(struct shm_journal *j, uint64_t len);

/* Close; remove the file too if unlink_it. */
void journal_close(struct shm_journal *j, int unlink_it);

/*
 * Undo a dead writer's open section: apply the journal of instance name,
 * newest record first, to the region base[0..size) if it belongs to
 * incarnation inc.  Returns the records applied (0 if none), or -errno
 * (-ENOENT no journal, -ESTALE another region's, -EBADMSG malformed).
 */
int journal_rollback(const char *name, uint64_t inc, uint8_t *base,
		     uint64_t size);

#endif
