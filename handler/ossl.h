/* ossl.h - the OpenSSL half of wsinetd (TLS and JWT), a plugin loaded only when used.
 *
 * Under inetd / Accept=yes wsinetd is exec'd once per connection. Linked into the
 * executable, libssl and libcrypto made every exec map, relocate and start OpenSSL
 * (0.8 ms of a 1.4 ms exec here; README, Performance) although most endpoints use
 * neither TLS nor JWT. So tls.c and jwt.c are built into wsinetd-openssl.so, which
 * links OpenSSL, and the executable loads it (ossl_load) only when --ssl or --jwt-key
 * is given: before any connection I/O, and in a listener before the first fork, so a
 * handler never loads it itself.
 *
 * The executable keeps the API of tls.h and jwt.h (ossl.c forwards each call through
 * the table below), so callers do not change. The plugin calls back log_msg(),
 * now_ms() and jansson's json_* (one copy of jansson, the executable's), which the
 * executable exports (Makefile).
 *
 * Where: next to the executable (the build tree: ./wsinetd-openssl.so beside
 * ./wsinetd), then ../lib/wsinetd/ from it (make install: PREFIX/bin/wsinetd and
 * PREFIX/lib/wsinetd/wsinetd-openssl.so). Both paths are relative to the resolved
 * executable, so they are as trusted as the executable itself; no environment
 * variable can redirect them. */
#ifndef WSINETD_OSSL_H
#define WSINETD_OSSL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "conn.h"
#include "jwt.h"
#include "tls.h"

#define OSSL_PLUGIN "wsinetd-openssl.so"
#define OSSL_ENTRY "wsinetd_ossl_api"

struct ossl_api {
	/* Both halves come from one build: the plugin is refused unless these match. */
	char version[32];
	size_t api_size, config_size, transport_size;

	int (*tls_init)(const struct config *cfg);
	enum tls_accept_result (*tls_accept)(struct transport *t, int64_t deadline_ms,
					     const char *peer);
	void (*tls_linger)(struct transport *t);
	size_t (*tls_env)(const char **out, size_t max);
	const char *(*tls_sni)(void);

	int (*jwt_key_parse)(const uint8_t *data, size_t len, struct jwt_key *out,
			     const char **why);
	void (*jwt_key_free)(struct jwt_key *k);
	unsigned (*jwt_key_algs)(const struct jwt_key *k);
	unsigned (*jwt_alg_from_name)(const char *name, size_t len);
	int (*jwt_verify)(const char *token, size_t len, const struct jwt_key *key,
			  const struct jwt_policy *pol, void **claims_out, unsigned *alg_out,
			  const char **why);
};

/* The plugin's one exported symbol. tls_server: start OpenSSL as a TLS server does
 * (the system's openssl.cnf honoured) rather than as a JWT verifier only. */
typedef const struct ossl_api *ossl_entry_fn(bool tls_server);

/* In the executable: find, load and check the plugin; logs a precise error and returns
 * -1 when it cannot. main() calls it once, for --ssl or --jwt-key, before tls_init() and
 * the key is read. Without the plugin tls_env() returns 0, tls_sni() NULL and
 * jwt_key_free() does nothing; the other tls_ and jwt_ calls must not be made. */
int ossl_load(bool tls_server);

#endif
