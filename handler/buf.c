#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

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
	free(b->d);
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
	/* A secret buffer's old block is wiped before it is freed: not realloc. */
	uint8_t *nd = b->secret ? malloc(ncap) : realloc(b->d, ncap);
	if (nd == NULL) {
		if (err)
			*err = WS_E_NOMEM;
		return NULL;
	}
	if (b->secret && b->d != NULL) {
		memcpy(nd, b->d, b->len); /* the bytes in use are [0, len) here */
		explicit_bzero(b->d, b->hw);
		free(b->d);
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
