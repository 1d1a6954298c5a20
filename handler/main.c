/* main.c - config → connection → request → handshake → program → relay → exit status.
 * Holds no protocol logic: each step is a call into the module that owns it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <link.h>
#include <malloc.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "cgienv.h"
#include "child.h"
#include "config.h"
#include "conn.h"
#include "err.h"
#include "frame.h"
#include "handshake.h"
#include "hdr.h"
#include "http_plain.h"
#include "listener.h"
#include "log.h"
#include "pmd.h"
#include "relay.h"
#include "route.h"
#include "ossl.h"
#include "tls.h"
#include "wipe.h"


static const struct config *cfg;

/* The extra header lines for an answer: --header on all, plus --header-ws or
 * --header-http. */
static size_t extra_headers(const char **out, bool ws)
{
	size_t n = 0;
	for (size_t i = 0; i < cfg->nheaders; i++)
		out[n++] = cfg->headers[i];
	const char *const *more = ws ? cfg->headers_ws : cfg->headers_http;
	size_t nmore = ws ? cfg->nheaders_ws : cfg->nheaders_http;
	for (size_t i = 0; i < nmore; i++)
		out[n++] = more[i];
	return n;
}

/* The 101 for a checked request (RFC 6455 4.2.2): Accept hash, the chosen protocol,
 * extensions (NULL: none) and the --header/--header-ws lines. Bytes written, or a
 * negative enum ws_err when cap is too small. */
static int render_upgrade(const struct ws_hs_result *hs, const char *extensions, char *out,
			  size_t cap)
{
	char accept[29];
	ws_accept_key(hs->key, hs->key_len, accept);
	const char *hextra[2 * WS_EXTRA_HEADERS_MAX];
	size_t nh = extra_headers(hextra, true);
	return ws_render_101(out, cap, accept, hs->protocol, extensions, hextra, nh);
}

/* Answer a request with a status and a one-line body, then close. */
static void respond_error(struct transport *t, int status, const char *why, const char *peer)
{
	const char *extra[2 * WS_EXTRA_HEADERS_MAX];
	size_t nextra = extra_headers(extra, false);
	char out[4096];
	int n = ws_render_error(out, sizeof(out), status, why, extra, nextra);
	log_msg(status == 426 ? LOGL_ACCESS : LOGL_INFO, "%s: %d %s: %s", peer, status,
		ws_status_text(status), why);
	if (n > 0 && conn_write_all(t, out, (size_t)n, now_ms() + 2000) == 0)
		t->ops->shutdown_write(t);
}

/* Authentication refused (auth.h): 401 with WWW-Authenticate (RFC 6750 3) or 403; or,
 * with --auth-reject=close, the upgrade then at once Close 4001/4003 with the reason, for
 * browsers, which cannot read an HTTP status. The program never starts. */
static int refuse_auth(struct transport *t, const struct ws_hs_result *hs,
		       const struct auth_outcome *a, int status, const char *peer)
{
	log_info("%s: authentication refused: %s", peer, a->detail[0] ? a->detail : "-");
	if (status == 431) {
		respond_error(t, 431, "request headers too large for the program's environment", peer);
		return EXIT_REFUSED;
	}
	if (status >= 500 || !cfg->auth_reject_close) {
		const char *extra[2 * WS_EXTRA_HEADERS_MAX + 1];
		size_t n = extra_headers(extra, false);
		if (status == 401)
			extra[n++] = a->token_seen
				? "WWW-Authenticate: Bearer realm=\"wsinetd\", error=\"invalid_token\""
				: "WWW-Authenticate: Bearer realm=\"wsinetd\"";
		char out[4096];
		int len = ws_render_error(out, sizeof(out), status, a->reason, extra, n);
		log_info("%s: %d %s: %s", peer, status, ws_status_text(status), a->reason);
		if (len > 0 && conn_write_all(t, out, (size_t)len, now_ms() + 2000) == 0)
			t->ops->shutdown_write(t);
		return status >= 500 ? EXIT_SYSTEM : EXIT_REFUSED;
	}
	char resp[4096 + WS_FRAME_HDR_MAX + 2 + WS_CLOSE_REASON_MAX];
	int rlen = render_upgrade(hs, NULL, resp, 4096);
	if (rlen < 0) {
		respond_error(t, 500, "response too large", peer);
		return EXIT_SYSTEM;
	}
	size_t rl = strlen(a->reason);
	uint8_t *fr = (uint8_t *)resp + rlen;
	size_t hl = ws_frame_encode(fr, true, 0, WS_OP_CLOSE, 2 + rl, NULL);
	fr[hl] = (uint8_t)(a->close_code >> 8);
	fr[hl + 1] = (uint8_t)(a->close_code & 0xff);
	memcpy(fr + hl + 2, a->reason, rl);
	log_info("%s: 101, then Close %d %s (--auth-reject=close)", peer, a->close_code, a->reason);
	if (conn_write_all(t, resp, (size_t)rlen + hl + 2 + rl, now_ms() + 2000) == 0) {
		/* Give the client WS_CLOSE_WAIT_MS to answer with its Close, then hang up. */
		int64_t end = now_ms() + WS_CLOSE_WAIT_MS;
		char sink[512];
		for (int i = 0; i < 1000 && now_ms() < end; i++) {
			struct pollfd p = { t->rfd, POLLIN, 0 };
			if (poll(&p, 1, (int)(end - now_ms())) <= 0)
				break;
			ssize_t r = t->ops->read(t, sink, sizeof(sink));
			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
				break;
			if (r > 0 && (size_t)r >= 2 && ((uint8_t)sink[0] & 0x0f) == WS_OP_CLOSE)
				break;
		}
		t->ops->shutdown_write(t);
	}
	return EXIT_REFUSED;
}

static void fmt_peer(const struct peer *p, char *buf, size_t len)
{
	if (p->addr[0] == '\0')
		snprintf(buf, len, "-");
	else if (strchr(p->addr, ':'))
		snprintf(buf, len, "[%s]:%s", p->addr, p->port[0] ? p->port : "-");
	else
		snprintf(buf, len, "%s:%s", p->addr, p->port[0] ? p->port : "-");
}

/* X-Forwarded-Proto: https from a --trust-proxy peer (a proxy that terminated TLS). */
static bool forwarded_https(const struct http_req *req, const struct peer *p)
{
	if (cfg->ntrust_proxy == 0 || p->family == 0 || !config_trusts(cfg, p->family, p->raw))
		return false;
	int i = hdr_find(req, "X-Forwarded-Proto", 0);
	if (i < 0)
		return false;
	size_t pos = 0, len;
	const char *item;
	/* The first element is the client's side of the first proxy. */
	return hdr_list_next(req->headers[i].value, req->headers[i].value_len, &pos, &item, &len) &&
	       hdr_ieq(item, len, "https");
}

/* X-Forwarded-For is believed only from a --trust-proxy peer: walk it from the right,
 * skipping trusted proxies; the first other address is the client. */
static void apply_forwarded_for(const struct http_req *req, struct peer *p)
{
	if (cfg->ntrust_proxy == 0 || p->family == 0 || !config_trusts(cfg, p->family, p->raw))
		return;
	char cand[INET6_ADDRSTRLEN] = "";
	for (int i = hdr_find(req, "X-Forwarded-For", 0); i >= 0;
	     i = hdr_find(req, "X-Forwarded-For", (size_t)i + 1)) {
		const struct http_header *h = &req->headers[i];
		size_t pos = 0;
		const char *item;
		size_t ilen;
		/* Remember every element; the walk below goes right to left. */
		while (hdr_list_next(h->value, h->value_len, &pos, &item, &ilen)) {
			char a[INET6_ADDRSTRLEN];
			uint8_t raw[16];
			if (ilen >= sizeof(a))
				continue;
			memcpy(a, item, ilen);
			a[ilen] = '\0';
			int fam = inet_pton(AF_INET, a, raw) == 1 ? AF_INET :
				  inet_pton(AF_INET6, a, raw) == 1 ? AF_INET6 : 0;
			if (fam == 0) {
				cand[0] = '\0'; /* garbage: trust nothing left of it */
				continue;
			}
			if (!config_trusts(cfg, fam, raw) || cand[0] == '\0')
				strcpy(cand, a);
		}
	}
	if (cand[0]) {
		snprintf(p->addr, sizeof(p->addr), "%s", cand);
		p->port[0] = '\0';
	}
}

static const char *mode_name(enum ws_mode m)
{
	return m == MODE_BINARY ? "binary" : m == MODE_JSON ? "json" : "lines";
}

/* After an accepted upgrade in --handoff mode: the program takes our place. */
static int handoff(struct transport *t, const char *program, char **argv, char **envp)
{
	if (t->rfd != 0 && dup2(t->rfd, 0) < 0)
		return EXIT_SYSTEM;
	if (t->wfd != 1 && dup2(t->rfd == t->wfd ? t->rfd : t->wfd, 1) < 0)
		return EXIT_SYSTEM;
	for (int fd = 0; fd <= 1; fd++) {
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0)
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	}
	child_signals_reset();
	execve(program, argv, envp);
	int e = errno;
	log_error("exec %s: %s", program, strerror(e));
	/* The upgrade is done: say it with a Close rather than vanish. */
	uint8_t fr[64];
	size_t hl = ws_frame_encode(fr, true, 0, WS_OP_CLOSE, 2 + 20, NULL);
	memcpy(fr + hl, "\x03\xf3" "cannot start program", 22);
	ssize_t w = write(1, fr, hl + 22);
	(void)w;
	return EXIT_SYSTEM;
}

/* Everything one connection allocates before the relay, freed in one place. */
struct session {
	struct buf in;
	struct http_req *req;
	char *passenv[WS_PASSENV_MAX];
	size_t npassenv;
	char *target, *path, *query, *host;
	size_t env_used;       /* bytes of child_env_arena() this connection's environment took */
	struct route route;    /* --dir: the script this path names */
	struct auth_outcome auth; /* REMOTE_USER & co., the stripped query (auth.h) */
	bool last;             /* no later connection in this process needs the auth key */
};

static void session_free(struct session *s)
{
	buf_free(&s->in);
	for (size_t i = 0; i < s->npassenv; i++)
		free(s->passenv[i]);
	free_wiped_str(s->target);
	free_wiped_str(s->path);
	free_wiped_str(s->query);
	free_wiped_str(s->host);
	child_env_wipe(&s->env_used);
	route_free(&s->route);
	auth_outcome_free(&s->auth);
}

static int serve(struct session *s, int rfd, int wfd);

int handle_connection(const struct config *c, int rfd, int wfd, bool last)
{
	cfg = c;
	struct session s;
	memset(&s, 0, sizeof(s));
	s.last = last;
	/* A block released now is kept only if a later connection of this process may
	 * take it again (inetd, a handler's last connection: freed as usual). */
	buf_keep_released(!last);
	buf_init_secret(&s.in, cfg->max_request + 2 * WS_IO_CHUNK);
	int rc = serve(&s, rfd, wfd);
	session_free(&s);
	return rc;
}

/* The handler's signal state (child_signals_setup: the signals it handles blocked, on
 * this signalfd): made at its first connection and kept for the next ones
 * (--handler-reuse). */
static int proc_sigfd = -1;

static int serve(struct session *s, int rfd, int wfd)
{
	int64_t start = now_ms();
	if (proc_sigfd < 0 && (proc_sigfd = child_signals_setup()) < 0) {
		log_error("signal setup: %s", strerror(errno));
		return EXIT_SYSTEM;
	}
	int sigfd = proc_sigfd;
	struct transport t;
	transport_fd_init(&t, rfd, wfd);
	struct peer peer;
	conn_peer(rfd, &peer);
	char peer_s[INET6_ADDRSTRLEN + 16];
	fmt_peer(&peer, peer_s, sizeof(peer_s));
	int64_t req_start = start;
	if (cfg->ssl) {
		/* TLS first (tls.h); every answer below then goes out encrypted. */
		switch (tls_accept(&t, start + (int64_t)cfg->ssl_timeout * 1000, peer_s)) {
		case TLS_ACCEPTED:
			break;
		case TLS_PLAIN_HTTP:
			respond_error(&t, 400, "this port speaks TLS: use an https:// or wss:// URL",
				      peer_s);
			tls_linger(&t);
			return EXIT_REFUSED;
		case TLS_TIMEOUT:
			return EXIT_TIMEOUT;
		case TLS_FAILED:
		case TLS_GONE:
			return EXIT_FAILED;
		}
		req_start = now_ms(); /* --request-timeout counts from here */
	}

	struct buf *in = &s->in;
	/* One request per process at a time: static storage, whose pages stay mapped for a
	 * reused handler's next connection (a malloc of 32 KiB was an mmap and munmap per
	 * connection with musl). Not zeroed whole: the parser resets what it reads
	 * (http_req.h), and zeroing all 32 KiB of header slots dirtied 8 pages per idle
	 * connection (bench/run.py, PSS). */
	static struct http_req req_storage;
	struct http_req *req = s->req = &req_storage;
	memset(req, 0, offsetof(struct http_req, headers));
	req->why = NULL;
	size_t head_len = 0;
	enum read_req_result rr = conn_read_request(&t, in, cfg->max_request, cfg->max_headers,
						    req_start + (int64_t)cfg->request_timeout * 1000,
						    cfg->handoff, req, &head_len);
	switch (rr) {
	case RR_OK:
		break;
	case RR_TIMEOUT:
		respond_error(&t, 408, "request not received in time", peer_s);
		return EXIT_TIMEOUT;
	case RR_TOO_LARGE:
		respond_error(&t, 431, "request head too large", peer_s);
		return EXIT_REFUSED;
	case RR_TOO_MANY:
		respond_error(&t, 431, "too many header lines", peer_s);
		return EXIT_REFUSED;
	case RR_MALFORMED:
		respond_error(&t, 400, req->why ? req->why : "malformed request", peer_s);
		return EXIT_REFUSED;
	case RR_EOF:
		log_info("%s: connection closed before a complete request", peer_s);
		return EXIT_FAILED;
	case RR_ERROR:
		log_info("%s: reading the request: %s", peer_s, strerror(errno));
		return EXIT_FAILED;
	}

	struct ws_hs_config hc = { cfg->protocols, cfg->nprotocols, cfg->require_protocol };
	struct ws_hs_result hs;
	if (ws_handshake_check(req, &hc, &hs) != 0) {
		if (hs.plain_http) {
			/* Not an upgrade: dev console, static files, CGI, or 426 (http_plain.h). */
			apply_forwarded_for(req, &peer);
			fmt_peer(&peer, peer_s, sizeof(peer_s));
			return http_plain_serve(cfg, &t, req, in, head_len, &peer, peer_s, sigfd);
		}
		respond_error(&t, hs.status, hs.why, peer_s);
		return EXIT_REFUSED;
	}
	/* Our scheme, for same-origin: TLS here, or X-Forwarded-Proto from a trusted proxy
	 * that terminated it (checked before X-Forwarded-For rewrites the peer). */
	bool scheme_tls = cfg->ssl || forwarded_https(req, &peer);
	apply_forwarded_for(req, &peer);
	fmt_peer(&peer, peer_s, sizeof(peer_s));

	/* Origin (auth.h): a cross-site page must not reach the program (RFC 6455 10.2). */
	const char *owhy = NULL;
	char odetail[600];
	if (auth_origin(cfg, req, &hs, scheme_tls, &owhy, odetail, sizeof(odetail)) != 0) {
		log_info("%s: %s", peer_s, odetail);
		respond_error(&t, 403, owhy, peer_s);
		return EXIT_REFUSED;
	}

	/* --dir: /name/extra runs DIR/name (route.h); 404 before anything starts. */
	const char *program = cfg->program, *script_name = NULL, *path_info = "";
	char **prog_argv = cfg->argv;
	char *dir_argv[2] = { NULL, NULL };
	if (cfg->dir) {
		const char *rwhy = NULL;
		int rst = route_script(cfg->dir, hs.path, hs.path_len, &s->route, &rwhy);
		if (rst != 0) {
			respond_error(&t, rst, rst == 404 ? "no such endpoint" : rwhy ? rwhy : "bad path",
				      peer_s);
			return rst >= 500 ? EXIT_SYSTEM : EXIT_REFUSED;
		}
		program = dir_argv[0] = s->route.file;
		prog_argv = dir_argv;
		script_name = s->route.script_name;
		path_info = s->route.path_info;
	}

	/* permessage-deflate (RFC 7692): the first acceptable offer, unless --deflate=off or
	 * --handoff (the program would have to speak it itself). */
	struct pmd_params pmd;
	char ext[PMD_RENDER_MAX] = "";
	struct pmd_config pc = { cfg->deflate_window_bits, cfg->deflate_no_context_takeover };
	bool deflate = cfg->deflate && !cfg->handoff && pmd_negotiate(req, &pc, &pmd) == 1 &&
		       pmd_render(&pmd, ext, sizeof(ext)) > 0;
	char ws_extensions[16 + PMD_RENDER_MAX];
	snprintf(ws_extensions, sizeof(ws_extensions), "WS_EXTENSIONS=%s", deflate ? ext : "");

	/* The program's environment. */
	s->npassenv = config_passenv(cfg, s->passenv);
	char uid[25];
	conn_unique_id(uid);
	char *target = s->target = strndup(req->target, req->target_len);
	char *path = s->path = strndup(hs.path, hs.path_len);
	char *query = s->query = strndup(hs.query, hs.query_len);
	char *host = s->host = strndup(hs.host, hs.host_len);
	if (!target || !path || !query || !host)
		return EXIT_SYSTEM;
	/* SERVER_NAME is the Host without its port (bracketed IPv6 kept whole). */
	const char *host_port = hdr_host_split(host);
	char ws_protocol[160], ws_mode[32];
	snprintf(ws_protocol, sizeof(ws_protocol), "WS_PROTOCOL=%s", hs.protocol ? hs.protocol : "");
	snprintf(ws_mode, sizeof(ws_mode), "WS_MODE=%s", mode_name(cfg->mode));
	const char *extra[] = { ws_protocol, ws_extensions, ws_mode };
	/* REQUEST_SCHEME and, with --ssl, the connection's SSL_* facts (tls.h). */
	const char *env_extra[sizeof(extra) / sizeof(extra[0]) + TLS_ENV_MAX];
	memcpy(env_extra, extra, sizeof(extra));
	size_t nenv_extra = sizeof(extra) / sizeof(extra[0]);
	nenv_extra += tls_env(env_extra + nenv_extra, TLS_ENV_MAX);
	struct cgienv_in ci = {
		.req = req,
		.server_software = "wsinetd/" WSINETD_VERSION,
		.remote_addr = peer.addr,
		.remote_host = peer.addr,
		.remote_port = peer.port,
		.server_name = tls_sni() ? tls_sni() : host, /* SNI when the client sent it */
		.server_port = peer.local_port[0] ? peer.local_port : host_port,
		.request_uri = target,
		.script_name = script_name ? script_name : path,
		.path_info = path_info,
		.path_translated = "",
		.query_string = query,
		.unique_id = uid,
		.https = cfg->ssl,
		.pass_authorization = false,
		.passenv = (const char *const *)s->passenv,
		.npassenv = s->npassenv,
		.extra = env_extra,
		.nextra = nenv_extra,
	};
	/* Authentication (auth.h), after Origin; the key is wiped once it is decided, unless
	 * this process serves more connections (--handler-reuse). */
	int ast = auth_check(cfg, req, &ci, &s->auth);
	if (ast == 0 && auth_apply(cfg, &s->auth, &ci) != 0)
		ast = 431;
	if (s->last)
		auth_wipe(cfg);
	if (ast != 0)
		return refuse_auth(&t, &hs, &s->auth, ast, peer_s);
	char *arena = child_env_arena();
	/* Static for the same reason as the request (one session per process at a time). */
	static char *envp_storage[WS_ENV_ENTRIES_MAX + 1];
	char **envp = envp_storage;
	memset(envp_storage, 0, sizeof(envp_storage));
	if (!arena)
		return EXIT_SYSTEM;
	const char *why = NULL;
	int ne = cgienv_build(&ci, arena, WS_ENV_BYTES_MAX, envp, WS_ENV_ENTRIES_MAX + 1, &why,
			      &s->env_used);
	if (ne == WS_E_LIMIT) {
		respond_error(&t, 431, "request headers too large for the program's environment", peer_s);
		return EXIT_REFUSED;
	}
	if (ne < 0) {
		respond_error(&t, 400, why ? why : "bad header value", peer_s);
		return EXIT_REFUSED;
	}

	char resp[4096];
	int rlen = render_upgrade(&hs, deflate ? ext : NULL, resp, sizeof(resp));
	if (rlen < 0) {
		respond_error(&t, 500, "response too large", peer_s);
		return EXIT_SYSTEM;
	}

	if (cfg->handoff) {
		/* The request was read exactly (conn_read_request): frames the client sent
		 * early are still in the fd for the program. Over a pipe pair every byte read
		 * was head, so the same holds. */
		if (conn_write_all(&t, resp, (size_t)rlen, now_ms() + 10000) != 0)
			return EXIT_FAILED;
		log_msg(LOGL_ACCESS, "access peer=%s path=%s protocol=%s handoff=%s", peer_s, path,
			hs.protocol ? hs.protocol : "-", program);
		return handoff(&t, program, prog_argv, envp);
	}

	struct child ch;
	if (child_spawn(&ch, program, prog_argv, envp) != 0) {
		log_error("cannot start %s: %s", program, strerror(errno));
		respond_error(&t, 500, "cannot start the program", peer_s);
		return EXIT_SYSTEM;
	}
	child_env_wipe(&s->env_used); /* the program has its copy */

	struct relay_result res;
	if (conn_write_all(&t, resp, (size_t)rlen, now_ms() + 10000) != 0) {
		log_info("%s: writing the 101: %s", peer_s, strerror(errno));
		/* Nobody to talk to: end the program through the same relay path. */
		t.ops->shutdown_write(&t);
	}
	buf_consume(in, head_len);
	relay_run(cfg, &t, &ch, sigfd, in, deflate ? &pmd : NULL, !s->last, &res);

	char st[32];
	child_status_text(&ch, st, sizeof(st));
	struct access_record ar = {
		.peer = peer_s,
		.path = path,
		.protocol = hs.protocol,
		.user = s->auth.user[0] ? s->auth.user : NULL,
		.close_sent = res.close_sent,
		.close_recv = res.close_recv,
		.msgs_in = (unsigned long long)res.msgs_in,
		.bytes_in = (unsigned long long)res.bytes_in,
		.msgs_out = (unsigned long long)res.msgs_out,
		.bytes_out = (unsigned long long)res.bytes_out,
		.duration_ms = (long long)(now_ms() - start),
		.program_status = st,
		.exit_status = res.exit_code,
		.deflate = res.deflate,
		.deflate_saved = res.deflate_saved,
	};
	log_access(&ar);
	return res.exit_code;
}

/* fds 0-2 must exist before anything is opened, or a pipe could become "stderr". */
static void ensure_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		int n = open("/dev/null", O_RDWR);
		if (n >= 0 && n != fd) {
			dup2(n, fd);
			close(n);
		}
	}
}

/* Under inetd stderr is often the connection too: a log line there would corrupt the
 * stream, so it goes to /dev/null instead (run under systemd for a journal). */
static void detach_stderr_from(int fd)
{
	struct stat a, b;
	if (fstat(fd, &a) == 0 && fstat(2, &b) == 0 && S_ISSOCK(a.st_mode) &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		int n = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (n >= 0) {
			dup2(n, 2);
			close(n);
		}
	}
}

/* The program's RELRO segment (its GOT, the tables of function pointers in
 * .data.rel.ro) made read-only once relocated: 0, or the errno of a failed mprotect.
 * Every dynamic loader and glibc's static start do this; musl's start files for a static
 * PIE relocate and leave it writable. dl_iterate_phdr's first object is the program
 * itself. */
#ifdef __GLIBC__
static int protect_relro(void)
{
	return 0;
}
#else
static int relro_one(struct dl_phdr_info *info, size_t size, void *failed)
{
	(void)size;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_GNU_RELRO)
			continue;
		/* As the loaders do: from the page holding its start to the last whole page
		 * (the linker ends RELRO on a page boundary). */
		uintptr_t start = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
		uintptr_t end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz) & ~(page - 1);
		if (end > start && mprotect((void *)start, end - start, PROT_READ) != 0)
			*(int *)failed = errno;
	}
	return 1;
}

static int protect_relro(void)
{
	int failed = 0;
	dl_iterate_phdr(relro_one, &failed);
	return failed;
}
#endif

int main(int argc, char **argv)
{
	int relro_err = protect_relro();
	static struct config config;
	/* glibc (wsinetd-openssl, STATIC=0): freed heap kept, and blocks up to half of it
	 * from the heap (setting one turns off glibc's moving mmap threshold, which would
	 * otherwise stay at 128 KiB). musl has no such setting: buf.c keeps the buffers'
	 * blocks for a reused handler either way. */
#ifdef __GLIBC__
	mallopt(M_TRIM_THRESHOLD, WS_HEAP_KEEP);
	mallopt(M_MMAP_THRESHOLD, WS_HEAP_KEEP / 2);
#endif
	/* Everything jansson parses (--json lines, JWT claims) is wiped when it frees it:
	 * before any jansson allocation, the --config file's included. */
	json_set_alloc_funcs(wipe_malloc, wipe_free);
	ensure_std_fds();
	/* Under inetd stderr may be the connection itself: from the first message on (a
	 * usage error, a missing wsinetd-openssl), nothing but the protocol goes there. */
	detach_stderr_from(0);
	if (relro_err != 0) {
		fprintf(stderr, "wsinetd: cannot make the relocated data read-only: %s\n",
			strerror(relro_err));
		return EXIT_SYSTEM;
	}
	if (ossl_start() != 0)
		return EXIT_USAGE;
	int r = config_parse(argc, argv, &config);
	if (r != 0)
		return r > 0 ? EXIT_CLEAN : EXIT_USAGE;
	log_init(config.loglevel);
	/* TLS, JWT and host names need shared libraries, which wsinetd-openssl has
	 * (ossl.h): wsinetd execs it here, before any socket I/O or signal set-up; there,
	 * OpenSSL starts. */
	if (ossl_needed(&config) && ossl_load(argv, config.ssl) != 0)
		return EXIT_USAGE;
	if (auth_init(&config) != 0) /* --jwt-key, --auth-command: before any socket I/O */
		return EXIT_USAGE;
	if (config.ssl && tls_init(&config) != 0) /* certificate and key: likewise */
		return EXIT_USAGE;

	if (config.port)
		return listener_run(&config, NULL, 0);
	int n = conn_listen_fds();
	if (n < 0) {
		log_error("LISTEN_PID/LISTEN_FDS: malformed (%s)", strerror(errno));
		return EXIT_SYSTEM;
	}
	if (n > 1) {
		log_error("LISTEN_FDS passes %d sockets; wsinetd serves exactly one", n);
		return EXIT_USAGE;
	}
	if (n == 1) {
		int fd = CONN_LISTEN_FDS_START;
		if (conn_is_stream_socket(fd, 1))
			return listener_run(&config, &fd, 1); /* Accept=no: we accept */
		if (!conn_is_stream_socket(fd, 0)) {
			log_error("fd 3 from LISTEN_FDS is not a stream socket");
			return EXIT_USAGE;
		}
		detach_stderr_from(fd); /* close-on-exec already: conn_listen_fds */
		return handle_connection(&config, fd, fd, true); /* Accept=yes, fd style */
	}
	if (conn_is_stream_socket(0, 1)) {
		/* inetd "wait" mode (or systemd-socket-activate --inetd without -a): the
		 * listening socket itself is stdin. Accept on it, as with Accept=no. */
		int fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
		int devnull = open("/dev/null", O_RDWR);
		if (fd < 0 || devnull < 0) {
			log_error("listening socket on stdin: %s", strerror(errno));
			return EXIT_SYSTEM;
		}
		dup2(devnull, 0);
		dup2(devnull, 1);
		close(devnull);
		return listener_run(&config, &fd, 1);
	}
	return handle_connection(&config, 0, 1, true); /* inetd style; stderr: see above */
}
