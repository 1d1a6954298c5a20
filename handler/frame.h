/* frame.h - RFC 6455 section 5.2 frame header codec and masking. Pure, no allocation.
 * Decoding is syntactic (plus the rules that are about the header bytes themselves);
 * the message layer (msg.h) applies opcode, RSV, masking and control-frame policy. */
#ifndef WSINETD_FRAME_H
#define WSINETD_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ws_opcode {
	WS_OP_CONT = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xA,
};

#define WS_RSV1 0x4u /* bits of ws_frame_hdr.rsv: RSV1 RSV2 RSV3 = 4 2 1 */
#define WS_RSV2 0x2u
#define WS_RSV3 0x1u

#define WS_FRAME_HDR_MAX 14u

static inline bool ws_op_is_control(unsigned op) { return (op & 0x8u) != 0; }

struct ws_frame_hdr {
	bool fin;
	uint8_t rsv;      /* RSV1..3 as WS_RSV* bits */
	uint8_t opcode;   /* 0..15, not checked here */
	bool masked;
	uint8_t mask[4];
	uint64_t len;     /* payload length */
};

/* Decode the header at buf[0..len). Returns the header size (2..14) when complete,
 * WS_NEED_MORE when more bytes are needed, WS_E_PROTO when the header is invalid: a
 * 64-bit length with the most significant bit set, or a length not in its minimal
 * encoding (RFC 6455 5.2). *why (may be NULL) gets a static reason on error. `out` is
 * reset on entry. */
int ws_frame_decode(const uint8_t *buf, size_t len, struct ws_frame_hdr *out, const char **why);

/* Encode a header into out (room for WS_FRAME_HDR_MAX); mask == NULL for an unmasked
 * (server) frame. Returns the header size. */
size_t ws_frame_encode(uint8_t out[WS_FRAME_HDR_MAX], bool fin, uint8_t rsv, uint8_t opcode,
		       uint64_t len, const uint8_t *mask);

/* XOR data with the mask, `offset` being the position of data[0] within the payload
 * (so a payload unmasked in pieces gives the same result). */
void ws_mask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t offset);

#endif
