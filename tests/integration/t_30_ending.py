#!/usr/bin/python3
"""Ending: program exit → remaining output then 1000 / 1011 "exit N" / "signal N"; client
close or disappearance → program's stdin closed, then SIGINT, SIGTERM, SIGKILL to the whole
group; grandchildren die; the handler exits with the documented status."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import *  # noqa

D = tmpdir()

LADDER = write_script(D, "ladder.py", r'''#!/usr/bin/python3
import os, signal, sys, time
log = open(sys.argv[1], "a", buffering=1)
who = ""
def h(sig, frm):
    log.write("%ssig %d\n" % (who, sig))
signal.signal(signal.SIGINT, h)
signal.signal(signal.SIGTERM, h)
child = os.fork()
if child == 0:
    # a second process in the program's group: it gets the signals too
    who = "child "
    os.close(0)
    end = time.monotonic() + 30
    while time.monotonic() < end:
        time.sleep(0.02)
    log.write("child survived\n")
    os._exit(0)
print("ready %d %d %d" % (os.getpid(), os.getpgrp(), child), flush=True)
sys.stdin.read()
log.write("eof\n")
end = time.monotonic() + 30
while time.monotonic() < end:
    time.sleep(0.02)
log.write("survived\n")
''')


def msgs(ev):
    return [(e["type"], e["data"]) for e in ev if e["event"] == "message"]


def closes(ev):
    return [(e["code"], e["reason"]) for e in ev if e["event"] == "close"]


@test
def exit_codes_to_close_codes():
    cases = [
        ("exit 0", ["/bin/sh", "-c", "echo a; echo b; exit 0"], ["a", "b"], 1000, None),
        ("exit 3", ["/bin/sh", "-c", "echo a; exit 3"], ["a"], 1011, "exit 3"),
        ("exit 255", ["/bin/sh", "-c", "echo z; exit 255"], ["z"], 1011, "exit 255"),
        ("killed by SIGKILL", ["/bin/sh", "-c", "echo k; kill -9 $$"], ["k"], 1011, "signal 9"),
        ("killed by SIGTERM", ["/bin/sh", "-c", "echo t; kill -TERM $$"], ["t"], 1011, "signal 15"),
    ]
    for what, prog, want_msgs, code, reason in cases:
        s = Server(prog, mode="inetd")
        try:
            for name, client in CLIENTS:
                ev = client(s.url(), [])
                T.eq(msgs(ev), [("text", m) for m in want_msgs], "%s, %s: output delivered" % (what, name))
                cl = closes(ev)
                got = (cl[0][0], cl[0][1] if reason is not None else None) if cl else None
                T.eq(got, (code, reason), "%s, %s: close %d %s" % (what, name, code, reason or ""))
        finally:
            s.stop()


@test
def exit_leaving_background_child():
    # the program exits 0 while a background child still holds its stdout: the program's
    # exit ends the session (close 1000) and the leftover child is killed with the group
    s = Server(["/bin/sh", "-c", "sleep 1000 & echo $!; echo a; exit 0"], mode="inetd")
    gpid = None
    try:
        c = RawClient(s.port)
        c.handshake()
        ms, code, _ = c.recv_until_close(8, raise_timeout=False)
        if ms and ms[0][0] == OP_TEXT:
            gpid = int(ms[0][1])
        T.eq([m[1] for m in ms[1:]], [b"a"], "output delivered")
        T.eq(code, 1000, "program exit 0 with a child holding stdout: close 1000")
        c.close()
        T.ok(gpid and wait_until(lambda: not pid_alive(gpid), 10), "the leftover child is killed")
        T.ok(wait_until(lambda: not s.handlers(), 5), "handler exited")
    finally:
        if gpid:
            kill_pid(gpid)
        s.stop()


@test
def program_closes_stdin():
    # messages to a program that closed its stdin must not kill the handler (EPIPE, no
    # SIGPIPE death); the session ends normally when the program exits
    s = Server(["/bin/sh", "-c", "exec <&-; echo ready; sleep 1; echo bye"], mode="inetd")
    try:
        c = RawClient(s.port)
        c.handshake()
        T.eq(c.recv_message(5), (OP_TEXT, b"ready"), "program started")
        for i in range(20):
            c.send_text("into the void %d" % i)
        ms, code, _ = c.recv_until_close(8, raise_timeout=False)
        T.eq((ms, code), ([(OP_TEXT, b"bye")], 1000), "later output and close 1000 still arrive")
        c.close()
        wait_until(lambda: ssa_exit_codes(s.stderr()), 5)
        T.ok(all(x in (0, 1) for _, x in ssa_exit_codes(s.stderr())) and ssa_exit_codes(s.stderr()),
             "handler exited normally (not killed by SIGPIPE)", s.stderr()[-800:])
    finally:
        s.stop()


@test
def all_output_before_close():
    s = Server(["/usr/bin/seq", "1", "20000"], mode="inetd")
    try:
        c = RawClient(s.port)
        c.handshake()
        ms, code, _ = c.recv_until_close(30, max_messages=30000)
        c.close()
        T.eq(len(ms), 20000, "20000 lines → 20000 messages")
        T.ok(ms == [(OP_TEXT, str(i).encode()) for i in range(1, 20001)], "in order, unchanged",
             repr(ms[:3]) + " ... " + repr(ms[-3:]))
        T.eq(code, 1000, "then close 1000")
    finally:
        s.stop()


@test
def handler_exit_status():
    for what, prog, want in (("program exit 0", ["/bin/sh", "-c", "echo a"], 0),
                             ("program exit 7", ["/bin/sh", "-c", "echo a; exit 7"], 1)):
        s = Server(prog, mode="inetd")
        try:
            c = RawClient(s.port)
            c.handshake()
            ms, code, _ = c.recv_until_close(5)
            c.send_close(code or 1000)
            c.wait_eof(5)
            c.close()
            wait_until(lambda: ssa_exit_codes(s.stderr()), 5)
            T.eq([x for _, x in ssa_exit_codes(s.stderr())], [want], "%s: handler exits %d" % (what, want))
        finally:
            s.stop()


def ladder_run(how, closems=None):
    log = os.path.join(D, "ladder-%s-%s.log" % (how, closems))
    args = ([] if closems is None else ["--closems=%d" % closems]) + [LADDER, log]
    s = Server(args, mode="inetd")
    try:
        c = RawClient(s.port)
        c.handshake()
        op, data = c.recv_message(5)
        _, pid, pgrp, child = data.decode().split()
        pid, pgrp, child = int(pid), int(pgrp), int(child)
        handler = s.wait_handler(2)
        T.eq(pgrp, pid, "%s: program leads its own process group" % how)
        T.ok(handler and stat_field(handler, 5) != pgrp, "%s: not the handler's group" % how)
        if how == "close":
            c.send_close(1000, "bye")
            f = c.recv_frame(5)
            T.eq((f.opcode, parse_close(f.payload)[0]), (OP_CLOSE, 1000), "close: server answers close 1000")
            c.close()
        else:
            c.abort()
        gone = wait_until(lambda: not pid_alive(pid), 10)
        T.ok(gone, "%s: program gone after the client left" % how)
        T.ok(wait_until(lambda: not group_members(pgrp), 5),
             "%s: nothing left in the program's process group" % how)
        T.ok(wait_until(lambda: not pid_alive(child), 5), "%s: the program's child gone too" % how)
        all_lines = read_text(log).splitlines()
        lines = [l for l in all_lines if not l.startswith("child")]
        clines = [l for l in all_lines if l.startswith("child")]
        T.ok("eof" in lines, "%s: program saw EOF on stdin" % how, repr(all_lines))
        T.eq([l for l in lines if l.startswith("sig")], ["sig 2", "sig 15"],
             "%s: SIGINT, then SIGTERM (then SIGKILL)" % how)
        T.eq(clines, ["child sig 2", "child sig 15"],
             "%s: the whole process group gets SIGINT and SIGTERM" % how)
        if closems:
            T.eq(lines, ["eof", "sig 2", "sig 15"],
                 "%s, --closems=%d: stdin EOF well before the signals" % (how, closems))
        T.ok("survived" not in lines, "%s: not left running" % how)
        T.ok(wait_until(lambda: not s.handlers(), 5), "%s: handler exited" % how)
    finally:
        s.stop()


@test
def ladder_on_client_close():
    ladder_run("close")


@test
def ladder_on_client_vanish():
    ladder_run("vanish")


@test
def ladder_closems():
    ladder_run("close", closems=1000)


@test
def grandchild_dies():
    for how in ("close", "vanish"):
        s = Server(["/bin/sh", "-c", "sleep 1000 & echo $!; exec cat"], mode="inetd")
        gpid = None
        try:
            c = RawClient(s.port)
            c.handshake()
            op, data = c.recv_message(5)
            gpid = int(data)
            T.ok(pid_alive(gpid), "%s: grandchild running" % how)
            c.send_text("still here")
            T.eq(c.recv_message(5), (OP_TEXT, b"still here"), "%s: echo works" % how)
            if how == "close":
                c.send_close(1000)
                c.recv_until_close(5)
                c.close()
            else:
                c.abort()
            pgid = stat_field(gpid, 5)
            T.ok(wait_until(lambda: not pid_alive(gpid), 10), "%s: grandchild (sleep) killed" % how)
            T.ok(wait_until(lambda: not group_members(pgid), 5),
                 "%s: nothing left in the program's process group" % how, repr(group_members(pgid)))
            T.ok(wait_until(lambda: not s.handlers(), 5), "%s: handler exited" % how)
        finally:
            if gpid:
                kill_pid(gpid)
            s.stop()


@test
def client_close_codes():
    s = Server(["cat"], mode="inetd")
    try:
        for name, client in CLIENTS:
            ev = client(s.url(), [{"send": "m"}, {"wait": 1}, {"close": 1000, "reason": "done"}])
            T.eq(msgs(ev), [("text", "m")], "%s: echo before close" % name)
            T.eq([c for c, _ in closes(ev)], [1000], "%s: close 1000 completes" % name)
        c = RawClient(s.port)
        c.handshake()
        c.send_close(4001, "custom")
        f = c.recv_frame(5)
        T.eq(f.opcode, OP_CLOSE, "client close 4001: server answers with a close frame")
        code = parse_close(f.payload)[0]
        T.ok(code in (4001, 1000), "the answer's code is 4001 (echoed) or 1000", repr(code))
        T.ok(c.wait_eof(5), "server closes TCP after the close handshake")
        c.close()
    finally:
        s.stop()


if __name__ == "__main__":
    sys.exit(main())
