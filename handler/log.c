#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dlfcn.h>
#include <unistd.h>

static int log_threshold = LOGL_ACCESS;
static int log_journal;

static const char *const level_names[] = { "debug", "trace", "access", "info", "error", "fatal" };
/* syslog priorities for the "<N>" prefix: debug, debug, info, info, err, crit */
static const int level_prio[] = { 7, 7, 6, 6, 3, 2 };

int log_level_parse(const char *name)
{
	for (int i = 0; i < (int)(sizeof(level_names) / sizeof(level_names[0])); i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

const char *log_level_name(int level)
{
	if (level < 0 || level > LOGL_FATAL)
		return "?";
	return level_names[level];
}

/* libsystemd is loaded only when stderr is the journal and access records are wanted:
 * linking it cost every exec of wsinetd about 0.7 ms (seven more shared libraries to map
 * and relocate), and under Accept=yes wsinetd is exec'd for every connection. Loaded in
 * log_init(), before a listener forks, so its handlers inherit it. sd_journal_send() is
 * part of libsystemd.so.0's stable ABI. NULL when it cannot be had. */
typedef int (*journal_send_fn)(const char *format, ...)
	__attribute__((format(printf, 1, 0)));
static journal_send_fn journal_send;

void log_init(int level)
{
	log_threshold = level;
	/* systemd sets JOURNAL_STREAM=DEV:INODE for stdout/stderr connected to journald. */
	const char *js = getenv("JOURNAL_STREAM");
	struct stat st;
	unsigned long long dev, ino;
	log_journal = js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
		fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
		(unsigned long long)st.st_ino == ino;
	if (log_journal && log_enabled(LOGL_ACCESS) && journal_send == NULL) {
		void *h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
		if (h != NULL)
			*(void **)&journal_send = dlsym(h, "sd_journal_send");
	}
}

int log_enabled(int level)
{
	return level >= log_threshold;
}

void log_msg(int level, const char *fmt, ...)
{
	if (!log_enabled(level))
		return;
	/* One write per line so lines from concurrent handlers never interleave. */
	char line[2048];
	int n;
	if (log_journal)
		n = snprintf(line, sizeof(line), "<%d>", level_prio[level]);
	else
		n = snprintf(line, sizeof(line), "wsinetd[%ld]: ", (long)getpid());
	if (n < 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	/* A message never contains raw control bytes from the network: callers pass them
	 * through log_safe-style escaping; a stray newline would forge a record. */
	for (size_t i = (size_t)n; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

/* The text form, shared by the stderr line and the journal's MESSAGE=; tests parse it. */
static void access_text(const struct access_record *r, char *out, size_t len)
{
	char cs[12] = "-", cr[12] = "-";
	if (r->close_sent)
		snprintf(cs, sizeof(cs), "%u", r->close_sent);
	if (r->close_recv)
		snprintf(cr, sizeof(cr), "%u", r->close_recv);
	long long d = r->duration_ms < 0 ? 0 : r->duration_ms;
	snprintf(out, len,
		 "access peer=%s path=%s protocol=%s user=%s close=%s peer_close=%s "
		 "in=%llu/%llu out=%llu/%llu duration=%lld.%03llds program=\"%s\" exit=%d",
		 r->peer, r->path, r->protocol ? r->protocol : "-", r->user ? r->user : "-", cs, cr,
		 r->msgs_in, r->bytes_in, r->msgs_out, r->bytes_out, d / 1000, d % 1000,
		 r->program_status ? r->program_status : "-", r->exit_status);
	/* Later additions go at the end: the fields above keep their places. */
	size_t n = strlen(out);
	if (n < len)
		snprintf(out + n, len - n, " deflate=%s saved=%lld", r->deflate ? "on" : "off",
			 r->deflate_saved);
}

void log_access(const struct access_record *r)
{
	if (!log_enabled(LOGL_ACCESS))
		return;
	char text[1900];
	access_text(r, text, sizeof(text));
	char cs[12], cr[12]; /* close codes for the journal fields: empty when none */
	snprintf(cs, sizeof(cs), "%u", r->close_sent);
	snprintf(cr, sizeof(cr), "%u", r->close_recv);
	if (log_journal) {
		/* Same escaping as log_msg: the MESSAGE stays one line. The fields keep the
		 * raw values (journal fields are binary-safe). */
		for (char *p = text; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		if (journal_send != NULL && journal_send(
			"MESSAGE=%s", text,
			"PRIORITY=%d", level_prio[LOGL_ACCESS],
			"SYSLOG_IDENTIFIER=wsinetd",
			"WSINETD_PEER=%s", r->peer,
			"WSINETD_PATH=%s", r->path,
			"WSINETD_PROTOCOL=%s", r->protocol ? r->protocol : "",
			"WSINETD_USER=%s", r->user ? r->user : "",
			"WSINETD_CLOSE=%s", r->close_sent ? cs : "",
			"WSINETD_PEER_CLOSE=%s", r->close_recv ? cr : "",
			"WSINETD_MSGS_IN=%llu", r->msgs_in,
			"WSINETD_BYTES_IN=%llu", r->bytes_in,
			"WSINETD_MSGS_OUT=%llu", r->msgs_out,
			"WSINETD_BYTES_OUT=%llu", r->bytes_out,
			"WSINETD_DURATION_MS=%lld", r->duration_ms < 0 ? 0 : r->duration_ms,
			"WSINETD_PROGRAM_STATUS=%s", r->program_status ? r->program_status : "",
			"WSINETD_EXIT_STATUS=%d", r->exit_status,
			"WSINETD_DEFLATE=%s", r->deflate ? "on" : "off",
			"WSINETD_DEFLATE_SAVED=%lld", r->deflate_saved,
			NULL) >= 0)
			return;
		/* The journal socket is unreachable (RestrictAddressFamilies without AF_UNIX,
		 * a different mount namespace): fall back to the stream line. */
	}
	log_msg(LOGL_ACCESS, "%s", text);
}
