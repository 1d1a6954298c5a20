/* cgienv.c - the program's environment, built from nothing; see cgienv.h.
 *
 * Two passes: the first checks every name and value that would be exported, so a bad
 * input gives WS_E_MALFORMED whatever the sizes of arena and envp; the second writes
 * the entries. Entries are written one after the other into the arena; a later entry
 * replacing an earlier one takes over its slot in envp (the old bytes stay in the arena
 * unused, so replacements count towards arena_cap). */
#include "cgienv.h"

#include <stdint.h>
#include <string.h>

#include "err.h"

/* The count is returned as an int. (Not INT_MAX: with -Ihandler, <limits.h> finds our
 * handler/limits.h instead of the system one.) */
#define ENTRIES_MAX ((size_t)(~0u >> 1))

struct env_out {
	char *arena;
	size_t cap;
	size_t used;
	char **envp;
	size_t max_entries;  /* envp_cap - 1: the NULL needs one slot */
	size_t n;
	size_t start;        /* arena offset of the entry being written */
};

static bool is_env_name_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static bool is_header_name_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

static unsigned char ascii_upper(unsigned char c)
{
	return (c >= 'a' && c <= 'z') ? (unsigned char)(c - ('a' - 'A')) : c;
}

static bool ascii_caseeq(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (ascii_upper((unsigned char)a[i]) != ascii_upper((unsigned char)b[i]))
			return false;
	return true;
}

/* CR or LF would let a value forge further lines for programs that log or re-parse
 * their environment; NUL would silently cut it. */
static bool value_ok(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == '\r' || v[i] == '\n' || v[i] == '\0')
			return false;
	return true;
}

static bool cstr_value_ok(const char *v)
{
	return v == NULL || value_ok(v, strlen(v));
}

/* Exported as HTTP_*? Names outside [A-Za-z0-9-] are dropped: with '_' allowed,
 * "X_Foo" would arrive as HTTP_X_FOO and pass for a header the proxy in front vouched
 * for (only "X-Foo" is). "Proxy" never (httpoxy, CVE-2016-5385). */
static bool header_exported(const struct http_header *h, bool pass_authorization)
{
	if (h->name == NULL || h->name_len == 0)
		return false;
	for (size_t i = 0; i < h->name_len; i++)
		if (!is_header_name_char((unsigned char)h->name[i]))
			return false;
	if (ascii_caseeq(h->name, h->name_len, "Proxy", 5))
		return false;
	if (!pass_authorization && ascii_caseeq(h->name, h->name_len, "Authorization", 13))
		return false;
	return true;
}

/* Checks one "NAME=VALUE" pair from passenv/extra. */
static int pair_check(const char *s, const char **why)
{
	if (s == NULL) {
		*why = "NULL environment entry";
		return WS_E_MALFORMED;
	}
	size_t i = 0;
	while (is_env_name_char((unsigned char)s[i]))
		i++;
	if (i == 0 || s[i] != '=') {
		*why = s[i] == '=' ? "empty environment name"
		     : s[i] == '\0' ? "environment entry is not NAME=VALUE"
				    : "environment name is not [A-Z0-9_]+";
		return WS_E_MALFORMED;
	}
	if (!cstr_value_ok(s + i + 1)) {
		*why = "CR or LF in an environment value";
		return WS_E_MALFORMED;
	}
	return 0;
}

static int pairs_check(const char *const *v, size_t n, const char **why)
{
	if (n > 0 && v == NULL) {
		*why = "NULL environment list";
		return WS_E_MALFORMED;
	}
	for (size_t i = 0; i < n; i++) {
		int r = pair_check(v[i], why);
		if (r < 0)
			return r;
	}
	return 0;
}

static int input_check(const struct cgienv_in *in, const char **why)
{
	int r = pairs_check(in->passenv, in->npassenv, why);
	if (r < 0)
		return r;
	r = pairs_check(in->extra, in->nextra, why);
	if (r < 0)
		return r;

	const char *const strs[] = {
		in->server_software, in->remote_addr, in->remote_host, in->remote_port,
		in->server_name, in->server_port, in->request_uri, in->script_name,
		in->path_info, in->path_translated, in->query_string, in->unique_id,
	};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		if (!cstr_value_ok(strs[i])) {
			*why = "CR or LF in a CGI variable";
			return WS_E_MALFORMED;
		}
	}

	const struct http_req *req = in->req;
	if (req == NULL)
		return 0;
	if (req->minor_version != 0 && req->minor_version != 1) {
		*why = "HTTP version is not 1.0 or 1.1";
		return WS_E_MALFORMED;
	}
	if (req->method_len > 0 && (req->method == NULL || !value_ok(req->method, req->method_len))) {
		*why = "CR, LF or NUL in the request method";
		return WS_E_MALFORMED;
	}
	if (req->nheaders > WS_HEADERS_MAX) {
		*why = "too many request headers";
		return WS_E_LIMIT;
	}
	for (size_t i = 0; i < req->nheaders; i++) {
		const struct http_header *h = &req->headers[i];
		if (!header_exported(h, in->pass_authorization))
			continue;
		if (h->value_len > 0 && (h->value == NULL || !value_ok(h->value, h->value_len))) {
			*why = "CR, LF or NUL in a request header value";
			return WS_E_MALFORMED;
		}
	}
	return 0;
}

static int put(struct env_out *o, const void *p, size_t n)
{
	if (n > o->cap - o->used)
		return WS_E_LIMIT;
	if (n > 0)
		memcpy(o->arena + o->used, p, n);
	o->used += n;
	return 0;
}

static int put_str(struct env_out *o, const char *s)
{
	return s == NULL ? 0 : put(o, s, strlen(s));
}

/* Terminates the entry started at o->start, whose name is name_len bytes, and files it
 * in envp: over an earlier entry of the same name, else at the end. */
static int finish(struct env_out *o, size_t name_len)
{
	int r = put(o, "", 1);
	if (r < 0)
		return r;
	char *e = o->arena + o->start;
	for (size_t i = 0; i < o->n; i++) {
		/* strncmp stops at an earlier entry's NUL; both have '=' at name_len */
		if (strncmp(o->envp[i], e, name_len + 1) == 0) {
			o->envp[i] = e;
			return 0;
		}
	}
	if (o->n >= o->max_entries)
		return WS_E_LIMIT;
	o->envp[o->n++] = e;
	return 0;
}

static int put_var(struct env_out *o, const char *name, const char *value)
{
	size_t nl = strlen(name);
	o->start = o->used;
	int r = put(o, name, nl);
	if (r == 0)
		r = put(o, "=", 1);
	if (r == 0)
		r = put_str(o, value);
	if (r == 0)
		r = finish(o, nl);
	return r;
}

static int put_pair(struct env_out *o, const char *pair)
{
	size_t nl = (size_t)(strchr(pair, '=') - pair);
	o->start = o->used;
	int r = put_str(o, pair);
	if (r == 0)
		r = finish(o, nl);
	return r;
}

/* HTTP_<NAME>=v1, v2... for header i and every later header with the same name. The
 * caller skips headers whose name an earlier exported header already had. */
static int put_header(struct env_out *o, const struct http_req *req, size_t i)
{
	const struct http_header *h = &req->headers[i];
	bool cookie = ascii_caseeq(h->name, h->name_len, "Cookie", 6);
	o->start = o->used;
	int r = put(o, "HTTP_", 5);
	if (r < 0)
		return r;
	if (h->name_len > o->cap - o->used)
		return WS_E_LIMIT;
	for (size_t k = 0; k < h->name_len; k++) {
		unsigned char c = (unsigned char)h->name[k];
		o->arena[o->used + k] = c == '-' ? '_' : (char)ascii_upper(c);
	}
	o->used += h->name_len;
	if ((r = put(o, "=", 1)) < 0 || (r = put(o, h->value, h->value_len)) < 0)
		return r;
	for (size_t j = i + 1; j < req->nheaders; j++) {
		const struct http_header *g = &req->headers[j];
		/* the same name case-insensitively means the same HTTP_ name, since names
		 * with '_' are never exported; and it is exported exactly when h is */
		if (!ascii_caseeq(g->name, g->name_len, h->name, h->name_len))
			continue;
		if ((r = put(o, cookie ? "; " : ", ", 2)) < 0 ||
		    (r = put(o, g->value, g->value_len)) < 0)
			return r;
	}
	return finish(o, 5 + h->name_len);
}

static int put_headers(struct env_out *o, const struct http_req *req, bool pass_authorization)
{
	for (size_t i = 0; i < req->nheaders; i++) {
		const struct http_header *h = &req->headers[i];
		if (!header_exported(h, pass_authorization))
			continue;
		bool joined = false;
		for (size_t j = 0; j < i && !joined; j++)
			joined = ascii_caseeq(req->headers[j].name, req->headers[j].name_len,
					      h->name, h->name_len);
		if (joined)
			continue;
		int r = put_header(o, req, i);
		if (r < 0)
			return r;
	}
	return 0;
}

static int put_cgi(struct env_out *o, const struct cgienv_in *in)
{
	const struct http_req *req = in->req;
	const char *proto = req == NULL ? "" : req->minor_version == 0 ? "HTTP/1.0" : "HTTP/1.1";
	int r;

	if ((r = put_var(o, "SERVER_SOFTWARE", in->server_software)) < 0 ||
	    (r = put_var(o, "GATEWAY_INTERFACE", "CGI/1.1")) < 0 ||
	    (r = put_var(o, "REMOTE_ADDR", in->remote_addr)) < 0 ||
	    (r = put_var(o, "REMOTE_HOST", in->remote_host)) < 0 ||
	    (r = put_var(o, "REMOTE_PORT", in->remote_port)) < 0 ||
	    (r = put_var(o, "SERVER_NAME", in->server_name)) < 0 ||
	    (r = put_var(o, "SERVER_PORT", in->server_port)) < 0 ||
	    (r = put_var(o, "SERVER_PROTOCOL", proto)) < 0)
		return r;

	/* REQUEST_METHOD is a slice, not a C string */
	o->start = o->used;
	if ((r = put(o, "REQUEST_METHOD=", 15)) < 0)
		return r;
	if (req != NULL && (r = put(o, req->method, req->method_len)) < 0)
		return r;
	if ((r = finish(o, 14)) < 0)
		return r;

	if ((r = put_var(o, "REQUEST_URI", in->request_uri)) < 0 ||
	    (r = put_var(o, "SCRIPT_NAME", in->script_name)) < 0 ||
	    (r = put_var(o, "PATH_INFO", in->path_info)) < 0 ||
	    (r = put_var(o, "PATH_TRANSLATED", in->path_translated)) < 0 ||
	    (r = put_var(o, "QUERY_STRING", in->query_string)) < 0 ||
	    (r = put_var(o, "UNIQUE_ID", in->unique_id)) < 0 ||
	    (r = put_var(o, "HTTPS", in->https ? "on" : "")) < 0 ||
	    /* set by in->extra when authentication ran */
	    (r = put_var(o, "AUTH_TYPE", "")) < 0 ||
	    (r = put_var(o, "REMOTE_USER", "")) < 0 ||
	    /* a WebSocket upgrade has no body */
	    (r = put_var(o, "CONTENT_LENGTH", "")) < 0 ||
	    (r = put_var(o, "CONTENT_TYPE", "")) < 0 ||
	    /* no RFC 1413 lookups */
	    (r = put_var(o, "REMOTE_IDENT", "")) < 0)
		return r;
	return 0;
}

static int build(struct env_out *o, const struct cgienv_in *in)
{
	int r;
	for (size_t i = 0; i < in->npassenv; i++)
		if ((r = put_pair(o, in->passenv[i])) < 0)
			return r;
	if (in->req != NULL && (r = put_headers(o, in->req, in->pass_authorization)) < 0)
		return r;
	if ((r = put_cgi(o, in)) < 0)
		return r;
	for (size_t i = 0; i < in->nextra; i++)
		if ((r = put_pair(o, in->extra[i])) < 0)
			return r;
	return 0;
}

int cgienv_build(const struct cgienv_in *in, char *arena, size_t arena_cap, char **envp,
		 size_t envp_cap, const char **why, size_t *used)
{
	const char *dummy;
	size_t no_used;
	if (why == NULL)
		why = &dummy;
	if (used == NULL)
		used = &no_used;
	*why = NULL;
	*used = 0;
	if (envp_cap == 0 || (envp == NULL) || (arena == NULL && arena_cap > 0)) {
		*why = "no room for the environment";
		return WS_E_LIMIT;
	}
	envp[0] = NULL;
	if (in == NULL) {
		*why = "no input";
		return WS_E_MALFORMED;
	}

	int r = input_check(in, why);
	if (r < 0)
		return r;

	struct env_out o = {
		.arena = arena,
		.cap = arena_cap,
		.envp = envp,
		.max_entries = envp_cap - 1 > ENTRIES_MAX ? ENTRIES_MAX : envp_cap - 1,
	};
	r = build(&o, in);
	*used = o.used;
	if (r < 0) {
		envp[0] = NULL;
		*why = "environment too large";
		return r;
	}
	envp[o.n] = NULL;
	return (int)o.n;
}
