#include "listener.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "conn.h"
#include "handshake.h"
#include "log.h"

#define LISTEN_MAX 16
/* On shutdown, handlers get SIGTERM (they close with 1001) and this long to finish. */
#define SHUTDOWN_GRACE_MS 3000

struct handlers {
	pid_t *pids;
	size_t n, cap;
};

static int handlers_add(struct handlers *h, pid_t pid)
{
	if (h->n == h->cap) {
		size_t ncap = h->cap ? h->cap * 2 : 64;
		pid_t *np = realloc(h->pids, ncap * sizeof(pid_t));
		if (np == NULL)
			return -1;
		h->pids = np;
		h->cap = ncap;
	}
	h->pids[h->n++] = pid;
	return 0;
}

static void handlers_reap(struct handlers *h)
{
	int status;
	pid_t p;
	while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t i = 0; i < h->n; i++) {
			if (h->pids[i] == p) {
				h->pids[i] = h->pids[--h->n];
				break;
			}
		}
	}
}

/* "[::1]" → "::1"; "" or "*" → NULL (all addresses). */
static const char *strip_brackets(const char *a, char *buf, size_t len)
{
	if (a == NULL || *a == '\0' || strcmp(a, "*") == 0)
		return NULL;
	size_t n = strlen(a);
	if (a[0] == '[' && n >= 2 && a[n - 1] == ']' && n - 2 < len) {
		memcpy(buf, a + 1, n - 2);
		buf[n - 2] = '\0';
		return buf;
	}
	return a;
}

static int bind_one(const char *addr, const char *port, int *fds, size_t *nfds)
{
	char tmp[256];
	const char *host = strip_brackets(addr, tmp, sizeof(tmp));
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai;
	int e = getaddrinfo(host, port, &hints, &ai);
	if (e != 0) {
		/* Not an address we can have: a usage error (exit 2), unlike a failed bind. */
		config_usage_error("--address=%s: %s", addr ? addr : "*", gai_strerror(e));
		return -2;
	}
	int bound = 0;
	for (struct addrinfo *p = ai; p && *nfds < LISTEN_MAX; p = p->ai_next) {
		int fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (p->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fd, p->ai_addr, p->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
			log_error("listen on %s port %s: %s", addr ? addr : "*", port, strerror(errno));
			close(fd);
			continue;
		}
		fds[(*nfds)++] = fd;
		bound++;
	}
	freeaddrinfo(ai);
	return bound > 0 ? 0 : -1;
}

/* Past --maxforks: answer 429 without forking, without blocking the accept loop. With
 * --ssl no answer is possible without a TLS handshake, which is the very work being
 * refused: the connection is just closed. */
static void reject_busy(int fd, bool tls)
{
	if (tls) {
		close(fd);
		return;
	}
	char out[512];
	int n = ws_render_error(out, sizeof(out), 429, "too many connections, try again later",
				NULL, 0);
	/* Swallow what the client already sent, so closing does not turn into an RST that
	 * could destroy the answer before the client reads it. */
	char sink[4096];
	while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
	if (n > 0) {
		ssize_t w = send(fd, out, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
		(void)w;
	}
	shutdown(fd, SHUT_WR);
	close(fd);
}

int listener_run(const struct config *cfg, const int *inherited, size_t ninherited)
{
	int fds[LISTEN_MAX];
	size_t nfds = 0;
	if (inherited) {
		for (size_t i = 0; i < ninherited && nfds < LISTEN_MAX; i++) {
			fcntl(inherited[i], F_SETFD, FD_CLOEXEC);
			fcntl(inherited[i], F_SETFL, fcntl(inherited[i], F_GETFL) | O_NONBLOCK);
			fds[nfds++] = inherited[i];
		}
	} else if (cfg->naddresses == 0) {
		/* websocketd's default: every address, IPv4 and IPv6. */
		int b = bind_one(NULL, cfg->port, fds, &nfds);
		if (b != 0)
			return b == -2 ? 2 : 5;
	} else {
		for (size_t i = 0; i < cfg->naddresses; i++) {
			int b = bind_one(cfg->addresses[i], cfg->port, fds, &nfds);
			if (b != 0)
				return b == -2 ? 2 : 5;
		}
	}
	int sigfd = child_signals_setup();
	if (sigfd < 0) {
		log_error("signal setup: %s", strerror(errno));
		return 5;
	}
	log_info("listening (%zu sockets) for %s, maxforks %u", nfds, cfg->program, cfg->maxforks);

	struct handlers h = { 0 };
	bool stopping = false;
	int64_t stop_deadline = 0;
	for (;;) {
		if (stopping && h.n == 0)
			break;
		struct pollfd pfd[LISTEN_MAX + 1];
		pfd[0] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		size_t np = 1;
		if (!stopping)
			for (size_t i = 0; i < nfds; i++)
				pfd[np++] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		int timeout = -1;
		if (stopping) {
			int64_t left = stop_deadline - now_ms();
			if (left <= 0) {
				for (size_t i = 0; i < h.n; i++)
					kill(h.pids[i], SIGKILL);
				stop_deadline = now_ms() + 1000 * 60;
				left = 100;
			}
			timeout = (int)(left > 1000 ? 1000 : left);
		}
		int r = poll(pfd, (nfds_t)np, timeout);
		if (r < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return 5;
		}
		if (r > 0 && pfd[0].revents) {
			struct signalfd_siginfo si;
			while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGCHLD || stopping)
					continue;
				log_info("signal %u: stopping; %zu handlers told to close", si.ssi_signo, h.n);
				stopping = true;
				stop_deadline = now_ms() + SHUTDOWN_GRACE_MS;
				for (size_t i = 0; i < nfds; i++)
					close(fds[i]);
				for (size_t i = 0; i < h.n; i++)
					kill(h.pids[i], SIGTERM);
			}
			handlers_reap(&h);
		}
		for (size_t i = 1; !stopping && i < np; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			/* Accept a bounded batch per wake-up so signals are not starved. */
			for (int k = 0; k < 64; k++) {
				int cfd = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC);
				if (cfd < 0) {
					if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
					    errno != ECONNABORTED)
						log_error("accept: %s", strerror(errno));
					break;
				}
				if (cfg->maxforks && h.n >= cfg->maxforks) {
					handlers_reap(&h);
					if (h.n >= cfg->maxforks) {
						log_info("429: %zu handlers running (--maxforks=%u)", h.n,
							 cfg->maxforks);
						reject_busy(cfd, cfg->ssl);
						continue;
					}
				}
				pid_t pid = fork();
				if (pid < 0) {
					log_error("fork: %s", strerror(errno));
					reject_busy(cfd, cfg->ssl);
					continue;
				}
				if (pid == 0) {
					for (size_t j = 0; j < nfds; j++)
						close(fds[j]);
					close(sigfd);
					_exit(handle_connection(cfg, cfd, cfd));
				}
				close(cfd);
				if (handlers_add(&h, pid) != 0)
					log_error("out of memory tracking handler %d", (int)pid);
			}
		}
	}
	free(h.pids);
	return 0;
}
