/* test_cookie.c - RFC 6265 cookie pairs (several headers, quotes, missing '=', duplicates,
 * whitespace) and query parameters: find the credential, strip it, keep the rest. */
#include "tap.h"

#include "cookie.h"
#include "err.h"

static struct http_req *req_with(const char *const *cookies, size_t n)
{
	struct http_req *r = calloc(1, sizeof(*r));
	r->method = "GET";
	r->method_len = 3;
	r->target = "/";
	r->target_len = 1;
	r->minor_version = 1;
	r->headers[r->nheaders].name = "Host";
	r->headers[r->nheaders].name_len = 4;
	r->headers[r->nheaders].value = "x";
	r->headers[r->nheaders++].value_len = 1;
	for (size_t i = 0; i < n; i++) {
		struct http_header *h = &r->headers[r->nheaders++];
		size_t vl = strlen(cookies[i]);
		h->name = i % 2 ? "cookie" : "Cookie";
		h->name_len = 6;
		h->value = (const char *)guard_copy(cookies[i], vl);
		h->value_len = vl;
	}
	return r;
}

static void req_free(struct http_req *r)
{
	for (size_t i = 1; i < r->nheaders; i++)
		guard_free((uint8_t *)r->headers[i].value, r->headers[i].value_len);
	free(r);
}

static const char *find(const char *const *cookies, size_t n, const char *name)
{
	static char res[256];
	struct http_req *r = req_with(cookies, n);
	const char *v;
	size_t vl;
	const char *out = NULL;
	if (cookie_find(r, name, &v, &vl) && vl < sizeof(res)) {
		memcpy(res, v, vl);
		res[vl] = '\0';
		out = res;
	}
	req_free(r);
	return out;
}

static const char *strip(const char *const *cookies, size_t n, const char *name, size_t *removed)
{
	static char res[256];
	struct http_req *r = req_with(cookies, n);
	long l = cookie_strip(r, name, res, sizeof(res), removed);
	req_free(r);
	return l < 0 ? NULL : res;
}

#define STREQ(got, want, ...) do { const char *g_ = (got), *w_ = (want); \
	if (!ok((g_ == NULL && w_ == NULL) || (g_ && w_ && strcmp(g_, w_) == 0), __VA_ARGS__)) \
		printf("#   got '%s', want '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); } while (0)

static void test_find(void)
{
	const char *one[] = { "a=1; session=abc; b=2" };
	STREQ(find(one, 1, "session"), "abc", "find among pairs");
	STREQ(find(one, 1, "a"), "1", "first pair");
	STREQ(find(one, 1, "b"), "2", "last pair");
	STREQ(find(one, 1, "Session"), NULL, "names are case-sensitive");
	STREQ(find(one, 1, "sess"), NULL, "no prefix match");
	STREQ(find(one, 1, "ession"), NULL, "no suffix match");
	const char *ws[] = { "  a = 1 ;\tsession=  abc  ;;; b=2;" };
	STREQ(find(ws, 1, "session"), "abc", "whitespace trimmed, empty pairs skipped");
	STREQ(find(ws, 1, "a"), "1", "spaces around '='");
	const char *q[] = { "session=\"abc def\"; x=\"" };
	STREQ(find(q, 1, "session"), "abc def", "quoted value unquoted");
	STREQ(find(q, 1, "x"), "\"", "a lone quote stays");
	const char *noeq[] = { "session; other=1; =v; session=real" };
	STREQ(find(noeq, 1, "session"), "real", "a pair without '=' has an empty name");
	STREQ(find(noeq, 1, ""), NULL, "the empty name is never looked up");
	const char *dup[] = { "session=first; session=second" };
	STREQ(find(dup, 1, "session"), "first", "duplicates: the first wins");
	const char *multi[] = { "a=1", "session=from-second-header", "session=third" };
	STREQ(find(multi, 3, "session"), "from-second-header", "several Cookie headers, in order");
	const char *empty[] = { "session=; b=2" };
	STREQ(find(empty, 1, "session"), "", "empty value found as empty");
	const char *eqv[] = { "session=a=b==" };
	STREQ(find(eqv, 1, "session"), "a=b==", "value keeps later '='");
	STREQ(find(NULL, 0, "session"), NULL, "no Cookie header");
}

static void test_strip(void)
{
	size_t rm;
	const char *one[] = { "a=1; session=abc; b=2" };
	STREQ(strip(one, 1, "session", &rm), "a=1; b=2", "strip the middle pair");
	is_int(rm, 1, "one removed");
	const char *multi[] = { "session=x; a=\"q v\"", " b=2 ;session=y", "session=z" };
	STREQ(strip(multi, 3, "session", &rm), "a=\"q v\"; b=2", "strip across headers, quotes kept");
	is_int(rm, 3, "every duplicate removed");
	const char *only[] = { "session=abc" };
	STREQ(strip(only, 1, "session", &rm), "", "only the auth cookie: empty");
	const char *keep[] = { "sessionx=1; xsession=2; Session=3; session" };
	STREQ(strip(keep, 1, "session", &rm), "sessionx=1; xsession=2; Session=3; session",
	      "similar names and a nameless 'session' value kept");
	is_int(rm, 0, "nothing removed");
	struct http_req *r = req_with(one, 1);
	char small[4];
	ok(cookie_strip(r, "session", small, sizeof(small), &rm) == -1, "too small: -1");
	req_free(r);
	/* Pairs joined with ";" alone come out joined with "; ": longer than the input. */
	const char *tight[] = { "a;b;session=x;c", "d;e" };
	STREQ(strip(tight, 2, "session", &rm), "a; b; c; d; e", "';' alone: re-joined with '; '");
	/* cookie_strip_cap always suffices, for the worst case too: one-byte pairs. */
	char worst[401];
	for (int i = 0; i < 200; i++)
		memcpy(worst + 2 * i, ";a", 2);
	worst[400] = '\0';
	const char *w[] = { worst + 1, "a;a" };
	r = req_with(w, 2);
	size_t cap = cookie_strip_cap(r);
	char *out = malloc(cap);
	long n = cookie_strip(r, "session", out, cap, &rm);
	ok(n >= 0 && (size_t)n < cap, "200 + 2 one-byte pairs: cookie_strip_cap suffices");
	is_int(n, 202 * 3 - 2, "... and the result is 202 pairs joined with '; '");
	free(out);
	req_free(r);
}

static const char *qfind(const char *q, const char *name)
{
	static char res[64];
	size_t len = strlen(q);
	uint8_t *g = guard_copy(q, len);
	long l = query_find((const char *)g, len, name, res, sizeof(res));
	guard_free(g, len);
	return l < 0 ? NULL : res;
}

static const char *qstrip(const char *q, const char *name, size_t *rm)
{
	static char res[128];
	size_t len = strlen(q);
	uint8_t *g = guard_copy(q, len);
	long l = query_strip((const char *)g, len, name, res, sizeof(res), rm);
	guard_free(g, len);
	return l < 0 ? NULL : res;
}

static void test_query(void)
{
	size_t rm;
	STREQ(qfind("token=abc", "token"), "abc", "query: only param");
	STREQ(qfind("a=1&token=abc&b=2", "token"), "abc", "query: middle");
	STREQ(qfind("a=1&mytoken=x&tokens=y", "token"), NULL, "query: no prefix/suffix match");
	STREQ(qfind("tok%65n=a%2Bb+c", "token"), "a+b c", "query: name and value decoded");
	STREQ(qfind("token=1&token=2", "token"), "1", "query: first wins");
	STREQ(qfind("token", "token"), "", "query: no '=' is an empty value");
	STREQ(qfind("token=%zz&token=ok", "token"), "ok", "query: bad escape skipped");
	STREQ(qfind("token=%00&token=ok", "token"), "ok", "query: decoded NUL skipped");
	STREQ(qfind("token=%4", "token"), NULL, "query: truncated escape");
	STREQ(qfind("", "token"), NULL, "query: empty");
	char small[4];
	is_int(query_find("token=abcdef", 12, "token", small, sizeof(small)), -2, "query: too long");
	STREQ(qstrip("a=1&token=abc&b=2", "token", &rm), "a=1&b=2", "strip middle");
	is_int(rm, 1, "one removed");
	STREQ(qstrip("token=abc", "token", &rm), "", "strip only");
	STREQ(qstrip("token=1&x=%20&tok%65n=2&&tokens=3", "token", &rm), "x=%20&tokens=3",
	      "strip all encodings of the name, others byte for byte");
	is_int(rm, 2, "two removed");
	STREQ(qstrip("a=1&b=2", "token", &rm), "a=1&b=2", "nothing to strip");
	is_int(rm, 0, "none removed");
}

int main(void)
{
	test_find();
	test_strip();
	test_query();
	return done_testing();
}
