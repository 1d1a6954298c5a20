/* fuzz_b64 - strict base64 and base64url (handler/b64.c).
 * Properties: anything b64_decode accepts is canonical (re-encoding gives the input
 * back byte for byte), likewise for b64url_decode (unpadded, '-' and '_'); encoding
 * any bytes and decoding gives them back; a too-small output buffer is WS_E_LIMIT and
 * is never overrun (exact-size heap buffers). */
#include <string.h>

#include "b64.h"
#include "err.h"
#include "fuzz.h"

static char *to_url(const char *s, size_t n, size_t *out_n)
{
	char *u = malloc(n + 1);
	if (!u)
		abort();
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '=')
			break;
		u[k++] = c == '+' ? '-' : c == '/' ? '_' : c;
	}
	u[k] = '\0';
	*out_n = k;
	return u;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	size_t cap = size; /* decoded output is always shorter than its input */
	uint8_t *out = malloc(cap ? cap : 1);
	char *enc = malloc(B64_ENC_LEN(size) + 1);
	if (!out || !enc)
		abort();

	long n = b64_decode(in, size, out, cap);
	CHECK(n >= 0 || n == WS_E_MALFORMED, "decode %ld", n);
	if (n >= 0) {
		CHECK(size % 4 == 0 && (size_t)n == size / 4 * 3 - (size && in[size - 1] == '=') -
				       (size > 1 && in[size - 2] == '='), "decoded length %ld", n);
		size_t e = b64_encode(out, (size_t)n, enc);
		CHECK(e == size && memcmp(enc, in, size) == 0, "not canonical");
		if (n > 0) {
			uint8_t *tight = malloc((size_t)n - 1 ? (size_t)n - 1 : 1);
			CHECK(b64_decode(in, size, tight, (size_t)n - 1) == WS_E_LIMIT, "cap");
			free(tight);
		}
	}

	n = b64url_decode(in, size, out, cap);
	CHECK(n >= 0 || n == WS_E_MALFORMED, "url decode %ld", n);
	if (n >= 0) {
		size_t e = b64_encode(out, (size_t)n, enc), ul;
		char *u = to_url(enc, e, &ul);
		CHECK(ul == size && memcmp(u, in, size) == 0, "url not canonical");
		free(u);
	}

	/* Encode the input bytes, decode them back (both alphabets). */
	size_t e = b64_encode(data, size, enc);
	CHECK(e == B64_ENC_LEN(size) && enc[e] == '\0', "encoded length");
	uint8_t *back = malloc(size ? size : 1);
	n = b64_decode(enc, e, back, size);
	CHECK(n == (long)size && memcmp(back, data, size) == 0, "round trip %ld", n);
	size_t ul;
	char *u = to_url(enc, e, &ul);
	n = b64url_decode(u, ul, back, size);
	CHECK(n == (long)size && memcmp(back, data, size) == 0, "url round trip %ld", n);
	free(u);
	free(back);
	free(out);
	free(enc);
	return 0;
}
