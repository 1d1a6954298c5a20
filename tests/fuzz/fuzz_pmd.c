/* fuzz_pmd - permessage-deflate offers (handler/pmd.c, RFC 7692).
 *
 * Input: byte 0 = server config (window bits 9..15, no_context_takeover), the rest is a
 * Sec-WebSocket-Extensions value ('\n' starts another header).
 * Properties:
 *   - pmd_parse_offer on every list element: 1, 0 or WS_E_MALFORMED with a reason; a
 *     parsed offer's window values are 0 or 8..15;
 *   - an accepted negotiation gives windows within 9..15 for us and 8..15 for the
 *     client, never more than cfg->window_bits, and renders within PMD_RENDER_MAX to an
 *     answer that, parsed again as an offer, is well-formed permessage-deflate with the
 *     same parameters stated; a cap one byte short is WS_E_LIMIT. */
#include <stdbool.h>
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "hdr.h"
#include "http_req.h"
#include "pmd.h"

static struct http_req req;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct pmd_config cfg = { .window_bits = 9 + data[0] % 7,
				  .no_context_takeover = (data[0] & 0x80) != 0 };
	data++;
	size--;
	char *in = fuzz_dup(data, size);

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.method_len = 3;
	req.target = "/";
	req.target_len = 1;
	req.minor_version = 1;
	size_t p = 0;
	while (p <= size && req.nheaders < 32) {
		const char *e = memchr(in + p, '\n', size - p);
		size_t l = e ? (size_t)(e - (in + p)) : size - p;
		req.headers[req.nheaders++] =
			(struct http_header){ "Sec-WebSocket-Extensions", 24, in + p, l };
		size_t pos = 0, il;
		const char *it;
		while (hdr_list_next(in + p, l, &pos, &it, &il)) {
			struct pmd_offer o;
			const char *why = NULL;
			int r = pmd_parse_offer(it, il, &o, &why);
			CHECK(r == 1 || r == 0 || r == WS_E_MALFORMED, "parse_offer %d", r);
			if (r == WS_E_MALFORMED)
				CHECK(why != NULL, "no reason");
			if (r == 1) {
				CHECK(o.server_max_window_bits == 0 ||
				      (o.server_max_window_bits >= 8 && o.server_max_window_bits <= 15),
				      "server bits %u", o.server_max_window_bits);
				CHECK(o.client_max_window_bits_value == 0 ||
				      (o.client_max_window_bits_value >= 8 &&
				       o.client_max_window_bits_value <= 15), "client bits");
			}
		}
		p += l + 1;
		if (!e)
			break;
	}

	struct pmd_params pp;
	int r = pmd_negotiate(&req, &cfg, &pp);
	CHECK(r == 0 || r == 1, "negotiate %d", r);
	if (r == 1) {
		CHECK(pp.server_max_window_bits >= PMD_ZLIB_MIN_BITS &&
		      pp.server_max_window_bits <= cfg.window_bits, "server window %u",
		      pp.server_max_window_bits);
		CHECK(pp.client_max_window_bits >= 8 && pp.client_max_window_bits <= 15,
		      "client window %u", pp.client_max_window_bits);
		if (cfg.no_context_takeover)
			CHECK(pp.server_no_context_takeover, "no_context_takeover not applied");
		char *b = malloc(PMD_RENDER_MAX);
		int n = pmd_render(&pp, b, PMD_RENDER_MAX);
		CHECK(n > 0 && (size_t)n < PMD_RENDER_MAX && b[n] == '\0', "render %d", n);
		struct pmd_offer back;
		const char *why;
		CHECK(pmd_parse_offer(b, (size_t)n, &back, &why) == 1, "our answer does not parse: %s", b);
		CHECK(back.server_no_context_takeover == pp.server_no_context_takeover &&
		      back.client_no_context_takeover == pp.client_no_context_takeover, "flags: %s", b);
		if (pp.say_server_max_window_bits)
			CHECK(back.server_max_window_bits == pp.server_max_window_bits, "server bits: %s", b);
		if (pp.say_client_max_window_bits)
			CHECK(back.client_max_window_bits &&
			      back.client_max_window_bits_value == pp.client_max_window_bits,
			      "client bits: %s", b);
		free(b);
		char *t = malloc((size_t)n);
		CHECK(pmd_render(&pp, t, (size_t)n) == WS_E_LIMIT, "cap one short");
		free(t);
	}
	free(in);
	return 0;
}
