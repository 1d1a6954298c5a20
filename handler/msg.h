/* msg.h - RFC 6455 message layer over frames, server side. Pure: the caller passes the
 * bytes it read and gets one event per call; nothing is allocated and no I/O is done.
 *
 * Rules enforced (section numbers of RFC 6455), each a negative return with
 * m->close_code and m->why set:
 *   - client frames must be masked (5.1): 1002
 *   - RSV1 only when cfg.allow_rsv1 and only on the first frame of a data message;
 *     RSV2/RSV3 never (5.2): 1002
 *   - reserved opcodes 3-7, 0xB-0xF (5.2): 1002
 *   - control frames: FIN set and payload <= 125 (5.5): 1002
 *   - continuation without a message in progress, or a new data frame while a
 *     fragmented message is in progress (5.4): 1002
 *   - text (uncompressed) not valid UTF-8, checked fail-fast across fragments (8.1): 1007
 *   - message payload over cfg.max_message (counted frame by frame: a header announcing
 *     a length that would pass the limit fails at once, before its payload): 1009
 *   - close payload of 1 byte, invalid close code, or reason not UTF-8 (5.5.1, 7.4): 1002
 *     (1007 for the reason's UTF-8)
 *   - any byte after a Close frame: 1002
 * Control frames may arrive between the fragments of a data message (5.4). */
#ifndef WSINETD_MSG_H
#define WSINETD_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "limits.h"

struct ws_msg_cfg {
	uint64_t max_message;  /* payload bytes of one message; for compressed messages the
	                          raw size is bounded here and the inflated size by the
	                          caller */
	bool allow_rsv1;       /* permessage-deflate negotiated */
};

enum ws_ev_type {
	WS_EV_NONE = 0,  /* nothing complete: feed more (a partial header may be left over,
	                    see ws_msg_feed) */
	WS_EV_DATA,      /* a chunk of the current data message's payload (unmasked) */
	WS_EV_MSG_END,   /* the current data message is complete */
	WS_EV_PING,      /* a ping; data/len is its payload (answer with a pong) */
	WS_EV_PONG,      /* a pong; data/len is its payload */
	WS_EV_CLOSE,     /* a valid close; close_code (1005 when absent) and reason in data/len */
};

struct ws_event {
	enum ws_ev_type type;
	const uint8_t *data;  /* DATA: points into the caller's buffer (unmasked in place);
	                         PING/PONG/CLOSE: into the parser state, valid until the next
	                         call */
	size_t len;
	uint8_t opcode;       /* DATA/MSG_END: WS_OP_TEXT or WS_OP_BINARY of the message */
	bool compressed;      /* DATA/MSG_END: RSV1 was set on the message's first frame */
	uint16_t close_code;  /* CLOSE */
};

struct ws_msg {
	struct ws_msg_cfg cfg;
	/* current frame */
	bool in_frame;
	struct ws_frame_hdr fh;
	uint64_t frame_done;     /* payload bytes of the current frame already consumed */
	/* current data message */
	bool in_msg;
	uint8_t msg_opcode;
	bool msg_compressed;
	uint64_t msg_len;
	uint32_t utf8;
	/* control frame payload being gathered */
	uint8_t ctl[WS_CONTROL_MAX];
	size_t ctl_len;
	bool closed;             /* a Close was received: further frames are an error */
	/* on error */
	uint16_t close_code;
	const char *why;
};

void ws_msg_init(struct ws_msg *m, const struct ws_msg_cfg *cfg);

/* Consume from buf[0..len) (payload bytes are unmasked in place) and report at most one
 * event. Returns the bytes consumed (>= 0).
 *
 * WS_EV_NONE: more input is needed. Either the return equals len (everything was taken
 * in), or it is less than len and buf[ret..len) is an incomplete frame header (at most
 * WS_FRAME_HDR_MAX - 1 bytes) that was not consumed: the caller keeps those bytes at the
 * head of its buffer and calls again with newly read bytes appended after them. A partial
 * header is still checked as far as it goes (RSV, opcode, mask bit, control-frame rules),
 * so it may fail before it is complete.
 *
 * Any other event: call again with buf[ret..len), even when that is empty: a
 * WS_EV_MSG_END follows the DATA event that carried a message's last bytes in a call of
 * its own. DATA events are never empty; an empty message yields WS_EV_MSG_END alone.
 *
 * Returns a negative enum ws_err on a violation, with m->close_code and m->why (a short
 * static reason for the close frame and the log) set: WS_E_PROTO for 1002, WS_E_UTF8 for
 * 1007, WS_E_LIMIT for 1009. The parser must not be fed again; if it is, it returns the
 * same error and consumes nothing. After a WS_EV_CLOSE any further byte is a 1002 error. */
long ws_msg_feed(struct ws_msg *m, uint8_t *buf, size_t len, struct ws_event *ev);

/* True if `code` may appear in a Close frame on the wire (RFC 6455 7.4, IANA registry):
 * 1000-1003, 1007-1014, 3000-4999. */
bool ws_close_code_valid(unsigned code);

#endif
