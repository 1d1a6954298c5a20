#include "child.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "limits.h"

/* Signals whose disposition in this process is not SIG_DFL, bit s-1 for signal s: the
 * ones a spawned program must get back at their default (an ignored signal stays ignored
 * across exec; a caught one must not run its handler in the child, which shares our
 * memory until it execs). Filled by child_signals_scan(), added to by child_signal_set(). */
static uint64_t sig_set_here;
static bool sig_scanned;

void child_signal_set(int sig, void (*handler)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	if (sig >= 1 && sig <= 64)
		sig_set_here |= (uint64_t)1 << (sig - 1);
}

void child_signals_scan(void)
{
	if (sig_scanned)
		return;
	sig_scanned = true;
	for (int s = 1; s < NSIG && s <= 64; s++) {
		struct sigaction old;
		/* glibc refuses its internal signals (32, 33): count them as set. */
		if (sigaction(s, NULL, &old) != 0 || old.sa_handler != SIG_DFL)
			sig_set_here |= (uint64_t)1 << (s - 1);
	}
	/* SIGKILL and SIGSTOP cannot be set: never reset them. */
	sig_set_here &= ~(((uint64_t)1 << (SIGKILL - 1)) | ((uint64_t)1 << (SIGSTOP - 1)));
}

int child_signals_setup(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	child_signals_scan(); /* what this process inherited, before SIGPIPE is ours */
	child_signal_set(SIGPIPE, SIG_IGN);
	/* An inherited SIG_IGN would have the kernel reap the program behind our back: no
	 * exit status, and the end of the program seen only after the ladder's give-up. */
	child_signal_set(SIGCHLD, SIG_DFL);
	/* Orphans of the program re-parent to us, so we can reap them and know when the
	 * whole group is gone. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Every signal in `which` (bit s-1) at SIG_DFL. The raw system call: glibc's sigaction()
 * refuses its internal signals (32, 33). An all-zero kernel sigaction is SIG_DFL with no
 * flags and an empty mask, whatever the struct's layout on this architecture. */
static void signals_default(uint64_t which)
{
	uint64_t zero[8];
	memset(zero, 0, sizeof(zero));
	for (int s = 1; s < NSIG && s <= 64; s++)
		if (which & ((uint64_t)1 << (s - 1)))
			syscall(SYS_rt_sigaction, s, zero, NULL, (size_t)(NSIG / 8));
	/* Architectures with more than 64 signals (MIPS): the ones the set does not
	 * track, always. */
	for (int s = 65; s < NSIG; s++)
		syscall(SYS_rt_sigaction, s, zero, NULL, (size_t)(NSIG / 8));
}

void child_signals_reset(void)
{
	signals_default(sig_set_here);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* What the spawned child needs; it runs on spawn_stack in our address space. */
struct spawn_arg {
	const char *path;
	char *const *argv, *const *envp;
	int in_fd, out_fd;
	volatile int err; /* the exec's errno, read by the parent once the child is gone */
};

/* Only the child of child_spawn() runs here, on spawn_stack: the parent is suspended
 * (CLONE_VFORK) until it execs or exits. */
static _Alignas(64) unsigned char spawn_stack[64 * 1024];

__attribute__((no_sanitize("address")))
static int spawn_child(void *p)
{
	struct spawn_arg *a = p;
	/* Every signal is blocked here (the parent blocked them around clone): no handler
	 * of the parent's can run on its memory before the dispositions are reset, which
	 * comes before the mask is emptied. */
	child_signals_reset();
	setpgid(0, 0);
	if (dup2(a->in_fd, 0) < 0 || dup2(a->out_fd, 1) < 0)
		goto fail;
	/* Nothing above stderr is inherited: the connection's socket, the listener's. */
	if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0) {
		/* A kernel before 5.9 (or a seccomp filter): every possible descriptor. */
		struct rlimit rl;
		rlim_t top = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur <= INT_MAX ?
			rl.rlim_cur : (rlim_t)INT_MAX;
		for (rlim_t fd = 3; fd < top; fd++)
			close((int)fd);
	}
	execve(a->path, a->argv, a->envp);
fail:
	a->err = errno != 0 ? errno : ENOEXEC;
	_exit(127);
}

int child_spawn(struct child *c, const char *path, char *const argv[], char *const envp[])
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	memset(c, 0, sizeof(*c));
	c->in_fd = c->out_fd = -1;
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
		goto fail;
	/* clone(CLONE_VM | CLONE_VFORK), as glibc's posix_spawn does, but on a stack kept
	 * for the process and resetting only the signals this process set, where
	 * posix_spawn maps and unmaps a stack, asks getrlimit once per file action and
	 * makes 64 sigaction calls in the child, per connection (strace: 71 system calls in
	 * the child, 8 with this). The child gets its own process group (the ladder's
	 * signals reach the program's children, a terminal's Ctrl-C at the listener does
	 * not), stdin/stdout on the pipes, every fd above 2 closed, default dispositions and
	 * an empty mask. */
	child_signals_scan(); /* no-op after child_signals_setup() */
	struct spawn_arg a = {
		.path = path, .argv = argv, .envp = envp, .in_fd = in[0], .out_fd = out[1],
		.err = 0,
	};
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = clone(spawn_child, spawn_stack + sizeof(spawn_stack),
			  CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
	int e = pid < 0 ? errno : a.err;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid > 0 && e != 0)
		waitpid(pid, NULL, 0); /* the exec failed: the child has exited */
	if (pid < 0 || e != 0) {
		errno = e;
		goto fail;
	}
	close(in[0]);
	close(out[1]);
	c->pid = pid;
	c->in_fd = in[1];
	c->out_fd = out[0];
	fcntl(c->in_fd, F_SETFL, O_NONBLOCK);
	fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
	return 0;
fail:;
	int save = errno;
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0) close(in[i]);
		if (out[i] >= 0) close(out[i]);
	}
	c->exited = c->group_gone = true; /* nothing runs: nothing to wait for */
	errno = save;
	return -1;
}

static char *env_arena;

char *child_env_arena(void)
{
	if (env_arena == NULL) {
		void *p = mmap(NULL, WS_ENV_BYTES_MAX, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		env_arena = p == MAP_FAILED ? NULL : p;
	}
	return env_arena;
}

void child_env_wipe(size_t *used)
{
	if (env_arena != NULL && *used > 0)
		explicit_bzero(env_arena, *used);
	*used = 0;
}

void child_reap(struct child *c)
{
	for (;;) {
		int status;
		pid_t p = waitpid(-1, &status, WNOHANG);
		if (p <= 0)
			break;
		if (p == c->pid) {
			c->exited = true;
			c->status = status;
		}
	}
	/* kill(-pgid, 0) fails with ESRCH once no process is left in the group. Members
	 * that changed their group (setsid) are out of our reach by design. */
	if (c->pid > 0 && c->exited && !c->group_gone && kill(-c->pid, 0) != 0 && errno == ESRCH)
		c->group_gone = true;
}

void child_close_stdin(struct child *c)
{
	if (c->in_fd >= 0) {
		close(c->in_fd);
		c->in_fd = -1;
	}
}

void child_ladder_start(struct child *c, int64_t now)
{
	if (c->ladder_start == 0)
		c->ladder_start = now;
}

/* websocketd's ladder: SIGINT, SIGTERM, SIGKILL at 100, 250, 500 ms, each after the
 * --closems grace. */
static const int ladder_sig[3] = { SIGINT, SIGTERM, SIGKILL };
static const int64_t ladder_ms[3] = { 100, 250, 500 };

int64_t child_ladder_tick(struct child *c, int64_t now, unsigned closems)
{
	if (c->ladder_start == 0 || c->group_gone || c->pid <= 0)
		return -1;
	while (c->ladder_step < 3) {
		int64_t due = c->ladder_start + (int64_t)closems + ladder_ms[c->ladder_step];
		if (now < due)
			return due;
		/* The program gets EOF on stdin no later than the first signal. */
		child_close_stdin(c);
		kill(-c->pid, ladder_sig[c->ladder_step]);
		c->ladder_step++;
	}
	return -1;
}

void child_status_text(const struct child *c, char *buf, size_t len)
{
	if (!c->exited)
		snprintf(buf, len, "running");
	else if (WIFEXITED(c->status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(c->status));
	else if (WIFSIGNALED(c->status))
		snprintf(buf, len, "signal %d", WTERMSIG(c->status));
	else
		snprintf(buf, len, "status %d", c->status);
}
