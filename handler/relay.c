/* relay.c - see relay.h. One single-threaded poll loop; every fd non-blocking.
 *
 * Queues (all struct buf with a hard maximum):
 *   in        socket bytes not yet decoded (at most a partial frame header between reads)
 *   to_prog   bytes for the program's stdin; its last `pending` bytes are the message
 *             still being reassembled and are not written until the message is complete
 *             and valid (a message reaches the program whole or not at all)
 *   jmsg      JSON mode: the message being reassembled before it is encoded
 *   from_prog program output not yet framed (a partial line in lines/JSON mode)
 *   to_sock   encoded frames for the peer
 * The socket is read only while to_prog and to_sock are below WS_QUEUE_HIGH; the
 * program's stdout only while to_sock is. */
#include "relay.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "frame.h"
#include "jsonmode.h"
#include "log.h"
#include "deflate.h"
#include "msg.h"
#include "utf8.h"

/* After SIGKILL, how long we still wait for the group to vanish and stdout to close. */
#define LADDER_GIVE_UP_MS 2000

struct relay {
	const struct config *cfg;
	struct transport *t;
	struct child *ch;
	int sigfd;
	struct ws_msg parser;
	struct buf *in;
	struct buf to_prog, jmsg, from_prog, to_sock, jpayload;
	size_t pending;          /* tail of to_prog that is an incomplete message */
	bool sock_full, prog_full; /* the last write there stopped short: wait for POLLOUT */
	size_t line_scan;        /* from_prog bytes already known to hold no '\n' */
	unsigned long out_line;  /* program output line number (JSON mode diagnostics) */
	size_t line_max;         /* longest program line: --max-message, or in JSON mode
	                            the longest encoding of such a message */

	bool in_discard;         /* stop decoding peer input (after Close or a failure) */
	bool sock_rd_done;       /* EOF or error reading the socket */
	bool sock_wr_done;       /* write side shut down or broken */
	bool close_sent;
	bool close_recv;
	int64_t close_deadline;  /* stop waiting for the peer after this */

	bool prog_out_done;      /* program stdout reached EOF (or was abandoned) */
	bool prog_ending;        /* the program's end was noticed; Close due when known */
	bool stdin_eof_wanted;   /* close the program's stdin once to_prog drains */
	int64_t last_alive;      /* last sign of life from the peer */
	int64_t next_ping;

	struct relay_result *res;

	/* permessage-deflate (RFC 7692), when negotiated */
	struct ws_deflate *z;    /* NULL: not negotiated */
	struct buf zout;         /* a compressed message being framed */
	bool ztx_broken;         /* compressing failed once: send uncompressed from then on */
	uint32_t zutf8;          /* UTF-8 state of the compressed text message inflating */
};

static void set_end(struct relay *r, enum relay_end e)
{
	if (r->res->end == END_NONE)
		r->res->end = e;
}

/* --- output towards the peer ------------------------------------------------------ */

static int queue_frame_rsv(struct relay *r, uint8_t rsv, uint8_t opcode, const uint8_t *p,
			   size_t n)
{
	uint8_t hdr[WS_FRAME_HDR_MAX];
	size_t hl = ws_frame_encode(hdr, true, rsv, opcode, n, NULL);
	int err = 0;
	uint8_t *dst = buf_reserve(&r->to_sock, hl + n, &err);
	if (dst == NULL) {
		log_error("relay: cannot queue a %zu-byte frame: %s", n, ws_strerror(err));
		return err;
	}
	memcpy(dst, hdr, hl);
	if (n)
		memcpy(dst + hl, p, n);
	buf_commit(&r->to_sock, hl + n);
	return 0;
}

static int queue_frame(struct relay *r, uint8_t opcode, const uint8_t *p, size_t n)
{
	return queue_frame_rsv(r, 0, opcode, p, n);
}

/* permessage-deflate: a message at or above --deflate-min-size goes out compressed, in
 * one frame with RSV1 (RFC 7692 6, 7.2.1). Returns 0 when queued that way. */
static int queue_compressed(struct relay *r, uint8_t opcode, const uint8_t *p, size_t n)
{
	if (r->z == NULL || r->ztx_broken || n == 0 || n < r->cfg->deflate_min_size)
		return -1;
	buf_truncate(&r->zout, 0);
	if (wsd_compress(r->z, p, n, &r->zout) != 0) {
		/* The deflater may hold input the peer never saw: never use it again. */
		log_error("compressing a %zu-byte message: %s; sending uncompressed from now on",
			  n, r->z->why ? r->z->why : "failed");
		r->ztx_broken = true;
		return -1;
	}
	return queue_frame_rsv(r, WS_RSV1, opcode, buf_data(&r->zout), buf_used(&r->zout));
}

static void queue_message(struct relay *r, uint8_t opcode, const uint8_t *p, size_t n)
{
	/* Nothing may follow our Close (RFC 6455 5.5.1); nothing reaches a peer whose side
	 * is gone (and the access record counts only what went out). */
	if (r->close_sent || r->sock_wr_done)
		return;
	if (queue_compressed(r, opcode, p, n) == 0 || queue_frame(r, opcode, p, n) == 0) {
		r->res->msgs_out++;
		r->res->bytes_out += n;
	}
}

static void queue_close(struct relay *r, unsigned code, const char *reason)
{
	if (r->close_sent)
		return;
	if (r->sock_wr_done) {
		/* The peer is gone: no Close goes out, and none is recorded as sent. */
		r->close_sent = true;
		return;
	}
	uint8_t p[2 + WS_CLOSE_REASON_MAX] = { 0 };
	size_t n = 0;
	if (code != 0 && code != 1005) {
		p[0] = (uint8_t)(code >> 8);
		p[1] = (uint8_t)code;
		n = 2;
		size_t rl = reason ? strlen(reason) : 0;
		if (rl > WS_CLOSE_REASON_MAX)
			rl = WS_CLOSE_REASON_MAX;
		/* Never cut a UTF-8 sequence in half: back off to a boundary. */
		while (rl > 0 && !utf8_valid((const uint8_t *)reason, rl))
			rl--;
		if (rl > 0)
			memcpy(p + 2, reason, rl);
		n += rl;
	}
	queue_frame(r, WS_OP_CLOSE, p, n);
	r->close_sent = true;
	r->res->close_sent = code ? code : 1005;
	int64_t deadline = now_ms() + WS_CLOSE_WAIT_MS;
	if (r->close_deadline == 0 || deadline < r->close_deadline)
		r->close_deadline = deadline;
}

/* --- the program's end -------------------------------------------------------------- */

static void program_should_end(struct relay *r, int64_t now)
{
	r->stdin_eof_wanted = true;
	child_ladder_start(r->ch, now);
}

/* Close for a program that ended by itself: 1000 for exit 0, else 1011 "exit N". */
static void close_for_program(struct relay *r)
{
	char st[32];
	child_status_text(r->ch, st, sizeof(st));
	if (r->ch->exited && WIFEXITED(r->ch->status) && WEXITSTATUS(r->ch->status) == 0)
		queue_close(r, 1000, NULL);
	else
		queue_close(r, 1011, st);
}

/* --- peer input ------------------------------------------------------------------------- */

static void peer_done(struct relay *r, int64_t now)
{
	r->in_discard = true;
	program_should_end(r, now);
	if (r->close_deadline == 0)
		r->close_deadline = now + WS_CLOSE_WAIT_MS;
}

static void fail_peer(struct relay *r, unsigned code, const char *why, int64_t now)
{
	log_info("closing with %u: %s", code, why);
	set_end(r, END_PEER_PROTOCOL);
	queue_close(r, code, why);
	peer_done(r, now);
}

/* A compressed message's payload piece (or, with last, its end) inflated into dst: the
 * inflated size is capped at --max-message while inflating (1009), corrupt data and
 * text that is not UTF-8 after inflating fail with 1007 (RFC 7692 8, RFC 6455 8.1). */
static int inflate_into(struct relay *r, const struct ws_event *ev, struct buf *dst, bool last,
			int64_t now)
{
	size_t before = buf_used(dst);
	int err = last ? wsd_inflate_end(r->z, dst, r->cfg->max_message) :
			 wsd_inflate(r->z, ev->data, ev->len, dst, r->cfg->max_message);
	size_t got = buf_used(dst) - before;
	if (dst == &r->to_prog)
		r->pending += got;
	if (err == 0 && ev->opcode == WS_OP_TEXT) {
		if (utf8_feed(&r->zutf8, buf_data(dst) + before, got) < 0)
			err = WS_E_UTF8;
		else if (last && !utf8_complete(r->zutf8))
			err = WS_E_UTF8;
	}
	if (last)
		r->zutf8 = UTF8_ACCEPT;
	switch (err) {
	case 0:
		return 0;
	case WS_E_LIMIT:
		fail_peer(r, 1009, "message too big after inflating", now);
		return -1;
	case WS_E_MALFORMED:
		fail_peer(r, 1007, r->z->why ? r->z->why : "invalid compressed data", now);
		return -1;
	case WS_E_UTF8:
		fail_peer(r, 1007, "invalid UTF-8 in text message", now);
		return -1;
	default:
		fail_peer(r, 1011, r->z->why ? r->z->why : "cannot inflate", now);
		set_end(r, END_SYSTEM);
		return -1;
	}
}

static int deliver_data(struct relay *r, const struct ws_event *ev, int64_t now)
{
	if (r->cfg->mode == MODE_LINES && ev->opcode == WS_OP_BINARY) {
		fail_peer(r, 1003, "binary message in line mode (see --binary, --json)", now);
		return -1;
	}
	struct buf *dst = r->cfg->mode == MODE_JSON ? &r->jmsg : &r->to_prog;
	if (ev->compressed && r->z != NULL)
		return inflate_into(r, ev, dst, false, now);
	int err = buf_append(dst, ev->data, ev->len);
	if (err != 0) {
		/* msg.c bounds the message by max_message and the queues are sized for one
		 * more, so this is the NOMEM case. */
		fail_peer(r, 1011, "out of memory", now);
		set_end(r, END_SYSTEM);
		return -1;
	}
	if (dst == &r->to_prog)
		r->pending += ev->len;
	return 0;
}

static int message_end(struct relay *r, const struct ws_event *ev, int64_t now)
{
	size_t len;
	int err = 0;
	if (ev->compressed && r->z != NULL &&
	    inflate_into(r, ev, r->cfg->mode == MODE_JSON ? &r->jmsg : &r->to_prog, true, now) != 0)
		return -1;
	if (r->cfg->mode == MODE_JSON) {
		len = buf_used(&r->jmsg);
		err = jsonmode_encode(&r->to_prog, ev->opcode == WS_OP_BINARY, buf_data(&r->jmsg), len);
		buf_truncate(&r->jmsg, 0);
	} else {
		len = r->pending;
		if (r->cfg->mode == MODE_LINES)
			err = buf_append(&r->to_prog, "\n", 1);
		r->pending = 0;
	}
	if (err != 0) {
		fail_peer(r, 1011, "cannot queue message for the program", now);
		set_end(r, END_SYSTEM);
		return -1;
	}
	r->res->msgs_in++;
	r->res->bytes_in += len;
	return 0;
}

static void decode_input(struct relay *r, int64_t now)
{
	/* Call until WS_EV_NONE even with nothing left: a message's MSG_END comes in a
	 * call of its own after the DATA that carried its last bytes. */
	while (!r->in_discard) {
		/* Backpressure per message, not per read: one read can hold many compressed
		 * messages of up to --max-message each once inflated. At a message boundary
		 * with a full queue, the rest waits in r->in until the queue drains. */
		if (!r->parser.in_msg && !r->parser.in_frame &&
		    (buf_used(&r->to_prog) - r->pending >= WS_QUEUE_HIGH ||
		     buf_used(&r->to_sock) >= WS_QUEUE_HIGH))
			return;
		struct ws_event ev;
		long c = ws_msg_feed(&r->parser, buf_mdata(r->in), buf_used(r->in), &ev);
		if (c < 0) {
			fail_peer(r, r->parser.close_code ? r->parser.close_code : 1002,
				  r->parser.why ? r->parser.why : ws_strerror((int)c), now);
			break;
		}
		buf_consume(r->in, (size_t)c);
		switch (ev.type) {
		case WS_EV_NONE:
			return; /* all taken in, or what is left is a partial frame header */
		case WS_EV_DATA:
			if (deliver_data(r, &ev, now) != 0)
				return;
			break;
		case WS_EV_MSG_END:
			if (message_end(r, &ev, now) != 0)
				return;
			break;
		case WS_EV_PING:
			if (!r->close_sent)
				queue_frame(r, WS_OP_PONG, ev.data, ev.len);
			break;
		case WS_EV_PONG:
			break;
		case WS_EV_CLOSE:
			r->close_recv = true;
			r->res->close_recv = ev.close_code;
			set_end(r, END_CLIENT_CLOSE);
			/* Echo the code (RFC 6455 5.5.1); an empty Close gets an empty one. */
			queue_close(r, ev.close_code, NULL);
			peer_done(r, now);
			break;
		}
	}
	if (r->in_discard)
		buf_truncate(r->in, 0);
}

/* --- program output ---------------------------------------------------------------------- */

static void emit_line(struct relay *r, const uint8_t *p, size_t n)
{
	if (n > 0 && p[n - 1] == '\r')
		n--;
	r->out_line++;
	if (r->cfg->mode == MODE_JSON) {
		struct jsonmode_msg jm;
		buf_truncate(&r->jpayload, 0);
		int err = jsonmode_decode((const char *)p, n, &r->jpayload, &jm);
		if (err != 0) {
			log_error("program output line %lu skipped: %s", r->out_line,
				  err == WS_E_LIMIT ? "message larger than --max-message" :
				  jm.why ? jm.why : ws_strerror(err));
			return;
		}
		if (jm.kind == JM_CLOSE) {
			set_end(r, END_PROGRAM_CLOSE);
			queue_close(r, jm.code, jm.reason);
			program_should_end(r, now_ms());
			return;
		}
		queue_message(r, jm.kind == JM_BINARY ? WS_OP_BINARY : WS_OP_TEXT,
			      buf_data(&r->jpayload), buf_used(&r->jpayload));
		return;
	}
	if (utf8_valid(p, n)) {
		queue_message(r, WS_OP_TEXT, p, n);
	} else {
		/* A text frame must be UTF-8 (RFC 6455 8.1): send the bytes, as binary. */
		log_info("program output line %lu is not UTF-8: sent as a binary message",
			 r->out_line);
		queue_message(r, WS_OP_BINARY, p, n);
	}
}

static void line_too_long(struct relay *r, int64_t now)
{
	log_error("program output line %lu is longer than %zu bytes (--max-message)",
		  r->out_line + 1, r->line_max);
	set_end(r, END_OUTPUT_TOO_LONG);
	queue_close(r, 1011, "program output line too long");
	buf_truncate(&r->from_prog, 0);
	r->line_scan = 0;
	program_should_end(r, now);
}

static void frame_output(struct relay *r, bool eof, int64_t now)
{
	if (r->cfg->mode == MODE_BINARY) {
		if (buf_used(&r->from_prog) > 0)
			queue_message(r, WS_OP_BINARY, buf_data(&r->from_prog), buf_used(&r->from_prog));
		buf_truncate(&r->from_prog, 0);
		return;
	}
	const uint8_t *d = buf_data(&r->from_prog);
	size_t used = buf_used(&r->from_prog), start = 0;
	/* memchr, not a byte loop: it was 78% of the handler's instructions at 4 KiB lines. */
	for (size_t i = r->line_scan; i < used; i++) {
		const uint8_t *nl = memchr(d + i, '\n', used - i);
		if (nl == NULL)
			break;
		i = (size_t)(nl - d);
		if (i - start > r->line_max) {
			/* A whole line arrived in one read: the limit holds all the same. */
			line_too_long(r, now);
			return;
		}
		emit_line(r, d + start, i - start);
		start = i + 1;
	}
	buf_consume(&r->from_prog, start);
	r->line_scan = buf_used(&r->from_prog);
	if (eof && buf_used(&r->from_prog) > 0) {
		/* The last line without a newline is still a line (websocketd drops it). */
		emit_line(r, buf_data(&r->from_prog), buf_used(&r->from_prog));
		buf_truncate(&r->from_prog, 0);
		r->line_scan = 0;
	} else if (buf_used(&r->from_prog) > r->line_max) {
		line_too_long(r, now);
	}
}

static void read_program(struct relay *r, int64_t now)
{
	size_t want = WS_IO_CHUNK;
	if (r->cfg->mode == MODE_BINARY && want > r->cfg->max_message)
		want = (size_t)r->cfg->max_message;
	uint8_t *p = buf_reserve(&r->from_prog, want, NULL);
	if (p == NULL) {
		log_error("relay: out of memory for program output");
		set_end(r, END_SYSTEM);
		program_should_end(r, now);
		return;
	}
	ssize_t n = read(r->ch->out_fd, p, want);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (n < 0)
			log_error("reading program output: %s", strerror(errno));
		close(r->ch->out_fd);
		r->ch->out_fd = -1;
		r->prog_out_done = true;
		if (!r->close_sent)
			frame_output(r, true, now);
		/* stdout closed: the program is done talking, end it (its exit status is
		 * awaited before our Close goes out). */
		if (!r->prog_ending) {
			r->prog_ending = true;
			set_end(r, END_PROGRAM);
			program_should_end(r, now);
		}
		return;
	}
	if (r->close_sent) {
		buf_drop(&r->from_prog, (size_t)n); /* output after our Close: the session is over */
		return;
	}
	buf_commit(&r->from_prog, (size_t)n);
	frame_output(r, false, now);
}

/* --- the loop ------------------------------------------------------------------------ */

/* The socket's read side ended (EOF, reset, or hang-up seen while not reading). */
static void peer_gone(struct relay *r, int64_t now)
{
	r->sock_rd_done = true;
	if (!r->close_recv) {
		set_end(r, END_CLIENT_VANISHED);
		/* Nobody is left to read a Close; skip the wait for it. */
		if (!r->close_sent)
			r->sock_wr_done = true;
	}
	peer_done(r, now);
}

static void read_socket(struct relay *r, int64_t now)
{
	uint8_t *p = buf_reserve(r->in, WS_IO_CHUNK, NULL);
	if (p == NULL) {
		set_end(r, END_SYSTEM);
		r->sock_rd_done = true;
		peer_done(r, now);
		return;
	}
	ssize_t n = r->t->ops->read(r->t, p, WS_IO_CHUNK);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (n < 0 && errno != ECONNRESET)
			log_info("reading from the peer: %s", strerror(errno));
		peer_gone(r, now);
		return;
	}
	r->last_alive = now;
	if (r->in_discard) {
		buf_drop(r->in, (size_t)n);
		return;
	}
	buf_commit(r->in, (size_t)n);
	decode_input(r, now);
}

/* The peer hung up while its data waited behind a program that does not read: what is
 * still queued cannot be delivered in full, so say how much and end. */
static void peer_left_unread(struct relay *r, int64_t now)
{
	log_info("peer left while the program was not reading its input (%zu bytes queued)",
		 buf_used(&r->to_prog));
	peer_gone(r, now);
}

static void write_socket(struct relay *r, int64_t now)
{
	size_t want = buf_used(&r->to_sock);
	ssize_t n = r->t->ops->write(r->t, buf_data(&r->to_sock), want);
	r->sock_full = n < 0 || (size_t)n < want;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (errno != EPIPE && errno != ECONNRESET)
			log_info("writing to the peer: %s", strerror(errno));
		r->sock_wr_done = true;
		buf_truncate(&r->to_sock, 0);
		if (!r->close_recv)
			set_end(r, END_CLIENT_VANISHED);
		peer_done(r, now);
		return;
	}
	/* A write only reached our kernel buffer: it says nothing of the peer being alive,
	 * so last_alive is not touched here. */
	(void)now;
	buf_consume(&r->to_sock, (size_t)n);
}

static void write_program(struct relay *r)
{
	size_t ready = buf_used(&r->to_prog) - r->pending;
	ssize_t n = write(r->ch->in_fd, buf_data(&r->to_prog), ready);
	r->prog_full = n < 0 || (size_t)n < ready;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		/* EPIPE: the program closed its stdin. What it did not read is dropped, said
		 * once in the log. */
		log_info("program closed its stdin; %zu bytes of input dropped", ready);
		child_close_stdin(r->ch);
		buf_consume(&r->to_prog, ready);
		return;
	}
	buf_consume(&r->to_prog, (size_t)n);
}

static void handle_signals(struct relay *r, int64_t now)
{
	struct signalfd_siginfo si;
	while (read(r->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			continue; /* reaped below */
		log_info("signal %u: closing with 1001", si.ssi_signo);
		set_end(r, END_SHUTDOWN);
		queue_close(r, 1001, "server shutting down");
		peer_done(r, now);
	}
	child_reap(r->ch);
}

static int timeout_until(int64_t now, int64_t when, int cur)
{
	if (when <= 0)
		return cur;
	int64_t d = when - now;
	if (d < 0)
		d = 0;
	if (d > 60000)
		d = 60000;
	return (cur < 0 || d < cur) ? (int)d : cur;
}

void relay_run(const struct config *cfg, struct transport *t, struct child *ch, int sigfd,
	       struct buf *in, const struct pmd_params *pmd, bool wipe, struct relay_result *res)
{
	struct relay rr, *r = &rr;
	memset(r, 0, sizeof(*r));
	memset(res, 0, sizeof(*res));
	r->cfg = cfg;
	r->t = t;
	r->ch = ch;
	r->sigfd = sigfd;
	r->in = in;
	r->res = res;
	size_t maxmsg = (size_t)cfg->max_message;
	/* A handler that may serve another connection (--handler-reuse) keeps none of this
	 * one's messages: its buffers are wiped when they grow and when they are freed. */
	void (*init)(struct buf *, size_t) = wipe ? buf_init_secret : buf_init;
	/* Sizes: room for the high-water mark plus one whole message in its largest
	 * encoding (JSON escapes can take 6 bytes per byte). */
	init(&r->to_prog, WS_QUEUE_HIGH + 6 * maxmsg + 64);
	init(&r->jmsg, maxmsg);
	/* JSON: a message's line is at most 6 bytes per payload byte (\u00XX escapes) plus
	 * the object around it; its decoded payload is bounded by jpayload. */
	r->line_max = cfg->mode == MODE_JSON ? 6 * maxmsg + 64 : maxmsg;
	init(&r->from_prog, r->line_max + WS_IO_CHUNK + 1);
	/* One whole message on top of the high-water mark, plus the worst deflate expansion
	 * (stored blocks: 5 bytes per 64 KiB) and frame headers. */
	init(&r->to_sock, WS_QUEUE_HIGH + 3 * WS_IO_CHUNK + maxmsg + maxmsg / 64 + 8192);
	init(&r->jpayload, maxmsg);
	struct ws_deflate zs;
	if (pmd != NULL) {
		wsd_init(&zs, pmd, cfg->deflate_level);
		zs.wipe = wipe;
		r->z = &zs;
		r->zutf8 = UTF8_ACCEPT;
		res->deflate = true;
		/* A compressed message: at most the message plus stored-block overhead. */
		init(&r->zout, maxmsg + maxmsg / 64 + 4096);
	}
	struct ws_msg_cfg mc = { .max_message = cfg->max_message, .allow_rsv1 = pmd != NULL };
	ws_msg_init(&r->parser, &mc);

	int64_t now = now_ms();
	r->last_alive = now;
	int64_t ping_ms = (int64_t)cfg->ping_interval * 1000;
	r->next_ping = ping_ms ? now + ping_ms : 0;
	int64_t give_up = 0;

	/* Frames that arrived with the request. */
	decode_input(r, now);

	for (;;) {
		now = now_ms();
		/* SIGCHLD (via sigfd) triggers reaping; only while the leader is gone and
		 * its group lingers do we look on each pass. */
		if (ch->exited && !ch->group_gone)
			child_reap(ch);

		/* The program's status is known: the Close for its end can go out. */
		if (r->prog_ending && !r->close_sent && ch->exited && r->prog_out_done)
			close_for_program(r);
		/* The leader exited while something else holds its stdout: end the rest. */
		if (ch->exited && !r->prog_out_done)
			program_should_end(r, now);
		if (r->stdin_eof_wanted && ch->in_fd >= 0 && buf_used(&r->to_prog) == r->pending)
			child_close_stdin(ch);

		/* Keepalive. */
		if (ping_ms && !r->close_sent && !r->sock_rd_done) {
			if (now - r->last_alive > 2 * ping_ms) {
				log_info("peer silent for %lld s: dropping it",
					 (long long)((now - r->last_alive) / 1000));
				set_end(r, END_TIMEOUT);
				r->sock_rd_done = r->sock_wr_done = true;
				peer_done(r, now);
			} else if (now >= r->next_ping) {
				if (buf_used(&r->to_sock) < WS_QUEUE_HIGH)
					queue_frame(r, WS_OP_PING, (const uint8_t *)"wsinetd", 7);
				r->next_ping = now + ping_ms;
			}
		}

		/* Socket: once our Close is flushed, half-close; the peer's Close (or EOF, or
		 * the deadline) then ends the connection. */
		if (r->close_sent && !r->sock_wr_done && buf_used(&r->to_sock) == 0) {
			t->ops->shutdown_write(t);
			r->sock_wr_done = true;
		}
		if (r->close_deadline && now >= r->close_deadline) {
			r->sock_rd_done = r->sock_wr_done = true;
			buf_truncate(&r->to_sock, 0);
		}
		bool sock_done = r->sock_wr_done && (r->sock_rd_done || r->close_recv);

		int64_t ladder_next = child_ladder_tick(ch, now, cfg->closems);
		if (ch->ladder_step >= 3 && give_up == 0)
			give_up = now + LADDER_GIVE_UP_MS;
		if (give_up && now >= give_up) {
			if (!ch->group_gone)
				log_error("program group %d still alive after SIGKILL; leaving it",
					  (int)ch->pid);
			if (!r->prog_out_done) {
				close(ch->out_fd);
				ch->out_fd = -1;
				r->prog_out_done = true;
			}
			ch->group_gone = true;
			if (!ch->exited)
				ch->status = SIGKILL; /* as if killed: reported as "signal 9" */
			if (r->prog_ending && !r->close_sent) {
				ch->exited = true;
				close_for_program(r);
				continue;
			}
		}
		if (sock_done && ch->group_gone && r->prog_out_done)
			break;

		/* Build the poll set from what each side can take. */
		struct pollfd pfd[5];
		int np = 0, i_sigfd, i_rd = -1, i_wr = -1, i_pout = -1, i_pin = -1;
		pfd[np] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		i_sigfd = np++;
		bool room = buf_used(&r->to_prog) - r->pending < WS_QUEUE_HIGH &&
			    buf_used(&r->to_sock) < WS_QUEUE_HIGH;
		bool reading = !r->sock_rd_done && (r->in_discard || room);
		/* TLS (conn.h) can need the other direction: a read that waits for the socket
		 * to take bytes polls wfd for POLLOUT instead, a write that waits for bytes
		 * polls rfd for POLLIN; bytes it already decrypted wake no poll at all. */
		bool rd_out = reading && t->read_wants_pollout;
		bool wr_in = t->write_wants_pollin;
		bool buffered = reading && t->ops->pending && t->ops->pending(t);
		if (!r->sock_rd_done) {
			/* Held back by our own queues, the socket is still watched for the peer
			 * going away (POLLRDHUP/POLLHUP come without POLLIN). */
			pfd[np] = (struct pollfd){ .fd = rd_out ? t->wfd : t->rfd,
						   .events = (short)(rd_out ? POLLOUT :
								     reading ? POLLIN | POLLRDHUP : POLLRDHUP) };
			i_rd = np++;
			if (!reading)
				r->last_alive = now; /* silence is not the peer's fault then */
		}
		if (!r->sock_wr_done && buf_used(&r->to_sock) > 0) {
			int wfd = wr_in ? t->rfd : t->wfd;
			short wev = wr_in ? POLLIN : POLLOUT;
			if (i_rd >= 0 && pfd[i_rd].fd == wfd) {
				pfd[i_rd].events |= wev;
				i_wr = i_rd;
			} else {
				pfd[np] = (struct pollfd){ .fd = wfd, .events = wev };
				i_wr = np++;
			}
		}
		if (!r->prog_out_done && (r->close_sent || buf_used(&r->to_sock) < WS_QUEUE_HIGH)) {
			pfd[np] = (struct pollfd){ .fd = ch->out_fd, .events = POLLIN };
			i_pout = np++;
		}
		if (ch->in_fd >= 0 && buf_used(&r->to_prog) > r->pending) {
			pfd[np] = (struct pollfd){ .fd = ch->in_fd, .events = POLLOUT };
			i_pin = np++;
		}

		int timeout = -1;
		if (ping_ms && !r->close_sent) {
			timeout = timeout_until(now, r->next_ping, timeout);
			timeout = timeout_until(now, r->last_alive + 2 * ping_ms + 1, timeout);
		}
		timeout = timeout_until(now, r->close_deadline, timeout);
		timeout = timeout_until(now, ladder_next, timeout);
		timeout = timeout_until(now, give_up, timeout);
		/* Waiting on the group's last members: their exits may not raise SIGCHLD
		 * here (grandchildren reparented elsewhere), so look again soon. */
		if (r->prog_out_done && ch->exited && !ch->group_gone)
			timeout = timeout_until(now, now + 50, timeout);
		if (buffered)
			timeout = 0;

		int n = poll(pfd, (nfds_t)np, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			set_end(r, END_SYSTEM);
			break;
		}
		now = now_ms();
		if (pfd[i_sigfd].revents)
			handle_signals(r, now);
		if (i_pin >= 0 && pfd[i_pin].revents && ch->in_fd >= 0)
			write_program(r);
		if (i_wr >= 0 && (pfd[i_wr].revents & (POLLOUT | POLLERR | POLLHUP | (wr_in ? POLLIN : 0))) &&
		    !r->sock_wr_done && buf_used(&r->to_sock) > 0)
			write_socket(r, now);
		/* Frames decode_input held back: decode them once a queue has drained. */
		if (!r->in_discard && buf_used(r->in) > 0)
			decode_input(r, now);
		if (i_rd >= 0 && !r->sock_rd_done) {
			short rev = pfd[i_rd].revents;
			if (reading && (buffered || (rev & (POLLIN | POLLERR | POLLHUP | POLLRDHUP |
							    (rd_out ? POLLOUT : 0)))))
				read_socket(r, now);
			else if (!reading && (rev & (POLLERR | POLLHUP | POLLRDHUP)))
				peer_left_unread(r, now);
		}
		if (i_pout >= 0 && pfd[i_pout].revents && !r->prog_out_done)
			read_program(r, now);
		/* Bytes queued in this pass go out now, not after one more poll that would
		 * only say "writable": two system calls and a pass fewer per echo. Not where
		 * the last write stopped short (poll waits for room there), nor while TLS
		 * needs the other direction first. */
		if (ch->in_fd >= 0 && !r->prog_full && buf_used(&r->to_prog) > r->pending)
			write_program(r);
		if (!r->sock_wr_done && !r->sock_full && !t->write_wants_pollin &&
		    buf_used(&r->to_sock) > 0)
			write_socket(r, now);
	}

	/* Exit status per README. */
	switch (res->end) {
	case END_NONE:
	case END_CLIENT_CLOSE:
	case END_PROGRAM_CLOSE:
	case END_SHUTDOWN:
		res->exit_code = 0;
		break;
	case END_PROGRAM:
		res->exit_code = ch->exited && WIFEXITED(ch->status) && WEXITSTATUS(ch->status) == 0 ? 0 : 1;
		break;
	case END_CLIENT_VANISHED:
	case END_PEER_PROTOCOL:
	case END_OUTPUT_TOO_LONG:
		res->exit_code = 1;
		break;
	case END_TIMEOUT:
		res->exit_code = 4;
		break;
	case END_SYSTEM:
		res->exit_code = 5;
		break;
	}
	/* The relay ends once the program's output is done (out_fd closed) and its group
	 * gone; its stdin may still be open if it stopped reading. A handler that serves
	 * another connection (--handler-reuse) must not keep it. */
	child_close_stdin(ch);
	/* Nor the messages it relayed (see init above; zlib's memory wipes itself,
	 * zs.wipe: deflate.c). */
	buf_free(&r->to_prog);
	buf_free(&r->jmsg);
	buf_free(&r->from_prog);
	buf_free(&r->to_sock);
	buf_free(&r->jpayload);
	if (r->z != NULL) {
		res->deflate_saved = (long long)r->z->tx_plain - (long long)r->z->tx_packed +
				     (long long)r->z->rx_plain - (long long)r->z->rx_packed;
		wsd_free(r->z);
		buf_free(&r->zout);
	}
}
