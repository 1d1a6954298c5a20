#include "child.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

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
	signal(SIGPIPE, SIG_IGN);
	/* Orphans of the program re-parent to us, so we can reap them and know when the
	 * whole group is gone. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

void child_signals_reset(void)
{
	/* The raw system call: glibc's sigaction() refuses its internal signals (32, 33),
	 * and an ignored disposition survives exec. An all-zero kernel sigaction is
	 * SIG_DFL with no flags and an empty mask, whatever the struct's layout on this
	 * architecture. SIGKILL/SIGSTOP fail harmlessly. */
	uint64_t zero[8];
	memset(zero, 0, sizeof(zero));
	for (int s = 1; s < NSIG; s++)
		syscall(SYS_rt_sigaction, s, zero, NULL, (size_t)(NSIG / 8));
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Close every fd from `first` on: close_range(2) where the kernel has it, else brute
 * force up to the limit. */
static void close_from(unsigned first)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, first, ~0U, 0U) == 0)
		return;
#endif
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = (int)first; fd < max; fd++)
		close(fd);
}

int child_spawn(struct child *c, const char *path, char *const argv[], char *const envp[])
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, st[2] = { -1, -1 };
	memset(c, 0, sizeof(*c));
	c->in_fd = c->out_fd = -1;
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(st, O_CLOEXEC) != 0)
		goto fail;
	pid_t pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0) {
		/* Own process group: the ladder signals reach the program's children too, and
		 * a terminal's Ctrl-C aimed at the listener does not. */
		setpgid(0, 0);
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(127);
		/* The exec-status pipe goes to fd 3 (CLOEXEC: the program never sees it);
		 * everything above it is closed, the connection's socket included. */
		if (st[1] != 3 && dup3(st[1], 3, O_CLOEXEC) < 0)
			_exit(127);
		close_from(4);
		child_signals_reset();
		execve(path, argv, envp);
		int e = errno;
		ssize_t w = write(3, &e, sizeof(e));
		(void)w;
		_exit(127);
	}
	setpgid(pid, pid); /* both sides, so there is no window where it is unset */
	close(in[0]);
	close(out[1]);
	close(st[1]);
	in[0] = out[1] = st[1] = -1;
	int e = 0;
	ssize_t r;
	do
		r = read(st[0], &e, sizeof(e));
	while (r < 0 && errno == EINTR);
	close(st[0]);
	c->pid = pid;
	c->in_fd = in[1];
	c->out_fd = out[0];
	fcntl(c->in_fd, F_SETFL, O_NONBLOCK);
	fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
	if (r == (ssize_t)sizeof(e)) {
		/* exec failed: reap it now. */
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		close(c->in_fd);
		close(c->out_fd);
		c->in_fd = c->out_fd = -1;
		c->exited = c->group_gone = true;
		errno = e;
		return -1;
	}
	return 0;
fail:;
	int save = errno;
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0) close(in[i]);
		if (out[i] >= 0) close(out[i]);
		if (st[i] >= 0) close(st[i]);
	}
	errno = save;
	return -1;
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
