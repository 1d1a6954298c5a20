/* http_resp.c - response head builder (see http_resp.h). */
#include "http_resp.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "handshake.h"

static int is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void put(struct http_resp *r, const char *s, size_t n)
{
	if (r->err)
		return;
	if (n > r->cap - r->len) {
		r->err = WS_E_LIMIT;
		return;
	}
	memcpy(r->buf + r->len, s, n);
	r->len += n;
}

static int value_ok(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 0;
	return 1;
}

void http_resp_start(struct http_resp *r, char *buf, size_t cap, int status, const char *reason)
{
	r->buf = buf;
	r->cap = cap;
	r->len = 0;
	r->err = 0;
	if (status < 100 || status > 999) {
		r->err = WS_E_MALFORMED;
		return;
	}
	if (reason == NULL)
		reason = http_status_text(status);
	if (!value_ok(reason)) {
		r->err = WS_E_MALFORMED;
		return;
	}
	char st[16];
	int n = snprintf(st, sizeof(st), "HTTP/1.1 %d ", status);
	put(r, st, (size_t)n);
	put(r, reason, strlen(reason));
	put(r, "\r\n", 2);
}

void http_resp_header(struct http_resp *r, const char *name, const char *value)
{
	if (r->err)
		return;
	if (*name == '\0') {
		r->err = WS_E_MALFORMED;
		return;
	}
	for (const char *p = name; *p; p++)
		if (!is_tchar((unsigned char)*p)) {
			r->err = WS_E_MALFORMED;
			return;
		}
	if (!value_ok(value)) {
		r->err = WS_E_MALFORMED;
		return;
	}
	put(r, name, strlen(name));
	put(r, ": ", 2);
	put(r, value, strlen(value));
	put(r, "\r\n", 2);
}

void http_resp_line(struct http_resp *r, const char *line)
{
	if (r->err)
		return;
	const char *colon = strchr(line, ':');
	if (colon == NULL || colon == line || !value_ok(line)) {
		r->err = WS_E_MALFORMED;
		return;
	}
	for (const char *p = line; p < colon; p++)
		if (!is_tchar((unsigned char)*p)) {
			r->err = WS_E_MALFORMED;
			return;
		}
	put(r, line, strlen(line));
	put(r, "\r\n", 2);
}

void http_resp_length(struct http_resp *r, unsigned long long n)
{
	char v[24];
	snprintf(v, sizeof(v), "%llu", n);
	http_resp_header(r, "Content-Length", v);
}

int http_resp_end(struct http_resp *r)
{
	put(r, "\r\n", 2);
	return r->err ? r->err : (int)r->len;
}

const char *http_status_text(int status)
{
	switch (status) {
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 504: return "Gateway Timeout";
	default: return ws_status_text(status);
	}
}
