/* test_utf8.c - the incremental UTF-8 validator against fixed cases (after Markus Kuhn's
 * UTF-8 decoder stress test), every split point, the fail-fast position, and an
 * independent reference decoder on exhaustive and random inputs. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "tap.h"
#include "utf8.h"

/* ---- reference: decode by arithmetic, then reject by value (RFC 3629 section 3) ---- */

/* Decode one code point at s[0..len). Returns its length, or 0 when s does not start
 * with a complete valid encoding. */
static size_t ref_decode(const uint8_t *s, size_t len)
{
	static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
	size_t n;
	uint32_t cp;

	if (len == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	else if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1fu;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0fu;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07u;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if (cp < min_cp[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static bool ref_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		size_t n = ref_decode(s + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

/* Proper prefixes (1..3 bytes) of every valid encoding, as bitmaps built by encoding
 * every scalar value: the independent truth for "can this still become valid". */
static uint8_t *pfx[4];

static void setbit(uint8_t *map, uint32_t i) { map[i >> 3] |= (uint8_t)(1u << (i & 7)); }
static bool getbit(const uint8_t *map, uint32_t i) { return map[i >> 3] >> (i & 7) & 1u; }

static size_t ref_encode(uint32_t cp, uint8_t out[4])
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | cp >> 6);
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | cp >> 12);
		out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | cp >> 18);
	out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

static void build_prefixes(void)
{
	pfx[1] = calloc(1, 256 / 8);
	pfx[2] = calloc(1, 65536 / 8);
	pfx[3] = calloc(1, (1u << 24) / 8);
	if (!pfx[1] || !pfx[2] || !pfx[3])
		exit(2);
	for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
		uint8_t e[4];
		size_t n;
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		n = ref_encode(cp, e);
		uint32_t key = 0;
		for (size_t k = 1; k < n; k++) {
			key = key << 8 | e[k - 1];
			setbit(pfx[k], key);
		}
	}
}

/* Index of the first byte at which s can no longer be a prefix of valid UTF-8, or len
 * when every prefix can. */
static size_t ref_fail_pos(const uint8_t *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		size_t n = ref_decode(s + i, len - i);
		if (n) {
			i += n;
			continue;
		}
		/* Not a complete code point here: grow the candidate until it is neither a
		 * complete encoding nor a proper prefix of one. */
		uint32_t key = 0;
		for (size_t k = 1; k <= 3; k++) {
			if (i + k > len)
				return len; /* ran out while still a valid prefix */
			key = key << 8 | s[i + k - 1];
			if (!getbit(pfx[k], key))
				return i + k - 1;
		}
		if (i + 4 > len)
			return len;
		return i + 3; /* 3-byte proper prefix followed by a byte that breaks it */
	}
	return len;
}

/* ---- helpers ---- */

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* Feed in one call through a guard page (so any overread crashes). */
static bool valid_guarded(const uint8_t *s, size_t len)
{
	uint8_t *g = guard_copy(s, len);
	bool v = utf8_valid(g, len);
	guard_free(g, len);
	return v;
}

/* Fail position of utf8_feed fed one byte at a time: index of the byte whose feed fails,
 * or len. */
static size_t feed_fail_pos_bytewise(const uint8_t *s, size_t len)
{
	uint32_t st = UTF8_ACCEPT;
	for (size_t i = 0; i < len; i++)
		if (utf8_feed(&st, s + i, 1) != 0)
			return i;
	return len;
}

struct tc {
	const char *name;
	const char *s;
	size_t len;     /* 0: strlen */
	bool valid;
};

#define S(x) x, sizeof(x) - 1

static const struct tc cases[] = {
	/* valid */
	{"empty", S(""), true},
	{"ascii", S("hello, world"), true},
	{"NUL is valid", S("a\0b"), true},
	{"kosme (Kuhn 1)", S("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"), true},
	{"U+0080 first 2-byte", S("\xc2\x80"), true},
	{"U+0800 first 3-byte", S("\xe0\xa0\x80"), true},
	{"U+10000 first 4-byte", S("\xf0\x90\x80\x80"), true},
	{"U+007F last 1-byte", S("\x7f"), true},
	{"U+07FF last 2-byte", S("\xdf\xbf"), true},
	{"U+FFFF last 3-byte", S("\xef\xbf\xbf"), true},
	{"U+10FFFF last scalar", S("\xf4\x8f\xbf\xbf"), true},
	{"U+D7FF before surrogates", S("\xed\x9f\xbf"), true},
	{"U+E000 after surrogates", S("\xee\x80\x80"), true},
	{"U+FFFD", S("\xef\xbf\xbd"), true},
	{"U+FFFE noncharacter is valid UTF-8", S("\xef\xbf\xbe"), true},
	{"BOM", S("\xef\xbb\xbf"), true},
	{"mixed", S("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z"), true},
	/* unexpected continuation bytes (Kuhn 3.1) */
	{"lone 0x80", S("\x80"), false},
	{"lone 0xBF", S("\xbf"), false},
	{"2 continuations", S("\x80\xbf"), false},
	{"continuation after ascii", S("a\x80"), false},
	/* lonely start characters (Kuhn 3.2) */
	{"C0 then space", S("\xc0 "), false},
	{"E0 then space", S("\xe0 "), false},
	{"F0 then space", S("\xf0 "), false},
	{"F8 then space (5-byte lead)", S("\xf8 "), false},
	{"FC then space (6-byte lead)", S("\xfc "), false},
	/* truncated sequences (Kuhn 3.3) */
	{"truncated 2-byte", S("\xc2"), false},
	{"truncated 3-byte after 1", S("\xe0"), false},
	{"truncated 3-byte after 2", S("\xe0\xa0"), false},
	{"truncated 4-byte after 3", S("\xf0\x90\x80"), false},
	{"truncated U+10FFFF", S("\xf4\x8f\xbf"), false},
	{"truncated then ascii", S("\xe2\x82" "a"), false},
	/* impossible bytes (Kuhn 3.5) */
	{"FE", S("\xfe"), false},
	{"FF", S("\xff"), false},
	{"FE FE FF FF", S("\xfe\xfe\xff\xff"), false},
	/* old 5- and 6-byte forms, and > U+10FFFF */
	{"5-byte U+200000", S("\xf8\x88\x80\x80\x80"), false},
	{"6-byte U+4000000", S("\xfc\x84\x80\x80\x80\x80"), false},
	{"U+110000", S("\xf4\x90\x80\x80"), false},
	{"F5 lead", S("\xf5\x80\x80\x80"), false},
	{"F7 BF BF BF", S("\xf7\xbf\xbf\xbf"), false},
	/* overlongs (Kuhn 4) */
	{"overlong / 2-byte", S("\xc0\xaf"), false},
	{"overlong / 3-byte", S("\xe0\x80\xaf"), false},
	{"overlong / 4-byte", S("\xf0\x80\x80\xaf"), false},
	{"overlong NUL 2-byte", S("\xc0\x80"), false},
	{"overlong NUL 3-byte", S("\xe0\x80\x80"), false},
	{"max overlong 2-byte", S("\xc1\xbf"), false},
	{"max overlong 3-byte", S("\xe0\x9f\xbf"), false},
	{"max overlong 4-byte", S("\xf0\x8f\xbf\xbf"), false},
	/* surrogates (Kuhn 5) */
	{"U+D800", S("\xed\xa0\x80"), false},
	{"U+DBFF", S("\xed\xaf\xbf"), false},
	{"U+DC00", S("\xed\xb0\x80"), false},
	{"U+DFFF", S("\xed\xbf\xbf"), false},
	{"surrogate pair", S("\xed\xa0\x80\xed\xb0\x80"), false},
	/* 2nd byte not a continuation */
	{"C2 41", S("\xc2\x41"), false},
	{"E1 80 41", S("\xe1\x80\x41"), false},
	{"F1 80 80 41", S("\xf1\x80\x80\x41"), false},
	{"C2 C2", S("\xc2\xc2\x80"), false},
	/* fail-fast example from the Autobahn suite */
	{"kosme + surrogate", S("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"), false},
};

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tc *c = &cases[i];
		const uint8_t *s = (const uint8_t *)c->s;
		ok(utf8_valid(s, c->len) == c->valid, "%s: %s", c->name, c->valid ? "valid" : "invalid");
		ok(valid_guarded(s, c->len) == c->valid, "%s: guard page", c->name);
		ok(ref_valid(s, c->len) == c->valid, "%s: reference agrees", c->name);

		/* Every split into two calls, and one byte per call. */
		bool splits_ok = true;
		for (size_t k = 0; k <= c->len; k++) {
			uint32_t st = UTF8_ACCEPT;
			int r = utf8_feed(&st, s, k);
			if (r == 0)
				r = utf8_feed(&st, s + k, c->len - k);
			bool v = r == 0 && utf8_complete(st);
			if (v != c->valid)
				splits_ok = false;
		}
		ok(splits_ok, "%s: every 2-way split", c->name);
		ok((feed_fail_pos_bytewise(s, c->len) == c->len) == (c->valid || ref_fail_pos(s, c->len) == c->len),
		   "%s: bytewise", c->name);
	}
}

/* Fail fast: the error is reported at the first byte that cannot be valid, in whatever
 * piece it arrives. */
static void test_fail_fast(void)
{
	const uint8_t *s = (const uint8_t *)"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80";
	size_t len = 14;
	bool pre_ok = true;

	/* 11 bytes of "kosme", then \xed at index 11 and \xa0 at index 12: every prefix up
	 * to and including the \xed is still a valid prefix. */
	for (size_t k = 0; k <= 12; k++) {
		uint32_t st = UTF8_ACCEPT;
		if (utf8_feed(&st, s, k) != 0)
			pre_ok = false;
	}
	ok(pre_ok, "fail-fast: prefixes through \\xed accepted");
	{
		uint32_t st = UTF8_ACCEPT;
		ok(utf8_feed(&st, s, 12) == 0 && !utf8_complete(st), "fail-fast: \\xed pending");
		is_int(utf8_feed(&st, s + 12, 1), WS_E_UTF8, "fail-fast: \\xa0 rejected");
		is_int(utf8_feed(&st, s + 13, 1), WS_E_UTF8, "fail-fast: state stays rejected");
	}
	is_int(feed_fail_pos_bytewise(s, len), 12, "fail-fast: bytewise fails at index 12 (\\xa0)");
	is_int(ref_fail_pos(s, len), 12, "fail-fast: reference fails at index 12");
	{
		uint32_t st = UTF8_ACCEPT;
		is_int(utf8_feed(&st, s, 13), WS_E_UTF8, "fail-fast: 13-byte prefix fails");
	}

	/* Other fail-fast points: the first byte where it is impossible. */
	static const struct { const char *s; size_t len, pos; } ff[] = {
		{"\xe0\x80", 2, 1},          /* overlong known at 2nd byte */
		{"\xf0\x8f", 2, 1},
		{"\xf4\x90", 2, 1},          /* > U+10FFFF known at 2nd byte */
		{"\xed\xa0", 2, 1},
		{"\xc0", 1, 0},              /* C0 always overlong */
		{"\xc1", 1, 0},
		{"\xf5", 1, 0},
		{"\xfe", 1, 0},
		{"\xff", 1, 0},
		{"abc\x80", 4, 3},
		{"\xe1\x80\x41", 3, 2},
		{"\xf1\x80\x80\xc0", 4, 3},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xff", 32, 31},
		{"aaaaaaaaaaaaaaaa\xc3\xa9" "aaaaaaaaaaaaaaaaaaaaaa\xed\xbf", 42, 41},
	};
	for (size_t i = 0; i < sizeof(ff) / sizeof(ff[0]); i++) {
		const uint8_t *p = (const uint8_t *)ff[i].s;
		is_int(feed_fail_pos_bytewise(p, ff[i].len), ff[i].pos, "fail-fast case %zu position", i);
		is_int(ref_fail_pos(p, ff[i].len), ff[i].pos, "fail-fast case %zu reference", i);
		uint32_t st = UTF8_ACCEPT;
		ok(utf8_feed(&st, p, ff[i].pos) == 0, "fail-fast case %zu prefix accepted", i);
		st = UTF8_ACCEPT;
		is_int(utf8_feed(&st, p, ff[i].pos + 1), WS_E_UTF8, "fail-fast case %zu rejected", i);
	}
}

/* Every split of every valid multi-byte sequence, including 3-way splits, surrounded by
 * ASCII long enough to go through the word-at-a-time path. */
static void test_splits(void)
{
	static const uint32_t cps[] = {0x80, 0x7ff, 0x800, 0xfff, 0x1000, 0xd7ff, 0xe000, 0xfffd,
				      0xffff, 0x10000, 0x3ffff, 0x40000, 0xfffff, 0x100000, 0x10ffff};
	bool all = true;
	size_t tried = 0;
	for (size_t c = 0; c < sizeof(cps) / sizeof(cps[0]); c++) {
		for (size_t pad = 0; pad < 20; pad += 9) {
			uint8_t buf[64];
			size_t n = 0;
			memset(buf, 'x', pad);
			n = pad;
			n += ref_encode(cps[c], buf + n);
			memset(buf + n, 'y', pad);
			n += pad;
			n += ref_encode(cps[c], buf + n);
			for (size_t a = 0; a <= n; a++) {
				for (size_t b = a; b <= n; b++) {
					uint32_t st = UTF8_ACCEPT;
					int r = utf8_feed(&st, buf, a);
					if (r == 0)
						r = utf8_feed(&st, buf + a, b - a);
					if (r == 0)
						r = utf8_feed(&st, buf + b, n - b);
					if (r != 0 || !utf8_complete(st))
						all = false;
					/* Prefixes that end mid-sequence are valid but incomplete. */
					st = UTF8_ACCEPT;
					if (utf8_feed(&st, buf, a) != 0)
						all = false;
					tried++;
				}
			}
		}
	}
	ok(all, "every 3-way split of valid multi-byte text is accepted (%zu splits)", tried);

	/* Invalid sequences: every split still fails, and at the same byte. */
	all = true;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const uint8_t *s = (const uint8_t *)cases[i].s;
		size_t len = cases[i].len;
		if (cases[i].valid)
			continue;
		size_t want = ref_fail_pos(s, len);
		for (size_t a = 0; a <= len; a++) {
			uint32_t st = UTF8_ACCEPT;
			int r1 = utf8_feed(&st, s, a);
			int r2 = r1 == 0 ? utf8_feed(&st, s + a, len - a) : r1;
			if (want == len) {
				/* fails only by being incomplete at the end */
				if (r1 != 0 || r2 != 0 || utf8_complete(st))
					all = false;
			} else if ((r1 != 0) != (a > want) || r2 == 0) {
				all = false;
			}
		}
	}
	ok(all, "every 2-way split of invalid input fails in the piece holding the bad byte");
}

static void test_exhaustive(void)
{
	uint8_t b[4];
	bool all = true;

	for (unsigned i = 0; i < 256; i++) {
		b[0] = (uint8_t)i;
		if (utf8_valid(b, 1) != ref_valid(b, 1))
			all = false;
	}
	ok(all, "all 1-byte inputs agree with the reference");

	all = true;
	for (unsigned i = 0; i < 65536; i++) {
		b[0] = (uint8_t)(i >> 8);
		b[1] = (uint8_t)i;
		if (utf8_valid(b, 2) != ref_valid(b, 2) ||
		    feed_fail_pos_bytewise(b, 2) != ref_fail_pos(b, 2))
			all = false;
	}
	ok(all, "all 2-byte inputs agree with the reference (validity and fail position)");

	all = true;
	for (uint32_t i = 0; i < 0x1000000; i++) {
		b[0] = (uint8_t)(i >> 16);
		b[1] = (uint8_t)(i >> 8);
		b[2] = (uint8_t)i;
		if (utf8_valid(b, 3) != ref_valid(b, 3))
			all = false;
	}
	ok(all, "all 16M 3-byte inputs agree with the reference");
}

static void test_random(void)
{
	bool all = true, pos_all = true, chunk_all = true;
	size_t nvalid = 0;

	/* Random 3- and 4-byte inputs, biased towards lead/continuation bytes. */
	for (int t = 0; t < 2000000; t++) {
		uint8_t b[4];
		size_t n = 3 + (size_t)(rnd() & 1);
		for (size_t k = 0; k < n; k++) {
			uint32_t r = rnd();
			b[k] = (uint8_t)(k == 0 ? (0xc0 | (r & 0x3f)) : ((r & 0x100) ? (0x80 | (r & 0x3f)) : r));
		}
		bool v = utf8_valid(b, n);
		if (v != ref_valid(b, n))
			all = false;
		if (feed_fail_pos_bytewise(b, n) != ref_fail_pos(b, n))
			pos_all = false;
		nvalid += v;
	}
	ok(all, "2M random 3-4 byte inputs agree with the reference (%zu valid)", nvalid);
	ok(pos_all, "... and fail at the same byte");

	/* Random longer strings: mostly valid text with occasional corruption, fed in random
	 * chunks; the chunk that fails must be the one holding the bad byte. */
	all = true;
	nvalid = 0;
	for (int t = 0; t < 20000; t++) {
		uint8_t s[256];
		size_t n = 0, want = rnd() % 200;
		while (n < want) {
			uint32_t r = rnd() % 16;
			if (r < 8) {
				s[n++] = (uint8_t)(0x20 + rnd() % 95);
			} else if (r < 14) {
				uint32_t cp;
				do
					cp = rnd() % 0x110000;
				while (cp >= 0xd800 && cp <= 0xdfff);
				if (r < 10)
					cp &= 0x7ff;
				n += ref_encode(cp, s + n);
			} else if (r == 14 && (rnd() % 8) == 0) {
				s[n++] = (uint8_t)rnd();
			} else {
				s[n++] = 'a';
			}
		}
		bool v = utf8_valid(s, n);
		if (v != ref_valid(s, n))
			all = false;
		nvalid += v;
		size_t fp = ref_fail_pos(s, n);
		if (feed_fail_pos_bytewise(s, n) != fp)
			pos_all = false;
		/* random chunking */
		uint32_t st = UTF8_ACCEPT;
		size_t i = 0, failed_at = n + 1, failed_len = 0;
		while (i < n) {
			size_t c = 1 + rnd() % 24;
			if (c > n - i)
				c = n - i;
			if (utf8_feed(&st, s + i, c) != 0) {
				failed_at = i;
				failed_len = c;
				break;
			}
			i += c;
		}
		if (fp < n) {
			/* must fail in the chunk holding the bad byte, not before or after */
			if (!(failed_at <= fp && fp < failed_at + failed_len))
				chunk_all = false;
		} else if (failed_at != n + 1) {
			chunk_all = false;
		} else if (utf8_complete(st) != v) {
			chunk_all = false;
		}
	}
	ok(all, "20000 random texts agree with the reference (%zu valid)", nvalid);
	ok(pos_all, "random texts fail at the reference position byte by byte");
	ok(chunk_all, "random texts in random chunks fail in the chunk holding the bad byte");
}

/* Long ASCII with one bad byte at every offset: the word-at-a-time path must not skip it. */
static void test_fast_path(void)
{
	uint8_t s[80];
	bool all = true;
	for (size_t bad = 0; bad < sizeof(s); bad++) {
		for (size_t start = 0; start < 9; start++) {
			memset(s, 'A', sizeof(s));
			s[bad] = 0x80;
			uint32_t st = UTF8_ACCEPT;
			bool fails = utf8_feed(&st, s + start, sizeof(s) - start) != 0;
			if (fails != (bad >= start))
				all = false;
			if (valid_guarded(s + start, sizeof(s) - start) != (bad < start))
				all = false;
		}
	}
	ok(all, "a non-ASCII byte at any offset and alignment is seen");

	/* A 2-byte char split right at a word boundary. */
	memset(s, 'A', sizeof(s));
	s[15] = 0xc3;
	s[16] = 0xa9;
	ok(utf8_valid(s, sizeof(s)), "2-byte char straddling a 16-byte block");
	ok(!utf8_valid(s, 16), "... cut before its continuation is incomplete");
	uint32_t st = UTF8_ACCEPT;
	ok(utf8_feed(&st, s, 16) == 0 && !utf8_complete(st), "... state carries");
	ok(utf8_feed(&st, s + 16, sizeof(s) - 16) == 0 && utf8_complete(st), "... and completes");
	st = UTF8_ACCEPT;
	ok(utf8_feed(&st, NULL, 0) == 0 && utf8_complete(st), "empty feed keeps ACCEPT");
}

int main(void)
{
	build_prefixes();
	test_cases();
	test_fail_fast();
	test_splits();
	test_exhaustive();
	test_random();
	test_fast_path();
	for (int k = 1; k <= 3; k++)
		free(pfx[k]);
	return done_testing();
}
