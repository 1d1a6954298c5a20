/* mime.c - extension → Content-Type (see mime.h). */
#include "mime.h"

#include <string.h>
#include <strings.h>

static const struct { const char *ext, *type; } types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "json", "application/json" },
	{ "map", "application/json" },
	{ "webmanifest", "application/manifest+json" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "md", "text/markdown; charset=utf-8" },
	{ "csv", "text/csv; charset=utf-8" },
	{ "xml", "application/xml" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "avif", "image/avif" },
	{ "ico", "image/vnd.microsoft.icon" },
	{ "wasm", "application/wasm" },
	{ "pdf", "application/pdf" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "ttf", "font/ttf" },
	{ "otf", "font/otf" },
	{ "mp3", "audio/mpeg" },
	{ "ogg", "audio/ogg" },
	{ "wav", "audio/wav" },
	{ "mp4", "video/mp4" },
	{ "webm", "video/webm" },
	{ "zip", "application/zip" },
	{ "gz", "application/gzip" },
};

const char *mime_type(const char *name, size_t len)
{
	size_t i = len;
	while (i > 0 && name[i - 1] != '.' && name[i - 1] != '/')
		i--;
	/* no dot in the last segment, or a hidden file's leading dot only (".bashrc") */
	if (i == 0 || name[i - 1] != '.' || i == 1 || name[i - 2] == '/')
		return "application/octet-stream";
	const char *ext = name + i;
	size_t elen = len - i;
	for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++)
		if (strlen(types[k].ext) == elen && strncasecmp(types[k].ext, ext, elen) == 0)
			return types[k].type;
	return "application/octet-stream";
}
