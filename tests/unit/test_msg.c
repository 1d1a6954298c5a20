/* test_msg.c - the server-side message layer. Client frames are built by hand here
 * (masked, minimal lengths unless a test wants otherwise) and fed the way the relay does:
 * unconsumed bytes (a partial header) stay at the head of the buffer and new bytes are
 * appended behind them. Each stream is fed whole, one byte at a time, split at every
 * position and in random chunks, always from a copy ending at a guard page (or an exact
 * malloc under ASan), and every feeding must give the same transcript of events. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "msg.h"
#include "tap.h"
#include "utf8.h"

#define FIN 0x80u
#define RSV1 0x40u
#define RSV2 0x20u
#define RSV3 0x10u

/* ---------- byte vectors ---------- */

struct vec {
	uint8_t *d;
	size_t n, cap;
};

static void vput(struct vec *v, const void *p, size_t n)
{
	if (n > v->cap - v->n) {
		size_t nc = v->cap ? v->cap : 256;
		while (nc - v->n < n)
			nc *= 2;
		v->d = realloc(v->d, nc);
		if (!v->d)
			exit(2);
		v->cap = nc;
	}
	if (n)
		memcpy(v->d + v->n, p, n);
	v->n += n;
}

__attribute__((format(printf, 2, 3)))
static void vfmt(struct vec *v, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	vput(v, tmp, (size_t)k);
}

static void vfree(struct vec *v)
{
	free(v->d);
	memset(v, 0, sizeof(*v));
}

static bool veq(const struct vec *a, const struct vec *b)
{
	return a->n == b->n && (a->n == 0 || memcmp(a->d, b->d, a->n) == 0);
}

static void vdump(const char *label, const struct vec *v)
{
	printf("#   %s: ", label);
	for (size_t i = 0; i < v->n && i < 400; i++) {
		uint8_t c = v->d[i];
		if (c >= 0x20 && c < 0x7f)
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	printf("%s\n", v->n > 400 ? "..." : "");
}

static uint64_t rng = 0x452821e638d01377u;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* ---------- client frames, written from RFC 6455 5.2 ---------- */

/* Header with an explicit length form (7, 16 or 64) so tests can build non-minimal ones;
 * masked unless `unmasked`. The payload is masked with a random key. */
static void frame_x(struct vec *v, unsigned b0, const void *payload, size_t len, int form, bool masked)
{
	uint8_t h[14], key[4];
	size_t n = 2;
	h[0] = (uint8_t)b0;
	h[1] = masked ? 0x80 : 0;
	if (form == 7) {
		h[1] |= (uint8_t)len;
	} else if (form == 16) {
		h[1] |= 126;
		h[2] = (uint8_t)(len >> 8);
		h[3] = (uint8_t)len;
		n = 4;
	} else {
		h[1] |= 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
		n = 10;
	}
	for (int i = 0; i < 4; i++)
		key[i] = (uint8_t)rnd();
	if (masked) {
		memcpy(h + n, key, 4);
		n += 4;
	}
	vput(v, h, n);
	size_t at = v->n;
	vput(v, payload, len);
	if (masked)
		for (size_t i = 0; i < len; i++)
			v->d[at + i] ^= key[i % 4];
}

static int min_form(size_t len)
{
	return len < 126 ? 7 : len <= 0xffff ? 16 : 64;
}

static void frame(struct vec *v, unsigned b0, const void *payload, size_t len)
{
	frame_x(v, b0, payload, len, min_form(len), true);
}

static void frame_s(struct vec *v, unsigned b0, const char *s)
{
	frame(v, b0, s, strlen(s));
}

/* Close frame with a code and reason. */
static void close_frame(struct vec *v, unsigned code, const char *reason, size_t rlen)
{
	uint8_t p[125];
	p[0] = (uint8_t)(code >> 8);
	p[1] = (uint8_t)code;
	memcpy(p + 2, reason, rlen);
	frame(v, FIN | WS_OP_CLOSE, p, 2 + rlen);
}

/* ---------- expected transcripts ---------- */

static void t_msg(struct vec *t, unsigned op, bool comp, const void *d, size_t n)
{
	vfmt(t, "M%u%c:%zu:", op, comp ? 'z' : '-', n);
	vput(t, d, n);
	vput(t, ";", 1);
}
static void t_msg_s(struct vec *t, unsigned op, const char *s) { t_msg(t, op, false, s, strlen(s)); }
static void t_ctl(struct vec *t, char kind, unsigned code, const void *d, size_t n)
{
	if (kind == 'C')
		vfmt(t, "C%u:%zu:", code, n);
	else
		vfmt(t, "%c:%zu:", kind, n);
	vput(t, d, n);
	vput(t, ";", 1);
}
static void t_err(struct vec *t, int err, unsigned code) { vfmt(t, "E%d/%u;", err, code); }
static void t_end(struct vec *t, size_t pend) { vfmt(t, "Z%zu;", pend); }

/* ---------- the relay-like driver ---------- */

enum chunking { CH_WHOLE, CH_BYTE, CH_SPLIT, CH_RANDOM };

struct result {
	struct vec t;        /* transcript */
	int err;
	const char *why;
	uint16_t close_code;
	bool contract_ok;    /* every call kept the return-value contract */
	char bad[160];       /* first contract violation */
};

static void violate(struct result *res, const char *what, size_t at)
{
	if (res->contract_ok)
		snprintf(res->bad, sizeof(res->bad), "%s (input byte %zu)", what, at);
	res->contract_ok = false;
}

static void run(const struct ws_msg_cfg *cfg, const struct vec *s, enum chunking mode, size_t arg,
		bool guard, struct result *res)
{
	struct ws_msg m;
	struct vec pend = {0}, cur = {0};
	size_t pos = 0;
	unsigned cur_op = 0;
	bool cur_comp = false, in_msg = false;

	memset(res, 0, sizeof(*res));
	res->contract_ok = true;
	ws_msg_init(&m, cfg);
	while (pos < s->n || (pos == 0 && s->n == 0)) {
		size_t c;
		switch (mode) {
		case CH_WHOLE: c = s->n; break;
		case CH_BYTE: c = 1; break;
		case CH_SPLIT: c = pos < arg ? arg : s->n - pos; break;
		default: c = 1 + rnd() % arg; break;
		}
		if (c > s->n - pos)
			c = s->n - pos;
		vput(&pend, s->d + pos, c);
		pos += c;
		for (int zero_events = 0;;) {
			struct ws_event ev;
			uint8_t *g = guard ? guard_copy(pend.d, pend.n) : malloc(pend.n ? pend.n : 1);
			if (!guard && pend.n)
				memcpy(g, pend.d, pend.n);
			memset(&ev, 0x5a, sizeof(ev));
			long r = ws_msg_feed(&m, g, pend.n, &ev);
			if (r < 0) {
				res->err = (int)r;
				res->why = m.why;
				res->close_code = m.close_code;
				t_err(&res->t, (int)r, m.close_code);
				if (m.why == NULL || m.close_code == 0)
					violate(res, "error without why/close_code", pos);
				/* Fed again after an error: same error, nothing else. */
				if (ws_msg_feed(&m, g, pend.n, &ev) != r)
					violate(res, "error not sticky", pos);
				if (guard)
					guard_free(g, pend.n);
				else
					free(g);
				goto out;
			}
			if ((size_t)r > pend.n)
				violate(res, "consumed more than given", pos);
			switch (ev.type) {
			case WS_EV_NONE:
				if ((size_t)r < pend.n && pend.n - (size_t)r >= WS_FRAME_HDR_MAX)
					violate(res, "NONE left more than a partial header", pos);
				break;
			case WS_EV_DATA:
				if (ev.len == 0)
					violate(res, "empty DATA", pos);
				if (ev.data < g || ev.data + ev.len > g + r)
					violate(res, "DATA not inside the consumed input", pos);
				if (!in_msg) {
					in_msg = true;
					cur_op = ev.opcode;
					cur_comp = ev.compressed;
				} else if (ev.opcode != cur_op || ev.compressed != cur_comp) {
					violate(res, "DATA opcode/compressed changed mid-message", pos);
				}
				vput(&cur, ev.data, ev.len);
				break;
			case WS_EV_MSG_END:
				if (in_msg && (ev.opcode != cur_op || ev.compressed != cur_comp))
					violate(res, "MSG_END opcode differs from DATA", pos);
				t_msg(&res->t, ev.opcode, ev.compressed, cur.d, cur.n);
				cur.n = 0;
				in_msg = false;
				break;
			case WS_EV_PING:
				t_ctl(&res->t, 'P', 0, ev.data, ev.len);
				break;
			case WS_EV_PONG:
				t_ctl(&res->t, 'O', 0, ev.data, ev.len);
				break;
			case WS_EV_CLOSE:
				t_ctl(&res->t, 'C', ev.close_code, ev.data, ev.len);
				break;
			default:
				violate(res, "unknown event type", pos);
				break;
			}
			memmove(pend.d, pend.d + r, pend.n - (size_t)r);
			pend.n -= (size_t)r;
			if (guard)
				guard_free(g, pend.n + (size_t)r);
			else
				free(g);
			if (ev.type == WS_EV_NONE)
				break;
			if (r == 0 && ++zero_events > 2) {
				violate(res, "events without progress", pos);
				goto out;
			}
			if (r > 0)
				zero_events = 0;
		}
		if (s->n == 0)
			break;
	}
	t_end(&res->t, pend.n);
out:
	vfree(&pend);
	vfree(&cur);
}

static void result_free(struct result *r) { vfree(&r->t); }

/* Feed a stream every way; check the whole-feed transcript against `want` and every
 * other feeding against the whole one. Returns the whole-feed result in *whole (when
 * non-NULL; caller frees). */
static void check(const char *name, const struct ws_msg_cfg *cfg, const struct vec *s, const struct vec *want,
		  struct result *whole_out)
{
	struct result whole, r;
	bool same = true, contract = true;
	char first_bad[200] = "";

	run(cfg, s, CH_WHOLE, 0, true, &whole);
	if (!ok(veq(&whole.t, want), "%s: events", name)) {
		vdump("got ", &whole.t);
		vdump("want", want);
	}
	if (!whole.contract_ok) {
		contract = false;
		snprintf(first_bad, sizeof(first_bad), "whole: %s", whole.bad);
	}

	bool big = s->n > 3000;
	/* one byte at a time */
	run(cfg, s, CH_BYTE, 0, !big, &r);
	if (!veq(&r.t, &whole.t)) {
		same = false;
		vdump("bytewise", &r.t);
	}
	if (!r.contract_ok && contract) {
		contract = false;
		snprintf(first_bad, sizeof(first_bad), "bytewise: %s", r.bad);
	}
	result_free(&r);
	/* every 2-way split (small streams) */
	for (size_t k = 1; !big && k < s->n; k++) {
		run(cfg, s, CH_SPLIT, k, true, &r);
		if (!veq(&r.t, &whole.t) && same) {
			same = false;
			printf("#   split at %zu differs\n", k);
			vdump("split", &r.t);
		}
		if (!r.contract_ok && contract) {
			contract = false;
			snprintf(first_bad, sizeof(first_bad), "split %zu: %s", k, r.bad);
		}
		result_free(&r);
	}
	/* random chunks */
	for (int k = 0; k < (big ? 20 : 50); k++) {
		run(cfg, s, CH_RANDOM, big ? 5000 : 1 + (size_t)k % 17, !big, &r);
		if (!veq(&r.t, &whole.t) && same) {
			same = false;
			vdump("random", &r.t);
		}
		if (!r.contract_ok && contract) {
			contract = false;
			snprintf(first_bad, sizeof(first_bad), "random: %s", r.bad);
		}
		result_free(&r);
	}
	ok(same, "%s: same events fed whole, bytewise, split at every point, in random chunks", name);
	if (!ok(contract, "%s: return-value contract kept", name))
		printf("#   %s\n", first_bad);
	if (whole_out)
		*whole_out = whole;
	else
		result_free(&whole);
}

/* A stream expected to fail: events before the error, then the error. */
static void check_fail(const char *name, const struct ws_msg_cfg *cfg, const struct vec *s, const struct vec *before,
		       int err, unsigned code, const char *why)
{
	struct vec want = {0};
	struct result whole;
	if (before)
		vput(&want, before->d, before->n);
	t_err(&want, err, code);
	check(name, cfg, s, &want, &whole);
	if (why && !ok(whole.why && strcmp(whole.why, why) == 0, "%s: why \"%s\"", name, why))
		printf("#   got \"%s\"\n", whole.why ? whole.why : "(null)");
	result_free(&whole);
	vfree(&want);
}

static const struct ws_msg_cfg CFG = {.max_message = 1024 * 1024, .allow_rsv1 = false};
static const struct ws_msg_cfg CFG_Z = {.max_message = 1024 * 1024, .allow_rsv1 = true};

/* ---------- tests ---------- */

static void test_basic(void)
{
	struct vec s = {0}, w = {0};
	uint8_t bin[256];

	frame_s(&s, FIN | WS_OP_TEXT, "Hello");
	t_msg_s(&w, WS_OP_TEXT, "Hello");
	t_end(&w, 0);
	check("single text frame", &CFG, &s, &w, NULL);
	vfree(&s);
	vfree(&w);

	for (int i = 0; i < 256; i++)
		bin[i] = (uint8_t)i;
	frame(&s, FIN | WS_OP_BINARY, bin, sizeof(bin));
	t_msg(&w, WS_OP_BINARY, false, bin, sizeof(bin));
	t_end(&w, 0);
	check("single binary frame, 256 bytes (16-bit length)", &CFG, &s, &w, NULL);
	vfree(&s);
	vfree(&w);

	/* RFC 6455 5.7, byte for byte. */
	static const uint8_t rfc[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
	vput(&s, rfc, sizeof(rfc));
	t_msg_s(&w, WS_OP_TEXT, "Hello");
	t_end(&w, 0);
	check("RFC 6455 5.7 masked Hello", &CFG, &s, &w, NULL);
	/* Unmasked in place, and the DATA event points at it. */
	{
		struct ws_msg m;
		struct ws_event ev;
		uint8_t buf[sizeof(rfc)];
		memcpy(buf, rfc, sizeof(rfc));
		ws_msg_init(&m, &CFG);
		long r = ws_msg_feed(&m, buf, sizeof(buf), &ev);
		is_int(r, sizeof(buf), "5.7 Hello: all consumed with the DATA event");
		ok(ev.type == WS_EV_DATA && ev.data == buf + 6 && ev.len == 5 && ev.opcode == WS_OP_TEXT &&
		   !ev.compressed, "5.7 Hello: DATA points into the buffer");
		ok(memcmp(buf + 6, "Hello", 5) == 0, "5.7 Hello: unmasked in place");
		r = ws_msg_feed(&m, buf + sizeof(buf), 0, &ev);
		ok(r == 0 && ev.type == WS_EV_MSG_END && ev.opcode == WS_OP_TEXT, "5.7 Hello: MSG_END on an empty call");
		r = ws_msg_feed(&m, buf + sizeof(buf), 0, &ev);
		ok(r == 0 && ev.type == WS_EV_NONE, "then NONE");
	}
	vfree(&s);
	vfree(&w);

	/* Several messages back to back. */
	frame_s(&s, FIN | WS_OP_TEXT, "one");
	frame_s(&s, FIN | WS_OP_BINARY, "two");
	frame_s(&s, FIN | WS_OP_TEXT, "three");
	t_msg_s(&w, WS_OP_TEXT, "one");
	t_msg_s(&w, WS_OP_BINARY, "two");
	t_msg_s(&w, WS_OP_TEXT, "three");
	t_end(&w, 0);
	check("three messages back to back", &CFG, &s, &w, NULL);
	vfree(&s);
	vfree(&w);

	/* Large: 64-bit length form. */
	size_t big = 70000;
	uint8_t *p = malloc(big);
	for (size_t i = 0; i < big; i++)
		p[i] = (uint8_t)('a' + i % 26);
	frame(&s, WS_OP_TEXT, p, 40000);
	frame(&s, FIN | WS_OP_CONT, p + 40000, big - 40000);
	frame(&s, FIN | WS_OP_BINARY, p, big);
	t_msg(&w, WS_OP_TEXT, false, p, big);
	t_msg(&w, WS_OP_BINARY, false, p, big);
	t_end(&w, 0);
	check("70000-byte messages (16- and 64-bit lengths)", &CFG, &s, &w, NULL);
	free(p);
	vfree(&s);
	vfree(&w);
}

static void test_fragments(void)
{
	struct vec s = {0}, w = {0};
	uint8_t p125[125];

	/* 5.4: control frames in the middle of a fragmented message. */
	frame_s(&s, WS_OP_TEXT, "Hel");
	frame_s(&s, FIN | WS_OP_PING, "p1");
	frame_s(&s, WS_OP_CONT, "lo");
	frame_s(&s, FIN | WS_OP_PONG, "");
	frame_s(&s, WS_OP_CONT, "");
	frame_s(&s, FIN | WS_OP_PING, "");
	frame_s(&s, FIN | WS_OP_CONT, " w\xc3\xb6rld");
	t_ctl(&w, 'P', 0, "p1", 2);
	t_ctl(&w, 'O', 0, "", 0);
	t_ctl(&w, 'P', 0, "", 0);
	t_msg_s(&w, WS_OP_TEXT, "Hello w\xc3\xb6rld");
	t_end(&w, 0);
	check("fragmented text with pings/pong interleaved", &CFG, &s, &w, NULL);
	vfree(&s);
	vfree(&w);

	/* A 125-byte ping (the maximum) split across reads is reported whole. */
	for (int i = 0; i < 125; i++)
		p125[i] = (uint8_t)(i * 7);
	frame_s(&s, WS_OP_BINARY, "ab");
	frame(&s, FIN | WS_OP_PING, p125, 125);
	frame(&s, FIN | WS_OP_PONG, p125, 125);
	frame_s(&s, FIN | WS_OP_CONT, "cd");
	t_ctl(&w, 'P', 0, p125, 125);
	t_ctl(&w, 'O', 0, p125, 125);
	t_msg(&w, WS_OP_BINARY, false, "abcd", 4);
	t_end(&w, 0);
	check("125-byte ping and pong inside a binary message", &CFG, &s, &w, NULL);
	vfree(&s);
	vfree(&w);

	/* Empty messages. */
	frame_s(&s, FIN | WS_OP_TEXT, "");
	frame_s(&s, FIN | WS_OP_BINARY, "");
	frame_s(&s, WS_OP_TEXT, "");
	frame_s(&s, FIN | WS_OP_CONT, "");
	frame_s(&s, WS_OP_BINARY, "");
	frame_s(&s, WS_OP_CONT, "");
	frame_s(&s, FIN | WS_OP_PING, "x");
	frame_s(&s, WS_OP_CONT, "");
	frame_s(&s, FIN | WS_OP_CONT, "");
	t_msg_s(&w, WS_OP_TEXT, "");
	t_msg_s(&w, WS_OP_BINARY, "");
	t_msg_s(&w, WS_OP_TEXT, "");
	t_ctl(&w, 'P', 0, "x", 1);
	t_msg_s(&w, WS_OP_BINARY, "");
	t_end(&w, 0);
	check("empty messages, single and fragmented", &CFG, &s, &w, NULL);
	vfree(&s);
	vfree(&w);

	/* Data after an empty final fragment; non-empty message ending with an empty frame. */
	frame_s(&s, WS_OP_TEXT, "abc");
	frame_s(&s, FIN | WS_OP_CONT, "");
	frame_s(&s, FIN | WS_OP_TEXT, "d");
	t_msg_s(&w, WS_OP_TEXT, "abc");
	t_msg_s(&w, WS_OP_TEXT, "d");
	t_end(&w, 0);
	check("message ending with an empty FIN continuation", &CFG, &s, &w, NULL);
	vfree(&s);
	vfree(&w);

	/* Stream ending inside a frame: nothing more reported, nothing left unconsumed. */
	frame_s(&s, FIN | WS_OP_TEXT, "complete");
	frame_s(&s, WS_OP_TEXT, "partial");
	s.n -= 3;
	t_msg_s(&w, WS_OP_TEXT, "complete");
	t_end(&w, 0);
	check("stream ending mid-payload", &CFG, &s, &w, NULL);
	vfree(&s);
	vfree(&w);

	/* Stream ending inside a header: those bytes stay with the caller. */
	frame_s(&s, FIN | WS_OP_TEXT, "complete");
	{
		uint8_t h[] = {0x81, 0xfe, 0x01};
		vput(&s, h, sizeof(h));
	}
	t_msg_s(&w, WS_OP_TEXT, "complete");
	t_end(&w, 3);
	check("stream ending mid-header leaves it unconsumed", &CFG, &s, &w, NULL);
	vfree(&s);
	vfree(&w);
}

/* The return-value contract, call by call. */
static void test_contract(void)
{
	struct vec s = {0};
	struct ws_msg m;
	struct ws_event ev;
	long r;

	frame_s(&s, FIN | WS_OP_TEXT, "hi");          /* 8 bytes */
	frame_s(&s, FIN | WS_OP_PING, "pp");          /* 8 bytes */
	frame_s(&s, FIN | WS_OP_BINARY, "0123456789"); /* 16 bytes */
	s.n -= 13;                                    /* ends after 3 header bytes */

	ws_msg_init(&m, &CFG);
	r = ws_msg_feed(&m, s.d, s.n, &ev);
	ok(r == 8 && ev.type == WS_EV_DATA && ev.len == 2 && memcmp(ev.data, "hi", 2) == 0, "call 1: DATA \"hi\"");
	r = ws_msg_feed(&m, s.d + 8, s.n - 8, &ev);
	ok(r == 0 && ev.type == WS_EV_MSG_END, "call 2: MSG_END, nothing consumed");
	r = ws_msg_feed(&m, s.d + 8, s.n - 8, &ev);
	ok(r == 8 && ev.type == WS_EV_PING && ev.len == 2 && memcmp(ev.data, "pp", 2) == 0 &&
	   ev.data >= (const uint8_t *)&m && ev.data < (const uint8_t *)(&m + 1), "call 3: PING, payload in the parser");
	r = ws_msg_feed(&m, s.d + 16, s.n - 16, &ev);
	ok(r == 0 && ev.type == WS_EV_NONE && s.n - 16 == 3,
	   "call 4: NONE with 0 of 3 bytes consumed (a partial header stays with the caller)");
	r = ws_msg_feed(&m, s.d + 16, 1, &ev);
	ok(r == 0 && ev.type == WS_EV_NONE, "1 header byte: NONE, 0 consumed");
	r = ws_msg_feed(&m, s.d + 16, 0, &ev);
	ok(r == 0 && ev.type == WS_EV_NONE, "0 bytes: NONE");
	vfree(&s);

	/* Payload arriving in pieces: each piece consumed and reported at once. */
	frame_s(&s, FIN | WS_OP_BINARY, "0123456789");
	ws_msg_init(&m, &CFG);
	r = ws_msg_feed(&m, s.d, 6, &ev);
	ok(r == 6 && ev.type == WS_EV_NONE, "header alone: consumed, NONE");
	r = ws_msg_feed(&m, s.d + 6, 4, &ev);
	ok(r == 4 && ev.type == WS_EV_DATA && ev.len == 4 && memcmp(ev.data, "0123", 4) == 0, "4 payload bytes: DATA");
	r = ws_msg_feed(&m, s.d + 10, 0, &ev);
	ok(r == 0 && ev.type == WS_EV_NONE, "no more bytes mid-frame: NONE");
	r = ws_msg_feed(&m, s.d + 10, 6, &ev);
	ok(r == 6 && ev.type == WS_EV_DATA && ev.len == 6 && memcmp(ev.data, "456789", 6) == 0,
	   "rest: DATA unmasked at the right key offset");
	r = ws_msg_feed(&m, s.d + 16, 0, &ev);
	ok(r == 0 && ev.type == WS_EV_MSG_END && ev.opcode == WS_OP_BINARY, "then MSG_END");
	vfree(&s);

	/* A partial control frame is gathered, consumed, and reported when complete. */
	frame_s(&s, FIN | WS_OP_PING, "abcdef");
	ws_msg_init(&m, &CFG);
	uint8_t *g = guard_copy(s.d, s.n);
	r = ws_msg_feed(&m, g, 9, &ev);
	ok(r == 9 && ev.type == WS_EV_NONE, "half a ping: consumed, NONE");
	r = ws_msg_feed(&m, g + 9, 3, &ev);
	ok(r == 3 && ev.type == WS_EV_PING && ev.len == 6 && memcmp(ev.data, "abcdef", 6) == 0,
	   "rest of the ping: PING with the whole payload");
	guard_free(g, s.n);
	vfree(&s);
}

static void test_rules(void)
{
	struct vec s = {0}, b = {0};
	char name[128];

	/* 5.1: unmasked */
	frame_x(&s, FIN | WS_OP_TEXT, "hi", 2, 7, false);
	check_fail("unmasked text frame", &CFG, &s, NULL, WS_E_PROTO, 1002, "frame not masked");
	vfree(&s);
	frame_s(&s, FIN | WS_OP_TEXT, "ok");
	frame_x(&s, FIN | WS_OP_PING, "", 0, 7, false);
	t_msg_s(&b, WS_OP_TEXT, "ok");
	check_fail("unmasked ping after a good message", &CFG, &s, &b, WS_E_PROTO, 1002, "frame not masked");
	vfree(&s);
	vfree(&b);

	/* 5.2: RSV bits */
	frame_s(&s, FIN | RSV2 | WS_OP_TEXT, "x");
	check_fail("RSV2", &CFG_Z, &s, NULL, WS_E_PROTO, 1002, "RSV2 or RSV3 set");
	vfree(&s);
	frame_s(&s, FIN | RSV3 | WS_OP_BINARY, "x");
	check_fail("RSV3", &CFG_Z, &s, NULL, WS_E_PROTO, 1002, "RSV2 or RSV3 set");
	vfree(&s);
	frame_s(&s, FIN | RSV1 | WS_OP_TEXT, "x");
	check_fail("RSV1 without permessage-deflate", &CFG, &s, NULL, WS_E_PROTO, 1002,
		   "RSV1 set without permessage-deflate");
	vfree(&s);
	frame_s(&s, RSV1 | WS_OP_TEXT, "x");
	frame_s(&s, FIN | RSV1 | WS_OP_CONT, "y");
	check_fail("RSV1 on a continuation", &CFG_Z, &s, NULL, WS_E_PROTO, 1002, "RSV1 set on a continuation frame");
	vfree(&s);
	frame_s(&s, FIN | RSV1 | WS_OP_PING, "");
	check_fail("RSV1 on a ping", &CFG_Z, &s, NULL, WS_E_PROTO, 1002, "RSV1 set on a control frame");
	vfree(&s);
	frame_s(&s, FIN | RSV1 | WS_OP_CLOSE, "");
	check_fail("RSV1 on a close", &CFG_Z, &s, NULL, WS_E_PROTO, 1002, "RSV1 set on a control frame");
	vfree(&s);

	/* RSV1 on the first frame with deflate: compressed, not UTF-8 checked here. */
	{
		struct vec w = {0};
		frame_s(&s, RSV1 | WS_OP_TEXT, "\xff\xfe");
		frame_s(&s, FIN | WS_OP_PING, "");
		frame_s(&s, FIN | WS_OP_CONT, "\xc0");
		frame_s(&s, FIN | RSV1 | WS_OP_BINARY, "\x01");
		frame_s(&s, FIN | WS_OP_TEXT, "plain");
		t_ctl(&w, 'P', 0, "", 0);
		t_msg(&w, WS_OP_TEXT, true, "\xff\xfe\xc0", 3);
		t_msg(&w, WS_OP_BINARY, true, "\x01", 1);
		t_msg_s(&w, WS_OP_TEXT, "plain");
		t_end(&w, 0);
		check("compressed messages flagged, not UTF-8 checked", &CFG_Z, &s, &w, NULL);
		vfree(&s);
		vfree(&w);
		frame_s(&s, FIN | RSV1 | WS_OP_TEXT, "ok");
		frame_s(&s, FIN | WS_OP_TEXT, "\xff");
		t_msg(&w, WS_OP_TEXT, true, "ok", 2);
		check_fail("uncompressed text after a compressed one is checked again", &CFG_Z, &s, &w, WS_E_UTF8,
			   1007, "invalid UTF-8 in text message");
		vfree(&s);
		vfree(&w);
	}

	/* 5.2: reserved opcodes */
	for (unsigned op = 3; op <= 0xf; op++) {
		if (op >= 8 && op <= 0xa)
			continue;
		frame_s(&s, FIN | op, "");
		snprintf(name, sizeof(name), "reserved opcode 0x%x", op);
		check_fail(name, &CFG, &s, NULL, WS_E_PROTO, 1002, "reserved opcode");
		vfree(&s);
	}
	frame_s(&s, WS_OP_TEXT, "a");
	frame_s(&s, FIN | 0xb, "");
	check_fail("reserved control opcode 0xb inside a message", &CFG, &s, NULL, WS_E_PROTO, 1002, "reserved opcode");
	vfree(&s);

	/* 5.5: control frames */
	{
		static uint8_t p[65536];
		static const unsigned ctl_ops[] = {WS_OP_PING, WS_OP_PONG, WS_OP_CLOSE};
		for (size_t i = 0; i < 3; i++) {
			frame(&s, FIN | ctl_ops[i], p, 126);
			snprintf(name, sizeof(name), "control 0x%x with 126 bytes", ctl_ops[i]);
			check_fail(name, &CFG, &s, NULL, WS_E_PROTO, 1002, "control frame payload over 125 bytes");
			vfree(&s);
			frame_x(&s, FIN | ctl_ops[i], p, 5, 16, true);
			snprintf(name, sizeof(name), "control 0x%x with a 16-bit length", ctl_ops[i]);
			check_fail(name, &CFG, &s, NULL, WS_E_PROTO, 1002, "control frame payload over 125 bytes");
			vfree(&s);
			frame_x(&s, FIN | ctl_ops[i], p, 65536, 64, true);
			snprintf(name, sizeof(name), "control 0x%x with a 64-bit length", ctl_ops[i]);
			check_fail(name, &CFG, &s, NULL, WS_E_PROTO, 1002, "control frame payload over 125 bytes");
			vfree(&s);
			frame(&s, ctl_ops[i], p, 1);
			snprintf(name, sizeof(name), "control 0x%x without FIN", ctl_ops[i]);
			check_fail(name, &CFG, &s, NULL, WS_E_PROTO, 1002, "fragmented control frame");
			vfree(&s);
		}
		/* 126-byte ping fails from its first two bytes, before any payload. */
		struct ws_msg m;
		struct ws_event ev;
		uint8_t h[2] = {0x89, 0xfe};
		ws_msg_init(&m, &CFG);
		is_int(ws_msg_feed(&m, h, 2, &ev), WS_E_PROTO, "control frame too long fails on its first 2 bytes");
		uint8_t h1[1] = {0x09};
		ws_msg_init(&m, &CFG);
		is_int(ws_msg_feed(&m, h1, 1, &ev), WS_E_PROTO, "fragmented ping fails on its first byte");
		uint8_t h2[2] = {0x81, 0x05};
		ws_msg_init(&m, &CFG);
		is_int(ws_msg_feed(&m, h2, 2, &ev), WS_E_PROTO, "unmasked frame fails on its first 2 bytes");
		uint8_t h3[1] = {0xa1};
		ws_msg_init(&m, &CFG);
		is_int(ws_msg_feed(&m, h3, 1, &ev), WS_E_PROTO, "RSV2 fails on the first byte");
	}

	/* 5.4: sequencing */
	frame_s(&s, FIN | WS_OP_CONT, "x");
	check_fail("continuation without a message", &CFG, &s, NULL, WS_E_PROTO, 1002,
		   "continuation frame without a message in progress");
	vfree(&s);
	frame_s(&s, WS_OP_CONT, "");
	check_fail("empty non-FIN continuation without a message", &CFG, &s, NULL, WS_E_PROTO, 1002,
		   "continuation frame without a message in progress");
	vfree(&s);
	frame_s(&s, FIN | WS_OP_TEXT, "a");
	frame_s(&s, FIN | WS_OP_CONT, "b");
	t_msg_s(&b, WS_OP_TEXT, "a");
	check_fail("continuation after a complete message", &CFG, &s, &b, WS_E_PROTO, 1002,
		   "continuation frame without a message in progress");
	vfree(&s);
	vfree(&b);
	frame_s(&s, WS_OP_TEXT, "a");
	frame_s(&s, FIN | WS_OP_TEXT, "b");
	check_fail("text inside a fragmented message", &CFG, &s, NULL, WS_E_PROTO, 1002,
		   "data frame inside a fragmented message");
	vfree(&s);
	frame_s(&s, WS_OP_TEXT, "a");
	frame_s(&s, FIN | WS_OP_PING, "");
	frame_s(&s, FIN | WS_OP_BINARY, "b");
	t_ctl(&b, 'P', 0, "", 0);
	check_fail("binary inside a fragmented text message", &CFG, &s, &b, WS_E_PROTO, 1002,
		   "data frame inside a fragmented message");
	vfree(&s);
	vfree(&b);
	frame_s(&s, WS_OP_BINARY, "");
	frame_s(&s, WS_OP_BINARY, "");
	check_fail("binary inside an empty fragmented message", &CFG, &s, NULL, WS_E_PROTO, 1002,
		   "data frame inside a fragmented message");
	vfree(&s);

	/* 5.2: length encoding, via the frame codec */
	frame_x(&s, FIN | WS_OP_BINARY, "abc", 3, 16, true);
	check_fail("16-bit length for 3 bytes", &CFG, &s, NULL, WS_E_PROTO, 1002, "frame length not minimally encoded");
	vfree(&s);
	frame_x(&s, FIN | WS_OP_BINARY, "abc", 3, 64, true);
	check_fail("64-bit length for 3 bytes", &CFG, &s, NULL, WS_E_PROTO, 1002, "frame length not minimally encoded");
	vfree(&s);
	{
		uint8_t h[] = {0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4};
		vput(&s, h, sizeof(h));
		check_fail("64-bit length with the MSB set", &CFG, &s, NULL, WS_E_PROTO, 1002,
			   "frame length has its most significant bit set");
		vfree(&s);
	}
}

static void test_utf8(void)
{
	struct vec s = {0}, b = {0};
	const char *kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";
	size_t kl = strlen(kosme);

	frame_s(&s, FIN | WS_OP_TEXT, "ab\xff" "cd");
	check_fail("invalid UTF-8 in one frame", &CFG, &s, NULL, WS_E_UTF8, 1007, "invalid UTF-8 in text message");
	vfree(&s);
	frame_s(&s, FIN | WS_OP_TEXT, "\xed\xa0\x80");
	check_fail("surrogate in a text frame", &CFG, &s, NULL, WS_E_UTF8, 1007, "invalid UTF-8 in text message");
	vfree(&s);
	frame_s(&s, FIN | WS_OP_BINARY, "\xff\xed\xa0\x80\xc0");
	frame_s(&s, FIN | WS_OP_PING, "\xff");
	{
		struct vec w = {0};
		t_msg(&w, WS_OP_BINARY, false, "\xff\xed\xa0\x80\xc0", 5);
		t_ctl(&w, 'P', 0, "\xff", 1);
		t_end(&w, 0);
		check("binary and ping payloads are not UTF-8 checked", &CFG, &s, &w, NULL);
		vfree(&w);
	}
	vfree(&s);

	/* Fail fast across fragments: the message never gets its FIN. */
	frame_s(&s, WS_OP_TEXT, "good ");
	frame_s(&s, FIN | WS_OP_PING, "");
	frame_s(&s, WS_OP_CONT, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80 more");
	t_ctl(&b, 'P', 0, "", 0);
	check_fail("invalid UTF-8 in a middle fragment, no FIN ever", &CFG, &s, &b, WS_E_UTF8, 1007,
		   "invalid UTF-8 in text message");
	vfree(&s);
	vfree(&b);

	/* ... and within a partial frame: the payload is incomplete when the error hits. */
	{
		struct ws_msg m;
		struct ws_event ev;
		frame_s(&s, WS_OP_TEXT, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80 and more to come");
		ws_msg_init(&m, &CFG);
		long r = ws_msg_feed(&m, s.d, 6, &ev);
		ok(r == 6 && ev.type == WS_EV_NONE, "partial text frame: header consumed");
		r = ws_msg_feed(&m, s.d + 6, 12, &ev);
		ok(r == 12 && ev.type == WS_EV_DATA && ev.len == 12, "payload up to the \\xed: DATA");
		r = ws_msg_feed(&m, s.d + 18, 1, &ev);
		is_int(r, WS_E_UTF8, "the \\xa0 alone fails at once, frame and message unfinished");
		is_int(m.close_code, 1007, "close code 1007");
		vfree(&s);
	}

	/* Truncated sequence at the end of the message. */
	frame_s(&s, FIN | WS_OP_TEXT, "abc\xce");
	check_fail("text ending mid-sequence", &CFG, &s, NULL, WS_E_UTF8, 1007, "truncated UTF-8 sequence in text message");
	vfree(&s);
	frame_s(&s, WS_OP_TEXT, "abc\xe2\x82");
	frame_s(&s, FIN | WS_OP_CONT, "");
	check_fail("text ending mid-sequence at an empty final frame", &CFG, &s, NULL, WS_E_UTF8, 1007,
		   "truncated UTF-8 sequence in text message");
	vfree(&s);
	frame_s(&s, WS_OP_TEXT, "\xf0\x9f");
	frame_s(&s, FIN | WS_OP_TEXT, "x");
	check_fail("sequencing error reported as 1002 even mid-sequence", &CFG, &s, NULL, WS_E_PROTO, 1002,
		   "data frame inside a fragmented message");
	vfree(&s);

	/* A sequence split across fragments at every point is fine. */
	bool all = true;
	for (size_t k = 0; k <= kl; k++) {
		struct vec w = {0};
		struct result r;
		frame(&s, WS_OP_TEXT, kosme, k);
		frame_s(&s, FIN | WS_OP_PONG, "");
		frame(&s, FIN | WS_OP_CONT, kosme + k, kl - k);
		t_ctl(&w, 'O', 0, "", 0);
		t_msg_s(&w, WS_OP_TEXT, kosme);
		t_end(&w, 0);
		for (size_t c = 0; c <= s.n; c++) {
			run(&CFG, &s, c ? CH_SPLIT : CH_WHOLE, c, true, &r);
			if (!veq(&r.t, &w) || !r.contract_ok)
				all = false;
			result_free(&r);
		}
		vfree(&s);
		vfree(&w);
	}
	ok(all, "UTF-8 split between fragments at every byte, fed split at every byte");

	/* A bad byte in the next message after a valid one, and state reset per message. */
	frame_s(&s, WS_OP_TEXT, "ok\xe2");
	frame_s(&s, FIN | WS_OP_CONT, "\x82\xac");
	frame_s(&s, FIN | WS_OP_TEXT, "\x82\xac");
	t_msg_s(&b, WS_OP_TEXT, "ok\xe2\x82\xac");
	check_fail("UTF-8 state does not leak into the next message", &CFG, &s, &b, WS_E_UTF8, 1007,
		   "invalid UTF-8 in text message");
	vfree(&s);
	vfree(&b);
}

static void test_limit(void)
{
	struct ws_msg_cfg c10 = {.max_message = 10, .allow_rsv1 = false};
	struct ws_msg_cfg c0 = {.max_message = 0, .allow_rsv1 = false};
	struct vec s = {0}, w = {0};

	frame_s(&s, FIN | WS_OP_TEXT, "0123456789");
	frame_s(&s, FIN | WS_OP_BINARY, "0123456789");
	frame_s(&s, FIN | WS_OP_PING, "a ping longer than ten bytes");
	t_msg_s(&w, WS_OP_TEXT, "0123456789");
	t_msg_s(&w, WS_OP_BINARY, "0123456789");
	t_ctl(&w, 'P', 0, "a ping longer than ten bytes", 28);
	t_end(&w, 0);
	check("max_message 10: 10 bytes in one frame, twice; control frames not counted", &c10, &s, &w, NULL);
	vfree(&s);
	vfree(&w);

	frame_s(&s, FIN | WS_OP_TEXT, "0123456789A");
	check_fail("max_message 10: 11 bytes in one frame", &c10, &s, NULL, WS_E_LIMIT, 1009, "message too big");
	vfree(&s);

	frame_s(&s, WS_OP_TEXT, "0123");
	frame_s(&s, FIN | WS_OP_PING, "");
	frame_s(&s, WS_OP_CONT, "45678");
	frame_s(&s, WS_OP_CONT, "");
	frame_s(&s, FIN | WS_OP_CONT, "9");
	t_ctl(&w, 'P', 0, "", 0);
	t_msg_s(&w, WS_OP_TEXT, "0123456789");
	t_end(&w, 0);
	check("max_message 10: 10 bytes across fragments", &c10, &s, &w, NULL);
	vfree(&s);
	vfree(&w);

	frame_s(&s, WS_OP_BINARY, "0123");
	frame_s(&s, WS_OP_CONT, "456789");
	frame_s(&s, FIN | WS_OP_CONT, "A");
	check_fail("max_message 10: 11 bytes across fragments", &c10, &s, NULL, WS_E_LIMIT, 1009, "message too big");
	vfree(&s);

	/* Fails at the header, before its payload arrives. */
	{
		struct ws_msg m;
		struct ws_event ev;
		frame_s(&s, WS_OP_TEXT, "0123456");
		frame_s(&s, FIN | WS_OP_CONT, "7890");
		ws_msg_init(&m, &c10);
		long r = ws_msg_feed(&m, s.d, s.n, &ev);
		ok(r == 13 && ev.type == WS_EV_DATA, "first fragment: DATA");
		r = ws_msg_feed(&m, s.d + 13, 6, &ev);
		is_int(r, WS_E_LIMIT, "second fragment fails on its header alone");
		is_int(m.close_code, 1009, "close code 1009");
		vfree(&s);
		uint8_t h[] = {0x82, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
		struct ws_msg_cfg big = {.max_message = WS_MESSAGE_MAX};
		ws_msg_init(&m, &big);
		is_int(ws_msg_feed(&m, h, sizeof(h), &ev), WS_E_LIMIT, "a 2^62-byte frame fails on its header");
		ws_msg_init(&m, &CFG);
		uint8_t h2[] = {0x82, 0xff, 0, 0, 0, 0, 0, 0x10, 0, 1, 1, 2, 3, 4};
		is_int(ws_msg_feed(&m, h2, sizeof(h2), &ev), WS_E_LIMIT, "1 MiB + 1 against the default limit");
		ws_msg_init(&m, &CFG);
		uint8_t h3[] = {0x82, 0xff, 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4};
		long r3 = ws_msg_feed(&m, h3, sizeof(h3), &ev);
		ok(r3 == 14 && ev.type == WS_EV_NONE, "exactly 1 MiB against the default limit: accepted");
	}

	frame_s(&s, FIN | WS_OP_TEXT, "");
	frame_s(&s, WS_OP_BINARY, "");
	frame_s(&s, FIN | WS_OP_CONT, "");
	frame_s(&s, FIN | WS_OP_TEXT, "x");
	t_msg_s(&w, WS_OP_TEXT, "");
	t_msg_s(&w, WS_OP_BINARY, "");
	check_fail("max_message 0: empty messages only", &c0, &s, &w, WS_E_LIMIT, 1009, "message too big");
	vfree(&s);
	vfree(&w);

	/* The count resets per message: 10 + 10 in consecutive fragmented messages. */
	frame_s(&s, WS_OP_TEXT, "01234");
	frame_s(&s, FIN | WS_OP_CONT, "56789");
	frame_s(&s, WS_OP_TEXT, "01234");
	frame_s(&s, FIN | WS_OP_CONT, "56789");
	frame_s(&s, WS_OP_TEXT, "01234");
	frame_s(&s, FIN | WS_OP_CONT, "56789x");
	t_msg_s(&w, WS_OP_TEXT, "0123456789");
	t_msg_s(&w, WS_OP_TEXT, "0123456789");
	check_fail("max_message 10: count resets per message", &c10, &s, &w, WS_E_LIMIT, 1009, "message too big");
	vfree(&s);
	vfree(&w);
}

static void test_close(void)
{
	struct vec s = {0}, w = {0};
	char name[96];

	frame_s(&s, FIN | WS_OP_CLOSE, "");
	t_ctl(&w, 'C', 1005, "", 0);
	t_end(&w, 0);
	check("close without a body reports 1005", &CFG, &s, &w, NULL);
	vfree(&s);
	vfree(&w);

	close_frame(&s, 1000, "", 0);
	t_ctl(&w, 'C', 1000, "", 0);
	t_end(&w, 0);
	check("close 1000 without a reason", &CFG, &s, &w, NULL);
	vfree(&s);
	vfree(&w);

	close_frame(&s, 1001, "going away \xe2\x9c\x93", 14);
	t_ctl(&w, 'C', 1001, "going away \xe2\x9c\x93", 14);
	t_end(&w, 0);
	check("close 1001 with a UTF-8 reason", &CFG, &s, &w, NULL);
	vfree(&s);
	vfree(&w);

	{
		char r123[123];
		memset(r123, 'r', sizeof(r123));
		close_frame(&s, 4999, r123, sizeof(r123));
		t_ctl(&w, 'C', 4999, r123, sizeof(r123));
		t_end(&w, 0);
		check("close with a 123-byte reason", &CFG, &s, &w, NULL);
		vfree(&s);
		vfree(&w);
	}

	frame_s(&s, FIN | WS_OP_CLOSE, "\x03");
	check_fail("close with a 1-byte body", &CFG, &s, NULL, WS_E_PROTO, 1002, "close frame with a 1-byte payload");
	vfree(&s);

	static const unsigned bad[] = {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		close_frame(&s, bad[i], "", 0);
		snprintf(name, sizeof(name), "close code %u is invalid", bad[i]);
		check_fail(name, &CFG, &s, NULL, WS_E_PROTO, 1002, "invalid close code");
		vfree(&s);
		ok(!ws_close_code_valid(bad[i]), "ws_close_code_valid(%u) false", bad[i]);
	}
	static const unsigned good[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
					3000, 3999, 4000, 4999};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		close_frame(&s, good[i], "x", 1);
		t_ctl(&w, 'C', good[i], "x", 1);
		t_end(&w, 0);
		snprintf(name, sizeof(name), "close code %u is valid", good[i]);
		check(name, &CFG, &s, &w, NULL);
		vfree(&s);
		vfree(&w);
		ok(ws_close_code_valid(good[i]), "ws_close_code_valid(%u) true", good[i]);
	}
	bool all = true;
	for (unsigned c = 0; c < 70000; c++) {
		bool want = (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
		if (ws_close_code_valid(c) != want)
			all = false;
	}
	ok(all, "ws_close_code_valid over 0..69999");

	close_frame(&s, 1000, "\xff", 1);
	check_fail("close reason not UTF-8", &CFG, &s, NULL, WS_E_UTF8, 1007, "close reason not valid UTF-8");
	vfree(&s);
	close_frame(&s, 1000, "ok\xe2\x82", 4);
	check_fail("close reason truncated UTF-8", &CFG, &s, NULL, WS_E_UTF8, 1007, "close reason not valid UTF-8");
	vfree(&s);
	close_frame(&s, 999, "\xff", 1);
	check_fail("bad code and bad reason: the code is judged first", &CFG, &s, NULL, WS_E_PROTO, 1002,
		   "invalid close code");
	vfree(&s);

	/* Anything after a Close is an error, even a single byte; nothing is no error. */
	close_frame(&s, 1000, "", 0);
	frame_s(&s, FIN | WS_OP_PONG, "");
	t_ctl(&w, 'C', 1000, "", 0);
	check_fail("a frame after close", &CFG, &s, &w, WS_E_PROTO, 1002, "data after a close frame");
	vfree(&s);
	frame_s(&s, FIN | WS_OP_CLOSE, "");
	vput(&s, "\x00", 1);
	w.n = 0;
	t_ctl(&w, 'C', 1005, "", 0);
	check_fail("one byte after close", &CFG, &s, &w, WS_E_PROTO, 1002, "data after a close frame");
	vfree(&s);
	vfree(&w);
	{
		struct ws_msg m;
		struct ws_event ev;
		close_frame(&s, 1000, "", 0);
		ws_msg_init(&m, &CFG);
		long r = ws_msg_feed(&m, s.d, s.n, &ev);
		ok(r == (long)s.n && ev.type == WS_EV_CLOSE && ev.close_code == 1000, "close consumed");
		r = ws_msg_feed(&m, s.d + s.n, 0, &ev);
		ok(r == 0 && ev.type == WS_EV_NONE, "after close, an empty call is NONE");
		vfree(&s);
	}

	/* Close in the middle of a fragmented message (5.4: control frames may interleave),
	 * then the rest of the message is an error. */
	frame_s(&s, WS_OP_TEXT, "abc");
	close_frame(&s, 1000, "", 0);
	frame_s(&s, FIN | WS_OP_CONT, "def");
	t_ctl(&w, 'C', 1000, "", 0);
	check_fail("close inside a fragmented message, then more", &CFG, &s, &w, WS_E_PROTO, 1002,
		   "data after a close frame");
	vfree(&s);
	vfree(&w);
}

/* Random valid streams of fragmented messages with interleaved control frames, against
 * the transcript built alongside. */
static void test_random_streams(void)
{
	bool all = true, contract = true;
	for (int t = 0; t < 300; t++) {
		struct vec s = {0}, w = {0};
		struct ws_msg_cfg cfg = {.max_message = 1u << 20, .allow_rsv1 = (rnd() & 1) != 0};
		int nmsg = 1 + (int)(rnd() % 6);
		for (int i = 0; i < nmsg; i++) {
			uint8_t data[600];
			size_t len = rnd() % 4 == 0 ? 0 : rnd() % sizeof(data);
			bool text = rnd() & 1;
			bool comp = cfg.allow_rsv1 && (rnd() % 3 == 0);
			size_t n = 0;
			while (n < len) {
				/* valid UTF-8 for text: ASCII and 2/3/4-byte chars */
				uint32_t r = rnd() % 8;
				if (text && r == 5 && n + 2 <= len) {
					data[n++] = 0xc3;
					data[n++] = 0xa9;
				} else if (text && r == 6 && n + 3 <= len) {
					data[n++] = 0xe2;
					data[n++] = 0x82;
					data[n++] = 0xac;
				} else if (text && r == 7 && n + 4 <= len) {
					data[n++] = 0xf0;
					data[n++] = 0x9f;
					data[n++] = 0x98;
					data[n++] = 0x80;
				} else {
					data[n++] = text ? (uint8_t)(0x20 + rnd() % 90) : (uint8_t)rnd();
				}
			}
			len = n;
			/* split into fragments at random points, controls between them */
			size_t at = 0;
			bool first = true;
			for (;;) {
				size_t c = len - at;
				bool last = rnd() % 3 == 0 || c == 0;
				if (!last)
					c = rnd() % (c + 1);
				unsigned b0 = first ? (text ? WS_OP_TEXT : WS_OP_BINARY) | (comp ? RSV1 : 0) : WS_OP_CONT;
				if (last)
					c = len - at;
				frame(&s, b0 | (last ? FIN : 0), data + at, c);
				at += c;
				first = false;
				if (last)
					break;
				if (rnd() % 3 == 0) {
					uint8_t cp[125];
					size_t cl = rnd() % 126;
					for (size_t k = 0; k < cl; k++)
						cp[k] = (uint8_t)rnd();
					bool ping = rnd() & 1;
					frame(&s, FIN | (ping ? WS_OP_PING : WS_OP_PONG), cp, cl);
					t_ctl(&w, ping ? 'P' : 'O', 0, cp, cl);
				}
			}
			t_msg(&w, text ? WS_OP_TEXT : WS_OP_BINARY, comp, data, len);
		}
		if (rnd() & 1) {
			unsigned code = 1000 + rnd() % 4;
			close_frame(&s, code, "bye", 3);
			t_ctl(&w, 'C', code, "bye", 3);
		}
		t_end(&w, 0);
		struct result r0, r;
		run(&cfg, &s, CH_WHOLE, 0, false, &r0);
		bool good = r0.contract_ok && veq(&r0.t, &w);
		for (int k = 0; good && k < 4; k++) {
			run(&cfg, &s, k == 0 ? CH_BYTE : CH_RANDOM, 1 + rnd() % 40, false, &r);
			if (!veq(&r.t, &r0.t))
				good = false;
			if (!r.contract_ok)
				contract = false;
			result_free(&r);
		}
		if (!good && all) {
			printf("# random stream %d failed\n", t);
			vdump("got ", &r0.t);
			vdump("want", &w);
		}
		if (!good)
			all = false;
		result_free(&r0);
		vfree(&s);
		vfree(&w);
	}
	ok(all, "300 random streams: expected events, same under bytewise and random chunking");
	ok(contract, "300 random streams: return-value contract kept");
}

int main(void)
{
	test_basic();
	test_fragments();
	test_contract();
	test_rules();
	test_utf8();
	test_limit();
	test_close();
	test_random_streams();
	return done_testing();
}
