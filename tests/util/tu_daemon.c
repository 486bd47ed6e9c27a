/*
 * tu_daemon.c - see tu_daemon.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "tu_daemon.h"

#define MAX_FILES 64

static char files[MAX_FILES][128];
static int nfiles;
static pid_t file_owner;

static void remove_files(void)
{
	if (getpid() != file_owner)
		return;
	for (int i = 0; i < nfiles; i++)
		unlink(files[i]);
}

static void track(const char *path)
{
	if (!nfiles) {
		file_owner = getpid();
		tu_on_cleanup(remove_files);
	}
	if (nfiles < MAX_FILES)
		snprintf(files[nfiles++], sizeof(files[0]), "%s", path);
}

const char *tu_shmrepd(void)
{
	const char *p = getenv("SHMREPD");

	return p ? p : "./build/shmrepd";
}

const char *tu_cli(void)
{
	const char *p = getenv("SHMREP_CLI");

	return p ? p : "./build/shmrep";
}

int tu_connect(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { 10, 0 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Length of the complete reply at buf[0..len), 0 if incomplete, -1 if
 * malformed.
 */
static long reply_len(const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len);
	long long n;
	size_t head;

	if (!nl)
		return 0;
	head = (size_t)(nl - buf) + 1;
	switch (buf[0]) {
	case '+':
	case '-':
	case ':':
		return (long)head;
	case '$':
		n = atoll(buf + 1);
		if (n < 0)
			return (long)head;
		return len >= head + (size_t)n + 2 ? (long)(head + (size_t)n + 2) : 0;
	case '*':
		n = atoll(buf + 1);
		if (n < 0)
			return (long)head;
		for (long long i = 0; i < n; i++) {
			long sub = reply_len(buf + head, len - head);

			if (sub <= 0)
				return sub;
			head += (size_t)sub;
		}
		return (long)head;
	default:
		return -1;
	}
}

long tu_read_reply(int fd, char *buf, size_t cap)
{
	size_t len = 0;

	for (;;) {
		long n = len ? reply_len(buf, len) : 0;
		ssize_t r;

		if (n < 0)
			return -1;
		if (n > 0) {
			/* Pipelined replies: keep what follows for later? The
			 * tests read replies one at a time, in order, and never
			 * get ahead: a reply is read byte-exactly below. */
			buf[n] = '\0';
			return n;
		}
		if (len + 1 >= cap)
			return -1;
		/* Read one byte at a time once a reply has started, so no
		 * byte of the next reply is consumed. */
		r = read(fd, buf + len, 1);
		if (r <= 0)
			return -1;
		len += (size_t)r;
	}
}

long tu_command(int fd, int argc, const char *const *argv, const size_t *lens,
		char *buf, size_t cap)
{
	size_t total = 32;
	char *req, *p;
	long rc;

	for (int i = 0; i < argc; i++)
		total += (lens ? lens[i] : strlen(argv[i])) + 32;
	req = malloc(total);
	if (!req)
		return -1;
	p = req + sprintf(req, "*%d\r\n", argc);
	for (int i = 0; i < argc; i++) {
		size_t l = lens ? lens[i] : strlen(argv[i]);

		p += sprintf(p, "$%zu\r\n", l);
		memcpy(p, argv[i], l);
		p += l;
		*p++ = '\r';
		*p++ = '\n';
	}
	rc = write_all(fd, req, (size_t)(p - req));
	free(req);
	if (rc)
		return -1;
	return tu_read_reply(fd, buf, cap);
}

long tu_cmd(int fd, char *buf, size_t cap, ...)
{
	const char *argv[64];
	int argc = 0;
	va_list ap;

	va_start(ap, cap);
	while (argc < 64 && (argv[argc] = va_arg(ap, const char *)))
		argc++;
	va_end(ap);
	return tu_command(fd, argc, argv, NULL, buf, cap);
}

static int wait_ping(const char *sock, pid_t pid, int timeout_ms)
{
	uint64_t deadline = tu_now_ms() + (uint64_t)timeout_ms;
	char buf[64];

	while (tu_now_ms() < deadline) {
		int fd = tu_connect(sock), st;

		if (fd >= 0) {
			long n = tu_cmd(fd, buf, sizeof(buf), "PING", NULL);

			close(fd);
			if (n > 0 && (!strcmp(buf, "+PONG\r\n") ||
				      !strncmp(buf, "-NOAUTH", 7)))
				return 0;
		}
		if (waitpid(pid, &st, WNOHANG) == pid)
			return -1;
		tu_sleep_ms(10);
	}
	return -1;
}

static pid_t spawn(const char *const *argv, const char *log)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		/* If the test dies (a ctest timeout), so does its server. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static int daemon_exec(struct tu_daemon *d, const char *const *extra)
{
	const char *argv[64] = {
		tu_shmrepd(), "--name", d->name, "--unixsocket", d->sock,
		"--size", "64mb", "--port", "0", "--loglevel", "verbose",
	};
	int argc = 11;

	for (; extra && *extra && argc < 62; extra++)
		argv[argc++] = *extra;
	argv[argc] = NULL;
	d->pid = spawn(argv, d->log);
	if (d->pid < 0 || wait_ping(d->sock, d->pid, 5000)) {
		fprintf(stderr, "shmrepd %s did not start; log %s:\n", d->name, d->log);
		{
			char cmd[256];

			snprintf(cmd, sizeof(cmd), "tail -20 %s >&2", d->log);
			(void)!system(cmd);
		}
		if (d->pid > 0)
			tu_daemon_kill(d);
		return -1;
	}
	return 0;
}

int tu_daemon_start(struct tu_daemon *d, const char *tag,
		    const char *const *extra)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", tu_name(tag));
	snprintf(d->sock, sizeof(d->sock), "/tmp/%s.sock", d->name);
	snprintf(d->log, sizeof(d->log), "/tmp/%s.log", d->name);
	track(d->sock);
	track(d->log);
	return daemon_exec(d, extra);
}

int tu_daemon_restart(struct tu_daemon *d, const char *const *extra)
{
	return daemon_exec(d, extra);
}

int tu_daemon_stop(struct tu_daemon *d)
{
	int rc;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGTERM);
	rc = tu_wait(d->pid, 5000);
	d->pid = 0;
	return rc;
}

void tu_daemon_kill(struct tu_daemon *d)
{
	if (d->pid <= 0)
		return;
	kill(d->pid, SIGKILL);
	tu_wait(d->pid, 5000);
	d->pid = 0;
}

int tu_redis_start(struct tu_daemon *d, const char *tag)
{
	const char *argv[] = {
		"redis-server", "--port", "0", "--unixsocket", d->sock,
		"--save", "", "--appendonly", "no", "--dir", "/tmp",
		"--dbfilename", d->name,
		/* DEBUG DIGEST, to compare whole datasets with shmrepd's. */
		"--enable-debug-command", "yes", NULL,
	};

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s.rdb", tu_name(tag));
	snprintf(d->sock, sizeof(d->sock), "/tmp/%s.redis.sock", d->name);
	snprintf(d->log, sizeof(d->log), "/tmp/%s.redis.log", d->name);
	track(d->sock);
	track(d->log);
	{
		char rdb[128];

		snprintf(rdb, sizeof(rdb), "/tmp/%s", d->name);
		track(rdb);
	}
	d->pid = spawn(argv, d->log);
	if (d->pid < 0 || wait_ping(d->sock, d->pid, 5000)) {
		if (d->pid > 0)
			tu_daemon_kill(d);
		return -1;
	}
	return 0;
}

int tu_run(const char *const *argv, char *out, size_t cap, int timeout_ms)
{
	int pfd[2], rc;
	size_t len = 0;
	pid_t pid;
	uint64_t deadline = tu_now_ms() + (uint64_t)timeout_ms;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		uint64_t now = tu_now_ms();
		ssize_t n;
		char sink[4096];

		if (now >= deadline)
			break;
		if (poll(&p, 1, (int)(deadline - now)) <= 0)
			break;
		if (len + 1 < cap)
			n = read(pfd[0], out + len, cap - 1 - len);
		else
			n = read(pfd[0], sink, sizeof(sink));
		if (n <= 0)
			break;
		if (len + 1 < cap)
			len += (size_t)n;
	}
	close(pfd[0]);
	if (cap)
		out[len] = '\0';
	rc = tu_wait(pid, (int)(deadline > tu_now_ms() ? deadline - tu_now_ms() : 1));
	return rc;
}
