/* urlpath.h - the path of a request-target, made safe to map onto a directory.
 * Pure: no I/O, caller-owned output.
 *
 * urlpath_normalize() takes the origin-form path (the request-target up to '?', as
 * sent) and produces its decoded, normalised form:
 *   - it must start with '/' (RFC 7230 5.3.1 origin-form);
 *   - %XX escapes are decoded (RFC 3986 2.1); a '%' not followed by two hex digits is
 *     malformed;
 *   - an encoded '/' (%2F) or an encoded or raw NUL is refused: a decoded slash would
 *     let one segment name a path inside another, a NUL would cut the file name;
 *   - control bytes (0x01-0x1F, 0x7F), raw or decoded, are refused;
 *   - empty segments ("//") and "." segments are dropped;
 *   - a ".." segment, raw or decoded ("%2e%2e", ".%2E"), is refused, never resolved:
 *     nothing a client sends can name a path above the directory;
 *   - a trailing '/' is kept (it says "a folder").
 * The output is NUL-terminated, starts with '/', has no "//", no "." or ".." segment.
 * Returns its length, or WS_E_MALFORMED with *why set (one line, static storage), or
 * WS_E_LIMIT when cap is too small (cap >= len + 2 always suffices). */
#ifndef WSINETD_URLPATH_H
#define WSINETD_URLPATH_H

#include <stddef.h>

int urlpath_normalize(const char *in, size_t len, char *out, size_t cap, const char **why);

/* Split a normalised path "/name/extra..." into its first segment and the rest, the
 * way --dir and --cgidir map a URL onto a script: name = "name" (no slash), rest =
 * "/extra..." (or "" when there is nothing after the name; "/" for "/name/"). Slices
 * into `norm`. Returns 0, or WS_E_UNSUPPORTED when there is no first segment ("/") or
 * it starts with '.' (hidden files are never scripts). */
int urlpath_split_first(const char *norm, size_t len, const char **name, size_t *name_len,
			const char **rest, size_t *rest_len);

/* True when the request-target is a path the static file server would treat as a
 * folder: ends with '/'. */
int urlpath_is_folder(const char *norm, size_t len);

#endif
