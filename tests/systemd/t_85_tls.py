#!/usr/bin/python3
"""wss:// under a real systemd (sdbox): wsinetd-enable with --ssl and TLS files kept
root-only (0600) turns them into LoadCredential= lines, so the DynamicUser= of each
connection gets its private copy; a TLS client talks to the endpoint, HTTPS=on reaches the
program (running as a dynamic user), a session ticket from one connection's instance
resumes in the next one's (--ssl-ticket-keys shared through a credential), and
systemd-analyze verify is clean.

Where the box's systemd cannot hand credentials over (sdbox's /run/credentials is not a
mount systemd can populate: even root's copy is missing), that is said in a diagnostic and
the endpoint runs with the files' own paths (made world-readable, test files only) through
a drop-in, so TLS under systemd is still tested."""
import os
import ssl
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdlib import T, Box, run, tmpdir, free_port, wait_until, port_open, run_tests  # noqa
from sdlib import ENABLE, DISABLE, BIN, REPO

box = Box("t85").start()
root = tmpdir()
UD = os.path.join(root, "etc", "systemd", "system")
PORT = free_port()
# Under the checkout's build/ (the box sees the host's root fs read-only, not its /tmp).
PKI = os.path.join(REPO, "build", "test-output", "systemd-t85-%d" % os.getpid())
PROG = os.path.join(PKI, "tlsenv.sh")


def openssl(*args):
    p = subprocess.run(["openssl"] + list(args), capture_output=True, text=True, timeout=30)
    if p.returncode:
        raise RuntimeError(p.stderr[-400:])


def make_pki():
    os.makedirs(PKI, mode=0o755, exist_ok=True)
    import atexit
    atexit.register(lambda: subprocess.run(["rm", "-rf", PKI]))
    j = lambda n: os.path.join(PKI, n)  # noqa: E731
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", j("ca.key"), "-out", j("ca.pem"), "-days", "2", "-subj", "/CN=t85 CA")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", j("srv.key"), "-out", j("srv.csr"), "-subj", "/CN=localhost")
    with open(j("srv.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", j("srv.csr"), "-CA", j("ca.pem"), "-CAkey", j("ca.key"),
            "-CAcreateserial", "-out", j("srv.pem"), "-days", "2", "-extfile", j("srv.ext"))
    with open(j("tickets.keys"), "wb") as f:
        f.write(os.urandom(80))
    for n in ("srv.key", "tickets.keys", "ca.key"):
        os.chmod(j(n), 0o600)
    with open(PROG, "w") as f:
        f.write('#!/bin/sh\necho "HTTPS=$HTTPS SCHEME=$REQUEST_SCHEME SNI=$SSL_TLS_SNI '
                'RESUMED=$SSL_SESSION_RESUMED UID=$(id -u)"\nexec cat\n')
    os.chmod(PROG, 0o755)


def enable():
    make_pki()
    j = lambda n: os.path.join(PKI, n)  # noqa: E731
    rc, out, err = run([ENABLE, "t85", "--port=%d" % PORT, "--address=127.0.0.1", "--root=" + root,
                        "--wsinetd=" + BIN, "--ssl", "--sslcert=" + j("srv.pem"),
                        "--sslkey=" + j("srv.key"), "--ssl-ticket-keys=" + j("tickets.keys"),
                        "--", PROG])
    T.eq(rc, 0, "wsinetd-enable with the TLS options", out + err)
    svc = os.path.join(UD, "wsinetd-t85@.service")
    text = open(svc).read() if os.path.exists(svc) else ""
    for opt in ("sslcert", "sslkey", "ssl-ticket-keys"):
        T.ok("LoadCredential=wsinetd-%s:%s\n" % (opt, j({"sslcert": "srv.pem", "sslkey": "srv.key",
                                                           "ssl-ticket-keys": "tickets.keys"}[opt]))
             in text and "--%s=wsinetd-%s" % (opt, opt) in text,
             "--%s became a credential" % opt, text)
    rc, _, e = box.install_unit(os.path.join(UD, "wsinetd-t85.socket"), svc)
    T.eq(rc, 0, "units installed in the box", e)
    rc, o, e = box.sd("exec", "systemd-run", "--wait", "--pipe", "-q", "-p",
                      "LoadCredential=x:" + j("srv.pem"), "sh", "-c", 'cat "$CREDENTIALS_DIRECTORY/x"')
    if rc != 0 or "BEGIN CERTIFICATE" not in o:
        T.diag("this box cannot pass credentials (%s): the drop-in uses the files' paths"
               % (e.strip().splitlines() or ["no file"])[-1])
        for n in ("srv.key", "tickets.keys"):
            os.chmod(j(n), 0o644)
        dropin = os.path.join(UD, "wsinetd-t85@.service.d")
        os.makedirs(dropin, exist_ok=True)
        with open(os.path.join(dropin, "paths.conf"), "w") as f:
            f.write("[Service]\nExecStart=\nExecStart=%s --ssl --sslcert=%s --sslkey=%s "
                    "--ssl-ticket-keys=%s -- %s\n" % (BIN, j("srv.pem"), j("srv.key"),
                                                      j("tickets.keys"), PROG))
        rc, _, e = box.install_unit(os.path.join(UD, "wsinetd-t85.socket"), svc, dropin)
        T.eq(rc, 0, "drop-in installed", e)
    rc, o, e = box.sd("exec", "systemctl", "enable", "--now", "wsinetd-t85.socket")
    T.eq(rc, 0, "systemctl enable --now wsinetd-t85.socket", o + e)
    T.ok(wait_until(lambda: port_open(PORT), 5), "the socket listens")


_ctx = []


def first_line(sess=None):
    if not _ctx:  # one context: a session resumes only in the context that made it
        c = ssl.create_default_context(cafile=os.path.join(PKI, "ca.pem"))
        c.maximum_version = ssl.TLSVersion.TLSv1_2  # the session is known after the handshake
        _ctx.append(c)
    ctx = _ctx[0]
    import socket
    s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
    t = ctx.wrap_socket(s, server_hostname="localhost", session=sess)
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    t.sendall(("GET /t85 HTTP/1.1\r\nHost: localhost:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
               % (PORT, key)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf or len(buf) < buf.index(b"\r\n\r\n") + 6:
        d = t.recv(4096)
        if not d:
            break
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    status = head.split(b" ")[1] if head else b"?"
    n = rest[1] & 0x7F if len(rest) > 1 else 0
    while len(rest) < 2 + n:
        d = t.recv(4096)
        if not d:
            break
        rest += d
    line = rest[2:2 + n].decode(errors="replace")
    t.sendall(b"\x88\x82\x00\x00\x00\x00\x03\xe8")  # masked Close 1000 (zero mask)
    sess_out = t.session
    t.close()
    return status, line, sess_out


def talk_and_resume():
    status, line, sess = first_line()
    T.eq(status, b"101", "wss handshake through systemd")
    T.ok(line.startswith("HTTPS=on SCHEME=wss SNI=localhost RESUMED=Initial UID="), "TLS facts reach the program", line)
    uid = line.rsplit("UID=", 1)[-1]
    T.ok(uid.isdigit() and uid != "0", "the program runs as a dynamic user", line)
    status, line, _ = first_line(sess)
    T.ok(status == b"101" and "RESUMED=Resumed" in line,
         "the next connection (another service instance) resumes the session", line)


def verify_and_disable():
    rc, out, err = box.exec("systemd-analyze", "verify", "--man=no",
                            "/etc/systemd/system/wsinetd-t85.socket",
                            "/etc/systemd/system/wsinetd-t85@.service")
    T.ok(rc == 0 and not (out + err).strip(), "systemd-analyze verify is clean", out + err)
    box.sd("exec", "systemctl", "disable", "--now", "wsinetd-t85.socket")


run_tests([enable, talk_and_resume, verify_and_disable])
