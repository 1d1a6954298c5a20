#!/usr/bin/python3
"""Hardening: `systemd-analyze security --offline=true` (run inside the sdbox, as the tools
README says) rates the shipped template service, the shipped Accept=no service and a
service written by wsinetd-enable at most 2.0; the hardening list of the issue is in
each; the opt-in directives stay out."""
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdlib import T, Box, run, tmpdir, free_port, run_tests
from sdlib import ENABLE, ENVECHO, BIN, REPO

MAX = 2.0
REQUIRED = ["DynamicUser=yes", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
            "PrivateTmp=yes", "PrivateDevices=yes", "ProtectKernelTunables=yes",
            "ProtectKernelModules=yes", "ProtectKernelLogs=yes", "ProtectControlGroups=yes",
            "RestrictNamespaces=yes", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
            "LockPersonality=yes", "SystemCallFilter=@system-service",
            "SystemCallArchitectures=native", "MemoryMax=", "TasksMax="]
OPT_IN = ["MemoryDenyWriteExecute", "PrivateNetwork", "IPAddressDeny", "ProcSubset"]

box = Box("t30").start()
root = tmpdir()
rc, out, err = run([ENABLE, "t30", "--port=%d" % free_port(), "--root=" + root, "--wsinetd=" + BIN,
                    "--", ENVECHO])
GEN = os.path.join(root, "etc", "systemd", "system", "wsinetd-t30@.service")
if rc == 0:
    box.install_unit(GEN)
FILES = [
    ("shipped template units/wsinetd-example@.service",
     os.path.join(REPO, "units", "wsinetd-example@.service")),
    ("shipped units/accept-no/wsinetd-example.service",
     os.path.join(REPO, "units", "accept-no", "wsinetd-example.service")),
    ("wsinetd-enable's wsinetd-t30@.service", "/etc/systemd/system/wsinetd-t30@.service"),
]


def exposure():
    for what, path in FILES:
        rc, out, err = box.exec("systemd-analyze", "security", "--offline=true", "--no-pager", path)
        m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out + err)
        score = float(m.group(1)) if m else None
        T.ok(score is not None and score <= MAX, "%s: exposure %s <= %.1f" % (what, score, MAX),
             (out + err)[-3000:])


def directives():
    for what, path in FILES[:2] + [("generated", GEN)]:
        with open(path) as f:
            lines = [l.strip() for l in f if not l.lstrip().startswith("#")]
        missing = [d for d in REQUIRED if not any(l.startswith(d) for l in lines)]
        T.eq(missing, [], "%s: every hardening directive of the issue is set" % what)
        opt = [d for d in OPT_IN if any(l.startswith(d + "=") for l in lines)]
        T.eq(opt, [], "%s: the opt-in directives are not set" % what)
    with open(FILES[0][1]) as f:
        text = f.read()
    T.ok(all(("#   %s" % d) in text for d in ("MemoryDenyWriteExecute=yes", "PrivateNetwork=yes")) and
         "User=" in text and "DynamicUser=no" in text,
         "the template documents the opt-in directives and a User= drop-in")


run_tests([exposure, directives])
