/* origin.c - Origin (RFC 6454) against the --origin allowlist or same-origin with Host;
 * see origin.h. Everything is parsed into fields first and compared field by field, so
 * "https://example.com.evil.net" can never pass for "example.com". */
#include "origin.h"

#include <string.h>

struct oparts {
	const char *scheme;  /* NULL when absent (entries only) */
	size_t scheme_len;
	const char *host;    /* brackets kept for IPv6; for a wildcard, the domain */
	size_t host_len;
	long port;           /* -1 when absent */
	bool wildcard;       /* "*.domain" */
};

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

static bool ieq(const char *a, size_t an, const char *b, size_t bn)
{
	if (an != bn)
		return false;
	for (size_t i = 0; i < an; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 3986 3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). */
static bool scheme_ok(const char *s, size_t n)
{
	if (n == 0 || !is_alpha((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.')
			return false;
	}
	return true;
}

/* A reg-name as browsers serialize it (ASCII, punycode for IDNs) or an IPv4 literal:
 * letters, digits, '-', '.', '_'. Nothing that could start a path, query, userinfo or
 * port. */
static bool regname_ok(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.' && c != '_')
			return false;
	}
	return true;
}

/* host [":" port], host a reg-name or "[" IPv6 "]". */
static bool hostport_parse(const char *s, size_t n, struct oparts *o)
{
	size_t hend;
	o->port = -1;
	if (n > 0 && s[0] == '[') {
		const char *rb = memchr(s, ']', n);
		if (rb == NULL || rb == s + 1)
			return false;
		hend = (size_t)(rb - s) + 1;
		for (size_t i = 1; i + 1 < hend; i++) {
			unsigned char c = (unsigned char)s[i];
			if (!is_digit(c) && !(lower(c) >= 'a' && lower(c) <= 'f') && c != ':' && c != '.')
				return false;
		}
	} else {
		const char *colon = memchr(s, ':', n);
		hend = colon ? (size_t)(colon - s) : n;
		if (!regname_ok(s, hend))
			return false;
	}
	o->host = s;
	o->host_len = hend;
	if (hend == n)
		return true;
	if (s[hend] != ':' || n - hend - 1 == 0 || n - hend - 1 > 5)
		return false;
	long p = 0;
	for (size_t i = hend + 1; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return false;
		p = p * 10 + (s[i] - '0');
	}
	if (p > 65535)
		return false;
	o->port = p;
	return true;
}

/* Take a leading `scheme "://"` off *s and *n into o (o is reset first). Returns 1 when one
 * was taken, 0 when there is none, -1 when the scheme is not valid. */
static int scheme_take(const char **s, size_t *n, struct oparts *o)
{
	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i + 2 < *n; i++) {
		if ((*s)[i] == ':' && (*s)[i + 1] == '/' && (*s)[i + 2] == '/') {
			if (!scheme_ok(*s, i))
				return -1;
			o->scheme = *s;
			o->scheme_len = i;
			*s += i + 3;
			*n -= i + 3;
			return 1;
		}
	}
	return 0;
}

/* An Origin value other than "null" (RFC 6454 6.2): the scheme is required. */
static bool origin_parse(const char *s, size_t n, struct oparts *o)
{
	return scheme_take(&s, &n, o) == 1 && hostport_parse(s, n, o);
}

/* [scheme "://"] ["*."] host [":" port] */
static bool entry_parse(const char *s, size_t n, struct oparts *o)
{
	if (scheme_take(&s, &n, o) < 0)
		return false;
	if (n >= 2 && s[0] == '*' && s[1] == '.') {
		o->wildcard = true;
		s += 2;
		n -= 2;
		if (n > 0 && s[0] == '[')
			return false; /* "*.[::1]" means nothing */
	}
	return hostport_parse(s, n, o);
}

static long default_port(const char *scheme, size_t n)
{
	if (ieq(scheme, n, "http", 4) || ieq(scheme, n, "ws", 2))
		return 80;
	if (ieq(scheme, n, "https", 5) || ieq(scheme, n, "wss", 3))
		return 443;
	return -1;
}

static long effective_port(long explicit_port, const struct oparts *origin)
{
	return explicit_port >= 0 ? explicit_port : default_port(origin->scheme, origin->scheme_len);
}

static bool host_matches(const struct oparts *e, const struct oparts *o)
{
	if (!e->wildcard)
		return ieq(e->host, e->host_len, o->host, o->host_len);
	/* "*.example.com": at least one label, then ".example.com", whole labels only. */
	if (o->host[0] == '[' || o->host_len < e->host_len + 2)
		return false;
	size_t off = o->host_len - e->host_len;
	return o->host[off - 1] == '.' && ieq(o->host + off, e->host_len, e->host, e->host_len);
}

static bool entry_matches(const char *entry, const struct oparts *o)
{
	struct oparts e;
	if (!entry_parse(entry, strlen(entry), &e))
		return false;
	long want;
	if (e.scheme != NULL) {
		if (!ieq(e.scheme, e.scheme_len, o->scheme, o->scheme_len))
			return false;
		want = e.port >= 0 ? e.port : default_port(e.scheme, e.scheme_len);
	} else {
		want = effective_port(e.port, o);
	}
	return host_matches(&e, o) && want == effective_port(o->port, o);
}

static bool same_origin(const struct oparts *o, const char *host, size_t host_len, bool tls)
{
	struct oparts h;
	memset(&h, 0, sizeof(h));
	if (host == NULL || !hostport_parse(host, host_len, &h))
		return false;
	/* RFC 6454 5: scheme, host and port. Our scheme is the connection's: an http page
	 * is not same-origin with a wss endpoint, nor is any other scheme (-1) with either. */
	long ours = tls ? 443 : 80;
	if (default_port(o->scheme, o->scheme_len) != ours)
		return false;
	return ieq(h.host, h.host_len, o->host, o->host_len) &&
	       (h.port >= 0 ? h.port : ours) == effective_port(o->port, o);
}

enum origin_verdict origin_check(const char *origin, size_t origin_len, size_t n_origin_headers,
				 const char *host, size_t host_len, const struct origin_policy *pol)
{
	if (n_origin_headers == 0)
		return ORIGIN_ABSENT;
	/* RFC 6454 7.3: a user agent sends at most one Origin field. */
	if (n_origin_headers > 1 || origin == NULL)
		return ORIGIN_MALFORMED;
	if (origin_len == 4 && memcmp(origin, "null", 4) == 0) {
		for (size_t i = 0; i < pol->nallow; i++)
			if (strcmp(pol->allow[i], "null") == 0)
				return ORIGIN_ALLOWED;
		return ORIGIN_DENIED;
	}
	struct oparts o;
	if (!origin_parse(origin, origin_len, &o))
		return ORIGIN_MALFORMED;
	if (pol->nallow == 0 || pol->sameorigin) {
		if (!same_origin(&o, host, host_len, pol->tls))
			return ORIGIN_DENIED;
		if (pol->nallow == 0)
			return ORIGIN_ALLOWED;
	}
	for (size_t i = 0; i < pol->nallow; i++) {
		const char *e = pol->allow[i];
		if (strcmp(e, "*") == 0 || entry_matches(e, &o))
			return ORIGIN_ALLOWED;
	}
	return ORIGIN_DENIED;
}

bool origin_entry_ok(const char *s, const char **why)
{
	const char *dummy;
	struct oparts e;
	if (why == NULL)
		why = &dummy;
	*why = NULL;
	if (strcmp(s, "*") == 0 || strcmp(s, "null") == 0)
		return true;
	if (!entry_parse(s, strlen(s), &e)) {
		*why = strchr(s, '/') && !strstr(s, "://") ? "not scheme://host[:port]"
			: "expected [scheme://]host[:port], *.domain or *";
		if (strstr(s, "://") && strchr(strstr(s, "://") + 3, '/'))
			*why = "an origin has no path (not even a trailing '/')";
		return false;
	}
	return true;
}
