/* wsbench - a WebSocket (RFC 6455) load generator for `make bench`.
 *
 * The client side of the protocol: an HTTP Upgrade with a random key whose
 * Sec-WebSocket-Accept is checked, masked frames (a fresh key per frame), unmasked
 * frames from the server reassembled across continuation frames, pings answered, the
 * close handshake. Every echoed byte is compared with what was sent, in order.
 *
 * Modes (one epoll loop, every socket non-blocking, every wait bounded):
 *   connect     N connections, at most C at once; each: connect, handshake, one
 *               message, its echo, Close. Connections/s; p50/p99/max of the time to
 *               the 101 and of the whole cycle; failures.
 *   throughput  K connections each pipelining M messages of S bytes, at most W
 *               unanswered at any time. Messages/s and MB/s (payload, one way);
 *               a run with no byte received for --stall seconds is reported stalled.
 *   idle        N connections opened (handshake and one echo each), then held until
 *               stdin reaches EOF or --hold seconds pass, so the caller can measure
 *               what they cost; prints "ready ..." once they are all open.
 *   spawn       the floor: no WebSocket at all. N runs of PROGRAM (posix_spawn), at
 *               most C at once; each gets one line of S bytes on stdin, then EOF, and
 *               must echo it to stdout and exit 0. Spawns/s and p50/p99/max per run.
 *
 * Output: one line of key=value pairs on stdout. Exit status: 0 all good, 1 failures
 * or a stall, 2 usage.
 *
 * Messages are printable ASCII without '\n', so a line-oriented program (cat behind
 * websocketd or wsinetd) returns each one as it came. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define RBUF_SIZE (256u * 1024u)
#define WBUF_HIGH (256u * 1024u)   /* stop queueing frames past this many unsent bytes */
#define HEAD_MAX 8192u
#define MSG_MAX (64u * 1024u * 1024u)

enum mode { M_CONNECT, M_THROUGHPUT, M_IDLE, M_SPAWN };
enum state { S_FREE, S_CONNECTING, S_HANDSHAKE, S_BARRIER, S_RUN, S_HELD, S_CLOSING };

struct opts {
	enum mode mode;
	struct sockaddr_in addr;
	const char *host;
	int port;
	long n, c, k, m, s, w;
	double timeout, stall, hold, conn_timeout;
	bool binary;
};

struct conn {
	int fd;
	enum state st;
	long id;
	uint64_t t0, t101;
	uint64_t deadline;
	char accept[29];
	/* inbound */
	uint8_t *rb;
	size_t rlen;
	bool in_frame;         /* inside a data frame's payload */
	uint64_t frame_left;
	bool frame_fin;
	uint8_t msg_op;        /* opcode of the message being received, 0 none */
	size_t msg_off;        /* bytes of the current message received */
	/* outbound */
	uint8_t *wb;
	size_t woff, wlen, wcap;
	long sent, echoed;     /* messages */
	bool want_out;         /* EPOLLOUT registered */
	bool close_queued;
};

static struct opts o;
static int ep;
static struct conn *conns;
static long nslots;
static uint8_t *pattern;   /* 'a'..'z' repeated, s + 32 bytes */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static long failures, done_ok, started, established, closed_total;
static long completed;      /* throughput: all echoes in; idle: held open */
static bool idle_closing;
static uint64_t bytes_in;
static uint32_t *lat101, *latcycle;
static long nlat;
static const char *first_error;

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t xrand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void die(const char *m)
{
	fprintf(stderr, "wsbench: %s\n", m);
	exit(2);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (p == NULL)
		die("out of memory");
	return p;
}

/* --- helpers --------------------------------------------------------------------- */

static void b64(const uint8_t *in, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

static void expected_accept(const char *key, char out[29])
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	if (x == NULL || EVP_DigestInit_ex(x, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(x, key, strlen(key)) != 1 ||
	    EVP_DigestUpdate(x, guid, sizeof(guid) - 1) != 1 ||
	    EVP_DigestFinal_ex(x, md, &mdlen) != 1 || mdlen != 20)
		die("SHA-1 failed");
	EVP_MD_CTX_free(x);
	b64(md, 20, out);
}

static const uint8_t *expect_for(const struct conn *c, long msg)
{
	return pattern + (size_t)((c->id * 7 + msg) % 26);
}

static void ep_mod(struct conn *c, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
}

static void fail(struct conn *c, const char *why);

/* Append a masked frame (RFC 6455 5.3: every client frame masked, fresh key). */
static void queue_frame(struct conn *c, uint8_t op, const uint8_t *p, size_t n)
{
	size_t need = c->wlen + 14 + n;
	if (need > c->wcap) {
		if (c->woff > 0) {
			memmove(c->wb, c->wb + c->woff, c->wlen - c->woff);
			c->wlen -= c->woff;
			c->woff = 0;
			need = c->wlen + 14 + n;
		}
		if (need > c->wcap) {
			size_t nc = c->wcap ? c->wcap : 4096;
			while (nc < need)
				nc *= 2;
			uint8_t *nb = realloc(c->wb, nc);
			if (nb == NULL)
				die("out of memory");
			c->wb = nb;
			c->wcap = nc;
		}
	}
	uint8_t *h = c->wb + c->wlen;
	size_t hl = 2;
	h[0] = (uint8_t)(0x80u | op);
	if (n < 126) {
		h[1] = (uint8_t)(0x80u | n);
	} else if (n <= 0xffff) {
		h[1] = 0x80u | 126;
		h[2] = (uint8_t)(n >> 8);
		h[3] = (uint8_t)n;
		hl = 4;
	} else {
		h[1] = 0x80u | 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
		hl = 10;
	}
	uint32_t key = (uint32_t)xrand();
	memcpy(h + hl, &key, 4);
	hl += 4;
	uint8_t *d = h + hl;
	uint64_t w = (uint64_t)key << 32 | key;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t v;
		memcpy(&v, p + i, 8);
		v ^= w;
		memcpy(d + i, &v, 8);
	}
	const uint8_t *k = h + hl - 4;
	for (; i < n; i++)
		d[i] = p[i] ^ k[i & 3];
	c->wlen += hl + n;
}

static void flush_out(struct conn *c)
{
	while (c->woff < c->wlen) {
		ssize_t r = send(c->fd, c->wb + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			fail(c, "send failed");
			return;
		}
		c->woff += (size_t)r;
	}
	if (c->woff == c->wlen)
		c->woff = c->wlen = 0;
	bool want = c->wlen > 0 || c->st == S_CONNECTING;
	if (want != c->want_out) {
		c->want_out = want;
		ep_mod(c, EPOLLIN | (want ? EPOLLOUT : 0u));
	}
}

/* --- connection lifecycle -------------------------------------------------------------- */

static void start_conn(struct conn *c, long id);

static void release(struct conn *c)
{
	if (c->fd >= 0) {
		/* Abortive close: no TIME_WAIT piles up over thousands of connections. */
		struct linger lg = { 1, 0 };
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(c->fd);
		c->fd = -1;
	}
	c->st = S_FREE;
	closed_total++;
}

static void fail(struct conn *c, const char *why)
{
	if (c->st == S_FREE)
		return;
	if (first_error == NULL)
		first_error = why;
	failures++;
	release(c);
}

static void finish(struct conn *c)
{
	uint64_t t = now_us();
	if (o.mode == M_CONNECT && nlat < o.n) {
		lat101[nlat] = (uint32_t)(c->t101 - c->t0);
		latcycle[nlat] = (uint32_t)(t - c->t0);
		nlat++;
	}
	done_ok++;
	release(c);
}

/* The server ended the connection (its Close, or EOF): the cycle's end once our Close is
 * out, a failure before. */
static void server_ended(struct conn *c, const char *why)
{
	if (c->st == S_CLOSING)
		finish(c);
	else
		fail(c, why);
}

static void send_close(struct conn *c)
{
	if (c->close_queued)
		return;
	uint8_t p[2] = { 0x03, 0xe8 }; /* 1000 */
	queue_frame(c, 0x8, p, 2);
	c->close_queued = true;
	c->st = S_CLOSING;
	if (o.mode != M_CONNECT) /* the data phase had no deadline; the close has one */
		c->deadline = now_us() + (uint64_t)(o.conn_timeout * 1e6);
}

/* Queue messages up to the window; throughput and connect modes. */
static void pump(struct conn *c)
{
	long total = o.mode == M_THROUGHPUT ? o.m : 1;
	while (c->sent < total && c->sent - c->echoed < o.w && c->wlen - c->woff < WBUF_HIGH) {
		queue_frame(c, o.binary ? 0x2 : 0x1, expect_for(c, c->sent), (size_t)o.s);
		c->sent++;
	}
	flush_out(c);
}

static void on_message_done(struct conn *c)
{
	c->echoed++;
	if (o.mode == M_CONNECT || (o.mode == M_IDLE && c->st == S_RUN)) {
		if (o.mode == M_IDLE) {
			c->st = S_HELD;
			completed++;
			return;
		}
		send_close(c);
		flush_out(c);
		return;
	}
	if (c->echoed == o.m) {
		completed++;
		send_close(c);
		flush_out(c);
	}
	/* More messages go out once the whole read is parsed (one send per read). */
}

/* Server frames: unmasked; data checked byte for byte as it streams in. */
static void parse_frames(struct conn *c)
{
	size_t pos = 0;
	while (pos < c->rlen && c->fd >= 0) {
		uint8_t *b = c->rb + pos;
		size_t avail = c->rlen - pos;
		if (c->in_frame) {
			size_t take = avail < c->frame_left ? avail : (size_t)c->frame_left;
			if (c->msg_off + take > (size_t)o.s ||
			    memcmp(b, expect_for(c, c->echoed) + c->msg_off, take) != 0) {
				fail(c, "echo differs from what was sent");
				return;
			}
			c->msg_off += take;
			c->frame_left -= take;
			pos += take;
			if (c->frame_left == 0) {
				c->in_frame = false;
				if (c->frame_fin) {
					if (c->msg_off != (size_t)o.s) {
						fail(c, "echo shorter than what was sent");
						return;
					}
					c->msg_op = 0;
					c->msg_off = 0;
					on_message_done(c);
				}
			}
			continue;
		}
		if (avail < 2)
			break;
		bool fin = b[0] & 0x80u;
		uint8_t op = b[0] & 0x0fu;
		if (b[0] & 0x70u || b[1] & 0x80u) {
			fail(c, "reserved bits or mask from the server");
			return;
		}
		uint64_t len = b[1] & 0x7fu;
		size_t hl = 2;
		if (len == 126) {
			if (avail < 4)
				break;
			len = (uint64_t)b[2] << 8 | b[3];
			hl = 4;
		} else if (len == 127) {
			if (avail < 10)
				break;
			len = 0;
			for (int i = 0; i < 8; i++)
				len = len << 8 | b[2 + i];
			hl = 10;
		}
		if (op >= 0x8) {
			if (len > 125 || !fin) {
				fail(c, "bad control frame");
				return;
			}
			if (avail < hl + len)
				break;
			if (op == 0x8) {
				/* The server's Close: the cycle is over. */
				server_ended(c, "server closed early");
				return;
			}
			if (op == 0x9)
				queue_frame(c, 0xA, b + hl, (size_t)len);
			pos += hl + (size_t)len;
			flush_out(c);
			continue;
		}
		if (op == 0x0 ? c->msg_op == 0 : (c->msg_op != 0 || (op != 0x1 && op != 0x2))) {
			fail(c, "bad data frame sequence");
			return;
		}
		if (op != 0)
			c->msg_op = op;
		if (len > MSG_MAX) {
			fail(c, "frame too large");
			return;
		}
		pos += hl;
		c->in_frame = true;
		c->frame_left = len;
		c->frame_fin = fin;
		if (len == 0) {
			c->in_frame = false;
			if (fin) {
				if (c->msg_off != (size_t)o.s) {
					fail(c, "echo shorter than what was sent");
					return;
				}
				c->msg_op = 0;
				c->msg_off = 0;
				on_message_done(c);
			}
		}
	}
	if (c->fd < 0)
		return;
	if (pos > 0) {
		memmove(c->rb, c->rb + pos, c->rlen - pos);
		c->rlen -= pos;
	}
	if (c->st == S_RUN && o.mode == M_THROUGHPUT)
		pump(c);
}

static bool header_value(const char *head, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	for (const char *p = strstr(head, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
		const char *l = p + 2;
		if (strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
			const char *v = l + nl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			const char *e = strstr(v, "\r\n");
			size_t n = e ? (size_t)(e - v) : strlen(v);
			while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
				n--;
			if (n >= outlen)
				return false;
			memcpy(out, v, n);
			out[n] = '\0';
			return true;
		}
	}
	return false;
}

static void on_handshake_bytes(struct conn *c)
{
	c->rb[c->rlen < HEAD_MAX ? c->rlen : HEAD_MAX - 1] = '\0';
	char *end = memmem(c->rb, c->rlen, "\r\n\r\n", 4);
	if (end == NULL) {
		if (c->rlen >= HEAD_MAX - 1)
			fail(c, "response head too large");
		return;
	}
	size_t hlen = (size_t)(end - (char *)c->rb) + 4;
	char save = (char)c->rb[hlen];
	c->rb[hlen] = '\0';
	char acc[64];
	if (strncmp((char *)c->rb, "HTTP/1.1 101", 12) != 0) {
		fail(c, "no 101 from the server");
		return;
	}
	if (!header_value((char *)c->rb, "Sec-WebSocket-Accept", acc, sizeof(acc)) ||
	    strcmp(acc, c->accept) != 0) {
		fail(c, "wrong Sec-WebSocket-Accept");
		return;
	}
	c->rb[hlen] = (uint8_t)save;
	memmove(c->rb, c->rb + hlen, c->rlen - hlen);
	c->rlen -= hlen;
	c->t101 = now_us();
	established++;
	if (o.mode == M_THROUGHPUT) {
		c->st = S_BARRIER;
	} else {
		c->st = S_RUN;
		pump(c);
	}
	if (c->fd >= 0 && c->rlen > 0)
		parse_frames(c);
}

static void on_readable(struct conn *c)
{
	for (int rounds = 0; rounds < 8 && c->fd >= 0; rounds++) {
		size_t cap = c->st == S_HANDSHAKE ? HEAD_MAX - 1 : RBUF_SIZE;
		if (c->rlen >= cap) {
			fail(c, "input buffer full");
			return;
		}
		ssize_t r = recv(c->fd, c->rb + c->rlen, cap - c->rlen, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			fail(c, c->st == S_CLOSING ? "reset while closing" : "recv failed");
			return;
		}
		if (r == 0) {
			/* EOF: fine once our Close is out (some servers close without a Close). */
			server_ended(c, "server closed the connection");
			return;
		}
		bytes_in += (uint64_t)r;
		c->rlen += (size_t)r;
		if (c->st == S_HANDSHAKE)
			on_handshake_bytes(c);
		else
			parse_frames(c);
		if ((size_t)r < cap / 2)
			return;
	}
}

static void start_conn(struct conn *c, long id)
{
	uint8_t *rb = c->rb, *wb = c->wb;
	size_t wcap = c->wcap;
	memset(c, 0, sizeof(*c));
	c->rb = rb ? rb : xmalloc(RBUF_SIZE);
	c->wb = wb;
	c->wcap = wcap;
	c->fd = -1;
	c->id = id;
	c->t0 = now_us();
	c->deadline = c->t0 + (uint64_t)(o.conn_timeout * 1e6);
	started++;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		c->st = S_CONNECTING;
		fail(c, "socket failed");
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	c->st = S_CONNECTING;
	struct epoll_event e = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
	c->want_out = true;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) != 0) {
		fail(c, "epoll_ctl failed");
		return;
	}
	if (connect(fd, (struct sockaddr *)&o.addr, sizeof(o.addr)) != 0 && errno != EINPROGRESS)
		fail(c, "connect failed");
}

static void on_connected(struct conn *c)
{
	int err = 0;
	socklen_t l = sizeof(err);
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l) != 0 || err != 0) {
		fail(c, "connect failed");
		return;
	}
	uint8_t raw[16];
	for (int i = 0; i < 16; i += 8) {
		uint64_t v = xrand();
		memcpy(raw + i, &v, 8);
	}
	char key[32];
	b64(raw, 16, key);
	expected_accept(key, c->accept);
	char req[512];
	int n = snprintf(req, sizeof(req),
			 "GET / HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
			 "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
			 "Sec-WebSocket-Version: 13\r\n\r\n", o.host, o.port, key);
	c->st = S_HANDSHAKE;
	/* The request goes into the output buffer unmasked (it is not a frame). */
	if (c->wcap < (size_t)n) {
		c->wb = realloc(c->wb, 4096);
		if (c->wb == NULL)
			die("out of memory");
		c->wcap = 4096;
	}
	memcpy(c->wb, req, (size_t)n);
	c->woff = 0;
	c->wlen = (size_t)n;
	flush_out(c);
}

/* --- the loop ----------------------------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static double pct(uint32_t *v, long n, double p)
{
	if (n == 0)
		return 0;
	long i = (long)(p * (double)(n - 1) + 0.5);
	return v[i] / 1000.0;
}

static volatile sig_atomic_t stop_flag;
static void on_signal(int s)
{
	(void)s;
	stop_flag = 1;
}

extern char **environ;

/* The floor: what running the program costs with no server in between. */
static int spawn_mode(char *const *argv)
{
	struct run { pid_t pid; int out; size_t got; uint64_t t0; };
	struct run *r = calloc((size_t)o.c, sizeof(*r));
	struct pollfd *pf = calloc((size_t)o.c, sizeof(*pf));
	uint32_t *lat = xmalloc(sizeof(uint32_t) * (size_t)o.n);
	char *line = xmalloc((size_t)o.s + 1);
	char *sink = xmalloc((size_t)o.s + 2);
	if (r == NULL || pf == NULL)
		die("out of memory");
	memcpy(line, pattern, (size_t)o.s);
	line[o.s] = '\n';
	long started_n = 0, done = 0, fails = 0, nl = 0, active = 0;
	uint64_t t_start = now_us(), t_limit = t_start + (uint64_t)(o.timeout * 1e6);
	for (long i = 0; i < o.c; i++)
		r[i].pid = 0;
	while (done + fails < o.n) {
		for (long i = 0; i < o.c && started_n < o.n; i++) {
			if (r[i].pid != 0)
				continue;
			int in[2], out[2];
			if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
				die("pipe2 failed");
			posix_spawn_file_actions_t fa;
			posix_spawn_file_actions_init(&fa);
			posix_spawn_file_actions_adddup2(&fa, in[0], 0);
			posix_spawn_file_actions_adddup2(&fa, out[1], 1);
			r[i].t0 = now_us();
			started_n++;
			int e = posix_spawn(&r[i].pid, argv[0], &fa, NULL, argv, environ);
			posix_spawn_file_actions_destroy(&fa);
			close(in[0]);
			close(out[1]);
			if (e != 0) {
				r[i].pid = 0;
				close(in[1]);
				close(out[0]);
				fails++;
				continue;
			}
			/* The line fits the pipe buffer: write it, then EOF. */
			if (write(in[1], line, (size_t)o.s + 1) != (ssize_t)o.s + 1)
				fails++;
			close(in[1]);
			r[i].out = out[0];
			r[i].got = 0;
			active++;
		}
		if (active == 0)
			break;
		long np = 0;
		for (long i = 0; i < o.c; i++)
			if (r[i].pid != 0)
				pf[np++] = (struct pollfd){ .fd = r[i].out, .events = POLLIN };
		if (now_us() > t_limit)
			die("spawn: total timeout");
		if (poll(pf, (nfds_t)np, 1000) < 0 && errno != EINTR)
			die("poll failed");
		for (long i = 0, k = 0; i < o.c; i++) {
			if (r[i].pid == 0)
				continue;
			if (pf[k++].revents == 0)
				continue;
			ssize_t n = read(r[i].out, sink, (size_t)o.s + 2);
			if (n > 0) {
				if (r[i].got + (size_t)n > (size_t)o.s + 1 ||
				    memcmp(sink, line + r[i].got, (size_t)n) != 0)
					fails++, r[i].got = (size_t)o.s + 2;
				else
					r[i].got += (size_t)n;
				continue;
			}
			close(r[i].out);
			int st;
			while (waitpid(r[i].pid, &st, 0) < 0 && errno == EINTR)
				;
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && r[i].got == (size_t)o.s + 1) {
				lat[nl++] = (uint32_t)(now_us() - r[i].t0);
				done++;
			} else {
				fails++;
			}
			r[i].pid = 0;
			active--;
		}
	}
	double wall = (double)(now_us() - t_start) / 1e6;
	qsort(lat, (size_t)nl, sizeof(uint32_t), cmp_u32);
	printf("mode=spawn n=%ld c=%ld ok=%ld failures=%ld seconds=%.3f spawn_per_s=%.1f "
	       "cycle_p50_ms=%.3f cycle_p99_ms=%.3f cycle_max_ms=%.3f\n",
	       o.n, o.c, done, fails, wall, (double)done / wall, pct(lat, nl, .5), pct(lat, nl, .99),
	       pct(lat, nl, 1));
	return fails ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: wsbench connect    -p PORT [-n N] [-c C] [-s BYTES]\n"
		"       wsbench throughput -p PORT [-k K] [-m M] [-s BYTES] [-w WINDOW]\n"
		"       wsbench idle       -p PORT [-n N] [--hold SECONDS]\n"
		"       wsbench spawn      [-n N] [-c C] [-s BYTES] -- PROGRAM [ARG]...\n"
		"common: [-H 127.0.0.1] [--binary] [-t TOTAL_TIMEOUT_S] [--conn-timeout S]\n"
		"        [--stall S]\n");
	exit(2);
}

static long num(const char *s, long lo, long hi)
{
	char *e;
	errno = 0;
	long v = strtol(s, &e, 10);
	if (errno || *e || v < lo || v > hi)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "connect") == 0)
		o.mode = M_CONNECT;
	else if (strcmp(argv[1], "throughput") == 0)
		o.mode = M_THROUGHPUT;
	else if (strcmp(argv[1], "idle") == 0)
		o.mode = M_IDLE;
	else if (strcmp(argv[1], "spawn") == 0)
		o.mode = M_SPAWN;
	else
		usage();
	o.host = "127.0.0.1";
	o.n = 1000;
	o.c = 1;
	o.k = 1;
	o.m = 10000;
	o.s = 16;
	o.w = 64;
	o.timeout = 120;
	o.conn_timeout = 10;
	o.stall = 5;
	o.hold = 60;
	static const struct option lo[] = {
		{ "binary", no_argument, NULL, 'b' },
		{ "hold", required_argument, NULL, 'L' },
		{ "stall", required_argument, NULL, 'S' },
		{ "conn-timeout", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	optind = 2;
	while ((ch = getopt_long(argc, argv, "H:p:n:c:k:m:s:w:t:", lo, NULL)) != -1) {
		switch (ch) {
		case 'H': o.host = optarg; break;
		case 'p': o.port = (int)num(optarg, 1, 65535); break;
		case 'n': o.n = num(optarg, 1, 1000000); break;
		case 'c': o.c = num(optarg, 1, 10000); break;
		case 'k': o.k = num(optarg, 1, 10000); break;
		case 'm': o.m = num(optarg, 1, 1000000000); break;
		case 's': o.s = num(optarg, 1, 16 * 1024 * 1024); break;
		case 'w': o.w = num(optarg, 1, 1000000); break;
		case 't': o.timeout = (double)num(optarg, 1, 86400); break;
		case 'b': o.binary = true; break;
		case 'L': o.hold = (double)num(optarg, 0, 86400); break;
		case 'S': o.stall = (double)num(optarg, 1, 3600); break;
		case 'T': o.conn_timeout = (double)num(optarg, 1, 3600); break;
		default: usage();
		}
	}
	if (o.mode == M_SPAWN ? optind >= argc : (o.port == 0 || optind != argc))
		usage();
	o.addr.sin_family = AF_INET;
	o.addr.sin_port = htons((uint16_t)o.port);
	if (inet_pton(AF_INET, o.host, &o.addr.sin_addr) != 1)
		die("-H takes an IPv4 address");
	rng ^= (uint64_t)getpid() << 32 ^ now_us();

	/* OpenSSL's first digest loads its provider: not on the first connection's clock. */
	char warm[29];
	expected_accept("dGhlIHNhbXBsZSBub25jZQ==", warm);

	pattern = xmalloc((size_t)o.s + 32);
	for (long i = 0; i < o.s + 32; i++)
		pattern[i] = (uint8_t)('a' + i % 26);

	if (o.mode == M_SPAWN)
		return spawn_mode(argv + optind);

	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	long total = o.mode == M_THROUGHPUT ? o.k : o.n;
	nslots = o.mode == M_CONNECT ? (o.c < o.n ? o.c : o.n) : total;
	conns = calloc((size_t)nslots, sizeof(*conns));
	if (conns == NULL)
		die("out of memory");
	for (long i = 0; i < nslots; i++) {
		conns[i].fd = -1;
		conns[i].st = S_FREE;
	}
	if (o.mode == M_CONNECT) {
		lat101 = xmalloc(sizeof(uint32_t) * (size_t)o.n);
		latcycle = xmalloc(sizeof(uint32_t) * (size_t)o.n);
	}
	if (o.mode == M_IDLE && o.w < 1)
		o.w = 1;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1 failed");

	uint64_t t_start = now_us();
	uint64_t t_end_limit = t_start + (uint64_t)(o.timeout * 1e6);
	uint64_t t_run = 0, t_run_end = 0, last_progress = t_start;
	uint64_t last_bytes = 0, t_ready = 0;
	bool stalled = false, timed_out = false, ready_printed = false;
	long next_id = 0;
	struct epoll_event evs[256];

	for (;;) {
		/* Start connections while slots are free. */
		if (o.mode == M_CONNECT) {
			for (long i = 0; i < nslots && next_id < total && !stop_flag; i++)
				if (conns[i].st == S_FREE)
					start_conn(&conns[i], next_id++);
		} else {
			/* Each slot once, a bounded batch per pass (the listen backlog). */
			for (int b = 0; b < 64 && next_id < total && !stop_flag; b++, next_id++)
				start_conn(&conns[next_id], next_id);
		}
		uint64_t now = now_us();
		if (o.mode == M_THROUGHPUT && t_run == 0 && established + failures >= o.k) {
			/* Everyone connected: start pipelining together. */
			t_run = now;
			last_progress = now;
			for (long i = 0; i < nslots; i++)
				if (conns[i].st == S_BARRIER) {
					conns[i].st = S_RUN;
					pump(&conns[i]);
				}
		}
		if (o.mode == M_THROUGHPUT && t_run && t_run_end == 0 && completed + failures >= o.k)
			t_run_end = now_us();
		if (o.mode == M_IDLE && !ready_printed && !idle_closing && next_id >= total &&
		    completed + failures >= o.n) {
			printf("ready n=%ld failures=%ld\n", completed, failures);
			fflush(stdout);
			ready_printed = true;
			t_ready = now;
		}
		long live = 0;
		for (long i = 0; i < nslots; i++)
			if (conns[i].st != S_FREE)
				live++;
		if (live == 0 && (next_id >= total || stop_flag))
			break;
		if (o.mode == M_IDLE && ready_printed) {
			bool end = stop_flag || (o.hold > 0 && now - t_ready > (uint64_t)(o.hold * 1e6));
			struct pollfd pi = { .fd = 0, .events = POLLIN };
			char sink[64];
			if (poll(&pi, 1, 0) == 1 && read(0, sink, sizeof(sink)) <= 0)
				end = true;
			if (end) {
				for (long i = 0; i < nslots; i++)
					if (conns[i].st == S_HELD)
						send_close(&conns[i]), flush_out(&conns[i]);
				ready_printed = false;
				idle_closing = true;
			}
		}
		if (now > t_end_limit || stop_flag) {
			timed_out = now > t_end_limit;
			for (long i = 0; i < nslots; i++)
				if (conns[i].st != S_FREE)
					fail(&conns[i], timed_out ? "total timeout" : "interrupted");
			next_id = total;
			continue;
		}
		if (bytes_in != last_bytes) {
			last_bytes = bytes_in;
			last_progress = now;
		} else if (o.mode == M_THROUGHPUT && t_run && t_run_end == 0 &&
			   now - last_progress > (uint64_t)(o.stall * 1e6)) {
			stalled = true;
			for (long i = 0; i < nslots; i++)
				if (conns[i].st != S_FREE)
					fail(&conns[i], "stalled: nothing received");
			continue;
		}
		/* Per-connection deadline outside the data phase (connect and handshake; in
		 * connect mode the whole cycle). */
		for (long i = 0; i < nslots; i++) {
			struct conn *c = &conns[i];
			if (c->st == S_FREE || c->st == S_HELD || (c->st == S_RUN && o.mode != M_CONNECT) ||
			    c->st == S_BARRIER)
				continue;
			if (now > c->deadline)
				fail(c, "connection timeout");
		}
		int n = epoll_wait(ep, evs, 256, 100);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait failed");
		}
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (c->st == S_FREE)
				continue;
			if (c->st == S_CONNECTING) {
				if (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
					on_connected(c);
				continue;
			}
			if (evs[i].events & EPOLLOUT)
				flush_out(c);
			if (c->st != S_FREE && evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				on_readable(c);
		}
	}

	double wall = (double)(now_us() - t_start) / 1e6;
	if (o.mode == M_CONNECT && lat101) {
		qsort(lat101, (size_t)nlat, sizeof(uint32_t), cmp_u32);
		qsort(latcycle, (size_t)nlat, sizeof(uint32_t), cmp_u32);
		printf("mode=connect n=%ld c=%ld ok=%ld failures=%ld seconds=%.3f conn_per_s=%.1f "
		       "t101_p50_ms=%.3f t101_p99_ms=%.3f t101_max_ms=%.3f "
		       "cycle_p50_ms=%.3f cycle_p99_ms=%.3f cycle_max_ms=%.3f",
		       o.n, o.c, done_ok, failures, wall, (double)done_ok / wall,
		       pct(lat101, nlat, .5), pct(lat101, nlat, .99), pct(lat101, nlat, 1),
		       pct(latcycle, nlat, .5), pct(latcycle, nlat, .99), pct(latcycle, nlat, 1));
	} else if (o.mode == M_THROUGHPUT) {
		if (t_run_end == 0)
			t_run_end = now_us();
		double secs = t_run ? (double)(t_run_end - t_run) / 1e6 : 0;
		long msgs = 0;
		for (long i = 0; i < nslots; i++)
			msgs += conns[i].echoed;
		printf("mode=throughput k=%ld m=%ld s=%ld w=%ld ok=%ld failures=%ld stalled=%d "
		       "messages=%ld seconds=%.3f msg_per_s=%.1f mb_per_s=%.2f",
		       o.k, o.m, o.s, o.w, done_ok, failures, stalled ? 1 : 0, msgs, secs,
		       secs > 0 ? (double)msgs / secs : 0,
		       secs > 0 ? (double)msgs * (double)o.s / secs / 1e6 : 0);
	} else {
		printf("mode=idle n=%ld held=%ld closed_ok=%ld failures=%ld", o.n, completed, done_ok,
		       failures);
	}
	if (first_error)
		printf(" first_error=\"%s\"", first_error);
	printf("\n");
	return (failures || stalled || timed_out) ? 1 : 0;
}
