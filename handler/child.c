#include "child.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
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

int child_spawn(struct child *c, const char *path, char *const argv[], char *const envp[])
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	memset(c, 0, sizeof(*c));
	c->in_fd = c->out_fd = -1;
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
		goto fail;
	/* posix_spawn, not fork: glibc runs the child in our address space (CLONE_VM |
	 * CLONE_VFORK) until it execs, so no page table is copied and no page faulted in
	 * twice; fork cost ~0.3 ms more per connection here. The child gets its own process
	 * group (the ladder's signals reach the program's children, a terminal's Ctrl-C at
	 * the listener does not), stdin/stdout on the pipes, every fd above 2 closed (the
	 * connection's socket included), every signal at its default (the full set, 32 and
	 * 33 too: glibc's sigaction refuses those, posix_spawn's own reset does not) and an
	 * empty mask. An exec failure comes back as the return value. */
	posix_spawnattr_t a;
	posix_spawn_file_actions_t fa;
	sigset_t all, none;
	memset(&all, 0xff, sizeof(all));
	sigemptyset(&none);
	int e = posix_spawnattr_init(&a);
	if (e != 0)
		goto fail_e;
	e = posix_spawn_file_actions_init(&fa);
	if (e != 0) {
		posix_spawnattr_destroy(&a);
		goto fail_e;
	}
	pid_t pid = -1;
	if ((e = posix_spawnattr_setflags(&a, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
					       POSIX_SPAWN_SETSIGMASK)) == 0 &&
	    (e = posix_spawnattr_setpgroup(&a, 0)) == 0 &&
	    (e = posix_spawnattr_setsigdefault(&a, &all)) == 0 &&
	    (e = posix_spawnattr_setsigmask(&a, &none)) == 0 &&
	    (e = posix_spawn_file_actions_adddup2(&fa, in[0], 0)) == 0 &&
	    (e = posix_spawn_file_actions_adddup2(&fa, out[1], 1)) == 0 &&
	    (e = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) == 0)
		e = posix_spawn(&pid, path, &fa, &a, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&a);
	if (e != 0)
		goto fail_e; /* glibc reaped the child whose exec failed */
	close(in[0]);
	close(out[1]);
	c->pid = pid;
	c->in_fd = in[1];
	c->out_fd = out[0];
	fcntl(c->in_fd, F_SETFL, O_NONBLOCK);
	fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
	return 0;
fail_e:
	errno = e;
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
