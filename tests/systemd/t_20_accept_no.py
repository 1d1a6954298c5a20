#!/usr/bin/python3
"""The Accept=no variant under a real systemd (sdbox): wsinetd-enable --accept=no writes
wsinetd-NAME.socket + wsinetd-NAME.service, wsinetd is the listener on fd 3 (one service,
no unit per connection), a real client talks to it, REMOTE_ADDR/REMOTE_PORT reach the
program, the access record is in the journal with its WSINETD_* fields, --maxforks
refuses the extra connection (429), systemd-analyze verify is clean, systemctl stop sends
Close 1001, wsinetd-disable closes the port."""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdlib import T, Box, Raw, run, tmpdir, free_port, wait_until, port_open, ws_session, run_tests
from sdlib import ENABLE, DISABLE, ENVECHO, BIN

box = Box("t20").start()
root = tmpdir()
UD = os.path.join(root, "etc", "systemd", "system")
PORT = free_port()


def enable():
    rc, out, err = run([ENABLE, "t20", "--port=%d" % PORT, "--address=127.0.0.1", "--accept=no",
                        "--root=" + root, "--wsinetd=" + BIN, "--maxforks=2", "--", ENVECHO])
    T.eq(rc, 0, "wsinetd-enable --accept=no exits 0", out + err)
    files = sorted(os.listdir(UD))
    T.eq(files, ["wsinetd-t20.service", "wsinetd-t20.socket"], "it wrote the socket and a plain service")
    with open(os.path.join(UD, "wsinetd-t20.socket")) as f:
        sock = f.read()
    T.ok("\nAccept=no\n" in sock and "\nListenStream=127.0.0.1:%d\n" % PORT in sock,
         "the socket has Accept=no and our address", sock)
    with open(os.path.join(UD, "wsinetd-t20.service")) as f:
        svc = f.read()
    T.ok("\nExecStart=%s --maxforks=2 -- %s\n" % (BIN, ENVECHO) in svc,
         "ExecStart= carries the wsinetd options and the program", svc)
    box.install_unit(os.path.join(UD, "wsinetd-t20.socket"), os.path.join(UD, "wsinetd-t20.service"))
    rc, out, err = box.exec("systemd-analyze", "verify", "--man=no",
                            "/etc/systemd/system/wsinetd-t20.socket",
                            "/etc/systemd/system/wsinetd-t20.service")
    T.ok(rc == 0 and not (out + err).strip(), "systemd-analyze verify is clean", out + err)
    rc, o, e = box.systemctl("enable", "--now", "wsinetd-t20.socket")
    T.eq(rc, 0, "systemctl enable --now wsinetd-t20.socket", o + e)
    T.ok(wait_until(lambda: port_open(PORT), 5), "the socket listens")


def no_libsystemd():
    # stderr is the journal, yet neither the listener nor its spare handlers map
    # libsystemd: access records go to journald's native socket directly (log.c), and
    # talk() finds them there with their fields.
    def maps():
        rc, out, err = box.systemctl("show", "-p", "MainPID", "--value", "wsinetd-t20.service")
        main = out.strip()
        if not main.isdigit() or main == "0":
            return None
        rc, out, err = box.exec("sh", "-c", "for p in %s $(pgrep -P %s); do "
                                "echo \"$p $(grep -c libsystemd /proc/$p/maps)\"; done"
                                % (main, main))
        rows = [ln.split() for ln in out.splitlines() if len(ln.split()) == 2]
        return rows if len(rows) >= 3 else None
    rows = wait_until(maps, 10, 0.2)
    T.ok(rows and all(c == "0" for _, c in rows),
         "the listener and its spare handlers map no libsystemd", repr(rows))


def talk():
    local, got, code = ws_session(PORT, "/t20-talk", ["hi"])
    T.ok(got[0].startswith("REMOTE_ADDR=127.0.0.1 REMOTE_PORT=%d " % local),
         "REMOTE_ADDR and REMOTE_PORT reach the program", got[0])
    T.eq((got[1:], code), (["echo:hi"], 1000), "relayed, Close 1000")
    T.ok(wait_until(lambda: box.units("wsinetd-t20.service"), 5), "wsinetd-t20.service is running")
    T.eq(box.units("wsinetd-t20@*"), [], "no per-connection units")
    recs = wait_until(lambda: box.journal_json("WSINETD_PATH=/t20-talk"), 10, 0.3)
    T.eq(len(recs or []), 1, "one access record in the journal")
    if recs:
        r = recs[0]
        T.eq((r.get("SYSLOG_IDENTIFIER"), r.get("WSINETD_PEER"), r.get("WSINETD_CLOSE"),
              r.get("WSINETD_MSGS_IN"), r.get("WSINETD_EXIT_STATUS"), r.get("WSINETD_PROGRAM_STATUS")),
             ("wsinetd", "127.0.0.1:%d" % local, "1000", "1", "0", "exit 0"), "its WSINETD_* fields")
        T.ok(r.get("_SYSTEMD_UNIT") in (None, "wsinetd-t20.service"),
             "it comes from the listener's service", r.get("_SYSTEMD_UNIT"))
    # A journal field is not cut short: a 3000-byte path arrives whole.
    long_path = "/t20-" + "p" * 3000
    ws_session(PORT, long_path, ["hi"])
    recs = wait_until(lambda: box.journal_json("WSINETD_PATH=" + long_path), 10, 0.3)
    T.eq(len(recs or []), 1, "a 3000-byte WSINETD_PATH is in the journal whole")


def maxforks_and_stop():
    a, b = Raw(PORT, "/t20-a"), Raw(PORT, "/t20-b")
    T.eq((a.status(), b.status()), (101, 101), "two connections upgraded")
    fa, fb = a.recv_text(), b.recv_text()
    T.ok(fa and "REMOTE_PORT=%d" % a.local_port in fa and fb and "REMOTE_PORT=%d" % b.local_port in fb,
         "each handler's program sees its own peer", "%r %r" % (fa, fb))
    c = Raw(PORT, "/t20-c")
    T.eq(c.status(), 429, "--maxforks=2: the third connection gets 429")
    c.close()
    T.eq(box.units("wsinetd-t20@*"), [], "still no per-connection units")
    rc, o, e = box.systemctl("stop", "wsinetd-t20.service")
    T.eq(rc, 0, "systemctl stop wsinetd-t20.service", o + e)
    # Each handler answers SIGTERM with Close 1001.
    for x, n in ((a, "a"), (b, "b")):
        x.s.settimeout(5)
        d = x.buf
        try:
            while len(d) < 4:
                chunk = x.s.recv(4096)
                if not chunk:
                    break
                d += chunk
        except OSError:
            pass
        T.ok(len(d) >= 4 and d[0] == 0x88 and int.from_bytes(d[2:4], "big") == 1001,
             "connection %s got Close 1001 on stop" % n, repr(d[:20]))
        x.close()
    T.ok(port_open(PORT), "the socket still listens while the service is stopped")
    _, got, _ = ws_session(PORT, "/t20-again", ["y"])
    T.eq(got[1:], ["echo:y"], "the next connection starts the service again")


def disable():
    rc, out, err = box.exec(DISABLE, "t20")
    T.eq(rc, 0, "wsinetd-disable t20", out + err)
    T.ok(wait_until(lambda: not port_open(PORT), 5), "the port is closed")
    T.ok(wait_until(lambda: not box.units("wsinetd-t20*"), 5, 0.2), "nothing of it is running")
    rc, _, _ = box.exec("sh", "-c", "ls /etc/systemd/system/wsinetd-t20* 2>/dev/null")
    T.ok(rc != 0, "its unit files are gone")


run_tests([enable, no_libsystemd, talk, maxforks_and_stop, disable])
