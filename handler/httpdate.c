/* httpdate.c - HTTP date formatting and parsing (see httpdate.h). */
#include "httpdate.h"

#include <string.h>
#include <strings.h>

#include "err.h"

static const char *const wday[7] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
static const char *const wday_long[7] = { "Thursday", "Friday", "Saturday", "Sunday",
					  "Monday", "Tuesday", "Wednesday" };
static const char *const month[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Howard Hinnant's days_from_civil / civil_from_days. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

int httpdate_format(int64_t t, char out[30])
{
	if (t < 0 || t > 253402300799LL)
		return WS_E_LIMIT;
	int64_t days = t / 86400, secs = t % 86400;
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	memcpy(out, wday[days % 7], 3);
	memcpy(out + 3, ", ", 2);
	put2(out + 5, d);
	out[7] = ' ';
	memcpy(out + 8, month[m - 1], 3);
	out[11] = ' ';
	put2(out + 12, (unsigned)(y / 100));
	put2(out + 14, (unsigned)(y % 100));
	out[16] = ' ';
	put2(out + 17, (unsigned)(secs / 3600));
	out[19] = ':';
	put2(out + 20, (unsigned)(secs / 60 % 60));
	out[22] = ':';
	put2(out + 23, (unsigned)(secs % 60));
	memcpy(out + 25, " GMT", 5); /* with the NUL */
	return 0;
}

/* A tiny cursor over the input. */
struct cur {
	const char *p, *e;
	int bad;
};

static void lit(struct cur *c, const char *s)
{
	size_t n = strlen(s);
	if (c->bad || (size_t)(c->e - c->p) < n || memcmp(c->p, s, n) != 0)
		c->bad = 1;
	else
		c->p += n;
}

/* Exactly `n` digits (n == 0: one or two, the asctime day may be " 6"). */
static unsigned digits(struct cur *c, int n)
{
	unsigned v = 0;
	int got = 0;
	while (!c->bad && c->p < c->e && *c->p >= '0' && *c->p <= '9' && got < (n ? n : 2)) {
		v = v * 10 + (unsigned)(*c->p++ - '0');
		got++;
	}
	if (got == 0 || (n && got != n))
		c->bad = 1;
	return v;
}

static int name_of(struct cur *c, const char *const *names, int count, size_t len)
{
	if (c->bad || (size_t)(c->e - c->p) < len) {
		c->bad = 1;
		return -1;
	}
	for (int i = 0; i < count; i++)
		if (strlen(names[i]) == len && memcmp(c->p, names[i], len) == 0) {
			c->p += len;
			return i;
		}
	c->bad = 1;
	return -1;
}

static int long_wday(struct cur *c)
{
	for (int i = 0; i < 7; i++) {
		size_t n = strlen(wday_long[i]);
		if ((size_t)(c->e - c->p) >= n && memcmp(c->p, wday_long[i], n) == 0) {
			c->p += n;
			return i;
		}
	}
	c->bad = 1;
	return -1;
}

static void hms(struct cur *c, unsigned *h, unsigned *mi, unsigned *s)
{
	*h = digits(c, 2);
	lit(c, ":");
	*mi = digits(c, 2);
	lit(c, ":");
	*s = digits(c, 2);
}

static int finish(int64_t y, int mon, unsigned d, unsigned h, unsigned mi, unsigned s, int wd,
		  int64_t *t)
{
	static const unsigned mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (mon < 0 || d < 1 || d > mdays[mon] || h > 23 || mi > 59 || s > 60 || y < 1970 ||
	    y > 9999)
		return WS_E_MALFORMED;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mon == 1 && d == 29 && !leap)
		return WS_E_MALFORMED;
	int64_t days = days_from_civil(y, (unsigned)mon + 1, d);
	if (wd >= 0 && wd != (int)(days % 7))
		return WS_E_MALFORMED;
	/* a leap second is read as the next second's start minus one, like most servers */
	*t = days * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + (s == 60 ? 59 : s);
	return 0;
}

int httpdate_parse(const char *s, size_t len, int64_t *t)
{
	while (len > 0 && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	struct cur c = { s, s + len, 0 };
	unsigned d, h, mi, sec;
	int mon, wd;
	int64_t y;
	if (len >= 4 && s[3] == ',') { /* IMF-fixdate */
		wd = name_of(&c, wday, 7, 3);
		lit(&c, ", ");
		d = digits(&c, 2);
		lit(&c, " ");
		mon = name_of(&c, month, 12, 3);
		lit(&c, " ");
		y = digits(&c, 2) * 100;
		y += digits(&c, 2);
		lit(&c, " ");
		hms(&c, &h, &mi, &sec);
		lit(&c, " GMT");
	} else if (len >= 4 && s[3] == ' ') { /* asctime */
		wd = name_of(&c, wday, 7, 3);
		lit(&c, " ");
		mon = name_of(&c, month, 12, 3);
		lit(&c, " ");
		if (!c.bad && c.p < c.e && *c.p == ' ')
			c.p++;
		d = digits(&c, 0);
		lit(&c, " ");
		hms(&c, &h, &mi, &sec);
		lit(&c, " ");
		y = digits(&c, 4);
	} else { /* RFC 850 */
		wd = long_wday(&c);
		lit(&c, ", ");
		d = digits(&c, 2);
		lit(&c, "-");
		mon = name_of(&c, month, 12, 3);
		lit(&c, "-");
		y = digits(&c, 2);
		y += y < 70 ? 2000 : 1900;
		lit(&c, " ");
		hms(&c, &h, &mi, &sec);
		lit(&c, " GMT");
	}
	if (c.bad || c.p != c.e)
		return WS_E_MALFORMED;
	return finish(y, mon, d, h, mi, sec, wd, t);
}
