/* http_plain.h - answering a request that is not a WebSocket upgrade (I/O side).
 *
 * main.c hands over every request that ws_handshake_check() marked plain_http. What it
 * gets, first match wins (PRODUCT.md section 6; websocketd's order):
 *   1. --devconsole: GET/HEAD of an endpoint path (any path; with --dir, a path naming
 *      a script) gets the dev console page. Serving it never starts the program.
 *      (config.c refuses --devconsole together with --staticdir/--cgidir, as websocketd
 *      does: the console answers every GET, so nothing would be left for them.)
 *   2. --cgidir: /name/extra where DIR/name is a regular executable file directly in
 *      DIR runs it as a CGI script (RFC 3875): GET, HEAD, POST with a body of at most
 *      --max-cgi-body bytes (Content-Length; no chunked bodies: 411).
 *   3. --staticdir: the file (GET/HEAD), index.html for a folder, 301 to add the '/' of
 *      a folder, 304 for If-Modified-Since; 404 for anything missing.
 *   4. with --cgidir (and no --staticdir): 404. With --dir, a path naming no script: 404.
 *   5. otherwise 426 with one line saying how to connect (the behaviour without any of
 *      these options).
 * Paths go through urlpath (no "..", %2F, NUL) and route (nothing outside the directory,
 * symlinks included). Every answer ends with Connection: close and carries --header and
 * --header-http; errors have a one-line text body. One access line is logged per
 * request. */
#ifndef WSINETD_HTTP_PLAIN_H
#define WSINETD_HTTP_PLAIN_H

#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "conn.h"
#include "http_req.h"

/* Answer `req` (parsed from in's first head_len bytes; a request body may follow them
 * in `in` and on the transport). sigfd is the handler's signalfd (child.h). Returns the
 * process exit status (README): 0 answered (2xx/3xx), 1 the CGI script failed or the
 * client went away, 3 refused (4xx), 4 timeout, 5 system error. */
int http_plain_serve(const struct config *cfg, struct transport *t, const struct http_req *req,
		     struct buf *in, size_t head_len, const struct peer *peer, const char *peer_s,
		     int sigfd);

#endif
