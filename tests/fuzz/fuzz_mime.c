/* fuzz_mime - Content-Type by file name extension (handler/mime.c): the type --staticdir
 * sends for a request path, which goes into the response head as is.
 *
 * Input: the whole input is the name (a path, any bytes, NUL included).
 * Properties:
 *   - mime_type reads only its len bytes (an exact-size heap copy) and never returns
 *     NULL; the result is a media type "type/subtype" of token characters with at most
 *     the parameter "; charset=utf-8", which every text/ type carries; so no control
 *     byte, CR or LF can reach the header; the same name gives the same type;
 *   - the match is case-insensitive: flipping the case of any ASCII letters changes
 *     nothing;
 *   - only the last path segment counts: the name gives the type of "/" + that segment,
 *     with any directory put in front; a segment with no '.' or only a leading one
 *     (a hidden file) is application/octet-stream, as is a trailing '.' or '/';
 *   - otherwise only the text after the segment's last '.' counts ("f." + it gives the
 *     same type), and a type other than application/octet-stream means that text is
 *     non-empty ASCII letters and digits;
 *   - a few extensions every web page uses map to their well-known types. */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "mime.h"

#define OCTET "application/octet-stream"
#define CHARSET "; charset=utf-8"

static const struct {
	const char *ext, *type;
} known[] = {
	{ "html", "text/html" CHARSET }, { "htm", "text/html" CHARSET },
	{ "css", "text/css" CHARSET },   { "js", "text/javascript" CHARSET },
	{ "json", "application/json" },  { "png", "image/png" },
	{ "jpg", "image/jpeg" },         { "svg", "image/svg+xml" },
	{ "txt", "text/plain" CHARSET }, { "wasm", "application/wasm" },
	{ "gz", "application/gzip" },
};

static size_t token(const char *s)
{
	size_t n = 0;
	while (fuzz_tchar((unsigned char)s[n]))
		n++;
	return n;
}

/* mime_type on an exact-size heap copy; the result is static, so it outlives the copy. */
static const char *type_of(const char *s, size_t n)
{
	char *p = fuzz_dup((const uint8_t *)s, n);
	const char *t = mime_type(p, n);
	CHECK(t != NULL, "NULL for a %zu-byte name", n);
	free(p);
	return t;
}

/* The type of prefix + s[0..n) + suffix. */
static const char *type_of3(const char *prefix, const char *s, size_t n, const char *suffix)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);
	char *p = malloc(pl + n + sl + 1);
	if (p == NULL)
		abort();
	memcpy(p, prefix, pl);
	memcpy(p + pl, s, n);
	memcpy(p + pl + n, suffix, sl);
	const char *t = type_of(p, pl + n + sl);
	free(p);
	return t;
}

static void check_syntax(const char *t)
{
	size_t a = token(t);
	CHECK(a > 0 && t[a] == '/', "type of '%s'", t);
	size_t b = token(t + a + 1);
	CHECK(b > 0, "subtype of '%s'", t);
	const char *rest = t + a + 1 + b;
	CHECK(*rest == '\0' || strcmp(rest, CHARSET) == 0, "parameter of '%s'", t);
	CHECK(strncmp(t, "text/", 5) != 0 || *rest != '\0', "text type without charset '%s'", t);
	for (const char *p = t; *p; p++)
		CHECK(*p >= 0x20 && *p < 0x7f, "byte %02x in '%s'", (unsigned char)*p, t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *name = (const char *)data;
	const char *t = type_of(name, size);
	check_syntax(t);
	CHECK(strcmp(type_of(name, size), t) == 0, "not deterministic");

	/* case flips chosen by the input, so a crash reproduces from it alone */
	char *flip = fuzz_dup(data, size);
	struct rng g;
	rng_seed(&g, (uint32_t)size * 2654435761u ^ (size ? data[size - 1] : 0));
	for (size_t i = 0; i < size; i++) {
		char c = flip[i];
		if (((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) && (rng_next(&g) & 1))
			flip[i] = (char)(c ^ 0x20);
	}
	CHECK(strcmp(type_of(flip, size), t) == 0, "case changes '%s'", t);
	free(flip);

	size_t s0 = size;
	while (s0 > 0 && name[s0 - 1] != '/')
		s0--;
	const char *seg = name + s0;
	size_t sl = size - s0;
	CHECK(strcmp(type_of3("/", seg, sl, ""), t) == 0, "not the last segment's type '%s'", t);
	CHECK(strcmp(type_of3("/d.html/x.png.d/", seg, sl, ""), t) == 0, "directory changes '%s'", t);
	CHECK(strcmp(type_of3("", name, size, "."), OCTET) == 0, "trailing '.' typed");
	CHECK(strcmp(type_of3("", name, size, "/"), OCTET) == 0, "trailing '/' typed");

	size_t dot = sl;
	while (dot > 0 && seg[dot - 1] != '.')
		dot--;
	if (dot <= 1) {
		/* no '.' at all, or only the leading one of a hidden file */
		CHECK(strcmp(t, OCTET) == 0, "'%s' for a segment without an extension", t);
		return 0;
	}
	const char *ext = seg + dot;
	size_t el = sl - dot;
	CHECK(strcmp(type_of3("f.", ext, el, ""), t) == 0, "not the extension's type '%s'", t);
	if (strcmp(t, OCTET) != 0) {
		CHECK(el > 0, "empty extension typed '%s'", t);
		for (size_t i = 0; i < el; i++) {
			char c = ext[i];
			CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'),
			      "extension byte %02x typed '%s'", (unsigned char)c, t);
		}
	}
	for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
		if (strlen(known[k].ext) == el && strncasecmp(known[k].ext, ext, el) == 0)
			CHECK(strcmp(t, known[k].type) == 0, ".%s is '%s'", known[k].ext, t);
	return 0;
}
