/* fuzz_jwt - JWT parsing and verification (handler/jwt.c), and the key file parser.
 *
 * Input: byte 0 = policy flags (allow-list, leeway, issuer/audience), byte 1 = which
 * check, the rest is used as
 *   a) a raw token verified against an HMAC secret and against an EC P-256 public key
 *      the fuzzer does not know: it must never be accepted ("let nobody in");
 *   b) the claims of a token the harness signs itself with the HMAC secret (HS256, or
 *      HS384/HS512 by flag): if accepted, the claims obey the policy (numeric exp in the
 *      future within leeway, nbf not in the future, iss/aud as configured), and the same
 *      token with one signature bit flipped, with "alg":"none", or signed with the
 *      public key's PEM as an HMAC secret and verified with that public key (algorithm
 *      confusion), is refused;
 *   c) the bytes of a key file for jwt_key_parse (no crash, no leak; a parsed key
 *      reports algorithms that fit its type). */
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <string.h>

#include "b64.h"
#include "err.h"
#include "fuzz.h"
#include "jwt.h"

#define NOW 1700000000

static const uint8_t secret[] = "0123456789abcdef0123456789abcdef-fuzz-secret-0123456789abcdef!!";
static struct jwt_key hkey, eckey;
static char *ecpem;
static size_t ecpem_len;

static size_t b64url(const uint8_t *in, size_t n, char *out)
{
	size_t e = b64_encode(in, n, out), k = 0;
	for (size_t i = 0; i < e; i++) {
		if (out[i] == '=')
			break;
		out[k++] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	}
	out[k] = '\0';
	return k;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *why = NULL;
	if (jwt_key_parse(secret, sizeof(secret) - 1, &hkey, &why) != 0 || hkey.type != JWT_KEY_SECRET)
		abort();
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	BIO *b = BIO_new(BIO_s_mem());
	if (!pk || !b || PEM_write_bio_PUBKEY(b, pk) != 1)
		abort();
	char *p;
	long n = BIO_get_mem_data(b, &p);
	ecpem = malloc((size_t)n);
	memcpy(ecpem, p, (size_t)n);
	ecpem_len = (size_t)n;
	BIO_free(b);
	EVP_PKEY_free(pk);
	if (jwt_key_parse((const uint8_t *)ecpem, ecpem_len, &eckey, &why) != 0)
		abort();
	return 0;
}

/* header.payload.signature, HMAC-signed with key[0..klen) (klen 0: no signature). */
static char *make_token(const char *header, const uint8_t *claims, size_t clen, const EVP_MD *md,
			const void *key, size_t klen, size_t *len)
{
	size_t hl = strlen(header);
	char *t = malloc(B64_ENC_LEN(hl) + B64_ENC_LEN(clen) + B64_ENC_LEN(64) + 8);
	size_t n = b64url((const uint8_t *)header, hl, t);
	t[n++] = '.';
	n += b64url(claims, clen, t + n);
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned ml = 0;
	if (klen && !HMAC(md, key, (int)klen, (const uint8_t *)t, n, mac, &ml))
		abort();
	t[n++] = '.';
	n += b64url(mac, ml, t + n);
	*len = n;
	return t;
}

static int verify(const char *tok, size_t len, const struct jwt_key *k, const struct jwt_policy *pol)
{
	void *claims = NULL;
	unsigned alg = 0;
	const char *why = NULL;
	int r = jwt_verify(tok, len, k, pol, &claims, &alg, &why);
	if (r == 0) {
		CHECK(claims != NULL && json_is_object((json_t *)claims), "claims object");
		CHECK(alg & pol->algs, "alg %u not allowed", alg);
		json_t *c = claims;
		json_t *exp = json_object_get(c, "exp");
		CHECK(json_is_number(exp), "accepted without a numeric exp");
		CHECK(NOW < json_number_value(exp) + (double)pol->leeway, "accepted an expired token");
		json_t *nbf = json_object_get(c, "nbf");
		if (nbf)
			CHECK(json_is_number(nbf) && json_number_value(nbf) <= (double)(NOW + pol->leeway),
			      "accepted before nbf");
		if (pol->issuer) {
			json_t *iss = json_object_get(c, "iss");
			CHECK(json_is_string(iss) && strcmp(json_string_value(iss), pol->issuer) == 0 &&
			      json_string_length(iss) == strlen(pol->issuer), "issuer");
		}
		json_decref(c);
	} else {
		CHECK(r == WS_E_REFUSED || r == WS_E_LIMIT || r == WS_E_NOMEM, "verify %d", r);
		CHECK(why != NULL, "no reason");
		CHECK(claims == NULL, "claims on failure");
	}
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint8_t fl = data[0], which = data[1];
	data += 2;
	size -= 2;
	static const char *const auds[] = { "wsinetd", "other" };
	struct jwt_policy pol = {
		.algs = (fl & 1) ? (JWT_HS256 | JWT_HS384 | JWT_HS512) : JWT_HS256,
		.now = NOW,
		.leeway = (fl & 2) ? 60 : 0,
		.issuer = (fl & 4) ? "https://issuer.example" : NULL,
		.audiences = auds,
		.naudiences = (fl & 8) ? 2 : 0,
	};
	struct jwt_policy ecpol = pol;
	ecpol.algs = JWT_ES256 | JWT_HS256;

	switch (which % 3) {
	case 0: {
		char *tok = fuzz_dup(data, size);
		CHECK(verify(tok, size, &hkey, &pol) != 0, "a token the fuzzer made up was accepted (HMAC)");
		CHECK(verify(tok, size, &eckey, &ecpol) != 0, "a token the fuzzer made up was accepted (EC)");
		free(tok);
		break;
	}
	case 1: {
		const EVP_MD *md = (fl & 0x30) == 0x10 ? EVP_sha384() : (fl & 0x30) == 0x20 ? EVP_sha512() : EVP_sha256();
		const char *hdr = md == EVP_sha384() ? "{\"alg\":\"HS384\",\"typ\":\"JWT\"}" :
				  md == EVP_sha512() ? "{\"alg\":\"HS512\"}" : "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
		size_t len;
		char *tok = make_token(hdr, data, size, md, secret, sizeof(secret) - 1, &len);
		int r = verify(tok, len, &hkey, &pol);
		if (r == 0) {
			tok[len - 2] ^= 0x01; /* flips a signature bit (the last char can be padding bits) */
			CHECK(verify(tok, len, &hkey, &pol) != 0, "a flipped signature was accepted");
		}
		free(tok);
		tok = make_token("{\"alg\":\"none\"}", data, size, md, NULL, 0, &len);
		CHECK(verify(tok, len, &hkey, &pol) != 0, "alg none accepted");
		free(tok);
		tok = make_token("{\"alg\":\"HS256\"}", data, size, EVP_sha256(), ecpem, ecpem_len, &len);
		CHECK(verify(tok, len, &eckey, &ecpol) != 0, "algorithm confusion: HS256 over the public key");
		free(tok);
		break;
	}
	default: {
		struct jwt_key k;
		memset(&k, 0, sizeof(k));
		const char *why = NULL;
		int r = jwt_key_parse(data, size, &k, &why);
		CHECK(r == 0 || r == WS_E_MALFORMED || r == WS_E_UNSUPPORTED, "key parse %d", r);
		if (r == 0) {
			unsigned a = jwt_key_algs(&k);
			CHECK(a != 0, "a key with no algorithm");
			if (k.type == JWT_KEY_SECRET)
				CHECK((a & ~(unsigned)(JWT_HS256 | JWT_HS384 | JWT_HS512)) == 0 &&
				      k.secret_len >= JWT_SECRET_MIN, "secret key algs");
			else
				CHECK((a & (unsigned)(JWT_HS256 | JWT_HS384 | JWT_HS512)) == 0,
				      "a public key allows HMAC");
		} else {
			CHECK(why != NULL, "no reason");
		}
		jwt_key_free(&k);
		break;
	}
	}
	return 0;
}
