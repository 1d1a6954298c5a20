#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
