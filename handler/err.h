/* err.h - the one error list. Pure code returns these (negative) and never logs; the
 * caller that decides what happens next logs once, using ws_strerror() and any
 * detail string the parser left in its output struct. */
#ifndef WSINETD_ERR_H
#define WSINETD_ERR_H

enum ws_err {
	WS_OK = 0,
	WS_NEED_MORE = -1,     /* incomplete input: feed more bytes and call again */
	WS_E_MALFORMED = -2,   /* syntax violation (HTTP 400 / close 1002) */
	WS_E_LIMIT = -3,       /* a named limit was hit (431 / 1009) */
	WS_E_PROTO = -4,       /* protocol rule broken (400 / close 1002) */
	WS_E_UTF8 = -5,        /* invalid UTF-8 in text (close 1007) */
	WS_E_UNSUPPORTED = -6, /* well-formed but not accepted here (405, 426, 1003) */
	WS_E_NOMEM = -7,       /* allocation failed */
	WS_E_SYS = -8,         /* system call failed; errno kept by the caller */
	WS_E_REFUSED = -9,     /* policy refused the request (403/401) */
};

const char *ws_strerror(int err);

/* A handler process's exit status (README "Exit status", wsinetd --help): main.c's
 * handle_connection() and the listener's handlers end with these. */
enum ws_exit {
	EXIT_CLEAN = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_REFUSED = 3,
	EXIT_TIMEOUT = 4,
	EXIT_SYSTEM = 5,   /* descriptors, memory, an exec: a reused handler then ends */
};

#endif
