/* route.h - URL paths onto files under a directory, without ever leaving it (I/O).
 *
 * Used by --dir (WebSocket scripts), --cgidir (CGI scripts) and --staticdir (files).
 * Paths are first decoded and normalised by urlpath (which refuses "..", %2F, NUL);
 * then each file is opened beneath the directory with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_MAGICLINKS), so no symlink can lead out of it (an absolute symlink, or a
 * relative one climbing above the directory, fails with EXDEV). Where the kernel lacks
 * openat2 (before Linux 5.6) the fallback resolves the path with realpath(3) and refuses
 * anything whose real path is not inside the directory's real path. */
#ifndef WSINETD_ROUTE_H
#define WSINETD_ROUTE_H

#include <stddef.h>

struct route {
	char *file;         /* "DIR/name": what to exec */
	char *script_name;  /* "/name" (decoded) */
	char *path_info;    /* "/extra" (decoded), or "" */
};

/* Resolve the path (request-target up to '?', as sent) to a script: the first segment
 * names a regular, executable file directly inside dir (a symlink to one that stays
 * inside counts), the rest is PATH_INFO. Returns 0 (free with route_free), or an HTTP
 * status: 400 for a path urlpath refuses (*why says why), 404 for anything else (no
 * such name, a folder, not executable, hidden name, a symlink leading out). */
int route_script(const char *dir, const char *path, size_t len, struct route *out,
		 const char **why);
void route_free(struct route *r);

/* Open `rel` (relative, normalised: no "..", no leading '/') beneath the directory
 * dirfd (whose path is `dir`, for the fallback). flags as for open(2); O_CLOEXEC and
 * O_NOCTTY are added. Returns the fd, or -1 with errno (EXDEV or ELOOP for an escape). */
int route_open_beneath(const char *dir, int dirfd, const char *rel, int flags);

#endif
