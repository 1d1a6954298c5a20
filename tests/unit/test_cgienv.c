/* test_cgienv.c - handler/cgienv.c: the CGI set, HTTP_* mapping and joining, dropped
 * headers, refused values and names, replacement, and the arena/envp limits (with the
 * outputs placed right before a guard page, so any write past them crashes). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgienv.h"
#include "err.h"
#include "tap.h"

static const char *const CGI_NAMES[] = {
	"SERVER_SOFTWARE", "GATEWAY_INTERFACE", "REMOTE_ADDR", "REMOTE_HOST", "REMOTE_PORT",
	"SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "REQUEST_METHOD", "REQUEST_URI",
	"SCRIPT_NAME", "PATH_INFO", "PATH_TRANSLATED", "QUERY_STRING", "UNIQUE_ID", "HTTPS",
	"AUTH_TYPE", "REMOTE_USER", "CONTENT_LENGTH", "CONTENT_TYPE", "REMOTE_IDENT",
};
#define NCGI (sizeof(CGI_NAMES) / sizeof(CGI_NAMES[0]))

#define ARENA 65536
#define NENV 2048
static char arena[ARENA];
static char *envp[NENV];

static struct http_req *new_req(const char *method, int minor)
{
	struct http_req *r = calloc(1, sizeof(*r));
	if (r == NULL)
		exit(2);
	r->method = method;
	r->method_len = strlen(method);
	r->target = "/chat?x=1";
	r->target_len = strlen(r->target);
	r->minor_version = minor;
	return r;
}

static void add_hdr_n(struct http_req *r, const char *name, const char *value, size_t vlen)
{
	struct http_header *h = &r->headers[r->nheaders++];
	h->name = name;
	h->name_len = strlen(name);
	h->value = value;
	h->value_len = vlen;
}

static void add_hdr(struct http_req *r, const char *name, const char *value)
{
	add_hdr_n(r, name, value, strlen(value));
}

/* Value of NAME in envp, or NULL; *count gets the number of NAME= entries. */
static const char *get(char *const *e, const char *name, int *count)
{
	size_t nl = strlen(name);
	const char *v = NULL;
	int c = 0;
	for (; *e != NULL; e++) {
		if (strncmp(*e, name, nl) == 0 && (*e)[nl] == '=') {
			if (v == NULL)
				v = *e + nl + 1;
			c++;
		}
	}
	if (count)
		*count = c;
	return v;
}

static bool has(char *const *e, const char *name, const char *value)
{
	int c;
	const char *v = get(e, name, &c);
	return c == 1 && strcmp(v, value) == 0;
}

static int nentries(char *const *e)
{
	int n = 0;
	while (e[n] != NULL)
		n++;
	return n;
}

static size_t bytes_needed(char *const *e)
{
	size_t s = 0;
	for (; *e != NULL; e++)
		s += strlen(*e) + 1;
	return s;
}

static int build(const struct cgienv_in *in, const char **why)
{
	return cgienv_build(in, arena, sizeof(arena), envp, NENV, why, NULL);
}

static const char *const PASSENV[] = { "PATH=/usr/bin:/bin", "LANG=C.UTF-8" };
static const char *const EXTRA[] = { "WS_PROTOCOL=chat", "WS_EXTENSIONS=" };

static struct cgienv_in full_in(const struct http_req *req)
{
	struct cgienv_in in = {
		.req = req,
		.server_software = "wsinetd/0.1.0",
		.remote_addr = "192.0.2.7",
		.remote_host = "192.0.2.7",
		.remote_port = "51234",
		.server_name = "example.org",
		.server_port = "8080",
		.request_uri = "/chat?x=1",
		.script_name = "/chat",
		.path_info = "",
		.path_translated = "",
		.query_string = "x=1",
		.unique_id = "abc123",
		.https = true,
		.passenv = PASSENV,
		.npassenv = 2,
		.extra = EXTRA,
		.nextra = 2,
	};
	return in;
}

static void test_full_set(void)
{
	struct http_req *req = new_req("GET", 1);
	add_hdr(req, "Host", "example.org:8080");
	add_hdr(req, "Upgrade", "websocket");
	struct cgienv_in in = full_in(req);
	const char *why = NULL;

	int n = build(&in, &why);
	is_int(n, NCGI + 2 + 2 + 2, "full set: entry count");
	is_int(nentries(envp), n, "return value is the number of entries before the NULL");
	bool all = true;
	for (size_t i = 0; i < NCGI; i++) {
		int c;
		if (get(envp, CGI_NAMES[i], &c) == NULL || c != 1) {
			all = false;
			printf("# missing or repeated: %s\n", CGI_NAMES[i]);
		}
	}
	ok(all, "every CGI variable present exactly once");
	ok(has(envp, "SERVER_SOFTWARE", "wsinetd/0.1.0"), "SERVER_SOFTWARE");
	ok(has(envp, "GATEWAY_INTERFACE", "CGI/1.1"), "GATEWAY_INTERFACE=CGI/1.1");
	ok(has(envp, "SERVER_PROTOCOL", "HTTP/1.1"), "SERVER_PROTOCOL=HTTP/1.1");
	ok(has(envp, "REQUEST_METHOD", "GET"), "REQUEST_METHOD=GET");
	ok(has(envp, "REMOTE_ADDR", "192.0.2.7") && has(envp, "REMOTE_PORT", "51234"),
	   "REMOTE_ADDR, REMOTE_PORT");
	ok(has(envp, "SERVER_NAME", "example.org") && has(envp, "SERVER_PORT", "8080"),
	   "SERVER_NAME, SERVER_PORT");
	ok(has(envp, "REQUEST_URI", "/chat?x=1") && has(envp, "QUERY_STRING", "x=1") &&
		   has(envp, "SCRIPT_NAME", "/chat"),
	   "REQUEST_URI, QUERY_STRING, SCRIPT_NAME");
	ok(has(envp, "HTTPS", "on"), "HTTPS=on");
	ok(has(envp, "UNIQUE_ID", "abc123"), "UNIQUE_ID");
	ok(has(envp, "AUTH_TYPE", "") && has(envp, "REMOTE_USER", "") &&
		   has(envp, "CONTENT_LENGTH", "") && has(envp, "CONTENT_TYPE", "") &&
		   has(envp, "REMOTE_IDENT", ""),
	   "unsupported variables present and empty");
	ok(has(envp, "PATH", "/usr/bin:/bin") && has(envp, "LANG", "C.UTF-8"), "passenv exported");
	ok(has(envp, "WS_PROTOCOL", "chat") && has(envp, "WS_EXTENSIONS", ""), "extra exported");
	ok(has(envp, "HTTP_HOST", "example.org:8080") && has(envp, "HTTP_UPGRADE", "websocket"),
	   "HTTP_HOST, HTTP_UPGRADE");
	ok(why == NULL, "why NULL on success");
	ok(strcmp(envp[0], "PATH=/usr/bin:/bin") == 0 && strcmp(envp[1], "LANG=C.UTF-8") == 0,
	   "passenv comes first");
	ok(strncmp(envp[2], "HTTP_HOST=", 10) == 0 && strncmp(envp[3], "HTTP_UPGRADE=", 13) == 0,
	   "then the headers, in request order");
	ok(strcmp(envp[n - 2], "WS_PROTOCOL=chat") == 0 && strcmp(envp[n - 1], "WS_EXTENSIONS=") == 0,
	   "extra comes last");
	bool inside = true;
	for (int i = 0; i < n; i++)
		if (envp[i] < arena || envp[i] >= arena + sizeof(arena))
			inside = false;
	ok(inside, "every string lives in the arena");

	/* nothing set: every CGI variable still there, empty where there is no value */
	struct cgienv_in bare = { .req = req };
	n = build(&bare, NULL);
	is_int(n, NCGI + 2, "bare input: CGI set + 2 headers (why may be NULL)");
	all = true;
	for (size_t i = 0; i < NCGI; i++) {
		const char *v = get(envp, CGI_NAMES[i], NULL);
		if (v == NULL)
			all = false;
		else if (*v != '\0' && strcmp(CGI_NAMES[i], "GATEWAY_INTERFACE") != 0 &&
			 strcmp(CGI_NAMES[i], "SERVER_PROTOCOL") != 0 &&
			 strcmp(CGI_NAMES[i], "REQUEST_METHOD") != 0)
			all = false;
	}
	ok(all, "bare input: all present, NULL inputs empty");
	ok(has(envp, "HTTPS", ""), "bare input: HTTPS empty");

	struct http_req *r10 = new_req("GET", 0);
	bare.req = r10;
	n = build(&bare, NULL);
	ok(n > 0 && has(envp, "SERVER_PROTOCOL", "HTTP/1.0"), "HTTP/1.0 request: SERVER_PROTOCOL=HTTP/1.0");
	free(r10);

	struct http_req *rh = new_req("HEAD", 1);
	bare.req = rh;
	n = build(&bare, NULL);
	ok(n > 0 && has(envp, "REQUEST_METHOD", "HEAD"), "REQUEST_METHOD from the request (HEAD)");
	rh->minor_version = 2;
	why = NULL;
	is_int(build(&bare, &why), WS_E_MALFORMED, "minor_version 2: WS_E_MALFORMED");
	ok(why != NULL, "... why: %s", why ? why : "(null)");
	rh->minor_version = 1;
	rh->nheaders = WS_HEADERS_MAX + 1;
	is_int(build(&bare, NULL), WS_E_LIMIT, "nheaders over WS_HEADERS_MAX: WS_E_LIMIT");
	free(rh);

	bare.req = NULL;
	n = build(&bare, NULL);
	is_int(n, NCGI, "req NULL: the CGI set alone");
	ok(has(envp, "REQUEST_METHOD", "") && has(envp, "SERVER_PROTOCOL", ""),
	   "req NULL: REQUEST_METHOD and SERVER_PROTOCOL empty");
	free(req);
}

static void test_http_headers(void)
{
	struct http_req *req = new_req("GET", 1);
	add_hdr(req, "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
	add_hdr(req, "x-forwarded-for", "198.51.100.1");
	add_hdr(req, "Accept", "a");
	add_hdr(req, "Cookie", "a=1");
	add_hdr(req, "ACCEPT", "b");
	add_hdr(req, "cookie", "b=2");
	add_hdr(req, "Accept", "");
	add_hdr(req, "COOKIE", "c=3");
	add_hdr(req, "Empty", "");
	add_hdr(req, "Obs-Text", "caf\xc3\xa9 \xff\t tab");
	add_hdr(req, "X9-0", "digits");
	struct cgienv_in in = { .req = req };

	int n = build(&in, NULL);
	is_int(n, NCGI + 7, "7 distinct header names exported");
	ok(has(envp, "HTTP_SEC_WEBSOCKET_KEY", "dGhlIHNhbXBsZSBub25jZQ=="),
	   "Sec-WebSocket-Key -> HTTP_SEC_WEBSOCKET_KEY");
	ok(has(envp, "HTTP_X_FORWARDED_FOR", "198.51.100.1"), "lower-case name upper-cased, '-' -> '_'");
	ok(has(envp, "HTTP_ACCEPT", "a, b, "), "repeated Accept joined with \", \" (any case)");
	ok(has(envp, "HTTP_COOKIE", "a=1; b=2; c=3"), "repeated Cookie joined with \"; \"");
	ok(has(envp, "HTTP_EMPTY", ""), "empty value exported as empty");
	ok(has(envp, "HTTP_OBS_TEXT", "caf\xc3\xa9 \xff\t tab"), "obs-text and HTAB pass unchanged");
	ok(has(envp, "HTTP_X9_0", "digits"), "digits in names");
	ok(strncmp(envp[2], "HTTP_ACCEPT=", 12) == 0 && strncmp(envp[3], "HTTP_COOKIE=", 12) == 0,
	   "a joined entry sits where its first header was");

	/* 1000 headers of one name: one entry */
	struct http_req *many = new_req("GET", 1);
	for (int i = 0; i < (int)WS_HEADERS_MAX; i++)
		add_hdr(many, "X-Many", "v");
	in.req = many;
	n = build(&in, NULL);
	is_int(n, NCGI + 1, "1000 repeats of one header: one entry");
	const char *v = get(envp, "HTTP_X_MANY", NULL);
	ok(v != NULL && strlen(v) == WS_HEADERS_MAX * 3 - 2, "... of 1000 joined values");
	free(many);
	free(req);
}

static void test_dropped(void)
{
	struct http_req *req = new_req("GET", 1);
	add_hdr(req, "X_Foo", "evil");
	add_hdr(req, "X-Foo", "good");
	add_hdr(req, "x_foo", "evil2");
	add_hdr(req, "Only_Underscore", "evil");
	add_hdr(req, "_", "evil");
	add_hdr(req, "X.Dot", "dropped");
	add_hdr(req, "X Space", "dropped");
	add_hdr(req, "X\xc3\xa4", "dropped");
	add_hdr(req, "X:Colon", "dropped");
	add_hdr(req, "", "empty name");
	add_hdr(req, "Proxy", "http://evil/");
	add_hdr(req, "PROXY", "http://evil/");
	add_hdr(req, "proxy", "http://evil/");
	add_hdr(req, "Proxy-Connection", "keep-alive");
	add_hdr(req, "Authorization", "Bearer secret");
	add_hdr(req, "authorization", "Bearer secret2");
	struct cgienv_in in = { .req = req };

	int n = build(&in, NULL);
	is_int(n, NCGI + 2, "only X-Foo and Proxy-Connection exported");
	ok(has(envp, "HTTP_X_FOO", "good"), "X_Foo/x_foo dropped: HTTP_X_FOO is X-Foo's value only");
	ok(get(envp, "HTTP_ONLY_UNDERSCORE", NULL) == NULL && get(envp, "HTTP__", NULL) == NULL,
	   "names with '_' dropped");
	ok(get(envp, "HTTP_X.DOT", NULL) == NULL && get(envp, "HTTP_X SPACE", NULL) == NULL,
	   "names outside [A-Za-z0-9-] dropped");
	ok(get(envp, "HTTP_PROXY", NULL) == NULL, "Proxy (any case) never exported");
	ok(has(envp, "HTTP_PROXY_CONNECTION", "keep-alive"), "Proxy-Connection is not Proxy");
	ok(get(envp, "HTTP_AUTHORIZATION", NULL) == NULL, "Authorization hidden by default");
	bool secret = false;
	for (char **e = envp; *e; e++)
		if (strstr(*e, "secret") || strstr(*e, "evil"))
			secret = true;
	ok(!secret, "no dropped value appears anywhere");

	in.pass_authorization = true;
	n = build(&in, NULL);
	is_int(n, NCGI + 3, "pass_authorization: one more entry");
	ok(has(envp, "HTTP_AUTHORIZATION", "Bearer secret, Bearer secret2"),
	   "pass_authorization: HTTP_AUTHORIZATION exported (joined)");
	ok(get(envp, "HTTP_PROXY", NULL) == NULL, "pass_authorization does not let Proxy through");
	free(req);
}

static void test_bad_values(void)
{
	static const char *const vals[] = { "a\rb", "a\nb", "\r", "ab\n" };
	const char *why;
	char name[64];

	for (size_t i = 0; i < 4; i++) {
		struct http_req *req = new_req("GET", 1);
		add_hdr(req, "X-Bad", vals[i]);
		struct cgienv_in in = { .req = req };
		why = NULL;
		envp[0] = (char *)"sentinel";
		is_int(build(&in, &why), WS_E_MALFORMED, "header value with CR/LF #%zu refused", i);
		ok(why != NULL && envp[0] == NULL, "... why set (%s), envp emptied", why ? why : "(null)");
		free(req);
	}

	struct http_req *req = new_req("GET", 1);
	add_hdr_n(req, "X-Nul", "a\0b", 3);
	struct cgienv_in in = { .req = req };
	why = NULL;
	is_int(build(&in, &why), WS_E_MALFORMED, "header value with NUL refused");
	ok(why != NULL, "... why: %s", why ? why : "(null)");
	free(req);

	/* a header that is dropped anyway does not fail the build */
	req = new_req("GET", 1);
	add_hdr(req, "X_Dropped", "a\r\nb");
	add_hdr(req, "Proxy", "a\nb");
	add_hdr(req, "Authorization", "a\nb");
	in.req = req;
	ok(build(&in, NULL) == (int)NCGI, "CR/LF in a header that is never exported: ignored");
	in.pass_authorization = true;
	is_int(build(&in, NULL), WS_E_MALFORMED, "... but refused once Authorization is exported");
	in.pass_authorization = false;
	free(req);

	/* C-string inputs */
	struct cgienv_in c = { .req = NULL };
	c.remote_host = "evil\nHTTP_X=1";
	is_int(build(&c, &why), WS_E_MALFORMED, "LF in remote_host refused");
	c.remote_host = NULL;
	c.request_uri = "/a\rb";
	is_int(build(&c, &why), WS_E_MALFORMED, "CR in request_uri refused");
	c.request_uri = NULL;

	const char *pe[] = { "PATH=/bin\n/evil" };
	c.passenv = pe;
	c.npassenv = 1;
	why = NULL;
	is_int(build(&c, &why), WS_E_MALFORMED, "LF in a passenv value refused");
	ok(why != NULL, "... why: %s", why ? why : "(null)");
	c.npassenv = 0;
	const char *ex[] = { "WS_X=ok", "WS_Y=a\rb" };
	c.extra = ex;
	c.nextra = 2;
	is_int(build(&c, &why), WS_E_MALFORMED, "CR in an extra value refused");
	c.nextra = 0;

	/* the method is a slice too */
	req = new_req("GET", 1);
	req->method = "G\nT";
	c.req = req;
	is_int(build(&c, &why), WS_E_MALFORMED, "LF in the method refused");
	free(req);

	/* an error is an error whatever the room: checks come before any writing */
	c.req = NULL;
	c.passenv = pe;
	c.npassenv = 1;
	is_int(cgienv_build(&c, arena, 0, envp, 1, &why, NULL), WS_E_MALFORMED,
	       "malformed wins over a too small arena");
	snprintf(name, sizeof(name), "%s", why ? why : "");
	ok(strstr(name, "CR") != NULL || strstr(name, "LF") != NULL, "... why names CR/LF: %s", name);
}

static void test_replace(void)
{
	const char *pe[] = { "PATH=/a", "REMOTE_USER=mallory", "HTTP_HOST=fake", "WS_A=p" };
	const char *ex[] = { "PATH=/b", "WS_A=1", "WS_A=2", "REMOTE_USER=alice", "AUTH_TYPE=Bearer" };
	struct http_req *req = new_req("GET", 1);
	add_hdr(req, "Host", "real");
	struct cgienv_in in = {
		.req = req, .passenv = pe, .npassenv = 4, .extra = ex, .nextra = 5,
	};
	int n = build(&in, NULL);
	is_int(n, NCGI + 3, "replacements keep one entry per name");
	ok(has(envp, "PATH", "/b"), "extra PATH replaces passenv PATH (one entry)");
	ok(strcmp(envp[0], "PATH=/b") == 0, "... in the first PATH's position");
	ok(has(envp, "HTTP_HOST", "real"), "header replaces a passenv HTTP_HOST");
	ok(has(envp, "WS_A", "2"), "within extra, the last one wins");
	ok(has(envp, "REMOTE_USER", "alice") && has(envp, "AUTH_TYPE", "Bearer"),
	   "extra REMOTE_USER/AUTH_TYPE replace the empty CGI ones");
	in.nextra = 0;
	n = build(&in, NULL);
	ok(has(envp, "REMOTE_USER", ""), "passenv REMOTE_USER replaced by the CGI set");

	/* a name that is a prefix of another is a different name */
	const char *px[] = { "PATH=/x", "PATHX=/y", "PAT=/z" };
	struct cgienv_in p = { .passenv = px, .npassenv = 3 };
	n = build(&p, NULL);
	ok(has(envp, "PATH", "/x") && has(envp, "PATHX", "/y") && has(envp, "PAT", "/z"),
	   "PATH, PATHX and PAT are three entries");
	free(req);
}

/* s made printable for a TAP description: bytes outside ASCII 0x20-0x7e as \xNN. */
static const char *show(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	for (; *s != '\0' && o + 5 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c < 0x7f)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
	}
	out[o] = '\0';
	return out;
}

static void test_bad_names(void)
{
	char shown[64];
	static const char *const bad[] = {
		"path=/x", "=x", "NOEQUALS", "A-B=1", "A B=1", "A.B=1", "", "\xc3\x84=1", "A\t=1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cgienv_in in = { .passenv = &bad[i], .npassenv = 1 };
		const char *why = NULL;
		is_int(build(&in, &why), WS_E_MALFORMED, "passenv \"%s\" refused", show(bad[i], shown, sizeof(shown)));
		ok(why != NULL, "... why: %s", why ? why : "(null)");
		struct cgienv_in ex = { .extra = &bad[i], .nextra = 1 };
		is_int(build(&ex, NULL), WS_E_MALFORMED, "extra \"%s\" refused", show(bad[i], shown, sizeof(shown)));
	}
	const char *null_entry[] = { "OK=1", NULL };
	struct cgienv_in in = { .passenv = null_entry, .npassenv = 2 };
	is_int(build(&in, NULL), WS_E_MALFORMED, "NULL passenv entry refused");
	struct cgienv_in nl = { .extra = NULL, .nextra = 1 };
	is_int(build(&nl, NULL), WS_E_MALFORMED, "NULL extra list with nextra 1 refused");
	const char *good[] = { "A=", "_=1", "0=x", "A_B_9=a=b" };
	struct cgienv_in g = { .passenv = good, .npassenv = 4 };
	is_int(build(&g, NULL), NCGI + 4, "names of [A-Z0-9_]+ accepted, '=' in a value fine");
	ok(has(envp, "A_B_9", "a=b"), "value keeps its '='");
}

/* The outputs end at a PROT_NONE page: a write past arena_cap or envp_cap crashes. The
 * arena starts filled with 0xA5: every byte at or past *used must still be (what a
 * caller wipes is exactly what was written), and on success *used is where the last
 * entry written ends. */
static int guarded_build(const struct cgienv_in *in, size_t acap, size_t ecap, int *count)
{
	static char zeros[1u << 20], fill[1u << 20];
	if (acap > sizeof(zeros) || ecap * sizeof(char *) > sizeof(zeros))
		exit(2);
	memset(fill, 0xA5, acap);
	char *a = (char *)guard_copy(fill, acap);
	char **e = (char **)(void *)guard_copy(zeros, ecap * sizeof(char *));
	size_t used = SIZE_MAX;
	int r = cgienv_build(in, a, acap, e, ecap, NULL, &used);
	if (count)
		*count = r >= 0 ? nentries(e) : -1;
	if (r < 0 && ecap > 0 && e[0] != NULL)
		r = -100; /* envp must not be left looking valid */
	if (used > acap)
		r = -101;
	for (size_t i = used; r > -100 && i < acap; i++)
		if ((unsigned char)a[i] != 0xA5)
			r = -102; /* written past what *used says */
	if (r >= 0) {
		size_t end = 0;
		for (char **p = e; *p != NULL; p++)
			if ((size_t)(*p - a) + strlen(*p) + 1 > end)
				end = (size_t)(*p - a) + strlen(*p) + 1;
		if (end != used)
			r = -103;
	}
	guard_free((uint8_t *)e, ecap * sizeof(char *));
	guard_free((uint8_t *)a, acap);
	return r;
}

static void test_limits(void)
{
	struct http_req *req = new_req("GET", 1);
	add_hdr(req, "Host", "example.org");
	add_hdr(req, "Cookie", "a=1");
	add_hdr(req, "cookie", "b=2");
	struct cgienv_in in = full_in(req);

	int n = build(&in, NULL);
	size_t need = bytes_needed(envp);
	size_t ecap = (size_t)n + 1;
	int count = 0;
	is_int(guarded_build(&in, need, ecap, &count), n, "arena and envp exactly big enough (%zu bytes, %zu slots)",
	       need, ecap);
	is_int(count, n, "... all entries there");
	is_int(guarded_build(&in, need - 1, ecap, NULL), WS_E_LIMIT, "arena one byte short: WS_E_LIMIT");
	is_int(guarded_build(&in, need, ecap - 1, NULL), WS_E_LIMIT, "envp one slot short: WS_E_LIMIT");
	bool all = true;
	for (size_t c = 0; c < need; c++)
		if (guarded_build(&in, c, ecap, NULL) != WS_E_LIMIT)
			all = false;
	ok(all, "every arena size below %zu: WS_E_LIMIT, never a write past it", need);
	all = true;
	for (size_t c = 0; c < ecap; c++)
		if (guarded_build(&in, need, c, NULL) != WS_E_LIMIT)
			all = false;
	ok(all, "every envp size below %zu (0 included): WS_E_LIMIT", ecap);
	is_int(cgienv_build(&in, NULL, 0, envp, NENV, NULL, NULL), WS_E_LIMIT, "NULL arena of size 0: WS_E_LIMIT");
	is_int(cgienv_build(&in, arena, sizeof(arena), NULL, 0, NULL, NULL), WS_E_LIMIT, "NULL envp: WS_E_LIMIT");
	free(req);

	/* 1000 distinct headers */
	struct http_req *big = new_req("GET", 1);
	static char names[WS_HEADERS_MAX][16];
	static char value[200];
	memset(value, 'v', sizeof(value) - 1);
	for (size_t i = 0; i < WS_HEADERS_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "X-H%zu", i);
		add_hdr(big, names[i], value);
	}
	struct cgienv_in bi = { .req = big };
	is_int(guarded_build(&bi, 4096, 300, NULL), WS_E_LIMIT, "1000 headers, 4 KiB arena: WS_E_LIMIT");
	is_int(guarded_build(&bi, 1u << 20, 300, NULL), WS_E_LIMIT, "1000 headers, 300 envp slots: WS_E_LIMIT");
	is_int(guarded_build(&bi, 64u * 1024u, 2000, NULL), WS_E_LIMIT,
	       "1000 headers of 200 bytes, 64 KiB arena: WS_E_LIMIT");
	is_int(guarded_build(&bi, 1u << 20, 2000, &count), WS_HEADERS_MAX + NCGI,
	       "1000 headers with room enough: all exported");
	/* same for one name repeated: the joined entry outgrows the arena mid-value */
	struct http_req *rep = new_req("GET", 1);
	for (size_t i = 0; i < WS_HEADERS_MAX; i++)
		add_hdr(rep, "X-Rep", value);
	bi.req = rep;
	is_int(guarded_build(&bi, 4096, 300, NULL), WS_E_LIMIT, "1000 repeated headers, 4 KiB arena: WS_E_LIMIT");
	free(rep);
	free(big);
}

int main(void)
{
	test_full_set();
	test_http_headers();
	test_dropped();
	test_bad_values();
	test_replace();
	test_bad_names();
	test_limits();
	return done_testing();
}
