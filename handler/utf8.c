/* utf8.c - incremental UTF-8 validator (RFC 3629 section 4 syntax).
 *
 * The state is the constraint on the next byte, so it survives any split of the input:
 *
 *   UTF8_ACCEPT           on a code point boundary
 *   need << 16 | lo << 8 | hi
 *                         inside a sequence: `need` continuation bytes still to come, the
 *                         next one must lie in [lo, hi]
 *   UTF8_REJECT           the input can no longer be valid (sticky)
 *
 * Only the first continuation byte ever has a range narrower than 0x80..0xBF; that narrow
 * range is what rejects overlongs (E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and code
 * points above U+10FFFF (F4 90..BF) at the first byte where they become impossible, which
 * is what RFC 6455 8.1 asks of an endpoint that validates "fail fast". Lead bytes C0, C1
 * (overlong 2-byte forms) and F5..FF (beyond U+10FFFF, and the old 5/6-byte forms, FE, FF)
 * can never start a valid sequence, and neither can a stray continuation byte. */
#include "utf8.h"

#include <string.h>

#include "err.h"

#define UTF8_REJECT 0xffffffffu
#define HIGH_BITS   UINT64_C(0x8080808080808080)

static inline uint32_t mk(uint32_t need, uint32_t lo, uint32_t hi)
{
	return need << 16 | lo << 8 | hi;
}

/* State after a non-ASCII byte read on a code point boundary (RFC 3629 section 4,
 * UTF8-2 .. UTF8-4). */
static inline uint32_t lead(uint8_t c)
{
	if (c < 0xc2)
		return UTF8_REJECT; /* continuation byte, or C0/C1 (always overlong) */
	if (c < 0xe0)
		return mk(1, 0x80, 0xbf);
	if (c < 0xf0)
		return mk(2, c == 0xe0 ? 0xa0 : 0x80,  /* E0 80..9F: overlong */
			  c == 0xed ? 0x9f : 0xbf);     /* ED A0..BF: surrogates */
	if (c < 0xf5)
		return mk(3, c == 0xf0 ? 0x90 : 0x80,  /* F0 80..8F: overlong */
			  c == 0xf4 ? 0x8f : 0xbf);     /* F4 90..BF: > U+10FFFF */
	return UTF8_REJECT;
}

int utf8_feed(uint32_t *state, const uint8_t *s, size_t len)
{
	uint32_t st = *state;
	size_t i = 0;

	if (st == UTF8_REJECT)
		return WS_E_UTF8;
	while (i < len) {
		uint8_t c;
		if (st == UTF8_ACCEPT) {
			/* Hot path: skip ASCII a word at a time; memcpy keeps the loads legal
			 * at any alignment and compiles to a plain load. */
			while (len - i >= 16) {
				uint64_t a, b;
				memcpy(&a, s + i, 8);
				memcpy(&b, s + i + 8, 8);
				if ((a | b) & HIGH_BITS)
					break;
				i += 16;
			}
			while (len - i >= 8) {
				uint64_t a;
				memcpy(&a, s + i, 8);
				if (a & HIGH_BITS)
					break;
				i += 8;
			}
			/* Then byte by byte up to the next non-ASCII byte. */
			while (i < len && s[i] < 0x80)
				i++;
			if (i == len)
				break;
			st = lead(s[i++]);
			if (st == UTF8_REJECT)
				goto bad;
			continue;
		}
		c = s[i++];
		if (c < ((st >> 8) & 0xffu) || c > (st & 0xffu))
			goto bad;
		st = (st >> 16) == 1 ? UTF8_ACCEPT : mk((st >> 16) - 1, 0x80, 0xbf);
	}
	*state = st;
	return 0;
bad:
	*state = UTF8_REJECT;
	return WS_E_UTF8;
}

bool utf8_valid(const uint8_t *s, size_t len)
{
	uint32_t st = UTF8_ACCEPT;
	return utf8_feed(&st, s, len) == 0 && utf8_complete(st);
}
