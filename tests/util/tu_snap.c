/*
 * tu_snap.c - test helpers that read through libshmrep (a file of their
 * own: the test_th_* programs link testutil without the library).
 */
#include <stdlib.h>
#include <string.h>

#include "shmrep.h"
#include "testutil.h"

int tu_snap_u64(struct shmrep_snapshot *s, int db, const char *key,
		uint64_t *out)
{
	shmrep_view v;
	char tmp[32];
	int rc = shmrep_snapshot_get(s, db, key, strlen(key), &v);

	if (rc)
		return rc;
	if (v.len == 0 || v.len >= sizeof(tmp))
		return SHMREP_ERANGE;
	memcpy(tmp, v.ptr, v.len);
	tmp[v.len] = '\0';
	*out = strtoull(tmp, NULL, 10);
	return 0;
}
