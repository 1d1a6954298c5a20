/* auth.c - Origin and authentication at the handshake, the I/O side; see auth.h.
 * The decisions themselves are in the pure modules (origin.c, cookie.c, jwt.c); this
 * file reads the key file, the clock, runs --auth-command and says what to log. */
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "child.h"
#include "conn.h"
#include "cookie.h"
#include "err.h"
#include "hdr.h"
#include "jwt.h"
#include "limits.h"
#include "log.h"
#include "origin.h"
#include "wipe.h"

struct auth_state {
	struct jwt_key key;
	unsigned algs;
	const char *command;   /* resolved path */
};


static int read_key(const char *file, struct jwt_key *key)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return config_usage_error("--jwt-key: cannot read %s: %s", file, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 65536 || st.st_size == 0) {
		close(fd);
		return config_usage_error("--jwt-key: %s%s", file, ": not a regular file of 1 byte to 64 KiB");
	}
	size_t n = (size_t)st.st_size, got = 0;
	uint8_t *buf = malloc(n);
	if (buf == NULL) {
		close(fd);
		return config_usage_error("--jwt-key: %s%s", file, ": out of memory");
	}
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	const char *why = NULL;
	int rc = got == n ? jwt_key_parse(buf, n, key, &why) : WS_E_SYS;
	free_wiped(buf, n);
	if (rc != 0)
		return config_usage_error("--jwt-key: %s: %s", file, why ? why : "short read");
	return 0;
}

/* --jwt-alg=LIST: every name known and fitting the key. */
static int parse_algs(const char *list, const struct jwt_key *key, unsigned *out)
{
	unsigned fit = jwt_key_algs(key);
	*out = 0;
	const char *p = list;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		while (len && (*p == ' ')) {
			p++;
			len--;
		}
		while (len && p[len - 1] == ' ')
			len--;
		if (len) {
			char name[32];
			snprintf(name, sizeof(name), "%.*s", (int)(len < 31 ? len : 31), p);
			unsigned a = jwt_alg_from_name(p, len);
			if (a == 0)
				return config_usage_error("--jwt-alg: '%s' is not one of HS256 HS384 HS512 RS256 "
						"RS384 RS512 PS256 ES256 ES384 EdDSA%s", name,
						strcmp(name, "none") == 0 ? " (alg none is never accepted)" : "");
			if (!(fit & a))
				return config_usage_error("--jwt-alg: %s does not fit the --jwt-key key%s", name,
						key->type == JWT_KEY_SECRET && (a & (JWT_HS384 | JWT_HS512))
						? " (the secret is shorter than the hash: RFC 7518 3.2)"
						: " (HMAC needs a secret, not a public key; signatures a public key)");
			*out |= a;
		}
		if (!e)
			break;
		p = e + 1;
	}
	if (*out == 0)
		return config_usage_error("--jwt-alg: %s%s", "empty list", "");
	return 0;
}

static const char *resolve(const char *prog)
{
	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0 ? prog : NULL;
	const char *path = getenv("PATH");
	if (path == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *e = strchr(path, ':');
		size_t dl = e ? (size_t)(e - path) : strlen(path);
		size_t len = dl + strlen(prog) + 3;
		char *cand = malloc(len);
		if (cand == NULL)
			return NULL;
		snprintf(cand, len, "%.*s/%s", (int)(dl ? dl : 1), dl ? path : ".", prog);
		struct stat st;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
			return cand; /* lives as long as the process */
		free(cand);
		if (!e)
			break;
		path = e + 1;
	}
	return NULL;
}

int auth_init(struct config *cfg)
{
	if (!cfg->jwt_key && !cfg->auth_command)
		return 0;
	struct auth_state *st = calloc(1, sizeof(*st));
	if (st == NULL)
		return config_usage_error("%s%s", "out of memory", "");
	if (cfg->jwt_key) {
		if (read_key(cfg->jwt_key, &st->key) != 0)
			goto fail;
		if (cfg->jwt_algs) {
			if (parse_algs(cfg->jwt_algs, &st->key, &st->algs) != 0)
				goto fail;
		} else {
			st->algs = jwt_key_algs(&st->key);
		}
	}
	if (cfg->auth_command) {
		st->command = resolve(cfg->auth_command);
		if (st->command == NULL) {
			config_usage_error("--auth-command: %s: %s", cfg->auth_command,
				 "not found or not executable");
			goto fail;
		}
	}
	cfg->auth = st;
	return 0;
fail:
	jwt_key_free(&st->key);
	free(st);
	return -1;
}

void auth_wipe(const struct config *cfg)
{
	struct auth_state *st = cfg->auth;
	if (st != NULL)
		jwt_key_free(&st->key); /* wipes the secret; the state itself stays valid */
}

/* ------------------------------------------------------------------ Origin */

int auth_origin(const struct config *cfg, const struct http_req *req,
		const struct ws_hs_result *hs, bool tls, const char **why, char *detail, size_t cap)
{
	size_t n = hdr_count(req, "Origin");
	int i = hdr_find(req, "Origin", 0);
	const char *ov = i >= 0 ? req->headers[i].value : NULL;
	size_t ol = i >= 0 ? req->headers[i].value_len : 0;
	struct origin_policy pol = { cfg->origins, cfg->norigins, cfg->sameorigin, tls };
	enum origin_verdict v = origin_check(ov, ol, n, hs->host, hs->host_len, &pol);
	int ol_i = ol > 200 ? 200 : (int)ol;
	switch (v) {
	case ORIGIN_ALLOWED:
		return 0;
	case ORIGIN_ABSENT:
		if (!cfg->require_origin)
			return 0;
		*why = "Origin header required";
		snprintf(detail, cap, "no Origin header (drop --require-origin to allow "
			 "non-browser clients)");
		return 403;
	case ORIGIN_MALFORMED:
		*why = "malformed Origin";
		snprintf(detail, cap, n > 1 ? "several Origin headers" : "malformed Origin '%.*s'",
			 ol_i, ov ? ov : "");
		return 403;
	case ORIGIN_DENIED:
		break;
	}
	*why = "origin not allowed";
	if (ol == 4 && memcmp(ov, "null", 4) == 0)
		snprintf(detail, cap, "origin null refused (allow it with --origin=null)");
	else if (cfg->norigins == 0 || cfg->sameorigin)
		snprintf(detail, cap, "origin %.*s refused: not same-origin with Host %.*s (allow it "
			 "with --origin=%.*s%s)", ol_i, ov, (int)(hs->host_len > 200 ? 200 : hs->host_len),
			 hs->host ? hs->host : "", ol_i, ov,
			 cfg->sameorigin && cfg->norigins ? " and without --sameorigin" : "");
	else
		snprintf(detail, cap, "origin %.*s refused: not in --origin (allow it with "
			 "--origin=%.*s)", ol_i, ov, ol_i, ov);
	return 403;
}

/* ------------------------------------------------------------------ authentication */

__attribute__((format(printf, 4, 5)))
static int refuse(struct auth_outcome *o, int status, const char *reason, const char *fmt, ...)
{
	va_list ap;
	o->status = status;
	o->reason = reason;
	o->close_code = status == 403 ? 4003 : status == 401 ? 4001 : 1011;
	va_start(ap, fmt);
	vsnprintf(o->detail, sizeof(o->detail), fmt, ap);
	va_end(ap);
	return status;
}

static char *pair(const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value) + 2;
	char *s = malloc(len);
	if (s)
		snprintf(s, len, "%s=%s", name, value);
	return s;
}

static bool printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* The token and where it came from. Returns its length, 0 if none, -1 if malformed
 * (e.g. two Authorization headers, a token too long). */
static long find_token(const struct config *cfg, const struct http_req *req, const char *query,
		       char *tok, size_t cap, const char **type)
{
	int a = hdr_find(req, "Authorization", 0);
	if (a >= 0) {
		if (hdr_find(req, "Authorization", (size_t)a + 1) >= 0)
			return -1;
		const struct http_header *h = &req->headers[a];
		if (h->value_len > 7 && hdr_ieq(h->value, 7, "Bearer ")) {
			size_t s = 7;
			while (s < h->value_len && h->value[s] == ' ')
				s++;
			size_t n = h->value_len - s;
			if (n == 0 || n >= cap)
				return -1;
			memcpy(tok, h->value + s, n);
			tok[n] = '\0';
			*type = "Bearer";
			return (long)n;
		}
	}
	if (cfg->auth_query) {
		long n = query_find(query, strlen(query), cfg->auth_query, tok, cap);
		if (n == -2)
			return -1;
		if (n > 0) {
			*type = "Bearer";
			return n;
		}
	}
	if (cfg->auth_cookie) {
		const char *v;
		size_t vl;
		if (cookie_find(req, cfg->auth_cookie, &v, &vl) && vl > 0) {
			if (vl >= cap)
				return -1;
			memcpy(tok, v, vl);
			tok[vl] = '\0';
			*type = "Cookie";
			return (long)vl;
		}
	}
	return 0;
}

/* The credential out of the query, target and Cookie header (unless --auth-pass-token). */
static int strip(const struct config *cfg, const struct http_req *req, const struct cgienv_in *base,
		 struct auth_outcome *o)
{
	if (cfg->auth_pass_token)
		return 0;
	if (cfg->auth_query && base->query_string) {
		size_t ql = strlen(base->query_string), rm = 0;
		char *q = malloc(ql + 1);
		if (q == NULL)
			return -1;
		if (query_strip(base->query_string, ql, cfg->auth_query, q, ql + 1, &rm) < 0) {
			free(q); /* cannot happen: len + 1 always suffices (cookie.h) */
			return -1;
		}
		if (rm == 0) {
			free(q);
		} else {
			o->query = q;
			const char *t = base->request_uri ? base->request_uri : "";
			const char *qm = strchr(t, '?');
			size_t pl = qm ? (size_t)(qm - t) : strlen(t);
			size_t tl = pl + 1 + strlen(q) + 1;
			o->target = malloc(tl);
			if (o->target == NULL)
				return -1;
			snprintf(o->target, tl, "%.*s%s%s", (int)pl, t, *q ? "?" : "", q);
		}
	}
	if (cfg->auth_cookie && hdr_find(req, "Cookie", 0) >= 0) {
		size_t cap = cookie_strip_cap(req), rm = 0;
		char *c = malloc(cap);
		if (c == NULL)
			return -1;
		long n = cookie_strip(req, cfg->auth_cookie, c, cap, &rm);
		if (n >= 0 && rm > 0)
			o->env[o->nenv++] = pair("HTTP_COOKIE", c);
		free_wiped(c, cap);
		/* Refused rather than the header passed on unstripped, token and all. */
		if (n < 0)
			return -1;
	}
	return 0;
}

/* Set the user from a claims object ("sub"), and WS_AUTH_CLAIMS. */
static int take_claims(struct auth_outcome *o, json_t *claims)
{
	json_t *sub = json_object_get(claims, "sub");
	if (sub != NULL) {
		if (!json_is_string(sub) || !printable(json_string_value(sub), json_string_length(sub)) ||
		    json_string_length(sub) >= sizeof(o->user))
			return -1;
		snprintf(o->user, sizeof(o->user), "%s", json_string_value(sub));
	}
	/* Into memory of ours (json_dumpb), wiped once copied: claims are request data. */
	size_t n = json_dumpb(claims, NULL, 0, JSON_COMPACT);
	char *js = n > 0 ? malloc(n + 1) : NULL;
	if (js == NULL || json_dumpb(claims, js, n, JSON_COMPACT) != n) {
		free(js);
		return -1;
	}
	js[n] = '\0';
	o->env[o->nenv++] = pair("WS_AUTH_CLAIMS", js);
	free_wiped(js, n);
	return 0;
}

static int check_jwt(const struct config *cfg, struct auth_state *st, const char *tok, size_t n,
		     struct auth_outcome *o)
{
	struct jwt_policy pol = {
		.algs = st->algs,
		.now = (int64_t)time(NULL),
		.leeway = cfg->jwt_leeway,
		.issuer = cfg->jwt_issuer,
		.audiences = cfg->jwt_audiences,
		.naudiences = cfg->njwt_audiences,
	};
	void *claims = NULL;
	const char *why = NULL;
	if (jwt_verify(tok, n, &st->key, &pol, &claims, NULL, &why) != 0)
		return refuse(o, 401, "Invalid token", "JWT refused: %s", why ? why : "?");
	int r = take_claims(o, claims);
	json_decref(claims);
	if (r != 0)
		return refuse(o, 401, "Invalid token", "JWT refused: %s", "unusable sub claim");
	return 0;
}

/* Run --auth-command; its first stdout line into line. Returns the wait status, or -1
 * when it could not start, -2 on timeout (it was killed). */
static int run_command(const char *path, char **envp, unsigned timeout_s, char *line, size_t cap)
{
	struct child ch;
	char *argv[] = { (char *)path, NULL };
	if (child_spawn(&ch, path, argv, envp) != 0)
		return -1;
	child_close_stdin(&ch);
	int64_t deadline = now_ms() + (int64_t)timeout_s * 1000;
	size_t got = 0;
	bool eof = false;
	int status = 0;
	bool exited = false;
	line[0] = '\0';
	for (int guard = 0; guard < 100000; guard++) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			break;
		if (!eof) {
			struct pollfd p = { ch.out_fd, POLLIN, 0 };
			int pr = poll(&p, 1, (int)(left > 100 ? 100 : left));
			if (pr > 0) {
				char tmp[1024];
				ssize_t r = read(ch.out_fd, tmp, sizeof(tmp));
				if (r > 0) {
					size_t take = (size_t)r < cap - 1 - got ? (size_t)r : cap - 1 - got;
					memcpy(line + got, tmp, take);
					got += take;
					line[got] = '\0';
				} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
					eof = true;
				}
			}
		}
		pid_t w = waitpid(ch.pid, &status, WNOHANG);
		if (w == ch.pid) {
			exited = true;
			/* drain what it wrote before exiting */
			if (!eof)
				continue;
			break;
		}
		if (eof) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		if (exited && eof)
			break;
	}
	/* Whatever is left of its process group goes now. */
	kill(-ch.pid, SIGKILL);
	if (!exited) {
		while (waitpid(ch.pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	close(ch.out_fd);
	char *nl = strchr(line, '\n');
	if (nl)
		*nl = '\0';
	else if (got >= cap - 1)
		line[0] = '\0'; /* no complete first line */
	size_t ll = strlen(line);
	if (ll && line[ll - 1] == '\r')
		line[ll - 1] = '\0';
	return exited ? status : -2;
}

static int check_command(const struct config *cfg, struct auth_state *st, const char *tok,
			 const char *type, const struct cgienv_in *base, struct auth_outcome *o)
{
	/* The program's environment (credential stripped) plus the token. */
	char *tokvar = pair("WS_AUTH_TOKEN", tok), *typevar = pair("AUTH_TYPE", type);
	const char *extra[AUTH_EXTRA_MAX];
	size_t ne = 0;
	int rc;
	for (size_t i = 0; i < base->nextra && ne < AUTH_EXTRA_MAX - 8; i++)
		extra[ne++] = base->extra[i];
	for (size_t i = 0; i < o->nenv; i++)
		extra[ne++] = o->env[i];
	extra[ne++] = typevar;
	extra[ne++] = tokvar;
	struct cgienv_in ci = *base;
	ci.extra = extra;
	ci.nextra = ne;
	if (o->query)
		ci.query_string = o->query;
	if (o->target)
		ci.request_uri = o->target;
	ci.pass_authorization = cfg->auth_pass_token;
	char *arena = child_env_arena();
	size_t env_used = 0;
	char **envp = calloc(WS_ENV_ENTRIES_MAX + 1, sizeof(char *));
	char out[AUTH_CMD_OUTPUT_MAX];
	if (!tokvar || !typevar || !arena || !envp) {
		rc = refuse(o, 500, "Internal error", "%s", "out of memory");
		goto done;
	}
	const char *why = NULL;
	if (cgienv_build(&ci, arena, WS_ENV_BYTES_MAX, envp, WS_ENV_ENTRIES_MAX + 1, &why,
			 &env_used) < 0) {
		rc = refuse(o, 401, "Invalid token", "token unusable in the environment: %s",
			    why ? why : "too large");
		goto done;
	}
	int64_t t0 = now_ms();
	int status = run_command(st->command, envp, cfg->auth_timeout, out, sizeof(out));
	log_debug("auth-command %s: status %d in %lld ms", st->command, status,
		  (long long)(now_ms() - t0));
	if (status == -1) {
		rc = refuse(o, 500, "Internal error", "cannot start --auth-command: %s", strerror(errno));
		goto done;
	}
	if (status == -2) {
		rc = refuse(o, 401, "Invalid token", "--auth-command timed out (--auth-timeout=%u): "
			    "killed", cfg->auth_timeout);
		goto done;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == AUTH_CMD_FORBIDDEN) {
		rc = refuse(o, 403, "Forbidden", "--auth-command: %s", "exit 3 (forbidden)");
		goto done;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char st_s[32];
		snprintf(st_s, sizeof(st_s), WIFEXITED(status) ? "exit %d" : "signal %d",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		rc = refuse(o, 401, "Invalid token", "--auth-command refused: %s", st_s);
		goto done;
	}
	if (out[0] == '{') {
		json_error_t je;
		json_t *claims = json_loads(out, JSON_REJECT_DUPLICATES, &je);
		int r = json_is_object(claims) ? take_claims(o, claims) : -1;
		json_decref(claims);
		rc = r == 0 ? 0 : refuse(o, 401, "Invalid token", "--auth-command: %s",
					 "exit 0 but the first line is not a usable JSON object");
		goto done;
	}
	size_t ul = strlen(out);
	if (ul == 0 || ul >= sizeof(o->user) || !printable(out, ul)) {
		rc = refuse(o, 401, "Invalid token", "--auth-command: %s",
			    "exit 0 but no user name on the first line");
		goto done;
	}
	memcpy(o->user, out, ul + 1);
	rc = 0;
done:
	child_env_wipe(&env_used);
	free(envp);
	free_wiped_str(tokvar);
	free(typevar);
	explicit_bzero(out, sizeof(out));
	return rc;
}

int auth_check(const struct config *cfg, const struct http_req *req,
	       const struct cgienv_in *base, struct auth_outcome *o)
{
	memset(o, 0, sizeof(*o));
	struct auth_state *st = cfg->auth;
	if (st == NULL)
		return 0;
	char tok[JWT_TOKEN_MAX + 1];
	const char *type = NULL;
	long n = find_token(cfg, req, base->query_string ? base->query_string : "", tok, sizeof(tok),
			    &type);
	int rc;
	if (n < 0) {
		o->token_seen = true;
		rc = refuse(o, 401, "Invalid token", "%s",
			    "malformed credential (several Authorization headers, or over 8192 bytes)");
		goto out;
	}
	if (n == 0) {
		rc = refuse(o, 401, "Authentication required", "%s", "no token presented");
		goto out;
	}
	o->token_seen = true;
	if (strip(cfg, req, base, o) != 0) {
		rc = refuse(o, 500, "Internal error", "%s", "cannot strip the token from the request");
		goto out;
	}
	rc = st->command ? check_command(cfg, st, tok, type, base, o)
			 : check_jwt(cfg, st, tok, (size_t)n, o);
	if (rc == 0) {
		char *u = pair("REMOTE_USER", o->user), *t = pair("AUTH_TYPE", type);
		if (u == NULL || t == NULL) {
			free(u);
			free(t);
			rc = refuse(o, 500, "Internal error", "%s", "out of memory");
		} else {
			o->env[o->nenv++] = u;
			o->env[o->nenv++] = t;
		}
	}
out:
	explicit_bzero(tok, sizeof(tok));
	return rc;
}

int auth_apply(const struct config *cfg, struct auth_outcome *o, struct cgienv_in *ci)
{
	if (cfg->auth == NULL)
		return 0;
	if (ci->nextra + o->nenv > AUTH_EXTRA_MAX)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < ci->nextra; i++)
		o->extra[n++] = ci->extra[i];
	for (size_t i = 0; i < o->nenv; i++)
		o->extra[n++] = o->env[i];
	ci->extra = o->extra;
	ci->nextra = n;
	if (o->query)
		ci->query_string = o->query;
	if (o->target)
		ci->request_uri = o->target;
	ci->pass_authorization = cfg->auth_pass_token;
	return 0;
}

void auth_outcome_free(struct auth_outcome *o)
{
	if (o == NULL)
		return;
	for (size_t i = 0; i < o->nenv; i++)
		free_wiped_str(o->env[i]);
	free_wiped_str(o->query);
	free_wiped_str(o->target);
	memset(o, 0, sizeof(*o));
}
