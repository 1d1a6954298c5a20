/* test_buf.c - handler/buf.c: growth, the hard maximum, consume/compaction,
 * reserve/commit, truncate, freeing, the blocks kept for later buffers. */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "limits.h"
#include "tap.h"

/* ASan aborts on an impossible allocation instead of returning NULL */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7u);
}

static int same(const struct buf *b, const uint8_t *want, size_t n)
{
	return buf_used(b) == n && (n == 0 || memcmp(buf_data(b), want, n) == 0);
}

static void test_free(void)
{
	struct buf z;
	memset(&z, 0, sizeof(z));
	buf_free(&z);
	buf_free(&z);
	ok(z.d == NULL && buf_used(&z) == 0, "free of a zeroed buffer, twice, with and without wipe");
	buf_free(NULL);
	ok(1, "free of NULL");

	struct buf b;
	buf_init(&b, 100);
	ok(b.d == NULL && buf_used(&b) == 0 && buf_room(&b) == 100, "init allocates nothing");
	buf_free(&b);
	ok(b.d == NULL, "free of an unused buffer");

	buf_init(&b, 100);
	is_int(buf_append(&b, "secret", 6), 0, "append before a wiping free");
	buf_free(&b);
	ok(b.d == NULL && b.cap == 0 && buf_used(&b) == 0, "wiping free resets the buffer");
	is_int(buf_append(&b, "again", 5), 0, "a freed buffer can be used again");
	ok(same(&b, (const uint8_t *)"again", 5), "... with the right bytes");
	buf_free(&b);
}

static void test_growth(void)
{
	static uint8_t src[100000];
	fill(src, sizeof(src), 1);

	struct buf b;
	buf_init(&b, sizeof(src));
	int good = 1;
	size_t total = 0;
	/* chunks of odd sizes across several doublings */
	for (size_t k = 1; total < sizeof(src); k = k * 3 + 1) {
		size_t n = k < sizeof(src) - total ? k : sizeof(src) - total;
		if (buf_append(&b, src + total, n) != 0)
			good = 0;
		total += n;
		if (b.cap < buf_used(&b) || b.cap > b.max)
			good = 0;
	}
	ok(good, "growth in odd chunks; cap stays within [used, max]");
	ok(same(&b, src, sizeof(src)), "grown buffer holds the bytes in order");
	buf_free(&b);

	buf_init(&b, 1u << 20);
	is_int(buf_append(&b, src, 3 * 4096 + 1), 0, "one append much larger than the first block");
	ok(b.cap >= 3 * 4096 + 1 && same(&b, src, 3 * 4096 + 1), "... grows in one go");
	buf_free(&b);

	/* a max below the first block: the allocation is clamped to max */
	buf_init(&b, 100);
	is_int(buf_append(&b, src, 1), 0, "small max: first append");
	ok(b.cap == 100, "small max: allocation clamped to max (cap %zu)", b.cap);
	buf_free(&b);

	/* a max between doublings: the last growth stops at max */
	buf_init(&b, 10000);
	is_int(buf_append(&b, src, 10000), 0, "append of exactly max from empty");
	ok(b.cap == 10000 && same(&b, src, 10000), "cap clamped to max 10000 (cap %zu)", b.cap);
	buf_free(&b);
}

static void test_max(void)
{
	uint8_t src[5001];
	fill(src, sizeof(src), 3);
	struct buf b;

	buf_init(&b, 5000);
	is_int(buf_append(&b, src, 4999), 0, "append up to max - 1");
	is_int(buf_append(&b, src + 4999, 1), 0, "append the last byte: exactly max");
	is_int(buf_room(&b), 0, "room 0 at max");
	is_int(buf_append(&b, src, 1), WS_E_LIMIT, "one byte more: WS_E_LIMIT");
	ok(same(&b, src, 5000), "... buffer unchanged");
	is_int(buf_append(&b, src, 0), 0, "append of 0 bytes to a full buffer succeeds");
	ok(same(&b, src, 5000), "... and changes nothing");
	buf_free(&b);

	buf_init(&b, 5000);
	is_int(buf_append(&b, src, 5001), WS_E_LIMIT, "single append of max + 1 into empty: WS_E_LIMIT");
	ok(buf_used(&b) == 0, "... nothing appended");
	is_int(buf_append(&b, src, SIZE_MAX), WS_E_LIMIT, "append of SIZE_MAX bytes: WS_E_LIMIT, no wrap");
	buf_free(&b);

	buf_init(&b, 5000);
	is_int(buf_append(&b, src, 100), 0, "partly filled");
	int err = 0;
	ok(buf_reserve(&b, SIZE_MAX - 50, &err) == NULL && err == WS_E_LIMIT,
	   "reserve near SIZE_MAX on a partly filled buffer: WS_E_LIMIT (n > max - used)");
	ok(buf_reserve(&b, 4901, NULL) == NULL, "reserve past max with err NULL: NULL");
	ok(same(&b, src, 100), "... buffer unchanged");
	buf_free(&b);

	buf_init(&b, 0);
	err = 0;
	ok(buf_reserve(&b, 1, &err) == NULL && err == WS_E_LIMIT, "max 0: reserve 1 refused");
	is_int(buf_append(&b, src, 1), WS_E_LIMIT, "max 0: append 1 refused");
	is_int(buf_append(&b, src, 0), 0, "max 0: append 0 fine");
	err = 0;
	ok(buf_reserve(&b, 0, &err) != NULL && err == 0, "max 0: reserve 0 gives a pointer");
	buf_free(&b);
}

static void test_consume(void)
{
	uint8_t src[8192];
	fill(src, sizeof(src), 5);
	struct buf b;

	buf_init(&b, 8192);
	is_int(buf_append(&b, src, 8192), 0, "fill to max 8192");
	size_t cap = b.cap;
	buf_consume(&b, 8000);
	ok(same(&b, src + 8000, 192), "consume 8000: the last 192 bytes remain");
	is_int(buf_room(&b), 8000, "room counts consumed space");
	is_int(buf_append(&b, src, 8000), 0, "append 8000 into consumed space");
	ok(b.cap == cap && b.off == 0, "compacted, not grown (cap %zu, off %zu)", b.cap, b.off);
	uint8_t want[8192];
	memcpy(want, src + 8000, 192);
	memcpy(want + 192, src, 8000);
	ok(same(&b, want, 8192), "bytes in order after compaction");

	buf_consume(&b, 8192);
	ok(buf_used(&b) == 0 && b.off == 0 && b.len == 0, "consuming everything resets off and len");
	buf_consume(&b, 0);
	ok(buf_used(&b) == 0, "consume 0 of an empty buffer");

	/* compaction while the reservation still fits behind: no move */
	is_int(buf_append(&b, src, 100), 0, "append 100");
	buf_consume(&b, 10);
	size_t off = b.off;
	is_int(buf_append(&b, src, 10), 0, "append fitting at the tail");
	ok(b.off == off, "no compaction when the tail has room");
	ok(buf_used(&b) == 100 && memcmp(buf_data(&b), src + 10, 90) == 0 &&
		   memcmp(buf_data(&b) + 90, src, 10) == 0,
	   "contents after consume + append");
	buf_free(&b);

	/* many small consume/append cycles never grow past max */
	buf_init(&b, 300);
	int good = 1;
	uint8_t ring[300];
	size_t head = 0;
	for (int i = 0; i < 10000 && good; i++) {
		size_t n = (size_t)(i * 37 % 150);
		if (n > buf_room(&b))
			n = buf_room(&b);
		uint8_t tmp[150];
		fill(tmp, n, (unsigned)i);
		if (buf_append(&b, tmp, n) != 0)
			good = 0;
		memcpy(ring + buf_used(&b) - n, tmp, n);
		size_t c = (size_t)(i * 53 % 160);
		if (c > buf_used(&b))
			c = buf_used(&b);
		buf_consume(&b, c);
		memmove(ring, ring + c, buf_used(&b));
		if (b.cap > 300 || (buf_used(&b) && memcmp(buf_data(&b), ring, buf_used(&b)) != 0))
			good = 0;
		head += c;
	}
	ok(good, "10000 append/consume cycles: contents right, cap <= max (%zu consumed)", head);
	buf_free(&b);
}

static void test_reserve(void)
{
	struct buf b;
	int err = 0;

	buf_init(&b, 1000);
	uint8_t *p = buf_reserve(&b, 0, &err);
	ok(p != NULL && err == 0, "reserve 0 on a fresh buffer gives a pointer, not failure");
	p = buf_reserve(&b, 100, &err);
	ok(p != NULL, "reserve 100");
	ok(buf_used(&b) == 0, "reserve does not change used");
	memcpy(p, "hello world", 11);
	buf_commit(&b, 5);
	ok(same(&b, (const uint8_t *)"hello", 5), "commit 5 of the reserved bytes");
	p = buf_reserve(&b, 995, &err);
	ok(p != NULL && p == buf_mdata(&b) + 5, "reserve up to max: right after the live bytes");
	memset(p, 'x', 995);
	buf_commit(&b, 995);
	ok(buf_used(&b) == 1000 && buf_data(&b)[999] == 'x', "commit up to max");
	err = 0;
	ok(buf_reserve(&b, 1, &err) == NULL && err == WS_E_LIMIT, "reserve 1 past max: WS_E_LIMIT");
	err = 0;
	ok(buf_reserve(&b, 0, &err) != NULL && err == 0, "reserve 0 on a full buffer: fine");
	buf_free(&b);

	/* reserve after consume moves the live bytes and returns the new tail */
	buf_init(&b, 4096);
	is_int(buf_append(&b, "abcdefgh", 8), 0, "append 8");
	p = buf_reserve(&b, 4096 - 8, &err);
	ok(p != NULL, "reserve the rest");
	buf_consume(&b, 4);
	p = buf_reserve(&b, 4092, &err);
	ok(p != NULL && b.off == 0 && memcmp(buf_data(&b), "efgh", 4) == 0 && p == b.d + 4,
	   "reserve needing consumed space compacts first");
	buf_free(&b);

#ifndef UNDER_ASAN
	/* out of memory is told apart from the limit */
	buf_init(&b, SIZE_MAX);
	err = 0;
	ok(buf_reserve(&b, SIZE_MAX / 2 + 1, &err) == NULL && err == WS_E_NOMEM,
	   "impossible allocation: WS_E_NOMEM");
	ok(buf_used(&b) == 0, "... buffer unchanged");
	buf_free(&b);
#endif
}

/* A secret buffer's buf_free wipes [0, hw): hw must cover every byte ever written, through
 * consumption, compaction and truncation, and no more than that. */
static void test_high_water(void)
{
	struct buf b;
	uint8_t x[3100];
	fill(x, sizeof(x), 7);
	buf_init(&b, 8192);
	is_int(b.hw, 0, "high-water mark starts at 0");
	buf_append(&b, x, 1000);
	is_int(b.hw, 1000, "after 1000 bytes: 1000 (not the 4096 reserved)");
	buf_consume(&b, 900);
	buf_append(&b, x, 3100); /* 3096 free at the tail: compacts, 100 live bytes to 0 */
	ok(b.off == 0 && buf_used(&b) == 3200 && b.cap == 4096, "the append compacted");
	is_int(b.hw, 3200, "after consume and a compacting append: 3200");
	buf_append(&b, x, 500); /* no room without growing: 8192 */
	is_int(b.hw, 3700, "after growing: 3700");
	buf_truncate(&b, 10);
	is_int(b.hw, 3700, "truncation does not lower it");
	buf_free(&b);
	is_int(b.hw, 0, "free resets it");
}

/* A secret buffer grows by moving to a new block (the old one wiped, not observable
 * here): the bytes survive, the high-water mark is what the new block holds. */
static void test_secret(void)
{
	struct buf b;
	uint8_t x[3000];
	fill(x, sizeof(x), 3);
	buf_init_secret(&b, 1 << 16);
	ok(b.secret, "buf_init_secret marks it");
	buf_append(&b, x, 3000);
	buf_consume(&b, 1000);
	buf_append(&b, x, 3000); /* 2000 live + 3000: past 4096, grows */
	ok(b.cap > 4096 && buf_used(&b) == 5000, "it grew: 5000 live bytes");
	ok(memcmp(buf_data(&b), x + 1000, 2000) == 0 && memcmp(buf_data(&b) + 2000, x, 3000) == 0,
	   "the bytes survive the move");
	is_int(b.hw, 5000, "high-water mark: the bytes the new block holds");
	buf_free(&b);
	ok(b.d == NULL && b.secret, "free: storage gone, still secret for its next use");
}

/* Bytes written into reserved space and not committed: wiped in a secret buffer (its
 * free wipes only [0, hw)), left alone in another. */
static void test_drop(void)
{
	for (int secret = 0; secret <= 1; secret++) {
		struct buf b;
		if (secret)
			buf_init_secret(&b, 1 << 16);
		else
			buf_init(&b, 1 << 16);
		buf_append(&b, "kept", 4);
		uint8_t *p = buf_reserve(&b, 100, NULL);
		memset(p, 'x', 100);
		buf_drop(&b, 100);
		bool zero = true, untouched = true;
		for (int i = 0; i < 100; i++) {
			zero &= p[i] == 0;
			untouched &= p[i] == 'x';
		}
		ok(secret ? zero : untouched, "%s buffer: the dropped bytes are %s", secret ? "a secret" : "another",
		   secret ? "wiped" : "left as they were");
		ok(buf_used(&b) == 4 && memcmp(buf_data(&b), "kept", 4) == 0 && b.hw == 4,
		   "... the committed bytes and the high-water mark unchanged");
		buf_free(&b);
	}
}

static void test_truncate(void)
{
	struct buf b;
	buf_init(&b, 100);
	is_int(buf_append(&b, "0123456789", 10), 0, "append 10");
	buf_consume(&b, 2);
	buf_truncate(&b, 5);
	ok(same(&b, (const uint8_t *)"23456", 5), "truncate to 5 after consuming 2");
	buf_truncate(&b, 5);
	ok(same(&b, (const uint8_t *)"23456", 5), "truncate to the current length: no change");
	is_int(buf_append(&b, "ab", 2), 0, "append after truncate");
	ok(same(&b, (const uint8_t *)"23456ab", 7), "appended right after the kept bytes");
	buf_truncate(&b, 0);
	ok(buf_used(&b) == 0 && b.off == 0 && b.len == 0, "truncate to 0 resets off and len");
	is_int(buf_room(&b), 100, "full room again");
	buf_free(&b);
}

/* A released block is kept for the next buffer of the same size (a reused handler's
 * next connection): wiped first when it held secrets, never past WS_HEAP_KEEP. */
static void test_keep(void)
{
	static uint8_t x[600 * 1024];
	fill(x, sizeof(x), 5);
	struct buf a, b;
	buf_kept_free(); /* whatever the tests above left */
	ok(buf_kept_bytes() == 0, "buf_kept_free: nothing kept");

	buf_init(&a, 1 << 20);
	buf_append(&a, x, 5000); /* 4096, then 8192 */
	uint8_t *block = a.d;
	size_t before = buf_kept_bytes();
	buf_free(&a);
	ok(a.d == NULL && buf_kept_bytes() == before + 8192, "a released 8 KiB block is kept");
	buf_init(&b, 1 << 20);
	buf_append(&b, x, 100);
	ok(b.d != block && b.cap == 4096, "a buffer of another size does not take it");
	size_t then = buf_kept_bytes();
	buf_append(&b, x + 100, 4900); /* grows to 8192: the kept block */
	ok(b.d == block && b.cap == 8192 && same(&b, x, 5000),
	   "the next buffer growing to 8 KiB takes it, with its bytes moved over");
	ok(buf_kept_bytes() == then - 8192 + 4096, "... and its 4 KiB block is kept in turn");
	buf_free(&b);

	/* a secret buffer's block is wiped before it is kept */
	buf_init_secret(&a, 1 << 20);
	buf_append(&a, x, 8000);
	block = a.d;
	buf_free(&a);
	buf_init(&b, 1 << 20);
	uint8_t *p = buf_reserve(&b, 8000, NULL); /* from empty: an 8192 block at once */
	bool zero = true;
	for (size_t i = 0; p != NULL && i < 8000; i++)
		zero &= p[i] == 0;
	ok(p == block && zero, "a secret buffer's kept block comes back wiped");
	buf_free(&b);

	/* the bound: blocks of 512 KiB, at most WS_HEAP_KEEP bytes kept in all */
	struct buf big[3];
	for (int i = 0; i < 3; i++) {
		buf_init(&big[i], sizeof(x));
		buf_append(&big[i], x, 300 * 1024);
		ok(big[i].cap == 512 * 1024, "big buffer %d: 512 KiB", i);
	}
	for (int i = 0; i < 3; i++)
		buf_free(&big[i]);
	ok(buf_kept_bytes() <= WS_HEAP_KEEP, "kept after three 512 KiB blocks: %zu <= %u",
	   buf_kept_bytes(), WS_HEAP_KEEP);
	for (int i = 0; i < 3; i++) {
		buf_init(&big[i], sizeof(x));
		buf_append(&big[i], x, 300 * 1024);
		ok(same(&big[i], x, 300 * 1024), "big buffer %d again: its bytes", i);
	}
	for (int i = 0; i < 3; i++)
		buf_free(&big[i]);

	/* the bound on blocks: 17 released, of 17 sizes (a max below 4096 is the block's
	 * size), keep the 16 released last; a block larger than WS_HEAP_KEEP is not kept */
	buf_kept_free();
	size_t last16 = 0;
	for (size_t i = 0; i <= WS_BUF_KEEP_BLOCKS; i++) {
		buf_init(&a, 100 + i);
		buf_append(&a, x, 1);
		buf_free(&a);
		if (i > 0)
			last16 += 100 + i;
	}
	ok(buf_kept_bytes() == last16, "17 blocks released: the 16 last kept (%zu bytes, want %zu)",
	   buf_kept_bytes(), last16);
	buf_init(&a, 4u << 20);
	buf_append(&a, x, sizeof(x));
	buf_append(&a, x, sizeof(x)); /* 2 MiB block */
	ok(a.cap > WS_HEAP_KEEP, "a block of %zu bytes", a.cap);
	buf_free(&a);
	ok(buf_kept_bytes() == last16, "... released and not kept, nothing else dropped");

	/* off (no later connection will take them): released blocks are freed, the ones
	 * already kept stay available */
	buf_kept_free();
	buf_init(&a, 1 << 20);
	buf_append(&a, x, 100);
	buf_free(&a);
	ok(buf_kept_bytes() == 4096, "kept: one 4 KiB block");
	buf_keep_released(false);
	buf_init(&a, 1 << 20);
	buf_append(&a, x, 100);   /* takes the kept 4096 */
	buf_append(&a, x, 4900);  /* grows to 8192, releasing it */
	ok(buf_kept_bytes() == 0, "off: the 4 KiB block is taken and, outgrown, not kept again");
	buf_free(&a);
	ok(buf_kept_bytes() == 0, "off: the released 8 KiB block is freed");
	buf_keep_released(true);
}

int main(void)
{
	test_free();
	test_growth();
	test_max();
	test_consume();
	test_reserve();
	test_truncate();
	test_high_water();
	test_secret();
	test_drop();
	test_keep();
	return done_testing();
}
