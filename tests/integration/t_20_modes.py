#!/usr/bin/python3
"""Modes: lines (default), --binary, --json; with python3-websockets, node ws and raw frames."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import *  # noqa

D = tmpdir()


def msgs(ev):
    return [(e["type"], e["data"]) for e in ev if e["event"] == "message"]


def closes(ev):
    return [(e["code"], e["reason"]) for e in ev if e["event"] == "close"]


def b64(b):
    return base64.b64encode(b).decode()


@test
def lines_echo_both_clients():
    s = Server(["cat"], mode="inetd")
    try:
        texts = ["hello", "", "héllo wörld ✓ 😀", "x" * 70000, "tab\tand spaces  "]
        for name, client in CLIENTS:
            acts = [{"send": t} for t in texts] + [{"wait": len(texts)}, {"close": 1000, "reason": "bye"}]
            ev = client(s.url("/echo"), acts)
            T.eq(msgs(ev), [("text", t) for t in texts], "%s: lines echo keeps order and content" % name)
            T.eq([c for c, _ in closes(ev)], [1000], "%s: client close 1000 answered with 1000" % name)
    finally:
        s.stop()


@test
def lines_output_framing():
    prog = write_script(D, "out.sh", "#!/bin/sh\nprintf 'a\\r\\nb\\n\\nc\\r\\n  d  \\nlast-no-newline'\n")
    s = Server([prog], mode="inetd")
    try:
        for name, client in CLIENTS:
            ev = client(s.url(), [])
            T.eq(msgs(ev), [("text", "a"), ("text", "b"), ("text", ""), ("text", "c"),
                            ("text", "  d  "), ("text", "last-no-newline")],
                 "%s: \\n and \\r\\n stripped, empty line kept, last line sent at EOF" % name)
            T.eq([c for c, _ in closes(ev)], [1000], "%s: then close 1000" % name)
    finally:
        s.stop()


@test
def lines_input_gets_newline():
    # the program sees each message followed by exactly one "\n": od shows the bytes
    prog = write_script(D, "hex.py", "#!/usr/bin/python3\nimport sys\n"
                        "data = b''.join(sys.stdin.buffer.readline() for _ in range(3))\n"
                        "print(data.hex(), flush=True)\n")
    s = Server([prog], mode="inetd")
    try:
        c = RawClient(s.port)
        r = c.handshake()
        T.eq(r.status, 101, "handshake")
        c.send_text("ab")
        c.send_text("")
        c.send_text("é")
        ms, code, _ = c.recv_until_close(5)
        T.eq(ms, [(OP_TEXT, (b"ab\n\n\xc3\xa9\n").hex().encode())],
             "program stdin = payload + \\n per message")
        T.eq(code, 1000, "program exit 0: close 1000")
        c.close()
    finally:
        s.stop()


@test
def lines_binary_from_client_1003():
    s = Server(["cat"], mode="inetd")
    try:
        c = RawClient(s.port)
        c.handshake()
        c.send_text("before")
        T.eq(c.recv_message(5), (OP_TEXT, b"before"), "text echoed")
        c.send_binary(b"\x00\x01\x02")
        ms, code, reason = c.recv_until_close(5)
        T.eq(code, 1003, "binary message in lines mode: close 1003")
        T.ok(len(reason) > 0, "1003 carries a reason", repr(reason))
        c.close()
        for name, client in CLIENTS:
            ev = client(s.url(), [{"sendBinary": b64(b"\xff\xfe")}])
            T.eq([c for c, _ in closes(ev)], [1003], "%s: binary → close 1003" % name)
    finally:
        s.stop()


@test
def lines_invalid_utf8_output():
    prog = write_script(D, "bad.sh", "#!/bin/sh\nprintf 'ok1\\n\\377\\376bad\\nok2\\n'\n")
    s = Server([prog], mode="inetd")
    try:
        c = RawClient(s.port)
        c.handshake()
        ms, code, _ = c.recv_until_close(5)
        c.close()
        T.eq(ms, [(OP_TEXT, b"ok1"), (OP_BIN, b"\xff\xfebad"), (OP_TEXT, b"ok2")],
             "invalid UTF-8 line sent as a binary message, others as text")
        T.eq(code, 1000, "then close 1000")
        wait_until(lambda: re.search(r"(?i)utf-?8", s.stderr()), 3)
        T.match(r"(?i)utf-?8", s.stderr(), "a warning about the invalid UTF-8 line on stderr")
    finally:
        s.stop()


@test
def lines_output_line_too_long():
    # the program's output line is bounded too: past --max-message, close 1011, whether the
    # long line arrives in pieces, whole with its newline, or never ends
    variants = [
        ("in pieces", "os.write(1, b'short\\n')\nfor i in range(10):\n    time.sleep(0.05)\n"
                      "    os.write(1, b'x' * 500)\nos.write(1, b'\\n')"),
        ("whole with its newline in one write", "os.write(1, b'short\\n' + b'x' * 5000 + b'\\n')"),
        ("whole, after a pause", "os.write(1, b'short\\n')\ntime.sleep(0.2)\nos.write(1, b'x' * 5000 + b'\\n')"),
        ("without a newline", "os.write(1, b'short\\n' + b'x' * 5000)"),
    ]
    for i, (what, code) in enumerate(variants):
        prog = write_script(D, "long%d.py" % i, "#!/usr/bin/python3\nimport os, time\n%s\ntime.sleep(30)\n" % code)
        s = Server(["--max-message=1K", prog], mode="inetd")
        try:
            c = RawClient(s.port)
            c.handshake()
            ms, code, reason = c.recv_until_close(5, raise_timeout=False)
            c.close()
            T.eq([(op, len(d)) for op, d in ms], [(OP_TEXT, 5)],
                 "%s: lines before the long one delivered, the long one not" % what)
            T.eq(code, 1011, "%s: output line over --max-message: close 1011" % what)
            T.ok(wait_until(lambda: not s.handlers(), 5), "%s: handler ends (program killed)" % what)
        finally:
            s.stop()


@test
def binary_mode():
    s = Server(["--binary", "cat"], mode="inetd")
    try:
        payload = bytes(range(256)) + b"\n\r\n\x00" + os.urandom(3000)
        c = RawClient(s.port)
        c.handshake()
        c.send_binary(payload)
        got = b""
        kinds = set()
        for _ in range(1000):
            if len(got) >= len(payload):
                break
            op, data = c.recv_message(5)
            kinds.add(op)
            got += data
        T.eq(got, payload, "--binary: bytes echoed unchanged (newlines, NUL, 0xff)")
        T.eq(kinds, {OP_BIN}, "--binary: output arrives as binary messages")
        c.close()
        for name, client in CLIENTS:
            data = b"\x00\xffbin\n"
            ev = client(s.url(), [{"sendBinary": b64(data)}, {"wait": 1}, {"close": 1000}])
            m = msgs(ev)
            joined = b"".join(base64.b64decode(d) for t, d in m if t == "binary")
            T.ok(joined == data and all(t == "binary" for t, _ in m),
                 "%s: --binary echo" % name, repr(ev))
    finally:
        s.stop()
    prog = write_script(D, "bin.sh", "#!/bin/sh\nprintf 'A\\000\\377B'\n")
    s = Server(["--binary", prog], mode="inetd")
    try:
        c = RawClient(s.port)
        c.handshake()
        ms, code, _ = c.recv_until_close(5)
        T.eq((b"".join(d for _, d in ms), {op for op, _ in ms}, code), (b"A\x00\xffB", {OP_BIN}, 1000),
             "--binary: program output as binary messages, then 1000")
    finally:
        s.stop()


@test
def json_cat_type_preserving():
    s = Server(["--json", "cat"], mode="inetd")
    try:
        for name, client in CLIENTS:
            acts = [{"send": "héllo \"quoted\"\nnewline"}, {"sendBinary": b64(b"\x00\xff\n")},
                    {"send": ""}, {"wait": 3}, {"close": 1000}]
            ev = client(s.url(), acts)
            T.eq(msgs(ev), [("text", "héllo \"quoted\"\nnewline"), ("binary", b64(b"\x00\xff\n")),
                            ("text", "")], "%s: --json cat echoes text as text, binary as binary" % name)
    finally:
        s.stop()


@test
def json_input_format():
    prog = write_script(D, "jsin.py", "#!/usr/bin/python3\nimport sys, json\n"
                        "for line in sys.stdin:\n"
                        "    o = json.loads(line)\n"
                        "    print(json.dumps({'type': 'text', 'data': json.dumps(o, sort_keys=True)}), flush=True)\n")
    s = Server(["--json", prog], mode="inetd")
    try:
        c = RawClient(s.port)
        c.handshake()
        c.send_text("hi\n")
        T.eq(c.recv_message(5), (OP_TEXT, json.dumps({"data": "hi\n", "type": "text"}, sort_keys=True).encode()),
             "text message → {\"type\":\"text\",\"data\":...} on one line")
        c.send_binary(b"\x00\xff")
        T.eq(c.recv_message(5), (OP_TEXT, json.dumps({"data": "AP8=", "type": "binary"}, sort_keys=True).encode()),
             "binary message → {\"type\":\"binary\",\"data\":base64}")
        c.close()
    finally:
        s.stop()


@test
def json_close_and_malformed():
    prog = write_script(D, "jsout.sh", "#!/bin/sh\n"
                        "echo '{\"type\":\"text\",\"data\":\"one\"}'\n"
                        "echo 'this is not json'\n"
                        "echo '{\"type\":\"binary\",\"data\":\"AAEC\"}'\n"
                        "echo '{\"type\":\"nope\",\"data\":\"x\"}'\n"
                        "echo '{\"type\":\"binary\",\"data\":\"!!notbase64\"}'\n"
                        "echo '{\"type\":\"text\",\"data\":\"two\"}'\n"
                        "echo '{\"type\":\"close\",\"code\":4000,\"reason\":\"done here\"}'\n"
                        "exec sleep 30\n")
    s = Server(["--json", prog], mode="inetd")
    try:
        c = RawClient(s.port)
        c.handshake()
        ms, code, reason = c.recv_until_close(8)
        c.close()
        T.eq(ms, [(OP_TEXT, b"one"), (OP_BIN, b"\x00\x01\x02"), (OP_TEXT, b"two")],
             "valid lines relayed, malformed ones skipped")
        T.eq((code, reason), (4000, b"done here"), "{type: close, code: 4000} → close 4000 with reason")
        err = wait_until(lambda: re.search(r"(?i)line\D{0,3}5\b", s.stderr()) and s.stderr(), 3) or s.stderr()
        for n in (2, 4, 5):
            T.match(r"(?i)line\D{0,3}%d\b" % n, err, "malformed line %d logged with its line number" % n)
        wait_until(lambda: not s.handlers(), 5)
        T.eq(s.handlers(), [], "handler ended after the program's close (sleep killed)")
    finally:
        s.stop()


if __name__ == "__main__":
    sys.exit(main())
