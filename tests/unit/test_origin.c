/* test_origin.c - Origin against the allowlist and same-origin with Host: exact fields,
 * case-folded hosts, default ports, wildcards by whole labels, never substrings. */
#include "tap.h"

#include "origin.h"

static enum origin_verdict chk_scheme(const char *origin, const char *host, bool same,
				      const char *const *allow, size_t n, bool tls)
{
	struct origin_policy p = { allow, n, same, tls };
	size_t ol = origin ? strlen(origin) : 0, hl = strlen(host);
	/* both from guard pages: no read past either end */
	uint8_t *go = guard_copy(origin ? origin : "", ol);
	uint8_t *gh = guard_copy(host, hl);
	enum origin_verdict v = origin_check(origin ? (const char *)go : NULL, ol, origin ? 1 : 0,
					     (const char *)gh, hl, &p);
	guard_free(go, ol);
	guard_free(gh, hl);
	return v;
}

/* Same-origin cases state the connection's scheme; allowlist cases do not depend on it. */
static enum origin_verdict chk(const char *origin, const char *host, bool same,
			       const char *const *allow, size_t n)
{
	bool tls = origin != NULL && (strncasecmp(origin, "https:", 6) == 0 ||
				      strncasecmp(origin, "wss:", 4) == 0);
	return chk_scheme(origin, host, same, allow, n, tls);
}

#define A(o, h, ...) do { const char *al_[] = { __VA_ARGS__ }; \
	is_int(chk(o, h, false, al_, sizeof(al_) / sizeof(al_[0])), ORIGIN_ALLOWED, \
	       "%s allowed by %s (Host %s)", o, al_[0], h); } while (0)
#define D(o, h, ...) do { const char *al_[] = { __VA_ARGS__ }; \
	is_int(chk(o, h, false, al_, sizeof(al_) / sizeof(al_[0])), ORIGIN_DENIED, \
	       "%s denied by %s (Host %s)", o, al_[0], h); } while (0)

static void test_same_origin(void)
{
	is_int(chk(NULL, "example.com", false, NULL, 0), ORIGIN_ABSENT, "no Origin: absent");
	is_int(chk("https://example.com", "example.com", false, NULL, 0), ORIGIN_ALLOWED,
	       "same host, https default port");
	is_int(chk("https://EXAMPLE.com", "example.COM", false, NULL, 0), ORIGIN_ALLOWED,
	       "host case-folded");
	is_int(chk("HTTP://example.com", "example.com:80", false, NULL, 0), ORIGIN_ALLOWED,
	       "scheme case-folded, Host with the default port");
	is_int(chk("http://example.com:80", "example.com", false, NULL, 0), ORIGIN_ALLOWED,
	       "explicit default port in Origin");
	is_int(chk("http://127.0.0.1:8080", "127.0.0.1:8080", false, NULL, 0), ORIGIN_ALLOWED,
	       "IPv4 with port");
	is_int(chk("http://[::1]:8080", "[::1]:8080", false, NULL, 0), ORIGIN_ALLOWED,
	       "IPv6 with port");
	is_int(chk("http://127.0.0.1:8081", "127.0.0.1:8080", false, NULL, 0), ORIGIN_DENIED,
	       "other port denied");
	is_int(chk("https://example.com", "example.com:8443", false, NULL, 0), ORIGIN_DENIED,
	       "default port vs Host's explicit other port");
	is_int(chk("https://evil.com", "example.com", false, NULL, 0), ORIGIN_DENIED,
	       "other host denied");
	is_int(chk("https://example.com.evil.com", "example.com", false, NULL, 0), ORIGIN_DENIED,
	       "prefix of another host denied");
	is_int(chk("https://notexample.com", "example.com", false, NULL, 0), ORIGIN_DENIED,
	       "suffix-sharing host denied");
	is_int(chk("null", "example.com", false, NULL, 0), ORIGIN_DENIED, "null denied by default");
	is_int(chk("https://example.com", "bad host!", false, NULL, 0), ORIGIN_DENIED,
	       "unparsable Host: denied");
	/* The scheme is part of the origin (RFC 6454 5): ours is the connection's. */
	is_int(chk_scheme("http://example.com", "example.com", false, NULL, 0, true), ORIGIN_DENIED,
	       "http page, wss endpoint: denied");
	is_int(chk_scheme("https://example.com", "example.com", false, NULL, 0, false), ORIGIN_DENIED,
	       "https page, ws endpoint (no trusted proxy said https): denied");
	is_int(chk_scheme("http://example.com:443", "example.com:443", false, NULL, 0, true),
	       ORIGIN_DENIED, "http on port 443 is not https: denied");
	is_int(chk_scheme("chrome-extension://example.com", "example.com", false, NULL, 0, false),
	       ORIGIN_DENIED, "another scheme: denied");
	is_int(chk_scheme("https://example.com", "example.com", false, NULL, 0, true), ORIGIN_ALLOWED,
	       "https page, wss endpoint: allowed");
}

static void test_malformed(void)
{
	static const char *bad[] = {
		"example.com", "https://example.com/", "https://example.com/path",
		"https://user@example.com", "https://example.com:", "https://example.com:99999",
		"https://example.com:8a", "https://", "://example.com", "1http://example.com",
		"https://exa mple.com", "https://[::1", "https://[]", "https://example.com?x",
		"Null", "", "https://example.com:123456", "https://[::g]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(chk(bad[i], "example.com", false, NULL, 0), ORIGIN_MALFORMED,
		       "malformed Origin '%s'", bad[i]);
	struct origin_policy p = { NULL, 0, false, false };
	is_int(origin_check("https://example.com", 19, 2, "example.com", 11, &p), ORIGIN_MALFORMED,
	       "two Origin headers: malformed");
}

static void test_allowlist(void)
{
	A("https://app.example.com", "ws.example.com", "https://app.example.com");
	D("http://app.example.com", "ws.example.com", "https://app.example.com");
	D("https://app.example.com:8443", "ws.example.com", "https://app.example.com");
	A("https://app.example.com:443", "ws.example.com", "https://app.example.com");
	A("https://app.example.com", "ws.example.com", "https://app.example.com:443");
	A("https://App.Example.COM", "x", "https://app.example.com");
	A("https://app.example.com", "x", "HTTPS://APP.EXAMPLE.COM");
	D("https://app.example.com.evil.net", "x", "https://app.example.com");
	D("https://evil-app.example.com", "x", "app.example.com");
	D("https://app.example.co", "x", "app.example.com");
	/* host[:port]: any scheme, the Origin scheme's default port */
	A("http://app.example.com", "x", "app.example.com");
	A("https://app.example.com", "x", "app.example.com");
	D("https://app.example.com:8443", "x", "app.example.com");
	A("https://app.example.com:8443", "x", "app.example.com:8443");
	A("http://localhost:3000", "x", "localhost:3000");
	D("http://localhost:3001", "x", "localhost:3000");
	D("http://localhost", "x", "localhost:3000");
	/* wildcards: whole labels, not the domain itself */
	A("https://a.example.com", "x", "*.example.com");
	A("https://a.b.example.com", "x", "*.example.com");
	D("https://example.com", "x", "*.example.com");
	D("https://aexample.com", "x", "*.example.com");
	D("https://a.example.com.evil.net", "x", "*.example.com");
	D("https://a.example.com:8443", "x", "*.example.com");
	A("https://a.example.com:8443", "x", "*.example.com:8443");
	A("https://a.example.com", "x", "https://*.example.com");
	D("http://a.example.com", "x", "https://*.example.com");
	/* '*' and null */
	A("https://anything.test", "x", "*");
	A("chrome-extension://abcdef", "x", "*");
	D("null", "x", "*");
	A("null", "x", "null");
	D("https://example.com", "x", "null");
	/* several entries */
	A("https://b.test", "x", "https://a.test", "https://b.test");
	D("https://c.test", "x", "https://a.test", "https://b.test");
	/* IPv6 entries */
	A("http://[::1]:8080", "x", "[::1]:8080");
	D("http://[::2]:8080", "x", "[::1]:8080");
	/* --origin replaces same-origin: the Host itself is not implied */
	D("https://example.com", "example.com", "https://other.test");
}

static void test_sameorigin_flag(void)
{
	const char *al[] = { "*.example.com" };
	is_int(chk("https://ws.example.com", "ws.example.com", true, al, 1), ORIGIN_ALLOWED,
	       "--sameorigin with --origin: both hold");
	is_int(chk("https://app.example.com", "ws.example.com", true, al, 1), ORIGIN_DENIED,
	       "--sameorigin with --origin: listed but not same-origin");
	is_int(chk("https://ws.example.com", "ws.example.com", true, NULL, 0), ORIGIN_ALLOWED,
	       "--sameorigin alone is the default");
}

static void test_entries(void)
{
	static const char *good[] = { "*", "null", "example.com", "example.com:8080",
		"https://example.com", "https://example.com:8443", "*.example.com",
		"https://*.example.com", "[::1]:8080", "http://[::1]", "chrome-extension://abc" };
	static const char *bad[] = { "", "https://example.com/", "https://example.com/app",
		"example.com:", "example.com:65536", "exa mple.com", "*example.com", "*.",
		"*.[::1]", "https://", "https://example.com?x", "http://user@example.com", "**" };
	const char *why;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(origin_entry_ok(good[i], &why), "entry '%s' valid", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		ok(!origin_entry_ok(bad[i], &why) && why != NULL, "entry '%s' invalid (%s)", bad[i],
		   why ? why : "-");
	}
}

int main(void)
{
	test_same_origin();
	test_malformed();
	test_allowlist();
	test_sameorigin_flag();
	test_entries();
	return done_testing();
}
