#!/usr/bin/python3
"""Environment safety: what reaches the program's environment from a hostile request.

Expectations (README "The program's environment"):
  - the program sees exactly the documented variables: the CGI set, one HTTP_* per
    exported header name, WS_PROTOCOL, WS_EXTENSIONS, WS_MODE, and the --passenv names
    that are set; nothing else of wsinetd's own environment (a SECRET_TOKEN is there);
  - header names colliding on one HTTP_* name: "X-Foo", "x-foo", "X-FOO" are one
    HTTP_X_FOO joined with ", " in order; "X_Foo" (would spoof it) is dropped; two Cookie
    headers join with "; ";
  - "Proxy" never becomes HTTP_PROXY (httpoxy); "Authorization" never exported;
  - CR or LF inside a value (a bare CR, an obs-fold continuation) is refused with 400
    before any program starts; a bare LF ends the line (RFC 7230 3.5) so what follows is
    just another header, never a variable of its own;
  - a thousand headers: 1000 lines of one name with --max-headers=1000 are one joined
    HTTP_X_SAME; 1000 distinct names are 431 (over 256 variables); with the default
    --max-headers=100, 1000 lines are 431;
  - --passenv naming a missing variable: no such variable at all (not even empty);
after each server: no zombie, no orphan, no fd left open (faultlib.settle)."""
import os
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import *  # noqa: F401,F403

D = tmpdir()
MARK = os.path.join(D, "started")
MARKPROG = script(D, "markprog.sh", "#!/bin/sh\ntouch %s\nexec /usr/bin/env -0\n" % MARK)
ENVPROG = ["/usr/bin/env", "-0"]  # directly: a shell would add PWD
README = os.path.join(REPO, "README.md")


def documented_names():
    """The variable names in README's "The program's environment" table: exact names,
    and prefixes for NAME_* rows."""
    text = read_text(README)
    sec = text.split("## The program's environment", 1)[-1].split("\n## ", 1)[0]
    exact, prefixes = set(), set()
    for line in sec.splitlines():
        if not line.startswith("| `"):
            continue
        first = line.split("|")[1]
        for name in re.findall(r"`([A-Z][A-Z0-9_]*\*?)`", first):
            if name.endswith("*"):
                prefixes.add(name[:-1])
            else:
                exact.add(name)
    return exact, prefixes

CGI = {"SERVER_SOFTWARE", "GATEWAY_INTERFACE", "SERVER_PROTOCOL", "REQUEST_METHOD",
       "REQUEST_URI", "SCRIPT_NAME", "PATH_INFO", "PATH_TRANSLATED", "QUERY_STRING",
       "REMOTE_ADDR", "REMOTE_HOST", "REMOTE_PORT", "SERVER_NAME", "SERVER_PORT", "UNIQUE_ID",
       "REMOTE_USER", "AUTH_TYPE", "HTTPS", "REMOTE_IDENT", "CONTENT_TYPE", "CONTENT_LENGTH"}
WS = {"WS_PROTOCOL", "WS_EXTENSIONS", "WS_MODE"}
SRV_ENV = {"LANG": "C.UTF-8", "SECRET_TOKEN": "must-not-leak", "PRESENT_VAR": "yes"}


def env_of(port, headers, path="/"):
    c = RawClient(port)
    try:
        r = c.request(build_request(path, headers))
        if r.status != 101:
            return r.status, None
        data = b""
        for _ in range(1000):
            m = c.recv_message(5)
            if m[0] == "close":
                break
            data += m[1]
        env = {}
        for item in data.split(b"\0"):
            if item:
                k, _, v = item.decode("utf-8", "replace").partition("=")
                env[k] = v
        return 101, env
    finally:
        c.close()


def raw_status(port, raw):
    c = RawClient(port)
    try:
        return c.request(raw).status
    except (Closed, TimeoutErr) as e:
        return repr(e)
    finally:
        c.close()


@test
def documented_environment_and_collisions():
    s = Listener(["--binary", "--passenv=PATH,LANG,PRESENT_VAR,MISSING_VAR_XYZ"] + ENVPROG, env=SRV_ENV)
    try:
        hs = std_headers(s.port) + [
            ("X-Foo", "1"), ("x-foo", "2"), ("X_Foo", "spoof"), ("X-FOO", "3"),
            ("Cookie", "a=1"), ("Cookie", "b=2"), ("Proxy", "http://evil.example/"),
            ("Authorization", "Bearer secret"), ("Server-Software", "x"), ("X-Empty", ""),
            ("X-Dots.And+Plus", "dropped")]
        st, env = env_of(s.port, hs, "/p/a?q=1&r=2")
        T.eq(st, 101, "handshake")
        env = env or {}
        names = set(env)
        want_http = {"HTTP_HOST", "HTTP_UPGRADE", "HTTP_CONNECTION", "HTTP_SEC_WEBSOCKET_KEY",
                     "HTTP_SEC_WEBSOCKET_VERSION", "HTTP_X_FOO", "HTTP_COOKIE",
                     "HTTP_SERVER_SOFTWARE", "HTTP_X_EMPTY"}
        want = CGI | WS | want_http | {"PATH", "LANG", "PRESENT_VAR"}
        exact, prefixes = documented_names()
        T.ok(CGI <= exact and WS <= exact and "HTTP_" in prefixes,
             "README's table documents the CGI set, WS_* and HTTP_*", repr((exact, prefixes)))
        undocumented = sorted(n for n in names - {"PRESENT_VAR"}
                              if n not in exact and not any(n.startswith(p) for p in prefixes))
        T.eq(undocumented, [], "no variable the README's table does not document")
        T.eq(sorted(n for n in names if n.startswith("HTTP_")), sorted(want_http),
             "HTTP_* exactly from the exported headers")
        T.eq(sorted(want - names), [], "every documented variable is there")
        T.eq(env.get("HTTP_X_FOO"), "1, 2, 3", "X-Foo, x-foo, X-FOO join in order; X_Foo dropped")
        T.eq(env.get("HTTP_COOKIE"), "a=1; b=2", "two Cookie headers join with '; '")
        T.ok("HTTP_PROXY" not in env, "no HTTP_PROXY (httpoxy)")
        T.ok("HTTP_AUTHORIZATION" not in env, "Authorization not exported")
        T.ok("SECRET_TOKEN" not in env and "must-not-leak" not in "".join(env.values()),
             "wsinetd's own environment does not leak")
        T.ok("MISSING_VAR_XYZ" not in env, "--passenv of a missing variable: not set at all")
        T.eq((env.get("PRESENT_VAR"), env.get("LANG")), ("yes", "C.UTF-8"), "--passenv of set variables")
        T.eq((env.get("SERVER_SOFTWARE", "")[:8], env.get("GATEWAY_INTERFACE"), env.get("SERVER_PROTOCOL"),
              env.get("REQUEST_METHOD"), env.get("REQUEST_URI"), env.get("SCRIPT_NAME"),
              env.get("QUERY_STRING"), env.get("PATH_INFO"), env.get("HTTPS"), env.get("REMOTE_ADDR"),
              env.get("REMOTE_HOST"), env.get("SERVER_NAME"), env.get("SERVER_PORT"), env.get("WS_MODE")),
             ("wsinetd/", "CGI/1.1", "HTTP/1.1", "GET", "/p/a?q=1&r=2", "/p/a", "q=1&r=2", "", "",
              "127.0.0.1", "127.0.0.1", "127.0.0.1", str(s.port), "binary"),
             "CGI values as documented")
        T.ok(re.fullmatch(r"[0-9a-f]{24}", env.get("UNIQUE_ID", "")), "UNIQUE_ID is 24 hex digits")
        T.ok(all("\n" not in v and "\r" not in v for v in env.values()), "no CR/LF in any value")
        settle(s, D, "documented environment")
    finally:
        s.stop()


@test
def crlf_in_values():
    s = Listener(["--binary", MARKPROG])
    try:
        if os.path.exists(MARK):
            os.unlink(MARK)
        base = build_request("/", std_headers(s.port))[:-2]
        T.eq(raw_status(s.port, base + b"X-A: v\rINJECTED=1\r\n\r\n"), 400, "a bare CR in a value: 400")
        T.eq(raw_status(s.port, base + b"X-A: v\r\n INJECTED=1\r\n\r\n"), 400, "obs-fold continuation: 400")
        T.eq(raw_status(s.port, base + b"X-A: v\x00INJECTED=1\r\n\r\n"), 400, "NUL in a value: 400")
        T.ok(not os.path.exists(MARK), "no program was started for them")
        st, env = env_of(s.port, std_headers(s.port) + [("X-A", "v\nINJECTED: 1")])
        env = env or {}
        T.eq(st, 101, "a bare LF ends the header line")
        T.ok("INJECTED" not in env and env.get("HTTP_INJECTED") == "1" and env.get("HTTP_X_A") == "v",
             "what follows a bare LF is only another header", repr({k: v for k, v in env.items() if "INJ" in k or k == "HTTP_X_A"}))
        settle(s, D, "CR/LF")
    finally:
        s.stop()


@test
def a_thousand_headers():
    s = Listener(["--max-headers=1000", "--max-request=1M", "--binary"] + ENVPROG)
    try:
        hs = std_headers(s.port)
        st, env = env_of(s.port, hs + [("X-Same", "v%d" % i) for i in range(1000 - len(hs))])
        T.eq(st, 101, "1000 lines of one name are served")
        v = (env or {}).get("HTTP_X_SAME", "")
        T.eq(len(v.split(", ")), 1000 - len(hs), "joined into one HTTP_X_SAME")
        T.eq(raw_status(s.port, build_request("/", hs + [("X-N%d" % i, "v") for i in range(1000 - len(hs))])),
             431, "1000 distinct names: 431 (over 256 variables)")
        settle(s, D, "1000 headers")
    finally:
        s.stop()
    s = Listener(ENVPROG)
    try:
        hs = std_headers(s.port)
        T.eq(raw_status(s.port, build_request("/", hs + [("X-Same", "v")] * 995)), 431,
             "default --max-headers=100: 1000 lines are 431")
        settle(s, D, "1000 headers, default limit")
    finally:
        s.stop()


if __name__ == "__main__":
    sys.exit(main())
