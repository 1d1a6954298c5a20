/* http_req.h - HTTP/1.x request head parser (RFC 7230 section 3), no allocation, no I/O.
 *
 * The parser reads the request line and header fields of `buf[0..len)` and fills `out`
 * with slices pointing into `buf`: the caller keeps `buf` alive (and unchanged) as long
 * as it uses `out`. It never reads past `len`. Call it again with a longer buffer when it
 * returns WS_NEED_MORE; it starts over each time, so a request fed one byte at a time
 * works (the caller bounds the total by the request byte limit).
 *
 * Rules: method is a token; request-target is any run of visible ASCII (no controls, no
 * spaces); version is exactly "HTTP/1.0" or "HTTP/1.1"; lines end with CRLF (a bare LF is
 * accepted, as RFC 7230 3.5 allows); header names are tokens with no whitespace before
 * the colon; values have surrounding OWS trimmed and may contain VCHAR, SP, HTAB and
 * obs-text (0x80-0xFF), never other control bytes (NUL, CR alone, DEL ...); obs-fold
 * (a line starting with SP/HTAB) is rejected; empty lines before the request line
 * are not skipped (rejected). */
#ifndef WSINETD_HTTP_REQ_H
#define WSINETD_HTTP_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "limits.h"

struct http_header {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

struct http_req {
	const char *method;
	size_t method_len;
	const char *target;      /* request-target as sent, e.g. "/chat?x=1" */
	size_t target_len;
	int minor_version;       /* 0 or 1 */
	size_t nheaders;
	struct http_header headers[WS_HEADERS_MAX];
	const char *why;         /* on error: a one-line human reason, static storage */
};

/* Parse the head in buf[0..len).
 * Returns the number of bytes of the head (through the empty line) when complete,
 * WS_NEED_MORE when the head is incomplete, WS_E_MALFORMED for a syntax error, or
 * WS_E_LIMIT when there are more than `max_headers` header lines (max_headers <=
 * WS_HEADERS_MAX; a larger value is treated as WS_HEADERS_MAX). The limit is reported
 * as soon as the extra header line begins. A head not complete within INT_MAX bytes is
 * WS_E_LIMIT. On error out->why says what was wrong. `out` is reset on entry (the
 * scalars and nheaders; entries past nheaders are unspecified). */
int http_req_parse(const uint8_t *buf, size_t len, size_t max_headers, struct http_req *out);

#endif
