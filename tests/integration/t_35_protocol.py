#!/usr/bin/python3
"""RFC 6455 at the frame level: ping/pong, masking (1002), UTF-8 (1007), --max-message (1009),
fragmentation, control-frame rules, keepalive pings and dropping a silent peer."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import *  # noqa

SRV = {}


def server(*opts):
    key = tuple(opts)
    if key not in SRV:
        SRV[key] = Server(list(opts) + ["cat"], mode="inetd")
    return SRV[key]


def conn(*opts):
    s = server(*opts)
    c = RawClient(s.port)
    r = c.handshake()
    if r.status != 101:
        raise RuntimeError("handshake failed: %r" % r)
    return c


def expect_close(c, code, what, timeout=5):
    try:
        ms, got, reason = c.recv_until_close(timeout)
    except TimeoutErr:
        T.ok(False, what, "no close frame within %ss" % timeout)
        return
    T.eq(got, code, what)
    T.ok(c.wait_eof(5), what + ": TCP closed afterwards")


@test
def ping_pong():
    c = conn()
    try:
        c.send_ping(b"abc\x00\xff")
        f = c.recv_frame(5)
        T.eq((f.opcode, f.payload, f.fin, f.masked), (OP_PONG, b"abc\x00\xff", True, False),
             "ping → unmasked pong with the same payload")
        c.send_ping(b"")
        f = c.recv_frame(5)
        T.eq((f.opcode, f.payload), (OP_PONG, b""), "empty ping → empty pong")
        c.send_ping(b"p" * 125)
        f = c.recv_frame(5)
        T.eq((f.opcode, f.payload), (OP_PONG, b"p" * 125), "125-byte ping → pong")
        c.send_frame(OP_PONG, b"unsolicited")
        c.send_text("after-pong")
        T.eq(c.recv_message(5), (OP_TEXT, b"after-pong"), "unsolicited pong ignored")
    finally:
        c.close()


@test
def server_frames_unmasked():
    c = conn()
    try:
        c.send_text("m")
        f = c.recv_frame(5)
        T.eq((f.opcode, f.masked, f.rsv, f.fin), (OP_TEXT, False, 0, True), "server frames unmasked, RSV 0")
    finally:
        c.close()


@test
def unmasked_client_frame_1002():
    c = conn()
    try:
        c.send_frame(OP_TEXT, b"naked", mask=False)
        expect_close(c, 1002, "unmasked client frame: close 1002")
    finally:
        c.close()


@test
def protocol_error_exit_status():
    s = Server(["cat"], mode="inetd")
    try:
        c = RawClient(s.port)
        c.handshake()
        c.send_frame(OP_TEXT, b"naked", mask=False)
        c.recv_until_close(5, raise_timeout=False)
        c.close()
        wait_until(lambda: ssa_exit_codes(s.stderr()), 5)
        T.eq([x for _, x in ssa_exit_codes(s.stderr())], [1], "peer broke the protocol: handler exits 1")
    finally:
        s.stop()


@test
def bad_utf8_1007():
    for what, frames in (
        ("invalid byte", [(OP_TEXT, b"ok\xff", True)]),
        ("overlong encoding", [(OP_TEXT, b"\xc0\xaf", True)]),
        ("surrogate", [(OP_TEXT, b"\xed\xa0\x80", True)]),
        ("truncated at end of message", [(OP_TEXT, b"abc\xe2\x82", True)]),
        ("invalid across fragments", [(OP_TEXT, b"abc\xe2", False), (OP_CONT, b"\x28", True)]),
    ):
        c = conn()
        try:
            for op, p, fin in frames:
                c.send_frame(op, p, fin=fin)
            expect_close(c, 1007, "text with %s: close 1007" % what)
        finally:
            c.close()
    c = conn()
    try:
        c.send_frame(OP_TEXT, b"\xe2", fin=False)
        c.send_frame(OP_CONT, b"\x82", fin=False)
        c.send_frame(OP_CONT, b"\xac!", fin=True)
        T.eq(c.recv_message(5), (OP_TEXT, "€!".encode()), "valid UTF-8 split across fragments: echoed")
    finally:
        c.close()
    # fail fast: invalid UTF-8 in the first fragment is refused before the message ends
    c = conn()
    try:
        c.send_frame(OP_TEXT, b"\xff\xfe", fin=False)
        expect_close(c, 1007, "invalid first fragment: close 1007 without waiting for the rest")
    finally:
        c.close()


@test
def close_reason_utf8():
    c = conn()
    try:
        c.send_frame(OP_CLOSE, struct.pack("!H", 1000) + b"\xff")
        f = c.recv_frame(5)
        T.eq((f.opcode, parse_close(f.payload)[0]), (OP_CLOSE, 1007), "close reason not UTF-8: 1007")
    finally:
        c.close()


@test
def max_message_1009():
    c = conn("--max-message=1K")
    try:
        c.send_text("a" * 1024)
        T.eq(c.recv_message(5), (OP_TEXT, b"a" * 1024), "1024 bytes with --max-message=1K: echoed")
        c.send_text("b" * 1025)
        expect_close(c, 1009, "1025 bytes: close 1009")
    finally:
        c.close()
    c = conn("--max-message=1K")
    try:
        for i in range(3):
            c.send_frame(OP_TEXT if i == 0 else OP_CONT, b"c" * 400, fin=False)
        c.send_frame(OP_CONT, b"c", fin=True)
        expect_close(c, 1009, "fragments summing over 1K: close 1009")
    finally:
        c.close()
    c = conn("--max-message=1K")
    try:
        # a header announcing a huge frame is refused without waiting for the payload
        c.send(bytes([0x81, 0xFF]) + struct.pack("!Q", 1 << 40) + b"\x00\x00\x00\x00")
        expect_close(c, 1009, "frame header announcing 1 TiB: close 1009")
    finally:
        c.close()
    c = conn()
    try:
        big = os.urandom(512 * 1024).hex()[: 1024 * 1024 - 10]
        c.send_text(big)
        T.eq(c.recv_message(15), (OP_TEXT, big.encode()), "default limit: ~1 MiB message echoed")
        try:
            c.send_text("z" * (1024 * 1024 + 1))
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused early: fine, the close frame is what counts
        expect_close(c, 1009, "default limit: 1 MiB + 1 byte: close 1009", timeout=10)
    finally:
        c.close()


@test
def fragmentation_and_interleaved_control():
    c = conn()
    try:
        c.send_frame(OP_TEXT, b"frag", fin=False)
        c.send_ping(b"mid")
        c.send_frame(OP_CONT, b"men", fin=False)
        c.send_frame(OP_CONT, b"ted", fin=True)
        f = c.recv_frame(5)
        T.eq((f.opcode, f.payload), (OP_PONG, b"mid"), "ping between fragments answered")
        T.eq(c.recv_message(5), (OP_TEXT, b"fragmented"), "fragments joined into one message")
    finally:
        c.close()


@test
def framing_violations_1002():
    cases = [
        ("RSV1 set without an extension", lambda c: c.send_frame(OP_TEXT, b"x", rsv=4)),
        ("RSV2 set", lambda c: c.send_frame(OP_TEXT, b"x", rsv=2)),
        ("reserved opcode 3", lambda c: c.send_frame(3, b"x")),
        ("reserved control opcode 0xB", lambda c: c.send_frame(0xB, b"x")),
        ("continuation without a start", lambda c: c.send_frame(OP_CONT, b"x")),
        ("new text frame inside a fragmented message",
         lambda c: (c.send_frame(OP_TEXT, b"a", fin=False), c.send_frame(OP_TEXT, b"b"))),
        ("ping with 126-byte payload", lambda c: c.send_frame(OP_PING, b"p" * 126)),
        ("fragmented ping", lambda c: c.send_frame(OP_PING, b"p", fin=False)),
        ("close with 1-byte payload", lambda c: c.send_frame(OP_CLOSE, b"\x03")),
        ("close code 1005 on the wire", lambda c: c.send_frame(OP_CLOSE, struct.pack("!H", 1005))),
        ("close code 999", lambda c: c.send_frame(OP_CLOSE, struct.pack("!H", 999))),
        ("close code 1016 (unassigned)", lambda c: c.send_frame(OP_CLOSE, struct.pack("!H", 1016))),
        ("close code 5000", lambda c: c.send_frame(OP_CLOSE, struct.pack("!H", 5000))),
    ]
    for what, act in cases:
        c = conn()
        try:
            act(c)
            expect_close(c, 1002, "%s: close 1002" % what)
        finally:
            c.close()


@test
def keepalive_ping():
    c = conn("--ping-interval=1")
    try:
        got = None
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            f = c.recv_frame(max(0.1, deadline - time.monotonic()))
            if f.opcode == OP_PING:
                got = f
                break
        T.ok(got is not None, "--ping-interval=1: a ping arrives")
        if got:
            c.send_frame(OP_PONG, got.payload)
        # a peer that answers pings stays connected across several intervals
        ok = True
        end = time.monotonic() + 3.5
        while time.monotonic() < end:
            try:
                f = c.recv_frame(max(0.05, end - time.monotonic()))
            except TimeoutErr:
                break
            if f.opcode == OP_PING:
                c.send_frame(OP_PONG, f.payload)
            elif f.opcode == OP_CLOSE:
                ok = False
                break
        c.send_text("alive")
        m = c.recv_message(5)
        T.ok(ok and m == (OP_TEXT, b"alive"), "a peer answering pings is kept", repr(m))
    except Closed:
        T.ok(False, "a peer answering pings is kept", "connection closed")
    finally:
        c.close()


@test
def silent_peer_dropped():
    s = server("--ping-interval=1")
    c = RawClient(s.port)
    try:
        c.handshake()
        # never answer anything; the server must give up (close frame and/or TCP close)
        closed = False
        deadline = time.monotonic() + 10
        try:
            while time.monotonic() < deadline:
                f = c.recv_frame(max(0.1, deadline - time.monotonic()))
                if f.opcode == OP_CLOSE:
                    closed = c.wait_eof(5)
                    break
        except Closed:
            closed = True
        except TimeoutErr:
            pass
        T.ok(closed, "--ping-interval=1: a peer silent for two intervals is dropped")
        T.ok(wait_until(lambda: not s.handlers(), 5), "its handler exits")
    finally:
        c.close()


@test
def no_pings_when_off():
    c = conn("--ping-interval=0")
    try:
        try:
            f = c.recv_frame(2.5)
            T.ok(False, "--ping-interval=0: no frame sent unprompted", repr(f))
        except TimeoutErr:
            T.ok(True, "--ping-interval=0: no frame sent unprompted")
    finally:
        c.close()


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        for s in SRV.values():
            s.stop()
