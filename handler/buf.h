/* buf.h - a byte queue with a hard maximum (after OpenSSH's sshbuf).
 *
 * Bytes are appended at the tail and consumed from the head. The storage grows on
 * demand up to `max` and never past it: an append that would exceed it fails with
 * WS_E_LIMIT and leaves the buffer unchanged. Consumed space is reclaimed by moving
 * the live bytes to the front when room is needed. The creator frees with buf_free(). */
#ifndef WSINETD_BUF_H
#define WSINETD_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *d;
	size_t off;  /* first live byte */
	size_t len;  /* one past the last live byte */
	size_t cap;  /* allocated bytes */
	size_t max;  /* hard cap on live bytes */
	size_t hw;   /* high-water mark: bytes [0, hw) of d have ever been written */
	bool secret; /* buf_init_secret: it holds request data (cookies, tokens) */
};

/* Empty buffer that may grow to `max` live bytes; allocates lazily. */
void buf_init(struct buf *b, size_t max);
/* The same, for a buffer that holds secrets: growing it wipes the block it leaves (no
 * realloc), and buf_free() always wipes it. */
void buf_init_secret(struct buf *b, size_t max);
/* Releases storage (a secret buffer's wiped first: the bytes ever written, not the whole
 * capacity, which a request buffer reserves generously and mostly never touches);
 * accepts an initialised or zeroed buffer. */
void buf_free(struct buf *b);
/* Whether blocks released from now on are kept for later buffers of the same sizes
 * (buf.c: at most WS_BUF_KEEP_BLOCKS blocks, WS_HEAP_KEEP bytes): on by default; off
 * when no later connection will use them (those already kept stay available). */
void buf_keep_released(bool on);
/* Frees every kept block. */
void buf_kept_free(void);
/* Bytes of released blocks kept. */
size_t buf_kept_bytes(void);

static inline size_t buf_used(const struct buf *b) { return b->len - b->off; }
static inline const uint8_t *buf_data(const struct buf *b) { return b->d + b->off; }
static inline uint8_t *buf_mdata(struct buf *b) { return b->d + b->off; }
/* Room left before the hard cap. */
static inline size_t buf_room(const struct buf *b) { return b->max - buf_used(b); }

/* Make `n` writable bytes available at the tail; returns a pointer to them, or NULL
 * (WS_E_LIMIT past max, or out of memory; *err says which when err != NULL). Growing a
 * secret buffer moves the live bytes to a new block and wipes the old one, so its
 * buf_free() wipe covers every copy; others grow with realloc. */
uint8_t *buf_reserve(struct buf *b, size_t n, int *err);
/* n bytes were written at the space buf_reserve() returned but are not kept (not
 * committed): a secret buffer wipes them, since its wipe covers only what was. */
void buf_drop(struct buf *b, size_t n);

/* Mark `n` bytes written at the tail (after buf_reserve). */
void buf_commit(struct buf *b, size_t n);
/* Append bytes: 0 or negative enum ws_err. */
int buf_append(struct buf *b, const void *data, size_t n);
/* Drop `n` bytes from the head (n <= buf_used). */
void buf_consume(struct buf *b, size_t n);
/* Drop everything after the first `n` live bytes (n <= buf_used). */
void buf_truncate(struct buf *b, size_t n);

#endif
