/* jwt.h - JSON Web Token verification (RFC 7519 over JWS compact form, RFC 7515), for
 * the built-in --jwt-key authentication. Pure: the key bytes, the time and the policy
 * are passed in; no file, clock or log. Signatures through OpenSSL EVP, JSON through
 * jansson with duplicate keys rejected.
 *
 * Always refused, whatever the configuration:
 *   - "alg": "none", an alg outside the allow-list, or an alg that does not fit the key
 *     type (HS* keyed with a PEM public key: the algorithm-confusion attack);
 *   - not exactly three non-empty base64url parts (JWE, unsecured JWS), bad base64url,
 *     header or claims that are not one JSON object, duplicate keys at any depth;
 *   - a "crit" header (we implement no extension, RFC 7515 4.1.11);
 *   - a token longer than JWT_TOKEN_MAX;
 *   - a bad signature (HMAC compared with CRYPTO_memcmp);
 *   - no "exp", or exp/nbf that are not numbers, or now >= exp + leeway, or
 *     now + leeway < nbf; a "sub" that is not a string or holds a control character;
 *   - with an issuer configured, "iss" not exactly equal; with audiences configured,
 *     "aud" (a string or an array of strings) naming none of them. */
#ifndef WSINETD_JWT_H
#define WSINETD_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest token accepted (bytes of the compact serialization). */
#define JWT_TOKEN_MAX 8192u
/* Shortest HMAC secret (RFC 7518 3.2: at least the hash size; 32 bytes for HS256, 48
 * for HS384, 64 for HS512 - shorter secrets only allow the smaller algorithms). */
#define JWT_SECRET_MIN 32u

enum jwt_alg {
	JWT_HS256 = 1u << 0, JWT_HS384 = 1u << 1, JWT_HS512 = 1u << 2,
	JWT_RS256 = 1u << 3, JWT_RS384 = 1u << 4, JWT_RS512 = 1u << 5,
	JWT_PS256 = 1u << 6, JWT_ES256 = 1u << 7, JWT_ES384 = 1u << 8,
	JWT_EDDSA = 1u << 9,
};

enum jwt_key_type { JWT_KEY_NONE = 0, JWT_KEY_SECRET, JWT_KEY_RSA, JWT_KEY_P256, JWT_KEY_P384,
		    JWT_KEY_ED };

struct jwt_key {
	enum jwt_key_type type;
	uint8_t *secret;      /* JWT_KEY_SECRET: owned copy, wiped by jwt_key_free */
	size_t secret_len;
	void *pkey;           /* EVP_PKEY * for the public-key types */
};

struct jwt_policy {
	unsigned algs;                   /* allow-list, enum jwt_alg bits */
	int64_t now;                     /* seconds since the epoch */
	int64_t leeway;                  /* seconds of clock skew allowed for exp/nbf */
	const char *issuer;              /* NULL: any */
	const char *const *audiences;    /* any one of them must be in "aud" */
	size_t naudiences;
};

/* The key file's bytes: a PEM "PUBLIC KEY" (RSA >= 2048 bits, EC P-256/P-384, Ed25519
 * or Ed448) or else an HMAC secret (one trailing "\n" or "\r\n" removed, at least
 * JWT_SECRET_MIN bytes). Private keys and certificates are refused. Returns 0, or
 * WS_E_MALFORMED / WS_E_UNSUPPORTED with *why set. */
int jwt_key_parse(const uint8_t *data, size_t len, struct jwt_key *out, const char **why);
/* Wipe and free; accepts a zeroed or NULL key. */
void jwt_key_free(struct jwt_key *k);
/* The algorithms this key can verify: the default allow-list for it. */
unsigned jwt_key_algs(const struct jwt_key *k);

/* "HS256" → JWT_HS256 (exact, case-sensitive), 0 if unknown; and back. */
unsigned jwt_alg_from_name(const char *name, size_t len);
const char *jwt_alg_name(unsigned alg);

/* Verify token[0..len). On success returns 0, *claims_out gets the claims object
 * (json_t *, a new reference the caller json_decref()s) and *alg_out the algorithm.
 * Otherwise WS_E_REFUSED (or WS_E_LIMIT for length, WS_E_NOMEM) and *why, one line,
 * static storage. */
int jwt_verify(const char *token, size_t len, const struct jwt_key *key,
	       const struct jwt_policy *pol, void **claims_out, unsigned *alg_out,
	       const char **why);

#endif
