/* addr.c - --address values (addr.h). */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

bool addr_every(const char *a)
{
	return a == NULL || *a == '\0' || strcmp(a, "*") == 0;
}

const char *addr_host(const char *a, char *buf, size_t len)
{
	if (addr_every(a))
		return NULL;
	size_t n = strlen(a);
	if (a[0] == '[' && n >= 2 && a[n - 1] == ']' && n - 2 < len) {
		memcpy(buf, a + 1, n - 2);
		buf[n - 2] = '\0';
		return buf;
	}
	return a;
}

size_t addr_numeric(const char *a, uint16_t port, struct sockaddr_storage out[2],
		    socklen_t outlen[2])
{
	char tmp[INET6_ADDRSTRLEN + 1];
	const char *host = addr_host(a, tmp, sizeof(tmp));
	struct sockaddr_in v4 = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct sockaddr_in6 v6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	size_t n = 0;
	bool any = host == NULL;
	if (any || inet_pton(AF_INET, host, &v4.sin_addr) == 1) {
		memset(&out[n], 0, sizeof(out[n]));
		memcpy(&out[n], &v4, sizeof(v4));
		outlen[n++] = sizeof(v4);
	}
	if (any || (n == 0 && inet_pton(AF_INET6, host, &v6.sin6_addr) == 1)) {
		memset(&out[n], 0, sizeof(out[n]));
		memcpy(&out[n], &v6, sizeof(v6));
		outlen[n++] = sizeof(v6);
	}
	return n;
}
