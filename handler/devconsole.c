/* devconsole.c - render the embedded dev console page (see devconsole.h). */
#include "devconsole.h"

#include <string.h>

#include "err.h"
/* Generated from handler/devconsole.html by the Makefile (od + sed). */
#include "../build/devconsole_html.h"

#define MARKER "@@PROTOCOLS@@"

size_t devconsole_cap(const char *const *protocols, size_t n)
{
	size_t c = sizeof(devconsole_html) + 1;
	for (size_t i = 0; i < n; i++)
		c += 6 * strlen(protocols[i]) + 2; /* "&quot;" is the longest escape; ", " */
	return c;
}

static int put(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
	if (n > cap - *o)
		return WS_E_LIMIT;
	memcpy(out + *o, s, n);
	*o += n;
	return 0;
}

/* Escape for a double-quoted HTML attribute value. */
static int put_attr(char *out, size_t cap, size_t *o, const char *s)
{
	for (; *s; s++) {
		const char *e;
		switch (*s) {
		case '&': e = "&amp;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		default:
			if (put(out, cap, o, s, 1) != 0)
				return WS_E_LIMIT;
			continue;
		}
		if (put(out, cap, o, e, strlen(e)) != 0)
			return WS_E_LIMIT;
	}
	return 0;
}

int devconsole_render(const char *const *protocols, size_t n, char *out, size_t cap)
{
	const char *page = (const char *)devconsole_html;
	size_t len = sizeof(devconsole_html);
	const char *m = memmem(page, len, MARKER, strlen(MARKER));
	size_t o = 0;
	if (m == NULL)
		return put(out, cap, &o, page, len) ? WS_E_LIMIT : (int)o;
	if (put(out, cap, &o, page, (size_t)(m - page)) != 0)
		return WS_E_LIMIT;
	for (size_t i = 0; i < n; i++)
		if ((i && put(out, cap, &o, ", ", 2) != 0) || put_attr(out, cap, &o, protocols[i]) != 0)
			return WS_E_LIMIT;
	size_t after = (size_t)(m - page) + strlen(MARKER);
	if (put(out, cap, &o, page + after, len - after) != 0)
		return WS_E_LIMIT;
	return (int)o;
}
