#!/usr/bin/python3
"""Fault battery, program side. Expectations:
  - a program that ignores SIGINT and SIGTERM is killed by the ladder's SIGKILL: gone
    within 5 s of the client's Close (the ladder ends at +500 ms);
  - a program whose children fork again (a grandchild in the background, a double-forked
    daemon-like child that reparents to the handler): the whole process group is gone
    within 5 s of the client leaving;
  - a program that closes its stdout but keeps running: what it printed before arrives,
    then a Close (1011 "signal 2": the ladder ended it), within 5 s, and it is gone;
  - a program that exits before reading anything (exit 0 and exit 3) while the client
    keeps sending: Close 1000 / 1011 "exit 3", the handler is not killed by SIGPIPE;
after each: no zombie, no orphan, no fd left open (faultlib.settle), and while the
handler runs its fds are only its own (no listening socket)."""
import os
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import *  # noqa: F401,F403

D = tmpdir()

STUBBORN = script(D, "stubborn.py", r'''#!/usr/bin/python3
import signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
signal.signal(signal.SIGPIPE, signal.SIG_IGN)
print("ready", flush=True)
end = time.monotonic() + 60
while time.monotonic() < end:
    time.sleep(0.05)
''')

FORKER = script(D, "forker.sh", r'''#!/bin/sh
# a child that forks a grandchild; a double fork whose middle process exits at once
# (its child is re-parented to the handler, a subreaper); all ignore SIGINT.
trap '' INT
sh -c "trap '' INT; sleep 1001 & sleep 1002 & wait" &
sh -c "trap '' INT TERM; (trap '' INT TERM; exec sleep 1003) & exit 0"
echo ready
exec sleep 1004
''')

CLOSES_STDOUT = script(D, "closes_stdout.sh", "#!/bin/sh\necho before\nexec >&-\nexec sleep 1005\n")
EXIT0 = script(D, "exit0.sh", "#!/bin/sh\nexit 0\n")
EXIT3 = script(D, "exit3.sh", "#!/bin/sh\nexit 3\n")


def group_of(pid):
    return stat_field(pid, 5)


@test
def ignores_sigint_sigterm():
    s = Listener([STUBBORN])
    try:
        c = RawClient(s.port)
        T.eq(c.handshake().status, 101, "handshake")
        T.eq(c.recv_message(5), (OP_TEXT, b"ready"), "program ready (SIGINT/SIGTERM ignored)")
        h = s.wait_handler(5)
        ok, desc = handler_fds_ok(s, h)
        T.ok(ok, "handler holds only its own fds", desc)
        t0 = time.monotonic()
        c.send_close(1000)
        f = c.recv_frame(5)
        T.eq((f.opcode, parse_close(f.payload)[0]), (OP_CLOSE, 1000), "Close 1000 answered")
        c.close()
        gone = wait_until(lambda: not marker_procs(STUBBORN, (s.pid,)), 5)
        T.ok(gone, "the program is killed (SIGKILL) within 5 s (%.2f s)" % (time.monotonic() - t0))
        settle(s, D, "stubborn program")
    finally:
        s.stop()


def forker_sleepers():
    """FORKER's four sleeps, and no other process that happens to run "sleep 100..."."""
    return [(p, cmd) for p, cmd in marker_procs("sleep 100", ())
            if cmd.strip() in ("sleep 1001", "sleep 1002", "sleep 1003", "sleep 1004")]


@test
def children_fork_again():
    s = Listener([FORKER])
    try:
        c = RawClient(s.port)
        T.eq(c.handshake().status, 101, "handshake")
        T.eq(c.recv_message(5), (OP_TEXT, b"ready"), "program ready")
        sleepers = wait_until(lambda: len(forker_sleepers()) >= 4 and forker_sleepers(), 5) or []
        T.ok(len(sleepers) >= 4, "four sleepers started (children and grandchildren)",
             repr(forker_sleepers()))
        c.abort()  # the client vanishes
        pids = [p for p, _ in sleepers]
        t0 = time.monotonic()
        gone = wait_until(lambda: not any(pid_alive(p) for p in pids), 5)
        T.ok(gone, "the whole group is gone within 5 s (%.2f s)" % (time.monotonic() - t0),
             repr([(p, proc_state(p)) for p in pids if pid_alive(p)]))
        settle(s, D, "forking program")
    finally:
        s.stop()


@test
def closes_stdout_keeps_running():
    s = Listener([CLOSES_STDOUT])
    try:
        c = RawClient(s.port)
        T.eq(c.handshake().status, 101, "handshake")
        t0 = time.monotonic()
        ms, code, reason = c.recv_until_close(5, raise_timeout=False)
        T.eq(ms, [(OP_TEXT, b"before")], "what it printed before closing stdout arrives")
        T.ok(code in (1000, 1011), "then a Close (%r %r) within %.2f s" % (code, reason, time.monotonic() - t0))
        c.send_close(1000)
        c.close()
        T.ok(wait_until(lambda: not marker_procs(CLOSES_STDOUT, (s.pid,)), 5),
             "the program is ended, not left running")
        settle(s, D, "closed stdout")
    finally:
        s.stop()


@test
def exits_before_reading():
    for prog, code, reason in ((EXIT0, 1000, None), (EXIT3, 1011, b"exit 3")):
        s = Listener([prog])
        try:
            c = RawClient(s.port)
            T.eq(c.handshake(extra=encode_frame(OP_TEXT, b"early " * 1000)).status, 101, "handshake")
            sent = 0
            try:
                for i in range(200):
                    c.send_text("x" * 4096)
                    sent += 1
            except OSError:
                pass
            ms, got, why = c.recv_until_close(5, raise_timeout=False)
            T.eq(got, code, "%s: Close %d after sending %d messages" % (os.path.basename(prog), code, sent))
            if reason:
                T.eq(why, reason, "%s: reason %r" % (os.path.basename(prog), reason))
            c.close()
            settle(s, D, os.path.basename(prog))
            T.ok("signal 13" not in s.stderr() and "SIGPIPE" not in s.stderr(),
                 "handler not killed by SIGPIPE", s.stderr()[-800:])
        finally:
            s.stop()


if __name__ == "__main__":
    sys.exit(main())
