/* fuzz_urlpath - request paths made safe to map onto a directory (handler/urlpath.c),
 * the guard of --dir, --staticdir and --cgidir against path traversal.
 * Properties of every accepted path: starts with '/', NUL-terminated at its length,
 * no "//", no "." or ".." segment, no control byte or NUL, no '%' escape left
 * undecoded that would decode to '/' (a '%' may remain only as a decoded literal);
 * normalising the output again gives it back unchanged when it has no '%' (idempotent);
 * the output is no longer than the input; cap == len + 2 always suffices and a cap one
 * byte short of the result is WS_E_LIMIT; urlpath_split_first's slices lie in the
 * output and its name has no '/' and does not start with '.'. */
#include <stdbool.h>
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "urlpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_dup(data, size);
	size_t cap = size + 2;
	char *out = malloc(cap);
	const char *why = NULL;
	int n = urlpath_normalize(in, size, out, cap, &why);
	CHECK(n >= 0 || n == WS_E_MALFORMED, "normalize %d with cap len+2", n);
	if (n < 0) {
		CHECK(why != NULL, "no reason");
		goto out;
	}
	CHECK((size_t)n <= size && out[n] == '\0' && strlen(out) == (size_t)n, "length %d", n);
	CHECK(n >= 1 && out[0] == '/', "does not start with /");
	for (int i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];
		CHECK(c >= 0x20 && c != 0x7f, "control byte %02x", c);
	}
	CHECK(strstr(out, "//") == NULL, "// in %s", out);
	/* Segments: none is "." or "..". */
	for (const char *p = out + 1; *p;) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		CHECK(!(l == 1 && p[0] == '.') && !(l == 2 && p[0] == '.' && p[1] == '.'),
		      "dot segment in %s", out);
		if (!e)
			break;
		p = e + 1;
	}
	if (!memchr(out, '%', (size_t)n)) {
		char *again = malloc((size_t)n + 2);
		int m = urlpath_normalize(out, (size_t)n, again, (size_t)n + 2, &why);
		CHECK(m == n && memcmp(again, out, (size_t)n) == 0, "not idempotent: %s -> %d", out, m);
		free(again);
	}
	if (n > 0) {
		char *tight = malloc((size_t)n);
		CHECK(urlpath_normalize(in, size, tight, (size_t)n, &why) == WS_E_LIMIT, "cap one short");
		free(tight);
	}
	const char *name, *rest;
	size_t nl, rl;
	int r = urlpath_split_first(out, (size_t)n, &name, &nl, &rest, &rl);
	if (r == 0) {
		CHECK(name >= out && name + nl <= out + n, "name slice");
		CHECK(rl == 0 || (rest >= out && rest + rl <= out + n), "rest slice");
		CHECK(nl > 0 && memchr(name, '/', nl) == NULL && name[0] != '.', "name");
	} else {
		CHECK(r == WS_E_UNSUPPORTED, "split %d", r);
	}
	(void)urlpath_is_folder(out, (size_t)n);
out:
	free(out);
	free(in);
	return 0;
}
