/* journal.c - journald native protocol entries (journal.h). */
#include "journal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "limits.h"

void journal_begin(struct journal_entry *e, uint8_t *buf, size_t cap)
{
	e->buf = buf;
	e->cap = cap;
	e->len = 0;
	e->full = false;
}

static void put(struct journal_entry *e, const void *p, size_t n)
{
	memcpy(e->buf + e->len, p, n);
	e->len += n;
}

void journal_add(struct journal_entry *e, const char *key, const void *value, size_t len)
{
	if (len > WS_JOURNAL_VALUE_MAX)
		len = WS_JOURNAL_VALUE_MAX;
	size_t klen = strlen(key);
	bool binary = memchr(value, '\n', len) != NULL;
	size_t need = klen + 1 + (binary ? 8 : 0) + len + 1;
	if (e->full || need > e->cap - e->len) {
		e->full = true;
		return;
	}
	put(e, key, klen);
	if (binary) {
		uint8_t le[8];
		for (int i = 0; i < 8; i++)
			le[i] = (uint8_t)((unsigned long long)len >> (8 * i));
		put(e, "\n", 1);
		put(e, le, sizeof(le));
	} else {
		put(e, "=", 1);
	}
	put(e, value, len);
	put(e, "\n", 1);
}

void journal_add_str(struct journal_entry *e, const char *key, const char *s)
{
	journal_add(e, key, s, strnlen(s, WS_JOURNAL_VALUE_MAX));
}

void journal_addf(struct journal_entry *e, const char *key, const char *fmt, ...)
{
	char v[JOURNAL_FORMAT_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	journal_add(e, key, v, (size_t)n < sizeof(v) ? (size_t)n : sizeof(v) - 1);
}
