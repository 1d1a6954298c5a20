/* test_sha1.c - SHA-1: the FIPS 180 / RFC 3174 vectors, every split point, input on a
 * guard page, and agreement with OpenSSL's SHA-1 on random inputs of every length. */
#include "tap.h"

#include <openssl/evp.h>
#include <stdlib.h>

#include "sha1.h"

static void hex(const uint8_t *d, char out[41])
{
	for (unsigned i = 0; i < SHA1_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void digest_hex(const void *p, size_t n, char out[41])
{
	struct sha1 s;
	uint8_t d[SHA1_LEN];
	sha1_init(&s);
	sha1_update(&s, p, n);
	sha1_final(&s, d);
	hex(d, out);
}

static void test_vectors(void)
{
	static const struct {
		const char *in;
		const char *want;
	} v[] = {
		{ "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
		{ "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
		{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
		  "klmnopqrlmnopqrsmnopqrstnopqrstu",
		  "a49b2446a02c645bf419f995b67091253a04a259" },
	};
	char got[41];
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = strlen(v[i].in);
		uint8_t *g = guard_copy(v[i].in, n);
		digest_hex(g, n, got);
		guard_free(g, n);
		ok(strcmp(got, v[i].want) == 0, "FIPS 180 vector %zu (%zu bytes): %s", i, n, got);
	}

	/* One million 'a', fed in uneven pieces (FIPS 180-2 appendix A.3). */
	struct sha1 s;
	uint8_t d[SHA1_LEN];
	char a[997];
	memset(a, 'a', sizeof(a));
	sha1_init(&s);
	size_t left = 1000000;
	for (size_t k = 1; left; k = k % 997 + 1) {
		size_t take = k < left ? k : left;
		sha1_update(&s, a, take);
		left -= take;
	}
	sha1_final(&s, d);
	hex(d, got);
	ok(strcmp(got, "34aa973cd4c4daa4f61eeb2bdbad27316534016f") == 0,
	   "a million 'a' in uneven pieces: %s", got);
}

/* The RFC 6455 section 1.3 example goes through the same code in test_handshake; here,
 * every split of one input gives the same digest. */
static void test_splits(void)
{
	uint8_t buf[200];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	char want[41], got[41];
	digest_hex(buf, sizeof(buf), want);
	int fails = 0;
	for (size_t a = 0; a <= sizeof(buf); a++) {
		for (size_t b = a; b <= sizeof(buf); b += 13) {
			struct sha1 s;
			uint8_t d[SHA1_LEN];
			sha1_init(&s);
			sha1_update(&s, buf, a);
			sha1_update(&s, buf + a, b - a);
			sha1_update(&s, buf + b, sizeof(buf) - b);
			sha1_final(&s, d);
			hex(d, got);
			fails += strcmp(got, want) != 0;
		}
	}
	is_int(fails, 0, "every split of a 200-byte input gives one digest");
}

/* Against OpenSSL: every length 0..600 (all padding cases, several blocks), random
 * bytes from a fixed seed. */
static void test_openssl(void)
{
	uint8_t buf[600];
	srand(6455);
	int fails = 0;
	for (size_t n = 0; n <= sizeof(buf); n++) {
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rand();
		uint8_t ref[EVP_MAX_MD_SIZE], d[SHA1_LEN];
		unsigned rl = 0;
		if (EVP_Digest(buf, n, ref, &rl, EVP_sha1(), NULL) != 1 || rl != SHA1_LEN) {
			fails++;
			continue;
		}
		struct sha1 s;
		sha1_init(&s);
		sha1_update(&s, buf, n);
		sha1_final(&s, d);
		fails += memcmp(d, ref, SHA1_LEN) != 0;
	}
	is_int(fails, 0, "equal to OpenSSL's SHA-1 for every length 0..600");
}

int main(void)
{
	test_vectors();
	test_splits();
	test_openssl();
	return done_testing();
}
