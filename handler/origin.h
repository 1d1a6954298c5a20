/* origin.h - the Origin header (RFC 6454) against an allowlist, against cross-site
 * WebSocket hijacking (RFC 6455 10.2). Pure: no I/O, no allocation, applies exactly the
 * rules below and nothing else.
 *
 * An Origin value is "null" or scheme "://" host [ ":" port ] (RFC 6454 6.2): no path,
 * no userinfo, no trailing '/'. Scheme and host are compared ASCII case-insensitively;
 * the port is compared as a number, a missing port being the scheme's default (80 for
 * http/ws, 443 for https/wss; other schemes have none and must match literally).
 * Comparison is always whole-field: never by substring or prefix.
 *
 * Allowlist entries (--origin):
 *   "*"                      any origin except "null"
 *   "null"                   the opaque origin (sandboxed iframes, file: pages)
 *   "scheme://host[:port]"   that exact origin
 *   "host[:port]"            that host with any scheme; without a port, the default port
 *                            of the Origin's scheme ("example.com" allows
 *                            https://example.com and http://example.com, not :8443)
 *   "*.domain[:port]"        any host below domain (one label or more; not domain
 *                            itself), with the same port rule; also with a scheme prefix
 * Hosts may be bracketed IPv6 literals ("[::1]:8080"). */
#ifndef WSINETD_ORIGIN_H
#define WSINETD_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>

enum origin_verdict {
	ORIGIN_ALLOWED = 0,
	ORIGIN_ABSENT = 1,     /* no Origin header: allowed unless --require-origin */
	ORIGIN_DENIED = 2,     /* well-formed, not allowed */
	ORIGIN_MALFORMED = 3,  /* not an origin, or several Origin headers */
};

struct origin_policy {
	const char *const *allow;  /* --origin entries (validated with origin_entry_ok) */
	size_t nallow;
	bool sameorigin;           /* --sameorigin: same-origin with Host is required too */
	bool tls;                  /* our scheme: https/wss when true, else http/ws */
};

/* Check one Origin value (the caller passes n_origin_headers so that two Origin headers
 * are refused) against the policy. host is the request's Host value. With nallow == 0
 * the Origin must be same-origin with us (RFC 6454 5): its scheme that of the connection
 * (pol->tls), its host and port equal Host's (Host's port defaulting to our scheme's). With nallow > 0 an entry must match, and
 * with sameorigin also Host. */
enum origin_verdict origin_check(const char *origin, size_t origin_len, size_t n_origin_headers,
				 const char *host, size_t host_len, const struct origin_policy *pol);

/* True if s (NUL-terminated) is a valid allowlist entry; *why says what is wrong. */
bool origin_entry_ok(const char *s, const char **why);

#endif
