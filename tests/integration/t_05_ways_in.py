#!/usr/bin/python3
"""The ways in: inetd (stdin/stdout socket), fd style (connected socket on fd 3), listener
(--port, and a listening socket on fd 3), plain pipes and a socketpair; the same echo and
peer facts through each."""
import os, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import *  # noqa

ENVPROG = ["/bin/sh", "-c", 'echo "$REMOTE_ADDR|$REMOTE_PORT|$SERVER_PORT|$REQUEST_URI"; exec cat']


def msgs(ev):
    return [(e["type"], e["data"]) for e in ev if e["event"] == "message"]


def closes(ev):
    return [e["code"] for e in ev if e["event"] == "close"]


@test
def echo_every_way():
    for mode in ("inetd", "fd", "listen", "listenfd"):
        s = Server(["cat"], mode=mode)
        try:
            for name, client in CLIENTS:
                ev = client(s.url("/m"), [{"send": "one"}, {"send": "twö"}, {"wait": 2},
                                          {"close": 1000}])
                T.eq(msgs(ev), [("text", "one"), ("text", "twö")], "%s, %s: echo" % (mode, name))
                T.eq(closes(ev), [1000], "%s, %s: close 1000" % (mode, name))
            if mode.startswith("listen"):
                # the listener keeps serving: two clients at once
                a, b = RawClient(s.port), RawClient(s.port)
                try:
                    T.eq((a.handshake().status, b.handshake().status), (101, 101),
                         "%s: two concurrent connections" % mode)
                    a.send_text("A")
                    b.send_text("B")
                    T.eq((b.recv_message(5), a.recv_message(5)), ((OP_TEXT, b"B"), (OP_TEXT, b"A")),
                         "%s: each connection has its own program" % mode)
                finally:
                    a.close()
                    b.close()
        finally:
            s.stop()


@test
def peer_facts_every_way():
    for mode in ("inetd", "fd", "listen", "listenfd"):
        s = Server(ENVPROG, mode=mode)
        try:
            c = RawClient(s.port)
            r = c.handshake("/where?x=1")
            T.eq(r.status, 101, "%s: handshake" % mode)
            m = c.recv_message(5)
            T.eq(m, (OP_TEXT, ("127.0.0.1|%d|%d|/where?x=1" % (c.local_port, s.port)).encode()),
                 "%s: REMOTE_ADDR, REMOTE_PORT, SERVER_PORT, REQUEST_URI from the socket" % mode)
            c.close()
        finally:
            s.stop()


@test
def pipes_peer_from_environment():
    for kind in ("pipes", "socketpair"):
        for env, want in (({"REMOTE_ADDR": "10.1.2.3", "REMOTE_PORT": "4444"}, "10.1.2.3|4444"),
                          ({"TCPREMOTEIP": "10.9.8.7", "TCPREMOTEPORT": "5555", "TCPLOCALPORT": "81"},
                           "10.9.8.7|5555")):
            pc = spawn_pipes(ENVPROG, kind=kind, env=env)
            try:
                pc.send(build_request("/p", std_headers(80)))
                r = pc.response(5)
                T.eq(r.status, 101, "%s: handshake" % kind)
                m = pc.recv_message(5)
                got = m[1].decode().split("|")[:2] if m[0] == OP_TEXT else m
                T.eq("|".join(got), want, "%s with %s: peer from the spawner's environment"
                     % (kind, sorted(env)))
                pc.send_text("echo")
                T.eq(pc.recv_message(5), (OP_TEXT, b"echo"), "%s: echo" % kind)
            finally:
                pc.stop()


@test
def fd_style_does_not_use_stdio():
    # fd style: stdin is /dev/null and stdout is a file; nothing may be written to stdout
    s = Server(["cat"], mode="fd")
    try:
        c = RawClient(s.port)
        c.handshake()
        c.send_text("x")
        T.eq(c.recv_message(5), (OP_TEXT, b"x"), "fd style: echo over fd 3")
        c.send_close(1000)
        c.recv_until_close(5)
        c.close()
        wait_until(lambda: not s.handlers(), 5)
        T.eq(read_text(s.stdout_path), "", "fd style: nothing written to stdout")
    finally:
        s.stop()


def run_activated(shell_prefix, stdin=b""):
    """wsinetd cat exec'd by sh after shell_prefix (which sets LISTEN_* and fds), so
    LISTEN_PID=$$ names wsinetd itself; returns (rc, stdout, stderr)."""
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            e[k] = os.environ[k]
    p = subprocess.run(["/bin/sh", "-c", shell_prefix + ' exec "$0" cat', BIN], input=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e, timeout=10)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


@test
def listen_fds_errors():
    # LISTEN_PID/LISTEN_FDS are read by wsinetd itself (no libsystemd): what it refuses.
    rc, out, err = run_activated("export LISTEN_PID=$$ LISTEN_FDS=x;")
    T.ok(rc == 5 and "malformed" in err and out == b"", "LISTEN_FDS=x: exit 5, 'malformed'",
         "rc=%r err=%r" % (rc, err))
    rc, out, err = run_activated("exec 3</dev/null 4</dev/null; export LISTEN_PID=$$ LISTEN_FDS=2;")
    T.ok(rc == 2 and "serves exactly one" in err, "two sockets passed: exit 2",
         "rc=%r err=%r" % (rc, err))
    rc, out, err = run_activated("exec 3</dev/null; export LISTEN_PID=$$ LISTEN_FDS=1;")
    T.ok(rc == 2 and "not a stream socket" in err, "fd 3 not a socket: exit 2",
         "rc=%r err=%r" % (rc, err))
    # Another process's LISTEN_*: not ours, ignored; the request on stdin is served.
    req = build_request("/", std_headers(80))
    rc, out, err = run_activated("exec 3</dev/null; export LISTEN_PID=1 LISTEN_FDS=1;", stdin=req)
    T.ok(out.startswith(b"HTTP/1.1 101 "), "LISTEN_PID of another process: ignored, 101 on stdout",
         "rc=%r out=%r err=%r" % (rc, out[:80], err))


if __name__ == "__main__":
    sys.exit(main())
