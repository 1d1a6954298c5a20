/* test_frame.c - RFC 6455 5.2 header decode/encode and 5.3 masking. Headers are written
 * by hand here (not with ws_frame_encode) so decode is checked against the RFC, not
 * against the encoder; then encode/decode round trips check the encoder. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "frame.h"
#include "tap.h"

static uint64_t rng = 0x243f6a8885a308d3u;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* Hand-built header: b0, then the length in the form given (7 = 7-bit, 16, 64), then the
 * mask when given. Returns the size. */
static size_t hand_hdr(uint8_t *out, uint8_t b0, int form, uint64_t len, const uint8_t *mask)
{
	size_t n = 2;
	out[0] = b0;
	out[1] = mask ? 0x80 : 0;
	if (form == 7) {
		out[1] |= (uint8_t)len;
	} else if (form == 16) {
		out[1] |= 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		n = 4;
	} else {
		out[1] |= 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
		n = 10;
	}
	if (mask) {
		memcpy(out + n, mask, 4);
		n += 4;
	}
	return n;
}

/* Decode with the header ending exactly at a guard page. */
static int decode_guarded(const uint8_t *h, size_t n, struct ws_frame_hdr *fh, const char **why)
{
	uint8_t *g = guard_copy(h, n);
	int r = ws_frame_decode(g, n, fh, why);
	guard_free(g, n);
	return r;
}

/* Every proper prefix must ask for more, through a guard page. */
static bool prefixes_need_more(const uint8_t *h, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		struct ws_frame_hdr fh;
		if (decode_guarded(h, k, &fh, NULL) != WS_NEED_MORE)
			return false;
	}
	return true;
}

static void test_lengths(void)
{
	static const uint8_t mk[4] = {0x37, 0xfa, 0x21, 0x3d};
	static const struct { int form; uint64_t len; } good[] = {
		{7, 0}, {7, 1}, {7, 125},
		{16, 126}, {16, 127}, {16, 65535},
		{64, 65536}, {64, 0x100000000u}, {64, UINT64_C(0x7fffffffffffffff)},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		for (int masked = 0; masked < 2; masked++) {
			uint8_t h[WS_FRAME_HDR_MAX];
			size_t n = hand_hdr(h, 0x82, good[i].form, good[i].len, masked ? mk : NULL);
			struct ws_frame_hdr fh;
			const char *why = NULL;
			int r = decode_guarded(h, n, &fh, &why);
			is_int(r, (long long)n, "len %llu (%d-bit form, %s): header size",
			       (unsigned long long)good[i].len, good[i].form, masked ? "masked" : "unmasked");
			ok(fh.len == good[i].len, "len %llu: decoded length", (unsigned long long)good[i].len);
			ok(fh.fin && fh.opcode == 2 && fh.rsv == 0 && fh.masked == (masked != 0),
			   "len %llu: fin/opcode/rsv/mask bit", (unsigned long long)good[i].len);
			ok(!masked || memcmp(fh.mask, mk, 4) == 0, "len %llu: masking key", (unsigned long long)good[i].len);
			ok(why == NULL, "len %llu: no reason set", (unsigned long long)good[i].len);
			ok(prefixes_need_more(h, n), "len %llu (%s): every prefix needs more",
			   (unsigned long long)good[i].len, masked ? "masked" : "unmasked");
			/* Trailing payload bytes are not part of the header. */
			uint8_t big[WS_FRAME_HDR_MAX + 8];
			memcpy(big, h, n);
			memset(big + n, 0xee, 8);
			is_int(ws_frame_decode(big, n + 8, &fh, NULL), (long long)n, "len %llu: trailing bytes ignored",
			       (unsigned long long)good[i].len);
		}
	}

	/* 5.2: lengths not in their minimal encoding, and the 64-bit MSB. */
	static const struct { int form; uint64_t len; const char *name; } bad[] = {
		{16, 0, "0 in 16-bit form"},
		{16, 125, "125 in 16-bit form"},
		{64, 0, "0 in 64-bit form"},
		{64, 125, "125 in 64-bit form"},
		{64, 126, "126 in 64-bit form"},
		{64, 65535, "65535 in 64-bit form"},
		{64, UINT64_C(0x8000000000000000), "64-bit MSB set"},
		{64, UINT64_MAX, "all ones"},
		{64, UINT64_C(0x8000000000010000), "MSB set on a large length"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (int masked = 0; masked < 2; masked++) {
			uint8_t h[WS_FRAME_HDR_MAX];
			size_t n = hand_hdr(h, 0x81, bad[i].form, bad[i].len, masked ? mk : NULL);
			struct ws_frame_hdr fh;
			const char *why = NULL;
			is_int(decode_guarded(h, n, &fh, &why), WS_E_PROTO, "%s (%s) rejected", bad[i].name,
			       masked ? "masked" : "unmasked");
			ok(why != NULL && *why, "%s: reason \"%s\"", bad[i].name, why ? why : "(null)");
			/* The length is judged as soon as its bytes are here, mask or not. */
			size_t lenbytes = bad[i].form == 16 ? 4 : 10;
			is_int(decode_guarded(h, lenbytes, &fh, NULL), WS_E_PROTO, "%s: rejected before the mask",
			       bad[i].name);
			is_int(decode_guarded(h, lenbytes - 1, &fh, NULL), WS_NEED_MORE, "%s: one byte short needs more",
			       bad[i].name);
			ok(decode_guarded(h, n, &fh, NULL) == WS_E_PROTO, "%s: why may be NULL", bad[i].name);
		}
	}
}

static void test_bits(void)
{
	uint8_t h[2];
	struct ws_frame_hdr fh;
	bool all = true;

	/* Every first byte: FIN, RSV and opcode come out as they went in, unchecked. */
	for (unsigned b0 = 0; b0 < 256; b0++) {
		h[0] = (uint8_t)b0;
		h[1] = 5;
		if (ws_frame_decode(h, 2, &fh, NULL) != 2 || fh.fin != ((b0 & 0x80) != 0) ||
		    fh.rsv != ((b0 >> 4) & 7) || fh.opcode != (b0 & 15) || fh.masked || fh.len != 5)
			all = false;
	}
	ok(all, "every first byte decodes to its FIN/RSV/opcode");
	h[0] = 0xc1; /* FIN + RSV1 */
	ws_frame_decode(h, 2, &fh, NULL);
	ok(fh.rsv == WS_RSV1, "RSV1 maps to WS_RSV1");
	h[0] = 0xa1;
	ws_frame_decode(h, 2, &fh, NULL);
	ok(fh.rsv == WS_RSV2, "RSV2 maps to WS_RSV2");
	h[0] = 0x91;
	ws_frame_decode(h, 2, &fh, NULL);
	ok(fh.rsv == WS_RSV3, "RSV3 maps to WS_RSV3");

	/* `out` is reset on entry, even when more is needed. */
	memset(&fh, 0xab, sizeof(fh));
	is_int(ws_frame_decode(h, 1, &fh, NULL), WS_NEED_MORE, "1 byte needs more");
	ok(!fh.fin && fh.rsv == 0 && fh.opcode == 0 && !fh.masked && fh.len == 0, "out reset on entry");
	is_int(ws_frame_decode(NULL, 0, &fh, NULL), WS_NEED_MORE, "empty input needs more");

	ok(ws_op_is_control(WS_OP_CLOSE) && ws_op_is_control(WS_OP_PING) && ws_op_is_control(WS_OP_PONG) &&
	   ws_op_is_control(0xb) && ws_op_is_control(0xf), "ws_op_is_control: 8-15");
	ok(!ws_op_is_control(WS_OP_CONT) && !ws_op_is_control(WS_OP_TEXT) && !ws_op_is_control(WS_OP_BINARY) &&
	   !ws_op_is_control(7), "ws_op_is_control: 0-7 are not");
}

static void test_encode(void)
{
	static const uint8_t mk[4] = {1, 2, 3, 4};
	static const uint64_t lens[] = {0, 1, 124, 125, 126, 127, 65534, 65535, 65536, 65537,
					0xffffffffu, UINT64_C(0x7fffffffffffffff)};
	static const size_t sizes[] = {2, 2, 2, 2, 4, 4, 4, 4, 10, 10, 10, 10};
	bool all = true;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint8_t h[WS_FRAME_HDR_MAX], want[WS_FRAME_HDR_MAX];
		size_t n = ws_frame_encode(h, true, 0, WS_OP_BINARY, lens[i], NULL);
		is_int(n, sizes[i], "encode %llu: minimal form, %zu bytes", (unsigned long long)lens[i], sizes[i]);
		int form = sizes[i] == 2 ? 7 : sizes[i] == 4 ? 16 : 64;
		size_t wn = hand_hdr(want, 0x82, form, lens[i], NULL);
		ok(n == wn && memcmp(h, want, n) == 0, "encode %llu: bytes as RFC 6455 5.2", (unsigned long long)lens[i]);
		n = ws_frame_encode(h, false, WS_RSV1, WS_OP_TEXT, lens[i], mk);
		wn = hand_hdr(want, 0x41, form, lens[i], mk);
		ok(n == wn && memcmp(h, want, n) == 0, "encode %llu masked, RSV1, no FIN", (unsigned long long)lens[i]);
	}

	/* Round trip over all FIN/RSV/opcode combinations and random lengths. */
	for (int t = 0; t < 5000; t++) {
		uint8_t h[WS_FRAME_HDR_MAX], key[4];
		bool fin = rnd() & 1, masked = rnd() & 1;
		uint8_t rsv = (uint8_t)(rnd() & 7), op = (uint8_t)(rnd() & 15);
		uint64_t len;
		switch (rnd() % 4) {
		case 0: len = rnd() % 130; break;
		case 1: len = 120 + rnd() % 65536; break;
		case 2: len = 65530 + rnd() % 20; break;
		default: len = ((uint64_t)rnd() << 32 | rnd()) >> (rnd() % 63 + 1); break; /* 1..63: MSB clear */
		}
		for (int k = 0; k < 4; k++)
			key[k] = (uint8_t)rnd();
		size_t n = ws_frame_encode(h, fin, rsv, op, len, masked ? key : NULL);
		struct ws_frame_hdr fh;
		int r = ws_frame_decode(h, n, &fh, NULL);
		if (r != (int)n || fh.fin != fin || fh.rsv != rsv || fh.opcode != op || fh.masked != masked ||
		    fh.len != len || (masked && memcmp(fh.mask, key, 4) != 0) || !prefixes_need_more(h, n)) {
			all = false;
			printf("# round trip failed: len %llu\n", (unsigned long long)len);
			break;
		}
	}
	ok(all, "5000 random encode/decode round trips (with every prefix needing more)");
}

static void ref_mask(uint8_t *d, size_t len, const uint8_t m[4], uint64_t off)
{
	for (size_t i = 0; i < len; i++)
		d[i] ^= m[(off + i) % 4];
}

static void test_mask(void)
{
	static const uint8_t mk[4] = {0x37, 0xfa, 0x21, 0x3d};
	uint8_t src[300], a[300 + 8], b[300];
	bool all = true;

	/* RFC 6455 5.7: "Hello" masked with 37 fa 21 3d. */
	uint8_t hello[5] = {0x7f, 0x9f, 0x4d, 0x51, 0x58};
	ws_mask(hello, 5, mk, 0);
	ok(memcmp(hello, "Hello", 5) == 0, "RFC 6455 5.7 example unmasks to Hello");

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)rnd();
	/* Every length 0..100, every offset 0..7, every alignment 0..7. */
	for (size_t len = 0; len <= 100; len++)
		for (uint64_t off = 0; off < 8; off++)
			for (size_t al = 0; al < 8; al++) {
				memcpy(a + al, src, len);
				memcpy(b, src, len);
				ws_mask(a + al, len, mk, off);
				ref_mask(b, len, mk, off);
				if (memcmp(a + al, b, len) != 0)
					all = false;
			}
	ok(all, "ws_mask matches i %% 4 for every length, offset and alignment");

	/* Huge offsets: only offset % 4 matters. */
	memcpy(a, src, 64);
	memcpy(b, src, 64);
	ws_mask(a, 64, mk, UINT64_C(0xfffffffffffffffd));
	ref_mask(b, 64, mk, 1);
	ok(memcmp(a, b, 64) == 0, "offset near 2^64 behaves as offset %% 4");

	/* Unmasking in random pieces, each with its payload offset, equals one pass. */
	all = true;
	for (int t = 0; t < 2000; t++) {
		size_t len = rnd() % sizeof(src);
		memcpy(a, src, len);
		memcpy(b, src, len);
		ref_mask(b, len, mk, 0);
		size_t pos = 0;
		while (pos < len) {
			size_t c = 1 + rnd() % 40;
			if (c > len - pos)
				c = len - pos;
			ws_mask(a + pos, c, mk, pos);
			pos += c;
		}
		if (memcmp(a, b, len) != 0)
			all = false;
	}
	ok(all, "unmasking in random pieces with offsets equals one pass");

	/* Masking twice restores the data; a guard page catches overruns. */
	for (size_t len = 0; len <= 70; len += 7) {
		uint8_t *g = guard_copy(src, len);
		ws_mask(g, len, mk, 3);
		ws_mask(g, len, mk, 3);
		ok(memcmp(g, src, len) == 0, "mask twice is identity, len %zu, at a guard page", len);
		guard_free(g, len);
	}
	ws_mask(NULL, 0, mk, 0);
	ok(1, "zero-length mask with NULL data");
}

/* Hand-written known vectors from RFC 6455 5.7. */
static void test_rfc_examples(void)
{
	struct ws_frame_hdr fh;
	static const uint8_t unmasked_hello[] = {0x81, 0x05, 'H', 'e', 'l', 'l', 'o'};
	static const uint8_t masked_hello[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
	static const uint8_t frag1[] = {0x01, 0x03, 'H', 'e', 'l'};
	static const uint8_t frag2[] = {0x80, 0x02, 'l', 'o'};
	static const uint8_t ping[] = {0x89, 0x05};
	static const uint8_t bin256[] = {0x82, 0x7e, 0x01, 0x00};
	static const uint8_t bin64k[] = {0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0};

	is_int(ws_frame_decode(unmasked_hello, sizeof(unmasked_hello), &fh, NULL), 2, "5.7 unmasked Hello");
	ok(fh.fin && fh.opcode == WS_OP_TEXT && fh.len == 5 && !fh.masked, "... fields");
	is_int(ws_frame_decode(masked_hello, sizeof(masked_hello), &fh, NULL), 6, "5.7 masked Hello");
	ok(fh.masked && fh.mask[0] == 0x37 && fh.mask[3] == 0x3d && fh.len == 5, "... fields");
	is_int(ws_frame_decode(frag1, sizeof(frag1), &fh, NULL), 2, "5.7 fragment 1");
	ok(!fh.fin && fh.opcode == WS_OP_TEXT && fh.len == 3, "... not FIN, text");
	is_int(ws_frame_decode(frag2, sizeof(frag2), &fh, NULL), 2, "5.7 fragment 2");
	ok(fh.fin && fh.opcode == WS_OP_CONT && fh.len == 2, "... FIN, continuation");
	is_int(ws_frame_decode(ping, sizeof(ping), &fh, NULL), 2, "5.7 ping");
	ok(fh.opcode == WS_OP_PING && fh.len == 5, "... fields");
	is_int(ws_frame_decode(bin256, sizeof(bin256), &fh, NULL), 4, "5.7 256-byte binary");
	ok(fh.len == 256, "... length 256");
	is_int(ws_frame_decode(bin64k, sizeof(bin64k), &fh, NULL), 10, "5.7 64 KiB binary");
	ok(fh.len == 65536, "... length 65536");
}

int main(void)
{
	test_rfc_examples();
	test_lengths();
	test_bits();
	test_encode();
	test_mask();
	return done_testing();
}
