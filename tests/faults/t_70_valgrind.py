#!/usr/bin/python3
"""A sample of integration scenarios with the handler under valgrind memcheck:
  valgrind --tool=memcheck --error-exitcode=99 --leak-check=full
           --errors-for-leak-kinds=definite --trace-children=no ./wsinetd-openssl ...
(the handler itself, built dynamically so that memcheck sees its heap; the program it
execs is not traced), the connection on a
socketpair as inetd gives it. Scenarios: echo in lines mode, echo in JSON mode (text
and binary), a refused handshake (426), the program exiting (Close 1000), the client
closing (Close 1001 answered), a permessage-deflate message when offered.
Expectation for every one: the documented answer, an exit status other than 99, and in
valgrind's log "ERROR SUMMARY: 0 errors" and no "definitely lost" bytes."""
import glob
import os
import shutil
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import *  # noqa: F401,F403

VALGRIND = shutil.which("valgrind") or "/usr/bin/valgrind"
D = tmpdir()


def is_asan(path):
    try:
        with open(path, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


# valgrind cannot run a sanitizer build, and memcheck follows the heap only of a
# dynamically linked program (it replaces malloc through the dynamic loader), which
# wsinetd with STATIC=1 is not: run wsinetd-openssl, the same program linked dynamically
# (handler/ossl.h), beside the plain build.
VG_BIN = os.path.join(os.path.dirname(BIN if not is_asan(BIN) else os.path.join(REPO, "wsinetd")),
                      "wsinetd-openssl")


def vg(args, tag):
    logdir = os.path.join(D, tag)
    os.makedirs(logdir, exist_ok=True)
    opts = ["--tool=memcheck", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--trace-children=no",
            "--log-file=%s/vg.%%p" % logdir]
    return PipeConn(opts + [VG_BIN] + args, kind="socketpair", binary=VALGRIND), logdir


def check_logs(logdir, what):
    logs = glob.glob(os.path.join(logdir, "vg.*"))
    text = "\n".join(read_text(p) for p in logs)
    T.ok(logs and "ERROR SUMMARY: 0 errors" in text and not re.search(r"ERROR SUMMARY: [1-9]", text),
         "%s: memcheck reports 0 errors" % what, text[-3000:])
    T.ok(not re.search(r"definitely lost: [1-9]", text), "%s: no definite leak" % what,
         "\n".join(re.findall(r".*lost:.*", text)))


def run(what, args, client, want_rc):
    c, logdir = vg(args, re.sub(r"\W+", "_", what))
    try:
        client(c)
        rc = c.wait(60)
        T.ok(rc in want_rc, "%s: exit status %r (want %r; 99 = memcheck error)" % (what, rc, want_rc),
             c.stderr()[-1500:])
    finally:
        c.stop()
    check_logs(logdir, what)


def handshake(c, extra_headers=()):
    c.key = make_key()
    hs = [("Host", "localhost"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
          ("Sec-WebSocket-Key", c.key), ("Sec-WebSocket-Version", "13")] + list(extra_headers)
    c.send(build_request("/", hs))
    return c.read_head(30)


@test
def echo_lines():
    def client(c):
        T.eq(handshake(c).status, 101, "lines: 101")
        c.send_text("hello")
        T.eq(c.recv_message(30), (OP_TEXT, b"hello"), "lines: echoed")
        c.send_close(1000)
        T.eq(c.recv_message(30)[:2], ("close", 1000), "lines: Close 1000 answered")
        c.close_input()
    run("echo lines", ["cat"], client, (0,))


@test
def echo_json():
    def client(c):
        T.eq(handshake(c).status, 101, "json: 101")
        c.send_text("h\u00e9")
        c.send_binary(b"\x00\xff")
        T.eq(c.recv_message(30), (OP_TEXT, "h\u00e9".encode()), "json: text echoed")
        T.eq(c.recv_message(30), (OP_BIN, b"\x00\xff"), "json: binary echoed")
        c.send_close(1000)
        T.eq(c.recv_message(30)[:2], ("close", 1000), "json: Close answered")
        c.close_input()
    run("echo json", ["--json", "cat"], client, (0,))


@test
def refused_handshake():
    def client(c):
        c.send(build_request("/", [("Host", "h"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
                                   ("Sec-WebSocket-Key", make_key()), ("Sec-WebSocket-Version", "8")]))
        T.eq(c.read_head(30).status, 426, "refused: 426")
    run("refused handshake", ["cat"], client, (3,))


@test
def program_exit():
    def client(c):
        T.eq(handshake(c).status, 101, "exit: 101")
        ms, code, _ = c.recv_until_close(30)
        T.eq((ms, code), ([(OP_TEXT, b"hi")], 1000), "exit: output then Close 1000")
        c.send_close(1000)
        c.close_input()
    run("program exit", ["/bin/sh", "-c", "echo hi; exit 0"], client, (0,))


@test
def client_close():
    def client(c):
        T.eq(handshake(c).status, 101, "client close: 101")
        c.send_close(1001, "going away")
        T.eq(c.recv_message(30)[:2], ("close", 1001), "client close: 1001 answered")
        c.close_input()
    run("client close", ["sleep", "100"], client, (0,))


@test
def deflate_message():
    def client(c):
        r = handshake(c, [("Sec-WebSocket-Extensions", "permessage-deflate")])
        T.eq(r.status, 101, "deflate: 101")
        ext = r.header("sec-websocket-extensions") or ""
        # On by default: an answer without it is a failure, not a case to skip.
        if T.ok("permessage-deflate" in ext, "deflate: negotiated (%r)" % ext):
            c.send_frame(OP_TEXT, bytes.fromhex("f248cdc9c90700"), rsv=4)  # "Hello"
            f = c.recv_frame(30)
            data = f.payload
            if f.rsv & 4:
                import zlib
                data = zlib.decompressobj(-15).decompress(data + b"\x00\x00\xff\xff")
            T.eq(data, b"Hello", "deflate: compressed message echoed")
        c.send_close(1000)
        T.eq(c.recv_message(30)[:2], ("close", 1000), "deflate: Close answered")
        c.close_input()
    run("deflate", ["cat"], client, (0,))


if __name__ == "__main__":
    if not os.access(VALGRIND, os.X_OK):
        print("1..0 # SKIP valgrind not installed (scripts/install-deps installs it)")
        sys.exit(0)
    if is_asan(VG_BIN) or not os.access(VG_BIN, os.X_OK):
        print("1..0 # SKIP no plain (non-sanitizer) wsinetd build to run under valgrind")
        sys.exit(0)
    sys.exit(main())
