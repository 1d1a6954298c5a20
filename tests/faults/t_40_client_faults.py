#!/usr/bin/python3
"""Fault battery, client side. Expectations:
  - client reset (RST) in the middle of a message, in lines and JSON mode: the handler
    ends within 5 s, the program is ended by the ladder, nothing of the half message
    reaches the program (messages are delivered whole or not at all);
  - invalid UTF-8 storm: 60 connections at once, each sending one kind of invalid text
    (overlong, surrogate, > U+10FFFF, stray continuation, 0xFF, a sequence cut at the
    end of the message, split across fragments, invalid close reason): each gets Close
    1007, the valid text sent before it reaches the program and nothing of the invalid
    message does (whole or not at all), and every handler ends;
  - close storm: 60 connections at once closing every way (valid codes, no code, invalid
    codes -> 1002, 1-byte payload -> 1002, Close twice, data after Close, Close then RST
    at once, Close with a 125-byte payload, an over-long Close -> 1002): each gets the
    documented answer (or just goes), every handler ends;
  - 100 000 one-byte fragments of one text message: delivered intact as one line, the
    handler's CPU time under 10 s and its memory under 64 MiB;
after each: no zombie, no orphan, no fd left open (faultlib.settle)."""
import os
import sys
import threading
sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import *  # noqa: F401,F403

D = tmpdir()
LOG = os.path.join(D, "received")
# lines mode: records every line it is given, echoes it
RECORDER = script(D, "recorder.sh", "#!/bin/sh\nexec tee -a %s\n" % LOG)


def cpu_seconds(pid):
    s = read_text("/proc/%d/stat" % pid)
    if not s:
        return None
    f = s[s.rfind(")") + 2:].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


@test
def reset_mid_message():
    for mode in ([], ["--json"]):
        open(LOG, "w").close()
        s = Listener(mode + [RECORDER])
        try:
            c = RawClient(s.port)
            T.eq(c.handshake().status, 101, "%s: handshake" % (mode or "lines"))
            c.send_text("whole")
            T.ok(c.recv_message(5)[0] == OP_TEXT, "%s: a whole message goes through" % (mode or "lines"))
            h = s.wait_handler(5)
            full = encode_frame(OP_TEXT, b"H" * 100000)
            c.send(full[:50000])  # half of one frame
            c.send(encode_frame(OP_TEXT, b"frag1", fin=False)[:0])
            time.sleep(0.2)
            c.abort()
            t0 = time.monotonic()
            T.ok(wait_until(lambda: not pid_alive(h), 5), "%s: the handler ends after the reset (%.2f s)"
                 % (mode or "lines", time.monotonic() - t0))
            settle(s, D, "%s reset" % (mode or "lines"))
            got = read_text(LOG)
            T.ok("HHHH" not in got and "whole" in got, "%s: the half message never reached the program"
                 % (mode or "lines"), got[:200])
        finally:
            s.stop()


INVALID = [
    ("overlong", [encode_frame(OP_TEXT, b"ok \xc0\xaf")]),
    ("surrogate", [encode_frame(OP_TEXT, b"\xed\xa0\x80")]),
    ("above 10FFFF", [encode_frame(OP_TEXT, b"\xf4\x90\x80\x80")]),
    ("stray continuation", [encode_frame(OP_TEXT, b"a\x80b")]),
    ("0xFF", [encode_frame(OP_TEXT, b"\xff")]),
    ("cut at the end", [encode_frame(OP_TEXT, b"abc\xe2\x82")]),
    ("split across fragments", [encode_frame(OP_TEXT, b"\xe2", fin=False),
                                encode_frame(OP_CONT, b"\x28\xa1")]),
    ("close reason", [encode_frame(OP_CLOSE, struct.pack("!H", 1000) + b"\xc3\x28")]),
    ("big invalid", [encode_frame(OP_TEXT, b"x" * 70000 + b"\xc1\x81")]),
    ("cut fragment end", [encode_frame(OP_TEXT, b"\xf0\x9f", fin=False), encode_frame(OP_CONT, b"", fin=True)]),
]


def storm(port, cases, per_case):
    results = {}
    lock = threading.Lock()

    def one(name, frames, i):
        try:
            c = RawClient(port)
            r = c.handshake()
            if r.status != 101:
                res = ("http", r.status)
            else:
                c.send_text("valid %s %d" % (name, i))
                c.recv_message(10)  # its echo: the program is up and has read it
                for f in frames:
                    c.send(f)
                ms, code, _ = c.recv_until_close(8, raise_timeout=False)
                res = (code, [m[1] for m in ms])
            c.close()
        except Exception as e:  # noqa
            res = ("error", repr(e))
        with lock:
            results[(name, i)] = res

    threads = [threading.Thread(target=one, args=(n, f, i)) for n, f in cases for i in range(per_case)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@test
def invalid_utf8_storm():
    open(LOG, "w").close()
    s = Listener([RECORDER])
    try:
        res = storm(s.port, INVALID, 6)
        settle(s, D, "UTF-8 storm", timeout=15)
        got = read_text(LOG).splitlines()
        for name, _ in INVALID:
            rs = [v for (n, i), v in sorted(res.items()) if n == name]
            T.ok(len(rs) == 6 and all(r[0] == 1007 for r in rs), "%s x6: Close 1007" % name, repr(rs))
            T.ok(all("valid %s %d" % (name, i) in got for i in range(6)),
                 "%s: the valid message before it reached the program" % name)
        other = [ln[:40] for ln in got if not ln.startswith("valid ")]
        T.eq(other, [], "nothing of an invalid message reached the program")
    finally:
        s.stop()


CLOSES = [
    ("1000", [encode_frame(OP_CLOSE, close_payload(1000, "bye"))], 1000),
    ("4999", [encode_frame(OP_CLOSE, close_payload(4999))], 4999),
    ("no code", [encode_frame(OP_CLOSE, b"")], "empty"),
    ("1005 on the wire", [encode_frame(OP_CLOSE, close_payload(1005))], 1002),
    ("999", [encode_frame(OP_CLOSE, close_payload(999))], 1002),
    ("1-byte payload", [encode_frame(OP_CLOSE, b"\x03")], 1002),
    ("twice", [encode_frame(OP_CLOSE, close_payload(1000))] * 2, 1000),
    ("data after close", [encode_frame(OP_CLOSE, close_payload(1001)), encode_frame(OP_TEXT, b"late")], 1001),
    ("125 bytes", [encode_frame(OP_CLOSE, close_payload(3000, "r" * 123))], 3000),
    ("126 bytes", [encode_frame(OP_CLOSE, close_payload(3000, "r" * 124))], 1002),
    ("fragmented close", [encode_frame(OP_CLOSE, close_payload(1000), fin=False)], 1002),
    ("close then RST", "rst", "reset"),
]


@test
def close_storm():
    s = Listener(["cat"])
    try:
        results = {}
        lock = threading.Lock()

        def one(name, frames, want, i):
            try:
                c = RawClient(s.port)
                r = c.handshake()
                if frames == "rst":
                    if r.status != 101:
                        res = "status %s" % r.status
                    else:
                        c.send_close(1000)
                        c.abort()
                        res = "reset"
                else:
                    c.send(b"".join(frames))
                    res = "eof"
                    for _ in range(100):
                        f = c.recv_frame(8)
                        if f.opcode == OP_CLOSE:
                            res = parse_close(f.payload)[0] if f.payload else "empty"
                            break
                c.close()
            except Closed:
                res = "eof"
            except Exception as e:  # noqa
                res = repr(e)
            with lock:
                results[(name, i)] = res

        threads = [threading.Thread(target=one, args=(n, f, w, i)) for n, f, w in CLOSES for i in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        for name, _, want in CLOSES:
            rs = [results.get((name, i), "no result (still running)") for i in range(5)]
            if want == "reset":
                # Nothing comes back to a client that reset; what can fail is the part
                # before it: each of the five got its 101 and sent its Close.
                T.eq(rs, [want] * 5, "%s x5: upgraded, sent Close, reset" % name)
            else:
                T.eq(rs, [want] * 5, "%s x5: Close %s" % (name, want))
        settle(s, D, "close storm", timeout=15)
    finally:
        s.stop()


@test
def hundred_thousand_fragments():
    s = Listener(["cat"])
    try:
        c = RawClient(s.port)
        T.eq(c.handshake().status, 101, "handshake")
        h = s.wait_handler(5)
        n = 100000
        frames = [encode_frame(OP_TEXT, b"a", fin=False, mask_key=b"\x01\x02\x03\x04")]
        mid = encode_frame(OP_CONT, b"a", fin=False, mask_key=b"\x01\x02\x03\x04")
        frames += [mid] * (n - 2)
        frames.append(encode_frame(OP_CONT, b"a", fin=True, mask_key=b"\x01\x02\x03\x04"))
        wire = b"".join(frames)
        t0 = time.monotonic()
        c.send(wire)
        op, payload = c.recv_message(30)
        dt = time.monotonic() - t0
        T.eq((op, len(payload), payload.count(b"a")), (OP_TEXT, n, n),
             "100 000 one-byte fragments arrive as one %d-byte message (%.1f s)" % (n, dt))
        cpu = cpu_seconds(h)
        rss = vmrss_kb(h)
        T.ok(cpu is not None and cpu < 10, "handler CPU time %.2f s < 10 s" % (cpu or -1))
        T.ok(rss is not None and rss < 64 * 1024, "handler VmRSS %s kB < 64 MiB" % rss)
        c.send_close(1000)
        c.recv_until_close(5, raise_timeout=False)
        c.close()
        settle(s, D, "100k fragments")
    finally:
        s.stop()


if __name__ == "__main__":
    sys.exit(main())
