/* test_httpdate.c - IMF-fixdate formatting; the three HTTP date forms parsed. */
#include "tap.h"

#include "err.h"
#include "httpdate.h"

static void fmt(int64_t t, const char *want)
{
	char out[30];
	int r = httpdate_format(t, out);
	ok(r == 0 && strcmp(out, want) == 0, "format %lld -> %s", (long long)t, want);
	if (r == 0 && strcmp(out, want) != 0)
		printf("#   got %s\n", out);
}

static void parse(const char *s, int64_t want)
{
	int64_t t = -1;
	size_t n = strlen(s);
	uint8_t *g = guard_copy(s, n);
	int r = httpdate_parse((const char *)g, n, &t);
	guard_free(g, n);
	ok(r == 0 && t == want, "parse '%s' -> %lld", s, (long long)want);
	if (r != 0 || t != want)
		printf("#   got r=%d t=%lld\n", r, (long long)t);
}

static void bad(const char *s)
{
	int64_t t;
	size_t n = strlen(s);
	uint8_t *g = guard_copy(s, n);
	int r = httpdate_parse((const char *)g, n, &t);
	guard_free(g, n);
	ok(r == WS_E_MALFORMED, "refused '%s'", s);
}

int main(void)
{
	fmt(0, "Thu, 01 Jan 1970 00:00:00 GMT");
	fmt(784111777, "Sun, 06 Nov 1994 08:49:37 GMT");  /* RFC 7231's example */
	fmt(951782400, "Tue, 29 Feb 2000 00:00:00 GMT");
	fmt(1709164800, "Thu, 29 Feb 2024 00:00:00 GMT");
	fmt(4102444799LL, "Thu, 31 Dec 2099 23:59:59 GMT");
	fmt(253402300799LL, "Fri, 31 Dec 9999 23:59:59 GMT");
	{
		char out[30];
		is_int(httpdate_format(-1, out), WS_E_LIMIT, "format: before 1970 refused");
		is_int(httpdate_format(253402300800LL, out), WS_E_LIMIT, "format: after 9999 refused");
	}
	parse("Sun, 06 Nov 1994 08:49:37 GMT", 784111777);
	parse("  Sun, 06 Nov 1994 08:49:37 GMT ", 784111777);
	parse("Sunday, 06-Nov-94 08:49:37 GMT", 784111777);
	parse("Sun Nov  6 08:49:37 1994", 784111777);
	parse("Sun Nov 6 08:49:37 1994", 784111777);
	parse("Thu, 01 Jan 1970 00:00:00 GMT", 0);
	parse("Thursday, 01-Jan-70 00:00:00 GMT", 0);
	parse("Tuesday, 01-Jan-30 00:00:00 GMT", 1893456000);
	parse("Tue, 29 Feb 2000 00:00:00 GMT", 951782400);
	/* round trip over a range of times */
	int rt = 1;
	for (int64_t t = 0; t < 4102444800LL; t += 86400LL * 37 + 3601) {
		char out[30];
		int64_t back;
		if (httpdate_format(t, out) != 0 || httpdate_parse(out, 29, &back) != 0 || back != t) {
			rt = 0;
			printf("#   round trip failed at %lld (%s)\n", (long long)t, out);
			break;
		}
	}
	ok(rt, "format/parse round trip 1970-2100");
	bad("");
	bad("yesterday");
	bad("Sun, 06 Nov 1994 08:49:37 UTC");
	bad("Sun, 6 Nov 1994 08:49:37 GMT");
	bad("Sun, 06 Nov 1994 08:49 GMT");
	bad("Sun, 06 Nov 1994 24:00:00 GMT");
	bad("Sun, 31 Nov 1994 08:49:37 GMT");
	bad("Wed, 29 Feb 2023 00:00:00 GMT");
	bad("Mon, 06 Nov 1994 08:49:37 GMT"); /* wrong weekday */
	bad("Sun, 06 Foo 1994 08:49:37 GMT");
	bad("Sun, 06 Nov 1994 08:49:37 GMTx");
	bad("Sun, 06 Nov 1969 08:49:37 GMT");
	bad("Sunday, 06-Nov-1994 08:49:37 GMT");
	/* every prefix of a valid date is refused, never read past */
	const char *d = "Sun, 06 Nov 1994 08:49:37 GMT";
	int prefixes = 1;
	for (size_t n = 0; n < strlen(d); n++) {
		int64_t t;
		uint8_t *g = guard_copy(d, n);
		if (httpdate_parse((const char *)g, n, &t) != WS_E_MALFORMED)
			prefixes = 0;
		guard_free(g, n);
	}
	ok(prefixes, "every proper prefix refused");
	return done_testing();
}
