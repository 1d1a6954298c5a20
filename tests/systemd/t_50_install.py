#!/usr/bin/python3
"""make install with PREFIX and DESTDIR: the binary, wsinetd-enable/-disable, the example
scripts, the unit templates (their paths rewritten to PREFIX) and wsinetd.1; the man page
renders without warnings and documents every option of `wsinetd --help` (and no other),
the exit statuses, the environment and the units; the installed wsinetd-enable uses the
wsinetd and the templates installed beside it."""
import os
import re
import shutil
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdlib import T, run, tmpdir, run_tests
from sdlib import BIN, REPO

dest = tmpdir()
PREFIX = "/opt/wsi"
P = dest + PREFIX
MAN = os.path.join(REPO, "wsinetd.1")


def install():
    # -o: install what `make` built, never rebuild from a test.
    rc, out, err = run(["make", "-s", "-C", REPO, "-o", "wsinetd", "-o", "wsinetd-openssl", "install",
                        "PREFIX=" + PREFIX, "DESTDIR=" + dest], timeout=120)
    T.eq(rc, 0, "make install PREFIX=%s DESTDIR=... exits 0" % PREFIX, out + err)
    want = {
        "bin/wsinetd": 0o755, "lib/wsinetd/wsinetd-openssl": 0o755,
        "bin/wsinetd-enable": 0o755, "bin/wsinetd-disable": 0o755,
        "share/man/man1/wsinetd.1": 0o644,
        "share/wsinetd/scripts/greeter.sh": 0o755, "share/wsinetd/scripts/count.sh": 0o755,
        "share/wsinetd/units/wsinetd-example.socket": 0o644,
        "share/wsinetd/units/wsinetd-example@.service": 0o644,
        "share/wsinetd/units/accept-no/wsinetd-example.socket": 0o644,
        "share/wsinetd/units/accept-no/wsinetd-example.service": 0o644,
        "share/wsinetd/units/inetd.conf.example": 0o644,
        "share/wsinetd/units/xinetd.wsinetd.example": 0o644,
    }
    bad = []
    for rel, mode in want.items():
        p = os.path.join(P, rel)
        if not os.path.isfile(p) or (os.stat(p).st_mode & 0o777) != mode:
            bad.append(rel)
    T.eq(bad, [], "every file installed under DESTDIR/PREFIX with its mode")
    T.ok(not os.path.exists(os.path.join(dest, "usr")) and not os.path.exists(os.path.join(dest, "etc")),
         "nothing outside PREFIX")
    with open(os.path.join(P, "share/wsinetd/units/wsinetd-example@.service")) as f:
        svc = f.read()
    T.ok("\nExecStart=%s/bin/wsinetd %s/share/wsinetd/scripts/greeter.sh\n" % (PREFIX, PREFIX) in svc
         and "/usr/local/" not in svc, "the installed template names PREFIX's paths")
    rc, out, err = run([os.path.join(P, "bin/wsinetd"), "--version"])
    T.ok(rc == 0 and out.strip(), "the installed binary runs", out + err)


def installed_enable():
    root = tmpdir()
    rc, out, err = run([os.path.join(P, "bin/wsinetd-enable"), "inst", "--port=8099",
                        "--root=" + root, "--", "/bin/cat"])
    T.eq(rc, 0, "the installed wsinetd-enable works without --wsinetd", err)
    svc = os.path.join(root, "etc/systemd/system/wsinetd-inst@.service")
    text = open(svc).read() if os.path.exists(svc) else ""
    T.ok("\nExecStart=%s/bin/wsinetd -- /bin/cat\n" % P in text,
         "... with the wsinetd installed beside it", text)
    T.ok("share/wsinetd/units/wsinetd-example@.service" in text,
         "... from the installed templates", text[:400])


def man_renders():
    if not shutil.which("man"):
        T.ok(False, "man is installed (scripts/install-deps installs man-db)")
        return
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
    for m in (MAN, os.path.join(P, "share/man/man1/wsinetd.1")):
        rc, out, err = run(["man", "--warnings", "-l", m], env=env)
        T.ok(rc == 0 and not err.strip(), "man --warnings -l %s: no warnings" % os.path.relpath(m, dest if m.startswith(dest) else REPO),
             err)
    rc, out, err = run(["man", "-l", MAN], env=env)
    for section in ("SYNOPSIS", "OPTIONS", "ENVIRONMENT", "EXIT STATUS", "LOGGING", "UNITS", "INETD"):
        T.ok(re.search(r"^%s$" % section, out, re.M), "the man page has %s" % section)


def man_in_sync_with_help():
    rc, out, err = run([BIN, "--help"])
    helped = set(re.findall(r"^\s+(--[a-z][a-z0-9-]*)", out, re.M))
    T.ok(len(helped) > 10, "wsinetd --help lists the options", out)
    with open(MAN) as f:
        src = f.read()
    # Option headings: the .TP tag lines of OPTIONS, "\-\-name".
    opts_sec = src[src.index(".SH OPTIONS"):src.index(".SH ENVIRONMENT")]
    tags = set()
    lines = opts_sec.splitlines()
    for i, l in enumerate(lines):
        if l.startswith(".TP") and i + 1 < len(lines):
            m = re.search(r"\\-\\-([a-z][a-z0-9\\-]*?)(?:=|\s|$|\")", lines[i + 1])
            if m:
                tags.add("--" + m.group(1).replace("\\-", "-"))
    T.eq(sorted(helped - tags), [], "every option of --help has an entry in wsinetd.1 OPTIONS")
    T.eq(sorted(tags - helped), [], "wsinetd.1 OPTIONS documents no option --help lacks")
    for code in range(6):
        T.ok(re.search(r"^\.TP\n\.B %d\n" % code, src, re.M), "exit status %d documented" % code)


run_tests([install, installed_enable, man_renders, man_in_sync_with_help])
