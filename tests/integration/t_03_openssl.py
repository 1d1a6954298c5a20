#!/usr/bin/python3
"""What needs shared libraries runs in wsinetd-openssl (handler/ossl.h): a plain endpoint
maps no OpenSSL (with the default STATIC=1 build, no shared object at all, and musl's
start-up: not one `cpuid` instruction, where glibc's runs dozens); --jwt-key,
--ssl and a host name in --address make wsinetd exec wsinetd-openssl, found beside the
executable or in ../lib/wsinetd (the make install layout), in the same process; the
hand-over variable never reaches the program; a missing wsinetd-openssl, one of another
version, or wsinetd installed under its name is a one-line start-up error (exit 2)
before any socket I/O."""
import os, shutil, socket, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import *  # noqa

D = tmpdir()
SECRET = os.path.join(D, "secret.key")
with open(SECRET, "w") as f:
    f.write("a secret that is long enough to be used as an HS256 key\n")
TWIN = os.path.join(os.path.dirname(BIN), "wsinetd-openssl")
CRYPTO_RE = re.compile(r"libssl|libcrypto|wsinetd-openssl")
HANDOFF_ENV = "WSINETD_OPENSSL_FOR"


def crypto_maps(pid):
    return sorted({ln.split()[-1] for ln in read_text("/proc/%d/maps" % pid).splitlines()
                   if CRYPTO_RE.search(ln)})


def exe_of(pid):
    try:
        return os.readlink("/proc/%d/exe" % pid)
    except OSError:
        return None


def handler_maps(tag):
    """/proc/PID/maps of a plain handler under inetd, read by its program (the handler is
    the program's parent)."""
    out = os.path.join(D, tag + "-maps.txt")
    prog = write_script(D, tag + ".sh", "#!/bin/sh\ncat /proc/$PPID/maps > %s\necho mapped\n"
                        "exec cat\n" % out)
    with Server([prog], mode="inetd") as s:
        c = RawClient(s.port)
        c.handshake()
        T.eq(c.recv_frame().payload, b"mapped", "%s: the program ran under a plain handler" % tag)
        c.close()
    return read_text(out, "")


@test
def plain_handler_maps_no_openssl():
    maps = handler_maps("openssl")
    T.ok(os.path.basename(BIN) in maps, "the handler's maps were read (it is the program's parent)",
         maps[:300])
    T.eq([ln for ln in maps.splitlines() if CRYPTO_RE.search(ln)], [],
         "the handler (the program's parent) maps no OpenSSL")
    if static_build():
        T.eq(sorted({ln.split()[-1] for ln in maps.splitlines() if ".so" in ln.split()[-1]}), [],
             "STATIC=1: the handler maps no shared object, not even libc or the loader")
    with Server(["cat"], mode="listen") as s:
        T.eq(crypto_maps(s.pid), [], "a plain listener maps no OpenSSL")
        T.eq(exe_of(s.pid), os.path.realpath(BIN), "a plain listener is wsinetd itself")


def program_headers(path):
    """[(p_type, p_vaddr, p_memsz)] of an ELF64 little-endian executable."""
    import struct
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
            return []
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    out = []
    for i in range(phnum):
        p_type, _, _, p_vaddr, _, _, p_memsz, _ = struct.unpack_from("<IIQQQQQQ", table,
                                                                     i * phentsize)
        out.append((p_type, p_vaddr, p_memsz))
    return out


PT_INTERP, PT_GNU_RELRO = 3, 0x6474e552


def static_build():
    """The STATIC=1 wsinetd: no program interpreter (and not an ASan build)."""
    return "asan" not in BIN and os.environ.get("WSINETD_STATIC", "1") == "1" and \
        not any(t == PT_INTERP for t, _, _ in program_headers(BIN))


@test
def relocated_data_is_read_only():
    # The GOT and .data.rel.ro (tables of function pointers) are read-only once relocated
    # (full RELRO): musl's start files for a static PIE leave them writable, so wsinetd
    # protects them itself; a dynamic loader does it for the other builds.
    relro = [(v, m) for t, v, m in program_headers(BIN) if t == PT_GNU_RELRO]
    T.eq(len(relro), 1, "wsinetd has a RELRO segment (linked with -z relro)")
    if not relro:
        return
    vaddr, memsz = relro[0]
    page = os.sysconf("SC_PAGE_SIZE")
    real = os.path.realpath(BIN)
    maps = [ln.split() for ln in handler_maps("relro").splitlines()]
    mine = [m for m in maps if len(m) >= 6 and m[5] == real]
    base = min((int(m[0].split("-")[0], 16) for m in mine if int(m[2], 16) == 0), default=None)
    T.ok(base is not None, "the handler's maps show the executable", repr(mine[:3]))
    if base is None:
        return
    # the last whole page of the segment, which every loader protects
    last = base + ((vaddr + memsz) // page) * page - 1
    perms = [m[1] for m in mine
             if int(m[0].split("-")[0], 16) <= last < int(m[0].split("-")[1], 16)]
    T.eq(perms, ["r--p"], "the RELRO segment is mapped read-only in the handler")


def cpuid_count(argv, limit=2000000):
    """(instructions, cpuid instructions) that argv executes, counted by single-stepping it
    under ptrace (x86-64): a cpuid is the bytes 0f a2 at the instruction pointer."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.restype = ctypes.c_long
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    TRACEME, PEEKTEXT, PEEKUSER, SINGLESTEP, KILL = 0, 1, 3, 9, 8
    RIP = 16 * 8  # offsetof(struct user_regs_struct, rip)
    pid = os.fork()
    if pid == 0:
        try:
            fd = os.open(os.devnull, os.O_RDWR)
            for n in (0, 1, 2):
                os.dup2(fd, n)
            libc.ptrace(TRACEME, 0, None, None)
            os.execve(argv[0], argv, {"PATH": "/usr/bin:/bin"})
        finally:
            os._exit(127)
    steps = cpuids = 0
    _, st = os.waitpid(pid, 0)  # stopped at the exec
    try:
        while os.WIFSTOPPED(st) and steps < limit:
            rip = libc.ptrace(PEEKUSER, pid, ctypes.c_void_p(RIP), None)
            word = libc.ptrace(PEEKTEXT, pid, ctypes.c_void_p(rip), None)
            if word & 0xffff == 0xa20f:
                cpuids += 1
            steps += 1
            libc.ptrace(SINGLESTEP, pid, None, None)
            _, st = os.waitpid(pid, 0)
    finally:
        if not os.WIFEXITED(st) and not os.WIFSIGNALED(st):
            libc.ptrace(KILL, pid, None, None)
            os.waitpid(pid, 0)
    T.ok(os.WIFEXITED(st), "%s ran to its end under the single-step count (%d steps)"
         % (argv[0], steps))
    return steps, cpuids


@test
def static_handler_runs_no_cpuid():
    if not static_build() or os.uname().machine != "x86_64":
        T.diag("static_handler_runs_no_cpuid: for the STATIC=1 build on x86-64 only")
        return
    if read_text("/proc/sys/kernel/yama/ptrace_scope", "0").strip() == "3":
        T.diag("static_handler_runs_no_cpuid: ptrace is disabled here (yama ptrace_scope 3)")
        return
    # The counter finds the cpuid instructions of glibc's start-up (dozens, each a trap
    # to the hypervisor on a virtual machine)...
    _, theirs = cpuid_count([shutil.which("true") or "/usr/bin/true"])
    T.ok(theirs > 0, "glibc's /usr/bin/true executes cpuid instructions (%d)" % theirs)
    # ...and there are none in wsinetd's, nor anywhere in a usage error's run.
    for args in (["--version"], ["--no-such-option"]):
        steps, ours = cpuid_count([BIN] + args)
        T.eq(ours, 0, "wsinetd %s executes no cpuid (%d instructions in all)" % (args[0], steps))


@test
def jwt_key_runs_wsinetd_openssl():
    with Server(["--jwt-key=" + SECRET, "cat"], mode="listen") as s:
        T.eq(exe_of(s.pid), os.path.realpath(TWIN),
             "--jwt-key: the listener's process became wsinetd-openssl (same pid)")
        T.ok(any("libcrypto" in p for p in crypto_maps(s.pid)),
             "--jwt-key: it maps libcrypto", repr(crypto_maps(s.pid)))


def listener(args, binary=None):
    port = free_port()
    err = os.path.join(D, "listener-%d.err" % port)
    with open(err, "wb") as ef:
        p = subprocess.Popen([binary or BIN, "--port=%d" % port] + args, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=ef, start_new_session=True,
                             env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    return p, port, err


@test
def host_name_address_runs_wsinetd_openssl():
    prog = write_script(D, "env.sh", '#!/bin/sh\necho "[${%s-unset}]"\n' % HANDOFF_ENV)
    p, port, err = listener(["--address=localhost", "--passenv=" + HANDOFF_ENV, prog])
    try:
        T.ok(wait_until(lambda: is_listening(port), 5), "--address=localhost: it listens",
             read_text(err))
        T.eq(exe_of(p.pid), os.path.realpath(TWIN), "a host name: wsinetd-openssl resolves it")
        c = RawClient(port)
        c.handshake()
        T.eq(c.recv_frame(5).payload, b"[unset]",
             "the program never sees the hand-over variable, even through --passenv")
        c.close()
    finally:
        kill_pid(p.pid, signal.SIGTERM)
        p.wait(10)
    p, port, err = listener(["--address=127.0.0.1", "cat"])
    try:
        T.ok(wait_until(lambda: is_listening(port), 5), "--address=127.0.0.1: it listens")
        T.eq(exe_of(p.pid), os.path.realpath(BIN), "a numeric address: wsinetd itself")
    finally:
        kill_pid(p.pid, signal.SIGTERM)
        p.wait(10)
    p, port, err = listener(["--address=no-such-host.invalid", "cat"])
    T.eq(p.wait(10), 2, "a name that does not resolve: exit 2 (a usage error)")
    T.ok("--address=no-such-host.invalid" in read_text(err), "and says which", read_text(err))


def copy_binary(where, name="wsinetd", src=None):
    os.makedirs(where, exist_ok=True)
    b = os.path.join(where, name)
    shutil.copy2(src or BIN, b)
    return b


@test
def installed_layout():
    root = os.path.join(D, "prefix")
    b = copy_binary(os.path.join(root, "bin"))
    twin = copy_binary(os.path.join(root, "lib", "wsinetd"), "wsinetd-openssl", TWIN)
    with Server(["--jwt-key=" + SECRET, "cat"], mode="listen", binary=b) as s:
        T.eq(exe_of(s.pid), twin, "bin/wsinetd ran lib/wsinetd/wsinetd-openssl")


def refused(binary, opt, want, env=None):
    req = build_request("/", std_headers(80))
    rc, out, err = run_pipes(opt + ["cat"], req, binary=binary, env=env)
    T.eq(rc, 2, "%s: exit 2 (%s)" % (" ".join(opt) or "no option", err.strip()))
    T.ok(want in err and err.count("\n") == 1, "%s: one line saying %r" % (" ".join(opt), want), err)
    T.eq(out, b"", "%s: nothing written to the connection" % " ".join(opt))


@test
def missing_or_foreign_openssl_build():
    alone = copy_binary(os.path.join(D, "alone"))
    for opt in (["--jwt-key=" + SECRET], ["--ssl", "--sslcert=/nonexistent.pem",
                                          "--sslkey=/nonexistent.pem"],
                ["--port=1", "--address=localhost"]):
        refused(alone, opt, "wsinetd-openssl")
    req = build_request("/", std_headers(80))
    rc, out, err = run_pipes(["cat"], req, binary=alone)
    T.ok(out.startswith(b"HTTP/1.1 101 "),
         "without TLS, JWT or a host name wsinetd-openssl is not needed", "rc=%r err=%s" % (rc, err))
    # wsinetd-openssl started for another version: directly, and from a wsinetd whose
    # version string was patched (so the one it passes is really checked).
    refused(TWIN, ["--jwt-key=" + SECRET], "does not belong", env={HANDOFF_ENV: "9.9.9"})
    version = subprocess.run([BIN, "--version"], stdout=subprocess.PIPE, text=True).stdout.split()[-1]
    old = version.encode() + b"\0"
    other = os.path.join(D, "other")
    with open(BIN, "rb") as f:
        data = f.read()
    T.ok(data.count(old) >= 1, "wsinetd holds its version string (%s)" % version)
    b = os.path.join(other, "wsinetd")
    os.makedirs(other, exist_ok=True)
    with open(b, "wb") as f:
        f.write(data.replace(old, b"9" * (len(old) - 1) + b"\0"))
    os.chmod(b, 0o755)
    copy_binary(other, "wsinetd-openssl", TWIN)
    refused(b, ["--jwt-key=" + SECRET], "does not belong")
    # Under inetd stderr is often the connection itself: a start-up error must not be
    # written there (garbage to a TLS client, and it would show the install paths).
    for opt in (["--jwt-key=" + SECRET], ["--ssl", "--sslcert=/x.pem", "--sslkey=/x.pem"],
                ["--no-such-option"]):
        ours, theirs = socket.socketpair()
        p = subprocess.Popen([alone] + opt + ["cat"], stdin=theirs, stdout=theirs, stderr=theirs,
                             env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                             start_new_session=True)
        theirs.close()
        ours.settimeout(10)
        got = b""
        try:
            while True:
                d = ours.recv(4096)
                if not d:
                    break
                got += d
        except OSError as e:
            got += repr(e).encode()
        ours.close()
        T.eq((p.wait(10), got), (2, b""),
             "%s with stderr on the connection: exit 2 and not a byte to the client" % opt[0])
    # wsinetd installed under the other name: refused, not exec'd again and again.
    selfish = os.path.join(D, "selfish")
    w = copy_binary(selfish)
    copy_binary(selfish, "wsinetd-openssl")
    refused(w, ["--jwt-key=" + SECRET], "is wsinetd itself")


if __name__ == "__main__":
    sys.exit(main())
