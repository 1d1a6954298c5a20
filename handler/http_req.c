/* http_req.c - HTTP/1.x request head parser (RFC 7230 section 3). Pure; no allocation.
 *
 * One forward pass over buf[0..len) with a cursor. Every step checks the cursor
 * against len before it reads, returns WS_NEED_MORE when the bytes run out and a
 * malformed verdict as soon as an offending byte is seen, so a bad request is refused
 * without waiting for the rest of it. */
#include "http_req.h"

#include <stdbool.h>

#include "err.h"
#include "hdr.h"

/* Not <limits.h>: with -Ihandler that name finds handler/limits.h, not the system one. */
#define REQ_INT_MAX (~0U >> 1)

struct cur {
	const uint8_t *p;
	size_t len;
	size_t i;
	struct http_req *out;
};

static int fail(struct cur *c, int err, const char *why)
{
	c->out->why = why;
	return err;
}

/* Line end: CRLF, or a bare LF (RFC 7230 3.5 lets a recipient accept it). A CR
 * followed by anything else is a bare CR, which 3.5 says to reject or replace; we
 * reject, as smuggling defences expect. */
static int eat_eol(struct cur *c)
{
	if (c->i >= c->len)
		return WS_NEED_MORE;
	if (c->p[c->i] == '\n') {
		c->i++;
		return WS_OK;
	}
	if (c->p[c->i] != '\r')
		return fail(c, WS_E_MALFORMED, "unexpected character at end of line");
	if (c->i + 1 >= c->len)
		return WS_NEED_MORE;
	if (c->p[c->i + 1] != '\n')
		return fail(c, WS_E_MALFORMED, "CR not followed by LF");
	c->i += 2;
	return WS_OK;
}

/* method = token, then exactly one SP (RFC 7230 3.1.1). */
static int parse_method(struct cur *c)
{
	size_t start = c->i;

	for (; c->i < c->len && hdr_is_tchar(c->p[c->i]); c->i++)
		;
	if (c->i >= c->len)
		return WS_NEED_MORE;
	if (c->i == start)
		return fail(c, WS_E_MALFORMED, "request line does not start with a method");
	if (c->p[c->i] != ' ')
		return fail(c, WS_E_MALFORMED, "invalid character in method");
	c->out->method = (const char *)c->p + start;
	c->out->method_len = c->i - start;
	c->i++;
	return WS_OK;
}

/* request-target: one run of visible ASCII ended by one SP. The forms of RFC 7230 5.3
 * are all VCHAR-only; judging the form is the caller's business. */
static int parse_target(struct cur *c)
{
	size_t start = c->i;

	for (; c->i < c->len && c->p[c->i] > 0x20 && c->p[c->i] < 0x7F; c->i++)
		;
	if (c->i >= c->len)
		return WS_NEED_MORE;
	if (c->i == start)
		return fail(c, WS_E_MALFORMED, "empty request target");
	if (c->p[c->i] != ' ')
		return fail(c, WS_E_MALFORMED, "invalid character in request target");
	c->out->target = (const char *)c->p + start;
	c->out->target_len = c->i - start;
	c->i++;
	return WS_OK;
}

/* HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 7230 2.6); only 1.0
 * and 1.1 are spoken here. Compared byte by byte so a prefix still asks for more. */
static int parse_version(struct cur *c)
{
	static const char pfx[] = "HTTP/1.";
	uint8_t minor;

	for (size_t k = 0; k < sizeof(pfx) - 1; k++, c->i++) {
		if (c->i >= c->len)
			return WS_NEED_MORE;
		if (c->p[c->i] != (uint8_t)pfx[k])
			return fail(c, WS_E_MALFORMED, "unsupported or invalid HTTP version");
	}
	if (c->i >= c->len)
		return WS_NEED_MORE;
	minor = c->p[c->i];
	if (minor != '0' && minor != '1')
		return fail(c, WS_E_MALFORMED, "unsupported or invalid HTTP version");
	c->out->minor_version = minor - '0';
	c->i++;
	return WS_OK;
}

static int parse_request_line(struct cur *c)
{
	int r;

	/* No leading empty lines are skipped (RFC 7230 3.5 allows, does not require it):
	 * a request starting with CRLF is refused by parse_method. */
	if ((r = parse_method(c)) != WS_OK || (r = parse_target(c)) != WS_OK ||
	    (r = parse_version(c)) != WS_OK)
		return r;
	r = eat_eol(c);
	if (r == WS_E_MALFORMED)
		c->out->why = "junk after HTTP version";
	return r;
}

/* field-value bytes: VCHAR, SP, HTAB, obs-text (RFC 7230 3.2). Everything else,
 * NUL and DEL included, is refused (3.2.4: no smuggled controls). */
static bool is_value_byte(uint8_t b)
{
	return b == '\t' || (b >= 0x20 && b != 0x7F);
}

static bool is_ows(uint8_t b)
{
	return b == ' ' || b == '\t';
}

/* header-field = field-name ":" OWS field-value OWS, then a line end. */
static int parse_header_line(struct cur *c, struct http_header *h)
{
	size_t start = c->i, vstart, vend;

	for (; c->i < c->len && hdr_is_tchar(c->p[c->i]); c->i++)
		;
	if (c->i >= c->len)
		return WS_NEED_MORE;
	if (c->p[c->i] != ':') {
		/* RFC 7230 3.2.4: whitespace between name and colon MUST be rejected (400). */
		if (is_ows(c->p[c->i]) && c->i > start)
			return fail(c, WS_E_MALFORMED, "whitespace before colon in header");
		return fail(c, WS_E_MALFORMED, "invalid character in header name");
	}
	if (c->i == start)
		return fail(c, WS_E_MALFORMED, "empty header name");
	h->name = (const char *)c->p + start;
	h->name_len = c->i - start;
	c->i++;

	for (; c->i < c->len && is_ows(c->p[c->i]); c->i++)
		;
	vstart = c->i;
	for (; c->i < c->len && is_value_byte(c->p[c->i]); c->i++)
		;
	if (c->i >= c->len)
		return WS_NEED_MORE;
	if (c->p[c->i] != '\r' && c->p[c->i] != '\n')
		return fail(c, WS_E_MALFORMED, "control character in header value");
	vend = c->i;
	while (vend > vstart && is_ows(c->p[vend - 1]))
		vend--;
	h->value = (const char *)c->p + vstart;
	h->value_len = vend - vstart;
	return eat_eol(c);
}

static int parse_headers(struct cur *c, size_t max_headers)
{
	struct http_req *out = c->out;

	for (;;) {
		int r;

		if (c->i >= c->len)
			return WS_NEED_MORE;
		if (c->p[c->i] == '\r' || c->p[c->i] == '\n')
			return eat_eol(c); /* the empty line ends the head */
		/* A line starting with SP/HTAB is obs-fold after a field (RFC 7230 3.2.4:
		 * reject with 400) or whitespace before the first field (3: reject). */
		if (is_ows(c->p[c->i]))
			return fail(c, WS_E_MALFORMED, out->nheaders ? "obsolete line folding in header"
							      : "whitespace before first header");
		/* A further field has begun: refuse now instead of reading it (431). */
		if (out->nheaders >= max_headers)
			return fail(c, WS_E_LIMIT, "too many header lines");
		r = parse_header_line(c, &out->headers[out->nheaders]);
		if (r != WS_OK)
			return r;
		out->nheaders++;
	}
}

int http_req_parse(const uint8_t *buf, size_t len, size_t max_headers, struct http_req *out)
{
	struct cur c = { buf, len, 0, out };
	int r;

	/* Reset the scalars only: clearing all WS_HEADERS_MAX entries on every call would
	 * make byte-at-a-time feeding quadratic in the size of that array. Entries past
	 * nheaders are unspecified. */
	out->method = out->target = NULL;
	out->method_len = out->target_len = 0;
	out->minor_version = 0;
	out->nheaders = 0;
	out->why = NULL;

	if (max_headers > WS_HEADERS_MAX)
		max_headers = WS_HEADERS_MAX; /* the array bound, whatever the caller asked */
	/* The count of bytes consumed must fit the int return; a caller bounds requests
	 * far below this, so a head that long is a limit hit. */
	if (c.len > (size_t)REQ_INT_MAX)
		c.len = (size_t)REQ_INT_MAX;

	r = parse_request_line(&c);
	if (r == WS_OK)
		r = parse_headers(&c, max_headers);
	if (r == WS_OK)
		return (int)c.i;
	if (r == WS_NEED_MORE && c.len < len)
		return fail(&c, WS_E_LIMIT, "request head too long");
	if (r == WS_NEED_MORE)
		out->why = "request head incomplete";
	return r;
}
