/* log.h - stderr logging for the I/O side (pure code never logs).
 * Levels follow websocketd's --loglevel names. Each line is "wsinetd[PID]: message";
 * when stderr is the journal (JOURNAL_STREAM names stderr's device:inode) the line
 * starts with the sd-daemon priority prefix "<N>" instead, so journald files it at the
 * right priority. */
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

#define log_debug(...) log_msg(LOGL_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOGL_INFO, __VA_ARGS__)
#define log_error(...) log_msg(LOGL_ERROR, __VA_ARGS__)

#endif
