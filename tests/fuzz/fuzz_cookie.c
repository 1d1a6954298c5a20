/* fuzz_cookie - Cookie header pairs and query parameters (handler/cookie.c): where a
 * credential is found, and how it is removed before the program sees the rest.
 *
 * Input: byte 0 picks the credential's name (from a list, or the input's first line),
 * the rest is split on '\n' into Cookie header values (put in a struct http_req) and is
 * also used whole as a query string.
 * Properties:
 *   - cookie_next: slices inside the value, trimmed, progress on every call;
 *   - cookie_strip: output NUL-terminated within cap; the result holds no pair of that
 *     name; *removed equals the count of such pairs; a cap one byte short fails cleanly;
 *     cookie_find finds nothing in the stripped result exactly when removed > 0 was all;
 *   - query_find: the value fits its cap and has no NUL; query_strip's result (never
 *     longer than the input) holds no parameter of that name. */
#include <stdbool.h>
#include <string.h>

#include "cookie.h"
#include "fuzz.h"
#include "http_req.h"

static const char *const names[] = { "token", "session", "a", "" , "=", "x y", "%74oken" };

static struct http_req req;

static size_t count_named(const char *v, size_t len, const char *name)
{
	size_t pos = 0, n = 0, nl, vl, guard = 0;
	const char *np, *vp;
	while (cookie_next(v, len, &pos, &np, &nl, &vp, &vl)) {
		CHECK(++guard <= len, "no progress");
		CHECK(np >= v && np + nl <= v + len && vp >= v && vp + vl <= v + len, "slices");
		CHECK(pos <= len, "pos %zu", pos);
		if (nl) {
			CHECK(np[0] != ' ' && np[0] != '\t' && np[nl - 1] != ' ' && np[nl - 1] != '\t',
			      "name not trimmed");
			CHECK(memchr(np, ';', nl) == NULL && memchr(np, '=', nl) == NULL, "name");
		}
		if (nl == strlen(name) && nl && memcmp(np, name, nl) == 0)
			n++;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t sel = take_flags(&data, &size);
	char *in = malloc(size + 1);
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	char namebuf[64];
	const char *name = names[sel % 7];
	if (sel & 0x80) {
		const char *nl = memchr(in, '\n', size);
		size_t l = nl ? (size_t)(nl - in) : size;
		if (l >= sizeof(namebuf))
			l = sizeof(namebuf) - 1;
		memcpy(namebuf, in, l);
		namebuf[l] = '\0';
		name = namebuf;
	}

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.method_len = 3;
	req.target = "/";
	req.target_len = 1;
	req.minor_version = 1;
	size_t p = 0, expect = 0;
	while (p <= size && req.nheaders < 64) {
		const char *e = memchr(in + p, '\n', size - p);
		size_t l = e ? (size_t)(e - (in + p)) : size - p;
		req.headers[req.nheaders++] = (struct http_header){
			(sel & 0x40) && req.nheaders % 2 ? "X-Other" : "Cookie", 0, in + p, l };
		req.headers[req.nheaders - 1].name_len = strlen(req.headers[req.nheaders - 1].name);
		if (req.headers[req.nheaders - 1].name[0] == 'C')
			expect += count_named(in + p, l, name);
		p += l + 1;
		if (!e)
			break;
	}

	const char *fv;
	size_t fl;
	bool found = cookie_find(&req, name, &fv, &fl);
	CHECK(found == (expect > 0 && name[0] != '\0'), "cookie_find %d, %zu pairs", found, expect);
	if (found)
		CHECK(fv >= in && fv + fl <= in + size, "found value slice");

	size_t cap = cookie_strip_cap(&req), removed = 99;
	char *out = malloc(cap);
	long n = cookie_strip(&req, name, out, cap, &removed);
	CHECK(n >= 0 && (size_t)n < cap && out[n] == '\0', "cookie_strip %ld", n);
	CHECK(removed == (name[0] ? expect : 0), "removed %zu of %zu", removed, expect);
	CHECK(count_named(out, (size_t)n, name) == 0 || !name[0], "stripped output keeps the name");
	if (n > 0) {
		char *tight = malloc((size_t)n);
		size_t r2;
		CHECK(cookie_strip(&req, name, tight, (size_t)n, &r2) == -1, "cap one short");
		free(tight);
	}
	free(out);

	/* Query string: the whole input. */
	char *val = malloc(size + 1);
	long q = query_find(in, size, name, val, size + 1);
	CHECK(q >= -1, "query_find %ld with cap len+1", q);
	if (q >= 0)
		CHECK((size_t)q <= size && val[q] == '\0' && memchr(val, 0, (size_t)q) == NULL,
		      "query value");
	char *qs = malloc(size + 1);
	size_t qr;
	long s = query_strip(in, size, name, qs, size + 1, &qr);
	CHECK(s >= 0 && (size_t)s <= size && qs[s] == '\0', "query_strip %ld", s);
	CHECK(query_find(qs, (size_t)s, name, val, size + 1) == -1, "stripped query keeps it");
	if (q >= 0)
		CHECK(qr > 0, "found but nothing removed");
	free(qs);
	free(val);
	free(in);
	return 0;
}
