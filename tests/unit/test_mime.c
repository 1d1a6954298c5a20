/* test_mime.c - Content-Type by extension. */
#include "tap.h"

#include "mime.h"

static void is_type(const char *name, const char *want)
{
	const char *got = mime_type(name, strlen(name));
	ok(strcmp(got, want) == 0, "%s -> %s", name, want);
	if (strcmp(got, want) != 0)
		printf("#   got %s\n", got);
}

int main(void)
{
	is_type("/index.html", "text/html; charset=utf-8");
	is_type("/INDEX.HTM", "text/html; charset=utf-8");
	is_type("/app.js", "text/javascript; charset=utf-8");
	is_type("/s.css", "text/css; charset=utf-8");
	is_type("/d.json", "application/json");
	is_type("/i.png", "image/png");
	is_type("/i.JPG", "image/jpeg");
	is_type("/i.svg", "image/svg+xml");
	is_type("/m.wasm", "application/wasm");
	is_type("/r.txt", "text/plain; charset=utf-8");
	is_type("/a.tar.gz", "application/gzip");
	is_type("/noext", "application/octet-stream");
	is_type("/dir.d/noext", "application/octet-stream");
	is_type("/.bashrc", "application/octet-stream");
	is_type("/x.unknown", "application/octet-stream");
	is_type("/trailing.", "application/octet-stream");
	is_type("", "application/octet-stream");
	is_type("a.html", "text/html; charset=utf-8");
	return done_testing();
}
