#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dlfcn.h>
#include <sys/uio.h>
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

/* libsystemd is loaded only here, when stderr is the journal: linking it cost every
 * exec of wsinetd about 0.7 ms (seven more shared libraries to map and relocate), and
 * under Accept=yes wsinetd is exec'd for every connection. sd_journal_sendv() is the
 * stable ABI entry point (libsystemd.so.0). Returns NULL when it cannot be had. */
typedef int (*journal_sendv_fn)(const struct iovec *iov, int n);

static journal_sendv_fn journal_sendv(void)
{
	static journal_sendv_fn fn;
	static int tried;
	if (!tried) {
		tried = 1;
		void *h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
		if (h != NULL)
			*(void **)&fn = dlsym(h, "sd_journal_sendv");
	}
	return fn;
}

/* One "NAME=value" field for the journal, formatted into its own slot. */
#define JFIELD_MAX 2048
struct jfields {
	struct iovec iov[24];
	char buf[24][JFIELD_MAX];
	int n;
};

__attribute__((format(printf, 2, 3)))
static void jfield(struct jfields *j, const char *fmt, ...)
{
	if (j->n >= (int)(sizeof(j->iov) / sizeof(j->iov[0])))
		return;
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(j->buf[j->n], JFIELD_MAX, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if (len >= JFIELD_MAX)
		len = JFIELD_MAX - 1;
	j->iov[j->n].iov_base = j->buf[j->n];
	j->iov[j->n].iov_len = (size_t)len;
	j->n++;
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
		journal_sendv_fn sendv = journal_sendv();
		struct jfields *j = sendv ? calloc(1, sizeof(*j)) : NULL;
		if (j != NULL) {
			jfield(j, "MESSAGE=%s", text);
			jfield(j, "PRIORITY=%d", level_prio[LOGL_ACCESS]);
			jfield(j, "SYSLOG_IDENTIFIER=wsinetd");
			jfield(j, "WSINETD_PEER=%s", r->peer);
			jfield(j, "WSINETD_PATH=%s", r->path);
			jfield(j, "WSINETD_PROTOCOL=%s", r->protocol ? r->protocol : "");
			jfield(j, "WSINETD_USER=%s", r->user ? r->user : "");
			jfield(j, "WSINETD_CLOSE=%s", r->close_sent ? cs : "");
			jfield(j, "WSINETD_PEER_CLOSE=%s", r->close_recv ? cr : "");
			jfield(j, "WSINETD_MSGS_IN=%llu", r->msgs_in);
			jfield(j, "WSINETD_BYTES_IN=%llu", r->bytes_in);
			jfield(j, "WSINETD_MSGS_OUT=%llu", r->msgs_out);
			jfield(j, "WSINETD_BYTES_OUT=%llu", r->bytes_out);
			jfield(j, "WSINETD_DURATION_MS=%lld", r->duration_ms < 0 ? 0 : r->duration_ms);
			jfield(j, "WSINETD_PROGRAM_STATUS=%s", r->program_status ? r->program_status : "");
			jfield(j, "WSINETD_EXIT_STATUS=%d", r->exit_status);
			jfield(j, "WSINETD_DEFLATE=%s", r->deflate ? "on" : "off");
			jfield(j, "WSINETD_DEFLATE_SAVED=%lld", r->deflate_saved);
			int e = sendv(j->iov, j->n);
			free(j);
			if (e >= 0)
				return;
		}
		/* The journal socket is unreachable (RestrictAddressFamilies without AF_UNIX,
		 * a different mount namespace): fall back to the stream line. */
	}
	log_msg(LOGL_ACCESS, "%s", text);
}
