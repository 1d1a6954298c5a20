"""wslib - shared helpers for wsinetd's integration tests (TAP, servers, clients).

Every test file does:

    import os, sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from wslib import *

and then registers test functions with @test and calls main().

Environment:
  WSINETD          binary under test (default <repo>/wsinetd)
  WSLIB_LOG_DIR    if set, every server/handler stderr file is written there and kept
                   (t_90_asan.py uses it to scan for sanitizer reports)
  WSLIB_FILE_TIMEOUT  seconds one test file may run before it bails out (default 150)

Rules kept here: bind only to 127.0.0.1, every wait bounded, every process we start is
in a session of its own and killed by PID at exit (we are also a child subreaper, so
orphans of the programs come back to us and get killed and reaped too).
"""

import asyncio
import atexit
import base64
import ctypes
import hashlib
import hmac
import json
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("WSINETD") or os.path.join(REPO, "wsinetd")
NODE_DIR = os.path.join(REPO, "tests", "node")
NODE_CLIENT = os.path.join(NODE_DIR, "client.js")
PY = "/usr/bin/python3"
SSA = shutil.which("systemd-socket-activate") or "/usr/bin/systemd-socket-activate"
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
LOG_DIR = os.environ.get("WSLIB_LOG_DIR") or None
FILE_TIMEOUT = int(os.environ.get("WSLIB_FILE_TIMEOUT", "150"))
SANITIZER_RE = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:")

__all__ = [
    "HERE", "REPO", "BIN", "PY", "SSA", "NODE_CLIENT", "test", "main", "T", "Server",
    "RawClient", "Frame", "free_port", "wait_listening", "is_listening", "accept_key",
    "build_request", "std_headers", "make_key", "vmrss_kb", "status_kb", "io_wchar", "children", "descendants",
    "pid_alive", "proc_state", "group_members", "listening_inodes", "fds", "holds_listening_socket",
    "handler_children", "spare_children", "wait_until", "tmpdir", "write_script", "ws_client",
    "py_client", "node_client", "CLIENTS", "run_pipes", "spawn_pipes", "PipeConn",
    "close_payload", "parse_close", "ProtocolError", "Closed", "TimeoutErr", "kill_pid",
    "read_text", "stat_field", "ssa_exit_codes", "parse_env_lines", "OP_CONT", "OP_TEXT",
    "OP_BIN", "OP_CLOSE", "OP_PING", "OP_PONG", "LOG_DIR", "SANITIZER_RE", "json", "os",
    "re", "sys", "time", "socket", "subprocess", "signal", "base64", "struct", "select",
    "encode_frame", "Response", "b64u", "hand_hs256",
]

OP_CONT, OP_TEXT, OP_BIN, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


class TimeoutErr(Exception):
    pass


class Closed(Exception):
    pass


class ProtocolError(Exception):
    pass


# ----------------------------------------------------------------------------- processes

_started = []      # Popen objects (each a session leader)
_tmpdirs = []
_PR_SET_CHILD_SUBREAPER = 36


def _become_subreaper():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except Exception:
        pass


def read_text(path, default=""):
    try:
        with open(path, "r", errors="replace") as f:
            return f.read()
    except OSError:
        return default


def stat_field(pid, idx):
    """Field idx (1-based as in proc(5): 3=state, 4=ppid, 5=pgrp, 6=session)."""
    s = read_text("/proc/%d/stat" % pid)
    if not s:
        return None
    rest = s[s.rfind(")") + 2:].split()
    # rest[0] is field 3
    try:
        v = rest[idx - 3]
    except IndexError:
        return None
    return v if idx == 3 else int(v)


def proc_state(pid):
    return stat_field(pid, 3)


def pid_alive(pid):
    """True if pid exists and is not a zombie."""
    st = proc_state(pid)
    return st is not None and st not in ("Z", "X")


def _all_pids():
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            out.append(int(d))
    return out


def children(pid):
    """Direct children of pid (all threads), from /proc/PID/task/*/children."""
    res = []
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return res
    for tid in tids:
        for w in read_text("/proc/%d/task/%s/children" % (pid, tid)).split():
            res.append(int(w))
    return res


def descendants(pid, limit=2000):
    res, todo, seen = [], [pid], set()
    while todo and len(res) < limit:
        p = todo.pop()
        for c in children(p):
            if c not in seen:
                seen.add(c)
                res.append(c)
                todo.append(c)
    return res


def listening_inodes():
    """Inodes of the TCP sockets in state LISTEN (/proc/net/tcp, tcp6)."""
    out = set()
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in read_text(f).splitlines()[1:]:
            w = line.split()
            if len(w) > 9 and w[3] == "0A":
                out.add(w[9])
    return out


def fds(pid):
    """{fd: target} of a process (empty if it is gone)."""
    out = {}
    try:
        names = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return out
    for f in names:
        try:
            out[int(f)] = os.readlink("/proc/%d/fd/%s" % (pid, f))
        except OSError:
            pass
    return out


def holds_listening_socket(pid, inodes=None):
    """Whether pid has a listening TCP socket open: the listener, or one of its handlers
    waiting in accept (a spare, or a handler between connections with --handler-reuse,
    which keeps them while it serves too). One serving its last connection has closed
    them all."""
    inodes = listening_inodes() if inodes is None else inodes
    return any(t.startswith("socket:[") and t[8:-1] in inodes for t in fds(pid).values())


def serving(pid, inodes=None):
    """Whether a handler holds a connection: a socket other than the listening ones, or
    a child (its program)."""
    inodes = listening_inodes() if inodes is None else inodes
    return bool(children(pid)) or any(t.startswith("socket:[") and t[8:-1] not in inodes
                                      for t in fds(pid).values())


def _waiting(pid, inodes):
    return pid_alive(pid) and holds_listening_socket(pid, inodes) and not serving(pid, inodes)


def handler_children(pid):
    """Children of a listener that are not waiting in accept (zombies included)."""
    inodes = listening_inodes()
    return [c for c in children(pid) if not _waiting(c, inodes)]


def spare_children(pid):
    """A listener's live handlers waiting in accept: a spare, or (--handler-reuse) one
    back between connections."""
    inodes = listening_inodes()
    return [c for c in children(pid) if _waiting(c, inodes)]


def group_members(pgid):
    """Live (non-zombie) processes whose process group is pgid."""
    return [p for p in _all_pids() if stat_field(p, 5) == pgid and pid_alive(p)]


def status_kb(pid, field):
    """A kB figure of /proc/PID/status ("VmRSS", "VmHWM"), or None once pid is gone."""
    for line in read_text("/proc/%d/status" % pid).splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def vmrss_kb(pid):
    return status_kb(pid, "VmRSS")


def io_wchar(pid):
    """Bytes pid has written so far (/proc/PID/io), or None once it is gone."""
    for line in read_text("/proc/%d/io" % pid).splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    return None


def kill_pid(pid, sig=signal.SIGKILL):
    try:
        os.kill(pid, sig)
    except OSError:
        pass


def _reap_nontracked():
    tracked = {p.pid for p in _started}
    for c in children(os.getpid()):
        if c in tracked:
            continue
        try:
            os.waitpid(c, os.WNOHANG)
        except OSError:
            pass


def _kill_everything():
    """Kill every process we started, whatever became of its tree, by PID."""
    me = os.getpid()
    for _ in range(5):
        victims = set(descendants(me))
        sessions = {p.pid for p in _started}
        for pid in _all_pids():
            if pid == me:
                continue
            if stat_field(pid, 6) in sessions:
                victims.add(pid)
        victims.discard(me)
        if not victims:
            break
        for v in victims:
            kill_pid(v)
        for p in _started:
            try:
                p.wait(timeout=0.5)
            except Exception:
                pass
        _reap_nontracked()
        time.sleep(0.05)
    _reap_nontracked()


def _cleanup():
    _kill_everything()
    if not os.environ.get("WSLIB_KEEP_TMP"):
        while _tmpdirs:
            shutil.rmtree(_tmpdirs.pop(), ignore_errors=True)


def tmpdir():
    if not _tmpdirs:
        atexit.register(_cleanup)  # also when a script uses wslib without main()
    d = tempfile.mkdtemp(prefix="wsinetd-it-")
    _tmpdirs.append(d)
    return d


def _log_file(tag):
    d = LOG_DIR or tmpdir()
    os.makedirs(d, exist_ok=True)
    fd, path = tempfile.mkstemp(prefix="%s-" % tag, suffix=".stderr", dir=d)
    os.close(fd)
    return path


def write_script(dirpath, name, text, mode=0o755):
    p = os.path.join(dirpath, name)
    with open(p, "w") as f:
        f.write(text)
    os.chmod(p, mode)
    return p


def wait_until(fn, timeout=5.0, interval=0.05):
    """Poll fn() until truthy or timeout; returns the last value. Bounded."""
    deadline = time.monotonic() + timeout
    n = 0
    v = fn()
    while not v and time.monotonic() < deadline and n < 100000:
        time.sleep(interval)
        n += 1
        v = fn()
    return v


# ----------------------------------------------------------------------------- ports

def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def is_listening(port):
    """Whether something listens on 127.0.0.1:port, from /proc/net/tcp (no connection made,
    so socket-activated servers do not see a probe)."""
    want = "0100007F:%04X" % port
    for line in read_text("/proc/net/tcp").splitlines()[1:]:
        f = line.split()
        if len(f) > 3 and f[1] == want and f[3] == "0A":
            return True
    return False


def wait_listening(port, timeout=10.0):
    return wait_until(lambda: is_listening(port), timeout, 0.02)


# ----------------------------------------------------------------------------- servers

class Server:
    """wsinetd started one of four ways, stderr in a file:
      'inetd'    systemd-socket-activate --inetd -a -l 127.0.0.1:PORT -- wsinetd ARGS
      'fd'       systemd-socket-activate -a -l 127.0.0.1:PORT -- wsinetd ARGS (fd 3)
      'listen'   wsinetd --port=PORT --address=127.0.0.1 ARGS
      'listenfd' systemd-socket-activate -l 127.0.0.1:PORT -- wsinetd ARGS (listening fd 3)
    args: wsinetd options and program. env: extra variables for wsinetd (through -E for
    the socket-activated modes; systemd-socket-activate does not pass its environment on)."""

    def __init__(self, args, mode="inetd", env=None, binary=None, tag=None, preexec_fn=None):
        self.mode = mode
        self.preexec_fn = preexec_fn
        self.args = list(args)
        self.env = dict(env or {})
        self.binary = binary or BIN
        self.proc = None
        self.port = None
        self.stderr_path = _log_file(tag or ("srv-" + mode))
        self.stdout_path = self.stderr_path[:-len(".stderr")] + ".stdout"
        last = None
        for _ in range(3):
            self.port = free_port()
            self._start()
            if wait_listening(self.port, 10.0) and self.proc.poll() is None:
                return
            last = read_text(self.stderr_path)
            self.stop()
        raise RuntimeError("server (%s) did not listen on %d: %s" % (mode, self.port, last))

    def _start(self):
        addr = "127.0.0.1:%d" % self.port
        base_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                base_env[k] = os.environ[k]
        if self.mode in ("inetd", "fd", "listenfd"):
            cmd = [SSA]
            if self.mode == "inetd":
                cmd += ["--inetd", "-a"]
            elif self.mode == "fd":
                cmd += ["-a"]
            cmd += ["-l", addr]
            for k, v in list(base_env.items()) + list(self.env.items()):
                cmd += ["-E", "%s=%s" % (k, v)]
            cmd += ["--", self.binary] + self.args
            env = dict(base_env)
        elif self.mode == "listen":
            cmd = [self.binary, "--port=%d" % self.port, "--address=127.0.0.1"] + self.args
            env = dict(base_env)
            env.update(self.env)
        else:
            raise ValueError(self.mode)
        self.cmd = cmd
        with open(self.stderr_path, "ab") as ef, open(self.stdout_path, "ab") as of:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=of, stderr=ef,
                                         env=env, start_new_session=True, close_fds=True,
                                         preexec_fn=self.preexec_fn)
        _started.append(self.proc)

    @property
    def pid(self):
        return self.proc.pid

    def url(self, path="/"):
        return "ws://127.0.0.1:%d%s" % (self.port, path)

    def stderr(self):
        return read_text(self.stderr_path)

    def handlers(self):
        """PIDs of the handler processes serving a connection now (zombies excluded;
        a listener's handlers waiting in accept too: spare_children)."""
        return [c for c in handler_children(self.proc.pid) if pid_alive(c)]

    def spares(self):
        """PIDs of a listener's spare handlers (see holds_listening_socket)."""
        return spare_children(self.proc.pid)

    def wait_handler(self, timeout=5.0, exclude=()):
        """Wait for a new handler process (not in exclude); returns its pid or None."""
        def f():
            hs = [h for h in self.handlers() if h not in exclude]
            return hs[0] if hs else None
        return wait_until(f, timeout)

    def stop(self):
        if not self.proc:
            return
        me_sessions = self.proc.pid
        victims = set(descendants(self.proc.pid)) | {self.proc.pid}
        for pid in _all_pids():
            if stat_field(pid, 6) == me_sessions:
                victims.add(pid)
        for v in victims:
            kill_pid(v)
        try:
            self.proc.wait(timeout=5)
        except Exception:
            pass
        _reap_nontracked()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.stop()


def ssa_exit_codes(stderr_text):
    """systemd-socket-activate logs 'Child PID died with code N' for each handler."""
    return [(int(p), int(c)) for p, c in re.findall(r"Child (\d+) died with code (-?\d+)", stderr_text)]


# ----------------------------------------------------------------------------- raw client

def make_key(raw=None):
    return base64.b64encode(raw if raw is not None else os.urandom(16)).decode()


def accept_key(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def b64u(b):
    """base64url without padding (RFC 7515 2), as JWTs use it."""
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def hand_hs256(header_json, claims_json, secret_bytes):
    """A token made here with Python's hmac, for shapes no JWT library will produce."""
    si = b64u(header_json.encode()) + "." + b64u(claims_json.encode())
    return si + "." + b64u(hmac.new(secret_bytes, si.encode(), hashlib.sha256).digest())


def std_headers(port, key=None, protocols=None):
    h = [("Host", "127.0.0.1:%d" % port), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
         ("Sec-WebSocket-Key", key or make_key()), ("Sec-WebSocket-Version", "13")]
    if protocols:
        h.append(("Sec-WebSocket-Protocol", protocols))
    return h


def build_request(path="/", headers=(), method="GET", version="HTTP/1.1", line=None):
    head = line if line is not None else "%s %s %s" % (method, path, version)
    out = head + "\r\n" + "".join("%s: %s\r\n" % (k, v) for k, v in headers) + "\r\n"
    return out.encode("latin-1")


class Frame:
    def __init__(self, fin, rsv, opcode, payload, masked):
        self.fin, self.rsv, self.opcode, self.payload, self.masked = fin, rsv, opcode, payload, masked

    def __repr__(self):
        p = self.payload if len(self.payload) <= 40 else self.payload[:40] + b"..."
        return "Frame(fin=%d rsv=%d op=%d masked=%d len=%d %r)" % (
            self.fin, self.rsv, self.opcode, self.masked, len(self.payload), p)


def close_payload(code=None, reason=b""):
    if code is None:
        return b""
    if isinstance(reason, str):
        reason = reason.encode()
    return struct.pack("!H", code) + reason


def parse_close(payload):
    if len(payload) < 2:
        return (None, b"")
    return (struct.unpack("!H", payload[:2])[0], payload[2:])


def encode_frame(opcode, payload=b"", fin=True, mask=True, rsv=0, mask_key=None, length=None):
    if isinstance(payload, str):
        payload = payload.encode()
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0xF)
    n = len(payload) if length is None else length
    mb = 0x80 if mask else 0
    if n < 126:
        hdr = struct.pack("!BB", b0, mb | n)
    elif n < 65536:
        hdr = struct.pack("!BBH", b0, mb | 126, n)
    else:
        hdr = struct.pack("!BBQ", b0, mb | 127, n)
    if mask:
        key = mask_key if mask_key is not None else os.urandom(4)
        body = bytes(b ^ key[i & 3] for i, b in enumerate(payload)) if len(payload) < 4096 \
            else _xor_mask(payload, key)
        return hdr + key + body
    return hdr + payload


def _xor_mask(payload, key):
    n = len(payload)
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


class _Conn:
    """Byte transport with a buffer; subclasses provide _recv_some/_send_all."""

    def __init__(self):
        self.buf = b""
        self.eof = False

    def _fill(self, deadline):
        if self.eof:
            raise Closed("EOF")
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutErr("timeout")
        data = self._recv_some(left)
        if data is None:
            raise TimeoutErr("timeout")
        if not data:
            self.eof = True
            raise Closed("EOF")
        self.buf += data

    def recv_exact(self, n, timeout=5.0):
        deadline = time.monotonic() + timeout
        while len(self.buf) < n:
            self._fill(deadline)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_head(self, timeout=5.0, limit=1 << 20):
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > limit:
                raise ProtocolError("response head too long")
            self._fill(deadline)
        i = self.buf.index(b"\r\n\r\n")
        head, self.buf = self.buf[:i], self.buf[i + 4:]
        lines = head.decode("latin-1").split("\r\n")
        m = re.match(r"HTTP/1\.[01] (\d{3})(?: (.*))?$", lines[0])
        if not m:
            raise ProtocolError("bad status line %r" % lines[0])
        hdrs = []
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            hdrs.append((k.strip().lower(), v.strip()))
        return Response(int(m.group(1)), m.group(2) or "", hdrs, lines[0])

    def read_until_eof(self, timeout=5.0, limit=1 << 20):
        """Everything until EOF (or reset). Returns (data, got_eof)."""
        deadline = time.monotonic() + timeout
        try:
            while len(self.buf) < limit:
                self._fill(deadline)
        except Closed:
            pass
        except TimeoutErr:
            data, self.buf = self.buf, b""
            return data, False
        data, self.buf = self.buf, b""
        return data, True

    def wait_eof(self, timeout=5.0):
        """True if the peer closes (EOF or reset) within timeout; data is discarded."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                self._fill(deadline)
                self.buf = b""
        except Closed:
            return True
        except TimeoutErr:
            return False

    # frames
    def send_frame(self, opcode, payload=b"", fin=True, mask=True, rsv=0, mask_key=None):
        self._send_all(encode_frame(opcode, payload, fin, mask, rsv, mask_key))

    def send_text(self, s):
        self.send_frame(OP_TEXT, s.encode() if isinstance(s, str) else s)

    def send_binary(self, b):
        self.send_frame(OP_BIN, b)

    def send_close(self, code=1000, reason=b""):
        self.send_frame(OP_CLOSE, close_payload(code, reason))

    def send_ping(self, payload=b""):
        self.send_frame(OP_PING, payload)

    def recv_frame(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while len(self.buf) < 2:
            self._fill(deadline)
        b0, b1 = self.buf[0], self.buf[1]
        n = b1 & 0x7F
        hl = 2 + (2 if n == 126 else 8 if n == 127 else 0) + (4 if b1 & 0x80 else 0)
        while len(self.buf) < hl:
            self._fill(deadline)
        if n == 126:
            n = struct.unpack("!H", self.buf[2:4])[0]
        elif n == 127:
            n = struct.unpack("!Q", self.buf[2:10])[0]
        if n > (64 << 20):
            raise ProtocolError("frame too long: %d" % n)
        while len(self.buf) < hl + n:
            self._fill(deadline)
        payload = self.buf[hl:hl + n]
        if b1 & 0x80:
            key = self.buf[hl - 4:hl]
            payload = _xor_mask(payload, key) if payload else payload
        self.buf = self.buf[hl + n:]
        return Frame(bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0xF, payload, bool(b1 & 0x80))

    def recv_message(self, timeout=5.0, answer_pings=True):
        """Next data message as (opcode, payload) (fragments joined), or ('close', code,
        reason) on a close frame. Pings are answered, pongs skipped."""
        deadline = time.monotonic() + timeout
        parts, op = [], None
        for _ in range(100000):
            f = self.recv_frame(max(0.0, deadline - time.monotonic()))
            if f.opcode == OP_PING:
                if answer_pings:
                    self.send_frame(OP_PONG, f.payload)
                continue
            if f.opcode == OP_PONG:
                continue
            if f.opcode == OP_CLOSE:
                code, reason = parse_close(f.payload)
                return ("close", code, reason)
            if f.opcode != OP_CONT:
                op = f.opcode
            parts.append(f.payload)
            if f.fin:
                return (op, b"".join(parts))
        raise ProtocolError("too many frames")

    def recv_until_close(self, timeout=5.0, max_messages=100000, raise_timeout=True):
        """Data messages until the close frame: (list of (op, payload), code, reason).
        code is None when the connection ended without a close frame, and "timeout" when
        nothing ended it within timeout and raise_timeout is False."""
        deadline = time.monotonic() + timeout
        msgs = []
        for _ in range(max_messages + 1):
            try:
                m = self.recv_message(max(0.0, deadline - time.monotonic()))
            except Closed:
                return msgs, None, b""
            except TimeoutErr:
                if raise_timeout:
                    raise
                return msgs, "timeout", b""
            if m[0] == "close":
                return msgs, m[1], m[2]
            msgs.append(m)
        raise ProtocolError("too many messages")


class Response:
    def __init__(self, status, reason, headers, line):
        self.status, self.reason, self.headers, self.line = status, reason, headers, line
        self.body = b""

    def header(self, name):
        name = name.lower()
        vals = [v for k, v in self.headers if k == name]
        return ", ".join(vals) if vals else None

    def __repr__(self):
        return "Response(%d %r headers=%r body=%r)" % (self.status, self.reason, self.headers,
                                                        self.body[:200])


class RawClient(_Conn):
    def __init__(self, port, host="127.0.0.1", timeout=5.0, rcvbuf=None, sndbuf=None,
                 nodelay=True):
        super().__init__()
        self.port = port
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if sndbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
        if nodelay:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(timeout)
        s.connect((host, port))
        self.sock = s
        self.key = None

    @property
    def local_port(self):
        return self.sock.getsockname()[1]

    def _recv_some(self, timeout):
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return None
        try:
            return self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return b""

    def _send_all(self, data):
        self.sock.settimeout(10.0)
        self.sock.sendall(data)

    send = _send_all

    def handshake(self, path="/", headers=None, protocols=None, extra=b"", timeout=5.0):
        """Send a standard upgrade request (plus `extra` bytes in the same write) and read
        the response head. For a non-101 answer the body is read until EOF."""
        self.key = make_key()
        hdrs = headers if headers is not None else std_headers(self.port, self.key, protocols)
        for k, v in hdrs:
            if k.lower() == "sec-websocket-key":
                self.key = v
        self._send_all(build_request(path, hdrs) + extra)
        return self.response(timeout)

    def request(self, raw, timeout=5.0):
        self._send_all(raw)
        return self.response(timeout)

    def response(self, timeout=5.0):
        r = self.read_head(timeout)
        if r.status != 101:
            r.body, r.eof = self.read_until_eof(timeout)
        return r

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def abort(self):
        """Vanish: RST instead of FIN."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


# ----------------------------------------------------------------------------- pipes / socketpair

class PipeConn(_Conn):
    """wsinetd run directly with stdin/stdout being pipes ('pipes') or one end of a
    socketpair ('socketpair'): the plain inetd way in, with exit status available."""

    def __init__(self, args, kind="pipes", env=None, binary=None, tag="pipes",
                 preexec_fn=None):
        super().__init__()
        self.kind = kind
        self.stderr_path = _log_file(tag)
        e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                e[k] = os.environ[k]
        e.update(env or {})
        cmd = [binary or BIN] + list(args)
        with open(self.stderr_path, "ab") as ef:
            if kind == "pipes":
                self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                             stderr=ef, env=e, start_new_session=True,
                                             close_fds=True, preexec_fn=preexec_fn)
                self.wfd = self.proc.stdin.fileno()
                self.rfd = self.proc.stdout.fileno()
                self.sock = None
            else:
                a, b = socket.socketpair()
                self.proc = subprocess.Popen(cmd, stdin=b.fileno(), stdout=b.fileno(), stderr=ef,
                                             env=e, start_new_session=True, close_fds=True,
                                             preexec_fn=preexec_fn)
                b.close()
                self.sock = a
                self.wfd = self.rfd = a.fileno()
        _started.append(self.proc)

    def _recv_some(self, timeout):
        r, _, _ = select.select([self.rfd], [], [], timeout)
        if not r:
            return None
        try:
            return os.read(self.rfd, 65536)
        except OSError:
            return b""

    def _send_all(self, data):
        mv = memoryview(data)
        deadline = time.monotonic() + 10
        while mv:
            _, w, _ = select.select([], [self.wfd], [], max(0.0, deadline - time.monotonic()))
            if not w:
                raise TimeoutErr("write timeout")
            n = os.write(self.wfd, mv[:65536])
            mv = mv[n:]

    send = _send_all

    def response(self, timeout=5.0):
        r = self.read_head(timeout)
        if r.status != 101:
            r.body, r.eof = self.read_until_eof(timeout)
        return r

    def close_input(self):
        """Client side goes away: EOF on wsinetd's stdin."""
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        else:
            try:
                self.proc.stdin.close()
            except OSError:
                pass

    def wait(self, timeout=10.0):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stderr(self):
        return read_text(self.stderr_path)

    def stop(self):
        kill_pid(self.proc.pid)
        self.wait(5)
        for p in list(descendants(os.getpid())):
            if stat_field(p, 6) == self.proc.pid:
                kill_pid(p)


def spawn_pipes(args, kind="pipes", env=None, binary=None, preexec_fn=None):
    return PipeConn(args, kind, env, binary, preexec_fn=preexec_fn)


def run_pipes(args, stdin=b"", timeout=10.0, env=None, binary=None):
    """Run wsinetd to completion with stdin bytes; returns (rc, stdout, stderr)."""
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            e[k] = os.environ[k]
    e.update(env or {})
    errpath = _log_file("run")
    with open(errpath, "wb") as ef:
        p = subprocess.Popen([binary or BIN] + list(args), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=ef, env=e, start_new_session=True,
                             close_fds=True)
        _started.append(p)
        try:
            out, _ = p.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_pid(p.pid)
            out, _ = p.communicate()
            return None, out, read_text(errpath)
    return p.returncode, out, read_text(errpath)


def parse_env_lines(lines):
    env = {}
    for ln in lines:
        k, sep, v = ln.partition("=")
        if sep:
            env[k] = v
    return env


# ----------------------------------------------------------------------------- library clients

def _event_text_or_b64(data):
    if isinstance(data, bytes):
        return {"event": "message", "type": "binary", "data": base64.b64encode(data).decode()}
    return {"event": "message", "type": "text", "data": data}


def py_client(url, actions=(), protocols=None, timeout=20.0, headers=None, compression=None):
    """Run the python3-websockets (asyncio API) client.
    actions: list of dicts: {"send": str}, {"sendBinary": b64}, {"wait": n} (until n
    messages received), {"close": code, "reason": str}, {"sleep": ms}, {"terminate": True}.
    After the actions it reads until the connection closes. Returns a list of events:
    {"event": "open", "protocol": p}, {"event": "message", "type": t, "data": d (base64 for
    binary)}, {"event": "close", "code": c, "reason": r}, {"event": "http", "status": s},
    {"event": "error", "message": m}, {"event": "timeout"}."""
    import websockets
    import websockets.exceptions as wexc

    events = []

    async def run():
        try:
            ws = await websockets.connect(url, subprotocols=protocols, extra_headers=headers,
                                          ping_interval=None, open_timeout=timeout,
                                          close_timeout=5, max_size=None, compression=compression)
        except wexc.InvalidStatusCode as e:
            events.append({"event": "http", "status": e.status_code})
            return
        events.append({"event": "open", "protocol": ws.subprotocol})
        received = 0

        async def recv_one():
            nonlocal received
            m = await ws.recv()
            received += 1
            events.append(_event_text_or_b64(m))

        try:
            for a in actions:
                if "send" in a:
                    await ws.send(a["send"])
                elif "sendBinary" in a:
                    await ws.send(base64.b64decode(a["sendBinary"]))
                elif "wait" in a:
                    while received < a["wait"]:
                        await recv_one()
                elif "close" in a:
                    await ws.close(a["close"], a.get("reason", ""))
                elif "sleep" in a:
                    await asyncio.sleep(a["sleep"] / 1000.0)
                elif "terminate" in a:
                    ws.transport.abort()
                    break
            while True:
                await recv_one()
        except wexc.ConnectionClosed:
            pass
        await ws.wait_closed()
        events.append({"event": "close", "code": ws.close_code, "reason": ws.close_reason})

    async def outer():
        try:
            await asyncio.wait_for(run(), timeout)
        except asyncio.TimeoutError:
            events.append({"event": "timeout"})
        except Exception as e:  # noqa
            events.append({"event": "error", "message": "%s: %s" % (type(e).__name__, e)})

    asyncio.run(outer())
    return events


def node_client(url, actions=(), protocols=None, timeout=20.0, headers=None):
    """Same contract as py_client, through tests/node/client.js (npm ws)."""
    cmd = ["node", NODE_CLIENT, url, json.dumps(list(actions))]
    if protocols:
        cmd.append(",".join(protocols))
    env = dict(os.environ)
    env["WS_CLIENT_TIMEOUT_MS"] = str(int(timeout * 1000))
    if headers:
        env["WS_CLIENT_HEADERS"] = json.dumps(dict(headers))
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                         start_new_session=True, cwd=NODE_DIR)
    _started.append(p)
    try:
        out, err = p.communicate(timeout=timeout + 5)
    except subprocess.TimeoutExpired:
        kill_pid(p.pid)
        out, err = p.communicate()
    events = []
    for ln in out.decode(errors="replace").splitlines():
        try:
            events.append(json.loads(ln))
        except ValueError:
            events.append({"event": "junk", "line": ln})
    if p.returncode not in (0, None) and not events:
        events.append({"event": "error", "message": err.decode(errors="replace")[-500:]})
    return events


CLIENTS = (("python-websockets", py_client), ("node-ws", node_client))


def ws_client(kind, *a, **kw):
    return dict(CLIENTS)[kind](*a, **kw)


# ----------------------------------------------------------------------------- TAP

class _Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0
        self.current = None

    def _emit(self, ok, name, diag=None):
        self.n += 1
        if not ok:
            self.failed += 1
        name = re.sub(r"[\r\n#]", " ", name)
        if self.current:
            name = "%s: %s" % (self.current, name)
        print("%s %d - %s" % ("ok" if ok else "not ok", self.n, name), flush=True)
        if diag is not None and not ok:
            for ln in str(diag).splitlines()[:60]:
                print("#   " + ln[:400], flush=True)
        return ok

    def ok(self, cond, name, diag=None):
        return self._emit(bool(cond), name, diag)

    def eq(self, got, expected, name):
        return self._emit(got == expected, name,
                          "expected: %r\n     got: %r" % (expected, got))

    def match(self, pattern, text, name, flags=0):
        return self._emit(re.search(pattern, text or "", flags) is not None, name,
                          "pattern %r not found in:\n%s" % (pattern, (text or "")[-3000:]))

    def diag(self, msg):
        for ln in str(msg).splitlines():
            print("# " + ln, flush=True)


T = _Tap()
_tests = []


def test(fn):
    _tests.append(fn)
    return fn


def _on_alarm(signum, frame):
    print("not ok %d - file timeout (%d s)" % (T.n + 1, FILE_TIMEOUT), flush=True)
    print("Bail out! test file exceeded %d s" % FILE_TIMEOUT, flush=True)
    _cleanup()
    os._exit(1)


def _on_term(signum, frame):
    _cleanup()
    os._exit(1)


def main(only=None):
    """Run the registered tests (or those named in `only` / env WSLIB_ONLY=a,b)."""
    _become_subreaper()
    atexit.register(_cleanup)
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, _on_term)
    signal.alarm(FILE_TIMEOUT)
    sel = only or (os.environ.get("WSLIB_ONLY") or "").split(",")
    sel = [s for s in sel if s]
    if not os.access(BIN, os.X_OK):
        print("1..0 # SKIP wsinetd binary not found at %s (make wsinetd)" % BIN, flush=True)
        return 0
    for fn in _tests:
        if sel and fn.__name__ not in sel:
            continue
        T.current = fn.__name__
        try:
            fn()
        except Exception as e:  # an unexpected exception is one failed assertion
            T._emit(False, "raised %s: %s" % (type(e).__name__, str(e)[:200]),
                    traceback.format_exc())
        finally:
            T.current = None
            _kill_strays()
    print("1..%d" % T.n, flush=True)
    _cleanup()
    return 1 if T.failed else 0


def _kill_strays():
    """Between tests: reap orphans that came back to us (we are a subreaper)."""
    _reap_nontracked()
