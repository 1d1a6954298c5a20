/* cgienv.h - the program's environment, built from nothing (RFC 3875 section 4.1 plus
 * websocketd's additions), into caller-owned storage. Pure: no getenv/setenv.
 *
 * Order of assembly; a later NAME replaces an earlier one:
 *   1. in->passenv  ("NAME=VALUE" pairs the caller took from its own environment)
 *   2. HTTP_* from request headers: name upper-cased, '-' -> '_'; a header whose name
 *      contains '_' or any byte outside [A-Za-z0-9-] is dropped; "Proxy" is never
 *      exported (httpoxy); "Authorization" only when in->pass_authorization; repeated
 *      headers mapping to one name are joined with ", " ("; " for Cookie)
 *   3. the CGI set: SERVER_SOFTWARE, GATEWAY_INTERFACE=CGI/1.1, REMOTE_ADDR,
 *      REMOTE_HOST, REMOTE_PORT, SERVER_NAME, SERVER_PORT, SERVER_PROTOCOL (HTTP/1.x
 *      of the request), REQUEST_METHOD, REQUEST_URI, SCRIPT_NAME, PATH_INFO,
 *      PATH_TRANSLATED, QUERY_STRING, UNIQUE_ID, HTTPS ("on" or ""), AUTH_TYPE,
 *      REMOTE_USER, CONTENT_LENGTH, CONTENT_TYPE, REMOTE_IDENT; unsupported ones empty
 *   4. in->extra ("NAME=VALUE" pairs: WS_*, and REMOTE_USER/AUTH_TYPE when set)
 * Names must match [A-Z0-9_]+ (passenv/extra entries that do not are an error). A value
 * containing CR, LF or NUL is refused (WS_E_MALFORMED), as is a header value with them. */
#ifndef WSINETD_CGIENV_H
#define WSINETD_CGIENV_H

#include <stdbool.h>
#include <stddef.h>

#include "http_req.h"

struct cgienv_in {
	const struct http_req *req;
	/* NUL-terminated strings; NULL means empty */
	const char *server_software;
	const char *remote_addr;
	const char *remote_host;
	const char *remote_port;
	const char *server_name;     /* Host without port, or the local address */
	const char *server_port;
	const char *request_uri;     /* request-target as received */
	const char *script_name;
	const char *path_info;
	const char *path_translated;
	const char *query_string;
	const char *unique_id;
	bool https;
	bool pass_authorization;
	const char *const *passenv;  /* "NAME=VALUE" */
	size_t npassenv;
	const char *const *extra;    /* "NAME=VALUE" */
	size_t nextra;
};

/* Build the environment: strings are stored in arena[0..arena_cap), pointers in
 * envp[0..envp_cap) followed by a NULL. Returns the number of entries, WS_E_LIMIT when
 * arena or envp is too small (envp_cap counts the NULL), or WS_E_MALFORMED (with *why
 * set) for a bad name or value. *used (if not NULL) is set on every return to the bytes
 * written from the arena's start, an error's partial entries included: what the caller
 * wipes. */
int cgienv_build(const struct cgienv_in *in, char *arena, size_t arena_cap, char **envp,
		 size_t envp_cap, const char **why, size_t *used);

#endif
