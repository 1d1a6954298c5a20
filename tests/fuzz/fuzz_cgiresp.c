/* fuzz_cgiresp - the header block a CGI script prints (handler/cgiresp.c): the script is
 * as untrusted as a client, its headers go to the client.
 * Properties: the result is a length within the input, WS_NEED_MORE, WS_E_MALFORMED (with
 * a reason) or WS_E_LIMIT; on success the status is 200..599 (302 with a Location and no
 * Status), every header name is a token and every value has no control byte but HTAB and
 * no CR/LF (no response splitting), no header is "Status", all slices lie in the input;
 * the exact block parses the same and every shorter prefix of it is WS_NEED_MORE. */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "cgiresp.h"
#include "err.h"
#include "fuzz.h"

static bool inside(const uint8_t *b, size_t len, const char *p, size_t n)
{
	return (const uint8_t *)p >= b && (const uint8_t *)p + n <= b + len;
}

static struct cgiresp res, res2;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = fuzz_dup(data, size);
	int r = cgiresp_parse(buf, size, &res);
	CHECK(r == WS_NEED_MORE || r == WS_E_MALFORMED || r == WS_E_LIMIT || (r > 0 && (size_t)r <= size),
	      "result %d", r);
	if (r == WS_E_MALFORMED)
		CHECK(res.why != NULL, "no reason");
	if (r > 0) {
		CHECK(res.status >= 200 && res.status <= 599, "status %d", res.status);
		CHECK(res.nheaders <= WS_CGI_HEADERS_MAX, "nheaders");
		if (res.reason)
			CHECK(inside(buf, size, res.reason, res.reason_len), "reason slice");
		for (size_t i = 0; i < res.reason_len; i++)
			CHECK((unsigned char)res.reason[i] >= 0x20 || res.reason[i] == '\t', "reason byte");
		for (size_t h = 0; h < res.nheaders; h++) {
			const struct cgi_header *x = &res.headers[h];
			CHECK(x->name_len > 0 && inside(buf, size, x->name, x->name_len), "name slice");
			for (size_t i = 0; i < x->name_len; i++)
				CHECK(fuzz_tchar((unsigned char)x->name[i]), "name byte %02x", x->name[i]);
			CHECK(!(x->name_len == 6 && strncasecmp(x->name, "Status", 6) == 0), "Status kept");
			CHECK(x->value_len == 0 || inside(buf, size, x->value, x->value_len), "value slice");
			for (size_t i = 0; i < x->value_len; i++) {
				unsigned char c = (unsigned char)x->value[i];
				CHECK(c == '\t' || (c >= 0x20 && c != 0x7f), "value byte %02x", c);
			}
		}
		CHECK(cgiresp_parse(buf, (size_t)r, &res2) == r, "exact block");
		size_t step = (size_t)r <= 512 ? 1 : (size_t)r / 257 + 1;
		for (size_t k = 0; k < (size_t)r; k += step) {
			int rp = cgiresp_parse(buf, k, &res2);
			CHECK(rp == WS_NEED_MORE, "prefix %zu of %d: %d", k, r, rp);
		}
	}
	free(buf);
	return 0;
}
