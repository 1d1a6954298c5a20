/* config.h - the command line (and --config JSON file) turned into one immutable
 * struct config, once, in main. A bad option is one precise line and exit status 2. */
#ifndef WSINETD_CONFIG_H
#define WSINETD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "limits.h"

enum ws_mode { MODE_LINES = 0, MODE_BINARY = 1, MODE_JSON = 2 };

struct cidr {
	int family;            /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned prefix;
};

#define CFG_ADDRESSES_MAX 16u
#define CFG_TRUST_MAX 16u
#define CFG_ORIGINS_MAX 64u
#define CFG_AUDIENCES_MAX 16u
#define CFG_AUTH_TIMEOUT_DEFAULT 5u
#define CFG_AUTH_TIMEOUT_MAX 120u
#define CFG_JWT_LEEWAY_MAX 3600u
#define CFG_SSL_TIMEOUT_DEFAULT 10u   /* seconds for the TLS handshake */
#define CFG_SSL_TIMEOUT_MAX 600u

struct config {
	const char *port;                      /* --port, NULL unless listening */
	const char *addresses[CFG_ADDRESSES_MAX];
	size_t naddresses;
	unsigned maxforks;
	unsigned handler_reuse;                /* connections per listener handler, >= 1;
						* 1 with --ssl or --handoff */
	enum ws_mode mode;
	const char *protocols[WS_PROTOCOLS_MAX];
	size_t nprotocols;
	bool require_protocol;
	uint64_t max_message;
	size_t max_request;
	size_t max_headers;
	unsigned request_timeout;              /* seconds */
	unsigned ping_interval;                /* seconds, 0 = off */
	unsigned closems;
	const char *passenv[WS_PASSENV_MAX];
	size_t npassenv;
	const char *headers[WS_EXTRA_HEADERS_MAX];      /* --header: every response */
	size_t nheaders;
	const char *headers_ws[WS_EXTRA_HEADERS_MAX];   /* --header-ws: the 101 only */
	size_t nheaders_ws;
	const char *headers_http[WS_EXTRA_HEADERS_MAX]; /* --header-http: other answers */
	size_t nheaders_http;
	struct cidr trust_proxy[CFG_TRUST_MAX];
	size_t ntrust_proxy;
	bool handoff;
	/* Policy at the handshake (origin.c, auth.c); README "Security model". */
	const char *origins[CFG_ORIGINS_MAX];   /* --origin entries */
	size_t norigins;
	bool sameorigin;                       /* --sameorigin */
	bool require_origin;                   /* --require-origin */
	const char *auth_query;                /* --auth-query=NAME */
	const char *auth_cookie;               /* --auth-cookie=NAME */
	bool auth_pass_token;                  /* --auth-pass-token */
	const char *jwt_key;                   /* --jwt-key=FILE (read by auth_init) */
	const char *jwt_algs;                  /* --jwt-alg=LIST, NULL: the key's own */
	unsigned jwt_leeway;                   /* seconds */
	const char *jwt_issuer;
	const char *jwt_audiences[CFG_AUDIENCES_MAX];
	size_t njwt_audiences;
	const char *auth_command;              /* --auth-command=PROG */
	unsigned auth_timeout;                 /* seconds */
	bool auth_reject_close;                /* --auth-reject=close */
	void *auth;                            /* auth_init's state (the JWT key) */
	/* permessage-deflate (RFC 7692) */
	bool deflate;                          /* --deflate=on|off */
	unsigned deflate_window_bits;          /* 9..15 */
	bool deflate_no_context_takeover;
	uint64_t deflate_min_size;             /* smaller messages go out uncompressed */
	int deflate_level;                     /* 0..9 */
	/* Plain HTTP on the same port (http_plain.c); NULL/false when not given. */
	bool devconsole;                       /* --devconsole */
	const char *staticdir;                 /* --staticdir=DIR */
	const char *cgidir;                    /* --cgidir=DIR */
	const char *dir;                       /* --dir=DIR: /name runs DIR/name; then
	                                          program and argv are NULL */
	uint64_t max_cgi_body;                 /* --max-cgi-body */
	/* TLS (tls.c): websocketd's --ssl/--sslcert/--sslkey, plus ours. */
	bool ssl;                              /* --ssl */
	const char *sslcert, *sslkey;          /* PEM files (or credential names) */
	const char *sslca;                     /* --sslca: verify client certificates */
	bool ssl_verify_optional;              /* --ssl-verify=optional */
	const char *ssl_ticket_keys;           /* --ssl-ticket-keys=FILE */
	unsigned ssl_timeout;                  /* --ssl-timeout: handshake deadline, s */
	int loglevel;
	void *tree;                            /* the --config JSON tree (json_t); option
	                                          strings from the file point into it */
	const char *program;                   /* resolved path to exec */
	char **argv;                           /* program argv (argv[0] as given) */
};

/* Parse argv into *out. Returns 0, 1 when --help/--version was printed (exit 0), or -1
 * after writing one line to stderr (exit 2). */
int config_parse(int argc, char **argv, struct config *out);

/* True if addr (AF_INET/AF_INET6 bytes) lies in one of the --trust-proxy ranges. */
bool config_trusts(const struct config *c, int family, const uint8_t *addr);

/* "NAME=VALUE" (malloc'd, the caller frees) for each --passenv name set in our own
 * environment; returns how many were stored in out[0..WS_PASSENV_MAX). */
size_t config_passenv(const struct config *c, char **out);

/* One precise line on stderr for a bad option or value ("wsinetd: ... (see wsinetd
 * --help)"); returns -1 so start-up checks can `return config_usage_error(...)`. */
__attribute__((format(printf, 1, 2)))
int config_usage_error(const char *fmt, ...);

#endif
