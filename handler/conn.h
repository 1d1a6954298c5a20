/* conn.h - the connection's I/O edge: a small transport interface (plain fds here; TLS,
 * tls.h, plugs in behind the same calls), the peer's address, and reading the request
 * head under a deadline and a byte cap. */
#ifndef WSINETD_CONN_H
#define WSINETD_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <netinet/in.h>

#include "buf.h"
#include "http_req.h"

struct transport;

struct transport_ops {
	/* Like read(2)/write(2) on non-blocking fds: -1 with errno EAGAIN when not ready. */
	ssize_t (*read)(struct transport *t, void *p, size_t n);
	ssize_t (*write)(struct transport *t, const void *p, size_t n);
	/* No more bytes will be written (TCP FIN after what is queued). */
	void (*shutdown_write)(struct transport *t);
	/* Bytes already received and buffered inside the transport (TLS: decrypted
	 * plaintext): the next read returns them at once, and no poll will say so. NULL
	 * for plain fds. */
	bool (*pending)(struct transport *t);
};

struct transport {
	const struct transport_ops *ops;
	int rfd;          /* poll for POLLIN */
	int wfd;          /* poll for POLLOUT */
	bool wfd_is_socket;
	/* TLS (tls.c) can need the other direction to make progress: set when the last
	 * read returned EAGAIN waiting for wfd to take bytes (poll wfd for POLLOUT, not rfd
	 * for POLLIN), or the last write waiting for bytes on rfd. Always false for fds. */
	bool read_wants_pollout;
	bool write_wants_pollin;
};

/* Plain fds (rfd == wfd for a socket; 0 and 1 in inetd style). Sets O_NONBLOCK. */
void transport_fd_init(struct transport *t, int rfd, int wfd);

struct peer {
	char addr[INET6_ADDRSTRLEN];   /* "" when unknown */
	char port[8];
	char local_addr[INET6_ADDRSTRLEN];
	char local_port[8];
	int family;                    /* AF_INET/AF_INET6 of addr, 0 unknown */
	uint8_t raw[16];               /* addr bytes for --trust-proxy */
};

/* From the socket (getpeername/getsockname); for pipes, from the spawner's environment:
 * REMOTE_ADDR/REMOTE_PORT (systemd), TCPREMOTEIP/TCPREMOTEPORT/TCPLOCALIP/TCPLOCALPORT
 * (UCSPI). */
void conn_peer(int fd, struct peer *p);

/* sd_listen_fds(3)'s protocol, without linking libsystemd (every exec of wsinetd would
 * map and relocate it and six more libraries, about 0.7 ms here): when
 * LISTEN_PID is our pid, returns LISTEN_FDS, the sockets being fds 3.. and now CLOEXEC;
 * 0 when nothing was passed to us; -1 (errno EINVAL) when the variables are malformed.
 * LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES are unset in every case, so the program
 * never inherits them. */
#define CONN_LISTEN_FDS_START 3
int conn_listen_fds(void);

/* True if fd is a SOCK_STREAM socket that is listening (listening = true) or connected
 * (listening = false), as sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, listening) tells. */
bool conn_is_stream_socket(int fd, bool listening);

/* UNIQUE_ID for the program: 24 random hex digits and a NUL. */
void conn_unique_id(char out[25]);

/* Monotonic milliseconds. */
int64_t now_ms(void);

enum read_req_result {
	RR_OK = 0,
	RR_TIMEOUT = 1,     /* 408 */
	RR_TOO_LARGE = 2,   /* 431: bytes */
	RR_TOO_MANY = 3,    /* 431: header lines */
	RR_MALFORMED = 4,   /* 400 */
	RR_EOF = 5,         /* the peer went away before a full head */
	RR_ERROR = 6,       /* read error, errno kept */
};

/* Read until `req` parses completely, the head passes max_bytes, or the deadline.
 * `in` receives the bytes; on RR_OK *head_len is the head's length and anything after
 * it in `in` is the start of the WebSocket stream (kept for the relay).
 * With `exact`, nothing past the head is consumed from the fd (MSG_PEEK on a socket,
 * one byte at a time otherwise), so early frames stay in the kernel for a program that
 * takes over the connection (--handoff). */
enum read_req_result conn_read_request(struct transport *t, struct buf *in, size_t max_bytes,
				       size_t max_headers, int64_t deadline_ms, bool exact,
				       struct http_req *req, size_t *head_len);

/* Write all of p[0..n) before the deadline; 0, or -1 (errno ETIMEDOUT on timeout). */
int conn_write_all(struct transport *t, const void *p, size_t n, int64_t deadline_ms);

#endif
