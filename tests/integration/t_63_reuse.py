#!/usr/bin/python3
"""Listener mode, --handler-reuse=N: a handler serves up to N connections one after
another, each with a fresh program (default 100); with 1 every connection gets a fresh
handler process. A reused handler keeps no descriptor of an earlier connection, does not come
back while it still has a child, and leaves with the listener; at most LISTEN_IDLE_MAX
processes wait in accept."""
import asyncio, base64, json, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import *  # noqa
import websockets

IDLE_MAX = 16  # LISTEN_IDLE_MAX in handler/listener.c
# The program reports its parent, the handler, then echoes.
PPID_CAT = ["sh", "-c", "echo $PPID; exec cat"]


def first_message(s):
    """Connect, return the first message (the program's first line), close with 1000."""
    ev = py_client(s.url(), [{"wait": 1}, {"close": 1000}], timeout=10)
    msgs = [e.get("data") for e in ev if e["event"] == "message"]
    return msgs[0] if msgs else None


def exchange(s, text, compression=None):
    """Connect, send text once the program's first line is in, close with 1000 after
    the echo; returns every message received (the first line, then the echo)."""
    ev = py_client(s.url(), [{"wait": 1}, {"send": text}, {"wait": 2}, {"close": 1000}],
                   compression=compression, timeout=10)
    return [e.get("data") for e in ev if e["event"] == "message"]


def handler_counts(s, n):
    """n connections one after another: the first lines (handler PIDs) and how many
    connections each handler served."""
    seen = [first_message(s) for _ in range(n)]
    return seen, {p: seen.count(p) for p in set(seen)}


@test
def reuse_1_is_a_fresh_handler_per_connection():
    s = Server(["--handler-reuse=1"] + PPID_CAT, mode="listen")
    try:
        seen = [first_message(s) for _ in range(4)]
        T.ok(all(seen), "four connections served", repr(seen))
        T.ok(len(set(seen)) == 4, "--handler-reuse=1: each connection had its own handler",
             repr(seen))
    finally:
        s.stop()


@test
def default_reuses_handlers():
    s = Server(PPID_CAT, mode="listen")
    try:
        seen, counts = handler_counts(s, 9)
        T.ok(all(seen), "nine connections served", repr(seen))
        T.ok(max(counts.values()) >= 2, "without --handler-reuse, handlers were reused "
             "(WS_HANDLER_REUSE_DEFAULT)", repr(counts))
    finally:
        s.stop()


@test
def reuse_serves_up_to_n():
    s = Server(["--handler-reuse=3"] + PPID_CAT, mode="listen")
    try:
        seen, counts = handler_counts(s, 9)
        T.ok(all(seen), "nine connections served", repr(seen))
        T.ok(max(counts.values()) <= 3, "no handler served more than 3", repr(counts))
        T.ok(max(counts.values()) >= 2, "handlers were reused", repr(counts))
        T.eq(exchange(s, "still echoes")[1:], ["still echoes"], "a reused handler echoes")
    finally:
        s.stop()


@test
def reused_handler_keeps_no_descriptor():
    s = Server(["--handler-reuse=100"] + PPID_CAT, mode="listen")
    try:
        seen = {}
        for i in range(6):
            p = first_message(s)
            pid = int(p)
            # look once the handler is back in accept
            wait_until(lambda: waiting_in_accept(pid), 5, 0.02)
            seen.setdefault(pid, []).append(sorted(fds(pid).values()))
        again = {p: v for p, v in seen.items() if len(v) >= 2}
        T.ok(again, "a handler served several connections", repr(list(seen)))
        T.ok(all(v[0] == x for v in again.values() for x in v),
             "its descriptors after each connection are the same set", repr(again))
        listening = listening_inodes()
        socks = [t for v in again.values() for t in v[0] if t.startswith("socket:[")]
        T.ok(socks and all(t[8:-1] in listening for t in socks),
             "its only sockets are listening ones: no connection left open", repr(again))
    finally:
        s.stop()


@test
def handler_with_a_leftover_child_is_not_reused():
    # The program leaves a process outside its group (setsid): it re-parents to the
    # handler (subreaper), and that handler must end instead of serving again.
    prog = ["sh", "-c", "setsid sleep 4 </dev/null >/dev/null 2>&1 & echo $PPID $!; exec cat"]
    s = Server(["--handler-reuse=100"] + prog, mode="listen")
    stray = []
    try:
        first = first_message(s)
        T.ok(first, "served")
        h, left = (int(x) for x in first.split())
        stray.append(left)
        T.ok(wait_until(lambda: not pid_alive(h), 5, 0.02),
             "the handler with a leftover child ended instead of waiting again")
        second = first_message(s)
        T.ok(second and int(second.split()[0]) != h, "the next connection had another handler",
             repr((first, second)))
        if second:
            stray.append(int(second.split()[1]))
    finally:
        for p in stray:
            try:
                os.kill(p, 9)
            except OSError:
                pass
        s.stop()


@test
def reused_handlers_leave_with_the_listener():
    s = Server(["--handler-reuse=100"] + PPID_CAT, mode="listen")
    try:
        pids = {int(first_message(s)) for _ in range(4)}
        T.ok(all(pid_alive(p) for p in pids), "the handlers wait for more connections",
             repr(pids))
        tree0 = children(s.pid)
        t0 = time.monotonic()
        os.kill(s.pid, signal.SIGTERM)
        gone = wait_until(lambda: not any(pid_alive(p) for p in set(tree0) | pids), 10, 0.02)
        T.ok(gone, "SIGTERM: every handler gone", repr([p for p in tree0 if pid_alive(p)]))
        # Before the 3 s grace that ends in SIGKILL: they left by themselves.
        T.ok(time.monotonic() - t0 < 2.5, "and before the listener's 3 s SIGKILL deadline",
             "%.2f s" % (time.monotonic() - t0))
    finally:
        s.stop()


@test
def busy_reused_handler_leaves_with_the_listener():
    # SIGTERM while a handler that could serve more holds a connection: Close 1001, and
    # it ends instead of going back to accept (the listener is stopping).
    s = Server(["--handler-reuse=100"] + PPID_CAT, mode="listen")
    try:
        c = RawClient(s.port)
        try:
            T.eq(c.handshake("/").status, 101, "handshake")
            m = c.recv_message(5)
            pid = int(m[1]) if m and m[0] == OP_TEXT else 0
            t0 = time.monotonic()
            os.kill(s.pid, signal.SIGTERM)
            f = c.recv_frame(5)
            T.eq((f.opcode, parse_close(f.payload)[0]), (OP_CLOSE, 1001),
                 "SIGTERM: Close 1001 on the open connection")
            c.send_close(1001)
        finally:
            c.close()
        T.ok(pid and wait_until(lambda: not pid_alive(pid), 10, 0.02),
             "its handler ended", pid)
        T.ok(time.monotonic() - t0 < 2.5, "by itself, before the listener's 3 s SIGKILL "
             "deadline", "%.2f s" % (time.monotonic() - t0))
    finally:
        s.stop()


async def _hold(port, n):
    conns = [await websockets.connect("ws://127.0.0.1:%d/" % port) for _ in range(n)]
    for c in conns:
        await asyncio.wait_for(c.recv(), 5)
    for c in conns:
        await c.close()


@test
def at_most_idle_max_wait():
    s = Server(["--handler-reuse=100"] + PPID_CAT, mode="listen")
    try:
        n = IDLE_MAX + 8
        asyncio.run(asyncio.wait_for(_hold(s.port, n), 30))
        # every child of the listener waits (none runs a program) and there are few
        settled = wait_until(lambda: all(not children(c) for c in children(s.pid)) and
                             len(children(s.pid)) <= IDLE_MAX, 10, 0.05)
        k = children(s.pid)
        T.ok(settled, "after %d connections closed: at most %d processes wait" % (n, IDLE_MAX),
             "%d children" % len(k))
        T.ok(len(k) >= 2, "and at least the two spares", repr(k))
        T.eq(exchange(s, "after")[1:], ["after"], "still serves")
    finally:
        s.stop()


async def _churn(port, clients, rounds):
    """clients at once, each connecting rounds times: (served, refused with 429)."""
    served = refused = 0

    async def one():
        nonlocal served, refused
        for _ in range(rounds):
            try:
                async with websockets.connect("ws://127.0.0.1:%d/" % port) as ws:
                    await ws.send("x")
                    await asyncio.wait_for(ws.recv(), 5)
                served += 1
            except websockets.exceptions.InvalidStatusCode as e:
                if e.status_code != 429:
                    raise
                refused += 1
    await asyncio.gather(*(one() for _ in range(clients)))
    return served, refused


@test
def maxforks_holds_with_reuse():
    # --maxforks counts every handler, those back in accept included: at most 2
    # programs ever run at once, however the handlers come and go.
    log = os.path.join(tmpdir(), "programs.log")
    prog = ["sh", "-c", "echo S >> %s; cat; echo E >> %s" % (log, log)]
    s = Server(["--handler-reuse=100", "--maxforks=2"] + prog, mode="listen")
    try:
        served, refused = asyncio.run(asyncio.wait_for(_churn(s.port, 12, 5), 60))
        running = most = 0
        with open(log) as f:
            for line in f:
                running += 1 if line.strip() == "S" else -1
                most = max(most, running)
        T.ok(served > 0 and refused > 0, "60 attempts, 12 at once: some served, some 429",
             "served %d, refused %d" % (served, refused))
        T.ok(most <= 2, "never more than --maxforks=2 programs at once", "%d at once" % most)
    finally:
        s.stop()


@test
def jwt_key_serves_every_connection_of_a_reused_handler():
    # The key is wiped once a connection's authentication is decided, but only in a
    # process that serves no other connection: a reused handler keeps it.
    secret = b"a secret that is long enough for HS256, 32+ bytes"
    kf = os.path.join(tmpdir(), "jwt.key")
    with open(kf, "wb") as f:
        f.write(secret + b"\n")
    tok = hand_hs256('{"alg":"HS256","typ":"JWT"}',
                     json.dumps({"sub": "alice", "exp": int(time.time()) + 3600}), secret)
    s = Server(["--handler-reuse=100", "--jwt-key=" + kf, "--auth-query=token"] + PPID_CAT,
               mode="listen")
    try:
        seen, statuses = [], []
        for _ in range(6):
            c = RawClient(s.port)
            try:
                r = c.handshake("/?token=" + tok)
                statuses.append(r.status)
                if r.status == 101:
                    m = c.recv_message(5)
                    seen.append(m[1].decode().strip() if m else None)
            finally:
                c.close()
            wait_until(lambda: all(not children(x) for x in children(s.pid)), 5, 0.02)
        T.eq(statuses, [101] * 6, "six connections with a valid token: all 101")
        T.ok(len(set(seen)) < len(seen), "some handler served more than one of them", repr(seen))
        c = RawClient(s.port)
        try:
            T.eq(c.handshake("/").status, 401, "and one without a token still gets 401")
        finally:
            c.close()
    finally:
        s.stop()


@test
def failed_handoff_ends_the_connection():
    # With --handoff the program replaces the handler; when its exec fails the handler
    # answers Close 1011 and must end (it holds the socket on fds 0 and 1), not wait
    # for another connection.
    bad = os.path.join(tmpdir(), "badshebang")
    with open(bad, "w") as f:
        f.write("#!/nonexistent/interpreter\n")
    os.chmod(bad, 0o755)
    s = Server(["--handler-reuse=100", "--handoff", bad], mode="listen")
    try:
        c = RawClient(s.port)
        try:
            r = c.handshake("/")
            T.eq(r.status, 101, "101 before the exec")
            f = c.recv_frame(5)
            T.eq((f.opcode, parse_close(f.payload)[0]), (OP_CLOSE, 1011),
                 "then Close 1011 (the program could not start)")
            data, eof = c.read_until_eof(timeout=5)
            T.ok(eof, "the connection ends after the Close", repr(data[:100]))
        finally:
            c.close()
    finally:
        s.stop()


@test
def system_failure_ends_a_reused_handler():
    # A connection that ends in a system failure (exit status 5; here the program cannot
    # be exec'd: 500) is its handler's last, whatever --handler-reuse allows.
    bad = write_script(tmpdir(), "badinterp", "#!/nonexistent/interpreter\n")
    s = Server(["--handler-reuse=100", bad], mode="listen")
    try:
        waiting = wait_until(lambda: len(s.spares()) >= 2 and s.spares(), 5) or []
        T.ok(waiting, "the spares wait", repr(waiting))
        c = RawClient(s.port)
        try:
            T.eq(c.handshake("/").status, 500, "500: the program cannot start")
        finally:
            c.close()
        T.ok(wait_until(lambda: any(not pid_alive(p) for p in waiting), 5),
             "the handler that took it ended, not back in accept", repr(waiting))
    finally:
        s.stop()


@test
def killed_listener_releases_the_port():
    # A reused handler in the middle of a connection holds the listening sockets; when
    # the listener is killed outright it closes them (the port refuses connections,
    # a new listener could bind it), finishes its connection, and ends.
    s = Server(["--handler-reuse=100"] + PPID_CAT, mode="listen")
    h = None

    async def session():
        nonlocal h
        ws = await websockets.connect(s.url())
        h = int(await asyncio.wait_for(ws.recv(), 5))
        os.kill(s.pid, signal.SIGKILL)
        t0 = time.monotonic()
        while is_listening(s.port) and time.monotonic() - t0 < 5:
            await asyncio.sleep(0.05)
        closed = not is_listening(s.port)
        await ws.send("still here")
        echo = await asyncio.wait_for(ws.recv(), 5)
        await ws.close()
        return closed, echo

    try:
        closed, echo = asyncio.run(asyncio.wait_for(session(), 30))
        T.ok(closed, "nothing listens on the port once the listener is gone")
        T.eq(echo, "still here", "the open connection goes on")
        T.ok(wait_until(lambda: not pid_alive(h), 5, 0.02),
             "its handler ends after the connection instead of waiting again")
    finally:
        if h and pid_alive(h):
            os.kill(h, signal.SIGKILL)
        s.stop()


def memory_has(pid, needle):
    """Whether needle is in any readable mapping of process pid (/proc/PID/mem, as
    root)."""
    with open("/proc/%d/maps" % pid) as f:
        maps = f.read().splitlines()
    with open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for ln in maps:
            parts = ln.split()
            if not parts[1].startswith("r") or (len(parts) > 5 and parts[5].startswith("[v")):
                continue
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except OSError:
                continue
            if needle in data:
                return True
    return False


def waiting_in_accept(pid):
    return read_text("/proc/%d/wchan" % pid).strip() in ("ep_poll", "do_epoll_wait")


@test
def reused_handler_keeps_no_message():
    # What a connection sent and received (compressed: zlib's window of it; --json: what
    # jansson parsed) is wiped before its handler waits for the next one.
    json_ppid = ["sh", "-c", 'echo "{\\"type\\":\\"text\\",\\"data\\":\\"$PPID\\"}"; exec cat']
    for mode, args in (("lines", PPID_CAT), ("json", ["--json"] + json_ppid)):
        s = Server(args, mode="listen")
        try:
            for compression in (None, "deflate"):
                what = "%s, compression %s" % (mode, compression)
                # free() writes its list pointers over a block's first 16 bytes: look
                # for the random part, well past them
                rnd = os.urandom(8).hex()
                marker = "wsinetd-marker-%s-%s" % (compression, rnd)
                msgs = exchange(s, marker, compression)
                T.eq(msgs[1:], [marker], "%s: echoed" % what)
                handler = int(msgs[0]) if msgs and msgs[0].isdigit() else 0
                back = wait_until(lambda: handler and waiting_in_accept(handler), 5)
                T.ok(back, "%s: the handler waits for its next connection" % what)
                # the search itself works: it finds the program's command line
                T.ok(back and memory_has(handler, b"exec cat"),
                     "%s: the memory search finds what is there" % what)
                T.ok(back and not memory_has(handler, rnd.encode()),
                     "%s: the message is nowhere in its memory" % what)
        finally:
            s.stop()


def minflt(pid):
    """Minor page faults of process pid so far (/proc/PID/stat, field 10)."""
    stat = read_text("/proc/%d/stat" % pid)
    return int(stat[stat.rindex(")") + 2:].split()[7]) if stat else None


@test
def reused_handler_maps_no_new_memory():
    # A reused handler's next connection finds its memory still mapped: the request, the
    # environment, the relay's buffers (buf.c keeps their blocks, whatever the
    # allocator; musl's unmaps freed blocks of these sizes at once). A connection that
    # maps them afresh faults in about 140 pages in the handler here; one that reuses
    # them, none (the odd one still grows the heap once). Measured between connections
    # of one handler, while it waits.
    s = Server(["--max-message=200K"] + PPID_CAT, mode="listen")
    try:
        faults = {}   # handler pid -> page faults after each of its connections
        for i in range(24):
            msgs = exchange(s, "x" * (100 * 1024 + i))
            handler = int(msgs[0]) if msgs and msgs[0].isdigit() else 0
            T.ok(handler and msgs[1:] == ["x" * (100 * 1024 + i)],
                 "connection %d: served and echoed" % i, repr([m[:40] for m in msgs]))
            if handler and wait_until(lambda: waiting_in_accept(handler)
                                      and not children(handler), 5):
                faults.setdefault(handler, []).append(minflt(handler))
        # a handler's first two connections warm it up; deltas after that
        deltas = [b - a for f in faults.values() for a, b in zip(f[2:], f[3:])]
        T.ok(len(deltas) >= 5, "at least 5 connections of reused, warmed-up handlers",
             repr(faults))
        T.ok(deltas and sum(deltas) <= 4 * len(deltas), "they faulted in at most 4 pages "
             "per connection in the handler, on average (a fresh 100 KiB message buffer "
             "alone is 25)", repr(deltas))
    finally:
        s.stop()


if __name__ == "__main__":
    sys.exit(main())
