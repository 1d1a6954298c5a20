/* http_resp.h - build a plain HTTP/1.1 response head into a caller's buffer. Pure.
 *
 *   struct http_resp r;
 *   http_resp_start(&r, buf, sizeof(buf), 200, NULL);
 *   http_resp_header(&r, "Content-Type", "text/html");
 *   int n = http_resp_end(&r);   // bytes of the head (through the empty line), or < 0
 *
 * Errors are sticky: after the first failure every call is a no-op and http_resp_end
 * returns it: WS_E_LIMIT when the buffer is too small, WS_E_MALFORMED when a name is not
 * a token or a value (or reason) holds CR, LF or another control byte except HTAB.
 * The output is not NUL-terminated. */
#ifndef WSINETD_HTTP_RESP_H
#define WSINETD_HTTP_RESP_H

#include <stddef.h>

struct http_resp {
	char *buf;
	size_t cap;
	size_t len;
	int err;   /* 0 or the first negative enum ws_err */
};

/* "HTTP/1.1 <status> <reason>"; reason NULL means the standard phrase. */
void http_resp_start(struct http_resp *r, char *buf, size_t cap, int status, const char *reason);
void http_resp_header(struct http_resp *r, const char *name, const char *value);
/* A complete "Name: value" line (as --header gives them). */
void http_resp_line(struct http_resp *r, const char *line);
/* Content-Length: n */
void http_resp_length(struct http_resp *r, unsigned long long n);
int http_resp_end(struct http_resp *r);

/* The reason phrase for a status (RFC 7231 6.1), "Unknown" for one we never send. */
const char *http_status_text(int status);

#endif
