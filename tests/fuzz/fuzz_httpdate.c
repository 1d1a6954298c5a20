/* fuzz_httpdate - HTTP dates (handler/httpdate.c): If-Modified-Since comes from the
 * client, Last-Modified goes into our response head.
 *
 * Input: the whole input is a date string for httpdate_parse; its first 8 bytes (zero
 * padded, little-endian) are also a number of seconds for httpdate_format, used as is
 * (mostly out of range) and folded into the range and around both of its ends.
 * Properties:
 *   - parse: reads only its len bytes (an exact-size heap copy); returns 0 or
 *     WS_E_MALFORMED; spaces and tabs added around the input change nothing; an
 *     accepted time lies in 0 .. 253402300799, so format takes it; format then parse
 *     gives the same time back; the formatted date has the input's weekday, day, month,
 *     year (RFC 850's two digits read as 1970-2069) and time of day (second 60 read as
 *     59), i.e. an accepted IMF-fixdate formats back to itself; every proper prefix of
 *     an accepted date is refused;
 *   - format: WS_E_LIMIT exactly outside 0 .. 253402300799, else 0 with 29 characters
 *     and a NUL in a 30-byte heap block, in IMF-fixdate shape; the weekday is the
 *     epoch's Thursday plus the day count; the time of day is t % 86400; the next day's
 *     date is the calendar successor of this one; parse gives t back. */
#include <stdbool.h>
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "httpdate.h"

#define MAX_T 253402300799LL

static const char *const wdays[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const wdays_long[7] = { "Sunday", "Monday", "Tuesday", "Wednesday",
					   "Thursday", "Friday", "Saturday" };
static const char *const months[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* The fields of a date, as written (the harness's own reading, not the module's). */
struct fields {
	char wd[4], mon[4];
	unsigned day, year, h, mi, s;
};

/* n decimal digits at p; the caller knows they are digits (an accepted input). */
static unsigned num(const char *p, size_t n)
{
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		CHECK(p[i] >= '0' && p[i] <= '9', "digit expected at '%.*s'", (int)n, p);
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	return v;
}

static int index_of(const char *const *names, int count, const char *s, size_t n)
{
	for (int i = 0; i < count; i++)
		if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0)
			return i;
	return -1;
}

static void hms_at(const char *p, struct fields *f)
{
	CHECK(p[2] == ':' && p[5] == ':', "time '%.8s'", p);
	f->h = num(p, 2);
	f->mi = num(p + 3, 2);
	f->s = num(p + 6, 2);
}

/* The fields of an IMF-fixdate, also checking its fixed shape (used on format's output,
 * and on accepted fixdate inputs, which must have the same shape). */
static void read_fixdate(const char *p, size_t n, struct fields *f)
{
	CHECK(n == 29, "fixdate of %zu bytes: '%.*s'", n, (int)n, p);
	CHECK(memcmp(p + 3, ", ", 2) == 0 && p[7] == ' ' && p[11] == ' ' && p[16] == ' ' &&
	      memcmp(p + 25, " GMT", 4) == 0, "fixdate shape '%.29s'", p);
	memcpy(f->wd, p, 3);
	f->wd[3] = '\0';
	memcpy(f->mon, p + 8, 3);
	f->mon[3] = '\0';
	CHECK(index_of(wdays, 7, p, 3) >= 0 && index_of(months, 12, p + 8, 3) >= 0,
	      "names in '%.29s'", p);
	f->day = num(p + 5, 2);
	f->year = num(p + 12, 4);
	hms_at(p + 17, f);
}

/* The fields of an accepted date of any of the three forms, trimmed to p[0..n). */
static void read_any(const char *p, size_t n, struct fields *f)
{
	if (n >= 4 && p[3] == ',') {
		read_fixdate(p, n, f);
		return;
	}
	if (n >= 4 && p[3] == ' ') {
		/* asctime "Sun Nov  6 08:49:37 1994": read from both ends, the day between */
		CHECK(n >= 23 && n <= 25, "asctime of %zu bytes", n);
		memcpy(f->wd, p, 3);
		f->wd[3] = '\0';
		memcpy(f->mon, p + 4, 3);
		f->mon[3] = '\0';
		CHECK(p[7] == ' ' && p[n - 5] == ' ' && p[n - 14] == ' ', "asctime shape '%.*s'",
		      (int)n, p);
		f->year = num(p + n - 4, 4);
		hms_at(p + n - 13, f);
		size_t d0 = 8, d1 = n - 14;
		if (p[d0] == ' ')
			d0++;
		CHECK(d1 > d0 && d1 - d0 <= 2, "asctime day '%.*s'", (int)n, p);
		f->day = num(p + d0, d1 - d0);
		return;
	}
	/* RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" */
	const char *comma = memchr(p, ',', n);
	CHECK(comma != NULL, "RFC 850 without a comma '%.*s'", (int)n, p);
	int w = index_of(wdays_long, 7, p, (size_t)(comma - p));
	CHECK(w >= 0, "long weekday '%.*s'", (int)n, p);
	size_t b = (size_t)(comma - p) + 2;
	CHECK(n == b + 22 && p[b + 2] == '-' && p[b + 6] == '-' && memcmp(p + n - 4, " GMT", 4) == 0,
	      "RFC 850 shape '%.*s'", (int)n, p);
	memcpy(f->wd, wdays[w], 4);
	f->day = num(p + b, 2);
	memcpy(f->mon, p + b + 3, 3);
	f->mon[3] = '\0';
	unsigned yy = num(p + b + 7, 2);
	f->year = yy < 70 ? 2000 + yy : 1900 + yy;
	hms_at(p + b + 10, f);
}

static bool is_leap(unsigned y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned month_days(unsigned y, int m)
{
	static const unsigned md[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 1 && is_leap(y) ? 29 : md[m];
}

/* format(t): every property of one in-range or out-of-range time. */
static void check_format(int64_t t)
{
	char *out = malloc(30);
	if (out == NULL)
		abort();
	int r = httpdate_format(t, out);
	if (t < 0 || t > MAX_T) {
		CHECK(r == WS_E_LIMIT, "format(%lld) = %d, out of range", (long long)t, r);
		free(out);
		return;
	}
	CHECK(r == 0, "format(%lld) = %d", (long long)t, r);
	CHECK(out[29] == '\0' && strlen(out) == 29, "format(%lld) length", (long long)t);
	struct fields f;
	read_fixdate(out, 29, &f);
	int64_t days = t / 86400, sod = t % 86400;
	CHECK(strcmp(f.wd, wdays[(days + 4) % 7]) == 0, "format(%lld) weekday %s", (long long)t, out);
	CHECK(f.h == sod / 3600 && f.mi == sod / 60 % 60 && f.s == sod % 60, "format(%lld) time %s",
	      (long long)t, out);
	int m = index_of(months, 12, f.mon, 3);
	CHECK(f.year >= 1970 && f.year <= 9999 && f.day >= 1 && f.day <= month_days(f.year, m),
	      "format(%lld) date %s", (long long)t, out);
	if (t == 0)
		CHECK(strcmp(out, "Thu, 01 Jan 1970 00:00:00 GMT") == 0, "the epoch: %s", out);
	if (t + 86400 <= MAX_T) {
		char next[30];
		CHECK(httpdate_format(t + 86400, next) == 0, "format(%lld) next day", (long long)t);
		struct fields g;
		read_fixdate(next, 29, &g);
		unsigned d = f.day + 1, y = f.year;
		int mm = m;
		if (d > month_days(y, mm)) {
			d = 1;
			if (++mm == 12) {
				mm = 0;
				y++;
			}
		}
		CHECK(g.day == d && g.year == y && strcmp(g.mon, months[mm]) == 0,
		      "day after %s is %s", out, next);
	}
	int64_t back = -1;
	CHECK(httpdate_parse(out, 29, &back) == 0 && back == t, "parse(format(%lld)) = %lld (%s)",
	      (long long)t, (long long)back, out);
	free(out);
}

static int parse_copy(const char *s, size_t n, int64_t *t)
{
	char *p = fuzz_dup((const uint8_t *)s, n);
	int r = httpdate_parse(p, n, t);
	free(p);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t raw = 0;
	for (size_t i = 0; i < 8 && i < size; i++)
		raw |= (uint64_t)data[i] << (8 * i);
	check_format((int64_t)raw);
	check_format((int64_t)(raw % (uint64_t)(MAX_T + 1)));
	check_format((int64_t)(raw % 200000) - 100000);
	check_format(MAX_T - 100000 + (int64_t)(raw % 200000));

	char *s = fuzz_dup(data, size);
	int64_t t = -1;
	int r = httpdate_parse(s, size, &t);
	CHECK(r == 0 || r == WS_E_MALFORMED, "parse = %d", r);

	/* surrounding spaces are ignored: the same answer with some added */
	char *pad = malloc(size + 4);
	if (pad == NULL)
		abort();
	memcpy(pad, " \t", 2);
	memcpy(pad + 2, data, size);
	memcpy(pad + 2 + size, "\t ", 2);
	int64_t tp = -1;
	int rp = httpdate_parse(pad, size + 4, &tp);
	CHECK(rp == r && (r != 0 || tp == t), "padded: %d %lld, bare: %d %lld", rp, (long long)tp, r,
	      (long long)t);
	free(pad);
	if (r != 0)
		goto out;

	CHECK(t >= 0 && t <= MAX_T, "accepted time %lld out of format's range", (long long)t);
	check_format(t);
	size_t b = 0, e = size;
	while (b < e && (s[b] == ' ' || s[b] == '\t'))
		b++;
	while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	struct fields in, o;
	read_any(s + b, e - b, &in);
	char out[30];
	CHECK(httpdate_format(t, out) == 0, "format(accepted %lld)", (long long)t);
	read_fixdate(out, 29, &o);
	CHECK(strcmp(in.wd, o.wd) == 0 && in.day == o.day && strcmp(in.mon, o.mon) == 0 &&
	      in.year == o.year && in.h == o.h && in.mi == o.mi && (in.s == 60 ? 59 : in.s) == o.s,
	      "'%.*s' read as %lld = %s", (int)(e - b), s + b, (long long)t, out);
	/* every proper prefix of the date itself is refused */
	for (size_t n = b; n < e; n++) {
		int64_t tx;
		CHECK(parse_copy(s, n, &tx) == WS_E_MALFORMED, "prefix of %zu bytes accepted", n);
	}
out:
	free(s);
	return 0;
}
