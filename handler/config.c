/* config.c - argv and --config=FILE (a JSON object) into struct config.
 * Option names and meanings follow websocketd where it has them. Both "--opt=value" and
 * "--opt value" work; a single leading dash works too ("-port=8080"), as Go's flag
 * package accepts it and websocketd command lines use it. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deflate.h"
#include "log.h"
#include "origin.h"
#include "pmd.h"

enum opt_id {
	O_PORT, O_ADDRESS, O_MAXFORKS, O_HANDLER_REUSE, O_BINARY, O_JSON, O_PROTOCOL, O_REQUIRE_PROTOCOL,
	O_MAX_MESSAGE, O_MAX_REQUEST, O_MAX_HEADERS, O_REQUEST_TIMEOUT, O_PING_INTERVAL,
	O_CLOSEMS, O_PASSENV, O_HEADER, O_HEADER_WS, O_HEADER_HTTP, O_TRUST_PROXY, O_HANDOFF,
	O_CONFIG, O_LOGLEVEL, O_HELP, O_VERSION,
	O_ORIGIN, O_SAMEORIGIN, O_REQUIRE_ORIGIN, O_AUTH_QUERY, O_AUTH_COOKIE, O_AUTH_PASS_TOKEN,
	O_JWT_KEY, O_JWT_ALG, O_JWT_LEEWAY, O_JWT_ISSUER, O_JWT_AUDIENCE, O_AUTH_COMMAND,
	O_AUTH_TIMEOUT, O_AUTH_REJECT,
	O_DEFLATE, O_DEFLATE_WINDOW_BITS, O_DEFLATE_NO_CONTEXT_TAKEOVER, O_DEFLATE_MIN_SIZE,
	O_DEFLATE_LEVEL,
	O_DEVCONSOLE, O_STATICDIR, O_CGIDIR, O_DIR, O_MAX_CGI_BODY,
	O_SSL, O_SSLCERT, O_SSLKEY, O_SSLCA, O_SSL_VERIFY, O_SSL_TICKET_KEYS, O_SSL_TIMEOUT,
};

enum opt_kind { K_FLAG, K_VALUE };

struct optdef {
	const char *name;
	enum opt_id id;
	enum opt_kind kind;
	const char *arg;   /* metavariable in --help */
	const char *def;   /* default shown in --help */
	const char *help;
};

static const struct optdef opts[] = {
	{ "port", O_PORT, K_VALUE, "PORT", "none: serve the connection on stdin/stdout or fd 3",
	  "listen on PORT; handlers forked ahead serve the connections (--handler-reuse)" },
	{ "address", O_ADDRESS, K_VALUE, "ADDR", "all addresses",
	  "with --port: address to bind (repeatable; [::1] for IPv6)" },
	{ "maxforks", O_MAXFORKS, K_VALUE, "N", "0 (unlimited)",
	  "listener: at most N handlers at once; past it answer 429" },
	{ "handler-reuse", O_HANDLER_REUSE, K_VALUE, "N", "100; 1 with --ssl",
	  "listener: a handler serves up to N connections one after another, each with a fresh "
	  "program; 1: a fresh process per connection" },
	{ "binary", O_BINARY, K_FLAG, NULL, "off",
	  "binary mode: message bytes in, stdout bytes out as binary messages" },
	{ "json", O_JSON, K_FLAG, NULL, "off",
	  "JSON mode: one {\"type\",\"data\"} object per line each way" },
	{ "protocol", O_PROTOCOL, K_VALUE, "P1,P2", "none",
	  "subprotocols we speak, our preference first" },
	{ "require-protocol", O_REQUIRE_PROTOCOL, K_FLAG, NULL, "off",
	  "refuse (400) a client that offers none of --protocol" },
	{ "max-message", O_MAX_MESSAGE, K_VALUE, "BYTES", "1M",
	  "largest message either way (K/M/G suffixes); past it close 1009" },
	{ "deflate", O_DEFLATE, K_VALUE, "on|off", "on",
	  "permessage-deflate compression (RFC 7692) when the client offers it" },
	{ "deflate-window-bits", O_DEFLATE_WINDOW_BITS, K_VALUE, "9..15", "15",
	  "largest LZ77 window (2^N bytes) we compress with and ask the client to keep to" },
	{ "deflate-no-context-takeover", O_DEFLATE_NO_CONTEXT_TAKEOVER, K_FLAG, NULL, "off",
	  "compress each message on its own, both ways (less memory, less compression)" },
	{ "deflate-min-size", O_DEFLATE_MIN_SIZE, K_VALUE, "BYTES", "1K",
	  "messages we send below this size go out uncompressed" },
	{ "deflate-level", O_DEFLATE_LEVEL, K_VALUE, "0..9", "6",
	  "zlib compression level for what we send" },
	{ "max-request", O_MAX_REQUEST, K_VALUE, "BYTES", "16K",
	  "largest HTTP request head; past it 431" },
	{ "max-headers", O_MAX_HEADERS, K_VALUE, "N", "100",
	  "most header lines in a request; past it 431" },
	{ "request-timeout", O_REQUEST_TIMEOUT, K_VALUE, "SECONDS", "10",
	  "time to receive the request head; past it 408" },
	{ "ping-interval", O_PING_INTERVAL, K_VALUE, "SECONDS", "30",
	  "keepalive ping period, 0 off; a peer silent for two periods is dropped" },
	{ "closems", O_CLOSEMS, K_VALUE, "MS", "0",
	  "extra grace before SIGINT/SIGTERM/SIGKILL (sent at MS+100/250/500 ms)" },
	{ "passenv", O_PASSENV, K_VALUE, "VAR,VAR", "PATH,LANG",
	  "variables of our environment passed to the program" },
	{ "header", O_HEADER, K_VALUE, "'NAME: VALUE'", "none",
	  "extra header on every response (repeatable)" },
	{ "header-ws", O_HEADER_WS, K_VALUE, "'NAME: VALUE'", "none",
	  "extra header on the 101 upgrade response only (repeatable)" },
	{ "header-http", O_HEADER_HTTP, K_VALUE, "'NAME: VALUE'", "none",
	  "extra header on plain HTTP answers only (repeatable)" },
	{ "trust-proxy", O_TRUST_PROXY, K_VALUE, "CIDR", "none",
	  "from a proxy in CIDR believe X-Forwarded-For and -Proto (repeatable)" },
	{ "origin", O_ORIGIN, K_VALUE, "LIST", "same-origin with Host",
	  "allowed Origins: scheme://host[:port], host[:port], *.domain, null, * (repeatable)" },
	{ "sameorigin", O_SAMEORIGIN, K_FLAG, NULL, "off",
	  "with --origin: the Origin must also be same-origin with Host (websocketd)" },
	{ "require-origin", O_REQUIRE_ORIGIN, K_FLAG, NULL, "off",
	  "refuse (403) requests without an Origin header (non-browser clients)" },
	{ "auth-query", O_AUTH_QUERY, K_VALUE, "NAME", "none",
	  "also take the token from query parameter NAME" },
	{ "auth-cookie", O_AUTH_COOKIE, K_VALUE, "NAME", "none",
	  "also take the token from cookie NAME" },
	{ "auth-pass-token", O_AUTH_PASS_TOKEN, K_FLAG, NULL, "off",
	  "leave the token in the program's environment (Authorization, query, cookie)" },
	{ "jwt-key", O_JWT_KEY, K_VALUE, "FILE", "none",
	  "verify a JWT with this HMAC secret or PEM public key" },
	{ "jwt-alg", O_JWT_ALG, K_VALUE, "LIST", "those the key fits",
	  "allowed JWT algorithms (HS256/384/512 RS256/384/512 PS256 ES256/384 EdDSA)" },
	{ "jwt-leeway", O_JWT_LEEWAY, K_VALUE, "SECONDS", "0",
	  "clock skew allowed for exp and nbf" },
	{ "jwt-issuer", O_JWT_ISSUER, K_VALUE, "ISS", "any",
	  "required iss claim" },
	{ "jwt-audience", O_JWT_AUDIENCE, K_VALUE, "AUD", "any",
	  "the aud claim must name this (repeatable: any of them)" },
	{ "auth-command", O_AUTH_COMMAND, K_VALUE, "PROG", "none",
	  "run PROG with WS_AUTH_TOKEN: exit 0 accepts (stdout line: user or JSON claims), 3 forbids" },
	{ "auth-timeout", O_AUTH_TIMEOUT, K_VALUE, "SECONDS", "5",
	  "--auth-command time limit; past it the command is killed and the client refused" },
	{ "auth-reject", O_AUTH_REJECT, K_VALUE, "status|close", "status",
	  "refuse with 401/403, or upgrade and Close 4001/4003 (browsers can read the code)" },
	{ "handoff", O_HANDOFF, K_FLAG, NULL, "off",
	  "after the handshake exec PROGRAM with the connection as stdin/stdout" },
	{ "dir", O_DIR, K_VALUE, "DIR", "none",
	  "instead of PROGRAM: /name/extra runs the executable DIR/name (SCRIPT_NAME, PATH_INFO)" },
	{ "devconsole", O_DEVCONSOLE, K_FLAG, NULL, "off",
	  "a plain GET of an endpoint gets a browser console to try it (not with --staticdir/--cgidir)" },
	{ "staticdir", O_STATICDIR, K_VALUE, "DIR", "none",
	  "serve the files of DIR to plain HTTP GET/HEAD requests" },
	{ "cgidir", O_CGIDIR, K_VALUE, "DIR", "none",
	  "plain HTTP /name/extra runs DIR/name as a CGI script (RFC 3875)" },
	{ "max-cgi-body", O_MAX_CGI_BODY, K_VALUE, "BYTES", "1M",
	  "largest request body for a CGI script (K/M/G suffixes); past it 413" },
	{ "ssl", O_SSL, K_FLAG, NULL, "off",
	  "TLS on the connection (wss://, https://); needs --sslcert and --sslkey" },
	{ "sslcert", O_SSLCERT, K_VALUE, "FILE", "none",
	  "PEM certificate, chain after it (a name without / is read from $CREDENTIALS_DIRECTORY)" },
	{ "sslkey", O_SSLKEY, K_VALUE, "FILE", "none",
	  "PEM private key of --sslcert, unencrypted" },
	{ "sslca", O_SSLCA, K_VALUE, "FILE", "none",
	  "ask for a client certificate and verify it with these PEM CA certificates" },
	{ "ssl-verify", O_SSL_VERIFY, K_VALUE, "require|optional", "require",
	  "with --sslca: refuse clients without a valid certificate, or let them in (SSL_CLIENT_VERIFY)" },
	{ "ssl-ticket-keys", O_SSL_TICKET_KEYS, K_VALUE, "FILE", "none",
	  "session ticket keys shared by the endpoint's handlers (80 bytes each: openssl rand 80)" },
	{ "ssl-timeout", O_SSL_TIMEOUT, K_VALUE, "SECONDS", "10",
	  "time for the TLS handshake; past it the connection is dropped" },
	{ "config", O_CONFIG, K_VALUE, "FILE", "none",
	  "read options from a JSON object (keys are option names); command line wins" },
	{ "loglevel", O_LOGLEVEL, K_VALUE, "LEVEL", "access",
	  "debug, trace, access, info, error or fatal" },
	{ "help", O_HELP, K_FLAG, NULL, NULL, "print this help and exit" },
	{ "version", O_VERSION, K_FLAG, NULL, NULL, "print the version and exit" },
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

int config_usage_error(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "wsinetd: %s (see wsinetd --help)\n", line);
	return -1;
}


size_t config_passenv(const struct config *c, char **out)
{
	size_t n = 0;
	for (size_t i = 0; i < c->npassenv && n < WS_PASSENV_MAX; i++) {
		const char *v = getenv(c->passenv[i]);
		if (v == NULL)
			continue;
		size_t len = strlen(c->passenv[i]) + strlen(v) + 2;
		char *e = malloc(len);
		if (e == NULL)
			continue;
		snprintf(e, len, "%s=%s", c->passenv[i], v);
		out[n++] = e;
	}
	return n;
}

static const struct optdef *find_opt(const char *name, size_t len)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (strlen(opts[i].name) == len && memcmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: wsinetd [OPTION]... [--] PROGRAM [ARG]...\n"
		   "Serve one WebSocket connection on stdin/stdout (inetd, systemd Accept=yes),\n"
		   "on fd 3 (LISTEN_FDS), or listen with --port; relay messages to PROGRAM.\n\n"
		   "Options (--opt=VALUE or --opt VALUE):\n");
	for (size_t i = 0; i < NOPTS; i++) {
		char left[64];
		if (opts[i].arg)
			snprintf(left, sizeof(left), "--%s=%s", opts[i].name, opts[i].arg);
		else
			snprintf(left, sizeof(left), "--%s", opts[i].name);
		fprintf(f, "  %-30s %s", left, opts[i].help);
		if (opts[i].def)
			fprintf(f, " [default: %s]", opts[i].def);
		fputc('\n', f);
	}
	fprintf(f, "\nExit status: 0 clean close, 1 program failed or peer broke the protocol,\n"
		   "2 usage error, 3 handshake refused, 4 timeout, 5 system error.\n");
}

/* Strict unsigned parse with an optional K/M/G (1024-based) suffix when `sized`. */
static int parse_u64(const char *name, const char *v, uint64_t max, int sized, uint64_t *out)
{
	if (v[0] < '0' || v[0] > '9')
		return config_usage_error("--%s: '%s' is not a non-negative number", name, v);
	errno = 0;
	char *end;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno != 0)
		return config_usage_error("--%s: '%s' is out of range (at most %llu)", name, v,
			   (unsigned long long)max);
	uint64_t mult = 1;
	if (sized && *end != '\0' && end[1] == '\0') {
		switch (*end) {
		case 'k': case 'K': mult = 1024u; end++; break;
		case 'm': case 'M': mult = 1024u * 1024u; end++; break;
		case 'g': case 'G': mult = 1024u * 1024u * 1024u; end++; break;
		default: break;
		}
	}
	if (*end != '\0')
		return config_usage_error("--%s: '%s' is not a number%s", name, v, sized ? " (suffixes: K, M, G)" : "");
	if (n > max / mult)
		return config_usage_error("--%s: '%s' is too large (at most %llu)", name, v, (unsigned long long)max);
	*out = n * mult;
	return 0;
}

static int parse_bool(const char *name, const char *v, bool *out)
{
	if (v == NULL || strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "yes") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0 || strcmp(v, "no") == 0) {
		*out = false;
		return 0;
	}
	return config_usage_error("--%s: '%s' is not true or false", name, v);
}

/* Split a comma list into `arr` (strdup'd items, empty items skipped). */
static int split_list(const char *name, const char *v, const char **arr, size_t max, size_t *n,
		      int (*check)(const char *name, const char *item))
{
	*n = 0;
	const char *p = v;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len > 0) {
			if (*n >= max)
				return config_usage_error("--%s: more than %zu items", name, max);
			char *item = strndup(p, len);
			if (item == NULL)
				return config_usage_error("out of memory");
			if (check && check(name, item) != 0)
				return -1;
			arr[(*n)++] = item;
		}
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

static int check_token(const char *name, const char *s)
{
	/* RFC 7230 tchar: a subprotocol must be a token (RFC 6455 4.1). */
	for (const char *p = s; *p; p++)
		if (!strchr("!#$%&'*+-.^_`|~", *p) && !(*p >= '0' && *p <= '9') &&
		    !(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z'))
			return config_usage_error("--%s: '%s' is not a valid token", name, s);
	return 0;
}

static int check_envname(const char *name, const char *s)
{
	for (const char *p = s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return config_usage_error("--%s: '%s' is not a variable name", name, s);
	return 0;
}

static int check_origin(const char *name, const char *s)
{
	const char *why;
	if (!origin_entry_ok(s, &why))
		return config_usage_error("--%s: '%s': %s", name, s, why);
	return 0;
}

static int add_header(const char *name, const char *v, const char **arr, size_t *n)
{
	const char *colon = strchr(v, ':');
	if (colon == NULL || colon == v)
		return config_usage_error("--%s: '%s' is not 'Name: value'", name, v);
	for (const char *p = v; p < colon; p++)
		if (check_token(name, (char[]){ *p, 0 }) != 0)
			return -1;
	for (const char *p = colon; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return config_usage_error("--%s: control character in header value", name);
	if (*n >= WS_EXTRA_HEADERS_MAX)
		return config_usage_error("--%s: more than %u headers", name, WS_EXTRA_HEADERS_MAX);
	arr[(*n)++] = v;
	return 0;
}

static int parse_cidr(const char *name, const char *v, struct cidr *c)
{
	char tmp[INET6_ADDRSTRLEN + 8];
	if (strlen(v) >= sizeof(tmp))
		return config_usage_error("--%s: '%s' is not an address or CIDR", name, v);
	strcpy(tmp, v);
	char *slash = strchr(tmp, '/');
	if (slash)
		*slash = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, tmp, c->addr) == 1) {
		c->family = AF_INET;
		c->prefix = 32;
	} else if (inet_pton(AF_INET6, tmp, c->addr) == 1) {
		c->family = AF_INET6;
		c->prefix = 128;
	} else {
		return config_usage_error("--%s: '%s' is not an address or CIDR", name, v);
	}
	if (slash) {
		uint64_t p;
		if (parse_u64(name, slash + 1, c->prefix, 0, &p) != 0)
			return -1;
		c->prefix = (unsigned)p;
	}
	return 0;
}

bool config_trusts(const struct config *c, int family, const uint8_t *addr)
{
	for (size_t i = 0; i < c->ntrust_proxy; i++) {
		const struct cidr *r = &c->trust_proxy[i];
		if (r->family != family)
			continue;
		unsigned bits = r->prefix, k = 0;
		for (; bits >= 8; bits -= 8, k++)
			if (r->addr[k] != addr[k])
				goto next;
		if (bits && ((r->addr[k] ^ addr[k]) & (uint8_t)(0xffu << (8 - bits))))
			goto next;
		return true;
next:;
	}
	return false;
}

/* What was set from the command line, so the config file does not override it. */
struct seen {
	bool on_cli[NOPTS];
	bool list_cleared[NOPTS];
};

static int apply(struct config *c, const struct optdef *o, const char *v, int from_cli,
		 struct seen *s)
{
	size_t idx = (size_t)(o - opts);
	if (!from_cli && s->on_cli[idx])
		return 0;
	if (from_cli) {
		s->on_cli[idx] = true;
		/* A repeatable option given on the command line replaces the file's list. */
		if (!s->list_cleared[idx]) {
			s->list_cleared[idx] = true;
			switch (o->id) {
			case O_ADDRESS: c->naddresses = 0; break;
			case O_HEADER: c->nheaders = 0; break;
			case O_HEADER_WS: c->nheaders_ws = 0; break;
			case O_HEADER_HTTP: c->nheaders_http = 0; break;
			case O_TRUST_PROXY: c->ntrust_proxy = 0; break;
			case O_ORIGIN: c->norigins = 0; break;
			case O_JWT_AUDIENCE: c->njwt_audiences = 0; break;
			default: break;
			}
		}
	}
	uint64_t n;
	bool b;
	switch (o->id) {
	case O_PORT:
		if (parse_u64(o->name, v, 65535, 0, &n) != 0)
			return -1;
		if (n == 0)
			return config_usage_error("--port: 0 is not a port");
		c->port = v;
		return 0;
	case O_ADDRESS:
		if (c->naddresses >= CFG_ADDRESSES_MAX)
			return config_usage_error("--address: more than %u addresses", CFG_ADDRESSES_MAX);
		if (*v == '\0')
			return config_usage_error("--address: empty address");
		c->addresses[c->naddresses++] = v;
		return 0;
	case O_MAXFORKS:
		if (parse_u64(o->name, v, WS_MAXFORKS_MAX, 0, &n) != 0)
			return -1;
		c->maxforks = (unsigned)n;
		return 0;
	case O_HANDLER_REUSE:
		if (parse_u64(o->name, v, WS_HANDLER_REUSE_MAX, 0, &n) != 0)
			return -1;
		if (n == 0)
			return config_usage_error("--handler-reuse: 0 connections; 1 is a fresh process "
						  "per connection");
		c->handler_reuse = (unsigned)n;
		return 0;
	case O_BINARY:
	case O_JSON:
		if (parse_bool(o->name, v, &b) != 0)
			return -1;
		if (b)
			c->mode = o->id == O_BINARY ? MODE_BINARY : MODE_JSON;
		else if (c->mode == (o->id == O_BINARY ? MODE_BINARY : MODE_JSON))
			c->mode = MODE_LINES;
		return 0;
	case O_PROTOCOL:
		return split_list(o->name, v, c->protocols, WS_PROTOCOLS_MAX, &c->nprotocols, check_token);
	case O_REQUIRE_PROTOCOL:
		return parse_bool(o->name, v, &c->require_protocol);
	case O_MAX_MESSAGE:
		if (parse_u64(o->name, v, WS_MESSAGE_MAX, 1, &n) != 0)
			return -1;
		if (n == 0)
			return config_usage_error("--max-message: must be at least 1");
		c->max_message = n;
		return 0;
	case O_MAX_REQUEST:
		if (parse_u64(o->name, v, WS_REQUEST_BYTES_MAX, 1, &n) != 0)
			return -1;
		if (n < 64)
			return config_usage_error("--max-request: must be at least 64 bytes");
		c->max_request = (size_t)n;
		return 0;
	case O_MAX_HEADERS:
		if (parse_u64(o->name, v, WS_HEADERS_MAX, 0, &n) != 0)
			return -1;
		if (n < 4)
			return config_usage_error("--max-headers: must be at least 4");
		c->max_headers = (size_t)n;
		return 0;
	case O_REQUEST_TIMEOUT:
		if (parse_u64(o->name, v, WS_REQUEST_TIMEOUT_MAX, 0, &n) != 0)
			return -1;
		if (n == 0)
			return config_usage_error("--request-timeout: must be at least 1 second");
		c->request_timeout = (unsigned)n;
		return 0;
	case O_PING_INTERVAL:
		if (parse_u64(o->name, v, WS_PING_INTERVAL_MAX, 0, &n) != 0)
			return -1;
		c->ping_interval = (unsigned)n;
		return 0;
	case O_CLOSEMS:
		if (parse_u64(o->name, v, WS_CLOSEMS_MAX, 0, &n) != 0)
			return -1;
		c->closems = (unsigned)n;
		return 0;
	case O_PASSENV:
		return split_list(o->name, v, c->passenv, WS_PASSENV_MAX, &c->npassenv, check_envname);
	case O_HEADER:
		return add_header(o->name, v, c->headers, &c->nheaders);
	case O_HEADER_WS:
		return add_header(o->name, v, c->headers_ws, &c->nheaders_ws);
	case O_HEADER_HTTP:
		return add_header(o->name, v, c->headers_http, &c->nheaders_http);
	case O_TRUST_PROXY:
		if (c->ntrust_proxy >= CFG_TRUST_MAX)
			return config_usage_error("--trust-proxy: more than %u ranges", CFG_TRUST_MAX);
		return parse_cidr(o->name, v, &c->trust_proxy[c->ntrust_proxy++]);
	case O_DEFLATE:
		if (strcmp(v, "on") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 ||
		    strcmp(v, "1") == 0)
			c->deflate = true;
		else if (strcmp(v, "off") == 0 || strcmp(v, "false") == 0 || strcmp(v, "no") == 0 ||
			 strcmp(v, "0") == 0)
			c->deflate = false;
		else
			return config_usage_error("--deflate: '%s' is not on or off", v);
		return 0;
	case O_DEFLATE_WINDOW_BITS:
		if (parse_u64(o->name, v, 15, 0, &n) != 0)
			return -1;
		if (n < PMD_ZLIB_MIN_BITS)
			return config_usage_error("--deflate-window-bits: %s is below 9 (zlib cannot deflate with "
				   "a 256-byte window)", v);
		c->deflate_window_bits = (unsigned)n;
		return 0;
	case O_DEFLATE_NO_CONTEXT_TAKEOVER:
		return parse_bool(o->name, v, &c->deflate_no_context_takeover);
	case O_DEFLATE_MIN_SIZE:
		if (parse_u64(o->name, v, WS_MESSAGE_MAX, 1, &n) != 0)
			return -1;
		c->deflate_min_size = n;
		return 0;
	case O_DEFLATE_LEVEL:
		if (parse_u64(o->name, v, 9, 0, &n) != 0)
			return -1;
		c->deflate_level = (int)n;
		return 0;
	case O_ORIGIN: {
		const char *items[CFG_ORIGINS_MAX];
		size_t ni;
		if (split_list(o->name, v, items, CFG_ORIGINS_MAX, &ni, check_origin) != 0)
			return -1;
		if (ni == 0)
			return config_usage_error("--origin: empty list");
		for (size_t k = 0; k < ni; k++) {
			if (c->norigins >= CFG_ORIGINS_MAX)
				return config_usage_error("--origin: more than %u entries", CFG_ORIGINS_MAX);
			c->origins[c->norigins++] = items[k];
		}
		return 0;
	}
	case O_SAMEORIGIN:
		return parse_bool(o->name, v, &c->sameorigin);
	case O_REQUIRE_ORIGIN:
		return parse_bool(o->name, v, &c->require_origin);
	case O_AUTH_QUERY:
	case O_AUTH_COOKIE:
		if (*v == '\0' || strlen(v) > 128 || check_token(o->name, v) != 0)
			return config_usage_error("--%s: '%s' is not a name", o->name, v);
		*(o->id == O_AUTH_QUERY ? &c->auth_query : &c->auth_cookie) = v;
		return 0;
	case O_AUTH_PASS_TOKEN:
		return parse_bool(o->name, v, &c->auth_pass_token);
	case O_JWT_KEY:
	case O_AUTH_COMMAND:
		if (*v == '\0')
			return config_usage_error("--%s: empty", o->name);
		*(o->id == O_JWT_KEY ? &c->jwt_key : &c->auth_command) = v;
		return 0;
	case O_JWT_ALG:
		c->jwt_algs = v; /* names checked by auth_init */
		return 0;
	case O_JWT_LEEWAY:
		if (parse_u64(o->name, v, CFG_JWT_LEEWAY_MAX, 0, &n) != 0)
			return -1;
		c->jwt_leeway = (unsigned)n;
		return 0;
	case O_JWT_ISSUER:
		if (*v == '\0')
			return config_usage_error("--jwt-issuer: empty");
		c->jwt_issuer = v;
		return 0;
	case O_JWT_AUDIENCE:
		if (*v == '\0')
			return config_usage_error("--jwt-audience: empty");
		if (c->njwt_audiences >= CFG_AUDIENCES_MAX)
			return config_usage_error("--jwt-audience: more than %u", CFG_AUDIENCES_MAX);
		c->jwt_audiences[c->njwt_audiences++] = v;
		return 0;
	case O_AUTH_TIMEOUT:
		if (parse_u64(o->name, v, CFG_AUTH_TIMEOUT_MAX, 0, &n) != 0)
			return -1;
		if (n == 0)
			return config_usage_error("--auth-timeout: must be at least 1 second");
		c->auth_timeout = (unsigned)n;
		return 0;
	case O_AUTH_REJECT:
		if (strcmp(v, "status") == 0)
			c->auth_reject_close = false;
		else if (strcmp(v, "close") == 0)
			c->auth_reject_close = true;
		else
			return config_usage_error("--auth-reject: '%s' is not status or close", v);
		return 0;
	case O_HANDOFF:
		return parse_bool(o->name, v, &c->handoff);
	case O_DEVCONSOLE:
		return parse_bool(o->name, v, &c->devconsole);
	case O_STATICDIR:
	case O_CGIDIR:
	case O_DIR: {
		struct stat st;
		if (*v == '\0' || stat(v, &st) != 0 || !S_ISDIR(st.st_mode))
			return config_usage_error("--%s: %s is not a directory", o->name, v);
		*(o->id == O_STATICDIR ? &c->staticdir : o->id == O_CGIDIR ? &c->cgidir : &c->dir) = v;
		return 0;
	}
	case O_MAX_CGI_BODY:
		if (parse_u64(o->name, v, WS_CGI_BODY_MAX, 1, &n) != 0)
			return -1;
		c->max_cgi_body = n;
		return 0;
	case O_SSL:
		return parse_bool(o->name, v, &c->ssl);
	case O_SSLCERT:
	case O_SSLKEY:
	case O_SSLCA:
	case O_SSL_TICKET_KEYS:
		/* Read (and checked) by tls_init at start-up. */
		if (*v == '\0')
			return config_usage_error("--%s: empty file name", o->name);
		*(o->id == O_SSLCERT ? &c->sslcert : o->id == O_SSLKEY ? &c->sslkey :
		  o->id == O_SSLCA ? &c->sslca : &c->ssl_ticket_keys) = v;
		return 0;
	case O_SSL_VERIFY:
		if (strcmp(v, "require") != 0 && strcmp(v, "optional") != 0)
			return config_usage_error("--ssl-verify: '%s' is not require or optional", v);
		c->ssl_verify_optional = strcmp(v, "optional") == 0;
		return 0;
	case O_SSL_TIMEOUT:
		if (parse_u64(o->name, v, CFG_SSL_TIMEOUT_MAX, 0, &n) != 0)
			return -1;
		if (n == 0)
			return config_usage_error("--ssl-timeout: must be at least 1 second");
		c->ssl_timeout = (unsigned)n;
		return 0;
	case O_LOGLEVEL: {
		int l = log_level_parse(v);
		if (l < 0)
			return config_usage_error("--loglevel: '%s' is not one of debug, trace, access, info, error, fatal", v);
		c->loglevel = l;
		return 0;
	}
	case O_CONFIG:
	case O_HELP:
	case O_VERSION:
		return 0;
	}
	return 0;
}

/* One JSON value of the config file → option values (arrays for repeatable ones). */
static int apply_json(struct config *c, const struct optdef *o, json_t *val, struct seen *s,
		      const char *file)
{
	if (json_is_array(val)) {
		if (o->id != O_ADDRESS && o->id != O_HEADER && o->id != O_HEADER_WS &&
		    o->id != O_HEADER_HTTP && o->id != O_TRUST_PROXY && o->id != O_PROTOCOL &&
		    o->id != O_ORIGIN && o->id != O_JWT_AUDIENCE &&
		    o->id != O_PASSENV)
			return config_usage_error("%s: \"%s\" takes one value, not a list", file, o->name);
		size_t i;
		json_t *item;
		if (o->id == O_PROTOCOL || o->id == O_PASSENV) {
			/* Join to the comma form the command line uses. */
			size_t total = 1;
			json_array_foreach(val, i, item) {
				if (!json_is_string(item))
					return config_usage_error("%s: \"%s\" list items must be strings", file, o->name);
				total += json_string_length(item) + 1;
			}
			char *joined = calloc(1, total);
			if (joined == NULL)
				return config_usage_error("out of memory");
			json_array_foreach(val, i, item) {
				if (i)
					strcat(joined, ",");
				strcat(joined, json_string_value(item));
			}
			/* split_list copies the items. */
			int r = apply(c, o, joined, 0, s);
			free(joined);
			return r;
		}
		json_array_foreach(val, i, item) {
			if (!json_is_string(item))
				return config_usage_error("%s: \"%s\" list items must be strings", file, o->name);
			if (apply(c, o, json_string_value(item), 0, s) != 0)
				return -1;
		}
		return 0;
	}
	const char *v;
	if (json_is_string(val))
		v = json_string_value(val);
	else if (json_is_integer(val) && json_integer_value(val) >= 0) {
		/* Each key appears once (duplicates are rejected), so one static buffer per
		 * option holds its number as a string for the process lifetime. */
		static char numbers[NOPTS][24];
		char *num = numbers[o - opts];
		snprintf(num, sizeof(numbers[0]), "%lld", (long long)json_integer_value(val));
		v = num;
	} else if (json_is_boolean(val)) {
		v = json_is_true(val) ? "true" : "false";
	} else {
		return config_usage_error("%s: \"%s\" has a value of the wrong type", file, o->name);
	}
	if (v == NULL)
		return config_usage_error("out of memory");
	if (o->kind == K_VALUE && json_is_boolean(val))
		return config_usage_error("%s: \"%s\" needs a value, not true/false", file, o->name);
	return apply(c, o, v, 0, s);
}

static int load_config_file(struct config *c, const char *file, struct seen *s)
{
	struct stat st;
	if (stat(file, &st) != 0)
		return config_usage_error("--config: cannot read %s: %s", file, strerror(errno));
	if (st.st_size > (off_t)WS_CONFIG_BYTES_MAX)
		return config_usage_error("--config: %s is larger than %u bytes", file, WS_CONFIG_BYTES_MAX);
	json_error_t jerr;
	json_t *root = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return config_usage_error("--config: %s:%d: %s", file, jerr.line, jerr.text);
	c->tree = root; /* kept for the process lifetime: option strings point into it */
	if (!json_is_object(root))
		return config_usage_error("--config: %s: the top level must be a JSON object", file);
	const char *key;
	json_t *val;
	json_object_foreach(root, key, val) {
		if (strcmp(key, "program") == 0) {
			/* "program": ["/path/prog", "arg"...], used when argv names none. */
			if (!json_is_array(val) || json_array_size(val) == 0)
				return config_usage_error("--config: %s: \"program\" must be a non-empty array of strings", file);
			/* The command line's PROGRAM, if any, replaces this later. */
			char **pv = c->argv = calloc(json_array_size(val) + 1, sizeof(char *));
			if (pv == NULL)
				return config_usage_error("out of memory");
			size_t i;
			json_t *item;
			json_array_foreach(val, i, item) {
				if (!json_is_string(item))
					return config_usage_error("--config: %s: \"program\" must be strings", file);
				pv[i] = (char *)json_string_value(item);
			}
			continue;
		}
		const struct optdef *o = find_opt(key, strlen(key));
		if (o == NULL || o->id == O_CONFIG || o->id == O_HELP || o->id == O_VERSION)
			return config_usage_error("--config: %s: unknown option \"%s\"", file, key);
		if (apply_json(c, o, val, s, file) != 0)
			return -1;
	}
	return 0;
}

/* PROGRAM without a slash is looked up in PATH now, so a typo fails at start-up with
 * exit 2 instead of at the first connection. */
static int resolve_program(struct config *c)
{
	const char *p = c->argv[0];
	if (*p == '\0')
		return config_usage_error("empty program name");
	if (strchr(p, '/')) {
		if (access(p, X_OK) != 0)
			return config_usage_error("program %s: %s", p, strerror(errno));
		c->program = p;
		return 0;
	}
	const char *path = getenv("PATH");
	if (path == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	size_t plen = strlen(p);
	while (*path) {
		const char *e = strchr(path, ':');
		size_t dl = e ? (size_t)(e - path) : strlen(path);
		char *cand = malloc(dl + plen + 3);
		if (cand == NULL)
			return config_usage_error("out of memory");
		if (dl == 0)
			sprintf(cand, "./%s", p);
		else
			sprintf(cand, "%.*s/%s", (int)dl, path, p);
		struct stat st;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
			c->program = cand;
			return 0;
		}
		free(cand);
		if (!e)
			break;
		path = e + 1;
	}
	return config_usage_error("program %s: not found in PATH", p);
}

int config_parse(int argc, char **argv, struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->max_message = WS_MESSAGE_DEFAULT;
	c->max_request = WS_REQUEST_BYTES_DEFAULT;
	c->max_headers = WS_HEADERS_DEFAULT;
	c->request_timeout = WS_REQUEST_TIMEOUT_DEFAULT;
	c->ping_interval = WS_PING_INTERVAL_DEFAULT;
	c->closems = WS_CLOSEMS_DEFAULT;
	c->maxforks = WS_MAXFORKS_DEFAULT;
	c->handler_reuse = 0; /* not given: WS_HANDLER_REUSE_DEFAULT, 1 with --ssl */
	c->loglevel = LOGL_ACCESS;
	c->auth_timeout = CFG_AUTH_TIMEOUT_DEFAULT;
	c->deflate = true;
	c->deflate_window_bits = PMD_WINDOW_BITS_DEFAULT;
	c->deflate_min_size = WSD_MIN_SIZE_DEFAULT;
	c->deflate_level = WSD_LEVEL_DEFAULT;
	c->max_cgi_body = WS_CGI_BODY_DEFAULT;
	c->ssl_timeout = CFG_SSL_TIMEOUT_DEFAULT;
	c->passenv[0] = "PATH";
	c->passenv[1] = "LANG";
	c->npassenv = 2;

	struct seen s;
	memset(&s, 0, sizeof(s));
	const char *config_file = NULL;
	int i = 1;
	/* Pass 1: the command line. Values are applied now; --config is loaded after, and
	 * skips whatever the command line already set. */
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		const char *name = a + (a[1] == '-' ? 2 : 1);
		const char *eq = strchr(name, '=');
		size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
		const struct optdef *o = find_opt(name, nlen);
		if (o == NULL)
			return config_usage_error("unknown option '%.*s'", (int)(nlen + (size_t)(name - a)), a);
		const char *v = eq ? eq + 1 : NULL;
		if (o->kind == K_VALUE && v == NULL) {
			if (i + 1 >= argc)
				return config_usage_error("--%s needs a value", o->name);
			v = argv[++i];
		}
		if (o->id == O_HELP) {
			usage(stdout);
			return 1;
		}
		if (o->id == O_VERSION) {
			printf("wsinetd %s\n", WSINETD_VERSION);
			return 1;
		}
		if (o->id == O_CONFIG) {
			config_file = v;
			continue;
		}
		if (apply(c, o, v, 1, &s) != 0)
			return -1;
	}
	if (config_file && load_config_file(c, config_file, &s) != 0) {
		json_decref(c->tree);
		free(c->argv);
		return -1;
	}
	if (i < argc) {
		free(c->argv); /* the file's "program", if any: the command line wins */
		c->argv = &argv[i];
	} else if (c->argv == NULL && c->dir == NULL)
		return config_usage_error("no PROGRAM given (or --dir=DIR)");
	if (c->dir && c->argv)
		return config_usage_error("--dir and a PROGRAM exclude each other: --dir runs DIR/name for /name");
	/* As in websocketd: the console answers every plain GET of an endpoint, so there
	 * would be no path left for files or CGI. */
	if (c->devconsole && (c->staticdir || c->cgidir))
		return config_usage_error("--devconsole cannot be combined with --staticdir or --cgidir");
	if (c->jwt_key && c->auth_command)
		return config_usage_error("--jwt-key and --auth-command exclude each other");
	if ((c->jwt_algs || c->jwt_issuer || c->njwt_audiences || c->jwt_leeway) && !c->jwt_key)
		return config_usage_error("--jwt-alg, --jwt-issuer, --jwt-audience and --jwt-leeway need --jwt-key");
	if ((c->auth_query || c->auth_cookie || c->auth_pass_token || c->auth_reject_close) &&
	    !c->jwt_key && !c->auth_command)
		return config_usage_error("--auth-query, --auth-cookie, --auth-pass-token and --auth-reject need "
			   "--jwt-key or --auth-command");
	if (c->naddresses && !c->port)
		return config_usage_error("--address needs --port");
	if (c->require_protocol && c->nprotocols == 0)
		return config_usage_error("--require-protocol needs --protocol");
	if (c->handoff && c->mode != MODE_LINES)
		return config_usage_error("--handoff cannot be combined with --binary or --json");
	if (c->ssl && (c->sslcert == NULL || c->sslkey == NULL))
		return config_usage_error("--ssl needs --sslcert=FILE and --sslkey=FILE");
	if (!c->ssl && (c->sslcert || c->sslkey || c->sslca || c->ssl_ticket_keys))
		return config_usage_error("--sslcert, --sslkey, --sslca and --ssl-ticket-keys need --ssl");
	if (c->ssl_verify_optional && c->sslca == NULL)
		return config_usage_error("--ssl-verify needs --sslca");
	if (c->ssl && c->handler_reuse > 1)
		return config_usage_error("--handler-reuse cannot be combined with --ssl: a TLS "
			   "connection always gets a fresh handler");
	if (c->handler_reuse == 0)
		c->handler_reuse = c->ssl ? 1 : WS_HANDLER_REUSE_DEFAULT;
	if (c->handoff) /* the program takes the handler's place: one connection each */
		c->handler_reuse = 1;
	if (c->ssl && c->handoff)
		return config_usage_error("--handoff cannot be combined with --ssl: the program would get the "
			   "encrypted stream");
	if (c->dir)
		return 0; /* each connection finds its program in DIR */
	return resolve_program(c);
}
