#!/usr/bin/python3
"""OpenSSL is a plugin (handler/ossl.h): a plain endpoint never maps libssl, libcrypto or
wsinetd-openssl.so; --jwt-key and --ssl load it from beside the executable or from
../lib/wsinetd (the make install layout); a missing or foreign plugin is a one-line
start-up error (exit 2) before any socket I/O."""
import os, shutil, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import *  # noqa

D = tmpdir()
SECRET = os.path.join(D, "secret.key")
with open(SECRET, "w") as f:
    f.write("a secret that is long enough to be used as an HS256 key\n")
PLUGIN = os.path.join(os.path.dirname(BIN), "wsinetd-openssl.so")
CRYPTO_RE = re.compile(r"libssl|libcrypto|wsinetd-openssl")


def crypto_maps(pid):
    return sorted({ln.split()[-1] for ln in read_text("/proc/%d/maps" % pid).splitlines()
                   if CRYPTO_RE.search(ln)})


@test
def plain_handler_maps_no_openssl():
    out = os.path.join(D, "maps.txt")
    prog = write_script(D, "maps.sh", "#!/bin/sh\ncat /proc/$PPID/maps > %s\necho mapped\n"
                        "exec cat\n" % out)
    with Server([prog], mode="inetd") as s:
        c = RawClient(s.port)
        c.handshake()
        T.eq(c.recv_frame().payload, b"mapped", "the program ran under a plain handler")
        c.close()
    maps = read_text(out, "")
    T.ok(os.path.basename(BIN) in maps and "libc" in maps,
         "the handler's maps were read (it is the program's parent)", maps[:300])
    T.eq([ln for ln in maps.splitlines() if CRYPTO_RE.search(ln)], [],
         "the handler (the program's parent) maps no OpenSSL")
    with Server([prog], mode="listen") as s:
        T.eq(crypto_maps(s.pid), [], "a plain listener maps no OpenSSL")


@test
def jwt_key_loads_the_plugin():
    with Server(["--jwt-key=" + SECRET, "cat"], mode="listen") as s:
        m = crypto_maps(s.pid)
        T.ok(any(p.endswith("/wsinetd-openssl.so") for p in m) and
             any("libcrypto" in p for p in m), "--jwt-key: the listener mapped the plugin",
             repr(m))


def copy_binary(where):
    os.makedirs(where, exist_ok=True)
    b = os.path.join(where, "wsinetd")
    shutil.copy2(BIN, b)
    return b


@test
def installed_layout():
    root = os.path.join(D, "prefix")
    b = copy_binary(os.path.join(root, "bin"))
    os.makedirs(os.path.join(root, "lib", "wsinetd"))
    shutil.copy2(PLUGIN, os.path.join(root, "lib", "wsinetd", "wsinetd-openssl.so"))
    with Server(["--jwt-key=" + SECRET, "cat"], mode="listen", binary=b) as s:
        m = crypto_maps(s.pid)
        T.ok(os.path.join(root, "lib", "wsinetd", "wsinetd-openssl.so") in m,
             "bin/wsinetd found lib/wsinetd/wsinetd-openssl.so", repr(m))


@test
def missing_or_foreign_plugin():
    alone = copy_binary(os.path.join(D, "alone"))
    req = build_request("/", std_headers(80))
    for opt in (["--jwt-key=" + SECRET], ["--ssl", "--sslcert=/nonexistent.pem",
                                          "--sslkey=/nonexistent.pem"]):
        rc, out, err = run_pipes(opt + ["cat"], req, binary=alone)
        T.eq(rc, 2, "%s without the plugin: exit 2 (%s)" % (opt[0], err.strip()))
        T.ok("wsinetd-openssl.so" in err and err.count("\n") == 1,
             "%s without the plugin: one line naming it" % opt[0], err)
        T.eq(out, b"", "%s without the plugin: nothing written to the connection" % opt[0])
    rc, out, err = run_pipes(["cat"], req, binary=alone)
    T.ok(out.startswith(b"HTTP/1.1 101 "),
         "without TLS or JWT the plugin is not needed", "rc=%r err=%s" % (rc, err))
    # Another library under the plugin's name (libc, wherever this system keeps it: no
    # entry point), and the real plugin of another version (its version string patched).
    libc = next(ln.split()[-1] for ln in read_text("/proc/self/maps").splitlines()
                if re.search(r"/libc\.so", ln))
    with open(PLUGIN, "rb") as f:
        plugin = f.read()
    version = subprocess.run([BIN, "--version"], stdout=subprocess.PIPE, text=True).stdout.split()[-1]
    old = version.encode() + b"\0"
    T.eq(plugin.count(old), 1, "the plugin holds its version string once (%s)" % version)
    for what, data in (("a foreign library", open(libc, "rb").read()),
                       ("a plugin of another version", plugin.replace(old, b"9" * (len(old) - 1) + b"\0"))):
        foreign = copy_binary(os.path.join(D, "foreign"))
        with open(os.path.join(D, "foreign", "wsinetd-openssl.so"), "wb") as f:
            f.write(data)
        rc, out, err = run_pipes(["--jwt-key=" + SECRET, "cat"], req, binary=foreign)
        T.eq(rc, 2, "%s as wsinetd-openssl.so: exit 2 (%s)" % (what, err.strip()))
        T.ok("does not belong" in err and err.count("\n") == 1,
             "%s: one line naming it as not ours" % what, err)


if __name__ == "__main__":
    sys.exit(main())
