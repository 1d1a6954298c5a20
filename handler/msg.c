/* msg.c - RFC 6455 message layer, server side: frames in, one event per call out.
 *
 * The parser walks the caller's buffer: a frame header is decoded only once it is
 * complete (a partial one is left unconsumed for the caller to hand back with more bytes
 * behind it), then the payload is consumed as it arrives. Data payload is unmasked in
 * place and reported as DATA slices of the caller's buffer; control payload (at most 125
 * bytes, 5.5) is gathered in m->ctl, so a control frame split across reads is reported
 * whole. Every policy check that depends only on the first two header bytes runs as soon
 * as those bytes are here, so a bad frame fails without waiting for the rest of it. */
#include "msg.h"

#include <string.h>

#include "err.h"
#include "utf8.h"

/* <limits.h> is shadowed by handler/limits.h under -Ihandler, hence no LONG_MAX. */
#define FEED_MAX ((size_t)(~0ul >> 1))

void ws_msg_init(struct ws_msg *m, const struct ws_msg_cfg *cfg)
{
	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	m->utf8 = UTF8_ACCEPT;
}

bool ws_close_code_valid(unsigned code)
{
	/* 7.4.1/7.4.2 and the IANA registry: 1004 is reserved, 1005/1006/1015 are for
	 * reporting only ("MUST NOT be set as a status code in a Close control frame"),
	 * 1016-2999 are unassigned or reserved for extensions, 3000-4999 belong to libraries,
	 * frameworks and applications, anything else is out of range. */
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
	       (code >= 3000 && code <= 4999);
}

static int fail(struct ws_msg *m, int err, uint16_t code, const char *why)
{
	m->close_code = code;
	m->why = why;
	return err;
}

static int proto(struct ws_msg *m, const char *why)
{
	return fail(m, WS_E_PROTO, 1002, why);
}

/* Policy on the raw header bytes; b1 < 0 while only the first byte has arrived. Reads
 * the state, changes nothing but the error fields, so it may run again on the same
 * partial header when the caller hands it back with more bytes. */
static int check_hdr(struct ws_msg *m, uint8_t b0, int b1)
{
	unsigned rsv = (b0 >> 4) & 0x7u;
	unsigned op = b0 & 0xfu;
	bool ctl = ws_op_is_control(op);

	/* 5.2: RSV bits MUST be 0 unless an extension defines them; the only one we
	 * negotiate (permessage-deflate, RFC 7692) defines RSV1 alone. */
	if (rsv & (WS_RSV2 | WS_RSV3))
		return proto(m, "RSV2 or RSV3 set");
	/* 5.2: opcodes 3-7 and 0xB-0xF are reserved; "MUST _Fail the WebSocket
	 * Connection_" on an unknown one. */
	switch (op) {
	case WS_OP_CONT: case WS_OP_TEXT: case WS_OP_BINARY:
	case WS_OP_CLOSE: case WS_OP_PING: case WS_OP_PONG:
		break;
	default:
		return proto(m, "reserved opcode");
	}
	if (rsv & WS_RSV1) {
		if (!m->cfg.allow_rsv1)
			return proto(m, "RSV1 set without permessage-deflate");
		/* RFC 7692 6: the "Per-Message Compressed" bit is set on the first frame of
		 * a data message only, never on control frames or continuations. */
		if (ctl)
			return proto(m, "RSV1 set on a control frame");
		if (op == WS_OP_CONT)
			return proto(m, "RSV1 set on a continuation frame");
	}
	if (ctl) {
		/* 5.5: "All control frames MUST ... NOT be fragmented." */
		if (!(b0 & 0x80u))
			return proto(m, "fragmented control frame");
	} else if (op == WS_OP_CONT) {
		/* 5.4: a continuation belongs to a message started by a text/binary frame. */
		if (!m->in_msg)
			return proto(m, "continuation frame without a message in progress");
	} else if (m->in_msg) {
		/* 5.4: fragments of one message may not interleave with another message. */
		return proto(m, "data frame inside a fragmented message");
	}
	if (b1 < 0)
		return 0;
	/* 5.1: "a client MUST mask all frames that it sends to the server"; the server
	 * "MUST close the connection upon receiving a frame that is not masked". */
	if (!((unsigned)b1 & 0x80u))
		return proto(m, "frame not masked");
	/* 5.5: control frames carry at most 125 bytes, so the 7-bit length is the only
	 * valid form; 126/127 announce an extended length and fail here already. */
	if (ctl && ((unsigned)b1 & 0x7fu) > WS_CONTROL_MAX)
		return proto(m, "control frame payload over 125 bytes");
	return 0;
}

static bool text_checked(const struct ws_msg *m)
{
	/* A compressed message is validated after inflating, by the deflate layer. */
	return m->msg_opcode == WS_OP_TEXT && !m->msg_compressed;
}

/* A complete control frame in m->ctl becomes its event. */
static int control_event(struct ws_msg *m, struct ws_event *ev)
{
	ev->data = m->ctl;
	ev->len = m->ctl_len;
	switch (m->fh.opcode) {
	case WS_OP_PING:
		ev->type = WS_EV_PING;
		return 0;
	case WS_OP_PONG:
		ev->type = WS_EV_PONG;
		return 0;
	default:
		break;
	}
	/* 5.5.1: the body, if any, starts with a 2-byte code in network order, then a
	 * UTF-8 reason. No body: report 1005 ("no status code was actually present",
	 * 7.4.1). */
	if (m->ctl_len == 0) {
		ev->close_code = 1005;
	} else {
		unsigned code;
		if (m->ctl_len == 1)
			return proto(m, "close frame with a 1-byte payload");
		code = (unsigned)m->ctl[0] << 8 | m->ctl[1];
		if (!ws_close_code_valid(code))
			return proto(m, "invalid close code");
		/* 5.5.1: "the data ... is not guaranteed to be human readable" but it is
		 * UTF-8; 8.1 makes invalid UTF-8 a 1007 failure. */
		if (!utf8_valid(m->ctl + 2, m->ctl_len - 2))
			return fail(m, WS_E_UTF8, 1007, "close reason not valid UTF-8");
		ev->close_code = (uint16_t)code;
		ev->data = m->ctl + 2;
		ev->len = m->ctl_len - 2;
	}
	ev->type = WS_EV_CLOSE;
	m->closed = true;
	return 0;
}

long ws_msg_feed(struct ws_msg *m, uint8_t *buf, size_t len, struct ws_event *ev)
{
	size_t off = 0;
	int r;

	memset(ev, 0, sizeof(*ev));
	/* Fed again after an error: the same error, nothing consumed. */
	if (m->why != NULL)
		return m->close_code == 1007 ? WS_E_UTF8 :
		       m->close_code == 1009 ? WS_E_LIMIT : WS_E_PROTO;
	if (len > FEED_MAX)
		len = FEED_MAX; /* the return is a long; the rest comes back next call */

	for (;;) {
		if (!m->in_frame) {
			const char *why = NULL;
			int n;

			if (off == len)
				return (long)off;
			/* 5.5.1: after receiving a Close the endpoint sends nothing but
			 * its Close reply; the peer "MUST NOT send any more data frames"
			 * after its Close either. */
			if (m->closed)
				return proto(m, "data after a close frame");
			r = check_hdr(m, buf[off], len - off >= 2 ? buf[off + 1] : -1);
			if (r < 0)
				return r;
			n = ws_frame_decode(buf + off, len - off, &m->fh, &why);
			if (n == WS_NEED_MORE)
				return (long)off; /* buf[off..len) is a partial header: keep it */
			if (n < 0)
				return proto(m, why ? why : "invalid frame header");
			if (!ws_op_is_control(m->fh.opcode)) {
				if (m->fh.opcode != WS_OP_CONT) {
					m->in_msg = true;
					m->msg_opcode = m->fh.opcode;
					m->msg_compressed = (m->fh.rsv & WS_RSV1) != 0;
					m->msg_len = 0;
					m->utf8 = UTF8_ACCEPT;
				}
				/* 7.4.1 1009: the message is too big to process. The header
				 * announces the frame's size, so fail now rather than after
				 * buffering it; msg_len <= max_message always holds, so the
				 * subtraction cannot wrap. Counting the announced length here
				 * equals counting payload as it arrives, since a frame's
				 * payload is always consumed whole before the next header. */
				if (m->fh.len > m->cfg.max_message - m->msg_len)
					return fail(m, WS_E_LIMIT, 1009, "message too big");
				m->msg_len += m->fh.len;
			} else {
				m->ctl_len = 0;
			}
			off += (size_t)n;
			m->in_frame = true;
			m->frame_done = 0;
			continue;
		}

		uint64_t left = m->fh.len - m->frame_done;
		size_t avail = len - off;
		if (avail > left)
			avail = (size_t)left;

		if (ws_op_is_control(m->fh.opcode)) {
			if (avail > 0) {
				memcpy(m->ctl + m->ctl_len, buf + off, avail);
				ws_mask(m->ctl + m->ctl_len, avail, m->fh.mask, m->frame_done);
				m->ctl_len += avail;
				m->frame_done += avail;
				off += avail;
			}
			if (m->frame_done < m->fh.len)
				return (long)off; /* off == len: the rest is yet to come */
			m->in_frame = false;
			r = control_event(m, ev);
			return r < 0 ? r : (long)off;
		}

		if (avail > 0) {
			uint8_t *p = buf + off;
			ws_mask(p, avail, m->fh.mask, m->frame_done);
			/* 8.1: fail fast on the first byte that cannot be part of valid
			 * UTF-8, whichever fragment or read it arrives in. */
			if (text_checked(m) && utf8_feed(&m->utf8, p, avail) < 0)
				return fail(m, WS_E_UTF8, 1007, "invalid UTF-8 in text message");
			m->frame_done += avail;
			off += avail;
			ev->type = WS_EV_DATA;
			ev->data = p;
			ev->len = avail;
			ev->opcode = m->msg_opcode;
			ev->compressed = m->msg_compressed;
			return (long)off;
		}
		if (left > 0)
			return (long)off; /* off == len */
		/* The frame's payload is all consumed (possibly it was empty). */
		m->in_frame = false;
		if (!m->fh.fin)
			continue;
		/* 8.1: a message ending inside a multi-byte sequence is invalid too. */
		if (text_checked(m) && !utf8_complete(m->utf8))
			return fail(m, WS_E_UTF8, 1007, "truncated UTF-8 sequence in text message");
		m->in_msg = false;
		ev->type = WS_EV_MSG_END;
		ev->opcode = m->msg_opcode;
		ev->compressed = m->msg_compressed;
		return (long)off;
	}
}
