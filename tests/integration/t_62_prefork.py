#!/usr/bin/python3
"""Listener mode, pre-forked spare handlers: two spares wait in accept while idle (never
more than --maxforks minus the busy handlers), a spare that takes a connection is
replaced, a killed spare is replaced, spares leave with the listener (SIGTERM, and
PR_SET_PDEATHSIG when it is killed outright). Handlers here serve one connection each
(--handler-reuse=1), so the spares are all that waits; handlers that come back between
connections (the default) are t_63_reuse's."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import *  # noqa

SPARES = 2  # LISTEN_SPARES in handler/listener.c
FRESH = ["--handler-reuse=1"]


def kids(pid):
    """Live children of pid."""
    return sorted(c for c in children(pid) if pid_alive(c))


def zombie_kids(pid):
    return [c for c in children(pid) if proc_state(c) == "Z"]


def idle_spares(s, want, timeout=5.0, exclude=()):
    """Wait (bounded) until the listener's children are exactly `want` spares, none of
    them in exclude, and nothing else; returns them, or None."""
    def f():
        k = kids(s.pid)
        return k if (len(k) == want and sorted(s.spares()) == k and
                     not set(k) & set(exclude)) else None
    return wait_until(f, timeout, 0.02)


def start_spares(s, what):
    """The two idle spares a fresh listener has (checked); [] if it never got them."""
    sp = idle_spares(s, SPARES) or []
    T.eq(len(sp), SPARES, "two spares %s" % what)
    return sp


def stays(fn, seconds=0.3, interval=0.05):
    """fn() holds at every look for `seconds` (a bounded number of looks)."""
    for _ in range(max(1, int(seconds / interval))):
        if not fn():
            return False
        time.sleep(interval)
    return True


def echo_once(s, text):
    ev = py_client(s.url(), [{"send": text}, {"wait": 1}, {"close": 1000}], timeout=10)
    return [e.get("data") for e in ev if e["event"] == "message"]


@test
def idle_has_two_spares():
    for mode in ("listen", "listenfd"):
        s = Server(FRESH + ["cat"], mode=mode)
        try:
            if mode == "listenfd":
                # systemd-socket-activate execs wsinetd (same pid) at the first connection
                T.eq(echo_once(s, "first"), ["first"], "%s: first connection served" % mode)
            sp = idle_spares(s, SPARES)
            T.ok(sp, "%s: idle listener has exactly %d spare children" % (mode, SPARES),
                 "children: %r spares: %r" % (kids(s.pid), s.spares()))
            T.ok(stays(lambda: len(kids(s.pid)) == SPARES), "%s: and no more appear" % mode,
                 repr(kids(s.pid)))
            T.eq([p for p in (sp or []) if kids(p)], [], "%s: no spare has a program child" % mode)
            T.eq(echo_once(s, "hello"), ["hello"], "%s: a spare serves a connection" % mode)
            T.ok(idle_spares(s, SPARES), "%s: then two spares again" % mode,
                 "children: %r spares: %r" % (kids(s.pid), s.spares()))
        finally:
            s.stop()


@test
def sequential_connections_keep_two():
    s = Server(FRESH + ["cat"], mode="listen")
    try:
        first = start_spares(s, "to start with")
        for i in range(5):
            T.eq(echo_once(s, "m%d" % i), ["m%d" % i], "connection %d echoed" % i)
        sp = idle_spares(s, SPARES)
        T.ok(sp, "still exactly %d spares after 5 connections, no handler left" % SPARES,
             "children: %r spares: %r" % (kids(s.pid), s.spares()))
        T.ok(set(sp or []) != set(first), "the spares that took connections were replaced",
             "before %r after %r" % (first, sp))
        T.ok(wait_until(lambda: not zombie_kids(s.pid), 5), "no zombie child of the listener",
             repr(zombie_kids(s.pid)))
        T.ok(pid_alive(s.pid), "listener still running")
    finally:
        s.stop()


@test
def maxforks_bounds_spares():
    s = Server(FRESH + ["--maxforks=1", "cat"], mode="listen")
    try:
        T.ok(idle_spares(s, 1), "--maxforks=1: one spare while idle",
             "children: %r" % kids(s.pid))
        a = RawClient(s.port)
        T.eq(a.handshake().status, 101, "first connection upgraded")
        a.send_text("held")
        T.eq(a.recv_message(5), (OP_TEXT, b"held"), "first connection works")
        T.ok(wait_until(lambda: len(s.handlers()) == 1 and not s.spares(), 5),
             "one busy handler, no spare (--maxforks reached)",
             "handlers %r spares %r" % (s.handlers(), s.spares()))
        T.ok(stays(lambda: not s.spares()), "no spare appears while at --maxforks")
        b = RawClient(s.port)
        try:
            r = b.handshake()
        finally:
            b.close()
        T.eq(r.status, 429, "second connection: 429")
        a.send_close(1000)
        a.recv_until_close(5)
        a.close()
        T.ok(idle_spares(s, 1), "after the first closed: one spare again",
             "children: %r spares: %r" % (kids(s.pid), s.spares()))
        T.eq(echo_once(s, "again"), ["again"], "a new connection works")
        T.ok(idle_spares(s, 1), "and the spare is back (maxforks - busy = 1)",
             "children: %r spares: %r" % (kids(s.pid), s.spares()))
        T.match(r"429: 1 handlers running", s.stderr(), "the 429 is logged")
    finally:
        s.stop()


@test
def killed_spare_is_replaced():
    s = Server(FRESH + ["cat"], mode="listen")
    try:
        sp = start_spares(s, "to start with")
        if sp:
            victim = sp[0]
            kill_pid(victim, signal.SIGKILL)
            after = idle_spares(s, SPARES, exclude=[victim])
            T.ok(after, "the killed spare is replaced within 5 s", repr(kids(s.pid)))
            T.ok(not pid_alive(victim), "the killed spare is gone (reaped)")
            T.ok(wait_until(lambda: not zombie_kids(s.pid), 5), "no zombie left")
            T.eq(echo_once(s, "still"), ["still"], "the listener still serves")
            T.match(r"spare handler %d ended before taking a connection \(signal 9\)" % victim,
                    s.stderr(), "the death is logged")
    finally:
        s.stop()


@test
def dying_spares_are_replaced_at_a_bounded_rate():
    """SPARE_RESPAWN_MS (100 ms in handler/listener.c): of two spares that die together,
    the second replacement is forked at least 100 ms after the first, so spares that die
    as soon as they start cannot make the listener fork in a loop."""
    s = Server(FRESH + ["cat"], mode="listen")
    try:
        sp = start_spares(s, "to start with")
        for p in sp:
            kill_pid(p, signal.SIGKILL)
        new = idle_spares(s, SPARES, exclude=sp)
        T.ok(new, "both replaced within 5 s", repr(kids(s.pid)))
        if new:
            ticks = sorted(stat_field(p, 22) for p in new)  # starttime, clock ticks
            gap_ms = (ticks[1] - ticks[0]) * 1000 // os.sysconf("SC_CLK_TCK")
            T.ok(gap_ms >= 90, "the second replacement came >= 100 ms after the first "
                 "(start times %d ms apart, tick-rounded)" % gap_ms)
        T.eq(echo_once(s, "after"), ["after"], "the listener still serves")
    finally:
        s.stop()


@test
def sigterm_ends_listener_and_spares():
    s = Server(FRESH + ["cat"], mode="listen")
    try:
        sp = start_spares(s, "before SIGTERM")
        a = RawClient(s.port)
        T.eq(a.handshake().status, 101, "a connection is open")
        a.send_text("x")
        T.eq(a.recv_message(5), (OP_TEXT, b"x"), "and echoes")
        h = s.handlers()
        prog = wait_until(lambda: [c for p in s.handlers() for c in kids(p)], 5) or []
        every = set(sp) | set(h) | set(prog)
        t0 = time.monotonic()
        os.kill(s.pid, signal.SIGTERM)
        try:
            code = s.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        T.eq(code, 0, "listener exits 0 on SIGTERM within 5 s")
        left = wait_until(lambda: [p for p in every if pid_alive(p)] == [], 5)
        T.ok(left, "spares, handler and program all gone",
             repr([(p, proc_state(p)) for p in every if pid_alive(p)]))
        T.ok(time.monotonic() - t0 < 5, "within 5 s")
        try:
            code = a.recv_until_close(5)[1]
        except Exception as e:  # noqa
            code = repr(e)
        T.eq(code, 1001, "the open connection was closed with 1001")
        a.close()
    finally:
        s.stop()


@test
def spare_exits_when_listener_is_killed():
    s = Server(FRESH + ["cat"], mode="listen")
    try:
        sp = start_spares(s, "before SIGKILL")
        kill_pid(s.pid, signal.SIGKILL)
        try:
            s.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        gone = wait_until(lambda: [p for p in sp if pid_alive(p)] == [], 5)
        T.ok(gone, "spares of a SIGKILLed listener exit by themselves within 5 s",
             repr([(p, proc_state(p)) for p in sp if pid_alive(p)]))
        T.ok(not is_listening(s.port), "nothing listens on the port any more")
    finally:
        s.stop()


if __name__ == "__main__":
    sys.exit(main())
