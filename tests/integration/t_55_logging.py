#!/usr/bin/python3
"""Logging: one access line per connection on stderr with peer=, path=, close=, exit=;
--loglevel filters it."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import *  # noqa


def access_lines(text):
    return [l for l in text.splitlines() if re.search(r"\baccess\b", l) and "peer=" in l]


def field(line, name):
    m = re.search(r"(?:^|\s)%s=(\"[^\"]*\"|\S*)" % re.escape(name), line)
    return m.group(1).strip('"') if m else None


@test
def one_access_line_per_connection():
    for mode in ("inetd", "listen"):
        s = Server(["/bin/sh", "-c", 'read l; echo "got $l"; exit "${l#code}"'], mode=mode)
        try:
            ports = []
            for path, code in (("/first?q=1", "code0"), ("/second", "code3")):
                c = RawClient(s.port)
                ports.append(c.local_port)
                c.handshake(path)
                c.send_text(code)
                ms, cl, _ = c.recv_until_close(5)
                c.send_close(1000)
                c.wait_eof(5)
                c.close()
            wait_until(lambda: len(access_lines(s.stderr())) >= 2 and not s.handlers(), 5)
            lines = access_lines(s.stderr())
            T.ok(len(lines) == 2, "%s: one access line per connection" % mode,
                 "got %d:\n%s" % (len(lines), s.stderr()[-2000:]))
            if len(lines) != 2:
                continue
            a, b = lines
            T.ok(field(a, "peer") in ("127.0.0.1:%d" % ports[0], "127.0.0.1"),
                 "%s: peer= is the client" % mode, a)
            T.ok((field(a, "path") or "").startswith("/first"), "%s: path= is the request path" % mode, a)
            T.eq(field(a, "close"), "1000", "%s: close=1000 for exit 0" % mode)
            T.eq(field(b, "close"), "1011", "%s: close=1011 for exit 3" % mode)
            T.ok(field(a, "exit") is not None and field(b, "exit") is not None,
                 "%s: exit= present" % mode, "%s\n%s" % (a, b))
            T.ok(field(b, "exit") != field(a, "exit"), "%s: exit= differs for a failed program" % mode,
                 "%s\n%s" % (a, b))
            T.ok("exit 3" in b, "%s: the program's status (exit 3) is in the record" % mode, b)
        finally:
            s.stop()


@test
def loglevel_filters():
    for level, want in (("error", 0), ("fatal", 0), ("access", 1), ("info", 0), ("debug", 1)):
        s = Server(["--loglevel=" + level, "/bin/sh", "-c", "echo hi"], mode="inetd")
        try:
            c = RawClient(s.port)
            c.handshake()
            c.recv_until_close(5)
            c.send_close(1000)
            c.wait_eof(5)
            c.close()
            wait_until(lambda: ssa_exit_codes(s.stderr()), 5)
            n = len(access_lines(s.stderr()))
            T.eq(n, want, "--loglevel=%s: %d access line(s)" % (level, want))
        finally:
            s.stop()


if __name__ == "__main__":
    sys.exit(main())
