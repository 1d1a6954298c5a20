#!/usr/bin/python3
"""Backpressure: a flooding program and a client that never reads, a flooding client and a
program that never reads: the handler's memory stays bounded and the flood is stopped."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import *  # noqa

LIMIT_KB = 64 * 1024


@test
def program_floods_client_never_reads():
    for mode in ("inetd", "listen"):
        s = Server(["yes"], mode=mode)
        try:
            c = RawClient(s.port, rcvbuf=32768)
            r = c.handshake()
            T.eq(r.status, 101, "%s: handshake" % mode)
            handler = s.wait_handler(5)
            prog = wait_until(lambda: [p for p in children(handler) if pid_alive(p)], 5) if handler else None
            T.ok(handler and prog, "%s: handler and program found" % mode)
            if not (handler and prog):
                continue
            yes = prog[0]
            peak = 0
            blocked = False
            last = io_wchar(yes)
            end = time.monotonic() + 4
            for _ in range(40):
                if time.monotonic() > end:
                    break
                time.sleep(0.25)
                rss = vmrss_kb(handler)
                if rss:
                    peak = max(peak, rss)
                w = io_wchar(yes)
                if w is not None and last is not None and w == last:
                    blocked = True
                last = w
            T.ok(peak and peak < LIMIT_KB, "%s: handler VmRSS stays under 64 MiB (peak %d kB)" % (mode, peak))
            T.ok(blocked, "%s: the program is stopped (its output stops growing) while the client "
                 "does not read" % mode, "wchar=%r" % last)
            T.ok(pid_alive(handler) and pid_alive(yes), "%s: both still running" % mode)
            # the data is intact once the client reads again
            ok = True
            for _ in range(2000):
                m = c.recv_message(5)
                if m != (OP_TEXT, b"y"):
                    ok = False
                    break
            T.ok(ok, "%s: reading resumes with intact 'y' messages" % mode, repr(m))
            c.abort()
            T.ok(wait_until(lambda: not pid_alive(yes), 10), "%s: program gone after the client left" % mode)
        finally:
            s.stop()


@test
def client_floods_program_never_reads():
    for mode in ("inetd", "listen"):
        s = Server(["sleep", "1000"], mode=mode)
        try:
            c = RawClient(s.port, sndbuf=65536)
            r = c.handshake()
            T.eq(r.status, 101, "%s: handshake" % mode)
            handler = s.wait_handler(5)
            frame = encode_frame(OP_TEXT, b"f" * 16384)
            c.sock.setblocking(False)
            sent = 0
            peak = 0
            stuck = False
            cap = 128 << 20
            pending = b""
            deadline = time.monotonic() + 20
            while sent < cap and time.monotonic() < deadline:
                if not pending:
                    pending = frame
                try:
                    n = c.sock.send(pending)
                    sent += n
                    pending = pending[n:]
                    continue
                except BlockingIOError:
                    pass
                except (BrokenPipeError, ConnectionResetError):
                    break
                rss = vmrss_kb(handler) if handler else None
                if rss:
                    peak = max(peak, rss)
                _, w, _ = select.select([], [c.sock], [], 1.0)
                if not w:
                    stuck = True
                    break
            rss = vmrss_kb(handler) if handler else None
            if rss:
                peak = max(peak, rss)
            T.ok(stuck, "%s: the server stops reading a client whose program does not read "
                 "(sent %d bytes before the socket stayed full)" % (mode, sent))
            T.ok(sent < (48 << 20), "%s: bounded bytes accepted before the stop: %d" % (mode, sent))
            T.ok(peak and peak < LIMIT_KB, "%s: handler VmRSS stays under 64 MiB (peak %d kB)" % (mode, peak))
            T.ok(handler and pid_alive(handler), "%s: handler still running" % mode)
            c.abort()
            T.ok(wait_until(lambda: not s.handlers(), 10), "%s: handler exits after the client left" % mode)
        finally:
            s.stop()


if __name__ == "__main__":
    sys.exit(main())
