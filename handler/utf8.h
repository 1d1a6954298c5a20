/* utf8.h - incremental UTF-8 validator (RFC 3629) whose state carries across calls, so a
 * text message split over frames and reads is checked as it arrives and fails at the
 * first byte that can no longer be valid (RFC 6455 8.1 "fail fast"). Pure. Rejects
 * overlong forms, surrogates (U+D800..DFFF) and code points above U+10FFFF. */
#ifndef WSINETD_UTF8_H
#define WSINETD_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UTF8_ACCEPT 0u

/* Feed bytes; *state starts at UTF8_ACCEPT. Returns 0 while the input so far is a prefix
 * of valid UTF-8, WS_E_UTF8 as soon as it is not (state is then undefined). */
int utf8_feed(uint32_t *state, const uint8_t *s, size_t len);

/* True when the input so far ends on a code point boundary. */
static inline bool utf8_complete(uint32_t state) { return state == UTF8_ACCEPT; }

/* Whole-buffer check: true if s[0..len) is complete valid UTF-8. */
bool utf8_valid(const uint8_t *s, size_t len);

#endif
