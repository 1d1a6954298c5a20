/* devconsole.h - the --devconsole page: handler/devconsole.html, embedded in the binary
 * at build time (the Makefile turns it into build/devconsole_html.h). Pure.
 *
 * The page is self-contained (inline CSS and JS, no request but the WebSocket to its
 * own URL). The only server-side fill-in is the meta tag carrying --protocol, so the
 * subprotocol field starts with the server's list. */
#ifndef WSINETD_DEVCONSOLE_H
#define WSINETD_DEVCONSOLE_H

#include <stddef.h>

/* A capacity that always suffices for devconsole_render with these protocols. */
size_t devconsole_cap(const char *const *protocols, size_t n);

/* Write the page with the protocols ("a, b", HTML-attribute escaped) in out. Returns
 * bytes written (not NUL-terminated) or WS_E_LIMIT. */
int devconsole_render(const char *const *protocols, size_t n, char *out, size_t cap);

#endif
