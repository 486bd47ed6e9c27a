/*
 * main.c - shmrepd: start-up and shut-down.
 *
 *   shmrepd [configfile] [--directive value ...]
 *
 * Order matters: the pid file is taken before the region (so a second
 * daemon started by mistake fails on the pid file or on the region's
 * writer lock, before touching anything), the region is built and its first
 * version published before the sockets accept clients, and systemd hears
 * READY=1 only after that.  On SIGTERM the open batch is published and the
 * region left in place, readable, for the next daemon to take over.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/libutil.h>
#include <bsd/unistd.h>

#include "config.h"
#include "log.h"
#include "server.h"
#include "writer.h"

extern char **environ;

static struct config cfg;

static int daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct shm_writer_config wc;
	struct pidfh *pfh = NULL;
	char err[2048];
	pid_t other;
	int rc;

	setproctitle_init(argc, argv, environ);
	config_init(&cfg);
	rc = config_from_argv(&cfg, argc, argv, err, sizeof(err));
	if (rc == 1)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "%s", err);
		return 1;
	}
	if (cfg.daemonize && (!cfg.logfile || !cfg.logfile[0])) {
		free(cfg.logfile);
		cfg.logfile = strdup("/dev/null");
	}
	log_setup(cfg.logfile, cfg.loglevel);
	if (!realpath("/proc/self/exe", srv.executable))
		snprintf(srv.executable, sizeof(srv.executable), "%s", argv[0]);
	if (cfg.pidfile) {
		pfh = pidfile_open(cfg.pidfile, 0644, &other);
		if (!pfh) {
			if (errno == EEXIST)
				fprintf(stderr, "shmrepd already running, pid %d (pidfile %s)\n",
					(int)other, cfg.pidfile);
			else
				fprintf(stderr, "cannot open pidfile %s: %s\n", cfg.pidfile,
					strerror(errno));
			return 1;
		}
	}
	if (cfg.daemonize && daemonize() < 0) {
		fprintf(stderr, "daemonize: %s\n", strerror(errno));
		return 1;
	}
	if (pfh)
		pidfile_write(pfh);
	srv_log(LL_NOTICE, "shmrepd 0.1.0 starting, instance '%s', pid %d",
		cfg.name, (int)getpid());
	if (cfg.replicaof_host)
		srv_log(LL_WARNING,
			"replicaof is set but replication is not available in this version; serving standalone");

	wc = (struct shm_writer_config){
		.name = cfg.name,
		.size = cfg.size,
		.ndb = cfg.databases,
		.nslots = cfg.readers,
		.mode = cfg.mode == CFG_MODE_MUTEX ? SHM_MODE_MUTEX : SHM_MODE_RCU,
		.perm = cfg.shmperm,
		.membarrier = cfg.membarrier,
		.stall_warn_ms = cfg.reader_stall_warn_ms,
		.keep_data = true,
		.drain_timeout_ms = cfg.mutex_drain_timeout_ms,
		.reclaim_defer_us = SHM_RECLAIM_DEFER_US,
	};
	rc = shm_writer_open(&wc, &srv.w, err, sizeof(err));
	if (rc) {
		srv_log(LL_WARNING, "Cannot open region: %s", err);
		rc = 1;
		goto out;
	}
	if (srv.w->st.recovered_records)
		srv_log(LL_WARNING,
			"The previous shmrepd died inside a write: rolled back %llu journal records",
			(unsigned long long)srv.w->st.recovered_records);
	if (srv.w->st.copied_keys)
		srv_log(LL_NOTICE, "Took over %llu keys from the previous region",
			(unsigned long long)srv.w->st.copied_keys);
	if (server_init(&cfg, err, sizeof(err)) < 0) {
		srv_log(LL_WARNING, "%s", err);
		rc = 1;
		goto out;
	}
	srv_log(LL_NOTICE, "Region /dev/shm/shmrep.%s.data, %llu bytes, version %llu%s",
		cfg.name, (unsigned long long)cfg.size,
		(unsigned long long)srv.w->pub_ver,
		srv.w->membarrier ? ", readers use membarrier" : "");
	srv_log(LL_NOTICE, "Ready to accept connections%s%s",
		cfg.unixsocket ? " unix " : "", cfg.unixsocket ? cfg.unixsocket : "");
	server_run();
	server_shutdown();
	srv_log(LL_WARNING, "shmrepd is now ready to exit, bye bye...");
	rc = 0;
out:
	shm_writer_close(srv.w);
	if (pfh)
		pidfile_remove(pfh);
	config_free(&cfg);
	return rc;
}
