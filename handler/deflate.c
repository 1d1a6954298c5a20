/* deflate.c - permessage-deflate compression and inflation (RFC 7692 7.2). See
 * deflate.h. */
#include "deflate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "wipe.h"

/* RFC 7692 7.2.1: the empty stored block a Z_SYNC_FLUSH ends with. */
static const uint8_t TAIL[4] = { 0x00, 0x00, 0xff, 0xff };

/* zlib's memory holds recent plaintext (the LZ77 window, the pending output): with
 * d->wipe, wiped when zlib frees it, so that a handler serving its next connection
 * (--handler-reuse) keeps none of this one's messages (wipe.h). */
static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
	(void)opaque;
	if (size != 0 && items > SIZE_MAX / size)
		return Z_NULL;
	return wipe_malloc((size_t)items * size);
}

static void z_free(voidpf opaque, voidpf address)
{
	(void)opaque;
	wipe_free(address);
}

static void z_setup(z_stream *z, bool wipe)
{
	memset(z, 0, sizeof(*z));
	if (wipe) {
		z->zalloc = z_alloc;
		z->zfree = z_free;
	}
}

void wsd_init(struct ws_deflate *d, const struct pmd_params *p, int level)
{
	memset(d, 0, sizeof(*d));
	d->level = level < 0 ? 0 : level > 9 ? 9 : level;
	d->tx_bits = p->server_max_window_bits;
	if (d->tx_bits < PMD_ZLIB_MIN_BITS)
		d->tx_bits = PMD_ZLIB_MIN_BITS;
	if (d->tx_bits > 15)
		d->tx_bits = 15;
	d->rx_bits = p->client_max_window_bits;
	if (d->rx_bits < PMD_ZLIB_MIN_BITS)
		d->rx_bits = PMD_ZLIB_MIN_BITS;
	if (d->rx_bits > 15)
		d->rx_bits = 15;
	d->tx_reset = p->server_no_context_takeover;
	d->rx_reset = p->client_no_context_takeover;
}

void wsd_free(struct ws_deflate *d)
{
	if (d->tx_ready)
		deflateEnd(&d->tx);
	if (d->rx_ready)
		inflateEnd(&d->rx);
	d->tx_ready = d->rx_ready = false;
}

static int zfail(struct ws_deflate *d, int zr, const char *why)
{
	d->why = why;
	return zr == Z_MEM_ERROR ? WS_E_NOMEM : WS_E_SYS;
}

int wsd_compress(struct ws_deflate *d, const uint8_t *in, size_t len, struct buf *out)
{
	z_stream *z = &d->tx;
	size_t start = buf_used(out);
	int zr;

	d->why = NULL;
	if (len == 0) {
		/* 7.2.3.6: an empty message is a single 00 byte (with the tail, an empty
		 * stored block). zlib would emit nothing for a flush without input after a
		 * flush, and the stream state is untouched this way. */
		int err = buf_append(out, "", 1);
		if (err != 0) {
			d->why = "no room for the compressed message";
			return err;
		}
		d->tx_packed += 1;
		return 0;
	}
	if (!d->tx_ready) {
		z_setup(z, d->wipe);
		/* Negative windowBits: raw DEFLATE, no zlib header or checksum (7.2.1). */
		zr = deflateInit2(z, d->level, Z_DEFLATED, -(int)d->tx_bits, WSD_MEM_LEVEL,
				  Z_DEFAULT_STRATEGY);
		if (zr != Z_OK)
			return zfail(d, zr, "deflateInit2 failed");
		d->tx_ready = true;
	}
	z->next_in = (Bytef *)(uintptr_t)in; /* zlib's API is not const-correct */
	z->avail_in = 0;
	size_t left = len;
	for (;;) {
		/* avail_in is a uInt: feed huge inputs in slices. */
		if (z->avail_in == 0 && left > 0) {
			uInt take = left > (1u << 30) ? (1u << 30) : (uInt)left;
			z->avail_in = take;
			left -= take;
		}
		int err = 0;
		uint8_t *p = buf_reserve(out, WSD_CHUNK, &err);
		if (p == NULL) {
			buf_truncate(out, start);
			d->why = err == WS_E_NOMEM ? "out of memory" : "compressed message too large";
			return err;
		}
		z->next_out = p;
		z->avail_out = WSD_CHUNK;
		zr = deflate(z, left > 0 ? Z_NO_FLUSH : Z_SYNC_FLUSH);
		buf_commit(out, WSD_CHUNK - z->avail_out);
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			buf_truncate(out, start);
			return zfail(d, zr, "deflate failed");
		}
		/* Z_SYNC_FLUSH is complete once deflate returns with output space left. */
		if (left == 0 && z->avail_in == 0 && z->avail_out > 0)
			break;
	}
	size_t n = buf_used(out) - start;
	if (n < 4 || memcmp(buf_data(out) + buf_used(out) - 4, TAIL, 4) != 0) {
		buf_truncate(out, start);
		d->why = "deflate output does not end with 00 00 ff ff";
		return WS_E_SYS;
	}
	buf_truncate(out, buf_used(out) - 4);
	/* 7.1.1.1: without context takeover every message starts from an empty window. */
	if (d->tx_reset && deflateReset(z) != Z_OK)
		return zfail(d, Z_STREAM_ERROR, "deflateReset failed");
	d->tx_plain += len;
	d->tx_packed += n - 4;
	return 0;
}

static int rx_fail(struct ws_deflate *d, int err, const char *why)
{
	d->why = why;
	return err;
}

/* Run the inflater over z->next_in/avail_in, appending at most max - rx_total bytes. */
static int inflate_some(struct ws_deflate *d, struct buf *out, uint64_t max)
{
	z_stream *z = &d->rx;

	for (;;) {
		uint8_t probe, *p;
		size_t want;
		int err = 0;
		if (d->rx_ended) {
			if (z->avail_in == 0)
				return 0;
			/* Bytes after a block with BFINAL (7.2.3.4 shows one: the header of
			 * the empty stored block whose rest is the stripped tail): a new
			 * DEFLATE stream, as the sender had to start one. */
			if (inflateReset(z) != Z_OK)
				return rx_fail(d, WS_E_SYS, "inflateReset failed");
			d->rx_ended = false;
		}
		if (d->rx_total >= max) {
			/* At the limit: one more byte out would pass it. Probe with a
			 * byte of our own so that the caller's buffer never holds it. */
			p = &probe;
			want = 1;
		} else {
			uint64_t room = max - d->rx_total;
			want = room < WSD_CHUNK ? (size_t)room : WSD_CHUNK;
			p = buf_reserve(out, want, &err);
			if (p == NULL)
				return rx_fail(d, err, err == WS_E_NOMEM ? "out of memory" :
					       "no room for the inflated message");
		}
		z->next_out = p;
		z->avail_out = (uInt)want;
		int zr = inflate(z, Z_SYNC_FLUSH);
		size_t got = want - z->avail_out;
		if (got > 0) {
			if (p == &probe)
				return rx_fail(d, WS_E_LIMIT, "message too big after inflating");
			buf_commit(out, got);
			d->rx_total += got;
		}
		switch (zr) {
		case Z_OK:
			break;
		case Z_STREAM_END:
			d->rx_ended = true;
			continue;
		case Z_BUF_ERROR:
			/* No progress possible: input used up (or output full, handled
			 * by the next pass). */
			if (z->avail_in == 0)
				return 0;
			break;
		case Z_MEM_ERROR:
			return rx_fail(d, WS_E_NOMEM, "out of memory");
		default: /* Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR */
			return rx_fail(d, WS_E_MALFORMED, "invalid compressed data");
		}
		if (z->avail_in == 0 && z->avail_out > 0)
			return 0;
	}
}

int wsd_inflate(struct ws_deflate *d, const uint8_t *in, size_t len, struct buf *out,
		uint64_t max)
{
	z_stream *z = &d->rx;

	d->why = NULL;
	if (!d->rx_ready) {
		z_setup(z, d->wipe);
		int zr = inflateInit2(z, -(int)d->rx_bits);
		if (zr != Z_OK)
			return rx_fail(d, zr == Z_MEM_ERROR ? WS_E_NOMEM : WS_E_SYS,
				       "inflateInit2 failed");
		d->rx_ready = true;
	}
	d->rx_packed += len;
	if (len > 0)
		d->rx_any = true;
	while (len > 0) {
		uInt take = len > (1u << 30) ? (1u << 30) : (uInt)len;
		z->next_in = (Bytef *)(uintptr_t)in;
		z->avail_in = take;
		int r = inflate_some(d, out, max);
		if (r != 0)
			return r;
		in += take;
		len -= take;
	}
	return 0;
}

int wsd_inflate_end(struct ws_deflate *d, struct buf *out, uint64_t max)
{
	z_stream *z = &d->rx;
	int r = 0;

	/* An empty compressed message never called wsd_inflate: start the stream now. */
	if (!d->rx_ready && (r = wsd_inflate(d, NULL, 0, out, max)) != 0)
		return r;
	d->why = NULL;
	if (!d->rx_ended && d->rx_any) {
		z->next_in = (Bytef *)(uintptr_t)TAIL;
		z->avail_in = sizeof(TAIL);
		r = inflate_some(d, out, max);
		/* The tail is an empty stored block: once it is consumed the decoder must
		 * wait for a new block header (data_type bit 128, zlib.h). If the message
		 * stopped inside a block, the tail was taken as block data instead. */
		if (r == 0 && (z->avail_in > 0 || !(z->data_type & 128)))
			r = rx_fail(d, WS_E_MALFORMED, "compressed message ends inside a block");
	}
	if (r == 0) {
		d->rx_plain += d->rx_total;
		/* After a final block the stream is over and must start afresh; without
		 * context takeover the client starts each message afresh as well
		 * (7.1.1.2), so our window must not carry over either. */
		if ((d->rx_ended || d->rx_reset) && inflateReset(z) != Z_OK)
			r = rx_fail(d, WS_E_SYS, "inflateReset failed");
	}
	d->rx_total = 0;
	d->rx_ended = false;
	d->rx_any = false;
	return r;
}
