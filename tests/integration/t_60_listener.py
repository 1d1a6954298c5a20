#!/usr/bin/python3
"""Listener mode: --maxforks (429 past it), handlers reaped (no zombies), the listener keeps
serving, the listening socket from fd 3 behaves the same."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import *  # noqa

MARK = tmpdir()
PROG = ["/bin/sh", "-c", 'touch "$0/$$"; exec cat', MARK]


def all_children(pid):
    """The listener's children, zombies included, but its spare handlers."""
    return handler_children(pid)


@test
def maxforks_429():
    for mode in ("listen", "listenfd"):
        # A marker directory of its own per round: a program of the previous round's last
        # connections may still touch its marker after that round ended.
        mark = tmpdir()
        prog = ["/bin/sh", "-c", 'touch "$0/$$"; exec cat', mark]
        s = Server(["--maxforks=1"] + prog, mode=mode)
        try:
            a = RawClient(s.port)
            T.eq(a.handshake().status, 101, "%s: first connection upgraded" % mode)
            a.send_text("held")
            T.eq(a.recv_message(5), (OP_TEXT, b"held"), "%s: first connection works" % mode)
            T.eq(len(wait_until(lambda: os.listdir(mark), 5) or []), 1, "%s: one program" % mode)
            b = RawClient(s.port)
            r = b.handshake()
            b.close()
            T.eq(r.status, 429, "%s: second connection with --maxforks=1: 429" % mode)
            T.ok(r.body.strip() != b"" and r.body.count(b"\n") == 1, "%s: 429 has a one-line body" % mode,
                 repr(r.body))
            wait_until(lambda: len(s.handlers()) <= 1, 5)
            T.eq(len(os.listdir(mark)), 1, "%s: no program started for the refused one" % mode)
            a.send_text("still")
            T.eq(a.recv_message(5), (OP_TEXT, b"still"), "%s: first connection unaffected" % mode)
            a.send_close(1000)
            a.recv_until_close(5)
            a.close()
            # once the first has gone, a new connection is served again (bounded retries)
            status = None
            for _ in range(50):
                c = RawClient(s.port)
                try:
                    status = c.handshake().status
                finally:
                    c.close()
                if status == 101:
                    break
                time.sleep(0.1)
            T.eq(status, 101, "%s: a slot frees when the first connection ends" % mode)
        finally:
            s.stop()


@test
def no_zombies_and_keeps_serving():
    s = Server(PROG, mode="listen")
    try:
        clients = []
        for i in range(5):
            c = RawClient(s.port)
            T.eq(c.handshake("/%d" % i).status, 101, "connection %d upgraded" % i)
            clients.append(c)
        T.eq(len(wait_until(lambda: len(s.handlers()) == 5 and s.handlers(), 5) or []), 5,
             "five handler processes for five connections")
        for i, c in enumerate(clients):
            if i % 2:
                c.send_close(1000)
                c.recv_until_close(5)
                c.close()
            else:
                c.abort()
        gone = wait_until(lambda: all_children(s.pid) == [], 10)
        T.ok(gone, "all handlers exited and were reaped (no zombie children of the listener)",
             "children: %r states: %r" % (all_children(s.pid), [proc_state(p) for p in all_children(s.pid)]))
        T.ok(pid_alive(s.pid), "listener still running")
        for name, client in CLIENTS:
            ev = client(s.url(), [{"send": "again"}, {"wait": 1}, {"close": 1000}])
            T.eq([e.get("data") for e in ev if e["event"] == "message"], ["again"],
                 "%s: listener keeps serving" % name)
        wait_until(lambda: all_children(s.pid) == [], 10)
        T.eq(all_children(s.pid), [], "no children left after library clients")
        me = os.getpid()
        zombies = [p for p in descendants(me) if proc_state(p) == "Z" and stat_field(p, 4) != me]
        T.eq(zombies, [], "no zombie anywhere under the listener")
    finally:
        s.stop()


@test
def listener_handles_refusals():
    s = Server(["--request-timeout=1"] + PROG, mode="listen")
    try:
        c = RawClient(s.port)
        c.send(b"GET / HTTP/1.1\r\nHost: x\r\n")
        r = c.response(8)
        T.eq(r.status, 408, "listener: 408 from a handler")
        c.close()
        c = RawClient(s.port)
        r = c.request(b"BAD\r\n\r\n")
        T.eq(r.status, 400, "listener: 400 from a handler")
        c.close()
        T.ok(wait_until(lambda: all_children(s.pid) == [], 10), "handlers of refused requests reaped")
        T.ok(pid_alive(s.pid), "listener survives refusals")
    finally:
        s.stop()


@test
def ipv6_address_without_a_resolver():
    # --address=[::1] is bound by wsinetd itself (addr.c), no hand-over: a handshake
    # over ::1 gets its 101.
    import socket
    port = free_port()
    err = os.path.join(MARK, "v6.err")
    with open(err, "wb") as ef:
        p = subprocess.Popen([BIN, "--port=%d" % port, "--address=[::1]", "cat"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=ef,
                             env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                             start_new_session=True, close_fds=True)
    try:
        got = b""
        for _ in range(100):  # bounded: 100 tries, 50 ms apart
            try:
                c = socket.create_connection(("::1", port), timeout=5)
                break
            except OSError:
                time.sleep(0.05)
        else:
            c = None
        T.ok(c is not None, "it listens on ::1", read_text(err))
        if c is not None:
            c.sendall(build_request("/", std_headers(port)))
            while b"\r\n\r\n" not in got:
                d = c.recv(4096)
                if not d:
                    break
                got += d
            c.close()
        T.ok(got.startswith(b"HTTP/1.1 101 "), "a handshake over ::1 gets 101", got[:80])
        T.eq(os.readlink("/proc/%d/exe" % p.pid), os.path.realpath(BIN),
             "a numeric IPv6 address: wsinetd itself, no hand-over")
    finally:
        kill_pid(p.pid, signal.SIGTERM)
        p.wait(10)


@test
def socket_failure_is_reported():
    # RLIMIT_NOFILE 8 and eight addresses to listen on: after stdin, stdout, stderr and
    # five listening sockets no descriptor is left for the sixth (whatever the program
    # loader needed at start is closed by then): exit 5 with a line that says why, not a
    # silent exit.
    import resource
    port = free_port()
    err = os.path.join(MARK, "nofile.err")
    addrs = ["--address=127.0.0.%d" % i for i in range(1, 9)]
    with open(err, "wb") as ef:
        p = subprocess.Popen([BIN, "--port=%d" % port] + addrs + ["cat"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=ef,
                             # LeakSanitizer (an ASan build) needs a descriptor at exit.
                             env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                  "ASAN_OPTIONS": "detect_leaks=0"},
                             start_new_session=True, close_fds=True,
                             preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (8, 8)))
    try:
        rc = p.wait(10)
    except subprocess.TimeoutExpired:
        kill_pid(p.pid)
        rc = p.wait()
    T.eq(rc, 5, "no descriptor for a listening socket: exit 5")
    # EMFILE in the C library's words: glibc's "Too many open files", musl's "No file
    # descriptors available" (the static wsinetd)
    T.ok(re.search(r"listen on 127\.0\.0\.\d port %d: (Too many open files|No file descriptors "
                   r"available)" % port, read_text(err)), "and a line saying why", read_text(err))

if __name__ == "__main__":
    sys.exit(main())
