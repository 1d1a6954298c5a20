/* tls.h - TLS termination with OpenSSL behind struct transport (conn.h).
 *
 * One SSL_CTX per process, built once at start-up by tls_init() from --sslcert/--sslkey
 * (PEM), before any socket I/O; the listener builds it before it forks, so every
 * handler shares it (and the session-ticket keys OpenSSL made for it). Per connection,
 * tls_accept() runs the handshake under a deadline and switches the transport's ops to
 * SSL_read/SSL_write/SSL_shutdown; everything after that (request, answers, relay) goes
 * through t->ops unchanged. A handler serves one connection, so the connection's SSL
 * object lives here, not in the transport.
 *
 * Policy: TLS 1.2 minimum (a stricter MinProtocol from openssl.cnf is kept), ECDHE with
 * AES-GCM or ChaCha20-Poly1305 for TLS 1.2 (OpenSSL's TLS 1.3 suites), no renegotiation,
 * no compression, ALPN http/1.1 (a client that offers ALPN without it is refused, RFC
 * 7301), SNI read. --sslca=FILE asks for a client certificate and verifies it against
 * FILE: --ssl-verify=require (default) refuses a client without one; optional lets it in
 * (SSL_CLIENT_VERIFY=NONE). A certificate that fails verification is refused under
 * require, and under optional reaches the program only as SSL_CLIENT_VERIFY=FAILED
 * with no DN.
 *
 * Resumption across processes: --ssl-ticket-keys=FILE holds one or more 80-byte keys
 * (16 name, 32 HMAC-SHA256, 32 AES-256-CBC; `openssl rand 80 > FILE`); the first one
 * encrypts new tickets, all of them decrypt (a ticket under an older key is accepted and
 * renewed). Without the file, the listener's forks share OpenSSL's random keys; a
 * handler started per connection (inetd, fd style) then issues no tickets at all.
 *
 * File names without a '/' are looked up in $CREDENTIALS_DIRECTORY when it is set
 * (systemd LoadCredential=). No key material, ticket or session secret is ever logged. */
#ifndef WSINETD_TLS_H
#define WSINETD_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "conn.h"

/* Build the process's SSL_CTX from cfg (cfg->ssl must be set). On failure logs one
 * precise line at LOGL_FATAL and returns -1 (exit status 2). An expired or not yet
 * valid certificate is logged as an error but served. */
int tls_init(const struct config *cfg);

enum tls_accept_result {
	TLS_ACCEPTED = 0,   /* t now speaks TLS */
	TLS_PLAIN_HTTP,     /* the client sent plain HTTP: t is still plain, answer 400 on it
	                       and call tls_linger() */
	TLS_FAILED,         /* handshake refused or broken (logged): exit 1 */
	TLS_TIMEOUT,        /* no handshake before the deadline (logged): exit 4 */
	TLS_GONE,           /* the client left before sending anything (logged): exit 1 */
};

/* Run the server handshake on t (plain fds from transport_fd_init) until deadline_ms.
 * peer is the "ADDR:PORT" text for log lines. On TLS_ACCEPTED t->ops are TLS's. */
enum tls_accept_result tls_accept(struct transport *t, int64_t deadline_ms, const char *peer);

/* After the plain-text 400 for TLS_PLAIN_HTTP: read and drop what the client still
 * sends, for at most a second, so that closing does not reset the connection before the
 * client has read the answer. */
void tls_linger(struct transport *t);

/* The connection's TLS facts for the program, as "NAME=VALUE" strings valid until the
 * process ends: REQUEST_SCHEME (wss, or ws without TLS), SSL_PROTOCOL, SSL_CIPHER,
 * SSL_SESSION_RESUMED, SSL_TLS_SNI, SSL_CLIENT_VERIFY (SUCCESS, FAILED, NONE),
 * SSL_CLIENT_S_DN and SSL_CLIENT_I_DN (RFC 2253, verified certificates only). Returns
 * how many were stored in out[0..max). */
#define TLS_ENV_MAX 8u
size_t tls_env(const char **out, size_t max);

/* The SNI host name the client asked for (letters, digits, '-', '.'), or NULL. */
const char *tls_sni(void);

#endif
