/* addr.h - an --address value as socket addresses, without a resolver (pure).
 * A host name is not turned into addresses here: wsinetd hands it to wsinetd-openssl,
 * which has the system's resolver (ossl.h). */
#ifndef WSINETD_ADDR_H
#define WSINETD_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* NULL, "" or "*": every address (IPv4 and IPv6). */
bool addr_every(const char *a);
/* "[::1]" → "::1" (copied into buf, which must hold it); every address (addr_every) →
 * NULL; anything else as it is. */
const char *addr_host(const char *a, char *buf, size_t len);

/* NULL, "" or "*" (every address: 0.0.0.0 and ::), a numeric IPv4 or IPv6 address, or
 * one in brackets ("[::1]"): fills out[] with the socket addresses for port and returns
 * how many (1 or 2). 0 for anything else: a host name, a scoped address (fe80::1%lo),
 * a short form (127.1), an overlong value. */
size_t addr_numeric(const char *a, uint16_t port, struct sockaddr_storage out[2],
		    socklen_t outlen[2]);

#endif
