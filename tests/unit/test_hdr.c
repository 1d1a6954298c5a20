/* test_hdr.c - header helpers: case-insensitive names, tchar, #rule lists, lookups. */
#include "tap.h"

#include "err.h"
#include "hdr.h"

/* Collect the list elements of v (read from a guard page) joined by '|'. */
static const char *items(const char *v)
{
	static char res[256];
	size_t len = strlen(v), pos = 0, o = 0, it_len;
	const char *it;
	uint8_t *g = guard_copy(v, len);

	res[0] = '\0';
	while (hdr_list_next((const char *)g, len, &pos, &it, &it_len)) {
		if (o + it_len + 2 >= sizeof(res))
			break;
		if (o)
			res[o++] = '|';
		memcpy(res + o, it, it_len);
		o += it_len;
		res[o] = '\0';
	}
	ok(pos == len && it == NULL && it_len == 0, "list \"%s\" ends at its length", v);
	guard_free(g, len);
	return res;
}

static void test_ieq(void)
{
	ok(hdr_ieq("Upgrade", 7, "upgrade"), "ieq ignores case");
	ok(hdr_ieq("UPGRADE", 7, "Upgrade"), "ieq ignores case both ways");
	ok(!hdr_ieq("Upgrade", 6, "upgrade"), "ieq: shorter slice differs");
	ok(!hdr_ieq("Upgrades", 8, "upgrade"), "ieq: longer slice differs");
	ok(!hdr_ieq("Upgrade", 7, "upgradx"), "ieq: different byte");
	ok(hdr_ieq("", 0, ""), "ieq: empty equals empty");
	ok(hdr_ieq(NULL, 0, ""), "ieq: NULL empty slice equals empty");
	ok(!hdr_ieq("\xc3\x89", 2, "\xc3\xa9"), "ieq folds ASCII only");
	ok(!hdr_ieq("[", 1, "{"), "ieq: '[' is not '{' (no bit-5 folding of non-letters)");
	ok(!hdr_ieq("@", 1, "`"), "ieq: '@' is not '`'");
	/* The slice is not NUL-terminated: only len bytes are read. */
	uint8_t *g = guard_copy("HOST", 4);
	ok(hdr_ieq((const char *)g, 4, "host"), "ieq reads only len bytes (guard page)");
	guard_free(g, 4);
}

static void test_tchar(void)
{
	int n = 0;

	for (int c = 0; c < 256; c++)
		n += hdr_is_tchar((unsigned char)c);
	is_int(n, 77, "77 tchars (ALPHA, DIGIT and 15 symbols)");
	ok(hdr_is_tchar('!') && hdr_is_tchar('~') && hdr_is_tchar('`') && hdr_is_tchar('|'),
	   "symbols ! ~ ` | are tchar");
	ok(!hdr_is_tchar('/') && !hdr_is_tchar(':') && !hdr_is_tchar(' ') && !hdr_is_tchar('"') &&
	   !hdr_is_tchar(',') && !hdr_is_tchar('(') && !hdr_is_tchar('@') && !hdr_is_tchar('='),
	   "separators are not tchar");
	ok(!hdr_is_tchar(0) && !hdr_is_tchar('\t') && !hdr_is_tchar(0x7F) && !hdr_is_tchar(0x80) &&
	   !hdr_is_tchar(0xFF), "NUL, HTAB, DEL, obs-text are not tchar");
}

static void test_list(void)
{
	ok(strcmp(items("a, b ,c"), "a|b|c") == 0, "simple list");
	ok(strcmp(items(",,a,, ,b,"), "a|b") == 0, "empty elements skipped");
	ok(strcmp(items(""), "") == 0, "empty value has no elements");
	ok(strcmp(items(" ,\t, "), "") == 0, "only separators has no elements");
	ok(strcmp(items("\ta\t,\t b"), "a|b") == 0, "HTAB is OWS");
	ok(strcmp(items("a b, c"), "a b|c") == 0, "inner space kept in element");
	ok(strcmp(items("keep-alive, Upgrade"), "keep-alive|Upgrade") == 0, "Connection style");
	ok(strcmp(items("a, \"b,c\", d"), "a|\"b,c\"|d") == 0, "comma inside quoted-string");
	ok(strcmp(items("x;q=\"1,2\",y"), "x;q=\"1,2\"|y") == 0, "quoted parameter value");
	ok(strcmp(items("\"x\\\",y\", z"), "\"x\\\",y\"|z") == 0, "escaped quote inside quotes");
	ok(strcmp(items("a, \"b, c"), "a|\"b, c") == 0, "unterminated quote runs to the end");
	ok(strcmp(items("\"a\\"), "\"a\\") == 0, "backslash at the very end in quotes");
	ok(strcmp(items("a\\,b"), "a\\|b") == 0, "backslash outside quotes does not escape");
	ok(strcmp(items("single"), "single") == 0, "one element");

	/* pos keeps state: a second walk from the start gives the same elements. */
	const char *v = "p, q";
	size_t pos = 0, n;
	const char *it;
	ok(hdr_list_next(v, 4, &pos, &it, &n) && n == 1 && *it == 'p', "first element p");
	ok(hdr_list_next(v, 4, &pos, &it, &n) && n == 1 && *it == 'q', "second element q");
	ok(!hdr_list_next(v, 4, &pos, &it, &n), "then the end");
	ok(!hdr_list_next(v, 4, &pos, &it, &n), "end is sticky");
	pos = 0;
	ok(hdr_list_next(v, 1, &pos, &it, &n) && n == 1 && !hdr_list_next(v, 1, &pos, &it, &n),
	   "len bounds the walk");
}

static struct http_req req;

static void add(const char *name, const char *value)
{
	struct http_header *h = &req.headers[req.nheaders++];
	h->name = name;
	h->name_len = strlen(name);
	h->value = value;
	h->value_len = strlen(value);
}

static void test_lookup(void)
{
	memset(&req, 0, sizeof(req));
	add("Host", "example.com");
	add("connection", "keep-alive");
	add("X-Foo", "1");
	add("CONNECTION", "Upgrade");
	add("Upgrade", "h2c, WebSocket");
	add("X-Up", "upgrades, xupgrade, upgrade-x");

	is_int(hdr_find(&req, "host", 0), 0, "find Host case-insensitively");
	is_int(hdr_find(&req, "Connection", 0), 1, "find first Connection");
	is_int(hdr_find(&req, "Connection", 2), 3, "find next Connection from 2");
	is_int(hdr_find(&req, "Connection", 4), -1, "no Connection after 3");
	is_int(hdr_find(&req, "Connection", 100), -1, "from past the end");
	is_int(hdr_find(&req, "Missing", 0), -1, "missing header");
	is_int(hdr_find(&req, "Hos", 0), -1, "prefix of a name is not the name");
	is_int(hdr_count(&req, "connection"), 2, "two Connection headers");
	is_int(hdr_count(&req, "Host"), 1, "one Host");
	is_int(hdr_count(&req, "Nope"), 0, "zero Nope");

	ok(hdr_has_token(&req, "Connection", "upgrade"), "token found in second of two headers");
	ok(hdr_has_token(&req, "Connection", "KEEP-ALIVE"), "token compare is case-insensitive");
	ok(hdr_has_token(&req, "upgrade", "websocket"), "token in list with others");
	ok(!hdr_has_token(&req, "X-Up", "upgrade"), "substrings are not tokens");
	ok(!hdr_has_token(&req, "Connection", "close"), "absent token");
	ok(!hdr_has_token(&req, "Missing", "x"), "absent header");
	ok(!hdr_has_token(&req, "X-Foo", ""), "empty token never matches (no empty elements)");

	memset(&req, 0, sizeof(req));
	is_int(hdr_find(&req, "Host", 0), -1, "no headers: find -1");
	is_int(hdr_count(&req, "Host"), 0, "no headers: count 0");
}

static void test_host_split(void)
{
	static const struct { const char *in, *host, *port; } cases[] = {
		{ "example.com", "example.com", "" },
		{ "example.com:8080", "example.com", "8080" },
		{ "[::1]:8080", "[::1]", "8080" },
		{ "[::1]", "[::1]", "" },
		{ "127.0.0.1:80", "127.0.0.1", "80" },
		{ "", "", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[64];
		snprintf(buf, sizeof(buf), "%s", cases[i].in);
		const char *port = hdr_host_split(buf);
		ok(strcmp(buf, cases[i].host) == 0 && strcmp(port, cases[i].port) == 0,
		   "host split '%s' -> '%s' '%s' (got '%s' '%s')", cases[i].in, cases[i].host,
		   cases[i].port, buf, port);
	}
}

static void test_hexval(void)
{
	const char *digits = "0123456789abcdefABCDEF";
	int want[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 10, 11, 12, 13, 14, 15 };
	int bad = 0;
	for (size_t i = 0; digits[i]; i++)
		bad += hdr_hexval(digits[i]) != want[i];
	for (int c = 0; c < 256; c++)
		if (!strchr(digits, c) || c == 0)
			bad += hdr_hexval((char)c) != -1;
	is_int(bad, 0, "hex digits 0-9a-fA-F have their values, every other byte is -1");
}

int main(void)
{
	test_ieq();
	test_tchar();
	test_list();
	test_lookup();
	test_host_split();
	test_hexval();
	return done_testing();
}
