/* jsonmode.c - the --json line format; see jsonmode.h.
 *
 * Encoding is the hot path (every message from the client), so the line is written
 * straight into the output buffer: one pass to size it exactly, one to write it, no
 * json_t objects. Decoding (lines from the program) goes through jansson, which checks
 * the syntax, rejects duplicate keys and validates the UTF-8 of strings. */
#include "jsonmode.h"

#include <string.h>

#include <jansson.h>

#include "b64.h"
#include "err.h"

static const char TEXT_PRE[] = "{\"type\":\"text\",\"data\":\"";
static const char BIN_PRE[] = "{\"type\":\"binary\",\"data\":\"";
static const char SUFFIX[] = "\"}\n";

/* Extra bytes a byte takes inside a JSON string (RFC 8259 section 7): control
 * characters become \uXXXX (5 more) or a two-byte short escape (1 more), as do '"'
 * and '\'. Everything else, UTF-8 sequences included, goes through as it is. */
static const uint8_t esc_extra[256] = {
	5, 5, 5, 5, 5, 5, 5, 5, 1, 1, 1, 5, 1, 1, 5, 5,  /* \b \t \n \f \r short */
	5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
	['"'] = 1,
	['\\'] = 1,
};

static uint8_t *write_escaped(uint8_t *p, const uint8_t *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;
	while (i < len) {
		size_t run = i;
		while (run < len && esc_extra[s[run]] == 0)
			run++;
		if (run > i) {
			memcpy(p, s + i, run - i);
			p += run - i;
			i = run;
			if (i == len)
				break;
		}
		uint8_t c = s[i++];
		*p++ = '\\';
		switch (c) {
		case '"': *p++ = '"'; break;
		case '\\': *p++ = '\\'; break;
		case '\b': *p++ = 'b'; break;
		case '\t': *p++ = 't'; break;
		case '\n': *p++ = 'n'; break;
		case '\f': *p++ = 'f'; break;
		case '\r': *p++ = 'r'; break;
		default:
			*p++ = 'u';
			*p++ = '0';
			*p++ = '0';
			*p++ = (uint8_t)hex[c >> 4];
			*p++ = (uint8_t)hex[c & 0xf];
			break;
		}
	}
	return p;
}

int jsonmode_encode(struct buf *out, bool binary, const uint8_t *data, size_t len)
{
	const char *pre = binary ? BIN_PRE : TEXT_PRE;
	size_t pre_len = binary ? sizeof(BIN_PRE) - 1 : sizeof(TEXT_PRE) - 1;
	size_t suf_len = sizeof(SUFFIX) - 1;
	size_t body;

	if (binary) {
		/* keep B64_ENC_LEN and the sum below from wrapping */
		if (len > (SIZE_MAX - 64) / 4 * 3 - 3)
			return WS_E_LIMIT;
		body = B64_ENC_LEN(len);
	} else {
		/* at most 6 bytes out per byte in */
		if (len > (SIZE_MAX - 64) / 6)
			return WS_E_LIMIT;
		body = len;
		for (size_t i = 0; i < len; i++)
			body += esc_extra[data[i]];
	}

	int err = WS_E_LIMIT;
	uint8_t *p = buf_reserve(out, pre_len + body + suf_len, &err);
	if (p == NULL)
		return err;
	uint8_t *q = p;
	memcpy(q, pre, pre_len);
	q += pre_len;
	if (binary)
		/* its NUL lands on the first byte of the suffix, inside the reservation */
		q += b64_encode(data, len, (char *)q);
	else if (len > 0)
		q = write_escaped(q, data, len);
	memcpy(q, SUFFIX, suf_len);
	q += suf_len;
	buf_commit(out, (size_t)(q - p));
	return 0;
}

static int fail(struct jsonmode_msg *out, int err, const char *why)
{
	out->why = why;
	return err;
}

/* Standard base64 straight into the payload buffer, sized exactly so that a payload
 * which just fits is accepted. */
static int decode_base64(const char *s, size_t n, struct buf *payload, struct jsonmode_msg *out)
{
	if (n == 0)
		return 0;
	if (n % 4 != 0)
		return fail(out, WS_E_MALFORMED, "bad base64 in data");
	size_t exact = n / 4 * 3 - (s[n - 1] == '=') - (s[n - 2] == '=');

	int err = WS_E_LIMIT;
	uint8_t *p = buf_reserve(payload, exact, &err);
	if (p == NULL) {
		/* garbage is reported as garbage, not as too large: b64_decode validates
		 * the whole input even when it has no room to write */
		if (err == WS_E_LIMIT && b64_decode(s, n, NULL, 0) == WS_E_MALFORMED)
			err = WS_E_MALFORMED;
		return fail(out, err, err == WS_E_LIMIT ? "payload too large"
				      : err == WS_E_MALFORMED ? "bad base64 in data" : "out of memory");
	}
	if (b64_decode(s, n, p, exact) != (long)exact) {
		buf_drop(payload, exact); /* what was decoded before the bad byte */
		return fail(out, WS_E_MALFORMED, "bad base64 in data");
	}
	buf_commit(payload, exact);
	return 0;
}

static int decode_close(json_t *root, struct jsonmode_msg *out)
{
	json_t *code = json_object_get(root, "code");
	json_t *reason = json_object_get(root, "reason");

	out->code = 1000;
	if (code != NULL) {
		/* RFC 6455 7.4: 1000, or the ranges for libraries (3000-3999) and
		 * applications (4000-4999); the other codes describe failures that are
		 * ours to report, not the program's */
		json_int_t c = json_is_integer(code) ? json_integer_value(code) : 0;
		if (c != 1000 && (c < 3000 || c > 4999))
			return fail(out, WS_E_MALFORMED, "close code not 1000 or 3000-4999");
		out->code = (uint16_t)c;
	}
	if (reason != NULL) {
		if (!json_is_string(reason))
			return fail(out, WS_E_MALFORMED, "close reason not a string");
		size_t rl = json_string_length(reason);
		/* 125 bytes of control payload minus the 2-byte code (RFC 6455 5.5) */
		if (rl > WS_CLOSE_REASON_MAX)
			return fail(out, WS_E_MALFORMED, "close reason over 123 bytes");
		memcpy(out->reason, json_string_value(reason), rl);
		out->reason[rl] = '\0';
		out->reason_len = rl;
	}
	out->kind = JM_CLOSE;
	return 0;
}

static int decode_obj(json_t *root, struct buf *payload, struct jsonmode_msg *out)
{
	if (!json_is_object(root))
		return fail(out, WS_E_MALFORMED, "not a JSON object");
	json_t *type = json_object_get(root, "type");
	if (!json_is_string(type))
		return fail(out, WS_E_MALFORMED, "type missing or not a string");
	const char *t = json_string_value(type);
	size_t tl = json_string_length(type);

	/* compared with their lengths: "text\u0000" is not "text" */
	if (tl == 5 && memcmp(t, "close", 5) == 0)
		return decode_close(root, out);

	enum jsonmode_kind kind;
	if (tl == 4 && memcmp(t, "text", 4) == 0)
		kind = JM_TEXT;
	else if (tl == 6 && memcmp(t, "binary", 6) == 0)
		kind = JM_BINARY;
	else
		return fail(out, WS_E_MALFORMED, "unknown type");

	json_t *data = json_object_get(root, "data");
	if (!json_is_string(data))
		return fail(out, WS_E_MALFORMED, "data missing or not a string");
	const char *d = json_string_value(data);
	size_t dl = json_string_length(data);
	int r;
	if (kind == JM_TEXT) {
		r = buf_append(payload, d, dl);
		if (r < 0)
			return fail(out, r, r == WS_E_LIMIT ? "payload too large" : "out of memory");
	} else {
		r = decode_base64(d, dl, payload, out);
		if (r < 0)
			return r;
	}
	out->kind = kind;
	return 0;
}

int jsonmode_decode(const char *line, size_t len, struct buf *payload, struct jsonmode_msg *out)
{
	memset(out, 0, sizeof(*out));
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return fail(out, WS_E_MALFORMED, "empty line, not JSON");

	json_error_t jerr;
	/* DECODE_ANY so a bare scalar is reported as "not an object" rather than "not
	 * JSON"; ALLOW_NUL so text data may carry U+0000 (it is valid UTF-8) */
	json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY,
				  &jerr);
	if (root == NULL) {
		switch (json_error_code(&jerr)) {
		case json_error_duplicate_key:
			return fail(out, WS_E_MALFORMED, "duplicate key");
		case json_error_invalid_utf8:
			return fail(out, WS_E_MALFORMED, "invalid UTF-8");
		case json_error_out_of_memory:
			return fail(out, WS_E_NOMEM, "out of memory");
		default:
			return fail(out, WS_E_MALFORMED, "not JSON");
		}
	}
	int r = decode_obj(root, payload, out);
	json_decref(root);
	return r;
}
