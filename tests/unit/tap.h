/* tap.h - a tiny TAP producer for the unit tests, plus input helpers.
 * ok(cond, fmt...) prints "ok N - msg" / "not ok N - msg"; done_testing() prints the plan
 * and returns the exit status for main. guard_copy() places bytes right before an
 * unreadable page so any read past the end crashes (as picohttpparser's tests do). */
#ifndef WSINETD_TAP_H
#define WSINETD_TAP_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 4, 5)))
static int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	tap_n++;
	printf("%sok %d - ", pass ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return pass;
}
#define ok(cond, ...) tap_ok((cond) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...) do { long long g_ = (long long)(got), w_ = (long long)(want); \
	if (!ok(g_ == w_, __VA_ARGS__)) printf("#   got %lld, want %lld\n", g_, w_); } while (0)

static inline int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

/* Copy len bytes so that they end exactly at a PROT_NONE page. Free with guard_free. */
static inline uint8_t *guard_copy(const void *src, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t span = ((len + pg - 1) / pg) * pg + pg;
	uint8_t *base = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	if (mprotect(base + span - pg, pg, PROT_NONE) != 0) {
		perror("mprotect");
		exit(2);
	}
	uint8_t *p = base + span - pg - len;
	if (len)
		memcpy(p, src, len);
	return p;
}
static inline void guard_free(uint8_t *p, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t span = ((len + pg - 1) / pg) * pg + pg;
	uint8_t *base = p + len + pg - span;
	munmap(base, span);
}

#endif
