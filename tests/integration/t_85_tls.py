#!/usr/bin/python3
"""TLS (--ssl): wss:// through every way in, with certificates made here by the openssl
command line (a test CA, a server certificate, client certificates, expired ones).

Clients: Python's ssl module (raw frames, and python3-websockets), npm ws (tests/node/
wss.js, trusting only the test CA), `openssl s_client` for protocol versions, ALPN and
resumption across handler processes (-sess_out/-sess_in), and TLS over plain pipes
through ssl.MemoryBIO. Start-up errors (no certificate, wrong key...) must be one line
and exit 2 before any socket I/O."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wslib  # noqa
from wslib import *  # noqa
import asyncio
import hashlib
import ssl

NODE_WSS = os.path.join(REPO, "tests", "node", "wss.js")
ENVPROG = ["/bin/sh", "-c",
           'echo "$HTTPS|$REQUEST_SCHEME|$SERVER_NAME|$SSL_TLS_SNI|$SSL_PROTOCOL|'
           '$SSL_CLIENT_VERIFY|$SSL_CLIENT_S_DN|$SSL_SESSION_RESUMED"; exec cat']
MODES = ("inetd", "fd", "listen", "listenfd")
PKI = {}


# ----------------------------------------------------------------------------- certificates

def _openssl(*args):
    p = subprocess.run(["openssl"] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    if p.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (" ".join(args), p.stdout.decode()[-500:]))


def _leaf(d, name, cn, ca, days="30", ext="", key_of=None):
    key = os.path.join(d, name + ".key")
    if key_of is None:
        _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-out", key)
    else:
        key = key_of
    csr = os.path.join(d, name + ".csr")
    _openssl("req", "-new", "-key", key, "-out", csr, "-subj", cn)
    extf = os.path.join(d, name + ".ext")
    with open(extf, "w") as f:
        f.write(ext)
    pem = os.path.join(d, name + ".pem")
    _openssl("x509", "-req", "-in", csr, "-CA", ca + ".pem", "-CAkey", ca + ".key",
             "-CAcreateserial", "-out", pem, "-days", days, "-extfile", extf)
    return pem, key


def make_pki():
    d = tmpdir()
    for ca, cn in (("ca", "/CN=wsinetd test CA"), ("rogue", "/CN=rogue CA")):
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-keyout", os.path.join(d, ca + ".key"), "-out",
                 os.path.join(d, ca + ".pem"), "-days", "30", "-subj", cn)
    ca, rogue = os.path.join(d, "ca"), os.path.join(d, "rogue")
    srv_ext = "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
    cli_ext = "extendedKeyUsage=clientAuth\n"
    PKI["dir"] = d
    PKI["ca"] = ca + ".pem"
    PKI["srv"] = _leaf(d, "srv", "/CN=localhost", ca, ext=srv_ext)
    PKI["expired"] = _leaf(d, "expired", "/CN=localhost", ca, days="-1", ext=srv_ext)
    PKI["alice"] = _leaf(d, "alice", "/O=wsinetd tests/CN=alice", ca, ext=cli_ext)
    PKI["mallory"] = _leaf(d, "mallory", "/CN=mallory", rogue, ext=cli_ext)
    PKI["old"] = _leaf(d, "old", "/CN=old", ca, days="-1", ext=cli_ext)
    enc = os.path.join(d, "enc.key")
    _openssl("pkey", "-in", PKI["srv"][1], "-aes256", "-passout", "pass:secret", "-out", enc)
    PKI["enc"] = enc
    PKI["garbage"] = write_script(d, "garbage.pem", "not a certificate\n", 0o644)


def ssl_args(cert="srv", extra=()):
    pem, key = PKI[cert]
    return ["--ssl", "--sslcert=" + pem, "--sslkey=" + key] + list(extra)


def client_ctx(cert=None, maxv=None):
    ctx = ssl.create_default_context(cafile=PKI["ca"])
    if cert:
        ctx.load_cert_chain(*PKI[cert])
    if maxv:
        ctx.maximum_version = maxv
    return ctx


# ----------------------------------------------------------------------------- clients

class TLSClient(RawClient):
    """RawClient over TLS: raw frames and requests through Python's ssl module."""

    def __init__(self, port, ctx=None, sni="localhost", timeout=5.0, session=None):
        RawClient.__init__(self, port, timeout=timeout)
        self.sock = (ctx or client_ctx()).wrap_socket(self.sock, server_hostname=sni,
                                                      session=session)

    def _recv_some(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            if not self.sock.pending():
                left = deadline - time.monotonic()
                r, _, _ = select.select([self.sock], [], [], max(0.0, left))
                if not r:
                    return None
            try:
                return self.sock.recv(65536)
            except ssl.SSLWantReadError:
                if time.monotonic() >= deadline:
                    return None
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError, ConnectionResetError,
                    BrokenPipeError):
                return b""
            except ssl.SSLError as e:
                self.ssl_error = str(e)
                return b""


class PipeTLS(wslib._Conn):
    """wsinetd with plain pipes as stdin/stdout, TLS spoken over them (ssl.MemoryBIO)."""

    def __init__(self, args, ctx=None, env=None):
        super().__init__()
        self.pc = spawn_pipes(args, kind="pipes", env=env)
        self.inc, self.outg = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = (ctx or client_ctx()).wrap_bio(self.inc, self.outg,
                                                  server_hostname="localhost")
        deadline = time.monotonic() + 5
        while True:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                if not self._feed(deadline):
                    raise Closed("EOF in the handshake")
        self._flush()

    def _flush(self):
        data = self.outg.read()
        if data:
            self.pc._send_all(data)

    def _feed(self, deadline):
        d = self.pc._recv_some(max(0.0, deadline - time.monotonic()))
        if d is None:
            raise TimeoutErr("timeout")
        if not d:
            self.inc.write_eof()
            return False
        self.inc.write(d)
        return True

    def _recv_some(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.obj.read(65536)
            except ssl.SSLWantReadError:
                self._flush()
                try:
                    if not self._feed(deadline):
                        return b""
                except TimeoutErr:
                    return None
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return b""

    def _send_all(self, data):
        self.obj.write(data)
        self._flush()

    send = _send_all

    def handshake(self, path="/"):
        self._send_all(build_request(path, std_headers(443)))
        r = self.read_head(5)
        if r.status != 101:
            r.body, r.eof = self.read_until_eof(5)
        return r


def s_client(port, *args, stdin=b"", timeout=15):
    cmd = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-servername",
           "localhost", "-CAfile", PKI["ca"]] + list(args)
    try:
        p = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, start_new_session=True)
    except subprocess.TimeoutExpired:
        return None, "timeout"
    return p.returncode, p.stdout.decode(errors="replace")


PLAIN_GET = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"


def session_run(port, sess_file, *args, reuse=False):
    """One TLS connection that asks for plain HTTP (426 back) and keeps the session (in
    TLS 1.3 the tickets follow the handshake: -ign_eof reads until the server closes)."""
    flag = "-sess_in" if reuse else "-sess_out"
    extra = ["-sess_in", sess_file, "-sess_out", sess_file + ".2"] if reuse else [flag, sess_file]
    return s_client(port, "-ign_eof", *(extra + list(args)), stdin=PLAIN_GET)


def node_wss(url, message="hello", env=None):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.Popen(["node", NODE_WSS, url, PKI["ca"], message], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=e, cwd=os.path.dirname(NODE_WSS),
                         start_new_session=True)
    wslib._started.append(p)
    try:
        out, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        kill_pid(p.pid)
        out, err = p.communicate()
    ev = []
    for ln in out.decode(errors="replace").splitlines():
        try:
            ev.append(json.loads(ln))
        except ValueError:
            ev.append({"event": "junk", "line": ln})
    if not ev:
        ev.append({"event": "error", "message": err.decode(errors="replace")[-400:]})
    return ev


def wss_url(s, path="/"):
    return "wss://localhost:%d%s" % (s.port, path)


def env_line(c, path="/e"):
    r = c.handshake(path)
    if r.status != 101:
        return r
    m = c.recv_message(5)
    return m[1].decode().split("|") if m[0] == OP_TEXT else m


def log_pids(text, pattern):
    return sorted({int(p) for p in re.findall(r"wsinetd\[(\d+)\]: [^\n]*" + pattern, text)})


# ----------------------------------------------------------------------------- tests

@test
def startup_errors_exit_2():
    d = PKI["dir"]
    short = write_script(d, "short.keys", "x" * 79, 0o600)
    cases = [
        (["--ssl", "cat"], r"--ssl needs --sslcert=FILE and --sslkey=FILE"),
        (["--sslcert=" + PKI["srv"][0], "cat"], r"need --ssl"),
        (["--ssl", "--sslcert=" + d + "/nope.pem", "--sslkey=" + PKI["srv"][1], "cat"],
         r"--sslcert=\S+/nope.pem: cannot read it: No such file"),
        (["--ssl", "--sslcert=" + PKI["garbage"], "--sslkey=" + PKI["srv"][1], "cat"],
         r"no PEM certificate"),
        (["--ssl", "--sslcert=" + PKI["srv"][0], "--sslkey=" + PKI["garbage"], "cat"],
         r"no PEM private key"),
        (["--ssl", "--sslcert=" + PKI["srv"][0], "--sslkey=" + PKI["alice"][1], "cat"],
         r"--sslkey=\S+alice.key does not belong to the certificate in --sslcert=\S+srv.pem"),
        (["--ssl", "--sslcert=" + PKI["srv"][0], "--sslkey=" + PKI["enc"], "cat"],
         r"the key is encrypted"),
        (ssl_args(extra=["--sslca=" + PKI["garbage"]]) + ["cat"], r"--sslca=\S+: no PEM CA"),
        (ssl_args(extra=["--ssl-ticket-keys=" + short]) + ["cat"],
         r"79 bytes: the file must hold whole 80-byte keys"),
        (ssl_args(extra=["--ssl-verify=optional"]) + ["cat"], r"--ssl-verify needs --sslca"),
        (ssl_args(extra=["--handoff"]) + ["cat"], r"--handoff cannot be combined with --ssl"),
        (ssl_args(extra=["--ssl-timeout=0"]) + ["cat"], r"--ssl-timeout: must be at least 1"),
    ]
    for args, pat in cases:
        rc, out, err = run_pipes(args, stdin=PLAIN_GET, timeout=10)
        name = " ".join(a.replace(d + "/", "") for a in args[:-1])
        T.eq(rc, 2, "%s: exit 2" % name)
        T.eq(out, b"", "%s: nothing written to the connection" % name)
        T.eq(len(err.strip().splitlines()), 1, "%s: one line (%r)" % (name, err.strip()[:200]))
        T.match(pat, err, "%s: says why" % name)
    # The secret is never echoed: neither the key's PEM body nor the passphrase prompt.
    rc, out, err = run_pipes(["--ssl", "--sslcert=" + PKI["srv"][0], "--sslkey=" + PKI["enc"],
                              "cat"], stdin=b"", timeout=10)
    body = read_text(PKI["enc"]).splitlines()[1]
    T.ok(body not in err and "Enter" not in err, "encrypted key: no key bytes, no prompt")


@test
def wss_every_way_in():
    for mode in MODES:
        s = Server(ssl_args() + ENVPROG, mode=mode)
        try:
            c = TLSClient(s.port)
            try:
                got = env_line(c)
                T.eq(got, ["on", "wss", "localhost", "localhost", "TLSv1.3", "NONE", "",
                           "Initial"], "%s: HTTPS, REQUEST_SCHEME, SERVER_NAME from SNI, SSL_*" % mode)
                c.send_text("über")
                T.eq(c.recv_message(5), (OP_TEXT, "über".encode()), "%s: echo over TLS" % mode)
                c.send_close(1000)
                T.eq(c.recv_message(5)[:2], ("close", 1000), "%s: close handshake" % mode)
                T.ok(c.wait_eof(5), "%s: then the connection ends (close_notify, FIN)" % mode)
            finally:
                c.close()
            ev = node_wss(wss_url(s), "hi from ws")
            opened = [e for e in ev if e["event"] == "open"]
            T.ok(opened and opened[0]["alpn"] == "http/1.1" and opened[0]["authorized"],
                 "%s: npm ws trusts the test CA, ALPN http/1.1" % mode, ev)
            msgs = [e["data"] for e in ev if e["event"] == "message"]
            T.ok(any(m.startswith("on|wss|") for m in msgs),
                 "%s: npm ws receives the program's first line" % mode, ev)
            T.eq([e["code"] for e in ev if e["event"] == "close"], [1000],
                 "%s: npm ws closes 1000" % mode)
            if mode in ("inetd", "fd"):
                T.ok(all(code == 0 for _, code in ssa_exit_codes(s.stderr())),
                     "%s: handlers exit 0" % mode, s.stderr())
        finally:
            s.stop()


@test
def tls_listener_fresh_handler_per_connection():
    # --handler-reuse defaults to 1 with --ssl: no TLS state outlives its connection
    s = Server(ssl_args() + ["sh", "-c", "echo $PPID; exec cat"], mode="listen")
    try:
        seen = []
        for _ in range(4):
            c = TLSClient(s.port)
            try:
                c.handshake()
                m = c.recv_message(5)
                seen.append(m[1] if m and m[0] == OP_TEXT else None)
                c.send_close(1000)
                c.recv_until_close(5)
            finally:
                c.close()
        T.ok(all(seen), "four TLS connections served", repr(seen))
        T.ok(len(set(seen)) == 4, "--ssl: each connection had its own handler", repr(seen))
    finally:
        s.stop()


@test
def tls_over_pipes():
    c = PipeTLS(ssl_args() + ENVPROG, env={"REMOTE_ADDR": "10.0.0.9", "REMOTE_PORT": "1234"})
    try:
        got = env_line(c)
        T.eq(got[:3], ["on", "wss", "localhost"], "pipes: TLS on stdin/stdout pipes")
        c.send_text("pipe")
        T.eq(c.recv_message(5), (OP_TEXT, b"pipe"), "pipes: echo")
        c.send_close(1000)
        T.eq(c.recv_message(5)[:2], ("close", 1000), "pipes: close")
        T.eq(c.pc.wait(10), 0, "pipes: exit 0")
    finally:
        c.pc.stop()
    # Plain HTTP over pipes: no MSG_PEEK there, OpenSSL recognises the request.
    rc, out, err = run_pipes(ssl_args() + ["cat"], stdin=PLAIN_GET, timeout=10)
    T.ok(out.startswith(b"HTTP/1.1 400 ") and b"https://" in out, "pipes: plain HTTP gets 400", out)
    T.eq(rc, 3, "pipes: plain HTTP: exit 3")


@test
def plain_http_to_tls_port_400():
    for mode in ("inetd", "fd", "listen"):
        s = Server(ssl_args() + ["cat"], mode=mode)
        try:
            c = RawClient(s.port)
            r = c.handshake("/")
            T.eq(r.status, 400, "%s: plain upgrade request to the TLS port: 400" % mode)
            T.match(r"https://.*wss://", r.body.decode(errors="replace"),
                    "%s: the body says to use https/wss" % mode)
            T.eq(r.header("content-type"), "text/plain; charset=utf-8", "%s: plain text" % mode)
            c.close()
            T.ok(wait_until(lambda: "this port speaks TLS" in s.stderr(), 5),
                 "%s: logged" % mode, s.stderr())
        finally:
            s.stop()


@test
def protocol_versions():
    s = Server(ssl_args() + ["cat"], mode="inetd")
    try:
        for flag, name in (("-tls1", "TLSv1.0"), ("-tls1_1", "TLSv1.1")):
            # SECLEVEL=0 lets OpenSSL 3's client offer the old version at all: the refusal
            # must then come from the server, and the server's log says so.
            rc, out = s_client(s.port, flag, "-cipher", "DEFAULT@SECLEVEL=0")
            T.ok(rc != 0 and "Cipher is (NONE)" in out or "alert protocol version" in out,
                 "%s refused" % name, out[-1500:])
            T.ok(wait_until(lambda: "offers at most %s; wsinetd requires TLSv1.2" % name
                            in s.stderr(), 5), "%s: the server refused it and logged why" % name,
                 s.stderr())
        for flag, want in (("-tls1_2", "New, TLSv1.2, Cipher is ECDHE-"), ("-tls1_3", "New, TLSv1.3")):
            rc, out = s_client(s.port, flag)
            T.ok(rc == 0 and want in out, "%s accepted (%s)" % (flag, want), out[-1500:])
            T.match(r"Verify return code: 0 \(ok\)", out, "%s: chain verifies against the test CA" % flag)
    finally:
        s.stop()


@test
def alpn():
    s = Server(ssl_args() + ["cat"], mode="listen")
    try:
        rc, out = s_client(s.port, "-alpn", "h2,http/1.1")
        T.ok(rc == 0 and "ALPN protocol: http/1.1" in out, "h2,http/1.1 offered: http/1.1 chosen",
             out[-1500:])
        rc, out = s_client(s.port)
        T.ok(rc == 0 and "No ALPN negotiated" in out, "no ALPN offered: none negotiated", out[-1500:])
        rc, out = s_client(s.port, "-alpn", "h2")
        T.ok(rc != 0 and "no application protocol" in out, "h2 only: refused (RFC 7301)", out[-1500:])
        T.ok(wait_until(lambda: "ALPN offer lacks http/1.1" in s.stderr(), 5), "h2 only: logged",
             s.stderr())
    finally:
        s.stop()


@test
def resumption_across_processes():
    d = tmpdir()
    k1, k2 = os.urandom(80), os.urandom(80)
    keys = os.path.join(d, "tickets.keys")
    with open(keys, "wb") as f:
        f.write(k1)
    sess = os.path.join(d, "sess")
    for ver in ("-tls1_3", "-tls1_2"):
        s = Server(ssl_args(extra=["--ssl-ticket-keys=" + keys, "--loglevel=debug"]) + ["cat"],
                   mode="inetd")
        try:
            with open(keys, "wb") as f:
                f.write(k1)
            rc, out = session_run(s.port, sess, ver)
            T.ok("New, TLSv1." in out and os.path.exists(sess), "%s: first connection: new session, ticket kept" % ver,
                 out[-1500:])
            rc, out = session_run(s.port, sess, ver, reuse=True)
            T.ok("Reused, TLSv1." in out, "%s: second connection resumes" % ver, out[-1500:])
            pids = [p for p, _ in ssa_exit_codes(s.stderr())]
            T.ok(wait_until(lambda: len(ssa_exit_codes(s.stderr())) >= 2, 5) and
                 len(set(p for p, _ in ssa_exit_codes(s.stderr()))) >= 2,
                 "%s: in two handler processes" % ver, s.stderr())
            T.eq(len(log_pids(s.stderr(), r"TLS TLSv1\.\d \S+ resumed")), 1,
                 "%s: the second handler logged a resumed session" % ver)
            # Rotation: a new key first, the old one still accepted (and the ticket renewed).
            with open(keys, "wb") as f:
                f.write(k2 + k1)
            rc, out = session_run(s.port, sess, ver, reuse=True)
            T.ok("Reused, TLSv1." in out, "%s: after rotation (new key first) the old ticket resumes" % ver,
                 out[-1500:])
            with open(keys, "wb") as f:
                f.write(k2)
            rc, out = session_run(s.port, sess, ver, reuse=True)
            T.ok("New, TLSv1." in out, "%s: once the old key is gone: a full handshake" % ver, out[-1500:])
            del pids
        finally:
            s.stop()
            for p in (sess, sess + ".2"):
                if os.path.exists(p):
                    os.unlink(p)
    # The program sees the resumption, and SNI survives it.
    s = Server(ssl_args() + ENVPROG, mode="listen")
    try:
        for maxv in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            ctx = client_ctx(maxv=maxv)
            c = TLSClient(s.port, ctx)
            first = env_line(c)
            tls_sess = c.sock.session
            c.close()
            c = TLSClient(s.port, ctx, session=tls_sess)
            again = env_line(c)
            c.close()
            T.eq((first[7], again[7], again[2], again[3]), ("Initial", "Resumed", "localhost", "localhost"),
                 "%s: SSL_SESSION_RESUMED, SERVER_NAME from SNI on resumption" % maxv.name)
    finally:
        s.stop()
    # Without a key file: per-connection handlers issue no tickets; a listener's forks
    # share its keys, so its clients resume.
    for mode, want in (("inetd", "New, TLSv1.3"), ("listen", "Reused, TLSv1.3")):
        s = Server(ssl_args() + ["cat"], mode=mode)
        try:
            session_run(s.port, sess)
            rc, out = session_run(s.port, sess, reuse=True) if os.path.exists(sess) else \
                session_run(s.port, sess)
            T.ok(want in out, "%s without --ssl-ticket-keys: %s" % (mode, want.split(",")[0]),
                 out[-1500:])
        finally:
            s.stop()
            for p in (sess, sess + ".2"):
                if os.path.exists(p):
                    os.unlink(p)


@test
def client_certificates():
    for mode in ("inetd", "listen"):
        s = Server(ssl_args(extra=["--sslca=" + PKI["ca"]]) + ENVPROG, mode=mode)
        try:
            c = TLSClient(s.port, client_ctx("alice"))
            got = env_line(c)
            T.eq(got[5:7], ["SUCCESS", "CN=alice,O=wsinetd tests"],
                 "%s: accepted: SSL_CLIENT_VERIFY, SSL_CLIENT_S_DN" % mode)
            c.close()
            ev = node_wss(wss_url(s), env={"WSS_CERT": PKI["alice"][0], "WSS_KEY": PKI["alice"][1]})
            T.ok(any(e["event"] == "message" and e["data"].startswith("on|wss|") for e in ev),
                 "%s: npm ws with the client certificate" % mode, ev)
            for who, why in (("mallory", r'client certificate "CN=mallory": unable to get local issuer'),
                             ("old", r'client certificate "CN=old": certificate has expired'),
                             (None, r"the client sent no certificate")):
                try:
                    c = TLSClient(s.port, client_ctx(who))
                    r = c.handshake("/")
                    got = r.status
                except (ssl.SSLError, Closed, TimeoutErr, OSError) as e:
                    got = type(e).__name__
                T.ok(got != 101, "%s: %s refused (%s)" % (mode, who or "no certificate", got))
                T.ok(wait_until(lambda: re.search(why, s.stderr()), 5),
                     "%s: %s: logged" % (mode, who or "no certificate"), s.stderr())
        finally:
            s.stop()
    s = Server(ssl_args(extra=["--sslca=" + PKI["ca"], "--ssl-verify=optional"]) + ENVPROG,
               mode="inetd")
    try:
        for who, want in ((None, ["NONE", ""]), ("mallory", ["FAILED", ""]),
                          ("alice", ["SUCCESS", "CN=alice,O=wsinetd tests"])):
            c = TLSClient(s.port, client_ctx(who))
            T.eq(env_line(c)[5:7], want, "optional: %s -> %s" % (who or "no certificate", want[0]))
            c.close()
    finally:
        s.stop()


@test
def expired_server_certificate():
    s = Server(ssl_args("expired") + ["cat"], mode="inetd")
    try:
        rc, out = s_client(s.port)
        T.match(r"Verify return code: 10 \(certificate has expired\)", out,
                "the client sees the expired certificate")
        T.match(r"--sslcert=\S+expired.pem: the certificate expired on .*clients will refuse it",
                s.stderr(), "the handler reports it")
        ev = node_wss(wss_url(s))
        T.ok(any(e["event"] == "error" and "expired" in e["message"] for e in ev),
             "npm ws refuses it", ev)
        try:
            TLSClient(s.port).close()
            got = "accepted"
        except ssl.SSLCertVerificationError as e:
            got = e.verify_message
        T.eq(got, "certificate has expired", "Python's ssl refuses it")
        T.ok(wait_until(lambda: re.search(r'TLS handshake aborted by the client: "[^"]*certificate '
                                          r'expired" \(it does not accept --sslcert', s.stderr()), 5),
             "the client's alert is logged with a hint", s.stderr())
    finally:
        s.stop()


@test
def handshake_deadline():
    s = Server(ssl_args(extra=["--ssl-timeout=1"]) + ["cat"], mode="inetd")
    try:
        for sent, why in ((b"", "not started within --ssl-timeout=1s"),
                          (b"\x16\x03\x01\x00\x40", "not finished within --ssl-timeout=1s")):
            c = RawClient(s.port)
            if sent:
                c.send(sent)
            t0 = time.monotonic()
            T.ok(c.wait_eof(5) and time.monotonic() - t0 < 4, "%r: dropped after about 1 s" % sent)
            c.close()
            T.ok(wait_until(lambda: why in s.stderr(), 5), "%r: logged" % sent, s.stderr())
        T.ok(wait_until(lambda: [c for _, c in ssa_exit_codes(s.stderr())] == [4, 4], 5),
             "exit status 4 (timeout)", s.stderr())
    finally:
        s.stop()


@test
def sni_and_credentials_directory():
    d = tmpdir()
    for name, src in (("wss.crt", PKI["srv"][0]), ("wss.key", PKI["srv"][1])):
        with open(src, "rb") as f, open(os.path.join(d, name), "wb") as g:
            g.write(f.read())
    s = Server(["--ssl", "--sslcert=wss.crt", "--sslkey=wss.key"] + ENVPROG, mode="inetd",
               env={"CREDENTIALS_DIRECTORY": d})
    try:
        c = TLSClient(s.port)
        got = env_line(c)
        T.eq(got[:2], ["on", "wss"], "certificate and key read from $CREDENTIALS_DIRECTORY")
        c.close()
        # No SNI (an IP address): SERVER_NAME falls back to Host.
        ctx = client_ctx()
        ctx.check_hostname = False
        c = TLSClient(s.port, ctx, sni=None)
        got = env_line(c)
        T.eq((got[2], got[3]), ("127.0.0.1", ""), "without SNI: SERVER_NAME from Host, SSL_TLS_SNI empty")
        c.close()
    finally:
        s.stop()


@test
def bulk_both_ways():
    """3 MiB each way in 64 KiB binary messages: exercises partial TLS writes, reads that
    leave decrypted bytes buffered, and backpressure in the relay."""
    for mode in ("inetd", "listen"):
        s = Server(ssl_args(extra=["--binary"]) + ["cat"], mode=mode)
        try:
            import websockets
            blob = os.urandom(64 * 1024)

            async def run():
                async with websockets.connect(wss_url(s), ssl=client_ctx(), max_size=None,
                                              compression=None, open_timeout=10) as ws:
                    async def sender():
                        for i in range(48):
                            await ws.send(bytes([i]) + blob[1:])
                    st = asyncio.ensure_future(sender())
                    h, n = hashlib.sha256(), 0
                    while n < 48 * len(blob):
                        m = await ws.recv()
                        h.update(m)
                        n += len(m)
                    await st
                    await ws.close()
                    return n, h.hexdigest()

            want = hashlib.sha256(b"".join(bytes([i]) + blob[1:] for i in range(48))).hexdigest()
            got = asyncio.run(asyncio.wait_for(run(), 60))
            T.eq(got, (48 * len(blob), want), "%s: 3 MiB echoed intact over TLS" % mode)
        finally:
            s.stop()


@test
def no_secrets_in_logs():
    d = tmpdir()
    keys = os.path.join(d, "k")
    k = os.urandom(80)
    with open(keys, "wb") as f:
        f.write(k)
    s = Server(ssl_args(extra=["--ssl-ticket-keys=" + keys, "--loglevel=debug",
                               "--sslca=" + PKI["ca"], "--ssl-verify=optional"]) + ["cat"],
               mode="inetd")
    try:
        c = TLSClient(s.port, client_ctx("alice"))
        c.handshake("/")
        c.close()
        s_client(s.port, "-tls1", "-cipher", "DEFAULT@SECLEVEL=0")
        RawClient(s.port).handshake("/")
        wait_until(lambda: "this port speaks TLS" in s.stderr(), 5)
        log = s.stderr()
        keyb64 = "".join(read_text(PKI["srv"][1]).splitlines()[1:-1])
        T.ok(keyb64[:24] not in log and k.hex()[:16] not in log and
             base64.b64encode(k)[:16].decode() not in log, "no key material in the log")
    finally:
        s.stop()


@test
def asan_build():
    asan = os.environ.get("WSINETD_ASAN")
    if not asan or not os.access(asan, os.X_OK):
        T.ok(True, "# SKIP no WSINETD_ASAN")
        return
    env = {"ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0"}
    for mode in ("inetd", "listen"):
        s = Server(ssl_args(extra=["--sslca=" + PKI["ca"], "--ssl-verify=optional"]) + ENVPROG,
                   mode=mode, binary=asan, env=env)
        try:
            c = TLSClient(s.port, client_ctx("alice"))
            T.eq(env_line(c)[5], "SUCCESS", "asan %s: client certificate" % mode)
            c.send_text("x" * 200000)
            T.eq(c.recv_message(10), (OP_TEXT, b"x" * 200000), "asan %s: 200 kB echo" % mode)
            c.send_close(1000)
            c.recv_message(5)
            c.close()
            RawClient(s.port).handshake("/")
            s_client(s.port, "-tls1", "-cipher", "DEFAULT@SECLEVEL=0")
            TLSClient(s.port, client_ctx("mallory")).close()
            time.sleep(0.5)
            T.ok(not SANITIZER_RE.search(s.stderr()), "asan %s: no sanitizer report" % mode,
                 s.stderr()[-3000:])
        finally:
            s.stop()


if __name__ == "__main__":
    make_pki()
    sys.exit(main())
