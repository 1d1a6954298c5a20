/* child.h - the user's program: spawned in its own process group with stdin/stdout on
 * pipes, stderr inherited, nothing else open, default signal dispositions and an empty
 * mask; ended by escalation (stdin closed, then SIGINT, SIGTERM, SIGKILL to the whole
 * group) and reaped. The handler is a child subreaper, so orphaned grandchildren are
 * reaped here too: no zombies, no orphans. Sees no WebSocket data. */
#ifndef WSINETD_CHILD_H
#define WSINETD_CHILD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct child {
	pid_t pid;        /* also the process group id */
	int in_fd;        /* write end of the program's stdin, -1 once closed */
	int out_fd;       /* read end of the program's stdout, -1 once closed */
	bool exited;      /* the leader has been reaped */
	int status;       /* its wait status */
	bool group_gone;  /* no process of the group is left */
	/* termination ladder */
	int64_t ladder_start;   /* 0 = not started */
	int ladder_step;        /* signals sent so far: 0..3 */
};

/* Block SIGCHLD/SIGTERM/SIGINT/SIGHUP/SIGQUIT and return a signalfd for them
 * (CLOEXEC, non-blocking); ignore SIGPIPE; become a child subreaper. -1 on error. */
int child_signals_setup(void);

/* Note, once per process, which signals it inherited at a disposition other than
 * SIG_DFL (an ignored SIGHUP under nohup): child_spawn() resets those in the child.
 * Idempotent; in a listener, run before the first fork. */
void child_signals_scan(void);

/* Set a signal's disposition (SIG_IGN, or a handler with every signal blocked while it
 * runs, SA_RESTART) and remember it for child_spawn(). Every disposition this program
 * sets goes through here. */
void child_signal_set(int sig, void (*handler)(int));

/* In a process about to exec (--handoff, the spawned child): default dispositions for
 * every signal this process inherited or set at another (child_signals_scan,
 * child_signal_set), then an empty mask. */
void child_signals_reset(void);

/* Start `path` with argv/envp (clone CLONE_VM | CLONE_VFORK: no page tables copied).
 * Returns 0, or -1 with errno (of the exec when that failed; the child is reaped). */
int child_spawn(struct child *c, const char *path, char *const argv[], char *const envp[]);

/* The arena a program's environment is built in (cgienv_build: the program, a CGI
 * script, --auth-command), one per process: mapped at its first use and kept, so a
 * handler serving its next connection (--handler-reuse) maps and faults nothing again;
 * mapped rather than malloc'd, so the part no environment reached costs nothing (wiping
 * a 64 KiB block whole dirtied 64 KiB per idle connection). WS_ENV_BYTES_MAX bytes, or
 * NULL when it cannot be mapped. Environments are built one at a time. */
char *child_env_arena(void);

/* The arena held request data (cookies, tokens): wipe the *used bytes an environment
 * took (cgienv_build's count) and set *used to 0. Call it as soon as the program has its
 * copy, and again on every way out (then it does nothing). */
void child_env_wipe(size_t *used);

/* Reap every exited descendant (WNOHANG); record the leader's status. Updates
 * group_gone. */
void child_reap(struct child *c);

/* Close our end of the program's stdin (idempotent). */
void child_close_stdin(struct child *c);

/* Start the ladder's clock at `now` (idempotent). The caller closes stdin once the
 * queued input is delivered; the first signal closes it at the latest. */
void child_ladder_start(struct child *c, int64_t now);

/* Send whatever signal is due at `now`; returns the next deadline (ms, monotonic) or
 * -1 when nothing more is scheduled. */
int64_t child_ladder_tick(struct child *c, int64_t now, unsigned closems);

/* Describe the leader's end for a close reason / log: "exit N" or "signal N". */
void child_status_text(const struct child *c, char *buf, size_t len);

#endif
