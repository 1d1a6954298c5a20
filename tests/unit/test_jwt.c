/* test_jwt.c - JWT verification against tokens made by npm jose (jwt_fixtures.h, from
 * `node tests/node/jwt.js fixtures`): every algorithm, every refusal rule, key parsing,
 * and every truncation of a token read from a guard page. */
#include "tap.h"

#include <jansson.h>

#include "err.h"
#include "jwt.h"
#include "jwt_fixtures.h"

#define NOW 1700000000

static const char pub_rsa1024[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCybPEKEf0ask5s9UjvZbh7U9D8\n"
	"rAHNHGM6lun1c9sMUggr63O79Hp32/ck+LSsoHLSeynbqHcg+n/qGszQi4fT8iEW\n"
	"R5TTiuNkhGw+vUHIzeufm4niiSE2jaFuumnxxmb9uGOgwmglsN80wGIDMqliEpDw\n"
	"zlfOZLTYMKL2QkFiEQIDAQAB\n"
	"-----END PUBLIC KEY-----\n";
static const char pub_p521[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIGbMBAGByqGSM49AgEGBSuBBAAjA4GGAAQArHd5ygRCofj76ort6qWYxWemxvis\n"
	"N5Glv+tDZo9T9lKcCvU/cF8D+191NZEZy8LWgTBzAOFdc2/QX3azyxsmqEIAPXL/\n"
	"0sd1jXaNCr1LwOXU4c13rDAMlsAyzsrvJCn93fjUU0u2WWzH22RBL2rKIjoleDQl\n"
	"jEdAwu7VwZsm2HFfwxI=\n"
	"-----END PUBLIC KEY-----\n";

static struct jwt_key key_of(const char *text)
{
	struct jwt_key k;
	const char *why = NULL;
	if (jwt_key_parse((const uint8_t *)text, strlen(text), &k, &why) != 0) {
		printf("# key parse failed: %s\n", why ? why : "?");
		memset(&k, 0, sizeof(k));
	}
	return k;
}

static struct jwt_policy pol_all(void)
{
	struct jwt_policy p;
	memset(&p, 0, sizeof(p));
	p.algs = ~0u;
	p.now = NOW;
	return p;
}

/* Verify from a guard page; returns the error and the why. On success checks sub. */
static int verify(const char *tok, const struct jwt_key *k, const struct jwt_policy *p,
		  const char **why, unsigned *alg)
{
	size_t n = strlen(tok);
	uint8_t *g = guard_copy(tok, n);
	void *claims = NULL;
	unsigned a = 0;
	int r = jwt_verify((const char *)g, n, k, p, &claims, &a, why);
	guard_free(g, n);
	if (r == 0) {
		json_t *sub = json_object_get(claims, "sub");
		if (!json_is_string(sub) || strcmp(json_string_value(sub), "alice") != 0)
			r = 99;
		json_decref(claims);
	} else if (claims != NULL) {
		r = 98; /* claims must not leak out of a refusal */
	}
	if (alg)
		*alg = a;
	return r;
}

#define ACCEPT(tok, k, p, msg) do { const char *w_ = NULL; \
	int r_ = verify(tok, k, p, &w_, NULL); \
	if (!ok(r_ == 0, "%s", msg)) printf("#   refused: %s\n", w_ ? w_ : "?"); } while (0)
#define REFUSE(tok, k, p, want_why, msg) do { const char *w_ = NULL; \
	int r_ = verify(tok, k, p, &w_, NULL); \
	if (!ok(r_ != 0 && r_ < 90 && w_ && strstr(w_, want_why), "%s (%s)", msg, w_ ? w_ : "accepted")) \
		printf("#   want why containing '%s'\n", want_why); } while (0)

static void test_algorithms(void)
{
	struct jwt_policy p = pol_all();
	struct jwt_key hs = key_of(fx_secret);
	is_int(hs.type, JWT_KEY_SECRET, "64-byte secret is an HMAC key");
	is_int(jwt_key_algs(&hs), JWT_HS256 | JWT_HS384 | JWT_HS512, "64-byte secret: HS256/384/512");
	const char *toks[] = { fx_tok_HS256, fx_tok_HS384, fx_tok_HS512 };
	const unsigned algs[] = { JWT_HS256, JWT_HS384, JWT_HS512 };
	for (int i = 0; i < 3; i++) {
		unsigned a = 0;
		const char *why = NULL;
		is_int(verify(toks[i], &hs, &p, &why, &a), 0, "%s accepted", jwt_alg_name(algs[i]));
		is_int(a, algs[i], "%s reported", jwt_alg_name(algs[i]));
	}
	struct {
		const char *name, *pub, *tok;
		enum jwt_key_type type;
		unsigned alg;
	} pk[] = {
		{ "RS256", fx_pub_RS256, fx_tok_RS256, JWT_KEY_RSA, JWT_RS256 },
		{ "RS384", fx_pub_RS384, fx_tok_RS384, JWT_KEY_RSA, JWT_RS384 },
		{ "RS512", fx_pub_RS512, fx_tok_RS512, JWT_KEY_RSA, JWT_RS512 },
		{ "PS256", fx_pub_PS256, fx_tok_PS256, JWT_KEY_RSA, JWT_PS256 },
		{ "ES256", fx_pub_ES256, fx_tok_ES256, JWT_KEY_P256, JWT_ES256 },
		{ "ES384", fx_pub_ES384, fx_tok_ES384, JWT_KEY_P384, JWT_ES384 },
		{ "EdDSA", fx_pub_EdDSA, fx_tok_EdDSA, JWT_KEY_ED, JWT_EDDSA },
	};
	for (size_t i = 0; i < sizeof(pk) / sizeof(pk[0]); i++) {
		struct jwt_key k = key_of(pk[i].pub);
		is_int(k.type, pk[i].type, "%s public key type", pk[i].name);
		ok(jwt_key_algs(&k) & pk[i].alg, "%s in the key's default algorithms", pk[i].name);
		unsigned a = 0;
		const char *why = NULL;
		int r = verify(pk[i].tok, &k, &p, &why, &a);
		if (!ok(r == 0 && a == pk[i].alg, "%s accepted", pk[i].name))
			printf("#   %s\n", why ? why : "?");
		/* the right algorithm, the wrong key of the same type */
		struct jwt_key other = key_of(i == 0 ? fx_pub_RS384 : pk[i].pub);
		if (i == 0)
			REFUSE(pk[i].tok, &other, &p, "bad signature", "RS256 with another RSA key");
		jwt_key_free(&other);
		/* a token of this algorithm against the HMAC key, and an HS token against this key */
		REFUSE(pk[i].tok, &hs, &p, "does not fit the key", "public-key token vs HMAC key");
		REFUSE(fx_tok_HS256, &k, &p, "algorithm confusion", "HS256 token vs public key");
		/* corrupt the signature's last character */
		char *bad = strdup(pk[i].tok);
		size_t n = strlen(bad);
		bad[n - 2] = bad[n - 2] == 'A' ? 'B' : 'A';
		REFUSE(bad, &k, &p, "", "corrupted signature refused");
		free(bad);
		jwt_key_free(&k);
	}
	/* ES256 token against the P-384 key: type mismatch */
	struct jwt_key e384 = key_of(fx_pub_ES384);
	REFUSE(fx_tok_ES256, &e384, &p, "does not fit", "ES256 token vs P-384 key");
	jwt_key_free(&e384);
	jwt_key_free(&hs);
}

/* header.payload.sig with the payload of another token: the signature no longer fits */
static char *splice(const char *a, const char *b)
{
	const char *a1 = strchr(a, '.'), *b1 = strchr(b, '.'), *b2 = strchr(b1 + 1, '.');
	const char *a2 = strchr(a1 + 1, '.');
	char *out = malloc(strlen(a) + strlen(b) + 1);
	sprintf(out, "%.*s%.*s%s", (int)(a1 - a), a, (int)(b2 - b1), b1, a2);
	return out;
}

static void test_refusals(void)
{
	struct jwt_policy p = pol_all();
	struct jwt_key hs = key_of(fx_secret);
	struct jwt_key rsa = key_of(fx_pub_RS256);

	/* alg none, in every spelling a library might honour */
	const char *none[] = {
		/* {"alg":"none"} . {"sub":"alice","exp":2000000000} . (empty) */
		"eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSIsImV4cCI6MjAwMDAwMDAwMH0.",
		/* the same with a junk signature */
		"eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSIsImV4cCI6MjAwMDAwMDAwMH0.AAAA",
		/* {"alg":"None"} */
		"eyJhbGciOiJOb25lIn0.eyJzdWIiOiJhbGljZSIsImV4cCI6MjAwMDAwMDAwMH0.AAAA",
		/* {"alg":""} */
		"eyJhbGciOiIifQ.eyJzdWIiOiJhbGljZSIsImV4cCI6MjAwMDAwMDAwMH0.AAAA",
	};
	REFUSE(none[0], &hs, &p, "unsigned", "alg none, empty signature");
	REFUSE(none[1], &hs, &p, "alg none", "alg none with a signature");
	REFUSE(none[2], &hs, &p, "allow-list", "alg None (unknown name)");
	REFUSE(none[3], &hs, &p, "alg none", "empty alg");
	/* {"typ":"JWT"}: no alg */
	REFUSE("eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJhbGljZSIsImV4cCI6MjAwMDAwMDAwMH0.AAAA", &hs, &p,
	       "no alg", "header without alg");
	/* {"alg":"HS256","alg":"none"}: duplicate key in the header */
	REFUSE("eyJhbGciOiJIUzI1NiIsImFsZyI6Im5vbmUifQ.eyJzdWIiOiJhbGljZSIsImV4cCI6MjAwMDAwMDAwMH0.AAAA",
	       &hs, &p, "duplicate", "duplicate alg in the header");
	REFUSE(fx_hs_dupclaims, &hs, &p, "duplicate", "duplicate sub in signed claims");
	REFUSE(fx_hs_notjson, &hs, &p, "not one JSON object", "claims are an array");
	REFUSE(fx_hs_crit, &hs, &p, "crit", "crit header");

	/* allow-list */
	struct jwt_policy only256 = p;
	only256.algs = JWT_HS256;
	ACCEPT(fx_tok_HS256, &hs, &only256, "HS256 in allow-list HS256");
	REFUSE(fx_tok_HS384, &hs, &only256, "allow-list", "HS384 outside allow-list HS256");
	struct jwt_policy rs_only = p;
	rs_only.algs = JWT_RS256;
	REFUSE(fx_tok_PS256, &rsa, &rs_only, "allow-list", "PS256 outside allow-list RS256");

	/* algorithm confusion: HS256 signed with the RSA public key's PEM text */
	REFUSE(fx_tok_confused, &rsa, &p, "algorithm confusion", "HS256 keyed with the public key");
	/* and the PEM text can never become an HMAC key */
	struct jwt_key as_secret = key_of(fx_pub_RS256);
	is_int(as_secret.type, JWT_KEY_RSA, "a PEM key file is never an HMAC secret");
	jwt_key_free(&as_secret);

	/* signature over other claims */
	char *sp = splice(fx_tok_RS256, fx_tok_RS256_other_claims);
	REFUSE(sp, &rsa, &p, "bad signature", "claims swapped under a valid signature");
	free(sp);

	/* shape and encoding */
	REFUSE("abc", &hs, &p, "three parts", "one part");
	REFUSE("a.b", &hs, &p, "three parts", "two parts");
	REFUSE("a.b.c.d.e", &hs, &p, "three parts", "five parts (JWE)");
	REFUSE(".eyJ9.AAAA", &hs, &p, "empty", "empty header");
	char *padded = malloc(strlen(fx_tok_HS256) + 2);
	sprintf(padded, "%s=", fx_tok_HS256);
	REFUSE(padded, &hs, &p, "base64url", "padded signature");
	free(padded);
	char *plus = strdup(fx_tok_HS256);
	plus[3] = '+';
	REFUSE(plus, &hs, &p, "base64url", "'+' in the header");
	free(plus);
	/* too long */
	size_t big = JWT_TOKEN_MAX + 1;
	char *longtok = malloc(big + 1);
	memset(longtok, 'A', big);
	longtok[big] = '\0';
	memcpy(longtok, fx_tok_HS256, strlen(fx_tok_HS256));
	const char *why = NULL;
	is_int(verify(longtok, &hs, &p, &why, NULL), WS_E_LIMIT, "token over JWT_TOKEN_MAX: limit");
	free(longtok);

	/* time */
	REFUSE(fx_hs_expired, &hs, &p, "expired", "exp in the past");
	struct jwt_policy lee = p;
	lee.leeway = 10000001;
	ACCEPT(fx_hs_expired, &hs, &lee, "exp in the past within leeway");
	REFUSE(fx_hs_notyet, &hs, &p, "nbf", "nbf in the future");
	ACCEPT(fx_hs_notyet, &hs, &lee, "nbf in the future within leeway");
	REFUSE(fx_hs_noexp, &hs, &p, "no exp", "no exp");
	REFUSE(fx_hs_strexp, &hs, &p, "not a number", "exp as a string");
	ACCEPT(fx_hs_realexp, &hs, &p, "fractional exp half a second ahead");
	struct jwt_policy later = p;
	later.now = NOW + 1;
	REFUSE(fx_hs_realexp, &hs, &later, "expired", "fractional exp just passed");
	struct jwt_policy at_exp = p;
	at_exp.now = 2000000000;
	REFUSE(fx_tok_HS256, &hs, &at_exp, "expired", "now == exp is expired");

	/* sub */
	REFUSE(fx_hs_subnl, &hs, &p, "control", "sub with a newline");
	REFUSE(fx_hs_subnum, &hs, &p, "not a string", "sub as a number");

	/* issuer */
	struct jwt_policy iss = p;
	iss.issuer = "https://issuer.test";
	ACCEPT(fx_tok_HS256, &hs, &iss, "issuer matches");
	iss.issuer = "https://issuer.tes";
	REFUSE(fx_tok_HS256, &hs, &iss, "iss", "issuer prefix refused");
	iss.issuer = "https://issuer.test/";
	REFUSE(fx_tok_HS256, &hs, &iss, "iss", "issuer with a trailing slash refused");
	REFUSE(fx_hs_noaud, &hs, &iss, "iss", "no iss claim refused when configured");

	/* audience */
	const char *ws[] = { "ws" }, *two[] = { "nope", "api" }, *none_aud[] = { "nope" }, *pre[] = { "w" };
	struct jwt_policy aud = p;
	aud.audiences = ws;
	aud.naudiences = 1;
	ACCEPT(fx_tok_HS256, &hs, &aud, "aud array contains ws");
	ACCEPT(fx_hs_audstr, &hs, &aud, "aud string ws");
	REFUSE(fx_hs_audother, &hs, &aud, "none of", "aud without ws");
	REFUSE(fx_hs_audbad, &hs, &aud, "non-string", "aud array of numbers");
	REFUSE(fx_hs_noaud, &hs, &aud, "no aud", "no aud when audiences are configured");
	aud.audiences = two;
	aud.naudiences = 2;
	ACCEPT(fx_tok_HS256, &hs, &aud, "any configured audience is enough");
	aud.audiences = none_aud;
	aud.naudiences = 1;
	REFUSE(fx_tok_HS256, &hs, &aud, "none of", "configured audience absent");
	aud.audiences = pre;
	REFUSE(fx_hs_audstr, &hs, &aud, "none of", "audience prefix refused");
	ACCEPT(fx_hs_noaud, &hs, &p, "no aud accepted when no audience is configured");

	jwt_key_free(&hs);
	jwt_key_free(&rsa);
}

static void test_prefixes(void)
{
	struct jwt_policy p = pol_all();
	struct jwt_key hs = key_of(fx_secret);
	size_t n = strlen(fx_tok_HS256), accepted = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t *g = guard_copy(fx_tok_HS256, i);
		void *claims = NULL;
		const char *why;
		if (jwt_verify((const char *)g, i, &hs, &p, &claims, NULL, &why) == 0)
			accepted++;
		json_decref(claims);
		guard_free(g, i);
	}
	is_int(accepted, 0, "no proper prefix of a valid token is accepted (%zu tried)", n);
	jwt_key_free(&hs);
}

static void test_keys(void)
{
	struct jwt_key k;
	const char *why;
	is_int(jwt_key_parse((const uint8_t *)"short\n", 6, &k, &why), WS_E_UNSUPPORTED,
	       "short secret refused");
	char s32[34];
	memset(s32, 's', 32);
	s32[32] = '\n';
	s32[33] = '\0';
	is_int(jwt_key_parse((const uint8_t *)s32, 33, &k, &why), 0, "32-byte secret plus newline");
	is_int(k.secret_len, 32, "the trailing newline is not part of the secret");
	is_int(jwt_key_algs(&k), JWT_HS256, "32-byte secret: HS256 only by default");
	jwt_key_free(&k);
	ok(k.secret == NULL && k.type == JWT_KEY_NONE, "freed key zeroed");
	s32[31] = '\r';
	is_int(jwt_key_parse((const uint8_t *)s32, 33, &k, &why), WS_E_UNSUPPORTED,
	       "31 bytes + CRLF: too short");
	const char *priv = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n";
	is_int(jwt_key_parse((const uint8_t *)priv, strlen(priv), &k, &why), WS_E_UNSUPPORTED,
	       "private key refused (%s)", why);
	const char *cert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
	is_int(jwt_key_parse((const uint8_t *)cert, strlen(cert), &k, &why), WS_E_UNSUPPORTED,
	       "certificate refused");
	is_int(jwt_key_parse((const uint8_t *)pub_rsa1024, strlen(pub_rsa1024), &k, &why),
	       WS_E_UNSUPPORTED, "RSA 1024 refused (%s)", why);
	is_int(jwt_key_parse((const uint8_t *)pub_p521, strlen(pub_p521), &k, &why),
	       WS_E_UNSUPPORTED, "P-521 refused (%s)", why);
	const char *junk = "-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n";
	is_int(jwt_key_parse((const uint8_t *)junk, strlen(junk), &k, &why), WS_E_MALFORMED,
	       "garbage PEM refused");
	jwt_key_free(NULL);
	is_int(jwt_alg_from_name("HS256", 5), JWT_HS256, "alg name HS256");
	is_int(jwt_alg_from_name("hs256", 5), 0, "alg names are case-sensitive");
	is_int(jwt_alg_from_name("none", 4), 0, "none is not an algorithm");
	is_int(jwt_alg_from_name("EdDSA", 5), JWT_EDDSA, "alg name EdDSA");
}

int main(void)
{
	test_algorithms();
	test_refusals();
	test_prefixes();
	test_keys();
	return done_testing();
}
