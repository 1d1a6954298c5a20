/* fuzz_msg - the frame decoder and the message layer as one stateful target
 * (handler/frame.c, handler/msg.c, handler/utf8.c), fed the same byte stream twice: once
 * whole, once in random splits the way the relay feeds it (an incomplete header left
 * over is kept at the head of the buffer and new bytes are appended after it).
 *
 * Input: byte 0 picks the configuration (max_message, allow_rsv1), bytes 1-4 seed the
 * split sizes, the rest is the client's byte stream.
 * Properties:
 *   - ws_msg_feed consumes 0..len bytes, never reports an empty DATA event, leaves at
 *     most WS_FRAME_HDR_MAX-1 bytes unconsumed with WS_EV_NONE, and its DATA points into
 *     the buffer it was given;
 *   - after an error it returns the same error and consumes nothing, with a close code
 *     1002/1007/1009 matching the error;
 *   - no message is longer than max_message; text messages are valid UTF-8; control
 *     payloads are <= 125 bytes; a close code is valid or 1005;
 *   - the split feed and the whole feed give the same events (DATA joined per message)
 *     and end in the same error, if any;
 *   - each decoded frame header re-encodes to a header that decodes to the same fields. */
#include <stdbool.h>
#include <string.h>

#include "err.h"
#include "frame.h"
#include "fuzz.h"
#include "msg.h"
#include "utf8.h"

#define MAXEV 4096

struct rec {
	enum ws_ev_type type;
	uint8_t opcode;
	uint16_t code;
	size_t off, len; /* into the record's byte store */
};

struct store {
	uint8_t *b;
	size_t n, cap;
};

struct trace {
	struct rec ev[MAXEV];
	size_t nev;
	struct store bytes; /* payloads of completed messages and control frames */
	struct store cur;   /* the data message in progress */
	int err;
	uint16_t err_code;
};

static void put(struct store *s, const uint8_t *p, size_t n)
{
	if (s->b == NULL || s->n + n > s->cap) {
		size_t c = s->cap ? s->cap * 2 : 4096;
		while (c < s->n + n)
			c *= 2;
		s->b = realloc(s->b, c);
		if (!s->b)
			abort();
		s->cap = c;
	}
	if (n)
		memcpy(s->b + s->n, p, n);
	s->n += n;
}

static void record(struct trace *t, const struct ws_event *ev, const struct ws_msg_cfg *cfg)
{
	if (ev->type == WS_EV_DATA) {
		put(&t->cur, ev->data, ev->len);
		CHECK(t->cur.n <= cfg->max_message, "message over max_message");
		return;
	}
	if (t->nev >= MAXEV)
		return;
	struct rec *r = &t->ev[t->nev++];
	r->type = ev->type;
	r->opcode = ev->opcode;
	r->code = ev->close_code;
	r->off = t->bytes.n;
	if (ev->type == WS_EV_MSG_END) {
		r->len = t->cur.n;
		put(&t->bytes, t->cur.b, t->cur.n);
		t->cur.n = 0;
		CHECK(ev->opcode == WS_OP_TEXT || ev->opcode == WS_OP_BINARY, "MSG_END opcode");
		if (ev->opcode == WS_OP_TEXT && !ev->compressed)
			CHECK(utf8_valid(t->bytes.b + r->off, r->len), "text message not UTF-8");
	} else {
		CHECK(ev->len <= WS_CONTROL_MAX, "control payload %zu", ev->len);
		r->len = ev->len;
		put(&t->bytes, ev->data, ev->len);
		if (ev->type == WS_EV_CLOSE) {
			CHECK(ev->close_code == 1005 || ws_close_code_valid(ev->close_code),
			      "close code %u", ev->close_code);
			CHECK(utf8_valid(ev->data, ev->len), "close reason not UTF-8");
		}
	}
}

/* One call: check its contract, record its event. Returns bytes consumed or -1 on error;
 * *type gets the event type. */
static long step(struct ws_msg *m, uint8_t *buf, size_t len, struct trace *t,
		 enum ws_ev_type *type)
{
	struct ws_event ev;
	memset(&ev, 0x5A, sizeof(ev));
	long r = ws_msg_feed(m, buf, len, &ev);
	if (r < 0) {
		CHECK(r == WS_E_PROTO || r == WS_E_UTF8 || r == WS_E_LIMIT, "error %ld", r);
		uint16_t want = r == WS_E_PROTO ? 1002 : r == WS_E_UTF8 ? 1007 : 1009;
		CHECK(m->close_code == want, "close code %u for error %ld", m->close_code, r);
		CHECK(m->why != NULL, "no reason");
		struct ws_event ev2;
		long again = ws_msg_feed(m, buf, len, &ev2);
		CHECK(again == r, "fed after an error: %ld then %ld", r, again);
		t->err = (int)r;
		t->err_code = m->close_code;
		return -1;
	}
	CHECK((size_t)r <= len, "consumed %ld of %zu", r, len);
	*type = ev.type;
	if (ev.type == WS_EV_NONE) {
		CHECK((size_t)r == len || len - (size_t)r < WS_FRAME_HDR_MAX, "left %zu bytes",
		      len - (size_t)r);
	} else {
		CHECK(ev.type >= WS_EV_DATA && ev.type <= WS_EV_CLOSE, "event type %d", ev.type);
		if (ev.type == WS_EV_DATA) {
			CHECK(ev.len > 0, "empty DATA");
			CHECK(ev.data >= buf && ev.data + ev.len <= buf + r, "DATA outside the input");
		}
		record(t, &ev, &m->cfg);
	}
	return r;
}

/* Feed buf[0..len) until the parser wants more input; returns the bytes consumed, or -1
 * after an error. */
static long drain(struct ws_msg *m, uint8_t *buf, size_t len, struct trace *t)
{
	size_t off = 0;
	for (size_t guard = 0; guard < 4 * len + 16; guard++) {
		enum ws_ev_type type;
		long r = step(m, buf + off, len - off, t, &type);
		if (r < 0)
			return -1;
		off += (size_t)r;
		if (type == WS_EV_NONE)
			return (long)off;
	}
	CHECK(0, "no WS_EV_NONE after %zu calls", 4 * len + 16);
	return -1;
}

static void run_whole(const struct ws_msg_cfg *cfg, const uint8_t *in, size_t n, struct trace *t)
{
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		abort();
	memcpy(buf, in, n);
	struct ws_msg m;
	ws_msg_init(&m, cfg);
	drain(&m, buf, n, t);
	free(buf);
}

static void run_split(const struct ws_msg_cfg *cfg, const uint8_t *in, size_t n, uint32_t seed,
		      struct trace *t)
{
	struct rng g;
	rng_seed(&g, seed);
	/* The relay's buffer: a kept partial header, then the newly read bytes. */
	uint8_t *buf = malloc(n + WS_FRAME_HDR_MAX);
	if (!buf)
		abort();
	size_t have = 0, pos = 0;
	struct ws_msg m;
	ws_msg_init(&m, cfg);
	while (pos < n) {
		uint32_t k = rng_next(&g);
		size_t chunk = (k & 3) == 0 ? 1 : (k & 3) == 1 ? 1 + (k >> 8) % 7 : 1 + (k >> 8) % 300;
		if (chunk > n - pos)
			chunk = n - pos;
		memcpy(buf + have, in + pos, chunk);
		have += chunk;
		pos += chunk;
		long off = drain(&m, buf, have, t);
		if (off < 0)
			break;
		/* Keep what was not consumed (an incomplete header) at the head. */
		CHECK(have - (size_t)off < WS_FRAME_HDR_MAX, "kept %zu bytes", have - (size_t)off);
		memmove(buf, buf + off, have - (size_t)off);
		have -= (size_t)off;
	}
	free(buf);
}

static void frame_roundtrip(const uint8_t *in, size_t n)
{
	struct ws_frame_hdr h, h2;
	const char *why = NULL;
	int r = ws_frame_decode(in, n, &h, &why);
	if (r == WS_NEED_MORE)
		return;
	if (r < 0) {
		CHECK(r == WS_E_PROTO && why != NULL, "decode error %d", r);
		return;
	}
	CHECK(r >= 2 && r <= (int)WS_FRAME_HDR_MAX && (size_t)r <= n, "header size %d", r);
	CHECK(h.len >> 63 == 0, "63-bit length");
	uint8_t out[WS_FRAME_HDR_MAX];
	size_t e = ws_frame_encode(out, h.fin, h.rsv, h.opcode, h.len, h.masked ? h.mask : NULL);
	CHECK((int)e == r, "re-encoded size %zu vs %d", e, r);
	CHECK(memcmp(out, in, e) == 0, "re-encoding differs");
	CHECK(ws_frame_decode(out, e, &h2, NULL) == r, "re-decode");
	CHECK(h2.fin == h.fin && h2.rsv == h.rsv && h2.opcode == h.opcode && h2.len == h.len &&
	      h2.masked == h.masked && (!h.masked || memcmp(h.mask, h2.mask, 4) == 0), "fields");
	/* Masking in pieces equals masking at once. */
	if (h.masked && n > (size_t)r) {
		size_t pl = n - (size_t)r < 64 ? n - (size_t)r : 64;
		uint8_t a[64], b[64];
		memcpy(a, in + r, pl);
		memcpy(b, in + r, pl);
		ws_mask(a, pl, h.mask, 0);
		size_t cut = pl / 3;
		ws_mask(b, cut, h.mask, 0);
		ws_mask(b + cut, pl - cut, h.mask, cut);
		CHECK(memcmp(a, b, pl) == 0, "masking in pieces");
		ws_mask(a, pl, h.mask, 0);
		CHECK(memcmp(a, in + r, pl) == 0, "masking twice is the identity");
	}
}

static struct trace tw, ts;

static void trace_reset(struct trace *t)
{
	struct store b = t->bytes, c = t->cur;
	memset(t, 0, sizeof(*t));
	t->bytes = b;
	t->bytes.n = 0;
	t->cur = c;
	t->cur.n = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 5)
		return 0;
	uint8_t c = data[0];
	uint32_t seed = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 |
			(uint32_t)data[4] << 24;
	data += 5;
	size -= 5;
	static const uint64_t maxes[] = { 1, 16, 125, 1000, 65536, WS_MESSAGE_DEFAULT,
					  WS_MESSAGE_MAX, 0 };
	struct ws_msg_cfg cfg = { .max_message = maxes[c & 7], .allow_rsv1 = (c & 8) != 0 };
	if (cfg.max_message == 0)
		cfg.max_message = 2;

	frame_roundtrip(data, size);

	trace_reset(&tw);
	trace_reset(&ts);
	run_whole(&cfg, data, size, &tw);
	run_split(&cfg, data, size, seed, &ts);

	CHECK(tw.err == ts.err, "whole feed ends in %d, split feed in %d", tw.err, ts.err);
	size_t nev = tw.nev < ts.nev ? tw.nev : ts.nev;
	if (tw.err == 0)
		CHECK(tw.nev == ts.nev, "event count %zu vs %zu", tw.nev, ts.nev);
	for (size_t i = 0; i < nev; i++) {
		const struct rec *a = &tw.ev[i], *b = &ts.ev[i];
		CHECK(a->type == b->type, "event %zu: type %d vs %d", i, a->type, b->type);
		CHECK(a->len == b->len, "event %zu: length %zu vs %zu", i, a->len, b->len);
		CHECK(a->len == 0 || memcmp(tw.bytes.b + a->off, ts.bytes.b + b->off, a->len) == 0,
		      "event %zu bytes", i);
		if (a->type == WS_EV_MSG_END)
			CHECK(a->opcode == b->opcode, "event %zu opcode", i);
		if (a->type == WS_EV_CLOSE)
			CHECK(a->code == b->code, "event %zu close code", i);
	}
	return 0;
}
