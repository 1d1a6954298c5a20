/* fuzz_inflate - the permessage-deflate receive path (handler/deflate.c over zlib).
 *
 * Input: byte 0 = parameters (window bits, client no_context_takeover, message cap),
 * bytes 1-4 seed the split sizes, the rest is a sequence of compressed messages, each
 * a 2-byte little-endian length and that many payload bytes (as they would arrive with
 * RSV1 set, tail stripped).
 * Properties:
 *   - every call returns 0, WS_E_LIMIT, WS_E_MALFORMED (or WS_E_NOMEM), with d->why on
 *     error; the inflated size of a message never passes the cap (the decompression
 *     bomb bound), and out never grows past its own max;
 *   - feeding a message in random pieces gives the same bytes and the same outcome as
 *     feeding it whole (a separate context with the same parameters) when the window is
 *     15 bits; with a smaller window the split feed may refuse what the whole one took
 *     (zlib's window check, see below), never the other way round;
 *   - after the fuzz messages, a message we compress ourselves (wsd_compress) inflates
 *     back to its bytes on a fresh context with the same window. */
#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "deflate.h"
#include "err.h"
#include "fuzz.h"
#include "pmd.h"

static int feed(struct ws_deflate *d, const uint8_t *m, size_t n, struct rng *g,
		struct buf *out, uint64_t max)
{
	size_t pos = 0;
	while (pos < n) {
		size_t chunk = g ? 1 + rng_next(g) % 97 : n;
		if (chunk > n - pos)
			chunk = n - pos;
		int r = wsd_inflate(d, m + pos, chunk, out, max);
		CHECK(r == 0 || r == WS_E_LIMIT || r == WS_E_MALFORMED || r == WS_E_NOMEM,
		      "inflate %d", r);
		CHECK(buf_used(out) <= max, "inflated %zu past the cap %llu", buf_used(out),
		      (unsigned long long)max);
		if (r < 0) {
			CHECK(d->why != NULL, "no reason");
			return r;
		}
		pos += chunk;
	}
	int r = wsd_inflate_end(d, out, max);
	CHECK(r == 0 || r == WS_E_LIMIT || r == WS_E_MALFORMED || r == WS_E_NOMEM, "end %d", r);
	CHECK(buf_used(out) <= max, "inflated past the cap at the end");
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 5)
		return 0;
	uint8_t fl = data[0];
	struct rng g;
	rng_seed(&g, (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 |
			     (uint32_t)data[4] << 24);
	data += 5;
	size -= 5;
	struct pmd_params pp = {
		.server_no_context_takeover = (fl & 0x10) != 0,
		.client_no_context_takeover = (fl & 0x08) != 0,
		.server_max_window_bits = 9 + (fl & 7) % 7,
		.client_max_window_bits = 8 + (fl & 7),
	};
	static const uint64_t caps[] = { 0, 1, 1000, 65536 };
	uint64_t max = caps[(fl >> 5) & 3];

	struct ws_deflate whole, split;
	wsd_init(&whole, &pp, 6);
	wsd_init(&split, &pp, 6);
	bool whole_dead = false;
	size_t p = 0;
	for (int msgs = 0; msgs < 16 && p + 2 <= size && !whole_dead; msgs++) {
		size_t n = (size_t)data[p] | (size_t)data[p + 1] << 8;
		p += 2;
		if (n > size - p)
			n = size - p;
		uint8_t *m = malloc(n ? n : 1);
		memcpy(m, data + p, n);
		p += n;
		struct buf a, b;
		buf_init(&a, 1 << 20);
		buf_init(&b, 1 << 20);
		int ra = feed(&whole, m, n, NULL, &a, max);
		int rb = feed(&split, m, n, &g, &b, max);
		/* zlib checks a match distance against its window plus what the same
		 * inflate() call already wrote, so a stream using distances beyond the
		 * negotiated window can pass when inflated in one piece and fail (1007)
		 * in several: only with the full 32 KiB window must the two agree. A
		 * split feed is never more lenient than a whole one. */
		if (pp.client_max_window_bits == 15)
			CHECK(ra == rb, "whole %d, split %d", ra, rb);
		else
			CHECK(ra == rb || rb == WS_E_MALFORMED, "whole %d, split %d", ra, rb);
		if (ra == 0 && rb == 0)
			CHECK(buf_used(&a) == buf_used(&b) &&
			      (buf_used(&a) == 0 ||
			       memcmp(buf_data(&a), buf_data(&b), buf_used(&a)) == 0),
			      "whole and split inflate differ");
		whole_dead = ra < 0 || rb < 0; /* after an error the connection is closed */
		buf_free(&a);
		buf_free(&b);
		free(m);
	}
	wsd_free(&whole);
	wsd_free(&split);

	/* Our own compressor round trip on the input bytes. */
	if (size <= 65536) {
		struct pmd_params rt = pp;
		rt.client_max_window_bits = rt.server_max_window_bits;
		struct ws_deflate tx, rx;
		wsd_init(&tx, &rt, fl & 1 ? 1 : 9);
		/* The receiver of our frames inflates with our (server) window. */
		struct pmd_params rv = rt;
		rv.client_max_window_bits = rt.server_max_window_bits;
		rv.client_no_context_takeover = rt.server_no_context_takeover;
		wsd_init(&rx, &rv, 6);
		for (int k = 0; k < 2; k++) {
			struct buf c, o;
			buf_init(&c, 2 * size + 2 * WSD_CHUNK); /* it reserves WSD_CHUNK at a time */
			buf_init(&o, size + 1);
			int r = wsd_compress(&tx, data, size, &c);
			CHECK(r == 0, "compress %d (%s)", r, tx.why ? tx.why : "");
			r = wsd_inflate(&rx, buf_data(&c), buf_used(&c), &o, size);
			CHECK(r == 0, "inflate of our own output %d (%s)", r, rx.why ? rx.why : "");
			r = wsd_inflate_end(&rx, &o, size);
			CHECK(r == 0, "inflate_end of our own output %d (%s)", r, rx.why ? rx.why : "");
			CHECK(buf_used(&o) == size && (size == 0 || memcmp(buf_data(&o), data, size) == 0),
			      "round trip differs");
			buf_free(&c);
			buf_free(&o);
		}
		wsd_free(&tx);
		wsd_free(&rx);
	}
	return 0;
}
