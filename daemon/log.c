/*
 * log.c - the daemon's log.  One line per call, written with a single
 * write(2) so lines from a crashing daemon are never interleaved halves.
 * The file is opened for each line, as redis-server does, so that log
 * rotation needs no signal.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

static char log_file[4096];
static int log_min = LL_NOTICE;

void log_setup(const char *logfile, int level)
{
	snprintf(log_file, sizeof(log_file), "%s", logfile ? logfile : "");
	log_min = level;
}

int log_level(void)
{
	return log_min;
}

void srv_log(int level, const char *fmt, ...)
{
	static const char marks[] = ".-*#";
	char line[2048];
	struct timeval tv;
	struct tm tm;
	va_list ap;
	int n, fd;

	if (level < log_min || level > LL_WARNING)
		return;
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%d:M ", (int)getpid());
	n += (int)strftime(line + n, sizeof(line) - (size_t)n, "%d %b %Y %H:%M:%S", &tm);
	n += snprintf(line + n, sizeof(line) - (size_t)n, ".%03d %c ",
		      (int)(tv.tv_usec / 1000), marks[level]);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (!log_file[0]) {
		(void)!write(STDOUT_FILENO, line, (size_t)n);
		return;
	}
	fd = open(log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	(void)!write(fd, line, (size_t)n);
	close(fd);
}
