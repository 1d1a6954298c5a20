/* cookie.c - cookie pairs and query parameters: find by name, strip by name; see cookie.h. */
#include "cookie.h"

#include <string.h>

#include "hdr.h"

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* The next element of v[0..len) ended by `sep`, from *pos: [*start, *end), with SP/HTAB
 * around it dropped when `trim`; *pos moves past the separator. False at the end. */
static bool next_item(const char *v, size_t len, char sep, bool trim, size_t *pos,
		      size_t *start, size_t *end)
{
	if (*pos >= len)
		return false;
	size_t i = *pos, s = i;
	while (i < len && v[i] != sep)
		i++;
	size_t e = i;
	*pos = i < len ? i + 1 : i;
	while (trim && s < e && is_wsp(v[s]))
		s++;
	while (trim && e > s && is_wsp(v[e - 1]))
		e--;
	*start = s;
	*end = e;
	return true;
}

bool cookie_next(const char *v, size_t len, size_t *pos, const char **name, size_t *name_len,
		 const char **value, size_t *value_len)
{
	size_t i = *pos, start, end;
	while (next_item(v, len, ';', true, &i, &start, &end)) {
		if (start == end)
			continue;
		const char *eq = memchr(v + start, '=', end - start);
		size_t ns = start, ne, vs, ve = end;
		if (eq == NULL) {
			/* RFC 6265bis 5.6 step 3: no '=' means an empty name, all value */
			ne = ns;
			vs = start;
		} else {
			ne = (size_t)(eq - v);
			vs = ne + 1;
			while (ne > ns && is_wsp(v[ne - 1]))
				ne--;
			while (vs < ve && is_wsp(v[vs]))
				vs++;
		}
		/* RFC 6265 4.1.1: cookie-value may be wrapped in DQUOTEs */
		if (ve - vs >= 2 && v[vs] == '"' && v[ve - 1] == '"') {
			vs++;
			ve--;
		}
		*name = v + ns;
		*name_len = ne - ns;
		*value = v + vs;
		*value_len = ve - vs;
		*pos = i;
		return true;
	}
	*pos = len;
	*name = *value = NULL;
	*name_len = *value_len = 0;
	return false;
}

static bool slice_is(const char *s, size_t n, const char *lit)
{
	size_t ln = strlen(lit);
	return n == ln && (n == 0 || memcmp(s, lit, n) == 0);
}

bool cookie_find(const struct http_req *req, const char *name, const char **value,
		 size_t *value_len)
{
	if (name == NULL || *name == '\0')
		return false;
	for (int i = hdr_find(req, "Cookie", 0); i >= 0; i = hdr_find(req, "Cookie", (size_t)i + 1)) {
		const struct http_header *h = &req->headers[i];
		size_t pos = 0, nl, vl;
		const char *n, *v;
		while (cookie_next(h->value, h->value_len, &pos, &n, &nl, &v, &vl)) {
			if (slice_is(n, nl, name)) {
				*value = v;
				*value_len = vl;
				return true;
			}
		}
	}
	return false;
}

struct sink {
	char *out;
	size_t cap, used;
	bool full;
};

static void emit(struct sink *s, const char *p, size_t n)
{
	if (s->full || n >= s->cap - s->used) { /* keep one byte for the NUL */
		s->full = true;
		return;
	}
	memcpy(s->out + s->used, p, n);
	s->used += n;
}

/* A kept element, after `sep` unless it is the first. */
static void keep(struct sink *s, bool *first, const char *sep, const char *p, size_t n)
{
	if (!*first)
		emit(s, sep, strlen(sep));
	emit(s, p, n);
	*first = false;
}

/* -1 when the output did not fit, else its length (NUL-terminated). */
static long sink_end(struct sink *s)
{
	if (s->full)
		return -1;
	s->out[s->used] = '\0';
	return (long)s->used;
}

long cookie_strip(const struct http_req *req, const char *name, char *out, size_t cap,
		  size_t *removed)
{
	struct sink s = { out, cap, 0, cap == 0 };
	bool first = true;
	*removed = 0;
	for (int i = hdr_find(req, "Cookie", 0); i >= 0; i = hdr_find(req, "Cookie", (size_t)i + 1)) {
		const struct http_header *h = &req->headers[i];
		const char *v = h->value;
		size_t len = h->value_len, pos = 0, start, end;
		/* Walk the raw pairs (with their quotes) so kept pairs are copied as sent. */
		while (next_item(v, len, ';', true, &pos, &start, &end)) {
			if (start == end)
				continue;
			size_t p2 = 0, nl, vl;
			const char *n, *val;
			if (cookie_next(v + start, end - start, &p2, &n, &nl, &val, &vl) &&
			    slice_is(n, nl, name) && nl > 0) {
				(*removed)++;
				continue;
			}
			keep(&s, &first, "; ", v + start, end - start);
		}
	}
	return sink_end(&s);
}

size_t cookie_strip_cap(const struct http_req *req)
{
	size_t cap = 1;
	for (int i = hdr_find(req, "Cookie", 0); i >= 0; i = hdr_find(req, "Cookie", (size_t)i + 1))
		cap += 2 * req->headers[i].value_len + 2;
	return cap;
}

/* Decode p[0..n) into out (room for cap bytes, no NUL added); returns the length, -1 for
 * a bad escape, -2 if it does not fit. */
static long form_decode(const char *p, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '%') {
			if (n - i < 3)
				return -1;
			int hi = hdr_hexval(p[i + 1]);
			int lo = hdr_hexval(p[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (o >= cap)
			return -2;
		if (out)
			out[o] = c;
		o++;
	}
	return (long)o;
}

/* Does the raw name p[0..n) decode to exactly `name`? */
static bool name_is(const char *p, size_t n, const char *name)
{
	char buf[256];
	size_t ln = strlen(name);
	if (ln >= sizeof(buf))
		return false;
	long d = form_decode(p, n, buf, sizeof(buf));
	return d >= 0 && (size_t)d == ln && memcmp(buf, name, ln) == 0;
}

long query_find(const char *q, size_t len, const char *name, char *out, size_t cap)
{
	size_t pos = 0;
	if (name == NULL || *name == '\0' || cap == 0)
		return -1;
	size_t start, end;
	while (next_item(q, len, '&', false, &pos, &start, &end)) {
		const char *eq = memchr(q + start, '=', end - start);
		size_t ne = eq ? (size_t)(eq - q) : end;
		if (!name_is(q + start, ne - start, name))
			continue;
		size_t vs = eq ? ne + 1 : end;
		long d = form_decode(q + vs, end - vs, out, cap - 1);
		if (d == -2)
			return -2;
		if (d < 0 || memchr(out, '\0', (size_t)d) != NULL)
			continue;
		out[d] = '\0';
		return d;
	}
	return -1;
}

long query_strip(const char *q, size_t len, const char *name, char *out, size_t cap,
		 size_t *removed)
{
	struct sink s = { out, cap, 0, cap == 0 };
	size_t pos = 0, start, end;
	bool first = true;
	*removed = 0;
	while (next_item(q, len, '&', false, &pos, &start, &end)) {
		if (start == end)
			continue;
		const char *eq = memchr(q + start, '=', end - start);
		size_t ne = eq ? (size_t)(eq - q) : end;
		if (name_is(q + start, ne - start, name)) {
			(*removed)++;
			continue;
		}
		keep(&s, &first, "&", q + start, end - start);
	}
	return sink_end(&s);
}
