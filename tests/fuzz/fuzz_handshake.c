/* fuzz_handshake - handshake negotiation over a parsed request: http_req_parse, then
 * ws_handshake_check (handler/handshake.c), then rendering the answer.
 *
 * Input: byte 0 picks the server's subprotocol list and --require-protocol, byte 1 the
 * extra response headers, the rest is the request head.
 * Properties:
 *   - success means status 101, a 24-character key that is base64 of 16 bytes, exactly
 *     one Host, and a chosen protocol that is one of ours and was offered by the client
 *     (or none, and then require_protocol is off);
 *   - failure means one of 400/405/426 with a reason, and 426 for a plain HTTP request;
 *   - path/query are slices of the target, path + ("?" + query) == target;
 *   - ws_render_101/ws_render_error write at most `cap` bytes (exact-size heap buffers),
 *     succeed with cap == their own result and fail with WS_E_LIMIT one byte short. */
#include <stdbool.h>
#include <string.h>

#include "b64.h"
#include "err.h"
#include "fuzz.h"
#include "handshake.h"
#include "hdr.h"
#include "http_req.h"

static const char *const protos_all[] = { "chat.v2", "chat.v1", "mqtt", "x", "a.b-c_d" };

static const char *const extras[][2] = {
	{ "X-Frame-Options: DENY", "Server: wsinetd" },
	{ "Cache-Control: no-store", "X-A: \tb" },
};

static bool offered(const struct http_req *req, const char *p)
{
	for (int i = hdr_find(req, "Sec-WebSocket-Protocol", 0); i >= 0;
	     i = hdr_find(req, "Sec-WebSocket-Protocol", (size_t)i + 1)) {
		const struct http_header *h = &req->headers[i];
		size_t pos = 0, n;
		const char *it;
		while (hdr_list_next(h->value, h->value_len, &pos, &it, &n))
			if (n == strlen(p) && memcmp(it, p, n) == 0)
				return true;
	}
	return false;
}

/* Render with a buffer of exactly `cap` bytes (so ASan sees any overrun). */
static int render(int which, size_t cap, const char accept[29], const char *proto, int status,
		  const char *why, const char *const *extra, size_t nextra, char **out)
{
	char *b = malloc(cap ? cap : 1);
	if (!b)
		abort();
	int r = which == 101 ? ws_render_101(b, cap, accept, proto, NULL, extra, nextra)
			     : ws_render_error(b, cap, status, why, extra, nextra);
	*out = b;
	return r;
}

static void check_render(int which, const char accept[29], const char *proto, int status,
			 const char *why, const char *const *extra, size_t nextra)
{
	char *b;
	int full = render(which, 8192, accept, proto, status, why, extra, nextra, &b);
	CHECK(full > 0 && full <= 8192, "render %d: %d", which, full);
	CHECK(memcmp(b, "HTTP/1.1 ", 9) == 0, "status line");
	CHECK(memcmp(b + full - 2, "\r\n", 2) == 0 || which != 101, "101 ends in CRLF");
	if (which == 101) {
		CHECK(memmem(b, (size_t)full, accept, 28) != NULL, "accept key not in the 101");
		CHECK(memmem(b, (size_t)full, "\r\n\r\n", 4) == b + full - 4, "101 head end");
	}
	free(b);
	char *e;
	int r = render(which, (size_t)full, accept, proto, status, why, extra, nextra, &e);
	CHECK(r == full, "exact cap %d vs %d", r, full);
	free(e);
	r = render(which, (size_t)full - 1, accept, proto, status, why, extra, nextra, &e);
	CHECK(r == WS_E_LIMIT, "cap one short: %d", r);
	free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint8_t sel = data[0], xsel = data[1];
	data += 2;
	size -= 2;
	struct ws_hs_config cfg = {
		.protocols = protos_all + (sel & 1), /* + up to 3 entries: within the 5 */
		.nprotocols = (sel >> 2) % 4,
		.require_protocol = false,
	};
	if (cfg.nprotocols > 0 && (sel & 0x10))
		cfg.require_protocol = true;
	const char *const *extra = extras[xsel & 1];
	size_t nextra = (xsel >> 1) % 3;

	uint8_t *buf = fuzz_dup(data, size);
	static struct http_req req;
	int n = http_req_parse(buf, size, WS_HEADERS_DEFAULT, &req);
	if (n <= 0)
		goto out;

	struct ws_hs_result res;
	memset(&res, 0xA5, sizeof(res));
	int r = ws_handshake_check(&req, &cfg, &res);
	CHECK(res.path != NULL && res.query != NULL, "path/query not filled");
	CHECK(res.path == req.target && res.path_len <= req.target_len, "path slice");
	if (res.path_len < req.target_len) {
		CHECK(req.target[res.path_len] == '?', "path ends at '?'");
		CHECK(res.query == req.target + res.path_len + 1 &&
		      res.query_len == req.target_len - res.path_len - 1, "query slice");
	} else {
		CHECK(res.query_len == 0, "query without '?'");
	}
	if (r == 0) {
		CHECK(res.status == 101, "success status %d", res.status);
		CHECK(hdr_count(&req, "Host") == 1, "accepted without exactly one Host");
		CHECK(req.minor_version == 1, "accepted HTTP/1.0");
		CHECK(req.method_len == 3 && memcmp(req.method, "GET", 3) == 0, "accepted non-GET");
		CHECK(res.key_len == 24, "key length %zu", res.key_len);
		uint8_t raw[24];
		CHECK(b64_decode(res.key, res.key_len, raw, sizeof(raw)) == 16, "key not 16 bytes");
		if (res.protocol) {
			bool ours = false;
			for (size_t i = 0; i < cfg.nprotocols; i++)
				ours |= res.protocol == cfg.protocols[i];
			CHECK(ours, "chosen protocol not one of ours");
			CHECK(offered(&req, res.protocol), "chosen protocol %s not offered", res.protocol);
			/* Server preference: no protocol of ours ranked higher was offered. */
			for (size_t i = 0; cfg.protocols[i] != res.protocol; i++)
				CHECK(!offered(&req, cfg.protocols[i]), "preference order");
		} else {
			CHECK(!cfg.require_protocol, "require_protocol without a protocol");
		}
		char accept[29];
		ws_accept_key(res.key, res.key_len, accept);
		CHECK(strlen(accept) == 28, "accept length");
		check_render(101, accept, res.protocol, 0, NULL, extra, nextra);
	} else {
		CHECK(r < 0 && r != WS_NEED_MORE, "check result %d", r);
		CHECK(res.status == 400 || res.status == 405 || res.status == 426, "status %d",
		      res.status);
		CHECK(res.why != NULL && strchr(res.why, '\n') == NULL, "reason");
		if (res.plain_http)
			CHECK(res.status == 426 && r == WS_E_UNSUPPORTED, "plain HTTP answer");
		check_render(0, NULL, NULL, res.status, res.why, extra, nextra);
	}
out:
	free(buf);
	return 0;
}
