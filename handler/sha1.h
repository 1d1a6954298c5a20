/* sha1.h - SHA-1 (FIPS 180-4), for the RFC 6455 Sec-WebSocket-Accept value only. Pure.
 *
 * Why not OpenSSL's: the Accept hash is the only cryptography every connection needs,
 * and under inetd / Accept=yes wsinetd is exec'd per connection. Linking libcrypto for
 * it costs each exec about 0.8 ms here (mapping and relocating libcrypto, its cpuid
 * probe, provider start-up: see the README's Performance section), several times the
 * cost of the hash. SHA-1 is not used for anything that needs collision resistance
 * here (RFC 6455 10.8: the Accept value only proves the server read the handshake).
 * OpenSSL stays in use, loaded only when TLS or JWT is configured (ossl.h). */
#ifndef WSINETD_SHA1_H
#define WSINETD_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_LEN 20u

struct sha1 {
	uint32_t h[5];
	uint64_t total;      /* bytes hashed so far */
	uint8_t block[64];   /* a partial block; total % 64 bytes of it are used */
};

void sha1_init(struct sha1 *s);
void sha1_update(struct sha1 *s, const void *data, size_t len);
/* Writes the digest and wipes the state (it holds message bytes). */
void sha1_final(struct sha1 *s, uint8_t out[SHA1_LEN]);

#endif
