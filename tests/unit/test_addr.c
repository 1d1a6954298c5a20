/* test_addr.c - --address values: every address, numeric IPv4/IPv6 with and without
 * brackets, and what needs a resolver (0). */
#include "tap.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "addr.h"

/* The n-th address as "FAMILY ADDR PORT" text. */
static void show(const struct sockaddr_storage *ss, socklen_t len, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN] = "?";
	if (ss->ss_family == AF_INET && len == sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		snprintf(out, cap, "4 %s %u", a, ntohs(s->sin_port));
	} else if (ss->ss_family == AF_INET6 && len == sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		snprintf(out, cap, "6 %s %u scope=%u flow=%u", a, ntohs(s->sin6_port),
			 s->sin6_scope_id, s->sin6_flowinfo);
	} else {
		snprintf(out, cap, "bad family %d len %u", ss->ss_family, (unsigned)len);
	}
}

static void numeric(const char *in, const char *want0, const char *want1)
{
	struct sockaddr_storage ss[2];
	socklen_t sl[2];
	memset(ss, 0xA5, sizeof(ss));
	size_t n = addr_numeric(in, 8080, ss, sl);
	size_t wn = want0 ? (want1 ? 2 : 1) : 0;
	char got[2][96] = { "", "" };
	for (size_t i = 0; i < n && i < 2; i++)
		show(&ss[i], sl[i], got[i], sizeof(got[i]));
	int pass = n == wn && (!want0 || strcmp(got[0], want0) == 0) &&
		   (!want1 || strcmp(got[1], want1) == 0);
	ok(pass, "%s -> %zu address(es)", in ? in : "NULL", wn);
	if (!pass)
		printf("#   got %zu: [%s] [%s]\n", n, got[0], got[1]);
}

int main(void)
{
	const char *v4any = "4 0.0.0.0 8080", *v6any = "6 :: 8080 scope=0 flow=0";
	numeric(NULL, v4any, v6any);
	numeric("", v4any, v6any);
	numeric("*", v4any, v6any);
	numeric("127.0.0.1", "4 127.0.0.1 8080", NULL);
	numeric("[127.0.0.1]", "4 127.0.0.1 8080", NULL);
	numeric("0.0.0.0", v4any, NULL);
	numeric("::1", "6 ::1 8080 scope=0 flow=0", NULL);
	numeric("[::1]", "6 ::1 8080 scope=0 flow=0", NULL);
	numeric("::", v6any, NULL);
	numeric("::ffff:10.1.2.3", "6 ::ffff:10.1.2.3 8080 scope=0 flow=0", NULL);
	/* For wsinetd-openssl's resolver: names, scoped and short forms, broken brackets. */
	numeric("localhost", NULL, NULL);
	numeric("fe80::1%lo", NULL, NULL);
	numeric("[fe80::1%lo]", NULL, NULL);
	numeric("127.1", NULL, NULL);
	numeric("127.0.0.1 ", NULL, NULL);
	numeric("[::1", NULL, NULL);
	numeric("::1]", NULL, NULL);
	numeric("[]", NULL, NULL);
	char longv[300];
	memset(longv, '1', sizeof(longv));
	longv[0] = '[';
	longv[sizeof(longv) - 2] = ']';
	longv[sizeof(longv) - 1] = '\0';
	numeric(longv, NULL, NULL);

	ok(addr_every(NULL) && addr_every("") && addr_every("*") && !addr_every("0.0.0.0") &&
	   !addr_every("**") && !addr_every("[*]"), "addr_every: NULL, empty and * only");
	char buf[8];
	ok(addr_host(NULL, buf, sizeof(buf)) == NULL && addr_host("*", buf, sizeof(buf)) == NULL &&
	   addr_host("", buf, sizeof(buf)) == NULL, "addr_host: NULL, * and empty are every address");
	const char *h = addr_host("[::1]", buf, sizeof(buf));
	ok(h == buf && strcmp(h, "::1") == 0, "addr_host: brackets taken off into buf");
	const char *big = "[1234:5678::9]";
	ok(addr_host(big, buf, sizeof(buf)) == big, "addr_host: too long for buf: left as it is");
	ok(addr_host("example.org", buf, sizeof(buf)) != buf, "addr_host: a name as it is");
	return done_testing();
}
