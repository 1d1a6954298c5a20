#!/usr/bin/python3
"""The example endpoints in scripts/: echo, count, greeter, env, chat (across processes),
json (--json, text and binary)."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import *  # noqa

S = os.path.join(REPO, "scripts")


def msgs(ev):
    return [(e["type"], e["data"]) for e in ev if e["event"] == "message"]


def closes(ev):
    return [(e["code"], e["reason"]) for e in ev if e["event"] == "close"]


@test
def echo():
    s = Server([os.path.join(S, "echo.sh")])
    try:
        ev = py_client(s.url(), [{"send": "one"}, {"send": "two ✓"}, {"wait": 2}, {"close": 1000}])
        T.eq(msgs(ev), [("text", "one"), ("text", "two ✓")], "echo.sh echoes")
    finally:
        s.stop()


@test
def count():
    s = Server([os.path.join(S, "count.sh")])
    try:
        t0 = time.monotonic()
        ev = py_client(s.url(), [], timeout=30)
        T.eq(msgs(ev), [("text", str(i)) for i in range(1, 11)], "count.sh: 1..10")
        T.eq([c for c, _ in closes(ev)], [1000], "then Close 1000")
        T.ok(time.monotonic() - t0 >= 8.5, "one a second")
    finally:
        s.stop()


@test
def greeter():
    s = Server([os.path.join(S, "greeter.sh")])
    try:
        said = ["hi", "hello", "xyzzy", "desu", "what's up"]
        ev = py_client(s.url(), [{"send": m} for m in said] + [{"wait": 5}, {"close": 1000}])
        T.eq(msgs(ev), [("text", "Hey there"), ("text", "Heya!"), ("text", "Nothing happens."),
                        ("text", "Keep typing, man. Keep typing."),
                        ("text", "Hello. Uh... what am I supposed to do with 'what's up'?")],
             "greeter.sh answers")
    finally:
        s.stop()


@test
def env():
    s = Server([os.path.join(S, "env.sh")])
    try:
        ev = py_client(s.url("/some/path?q=1"), [], protocols=None)
        lines = [d for _, d in msgs(ev)]
        env = parse_env_lines(lines)
        T.ok(all("=" in l for l in lines) and len(lines) == len(env), "one variable per message", lines[:5])
        T.eq((env.get("SCRIPT_NAME"), env.get("QUERY_STRING"), env.get("REMOTE_ADDR")),
             ("/some/path", "q=1", "127.0.0.1"), "the CGI variables")
        T.eq(lines, sorted(lines), "sorted")
        T.eq([c for c, _ in closes(ev)], [1000], "then Close 1000")
    finally:
        s.stop()


@test
def chat():
    rt = tmpdir()
    s = Server(["--passenv=PATH,XDG_RUNTIME_DIR", os.path.join(S, "chat.sh")], mode="listen",
               env={"XDG_RUNTIME_DIR": rt})
    room = os.path.join(rt, "wsinetd-chat-%d" % os.getuid())
    cs = []
    try:
        for i in range(3):
            c = RawClient(s.port)
            T.eq(c.handshake("/").status, 101, "client %d connected" % i)
            cs.append(c)
            # its own "joined" line proves its follower runs before anyone speaks
            port = c.local_port
            seen = []
            for _ in range(20):
                m = c.recv_message(5)
                seen.append(m[1].decode())
                if m[1].decode().endswith(":%d joined" % port):
                    break
            T.ok(seen and seen[-1].endswith(":%d joined" % port), "client %d sees itself join" % i, seen)
        T.ok(os.path.isdir(room) and oct(os.stat(room).st_mode & 0o777) == "0o700", "a private room folder")
        cs[0].send_text("hello from 0")
        cs[2].send_text("hello from 2")
        for i, c in enumerate(cs):
            got = set()
            for _ in range(50):
                if {"hello from 0", "hello from 2"} <= got:
                    break
                m = c.recv_message(5)
                txt = m[1].decode()
                got.add(txt.split(": ", 1)[1] if ": " in txt else txt)
            T.ok({"hello from 0", "hello from 2"} <= got, "client %d got both messages" % i, got)
        pids = s.handlers()
        T.eq(len(pids), 3, "three handler processes (one per connection)")
        for c in cs:
            c.send_close(1000)
            c.recv_until_close(5)
            c.close()
        T.ok(wait_until(lambda: not os.path.exists(room), 5.0), "the last one out removed the room")
    finally:
        for c in cs:
            c.close()
        s.stop()


@test
def json_mode():
    s = Server(["--json", os.path.join(S, "json.sh")])
    try:
        ev = py_client(s.url(), [{"send": "héllo"}, {"wait": 1},
                                 {"sendBinary": base64.b64encode(b"\x01\x02\xff").decode()}, {"wait": 3},
                                 {"send": "bye"}], timeout=20)
        T.eq(msgs(ev), [("text", "text: héllo (5 characters)"), ("text", "binary: 3 bytes: 01 02 ff"),
                        ("binary", base64.b64encode(b"\xff\x02\x01").decode())],
             "json.sh answers text and binary (bytes reversed)")
        T.eq(closes(ev), [(4000, "bye")], "'bye' closes with 4000")
    finally:
        s.stop()


if __name__ == "__main__":
    sys.exit(main())
