#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"

static ssize_t fd_read(struct transport *t, void *p, size_t n)
{
	return read(t->rfd, p, n);
}

static ssize_t fd_write(struct transport *t, const void *p, size_t n)
{
	/* send() with MSG_NOSIGNAL where we can: a vanished peer is an EPIPE, not a signal
	 * (SIGPIPE is ignored too, belt and braces). */
	if (t->wfd_is_socket)
		return send(t->wfd, p, n, MSG_NOSIGNAL);
	return write(t->wfd, p, n);
}

static void fd_shutdown_write(struct transport *t)
{
	if (t->wfd_is_socket)
		shutdown(t->wfd, SHUT_WR);
	else if (t->wfd != t->rfd) {
		/* A pipe: closing our end is the half-close. Keep the number taken by
		 * /dev/null so nothing else lands on fd 1 by accident. */
		int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (devnull >= 0) {
			dup3(devnull, t->wfd, O_CLOEXEC);
			close(devnull);
		}
	}
}

static const struct transport_ops fd_ops = { fd_read, fd_write, fd_shutdown_write, NULL };

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

void transport_fd_init(struct transport *t, int rfd, int wfd)
{
	t->ops = &fd_ops;
	t->rfd = rfd;
	t->wfd = wfd;
	t->read_wants_pollout = t->write_wants_pollin = false;
	int type;
	socklen_t len = sizeof(type);
	t->wfd_is_socket = getsockopt(wfd, SOL_SOCKET, SO_TYPE, &type, &len) == 0;
	set_nonblock(rfd);
	if (wfd != rfd)
		set_nonblock(wfd);
}

int conn_listen_fds(void)
{
	const char *pid_s = getenv("LISTEN_PID"), *fds_s = getenv("LISTEN_FDS");
	int r = 0;
	if (pid_s != NULL && fds_s != NULL) {
		char *end;
		errno = 0;
		unsigned long pid = strtoul(pid_s, &end, 10);
		if (errno != 0 || end == pid_s || *end != '\0') {
			r = -1;
		} else if (pid == (unsigned long)getpid()) {
			unsigned long n = strtoul(fds_s, &end, 10);
			if (errno != 0 || end == fds_s || *end != '\0' || n > 4096) {
				r = -1;
			} else {
				r = (int)n;
				for (int fd = CONN_LISTEN_FDS_START; fd < CONN_LISTEN_FDS_START + r; fd++)
					if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
						r = -1;
			}
		}
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (r < 0)
		errno = EINVAL;
	return r;
}

bool conn_is_stream_socket(int fd, bool listening)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
		return false;
	int v = 0;
	socklen_t l = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &l) != 0 || v != SOCK_STREAM)
		return false;
	v = 0;
	l = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l) != 0)
		return false;
	return (v != 0) == listening;
}

void conn_unique_id(char out[25])
{
	uint8_t r[12];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		/* getrandom fails only on an interrupted or missing call: pid and the clock
		 * still tell connections apart. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint32_t pid = (uint32_t)getpid();
		uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		memcpy(r, &pid, 4);
		memcpy(r + 4, &ns, 8);
	}
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sa_to_strings(const struct sockaddr_storage *ss, char *addr, size_t alen, char *port,
			  size_t plen, int *family, uint8_t *raw)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, addr, (socklen_t)alen);
		snprintf(port, plen, "%u", ntohs(s4->sin_port));
		if (family) {
			*family = AF_INET;
			memcpy(raw, &s4->sin_addr, 4);
		}
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		/* A v4-mapped peer on a dual-stack socket is reported as plain IPv4. */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], addr, (socklen_t)alen);
			if (family) {
				*family = AF_INET;
				memcpy(raw, &s6->sin6_addr.s6_addr[12], 4);
			}
		} else {
			inet_ntop(AF_INET6, &s6->sin6_addr, addr, (socklen_t)alen);
			if (family) {
				*family = AF_INET6;
				memcpy(raw, &s6->sin6_addr, 16);
			}
		}
		snprintf(port, plen, "%u", ntohs(s6->sin6_port));
	}
}

static void copy_env(char *dst, size_t cap, const char *a, const char *b)
{
	const char *v = getenv(a);
	if ((v == NULL || *v == '\0') && b)
		v = getenv(b);
	if (v && strlen(v) < cap && strspn(v, "0123456789abcdefABCDEF.:") == strlen(v))
		strcpy(dst, v);
}

void conn_peer(int fd, struct peer *p)
{
	memset(p, 0, sizeof(*p));
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)) {
		sa_to_strings(&ss, p->addr, sizeof(p->addr), p->port, sizeof(p->port), &p->family,
			      p->raw);
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
			sa_to_strings(&ss, p->local_addr, sizeof(p->local_addr), p->local_port,
				      sizeof(p->local_port), NULL, NULL);
		return;
	}
	/* Not an IP socket (pipes behind a TLS terminator, a UNIX socket, a test): trust
	 * what the spawner put in our environment. */
	copy_env(p->addr, sizeof(p->addr), "REMOTE_ADDR", "TCPREMOTEIP");
	copy_env(p->port, sizeof(p->port), "REMOTE_PORT", "TCPREMOTEPORT");
	copy_env(p->local_addr, sizeof(p->local_addr), "TCPLOCALIP", NULL);
	copy_env(p->local_port, sizeof(p->local_port), "TCPLOCALPORT", NULL);
	if (inet_pton(AF_INET, p->addr, p->raw) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, p->addr, p->raw) == 1)
		p->family = AF_INET6;
}

static int wait_fd(int fd, short ev, int64_t deadline_ms)
{
	for (;;) {
		int64_t left = deadline_ms - now_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		struct pollfd pfd = { .fd = fd, .events = ev };
		int r = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* Only bytes that could end the head ("\n\r\n" or "\n\n") make a new parse worth
 * trying, which keeps a request trickling in one byte at a time linear; a new line
 * also triggers one, so a malformed request line or too many headers are refused as
 * they arrive rather than at the byte limit. */
static bool worth_parsing(const uint8_t *d, size_t old_len, size_t new_len)
{
	for (size_t i = old_len; i < new_len; i++)
		if (d[i] == '\n')
			return true;
	return false;
}

/* Exact mode: look at what is there without taking it (a socket), or take one byte (a
 * pipe). Returns like read(2); *peeked tells whether the bytes are still in the fd. */
static ssize_t read_exact_step(struct transport *t, uint8_t *p, size_t n, bool *peeked)
{
	if (t->wfd_is_socket && t->rfd == t->wfd) {
		*peeked = true;
		return recv(t->rfd, p, n, MSG_PEEK);
	}
	*peeked = false;
	return t->ops->read(t, p, 1);
}

enum read_req_result conn_read_request(struct transport *t, struct buf *in, size_t max_bytes,
				       size_t max_headers, int64_t deadline_ms, bool exact,
				       struct http_req *req, size_t *head_len)
{
	for (;;) {
		size_t have = buf_used(in);
		/* Read up to a chunk; bytes past the head stay in `in` for the relay. */
		size_t want = exact ? max_bytes - have : 4096;
		uint8_t *p = buf_reserve(in, want, NULL);
		if (p == NULL)
			return RR_ERROR;
		bool peeked = false;
		ssize_t n = exact ? read_exact_step(t, p, want, &peeked) : t->ops->read(t, p, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return RR_ERROR;
			if ((t->read_wants_pollout ? wait_fd(t->wfd, POLLOUT, deadline_ms)
						   : wait_fd(t->rfd, POLLIN, deadline_ms)) != 0)
				return errno == ETIMEDOUT ? RR_TIMEOUT : RR_ERROR;
			continue;
		}
		if (n == 0)
			return RR_EOF;
		buf_commit(in, (size_t)n);
		int r = WS_NEED_MORE;
		if (worth_parsing(buf_data(in), have, buf_used(in))) {
			size_t scan = buf_used(in) < max_bytes ? buf_used(in) : max_bytes;
			r = http_req_parse(buf_data(in), scan, max_headers, req);
		}
		if (peeked) {
			/* Take for real what belongs to the head: all of the peek while the head
			 * is incomplete (so poll waits for new bytes), up to its end otherwise. */
			size_t take = r > 0 ? (size_t)r - have : (size_t)n;
			if (r > 0)
				buf_truncate(in, (size_t)r);
			uint8_t sink[4096];
			while (take > 0) {
				ssize_t k = recv(t->rfd, sink, take < sizeof(sink) ? take : sizeof(sink), 0);
				if (k <= 0)
					return RR_ERROR;
				take -= (size_t)k;
			}
		}
		if (r > 0) {
			*head_len = (size_t)r;
			return RR_OK;
		}
		if (r == WS_E_LIMIT)
			return RR_TOO_MANY;
		if (r != WS_NEED_MORE)
			return RR_MALFORMED;
		if (buf_used(in) >= max_bytes)
			return RR_TOO_LARGE;
	}
}

int conn_write_all(struct transport *t, const void *p, size_t n, int64_t deadline_ms)
{
	const uint8_t *c = p;
	while (n > 0) {
		ssize_t w = t->ops->write(t, c, n);
		if (w > 0) {
			c += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if ((t->write_wants_pollin ? wait_fd(t->rfd, POLLIN, deadline_ms)
					   : wait_fd(t->wfd, POLLOUT, deadline_ms)) != 0)
			return -1;
	}
	return 0;
}
