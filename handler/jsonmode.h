/* jsonmode.h - the --json mode line format, one JSON object per line each way:
 *   {"type":"text","data":"..."}           a text message
 *   {"type":"binary","data":"<base64>"}    a binary message (standard base64, padded)
 *   {"type":"close","code":4000,"reason":"..."}   from the program only: close now
 * Pure (libjansson does the JSON); no I/O, no logging. */
#ifndef WSINETD_JSONMODE_H
#define WSINETD_JSONMODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "limits.h"

enum jsonmode_kind { JM_TEXT = 1, JM_BINARY = 2, JM_CLOSE = 3 };

struct jsonmode_msg {
	enum jsonmode_kind kind;
	uint16_t code;                          /* JM_CLOSE; 1000 when absent */
	char reason[WS_CLOSE_REASON_MAX + 1];   /* JM_CLOSE; NUL-terminated */
	size_t reason_len;
	const char *why;                        /* on error: static one-line reason */
};

/* Append one line (object + '\n') describing a received message to `out`. `data` of a
 * text message is valid UTF-8 (the caller checked). Returns 0, WS_E_LIMIT (out full) or
 * WS_E_NOMEM. */
int jsonmode_encode(struct buf *out, bool binary, const uint8_t *data, size_t len);

/* Parse one line from the program (without its '\n'; a trailing '\r' is allowed).
 * On success returns 0, fills `out` and, for text/binary, appends the payload to
 * `payload`. Returns WS_E_MALFORMED (out->why says why: not JSON, not an object,
 * duplicate key, unknown type, data missing or of the wrong type, bad base64, close
 * code not 1000 or 3000-4999, reason over 123 bytes) or WS_E_LIMIT (payload full). */
int jsonmode_decode(const char *line, size_t len, struct buf *payload, struct jsonmode_msg *out);

#endif
