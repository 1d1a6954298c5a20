/* hdr.h - header field helpers over slices (RFC 7230 section 3.2.6 and 7): case-insensitive
 * names, comma-separated lists, tokens. Pure; no allocation; applies no policy. */
#ifndef WSINETD_HDR_H
#define WSINETD_HDR_H

#include <stdbool.h>
#include <stddef.h>

#include "http_req.h"

/* ASCII case-insensitive equality of a slice and a NUL-terminated literal. */
bool hdr_ieq(const char *s, size_t len, const char *lit);
/* The value of a hex digit (percent-encoding, RFC 3986 2.1), or -1. */
int hdr_hexval(char c);
/* True for RFC 7230 tchar. */
bool hdr_is_tchar(unsigned char c);

/* Iterate the elements of a #rule list: `*pos` starts at 0; each call stores the next
 * non-empty element (OWS trimmed) in *item and *item_len and returns true, or returns false
 * at the end. Empty elements ("a,,b", leading/trailing commas) are skipped. Commas
 * inside a quoted-string do not split. */
bool hdr_list_next(const char *v, size_t len, size_t *pos, const char **item, size_t *item_len);

/* True if any header named `name` (case-insensitive, all occurrences) has `token` as one
 * of its list elements (case-insensitive). */
bool hdr_has_token(const struct http_req *req, const char *name, const char *token);

/* The index of the next header named `name` at or after `from`, or -1. */
int hdr_find(const struct http_req *req, const char *name, size_t from);

/* Count of headers named `name`. */
size_t hdr_count(const struct http_req *req, const char *name);

/* Split a NUL-terminated Host value in place: cut it before ":port" and return the port
 * ("" when there is none). A bracketed IPv6 literal keeps its brackets and colons:
 * "[::1]:8080" -> "[::1]" and "8080". */
const char *hdr_host_split(char *host);

#endif
