/* test_devconsole.c - the embedded console page: self-contained, protocols filled in
 * and escaped, limits. */
#include "tap.h"

#include "devconsole.h"
#include "err.h"

static char *render(const char *const *p, size_t n, int *len)
{
	size_t cap = devconsole_cap(p, n);
	char *out = malloc(cap + 1);
	*len = devconsole_render(p, n, out, cap);
	if (*len >= 0)
		out[*len] = '\0';
	return out;
}

int main(void)
{
	int n;
	char *page = render(NULL, 0, &n);
	ok(n > 1000, "page rendered (%d bytes)", n);
	ok(strstr(page, "<!doctype html>") == page, "starts with the doctype");
	ok(strstr(page, "content=\"\"") != NULL && strstr(page, "@@PROTOCOLS@@") == NULL,
	   "no protocols: empty meta, marker gone");
	/* self-contained: no URL that would make the browser fetch anything */
	ok(strstr(page, "http://") == NULL && strstr(page, "https://") == NULL &&
	   strstr(page, "src=") == NULL && strstr(page, "@import") == NULL &&
	   strstr(page, "url(") == NULL, "no external reference (http(s)://, src=, @import, url())");
	ok(strstr(page, "<link rel=\"icon\" href=\"data:,\">") != NULL, "favicon is a data: URL (no request)");
	ok(strstr(page, "location.protocol === \"https:\" ? \"wss://\" : \"ws://\"") != NULL,
	   "connects to its own URL, wss on https");
	free(page);

	const char *protos[] = { "chat.v2", "a&b\"<x>'" };
	page = render(protos, 2, &n);
	ok(n > 0 && strstr(page, "content=\"chat.v2, a&amp;b&quot;&lt;x&gt;&#39;\"") != NULL,
	   "protocols joined and attribute-escaped");
	free(page);

	size_t cap = devconsole_cap(protos, 2);
	char *small = malloc(cap);
	int lim = 1;
	for (size_t c = 0; c < cap; c += 997) {
		int r = devconsole_render(protos, 2, small, c);
		if (r >= 0 && (size_t)r > c)
			lim = 0;
		if (r < 0 && r != WS_E_LIMIT)
			lim = 0;
	}
	ok(lim, "small capacities: WS_E_LIMIT, never past cap");
	free(small);
	return done_testing();
}
