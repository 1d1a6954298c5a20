/* auth.h - policy at the handshake, the I/O side: Origin (origin.c) and authentication
 * (--jwt-key through jwt.c, or --auth-command), with the credential taken out of what the
 * program will see. main calls, in this order, after the RFC 6455 checks passed:
 *   auth_origin()  → 0, or 403 with a log line naming the flag that would allow it;
 *   auth_check()   → accepted, or 401 / 403 / 500 (refusal style is main's business);
 *   auth_apply()   → the program's environment gets REMOTE_USER, AUTH_TYPE,
 *                    WS_AUTH_CLAIMS and loses the token (query, cookie, Authorization).
 *
 * Tokens are looked for in this order, the first found is the one checked:
 * "Authorization: Bearer T" (AUTH_TYPE=Bearer), the --auth-query parameter (Bearer, RFC
 * 6750 2.3), the --auth-cookie cookie (AUTH_TYPE=Cookie). No token: 401 "Authentication
 * required" without running anything.
 *
 * --auth-command=PROG runs with the environment the program would get (credential
 * stripped) plus WS_AUTH_TOKEN and AUTH_TYPE, stdin /dev/null-like (closed pipe), stderr
 * ours (the log). Exit 0 accepts: its first stdout line is the user name, or a JSON
 * object of claims whose "sub" is the user. Exit 3: a known identity without the right
 * (403 / 4003). Any other exit, a signal, no line, or the --auth-timeout passing (the
 * command's process group is then killed): 401 / 4001 "Invalid token". */
#ifndef WSINETD_AUTH_H
#define WSINETD_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "cgienv.h"
#include "config.h"
#include "handshake.h"
#include "http_req.h"

/* Exit status of --auth-command meaning "known, but not allowed". */
#define AUTH_CMD_FORBIDDEN 3
/* Most bytes of --auth-command output read (its first line must fit). */
#define AUTH_CMD_OUTPUT_MAX 4096u
#define AUTH_EXTRA_MAX 48u

/* At start-up, before any connection: read --jwt-key (the file's bytes are wiped once
 * parsed), check --jwt-alg against the key, resolve --auth-command in PATH. Stores its
 * state in cfg->auth. Returns 0, or -1 after one line on stderr (exit 2). */
int auth_init(struct config *cfg);

/* In the handler once the decision is made: wipe and free the key material. */
void auth_wipe(const struct config *cfg);

/* Origin policy. Returns 0 when allowed, else 403 with a one-line body in *why (static)
 * and a log line in detail (names the flag that would allow the request). */
int auth_origin(const struct config *cfg, const struct http_req *req,
		const struct ws_hs_result *hs, bool tls, const char **why, char *detail, size_t cap);

struct auth_outcome {
	int status;            /* 0 accepted or no authentication configured; 401, 403, 500 */
	int close_code;        /* for --auth-reject=close: 4001 or 4003 */
	const char *reason;    /* body line / close reason: "Authentication required",
	                          "Invalid token", "Forbidden" */
	bool token_seen;       /* a credential was presented (for WWW-Authenticate) */
	char detail[256];      /* for the log */
	char user[256];        /* REMOTE_USER, for the access log ("" if none) */
	/* what auth_apply hands to cgienv: heap strings, freed by auth_outcome_free */
	char *query, *target;  /* stripped copies, NULL when unchanged */
	char *env[4];          /* REMOTE_USER=, AUTH_TYPE=, WS_AUTH_CLAIMS=, HTTP_COOKIE= */
	size_t nenv;
	const char *extra[AUTH_EXTRA_MAX];
};

/* Decide. base is the environment input main would build the program's environment
 * from (used for --auth-command's environment). Always fills *out (status 0 when no
 * authentication is configured). Returns out->status. */
int auth_check(const struct config *cfg, const struct http_req *req,
	       const struct cgienv_in *base, struct auth_outcome *out);

/* Point ci at the stripped query/target and add the auth variables to its extra list
 * (which must stay alive as long as out). Call only when out->status == 0. Returns 0, or
 * -1 if the extra list would be too long. */
int auth_apply(const struct config *cfg, struct auth_outcome *out, struct cgienv_in *ci);

/* Wipe and free what auth_check allocated; accepts NULL and a zeroed outcome. */
void auth_outcome_free(struct auth_outcome *o);

#endif
