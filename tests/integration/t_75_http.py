#!/usr/bin/python3
"""Plain HTTP on the WebSocket port, with raw requests: --staticdir (types, index.html,
301, 304, 404/405/400, no traversal, no symlink escape), --devconsole (served for an
endpoint, never starts the program), --dir routing (SCRIPT_NAME/PATH_INFO, 404), --cgidir
(RFC 3875: GET/POST, body limit, Status/Location), option checks, 426 without options."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import *  # noqa

D = tmpdir()
ROOT = os.path.join(D, "root")           # everything the servers may serve is below it
STATIC = os.path.join(ROOT, "static")
CGI = os.path.join(ROOT, "cgi")
WSDIR = os.path.join(ROOT, "ws")
MARK = os.path.join(D, "marks")          # a program that starts leaves a file here
for d in (STATIC, CGI, WSDIR, MARK, os.path.join(STATIC, "sub"), os.path.join(STATIC, "bare")):
    os.makedirs(d, exist_ok=True)


def put(path, data, mode=0o644):
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(path, mode)
    return path


put(os.path.join(STATIC, "a.txt"), "hello static\n")
put(os.path.join(STATIC, "page.html"), "<p>hi</p>\n")
put(os.path.join(STATIC, "s.css"), "p{}\n")
put(os.path.join(STATIC, "app.js"), "1;\n")
put(os.path.join(STATIC, "d.json"), "{}\n")
put(os.path.join(STATIC, "img.png"), b"\x89PNG\r\n\x1a\n")
put(os.path.join(STATIC, "noext"), "x\n")
put(os.path.join(STATIC, "sub", "index.html"), "<h1>sub index</h1>\n")
put(os.path.join(STATIC, "sp ace.txt"), "space\n")
put(os.path.join(D, "secret.txt"), "SECRET\n")            # outside the static dir
os.symlink("a.txt", os.path.join(STATIC, "inside-link.txt"))           # stays inside
os.symlink(os.path.join(D, "secret.txt"), os.path.join(STATIC, "abs-out"))
os.symlink("../../secret.txt", os.path.join(STATIC, "rel-out"))
os.symlink(D, os.path.join(STATIC, "dir-out"))
os.mkfifo(os.path.join(STATIC, "fifo"))
os.mkdir(os.path.join(STATIC, "evil.com"))  # "//evil.com" must not redirect off-site
OLD = 1000000000  # 2001-09-09
os.utime(os.path.join(STATIC, "a.txt"), (OLD, OLD))

PROG = write_script(D, "prog.sh", '#!/bin/sh\ntouch "%s/$$"\nexec cat\n' % MARK)
write_script(WSDIR, "env.sh", '#!/bin/sh\ntouch "%s/$$"\nenv\n' % MARK)
write_script(WSDIR, "echo.sh", '#!/bin/sh\nexec cat\n')
put(os.path.join(WSDIR, "noexec.sh"), "#!/bin/sh\necho no\n", 0o644)
os.makedirs(os.path.join(WSDIR, "folder"), exist_ok=True)
write_script(WSDIR, ".hidden", "#!/bin/sh\necho hidden\n")
os.symlink("/bin/cat", os.path.join(WSDIR, "cat-out"))
os.symlink("echo.sh", os.path.join(WSDIR, "echo-link"))

write_script(CGI, "env.cgi", '#!/bin/sh\ntouch "%s/$$"\nprintf "Content-Type: text/plain\\r\\nX-Script: yes\\r\\n\\r\\n"\n'
             'env\necho BODY-START\ncat\n' % MARK)
write_script(CGI, "status.cgi", '#!/bin/sh\nprintf "Status: 418 Short And Stout\\nContent-Type: text/plain\\n\\nteapot\\n"\n')
write_script(CGI, "redirect.cgi", '#!/bin/sh\nprintf "Location: /elsewhere?x=1\\n\\n"\n')
write_script(CGI, "garbage.cgi", '#!/bin/sh\necho "this is not a header block"\necho\n')
write_script(CGI, "silent.cgi", '#!/bin/sh\nexit 3\n')
write_script(CGI, "noexec.cgi", '#!/nonexistent/interpreter\n')
write_script(CGI, "hop.cgi", '#!/bin/sh\nprintf "Content-Type: text/plain\\nConnection: keep-alive\\nTransfer-Encoding: chunked\\n\\nok\\n"\n')
write_script(CGI, "hugehead.cgi", '#!/bin/sh\nprintf "X-Long: %020000d\\n\\nbody\\n" 0\n')
write_script(CGI, "oneshot.cgi", '#!/usr/bin/python3\nimport sys\nsys.stdout.buffer.write(b"Content-Type: text/plain\\n\\n" + b"y" * 50000)\n')
write_script(CGI, "big.cgi", '#!/bin/sh\nprintf "Content-Type: application/octet-stream\\n\\n"\nhead -c 300000 /dev/zero\n')


def markers():
    return sorted(os.listdir(MARK))


def clear_markers():
    for f in os.listdir(MARK):
        os.unlink(os.path.join(MARK, f))


def req(port, path="/", method="GET", headers=(), body=b"", version="HTTP/1.1", host=True):
    h = ([("Host", "127.0.0.1:%d" % port)] if host else []) + list(headers)
    raw = build_request(path, h, method=method, version=version) + body
    c = RawClient(port)
    try:
        return c.request(raw, 10)
    finally:
        c.close()


def settle(srv):
    return wait_until(lambda: not srv.handlers(), 5.0)


def one_line(r):
    b = r.body.decode("utf-8", "replace")
    return b.endswith("\n") and b.count("\n") == 1 and b.strip() != ""


def refused(srv, path, status, what, method="GET", headers=()):
    r = req(srv.port, path, method, headers)
    T.eq(r.status, status, "%s: %d" % (what, status))
    T.ok(one_line(r), "%s: one-line body" % what, repr(r.body[:200]))
    T.ok(b"SECRET" not in r.body, "%s: nothing from outside the folder" % what)
    return r


# ----------------------------------------------------------------------------- static

@test
def static_files():
    s = Server(["--staticdir=" + STATIC, PROG], mode="listen")
    try:
        clear_markers()
        r = req(s.port, "/a.txt")
        T.eq((r.status, r.body), (200, b"hello static\n"), "GET /a.txt")
        T.eq(r.header("content-type"), "text/plain; charset=utf-8", "text/plain by extension")
        T.eq(r.header("content-length"), "13", "Content-Length")
        T.eq(r.header("last-modified"), "Sun, 09 Sep 2001 01:46:40 GMT", "Last-Modified from mtime")
        T.ok("close" in (r.header("connection") or ""), "Connection: close")
        for path, ctype in (("/page.html", "text/html; charset=utf-8"), ("/s.css", "text/css; charset=utf-8"),
                            ("/app.js", "text/javascript; charset=utf-8"), ("/d.json", "application/json"),
                            ("/img.png", "image/png"), ("/noext", "application/octet-stream")):
            T.eq(req(s.port, path).header("content-type"), ctype, "%s: %s" % (path, ctype))
        r = req(s.port, "/a.txt", "HEAD")
        T.eq((r.status, r.header("content-length"), r.body), (200, "13", b""), "HEAD: headers, no body")
        r = req(s.port, "/sp%20ace.txt")
        T.eq((r.status, r.body), (200, b"space\n"), "percent-decoded name")
        r = req(s.port, "/sub")
        T.eq((r.status, r.header("location")), (301, "./sub/"), "folder without '/': 301 to ./sub/")
        r = req(s.port, "/sub?x=1")
        T.eq(r.header("location"), "./sub/?x=1", "301 keeps the query")
        r = req(s.port, "//evil.com")
        T.eq((r.status, r.header("location")), (301, "./evil.com/"),
             "//evil.com (a folder here): relative redirect, never to another host")
        r = req(s.port, "/sub/")
        T.eq((r.status, r.body), (200, b"<h1>sub index</h1>\n"), "folder: index.html")
        T.eq(r.header("content-type"), "text/html; charset=utf-8", "index.html is text/html")
        r = req(s.port, "//sub//./index.html")
        T.eq(r.status, 200, "'//' and '/./' normalised")
        r = req(s.port, "/inside-link.txt")
        T.eq((r.status, r.body), (200, b"hello static\n"), "a symlink staying inside is followed")
        refused(s, "/bare/", 404, "folder without index.html (no listings)")
        refused(s, "/missing.txt", 404, "missing file")
        refused(s, "/a.txt/", 404, "a file with a trailing '/'")
        refused(s, "/fifo", 404, "a FIFO is not served (and does not block)")
        r = refused(s, "/a.txt", 405, "POST", method="POST")
        T.eq(r.header("allow"), "GET, HEAD", "405 names GET, HEAD")
        refused(s, "/a.txt", 405, "DELETE", method="DELETE")
        # If-Modified-Since
        r = req(s.port, "/a.txt", headers=[("If-Modified-Since", "Sun, 09 Sep 2001 01:46:40 GMT")])
        T.eq((r.status, r.body), (304, b""), "If-Modified-Since = mtime: 304, no body")
        T.eq(r.header("last-modified"), "Sun, 09 Sep 2001 01:46:40 GMT", "304 carries Last-Modified")
        r = req(s.port, "/a.txt", headers=[("If-Modified-Since", "Sunday, 09-Sep-01 01:46:40 GMT")])
        T.eq(r.status, 304, "RFC 850 date understood")
        r = req(s.port, "/a.txt", headers=[("If-Modified-Since", "Sun Sep  9 01:46:40 2001")])
        T.eq(r.status, 304, "asctime date understood")
        r = req(s.port, "/a.txt", headers=[("If-Modified-Since", "Sat, 08 Sep 2001 01:46:40 GMT")])
        T.eq(r.status, 200, "older If-Modified-Since: 200")
        r = req(s.port, "/a.txt", headers=[("If-Modified-Since", "not a date")])
        T.eq(r.status, 200, "invalid If-Modified-Since ignored: 200")
        r = req(s.port, "/a.txt", version="HTTP/1.0", host=False)
        T.eq(r.status, 200, "HTTP/1.0 without Host: served")
        settle(s)
        T.eq(markers(), [], "serving files never started the program")
    finally:
        s.stop()


@test
def static_traversal():
    s = Server(["--staticdir=" + STATIC, PROG], mode="listen")
    try:
        for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/.%2e/secret.txt",
                     "/sub/../../secret.txt", "/sub/%2e%2e/%2e%2e/secret.txt", "/..%2fsecret.txt",
                     "/sub%2f..%2f..%2fsecret.txt", "/a.txt%00", "/a.txt%00.html", "/a%0a.txt",
                     "/a.txt%", "/a.txt%4"):
            refused(s, path, 400, "refused %s" % path)
        for path in ("/abs-out", "/rel-out", "/dir-out/secret.txt", "/dir-out/"):
            refused(s, path, 404, "symlink out %s" % path)
        # request-targets that are not a path
        c = RawClient(s.port)
        try:
            r = c.request(b"GET http://127.0.0.1/a.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            T.eq(r.status, 400, "absolute-form target: 400")
        finally:
            c.close()
        c = RawClient(s.port)
        try:
            r = c.request(b"OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            T.eq(r.status, 400, "asterisk-form target: 400")
        finally:
            c.close()
        T.ok("SECRET" not in s.stderr(), "nothing secret in the log")
    finally:
        s.stop()


@test
def static_under_socket_activation():
    for mode in ("inetd", "fd"):
        s = Server(["--staticdir=" + STATIC, PROG], mode=mode)
        try:
            def codes(n):
                wait_until(lambda: len(ssa_exit_codes(s.stderr())) >= n, 5.0)
                return [c for _, c in ssa_exit_codes(s.stderr())]
            r = req(s.port, "/sub/")
            T.eq((r.status, r.body), (200, b"<h1>sub index</h1>\n"), "%s: static file served" % mode)
            T.eq(codes(1), [0], "%s: exit status 0 for a served file" % mode)
            req(s.port, "/missing")
            T.eq(codes(2), [0, 3], "%s: exit status 3 for a 404" % mode)
        finally:
            s.stop()


# ----------------------------------------------------------------------------- 426

@test
def no_options_426():
    s = Server([PROG], mode="listen")
    try:
        clear_markers()
        r = req(s.port, "/")
        T.eq(r.status, 426, "no plain HTTP option: 426")
        T.ok(one_line(r) and b"WebSocket" in r.body, "one line saying how to connect", r.body)
        T.eq(r.header("upgrade"), "websocket", "426 carries Upgrade: websocket")
        settle(s)
        T.eq(markers(), [], "program not started")
    finally:
        s.stop()


# ----------------------------------------------------------------------------- dev console

@test
def devconsole():
    s = Server(["--devconsole", "--protocol=chat.v2,chat.v1", "--header-http=X-Plain: 1", PROG],
               mode="listen")
    try:
        clear_markers()
        for path in ("/", "/any/path?x=1"):
            r = req(s.port, path)
            T.eq(r.status, 200, "GET %s: the console" % path)
            T.eq(r.header("content-type"), "text/html; charset=utf-8", "%s: text/html" % path)
            body = r.body.decode()
            T.ok("wsinetd" in body and "dev console" in body and "new WebSocket(" in body,
                 "%s: the console page" % path)
        T.eq(int(r.header("content-length")), len(r.body), "Content-Length matches")
        T.match(r"content=\"chat\.v2, chat\.v1\"", body, "the page knows --protocol")
        T.ok(not re.search(r"(?i)(src|href)\s*=\s*[\"']?(https?:|//)", body) and "@import" not in body,
             "no external references in the page")
        csp = r.header("content-security-policy") or ""
        T.ok("default-src 'none'" in csp and "connect-src 'self'" in csp, "a strict CSP", csp)
        T.eq(r.header("x-plain"), "1", "--header-http applies")
        r = req(s.port, "/", "HEAD")
        T.eq((r.status, r.body), (200, b""), "HEAD: no body")
        r = refused(s, "/", 405, "POST to the console", method="POST")
        settle(s)
        T.eq(markers(), [], "serving the console never started the program")
        # the endpoint still works as a WebSocket
        c = RawClient(s.port)
        try:
            r = c.handshake("/", protocols="chat.v1")
            T.eq((r.status, r.header("sec-websocket-protocol")), (101, "chat.v1"), "upgrade still 101")
            c.send_text("x")
            T.eq(c.recv_message(5), (OP_TEXT, b"x"), "and relays")
        finally:
            c.close()
    finally:
        s.stop()


# ----------------------------------------------------------------------------- --dir

def ws_env(port, path):
    c = RawClient(port)
    try:
        r = c.handshake(path)
        if r.status != 101:
            return r.status, {}
        msgs, code, _ = c.recv_until_close(10)
        return 101, parse_env_lines([p.decode() for _, p in msgs])
    finally:
        c.close()


@test
def dir_routing():
    s = Server(["--dir=" + WSDIR], mode="listen")
    try:
        st, env = ws_env(s.port, "/env.sh/extra/p%20q?x=1")
        T.eq(st, 101, "/env.sh/extra: 101")
        T.eq(env.get("SCRIPT_NAME"), "/env.sh", "SCRIPT_NAME=/env.sh")
        T.eq(env.get("PATH_INFO"), "/extra/p q", "PATH_INFO=/extra/p q (decoded)")
        T.eq(env.get("QUERY_STRING"), "x=1", "QUERY_STRING")
        st, env = ws_env(s.port, "/env.sh")
        T.eq((st, env.get("PATH_INFO")), (101, ""), "/env.sh: empty PATH_INFO")
        c = RawClient(s.port)
        try:
            T.eq(c.handshake("/echo-link").status, 101, "a symlink inside DIR to a script in it")
            c.send_text("via link")
            T.eq(c.recv_message(5), (OP_TEXT, b"via link"), "relays")
        finally:
            c.close()
        clear_markers()
        for path, what in (("/", "no name"), ("/missing", "no such file"), ("/noexec.sh", "not executable"),
                           ("/folder", "a folder"), ("/.hidden", "a hidden name"),
                           ("/cat-out", "a symlink leading out")):
            c = RawClient(s.port)
            try:
                r = c.handshake(path)
                T.eq(r.status, 404, "upgrade to %s (%s): 404" % (path, what))
            finally:
                c.close()
        c = RawClient(s.port)
        try:
            T.eq(c.handshake("/%2e%2e/prog.sh").status, 400, "upgrade to /%2e%2e/...: 400")
        finally:
            c.close()
        # plain GET: 426 for an endpoint, 404 for anything else
        T.eq(req(s.port, "/env.sh").status, 426, "plain GET of an endpoint: 426")
        refused(s, "/missing", 404, "plain GET of no endpoint")
        settle(s)
        T.eq(markers(), [], "no script started for a refused request")
    finally:
        s.stop()


@test
def dir_with_devconsole_and_staticdir():
    s = Server(["--dir=" + WSDIR, "--devconsole"], mode="listen")
    try:
        clear_markers()
        r = req(s.port, "/env.sh")
        T.ok(r.status == 200 and b"dev console" in r.body, "--dir + --devconsole: console at /env.sh")
        refused(s, "/nope", 404, "--dir + --devconsole: no console for a non-endpoint")
        settle(s)
        T.eq(markers(), [], "the console did not start the script")
    finally:
        s.stop()
    s = Server(["--dir=" + WSDIR, "--staticdir=" + STATIC], mode="listen")
    try:
        T.eq(req(s.port, "/a.txt").body, b"hello static\n", "--dir + --staticdir: files for plain GET")
        st, env = ws_env(s.port, "/env.sh")
        T.eq((st, env.get("SCRIPT_NAME")), (101, "/env.sh"), "--dir + --staticdir: scripts for upgrades")
    finally:
        s.stop()


@test
def option_checks():
    for args, what in ((["--dir=" + WSDIR, "cat"], "--dir with a PROGRAM"),
                       ([], "neither --dir nor PROGRAM"),
                       (["--devconsole", "--staticdir=" + STATIC, "cat"], "--devconsole with --staticdir"),
                       (["--devconsole", "--cgidir=" + CGI, "cat"], "--devconsole with --cgidir"),
                       (["--staticdir=" + os.path.join(D, "nope"), "cat"], "--staticdir not a folder"),
                       (["--dir=" + PROG], "--dir not a folder"),
                       (["--max-cgi-body=2G", "--cgidir=" + CGI, "cat"], "--max-cgi-body over its cap")):
        rc, out, err = run_pipes(args, b"", 10)
        T.eq(rc, 2, "%s: exit 2" % what)
        T.eq(len(err.strip().splitlines()), 1, "%s: one line on stderr" % what)


# ----------------------------------------------------------------------------- CGI

@test
def cgi():
    s = Server(["--cgidir=" + CGI, "--staticdir=" + STATIC, "--max-cgi-body=1K", PROG], mode="listen")
    try:
        r = req(s.port, "/env.cgi/extra/p%20q?a=1&b=2", headers=[("X-Thing", "yes"), ("Cookie", "c=1")])
        T.eq(r.status, 200, "GET /env.cgi/extra: 200")
        T.eq(r.header("x-script"), "yes", "the script's header passed on")
        T.eq(r.header("content-type"), "text/plain", "its Content-Type")
        head, _, rest = r.body.decode().partition("BODY-START\n")
        env = parse_env_lines(head.splitlines())
        for k, v in (("GATEWAY_INTERFACE", "CGI/1.1"), ("REQUEST_METHOD", "GET"), ("SCRIPT_NAME", "/env.cgi"),
                     ("PATH_INFO", "/extra/p q"), ("QUERY_STRING", "a=1&b=2"), ("SERVER_PROTOCOL", "HTTP/1.1"),
                     ("HTTP_X_THING", "yes"), ("REMOTE_ADDR", "127.0.0.1"), ("SERVER_PORT", str(s.port)),
                     ("SCRIPT_FILENAME", os.path.join(CGI, "env.cgi")), ("CONTENT_LENGTH", "")):
            T.eq(env.get(k), v, "CGI env %s" % k)
        T.ok("WS_PROTOCOL" not in env, "no WebSocket variables for CGI")
        T.ok(not any(k.startswith("HTTP_AUTHORIZATION") for k in env), "no Authorization")
        r = req(s.port, "/env.cgi", "POST", [("Content-Type", "text/plain"), ("Content-Length", "11")],
                b"hello world")
        head, _, rest = r.body.decode().partition("BODY-START\n")
        env = parse_env_lines(head.splitlines())
        T.eq((env.get("REQUEST_METHOD"), env.get("CONTENT_LENGTH"), env.get("CONTENT_TYPE")),
             ("POST", "11", "text/plain"), "POST: method, CONTENT_LENGTH, CONTENT_TYPE")
        T.eq(rest, "hello world", "POST body on the script's stdin")
        # the body in a later write, after 100-continue
        c = RawClient(s.port)
        try:
            c.send(build_request("/env.cgi", [("Host", "x"), ("Content-Length", "5"), ("Expect", "100-continue")],
                                 method="POST"))
            r1 = c.read_head(5)
            T.eq(r1.status, 100, "Expect: 100-continue answered with 100")
            c.send(b"later")
            r2 = c.read_head(5)
            body, _ = c.read_until_eof(5)
            T.eq(r2.status, 200, "then the answer")
            T.ok(body.endswith(b"BODY-START\nlater"), "body sent after the 100 reached the script", body[-40:])
        finally:
            c.close()
        clear_markers()
        r = req(s.port, "/env.cgi", "POST", [("Content-Length", "2000")], b"x" * 2000)
        T.eq(r.status, 413, "body over --max-cgi-body: 413")
        r = req(s.port, "/env.cgi", "POST", [("Transfer-Encoding", "chunked")], b"0\r\n\r\n")
        T.eq(r.status, 411, "chunked body: 411")
        r = req(s.port, "/env.cgi", "POST", [("Content-Length", "abc")])
        T.eq(r.status, 400, "bad Content-Length: 400")
        r = req(s.port, "/env.cgi", "PUT", [("Content-Length", "0")])
        T.eq((r.status, r.header("allow")), (405, "GET, HEAD, POST"), "PUT: 405")
        settle(s)
        T.eq(markers(), [], "refused requests never started the script")
        r = req(s.port, "/status.cgi")
        T.eq((r.status, r.reason, r.body), (418, "Short And Stout", b"teapot\n"), "Status: from the script")
        r = req(s.port, "/redirect.cgi")
        T.eq((r.status, r.header("location")), (302, "/elsewhere?x=1"), "Location without Status: 302")
        r = req(s.port, "/garbage.cgi")
        T.eq(r.status, 502, "no header block: 502")
        r = req(s.port, "/silent.cgi")
        T.eq(r.status, 502, "no output at all: 502")
        refused(s, "/noexec.cgi", 500, "a script that cannot be exec'd (no interpreter)")
        r = req(s.port, "/hop.cgi")
        T.ok(r.status == 200 and r.header("transfer-encoding") is None and
             r.header("connection") == "close", "hop-by-hop fields of the script dropped", r)
        r = req(s.port, "/big.cgi")
        T.eq((r.status, len(r.body)), (200, 300000), "a large answer streams whole")
        r = req(s.port, "/hugehead.cgi")
        T.eq(r.status, 502, "a header block over 16 KiB: 502")
        r = req(s.port, "/oneshot.cgi")
        T.eq((r.status, r.body), (200, b"y" * 50000), "header block and body in one write")
        r = req(s.port, "/env.cgi", "HEAD")
        T.eq((r.status, r.body), (200, b""), "HEAD: no body")
        refused(s, "/%2e%2e/prog.sh", 400, "CGI traversal")
        T.eq(req(s.port, "/a.txt").body, b"hello static\n", "not a script: the static file")
        refused(s, "/nothing", 404, "neither script nor file")
        settle(s)
    finally:
        s.stop()
    s = Server(["--cgidir=" + CGI, PROG], mode="listen")
    try:
        refused(s, "/a.txt", 404, "--cgidir alone: 404 for a non-script")
    finally:
        s.stop()


@test
def cgi_environment_limits():
    # The script's environment has the same limits as a WebSocket program's (256
    # entries, 64 KiB): past them 431 and the script does not start.
    s = Server(["--cgidir=" + CGI, "--max-request=1M", "--max-headers=1000", PROG], mode="listen")
    try:
        before = set(os.listdir(MARK))
        refused(s, "/env.cgi", 431, "CGI, 300 headers (more than 256 variables)",
                headers=[("X-E%d" % i, "v") for i in range(300)])
        refused(s, "/env.cgi", 431, "CGI, 70 KiB in one header (more than 64 KiB)",
                headers=[("X-Big", "b" * (70 * 1024))])
        T.eq(set(os.listdir(MARK)) - before, set(), "the script did not start for either")
        T.eq(req(s.port, "/env.cgi", headers=[("X-E%d" % i, "v" * 100) for i in range(200)]).status,
             200, "200 headers of 100 bytes are served")
        settle(s)
    finally:
        s.stop()


if __name__ == "__main__":
    sys.exit(main())
