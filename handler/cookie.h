/* cookie.h - where a credential hides in a request besides Authorization: the Cookie
 * header (RFC 6265 5.4 as user agents send it, parsed the way RFC 6265 5.2 and its
 * successor draft parse pairs) and the query string. Find one by name, and produce the
 * same text with every pair of that name removed, so the credential does not reach the
 * program. Pure: no I/O; outputs are slices or caller-owned buffers.
 *
 * Cookie rules: all Cookie headers count, in order (a user agent should send one, but
 * HTTP/2 gateways split it); pairs are separated by ';'; whitespace around names and
 * values is trimmed; a pair without '=' has an empty name (it never matches a name);
 * a value in double quotes is returned without them; names are case-sensitive; when a
 * name appears more than once the first wins (RFC 6265 5.4 puts the most specific path
 * first).
 *
 * Query rules (application/x-www-form-urlencoded as browsers' URLSearchParams write it):
 * pairs separated by '&'; name and value are percent-decoded and '+' is a space; the
 * first pair with the name wins. A pair with a bad %-escape never matches. */
#ifndef WSINETD_COOKIE_H
#define WSINETD_COOKIE_H

#include <stdbool.h>
#include <stddef.h>

#include "http_req.h"

/* Iterate the pairs of one Cookie header value: *pos starts at 0. Returns false at the
 * end. Empty pairs ("a=1;;b=2") are skipped. Quotes around the value are removed. */
bool cookie_next(const char *v, size_t len, size_t *pos, const char **name, size_t *name_len,
		 const char **value, size_t *value_len);

/* The first cookie called `name` across every Cookie header: true and the value slice,
 * or false. */
bool cookie_find(const struct http_req *req, const char *name, const char **value,
		 size_t *value_len);

/* Every Cookie header joined with "; " (as the program's HTTP_COOKIE is), minus each
 * pair called `name`; the other pairs as received (trimmed). Writes a NUL-terminated
 * string into out; returns its length, or -1 if cap is too small. *removed counts the
 * pairs dropped. */
long cookie_strip(const struct http_req *req, const char *name, char *out, size_t cap,
		  size_t *removed);
/* A cap with which cookie_strip never fails: pairs are re-joined with "; " where the
 * request may have used ";" alone ("a;a" becomes "a; a"), so twice the Cookie values,
 * the joins between headers and the NUL. */
size_t cookie_strip_cap(const struct http_req *req);

/* The first query parameter called `name` (decoded): copies its decoded value into out
 * (NUL-terminated) and returns its length; -1 if absent, -2 if the decoded value does not
 * fit in cap. A decoded value containing NUL is skipped (-1 unless a later pair fits). */
long query_find(const char *q, size_t len, const char *name, char *out, size_t cap);

/* q minus every parameter whose decoded name is `name`; others kept byte for byte, joined
 * with '&'. Writes a NUL-terminated string into out (cap >= len + 1 always suffices);
 * returns its length, or -1 if cap is too small. */
long query_strip(const char *q, size_t len, const char *name, char *out, size_t cap,
		 size_t *removed);

#endif
