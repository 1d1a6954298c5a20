/* b64.c - strict base64 (RFC 4648 section 4) and base64url (section 5). Pure.
 *
 * Strict means one spelling per byte string: no whitespace, no characters outside the
 * alphabet, padding exactly where section 3.2 puts it (standard) or not at all (url),
 * and the unused low bits of the last character zero (section 3.5), so a key or token
 * cannot be accepted under two different texts. */
#include "b64.h"

#include <stdbool.h>

#include "err.h"

/* Not <limits.h>: with -Ihandler that name finds handler/limits.h, not the system one. */
#define B64_LONG_MAX ((size_t)(~0UL >> 1))

static const char b64_std[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t b64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0, i = 0;

	for (; n - i >= 3; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64_std[v >> 18];
		out[o++] = b64_std[(v >> 12) & 63];
		out[o++] = b64_std[(v >> 6) & 63];
		out[o++] = b64_std[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = b64_std[v >> 18];
		out[o++] = b64_std[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64_std[v >> 18];
		out[o++] = b64_std[(v >> 12) & 63];
		out[o++] = b64_std[(v >> 6) & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

/* The 6-bit value of an alphabet character, or -1. The two alphabets differ only in
 * the last two characters (RFC 4648 tables 1 and 2); '=' is never a value. */
static int b64_val(unsigned char c, bool url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/* Decode n alphabet characters (padding already removed). n % 4 is 0, 2 or 3: a
 * group of one character cannot carry a whole byte. Everything is validated even when
 * the output does not fit, so a malformed input is reported as such whatever out_cap;
 * out is written only when the whole result fits. */
static long b64_core(const char *in, size_t n, bool url, uint8_t *out, size_t out_cap)
{
	size_t rem = n % 4, outlen, o = 0;
	bool fits;

	if (rem == 1)
		return WS_E_MALFORMED;
	outlen = n / 4 * 3 + (rem ? rem - 1 : 0);
	if (outlen > B64_LONG_MAX)
		return WS_E_LIMIT;
	fits = outlen <= out_cap;

	for (size_t i = 0; i < n; i += 4) {
		size_t k = n - i < 4 ? n - i : 4;
		uint32_t v = 0;

		for (size_t j = 0; j < k; j++) {
			int d = b64_val((unsigned char)in[i + j], url);
			if (d < 0)
				return WS_E_MALFORMED;
			v = v << 6 | (uint32_t)d;
		}
		/* A short last group: its unused low bits must be zero (RFC 4648 3.5). */
		if (k == 2) {
			if (v & 0xFu)
				return WS_E_MALFORMED;
			v <<= 12;
		} else if (k == 3) {
			if (v & 0x3u)
				return WS_E_MALFORMED;
			v <<= 6;
		}
		if (!fits)
			continue;
		out[o++] = (uint8_t)(v >> 16);
		if (k > 2)
			out[o++] = (uint8_t)(v >> 8);
		if (k > 3)
			out[o++] = (uint8_t)v;
	}
	return fits ? (long)outlen : WS_E_LIMIT;
}

long b64_decode(const char *in, size_t n, uint8_t *out, size_t out_cap)
{
	size_t pad = 0;

	/* Padding is mandatory (RFC 4648 3.2), so the text is whole groups of four, and
	 * only the last group may end in one or two '='. A '=' anywhere else is left in
	 * the data and rejected there as a non-alphabet character. */
	if (n % 4 != 0)
		return WS_E_MALFORMED;
	if (n > 0 && in[n - 1] == '=') {
		pad++;
		if (in[n - 2] == '=')
			pad++;
	}
	return b64_core(in, n - pad, false, out, out_cap);
}

long b64url_decode(const char *in, size_t n, uint8_t *out, size_t out_cap)
{
	/* JWS (RFC 7515 2) drops the padding, so any '=' is simply a bad character. */
	return b64_core(in, n, true, out, out_cap);
}
