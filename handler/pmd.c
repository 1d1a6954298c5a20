/* pmd.c - permessage-deflate offer parsing and choice (RFC 7692 5, 7.1). See pmd.h. */
#include "pmd.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "hdr.h"

#define PMD_NAME "permessage-deflate"
/* Longest parameter value we need to look at: window bits are "8".."15"; anything
 * longer is invalid for every parameter we know. */
#define PMD_VALUE_MAX 16u

static bool ows(char c)
{
	return c == ' ' || c == '\t';
}

static size_t skip_ows(const char *s, size_t len, size_t i)
{
	while (i < len && ows(s[i]))
		i++;
	return i;
}

static size_t token_end(const char *s, size_t len, size_t i)
{
	while (i < len && hdr_is_tchar((unsigned char)s[i]))
		i++;
	return i;
}

/* "8".."15" with no leading zero (RFC 7692 7.1.2.1: "a decimal integer value without
 * leading zeroes between 8 and 15, inclusive"); 0 for anything else. */
static unsigned window_value(const char *v, size_t n)
{
	if (n == 1 && (v[0] == '8' || v[0] == '9'))
		return (unsigned)(v[0] - '0');
	if (n == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5')
		return 10u + (unsigned)(v[1] - '0');
	return 0;
}

static int decline(const char **why, const char *reason)
{
	*why = reason;
	return WS_E_MALFORMED;
}

int pmd_parse_offer(const char *s, size_t len, struct pmd_offer *out, const char **why)
{
	size_t i, e;
	bool seen[4] = { false, false, false, false };

	memset(out, 0, sizeof(*out));
	*why = NULL;
	e = token_end(s, len, 0);
	if (e == 0)
		return decline(why, "extension element does not start with a token");
	/* Extension tokens are compared case-insensitively, like other HTTP tokens. */
	if (!hdr_ieq(s, e, PMD_NAME))
		return 0; /* not ours: ignored, whatever its parameters */
	i = e;
	for (;;) {
		const char *name, *val = NULL;
		size_t nlen, vlen = 0;
		char unq[PMD_VALUE_MAX];
		bool has_val = false;
		int which;

		i = skip_ows(s, len, i);
		if (i == len)
			break;
		if (s[i] != ';')
			return decline(why, "expected ';' between extension parameters");
		i = skip_ows(s, len, i + 1);
		e = token_end(s, len, i);
		if (e == i)
			return decline(why, "extension parameter name is not a token");
		name = s + i;
		nlen = e - i;
		i = skip_ows(s, len, e);
		if (i < len && s[i] == '=') {
			has_val = true;
			i = skip_ows(s, len, i + 1);
			if (i < len && s[i] == '"') {
				/* quoted-string: unescape quoted-pairs; the result must be a
				 * token (RFC 6455 9.1). */
				i++;
				for (;;) {
					if (i == len)
						return decline(why, "unterminated quoted parameter value");
					char c = s[i++];
					if (c == '"')
						break;
					if (c == '\\') {
						if (i == len)
							return decline(why, "unterminated quoted parameter value");
						c = s[i++];
					}
					if (!hdr_is_tchar((unsigned char)c))
						return decline(why, "quoted parameter value is not a token");
					if (vlen == sizeof(unq))
						return decline(why, "parameter value too long");
					unq[vlen++] = c;
				}
				val = unq;
			} else {
				e = token_end(s, len, i);
				val = s + i;
				vlen = e - i;
				i = e;
			}
			if (vlen == 0)
				return decline(why, "empty extension parameter value");
		}
		if (hdr_ieq(name, nlen, "server_no_context_takeover"))
			which = 0;
		else if (hdr_ieq(name, nlen, "client_no_context_takeover"))
			which = 1;
		else if (hdr_ieq(name, nlen, "server_max_window_bits"))
			which = 2;
		else if (hdr_ieq(name, nlen, "client_max_window_bits"))
			which = 3;
		else
			return decline(why, "unknown permessage-deflate parameter"); /* RFC 7692 7 */
		if (seen[which])
			return decline(why, "permessage-deflate parameter given twice"); /* 7 */
		seen[which] = true;
		switch (which) {
		case 0:
		case 1:
			/* 7.1.1.1, 7.1.1.2: these parameters have no value. */
			if (has_val)
				return decline(why, "no_context_takeover parameter with a value");
			if (which == 0)
				out->server_no_context_takeover = true;
			else
				out->client_no_context_takeover = true;
			break;
		case 2:
			/* 7.1.2.1: the value is required. */
			if (!has_val)
				return decline(why, "server_max_window_bits without a value");
			out->server_max_window_bits = window_value(val, vlen);
			if (out->server_max_window_bits == 0)
				return decline(why, "server_max_window_bits not 8..15");
			break;
		default:
			/* 7.1.2.2: the value is optional in an offer. */
			out->client_max_window_bits = true;
			if (has_val) {
				out->client_max_window_bits_value = window_value(val, vlen);
				if (out->client_max_window_bits_value == 0)
					return decline(why, "client_max_window_bits not 8..15");
			}
			break;
		}
	}
	return 1;
}

int pmd_accept(const struct pmd_offer *o, const struct pmd_config *cfg,
	       struct pmd_params *out, const char **why)
{
	unsigned w = cfg->window_bits;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (w < PMD_ZLIB_MIN_BITS || w > 15) {
		*why = "server window bits out of range";
		return WS_E_UNSUPPORTED;
	}
	/* 7.1.2.1: our window may not exceed what the client offered to inflate with. */
	if (o->server_max_window_bits != 0) {
		if (o->server_max_window_bits < PMD_ZLIB_MIN_BITS) {
			*why = "server_max_window_bits=8 cannot be honoured with zlib";
			return WS_E_UNSUPPORTED;
		}
		if (o->server_max_window_bits < w)
			w = o->server_max_window_bits;
	}
	out->server_max_window_bits = w;
	out->say_server_max_window_bits = o->server_max_window_bits != 0 || w < 15;
	/* 7.1.1.1: an offered server_no_context_takeover must be answered (and obeyed);
	 * we may also declare it on our own. */
	out->server_no_context_takeover = o->server_no_context_takeover || cfg->no_context_takeover;
	/* 7.1.1.2: a server MAY include client_no_context_takeover whether or not it
	 * was offered; the client must then reset its compressor per message. */
	out->client_no_context_takeover = o->client_no_context_takeover || cfg->no_context_takeover;
	/* 7.1.2.2: only when offered may the answer name the client's window, with a
	 * value no larger than the offered one. Without it the client may use up to 15
	 * (or the value it offered, which binds it already). */
	out->client_max_window_bits = 15;
	if (o->client_max_window_bits) {
		unsigned c = o->client_max_window_bits_value ? o->client_max_window_bits_value : 15;
		if (cfg->window_bits < c)
			c = cfg->window_bits;
		out->client_max_window_bits = c;
		out->say_client_max_window_bits = o->client_max_window_bits_value != 0 || c < 15;
	}
	return 0;
}

int pmd_negotiate_value(const char *v, size_t len, const struct pmd_config *cfg,
			struct pmd_params *out)
{
	size_t pos = 0, ilen;
	const char *item;

	while (hdr_list_next(v, len, &pos, &item, &ilen)) {
		struct pmd_offer o;
		const char *why;
		if (pmd_parse_offer(item, ilen, &o, &why) != 1)
			continue;
		if (pmd_accept(&o, cfg, out, &why) == 0)
			return 1;
	}
	memset(out, 0, sizeof(*out));
	return 0;
}

int pmd_negotiate(const struct http_req *req, const struct pmd_config *cfg,
		  struct pmd_params *out)
{
	for (int i = hdr_find(req, "Sec-WebSocket-Extensions", 0); i >= 0;
	     i = hdr_find(req, "Sec-WebSocket-Extensions", (size_t)i + 1)) {
		const struct http_header *h = &req->headers[i];
		if (pmd_negotiate_value(h->value, h->value_len, cfg, out) == 1)
			return 1;
	}
	memset(out, 0, sizeof(*out));
	return 0;
}

int pmd_render(const struct pmd_params *p, char *buf, size_t cap)
{
	char sw[32] = "", cw[32] = "";

	if (p->say_server_max_window_bits)
		snprintf(sw, sizeof(sw), "; server_max_window_bits=%u", p->server_max_window_bits);
	if (p->say_client_max_window_bits)
		snprintf(cw, sizeof(cw), "; client_max_window_bits=%u", p->client_max_window_bits);
	int n = snprintf(buf, cap, "%s%s%s%s%s", PMD_NAME,
			 p->server_no_context_takeover ? "; server_no_context_takeover" : "",
			 p->client_no_context_takeover ? "; client_no_context_takeover" : "",
			 sw, cw);
	if (n < 0 || (size_t)n >= cap) {
		if (cap)
			buf[0] = '\0';
		return WS_E_LIMIT;
	}
	return n;
}
