/*
 * notify.h - tell systemd (Type=notify) how the daemon is doing.
 */
#ifndef DAEMON_NOTIFY_H
#define DAEMON_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

/* Send one notification ("READY=1", "STATUS=...").  0, or -errno. */
int notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The watchdog interval systemd asks for, in microseconds; 0 if none. */
uint64_t notify_watchdog_usec(void);

#endif
