/* frame.c - RFC 6455 section 5.2 frame header codec and masking (section 5.3).
 *
 *    0                   1                   2                   3
 *   +-+-+-+-+-------+-+-------------+-------------------------------+
 *   |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *   |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 *   |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 *   | |1|2|3|       |K|             |                               |
 *   +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *   |     Extended payload length continued, if payload len == 127  |
 *   + - - - - - - - - - - - - - - - +-------------------------------+
 *   |                               |Masking-key, if MASK set to 1  |
 *   +-------------------------------+-------------------------------+
 */
#include "frame.h"

#include <string.h>

#include "err.h"

int ws_frame_decode(const uint8_t *buf, size_t len, struct ws_frame_hdr *out, const char **why)
{
	size_t ext, need;
	uint64_t plen;

	memset(out, 0, sizeof(*out));
	if (len < 2)
		return WS_NEED_MORE;
	plen = buf[1] & 0x7fu;
	ext = plen == 126 ? 2 : plen == 127 ? 8 : 0;
	/* The length rules are checked as soon as the length bytes are here, before the
	 * masking key: a bad header fails without waiting for bytes it does not need. */
	if (len < 2 + ext)
		return WS_NEED_MORE;
	if (ext == 2) {
		plen = (uint64_t)buf[2] << 8 | buf[3];
		/* 5.2: "the minimal number of bytes MUST be used to encode the length" */
		if (plen < 126) {
			if (why)
				*why = "frame length not minimally encoded";
			return WS_E_PROTO;
		}
	} else if (ext == 8) {
		plen = 0;
		for (size_t i = 0; i < 8; i++)
			plen = plen << 8 | buf[2 + i];
		/* 5.2: "the most significant bit MUST be 0" */
		if (plen >> 63) {
			if (why)
				*why = "frame length has its most significant bit set";
			return WS_E_PROTO;
		}
		if (plen <= 0xffff) {
			if (why)
				*why = "frame length not minimally encoded";
			return WS_E_PROTO;
		}
	}
	need = 2 + ext + ((buf[1] & 0x80u) ? 4 : 0);
	if (len < need)
		return WS_NEED_MORE;

	out->fin = (buf[0] & 0x80u) != 0;
	out->rsv = (uint8_t)((buf[0] >> 4) & 0x7u);
	out->opcode = (uint8_t)(buf[0] & 0xfu);
	out->masked = (buf[1] & 0x80u) != 0;
	out->len = plen;
	if (out->masked)
		memcpy(out->mask, buf + 2 + ext, 4);
	return (int)need;
}

size_t ws_frame_encode(uint8_t out[WS_FRAME_HDR_MAX], bool fin, uint8_t rsv, uint8_t opcode,
		       uint64_t len, const uint8_t *mask)
{
	size_t n = 2;

	out[0] = (uint8_t)((fin ? 0x80u : 0u) | (rsv & 0x7u) << 4 | (opcode & 0xfu));
	out[1] = mask ? 0x80u : 0u;
	/* Always the minimal length form (5.2). */
	if (len < 126) {
		out[1] |= (uint8_t)len;
	} else if (len <= 0xffff) {
		out[1] |= 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		n = 4;
	} else {
		out[1] |= 127;
		for (size_t i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
		n = 10;
	}
	if (mask) {
		memcpy(out + n, mask, 4);
		n += 4;
	}
	return n;
}

void ws_mask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t offset)
{
	/* 5.3: octet i of the payload is XORed with mask[i % 4]. Lay the key out for eight
	 * consecutive payload positions starting at `offset`; as 8 is a multiple of 4 the
	 * same word then fits every following 8-byte block. Byte-wise XOR of two words is
	 * independent of endianness, and memcpy makes unaligned access defined. */
	uint8_t pat[8];
	uint64_t w;
	size_t i = 0;

	for (size_t k = 0; k < 8; k++)
		pat[k] = mask[(offset + k) & 3u];
	memcpy(&w, pat, 8);
	for (; len - i >= 32; i += 32) {
		uint64_t a, b, c, d;
		memcpy(&a, data + i, 8);
		memcpy(&b, data + i + 8, 8);
		memcpy(&c, data + i + 16, 8);
		memcpy(&d, data + i + 24, 8);
		a ^= w;
		b ^= w;
		c ^= w;
		d ^= w;
		memcpy(data + i, &a, 8);
		memcpy(data + i + 8, &b, 8);
		memcpy(data + i + 16, &c, 8);
		memcpy(data + i + 24, &d, 8);
	}
	for (; len - i >= 8; i += 8) {
		uint64_t a;
		memcpy(&a, data + i, 8);
		a ^= w;
		memcpy(data + i, &a, 8);
	}
	for (size_t k = 0; i < len; i++, k++)
		data[i] ^= pat[k];
}
