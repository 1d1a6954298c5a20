"""sdlib - helpers for tests/systemd: TAP output, one sdbox (a real systemd in private
namespaces, ../shared/tools/sdbox) per test file, free ports, WebSocket clients.

Rules kept here: 127.0.0.1 only, every wait bounded, every process we start is killed
by PID, the box is stopped at exit (also on a signal). Where the box cannot start (no
unshare, not root), the file prints "1..0 # SKIP <reason>" and exits 0.
"""

import asyncio
import atexit
import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
from wslib import free_port  # noqa: E402  (one port picker for every suite)
SDBOX = os.path.normpath(os.path.join(REPO, "..", "shared", "tools", "sdbox"))
BIN = os.path.join(REPO, "wsinetd")
ENABLE = os.path.join(REPO, "scripts", "wsinetd-enable")
DISABLE = os.path.join(REPO, "scripts", "wsinetd-disable")
ENVECHO = os.path.join(HERE, "envecho.sh")


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, name), flush=True)
        if not cond:
            self.failed += 1
            if diag:
                for line in str(diag).splitlines()[-40:]:
                    print("#   " + line, flush=True)
        return bool(cond)

    def eq(self, got, want, name, diag=None):
        d = "got %r, want %r" % (got, want)
        return self.ok(got == want, name, d + ("\n" + str(diag) if diag else ""))

    def diag(self, msg):
        for line in str(msg).splitlines():
            print("# " + line, flush=True)

    def done(self):
        print("1..%d" % self.n, flush=True)
        sys.exit(1 if self.failed else 0)


T = Tap()


def skip_all(reason):
    print("1..0 # SKIP %s" % reason, flush=True)
    sys.exit(0)



def wait_until(pred, timeout, step=0.05):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > end:
            return v
        time.sleep(step)


def port_open(port):
    s = socket.socket()
    s.settimeout(1)
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def run(argv, timeout=60, input=None, env=None):
    """Run a host command; returns (rc, stdout, stderr)."""
    p = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout, env=env)
    return p.returncode, p.stdout, p.stderr


def tmpdir(prefix="wsinetd-sd-"):
    d = tempfile.mkdtemp(prefix=prefix)
    atexit.register(lambda: subprocess.run(["rm", "-rf", d]))
    return d


class Box:
    """One sdbox instance, named uniquely for this test file and process."""

    def __init__(self, tag):
        self.name = "wsinetd-%s-%d" % (tag, os.getpid())
        self.env = dict(os.environ, SDBOX_NAME=self.name)
        self.started = False

    def start(self):
        if os.geteuid() != 0:
            skip_all("sdbox needs root")
        if not os.access(SDBOX, os.X_OK):
            skip_all("no sdbox at %s" % SDBOX)
        # The box has its own /tmp, /run and /var/tmp, and the hardened units add
        # PrivateTmp on top: a checkout below them is invisible to the services under
        # test, which run the checkout's wsinetd and scripts (sdbox README, caveat 2).
        real = os.path.realpath(REPO) + "/"
        hidden = [d for d in ("/tmp/", "/run/", "/var/tmp/", "/dev/shm/") if real.startswith(d)]
        if hidden:
            skip_all("the checkout %s is below %s, which the box and its PrivateTmp services "
                     "cannot see: run from a checkout elsewhere" % (REPO, hidden[0]))
        atexit.register(self.stop)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, lambda *_: sys.exit(1))
        p = subprocess.run([SDBOX, "start"], capture_output=True, text=True, env=self.env, timeout=60)
        if p.returncode != 0:
            self.stop()
            why = (p.stderr.strip().splitlines() or ["?"])[-1]
            # The machine cannot host a box (no namespaces, no root, no util-linux, no
            # systemd, no cgroups): say SKIP with the reason. Anything else (a boot that
            # failed or timed out) is a failure, never a silent pass.
            if re.search(r"unshare|namespaces|must run as root|not found|no cgroup", why):
                skip_all("the sdbox cannot start here: %s" % why)
            print("1..1\nnot ok 1 - sdbox start\n# %s" % p.stderr.strip().replace("\n", "\n# "),
                  flush=True)
            sys.exit(1)
        self.started = True
        return self

    def stop(self):
        subprocess.run([SDBOX, "stop"], capture_output=True, env=self.env, timeout=60)

    def sd(self, *args, timeout=60, input=None):
        p = subprocess.run([SDBOX] + list(args), capture_output=True, text=True, env=self.env,
                           timeout=timeout, input=input)
        return p.returncode, p.stdout, p.stderr

    def exec(self, *args, timeout=60):
        return self.sd("exec", *args, timeout=timeout)

    def systemctl(self, *args, timeout=60):
        return self.sd("systemctl", *args, timeout=timeout)

    def install_unit(self, *paths):
        return self.sd("install-unit", *paths)

    def journal_json(self, *args):
        rc, out, err = self.sd("journal", "-o", "json", *args)
        recs = []
        for line in out.splitlines():
            try:
                recs.append(json.loads(line))
            except ValueError:
                pass
        return recs

    def units(self, pattern):
        """Names of loaded units matching pattern that are active."""
        rc, out, _ = self.systemctl("list-units", "--plain", "--no-legend", "--state=active", pattern)
        return [l.split()[0] for l in out.splitlines() if l.strip()]


# ------------------------------------------------------------------ clients

def ws_session(port, path, lines, timeout=10, protocols=None, first=True):
    """Debian's python3-websockets as a real client: connect, receive the first message
    (unless first=False), send each of lines and receive one answer each, close. Returns
    (local_port, [messages], close_code)."""
    import websockets

    async def go():
        async with websockets.connect("ws://127.0.0.1:%d%s" % (port, path), open_timeout=timeout,
                                      close_timeout=3, subprotocols=protocols) as w:
            local = w.transport.get_extra_info("sockname")[1]
            got = [await asyncio.wait_for(w.recv(), timeout)] if first else [None]
            for l in lines:
                await w.send(l)
                got.append(await asyncio.wait_for(w.recv(), timeout))
            await w.close()
            return local, got, w.close_code

    return asyncio.run(asyncio.wait_for(go(), timeout + 5))


class Raw:
    """A raw client for holding connections open and looking at refusals."""

    def __init__(self, port, path="/", timeout=10):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.local_port = self.s.getsockname()[1]
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
               % (path, port, key))
        try:
            self.s.sendall(req.encode())
        except OSError:
            pass

    def status(self):
        """The HTTP status of the answer, or None if the connection ended without one."""
        try:
            while b"\r\n\r\n" not in self.buf:
                d = self.s.recv(4096)
                if not d:
                    return None
                self.buf += d
        except OSError:
            return None
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        m = re.match(rb"HTTP/1\.1 (\d+)", head)
        return int(m.group(1)) if m else None

    def recv_text(self):
        """One unmasked server frame's payload (text), or None."""
        try:
            while True:
                if len(self.buf) >= 2:
                    n = self.buf[1] & 0x7F
                    off = 2
                    if n == 126:
                        n, off = int.from_bytes(self.buf[2:4], "big"), 4
                    elif n == 127:
                        n, off = int.from_bytes(self.buf[2:10], "big"), 10
                    if len(self.buf) >= off + n:
                        p, self.buf = self.buf[off:off + n], self.buf[off + n:]
                        return p.decode("utf-8", "replace")
                d = self.s.recv(4096)
                if not d:
                    return None
                self.buf += d
        except OSError:
            return None

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def run_tests(fns):
    for f in fns:
        try:
            f()
        except Exception:
            T.ok(False, "%s raised" % f.__name__, traceback.format_exc())
    T.done()
