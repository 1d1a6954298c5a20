/* test_jsonmode.c - handler/jsonmode.c: the encoder's escapes and base64, round trips
 * through the decoder (checked against jansson as an independent parser too), every
 * decode error, close codes and reasons, buffer limits. Lines handed to the decoder end
 * at a guard page. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "jsonmode.h"
#include "tap.h"

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static bool buf_is(const struct buf *b, const void *want, size_t n)
{
	return buf_used(b) == n && (n == 0 || memcmp(buf_data(b), want, n) == 0);
}

static bool buf_is_str(const struct buf *b, const char *s)
{
	return buf_is(b, s, strlen(s));
}

/* jsonmode_decode on a copy of line[0..len) that ends at a guard page. */
static int dec_n(const char *line, size_t len, struct buf *payload, struct jsonmode_msg *m)
{
	uint8_t *g = guard_copy(line, len);
	int r = jsonmode_decode((const char *)g, len, payload, m);
	guard_free(g, len);
	return r;
}

static int dec(const char *line, struct buf *payload, struct jsonmode_msg *m)
{
	return dec_n(line, strlen(line), payload, m);
}

/* Encoded line, minus its '\n', decoded again. */
static int redecode(const struct buf *line, struct buf *payload, struct jsonmode_msg *m)
{
	size_t n = buf_used(line);
	if (n == 0 || buf_data(line)[n - 1] != '\n')
		return -100;
	return dec_n((const char *)buf_data(line), n - 1, payload, m);
}

static void test_encode_text(void)
{
	struct buf out;
	buf_init(&out, 1u << 20);

	is_int(jsonmode_encode(&out, false, (const uint8_t *)"hello", 5), 0, "encode text");
	ok(buf_is_str(&out, "{\"type\":\"text\",\"data\":\"hello\"}\n"), "plain text line");
	buf_consume(&out, buf_used(&out));

	is_int(jsonmode_encode(&out, false, NULL, 0), 0, "encode empty text (data NULL, len 0)");
	ok(buf_is_str(&out, "{\"type\":\"text\",\"data\":\"\"}\n"), "empty text line");
	buf_consume(&out, buf_used(&out));

	uint8_t all[64];
	size_t n = 0;
	for (int c = 0; c < 0x20; c++)
		all[n++] = (uint8_t)c;
	memcpy(all + n, "\"\\/\x7f" "\xc3\xa9" "\xe2\x82\xac" "\xf0\x9f\x98\x80" "\xe2\x80\xa8", 16);
	n += 16;
	const char *want =
		"{\"type\":\"text\",\"data\":\""
		"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007"
		"\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f"
		"\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"
		"\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f"
		"\\\"\\\\/\x7f" "\xc3\xa9" "\xe2\x82\xac" "\xf0\x9f\x98\x80" "\xe2\x80\xa8"
		"\"}\n";
	uint8_t *g = guard_copy(all, n);
	is_int(jsonmode_encode(&out, false, g, n), 0, "encode every control byte, quote, backslash, UTF-8");
	guard_free(g, n);
	ok(buf_is_str(&out, want), "escapes exact: short forms for \\b\\t\\n\\f\\r, \\u00XX otherwise, "
				  "'/', DEL and multibyte UTF-8 as they are");
	if (!buf_is_str(&out, want))
		printf("# got: %.*s", (int)buf_used(&out), (const char *)buf_data(&out));

	struct buf pl;
	struct jsonmode_msg m;
	buf_init(&pl, 1u << 20);
	is_int(redecode(&out, &pl, &m), 0, "decode it back");
	ok(m.kind == JM_TEXT && buf_is(&pl, all, n), "round trip gives the same bytes");
	buf_free(&pl);

	/* appends: what is already in the buffer stays */
	buf_truncate(&out, 0);
	is_int(buf_append(&out, "prev\n", 5), 0, "buffer holding an earlier line");
	is_int(jsonmode_encode(&out, false, (const uint8_t *)"a\"b", 3), 0, "encode after it");
	ok(buf_is_str(&out, "prev\n{\"type\":\"text\",\"data\":\"a\\\"b\"}\n"), "line appended after the earlier one");
	buf_free(&out);
}

static void test_encode_binary(void)
{
	struct buf out;
	buf_init(&out, 1u << 20);
	const uint8_t b[] = { 0x00, 0x01, 0x02, 0xff };
	is_int(jsonmode_encode(&out, true, b, 4), 0, "encode binary");
	ok(buf_is_str(&out, "{\"type\":\"binary\",\"data\":\"AAEC/w==\"}\n"), "binary as padded base64");
	buf_consume(&out, buf_used(&out));
	is_int(jsonmode_encode(&out, true, b, 3), 0, "encode 3 bytes");
	ok(buf_is_str(&out, "{\"type\":\"binary\",\"data\":\"AAEC\"}\n"), "no padding for 3 bytes");
	buf_consume(&out, buf_used(&out));
	is_int(jsonmode_encode(&out, true, NULL, 0), 0, "encode empty binary");
	ok(buf_is_str(&out, "{\"type\":\"binary\",\"data\":\"\"}\n"), "empty binary line");
	buf_consume(&out, buf_used(&out));

	uint8_t every[256];
	for (int i = 0; i < 256; i++)
		every[i] = (uint8_t)i;
	is_int(jsonmode_encode(&out, true, every, 256), 0, "encode all 256 byte values");
	struct buf pl;
	struct jsonmode_msg m;
	buf_init(&pl, 256);
	is_int(redecode(&out, &pl, &m), 0, "decode them back");
	ok(m.kind == JM_BINARY && buf_is(&pl, every, 256), "binary round trip of all byte values");
	buf_free(&pl);
	buf_free(&out);
}

static void test_encode_limit(void)
{
	const char *line = "{\"type\":\"text\",\"data\":\"a\\u0001\\n\"}\n";
	size_t ll = strlen(line);
	struct buf out;

	buf_init(&out, ll);
	is_int(jsonmode_encode(&out, false, (const uint8_t *)"a\x01\n", 3), 0, "out max exactly the line");
	ok(buf_is_str(&out, line), "... line complete");
	buf_free(&out);

	buf_init(&out, ll - 1);
	is_int(jsonmode_encode(&out, false, (const uint8_t *)"a\x01\n", 3), WS_E_LIMIT,
	       "out max one byte short: WS_E_LIMIT");
	ok(buf_used(&out) == 0, "... nothing written");
	buf_free(&out);

	const char *bl = "{\"type\":\"binary\",\"data\":\"AAEC/w==\"}\n";
	const uint8_t b[] = { 0x00, 0x01, 0x02, 0xff };
	buf_init(&out, strlen(bl) + 5);
	is_int(buf_append(&out, "12345", 5), 0, "out holding 5 bytes");
	is_int(jsonmode_encode(&out, true, b, 4), 0, "binary line filling the rest exactly");
	buf_truncate(&out, 5);
	buf_consume(&out, 1);
	is_int(buf_append(&out, "6", 1), 0, "refill to 5 bytes");
	out.max--;
	is_int(jsonmode_encode(&out, true, b, 4), WS_E_LIMIT, "binary line one byte too long: WS_E_LIMIT");
	ok(buf_is_str(&out, "23456"), "... earlier contents unchanged");
	buf_free(&out);
}

/* Random valid UTF-8 of about `cps` code points, all planes, controls and quotes
 * frequent. */
static size_t rand_utf8(uint8_t *p, size_t cps)
{
	size_t n = 0;
	for (size_t i = 0; i < cps; i++) {
		uint32_t cp;
		switch (rnd() % 6) {
		case 0: cp = rnd() % 0x20; break;
		case 1: cp = "\"\\/ az"[rnd() % 6]; break;
		case 2: cp = rnd() % 0x80; break;
		case 3: cp = 0x80 + rnd() % (0x800 - 0x80); break;
		case 4:
			do
				cp = 0x800 + rnd() % (0x10000 - 0x800);
			while (cp >= 0xd800 && cp <= 0xdfff);
			break;
		default: cp = 0x10000 + rnd() % (0x110000 - 0x10000); break;
		}
		if (cp < 0x80) {
			p[n++] = (uint8_t)cp;
		} else if (cp < 0x800) {
			p[n++] = (uint8_t)(0xc0 | cp >> 6);
			p[n++] = (uint8_t)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			p[n++] = (uint8_t)(0xe0 | cp >> 12);
			p[n++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
			p[n++] = (uint8_t)(0x80 | (cp & 0x3f));
		} else {
			p[n++] = (uint8_t)(0xf0 | cp >> 18);
			p[n++] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
			p[n++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
			p[n++] = (uint8_t)(0x80 | (cp & 0x3f));
		}
	}
	return n;
}

static void test_round_trip(void)
{
	static uint8_t data[4 * 3000];
	struct buf out, pl;
	struct jsonmode_msg m;
	bool good = true, oracle = true;
	int iters = 500;

	buf_init(&out, 1u << 20);
	buf_init(&pl, 1u << 20);
	for (int i = 0; i < iters && good; i++) {
		size_t n = rnd() % 3000;
		for (size_t k = 0; k < n; k++)
			data[k] = (uint8_t)rnd();
		buf_truncate(&out, 0);
		buf_truncate(&pl, 0);
		if (jsonmode_encode(&out, true, data, n) != 0 || redecode(&out, &pl, &m) != 0 ||
		    m.kind != JM_BINARY || !buf_is(&pl, data, n))
			good = false;
	}
	ok(good, "%d random binary messages: decode(encode(x)) == x", iters);

	good = true;
	for (int i = 0; i < iters && good; i++) {
		size_t n = rand_utf8(data, rnd() % 3000);
		buf_truncate(&out, 0);
		buf_truncate(&pl, 0);
		if (jsonmode_encode(&out, false, data, n) != 0 || redecode(&out, &pl, &m) != 0 ||
		    m.kind != JM_TEXT || !buf_is(&pl, data, n))
			good = false;
		/* and jansson, reading our line on its own, sees the same string */
		json_error_t e;
		json_t *j = json_loadb((const char *)buf_data(&out), buf_used(&out), JSON_ALLOW_NUL, &e);
		json_t *d = json_object_get(j, "data");
		if (!json_is_string(d) || json_string_length(d) != n ||
		    memcmp(json_string_value(d), data, n) != 0)
			oracle = false;
		json_decref(j);
	}
	ok(good, "%d random UTF-8 texts: decode(encode(x)) == x", iters);
	ok(oracle, "jansson parses every encoded text line to the same string");
	buf_free(&out);
	buf_free(&pl);
}

/* s made printable for a TAP description: bytes outside ASCII 0x20-0x7e as \xNN. */
static const char *show(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	for (; *s != '\0' && o + 5 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c < 0x7f)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
	}
	out[o] = '\0';
	return out;
}

struct bad_case {
	const char *line;
	const char *why_has;  /* a word the reason must contain */
};

static void test_decode_errors(void)
{
	static const struct bad_case cases[] = {
		{ "{", "not JSON" },
		{ "garbage", "not JSON" },
		{ "{\"type\":\"text\",\"data\":\"x\"} extra", "not JSON" },
		{ "{\"type\":\"text\",\"data\":\"x\"}{}", "not JSON" },
		{ "{\"type\":\"text\",\"data\":\"x\",}", "not JSON" },
		{ "{'type':'text'}", "not JSON" },
		{ "{\"type\":\"text\",\"data\":\"\\ud800\"}", "not JSON" },
		{ "{\"type\":\"text\",\"data\":\"a\tb\"}", "not JSON" },
		{ "[1]", "not a JSON object" },
		{ "\"text\"", "not a JSON object" },
		{ "42", "not a JSON object" },
		{ "null", "not a JSON object" },
		{ "{\"type\":\"text\",\"type\":\"text\",\"data\":\"x\"}", "duplicate" },
		{ "{\"type\":\"text\",\"data\":\"x\",\"data\":\"y\"}", "duplicate" },
		{ "{\"type\":\"close\",\"code\":1000,\"code\":4000}", "duplicate" },
		{ "{\"type\":\"text\",\"data\":\"\xff\"}", "UTF-8" },
		{ "{\"type\":\"text\",\"data\":\"\xc0\xaf\"}", "UTF-8" },
		{ "{\"type\":\"text\",\"data\":\"\xed\xa0\x80\"}", "UTF-8" },
		{ "{\"data\":\"x\"}", "type" },
		{ "{\"type\":1,\"data\":\"x\"}", "type" },
		{ "{\"type\":null,\"data\":\"x\"}", "type" },
		{ "{\"type\":\"foo\",\"data\":\"x\"}", "unknown type" },
		{ "{\"type\":\"TEXT\",\"data\":\"x\"}", "unknown type" },
		{ "{\"type\":\"text\\u0000\",\"data\":\"x\"}", "unknown type" },
		{ "{\"type\":\"ping\",\"data\":\"x\"}", "unknown type" },
		{ "{\"type\":\"text\"}", "data" },
		{ "{\"type\":\"text\",\"data\":1}", "data" },
		{ "{\"type\":\"text\",\"data\":null}", "data" },
		{ "{\"type\":\"text\",\"data\":[\"x\"]}", "data" },
		{ "{\"type\":\"binary\"}", "data" },
		{ "{\"type\":\"binary\",\"data\":{}}", "data" },
		{ "{\"type\":\"binary\",\"data\":\"abc\"}", "base64" },
		{ "{\"type\":\"binary\",\"data\":\"ab=c\"}", "base64" },
		{ "{\"type\":\"binary\",\"data\":\"AAEC/w=\"}", "base64" },
		{ "{\"type\":\"binary\",\"data\":\"AAEC /w==\"}", "base64" },
		{ "{\"type\":\"binary\",\"data\":\"AAEC\\n/w==\"}", "base64" },
		{ "{\"type\":\"binary\",\"data\":\"AB==\"}", "base64" },
		{ "{\"type\":\"binary\",\"data\":\"A===\"}", "base64" },
		{ "{\"type\":\"binary\",\"data\":\"====\"}", "base64" },
		{ "{\"type\":\"binary\",\"data\":\"AA-_\"}", "base64" },
		{ "{\"type\":\"binary\",\"data\":\"AA==AA==\"}", "base64" },
		{ "", "not JSON" },
		{ "\r", "not JSON" },
	};
	struct buf pl;
	buf_init(&pl, 1024);
	char shown[256];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jsonmode_msg m;
		m.why = NULL;
		int r = dec(cases[i].line, &pl, &m);
		ok(r == WS_E_MALFORMED && m.why != NULL && strstr(m.why, cases[i].why_has) != NULL &&
			   buf_used(&pl) == 0 && m.kind == 0,
		   "refused (%s): %s", m.why ? m.why : "(null)", show(cases[i].line, shown, sizeof(shown)));
	}

	/* nesting far past jansson's depth limit: refused, no crash */
	static char deep[200002];
	memset(deep, '[', 100000);
	memset(deep + 100000, ']', 100000);
	struct jsonmode_msg m;
	is_int(dec_n(deep, 200000, &pl, &m), WS_E_MALFORMED, "100000 nested arrays: WS_E_MALFORMED");

	/* raw NUL byte in the line (not the \u0000 escape) */
	const char raw[] = "{\"type\":\"text\",\"data\":\"a\0b\"}";
	is_int(dec_n(raw, sizeof(raw) - 1, &pl, &m), WS_E_MALFORMED, "raw NUL byte in the line: refused");
	buf_free(&pl);
}

static void test_decode_ok(void)
{
	struct buf pl;
	struct jsonmode_msg m;
	buf_init(&pl, 1024);

	is_int(dec("{\"type\":\"text\",\"data\":\"hi \\u00e9\\ud83d\\ude00\\\"\"}", &pl, &m), 0,
	       "text with escapes");
	ok(m.kind == JM_TEXT && buf_is_str(&pl, "hi \xc3\xa9\xf0\x9f\x98\x80\""), "... unescaped to UTF-8");
	buf_truncate(&pl, 0);

	is_int(dec("{\"type\":\"text\",\"data\":\"a\\u0000b\"}", &pl, &m), 0, "NUL inside text via \\u0000");
	ok(m.kind == JM_TEXT && buf_is(&pl, "a\0b", 3), "... payload is a, NUL, b (3 bytes)");
	buf_truncate(&pl, 0);

	is_int(dec("{\"type\":\"binary\",\"data\":\"AAEC/w==\"}", &pl, &m), 0, "binary");
	ok(m.kind == JM_BINARY && buf_is(&pl, "\x00\x01\x02\xff", 4), "... decoded");
	buf_truncate(&pl, 0);

	is_int(dec("{\"type\":\"binary\",\"data\":\"\"}", &pl, &m), 0, "empty binary");
	ok(m.kind == JM_BINARY && buf_used(&pl) == 0, "... empty payload");
	is_int(dec("{\"type\":\"text\",\"data\":\"\"}", &pl, &m), 0, "empty text");
	ok(m.kind == JM_TEXT && buf_used(&pl) == 0, "... empty payload");

	is_int(dec("{\"data\":\"x\",\"id\":5,\"nested\":{\"a\":[1,{\"b\":null}]},\"type\":\"text\"}", &pl, &m),
	       0, "unknown keys ignored, key order free");
	ok(m.kind == JM_TEXT && buf_is_str(&pl, "x"), "... payload x");
	buf_truncate(&pl, 0);

	is_int(dec(" \t{ \"type\" : \"text\" , \"data\" : \"y\" } \t", &pl, &m), 0, "JSON whitespace around tokens");
	buf_truncate(&pl, 0);

	is_int(dec("{\"type\":\"text\",\"data\":\"x\"}\r", &pl, &m), 0, "trailing \\r allowed");
	ok(m.kind == JM_TEXT && buf_is_str(&pl, "x"), "... and not part of the payload");
	buf_truncate(&pl, 0);

	/* appends to what the payload already holds */
	is_int(buf_append(&pl, "ab", 2), 0, "payload holding 2 bytes");
	is_int(dec("{\"type\":\"text\",\"data\":\"cd\"}", &pl, &m), 0, "decode appends");
	ok(buf_is_str(&pl, "abcd"), "... payload abcd");
	buf_free(&pl);
}

static void test_close(void)
{
	struct buf pl;
	struct jsonmode_msg m;
	char line[512];
	buf_init(&pl, 1024);

	is_int(dec("{\"type\":\"close\"}", &pl, &m), 0, "close without code or reason");
	ok(m.kind == JM_CLOSE && m.code == 1000 && m.reason_len == 0 && m.reason[0] == '\0',
	   "... code 1000, empty reason");
	is_int(dec("{\"type\":\"close\",\"code\":4000,\"reason\":\"bye \\u00e9\",\"data\":5}", &pl, &m), 0,
	       "close 4000 with a reason (data ignored)");
	ok(m.kind == JM_CLOSE && m.code == 4000 && m.reason_len == 6 && strcmp(m.reason, "bye \xc3\xa9") == 0,
	   "... code and reason");
	ok(buf_used(&pl) == 0, "close leaves the payload alone");
	is_int(dec("{\"type\":\"close\",\"reason\":\"r\"}", &pl, &m), 0, "reason without code");
	ok(m.code == 1000 && strcmp(m.reason, "r") == 0, "... code 1000");

	static const int good[] = { 1000, 3000, 3999, 4000, 4999 };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(line, sizeof(line), "{\"type\":\"close\",\"code\":%d}", good[i]);
		int r = dec(line, &pl, &m);
		ok(r == 0 && m.kind == JM_CLOSE && m.code == good[i], "close code %d accepted", good[i]);
	}
	static const char *const bad[] = {
		"999", "1001", "1002", "1005", "1006", "1011", "1015", "2999", "5000", "0", "-1",
		"-4000", "66536", "4294968296", "4000.0", "1e3", "\"4000\"", "null", "true", "[4000]",
		"99999999999999999999999",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "{\"type\":\"close\",\"code\":%s}", bad[i]);
		m.why = NULL;
		int r = dec(line, &pl, &m);
		ok(r == WS_E_MALFORMED && m.why != NULL, "close code %s refused (%s)", bad[i],
		   m.why ? m.why : "(null)");
	}

	char reason[200];
	memset(reason, 'r', sizeof(reason));
	snprintf(line, sizeof(line), "{\"type\":\"close\",\"code\":4001,\"reason\":\"%.*s\"}", 123, reason);
	is_int(dec(line, &pl, &m), 0, "reason of 123 bytes accepted");
	ok(m.reason_len == 123 && strlen(m.reason) == 123 && m.reason[0] == 'r', "... kept whole, NUL-terminated");
	snprintf(line, sizeof(line), "{\"type\":\"close\",\"code\":4001,\"reason\":\"%.*s\"}", 124, reason);
	m.why = NULL;
	is_int(dec(line, &pl, &m), WS_E_MALFORMED, "reason of 124 bytes refused");
	ok(m.why != NULL && strstr(m.why, "123") != NULL, "... why: %s", m.why ? m.why : "(null)");

	/* bytes, not characters: 41 euro signs are 123 bytes */
	char euros[3 * 42 + 1] = "";
	for (int i = 0; i < 41; i++)
		strcat(euros, "\xe2\x82\xac");
	snprintf(line, sizeof(line), "{\"type\":\"close\",\"reason\":\"%s\"}", euros);
	is_int(dec(line, &pl, &m), 0, "reason of 41 three-byte characters (123 bytes) accepted");
	is_int(m.reason_len, 123, "... reason_len counts bytes");
	snprintf(line, sizeof(line), "{\"type\":\"close\",\"reason\":\"%sa\"}", euros);
	is_int(dec(line, &pl, &m), WS_E_MALFORMED, "... one more byte refused");

	is_int(dec("{\"type\":\"close\",\"reason\":\"a\\u0000b\"}", &pl, &m), 0, "reason with \\u0000");
	ok(m.reason_len == 3 && memcmp(m.reason, "a\0b", 4) == 0, "... reason_len 3");
	is_int(dec("{\"type\":\"close\",\"reason\":42}", &pl, &m), WS_E_MALFORMED, "reason not a string refused");
	is_int(dec("{\"type\":\"close\",\"reason\":null}", &pl, &m), WS_E_MALFORMED, "reason null refused");
	buf_free(&pl);
}

static void test_payload_limit(void)
{
	struct buf pl;
	struct jsonmode_msg m;

	buf_init(&pl, 3);
	is_int(dec("{\"type\":\"text\",\"data\":\"abc\"}", &pl, &m), 0, "text filling the payload max exactly");
	ok(buf_is_str(&pl, "abc"), "... payload abc");
	is_int(dec("{\"type\":\"text\",\"data\":\"d\"}", &pl, &m), WS_E_LIMIT, "a byte more: WS_E_LIMIT");
	ok(m.why != NULL && buf_is_str(&pl, "abc"), "... why set (%s), payload unchanged", m.why ? m.why : "(null)");
	buf_free(&pl);

	buf_init(&pl, 3);
	is_int(dec("{\"type\":\"text\",\"data\":\"abcd\"}", &pl, &m), WS_E_LIMIT, "text over max: WS_E_LIMIT");
	ok(buf_used(&pl) == 0, "... nothing appended");
	is_int(dec("{\"type\":\"binary\",\"data\":\"AAEC\"}", &pl, &m), 0, "binary of exactly max");
	buf_truncate(&pl, 0);
	is_int(dec("{\"type\":\"binary\",\"data\":\"AAECAw==\"}", &pl, &m), WS_E_LIMIT, "binary over max: WS_E_LIMIT");
	ok(buf_used(&pl) == 0, "... nothing appended");
	is_int(dec("{\"type\":\"binary\",\"data\":\"!!!!!!!!\"}", &pl, &m), WS_E_MALFORMED,
	       "garbage too big for max: still WS_E_MALFORMED (bad base64)");
	buf_free(&pl);

	/* exact sizing with padding: 4 bytes from 8 characters need 4 bytes, not 6 */
	buf_init(&pl, 4);
	is_int(dec("{\"type\":\"binary\",\"data\":\"AAECAw==\"}", &pl, &m), 0, "binary with '==' filling max 4 exactly");
	ok(buf_is(&pl, "\x00\x01\x02\x03", 4), "... decoded");
	buf_free(&pl);
	buf_init(&pl, 5);
	is_int(dec("{\"type\":\"binary\",\"data\":\"AAECAwQ=\"}", &pl, &m), 0, "binary with '=' filling max 5 exactly");
	ok(buf_is(&pl, "\x00\x01\x02\x03\x04", 5), "... decoded");
	buf_truncate(&pl, 4);
	is_int(dec("{\"type\":\"binary\",\"data\":\"AAE=\"}", &pl, &m), WS_E_LIMIT, "2 bytes into 1 byte of room: WS_E_LIMIT");
	ok(buf_used(&pl) == 4, "... payload unchanged");
	buf_free(&pl);
}

int main(void)
{
	test_encode_text();
	test_encode_binary();
	test_encode_limit();
	test_round_trip();
	test_decode_errors();
	test_decode_ok();
	test_close();
	test_payload_limit();
	return done_testing();
}
