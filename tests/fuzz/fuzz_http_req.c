/* fuzz_http_req - the request head parser (handler/http_req.c).
 *
 * Input: byte 0 picks max_headers (4..WS_HEADERS_MAX), the rest is the request head.
 * Properties checked beyond "no crash, no out-of-bounds read":
 *   - the result is a length within the input, WS_NEED_MORE, WS_E_MALFORMED or WS_E_LIMIT;
 *   - every slice lies inside the input, nheaders <= max_headers;
 *   - the fields obey the grammar in http_req.h (token method and names, visible-ASCII
 *     target, values without CTLs other than HTAB and without surrounding OWS);
 *   - a complete head parses the same when given exactly its bytes, and every shorter
 *     prefix of it is WS_NEED_MORE (the caller reads byte by byte);
 *   - an error on the whole input is reached with no success on a prefix. */
#include <stdbool.h>
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "http_req.h"

static bool inside(const uint8_t *buf, size_t len, const char *p, size_t n)
{
	return (const uint8_t *)p >= buf && n <= len && (const uint8_t *)p - buf <= (long)(len - n);
}

static void check_req(const uint8_t *buf, size_t len, size_t maxh, const struct http_req *r)
{
	CHECK(r->nheaders <= maxh && r->nheaders <= WS_HEADERS_MAX, "nheaders %zu", r->nheaders);
	CHECK(r->method_len > 0 && inside(buf, len, r->method, r->method_len), "method slice");
	for (size_t i = 0; i < r->method_len; i++)
		CHECK(fuzz_tchar((unsigned char)r->method[i]), "method byte %02x", r->method[i]);
	CHECK(r->target_len > 0 && inside(buf, len, r->target, r->target_len), "target slice");
	for (size_t i = 0; i < r->target_len; i++) {
		unsigned char c = (unsigned char)r->target[i];
		CHECK(c > 0x20 && c < 0x7f, "target byte %02x", c);
	}
	CHECK(r->minor_version == 0 || r->minor_version == 1, "minor %d", r->minor_version);
	for (size_t h = 0; h < r->nheaders; h++) {
		const struct http_header *x = &r->headers[h];
		CHECK(x->name_len > 0 && inside(buf, len, x->name, x->name_len), "name slice %zu", h);
		for (size_t i = 0; i < x->name_len; i++)
			CHECK(fuzz_tchar((unsigned char)x->name[i]), "name byte %02x", x->name[i]);
		CHECK(x->value_len == 0 || inside(buf, len, x->value, x->value_len), "value slice");
		for (size_t i = 0; i < x->value_len; i++) {
			unsigned char c = (unsigned char)x->value[i];
			CHECK(c == '\t' || (c >= 0x20 && c != 0x7f), "value byte %02x", c);
		}
		if (x->value_len) {
			unsigned char a = (unsigned char)x->value[0];
			unsigned char z = (unsigned char)x->value[x->value_len - 1];
			CHECK(a != ' ' && a != '\t' && z != ' ' && z != '\t', "OWS not trimmed");
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t maxh = 4 + data[0] % (WS_HEADERS_MAX - 3);
	if (data[0] & 0x80)
		maxh = WS_HEADERS_DEFAULT;
	data++;
	size--;
	/* An exact-size heap copy: ASan catches a read one byte past the end. */
	uint8_t *buf = fuzz_dup(data, size);

	static struct http_req req, req2; /* large (1000 headers): not on the stack */
	int r = http_req_parse(buf, size, maxh, &req);
	CHECK(r == WS_NEED_MORE || r == WS_E_MALFORMED || r == WS_E_LIMIT ||
	      (r > 0 && (size_t)r <= size), "result %d for %zu bytes", r, size);
	if (r < 0 && r != WS_NEED_MORE)
		CHECK(req.why != NULL, "error without a reason");
	if (r > 0) {
		check_req(buf, size, maxh, &req);
		int r2 = http_req_parse(buf, (size_t)r, maxh, &req2);
		CHECK(r2 == r, "exact head: %d vs %d", r2, r);
		CHECK(req2.nheaders == req.nheaders, "nheaders differ");
		/* Every prefix is incomplete: all of them for small heads, a sample otherwise. */
		size_t step = (size_t)r <= 512 ? 1 : (size_t)r / 257 + 1;
		for (size_t k = 0; k < (size_t)r; k += step) {
			int rp = http_req_parse(buf, k, maxh, &req2);
			CHECK(rp == WS_NEED_MORE, "prefix %zu of a %d-byte head: %d", k, r, rp);
		}
	} else if (r != WS_NEED_MORE) {
		/* Feeding stops at the first error, so no prefix may have been a whole head. */
		size_t step = size <= 512 ? 1 : size / 257 + 1;
		for (size_t k = 0; k < size; k += step) {
			int rp = http_req_parse(buf, k, maxh, &req2);
			CHECK(rp < 0, "prefix %zu parses (%d) but the whole input fails (%d)", k, rp, r);
		}
	}
	free(buf);
	return 0;
}
