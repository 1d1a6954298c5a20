/* test_urlpath.c - request paths: decoding, normalisation, refusals, first-segment split. */
#include "tap.h"

#include "err.h"
#include "urlpath.h"

/* Normalise from a guard page so any over-read faults; returns the result and out. */
static int norm(const char *in, char *out, size_t cap, const char **why)
{
	size_t n = strlen(in);
	uint8_t *g = guard_copy(in, n);
	int r = urlpath_normalize((const char *)g, n, out, cap, why);
	guard_free(g, n);
	return r;
}

static void good(const char *in, const char *want)
{
	char out[256];
	const char *why;
	int r = norm(in, out, sizeof(out), &why);
	ok(r == (int)strlen(want) && strcmp(out, want) == 0, "'%s' -> '%s'", in, want);
	if (r >= 0 && strcmp(out, want) != 0)
		printf("#   got '%s'\n", out);
}

static void refused(const char *in, const char *label)
{
	char out[256];
	const char *why = NULL;
	int r = norm(in, out, sizeof(out), &why);
	ok(r == WS_E_MALFORMED && why != NULL, "refused: %s ('%s': %s)", label, in, why ? why : "-");
}

int main(void)
{
	good("/", "/");
	good("/a.txt", "/a.txt");
	good("/a/b/c", "/a/b/c");
	good("/a/b/", "/a/b/");
	good("//a///b//", "/a/b/");
	good("/./a/./b/.", "/a/b/");
	good("/a/.", "/a/");
	good("/%41%62%63", "/Abc");
	good("/caf%C3%A9", "/caf\xc3\xa9");
	good("/a%20b", "/a b");
	good("/%2e", "/");            /* "." encoded is still "." */
	good("/...", "/...");         /* three dots is a name */
	good("/..a/a..", "/..a/a..");
	good("/.hidden", "/.hidden"); /* normalisation keeps it; routing refuses it */
	good("/a+b", "/a+b");

	refused("/..", "'..'");
	refused("/a/../b", "'..' in the middle");
	refused("/a/..", "trailing '..'");
	refused("/%2e%2e/etc/passwd", "'%2e%2e'");
	refused("/%2E%2E", "'%2E%2E'");
	refused("/.%2e/x", "'.%2e'");
	refused("/%2e./x", "'%2e.'");
	refused("/a%2fb", "encoded slash %2f");
	refused("/a%2Fb", "encoded slash %2F");
	refused("/..%2f..%2fetc", "'..%2f'");
	refused("/a%00b", "encoded NUL");
	refused("/a%0ab", "encoded LF");
	refused("/a%7f", "encoded DEL");
	refused("/a%", "'%' at the end");
	refused("/a%4", "'%' with one digit");
	refused("/a%zz", "'%' with non-hex");
	refused("a/b", "no leading '/'");
	refused("", "empty");
	refused("*", "asterisk-form");
	refused("http://x/a", "absolute-form");
	{
		const char raw[] = { '/', 'a', 0, 'b' };
		char out[16];
		const char *why = NULL;
		ok(urlpath_normalize(raw, sizeof(raw), out, sizeof(out), &why) == WS_E_MALFORMED,
		   "refused: a raw NUL");
	}
	{
		char out[4];
		const char *why;
		is_int(urlpath_normalize("/abcdef", 7, out, sizeof(out), &why), WS_E_LIMIT,
		       "a small output buffer: WS_E_LIMIT");
		char big[9];
		is_int(urlpath_normalize("/abcdef", 7, big, sizeof(big), &why), 7, "len + 2 suffices");
	}
	/* every prefix of a path with escapes: never a crash, never past the guard */
	{
		const char *p = "/a%2e%2e/b%41c/./d";
		for (size_t n = 0; n <= strlen(p); n++) {
			char tmp[64];
			memcpy(tmp, p, n);
			tmp[n] = '\0';
			char out[64];
			const char *why;
			int r = norm(tmp, out, sizeof(out), &why);
			ok(r >= WS_E_LIMIT || r == WS_E_MALFORMED, "prefix %zu: defined result (%d)", n, r);
		}
	}

	const char *name, *rest;
	size_t nl, rl;
	ok(urlpath_split_first("/echo", 5, &name, &nl, &rest, &rl) == 0 && nl == 4 &&
	   memcmp(name, "echo", 4) == 0 && rl == 0, "split /echo: name echo, rest empty");
	ok(urlpath_split_first("/echo/a/b", 9, &name, &nl, &rest, &rl) == 0 && nl == 4 &&
	   rl == 4 && memcmp(rest, "/a/b", 4) == 0, "split /echo/a/b: rest /a/b");
	ok(urlpath_split_first("/echo/", 6, &name, &nl, &rest, &rl) == 0 && rl == 1 && rest[0] == '/',
	   "split /echo/: rest /");
	is_int(urlpath_split_first("/", 1, &name, &nl, &rest, &rl), WS_E_UNSUPPORTED, "split /: no name");
	is_int(urlpath_split_first("/.env", 5, &name, &nl, &rest, &rl), WS_E_UNSUPPORTED,
	       "split /.env: hidden names are never scripts");
	ok(urlpath_is_folder("/a/", 3) && !urlpath_is_folder("/a", 2), "folder: trailing slash");
	return done_testing();
}
