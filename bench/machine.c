/*
 * machine.c - what the numbers were measured on, printed above them.
 *
 * Read from /proc and /sys rather than by running lscpu, so that the
 * benchmark has no dependency on util-linux and a missing file only loses
 * one line.
 */
#include <lmdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "bench.h"
#include "shmrep.h"

#define CLOCKSOURCE \
	"/sys/devices/system/clocksource/clocksource0/current_clocksource"

#ifndef BENCH_BUILD_TYPE
#define BENCH_BUILD_TYPE "unknown"
#endif

/* First line of file path, without its newline, into buf; false if none. */
static bool read_line(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, (int)cap, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

/* Value of the first "key<spaces>: value" line of a /proc file. */
static bool proc_field(const char *path, const char *key, char *buf,
		       size_t cap)
{
	char line[4096];
	size_t klen = strlen(key);
	FILE *f = fopen(path, "r");
	bool ok = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *p;

		if (strncmp(line, key, klen) || !(p = strchr(line, ':')))
			continue;
		p += 1 + strspn(p + 1, " \t");
		p[strcspn(p, "\n")] = '\0';
		snprintf(buf, cap, "%s", p);
		ok = true;
		break;
	}
	fclose(f);
	return ok;
}

/* Attribute attr of cache index i of cpu, from sysfs, or "?". */
static void cache_attr(int cpu, int i, const char *attr, char *buf,
		       size_t cap)
{
	char path[128];

	snprintf(path, sizeof(path),
		 "/sys/devices/system/cpu/cpu%d/cache/index%d/%s", cpu, i,
		 attr);
	if (!read_line(path, buf, cap))
		snprintf(buf, cap, "?");
}

static void print_caches(int cpu)
{
	printf("caches     :");
	for (int i = 0; i < 8; i++) {
		char level[16], type[32], size[32], shared[64];

		cache_attr(cpu, i, "level", level, sizeof(level));
		if (!strcmp(level, "?"))
			break;
		cache_attr(cpu, i, "type", type, sizeof(type));
		cache_attr(cpu, i, "size", size, sizeof(size));
		cache_attr(cpu, i, "shared_cpu_list", shared, sizeof(shared));
		printf(" L%s%s %s (cpus %s);", level,
		       !strcmp(type, "Data") ? "d" :
		       !strcmp(type, "Instruction") ? "i" : "",
		       size, shared);
	}
	printf("\n");
}

void machine_print(int cpu)
{
	char buf[512], flags[4096];
	struct utsname u;
	int major, minor, patch;

	if (!proc_field("/proc/cpuinfo", "model name", buf, sizeof(buf)))
		strcpy(buf, "?");
	printf("cpu        : %s, %ld online CPUs", buf,
	       sysconf(_SC_NPROCESSORS_ONLN));
	if (proc_field("/proc/cpuinfo", "cpu MHz", buf, sizeof(buf)))
		printf(", %s MHz", buf);
	if (proc_field("/proc/cpuinfo", "flags", flags, sizeof(flags)) &&
	    strstr(flags, " hypervisor"))
		printf(", virtual machine (hypervisor flag set)");
	printf("\n");
	print_caches(cpu);
	if (proc_field("/proc/meminfo", "MemTotal", buf, sizeof(buf)))
		printf("memory     : %s\n", buf);
	if (uname(&u) == 0)
		printf("kernel     : %s %s %s\n", u.sysname, u.release,
		       u.machine);
	if (read_line("/sys/kernel/mm/transparent_hugepage/enabled", buf,
		      sizeof(buf)) &&
	    read_line("/sys/kernel/mm/transparent_hugepage/shmem_enabled",
		      flags, sizeof(flags)))
		printf("huge pages : THP anon %s; shmem (/dev/shm) %s\n", buf,
		       flags);
	if (read_line(CLOCKSOURCE, buf, sizeof(buf)))
		printf("clocksource: %s\n", buf);
	printf("compiler   : %s\n",
#if defined(__clang__)
	       "clang " __clang_version__
#elif defined(__GNUC__)
	       "gcc " __VERSION__
#else
	       "?"
#endif
	);
	printf("build      : %s%s\n", BENCH_BUILD_TYPE,
#ifdef NDEBUG
	       ""
#else
	       " (assertions on: not a Release build, numbers are not representative)"
#endif
	);
	mdb_version(&major, &minor, &patch);
	printf("libraries  : libshmrep %s, LMDB %d.%d.%d, xxHash %u\n",
	       shmrep_version_string(), major, minor, patch,
	       XXH_versionNumber());
	printf("pinned to  : cpu %d\n", cpu);
}
