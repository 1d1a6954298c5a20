/* route.c - URL path → file beneath a directory (see route.h). */
#include "route.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "err.h"
#include "urlpath.h"

/* realpath(dir/rel) must be dir's realpath or below it. */
static int open_checked(const char *dir, const char *rel, int flags)
{
	char *base = realpath(dir, NULL);
	if (base == NULL)
		return -1;
	size_t need = strlen(dir) + strlen(rel) + 2;
	char *full = malloc(need);
	if (full == NULL) {
		free(base);
		return -1;
	}
	snprintf(full, need, "%s/%s", dir, rel);
	char *real = realpath(full, NULL);
	free(full);
	int fd = -1;
	size_t bl = strlen(base);
	if (real == NULL) {
		/* errno from realpath */
	} else if (strncmp(real, base, bl) != 0 ||
		   (real[bl] != '\0' && real[bl] != '/' && !(bl == 1 && base[0] == '/'))) {
		errno = EXDEV;
	} else {
		fd = open(real, flags | O_CLOEXEC | O_NOCTTY);
	}
	int e = errno;
	free(real);
	free(base);
	errno = e;
	return fd;
}

int route_open_beneath(const char *dir, int dirfd, const char *rel, int flags)
{
#ifdef SYS_openat2
	struct open_how how;
	memset(&how, 0, sizeof(how));
	/* openat2 refuses flags that mean nothing with O_PATH (openat ignores them). */
	how.flags = (uint64_t)(flags | O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NOCTTY));
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	long fd;
	do
		fd = syscall(SYS_openat2, dirfd, *rel ? rel : ".", &how, sizeof(how));
	while (fd < 0 && (errno == EAGAIN || errno == EINTR));
	if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
		return (int)fd;
	/* ENOSYS: an old kernel; EPERM: a seccomp filter that does not know openat2. */
#endif
	return open_checked(dir, *rel ? rel : ".", flags);
}

void route_free(struct route *r)
{
	if (r == NULL)
		return;
	free(r->file);
	free(r->script_name);
	free(r->path_info);
	memset(r, 0, sizeof(*r));
}

int route_script(const char *dir, const char *path, size_t len, struct route *out,
		 const char **why)
{
	memset(out, 0, sizeof(*out));
	*why = NULL;
	char *norm = malloc(len + 2);
	if (norm == NULL) {
		*why = "out of memory";
		return 500;
	}
	int status = 404;
	int n = urlpath_normalize(path, len, norm, len + 2, why);
	if (n < 0) {
		status = 400;
		goto out;
	}
	const char *name, *rest;
	size_t name_len, rest_len;
	if (urlpath_split_first(norm, (size_t)n, &name, &name_len, &rest, &rest_len) != 0 ||
	    name_len > NAME_MAX)
		goto out;
	char nm[NAME_MAX + 1];
	memcpy(nm, name, name_len);
	nm[name_len] = '\0';
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		goto out;
	int fd = route_open_beneath(dir, dfd, nm, O_PATH);
	close(dfd);
	if (fd < 0)
		goto out;
	struct stat st;
	int r = fstat(fd, &st);
	close(fd);
	if (r != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0)
		goto out;
	size_t fl = strlen(dir) + name_len + 2;
	out->file = malloc(fl);
	out->script_name = malloc(name_len + 2);
	out->path_info = malloc(rest_len + 1);
	if (!out->file || !out->script_name || !out->path_info) {
		route_free(out);
		*why = "out of memory";
		status = 500;
		goto out;
	}
	snprintf(out->file, fl, "%s%s%s", dir, dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/", nm);
	out->script_name[0] = '/';
	memcpy(out->script_name + 1, name, name_len);
	out->script_name[name_len + 1] = '\0';
	memcpy(out->path_info, rest, rest_len);
	out->path_info[rest_len] = '\0';
	if (access(out->file, X_OK) != 0) {
		route_free(out);
		goto out;
	}
	status = 0;
out:
	free(norm);
	return status;
}
