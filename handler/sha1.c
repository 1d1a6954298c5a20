/* sha1.c - SHA-1 as specified in FIPS 180-4 section 6.1. Pure; see sha1.h for why it
 * exists. A plain, portable implementation: one 64-byte block per compression, the
 * message schedule kept in a 16-word ring. */
#include "sha1.h"

#include <string.h>

static uint32_t rol(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32u - n));
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void compress(uint32_t h[5], const uint8_t *blk)
{
	uint32_t w[16];
	for (unsigned i = 0; i < 16; i++)
		w[i] = be32(blk + 4 * i);
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	for (unsigned t = 0; t < 80; t++) {
		if (t >= 16) /* W_t = ROTL1(W_t-3 ^ W_t-8 ^ W_t-14 ^ W_t-16), in the ring */
			w[t & 15] = rol(w[(t - 3) & 15] ^ w[(t - 8) & 15] ^ w[(t - 14) & 15] ^
					w[t & 15], 1);
		uint32_t f, k;
		if (t < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999u;
		} else if (t < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1u;
		} else if (t < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdcu;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6u;
		}
		uint32_t tmp = rol(a, 5) + f + e + k + w[t & 15];
		e = d;
		d = c;
		c = rol(b, 30);
		b = a;
		a = tmp;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

void sha1_init(struct sha1 *s)
{
	static const uint32_t iv[5] = { 0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u,
					0xc3d2e1f0u };
	memcpy(s->h, iv, sizeof(iv));
	s->total = 0;
}

void sha1_update(struct sha1 *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t used = (size_t)(s->total & 63u);
	s->total += len;
	if (used) {
		size_t take = 64 - used < len ? 64 - used : len;
		memcpy(s->block + used, p, take);
		p += take;
		len -= take;
		if (used + take < 64)
			return;
		compress(s->h, s->block);
	}
	for (; len >= 64; p += 64, len -= 64)
		compress(s->h, p);
	if (len)
		memcpy(s->block, p, len);
}

void sha1_final(struct sha1 *s, uint8_t out[SHA1_LEN])
{
	/* FIPS 180-4 5.1.1: a 1 bit, zeros to 56 mod 64 bytes, the length in bits (64-bit
	 * big-endian). */
	uint64_t bits = s->total * 8u;
	size_t used = (size_t)(s->total & 63u);
	s->block[used++] = 0x80;
	if (used > 56) {
		memset(s->block + used, 0, 64 - used);
		compress(s->h, s->block);
		used = 0;
	}
	memset(s->block + used, 0, 56 - used);
	for (unsigned i = 0; i < 8; i++)
		s->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	compress(s->h, s->block);
	for (unsigned i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
	/* The block held message bytes; the chaining value is the digest. Not secret here,
	 * but the state should not outlive its use. */
	explicit_bzero(s, sizeof(*s));
}
