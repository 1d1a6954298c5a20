/* fuzz_auth - policy at the handshake (handler/auth.c): auth_origin, auth_check,
 * auth_apply and auth_outcome_free, driven the way main drives them, on a request parsed
 * by the real parser (http_req_parse, ws_handshake_check) and configurations parsed by
 * config_parse from command lines.
 *
 * Authentication is --jwt-key with a 41-byte HMAC secret (written to a temporary file for
 * auth_init, removed at once). The harness holds two tokens signed with it (exp in 2100):
 * T1 with "sub":"fuzz-user", T2 without "sub"; every 0x01 byte of the input becomes T1,
 * every 0x02 byte T2 (eight at most), so accepted credentials are reachable. Any other
 * token is refused by the signature check. --auth-command is not driven: each call spawns
 * the command and run_command waits at least one 10 ms nanosleep for it (11 ms an input).
 *
 * Input: byte 0 = Origin options: bits 0-1 the --origin policy (0: none, same-origin
 * with Host; 1: https://example.com,*.example.org,null,localhost:8080; 2: *;
 * 3: https://example.com,*.example.org with --sameorigin), bit 2 --require-origin,
 * bit 3 TLS, bit 4 a 32-byte detail buffer instead of main's 600, bit 7 append the
 * handshake lines (Upgrade, Connection, Sec-WebSocket-Version/-Key, empty line) to the
 * head. Byte 1 = authentication options: bits 0-2 the configuration, each with the
 * --jwt-key: A0 --auth-query=token --auth-cookie=session; A1 the query only; A2 the
 * cookie only; A3 neither (Authorization only); A4 --auth-query=access_token
 * --auth-cookie=token --auth-pass-token; A5 both named a.b; A6 as A0 with
 * --jwt-audience=other (no token of the harness verifies); A7 both named token.
 * Bit 3: a base list of 45 extra variables instead of main's 3 (auth_apply's limit).
 * The rest: the request head, markers replaced. Requests that fail the handshake stop.
 *
 * Properties:
 *   auth_origin: 0 or 403, 403 with *why and a detail NUL-terminated within its buffer
 *     (an exact-size heap block); 0 exactly when origin_check allows the first Origin
 *     header, or there is none and --require-origin is off; two Origin headers: 403;
 *     "null" only through a "null" entry; an https://example.com origin passes the lists
 *     naming it and "*"; Origin == scheme://Host (plain host[:port]) passes same-origin;
 *     what same-origin allows, "*" allows; what policy 3 allows, policies 0 and 1 allow;
 *     the same answer and detail twice.
 *   auth_check: status 0/401/403/500 returned and stored; a refusal has a reason and
 *     close code 4001/4003; the detail and user fit their arrays; no Authorization
 *     header: a credential is seen exactly when the query parameter or cookie is present
 *     and non-empty, none gives 401 "Authentication required" with nothing allocated;
 *     status 0 only for T1/T2 (REMOTE_USER fuzz-user or "", WS_AUTH_CLAIMS their
 *     claims, AUTH_TYPE Bearer or Cookie as configured), never with --jwt-audience;
 *     the stripped query equals the query minus every parameter whose decoded name is
 *     --auth-query, the others in order byte for byte (harness model), the target its
 *     path plus "?" and that query, HTTP_COOKIE every Cookie pair but --auth-cookie's, in
 *     order and trimmed, joined with "; " (model); accepted: present exactly when a pair
 *     was removed, absent with --auth-pass-token; the same outcome twice.
 *   auth_apply: -1 exactly when the extra list would pass AUTH_EXTRA_MAX; else the
 *     base extras then the outcome's, query/target switched to the stripped copies,
 *     pass_authorization as configured. The environment cgienv_build makes from it: no
 *     HTTP_AUTHORIZATION, no parameter/cookie of the credential's name left in
 *     QUERY_STRING, REQUEST_URI, HTTP_COOKIE (one each), REMOTE_USER and AUTH_TYPE once
 *     with the outcome's values; and when T1 or T2 occurs once in the head, in a place
 *     stripping removes (Authorization, a stripped parameter or cookie), in no variable.
 *   auth_outcome_free: frees everything (ASan leak check), twice is harmless. */
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth.h"
#include "cgienv.h"
#include "config.h"
#include "cookie.h"
#include "fuzz.h"
#include "handshake.h"
#include "hdr.h"
#include "http_req.h"
#include "jwt.h"
#include "limits.h"
#include "origin.h"

static const char secret[] = "wsinetd-fuzz-auth-secret-0123456789abcdef";
static const char T1[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
			 "eyJzdWIiOiJmdXp6LXVzZXIiLCJleHAiOjQxMDI0NDQ4MDB9."
			 "BkDM4rCoa7fLdn_G9fDPtlQ8nm5vmbYMvuhbu6mH2RQ";
static const char T2[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
			 "eyJleHAiOjQxMDI0NDQ4MDAsInJvbGUiOiJyIn0."
			 "sNoHjGsLr7sk8I8ECWcKuTwHBqkKhB8f1gOXeHF2m64";
static const char C1[] = "WS_AUTH_CLAIMS={\"sub\":\"fuzz-user\",\"exp\":4102444800}";
static const char C2[] = "WS_AUTH_CLAIMS={\"exp\":4102444800,\"role\":\"r\"}";
static const char HS_LINES[] = "Upgrade: websocket\r\nConnection: Upgrade\r\n"
			       "Sec-WebSocket-Version: 13\r\n"
			       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
#define MARKERS_MAX 8

static struct config ocfg[4], acfg[8];
static char keyarg[96];
static const char *extra_long[45];
static struct http_req req;
static char arena[WS_ENV_BYTES_MAX];
static char *envp[WS_ENV_ENTRIES_MAX + 1];

static void parse_config(struct config *c, const char *const *opts, size_t nopts, bool key)
{
	static char *argv[16];
	size_t n = 0;
	argv[n++] = (char *)"wsinetd";
	if (key)
		argv[n++] = keyarg;
	for (size_t i = 0; i < nopts; i++)
		argv[n++] = (char *)opts[i];
	argv[n++] = (char *)"/bin/true";
	argv[n] = NULL;
	/* config keeps pointers into argv: a copy for each configuration */
	char **keep = malloc((n + 1) * sizeof(char *));
	if (keep == NULL)
		abort();
	memcpy(keep, argv, (n + 1) * sizeof(char *));
	if (config_parse((int)n, keep, c) != 0 || (key && auth_init(c) != 0)) {
		fprintf(stderr, "fuzz_auth: configuration %s refused\n", nopts ? opts[0] : "-");
		abort();
	}
}

static int run_check(const struct config *c, const char *head, struct auth_outcome *o);

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char tmp[] = "/tmp/wsinetd-fuzz-auth.XXXXXX";
	if (mkdtemp(tmp) == NULL)
		abort();
	char key[64];
	snprintf(key, sizeof(key), "%s/key", tmp);
	FILE *f = fopen(key, "w");
	if (f == NULL || fprintf(f, "%s\n", secret) < 0 || fclose(f) != 0)
		abort();
	snprintf(keyarg, sizeof(keyarg), "--jwt-key=%s", key);

	static const char *const o1[] = { "--origin=https://example.com,*.example.org,null,localhost:8080" };
	static const char *const o2[] = { "--origin=*" };
	static const char *const o3[] = { "--origin=https://example.com,*.example.org", "--sameorigin" };
	parse_config(&ocfg[0], NULL, 0, false);
	parse_config(&ocfg[1], o1, 1, false);
	parse_config(&ocfg[2], o2, 1, false);
	parse_config(&ocfg[3], o3, 2, false);

	static const char *const a0[] = { "--auth-query=token", "--auth-cookie=session" };
	static const char *const a1[] = { "--auth-query=token" };
	static const char *const a2[] = { "--auth-cookie=session" };
	static const char *const a4[] = { "--auth-query=access_token", "--auth-cookie=token",
					  "--auth-pass-token" };
	static const char *const a5[] = { "--auth-query=a.b", "--auth-cookie=a.b" };
	static const char *const a6[] = { "--auth-query=token", "--auth-cookie=session",
					  "--jwt-audience=other" };
	static const char *const a7[] = { "--auth-query=token", "--auth-cookie=token" };
	parse_config(&acfg[0], a0, 2, true);
	parse_config(&acfg[1], a1, 1, true);
	parse_config(&acfg[2], a2, 1, true);
	parse_config(&acfg[3], NULL, 0, true);
	parse_config(&acfg[4], a4, 3, true);
	parse_config(&acfg[5], a5, 2, true);
	parse_config(&acfg[6], a6, 3, true);
	parse_config(&acfg[7], a7, 2, true);
	unlink(key);
	rmdir(tmp);

	for (size_t i = 0; i < 45; i++) {
		char *s = malloc(16);
		if (s == NULL)
			abort();
		snprintf(s, 16, "WS_X%zu=%zu", i, i);
		extra_long[i] = s;
	}

	/* The tokens must be what the key accepts, or status 0 would be out of reach. */
	static char head[512];
	struct auth_outcome o;
	snprintf(head, sizeof(head), "GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer %s\r\n\r\n", T1);
	if (run_check(&acfg[3], head, &o) != 0 || strcmp(o.user, "fuzz-user") != 0) {
		fprintf(stderr, "fuzz_auth: T1 refused: %s\n", o.detail);
		abort();
	}
	auth_outcome_free(&o);
	snprintf(head, sizeof(head), "GET /?token=%s HTTP/1.1\r\nHost: a\r\n\r\n", T2);
	if (run_check(&acfg[1], head, &o) != 0 || o.user[0] != '\0') {
		fprintf(stderr, "fuzz_auth: T2 refused: %s\n", o.detail);
		abort();
	}
	auth_outcome_free(&o);
	return 0;
}

static int run_check(const struct config *c, const char *head, struct auth_outcome *o)
{
	static struct http_req r;
	if (http_req_parse((const uint8_t *)head, strlen(head), WS_HEADERS_DEFAULT, &r) <= 0)
		abort();
	const char *q = memchr(r.target, '?', r.target_len);
	char query[512] = "";
	if (q)
		snprintf(query, sizeof(query), "%.*s", (int)(r.target_len - (size_t)(q + 1 - r.target)), q + 1);
	struct cgienv_in base = { .req = &r, .query_string = query, .request_uri = "/" };
	return auth_check(c, &r, &base, o);
}

/* ------------------------------------------------------------------ models */

static bool name_eq(const char *a, size_t an, const char *b)
{
	return an == strlen(b) && strncasecmp(a, b, an) == 0;
}

/* Does the raw parameter name p[0..n) decode (form rules: %XX, '+' is a space) to name?
 * A bad escape never matches. */
static bool form_name_is(const char *p, size_t n, const char *name)
{
	size_t k = 0, ln = strlen(name);
	for (size_t i = 0; i < n; i++, k++) {
		char c = p[i];
		if (c == '%') {
			if (n - i < 3 || hdr_hexval(p[i + 1]) < 0 || hdr_hexval(p[i + 2]) < 0)
				return false;
			c = (char)(hdr_hexval(p[i + 1]) * 16 + hdr_hexval(p[i + 2]));
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (k >= ln || name[k] != c)
			return false;
	}
	return k == ln;
}

/* q minus every parameter named name, the others as sent, joined with '&' (empty items
 * dropped); *removed counts the dropped ones. malloc'd. */
static char *model_query_strip(const char *q, const char *name, size_t *removed)
{
	size_t ql = strlen(q), used = 0;
	char *out = malloc(ql + 1);
	*removed = 0;
	for (const char *p = q; p <= q + ql;) {
		const char *amp = strchr(p, '&');
		size_t l = amp ? (size_t)(amp - p) : strlen(p);
		if (l) {
			const char *eq = memchr(p, '=', l);
			if (form_name_is(p, eq ? (size_t)(eq - p) : l, name)) {
				(*removed)++;
			} else {
				if (used)
					out[used++] = '&';
				memcpy(out + used, p, l);
				used += l;
			}
		}
		if (!amp)
			break;
		p = amp + 1;
	}
	out[used] = '\0';
	return out;
}

static bool wsp(char c) { return c == ' ' || c == '\t'; }

/* Every Cookie header's pairs (split on ';', SP/HTAB trimmed, empty ones dropped) minus
 * those named name, joined with "; "; *removed counts the dropped. malloc'd. */
static char *model_cookie_strip(const struct http_req *r, const char *name, size_t *removed)
{
	size_t total = 1, used = 0;
	for (size_t i = 0; i < r->nheaders; i++)
		total += 2 * r->headers[i].value_len + 2;
	char *out = malloc(total);
	*removed = 0;
	for (size_t i = 0; i < r->nheaders; i++) {
		const struct http_header *h = &r->headers[i];
		if (!name_eq(h->name, h->name_len, "Cookie"))
			continue;
		size_t pos = 0;
		while (pos < h->value_len) {
			const char *v = h->value + pos;
			const char *semi = memchr(v, ';', h->value_len - pos);
			size_t l = semi ? (size_t)(semi - v) : h->value_len - pos;
			pos += l + 1;
			while (l && wsp(v[0])) {
				v++;
				l--;
			}
			while (l && wsp(v[l - 1]))
				l--;
			if (l == 0)
				continue;
			const char *eq = memchr(v, '=', l);
			size_t nl = eq ? (size_t)(eq - v) : 0;
			while (nl && wsp(v[nl - 1]))
				nl--;
			if (nl && nl == strlen(name) && memcmp(v, name, nl) == 0) {
				(*removed)++;
				continue;
			}
			if (used) {
				memcpy(out + used, "; ", 2);
				used += 2;
			}
			memcpy(out + used, v, l);
			used += l;
		}
	}
	out[used] = '\0';
	return out;
}

/* Parameters of q named name (form-decoded), by the model. */
static size_t query_count(const char *q, const char *name)
{
	size_t n;
	free(model_query_strip(q, name, &n));
	return n;
}

/* Pairs of one cookie string named name. */
static size_t cookie_count(const char *v, const char *name)
{
	size_t pos = 0, nl, vl, n = 0, len = strlen(v);
	const char *np, *vp;
	while (cookie_next(v, len, &pos, &np, &nl, &vp, &vl))
		if (nl && nl == strlen(name) && memcmp(np, name, nl) == 0)
			n++;
	return n;
}

static size_t count_sub(const char *hay, size_t hl, const char *needle, const char **first)
{
	size_t n = 0, nl = strlen(needle);
	*first = NULL;
	for (const char *p = hay; hl >= nl && p <= hay + hl - nl;) {
		const char *m = memmem(p, (size_t)(hay + hl - p), needle, nl);
		if (m == NULL)
			break;
		if (n++ == 0)
			*first = m;
		p = m + 1;
	}
	return n;
}

/* ------------------------------------------------------------------ Origin */

static bool simple_hostport(const char *h, size_t n)
{
	size_t i = 0;
	while (i < n && ((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= '0' && h[i] <= '9') || h[i] == '.' ||
			 h[i] == '-'))
		i++;
	if (i == 0)
		return false;
	if (i == n)
		return true;
	if (h[i] != ':' || n - i - 1 < 1 || n - i - 1 > 5)
		return false;
	long p = 0;
	for (size_t k = i + 1; k < n; k++) {
		if (h[k] < '0' || h[k] > '9')
			return false;
		p = p * 10 + (h[k] - '0');
	}
	return p >= 1 && p <= 65535;
}

static int origin_call(const struct config *c, const struct ws_hs_result *hs, bool tls, size_t cap,
		       char **detail_out, const char **why_out)
{
	char *detail = malloc(cap); /* exact size: ASan sees a write past it */
	memset(detail, 'x', cap);
	const char *why = NULL;
	int rc = auth_origin(c, &req, hs, tls, &why, detail, cap);
	CHECK(rc == 0 || rc == 403, "auth_origin %d", rc);
	if (rc == 403) {
		CHECK(why != NULL && why[0] != '\0', "403 without a reason");
		CHECK(memchr(detail, '\0', cap) != NULL, "detail not NUL-terminated in %zu bytes", cap);
	}
	*why_out = why;
	*detail_out = detail;
	return rc;
}

static void check_origin(uint8_t flags, const struct ws_hs_result *hs)
{
	unsigned policy = flags & 3u;
	struct config c = ocfg[policy];
	c.require_origin = (flags & 4) != 0;
	bool tls = (flags & 8) != 0;
	size_t cap = (flags & 0x10) ? 32 : 600;
	char *detail, *detail2;
	const char *why, *why2;
	int rc = origin_call(&c, hs, tls, cap, &detail, &why);
	int rc2 = origin_call(&c, hs, tls, cap, &detail2, &why2);
	CHECK(rc2 == rc && (rc == 0 || (strcmp(why, why2) == 0 && strcmp(detail, detail2) == 0)),
	      "second call: %d, first %d", rc2, rc);
	free(detail2);

	size_t n = 0;
	const char *ov = NULL;
	size_t ol = 0;
	for (size_t i = 0; i < req.nheaders; i++) {
		if (name_eq(req.headers[i].name, req.headers[i].name_len, "Origin") && n++ == 0) {
			ov = req.headers[i].value;
			ol = req.headers[i].value_len;
		}
	}
	struct origin_policy pol = { c.origins, c.norigins, c.sameorigin, tls };
	enum origin_verdict v = origin_check(ov, ol, n, hs->host, hs->host_len, &pol);
	bool allowed = v == ORIGIN_ALLOWED || (v == ORIGIN_ABSENT && !c.require_origin);
	CHECK((rc == 0) == allowed, "auth_origin %d, origin_check %d (require %d)", rc, v,
	      c.require_origin);
	if (n == 0)
		CHECK((rc == 0) == !c.require_origin, "no Origin: %d with require %d", rc, c.require_origin);
	if (n >= 2)
		CHECK(rc == 403, "%zu Origin headers allowed", n);
	bool is_null = n == 1 && ol == 4 && memcmp(ov, "null", 4) == 0;
	if (is_null)
		CHECK((rc == 0) == (policy == 1), "origin null: %d under policy %u", rc, policy);
	if (n == 1 && (policy == 1 || policy == 2) && ol == 19 && strncasecmp(ov, "https://example.com", 19) == 0)
		CHECK(rc == 0, "%.*s refused under policy %u", (int)ol, ov, policy);
	const char *scheme = tls ? "https://" : "http://";
	size_t sl = strlen(scheme);
	if (n == 1 && (policy == 0 || policy == 2) && simple_hostport(hs->host, hs->host_len) &&
	    ol == sl + hs->host_len && memcmp(ov, scheme, sl) == 0 &&
	    memcmp(ov + sl, hs->host, hs->host_len) == 0)
		CHECK(rc == 0, "same-origin %.*s with Host %.*s refused under policy %u", (int)ol, ov,
		      (int)hs->host_len, hs->host, policy);

	/* Across policies (require off, so only the Origin decides). */
	if (n == 1) {
		int r[4];
		for (unsigned p = 0; p < 4; p++) {
			struct config cp = ocfg[p];
			char *d;
			const char *w;
			r[p] = origin_call(&cp, hs, tls, 600, &d, &w);
			free(d);
		}
		if (r[0] == 0)
			CHECK(r[2] == 0, "same-origin %.*s allowed, refused by *", (int)ol, ov);
		if (r[3] == 0)
			CHECK(r[0] == 0 && r[1] == 0, "%.*s allowed with --sameorigin, not without (%d %d)",
			      (int)ol, ov, r[0], r[1]);
		if (is_null)
			CHECK(r[2] == 403, "null allowed by *");
	}
	free(detail);
}

/* ------------------------------------------------------------------ authentication */

static const char *env_value(const struct auth_outcome *o, const char *name)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < o->nenv; i++)
		if (strncmp(o->env[i], name, nl) == 0 && o->env[i][nl] == '=')
			return o->env[i] + nl + 1;
	return NULL;
}

static void same_outcome(const struct auth_outcome *a, const struct auth_outcome *b)
{
	CHECK(a->status == b->status && a->close_code == b->close_code && a->token_seen == b->token_seen,
	      "second call: status %d/%d", a->status, b->status);
	CHECK((a->reason == NULL) == (b->reason == NULL) &&
	      (a->reason == NULL || strcmp(a->reason, b->reason) == 0), "second call: another reason");
	CHECK(strcmp(a->detail, b->detail) == 0 && strcmp(a->user, b->user) == 0,
	      "second call: detail '%s' / '%s'", a->detail, b->detail);
	CHECK((a->query == NULL) == (b->query == NULL) && (!a->query || strcmp(a->query, b->query) == 0),
	      "second call: query");
	CHECK((a->target == NULL) == (b->target == NULL) &&
	      (!a->target || strcmp(a->target, b->target) == 0), "second call: target");
	CHECK(a->nenv == b->nenv, "second call: %zu env, first %zu", b->nenv, a->nenv);
	for (size_t i = 0; i < a->nenv; i++)
		CHECK(strcmp(a->env[i], b->env[i]) == 0, "second call: env %zu", i);
}

struct env_seen {
	size_t count;
	const char *value;
};

static struct env_seen env_find(char **env, int ne, const char *name)
{
	struct env_seen s = { 0, NULL };
	size_t nl = strlen(name);
	for (int i = 0; i < ne; i++) {
		if (strncmp(env[i], name, nl) == 0 && env[i][nl] == '=') {
			s.count++;
			s.value = env[i] + nl + 1;
		}
	}
	return s;
}

/* Is the one occurrence at p (length tl) somewhere stripping takes it out? */
static bool credential_place(const struct config *c, const struct ws_hs_result *hs, const char *p,
			     size_t tl, const char *mq, const char *mc, const char *tok)
{
	for (size_t i = 0; i < req.nheaders; i++) {
		const struct http_header *h = &req.headers[i];
		if (p < h->value || p + tl > h->value + h->value_len)
			continue;
		if (name_eq(h->name, h->name_len, "Authorization"))
			return true;
		if (c->auth_cookie && name_eq(h->name, h->name_len, "Cookie") && strstr(mc, tok) == NULL)
			return true;
		return false;
	}
	return c->auth_query && p >= hs->query && p + tl <= hs->query + hs->query_len &&
	       strstr(mq, tok) == NULL;
}

static void check_env(const struct config *c, const struct ws_hs_result *hs, const struct auth_outcome *o,
		      const struct cgienv_in *ci, const char *head, size_t head_len, const char *mq,
		      const char *mc)
{
	const char *why = NULL;
	int ne = cgienv_build(ci, arena, sizeof(arena), envp, WS_ENV_ENTRIES_MAX + 1, &why, NULL);
	if (ne < 0)
		return; /* a header value cgienv refuses, or too large: main answers 400/431 */
	bool pass = c->auth_pass_token;
	struct env_seen s = env_find(envp, ne, "HTTP_AUTHORIZATION");
	CHECK(pass || s.count == 0, "HTTP_AUTHORIZATION reaches the program");
	s = env_find(envp, ne, "REMOTE_USER");
	CHECK(s.count == 1 && strcmp(s.value, o->user) == 0, "REMOTE_USER %zu times", s.count);
	s = env_find(envp, ne, "AUTH_TYPE");
	CHECK(s.count == 1 && strcmp(s.value, env_value(o, "AUTH_TYPE")) == 0, "AUTH_TYPE %zu times",
	      s.count);
	if (pass)
		return;
	if (c->auth_query) {
		s = env_find(envp, ne, "QUERY_STRING");
		CHECK(s.count == 1 && query_count(s.value, c->auth_query) == 0,
		      "QUERY_STRING keeps %s: '%s'", c->auth_query, s.value ? s.value : "-");
		s = env_find(envp, ne, "REQUEST_URI");
		const char *qm = s.count == 1 ? strchr(s.value, '?') : NULL;
		CHECK(s.count == 1 && (!qm || query_count(qm + 1, c->auth_query) == 0),
		      "REQUEST_URI keeps %s: '%s'", c->auth_query, s.value ? s.value : "-");
	}
	if (c->auth_cookie) {
		s = env_find(envp, ne, "HTTP_COOKIE");
		CHECK(s.count <= 1, "HTTP_COOKIE %zu times", s.count);
		CHECK(s.count == 0 || cookie_count(s.value, c->auth_cookie) == 0,
		      "HTTP_COOKIE keeps %s: '%s'", c->auth_cookie, s.value);
	}
	/* A token presented once, where stripping takes it, reaches no variable. */
	const char *const toks[] = { T1, T2 };
	for (size_t t = 0; t < 2; t++) {
		const char *p;
		if (count_sub(head, head_len, toks[t], &p) != 1 ||
		    !credential_place(c, hs, p, strlen(toks[t]), mq, mc, toks[t]))
			continue;
		for (int i = 0; i < ne; i++)
			CHECK(strstr(envp[i], toks[t]) == NULL, "token T%zu reaches the program in %.40s...",
			      t + 1, envp[i]);
	}
}

static void check_auth(uint8_t flags, const struct ws_hs_result *hs, const char *head, size_t head_len)
{
	const struct config *c = &acfg[flags & 7u];
	char *target = strndup(req.target, req.target_len);
	char *query = strndup(hs->query, hs->query_len);
	char *path = strndup(hs->path, hs->path_len);
	char *host = strndup(hs->host, hs->host_len);
	const char *port = hdr_host_split(host);
	static const char *const extra_main[] = { "WS_PROTOCOL=", "WS_EXTENSIONS=", "WS_MODE=lines" };
	struct cgienv_in base = {
		.req = &req,
		.server_software = "wsinetd/fuzz",
		.remote_addr = "192.0.2.1",
		.remote_host = "192.0.2.1",
		.remote_port = "40000",
		.server_name = host,
		.server_port = port,
		.request_uri = target,
		.script_name = path,
		.path_info = "",
		.path_translated = "",
		.query_string = query,
		.unique_id = "fuzz",
		.https = false,
		.pass_authorization = false,
		.extra = (flags & 8) ? extra_long : extra_main,
		.nextra = (flags & 8) ? 45 : 3,
	};
	struct auth_outcome o, o2;
	int st = auth_check(c, &req, &base, &o);
	CHECK(st == o.status, "returned %d, stored %d", st, o.status);
	CHECK(st == 0 || st == 401 || st == 403 || st == 500, "status %d", st);
	if (st != 0) {
		CHECK(o.reason != NULL, "refusal %d without a reason", st);
		CHECK(st == 500 || o.close_code == (st == 401 ? 4001 : 4003), "close code %d for %d",
		      o.close_code, st);
	}
	CHECK(memchr(o.detail, '\0', sizeof(o.detail)) && memchr(o.user, '\0', sizeof(o.user)),
	      "detail or user not NUL-terminated");
	CHECK(o.nenv <= 4, "nenv %zu", o.nenv);

	/* Where a credential could be, with no Authorization header to take precedence. */
	bool authz = hdr_find(&req, "Authorization", 0) >= 0;
	char *qv = malloc(JWT_TOKEN_MAX + 1);
	long qf = c->auth_query ? query_find(query, strlen(query), c->auth_query, qv, JWT_TOKEN_MAX + 1) : -1;
	free(qv);
	const char *cv;
	size_t cvl = 0;
	bool cf = c->auth_cookie && cookie_find(&req, c->auth_cookie, &cv, &cvl) && cvl > 0;
	if (!authz) {
		bool present = qf > 0 || qf == -2 || cf;
		CHECK(o.token_seen == present, "token_seen %d, a credential %s", o.token_seen,
		      present ? "is there" : "is not");
		if (!present) {
			CHECK(st == 401 && strcmp(o.reason, "Authentication required") == 0,
			      "no credential: %d %s", st, o.reason ? o.reason : "-");
			CHECK(o.nenv == 0 && o.query == NULL && o.target == NULL, "no credential, yet stripped");
		}
	}

	/* The strip, against the models. */
	size_t rq = 0, rc = 0;
	char *mq = model_query_strip(query, c->auth_query ? c->auth_query : "", &rq);
	char *mc = model_cookie_strip(&req, c->auth_cookie ? c->auth_cookie : "", &rc);
	if (!c->auth_query)
		rq = 0;
	if (!c->auth_cookie)
		rc = 0;
	const char *hc = env_value(&o, "HTTP_COOKIE");
	if (o.query) {
		CHECK(strcmp(o.query, mq) == 0, "stripped query '%s', model '%s'", o.query, mq);
		size_t pl = strcspn(target, "?");
		CHECK(o.target && strncmp(o.target, target, pl) == 0 &&
		      o.target[pl] == (mq[0] ? '?' : '\0') && strcmp(o.target + pl + (mq[0] ? 1 : 0), mq) == 0,
		      "target '%s' for '%s' and query '%s'", o.target ? o.target : "-", target, mq);
	} else {
		CHECK(o.target == NULL, "target without query");
	}
	if (hc)
		CHECK(strcmp(hc, mc) == 0, "HTTP_COOKIE '%s', model '%s'", hc, mc);
	if (st == 0) {
		bool pass = c->auth_pass_token;
		CHECK((o.query != NULL) == (!pass && rq > 0), "query %s with %zu removed (pass %d)",
		      o.query ? "stripped" : "kept", rq, pass);
		CHECK((hc != NULL) == (!pass && rc > 0), "cookie %s with %zu removed (pass %d): '%s'",
		      hc ? "stripped" : "kept", rc, pass, mc);
		/* Only the harness's tokens verify. */
		const char *claims = strcmp(o.user, "fuzz-user") == 0 ? C1 : o.user[0] == '\0' ? C2 : NULL;
		CHECK(claims != NULL, "accepted user '%s'", o.user);
		CHECK(c->njwt_audiences == 0, "accepted without the configured audience");
		CHECK(o.token_seen && o.reason == NULL, "accepted: token_seen %d", o.token_seen);
		const char *cl = env_value(&o, "WS_AUTH_CLAIMS"), *ru = env_value(&o, "REMOTE_USER");
		const char *at = env_value(&o, "AUTH_TYPE");
		CHECK(cl && strcmp(cl, claims + strlen("WS_AUTH_CLAIMS=")) == 0, "claims '%s'", cl ? cl : "-");
		CHECK(ru && strcmp(ru, o.user) == 0, "REMOTE_USER '%s'", ru ? ru : "-");
		CHECK(at && (strcmp(at, "Bearer") == 0 ? authz || c->auth_query
			     : strcmp(at, "Cookie") == 0 && c->auth_cookie),
		      "AUTH_TYPE '%s'", at ? at : "-");
		CHECK(o.nenv == 3 + (hc != NULL), "%zu variables", o.nenv);
	}

	int st2 = auth_check(c, &req, &base, &o2);
	CHECK(st2 == st, "second call %d, first %d", st2, st);
	same_outcome(&o, &o2);
	auth_outcome_free(&o2);

	if (st == 0) {
		struct cgienv_in ci = base;
		int ar = auth_apply(c, &o, &ci);
		bool over = base.nextra + o.nenv > AUTH_EXTRA_MAX;
		CHECK(ar == (over ? -1 : 0), "auth_apply %d with %zu + %zu extras", ar, base.nextra, o.nenv);
		if (ar == 0) {
			CHECK(ci.nextra == base.nextra + o.nenv, "nextra %zu", ci.nextra);
			for (size_t i = 0; i < ci.nextra; i++)
				CHECK(ci.extra[i] == (i < base.nextra ? base.extra[i] : o.env[i - base.nextra]),
				      "extra %zu", i);
			CHECK(ci.query_string == (o.query ? o.query : base.query_string), "query_string");
			CHECK(ci.request_uri == (o.target ? o.target : base.request_uri), "request_uri");
			CHECK(ci.pass_authorization == c->auth_pass_token, "pass_authorization");
			CHECK(ci.req == base.req && ci.script_name == base.script_name, "other fields");
			check_env(c, hs, &o, &ci, head, head_len, mq, mc);
		}
	}
	auth_outcome_free(&o);
	auth_outcome_free(&o); /* a zeroed outcome */
	free(mq);
	free(mc);
	free(target);
	free(query);
	free(path);
	free(host);
}

/* ------------------------------------------------------------------ driver */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint8_t oflags = take_flags(&data, &size);
	uint8_t aflags = take_flags(&data, &size);
	/* The head: markers replaced by the tokens, then the handshake lines if asked. */
	size_t markers = 0, len = size;
	for (size_t i = 0; i < size && markers < MARKERS_MAX; i++)
		if (data[i] == 1 || data[i] == 2) {
			markers++;
			len += strlen(data[i] == 1 ? T1 : T2) - 1;
		}
	if (oflags & 0x80)
		len += sizeof(HS_LINES) - 1;
	char *head = malloc(len ? len : 1);
	size_t o = 0;
	markers = 0;
	for (size_t i = 0; i < size; i++) {
		if ((data[i] == 1 || data[i] == 2) && markers < MARKERS_MAX) {
			const char *t = data[i] == 1 ? T1 : T2;
			markers++;
			memcpy(head + o, t, strlen(t));
			o += strlen(t);
		} else {
			head[o++] = (char)data[i];
		}
	}
	if (oflags & 0x80) {
		memcpy(head + o, HS_LINES, sizeof(HS_LINES) - 1);
		o += sizeof(HS_LINES) - 1;
	}
	CHECK(o == len, "harness: head %zu of %zu", o, len);

	int r = http_req_parse((const uint8_t *)head, len, WS_HEADERS_DEFAULT, &req);
	if (r > 0) {
		struct ws_hs_config hc = { NULL, 0, false };
		struct ws_hs_result hs;
		if (ws_handshake_check(&req, &hc, &hs) == 0) {
			check_origin(oflags, &hs);
			check_auth(aflags, &hs, head, (size_t)r);
		}
	}
	free(head);
	return 0;
}
