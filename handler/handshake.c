/* handshake.c - the server side of the RFC 6455 opening handshake (section 4.2) over a
 * parsed request, and the bytes of the answer. Pure: decides and renders; the caller
 * writes, logs and picks what to do on failure. */
#include "handshake.h"

#include <string.h>

#include "b64.h"
#include "err.h"
#include "hdr.h"
#include "sha1.h"

/* Not <limits.h>: with -Ihandler that name finds handler/limits.h, not the system one. */
#define HS_INT_MAX (~0U >> 1)

/* RFC 6455 1.3 / 4.2.2 item 5.4. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

static int refuse(struct ws_hs_result *out, int err, int status, const char *why)
{
	out->status = status;
	out->why = why;
	return err;
}

/* The one header named `name`: its index, or -1 if missing or repeated. */
static int hs_single(const struct http_req *req, const char *name)
{
	int i = hdr_find(req, name, 0);

	if (i < 0 || hdr_find(req, name, (size_t)i + 1) >= 0)
		return -1;
	return i;
}

/* Slices the caller needs even when it refuses (to log, or to serve plain HTTP). */
static void hs_locate(const struct http_req *req, struct ws_hs_result *out)
{
	const char *q;
	int h = hs_single(req, "Host");

	if (h >= 0) {
		out->host = req->headers[h].value;
		out->host_len = req->headers[h].value_len;
	}
	if (req->target == NULL)
		return; /* not a parsed request; the checks below refuse it */
	q = memchr(req->target, '?', req->target_len);
	out->path = req->target;
	out->path_len = q ? (size_t)(q - req->target) : req->target_len;
	/* Without a '?' the query is the empty slice at the end of the target, never
	 * NULL: callers memcpy slices, and memcpy from NULL is undefined even for 0. */
	out->query = q ? q + 1 : req->target + req->target_len;
	out->query_len = q ? req->target_len - out->path_len - 1 : 0;
}

static bool is_token(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!hdr_is_tchar((unsigned char)s[i]))
			return false;
	return true;
}

/* Sec-WebSocket-Key: exactly one, base64 of a 16-byte nonce (RFC 6455 4.1 item 7,
 * 4.2.1 item 5). Decoding into 18 bytes (what 24 characters can hold) lets 17- and
 * 18-byte keys decode and then fail the length test instead of posing as a limit. */
static int hs_key(const struct http_req *req, struct ws_hs_result *out)
{
	uint8_t raw[18];
	int k = hdr_find(req, "Sec-WebSocket-Key", 0);
	const struct http_header *h;

	if (k < 0)
		return refuse(out, WS_E_PROTO, 400, "missing Sec-WebSocket-Key");
	if (hdr_find(req, "Sec-WebSocket-Key", (size_t)k + 1) >= 0)
		return refuse(out, WS_E_PROTO, 400, "repeated Sec-WebSocket-Key");
	h = &req->headers[k];
	if (b64_decode(h->value, h->value_len, raw, sizeof(raw)) != 16)
		return refuse(out, WS_E_MALFORMED, 400,
			      "Sec-WebSocket-Key is not base64 of 16 bytes");
	out->key = h->value;
	out->key_len = h->value_len;
	return WS_OK;
}

/* True if the client listed `proto` in any Sec-WebSocket-Protocol header. Exact,
 * case-sensitive comparison (RFC 6455 4.2.2 / 11.3.4): what we echo is then
 * byte-for-byte something the client sent. */
static bool hs_offered(const struct http_req *req, const char *proto)
{
	size_t plen = strlen(proto);

	for (int i = hdr_find(req, "Sec-WebSocket-Protocol", 0); i >= 0;
	     i = hdr_find(req, "Sec-WebSocket-Protocol", (size_t)i + 1)) {
		const struct http_header *h = &req->headers[i];
		const char *it;
		size_t it_len, pos = 0;

		while (hdr_list_next(h->value, h->value_len, &pos, &it, &it_len))
			if (it_len == plen && memcmp(it, proto, plen) == 0)
				return true;
	}
	return false;
}

/* Subprotocol (RFC 6455 4.2.2 item 5.4): every offered element must be a token
 * (4.1 item 10); repeated headers are one list (RFC 7230 3.2.2). The server's
 * order decides among the overlap. */
static int hs_protocol(const struct http_req *req, const struct ws_hs_config *cfg,
		       struct ws_hs_result *out)
{
	bool any = false;

	for (int i = hdr_find(req, "Sec-WebSocket-Protocol", 0); i >= 0;
	     i = hdr_find(req, "Sec-WebSocket-Protocol", (size_t)i + 1)) {
		const struct http_header *h = &req->headers[i];
		const char *it;
		size_t it_len, pos = 0;

		while (hdr_list_next(h->value, h->value_len, &pos, &it, &it_len)) {
			if (!is_token(it, it_len))
				return refuse(out, WS_E_MALFORMED, 400,
					      "malformed Sec-WebSocket-Protocol");
			any = true;
		}
	}
	for (size_t p = 0; cfg != NULL && any && p < cfg->nprotocols; p++) {
		if (cfg->protocols[p] != NULL && hs_offered(req, cfg->protocols[p])) {
			out->protocol = cfg->protocols[p];
			return WS_OK;
		}
	}
	if (cfg != NULL && cfg->require_protocol)
		return refuse(out, WS_E_PROTO, 400,
			      any ? "no supported subprotocol offered" : "no subprotocol offered");
	return WS_OK;
}

int ws_handshake_check(const struct http_req *req, const struct ws_hs_config *cfg,
		       struct ws_hs_result *out)
{
	int v, r;

	memset(out, 0, sizeof(*out));
	hs_locate(req, out);

	/* RFC 6455 4.2.1 item 3; without it this is plain HTTP, which 426 answers
	 * (RFC 7231 6.5.15) unless the caller serves it. */
	if (!hdr_has_token(req, "Upgrade", "websocket")) {
		out->plain_http = true;
		return refuse(out, WS_E_UNSUPPORTED, 426, "not a WebSocket upgrade request");
	}
	/* RFC 6455 4.2.1 item 1: a GET (method names are case-sensitive, RFC 7230 3.1.1)
	 * of HTTP/1.1 or higher. */
	if (!(req->method_len == 3 && memcmp(req->method, "GET", 3) == 0))
		return refuse(out, WS_E_UNSUPPORTED, 405, "method must be GET");
	if (req->minor_version < 1)
		return refuse(out, WS_E_PROTO, 400, "WebSocket needs HTTP/1.1");
	/* RFC 6455 4.2.1 item 2; RFC 7230 5.4 makes several Host fields a 400. */
	if (hs_single(req, "Host") < 0)
		return refuse(out, WS_E_PROTO, 400, "missing or repeated Host");
	/* RFC 6455 4.2.1 item 4: "Upgrade" among the Connection options. */
	if (!hdr_has_token(req, "Connection", "upgrade"))
		return refuse(out, WS_E_PROTO, 400, "Connection header lacks upgrade");
	/* RFC 6455 4.2.1 item 6 and 4.4: anything but one "13" gets 426 with the
	 * version we speak. */
	v = hs_single(req, "Sec-WebSocket-Version");
	if (v < 0 || !(req->headers[v].value_len == 2 &&
		       memcmp(req->headers[v].value, "13", 2) == 0))
		return refuse(out, WS_E_UNSUPPORTED, 426, "Sec-WebSocket-Version must be 13");
	if ((r = hs_key(req, out)) != WS_OK || (r = hs_protocol(req, cfg, out)) != WS_OK)
		return r;
	out->status = 101;
	return WS_OK;
}

void ws_accept_key(const char *key, size_t key_len, char out[29])
{
	uint8_t md[SHA1_LEN];
	struct sha1 s;

	/* RFC 6455 4.2.2 item 5.4: base64(SHA-1(key || GUID)). Streamed in two updates
	 * so any key length works without a concatenation buffer. */
	sha1_init(&s);
	sha1_update(&s, key, key_len);
	sha1_update(&s, ws_guid, sizeof(ws_guid) - 1);
	sha1_final(&s, md);
	b64_encode(md, sizeof(md), out);
}

/* An output cursor that never writes past cap and remembers that it would have. */
struct rbuf {
	char *p;
	size_t cap;
	size_t len;
	bool over;
};

static void put(struct rbuf *b, const char *s, size_t n)
{
	if (b->over || n > b->cap - b->len) {
		b->over = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void puts_(struct rbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_uint(struct rbuf *b, size_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(b, tmp + i, sizeof(tmp) - i);
}

/* Text going into a header line: a CR or LF would end the line early and let the
 * rest pose as headers or body, so the whole render is refused instead. */
static bool line_ok(const char *s)
{
	return strpbrk(s, "\r\n") == NULL;
}

static bool extra_ok(const char *const *extra, size_t nextra)
{
	if (nextra > 0 && extra == NULL)
		return false;
	for (size_t i = 0; i < nextra; i++)
		if (extra[i] == NULL || !line_ok(extra[i]))
			return false;
	return true;
}

static void put_line(struct rbuf *b, const char *name, const char *value)
{
	puts_(b, name);
	puts_(b, value);
	put(b, "\r\n", 2);
}

static int finish(const struct rbuf *b)
{
	if (b->over || b->len > (size_t)HS_INT_MAX)
		return WS_E_LIMIT;
	return (int)b->len;
}

static void put_extra(struct rbuf *b, const char *const *extra, size_t nextra)
{
	for (size_t i = 0; i < nextra; i++)
		put_line(b, "", extra[i]);
}

int ws_render_101(char *buf, size_t cap, const char accept[29], const char *protocol,
		  const char *extensions, const char *const *extra, size_t nextra)
{
	struct rbuf b = { buf, cap, 0, false };

	if ((protocol && !line_ok(protocol)) || (extensions && !line_ok(extensions)) ||
	    !line_ok(accept) || !extra_ok(extra, nextra))
		return WS_E_MALFORMED;
	/* RFC 6455 4.2.2 item 5. */
	puts_(&b, "HTTP/1.1 101 Switching Protocols\r\n"
		  "Upgrade: websocket\r\n"
		  "Connection: Upgrade\r\n");
	put_line(&b, "Sec-WebSocket-Accept: ", accept);
	if (protocol)
		put_line(&b, "Sec-WebSocket-Protocol: ", protocol);
	if (extensions)
		put_line(&b, "Sec-WebSocket-Extensions: ", extensions);
	put_extra(&b, extra, nextra);
	put(&b, "\r\n", 2);
	return finish(&b);
}

int ws_render_error(char *buf, size_t cap, int status, const char *why,
		    const char *const *extra, size_t nextra)
{
	struct rbuf b = { buf, cap, 0, false };
	size_t why_len;

	if (status < 100 || status > 999 || !extra_ok(extra, nextra))
		return WS_E_MALFORMED;
	if (why == NULL)
		why = "";
	why_len = strlen(why);
	if (why_len >= (size_t)HS_INT_MAX)
		return WS_E_LIMIT;
	puts_(&b, "HTTP/1.1 ");
	put_uint(&b, (size_t)status);
	put(&b, " ", 1);
	puts_(&b, ws_status_text(status));
	puts_(&b, "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ");
	put_uint(&b, why_len + 1);
	if (status == 426) {
		/* RFC 7231 6.5.15: a 426 MUST carry Upgrade; RFC 7230 6.7: whoever sends
		 * Upgrade MUST list "upgrade" in Connection. RFC 6455 4.4 asks for the
		 * versions we speak. */
		puts_(&b, "\r\nConnection: Upgrade, close\r\n"
			  "Upgrade: websocket\r\n"
			  "Sec-WebSocket-Version: 13\r\n");
	} else {
		puts_(&b, "\r\nConnection: close\r\n");
	}
	/* RFC 7231 6.5.5: a 405 MUST carry Allow. */
	if (status == 405)
		puts_(&b, "Allow: GET\r\n");
	put_extra(&b, extra, nextra);
	put(&b, "\r\n", 2);
	put(&b, why, why_len);
	put(&b, "\n", 1);
	return finish(&b);
}

const char *ws_status_text(int status)
{
	switch (status) {
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 426: return "Upgrade Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	}
	return "Unknown";
}
