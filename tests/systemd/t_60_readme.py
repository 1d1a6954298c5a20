#!/usr/bin/python3
"""The README's "Run it with systemd" section, word for word, as a new user would run it:
inside a real systemd (sdbox) with an empty /usr/local (a tmpfs in the box's own mount
namespace), as root with a login-like environment, from this checkout: `make install`,
the wsinetd-enable line, the printed `systemctl enable --now` line, a real client, the
journal lines, wsinetd-disable. Only the port changes (8080 -> a free one)."""
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdlib import T, Box, run, free_port, wait_until, port_open, ws_session, run_tests
from sdlib import REPO

box = Box("t60").start()
PORT = free_port()
LOGIN = ["env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
         "HOME=/root", "LANG=C.UTF-8", "TERM=dumb"]

with open(os.path.join(REPO, "README.md")) as f:
    readme = f.read()
sec = readme[readme.index("## Run it with systemd"):]
sec = sec[:sec.index("\n## ", 5)]
blocks = re.findall(r"```sh\n(.*?)```", sec, re.S)


def sh(line, timeout=120):
    line = line.replace("8080", str(PORT))
    return box.exec(*LOGIN, "sh", "-c", "cd %s && %s" % (REPO, line), timeout=timeout)


def walkthrough():
    if not T.ok(len(blocks) >= 2, "the section has its two sh blocks"):
        return
    rc, out, err = box.exec("mount", "-t", "tmpfs", "-o", "mode=0755", "wsinetd-t60", "/usr/local")
    T.eq(rc, 0, "an empty /usr/local inside the box", err)
    # `make install` must not rebuild: the checkout is read-only inside the box.
    stale = run(["make", "-q", "-C", REPO, "wsinetd", "wsinetd-openssl"])[0] != 0
    printed = None
    for line in [l.strip() for l in blocks[0].splitlines() if l.strip()]:
        if line.startswith("/usr/bin/python3 -m websockets"):
            _, got, code = ws_session(PORT, "/", ["hi", "hello"], first=False)
            T.eq((got[1:], code), (["Hey there", "Heya!"], 1000),
                 "README: a real client talks to the greeter through systemd")
            continue
        if line == "make install" and stale:
            T.diag("wsinetd is older than its sources (someone edits them): make -o ... install")
            line = "make -o wsinetd -o wsinetd-openssl install"
        if line.startswith("systemctl enable --now"):
            T.eq(line, printed, "README: the systemctl line is the one wsinetd-enable printed")
        rc, out, err = sh(line)
        T.eq(rc, 0, "README: %s" % line, out[-1500:] + err[-1500:])
        if line.startswith("wsinetd-enable"):
            printed = ([l for l in out.splitlines() if l.startswith("systemctl ")] or [None])[-1]
            if printed:
                printed = printed.replace(str(PORT), "8080")
        if line.startswith("systemctl enable"):
            T.ok(wait_until(lambda: port_open(PORT), 5), "the endpoint listens")
    rc, out, err = box.exec("systemd-analyze", "verify", "/etc/systemd/system/wsinetd-greeter.socket",
                            "/etc/systemd/system/wsinetd-greeter@.service")
    T.ok(rc == 0 and not (out + err).strip(),
         "systemd-analyze verify is clean, man:wsinetd(1) included", out + err)
    for line in [l for l in blocks[1].splitlines() if l.strip()]:
        cmd = line.split("  #")[0].strip()
        rc, out, err = sh(cmd)
        T.eq(rc, 0, "README: %s" % cmd, out + err)
        if cmd.startswith("journalctl -t wsinetd"):
            T.ok("WSINETD_PEER=127.0.0.1:" in out and "WSINETD_CLOSE=1000" in out,
                 "README: the journalctl line shows the access record's fields", out[-1500:])
        if cmd.startswith("wsinetd-disable"):
            T.ok(wait_until(lambda: not port_open(PORT), 5), "README: the port is closed after %s" % cmd)
    rc, out, err = sh("man -w wsinetd")
    T.ok(rc == 0 and out.strip() == "/usr/local/share/man/man1/wsinetd.1", "man wsinetd finds the page",
         out + err)


run_tests([walkthrough])
