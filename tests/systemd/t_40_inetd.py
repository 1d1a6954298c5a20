#!/usr/bin/python3
"""inetd: the shipped units/inetd.conf.example line under Debian's openbsd-inetd
(`inetd -d`, foreground) and units/xinetd.wsinetd.example under xinetd
(`xinetd -dontfork -f`), each on a free 127.0.0.1 port with the example's paths pointed at
this checkout, and a real client. The binaries come from build/superservers
(scripts/install-deps unpacks them there) or from the installed packages."""
import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdlib import T, tmpdir, free_port, wait_until, port_open, ws_session, run_tests
from sdlib import BIN, REPO, ENVECHO

UNITS = os.path.join(REPO, "units")
SS = os.path.join(REPO, "build", "superservers")
procs = []


def find(pkg, rel):
    p = os.path.join(SS, pkg, rel)
    if os.access(p, os.X_OK):
        return p
    st = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    if st.stdout.strip() == "install ok installed" and os.access("/" + rel, os.X_OK):
        return "/" + rel
    return None


def localize(text, port, program=None):
    """The example with our port, this checkout's wsinetd and (optionally) another program."""
    text = text.replace("8080", str(port)).replace("/usr/local/bin/wsinetd", BIN)
    return text.replace("/usr/local/share/wsinetd/scripts/greeter.sh",
                        program or os.path.join(REPO, "scripts", "greeter.sh"))


def start(argv, log):
    f = open(log, "w")
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=f, stderr=f, start_new_session=True)
    procs.append(p)
    return p


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


def cleanup():
    for p in procs:
        try:
            stop(p)
        except Exception:
            pass


def check(label, server, port, log):
    if not T.ok(wait_until(lambda: port_open(port) or server.poll() is not None, 5) and
                server.poll() is None, "%s listens on 127.0.0.1:%d" % (label, port),
                open(log).read()):
        return
    _, got, code = ws_session(port, "/", ["hi"], first=False)
    T.eq(got[1:], ["Hey there"], "%s: the example serves greeter.sh to a real client" % label)
    T.eq(code, 1000, "%s: Close 1000" % label)


def with_envecho(label, server, port):
    local, got, code = ws_session(port, "/inetd-env", ["x"])
    T.ok(got[0].startswith("REMOTE_ADDR=127.0.0.1 REMOTE_PORT=%d " % local),
         "%s: REMOTE_ADDR/REMOTE_PORT reach the program" % label, got[0])
    T.eq((got[1:], code), (["echo:x"], 1000),
         "%s: the stream is clean (stderr, the connection, carries no log line)" % label)


def openbsd_inetd():
    exe = find("openbsd-inetd", "usr/sbin/inetd")
    if not exe:
        T.ok(True, "openbsd-inetd # SKIP not unpacked (scripts/install-deps) nor installed")
        return
    d = tmpdir()
    with open(os.path.join(UNITS, "inetd.conf.example")) as f:
        example = f.read()
    lines = [l for l in example.splitlines() if l.strip() and not l.startswith("#")]
    T.eq(len(lines), 1, "inetd.conf.example holds one service line")
    for prog, fn in ((None, check), (ENVECHO, with_envecho)):
        port = free_port()
        conf = os.path.join(d, "inetd.conf")
        with open(conf, "w") as f:
            f.write(localize(example, port, prog))
        log = os.path.join(d, "inetd.log")
        p = start([exe, "-d", conf], log)
        try:
            if fn is check:
                fn("openbsd-inetd", p, port, log)
            else:
                wait_until(lambda: port_open(port), 5)
                fn("openbsd-inetd", p, port)
        finally:
            stop(p)


def xinetd():
    exe = find("xinetd", "usr/sbin/xinetd")
    if not exe:
        T.ok(True, "xinetd # SKIP not unpacked (scripts/install-deps) nor installed")
        return
    d = tmpdir()
    with open(os.path.join(UNITS, "xinetd.wsinetd.example")) as f:
        example = f.read()
    for prog, fn in ((None, check), (ENVECHO, with_envecho)):
        port = free_port()
        conf = os.path.join(d, "xinetd.conf")
        with open(conf, "w") as f:
            f.write(localize(example, port, prog))
        log = os.path.join(d, "xinetd.log")
        p = start([exe, "-dontfork", "-f", conf, "-pidfile", os.path.join(d, "xinetd.pid"),
                   "-filelog", os.path.join(d, "xinetd.filelog")], log)
        try:
            if fn is check:
                fn("xinetd", p, port, log)
            else:
                wait_until(lambda: port_open(port), 5)
                fn("xinetd", p, port)
        finally:
            stop(p)


try:
    run_tests([openbsd_inetd, xinetd])
finally:
    cleanup()
