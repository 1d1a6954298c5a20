#!/usr/bin/python3
"""Policy at the handshake: Origin, tokens (Bearer, query, cookie), JWT (tokens made by npm
jose through tests/node/jwt.js, or by hand here for the ones no library will make),
--auth-command, refusal styles (401/403, or 101 + Close 4001/4003 read by npm ws), the user
context in the program's environment, and the seed examples in scripts/. For every refusal:
the exact status or close code, and proof the program never started (marker file)."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import *  # noqa

D = tmpdir()
MARK = os.path.join(D, "mark")
os.makedirs(MARK)
JWTJS = os.path.join(REPO, "tests", "node", "jwt.js")
NODE_DIR = os.path.join(REPO, "tests", "node")
VARS = ("REMOTE_USER", "AUTH_TYPE", "WS_AUTH_CLAIMS", "QUERY_STRING", "REQUEST_URI",
        "HTTP_COOKIE", "HTTP_AUTHORIZATION", "WS_AUTH_TOKEN", "WS_PROTOCOL")
PROG = ["/bin/sh", "-c", 'touch "$0/$$"; env | grep -E "^(%s)=" | sort; exit 0' % "|".join(VARS),
        MARK]
SECRET = os.path.join(D, "secret.key")
with open(SECRET, "w") as f:
    f.write("correct horse battery staple, 32+ bytes of it\n")
OTHER_SECRET = os.path.join(D, "other.key")
with open(OTHER_SECRET, "w") as f:
    f.write("another secret that is long enough to use\n")


def clear_marks():
    for f in os.listdir(MARK):
        os.unlink(os.path.join(MARK, f))


def started():
    return len(os.listdir(MARK)) > 0


def jose(*args):
    return subprocess.check_output(["node", JWTJS] + list(args), cwd=NODE_DIR,
                                   timeout=30).decode().strip()


def sign(claims, alg="HS256", key=SECRET, header=None):
    a = ["sign", alg, key, json.dumps(claims)]
    if header:
        a.append(json.dumps(header))
    return jose(*a)


def secret_bytes(path):
    with open(path, "rb") as f:
        b = f.read()
    return b[:-1] if b.endswith(b"\n") else b


def attempt(srv, path="/", headers=(), protocols=None):
    """One raw upgrade. Returns (status, body, env, close) and checks the marker rule:
    env is the program's environment when it ran (101 and a program), else None."""
    clear_marks()
    c = RawClient(srv.port)
    try:
        h = std_headers(srv.port, protocols=protocols) + list(headers)
        r = c.handshake(path, headers=h)
        env, close = None, None
        if r.status == 101:
            ms, code, reason = c.recv_until_close(10)
            close = (code, reason)
            env = parse_env_lines([m[1].decode("utf-8", "replace") for m in ms])
        return r, env, close
    finally:
        c.close()


def refused(srv, want_status, name, path="/", headers=()):
    r, env, close = attempt(srv, path, headers)
    T.eq(r.status, want_status, "%s: %d" % (name, want_status))
    T.ok(r.body.endswith(b"\n") and r.body.count(b"\n") == 1, "%s: one-line body" % name, repr(r.body))
    wait_until(lambda: not srv.handlers(), 5)
    T.ok(not started(), "%s: program not started" % name)
    return r


def accepted(srv, name, path="/", headers=(), protocols=None):
    r, env, close = attempt(srv, path, headers, protocols)
    T.eq(r.status, 101, "%s: 101" % name)
    T.ok(started(), "%s: program started" % name)
    return env or {}


# ------------------------------------------------------------------------------ Origin

@test
def origin_default_same_origin():
    s = Server(PROG)
    try:
        host = "127.0.0.1:%d" % s.port
        accepted(s, "no Origin (non-browser client)")
        accepted(s, "same-origin http://" + host, headers=[("Origin", "http://" + host)])
        accepted(s, "same-origin, host case-folded", headers=[("Origin", "HTTP://127.0.0.1:%d" % s.port)])
        for o in ("http://evil.test", "http://127.0.0.1:%d" % (s.port + 1),
                  "http://127.0.0.1.evil.test:%d" % s.port, "https://127.0.0.1"):
            refused(s, 403, "cross-origin %s" % o, headers=[("Origin", o)])
        T.match(r"origin http://evil\.test refused: not same-origin with Host .*--origin=http://evil\.test",
                s.stderr(), "the log line names the flag that would allow it")
        refused(s, 403, "null origin", headers=[("Origin", "null")])
        T.match(r"--origin=null", s.stderr(), "null: log names --origin=null")
        refused(s, 403, "malformed Origin", headers=[("Origin", "http://%s/" % host)])
        refused(s, 403, "two Origin headers", headers=[("Origin", "http://" + host),
                                                        ("Origin", "http://" + host)])
    finally:
        s.stop()


@test
def origin_allowlist():
    s = Server(["--origin=https://app.test,*.example.com", "--origin", "localhost:3000"] + PROG)
    try:
        for o in ("https://app.test", "https://APP.test:443", "https://a.example.com",
                  "http://x.y.example.com", "http://localhost:3000", "https://localhost:3000"):
            accepted(s, "allowed %s" % o, headers=[("Origin", o)])
        for o in ("http://app.test", "https://app.test:8443", "https://app.test.evil.net",
                  "https://example.com", "https://aexample.com", "http://localhost:3001",
                  "http://localhost", "http://127.0.0.1:%d" % s.port, "null"):
            refused(s, 403, "refused %s" % o, headers=[("Origin", o)])
        T.match(r"not in --origin \(allow it with --origin=https://example\.com\)", s.stderr(),
                "log names the --origin entry to add")
    finally:
        s.stop()
    s = Server(["--origin=*"] + PROG)
    try:
        accepted(s, "--origin=*: anything", headers=[("Origin", "https://whatever.test")])
        refused(s, 403, "--origin=*: not null", headers=[("Origin", "null")])
    finally:
        s.stop()
    s = Server(["--origin=null"] + PROG)
    try:
        accepted(s, "--origin=null: null", headers=[("Origin", "null")])
    finally:
        s.stop()


@test
def origin_require_and_sameorigin():
    s = Server(["--require-origin"] + PROG)
    try:
        refused(s, 403, "--require-origin, no Origin")
        T.match(r"drop --require-origin", s.stderr(), "log names --require-origin")
        accepted(s, "--require-origin, same-origin", headers=[("Origin", "http://127.0.0.1:%d" % s.port)])
    finally:
        s.stop()
    s = Server(["--sameorigin", "--origin=http://127.0.0.1:1"] + PROG)
    try:
        refused(s, 403, "--sameorigin + --origin: listed but cross-origin",
                headers=[("Origin", "http://127.0.0.1:1")])
    finally:
        s.stop()
    rc, out, err = run_pipes(["--require-origin"] + PROG, build_request("/", std_headers(80)))
    T.eq(rc, 3, "refusal: exit status 3")
    T.ok(out.startswith(b"HTTP/1.1 403 "), "pipes: 403", out[:80])


@test
def origin_library_clients():
    s = Server(PROG)
    try:
        for name, client in CLIENTS:
            ev = client(s.url("/"), [], headers={"Origin": "https://evil.test"})
            T.eq([e.get("status") for e in ev if e["event"] == "http"], [403], "%s: 403" % name)
        wait_until(lambda: not s.handlers(), 5)
        T.ok(not started(), "library clients: program not started")
    finally:
        s.stop()


# ------------------------------------------------------------------------------ JWT

ALICE = {"sub": "alice", "exp": "+600", "name": "Alice"}


@test
def jwt_sources_and_user_context():
    s = Server(["--jwt-key=" + SECRET, "--auth-query=token", "--auth-cookie=session"] + PROG)
    try:
        tok = sign(ALICE)
        env = accepted(s, "Bearer", headers=[("Authorization", "Bearer " + tok)])
        T.eq((env.get("REMOTE_USER"), env.get("AUTH_TYPE")), ("alice", "Bearer"), "REMOTE_USER, AUTH_TYPE")
        claims = json.loads(env.get("WS_AUTH_CLAIMS", "{}"))
        T.eq((claims.get("sub"), claims.get("name")), ("alice", "Alice"), "WS_AUTH_CLAIMS holds the claims")
        T.ok("\n" not in env.get("WS_AUTH_CLAIMS", "") and ": " not in env.get("WS_AUTH_CLAIMS", ""),
             "WS_AUTH_CLAIMS is compact JSON")
        T.ok("HTTP_AUTHORIZATION" not in env and "WS_AUTH_TOKEN" not in env, "the token is not exported")
        env = accepted(s, "query", path="/chat?a=1&token=%s&b=2" % tok)
        T.eq((env.get("REMOTE_USER"), env.get("AUTH_TYPE")), ("alice", "Bearer"), "query: user")
        T.eq((env.get("QUERY_STRING"), env.get("REQUEST_URI")), ("a=1&b=2", "/chat?a=1&b=2"),
             "query: the token is stripped from QUERY_STRING and REQUEST_URI")
        env = accepted(s, "query only", path="/chat?token=" + tok)
        T.eq((env.get("QUERY_STRING"), env.get("REQUEST_URI")), ("", "/chat"), "query only: stripped")
        env = accepted(s, "cookie", headers=[("Cookie", "theme=dark; session=%s" % tok),
                                             ("Cookie", "lang=en")])
        T.eq((env.get("REMOTE_USER"), env.get("AUTH_TYPE")), ("alice", "Cookie"), "cookie: user")
        T.eq(env.get("HTTP_COOKIE"), "theme=dark; lang=en", "cookie: the auth cookie is stripped, others kept")
        env = accepted(s, "quoted cookie", headers=[("Cookie", 'session="%s"' % tok)])
        T.eq(env.get("REMOTE_USER"), "alice", "quoted cookie value")
        # Pairs joined with ";" alone grow when re-joined with "; ": the stripped header
        # once outgrew its buffer and the original, token included, went to the program.
        env = accepted(s, "cookie among 400 short pairs",
                       headers=[("Cookie", "session=%s" % tok + ";a" * 400)])
        T.eq(env.get("HTTP_COOKIE"), "; ".join(["a"] * 400),
             "400 short pairs: the token is stripped, the other pairs kept")
        r = refused(s, 401, "no token")
        T.eq(r.header("www-authenticate"), 'Bearer realm="wsinetd"', "401 carries WWW-Authenticate")
        T.match(r"Authentication required", r.body.decode(), "body: Authentication required")
        r = refused(s, 401, "Basic, not Bearer", headers=[("Authorization", "Basic YTpi")])
        r = refused(s, 401, "garbage token", headers=[("Authorization", "Bearer abc.def.ghi")])
        T.eq(r.header("www-authenticate"), 'Bearer realm="wsinetd", error="invalid_token"',
             "invalid token: error=invalid_token")
        refused(s, 401, "two Authorization headers", headers=[("Authorization", "Bearer " + tok),
                                                              ("Authorization", "Bearer " + tok)])
        refused(s, 401, "cookie named like a prefix", headers=[("Cookie", "sessionx=%s" % tok)])
    finally:
        s.stop()
    s = Server(["--jwt-key=" + SECRET, "--auth-query=token", "--auth-pass-token"] + PROG)
    try:
        tok = sign(ALICE)
        env = accepted(s, "--auth-pass-token", path="/?token=" + tok,
                       headers=[("Authorization", "Bearer " + tok)])
        T.eq(env.get("QUERY_STRING"), "token=" + tok, "--auth-pass-token: query kept")
        T.eq(env.get("HTTP_AUTHORIZATION"), "Bearer " + tok, "--auth-pass-token: Authorization exported")
    finally:
        s.stop()


@test
def jwt_refusals():
    rsa_dir = os.path.join(D, "keys")
    os.makedirs(rsa_dir, exist_ok=True)
    jose("keygen", "RS256", rsa_dir)
    s = Server(["--jwt-key=" + SECRET, "--jwt-alg=HS256"] + PROG)
    try:
        sec = secret_bytes(SECRET)
        good_claims = '{"sub":"alice","exp":%d}' % (int(time.time()) + 600)
        cases = [
            ("expired", sign({"sub": "alice", "exp": "-10"})),
            ("not yet valid", sign({"sub": "alice", "exp": "+600", "nbf": "+300"})),
            ("no exp", sign({"sub": "alice"})),
            ("wrong key", sign(ALICE, key=OTHER_SECRET)),
            ("HS384 outside --jwt-alg=HS256", sign(ALICE, alg="HS384")),
            ("alg none", b64u(b'{"alg":"none"}') + "." + b64u(good_claims.encode()) + "."),
            ("alg none with a signature", hand_hs256('{"alg":"none"}', good_claims, sec)),
            ("duplicate alg in the header", hand_hs256('{"alg":"HS256","alg":"HS256"}', good_claims, sec)),
            ("duplicate sub in the claims",
             hand_hs256('{"alg":"HS256"}', '{"sub":"alice","sub":"root","exp":%d}' % (time.time() + 600), sec)),
            ("claims not JSON", hand_hs256('{"alg":"HS256"}', '{"sub":', sec)),
            ("padded base64", sign(ALICE) + "="),
            ("over-long token", sign(dict(ALICE, pad="x" * 9000))),
            ("JWE-like five parts", "a.b.c.d.e"),
        ]
        # control: the hand-made HMAC is right, so the refusals above are about their rule
        accepted(s, "hand-made HS256 control", headers=[("Authorization", "Bearer " +
                                                         hand_hs256('{"alg":"HS256"}', good_claims, sec))])
        for name, tok in cases:
            refused(s, 401, name, headers=[("Authorization", "Bearer " + tok)])
        T.match(r"authentication refused: JWT refused: alg none", s.stderr(), "log says why (alg none)")
        T.match(r"JWT refused: token expired", s.stderr(), "log says why (expired)")
    finally:
        s.stop()
    # algorithm confusion: an RSA public key configured, HS256 signed with its PEM bytes
    pub = os.path.join(rsa_dir, "RS256.pub")
    s = Server(["--jwt-key=" + pub] + PROG)
    try:
        with open(pub, "rb") as f:
            pem = f.read()
        conf = hand_hs256('{"alg":"HS256"}', '{"sub":"alice","exp":%d}' % (time.time() + 600), pem)
        refused(s, 401, "algorithm confusion (HS256 keyed with the public key)",
                headers=[("Authorization", "Bearer " + conf)])
        T.match(r"JWT refused: alg not in the allow-list|algorithm confusion", s.stderr(),
                "confusion logged")
        env = accepted(s, "RS256 with the public key",
                       headers=[("Authorization", "Bearer " + sign(ALICE, "RS256", os.path.join(rsa_dir, "RS256.key")))])
        T.eq(env.get("REMOTE_USER"), "alice", "RS256: REMOTE_USER")
    finally:
        s.stop()
    rc, out, err = run_pipes(["--jwt-key=" + SECRET] + PROG, build_request("/", std_headers(80)))
    T.eq(rc, 3, "401: exit status 3")
    rc, out, err = run_pipes(["--jwt-key=" + pub, "--jwt-alg=HS256"] + PROG, b"")
    T.eq(rc, 2, "--jwt-alg=HS256 with a public key: usage error")
    T.match(r"does not fit", err, "start-up names the mismatch")
    rc, out, err = run_pipes(["--jwt-key=" + os.path.join(rsa_dir, "RS256.key")] + PROG, b"")
    T.eq(rc, 2, "a private key as --jwt-key: usage error")
    rc, out, err = run_pipes(["--jwt-key=" + SECRET, "--jwt-alg=none"] + PROG, b"")
    T.eq(rc, 2, "--jwt-alg=none: usage error")


@test
def jwt_algorithms_and_claims():
    kd = os.path.join(D, "algkeys")
    os.makedirs(kd, exist_ok=True)
    for alg in ("RS512", "PS256", "ES256", "ES384", "EdDSA"):
        jose("keygen", alg, kd)
        s = Server(["--jwt-key=" + os.path.join(kd, alg + ".pub")] + PROG)
        try:
            tok = sign(ALICE, alg, os.path.join(kd, alg + ".key"))
            env = accepted(s, alg, headers=[("Authorization", "Bearer " + tok)])
            T.eq(env.get("REMOTE_USER"), "alice", "%s: REMOTE_USER" % alg)
        finally:
            s.stop()
    s = Server(["--jwt-key=" + SECRET, "--jwt-issuer=https://id.test", "--jwt-audience=ws",
                "--jwt-audience=chat", "--jwt-leeway=60"] + PROG)
    try:
        ok_claims = dict(ALICE, iss="https://id.test", aud=["other", "chat"])
        accepted(s, "iss + aud array", headers=[("Authorization", "Bearer " + sign(ok_claims))])
        accepted(s, "aud string", headers=[("Authorization", "Bearer " + sign(dict(ok_claims, aud="ws")))])
        accepted(s, "expired 10 s ago, within --jwt-leeway=60",
                 headers=[("Authorization", "Bearer " + sign(dict(ok_claims, exp="-10")))])
        refused(s, 401, "expired 120 s ago", headers=[("Authorization", "Bearer " + sign(dict(ok_claims, exp="-120")))])
        refused(s, 401, "wrong iss", headers=[("Authorization", "Bearer " + sign(dict(ok_claims, iss="https://id.test.evil")))])
        refused(s, 401, "aud not ours", headers=[("Authorization", "Bearer " + sign(dict(ok_claims, aud=["w", "wss"])))])
        refused(s, 401, "no aud", headers=[("Authorization", "Bearer " + sign(dict(ALICE, iss="https://id.test")))])
    finally:
        s.stop()


# ------------------------------------------------------------------------------ --auth-command

AUTHCMD = r'''#!/bin/sh
# test auth command: the token decides
env > "%s/authenv"
echo "auth-command-stderr-marker" >&2
case "$WS_AUTH_TOKEN" in
good) echo alice ;;
json) echo '{"sub":"bob","role":"admin"}' ;;
forbid) exit 3 ;;
slow) echo $$ > "%s/slowpid"; exec sleep 30 ;;
empty) exit 0 ;;
*) exit 1 ;;
esac
''' % (D, D)


@test
def auth_command():
    cmd = write_script(D, "authcmd.sh", AUTHCMD)
    s = Server(["--auth-command=" + cmd, "--auth-cookie=sid", "--auth-query=t", "--auth-timeout=1"] + PROG)
    try:
        env = accepted(s, "exit 0, user line", path="/?t=good&x=1")
        T.eq((env.get("REMOTE_USER"), env.get("AUTH_TYPE"), env.get("QUERY_STRING")),
             ("alice", "Bearer", "x=1"), "REMOTE_USER from the first line, token stripped")
        aenv = parse_env_lines(read_text(os.path.join(D, "authenv")).splitlines())
        T.eq((aenv.get("WS_AUTH_TOKEN"), aenv.get("QUERY_STRING"), aenv.get("REMOTE_ADDR")),
             ("good", "x=1", "127.0.0.1"), "the command sees WS_AUTH_TOKEN and the request environment")
        T.match(r"auth-command-stderr-marker", s.stderr(), "its stderr reaches our log")
        env = accepted(s, "exit 0, JSON claims", headers=[("Cookie", "a=1; sid=json")])
        T.eq((env.get("REMOTE_USER"), env.get("AUTH_TYPE"), env.get("HTTP_COOKIE")),
             ("bob", "Cookie", "a=1"), "user from claims.sub, cookie stripped")
        T.eq(json.loads(env.get("WS_AUTH_CLAIMS", "{}")).get("role"), "admin", "WS_AUTH_CLAIMS from the command")
        refused(s, 403, "exit 3: forbidden", path="/?t=forbid")
        refused(s, 401, "exit 1: refused", path="/?t=nope")
        refused(s, 401, "exit 0 without a user line", path="/?t=empty")
        authenv = os.path.join(D, "authenv")
        os.unlink(authenv)
        refused(s, 401, "no token: the command is not run", path="/")
        T.ok(not os.path.exists(authenv), "no token: the command did not run")
        t0 = time.monotonic()
        refused(s, 401, "past --auth-timeout", path="/?t=slow")
        T.ok(time.monotonic() - t0 < 6, "refused soon after the 1 s timeout")
        pid = int(read_text(os.path.join(D, "slowpid"), "0").strip() or 0)
        T.ok(pid > 0 and wait_until(lambda: not pid_alive(pid), 3), "the timed-out command was killed")
        T.match(r"timed out", s.stderr(), "timeout logged")
    finally:
        s.stop()


# ------------------------------------------------------------------------------ --auth-reject=close

@test
def reject_close_style():
    cmd = write_script(D, "authcmd2.sh", AUTHCMD)
    s = Server(["--auth-command=" + cmd, "--auth-query=t", "--auth-reject=close",
                "--protocol=chat"] + PROG)
    try:
        for query, code, reason in (("", 4001, "Authentication required"),
                                    ("?t=bad", 4001, "Invalid token"),
                                    ("?t=forbid", 4003, "Forbidden")):
            clear_marks()
            ev = node_client(s.url("/" + query), [], protocols=["chat"])
            kinds = [e["event"] for e in ev]
            closes = [(e.get("code"), e.get("reason")) for e in ev if e["event"] == "close"]
            T.ok("open" in kinds, "npm ws %r: the upgrade succeeds" % query, ev)
            T.eq(closes, [(code, reason)], "npm ws %r: Close %d %s" % (query, code, reason))
            wait_until(lambda: not s.handlers(), 5)
            T.ok(not started(), "npm ws %r: program not started" % query)
        r, env, close = attempt(s, "/?t=bad")
        T.eq((r.status, close), (101, (4001, b"Invalid token")), "raw client: 101 then Close 4001")
        T.ok(not started(), "raw client: program not started")
        env = accepted(s, "close style, good token", path="/?t=good")
        T.eq(env.get("REMOTE_USER"), "alice", "close style: accepted user")
    finally:
        s.stop()
    rc, out, err = run_pipes(["--auth-command=" + cmd, "--auth-reject=close"] + PROG,
                             build_request("/", std_headers(80)))
    T.eq(rc, 3, "close style: exit status 3")
    T.ok(out.startswith(b"HTTP/1.1 101 ") and b"\x88\x19\x0f\xa1Authentication required" in out,
         "pipes: 101 then the Close frame", out[-60:])


# ------------------------------------------------------------------------------ seed examples

@test
def seed_example_jwt_msgpack():
    ex = os.path.join(REPO, "scripts", "greet-user.py")
    s = Server(["--json", "--protocol=msgpack,json", "--origin=http://localhost:8080",
                "--jwt-key=" + SECRET, "--auth-query=token", ex])
    try:
        tok = sign({"sub": "alice", "exp": "+600"})
        url = s.url("/?token=" + tok)
        hdr = {"Origin": "http://localhost:8080"}
        for name, client in CLIENTS:
            ev = client(url, [{"wait": 1}, {"close": 1000}], protocols=["json", "msgpack"], headers=hdr)
            opened = [e.get("protocol") for e in ev if e["event"] == "open"]
            msgs = [e for e in ev if e["event"] == "message"]
            T.eq(opened, ["msgpack"], "%s: msgpack preferred" % name)
            want = b"\x82\xa5hello\xa5alice\xa8protocol\xa7msgpack"
            T.eq([(m["type"], base64.b64decode(m["data"])) for m in msgs[:1]], [("binary", want)],
                 "%s: msgpack greeting for alice" % name)
            ev = client(url, [{"wait": 1}, {"close": 1000}], protocols=["json"], headers=hdr)
            msgs = [e for e in ev if e["event"] == "message"]
            T.eq([(m["type"], json.loads(m["data"])) for m in msgs[:1]],
                 [("text", {"hello": "alice", "protocol": "json"})], "%s: JSON greeting" % name)
        ev = node_client(url, [], protocols=["json"], headers={"Origin": "https://evil.test"})
        T.eq([e.get("status") for e in ev if e["event"] == "http"], [403], "example: cross-origin 403")
        ev = node_client(s.url("/"), [], protocols=["json"], headers=hdr)
        T.eq([e.get("status") for e in ev if e["event"] == "http"], [401], "example: no token 401")
    finally:
        s.stop()


@test
def seed_example_cookie_session():
    check = os.path.join(REPO, "scripts", "session-check.sh")
    sessions = os.path.join(D, "sessions")
    with open(sessions, "w") as f:
        f.write("# token user [role]\nf3a9c2d1e8b7 alice\n0b1c2d3e4f5a mallory banned\n")
    s = Server(["--auth-command=" + check, "--auth-cookie=sid", "--passenv=PATH,WSINETD_SESSIONS",
                os.path.join(REPO, "scripts", "whoami.sh")], env={"WSINETD_SESSIONS": sessions})
    try:
        ev = node_client(s.url("/"), [{"wait": 1}, {"close": 1000}], headers={"Cookie": "sid=f3a9c2d1e8b7"})
        T.eq([e.get("data") for e in ev if e["event"] == "message"][:1], ["Hello, alice!"],
             "cookie session: greeted by name")
        ev = node_client(s.url("/"), [], headers={"Cookie": "sid=0b1c2d3e4f5a"})
        T.eq([e.get("status") for e in ev if e["event"] == "http"], [403], "banned session: 403")
        ev = node_client(s.url("/"), [], headers={"Cookie": "sid=nosuchsession"})
        T.eq([e.get("status") for e in ev if e["event"] == "http"], [401], "unknown session: 401")
        ev = node_client(s.url("/"), [], headers={"Cookie": "sid=f3a9c2d1e8b7' alice"})
        T.eq([e.get("status") for e in ev if e["event"] == "http"], [401], "odd characters: 401")
    finally:
        s.stop()


if __name__ == "__main__":
    sys.exit(main())
