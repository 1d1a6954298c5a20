/* fuzz.h - shared bits of the libFuzzer harnesses in tests/fuzz/ (each fuzz_<target>.c
 * links the real handler/ modules; nothing here replaces any of their code).
 *
 * CHECK() is the oracle: a property the harness expects of the module. A failed check
 * prints what went wrong and aborts, which libFuzzer reports as a crash and saves. */
#ifndef WSINETD_FUZZ_H
#define WSINETD_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, ...)                                                             \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "CHECK failed %s:%d: %s: ", __FILE__, __LINE__, \
				#cond);                                              \
			fprintf(stderr, __VA_ARGS__);                                \
			fputc('\n', stderr);                                         \
			abort();                                                     \
		}                                                                    \
	} while (0)

/* A small deterministic generator (xorshift32) for split points derived from the
 * input, so every crash reproduces from the saved input alone. */
struct rng {
	uint32_t s;
};

static inline void rng_seed(struct rng *r, uint32_t seed) { r->s = seed ? seed : 0x9e3779b9u; }

static inline uint32_t rng_next(struct rng *r)
{
	uint32_t x = r->s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return r->s = x;
}

/* Consume up to n bytes of the input as a little-endian integer. */
static inline uint32_t take_u32(const uint8_t **data, size_t *size, size_t n)
{
	uint32_t v = 0;
	for (size_t i = 0; i < n && *size > 0; i++) {
		v |= (uint32_t)**data << (8 * i);
		(*data)++;
		(*size)--;
	}
	return v;
}

/* The input again in a heap block of exactly its size (one byte for an empty input), so
 * ASan reports any read past its end. Out of memory aborts: a harness has no better
 * answer. */
static inline void *fuzz_dup(const uint8_t *data, size_t size)
{
	void *p = malloc(size ? size : 1);
	if (p == NULL)
		abort();
	if (size)
		memcpy(p, data, size);
	return p;
}

/* The input's first byte, which selects the harness's mode, taken off the input (the
 * caller has checked size >= 1). */
static inline uint8_t take_flags(const uint8_t **data, size_t *size)
{
	return (uint8_t)take_u32(data, size, 1);
}

/* RFC 9110 tchar, the harnesses' own (an oracle independent of handler/hdr.c). */
static inline bool fuzz_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
