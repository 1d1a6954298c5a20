/* deflate.h - the permessage-deflate data path (RFC 7692 7.2) over zlib: one raw
 * deflate stream for what we send and one raw inflate stream for what we receive, per
 * connection, each created on first use and kept across messages unless "no context
 * takeover" was negotiated for that direction. Pure: no I/O, no logging; knows nothing
 * of frames (the caller passes a message's payload, whole or in pieces).
 *
 *   sending (7.2.1): deflate the message with Z_SYNC_FLUSH, which ends it on an empty
 *     stored block 00 00 ff ff; strip those 4 bytes. The caller sets RSV1.
 *   receiving (7.2.2): inflate the payload as it arrives, then the 4 bytes 00 00 ff ff
 *     the sender stripped. The inflated size of one message is capped while inflating:
 *     output never grows past `max` bytes in the caller's buffer, whatever the ratio (a
 *     decompression bomb costs at most `max` bytes of memory and the work to produce
 *     them), and the call that would pass it fails with WS_E_LIMIT (close 1009).
 *     Corrupt data is WS_E_MALFORMED (close 1007, RFC 7692 8: "MUST _Fail the WebSocket
 *     Connection_"). A block with BFINAL ends the DEFLATE stream (7.2.3.4): bytes after
 *     it in the same message start a new stream (the RFC's example has one such byte),
 *     and the tail is only appended when the message did not end right at the end of a
 *     stream; the inflater then starts afresh with the next message.
 *
 * Window sizes: zlib cannot deflate with a 256-byte window (windowBits 8), so the
 * deflate window is at least 9 (pmd.c never agrees to 8 for our side); the inflate
 * window is at least 9 too, which decodes a peer's 8-bit window as well. */
#ifndef WSINETD_DEFLATE_H
#define WSINETD_DEFLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "buf.h"
#include "pmd.h"

/* Output is produced in steps of at most this many bytes per buffer reservation. */
#define WSD_CHUNK (16u * 1024u)
/* zlib's memLevel for our deflater (1..9): its hash tables take 2^(memLevel+9) bytes;
 * 8 is zlib's default. */
#define WSD_MEM_LEVEL 8
/* --deflate-level default: zlib's own default (Z_DEFAULT_COMPRESSION is 6). */
#define WSD_LEVEL_DEFAULT 6
/* --deflate-min-size default: smaller messages go out uncompressed (a few hundred
 * bytes rarely shrink enough to pay for the CPU). */
#define WSD_MIN_SIZE_DEFAULT 1024u

struct ws_deflate {
	z_stream tx, rx;
	bool tx_ready, rx_ready;   /* stream initialised (on first use) */
	int level;                 /* 0..9 */
	unsigned tx_bits, rx_bits; /* LZ77 window, 9..15 */
	bool tx_reset, rx_reset;   /* no context takeover in that direction */
	bool wipe;                 /* zlib's memory wiped when freed (set after wsd_init) */
	/* the incoming message being inflated */
	uint64_t rx_total;         /* inflated bytes so far */
	bool rx_ended;             /* its data closed the DEFLATE stream (BFINAL) */
	bool rx_any;               /* it had any compressed byte at all */
	/* totals for the access log */
	uint64_t tx_plain, tx_packed, rx_packed, rx_plain;
	const char *why;           /* after an error: a short static reason */
};

/* Set up for the agreed parameters (streams are created on first use). */
void wsd_init(struct ws_deflate *d, const struct pmd_params *p, int level);
/* Release both streams; accepts a zeroed or already-freed struct. */
void wsd_free(struct ws_deflate *d);

/* Compress one whole message in[0..len) and append the payload to send (tail
 * stripped) to out. Returns 0, WS_E_LIMIT if out has no room, WS_E_NOMEM, or WS_E_SYS
 * for a zlib failure; d->why says which. On error out is left as it was, and the
 * deflate context must not be used again (the peer would not follow it). */
int wsd_compress(struct ws_deflate *d, const uint8_t *in, size_t len, struct buf *out);

/* Inflate the next piece of the current incoming compressed message and append the
 * output to out, keeping the message's inflated size <= max. Returns 0,
 * WS_E_LIMIT (past max; or out itself full), WS_E_MALFORMED (corrupt data),
 * WS_E_NOMEM. Bytes appended before an error stay in out. */
int wsd_inflate(struct ws_deflate *d, const uint8_t *in, size_t len, struct buf *out,
		uint64_t max);

/* The current message is complete: inflate the stripped tail, check that the message
 * ended on a block boundary, reset for the next message (and reset the context when
 * the client does not keep its own). A message without any compressed byte is taken as
 * empty, as zlib-based peers do (the RFC's own form of an empty message is one 00 byte,
 * 7.2.3.6). Same returns as wsd_inflate. */
int wsd_inflate_end(struct ws_deflate *d, struct buf *out, uint64_t max);

#endif
