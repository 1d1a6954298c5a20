/* fuzz_jsonmode - the --json line format (handler/jsonmode.c, jansson underneath).
 *
 * Input: byte 0 = flags (payload cap), the rest is used twice:
 *   1. as a line from the program: jsonmode_decode must return 0, WS_E_MALFORMED or
 *      WS_E_LIMIT; on success a text payload is valid UTF-8, a close code is 1000 or
 *      3000-4999 with a reason of at most 123 bytes, NUL-terminated; the payload never
 *      passes the buffer's cap;
 *   2. as a message received from the client: encoded (as text when it is valid UTF-8,
 *      and always as binary), the line ends in '\n', has no other newline, and decodes
 *      (with and without a trailing '\r') back to the same kind and the same bytes. */
#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "fuzz.h"
#include "jsonmode.h"
#include "utf8.h"

static void roundtrip(const uint8_t *data, size_t size, bool binary)
{
	struct buf line, payload;
	buf_init(&line, 8 * size + 64);
	buf_init(&payload, size + 1);
	int r = jsonmode_encode(&line, binary, data, size);
	CHECK(r == 0, "encode %d", r);
	const uint8_t *l = buf_data(&line);
	size_t ll = buf_used(&line);
	CHECK(ll > 0 && l[ll - 1] == '\n', "no final newline");
	CHECK(memchr(l, '\n', ll - 1) == NULL, "newline inside the line");
	struct jsonmode_msg m;
	r = jsonmode_decode((const char *)l, ll - 1, &payload, &m);
	CHECK(r == 0, "decode of our own line: %d (%s): %.*s", r, m.why ? m.why : "",
	      (int)(ll > 200 ? 200 : ll), l);
	CHECK(m.kind == (binary ? JM_BINARY : JM_TEXT), "kind %d", m.kind);
	CHECK(buf_used(&payload) == size && (size == 0 || memcmp(buf_data(&payload), data, size) == 0),
	      "payload differs");
	/* The same line ending in CRLF. */
	buf_truncate(&line, ll - 1);
	CHECK(buf_append(&line, "\r", 1) == 0, "append");
	buf_consume(&payload, buf_used(&payload));
	r = jsonmode_decode((const char *)buf_data(&line), buf_used(&line), &payload, &m);
	CHECK(r == 0 && buf_used(&payload) == size, "decode with CR: %d", r);
	/* One byte too little room for the payload: WS_E_LIMIT, never an overrun. */
	if (size > 0) {
		struct buf tight;
		buf_init(&tight, size - 1);
		buf_truncate(&line, ll - 1);
		r = jsonmode_decode((const char *)buf_data(&line), buf_used(&line), &tight, &m);
		CHECK(r == WS_E_LIMIT, "payload cap: %d", r);
		CHECK(buf_used(&tight) <= size - 1, "payload over its cap");
		buf_free(&tight);
	}
	buf_free(&line);
	buf_free(&payload);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t fl = take_flags(&data, &size);
	char *line = fuzz_dup(data, size);

	struct buf payload;
	size_t cap = (fl & 1) ? (size_t)(fl >> 1) : WS_MESSAGE_DEFAULT;
	buf_init(&payload, cap);
	struct jsonmode_msg m;
	memset(&m, 0x5A, sizeof(m));
	int r = jsonmode_decode(line, size, &payload, &m);
	CHECK(r == 0 || r == WS_E_MALFORMED || r == WS_E_LIMIT, "decode %d", r);
	CHECK(buf_used(&payload) <= cap, "payload %zu over cap %zu", buf_used(&payload), cap);
	if (r == 0) {
		CHECK(m.kind == JM_TEXT || m.kind == JM_BINARY || m.kind == JM_CLOSE, "kind %d", m.kind);
		if (m.kind == JM_TEXT)
			CHECK(buf_used(&payload) == 0 || utf8_valid(buf_data(&payload), buf_used(&payload)),
			      "text not UTF-8");
		if (m.kind == JM_CLOSE) {
			CHECK(m.code == 1000 || (m.code >= 3000 && m.code <= 4999), "code %u", m.code);
			CHECK(m.reason_len <= WS_CLOSE_REASON_MAX && m.reason[m.reason_len] == '\0',
			      "reason");
			CHECK(utf8_valid((const uint8_t *)m.reason, m.reason_len), "reason not UTF-8");
		}
	} else {
		CHECK(m.why != NULL, "no reason");
	}
	buf_free(&payload);
	free(line);

	if (size <= 4096) {
		if (utf8_valid(data, size))
			roundtrip(data, size, false);
		roundtrip(data, size, true);
	}
	return 0;
}
