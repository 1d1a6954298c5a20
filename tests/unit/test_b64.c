/* test_b64.c - base64 / base64url: RFC 4648 section 10 vectors, strictness, limits. */
#include "tap.h"

#include "b64.h"
#include "err.h"

struct vec {
	const char *raw;
	const char *std;
	const char *url;
};

/* RFC 4648 section 10, plus the two characters where the alphabets differ. */
static const struct vec vecs[] = {
	{ "", "", "" },
	{ "f", "Zg==", "Zg" },
	{ "fo", "Zm8=", "Zm8" },
	{ "foo", "Zm9v", "Zm9v" },
	{ "foob", "Zm9vYg==", "Zm9vYg" },
	{ "fooba", "Zm9vYmE=", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
	{ "\xfb\xff", "+/8=", "-_8" },
	{ "\xfb\xef\xbe", "++++", "----" },
	{ "\xff\xff\xff", "////", "____" },
};
#define NVECS (sizeof(vecs) / sizeof(vecs[0]))

/* Decode from a guard page so any over-read faults. */
static long dec_guard(const char *s, size_t n, uint8_t *out, size_t cap, int url)
{
	uint8_t *g = guard_copy(s, n);
	long r = url ? b64url_decode((const char *)g, n, out, cap)
		     : b64_decode((const char *)g, n, out, cap);
	guard_free(g, n);
	return r;
}

static long dec(const char *s, uint8_t *out, size_t cap)
{
	return dec_guard(s, strlen(s), out, cap, 0);
}

static long decu(const char *s, uint8_t *out, size_t cap)
{
	return dec_guard(s, strlen(s), out, cap, 1);
}

static void test_vectors(void)
{
	for (size_t i = 0; i < NVECS; i++) {
		const struct vec *v = &vecs[i];
		size_t rl = strlen(v->raw);
		char enc[64];
		uint8_t out[64];
		size_t n;
		long r;

		memset(enc, 'X', sizeof(enc));
		n = b64_encode((const uint8_t *)v->raw, rl, enc);
		ok(n == strlen(v->std) && strcmp(enc, v->std) == 0, "encode \"%s\" -> %s", v->std, enc);
		is_int(n, B64_ENC_LEN(rl), "B64_ENC_LEN(%zu)", rl);

		r = dec(v->std, out, rl);
		ok(r == (long)rl && memcmp(out, v->raw, rl) == 0, "decode %s with exact cap", v->std);
		if (rl > 0)
			is_int(dec(v->std, out, rl - 1), WS_E_LIMIT, "decode %s with cap-1 is LIMIT", v->std);

		r = decu(v->url, out, rl);
		ok(r == (long)rl && memcmp(out, v->raw, rl) == 0, "url-decode %s", v->url);
		if (rl > 0)
			is_int(decu(v->url, out, rl - 1), WS_E_LIMIT, "url-decode %s cap-1 is LIMIT", v->url);
	}
}

static void test_empty(void)
{
	is_int(b64_decode("", 0, NULL, 0), 0, "empty decodes to 0 bytes with NULL out");
	is_int(b64url_decode("", 0, NULL, 0), 0, "empty url-decodes to 0 bytes");
}

static void test_padding(void)
{
	static const char *bad[] = {
		"Zg",       /* padding is mandatory */
		"Zg=",      /* not a whole group */
		"Zm8",
		"Z",
		"Z===",     /* three pad characters */
		"====",
		"=Zg=",     /* pad at the start */
		"Zg=a",     /* pad inside the last group */
		"Zg==Zg==", /* padding in a middle group */
		"Zm9v====",
		"Zm9v=",
		"Zm9vY",
	};
	uint8_t out[16];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(dec(bad[i], out, sizeof(out)), WS_E_MALFORMED, "padding error \"%s\"", bad[i]);

	is_int(decu("Zg==", out, sizeof(out)), WS_E_MALFORMED, "url: padding is rejected");
	is_int(decu("Zm8=", out, sizeof(out)), WS_E_MALFORMED, "url: single pad rejected");
	is_int(decu("Z", out, sizeof(out)), WS_E_MALFORMED, "url: 1 char group rejected");
	is_int(decu("Zm9vY", out, sizeof(out)), WS_E_MALFORMED, "url: len %% 4 == 1 rejected");
}

static void test_bad_chars(void)
{
	static const char *bad[] = {
		"Zm9 ", " Zm9v", "Zm9v\n", "Zm\r\n9v", "Zm-v", "Zm_v", "Zm9v\t", "Zm.v", "Zm9\x80",
		"Zm9\xff",
	};
	uint8_t out[16];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(dec(bad[i], out, sizeof(out)), WS_E_MALFORMED, "bad character in std #%zu", i);
	is_int(dec_guard("Zm\0v", 4, out, sizeof(out), 0), WS_E_MALFORMED, "NUL rejected");
	is_int(dec_guard("Zm\0v", 4, out, sizeof(out), 1), WS_E_MALFORMED, "url: NUL rejected");
	is_int(decu("Zm+v", out, sizeof(out)), WS_E_MALFORMED, "url: '+' rejected");
	is_int(decu("Zm/v", out, sizeof(out)), WS_E_MALFORMED, "url: '/' rejected");
	is_int(decu("Zm9v Zg", out, sizeof(out)), WS_E_MALFORMED, "url: space rejected");

	/* Exactly the 64 alphabet characters are accepted in the last position. */
	int nstd = 0, nurl = 0;
	for (int c = 0; c < 256; c++) {
		char s[4] = { 'Z', 'm', '9', (char)c };
		if (dec_guard(s, 4, out, sizeof(out), 0) == 3)
			nstd++;
		if (dec_guard(s, 4, out, sizeof(out), 1) == 3)
			nurl++;
	}
	is_int(nstd, 64, "std alphabet has exactly 64 accepted characters");
	is_int(nurl, 64, "url alphabet has exactly 64 accepted characters");
}

static void test_trailing_bits(void)
{
	uint8_t out[16];

	/* "Zg==" is 'f'; 'h' sets a bit the padding says does not exist (RFC 4648 3.5). */
	is_int(dec("Zg==", out, sizeof(out)), 1, "Zg== ok");
	is_int(dec("Zh==", out, sizeof(out)), WS_E_MALFORMED, "Zh== non-zero trailing bits");
	is_int(dec("Zv==", out, sizeof(out)), WS_E_MALFORMED, "Zv== non-zero trailing bits");
	is_int(dec("Zm8=", out, sizeof(out)), 2, "Zm8= ok");
	is_int(dec("Zm9=", out, sizeof(out)), WS_E_MALFORMED, "Zm9= non-zero trailing bits");
	is_int(dec("Zm/=", out, sizeof(out)), WS_E_MALFORMED, "Zm/= non-zero trailing bits");
	is_int(decu("Zh", out, sizeof(out)), WS_E_MALFORMED, "url: Zh non-zero trailing bits");
	is_int(decu("Zm9", out, sizeof(out)), WS_E_MALFORMED, "url: Zm9 non-zero trailing bits");
	is_int(decu("Zm8", out, sizeof(out)), 2, "url: Zm8 ok");
}

static void test_limit(void)
{
	uint8_t out[8];

	memset(out, 0xAA, sizeof(out));
	is_int(dec("Zm9vYmFy", out, 5), WS_E_LIMIT, "6 bytes into 5 is LIMIT");
	ok(out[0] == 0xAA && out[5] == 0xAA, "nothing written on LIMIT");
	is_int(dec("Zm9vYm!y", out, 1), WS_E_MALFORMED, "malformed wins over a small cap");
	is_int(dec("Zm9vYmE=", out, 0), WS_E_LIMIT, "cap 0 is LIMIT");
}

/* Round trip of every length 0..70 over varied bytes, through both alphabets. */
static void test_roundtrip(void)
{
	uint8_t raw[70], out[70];
	char enc[B64_ENC_LEN(70) + 1], url[sizeof(enc)];
	int fails = 0;
	uint32_t x = 12345;

	for (size_t n = 0; n <= sizeof(raw); n++) {
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			raw[i] = (uint8_t)(x >> 16);
		}
		size_t el = b64_encode(raw, n, enc), ul = 0;
		if (el != B64_ENC_LEN(n) || enc[el] != '\0')
			fails++;
		if (dec_guard(enc, el, out, n, 0) != (long)n || (n && memcmp(raw, out, n) != 0))
			fails++;
		for (size_t i = 0; i < el && enc[i] != '='; i++)
			url[ul++] = enc[i] == '+' ? '-' : enc[i] == '/' ? '_' : enc[i];
		if (dec_guard(url, ul, out, n, 1) != (long)n || (n && memcmp(raw, out, n) != 0))
			fails++;
	}
	is_int(fails, 0, "round trip lengths 0..70, std and url");

	fails = 0;
	for (int b = 0; b < 256; b++) {
		uint8_t one = (uint8_t)b;
		b64_encode(&one, 1, enc);
		if (dec(enc, out, 1) != 1 || out[0] != one)
			fails++;
	}
	is_int(fails, 0, "every single byte round-trips");
}

int main(void)
{
	test_vectors();
	test_empty();
	test_padding();
	test_bad_chars();
	test_trailing_bits();
	test_limit();
	test_roundtrip();
	return done_testing();
}
