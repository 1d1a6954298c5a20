/* hdr.c - header field helpers over slices (RFC 7230 3.2.6, 7). Pure; applies no
 * policy: callers decide what a missing, repeated or odd header means. */
#include "hdr.h"

#include <string.h>

static unsigned char hdr_lower(unsigned char c)
{
	/* ASCII only on purpose: header names and tokens are ASCII (RFC 7230 3.2.6), and
	 * a locale-aware tolower() could fold obs-text bytes into a match. */
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

bool hdr_ieq(const char *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);

	if (n != len)
		return false;
	for (size_t i = 0; i < n; i++)
		if (hdr_lower((unsigned char)s[i]) != hdr_lower((unsigned char)lit[i]))
			return false;
	return true;
}

bool hdr_is_tchar(unsigned char c)
{
	/* tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_"
	 *       / "`" / "|" / "~" / DIGIT / ALPHA  (RFC 7230 3.2.6) */
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool hdr_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Index of the comma ending the element that starts at `i`, or len. A comma inside a
 * quoted-string, or escaped there by a quoted-pair, does not end it (RFC 7230 3.2.6).
 * An unterminated quoted-string runs to the end; judging it is the caller's business. */
static size_t hdr_elem_end(const char *v, size_t len, size_t i)
{
	bool quoted = false;

	for (; i < len; i++) {
		char c = v[i];
		if (quoted) {
			if (c == '\\' && i + 1 < len)
				i++;
			else if (c == '"')
				quoted = false;
		} else if (c == '"') {
			quoted = true;
		} else if (c == ',') {
			break;
		}
	}
	return i;
}

bool hdr_list_next(const char *v, size_t len, size_t *pos, const char **item, size_t *item_len)
{
	/* #rule (RFC 7230 7): empty elements are legal and carry nothing, so skip them. */
	while (*pos < len) {
		size_t start = *pos, end = hdr_elem_end(v, len, start);

		*pos = end < len ? end + 1 : len;
		while (start < end && hdr_is_ows(v[start]))
			start++;
		while (end > start && hdr_is_ows(v[end - 1]))
			end--;
		if (end > start) {
			*item = v + start;
			*item_len = end - start;
			return true;
		}
	}
	*item = NULL;
	*item_len = 0;
	return false;
}

int hdr_find(const struct http_req *req, const char *name, size_t from)
{
	for (size_t i = from; i < req->nheaders; i++)
		if (hdr_ieq(req->headers[i].name, req->headers[i].name_len, name))
			return (int)i;
	return -1;
}

size_t hdr_count(const struct http_req *req, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < req->nheaders; i++)
		if (hdr_ieq(req->headers[i].name, req->headers[i].name_len, name))
			n++;
	return n;
}

bool hdr_has_token(const struct http_req *req, const char *name, const char *token)
{
	/* Several fields with one name equal one field of their comma-joined values
	 * (RFC 7230 3.2.2), so every occurrence is searched. */
	for (int i = hdr_find(req, name, 0); i >= 0; i = hdr_find(req, name, (size_t)i + 1)) {
		const struct http_header *h = &req->headers[i];
		const char *it;
		size_t it_len, pos = 0;

		while (hdr_list_next(h->value, h->value_len, &pos, &it, &it_len))
			if (hdr_ieq(it, it_len, token))
				return true;
	}
	return false;
}

const char *hdr_host_split(char *host)
{
	char *colon = host[0] == '[' ? strstr(host, "]:") : strrchr(host, ':');
	if (colon == NULL)
		return "";
	if (host[0] == '[')
		colon++;
	*colon = '\0';
	return colon + 1;
}

int hdr_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
