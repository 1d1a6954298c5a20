#!/usr/bin/python3
"""wsinetd-enable / wsinetd-disable without a systemd: every validation rule (name, port,
address, program, wsinetd's own options, no silent overwrite) refuses with exit 2 and
writes nothing; the written units are the shipped templates with our name, listen lines
and command; --force replaces; wsinetd-disable --root removes files and links."""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdlib import T, run, tmpdir, run_tests
from sdlib import ENABLE, DISABLE, ENVECHO, BIN, REPO

root = tmpdir()
UD = os.path.join(root, "etc", "systemd", "system")


def enable(*args):
    return run([ENABLE] + list(args))


def files():
    return sorted(os.listdir(UD)) if os.path.isdir(UD) else []


def refusals():
    W = "--wsinetd=" + BIN
    R = "--root=" + root
    cases = [
        ("a name with a dot", ["a.b", "--port=8080", R, W, "--", ENVECHO]),
        ("a name with a slash", ["a/b", "--port=8080", R, W, "--", ENVECHO]),
        ("a name with @", ["a@b", "--port=8080", R, W, "--", ENVECHO]),
        ("a name starting with -", ["-x", "--port=8080", R, W, "--", ENVECHO]),
        ("a name of 65 characters", ["a" * 65, "--port=8080", R, W, "--", ENVECHO]),
        ("no --port", ["ok", R, W, "--", ENVECHO]),
        ("port 0", ["ok", "--port=0", R, W, "--", ENVECHO]),
        ("port 65536", ["ok", "--port=65536", R, W, "--", ENVECHO]),
        ("port 080", ["ok", "--port=080", R, W, "--", ENVECHO]),
        ("port abc", ["ok", "--port=abc", R, W, "--", ENVECHO]),
        ("a bad address", ["ok", "--port=8080", "--address=1.2.3.4;rm", R, W, "--", ENVECHO]),
        ("two addresses with --accept=no", ["ok", "--port=8080", "--accept=no", "--address=127.0.0.1",
                                            "--address=::1", R, W, "--", ENVECHO]),
        ("--accept=maybe", ["ok", "--port=8080", "--accept=maybe", R, W, "--", ENVECHO]),
        ("no '--'", ["ok", "--port=8080", R, W, ENVECHO]),
        ("nothing after '--'", ["ok", "--port=8080", R, W, "--"]),
        ("a program that does not exist", ["ok", "--port=8080", R, W, "--", "/nonexistent/prog"]),
        ("a program that is not executable", ["ok", "--port=8080", R, W, "--", "/etc/passwd"]),
        ("a directory as program", ["ok", "--port=8080", R, W, "--", "/usr/bin"]),
        ("a program not in PATH", ["ok", "--port=8080", R, W, "--", "no-such-program-xyz"]),
        ("an unknown wsinetd option", ["ok", "--port=8080", R, W, "--no-such-option", "--", ENVECHO]),
        ("a bad wsinetd option value", ["ok", "--port=8080", R, W, "--maxforks=lots", "--", ENVECHO]),
        ("a relative --wsinetd", ["ok", "--port=8080", R, "--wsinetd=wsinetd", "--", ENVECHO]),
        ("a newline in an argument", ["ok", "--port=8080", R, W, "--", ENVECHO, "a\nb"]),
        ("a relative --dir", ["ok", "--port=8080", R, W, "--dir=scripts"]),
        ("a relative --config", ["ok", "--port=8080", R, W, "--config=x.json", "--", ENVECHO]),
    ]
    for what, args in cases:
        rc, out, err = enable(*args)
        T.ok(rc == 2 and err.strip() and len(err.strip().splitlines()) <= 20,
             "refused with exit 2 and a reason: %s" % what, "rc=%d\n%s%s" % (rc, out, err))
    rc, out, err = enable()
    T.ok(rc == 2 and err.startswith("Usage: wsinetd-enable"), "no arguments: the usage, exit 2")
    T.eq(files(), [], "nothing was written by a refused call")
    rc, out, err = enable("--help")
    T.ok(rc == 0 and "Usage: wsinetd-enable NAME --port=PORT" in out, "--help prints the usage")


def writes_and_overwrite():
    W = "--wsinetd=" + BIN
    R = "--root=" + root
    rc, out, err = enable("e1", "--port=8088", "--address=127.0.0.1", "--address=::1", R, W,
                          "--protocol=chat", "--", ENVECHO, "a b", "50%", "$HOME", 'q"x')
    T.eq(rc, 0, "a valid call exits 0", err)
    T.eq(files(), ["wsinetd-e1.socket", "wsinetd-e1@.service"], "it writes the socket and the template")
    with open(os.path.join(UD, "wsinetd-e1.socket")) as f:
        sock = f.read()
    with open(os.path.join(UD, "wsinetd-e1@.service")) as f:
        svc = f.read()
    T.ok("\nListenStream=127.0.0.1:8088\nListenStream=[::1]:8088\n" in sock,
         "one ListenStream= per address, IPv6 bracketed", sock)
    T.ok("\nAccept=yes\n" in sock and "\nMaxConnections=" in sock and "\nMaxConnectionsPerSource=" in sock,
         "Accept=yes with the connection limits", sock)
    want = 'ExecStart=%s --protocol=chat -- %s "a b" "50%%%%" "$$HOME" "q\\"x"' % (BIN, ENVECHO)
    T.ok("\n" + want + "\n" in svc, "ExecStart= quotes for systemd", "want %s\n%s" % (want, svc))
    with open(os.path.join(REPO, "units", "wsinetd-example@.service")) as f:
        tmpl = f.read()
    body = lambda t: [l for l in t[t.index("[Unit]"):].splitlines()
                      if not l.startswith(("Description=", "ExecStart="))]
    T.eq(body(svc), body(tmpl), "the service is the shipped template apart from name and command")
    rc, out, err = enable("e1", "--port=8089", R, W, "--", ENVECHO)
    T.ok(rc == 2 and "exists" in err, "an existing endpoint is not overwritten", err)
    rc, out, err = enable("e2", "--port=8088", R, W, "--", ENVECHO)
    T.ok(rc == 2 and "wsinetd-e1" in err, "a port another endpoint uses is refused", err)
    T.eq(files(), ["wsinetd-e1.socket", "wsinetd-e1@.service"], "... and nothing was written")
    rc, out, err = enable("e1", "--port=8089", "--accept=no", "--force", R, W, "--", ENVECHO)
    T.eq(rc, 0, "--force replaces it", err)
    T.eq(files(), ["wsinetd-e1.service", "wsinetd-e1.socket"],
         "switching to --accept=no leaves no per-connection template behind")
    with open(os.path.join(UD, "wsinetd-e1.socket")) as f:
        sock = f.read()
    T.ok("\nAccept=no\n" in sock and "\nListenStream=8089\n" in sock, "the new socket", sock)
    T.ok(out.strip().splitlines()[-1] == "systemctl --root=%s enable wsinetd-e1.socket" % root,
         "with --root it prints the offline enable line", out)


def dir_without_program():
    d = os.path.join(REPO, "scripts")
    rc, out, err = enable("d1", "--port=8097", "--root=" + root, "--wsinetd=" + BIN, "--dir=" + d)
    T.eq(rc, 0, "--dir=DIR needs no PROGRAM", err)
    with open(os.path.join(UD, "wsinetd-d1@.service")) as f:
        svc = f.read()
    T.ok("\nExecStart=%s --dir=%s\n" % (BIN, d) in svc, "ExecStart= has --dir and no '--'", svc)
    run([DISABLE, "d1", "--root=" + root])


def disable_root():
    os.makedirs(os.path.join(UD, "sockets.target.wants"), exist_ok=True)
    os.symlink("../wsinetd-e1.socket", os.path.join(UD, "sockets.target.wants", "wsinetd-e1.socket"))
    os.makedirs(os.path.join(UD, "wsinetd-e1.service.d"))
    rc, out, err = run([DISABLE, "e1", "--root=" + root])
    T.eq(rc, 0, "wsinetd-disable --root exits 0", err)
    T.eq(files(), ["sockets.target.wants"], "unit files and drop-ins removed")
    T.eq(os.listdir(os.path.join(UD, "sockets.target.wants")), [], "enablement link removed")
    rc, out, err = run([DISABLE, "e1", "--root=" + root])
    T.eq(rc, 1, "no such endpoint: exit 1")
    rc, out, err = run([DISABLE, "bad.name", "--root=" + root])
    T.eq(rc, 2, "a bad name: exit 2")


run_tests([refusals, writes_and_overwrite, dir_without_program, disable_root])
