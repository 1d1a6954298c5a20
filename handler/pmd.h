/* pmd.h - permessage-deflate (RFC 7692) negotiation, server side. Pure: parses the
 * client's offers in Sec-WebSocket-Extensions, chooses one under the server's
 * configuration and renders the answer; it never touches a zlib stream (deflate.h does).
 *
 * Syntax (RFC 6455 9.1, RFC 7230 3.2.6):
 *   extension-list = 1#extension
 *   extension      = extension-token *( OWS ";" OWS extension-param )
 *   extension-param = token [ "=" ( token / quoted-string ) ]
 * A quoted value is unescaped and must then be a token (RFC 6455 9.1). Whitespace
 * around "=" is tolerated. Several Sec-WebSocket-Extensions headers are one list in
 * header order (RFC 7230 3.2.2); the offers are tried in that order and the first
 * acceptable permessage-deflate offer wins (RFC 7692 5: the client lists its offers in
 * preference order). Other extensions are ignored (PRODUCT.md 3).
 *
 * An offer is declined (and the next one tried) when it is malformed or carries an
 * unknown parameter, a parameter twice, a value where none is allowed, no value where
 * one is required, or a window-bits value that is not a decimal integer 8..15 without
 * leading zeros (RFC 7692 7, 7.1.2.1, 7.1.2.2). It is also declined when it asks for
 * server_max_window_bits=8: zlib cannot deflate with a 256-byte window (since zlib 1.2.9
 * raw deflate refuses windowBits 8, and older versions silently used 9, producing
 * streams a 256-byte-window peer cannot inflate), so we never promise it. Declining is
 * never a handshake failure: without an acceptable offer the connection simply runs
 * uncompressed (RFC 7692 5). */
#ifndef WSINETD_PMD_H
#define WSINETD_PMD_H

#include <stdbool.h>
#include <stddef.h>

#include "http_req.h"

/* The smallest LZ77 window zlib can deflate with (see above); we inflate with at least
 * this as well, which decodes any smaller window too. */
#define PMD_ZLIB_MIN_BITS 9u
/* --deflate-window-bits default: zlib's and every browser's window; the memory it
 * costs per connection is in README. */
#define PMD_WINDOW_BITS_DEFAULT 15u
/* Longest answer pmd_render can produce, with its NUL:
 * "permessage-deflate; server_no_context_takeover; client_no_context_takeover;
 *  server_max_window_bits=15; client_max_window_bits=15" is 124 bytes. */
#define PMD_RENDER_MAX 160u

struct pmd_config {
	unsigned window_bits;      /* 9..15: the largest window we deflate with, and the one
	                              we ask the client to keep to when it lets us */
	bool no_context_takeover;  /* reset both directions after every message */
};

/* One offer as the client wrote it. */
struct pmd_offer {
	bool server_no_context_takeover;
	bool client_no_context_takeover;
	unsigned server_max_window_bits;  /* 0 when absent, else 8..15 */
	bool client_max_window_bits;      /* present (with or without a value) */
	unsigned client_max_window_bits_value; /* 0 when given without a value */
};

/* What was agreed: both sides follow it for the whole connection. */
struct pmd_params {
	bool server_no_context_takeover;  /* we reset our deflater after each message */
	bool client_no_context_takeover;  /* the client resets: we reset our inflater */
	unsigned server_max_window_bits;  /* our deflate window (9..15) */
	unsigned client_max_window_bits;  /* the client's largest window (8..15): what we
	                                     inflate with, raised to PMD_ZLIB_MIN_BITS */
	/* What the answer states explicitly (RFC 7692 7.1.2: the response carries a window
	 * parameter only when needed or offered). */
	bool say_server_max_window_bits;
	bool say_client_max_window_bits;
};

/* Parse one list element of Sec-WebSocket-Extensions, s[0..len) (OWS trimmed, as
 * hdr_list_next gives it). Returns 1 for a well-formed permessage-deflate offer (filled
 * into *out), 0 for another extension (ignored; its parameters are not examined), or
 * WS_E_MALFORMED, with *why set to a static reason, for a permessage-deflate offer that
 * must be declined or an element that does not start with a token. Never reads past
 * len. */
int pmd_parse_offer(const char *s, size_t len, struct pmd_offer *out, const char **why);

/* Decide on one well-formed offer: 0 and *out filled if acceptable under cfg,
 * WS_E_UNSUPPORTED (with *why) if not. Rules (RFC 7692 7.1):
 *   - server_no_context_takeover offered, or cfg->no_context_takeover: we answer it;
 *   - client_no_context_takeover is answered when offered or when
 *     cfg->no_context_takeover (a server MAY include it either way, 7.1.1.2);
 *   - server window: min(cfg->window_bits, offered server_max_window_bits); stated when
 *     offered or when below 15; an offer of 8 is refused (zlib, see above);
 *   - client window: only when the client offered client_max_window_bits (7.1.2.2: the
 *     answer MUST NOT carry it otherwise) and then min(cfg->window_bits, its value or
 *     15), stated when offered with a value or below 15. */
int pmd_accept(const struct pmd_offer *offer, const struct pmd_config *cfg,
	       struct pmd_params *out, const char **why);

/* Try every element of one header value in order. Returns 1 and fills *out at the
 * first acceptable permessage-deflate offer, 0 if there is none. */
int pmd_negotiate_value(const char *v, size_t len, const struct pmd_config *cfg,
			struct pmd_params *out);

/* The same over every Sec-WebSocket-Extensions header of the request, in order. */
int pmd_negotiate(const struct http_req *req, const struct pmd_config *cfg,
		  struct pmd_params *out);

/* Render the answer's extension element ("permessage-deflate; ...") into buf with a
 * NUL. Returns its length, or WS_E_LIMIT if cap is too small (PMD_RENDER_MAX always
 * suffices). */
int pmd_render(const struct pmd_params *p, char *buf, size_t cap);

#endif
