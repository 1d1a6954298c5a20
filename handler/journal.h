/* journal.h - one entry of journald's native protocol, encoded into the caller's buffer
 * (https://systemd.io/JOURNAL_NATIVE_PROTOCOL/, a stable interface). Pure: log.c sends
 * the entry as one datagram to /run/systemd/journal/socket.
 *
 * A field is "KEY=VALUE\n", or, when VALUE holds a newline, "KEY\n", VALUE's length as a
 * 64-bit little-endian integer, VALUE and "\n". A value longer than
 * WS_JOURNAL_VALUE_MAX is cut to that length. An entry whose fields do not all fit is
 * marked full and must not be sent (log.c then writes the stream line instead). */
#ifndef WSINETD_JOURNAL_H
#define WSINETD_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct journal_entry {
	uint8_t *buf;
	size_t cap, len;
	bool full; /* a field did not fit: the entry is incomplete */
};

void journal_begin(struct journal_entry *e, uint8_t *buf, size_t cap);
/* KEY must be a valid journal field name (A-Z, 0-9, '_'; not starting with '_'). */
void journal_add(struct journal_entry *e, const char *key, const void *value, size_t len);
/* A NUL-terminated value (cut at WS_JOURNAL_VALUE_MAX, so s needs no terminator there). */
void journal_add_str(struct journal_entry *e, const char *key, const char *s);
/* A short value formatted with printf (numbers, words): cut at JOURNAL_FORMAT_MAX - 1
 * bytes. */
#define JOURNAL_FORMAT_MAX 64
__attribute__((format(printf, 3, 4)))
void journal_addf(struct journal_entry *e, const char *key, const char *fmt, ...);

#endif
