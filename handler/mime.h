/* mime.h - Content-Type by file name extension, for --staticdir. Pure.
 * The table is small and fixed (the types a web page and its assets need); the match is
 * on the text after the last '.' of the last path segment, case-insensitive. Text types
 * carry "; charset=utf-8". Anything else is application/octet-stream. */
#ifndef WSINETD_MIME_H
#define WSINETD_MIME_H

#include <stddef.h>

/* The Content-Type for `name` (a file name or path, len bytes). Static storage. */
const char *mime_type(const char *name, size_t len);

#endif
