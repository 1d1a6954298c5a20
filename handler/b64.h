/* b64.h - base64 (RFC 4648 section 4) and base64url (section 5), strict. Pure. */
#ifndef WSINETD_B64_H
#define WSINETD_B64_H

#include <stddef.h>
#include <stdint.h>

/* Output length of encoding n bytes with padding (without NUL). */
#define B64_ENC_LEN(n) ((((n) + 2u) / 3u) * 4u)

/* Encode with padding into out (room for B64_ENC_LEN(n) + 1 bytes); NUL-terminates;
 * returns the length written (without NUL). */
size_t b64_encode(const uint8_t *in, size_t n, char *out);

/* Decode standard base64 with mandatory padding; rejects whitespace, bad characters,
 * bad padding and non-zero trailing bits. Returns decoded length or WS_E_MALFORMED;
 * WS_E_LIMIT when out_cap is too small. */
long b64_decode(const char *in, size_t n, uint8_t *out, size_t out_cap);

/* Decode base64url without padding (as in JWS); same strictness. */
long b64url_decode(const char *in, size_t n, uint8_t *out, size_t out_cap);

#endif
