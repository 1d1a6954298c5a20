/* test_http_resp.c - response head builder: layout, refusals, limits. */
#include "tap.h"

#include "err.h"
#include "http_resp.h"

int main(void)
{
	char buf[512];
	struct http_resp r;
	http_resp_start(&r, buf, sizeof(buf), 200, NULL);
	http_resp_header(&r, "Content-Type", "text/plain");
	http_resp_length(&r, 42);
	http_resp_line(&r, "X-Extra: yes");
	int n = http_resp_end(&r);
	const char *want = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 42\r\n"
			   "X-Extra: yes\r\n\r\n";
	ok(n == (int)strlen(want) && memcmp(buf, want, (size_t)n) == 0, "a 200 head");

	http_resp_start(&r, buf, sizeof(buf), 304, NULL);
	n = http_resp_end(&r);
	ok(n > 0 && memcmp(buf, "HTTP/1.1 304 Not Modified\r\n\r\n", (size_t)n) == 0, "304 phrase");
	http_resp_start(&r, buf, sizeof(buf), 418, "I'm a teapot");
	n = http_resp_end(&r);
	ok(n > 0 && memcmp(buf, "HTTP/1.1 418 I'm a teapot\r\n", 27) == 0, "own reason phrase");

	http_resp_start(&r, buf, sizeof(buf), 200, NULL);
	http_resp_header(&r, "X", "a\r\nSet-Cookie: evil");
	is_int(http_resp_end(&r), WS_E_MALFORMED, "CRLF in a value refused");
	http_resp_start(&r, buf, sizeof(buf), 200, NULL);
	http_resp_header(&r, "Bad Name", "v");
	is_int(http_resp_end(&r), WS_E_MALFORMED, "space in a name refused");
	http_resp_start(&r, buf, sizeof(buf), 200, NULL);
	http_resp_header(&r, "", "v");
	is_int(http_resp_end(&r), WS_E_MALFORMED, "empty name refused");
	http_resp_start(&r, buf, sizeof(buf), 200, NULL);
	http_resp_line(&r, "no colon");
	is_int(http_resp_end(&r), WS_E_MALFORMED, "line without colon refused");
	http_resp_start(&r, buf, sizeof(buf), 200, "bad\nreason");
	is_int(http_resp_end(&r), WS_E_MALFORMED, "LF in reason refused");
	http_resp_start(&r, buf, sizeof(buf), 99, NULL);
	is_int(http_resp_end(&r), WS_E_MALFORMED, "status 99 refused");
	http_resp_start(&r, buf, sizeof(buf), 200, NULL);
	http_resp_header(&r, "X", "tab\tok");
	ok(http_resp_end(&r) > 0, "HTAB in a value allowed");

	/* every capacity up to the exact size: WS_E_LIMIT, never a write past cap */
	int exact = (int)strlen(want), lim = 1;
	for (int cap = 0; cap < exact; cap++) {
		uint8_t *g = guard_copy(NULL, 0);
		char *small = malloc((size_t)cap + 1);
		http_resp_start(&r, small, (size_t)cap, 200, NULL);
		http_resp_header(&r, "Content-Type", "text/plain");
		http_resp_length(&r, 42);
		http_resp_line(&r, "X-Extra: yes");
		if (http_resp_end(&r) != WS_E_LIMIT)
			lim = 0;
		free(small);
		guard_free(g, 0);
	}
	ok(lim, "every capacity below the size: WS_E_LIMIT");
	ok(strcmp(http_status_text(404), "Not Found") == 0 && strcmp(http_status_text(502), "Bad Gateway") == 0 &&
	   strcmp(http_status_text(413), "Payload Too Large") == 0, "reason phrases");
	return done_testing();
}
