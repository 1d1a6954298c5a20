/* fuzz_http_resp - the response head builder (handler/http_resp.c), which writes our
 * status line and headers; some of them carry a CGI script's reason phrase and header
 * values, so a CR or LF getting through would be header injection (response splitting).
 *
 * Input: byte 0 flags (0x01 own reason phrase, 0x02 status taken raw as a signed 16-bit
 * number instead of folded into 100..999, 0x04 small capacity), bytes 1-2 the status,
 * 3-4 the capacity, 5-12 a Content-Length value, 13 the seed that picks the calls; the
 * rest is split on NUL into C strings: the reason phrase (with 0x01), then the names,
 * values and lines of up to 64 calls to http_resp_header, _line and _length.
 * Properties, for the derived capacity and, when the head is valid, for its exact size
 * and one byte less:
 *   - the buffer is a heap block of exactly cap bytes, so ASan sees any write past it;
 *     r.len never exceeds cap; after the first error every call is a no-op (err and len
 *     stay as they were);
 *   - http_resp_end returns what a model of the contract predicts: WS_E_MALFORMED for
 *     the first call given a status outside 100..999, a name that is empty or not a
 *     token, a line without a "name:" or a value, line or reason with a control byte
 *     other than HTAB, unless an earlier call already overflowed the buffer
 *     (WS_E_LIMIT), else WS_E_LIMIT if the head does not fit, else its length (<= cap),
 *     with exactly the model's bytes in the buffer;
 *   - a head written starts "HTTP/1.1 <status> ", ends with "\r\n\r\n", has one CRLF per
 *     line written and no other CR or LF, no control byte but HTAB, and every line after
 *     the status line is "token:..." (so no value can add a line of its own);
 *   - http_status_text gives a non-empty phrase of printable ASCII for every status. */
#include <stdbool.h>
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "http_resp.h"

#define MAX_CALLS 64

enum { OP_HEADER, OP_LINE, OP_LENGTH, OP_FIXED_NAME };

struct call {
	int op;
	const char *a, *b; /* name and value, or the line */
	unsigned long long n;
};

struct input {
	int status;
	const char *reason;
	struct call calls[MAX_CALLS];
	size_t ncalls;
};

static bool no_ctl(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return false;
	return true;
}

static bool token_n(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!fuzz_tchar((unsigned char)s[i]))
			return false;
	return true;
}

/* The model: what the header file says the head is, written into a buffer large enough
 * for any input, with the caller's cap applied by hand. */
struct model {
	char *buf;
	size_t len, cap;
	int err;
	size_t lines; /* CRLF-terminated lines written, the final empty one included */
};

static void m_put(struct model *m, const char *s, size_t n)
{
	if (m->err)
		return;
	if (n > m->cap - m->len) {
		m->err = WS_E_LIMIT;
		return;
	}
	memcpy(m->buf + m->len, s, n);
	m->len += n;
}

static void m_line(struct model *m, const char *a, const char *b, const char *c)
{
	m_put(m, a, strlen(a));
	m_put(m, b, strlen(b));
	m_put(m, c, strlen(c));
	m_put(m, "\r\n", 2);
	if (!m->err)
		m->lines++;
}

static void m_header(struct model *m, const char *name, const char *value)
{
	if (m->err)
		return;
	if (!token_n(name, strlen(name)) || !no_ctl(value)) {
		m->err = WS_E_MALFORMED;
		return;
	}
	m_line(m, name, ": ", value);
}

static const char *fixed_name(size_t i)
{
	static const char *const names[] = { "Content-Type", "Set-Cookie", "X-Script", "Location" };
	return names[i % 4];
}

static int run_model(const struct input *in, size_t cap, struct model *m)
{
	m->len = 0;
	m->cap = cap;
	m->err = 0;
	m->lines = 0;
	const char *reason = in->reason ? in->reason : http_status_text(in->status);
	if (in->status < 100 || in->status > 999 || !no_ctl(reason)) {
		m->err = WS_E_MALFORMED;
		return m->err;
	}
	char st[16];
	snprintf(st, sizeof(st), "%d ", in->status);
	m_put(m, "HTTP/1.1 ", 9);
	m_line(m, st, reason, "");
	for (size_t i = 0; i < in->ncalls; i++) {
		const struct call *c = &in->calls[i];
		if (c->op == OP_HEADER) {
			m_header(m, c->a, c->b);
		} else if (c->op == OP_FIXED_NAME) {
			m_header(m, fixed_name(i), c->b);
		} else if (c->op == OP_LENGTH) {
			char v[24];
			snprintf(v, sizeof(v), "%llu", c->n);
			m_header(m, "Content-Length", v);
		} else if (!m->err) {
			const char *colon = strchr(c->a, ':');
			if (colon == NULL || !token_n(c->a, (size_t)(colon - c->a)) || !no_ctl(c->a))
				m->err = WS_E_MALFORMED;
			else
				m_line(m, c->a, "", "");
		}
	}
	m_put(m, "\r\n", 2);
	if (!m->err)
		m->lines++;
	return m->err ? m->err : (int)m->len;
}

/* One call on the real builder, with the invariants that hold after each. */
static void step(struct http_resp *r, const struct input *in, size_t i)
{
	int err0 = r->err;
	size_t len0 = r->len;
	const struct call *c = &in->calls[i];
	switch (c->op) {
	case OP_HEADER: http_resp_header(r, c->a, c->b); break;
	case OP_FIXED_NAME: http_resp_header(r, fixed_name(i), c->b); break;
	case OP_LENGTH: http_resp_length(r, c->n); break;
	default: http_resp_line(r, c->a); break;
	}
	CHECK(r->len <= r->cap, "len %zu > cap %zu after call %zu", r->len, r->cap, i);
	CHECK(r->err == 0 || r->err == WS_E_LIMIT || r->err == WS_E_MALFORMED, "err %d", r->err);
	if (err0)
		CHECK(r->err == err0 && r->len == len0, "call %zu after error %d: err %d, len %zu -> %zu",
		      i, err0, r->err, len0, r->len);
}

/* The shape of a head that was written, checked on the bytes alone. */
static void check_head(const char *h, size_t n, int status, size_t lines)
{
	char st[16];
	int sl = snprintf(st, sizeof(st), "HTTP/1.1 %d ", status);
	CHECK(n >= (size_t)sl + 4 && memcmp(h, st, (size_t)sl) == 0, "status line '%.*s'",
	      (int)(n < 40 ? n : 40), h);
	CHECK(memcmp(h + n - 4, "\r\n\r\n", 4) == 0, "head does not end with an empty line");
	size_t crlf = 0, line0 = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];
		if (c == '\r') {
			CHECK(i + 1 < n && h[i + 1] == '\n', "bare CR at %zu of %zu", i, n);
			continue;
		}
		if (c == '\n') {
			CHECK(i > 0 && h[i - 1] == '\r', "bare LF at %zu of %zu", i, n);
			/* a header line: a token, then ':' */
			if (crlf > 0 && i - 1 > line0) {
				const char *colon = memchr(h + line0, ':', i - 1 - line0);
				CHECK(colon && token_n(h + line0, (size_t)(colon - (h + line0))),
				      "line '%.*s'", (int)(i - 1 - line0), h + line0);
			}
			crlf++;
			line0 = i + 1;
			continue;
		}
		CHECK((c >= 0x20 && c != 0x7f) || c == '\t', "control byte %02x at %zu", c, i);
	}
	CHECK(crlf == lines, "%zu line ends, %zu lines written", crlf, lines);
	/* the only empty line is the last one */
	const char *dbl = NULL;
	for (size_t i = 0; i + 4 <= n; i++)
		if (memcmp(h + i, "\r\n\r\n", 4) == 0) {
			dbl = h + i;
			break;
		}
	CHECK(dbl == h + n - 4, "empty line inside the head");
}

static void run_case(const struct input *in, size_t cap, struct model *m)
{
	int want = run_model(in, cap, m);
	/* exactly cap bytes (malloc(0) is a block of none), so ASan sees a write past it */
	char *buf = malloc(cap);
	if (buf == NULL && cap > 0)
		abort();
	struct http_resp r;
	http_resp_start(&r, buf, cap, in->status, in->reason);
	CHECK(r.len <= r.cap && r.cap == cap, "start: len %zu cap %zu", r.len, r.cap);
	for (size_t i = 0; i < in->ncalls; i++)
		step(&r, in, i);
	int n = http_resp_end(&r);
	CHECK(n == want, "http_resp_end %d, the contract says %d (cap %zu, status %d)", n, want, cap,
	      in->status);
	if (n >= 0) {
		CHECK((size_t)n <= cap, "%d bytes in a cap of %zu", n, cap);
		check_head(buf, (size_t)n, in->status, m->lines);
		CHECK(memcmp(buf, m->buf, (size_t)n) == 0, "head differs from the model:\n%.*s", n, buf);
	}
	free(buf);
}

static void check_phrase(int status)
{
	const char *p = http_status_text(status);
	CHECK(p != NULL && *p != '\0', "no phrase for %d", status);
	for (const char *q = p; *q; q++)
		CHECK(*q >= 0x20 && *q < 0x7f, "phrase for %d: byte %02x", status, (unsigned char)*q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 14)
		return 0;
	uint8_t flags = take_flags(&data, &size);
	uint32_t sv = take_u32(&data, &size, 2), cv = take_u32(&data, &size, 2);
	unsigned long long clen = take_u32(&data, &size, 4);
	clen |= (unsigned long long)take_u32(&data, &size, 4) << 32;
	struct rng g;
	rng_seed(&g, take_u32(&data, &size, 1) * 0x01000193u + 1);

	/* the pieces: NUL-terminated strings in one copy of the rest */
	char *text = malloc(size + 1);
	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	const char *piece[2 * MAX_CALLS + 1];
	size_t np = 0;
	for (size_t p = 0; np < 2 * MAX_CALLS + 1;) {
		piece[np++] = text + p;
		p += strlen(text + p);
		if (p >= size)
			break;
		p++;
	}

	static struct input in;
	memset(&in, 0, sizeof(in));
	in.status = flags & 0x02 ? (int)(int16_t)(uint16_t)sv : 100 + (int)(sv % 900);
	size_t k = 0;
	if (flags & 0x01)
		in.reason = piece[k++];
	while (k < np && in.ncalls < MAX_CALLS) {
		struct call *c = &in.calls[in.ncalls];
		c->op = (int)(rng_next(&g) % 4);
		c->a = c->b = piece[k];
		if (c->op == OP_HEADER) {
			if (k + 1 >= np)
				break;
			c->b = piece[k + 1];
			k += 2;
		} else if (c->op == OP_LENGTH) {
			c->n = clen >> (in.ncalls % 64);
		} else {
			k++;
		}
		in.ncalls++;
	}
	check_phrase(in.status);
	check_phrase((int)(int16_t)(uint16_t)sv);

	/* the model's buffer: every piece once or twice plus each call's own text */
	struct model m;
	m.buf = malloc(2 * size + 64 * (MAX_CALLS + 2) + 256);
	if (m.buf == NULL)
		abort();
	size_t cap = flags & 0x04 ? cv % 64 : cv % 4096;
	run_case(&in, cap, &m);
	int full = run_model(&in, 2 * size + 64 * (MAX_CALLS + 2) + 256, &m);
	if (full >= 0) {
		run_case(&in, (size_t)full, &m);
		run_case(&in, (size_t)full - 1, &m);
		CHECK(run_model(&in, (size_t)full - 1, &m) == WS_E_LIMIT, "model: one byte short fits");
	}
	free(m.buf);
	free(text);
	return 0;
}
