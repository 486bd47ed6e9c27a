/*
 * layout.h - every structure that lives in shared memory.
 *
 * Two files per instance NAME, both under /dev/shm:
 *
 *   shmrep.NAME.data   written by the daemon only; readers map it PROT_READ.
 *                      A header page, then an arena of 4 KiB pages that the
 *                      writer-only allocator (alloc.c) carves into blocks:
 *                      snapshot records, HAMT nodes, leaves, values.
 *   shmrep.NAME.ctl    the reader-slot table.  Each reader thread owns one
 *                      64-byte slot and writes only that slot; the writer
 *                      reads all of them to compute grace periods.
 *
 * Addresses are never stored.  Every process maps a region at a different
 * address, so references are 32-bit "refs": a byte offset divided by
 * SHM_UNIT (16).  Ref 0 is null (it points into the header, where no block
 * can live).  32 bits of 16-byte units cap a data region at 64 GiB.
 *
 * Readers never trust anything here: every ref is checked against the region
 * size before it is followed (see read.h), every length against the block
 * that holds it, and every walk is bounded by SHM_HAMT_MAXDEPTH.  The last
 * page of a region is never allocated (SHM_GUARD): a ref that passes one
 * check against size - SHM_GUARD can have any fixed-size header read
 * through it, so a lookup checks each node once.
 *
 * Change any structure in this file and bump SHM_LAYOUT_VERSION: readers
 * refuse a region whose layout version is not theirs.
 */
#ifndef SHM_LAYOUT_H
#define SHM_LAYOUT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define SHM_LAYOUT_VERSION 4u

/* "SHMREPD1" and "SHMREPC1" read as little-endian 64-bit words. */
#define SHM_DATA_MAGIC 0x31445045524d4853ull
#define SHM_CTL_MAGIC 0x31435045524d4853ull

#define SHM_UNIT 16u /* allocation granule and ref unit, bytes */
#define SHM_UNIT_SHIFT 4
#define SHM_PAGE 4096u /* allocator page; also the header size */
#define SHM_LINE 64u /* cache line assumed for slot padding */
#define SHM_GUARD SHM_PAGE /* bytes at the end of a region never allocated */

#define SHM_MAX_REGION ((uint64_t)UINT32_MAX * SHM_UNIT)
#define SHM_MIN_REGION (256u * 1024u)
#define SHM_MAX_DB 1024u

typedef uint32_t shm_ref;

/* Region modes (shm_hdr.mode). */
enum { SHM_MODE_RCU = 1, SHM_MODE_MUTEX = 2 };

/*
 * Region states (shm_hdr.state).  INIT while the daemon fills a new region
 * (nobody can open it yet: it is created under a temporary name), LIVE once
 * published under its real name, SUPERSEDED once a newer region replaced it
 * (readers then reopen the name), BROKEN if the writer found it unusable.
 */
enum {
	SHM_STATE_INIT = 0,
	SHM_STATE_LIVE = 1,
	SHM_STATE_SUPERSEDED = 2,
	SHM_STATE_BROKEN = 3,
};

/* shm_hdr.flags */
#define SHM_F_MEMBARRIER 0x1u /* writer issues membarrier before scans */

/*
 * The data region header: the first page of the data file.
 *
 * Line 0 is written once, before the region is published under its name,
 * and never again.  Line 1 is the publication line: the writer updates it
 * with release stores (see writer.c) and readers read it on every read
 * section (see client/shmrep.c), so nothing else lives on it.
 */
struct shm_hdr {
	/* line 0: identity, immutable once LIVE */
	uint64_t magic;
	uint32_t layout_version;
	uint32_t page_size; /* SHM_PAGE */
	uint64_t region_size; /* bytes, multiple of SHM_PAGE */
	uint64_t hash_seed; /* keyed hash seed, from arc4random_buf */
	uint64_t created_ms; /* unix ms */
	uint64_t incarnation; /* random id of this region */
	uint32_t mode; /* SHM_MODE_* */
	uint32_t ndb; /* databases, 1..SHM_MAX_DB */
	uint32_t flags; /* SHM_F_* */
	uint32_t arena_page; /* first allocator page */

	/* line 1: publication */
	uint64_t version __attribute__((aligned(64)));
	uint64_t current; /* byte offset of the published shm_snap */
	uint32_t state; /* SHM_STATE_* */
	uint32_t writer_pid;
	/* Mutex mode: 1 while a write section changes the region in place
	 * (writer.c); readers wait on it (a futex word).  0 in rcu mode. */
	uint32_t wip;
	uint32_t pad1a;
	uint64_t pad1[4];

	/*
	 * lines 2..17: when the last SHM_PUBRING versions were published,
	 * entry v % SHM_PUBRING for version v.  Informational (how long a
	 * reader has held a superseded version): a reader checks the entry's
	 * version before and after reading its time.
	 */
	struct shm_pubrec {
		uint64_t version;
		uint64_t publish_us;
	} pubring[64];

	/*
	 * lines 18..: the writer's; readers never read them.  A robust,
	 * process-shared mutex held for each write section in mutex mode, so
	 * that a writer that takes over learns (EOWNERDEAD) that its
	 * predecessor died inside one.
	 */
	pthread_mutex_t wlock __attribute__((aligned(64)));

	uint8_t reserved[SHM_PAGE - 128 - 64 * 16 - 64];
};
#define SHM_PUBRING 64u

_Static_assert(sizeof(struct shm_hdr) == SHM_PAGE, "shm_hdr is one page");
_Static_assert(offsetof(struct shm_hdr, incarnation) == 40, "shm_hdr layout");
_Static_assert(offsetof(struct shm_hdr, arena_page) == 60, "shm_hdr layout");
_Static_assert(offsetof(struct shm_hdr, version) == 64, "publication line");
_Static_assert(offsetof(struct shm_hdr, current) == 72, "publication line");
_Static_assert(offsetof(struct shm_hdr, state) == 80, "publication line");
_Static_assert(offsetof(struct shm_hdr, pubring) == 128, "pubring");
_Static_assert(offsetof(struct shm_hdr, wip) == 88, "publication line");
_Static_assert(offsetof(struct shm_hdr, wlock) == 128 + 64 * 16, "wlock");
_Static_assert(sizeof(pthread_mutex_t) <= 64, "wlock fits its line");

/* Replication link state, for readers that bound staleness. */
enum {
	SHM_LINK_NONE = 0, /* standalone: there is no primary */
	SHM_LINK_DOWN = 1,
	SHM_LINK_SYNC = 2, /* full sync in progress */
	SHM_LINK_UP = 3,
};

struct shm_dbroot {
	shm_ref root; /* HAMT root node, 0 = empty database */
	uint32_t pad;
	uint64_t nkeys; /* keys, expired-but-not-yet-deleted included */
	uint64_t nexpires; /* keys with a TTL */
};
_Static_assert(sizeof(struct shm_dbroot) == 24, "shm_dbroot layout");

/*
 * A snapshot record: everything one published version consists of.  Written
 * completely before the release store of its offset into shm_hdr.current,
 * never modified afterwards, retired when the next version is published.
 */
struct shm_snap {
	uint64_t version;
	uint64_t publish_us; /* unix us at publication */
	uint64_t repl_offset; /* replication offset applied, 0 standalone */
	uint64_t link_since_ms; /* unix ms of the last link state change */
	uint32_t link_state; /* SHM_LINK_* */
	uint32_t ndb; /* == shm_hdr.ndb */
	uint64_t used_bytes; /* allocator bytes in use at publication */
	uint64_t reserved[2];
	struct shm_dbroot db[]; /* ndb entries */
};
_Static_assert(sizeof(struct shm_snap) == 64, "shm_snap layout");
_Static_assert(offsetof(struct shm_snap, db) == 64, "shm_snap layout");

/*
 * HAMT.  A node covers 6 bits of the 64-bit key hash per level (64 children,
 * 64-bit bitmaps), most significant bits first, so that the order of a
 * depth-first walk is the numeric order of the hashes: that makes a SCAN
 * cursor a plain hash value.  Levels 0..9 take bits 63..4; level 10 takes
 * the last 4 bits (shifted left by two to keep the order); a node at level
 * 11 is a collision node: a list of leaves whose 64-bit hashes are all equal.
 *
 * Entries: popcount(bitmap) refs in bit order; leafmap (a subset of bitmap)
 * says which of them are leaves, the others being child nodes.  So a lookup
 * step is one popcount and one load, whatever the entry's kind.  As in
 * CHAMP, a node other than a root never holds a single leaf and nothing else
 * (deletion folds it into its parent), so the tree for a set of keys is
 * unique.  64 rather than 32 children: one level fewer for a million keys
 * (docs/architecture.md, Decisions).
 *
 * birth is writer-only: the version of the batch that allocated the block.
 * A block born in the batch being built is not yet visible to any reader and
 * is mutated in place; an older one is copied (see hamt.c).
 */
#define SHM_HAMT_BITS 6
#define SHM_HAMT_FANOUT 64
#define SHM_BIRTH_OFF 8 /* nodes, collision nodes and leaves alike */
#define SHM_HAMT_MAXDEPTH 11 /* level of collision nodes */

struct shm_node {
	uint64_t bitmap;
	uint64_t birth;
	uint64_t leafmap;
	shm_ref ent[];
};
_Static_assert(sizeof(struct shm_node) == 24, "shm_node layout");
_Static_assert(offsetof(struct shm_node, birth) == SHM_BIRTH_OFF, "birth");
_Static_assert(offsetof(struct shm_node, leafmap) == 16, "shm_node layout");

struct shm_cnode {
	uint32_t count; /* leaves, >= 2 */
	uint32_t pad;
	uint64_t birth;
	shm_ref ent[];
};
_Static_assert(sizeof(struct shm_cnode) == 16, "shm_cnode layout");
_Static_assert(offsetof(struct shm_cnode, birth) == SHM_BIRTH_OFF, "birth");

/* Key types, as Redis's TYPE names them; SHM_T_ELEM marks the leaves that
 * hold the fields, members and elements inside a large collection. */
enum {
	SHM_T_STRING = 1,
	SHM_T_LIST = 2,
	SHM_T_SET = 3,
	SHM_T_ZSET = 4,
	SHM_T_HASH = 5,
	SHM_T_MAX = SHM_T_HASH,
	SHM_T_ELEM = 15,
};

/*
 * Value encodings (shm_leaf.enc).  The vlen bytes after the key are:
 *
 *   INLINE  a string's bytes (strings, and the elements of collections)
 *   PACK    a small collection, whole: u32 count, then count entries, each
 *           string a u32 length and its bytes, unaligned:
 *             hash    field, value          (in insertion order)
 *             set     member                (in insertion order)
 *             zset    member, 8-byte score  (in (score, member) order)
 *             list    element               (in list order)
 *           Copied whole on change; used while a collection has at most
 *           SHM_PACK_MAX_ENTRIES entries of at most SHM_PACK_MAX_BYTES each
 *           (Redis's listpack limits), then converted for good.
 *   HAMT    a large hash or set: struct shm_vcoll, root = a trie (hamt.c)
 *           of SHM_T_ELEM leaves keyed by field or member (value: the
 *           hash value; nothing for sets)
 *   ZTREE   a large sorted set: root = a trie of member leaves whose
 *           8-byte value is the score; order = a B+tree (btree.c) of the
 *           same leaves by (score, member)
 *   LTREE   a large list: root = a B+tree of element leaves by position
 */
enum {
	SHM_E_INLINE = 1,
	SHM_E_PACK = 2,
	SHM_E_HAMT = 3,
	SHM_E_ZTREE = 4,
	SHM_E_LTREE = 5,
	SHM_E_MAX = SHM_E_LTREE,
};

#define SHM_PACK_MAX_ENTRIES 128
#define SHM_PACK_MAX_BYTES 64

/* The inline value of a collection encoded HAMT, ZTREE or LTREE. */
struct shm_vcoll {
	shm_ref root;
	shm_ref order; /* ZTREE only */
	uint64_t count; /* fields, members or elements */
};
_Static_assert(sizeof(struct shm_vcoll) == 16, "shm_vcoll layout");

/*
 * A leaf: one key (or one element of a large collection, SHM_T_ELEM).
 * The key's bytes follow the header, then vlen bytes of value as enc says.
 * A 16-byte key with a 16-byte string value fills one 64-byte block, which
 * the allocator aligns to a cache line.
 */
struct shm_leaf {
	int64_t expire_ms; /* absolute unix ms; 0 = no TTL */
	uint64_t birth;
	uint32_t klen;
	uint8_t type; /* SHM_T_* */
	uint8_t enc; /* SHM_E_* */
	uint16_t flags;
	uint32_t vlen;
	uint32_t pad;
	uint8_t data[];
};
_Static_assert(sizeof(struct shm_leaf) == 32, "shm_leaf layout");
_Static_assert(offsetof(struct shm_leaf, birth) == SHM_BIRTH_OFF, "birth");
_Static_assert(offsetof(struct shm_leaf, klen) == 16, "shm_leaf layout");
_Static_assert(offsetof(struct shm_leaf, vlen) == 24, "shm_leaf layout");

/* Largest key or value, as Redis's proto-max-bulk-len default. */
#define SHM_MAX_KEY (512u * 1024 * 1024)
#define SHM_MAX_VAL (512u * 1024 * 1024)

/*
 * The ctl region: a header page, then the slot table.
 *
 * Slot i is owned by whoever holds an OFD write lock on byte
 * SHM_SLOT_LOCK_BASE + i of the ctl file; the kernel drops the lock when the
 * owner's open file description goes away, so a dead reader's slot can be
 * recognised without trusting its pid.  Byte SHM_WRITER_LOCK is the writer's
 * election lock.
 */
#define SHM_WRITER_LOCK 0
#define SHM_SLOT_LOCK_BASE 1

struct shm_ctl {
	uint64_t magic;
	uint32_t layout_version;
	uint32_t nslots;
	uint64_t created_ms;
	/*
	 * Highest slot index claimed + 1, raised by readers with an atomic max
	 * so that the writer scans only the used prefix.  Reader-writable, so
	 * the writer clamps it to nslots before use.
	 */
	uint32_t slot_hw __attribute__((aligned(64)));
	uint32_t pad0;
	uint8_t reserved[SHM_PAGE - 72];
};
_Static_assert(sizeof(struct shm_ctl) == SHM_PAGE, "shm_ctl is one page");
_Static_assert(offsetof(struct shm_ctl, slot_hw) == 64, "shm_ctl layout");

enum { SHM_SLOT_FREE = 0, SHM_SLOT_CLAIMED = 1 };

struct shm_slot {
	uint64_t ver; /* version pinned by the owner's read section, 0 idle */
	uint32_t state; /* SHM_SLOT_*: a hint; the OFD lock is the truth */
	uint32_t pid; /* owner, informational */
	uint32_t tid; /* owner thread, informational */
	uint32_t pad0;
	uint64_t claimed_ms; /* when the owner claimed the slot */
	uint64_t pad[4];
};
_Static_assert(sizeof(struct shm_slot) == SHM_LINE, "one slot per line");
_Static_assert(offsetof(struct shm_slot, ver) == 0, "shm_slot layout");

#define SHM_DEFAULT_SLOTS 1024u
#define SHM_MAX_SLOTS 65536u

#endif
