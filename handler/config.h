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

struct config {
	const char *port;                      /* --port, NULL unless listening */
	const char *addresses[CFG_ADDRESSES_MAX];
	size_t naddresses;
	unsigned maxforks;
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

#endif
