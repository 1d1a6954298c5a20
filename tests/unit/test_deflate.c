/* test_deflate.c - permessage-deflate data path (RFC 7692 7.2): the RFC's 7.2.3
 * examples both ways, the 00 00 ff ff tail, context takeover kept or reset, every window
 * size and level, one-byte feeding, the inflated-size cap enforced while inflating
 * (bombs), corrupt and truncated data. */
#include "tap.h"

#include "buf.h"
#include "deflate.h"
#include "err.h"

static struct pmd_params params(unsigned sbits, unsigned cbits, bool snct, bool cnct)
{
	struct pmd_params p;
	memset(&p, 0, sizeof(p));
	p.server_max_window_bits = sbits;
	p.client_max_window_bits = cbits;
	p.server_no_context_takeover = snct;
	p.client_no_context_takeover = cnct;
	return p;
}

/* Inflate one message given as pieces of `step` bytes (0: whole). */
static int inflate_msg(struct ws_deflate *d, const uint8_t *in, size_t len, size_t step,
		       struct buf *out, uint64_t max)
{
	if (step == 0)
		step = len ? len : 1;
	for (size_t i = 0; i < len; i += step) {
		size_t n = len - i < step ? len - i : step;
		int r = wsd_inflate(d, in + i, n, out, max);
		if (r != 0)
			return r;
	}
	return wsd_inflate_end(d, out, max);
}

static bool buf_is(const struct buf *b, const void *p, size_t n)
{
	return buf_used(b) == n && (n == 0 || memcmp(buf_data(b), p, n) == 0);
}

static void test_rfc_examples(void)
{
	static const uint8_t hello1[] = { 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00 };
	static const uint8_t hello2[] = { 0xf2, 0x00, 0x11, 0x00, 0x00 };
	static const uint8_t stored[] = { 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c,
					  0x6c, 0x6f, 0x00 };
	static const uint8_t bfinal[] = { 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00 };
	static const uint8_t two[] = { 0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca,
				       0xc9, 0xc9, 0x07, 0x00 };
	struct pmd_params p = params(15, 15, false, false);
	struct ws_deflate d;
	struct buf out;

	buf_init(&out, 1 << 20);
	/* 7.2.3.1: one compressed block; 7.2.3.2: the second "Hello" refers back. */
	wsd_init(&d, &p, 6);
	is_int(inflate_msg(&d, hello1, sizeof(hello1), 0, &out, 100), 0, "7.2.3.1 inflates");
	ok(buf_is(&out, "Hello", 5), "7.2.3.1 is Hello");
	buf_truncate(&out, 0);
	is_int(inflate_msg(&d, hello2, sizeof(hello2), 0, &out, 100), 0,
	       "7.2.3.2 second message inflates with the shared window");
	ok(buf_is(&out, "Hello", 5), "7.2.3.2 is Hello");
	buf_truncate(&out, 0);
	/* 7.2.3.1, fragmented as in the RFC: f2 48 cd | c9 c9 07 00. */
	is_int(inflate_msg(&d, hello1, sizeof(hello1), 3, &out, 100), 0, "7.2.3.1 in two fragments");
	ok(buf_is(&out, "Hello", 5), "... is Hello");
	wsd_free(&d);

	/* Without context takeover the second form cannot be decoded alone. */
	struct pmd_params pn = params(15, 15, false, true);
	wsd_init(&d, &pn, 6);
	buf_truncate(&out, 0);
	is_int(inflate_msg(&d, hello1, sizeof(hello1), 0, &out, 100), 0, "no takeover: first");
	buf_truncate(&out, 0);
	ok(inflate_msg(&d, hello2, sizeof(hello2), 0, &out, 100) == WS_E_MALFORMED,
	   "no takeover: a back-reference into the previous message is corrupt data");
	wsd_free(&d);

	/* 7.2.3.3 stored block, 7.2.3.4 BFINAL, 7.2.3.5 two blocks: each alone, one byte
	 * at a time. */
	const struct { const uint8_t *p; size_t n; const char *name; } ex[] = {
		{ stored, sizeof(stored), "7.2.3.3 stored block" },
		{ bfinal, sizeof(bfinal), "7.2.3.4 BFINAL set" },
		{ two, sizeof(two), "7.2.3.5 two blocks" },
		{ hello1, sizeof(hello1), "7.2.3.1 again" },
	};
	wsd_init(&d, &p, 6);
	for (size_t step = 0; step <= 1; step++)
		for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
			buf_truncate(&out, 0);
			is_int(inflate_msg(&d, ex[i].p, ex[i].n, step, &out, 100), 0, "%s%s inflates",
			       ex[i].name, step ? " (1-byte pieces)" : "");
			ok(buf_is(&out, "Hello", 5), "%s is Hello", ex[i].name);
		}
	wsd_free(&d);

	/* Our compressor produces the RFC's bytes (zlib, default level). */
	wsd_init(&d, &p, 6);
	buf_truncate(&out, 0);
	is_int(wsd_compress(&d, (const uint8_t *)"Hello", 5, &out), 0, "compress Hello");
	ok(buf_is(&out, hello1, sizeof(hello1)), "7.2.1: Hello -> f2 48 cd c9 c9 07 00 (tail stripped)");
	buf_truncate(&out, 0);
	is_int(wsd_compress(&d, (const uint8_t *)"Hello", 5, &out), 0, "compress Hello again");
	ok(buf_is(&out, hello2, sizeof(hello2)), "with context takeover: f2 00 11 00 00");
	wsd_free(&d);
	struct pmd_params ps = params(15, 15, true, false);
	wsd_init(&d, &ps, 6);
	for (int i = 0; i < 3; i++) {
		buf_truncate(&out, 0);
		wsd_compress(&d, (const uint8_t *)"Hello", 5, &out);
		ok(buf_is(&out, hello1, sizeof(hello1)), "server_no_context_takeover: message %d "
		   "compresses alone", i + 1);
	}
	wsd_free(&d);
	buf_free(&out);
}

static uint8_t *sample(size_t n, unsigned seed)
{
	uint8_t *p = malloc(n ? n : 1);
	uint32_t x = seed * 2654435761u + 1;
	static const char words[] = "the quick brown fox jumps over the lazy dog {\"k\":123} ";
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		/* mostly text-like, some noise */
		p[i] = (x >> 24) < 40 ? (uint8_t)(x >> 16) : (uint8_t)words[(i + (x >> 28)) % (sizeof(words) - 1)];
	}
	return p;
}

static void test_round_trips(void)
{
	static const size_t sizes[] = { 1, 5, 100, 1000, 4096, 16384, 65535, 65536, 200000 };
	struct buf packed, plain;
	int bad = 0, runs = 0;

	buf_init(&packed, 4 << 20);
	buf_init(&plain, 4 << 20);
	for (unsigned bits = 9; bits <= 15; bits++)
		for (int nct = 0; nct <= 1; nct++) {
			/* We compress (server side); a peer with the same parameters inflates:
			 * model it with a second instance whose rx is our tx. */
			struct pmd_params p = params(bits, bits, nct, nct);
			struct ws_deflate tx, rx;
			wsd_init(&tx, &p, (int)(1 + bits % 9));
			wsd_init(&rx, &p, 6);
			/* half of them through the wiping allocator (a reused handler's) */
			tx.wipe = rx.wipe = bits % 2 == 0;
			for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
				uint8_t *m = sample(sizes[k], (unsigned)(k + bits));
				buf_truncate(&packed, 0);
				buf_truncate(&plain, 0);
				runs++;
				if (wsd_compress(&tx, m, sizes[k], &packed) != 0 ||
				    inflate_msg(&rx, buf_data(&packed), buf_used(&packed),
						k % 3 == 0 ? 1 : k % 3 == 1 ? 7 : 0, &plain, 1 << 20) != 0 ||
				    !buf_is(&plain, m, sizes[k]))
					bad++;
				free(m);
			}
			ok(tx.tx_plain > tx.tx_packed, "bits %u nct %d: compression saved bytes "
			   "(%llu -> %llu)", bits, nct, (unsigned long long)tx.tx_plain,
			   (unsigned long long)tx.tx_packed);
			wsd_free(&tx);
			wsd_free(&rx);
		}
	is_int(bad, 0, "%d round trips (window 9..15, takeover on/off, levels 1..9, whole, "
	       "1-byte and 7-byte pieces) all exact", runs);

	/* Level 0 still produces valid (stored) DEFLATE. */
	struct pmd_params p = params(15, 15, false, false);
	struct ws_deflate a, b;
	wsd_init(&a, &p, 0);
	wsd_init(&b, &p, 6);
	uint8_t *m = sample(70000, 1);
	buf_truncate(&packed, 0);
	buf_truncate(&plain, 0);
	ok(wsd_compress(&a, m, 70000, &packed) == 0 &&
	   inflate_msg(&b, buf_data(&packed), buf_used(&packed), 0, &plain, 1 << 20) == 0 &&
	   buf_is(&plain, m, 70000), "level 0 (stored blocks) round trip");
	free(m);
	/* An empty message: compressed to nothing at all after the tail strip; inflates to
	 * nothing (7.2.3.6's single 00 byte works too). */
	buf_truncate(&packed, 0);
	buf_truncate(&plain, 0);
	ok(wsd_compress(&a, (const uint8_t *)"", 0, &packed) == 0 &&
	   inflate_msg(&b, buf_data(&packed), buf_used(&packed), 0, &plain, 10) == 0 &&
	   buf_used(&plain) == 0 && buf_is(&packed, "", 1),
	   "empty message: compressed to one 00 byte (7.2.3.6), round trip");
	ok(inflate_msg(&b, (const uint8_t *)"\0", 1, 0, &plain, 10) == 0 && buf_used(&plain) == 0,
	   "7.2.3.6: a single 00 byte inflates to an empty message");
	ok(inflate_msg(&b, (const uint8_t *)"", 0, 0, &plain, 10) == 0 && buf_used(&plain) == 0,
	   "no compressed byte at all: an empty message");
	buf_truncate(&plain, 0);
	ok(inflate_msg(&b, (const uint8_t *)"\xf2\x48\xcd\xc9\xc9\x07\x00", 7, 0, &plain, 10) == 0 &&
	   buf_is(&plain, "Hello", 5), "... and the stream goes on after it");
	wsd_free(&a);
	wsd_free(&b);
	wsd_free(&b); /* twice is fine */
	buf_free(&packed);
	buf_free(&plain);
}

static void test_window_8(void)
{
	struct pmd_params p = params(8, 8, false, false);
	struct ws_deflate d;
	wsd_init(&d, &p, 6);
	ok(d.tx_bits == 9 && d.rx_bits == 9, "8-bit windows run as 9 with zlib");
	struct buf out;
	buf_init(&out, 1 << 16);
	is_int(wsd_compress(&d, (const uint8_t *)"Hello", 5, &out), 0, "deflate works at 9 bits");
	wsd_free(&d);
	buf_free(&out);
}

static void test_cap(void)
{
	const size_t big = 10u << 20; /* 10 MiB of zeros: a ~10 KiB bomb */
	uint8_t *zeros = calloc(1, big);
	struct pmd_params p = params(15, 15, false, false);
	struct ws_deflate tx, rx;
	struct buf packed, plain;

	buf_init(&packed, 1 << 20);
	buf_init(&plain, 64u << 20);
	wsd_init(&tx, &p, 9);
	wsd_init(&rx, &p, 6);
	is_int(wsd_compress(&tx, zeros, big, &packed), 0, "compress 10 MiB of zeros");
	ok(buf_used(&packed) < 16384, "... into %zu bytes", buf_used(&packed));
	const uint64_t max = 1u << 20;
	for (size_t step = 0; step <= 1000; step += 1000) {
		wsd_free(&rx);
		wsd_init(&rx, &p, 6);
		buf_truncate(&plain, 0);
		int r = inflate_msg(&rx, buf_data(&packed), buf_used(&packed), step, &plain, max);
		is_int(r, WS_E_LIMIT, "bomb%s: WS_E_LIMIT", step ? " in 1000-byte pieces" : "");
		ok(buf_used(&plain) <= max, "bomb: at most max (%llu) bytes held: %zu",
		   (unsigned long long)max, buf_used(&plain));
		ok(plain.cap <= 2 * max, "bomb: buffer capacity %zu stayed near the cap", plain.cap);
		ok(rx.why != NULL, "bomb: a reason is given (%s)", rx.why ? rx.why : "-");
	}
	/* Exactly at the limit passes; one byte over fails. */
	for (size_t n = 999; n <= 1001; n++) {
		struct ws_deflate a, b;
		wsd_init(&a, &p, 6);
		wsd_init(&b, &p, 6);
		buf_truncate(&packed, 0);
		buf_truncate(&plain, 0);
		wsd_compress(&a, zeros, n, &packed);
		int r = inflate_msg(&b, buf_data(&packed), buf_used(&packed), 0, &plain, 1000);
		is_int(r, n <= 1000 ? 0 : WS_E_LIMIT, "%zu bytes against a 1000-byte cap", n);
		ok(buf_used(&plain) <= 1000, "... holds %zu <= 1000", buf_used(&plain));
		wsd_free(&a);
		wsd_free(&b);
	}
	/* The output buffer's own cap. */
	{
		struct ws_deflate a, b;
		struct buf small;
		buf_init(&small, 100);
		wsd_init(&a, &p, 6);
		wsd_init(&b, &p, 6);
		buf_truncate(&packed, 0);
		wsd_compress(&a, zeros, 5000, &packed);
		is_int(inflate_msg(&b, buf_data(&packed), buf_used(&packed), 0, &small, 1 << 20),
		       WS_E_LIMIT, "a full output buffer: WS_E_LIMIT");
		struct buf tiny;
		buf_init(&tiny, 10);
		is_int(wsd_compress(&a, zeros, 100000, &tiny), WS_E_LIMIT,
		       "compress into a too-small buffer: WS_E_LIMIT");
		is_int((long long)buf_used(&tiny), 0, "... leaving it as it was");
		wsd_free(&a);
		wsd_free(&b);
		buf_free(&small);
		buf_free(&tiny);
	}
	wsd_free(&tx);
	wsd_free(&rx);
	buf_free(&packed);
	buf_free(&plain);
	free(zeros);
}

static void test_corrupt(void)
{
	struct pmd_params p = params(15, 15, false, false);
	struct ws_deflate d;
	struct buf out;
	buf_init(&out, 1 << 20);

	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0xff };
	wsd_init(&d, &p, 6);
	is_int(inflate_msg(&d, junk, sizeof(junk), 0, &out, 100), WS_E_MALFORMED,
	       "invalid block type: WS_E_MALFORMED");
	wsd_free(&d);

	/* Hello cut inside its block: the tail is read as block data; caught at the end. */
	static const uint8_t cut[] = { 0xf2, 0x48, 0xcd };
	wsd_init(&d, &p, 6);
	buf_truncate(&out, 0);
	is_int(inflate_msg(&d, cut, sizeof(cut), 0, &out, 100), WS_E_MALFORMED,
	       "message ending inside a block: WS_E_MALFORMED");
	wsd_free(&d);

	/* A new stream after a final block in the same message, cut inside its block. */
	static const uint8_t after[] = { 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0xf2, 0x48 };
	wsd_init(&d, &p, 6);
	buf_truncate(&out, 0);
	is_int(inflate_msg(&d, after, sizeof(after), 0, &out, 100), WS_E_MALFORMED,
	       "a new stream after the BFINAL block, cut inside a block: WS_E_MALFORMED");
	wsd_free(&d);
	/* ... and one that is complete: two streams, one message. */
	static const uint8_t again[] = { 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00,
					 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00 };
	wsd_init(&d, &p, 6);
	buf_truncate(&out, 0);
	is_int(inflate_msg(&d, again, sizeof(again), 0, &out, 100), 0,
	       "a final block, then a new stream in the same message: inflates");
	ok(buf_is(&out, "HelloHello", 10), "... to both parts");
	wsd_free(&d);

	/* A stored block whose length check fails (LEN != ~NLEN). */
	static const uint8_t badlen[] = { 0x00, 0x05, 0x00, 0xfa, 0xfe, 'H', 'e', 'l', 'l', 'o' };
	wsd_init(&d, &p, 6);
	buf_truncate(&out, 0);
	is_int(inflate_msg(&d, badlen, sizeof(badlen), 0, &out, 100), WS_E_MALFORMED,
	       "stored block with a bad NLEN: WS_E_MALFORMED");
	wsd_free(&d);

	/* A back-reference beyond the start of the stream (distance too far back). */
	static const uint8_t far[] = { 0xf2, 0x00, 0x11, 0x00, 0x00 };
	wsd_init(&d, &p, 6);
	buf_truncate(&out, 0);
	is_int(inflate_msg(&d, far, sizeof(far), 0, &out, 100), WS_E_MALFORMED,
	       "a reference to data never sent: WS_E_MALFORMED");
	wsd_free(&d);

	/* Every truncation of a valid 2-block message either fails cleanly or (on a block
	 * boundary) yields a prefix of the data; none crashes or overreads. */
	static const uint8_t two[] = { 0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca,
				       0xc9, 0xc9, 0x07, 0x00 };
	int clean = 1;
	for (size_t n = 0; n <= sizeof(two); n++) {
		uint8_t *g = guard_copy(two, n);
		wsd_init(&d, &p, 6);
		buf_truncate(&out, 0);
		int r = inflate_msg(&d, g, n, 1, &out, 100);
		if (!(r == WS_E_MALFORMED || (r == 0 && buf_used(&out) <= 5 &&
					      memcmp(buf_data(&out), "Hello", buf_used(&out)) == 0)))
			clean = 0;
		wsd_free(&d);
		guard_free(g, n);
	}
	ok(clean, "every truncation of a 2-block message: an error or a prefix");
	buf_free(&out);
}

int main(void)
{
	test_rfc_examples();
	test_round_trips();
	test_window_8();
	test_cap();
	test_corrupt();
	return done_testing();
}
