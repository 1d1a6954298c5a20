/* test_journal.c - journald native protocol entries: text and binary fields, values cut
 * at WS_JOURNAL_VALUE_MAX (formatted ones at JOURNAL_FORMAT_MAX), an entry that does not
 * fit marked full. A small decoder
 * written from the protocol's description reads every entry back. */
#include "tap.h"

#include "journal.h"
#include "limits.h"

/* The n-th field of an entry: key and value, or -1 when malformed or absent. */
static int field_at(const uint8_t *p, size_t len, int n, char *key, size_t keycap,
		    const uint8_t **val, size_t *vlen)
{
	size_t at = 0;
	for (int i = 0; at < len; i++) {
		size_t k = at;
		while (k < len && p[k] != '=' && p[k] != '\n')
			k++;
		if (k == len || k - at >= keycap)
			return -1;
		size_t klen = k - at, vstart, vl;
		if (p[k] == '=') {
			vstart = k + 1;
			const uint8_t *nl = memchr(p + vstart, '\n', len - vstart);
			if (nl == NULL)
				return -1;
			vl = (size_t)(nl - (p + vstart));
		} else {
			if (len - k - 1 < 8)
				return -1;
			unsigned long long l = 0;
			for (int b = 7; b >= 0; b--)
				l = (l << 8) | p[k + 1 + (size_t)b];
			vstart = k + 9;
			if (l > len - vstart || len - vstart - l < 1 || p[vstart + l] != '\n')
				return -1;
			vl = (size_t)l;
		}
		if (i == n) {
			memcpy(key, p + at, klen);
			key[klen] = '\0';
			*val = p + vstart;
			*vlen = vl;
			return 0;
		}
		at = vstart + vl + 1;
	}
	return -1;
}

static void want_field(const struct journal_entry *e, int n, const char *key, const void *val,
		       size_t vlen, const char *what)
{
	char k[64];
	const uint8_t *v;
	size_t vl;
	int r = field_at(e->buf, e->len, n, k, sizeof(k), &v, &vl);
	ok(r == 0 && strcmp(k, key) == 0 && vl == vlen && memcmp(v, val, vlen) == 0, "%s", what);
}

static size_t count_fields(const struct journal_entry *e)
{
	char k[64];
	const uint8_t *v;
	size_t vl, n = 0;
	while (field_at(e->buf, e->len, (int)n, k, sizeof(k), &v, &vl) == 0)
		n++;
	return n;
}

int main(void)
{
	static uint8_t buf[WS_JOURNAL_ENTRY_MAX];
	struct journal_entry e;

	journal_begin(&e, buf, sizeof(buf));
	journal_add_str(&e, "MESSAGE", "access peer=127.0.0.1:80 path=/");
	journal_addf(&e, "PRIORITY", "%d", 6);
	journal_add_str(&e, "WSINETD_USER", "");
	journal_addf(&e, "WSINETD_BYTES_IN", "%llu", 18446744073709551615ULL);
	journal_addf(&e, "WSINETD_MSGS_IN", "%llu", 0ULL);
	const char *text = "MESSAGE=access peer=127.0.0.1:80 path=/\nPRIORITY=6\nWSINETD_USER=\n"
			   "WSINETD_BYTES_IN=18446744073709551615\nWSINETD_MSGS_IN=0\n";
	ok(!e.full && e.len == strlen(text) && memcmp(buf, text, e.len) == 0,
	   "text fields: KEY=VALUE lines, numbers in decimal, an empty value kept");
	is_int(count_fields(&e), 5, "the decoder reads five fields back");

	/* journal_addf: signed numbers, and a longer result cut at JOURNAL_FORMAT_MAX - 1. */
	journal_begin(&e, buf, sizeof(buf));
	journal_addf(&e, "WSINETD_DEFLATE_SAVED", "%lld", -2LL);
	journal_addf(&e, "K", "%0100d", 7);
	want_field(&e, 0, "WSINETD_DEFLATE_SAVED", "-2", 2, "a negative number");
	{
		char want[JOURNAL_FORMAT_MAX - 1];
		memset(want, '0', sizeof(want));
		want_field(&e, 1, "K", want, sizeof(want), "a formatted value cut at JOURNAL_FORMAT_MAX - 1");
	}

	/* A newline in a value: the binary form, length little-endian. */
	journal_begin(&e, buf, sizeof(buf));
	journal_add_str(&e, "WSINETD_PATH", "/a\nFORGED=1");
	journal_add_str(&e, "WSINETD_PEER", "p");
	static const uint8_t bin[] = { 'W', 'S', 'I', 'N', 'E', 'T', 'D', '_', 'P', 'A', 'T', 'H',
				       '\n', 11, 0, 0, 0, 0, 0, 0, 0, '/', 'a', '\n', 'F', 'O',
				       'R', 'G', 'E', 'D', '=', '1', '\n' };
	ok(!e.full && e.len >= sizeof(bin) && memcmp(buf, bin, sizeof(bin)) == 0,
	   "a value with a newline takes the binary form: KEY, newline, le64 length, value");
	want_field(&e, 0, "WSINETD_PATH", "/a\nFORGED=1", 11, "the binary value reads back whole");
	want_field(&e, 1, "WSINETD_PEER", "p", 1, "the next field follows it");
	is_int(count_fields(&e), 2, "no FORGED field appears");

	/* Binary data with NUL bytes (journal_add takes a length). */
	journal_begin(&e, buf, sizeof(buf));
	journal_add(&e, "K", "a\0\nb", 4);
	want_field(&e, 0, "K", "a\0\nb", 4, "NUL bytes kept in a binary value");

	/* Values are cut at WS_JOURNAL_VALUE_MAX; journal_add_str reads no further. */
	size_t big = WS_JOURNAL_VALUE_MAX + 100;
	char *s = malloc(big + 1);
	memset(s, 'x', big);
	s[big] = '\0';
	journal_begin(&e, buf, sizeof(buf));
	journal_add_str(&e, "WSINETD_PATH", s);
	want_field(&e, 0, "WSINETD_PATH", s, WS_JOURNAL_VALUE_MAX, "a long value cut at WS_JOURNAL_VALUE_MAX");
	uint8_t *g = guard_copy(s, WS_JOURNAL_VALUE_MAX);
	journal_begin(&e, buf, sizeof(buf));
	journal_add_str(&e, "P", (const char *)g); /* no NUL before the guard page */
	ok(!e.full && e.len == 1 + 1 + WS_JOURNAL_VALUE_MAX + 1,
	   "an unterminated value of exactly the maximum is read no further");
	guard_free(g, WS_JOURNAL_VALUE_MAX);
	s[10] = '\n';
	journal_begin(&e, buf, sizeof(buf));
	journal_add(&e, "B", s, big);
	want_field(&e, 0, "B", s, WS_JOURNAL_VALUE_MAX, "a long binary value cut likewise");
	free(s);

	/* An entry that does not fit is marked full, and stays so. */
	uint8_t small[24];
	journal_begin(&e, small, sizeof(small));
	journal_add_str(&e, "MESSAGE", "0123456789");  /* 19 bytes */
	ok(!e.full && e.len == 19, "a field that fits");
	journal_add_str(&e, "K", "1234");               /* 7 bytes: 26 > 24 */
	ok(e.full && e.len == 19, "the next one does not: full, nothing half-written");
	journal_add_str(&e, "K", "");
	ok(e.full && e.len == 19, "a full entry takes no further field, even one that would fit");
	journal_begin(&e, small, 3);
	journal_add_str(&e, "K", "v");                  /* exactly 4 */
	ok(e.full && e.len == 0, "one byte short is full");
	journal_begin(&e, small, 4);
	journal_add_str(&e, "K", "v");
	ok(!e.full && e.len == 4 && memcmp(small, "K=v\n", 4) == 0, "exactly enough fits");
	return done_testing();
}
