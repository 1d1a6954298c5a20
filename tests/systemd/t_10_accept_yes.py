#!/usr/bin/python3
"""An Accept=yes endpoint under a real systemd (sdbox): wsinetd-enable --root writes the
pair, `systemctl enable --now` as printed starts it, a real client talks to it, one service
instance per connection, REMOTE_ADDR/REMOTE_PORT reach the program, the access record
with its WSINETD_* fields and the program's stderr are in the journal,
MaxConnectionsPerSource= refuses the extra connection, systemd-analyze verify is clean,
the fd-style variant works, and wsinetd-disable closes the port."""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdlib import *  # noqa: F401,F403
from sdlib import T, Box, Raw, run, tmpdir, free_port, wait_until, port_open, ws_session, run_tests
from sdlib import ENABLE, DISABLE, ENVECHO, BIN

box = Box("t10").start()
root = tmpdir()
UD = os.path.join(root, "etc", "systemd", "system")
PORT = free_port()
FD_PORT = free_port()


def reset():
    box.systemctl("reset-failed")


def enable_prints_the_line():
    rc, out, err = run([ENABLE, "t10", "--port=%d" % PORT, "--address=127.0.0.1", "--root=" + root,
                        "--wsinetd=" + BIN, "--", ENVECHO])
    T.eq(rc, 0, "wsinetd-enable --root exits 0")
    T.ok(os.path.isfile(os.path.join(UD, "wsinetd-t10.socket")) and
         os.path.isfile(os.path.join(UD, "wsinetd-t10@.service")),
         "it wrote wsinetd-t10.socket and wsinetd-t10@.service", out + err)
    # Two connections at most from one source (for the MaxConnectionsPerSource= case).
    dropin = os.path.join(UD, "wsinetd-t10.socket.d")
    os.makedirs(dropin, exist_ok=True)
    with open(os.path.join(dropin, "limit.conf"), "w") as f:
        f.write("[Socket]\nMaxConnectionsPerSource=2\n")
    rc, _, e = box.install_unit(os.path.join(UD, "wsinetd-t10.socket"),
                                os.path.join(UD, "wsinetd-t10@.service"), dropin)
    T.eq(rc, 0, "units installed in the box")
    # Without --root the script prints the line a user runs; we run exactly that.
    rc, out2, err2 = box.exec(ENABLE, "t10x", "--port=%d" % free_port(), "--wsinetd=" + BIN,
                              "--", ENVECHO)
    lines = [l for l in out2.splitlines() if l.startswith("systemctl ")]
    T.eq(lines, ["systemctl enable --now wsinetd-t10x.socket"],
         "without --root it prints the systemctl enable --now line")
    box.exec(DISABLE, "t10x")
    rc, o, e = box.sd(*["exec"] + "systemctl enable --now wsinetd-t10.socket".split())
    T.eq(rc, 0, "systemctl enable --now wsinetd-t10.socket")
    T.ok(wait_until(lambda: port_open(PORT), 5), "the socket listens on 127.0.0.1:%d" % PORT)


def verify_clean():
    rc, out, err = box.exec("systemd-analyze", "verify", "--man=no",
                            "/etc/systemd/system/wsinetd-t10.socket",
                            "/etc/systemd/system/wsinetd-t10@.service")
    T.ok(rc == 0 and not (out + err).strip(), "systemd-analyze verify is clean", out + err)


def talk_and_env():
    local, got, code = ws_session(PORT, "/t10-talk?x=1", ["hi", "there"])
    T.ok(got[0].startswith("REMOTE_ADDR=127.0.0.1 REMOTE_PORT=%d " % local),
         "REMOTE_ADDR and REMOTE_PORT reach the program", got[0])
    T.ok("URI=/t10-talk?x=1" in got[0], "the request target reaches the program", got[0])
    uid = got[0].rsplit("UID=", 1)[-1]
    T.ok(uid.isdigit() and uid != "0", "the program runs as a dynamic user, not root", got[0])
    T.eq(got[1:], ["echo:hi", "echo:there"], "messages relayed both ways")
    T.eq(code, 1000, "Close 1000")

    def record():
        r = [j for j in box.journal_json("WSINETD_PATH=/t10-talk") if j.get("WSINETD_PEER")]
        return r
    recs = wait_until(record, 10, 0.3)
    T.eq(len(recs), 1, "one access record in the journal")
    if recs:
        r = recs[0]
        T.eq(r.get("SYSLOG_IDENTIFIER"), "wsinetd", "SYSLOG_IDENTIFIER=wsinetd")
        T.eq(r.get("WSINETD_PEER"), "127.0.0.1:%d" % local, "WSINETD_PEER")
        T.eq(r.get("WSINETD_PATH"), "/t10-talk", "WSINETD_PATH")
        T.eq(r.get("WSINETD_PROTOCOL"), "", "WSINETD_PROTOCOL empty without a subprotocol")
        T.eq(r.get("WSINETD_USER"), "", "WSINETD_USER empty without authentication")
        T.eq(r.get("WSINETD_CLOSE"), "1000", "WSINETD_CLOSE")
        T.eq(r.get("WSINETD_PEER_CLOSE"), "1000", "WSINETD_PEER_CLOSE")
        T.eq((r.get("WSINETD_MSGS_IN"), r.get("WSINETD_BYTES_IN")), ("2", "7"),
             "WSINETD_MSGS_IN/BYTES_IN")
        T.eq((r.get("WSINETD_MSGS_OUT"), r.get("WSINETD_BYTES_OUT")),
             ("3", str(len(got[0]) + len("echo:hi") + len("echo:there"))), "WSINETD_MSGS_OUT/BYTES_OUT")
        T.ok((r.get("WSINETD_DURATION_MS") or "").isdigit(), "WSINETD_DURATION_MS", r)
        T.eq(r.get("WSINETD_PROGRAM_STATUS"), "exit 0", "WSINETD_PROGRAM_STATUS")
        T.eq(r.get("WSINETD_EXIT_STATUS"), "0", "WSINETD_EXIT_STATUS")
        T.eq(r.get("PRIORITY"), "6", "PRIORITY=6 (info)")
        T.ok(r.get("MESSAGE", "").startswith("access peer=127.0.0.1:%d path=/t10-talk " % local)
             and "close=1000" in r.get("MESSAGE", ""), "a readable MESSAGE", r.get("MESSAGE"))
    # The program's stderr lands in the journal of its connection's unit.
    errs = wait_until(lambda: [j for j in box.journal_json("-t", "wsinetd")
                               if j.get("MESSAGE") == "envecho-stderr uri=/t10-talk?x=1"], 10, 0.3)
    T.eq(len(errs), 1, "the program's stderr is in the journal")
    if errs:
        T.ok(errs[0].get("_SYSTEMD_UNIT", "").startswith("wsinetd-t10@"),
             "... under the connection's wsinetd-t10@ instance", errs[0])
    # No text line duplicates the record: the stream carries no "access" line.
    dup = [j for j in box.journal_json("-t", "wsinetd", "_TRANSPORT=stdout")
           if "access peer=" in j.get("MESSAGE", "")]
    T.eq(dup, [], "no duplicate text access line on stderr under journald")


def one_instance_per_connection_and_per_source_limit():
    reset()
    # Earlier connections' instances must be gone: they count against the per-source limit.
    wait_until(lambda: not box.units("wsinetd-t10@*.service"), 10, 0.2)
    a = Raw(PORT, "/t10-a")
    b = Raw(PORT, "/t10-b")
    T.eq((a.status(), b.status()), (101, 101), "two connections upgraded")
    fa, fb = a.recv_text(), b.recv_text()
    T.ok(fa and fb and "REMOTE_PORT=%d" % a.local_port in fa and "REMOTE_PORT=%d" % b.local_port in fb,
         "each connection's program sees its own REMOTE_PORT", "%r %r" % (fa, fb))
    inst = wait_until(lambda: len(box.units("wsinetd-t10@*.service")) == 2 and
                      box.units("wsinetd-t10@*.service"), 10)
    T.eq(len(inst or []), 2, "one running wsinetd-t10@ instance per connection")
    T.ok(inst and all(("-127.0.0.1:%d.service" % c.local_port) in " ".join(inst)
                      for c in (a, b)), "instances are named after the peers", inst)
    c = Raw(PORT, "/t10-c")
    st = c.status()
    T.eq(st, None, "MaxConnectionsPerSource=2: the third connection is dropped without an answer")
    c.close()
    logs = wait_until(lambda: [j for j in box.journal_json("-u", "wsinetd-t10.socket")
                               if "Too many incoming connections" in j.get("MESSAGE", "")], 5, 0.3)
    T.ok(logs, "systemd logs the dropped connection", logs)
    a.close()
    b.close()
    T.ok(wait_until(lambda: not box.units("wsinetd-t10@*.service"), 10, 0.2),
         "instances end when their clients leave")
    _, got, _ = ws_session(PORT, "/t10-again", ["x"])
    T.eq(got[1:], ["echo:x"], "a new connection is served again once the others ended")


def fd_style_variant():
    """The documented fd style: no StandardInput=/StandardOutput= (the connection on fd 3)."""
    reset()
    rc, out, err = run([ENABLE, "t10fd", "--port=%d" % FD_PORT, "--address=127.0.0.1",
                        "--root=" + root, "--wsinetd=" + BIN, "--", ENVECHO])
    svc = os.path.join(UD, "wsinetd-t10fd@.service")
    # The drop-in the units' comments and the man page describe.
    dropin = svc + ".d"
    os.makedirs(dropin, exist_ok=True)
    with open(os.path.join(dropin, "fd.conf"), "w") as f:
        f.write("[Service]\nStandardInput=null\nStandardOutput=journal\n")
    box.install_unit(os.path.join(UD, "wsinetd-t10fd.socket"), svc, dropin)
    rc, out, _ = box.systemctl("show", "-p", "StandardInput", "wsinetd-t10fd@0.service")
    T.eq(out.strip(), "StandardInput=null", "fd style: the drop-in applies")
    rc, o, e = box.systemctl("enable", "--now", "wsinetd-t10fd.socket")
    T.eq(rc, 0, "fd style: socket enabled", o + e)
    local, got, code = ws_session(FD_PORT, "/t10-fd", ["fd"])
    T.ok(got[0].startswith("REMOTE_ADDR=127.0.0.1 REMOTE_PORT=%d " % local),
         "fd style: REMOTE_ADDR/REMOTE_PORT reach the program", got[0])
    T.eq((got[1:], code), (["echo:fd"], 1000), "fd style: relayed, Close 1000")
    recs = wait_until(lambda: box.journal_json("WSINETD_PATH=/t10-fd"), 10, 0.3)
    T.ok(recs and recs[0].get("WSINETD_PEER") == "127.0.0.1:%d" % local,
         "fd style: access record in the journal", recs)
    box.exec(DISABLE, "t10fd")


def arguments_survive_systemd_quoting():
    """Arguments with spaces, quotes, %, $ and backslashes reach the program unchanged."""
    reset()
    port = free_port()
    arg = 'a b "q" 50% $HOME \\x \'s\''
    rc, out, err = run([ENABLE, "t10q", "--port=%d" % port, "--address=127.0.0.1", "--root=" + root,
                        "--wsinetd=" + BIN, "--", "/bin/sh", "-c", 'printf "ARG=%s\\n" "$1"; exec cat',
                        "sh", arg])
    T.eq(rc, 0, "quoting: wsinetd-enable accepts the arguments", err)
    box.install_unit(os.path.join(UD, "wsinetd-t10q.socket"), os.path.join(UD, "wsinetd-t10q@.service"))
    box.systemctl("enable", "--now", "wsinetd-t10q.socket")
    _, got, _ = ws_session(port, "/", ["z"])
    T.eq(got, ["ARG=" + arg, "z"], "quoting: the program gets its argument byte for byte")
    box.exec(DISABLE, "t10q")


def disable_closes_the_port():
    reset()
    held = Raw(PORT, "/t10-held")
    T.eq(held.status(), 101, "a connection is open while we disable")
    held.recv_text()
    rc, out, err = box.exec(DISABLE, "t10")
    T.eq(rc, 0, "wsinetd-disable t10 exits 0", out + err)
    T.ok(wait_until(lambda: not port_open(PORT), 5), "the port is closed after wsinetd-disable")
    T.ok(wait_until(lambda: not box.units("wsinetd-t10@*"), 10, 0.2),
         "the running instance was stopped too")
    rc, _, _ = box.exec("sh", "-c", "ls /etc/systemd/system/wsinetd-t10* "
                        "/etc/systemd/system/sockets.target.wants/wsinetd-t10* 2>/dev/null")
    T.ok(rc != 0, "its unit files, drop-ins and symlinks are gone")
    rc, out, _ = box.systemctl("is-enabled", "wsinetd-t10.socket")
    T.ok(rc != 0, "wsinetd-t10.socket is no longer known/enabled", out)
    held.close()
    rc, out, err = box.exec(DISABLE, "t10")
    T.eq(rc, 1, "disabling it again: exit 1 (no such endpoint)")


run_tests([enable_prints_the_line, verify_clean, talk_and_env,
           one_instance_per_connection_and_per_source_limit, fd_style_variant,
           arguments_survive_systemd_quoting, disable_closes_the_port])
