/* urlpath.c - percent-decoding and normalisation of request paths (see urlpath.h). */
#include "urlpath.h"

#include <stdbool.h>
#include <string.h>

#include "err.h"
#include "hdr.h"

int urlpath_normalize(const char *in, size_t len, char *out, size_t cap, const char **why)
{
	*why = NULL;
	if (len == 0 || in[0] != '/') {
		*why = "the path does not start with '/'";
		return WS_E_MALFORMED;
	}
	if (cap < 2)
		return WS_E_LIMIT;
	size_t o = 0, i = 1;
	out[o++] = '/';
	for (;;) {
		/* Decode one raw segment (up to the next '/' or the end) at out[seg..o). */
		size_t seg = o;
		while (i < len && in[i] != '/') {
			unsigned char c = (unsigned char)in[i++];
			if (c == '%') {
				int hi = i + 1 < len ? hdr_hexval(in[i]) : -1;
				int lo = i + 1 < len ? hdr_hexval(in[i + 1]) : -1;
				if (hi < 0 || lo < 0) {
					*why = "bad %-escape in the path";
					return WS_E_MALFORMED;
				}
				c = (unsigned char)(hi * 16 + lo);
				i += 2;
				if (c == '/') {
					*why = "encoded '/' (%2F) in the path";
					return WS_E_MALFORMED;
				}
			}
			if (c == 0) {
				*why = "NUL in the path";
				return WS_E_MALFORMED;
			}
			if (c < 0x20 || c == 0x7f) {
				*why = "control character in the path";
				return WS_E_MALFORMED;
			}
			if (o >= cap - 1)
				return WS_E_LIMIT;
			out[o++] = (char)c;
		}
		bool at_end = i >= len;
		size_t n = o - seg;
		if (n == 0 || (n == 1 && out[seg] == '.')) {
			o = seg; /* "//" or "/./": dropped; the '/' before it stays */
		} else if (n == 2 && out[seg] == '.' && out[seg + 1] == '.') {
			*why = "'..' in the path";
			return WS_E_MALFORMED;
		} else if (!at_end) {
			if (o >= cap - 1)
				return WS_E_LIMIT;
			out[o++] = '/';
		}
		if (at_end)
			break;
		i++; /* the '/' */
	}
	out[o] = '\0';
	return (int)o;
}

int urlpath_split_first(const char *norm, size_t len, const char **name, size_t *name_len,
			const char **rest, size_t *rest_len)
{
	*name = *rest = NULL;
	*name_len = *rest_len = 0;
	if (len < 2 || norm[0] != '/' || norm[1] == '.' || norm[1] == '/')
		return WS_E_UNSUPPORTED;
	const char *slash = memchr(norm + 1, '/', len - 1);
	*name = norm + 1;
	*name_len = slash ? (size_t)(slash - norm - 1) : len - 1;
	*rest = slash ? slash : norm + len;
	*rest_len = slash ? len - (size_t)(slash - norm) : 0;
	return 0;
}

int urlpath_is_folder(const char *norm, size_t len)
{
	return len > 0 && norm[len - 1] == '/';
}
