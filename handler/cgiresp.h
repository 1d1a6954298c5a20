/* cgiresp.h - the header block a CGI script prints before its body (RFC 3875 section
 * 6). Pure: slices into the caller's buffer, no allocation, no I/O.
 *
 * Lines end with LF or CRLF; the block ends with an empty line. Each line is
 * "Name: value" with a token name; the value has surrounding blanks trimmed and may
 * not hold control bytes other than HTAB. Special fields (RFC 3875 6.3):
 *   Status: "NNN reason" (200..599; the reason is optional) sets the status;
 *   Location: without Status makes it 302 (a local path too: wsinetd sends it to the
 *             client rather than re-dispatching it internally, as RFC 3875 6.2.2
 *             permits a server to do);
 *   otherwise the status is 200.
 * Every field but Status is kept in headers[] for the caller, who drops hop-by-hop
 * ones (cgiresp_hop_by_hop). A block needing more than WS_CGI_HEADERS_MAX lines is
 * WS_E_LIMIT; the byte bound is the caller's (it stops feeding at
 * WS_CGI_RESPONSE_HEAD_MAX). */
#ifndef WSINETD_CGIRESP_H
#define WSINETD_CGIRESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"

struct cgi_header {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

struct cgiresp {
	int status;
	const char *reason;        /* from Status (slice), NULL for the standard phrase */
	size_t reason_len;
	bool has_location;
	bool has_content_type;
	size_t nheaders;
	struct cgi_header headers[WS_CGI_HEADERS_MAX];
	const char *why;           /* on error: one line, static storage */
};

/* Parse buf[0..len). Returns the bytes of the block (through the empty line) when it
 * is complete, WS_NEED_MORE, WS_E_MALFORMED (out->why says why) or WS_E_LIMIT. */
int cgiresp_parse(const uint8_t *buf, size_t len, struct cgiresp *out);

/* True for a field the script may not set on our connection (Connection,
 * Transfer-Encoding, Keep-Alive, Upgrade, TE, Trailer, Proxy-Connection). */
bool cgiresp_hop_by_hop(const char *name, size_t len);

#endif
