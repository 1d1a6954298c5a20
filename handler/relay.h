/* relay.h - the one poll loop between the WebSocket peer and the program: the sole
 * reader and writer of the data path after the handshake. It decodes frames through
 * msg.h, turns messages into the program's input per mode and the program's output into
 * frames, answers pings, keeps the connection alive, runs the close handshake and the
 * program's termination ladder. Each side is read only when the other side's queue has
 * room, so memory stays bounded whatever either side does. */
#ifndef WSINETD_RELAY_H
#define WSINETD_RELAY_H

#include <stdint.h>

#include "buf.h"
#include "child.h"
#include "config.h"
#include "conn.h"
#include "pmd.h"

enum relay_end {
	END_NONE = 0,
	END_CLIENT_CLOSE,     /* the peer sent Close: exit 0 */
	END_CLIENT_VANISHED,  /* EOF or reset without Close: exit 1 */
	END_PEER_PROTOCOL,    /* we failed the connection (1002/1003/1007/1009): exit 1 */
	END_PROGRAM,          /* the program ended: exit 0 if it exited 0, else 1 */
	END_PROGRAM_CLOSE,    /* the program asked to close (JSON mode): exit 0 */
	END_OUTPUT_TOO_LONG,  /* a program line over --max-message: exit 1 */
	END_TIMEOUT,          /* keepalive: the peer was silent for two intervals: exit 4 */
	END_SHUTDOWN,         /* we were told to stop (SIGTERM...): exit 0 */
	END_SYSTEM,           /* a system call failed: exit 5 */
};

struct relay_result {
	enum relay_end end;
	unsigned close_sent;      /* code we sent, 0 none */
	unsigned close_recv;      /* code the peer sent, 0 none (1005 = Close without code) */
	uint64_t bytes_in, bytes_out, msgs_in, msgs_out;
	int exit_code;            /* the handler's exit status, per README */
	bool deflate;             /* permessage-deflate was negotiated */
	long long deflate_saved;  /* payload bytes compression saved on the wire, both ways
	                             (negative when it expanded incompressible data) */
};

/* Run until both the connection and the program are finished. `in` holds the bytes
 * already read past the request head (they are the first frames). `sigfd` is the
 * signalfd from child_signals_setup(). `pmd`: the permessage-deflate parameters agreed
 * at the handshake, or NULL for none. `wipe`: this process may serve another connection
 * (--handler-reuse), so nothing of this one's messages may stay in its memory. */
void relay_run(const struct config *cfg, struct transport *t, struct child *ch, int sigfd,
	       struct buf *in, const struct pmd_params *pmd, bool wipe,
	       struct relay_result *res);

#endif
