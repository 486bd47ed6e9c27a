/*
 * util.c - small pieces every benchmark program uses: option parsing,
 * CPU pinning, medians and number formatting.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

size_t bench_parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (end == s)
		bench_die("not a number: %s", s);
	if (*end == 'k' || *end == 'K')
		v *= 1000, end++;
	else if (*end == 'm' || *end == 'M')
		v *= 1000000, end++;
	else if (*end == 'g' || *end == 'G')
		v <<= 30, end++;
	if (*end)
		bench_die("not a number: %s", s);
	return (size_t)v;
}

int bench_parse_sizes(const char *list, size_t *out, int max)
{
	char *copy = strdup(list), *save = NULL;
	int n = 0;

	if (!copy)
		bench_die("out of memory");
	for (char *t = strtok_r(copy, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		if (n == max)
			bench_die("at most %d sizes", max);
		out[n++] = bench_parse_size(t);
	}
	free(copy);
	return n;
}

int bench_pin(int want)
{
	cpu_set_t set;
	int cpu = want;

	if (cpu < 0) {
		if (sched_getaffinity(0, sizeof(set), &set))
			bench_die("sched_getaffinity: %s", strerror(errno));
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &set))
				cpu = c;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		bench_die("sched_setaffinity(cpu %d): %s", cpu,
			  strerror(errno));
	return cpu;
}

int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct bench_cell bench_summarize(double *v, int n)
{
	struct bench_cell c = { .have = true };

	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	c.min = v[0];
	c.max = v[n - 1];
	c.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return c;
}

void bench_fmt_count(char *buf, size_t cap, size_t n)
{
	if (n >= 1000000 && n % 1000000 == 0)
		snprintf(buf, cap, "%zuM", n / 1000000);
	else if (n >= 1000 && n % 1000 == 0)
		snprintf(buf, cap, "%zuk", n / 1000);
	else
		snprintf(buf, cap, "%zu", n);
}
