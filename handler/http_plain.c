/* http_plain.c - plain HTTP on the WebSocket port: dev console, static files, CGI, 426
 * (see http_plain.h). The pure parts live in urlpath, mime, httpdate, http_resp,
 * cgiresp and devconsole; this file does the I/O and the decisions. */
#include "http_plain.h"
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgienv.h"
#include "cgiresp.h"
#include "child.h"
#include "devconsole.h"
#include "err.h"
#include "handshake.h"
#include "hdr.h"
#include "http_resp.h"
#include "httpdate.h"
#include "limits.h"
#include "log.h"
#include "mime.h"
#include "route.h"
#include "urlpath.h"
#include "wipe.h"


/* One request being answered. */
struct hp {
	const struct config *cfg;
	struct transport *t;
	const struct http_req *req;
	const struct peer *peer;
	const char *peer_s;
	const char *path;         /* request-target up to '?' (slice) */
	size_t path_len;
	const char *query;        /* after '?' (slice), "" if none */
	size_t query_len;
	bool head;                /* HEAD: headers only */
	int64_t start;
	int status;               /* what we answered, for the access line */
	unsigned long long bytes; /* body bytes sent */
	const char *what;         /* devconsole, static, cgi, refused */
};

static bool method_is(const struct hp *h, const char *m)
{
	return h->req->method_len == strlen(m) && memcmp(h->req->method, m, h->req->method_len) == 0;
}

static int status_exit(int status)
{
	return status < 400 ? EXIT_CLEAN : status < 500 ? EXIT_REFUSED : status == 504 ? EXIT_TIMEOUT :
	       EXIT_SYSTEM;
}

static void access_line(const struct hp *h)
{
	int64_t dur = now_ms() - h->start;
	log_msg(LOGL_ACCESS,
		"access peer=%s method=%.*s path=%.*s status=%d bytes=%llu duration=%lld.%03llds "
		"served=%s",
		h->peer_s, (int)h->req->method_len, h->req->method, (int)h->path_len, h->path,
		h->status, h->bytes, (long long)(dur / 1000), (long long)(dur % 1000), h->what);
}

/* --header and --header-http lines, then Connection: close. */
static void common_headers(const struct hp *h, struct http_resp *r)
{
	for (size_t i = 0; i < h->cfg->nheaders; i++)
		http_resp_line(r, h->cfg->headers[i]);
	for (size_t i = 0; i < h->cfg->nheaders_http; i++)
		http_resp_line(r, h->cfg->headers_http[i]);
	http_resp_header(r, "Connection", "close");
}

static int send_bytes(struct hp *h, const void *p, size_t n)
{
	return conn_write_all(h->t, p, n, now_ms() + WS_HTTP_WRITE_TIMEOUT_MS);
}

/* A short answer: status, optional extra header, one-line text body (none for HEAD). */
static int answer(struct hp *h, int status, const char *why, const char *xname, const char *xval)
{
	char out[8192];
	char body[512];
	int blen = snprintf(body, sizeof(body), "%s\n", why);
	if (blen < 0 || (size_t)blen >= sizeof(body))
		blen = 0;
	struct http_resp r;
	http_resp_start(&r, out, sizeof(out) - sizeof(body), status, NULL);
	http_resp_header(&r, "Content-Type", "text/plain; charset=utf-8");
	http_resp_length(&r, (unsigned long long)blen);
	if (xname)
		http_resp_header(&r, xname, xval);
	common_headers(h, &r);
	int n = http_resp_end(&r);
	h->status = status;
	if (n < 0) {
		log_error("%s: cannot render a %d answer: %s", h->peer_s, status, ws_strerror(n));
		return EXIT_SYSTEM;
	}
	if (!h->head) {
		memcpy(out + n, body, (size_t)blen);
		n += blen;
		h->bytes = (unsigned long long)blen;
	}
	if (send_bytes(h, out, (size_t)n) == 0)
		h->t->ops->shutdown_write(h->t);
	access_line(h);
	if (status >= 400)
		log_info("%s: %d %s: %s", h->peer_s, status, http_status_text(status), why);
	return status_exit(status);
}

static int not_allowed(struct hp *h, const char *allow)
{
	return answer(h, 405, "method not allowed here", "Allow", allow);
}

/* The behaviour without any plain HTTP option: 426 and how to connect (the same answer
 * main.c gave before plain HTTP existed). */
static int upgrade_required(struct hp *h)
{
	const char *extra[2 * WS_EXTRA_HEADERS_MAX];
	size_t n = 0;
	for (size_t i = 0; i < h->cfg->nheaders; i++)
		extra[n++] = h->cfg->headers[i];
	for (size_t i = 0; i < h->cfg->nheaders_http; i++)
		extra[n++] = h->cfg->headers_http[i];
	const char *why = "this is a WebSocket endpoint: connect with a WebSocket client (ws:// URL), "
			  "not plain HTTP";
	char out[4096];
	int len = ws_render_error(out, sizeof(out), 426, why, extra, n);
	log_msg(LOGL_ACCESS, "%s: 426 %s: %s", h->peer_s, ws_status_text(426), why);
	if (len > 0 && send_bytes(h, out, (size_t)len) == 0)
		h->t->ops->shutdown_write(h->t);
	return EXIT_REFUSED;
}

/* ------------------------------------------------------------------ dev console */

static int serve_devconsole(struct hp *h)
{
	h->what = "devconsole";
	if (!method_is(h, "GET") && !method_is(h, "HEAD"))
		return not_allowed(h, "GET, HEAD");
	size_t cap = devconsole_cap(h->cfg->protocols, h->cfg->nprotocols);
	char *page = malloc(cap);
	if (page == NULL)
		return answer(h, 500, "out of memory", NULL, NULL);
	int n = devconsole_render(h->cfg->protocols, h->cfg->nprotocols, page, cap);
	if (n < 0) {
		free(page);
		return answer(h, 500, "cannot render the console", NULL, NULL);
	}
	char head[8192];
	struct http_resp r;
	http_resp_start(&r, head, sizeof(head), 200, NULL);
	http_resp_header(&r, "Content-Type", "text/html; charset=utf-8");
	http_resp_length(&r, (unsigned long long)n);
	http_resp_header(&r, "Cache-Control", "no-store");
	/* Belt and braces for "no request but the endpoint": the browser itself refuses
	 * anything else. 'self' covers ws:/wss: to the same host (CSP Level 3). */
	http_resp_header(&r, "Content-Security-Policy",
			 "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
			 "img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
			 "frame-ancestors 'none'");
	http_resp_header(&r, "X-Content-Type-Options", "nosniff");
	http_resp_header(&r, "Referrer-Policy", "no-referrer");
	common_headers(h, &r);
	int hl = http_resp_end(&r);
	int rc = EXIT_CLEAN;
	h->status = 200;
	if (hl < 0) {
		free(page);
		return answer(h, 500, "response headers too large", NULL, NULL);
	}
	if (send_bytes(h, head, (size_t)hl) != 0 || (!h->head && send_bytes(h, page, (size_t)n) != 0)) {
		rc = EXIT_FAILED;
	} else {
		h->bytes = h->head ? 0 : (unsigned long long)n;
		h->t->ops->shutdown_write(h->t);
	}
	free(page);
	access_line(h);
	return rc;
}

/* ------------------------------------------------------------------ static files */

static int static_errno(struct hp *h, int e)
{
	if (e == EACCES || e == EPERM)
		return answer(h, 403, "permission denied", NULL, NULL);
	if (e == ENOENT || e == ENOTDIR || e == EXDEV || e == ELOOP || e == ENAMETOOLONG)
		return answer(h, 404, "not found", NULL, NULL);
	log_error("%s: static file: %s", h->peer_s, strerror(e));
	return answer(h, 500, "cannot open the file", NULL, NULL);
}

/* Open rel beneath the directory as a regular file for reading: first as O_PATH (no
 * side effect on a FIFO or device), then for real, checking it is still the same
 * regular file. Returns the fd (st filled) or -1 with errno; a folder gives -1/EISDIR. */
static int open_regular(const char *dir, int dfd, const char *rel, struct stat *st)
{
	int pfd = route_open_beneath(dir, dfd, rel, O_PATH);
	if (pfd < 0)
		return -1;
	struct stat a;
	if (fstat(pfd, &a) != 0) {
		int e = errno;
		close(pfd);
		errno = e;
		return -1;
	}
	close(pfd);
	if (S_ISDIR(a.st_mode)) {
		*st = a;
		errno = EISDIR;
		return -1;
	}
	if (!S_ISREG(a.st_mode)) {
		errno = ENOENT;
		return -1;
	}
	int fd = route_open_beneath(dir, dfd, rel, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode) || st->st_ino != a.st_ino ||
	    st->st_dev != a.st_dev) {
		close(fd);
		errno = ENOENT;
		return -1;
	}
	return fd;
}

static int serve_static(struct hp *h)
{
	h->what = "static";
	if (!method_is(h, "GET") && !method_is(h, "HEAD"))
		return not_allowed(h, "GET, HEAD");
	const char *why = NULL;
	char *norm = malloc(h->path_len + 2 + sizeof("index.html"));
	if (norm == NULL)
		return answer(h, 500, "out of memory", NULL, NULL);
	int rc;
	int fd = -1;
	int n = urlpath_normalize(h->path, h->path_len, norm, h->path_len + 2, &why);
	if (n < 0) {
		rc = answer(h, 400, why ? why : "bad path", NULL, NULL);
		goto out;
	}
	const char *dir = h->cfg->staticdir;
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		rc = static_errno(h, errno);
		goto out;
	}
	struct stat st;
	fd = open_regular(dir, dfd, norm + 1, &st);
	if (fd < 0 && errno == EISDIR) {
		if (!urlpath_is_folder(norm, (size_t)n)) {
			/* A folder's relative links need its '/': redirect to "./last/" (and the
			 * query). Relative on purpose: a raw path "//host" would otherwise become
			 * an authority (an open redirect), and "./" keeps a segment holding ':'
			 * from passing for a scheme. The raw path ends in a non-empty segment. */
			const char *seg = h->path + h->path_len;
			while (seg > h->path && seg[-1] != '/')
				seg--;
			size_t sl = (size_t)(h->path + h->path_len - seg);
			size_t ll = 2 + sl + 1 + 1 + h->query_len + 1;
			char *loc = malloc(ll);
			if (loc == NULL) {
				close(dfd);
				rc = answer(h, 500, "out of memory", NULL, NULL);
				goto out;
			}
			snprintf(loc, ll, "./%.*s/%s%.*s", (int)sl, seg,
				 h->query_len ? "?" : "", (int)h->query_len, h->query);
			close(dfd);
			rc = answer(h, 301, "this is a folder: its URL ends with '/'", "Location", loc);
			free(loc);
			goto out;
		}
		memcpy(norm + n, "index.html", sizeof("index.html"));
		n += (int)strlen("index.html");
		fd = open_regular(dir, dfd, norm + 1, &st);
		if (fd < 0 && (errno == ENOENT || errno == EISDIR)) {
			close(dfd);
			rc = answer(h, 404, "not found (no index.html in this folder)", NULL, NULL);
			goto out;
		}
	}
	int e = errno;
	close(dfd);
	if (fd < 0) {
		rc = static_errno(h, e == EISDIR ? ENOENT : e);
		goto out;
	}

	char lm[30];
	bool have_lm = httpdate_format((int64_t)st.st_mtime, lm) == 0;
	/* RFC 7232 3.3: If-Modified-Since on GET/HEAD; an invalid date is ignored. */
	int ims = hdr_find(h->req, "If-Modified-Since", 0);
	int64_t since;
	if (have_lm && ims >= 0 &&
	    httpdate_parse(h->req->headers[ims].value, h->req->headers[ims].value_len, &since) == 0 &&
	    (int64_t)st.st_mtime <= since) {
		char head[8192];
		struct http_resp r;
		http_resp_start(&r, head, sizeof(head), 304, NULL);
		http_resp_header(&r, "Last-Modified", lm);
		common_headers(h, &r);
		int hl = http_resp_end(&r);
		h->status = 304;
		rc = hl > 0 && send_bytes(h, head, (size_t)hl) == 0 ? EXIT_CLEAN : EXIT_FAILED;
		if (rc == EXIT_CLEAN)
			h->t->ops->shutdown_write(h->t);
		access_line(h);
		goto out;
	}

	char head[8192];
	struct http_resp r;
	http_resp_start(&r, head, sizeof(head), 200, NULL);
	http_resp_header(&r, "Content-Type", mime_type(norm, (size_t)n));
	http_resp_length(&r, (unsigned long long)st.st_size);
	if (have_lm)
		http_resp_header(&r, "Last-Modified", lm);
	http_resp_header(&r, "X-Content-Type-Options", "nosniff");
	common_headers(h, &r);
	int hl = http_resp_end(&r);
	if (hl < 0) {
		rc = answer(h, 500, "response headers too large", NULL, NULL);
		goto out;
	}
	h->status = 200;
	rc = EXIT_CLEAN;
	if (send_bytes(h, head, (size_t)hl) != 0) {
		rc = EXIT_FAILED;
	} else if (!h->head) {
		/* Exactly st_size bytes (Content-Length); a file that shrank meanwhile ends
		 * the answer early, the client sees it short. */
		char chunk[WS_IO_CHUNK];
		unsigned long long left = (unsigned long long)st.st_size;
		while (left > 0) {
			size_t want = left < sizeof(chunk) ? (size_t)left : sizeof(chunk);
			ssize_t got = read(fd, chunk, want);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0 || send_bytes(h, chunk, (size_t)got) != 0) {
				rc = EXIT_FAILED;
				break;
			}
			left -= (unsigned long long)got;
			h->bytes += (unsigned long long)got;
		}
	}
	if (rc == EXIT_CLEAN)
		h->t->ops->shutdown_write(h->t);
	access_line(h);
out:
	if (fd >= 0)
		close(fd);
	free(norm);
	return rc;
}

/* ------------------------------------------------------------------ CGI */


/* Content-Length of the request: -1 for none, -2 malformed (several different values,
 * not digits), else the value (capped at WS_CGI_BODY_MAX + 1 for "too large"). */
static long long request_length(const struct http_req *req)
{
	long long len = -1;
	for (int i = hdr_find(req, "Content-Length", 0); i >= 0;
	     i = hdr_find(req, "Content-Length", (size_t)i + 1)) {
		const struct http_header *hd = &req->headers[i];
		if (hd->value_len == 0)
			return -2;
		long long v = 0;
		for (size_t k = 0; k < hd->value_len; k++) {
			char c = hd->value[k];
			if (c < '0' || c > '9')
				return -2;
			if (v <= (long long)WS_CGI_BODY_MAX)
				v = v * 10 + (c - '0');
		}
		if (v > (long long)WS_CGI_BODY_MAX)
			v = (long long)WS_CGI_BODY_MAX + 1;
		if (len >= 0 && v != len)
			return -2;
		len = v;
	}
	return len;
}

struct cgi_run {
	struct child ch;
	bool spawned;
	/* request body towards the script */
	unsigned long long body_left_net;  /* still to read from the client */
	char bodybuf[WS_IO_CHUNK];
	size_t body_off, body_len;         /* pending bytes in bodybuf */
	/* the script's answer */
	char headbuf[WS_CGI_RESPONSE_HEAD_MAX];
	size_t head_used;
	bool head_sent;                    /* our response head went out */
	bool out_eof;
	bool client_gone;
	bool timed_out;
	bool stop;                         /* a signal told us to end */
	struct cgiresp cr;
};

/* Our response head from the script's header block. Returns bytes or < 0. */
static int cgi_head(struct hp *h, struct cgi_run *c, char *out, size_t cap)
{
	char reason[128] = "";
	if (c->cr.reason && c->cr.reason_len < sizeof(reason)) {
		memcpy(reason, c->cr.reason, c->cr.reason_len);
		reason[c->cr.reason_len] = '\0';
	}
	struct http_resp r;
	http_resp_start(&r, out, cap, c->cr.status, reason[0] ? reason : NULL);
	for (size_t i = 0; i < c->cr.nheaders; i++) {
		const struct cgi_header *g = &c->cr.headers[i];
		if (cgiresp_hop_by_hop(g->name, g->name_len))
			continue;
		char *nm = strndup(g->name, g->name_len), *val = strndup(g->value, g->value_len);
		if (nm && val)
			http_resp_header(&r, nm, val);
		free(nm);
		free(val);
	}
	common_headers(h, &r);
	h->status = c->cr.status;
	return http_resp_end(&r);
}

/* What the script printed: first its header block, then the body, straight through. */
static void cgi_output(struct hp *h, struct cgi_run *c, const char *p, size_t n)
{
	if (c->client_gone)
		return;
	if (!c->head_sent) {
		/* Take what fits; a read may hold the header block and much of the body. */
		size_t room = sizeof(c->headbuf) - c->head_used, take = n < room ? n : room;
		memcpy(c->headbuf + c->head_used, p, take);
		c->head_used += take;
		int r = cgiresp_parse((const uint8_t *)c->headbuf, c->head_used, &c->cr);
		if (r == WS_NEED_MORE && c->head_used == sizeof(c->headbuf)) {
			log_info("%s: CGI %.*s: header block over %u bytes", h->peer_s, (int)h->path_len,
				 h->path, WS_CGI_RESPONSE_HEAD_MAX);
			c->out_eof = true; /* stop reading; 502 below */
			return;
		}
		if (r == WS_NEED_MORE)
			return;
		if (r < 0) {
			log_info("%s: CGI %.*s: %s", h->peer_s, (int)h->path_len, h->path,
				 c->cr.why ? c->cr.why : "too many header lines");
			c->out_eof = true;
			return;
		}
		size_t cap = WS_CGI_RESPONSE_HEAD_MAX + 8192;
		char *out = malloc(cap);
		int hl = out ? cgi_head(h, c, out, cap) : WS_E_NOMEM;
		if (hl < 0) {
			free(out);
			log_info("%s: CGI %.*s: unusable header block", h->peer_s, (int)h->path_len, h->path);
			c->out_eof = true;
			return;
		}
		c->head_sent = true;
		if (send_bytes(h, out, (size_t)hl) != 0)
			c->client_gone = true;
		free(out);
		/* the rest of the block buffer, then of this read, is the start of the body */
		size_t early = c->head_used - (size_t)r;
		if (early > 0 && !h->head && !c->client_gone) {
			if (send_bytes(h, c->headbuf + r, early) != 0)
				c->client_gone = true;
			else
				h->bytes += early;
		}
		p += take;
		n -= take;
	}
	if (n == 0 || h->head || c->client_gone)
		return;
	if (send_bytes(h, p, n) != 0)
		c->client_gone = true;
	else
		h->bytes += n;
}

/* Read the signalfd: reap on SIGCHLD, note a request to stop. */
static void cgi_signals(struct cgi_run *c, int sigfd)
{
	struct signalfd_siginfo si;
	while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			child_reap(&c->ch);
		else
			c->stop = true;
	}
}

/* The poll loop: body to the script, its answer to the client, until it closes its
 * stdout, the client leaves, the deadline passes, or we are told to stop. */
static void cgi_relay(struct hp *h, struct cgi_run *c, int sigfd)
{
	int64_t deadline = h->start + (int64_t)WS_CGI_TIMEOUT * 1000;
	char chunk[WS_IO_CHUNK];
	for (int guard = 0; guard < 100000000; guard++) {
		if (c->body_off == c->body_len && c->body_left_net == 0)
			child_close_stdin(&c->ch);
		if (c->out_eof || c->client_gone || c->stop)
			return;
		int64_t now = now_ms();
		if (now >= deadline) {
			c->timed_out = true;
			return;
		}
		struct pollfd p[4];
		int np = 0, i_sig = -1, i_in = -1, i_out = -1, i_net = -1;
		p[np] = (struct pollfd){ sigfd, POLLIN, 0 };
		i_sig = np++;
		if (c->ch.in_fd >= 0 && c->body_off < c->body_len) {
			p[np] = (struct pollfd){ c->ch.in_fd, POLLOUT, 0 };
			i_in = np++;
		}
		if (c->ch.out_fd >= 0) {
			p[np] = (struct pollfd){ c->ch.out_fd, POLLIN, 0 };
			i_out = np++;
		}
		if (c->body_left_net > 0 && c->body_off == c->body_len) {
			p[np] = (struct pollfd){ h->t->rfd, POLLIN, 0 };
			i_net = np++;
		}
		int64_t wait = deadline - now;
		/* Body bytes the transport already holds (TLS decrypted them) raise no POLLIN:
		 * take them without waiting. */
		bool held = i_net >= 0 && h->t->ops->pending && h->t->ops->pending(h->t);
		int r = poll(p, (nfds_t)np, held ? 0 : wait > 1000 ? 1000 : (int)wait);
		if (r < 0 && errno != EINTR)
			return;
		if (r <= 0 && !held)
			continue;
		if (held)
			p[i_net].revents |= POLLIN;
		if (p[i_sig].revents)
			cgi_signals(c, sigfd);
		if (i_in >= 0 && p[i_in].revents) {
			ssize_t w = write(c->ch.in_fd, c->bodybuf + c->body_off, c->body_len - c->body_off);
			if (w > 0) {
				c->body_off += (size_t)w;
			} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
				/* The script does not read its input (EPIPE): drop the rest. */
				c->body_off = c->body_len;
				child_close_stdin(&c->ch);
			}
		}
		if (i_net >= 0 && p[i_net].revents) {
			size_t want = c->body_left_net < sizeof(c->bodybuf) ? (size_t)c->body_left_net :
				      sizeof(c->bodybuf);
			ssize_t got = h->t->ops->read(h->t, c->bodybuf, want);
			if (got > 0) {
				c->body_off = 0;
				c->body_len = (size_t)got;
				c->body_left_net -= (unsigned long long)got;
				if (c->ch.in_fd < 0)
					c->body_off = c->body_len; /* the script stopped reading */
			} else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
				c->client_gone = true; /* the body never came whole */
			}
		}
		if (i_out >= 0 && p[i_out].revents) {
			ssize_t got = read(c->ch.out_fd, chunk, sizeof(chunk));
			if (got > 0) {
				cgi_output(h, c, chunk, (size_t)got);
			} else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
				close(c->ch.out_fd);
				c->ch.out_fd = -1;
				c->out_eof = true;
			}
		}
	}
}

/* Close the script's pipes and end its process group with the termination ladder
 * (it normally has exited already); bounded by --closems + 500 ms + 1 s. */
static void cgi_finish(const struct config *cfg, struct cgi_run *c, int sigfd)
{
	child_close_stdin(&c->ch);
	if (c->ch.out_fd >= 0) {
		close(c->ch.out_fd);
		c->ch.out_fd = -1;
	}
	child_reap(&c->ch);
	int64_t start = now_ms();
	child_ladder_start(&c->ch, start);
	int64_t limit = start + (int64_t)cfg->closems + 1500;
	while (!c->ch.group_gone) {
		int64_t now = now_ms();
		if (now >= limit)
			break;
		int64_t next = child_ladder_tick(&c->ch, now, cfg->closems);
		int64_t until = next > 0 && next < limit ? next : limit;
		struct pollfd p = { sigfd, POLLIN, 0 };
		int wait = (int)(until - now);
		poll(&p, 1, wait > 50 ? 50 : wait < 1 ? 1 : wait);
		cgi_signals(c, sigfd);
		child_reap(&c->ch);
	}
}

static int serve_cgi(struct hp *h, const struct route *rt, struct buf *in, size_t head_len,
		     int sigfd)
{
	h->what = "cgi";
	const struct config *cfg = h->cfg;
	if (!method_is(h, "GET") && !method_is(h, "HEAD") && !method_is(h, "POST"))
		return not_allowed(h, "GET, HEAD, POST");
	if (hdr_find(h->req, "Transfer-Encoding", 0) >= 0)
		return answer(h, 411, "send the request body with Content-Length (chunked bodies are "
			      "not supported)", NULL, NULL);
	long long clen = request_length(h->req);
	if (clen == -2)
		return answer(h, 400, "bad Content-Length", NULL, NULL);
	if (clen > 0 && (unsigned long long)clen > cfg->max_cgi_body)
		return answer(h, 413, "request body larger than --max-cgi-body", NULL, NULL);
	unsigned long long body = clen > 0 ? (unsigned long long)clen : 0;

	int rc = EXIT_SYSTEM;
	char *passenv[WS_PASSENV_MAX];
	size_t npassenv = config_passenv(cfg, passenv);
	char *target = strndup(h->req->target, h->req->target_len);
	char *path = strndup(h->path, h->path_len);
	char *query = strndup(h->query, h->query_len);
	int hi = hdr_find(h->req, "Host", 0);
	char *host = hi >= 0 ? strndup(h->req->headers[hi].value, h->req->headers[hi].value_len) :
			       strndup("", 0);
	int cti = hdr_find(h->req, "Content-Type", 0);
	char *ctype = NULL, *clenv = NULL, *sfile = NULL;
	char *arena = child_env_arena();
	size_t env_used = 0;
	char **envp = calloc(WS_ENV_ENTRIES_MAX + 1, sizeof(char *));
	struct cgi_run *c = calloc(1, sizeof(*c));
	if (!target || !path || !query || !host || !arena || !envp || !c) {
		rc = answer(h, 500, "out of memory", NULL, NULL);
		goto out;
	}
	c->ch.in_fd = c->ch.out_fd = -1;
	/* SERVER_NAME: Host without its port (bracketed IPv6 kept whole). */
	const char *host_port = hdr_host_split(host);
	size_t ctl = cti >= 0 ? h->req->headers[cti].value_len : 0;
	ctype = malloc(ctl + sizeof("CONTENT_TYPE="));
	clenv = malloc(40);
	size_t sfl = strlen(rt->file) + sizeof("SCRIPT_FILENAME=");
	sfile = malloc(sfl);
	if (!ctype || !clenv || !sfile) {
		rc = answer(h, 500, "out of memory", NULL, NULL);
		goto out;
	}
	snprintf(ctype, ctl + sizeof("CONTENT_TYPE="), "CONTENT_TYPE=%.*s", (int)ctl,
		 cti >= 0 ? h->req->headers[cti].value : "");
	/* RFC 3875 4.1.2: CONTENT_LENGTH is set only when there is a body. */
	if (clen > 0 || method_is(h, "POST"))
		snprintf(clenv, 40, "CONTENT_LENGTH=%llu", body);
	else
		snprintf(clenv, 40, "CONTENT_LENGTH=");
	snprintf(sfile, sfl, "SCRIPT_FILENAME=%s", rt->file);
	char uid[25];
	conn_unique_id(uid);
	const char *extra[3 + TLS_ENV_MAX] = { ctype, clenv, sfile };
	size_t nextra = 3 + tls_env(extra + 3, TLS_ENV_MAX);
	struct cgienv_in ci = {
		.req = h->req,
		.server_software = "wsinetd/" WSINETD_VERSION,
		.remote_addr = h->peer->addr,
		.remote_host = h->peer->addr,
		.remote_port = h->peer->port,
		.server_name = host,
		.server_port = h->peer->local_port[0] ? h->peer->local_port : host_port,
		.request_uri = target,
		.script_name = rt->script_name,
		.path_info = rt->path_info,
		.path_translated = "",
		.query_string = query,
		.unique_id = uid,
		.https = h->cfg->ssl,
		.pass_authorization = false,
		.passenv = (const char *const *)passenv,
		.npassenv = npassenv,
		.extra = extra,
		.nextra = nextra,
	};
	const char *why = NULL;
	int ne = cgienv_build(&ci, arena, WS_ENV_BYTES_MAX, envp, WS_ENV_ENTRIES_MAX + 1, &why,
			      &env_used);
	if (ne < 0) {
		if (ne == WS_E_LIMIT)
			rc = answer(h, 431, "request headers too large for the script's environment",
				    NULL, NULL);
		else
			rc = answer(h, 400, why ? why : "bad header value", NULL, NULL);
		goto out;
	}

	/* The start of the body may have arrived with the head. */
	size_t have = buf_used(in) > head_len ? buf_used(in) - head_len : 0;
	if (have > body)
		have = (size_t)body;
	if (have > sizeof(c->bodybuf))
		have = sizeof(c->bodybuf); /* cannot happen: the head buffer is smaller */
	memcpy(c->bodybuf, buf_data(in) + head_len, have);
	c->body_len = have;
	c->body_left_net = body - have;
	/* RFC 7231 5.1.1: a client waiting for 100 Continue gets it before we read. */
	int ex = hdr_find(h->req, "Expect", 0);
	if (c->body_left_net > 0 && ex >= 0 &&
	    hdr_ieq(h->req->headers[ex].value, h->req->headers[ex].value_len, "100-continue"))
		send_bytes(h, "HTTP/1.1 100 Continue\r\n\r\n", 25);

	char *argv[2] = { rt->file, NULL };
	if (child_spawn(&c->ch, rt->file, argv, envp) != 0) {
		log_error("cannot start CGI script %s: %s", rt->file, strerror(errno));
		rc = answer(h, 500, "cannot start the CGI script", NULL, NULL);
		goto out;
	}
	c->spawned = true;
	child_env_wipe(&env_used); /* the script has its copy */
	cgi_relay(h, c, sigfd);

	if (!c->head_sent && !c->client_gone) {
		if (c->timed_out)
			rc = answer(h, 504, "the CGI script did not answer in time", NULL, NULL);
		else if (c->stop)
			rc = answer(h, 503, "server shutting down", NULL, NULL);
		else
			rc = answer(h, 502, "the CGI script did not print a valid header block", NULL, NULL);
		cgi_finish(cfg, c, sigfd);
		if (rc == EXIT_SYSTEM && !c->timed_out && !c->stop)
			rc = EXIT_FAILED;
		goto out;
	}
	cgi_finish(cfg, c, sigfd);
	if (!c->client_gone)
		h->t->ops->shutdown_write(h->t);
	access_line(h);
	char st[32];
	child_status_text(&c->ch, st, sizeof(st));
	if (c->timed_out)
		rc = EXIT_TIMEOUT;
	else if (c->client_gone || !c->ch.exited || strcmp(st, "exit 0") != 0)
		rc = EXIT_FAILED;
	else
		rc = status_exit(h->status) == EXIT_REFUSED ? EXIT_REFUSED : EXIT_CLEAN;
	if (rc != EXIT_CLEAN)
		log_info("%s: CGI %s: %s%s%s", h->peer_s, rt->file, st, c->client_gone ? ", client gone" : "",
			 c->timed_out ? ", timed out" : "");
out:
	if (c && c->spawned && !c->ch.group_gone)
		cgi_finish(cfg, c, sigfd);
	if (c && c->ch.in_fd >= 0)
		close(c->ch.in_fd);
	if (c && c->ch.out_fd >= 0)
		close(c->ch.out_fd);
	for (size_t i = 0; i < npassenv; i++)
		free(passenv[i]);
	free_wiped_str(target);
	free_wiped_str(path);
	free_wiped_str(query);
	free_wiped_str(host);
	free(ctype);
	free(clenv);
	free(sfile);
	child_env_wipe(&env_used); /* a refusal or a failed spawn */
	free(envp);
	if (c && body > 0)
		explicit_bzero(c->bodybuf, sizeof(c->bodybuf)); /* request body bytes */
	free(c);
	return rc;
}

/* ------------------------------------------------------------------ dispatch */

int http_plain_serve(const struct config *cfg, struct transport *t, const struct http_req *req,
		     struct buf *in, size_t head_len, const struct peer *peer, const char *peer_s,
		     int sigfd)
{
	struct hp h = {
		.cfg = cfg, .t = t, .req = req, .peer = peer, .peer_s = peer_s,
		.start = now_ms(), .what = "refused",
	};
	const char *q = memchr(req->target, '?', req->target_len);
	h.path = req->target;
	h.path_len = q ? (size_t)(q - req->target) : req->target_len;
	h.query = q ? q + 1 : "";
	h.query_len = q ? req->target_len - h.path_len - 1 : 0;
	h.head = method_is(&h, "HEAD");

	if (!cfg->devconsole && !cfg->staticdir && !cfg->cgidir && !cfg->dir)
		return upgrade_required(&h);
	if (h.path_len == 0 || h.path[0] != '/')
		return answer(&h, 400, "the request target is not a path", NULL, NULL);

	struct route rt;
	const char *why = NULL;
	int st;
	if (cfg->devconsole || (cfg->dir && !cfg->staticdir && !cfg->cgidir)) {
		/* The console (or the 426) belongs to an endpoint: with --dir, to a script. */
		if (cfg->dir) {
			st = route_script(cfg->dir, h.path, h.path_len, &rt, &why);
			if (st != 0)
				return answer(&h, st, st == 404 ? "no such endpoint" : why ? why : "bad path",
					      NULL, NULL);
			route_free(&rt);
		}
		return cfg->devconsole ? serve_devconsole(&h) : upgrade_required(&h);
	}
	if (cfg->cgidir) {
		st = route_script(cfg->cgidir, h.path, h.path_len, &rt, &why);
		if (st == 0) {
			int rc = serve_cgi(&h, &rt, in, head_len, sigfd);
			route_free(&rt);
			return rc;
		}
		if (st != 404)
			return answer(&h, st, why ? why : "bad path", NULL, NULL);
	}
	if (cfg->staticdir)
		return serve_static(&h);
	return answer(&h, 404, "not found", NULL, NULL);
}
