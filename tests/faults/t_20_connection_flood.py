#!/usr/bin/python3
"""Fault battery: 1000 connections opened at once against the listener with
--maxforks=100.

Expectation: every connection gets an answer: either 101 and the whole session (the
program's "hi", then Close 1000 when it exits 2 s later), or 429 with its one-line body;
never more than 100 handlers alive at once; at least the first 100 are served; the
listener does not crash and serves a new connection afterwards; then no zombie, no
orphan, no fd left open. Bounded: the whole storm must end within 40 s."""
import os
import resource
import selectors
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import *  # noqa: F401,F403

D = tmpdir()
PROG = script(D, "hold.sh", "#!/bin/sh\necho hi\nexec sleep 2\n")
N = 1000
MAXFORKS = 100


class C:
    def __init__(self, port):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.s.setblocking(False)
        self.s.connect_ex(("127.0.0.1", port))
        self.out = build_request("/", std_headers(port))
        self.buf = b""
        self.status = None
        self.msgs = []
        self.close_code = None
        self.done = False


def parse(c):
    """Advance c's state from its buffer; True when it needs nothing more."""
    if c.status is None:
        i = c.buf.find(b"\r\n\r\n")
        if i < 0:
            return False
        m = re.match(rb"HTTP/1\.1 (\d{3})", c.buf)
        c.status = int(m.group(1)) if m else -1
        c.buf = c.buf[i + 4:]
    if c.status != 101:
        return False  # read the body until EOF
    while len(c.buf) >= 2:
        n = c.buf[1] & 0x7F
        if n >= 126 or len(c.buf) < 2 + n:
            break
        op, payload = c.buf[0] & 0xF, c.buf[2:2 + n]
        c.buf = c.buf[2 + n:]
        if op == OP_CLOSE:
            c.close_code = parse_close(payload)[0]
            try:
                c.s.send(encode_frame(OP_CLOSE, payload))
            except OSError:
                pass
            return True
        c.msgs.append(payload)
    return False


@test
def thousand_at_once():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < N + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    s = Listener(["--maxforks=%d" % MAXFORKS, PROG])
    sel = selectors.DefaultSelector()
    conns = []
    try:
        for _ in range(N):
            c = C(s.port)
            conns.append(c)
            sel.register(c.s, selectors.EVENT_WRITE, c)
        deadline = time.monotonic() + 40
        open_n, peak = N, 0
        last_sample = 0
        while open_n and time.monotonic() < deadline:
            if time.monotonic() - last_sample > 0.2:
                last_sample = time.monotonic()
                peak = max(peak, len(s.handlers()))
            for key, ev in sel.select(0.2):
                c = key.data
                if ev & selectors.EVENT_WRITE and c.out:
                    try:
                        n = c.s.send(c.out)
                        c.out = c.out[n:]
                    except BlockingIOError:
                        continue
                    except OSError:
                        c.out = b""
                    if not c.out:
                        sel.modify(c.s, selectors.EVENT_READ, c)
                    continue
                try:
                    data = c.s.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if data:
                    c.buf += data
                    if not parse(c):
                        continue
                else:
                    parse(c)
                sel.unregister(c.s)
                c.s.close()
                c.done = True
                open_n -= 1
        statuses = [c.status for c in conns]
        n101 = statuses.count(101)
        n429 = statuses.count(429)
        T.eq(open_n, 0, "every connection finished within 40 s")
        T.eq(n101 + n429, N, "every connection answered 101 or 429 (101: %d, 429: %d)" % (n101, n429),)
        T.ok(n101 >= MAXFORKS, "at least the first %d were served (%d)" % (MAXFORKS, n101))
        T.ok(n429 > 0, "connections past the limit got 429 (%d)" % n429)
        bad = [c for c in conns if c.status == 101 and (c.msgs != [b"hi"] or c.close_code != 1000)]
        T.ok(not bad, "every accepted connection was served: 'hi' then Close 1000",
             "%d bad, e.g. %r" % (len(bad), [(c.msgs, c.close_code) for c in bad[:5]]))
        T.ok(peak <= MAXFORKS, "never more than %d handlers alive (peak seen %d)" % (MAXFORKS, peak))
        T.ok(s.proc.poll() is None, "the listener did not crash", s.stderr()[-2000:])
        settle(s, D, "after the storm", timeout=15)
        c = RawClient(s.port)
        T.eq(c.handshake().status, 101, "a new connection is served afterwards")
        T.eq(c.recv_message(5), (OP_TEXT, b"hi"), "and gets its message")
        c.close()
        settle(s, D, "after the last connection", timeout=10)
        T.ok("AddressSanitizer" not in s.stderr(), "no sanitizer report")
    finally:
        for c in conns:
            try:
                c.s.close()
            except OSError:
                pass
        s.stop()


if __name__ == "__main__":
    sys.exit(main())
