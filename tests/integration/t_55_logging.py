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



def journal_pairs(dgram):
    """journald's native protocol (https://systemd.io/JOURNAL_NATIVE_PROTOCOL/) → [(KEY, bytes)]."""
    out, at = [], 0
    while at < len(dgram):
        nl = dgram.index(b"\n", at)
        eq = dgram.find(b"=", at, nl)
        if eq >= 0:
            out.append((dgram[at:eq].decode(), dgram[eq + 1:nl]))
            at = nl + 1
        else:
            n = int.from_bytes(dgram[nl + 1:nl + 9], "little")
            out.append((dgram[at:nl].decode(), dgram[nl + 9:nl + 9 + n]))
            at = nl + 9 + n + 1
    return out


def journal_run(mode, path="/journal-path", options=()):
    """One connection with stderr as the journal, in a private mount namespace whose
    /run has our own journal socket (journald) or none (journal_ns.py)."""
    helper = os.path.join(os.path.dirname(os.path.abspath(__file__)), "journal_ns.py")
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", PY, helper, BIN,
                        mode, tmpdir(), path] + list(options), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    T.ok(r.returncode == 0, "%s: the namespace helper ran" % mode, r.stderr.decode()[-2000:])
    return json.loads(r.stdout.decode() or "{}")


@test
def journal_entry_over_the_native_socket():
    r = journal_run("journald")
    T.ok(r.get("rc") == 0, "wsinetd exit 0", r)
    T.ok(r.get("reply", "").startswith(bytes(b"HTTP/1.1 101").hex()), "the handshake went through", r)
    pairs = journal_pairs(bytes.fromhex(r.get("dgram", "")))
    f = dict(pairs)
    T.ok(f.get("WSINETD_PATH") == b"/journal-path", "one datagram with WSINETD_PATH", r)
    T.eq((f.get("PRIORITY"), f.get("SYSLOG_IDENTIFIER")), (b"6", b"wsinetd"),
         "PRIORITY=6 and SYSLOG_IDENTIFIER=wsinetd")
    T.eq((f.get("WSINETD_MSGS_IN"), f.get("WSINETD_BYTES_IN"), f.get("WSINETD_MSGS_OUT"),
          f.get("WSINETD_CLOSE"), f.get("WSINETD_PEER_CLOSE"), f.get("WSINETD_EXIT_STATUS")),
         (b"1", b"2", b"1", b"1000", b"1000", b"0"), "the counters and close codes")
    T.ok(f.get("MESSAGE", b"").startswith(b"access peer=") and b"path=/journal-path" in f.get("MESSAGE", b""),
         "MESSAGE is the access line", f.get("MESSAGE"))
    T.eq(sorted(k for k, _ in pairs if k.startswith("WSINETD_")),
         sorted("WSINETD_" + k for k in ("PEER", "PATH", "PROTOCOL", "USER", "CLOSE", "PEER_CLOSE",
                                         "MSGS_IN", "BYTES_IN", "MSGS_OUT", "BYTES_OUT",
                                         "DURATION_MS", "PROGRAM_STATUS", "EXIT_STATUS",
                                         "DEFLATE", "DEFLATE_SAVED")),
         "every WSINETD_ field, once")
    T.eq(access_lines(r.get("stderr", "")), [], "no access line on the stream as well")


@test
def journal_value_cut_at_16_KiB():
    # WS_JOURNAL_VALUE_MAX: a 17000-byte path is in the entry as its first 16384 bytes
    # (the request head allowed to 64 KiB for it).
    path = "/" + "p" * 16999
    r = journal_run("journald", path, ["--max-request=64K"])
    T.ok(r.get("rc") == 0, "wsinetd exit 0", r.get("stderr"))
    f = dict(journal_pairs(bytes.fromhex(r.get("dgram", ""))))
    T.eq(len(f.get("WSINETD_PATH", b"")), 16384, "WSINETD_PATH is cut at 16384 bytes")
    T.ok(f.get("WSINETD_PATH") == path[:16384].encode(), "the start of the path, unchanged")
    T.eq(f.get("WSINETD_MSGS_IN"), b"1", "the rest of the entry is there")


@test
def journal_unreachable_falls_back_to_the_stream():
    r = journal_run("none")
    T.ok(r.get("rc") == 0, "wsinetd exit 0", r)
    lines = access_lines(r.get("stderr", ""))
    T.ok(len(lines) == 1 and lines[0].startswith("<6>access ") and
         field(lines[0], "path") == "/journal-path",
         "no journal socket: the record is the stream line with priority <6>", r.get("stderr"))

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
