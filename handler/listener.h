/* listener.h - wsinetd as its own listener: --port/--address (development, or a fast
 * path on a busy host) or a listening socket on fd 3 from systemd (Accept=no). One
 * handler process per connection (or, with --handler-reuse=N, per N connections in a
 * row), which runs the very same handle_connection() as the inetd and fd styles. The handlers are forked ahead of time: a few spares wait in
 * accept, the one that takes a connection tells the listener (its pid on a pipe) and
 * the listener forks a replacement after the fact. A spare is a child of the listener
 * holding the listening sockets; it exits on SIGTERM/SIGINT/SIGHUP/SIGQUIT and when the
 * listener dies. --maxforks bounds the handlers (429 past it), spares included: there
 * are never more spares than connections still allowed. */
#ifndef WSINETD_LISTENER_H
#define WSINETD_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Serve until SIGTERM/SIGINT/SIGHUP. fds: inherited listening sockets, or NULL to bind
 * cfg->port on cfg->addresses. Returns the process exit status. */
int listener_run(const struct config *cfg, const int *fds, size_t nfds);

/* One connection, on rfd/wfd; returns the handler's exit status (main.c; 5 is a system
 * failure: out of memory, descriptors, a failed exec). `last`: the process serves no
 * other connection after this one (false only for a handler with --handler-reuse
 * connections to go): the authentication key is wiped once this one is decided. */
int handle_connection(const struct config *cfg, int rfd, int wfd, bool last);

#endif
