/* handshake.h - the server side of the RFC 6455 section 4.2 opening handshake over a
 * parsed request. Pure: no I/O; decides and renders, the caller writes.
 *
 * ws_handshake_check() validates the request in this order and stops at the first
 * failure, filling out->status and out->why (one line, static storage):
 *   - not an upgrade (no "websocket" token in any Upgrade header): WS_E_UNSUPPORTED,
 *     status 426, out->plain_http = true (the caller may serve plain HTTP instead);
 *   - method not GET: 405; HTTP/1.0: 400; no Host or several Host headers: 400;
 *   - Connection lacks the "upgrade" token: 400;
 *   - Sec-WebSocket-Version missing or not exactly "13" (also when several): 426
 *     (the caller adds "Sec-WebSocket-Version: 13");
 *   - Sec-WebSocket-Key missing, repeated, or not base64 of exactly 16 bytes: 400;
 *   - subprotocol: the first of cfg->protocols (server preference) that the client
 *     offered in any Sec-WebSocket-Protocol header (tokens, case-sensitive per RFC 6455
 *     4.2.2); no overlap, or no offer, with cfg->require_protocol: 400; otherwise none.
 *     A malformed offer (an element that is not a token) is 400.
 * On success returns 0 and fills the slices. path/query (and host, when there is exactly
 * one Host) are filled on failure too, so the caller can log or serve plain HTTP. */
#ifndef WSINETD_HANDSHAKE_H
#define WSINETD_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "http_req.h"

struct ws_hs_config {
	const char *const *protocols; /* server preference order */
	size_t nprotocols;
	bool require_protocol;
};

struct ws_hs_result {
	int status;            /* HTTP status on failure (400, 405, 426), 101 on success */
	const char *why;       /* failure reason, one line */
	bool plain_http;       /* request is not a WebSocket upgrade at all */
	const char *key;       /* Sec-WebSocket-Key value (slice) */
	size_t key_len;
	const char *protocol;  /* chosen subprotocol: points into cfg->protocols, or NULL */
	const char *host;      /* Host value (slice) */
	size_t host_len;
	const char *path;      /* request-target up to '?' (slice) */
	size_t path_len;
	const char *query;     /* after '?', without it (slice; len 0, not NULL, if none) */
	size_t query_len;
};

int ws_handshake_check(const struct http_req *req, const struct ws_hs_config *cfg,
		       struct ws_hs_result *out);

/* Sec-WebSocket-Accept for a key: base64(SHA-1(key + GUID)) (sha1.h); out gets 28
 * characters and a NUL. Cannot fail. */
void ws_accept_key(const char *key, size_t key_len, char out[29]);

/* Render "HTTP/1.1 101 Switching Protocols" with Upgrade, Connection,
 * Sec-WebSocket-Accept, Sec-WebSocket-Protocol (if chosen), Sec-WebSocket-Extensions
 * (if extensions != NULL) and the caller's extra header lines (each "Name: value",
 * without CRLF). Returns bytes written, or WS_E_LIMIT if cap is too small. The output is
 * not NUL-terminated (cap == the response size suffices). WS_E_MALFORMED if protocol,
 * extensions or an extra line contains CR or LF, or extra is NULL with nextra > 0. */
int ws_render_101(char *buf, size_t cap, const char accept[29], const char *protocol,
		  const char *extensions, const char *const *extra, size_t nextra);

/* Render an error or plain answer: status line with the standard reason phrase,
 * Content-Type: text/plain; charset=utf-8, Content-Length, Connection: close, the extra
 * lines, and the body `why` followed by "\n". For 426 adds "Upgrade: websocket" and
 * "Sec-WebSocket-Version: 13", and sends "Connection: Upgrade, close" (RFC 7230 6.7: a
 * sender of Upgrade lists it in Connection); 405 adds "Allow: GET" (RFC 7231 6.5.5).
 * why == NULL is an empty body line. Returns bytes written or WS_E_LIMIT; not
 * NUL-terminated. WS_E_MALFORMED for a status outside 100..999 or a bad extra line. */
int ws_render_error(char *buf, size_t cap, int status, const char *why,
		    const char *const *extra, size_t nextra);

/* Standard reason phrase for a status ("Bad Request"...), "Unknown" otherwise. */
const char *ws_status_text(int status);

#endif
