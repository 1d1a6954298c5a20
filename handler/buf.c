#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "limits.h"

/* Blocks kept for the next buffer of this process: a reused handler's next connection
 * (--handler-reuse) finds its buffers' pages still mapped, with no mmap, munmap or page
 * fault per connection whatever the allocator does (musl's returns freed blocks of these
 * sizes to the kernel at once). Only while a later connection may take them
 * (buf_keep_released); a block is taken again only for the same size, which the growth
 * below repeats from one connection to the next; when there is no room, the blocks
 * released longest ago go first. A secret buffer's block is wiped before it is kept,
 * and under ASan a kept block is poisoned, so a stale pointer into it still fails. At
 * most WS_BUF_KEEP_BLOCKS blocks and WS_HEAP_KEEP bytes in all. */
#if defined(__SANITIZE_ADDRESS__)
#define BUF_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BUF_ASAN 1
#endif
#endif
#ifdef BUF_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

static struct {
	uint8_t *d;
	size_t cap;
	uint64_t seq; /* when it was released */
} kept[WS_BUF_KEEP_BLOCKS];
static size_t kept_bytes;
static uint64_t kept_seq;
static bool keep_released = true;

static void kept_drop(size_t i)
{
	UNPOISON(kept[i].d, kept[i].cap);
	free(kept[i].d);
	kept[i].d = NULL;
	kept_bytes -= kept[i].cap;
}

static void block_release(uint8_t *d, size_t cap)
{
	if (d == NULL)
		return;
	if (!keep_released || cap > WS_HEAP_KEEP) {
		free(d);
		return;
	}
	for (;;) {
		size_t empty = WS_BUF_KEEP_BLOCKS, oldest = WS_BUF_KEEP_BLOCKS;
		for (size_t i = 0; i < WS_BUF_KEEP_BLOCKS; i++) {
			if (kept[i].d == NULL)
				empty = i;
			else if (oldest == WS_BUF_KEEP_BLOCKS || kept[i].seq < kept[oldest].seq)
				oldest = i;
		}
		if (empty < WS_BUF_KEEP_BLOCKS && cap <= WS_HEAP_KEEP - kept_bytes) {
			kept[empty].d = d;
			kept[empty].cap = cap;
			kept[empty].seq = ++kept_seq;
			kept_bytes += cap;
			POISON(d, cap);
			return;
		}
		/* cap <= WS_HEAP_KEEP: dropping every kept block makes room */
		kept_drop(oldest);
	}
}

static uint8_t *block_take(size_t cap)
{
	for (size_t i = 0; i < WS_BUF_KEEP_BLOCKS; i++)
		if (kept[i].d != NULL && kept[i].cap == cap) {
			uint8_t *d = kept[i].d;
			kept[i].d = NULL;
			kept_bytes -= cap;
			UNPOISON(d, cap);
			return d;
		}
	return NULL;
}

void buf_keep_released(bool on)
{
	keep_released = on;
}

void buf_kept_free(void)
{
	for (size_t i = 0; i < WS_BUF_KEEP_BLOCKS; i++)
		if (kept[i].d != NULL)
			kept_drop(i);
}

size_t buf_kept_bytes(void)
{
	return kept_bytes;
}

void buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void buf_init_secret(struct buf *b, size_t max)
{
	buf_init(b, max);
	b->secret = true;
}

void buf_free(struct buf *b)
{
	if (b == NULL)
		return;
	if (b->d != NULL && b->secret)
		explicit_bzero(b->d, b->hw);
	block_release(b->d, b->cap);
	b->d = NULL;
	b->off = b->len = b->cap = b->hw = 0;
}

uint8_t *buf_reserve(struct buf *b, size_t n, int *err)
{
	size_t used = buf_used(b);
	if (n > b->max - used) {
		if (err)
			*err = WS_E_LIMIT;
		return NULL;
	}
	/* d == NULL: nothing allocated yet; even n == 0 needs a real pointer (NULL
	 * means failure to the caller) */
	if (b->d != NULL && n <= b->cap - b->len)
		return b->d + b->len;
	/* Reclaim consumed space first: cheaper than growing. */
	if (b->off > 0) {
		if (used > 0)
			memmove(b->d, b->d + b->off, used);
		b->off = 0;
		b->len = used;
		if (n <= b->cap - b->len)
			return b->d + b->len;
	}
	size_t want = used + n;
	size_t ncap = b->cap ? b->cap : 4096;
	while (ncap < want)
		ncap = ncap > SIZE_MAX / 2 ? want : ncap * 2;
	/* Never allocate beyond the cap by more than the doubling slack allows. */
	if (ncap > b->max && want <= b->max)
		ncap = b->max;
	/* max == 0: one byte, so that an allocation of 0 cannot pass for out of memory */
	if (ncap == 0)
		ncap = 1;
	/* A kept block of this size, else a new one. realloc grows a plain buffer (or makes
	 * its first block); a secret buffer moves, its old block wiped before it is released. */
	uint8_t *nd = block_take(ncap);
	bool moved = nd != NULL || b->secret;
	if (nd == NULL)
		nd = moved ? malloc(ncap) : realloc(b->d, ncap);
	if (nd == NULL) {
		if (err)
			*err = WS_E_NOMEM;
		return NULL;
	}
	if (moved && b->d != NULL) {
		memcpy(nd, b->d, b->len); /* the bytes in use are [0, len) here */
		if (b->secret)
			explicit_bzero(b->d, b->hw);
		block_release(b->d, b->cap);
		b->hw = b->len;
	}
	b->d = nd;
	b->cap = ncap;
	return b->d + b->len;
}

void buf_drop(struct buf *b, size_t n)
{
	if (b->secret && b->d != NULL && n > 0 && n <= b->cap - b->len)
		explicit_bzero(b->d + b->len, n);
}

void buf_commit(struct buf *b, size_t n)
{
	b->len += n;
	if (b->len > b->hw)
		b->hw = b->len;
}

int buf_append(struct buf *b, const void *data, size_t n)
{
	int err = 0;
	if (n == 0)
		return 0;
	uint8_t *p = buf_reserve(b, n, &err);
	if (p == NULL)
		return err;
	memcpy(p, data, n);
	buf_commit(b, n);
	return 0;
}

void buf_consume(struct buf *b, size_t n)
{
	b->off += n;
	if (b->off == b->len)
		b->off = b->len = 0;
}

void buf_truncate(struct buf *b, size_t n)
{
	b->len = b->off + n;
	if (b->off == b->len)
		b->off = b->len = 0;
}
