/* wipe.h - freeing memory that held request data (cookies, tokens, query strings):
 * wiped first, so that nothing later in the same process (a handler serving its next
 * connection, --handler-reuse) can read it back from the heap. */
#ifndef WSINETD_WIPE_H
#define WSINETD_WIPE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* free(p) after wiping its n bytes; p may be NULL. */
static inline void free_wiped(void *p, size_t n)
{
	if (p != NULL) {
		explicit_bzero(p, n);
		free(p);
	}
}

/* For allocators whose free() is not told the size (zlib, jansson): a block that
 * carries its size in a header (16 bytes: malloc's alignment kept) and is wiped whole
 * when freed. */
#define WIPE_HDR 16u

static inline void *wipe_malloc(size_t n)
{
	if (n > SIZE_MAX - WIPE_HDR)
		return NULL;
	unsigned char *p = malloc(n + WIPE_HDR);
	if (p == NULL)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + WIPE_HDR;
}

static inline void wipe_free(void *block)
{
	if (block == NULL)
		return;
	unsigned char *p = (unsigned char *)block - WIPE_HDR;
	size_t n;
	memcpy(&n, p, sizeof(n));
	free_wiped(p, n + WIPE_HDR);
}

/* free(s) after wiping the string; s may be NULL. */
static inline void free_wiped_str(char *s)
{
	if (s != NULL)
		free_wiped(s, strlen(s));
}

#endif
