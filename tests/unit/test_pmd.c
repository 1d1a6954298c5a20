/* test_pmd.c - permessage-deflate negotiation (RFC 7692 5, 7.1): the RFC's offer
 * examples, every malformed form (each declines that offer only), several offers and
 * headers, the server's configuration, rendering. Inputs sit against a guard page. */
#include "tap.h"

#include "err.h"
#include "http_req.h"
#include "pmd.h"

static const struct pmd_config DEF = { .window_bits = 15, .no_context_takeover = false };

/* Negotiate over one header value (read from a guard page); returns the rendered
 * answer, or "-" when nothing was accepted. */
static const char *answer(const char *v, const struct pmd_config *cfg)
{
	static char out[PMD_RENDER_MAX];
	struct pmd_params p;
	size_t len = strlen(v);
	uint8_t *g = guard_copy(v, len);
	int r = pmd_negotiate_value((const char *)g, len, cfg, &p);
	guard_free(g, len);
	if (r != 1)
		return "-";
	if (pmd_render(&p, out, sizeof(out)) < 0)
		return "render failed";
	return out;
}

#define ANSWER(v, cfg, want) do { const char *got_ = answer(v, cfg); \
	if (!ok(strcmp(got_, want) == 0, "offer [%s] -> [%s]", v, want)) \
		printf("#   got [%s]\n", got_); } while (0)

/* Parse one element from a guard page: its return code. */
static int parse(const char *v, struct pmd_offer *o)
{
	const char *why = NULL;
	size_t len = strlen(v);
	uint8_t *g = guard_copy(v, len);
	int r = pmd_parse_offer((const char *)g, len, o, &why);
	guard_free(g, len);
	if (r < 0 && why == NULL)
		return 99; /* a decline must say why */
	return r;
}

static void test_rfc_examples(void)
{
	/* RFC 7692 5.1/7: the bare offer; we keep context and use 15 bits by default. */
	ANSWER("permessage-deflate", &DEF, "permessage-deflate");
	/* 7.1.2.2's typical browser offer: client_max_window_bits without a value; with
	 * our 15-bit window there is nothing to say. */
	ANSWER("permessage-deflate; client_max_window_bits", &DEF, "permessage-deflate");
	/* 5.2 example: two offers, the first with server_max_window_bits=10. */
	ANSWER("permessage-deflate; client_max_window_bits; server_max_window_bits=10, "
	       "permessage-deflate; client_max_window_bits", &DEF,
	       "permessage-deflate; server_max_window_bits=10");
	/* 7.1.3-style offers. */
	ANSWER("permessage-deflate; server_max_window_bits=10", &DEF,
	       "permessage-deflate; server_max_window_bits=10");
	ANSWER("permessage-deflate; server_max_window_bits=10, permessage-deflate", &DEF,
	       "permessage-deflate; server_max_window_bits=10");
	ANSWER("permessage-deflate; server_no_context_takeover", &DEF,
	       "permessage-deflate; server_no_context_takeover");
	ANSWER("permessage-deflate; client_no_context_takeover", &DEF,
	       "permessage-deflate; client_no_context_takeover");
	ANSWER("permessage-deflate; client_max_window_bits=10", &DEF,
	       "permessage-deflate; client_max_window_bits=10");
	ANSWER("permessage-deflate; client_max_window_bits=15", &DEF,
	       "permessage-deflate; client_max_window_bits=15");
	ANSWER("permessage-deflate; server_max_window_bits=15", &DEF,
	       "permessage-deflate; server_max_window_bits=15");
	/* All four at once. */
	ANSWER("permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
	       "server_max_window_bits=9; client_max_window_bits=9", &DEF,
	       "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
	       "server_max_window_bits=9; client_max_window_bits=9");
	/* The client's 8-bit window is fine for us to inflate (we use 9 internally). */
	ANSWER("permessage-deflate; client_max_window_bits=8", &DEF,
	       "permessage-deflate; client_max_window_bits=8");
	/* Chromium's offer. */
	ANSWER("permessage-deflate; client_max_window_bits", &DEF, "permessage-deflate");
	/* Python websockets' default offer. */
	static const struct pmd_config w12 = { 12, false };
	ANSWER("permessage-deflate; client_max_window_bits", &w12,
	       "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12");
}

static void test_config(void)
{
	struct pmd_config nct = { 15, true }, w10 = { 10, false }, w9 = { 9, true };

	ANSWER("permessage-deflate", &nct,
	       "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
	ANSWER("permessage-deflate", &w10, "permessage-deflate; server_max_window_bits=10");
	/* 7.1.2.2: no client_max_window_bits in the answer unless offered. */
	ANSWER("permessage-deflate; client_max_window_bits", &w10,
	       "permessage-deflate; server_max_window_bits=10; client_max_window_bits=10");
	ANSWER("permessage-deflate; client_max_window_bits=12", &w10,
	       "permessage-deflate; server_max_window_bits=10; client_max_window_bits=10");
	ANSWER("permessage-deflate; client_max_window_bits=9", &w10,
	       "permessage-deflate; server_max_window_bits=10; client_max_window_bits=9");
	/* The smaller of ours and the offered server window. */
	ANSWER("permessage-deflate; server_max_window_bits=12", &w10,
	       "permessage-deflate; server_max_window_bits=10");
	ANSWER("permessage-deflate; server_max_window_bits=9", &w10,
	       "permessage-deflate; server_max_window_bits=9");
	ANSWER("permessage-deflate; server_no_context_takeover", &w9,
	       "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
	       "server_max_window_bits=9");

	struct pmd_offer o;
	struct pmd_params p;
	const char *why;
	memset(&o, 0, sizeof(o));
	is_int(pmd_accept(&o, &(struct pmd_config){ 8, false }, &p, &why), WS_E_UNSUPPORTED,
	       "a server window of 8 is refused (zlib)");
	is_int(pmd_accept(&o, &(struct pmd_config){ 16, false }, &p, &why), WS_E_UNSUPPORTED,
	       "a server window of 16 is refused");
	is_int(pmd_accept(&o, &DEF, &p, &why), 0, "the empty offer is accepted");
	ok(p.server_max_window_bits == 15 && p.client_max_window_bits == 15 &&
	   !p.server_no_context_takeover && !p.client_no_context_takeover,
	   "empty offer: 15/15, context kept both ways");
	o.client_max_window_bits = true;
	o.client_max_window_bits_value = 11;
	pmd_accept(&o, &DEF, &p, &why);
	is_int(p.client_max_window_bits, 11, "client window as offered");
}

static void test_zlib_window_8(void)
{
	/* zlib cannot deflate with 8 bits: that offer is declined, the next one taken. */
	ANSWER("permessage-deflate; server_max_window_bits=8", &DEF, "-");
	ANSWER("permessage-deflate; server_max_window_bits=8, permessage-deflate; "
	       "server_max_window_bits=9", &DEF, "permessage-deflate; server_max_window_bits=9");
	ANSWER("permessage-deflate; server_max_window_bits=8, permessage-deflate", &DEF,
	       "permessage-deflate");
	struct pmd_offer o;
	is_int(parse("permessage-deflate; server_max_window_bits=8", &o), 1,
	       "server_max_window_bits=8 is well-formed");
	is_int(o.server_max_window_bits, 8, "... and parsed as 8");
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"permessage-deflate; foo",                                  /* unknown */
		"permessage-deflate; foo=1",
		"permessage-deflate; x-unknown; server_no_context_takeover",
		"permessage-deflate; server_no_context_takeover; server_no_context_takeover",
		"permessage-deflate; client_no_context_takeover; client_no_context_takeover",
		"permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
		"permessage-deflate; client_max_window_bits; client_max_window_bits",
		"permessage-deflate; client_max_window_bits=10; client_max_window_bits",
		"permessage-deflate; Server_No_Context_Takeover; server_no_context_takeover",
		"permessage-deflate; server_no_context_takeover=1",         /* value not allowed */
		"permessage-deflate; client_no_context_takeover=true",
		"permessage-deflate; client_no_context_takeover=\"x\"",
		"permessage-deflate; server_max_window_bits",               /* value required */
		"permessage-deflate; server_max_window_bits=",
		"permessage-deflate; server_max_window_bits=7",             /* out of range */
		"permessage-deflate; server_max_window_bits=16",
		"permessage-deflate; server_max_window_bits=0",
		"permessage-deflate; server_max_window_bits=08",            /* leading zero */
		"permessage-deflate; server_max_window_bits=010",
		"permessage-deflate; server_max_window_bits=abc",
		"permessage-deflate; server_max_window_bits=-9",
		"permessage-deflate; server_max_window_bits=1e1",
		"permessage-deflate; server_max_window_bits=99999999999999999999",
		"permessage-deflate; client_max_window_bits=7",
		"permessage-deflate; client_max_window_bits=16",
		"permessage-deflate; client_max_window_bits=09",
		"permessage-deflate; client_max_window_bits=",
		"permessage-deflate; client_max_window_bits=\"\"",
		"permessage-deflate; client_max_window_bits=\"1 0\"",       /* not a token */
		"permessage-deflate; client_max_window_bits=\"10",          /* unterminated */
		"permessage-deflate; client_max_window_bits=\"10\\",
		"permessage-deflate; client_max_window_bits=\"\\",
		"permessage-deflate; client_max_window_bits=\"12345678901234567890\"",
		"permessage-deflate;",                                      /* empty parameter */
		"permessage-deflate; ;server_no_context_takeover",
		"permessage-deflate;;",
		"permessage-deflate server_no_context_takeover",            /* no ';' */
		"permessage-deflate=1",
		"permessage-deflate; =10",
		"permessage-deflate; server_max_window_bits=10 11",
		"permessage-deflate; server_max_window_bits=10\"",
		"permessage-deflate; client_max_window_bits=\"10\"x",
		"permessage-deflate; server_no_context_takeover\x01",       /* CTL */
		"permessage-deflate; \x7f",
		"permessage-deflate; server_no_\xc3\xa9",                   /* non-ASCII */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pmd_offer o;
		is_int(parse(bad[i], &o), WS_E_MALFORMED, "declined with a reason: [%s]", bad[i]);
		ANSWER(bad[i], &DEF, "-");
	}
	/* NUL inside the value: the slice length counts, not the C string. */
	{
		static const char v[] = "permessage-deflate; server_no_context_takeover\0x";
		struct pmd_offer o;
		const char *why;
		uint8_t *g = guard_copy(v, sizeof(v) - 1);
		is_int(pmd_parse_offer((const char *)g, sizeof(v) - 1, &o, &why), WS_E_MALFORMED,
		       "NUL inside an offer: declined");
		guard_free(g, sizeof(v) - 1);
	}
	/* An element that is not an extension at all. */
	struct pmd_offer o;
	is_int(parse("\"permessage-deflate\"", &o), WS_E_MALFORMED, "quoted extension name: malformed");
	is_int(parse("; permessage-deflate", &o), WS_E_MALFORMED, "leading ';': malformed");
	/* A bad offer never spoils the next one. */
	ANSWER("permessage-deflate; foo, permessage-deflate; server_max_window_bits=12", &DEF,
	       "permessage-deflate; server_max_window_bits=12");
	ANSWER("permessage-deflate; server_max_window_bits=\"1,0\", permessage-deflate", &DEF,
	       "permessage-deflate");
}

static void test_syntax_liberal(void)
{
	struct pmd_offer o;

	/* Quoted values (RFC 6455 9.1), quoted-pairs, whitespace, case. */
	ANSWER("permessage-deflate; client_max_window_bits=\"10\"", &DEF,
	       "permessage-deflate; client_max_window_bits=10");
	ANSWER("permessage-deflate; server_max_window_bits=\"1\\2\"", &DEF,
	       "permessage-deflate; server_max_window_bits=12");
	ANSWER("permessage-deflate ;server_max_window_bits = 11 ; client_no_context_takeover", &DEF,
	       "permessage-deflate; client_no_context_takeover; server_max_window_bits=11");
	ANSWER("permessage-deflate\t;\tserver_no_context_takeover\t", &DEF,
	       "permessage-deflate; server_no_context_takeover");
	ANSWER("PerMessage-Deflate; Server_Max_Window_Bits=13", &DEF,
	       "permessage-deflate; server_max_window_bits=13");
	/* Other extensions are ignored, whatever they carry. */
	ANSWER("x-webkit-deflate-frame", &DEF, "-");
	ANSWER("x-webkit-deflate-frame; no_context_takeover, permessage-deflate", &DEF,
	       "permessage-deflate");
	ANSWER("foo; bar=\"a,b\"; baz, permessage-deflate; client_no_context_takeover", &DEF,
	       "permessage-deflate; client_no_context_takeover");
	ANSWER("permessage-deflatex", &DEF, "-");
	ANSWER("", &DEF, "-");
	ANSWER(" , ,", &DEF, "-");
	is_int(parse("x-other; what=\"ever", &o), 0, "another extension: 0, not examined");
	is_int(parse("permessage-deflate", &o), 1, "bare offer parses");
	ok(!o.server_no_context_takeover && !o.client_no_context_takeover &&
	   o.server_max_window_bits == 0 && !o.client_max_window_bits, "bare offer: nothing set");
	is_int(parse("permessage-deflate; client_max_window_bits", &o), 1, "cmwb without value");
	ok(o.client_max_window_bits && o.client_max_window_bits_value == 0, "... present, no value");
}

static void test_prefixes(void)
{
	/* Every prefix of a long offer parses without reading past its end (guard page). */
	static const char v[] = "permessage-deflate; server_no_context_takeover; "
				"client_max_window_bits=\"1\\0\"; server_max_window_bits=11";
	int n1 = 0;
	for (size_t i = 0; i <= sizeof(v) - 1; i++) {
		struct pmd_offer o;
		const char *why;
		uint8_t *g = guard_copy(v, i);
		int r = pmd_parse_offer((const char *)g, i, &o, &why);
		guard_free(g, i);
		if (r == 1)
			n1++;
	}
	ok(n1 > 3, "prefixes: %d of %zu parse as offers, the rest decline, no overread", n1,
	   sizeof(v));
}

static void test_headers(void)
{
	/* Several Sec-WebSocket-Extensions headers form one list, in order. */
	static char head[] =
		"GET / HTTP/1.1\r\nHost: x\r\n"
		"Sec-WebSocket-Extensions: x-foo, permessage-deflate; bogus\r\n"
		"Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=11\r\n"
		"sec-websocket-extensions: permessage-deflate\r\n\r\n";
	struct http_req *req = calloc(1, sizeof(*req));
	struct pmd_params p;
	char out[PMD_RENDER_MAX];
	ok(http_req_parse((const uint8_t *)head, sizeof(head) - 1, 100, req) > 0, "request parses");
	is_int(pmd_negotiate(req, &DEF, &p), 1, "accepted across headers");
	pmd_render(&p, out, sizeof(out));
	ok(strcmp(out, "permessage-deflate; server_max_window_bits=11") == 0,
	   "the second header's offer wins (the first header's was declined): %s", out);

	static char none[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	ok(http_req_parse((const uint8_t *)none, sizeof(none) - 1, 100, req) > 0, "request without offers parses");
	is_int(pmd_negotiate(req, &DEF, &p), 0, "no header: nothing negotiated");
	static char bad[] = "GET / HTTP/1.1\r\nHost: x\r\n"
			    "Sec-WebSocket-Extensions: permessage-deflate; a\r\n"
			    "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=8\r\n\r\n";
	ok(http_req_parse((const uint8_t *)bad, sizeof(bad) - 1, 100, req) > 0, "request with bad offers parses");
	is_int(pmd_negotiate(req, &DEF, &p), 0, "only unacceptable offers: nothing negotiated");
	free(req);
}

static void test_render(void)
{
	struct pmd_params p = { true, true, 15, 15, true, true };
	char out[PMD_RENDER_MAX];
	int n = pmd_render(&p, out, sizeof(out));
	ok(n > 0 && (size_t)n == strlen(out) && (size_t)n < PMD_RENDER_MAX,
	   "the longest answer fits PMD_RENDER_MAX (%d bytes)", n);
	is_int(pmd_render(&p, out, (size_t)n), WS_E_LIMIT, "cap one short: WS_E_LIMIT");
	ok(out[0] == '\0', "... and the buffer holds an empty string");
	is_int(pmd_render(&p, out, (size_t)n + 1), n, "cap exactly enough");
}

int main(void)
{
	test_rfc_examples();
	test_config();
	test_zlib_window_8();
	test_malformed();
	test_syntax_liberal();
	test_prefixes();
	test_headers();
	test_render();
	return done_testing();
}
