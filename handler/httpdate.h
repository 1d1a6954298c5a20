/* httpdate.h - HTTP dates (RFC 7231 7.1.1.1) for Last-Modified / If-Modified-Since.
 * Pure: no clock, no time zone, no locale; plain calendar arithmetic (proleptic
 * Gregorian, UTC). */
#ifndef WSINETD_HTTPDATE_H
#define WSINETD_HTTPDATE_H

#include <stddef.h>
#include <stdint.h>

/* IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT": 29 characters and a NUL into out.
 * Seconds since the epoch, 0 .. 253402300799 (year 9999); returns WS_E_LIMIT outside
 * that, else 0. */
int httpdate_format(int64_t t, char out[30]);

/* Parse any of the three forms a recipient must accept (RFC 7231 7.1.1.1): IMF-fixdate,
 * obsolete RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT", two-digit year read as 1970-2069)
 * and asctime ("Sun Nov  6 08:49:37 1994"). Surrounding spaces are ignored. Returns 0
 * with *t set, or WS_E_MALFORMED (an invalid date is ignored by the caller, as RFC 7232
 * 3.3 says). */
int httpdate_parse(const char *s, size_t len, int64_t *t);

#endif
