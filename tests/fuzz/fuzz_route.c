/* fuzz_route - URL paths onto scripts beneath a directory (handler/route.c): --dir and
 * --cgidir, the last guard between a request path and an exec.
 *
 * Fixture (LLVMFuzzerInitialize, removed at exit): under a mkdtemp() folder BASE,
 *   BASE/outside           executable, outside DIR (what an escape would reach)
 *   DIR = BASE/dir with
 *     run, sub/run         executable scripts (0755)      data       not executable (0644)
 *     .x                   hidden, executable              sub        a folder
 *     in -> run            symlink staying inside          abs -> BASE/outside (absolute)
 *     up -> ../outside     relative, climbing out          loop -> loop
 *     dirlink -> sub       a symlink to a folder           nox -> data (not executable)
 *     "a b%", "x%2Fy"      executables with odd bytes, when the filesystem allows them
 * Input: the request path (request-target up to '?'), all of it, as sent.
 * Properties:
 *   - route_script returns 0, 400 with *why set, or 404; 400 exactly when
 *     urlpath_normalize refuses the path;
 *   - oracle: 0 exactly when the normalised path's first segment names one of run, in,
 *     "a b%", "x%2Fy" (the regular executables directly inside DIR, a symlink to one
 *     included); then file is DIR "/" name, script_name "/" name and path_info the rest
 *     of the normalised path;
 *   - on 0 in general: file is DIR + "/" + one name without '/' not starting with '.',
 *     a regular executable file whose realpath lies inside DIR's realpath (never
 *     BASE/outside); script_name starts with '/' and its last part names the file;
 *     path_info is "" or starts with '/';
 *   - the same input gives the same answer twice; route_free leaves nothing (ASan);
 *     no fd is left open (the lowest free fd is the same before and after);
 *   - route_open_beneath(DIR, dirfd, rel, O_RDONLY), rel the normalised path without its
 *     leading '/' (route.h wants it normalised): an fd it returns is, by
 *     /proc/self/fd, DIR's realpath or below it, and close-on-exec; through abs, up
 *     or loop it fails with EXDEV or ELOOP (route.h); "", run, in, data, nox, sub,
 *     sub/run, dirlink open, each to the file or folder it names inside DIR.
 * Where the kernel has openat2 (5.6+) the realpath fallback (open_checked) is not run. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fuzz.h"
#include "route.h"
#include "urlpath.h"

static char base[64], dir[96], dir_real[PATH_MAX], outside_real[PATH_MAX];
static int dirfd_ = -1;
static bool odd_names;

/* Names the fixture created (relative to BASE), for the cleanup: files and links first,
 * then the folders. */
static const char *const fixture_files[] = {
	"dir/run", "dir/data", "dir/.x", "dir/sub/run", "dir/in", "dir/abs", "dir/up",
	"dir/loop", "dir/dirlink", "dir/nox", "dir/a b%", "dir/x%2Fy", "outside",
};

static void cleanup(void)
{
	char p[192];
	if (base[0] == '\0')
		return;
	if (dirfd_ >= 0)
		close(dirfd_);
	for (size_t i = 0; i < sizeof(fixture_files) / sizeof(fixture_files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", base, fixture_files[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/dir/sub", base);
	rmdir(p);
	rmdir(dir);
	rmdir(base);
}

static void file_at(const char *rel, mode_t mode, bool required)
{
	char p[192];
	snprintf(p, sizeof(p), "%s/%s", base, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		if (!required)
			return;
		fprintf(stderr, "fuzz_route: cannot create %s: %s\n", p, strerror(errno));
		abort();
	}
	static const char script[] = "#!/bin/sh\nexit 0\n";
	if (write(fd, script, sizeof(script) - 1) != (ssize_t)(sizeof(script) - 1))
		abort();
	close(fd);
	if (chmod(p, mode) != 0) /* the umask must not decide the fixture */
		abort();
}

static void link_at(const char *target, const char *rel)
{
	char p[192];
	snprintf(p, sizeof(p), "%s/%s", base, rel);
	if (symlink(target, p) != 0) {
		fprintf(stderr, "fuzz_route: symlink %s: %s\n", p, strerror(errno));
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(base, sizeof(base), "/tmp/wsinetd-fuzz-route.XXXXXX");
	if (mkdtemp(base) == NULL) {
		perror("fuzz_route: mkdtemp");
		abort();
	}
	atexit(cleanup);
	snprintf(dir, sizeof(dir), "%s/dir", base);
	char p[192];
	snprintf(p, sizeof(p), "%s/sub", dir);
	if (mkdir(dir, 0755) != 0 || mkdir(p, 0755) != 0)
		abort();
	file_at("outside", 0755, true);
	file_at("dir/run", 0755, true);
	file_at("dir/data", 0644, true);
	file_at("dir/.x", 0755, true);
	file_at("dir/sub/run", 0755, true);
	link_at("run", "dir/in");
	snprintf(p, sizeof(p), "%s/outside", base);
	link_at(p, "dir/abs");
	link_at("../outside", "dir/up");
	link_at("loop", "dir/loop");
	link_at("sub", "dir/dirlink");
	link_at("data", "dir/nox");
	file_at("dir/a b%", 0755, false);
	file_at("dir/x%2Fy", 0755, false);
	char q[192];
	snprintf(p, sizeof(p), "%s/a b%%", dir);
	snprintf(q, sizeof(q), "%s/x%%2Fy", dir);
	odd_names = access(p, X_OK) == 0 && access(q, X_OK) == 0;
	snprintf(p, sizeof(p), "%s/outside", base);
	if (realpath(dir, dir_real) == NULL || realpath(p, outside_real) == NULL)
		abort();
	dirfd_ = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd_ < 0)
		abort();
	return 0;
}

/* The lowest free fd: a leak anywhere moves it. */
static int lowest_free_fd(void)
{
	int fd = dup(0);
	if (fd < 0)
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	return fd;
}

/* The names directly inside DIR that are scripts: regular, executable, not hidden. */
static bool is_script_name(const char *name, size_t len)
{
	static const char *const ok[] = { "run", "in", "a b%", "x%2Fy" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strlen(ok[i]) == len && memcmp(ok[i], name, len) == 0)
			return i < 2 || odd_names;
	return false;
}

/* p is dir_real itself or a path below it. */
static bool inside_dir(const char *p)
{
	size_t bl = strlen(dir_real);
	return strncmp(p, dir_real, bl) == 0 && (p[bl] == '\0' || p[bl] == '/');
}

static void check_route(const char *in, size_t len, int st, const struct route *r, const char *why,
			const char *norm, int n)
{
	CHECK(st == 0 || st == 400 || st == 404, "status %d", st);
	CHECK((st == 400) == (n < 0), "status %d, urlpath_normalize %d", st, n);
	if (st == 400)
		CHECK(why != NULL && why[0] != '\0', "400 without a reason");
	const char *name = NULL, *rest = NULL;
	size_t nl = 0, rl = 0;
	bool script = n >= 0 && urlpath_split_first(norm, (size_t)n, &name, &nl, &rest, &rl) == 0 &&
		      is_script_name(name, nl);
	CHECK((st == 0) == script, "status %d for '%.*s' (normalised '%s')", st, (int)len, in,
	      n >= 0 ? norm : "-");
	if (st != 0)
		return;

	/* The oracle: exactly the name and rest of the normalised path. */
	size_t dl = strlen(dir);
	CHECK(strncmp(r->file, dir, dl) == 0 && r->file[dl] == '/' && strlen(r->file + dl + 1) == nl &&
	      memcmp(r->file + dl + 1, name, nl) == 0, "file '%s' for name '%.*s'", r->file, (int)nl, name);
	CHECK(r->script_name[0] == '/' && strlen(r->script_name + 1) == nl &&
	      memcmp(r->script_name + 1, name, nl) == 0, "script_name '%s'", r->script_name);
	CHECK(strlen(r->path_info) == rl && memcmp(r->path_info, rest, rl) == 0,
	      "path_info '%s', expected '%.*s'", r->path_info, (int)rl, rest);

	/* What route.h promises of any accepted route. */
	const char *leaf = r->file + dl + 1;
	CHECK(leaf[0] != '\0' && leaf[0] != '.' && strchr(leaf, '/') == NULL, "file '%s'", r->file);
	char real[PATH_MAX];
	CHECK(realpath(r->file, real) != NULL, "realpath %s: %s", r->file, strerror(errno));
	CHECK(inside_dir(real) && strcmp(real, dir_real) != 0, "%s resolves to %s, outside %s", r->file,
	      real, dir_real);
	CHECK(strcmp(real, outside_real) != 0, "%s reaches the outside file", r->file);
	struct stat sb;
	CHECK(stat(r->file, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 0111) != 0 &&
	      access(r->file, X_OK) == 0, "%s is not a regular executable", r->file);
	const char *sl = strrchr(r->script_name, '/');
	CHECK(r->script_name[0] == '/' && strcmp(sl + 1, leaf) == 0, "script_name '%s' for file '%s'",
	      r->script_name, r->file);
	CHECK(r->path_info[0] == '\0' || r->path_info[0] == '/', "path_info '%s'", r->path_info);
}

/* The folder or file rel must lead to, or NULL when not known to the harness. */
static const char *expected_target(const char *rel)
{
	static const char *const map[][2] = {
		{ "", "" }, { "run", "/run" }, { "in", "/run" }, { "data", "/data" },
		{ "sub", "/sub" }, { "sub/", "/sub" }, { "sub/run", "/sub/run" },
		{ "dirlink", "/sub" }, { "dirlink/run", "/sub/run" }, { "nox", "/data" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(rel, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

static void check_open_beneath(const char *norm)
{
	const char *rel = norm + 1;
	errno = 0;
	int fd = route_open_beneath(dir, dirfd_, rel, O_RDONLY);
	int e = errno;
	size_t fl = strcspn(rel, "/");
	/* The first segment is a symlink leading out of DIR (or round in a loop). */
	bool escape = (fl == 3 && memcmp(rel, "abs", 3) == 0) || (fl == 2 && memcmp(rel, "up", 2) == 0) ||
		      (fl == 4 && memcmp(rel, "loop", 4) == 0);
	const char *want = expected_target(rel);
	if (fd < 0) {
		/* A path longer than PATH_MAX is refused before it is resolved. */
		CHECK(!escape || e == EXDEV || e == ELOOP || (e == ENAMETOOLONG && strlen(rel) >= PATH_MAX),
		      "'%s' refused with errno %d, not EXDEV/ELOOP", rel, e);
		CHECK(want == NULL, "'%s' refused (errno %d), it leads to DIR%s", rel, e, want);
		return;
	}
	CHECK(!escape, "'%s' opened (fd %d): an escape", rel, fd);
	char link[64], target[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t tl = readlink(link, target, sizeof(target) - 1);
	CHECK(tl > 0, "readlink %s: %s", link, strerror(errno));
	target[tl] = '\0';
	CHECK(inside_dir(target), "'%s' opened %s, outside %s", rel, target, dir_real);
	if (want) {
		size_t bl = strlen(dir_real);
		CHECK(strcmp(target + bl, want) == 0, "'%s' opened %s, not DIR%s", rel, target, want);
	}
	int fdflags = fcntl(fd, F_GETFD);
	CHECK(fdflags >= 0 && (fdflags & FD_CLOEXEC), "fd of '%s' without FD_CLOEXEC", rel);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_dup(data, size);
	int fd0 = lowest_free_fd();

	char *norm = malloc(size + 2);
	const char *nwhy = NULL;
	int n = urlpath_normalize(in, size, norm, size + 2, &nwhy);
	CHECK(n >= 0 || n == WS_E_MALFORMED, "urlpath_normalize %d with cap len+2", n);

	struct route r, r2;
	const char *why = NULL, *why2 = NULL;
	int st = route_script(dir, in, size, &r, &why);
	check_route(in, size, st, &r, why, norm, n);

	int st2 = route_script(dir, in, size, &r2, &why2);
	CHECK(st2 == st, "second call %d, first %d", st2, st);
	if (st == 0) {
		CHECK(strcmp(r.file, r2.file) == 0 && strcmp(r.script_name, r2.script_name) == 0 &&
		      strcmp(r.path_info, r2.path_info) == 0, "second call routes elsewhere");
	} else if (st == 400) {
		CHECK(why2 != NULL && strcmp(why, why2) == 0, "second call: another reason");
	}
	route_free(&r);
	route_free(&r2);
	route_free(NULL);

	if (n >= 0)
		check_open_beneath(norm);

	CHECK(lowest_free_fd() == fd0, "an fd was left open (lowest free was %d)", fd0);
	free(norm);
	free(in);
	return 0;
}
