/* wipe.h - freeing memory that held request data (cookies, tokens, query strings):
 * wiped first, so that nothing later in the same process (a handler serving its next
 * connection, --handler-reuse) can read it back from the heap. */
#ifndef WSINETD_WIPE_H
#define WSINETD_WIPE_H

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

/* free(s) after wiping the string; s may be NULL. */
static inline void free_wiped_str(char *s)
{
	if (s != NULL)
		free_wiped(s, strlen(s));
}

#endif
