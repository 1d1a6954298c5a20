/* log.h - stderr logging for the I/O side (pure code never logs).
 * Levels follow websocketd's --loglevel names. Each line is "wsinetd[PID]: message";
 * when stderr is the journal (JOURNAL_STREAM names stderr's device:inode) the line
 * starts with the sd-daemon priority prefix "<N>" instead, so journald files it at the
 * right priority, and the access record (log_access) becomes a structured journal entry
 * with WSINETD_* fields. */
#ifndef WSINETD_LOG_H
#define WSINETD_LOG_H

enum log_level {
	LOGL_DEBUG = 0,
	LOGL_TRACE = 1,
	LOGL_ACCESS = 2,
	LOGL_INFO = 3,
	LOGL_ERROR = 4,
	LOGL_FATAL = 5,
};

/* Name → level, or -1. */
int log_level_parse(const char *name);
const char *log_level_name(int level);
/* Set the threshold and look at JOURNAL_STREAM once. */
void log_init(int level);
int log_enabled(int level);
__attribute__((format(printf, 2, 3)))
void log_msg(int level, const char *fmt, ...);

/* The per-connection access record, filled at the end of a connection. Strings are
 * borrowed for the call; NULL protocol/user/program_status print as "-". */
struct access_record {
	const char *peer;           /* "ADDR:PORT", "[ADDR]:PORT" or "-" */
	const char *path;           /* the request path */
	const char *protocol;       /* the chosen subprotocol, or NULL */
	const char *user;           /* the authenticated user, or NULL */
	unsigned close_sent;        /* close code we sent, 0 = none */
	unsigned close_recv;        /* close code the peer sent, 0 = none */
	unsigned long long msgs_in, bytes_in;   /* client -> program */
	unsigned long long msgs_out, bytes_out; /* program -> client */
	long long duration_ms;
	const char *program_status; /* "exit N" or "signal N" */
	int exit_status;            /* wsinetd's own exit status */
	int deflate;                /* permessage-deflate negotiated (deflate=on|off) */
	long long deflate_saved;    /* bytes compression saved on the wire (saved=N) */
};

/* Log the record at LOGL_ACCESS: when stderr is the journal, as one entry with WSINETD_*
 * fields sent to journald's native socket (journal.h; no libsystemd); else, or when that
 * socket cannot take it, as one "access peer=... exit=N" text line on stderr. */
void log_access(const struct access_record *r);

#define log_debug(...) log_msg(LOGL_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOGL_INFO, __VA_ARGS__)
#define log_error(...) log_msg(LOGL_ERROR, __VA_ARGS__)

#endif
