/* ossl_plugin.c - the entry point of wsinetd-openssl.so (see ossl.h): tls.c and jwt.c
 * behind one table, and OpenSSL's start-up. Built with -fvisibility=hidden: this table
 * getter is the only symbol the plugin exports. */
#include "ossl.h"

#include <openssl/crypto.h>

static const struct ossl_api api = {
	.version = WSINETD_VERSION,
	.api_size = sizeof(struct ossl_api),
	.config_size = sizeof(struct config),
	.transport_size = sizeof(struct transport),
	.tls_init = tls_init,
	.tls_accept = tls_accept,
	.tls_linger = tls_linger,
	.tls_env = tls_env,
	.tls_sni = tls_sni,
	.jwt_key_parse = jwt_key_parse,
	.jwt_key_free = jwt_key_free,
	.jwt_key_algs = jwt_key_algs,
	.jwt_alg_from_name = jwt_alg_from_name,
	.jwt_verify = jwt_verify,
};

__attribute__((visibility("default"))) ossl_entry_fn wsinetd_ossl_api;

const struct ossl_api *wsinetd_ossl_api(bool tls_server)
{
	/* A JWT verifier needs none of openssl.cnf or the legacy name tables (algorithms
	 * are fetched through providers: EVP_MAC, EVP_PKEY; never by legacy name), which
	 * the first fetch would otherwise copy into its name map (3.2M instructions); and
	 * no clean-up at exit (0.5M). With --ssl we are a TLS server: honour the system's
	 * openssl.cnf (system-wide crypto policy: MinProtocol, SECLEVEL), as nginx and
	 * Apache do (README, TLS), and keep the name tables libssl's certificate checks
	 * look digests up in. */
	OPENSSL_init_crypto(tls_server ? OPENSSL_INIT_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT :
			    OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
			    OPENSSL_INIT_NO_ADD_ALL_DIGESTS | OPENSSL_INIT_NO_ATEXIT, NULL);
	return &api;
}
