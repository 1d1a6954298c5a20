#!/usr/bin/python3
"""bench/tls.py - the TLS row of `make bench`: TLS connections per second, with and
without session resumption, for wsinetd --port (listener), wsinetd per connection under
systemd-socket-activate --inetd (with --ssl-ticket-keys, so the handlers resume each
other's sessions), and websocketd --ssl.

The client is `openssl s_time` (C, one connection at a time): -new makes every connection
a full handshake, -reuse resumes the first connection's session. s_time never reads TLS
1.3 tickets (they follow the handshake), so the resumed figures use TLS 1.2 and the table
shows TLS 1.2 full handshakes beside them; TLS 1.3 full handshakes are a row of their own.
Each connection is: TCP connect, TLS handshake, close (no WebSocket upgrade): it measures
what TLS adds per connection, process start included. Certificates: a throw-away P-256
test CA and server certificate made here. Servers are started and stopped by PID.

Usage: bench/tls.py [--seconds S]      (environment: WSINETD)
"""
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from run import BENCH_ENV, free_port, log  # bench/run.py, beside this file
from wslib import is_listening  # tests/integration, on the path run.py sets

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WSINETD = os.environ.get("WSINETD", os.path.join(ROOT, "wsinetd"))
WEBSOCKETD = shutil.which("websocketd") or "/usr/bin/websocketd"
SSA = shutil.which("systemd-socket-activate") or "/usr/bin/systemd-socket-activate"
CAT = shutil.which("cat") or "/usr/bin/cat"


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=60)


def make_cert(d):
    ca, srv = os.path.join(d, "ca"), os.path.join(d, "srv")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", ca + ".key", "-out", ca + ".pem", "-days", "2", "-subj", "/CN=bench CA")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", srv + ".key", "-out", srv + ".csr", "-subj", "/CN=localhost")
    with open(srv + ".ext", "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", srv + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
            "-CAcreateserial", "-out", srv + ".pem", "-days", "2", "-extfile", srv + ".ext")
    with open(os.path.join(d, "tickets.keys"), "wb") as f:
        f.write(os.urandom(80))
    return ca + ".pem", srv + ".pem", srv + ".key"


def start(name, d, cert, key):
    port = free_port()
    tls = ["--ssl", "--sslcert=" + cert, "--sslkey=" + key]
    if name == "wsinetd --port":
        cmd = [WSINETD, "--port=%d" % port, "--address=127.0.0.1", "--loglevel=error"] + tls + [CAT]
    elif name == "wsinetd --inetd":
        cmd = [SSA, "--inetd", "-a", "-l", "127.0.0.1:%d" % port, "--", WSINETD,
               "--loglevel=error", "--ssl-ticket-keys=" + os.path.join(d, "tickets.keys")] + tls + [CAT]
    else:
        cmd = [WEBSOCKETD, "--port=%d" % port, "--address=127.0.0.1", "--loglevel=error"] + tls + [CAT]
    err = open(os.path.join(d, "servers.log"), "ab")
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                         start_new_session=True, env=BENCH_ENV)
    err.close()
    for _ in range(500):
        if is_listening(port) or p.poll() is not None:
            break
        time.sleep(0.02)
    return p, port


def stop(p):
    try:
        os.killpg(p.pid, signal.SIGTERM)  # p leads its own session and group
    except OSError:
        pass
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        p.wait(timeout=5)


def s_time(port, ca, seconds, *args):
    cmd = ["openssl", "s_time", "-connect", "127.0.0.1:%d" % port, "-CAfile", ca,
           "-time", str(seconds)] + list(args)
    t0 = time.monotonic()
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=seconds * 4 + 30).stdout
    wall = time.monotonic() - t0
    # "N connections in T real seconds": s_time rounds T to whole seconds; take our clock.
    m = re.findall(r"(\d+) connections in (\d+) real seconds", out)
    if not m:
        return None
    return float(m[-1][0]) / wall


ROWS = [
    ("TLS 1.3, full handshake", ["-new", "-tls1_3"]),
    ("TLS 1.2, full handshake", ["-new", "-tls1_2"]),
    ("TLS 1.2, resumed (session ticket)", ["-reuse", "-tls1_2"]),
]
SERVERS = ["wsinetd --port", "wsinetd --inetd", "websocketd"]


def main():
    seconds = 3
    if "--seconds" in sys.argv:
        seconds = int(sys.argv[sys.argv.index("--seconds") + 1])
    missing = [f for f in (WSINETD, SSA) if not os.access(f, os.X_OK)]
    if missing or not shutil.which("openssl"):
        log("bench/tls: missing %s" % (missing or "openssl"))
        return 2
    servers = SERVERS if os.access(WEBSOCKETD, os.X_OK) else SERVERS[:2]
    d = tempfile.mkdtemp(prefix="wsinetd-bench-tls-")
    try:
        ca, cert, key = make_cert(d)
        res = {}
        for rnd in range(3):
            for name in servers:
                p, port = start(name, d, cert, key)
                try:
                    for label, args in ROWS:
                        v = s_time(port, ca, seconds, *args)
                        res.setdefault((name, label), []).append(v or 0.0)
                        log("  %-16s %-36s %s conn/s" % (name, label, "%.0f" % v if v else "failed"))
                finally:
                    stop(p)
        print()
        print("| TLS connections/s (median of 3, c=1, openssl s_time) | " + " | ".join(servers) +
              " | resumed/full, TLS 1.2 |")
        print("|" + "---|" * (len(servers) + 2))
        for label, _ in ROWS:
            cells = ["%.0f" % statistics.median(res[(s, label)]) for s in servers]
            print("| %s | %s | |" % (label, " | ".join(cells)))
        ratios = []
        for s in servers:
            full = statistics.median(res[(s, ROWS[1][0])])
            again = statistics.median(res[(s, ROWS[2][0])])
            ratios.append("%s %.1fx" % (s, again / full) if full else "%s -" % s)
        print("| resumption speed-up | %s | %s |" % (" | ".join("" for _ in servers), "; ".join(ratios)))
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
