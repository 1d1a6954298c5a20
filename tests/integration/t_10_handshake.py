#!/usr/bin/python3
"""Handshake: 101 and every refusal (400/405/426/431/408), one-line bodies, the program never
started for a refused request, byte-at-a-time requests, a first frame in the request's write,
exit statuses 3/4, extra response headers."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import *  # noqa

MARK = tmpdir()
PROG = ["/bin/sh", "-c", 'touch "$0/$$"; exec cat', MARK]


def markers():
    return sorted(os.listdir(MARK))


def clear_markers():
    for f in os.listdir(MARK):
        os.unlink(os.path.join(MARK, f))


def settle(srv):
    """Wait (bounded) until no handler of srv is left running."""
    return wait_until(lambda: not srv.handlers(), 5.0)


def refused(srv, raw, status, what, body_check=None, header_check=None):
    """Send raw bytes; expect `status`, a one-line body, EOF, and no program started."""
    settle(srv)  # earlier accepted connections may still be starting/ending their programs
    clear_markers()
    c = RawClient(srv.port)
    try:
        try:
            c.send(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            r = c.response(6)
        except Exception as e:
            T.ok(False, "%s: HTTP %d" % (what, status), "no response: %s: %s" % (type(e).__name__, e))
            return None
        T.eq(r.status, status, "%s: HTTP %d" % (what, status))
        body = r.body.decode("utf-8", "replace")
        one_line = body.endswith("\n") and body.count("\n") == 1 and body.strip() != ""
        T.ok(one_line, "%s: one-line text body" % what, "body=%r" % body)
        cl = r.header("content-length")
        if cl is not None:
            T.eq(int(cl), len(r.body), "%s: Content-Length matches the body" % what)
        T.ok(getattr(r, "eof", False), "%s: connection closed after the answer" % what)
        if body_check:
            body_check(r, body)
        if header_check:
            header_check(r)
        settle(srv)
        T.eq(markers(), [], "%s: program not started" % what)
        return r
    finally:
        c.close()


def hdrs(port, drop=(), replace=None, add=()):
    h = std_headers(port)
    out = []
    for k, v in h:
        if k.lower() in drop:
            continue
        if replace and k.lower() in replace:
            v = replace[k.lower()]
        out.append((k, v))
    return out + list(add)


SRV = None


def srv():
    global SRV
    if SRV is None:
        SRV = Server(PROG, mode="inetd")
    return SRV


@test
def accepted():
    s = srv()
    clear_markers()
    c = RawClient(s.port)
    try:
        r = c.handshake("/chat")
        T.eq(r.status, 101, "valid request: 101")
        T.eq(r.header("sec-websocket-accept"), accept_key(c.key), "Sec-WebSocket-Accept is right")
        T.eq((r.header("upgrade") or "").lower(), "websocket", "Upgrade: websocket")
        T.ok("upgrade" in (r.header("connection") or "").lower(), "Connection: Upgrade",
             repr(r.headers))
        T.eq(r.header("sec-websocket-protocol"), None, "no subprotocol header when none offered")
        c.send_text("hello")
        T.eq(c.recv_message(5), (OP_TEXT, b"hello"), "echo after handshake")
        T.eq(len(wait_until(markers, 5) or []), 1, "program started once")
    finally:
        c.close()
    # the RFC 6455 sample key
    c = RawClient(s.port)
    try:
        r = c.handshake(headers=hdrs(s.port, replace={"sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ=="}))
        T.eq(r.header("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
             "RFC 6455 sample key gives the sample accept")
    finally:
        c.close()


@test
def tokens_case_insensitive():
    s = srv()
    for what, h in (
        ("Upgrade: WebSocket", hdrs(s.port, replace={"upgrade": "WebSocket"})),
        ("Connection: keep-alive, Upgrade", hdrs(s.port, replace={"connection": "keep-alive, Upgrade"})),
        ("Connection: UPGRADE", hdrs(s.port, replace={"connection": "UPGRADE"})),
        ("lower-case header names", [(k.lower(), v) for k, v in std_headers(s.port)]),
        ("extra unknown headers", hdrs(s.port, add=[("X-Whatever", "1"), ("User-Agent", "t")])),
    ):
        c = RawClient(s.port)
        try:
            r = c.handshake(headers=h)
            T.eq(r.status, 101, what + ": 101")
        finally:
            c.close()


@test
def malformed_400():
    s = srv()
    p = s.port
    key15 = base64.b64encode(b"x" * 15).decode()
    key17 = base64.b64encode(b"x" * 17).decode()
    cases = [
        ("garbage request line", b"GARBAGE\r\n\r\n"),
        ("request line without version", b"GET /\r\nHost: x\r\n\r\n"),
        ("missing Host", build_request("/", hdrs(p, drop=("host",)))),
        ("missing Sec-WebSocket-Key", build_request("/", hdrs(p, drop=("sec-websocket-key",)))),
        ("key not base64", build_request("/", hdrs(p, replace={"sec-websocket-key": "not base64!!"}))),
        ("key of 15 bytes", build_request("/", hdrs(p, replace={"sec-websocket-key": key15}))),
        ("key of 17 bytes", build_request("/", hdrs(p, replace={"sec-websocket-key": key17}))),
        ("Connection without upgrade", build_request("/", hdrs(p, replace={"connection": "keep-alive"}))),
        ("header line without colon", build_request("/", hdrs(p, add=[("Bogus-No-Colon", "")]))
         .replace(b"Bogus-No-Colon: \r\n", b"Bogus-No-Colon\r\n")),
        ("bare CR inside a header value", build_request("/", hdrs(p, add=[("X-A", "1")]))
         .replace(b"X-A: 1\r\n", b"X-A: 1\rX-Injected: 2\r\n")),
        ("NUL inside a header value", build_request("/", hdrs(p, add=[("X-A", "1")]))
         .replace(b"X-A: 1\r\n", b"X-A: 1\x002\r\n")),
        ("obs-fold continuation line", build_request("/", hdrs(p, add=[("X-A", "1")]))
         .replace(b"X-A: 1\r\n", b"X-A: 1\r\n folded\r\n")),
    ]
    for what, raw in cases:
        refused(s, raw, 400, what)


@test
def method_405():
    s = srv()
    refused(s, build_request("/", std_headers(s.port), method="POST"), 405, "POST upgrade")
    refused(s, build_request("/", std_headers(s.port), method="PUT"), 405, "PUT upgrade")


@test
def version_426():
    s = srv()

    def has_v13(r):
        T.eq(r.header("sec-websocket-version"), "13", "426 carries Sec-WebSocket-Version: 13")

    refused(s, build_request("/", hdrs(s.port, replace={"sec-websocket-version": "8"})), 426,
            "Sec-WebSocket-Version: 8", header_check=has_v13)
    refused(s, build_request("/", hdrs(s.port, drop=("sec-websocket-version",))), 426,
            "missing Sec-WebSocket-Version", header_check=has_v13)


@test
def plain_get_426():
    s = srv()
    raw = build_request("/", [("Host", "127.0.0.1:%d" % s.port), ("Accept", "text/html")])

    def explains(r, body):
        T.ok(re.search(r"(?i)websocket", body), "plain GET: body says to connect with WebSocket",
             repr(body))

    refused(s, raw, 426, "plain GET without Upgrade", body_check=explains)


@test
def limits_431():
    s = srv()
    big = build_request("/", hdrs(s.port, add=[("X-Big", "a" * 20000)]))
    refused(s, big, 431, "head over 16384 bytes (default)")
    many = build_request("/", hdrs(s.port, add=[("X-H%d" % i, "v") for i in range(110)]))
    refused(s, many, 431, "115 header lines (default max 100)")
    # well inside the defaults is fine
    c = RawClient(s.port)
    try:
        r = c.handshake(headers=hdrs(s.port, add=[("X-H%d" % i, "v" * 100) for i in range(80)]))
        T.eq(r.status, 101, "85 header lines, ~9 KB head: 101")
    finally:
        c.close()

    s2 = Server(["--max-request=1024", "--max-headers=10"] + PROG, mode="inetd")
    try:
        c = RawClient(s2.port)
        try:
            r = c.handshake(headers=hdrs(s2.port, add=[("X-A", "1"), ("X-B", "2"), ("X-C", "3")]))
            T.eq(r.status, 101, "--max-headers=10: 8 header lines accepted")
        finally:
            c.close()
        refused(s2, build_request("/", hdrs(s2.port, add=[("X-H%d" % i, "v") for i in range(10)])),
                431, "--max-headers=10: 15 header lines")
        refused(s2, build_request("/", hdrs(s2.port, add=[("X-Big", "b" * 1500)])),
                431, "--max-request=1024: 1.7 KB head")
    finally:
        s2.stop()


@test
def timeout_408():
    s = Server(["--request-timeout=1"] + PROG, mode="inetd")
    try:
        clear_markers()
        c = RawClient(s.port)
        c.send(b"GET / HTTP/1.1\r\nHost: x\r\n")
        r = c.response(8)
        T.eq(r.status, 408, "incomplete head: 408")
        T.ok(r.eof, "connection closed after 408")
        c.close()
        # nothing sent at all
        c = RawClient(s.port)
        r = c.response(8)
        T.eq(r.status, 408, "no bytes at all: 408")
        c.close()
        # drip-feed: a byte every 200 ms never completes the head within 1 s
        c = RawClient(s.port)
        req = build_request("/", std_headers(s.port))
        status = None
        deadline = time.monotonic() + 8
        i = 0
        try:
            while time.monotonic() < deadline and i < len(req):
                c.send(req[i:i + 1])
                i += 1
                rr, _, _ = select.select([c.sock], [], [], 0.2)
                if rr:
                    break
            status = c.response(5).status
        except Exception as e:
            status = "error %s" % e
        T.eq(status, 408, "drip-fed request: 408 (deadline is for the whole head)")
        c.close()
        settle(s)
        T.eq(markers(), [], "program never started for a timed-out request")
        wait_until(lambda: len(ssa_exit_codes(s.stderr())) >= 3, 5)
        T.eq(sorted(set(c for _, c in ssa_exit_codes(s.stderr()))), [4],
             "handler exit status 4 on handshake timeout (inetd)")
    finally:
        s.stop()


@test
def refused_exit_status_inetd():
    s = Server(PROG, mode="inetd")
    try:
        refused(s, b"GARBAGE\r\n\r\n", 400, "exit-status probe")
        wait_until(lambda: ssa_exit_codes(s.stderr()), 5)
        T.eq([c for _, c in ssa_exit_codes(s.stderr())], [3], "handler exit status 3 after 400 (inetd)")
    finally:
        s.stop()


@test
def byte_at_a_time():
    s = srv()
    c = RawClient(s.port)
    try:
        c.key = make_key()
        req = build_request("/slow", std_headers(s.port, c.key))
        for i in range(len(req)):
            c.send(req[i:i + 1])
            time.sleep(0.002)
        r = c.response(5)
        T.eq(r.status, 101, "request sent one byte per write: 101")
        T.eq(r.header("sec-websocket-accept"), accept_key(c.key), "and the right accept")
        frame = encode_frame(OP_TEXT, b"drip")
        for i in range(len(frame)):
            c.send(frame[i:i + 1])
            time.sleep(0.002)
        T.eq(c.recv_message(5), (OP_TEXT, b"drip"), "frame sent one byte per write: echoed")
    finally:
        c.close()


@test
def first_frame_in_request_write():
    s = srv()
    c = RawClient(s.port)
    try:
        extra = encode_frame(OP_TEXT, b"early") + encode_frame(OP_TEXT, b"bird") + \
            encode_frame(OP_TEXT, b"partial")[:4]
        r = c.handshake(extra=extra)
        T.eq(r.status, 101, "request + frames in one write: 101")
        T.eq(c.recv_message(5), (OP_TEXT, b"early"), "first frame not lost")
        T.eq(c.recv_message(5), (OP_TEXT, b"bird"), "second frame not lost")
    finally:
        c.close()


@test
def exit_status_pipes_and_socketpair():
    for kind in ("pipes", "socketpair"):
        pc = spawn_pipes(PROG, kind=kind)
        try:
            pc.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            r = pc.response(5)
            T.eq(r.status, 426, "%s: plain GET answered 426" % kind)
            T.eq(pc.wait(10), 3, "%s: exit status 3 for a refused handshake" % kind)
        finally:
            pc.stop()
        pc = spawn_pipes(["--request-timeout=1"] + PROG, kind=kind)
        try:
            pc.send(b"GET / HTTP/1.1\r\n")
            r = pc.response(8)
            T.eq(r.status, 408, "%s: 408 on timeout" % kind)
            T.eq(pc.wait(10), 4, "%s: exit status 4 on timeout" % kind)
        finally:
            pc.stop()
        pc = spawn_pipes(PROG, kind=kind)
        try:
            key = make_key()
            pc.send(build_request("/", std_headers(1, key)))
            r = pc.response(5)
            T.eq((r.status, r.header("sec-websocket-accept")), (101, accept_key(key)),
                 "%s: handshake over %s" % (kind, kind))
            pc.send_text("x")
            T.eq(pc.recv_message(5), (OP_TEXT, b"x"), "%s: echo" % kind)
            pc.send_close(1000)
            m = pc.recv_message(5)
            T.eq(m[:2], ("close", 1000), "%s: close 1000 answered" % kind)
            pc.close_input()
            T.eq(pc.wait(10), 0, "%s: exit status 0 after a clean close" % kind)
        finally:
            pc.stop()
    clear_markers()


@test
def extra_headers():
    s = Server(["--header=X-All: a", "--header-ws=X-Ws: w", "--header-http=X-Http: h"] + PROG,
               mode="inetd")
    try:
        c = RawClient(s.port)
        r = c.handshake()
        c.close()
        T.eq((r.status, r.header("x-all"), r.header("x-ws"), r.header("x-http")),
             (101, "a", "w", None), "101 carries --header and --header-ws, not --header-http")
        c = RawClient(s.port)
        r = c.request(build_request("/", [("Host", "x")]))
        c.close()
        T.eq((r.status, r.header("x-all"), r.header("x-ws"), r.header("x-http")),
             (426, "a", None, "h"), "426 carries --header and --header-http, not --header-ws")
    finally:
        s.stop()


if __name__ == "__main__":
    sys.exit(main())
