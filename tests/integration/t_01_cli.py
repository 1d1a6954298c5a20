#!/usr/bin/python3
"""Command line: --help, --version, usage errors (one line, exit 2, no socket I/O),
--opt=value and --opt value, --config (JSON, command line wins), K/M suffixes."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import *  # noqa

OPTIONS = ["--port", "--address", "--maxforks", "--handler-reuse", "--binary", "--json", "--protocol",
           "--require-protocol", "--max-message", "--max-request", "--max-headers",
           "--request-timeout", "--ping-interval", "--closems", "--passenv", "--header",
           "--header-ws", "--header-http", "--handoff", "--config", "--loglevel", "--help",
           "--version"]


def run(args, stdin=b"", env=None):
    return run_pipes(args, stdin=stdin, timeout=10, env=env)


@test
def help_lists_every_option():
    rc, out, err = run(["--help"])
    T.eq(rc, 0, "--help exits 0")
    text = out.decode(errors="replace") + err
    missing = [o for o in OPTIONS if not re.search(re.escape(o) + r"(?![\w-])", text)]
    T.eq(missing, [], "--help names every option")
    T.ok(out.strip() != b"", "--help writes to stdout", "stdout empty; stderr=%r" % err[:300])


@test
def version():
    rc, out, err = run(["--version"])
    T.eq(rc, 0, "--version exits 0")
    T.match(r"wsinetd.*\d+\.\d+", out.decode(errors="replace"), "--version prints name and version")


REQ = b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" \
      b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

BAD = [
    (["--no-such-option", "cat"], "unknown option"),
    (["--maxforks=abc", "cat"], "non-numeric --maxforks"),
    (["--max-message=12Q", "cat"], "bad suffix in --max-message"),
    (["--max-message=-5", "cat"], "negative --max-message"),
    (["--ping-interval=x", "cat"], "non-numeric --ping-interval"),
    (["--request-timeout=", "cat"], "empty --request-timeout"),
    (["--loglevel=loud", "cat"], "unknown --loglevel"),
    (["--port=99999", "cat"], "--port out of range"),
    (["--closems=1e9999", "cat"], "garbage --closems"),
    (["--max-headers=99999999999999999999", "cat"], "--max-headers overflow"),
    ([], "missing program"),
    (["--binary"], "options but no program"),
    (["--protocol"], "--protocol without value at the end"),
    (["--config=/nonexistent/wsinetd.json", "cat"], "unreadable --config"),
    (["--port=1", "--address=256.1.1.1", "cat"], "--address that is no address"),
    (["--handler-reuse=0", "cat"], "--handler-reuse=0", ("--handler-reuse",)),
    (["--handler-reuse=100001", "cat"], "--handler-reuse past WS_HANDLER_REUSE_MAX",
     ("--handler-reuse",)),
    # the certificate files do not exist either: the line must name the conflict
    (["--handler-reuse=2", "--ssl", "--sslcert=/x.pem", "--sslkey=/x.key", "cat"],
     "--handler-reuse with --ssl", ("--handler-reuse", "--ssl")),
]


@test
def usage_errors():
    for args, what, *must in BAD:
        rc, out, err = run(args, stdin=REQ)
        lines = [l for l in err.splitlines() if l.strip()]
        T.ok(rc == 2 and len(lines) == 1 and out == b"",
             "%s: exit 2, one stderr line, nothing on stdout" % what,
             "args=%r rc=%r stdout=%r stderr=%r" % (args, rc, out[:200], err[:500]))
        for word in (must[0] if must else ()):
            T.ok(word in err, "%s: the line names %s" % (what, word), err[:300])


@test
def usage_error_no_socket_io():
    # under inetd style: a bad option must not answer anything on the connection
    srv = Server(["--maxforks=oops", "cat"], mode="inetd")
    try:
        c = RawClient(srv.port)
        c.send(REQ)
        data, eof = c.read_until_eof(timeout=5)
        T.ok(eof and data == b"", "bad option under inetd: connection closed with no bytes",
             "eof=%r data=%r" % (eof, data[:200]))
        c.close()
        wait_until(lambda: ssa_exit_codes(srv.stderr()), 5)
        T.eq([c for _, c in ssa_exit_codes(srv.stderr())], [2], "exit status 2 under inetd")
    finally:
        srv.stop()


def echo_ok(args, what):
    """Run args + cat through pipes and check one echo; returns the response."""
    pc = spawn_pipes(args + ["cat"])
    try:
        pc.send(REQ)
        r = pc.response(5)
        ok = r.status == 101
        if ok:
            pc.send_text("ping-" + what)
            m = pc.recv_message(5)
            ok = m == (OP_TEXT, ("ping-" + what).encode())
        T.ok(ok, "%s: accepted and echoes" % what, "status=%r stderr=%r" % (r.status, pc.stderr()[-500:]))
        return r
    finally:
        pc.stop()


@test
def both_option_forms():
    for form in (["--max-message=2K"], ["--max-message", "2K"], ["--max-message", "1M"],
                 ["--closems", "10", "--ping-interval", "0"], ["--protocol", "a,b"],
                 ["--loglevel", "error"], ["--", ]):
        echo_ok(form, " ".join(form))


@test
def option_value_form_applies():
    # --max-message 1K given as a separate word must really set the limit (1009 past it)
    pc = spawn_pipes(["--max-message", "1K", "cat"])
    try:
        pc.send(REQ)
        r = pc.response(5)
        T.eq(r.status, 101, "handshake with --max-message 1K")
        pc.send_text("a" * 1000)
        T.eq(pc.recv_message(5), (OP_TEXT, b"a" * 1000), "1000 bytes under 1K echoed")
        pc.send_text("b" * 1025)
        m = pc.recv_message(5)
        T.eq(m[:2], ("close", 1009), "1025 bytes over 1K: close 1009")
    finally:
        pc.stop()


@test
def program_args_after_double_dash():
    # options after PROGRAM (or after --) belong to the program
    pc = spawn_pipes(["--", "/bin/echo", "--binary", "--help"])
    try:
        pc.send(REQ)
        r = pc.response(5)
        T.eq(r.status, 101, "-- PROGRAM ARGS: handshake")
        msgs, code, _ = pc.recv_until_close(5)
        T.eq(msgs, [(OP_TEXT, b"--binary --help")], "program got its own --options as arguments")
        T.eq(code, 1000, "then close 1000")
    finally:
        pc.stop()


@test
def config_file():
    d = tmpdir()
    cfg = os.path.join(d, "c.json")
    with open(cfg, "w") as f:
        json.dump({"protocol": "alpha,beta", "max-message": "1K"}, f)
    prog = ["/bin/sh", "-c", 'echo "p=$WS_PROTOCOL"; exec cat']
    req = REQ[:-2] + b"Sec-WebSocket-Protocol: beta, alpha, gamma\r\n\r\n"

    pc = spawn_pipes(["--config=" + cfg] + prog)
    try:
        pc.send(req)
        r = pc.response(5)
        T.eq((r.status, r.header("sec-websocket-protocol")), (101, "alpha"),
             "--config protocol applied (server preference)")
        T.eq(pc.recv_message(5), (OP_TEXT, b"p=alpha"), "WS_PROTOCOL from config")
        pc.send_text("x" * 2000)
        m = pc.recv_message(5)
        T.eq(m[:2], ("close", 1009), "--config max-message 1K applied")
    finally:
        pc.stop()

    pc = spawn_pipes(["--config", cfg, "--protocol=gamma,beta"] + prog)
    try:
        pc.send(req)
        r = pc.response(5)
        T.eq((r.status, r.header("sec-websocket-protocol")), (101, "gamma"),
             "command line --protocol wins over --config")
    finally:
        pc.stop()

    # boolean options as JSON true
    cfg2 = os.path.join(d, "b.json")
    with open(cfg2, "w") as f:
        json.dump({"binary": True}, f)
    pc = spawn_pipes(["--config=" + cfg2, "/bin/sh", "-c", "printf AB"])
    try:
        pc.send(REQ)
        r = pc.response(5)
        msgs, code, _ = pc.recv_until_close(5)
        T.eq(([op for op, _ in msgs], b"".join(d for _, d in msgs), code), ([OP_BIN], b"AB", 1000),
             '--config {"binary": true}: binary mode')
    finally:
        pc.stop()

    for name, content in (("bad.json", "{not json"), ("arr.json", "[1,2]"),
                          ("unk.json", '{"no-such-option": 1}'),
                          ("badval.json", '{"maxforks": "many"}')):
        p = os.path.join(d, name)
        with open(p, "w") as f:
            f.write(content)
        rc, out, err = run(["--config=" + p, "cat"], stdin=REQ)
        lines = [l for l in err.splitlines() if l.strip()]
        T.ok(rc == 2 and len(lines) == 1 and out == b"", "--config %s: exit 2 one line" % name,
             "rc=%r out=%r err=%r" % (rc, out[:100], err[:300]))


if __name__ == "__main__":
    sys.exit(main())
