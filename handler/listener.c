#include "listener.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addr.h"
#include "child.h"
#include "err.h"
#include "conn.h"
#include "handshake.h"
#include "log.h"
#include "ossl.h"

#define LISTEN_MAX 16
/* On shutdown, handlers get SIGTERM (they close with 1001) and this long to finish. */
#define SHUTDOWN_GRACE_MS 3000
/* Spare handlers kept forked ahead of time, each waiting in accept: a new connection is
 * taken by a process that already exists, and the fork (with the copy-on-write faults
 * that follow it, 0.15-0.3 ms on a VM) of its replacement happens off the connection's
 * path. Two, so that a second connection arriving while the first one's replacement is
 * being forked finds a process too. Never more than --maxforks minus the busy handlers:
 * a spare takes at most one connection, so busy + spares <= --maxforks keeps the limit
 * exact with no message but the spare's "taken". */
#define LISTEN_SPARES 2
/* A spare that ends without taking a connection (killed, or an environment where it
 * cannot live) is replaced at most once per this long: no fork loop. */
#define SPARE_RESPAWN_MS 100
/* With --handler-reuse, a handler whose connection ended goes back to waiting in accept
 * while fewer than this many processes wait there; otherwise it ends. */
#define LISTEN_IDLE_MAX 16

struct handler {
	pid_t pid;
	bool spare;  /* waiting in accept; not a connection, not counted by --maxforks */
};

struct handlers {
	struct handler *v;
	size_t n, cap;
	size_t nspare;       /* entries with .spare set */
	size_t died;         /* spares that ended without a connection, not yet replaced */
	int64_t respawn_at;  /* monotonic ms: no such replacement before this */
	bool fork_failing;   /* the last spare fork failed (logged once until one works) */
};

/* The listener's descriptors: a forked handler or spare closes those it does not use. */
struct listen_fds {
	int fds[LISTEN_MAX];
	size_t nfds;
	int sigfd;     /* the listener's signalfd */
	int taken[2];  /* pipe: a spare that holds a connection writes its pid to [1], a
	                * handler back in accept (--handler-reuse) minus its pid */
	pid_t pid;     /* the listener */
	struct listen_shared *sh;
};

/* One page shared by the listener and every process it forks (MAP_SHARED). */
struct listen_shared {
	atomic_int idle;       /* processes waiting in accept (spares and reused handlers) */
	atomic_bool stopping;  /* set before the listener's SIGTERMs: no handler rejoins */
};

/* Room for one more entry before forking, so that every child is tracked. */
static int handlers_reserve(struct handlers *h)
{
	if (h->n < h->cap)
		return 0;
	size_t ncap = h->cap ? h->cap * 2 : 64;
	struct handler *nv = realloc(h->v, ncap * sizeof(*nv));
	if (nv == NULL)
		return -1;
	h->v = nv;
	h->cap = ncap;
	return 0;
}

/* After handlers_reserve(). */
static void handlers_add(struct handlers *h, pid_t pid, bool spare)
{
	h->v[h->n++] = (struct handler){ .pid = pid, .spare = spare };
	if (spare)
		h->nspare++;
}

static size_t handlers_busy(const struct handlers *h)
{
	return h->n - h->nspare;
}

/* The entry of pid, or NULL. */
static struct handler *handlers_find(struct handlers *h, pid_t pid)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->v[i].pid == pid)
			return &h->v[i];
	return NULL;
}

/* Spares that took a connection wrote their pid to the pipe: they are busy handlers now.
 * Handlers back in accept after a connection (--handler-reuse) wrote minus their pid:
 * spares again. One process's messages arrive in the order it wrote them. One pid_t per
 * write is atomic (less than PIPE_BUF), so the pipe holds whole pids and a read of a
 * multiple of their size returns whole pids. */
static void handlers_drain_taken(struct handlers *h, int rfd)
{
	pid_t buf[64];
	ssize_t r;
	while ((r = read(rfd, buf, sizeof(buf))) > 0) {
		for (size_t k = 0; k < (size_t)r / sizeof(pid_t); k++) {
			bool back = buf[k] < 0;
			struct handler *e = handlers_find(h, back ? -buf[k] : buf[k]);
			if (e == NULL || e->spare == back)
				continue;
			e->spare = back;
			if (back)
				h->nspare++;
			else
				h->nspare--;
		}
		if ((size_t)r < sizeof(buf))
			break;
	}
}

static void handlers_reap(struct handlers *h, int taken_rfd, struct listen_shared *sh,
			  bool stopping)
{
	int status;
	pid_t p;
	while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
		struct handler *e = handlers_find(h, p);
		if (e == NULL)
			continue;
		/* A process writes to the pipe before it exits, so by now its last message (a
		 * spare's "taken", a reused handler's "back") is in the pipe. */
		handlers_drain_taken(h, taken_rfd);
		if (e->spare) {
			h->nspare--;
			atomic_fetch_sub(&sh->idle, 1); /* counted in while it waited in accept */
			if (!stopping) {
				if (h->died < LISTEN_SPARES)
					h->died++;
				log_info("spare handler %d ended before taking a connection (%s %d)",
					 (int)p, WIFSIGNALED(status) ? "signal" : "exit",
					 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
			}
		}
		*e = h->v[--h->n];
	}
}

/* Where to bind for one --address (or none: every address, IPv4 and IPv6): numeric
 * addresses here; host names only in wsinetd-openssl, which has the system's resolver
 * (ossl.h: wsinetd hands them over before it gets here). */
static size_t addresses_of(const char *addr, const char *port,
			   struct sockaddr_storage out[LISTEN_MAX], socklen_t outlen[LISTEN_MAX])
{
	uint16_t p = (uint16_t)strtoul(port, NULL, 10); /* 1-65535: config.c */
	size_t n = addr_numeric(addr, p, out, outlen);
#ifdef WSINETD_OPENSSL
	if (n == 0) {
		char tmp[256];
		const char *host = addr_host(addr, tmp, sizeof(tmp));
		struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
					  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
		struct addrinfo *ai;
		int e = getaddrinfo(host, port, &hints, &ai);
		if (e != 0) {
			/* Not an address we can have: a usage error (exit 2), unlike a failed bind. */
			config_usage_error("--address=%s: %s", addr, gai_strerror(e));
			return 0;
		}
		for (struct addrinfo *a = ai; a && n < LISTEN_MAX; a = a->ai_next) {
			if (a->ai_addrlen > sizeof(out[n]))
				continue;
			memset(&out[n], 0, sizeof(out[n]));
			memcpy(&out[n], a->ai_addr, a->ai_addrlen);
			outlen[n++] = a->ai_addrlen;
		}
		freeaddrinfo(ai);
		return n;
	}
#endif
	if (n == 0)
		config_usage_error("--address=%s: not a numeric address, and this wsinetd "
				   "resolves no host names (%s does)", addr, OSSL_EXE);
	return n;
}

static int bind_one(const char *addr, const char *port, int *fds, size_t *nfds)
{
	struct sockaddr_storage ss[LISTEN_MAX];
	socklen_t sl[LISTEN_MAX];
	size_t n = addresses_of(addr, port, ss, sl);
	if (n == 0)
		return -2;
	int bound = 0;
	for (size_t i = 0; i < n && *nfds < LISTEN_MAX; i++) {
		int family = ss[i].ss_family;
		int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			/* Every address by default: a host without IPv6 serves IPv4 quietly. */
			if (!(addr_every(addr) && errno == EAFNOSUPPORT))
				log_error("listen on %s port %s: %s", addr ? addr : "*", port,
					  strerror(errno));
			continue;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fd, (const struct sockaddr *)&ss[i], sl[i]) != 0 ||
		    listen(fd, SOMAXCONN) != 0) {
			log_error("listen on %s port %s: %s", addr ? addr : "*", port, strerror(errno));
			close(fd);
			continue;
		}
		fds[(*nfds)++] = fd;
		bound++;
	}
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

/* A handler between connections of --handler-reuse keeps the listening sockets while it
 * serves one; this SIGUSR1 handler, its death signal meanwhile, closes them when the
 * listener dies (close() is async-signal-safe), and the handler then ends after the
 * connection. */
static const struct listen_fds *gone_fds;
static volatile sig_atomic_t gone;

static void listener_gone(int sig)
{
	(void)sig;
	if (gone)
		return;
	gone = 1;
	for (size_t i = 0; i < gone_fds->nfds; i++)
		close(gone_fds->fds[i]);
}

/* After a connection, with --handler-reuse: go back to waiting in accept, or not. Only a
 * process left as it started: no child of any kind (a program's descendant that left its
 * process group re-parents to us, the subreaper), a listener not stopping and, counted
 * in the shared page, fewer than LISTEN_IDLE_MAX processes already waiting. The
 * connection's buffers were freed, the ones that held request data wiped (session_free). */
static bool spare_rejoin(const struct listen_fds *l)
{
	if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD)
		return false;
	if (atomic_load(&l->sh->stopping))
		return false;
	if (atomic_fetch_add(&l->sh->idle, 1) >= LISTEN_IDLE_MAX) {
		atomic_fetch_sub(&l->sh->idle, 1);
		return false;
	}
	pid_t back = -getpid();
	if (write(l->taken[1], &back, sizeof(back)) != (ssize_t)sizeof(back)) {
		atomic_fetch_sub(&l->sh->idle, 1); /* the listener is gone */
		return false;
	}
	return true;
}

/* The spare's life: wait for a connection on the listening sockets (or for a signal:
 * leave), then become what the accept+fork path makes, a process running
 * handle_connection() with the listener's signal state (the handler's signals blocked,
 * SIGPIPE ignored, no death signal). For its last connection (the only one unless
 * --handler-reuse) it first closes every listener descriptor; before the others it keeps
 * them (all close-on-exec: neither the program nor a hand-off inherits them), and
 * afterwards spare_rejoin() decides whether it waits again. Never returns. */
static _Noreturn void spare_run(const struct config *cfg, const struct listen_fds *l)
{
	close(l->sigfd);
	close(l->taken[0]);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	if (cfg->handler_reuse > 1) {
		gone_fds = l;
		child_signal_set(SIGUSR1, listener_gone);
	}
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		log_error("spare handler: signalfd: %s", strerror(errno));
		_exit(EXIT_SYSTEM);
	}
	/* EPOLLEXCLUSIVE on the listening sockets: a new connection wakes one of the
	 * processes waiting in accept, not all of them (two spares, and up to
	 * LISTEN_IDLE_MAX with --handler-reuse). Waking for nothing cost every one of them a
	 * context switch and a failed accept per connection. Set up once: a handler that
	 * comes back (--handler-reuse) waits on the same. */
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 0 };
	bool ok = ep >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) == 0;
	for (size_t i = 0; ok && i < l->nfds; i++) {
		ev = (struct epoll_event){ .events = EPOLLIN | EPOLLEXCLUSIVE,
					   .data.u32 = (uint32_t)i + 1 };
		ok = epoll_ctl(ep, EPOLL_CTL_ADD, l->fds[i], &ev) == 0;
		if (!ok && errno == EINVAL) { /* a kernel before 4.5: every waiter wakes */
			ev.events = EPOLLIN;
			ok = epoll_ctl(ep, EPOLL_CTL_ADD, l->fds[i], &ev) == 0;
		}
	}
	if (!ok) {
		log_error("spare handler: epoll: %s", strerror(errno));
		_exit(EXIT_SYSTEM);
	}
	for (unsigned served = 0;;) {
		/* A spare ends with its listener, even one killed by SIGKILL; the getppid()
		 * check covers a listener gone before the prctl. SIGTERM is blocked (inherited
		 * mask): it arrives on the signalfd. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) != 0 || getppid() != l->pid)
			_exit(0);
		int cfd = -1;
		while (cfd < 0) {
			struct epoll_event evs[LISTEN_MAX + 1];
			int n = epoll_wait(ep, evs, LISTEN_MAX + 1, -1);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				log_error("spare handler: epoll_wait: %s", strerror(errno));
				_exit(EXIT_SYSTEM);
			}
			/* A connection first: this process was the one woken for it. */
			for (int k = 0; cfd < 0 && k < n; k++) {
				if (evs[k].data.u32 == 0)
					continue;
				/* Non-blocking: the listener (at --maxforks) may have won it. */
				cfd = accept4(l->fds[evs[k].data.u32 - 1], NULL, NULL, SOCK_CLOEXEC);
				if (cfd < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
				    errno != EINTR && errno != ECONNABORTED) {
					/* Out of descriptors or memory, most likely: end, and let
					 * the listener's SPARE_RESPAWN_MS pace the retries. */
					log_error("spare handler: accept: %s", strerror(errno));
					_exit(EXIT_SYSTEM);
				}
			}
			for (int k = 0; cfd < 0 && k < n; k++)
				if (evs[k].data.u32 == 0)
					_exit(0);
		}
		/* A handler outlives a listener killed under it, as one forked after the accept
		 * does. A signal that came after the accept stays pending for
		 * handle_connection's own signalfd: a SIGTERM then closes the connection with
		 * 1001 like any handler's. (--handoff makes handler_reuse 1: config.c.) */
		bool last = ++served >= cfg->handler_reuse;
		if (last) {
			prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
		} else {
			/* It keeps the listening sockets; if the listener dies during the
			 * connection, SIGUSR1 closes them (listener_gone), so the port is not
			 * held by a process that will never accept on it again. */
			prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
			if (getppid() != l->pid)
				listener_gone(SIGUSR1);
		}
		atomic_fetch_sub(&l->sh->idle, 1);
		pid_t me = getpid();
		ssize_t w = write(l->taken[1], &me, sizeof(me));
		(void)w; /* fails only when the listener is gone: nobody left to count */
		if (last) {
			gone = 1; /* a stray SIGUSR1 must not close what reuses these numbers */
			for (size_t i = 0; i < l->nfds; i++)
				close(l->fds[i]);
			close(l->taken[1]);
			close(ep);
			close(sfd);
			_exit(handle_connection(cfg, cfd, cfd, true));
		}
		int rc = handle_connection(cfg, cfd, cfd, false);
		close(cfd);
		/* Exit status 5, a system failure (descriptors, memory, an exec): end rather
		 * than serve the next connection in the same state. */
		if (rc == EXIT_SYSTEM || gone || !spare_rejoin(l))
			_exit(rc);
	}
}

/* LISTEN_SPARES, but no more than the connections --maxforks still allows. */
static size_t spares_wanted(const struct config *cfg, const struct handlers *h)
{
	size_t busy = handlers_busy(h);
	if (cfg->maxforks == 0)
		return LISTEN_SPARES;
	if (busy >= cfg->maxforks)
		return 0;
	size_t room = cfg->maxforks - busy;
	return room < LISTEN_SPARES ? room : LISTEN_SPARES;
}

/* Fork spares up to spares_wanted(). The replacement of a spare that ended without a
 * connection waits for h->respawn_at (the caller's poll timeout wakes it). */
static void spares_top_up(const struct config *cfg, struct handlers *h,
			  const struct listen_fds *l)
{
	size_t want = spares_wanted(cfg, h);
	while (h->nspare < want) {
		int64_t now = now_ms();
		if (h->died > 0 && now < h->respawn_at)
			return;
		pid_t pid = -1;
		/* Counted in before the fork: the spare counts itself out when it accepts. */
		atomic_fetch_add(&l->sh->idle, 1);
		if (handlers_reserve(h) == 0)
			pid = fork();
		else
			errno = ENOMEM;
		if (pid < 0) {
			atomic_fetch_sub(&l->sh->idle, 1);
			/* Until one works, the listener accepts and forks per connection itself
			 * (listener_run), and retries a spare at the pace of a replacement. */
			if (!h->fork_failing)
				log_error("fork (spare handler): %s", strerror(errno));
			h->fork_failing = true;
			if (h->died == 0)
				h->died = 1;
			h->respawn_at = now + SPARE_RESPAWN_MS;
			return;
		}
		if (pid == 0)
			spare_run(cfg, l);
		if (h->died > 0) {
			h->died--;
			h->respawn_at = now + SPARE_RESPAWN_MS;
		}
		h->fork_failing = false;
		handlers_add(h, pid, true);
		log_debug("spare handler %d forked (%zu busy, %zu spare)", (int)pid,
			  handlers_busy(h), h->nspare);
	}
	h->died = 0;
}

int listener_run(const struct config *cfg, const int *inherited, size_t ninherited)
{
	struct listen_fds l = { .nfds = 0, .sigfd = -1, .taken = { -1, -1 } };
	int *fds = l.fds;
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
	l.nfds = nfds;
	int sigfd = l.sigfd = child_signals_setup();
	if (sigfd < 0) {
		log_error("signal setup: %s", strerror(errno));
		return 5;
	}
	/* Blocking write end (a spare's pid always gets through), non-blocking read end. */
	if (pipe2(l.taken, O_CLOEXEC) != 0 ||
	    fcntl(l.taken[0], F_SETFL, fcntl(l.taken[0], F_GETFL) | O_NONBLOCK) != 0) {
		log_error("pipe: %s", strerror(errno));
		return 5;
	}
	l.pid = getpid();
	l.sh = mmap(NULL, sizeof(*l.sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (l.sh == MAP_FAILED) {
		log_error("mmap: %s", strerror(errno));
		return 5;
	}
	atomic_init(&l.sh->idle, 0);
	atomic_init(&l.sh->stopping, false);
	log_info("listening (%zu sockets) for %s, maxforks %u", nfds, cfg->program, cfg->maxforks);

	struct handlers h = { 0 };
	bool stopping = false;
	int64_t stop_deadline = 0;
	for (;;) {
		if (stopping && h.n == 0)
			break;
		if (!stopping)
			spares_top_up(cfg, &h, &l);
		struct pollfd pfd[LISTEN_MAX + 2];
		pfd[0] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = l.taken[0], .events = POLLIN };
		size_t np = 2;
		/* The spares accept. The listener does only when it has none: at --maxforks (it
		 * answers 429), or when forking spares fails (it accepts and forks itself). */
		if (!stopping && h.nspare == 0)
			for (size_t i = 0; i < nfds; i++)
				pfd[np++] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		int timeout = -1;
		if (stopping) {
			int64_t left = stop_deadline - now_ms();
			if (left <= 0) {
				for (size_t i = 0; i < h.n; i++)
					kill(h.v[i].pid, SIGKILL);
				stop_deadline = now_ms() + 1000 * 60;
				left = 100;
			}
			timeout = (int)(left > 1000 ? 1000 : left);
		} else if (h.died > 0 && h.nspare < spares_wanted(cfg, &h)) {
			int64_t left = h.respawn_at - now_ms();
			timeout = (int)(left < 0 ? 0 : left > SPARE_RESPAWN_MS ? SPARE_RESPAWN_MS : left);
		}
		int r = poll(pfd, (nfds_t)np, timeout);
		if (r < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return 5;
		}
		if (r > 0 && pfd[1].revents)
			handlers_drain_taken(&h, l.taken[0]);
		if (r > 0 && pfd[0].revents) {
			struct signalfd_siginfo si;
			while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGCHLD || stopping)
					continue;
				log_info("signal %u: stopping; %zu handlers told to close, %zu spares",
					 si.ssi_signo, handlers_busy(&h), h.nspare);
				stopping = true;
				atomic_store(&l.sh->stopping, true); /* before the SIGTERMs */
				stop_deadline = now_ms() + SHUTDOWN_GRACE_MS;
				for (size_t i = 0; i < nfds; i++)
					close(fds[i]);
				for (size_t i = 0; i < h.n; i++)
					kill(h.v[i].pid, SIGTERM);
			}
			handlers_reap(&h, l.taken[0], l.sh, stopping);
		}
		bool pending = false;
		for (size_t i = 2; !stopping && r > 0 && i < np; i++)
			pending = pending || (pfd[i].revents & POLLIN);
		if (!pending)
			continue;
		/* A handler that ended in this same wake-up freed a slot: a spare takes it. */
		spares_top_up(cfg, &h, &l);
		if (h.nspare > 0)
			continue;
		for (size_t i = 2; i < np; i++) {
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
				/* Every process counts, spares too: a handler back in accept
				 * (--handler-reuse) may take a connection at any moment, so a
				 * fork here while it waits could pass --maxforks. */
				if (cfg->maxforks && h.n >= cfg->maxforks) {
					handlers_reap(&h, l.taken[0], l.sh, false);
					if (h.n >= cfg->maxforks) {
						log_info("429: %zu handlers running (--maxforks=%u)",
							 h.n, cfg->maxforks);
						reject_busy(cfd, cfg->ssl);
						continue;
					}
				}
				if (handlers_reserve(&h) != 0) {
					log_error("out of memory tracking handlers");
					reject_busy(cfd, cfg->ssl);
					continue;
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
					close(l.taken[0]);
					close(l.taken[1]);
					_exit(handle_connection(cfg, cfd, cfd, true));
				}
				close(cfd);
				handlers_add(&h, pid, false);
			}
		}
	}
	close(l.taken[0]);
	close(l.taken[1]);
	munmap(l.sh, sizeof(*l.sh));
	free(h.v);
	return 0;
}
