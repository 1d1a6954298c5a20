/* tls.c - see tls.h. I/O side: OpenSSL over the connection's fds, one connection per
 * process. */
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "log.h"

/* Mozilla's "intermediate" TLS 1.2 list: forward secrecy and AEAD only. TLS 1.3 keeps
 * OpenSSL's suites (all AEAD). */
#define TLS12_CIPHERS                                                                     \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                      \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                      \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

#define TICKET_KEY_LEN 80u      /* 16 name + 32 HMAC-SHA256 + 32 AES-256 */
#define TICKET_KEYS_MAX 16u
#define DN_MAX 2048u            /* longer subject names are not exported (logged) */
#define LINGER_MS 1000

struct ticket_key {
	unsigned char name[16];
	unsigned char hmac[32];
	unsigned char aes[32];
};

static struct {
	SSL_CTX *ctx;
	pid_t ctx_pid;                 /* the process that built ctx (see tls_accept) */
	const struct config *cfg;
	struct ticket_key keys[TICKET_KEYS_MAX];
	size_t nkeys;
	char paths[4][PATH_MAX];       /* cert, key, ca, ticket keys after credential lookup */
	bool pass_asked;               /* the key file wanted a passphrase */

	/* The connection. */
	SSL *ssl;
	const struct transport_ops *plain;
	bool broken;                   /* a fatal TLS error: no close_notify any more */
	long verify_err;               /* first client certificate failure (verify_cb) */
	char verify_subj[512];         /* ... and the subject of the certificate it hit */
	char sni[256];
	char env_proto[48], env_cipher[96], env_resumed[40], env_sni[280], env_verify[40];
	char env_sdn[DN_MAX + 24], env_idn[DN_MAX + 24];
} g;

/* --- start-up -------------------------------------------------------------------------- */

/* A name without '/' is a systemd credential when $CREDENTIALS_DIRECTORY is set. */
static const char *cred_path(const char *name, char *buf)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	if (name == NULL || strchr(name, '/') || dir == NULL || *dir == '\0')
		return name;
	if ((size_t)snprintf(buf, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
		return name;
	return buf;
}

/* OpenSSL's reason for the last error, for start-up lines. */
static const char *ossl_why(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	return r ? r : "unknown error";
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_msg(LOGL_FATAL, "%s", line);
	ERR_clear_error();
	return -1;
}

static BIO *open_file(const char *opt, const char *path)
{
	if (access(path, R_OK) != 0)
		return fail("--%s=%s: cannot read it: %s", opt, path, strerror(errno)), NULL;
	BIO *b = BIO_new_file(path, "r");
	if (b == NULL)
		fail("--%s=%s: cannot open it: %s", opt, path, strerror(errno));
	return b;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	g.pass_asked = true;
	return -1;
}

static void warn_validity(const char *path, X509 *x)
{
	char when[64] = "?";
	BIO *m = BIO_new(BIO_s_mem());
	if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0) {
		if (m && ASN1_TIME_print(m, X509_get0_notAfter(x)) > 0) {
			int n = BIO_read(m, when, (int)sizeof(when) - 1);
			when[n > 0 ? n : 0] = '\0';
		}
		log_error("--sslcert=%s: the certificate expired on %s: clients will refuse it",
			  path, when);
	} else if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0) {
		if (m && ASN1_TIME_print(m, X509_get0_notBefore(x)) > 0) {
			int n = BIO_read(m, when, (int)sizeof(when) - 1);
			when[n > 0 ? n : 0] = '\0';
		}
		log_error("--sslcert=%s: the certificate is not valid before %s: clients will "
			  "refuse it", path, when);
	}
	BIO_free(m);
}

/* The certificate (with its chain) and the key that must belong to it. */
static int load_cert_and_key(SSL_CTX *ctx, const char *cert, const char *key)
{
	BIO *b = open_file("sslcert", cert);
	if (b == NULL)
		return -1;
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (x == NULL)
		return fail("--sslcert=%s: no PEM certificate in it (expected -----BEGIN "
			    "CERTIFICATE-----)", cert);
	if ((b = open_file("sslkey", key)) == NULL) {
		X509_free(x);
		return -1;
	}
	g.pass_asked = false;
	EVP_PKEY *pk = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	if (pk == NULL) {
		X509_free(x);
		if (g.pass_asked)
			return fail("--sslkey=%s: the key is encrypted; wsinetd starts unattended: "
				    "store it unencrypted, readable by the service only (openssl pkey "
				    "-in KEY -out KEY.plain)", key);
		return fail("--sslkey=%s: no PEM private key in it (expected -----BEGIN PRIVATE "
			    "KEY-----)", key);
	}
	if (X509_check_private_key(x, pk) != 1) {
		X509_free(x);
		EVP_PKEY_free(pk);
		return fail("--sslkey=%s does not belong to the certificate in --sslcert=%s "
			    "(their public keys differ)", key, cert);
	}
	warn_validity(cert, x);
	X509_free(x);
	ERR_clear_error();
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		EVP_PKEY_free(pk);
		return fail("--sslcert=%s: %s", cert, ossl_why());
	}
	int ok = SSL_CTX_use_PrivateKey(ctx, pk);
	EVP_PKEY_free(pk);
	if (ok != 1 || SSL_CTX_check_private_key(ctx) != 1)
		return fail("--sslkey=%s: %s", key, ossl_why());
	return 0;
}

static int load_ticket_keys(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("--ssl-ticket-keys=%s: cannot read it: %s", path, strerror(errno));
	unsigned char buf[TICKET_KEYS_MAX * TICKET_KEY_LEN + 1];
	size_t have = 0;
	while (have < sizeof(buf)) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			return fail("--ssl-ticket-keys=%s: cannot read it: %s", path, strerror(e));
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	int r = 0;
	if (have == 0 || have % TICKET_KEY_LEN != 0)
		r = fail("--ssl-ticket-keys=%s: %zu bytes: the file must hold whole %u-byte keys "
			 "(make one with: openssl rand %u > FILE)", path, have, TICKET_KEY_LEN,
			 TICKET_KEY_LEN);
	else if (have > TICKET_KEYS_MAX * TICKET_KEY_LEN)
		r = fail("--ssl-ticket-keys=%s: more than %u keys", path, TICKET_KEYS_MAX);
	else {
		g.nkeys = have / TICKET_KEY_LEN;
		for (size_t i = 0; i < g.nkeys; i++) {
			const unsigned char *k = buf + i * TICKET_KEY_LEN;
			memcpy(g.keys[i].name, k, 16);
			memcpy(g.keys[i].hmac, k + 16, 32);
			memcpy(g.keys[i].aes, k + 48, 32);
		}
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

/* RFC 5077 tickets under the file's keys: the first encrypts, any decrypts. */
static int ticket_cb(SSL *s, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *cctx,
		     EVP_MAC_CTX *hctx, int enc)
{
	(void)s;
	const struct ticket_key *k = NULL;
	int ret = 1;
	if (enc) {
		k = &g.keys[0];
		memcpy(name, k->name, 16);
		if (RAND_bytes(iv, 16) != 1 ||
		    EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes, iv) != 1)
			return -1;
	} else {
		for (size_t i = 0; i < g.nkeys && k == NULL; i++)
			if (CRYPTO_memcmp(name, g.keys[i].name, 16) == 0) {
				k = &g.keys[i];
				ret = i == 0 ? 1 : 2; /* 2: valid, but issue a ticket under the new key */
			}
		if (k == NULL)
			return 0; /* unknown key (rotated out): a full handshake */
		if (EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes, iv) != 1)
			return -1;
	}
	OSSL_PARAM p[3];
	p[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *)k->hmac, 32);
	p[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	p[2] = OSSL_PARAM_construct_end();
	if (EVP_MAC_CTX_set_params(hctx, p) != 1)
		return -1;
	return ret;
}

static bool sni_ok(const char *s);

/* SNI straight from the ClientHello (RFC 6066 3): SSL_get_servername() forgets it when a
 * TLS 1.2 session is resumed. */
static int client_hello_cb(SSL *s, int *alert, void *arg)
{
	(void)alert, (void)arg;
	const unsigned char *p;
	size_t n;
	if (SSL_client_hello_get0_ext(s, TLSEXT_TYPE_server_name, &p, &n) != 1 || n < 5)
		return SSL_CLIENT_HELLO_SUCCESS;
	size_t list = (size_t)p[0] << 8 | p[1];
	size_t len = (size_t)p[3] << 8 | p[4];
	if (list + 2 != n || p[2] != TLSEXT_NAMETYPE_host_name || len + 5 > n ||
	    len >= sizeof(g.sni))
		return SSL_CLIENT_HELLO_SUCCESS;
	char name[sizeof(g.sni)];
	memcpy(name, p + 5, len);
	name[len] = '\0';
	if (sni_ok(name))
		memcpy(g.sni, name, len + 1);
	return SSL_CLIENT_HELLO_SUCCESS;
}

static int alpn_cb(SSL *s, const unsigned char **out, unsigned char *outlen,
		   const unsigned char *in, unsigned int inlen, void *arg)
{
	(void)s, (void)arg;
	static const unsigned char ours[] = "\x08http/1.1";
	unsigned char *sel = NULL;
	if (SSL_select_next_proto(&sel, outlen, ours, sizeof(ours) - 1, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL; /* RFC 7301 3.2: no_application_protocol */
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

static void subject_of(X509 *x, char *out, size_t cap);

/* Remember the first failure for the log line (OpenSSL keeps no peer certificate from
 * a failed verification). --ssl-verify=optional: the failure does not end the
 * handshake; it reaches the program as SSL_CLIENT_VERIFY=FAILED (and no DN). */
static int verify_cb(int ok, X509_STORE_CTX *x)
{
	if (!ok && g.verify_err == X509_V_OK) {
		g.verify_err = X509_STORE_CTX_get_error(x);
		X509 *c = X509_STORE_CTX_get_current_cert(x);
		if (c)
			subject_of(c, g.verify_subj, sizeof(g.verify_subj));
	}
	return g.cfg->ssl_verify_optional ? 1 : ok;
}

int tls_init(const struct config *cfg)
{
	g.cfg = cfg;
	const char *cert = cred_path(cfg->sslcert, g.paths[0]);
	const char *key = cred_path(cfg->sslkey, g.paths[1]);
	const char *ca = cred_path(cfg->sslca, g.paths[2]);
	const char *tk = cred_path(cfg->ssl_ticket_keys, g.paths[3]);
	if (OPENSSL_init_ssl(0, NULL) != 1)
		return fail("--ssl: OpenSSL initialisation failed: %s", ossl_why());
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL)
		return fail("--ssl: cannot create the TLS context: %s", ossl_why());
	/* openssl.cnf may already ask for more (MinProtocol): only ever raise it. */
	long minv = SSL_CTX_get_min_proto_version(ctx);
	if (minv == 0 || minv < TLS1_2_VERSION)
		SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1) {
		SSL_CTX_free(ctx);
		return fail("--ssl: cipher list refused: %s", ossl_why());
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
				 SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* No cache of our own: a handler serves one connection. Tickets carry the session. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* A session resumes only under the verification policy it was made under: with a
	 * shared ticket key file, a ticket from an endpoint without client certificates
	 * must not open one that requires them (resumption skips verification). */
	char sid_in[2 * PATH_MAX + 16];
	snprintf(sid_in, sizeof(sid_in), "wsinetd\n%s\n%s\n%s", cfg->ssl_verify_optional ? "o" : "r",
		 ca ? ca : "-", cert ? cert : "-");
	unsigned char sid[32];
	unsigned int sid_len = 0;
	if (EVP_Digest(sid_in, strlen(sid_in), sid, &sid_len, EVP_sha256(), NULL) != 1 ||
	    SSL_CTX_set_session_id_context(ctx, sid, sid_len) != 1) {
		SSL_CTX_free(ctx);
		return fail("--ssl: cannot set the session id context: %s", ossl_why());
	}
	SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_cb, NULL);
	SSL_CTX_set_client_hello_cb(ctx, client_hello_cb, NULL);
	if (load_cert_and_key(ctx, cert, key) != 0) {
		SSL_CTX_free(ctx);
		return -1;
	}
	if (ca) {
		BIO *b = open_file("sslca", ca);
		if (b == NULL) {
			SSL_CTX_free(ctx);
			return -1;
		}
		BIO_free(b);
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca);
		if (names == NULL || SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
			sk_X509_NAME_pop_free(names, X509_NAME_free);
			SSL_CTX_free(ctx);
			return fail("--sslca=%s: no PEM CA certificate in it", ca);
		}
		SSL_CTX_set_client_CA_list(ctx, names);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (cfg->ssl_verify_optional ? 0 :
			SSL_VERIFY_FAIL_IF_NO_PEER_CERT), verify_cb);
	}
	if (tk) {
		if (load_ticket_keys(tk) != 0) {
			SSL_CTX_free(ctx);
			return -1;
		}
		SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb);
	}
	ERR_clear_error();
	g.ctx = ctx;
	g.ctx_pid = getpid();
	return 0;
}

/* --- the connection ------------------------------------------------------------------- */

static ssize_t tls_read(struct transport *t, void *p, size_t n)
{
	t->read_wants_pollout = false;
	size_t got = 0;
	ERR_clear_error();
	errno = 0; /* SSL_ERROR_SYSCALL with errno 0 is an EOF */
	if (SSL_read_ex(g.ssl, p, n, &got) == 1)
		return (ssize_t)got;
	int e = SSL_get_error(g.ssl, 0);
	switch (e) {
	case SSL_ERROR_WANT_WRITE:
		t->read_wants_pollout = true;
		/* fall through */
	case SSL_ERROR_WANT_READ:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0; /* close_notify */
	case SSL_ERROR_SYSCALL:
		g.broken = true;
		if (errno == 0)
			return 0;
		return -1;
	default:
		g.broken = true;
		log_info("TLS: reading: %s", ossl_why());
		errno = EPROTO;
		return -1;
	}
}

static ssize_t tls_write(struct transport *t, const void *p, size_t n)
{
	t->write_wants_pollin = false;
	size_t put = 0;
	ERR_clear_error();
	errno = 0;
	if (SSL_write_ex(g.ssl, p, n, &put) == 1)
		return (ssize_t)put;
	int e = SSL_get_error(g.ssl, 0);
	switch (e) {
	case SSL_ERROR_WANT_READ:
		t->write_wants_pollin = true;
		/* fall through */
	case SSL_ERROR_WANT_WRITE:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_SYSCALL:
		g.broken = true;
		if (errno == 0)
			errno = EPIPE;
		return -1;
	default:
		g.broken = true;
		if (SSL_get_shutdown(g.ssl) & SSL_SENT_SHUTDOWN)
			errno = EPIPE;
		else {
			log_info("TLS: writing: %s", ossl_why());
			errno = EPROTO;
		}
		return -1;
	}
}

static bool tls_pending(struct transport *t)
{
	(void)t;
	return SSL_pending(g.ssl) > 0;
}

static int wait_one(int fd, short ev, int64_t deadline_ms)
{
	for (;;) {
		int64_t left = deadline_ms - now_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		struct pollfd p = { .fd = fd, .events = ev };
		int r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* close_notify, then the plain half-close (TCP FIN, or the pipe closed). */
static void tls_shutdown_write(struct transport *t)
{
	if (!g.broken && !(SSL_get_shutdown(g.ssl) & SSL_SENT_SHUTDOWN)) {
		int64_t deadline = now_ms() + 1000;
		for (int i = 0; i < 8; i++) {
			ERR_clear_error();
			if (SSL_shutdown(g.ssl) >= 0)
				break;
			int e = SSL_get_error(g.ssl, -1);
			if (e == SSL_ERROR_WANT_WRITE && wait_one(t->wfd, POLLOUT, deadline) == 0)
				continue;
			if (e == SSL_ERROR_WANT_READ)
				break; /* sent; the peer's close_notify is read by the relay */
			break;
		}
		ERR_clear_error();
	}
	g.plain->shutdown_write(t);
}

static const struct transport_ops tls_ops = { tls_read, tls_write, tls_shutdown_write,
					      tls_pending };

static bool is_socket(int fd)
{
	int type;
	socklen_t len = sizeof(type);
	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0;
}

static const char *version_name(int v)
{
	switch (v) {
	case SSL3_VERSION: return "SSLv3";
	case TLS1_VERSION: return "TLSv1.0";
	case TLS1_1_VERSION: return "TLSv1.1";
	case TLS1_2_VERSION: return "TLSv1.2";
	case TLS1_3_VERSION: return "TLSv1.3";
	default: return "an unknown version";
	}
}

static void subject_of(X509 *x, char *out, size_t cap)
{
	out[0] = '\0';
	BIO *m = BIO_new(BIO_s_mem());
	if (m == NULL)
		return;
	if (X509_NAME_print_ex(m, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0) {
		int n = BIO_read(m, out, (int)cap - 1);
		out[n > 0 ? n : 0] = '\0';
	}
	BIO_free(m);
}

/* One line for a refused handshake, saying whose fault and how to fix it. */
static void log_handshake_failure(const char *peer, int sslerr)
{
	unsigned long e = ERR_peek_last_error();
	int lib = ERR_GET_LIB(e), reason = ERR_GET_REASON(e);
	long vr = SSL_get_verify_result(g.ssl);
	char subj[512] = "";
	X509 *pc = SSL_get0_peer_certificate(g.ssl);
	if (pc)
		subject_of(pc, subj, sizeof(subj));
	if (lib == ERR_LIB_SSL && reason == SSL_R_UNSUPPORTED_PROTOCOL)
		log_info("%s: TLS handshake refused: the client offers at most %s; wsinetd "
			 "requires TLSv1.2 or later", peer, version_name(SSL_client_version(g.ssl)));
	else if (lib == ERR_LIB_SSL && reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
		log_info("%s: TLS handshake refused: the client sent no certificate (--sslca "
			 "requires one; --ssl-verify=optional lets it in)", peer);
	else if (g.verify_err != X509_V_OK)
		log_info("%s: TLS handshake refused: client certificate \"%s\": %s", peer,
			 g.verify_subj, X509_verify_cert_error_string(g.verify_err));
	else if (vr != X509_V_OK && pc)
		log_info("%s: TLS handshake refused: client certificate \"%s\": %s", peer, subj,
			 X509_verify_cert_error_string(vr));
	else if (lib == ERR_LIB_SSL && reason == SSL_R_NO_APPLICATION_PROTOCOL)
		log_info("%s: TLS handshake refused: the client's ALPN offer lacks http/1.1", peer);
	else if (lib == ERR_LIB_SSL && reason == SSL_R_NO_SHARED_CIPHER)
		log_info("%s: TLS handshake refused: no cipher in common with the client", peer);
	else if (lib == ERR_LIB_SSL && reason >= SSL_AD_REASON_OFFSET && ERR_reason_error_string(e))
		/* An alert from the client: usually it does not accept our certificate. */
		log_info("%s: TLS handshake aborted by the client: \"%s\"%s", peer,
			 ERR_reason_error_string(e),
			 (reason >= SSL_R_SSLV3_ALERT_BAD_CERTIFICATE &&
			  reason <= SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN) ||
			 reason == SSL_R_TLSV1_ALERT_UNKNOWN_CA ? " (it does not accept --sslcert: "
			 "expired, wrong name or an issuer it does not trust?)" : "");
	else if (e != 0 && ERR_reason_error_string(e))
		log_info("%s: TLS handshake failed: %s", peer, ERR_reason_error_string(e));
	else if (sslerr == SSL_ERROR_SYSCALL && errno != 0)
		log_info("%s: TLS handshake failed: %s", peer, strerror(errno));
	else
		log_info("%s: TLS handshake failed: the client closed the connection", peer);
}

static bool sni_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.'))
			return false;
	}
	return true;
}

static void collect_facts(const char *peer)
{
	/* g.sni: set by client_hello_cb. */
	snprintf(g.env_proto, sizeof(g.env_proto), "SSL_PROTOCOL=%s", SSL_get_version(g.ssl));
	snprintf(g.env_cipher, sizeof(g.env_cipher), "SSL_CIPHER=%s",
		 SSL_CIPHER_get_name(SSL_get_current_cipher(g.ssl)));
	snprintf(g.env_resumed, sizeof(g.env_resumed), "SSL_SESSION_RESUMED=%s",
		 SSL_session_reused(g.ssl) ? "Resumed" : "Initial");
	snprintf(g.env_sni, sizeof(g.env_sni), "SSL_TLS_SNI=%s", g.sni);
	X509 *pc = SSL_get0_peer_certificate(g.ssl);
	const char *verify = "NONE";
	char dn[DN_MAX + 1] = "", idn[DN_MAX + 1] = "";
	if (pc && SSL_get_verify_result(g.ssl) == X509_V_OK) {
		verify = "SUCCESS";
		subject_of(pc, dn, sizeof(dn));
		BIO *m = BIO_new(BIO_s_mem());
		if (m && X509_NAME_print_ex(m, X509_get_issuer_name(pc), 0, XN_FLAG_RFC2253) >= 0) {
			int n = BIO_read(m, idn, (int)sizeof(idn) - 1);
			idn[n > 0 ? n : 0] = '\0';
		}
		BIO_free(m);
		if (strlen(dn) >= DN_MAX - 1 || strlen(idn) >= DN_MAX - 1) {
			log_info("%s: client certificate names longer than %u bytes: not exported",
				 peer, DN_MAX - 2);
			dn[0] = idn[0] = '\0';
		}
	} else if (pc) {
		verify = "FAILED";
		log_info("%s: client certificate not verified (%s): SSL_CLIENT_VERIFY=FAILED", peer,
			 X509_verify_cert_error_string(SSL_get_verify_result(g.ssl)));
	}
	snprintf(g.env_verify, sizeof(g.env_verify), "SSL_CLIENT_VERIFY=%s", verify);
	snprintf(g.env_sdn, sizeof(g.env_sdn), "SSL_CLIENT_S_DN=%s", dn);
	snprintf(g.env_idn, sizeof(g.env_idn), "SSL_CLIENT_I_DN=%s", idn);
	log_debug("%s: TLS %s %s %s sni=%s client=%s", peer, SSL_get_version(g.ssl),
		  SSL_CIPHER_get_name(SSL_get_current_cipher(g.ssl)),
		  SSL_session_reused(g.ssl) ? "resumed" : "full", g.sni[0] ? g.sni : "-", verify);
}

/* Before OpenSSL reads anything: a ClientHello starts with 0x16 (handshake record); a
 * plain HTTP request with a method's capital letter. Sockets only (MSG_PEEK). */
static enum tls_accept_result peek_first(struct transport *t, int64_t deadline_ms,
					 const char *peer)
{
	unsigned char b[8];
	for (;;) {
		ssize_t n = recv(t->rfd, b, sizeof(b), MSG_PEEK);
		if (n > 0)
			break;
		if (n == 0) {
			log_info("%s: connection closed before the TLS handshake", peer);
			return TLS_GONE;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			log_info("%s: before the TLS handshake: %s", peer, strerror(errno));
			return TLS_GONE;
		}
		if (wait_one(t->rfd, POLLIN, deadline_ms) != 0) {
			log_info("%s: TLS handshake not started within --ssl-timeout=%us", peer,
				 g.cfg->ssl_timeout);
			return TLS_TIMEOUT;
		}
	}
	if (b[0] == 0x16)
		return TLS_ACCEPTED;
	if (b[0] >= 'A' && b[0] <= 'Z')
		return TLS_PLAIN_HTTP; /* the caller logs the 400 */
	log_info("%s: TLS handshake refused: the client sent no TLS record (first byte 0x%02x)",
		 peer, b[0]);
	return TLS_FAILED;
}

enum tls_accept_result tls_accept(struct transport *t, int64_t deadline_ms, const char *peer)
{
	if (is_socket(t->rfd)) {
		enum tls_accept_result r = peek_first(t, deadline_ms, peer);
		if (r != TLS_ACCEPTED)
			return r;
	}
	ERR_clear_error();
	g.ssl = SSL_new(g.ctx);
	if (g.ssl == NULL || SSL_set_rfd(g.ssl, t->rfd) != 1 || SSL_set_wfd(g.ssl, t->wfd) != 1) {
		log_error("%s: TLS: cannot set up the connection: %s", peer, ossl_why());
		return TLS_FAILED;
	}
	/* Tickets under keys nobody else has (a handler started per connection, without
	 * --ssl-ticket-keys) could never be redeemed: do not send them. A fork of the
	 * listener shares the listener's keys. */
	if (g.nkeys == 0 && getpid() == g.ctx_pid) {
		SSL_set_options(g.ssl, SSL_OP_NO_TICKET);
		SSL_set_num_tickets(g.ssl, 0);
	}
	for (;;) {
		ERR_clear_error();
		errno = 0;
		int r = SSL_accept(g.ssl);
		if (r == 1)
			break;
		int e = SSL_get_error(g.ssl, r);
		int w = 0;
		if (e == SSL_ERROR_WANT_READ)
			w = wait_one(t->rfd, POLLIN, deadline_ms);
		else if (e == SSL_ERROR_WANT_WRITE)
			w = wait_one(t->wfd, POLLOUT, deadline_ms);
		else {
			unsigned long le = ERR_peek_last_error();
			if (ERR_GET_LIB(le) == ERR_LIB_SSL && (ERR_GET_REASON(le) == SSL_R_HTTP_REQUEST ||
							       ERR_GET_REASON(le) == SSL_R_HTTPS_PROXY_REQUEST)) {
				/* A pipe (no peek): OpenSSL saw "GET "; nothing was sent. */
				ERR_clear_error();
				SSL_free(g.ssl);
				g.ssl = NULL;
				return TLS_PLAIN_HTTP;
			}
			log_handshake_failure(peer, e);
			ERR_clear_error();
			g.broken = true;
			return TLS_FAILED;
		}
		if (w != 0) {
			if (errno == ETIMEDOUT)
				log_info("%s: TLS handshake not finished within --ssl-timeout=%us", peer,
					 g.cfg->ssl_timeout);
			else
				log_info("%s: TLS handshake: poll: %s", peer, strerror(errno));
			g.broken = true;
			return TLS_TIMEOUT;
		}
	}
	collect_facts(peer);
	g.plain = t->ops;
	t->ops = &tls_ops;
	return TLS_ACCEPTED;
}

void tls_linger(struct transport *t)
{
	int64_t deadline = now_ms() + LINGER_MS;
	char sink[4096];
	for (int i = 0; i < 1000; i++) {
		ssize_t n = read(t->rfd, sink, sizeof(sink));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return;
		if (n < 0 && errno == EAGAIN && wait_one(t->rfd, POLLIN, deadline) != 0)
			return;
	}
}

size_t tls_env(const char **out, size_t max)
{
	const char *v[] = { g.env_proto, g.env_cipher, g.env_resumed, g.env_sni, g.env_verify,
			    g.env_sdn, g.env_idn };
	size_t n = 0;
	if (g.ssl == NULL) {
		if (max > 0)
			out[n++] = "REQUEST_SCHEME=ws";
		return n;
	}
	if (max > 0)
		out[n++] = "REQUEST_SCHEME=wss";
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]) && n < max; i++)
		out[n++] = v[i];
	return n;
}

const char *tls_sni(void)
{
	return g.ssl && g.sni[0] ? g.sni : NULL;
}
