#!/usr/bin/python3
"""Fault battery: floods both ways with memory bounded, and signals during large writes.

Stated bound: the handler's queues are capped (limits.h: WS_QUEUE_HIGH = 256 KiB
high-water mark each way plus one message; to the socket at most 256 KiB + 3 x 64 KiB
+ --max-message, to the program at most 256 KiB + 6 x --max-message in JSON mode), so
with the default --max-message=1M the handler's resident memory may grow by at most
16 MiB over what it uses right after the handshake, however long the flood lasts.
Expectations:
  - a program flooding a client that does not read (binary mode, `cat /dev/zero`): the
    handler's VmRSS growth stays under 16 MiB for 3 s, and the program is blocked;
  - a client flooding a program that does not read (lines and JSON mode): VmRSS growth
    under 16 MiB, and the client's sending stalls (the handler stops reading the socket);
  - signals during large writes (EINTR and partial writes): 8 MiB echoed in binary mode
    through a client reading in small slow pieces while the handler is sent SIGSTOP/
    SIGCONT, SIGCHLD, SIGWINCH and SIGURG and the program SIGSTOP/SIGCONT every few ms:
    every byte comes back in order (SHA-256 equal), then a clean Close 1000;
after each: no zombie, no orphan, no fd left open (faultlib.settle)."""
import hashlib
import os
import sys
import threading
sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import *  # noqa: F401,F403

D = tmpdir()
BOUND_KB = 16 * 1024
ZERO = script(D, "zero.sh", "#!/bin/sh\nexec cat /dev/zero\n")
SLEEPER = script(D, "sleeper.sh", "#!/bin/sh\nexec sleep 1000\n")
CAT = script(D, "cat.sh", "#!/bin/sh\nexec cat\n")


@test
def program_floods_reader_less_client():
    s = Listener(["--binary", ZERO])
    try:
        c = RawClient(s.port, rcvbuf=16384)
        T.eq(c.handshake().status, 101, "handshake")
        h = s.wait_handler(5)
        progs = wait_until(lambda: [p for p in children(h) if pid_alive(p)], 5) or []
        base = vmrss_kb(h)
        peak, last_w, still = base, None, 0
        for _ in range(15):
            time.sleep(0.2)
            peak = max(peak, vmrss_kb(h) or 0)
            w = io_wchar(progs[0]) if progs else None
            if w is not None and w == last_w:
                still += 1
            last_w = w
        T.ok(peak - base < BOUND_KB, "handler VmRSS grew %d kB (< %d kB; %d -> %d)"
             % (peak - base, BOUND_KB, base, peak))
        T.ok(still >= 2, "the program is blocked while the client does not read")
        c.abort()
        settle(s, D, "program flood")
    finally:
        s.stop()


@test
def client_floods_reader_less_program():
    for mode in ([], ["--json"]):
        s = Listener(mode + [SLEEPER])
        try:
            c = RawClient(s.port, sndbuf=65536)
            T.eq(c.handshake().status, 101, "%s: handshake" % (mode or "lines"))
            h = s.wait_handler(5)
            time.sleep(0.2)
            base = vmrss_kb(h)
            peak = base
            frame = encode_frame(OP_TEXT, b"f" * 65536)
            c.sock.setblocking(False)
            sent, pending, stalled_since = 0, b"", None
            end = time.monotonic() + 3
            while time.monotonic() < end:
                if not pending:
                    pending = frame
                try:
                    n = c.sock.send(pending)
                    pending = pending[n:]
                    sent += n
                    stalled_since = None
                except BlockingIOError:
                    stalled_since = stalled_since or time.monotonic()
                    select.select([], [c.sock], [], 0.05)
                peak = max(peak, vmrss_kb(h) or 0)
            T.ok(peak - base < BOUND_KB, "%s: handler VmRSS grew %d kB (< %d kB)"
                 % (mode or "lines", peak - base, BOUND_KB))
            T.ok(stalled_since is not None and sent < 64 << 20,
                 "%s: the client's sending stalls (%d kB accepted in 3 s)" % (mode or "lines", sent // 1024))
            c.abort()
            settle(s, D, "%s client flood" % (mode or "lines"))
        finally:
            s.stop()


@test
def signals_during_large_writes():
    s = Listener(["--binary", "--max-message=1M", CAT])
    stop = threading.Event()
    try:
        c = RawClient(s.port, rcvbuf=8192, sndbuf=16384)
        T.eq(c.handshake().status, 101, "handshake")
        h = s.wait_handler(5)
        progs = wait_until(lambda: [p for p in children(h) if pid_alive(p)], 5) or []
        sigs = [0]

        def pester():
            i = 0
            while not stop.is_set() and i < 100000:
                i += 1
                for pid, sig in ((h, signal.SIGSTOP), (h, signal.SIGCONT), (h, signal.SIGCHLD),
                                 (h, signal.SIGWINCH), (h, signal.SIGURG)) + tuple(
                                     (p, x) for p in progs for x in (signal.SIGSTOP, signal.SIGCONT)):
                    kill_pid(pid, sig)
                    sigs[0] += 1
                time.sleep(0.003)
            for p in [h] + progs:
                kill_pid(p, signal.SIGCONT)

        t = threading.Thread(target=pester)
        t.start()
        total = 8 << 20
        data = hashlib.sha256(b"seed").digest() * (total // 32)
        want = hashlib.sha256(data).hexdigest()
        got = hashlib.sha256()
        out = b"".join(encode_frame(OP_BIN, data[i:i + 65536]) for i in range(0, total, 65536))
        c.sock.setblocking(False)
        recvd, buf = 0, b""
        deadline = time.monotonic() + 60
        while recvd < total and time.monotonic() < deadline:
            r, w, _ = select.select([c.sock], [c.sock] if out else [], [], 0.5)
            if w:
                try:
                    n = c.sock.send(out[:16384])
                    out = out[n:]
                except BlockingIOError:
                    pass
            if r:
                try:
                    chunk = c.sock.recv(4096)  # small pieces: many partial writes on the other side
                except BlockingIOError:
                    chunk = None
                if chunk == b"":
                    break
                if chunk:
                    buf += chunk
                    while len(buf) >= 4:
                        n = buf[1] & 0x7F
                        hl = 2 + (2 if n == 126 else 8 if n == 127 else 0)
                        if len(buf) < hl:
                            break
                        if n == 126:
                            n = struct.unpack("!H", buf[2:4])[0]
                        elif n == 127:
                            n = struct.unpack("!Q", buf[2:10])[0]
                        if len(buf) < hl + n:
                            break
                        if buf[0] & 0xF == OP_BIN:
                            got.update(buf[hl:hl + n])
                            recvd += n
                        buf = buf[hl + n:]
        stop.set()
        t.join(5)
        T.eq((recvd, got.hexdigest()), (total, want),
             "8 MiB echoed intact through %d signals" % sigs[0])
        c.sock.setblocking(True)
        c.buf = buf
        c.send_close(1000)
        f = None
        try:
            for _ in range(1000):
                f = c.recv_frame(5)
                if f.opcode == OP_CLOSE:
                    break
        except (Closed, TimeoutErr):
            pass
        T.ok(f is not None and f.opcode == OP_CLOSE and parse_close(f.payload)[0] == 1000,
             "then a clean Close 1000", repr(f))
        c.close()
        T.ok(h and wait_until(lambda: not pid_alive(h), 5), "handler exited")
        settle(s, D, "signals during writes")
        T.ok("AddressSanitizer" not in s.stderr() and "runtime error" not in s.stderr(),
             "no sanitizer report")
    finally:
        stop.set()
        s.stop()


if __name__ == "__main__":
    sys.exit(main())
