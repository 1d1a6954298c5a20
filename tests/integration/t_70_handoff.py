#!/usr/bin/python3
"""--handoff: after the handshake PROGRAM replaces wsinetd (same PID) with the connection as
stdin/stdout and the WS_* environment; it speaks WebSocket frames itself."""
import os, signal, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import *  # noqa

D = tmpdir()

HANDOFF = write_script(D, "handoff.py", r'''#!/usr/bin/python3
import os, struct, sys
rd, wr = sys.stdin.buffer, sys.stdout.buffer
def exact(n):
    b = b""
    while len(b) < n:
        c = rd.read(n - len(b))
        if not c:
            sys.exit(9)
        b += c
    return b
b0, b1 = exact(2)
n = b1 & 0x7F
if n == 126:
    n = struct.unpack("!H", exact(2))[0]
elif n == 127:
    n = struct.unpack("!Q", exact(8))[0]
key = exact(4) if b1 & 0x80 else b"\0\0\0\0"
payload = bytes(c ^ key[i % 4] for i, c in enumerate(exact(n)))
fds = sorted(int(f) for f in os.listdir("/proc/self/fd"))
reply = "|".join([
    "masked" if b1 & 0x80 else "unmasked",
    payload.decode(),
    str(os.getpid()),
    os.environ.get("WS_PROTOCOL", "<unset>"),
    os.environ.get("REMOTE_ADDR", "<unset>"),
]).encode()
wr.write(bytes([0x81, len(reply)]) + reply)
wr.write(bytes([0x88, 2]) + struct.pack("!H", 1000))
wr.flush()
''')


@test
def handoff_inetd():
    for mode in ("inetd", "fd", "listen"):
        s = Server(["--handoff", "--protocol=chat", HANDOFF], mode=mode)
        try:
            c = RawClient(s.port)
            r = c.handshake("/h", protocols="chat")
            T.eq((r.status, r.header("sec-websocket-protocol")), (101, "chat"),
                 "%s: wsinetd did the handshake" % mode)
            handler = s.wait_handler(5)
            c.send_text("hello handoff")
            m = c.recv_message(5)
            parts = m[1].decode().split("|") if m[0] == OP_TEXT else [repr(m)]
            T.eq(parts[:2], ["masked", "hello handoff"], "%s: program read the client's masked frame" % mode)
            T.eq(parts[2:3], [str(handler)], "%s: program runs in place of wsinetd (same PID)" % mode)
            T.eq(parts[3:4], ["chat"], "%s: WS_PROTOCOL in the program's environment" % mode)
            T.eq(parts[4:5], ["127.0.0.1"], "%s: REMOTE_ADDR in the program's environment" % mode)
            m = c.recv_message(5)
            T.eq(m[:2], ("close", 1000), "%s: program's own close frame arrives" % mode)
            T.ok(c.wait_eof(5), "%s: connection closed when the program exits" % mode)
            c.close()
        finally:
            s.stop()


@test
def handoff_outlives_a_killed_listener():
    # The program in the handler's place is that connection's whole handler: like any
    # handler on its last connection it has no death signal (none set for a handler
    # that would serve more, --handler-reuse, whose SIGUSR1 would kill it).
    pidfile = os.path.join(D, "outlives.pid")
    prog = write_script(D, "outlives.sh", "#!/bin/sh\necho $$ > %s\nexec sleep 30\n" % pidfile)
    s = Server(["--handoff", prog], mode="listen")
    pid = None
    try:
        c = RawClient(s.port)
        T.eq(c.handshake("/").status, 101, "handshake")
        pid = wait_until(lambda: int(read_text(pidfile) or 0), 5)
        T.ok(pid, "the program started in the handler's place")
        kill_pid(s.pid)
        time.sleep(0.5)
        T.ok(pid and pid_alive(pid), "it is still running 0.5 s after the listener was killed")
        c.close()
    finally:
        if pid:
            kill_pid(pid)
        s.stop()


@test
def handoff_signals_at_default():
    # wsinetd started with SIGHUP ignored and some signals blocked, and ignoring SIGPIPE
    # itself: the program in its place gets every disposition at default, no mask.
    out = os.path.join(D, "sig.txt")
    prog = write_script(D, "sig.sh", "#!/bin/sh\ngrep -E '^Sig(Ign|Blk):' /proc/self/status > %s\n"
                        % out)

    def messy():
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGTERM})
    s = Server(["--handoff", prog], mode="listen", preexec_fn=messy)
    try:
        c = RawClient(s.port)
        T.eq(c.handshake("/").status, 101, "handshake")
        got = wait_until(lambda: read_text(out).count("\n") == 2 and read_text(out), 5) or ""
        sig = dict(l.replace("\t", "").split(":", 1) for l in got.splitlines())
        T.eq((sig.get("SigIgn"), sig.get("SigBlk")), ("0000000000000000", "0000000000000000"),
             "no signal ignored or blocked in the handed-off program")
        c.close()
    finally:
        s.stop()


@test
def handoff_first_frame_in_request_write():
    s = Server(["--handoff", HANDOFF], mode="inetd")
    try:
        c = RawClient(s.port)
        r = c.handshake(extra=encode_frame(OP_TEXT, b"early"))
        T.eq(r.status, 101, "handshake")
        m = c.recv_message(5)
        T.eq(m[1].decode().split("|")[:2] if m[0] == OP_TEXT else m, ["masked", "early"],
             "a frame sent with the request reaches the handed-off program")
        c.close()
    finally:
        s.stop()


if __name__ == "__main__":
    sys.exit(main())
