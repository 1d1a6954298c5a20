/* test_http_req.c - request head parser: prefixes, byte-at-a-time feeding, guard-page
 * inputs, control-byte injection, obs-fold, bare LF, header-count limit, versions. */
#include "tap.h"

#include "err.h"
#include "http_req.h"

static struct http_req req;

/* The last input, copied against a guard page; kept until the next parse so the
 * slices in `req` stay valid for the checks that follow. */
static uint8_t *last;
static size_t last_len;

static int parse_n(const void *s, size_t len, size_t max_headers)
{
	if (last)
		guard_free(last, last_len);
	last = guard_copy(s, len);
	last_len = len;
	return http_req_parse(last, len, max_headers, &req);
}

static int parse(const char *s)
{
	return parse_n(s, strlen(s), WS_HEADERS_DEFAULT);
}

static int sleq(const char *p, size_t n, const char *lit)
{
	return p != NULL && n == strlen(lit) && memcmp(p, lit, n) == 0;
}

static int hdr_is(size_t i, const char *name, const char *value)
{
	return i < req.nheaders && sleq(req.headers[i].name, req.headers[i].name_len, name) &&
	       sleq(req.headers[i].value, req.headers[i].value_len, value);
}

static const char simple[] =
	"GET /chat?x=1 HTTP/1.1\r\n"
	"Host: server.example.com\r\n"
	"Upgrade: websocket\r\n"
	"Connection: Upgrade\r\n"
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	"Sec-WebSocket-Version: 13\r\n"
	"\r\n";

static void test_simple(void)
{
	is_int(parse(simple), strlen(simple), "simple request parses to its full length");
	ok(sleq(req.method, req.method_len, "GET"), "method GET");
	ok(sleq(req.target, req.target_len, "/chat?x=1"), "target");
	is_int(req.minor_version, 1, "HTTP/1.1");
	is_int(req.nheaders, 5, "five headers");
	ok(hdr_is(0, "Host", "server.example.com"), "Host header");
	ok(hdr_is(3, "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), "key header");
	ok(hdr_is(4, "Sec-WebSocket-Version", "13"), "version header");
	ok(req.why == NULL, "no reason on success");
	ok((const uint8_t *)req.method == last, "slices point into the caller's buffer");

	/* Bytes after the head (a pipelined body) are not consumed. */
	char more[sizeof(simple) + 8];
	memcpy(more, simple, sizeof(simple) - 1);
	memcpy(more + sizeof(simple) - 1, "trailing", 8);
	is_int(parse_n(more, sizeof(more), 100), strlen(simple), "bytes after the head not consumed");

	is_int(parse("GET / HTTP/1.1\r\n\r\n"), 18, "no headers at all");
	is_int(req.nheaders, 0, "zero headers");
	is_int(parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), 31, "asterisk-form target");
	is_int(parse("GET http://a.example/b?c HTTP/1.1\r\n\r\n"), 37, "absolute-form target");
	is_int(parse("M-._~!#$%&'*+^`| / HTTP/1.1\r\n\r\n"), 31, "method of all tchar symbols");
}

/* Valid heads used for the prefix and one-byte tests. */
static const char *const valid[] = {
	simple,
	"GET / HTTP/1.1\nHost: a\nX: y\n\n",                       /* bare LF */
	"GET / HTTP/1.0\r\nHost: a\n\r\n",                         /* mixed, HTTP/1.0 */
	"GET / HTTP/1.1\r\nX-Empty:\r\nX-Sp:   \r\n\r\n",          /* empty values */
	"GET /%C3%A9 HTTP/1.1\r\nX: \xc3\xa9 obs\x80text\xff\r\n\r\n", /* obs-text */
	"GET / HTTP/1.1\r\nX:\ta \t b\t \r\nY:z\r\n\r\n",           /* OWS around values */
};
#define NVALID (sizeof(valid) / sizeof(valid[0]))

static void test_prefixes(void)
{
	for (size_t v = 0; v < NVALID; v++) {
		size_t len = strlen(valid[v]);
		int bad = 0;

		/* Every proper prefix, each against a guard page: NEED_MORE, no over-read. */
		for (size_t n = 0; n < len; n++)
			if (parse_n(valid[v], n, 100) != WS_NEED_MORE)
				bad++;
		is_int(bad, 0, "valid #%zu: all %zu proper prefixes are NEED_MORE", v, len);
		is_int(parse_n(valid[v], len, 100), len, "valid #%zu: whole input parses", v);
	}
}

/* The caller's buffer grows one byte at a time, as conn.c would feed it. */
static void test_one_byte(void)
{
	static uint8_t buf[512]; /* outlives the loop: req's slices point into it */

	for (size_t v = 0; v < NVALID; v++) {
		size_t len = strlen(valid[v]), n;
		int r = WS_NEED_MORE;

		for (n = 0; n < len && r == WS_NEED_MORE; n++) {
			buf[n] = (uint8_t)valid[v][n];
			r = http_req_parse(buf, n + 1, 100, &req);
		}
		ok(r == (int)len && n == len, "valid #%zu: byte-at-a-time completes at the last byte", v);
	}
	is_int(req.nheaders, 2, "last one-byte parse kept both headers");
	ok(hdr_is(0, "X", "a \t b"), "OWS trimmed, inner whitespace kept");
	ok(hdr_is(1, "Y", "z"), "value without OWS");
}

static void test_line_ends(void)
{
	is_int(parse("GET / HTTP/1.1\nHost: a\n\n"), 24, "bare LF accepted everywhere");
	ok(hdr_is(0, "Host", "a"), "bare LF header value");
	is_int(parse("GET / HTTP/1.1\r\nHost: a\n\r\n"), 26, "mixed CRLF and LF");
	is_int(parse("GET / HTTP/1.1\rX"), WS_E_MALFORMED, "bare CR after version");
	is_int(parse("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"), WS_E_MALFORMED, "bare CR in value");
	is_int(parse("GET / HTTP/1.1\r\nHost: a\r\n\rX"), WS_E_MALFORMED, "bare CR at the end");
	is_int(parse("GET / HTTP/1.1\r\nHost: a\r\n\r"), WS_NEED_MORE, "CR at the end waits");
	is_int(parse("\r\nGET / HTTP/1.1\r\n\r\n"), WS_E_MALFORMED, "leading empty line rejected");
	is_int(parse("\nGET / HTTP/1.1\r\n\r\n"), WS_E_MALFORMED, "leading LF rejected");
}

static void test_versions(void)
{
	is_int(parse("GET / HTTP/1.0\r\n\r\n"), 18, "HTTP/1.0 accepted");
	is_int(req.minor_version, 0, "minor 0");
	is_int(parse("GET / HTTP/1.1\r\n\r\n"), 18, "HTTP/1.1 accepted");
	is_int(req.minor_version, 1, "minor 1");

	static const char *bad[] = {
		"GET / HTTP/2.0\r\n\r\n", "GET / HTTP/1.2\r\n\r\n", "GET / HTTP/0.9\r\n\r\n",
		"GET / http/1.1\r\n\r\n", "GET / HTTP/1.10\r\n\r\n", "GET / HTTP/11\r\n\r\n",
		"GET / HTTP/1.1 \r\n\r\n", "GET / HTTP/1.1x\r\n\r\n", "GET / HTTPS/1.1\r\n\r\n",
		"GET / HTTP/1.\r\n\r\n", "GET /\r\n\r\n", "GET / \r\n\r\n", "GET / FOO\r\n\r\n",
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		is_int(parse(bad[i]), WS_E_MALFORMED, "bad version #%zu rejected", i);
		ok(req.why != NULL, "with a reason (%s)", req.why ? req.why : "none");
	}
	is_int(parse("GET / HTTP/2"), WS_E_MALFORMED, "HTTP/2 refused before the line ends");
}

static void test_request_line(void)
{
	is_int(parse(" / HTTP/1.1\r\n\r\n"), WS_E_MALFORMED, "empty method");
	is_int(parse("GET  / HTTP/1.1\r\n\r\n"), WS_E_MALFORMED, "two spaces after method");
	is_int(parse("GET /  HTTP/1.1\r\n\r\n"), WS_E_MALFORMED, "two spaces after target");
	is_int(parse("GET\t/ HTTP/1.1\r\n\r\n"), WS_E_MALFORMED, "HTAB as separator");
	is_int(parse("G(T / HTTP/1.1\r\n\r\n"), WS_E_MALFORMED, "separator in method");
	is_int(parse("GET /a\x7f HTTP/1.1\r\n\r\n"), WS_E_MALFORMED, "DEL in target");
	is_int(parse("GET /\xc3\xa9 HTTP/1.1\r\n\r\n"), WS_E_MALFORMED, "non-ASCII target");
	is_int(parse("G\x01"), WS_E_MALFORMED, "control in method refused at once");
	is_int(parse("GET"), WS_NEED_MORE, "method alone waits");
	is_int(parse("GET /x"), WS_NEED_MORE, "target alone waits");
}

/* Expected acceptance of byte b inserted in each position (RFC 7230 grammar). */
static int is_tchar(int b)
{
	return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
	       (b != 0 && strchr("!#$%&'*+-.^_`|~", b) != NULL);
}

static void test_injection(void)
{
	static const char *const tmpl[] = {
		"G@T / HTTP/1.1\r\nHost: a\r\n\r\n",       /* method */
		"GET /a@b HTTP/1.1\r\nHost: a\r\n\r\n",    /* target */
		"GET / HTTP/1.1\r\nHo@st: a\r\n\r\n",      /* header name */
		"GET / HTTP/1.1\r\nHost: a@b\r\n\r\n",     /* header value (middle) */
	};
	static const char *const where[] = { "method", "target", "name", "value" };

	for (size_t t = 0; t < 4; t++) {
		size_t len = strlen(tmpl[t]);
		const char *at = strchr(tmpl[t], '@');
		int mism = 0, ctl_ok = 0;
		char buf[64];

		memcpy(buf, tmpl[t], len);
		for (int b = 0; b < 256; b++) {
			int want_ok, r;

			buf[at - tmpl[t]] = (char)b;
			switch (t) {
			case 0: want_ok = is_tchar(b); break;
			case 1: want_ok = b > 0x20 && b < 0x7F; break;
			case 2: want_ok = is_tchar(b) || b == ':'; break; /* ':' just ends the name */
			default: want_ok = b == '\t' || (b >= 0x20 && b != 0x7F); break;
			}
			r = parse_n(buf, len, 100);
			if ((r == (int)len) != want_ok || (!want_ok && r != WS_E_MALFORMED))
				mism++;
			if ((b < 0x20 || b == 0x7F) && b != '\t' && r >= 0)
				ctl_ok++;
		}
		is_int(mism, 0, "all 256 bytes in the %s give the RFC 7230 verdict", where[t]);
		is_int(ctl_ok, 0, "no control byte (NUL, CR, LF, DEL...) accepted in the %s", where[t]);
	}
	is_int(parse_n("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", 27, 100), WS_E_MALFORMED, "NUL in value");
	is_int(parse_n("GET / HTTP/1.1\r\nX\0: a\r\n\r\n", 26, 100), WS_E_MALFORMED, "NUL in name");
	is_int(parse_n("GET /\0 HTTP/1.1\r\n\r\n", 19, 100), WS_E_MALFORMED, "NUL in target");
	is_int(parse_n("GE\0T / HTTP/1.1\r\n\r\n", 19, 100), WS_E_MALFORMED, "NUL in method");
	is_int(parse("GET / HTTP/1.1\r\nX: a\nInjected: 1\r\n\r\n"), 36,
	       "LF in a value is a line end (bare LF), not part of the value");
	ok(hdr_is(0, "X", "a") && hdr_is(1, "Injected", "1"), "so it yields two headers");
}

static void test_header_syntax(void)
{
	is_int(parse("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n"), WS_E_MALFORMED, "obs-fold (SP) rejected");
	ok(req.why && strstr(req.why, "fold"), "reason names folding");
	is_int(parse("GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n"), WS_E_MALFORMED, "obs-fold (HTAB) rejected");
	is_int(parse("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), WS_E_MALFORMED, "whitespace before first header");
	is_int(parse("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), WS_E_MALFORMED, "SP before colon");
	ok(req.why && strstr(req.why, "colon"), "reason names the colon");
	is_int(parse("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n"), WS_E_MALFORMED, "HTAB before colon");
	is_int(parse("GET / HTTP/1.1\r\n: a\r\n\r\n"), WS_E_MALFORMED, "empty header name");
	is_int(parse("GET / HTTP/1.1\r\nHost a\r\n\r\n"), WS_E_MALFORMED, "no colon");
	is_int(parse("GET / HTTP/1.1\r\nHost\r\n\r\n"), WS_E_MALFORMED, "name alone");

	is_int(parse("GET / HTTP/1.1\r\nX-Empty:\r\nY:  \t \r\n\r\n"), 36, "empty values");
	ok(hdr_is(0, "X-Empty", "") && hdr_is(1, "Y", ""), "both empty");
	is_int(parse("GET / HTTP/1.1\r\nX: a:b: c\r\n\r\n"), 29, "colons inside the value");
	ok(hdr_is(0, "X", "a:b: c"), "value keeps its colons");
	is_int(parse("GET / HTTP/1.1\r\nX: \"q\\\"\" (c)\r\n\r\n"), 32, "quotes and comments kept raw");
	is_int(parse("GET / HTTP/1.1\r\nX: \x80\xff\r\n\r\n"), 25, "obs-text accepted");
	ok(hdr_is(0, "X", "\x80\xff"), "obs-text kept");
}

/* A request with n headers "Hk: v". */
static char *many(size_t n, size_t *len)
{
	char *s = malloc(20 + n * 16 + 4), *p = s;

	p += sprintf(p, "GET / HTTP/1.1\r\n");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "H%zu: v\r\n", i);
	p += sprintf(p, "\r\n");
	*len = (size_t)(p - s);
	return s;
}

static void test_header_limit(void)
{
	size_t len;
	char *s;

	for (size_t max = 0; max <= 3; max++) {
		s = many(max, &len);
		is_int(parse_n(s, len, max), len, "%zu headers with max_headers %zu: ok", max, max);
		is_int(req.nheaders, max, "nheaders %zu", max);
		free(s);
		s = many(max + 1, &len);
		is_int(parse_n(s, len, max), WS_E_LIMIT, "%zu headers with max_headers %zu: LIMIT",
		       max + 1, max);
		ok(req.why != NULL, "limit has a reason");
		free(s);
	}

	s = many(WS_HEADERS_DEFAULT, &len);
	is_int(parse_n(s, len, WS_HEADERS_DEFAULT), len, "default: exactly 100 headers ok");
	free(s);
	s = many(WS_HEADERS_DEFAULT + 1, &len);
	is_int(parse_n(s, len, WS_HEADERS_DEFAULT), WS_E_LIMIT, "default: 101 headers LIMIT");
	free(s);

	s = many(WS_HEADERS_MAX, &len);
	is_int(parse_n(s, len, WS_HEADERS_MAX), len, "WS_HEADERS_MAX headers ok");
	free(s);
	s = many(WS_HEADERS_MAX + 1, &len);
	is_int(parse_n(s, len, WS_HEADERS_MAX), WS_E_LIMIT, "WS_HEADERS_MAX + 1 headers LIMIT");
	is_int(parse_n(s, len, 5000), WS_E_LIMIT, "max_headers above the array is clamped");
	free(s);

	/* The limit is reported as soon as the extra line begins, without waiting. */
	s = many(2, &len);
	is_int(parse_n(s, strlen("GET / HTTP/1.1\r\nH0: v\r\nH"), 1), WS_E_LIMIT,
	       "LIMIT from the first byte of the extra line");
	is_int(parse_n(s, strlen("GET / HTTP/1.1\r\nH0: v\r\n"), 1), WS_NEED_MORE,
	       "but not before it");
	free(s);
	/* A LIMIT prefix check: with max 2 and 2 headers every prefix still waits. */
	s = many(2, &len);
	int bad = 0;
	for (size_t n = 0; n < len; n++)
		if (parse_n(s, n, 2) != WS_NEED_MORE)
			bad++;
	is_int(bad, 0, "at the limit, every prefix is NEED_MORE");
	free(s);
}

static void test_long_lines(void)
{
	size_t tl = 8000, vl = 60000, nl = 10000;
	char *s = malloc(tl + vl + nl + 100), *p = s;
	size_t len;

	p += sprintf(p, "GET /");
	memset(p, 'a', tl - 1);
	p += tl - 1;
	p += sprintf(p, " HTTP/1.1\r\nX: ");
	memset(p, 'v', vl);
	p += vl;
	p += sprintf(p, "\r\n");
	memset(p, 'N', nl);
	p += nl;
	p += sprintf(p, ": 1\r\n\r\n");
	len = (size_t)(p - s);

	is_int(parse_n(s, len, 100), len, "8000-byte target, 60000-byte value, 10000-byte name");
	is_int(req.target_len, tl, "target length");
	is_int(req.headers[0].value_len, vl, "value length");
	is_int(req.headers[1].name_len, nl, "name length");
	is_int(parse_n(s, len - 1, 100), WS_NEED_MORE, "long head minus one byte waits");
	s[5 + tl + 200] = '\0'; /* inside the long value */
	is_int(parse_n(s, len, 100), WS_E_MALFORMED, "NUL deep inside a long value");
	free(s);
}

static void test_reset(void)
{
	is_int(parse(simple), strlen(simple), "good parse first");
	is_int(parse("\x01"), WS_E_MALFORMED, "then a bad one");
	ok(req.method == NULL && req.target == NULL && req.nheaders == 0 && req.minor_version == 0,
	   "outputs reset on entry");
	ok(req.why != NULL, "reason set");
	is_int(parse(""), WS_NEED_MORE, "empty input waits");
	ok(req.nheaders == 0 && req.method == NULL, "empty input: reset outputs");
}

int main(void)
{
	test_simple();
	test_prefixes();
	test_one_byte();
	test_line_ends();
	test_versions();
	test_request_line();
	test_injection();
	test_header_syntax();
	test_header_limit();
	test_long_lines();
	test_reset();
	if (last)
		guard_free(last, last_len);
	return done_testing();
}
