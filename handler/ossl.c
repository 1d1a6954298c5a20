/* ossl.c - loads wsinetd-openssl.so (ossl.h) and forwards the tls.h and jwt.h calls to
 * it. */
#include "ossl.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static const struct ossl_api *api;

/* dir/OSSL_PLUGIN for each candidate dir, relative to the resolved executable. */
static void *open_plugin(char *tried, size_t tried_len)
{
	static const char *const rel[] = { "", "/../lib/wsinetd" };
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		snprintf(tried, tried_len, "/proc/self/exe: %s", strerror(errno));
		return NULL;
	}
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash == NULL) {
		snprintf(tried, tried_len, "/proc/self/exe is not a path");
		return NULL;
	}
	*slash = '\0';
	tried[0] = '\0';
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		char path[PATH_MAX];
		if (snprintf(path, sizeof(path), "%s%s/%s", exe, rel[i], OSSL_PLUGIN) >=
		    (int)sizeof(path))
			continue;
		/* RTLD_NOW: a missing symbol shows here, not in the middle of a connection.
		 * RTLD_LOCAL: its OpenSSL and tls/jwt symbols stay out of our namespace. */
		void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (h != NULL)
			return h;
		size_t used = strlen(tried);
		snprintf(tried + used, tried_len - used, "%s%s", used ? "; " : "", dlerror());
	}
	return NULL;
}

int ossl_load(bool tls_server)
{
	char tried[1024];
	void *h = open_plugin(tried, sizeof(tried));
	if (h == NULL) {
		log_error("TLS and JWT need %s (built and installed with wsinetd): %s",
			  OSSL_PLUGIN, tried);
		return -1;
	}
	ossl_entry_fn *entry;
	*(void **)&entry = dlsym(h, OSSL_ENTRY);
	const struct ossl_api *a = entry ? entry(tls_server) : NULL;
	if (a == NULL || strcmp(a->version, WSINETD_VERSION) != 0 ||
	    a->api_size != sizeof(struct ossl_api) || a->config_size != sizeof(struct config) ||
	    a->transport_size != sizeof(struct transport)) {
		log_error("%s does not belong to this wsinetd %s (rebuild and reinstall both)",
			  OSSL_PLUGIN, WSINETD_VERSION);
		dlclose(h);
		return -1;
	}
	api = a;
	return 0;
}

/* --- tls.h ------------------------------------------------------------------------- */

/* tls_init, tls_accept, tls_linger and the jwt_ calls but jwt_key_free run only under
 * --ssl or --jwt-key, whose plugin main() has loaded (or exited): they forward as they
 * are. tls_env, tls_sni and jwt_key_free are also called without it (ossl.h). */

int tls_init(const struct config *cfg)
{
	return api->tls_init(cfg);
}

enum tls_accept_result tls_accept(struct transport *t, int64_t deadline_ms, const char *peer)
{
	return api->tls_accept(t, deadline_ms, peer);
}

void tls_linger(struct transport *t)
{
	api->tls_linger(t);
}

size_t tls_env(const char **out, size_t max)
{
	return api ? api->tls_env(out, max) : 0;
}

const char *tls_sni(void)
{
	return api ? api->tls_sni() : NULL;
}

/* --- jwt.h ------------------------------------------------------------------------- */

int jwt_key_parse(const uint8_t *data, size_t len, struct jwt_key *out, const char **why)
{
	return api->jwt_key_parse(data, len, out, why);
}

void jwt_key_free(struct jwt_key *k)
{
	if (api)
		api->jwt_key_free(k);
}

unsigned jwt_key_algs(const struct jwt_key *k)
{
	return api->jwt_key_algs(k);
}

unsigned jwt_alg_from_name(const char *name, size_t len)
{
	return api->jwt_alg_from_name(name, len);
}

int jwt_verify(const char *token, size_t len, const struct jwt_key *key,
	       const struct jwt_policy *pol, void **claims_out, unsigned *alg_out,
	       const char **why)
{
	return api->jwt_verify(token, len, key, pol, claims_out, alg_out, why);
}
