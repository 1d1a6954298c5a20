"""faultlib - shared checks of the fault battery (tests/faults/t_*.py).

Built on tests/integration/wslib.py (imported, not modified). Every fault test runs
wsinetd as a listener (--port, one forked handler per connection) with its programs as
scripts in a fresh directory, and after the fault calls settle(), which asserts the
three things the issue asks after every test:
  - no zombie: every handler the listener forked has been reaped (no child of the
    listener left, not even in state Z, but its spare handlers: see
    wslib.holds_listening_socket);
  - no orphan: no process whose command line names this test's script directory is
    alive anywhere on the machine (the program, its children and grandchildren, also
    those that reparented to us: we are a child subreaper);
  - no fd left open: the listener is back to the fds it had before the test (an
    accepted socket it kept would show here), and while a handler runs, fds() lists
    its descriptors so a test can check there is no stray one (see handler_fds_ok).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from wslib import *  # noqa: F401,F403
import wslib  # noqa: E402

__all__ = [n for n in wslib.__all__] + ["Listener", "settle", "marker_procs",
                                       "handler_fds_ok", "wslib", "script"]


def marker_procs(marker, exclude=()):
    """Live processes whose command line contains marker (a script path), except the
    pids in exclude (the listener, whose own argv names the program) and the listener's
    spare handlers (its argv too; they hold a listening socket, a program never does)."""
    found = []
    me = os.getpid()
    inodes = listening_inodes()
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == me or int(d) in exclude:
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if marker.encode() in cmd.replace(b"\0", b" ") and pid_alive(int(d)) and \
                not holds_listening_socket(int(d), inodes):
            found.append((int(d), cmd.replace(b"\0", b" ").decode(errors="replace")[:120]))
    return found


class Listener(Server):
    """Server(mode='listen') that remembers the listener's fds at start. Its handlers
    serve one connection each (--handler-reuse=1, unless args say otherwise): these tests
    follow a handler to its end. What a reused handler keeps and drops between
    connections is t_63_reuse's."""

    def __init__(self, args, **kw):
        kw.setdefault("mode", "listen")
        if not any(a.startswith("--handler-reuse") for a in args):
            args = ["--handler-reuse=1"] + list(args)
        super().__init__(args, **kw)
        # The spares are forked once every fd of the listener is open.
        wait_until(lambda: len(fds(self.pid)) >= 4 and self.spares(), 5)
        self.base_fds = fds(self.pid)
        self.listen_inodes = {v for v in self.base_fds.values() if v.startswith("socket:")}


def handler_fds_ok(srv, hpid):
    """The handler holds 0-2, its socket, the program's pipes and its own signal/event
    fds: no listening socket, nothing else. Returns (ok, description)."""
    f = fds(hpid)
    leaked = [(k, v) for k, v in f.items() if v in srv.listen_inodes]
    ok = not leaked and len(f) <= 10
    return ok, "handler fds: %r" % sorted(f.items())


def settle(srv, marker, what, timeout=10.0):
    """After a fault: wait (bounded) for the handlers to finish, then assert no zombie,
    no orphan, no leaked listener fd, and the listener still alive."""
    gone = wait_until(lambda: not handler_children(srv.pid), timeout)
    kids = handler_children(srv.pid)
    T.ok(gone, "%s: every handler exited and was reaped (no zombie)" % what,
         "left: %r" % [(k, proc_state(k)) for k in kids])
    ex = (srv.pid,)
    wait_until(lambda: not marker_procs(marker, ex), 5)
    left = marker_procs(marker, ex)
    T.ok(not left, "%s: no program process left (no orphan)" % what, repr(left))
    now = fds(srv.pid)
    T.eq(sorted(now), sorted(srv.base_fds), "%s: listener fds back to %d (no fd left open)"
         % (what, len(srv.base_fds)))
    T.ok(srv.proc.poll() is None, "%s: listener still running" % what, srv.stderr()[-1500:])
    return left


def script(d, name, text):
    return write_script(d, name, text)
