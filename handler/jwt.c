/* jwt.c - JWS compact verification and JWT claims (RFC 7515, 7518, 7519); see jwt.h.
 * Order: length, shape, header (alg decided before any key is used), signature, then
 * claims; nothing from the claims is trusted before the signature checked out. */
#include "jwt.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "b64.h"
#include "err.h"
#include "wipe.h"

static const struct {
	const char *name;
	unsigned alg;
} alg_names[] = {
	{ "HS256", JWT_HS256 }, { "HS384", JWT_HS384 }, { "HS512", JWT_HS512 },
	{ "RS256", JWT_RS256 }, { "RS384", JWT_RS384 }, { "RS512", JWT_RS512 },
	{ "PS256", JWT_PS256 }, { "ES256", JWT_ES256 }, { "ES384", JWT_ES384 },
	{ "EdDSA", JWT_EDDSA },
};
#define NALGS (sizeof(alg_names) / sizeof(alg_names[0]))

unsigned jwt_alg_from_name(const char *name, size_t len)
{
	for (size_t i = 0; i < NALGS; i++)
		if (strlen(alg_names[i].name) == len && memcmp(alg_names[i].name, name, len) == 0)
			return alg_names[i].alg;
	return 0;
}

const char *jwt_alg_name(unsigned alg)
{
	for (size_t i = 0; i < NALGS; i++)
		if (alg_names[i].alg == alg)
			return alg_names[i].name;
	return "?";
}

static int fail(const char **why, int err, const char *msg)
{
	*why = msg;
	return err;
}

void jwt_key_free(struct jwt_key *k)
{
	if (k == NULL)
		return;
	free_wiped(k->secret, k->secret_len);
	EVP_PKEY_free(k->pkey);
	memset(k, 0, sizeof(*k));
}

unsigned jwt_key_algs(const struct jwt_key *k)
{
	switch (k->type) {
	case JWT_KEY_SECRET:
		return JWT_HS256 | (k->secret_len >= 48 ? JWT_HS384 : 0u) |
		       (k->secret_len >= 64 ? JWT_HS512 : 0u);
	case JWT_KEY_RSA:
		return JWT_RS256 | JWT_RS384 | JWT_RS512 | JWT_PS256;
	case JWT_KEY_P256:
		return JWT_ES256;
	case JWT_KEY_P384:
		return JWT_ES384;
	case JWT_KEY_ED:
		return JWT_EDDSA;
	case JWT_KEY_NONE:
		break;
	}
	return 0;
}

static bool contains(const uint8_t *d, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	for (size_t i = 0; i + l <= n; i++)
		if (memcmp(d + i, lit, l) == 0)
			return true;
	return false;
}

static int key_pem(const uint8_t *data, size_t len, struct jwt_key *out, const char **why)
{
	if (contains(data, len, "PRIVATE KEY"))
		return fail(why, WS_E_UNSUPPORTED,
			    "a private key: give the server the public key only (openssl pkey -pubout)");
	if (!contains(data, len, "-----BEGIN PUBLIC KEY-----"))
		return fail(why, WS_E_UNSUPPORTED, "PEM without a PUBLIC KEY block (certificates "
			    "and PKCS#1 RSA keys: convert with openssl pkey -pubin -pubout)");
	if (len > (size_t)(~0u >> 1))
		return fail(why, WS_E_MALFORMED, "key file too large");
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	if (bio == NULL)
		return fail(why, WS_E_NOMEM, "out of memory");
	EVP_PKEY *pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pk == NULL)
		return fail(why, WS_E_MALFORMED, "unreadable PEM public key");
	int id = EVP_PKEY_get_base_id(pk);
	if (id == EVP_PKEY_RSA) {
		/* RFC 7518 3.3: 2048 bits or more */
		if (EVP_PKEY_get_bits(pk) < 2048) {
			EVP_PKEY_free(pk);
			return fail(why, WS_E_UNSUPPORTED, "RSA key shorter than 2048 bits");
		}
		out->type = JWT_KEY_RSA;
	} else if (id == EVP_PKEY_EC) {
		char group[64] = "";
		size_t gl = 0;
		EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &gl);
		if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
			out->type = JWT_KEY_P256;
		else if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
			out->type = JWT_KEY_P384;
		else {
			EVP_PKEY_free(pk);
			return fail(why, WS_E_UNSUPPORTED, "EC key on a curve other than P-256 or P-384");
		}
	} else if (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448) {
		out->type = JWT_KEY_ED;
	} else {
		EVP_PKEY_free(pk);
		return fail(why, WS_E_UNSUPPORTED, "public key type not RSA, EC or Ed25519/Ed448");
	}
	out->pkey = pk;
	return 0;
}

int jwt_key_parse(const uint8_t *data, size_t len, struct jwt_key *out, const char **why)
{
	const char *dummy;
	if (why == NULL)
		why = &dummy;
	*why = NULL;
	memset(out, 0, sizeof(*out));
	size_t i = 0;
	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	if (len - i >= 11 && memcmp(data + i, "-----BEGIN ", 11) == 0)
		return key_pem(data, len, out, why);
	/* An HMAC secret: the bytes as they are, less the newline an editor or echo adds. */
	size_t n = len;
	if (n > 0 && data[n - 1] == '\n')
		n--;
	if (n > 0 && data[n - 1] == '\r' && n < len)
		n--;
	if (n < JWT_SECRET_MIN)
		return fail(why, WS_E_UNSUPPORTED, "HMAC secret shorter than 32 bytes (RFC 7518 3.2)");
	out->secret = malloc(n);
	if (out->secret == NULL)
		return fail(why, WS_E_NOMEM, "out of memory");
	memcpy(out->secret, data, n);
	out->secret_len = n;
	out->type = JWT_KEY_SECRET;
	return 0;
}

/* Which key type an algorithm needs. */
static enum jwt_key_type alg_key_type(unsigned alg)
{
	switch (alg) {
	case JWT_HS256: case JWT_HS384: case JWT_HS512: return JWT_KEY_SECRET;
	case JWT_RS256: case JWT_RS384: case JWT_RS512: case JWT_PS256: return JWT_KEY_RSA;
	case JWT_ES256: return JWT_KEY_P256;
	case JWT_ES384: return JWT_KEY_P384;
	case JWT_EDDSA: return JWT_KEY_ED;
	default: return JWT_KEY_NONE;
	}
}

static const EVP_MD *alg_md(unsigned alg)
{
	switch (alg) {
	case JWT_HS256: case JWT_RS256: case JWT_PS256: case JWT_ES256: return EVP_sha256();
	case JWT_HS384: case JWT_RS384: case JWT_ES384: return EVP_sha384();
	case JWT_HS512: case JWT_RS512: return EVP_sha512();
	default: return NULL;
	}
}

/* JWS ECDSA signatures are R || S, fixed width (RFC 7518 3.4); OpenSSL wants DER. */
static int ecdsa_to_der(const uint8_t *sig, size_t siglen, size_t half, uint8_t **der, int *derlen)
{
	if (siglen != 2 * half)
		return -1;
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)half, NULL), *s = BN_bin2bn(sig + half, (int)half, NULL);
	if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return -1;
	}
	*der = NULL;
	*derlen = i2d_ECDSA_SIG(es, der);
	ECDSA_SIG_free(es);
	return *derlen > 0 ? 0 : -1;
}

static bool verify_sig(unsigned alg, const struct jwt_key *key, const char *input, size_t inlen,
		       const uint8_t *sig, size_t siglen)
{
	const EVP_MD *md = alg_md(alg);
	if (key->type == JWT_KEY_SECRET) {
		unsigned char mac[EVP_MAX_MD_SIZE];
		unsigned int maclen = 0;
		if (key->secret_len > (size_t)(~0u >> 1) ||
		    HMAC(md, key->secret, (int)key->secret_len, (const unsigned char *)input, inlen,
			 mac, &maclen) == NULL)
			return false;
		bool good = siglen == maclen && CRYPTO_memcmp(mac, sig, maclen) == 0;
		OPENSSL_cleanse(mac, sizeof(mac));
		return good;
	}
	uint8_t *der = NULL;
	int derlen = 0;
	if (alg == JWT_ES256 || alg == JWT_ES384) {
		if (ecdsa_to_der(sig, siglen, alg == JWT_ES256 ? 32 : 48, &der, &derlen) != 0)
			return false;
		sig = der;
		siglen = (size_t)derlen;
	}
	bool good = false;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestVerifyInit(ctx, &pctx, alg == JWT_EDDSA ? NULL : md, NULL,
						 key->pkey) != 1)
		goto out;
	if (alg == JWT_PS256 &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1))
		goto out;
	good = EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)input, inlen) == 1;
out:
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return good;
}

/* Decode one base64url part into a fresh buffer. */
static uint8_t *part_decode(const char *p, size_t n, size_t *outlen)
{
	if (n == 0)
		return NULL;
	uint8_t *buf = malloc(n);  /* decoded is at most 3/4 of the input */
	if (buf == NULL)
		return NULL;
	long d = b64url_decode(p, n, buf, n);
	if (d < 0) {
		free_wiped(buf, n); /* what was decoded before the bad character */
		return NULL;
	}
	*outlen = (size_t)d;
	return buf;
}

static json_t *json_object_of(const uint8_t *p, size_t n)
{
	json_error_t e;
	/* JSON_REJECT_DUPLICATES at every depth; \u0000 is refused by default */
	json_t *j = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &e);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

static bool str_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	return la == lb && CRYPTO_memcmp(a, b, la) == 0;
}

static int check_claims(json_t *c, const struct jwt_policy *pol, const char **why)
{
	json_t *exp = json_object_get(c, "exp"), *nbf = json_object_get(c, "nbf");
	double now = (double)pol->now, leeway = (double)pol->leeway;
	if (exp == NULL)
		return fail(why, WS_E_REFUSED, "token has no exp claim");
	if (!json_is_number(exp))
		return fail(why, WS_E_REFUSED, "exp is not a number");
	if (now >= json_number_value(exp) + leeway)
		return fail(why, WS_E_REFUSED, "token expired");
	if (nbf != NULL) {
		if (!json_is_number(nbf))
			return fail(why, WS_E_REFUSED, "nbf is not a number");
		if (now + leeway < json_number_value(nbf))
			return fail(why, WS_E_REFUSED, "token not valid yet (nbf)");
	}
	json_t *sub = json_object_get(c, "sub");
	if (sub != NULL) {
		if (!json_is_string(sub))
			return fail(why, WS_E_REFUSED, "sub is not a string");
		const char *s = json_string_value(sub);
		for (size_t i = 0; i < json_string_length(sub); i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				return fail(why, WS_E_REFUSED, "sub contains a control character");
	}
	if (pol->issuer != NULL) {
		json_t *iss = json_object_get(c, "iss");
		if (!json_is_string(iss) || !str_eq(json_string_value(iss), pol->issuer))
			return fail(why, WS_E_REFUSED, "iss is not the configured issuer");
	}
	if (pol->naudiences > 0) {
		json_t *aud = json_object_get(c, "aud");
		bool hit = false;
		if (json_is_string(aud)) {
			for (size_t k = 0; k < pol->naudiences; k++)
				hit |= str_eq(json_string_value(aud), pol->audiences[k]);
		} else if (json_is_array(aud)) {
			size_t i;
			json_t *a;
			json_array_foreach(aud, i, a) {
				if (!json_is_string(a))
					return fail(why, WS_E_REFUSED, "aud array holds a non-string");
				for (size_t k = 0; k < pol->naudiences; k++)
					hit |= str_eq(json_string_value(a), pol->audiences[k]);
			}
		} else {
			return fail(why, WS_E_REFUSED, aud ? "aud is not a string or array" : "token has no aud claim");
		}
		if (!hit)
			return fail(why, WS_E_REFUSED, "aud names none of the configured audiences");
	}
	return 0;
}

int jwt_verify(const char *token, size_t len, const struct jwt_key *key,
	       const struct jwt_policy *pol, void **claims_out, unsigned *alg_out,
	       const char **why)
{
	const char *dummy;
	if (why == NULL)
		why = &dummy;
	*why = NULL;
	*claims_out = NULL;
	if (len > JWT_TOKEN_MAX)
		return fail(why, WS_E_LIMIT, "token too long");
	const char *d1 = memchr(token, '.', len);
	const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
	if (d1 == NULL || d2 == NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)))
		return fail(why, WS_E_REFUSED, "not a JWS compact token (three parts)");
	size_t hl = (size_t)(d1 - token), pl = (size_t)(d2 - d1 - 1), sl = len - (size_t)(d2 + 1 - token);
	if (hl == 0 || pl == 0)
		return fail(why, WS_E_REFUSED, "empty header or claims part");
	if (sl == 0)
		return fail(why, WS_E_REFUSED, "unsigned token (empty signature)");

	int rc = WS_E_REFUSED;
	uint8_t *hbuf = NULL, *pbuf = NULL, *sbuf = NULL;
	size_t hn = 0, pn = 0, sn = 0;
	json_t *hdr = NULL, *claims = NULL;
	hbuf = part_decode(token, hl, &hn);
	if (hbuf == NULL) {
		*why = "header is not base64url";
		goto out;
	}
	hdr = json_object_of(hbuf, hn);
	if (hdr == NULL) {
		*why = "header is not one JSON object (or has duplicate keys)";
		goto out;
	}
	json_t *a = json_object_get(hdr, "alg");
	if (!json_is_string(a)) {
		*why = "header has no alg";
		goto out;
	}
	const char *aname = json_string_value(a);
	if (strcmp(aname, "none") == 0 || json_string_length(a) == 0) {
		*why = "alg none is never accepted";
		goto out;
	}
	unsigned alg = jwt_alg_from_name(aname, json_string_length(a));
	if (alg == 0 || !(pol->algs & alg)) {
		*why = "alg not in the allow-list (--jwt-alg)";
		goto out;
	}
	if (alg_key_type(alg) != key->type) {
		*why = key->type == JWT_KEY_SECRET || alg_key_type(alg) == JWT_KEY_SECRET
			? "alg does not fit the key type (algorithm confusion)"
			: "alg does not fit the key type";
		goto out;
	}
	if (json_object_get(hdr, "crit") != NULL) {
		*why = "crit header: no extension is understood";
		goto out;
	}
	sbuf = part_decode(d2 + 1, sl, &sn);
	if (sbuf == NULL) {
		*why = "signature is not base64url";
		goto out;
	}
	if (!verify_sig(alg, key, token, (size_t)(d2 - token), sbuf, sn)) {
		*why = "bad signature";
		goto out;
	}
	pbuf = part_decode(d1 + 1, pl, &pn);
	if (pbuf == NULL) {
		*why = "claims are not base64url";
		goto out;
	}
	claims = json_object_of(pbuf, pn);
	if (claims == NULL) {
		*why = "claims are not one JSON object (or have duplicate keys)";
		goto out;
	}
	if (check_claims(claims, pol, why) != 0)
		goto out;
	*claims_out = claims;
	claims = NULL;
	if (alg_out)
		*alg_out = alg;
	rc = 0;
out:
	json_decref(hdr);
	json_decref(claims);
	/* Together they rebuild the token: a bearer credential. malloc'd (part_decode): */
	free_wiped(pbuf, pn);
	free_wiped(hbuf, hn);
	free_wiped(sbuf, sn);
	return rc;
}
