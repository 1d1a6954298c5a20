/* main.c - config → connection → request → handshake → program → relay → exit status.
 * Holds no protocol logic: each step is a call into the module that owns it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "cgienv.h"
#include "child.h"
#include "config.h"
#include "conn.h"
#include "err.h"
#include "frame.h"
#include "handshake.h"
#include "hdr.h"
#include "listener.h"
#include "log.h"
#include "relay.h"

/* Exit statuses (README, wsinetd --help). */
enum { EXIT_CLEAN = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_REFUSED = 3, EXIT_TIMEOUT = 4,
       EXIT_SYSTEM = 5 };

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

static void fmt_peer(const struct peer *p, char *buf, size_t len)
{
	if (p->addr[0] == '\0')
		snprintf(buf, len, "-");
	else if (strchr(p->addr, ':'))
		snprintf(buf, len, "[%s]:%s", p->addr, p->port[0] ? p->port : "-");
	else
		snprintf(buf, len, "%s:%s", p->addr, p->port[0] ? p->port : "-");
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

/* Copy "NAME=VALUE" for each --passenv name that is set. */
static size_t collect_passenv(char **out)
{
	size_t n = 0;
	for (size_t i = 0; i < cfg->npassenv; i++) {
		const char *v = getenv(cfg->passenv[i]);
		if (v == NULL)
			continue;
		size_t len = strlen(cfg->passenv[i]) + strlen(v) + 2;
		char *e = malloc(len);
		if (e == NULL)
			continue;
		snprintf(e, len, "%s=%s", cfg->passenv[i], v);
		out[n++] = e;
	}
	return n;
}

static void unique_id(char out[25])
{
	uint8_t r[12];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		memset(r, 0, sizeof(r));
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

static const char *mode_name(enum ws_mode m)
{
	return m == MODE_BINARY ? "binary" : m == MODE_JSON ? "json" : "lines";
}

/* Copy a slice to a NUL-terminated heap string (request fields for the environment). */
static char *slice_dup(const char *p, size_t n)
{
	char *s = malloc(n + 1);
	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

/* After an accepted upgrade in --handoff mode: the program takes our place. */
static int handoff(struct transport *t, char **envp)
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
	execve(cfg->program, cfg->argv, envp);
	int e = errno;
	log_error("exec %s: %s", cfg->program, strerror(e));
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
	int sigfd;
	struct buf in;
	struct http_req *req;
	char *passenv[WS_PASSENV_MAX];
	size_t npassenv;
	char *target, *path, *query, *host;
	char *arena;
	char **envp;
};

static void session_free(struct session *s)
{
	if (s->sigfd >= 0)
		close(s->sigfd);
	buf_free(&s->in, 1);
	free(s->req);
	for (size_t i = 0; i < s->npassenv; i++)
		free(s->passenv[i]);
	free(s->target);
	free(s->path);
	free(s->query);
	free(s->host);
	if (s->arena) /* it held request data (cookies, tokens) */
		explicit_bzero(s->arena, WS_ENV_BYTES_MAX);
	free(s->arena);
	free(s->envp);
}

static int serve(struct session *s, int rfd, int wfd);

int handle_connection(const struct config *c, int rfd, int wfd)
{
	cfg = c;
	struct session s;
	memset(&s, 0, sizeof(s));
	buf_init(&s.in, cfg->max_request + 2 * WS_IO_CHUNK);
	int rc = serve(&s, rfd, wfd);
	session_free(&s);
	return rc;
}

static int serve(struct session *s, int rfd, int wfd)
{
	int64_t start = now_ms();
	int sigfd = s->sigfd = child_signals_setup();
	if (sigfd < 0) {
		log_error("signal setup: %s", strerror(errno));
		return EXIT_SYSTEM;
	}
	struct transport t;
	transport_fd_init(&t, rfd, wfd);
	struct peer peer;
	conn_peer(rfd, &peer);
	char peer_s[INET6_ADDRSTRLEN + 16];
	fmt_peer(&peer, peer_s, sizeof(peer_s));

	struct buf *in = &s->in;
	struct http_req *req = s->req = calloc(1, sizeof(*req));
	if (req == NULL)
		return EXIT_SYSTEM;
	size_t head_len = 0;
	enum read_req_result rr = conn_read_request(&t, in, cfg->max_request, cfg->max_headers,
						    start + (int64_t)cfg->request_timeout * 1000,
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
		if (hs.plain_http)
			respond_error(&t, 426, "this is a WebSocket endpoint: connect with a WebSocket "
				      "client (ws:// URL), not plain HTTP", peer_s);
		else
			respond_error(&t, hs.status, hs.why, peer_s);
		return EXIT_REFUSED;
	}
	apply_forwarded_for(req, &peer);
	fmt_peer(&peer, peer_s, sizeof(peer_s));

	/* The program's environment. */
	s->npassenv = collect_passenv(s->passenv);
	char uid[25];
	unique_id(uid);
	char *target = s->target = slice_dup(req->target, req->target_len);
	char *path = s->path = slice_dup(hs.path, hs.path_len);
	char *query = s->query = slice_dup(hs.query, hs.query_len);
	char *host = s->host = slice_dup(hs.host, hs.host_len);
	if (!target || !path || !query || !host)
		return EXIT_SYSTEM;
	/* SERVER_NAME is the Host without its port (bracketed IPv6 kept whole). */
	char *colon = host[0] == '[' ? strstr(host, "]:") : strrchr(host, ':');
	const char *host_port = "";
	if (colon) {
		if (host[0] == '[')
			colon++;
		*colon = '\0';
		host_port = colon + 1;
	}
	char ws_protocol[160], ws_mode[32];
	snprintf(ws_protocol, sizeof(ws_protocol), "WS_PROTOCOL=%s", hs.protocol ? hs.protocol : "");
	snprintf(ws_mode, sizeof(ws_mode), "WS_MODE=%s", mode_name(cfg->mode));
	const char *extra[] = { ws_protocol, "WS_EXTENSIONS=", ws_mode };
	struct cgienv_in ci = {
		.req = req,
		.server_software = "wsinetd/" WSINETD_VERSION,
		.remote_addr = peer.addr,
		.remote_host = peer.addr,
		.remote_port = peer.port,
		.server_name = host,
		.server_port = peer.local_port[0] ? peer.local_port : host_port,
		.request_uri = target,
		.script_name = path,
		.path_info = "",
		.path_translated = "",
		.query_string = query,
		.unique_id = uid,
		.https = false,
		.pass_authorization = false,
		.passenv = (const char *const *)s->passenv,
		.npassenv = s->npassenv,
		.extra = extra,
		.nextra = sizeof(extra) / sizeof(extra[0]),
	};
	char *arena = s->arena = malloc(WS_ENV_BYTES_MAX);
	char **envp = s->envp = calloc(WS_ENV_ENTRIES_MAX + 1, sizeof(char *));
	if (!arena || !envp)
		return EXIT_SYSTEM;
	const char *why = NULL;
	int ne = cgienv_build(&ci, arena, WS_ENV_BYTES_MAX, envp, WS_ENV_ENTRIES_MAX + 1, &why);
	if (ne == WS_E_LIMIT) {
		respond_error(&t, 431, "request headers too large for the program's environment", peer_s);
		return EXIT_REFUSED;
	}
	if (ne < 0) {
		respond_error(&t, 400, why ? why : "bad header value", peer_s);
		return EXIT_REFUSED;
	}

	char accept[29];
	if (ws_accept_key(hs.key, hs.key_len, accept) != 0) {
		respond_error(&t, 500, "cannot compute the handshake", peer_s);
		return EXIT_SYSTEM;
	}
	const char *hextra[2 * WS_EXTRA_HEADERS_MAX];
	size_t nhextra = extra_headers(hextra, true);
	char resp[4096];
	int rlen = ws_render_101(resp, sizeof(resp), accept, hs.protocol, NULL, hextra, nhextra);
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
			hs.protocol ? hs.protocol : "-", cfg->program);
		return handoff(&t, envp);
	}

	struct child ch;
	if (child_spawn(&ch, cfg->program, cfg->argv, envp) != 0) {
		log_error("cannot start %s: %s", cfg->program, strerror(errno));
		respond_error(&t, 500, "cannot start the program", peer_s);
		return EXIT_SYSTEM;
	}
	/* The environment held request data (cookies, tokens): wipe it now. */
	explicit_bzero(arena, WS_ENV_BYTES_MAX);

	struct relay_result res;
	if (conn_write_all(&t, resp, (size_t)rlen, now_ms() + 10000) != 0) {
		log_info("%s: writing the 101: %s", peer_s, strerror(errno));
		/* Nobody to talk to: end the program through the same relay path. */
		t.ops->shutdown_write(&t);
	}
	buf_consume(in, head_len);
	relay_run(cfg, &t, &ch, sigfd, in, &res);

	char st[32];
	child_status_text(&ch, st, sizeof(st));
	int64_t dur = now_ms() - start;
	char cs[12] = "-", cr[12] = "-";
	if (res.close_sent)
		snprintf(cs, sizeof(cs), "%u", res.close_sent);
	if (res.close_recv)
		snprintf(cr, sizeof(cr), "%u", res.close_recv);
	log_msg(LOGL_ACCESS,
		"access peer=%s path=%s protocol=%s user=- close=%s peer_close=%s "
		"in=%llu/%llu out=%llu/%llu duration=%lld.%03llds program=\"%s\" exit=%d",
		peer_s, path, hs.protocol ? hs.protocol : "-", cs, cr,
		(unsigned long long)res.msgs_in, (unsigned long long)res.bytes_in,
		(unsigned long long)res.msgs_out, (unsigned long long)res.bytes_out,
		(long long)(dur / 1000), (long long)(dur % 1000), st, res.exit_code);
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

int main(int argc, char **argv)
{
	static struct config config;
	ensure_std_fds();
	int r = config_parse(argc, argv, &config);
	if (r != 0)
		return r > 0 ? EXIT_CLEAN : EXIT_USAGE;
	log_init(config.loglevel);
	/* We use OpenSSL for SHA-1 only: skip reading openssl.cnf in every handler. */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);

	if (config.port)
		return listener_run(&config, NULL, 0);
	int n = sd_listen_fds(1);
	if (n < 0) {
		log_error("LISTEN_FDS: %s", strerror(-n));
		return EXIT_SYSTEM;
	}
	if (n > 1) {
		log_error("LISTEN_FDS passes %d sockets; wsinetd serves exactly one", n);
		return EXIT_USAGE;
	}
	if (n == 1) {
		int fd = SD_LISTEN_FDS_START;
		if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) > 0)
			return listener_run(&config, &fd, 1); /* Accept=no: we accept */
		if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 0) <= 0) {
			log_error("fd 3 from LISTEN_FDS is not a stream socket");
			return EXIT_USAGE;
		}
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		detach_stderr_from(fd);
		return handle_connection(&config, fd, fd); /* Accept=yes, fd style */
	}
	if (sd_is_socket(0, AF_UNSPEC, SOCK_STREAM, 1) > 0) {
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
	detach_stderr_from(0);
	return handle_connection(&config, 0, 1); /* inetd style */
}
