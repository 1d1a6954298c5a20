/* ossl.c - wsinetd hands over to wsinetd-openssl what needs shared libraries; in
 * wsinetd-openssl (built with WSINETD_OPENSSL) OpenSSL starts here instead (ossl.h). */
#include "ossl.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "jwt.h"
#include "log.h"
#include "tls.h"

#ifdef WSINETD_OPENSSL
#include <openssl/crypto.h>
#endif

/* wsinetd: OSSL_HANDOFF_ENV was set, so a wsinetd exec'd us under wsinetd-openssl's name. */
static bool handed_to_us;

int ossl_start(void)
{
	const char *v = getenv(OSSL_HANDOFF_ENV);
	if (v == NULL)
		return 0;
	handed_to_us = true;
#ifdef WSINETD_OPENSSL
	if (strcmp(v, WSINETD_VERSION) != 0) {
		log_error("%s %s does not belong to wsinetd %.32s (reinstall both from one build)",
			  OSSL_EXE, WSINETD_VERSION, v);
		unsetenv(OSSL_HANDOFF_ENV);
		return -1;
	}
#endif
	unsetenv(OSSL_HANDOFF_ENV);
	return 0;
}

bool ossl_needed(const struct config *c)
{
	if (c->ssl || c->jwt_key)
		return true;
	struct sockaddr_storage ss[2];
	socklen_t sl[2];
	for (size_t i = 0; c->port && i < c->naddresses; i++)
		if (addr_numeric(c->addresses[i], 1, ss, sl) == 0)
			return true;
	return false;
}

#ifdef WSINETD_OPENSSL

int ossl_load(char **argv, bool tls_server)
{
	(void)argv;
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
	return 0;
}

#else /* wsinetd */

int ossl_load(char **argv, bool tls_server)
{
	(void)tls_server;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		log_error("TLS, JWT and host names need %s: /proc/self/exe: %s", OSSL_EXE,
			  n < 0 ? strerror(errno) : "empty");
		return -1;
	}
	exe[n] = '\0';
	if (handed_to_us) {
		log_error("%s is wsinetd itself, not %s (reinstall both from one build)", exe,
			  OSSL_EXE);
		return -1;
	}
	char *slash = strrchr(exe, '/');
	if (slash == NULL) {
		log_error("TLS, JWT and host names need %s: /proc/self/exe is not a path", OSSL_EXE);
		return -1;
	}
	*slash = '\0';
	static const char *const rel[] = { "", "/../lib/wsinetd" };
	char tried[2 * PATH_MAX + 8] = "";
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		char path[PATH_MAX];
		if (snprintf(path, sizeof(path), "%s%s/%s", exe, rel[i], OSSL_EXE) >=
		    (int)sizeof(path))
			continue;
		if (access(path, X_OK) != 0) {
			size_t used = strlen(tried);
			snprintf(tried + used, sizeof(tried) - used, "%s%s: %s", used ? "; " : "",
				 path, strerror(errno));
			continue;
		}
		if (setenv(OSSL_HANDOFF_ENV, WSINETD_VERSION, 1) != 0) {
			log_error("%s: %s", OSSL_HANDOFF_ENV, strerror(errno));
			return -1;
		}
		execv(path, argv);
		log_error("cannot run %s: %s", path, strerror(errno));
		unsetenv(OSSL_HANDOFF_ENV);
		return -1;
	}
	log_error("TLS, JWT and host names need %s (built and installed with wsinetd): %s",
		  OSSL_EXE, tried);
	return -1;
}

/* Never called in wsinetd: ossl_needed() configurations are wsinetd-openssl's, and
 * ossl_load() does not return 0 here. Without TLS there is no TLS environment or SNI,
 * and without a JWT key nothing to free. */
size_t tls_env(const char **out, size_t max)
{
	(void)out;
	(void)max;
	return 0;
}

const char *tls_sni(void)
{
	return NULL;
}

void jwt_key_free(struct jwt_key *k)
{
	(void)k;
}

static void unreachable(const char *what)
{
	log_error("internal error: %s called in wsinetd (it runs in %s)", what, OSSL_EXE);
	abort();
}

int tls_init(const struct config *cfg)
{
	(void)cfg;
	unreachable("tls_init");
	return -1;
}

enum tls_accept_result tls_accept(struct transport *t, int64_t deadline_ms, const char *peer)
{
	(void)t, (void)deadline_ms, (void)peer;
	unreachable("tls_accept");
	return TLS_FAILED;
}

void tls_linger(struct transport *t)
{
	(void)t;
	unreachable("tls_linger");
}

int jwt_key_parse(const uint8_t *data, size_t len, struct jwt_key *out, const char **why)
{
	(void)data, (void)len, (void)out, (void)why;
	unreachable("jwt_key_parse");
	return -1;
}

unsigned jwt_key_algs(const struct jwt_key *k)
{
	(void)k;
	unreachable("jwt_key_algs");
	return 0;
}

unsigned jwt_alg_from_name(const char *name, size_t len)
{
	(void)name, (void)len;
	unreachable("jwt_alg_from_name");
	return 0;
}

int jwt_verify(const char *token, size_t len, const struct jwt_key *key,
	       const struct jwt_policy *pol, void **claims_out, unsigned *alg_out,
	       const char **why)
{
	(void)token, (void)len, (void)key, (void)pol, (void)claims_out, (void)alg_out, (void)why;
	unreachable("jwt_verify");
	return -1;
}

#endif
