/* test_cgiresp.c - the CGI script's header block (RFC 3875 section 6). */
#include "tap.h"

#include "cgiresp.h"
#include "err.h"

static struct cgiresp cr;
/* The slices in cr point into the last input: it stays mapped until the next parse. */
static uint8_t *last;
static size_t last_len;

static int parse(const char *s)
{
	if (last)
		guard_free(last, last_len);
	last_len = strlen(s);
	last = guard_copy(s, last_len);
	return cgiresp_parse(last, last_len, &cr);
}

int main(void)
{
	const char *doc = "Content-Type: text/plain\nX-A:  b  \n\nbody";
	is_int(parse(doc), (int)strlen(doc) - 4, "document response: head length");
	ok(cr.status == 200 && cr.has_content_type && cr.nheaders == 2 && cr.headers[1].value_len == 1 &&
	   cr.headers[1].value[0] == 'b', "status 200, fields kept, value trimmed");
	const char *crlf = "Status: 404 Nope\r\nContent-Type: text/html\r\n\r\n";
	is_int(parse(crlf), (int)strlen(crlf), "CRLF lines");
	ok(cr.status == 404 && cr.reason_len == 4 && memcmp(cr.reason, "Nope", 4) == 0 && cr.nheaders == 1,
	   "Status: 404 Nope (not kept as a field)");
	is_int(parse("Location: /elsewhere\n\n"), 22, "local redirect");
	ok(cr.status == 302 && cr.has_location, "Location without Status: 302");
	parse("Status: 301\nLocation: http://x/\n\n");
	ok(cr.status == 301 && cr.reason == NULL, "Status wins over Location's 302; no reason");
	is_int(parse("\n"), 1, "empty block: status 200");
	is_int(parse("Content-Type: text/plain\n"), WS_NEED_MORE, "no empty line yet");
	is_int(parse("Content-Type: text/pl"), WS_NEED_MORE, "mid-line");
	is_int(parse("Content-Type text/plain\n\n"), WS_E_MALFORMED, "no colon");
	is_int(parse(" X: y\n\n"), WS_E_MALFORMED, "leading space (obs-fold) refused");
	is_int(parse("Bad Name: y\n\n"), WS_E_MALFORMED, "space in a name");
	is_int(parse("X: a\x01" "b\n\n"), WS_E_MALFORMED, "control byte in a value");
	is_int(parse("X: a\rb\n\n"), WS_E_MALFORMED, "bare CR in a value");
	is_int(parse("Status: 1000\n\n"), WS_E_MALFORMED, "Status 1000");
	is_int(parse("Status: 100\n\n"), WS_E_MALFORMED, "Status 1xx");
	is_int(parse("Status: abc\n\n"), WS_E_MALFORMED, "Status not a number");
	is_int(parse("Status: 200\nStatus: 201\n\n"), WS_E_MALFORMED, "Status twice");
	is_int(parse("Location:\n\n"), WS_E_MALFORMED, "empty Location");
	{
		char many[8192] = "";
		for (unsigned i = 0; i <= WS_CGI_HEADERS_MAX; i++)
			strcat(many, "X: y\n");
		strcat(many, "\n");
		is_int(parse(many), WS_E_LIMIT, "more than WS_CGI_HEADERS_MAX fields");
	}
	/* every prefix of a complete block is NEED_MORE */
	int pre = 1;
	for (size_t n = 0; n < strlen(crlf); n++) {
		uint8_t *g = guard_copy(crlf, n);
		int r = cgiresp_parse(g, n, &cr);
		guard_free(g, n);
		if (r != WS_NEED_MORE && !(n == strlen(crlf) - 1 && r > 0)) {
			pre = 0;
			printf("#   prefix %zu: %d\n", n, r);
		}
	}
	ok(pre, "every prefix: NEED_MORE");
	ok(cgiresp_hop_by_hop("connection", 10) && cgiresp_hop_by_hop("Transfer-Encoding", 17) &&
	   !cgiresp_hop_by_hop("Content-Type", 12), "hop-by-hop fields");
	return done_testing();
}
