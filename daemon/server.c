/*
 * server.c - shmrepd's event loop: listeners, clients, batching, cron.
 *
 * One thread, one epoll set.  Each readable client is read (up to 64 KiB,
 * or the rest of a large bulk) and every complete command in its buffer is
 * dispatched.  Commands that change data run as writer commands on the
 * open batch (shm/writer.h); the batch is published
 *   - at the end of a loop iteration, once all ready input is consumed
 *     (the input went quiet),
 *   - or after batch-max-commands write commands,
 *   - or batch-max-usec after its first write,
 * whichever comes first.  A reply produced while the batch holds
 * unpublished changes is held until that batch is published: whoever reads
 * a reply, and then reads the region through libshmrep, sees at least what
 * the reply saw.
 *
 * Signals arrive through a signalfd: SIGTERM/SIGINT stop the loop (the open
 * batch is published, the region stays readable), SIGHUP reloads the
 * configuration.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <bsd/unistd.h>

#include "db.h"
#include "log.h"
#include "notify.h"
#include "server.h"
#include "writer.h"

struct server srv;

#define READ_CHUNK (64 * 1024)
#define MAX_EVENTS 128
#define OOM_MSG "OOM command not allowed when used memory > 'maxmemory'."

/* epoll data for listeners and the signalfd: small tags below any pointer. */
enum { TAG_UNIX = 1, TAG_SIGNAL = 2, TAG_TCP = 16 };

int64_t server_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t server_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t mono_ms(void)
{
	return server_now_us() / 1000;
}

/* ---------------------------------------------------------------- clients */

static void client_free(struct client *c)
{
	epoll_ctl(srv.epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	cds_list_del(&c->node);
	if (!cds_list_empty(&c->pending))
		cds_list_del(&c->pending);
	srv.nclients--;
	multi_client_free(c);
	resp_parser_free(&c->parser);
	resp_out_free(&c->out);
	free(c->qbuf);
	free(c);
}

static void client_arm(struct client *c, bool want_write)
{
	struct epoll_event ev = {
		.events = EPOLLIN | (want_write ? EPOLLOUT : 0u),
		.data.ptr = c,
	};

	if (c->want_write == want_write)
		return;
	c->want_write = want_write;
	epoll_ctl(srv.epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Write what c may send now.  Returns false if c was freed. */
static bool client_flush(struct client *c)
{
	while (!c->waiting_publish && c->sent < c->out.len) {
		ssize_t n = write(c->fd, c->out.buf + c->sent, c->out.len - c->sent);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				client_arm(c, true);
				return true;
			}
			client_free(c);
			return false;
		}
		c->sent += (size_t)n;
		srv.stat_net_out += (uint64_t)n;
	}
	if (c->sent == c->out.len) {
		c->sent = 0;
		c->out.len = 0;
		if (c->out.cap > 1024 * 1024)
			resp_out_free(&c->out);
		client_arm(c, false);
		if (c->close_after_reply) {
			client_free(c);
			return false;
		}
	}
	return true;
}

static void client_new(int fd, bool unix_sock, const char *addr)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct client *c;

	if (srv.nclients >= srv.cfg->maxclients) {
		static const char msg[] = "-ERR max number of clients reached\r\n";

		(void)!write(fd, msg, sizeof(msg) - 1);
		close(fd);
		srv.stat_rejected_conns++;
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->id = ++srv.next_client_id;
	c->fd = fd;
	c->unix_sock = unix_sock;
	snprintf(c->addr, sizeof(c->addr), "%s", addr);
	resp_parser_init(&c->parser);
	c->parser.max_bulk = srv.cfg->proto_max_bulk_len;
	c->authenticated = srv.cfg->requirepass == NULL;
	c->parser.authenticated = c->authenticated;
	c->ctime_ms = c->last_ms = mono_ms();
	CDS_INIT_LIST_HEAD(&c->pending);
	ev.data.ptr = c;
	if (epoll_ctl(srv.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		resp_parser_free(&c->parser);
		free(c);
		close(fd);
		return;
	}
	cds_list_add_tail(&c->node, &srv.clients);
	srv.nclients++;
	srv.stat_conns++;
}

static void accept_on(int lfd, bool unix_sock)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char addr[64] = "";
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		if (unix_sock) {
			snprintf(addr, sizeof(addr), "%s", srv.cfg->unixsocket);
		} else {
			char ip[INET6_ADDRSTRLEN] = "?";
			int port = 0, one = 1;

			if (ss.ss_family == AF_INET) {
				struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

				inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
				port = ntohs(s4->sin_port);
			} else if (ss.ss_family == AF_INET6) {
				struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

				inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
				port = ntohs(s6->sin6_port);
			}
			snprintf(addr, sizeof(addr), "%s:%d", ip, port);
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		}
		client_new(fd, unix_sock, addr);
	}
}

/* ---------------------------------------------------------------- batching */

static struct cds_list_head pending_write;

static void queue_write(struct client *c)
{
	if (cds_list_empty(&c->pending))
		cds_list_add_tail(&c->pending, &pending_write);
}

/* Publish the open batch and release the replies that waited for it. */
static void publish_and_release(void)
{
	struct client *c, *tmp;

	if (shm_wr_publish(srv.w) < 0)
		srv_log(LL_WARNING, "publish failed: region full");
	srv.batch_cmds = 0;
	srv.batch_start_us = 0;
	cds_list_for_each_entry_safe(c, tmp, &srv.unpublished, pending) {
		cds_list_del_init(&c->pending);
		c->waiting_publish = false;
		queue_write(c);
	}
}

static void maybe_end_batch(void)
{
	if (!srv.batch_cmds)
		return;
	if (srv.batch_cmds >= srv.cfg->batch_max_commands) {
		srv.stat_publishes_at_cmds++;
		publish_and_release();
	} else if (server_now_us() - srv.batch_start_us >= srv.cfg->batch_max_usec) {
		srv.stat_publishes_at_time++;
		publish_and_release();
	}
}

static void flush_pending(void)
{
	struct client *c, *tmp;

	cds_list_for_each_entry_safe(c, tmp, &pending_write, pending) {
		cds_list_del_init(&c->pending);
		client_flush(c);
	}
}

/* ------------------------------------------------------------- dispatching */

/* name: the command name, NUL-terminated (argv[0] may hold NULs). */
static void unknown_command(struct client *c, const char *name)
{
	char args[160] = "";
	size_t n = 0;

	for (int i = 1; i < c->argc && n < 128; i++) {
		int m = snprintf(args + n, sizeof(args) - n, "'%.*s' ",
				 (int)(c->argv[i].len < 128 - n ? c->argv[i].len : 128 - n),
				 c->argv[i].p);

		if (m < 0 || (size_t)m >= sizeof(args) - n)
			break;
		n += (size_t)m;
	}
	resp_add_errorf(&c->out,
			"ERR unknown command '%.128s', with args beginning with: %s",
			name, args);
}

void dispatch(struct client *c)
{
	const struct command *cmd;
	size_t mark = c->out.len;

	srv.stat_commands++;
	c->cmds++;
	cmd = command_lookup(c->argv[0].p, c->argv[0].len);
	c->cmd = cmd;
	if (!cmd) {
		char name[129];
		size_t n = c->argv[0].len < 128 ? c->argv[0].len : 128;

		memcpy(name, c->argv[0].p, n);
		name[n] = '\0';
		unknown_command(c, name);
		multi_rejected(c, mark);
		return;
	}
	if ((cmd->arity > 0 && c->argc != cmd->arity) ||
	    (cmd->arity < 0 && c->argc < -cmd->arity)) {
		reply_wrong_args(c);
		multi_rejected(c, mark);
		return;
	}
	if (!c->authenticated && !(cmd->flags & CMD_NOAUTH)) {
		resp_add_error(&c->out, "NOAUTH Authentication required.");
		multi_rejected(c, mark);
		return;
	}
	if (multi_queue(c))
		return;
	call(c);
}

void call(struct client *c)
{
	const struct command *cmd = c->cmd;
	int rc;

	if (!(cmd->flags & CMD_WRITE)) {
		cmd->proc(c);
		return;
	}
	{
		size_t mark = c->out.len;

		rc = shm_wr_begin(srv.w);
		if (rc == 0) {
			multi_watch_before(c);
			rc = cmd->proc(c);
			if (rc == -ENOMEM) {
				shm_wr_abort(srv.w);
			} else {
				multi_watch_after(c);
				shm_wr_commit(srv.w);
			}
		}
		if (rc == -ENOMEM) {
			c->out.len = mark;
			resp_add_error(&c->out, OOM_MSG);
			srv.stat_oom++;
		} else if (rc == -EBUSY) {
			/* Mutex mode: a reader stayed in its read section
			 * past mutex-drain-timeout; nothing was changed. */
			c->out.len = mark;
			resp_add_errorf(&c->out,
					"BUSY a reader (slot %u, pid %u) holds the region; try again",
					srv.w->blocker.slot, srv.w->blocker.pid);
			srv_log(LL_WARNING,
				"Write refused: reader slot %u (pid %u) stayed in its read section for %llu ms",
				srv.w->blocker.slot, srv.w->blocker.pid,
				(unsigned long long)srv.w->blocker.age_ms);
		}
	}
	if (srv.w->dirty || srv.w->in_section) {
		srv.batch_cmds++;
		if (!srv.batch_start_us)
			srv.batch_start_us = server_now_us();
	}
}

/* Handle every complete command in c's buffer.  False if c was freed. */
static bool client_process(struct client *c)
{
	char err[256];

	while (c->qpos < c->qlen && !c->close_after_reply) {
		int rc = resp_parse(&c->parser, c->qbuf, c->qlen, &c->qpos, err,
				    sizeof(err));

		if (rc == RESP_AGAIN)
			break;
		if (rc == RESP_ERR) {
			resp_add_error(&c->out, err);
			c->close_after_reply = true;
			break;
		}
		if (c->parser.argc == 0)
			continue;
		c->argc = c->parser.argc;
		c->argv = c->parser.argv;
		dispatch(c);
		c->parser.authenticated = c->authenticated;
		c->last_ms = mono_ms();
		/* Replies made while the batch is unpublished wait for it. */
		if (srv.w->dirty && !c->waiting_publish && c->out.len > c->sent) {
			c->waiting_publish = true;
			if (!cds_list_empty(&c->pending))
				cds_list_del(&c->pending);
			cds_list_add_tail(&c->pending, &srv.unpublished);
		} else if (!c->waiting_publish && c->out.len > c->sent) {
			queue_write(c);
		}
		maybe_end_batch();
	}
	/* The parser counts from the start of the command it is in, so the
	 * unparsed tail can move to the front; each byte moves at most once,
	 * since after this qpos stays 0 until that command completes. */
	if (c->qpos == c->qlen) {
		c->qpos = c->qlen = 0;
		if (c->qcap > 256 * 1024) {
			free(c->qbuf);
			c->qbuf = NULL;
			c->qcap = 0;
		}
	} else if (c->qpos) {
		memmove(c->qbuf, c->qbuf + c->qpos, c->qlen - c->qpos);
		c->qlen -= c->qpos;
		c->qpos = 0;
	}
	if (c->close_after_reply && !c->waiting_publish)
		queue_write(c);
	return true;
}

static void client_read(struct client *c)
{
	size_t want = resp_parse_want(&c->parser), room;
	ssize_t n;

	want = want > READ_CHUNK ? want : READ_CHUNK;
	if (want > 16u * 1024 * 1024)
		want = 16u * 1024 * 1024;
	if (c->qcap - c->qlen < want) {
		size_t cap = c->qlen + want;
		char *q = realloc(c->qbuf, cap);

		if (!q) {
			client_free(c);
			return;
		}
		c->qbuf = q;
		c->qcap = cap;
	}
	room = c->qcap - c->qlen;
	n = read(c->fd, c->qbuf + c->qlen, room);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		client_free(c);
		return;
	}
	if (n < 0)
		return;
	c->qlen += (size_t)n;
	srv.stat_net_in += (uint64_t)n;
	if (c->qlen - c->qpos > srv.cfg->client_query_buffer_limit) {
		srv_log(LL_WARNING, "Closing client %s: query buffer limit reached",
			c->addr);
		client_free(c);
		return;
	}
	client_process(c);
}

/* -------------------------------------------------------------- listeners */

static int listen_unix(char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = srv.cfg->unixsocket;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "unixsocket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	if (srv.cfg->unixsocketperm && chmod(path, srv.cfg->unixsocketperm) < 0)
		goto fail;
	if (listen(fd, srv.cfg->tcp_backlog) < 0)
		goto fail;
	srv.ufd = fd;
	return 0;
fail:
	snprintf(err, errlen, "Failed opening Unix socket %s: %s", path,
		 strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static int listen_tcp(const char *addr, char *err, size_t errlen)
{
	bool optional = addr[0] == '-';
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1, family;

	if (optional)
		addr++;
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)srv.cfg->port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)srv.cfg->port);
		sl = sizeof(struct sockaddr_in6);
	} else {
		snprintf(err, errlen, "Invalid bind address '%s'", addr);
		return -1;
	}
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    listen(fd, srv.cfg->tcp_backlog) < 0)
		goto fail;
	if (srv.ntfd == (int)(sizeof(srv.tfd) / sizeof(srv.tfd[0]))) {
		close(fd);
		snprintf(err, errlen, "Too many bind addresses");
		return -1;
	}
	srv.tfd[srv.ntfd++] = fd;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (optional && (errno == EADDRNOTAVAIL || errno == EAFNOSUPPORT))
		return 0;
	snprintf(err, errlen, "Could not create server TCP listening socket %s:%d: %s",
		 addr, srv.cfg->port, strerror(errno));
	return -1;
}

static int epoll_add_tag(int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(srv.epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* -------------------------------------------------------------------- cron */

static void update_title(void)
{
	setproctitle("%s [%s] %s", srv.cfg->name,
		     srv.cfg->mode == CFG_MODE_MUTEX ? "mutex" : "rcu",
		     srv.cfg->unixsocket);
}

static void notify_status(void)
{
	uint64_t keys = 0;

	for (unsigned db = 0; db < srv.w->ndb; db++)
		keys += srv.w->db[db].nkeys;
	notify_send("STATUS=standalone, version %llu, %llu keys, %u clients",
		    (unsigned long long)srv.w->pub_ver, (unsigned long long)keys,
		    srv.nclients);
}

static void report_laggards(void)
{
	struct shm_laggard lag[64];
	size_t n = shm_wr_laggards(srv.w, srv.cfg->reader_stall_warn_ms, lag, 64);

	for (size_t i = 0; i < n; i++) {
		uint64_t *seen = &srv.stall_logged_ver[lag[i].slot % 64];

		if (*seen == lag[i].version)
			continue;
		*seen = lag[i].version;
		srv_log(LL_WARNING,
			"Reader slot %u (pid %u) has held version %llu for %llu ms, "
			"keeping %llu bytes from being reused",
			lag[i].slot, lag[i].pid, (unsigned long long)lag[i].version,
			(unsigned long long)lag[i].age_ms,
			(unsigned long long)lag[i].bytes_held);
	}
}

static void cron(void)
{
	uint64_t now = mono_ms();
	struct client *c, *tmp;

	srv.cronloops++;
	/* Active expiry: a bounded slice per tick. */
	db_active_expire(2000);
	/* Retired memory whose readers left (or died) meanwhile. */
	shm_wr_reclaim(srv.w);
	if (srv.cronloops % (unsigned)srv.cfg->hz == 0) {
		report_laggards();
		notify_status();
	}
	if (srv.cfg->timeout > 0) {
		cds_list_for_each_entry_safe(c, tmp, &srv.clients, node) {
			if (!c->waiting_publish &&
			    now - c->last_ms > (uint64_t)srv.cfg->timeout * 1000)
				client_free(c);
		}
	}
	if (srv.watchdog_us) {
		uint64_t us = server_now_us();

		if (us - srv.last_watchdog_us >= srv.watchdog_us / 2) {
			notify_send("WATCHDOG=1");
			srv.last_watchdog_us = us;
		}
	}
}

static void handle_signal(void)
{
	struct signalfd_siginfo si;

	while (read(srv.sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			char ignored[256] = "", err[1024] = "";

			if (config_reload(srv.cfg, ignored, sizeof(ignored), err,
					  sizeof(err)) < 0) {
				srv_log(LL_WARNING, "Config reload failed: %s", err);
			} else {
				log_setup(srv.cfg->logfile, srv.cfg->loglevel);
				srv_log(LL_NOTICE, "Configuration reloaded%s%s",
					ignored[0] ? "; needs a restart to change: " : "",
					ignored);
			}
		} else {
			srv_log(LL_WARNING, "Received %s scheduling shutdown...",
				si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
			srv.shutdown_asap = true;
		}
	}
}

/* ---------------------------------------------------------------- the loop */

int server_init(struct config *cfg, char *err, size_t errlen)
{
	sigset_t mask;

	srv.cfg = cfg;
	srv.ufd = -1;
	srv.start_ms = (uint64_t)server_now_ms();
	CDS_INIT_LIST_HEAD(&srv.clients);
	CDS_INIT_LIST_HEAD(&srv.unpublished);
	CDS_INIT_LIST_HEAD(&pending_write);
	command_table_init();
	srv.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv.epfd < 0) {
		snprintf(err, errlen, "epoll_create1: %s", strerror(errno));
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	srv.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (srv.sigfd < 0 || epoll_add_tag(srv.sigfd, TAG_SIGNAL) < 0) {
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		return -1;
	}
	if (cfg->unixsocket && cfg->unixsocket[0]) {
		if (listen_unix(err, errlen) < 0 || epoll_add_tag(srv.ufd, TAG_UNIX) < 0)
			return -1;
	}
	if (cfg->port) {
		for (int i = 0; i < cfg->nbind; i++)
			if (listen_tcp(cfg->bind[i], err, errlen) < 0)
				return -1;
		for (int i = 0; i < srv.ntfd; i++)
			epoll_add_tag(srv.tfd[i], TAG_TCP + (uint64_t)i);
	}
	if (srv.ufd < 0 && srv.ntfd == 0) {
		snprintf(err, errlen, "no listening socket: set unixsocket or port");
		return -1;
	}
	srv.watchdog_us = notify_watchdog_usec();
	update_title();
	return 0;
}

int server_run(void)
{
	struct epoll_event evs[MAX_EVENTS];

	srv.ready = true;
	notify_send("READY=1\nSTATUS=serving %s", srv.cfg->name);
	notify_status();
	srv.next_cron_ms = mono_ms() + 1000u / (unsigned)srv.cfg->hz;
	while (!srv.shutdown_asap) {
		uint64_t now = mono_ms();
		int timeout = now >= srv.next_cron_ms ? 0 : (int)(srv.next_cron_ms - now);
		int n;

		if (srv.batch_cmds) {
			uint64_t left = srv.cfg->batch_max_usec;
			uint64_t gone = server_now_us() - srv.batch_start_us;

			left = gone >= left ? 0 : (left - gone + 999) / 1000;
			if ((int)left < timeout)
				timeout = (int)left;
		}
		n = epoll_wait(srv.epfd, evs, MAX_EVENTS, timeout);
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;

			if (tag == TAG_SIGNAL) {
				handle_signal();
			} else if (tag == TAG_UNIX) {
				accept_on(srv.ufd, true);
			} else if (tag >= TAG_TCP && tag < TAG_TCP + 16) {
				accept_on(srv.tfd[tag - TAG_TCP], false);
			} else {
				struct client *c = evs[i].data.ptr;

				if (evs[i].events & EPOLLOUT) {
					if (!client_flush(c))
						continue;
				}
				if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
					client_read(c);
			}
		}
		/* Input went quiet: end the batch (and in mutex mode the write
		 * section, even if its commands changed nothing). */
		if (srv.w->dirty || srv.w->in_section) {
			srv.stat_publishes_idle++;
			publish_and_release();
		}
		flush_pending();
		if (mono_ms() >= srv.next_cron_ms) {
			cron();
			srv.next_cron_ms = mono_ms() + 1000u / (unsigned)srv.cfg->hz;
			if (srv.w->dirty || srv.w->in_section)
				publish_and_release();
			flush_pending();
		}
	}
	return 0;
}

void server_shutdown(void)
{
	struct client *c, *tmp;

	notify_send("STOPPING=1");
	if (srv.w && (srv.w->dirty || srv.w->in_section))
		publish_and_release();
	flush_pending();
	cds_list_for_each_entry_safe(c, tmp, &srv.clients, node)
		client_free(c);
	if (srv.ufd >= 0) {
		close(srv.ufd);
		unlink(srv.cfg->unixsocket);
	}
	for (int i = 0; i < srv.ntfd; i++)
		close(srv.tfd[i]);
	if (srv.sigfd >= 0)
		close(srv.sigfd);
	close(srv.epfd);
}
