/* test_handshake.c - RFC 6455 4.2 checks, subprotocol choice, accept key, rendering. */
#include "tap.h"

#include "err.h"
#include "handshake.h"

#define LINE "GET /chat?x=1 HTTP/1.1\r\n"
#define H_HOST "Host: server.example.com\r\n"
#define H_UP "Upgrade: websocket\r\n"
#define H_CONN "Connection: Upgrade\r\n"
#define H_KEY "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
#define H_VER "Sec-WebSocket-Version: 13\r\n"
#define GOOD_HDRS H_HOST H_UP H_CONN H_KEY H_VER
#define END "\r\n"

static struct http_req req;
static struct ws_hs_result res;
static uint8_t *last;
static size_t last_len;

static int sleq(const char *p, size_t n, const char *lit)
{
	return p != NULL && n == strlen(lit) && memcmp(p, lit, n) == 0;
}

/* Parse the request from a guard page (kept alive for res's slices) and check it. */
static int check(const char *s, const struct ws_hs_config *cfg)
{
	size_t len = strlen(s);
	int r;

	if (last)
		guard_free(last, last_len);
	last = guard_copy(s, len);
	last_len = len;
	r = http_req_parse(last, len, WS_HEADERS_DEFAULT, &req);
	if (r != (int)len) {
		ok(0, "test request parses (got %d: %s)", r, req.why ? req.why : "");
		memset(&res, 0, sizeof(res));
		return -100;
	}
	return ws_handshake_check(&req, cfg, &res);
}

/* Expect a refusal with this status. */
static void refused(const char *s, const struct ws_hs_config *cfg, int status, const char *what)
{
	int r = check(s, cfg);
	ok(r < 0 && res.status == status && res.why != NULL && res.protocol == NULL,
	   "%s -> %d (r=%d status=%d why=%s)", what, status, r, res.status,
	   res.why ? res.why : "none");
}

static void accepted(const char *s, const struct ws_hs_config *cfg, const char *what)
{
	int r = check(s, cfg);
	ok(r == 0 && res.status == 101 && res.why == NULL, "%s accepted (r=%d status=%d why=%s)",
	   what, r, res.status, res.why ? res.why : "none");
}

static void test_success(void)
{
	accepted(LINE GOOD_HDRS END, NULL, "RFC 6455 1.2 style request");
	ok(!res.plain_http, "not plain http");
	ok(sleq(res.key, res.key_len, "dGhlIHNhbXBsZSBub25jZQ=="), "key slice");
	ok(sleq(res.host, res.host_len, "server.example.com"), "host slice");
	ok(sleq(res.path, res.path_len, "/chat"), "path is target up to '?'");
	ok(sleq(res.query, res.query_len, "x=1"), "query after '?', without it");
	ok(res.protocol == NULL, "no protocol without config");

	accepted("GET / HTTP/1.1\r\n" GOOD_HDRS END, NULL, "root path");
	ok(sleq(res.path, res.path_len, "/") && res.query_len == 0, "no query: length 0");
	ok(res.query != NULL, "no query: empty slice, not NULL (safe to memcpy)");
	accepted("GET /a? HTTP/1.1\r\n" GOOD_HDRS END, NULL, "empty query");
	ok(sleq(res.path, res.path_len, "/a") && res.query_len == 0, "'?' with nothing after");
	accepted("GET /a?b?c=d HTTP/1.1\r\n" GOOD_HDRS END, NULL, "two '?'");
	ok(sleq(res.path, res.path_len, "/a") && sleq(res.query, res.query_len, "b?c=d"),
	   "split at the first '?'");

	accepted(LINE H_HOST "upgrade: WebSocket\r\nconnection: UPGRADE\r\n"
		 "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nSEC-WEBSOCKET-VERSION: 13\r\n" END,
		 NULL, "header names and Upgrade/Connection tokens case-insensitive");
	accepted(LINE H_HOST "Upgrade: h2c, websocket\r\n" H_CONN H_KEY H_VER END, NULL,
		 "websocket among other Upgrade tokens");
	accepted(LINE H_HOST H_UP "Connection: keep-alive, Upgrade\r\n" H_KEY H_VER END, NULL,
		 "Connection: keep-alive, Upgrade");
	accepted(LINE H_HOST H_UP "Connection: KEEP-ALIVE, UPGRADE\r\n" H_KEY H_VER END, NULL,
		 "Connection: KEEP-ALIVE, UPGRADE");
	accepted(LINE H_HOST H_UP "Connection: keep-alive\r\nConnection: upgrade\r\n" H_KEY H_VER
		 END, NULL, "upgrade in a second Connection header");
	accepted(LINE H_HOST H_UP H_CONN "Sec-WebSocket-Key:   dGhlIHNhbXBsZSBub25jZQ==  \r\n"
		 "Sec-WebSocket-Version:\t13 \r\n" END, NULL, "OWS around key and version");
	accepted(LINE H_HOST H_UP H_CONN "Sec-WebSocket-Key: AAECAwQFBgcICQoLDA0ODw==\r\n" H_VER
		 END, NULL, "other 16-byte key");
}

static void test_refusals(void)
{
	int r;

	r = check(LINE H_HOST H_CONN H_KEY H_VER END, NULL);
	ok(r == WS_E_UNSUPPORTED && res.status == 426 && res.plain_http,
	   "no Upgrade: 426, plain_http, WS_E_UNSUPPORTED");
	ok(sleq(res.path, res.path_len, "/chat") && sleq(res.host, res.host_len, "server.example.com"),
	   "plain http still gets path and host");
	r = check("GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n", NULL);
	ok(r == WS_E_UNSUPPORTED && res.status == 426 && res.plain_http, "plain GET: plain_http");
	r = check(LINE H_HOST "Upgrade: h2c\r\n" H_CONN H_KEY H_VER END, NULL);
	ok(res.status == 426 && res.plain_http, "Upgrade: h2c is not a WebSocket upgrade");
	r = check(LINE H_HOST "Upgrade: websockets\r\n" H_CONN H_KEY H_VER END, NULL);
	ok(res.status == 426 && res.plain_http, "Upgrade: websockets is not websocket");
	r = check("POST /chat HTTP/1.1\r\n" H_HOST H_CONN H_KEY H_VER END, NULL);
	ok(res.status == 426 && res.plain_http, "not-upgrade is checked before the method");

	r = check("POST /chat HTTP/1.1\r\n" GOOD_HDRS END, NULL);
	ok(r == WS_E_UNSUPPORTED && res.status == 405 && !res.plain_http, "POST -> 405");
	refused("get /chat HTTP/1.1\r\n" GOOD_HDRS END, NULL, 405, "lowercase get (methods are case-sensitive)");
	refused("GETS /chat HTTP/1.1\r\n" GOOD_HDRS END, NULL, 405, "GETS");
	refused("POST /chat HTTP/1.0\r\n" GOOD_HDRS END, NULL, 405, "method checked before version");

	refused("GET /chat HTTP/1.0\r\n" GOOD_HDRS END, NULL, 400, "HTTP/1.0");
	ok(!res.plain_http, "HTTP/1.0 upgrade is not plain http");

	refused(LINE H_UP H_CONN H_KEY H_VER END, NULL, 400, "missing Host");
	refused(LINE H_HOST "Host: other\r\n" H_UP H_CONN H_KEY H_VER END, NULL, 400, "two Host headers");
	ok(res.host == NULL, "no host slice when repeated");

	refused(LINE H_HOST H_UP H_KEY H_VER END, NULL, 400, "missing Connection");
	refused(LINE H_HOST H_UP "Connection: keep-alive\r\n" H_KEY H_VER END, NULL, 400,
		"Connection: keep-alive");
	refused(LINE H_HOST H_UP "Connection: upgrades\r\n" H_KEY H_VER END, NULL, 400,
		"Connection: upgrades");

	r = check(LINE H_HOST H_UP H_CONN H_KEY END, NULL);
	ok(r == WS_E_UNSUPPORTED && res.status == 426 && !res.plain_http, "version missing -> 426");
	refused(LINE H_HOST H_UP H_CONN H_KEY "Sec-WebSocket-Version: 12\r\n" END, NULL, 426, "version 12");
	refused(LINE H_HOST H_UP H_CONN H_KEY "Sec-WebSocket-Version: 13, 8\r\n" END, NULL, 426,
		"version \"13, 8\"");
	refused(LINE H_HOST H_UP H_CONN H_KEY "Sec-WebSocket-Version: 8, 13\r\n" END, NULL, 426,
		"version \"8, 13\"");
	refused(LINE H_HOST H_UP H_CONN H_KEY H_VER H_VER END, NULL, 426, "two version headers");
	refused(LINE H_HOST H_UP H_CONN H_KEY "Sec-WebSocket-Version: 013\r\n" END, NULL, 426, "version 013");
	refused(LINE H_HOST H_UP H_CONN H_KEY "Sec-WebSocket-Version: 1\r\n" END, NULL, 426, "version 1");
	refused(LINE H_HOST H_UP H_CONN H_KEY "Sec-WebSocket-Version:\r\n" END, NULL, 426, "empty version");
	refused(LINE H_HOST H_UP H_CONN "Sec-WebSocket-Key: !\r\n" "Sec-WebSocket-Version: 8\r\n" END,
		NULL, 426, "bad version is reported before a bad key");

	refused(LINE H_HOST H_UP H_CONN H_VER END, NULL, 400, "key missing");
	refused(LINE H_HOST H_UP H_CONN H_KEY H_KEY H_VER END, NULL, 400, "key repeated");
	refused(LINE H_HOST H_UP H_CONN "Sec-WebSocket-Key:\r\n" H_VER END, NULL, 400, "key empty");
	refused(LINE H_HOST H_UP H_CONN "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ\r\n" H_VER END,
		NULL, 400, "key without padding");
	refused(LINE H_HOST H_UP H_CONN "Sec-WebSocket-Key: dGhlIHNhbXBs!SBub25jZQ==\r\n" H_VER END,
		NULL, 400, "key with a bad character");
	refused(LINE H_HOST H_UP H_CONN "Sec-WebSocket-Key: dGhlIHNhbXBs ZSBub25jZQ==\r\n" H_VER END,
		NULL, 400, "key with inner space");
	refused(LINE H_HOST H_UP H_CONN "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZR==\r\n" H_VER END,
		NULL, 400, "key with non-zero trailing bits");
	refused(LINE H_HOST H_UP H_CONN "Sec-WebSocket-Key: AAECAwQFBgcICQoLDA0O\r\n" H_VER END,
		NULL, 400, "key of 15 bytes");
	refused(LINE H_HOST H_UP H_CONN "Sec-WebSocket-Key: AAECAwQFBgcICQoLDA0ODxA=\r\n" H_VER END,
		NULL, 400, "key of 17 bytes");
	refused(LINE H_HOST H_UP H_CONN "Sec-WebSocket-Key: AAECAwQFBgcICQoLDA0ODxAR\r\n" H_VER END,
		NULL, 400, "key of 18 bytes");
	refused(LINE H_HOST H_UP H_CONN
		"Sec-WebSocket-Key: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\r\n" H_VER END,
		NULL, 400, "key of 32 bytes");
	refused(LINE H_HOST H_UP H_CONN "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==, x\r\n" H_VER END,
		NULL, 400, "key with a list");
}

static const char *const ab[] = { "a", "b" };

static void test_protocols(void)
{
	struct ws_hs_config cfg = { ab, 2, false };
	const char *const chat[] = { "chat", "superchat" };
	const char *const caps[] = { "Chat" };
	int r;

	accepted(LINE GOOD_HDRS "Sec-WebSocket-Protocol: b, a\r\n" END, &cfg, "offer b, a");
	ok(res.protocol == ab[0], "server preference wins: a (pointer into cfg->protocols)");
	accepted(LINE GOOD_HDRS "Sec-WebSocket-Protocol: b\r\n" END, &cfg, "offer b");
	ok(res.protocol == ab[1], "only overlap b chosen");
	accepted(LINE GOOD_HDRS "Sec-WebSocket-Protocol: x\r\nSec-WebSocket-Protocol: b\r\n" END,
		 &cfg, "repeated Sec-WebSocket-Protocol headers");
	ok(res.protocol == ab[1], "headers are combined: b");
	accepted(LINE GOOD_HDRS "Sec-WebSocket-Protocol: ,, b ,,\r\n" END, &cfg, "empty list items");
	ok(res.protocol == ab[1], "empty items ignored: b");
	accepted(LINE GOOD_HDRS "Sec-WebSocket-Protocol: x, y\r\n" END, &cfg, "no overlap");
	ok(res.protocol == NULL, "no overlap: no protocol");
	accepted(LINE GOOD_HDRS END, &cfg, "no offer");
	ok(res.protocol == NULL, "no offer: no protocol");
	accepted(LINE GOOD_HDRS "Sec-WebSocket-Protocol:\r\n" END, &cfg, "empty offer header");
	ok(res.protocol == NULL, "empty offer: no protocol");

	cfg.protocols = chat;
	accepted(LINE GOOD_HDRS "Sec-WebSocket-Protocol: superchat\r\n" END, &cfg, "superchat");
	ok(res.protocol == chat[1], "superchat, not its substring chat");
	accepted(LINE GOOD_HDRS "Sec-WebSocket-Protocol: cha, chats\r\n" END, &cfg, "near misses");
	ok(res.protocol == NULL, "prefixes/extensions of a name do not match");
	cfg.protocols = caps;
	cfg.nprotocols = 1;
	accepted(LINE GOOD_HDRS "Sec-WebSocket-Protocol: chat\r\n" END, &cfg, "case differs");
	ok(res.protocol == NULL, "subprotocol names are case-sensitive");

	cfg = (struct ws_hs_config){ ab, 2, true };
	refused(LINE GOOD_HDRS "Sec-WebSocket-Protocol: x, y\r\n" END, &cfg, 400,
		"require_protocol, no overlap");
	refused(LINE GOOD_HDRS END, &cfg, 400, "require_protocol, no offer");
	refused(LINE GOOD_HDRS "Sec-WebSocket-Protocol: ,\r\n" END, &cfg, 400,
		"require_protocol, only empty items");
	accepted(LINE GOOD_HDRS "Sec-WebSocket-Protocol: b\r\n" END, &cfg, "require_protocol, overlap");
	ok(res.protocol == ab[1], "require_protocol: b");

	cfg = (struct ws_hs_config){ ab, 2, false };
	refused(LINE GOOD_HDRS "Sec-WebSocket-Protocol: a b\r\n" END, &cfg, 400, "offer \"a b\"");
	refused(LINE GOOD_HDRS "Sec-WebSocket-Protocol: a/b\r\n" END, &cfg, 400, "offer a/b ('/' not tchar)");
	refused(LINE GOOD_HDRS "Sec-WebSocket-Protocol: a, \"b\"\r\n" END, &cfg, 400, "quoted offer");
	refused(LINE GOOD_HDRS "Sec-WebSocket-Protocol: a;q=1\r\n" END, &cfg, 400, "offer with ';'");
	refused(LINE GOOD_HDRS "Sec-WebSocket-Protocol: b\r\nSec-WebSocket-Protocol: x@y\r\n" END,
		&cfg, 400, "malformed element in a second header");
	refused(LINE GOOD_HDRS "Sec-WebSocket-Protocol: \xc3\xa9\r\n" END, &cfg, 400, "non-ASCII offer");
	refused(LINE GOOD_HDRS "Sec-WebSocket-Protocol: a b\r\n" END, NULL, 400,
		"malformed offer refused even with no server protocols");

	const char *const odd[] = { NULL, "a b", "b" };
	cfg = (struct ws_hs_config){ odd, 3, false };
	accepted(LINE GOOD_HDRS "Sec-WebSocket-Protocol: a, b\r\n" END, &cfg, "NULL/odd server entries");
	ok(res.protocol == odd[2], "NULL skipped, non-token server entry never matches");

	r = check(LINE GOOD_HDRS "Sec-WebSocket-Protocol: a\r\n" END, NULL);
	ok(r == 0 && res.protocol == NULL, "cfg NULL: offer ignored");
}

/* Every server order x every client offer over {a,b,c}: the choice is the first server
 * entry the client offered, and never something it did not offer. */
static void test_protocol_property(void)
{
	static const char *const names[] = { "a", "b", "c" };
	static const int perms[6][3] = { { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
					 { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };
	int bad = 0, runs = 0;

	for (int sp = 0; sp < 6; sp++)
		for (size_t sn = 0; sn <= 3; sn++)
			for (int cmask = 0; cmask < 8; cmask++)
				for (int cp = 0; cp < 6; cp++) {
					const char *srv[3];
					char reqs[512], offer[32] = "";
					const char *want = NULL;

					for (size_t i = 0; i < sn; i++)
						srv[i] = names[perms[sp][i]];
					for (int i = 0; i < 3; i++) {
						int n = perms[cp][i];
						if (cmask & (1 << n)) {
							strcat(offer, ", ");
							strcat(offer, names[n]);
						}
					}
					for (size_t i = 0; i < sn && !want; i++)
						if (cmask & (1 << perms[sp][i]))
							want = srv[i];
					snprintf(reqs, sizeof(reqs),
						 LINE GOOD_HDRS "Sec-WebSocket-Protocol: %s\r\n" END, offer);
					struct ws_hs_config cfg = { srv, sn, false };
					runs++;
					if (check(reqs, &cfg) != 0 || res.protocol != want)
						bad++;
					if (res.protocol && !strstr(offer, res.protocol))
						bad++;
				}
	is_int(bad, 0, "%d server/client combinations choose correctly", runs);
}

static void test_accept_key(void)
{
	char out[29];
	uint8_t *g;

	/* RFC 6455 1.3 example. */
	ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 24, out);
	ok(strcmp(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0, "RFC 6455 1.3 example: %s", out);
	g = guard_copy("x3JJHMbDL1EzLkh9GBhXDw==", 24);
	ws_accept_key((const char *)g, 24, out);
	ok(strcmp(out, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=") == 0, "key on a guard page, second known pair: %s", out);
	guard_free(g, 24);
	ws_accept_key("", 0, out);
	ok(strcmp(out, "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w=") == 0, "empty key still hashes: the GUID alone");
	is_int(strlen(out), 28, "28 characters");
}

/* A writable buffer of cap bytes ending at a guard page, so writing past cap faults. */
static char *guard_out(size_t cap)
{
	static const uint8_t zeros[4096];

	if (cap > sizeof(zeros))
		abort();
	return (char *)guard_copy(zeros, cap);
}

/* Render into a guarded buffer and copy out what was written. */
static int render101(size_t cap, const char *accept, const char *proto, const char *ext,
		     const char *const *extra, size_t nextra, char *copy)
{
	char *g = guard_out(cap);
	int r = ws_render_101(g, cap, accept, proto, ext, extra, nextra);
	if (r > 0)
		memcpy(copy, g, (size_t)r);
	guard_free((uint8_t *)g, cap);
	return r;
}

static int render_err(size_t cap, int status, const char *why, const char *const *extra,
		      size_t nextra, char *copy)
{
	char *g = guard_out(cap);
	int r = ws_render_error(g, cap, status, why, extra, nextra);
	if (r > 0)
		memcpy(copy, g, (size_t)r);
	guard_free((uint8_t *)g, cap);
	return r;
}

static void expect101(const char *want, const char *proto, const char *ext,
		      const char *const *extra, size_t nextra, const char *what)
{
	static const char acc[29] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
	char got[1024];
	size_t n = strlen(want);
	int r;

	r = render101(n, acc, proto, ext, extra, nextra, got);
	ok(r == (int)n && memcmp(got, want, n) == 0, "101 %s: exact bytes with cap = size", what);
	is_int(render101(n - 1, acc, proto, ext, extra, nextra, got), WS_E_LIMIT,
	       "101 %s: cap = size - 1 is LIMIT", what);
	is_int(render101(n + 100, acc, proto, ext, extra, nextra, got), n,
	       "101 %s: larger cap same length", what);
}

static void test_render_101(void)
{
	static const char *const extra[] = { "X-A: 1", "Set-Cookie: s=2" };
	static const char acc[29] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
	char got[256];
	const char *bad_extra[] = { "X: a\r\nEvil: 1" };

	expect101("HTTP/1.1 101 Switching Protocols\r\n"
		  "Upgrade: websocket\r\n"
		  "Connection: Upgrade\r\n"
		  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
		  "\r\n", NULL, NULL, NULL, 0, "plain");
	expect101("HTTP/1.1 101 Switching Protocols\r\n"
		  "Upgrade: websocket\r\n"
		  "Connection: Upgrade\r\n"
		  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
		  "Sec-WebSocket-Protocol: chat\r\n"
		  "\r\n", "chat", NULL, NULL, 0, "with protocol");
	expect101("HTTP/1.1 101 Switching Protocols\r\n"
		  "Upgrade: websocket\r\n"
		  "Connection: Upgrade\r\n"
		  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
		  "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n"
		  "\r\n", NULL, "permessage-deflate; server_no_context_takeover", NULL, 0,
		  "with extensions");
	expect101("HTTP/1.1 101 Switching Protocols\r\n"
		  "Upgrade: websocket\r\n"
		  "Connection: Upgrade\r\n"
		  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
		  "X-A: 1\r\n"
		  "Set-Cookie: s=2\r\n"
		  "\r\n", NULL, NULL, extra, 2, "with extra headers");
	expect101("HTTP/1.1 101 Switching Protocols\r\n"
		  "Upgrade: websocket\r\n"
		  "Connection: Upgrade\r\n"
		  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
		  "Sec-WebSocket-Protocol: b\r\n"
		  "Sec-WebSocket-Extensions: permessage-deflate\r\n"
		  "X-A: 1\r\n"
		  "\r\n", "b", "permessage-deflate", extra, 1, "with everything");

	is_int(render101(0, acc, NULL, NULL, NULL, 0, got), WS_E_LIMIT, "101 cap 0 is LIMIT");
	is_int(render101(sizeof(got), acc, "a\r\nX: 1", NULL, NULL, 0, got), WS_E_MALFORMED,
	       "CRLF in protocol refused");
	is_int(render101(sizeof(got), acc, NULL, "x\n", NULL, 0, got), WS_E_MALFORMED,
	       "LF in extensions refused");
	is_int(render101(sizeof(got), acc, NULL, NULL, bad_extra, 1, got), WS_E_MALFORMED,
	       "CRLF in an extra header refused");
	is_int(render101(sizeof(got), acc, NULL, NULL, NULL, 1, got), WS_E_MALFORMED,
	       "NULL extra array with nextra 1 refused");
}

static void expect_err(const char *want, int status, const char *why,
		       const char *const *extra, size_t nextra, const char *what)
{
	char got[1024];
	size_t n = strlen(want);
	int r;

	r = render_err(n, status, why, extra, nextra, got);
	ok(r == (int)n && memcmp(got, want, n) == 0, "%s: exact bytes with cap = size", what);
	if (r != (int)n || memcmp(got, want, n) != 0)
		printf("# got: %.*s\n", r > 0 ? r : 0, got);
	is_int(render_err(n - 1, status, why, extra, nextra, got), WS_E_LIMIT,
	       "%s: cap = size - 1 is LIMIT", what);
}

static void test_render_error(void)
{
	static const char *const extra[] = { "Retry-After: 5" };
	char got[256];

	expect_err("HTTP/1.1 400 Bad Request\r\n"
		   "Content-Type: text/plain; charset=utf-8\r\n"
		   "Content-Length: 32\r\n"
		   "Connection: close\r\n"
		   "\r\n"
		   "missing or repeated Host header\n", 400, "missing or repeated Host header",
		   NULL, 0, "400");
	expect_err("HTTP/1.1 426 Upgrade Required\r\n"
		   "Content-Type: text/plain; charset=utf-8\r\n"
		   "Content-Length: 33\r\n"
		   "Connection: Upgrade, close\r\n"
		   "Upgrade: websocket\r\n"
		   "Sec-WebSocket-Version: 13\r\n"
		   "\r\n"
		   "Sec-WebSocket-Version must be 13\n", 426, "Sec-WebSocket-Version must be 13",
		   NULL, 0, "426");
	expect_err("HTTP/1.1 405 Method Not Allowed\r\n"
		   "Content-Type: text/plain; charset=utf-8\r\n"
		   "Content-Length: 19\r\n"
		   "Connection: close\r\n"
		   "Allow: GET\r\n"
		   "\r\n"
		   "method must be GET\n", 405, "method must be GET", NULL, 0, "405");
	expect_err("HTTP/1.1 429 Too Many Requests\r\n"
		   "Content-Type: text/plain; charset=utf-8\r\n"
		   "Content-Length: 5\r\n"
		   "Connection: close\r\n"
		   "Retry-After: 5\r\n"
		   "\r\n"
		   "busy\n", 429, "busy", extra, 1, "429 with extra header");
	expect_err("HTTP/1.1 431 Request Header Fields Too Large\r\n"
		   "Content-Type: text/plain; charset=utf-8\r\n"
		   "Content-Length: 1\r\n"
		   "Connection: close\r\n"
		   "\r\n"
		   "\n", 431, NULL, NULL, 0, "431 with NULL why");
	expect_err("HTTP/1.1 599 Unknown\r\n"
		   "Content-Type: text/plain; charset=utf-8\r\n"
		   "Content-Length: 2\r\n"
		   "Connection: close\r\n"
		   "\r\n"
		   "?\n", 599, "?", NULL, 0, "unknown status");

	/* A long body: Content-Length has several digits. */
	char why[1200], want[1400];
	memset(why, 'w', 1099);
	why[1099] = '\0';
	snprintf(want, sizeof(want), "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; "
		 "charset=utf-8\r\nContent-Length: 1100\r\nConnection: close\r\n\r\n%s\n", why);
	char *g = guard_out(strlen(want));
	is_int(ws_render_error(g, strlen(want), 403, why, NULL, 0), strlen(want),
	       "1100-byte body fits exactly");
	ok(memcmp(g, want, strlen(want)) == 0, "1100-byte body bytes");
	guard_free((uint8_t *)g, strlen(want));

	is_int(render_err(0, 400, "x", NULL, 0, got), WS_E_LIMIT, "error cap 0 is LIMIT");
	is_int(render_err(sizeof(got), 42, "x", NULL, 0, got), WS_E_MALFORMED, "status 42 refused");
	is_int(render_err(sizeof(got), 1000, "x", NULL, 0, got), WS_E_MALFORMED, "status 1000 refused");

	static const int codes[] = { 101, 200, 400, 401, 403, 404, 405, 408, 426, 429, 431, 500, 503 };
	int unknown = 0;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		unknown += strcmp(ws_status_text(codes[i]), "Unknown") == 0;
	is_int(unknown, 0, "every status the product uses has a reason phrase");
	ok(strcmp(ws_status_text(408), "Request Timeout") == 0, "408 phrase");
	ok(strcmp(ws_status_text(418), "Unknown") == 0, "418 is Unknown");
}

int main(void)
{
	test_success();
	test_refusals();
	test_protocols();
	test_protocol_property();
	test_accept_key();
	test_render_101();
	test_render_error();
	if (last)
		guard_free(last, last_len);
	return done_testing();
}
