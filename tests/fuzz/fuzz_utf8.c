/* fuzz_utf8 - the incremental UTF-8 validator (handler/utf8.c) against a reference
 * decoder written here from RFC 3629 / Unicode Table 3-7 (well-formed byte sequences).
 *
 * Input: bytes 0-3 seed the split sizes, the rest is the text.
 * Properties:
 *   - utf8_valid(s) == reference(s) is valid;
 *   - fed one byte at a time, utf8_feed fails exactly at the first byte the reference
 *     finds impossible (fail fast, RFC 6455 8.1), and utf8_complete() is true exactly at
 *     the code point boundaries;
 *   - fed in random splits, the chunk that fails is the one holding that byte, and the
 *     final state agrees with the reference. */
#include <stdbool.h>
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "utf8.h"

/* Index of the first byte at which s can no longer be a prefix of valid UTF-8, or n if
 * there is none; *complete says whether s[0..n) ends on a boundary (when valid). */
static size_t ref_first_bad(const uint8_t *s, size_t n, bool *complete)
{
	size_t i = 0;
	*complete = true;
	while (i < n) {
		uint8_t c = s[i];
		size_t need;
		uint8_t lo = 0x80, hi = 0xBF; /* range of the second byte */
		if (c <= 0x7F) {
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			need = 1;
		} else if (c == 0xE0) {
			need = 2, lo = 0xA0;
		} else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
			need = 2;
		} else if (c == 0xED) {
			need = 2, hi = 0x9F; /* no surrogates */
		} else if (c == 0xF0) {
			need = 3, lo = 0x90;
		} else if (c >= 0xF1 && c <= 0xF3) {
			need = 3;
		} else if (c == 0xF4) {
			need = 3, hi = 0x8F; /* <= U+10FFFF */
		} else {
			return i; /* 80..C1, F5..FF never start a sequence */
		}
		for (size_t k = 1; k <= need; k++) {
			if (i + k >= n) {
				*complete = false;
				return n;
			}
			uint8_t b = s[i + k];
			uint8_t l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
			if (b < l || b > h)
				return i + k;
		}
		i += need + 1;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	struct rng g;
	rng_seed(&g, (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
			     (uint32_t)data[3] << 24);
	data += 4;
	size -= 4;
	uint8_t *s = fuzz_dup(data, size);

	bool complete;
	size_t bad = ref_first_bad(s, size, &complete);
	bool valid = bad == size && complete;
	CHECK(utf8_valid(s, size) == valid, "utf8_valid says %d, reference %d (first bad %zu)",
	      !valid, valid, bad);

	/* Byte by byte. */
	uint32_t st = UTF8_ACCEPT;
	for (size_t i = 0; i < size; i++) {
		int r = utf8_feed(&st, s + i, 1);
		if (i < bad) {
			CHECK(r == 0, "failed at byte %zu, reference fails at %zu", i, bad);
			bool c2;
			size_t b2 = ref_first_bad(s, i + 1, &c2);
			CHECK(b2 == i + 1, "reference prefix");
			CHECK(utf8_complete(st) == c2, "boundary after byte %zu: %d vs %d", i,
			      utf8_complete(st), c2);
		} else {
			CHECK(r == WS_E_UTF8, "byte %zu accepted, reference fails there", i);
			break;
		}
	}
	if (bad == size)
		CHECK(utf8_complete(st) == complete, "final state");

	/* Random splits. */
	st = UTF8_ACCEPT;
	size_t pos = 0;
	while (pos < size) {
		size_t chunk = 1 + rng_next(&g) % 9;
		if (chunk > size - pos)
			chunk = size - pos;
		int r = utf8_feed(&st, s + pos, chunk);
		if (bad >= pos && bad < pos + chunk) {
			CHECK(r == WS_E_UTF8, "chunk [%zu,%zu) holds the bad byte %zu: %d", pos,
			      pos + chunk, bad, r);
			break;
		}
		CHECK(r == 0, "chunk [%zu,%zu) failed, reference fails at %zu", pos, pos + chunk, bad);
		pos += chunk;
	}
	if (bad == size)
		CHECK(utf8_complete(st) == complete, "final state after splits");
	free(s);
	return 0;
}
