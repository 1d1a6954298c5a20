/* fuzz_cgienv - the program's environment (handler/cgienv.c) from a request.
 *
 * Input: byte 0 = flags (how the request is made, pass_authorization, arena size),
 * then either a request head for http_req_parse, or (flag 1) raw header records
 * "name\0value\0..." put in a struct http_req directly, so names and values the parser
 * would refuse (CR, LF, NUL, '_', ...) reach cgienv_build too.
 * Properties, whenever cgienv_build returns n >= 0:
 *   - envp[n] == NULL, every entry lies inside the arena and is NUL-terminated there;
 *   - every entry is NAME=VALUE with NAME in [A-Z0-9_]+, no CR/LF in VALUE;
 *   - no NAME twice; no HTTP_PROXY; HTTP_AUTHORIZATION only when passed on purpose;
 *   - every HTTP_X comes from a header whose name is in [A-Za-z0-9-] and maps to X, and
 *     every such header has its HTTP_X (given the default sizes);
 *   - the CGI set is all there (SERVER_SOFTWARE ... REMOTE_IDENT);
 * and a request http_req_parse accepted is never WS_E_MALFORMED (its grammar already
 * excludes CR, LF and NUL from values). */
#include <stdbool.h>
#include <string.h>

#include "cgienv.h"
#include "err.h"
#include "fuzz.h"
#include "http_req.h"

static const char *const cgi_names[] = {
	"SERVER_SOFTWARE", "GATEWAY_INTERFACE", "REMOTE_ADDR", "REMOTE_HOST", "REMOTE_PORT",
	"SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "REQUEST_METHOD", "REQUEST_URI",
	"SCRIPT_NAME", "PATH_INFO", "PATH_TRANSLATED", "QUERY_STRING", "UNIQUE_ID", "HTTPS",
	"AUTH_TYPE", "REMOTE_USER", "CONTENT_LENGTH", "CONTENT_TYPE", "REMOTE_IDENT",
};

static bool hname_ok(const char *n, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)n[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
	}
	return true;
}

static bool maps_to(const char *hname, size_t hlen, const char *var, size_t vlen)
{
	if (vlen != 5 + hlen || memcmp(var, "HTTP_", 5) != 0)
		return false;
	for (size_t i = 0; i < hlen; i++) {
		unsigned char c = (unsigned char)hname[i];
		char want = c == '-' ? '_' : (c >= 'a' && c <= 'z') ? (char)(c - 32) : (char)c;
		if (var[5 + i] != want)
			return false;
	}
	return true;
}

static bool ieq(const char *a, size_t n, const char *lit)
{
	if (strlen(lit) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char x = a[i], y = lit[i];
		if (x >= 'a' && x <= 'z')
			x = (char)(x - 32);
		if (y >= 'a' && y <= 'z')
			y = (char)(y - 32);
		if (x != y)
			return false;
	}
	return true;
}

static struct http_req req;
static char arena[WS_ENV_BYTES_MAX];
static char *envp[WS_ENV_ENTRIES_MAX + 1];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t fl = take_flags(&data, &size);
	uint8_t *buf = fuzz_dup(data, size);
	bool parsed = !(fl & 1);
	if (parsed) {
		if (http_req_parse(buf, size, WS_HEADERS_MAX, &req) <= 0)
			goto out;
	} else {
		memset(&req, 0, sizeof(req));
		req.method = "GET";
		req.method_len = 3;
		req.target = "/";
		req.target_len = 1;
		req.minor_version = 1;
		size_t p = 0;
		while (p < size && req.nheaders < WS_HEADERS_MAX) {
			const char *nm = (const char *)buf + p;
			const uint8_t *z = memchr(buf + p, 0, size - p);
			size_t nl = z ? (size_t)(z - (buf + p)) : size - p;
			p += nl + (z ? 1 : 0);
			const char *vl = (const char *)buf + p;
			z = p < size ? memchr(buf + p, 0, size - p) : NULL;
			size_t vlen = p < size ? (z ? (size_t)(z - (buf + p)) : size - p) : 0;
			p += vlen + (z ? 1 : 0);
			req.headers[req.nheaders++] =
				(struct http_header){ nm, nl, vlen ? vl : NULL, vlen };
		}
	}

	static const char *const passenv[] = { "PATH=/usr/bin:/bin", "LANG=C.UTF-8",
						"HTTP_HOST=passenv-host" };
	static const char *const extra[] = { "WS_PROTOCOL=chat", "REMOTE_USER=alice" };
	struct cgienv_in in = {
		.req = &req,
		.server_software = "wsinetd/0.1.0",
		.remote_addr = "127.0.0.1",
		.remote_host = "127.0.0.1",
		.remote_port = "40000",
		.server_name = "localhost",
		.server_port = "8080",
		.request_uri = "/a?b",
		.script_name = "/a",
		.path_info = "",
		.path_translated = "",
		.query_string = "b",
		.unique_id = "0123456789abcdef01234567",
		.https = (fl & 4) != 0,
		.pass_authorization = (fl & 2) != 0,
		.passenv = passenv,
		.npassenv = (fl >> 3) & 3,
		.extra = extra,
		.nextra = (fl >> 5) & 3,
	};
	if (in.npassenv > 3)
		in.npassenv = 3;
	if (in.nextra > 2)
		in.nextra = 2;
	/* Mostly the real sizes; sometimes tiny ones, to walk the WS_E_LIMIT paths. */
	size_t acap = sizeof(arena), ecap = WS_ENV_ENTRIES_MAX + 1;
	bool small = (fl & 0x80) != 0;
	if (small) {
		acap = 64 + (size % 2048);
		ecap = 1 + (size % 40);
	}
	memset(envp, 0x5A, sizeof(envp));
	const char *why = NULL;
	memset(arena, 0xA5, acap);
	size_t used = SIZE_MAX;
	int n = cgienv_build(&in, arena, acap, envp, ecap, &why, &used);
	CHECK(used <= acap, "used %zu past the arena's %zu", used, acap);
	for (size_t i = used; i < acap && i < used + 64; i++)
		CHECK((unsigned char)arena[i] == 0xA5, "byte %zu past used %zu written", i, used);
	if (n < 0) {
		CHECK(n == WS_E_LIMIT || n == WS_E_MALFORMED, "result %d", n);
		CHECK(why != NULL, "no reason");
		CHECK(envp[0] == NULL, "envp[0] after an error");
		if (parsed && n == WS_E_MALFORMED)
			CHECK(0, "a parsed request refused as malformed: %s", why);
		goto out;
	}
	CHECK((size_t)n < ecap && envp[n] == NULL, "count %d, cap %zu", n, ecap);
	for (int i = 0; i < n; i++) {
		const char *e = envp[i];
		CHECK(e >= arena && e < arena + acap, "entry %d outside the arena", i);
		size_t room = (size_t)(arena + acap - e);
		CHECK(memchr(e, 0, room) != NULL, "entry %d not terminated in the arena", i);
		size_t k = 0;
		while ((e[k] >= 'A' && e[k] <= 'Z') || (e[k] >= '0' && e[k] <= '9') || e[k] == '_')
			k++;
		CHECK(k > 0 && e[k] == '=', "entry %d name: %s", i, e);
		CHECK(strpbrk(e, "\r\n") == NULL, "CR/LF in entry %d", i);
		for (int j = 0; j < i; j++)
			CHECK(strncmp(envp[j], e, k + 1) != 0, "%.*s twice", (int)k, e);
		CHECK(strncmp(e, "HTTP_PROXY=", 11) != 0, "httpoxy");
		if (!in.pass_authorization)
			CHECK(strncmp(e, "HTTP_AUTHORIZATION=", 19) != 0, "Authorization exported");
		if (strncmp(e, "HTTP_", 5) == 0 && !(in.npassenv >= 3 && strcmp(e, passenv[2]) == 0)) {
			bool from = false;
			for (size_t h = 0; h < req.nheaders && !from; h++)
				from = hname_ok(req.headers[h].name, req.headers[h].name_len) &&
				       maps_to(req.headers[h].name, req.headers[h].name_len, e, k);
			CHECK(from, "%.*s from no header", (int)k, e);
		}
	}
	for (size_t c = 0; c < sizeof(cgi_names) / sizeof(cgi_names[0]); c++) {
		size_t l = strlen(cgi_names[c]);
		bool found = false;
		for (int i = 0; i < n && !found; i++)
			found = strncmp(envp[i], cgi_names[c], l) == 0 && envp[i][l] == '=';
		CHECK(found, "%s missing", cgi_names[c]);
	}
	for (size_t h = 0; h < req.nheaders; h++) {
		const struct http_header *x = &req.headers[h];
		if (!hname_ok(x->name, x->name_len) || ieq(x->name, x->name_len, "Proxy") ||
		    (!in.pass_authorization && ieq(x->name, x->name_len, "Authorization")))
			continue;
		bool found = false;
		for (int i = 0; i < n && !found; i++) {
			const char *eq = strchr(envp[i], '=');
			found = maps_to(x->name, x->name_len, envp[i], (size_t)(eq - envp[i]));
		}
		CHECK(found, "header %.*s not exported", (int)x->name_len, x->name);
	}
out:
	free(buf);
	return 0;
}
